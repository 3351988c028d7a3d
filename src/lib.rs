//! headcheck: a concurrent bulk link checker.
//!
//! The pipeline reads as the module list, and the module graph flows one
//! way: each module imports only what its arrows below name, and
//! `tests/module_graph.rs` fails on a cycle or on any other import.
//!
//! ```text
//! bin      src/bin/headcheck: cli, app, merge, summary, progress, annotate, exit
//! run      the scheduler: per-host queues, tasks, input order,    → check, report, input
//!          a crawl's pages (read with the input's page parser)
//! input    lists, stdin, sitemaps, documents → Targets   → check, cache, resume, shard
//! cache    ok results kept between runs                           → report
//! resume   the rows of an earlier report                          → report
//! baseline the failures of an earlier report (--baseline)          → report
//! shard    this run's share of the hosts
//! report   the row mapping, one writer per format, reading back
//! check    one URL → one Outcome: client, method policy, redirects,
//!          retries, failures, limits
//! types    the vocabulary: Target, Outcome, Verdict, FailRule, Tally,
//!          Accept, Error; imports nothing of the crate
//! ```
//!
//! Every module may import `types`; the arrows name the rest. The binary
//! imports any of the library, and nothing imports the binary.
//!
//! The command-line layer (flags, progress, summary, exit status) lives in
//! the binary and only drives this library.

pub mod baseline;
pub mod cache;
pub mod check;
pub mod input;
pub mod report;
pub mod resume;
pub mod run;
pub mod shard;
pub mod types;
