//! The HTTP API, end to end: a real server on a random port, driven with reqwest.
mod daily;
mod events;
mod feedback;
mod hardening;
mod helpers;
mod matches;
mod meta;
mod page;
mod puzzles;
mod ranges;
mod redis_store;
mod secrets;
mod sentry;
mod shutdown;
mod visualize;
mod words;
