//! Index benchmarks on seeded move queries (start ± card ± card), cycled.
//!
//! `cargo bench --bench index` (add `-- --quick` for a short run). The model comes from
//! `MODEL_PATH` (default: the committed model) and its graph cache from `INDEX_CACHE_DIR`
//! (default `models/cache`), through `EngineSettings::from_env()`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;
use word_bocce::config::EngineSettings;
use word_bocce::engine::Engine;
use word_bocce::eval::{move_queries, MoveQuery};
use word_bocce::scoring::score_move;

const QUERIES: usize = 256;
const SEED: u64 = 0xbe7c;

struct Fixture {
    engine: Engine,
    queries: Vec<MoveQuery>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut settings = EngineSettings::from_env().expect("model settings");
        // Relative paths are relative to the crate, wherever the bench runs from.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        settings.model_path = root.join(&settings.model_path);
        settings.index_cache_dir = settings.index_cache_dir.map(|d| root.join(d));
        let engine = Engine::load(&settings).expect("load the model");
        eprintln!(
            "model {} ({} words, dim {}), index {}",
            engine.report.model, engine.report.words, engine.report.dim, engine.report.index_origin
        );
        let queries = move_queries(&engine.emb, &engine.deck, QUERIES, SEED);
        Fixture { engine, queries }
    })
}

/// The next query of the cycle.
fn cycle<'a>(queries: &'a [MoveQuery], i: &mut usize) -> &'a MoveQuery {
    let q = &queries[*i % queries.len()];
    *i += 1;
    q
}

fn hnsw_search(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("hnsw_search");
    for ef in [64, 256] {
        g.bench_function(format!("k10_ef{ef}_seeded"), |b| {
            let mut i = 0;
            b.iter(|| {
                let q = cycle(&f.queries, &mut i);
                let words = q.words();
                black_box(f.engine.hnsw.search_ef(&q.ball, 10, ef, &words, &words))
            })
        });
    }
    g.finish();
}

fn exact_top10(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("exact_top10");
    g.bench_function("top_k", |b| {
        let mut i = 0;
        b.iter(|| {
            let q = cycle(&f.queries, &mut i);
            black_box(f.engine.exact.top_k(&q.ball, 10, &q.words()))
        })
    });
    g.finish();
}

fn rank(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("rank");
    g.bench_function("target", |b| {
        let mut i = 0;
        b.iter(|| {
            let q = cycle(&f.queries, &mut i);
            black_box(f.engine.exact.rank(&q.ball, q.target, &q.words()))
        })
    });
    g.finish();
}

fn score(c: &mut Criterion) {
    let f = fixture();
    let e = &f.engine;
    let mut g = c.benchmark_group("score_move");
    g.bench_function("rank_and_nearest", |b| {
        let mut i = 0;
        b.iter(|| {
            let q = cycle(&f.queries, &mut i);
            black_box(score_move(&e.emb, &e.exact, &q.terms, q.target))
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = hnsw_search, exact_top10, rank, score
}
criterion_main!(benches);
