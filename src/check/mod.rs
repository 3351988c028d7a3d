//! Checking one URL: the HTTP client, the method policy (HEAD, then GET to
//! confirm a failure), redirects, retries, the failure taxonomy, and the
//! limits every request waits on.

mod answer;
mod checker;
mod client;
mod dns;
mod failure;
mod limits;
mod method;
mod options;
mod quota;
mod redirect;
mod retry;

pub use checker::{Checked, Checker, HostNews, MAX_ROBOTS_BYTES, PageBody};
pub use limits::{DEFAULT_CONCURRENCY, DEFAULT_PER_HOST, LimitOptions, Limits};
pub use options::{
    CheckOptions, DEFAULT_CAPTURE, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RETRY_WAIT, DEFAULT_RETRIES,
    DEFAULT_STALL_AFTER, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, MAX_CONNECT_TIMEOUT, MethodPolicy,
    connect_timeout_for,
};
