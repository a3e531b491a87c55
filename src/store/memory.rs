//! The embedded default: matches in memory, one lock per match, written to a snapshot file
//! every 60 s and at shutdown (streamed match by match: no second copy of the matches), restored
//! at startup. Matches leave memory when their [`Lifetimes`] run out ([`MemoryStore::sweep`]);
//! past `MAX_MATCHES` a new one is refused. A snapshot that cannot be read is reported
//! and set aside (renamed), never silently dropped. Live events go to a local broadcast (one
//! instance) and a ring of the last ones per match (not snapshotted: ids carry on from
//! `Match::event_seq` after a restart, so resumes stay consistent).

use super::events::{self, Event, EventHub, Ring};
use super::{
    BoxFuture, Fetched, Lifetimes, MatchStore, Mutation, StoreError, FULL_RETRY_AFTER_SECS,
};
use crate::clock::SharedClock;
use crate::game::{Match, MatchStatus};
use crate::metrics::Metrics;
use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tracing::Instrument;

struct Entry {
    held: Held,
    ring: Ring,
}

/// How a match is held. A match in play is shared with its readers (a read takes a pointer; a
/// change makes a new match). A finished match no longer changes (every change is refused by the
/// rules), so it is kept as the JSON text the snapshot has of it, LZ4-compressed: one
/// allocation of about a tenth of the bytes the match takes as Rust values (its many short
/// strings, maps and vectors), under a quarter of its share of the snapshot. Reading one
/// decompresses and parses it (tens of microseconds; a finished match is read rarely: its
/// result page, once); the snapshot writes its text.
enum Held {
    Playing(Arc<Match>),
    Finished {
        lz4: Box<[u8]>,
        updated_at: u64,
        version: u64,
    },
}

impl From<Match> for Held {
    fn from(m: Match) -> Held {
        match m.status {
            MatchStatus::Done => match serde_json::to_vec(&m) {
                Ok(json) => Held::Finished {
                    lz4: lz4_flex::compress_prepend_size(&json).into_boxed_slice(),
                    updated_at: m.updated_at,
                    version: m.version,
                },
                Err(_) => Held::Playing(Arc::new(m)),
            },
            _ => Held::Playing(Arc::new(m)),
        }
    }
}

impl Entry {
    fn new(m: Match) -> Arc<Mutex<Entry>> {
        Arc::new(Mutex::new(Entry {
            held: Held::from(m),
            ring: Ring::default(),
        }))
    }

    /// The match as it is now.
    fn current(&self) -> Result<Arc<Match>, StoreError> {
        match &self.held {
            Held::Playing(m) => Ok(m.clone()),
            Held::Finished { lz4, .. } => {
                let json =
                    lz4_flex::decompress_size_prepended(lz4).map_err(StoreError::internal)?;
                Ok(Arc::new(
                    serde_json::from_slice(&json).map_err(StoreError::internal)?,
                ))
            }
        }
    }

    fn version(&self) -> u64 {
        match &self.held {
            Held::Playing(m) => m.version,
            Held::Finished { version, .. } => *version,
        }
    }

    fn set(&mut self, m: Match) {
        self.held = Held::from(m);
    }

    fn expired(&self, lifetimes: &Lifetimes, now: u64) -> bool {
        match &self.held {
            Held::Playing(m) => lifetimes.expired(m, now),
            Held::Finished { updated_at, .. } => {
                updated_at.saturating_add(lifetimes.finished_secs) <= now
            }
        }
    }

    fn write_json(&self, out: &mut impl std::io::Write) -> anyhow::Result<()> {
        match &self.held {
            Held::Playing(m) => serde_json::to_writer(out, &**m)?,
            Held::Finished { lz4, .. } => {
                out.write_all(&lz4_flex::decompress_size_prepended(lz4)?)?
            }
        }
        Ok(())
    }
}

pub struct MemoryStore {
    matches: RwLock<HashMap<String, Arc<Mutex<Entry>>>>,
    snapshot: Option<PathBuf>,
    hub: EventHub,
    replay: usize,
    metrics: Option<Arc<Metrics>>,
    /// Whether the last snapshot write succeeded (readiness reports it).
    snapshot_ok: AtomicBool,
    lifetimes: Lifetimes,
    clock: SharedClock,
    /// One snapshot at a time (the timer's and the shutdown's must not interleave).
    writing: Mutex<()>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(None)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    version: u32,
    matches: Vec<Match>,
}

const SNAPSHOT_VERSION: u32 = 1;

/// What restoring a snapshot found.
#[derive(Debug, Clone, PartialEq)]
pub enum Restored {
    NoSnapshot,
    Matches(usize),
    /// The snapshot could not be read; it was moved to the given path.
    SetAside {
        error: String,
        moved_to: PathBuf,
    },
}

impl MemoryStore {
    pub fn new(snapshot: Option<PathBuf>) -> MemoryStore {
        MemoryStore {
            matches: RwLock::new(HashMap::new()),
            snapshot,
            hub: EventHub::new(32),
            replay: crate::config::StoreSettings::default().events_replay,
            metrics: None,
            snapshot_ok: AtomicBool::new(true),
            lifetimes: Lifetimes::default(),
            clock: crate::clock::system(),
            writing: Mutex::new(()),
        }
    }

    /// How long matches are kept, and how many at most.
    pub fn with_lifetimes(mut self, lifetimes: Lifetimes, clock: SharedClock) -> MemoryStore {
        self.lifetimes = lifetimes;
        self.clock = clock;
        self
    }

    /// Drop every match whose lifetime has run out (and its events and local channel); the
    /// number dropped. A match being changed right now is left for the next sweep.
    pub fn sweep(&self) -> usize {
        let now = self.clock.now();
        let Ok(mut map) = self.matches.write() else {
            return 0;
        };
        let mut gone = Vec::new();
        map.retain(|id, entry| {
            let keep = match entry.try_lock() {
                Ok(e) => !e.expired(&self.lifetimes, now),
                Err(_) => true,
            };
            if !keep {
                gone.push(id.clone());
            }
            keep
        });
        let shrink = map.capacity() > 4 * map.len().max(1024);
        if shrink {
            map.shrink_to_fit();
        }
        drop(map);
        for id in &gone {
            self.hub.forget(id);
        }
        gone.len()
    }

    /// Keep the last `n` events per match for resumes.
    pub fn with_replay(mut self, n: usize) -> MemoryStore {
        self.replay = n.max(1);
        self
    }

    /// Count the rounds resolved and matches finished it commits in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> MemoryStore {
        self.metrics = Some(metrics);
        self
    }

    /// A store restored from its snapshot file (if any).
    pub fn restore(snapshot: Option<PathBuf>) -> (MemoryStore, Restored) {
        let store = MemoryStore::new(snapshot.clone());
        let Some(path) = snapshot else {
            return (store, Restored::NoSnapshot);
        };
        if !path.exists() {
            return (store, Restored::NoSnapshot);
        }
        match read_snapshot(&path) {
            Ok(matches) => {
                let n = matches.len();
                let mut map = store.matches.write().expect("fresh lock");
                for m in matches {
                    map.insert(m.id.clone(), Entry::new(m));
                }
                drop(map);
                (store, Restored::Matches(n))
            }
            Err(e) => {
                let stamp = crate::clock::system_now();
                let moved_to = path.with_extension(format!("corrupt-{stamp}"));
                let error = format!("{e:#}");
                if let Err(mv) = std::fs::rename(&path, &moved_to) {
                    tracing::error!(error = %mv, "cannot set the corrupt snapshot aside");
                }
                tracing::error!(path = %path.display(), moved_to = %moved_to.display(), error = %error,
                    "match snapshot unreadable: set aside, starting empty");
                (store, Restored::SetAside { error, moved_to })
            }
        }
    }

    fn entry(&self, id: &str) -> Option<Arc<Mutex<Entry>>> {
        self.matches.read().ok()?.get(id).cloned()
    }

    /// Write every match to the snapshot file (atomically: a temporary file, then a rename),
    /// and remember whether it worked: a failure shows in readiness and is counted.
    pub fn write_snapshot(&self) -> anyhow::Result<usize> {
        let written = self.write_snapshot_file();
        self.snapshot_ok.store(written.is_ok(), Ordering::Relaxed);
        if written.is_err() {
            if let Some(m) = &self.metrics {
                m.snapshot_failed();
            }
        }
        written
    }

    fn write_snapshot_file(&self) -> anyhow::Result<usize> {
        use std::io::Write;
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let _one_at_a_time = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        // The handles only: each match is locked, written and let go in turn, so requests wait
        // for one match's serialisation at most and no copy of the matches is made.
        let entries: Vec<Arc<Mutex<Entry>>> = self
            .matches
            .read()
            .map_err(|_| anyhow::anyhow!("store lock poisoned"))?
            .values()
            .cloned()
            .collect();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let tmp = path.with_extension("tmp");
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        let mut n = 0;
        let written: anyhow::Result<()> = (|| {
            write!(out, "{{\"version\":{SNAPSHOT_VERSION},\"matches\":[")?;
            for entry in &entries {
                let Ok(e) = entry.lock() else { continue };
                if n > 0 {
                    out.write_all(b",")?;
                }
                e.write_json(&mut out)?;
                n += 1;
            }
            out.write_all(b"]}")?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_data()?;
            Ok(())
        })();
        written.with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename to {}", path.display()))?;
        Ok(n)
    }
}

fn read_snapshot(path: &Path) -> anyhow::Result<Vec<Match>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let snap: Snapshot = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("{} is not a match snapshot", path.display()))?;
    if snap.version != SNAPSHOT_VERSION {
        anyhow::bail!(
            "{}: snapshot version {} (this build reads {SNAPSHOT_VERSION})",
            path.display(),
            snap.version
        );
    }
    Ok(snap.matches)
}

fn poisoned() -> StoreError {
    StoreError::internal("a match lock was poisoned")
}

impl MatchStore for MemoryStore {
    fn insert(&self, m: Match) -> BoxFuture<'_, Result<(), StoreError>> {
        let span = tracing::debug_span!("store.insert", match_id = %m.id);
        Box::pin(
            async move {
                let max = self.lifetimes.max_matches;
                let full = || self.matches.read().map(|m| m.len() >= max).unwrap_or(false);
                if full() && (self.sweep() == 0 || full()) {
                    return Err(StoreError::Full {
                        max,
                        retry_after: FULL_RETRY_AFTER_SECS,
                    });
                }
                let mut map = self.matches.write().map_err(|_| poisoned())?;
                map.insert(m.id.clone(), Entry::new(m));
                Ok(())
            }
            .instrument(span),
        )
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Arc<Match>>, StoreError>> {
        Box::pin(
            async move {
                match self.entry(id) {
                    None => Ok(None),
                    Some(e) => Ok(Some(e.lock().map_err(|_| poisoned())?.current()?)),
                }
            }
            .instrument(tracing::debug_span!("store.get", match_id = %id)),
        )
    }

    fn get_newer<'a>(
        &'a self,
        id: &'a str,
        known: Option<u64>,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        Box::pin(
            async move {
                let Some(e) = self.entry(id) else {
                    return Ok(Fetched::Missing);
                };
                let e = e.lock().map_err(|_| poisoned())?;
                if Some(e.version()) == known {
                    return Ok(Fetched::Unchanged);
                }
                Ok(Fetched::Changed(e.current()?))
            }
            .instrument(tracing::debug_span!("store.get_newer", match_id = %id)),
        )
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        mut f: Mutation<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(
            async move {
                let entry = self
                    .entry(id)
                    .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                let mut guard = entry.lock().map_err(|_| poisoned())?;
                // Work on a copy: an error leaves the stored match untouched (and readers keep
                // the match they hold).
                let before = guard.current()?;
                let mut copy = Match::clone(&before);
                f(&mut copy)?;
                if copy == *before {
                    return Ok(());
                }
                // Every stored change is a new version (what readers' views and ETags name).
                copy.version = copy.version.max(before.version + 1);
                let fresh = events::diff(&before, &mut copy);
                let finished = copy.status == MatchStatus::Done;
                let final_round = copy.players.len() + 3;
                guard.set(copy);
                if let Some(m) = &self.metrics {
                    m.count_committed(fresh.iter().map(|e| e.event.as_str()));
                }
                for e in fresh {
                    guard.ring.push(e.clone(), self.replay);
                    self.hub.dispatch(e);
                }
                if finished {
                    // Resumes after the end need the final round's events at most.
                    guard.ring.keep_last(final_round);
                }
                Ok(())
            }
            .instrument(tracing::debug_span!("store.update", match_id = %id)),
        )
    }

    fn snapshot_healthy(&self) -> Option<bool> {
        self.snapshot
            .as_ref()
            .map(|_| self.snapshot_ok.load(Ordering::Relaxed))
    }

    fn healthy(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.matches.read().is_ok() })
    }

    fn count(&self) -> BoxFuture<'_, usize> {
        Box::pin(async move { self.matches.read().map(|m| m.len()).unwrap_or(0) })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.write_snapshot()
                .map(|_| ())
                .map_err(|e| StoreError::internal(format!("{e:#}")))
        })
    }

    fn events_since<'a>(
        &'a self,
        id: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Vec<Event>, StoreError>> {
        Box::pin(
            async move {
                Ok(match self.entry(id) {
                    None => Vec::new(),
                    Some(e) => e.lock().map_err(|_| poisoned())?.ring.since(after),
                })
            }
            .instrument(tracing::debug_span!("store.events_since", match_id = %id)),
        )
    }

    fn subscribe(&self, id: &str) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.hub.subscribe(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::game::{MatchSettings, MatchStatus};

    fn a_match(id: &str, status: MatchStatus, at: u64) -> Match {
        let mut m = Match::new(
            id.into(),
            "game".into(),
            1,
            MatchSettings::default(),
            "h".into(),
            at,
        );
        m.status = status;
        m
    }

    fn store(max_matches: usize, clock: &Arc<ManualClock>) -> MemoryStore {
        let lifetimes = Lifetimes {
            lobby_secs: 100,
            playing_secs: 1000,
            finished_secs: 300,
            max_matches,
        };
        MemoryStore::new(None).with_lifetimes(lifetimes, clock.clone())
    }

    async fn hold(s: &MemoryStore, at: u64, matches: &[(&str, MatchStatus)]) {
        for (id, status) in matches {
            s.insert(a_match(id, *status, at)).await.unwrap();
        }
    }

    async fn ids(s: &MemoryStore) -> Vec<String> {
        let mut ids: Vec<String> = s.matches.read().unwrap().keys().cloned().collect();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn a_reader_gets_a_match_only_when_its_version_changed() {
        use MatchStatus::{Done, InProgress};
        let clock = ManualClock::at(10_000);
        let s = store(100, &clock);
        hold(&s, 10_000, &[("playing", InProgress), ("done", Done)]).await;
        assert!(matches!(
            s.get_newer("nope", None).await.unwrap(),
            Fetched::Missing
        ));
        for id in ["playing", "done"] {
            let Fetched::Changed(m) = s.get_newer(id, None).await.unwrap() else {
                panic!("{id}: nothing known, so the match is read")
            };
            assert!(matches!(
                s.get_newer(id, Some(m.version)).await.unwrap(),
                Fetched::Unchanged
            ));
            let Fetched::Changed(again) = s.get_newer(id, Some(m.version + 7)).await.unwrap()
            else {
                panic!("{id}: another version is read")
            };
            assert_eq!(*again, *m);
        }
        // A change that forgets to touch the match is still a new version.
        let before = s.get("playing").await.unwrap().unwrap().version;
        s.update(
            "playing",
            Box::new(|m| {
                m.name = "renamed".into();
                Ok(())
            }),
        )
        .await
        .unwrap();
        let Fetched::Changed(m) = s.get_newer("playing", Some(before)).await.unwrap() else {
            panic!("a change is a new version")
        };
        assert_eq!((m.name.as_str(), m.version), ("renamed", before + 1));
    }

    #[tokio::test]
    async fn a_reader_keeps_the_version_it_read_and_a_change_copies_only_what_it_touches() {
        let clock = ManualClock::at(10_000);
        let s = store(100, &clock);
        hold(&s, 10_000, &[("m", MatchStatus::Lobby)]).await;
        let join = |m: &mut Match, i: usize| {
            let p = crate::game::Player {
                id: format!("p{i}"),
                name: format!("P{i}"),
                token_hash: "t".into(),
                bot: None,
            };
            m.join(p, 10_000)
        };
        s.update("m", Box::new(|m| join(m, 0))).await.unwrap();
        let read = s.get("m").await.unwrap().unwrap();
        s.update("m", Box::new(|m| join(m, 1))).await.unwrap();
        let now = s.get("m").await.unwrap().unwrap();
        assert_eq!((read.players.len(), now.players.len()), (1, 2));
        assert_eq!(now.version, read.version + 1);
        // A refused change leaves the match as it was, part of it changed or not.
        let refused = s.update(
            "m",
            Box::new(|m| {
                join(m, 2)?;
                m.name = "renamed".into();
                Err(crate::game::GameError::MatchAlreadyStarted)
            }),
        );
        assert!(matches!(refused.await, Err(StoreError::Rejected(_))));
        let after = s.get("m").await.unwrap().unwrap();
        assert_eq!(*after, *now);
        assert!(Arc::ptr_eq(&after, &now), "nothing was written");
        // A change of the name shares the players with the version before.
        let rename = |m: &mut Match| {
            m.name = "renamed".into();
            Ok(())
        };
        s.update("m", Box::new(rename)).await.unwrap();
        let renamed = s.get("m").await.unwrap().unwrap();
        assert_eq!(renamed.name, "renamed");
        assert!(std::ptr::eq(&*renamed.players, &*now.players));
    }

    #[tokio::test]
    async fn matches_leave_memory_when_their_time_is_up_by_status() {
        use MatchStatus::{Done, InProgress, Lobby};
        let clock = ManualClock::at(10_000);
        let s = store(100, &clock);
        hold(
            &s,
            10_000,
            &[("lobby", Lobby), ("playing", InProgress), ("done", Done)],
        )
        .await;
        let _listening = s.subscribe("done");
        let _gone = s.subscribe("lobby");
        drop(_gone);

        clock.advance(99);
        assert_eq!(s.sweep(), 0);
        clock.advance(1); // the idle lobby's 100 s are up
        assert_eq!(s.sweep(), 1);
        assert_eq!(ids(&s).await, ["done", "playing"]);
        assert!(s.get("lobby").await.unwrap().is_none());
        // A finished match's result stays readable until its own time is up.
        clock.advance(199);
        assert!(s.get("done").await.unwrap().is_some());
        clock.advance(1);
        assert_eq!(s.sweep(), 1);
        assert_eq!(ids(&s).await, ["playing"]);
        // A write keeps a match in play alive.
        s.update(
            "playing",
            Box::new(|m| {
                m.touch(10_900);
                Ok(())
            }),
        )
        .await
        .unwrap();
        clock.set(11_899);
        assert_eq!(s.sweep(), 0);
        clock.set(11_900);
        assert_eq!(s.sweep(), 1);
        assert_eq!(s.count().await, 0);
        // A channel with a listener stays; one without is dropped with its match.
        assert_eq!(s.hub.watched(), ["done"]);
    }

    #[tokio::test]
    async fn past_the_ceiling_a_new_match_is_refused_until_one_expires() {
        let clock = ManualClock::at(0);
        let s = store(2, &clock);
        s.insert(a_match("a", MatchStatus::Lobby, 0)).await.unwrap();
        s.insert(a_match("b", MatchStatus::InProgress, 0))
            .await
            .unwrap();
        let refused = s.insert(a_match("c", MatchStatus::Lobby, 0)).await;
        assert_eq!(
            refused,
            Err(StoreError::Full {
                max: 2,
                retry_after: FULL_RETRY_AFTER_SECS
            })
        );
        assert_eq!(s.count().await, 2);
        // The abandoned lobby expires: the insert sweeps it away and takes its place.
        clock.advance(100);
        s.insert(a_match("c", MatchStatus::Lobby, 100))
            .await
            .unwrap();
        assert_eq!(ids(&s).await, ["b", "c"]);
    }

    #[tokio::test]
    async fn a_finished_match_is_held_as_text_and_reads_back_whole() {
        let clock = ManualClock::at(0);
        let s = store(10, &clock);
        let mut m = a_match("m", MatchStatus::InProgress, 0);
        m.players = (0..4)
            .map(|i| crate::game::Player {
                id: format!("p{i}"),
                name: format!("P{i}"),
                token_hash: "t".into(),
                bot: None,
            })
            .collect::<Vec<_>>()
            .into();
        s.insert(m.clone()).await.unwrap();
        let entry = s.entry("m").unwrap();
        for i in 0..40 {
            entry.lock().unwrap().ring.push(
                Event {
                    id: i,
                    match_id: "m".into(),
                    event: "move_submitted".into(),
                    data: serde_json::value::to_raw_value(&i).unwrap(),
                },
                256,
            );
        }
        assert!(matches!(entry.lock().unwrap().held, Held::Playing(_)));
        s.update(
            "m",
            Box::new(|m| {
                m.status = MatchStatus::Done;
                m.touch(5);
                Ok(())
            }),
        )
        .await
        .unwrap();
        {
            let e = entry.lock().unwrap();
            assert!(
                matches!(e.held, Held::Finished { .. }),
                "frozen once finished"
            );
            // The final round's events at most: one a player, its start, its result, the end.
            assert_eq!(e.ring.since(0).len(), 4 + 3);
        }
        let back = s.get("m").await.unwrap().unwrap();
        m.status = MatchStatus::Done;
        m.touch(5);
        m.event_seq = back.event_seq;
        assert_eq!(*back, m);
    }

    #[tokio::test]
    async fn the_snapshot_streams_every_match_and_restores_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        let s = MemoryStore::new(Some(path.clone()));
        for i in 0..50 {
            s.insert(a_match(&format!("m{i}"), MatchStatus::Lobby, i))
                .await
                .unwrap();
        }
        assert_eq!(s.write_snapshot().unwrap(), 50);
        assert!(!path.with_extension("tmp").exists());
        let (back, restored) = MemoryStore::restore(Some(path));
        assert_eq!(restored, Restored::Matches(50));
        for i in 0..50 {
            let id = format!("m{i}");
            assert_eq!(back.get(&id).await.unwrap(), s.get(&id).await.unwrap());
        }
    }
}
