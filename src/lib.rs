//! headcheck: a concurrent bulk link checker.
//!
//! The pipeline reads as the module list, and the module graph flows one
//! way (each module imports only those below it; `tests/module_graph.rs`
//! fails on any cycle):
//!
//! ```text
//! binary (src/bin/headcheck: cli, app, merge, summary, progress, annotate, exit)
//!   └─ run        the scheduler: per-host queues, tasks, input order
//!        ├─ input     lists, stdin, sitemaps, documents → Targets
//!        │    ├─ cache, resume, shard   known rows and this run's share
//!        │    └─ report (read)          rows read back for --resume
//!        └─ check     one URL → one Outcome: client, method policy,
//!                     redirects, retries, failures, limits
//!   report       the row mapping and one writer per format
//!   types        the shared vocabulary: Target, Outcome, Verdict,
//!                FailRule, Tally, Accept, Error (imports nothing)
//! ```
//!
//! The command-line layer (flags, progress, summary, exit status) lives in
//! the binary and only drives this library.

pub mod cache;
pub mod check;
pub mod input;
pub mod report;
pub mod resume;
pub mod run;
pub mod shard;
pub mod types;
