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

pub use checker::{Checked, Checker, HostNews};
pub use limits::{LimitOptions, Limits};
pub use options::{CheckOptions, MethodPolicy};
