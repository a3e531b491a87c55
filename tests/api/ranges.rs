//! Parse, don't validate, at the edge: a value of the right JSON type but out of its range is a
//! 422 `invalid_input` naming its field, on every route that takes a number; a value of the wrong
//! type (a word for a number, a fraction) is a 400 `bad_request`.

use crate::helpers::{assert_problem, spawn_app};
use serde_json::json;

#[tokio::test]
async fn out_of_range_numbers_are_422_with_their_field_and_wrong_types_400() {
    let app = spawn_app().await;
    let puzzle = "royal-promotion";
    // (method, path, body, field)
    let out_of_range: Vec<(&str, String, Option<serde_json::Value>, &str)> = vec![
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": -1})),
            "topn",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": 0})),
            "topn",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": 101})),
            "topn",
        ),
        (
            "GET",
            "/visualize/king?neighbors=-1".into(),
            None,
            "neighbors",
        ),
        (
            "GET",
            "/visualize/king?neighbors=51".into(),
            None,
            "neighbors",
        ),
        (
            "GET",
            "/visualize/move/king/queen?public_word=man&neighbors=-3".into(),
            None,
            "neighbors",
        ),
        (
            "POST",
            "/visualize".into(),
            Some(json!({"words": ["cat"], "neighbors": -2})),
            "neighbors",
        ),
        (
            "POST",
            "/visualize".into(),
            Some(json!({"words": vec!["cat"; 65]})),
            "words",
        ),
        (
            "GET",
            format!("/puzzle/{puzzle}/leaderboard?limit=-5"),
            None,
            "limit",
        ),
        (
            "GET",
            format!("/puzzle/{puzzle}/leaderboard?limit=101"),
            None,
            "limit",
        ),
        (
            "POST",
            "/match".into(),
            Some(json!({"name": "x", "settings": {"rounds": -1}})),
            "settings.rounds",
        ),
    ];
    for (method, path, body, field) in out_of_range {
        let r = match method {
            "GET" => app.get(&path, None).await,
            _ => app.post(&path, None, body.as_ref().unwrap()).await,
        };
        // Match settings keep their own code (API.md: `invalid_settings`).
        let code = if field.starts_with("settings.") {
            "invalid_settings"
        } else {
            "invalid_input"
        };
        let v = assert_problem(r, 422, code).await;
        assert_eq!(v["field"], field, "{method} {path}: {v}");
        assert!(
            !v["detail"].as_str().unwrap().contains("deserialize"),
            "{v}"
        );
    }
    let wrong_type: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": "ten"})),
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": 1.5})),
        ),
        ("GET", "/visualize/king?neighbors=lots".into(), None),
        (
            "GET",
            format!("/puzzle/{puzzle}/leaderboard?limit=ten"),
            None,
        ),
    ];
    for (method, path, body) in wrong_type {
        let r = match method {
            "GET" => app.get(&path, None).await,
            _ => app.post(&path, None, body.as_ref().unwrap()).await,
        };
        assert_problem(r, 400, "bad_request").await;
    }
}
