//! Secrets stay secret in what the service prints: the real binary is started with a password in
//! every secret setting (`ADMIN_TOKEN`, `DATABASE_URL`, `REDIS_URL`, `SENTRY_DSN`), serves a few
//! requests (the admin one with its token), fails to authenticate to Redis (the server has no
//! password, so every Redis call fails and is logged), stops, and none of the passwords is in
//! its logs.

use super::helpers::{crate_path, free_port};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let port = free_port();
    let admin = "admin-s3cret-token-0123456789";
    let secrets = [
        ("ADMIN_TOKEN", admin.to_string(), "admin-s3cret"),
        (
            "DATABASE_URL",
            "postgres://root:pg-s3cret-pw@127.0.0.1:5432/test".to_string(),
            "pg-s3cret",
        ),
        (
            "REDIS_URL",
            "redis://:redis-s3cret-pw@127.0.0.1:6379/0".to_string(),
            "redis-s3cret",
        ),
        (
            "SENTRY_DSN",
            "http://sentrys3cretkey@127.0.0.1:9/42".to_string(),
            "sentrys3cret",
        ),
    ];
    // Its output goes to a file: a pipe nobody reads until the end would fill up (debug logs
    // are long) and stop the service.
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_word-bocce"));
    cmd.arg("serve")
        .current_dir(crate_path(""))
        .env("PORT", port.to_string())
        .env("SNAPSHOT_PATH", "off")
        .env("RUST_LOG", "debug")
        .env("REDIS_TIMEOUT_MS", "200")
        .env_remove("CONFIG_FILE")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    for (name, value, _) in &secrets {
        cmd.env(name, value);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the service did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Readiness asks Redis (which refuses the password) and Postgres; a match create fails on
    // Redis; the admin route takes its token.
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "Redis refuses the password: not ready");
    let created = client
        .post(format!("{base}/match"))
        .json(&serde_json::json!({"name": "secret test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 503);
    let stats = client
        .get(format!("{base}/admin/stats"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
    let stats_body = stats.text().await.unwrap();
    // Stop it (SIGTERM) and read everything it printed.
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let waited = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if waited.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        out.contains("serving"),
        "the start-up log is there: {out:.2000}"
    );
    assert!(
        out.contains("redis"),
        "Redis failures were logged: {out:.2000}"
    );
    for (name, _, fragment) in &secrets {
        let at = out.find(fragment);
        assert!(
            at.is_none(),
            "{name} is in the logs: …{}…",
            &out[at.unwrap().saturating_sub(200)..(at.unwrap() + 100).min(out.len())]
        );
        assert!(!stats_body.contains(fragment), "{name} in /admin/stats");
    }
}
