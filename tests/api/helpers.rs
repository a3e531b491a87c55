//! `spawn_app` and typed helpers. One engine (model + index) is loaded per test binary and
//! shared by every app the tests spawn.

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use word_bocce::config::{EngineSettings, Settings};
use word_bocce::engine::Engine;
use word_bocce::startup::Application;

pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A local port nothing listens on (the system's pick, released at once), for a binary the
/// test starts.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let settings = EngineSettings::committed_model(&crate_path(""));
            Arc::new(Engine::load(&settings).expect("the committed model loads"))
        })
        .clone()
}

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub app: Arc<word_bocce::routes::AppState>,
    _dir: Option<tempfile::TempDir>,
}

/// Settings for a test app: port 0, seeded deals, no snapshot unless asked.
pub fn test_settings() -> Settings {
    let mut s = Settings::from_lookup(&|_| None).expect("defaults are valid");
    s.port = 0;
    s.rng_seed = Some(7);
    s.snapshot_path = None;
    // Tests hammer one address; the rate-limit tests switch limits back on.
    s.rate_limits.enabled = false;
    // Puzzle progress in a private in-memory SQLite database (tests/api/puzzles.rs uses
    // Postgres and SQLite files).
    s.progress = word_bocce::config::ProgressSettings::sqlite(":memory:");
    s
}

/// The committed puzzle catalogue, validated once per test binary.
pub fn puzzles() -> Arc<word_bocce::puzzles::play::Puzzles> {
    static PUZZLES: OnceLock<Arc<word_bocce::puzzles::play::Puzzles>> = OnceLock::new();
    PUZZLES
        .get_or_init(|| {
            let catalogue = word_bocce::puzzles::Catalogue::load(&engine(), &crate_path("puzzles"));
            Arc::new(word_bocce::puzzles::play::Puzzles::new(catalogue))
        })
        .clone()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_settings(), None).await
}

/// Every log line the apps of this test binary wrote (Bunyan JSON, level info and up).
pub fn logs() -> Arc<std::sync::Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = word_bocce::telemetry::get_subscriber(
            "word-bocce-test",
            tracing_subscriber::EnvFilter::new("info"),
            move || LogSink(sink.clone()),
        );
        word_bocce::telemetry::init_subscriber(subscriber);
        buf
    })
    .clone()
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub async fn spawn_with(settings: Settings, dir: Option<tempfile::TempDir>) -> TestApp {
    logs();
    let engine = engine();
    // The committed catalogue is shared; another directory is loaded by the app itself.
    let app = if settings.puzzles_dir == Path::new(word_bocce::puzzles::DEFAULT_DIR) {
        Application::build_with_puzzles(settings, engine, puzzles())
    } else {
        Application::build_with_engine(settings, engine)
    }
    .expect("the app builds");
    serve(app, dir)
}

/// An app on the committed catalogue whose time is `clock` (a `ManualClock` to cross UTC
/// midnight without waiting for it).
pub async fn spawn_with_clock(
    settings: Settings,
    clock: word_bocce::clock::SharedClock,
) -> TestApp {
    logs();
    let app = Application::build_with_clock(settings, engine(), puzzles(), clock)
        .expect("the app builds");
    serve(app, None)
}

fn serve(app: Application, dir: Option<tempfile::TempDir>) -> TestApp {
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone().into_inner();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::new(),
        app: state,
        _dir: dir,
    }
}

/// A created match, its host token and players (token, id).
pub struct Lobby {
    pub id: String,
    pub host: String,
    pub players: Vec<(String, String)>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request sent")
    }

    /// GET without a token; the 200 body as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.expect("a JSON body")
    }

    /// GET with one request header.
    pub async fn get_with(&self, path: &str, name: &str, value: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(name, value)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn create_match(&self, settings: Value) -> (String, String) {
        let r = self
            .post(
                "/match",
                None,
                &json!({"name": "Friday game", "settings": settings}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        (
            v["match"]["id"].as_str().unwrap().to_string(),
            v["host_token"].as_str().unwrap().to_string(),
        )
    }

    pub async fn join(&self, id: &str, name: &str) -> (String, String) {
        let r = self
            .post(
                &format!("/match/{id}/join"),
                None,
                &json!({"player_name": name}),
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap_or_default()
        );
        let v: Value = r.json().await.unwrap();
        (
            v["player_token"].as_str().unwrap().to_string(),
            v["player"]["id"].as_str().unwrap().to_string(),
        )
    }

    /// A match with `n` players, started.
    pub async fn started(&self, n: usize, settings: Value) -> (Lobby, Value) {
        let (id, host) = self.create_match(settings).await;
        let mut players = Vec::new();
        for i in 0..n {
            players.push(self.join(&id, &format!("Player {i}")).await);
        }
        let r = self
            .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let round: Value = r.json().await.unwrap();
        (Lobby { id, host, players }, round)
    }

    pub async fn hand(&self, id: &str, token: &str, pid: &str) -> Vec<(String, String)> {
        let r = self
            .get(&format!("/match/{id}/player/{pid}"), Some(token))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["player"]["private_cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["token"].as_str().unwrap().to_string(),
                    c["type"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

#[path = "../support/problem.rs"]
mod problem;
pub use problem::assert_problem;
