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

/// Decides what one entry is: a URL to check, an invalid line, or a URL that
/// is skipped (another scheme, or filtered out).
pub fn classify_entry(text: &str, filter: &Filter) -> TargetKind {
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return TargetKind::Invalid(
                "not a URL: no scheme (expected http:// or https://)".into(),
            );
        }
        Err(e) => return TargetKind::Invalid(format!("not a URL: {e}")),
    };
    match url.scheme() {
        "http" | "https" => {}
        other => return TargetKind::Skipped(format!("{other}: URLs are not checked")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return TargetKind::Invalid("not a URL: no host".into());
    }
    match filter.skip_reason(text) {
        Some(reason) => TargetKind::Skipped(reason),
        None => TargetKind::Check(url),
    }
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
