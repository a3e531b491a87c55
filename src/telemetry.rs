//! Logs: Bunyan JSON lines on stdout for the service (plain text on stderr for the CLI tools),
//! filtered by `RUST_LOG` or `LOG_LEVEL`; request ids on every request.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Subscriber;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_bunyan_formatter::{BunyanFormattingLayer, JsonStorageLayer};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

/// The log filter: `RUST_LOG`, else `LOG_LEVEL`, else `default`.
pub fn env_filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_from_env("LOG_LEVEL"))
        .unwrap_or_else(|_| EnvFilter::new(default))
}

/// A Bunyan JSON subscriber writing to `sink` (tests pass a buffer).
pub fn get_subscriber<Sink>(
    name: &str,
    filter: EnvFilter,
    sink: Sink,
) -> impl Subscriber + Send + Sync
where
    Sink: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    Registry::default()
        .with(filter)
        .with(JsonStorageLayer)
        .with(BunyanFormattingLayer::new(name.into(), sink))
}

/// Install `subscriber` as the global default.
pub fn init_subscriber(subscriber: impl Subscriber + Send + Sync) {
    tracing::subscriber::set_global_default(subscriber).expect("no subscriber was set before");
}

pub const X_REQUEST_ID: &str = "x-request-id";

/// An incoming `X-Request-Id` worth keeping: short and plain.
pub fn valid_request_id(v: &str) -> bool {
    (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The id a request goes by: the caller's `X-Request-Id` when valid, else the one
/// tracing-actix-web generated.
#[derive(Clone, Debug)]
pub struct ClientRequestId(pub String);

/// The root span of every request: tracing-actix-web's, plus the caller's request id.
pub struct RootSpan;

impl RootSpanBuilder for RootSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let incoming = request
            .headers()
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| valid_request_id(v))
            .map(str::to_string);
        let span =
            tracing_actix_web::root_span!(request, client_request_id = tracing::field::Empty);
        if let Some(id) = &incoming {
            span.record("client_request_id", id.as_str());
        }
        let id = incoming.unwrap_or_else(|| {
            request
                .extensions()
                .get::<RequestId>()
                .map(|r| r.to_string())
                .unwrap_or_default()
        });
        request.extensions_mut().insert(ClientRequestId(id));
        span
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Return the request id on every response (`X-Request-Id`).
pub async fn echo_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let mut res = next.call(req).await?;
    let id = res
        .request()
        .extensions()
        .get::<ClientRequestId>()
        .map(|c| c.0.clone());
    if let Some(v) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static(X_REQUEST_ID), v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked() {
        assert!(valid_request_id("abc-123_x.y:z"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("has space"));
        assert!(!valid_request_id(&"x".repeat(129)));
        assert!(!valid_request_id("new\\nline"));
    }
}
