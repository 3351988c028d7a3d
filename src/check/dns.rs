//! Name resolution: the system resolver (getaddrinfo, as curl uses), with
//! failures turned into a typed error so that reports can say `dns: no such
//! host` rather than the C library's wording.
//!
//! Names under `.invalid` are answered "no such host" without asking
//! anyone: RFC 6761 reserves that domain to never resolve and asks
//! resolver libraries to answer so themselves.

use std::io;
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a name did not resolve.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DnsError {
    #[error("no such host")]
    NoSuchHost,
    #[error("{0}")]
    Failed(String),
}

/// The resolver handed to reqwest.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = lookup(&host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

async fn lookup(host: &str) -> Result<Vec<SocketAddr>, DnsError> {
    let trimmed = host.trim_end_matches('.');
    if trimmed.eq_ignore_ascii_case("invalid") || trimmed.to_ascii_lowercase().ends_with(".invalid")
    {
        return Err(DnsError::NoSuchHost);
    }
    // Port 0: the URL's port (or the scheme's) is filled in by the client.
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((trimmed, 0))
        .await
        .map_err(from_io)?
        .collect();
    if addrs.is_empty() {
        return Err(DnsError::NoSuchHost);
    }
    Ok(addrs)
}

/// getaddrinfo's answers come back as io errors with glibc's texts.
fn from_io(err: io::Error) -> DnsError {
    let text = err.to_string();
    const NOT_FOUND: [&str; 4] = [
        "Name or service not known",
        "No address associated with hostname",
        "nodename nor servname provided",
        "not known",
    ];
    if NOT_FOUND.iter().any(|needle| text.contains(needle)) {
        DnsError::NoSuchHost
    } else {
        let detail = text
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&text);
        DnsError::Failed(detail.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_names_never_resolve() {
        assert_eq!(lookup("nowhere.invalid").await, Err(DnsError::NoSuchHost));
        assert_eq!(lookup("NOWHERE.INVALID.").await, Err(DnsError::NoSuchHost));
    }

    #[tokio::test]
    async fn loopback_resolves() {
        let addrs = lookup("127.0.0.1").await.unwrap();
        assert_eq!(addrs[0].ip().to_string(), "127.0.0.1");
    }

    #[test]
    fn resolver_texts_are_shortened() {
        let gai =
            io::Error::other("failed to lookup address information: Name or service not known");
        assert_eq!(from_io(gai), DnsError::NoSuchHost);
        let other = io::Error::other(
            "failed to lookup address information: Temporary failure in name resolution",
        );
        assert_eq!(
            from_io(other),
            DnsError::Failed("Temporary failure in name resolution".into())
        );
    }
}
