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
use crate::types::Method;

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
        } else if redirects == client.options().max_redirects {
            Some(format!(
                "too many redirects (more than {})",
                client.options().max_redirects
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

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}
