//! Graceful shutdown, triggered as the signal handler does (`state.shutdown.begin()`; the
//! binary's SIGTERM → exit 0 is checked by scripts/test.sh): readiness 503 at once, event
//! streams get a final `shutdown` event, an in-flight request still completes, then the server
//! stops and new connections are refused. And a signal during startup stops the binary at
//! once, even as a container's PID 1.

use crate::helpers::{crate_path, engine, free_port, logs, test_settings};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use word_bocce::startup::Application;

#[tokio::test]
async fn shutdown_drains_in_flight_requests_ends_streams_and_reports_not_ready() {
    logs();
    let mut s = test_settings();
    s.shutdown.delay_secs = 1;
    s.shutdown.timeout_secs = 10;
    let app = Application::build_with_engine(s, engine()).unwrap();
    let port = app.port();
    let state = app.state.clone();
    let server = tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/match"))
        .json(&json!({"name": "last orders"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["match"]["id"].as_str().unwrap().to_string();
    let mut stream = client
        .get(format!("{base}/match/{id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    // A join whose body is still on its way when the shutdown begins.
    let body = json!({"player_name": "Late Larry"}).to_string();
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /match/{id}/join HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&body.as_bytes()[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    state.shutdown.begin();
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready at once");
    let v: Value = ready.json().await.unwrap();
    assert_eq!(v["shutting_down"], true);
    assert_eq!(v["status"], "degraded");

    // The stream's last frame is the shutdown event, then it ends.
    let mut text = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await;
    assert!(read.is_ok(), "the stream ended: {text}");
    assert!(
        text.trim_end().ends_with(
            "event: shutdown\ndata: {\"reason\":\"the server is shutting down: reconnect\"}"
        ),
        "{text}"
    );

    // The listener is closed now, but the in-flight join completes.
    tcp.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut response))
        .await
        .expect("the in-flight request is answered")
        .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("Late Larry"));

    let stopped = tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("the server stops within its timeout")
        .unwrap();
    assert!(stopped.is_ok());
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "no new connections"
    );
}

/// A container's PID 1 ignores a signal it has no handler for, and the service's handler
/// listens only once startup is done: a stop during a cold build (minutes at 400k words) waited
/// for the orchestrator's kill timeout. Run as PID 1 of a new PID namespace (`unshare`, which
/// needs root, as CI has), the binary is sent SIGTERM while it builds its graph and must stop
/// at once, with status 143.
#[test]
fn sigterm_during_a_cold_start_stops_pid_1_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = free_port();
    let mut unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(env!("CARGO_BIN_EXE_word-bocce"))
        .arg("serve")
        .current_dir(crate_path(""))
        // An empty graph cache: the start builds the graph (~20 s at 100k words).
        .env("INDEX_CACHE_DIR", dir.path().join("cache"))
        .env("PORT", port.to_string())
        .env("SNAPSHOT_PATH", "off")
        .env("SQLITE_PATH", dir.path().join("progress.db"))
        .env_remove("REDIS_URL")
        .env_remove("DATABASE_URL")
        .env_remove("CONFIG_FILE")
        .stdout(Stdio::from(log))
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare (util-linux) runs");
    let stop = |child: &mut std::process::Child| {
        let _ = Command::new("pkill")
            .args(["-KILL", "-P", &child.id().to_string()])
            .status();
        let _ = child.kill();
        let _ = child.wait();
    };
    // The namespace's PID 1 is unshare's child; wait until its graph build has begun.
    let children = format!("/proc/{0}/task/{0}/children", unshare.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    let inner = loop {
        let building = std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .contains("building the nearest-neighbour graph");
        let pid = std::fs::read_to_string(&children).unwrap_or_default();
        if building && !pid.trim().is_empty() {
            break pid.trim().to_string();
        }
        if let Some(status) = unshare.try_wait().unwrap() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(unshare.stderr.as_mut().unwrap(), &mut err);
            panic!("the service ended before its build ({status}): {err}");
        }
        if Instant::now() > deadline {
            stop(&mut unshare);
            panic!("no graph build began within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let sent = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &inner])
        .status()
        .unwrap()
        .success());
    let status = loop {
        if let Some(status) = unshare.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(10) {
            stop(&mut unshare);
            panic!("PID 1 still ran 10 s after SIGTERM during its cold build");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(unshare.stderr.as_mut().unwrap(), &mut err);
    assert_eq!(status.code(), Some(143), "stderr: {err}");
    assert!(
        err.contains("stopped by a signal during startup"),
        "stderr: {err}"
    );
}
