//! HTTP resources, each registering itself; thin handlers over `game/` and `store/`.

pub mod events;
pub mod fallback;
pub mod feedback;
pub mod idempotency;
pub mod input;
pub mod limits;
pub mod matches;
pub mod meta;
pub mod openapi;
pub mod page;
pub mod practice;
pub mod problem;
pub mod puzzles;
pub mod schemas;
pub mod visualize;
pub mod words;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::play::Matches;
use crate::store::idempotency::IdempotencyStore;
use crate::store::MatchStore;
use crate::tokens::hash_token;
use actix_web::{web, HttpRequest};
use problem::{ApiError, Code};
use std::sync::Arc;
use std::time::Instant;

/// What every handler shares.
pub struct AppState {
    pub engine: Arc<Engine>,
    pub store: Arc<dyn MatchStore>,
    /// The match use cases (over `store` and `engine`).
    pub matches: Matches,
    pub settings: Settings,
    pub started: Instant,
    pub clock: SharedClock,
    pub metrics: Arc<Metrics>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Graceful shutdown: its phase, watched by readiness and event streams.
    pub shutdown: crate::shutdown::Shutdown,
    /// Open event streams on this instance (bounded by `SSE_MAX_CLIENTS`).
    pub streams: events::Streams,
    /// The puzzle catalogue (loaded at startup) with its score memos.
    pub puzzles: Arc<crate::puzzles::play::Puzzles>,
    /// Puzzle profiles and progress (Postgres or SQLite).
    pub progress: Arc<crate::store::progress::ProgressStore>,
    /// Practice courts, dealt from their ids (a cache of the recent ones).
    pub practice: crate::play::Practice,
}

pub type State = web::Data<AppState>;

/// The hash of the request's bearer token; 401 `missing_token` without one.
pub fn bearer_hash(req: &HttpRequest) -> Result<String, ApiError> {
    let raw = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let token = raw
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or("");
    if token.is_empty() {
        return Err(ApiError::new(
            Code::MissingToken,
            "send your token as 'Authorization: Bearer <token>'",
        ));
    }
    Ok(hash_token(token))
}

/// Whether the request's `If-None-Match` names `etag` (a strong tag, quotes included), so that
/// a 304 answers it: weak comparison (`W/"x"` matches `"x"`) and `*`, as RFC 9110 §13.1.2 says.
pub fn none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(actix_web::http::header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// JSON bodies: malformed → 400 `bad_request`, too large → 413 `payload_too_large`.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError;
            let e = match &err {
                JsonPayloadError::Overflow { limit }
                | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
                    Code::PayloadTooLarge,
                    format!("the body is larger than {limit} bytes"),
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    Code::BadRequest,
                    "the body must be JSON (Content-Type: application/json)",
                ),
                JsonPayloadError::Deserialize(e) if e.is_eof() => {
                    ApiError::new(Code::BadRequest, "the body ends before its JSON does")
                }
                JsonPayloadError::Deserialize(e) => ApiError::new(
                    Code::BadRequest,
                    format!(
                        "the body is not valid JSON (line {}, column {})",
                        e.line(),
                        e.column()
                    ),
                ),
                _ => ApiError::new(Code::BadRequest, "the body could not be read"),
            };
            e.into()
        })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _| ApiError::new(Code::BadRequest, err.to_string()).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _| ApiError::new(Code::BadRequest, err.to_string()).into())
}

/// What the resources need to wrap themselves in their rate limits.
#[derive(Clone)]
pub struct Limits {
    pub limits: crate::config::RateLimits,
    pub trusted: Arc<Vec<crate::config::IpNet>>,
    /// One limiter per class (in `Class::ALL` order), made once: the App factory runs per
    /// worker, and each worker must count against the same quota.
    configs: Arc<Vec<limits::Config>>,
}

pub type Limited = actix_web::middleware::Condition<
    actix_governor::Governor<
        limits::ClientIp,
        actix_governor::governor::middleware::NoOpMiddleware<
            actix_governor::governor::clock::QuantaInstant,
        >,
    >,
>;

impl Limits {
    pub fn from_settings(s: &Settings) -> Limits {
        let trusted = Arc::new(s.trusted_proxies.clone());
        let configs = limits::Class::ALL
            .iter()
            .map(|&c| limits::config(&s.rate_limits, &trusted, c))
            .collect();
        Limits {
            limits: s.rate_limits,
            trusted,
            configs: Arc::new(configs),
        }
    }

    /// The rate-limit middleware of a route class (a no-op when limits are off).
    pub fn class(&self, class: limits::Class) -> Limited {
        actix_web::middleware::Condition::new(
            self.limits.enabled,
            limits::governor(&self.configs[class as usize]),
        )
    }
}

/// Register every resource.
pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    meta::configure(cfg);
    matches::configure(cfg, limits);
    events::configure(cfg);
    words::configure(cfg, limits);
    puzzles::configure(cfg, limits);
    practice::configure(cfg, limits);
    feedback::configure(cfg, limits);
    visualize::configure(cfg, limits);
    page::configure(cfg);
}

/// The Content-Security-Policy: scripts, styles and connections from 'self' only, nothing may
/// frame us. `inline_style` is the base64 SHA-256 of the page's one inline stylesheet (only the
/// page's own response names it): that exact text is the only inline code any response allows.
pub fn content_security_policy(inline_style: Option<&str>) -> String {
    let style = match inline_style {
        Some(hash) => format!("style-src 'self' 'sha256-{hash}'"),
        None => "style-src 'self'".to_string(),
    };
    format!(
        "default-src 'self'; script-src 'self'; {style}; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Headers on every response (a handler's own header wins: the page sends its own CSP).
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Content-Security-Policy", content_security_policy(None)))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// CORS for the configured origins; `None` (no CORS headers at all, so browsers keep
/// cross-origin pages out) when there are none.
pub fn cors(origins: &[String]) -> Option<actix_cors::Cors> {
    if origins.is_empty() {
        return None;
    }
    let cors = origins
        .iter()
        .fold(actix_cors::Cors::default(), |c, o| c.allowed_origin(o))
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::IF_NONE_MATCH,
        ])
        .allowed_header("Idempotency-Key")
        .allowed_header("Last-Event-ID")
        .expose_headers(["ETag", "Retry-After", "RateLimit", "RateLimit-Policy"])
        .max_age(3600);
    Some(cors)
}
