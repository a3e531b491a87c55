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

/// Errors in words: a body or query that does not parse names its field and what the field
/// expects (from the OpenAPI document), never the deserialiser's sentence ("invalid type:
/// floating point `1.5`, expected i64 at line 1 column 36"). One row per route that reads a
/// body or a query string.
#[tokio::test]
async fn malformed_input_names_its_field_and_what_it_expects_on_every_route() {
    let app = spawn_app().await;
    let puzzle = "royal-promotion";
    let submit = "/match/m/round/r/submit".to_string();
    // (method, path, body, status, field, the detail)
    type Row<'a> = (
        &'a str,
        String,
        Option<serde_json::Value>,
        u16,
        Option<&'a str>,
        &'a str,
    );
    let table: Vec<Row> = vec![
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": 1.5})),
            400,
            Some("topn"),
            "`topn` must be a whole number between 1 and 100, not the number 1.5",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king"], "topn": "ten"})),
            400,
            Some("topn"),
            "`topn` must be a whole number between 1 and 100, not the string \"ten\"",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["king", 3]})),
            400,
            Some("positive[1]"),
            "`positive[1]` must be a string, not the number 3",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"negative": []})),
            400,
            Some("positive"),
            "`positive` is required",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["a"], "exact": "yes"})),
            400,
            Some("exact"),
            "`exact` must be true or false, not the string \"yes\"",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!({"positive": ["a"], "topn": 18446744073709551615u64})),
            422,
            Some("topn"),
            "`topn` must be a whole number between 1 and 100",
        ),
        (
            "POST",
            "/analogy".into(),
            Some(json!([1, 2])),
            400,
            None,
            "the body must be a JSON object, not a list",
        ),
        (
            "POST",
            "/match".into(),
            Some(json!({"name": 7})),
            400,
            Some("name"),
            "`name` must be a string, not the number 7",
        ),
        (
            "POST",
            "/match".into(),
            Some(json!({"name": "x", "colour": "red"})),
            400,
            Some("colour"),
            "`colour` is not a field of the body",
        ),
        (
            "POST",
            "/match".into(),
            Some(json!({"name": "x", "settings": {"rounds": "many"}})),
            400,
            Some("settings.rounds"),
            "`settings.rounds` must be a whole number",
        ),
        (
            "POST",
            "/match".into(),
            Some(json!({"name": "x", "settings": {"speed": 1}})),
            400,
            Some("settings.speed"),
            "`settings.speed` is not a field",
        ),
        (
            "POST",
            "/match/m/join".into(),
            Some(json!({"player_name": ["a"]})),
            400,
            Some("player_name"),
            "`player_name` must be a string, not a list",
        ),
        (
            "POST",
            submit.clone(),
            Some(json!({"public_token": "a", "public_sign": 2,
            "private_token": "b", "private_sign": 1})),
            400,
            Some("public_sign"),
            "`public_sign` must be \"+\" or \"-\" (or 1 or -1), not 2",
        ),
        (
            "POST",
            submit,
            Some(json!({"public_token": "a", "public_sign": "+",
            "private_sign": 1})),
            400,
            Some("private_token"),
            "`private_token` is required",
        ),
        (
            "POST",
            format!("/puzzle/{puzzle}/solve"),
            Some(json!({"public_token": "a",
            "public_sign": 1, "private_token": null, "private_sign": 1})),
            400,
            Some("private_token"),
            "`private_token` must be a string, not null",
        ),
        (
            "POST",
            "/players".into(),
            Some(json!({"name": true})),
            400,
            Some("name"),
            "`name` must be a string, not true",
        ),
        (
            "POST",
            "/visualize".into(),
            Some(json!({"words": "cat"})),
            400,
            Some("words"),
            "`words` must be a list of strings, not the string \"cat\"",
        ),
        (
            "POST",
            "/visualize".into(),
            Some(json!({"neighbors": 2.5})),
            400,
            Some("neighbors"),
            "`neighbors` must be a whole number between 0 and 50, not the number 2.5",
        ),
        (
            "GET",
            "/puzzles?difficulty=extreme".into(),
            None,
            400,
            Some("difficulty"),
            "`difficulty` must be one of easy, medium, hard, not \"extreme\"",
        ),
        (
            "GET",
            format!("/puzzle/{puzzle}/leaderboard?limit=ten"),
            None,
            400,
            Some("limit"),
            "`limit` must be a whole number between 1 and 100",
        ),
        (
            "GET",
            format!("/puzzle/{puzzle}/leaderboard?limit=9223372036854775808"),
            None,
            422,
            Some("limit"),
            "`limit` must be a whole number between 1 and 100",
        ),
        (
            "GET",
            "/visualize/king?neighbors=1.5".into(),
            None,
            400,
            Some("neighbors"),
            "`neighbors` must be a whole number between 0 and 50",
        ),
        (
            "GET",
            "/visualize/king?colour=red".into(),
            None,
            400,
            Some("colour"),
            "`colour` is not a field of the query string",
        ),
        (
            "GET",
            "/visualize/move/king/queen?neighbors=x".into(),
            None,
            400,
            Some("neighbors"),
            "`neighbors` must be a whole number between 0 and 50",
        ),
        (
            "GET",
            "/match/m/events?last_event_id=-1".into(),
            None,
            400,
            Some("last_event_id"),
            "`last_event_id` must be a whole number",
        ),
        (
            "GET",
            "/puzzles/daily?date=2026-02-30".into(),
            None,
            422,
            Some("date"),
            "date must be a calendar date written YYYY-MM-DD (UTC)",
        ),
        (
            "POST",
            "/feedback".into(),
            Some(feedback("vote", json!("meh"))),
            400,
            Some("vote"),
            "`vote` must be one of more_fun, same, too_easy, odd, not \"meh\"",
        ),
        (
            "POST",
            "/feedback".into(),
            Some(feedback(
                "context",
                json!({"kind": "tournament", "id": "m1"}),
            )),
            400,
            Some("context.kind"),
            "`context.kind` must be one of match, puzzle, practice, not \"tournament\"",
        ),
        (
            "POST",
            "/feedback".into(),
            Some(feedback("words", json!([{"word": "crown", "sign": 2}]))),
            400,
            Some("words[0].sign"),
            "`words[0].sign` must be \"+\" or \"-\" (or 1 or -1), not 2",
        ),
    ];
    for (method, path, body, status, field, detail) in table {
        let r = match method {
            "GET" => app.get(&path, None).await,
            _ => app.post(&path, None, body.as_ref().unwrap()).await,
        };
        let code = if status == 400 {
            "bad_request"
        } else {
            "invalid_input"
        };
        let v = assert_problem(r, status, code).await;
        assert_eq!(v["field"].as_str(), field, "{method} {path}: {v}");
        let text = v["detail"].as_str().unwrap();
        assert!(
            text.starts_with(detail),
            "{method} {path}: {text:?} should start {detail:?}"
        );
        for parser_words in [
            "invalid type",
            "expected i64",
            "line 1",
            "deserialize",
            "variant",
        ] {
            assert!(!text.contains(parser_words), "{method} {path}: {text:?}");
        }
    }
    // A body that is not JSON at all says where it stops being JSON.
    let r = reqwest::Client::new()
        .post(app.url("/analogy"))
        .header("Content-Type", "application/json")
        .body("{\"positive\": [\"king\",}")
        .send()
        .await
        .unwrap();
    let v = assert_problem(r, 400, "bad_request").await;
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .starts_with("the body is not valid JSON (line 1, column"),
        "{v}"
    );
}

/// A valid feedback body with `key` replaced.
fn feedback(key: &str, value: serde_json::Value) -> serde_json::Value {
    let mut body = json!({"context": {"kind": "match", "id": "m1"}, "start": "king",
        "target": "queen", "words": [{"word": "crown", "sign": 1}], "vote": "same"});
    body[key] = value;
    body
}
