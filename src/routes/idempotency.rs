//! `Idempotency-Key` on `POST /match` and `POST /match/{id}/join`: a retry with the same key
//! and body gets the first response again (not a second match or player); the same key with
//! another body is 422. Records live 24 h: in memory on one instance, or in Redis when the
//! matches are there (so a retry that lands on another instance gets the first response too).
//!
//! In Redis a key is claimed with `SET NX` (a pending record that expires after a minute, so a
//! crashed instance does not hold it forever), then replaced by the response; a failure
//! deletes the claim (only if it is still ours), so a retry runs again.

use crate::error::{ApiError, Code};
use crate::store::redis::RedisConn;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a claim (a first request still running) holds its key in Redis.
const PENDING_TTL_SECS: u64 = 60;
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

/// A record as stored in Redis.
#[derive(Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    Pending {
        body: String,
        /// Tells our claim from another instance's with the same body.
        nonce: String,
    },
    Done {
        body: String,
        status: u16,
        response: String,
    },
}

#[derive(Default)]
pub struct Idempotency {
    entries: Mutex<HashMap<String, Entry>>,
    redis: Option<RedisConn>,
}

/// A claimed key: finish it with the response, or drop it (errors are not remembered, so a
/// retry runs again).
pub struct Claim<'a> {
    cache: &'a Idempotency,
    key: String,
    body: String,
    /// The pending record written to Redis (to release it if still ours).
    pending: Option<String>,
    done: bool,
}

impl Claim<'_> {
    pub async fn finish(mut self, status: StatusCode, response: &[u8]) {
        self.done = true;
        if let Some(r) = &self.cache.redis {
            let record = Record::Done {
                body: self.body.clone(),
                status: status.as_u16(),
                response: String::from_utf8_lossy(response).into_owned(),
            };
            let Ok(value) = serde_json::to_string(&record) else {
                return;
            };
            let key = self.key.clone();
            // The work is done: if Redis fails now the record is lost and a retry would run
            // again, which is what a client without a key gets anyway.
            let _ = r
                .run("idempotency finish", |mut c| async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(&value)
                        .arg("EX")
                        .arg(TTL.as_secs())
                        .exec_async(&mut c)
                        .await
                })
                .await;
            return;
        }
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
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let (Some(r), Some(pending)) = (&self.cache.redis, self.pending.take()) {
            let (r, key) = (r.clone(), self.key.clone());
            actix_web::rt::spawn(async move {
                let _ = r.delete_if(&key, &pending).await;
            });
            return;
        }
        if let Ok(mut map) = self.cache.entries.lock() {
            map.remove(&self.key);
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

fn replay(status: u16, response: Vec<u8>) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header(("Idempotent-Replayed", "true"))
        .body(response)
}

fn still_running() -> ApiError {
    ApiError::new(
        Code::Conflict,
        "a request with this Idempotency-Key is still running",
    )
    .retry_after(1)
}

impl Idempotency {
    /// Records in Redis when given a connection, else in this process.
    pub fn new(redis: Option<RedisConn>) -> Idempotency {
        Idempotency {
            entries: Mutex::new(HashMap::new()),
            redis,
        }
    }

    /// Look at the request's key for `scope` (the route and its path ids) and its body.
    pub async fn begin(
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
        match &self.redis {
            Some(r) => self.begin_shared(r, &full, digest).await,
            None => self.begin_local(full, digest),
        }
    }

    fn begin_local(&self, full: String, digest: String) -> Result<Outcome<'_>, ApiError> {
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
                return Ok(Outcome::Replay(replay(*status, response.clone())));
            }
            Some(Entry::Pending { body }) => {
                if *body != digest {
                    return Err(reused());
                }
                return Err(still_running());
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
            pending: None,
            done: false,
        }))
    }

    async fn begin_shared(
        &self,
        r: &RedisConn,
        full: &str,
        digest: String,
    ) -> Result<Outcome<'_>, ApiError> {
        let key = r.key(&format!("idem:{}", hex::encode(Sha256::digest(full))));
        let pending = serde_json::to_string(&Record::Pending {
            body: digest.clone(),
            nonce: hex::encode(rand::random::<[u8; 8]>()),
        })
        .map_err(ApiError::internal)?;
        // A record may expire between SET NX and GET: then claim again.
        for _ in 0..3 {
            let (k, p) = (key.clone(), pending.clone());
            let claimed: Option<String> = r
                .run("idempotency claim", |mut c| async move {
                    redis::cmd("SET")
                        .arg(&k)
                        .arg(&p)
                        .arg("NX")
                        .arg("EX")
                        .arg(PENDING_TTL_SECS)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            if claimed.is_some() {
                return Ok(Outcome::Claimed(Claim {
                    cache: self,
                    key,
                    body: digest,
                    pending: Some(pending),
                    done: false,
                }));
            }
            let k = key.clone();
            let stored: Option<String> = r
                .run("idempotency read", |mut c| async move {
                    redis::cmd("GET").arg(&k).query_async(&mut c).await
                })
                .await?;
            let Some(stored) = stored else { continue };
            return match serde_json::from_str::<Record>(&stored).map_err(ApiError::internal)? {
                Record::Done { body, .. } | Record::Pending { body, .. } if body != digest => {
                    Err(reused())
                }
                Record::Done {
                    status, response, ..
                } => Ok(Outcome::Replay(replay(status, response.into_bytes()))),
                Record::Pending { .. } => Err(still_running()),
            };
        }
        Err(still_running())
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
    let claim = match cache.begin(req, scope, body).await? {
        Outcome::Replay(res) => return Ok(res),
        Outcome::Run => None,
        Outcome::Claimed(c) => Some(c),
    };
    let out = f().await?;
    let bytes = serde_json::to_vec(&out).map_err(ApiError::internal)?;
    if let Some(c) = claim {
        c.finish(StatusCode::CREATED, &bytes).await;
    }
    Ok(HttpResponse::Created()
        .content_type("application/json")
        .body(bytes))
}
