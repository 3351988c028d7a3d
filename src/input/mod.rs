//! Inputs: where URLs come from and what each entry means.
//!
//! This stage turns inputs (URL arguments, list files, sitemaps, documents,
//! standard input) into a stream of [`Target`](crate::types::Target)s: one
//! per distinct entry, numbered in input order, each already sorted into
//! "check it", "invalid", "skipped" or "known" (a resumed or cached row).
//! Inputs are read on a blocking thread and handed over through a bounded
//! channel, so a list or sitemap of any size is never held in memory; only a
//! compact fingerprint of every distinct URL seen is kept, for
//! deduplication.
//!
//! Inside, the path of an entry is: [`open`] (what an INPUT is) →
//! [`reader`] (the thread) → `list` (or `csv_list`), `sitemap_walk` with
//! `sitemap_xml`, or `documents` with `links` (entries and their lines) →
//! `emitter` (numbers, `crawl`, `classify`, `fingerprints`, shard, resume and cache
//! look-ups) → channel.

mod classify;
mod crawl;
mod csv_list;
mod documents;
mod emitter;
mod fetch;
mod fingerprints;
mod links;
mod list;
mod open;
mod page;
mod reader;
mod sitemap_walk;
mod sitemap_xml;
mod utf16;

pub use classify::{Filter, SKIPPED_SCHEMES, classify_entry, did_you_mean, missing_scheme};
pub use crawl::{CrawlOptions, CrawlTally, MAX_PAGES_OUT, MAX_QUERIES_PER_PATH};
pub use documents::DocumentOptions;
pub use fetch::Fetcher;
pub use links::Link;
pub use list::{ListEntry, ListReader, MAX_LINE_BYTES};
pub use open::{Input, count_entries};
pub use page::{MAX_PAGE_BYTES, Page, PageParser};
pub use reader::{ReaderOptions, spawn_reader};
pub use sitemap_walk::SitemapOptions;
pub use sitemap_xml::{Caps, SITEMAP_NAMESPACE, XHTML_NAMESPACE};

/// The parsers that face the outside, for the fuzz targets in `fuzz/`: not
/// part of the library's interface.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::links::{DocumentKind, Link, Links, anchors, extract};
    pub use super::open::prepare;
    pub use super::page::{MAX_PAGE_BYTES, Page, PageParser};
    pub use super::sitemap_xml::{Item, Kind, SitemapError, parse};
}
