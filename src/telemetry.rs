//! Logs: Bunyan JSON lines on stdout for the service (plain text on stderr for the CLI tools),
//! filtered by `RUST_LOG` or `LOG_LEVEL`; request ids on every request. Error reports: Sentry
//! when `SENTRY_DSN` is set.
//!
//! What reaches Sentry: panics (the panic integration), and every `error!` event (the tracing
//! layer) — which is how 500s reach it, since [`crate::routes::problem::ApiError::internal`] logs one.
//! Inside a request, the actix middleware gives the event that request's context (method,
//! route, URL, headers without `Authorization`/cookies, the request id as a tag). A 503 (a
//! dependency down) is logged as a warning and becomes a breadcrumb, not an event: an outage
//! must not flood the error tracker.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Subscriber;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_bunyan_formatter::{BunyanFormattingLayer, JsonStorageLayer};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;
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
        // No-ops until `init_sentry` binds a client: `error!` → a Sentry event, `warn!` and
        // `info!` → breadcrumbs on the next event.
        .with(sentry::integrations::tracing::ErrorLayer::new().with_filter(LevelFilter::ERROR))
        .with(
            sentry::integrations::tracing::BreadcrumbLayer::new().with_filter(
                tracing_subscriber::filter::filter_fn(|m| {
                    matches!(*m.level(), tracing::Level::WARN | tracing::Level::INFO)
                }),
            ),
        )
}

/// Start reporting to Sentry when a DSN is configured. Keep the guard for the life of the
/// process: dropping it flushes what is queued.
pub fn init_sentry(s: &crate::config::SentrySettings) -> Option<sentry::ClientInitGuard> {
    let dsn = s.dsn.as_ref()?.expose();
    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn(dsn)
            .release(s.release.clone())
            .environment(s.environment.clone())
            .traces_sample_rate(s.traces_sample_rate)
            // Never send tokens, cookies or client addresses.
            .send_default_pii(false)
            .attach_stacktrace(true),
    );
    // `init` binds the client to this thread's hub; the actix middleware derives every
    // request's hub from the process hub, so bind it there too (they differ when this does
    // not run on the thread that first touched Sentry, as in tests).
    sentry::Hub::main().bind_client(sentry::Hub::current().client());
    guard.is_enabled().then_some(guard)
}

/// The actix middleware that gives Sentry events their request's context (outermost).
pub fn sentry_middleware(s: &crate::config::SentrySettings) -> sentry::integrations::actix::Sentry {
    sentry::integrations::actix::Sentry::builder()
        // 500s are captured from their `error!` log line; 503s are outages, not bugs.
        .capture_server_errors(false)
        .start_transaction(s.traces_sample_rate > 0.0)
        .finish()
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

    /// The span records the status and the error; one log line per failed request, at the
    /// level its cause deserves (tracing-actix-web's own line, off by its feature, logged every
    /// 5xx as an error, so each 503 of an outage became a Sentry report and each 500 two):
    /// a 4xx or a 503 is a warning (a breadcrumb); a 500 was logged as an error where it arose
    /// ([`crate::routes::problem::ApiError::internal`]), and any other 5xx is an error here.
    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, Error>,
    ) {
        let failed = match outcome {
            Ok(res) => res.response().error().map(|e| (res.status(), e)),
            Err(e) => Some((e.as_response_error().status_code(), e)),
        };
        if let Some((status, error)) = failed {
            let _inside = span.enter();
            let prefix = "request failed";
            if status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE {
                tracing::warn!("{prefix}: {error}");
            } else if error
                .as_error::<crate::routes::problem::ApiError>()
                .is_none()
            {
                tracing::error!("{prefix}: {error:?}");
            }
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Return the request id on every response (`X-Request-Id`).
pub async fn echo_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    if let Some(id) = req.extensions().get::<ClientRequestId>() {
        // The request's own Sentry scope (the actix middleware made one per request).
        sentry::configure_scope(|scope| scope.set_tag("request_id", &id.0));
    }
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
