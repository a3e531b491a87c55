//! `Idempotency-Key` on `POST /match` and `POST /match/{id}/join`: a retry with the same key
//! and body gets the first response again (not a second match or player); the same key with
//! another body is 422. The records themselves live behind [`IdempotencyStore`] (in memory, or
//! in Redis beside the matches); this is the HTTP side: the header, the body's digest, the
//! replayed response.

use super::problem::{ApiError, Code};
use crate::store::idempotency::{Begin, Claim, IdempotencyStore};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

const HEADER: &str = "idempotency-key";

/// Releases a claim unless its request finished.
struct Guard<'a> {
    store: &'a dyn IdempotencyStore,
    claim: Option<Claim>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.claim.take() {
            self.store.release(c);
        }
    }
}

fn replay(status: u16, response: Vec<u8>) -> HttpResponse {
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header(("Idempotent-Replayed", "true"))
        .body(response)
}

/// The shortest key accepted: a replay hands the first response (a new player's token) to
/// whoever sends the same key and body, so a key must be as hard to guess as a token — a UUIDv4
/// (36 characters) is; a short counter is not.
pub const MIN_KEY_LEN: usize = 16;

/// The request's key, if it sent one: 16 to 255 visible ASCII characters.
fn key(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = raw.to_str().unwrap_or("");
    if !(MIN_KEY_LEN..=255).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::new(
            Code::InvalidInput,
            "Idempotency-Key must be 16 to 255 visible ASCII characters, as unguessable as a token (a UUID v4 is)",
        )
        .field("Idempotency-Key"));
    }
    Ok(Some(key))
}

/// Run `f` under the request's idempotency key (if any) for `scope` (the route and its path
/// ids) and remember a success; the response is 201 with `f`'s value.
pub async fn run<T, F, Fut>(
    store: &dyn IdempotencyStore,
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
    let mut guard = Guard { store, claim: None };
    if let Some(key) = key(req)? {
        let digest = hex::encode(Sha256::digest(
            serde_json::to_vec(body).map_err(ApiError::internal)?,
        ));
        let scoped = format!("{scope}\n{key}");
        match store.begin(&scoped, &digest).await? {
            Begin::Replay { status, response } => return Ok(replay(status, response)),
            Begin::Claimed(c) => guard.claim = Some(c),
        }
    }
    let out = f().await?;
    let bytes = serde_json::to_vec(&out).map_err(ApiError::internal)?;
    if let Some(c) = guard.claim.take() {
        store.finish(c, 201, &bytes).await;
    }
    Ok(HttpResponse::Created()
        .content_type("application/json")
        .body(bytes))
}
