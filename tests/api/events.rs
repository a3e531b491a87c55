//! `GET /match/{id}/events` on the in-memory store (one instance); the Redis fan-out across
//! instances is in `redis_store.rs`.

use crate::helpers::{assert_problem, spawn_app, spawn_with, test_settings, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// One SSE frame: its id, event name, data (parsed) and comment lines.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub id: Option<u64>,
    pub event: Option<String>,
    pub data: Option<Value>,
    pub comment: Option<String>,
    pub retry: Option<u64>,
}

/// A test client of an event stream: frames as they come.
pub struct Sse {
    res: reqwest::Response,
    buf: Vec<u8>,
}

impl Sse {
    /// Open `/match/{id}/events`, optionally resuming after `last`; asserts the stream's headers.
    pub async fn open(app: &TestApp, id: &str, last: Option<u64>) -> Sse {
        let res = Self::request(app, id, last).await;
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["content-type"], "text/event-stream");
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["x-accel-buffering"], "no");
        Sse {
            res,
            buf: Vec::new(),
        }
    }

    pub async fn request(app: &TestApp, id: &str, last: Option<u64>) -> reqwest::Response {
        let mut r = app.client.get(app.url(&format!("/match/{id}/events")));
        if let Some(l) = last {
            r = r.header("Last-Event-ID", l.to_string());
        }
        r.send().await.expect("request sent")
    }

    /// The next frame; `None` when the stream ended. Panics after `secs` without one.
    pub async fn next_within(&mut self, secs: u64) -> Option<Frame> {
        tokio::time::timeout(Duration::from_secs(secs), self.next())
            .await
            .unwrap_or_else(|_| panic!("no event within {secs} s"))
    }

    async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buf.drain(..end + 2).collect();
                return Some(parse(&String::from_utf8(raw).expect("utf-8 frames")));
            }
            match self.res.chunk().await.expect("the stream reads") {
                Some(bytes) => self.buf.extend_from_slice(&bytes),
                None => return None,
            }
        }
    }

    /// The next frame that is an event (skipping comments and `retry:`).
    pub async fn event(&mut self) -> Frame {
        loop {
            let f = self.next_within(15).await.expect("an event, not the end");
            if f.event.is_some() {
                return f;
            }
        }
    }

    /// Events until (and with) one named `name`.
    pub async fn until(&mut self, name: &str) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            let f = self.event().await;
            let done = f.event.as_deref() == Some(name);
            out.push(f);
            if done {
                return out;
            }
        }
    }
}

fn parse(raw: &str) -> Frame {
    let mut f = Frame::default();
    for line in raw.lines() {
        if let Some(c) = line.strip_prefix(':') {
            f.comment = Some(c.trim().to_string());
        } else if let Some((k, v)) = line.split_once(':') {
            let v = v.strip_prefix(' ').unwrap_or(v);
            match k {
                "id" => f.id = Some(v.parse().expect("numeric ids")),
                "event" => f.event = Some(v.to_string()),
                "data" => f.data = Some(serde_json::from_str(v).expect("JSON data")),
                "retry" => f.retry = Some(v.parse().expect("retry in ms")),
                other => panic!("unexpected field {other}"),
            }
        }
    }
    f
}

/// Submit each player's first legal move (public card 0, their first private card; a joker
/// gets a safe word). Returns the responses' statuses.
pub async fn submit_all(app: &TestApp, id: &str, round: &Value, players: &[(String, String)]) {
    let rid = round["id"].as_str().unwrap();
    let public = round["public_cards"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    for (token, pid) in players {
        let r = submit_first(app, id, rid, &public, token, pid).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
}

pub async fn submit_first(
    app: &TestApp,
    id: &str,
    rid: &str,
    public: &str,
    token: &str,
    pid: &str,
) -> reqwest::Response {
    let hand = app.hand(id, token, pid).await;
    let (card, _) = hand
        .iter()
        .find(|(_, kind)| kind != "JOKER")
        .unwrap_or(&hand[0]);
    let mut body = json!({"public_token": public, "public_sign": "+",
                          "private_token": card, "private_sign": "+"});
    if card == "JOKER" {
        body["joker_override_token"] = json!("water");
    }
    app.post(
        &format!("/match/{id}/round/{rid}/submit"),
        Some(token),
        &body,
    )
    .await
}

#[tokio::test]
async fn a_stream_follows_a_match_from_lobby_to_finish_without_leaking_moves() {
    let app = spawn_app().await;
    let (id, host) = app.create_match(json!({"rounds": 1})).await;
    let mut sse = Sse::open(&app, &id, None).await;
    let first = sse.next_within(5).await.unwrap();
    assert_eq!(first.retry, Some(2000), "a reconnection delay first");

    let a = app.join(&id, "Ann").await;
    let b = app.join(&id, "Bob").await;
    let joined = sse.event().await;
    assert_eq!(joined.event.as_deref(), Some("player_joined"));
    assert_eq!(joined.id, Some(1));
    let d = joined.data.unwrap();
    assert_eq!(d["player"]["name"], "Ann");
    assert_eq!(d["players"], 1);
    assert!(
        d["player"].get("token_hash").is_none(),
        "nothing secret: {d}"
    );
    let joined = sse.event().await;
    assert_eq!(
        (joined.id, joined.data.unwrap()["players"].clone()),
        (Some(2), json!(2))
    );

    let r = app
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    let round: Value = r.json().await.unwrap();
    let started = sse.event().await;
    assert_eq!(started.event.as_deref(), Some("round_started"));
    let d = started.data.unwrap();
    assert_eq!(d["round_id"], round["id"]);
    assert_eq!(d["target_word"], round["target_word"]);
    assert_eq!(d["moves_deadline_ts"], round["moves_deadline_ts"]);

    submit_all(&app, &id, &round, std::slice::from_ref(&a)).await;
    let moved = sse.event().await;
    assert_eq!(moved.event.as_deref(), Some("move_submitted"));
    assert_eq!(moved.id, Some(4));
    let d = moved.data.unwrap();
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec!["players", "round_id", "submitted"],
        "a count only: {d}"
    );
    assert_eq!(
        (d["submitted"].clone(), d["players"].clone()),
        (json!(1), json!(2))
    );

    // The last move resolves the round (everyone moved) and, with one round, ends the match.
    submit_all(&app, &id, &round, &[b]).await;
    let rest = sse.until("match_finished").await;
    let names: Vec<&str> = rest.iter().map(|f| f.event.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        vec!["move_submitted", "round_resolved", "match_finished"]
    );
    let ids: Vec<u64> = rest.iter().map(|f| f.id.unwrap()).collect();
    assert_eq!(ids, vec![5, 6, 7], "contiguous ids in order");
    let resolved = rest[1].data.clone().unwrap();
    assert_eq!(
        resolved["resolution"]["leaderboard"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        rest[2].data.clone().unwrap()["standings"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        sse.next_within(5).await.is_none(),
        "the stream ends after match_finished"
    );
    // Resuming after the end: 204, which tells EventSource to stop reconnecting.
    assert_eq!(Sse::request(&app, &id, Some(7)).await.status(), 204);
    // A newcomer without Last-Event-ID gets what a finished match retains (its final round's
    // events: the start, one a player, the result, the end), then the end.
    let mut late = Sse::open(&app, &id, None).await;
    let all = late.until("match_finished").await;
    let names: Vec<&str> = all.iter().map(|f| f.event.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "round_started",
            "move_submitted",
            "move_submitted",
            "round_resolved",
            "match_finished"
        ]
    );
    assert_eq!(
        app.app.streams.open(),
        0,
        "closed streams free their places"
    );
}

#[tokio::test]
async fn last_event_id_replays_only_later_events() {
    let app = spawn_app().await;
    let (id, _host) = app.create_match(json!({})).await;
    for name in ["Ann", "Bob", "Cy", "Di"] {
        app.join(&id, name).await;
    }
    let mut sse = Sse::open(&app, &id, Some(2)).await;
    let replayed = [sse.event().await, sse.event().await];
    assert_eq!(
        replayed.iter().map(|f| f.id.unwrap()).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(replayed[0].data.clone().unwrap()["player"]["name"], "Cy");
    // Then live ones, with no repeat.
    app.join(&id, "Ed").await;
    let live = sse.event().await;
    assert_eq!(live.id, Some(5));
    // The query parameter works like the header.
    let r = app
        .client
        .get(app.url(&format!("/match/{id}/events?last_event_id=4")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut q = Sse {
        res: r,
        buf: Vec::new(),
    };
    assert_eq!(q.event().await.id, Some(5));
    // A malformed Last-Event-ID is a 400, an unknown match a 404 problem.
    let r = app
        .client
        .get(app.url(&format!("/match/{id}/events")))
        .header("Last-Event-ID", "soon")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "bad_request").await;
    assert_problem(
        app.get("/match/mnope/events", None).await,
        404,
        "unknown_match",
    )
    .await;
}

#[tokio::test]
async fn streams_send_keep_alives_and_are_bounded() {
    let mut s = test_settings();
    s.store.sse_keepalive_secs = 2;
    s.store.sse_max_clients = 2;
    let app = spawn_with(s, None).await;
    let (id, _) = app.create_match(json!({})).await;
    let mut one = Sse::open(&app, &id, None).await;
    let _two = Sse::open(&app, &id, None).await;
    let r = Sse::request(&app, &id, None).await;
    assert_eq!(r.headers()["retry-after"], "5");
    assert_problem(r, 503, "too_many_streams").await;
    one.next_within(3).await.unwrap(); // retry:
    let ka = one.next_within(3).await.unwrap();
    assert_eq!(ka.comment.as_deref(), Some("keep-alive"));
    drop(one);
    // The place is free again as soon as the client has left, before any further write.
    let mut opened = false;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if Sse::request(&app, &id, None).await.status() == 200 {
            opened = true;
            break;
        }
    }
    assert!(opened, "a closed stream frees its place at once");
}

#[tokio::test]
async fn a_stream_outlives_the_request_deadline() {
    let mut s = test_settings();
    s.store.sse_keepalive_secs = 1;
    s.request_timeout_secs = 1;
    let app = spawn_with(s, None).await;
    let (id, _) = app.create_match(json!({})).await;
    let mut sse = Sse::open(&app, &id, None).await;
    sse.next_within(3).await.unwrap(); // retry:
    for _ in 0..3 {
        let ka = sse.next_within(3).await.expect("the stream is still open");
        assert_eq!(ka.comment.as_deref(), Some("keep-alive"));
    }
}

#[tokio::test]
async fn a_burst_of_closed_streams_leaves_no_place_taken() {
    let mut s = test_settings();
    s.store.sse_keepalive_secs = 60;
    s.store.sse_max_clients = 20;
    let app = spawn_with(s, None).await;
    let (id, _) = app.create_match(json!({})).await;
    // Connect and close, many times over the cap: without a keep-alive for a minute, only
    // noticing the client's leaving frees the places.
    for _ in 0..3 {
        let opened = futures::future::join_all((0..20).map(|_| Sse::open(&app, &id, None))).await;
        drop(opened);
        let mut free = false;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let metrics = app.get("/metrics", None).await.text().await.unwrap();
            if metrics.contains("\nwordbocce_event_streams 0\n") {
                free = true;
                break;
            }
        }
        assert!(free, "every place free within 2 s of the clients leaving");
    }
    let r = Sse::request(&app, &id, None).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_round_resolves_on_its_deadline_with_nobody_polling() {
    let app = spawn_app().await;
    let (lobby, round) = app.started(2, json!({"timeout_secs": 10})).await;
    let id = &lobby.id;
    submit_all(&app, id, &round, &lobby.players[..1]).await;
    let mut sse = Sse::open(&app, id, Some(3)).await;
    assert_eq!(sse.event().await.event.as_deref(), Some("move_submitted"));
    // Nobody else moves or reads: the stream itself settles the round at its deadline.
    let f = tokio::time::timeout(Duration::from_secs(20), sse.event())
        .await
        .expect("round_resolved by the deadline");
    assert_eq!(f.event.as_deref(), Some("round_resolved"));
    let board = &f.data.unwrap()["resolution"]["leaderboard"];
    assert_eq!(board.as_array().unwrap().len(), 1, "only the mover scores");
}

#[tokio::test]
async fn a_bot_s_move_is_announced_at_its_time_with_nobody_polling() {
    let app = spawn_app().await;
    let (id, host) = app
        .create_match(json!({"timeout_secs": 10, "rounds": 1, "wildcard_ratio": 0}))
        .await;
    let (token, pid) = app.join(&id, "Ann").await;
    let r = app
        .post(
            &format!("/match/{id}/bots"),
            Some(&host),
            &json!({"level": "medium"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut sse = Sse::open(&app, &id, None).await;
    sse.until("player_joined").await;
    let round: Value = app
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    sse.until("round_started").await;
    // The bot moves between 3 s and 6 s into the round (60 % of 10 s); nobody reads the match.
    let f = tokio::time::timeout(Duration::from_secs(9), sse.event())
        .await
        .expect("the bot's move announced by its time");
    assert_eq!(f.event.as_deref(), Some("move_submitted"), "{f:?}");
    assert_eq!(f.data.unwrap()["submitted"], 1);
    // The round waits for the person; her move resolves it with both moves.
    submit_all(&app, &id, &round, &[(token, pid)]).await;
    let frames = sse.until("round_resolved").await;
    let resolved = frames.last().unwrap().data.clone().unwrap();
    assert_eq!(
        resolved["resolution"]["leaderboard"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
