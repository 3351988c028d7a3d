//! Everything that shapes how one URL is checked, as the command line gave
//! it.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName};

use crate::types::Accept;

/// `--method`: which requests are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MethodPolicy {
    /// HEAD first; GET to confirm any answer that is not accepted.
    #[default]
    Auto,
    /// HEAD only.
    Head,
    /// GET only (the body is never read).
    Get,
}

/// Redirect hops followed before giving up (`--max-redirects`).
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// A request's whole limit until its headers arrive (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest connect timeout, whatever `--timeout` is. Shorter than the
/// request's timeout, so that a host that never accepts a connection is
/// told from one that accepts and never answers.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Extra attempts (`--retries`).
pub const DEFAULT_RETRIES: u32 = 2;
/// The longest wait before a retry, pause or pace gap (`--max-retry-wait`).
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// `--stall-after`.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(5);
/// The response headers recorded by default (`--capture`).
pub const DEFAULT_CAPTURE: [&str; 3] = ["content-type", "content-length", "last-modified"];
/// The User-Agent sent by default.
pub const DEFAULT_USER_AGENT: &str = concat!("headcheck/", env!("CARGO_PKG_VERSION"));

/// The connect timeout for a request timeout: half of it, at most
/// [`MAX_CONNECT_TIMEOUT`].
pub fn connect_timeout_for(timeout: Duration) -> Duration {
    (timeout / 2).min(MAX_CONNECT_TIMEOUT)
}

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
    /// A request with no response headers after this long stops counting
    /// against the global limit (`--stall-after`).
    pub stall_after: Duration,
}

/// The command line's defaults: `headcheck URL` with no other flag.
impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            method: MethodPolicy::default(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: connect_timeout_for(DEFAULT_TIMEOUT),
            headers: HeaderMap::new(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            insecure: false,
            resolve: Vec::new(),
            accept: Accept::default(),
            capture: DEFAULT_CAPTURE
                .iter()
                .map(|name| HeaderName::from_static(name))
                .collect(),
            retries: DEFAULT_RETRIES,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            stall_after: DEFAULT_STALL_AFTER,
        }
    }
}
