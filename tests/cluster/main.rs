//! Through nginx in front of 3 instances sharing one Redis (`scripts/cluster.sh`): the edge's
//! policy (TLS redirect, headers, closed operations routes, limits, body size, request ids),
//! shared matches under concurrency, an instance killed mid-match, match keys' TTL, and live
//! events crossing instances. Needs nginx (`scripts/install-deps.sh`, which `scripts/test.sh`
//! runs) and the Redis at `REDIS_TEST_URL` (default redis://127.0.0.1:6379).

mod harness;
mod shared;

use futures::future::join_all;
use harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// No jokers (every hand has plain cards), long rounds.
fn settings(players: usize, rounds: usize) -> Value {
    json!({"max_players": players, "M_private": 2, "wildcard_ratio": 0.0,
           "timeout_secs": 600, "rounds": rounds})
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[test]
fn nginx_t_passes_on_the_production_and_loopback_configs() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate_path("scripts/cluster.sh"))
        .arg("check-config")
        .env("CLUSTER_DIR", dir.path())
        .output()
        .expect("scripts/cluster.sh runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("production config: ok"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_edge_redirects_to_https_sets_headers_and_closes_operations_routes() {
    let c = Cluster::start(&[]);
    let client = c.client(1, 1);

    // Plain HTTP: a redirect to the same path over HTTPS, method-preserving.
    let r = client
        .post(format!("{}/match?x=1", c.http_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&r, "location"), format!("{}/match?x=1", c.url));

    // HTTPS: the service answers, with HSTS and the security headers once each.
    let r = client
        .get(format!("{}/api", c.url))
        .header("X-Request-Id", "edge-test-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "strict-transport-security").contains("max-age=63072000"));
    assert_eq!(header(&r, "x-request-id"), "edge-test-42");
    for h in [
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "content-security-policy",
    ] {
        assert_eq!(r.headers().get_all(h).iter().count(), 1, "{h} once");
    }
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert!(
        header(&r, "server").eq_ignore_ascii_case("nginx"),
        "no version"
    );
    let api: Value = r.json().await.unwrap();
    assert_eq!(api["vocab_size"], 100_000);

    // The page's own policy (its inline stylesheet's hash) reaches the browser once, intact.
    let r = client.get(format!("{}/", c.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp: Vec<_> = r
        .headers()
        .get_all("content-security-policy")
        .iter()
        .collect();
    assert_eq!(csp.len(), 1);
    assert!(
        csp[0]
            .to_str()
            .unwrap()
            .contains("style-src 'self' 'sha256-"),
        "{csp:?}"
    );

    // A request id that is not a plain token is replaced, never echoed.
    let r = client
        .get(format!("{}/healthz", c.url))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = header(&r, "x-request-id");
    assert!(!id.is_empty() && !id.contains(' '), "{id}");

    // JSON is compressed for clients that accept it.
    let r = client
        .get(format!("{}/openapi.json", c.url))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-encoding"), "gzip");

    // /metrics and /admin are not served from outside, though the instances have them.
    let r = client
        .get(format!("{}/metrics", c.url))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 403, "forbidden").await;
    assert!(p["detail"].as_str().unwrap().contains("not served"));
    let r = client
        .get(format!("{}/admin/stats", c.url))
        .bearer_auth("a-very-long-admin-token-guess")
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "forbidden").await;
    let r = client
        .get(format!("{}/metrics", c.instances[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("http_requests_total"));

    // A body over 16 KiB: 413 as a problem document, from the edge.
    let big = json!({"name": "x".repeat(17 * 1024)});
    let r = client
        .post(format!("{}/match", c.url))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, "payload_too_large").await;

    // Unknown routes are the service's 404, through the edge.
    let r = client.get(format!("{}/nope", c.url)).send().await.unwrap();
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_from_one_address_gets_429_at_the_edge_and_others_are_served() {
    let c = Cluster::start(&[]);
    let flooder = c.client(2, 1);
    // 400 requests, 32 at a time, from one address: far past 20/s with bursts of 100.
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..(400 / 32) {
        let batch =
            join_all((0..32).map(|_| flooder.get(format!("{}/healthz", c.url)).send())).await;
        for r in batch {
            let r = r.expect("answered");
            statuses.push(r.status().as_u16());
            if r.status() == StatusCode::TOO_MANY_REQUESTS && limited.is_none() {
                limited = Some(r);
            }
        }
    }
    let n429 = statuses.iter().filter(|s| **s == 429).count();
    let n200 = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(
        n429 + n200,
        statuses.len(),
        "only 200 and 429: {statuses:?}"
    );
    assert!(n429 > 0 && n200 >= 100, "{n200} served, {n429} limited");
    let r = limited.unwrap();
    assert_eq!(header(&r, "retry-after"), "1");
    assert!(header(&r, "strict-transport-security").contains("max-age"));
    assert_problem(r, 429, "rate_limited").await;

    // Another client is not affected.
    let other = c.client(2, 2);
    let r = other
        .get(format!("{}/healthz", c.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_instances_limit_each_client_by_its_own_address_behind_nginx() {
    // The instances trust nginx's X-Forwarded-For: one client's match creations run out of
    // quota (5 a minute on each instance, so at most 15 of 16 pass), another's do not, and a
    // forged X-Forwarded-For buys the first client nothing.
    let c = Cluster::start(&[]);
    let a = c.client(3, 1);
    let mut statuses = Vec::new();
    for i in 0..16 {
        let r = a
            .post(format!("{}/match", c.url))
            .header("X-Forwarded-For", format!("10.9.8.{i}"))
            .json(&json!({"name": "limited"}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            // The service's 429 (not the edge's): it carries the RateLimit headers.
            assert!(!header(&r, "ratelimit-policy").is_empty());
            assert_problem(r, 429, "rate_limited").await;
            statuses.push(429);
        } else {
            statuses.push(r.status().as_u16());
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 429),
        "{statuses:?}"
    );
    let b = c.client(3, 2);
    let r = b
        .post(format!("{}/match", c.url))
        .json(&json!({"name": "fresh"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}
