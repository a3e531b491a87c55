//! Idempotency records: a request sent again with the same `Idempotency-Key` (and the same body)
//! gets the first response instead of running twice. Records live 24 h: in this process
//! ([`MemoryIdempotency`]) or in Redis when the matches are there ([`RedisIdempotency`]), so a
//! retry that lands on another instance gets the first response too.
//!
//! A key is first *claimed* (the request runs), then *finished* with its response, or
//! *released* if the request failed (errors are not remembered, so a retry runs again). In
//! Redis a claim is a `SET NX` pending record that expires after a minute, so a crashed instance
//! does not hold a key for ever; a release deletes it only if it is still ours.

use super::redis::RedisConn;
use super::{BoxFuture, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a finished record answers retries.
pub const TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a claim (a first request still running) holds its key in Redis.
const PENDING_TTL_SECS: u64 = 60;
/// Records kept in memory before the expired ones are swept.
const SWEEP_ABOVE: usize = 100_000;

/// Why a keyed request cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdempotencyError {
    #[error("this Idempotency-Key was used with another body")]
    Reused,
    #[error("a request with this Idempotency-Key is still running")]
    StillRunning { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A claimed key: the request runs; then [`IdempotencyStore::finish`] or
/// [`IdempotencyStore::release`] it.
#[derive(Debug)]
pub struct Claim {
    key: String,
    digest: String,
    /// The pending record written to Redis (to release it only if it is still ours).
    pending: Option<String>,
}

/// What a key says about a request.
#[derive(Debug)]
pub enum Begin {
    /// A new key: run the request.
    Claimed(Claim),
    /// Seen before with the same body: send this response again.
    Replay { status: u16, response: Vec<u8> },
}

pub trait IdempotencyStore: Send + Sync {
    /// Look up `key` (already scoped to its route) for a request whose body hashes to
    /// `digest`: claim it, or the response to replay.
    fn begin<'a>(
        &'a self,
        key: &'a str,
        digest: &'a str,
    ) -> BoxFuture<'a, Result<Begin, IdempotencyError>>;

    /// Remember the response of a claimed request. Best effort: if the record is lost, a retry
    /// runs again, which is what a client without a key gets anyway.
    fn finish<'a>(&'a self, claim: Claim, status: u16, response: &'a [u8]) -> BoxFuture<'a, ()>;

    /// Forget a claim whose request failed (may finish in the background).
    fn release(&self, claim: Claim);
}

// ---- in this process ----

enum Entry {
    /// The first request with this key is still running.
    Pending { digest: String },
    Done {
        digest: String,
        status: u16,
        response: Vec<u8>,
        at: Instant,
    },
}

/// Records in this process (one instance, or tests).
#[derive(Default)]
pub struct MemoryIdempotency {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryIdempotency {
    fn begin_now(&self, key: &str, digest: &str) -> Result<Begin, IdempotencyError> {
        let mut map = self
            .entries
            .lock()
            .map_err(|_| StoreError::internal("idempotency lock poisoned"))?;
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, e| !matches!(e, Entry::Done { at, .. } if at.elapsed() > TTL));
        }
        match map.get(key) {
            Some(Entry::Done { at, .. }) if at.elapsed() > TTL => {}
            Some(Entry::Done { digest: d, .. } | Entry::Pending { digest: d }) if d != digest => {
                return Err(IdempotencyError::Reused)
            }
            Some(Entry::Done {
                status, response, ..
            }) => {
                return Ok(Begin::Replay {
                    status: *status,
                    response: response.clone(),
                })
            }
            Some(Entry::Pending { .. }) => {
                return Err(IdempotencyError::StillRunning { retry_after: 1 })
            }
            None => {}
        }
        map.insert(
            key.to_string(),
            Entry::Pending {
                digest: digest.to_string(),
            },
        );
        Ok(Begin::Claimed(Claim {
            key: key.to_string(),
            digest: digest.to_string(),
            pending: None,
        }))
    }
}

impl IdempotencyStore for MemoryIdempotency {
    fn begin<'a>(
        &'a self,
        key: &'a str,
        digest: &'a str,
    ) -> BoxFuture<'a, Result<Begin, IdempotencyError>> {
        Box::pin(async move { self.begin_now(key, digest) })
    }

    fn finish<'a>(&'a self, claim: Claim, status: u16, response: &'a [u8]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Ok(mut map) = self.entries.lock() {
                map.insert(
                    claim.key,
                    Entry::Done {
                        digest: claim.digest,
                        status,
                        response: response.to_vec(),
                        at: Instant::now(),
                    },
                );
            }
        })
    }

    fn release(&self, claim: Claim) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&claim.key);
        }
    }
}

// ---- in Redis ----

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

/// Records in Redis, shared by every instance: `P idem:{sha256 of the scoped key}`.
pub struct RedisIdempotency {
    redis: RedisConn,
}

impl RedisIdempotency {
    pub fn new(redis: RedisConn) -> RedisIdempotency {
        RedisIdempotency { redis }
    }

    async fn begin_shared(&self, scoped: &str, digest: &str) -> Result<Begin, IdempotencyError> {
        use sha2::{Digest, Sha256};
        let r = &self.redis;
        let key = r.key(&format!("idem:{}", hex::encode(Sha256::digest(scoped))));
        let pending = serde_json::to_string(&Record::Pending {
            body: digest.to_string(),
            nonce: hex::encode(rand::random::<[u8; 8]>()),
        })
        .map_err(StoreError::internal)?;
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
                return Ok(Begin::Claimed(Claim {
                    key,
                    digest: digest.to_string(),
                    pending: Some(pending),
                }));
            }
            let k = key.clone();
            let stored: Option<String> = r
                .run("idempotency read", |mut c| async move {
                    redis::cmd("GET").arg(&k).query_async(&mut c).await
                })
                .await?;
            let Some(stored) = stored else { continue };
            return match serde_json::from_str::<Record>(&stored).map_err(StoreError::internal)? {
                Record::Done { body, .. } | Record::Pending { body, .. } if body != digest => {
                    Err(IdempotencyError::Reused)
                }
                Record::Done {
                    status, response, ..
                } => Ok(Begin::Replay {
                    status,
                    response: response.into_bytes(),
                }),
                Record::Pending { .. } => Err(IdempotencyError::StillRunning { retry_after: 1 }),
            };
        }
        Err(IdempotencyError::StillRunning { retry_after: 1 })
    }
}

impl IdempotencyStore for RedisIdempotency {
    fn begin<'a>(
        &'a self,
        key: &'a str,
        digest: &'a str,
    ) -> BoxFuture<'a, Result<Begin, IdempotencyError>> {
        Box::pin(self.begin_shared(key, digest))
    }

    fn finish<'a>(&'a self, claim: Claim, status: u16, response: &'a [u8]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let record = Record::Done {
                body: claim.digest,
                status,
                response: String::from_utf8_lossy(response).into_owned(),
            };
            let Ok(value) = serde_json::to_string(&record) else {
                return;
            };
            let key = claim.key;
            let _ = self
                .redis
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
        })
    }

    fn release(&self, claim: Claim) {
        let Some(pending) = claim.pending else { return };
        let (r, key) = (self.redis.clone(), claim.key);
        tokio::spawn(async move {
            let _ = r.delete_if(&key, &pending).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(b: Begin) -> Claim {
        match b {
            Begin::Claimed(c) => c,
            Begin::Replay { .. } => panic!("expected a claim"),
        }
    }

    #[tokio::test]
    async fn a_finished_key_replays_its_response_and_refuses_another_body() {
        let s = MemoryIdempotency::default();
        let c = claimed(s.begin("k", "d1").await.unwrap());
        assert_eq!(
            s.begin("k", "d1").await.unwrap_err(),
            IdempotencyError::StillRunning { retry_after: 1 }
        );
        s.finish(c, 201, b"{\"ok\":1}").await;
        match s.begin("k", "d1").await.unwrap() {
            Begin::Replay { status, response } => {
                assert_eq!((status, response.as_slice()), (201, &b"{\"ok\":1}"[..]))
            }
            Begin::Claimed(_) => panic!("a finished key was claimed again"),
        }
        assert_eq!(
            s.begin("k", "d2").await.unwrap_err(),
            IdempotencyError::Reused
        );
    }

    #[tokio::test]
    async fn a_released_key_runs_again() {
        let s = MemoryIdempotency::default();
        let c = claimed(s.begin("k", "d").await.unwrap());
        s.release(c);
        claimed(s.begin("k", "d").await.unwrap());
    }
}
