//! Checking one URL: the HTTP client, the method policy (HEAD, then GET to
//! confirm a failure), redirects, captured headers and error texts.
//!
//! Redirects are followed here rather than by reqwest, so that the hop count,
//! the final URL, loop detection and the rule that `-H` headers never follow
//! a redirect to another host are all under our control.

use std::collections::HashSet;
use std::error::Error as StdError;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, LOCATION};
use reqwest::{Client, StatusCode, redirect};
use url::Url;

use crate::accept::Accept;
use crate::dns::{DnsError, SystemResolver};
use crate::input::{Target, TargetKind};
use crate::limits::Limits;
use crate::outcome::{Method, Outcome, Verdict};

/// `--method`: which requests are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum MethodPolicy {
    /// HEAD first; GET to confirm any answer that is not accepted.
    #[default]
    Auto,
    /// HEAD only.
    Head,
    /// GET only (the body is never read).
    Get,
}

/// Everything that shapes how one URL is checked.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub method: MethodPolicy,
    pub max_redirects: u32,
    /// Whole-request limit: connecting, sending, and receiving the headers.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Headers from `-H`, sent only to the input URL's own host.
    pub headers: HeaderMap,
    pub user_agent: String,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// `--resolve`: fixed addresses for host names (ASCII/punycode form).
    pub resolve: Vec<(String, SocketAddr)>,
    pub accept: Accept,
    /// Response headers to record, in column order.
    pub capture: Vec<HeaderName>,
    /// Extra attempts after a connect error, a timeout, 429, 502, 503, 504.
    pub retries: u32,
    /// Longest wait between attempts, whatever Retry-After asks for.
    pub max_retry_wait: Duration,
}

/// Longest time a document fetch (a sitemap) may take, body included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(300);

/// First wait before a retry without Retry-After; doubled at each attempt.
const BACKOFF_BASE: Duration = Duration::from_millis(500);

/// Checks URLs; cheap to share between tasks.
#[derive(Debug, Clone)]
pub struct Checker {
    client: Client,
    options: std::sync::Arc<CheckOptions>,
    limits: Limits,
}

impl Checker {
    pub fn new(options: CheckOptions, limits: Limits) -> Result<Checker, reqwest::Error> {
        let mut builder = Client::builder()
            .redirect(redirect::Policy::none())
            .dns_resolver(std::sync::Arc::new(SystemResolver))
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .danger_accept_invalid_certs(options.insecure);
        for (host, addr) in &options.resolve {
            builder = builder.resolve(host, *addr);
        }
        Ok(Checker {
            client: builder.build()?,
            options: std::sync::Arc::new(options),
            limits,
        })
    }

    pub fn options(&self) -> &CheckOptions {
        &self.options
    }

    /// Checks one target and returns its report row. Never fails: every
    /// problem becomes part of the row.
    pub async fn check(&self, target: Target) -> Outcome {
        let captured = self.options.capture.len();
        let (verdict, reason) = match target.kind {
            TargetKind::Check(url) => {
                return self
                    .check_url(target.index, target.text, target.source, url)
                    .await;
            }
            TargetKind::Invalid(reason) => (Verdict::Invalid, reason),
            TargetKind::Skipped(reason) => (Verdict::Skipped, reason),
            TargetKind::Unreadable(reason) => (Verdict::Error, reason),
            TargetKind::File { problem: None } => {
                let mut outcome = Outcome::unchecked(
                    target.index,
                    target.text,
                    target.source,
                    Verdict::Ok,
                    String::new(),
                    captured,
                );
                outcome.error = None;
                return outcome;
            }
            TargetKind::File {
                problem: Some(problem),
            } => (Verdict::Broken, problem),
            TargetKind::Known(earlier) => {
                return Outcome {
                    index: target.index,
                    ..*earlier
                };
            }
        };
        Outcome::unchecked(
            target.index,
            target.text,
            target.source,
            verdict,
            reason,
            captured,
        )
    }

    async fn check_url(&self, index: u64, text: String, source: String, url: Url) -> Outcome {
        let mut elapsed = Duration::ZERO;
        let mut attempts = 0;
        let answer = loop {
            attempts += 1;
            // Boxed, like the sleep below: thousands of checks wait for their
            // turn at once, and a task's size is that of its largest state.
            let answer = Box::pin(self.attempt(&url, &mut elapsed)).await;
            let Some(wait) = self.retry_wait(&answer, attempts) else {
                break answer;
            };
            if let Reply::Response {
                status: 429 | 503, ..
            } = answer.reply
            {
                // The host said it is overloaded: every URL of that host
                // waits, not just this one.
                self.limits
                    .back_off(answer.final_url.host_str().unwrap_or_default(), wait);
            }
            // No slot is held while waiting: other URLs go on.
            Box::pin(tokio::time::sleep(wait)).await;
        };
        self.outcome(index, text, source, answer, elapsed, attempts)
    }

    /// One attempt: the method policy's requests, with their redirects.
    async fn attempt(&self, url: &Url, elapsed: &mut Duration) -> Answer {
        match self.options.method {
            MethodPolicy::Head => self.follow(Method::Head, url, elapsed).await,
            MethodPolicy::Get => self.follow(Method::Get, url, elapsed).await,
            MethodPolicy::Auto => {
                let head = self.follow(Method::Head, url, elapsed).await;
                if self.needs_get_confirmation(&head) {
                    self.follow(Method::Get, url, elapsed).await
                } else {
                    head
                }
            }
        }
    }

    /// How long to wait before trying again, or `None` to stop here.
    /// Retried: connect errors, timeouts, 429, 502, 503, 504. The wait is
    /// the server's Retry-After when it gives one, else an exponential
    /// backoff with jitter (so many URLs do not come back at once), capped
    /// by `max_retry_wait` either way.
    fn retry_wait(&self, answer: &Answer, attempts: u32) -> Option<Duration> {
        if attempts > self.options.retries {
            return None;
        }
        let asked = match &answer.reply {
            Reply::Response {
                status: 429 | 502 | 503 | 504,
                retry_after,
                ..
            } => *retry_after,
            Reply::Failure(failure) if failure.retryable => None,
            _ => return None,
        };
        let wait = asked.unwrap_or_else(|| {
            let exponential = BACKOFF_BASE.saturating_mul(1 << (attempts - 1).min(16));
            exponential.mul_f64(0.5 + fastrand::f64() / 2.0)
        });
        Some(wait.min(self.options.max_retry_wait))
    }

    /// Many real servers answer HEAD wrongly (404, 403, 405, 500, a reset)
    /// while GET works, so a HEAD answer that is not accepted is asked again
    /// with GET. Not for 429 (the server is fine, just busy), nor for
    /// failures that GET cannot change: timeouts, DNS, refused connections,
    /// TLS and redirect errors.
    fn needs_get_confirmation(&self, answer: &Answer) -> bool {
        match &answer.reply {
            Reply::Response { status, .. } => {
                *status != 429 && !self.options.accept.contains(*status)
            }
            Reply::Failure(failure) => failure.kind == FailureKind::Protocol,
        }
    }

    fn outcome(
        &self,
        index: u64,
        url: String,
        source: String,
        answer: Answer,
        elapsed: Duration,
        attempts: u32,
    ) -> Outcome {
        let elapsed_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        let common = Outcome {
            index,
            url,
            verdict: Verdict::Error,
            status: None,
            final_url: Some(answer.final_url.to_string()),
            redirects: answer.redirects,
            method: Some(answer.method),
            elapsed_ms,
            attempts,
            error: None,
            source,
            headers: vec![None; self.options.capture.len()],
        };
        match answer.reply {
            Reply::Response {
                status,
                headers,
                cf_mitigated,
                ..
            } => {
                let (verdict, why) =
                    Verdict::of_status(status, cf_mitigated.as_deref(), &self.options.accept);
                Outcome {
                    verdict,
                    status: Some(status),
                    error: why.map(str::to_string),
                    headers,
                    ..common
                }
            }
            Reply::Failure(failure) => Outcome {
                verdict: Verdict::Error,
                error: Some(failure.text),
                ..common
            },
        }
    }

    /// Sends `method` to `start` and follows redirects.
    async fn follow(&self, method: Method, start: &Url, elapsed: &mut Duration) -> Answer {
        let chain = self.chase(method, start, elapsed, None).await;
        let reply = match chain.response {
            Err(failure) => Reply::Failure(failure),
            // The body, if any, is dropped unread with the response.
            Ok(response) => Reply::Response {
                status: response.status().as_u16(),
                cf_mitigated: header_text(response.headers(), "cf-mitigated"),
                retry_after: retry_after(response.headers()),
                headers: self.capture(response.headers()),
            },
        };
        Answer {
            method,
            final_url: chain.final_url,
            redirects: chain.redirects,
            reply,
        }
    }

    /// Fetches a document (a sitemap, robots.txt) with GET, following
    /// redirects, and returns the response with its body still to be read.
    /// The whole transfer may take up to [`FETCH_TIMEOUT`] (or `--timeout`,
    /// if longer): a 50 MB sitemap takes longer than a HEAD request.
    pub async fn fetch(&self, url: &Url) -> Result<reqwest::Response, String> {
        let mut elapsed = Duration::ZERO;
        let timeout = FETCH_TIMEOUT.max(self.options.timeout);
        let chain = self
            .chase(Method::Get, url, &mut elapsed, Some(timeout))
            .await;
        let response = chain.response.map_err(|failure| match failure.kind {
            // The whole transfer's limit, not --timeout, applied here.
            FailureKind::Timeout if !failure.text.starts_with("connect") => {
                format!("timeout after {}", seconds(timeout))
            }
            _ => failure.text,
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(response)
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }

    /// Sends `method` to `start` and follows redirects to the end of the
    /// chain.
    async fn chase(
        &self,
        method: Method,
        start: &Url,
        elapsed: &mut Duration,
        timeout: Option<Duration>,
    ) -> Chain {
        let mut current = start.clone();
        // Made at the first redirect: most URLs never need it.
        let mut visited: Option<HashSet<Url>> = None;
        let mut redirects = 0u32;
        let end = |url: &Url, redirects, response| Chain {
            final_url: url.clone(),
            redirects,
            response,
        };
        loop {
            let response = match self.send(method, start, &current, elapsed, timeout).await {
                Ok(response) => response,
                Err(failure) => return end(&current, redirects, Err(failure)),
            };
            let location = response.headers().get(LOCATION).cloned();
            let (true, Some(location)) = (is_followed_redirect(response.status()), location) else {
                return end(&current, redirects, Ok(response));
            };
            drop(response);
            let next = match location
                .to_str()
                .ok()
                .and_then(|location| current.join(location.trim()).ok())
            {
                Some(next) => next,
                None => {
                    let failure = Failure::redirect(format!(
                        "redirect with an invalid Location: {}",
                        String::from_utf8_lossy(location.as_bytes())
                    ));
                    return end(&current, redirects, Err(failure));
                }
            };
            let failure = if !matches!(next.scheme(), "http" | "https") {
                Some(format!("redirect to unsupported scheme {}:", next.scheme()))
            } else if !visited
                .get_or_insert_with(|| HashSet::from([start.clone()]))
                .insert(next.clone())
            {
                Some(format!("redirect loop at {next}"))
            } else if redirects == self.options.max_redirects {
                Some(format!(
                    "too many redirects (more than {})",
                    self.options.max_redirects
                ))
            } else {
                None
            };
            if let Some(text) = failure {
                return end(&next, redirects + 1, Err(Failure::redirect(text)));
            }
            redirects += 1;
            current = next;
        }
    }

    /// Sends one request once its turn has come; the permit is given back as
    /// soon as the response headers are in.
    async fn send(
        &self,
        method: Method,
        origin: &Url,
        url: &Url,
        elapsed: &mut Duration,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, Failure> {
        let host = url.host_str().unwrap_or_default();
        let _permit = self.limits.acquire(host).await;
        let method = match method {
            Method::Head => reqwest::Method::HEAD,
            Method::Get => reqwest::Method::GET,
        };
        let mut request = self.client.request(method, url.clone());
        if same_authority(origin, url) {
            request = request.headers(self.options.headers.clone());
        }
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let started = Instant::now();
        // Boxed: the request future is large, and thousands of checks wait
        // for their turn at once; only the few in flight should pay for it.
        let result = Box::pin(request.send()).await;
        *elapsed += started.elapsed();
        result.map_err(|err| Failure::from_reqwest(&err, &self.options))
    }

    fn capture(&self, headers: &HeaderMap) -> Vec<Option<String>> {
        self.options
            .capture
            .iter()
            .map(|name| {
                // Several values of one header are joined as RFC 9110 allows,
                // except Set-Cookie, whose dates contain commas.
                let separator = if name == reqwest::header::SET_COOKIE {
                    "\n"
                } else {
                    ", "
                };
                let mut joined: Option<String> = None;
                for value in headers.get_all(name) {
                    let text = String::from_utf8_lossy(value.as_bytes());
                    match &mut joined {
                        Some(all) => {
                            all.push_str(separator);
                            all.push_str(&text);
                        }
                        None => joined = Some(text.into_owned()),
                    }
                }
                joined
            })
            .collect()
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110, 10.2.3). A date
/// in the past means now.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Whether a redirect stays with the host the user's `-H` headers were meant
/// for: same host and port, or the usual upgrade from http to https on the
/// same host.
fn same_authority(origin: &Url, url: &Url) -> bool {
    if origin.host_str() != url.host_str() {
        return false;
    }
    let ports = (origin.port_or_known_default(), url.port_or_known_default());
    ports.0 == ports.1
        || (origin.scheme() == "http" && url.scheme() == "https" && ports == (Some(80), Some(443)))
}

/// Where a redirect chain ended.
struct Chain {
    final_url: Url,
    redirects: u32,
    response: Result<reqwest::Response, Failure>,
}

/// The last answer of one method's redirect chain.
#[derive(Debug)]
struct Answer {
    method: Method,
    final_url: Url,
    redirects: u32,
    reply: Reply,
}

#[derive(Debug)]
enum Reply {
    Response {
        status: u16,
        cf_mitigated: Option<String>,
        retry_after: Option<Duration>,
        headers: Vec<Option<String>>,
    },
    Failure(Failure),
}

/// Why no usable response came back, in a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub text: String,
    /// A connect error or a timeout: worth another attempt.
    pub retryable: bool,
}

/// Kinds of failure that the method policy and retries branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Timeout,
    Dns,
    Refused,
    Tls,
    /// The connection broke or the answer was not HTTP: reset, closed early,
    /// garbage. Servers that mishandle HEAD often do this.
    Protocol,
    Redirect,
    Other,
}

impl Failure {
    fn redirect(text: String) -> Failure {
        Failure {
            kind: FailureKind::Redirect,
            text,
            retryable: false,
        }
    }

    fn from_reqwest(err: &reqwest::Error, options: &CheckOptions) -> Failure {
        let (kind, text) = describe(err, options);
        // DNS and TLS failures happen while connecting too, but another
        // attempt will not change them.
        let retryable = kind == FailureKind::Timeout
            || (err.is_connect() && !matches!(kind, FailureKind::Dns | FailureKind::Tls));
        Failure {
            kind,
            text,
            retryable,
        }
    }
}

/// Turns reqwest's nested error into a short, specific text by looking at
/// the whole chain of causes, deepest first being the most specific.
fn describe(err: &reqwest::Error, options: &CheckOptions) -> (FailureKind, String) {
    let chain: Vec<&(dyn StdError + 'static)> = {
        let mut chain = Vec::new();
        let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = cause {
            chain.push(e);
            // An io::Error's source() skips its own payload (where rustls
            // and hyper put their errors), so step into the payload instead.
            cause = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
                Some(payload) => Some(payload as &(dyn StdError + 'static)),
                None => e.source(),
            };
        }
        chain
    };
    let deepest = chain.last().map(|e| e.to_string()).unwrap_or_default();

    if err.is_timeout()
        || chain
            .iter()
            .any(|e| is_io_kind(*e, io::ErrorKind::TimedOut))
    {
        return if err.is_connect() {
            (
                FailureKind::Timeout,
                format!("connect timeout after {}", seconds(options.connect_timeout)),
            )
        } else {
            (
                FailureKind::Timeout,
                format!("timeout after {}", seconds(options.timeout)),
            )
        };
    }
    if let Some(tls) = chain.iter().find_map(|e| e.downcast_ref::<rustls::Error>()) {
        return (FailureKind::Tls, format!("tls: {tls}"));
    }
    if let Some(dns) = chain.iter().find_map(|e| e.downcast_ref::<DnsError>()) {
        return (FailureKind::Dns, format!("dns: {dns}"));
    }
    for e in &chain {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            let found = match io.kind() {
                io::ErrorKind::ConnectionRefused => {
                    Some((FailureKind::Refused, "connection refused"))
                }
                io::ErrorKind::ConnectionReset => Some((FailureKind::Protocol, "connection reset")),
                io::ErrorKind::ConnectionAborted => {
                    Some((FailureKind::Protocol, "connection aborted"))
                }
                io::ErrorKind::BrokenPipe => Some((FailureKind::Protocol, "connection reset")),
                io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                    Some((FailureKind::Refused, "network unreachable"))
                }
                _ => None,
            };
            if let Some((kind, text)) = found {
                return (kind, text.to_string());
            }
        }
    }
    if let Some(hyper) = chain.iter().find_map(|e| e.downcast_ref::<hyper::Error>()) {
        if hyper.is_incomplete_message() {
            return (
                FailureKind::Protocol,
                "connection closed before a response".to_string(),
            );
        }
        if hyper.is_parse() || hyper.is_parse_status() {
            return (
                FailureKind::Protocol,
                format!("malformed response: {deepest}"),
            );
        }
        return (FailureKind::Protocol, format!("http: {deepest}"));
    }
    (FailureKind::Other, deepest)
}

fn is_io_kind(e: &(dyn StdError + 'static), kind: io::ErrorKind) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|io| io.kind() == kind)
}

/// `20s`, `2.5s`: how durations read in error texts.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_only_to_the_same_host() {
        let url = |s| Url::parse(s).unwrap();
        assert!(same_authority(
            &url("http://a.test/x"),
            &url("http://a.test/y")
        ));
        assert!(same_authority(
            &url("http://a.test/"),
            &url("https://a.test/")
        ));
        assert!(!same_authority(
            &url("http://a.test/"),
            &url("http://b.test/")
        ));
        assert!(!same_authority(
            &url("http://a.test:8080/"),
            &url("http://a.test:9090/")
        ));
        assert!(!same_authority(
            &url("https://a.test/"),
            &url("http://a.test/")
        ));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(seconds(Duration::from_secs(20)), "20s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5s");
    }
}
