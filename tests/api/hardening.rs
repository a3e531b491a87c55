//! Rate limits, security headers and CORS.
use crate::helpers::{assert_problem, spawn_with, test_settings};
use serde_json::json;

async fn create(app: &crate::helpers::TestApp, xff: Option<&str>) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url("/match"))
        .json(&json!({"name": "game"}));
    if let Some(x) = xff {
        r = r.header("x-forwarded-for", x);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn the_sixth_match_creation_in_a_minute_is_429_with_headers() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    let app = spawn_with(s, None).await;
    for _ in 0..5 {
        assert_eq!(create(&app, None).await.status(), 201);
    }
    let r = create(&app, None).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(r.headers()["ratelimit"]
        .to_str()
        .unwrap()
        .contains("remaining=0"));
    assert_eq!(r.headers()["ratelimit-policy"].to_str().unwrap(), "5;w=60");
    assert_problem(r, 429, "rate_limited").await;
    // Other classes keep their own quota.
    assert_eq!(app.get("/api", None).await.status(), 200);
}

#[tokio::test]
async fn the_quota_is_per_client_not_per_worker_or_connection() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    s.rate_limits.visualize = 3;
    let app = spawn_with(s, None).await;
    // A fresh connection per request: the server spreads connections over its workers, and
    // the analogy and visualise routes are one class.
    let mut statuses = Vec::new();
    for i in 0..6 {
        let client = reqwest::Client::new();
        let r = if i % 2 == 0 {
            client
                .post(app.url("/analogy"))
                .json(&json!({"positive": ["king", "woman"], "negative": ["man"]}))
                .send()
                .await
        } else {
            client
                .get(app.url("/visualize/king?neighbors=3"))
                .send()
                .await
        };
        statuses.push(r.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429], "{statuses:?}");
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_key() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    let app = spawn_with(s, None).await;
    for i in 0..5 {
        assert_eq!(
            create(&app, Some(&format!("198.51.100.{i}")))
                .await
                .status(),
            201
        );
    }
    assert_eq!(create(&app, Some("198.51.100.99")).await.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_quota() {
    let mut s = test_settings();
    s.rate_limits.enabled = true;
    s.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
    let app = spawn_with(s, None).await;
    for _ in 0..5 {
        assert_eq!(create(&app, Some("198.51.100.1")).await.status(), 201);
    }
    assert_eq!(create(&app, Some("198.51.100.1")).await.status(), 429);
    assert_eq!(
        create(&app, Some("198.51.100.2")).await.status(),
        201,
        "another client behind the proxy"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_with(test_settings(), None).await;
    for r in [
        app.get("/api", None).await,
        app.get("/nope", None).await,
        create(&app, None).await,
    ] {
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }
}

#[tokio::test]
async fn cross_origin_is_refused_by_default_and_allowed_when_configured() {
    let app = spawn_with(test_settings(), None).await;
    let r = app
        .client
        .get(app.url("/api"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let mut s = test_settings();
    s.allowed_origins = vec!["https://play.example".into()];
    let app = spawn_with(s, None).await;
    let r = app
        .client
        .get(app.url("/api"))
        .header("origin", "https://play.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://play.example"
    );
    let r = app
        .client
        .get(app.url("/api"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // A preflight from the allowed origin lists the methods.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/match"))
        .header("origin", "https://play.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_first_response_and_another_body_is_422() {
    let app = spawn_with(test_settings(), None).await;
    let post = |key: &'static str, body: serde_json::Value| {
        let req = app
            .client
            .post(app.url("/match"))
            .header("idempotency-key", key)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let first = post("k-1-4f1c2a9e7b3d5a60", json!({"name": "retry me"})).await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = post("k-1-4f1c2a9e7b3d5a60", json!({"name": "retry me"})).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(
        first, again,
        "the same match and host token, not a second match"
    );
    assert_eq!(app.app.store.count().await, 1);
    let other = post("k-1-4f1c2a9e7b3d5a60", json!({"name": "another body"})).await;
    let v = assert_problem(other, 422, "idempotency_key_reused").await;
    assert_eq!(v["field"], "Idempotency-Key");
    // A key must be as unguessable as a token: a short one is refused before anything runs.
    for short in ["k-1", "0123456789abcde"] {
        let v = assert_problem(
            post(short, json!({"name": "short key"})).await,
            422,
            "invalid_input",
        )
        .await;
        assert_eq!(v["field"], "Idempotency-Key");
    }
    assert_eq!(
        app.app.store.count().await,
        1,
        "no match made under a refused key"
    );
    // Joins: one player for one key.
    let id = first["match"]["id"].as_str().unwrap().to_string();
    let join = |key: &'static str| {
        let req = app
            .client
            .post(app.url(&format!("/match/{id}/join")))
            .header("idempotency-key", key)
            .json(&json!({"player_name": "Ann"}));
        async move { req.send().await.unwrap() }
    };
    let a: serde_json::Value = join("j-1-4f1c2a9e7b3d5a60").await.json().await.unwrap();
    let b: serde_json::Value = join("j-1-4f1c2a9e7b3d5a60").await.json().await.unwrap();
    assert_eq!(a["player"]["id"], b["player"]["id"]);
    let c: serde_json::Value = join("j-2-4f1c2a9e7b3d5a60").await.json().await.unwrap();
    assert_ne!(a["player"]["id"], c["player"]["id"]);
    let m: serde_json::Value = app
        .get(&format!("/match/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["players"].as_array().unwrap().len(), 2);
    // A failure is not remembered: a retry after a 4xx runs again.
    let bad = post("k-2-4f1c2a9e7b3d5a60", json!({"name": "bad<name>"})).await;
    assert_problem(bad, 422, "invalid_name").await;
    assert_eq!(
        post("k-2-4f1c2a9e7b3d5a60", json!({"name": "bad<name>"}))
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn admin_stats_need_the_admin_token_and_vanish_without_one() {
    let app = spawn_with(test_settings(), None).await;
    assert_problem(
        app.get("/admin/stats", Some("whatever-token-123")).await,
        404,
        "not_found",
    )
    .await;
    let mut s = test_settings();
    s.admin_token = Some("an-admin-token-of-some-length".into());
    let app = spawn_with(s, None).await;
    app.create_match(json!({})).await;
    assert_problem(app.get("/admin/stats", None).await, 401, "missing_token").await;
    assert_problem(
        app.get("/admin/stats", Some("an-admin-token-of-some-lengtH"))
            .await,
        401,
        "invalid_token",
    )
    .await;
    let r = app
        .get("/admin/stats", Some("an-admin-token-of-some-length"))
        .await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["active_matches"], 1);
    assert_eq!(v["matches_created"], 1);
    assert_eq!(v["model"], "glove-6B-50d-100k");
    assert_eq!(v["index"]["m"], 16);
}

#[tokio::test]
async fn logs_carry_request_ids_and_never_a_token() {
    let app = spawn_with(test_settings(), None).await;
    let (lobby, round) = app.started(1, json!({"wildcard_ratio": 0})).await;
    let (token, pid) = &lobby.players[0];
    let hand = app.hand(&lobby.id, token, pid).await;
    let mv = json!({"public_token": round["public_cards"][0]["token"], "public_sign": "+",
                    "private_token": hand[0].0, "private_sign": "+"});
    let path = format!(
        "/match/{}/round/{}/submit",
        lobby.id,
        round["id"].as_str().unwrap()
    );
    assert_eq!(app.post(&path, Some(token), &mv).await.status(), 200);
    let r = app
        .client
        .get(app.url(&format!("/match/{}", lobby.id)))
        .header("x-request-id", "log-probe-7")
        .bearer_auth(&lobby.host)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = String::from_utf8(crate::helpers::logs().lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("log-probe-7"),
        "the request was not logged with its id"
    );
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "every line is JSON"
    );
    for secret in [token.as_str(), lobby.host.as_str()] {
        assert!(!text.contains(secret), "a token reached the logs");
    }
}

#[tokio::test]
async fn a_body_that_never_arrives_in_full_gets_408_and_the_connection_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = test_settings();
    s.request_timeout_secs = 1;
    let app = spawn_with(s, None).await;
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // 100 bytes announced, 9 sent, and then nothing.
    conn.write_all(
        b"POST /match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"name\":",
    )
    .await
    .unwrap();
    // The answer comes at the deadline; the server then closes the connection (after
    // `client_disconnect_timeout`, 5 s, at most).
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(8), async {
        let mut buf = [0u8; 1024];
        loop {
            let n = conn.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    let text = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(closed.is_ok(), "the connection is closed: {text}");
    assert!(text.starts_with("http/1.1 408"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    // Everything else is unaffected, and the 408 is counted.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("http_requests_total") && l.contains("status=\"408\"")),
        "{metrics}"
    );
}

/// `MAX_MATCHES`: past it a new match is a 503 with `Retry-After`, never an out-of-memory kill;
/// the matches already held play on.
#[tokio::test]
async fn past_max_matches_creation_is_503_and_held_matches_play_on() {
    let mut s = test_settings();
    s.store.max_matches = 2;
    let app = spawn_with(s, None).await;
    let (first, _) = app.create_match(json!({})).await;
    app.create_match(json!({})).await;
    let r = app.post("/match", None, &json!({"name": "third"})).await;
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let v = assert_problem(r, 503, "too_many_matches").await;
    assert!(
        v["detail"].as_str().unwrap().contains("try again later"),
        "{v}"
    );
    assert_eq!(retry.as_deref(), Some("60"));
    app.join(&first, "Ann").await;
}
