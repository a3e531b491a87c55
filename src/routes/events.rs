//! `GET /match/{id}/events`: Server-Sent Events of a match (names and data: `store::events`).
//!
//! A stream first replays the retained events after `Last-Event-ID` (header, or
//! `?last_event_id=`; without either, every retained event), then sends live ones, each once and
//! in id order: it subscribes before it reads the log, drops what it already sent, and refills
//! any gap from the log. Comments keep it alive every `SSE_KEEPALIVE_SECS`. When the open
//! round's deadline passes, or a computer opponent's move comes due, the stream settles the
//! match itself, so `round_resolved` (or the bot's `move_submitted`) comes even if nobody else
//! is polling. It ends after `match_finished`; a client resuming after that
//! gets 204 (which tells `EventSource` to stop reconnecting). On shutdown every stream gets a
//! final `shutdown` event (no id) and ends. At most `SSE_MAX_CLIENTS` streams per instance
//! (then 503 `too_many_streams` with `Retry-After`).

use super::input;
use super::State;
use crate::game::MatchStatus;
use crate::routes::problem::{ApiError, Code};
use crate::shutdown::{Phase, Shutdown};
use crate::store::events::Event;
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, mpsc};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/match/{id}/events").route(web::get().to(events)));
}

/// The open event streams of this instance.
pub struct Streams {
    open: AtomicUsize,
    max: usize,
}

impl Streams {
    pub fn new(max: usize) -> Streams {
        Streams {
            open: AtomicUsize::new(0),
            max,
        }
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// One open stream; closing it frees its place.
struct Slot(State);

impl Slot {
    fn take(state: &State) -> Result<Slot, ApiError> {
        let s = &state.streams;
        let taken = s
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < s.max).then_some(n + 1)
            })
            .is_ok();
        if !taken {
            return Err(ApiError::new(
                Code::TooManyStreams,
                "this server has as many event streams open as it serves: try again shortly",
            )
            .retry_after(5));
        }
        Ok(Slot(state.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.streams.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    last_event_id: Option<u64>,
}

/// The event stream's body: frames from the task that writes them.
struct SseBody(mpsc::Receiver<Bytes>);

impl MessageBody for SseBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.get_mut().0.poll_recv(cx).map(|b| b.map(Ok))
    }
}

#[utoipa::path(get, path = "/match/{id}/events", tag = "matches",
    params(("id" = String, Path), ("last_event_id" = Option<u64>, Query, description = "resume after this event id (or send the Last-Event-ID header)")),
    responses(
        (status = 200, description = "text/event-stream: events player_joined, round_started, move_submitted, round_resolved, match_finished (each with an id), keep-alive comments, and a final shutdown event", content_type = "text/event-stream"),
        (status = 204, description = "the match is finished and the client has every event"),
        (status = 400, body = crate::routes::problem::ProblemDoc), (status = 404, body = crate::routes::problem::ProblemDoc),
        (status = 503, body = crate::routes::problem::ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn events(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    query: input::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let header = match req.headers().get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::new(Code::BadRequest, "Last-Event-ID must be an event id")
                        .field("Last-Event-ID")
                })?,
        ),
    };
    let resume = header.or(query.last_event_id);
    if state.shutdown.phase() == Phase::Stopping {
        return Err(
            ApiError::new(Code::ShuttingDown, "the server is shutting down").retry_after(1),
        );
    }
    let m = state.matches.load(&id).await?;
    let slot = Slot::take(&state)?;
    // Subscribe before reading the log, so nothing falls between the two.
    let live = state.store.subscribe(&id);
    let backlog = state.store.events_since(&id, resume.unwrap_or(0)).await?;
    if m.status == MatchStatus::Done && !backlog.iter().any(|e| e.event == "match_finished") {
        return Ok(HttpResponse::NoContent().finish());
    }
    let deadline = m.next_due();
    let (tx, rx) = mpsc::channel(64);
    let pump = Pump {
        state: state.clone(),
        id,
        last: resume.unwrap_or(0),
        deadline,
        tx,
        _slot: slot,
    };
    actix_web::rt::spawn(pump.run(live, backlog));
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .body(SseBody(rx)))
}

/// Writes one stream's frames.
struct Pump {
    state: State,
    id: String,
    /// The id of the last event sent.
    last: u64,
    /// When the open round next has something due by the clock alone: a bot's move, or its
    /// deadline (Unix seconds).
    deadline: Option<u64>,
    tx: mpsc::Sender<Bytes>,
    _slot: Slot,
}

/// Why a stream stops.
enum End {
    Finished,
    Gone,
}

impl Pump {
    async fn run(mut self, mut live: broadcast::Receiver<Arc<Event>>, backlog: Vec<Event>) {
        if self.write("retry: 2000\n\n".into()).await.is_err() {
            return;
        }
        if self.send_all(backlog).await.is_err() {
            return;
        }
        let period = Duration::from_secs(self.state.settings.store.sse_keepalive_secs);
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let phase = self.state.shutdown.watch();
        loop {
            let due = self.deadline.map(until);
            tokio::select! {
                r = live.recv() => {
                    let batch = match r {
                        Ok(e) if e.id <= self.last => continue,
                        Ok(e) if e.id == self.last + 1 => vec![(*e).clone()],
                        // A gap (a lost message, or this stream fell behind): refill from the log.
                        Ok(e) => self.refill().await.unwrap_or_else(|| vec![(*e).clone()]),
                        Err(broadcast::error::RecvError::Lagged(_)) => self.refill().await.unwrap_or_default(),
                        Err(broadcast::error::RecvError::Closed) => return,
                    };
                    if self.send_all(batch).await.is_err() {
                        return;
                    }
                }
                // The client left: actix dropped the body. Free the place now, not at the
                // next write (a connect-and-close burst would otherwise hold every place until
                // the keep-alive).
                _ = self.tx.closed() => return,
                _ = keepalive.tick() => {
                    if self.write(": keep-alive\n\n".into()).await.is_err() {
                        return;
                    }
                }
                _ = Shutdown::reached(phase.clone(), Phase::Stopping) => {
                    let _ = self
                        .write("event: shutdown\ndata: {\"reason\":\"the server is shutting down: reconnect\"}\n\n".into())
                        .await;
                    return;
                }
                _ = sleep_opt(due) => {
                    // Something is due (a bot's move, the deadline): settle it (on any
                    // instance one write wins); its events come through the subscription.
                    self.deadline = match self.state.matches.load(&self.id).await {
                        Ok(m) => m.next_due(),
                        Err(_) => Some(self.state.clock.now() + 2),
                    };
                }
            }
        }
    }

    async fn refill(&self) -> Option<Vec<Event>> {
        self.state
            .store
            .events_since(&self.id, self.last)
            .await
            .ok()
    }

    /// Send events in order, skipping those already sent; `Err` when the stream must end.
    async fn send_all(&mut self, events: Vec<Event>) -> Result<(), End> {
        for e in events {
            if e.id <= self.last {
                continue;
            }
            match e.event.as_str() {
                "round_started" => {
                    // The deadline, or earlier: a bot's move may come due from 3 s in (its
                    // time is not in the event); the stream looks then and learns the next.
                    let first_bot = self.state.clock.now() + crate::game::bots::FIRST_MOVE_SECS;
                    self.deadline = serde_json::from_str::<serde_json::Value>(e.data.get())
                        .ok()
                        .and_then(|d| d["moves_deadline_ts"].as_u64())
                        .map(|deadline| deadline.min(first_bot))
                }
                "round_resolved" => self.deadline = None,
                _ => {}
            }
            self.write(e.frame()).await?;
            self.last = e.id;
            if e.event == "match_finished" {
                return Err(End::Finished);
            }
        }
        Ok(())
    }

    async fn write(&self, frame: String) -> Result<(), End> {
        self.tx
            .send(Bytes::from(frame))
            .await
            .map_err(|_| End::Gone)
    }
}

/// How long until a Unix time (plus a margin, so the second has surely passed).
fn until(ts: u64) -> Duration {
    let at = UNIX_EPOCH + Duration::from_secs(ts);
    at.duration_since(SystemTime::now()).unwrap_or_default() + Duration::from_millis(100)
}

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
