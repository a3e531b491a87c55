//! A cluster of `scripts/cluster.sh` per test: 3 instances of the binary under test sharing the
//! Redis at `REDIS_TEST_URL` (a fresh key prefix each), behind a non-system nginx on loopback
//! HTTPS with its own CA. Clients connect from their own loopback addresses (127.x.y.z), so
//! nginx and the instances see distinct clients and every rate-limit key is the test's own.

use reqwest::{Certificate, Client, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn redis_url() -> String {
    std::env::var("REDIS_TEST_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub struct Cluster {
    /// `https://127.0.0.1:PORT` (nginx).
    pub url: String,
    /// `http://127.0.0.1:PORT` (nginx's redirecting listener).
    pub http_url: String,
    /// The instances, straight (bypassing nginx).
    pub instances: Vec<String>,
    pub pids: Vec<u32>,
    pub redis_prefix: String,
    ca: Certificate,
    dir: tempfile::TempDir,
}

impl Cluster {
    /// Start a cluster; `env` adds or overrides variables (e.g. `RATE_LIMIT_ENABLED`).
    pub fn start(env: &[(&str, &str)]) -> Cluster {
        let dir = tempfile::tempdir().expect("a run directory");
        let ports: Vec<String> = (0..3).map(|_| free_port().to_string()).collect();
        let mut cmd = Command::new(crate_path("scripts/cluster.sh"));
        cmd.arg("start")
            .env("CLUSTER_DIR", dir.path())
            .env("WORD_BOCCE_BIN", env!("CARGO_BIN_EXE_word-bocce"))
            .env("INSTANCE_PORTS", ports.join(" "))
            .env("HTTP_PORT", free_port().to_string())
            .env("HTTPS_PORT", free_port().to_string())
            .env("REDIS_URL", redis_url())
            .env_remove("REDIS_KEY_PREFIX")
            .env_remove("DATABASE_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("scripts/cluster.sh runs");
        assert!(
            out.status.success(),
            "scripts/cluster.sh start failed (is nginx installed? scripts/install-deps.sh):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let vars = read_env(&dir.path().join("cluster.env"));
        let ca = std::fs::read(&vars["CA_CERT"]).expect("the CA certificate");
        Cluster {
            url: vars["URL"].clone(),
            http_url: vars["HTTP_URL"].clone(),
            instances: vars["INSTANCE_URLS"]
                .split_whitespace()
                .map(String::from)
                .collect(),
            pids: vars["INSTANCE_PIDS"]
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect(),
            redis_prefix: vars["REDIS_KEY_PREFIX"].clone(),
            ca: Certificate::from_pem(&ca).expect("a PEM certificate"),
            dir,
        }
    }

    /// A client trusting only the cluster's CA, connecting from `127.0.a.b`; redirects are
    /// not followed (the tests look at them).
    pub fn client(&self, a: u8, b: u8) -> Client {
        Client::builder()
            .tls_certs_only([self.ca.clone()])
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, a, b)))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a client")
    }

    /// kill -9 the instance `i` (0-based).
    pub fn kill9(&self, i: usize) {
        let st = Command::new("kill")
            .args(["-9", &self.pids[i].to_string()])
            .status()
            .expect("kill runs");
        assert!(st.success(), "kill -9 {}", self.pids[i]);
        // Until the kernel has torn it down, so its sockets are closed: the process is gone,
        // or only its main thread is left, a zombie nobody reaps. The main thread alone being
        // a zombie is not enough: it exits first, while the other threads still tear the
        // process down with its sockets open, and nginx then sends a request on a kept-alive
        // connection that is reset without an answer (a POST is not sent on: a 503).
        for _ in 0..500 {
            if torn_down(self.pids[i]) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("instance {} still running 5 s after kill -9", i + 1);
    }
}

/// Whether process `pid` has exited with every thread (its files closed): gone, or its main
/// thread a zombie and the only one left.
fn torn_down(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    let others = tasks
        .filter_map(Result::ok)
        .filter(|t| t.file_name().to_string_lossy() != pid.to_string())
        .count();
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_or(true, |s| s.contains("State:\tZ"));
    others == 0 && zombie
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(crate_path("scripts/cluster.sh"))
            .arg("stop")
            .env("CLUSTER_DIR", self.dir.path())
            .output();
        // CLUSTER_TEST_KEEP=1 keeps the run directory (logs, nginx's error log) to look at.
        if std::env::var_os("CLUSTER_TEST_KEEP").is_some() {
            let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
            eprintln!("cluster run directory kept: {}", dir.keep().display());
        }
    }
}

fn read_env(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path).expect("cluster.env");
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

/// One player's (or the host's) view: a client from its own address, and its token.
pub struct Caller {
    pub client: Client,
    pub base: String,
    pub token: Option<String>,
}

impl Caller {
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        let mut r = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request sent")
    }
}

/// The body of a successful response, or a panic naming the status and the problem.
pub async fn ok_json(r: Response, want: StatusCode) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(status, want, "{text}");
    serde_json::from_str(&text).expect("a JSON body")
}

#[path = "../support/problem.rs"]
mod problem;
pub use problem::assert_problem;

/// Create a match through `host_client` and join `n` players, each from its own address
/// `127.0.net.(10 + i)`; returns (match id, host caller, players as (caller, player id)).
pub async fn lobby(
    c: &Cluster,
    net: u8,
    n: usize,
    settings: Value,
) -> (String, Caller, Vec<(Caller, String)>) {
    let mut host = Caller {
        client: c.client(net, 1),
        base: c.url.clone(),
        token: None,
    };
    let v = ok_json(
        host.post(
            "/match",
            &json!({"name": "cluster test", "settings": settings}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = v["match"]["id"].as_str().unwrap().to_string();
    host.token = Some(v["host_token"].as_str().unwrap().to_string());
    let mut players = Vec::new();
    for i in 0..n {
        let mut p = Caller {
            client: c.client(net, 10 + i as u8),
            base: c.url.clone(),
            token: None,
        };
        let v = ok_json(
            p.post(
                &format!("/match/{id}/join"),
                &json!({"player_name": format!("Player {i}")}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        p.token = Some(v["player_token"].as_str().unwrap().to_string());
        players.push((p, v["player"]["id"].as_str().unwrap().to_string()));
    }
    (id, host, players)
}

/// The host starts the match: round 1 and its id.
pub async fn start(host: &Caller, id: &str) -> (Value, String) {
    let round = ok_json(
        host.post(&format!("/match/{id}/start"), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let rid = round["id"].as_str().unwrap().to_string();
    (round, rid)
}

/// A legal move for this player in this round: a public card and their first plain card.
pub async fn a_move(p: &Caller, id: &str, pid: &str, round: &Value, i: usize) -> Value {
    let me = ok_json(
        p.get(&format!("/match/{id}/player/{pid}")).await,
        StatusCode::OK,
    )
    .await;
    let card = me["player"]["private_cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PRIVATE")
        .expect("a plain private card")["token"]
        .clone();
    let public = round["public_cards"].as_array().unwrap();
    json!({
        "public_token": public[i % public.len()]["token"],
        "public_sign": if i.is_multiple_of(2) { "+" } else { "-" },
        "private_token": card,
        "private_sign": "+",
    })
}
