//! Practice courts and free throws (API.md "Practice, free throws and feedback").

use crate::helpers::{assert_problem, spawn_app};
use serde_json::{json, Value};

async fn open(app: &crate::helpers::TestApp, body: Value) -> Value {
    let r = app.post("/practice", None, &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn throw_path(court: &Value) -> String {
    format!("/practice/{}/throw", court["court_id"].as_str().unwrap())
}

#[tokio::test]
async fn a_court_is_dealt_the_same_from_its_id_on_any_instance() {
    let (a, b) = (spawn_app().await, spawn_app().await);
    let court = open(&a, json!({"difficulty": "hard", "seed": "monday"})).await;
    assert_eq!(court["difficulty"], "hard");
    assert_eq!(court["public_cards"].as_array().unwrap().len(), 10);
    let private = court["private_cards"].as_array().unwrap();
    assert_eq!(private.len(), 2);
    assert!(private.iter().all(|c| c != "JOKER"));
    // The same seed, the same court; another seed, another court; no seed, a random one.
    assert_eq!(
        open(&b, json!({"difficulty": "hard", "seed": "monday"})).await,
        court
    );
    let other = open(&a, json!({"difficulty": "hard", "seed": "tuesday"})).await;
    assert_ne!(other["court_id"], court["court_id"]);
    let random = open(&a, json!({})).await;
    assert_eq!(random["difficulty"], "medium");
    assert!(random["court_id"].as_str().unwrap().starts_with("medium-"));

    // Instance b never saw `court` opened by id: a throw there deals it from the id alone,
    // and scores exactly as on a.
    let mv = json!({"public_token": court["public_cards"][0], "public_sign": "+",
        "private_token": court["private_cards"][0], "private_sign": "-"});
    let on_a: Value = a
        .post(&throw_path(&court), None, &mv)
        .await
        .json()
        .await
        .unwrap();
    let fresh = spawn_app().await;
    let r = fresh.post(&throw_path(&court), None, &mv).await;
    assert_eq!(r.status(), 200);
    let on_fresh: Value = r.json().await.unwrap();
    assert_eq!(on_a, on_fresh);
}

#[tokio::test]
async fn a_throw_is_scored_with_its_tier_and_measured_against_par() {
    let app = spawn_app().await;
    let court = open(&app, json!({"seed": "par please"})).await;
    // Any number of throws: every legal one is scored, never above par by rank.
    let mut best_of_par = 0.0f64;
    let mut par: Option<Value> = None;
    for p in court["public_cards"].as_array().unwrap().iter().take(4) {
        for q in court["private_cards"].as_array().unwrap() {
            let mv = json!({"public_token": p, "public_sign": 1, "private_token": q, "private_sign": "+"});
            let r = app.post(&throw_path(&court), None, &mv).await;
            assert_eq!(r.status(), 200);
            let t: Value = r.json().await.unwrap();
            let rank = t["rank"].as_u64().unwrap();
            let tier = t["tier"].as_str().unwrap();
            let expected = match rank {
                1 => "bacio",
                2..=10 => "close",
                11..=100 => "in_the_hunt",
                101..=1000 => "wide",
                _ => "long_way_off",
            };
            assert_eq!(tier, expected);
            let of_par = t["of_par"].as_f64().unwrap();
            assert!(of_par >= 0.0);
            let sim = t["similarity"].as_f64().unwrap();
            let par_sim = t["par"]["similarity"].as_f64().unwrap();
            if sim <= par_sim {
                assert!(of_par <= 1.0 + 1e-6, "{t}");
            }
            let shares: f64 = t["contributions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["share"].as_f64().unwrap())
                .sum();
            assert!((shares - sim).abs() < 1e-4, "{t}");
            best_of_par = best_of_par.max(of_par);
            par = Some(t["par"].clone());
        }
    }
    // Throwing par's own move: its rank and similarity, of_par 1.
    let par = par.unwrap();
    let r = app.post(&throw_path(&court), None, &par["move"]).await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["rank"], par["rank"]);
    assert!((t["of_par"].as_f64().unwrap() - 1.0).abs() < 1e-5, "{t}");
    assert!(best_of_par <= 1.0 || par["similarity"].as_f64().unwrap() < 1.0);
}

#[tokio::test]
async fn courts_and_throws_refuse_what_is_not_theirs() {
    let app = spawn_app().await;
    let court = open(&app, json!({"seed": "rules"})).await;
    let (p, q) = (&court["public_cards"][0], &court["private_cards"][0]);
    let path = throw_path(&court);
    let r = app
        .post(&path, None, &json!({"public_token": q, "public_sign": "+", "private_token": q, "private_sign": "+"}))
        .await;
    let v = assert_problem(r, 422, "not_a_public_card").await;
    assert_eq!(v["field"], "public_token");
    let r = app
        .post(&path, None, &json!({"public_token": p, "public_sign": "+", "private_token": "JOKER", "private_sign": "+"}))
        .await;
    let v = assert_problem(r, 422, "not_your_card").await;
    assert_eq!(v["field"], "private_token");
    let r = app
        .post(&path, None, &json!({"public_token": p, "public_sign": "*", "private_token": q, "private_sign": "+"}))
        .await;
    assert_problem(r, 400, "bad_request").await;
    for bad in ["medium-nothex", "brutal-0000000000000001", "x"] {
        let r = app
            .post(&format!("/practice/{bad}/throw"), None, &json!({"public_token": p, "public_sign": "+", "private_token": q, "private_sign": "+"}))
            .await;
        assert_problem(r, 404, "unknown_court").await;
    }
    let r = app
        .post("/practice", None, &json!({"difficulty": "brutal"}))
        .await;
    assert_problem(r, 400, "bad_request").await;
    let r = app
        .post("/practice", None, &json!({"seed": "x".repeat(101)}))
        .await;
    let v = assert_problem(r, 422, "invalid_input").await;
    assert_eq!(v["field"], "seed");
    // Words are matched case-insensitively, as everywhere.
    let upper = p.as_str().unwrap().to_uppercase();
    let r = app
        .post(&path, None, &json!({"public_token": upper, "public_sign": "+", "private_token": q, "private_sign": "+"}))
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_free_throw_scores_any_words() {
    let app = spawn_app().await;
    let body = json!({"start": "King", "target": "queen",
        "words": [{"word": "man", "sign": -1}, {"word": "woman", "sign": 1}]});
    let r = app.post("/score", None, &body).await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert!(t["rank"].as_u64().unwrap() <= 10, "{t}");
    assert!(["bacio", "close"].contains(&t["tier"].as_str().unwrap()));
    let words: Vec<&str> = t["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["word"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["king", "man", "woman"]);
    // One word is enough.
    let r = app
        .post(
            "/score",
            None,
            &json!({"start": "fruit", "target": "wine", "words": [{"word": "grape", "sign": "+"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let too_many = json!({"start": "king", "target": "queen", "words":
        [{"word": "a", "sign": 1}, {"word": "b", "sign": 1}, {"word": "c", "sign": 1}, {"word": "d", "sign": 1}]});
    let v = assert_problem(
        app.post("/score", None, &too_many).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(v["field"], "words");
    let none = json!({"start": "king", "target": "queen", "words": []});
    assert_problem(app.post("/score", None, &none).await, 422, "invalid_input").await;
    let unknown = json!({"start": "king", "target": "queen",
        "words": [{"word": "man", "sign": 1}, {"word": "xyzzyq", "sign": 1}]});
    let v = assert_problem(
        app.post("/score", None, &unknown).await,
        422,
        "word_not_in_vocabulary",
    )
    .await;
    assert_eq!(v["field"], "words[1].word");
    let cancels =
        json!({"start": "king", "target": "queen", "words": [{"word": "king", "sign": -1}]});
    assert_problem(
        app.post("/score", None, &cancels).await,
        422,
        "invalid_move",
    )
    .await;
    let bad_sign =
        json!({"start": "king", "target": "queen", "words": [{"word": "man", "sign": 2}]});
    assert_problem(
        app.post("/score", None, &bad_sign).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn throws_with_a_profile_token_count_in_the_profile() {
    let app = spawn_app().await;
    let me: Value = app
        .post("/players", None, &json!({"name": "Pia"}))
        .await
        .json()
        .await
        .unwrap();
    let token = me["token"].as_str().unwrap();
    let mut best = Vec::new();
    for seed in ["one", "two"] {
        let court = open(&app, json!({"seed": seed})).await;
        let mut court_best = 0f64;
        for q in court["private_cards"].as_array().unwrap() {
            let mv = json!({"public_token": court["public_cards"][0], "public_sign": "+", "private_token": q, "private_sign": "+"});
            let r = app.post(&throw_path(&court), Some(token), &mv).await;
            assert_eq!(r.status(), 200);
            let t: Value = r.json().await.unwrap();
            court_best = court_best.max(t["of_par"].as_f64().unwrap());
        }
        best.push(court_best);
    }
    let me: Value = app
        .get("/players/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    let practice = &me["practice"];
    assert_eq!(
        (practice["courts"].as_u64(), practice["throws"].as_u64()),
        (Some(2), Some(4)),
        "{me}"
    );
    let mean = (best[0] + best[1]) / 2.0;
    assert!(
        (practice["best_of_par_mean"].as_f64().unwrap() - mean).abs() < 1e-5,
        "{practice} vs {mean}"
    );
    // An unknown token is refused, and nothing is counted for it.
    let court = open(&app, json!({"seed": "one"})).await;
    let mv = json!({"public_token": court["public_cards"][0], "public_sign": "+", "private_token": court["private_cards"][0], "private_sign": "+"});
    let r = app
        .post(&throw_path(&court), Some("not-a-token"), &mv)
        .await;
    assert_problem(r, 401, "invalid_token").await;
}

#[tokio::test]
async fn a_counted_throw_is_503_while_the_database_is_down_and_an_anonymous_one_is_not() {
    use crate::puzzles::{postgres_behind_a_proxy, settings_with};
    let (_db, proxy, progress) = postgres_behind_a_proxy().await;
    let app = crate::helpers::spawn_with(settings_with(progress), None).await;
    let me: Value = app
        .post("/players", None, &json!({"name": "Pia"}))
        .await
        .json()
        .await
        .unwrap();
    let token = me["token"].as_str().unwrap();
    let court = open(&app, json!({"seed": "down"})).await;
    let mv = json!({"public_token": court["public_cards"][0], "public_sign": "+", "private_token": court["private_cards"][0], "private_sign": "+"});
    assert_eq!(
        app.post(&throw_path(&court), Some(token), &mv)
            .await
            .status(),
        200
    );
    proxy.cut();
    let r = app.post(&throw_path(&court), Some(token), &mv).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "progress_unavailable").await;
    // Practice without a profile needs no database.
    assert_eq!(app.post(&throw_path(&court), None, &mv).await.status(), 200);
    proxy.restore();
    let mut counted = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let r = app.get("/players/me", Some(token)).await;
        if r.status() == 200 {
            counted = Some(r.json::<Value>().await.unwrap()["practice"]["throws"].clone());
            break;
        }
    }
    assert_eq!(
        counted,
        Some(json!(1)),
        "only the throw answered 200 was counted"
    );
}
