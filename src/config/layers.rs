//! Layered configuration: built-in defaults < an optional file (`CONFIG_FILE`) < environment
//! variables.
//!
//! The file uses the same names as the environment, one `NAME=value` per line, exactly like
//! `.env.example` (which is a valid config file): blank lines and `#` comments are skipped, a
//! value ends at the first ` #`, may be quoted, and an empty value means "unset". A name the
//! service does not know (anything `.env.example` does not list) is an error naming the file and
//! line, so a typo never silently falls back to a default.

use anyhow::{bail, Context};
use std::collections::HashMap;
use std::path::Path;

/// `.env.example`, the documented list of every setting, built into the binary.
const ENV_EXAMPLE: &str = include_str!("../../.env.example");

/// Every setting name `.env.example` lists, set or commented out.
pub fn known_keys() -> Vec<&'static str> {
    ENV_EXAMPLE
        .lines()
        .filter_map(|line| {
            let line = line.trim_start_matches('#').trim();
            let (key, _) = line.split_once('=')?;
            is_key(key).then_some(key)
        })
        .collect()
}

fn is_key(key: &str) -> bool {
    key.len() > 1
        && key.starts_with(|c: char| c.is_ascii_uppercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Parse the text of a config file (`source` names it in errors).
pub fn parse_config(source: &str, text: &str) -> anyhow::Result<HashMap<String, String>> {
    let known = known_keys();
    let mut out = HashMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            bail!("{source} line {}: expected NAME=value, got {raw:?}", n + 1);
        };
        let key = key.trim();
        if !is_key(key) {
            bail!("{source} line {}: {key:?} is not a setting name", n + 1);
        }
        if super::ENVIRONMENT_ONLY.contains(&key) {
            // Read before (or apart from) the file: set there, it would be silently ignored.
            bail!(
                "{source} line {}: {key} can only be set in the environment",
                n + 1
            );
        }
        if !known.contains(&key) {
            bail!(
                "{source} line {}: unknown setting {key} (every setting is listed in .env.example)",
                n + 1
            );
        }
        let value =
            unquote(value.trim()).with_context(|| format!("{source} line {}: {key}", n + 1))?;
        if out.insert(key.to_string(), value).is_some() {
            bail!("{source} line {}: {key} is set twice", n + 1);
        }
    }
    Ok(out)
}

/// A value: `"…"` or `'…'` taken literally; otherwise up to a ` #` comment.
fn unquote(v: &str) -> anyhow::Result<String> {
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            let Some(end) = rest.find(q) else {
                bail!("unterminated quote");
            };
            let tail = rest[end + 1..].trim();
            if !(tail.is_empty() || tail.starts_with('#')) {
                bail!("unexpected text after the closing quote");
            }
            return Ok(rest[..end].to_string());
        }
    }
    if v.starts_with('#') {
        return Ok(String::new());
    }
    let v = match v.find(" #").or_else(|| v.find("\t#")) {
        Some(i) => &v[..i],
        None => v,
    };
    Ok(v.trim().to_string())
}

/// The process environment, with empty values treated as unset.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// A lookup of the environment `env` over the file named by its `CONFIG_FILE` (if any).
pub fn layered_lookup(
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<impl Fn(&str) -> Option<String> + use<'_>> {
    let file = match env("CONFIG_FILE") {
        None => HashMap::new(),
        Some(path) => {
            let text = std::fs::read_to_string(Path::new(&path))
                .with_context(|| format!("CONFIG_FILE={path:?} cannot be read"))?;
            parse_config(&format!("CONFIG_FILE {path}"), &text)?
        }
    };
    Ok(move |key: &str| env(key).or_else(|| file.get(key).filter(|v| !v.is_empty()).cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_a_valid_config_file_listing_every_setting() {
        let keys = known_keys();
        for k in [
            "MODEL_PATH",
            "PORT",
            "RATE_LIMIT_SOLVE_PER_MIN",
            "ADMIN_TOKEN",
        ] {
            assert!(keys.contains(&k), "{k} missing from .env.example");
        }
        let parsed = parse_config(".env.example", ENV_EXAMPLE).unwrap();
        assert_eq!(parsed["PORT"], "8000");
        assert_eq!(parsed["MODEL_PATH"], "models/glove-6B-50d-100k.wbm");
        assert_eq!(
            parsed["TRUSTED_PROXIES"], "",
            "an empty value is kept as unset"
        );
    }

    #[test]
    fn the_documented_defaults_are_the_real_defaults() {
        let file = parse_config(".env.example", ENV_EXAMPLE).unwrap();
        let documented = crate::config::Settings::from_lookup(&|k| {
            file.get(k).filter(|v| !v.is_empty()).cloned()
        })
        .unwrap();
        let built_in = crate::config::Settings::from_lookup(&|_| None).unwrap();
        assert_eq!(documented, built_in, ".env.example and the code disagree");
    }

    #[test]
    fn file_lines_are_checked_and_name_the_line() {
        let ok = parse_config("f", "# c\n\nexport PORT=9000 # comment\nBIND='0.0.0.0'\n").unwrap();
        assert_eq!(ok["PORT"], "9000");
        assert_eq!(ok["BIND"], "0.0.0.0");
        for (text, needle) in [
            ("PROT=9000", "unknown setting PROT"),
            ("PORT 9000", "line 1"),
            ("PORT=1\nPORT=2", "set twice"),
            ("BIND=\"0.0.0.0", "unterminated"),
            ("CONFIG_FILE=x", "only be set in the environment"),
        ] {
            let e = format!("{:#}", parse_config("f", text).unwrap_err());
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wb.env");
        std::fs::write(&path, "PORT=9001\nBIND=0.0.0.0\nN_PUBLIC=12\n").unwrap();
        let p = path.to_str().unwrap().to_string();
        let env = move |k: &str| match k {
            "CONFIG_FILE" => Some(p.clone()),
            "PORT" => Some("9002".to_string()),
            _ => None,
        };
        let get = layered_lookup(&env).unwrap();
        let s = crate::config::Settings::from_lookup(&get).unwrap();
        assert_eq!(s.port, 9002, "environment wins");
        assert_eq!(s.bind, "0.0.0.0", "file beats the default");
        assert_eq!(s.match_defaults.n_public, 12);
        assert_eq!(
            s.json_limit_bytes,
            16 * 1024,
            "default where neither sets it"
        );

        let missing = |k: &str| (k == "CONFIG_FILE").then(|| "/nonexistent/wb.env".to_string());
        let e = format!("{:#}", layered_lookup(&missing).err().unwrap());
        assert!(e.contains("CONFIG_FILE"), "{e}");
    }
}
