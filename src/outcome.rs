//! The report row ([`Outcome`]) and the one place that decides the `result`
//! of a URL ([`Verdict`]).

use std::fmt;

use crate::accept::Accept;

/// The `result` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The final HTTP status is accepted.
    Ok,
    /// An HTTP status came back and is not accepted.
    Broken,
    /// No usable HTTP status (DNS, refused, TLS, timeout, redirect loop...).
    Error,
    /// The input is not a valid URL.
    Invalid,
    /// The server refused to answer a robot rather than saying the page is
    /// gone (bot walls, rate limits that outlast the retries).
    Blocked,
    /// Not http(s), or filtered out by a pattern.
    Skipped,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Ok,
        Verdict::Broken,
        Verdict::Error,
        Verdict::Invalid,
        Verdict::Blocked,
        Verdict::Skipped,
    ];

    /// This verdict's position in [`Verdict::ALL`], for per-result counts.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Broken => "broken",
            Verdict::Error => "error",
            Verdict::Invalid => "invalid",
            Verdict::Blocked => "blocked",
            Verdict::Skipped => "skipped",
        }
    }

    /// Judges a final HTTP response. Accepted statuses win, so a user who
    /// accepts 403 gets `ok` even for a challenge page; otherwise bot walls
    /// are `blocked` and every other status is `broken`. Returns the verdict
    /// and, for `blocked`, why.
    pub fn of_status(
        status: u16,
        cf_mitigated: Option<&str>,
        accept: &Accept,
    ) -> (Verdict, Option<&'static str>) {
        if accept.contains(status) {
            return (Verdict::Ok, None);
        }
        match status {
            // LinkedIn and others answer robots with a non-standard 999.
            999 => (Verdict::Blocked, Some("bot wall (status 999)")),
            403 if cf_mitigated.is_some_and(|v| v.eq_ignore_ascii_case("challenge")) => {
                (Verdict::Blocked, Some("bot challenge (cf-mitigated)"))
            }
            429 => (Verdict::Blocked, Some("rate limited (429)")),
            _ => (Verdict::Broken, None),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// One report row: plain data, the same for every report format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Position in input order.
    pub index: u64,
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
    /// Where the URL came from.
    pub source: String,
    /// Captured response headers, in the order of the capture list.
    pub headers: Vec<Option<String>>,
}

impl Outcome {
    /// The status and error in a few words, for summaries: `404`,
    /// `429 rate limited (429)`, `timeout after 20s`.
    pub fn detail(&self) -> String {
        match (self.status, &self.error) {
            (Some(status), Some(error)) => format!("{status} {error}"),
            (Some(status), None) => status.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => String::new(),
        }
    }

    /// A row for an entry that was not checked (invalid or skipped).
    pub fn unchecked(
        index: u64,
        url: String,
        source: String,
        verdict: Verdict,
        reason: String,
        captured: usize,
    ) -> Outcome {
        Outcome {
            index,
            url,
            verdict,
            status: None,
            final_url: None,
            redirects: 0,
            method: None,
            elapsed_ms: None,
            attempts: 0,
            error: Some(reason),
            source,
            headers: vec![None; captured],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_the_order_of_all() {
        for (i, verdict) in Verdict::ALL.iter().enumerate() {
            assert_eq!(verdict.index(), i);
        }
    }

    #[test]
    fn statuses_are_judged() {
        let accept = Accept::default();
        let judge = |status, cf| Verdict::of_status(status, cf, &accept).0;
        assert_eq!(judge(200, None), Verdict::Ok);
        assert_eq!(judge(204, None), Verdict::Ok);
        assert_eq!(judge(301, None), Verdict::Broken);
        assert_eq!(judge(404, None), Verdict::Broken);
        assert_eq!(judge(403, None), Verdict::Broken);
        assert_eq!(judge(403, Some("challenge")), Verdict::Blocked);
        assert_eq!(judge(999, None), Verdict::Blocked);
        assert_eq!(judge(429, None), Verdict::Blocked);
        let lenient: Accept = "200..=299,403".parse().unwrap();
        assert_eq!(
            Verdict::of_status(403, Some("challenge"), &lenient).0,
            Verdict::Ok
        );
    }
}
