//! Live match events (`GET /match/{id}/events`).
//!
//! Events are not emitted by handlers: the store derives them from each committed change, by
//! comparing the match before and after it ([`diff`]). So every transition is announced exactly
//! once, by the writer that made it, whatever caused it — a join, a start, a move, the host's
//! resolve, the automatic resolve when everyone moved or the deadline passed (settled on a
//! read), the next round, the end of the match. Their ids come from `Match::event_seq`,
//! advanced in the same atomic write, so they are per-match, contiguous and in commit order
//! across instances; a subscriber that sees a gap knows it missed something and refills it from
//! the replay log.
//!
//! Event names and data (what clients, the web page included, rely on):
//! - `player_joined`: `{"player":{"id","name"},"players":n,"max_players":n}`
//! - `round_started`: `{"round_id","number","rounds","start_word","target_word",
//!   "public_cards":[word…],"moves_deadline_ts"}`
//! - `move_submitted`: `{"round_id","submitted":n,"players":n}` — a count, never who or what
//! - `round_resolved`: `{"round_id","number","resolution":ResolveView,"standings":[…]}`
//! - `match_finished`: `{"standings":[…],"rounds_played":n}`

use crate::game::{Match, MatchStatus, RoundStatus};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// One event of one match, as stored in the replay log and sent to subscribers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Per match, from 1, contiguous.
    pub id: u64,
    pub match_id: String,
    /// The SSE event name.
    pub event: String,
    /// The event's JSON, as sent: kept as text, not as a tree of values, since every match
    /// holds its last events for resumes (a `Value` tree takes several times the bytes).
    pub data: Box<RawValue>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        (self.id, &self.match_id, &self.event, self.data.get())
            == (other.id, &other.match_id, &other.event, other.data.get())
    }
}

impl Event {
    /// The event as an SSE frame.
    pub fn frame(&self) -> String {
        format!(
            "id: {}\nevent: {}\ndata: {}\n\n",
            self.id, self.event, self.data
        )
    }
}

/// The events a committed change produced, numbered after `before.event_seq`; sets
/// `after.event_seq` to the last id.
pub fn diff(before: &Match, after: &mut Match) -> Vec<Event> {
    let mut out: Vec<(&'static str, Value)> = Vec::new();
    for p in after.players.iter().skip(before.players.len()) {
        out.push((
            "player_joined",
            json!({"player": {"id": p.id, "name": p.name}, "players": after.players.len(),
                   "max_players": after.settings.max_players}),
        ));
    }
    for (i, r) in after.rounds.iter().enumerate() {
        let old = before.rounds.get(i);
        if old.is_none() {
            out.push((
                "round_started",
                json!({"round_id": r.id, "number": r.number, "rounds": after.settings.rounds,
                       "start_word": r.start_word, "target_word": r.target_word,
                       "public_cards": r.public_cards, "moves_deadline_ts": r.deadline_ts}),
            ));
        }
        if r.moves.len() > old.map(|o| o.moves.len()).unwrap_or(0) {
            out.push((
                "move_submitted",
                json!({"round_id": r.id, "submitted": r.moves.len(), "players": after.players.len()}),
            ));
        }
        let was_resolved = old.is_some_and(|o| o.status == RoundStatus::Resolved);
        if r.status == RoundStatus::Resolved && !was_resolved {
            out.push((
                "round_resolved",
                json!({"round_id": r.id, "number": r.number, "resolution": after.resolve_view(r),
                       "standings": after.standings()}),
            ));
        }
    }
    if after.status == MatchStatus::Done && before.status != MatchStatus::Done {
        out.push((
            "match_finished",
            json!({"standings": after.standings(), "rounds_played": after.rounds.len()}),
        ));
    }
    let first = before.event_seq + 1;
    after.event_seq = before.event_seq + out.len() as u64;
    out.into_iter()
        .enumerate()
        .map(|(i, (event, data))| Event {
            id: first + i as u64,
            match_id: after.id.clone(),
            event: event.to_string(),
            data: serde_json::value::to_raw_value(&data).expect("a JSON value serialises"),
        })
        .collect()
}

/// Local fan-out: one broadcast channel per match that has subscribers on this instance.
pub struct EventHub {
    channels: Mutex<HashMap<String, broadcast::Sender<Arc<Event>>>>,
    capacity: usize,
}

impl EventHub {
    pub fn new(capacity: usize) -> EventHub {
        EventHub {
            channels: Mutex::new(HashMap::new()),
            capacity: capacity.max(16),
        }
    }

    /// Live events of a match from now on.
    pub fn subscribe(&self, match_id: &str) -> broadcast::Receiver<Arc<Event>> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 256 {
            map.retain(|_, tx| tx.receiver_count() > 0);
        }
        map.entry(match_id.to_string())
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// Hand an event to this instance's subscribers of its match (none: dropped).
    pub fn dispatch(&self, event: Event) {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = map.get(&event.match_id) {
            if tx.receiver_count() == 0 {
                map.remove(&event.match_id);
            } else if event.event == "match_finished" {
                // The last event of the match: its channel goes with it (its listeners still
                // receive what was sent, then the end of the channel).
                let _ = tx.send(Arc::new(event.clone()));
                map.remove(&event.match_id);
            } else {
                let _ = tx.send(Arc::new(event));
            }
        }
    }

    /// Matches with subscribers here (to refill after a lost pub/sub connection).
    /// Drop the channel of a match that is gone, unless someone still listens on it.
    pub fn forget(&self, match_id: &str) {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(match_id).is_some_and(|tx| tx.receiver_count() == 0) {
            map.remove(match_id);
        }
    }

    pub fn watched(&self) -> Vec<String> {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .filter(|(_, tx)| tx.receiver_count() > 0)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// The memory store's replay log: the last `cap` events of a match.
#[derive(Debug, Default, Clone)]
pub struct Ring {
    events: VecDeque<Event>,
}

impl Ring {
    pub fn push(&mut self, e: Event, cap: usize) {
        self.events.push_back(e);
        while self.events.len() > cap.max(1) {
            self.events.pop_front();
        }
    }

    /// Keep only the last `n` events (what resuming a finished match can still need).
    pub fn keep_last(&mut self, n: usize) {
        while self.events.len() > n {
            self.events.pop_front();
        }
        self.events.shrink_to_fit();
    }

    pub fn since(&self, after: u64) -> Vec<Event> {
        self.events
            .iter()
            .filter(|e| e.id > after)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::{MatchSettings, Player};

    fn lobby() -> Match {
        Match::new(
            "m1".into(),
            "game".into(),
            1,
            MatchSettings::default(),
            "h".into(),
            0,
        )
    }

    #[test]
    fn joins_are_numbered_after_the_last_event() {
        let before = lobby();
        let mut after = before.clone();
        for i in 0..2 {
            let p = Player {
                id: format!("p{i}"),
                name: format!("P{i}"),
                token_hash: "secret".into(),
                bot: None,
            };
            after.join(p, 1).unwrap();
        }
        let events = diff(&before, &mut after);
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].id, events[1].id), (1, 2));
        assert_eq!(after.event_seq, 2);
        assert!(events.iter().all(|e| e.event == "player_joined"));
        let data: Value = serde_json::from_str(events[1].data.get()).unwrap();
        assert_eq!(data["players"], 2);
        assert!(!events[0].data.get().contains("secret"));
        let mut again = after.clone();
        assert!(diff(&after, &mut again).is_empty());
        assert_eq!(again.event_seq, 2);
    }

    #[test]
    fn the_ring_keeps_the_last_events() {
        let mut ring = Ring::default();
        for id in 1..=10 {
            let e = Event {
                id,
                match_id: "m".into(),
                event: "x".into(),
                data: serde_json::value::to_raw_value(&Value::Null).unwrap(),
            };
            ring.push(e, 4);
        }
        let ids: Vec<u64> = ring.since(0).iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![7, 8, 9, 10]);
        assert_eq!(ring.since(8).len(), 2);
    }

    fn event(id: u64, name: &str) -> Event {
        Event {
            id,
            match_id: "m1".into(),
            event: name.into(),
            data: serde_json::value::to_raw_value(&Value::Null).unwrap(),
        }
    }

    #[test]
    fn a_match_channel_goes_with_its_last_event_after_its_listeners_have_it() {
        let hub = EventHub::new(32);
        let mut rx = hub.subscribe("m1");
        hub.dispatch(event(1, "round_resolved"));
        assert_eq!(hub.watched(), ["m1"]);
        hub.dispatch(event(2, "match_finished"));
        assert!(
            hub.watched().is_empty(),
            "the channel is gone with the match"
        );
        // The listener still gets everything sent, then the end of the channel.
        assert_eq!(rx.try_recv().unwrap().id, 1);
        assert_eq!(rx.try_recv().unwrap().event, "match_finished");
        assert!(matches!(
            rx.try_recv(),
            Err(broadcast::error::TryRecvError::Closed)
        ));
    }
}
