//! The method policy (`--method`): HEAD, and GET to confirm an answer that
//! is not accepted, since many real servers answer HEAD wrongly while GET
//! works. A host that has done so for
//! [`WRONG_HEADS`](super::limits::WRONG_HEADS) URLs is asked with GET
//! alone from then on: its HEAD answers cost a request and say nothing.

use std::time::Duration;

use url::Url;

use super::answer::{Answer, Reply, follow};
use super::client::Client;
use super::options::{CheckOptions, MethodPolicy};
use crate::types::{Method, host_key};

/// One attempt: the method policy's requests, with their redirects.
pub async fn attempt(client: &Client, url: &Url, elapsed: &mut Duration) -> Answer {
    match client.options().method {
        MethodPolicy::Head => follow(client, Method::Head, url, elapsed).await,
        MethodPolicy::Get => follow(client, Method::Get, url, elapsed).await,
        MethodPolicy::Auto => {
            let host = host_key(url);
            if client.limits().skips_head(host) {
                return follow(client, Method::Get, url, elapsed).await;
            }
            let head = follow(client, Method::Head, url, elapsed).await;
            if !needs_get_confirmation(client.options(), &head) {
                return head;
            }
            let get = follow(client, Method::Get, url, elapsed).await;
            if is_accepted(client.options(), &get) {
                client.limits().head_was_wrong(host);
            }
            get
        }
    }
}

fn is_accepted(options: &CheckOptions, answer: &Answer) -> bool {
    matches!(answer.reply, Reply::Response { status, .. } if options.accept.contains(status))
}

/// Many real servers answer HEAD wrongly (404, 403, 405, 500, a reset)
/// while GET works, so a HEAD answer that is not accepted is asked again
/// with GET. Not for 429 (the server is fine, just busy), nor for
/// failures that GET cannot change: timeouts, DNS, refused connections,
/// TLS and redirect errors.
fn needs_get_confirmation(options: &CheckOptions, answer: &Answer) -> bool {
    match &answer.reply {
        Reply::Response { status, .. } => *status != 429 && !options.accept.contains(*status),
        Reply::Failure(failure) => failure.kind.is_protocol(),
    }
}
