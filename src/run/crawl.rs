//! A crawl's page in the run: its one GET (which is its row), its HTML
//! body read through the page parser as it streams in, and its links, made
//! absolute, handed back to the input ([`Crawler::found`]), which numbers
//! and judges them like every other entry.

use std::sync::Arc;

use url::Url;

use super::robots::Robots;
use crate::check::{Checked, Checker, PageBody};
use crate::input::{Link, PageParser};
use crate::types::{Fetched, Found, FoundLink, Page, Target, TargetKind, site_of, url_key};

/// What a task needs: the checker, and, when a crawl obeys robots.txt,
/// the run's rules.
#[derive(Clone)]
pub(super) struct Work {
    pub checker: Checker,
    pub robots: Option<Arc<Robots>>,
}

impl Work {
    /// Checks `target`, or, when it is a page of a crawl, fetches it for
    /// its row and its links. The target's text and place stay in `target`
    /// until its row is made ([`Checker::check_in_place`]).
    pub async fn check_or_fetch(&self, target: &mut Target) -> Checked {
        let TargetKind::Page(page) = &target.kind else {
            return self.checker.check_in_place(target).await;
        };
        // A page's fetch owns its target: copying its text and place costs
        // little beside the page's parsing.
        let owned = Target {
            index: target.index,
            text: target.text.clone(),
            source: target.source.clone(),
            kind: TargetKind::Check(page.url.clone()),
        };
        let TargetKind::Page(page) =
            std::mem::replace(&mut target.kind, TargetKind::Skipped(String::new()))
        else {
            unreachable!("the kind was a page just above");
        };
        // Boxed: a page's parser is large, and every check's task would be
        // as large as the largest of its states.
        Box::pin(self.fetch(owned, page)).await
    }

    /// Fetches `page` (whose target is `target`) and hands what it holds
    /// to its crawler. The body is read only while the page stays on its
    /// site; a page that robots.txt keeps the crawl from is checked as a
    /// link is.
    async fn fetch(&self, target: Target, page: Page) -> Checked {
        let checker = &self.checker;
        if let Some(robots) = &self.robots
            && robots.allows(checker, &page.url).await.is_err()
        {
            page.unread(Fetched::Robots);
            return checker.check(target).await;
        }
        fetch(checker, target, page).await
    }
}

/// Fetches `page` (whose target is `target`) and hands what it holds to
/// its crawler.
async fn fetch(checker: &Checker, target: Target, page: Page) -> Checked {
    let mut parser = PageParser::new();
    let mut links = Vec::new();
    let (checked, body) = checker
        .fetch_page(
            target,
            |at| site_of(at) == *page.site,
            |chunk| {
                links.extend(parser.feed(chunk));
                parser.wants_more()
            },
        )
        .await;
    let fetched = match body {
        PageBody::Read | PageBody::CutOff(_) => {
            let Page {
                url,
                depth,
                site,
                crawler,
            } = page;
            let landed = checked
                .outcome
                .final_url
                .as_deref()
                .and_then(|text| Url::parse(text).ok())
                .unwrap_or_else(|| url.clone());
            let rest = parser.finish();
            links.extend(rest.links);
            let base = rest
                .base
                .and_then(|base| landed.join(base.trim()).ok())
                .unwrap_or_else(|| landed.clone());
            let mut links: Vec<FoundLink> = links
                .into_iter()
                .filter_map(|link| absolute(link, &base))
                .collect();
            // It may wait for the input a while, among hundreds.
            links.shrink_to_fit();
            let moved_to = (url_key(&landed) != url_key(&url)).then_some(landed);
            crawler.found(Found {
                url,
                depth,
                site,
                moved_to,
                fetched: Fetched::Parsed {
                    truncated: rest.truncated,
                },
                links,
                anchors: rest.anchors,
            });
            return checked;
        }
        PageBody::NotHtml(_) => Fetched::NotHtml,
        PageBody::Elsewhere => Fetched::Elsewhere,
        PageBody::NoPage => Fetched::NoPage,
    };
    page.unread(fetched);
    checked
}

/// A link of a page as the entry to check: absolute as written, or
/// resolved against `base` (`#part` too, as browsers do). None for an
/// empty `href`, the page itself.
fn absolute(link: Link, base: &Url) -> Option<FoundLink> {
    let written = link.target.trim();
    let text = match Url::parse(written) {
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            if written.is_empty() {
                return None;
            }
            match base.join(written) {
                Ok(url) => url.into(),
                Err(_) => written.to_string(),
            }
        }
        // Absolute (any scheme), or not a URL at all: the usual rows.
        _ if written.len() == link.target.len() => link.target,
        _ => written.to_string(),
    };
    Some(FoundLink {
        text,
        line: link.line,
        column: link.column,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_made_absolute_against_the_base() {
        let base = Url::parse("http://a.test/docs/").unwrap();
        let link = |target: &str| Link {
            target: target.to_string(),
            line: 3,
            column: None,
        };
        let text = |target: &str| absolute(link(target), &base).map(|l| l.text);
        assert_eq!(
            text("x.html#a").as_deref(),
            Some("http://a.test/docs/x.html#a")
        );
        assert_eq!(text("/y").as_deref(), Some("http://a.test/y"));
        assert_eq!(text("//b.test/z").as_deref(), Some("http://b.test/z"));
        assert_eq!(text(" https://c.test ").as_deref(), Some("https://c.test"));
        assert_eq!(text("mailto:x@a.test").as_deref(), Some("mailto:x@a.test"));
        assert_eq!(text("#top").as_deref(), Some("http://a.test/docs/#top"));
        assert_eq!(text(""), None);
        let found = absolute(link("x"), &base).unwrap();
        assert_eq!((found.line, found.column), (3, None));
    }
}
