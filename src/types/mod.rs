//! The vocabulary every stage shares: the [`Target`] the input hands on
//! (and each later place of it, an [`Entry`]),
//! the [`Page`]s of a crawl and what is [`Found`] on them,
//! the [`Outcome`] (report row) a check produces, its [`Verdict`] and
//! [`ErrorKind`], the
//! [`FailRule`] and [`Tally`] over verdicts, the [`Accept`] list, the
//! library's [`Error`], and [`hide_passwords`] for every text written out.
//! This module imports no other of the crate.

mod accept;
mod crawl;
mod error;
mod error_kind;
mod outcome;
mod prehashed;
mod secret;
mod source;
mod tally;
mod target;
mod verdict;

pub use accept::Accept;
pub use crawl::{Crawler, Fetched, Found, FoundLink, FoundPages, Page, Senders, site_of};
pub use error::{Error, Result};
pub use error_kind::ErrorKind;
pub use outcome::{Method, Origin, Outcome};
pub use prehashed::{BuildPrehashed, Prehashed, fnv1a};
pub use secret::{HIDDEN, hide_passwords, hide_passwords_in};
pub use source::Source;
pub use tally::Tally;
pub use target::{Entry, Target, TargetKind, entry_key, host_key, text_key, url_key};
pub use verdict::{FailRule, Novelty, Verdict};
