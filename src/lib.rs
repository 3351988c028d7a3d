//! headcheck: a concurrent bulk link checker.
//!
//! The pipeline reads as the module list:
//! [`input`] (lists, stdin, URLs → [`input::Target`]s) →
//! [`schedule`] with [`limits`] and [`check`] (one URL → one
//! [`outcome::Outcome`]) → [`report`] (CSV / JSON writers).
//! The command-line layer (flags, progress, summary, exit status) lives in
//! the binary and only drives this library.

pub mod accept;
pub mod cache;
pub mod check;
pub mod dns;
pub mod fetch;
pub mod input;
pub mod limits;
pub mod outcome;
pub mod report;
pub mod resume;
pub mod schedule;
pub mod shard;
pub mod sitemap;
