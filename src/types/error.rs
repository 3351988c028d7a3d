//! The library's error: what a caller may branch on when a run cannot start
//! or an input cannot be read. Everything that goes wrong with one URL is
//! part of its row instead, never an error.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file (an input, a report to resume or merge) could not be opened.
    #[error("{path}: {error}")]
    Open { path: String, error: io::Error },
    /// A path given as a file is a directory.
    #[error("{path}: is a directory")]
    Directory { path: String },
    /// An input broke off while it was read.
    #[error("{path}: read error: {error}")]
    Read { path: String, error: io::Error },
    /// A file given as a report (`--resume`, `merge`) is not one.
    #[error("{path}: not a headcheck report: {reason}")]
    NotAReport { path: String, reason: String },
    /// An option's value that the library refuses (a status list, a glob,
    /// a shard, a base URL), said in words.
    #[error("{0}")]
    Invalid(String),
    /// The HTTP client could not be built (TLS roots, resolver).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// The library's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
