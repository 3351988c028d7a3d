//! What the input stage hands to the run: one [`Target`] per distinct
//! entry, each later place of it as an [`Entry::Again`], and the key under
//! which an entry is recognised again.

use url::{Position, Url};

use super::crawl::Page;
use super::error_kind::ErrorKind;
use super::outcome::Outcome;
use super::source::Source;

/// One entry to report: what the user wrote, where, and what to do with it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Position in the report (0-based, contiguous, first occurrence order).
    pub index: u64,
    /// The input text as given (trimmed), reported in the `url` column.
    pub text: String,
    /// Where the entry came from: `argv`, `stdin:3`, `urls.txt:12`,
    /// `https://site/page:40`.
    pub source: Source,
    pub kind: TargetKind,
}

/// What the input hands the run, in input order.
#[derive(Debug, Clone)]
pub enum Entry {
    /// An entry seen for the first time: one row, at this place.
    New(Target),
    /// Another place of an entry seen before, by its key ([`entry_key`]):
    /// no row and no request of its own. The run tells the row's
    /// observers of it when the row is a problem.
    Again { key: String, source: Source },
}

#[derive(Debug, Clone)]
pub enum TargetKind {
    /// An http(s) URL to check.
    Check(Url),
    /// A page of a crawl: fetched with GET for its row and its links.
    Page(Page),
    /// Not a URL; the reason is reported in the `error` column.
    Invalid(String),
    /// A URL that is not checked; the reason is reported in `error`.
    Skipped(String),
    /// Known before the run: the row of the report being resumed, or a
    /// fresh ok result from the cache.
    Known(Box<Outcome>),
    /// An input that could not be read (a sitemap that failed to load, or
    /// broke off): an `error` row that says why.
    Unreadable(String),
    /// A URL of a host that could not be reached by an earlier URL: an
    /// `error` row with that URL's error, made without a request.
    Unreachable {
        url: Url,
        error: String,
        kind: ErrorKind,
    },
    /// A relative link checked on disk: `ok`, or `broken` with the problem
    /// (`file not found`, `fragment #x not found`).
    File {
        problem: Option<(ErrorKind, String)>,
    },
    /// A link to a crawled page whose `#fragment` names nothing in it: a
    /// `broken` row with the problem (`fragment #x not found`).
    MissingFragment(String),
}

/// The key under which an entry is recognised again: the normalised URL
/// without its `#fragment` (so `HTTP://Site`, `http://site/` and
/// `http://site/#top` are one URL: fragments are never sent), or the text of
/// anything that is not a URL to check.
pub fn entry_key<'a>(kind: &'a TargetKind, text: &'a str) -> &'a str {
    match kind {
        TargetKind::Check(url)
        | TargetKind::Page(Page { url, .. })
        | TargetKind::Unreachable { url, .. } => url_key(url),
        // A known row keeps the key it was found by.
        TargetKind::Known(row) => &row.key,
        _ => text,
    }
}

/// The host a URL belongs to for the whole run: its authority, `host` or
/// `host:port` when the port is not the scheme's own, without user and
/// password (a slice of the URL: nothing is allocated). The scheduler, the
/// request limits, the shard and the workbook all key hosts by it.
///
/// With the port, not the name alone: two ports of one name are most often
/// two servers (`localhost:3000` and `localhost:8080`, a site and its API),
/// so one answering says nothing of the other (a closed port still gets
/// the unreachable short-cut) and each has its own `--per-host` slots.
pub fn host_key(url: &Url) -> &str {
    &url[Position::BeforeHost..Position::AfterPort]
}

/// The key of a URL to check: its normal form without the `#fragment`.
pub fn url_key(url: &Url) -> &str {
    &url[..Position::AfterQuery]
}

/// The key of a URL known only by its text, such as a row read back from a
/// report: the same key [`entry_key`] gives the entry it was made from.
pub fn text_key(text: &str) -> String {
    match Url::parse(text) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|host| !host.is_empty()) =>
        {
            url[..Position::AfterQuery].to_string()
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_known_by_its_normal_form() {
        assert_eq!(text_key("HTTP://A.test"), "http://a.test/");
        assert_eq!(text_key("http://a.test/p?q#part"), "http://a.test/p?q");
        assert_eq!(text_key("mailto:x@a.test"), "mailto:x@a.test");
        assert_eq!(text_key("not a url"), "not a url");
        let url = Url::parse("HTTP://A.test").unwrap();
        assert_eq!(
            entry_key(&TargetKind::Check(url), "HTTP://A.test"),
            text_key("HTTP://A.test")
        );
    }
}
