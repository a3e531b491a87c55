//! Sentry, for real: a local HTTP listener stands in for Sentry's ingest host and must receive
//! the events the service sends for a 500 and for a panic, with the request's context and
//! without the caller's token.

use crate::helpers::{engine, logs, test_settings};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use word_bocce::routes::problem::ApiError;
use word_bocce::startup::Application;

/// Every request body the stand-in received, with its method and path first.
type Received = Arc<Mutex<Vec<String>>>;

fn stand_in() -> (u16, Received) {
    let received: Received = Default::default();
    let sink = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let sink = sink.clone();
        App::new()
            .app_data(web::PayloadConfig::new(64 << 20))
            .default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push(format!(
                        "{} {}\n{}",
                        req.method(),
                        req.path(),
                        String::from_utf8_lossy(&body)
                    ));
                    HttpResponse::Ok().json(serde_json::json!({}))
                }
            }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (port, received)
}

/// Wait until the stand-in holds an envelope containing `needle`; return it.
async fn envelope_with(received: &Received, needle: &str) -> String {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        let found = received
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.contains(needle))
            .cloned();
        if let Some(e) = found {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = received.lock().unwrap().clone();
    panic!("no envelope with {needle:?} reached the stand-in; got {got:?}");
}

fn failing_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/test/boom",
        web::get().to(|| async {
            Err::<HttpResponse, _>(ApiError::internal("the flux capacitor broke"))
        }),
    )
    .route("/test/panic", web::get().to(panics))
    .route(
        "/test/outage",
        web::get().to(|| async {
            Err::<HttpResponse, _>(ApiError::new(
                word_bocce::routes::problem::Code::StoreUnavailable,
                "the match store is down",
            ))
        }),
    );
}

async fn panics() -> HttpResponse {
    panic!("deliberate panic for the Sentry test")
}

#[tokio::test]
async fn internal_errors_and_panics_reach_sentry_with_the_request_context() {
    logs();
    let (port, received) = stand_in();
    let mut settings = test_settings();
    settings.sentry.dsn = Some(format!("http://publickey@127.0.0.1:{port}/42").into());
    settings.sentry.environment = "ci-test".into();
    let guard = word_bocce::telemetry::init_sentry(&settings.sentry).expect("sentry starts");
    let app = Application::build_with_routes(settings, engine(), failing_routes).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    let r = client
        .get(format!("{base}/test/boom"))
        .bearer_auth("secret-token-that-must-not-leak")
        .header("X-Request-Id", "sentry-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("flux capacitor"),
        "a 500 never carries internal details: {body}"
    );

    let e = envelope_with(&received, "the flux capacitor broke").await;
    assert!(e.starts_with("POST /api/42/envelope/"), "{e}");
    assert!(e.contains("\"environment\":\"ci-test\""), "{e}");
    assert!(e.contains("word-bocce@"), "the release is set: {e}");
    assert!(e.contains("/test/boom"), "the request URL is attached: {e}");
    assert!(e.contains("sentry-test-1"), "the request id is a tag: {e}");
    assert!(
        !e.contains("secret-token-that-must-not-leak"),
        "the bearer token is never sent: {e}"
    );

    // A panic in a handler: the connection drops, the event is sent.
    let _ = client.get(format!("{base}/test/panic")).send().await;
    let e = envelope_with(&received, "deliberate panic for the Sentry test").await;
    assert!(
        e.contains("/test/panic"),
        "the request URL is attached: {e}"
    );

    // A 4xx is the caller's problem and a 503 an outage, neither an error report; a 500 is
    // reported once.
    let before = received.lock().unwrap().len();
    let r = client
        .get(format!("{base}/match/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client
        .get(format!("{base}/test/outage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let r = client
        .get(format!("{base}/test/boom"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    drop(guard); // flushes what is queued
    let after = received.lock().unwrap().clone();
    let sent = &after[before..];
    assert!(
        sent.iter().all(|e| !e.contains("/match/nope")),
        "a 404 was reported: {sent:?}"
    );
    assert!(
        sent.iter().all(|e| !e.contains("/test/outage")),
        "a 503 was reported: {sent:?}"
    );
    let boom = sent.iter().filter(|e| e.contains("/test/boom")).count();
    assert_eq!(boom, 1, "one report per 500: {sent:?}");
}
