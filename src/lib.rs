pub mod config;
pub mod embeddings;
pub mod engine;
pub mod eval;
pub mod index;
pub mod scoring;
pub mod simd;
