//! HNSW: hnsw_rs builds the graph, then it is frozen into our own flat layout, which is what
//! serves, is cached on disk and is memory-mapped on a warm start (without hnsw_rs).
//!
//! Frozen layout (also the cache file body, native-endian, machine-local):
//! - `level0`: `n * m0` u32 neighbour ids (`m0 = 2m`), unused slots `EMPTY`;
//! - `levels`: `n` u8, the top layer of every node (padded to 4 bytes);
//! - `upper_start`: `n` u32, where a node's upper-layer lists start in `upper` (`EMPTY` if none);
//! - `upper`: for each node of level L >= 1, L lists of `m` u32 (layers 1..=L).

use super::quant::{QuantQuery, RowTable};
use super::{Hit, IndexParams, NearestIndex, Skip};
use crate::embeddings::{Embeddings, WordId};
use crate::simd::{dot, exact_dot, prefetch};
use anyhow::{bail, Context};
use prometheus_client::metrics::histogram::Histogram;
use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const EMPTY: u32 = u32::MAX;
const MAGIC: &[u8; 8] = b"WBHNSW01";
/// Bumped whenever the builder or the layout changes, so older caches are rebuilt.
const VERSION: u32 = 2;
const ENDIAN: u32 = 0x0102_0304;
const HEADER_LEN: usize = 128;

/// hnsw_rs distance for unit vectors: `1 − a·b`, clamped at 0 (its own `DistDot` asserts on the
/// rounding error of f32 unit vectors, `a·a ≈ 1.0000005`).
#[derive(Clone, Copy, Default)]
pub struct UnitDot;

impl hnsw_rs::prelude::Distance<f32> for UnitDot {
    fn eval(&self, va: &[f32], vb: &[f32]) -> f32 {
        (1.0 - dot(va, vb)).max(0.0)
    }
}

/// Bytes backing a frozen graph: built in memory, or mapped from the cache file.
enum Backing {
    Owned(Vec<u64>),
    Mapped(memmap2::Mmap),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            // SAFETY: a Vec<u64> viewed as its bytes.
            Backing::Owned(v) => unsafe {
                std::slice::from_raw_parts(v.as_ptr() as *const u8, v.len() * 8)
            },
            Backing::Mapped(m) => m,
        }
    }
}

/// The graph in our flat layout.
pub struct FrozenGraph {
    backing: Backing,
    pub n: usize,
    pub m: usize,
    pub m0: usize,
    pub ef_construction: usize,
    pub max_level: usize,
    pub entry: u32,
    pub model_checksum: u64,
    upper_len: usize,
}

struct Sections {
    level0: usize,
    levels: usize,
    upper_start: usize,
    upper: usize,
    end: usize,
}

fn sections(n: usize, m0: usize, upper_len: usize) -> Sections {
    let level0 = HEADER_LEN;
    let levels = level0 + n * m0 * 4;
    let upper_start = levels + n.div_ceil(4) * 4;
    let upper = upper_start + n * 4;
    let end = upper + upper_len * 4;
    Sections {
        level0,
        levels,
        upper_start,
        upper,
        end,
    }
}

fn u32s(bytes: &[u8]) -> &[u32] {
    // SAFETY: callers pass 4-byte aligned sections (the header and every section length are
    // multiples of 4 from an 8-byte aligned buffer or a page-aligned mapping).
    debug_assert_eq!(bytes.as_ptr() as usize % 4, 0);
    unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const u32, bytes.len() / 4) }
}

impl FrozenGraph {
    fn sections(&self) -> Sections {
        sections(self.n, self.m0, self.upper_len)
    }

    pub fn level0(&self) -> &[u32] {
        let s = self.sections();
        u32s(&self.backing.bytes()[s.level0..s.levels])
    }

    pub fn levels(&self) -> &[u8] {
        let s = self.sections();
        &self.backing.bytes()[s.levels..s.levels + self.n]
    }

    fn upper_start(&self) -> &[u32] {
        let s = self.sections();
        u32s(&self.backing.bytes()[s.upper_start..s.upper])
    }

    fn upper(&self) -> &[u32] {
        let s = self.sections();
        u32s(&self.backing.bytes()[s.upper..s.end])
    }

    /// Neighbours of `node` on `layer` (with `EMPTY` padding removed).
    pub fn neighbours(&self, node: u32, layer: usize) -> &[u32] {
        let list = if layer == 0 {
            let i = node as usize * self.m0;
            &self.level0()[i..i + self.m0]
        } else {
            let start = self.upper_start()[node as usize];
            if start == EMPTY || layer > self.levels()[node as usize] as usize {
                return &[];
            }
            let i = start as usize + (layer - 1) * self.m;
            &self.upper()[i..i + self.m]
        };
        let len = list.iter().position(|&x| x == EMPTY).unwrap_or(list.len());
        &list[..len]
    }

    /// Bytes held by the graph.
    pub fn memory_bytes(&self) -> usize {
        self.sections().end
    }

    /// Freeze adjacency lists given as `layers[node][layer] = neighbours`.
    pub fn from_lists(
        lists: &[Vec<Vec<u32>>],
        params: &IndexParams,
        entry: u32,
        model_checksum: u64,
    ) -> anyhow::Result<FrozenGraph> {
        let n = lists.len();
        let (m, m0) = (params.m, 2 * params.m);
        let max_level = lists
            .iter()
            .map(|l| l.len().saturating_sub(1))
            .max()
            .unwrap_or(0);
        let upper_len: usize = lists.iter().map(|l| l.len().saturating_sub(1) * m).sum();
        let s = sections(n, m0, upper_len);
        let mut words = vec![0u64; s.end.div_ceil(8)];
        // SAFETY: viewing our own Vec<u64> as bytes for writing.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, words.len() * 8)
        };
        let put_u32 = |bytes: &mut [u8], at: usize, v: u32| {
            bytes[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        };
        let mut next_upper = 0usize;
        for (node, layers) in lists.iter().enumerate() {
            let level = layers.len().saturating_sub(1);
            bytes[s.levels + node] = level as u8;
            for (layer, nb) in layers.iter().enumerate() {
                let cap = if layer == 0 { m0 } else { m };
                if nb.len() > cap {
                    bail!(
                        "node {node} has {} neighbours on layer {layer} (max {cap})",
                        nb.len()
                    );
                }
                let base = if layer == 0 {
                    s.level0 + node * m0 * 4
                } else {
                    s.upper + (next_upper + (layer - 1) * m) * 4
                };
                for j in 0..cap {
                    put_u32(bytes, base + j * 4, nb.get(j).copied().unwrap_or(EMPTY));
                }
            }
            if layers.is_empty() {
                for j in 0..m0 {
                    put_u32(bytes, s.level0 + (node * m0 + j) * 4, EMPTY);
                }
            }
            let start = if level > 0 { next_upper as u32 } else { EMPTY };
            put_u32(bytes, s.upper_start + node * 4, start);
            next_upper += level * m;
        }
        let sum = xxhash_rust::xxh3::xxh3_64(&bytes[HEADER_LEN..s.end]);
        let h = &mut bytes[..HEADER_LEN];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        h[12..16].copy_from_slice(&ENDIAN.to_ne_bytes());
        h[16..24].copy_from_slice(&model_checksum.to_ne_bytes());
        h[24..32].copy_from_slice(&(n as u64).to_ne_bytes());
        h[32..36].copy_from_slice(&(m as u32).to_ne_bytes());
        h[36..40].copy_from_slice(&(params.ef_construction as u32).to_ne_bytes());
        h[40..44].copy_from_slice(&(max_level as u32).to_ne_bytes());
        h[44..48].copy_from_slice(&entry.to_ne_bytes());
        h[48..56].copy_from_slice(&(upper_len as u64).to_ne_bytes());
        h[56..64].copy_from_slice(&sum.to_ne_bytes());
        let g = FrozenGraph {
            backing: Backing::Owned(words),
            n,
            m,
            m0,
            ef_construction: params.ef_construction,
            max_level,
            entry,
            model_checksum,
            upper_len,
        };
        g.validate()?;
        Ok(g)
    }

    /// Write the graph to `path` (via a temporary file and a rename).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &self.backing.bytes()[..self.sections().end])
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot rename to {}", path.display()))
    }

    /// Map a cached graph and check everything about it: magic, version, byte order, the model
    /// it was built for, its parameters, its checksum and every id in it.
    pub fn load(
        path: &Path,
        params: &IndexParams,
        model_checksum: u64,
        n: usize,
    ) -> anyhow::Result<FrozenGraph> {
        let file = std::fs::File::open(path)?;
        // SAFETY: cache files are written to a temporary name and renamed into place.
        let mmap = unsafe { memmap2::Mmap::map(&file) }?;
        let b = &mmap[..];
        if b.len() < HEADER_LEN || &b[0..8] != MAGIC {
            bail!("not an index cache file");
        }
        let rd32 = |at: usize| u32::from_ne_bytes(b[at..at + 4].try_into().expect("4"));
        let rd64 = |at: usize| u64::from_ne_bytes(b[at..at + 8].try_into().expect("8"));
        if rd32(8) != VERSION || rd32(12) != ENDIAN {
            bail!("written by another version or byte order");
        }
        if rd64(16) != model_checksum {
            bail!("built for another model");
        }
        let (m, efc) = (rd32(32) as usize, rd32(36) as usize);
        if m != params.m || efc != params.ef_construction || rd64(24) as usize != n {
            bail!("built with other parameters (m {m}, ef_construction {efc})");
        }
        let g = FrozenGraph {
            n,
            m,
            m0: 2 * m,
            ef_construction: efc,
            max_level: rd32(40) as usize,
            entry: rd32(44),
            model_checksum,
            upper_len: rd64(48) as usize,
            backing: Backing::Owned(Vec::new()),
        };
        // The lengths come from the file: size them with checked arithmetic before trusting.
        let expected = n
            .checked_mul(g.m0)
            .and_then(|x| x.checked_add(n))
            .and_then(|x| x.checked_mul(4))
            .and_then(|x| g.upper_len.checked_mul(4).and_then(|u| x.checked_add(u)));
        if expected.is_none() || g.upper_len > n.saturating_mul(g.m).saturating_mul(32) {
            bail!("corrupt header: upper-layer length {}", g.upper_len);
        }
        let end = g.sections().end;
        if b.len() != end {
            bail!("truncated or padded: {} bytes, expected {end}", b.len());
        }
        if xxhash_rust::xxh3::xxh3_64(&b[HEADER_LEN..]) != rd64(56) {
            bail!("checksum mismatch");
        }
        let g = FrozenGraph {
            backing: Backing::Mapped(mmap),
            ..g
        };
        g.validate()?;
        Ok(g)
    }

    /// Every id in range, every level consistent: a graph that passes cannot make a search
    /// index out of bounds.
    pub fn validate(&self) -> anyhow::Result<()> {
        let n = self.n as u32;
        if self.n == 0 || self.entry >= n {
            bail!("entry point {} out of range", self.entry);
        }
        if self.max_level > 32 || self.levels()[self.entry as usize] as usize != self.max_level {
            bail!("entry point is not on the top layer");
        }
        if self.level0().iter().any(|&x| x != EMPTY && x >= n)
            || self.upper().iter().any(|&x| x != EMPTY && x >= n)
        {
            bail!("neighbour id out of range");
        }
        let mut next = 0usize;
        for (node, (&lvl, &start)) in self.levels().iter().zip(self.upper_start()).enumerate() {
            let lvl = lvl as usize;
            if lvl > self.max_level {
                bail!("node {node} above the top layer");
            }
            let want = if lvl == 0 { EMPTY } else { next as u32 };
            if start != want {
                bail!("node {node}: inconsistent upper-layer offset");
            }
            next += lvl * self.m;
        }
        if next != self.upper_len {
            bail!("inconsistent upper-layer length");
        }
        Ok(())
    }
}

/// Build the graph with hnsw_rs and freeze it. Uses every core (rayon).
pub fn build_graph(emb: &Embeddings, params: &IndexParams) -> anyhow::Result<FrozenGraph> {
    use hnsw_rs::prelude::Hnsw;
    params.validate()?;
    let n = emb.len();
    let max_layer = 16;
    let mut hnsw: Hnsw<f32, UnitDot> =
        Hnsw::new(params.m, n, max_layer, params.ef_construction, UnitDot);
    // Fewer, fuller upper layers: the mitigation reported for unreachable points. hnsw_rs
    // `println!`s its scale here, onto the service's JSON log lines (and `eval-index --json`'s
    // report): silenced.
    without_stdout(|| hnsw.modify_level_scale(0.5));
    let data: Vec<(&[f32], usize)> = (0..n).map(|i| (emb.vector(i as WordId), i)).collect();
    let threads = rayon::current_num_threads().max(1);
    let estimate = build_estimate_secs(n, params, threads);
    tracing::info!(
        model = emb.name(),
        words = n,
        m = params.m,
        ef_construction = params.ef_construction,
        threads,
        estimate_secs = estimate,
        "building the nearest-neighbour graph for {} (~{estimate} s on {threads} threads); \
         later starts map it from the cache",
        emb.name()
    );
    let started = std::time::Instant::now();
    let bar = build_progress(n);
    // In slices of 1 %, each inserted in parallel like the whole: the same graph, with a
    // progress bar (on a terminal only) between slices.
    for chunk in data.chunks(n.div_ceil(100).max(1)) {
        hnsw.parallel_insert_slice(&chunk.to_vec()); // it takes a &Vec
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    tracing::info!(
        words = n,
        build_secs = started.elapsed().as_secs(),
        "nearest-neighbour graph built"
    );
    hnsw.set_searching_mode(true);
    let mut lists = extract_lists(&hnsw, n);
    drop(hnsw);
    let report = repair(&mut lists, 2 * params.m);
    if report.relinked > 0 || report.dropped_upper > 0 {
        tracing::info!(
            relinked = report.relinked,
            dropped_upper = report.dropped_upper,
            "repaired the hnsw_rs graph"
        );
    }
    // The entry point: the first node on the top layer (hnsw_rs's own entry point is the
    // first point inserted at the highest level, which is on that layer too).
    let top = lists.iter().map(|l| l.len()).max().unwrap_or(1);
    let entry = lists.iter().position(|l| l.len() == top).unwrap_or(0) as u32;
    FrozenGraph::from_lists(&lists, params, entry, emb.checksum())
}

/// Run `f` with the process's standard output sent to `/dev/null`, for a library that prints
/// to it. Stdout's lock is held throughout, so no other thread's line (a log line) can fall
/// into the window; `f`'s own prints take the same lock again (it is reentrant). Fd 1 is put
/// back before the lock is released, even if `f` panics. If it cannot be redirected, `f` runs
/// anyway.
#[cfg(unix)]
fn without_stdout<R>(f: impl FnOnce() -> R) -> R {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    /// The saved fd 1, put back when dropped.
    struct Restore(OwnedFd);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = std::io::stdout().flush();
            // SAFETY: both descriptors are open; dup2 replaces fd 1 atomically.
            unsafe { libc::dup2(self.0.as_raw_fd(), libc::STDOUT_FILENO) };
        }
    }
    let mut lock = std::io::stdout().lock();
    let _ = lock.flush();
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return f();
    };
    // SAFETY: dup returns a new descriptor, or -1.
    let saved = unsafe { libc::dup(libc::STDOUT_FILENO) };
    if saved < 0 {
        return f();
    }
    // SAFETY: `saved` is open and nothing else owns it.
    let restore = Restore(unsafe { OwnedFd::from_raw_fd(saved) });
    // SAFETY: both descriptors are open.
    if unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        return f();
    }
    let r = f();
    drop(restore);
    drop(lock);
    r
}

#[cfg(not(unix))]
fn without_stdout<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// A first guess at the build's time, for the line that says why the first start waits:
/// ~1,800 words a second per thread at `ef_construction` 100 and `m` 16 on this project's 2-core
/// machines (the committed 100k model built in 27 s on 2 threads, 2026-12-04), in proportion to
/// both.
fn build_estimate_secs(words: usize, params: &IndexParams, threads: usize) -> u64 {
    let work = words as f64 * (params.ef_construction as f64 / 100.0) * (params.m as f64 / 16.0);
    (work / (1_800.0 * threads as f64)).ceil() as u64
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (logs, CI).
fn build_progress(words: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(words as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "building the nearest-neighbour graph [{bar:40}] {pos}/{len} words (eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// What [`repair`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RepairReport {
    /// Nodes no layer-0 list pointed to, now linked from a neighbour.
    pub relinked: usize,
    /// Upper-layer links to nodes that are not on that layer, removed.
    pub dropped_upper: usize,
}

/// Mend two flaws of graphs built by hnsw_rs's parallel insert (hnswlib-rs#32, #37):
/// - a node that no layer-0 list points to can never be found: link it from its nearest
///   neighbour (in a free slot, or in place of the link to that neighbour's best-linked node);
/// - an upper-layer list may name nodes that are not on that layer, where a greedy descent
///   stops: drop those links.
pub fn repair(lists: &mut [Vec<Vec<u32>>], m0: usize) -> RepairReport {
    let mut report = RepairReport::default();
    let levels: Vec<usize> = lists.iter().map(|l| l.len()).collect();
    for node in lists.iter_mut() {
        for (layer, nb) in node.iter_mut().enumerate().skip(1) {
            let before = nb.len();
            nb.retain(|&x| levels[x as usize] > layer);
            report.dropped_upper += before - nb.len();
        }
    }
    let mut indeg = vec![0u32; lists.len()];
    for node in lists.iter() {
        if let Some(l0) = node.first() {
            for &x in l0 {
                indeg[x as usize] += 1;
            }
        }
    }
    for id in 0..lists.len() {
        if indeg[id] > 0 || lists[id].first().is_none_or(|l| l.is_empty()) {
            continue;
        }
        let outs = lists[id][0].clone();
        let host = outs
            .iter()
            .copied()
            .find(|&nb| lists[nb as usize][0].len() < m0);
        if let Some(nb) = host {
            lists[nb as usize][0].push(id as u32);
        } else {
            let nb = outs[0] as usize;
            let list = &mut lists[nb][0];
            let (slot, _) = list
                .iter()
                .enumerate()
                .max_by_key(|(_, &x)| indeg[x as usize])
                .expect("a full list is not empty");
            let old = list[slot];
            if indeg[old as usize] < 2 {
                continue;
            }
            indeg[old as usize] -= 1;
            list[slot] = id as u32;
        }
        indeg[id] += 1;
        report.relinked += 1;
    }
    report
}

/// `lists[node][layer]`: the neighbour ids hnsw_rs holds, in its order.
pub fn extract_lists<D: hnsw_rs::prelude::Distance<f32> + Send + Sync>(
    hnsw: &hnsw_rs::prelude::Hnsw<f32, D>,
    n: usize,
) -> Vec<Vec<Vec<u32>>> {
    let mut lists: Vec<Vec<Vec<u32>>> = vec![Vec::new(); n];
    for point in hnsw.get_point_indexation() {
        let id = point.get_origin_id();
        let level = point.get_point_id().0 as usize;
        let hood = point.get_neighborhood_id();
        lists[id] = (0..=level)
            .map(|l| {
                hood.get(l)
                    .map(|nb| nb.iter().map(|x| x.d_id as u32).collect())
                    .unwrap_or_default()
            })
            .collect();
    }
    lists
}

/// The serving index: a frozen graph over the memory-mapped vectors.
pub struct HnswIndex {
    emb: Arc<Embeddings>,
    graph: FrozenGraph,
    /// int8 rows the traversal scores with; the final candidates are rescored exactly.
    rows: Arc<RowTable>,
    pub params: IndexParams,
    /// Latency of the searches that answer players; whoever exports metrics registers it.
    search_seconds: Histogram,
}

/// How an index came to be: from the cache, or built (and why).
#[derive(Debug, Clone)]
pub enum Origin {
    Cache(PathBuf),
    Built {
        reason: String,
        saved: Option<PathBuf>,
    },
}

impl HnswIndex {
    pub fn new(emb: Arc<Embeddings>, graph: FrozenGraph, params: IndexParams) -> HnswIndex {
        let rows = Arc::new(RowTable::build(emb.vectors(), emb.dim()));
        Self::with_rows(emb, graph, params, rows)
    }

    /// [`new`](Self::new) with int8 rows already built (the exact index's: one copy serves both).
    pub fn with_rows(
        emb: Arc<Embeddings>,
        graph: FrozenGraph,
        params: IndexParams,
        rows: Arc<RowTable>,
    ) -> HnswIndex {
        HnswIndex {
            emb,
            graph,
            rows,
            params,
            search_seconds: Histogram::new(crate::metrics::LATENCY_BUCKETS),
        }
    }

    /// The cache file for a model and parameters.
    /// The latency histogram of [`NearestIndex::search`] (a handle: clones share it).
    pub fn search_seconds(&self) -> Histogram {
        self.search_seconds.clone()
    }

    pub fn cache_path(dir: &Path, emb: &Embeddings, params: &IndexParams) -> PathBuf {
        let stem = emb
            .path()
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        dir.join(format!(
            "{stem}.hnsw-m{}-efc{}-{:016x}.idx",
            params.m,
            params.ef_construction,
            emb.checksum()
        ))
    }

    /// Map the cached graph if it is sound; otherwise build it and save it to the cache.
    /// A corrupt or foreign cache is reported and replaced, never trusted.
    pub fn load_or_build(
        emb: Arc<Embeddings>,
        params: IndexParams,
        cache_dir: Option<&Path>,
    ) -> anyhow::Result<(HnswIndex, Origin)> {
        let rows = Arc::new(RowTable::build(emb.vectors(), emb.dim()));
        Self::load_or_build_sharing(emb, rows, params, cache_dir)
    }

    /// [`load_or_build`](Self::load_or_build) with int8 rows already built.
    pub fn load_or_build_sharing(
        emb: Arc<Embeddings>,
        rows: Arc<RowTable>,
        params: IndexParams,
        cache_dir: Option<&Path>,
    ) -> anyhow::Result<(HnswIndex, Origin)> {
        params.validate()?;
        let path = cache_dir.map(|d| Self::cache_path(d, &emb, &params));
        let reason = match &path {
            None => "no cache directory".to_string(),
            Some(p) if !p.exists() => "no cached graph yet".to_string(),
            Some(p) => match FrozenGraph::load(p, &params, emb.checksum(), emb.len()) {
                Ok(graph) => {
                    return Ok((
                        HnswIndex::with_rows(emb, graph, params, rows),
                        Origin::Cache(p.clone()),
                    ))
                }
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "index cache rejected; rebuilding");
                    format!("cache {} rejected: {e}", p.display())
                }
            },
        };
        let mut graph = build_graph(&emb, &params)?;
        let saved = match &path {
            Some(p) => match graph.save(p) {
                Ok(()) => Some(p.clone()),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot save the index cache");
                    None
                }
            },
            None => None,
        };
        // Serve the saved graph as a warm start would: mapped from its file (pages the kernel
        // may share and drop), not the owned copy the build made.
        if let Some(p) = &saved {
            match FrozenGraph::load(p, &params, emb.checksum(), emb.len()) {
                Ok(mapped) => graph = mapped,
                Err(e) => tracing::warn!(error = %e, "the saved index cache does not load back"),
            }
        }
        // The builder's memory goes back to the system when the engine is loaded
        // (`engine::release_freed_memory`).
        Ok((
            HnswIndex::with_rows(emb, graph, params, rows),
            Origin::Built { reason, saved },
        ))
    }

    pub fn graph(&self) -> &FrozenGraph {
        &self.graph
    }

    /// Bytes held by the graph and the int8 rows.
    pub fn memory_bytes(&self) -> usize {
        self.graph.memory_bytes() + self.rows.memory_bytes()
    }

    /// Search with an explicit `ef`.
    pub fn search_ef(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        skip: &dyn Skip,
        seeds: &[WordId],
    ) -> Vec<Hit> {
        let ef = ef.max(k);
        let g = &self.graph;
        let qq = self.rows.quantise_query(query);
        let sim = |id: u32| self.rows.approx(id, &qq);
        VISITED.with(|v| {
            let mut visited = v.borrow_mut();
            visited.reset(g.n);
            // Entry: the seeds if given, else greedy descent through the upper layers.
            let mut starts: Vec<Cand> = Vec::with_capacity(seeds.len().max(1));
            for &s in seeds {
                if (s as usize) < g.n && visited.insert(s) {
                    starts.push(Cand { sim: sim(s), id: s });
                }
            }
            if starts.is_empty() {
                let mut cur = Cand {
                    sim: sim(g.entry),
                    id: g.entry,
                };
                for layer in (1..=g.max_level).rev() {
                    loop {
                        let mut improved = false;
                        for &nb in g.neighbours(cur.id, layer) {
                            let s = sim(nb);
                            if s > cur.sim {
                                cur = Cand { sim: s, id: nb };
                                improved = true;
                            }
                        }
                        if !improved {
                            break;
                        }
                    }
                }
                visited.insert(cur.id);
                starts.push(cur);
            }
            let found = search_layer0(g, &self.rows, &qq, ef, skip, &starts, &mut visited);
            let mut hits: Vec<Hit> = found
                .into_iter()
                .map(|c| Hit {
                    id: c.id,
                    sim: exact_dot(self.emb.vector(c.id), query),
                })
                .collect();
            hits.sort_unstable_by(Hit::best_first);
            hits.truncate(k);
            hits
        })
    }
}

impl NearestIndex for HnswIndex {
    fn kind(&self) -> &'static str {
        "hnsw"
    }

    fn search(&self, query: &[f32], k: usize, skip: &dyn Skip, seeds: &[WordId]) -> Vec<Hit> {
        let t = std::time::Instant::now();
        let hits = self.search_ef(query, k, self.params.ef_search, skip, seeds);
        self.search_seconds.observe(t.elapsed().as_secs_f64());
        hits
    }
}

#[derive(Clone, Copy, Debug)]
struct Cand {
    sim: f32,
    id: u32,
}

impl PartialEq for Cand {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        self.sim.total_cmp(&o.sim).then(o.id.cmp(&self.id))
    }
}

/// Beam search on layer 0; returns up to `ef` nodes that `skip` allows.
fn search_layer0(
    g: &FrozenGraph,
    rows: &RowTable,
    query: &QuantQuery,
    ef: usize,
    skip: &dyn Skip,
    starts: &[Cand],
    visited: &mut Visited,
) -> Vec<Cand> {
    let mut frontier: BinaryHeap<Cand> = BinaryHeap::with_capacity(ef * 4);
    let mut best: BinaryHeap<Reverse<Cand>> = BinaryHeap::with_capacity(ef + 1);
    for &c in starts {
        frontier.push(c);
        if !skip.skip(c.id) {
            best.push(Reverse(c));
            if best.len() > ef {
                best.pop();
            }
        }
    }
    let level0 = g.level0();
    while let Some(c) = frontier.pop() {
        if best.len() >= ef && c.sim < best.peek().map(|r| r.0.sim).unwrap_or(f32::NEG_INFINITY) {
            break;
        }
        let list = &level0[c.id as usize * g.m0..(c.id as usize + 1) * g.m0];
        for &nb in list {
            if nb == EMPTY {
                break;
            }
            prefetch(rows.row(nb).as_ptr());
        }
        for &nb in list {
            if nb == EMPTY {
                break;
            }
            if !visited.insert(nb) {
                continue;
            }
            let s = rows.approx(nb, query);
            let worst = best.peek().map(|r| r.0.sim).unwrap_or(f32::NEG_INFINITY);
            if best.len() < ef || s > worst {
                let cand = Cand { sim: s, id: nb };
                frontier.push(cand);
                if !skip.skip(nb) {
                    best.push(Reverse(cand));
                    if best.len() > ef {
                        best.pop();
                    }
                }
            }
        }
    }
    best.into_iter().map(|r| r.0).collect()
}

/// A visited set that clears in O(1): a node is visited when its stamp equals the current one.
struct Visited {
    stamps: Vec<u32>,
    current: u32,
}

impl Visited {
    fn reset(&mut self, n: usize) {
        if self.stamps.len() != n {
            self.stamps = vec![0; n];
            self.current = 0;
        }
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            self.stamps.fill(0);
            self.current = 1;
        }
    }

    /// Mark `id`; true if it was not visited yet.
    #[inline]
    fn insert(&mut self, id: u32) -> bool {
        let s = &mut self.stamps[id as usize];
        if *s == self.current {
            false
        } else {
            *s = self.current;
            true
        }
    }
}

thread_local! {
    static VISITED: RefCell<Visited> = const { RefCell::new(Visited { stamps: Vec::new(), current: 0 }) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_links_orphans_and_drops_links_to_lower_nodes() {
        // Node 3 has out-links but nobody links to it; node 1's layer-1 list names node 2,
        // which is only on layer 0.
        let mut lists: Vec<Vec<Vec<u32>>> = vec![
            vec![vec![1, 2], vec![1]],
            vec![vec![0, 2], vec![0, 2]],
            vec![vec![0, 1]],
            vec![vec![2, 0]],
        ];
        let r = repair(&mut lists, 4);
        assert_eq!(
            r,
            RepairReport {
                relinked: 1,
                dropped_upper: 1
            }
        );
        assert_eq!(lists[1][1], vec![0]);
        assert!(
            lists[2][0].contains(&3),
            "the orphan's nearest neighbour links back to it"
        );
        // With every list full, the link to the best-linked node makes room.
        let mut full: Vec<Vec<Vec<u32>>> = vec![
            vec![vec![1, 2]],
            vec![vec![0, 2]],
            vec![vec![0, 1]],
            vec![vec![0, 1]],
        ];
        let r = repair(&mut full, 2);
        assert_eq!(r.relinked, 1);
        assert!(full[0][0].contains(&3));
        let indeg = |x: u32| full.iter().filter(|l| l[0].contains(&x)).count();
        assert!((0..4).all(|x| indeg(x) > 0), "{full:?}");
    }
}
