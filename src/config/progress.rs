//! Where puzzle progress lives: Postgres (`DATABASE_URL`) or an SQLite file (`SQLITE_PATH`), and
//! the pool's limits.

use super::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// Where the SQLite file lives by default.
pub const DEFAULT_SQLITE_PATH: &str = "data/progress.db";

/// Which database, and how to talk to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressSettings {
    pub backend: BackendSettings,
    /// Pool size (`DATABASE_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// How long a call may wait for a connection, connecting included
    /// (`DATABASE_ACQUIRE_TIMEOUT_MS`); operations as a whole get three times this.
    pub acquire_timeout: Duration,
}

#[derive(Clone, PartialEq)]
pub enum BackendSettings {
    Postgres {
        url: Secret,
    },
    /// A file, or `:memory:` (kept only while the process runs).
    Sqlite {
        path: PathBuf,
    },
}

impl std::fmt::Debug for BackendSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URL may hold a password: never print it.
            BackendSettings::Postgres { .. } => write!(f, "Postgres"),
            BackendSettings::Sqlite { path } => write!(f, "Sqlite({})", path.display()),
        }
    }
}

impl ProgressSettings {
    pub fn sqlite(path: impl Into<PathBuf>) -> ProgressSettings {
        ProgressSettings {
            backend: BackendSettings::Sqlite { path: path.into() },
            max_connections: 16,
            acquire_timeout: Duration::from_millis(1000),
        }
    }

    pub fn postgres(url: impl Into<String>) -> ProgressSettings {
        ProgressSettings {
            backend: BackendSettings::Postgres {
                url: Secret::new(url),
            },
            ..ProgressSettings::sqlite(DEFAULT_SQLITE_PATH)
        }
    }

    /// `DATABASE_URL` (`postgres://`/`postgresql://`: Postgres; `sqlite:PATH`: that file;
    /// unset: SQLite at `SQLITE_PATH`), `DATABASE_MAX_CONNECTIONS`, `DATABASE_ACQUIRE_TIMEOUT_MS`.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<ProgressSettings> {
        let sqlite_path = get("SQLITE_PATH").unwrap_or_else(|| DEFAULT_SQLITE_PATH.into());
        let mut s = match get("DATABASE_URL") {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                ProgressSettings::postgres(url)
            }
            Some(url) if url.starts_with("sqlite:") => {
                let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
                ProgressSettings::sqlite(path)
            }
            Some(_) => anyhow::bail!(
                "DATABASE_URL must be a postgres:// or postgresql:// URL (or sqlite:PATH); \
                 leave it unset for the SQLite file at SQLITE_PATH"
            ),
            None => ProgressSettings::sqlite(sqlite_path),
        };
        let n = |name: &str, default: u64| -> anyhow::Result<u64> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a whole number")),
            }
        };
        s.max_connections = n("DATABASE_MAX_CONNECTIONS", s.max_connections as u64)? as u32;
        if !(1..=1000).contains(&s.max_connections) {
            anyhow::bail!("DATABASE_MAX_CONNECTIONS must be between 1 and 1000");
        }
        let ms = n("DATABASE_ACQUIRE_TIMEOUT_MS", 1000)?;
        if !(50..=60_000).contains(&ms) {
            anyhow::bail!("DATABASE_ACQUIRE_TIMEOUT_MS must be between 50 and 60000");
        }
        s.acquire_timeout = Duration::from_millis(ms);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<ProgressSettings> {
        let m: std::collections::HashMap<&str, &str> = pairs.iter().copied().collect();
        ProgressSettings::from_lookup(&|k| m.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn the_backend_follows_database_url() {
        assert_eq!(
            settings(&[]).unwrap().backend,
            BackendSettings::Sqlite {
                path: DEFAULT_SQLITE_PATH.into()
            }
        );
        assert_eq!(
            settings(&[("SQLITE_PATH", "/tmp/x.db")]).unwrap().backend,
            BackendSettings::Sqlite {
                path: "/tmp/x.db".into()
            }
        );
        for url in ["postgres://u@h/db", "postgresql://u:pw@h:5433/db"] {
            let s = settings(&[("DATABASE_URL", url)]).unwrap();
            assert_eq!(s.backend, ProgressSettings::postgres(url).backend);
            assert!(!format!("{s:?}").contains("pw"), "no password in logs");
        }
        assert_eq!(
            settings(&[("DATABASE_URL", "sqlite://data/p.db")])
                .unwrap()
                .backend,
            BackendSettings::Sqlite {
                path: "data/p.db".into()
            }
        );
        let e = settings(&[("DATABASE_URL", "mysql://h/db")]).unwrap_err();
        assert!(e.to_string().contains("DATABASE_URL"), "{e}");
        let e = settings(&[("DATABASE_MAX_CONNECTIONS", "0")]).unwrap_err();
        assert!(e.to_string().contains("DATABASE_MAX_CONNECTIONS"), "{e}");
    }
}
