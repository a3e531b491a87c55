//! Settings from the environment, validated at startup with messages that name the variable.

use crate::embeddings::deck::DEFAULT_DECK_SIZE;
use crate::game::deal::Difficulty;
use crate::game::matches::{MatchSettings, SettingsInput};
use crate::index::IndexParams;
use anyhow::{bail, Context};
use std::path::PathBuf;

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
fn parse_var<T: std::str::FromStr>(
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
    /// From the process environment.
    pub fn from_env() -> anyhow::Result<EngineSettings> {
        Self::from_lookup(&|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
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
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        Self::from_lookup(&|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let engine = EngineSettings::from_lookup(get)?;
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
        let match_defaults = input.resolve(&d).map_err(|e| {
            let var = match e.field.as_deref() {
                Some("settings.N_public") => "N_PUBLIC",
                Some("settings.M_private") => "M_PRIVATE",
                Some("settings.wildcard_ratio") => "WILDCARD_RATIO",
                Some("settings.timeout_secs") => "ROUND_TIMEOUT_SECS",
                Some("settings.rounds") => "ROUNDS",
                Some("settings.max_players") => "MAX_PLAYERS",
                _ => "a match setting",
            };
            anyhow::anyhow!("{var}: {}", e.detail)
        })?;
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
        };
        if s.bind.parse::<std::net::IpAddr>().is_err() {
            bail!("BIND={:?} is not an IP address", s.bind);
        }
        if !(1..=3600).contains(&s.snapshot_interval_secs) {
            bail!("SNAPSHOT_INTERVAL_SECS must be between 1 and 3600");
        }
        if !(256..=16 * 1024 * 1024).contains(&s.json_limit_bytes) {
            bail!("JSON_LIMIT_BYTES must be between 256 and 16777216");
        }
        Ok(s)
    }
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
            ("INDEX_EF_SEARCH", "128"),
            ("INDEX_CACHE_DIR", "off"),
            ("DECK_SIZE", "5000"),
        ])
        .unwrap();
        assert_eq!(s.index.ef_search, 128);
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
    fn errors_name_the_variable() {
        let e = format!("{:#}", from(&[("INDEX_M", "lots")]).unwrap_err());
        assert!(e.contains("INDEX_M"), "{e}");
        let e = format!("{:#}", from(&[("DECK_SIZE", "5")]).unwrap_err());
        assert!(e.contains("DECK_SIZE"), "{e}");
    }
}
