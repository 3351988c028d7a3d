//! The report row: one [`Outcome`] per entry, plain data, the same for every
//! report format (the columns are mapped in `report::columns`).

use super::error_kind::ErrorKind;
use super::secret::hide_passwords_in;
use super::source::Source;
use super::verdict::{Novelty, Verdict};

/// Which request's answer a row reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Head,
    Get,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Head => "HEAD",
            Method::Get => "GET",
        }
    }
}

/// Where a row comes from. Not a column: what a row says does not depend
/// on it, but what is done with it does (the cache keeps only results
/// checked now, with the time they were checked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Made by this run: checked now, or judged without a request
    /// (invalid, skipped, a file on disk, a host found unreachable).
    #[default]
    Run,
    /// A fresh ok result taken from the cache (`--cache`).
    Cache,
    /// A row kept from the report being resumed (`--resume`).
    Resumed,
}

impl Origin {
    /// Its name in the run's temporary files.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Run => "run",
            Origin::Cache => "cache",
            Origin::Resumed => "resumed",
        }
    }

    pub fn from_word(word: &str) -> Option<Origin> {
        [Origin::Run, Origin::Cache, Origin::Resumed]
            .into_iter()
            .find(|origin| origin.as_str() == word)
    }
}

/// One report row: plain data, the same for every report format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Position in input order.
    pub index: u64,
    /// The key the input knows the entry by (the normalised URL), so that
    /// the cache and `--resume` need not work it out again. Not a column.
    pub key: String,
    /// The input text as given.
    pub url: String,
    pub verdict: Verdict,
    /// The final response's status; `None` when there is none.
    pub status: Option<u16>,
    /// The URL of the final response, after redirects.
    pub final_url: Option<String>,
    /// Redirect hops followed.
    pub redirects: u32,
    /// Whose answer is reported; `None` when no request was made.
    pub method: Option<Method>,
    /// Time spent in requests for this URL (queueing excluded).
    pub elapsed_ms: Option<u64>,
    /// How many times the URL was tried (0 when it was not checked).
    pub attempts: u32,
    /// Why the URL is not ok, in a few words.
    pub error: Option<String>,
    /// The kind of failure, for rows that failed (and blocked ones).
    pub error_kind: Option<ErrorKind>,
    /// Where the URL came from.
    pub source: Source,
    /// Captured response headers, in the order of the capture list.
    pub headers: Vec<Option<String>>,
    /// Where the row comes from. Not a column.
    pub origin: Origin,
    /// With `--baseline` or `--fail-after`, for a row that fails: whether
    /// it fails the run. Not a column.
    pub novelty: Option<Novelty>,
}

impl Outcome {
    /// Hides the passwords of URLs in every text of the row (the key too:
    /// the cache writes it), so that no output holds one.
    pub fn hide_passwords(&mut self) {
        for text in [&mut self.key, &mut self.url]
            .into_iter()
            .chain(self.final_url.as_mut())
            .chain(self.error.as_mut())
        {
            hide_passwords_in(text);
        }
        self.source.rewrite(hide_passwords_in);
    }

    /// The status and error in a few words, for summaries: `404`,
    /// `301 redirect loop at …`, `bot wall (status 999)` (an error that
    /// names its status is not prefixed with it), `timeout after 20s`.
    pub fn detail(&self) -> String {
        match (self.status, &self.error) {
            // `bot wall (status 999)` says its status already.
            (Some(status), Some(error)) if error.contains(&status.to_string()) => error.clone(),
            (Some(status), Some(error)) => format!("{status} {error}"),
            (Some(status), None) => status.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => String::new(),
        }
    }

    /// This row, its failure of `kind`.
    pub fn failed_as(self, kind: ErrorKind) -> Outcome {
        Outcome {
            error_kind: Some(kind),
            ..self
        }
    }

    /// A row for an entry that was not checked (invalid or skipped), whose
    /// key is its text.
    pub fn unchecked(
        index: u64,
        url: String,
        source: Source,
        verdict: Verdict,
        reason: String,
        captured: usize,
    ) -> Outcome {
        Outcome {
            index,
            key: url.clone(),
            url,
            verdict,
            status: None,
            final_url: None,
            redirects: 0,
            method: None,
            elapsed_ms: None,
            attempts: 0,
            error: Some(reason),
            error_kind: None,
            source,
            headers: vec![None; captured],
            origin: Origin::Run,
            novelty: None,
        }
    }
}
