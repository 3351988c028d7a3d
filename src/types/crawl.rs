//! What a crawl's pages carry between the input and the run (`--crawl`): a
//! [`Page`] to fetch goes to the run as a target; what was found on it goes
//! back to the input as [`Found`], through a [`Crawler`], so that its links
//! are numbered, told apart from repeats and judged like every other entry.
//!
//! The run ends when the input ends, and the input of a crawl ends when no
//! page is left anywhere: every page target holds a [`Crawler`] (a sender of
//! the channel back to the input), and so does every [`Found`] until the
//! input has read it, and every page the input holds back. When the last page is fetched (or dropped: an
//! unreachable host's, an interrupted run's) and its links read, the
//! channel closes, and with it the input.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::mpsc;
use url::Url;

use super::source::Source;

/// A page to fetch with GET for its links: one request, which is also its
/// row.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    /// Levels from its start page (0 for a start page).
    pub depth: u32,
    /// The site it belongs to ([`site_of`] its start page).
    pub site: Arc<str>,
    /// Where what is found on it goes.
    pub crawler: Crawler,
}

/// What became of a page's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    /// HTML, read (to its end, or to the size cap when `truncated`).
    Parsed { truncated: bool },
    /// Not HTML by its `Content-Type`: checked, not read.
    NotHtml,
    /// Redirected to another site: checked, not read.
    Elsewhere,
    /// Kept out by its site's robots.txt: checked as a link is, not read.
    Robots,
    /// No page to read: the fetch failed or its status is not accepted.
    NoPage,
}

/// What a fetched page gave the crawl.
#[derive(Debug)]
pub struct Found {
    /// The page's URL.
    pub url: Url,
    pub depth: u32,
    pub site: Arc<str>,
    /// Its final URL after redirects, when it is not the page's own.
    pub moved_to: Option<Url>,
    pub fetched: Fetched,
    /// Its links, made absolute (against its `<base href>` or its final
    /// URL) where they can be, each with its place in the page.
    pub links: Vec<FoundLink>,
    /// The fragments it defines (`id`s, `<a name>`s), when it was read.
    pub anchors: HashSet<String>,
}

/// A link found on a page, and its place there (kept this small, not as a
/// [`Source`] naming the page in every link: found pages wait for the
/// input in thousands when it falls behind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLink {
    pub text: String,
    pub line: u64,
    pub column: Option<u32>,
}

impl Page {
    /// Tells the input that this page is not read (`fetched` says why),
    /// and gives back its URL: every page target ends with one [`Found`],
    /// so the summary counts every page not crawled, an unreachable
    /// host's too.
    pub fn unread(self, fetched: Fetched) -> Url {
        let Page {
            url,
            depth,
            site,
            crawler,
        } = self;
        crawler.found(Found {
            url: url.clone(),
            depth,
            site,
            moved_to: None,
            fetched,
            links: Vec::new(),
            anchors: HashSet::new(),
        });
        url
    }
}

impl Found {
    /// The place of `link`, one of this page's: the page's URL and line.
    pub fn place(&self, link: &FoundLink) -> Source {
        Source::at(self.url.as_str(), link.line, link.column)
    }
}

/// The way back from a page to the input: a sender of [`Found`]s, each sent
/// with a sender of its own so that the channel stays open until the input
/// has read it.
#[derive(Debug, Clone)]
pub struct Crawler(mpsc::UnboundedSender<(Found, Crawler)>);

/// The input's end of the channel.
pub type FoundPages = mpsc::UnboundedReceiver<(Found, Crawler)>;

impl Crawler {
    /// A new channel: the crawler its pages are given, and the input's end.
    pub fn channel() -> (Crawler, FoundPages) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Crawler(tx), rx)
    }

    /// Hands what a page gave back to the input (nothing when the input is
    /// gone: the run is ending).
    pub fn found(self, found: Found) {
        let keep = self.clone();
        let _ = self.0.send((found, keep));
    }

    /// A count of this channel's senders that does not keep it open.
    pub fn senders(&self) -> Senders {
        Senders(self.0.downgrade())
    }
}

/// Counts the senders of a crawl's channel: its pages out (held, queued,
/// being fetched) and its found pages not read yet, besides the input's
/// own sender.
#[derive(Debug)]
pub struct Senders(mpsc::WeakUnboundedSender<(Found, Crawler)>);

impl Senders {
    pub fn count(&self) -> usize {
        self.0.strong_count()
    }
}

/// The site a URL belongs to for the crawl: its host, without a leading
/// `www.`, with its port when it is not the scheme's own (so http and https
/// of one name are one site).
pub fn site_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_https_and_www_are_one_site() {
        let site = |text: &str| site_of(&Url::parse(text).unwrap());
        assert_eq!(site("http://www.a.test/x"), "a.test");
        assert_eq!(site("https://a.test/"), "a.test");
        assert_eq!(site("https://a.test:443/"), "a.test");
        assert_eq!(site("http://a.test:8080/"), "a.test:8080");
        assert_ne!(site("http://b.a.test/"), "a.test");
    }

    #[test]
    fn the_channel_closes_when_no_page_or_found_is_left() {
        let (crawler, mut found) = Crawler::channel();
        let page = crawler.clone();
        drop(crawler);
        let found_page = Found {
            url: Url::parse("http://a.test/").unwrap(),
            anchors: HashSet::new(),
            depth: 0,
            site: "a.test".into(),
            moved_to: None,
            fetched: Fetched::NoPage,
            links: Vec::new(),
        };
        page.found(found_page);
        let (_, keep) = found.try_recv().unwrap();
        // Open while what was found is being read.
        assert!(found.try_recv().is_err() && !found.is_closed());
        drop(keep);
        assert!(found.blocking_recv().is_none());
    }
}
