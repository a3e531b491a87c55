//! Where matches live and how long (`REDIS_URL`, `REDIS_KEY_PREFIX`, `MATCH_TTL_SECS`, …), and
//! the live events' limits.

use super::{parse_var, Secret};

/// Where matches live and how long: `REDIS_URL` (unset: in memory), its key prefix, the TTL of a
/// match after its last write, and how many events per match are kept for resumes.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    pub redis_url: Option<Secret>,
    pub key_prefix: String,
    pub match_ttl_secs: u64,
    /// A finished match is kept this long after its last write (its result stays readable).
    pub finished_match_ttl_secs: u64,
    /// A lobby nobody joined or started for this long is dropped.
    pub idle_lobby_ttl_secs: u64,
    /// Past this many matches held, creating one is refused (503 `too_many_matches`).
    pub max_matches: usize,
    /// Connection and response timeout of every Redis command.
    pub redis_timeout_ms: u64,
    pub events_replay: usize,
    /// Concurrent event streams an instance serves (`SSE_MAX_CLIENTS`).
    pub sse_max_clients: usize,
    /// Seconds between keep-alive comments on an event stream.
    pub sse_keepalive_secs: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            redis_url: None,
            key_prefix: "wb:".into(),
            match_ttl_secs: 24 * 3600,
            finished_match_ttl_secs: 3600,
            idle_lobby_ttl_secs: 1800,
            max_matches: 50_000,
            redis_timeout_ms: 2000,
            events_replay: 256,
            sse_max_clients: 2000,
            sse_keepalive_secs: 15,
        }
    }
}

impl StoreSettings {
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<StoreSettings> {
        let d = StoreSettings::default();
        let s = StoreSettings {
            redis_url: get("REDIS_URL").map(Secret::new),
            key_prefix: get("REDIS_KEY_PREFIX").unwrap_or(d.key_prefix),
            match_ttl_secs: parse_var(get, "MATCH_TTL_SECS", d.match_ttl_secs)?,
            finished_match_ttl_secs: parse_var(
                get,
                "FINISHED_MATCH_TTL_SECS",
                d.finished_match_ttl_secs,
            )?,
            idle_lobby_ttl_secs: parse_var(get, "IDLE_LOBBY_TTL_SECS", d.idle_lobby_ttl_secs)?,
            max_matches: parse_var(get, "MAX_MATCHES", d.max_matches)?,
            redis_timeout_ms: parse_var(get, "REDIS_TIMEOUT_MS", d.redis_timeout_ms)?,
            events_replay: parse_var(get, "EVENTS_REPLAY", d.events_replay)?,
            sse_max_clients: parse_var(get, "SSE_MAX_CLIENTS", d.sse_max_clients)?,
            sse_keepalive_secs: parse_var(get, "SSE_KEEPALIVE_SECS", d.sse_keepalive_secs)?,
        };
        if let Some(url) = &s.redis_url {
            ::redis::Client::open(url.expose())
                .map_err(|e| anyhow::anyhow!("REDIS_URL is not a Redis URL: {e}"))?;
        }
        if !(60..=30 * 24 * 3600).contains(&s.match_ttl_secs) {
            anyhow::bail!("MATCH_TTL_SECS must be between 60 and 2592000");
        }
        if !(1..=30 * 24 * 3600).contains(&s.finished_match_ttl_secs) {
            anyhow::bail!("FINISHED_MATCH_TTL_SECS must be between 1 and 2592000");
        }
        if !(1..=30 * 24 * 3600).contains(&s.idle_lobby_ttl_secs) {
            anyhow::bail!("IDLE_LOBBY_TTL_SECS must be between 1 and 2592000");
        }
        if !(1..=10_000_000).contains(&s.max_matches) {
            anyhow::bail!("MAX_MATCHES must be between 1 and 10000000");
        }
        if !(50..=60_000).contains(&s.redis_timeout_ms) {
            anyhow::bail!("REDIS_TIMEOUT_MS must be between 50 and 60000");
        }
        if !(1..=100_000).contains(&s.events_replay) {
            anyhow::bail!("EVENTS_REPLAY must be between 1 and 100000");
        }
        if !(1..=1_000_000).contains(&s.sse_max_clients) {
            anyhow::bail!("SSE_MAX_CLIENTS must be between 1 and 1000000");
        }
        if !(1..=300).contains(&s.sse_keepalive_secs) {
            anyhow::bail!("SSE_KEEPALIVE_SECS must be between 1 and 300");
        }
        if s.key_prefix.len() > 64 || s.key_prefix.chars().any(|c| c.is_whitespace()) {
            anyhow::bail!("REDIS_KEY_PREFIX must be at most 64 characters, without spaces");
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<StoreSettings> {
        let m: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StoreSettings::from_lookup(&|k| m.get(k).cloned())
    }

    #[test]
    fn store_settings_default_to_memory_and_name_bad_variables() {
        let d = from(&[]).unwrap();
        assert_eq!(d, StoreSettings::default());
        assert!(d.redis_url.is_none());
        assert_eq!((d.key_prefix.as_str(), d.match_ttl_secs), ("wb:", 86_400));
        let s = from(&[
            ("REDIS_URL", "redis://10.0.0.5:6380/2"),
            ("REDIS_KEY_PREFIX", "bocce:"),
        ])
        .unwrap();
        assert_eq!(
            s.redis_url.as_ref().map(Secret::expose),
            Some("redis://10.0.0.5:6380/2")
        );
        assert_eq!(s.key_prefix, "bocce:");
        for (var, value) in [
            ("REDIS_URL", "postgres://nope"),
            ("MATCH_TTL_SECS", "5"),
            ("REDIS_TIMEOUT_MS", "soon"),
            ("SSE_MAX_CLIENTS", "0"),
            ("REDIS_KEY_PREFIX", "has space"),
        ] {
            let e = format!("{:#}", from(&[(var, value)]).unwrap_err());
            assert!(e.contains(var), "{var}: {e}");
        }
    }
}
