//! A secret setting (`ADMIN_TOKEN`, `DATABASE_URL`, `REDIS_URL`, `SENTRY_DSN`): held in a
//! [`secrecy::SecretString`] (zeroed when dropped), printed by `Debug` as `[REDACTED]`, and read
//! only through [`Secret::expose`], so no log line, error or `{:?}` of the settings shows it.

use secrecy::{ExposeSecret, SecretString};

#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(SecretString::from(value.into()))
    }

    /// The secret itself, for the one place that uses it (a connection, a comparison).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Settings compare equal when their secrets do (tests compare whole settings).
impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.expose() == other.expose()
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret::new(s)
    }
}
