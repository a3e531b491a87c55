//! The name filter over two lists (issue 20): ordinary player names, which it must accept
//! (fewer than 0.5 % refused), and obscenities, slurs and their disguises, which it must all
//! refuse as inappropriate. The lists are `tests/data/names/{ordinary,refused}.txt`; their
//! headers say how they were made.

use std::path::Path;
use word_bocce::game::{GameError, Name};

/// The names in a list: one per line, blank lines and `#` comments skipped.
fn names(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/names")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn ordinary_names_are_accepted() {
    let names = names("ordinary.txt");
    assert!(
        names.len() >= 1200,
        "ordinary.txt has {} names",
        names.len()
    );
    let refused: Vec<String> = names
        .iter()
        .filter_map(|n| {
            Name::parse(n, "name")
                .err()
                .map(|e| format!("{n:?}: {e:?}"))
        })
        .collect();
    let rate = refused.len() as f64 / names.len() as f64;
    eprintln!(
        "ordinary names refused: {} of {} ({:.2} %)",
        refused.len(),
        names.len(),
        100.0 * rate
    );
    assert!(
        rate < 0.005,
        "{} of {} ordinary names refused ({:.2} %, limit 0.5 %):\n{}",
        refused.len(),
        names.len(),
        100.0 * rate,
        refused.join("\n")
    );
}

#[test]
fn listed_slurs_and_their_disguises_are_refused() {
    let names = names("refused.txt");
    assert!(names.len() >= 100, "refused.txt has {} names", names.len());
    let passed: Vec<String> = names
        .iter()
        .filter_map(|n| match Name::parse(n, "name") {
            Err(GameError::InappropriateName { .. }) => None,
            other => Some(format!("{n:?}: {other:?}")),
        })
        .collect();
    assert!(
        passed.is_empty(),
        "{} of {} listed names not refused as inappropriate:\n{}",
        passed.len(),
        names.len(),
        passed.join("\n")
    );
}
