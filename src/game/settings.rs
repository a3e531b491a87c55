//! A match's settings: what the host may choose, each within its range.

use super::deal::Difficulty;
use super::GameError;
use serde::{Deserialize, Serialize};

/// Match settings as the API names them; every field optional on input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchSettings {
    #[serde(rename = "N_public")]
    pub n_public: usize,
    #[serde(rename = "M_private")]
    pub m_private: usize,
    pub wildcard_ratio: f64,
    pub timeout_secs: u64,
    pub rounds: usize,
    pub max_players: usize,
    pub difficulty: Difficulty,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            n_public: 10,
            m_private: 2,
            wildcard_ratio: 0.2,
            timeout_secs: 120,
            rounds: 5,
            max_players: 8,
            difficulty: Difficulty::Medium,
        }
    }
}

/// Settings as sent: any subset, unknown fields rejected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    #[serde(rename = "N_public")]
    pub n_public: Option<i64>,
    #[serde(rename = "M_private")]
    pub m_private: Option<i64>,
    pub wildcard_ratio: Option<f64>,
    pub timeout_secs: Option<i64>,
    pub rounds: Option<i64>,
    pub max_players: Option<i64>,
    pub difficulty: Option<Difficulty>,
}

impl SettingsInput {
    /// Fill from `defaults` and check every range (a [`GameError::InvalidSettings`] naming the field).
    pub fn resolve(&self, defaults: &MatchSettings) -> Result<MatchSettings, GameError> {
        fn range(
            v: Option<i64>,
            d: usize,
            lo: i64,
            hi: i64,
            name: &str,
        ) -> Result<usize, GameError> {
            match v {
                None => Ok(d),
                Some(x) if (lo..=hi).contains(&x) => Ok(x as usize),
                Some(x) => Err(GameError::InvalidSettings {
                    field: format!("settings.{name}"),
                    detail: format!("{name} must be between {lo} and {hi}, got {x}"),
                }),
            }
        }
        let wildcard_ratio = match self.wildcard_ratio {
            None => defaults.wildcard_ratio,
            Some(x) if (0.0..=1.0).contains(&x) => x,
            Some(x) => {
                return Err(GameError::InvalidSettings {
                    field: "settings.wildcard_ratio".into(),
                    detail: format!("wildcard_ratio must be between 0 and 1, got {x}"),
                })
            }
        };
        Ok(MatchSettings {
            n_public: range(self.n_public, defaults.n_public, 1, 30, "N_public")?,
            m_private: range(self.m_private, defaults.m_private, 1, 10, "M_private")?,
            wildcard_ratio,
            timeout_secs: range(
                self.timeout_secs,
                defaults.timeout_secs as usize,
                10,
                3600,
                "timeout_secs",
            )? as u64,
            rounds: range(self.rounds, defaults.rounds, 1, 50, "rounds")?,
            max_players: range(self.max_players, defaults.max_players, 1, 32, "max_players")?,
            difficulty: self.difficulty.unwrap_or(defaults.difficulty),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_ranges_name_the_field() {
        let d = MatchSettings::default();
        assert_eq!(SettingsInput::default().resolve(&d).unwrap(), d);
        let e = SettingsInput {
            n_public: Some(31),
            ..Default::default()
        }
        .resolve(&d)
        .unwrap_err();
        assert!(
            matches!(&e, GameError::InvalidSettings { field, .. } if field == "settings.N_public"),
            "{e:?}"
        );
        let e = SettingsInput {
            wildcard_ratio: Some(1.5),
            ..Default::default()
        }
        .resolve(&d)
        .unwrap_err();
        assert!(
            matches!(&e, GameError::InvalidSettings { field, .. } if field == "settings.wildcard_ratio"),
            "{e:?}"
        );
    }
}
