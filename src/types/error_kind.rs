//! The `error_kind` column: what kind of failure a row is, as a stable
//! lower-case word, so that a baseline can ask "the same failure as last
//! time?" and a SARIF result can name its rule without comparing error
//! texts (which carry timeouts, addresses and server words).

use std::fmt;

/// The kind of a row's failure. The words are part of the report format:
/// never rename one; add new kinds instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The host name does not resolve.
    Dns,
    /// The connection was refused (or the network is unreachable).
    Refused,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// The TLS handshake or the certificate failed.
    Tls,
    /// Connected, but no answer within `--timeout`.
    Timeout,
    /// The connection was reset or aborted.
    Reset,
    /// The server closed the connection before a response.
    Closed,
    /// The answer was not well-formed HTTP.
    Malformed,
    /// Another failure of the HTTP exchange.
    Http,
    /// A redirect led back to a URL already visited.
    RedirectLoop,
    /// More redirects than `--max-redirects`.
    TooManyRedirects,
    /// A redirect that cannot be followed: to another scheme, to an invalid
    /// or too long URL.
    BadRedirect,
    /// An HTTP status that is not accepted (a `broken` row).
    Status,
    /// A bot wall (status 999) or challenge (403 with `cf-mitigated`).
    BotWall,
    /// Still 429 after every retry.
    RateLimited,
    /// The entry is not a URL that can be checked (or a line too long).
    Invalid,
    /// A local file that a document links to is not there.
    MissingFile,
    /// A link's `#fragment` names no id or anchor in its page or document.
    Fragment,
    /// An input (a document, a directory, a sitemap) could not be read.
    Unreadable,
    /// A bug in headcheck: the check panicked.
    Internal,
    /// A failure of no known kind.
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 21] = [
        ErrorKind::Dns,
        ErrorKind::Refused,
        ErrorKind::ConnectTimeout,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Closed,
        ErrorKind::Malformed,
        ErrorKind::Http,
        ErrorKind::RedirectLoop,
        ErrorKind::TooManyRedirects,
        ErrorKind::BadRedirect,
        ErrorKind::Status,
        ErrorKind::BotWall,
        ErrorKind::RateLimited,
        ErrorKind::Invalid,
        ErrorKind::MissingFile,
        ErrorKind::Fragment,
        ErrorKind::Unreadable,
        ErrorKind::Internal,
        ErrorKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Dns => "dns",
            ErrorKind::Refused => "refused",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Closed => "closed",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Http => "http",
            ErrorKind::RedirectLoop => "redirect_loop",
            ErrorKind::TooManyRedirects => "too_many_redirects",
            ErrorKind::BadRedirect => "bad_redirect",
            ErrorKind::Status => "status",
            ErrorKind::BotWall => "bot_wall",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Invalid => "invalid",
            ErrorKind::MissingFile => "missing_file",
            ErrorKind::Fragment => "fragment",
            ErrorKind::Unreadable => "unreadable",
            ErrorKind::Internal => "internal",
            ErrorKind::Other => "other",
        }
    }

    /// What the kind means, in a sentence (SARIF rules, the README).
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::Dns => "The host name does not resolve.",
            ErrorKind::Refused => "The connection was refused, or the network is unreachable.",
            ErrorKind::ConnectTimeout => "No connection within the connect timeout.",
            ErrorKind::Tls => "The TLS handshake or the certificate failed.",
            ErrorKind::Timeout => "Connected, but no answer within the timeout.",
            ErrorKind::Reset => "The connection was reset or aborted.",
            ErrorKind::Closed => "The server closed the connection before answering.",
            ErrorKind::Malformed => "The answer was not well-formed HTTP.",
            ErrorKind::Http => "The HTTP exchange failed.",
            ErrorKind::RedirectLoop => "A redirect led back to a URL already visited.",
            ErrorKind::TooManyRedirects => "More redirects than --max-redirects allows.",
            ErrorKind::BadRedirect => {
                "A redirect that cannot be followed: to another scheme, or to an invalid URL."
            }
            ErrorKind::Status => "The server answered with a status that is not accepted.",
            ErrorKind::BotWall => "A bot wall or challenge answered instead of the page.",
            ErrorKind::RateLimited => "Still rate limited (429) after every retry.",
            ErrorKind::Invalid => "The link is not a URL that can be checked.",
            ErrorKind::MissingFile => "The local file the link names is not there.",
            ErrorKind::Fragment => "The #fragment names no id or anchor in its page.",
            ErrorKind::Unreadable => "An input could not be read.",
            ErrorKind::Internal => "A bug in headcheck: the check failed unexpectedly.",
            ErrorKind::Other => "A failure of no known kind.",
        }
    }

    /// The kind a report's word names (a report read back).
    pub fn from_word(word: &str) -> Option<ErrorKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == word)
    }

    /// The connection broke or the answer was not HTTP: what servers that
    /// mishandle HEAD often do.
    pub fn is_protocol(self) -> bool {
        matches!(
            self,
            ErrorKind::Reset | ErrorKind::Closed | ErrorKind::Malformed | ErrorKind::Http
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_word_which_reads_back() {
        let mut words = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let word = kind.as_str();
            assert!(words.insert(word), "{word} twice");
            assert!(word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(ErrorKind::from_word(word), Some(kind));
        }
        assert_eq!(ErrorKind::from_word("nonsense"), None);
    }
}
