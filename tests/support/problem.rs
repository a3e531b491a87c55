//! Shared by the test binaries (`#[path]`-included): the problem-document assertion.

use reqwest::Response;
use serde_json::Value;

/// Assert a problem document with this status and code; returns it.
pub async fn assert_problem(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "expected {status} {code}");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], status);
    assert_eq!(v["type"], format!("/errors/{code}"));
    assert!(v["title"].is_string() && v["detail"].is_string());
    v
}
