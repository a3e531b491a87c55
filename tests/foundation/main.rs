//! Foundation tests: the model file, the deck, the exact and HNSW indexes and the scoring of a
//! move, checked against the committed model (`models/glove-6B-50d-100k.wbm`) and against
//! small temporary models.
//!
//! Run with `cargo test --release --test foundation` (debug builds are far too slow). The
//! committed model is loaded once per test binary (see [`common::engine`]); its HNSW graph is
//! cached in `INDEX_CACHE_DIR` (default `models/cache`).

mod common;

mod bots;
mod corrupt_files;
mod deals;
mod deck;
mod exact_vs_reference;
mod frozen_graph;
mod importers;
mod layers;
mod names;
mod puzzles;
mod recall;
mod scoring;
mod self_retrieval;
mod simd_levels;
