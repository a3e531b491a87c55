//! The embedded default: matches in memory, one lock per match, written to a snapshot file
//! every 60 s and at shutdown, restored at startup. A snapshot that cannot be read is reported
//! and set aside (renamed), never silently dropped. Live events go to a local broadcast (one
//! instance) and a ring of the last ones per match (not snapshotted: ids carry on from
//! `Match::event_seq` after a restart, so resumes stay consistent).

use super::events::{self, Event, EventHub, Ring};
use super::{BoxFuture, MatchStore, Mutation, StoreError};
use crate::game::Match;
use crate::metrics::Metrics;
use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tracing::Instrument;

struct Entry {
    m: Match,
    ring: Ring,
}

impl Entry {
    fn new(m: Match) -> Arc<Mutex<Entry>> {
        Arc::new(Mutex::new(Entry {
            m,
            ring: Ring::default(),
        }))
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
            hub: EventHub::new(256),
            replay: crate::config::StoreSettings::default().events_replay,
            metrics: None,
            snapshot_ok: AtomicBool::new(true),
        }
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
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let entries: Vec<Arc<Mutex<Entry>>> = self
            .matches
            .read()
            .map_err(|_| anyhow::anyhow!("store lock poisoned"))?
            .values()
            .cloned()
            .collect();
        let matches: Vec<Match> = entries
            .iter()
            .filter_map(|e| e.lock().ok().map(|e| e.m.clone()))
            .collect();
        let n = matches.len();
        let body = serde_json::to_vec(&Snapshot {
            version: SNAPSHOT_VERSION,
            matches,
        })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, body).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename to {}", path.display()))?;
        Ok(n)
    }
}

fn read_snapshot(path: &Path) -> anyhow::Result<Vec<Match>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let snap: Snapshot = serde_json::from_slice(&bytes)
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
                let mut map = self.matches.write().map_err(|_| poisoned())?;
                map.insert(m.id.clone(), Entry::new(m));
                Ok(())
            }
            .instrument(span),
        )
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Match>, StoreError>> {
        Box::pin(
            async move {
                match self.entry(id) {
                    None => Ok(None),
                    Some(e) => Ok(Some(e.lock().map_err(|_| poisoned())?.m.clone())),
                }
            }
            .instrument(tracing::debug_span!("store.get", match_id = %id)),
        )
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        mut f: Mutation<'a>,
    ) -> BoxFuture<'a, Result<serde_json::Value, StoreError>> {
        Box::pin(
            async move {
                let entry = self
                    .entry(id)
                    .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                let mut guard = entry.lock().map_err(|_| poisoned())?;
                // Work on a copy: an error leaves the stored match untouched.
                let mut copy = guard.m.clone();
                let out = f(&mut copy)?;
                let fresh = events::diff(&guard.m, &mut copy);
                guard.m = copy;
                if let Some(m) = &self.metrics {
                    m.count_committed(fresh.iter().map(|e| e.event.as_str()));
                }
                for e in fresh {
                    guard.ring.push(e.clone(), self.replay);
                    self.hub.dispatch(e);
                }
                Ok(out)
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
