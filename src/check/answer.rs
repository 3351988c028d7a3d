//! What one method's redirect chain answered: the final status with the
//! headers the run captures, or the failure.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName};
use url::Url;

use super::client::Client;
use super::failure::Failure;
use super::redirect::chase;
use crate::types::Method;

/// The last answer of one method's redirect chain.
#[derive(Debug)]
pub struct Answer {
    pub method: Method,
    pub final_url: Url,
    pub redirects: u32,
    pub reply: Reply,
}

#[derive(Debug)]
pub enum Reply {
    Response {
        status: u16,
        cf_mitigated: Option<String>,
        retry_after: Option<Duration>,
        headers: Vec<Option<String>>,
    },
    Failure(Failure),
}

/// Sends `method` to `start` and follows redirects.
pub async fn follow(
    client: &Client,
    method: Method,
    start: &Url,
    elapsed: &mut Duration,
) -> Answer {
    let chain = chase(client, method, start, elapsed, None).await;
    let reply = match chain.response {
        Err(failure) => Reply::Failure(failure),
        // The body, if any, is dropped unread with the response.
        Ok(response) => Reply::of(client, &response),
    };
    Answer {
        method,
        final_url: chain.final_url,
        redirects: chain.redirects,
        reply,
    }
}

impl Reply {
    /// What the row keeps of `response`: its status and captured headers.
    pub fn of(client: &Client, response: &reqwest::Response) -> Reply {
        Reply::Response {
            status: response.status().as_u16(),
            cf_mitigated: header_text(response.headers(), "cf-mitigated"),
            retry_after: retry_after(response.headers()),
            headers: capture(&client.options().capture, response.headers()),
        }
    }
}

fn capture(names: &[HeaderName], headers: &HeaderMap) -> Vec<Option<String>> {
    names
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
