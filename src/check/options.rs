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
