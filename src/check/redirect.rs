//! Following redirects: 301, 302, 303, 307 and 308 up to `--max-redirects`,
//! with loop detection, the hop count and the final URL. Done here rather
//! than by reqwest, so that each hop goes through the run's limits and the
//! `-H` headers stay with their host.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use url::Url;

use super::client::Client;
use super::failure::Failure;
use crate::types::{ErrorKind, Method};

/// Where a redirect chain ended.
pub struct Chain {
    pub final_url: Url,
    pub redirects: u32,
    pub response: Result<reqwest::Response, Failure>,
}

/// Sends `method` to `start` and follows redirects to the end of the
/// chain.
pub async fn chase(
    client: &Client,
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
        let response = match client.send(method, start, &current, elapsed, timeout).await {
            Ok(response) => response,
            Err(failure) => return end(&current, redirects, Err(failure)),
        };
        // A redirect without a Location (or an empty one) is not followed,
        // as curl does not: the row reports the 3xx itself.
        let location = response
            .headers()
            .get(LOCATION)
            .map(|location| location.as_bytes().trim_ascii())
            .filter(|location| !location.is_empty())
            .map(encode_location);
        let (true, Some(location)) = (is_followed_redirect(response.status()), location) else {
            return end(&current, redirects, Ok(response));
        };
        drop(response);
        let next = match current.join(&location) {
            Ok(next) => next,
            Err(err) => {
                let failure = Failure::redirect(
                    ErrorKind::BadRedirect,
                    format!(
                        "redirect with an invalid Location ({err}): {}",
                        shortened(&location)
                    ),
                );
                return end(&current, redirects, Err(failure));
            }
        };
        let failure = if !matches!(next.scheme(), "http" | "https") {
            Some((
                ErrorKind::BadRedirect,
                format!("redirect to unsupported scheme {}:", next.scheme()),
            ))
        } else if !visited
            .get_or_insert_with(|| HashSet::from([start.clone()]))
            .insert(next.clone())
        {
            Some((ErrorKind::RedirectLoop, format!("redirect loop at {next}")))
        } else if hyper::Uri::try_from(next.as_str()).is_err() {
            Some((
                ErrorKind::BadRedirect,
                format!(
                    "redirect to a URL too long to request ({} bytes)",
                    next.as_str().len()
                ),
            ))
        } else if redirects == client.options().max_redirects {
            Some((
                ErrorKind::TooManyRedirects,
                format!(
                    "too many redirects (more than {})",
                    client.options().max_redirects
                ),
            ))
        } else {
            None
        };
        if let Some((kind, text)) = failure {
            return end(&next, redirects + 1, Err(Failure::redirect(kind, text)));
        }
        redirects += 1;
        current = next;
    }
}

/// A Location as browsers and curl read it: bytes outside printable ASCII
/// (raw UTF-8, a stray Latin-1 byte, spaces) percent-encoded as they are.
fn encode_location(location: &[u8]) -> String {
    let mut encoded = String::with_capacity(location.len());
    for &byte in location {
        if byte.is_ascii_graphic() {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A Location for an error text: its first 200 characters.
fn shortened(location: &str) -> String {
    match location.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &location[..end]),
        None => location.to_string(),
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bytes_in_a_location_are_percent_encoded_as_they_are() {
        assert_eq!(encode_location("/dest/ü".as_bytes()), "/dest/%C3%BC");
        assert_eq!(encode_location(b"/caf\xe9 au lait"), "/caf%E9%20au%20lait");
        assert_eq!(encode_location(b"/a%20b?q=1#x"), "/a%20b?q=1#x");
    }
}
