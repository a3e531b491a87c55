//! What a request that no handler takes gets: 404 `not_found` when no route has its path,
//! 405 `method_not_allowed` with an `Allow` header when routes have its path under other
//! methods — as a problem document either way (API.md: every error, from every route).
//!
//! actix answers a wrong method in two ways, depending on how a route was registered: a
//! resource with method routes answers 405 with an empty body, a `route(path, method)` lets the
//! request fall through to the app's default service as if the path did not exist. Both end
//! here: [`no_route`] is the default service, and [`problem_for_bare_405`] rewrites the
//! resources' empty 405s.

use crate::error::{ApiError, Code};
use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Routes outside the OpenAPI document (the page, the document itself, its viewer, the admin
/// statistics): all of them `GET` only.
const UNDOCUMENTED_GET: &[&str] = &[
    "/",
    "/favicon.ico",
    "/static/{name}",
    "/openapi.json",
    "/docs",
    "/docs/{_:.*}",
    "/admin/stats",
];

/// Methods by route template, from the OpenAPI document (which a test holds complete) and
/// [`UNDOCUMENTED_GET`].
fn methods_by_route() -> &'static HashMap<String, Vec<Method>> {
    static TABLE: OnceLock<HashMap<String, Vec<Method>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: HashMap<String, Vec<Method>> = super::openapi::document()
            .paths
            .paths
            .into_iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, has)| has.then_some(m))
                .collect();
                (path, methods)
            })
            .collect();
        for path in UNDOCUMENTED_GET {
            table.insert(path.to_string(), vec![Method::GET]);
        }
        table
    })
}

/// The methods the route with this template answers (empty for an unknown template).
pub fn allowed_methods(template: &str) -> &'static [Method] {
    methods_by_route()
        .get(template)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The answer to a request no handler took.
fn answer(req: &HttpRequest) -> HttpResponse {
    let allowed = req
        .match_pattern()
        .map(|t| allowed_methods(&t))
        .unwrap_or(&[]);
    if allowed.is_empty() || allowed.contains(req.method()) {
        return ApiError::new(Code::NotFound, "no such route").error_response();
    }
    let mut names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    if allowed.contains(&Method::GET) {
        names.push("HEAD");
    }
    let allow = names.join(", ");
    let mut res = ApiError::new(
        Code::MethodNotAllowed,
        format!(
            "{} {} is not a route: this path takes {allow}",
            req.method(),
            req.path()
        ),
    )
    .error_response();
    if let Ok(v) = header::HeaderValue::from_str(&allow) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// The app's default service.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    answer(&req)
}

/// For `ErrorHandlers` on 405: a resource's own 405 (empty body) becomes the problem document;
/// a response that already is one passes.
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
    let mut new: HttpResponse<BoxBody> = answer(&req);
    // Keep what the middleware in between added (request id, security headers…).
    for (name, value) in old.headers() {
        if !new.headers().contains_key(name) {
            new.headers_mut().append(name.clone(), value.clone());
        }
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
