//! Every setting of the service, in one place: built-in defaults < the optional `CONFIG_FILE` <
//! environment variables, each section parsed and validated once, with messages that name the
//! variable. Modules receive their section as typed values; secrets are [`Secret`]s.

use crate::embeddings::deck::DEFAULT_DECK_SIZE;
use crate::game::deal::Difficulty;
use crate::game::{MatchSettings, SettingsInput};
use crate::index::IndexParams;
use anyhow::{bail, Context};
use std::path::PathBuf;

mod layers;
pub mod progress;
mod secret;
pub mod shutdown;
pub mod store;

pub use layers::{known_keys, layered_lookup, parse_config, process_env};
pub use progress::ProgressSettings;
pub use secret::Secret;
pub use shutdown::ShutdownSettings;
pub use store::StoreSettings;

/// Settings read only from the process environment, never from `CONFIG_FILE` (logging and the
/// SIMD cap are read before any settings are; the file's own name cannot be in the file).
pub const ENVIRONMENT_ONLY: &[&str] = &["CONFIG_FILE", "RUST_LOG", "LOG_LEVEL", "WORD_BOCCE_SIMD"];

/// The puzzle catalogue's directory by default.
pub const DEFAULT_PUZZLES_DIR: &str = "puzzles";

/// The committed default model.
pub const DEFAULT_MODEL_PATH: &str = "models/glove-6B-50d-100k.wbm";
/// Where frozen graphs are cached by default.
pub const DEFAULT_INDEX_CACHE_DIR: &str = "models/cache";

#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    pub model_path: PathBuf,
    /// `None` disables the cache (`INDEX_CACHE_DIR=off`).
    pub index_cache_dir: Option<PathBuf>,
    pub index: IndexParams,
    pub deck_size: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            model_path: DEFAULT_MODEL_PATH.into(),
            index_cache_dir: Some(DEFAULT_INDEX_CACHE_DIR.into()),
            index: IndexParams::default(),
            deck_size: DEFAULT_DECK_SIZE,
        }
    }
}

/// Read `name` from `get` and parse it, naming the variable on failure.
pub(crate) fn parse_var<T: std::str::FromStr>(
    get: &dyn Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("{name}={raw:?} is not valid")),
    }
}

impl EngineSettings {
    /// The committed model under the crate at `root`, with the index cache from
    /// `INDEX_CACHE_DIR` (else `root/models/cache`): what tests and benches load wherever they
    /// run from.
    pub fn committed_model(root: &std::path::Path) -> EngineSettings {
        let cache = std::env::var_os("INDEX_CACHE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(DEFAULT_INDEX_CACHE_DIR));
        EngineSettings {
            model_path: root.join(DEFAULT_MODEL_PATH),
            index_cache_dir: Some(cache),
            ..EngineSettings::default()
        }
    }

    /// From the environment over the optional `CONFIG_FILE` (see [`layered_lookup`]).
    pub fn from_env() -> anyhow::Result<EngineSettings> {
        Self::from_lookup(&layered_lookup(&process_env)?)
    }

    /// From any key lookup (tests pass a map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<EngineSettings> {
        let d = EngineSettings::default();
        let cache = match get("INDEX_CACHE_DIR") {
            Some(v) if v == "off" || v == "none" => None,
            Some(v) => Some(PathBuf::from(v)),
            None => d.index_cache_dir,
        };
        let s = EngineSettings {
            model_path: get("MODEL_PATH").map(PathBuf::from).unwrap_or(d.model_path),
            index_cache_dir: cache,
            index: IndexParams {
                m: parse_var(get, "INDEX_M", d.index.m)?,
                ef_construction: parse_var(get, "INDEX_EF_CONSTRUCTION", d.index.ef_construction)?,
                ef_search: parse_var(get, "INDEX_EF_SEARCH", d.index.ef_search)?,
            },
            deck_size: parse_var(get, "DECK_SIZE", d.deck_size)?,
        };
        s.validate()?;
        Ok(s)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.index.validate()?;
        if !(100..=100_000).contains(&self.deck_size) {
            bail!(
                "DECK_SIZE must be between 100 and 100000, got {}",
                self.deck_size
            );
        }
        Ok(())
    }
}

/// An IP network (`10.0.0.0/8`, `::1`, `192.168.1.7/32`) for `TRUSTED_PROXIES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::*;
        let (a, b, bits): (u128, u128, u8) = match (self.addr, ip) {
            (V4(n), V4(x)) => (u32::from(n) as u128, u32::from(x) as u128, 32),
            (V6(n), V6(x)) => (u128::from(n), u128::from(x), 128),
            (V4(n), V6(x)) => match x.to_ipv4_mapped() {
                Some(x) => (u32::from(n) as u128, u32::from(x) as u128, 32),
                None => return false,
            },
            (V6(_), V4(_)) => return false,
        };
        let shift = bits - self.prefix;
        shift >= bits || (a >> shift) == (b >> shift)
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<IpNet, String> {
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}': bad prefix length"))?,
        };
        Ok(IpNet { addr, prefix })
    }
}

/// Requests per minute per client for each route class (API.md "Rate limits"); feedback is
/// counted per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub enabled: bool,
    pub match_create: u32,
    pub join: u32,
    pub submit: u32,
    pub solve: u32,
    pub visualize: u32,
    /// `POST /feedback`, an hour.
    pub feedback_per_hour: u32,
    pub default: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            match_create: 5,
            join: 20,
            submit: 30,
            solve: 20,
            visualize: 10,
            feedback_per_hour: 20,
            default: 300,
        }
    }
}

/// Everything the service needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub engine: EngineSettings,
    pub bind: String,
    pub port: u16,
    /// Defaults for matches whose creator leaves a setting out.
    pub match_defaults: MatchSettings,
    /// Seeds every match's deals reproducibly when set (tests, load tests).
    pub rng_seed: Option<u64>,
    /// Where the in-memory store keeps its snapshot (`off`: none).
    pub snapshot_path: Option<PathBuf>,
    pub snapshot_interval_secs: u64,
    /// Largest JSON body accepted.
    pub json_limit_bytes: usize,
    /// How long a request may take to arrive and be answered (`REQUEST_TIMEOUT_SECS`).
    pub request_timeout_secs: u64,
    pub rate_limits: RateLimits,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed cross-origin (CORS); none by default.
    pub allowed_origins: Vec<String>,
    /// Bearer token of `/admin/*`; unset: those routes do not exist.
    pub admin_token: Option<Secret>,
    /// Error reports (off unless `SENTRY_DSN` is set).
    pub sentry: SentrySettings,
    /// The match store (memory or Redis) and its live events.
    pub store: StoreSettings,
    /// Graceful shutdown.
    pub shutdown: ShutdownSettings,
    /// The puzzle catalogue directory (`PUZZLES_DIR`).
    pub puzzles_dir: PathBuf,
    /// Where puzzle progress lives (`DATABASE_URL`, `SQLITE_PATH`, `DATABASE_*`).
    pub progress: ProgressSettings,
}

/// Where and how errors are reported to Sentry.
#[derive(Debug, Clone, PartialEq)]
pub struct SentrySettings {
    /// `SENTRY_DSN`; `None`: no reports.
    pub dsn: Option<Secret>,
    pub environment: String,
    pub release: String,
    /// Fraction of requests traced (performance monitoring), 0–1.
    pub traces_sample_rate: f32,
}

impl SentrySettings {
    fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<SentrySettings> {
        let s = SentrySettings {
            dsn: get("SENTRY_DSN").map(Secret::new),
            environment: get("SENTRY_ENVIRONMENT").unwrap_or_else(|| "production".into()),
            release: get("SENTRY_RELEASE")
                .unwrap_or_else(|| concat!("word-bocce@", env!("CARGO_PKG_VERSION")).into()),
            traces_sample_rate: parse_var(get, "SENTRY_TRACES_SAMPLE_RATE", 0.0f32)?,
        };
        if let Some(dsn) = &s.dsn {
            if let Err(e) = dsn.expose().parse::<sentry::types::Dsn>() {
                bail!("SENTRY_DSN is not a valid DSN: {e}");
            }
        }
        if !(0.0..=1.0).contains(&s.traces_sample_rate) {
            bail!(
                "SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, got {}",
                s.traces_sample_rate
            );
        }
        Ok(s)
    }
}

impl Settings {
    /// Built-in defaults < the optional `CONFIG_FILE` < environment variables.
    pub fn from_env() -> anyhow::Result<Settings> {
        Self::from_lookup(&layered_lookup(&process_env)?)
    }

    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let engine = EngineSettings::from_lookup(get)?;
        let match_defaults = match_defaults(get)?;
        let snapshot_path = match get("SNAPSHOT_PATH") {
            Some(v) if v == "off" || v == "none" => None,
            Some(v) => Some(PathBuf::from(v)),
            None => Some(PathBuf::from("data/matches.json")),
        };
        let s = Settings {
            engine,
            bind: get("BIND").unwrap_or_else(|| "127.0.0.1".into()),
            port: parse_var(get, "PORT", 8000u16)?,
            match_defaults,
            rng_seed: match get("RNG_SEED") {
                None => None,
                Some(_) => Some(parse_var(get, "RNG_SEED", 0u64)?),
            },
            snapshot_path,
            snapshot_interval_secs: parse_var(get, "SNAPSHOT_INTERVAL_SECS", 60u64)?,
            json_limit_bytes: parse_var(get, "JSON_LIMIT_BYTES", 16 * 1024usize)?,
            request_timeout_secs: parse_var(get, "REQUEST_TIMEOUT_SECS", 30u64)?,
            rate_limits: {
                let d = RateLimits::default();
                RateLimits {
                    enabled: parse_var(get, "RATE_LIMIT_ENABLED", true)?,
                    match_create: parse_var(
                        get,
                        "RATE_LIMIT_MATCH_CREATE_PER_MIN",
                        d.match_create,
                    )?,
                    join: parse_var(get, "RATE_LIMIT_JOIN_PER_MIN", d.join)?,
                    submit: parse_var(get, "RATE_LIMIT_SUBMIT_PER_MIN", d.submit)?,
                    solve: parse_var(get, "RATE_LIMIT_SOLVE_PER_MIN", d.solve)?,
                    visualize: parse_var(get, "RATE_LIMIT_VISUALIZE_PER_MIN", d.visualize)?,
                    feedback_per_hour: parse_var(
                        get,
                        "RATE_LIMIT_FEEDBACK_PER_HOUR",
                        d.feedback_per_hour,
                    )?,
                    default: parse_var(get, "RATE_LIMIT_DEFAULT_PER_MIN", d.default)?,
                }
            },
            trusted_proxies: match get("TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(v) => v
                    .split(',')
                    .filter(|x| !x.trim().is_empty())
                    .map(|x| x.parse::<IpNet>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| anyhow::anyhow!("TRUSTED_PROXIES: {e}"))?,
            },
            admin_token: get("ADMIN_TOKEN").map(Secret::new),
            sentry: SentrySettings::from_lookup(get)?,
            puzzles_dir: get("PUZZLES_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_PUZZLES_DIR)),
            progress: ProgressSettings::from_lookup(get)?,
            allowed_origins: get("ALLOWED_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            store: StoreSettings::from_lookup(get)?,
            shutdown: ShutdownSettings::from_lookup(get)?,
        };
        s.validate()?;
        Ok(s)
    }

    /// The checks that span several variables (each variable's own parse already named it).
    pub fn validate(&self) -> anyhow::Result<()> {
        let s = self;
        let l = &s.rate_limits;
        for (name, v) in [
            ("RATE_LIMIT_MATCH_CREATE_PER_MIN", l.match_create),
            ("RATE_LIMIT_JOIN_PER_MIN", l.join),
            ("RATE_LIMIT_SUBMIT_PER_MIN", l.submit),
            ("RATE_LIMIT_SOLVE_PER_MIN", l.solve),
            ("RATE_LIMIT_VISUALIZE_PER_MIN", l.visualize),
            ("RATE_LIMIT_FEEDBACK_PER_HOUR", l.feedback_per_hour),
            ("RATE_LIMIT_DEFAULT_PER_MIN", l.default),
        ] {
            if !(1..=1_000_000).contains(&v) {
                bail!("{name} must be between 1 and 1000000, got {v}");
            }
        }
        if s.admin_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            bail!("ADMIN_TOKEN must be at least 16 characters");
        }
        for o in &s.allowed_origins {
            if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
                bail!("ALLOWED_ORIGINS: '{o}' is not an origin like https://example.org");
            }
        }
        if s.bind.parse::<std::net::IpAddr>().is_err() {
            bail!("BIND={:?} is not an IP address", s.bind);
        }
        if !(1..=3600).contains(&s.snapshot_interval_secs) {
            bail!("SNAPSHOT_INTERVAL_SECS must be between 1 and 3600");
        }
        if !(1..=3600).contains(&s.request_timeout_secs) {
            bail!("REQUEST_TIMEOUT_SECS must be between 1 and 3600");
        }
        if !(256..=16 * 1024 * 1024).contains(&s.json_limit_bytes) {
            bail!("JSON_LIMIT_BYTES must be between 256 and 16777216");
        }
        Ok(())
    }
}

/// The defaults of a match's settings (`N_PUBLIC`, `M_PRIVATE`, …), in the ranges a match's own
/// settings allow.
fn match_defaults(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<MatchSettings> {
    let d = MatchSettings::default();
    let input = SettingsInput {
        n_public: parse_var(get, "N_PUBLIC", d.n_public as i64)?.into(),
        m_private: parse_var(get, "M_PRIVATE", d.m_private as i64)?.into(),
        wildcard_ratio: parse_var(get, "WILDCARD_RATIO", d.wildcard_ratio)?.into(),
        timeout_secs: parse_var(get, "ROUND_TIMEOUT_SECS", d.timeout_secs as i64)?.into(),
        rounds: parse_var(get, "ROUNDS", d.rounds as i64)?.into(),
        max_players: parse_var(get, "MAX_PLAYERS", d.max_players as i64)?.into(),
        difficulty: match get("DIFFICULTY") {
            None => Some(Difficulty::Medium),
            Some(v) => Some(
                serde_json::from_value(serde_json::Value::String(v.to_lowercase())).map_err(
                    |_| anyhow::anyhow!("DIFFICULTY={v:?} is not valid: easy, medium or hard"),
                )?,
            ),
        },
    };
    input.resolve(&d).map_err(|e| {
        let field = match &e {
            crate::game::GameError::InvalidSettings { field, .. } => Some(field.as_str()),
            _ => None,
        };
        let var = match field {
            Some("settings.N_public") => "N_PUBLIC",
            Some("settings.M_private") => "M_PRIVATE",
            Some("settings.wildcard_ratio") => "WILDCARD_RATIO",
            Some("settings.timeout_secs") => "ROUND_TIMEOUT_SECS",
            Some("settings.rounds") => "ROUNDS",
            Some("settings.max_players") => "MAX_PLAYERS",
            _ => "a match setting",
        };
        anyhow::anyhow!("{var}: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<EngineSettings> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EngineSettings::from_lookup(&|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(from(&[]).unwrap(), EngineSettings::default());
        let s = from(&[
            ("INDEX_EF_SEARCH", "96"),
            ("INDEX_CACHE_DIR", "off"),
            ("DECK_SIZE", "5000"),
        ])
        .unwrap();
        assert_eq!(s.index.ef_search, 96);
        assert_eq!(s.index_cache_dir, None);
        assert_eq!(s.deck_size, 5000);
    }

    #[test]
    fn service_settings_name_the_variable() {
        let m: HashMap<String, String> = [("N_PUBLIC", "0"), ("PORT", "8080")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let e = format!(
            "{:#}",
            Settings::from_lookup(&|k| m.get(k).cloned()).unwrap_err()
        );
        assert!(e.contains("N_PUBLIC"), "{e}");
        let s = Settings::from_lookup(&|k| (k == "PORT").then(|| "8080".to_string())).unwrap();
        assert_eq!(s.port, 8080);
        assert_eq!(s.match_defaults, MatchSettings::default());
        let e = format!(
            "{:#}",
            Settings::from_lookup(&|k| (k == "DIFFICULTY").then(|| "brutal".into())).unwrap_err()
        );
        assert!(e.contains("DIFFICULTY"), "{e}");
    }

    #[test]
    fn networks_contain_what_they_should() {
        let n: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.200.1.1".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(one.contains("::ffff:127.0.0.1".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        let e = format!(
            "{:#}",
            Settings::from_lookup(&|k| (k == "TRUSTED_PROXIES").then(|| "nope".into()))
                .unwrap_err()
        );
        assert!(e.contains("TRUSTED_PROXIES"), "{e}");
        let e = format!(
            "{:#}",
            Settings::from_lookup(&|k| (k == "ALLOWED_ORIGINS").then(|| "example.org".into()))
                .unwrap_err()
        );
        assert!(e.contains("ALLOWED_ORIGINS"), "{e}");
    }

    #[test]
    fn errors_name_the_variable() {
        let e = format!("{:#}", from(&[("INDEX_M", "lots")]).unwrap_err());
        assert!(e.contains("INDEX_M"), "{e}");
        let e = format!("{:#}", from(&[("DECK_SIZE", "5")]).unwrap_err());
        assert!(e.contains("DECK_SIZE"), "{e}");
    }

    /// Every name `Settings::from_lookup` asks for, with `set` answered as given.
    fn names_read(set: &[(&str, &str)]) -> std::collections::BTreeSet<String> {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let get = |k: &str| {
            asked.borrow_mut().insert(k.to_string());
            set.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        Settings::from_lookup(&get).expect("valid settings");
        asked.into_inner()
    }

    #[test]
    fn the_documented_variables_are_the_ones_the_code_reads() {
        // Some names are only read when another is set: set those too.
        let mut read = names_read(&[]);
        read.extend(names_read(&[
            ("RNG_SEED", "7"),
            ("DATABASE_URL", "postgres://h/db"),
            ("REDIS_URL", "redis://h:6379"),
            ("SENTRY_DSN", "https://key@o1.example.org/1"),
        ]));
        // The configuration file takes exactly these names (`.env.example` is its list).
        let example: std::collections::BTreeSet<String> = known_keys()
            .into_iter()
            .filter(|k| !ENVIRONMENT_ONLY.contains(k))
            .map(String::from)
            .collect();
        assert_eq!(
            example, read,
            ".env.example against the settings the code reads"
        );
        // An environment-only name in the file is refused, not silently ignored.
        for name in ENVIRONMENT_ONLY {
            let e = parse_config("f", &format!("{name}=x"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("only be set in the environment"), "{name}: {e}");
        }
        // The operator's table: every name the code reads, from the file or the environment.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc = std::fs::read_to_string(root.join("docs/operations.md")).unwrap();
        let documented: std::collections::BTreeSet<String> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once('`'))
            .map(|(name, _)| name.to_string())
            .filter(|name| {
                name.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            })
            .collect();
        let mut code = read.clone();
        code.extend(ENVIRONMENT_ONLY.iter().map(|s| s.to_string()));
        assert_eq!(
            documented, code,
            "docs/operations.md's table against the code"
        );
        // And the environment-only names are really read somewhere in the crate.
        let mut sources = String::new();
        for dir in ["src", "src/config"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "rs") {
                    sources.push_str(&std::fs::read_to_string(p).unwrap());
                }
            }
        }
        for name in ENVIRONMENT_ONLY {
            assert!(
                sources.contains(&format!("\"{name}\"")),
                "{name} is read nowhere"
            );
        }
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let secrets = [
            (
                "ADMIN_TOKEN",
                "admin-s3cret-token-0123456789",
                "admin-s3cret",
            ),
            (
                "DATABASE_URL",
                "postgres://u:pg-s3cret-pw@db.example.org/app",
                "pg-s3cret",
            ),
            (
                "REDIS_URL",
                "redis://:redis-s3cret-pw@cache.example.org:6379/0",
                "redis-s3cret",
            ),
            (
                "SENTRY_DSN",
                "https://sentrys3cretkey@o1.example.org/42",
                "sentrys3cret",
            ),
        ];
        let get = |k: &str| secrets.iter().find(|s| s.0 == k).map(|s| s.1.to_string());
        let s = Settings::from_lookup(&get).unwrap();
        let shown = format!("{s:?} {s:#?}");
        for (name, _, fragment) in secrets {
            assert!(!shown.contains(fragment), "{name} shows in Debug: {shown}");
        }
        assert!(shown.contains("[REDACTED]"));
        // The values are there for the code that uses them.
        assert_eq!(
            s.admin_token.as_ref().map(Secret::expose),
            Some(secrets[0].1)
        );
        assert_eq!(
            s.store.redis_url.as_ref().map(Secret::expose),
            Some(secrets[2].1)
        );
        assert_eq!(
            s.sentry.dsn.as_ref().map(Secret::expose),
            Some(secrets[3].1)
        );
        // An invalid secret is refused by name, without echoing it.
        let bad = |k: &str| (k == "REDIS_URL").then(|| "nope://redis-s3cret-pw".to_string());
        let e = format!("{:#}", Settings::from_lookup(&bad).unwrap_err());
        assert!(
            e.contains("REDIS_URL") && !e.contains("redis-s3cret"),
            "{e}"
        );
    }
}
