//! Graceful shutdown: how long to keep serving, not ready, and how long in-flight requests may
//! take (`SHUTDOWN_DELAY_SECS`, `SHUTDOWN_TIMEOUT_SECS`).

use super::parse_var;

#[derive(Debug, Clone, PartialEq)]
pub struct ShutdownSettings {
    /// How long in-flight requests may take once the listener is closed.
    pub timeout_secs: u64,
    /// How long the instance keeps serving, not ready, before it stops accepting.
    pub delay_secs: u64,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        ShutdownSettings {
            timeout_secs: 30,
            delay_secs: 0,
        }
    }
}

impl ShutdownSettings {
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<ShutdownSettings> {
        let d = ShutdownSettings::default();
        let s = ShutdownSettings {
            timeout_secs: parse_var(get, "SHUTDOWN_TIMEOUT_SECS", d.timeout_secs)?,
            delay_secs: parse_var(get, "SHUTDOWN_DELAY_SECS", d.delay_secs)?,
        };
        if !(1..=3600).contains(&s.timeout_secs) {
            anyhow::bail!("SHUTDOWN_TIMEOUT_SECS must be between 1 and 3600");
        }
        if s.delay_secs > 600 {
            anyhow::bail!("SHUTDOWN_DELAY_SECS must be at most 600");
        }
        Ok(s)
    }
}
