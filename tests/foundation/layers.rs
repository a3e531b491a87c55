//! The layers point one way: HTTP (`routes/`, `startup`) → use cases (`play/`) → the game's
//! rules (`game/`, `puzzles/`, `words/`) and the stores (`store/`) → the indexes (`index/`) →
//! the model (`embeddings/`). No layer below HTTP may name the web framework, the HTTP layer
//! or its error type, and none may name a layer above it: this reads every source file of
//! each layer and fails on the first such name, with its file and line.

use std::path::{Path, PathBuf};

/// Names no module below the HTTP layer may use (in code; comments may mention them).
const HTTP: &[&str] = &[
    "actix",
    "crate::routes",
    "crate::startup",
    "ApiError",
    "HttpResponse",
    "HttpRequest",
    "ProblemDoc",
    // The OpenAPI description is the HTTP contract's: routes/schemas.rs holds it.
    "utoipa",
];

/// Each layer, with the crate modules above it (which it must not name).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "embeddings",
        &[
            "index", "engine", "scoring", "game", "puzzles", "words", "store", "play",
        ],
    ),
    (
        "index",
        &[
            "engine", "scoring", "game", "puzzles", "words", "store", "play",
        ],
    ),
    ("game", &["puzzles", "words", "store", "play"]),
    ("puzzles", &["words", "store", "play"]),
    ("words", &["game", "puzzles", "store", "play"]),
    ("store", &["puzzles", "words", "play"]),
    ("play", &[]),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line: what comes before a `//` comment (string literals holding `//` are rare
/// enough in these modules not to matter; a false alarm would name its line).
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

fn violations(layer: &str, above: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let dir = root.join(layer);
    if dir.is_dir() {
        sources(&dir, &mut files);
    }
    let file = root.join(format!("{layer}.rs"));
    if file.is_file() {
        files.push(file);
    }
    assert!(!files.is_empty(), "no sources for layer {layer}");
    let forbidden: Vec<String> = HTTP
        .iter()
        .map(|s| s.to_string())
        .chain(above.iter().map(|m| format!("crate::{m}")))
        .collect();
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = code(line);
            for name in &forbidden {
                // `crate::game` must not match `crate::gamepad`: the name ends at a non-ident char.
                let hit = code.match_indices(name.as_str()).any(|(i, _)| {
                    !code[i + name.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if hit {
                    found.push(format!(
                        "{}:{}: names {name}: {}",
                        f.strip_prefix(&root).unwrap().display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn lower_layers_know_nothing_of_http_or_of_the_layers_above() {
    let found: Vec<String> = LAYERS
        .iter()
        .flat_map(|(layer, above)| violations(layer, above))
        .collect();
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_violation() {
    // The scanner itself: a line naming the HTTP error type is found, a comment is not.
    assert!(code("use crate::routes::problem::ApiError; // x").contains("ApiError"));
    assert!(!code("// ApiError in a comment").contains("ApiError"));
    // And the HTTP layer does name them, so the names above are the right ones to look for.
    let http = violations("routes", &[]);
    assert!(
        http.iter().any(|v| v.contains("actix")) && http.iter().any(|v| v.contains("ApiError")),
        "{http:?}"
    );
}
