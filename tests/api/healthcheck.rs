//! `word-bocce healthcheck`, the container's HEALTHCHECK: the real binary, with `BIND` and
//! `PORT` as a container gives them, asks a real server (0 when it serves, 1 when it does not:
//! draining for `/readyz`, nothing listening, a listener that never answers, or not HTTP).

use crate::helpers::{free_port, spawn_with, test_settings};
use std::io::Write;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// `word-bocce healthcheck ARGS` with `BIND` and `PORT`, off the async workers (the server
/// under test runs on this test's runtime); its output and how long it took.
async fn healthcheck(bind: &str, port: u16, args: &[&str]) -> (Output, Duration) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (bind, port) = (bind.to_string(), port.to_string());
    tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_word-bocce"))
            .arg("healthcheck")
            .args(&args)
            .env("BIND", bind)
            .env("PORT", port)
            .env_remove("CONFIG_FILE")
            .output()
            .expect("the binary runs");
        (out, t.elapsed())
    })
    .await
    .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn healthy_while_serving_and_not_ready_while_draining() {
    let mut s = test_settings();
    // Keep serving (not ready) long enough to ask both paths while draining.
    s.shutdown.delay_secs = 30;
    let app = spawn_with(s, None).await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();

    // BIND=0.0.0.0 (the image's) is asked on loopback.
    let (out, took) = healthcheck("0.0.0.0", port, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("GET /healthz on 127.0.0.1:{port} answered 200")),
        "{said}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (out, _) = healthcheck("127.0.0.1", port, &["--path", "/readyz"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Draining (as after a SIGTERM): not ready, still alive.
    app.app.shutdown.begin();
    let (out, _) = healthcheck("0.0.0.0", port, &["--path", "/readyz"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("answered 503"),
        "{}",
        text(&out)
    );
    let (out, _) = healthcheck("0.0.0.0", port, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test]
async fn unhealthy_when_nothing_answers() {
    // Nothing listening: refused at once.
    let port = free_port();
    let (out, took) = healthcheck("0.0.0.0", port, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("GET /healthz on 127.0.0.1:{port}")),
        "{}",
        text(&out)
    );
    assert!(took < Duration::from_secs(5), "{took:?}");

    // A listener that takes the connection and never answers (a hung process): the deadline.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hung.local_addr().unwrap().port();
    let (out, took) = healthcheck("127.0.0.1", port, &["--timeout-ms", "300"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timed out"),
        "{}",
        text(&out)
    );
    assert!(
        took < Duration::from_secs(3),
        "bounded by --timeout-ms: {took:?}"
    );
    drop(hung);

    // Something else on the port: not an HTTP answer.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = other.accept().unwrap();
        c.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
    });
    let (out, _) = healthcheck("127.0.0.1", port, &[]).await;
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not an HTTP answer"),
        "{}",
        text(&out)
    );
}
