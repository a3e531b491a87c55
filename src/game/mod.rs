//! The game's rules: pure, no I/O, no actix.
pub mod deal;
pub mod matches;
