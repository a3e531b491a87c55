//! Graceful shutdown, triggered as the signal handler does (`state.shutdown.begin()`; the
//! binary's SIGTERM → exit 0 is checked by scripts/test.sh): readiness 503 at once, event
//! streams get a final `shutdown` event, an in-flight request still completes, then the server
//! stops and new connections are refused.

use crate::helpers::{engine, logs, test_settings};
use serde_json::{json, Value};
use std::time::Duration;
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
