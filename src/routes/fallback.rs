//! What a request that no handler takes gets, as a problem document (API.md: every error, from
//! every route): 404 `not_found` when no route has its path ([`no_route`], the app's default
//! service), 405 `method_not_allowed` when one has it under other methods. Every route is its
//! own resource, so actix answers the 405 with the `Allow` header it derives from the routes;
//! [`problem_for_bare_405`] only gives that empty answer its body (and adds `HEAD` wherever
//! `GET` is allowed: [`head_as_get`] serves it).

use crate::routes::problem::{ApiError, Code};
use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

/// The app's default service: no route has this path.
pub async fn no_route() -> HttpResponse {
    ApiError::new(Code::NotFound, "no such route").error_response()
}

/// For `ErrorHandlers` on 405: a resource's own 405 (empty body, `Allow` set by actix) becomes
/// the problem document naming the methods the path takes.
pub fn problem_for_bare_405<B: MessageBody>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem || res.status() != StatusCode::METHOD_NOT_ALLOWED {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, old) = res.into_parts();
    let mut methods: Vec<&str> = old
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if methods.contains(&Method::GET.as_str()) && !methods.contains(&Method::HEAD.as_str()) {
        methods.push(Method::HEAD.as_str());
    }
    let allow = methods.join(", ");
    let mut new = ApiError::new(
        Code::MethodNotAllowed,
        format!(
            "{} {} is not a route: this path takes {allow}",
            req.method(),
            req.path()
        ),
    )
    .error_response();
    // Keep what the middleware in between added (request id, security headers…).
    for (name, value) in old.headers() {
        if name != header::ALLOW && !new.headers().contains_key(name) {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    if let Ok(v) = header::HeaderValue::from_str(&allow) {
        new.headers_mut().insert(header::ALLOW, v);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

/// `HEAD` is answered as `GET` without the body (RFC 9110 §9.3.2): actix routes on the method,
/// and only `GET` routes are registered. The connection remembers the request was `HEAD` and
/// sends the headers, `Content-Length` included, but not the body. A streamed body (the event
/// stream) is dropped here: nothing would ever read it, and it would hold its stream slot.
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl MessageBody + 'static>> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await?;
    Ok(res.map_body(|_, body| {
        if head && matches!(body.size(), BodySize::Stream) {
            EitherBody::right(BoxBody::new(()))
        } else {
            EitherBody::left(body)
        }
    }))
}

/// A request must arrive and be answered within its deadline (`REQUEST_TIMEOUT_SECS`; an event
/// stream's answer is its head, so a stream runs on): a client that announces a body and never
/// sends all of it would otherwise hold its connection and handler for ever. It gets 408
/// `request_timeout` (as an error: this runs before routing, where the request cannot be
/// kept for building a response), and its connection is closed.
pub async fn deadline<B: MessageBody + 'static>(
    limit: std::time::Duration,
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(res) => res,
        Err(_) => Err(ApiError::new(
            Code::RequestTimeout,
            format!(
                "the request did not arrive in full and get its answer within {} s",
                limit.as_secs()
            ),
        )
        .into()),
    }
}
