//! The loaded word engine: model, deck, exact index and HNSW index, shared behind `Arc`s.

use crate::config::EngineSettings;
use crate::embeddings::deck::Deck;
use crate::embeddings::Embeddings;
use crate::index::hnsw::Origin;
use crate::index::{ExactIndex, HnswIndex};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

pub struct Engine {
    pub emb: Arc<Embeddings>,
    pub deck: Deck,
    pub exact: ExactIndex,
    pub hnsw: HnswIndex,
    pub report: LoadReport,
}

/// What loading took, for logs and `eval-index`.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub model: String,
    pub words: usize,
    pub dim: usize,
    pub deck_size: usize,
    pub model_ms: u128,
    pub exact_ms: u128,
    pub index_ms: u128,
    pub index_origin: String,
    pub index_bytes: usize,
    pub quantised_bytes: usize,
}

impl Engine {
    pub fn load(settings: &EngineSettings) -> anyhow::Result<Engine> {
        settings.validate()?;
        let t = Instant::now();
        let emb = Arc::new(Embeddings::open(&settings.model_path)?);
        let deck = Deck::build(&emb, settings.deck_size);
        let model_ms = t.elapsed().as_millis();
        let t = Instant::now();
        let exact = ExactIndex::new(emb.clone());
        let exact_ms = t.elapsed().as_millis();
        let t = Instant::now();
        let (hnsw, origin) = HnswIndex::load_or_build_sharing(
            emb.clone(),
            exact.rows().clone(),
            settings.index,
            settings.index_cache_dir.as_deref(),
        )?;
        let index_ms = t.elapsed().as_millis();
        let index_origin = match origin {
            Origin::Cache(p) => format!("mapped from {}", p.display()),
            Origin::Built { reason, saved } => match saved {
                Some(p) => format!("built ({reason}), saved to {}", p.display()),
                None => format!("built ({reason}), not cached"),
            },
        };
        release_freed_memory("engine loaded");
        let report = LoadReport {
            model: emb.name().to_string(),
            words: emb.len(),
            dim: emb.dim(),
            deck_size: deck.len(),
            model_ms,
            exact_ms,
            index_ms,
            index_origin,
            index_bytes: hnsw.memory_bytes(),
            quantised_bytes: exact.memory_bytes(),
        };
        Ok(Engine {
            emb,
            deck,
            exact,
            hnsw,
            report,
        })
    }
}

/// What readiness checks of the engine: the mapped vectors read back finite and unit-length,
/// and the index finds a word from its own vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EngineHealth {
    pub embeddings: bool,
    pub index: bool,
}

impl Engine {
    /// A real probe (a few microseconds): the first deck word's vector, and an HNSW search for it.
    pub fn health(&self) -> EngineHealth {
        use crate::index::NoSkip;
        let Some(&probe) = self.deck.words().first() else {
            return EngineHealth {
                embeddings: false,
                index: false,
            };
        };
        let v = self.emb.vector(probe);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let embeddings = v.iter().all(|x| x.is_finite()) && (norm - 1.0).abs() < 1e-3;
        let index = embeddings
            && self
                .hnsw
                // `search_ef`, not `search`: a probe is not a player's search (no metrics).
                .search_ef(v, 1, self.hnsw.params.ef_search, &NoSkip, &[])
                .first()
                .is_some_and(|h| h.id == probe);
        EngineHealth { embeddings, index }
    }
}

/// Hand the memory freed so far back to the system. glibc keeps freed pages mapped (free to
/// it, resident to the system): a cold build's hnsw_rs builder, about three times the frozen
/// graph spread over every build thread's malloc arena, would stay resident until a restart
/// (~4× the memory of a warm start); a warm start's temporaries (the tables' build, the puzzle
/// catalogue's search) 1.3 MB at 100k words, 5.9 MB at 400k. `malloc_trim` returns every whole
/// free page of every arena. Called once the engine is loaded and once startup is done.
pub fn release_freed_memory(after: &str) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only releases memory the allocator holds free; no pointer
        // handed out is affected.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(released = released != 0, after, "freed memory returned");
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = after;
}

/// Resident memory of this process in bytes (Linux), for reports.
pub fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
