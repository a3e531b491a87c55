//! Settings of the model and index, from the environment, validated with messages that name
//! the variable. (The HTTP settings arrive with the match service.)

use crate::embeddings::deck::DEFAULT_DECK_SIZE;
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
    fn errors_name_the_variable() {
        let e = format!("{:#}", from(&[("INDEX_M", "lots")]).unwrap_err());
        assert!(e.contains("INDEX_M"), "{e}");
        let e = format!("{:#}", from(&[("DECK_SIZE", "5")]).unwrap_err());
        assert!(e.contains("DECK_SIZE"), "{e}");
    }
}
