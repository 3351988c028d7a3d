//! The HTTP client: one request at a time, sent once its turn has come under
//! the run's [`Limits`], with the user's `-H` headers only for the host they
//! were meant for.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::redirect;
use url::Url;

use super::dns::SystemResolver;
use super::failure::{self, Failure};
use super::limits::{Limits, Permit};
use super::options::CheckOptions;
use super::quota::Quota;
use crate::types::{Error, Method, host_key};

/// The client, the options and the limits of one run; cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The same client without kept-alive connections and with room for
    /// 1,000 header fields, made when first needed: a request that a server
    /// dropped on a kept-alive connection, or whose answer had more fields
    /// than `http` reads, is sent again with it. (`None` if it could not be
    /// made, which `http` being made makes all but impossible.)
    fresh: Arc<OnceLock<Option<reqwest::Client>>>,
    options: Arc<CheckOptions>,
    limits: Limits,
}

impl Client {
    pub fn new(options: CheckOptions, limits: Limits) -> Result<Client, Error> {
        Ok(Client {
            http: http_client(&options, true)?,
            fresh: Arc::new(OnceLock::new()),
            options: Arc::new(options),
            limits,
        })
    }

    pub fn options(&self) -> &CheckOptions {
        &self.options
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sends one request once its turn has come; the permit is given back as
    /// soon as the response headers are in. `origin` is the URL the user
    /// gave, whose host alone gets the `-H` headers.
    pub async fn send(
        &self,
        method: Method,
        origin: &Url,
        url: &Url,
        elapsed: &mut Duration,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, Failure> {
        let host = host_key(url);
        let mut permit = self.limits.acquire(host).await;
        // With no answer from the host yet, there is no kept-alive
        // connection to it either.
        let pooled = permit.host_answered();
        let method = match method {
            Method::Head => reqwest::Method::HEAD,
            Method::Get => reqwest::Method::GET,
        };
        let request = |http: &reqwest::Client| {
            let mut request = http.request(method.clone(), url.clone());
            if same_authority(origin, url) {
                request = request.headers(self.options.headers.clone());
            }
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            request
        };
        let started = Instant::now();
        let mut result = self.answer(&mut permit, request(&self.http)).await;
        // As curl does: the server closed a kept-alive connection as the
        // request arrived; send it again at once, on a new connection. And a
        // response with more header fields than hyper's default of 100 (a
        // larger default costs every response) is read again with room.
        let again = result.as_ref().is_err_and(|err| {
            (pooled && dropped_on_a_kept_connection(err)) || failure::head_too_large(err)
        });
        if again && let Some(fresh) = self.fresh() {
            result = self.answer(&mut permit, request(fresh)).await;
        }
        *elapsed += started.elapsed();
        match result {
            Ok(response) => {
                let quota = Quota::of(response.headers());
                permit.answered(response.status().as_u16(), quota);
                if let Some(Quota {
                    remaining: 0,
                    reset,
                }) = quota
                {
                    // Nothing left until the reset: the host's next request
                    // would be refused. (The limits cap the pause.)
                    self.limits.back_off(host, reset);
                }
                Ok(response)
            }
            Err(err) => Err(Failure::from_reqwest(&err, &self.options)),
        }
    }

    fn fresh(&self) -> Option<&reqwest::Client> {
        self.fresh
            .get_or_init(|| http_client(&self.options, false).ok())
            .as_ref()
    }

    /// Sends `request` and waits for its response headers; a request with
    /// none after `--stall-after` lets a new request use its global slot.
    async fn answer(
        &self,
        permit: &mut Permit,
        request: reqwest::RequestBuilder,
    ) -> reqwest::Result<reqwest::Response> {
        // Boxed: the request future is large, and thousands of checks wait
        // for their turn at once; only the few in flight should pay for it.
        let mut sending = Box::pin(request.send());
        match tokio::time::timeout(self.options.stall_after, &mut sending).await {
            Ok(result) => result,
            Err(_) => {
                self.limits.stall(permit);
                sending.await
            }
        }
    }
}

/// Header fields a response read again may have (hyper's default, for
/// every other response, is 100; real responses with a few hundred cookies
/// or debug headers exist). Not the default: hyper initialises room for them
/// all for every response.
const MAX_HEADERS: usize = 1000;

/// The run's HTTP client; `keep_alive: false` makes one that opens a new
/// connection for every request and reads up to [`MAX_HEADERS`] fields.
fn http_client(options: &CheckOptions, keep_alive: bool) -> Result<reqwest::Client, Error> {
    // Redirects are followed by `redirect::chase`, not by reqwest, so that
    // hops, loops and where `-H` headers go are under our control.
    let mut builder = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .dns_resolver(Arc::new(SystemResolver))
        .user_agent(options.user_agent.clone())
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .danger_accept_invalid_certs(options.insecure)
        // As curl reads them: folded header lines (RFC 9112 §5.2 asks a user
        // agent to accept them).
        .http1_allow_obsolete_multiline_headers_in_responses(true);
    if !keep_alive {
        builder = builder
            .pool_max_idle_per_host(0)
            .http1_max_headers(MAX_HEADERS);
    }
    if no_proxy_for_all(["NO_PROXY", "no_proxy"].map(std::env::var_os)) {
        // reqwest matches `*` against host names only, and still sends
        // IP-literal URLs through the proxy; curl goes direct for all.
        builder = builder.no_proxy();
    }
    for (host, addr) in &options.resolve {
        builder = builder.resolve(host, *addr);
    }
    builder
        .build()
        .map_err(|err| Error::Client(err.to_string()))
}

/// Whether the `NO_PROXY` (or `no_proxy`) value says no proxy for any host:
/// `*`, as in curl (the first variable set wins).
fn no_proxy_for_all(values: [Option<std::ffi::OsString>; 2]) -> bool {
    values
        .into_iter()
        .flatten()
        .find(|value| !value.is_empty())
        .is_some_and(|value| {
            value
                .to_string_lossy()
                .split(',')
                .any(|entry| entry.trim() == "*")
        })
}

/// Whether a request failed the way one sent on a connection the server
/// had just closed does: connected, then closed or reset with no answer.
fn dropped_on_a_kept_connection(err: &reqwest::Error) -> bool {
    !err.is_connect() && !err.is_timeout() && failure::closed_without_answer(err)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_in_no_proxy_means_every_host() {
        let set = |s: &str| Some(std::ffi::OsString::from(s));
        assert!(no_proxy_for_all([set("*"), None]));
        assert!(no_proxy_for_all([None, set(" * ")]));
        assert!(no_proxy_for_all([set("localhost,*"), None]));
        assert!(!no_proxy_for_all([set("localhost"), set("*")]));
        assert!(!no_proxy_for_all([set("*.test"), None]));
        assert!(!no_proxy_for_all([None, None]));
    }

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
}
