//! Shared fixtures: the committed model loaded once, small temporary models cut from it, and a
//! plain scalar reference of the exact index.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use word_bocce::config::EngineSettings;
use word_bocce::embeddings::format::write_model;
use word_bocce::embeddings::{Embeddings, WordId};
use word_bocce::engine::Engine;
use word_bocce::simd::exact_dot;

/// A path relative to the crate root (tests may run from anywhere).
pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The engine over the committed default model, loaded once per test binary. The HNSW graph
/// comes from `INDEX_CACHE_DIR` (else `models/cache`) and is built there on the first run.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let settings = EngineSettings::committed_model(&crate_path(""));
        let t = std::time::Instant::now();
        let engine = Engine::load(&settings).expect("the committed model loads");
        eprintln!(
            "engine loaded in {:.1} s: {} words, index {}",
            t.elapsed().as_secs_f64(),
            engine.emb.len(),
            engine.report.index_origin
        );
        engine
    })
}

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The words and raw (unit) vectors of `ids` of `emb`, to write a smaller model.
pub fn rows_of(emb: &Embeddings, ids: impl IntoIterator<Item = WordId>) -> (Vec<String>, Vec<f32>) {
    let mut words = Vec::new();
    let mut vectors = Vec::new();
    for id in ids {
        words.push(emb.word(id).to_string());
        vectors.extend_from_slice(emb.vector(id));
    }
    (words, vectors)
}

/// Write a model of the committed model's words `ids` to `dir/file` and return its path.
pub fn write_subset(dir: &Path, file: &str, ids: impl IntoIterator<Item = WordId>) -> PathBuf {
    let emb = &engine().emb;
    let (words, vectors) = rows_of(emb, ids);
    let path = dir.join(file);
    let name = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    write_model(&path, &name, &words, emb.dim(), vectors).expect("write the subset model");
    path
}

/// The exact cosine of `query` with every row of `emb`, by the scalar definition.
pub fn reference_sims(emb: &Embeddings, query: &[f32]) -> Vec<f32> {
    (0..emb.len() as WordId)
        .map(|id| exact_dot(emb.vector(id), query))
        .collect()
}

/// Every id not in `skip`, best first (higher cosine, then lower id).
pub fn reference_order(sims: &[f32], skip: &[WordId]) -> Vec<WordId> {
    let mut ids: Vec<WordId> = (0..sims.len() as WordId)
        .filter(|id| !skip.contains(id))
        .collect();
    ids.sort_unstable_by(|&a, &b| {
        sims[b as usize]
            .total_cmp(&sims[a as usize])
            .then(a.cmp(&b))
    });
    ids
}

/// The best `k` ids not in `skip`, best first: the first `k` of [`reference_order`], found
/// without sorting everything (the comparison is a total order, so this is exact).
pub fn reference_top(sims: &[f32], skip: &[WordId], k: usize) -> Vec<WordId> {
    let cmp = |a: &WordId, b: &WordId| {
        sims[*b as usize]
            .total_cmp(&sims[*a as usize])
            .then(a.cmp(b))
    };
    let mut ids: Vec<WordId> = (0..sims.len() as WordId)
        .filter(|id| !skip.contains(id))
        .collect();
    if k < ids.len() {
        ids.select_nth_unstable_by(k, cmp);
        ids.truncate(k);
    }
    ids.sort_unstable_by(cmp);
    ids
}

/// `1 + #{w ∉ skip ∪ {target} : sim(w) > sim(target)}`.
pub fn reference_rank(sims: &[f32], target: WordId, skip: &[WordId]) -> usize {
    let t = sims[target as usize];
    1 + sims
        .iter()
        .enumerate()
        .filter(|&(w, &s)| w as WordId != target && !skip.contains(&(w as WordId)) && s > t)
        .count()
}

/// `#{w ∉ skip : sim(w) > threshold}`.
pub fn reference_count_above(sims: &[f32], threshold: f32, skip: &[WordId]) -> usize {
    sims.iter()
        .enumerate()
        .filter(|&(w, &s)| !skip.contains(&(w as WordId)) && s > threshold)
        .count()
}

/// The id of a word that must be in the committed model.
pub fn id_of(word: &str) -> WordId {
    engine()
        .emb
        .id(word)
        .unwrap_or_else(|| panic!("'{word}' is not in the committed model"))
}
