//! The embedding model: its file format, the memory-mapped store, importers and the deck.
pub mod deck;
pub mod format;
pub mod import;
pub mod store;
pub mod vocab;

pub use store::{Embeddings, WordId};
