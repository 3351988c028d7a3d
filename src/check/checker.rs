//! Checking one URL: the attempts (with retries and the host's backoff)
//! that give its report row; fetching a page for the crawl, whose one GET
//! is its row and its body; and fetching a document (a sitemap) with the
//! same client.

use std::mem::take;
use std::time::Duration;

use url::Url;

use super::answer::{Answer, Reply};
use super::client::Client;
use super::failure::{Failure, seconds};
use super::limits::Limits;
use super::method::attempt;
use super::options::CheckOptions;
use super::redirect::chase;
use super::retry::retry_wait;
use crate::types::{
    Error, ErrorKind, Method, Origin, Outcome, Page, Source, Target, TargetKind, Verdict, host_key,
    url_key,
};

/// Longest time a document fetch (a sitemap) may take, body included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(300);

/// The most of a robots.txt that is read, for its sitemaps or its rules
/// (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// Checks URLs; cheap to share between tasks.
#[derive(Debug, Clone)]
pub struct Checker {
    client: Client,
}

impl Checker {
    pub fn new(options: CheckOptions, limits: Limits) -> Result<Checker, Error> {
        Ok(Checker {
            client: Client::new(options, limits)?,
        })
    }

    pub fn options(&self) -> &CheckOptions {
        self.client.options()
    }

    /// The run's limits, shared by every check.
    pub fn limits(&self) -> &Limits {
        self.client.limits()
    }

    /// Checks one target and returns its report row, with what the check
    /// learned of the URL's host. Never fails: every problem becomes part of
    /// the row.
    pub async fn check(&self, mut target: Target) -> Checked {
        self.check_in_place(&mut target).await
    }

    /// Like [`check`](Self::check), for a target its caller keeps: the
    /// check takes its kind at once, and its text and place only for the
    /// row, once its requests are over. So a caller that catches a panic of
    /// the check still has them for the row that says so, without copying
    /// them for every check beforehand.
    pub async fn check_in_place(&self, target: &mut Target) -> Checked {
        let captured = self.options().capture.len();
        let kind = std::mem::replace(&mut target.kind, TargetKind::Skipped(String::new()));
        let (verdict, reason, kind) = match kind {
            // A page is fetched by [`fetch_page`](Self::fetch_page); checked
            // here, it is a URL like any other.
            TargetKind::Check(url) | TargetKind::Page(Page { url, .. }) => {
                return self.check_url(target, url).await;
            }
            TargetKind::Unreachable { url, error, kind } => {
                let outcome = Outcome::unchecked(
                    target.index,
                    take(&mut target.text),
                    take(&mut target.source),
                    Verdict::Error,
                    format!("{error} (host unreachable)"),
                    captured,
                );
                return Checked::row(Outcome {
                    key: url_key(&url).to_string(),
                    ..outcome.failed_as(kind)
                });
            }
            TargetKind::Invalid(reason) => (Verdict::Invalid, reason, Some(ErrorKind::Invalid)),
            TargetKind::Skipped(reason) => (Verdict::Skipped, reason, None),
            TargetKind::Unreadable(reason) => (Verdict::Error, reason, Some(ErrorKind::Unreadable)),
            TargetKind::File { problem: None } => {
                let mut outcome = Outcome::unchecked(
                    target.index,
                    take(&mut target.text),
                    take(&mut target.source),
                    Verdict::Ok,
                    String::new(),
                    captured,
                );
                outcome.error = None;
                return Checked::row(outcome);
            }
            TargetKind::File {
                problem: Some((kind, problem)),
            } => (Verdict::Broken, problem, Some(kind)),
            TargetKind::MissingFragment(problem) => {
                (Verdict::Broken, problem, Some(ErrorKind::Fragment))
            }
            TargetKind::Known(earlier) => {
                return Checked::row(Outcome {
                    index: target.index,
                    ..*earlier
                });
            }
        };
        let outcome = Outcome::unchecked(
            target.index,
            take(&mut target.text),
            take(&mut target.source),
            verdict,
            reason,
            captured,
        );
        Checked::row(match kind {
            Some(kind) => outcome.failed_as(kind),
            None => outcome,
        })
    }

    async fn check_url(&self, target: &mut Target, url: Url) -> Checked {
        let client = &self.client;
        let tries = self
            .attempts(async |elapsed| (attempt(client, &url, elapsed).await, ()))
            .await;
        let row = Row {
            index: target.index,
            key: url_key(&url).to_string(),
            text: take(&mut target.text),
            source: take(&mut target.source),
        };
        self.checked(&url, row, tries)
    }

    /// Fetches a page for the crawl: one GET (after redirects, and retried
    /// as a check is), which is also the page's report row; when it is
    /// accepted and HTML (by its `Content-Type`), its body is handed to
    /// `read` chunk by chunk as it arrives, until it ends or `read` says it
    /// wants no more, unless `stays` (given its final URL) says it has left
    /// the places to read. The body is never held whole.
    pub async fn fetch_page(
        &self,
        target: Target,
        stays: impl Fn(&Url) -> bool,
        mut read: impl FnMut(&[u8]) -> bool,
    ) -> (Checked, PageBody) {
        let TargetKind::Check(url) = &target.kind else {
            return (self.check(target).await, PageBody::NoPage);
        };
        let client = &self.client;
        let mut tries = self
            .attempts(async |elapsed| {
                let chain = chase(client, Method::Get, url, elapsed, None).await;
                let (reply, response) = match chain.response {
                    Ok(response) => (Reply::of(client, &response), Some(response)),
                    Err(failure) => (Reply::Failure(failure), None),
                };
                let answer = Answer {
                    method: Method::Get,
                    final_url: chain.final_url,
                    redirects: chain.redirects,
                    reply,
                };
                (answer, response)
            })
            .await;
        let accepted = |response: &reqwest::Response| {
            self.options().accept.contains(response.status().as_u16())
        };
        let body = match tries.extra.take().filter(accepted) {
            Some(response) if stays(&tries.answer.final_url) => {
                let started = std::time::Instant::now();
                let body = read_page(response, &mut read, self.options()).await;
                tries.elapsed += started.elapsed();
                body
            }
            Some(_) => PageBody::Elsewhere,
            None => PageBody::NoPage,
        };
        let row = Row {
            index: target.index,
            key: url_key(url).to_string(),
            text: target.text,
            source: target.source,
        };
        (self.checked(url, row, tries), body)
    }

    /// The row of `url` from its attempts, and what they said of its host.
    fn checked<T>(&self, url: &Url, row: Row, tries: Tries<T>) -> Checked {
        Checked {
            host: self.host_news(url, &tries.answer),
            outcome: self.outcome(row, tries.answer, tries.elapsed, tries.attempts),
            requested: true,
        }
    }

    /// Tries a URL with `once` (one attempt: an answer, and what else it
    /// gives) until it needs no retry; between attempts, waits as the
    /// answer and the host's backoff say.
    async fn attempts<T>(
        &self,
        mut once: impl AsyncFnMut(&mut Duration) -> (Answer, T),
    ) -> Tries<T> {
        let mut elapsed = Duration::ZERO;
        let mut attempts = 0;
        let (answer, extra) = loop {
            attempts += 1;
            // Boxed, like the sleep below: thousands of checks wait for their
            // turn at once, and a task's size is that of its largest state.
            let (answer, extra) = Box::pin(once(&mut elapsed)).await;
            let answered = || {
                self.client
                    .limits()
                    .has_answered(host_key(&answer.final_url))
            };
            let Some(wait) = retry_wait(self.options(), &answer, attempts, answered) else {
                break (answer, extra);
            };
            drop(extra);
            if let Reply::Response {
                status: 429 | 503, ..
            } = answer.reply
            {
                // The host said it is overloaded: every URL of that host
                // waits, not just this one.
                self.client
                    .limits()
                    .back_off(host_key(&answer.final_url), wait);
            }
            // No slot is held while waiting: other URLs go on.
            Box::pin(tokio::time::sleep(wait)).await;
        };
        Tries {
            answer,
            extra,
            elapsed,
            attempts,
        }
    }

    /// What the final answer says of the URL's own host: it answered (a
    /// response, or a redirect, now; or anything before), or it never
    /// answered and this URL could not reach it, or reached it and got no
    /// answer in time.
    fn host_news(&self, url: &Url, answer: &Answer) -> HostNews {
        let Reply::Failure(failure) = &answer.reply else {
            return HostNews::Answered;
        };
        if answer.redirects > 0 || self.client.limits().has_answered(host_key(url)) {
            return HostNews::Answered;
        }
        if failure.is_unreachable() {
            HostNews::Unreachable(failure.kind, failure.text.clone())
        } else if failure.kind == ErrorKind::Timeout {
            HostNews::Silent(failure.text.clone())
        } else {
            HostNews::Unknown
        }
    }

    fn outcome(&self, row: Row, answer: Answer, elapsed: Duration, attempts: u32) -> Outcome {
        let elapsed_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        let common = Outcome {
            index: row.index,
            key: row.key,
            url: row.text,
            verdict: Verdict::Error,
            status: None,
            final_url: Some(answer.final_url.to_string()),
            redirects: answer.redirects,
            method: Some(answer.method),
            elapsed_ms,
            attempts,
            error: None,
            error_kind: None,
            source: row.source,
            headers: vec![None; self.options().capture.len()],
            origin: Origin::Run,
            novelty: None,
        };
        match answer.reply {
            Reply::Response {
                status,
                headers,
                cf_mitigated,
                ..
            } => {
                let (verdict, why) =
                    Verdict::of_status(status, cf_mitigated.as_deref(), &self.options().accept);
                let error_kind = match verdict {
                    Verdict::Broken => Some(ErrorKind::Status),
                    Verdict::Blocked if status == 429 => Some(ErrorKind::RateLimited),
                    Verdict::Blocked => Some(ErrorKind::BotWall),
                    _ => None,
                };
                Outcome {
                    verdict,
                    status: Some(status),
                    error: why.map(str::to_string),
                    error_kind,
                    headers,
                    ..common
                }
            }
            Reply::Failure(failure) => Outcome {
                verdict: Verdict::Error,
                error: Some(failure.text),
                error_kind: Some(failure.kind),
                ..common
            },
        }
    }

    /// Fetches a document (a sitemap, robots.txt) with GET, following
    /// redirects, and returns the response with its body still to be read.
    /// The whole transfer may take up to [`FETCH_TIMEOUT`] (or `--timeout`,
    /// if longer): a 50 MB sitemap takes longer than a HEAD request.
    pub async fn fetch(&self, url: &Url) -> Result<reqwest::Response, String> {
        let response = self.fetch_any(url).await?;
        let status = response.status();
        if status.is_success() {
            Ok(response)
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }

    /// Like [`fetch`](Self::fetch), with the response whatever its status.
    pub async fn fetch_any(&self, url: &Url) -> Result<reqwest::Response, String> {
        let mut elapsed = Duration::ZERO;
        let timeout = FETCH_TIMEOUT.max(self.options().timeout);
        let chain = chase(&self.client, Method::Get, url, &mut elapsed, Some(timeout)).await;
        let response = chain.response.map_err(|failure| match failure.kind {
            // The whole transfer's limit, not --timeout, applied here.
            ErrorKind::Timeout => {
                format!("timeout after {}", seconds(timeout))
            }
            _ => failure.text,
        })?;
        Ok(response)
    }
}

/// A check's report row, and what it learned of its URL's host.
#[derive(Debug)]
pub struct Checked {
    pub outcome: Outcome,
    pub host: HostNews,
    /// Whether the row took requests in this run (not an invalid, skipped,
    /// resumed or cached row): for the progress bar's rate.
    pub requested: bool,
}

impl Checked {
    /// A row that needed no request, and so says nothing of a host.
    pub fn row(outcome: Outcome) -> Checked {
        Checked {
            outcome,
            host: HostNews::Unknown,
            requested: false,
        }
    }
}

/// What a check learned of its URL's host, for the run's warm-up and its
/// unreachable hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostNews {
    /// The host has sent a response, in this check or before.
    Answered,
    /// The host has never answered, and this URL failed to reach it after
    /// its retries (DNS, refused, connect timeout, TLS): the kind, and why
    /// in the row's words.
    Unreachable(ErrorKind, String),
    /// The host has never answered, and this URL connected but had no
    /// answer before its timeout: why, in the row's words. Alone it does
    /// not condemn the host (one URL may be slow); the run sends one more
    /// URL as a probe, and a silent probe does.
    Silent(String),
    /// Nothing to go by: no request was made, or the host broke the
    /// connection or answered garbage (it is there, but not answering well).
    Unknown,
}

/// What became of a fetched page's body ([`Checker::fetch_page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageBody {
    /// HTML, read to its end or as far as the reader wanted.
    Read,
    /// HTML, but the transfer broke off (a reset, the timeout): why. What
    /// came before was read.
    CutOff(String),
    /// Not read: the answer is not HTML (its `Content-Type`, if it has one).
    NotHtml(Option<String>),
    /// Not read: the page redirected where its reader did not want it.
    Elsewhere,
    /// No page: the fetch failed, its status is not accepted, or the target
    /// is not a URL to fetch.
    NoPage,
}

/// Hands `response`'s body to `read` when it is HTML.
async fn read_page(
    mut response: reqwest::Response,
    read: &mut impl FnMut(&[u8]) -> bool,
    options: &CheckOptions,
) -> PageBody {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    if !content_type.as_deref().is_some_and(is_html) {
        return PageBody::NotHtml(content_type);
    }
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if !read(&chunk) {
                    // Dropping the response closes its connection.
                    return PageBody::Read;
                }
            }
            Ok(None) => return PageBody::Read,
            Err(err) => return PageBody::CutOff(Failure::from_reqwest(&err, options).text),
        }
    }
}

/// Whether a `Content-Type` is an HTML page's (`text/html`, XHTML), as
/// browsers take it: the media type alone, in any case.
fn is_html(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case("text/html") || media.eq_ignore_ascii_case("application/xhtml+xml")
}

/// The attempts at one URL: the last answer and what came with it.
struct Tries<T> {
    answer: Answer,
    extra: T,
    elapsed: Duration,
    attempts: u32,
}

/// What a row keeps of its target.
struct Row {
    index: u64,
    key: String,
    text: String,
    source: Source,
}
