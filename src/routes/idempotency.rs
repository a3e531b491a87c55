//! `Idempotency-Key` on `POST /match` and `POST /match/{id}/join`: a retry with the same key
//! and body gets the first response again (not a second match or player); the same key with
//! another body is 422. Records live 24 h in memory (a shared store comes with Redis).

use crate::error::{ApiError, Code};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(24 * 3600);
const HEADER: &str = "idempotency-key";

enum Entry {
    /// The first request with this key is still running.
    Pending { body: String },
    Done {
        body: String,
        status: u16,
        response: Vec<u8>,
        at: Instant,
    },
}

#[derive(Default)]
pub struct Idempotency {
    entries: Mutex<HashMap<String, Entry>>,
}

/// A claimed key: finish it with the response, or drop it (errors are not remembered, so a
/// retry runs again).
pub struct Claim<'a> {
    cache: &'a Idempotency,
    key: String,
    body: String,
    done: bool,
}

impl Claim<'_> {
    pub fn finish(mut self, status: StatusCode, response: &[u8]) {
        if let Ok(mut map) = self.cache.entries.lock() {
            map.insert(
                self.key.clone(),
                Entry::Done {
                    body: std::mem::take(&mut self.body),
                    status: status.as_u16(),
                    response: response.to_vec(),
                    at: Instant::now(),
                },
            );
        }
        self.done = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(mut map) = self.cache.entries.lock() {
                map.remove(&self.key);
            }
        }
    }
}

/// What to do with a request.
pub enum Outcome<'a> {
    /// No key: just run it.
    Run,
    /// A new key: run it and `finish` the claim.
    Claimed(Claim<'a>),
    /// Seen before with the same body: send this.
    Replay(HttpResponse),
}

impl Idempotency {
    /// Look at the request's key for `scope` (the route and its path ids) and its body.
    pub fn begin(
        &self,
        req: &HttpRequest,
        scope: &str,
        body: &impl serde::Serialize,
    ) -> Result<Outcome<'_>, ApiError> {
        let Some(raw) = req.headers().get(HEADER) else {
            return Ok(Outcome::Run);
        };
        let key = raw.to_str().unwrap_or("");
        if !(1..=255).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::new(
                Code::InvalidInput,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .field("Idempotency-Key"));
        }
        let digest = hex::encode(Sha256::digest(
            serde_json::to_vec(body).map_err(ApiError::internal)?,
        ));
        let full = format!("{scope}\n{key}");
        let mut map = self
            .entries
            .lock()
            .map_err(|_| ApiError::internal("idempotency lock poisoned"))?;
        if map.len() > 100_000 {
            map.retain(|_, e| !matches!(e, Entry::Done { at, .. } if at.elapsed() > TTL));
        }
        match map.get(&full) {
            Some(Entry::Done { at, .. }) if at.elapsed() > TTL => {}
            Some(Entry::Done {
                body,
                status,
                response,
                ..
            }) => {
                if *body != digest {
                    return Err(reused());
                }
                let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                let res = HttpResponse::build(status)
                    .content_type("application/json")
                    .insert_header(("Idempotent-Replayed", "true"))
                    .body(response.clone());
                return Ok(Outcome::Replay(res));
            }
            Some(Entry::Pending { body }) => {
                if *body != digest {
                    return Err(reused());
                }
                return Err(ApiError::new(
                    Code::Conflict,
                    "a request with this Idempotency-Key is still running",
                )
                .retry_after(1));
            }
            None => {}
        }
        map.insert(
            full.clone(),
            Entry::Pending {
                body: digest.clone(),
            },
        );
        Ok(Outcome::Claimed(Claim {
            cache: self,
            key: full,
            body: digest,
            done: false,
        }))
    }
}

fn reused() -> ApiError {
    ApiError::new(
        Code::IdempotencyKeyReused,
        "this Idempotency-Key was used with another body",
    )
    .field("Idempotency-Key")
}

/// Run `f` under the request's idempotency key (if any) and remember a success.
pub async fn run<T, F, Fut>(
    cache: &Idempotency,
    req: &HttpRequest,
    scope: &str,
    body: &impl serde::Serialize,
    f: F,
) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let claim = match cache.begin(req, scope, body)? {
        Outcome::Replay(res) => return Ok(res),
        Outcome::Run => None,
        Outcome::Claimed(c) => Some(c),
    };
    let out = f().await?;
    let bytes = serde_json::to_vec(&out).map_err(ApiError::internal)?;
    if let Some(c) = claim {
        c.finish(StatusCode::CREATED, &bytes);
    }
    Ok(HttpResponse::Created()
        .content_type("application/json")
        .body(bytes))
}
