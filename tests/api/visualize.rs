//! The visualise endpoints: shapes, the move's path, bounds, errors, the rate limit.

use crate::helpers::{assert_problem, spawn_app, spawn_with, test_settings};
use serde_json::{json, Value};

fn points(v: &Value) -> &Vec<Value> {
    v["points"].as_array().expect("points")
}

fn of_type<'a>(v: &'a Value, t: &str) -> Vec<&'a Value> {
    points(v).iter().filter(|p| p["type"] == t).collect()
}

fn assert_variance(v: &Value) {
    let ve: Vec<f64> = v["variance_explained"]
        .as_array()
        .expect("variance_explained is an array")
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(ve.len(), 2, "{v}");
    assert!(ve.iter().all(|x| (0.0..=1.0).contains(x)), "{ve:?}");
    assert!(ve[0] >= ve[1], "descending: {ve:?}");
    assert!(ve[0] + ve[1] <= 1.0 + 1e-5, "{ve:?}");
    for p in points(v) {
        assert!(p["x"].as_f64().unwrap().is_finite() && p["y"].as_f64().unwrap().is_finite());
    }
}

#[tokio::test]
async fn a_word_and_its_neighbours() {
    let app = spawn_app().await;
    let r = app.get("/visualize/King?neighbors=12", None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let words = of_type(&v, "word");
    assert_eq!(words.len(), 1);
    assert_eq!(words[0]["word"], "king", "looked up case-insensitively");
    let neighbours = of_type(&v, "neighbor");
    assert_eq!(neighbours.len(), 12, "{v}");
    let names: Vec<&str> = neighbours
        .iter()
        .map(|p| p["word"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"queen") || names.contains(&"prince"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"king"),
        "the word is not its own neighbour"
    );
    // Similarities to the word, best first, as the index found them.
    let sims: Vec<f64> = neighbours
        .iter()
        .map(|p| p["similarity"].as_f64().unwrap())
        .collect();
    assert!(sims.windows(2).all(|w| w[0] >= w[1]), "{sims:?}");
    assert!(v["intermediate_steps"].as_array().unwrap().is_empty());
    assert_variance(&v);

    // Default count, and none at all (one point: no variance, no panic).
    let v: Value = app.get("/visualize/king", None).await.json().await.unwrap();
    assert_eq!(of_type(&v, "neighbor").len(), 10);
    let v: Value = app
        .get("/visualize/king?neighbors=0", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(points(&v).len(), 1);
    assert_eq!(v["variance_explained"], json!([0.0, 0.0]));
}

#[tokio::test]
async fn a_move_is_drawn_with_its_ball_and_path() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/visualize/move/king/queen?public_word=woman&public_sign=%2B&private_word=man&private_sign=-&neighbors=5",
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    for (t, w) in [
        ("start", "king"),
        ("target", "queen"),
        ("public", "woman"),
        ("private", "man"),
    ] {
        let p = of_type(&v, t);
        assert_eq!(p.len(), 1, "{t}: {v}");
        assert_eq!(p[0]["word"], w);
    }
    let ball = of_type(&v, "result");
    assert_eq!(ball.len(), 1);
    assert_eq!(ball[0]["word"], "king + woman - man");
    assert_eq!(of_type(&v, "neighbor").len(), 5);
    // The ball lands nearer the queen than the king does.
    let sim = |p: &Value| p["similarity"].as_f64().unwrap();
    assert!(sim(ball[0]) > sim(of_type(&v, "start")[0]));
    assert!((sim(of_type(&v, "target")[0]) - 1.0).abs() < 1e-4);

    // start → start + woman → ball, the ends on the start and ball points.
    let steps = v["intermediate_steps"].as_array().unwrap();
    let labels: Vec<&str> = steps.iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["king", "king + woman", "king + woman - man"]);
    let at = |p: &Value| (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap());
    assert_eq!(at(&steps[0]), at(of_type(&v, "start")[0]));
    assert_eq!(at(&steps[2]), at(ball[0]));
    assert!(steps.iter().all(|s| s["similarity"].is_number()));
    // The target is drawn to the upper right of the start.
    let (s, t) = (at(of_type(&v, "start")[0]), at(of_type(&v, "target")[0]));
    assert!(t.0 >= s.0 && t.1 >= s.1, "{s:?} {t:?}");
    assert_variance(&v);

    // A bare '+' in a query decodes to a space: still plus. No cards: no ball, no steps.
    let v: Value = app
        .get(
            "/visualize/move/king/queen?public_word=woman&public_sign=+",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(of_type(&v, "result")[0]["word"], "king + woman");
    let v: Value = app
        .get("/visualize/move/king/queen", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(of_type(&v, "result").is_empty());
    assert!(v["intermediate_steps"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn post_places_words_and_a_move() {
    let app = spawn_app().await;
    let body = json!({
        "words": ["apple", "banana", "apple", "car"],
        "start_word": "paris", "target_word": "berlin", "result_word": "germany",
        "public_card": "france", "public_sign": "-", "private_card": "germany", "private_sign": 1,
        "neighbors": 3
    });
    let r = app.post("/visualize", None, &body).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    // Duplicates collapse; a word keeps its first role (germany is the private card).
    let words: Vec<&str> = of_type(&v, "word")
        .iter()
        .map(|p| p["word"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["apple", "banana", "car"]);
    assert!(of_type(&v, "nearest").is_empty());
    assert_eq!(of_type(&v, "private")[0]["word"], "germany");
    assert_eq!(of_type(&v, "result")[0]["word"], "paris - france + germany");
    assert_eq!(of_type(&v, "neighbor").len(), 3);
    assert_eq!(v["intermediate_steps"].as_array().unwrap().len(), 3);
    assert_variance(&v);

    // Two points only.
    let v: Value = app
        .post(
            "/visualize",
            None,
            &json!({"words": ["cat", "dog"], "neighbors": 0}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(points(&v).len(), 2);
    assert!((v["variance_explained"][0].as_f64().unwrap() - 1.0).abs() < 1e-4);
    assert_variance(&v);
}

#[tokio::test]
async fn bad_input_gets_clear_4xx() {
    let app = spawn_app().await;
    let v = assert_problem(
        app.get("/visualize/kingg", None).await,
        422,
        "word_not_in_vocabulary",
    )
    .await;
    assert_eq!(v["field"], "word");
    assert!(
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "king"),
        "{v}"
    );
    let v = assert_problem(
        app.get("/visualize/move/king/queen?private_word=xqzzyv", None)
            .await,
        422,
        "word_not_in_vocabulary",
    )
    .await;
    assert_eq!(v["field"], "private_word");
    let v = assert_problem(
        app.get("/visualize/move/kingg/queen", None).await,
        422,
        "word_not_in_vocabulary",
    )
    .await;
    assert_eq!(v["field"], "start");
    let v = assert_problem(
        app.get("/visualize/king?neighbors=51", None).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(v["field"], "neighbors");
    assert_problem(
        app.get("/visualize/king?neighbors=lots", None).await,
        400,
        "bad_request",
    )
    .await;
    let v = assert_problem(
        app.get(
            "/visualize/move/king/queen?public_word=woman&public_sign=times",
            None,
        )
        .await,
        400,
        "bad_request",
    )
    .await;
    assert_eq!(v["field"], "public_sign");
    let many: Vec<String> = (0..65).map(|_| "cat".to_string()).collect();
    let v = assert_problem(
        app.post("/visualize", None, &json!({ "words": many }))
            .await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(v["field"], "words");
    assert_problem(
        app.post("/visualize", None, &json!({})).await,
        422,
        "invalid_input",
    )
    .await;
    let v = assert_problem(
        app.post("/visualize", None, &json!({"words": ["cat", "zzqxv"]}))
            .await,
        422,
        "word_not_in_vocabulary",
    )
    .await;
    assert_eq!(v["field"], "words[1]");
    assert_problem(
        app.post("/visualize", None, &json!({"wordz": ["cat"]}))
            .await,
        400,
        "bad_request",
    )
    .await;
    // A move that cancels out has nothing to draw: the same code as everywhere a move cancels.
    assert_problem(
        app.get(
            "/visualize/move/king/queen?public_word=king&public_sign=-",
            None,
        )
        .await,
        422,
        "invalid_move",
    )
    .await;
}

#[tokio::test]
async fn the_visualisation_class_is_rate_limited() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    s.rate_limits.visualize = 3;
    let app = spawn_with(s, None).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/visualize/king?neighbors=1", None).await.status(),
            200
        );
    }
    // The three routes share one quota.
    let r = app
        .post(
            "/visualize",
            None,
            &json!({"words": ["cat"], "neighbors": 0}),
        )
        .await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let app = spawn_app().await;
    let v: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for path in [
        "/visualize/{word}",
        "/visualize/move/{start}/{target}",
        "/visualize",
    ] {
        assert!(v["paths"][path].is_object(), "{path} missing");
    }
    assert!(v["components"]["schemas"]["Visualization"].is_object());
}
