//! The HTTP API, end to end: a real server on a random port, driven with reqwest.
mod hardening;
mod helpers;
mod matches;
mod meta;
mod page;
mod visualize;
mod words;
