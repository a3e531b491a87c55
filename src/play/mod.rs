//! The game's use cases over a store: create a match, join, deal, submit, resolve — what an
//! HTTP handler calls today, and what a computer opponent, a practice court or a test calls
//! without HTTP. Each takes typed, already-valid input (a player's token as its hash, a move
//! normalised) and returns domain values or a [`PlayError`].

pub mod feedback;
pub mod matches;
pub mod practice;
pub mod reads;
pub mod recent;

pub use matches::Matches;
pub use practice::Practice;

use crate::game::GameError;
use crate::store::StoreError;

/// Why a use case failed: the rules refused it, or the store could not do it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlayError {
    #[error(transparent)]
    Game(#[from] GameError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PlayError {
    fn from(e: StoreError) -> PlayError {
        match e {
            // A change the rules refused inside the store's atomic update is a rules error.
            StoreError::Rejected(g) => PlayError::Game(g),
            other => PlayError::Store(other),
        }
    }
}
