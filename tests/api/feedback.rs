//! `POST /feedback` and `GET /admin/feedback`, on Postgres and on an SQLite file: stored before
//! the 201, listed newest first, refused whole when a rule is broken or the store is down.
use crate::helpers::{assert_problem, spawn_with, spawn_with_clock, test_settings, TestApp};
use crate::puzzles::{get_json, postgres_behind_a_proxy, settings_with, TestDb};
use serde_json::{json, Value};
use std::time::Duration;
use word_bocce::clock::ManualClock;
use word_bocce::config::{ProgressSettings, Settings};

const ADMIN: &str = "an-admin-token-for-the-feedback-tests";

fn with_admin(mut s: Settings) -> Settings {
    s.admin_token = Some(ADMIN.into());
    s
}

fn feedback(words: Value, vote: &str, comment: Option<&str>) -> Value {
    let mut v = json!({
        "context": {"kind": "match", "id": "m0123456789abcdef", "round_id": "r2"},
        "start": "King", "target": "queen", "words": words, "vote": vote,
    });
    if let Some(c) = comment {
        v["comment"] = json!(c);
    }
    v
}

async fn post(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post("/feedback", None, body).await
}

async fn created(app: &TestApp, body: &Value) -> String {
    let r = post(app, body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().expect("an id").to_string()
}

async fn listed(app: &TestApp, query: &str) -> Vec<Value> {
    get_json(app, &format!("/admin/feedback{query}"), Some(ADMIN))
        .await
        .as_array()
        .expect("a list")
        .clone()
}

/// The whole story on one store: `settings` builds an app on it.
async fn feedback_scenario(settings: Settings) {
    let clock = ManualClock::at(1_800_000_000);
    let app = spawn_with_clock(with_admin(settings), clock.clone()).await;

    // Stored as sent, words in their vocabulary form, and listed with everything.
    let first = created(
        &app,
        &feedback(
            json!([{"word": " Crown ", "sign": 1}, {"word": "man", "sign": "-"}]),
            "more_fun",
            Some("  crown minus man felt like a better throw  "),
        ),
    )
    .await;
    let all = listed(&app, "").await;
    assert_eq!(all.len(), 1, "{all:?}");
    let f = &all[0];
    assert_eq!(f["id"], first.as_str());
    assert_eq!(f["created_at"], 1_800_000_000);
    assert_eq!(
        f["context"],
        json!({"kind": "match", "id": "m0123456789abcdef", "round_id": "r2"})
    );
    assert_eq!(
        (&f["start"], &f["target"]),
        (&json!("king"), &json!("queen"))
    );
    assert_eq!(
        f["words"],
        json!([{"word": "crown", "sign": 1}, {"word": "man", "sign": -1}])
    );
    assert_eq!(f["vote"], "more_fun");
    assert_eq!(f["comment"], "crown minus man felt like a better throw");

    // Later ones come first; `since` and `limit` cut the list.
    clock.advance(100);
    let mut practice = feedback(json!([{"word": "woman", "sign": 1}]), "odd", None);
    practice["context"] = json!({"kind": "practice", "id": "c-easy-42"});
    let second = created(&app, &practice).await;
    let longest = "b".repeat(280);
    let third = created(
        &app,
        &feedback(
            json!([{"word": "girl", "sign": 1}]),
            "too_easy",
            Some(&longest),
        ),
    )
    .await;
    let ids = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&listed(&app, "").await),
        [third.clone(), second.clone(), first.clone()]
    );
    assert_eq!(
        ids(&listed(&app, "?limit=2").await),
        [third.clone(), second.clone()]
    );
    assert_eq!(
        ids(&listed(&app, "?since=1800000050").await),
        [third.clone(), second.clone()]
    );
    assert_eq!(
        ids(&listed(&app, "?since=1800000101").await),
        Vec::<String>::new()
    );
    let newest = listed(&app, "?limit=2").await;
    assert_eq!(
        newest[0]["comment"],
        longest.as_str(),
        "280 characters are allowed"
    );
    let listed_practice = &newest[1];
    assert_eq!(
        listed_practice["context"],
        json!({"kind": "practice", "id": "c-easy-42"})
    );
    assert!(listed_practice["comment"].is_null());

    // Every refusal is whole: nothing more is stored.
    refusals(&app).await;
    assert_eq!(listed(&app, "?limit=1000").await.len(), 3);
}

async fn refusals(app: &TestApp) {
    let one = json!([{"word": "crown", "sign": 1}]);
    let four = json!([{"word": "crown", "sign": 1}, {"word": "man", "sign": -1},
                      {"word": "woman", "sign": 1}, {"word": "girl", "sign": 1}]);
    let v = assert_problem(
        post(app, &feedback(four, "same", None)).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(v["field"], "words");
    let v = assert_problem(
        post(app, &feedback(json!([]), "same", None)).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(v["field"], "words");
    let long = "a".repeat(281);
    let v = assert_problem(
        post(app, &feedback(one.clone(), "same", Some(&long))).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(v["field"], "comment");
    for profane in ["what a shit deal", "F U C K this round", "fuckingawful"] {
        let v = assert_problem(
            post(app, &feedback(one.clone(), "same", Some(profane))).await,
            422,
            "invalid_input",
        )
        .await;
        assert_eq!(v["field"], "comment", "{profane}");
    }
    let v = assert_problem(
        post(
            app,
            &feedback(
                json!([{"word": "crown", "sign": 1}, {"word": "xqzzyplugh", "sign": 1}]),
                "same",
                None,
            ),
        )
        .await,
        422,
        "word_not_in_vocabulary",
    )
    .await;
    assert_eq!(v["field"], "words[1].word");
    assert!(v["suggestions"].is_array());
    let mut bad_start = feedback(one.clone(), "same", None);
    bad_start["start"] = json!("kingg");
    let v = assert_problem(post(app, &bad_start).await, 422, "word_not_in_vocabulary").await;
    assert_eq!(v["field"], "start");
    let suggestions = v["suggestions"].as_array().unwrap();
    assert!(suggestions.contains(&json!("king")), "{v}");
    let mut no_id = feedback(one.clone(), "same", None);
    no_id["context"]["id"] = json!("  ");
    let v = assert_problem(post(app, &no_id).await, 422, "invalid_input").await;
    assert_eq!(v["field"], "context.id");
    // Unknown enum values and shapes are 400.
    let v = assert_problem(
        post(app, &feedback(one.clone(), "meh", None)).await,
        400,
        "bad_request",
    )
    .await;
    assert_eq!(v["field"], "vote");
    let mut bad_kind = feedback(one.clone(), "same", None);
    bad_kind["context"]["kind"] = json!("tournament");
    assert_problem(post(app, &bad_kind).await, 400, "bad_request").await;
    assert_problem(
        post(
            app,
            &feedback(json!([{"word": "crown", "sign": 2}]), "same", None),
        )
        .await,
        400,
        "bad_request",
    )
    .await;

    // The admin list needs the admin token and a sane query.
    assert_problem(app.get("/admin/feedback", None).await, 401, "missing_token").await;
    assert_problem(
        app.get("/admin/feedback", Some("not-the-admin-token"))
            .await,
        401,
        "invalid_token",
    )
    .await;
    for q in ["limit=0", "limit=1001", "since=-1"] {
        let v = assert_problem(
            app.get(&format!("/admin/feedback?{q}"), Some(ADMIN)).await,
            422,
            "invalid_input",
        )
        .await;
        assert_eq!(v["field"], q.split('=').next().unwrap(), "{q}");
    }
    assert_problem(
        app.get("/admin/feedback?limit=lots", Some(ADMIN)).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn feedback_is_stored_and_listed_on_postgres() {
    let db = TestDb::create().await;
    feedback_scenario(settings_with(ProgressSettings::postgres(db.url.clone()))).await;
    // The rows are really in the database, and only the accepted ones.
    assert_eq!(db.count("feedback").await, 3);
}

#[tokio::test]
async fn feedback_is_stored_and_listed_on_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("progress.db");
    feedback_scenario(settings_with(ProgressSettings::sqlite(file.clone()))).await;
    // A new app on the same file lists the same three.
    let again = spawn_with(
        with_admin(settings_with(ProgressSettings::sqlite(file))),
        None,
    )
    .await;
    assert_eq!(listed(&again, "").await.len(), 3);
}

#[tokio::test]
async fn without_an_admin_token_the_list_does_not_exist() {
    let app = spawn_with(test_settings(), None).await;
    assert_problem(
        app.get("/admin/feedback", Some(ADMIN)).await,
        404,
        "not_found",
    )
    .await;
    // POST /feedback needs no token at all.
    let r = post(
        &app,
        &feedback(json!([{"word": "crown", "sign": 1}]), "same", None),
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn feedback_has_its_own_hourly_quota() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    s.rate_limits.feedback_per_hour = 2;
    let app = spawn_with(s, None).await;
    let body = feedback(json!([{"word": "crown", "sign": 1}]), "same", None);
    for _ in 0..2 {
        assert_eq!(post(&app, &body).await.status(), 201);
    }
    let r = post(&app, &body).await;
    let policy = r.headers().get("ratelimit-policy").cloned();
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let v = assert_problem(r, 429, "rate_limited").await;
    assert_eq!(policy.unwrap(), "2;w=3600");
    // Refilled one at a time over the hour: the next is half an hour away.
    assert!((1700..=1800).contains(&retry), "retry in {retry} s");
    assert!(v["detail"].as_str().unwrap().contains("an hour"), "{v}");
    // Other classes are not touched.
    assert_eq!(app.get("/puzzles", None).await.status(), 200);
}

#[tokio::test]
async fn feedback_is_refused_whole_while_the_database_is_down() {
    let (_db, proxy, progress) = postgres_behind_a_proxy().await;
    let app = spawn_with(with_admin(settings_with(progress)), None).await;
    let body = feedback(json!([{"word": "crown", "sign": 1}]), "same", Some("kept"));
    created(&app, &body).await;

    proxy.cut();
    let r = post(
        &app,
        &feedback(json!([{"word": "man", "sign": 1}]), "odd", Some("lost")),
    )
    .await;
    assert!(
        r.headers().contains_key("retry-after"),
        "503 has Retry-After"
    );
    assert_problem(r, 503, "progress_unavailable").await;
    assert_problem(
        app.get("/admin/feedback", Some(ADMIN)).await,
        503,
        "progress_unavailable",
    )
    .await;

    proxy.restore();
    let mut list = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let r = app.get("/admin/feedback", Some(ADMIN)).await;
        if r.status() == 200 {
            list = Some(r.json::<Value>().await.unwrap());
            break;
        }
    }
    let list = list.expect("the list answers again once the database is back");
    let comments: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["comment"].as_str().unwrap())
        .collect();
    assert_eq!(comments, ["kept"], "the refused feedback was not written");
}

#[tokio::test]
async fn the_feedback_routes_are_documented() {
    let app = spawn_with(test_settings(), None).await;
    let doc = get_json(&app, "/openapi.json", None).await;
    let post = &doc["paths"]["/feedback"]["post"];
    assert!(post["responses"]["201"].is_object(), "{post}");
    assert!(post["responses"]["503"].is_object());
    let get = &doc["paths"]["/admin/feedback"]["get"];
    let params: Vec<&str> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["since", "limit"]);
    for status in ["200", "401", "404", "422"] {
        assert!(get["responses"][status].is_object(), "{status}");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Vote"]["enum"],
        json!(["more_fun", "same", "too_easy", "odd"])
    );
    assert_eq!(
        schemas["ContextKind"]["enum"],
        json!(["match", "puzzle", "practice"])
    );
    assert_eq!(
        schemas["FeedbackBody"]["properties"]["words"]["maxItems"],
        3
    );
    assert_eq!(
        schemas["FeedbackBody"]["properties"]["comment"]["maxLength"],
        280
    );
}
