//! The puzzle routes and the progress store, against a real Postgres (an isolated database per
//! test, dropped afterwards) and real SQLite files.
use crate::helpers::{
    assert_problem, engine, logs, puzzles, spawn_app, spawn_with, test_settings, TestApp,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use word_bocce::config::ProgressSettings;
use word_bocce::puzzles::play::PuzzleMoveInput;
use word_bocce::puzzles::LoadedPuzzle;

// ------------------------------------------------------------------------------------------
// Fixtures: a database per test, a TCP proxy that can cut the app off from it.

/// The server tests may create databases on.
pub(crate) fn admin_url() -> String {
    std::env::var("DATABASE_TEST_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// `url` with its `host:port` and database name replaced.
pub(crate) fn with_host_and_db(url: &str, host_port: Option<&str>, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (auth_host, _path) = rest.split_once('/').unwrap_or((rest, ""));
    let (auth, host) = match auth_host.rsplit_once('@') {
        Some((a, h)) => (format!("{a}@"), h),
        None => (String::new(), auth_host),
    };
    format!("{scheme}://{auth}{}/{db}", host_port.unwrap_or(host))
}

/// The `host:port` of a URL.
pub(crate) fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let auth_host = rest.split('/').next().unwrap();
    let host = auth_host.rsplit('@').next().unwrap();
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

/// A fresh database `wb_test_<random>`, dropped (WITH (FORCE)) when this goes out of scope,
/// even when the test fails.
pub(crate) struct TestDb {
    pub(crate) name: String,
    pub(crate) url: String,
}

async fn admin(sql: String) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&admin_url())
        .await
        .expect("the test Postgres (DATABASE_TEST_URL) is reachable");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut c)
        .await
        .expect("admin statement");
    let _ = c.close().await;
}

impl TestDb {
    pub(crate) async fn create() -> TestDb {
        let name = format!("wb_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        admin(format!("CREATE DATABASE {name}")).await;
        TestDb {
            url: with_host_and_db(&admin_url(), None, &name),
            name,
        }
    }
}

impl TestDb {
    /// The rows of `table`, read straight from the database.
    pub(crate) async fn count(&self, table: &str) -> i64 {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut c)
                .await
                .unwrap();
        let _ = c.close().await;
        n
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin(sql))
        })
        .join();
    }
}

/// A TCP proxy in front of Postgres: `cut` closes every connection and refuses new ones
/// (as a database that went away), `restore` lets them through again.
pub(crate) struct Proxy {
    pub(crate) port: u16,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub(crate) fn start(target: &str) -> Proxy {
        let target: SocketAddr = target.parse().unwrap_or_else(|_| {
            use std::net::ToSocketAddrs;
            target.to_socket_addrs().unwrap().next().unwrap()
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (u, s, c) = (up.clone(), stop.clone(), conns.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if !u.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let mut held = c.lock().unwrap();
                held.push(client.try_clone().unwrap());
                held.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy {
            port,
            up,
            stop,
            conns,
        }
    }

    pub(crate) fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    pub(crate) fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A fresh database reached through a [`Proxy`] (cut it to take the database away), and
/// progress settings on it that give up quickly.
pub(crate) async fn postgres_behind_a_proxy() -> (TestDb, Proxy, ProgressSettings) {
    let db = TestDb::create().await;
    let proxy = Proxy::start(&host_port(&admin_url()));
    let url = with_host_and_db(
        &db.url,
        Some(&format!("127.0.0.1:{}", proxy.port)),
        &db.name,
    );
    let mut progress = ProgressSettings::postgres(url);
    progress.acquire_timeout = Duration::from_millis(300);
    (db, proxy, progress)
}

// ------------------------------------------------------------------------------------------
// Helpers.

/// A puzzle of the committed catalogue without a wildcard.
pub(crate) fn plain_puzzle() -> &'static LoadedPuzzle {
    static P: std::sync::OnceLock<LoadedPuzzle> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        puzzles()
            .catalogue()
            .puzzles()
            .iter()
            .find(|p| !p.has_wildcard)
            .expect("a puzzle without a wildcard")
            .clone()
    })
}

pub(crate) fn body(public: &str, ps: i8, private: &str, qs: i8) -> Value {
    json!({"public_token": public, "public_sign": ps, "private_token": private, "private_sign": qs})
}

pub(crate) fn best_body(p: &LoadedPuzzle) -> Value {
    let b = &p.best_move;
    body(
        &b.public_card,
        b.public_sign,
        &b.private_card,
        b.private_sign,
    )
}

/// A legal move of `p` whose similarity satisfies `keep`, found with the library's scoring.
pub(crate) fn find_move(p: &LoadedPuzzle, keep: impl Fn(f32) -> bool) -> (Value, f32) {
    let e = engine();
    let ids = &p.card_ids;
    for &a in ids {
        for &b in ids {
            for (sa, sb) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
                if a == b {
                    continue;
                }
                let mv = PuzzleMoveInput {
                    public: a,
                    public_sign: sa,
                    private: b,
                    private_sign: sb,
                };
                let Ok(s) = puzzles().score(&e, p, mv) else {
                    continue;
                };
                if keep(s.similarity) {
                    let v = body(e.emb.word(a), sa, e.emb.word(b), sb);
                    return (v, s.similarity);
                }
            }
        }
    }
    panic!("no such move in {}", p.id);
}

pub(crate) async fn new_player(app: &TestApp, name: &str) -> String {
    let r = app.post("/players", None, &json!({"name": name})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.unwrap();
    let cleaned = name.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(v["name"], cleaned.as_str());
    assert!(v["player_id"].is_string());
    let token = v["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 32, "a token of at least 128 bits");
    token
}

pub(crate) async fn solve(app: &TestApp, id: &str, token: Option<&str>, b: &Value) -> Value {
    let r = app.post(&format!("/puzzle/{id}/solve"), token, b).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

pub(crate) async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let r = app.get(path, token).await;
    assert_eq!(
        r.status(),
        200,
        "{path}: {}",
        r.text().await.unwrap_or_default()
    );
    r.json().await.unwrap()
}

pub(crate) fn settings_with(progress: ProgressSettings) -> word_bocce::config::Settings {
    let mut s = test_settings();
    s.progress = progress;
    s
}

// ------------------------------------------------------------------------------------------
// The catalogue and solving, anonymously.

#[tokio::test]
async fn the_catalogue_is_listed_filtered_and_served_without_its_answer() {
    let app = spawn_app().await;
    let all = get_json(&app, "/puzzles", None).await;
    let n = puzzles().catalogue().len();
    assert!(n >= 60, "the committed catalogue loads: {n}");
    assert_eq!(all.as_array().unwrap().len(), n);
    for key in [
        "id",
        "difficulty",
        "name",
        "description",
        "start_word",
        "target_word",
    ] {
        assert!(all[0][key].is_string(), "{key}: {}", all[0]);
    }
    let easy = get_json(&app, "/puzzles?difficulty=easy", None).await;
    let easy = easy.as_array().unwrap();
    assert!(!easy.is_empty() && easy.len() < n);
    assert!(easy.iter().all(|p| p["difficulty"] == "easy"));
    assert_problem(
        app.get("/puzzles?difficulty=brutal", None).await,
        400,
        "bad_request",
    )
    .await;

    let p = plain_puzzle();
    let v = get_json(&app, &format!("/puzzle/{}", p.id), None).await;
    assert_eq!(v["id"], p.id.as_str());
    assert_eq!(v["start_word"], p.start_word.as_str());
    assert_eq!(
        v["allowed_cards"].as_array().unwrap().len(),
        p.allowed_cards.len()
    );
    assert_eq!(v["has_wildcard"], false);
    assert!(v["hint"].is_string());
    let t = &v["stars_thresholds"];
    let (one, two, three) = (
        t["1"].as_f64().unwrap(),
        t["2"].as_f64().unwrap(),
        t["3"].as_f64().unwrap(),
    );
    assert!(one < two && two < three, "{t}");
    assert!(v["win_threshold"].as_f64().unwrap() <= three);
    assert!(v["optimal_similarity"].as_f64().unwrap() >= three);
    assert!(v.get("best_move").is_none() && v.get("all_moves").is_none());

    assert_problem(
        app.get("/puzzle/no-such-puzzle", None).await,
        404,
        "unknown_puzzle",
    )
    .await;
    // The daily puzzle: the same for everyone, the catalogue's pick for today (UTC).
    let d1 = get_json(&app, "/puzzles/daily", None).await;
    let d2 = get_json(&app, "/puzzles/daily", None).await;
    assert_eq!(d1, d2);
    let all = puzzles();
    let expected = all
        .catalogue()
        .daily_at(word_bocce::clock::system_now())
        .unwrap();
    assert_eq!(d1["id"], expected.id.as_str());
    assert!(d1["allowed_cards"].is_array() && d1["date"].is_string());
}

#[tokio::test]
async fn the_best_move_earns_three_stars_and_reveals_the_top_moves() {
    let app = spawn_app().await;
    let p = plain_puzzle();
    let v = solve(&app, &p.id, None, &best_body(p)).await;
    assert_eq!(v["stars"], 3);
    assert_eq!(v["passed"], true);
    assert_eq!(v["progress_saved"], false);
    let sim = v["similarity"].as_f64().unwrap();
    assert!((sim - p.optimal_similarity as f64).abs() < 1e-6, "{sim}");
    assert!((v["progress"].as_f64().unwrap() - 1.0).abs() < 1e-5);
    assert!((v["improvement"].as_f64().unwrap() - (sim - p.start_similarity as f64)).abs() < 1e-5);
    assert_eq!(v["public_used"], p.best_move.public_card.as_str());
    assert_eq!(v["private_used"], p.best_move.private_card.as_str());
    assert_eq!(v["rank"], p.best_move.rank);
    assert_eq!(v["nearest_word"], p.best_move.nearest.as_str());
    for key in ["win_threshold", "start_similarity", "optimal_similarity"] {
        assert!(v[key].is_number(), "{key}");
    }
    let shares: f64 = v["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["share"].as_f64().unwrap())
        .sum();
    assert!(
        (shares - sim).abs() < 1e-4,
        "shares add up to the similarity"
    );
    assert_eq!(v["contributions"][0]["word"], p.start_word.as_str());
    assert_eq!(
        v["best_move"]["public_card"],
        p.best_move.public_card.as_str()
    );
    let all = v["all_moves"].as_array().unwrap();
    assert_eq!(all.len(), p.all_moves.len());
    assert!(all.len() <= 20 && !all.is_empty());
    for m in all {
        for key in [
            "public_card",
            "private_card",
            "public_sign",
            "private_sign",
            "similarity",
            "rank",
            "nearest",
        ] {
            assert!(!m[key].is_null(), "{key} in {m}");
        }
    }
    // The share line names the puzzle and the stars, and nothing of the answer.
    let share = v["share_text"].as_str().unwrap();
    assert!(share.contains(&p.name) && share.contains("★★★"), "{share}");
    for w in [
        &p.best_move.public_card,
        &p.best_move.private_card,
        &p.best_move.nearest,
    ] {
        assert!(
            !share.to_lowercase().contains(w.as_str())
                || p.name.to_lowercase().contains(w.as_str()),
            "'{w}' leaks in {share}"
        );
    }
    // "+"/"-" signs are accepted too, and give the same score.
    let b = &p.best_move;
    let sign = |s: i8| if s > 0 { "+" } else { "-" };
    let v2 = solve(
        &app,
        &p.id,
        None,
        &json!({"public_token": b.public_card.to_uppercase(), "public_sign": sign(b.public_sign),
                "private_token": format!(" {} ", b.private_card), "private_sign": sign(b.private_sign)}),
    )
    .await;
    assert_eq!(v2["similarity"], v["similarity"]);
}

#[tokio::test]
async fn a_failed_attempt_hides_the_answer() {
    let app = spawn_app().await;
    let p = plain_puzzle();
    let (b, sim) = find_move(p, |s| s < p.win_threshold);
    let v = solve(&app, &p.id, None, &b).await;
    assert_eq!(v["passed"], false);
    assert_eq!(v["stars"], 0);
    assert!((v["similarity"].as_f64().unwrap() - sim as f64).abs() < 1e-6);
    assert!(v.get("best_move").is_none(), "{v}");
    assert!(v.get("all_moves").is_none(), "{v}");
    assert!(v["share_text"].as_str().unwrap().contains("☆☆☆"));
    // Giving up shows the answer at any time.
    let r = app
        .post(&format!("/puzzle/{}/give-up", p.id), None, &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let g: Value = r.json().await.unwrap();
    assert_eq!(
        g["best_move"]["public_card"],
        p.best_move.public_card.as_str()
    );
    assert_eq!(g["all_moves"].as_array().unwrap().len(), p.all_moves.len());
    assert_eq!(g["progress_saved"], false);
}

#[tokio::test]
async fn bad_solves_are_4xx_problems() {
    let app = spawn_app().await;
    let p = plain_puzzle();
    let (c0, c1) = (&p.allowed_cards[0], &p.allowed_cards[1]);
    let path = format!("/puzzle/{}/solve", p.id);
    // A vocabulary word that is not one of the cards.
    let outsider = ["water", "music", "house", "green"]
        .into_iter()
        .find(|w| !p.allowed_cards.iter().any(|c| c == w) && *w != p.start_word)
        .unwrap();
    let v = assert_problem(
        app.post(&path, None, &body(outsider, 1, c1, 1)).await,
        422,
        "not_an_allowed_card",
    )
    .await;
    assert_eq!(v["field"], "public_token");
    let v = assert_problem(
        app.post(&path, None, &body(c0, 1, "xqzzyplugh", 1)).await,
        422,
        "not_an_allowed_card",
    )
    .await;
    assert_eq!(v["field"], "private_token");
    // A card removed as a near-synonym of the target is not allowed either.
    if let Some(removed) = p.removed_cards.first() {
        assert_problem(
            app.post(&path, None, &body(removed, 1, c1, 1)).await,
            422,
            "not_an_allowed_card",
        )
        .await;
    }
    assert_problem(
        app.post(&path, None, &body(c0, 1, c0, -1)).await,
        422,
        "invalid_move",
    )
    .await;
    assert_problem(
        app.post(&path, None, &body(c0, 2, c1, 1)).await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.post(
            &path,
            None,
            &json!({"public_token": c0, "public_sign": 1, "private_token": c1, "private_sign": 1, "extra": 1}),
        )
        .await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.post("/puzzle/nope/solve", None, &body(c0, 1, c1, 1))
            .await,
        404,
        "unknown_puzzle",
    )
    .await;
    assert_problem(
        app.post("/puzzle/nope/give-up", None, &json!({})).await,
        404,
        "unknown_puzzle",
    )
    .await;
    assert_problem(
        app.get("/puzzle/nope/leaderboard", None).await,
        404,
        "unknown_puzzle",
    )
    .await;
}

#[tokio::test]
async fn tokens_are_checked() {
    let app = spawn_app().await;
    let p = plain_puzzle();
    let path = format!("/puzzle/{}/solve", p.id);
    assert_problem(
        app.post(&path, Some("not-a-token"), &best_body(p)).await,
        401,
        "invalid_token",
    )
    .await;
    let r = app
        .client
        .post(app.url(&path))
        .header("authorization", "Basic abc")
        .json(&best_body(p))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "missing_token").await;
    assert_problem(app.get("/players/me", None).await, 401, "missing_token").await;
    assert_problem(
        app.get("/players/me", Some("not-a-token")).await,
        401,
        "invalid_token",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/puzzle/{}/give-up", p.id),
            Some("nope"),
            &json!({}),
        )
        .await,
        401,
        "invalid_token",
    )
    .await;
    assert_problem(
        app.post("/players", None, &json!({"name": "   "})).await,
        422,
        "invalid_name",
    )
    .await;
    assert_problem(
        app.post("/players", None, &json!({"name": "fuck you"}))
            .await,
        422,
        "inappropriate_name",
    )
    .await;
    let token = new_player(&app, "  Zoë   B ").await;
    let me = get_json(&app, "/players/me", Some(&token)).await;
    assert_eq!(me["name"], "Zoë B");
    assert_eq!(me["total_stars"], 0);
    assert_eq!(me["puzzles"], json!([]));
    for bad in ["0", "101", "-1"] {
        assert_problem(
            app.get(&format!("/puzzle/{}/leaderboard?limit={bad}", p.id), None)
                .await,
            422,
            "invalid_input",
        )
        .await;
    }
    assert_problem(
        app.get(&format!("/puzzle/{}/leaderboard?limit=ten", p.id), None)
            .await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn solves_are_rate_limited_per_client() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    s.rate_limits.solve = 3;
    let app = spawn_with(s, None).await;
    let p = plain_puzzle();
    let path = format!("/puzzle/{}/solve", p.id);
    for _ in 0..3 {
        assert_eq!(app.post(&path, None, &best_body(p)).await.status(), 200);
    }
    let r = app.post(&path, None, &best_body(p)).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    // Reading the puzzle is another class.
    assert_eq!(
        app.get(&format!("/puzzle/{}", p.id), None).await.status(),
        200
    );
}

#[tokio::test]
async fn a_puzzle_with_a_missing_word_is_left_out_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = json!({"id": "still-here", "difficulty": "easy", "name": "Still Here",
        "description": "d", "start_word": "man", "target_word": "queen",
        "allowed_cards": ["king", "girl", "crown", "throne", "boy", "palace"], "hint": "h"});
    let bad = json!({"id": "has-a-missing-word", "difficulty": "easy", "name": "Missing",
        "description": "d", "start_word": "man", "target_word": "queen",
        "allowed_cards": ["king", "girl", "crown", "throne", "xqzzyplugh"], "hint": "h"});
    std::fs::write(
        dir.path().join("p.json"),
        serde_json::to_string(&json!([good, bad])).unwrap(),
    )
    .unwrap();
    let mut s = test_settings();
    s.puzzles_dir = dir.path().to_path_buf();
    let app = spawn_with(s, Some(dir)).await;
    let list = get_json(&app, "/puzzles", None).await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["still-here"]);
    assert_problem(
        app.get("/puzzle/has-a-missing-word", None).await,
        404,
        "unknown_puzzle",
    )
    .await;
    let text = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("has-a-missing-word") && l.contains("xqzzyplugh")),
        "a warning names the puzzle and the word"
    );
}

// ------------------------------------------------------------------------------------------
// Progress, leaderboards and restarts, on both backends.

/// Plays the scenario on a fresh database; `spawn` builds an app on that database (twice: the
/// second is the restart).
async fn progress_scenario(spawn: impl Fn() -> word_bocce::config::Settings) {
    let app = spawn_with(spawn(), None).await;
    let p = plain_puzzle();
    let path = format!("/puzzle/{}", p.id);
    let (fail, _) = find_move(p, |s| s < p.win_threshold);
    let (pass, pass_sim) = find_move(p, |s| p.passed(s) && s < p.optimal_similarity - 1e-4);
    let best = best_body(p);

    let ann = new_player(&app, "Ann").await;
    let bob = new_player(&app, "Bob").await;
    let cid = new_player(&app, "Cid").await;
    let dee = new_player(&app, "Dee").await;

    // Ann fails, passes with a weaker move, then plays the (now revealed) best move.
    let v = solve(&app, &p.id, Some(&ann), &fail).await;
    assert_eq!(v["progress_saved"], true);
    solve(&app, &p.id, Some(&ann), &pass).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Bob finds the best move first; Cid the same move later (a tie, broken by time).
    solve(&app, &p.id, Some(&bob), &best).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    solve(&app, &p.id, Some(&cid), &best).await;
    solve(&app, &p.id, Some(&ann), &best).await;
    // Dee gives up first: later solves earn stars but no place on the leaderboard.
    let r = app
        .post(&format!("{path}/give-up"), Some(&dee), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["progress_saved"], true);
    solve(&app, &p.id, Some(&dee), &best).await;

    check_progress(&app, p, &ann, &dee, pass_sim).await;
    // A restart: a new application on the same database sees the same progress.
    let again = spawn_with(spawn(), None).await;
    check_progress(&again, p, &ann, &dee, pass_sim).await;
}

async fn check_progress(app: &TestApp, p: &LoadedPuzzle, ann: &str, dee: &str, pass_sim: f32) {
    let path = format!("/puzzle/{}", p.id);
    let board = get_json(app, &format!("{path}/leaderboard"), None).await;
    let names: Vec<&str> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["player_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bob", "Cid", "Ann"], "{board}");
    assert_eq!(board[0]["best_similarity"], board[1]["best_similarity"]);
    assert_eq!(board[0]["stars"], 3);
    assert!(board[0]["solved_at"].as_i64().unwrap() <= board[1]["solved_at"].as_i64().unwrap());
    // Ann is ranked by what she found before the answer was shown to her.
    assert!((board[2]["best_similarity"].as_f64().unwrap() - pass_sim as f64).abs() < 1e-6);
    let top1 = get_json(app, &format!("{path}/leaderboard?limit=1"), None).await;
    assert_eq!(top1.as_array().unwrap().len(), 1);
    assert_eq!(top1[0]["player_name"], "Bob");

    let me = get_json(app, "/players/me", Some(ann)).await;
    assert_eq!(me["name"], "Ann");
    assert_eq!(me["total_stars"], 3);
    assert_eq!(me["solved"], 1);
    assert_eq!(me["attempts"], 3);
    let mine = &me["puzzles"][0];
    assert_eq!(mine["puzzle_id"], p.id.as_str());
    assert_eq!(mine["stars"], 3);
    assert_eq!(mine["attempts"], 3);
    assert!((mine["best_similarity"].as_f64().unwrap() - p.optimal_similarity as f64).abs() < 1e-6);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let first = mine["first_solved_at"].as_i64().unwrap();
    assert!((now - 600..=now + 1).contains(&first), "{first} vs {now}");

    let dee_me = get_json(app, "/players/me", Some(dee)).await;
    assert_eq!(dee_me["total_stars"], 3);
    assert_eq!(dee_me["puzzles"][0]["gave_up"], true);
    assert_eq!(dee_me["puzzles"][0]["attempts"], 1);
}

#[tokio::test]
async fn progress_leaderboards_and_restarts_on_postgres() {
    let db = TestDb::create().await;
    let url = db.url.clone();
    progress_scenario(move || settings_with(ProgressSettings::postgres(url.clone()))).await;
    // Every solve with a token is a stored attempt (Ann 3, Bob, Cid and Dee 1 each).
    assert_eq!(db.count("attempts").await, 6);
}

#[tokio::test]
async fn progress_leaderboards_and_restarts_on_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/progress.db");
    progress_scenario(|| settings_with(ProgressSettings::sqlite(file.clone()))).await;
    assert!(file.exists(), "the file (and its directory) were created");
}

// ------------------------------------------------------------------------------------------
// The database going away.

#[tokio::test]
async fn a_database_outage_is_503_for_progress_only_and_heals_by_itself() {
    let (_db, proxy, progress) = postgres_behind_a_proxy().await;
    let app = spawn_with(settings_with(progress), None).await;
    let p = plain_puzzle();
    let path = format!("/puzzle/{}/solve", p.id);
    let token = new_player(&app, "Ann").await;
    let v = solve(&app, &p.id, Some(&token), &best_body(p)).await;
    assert_eq!(v["progress_saved"], true);
    let ready = get_json(&app, "/readyz", None).await;
    assert_eq!(ready["checks"]["progress_store"], true);
    assert_eq!(ready["checks"]["puzzles"], true);

    proxy.cut();
    let started = std::time::Instant::now();
    let r = app.post(&path, Some(&token), &best_body(p)).await;
    let retry = r.headers().get("retry-after").cloned();
    assert_problem(r, 503, "progress_unavailable").await;
    assert!(retry.is_some(), "503 has Retry-After");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails fast: {:?}",
        started.elapsed()
    );
    // Anonymous solves and the rest of the game keep working.
    let v = solve(&app, &p.id, None, &best_body(p)).await;
    assert_eq!(v["progress_saved"], false);
    assert_eq!(
        app.get(&format!("/puzzle/{}", p.id), None).await.status(),
        200
    );
    assert_problem(
        app.post("/players", None, &json!({"name": "Bob"})).await,
        503,
        "progress_unavailable",
    )
    .await;
    assert_problem(
        app.get("/players/me", Some(&token)).await,
        503,
        "progress_unavailable",
    )
    .await;
    assert_problem(
        app.get(&format!("/puzzle/{}/leaderboard", p.id), None)
            .await,
        503,
        "progress_unavailable",
    )
    .await;
    // Matches and anonymous solves still work: the instance stays in rotation (200), and
    // says what is missing.
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["checks"]["progress_store"], false);
    assert_eq!(v["checks"]["match_store"], true);

    // The database comes back: no restart needed.
    proxy.restore();
    let mut healed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let v: Value = app.get("/readyz", None).await.json().await.unwrap();
        if v["status"] == "healthy" {
            healed = true;
            break;
        }
    }
    assert!(healed, "readiness recovers when the database returns");
    let v = solve(&app, &p.id, Some(&token), &best_body(p)).await;
    assert_eq!(v["progress_saved"], true);
    let me = get_json(&app, "/players/me", Some(&token)).await;
    assert_eq!(
        me["attempts"], 2,
        "the attempt refused with 503 was not half-written"
    );
    assert_eq!(
        app.post("/players", None, &json!({"name": "Bob"}))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn solves_are_counted_and_the_routes_documented() {
    let mut s = test_settings();
    s.admin_token = Some("a-long-admin-token-for-tests".into());
    let app = spawn_with(s, None).await;
    let p = plain_puzzle();
    solve(&app, &p.id, None, &best_body(p)).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        text.contains("wordbocce_puzzle_solves_total{stars=\"3\"} 1"),
        "{text}"
    );
    assert!(text.contains("route=\"/puzzle/{id}/solve\",status=\"200\"} 1"));
    let stats = get_json(&app, "/admin/stats", Some("a-long-admin-token-for-tests")).await;
    assert_eq!(stats["puzzle_solves"], 1);
    assert_eq!(stats["puzzles"], puzzles().catalogue().len());

    let doc = get_json(&app, "/openapi.json", None).await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/puzzles", "get"),
        ("/puzzles/daily", "get"),
        ("/puzzle/{id}", "get"),
        ("/puzzle/{id}/solve", "post"),
        ("/puzzle/{id}/give-up", "post"),
        ("/puzzle/{id}/leaderboard", "get"),
        ("/players", "post"),
        ("/players/me", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "SolveResponse",
        "SolveBody",
        "PuzzleDetail",
        "Me",
        "LeaderboardEntry",
    ] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
}
