//! The catalogue files: the puzzle schema, reading `puzzles/*.json`, and the problems a
//! catalogue can have.

use crate::game::deal::Difficulty;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The literal in `allowed_cards` that lets a player use any deck word as one of the two cards.
pub const WILDCARD: &str = "WILDCARD";

/// One puzzle as written in a catalogue file. Unknown fields are an error (typos are caught).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PuzzleSpec {
    /// A stable slug: lowercase letters, digits and `-`, 1–64 characters.
    pub id: String,
    pub difficulty: Difficulty,
    pub name: String,
    pub description: String,
    pub start_word: String,
    pub target_word: String,
    /// Vocabulary words (matched case-insensitively), and optionally the literal `WILDCARD`.
    pub allowed_cards: Vec<String>,
    pub hint: String,
    /// A themed word list shown to players.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_vocab: Option<Vec<String>>,
    /// Fixed star thresholds; derived from the optimum when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stars_thresholds: Option<StarThresholds>,
    /// A fixed win threshold; derived from the optimum when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub win_threshold: Option<f32>,
}

/// The similarity a move needs for 1, 2 and 3 stars (`{"1": …, "2": …, "3": …}` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarThresholds {
    #[serde(rename = "1")]
    pub one: f32,
    #[serde(rename = "2")]
    pub two: f32,
    #[serde(rename = "3")]
    pub three: f32,
}

impl StarThresholds {
    pub fn as_array(&self) -> [f32; 3] {
        [self.one, self.two, self.three]
    }
}

/// A puzzle spec and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedSpec {
    pub source: PathBuf,
    pub spec: PuzzleSpec,
}

/// One thing wrong with the catalogue: where, which puzzle (when known), and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub source: PathBuf,
    /// The puzzle's id (or `#n` for an element without a readable id); `None` for a whole file.
    pub puzzle: Option<String>,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.puzzle {
            Some(p) => write!(f, "{}: puzzle {p}: {}", self.source.display(), self.kind),
            None => write!(f, "{}: {}", self.source.display(), self.kind),
        }
    }
}

/// What is wrong. Every variant leaves the puzzle (or the file) out; none stops the others.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemKind {
    #[error("cannot read the catalogue: {0}")]
    Unreadable(String),
    #[error("no puzzle files (*.json) found")]
    NoFiles,
    #[error("not valid JSON: {0}")]
    MalformedJson(String),
    #[error("a catalogue file must hold a JSON array of puzzles")]
    NotAnArray,
    #[error("not a valid puzzle: {0}")]
    BadPuzzle(String),
    #[error("id {0:?} is not a slug (1-64 of a-z, 0-9, '-')")]
    InvalidId(String),
    #[error("{0} is empty")]
    EmptyField(&'static str),
    #[error("duplicate id (already defined in {first})")]
    DuplicateId { first: String },
    #[error("{field} '{word}' is not in the vocabulary")]
    UnknownWord { field: &'static str, word: String },
    #[error("{field} '{word}' is an offensive word")]
    OffensiveWord { field: &'static str, word: String },
    #[error("the start word is the target word")]
    StartIsTarget,
    #[error("card '{word}' {reason}")]
    BadCard { word: String, reason: &'static str },
    #[error(
        "only {left} allowed cards left after removing the near-synonyms of the target \
         ({removed:?}); at least {min} are needed"
    )]
    TooFewCards {
        left: usize,
        min: usize,
        removed: Vec<String>,
    },
    #[error("the best move ({optimum:.3}) improves on the start word ({start:.3}) by less than {min_gain}")]
    NoImprovement {
        start: f32,
        optimum: f32,
        min_gain: f32,
    },
    #[error("thresholds: {0}")]
    BadThresholds(String),
}

/// Whether `id` is a slug: 1–64 characters of `a-z`, `0-9` and `-`, not starting or ending
/// with `-`.
pub fn is_slug(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Read every `*.json` file of `dir` (sorted by name). Never fails: an unreadable directory,
/// an unreadable or malformed file, or an element that is not a puzzle is a [`Problem`], and
/// everything else is returned.
pub fn read_dir(dir: &Path) -> (Vec<SourcedSpec>, Vec<Problem>) {
    let mut problems = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem {
                source: dir.to_path_buf(),
                puzzle: None,
                kind: ProblemKind::Unreadable(e.to_string()),
            });
            return (Vec::new(), problems);
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        problems.push(Problem {
            source: dir.to_path_buf(),
            puzzle: None,
            kind: ProblemKind::NoFiles,
        });
    }
    let mut specs = Vec::new();
    for path in files {
        let (s, p) = read_file(&path);
        specs.extend(s);
        problems.extend(p);
    }
    (specs, problems)
}

/// Read one catalogue file.
pub fn read_file(path: &Path) -> (Vec<SourcedSpec>, Vec<Problem>) {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_str(path, &text),
        Err(e) => (
            Vec::new(),
            vec![Problem {
                source: path.to_path_buf(),
                puzzle: None,
                kind: ProblemKind::Unreadable(e.to_string()),
            }],
        ),
    }
}

/// Parse the text of a catalogue file: a JSON array of puzzles. Each element is checked on
/// its own, so one bad puzzle does not hide the others.
pub fn parse_str(source: &Path, text: &str) -> (Vec<SourcedSpec>, Vec<Problem>) {
    let file_problem = |kind| Problem {
        source: source.to_path_buf(),
        puzzle: None,
        kind,
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                Vec::new(),
                vec![file_problem(ProblemKind::MalformedJson(e.to_string()))],
            )
        }
    };
    let serde_json::Value::Array(items) = value else {
        return (Vec::new(), vec![file_problem(ProblemKind::NotAnArray)]);
    };
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let label = item
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", i + 1));
        match serde_json::from_value::<PuzzleSpec>(item) {
            Ok(spec) => specs.push(SourcedSpec {
                source: source.to_path_buf(),
                spec,
            }),
            Err(e) => problems.push(Problem {
                source: source.to_path_buf(),
                puzzle: Some(label),
                kind: ProblemKind::BadPuzzle(e.to_string()),
            }),
        }
    }
    (specs, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["a", "fruit-salad", "x2-y3"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "Fruit", "a b", "é", &"a".repeat(65)] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn unknown_fields_and_bad_elements_are_problems_not_panics() {
        let text = r#"[
            {"id":"ok","difficulty":"easy","name":"n","description":"d","start_word":"a",
             "target_word":"b","allowed_cards":["c"],"hint":"h"},
            {"id":"typo","difficulty":"easy","name":"n","description":"d","start_word":"a",
             "target_word":"b","allowed_cards":["c"],"hnt":"h"},
            {"difficulty":"impossible"}
        ]"#;
        let (specs, problems) = parse_str(Path::new("x.json"), text);
        assert_eq!(specs.len(), 1);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].puzzle.as_deref(), Some("typo"));
        assert!(problems[0].to_string().contains("hnt"), "{}", problems[0]);
        assert_eq!(problems[1].puzzle.as_deref(), Some("#3"));
        let (specs, problems) = parse_str(Path::new("y.json"), "[{");
        assert!(specs.is_empty());
        assert!(matches!(problems[0].kind, ProblemKind::MalformedJson(_)));
        assert!(problems[0].to_string().starts_with("y.json: "));
        let (_, problems) = parse_str(Path::new("z.json"), "{}");
        assert_eq!(problems[0].kind, ProblemKind::NotAnArray);
    }

    #[test]
    fn thresholds_use_the_api_keys() {
        let t: StarThresholds = serde_json::from_str(r#"{"1":0.5,"2":0.6,"3":0.7}"#).unwrap();
        assert_eq!(t.as_array(), [0.5, 0.6, 0.7]);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"1":0.5,"2":0.6,"3":0.7}"#
        );
    }
}
