//! Per-client rate limits (actix-governor), one quota per route class, keyed by the client IP:
//! the peer address, or the `X-Forwarded-For` client only when the peer is a trusted proxy.

use crate::config::{IpNet, RateLimits};
use crate::routes::problem::{ApiError, Code};
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::governor::NotUntil;
use actix_governor::{Governor, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The route classes of API.md's "Rate limits".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    MatchCreate,
    Join,
    Submit,
    Solve,
    Visualize,
    Feedback,
    Default,
}

impl Class {
    pub const ALL: [Class; 7] = [
        Class::MatchCreate,
        Class::Join,
        Class::Submit,
        Class::Solve,
        Class::Visualize,
        Class::Feedback,
        Class::Default,
    ];
}

/// A class's quota: `requests` per `window` per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub requests: u32,
    pub window: Duration,
}

impl Quota {
    /// "a minute", "an hour".
    fn window_name(self) -> &'static str {
        if self.window == HOUR {
            "an hour"
        } else {
            "a minute"
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl Class {
    pub fn quota(self, l: &RateLimits) -> Quota {
        let (requests, window) = match self {
            Class::MatchCreate => (l.match_create, MINUTE),
            Class::Join => (l.join, MINUTE),
            Class::Submit => (l.submit, MINUTE),
            Class::Solve => (l.solve, MINUTE),
            Class::Visualize => (l.visualize, MINUTE),
            Class::Feedback => (l.feedback_per_hour, HOUR),
            Class::Default => (l.default, MINUTE),
        };
        Quota { requests, window }
    }

    fn name(self) -> &'static str {
        match self {
            Class::MatchCreate => "match creation",
            Class::Join => "joins",
            Class::Submit => "move submission",
            Class::Solve => "puzzle solves",
            Class::Visualize => "visualisation and analogy",
            Class::Feedback => "feedback",
            Class::Default => "requests",
        }
    }
}

/// The client's address as far as we can trust it.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.iter().any(|n| n.contains(peer)) {
        return Some(peer);
    }
    // Walk X-Forwarded-For from the right: the first address that is not one of our proxies
    // is the client (anything left of it was written by the client and proves nothing).
    let mut client = peer;
    if let Some(xff) = forwarded_for {
        for hop in xff.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !trusted.iter().any(|n| n.contains(ip)) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
    Some(client)
}

#[derive(Clone)]
pub struct ClientIp {
    trusted: Arc<Vec<IpNet>>,
    quota: Quota,
    class: Class,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, ApiError> {
        let xff = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        client_ip(req.peer_addr().map(|a| a.ip()), xff, &self.trusted)
            .ok_or_else(|| ApiError::new(Code::BadRequest, "cannot tell the client's address"))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        let e = ApiError::new(
            Code::RateLimited,
            format!(
                "too many {}: {} {}; retry in {wait} s",
                self.class.name(),
                self.quota.requests,
                self.quota.window_name()
            ),
        )
        .retry_after(wait);
        let mut res = e.error_response();
        let h = res.headers_mut();
        let limit = self.quota.requests;
        let window = self.quota.window.as_secs();
        if let Ok(v) = format!("limit={limit}, remaining=0, reset={wait}").parse() {
            h.insert(
                actix_web::http::header::HeaderName::from_static("ratelimit"),
                v,
            );
        }
        if let Ok(v) = format!("{limit};w={window}").parse() {
            h.insert(
                actix_web::http::header::HeaderName::from_static("ratelimit-policy"),
                v,
            );
        }
        res
    }
}

pub type Config = actix_governor::GovernorConfig<ClientIp, NoOpMiddleware<QuantaInstant>>;

/// The limiter of one class: a burst of the whole window's quota, refilled evenly. Make it
/// once per class and share it ([`Governor::new`] clones its state's `Arc`): every worker and
/// every route of the class must count against the same quota.
pub fn config(limits: &RateLimits, trusted: &Arc<Vec<IpNet>>, class: Class) -> Config {
    let mut quota = class.quota(limits);
    quota.requests = quota.requests.max(1);
    let config = GovernorConfigBuilder::default()
        .period(quota.window / quota.requests)
        .burst_size(quota.requests)
        .key_extractor(ClientIp {
            trusted: trusted.clone(),
            quota,
            class,
        })
        .finish()
        .expect("a non-zero period and burst");
    config
}

/// The middleware of a class, over its shared limiter.
pub fn governor(config: &Config) -> Governor<ClientIp, NoOpMiddleware<QuantaInstant>> {
    Governor::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_index_their_limiters_in_order() {
        for (i, c) in Class::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?}");
        }
    }

    #[test]
    fn feedback_is_counted_by_the_hour_and_the_rest_by_the_minute() {
        let l = RateLimits::default();
        for c in Class::ALL {
            let q = c.quota(&l);
            let expected = if c == Class::Feedback { HOUR } else { MINUTE };
            assert_eq!(q.window, expected, "{c:?}");
        }
        assert_eq!(Class::Feedback.quota(&l).requests, 20);
        assert_eq!(Class::Feedback.quota(&l).window_name(), "an hour");
    }

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter().map(|x| x.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none: Vec<IpNet> = vec![];
        // Untrusted peer: its X-Forwarded-For is ignored.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &none),
            Some(ip("203.0.113.9"))
        );
        let proxies = nets(&["10.0.0.0/8", "127.0.0.1"]);
        assert_eq!(
            client_ip(Some(ip("10.1.2.3")), Some("198.51.100.7"), &proxies),
            Some(ip("198.51.100.7"))
        );
        // A client-written spoof left of the real client is skipped.
        assert_eq!(
            client_ip(
                Some(ip("127.0.0.1")),
                Some("6.6.6.6, 198.51.100.7, 10.0.0.2"),
                &proxies
            ),
            Some(ip("198.51.100.7"))
        );
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(
            client_ip(Some(ip("10.1.2.3")), None, &proxies),
            Some(ip("10.1.2.3"))
        );
    }
}
