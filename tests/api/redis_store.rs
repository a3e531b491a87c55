//! The match store in Redis: two Applications sharing one Redis stand for two instances. The
//! shared Redis is `REDIS_TEST_URL` (default redis://127.0.0.1:6379), every test under its own
//! random key prefix (deleted at the end); the outage test starts a private `redis-server`.

use crate::events::{submit_all, submit_first, Sse};
use crate::helpers::{assert_problem, spawn_with, test_settings, TestApp};
use futures::future::join_all;
use redis::aio::MultiplexedConnection;
use redis::Commands;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use word_bocce::config::Settings;

pub fn redis_url() -> String {
    std::env::var("REDIS_TEST_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

/// A key prefix of this test's own.
fn prefix() -> String {
    format!("wbtest:{}:", hex::encode(rand::random::<[u8; 6]>()))
}

pub fn redis_settings(url: &str, prefix: &str) -> Settings {
    let mut s = test_settings();
    s.store.redis_url = Some(url.into());
    s.store.key_prefix = prefix.to_string();
    s
}

async fn raw(url: &str) -> MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("the test Redis answers")
}

/// A test's key prefix; its keys are deleted when it is dropped (even if the test failed).
struct Prefix(String);

impl std::ops::Deref for Prefix {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let Ok(mut c) = redis::Client::open(redis_url()).and_then(|c| c.get_connection()) else {
            return;
        };
        let keys: Vec<String> = c
            .scan_match::<_, String>(format!("{}*", self.0))
            .map(|it| it.filter_map(Result::ok).collect())
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut c);
        }
    }
}

/// Two instances on one Redis, under a fresh prefix.
async fn pair() -> (TestApp, TestApp, Prefix) {
    let p = prefix();
    let a = spawn_with(redis_settings(&redis_url(), &p), None).await;
    let b = spawn_with(redis_settings(&redis_url(), &p), None).await;
    (a, b, Prefix(p))
}

async fn events_in_redis(prefix: &str, id: &str) -> Vec<Value> {
    let mut c = raw(&redis_url()).await;
    let raw: Vec<String> = redis::cmd("LRANGE")
        .arg(format!("{prefix}match:{id}:events"))
        .arg(0)
        .arg(-1)
        .query_async(&mut c)
        .await
        .unwrap();
    raw.iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect()
}

#[tokio::test]
async fn a_full_match_on_redis_is_played_through_either_instance() {
    let (a, b, p) = pair().await;
    let (id, host) = a.create_match(json!({"rounds": 2})).await;
    let players = vec![b.join(&id, "Ann").await, a.join(&id, "Bob").await];
    let r = b
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let round: Value = r.json().await.unwrap();
    // A reads what B wrote; the ETag is the same on both, so a poller can switch instances.
    let url = format!("/match/{id}/round/current");
    let ra = a.get(&url, None).await;
    let etag = ra.headers()["etag"].to_str().unwrap().to_string();
    let seen: Value = ra.json().await.unwrap();
    assert_eq!(seen["id"], round["id"]);
    let rb = b
        .client
        .get(b.url(&url))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(rb.status(), 304);
    // Both instances hold this version's views now; a move through A is news to B's.
    let _: Value = b.get(&url, None).await.json().await.unwrap();
    submit_all(&a, &id, &round, &players[..1]).await;
    let rb = b.get(&url, None).await;
    assert_ne!(rb.headers()["etag"].to_str().unwrap(), etag);
    let seen: Value = rb.json().await.unwrap();
    assert_eq!(
        seen["submitted"],
        json!([players[0].1]),
        "B sees the move made on A"
    );
    let m = b.get_json(&format!("/match/{id}")).await;
    assert_eq!(m["players"][0]["submitted_move"], true);
    submit_all(&b, &id, &round, &players[1..]).await;
    let now: Value = a.get(&url, None).await.json().await.unwrap();
    assert_eq!(now["status"], "RESOLVED", "everyone moved: resolved");
    let r = a
        .post(&format!("/match/{id}/round/next"), Some(&host), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["number"], 2);
    submit_all(&b, &id, &second, &players).await;
    let m: Value = a
        .get(&format!("/match/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["status"], "DONE");
    assert_eq!(m["standings"].as_array().unwrap().len(), 2);
    let total: f64 = m["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["points"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 2.0, "one point per round between two players");
    // The stored events tell the same story, in order: eleven events in all, of which a
    // finished match keeps its final round's (one a player, its start, its result, the end).
    let stored = events_in_redis(&p, &id).await;
    let names: Vec<String> = stored
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "round_started",
            "move_submitted",
            "move_submitted",
            "round_resolved",
            "match_finished"
        ]
    );
    let ids: Vec<u64> = stored.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [7, 8, 9, 10, 11]);
    assert_eq!(a.app.store.count().await, 1);
}

#[tokio::test]
async fn thirty_two_players_moving_at_once_on_two_instances_are_each_recorded_once() {
    let (a, b, p) = pair().await;
    let (id, host) = a.create_match(json!({"max_players": 32})).await;
    let mut players = Vec::new();
    for i in 0..32 {
        let app = if i % 2 == 0 { &a } else { &b };
        players.push(app.join(&id, &format!("Player {i}")).await);
    }
    let r = a
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let round: Value = r.json().await.unwrap();
    let rid = round["id"].as_str().unwrap().to_string();
    let public = round["public_cards"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let submits = players.iter().enumerate().map(|(i, (token, pid))| {
        let app = if i % 2 == 0 { &a } else { &b };
        let (id, rid, public) = (id.clone(), rid.clone(), public.clone());
        async move {
            let r = submit_first(app, &id, &rid, &public, token, pid).await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
            let v: Value = r.json().await.unwrap();
            (pid.clone(), v["similarity"].as_f64().unwrap())
        }
    });
    let results = join_all(submits).await;
    let current: Value = b
        .get(&format!("/match/{id}/round/current"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["status"], "RESOLVED");
    let submitted: BTreeSet<&str> = current["submitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(submitted.len(), 32, "every move recorded");
    let board = current["resolution"]["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 32, "once each");
    for (pid, sim) in &results {
        let entry = board
            .iter()
            .find(|e| e["player_id"] == pid.as_str())
            .unwrap();
        assert!((entry["similarity"].as_f64().unwrap() - sim).abs() < 1e-6);
    }
    // Exactly 32 move events, counting 1..=32: no move applied twice or lost.
    let counts: Vec<u64> = events_in_redis(&p, &id)
        .await
        .iter()
        .filter(|e| e["event"] == "move_submitted")
        .map(|e| e["data"]["submitted"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, (1..=32).collect::<Vec<u64>>());
}

#[tokio::test]
async fn concurrent_joins_never_exceed_max_players() {
    let (a, b, p) = pair().await;
    let (id, _) = a.create_match(json!({"max_players": 5})).await;
    let joins = (0..24).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        let id = id.clone();
        async move {
            app.post(
                &format!("/match/{id}/join"),
                None,
                &json!({"player_name": format!("Joiner {i}")}),
            )
            .await
        }
    });
    let responses = join_all(joins).await;
    let mut created = 0;
    for r in responses {
        if r.status() == 201 {
            created += 1;
        } else {
            assert_problem(r, 409, "match_full").await;
        }
    }
    assert_eq!(created, 5);
    let m = b.get_json(&format!("/match/{id}")).await;
    assert_eq!(m["players"].as_array().unwrap().len(), 5);
    let ids: Vec<u64> = events_in_redis(&p, &id)
        .await
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn match_keys_carry_a_ttl_that_every_write_renews() {
    let (a, _b, p) = pair().await;
    let (id, _) = a.create_match(json!({})).await;
    let key = format!("{p}match:{id}");
    let mut c = raw(&redis_url()).await;
    let ttl = |c: &mut MultiplexedConnection, k: String| {
        let mut c = c.clone();
        async move {
            redis::cmd("TTL")
                .arg(k)
                .query_async::<i64>(&mut c)
                .await
                .unwrap()
        }
    };
    let t = ttl(&mut c, key.clone()).await;
    assert!(
        (1_700..=1_800).contains(&t),
        "an idle lobby lives 30 min, got {t}"
    );
    let _: () = redis::cmd("EXPIRE")
        .arg(&key)
        .arg(100)
        .query_async(&mut c)
        .await
        .unwrap();
    a.join(&id, "Ann").await;
    let t = ttl(&mut c, key.clone()).await;
    assert!(t > 1_700, "a write renews the TTL, got {t}");
    let t = ttl(&mut c, format!("{key}:events")).await;
    assert!((1_700..=1_800).contains(&t), "the events too, got {t}");
    let json: String = redis::cmd("HGET")
        .arg(&key)
        .arg("json")
        .query_async(&mut c)
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(stored["players"][0]["name"], "Ann");
    // The count comes from the expiry index, without scanning keys.
    let score: f64 = redis::cmd("ZSCORE")
        .arg(format!("{p}matches"))
        .arg(&id)
        .query_async(&mut c)
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as f64;
    assert!((score - now - 1_800.0).abs() < 60.0);
    assert_eq!(a.app.store.count().await, 1);
}

#[tokio::test]
async fn an_event_stream_on_one_instance_sees_what_happens_on_another() {
    let (a, b, _keys) = pair().await;
    let (id, host) = a.create_match(json!({})).await;
    let mut on_a = Sse::open(&a, &id, None).await;
    let players = [b.join(&id, "Ann").await, b.join(&id, "Bob").await];
    for (n, f) in [on_a.event().await, on_a.event().await].iter().enumerate() {
        assert_eq!(f.event.as_deref(), Some("player_joined"));
        assert_eq!(f.id, Some(n as u64 + 1));
    }
    let r = b
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    let round: Value = r.json().await.unwrap();
    assert_eq!(on_a.event().await.event.as_deref(), Some("round_started"));
    submit_all(&b, &id, &round, &players[..1]).await;
    let moved = on_a.event().await;
    assert_eq!(moved.event.as_deref(), Some("move_submitted"));
    assert_eq!(moved.id, Some(4));
    assert_eq!(moved.data.unwrap()["submitted"], 1);
    // Resuming on B after event 3 replays only event 4, then goes on live.
    let mut on_b = Sse::open(&b, &id, Some(3)).await;
    assert_eq!(on_b.event().await.id, Some(4));
    submit_all(&a, &id, &round, &players[1..]).await;
    for sse in [&mut on_a, &mut on_b] {
        let f = sse.event().await;
        assert_eq!(
            (f.id, f.event.as_deref()),
            (Some(5), Some("move_submitted"))
        );
        let f = sse.event().await;
        assert_eq!(
            (f.id, f.event.as_deref()),
            (Some(6), Some("round_resolved"))
        );
    }
}

#[tokio::test]
async fn an_idempotent_retry_on_another_instance_gets_the_first_response() {
    let (a, b, _keys) = pair().await;
    let post = |app: &TestApp, name: &str| {
        app.client
            .post(app.url("/match"))
            .header("idempotency-key", "shared-1-9c8e7d6f5a4b")
            .json(&json!({"name": name}))
            .send()
    };
    let first = post(&a, "retry me").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post(&b, "retry me").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(b.app.store.count().await, 1, "one match, not two");
    let other = post(&b, "another body").await.unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;
}

/// A private `redis-server` on a free port, stopped when dropped.
struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    fn start(port: u16) -> PrivateRedis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        let r = PrivateRedis { child, port };
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "the private redis-server starts");
            std::thread::sleep(Duration::from_millis(50));
        }
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-CONT")
            .arg(self.child.id().to_string())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn redis_down_is_503_and_play_resumes_by_itself_when_it_returns() {
    let port = free_port();
    let redis = PrivateRedis::start(port);
    let mut s = redis_settings(&redis.url(), "wb:");
    s.store.redis_timeout_ms = 300;
    let app = spawn_with(s, None).await;
    let mut statuses = Vec::new();
    let (id, host) = app.create_match(json!({})).await;
    app.join(&id, "Ann").await;

    // Hung (SIGSTOP): commands time out → 503 with Retry-After, readiness false.
    redis.signal("STOP");
    let r = app.get(&format!("/match/{id}"), None).await;
    assert_eq!(r.headers()["retry-after"], "2");
    assert_problem(r, 503, "store_unavailable").await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), 503);
    let v: Value = ready.json().await.unwrap();
    assert_eq!(v["checks"]["match_store"], false);
    redis.signal("CONT");
    let back = wait_ready(&app).await;
    assert!(back, "ready again once Redis answers");
    let r = app.get(&format!("/match/{id}"), None).await;
    assert_eq!(r.status(), 200, "the match survived the pause");

    // Gone (killed): every route that needs the store answers 503, never 500.
    redis.kill();
    for (method, path, token) in [
        ("GET", format!("/match/{id}"), None),
        ("POST", "/match".to_string(), None),
        ("POST", format!("/match/{id}/join"), None),
        ("POST", format!("/match/{id}/start"), Some(host.as_str())),
        ("GET", format!("/match/{id}/round/current"), None),
        ("GET", format!("/match/{id}/events"), None),
    ] {
        let r = if method == "GET" {
            app.get(&path, token).await
        } else {
            let body = if path == "/match" {
                json!({"name": "while down"})
            } else {
                json!({"player_name": "Bob"})
            };
            let body = if path.ends_with("/start") {
                json!({})
            } else {
                body
            };
            app.post(&path, token, &body).await
        };
        statuses.push(r.status().as_u16());
        assert_problem(r, 503, "store_unavailable").await;
    }
    assert_eq!(app.get("/readyz", None).await.status(), 503);

    // Back (empty: this Redis keeps nothing on disk): ready again by itself, and play works.
    let _redis = PrivateRedis::start(port);
    assert!(wait_ready(&app).await, "ready again by itself");
    assert_problem(
        app.get(&format!("/match/{id}"), None).await,
        404,
        "unknown_match",
    )
    .await;
    let (lobby, round) = app.started(2, json!({})).await;
    // The event subscriber reconnects too: a stream opened now sees the moves.
    let mut sse = Sse::open(&app, &lobby.id, Some(3)).await;
    submit_all(&app, &lobby.id, &round, &lobby.players).await;
    let f = tokio::time::timeout(Duration::from_secs(20), sse.until("round_resolved"))
        .await
        .expect("events flow again after the outage");
    assert_eq!(f.len(), 3);
    assert!(statuses.iter().all(|s| *s != 500));
}

async fn wait_ready(app: &TestApp) -> bool {
    for _ in 0..100 {
        if app.get("/readyz", None).await.status() == 200 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Finished matches and idle lobbies leave Redis sooner than matches in play: each write sets
/// the TTL of the match's keys by its status; past `MAX_MATCHES` live matches in the index a new
/// one is refused (503), whichever instance is asked.
#[tokio::test]
async fn keys_expire_by_status_and_the_ceiling_holds_across_instances() {
    let p = prefix();
    let settings = || {
        let mut s = redis_settings(&redis_url(), &p);
        s.store.idle_lobby_ttl_secs = 600;
        s.store.finished_match_ttl_secs = 300;
        s.store.max_matches = 2;
        s
    };
    let a = spawn_with(settings(), None).await;
    let b = spawn_with(settings(), None).await;
    let p = Prefix(p);
    let ttl = |id: String| {
        let key = format!("{p}match:{id}");
        async move {
            let mut c = raw(&redis_url()).await;
            redis::cmd("TTL")
                .arg(&key)
                .query_async::<i64>(&mut c)
                .await
                .unwrap()
        }
    };
    let (id, host) = a.create_match(json!({"rounds": 1})).await;
    let lobby = ttl(id.clone()).await;
    assert!((590..=600).contains(&lobby), "a lobby lives 600 s: {lobby}");
    let players = vec![b.join(&id, "Ann").await];
    let r = b
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    let round: Value = r.json().await.unwrap();
    let playing = ttl(id.clone()).await;
    assert!(
        playing > 24 * 3600 - 60,
        "a match in play lives MATCH_TTL_SECS: {playing}"
    );
    submit_all(&a, &id, &round, &players).await;
    let done: Value = a
        .get(&format!("/match/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "DONE", "{done}");
    let finished = ttl(id.clone()).await;
    assert!(
        (290..=300).contains(&finished),
        "a finished match lives 300 s: {finished}"
    );
    let events = ttl(format!("{id}:events")).await;
    assert!(
        (290..=300).contains(&events),
        "its events go with it: {events}"
    );

    b.create_match(json!({})).await;
    let r = a.post("/match", None, &json!({"name": "third"})).await;
    assert_problem(r, 503, "too_many_matches").await;
}

#[tokio::test]
async fn a_person_and_three_bots_play_to_done_across_two_instances_on_redis() {
    let (a, b, _p) = pair().await;
    crate::bots::person_and_three_bots_to_done(&a, &b).await;
}
