//! The failure taxonomy: why no usable response came back, sorted into the
//! kinds that the method policy and retries branch on, with a short text
//! for the row's `error` column.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use super::dns::DnsError;
use super::options::CheckOptions;
use crate::types::ErrorKind;

/// Why no usable response came back, in a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What kind of failure: the row's `error_kind`, and what the method
    /// policy, retries and the run's host bookkeeping branch on.
    pub kind: ErrorKind,
    pub text: String,
    /// A connect error or a timeout: worth another attempt.
    pub retryable: bool,
}

impl Failure {
    /// A failure that says the host cannot be reached at all: no
    /// connection (DNS, refused, connect timeout, TLS handshake or
    /// certificate). A host that accepted the connection and sent nothing
    /// back before the timeout is not one of them: one slow URL says
    /// nothing of the host's others.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::ConnectTimeout | ErrorKind::Dns | ErrorKind::Refused | ErrorKind::Tls
        )
    }

    pub fn redirect(kind: ErrorKind, text: String) -> Failure {
        Failure {
            kind,
            text,
            retryable: false,
        }
    }

    pub fn from_reqwest(err: &reqwest::Error, options: &CheckOptions) -> Failure {
        let (kind, text) = describe(err, options);
        // DNS and TLS failures happen while connecting too, but another
        // attempt will not change them; nor will it after a connect timeout,
        // within which TCP has already resent its SYN several times.
        let retryable = kind == ErrorKind::Timeout
            || (err.is_connect()
                && !matches!(
                    kind,
                    ErrorKind::Dns | ErrorKind::Tls | ErrorKind::ConnectTimeout
                ));
        Failure {
            kind,
            text,
            retryable,
        }
    }
}

/// Whether the connection was closed or reset before any answer came: the
/// request may never have been read.
pub fn closed_without_answer(err: &reqwest::Error) -> bool {
    causes(err).iter().any(|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
            || e.downcast_ref::<io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                )
            })
    })
}

/// Whether the response head was too large for the client to read (more
/// header fields than it has room for, or too many bytes).
pub fn head_too_large(err: &reqwest::Error) -> bool {
    // hyper's `is_parse_too_large` exists only with its server feature;
    // its text is the same (tests/real_servers.rs would notice a change).
    causes(err).iter().any(|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(|e| e.is_parse() && e.to_string() == "message head is too large")
    })
}

/// The chain of causes of `err`, outermost first.
fn causes(err: &reqwest::Error) -> Vec<&(dyn StdError + 'static)> {
    let mut chain = Vec::new();
    let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cause {
        chain.push(e);
        // An io::Error's source() skips its own payload (where rustls and
        // hyper put their errors), so step into the payload instead.
        cause = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(payload) => Some(payload as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    chain
}

/// Turns reqwest's nested error into a short, specific text by looking at
/// the whole chain of causes, deepest first being the most specific.
fn describe(err: &reqwest::Error, options: &CheckOptions) -> (ErrorKind, String) {
    let chain = causes(err);
    let deepest = chain.last().map(|e| e.to_string()).unwrap_or_default();

    if err.is_timeout()
        || chain
            .iter()
            .any(|e| is_io_kind(*e, io::ErrorKind::TimedOut))
    {
        return if err.is_connect() {
            (
                ErrorKind::ConnectTimeout,
                format!("connect timeout after {}", seconds(options.connect_timeout)),
            )
        } else {
            (
                ErrorKind::Timeout,
                format!("timeout after {}", seconds(options.timeout)),
            )
        };
    }
    if let Some(tls) = chain.iter().find_map(|e| e.downcast_ref::<rustls::Error>()) {
        return (ErrorKind::Tls, format!("tls: {tls}"));
    }
    if let Some(dns) = chain.iter().find_map(|e| e.downcast_ref::<DnsError>()) {
        return (ErrorKind::Dns, format!("dns: {dns}"));
    }
    for e in &chain {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            let found = match io.kind() {
                io::ErrorKind::ConnectionRefused => {
                    Some((ErrorKind::Refused, "connection refused"))
                }
                io::ErrorKind::ConnectionReset => Some((ErrorKind::Reset, "connection reset")),
                io::ErrorKind::ConnectionAborted => Some((ErrorKind::Reset, "connection aborted")),
                io::ErrorKind::BrokenPipe => Some((ErrorKind::Reset, "connection reset")),
                io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                    Some((ErrorKind::Refused, "network unreachable"))
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
                ErrorKind::Closed,
                "connection closed before a response".to_string(),
            );
        }
        if hyper.is_parse() || hyper.is_parse_status() {
            return (
                ErrorKind::Malformed,
                format!("malformed response: {deepest}"),
            );
        }
        return (ErrorKind::Http, format!("http: {deepest}"));
    }
    (ErrorKind::Other, deepest)
}

fn is_io_kind(e: &(dyn StdError + 'static), kind: io::ErrorKind) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|io| io.kind() == kind)
}

/// `20s`, `2.5s`: how durations read in error texts.
pub fn seconds(duration: Duration) -> String {
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
    fn durations_read_naturally() {
        assert_eq!(seconds(Duration::from_secs(20)), "20s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5s");
    }
}
