//! Deciding what one entry is: a URL to check, an invalid line, or a URL
//! that is skipped (another scheme, or filtered out by a pattern).

use regex::Regex;
use url::Url;

use crate::types::TargetKind;

/// Which URLs are checked: `--include` / `--exclude` patterns on the URL
/// text. A URL is checked when it matches some include (or there are none)
/// and no exclude.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
}

impl Filter {
    pub fn skip_reason(&self, text: &str) -> Option<String> {
        if !self.include.is_empty() && !self.include.iter().any(|re| re.is_match(text)) {
            return Some("not matched by --include".to_string());
        }
        self.exclude
            .iter()
            .find(|re| re.is_match(text))
            .map(|re| format!("excluded by --exclude {}", re.as_str()))
    }
}

/// Schemes of URLs that are not checked but are not mistakes either: an
/// entry with one is `skipped`. Anything else that is not http(s) is
/// `invalid`, so that a typo (`htps://`) fails the run.
pub const SKIPPED_SCHEMES: &[&str] = &[
    "about",
    "blob",
    "bitcoin",
    "callto",
    "chrome",
    "chrome-extension",
    "cid",
    "content",
    "data",
    "dns",
    "facetime",
    "feed",
    "file",
    "ftp",
    "ftps",
    "geo",
    "git",
    "gopher",
    "intent",
    "ipfs",
    "ipns",
    "irc",
    "ircs",
    "itms-apps",
    "itms-services",
    "javascript",
    "jar",
    "ldap",
    "ldaps",
    "magnet",
    "mailto",
    "market",
    "matrix",
    "mid",
    "moz-extension",
    "mms",
    "msteams",
    "news",
    "nntp",
    "rtmp",
    "rtsp",
    "sftp",
    "sip",
    "sips",
    "skype",
    "slack",
    "sms",
    "spotify",
    "ssh",
    "steam",
    "svn",
    "tel",
    "telnet",
    "tg",
    "urn",
    "view-source",
    "vscode",
    "webcal",
    "whatsapp",
    "ws",
    "wss",
    "xmpp",
    "zoommtg",
];

/// Decides what one entry is: a URL to check, an invalid line (with a hint
/// when it looks like a mistyped http(s) URL), or a URL that is skipped
/// (a well-known other scheme, or filtered out).
pub fn classify_entry(text: &str, filter: &Filter) -> TargetKind {
    let hint = || match did_you_mean(text) {
        Some(fixed) => format!("; did you mean {fixed}?"),
        None => String::new(),
    };
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return TargetKind::Invalid(format!(
                "not a URL: no scheme (expected http:// or https://){}",
                hint()
            ));
        }
        Err(e) => return TargetKind::Invalid(format!("not a URL: {e}{}", hint())),
    };
    match url.scheme() {
        "http" | "https" => {}
        other if SKIPPED_SCHEMES.contains(&other) => {
            return TargetKind::Skipped(format!("{other}: URLs are not checked"));
        }
        other => {
            return TargetKind::Invalid(format!(
                "not a URL headcheck checks: unknown scheme {other}:{}",
                hint()
            ));
        }
    }
    // The URL parser reads `http:/x`, `http:x` and `http:///x` as
    // `http://x/`; a browser might too, but in a list it is a typo.
    let after_scheme = &text[url.scheme().len() + 1..];
    let separator_ok =
        after_scheme.starts_with("//") && !after_scheme[2..].starts_with(['/', '\\']);
    if !separator_ok {
        return TargetKind::Invalid(format!(
            "not a URL: {}: must be followed by exactly two slashes{}",
            url.scheme(),
            hint()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return TargetKind::Invalid("not a URL: no host".into());
    }
    match filter.skip_reason(text) {
        Some(reason) => TargetKind::Skipped(reason),
        None => TargetKind::Check(url),
    }
}

/// The http(s) URL a mistyped entry most likely meant: `htps://x/y`,
/// `http:/x/y`, `https//x/y` and a bare `example.com/y` all have one.
pub fn did_you_mean(text: &str) -> Option<String> {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    for missing_colon in ["https//", "http//"] {
        if lower.starts_with(missing_colon) {
            let rest = &text[missing_colon.len()..];
            return (!rest.is_empty())
                .then(|| format!("{}://{rest}", &missing_colon[..missing_colon.len() - 2]));
        }
    }
    if let Some((scheme, rest)) = text.split_once(':')
        && !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        let scheme = scheme.to_ascii_lowercase();
        let rest = rest.trim_start_matches(['/', '\\']);
        if let Some(fixed) = nearly_http(&scheme) {
            return (!rest.is_empty()).then(|| format!("{fixed}://{rest}"));
        }
        // `example.com:8080/x` parses as the scheme `example.com`, and
        // `localhost:8080/x` as `localhost`.
        if let Some(fixed) = missing_scheme(text) {
            return Some(fixed);
        }
        return looks_like_host(&scheme).then(|| format!("https://{text}"));
    }
    let host = text.split(['/', '?', '#']).next().unwrap_or_default();
    looks_like_host(host).then(|| {
        let slash = if text.len() == host.len() { "/" } else { "" };
        format!("https://{text}{slash}")
    })
}

/// The URL meant by a host and port given without a scheme: `http://` for
/// a local one (`localhost:8080/x`, `127.0.0.1:8080/x`, where a
/// development server listens), `https://` for a name
/// (`example.com:8443/x`); `None` for anything else.
pub fn missing_scheme(text: &str) -> Option<String> {
    let authority = text.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = authority.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::Ipv4Addr>().is_ok() {
        Some(format!("http://{text}"))
    } else {
        looks_like_host(host).then(|| format!("https://{text}"))
    }
}

/// `http` or `https` when `scheme` is one of them mistyped (an edit or two
/// away), else `None`.
fn nearly_http(scheme: &str) -> Option<&'static str> {
    if scheme.len() < 3 || SKIPPED_SCHEMES.contains(&scheme) {
        return None;
    }
    ["https", "http"]
        .into_iter()
        .filter(|wanted| edit_distance(scheme, wanted) <= 2)
        .min_by_key(|wanted| edit_distance(scheme, wanted))
}

/// Levenshtein distance between two short ASCII words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.as_bytes().iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Whether `text` reads as a host name (`example.com`, `www.a.test:8080`):
/// dot-separated labels of letters, digits and hyphens, the last one
/// alphabetic.
fn looks_like_host(text: &str) -> bool {
    let name = match text.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => text,
    };
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_classified() {
        let filter = Filter::default();
        assert!(matches!(
            classify_entry("https://a.test/x", &filter),
            TargetKind::Check(_)
        ));
        assert!(matches!(
            classify_entry("mailto:me@a.test", &filter),
            TargetKind::Skipped(_)
        ));
        assert!(matches!(
            classify_entry("www.a.test/x", &filter),
            TargetKind::Invalid(_)
        ));
        assert!(matches!(
            classify_entry("http://", &filter),
            TargetKind::Invalid(_)
        ));
    }

    fn invalid_with(text: &str) -> String {
        match classify_entry(text, &Filter::default()) {
            TargetKind::Invalid(reason) => reason,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn typos_are_invalid_with_a_hint() {
        for (typo, meant) in [
            ("htps://a.test/x", "https://a.test/x"),
            ("htp://a.test/x", "http://a.test/x"),
            ("HTTTP://a.test/x", "http://a.test/x"),
            ("http:/a.test/x", "http://a.test/x"),
            ("https:a.test/x", "https://a.test/x"),
            ("https:///a.test/x", "https://a.test/x"),
            ("https//a.test/x", "https://a.test/x"),
            ("example.com", "https://example.com/"),
            ("www.a.test/x?y", "https://www.a.test/x?y"),
            ("a.test:8080/x", "https://a.test:8080/x"),
        ] {
            let reason = invalid_with(typo);
            assert!(
                reason.ends_with(&format!("; did you mean {meant}?")),
                "{typo}: {reason}"
            );
        }
        // Not every invalid entry has a guess.
        assert!(!invalid_with("not a url").contains("did you mean"));
        assert_eq!(
            did_you_mean("127.0.0.1:8080/x").as_deref(),
            Some("http://127.0.0.1:8080/x")
        );
        assert_eq!(
            did_you_mean("localhost:8080/x").as_deref(),
            Some("http://localhost:8080/x")
        );
        assert_eq!(missing_scheme("mailto:a@b.test"), None);
        assert_eq!(missing_scheme("localhost:x"), None);
        assert!(!invalid_with("foo://a.test/").contains("did you mean"));
    }

    #[test]
    fn well_known_other_schemes_are_skipped() {
        for text in [
            "mailto:a@a.test",
            "tel:+1234",
            "ftp://a.test/f",
            "javascript:void(0)",
            "data:text/plain,x",
            "file:///etc/hosts",
        ] {
            assert!(
                matches!(
                    classify_entry(text, &Filter::default()),
                    TargetKind::Skipped(_)
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn include_and_exclude_patterns_skip_urls() {
        let filter = Filter {
            include: vec![Regex::new("/docs/").unwrap()],
            exclude: vec![Regex::new("old").unwrap()],
        };
        assert!(matches!(
            classify_entry("http://a.test/docs/new", &filter),
            TargetKind::Check(_)
        ));
        assert!(matches!(
            classify_entry("http://a.test/docs/old", &filter),
            TargetKind::Skipped(_)
        ));
        assert!(matches!(
            classify_entry("http://a.test/blog/", &filter),
            TargetKind::Skipped(_)
        ));
    }
}
