//! The crawl's part of the input (`--crawl`), beside the sitemap walker:
//! which entries become pages to fetch, and what to do with what the run
//! found on them.
//!
//! Start pages are the URLs of the inputs (arguments, lists, sitemaps); a
//! link found on a page is crawled when it is of the page's site, within
//! `--max-depth` of its start page, not the final URL of a page already
//! crawled, and within `--max-pages`; every other link is checked only.
//! Links come back here, to the one door of the input, so they are
//! numbered, told apart from repeats, filtered and kept to a shard like
//! every other entry: a page is fetched once because its URL is one entry.
//!
//! A page's depth is that of the page it was first found on, plus one:
//! pages finish in any order, so a page first found deep may be checked,
//! not crawled, although a shorter path to it shows up later.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use url::Url;

use super::fingerprints::Fingerprints;
use super::links::missing_fragment;
use crate::types::{
    BuildPrehashed, Crawler, Fetched, Found, FoundPages, Page, Senders, Source, site_of, url_key,
};

/// Limits of a crawl.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Levels of same-site links followed from the start pages (which are
    /// level 0).
    pub max_depth: u32,
    /// Pages fetched for their links, at most.
    pub max_pages: u64,
    /// `--check-fragments`: a link's `#part` must name an id or anchor of
    /// its page, when that page is read.
    pub check_fragments: bool,
    /// What the crawl did, for the summary.
    pub tally: Arc<CrawlTally>,
}

/// What a crawl fetched and what its guards stopped, as it goes.
#[derive(Debug, Default)]
pub struct CrawlTally {
    /// Pages whose HTML was read for links.
    pub crawled: AtomicU64,
    /// Of those, pages read only up to the size cap.
    pub too_big: AtomicU64,
    /// Pages not read: not HTML.
    pub not_html: AtomicU64,
    /// Pages not read: redirected to another site.
    pub elsewhere: AtomicU64,
    /// Pages not fetched for their links: robots.txt keeps the crawl out.
    pub robots: AtomicU64,
    /// Pages not read: the fetch failed or was not accepted.
    pub failed: AtomicU64,
    /// Same-site links checked, not crawled: beyond `--max-depth`.
    pub beyond_depth: AtomicU64,
    /// Links checked, not crawled: past `--max-pages`.
    pub past_max_pages: AtomicU64,
    /// Same-site links checked, not crawled: past [`MAX_QUERIES_PER_PATH`].
    pub past_query_cap: AtomicU64,
}

impl CrawlTally {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The count of `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// How an entry was reached: from an input, or on a crawled page.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reached<'a> {
    /// An input's entry: a start page.
    Start,
    /// A link on a page of `site`, `depth` levels from its start page.
    Link { depth: u32, site: &'a Arc<str> },
}

/// Whether a new entry is a page to fetch, and why not.
pub(super) enum Judged {
    Page { depth: u32, site: Arc<str> },
    Checked(Option<Stop>),
}

/// A guard that kept a page from being crawled.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stop {
    Depth,
    MaxPages,
    Queries,
}

/// The most pages of one path crawled with distinct query strings: a
/// calendar's "next month" or a faceted search's filters make endless
/// pages of one path, and their links are mostly the same.
pub const MAX_QUERIES_PER_PATH: u32 = 50;

/// The most pages out at once: sent to the run and not yet read back
/// (queued, being fetched, or found and waiting for the input). A found
/// page's links wait in memory until the input reads them, and fetching
/// outruns reading them on a fast site: a crawl of 100,000 local pages
/// peaked at 294 MiB, most of it links waiting. Past this many, new pages
/// are held back (a few hundred bytes each) until found pages are read.
pub const MAX_PAGES_OUT: usize = 1024;

/// A page held back: its entry's text and place, and the page.
pub(super) type Held = (String, Source, Page);

/// The crawl's state in the input.
pub(super) struct Crawl {
    options: CrawlOptions,
    found: FoundPages,
    /// The crawler new pages are given: the input's own while the inputs are
    /// read, then that of the page whose links are being read.
    crawler: Option<Crawler>,
    /// The channel's senders: the crawler above, the pages held, and the
    /// pages out ([`MAX_PAGES_OUT`]).
    senders: Senders,
    /// Pages judged and not sent yet, while too many are out, oldest first.
    held: VecDeque<Held>,
    /// Pages crawled, and the final URLs of those that redirected: the new
    /// entries of URLs in it are checked, not crawled again.
    visited: Fingerprints,
    /// Whether the inputs are still being read.
    inputs_open: bool,
    pages: u64,
    /// Pages crawled with a query string, per path (by a hash of the URL
    /// without its query).
    queries: HashMap<u64, u32, BuildPrehashed>,
    hasher: foldhash::quality::RandomState,
    /// Set while found pages are read, which emits entries: none is read
    /// inside another.
    reading: bool,
    /// With `--check-fragments`: the anchors of the pages read, as hashes,
    /// sorted, by their URL's hash (and their final URL's), and the links
    /// with a `#part` to pages of the crawl's sites, judged at its end,
    /// when every page that will be read has been.
    anchors: HashMap<u64, Vec<u64>, BuildPrehashed>,
    references: Vec<Reference>,
    /// Where each link's reference is in `references`, by its text's hash.
    referenced: HashMap<u64, usize, BuildPrehashed>,
}

/// A link with a `#part`, and every place it was found.
struct Reference {
    url: Url,
    places: Vec<Source>,
}

impl Crawl {
    pub fn new(options: CrawlOptions) -> Crawl {
        let (crawler, found) = Crawler::channel();
        Crawl {
            options,
            found,
            senders: crawler.senders(),
            held: VecDeque::new(),
            crawler: Some(crawler),
            visited: Fingerprints::new(),
            inputs_open: true,
            pages: 0,
            queries: HashMap::default(),
            hasher: Default::default(),
            anchors: HashMap::default(),
            references: Vec::new(),
            referenced: HashMap::default(),
            reading: false,
        }
    }

    /// Whether a new entry for `url`, reached so, is a page to fetch (then
    /// it counts as one).
    pub fn judge(&mut self, url: &Url, reached: Reached) -> Judged {
        let (depth, site) = match reached {
            Reached::Start => (0, None),
            Reached::Link { depth, site } => {
                if site_of(url) != **site {
                    return Judged::Checked(None);
                }
                (depth + 1, Some(site))
            }
        };
        if depth > self.options.max_depth {
            return Judged::Checked(Some(Stop::Depth));
        }
        if let Some(query) = url.query() {
            let path = &url_key(url)[..url_key(url).len() - query.len() - 1];
            let crawled = self.queries.entry(self.hasher.hash_one(path)).or_default();
            if *crawled >= MAX_QUERIES_PER_PATH {
                return Judged::Checked(Some(Stop::Queries));
            }
            *crawled += 1;
        }
        if !self.visited.insert(url_key(url)) {
            // Crawled already: a page redirected there.
            return Judged::Checked(None);
        }
        if self.pages >= self.options.max_pages {
            return Judged::Checked(Some(Stop::MaxPages));
        }
        self.pages += 1;
        let site = site.cloned().unwrap_or_else(|| site_of(url).into());
        Judged::Page { depth, site }
    }

    /// Counts what a guard stopped.
    pub fn stopped(&self, stop: Stop) {
        let tally = &self.options.tally;
        CrawlTally::add(match stop {
            Stop::Depth => &tally.beyond_depth,
            Stop::MaxPages => &tally.past_max_pages,
            Stop::Queries => &tally.past_query_cap,
        });
    }

    /// The page target for `url`.
    pub fn page(&self, url: Url, depth: u32, site: Arc<str>) -> Page {
        Page {
            url,
            depth,
            site,
            crawler: self
                .crawler
                .clone()
                .expect("pages are made while the inputs or a page's links are read"),
        }
    }

    /// `page` (with its entry's `text` and `source`) to send now, or None
    /// when it is held back until fewer pages are out.
    pub fn hold(&mut self, text: String, source: Source, page: Page) -> Option<Held> {
        self.held.push_back((text, source, page));
        self.release()
    }

    /// The oldest page held back, when it may be sent now. A page out
    /// always comes back (every page target ends with one [`Found`]), and
    /// pages are released as found ones are read: none is held for ever.
    pub fn release(&mut self) -> Option<Held> {
        let own = usize::from(self.crawler.is_some()) + self.held.len();
        let out = self.senders.count().saturating_sub(own);
        if out >= MAX_PAGES_OUT {
            return None;
        }
        self.held.pop_front()
    }

    /// The next page found, if one is: at once, or, with `wait`, when one
    /// comes (none when no page is left: the crawl is over). Starts
    /// reading it: call [`done_reading`](Self::done_reading) after.
    pub fn next_found(&mut self, wait: bool) -> Option<Found> {
        if self.reading {
            return None;
        }
        let (found, crawler) = if wait {
            self.found.blocking_recv()?
        } else {
            self.found.try_recv().ok()?
        };
        self.reading = true;
        if self.crawler.is_none() {
            self.crawler = Some(crawler);
        }
        let tally = &self.options.tally;
        match found.fetched {
            Fetched::Parsed { truncated } => {
                CrawlTally::add(&tally.crawled);
                if truncated {
                    CrawlTally::add(&tally.too_big);
                }
            }
            Fetched::NotHtml => CrawlTally::add(&tally.not_html),
            Fetched::Elsewhere => CrawlTally::add(&tally.elsewhere),
            Fetched::Robots => CrawlTally::add(&tally.robots),
            Fetched::NoPage => CrawlTally::add(&tally.failed),
        }
        if let Some(moved) = &found.moved_to {
            self.visited.insert(url_key(moved));
        }
        if self.options.check_fragments && matches!(found.fetched, Fetched::Parsed { .. }) {
            let mut anchors: Vec<u64> = found
                .anchors
                .iter()
                .map(|anchor| self.hasher.hash_one(anchor))
                .collect();
            anchors.sort_unstable();
            anchors.dedup();
            if let Some(moved) = &found.moved_to {
                let key = self.hasher.hash_one(url_key(moved));
                self.anchors.insert(key, anchors.clone());
            }
            self.anchors
                .insert(self.hasher.hash_one(url_key(&found.url)), anchors);
        }
        Some(found)
    }

    /// With `--check-fragments`: a link to `url` at `place`, on a page of
    /// `site`. Its `#part`, if it has one and `url` is of that site, is
    /// judged at the end.
    pub fn refer(&mut self, url: &Url, place: &Source, site: &str) {
        if !self.options.check_fragments
            || url.fragment().is_none_or(str::is_empty)
            || site_of(url) != site
        {
            return;
        }
        let hash = self.hasher.hash_one(url.as_str());
        match self.referenced.get(&hash) {
            Some(&at) => self.references[at].places.push(place.clone()),
            None => {
                self.referenced.insert(hash, self.references.len());
                self.references.push(Reference {
                    url: url.clone(),
                    places: vec![place.clone()],
                });
            }
        }
    }

    /// The links whose `#part` names nothing in their page, which was read:
    /// each link's text, the problem, and its places, in the order found.
    /// Call once the crawl is over.
    pub fn missing_fragments(&mut self) -> Vec<(String, String, Vec<Source>)> {
        self.referenced.clear();
        let references = std::mem::take(&mut self.references);
        references
            .into_iter()
            .filter_map(|Reference { url, places }| {
                let anchors = self.anchors.get(&self.hasher.hash_one(url_key(&url)))?;
                let problem = missing_fragment(url.fragment()?, |anchor| {
                    anchors.binary_search(&self.hasher.hash_one(anchor)).is_ok()
                })?;
                Some((url.to_string(), problem, places))
            })
            .collect()
    }

    /// The found page's links have been read.
    pub fn done_reading(&mut self) {
        self.reading = false;
        if !self.inputs_open {
            // Its crawler goes: the channel closes with the last page.
            self.crawler = None;
        }
    }

    /// The inputs are read: from now on pages are made only from pages.
    pub fn inputs_done(&mut self) {
        self.inputs_open = false;
        self.crawler = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crawl() -> Crawl {
        Crawl::new(CrawlOptions {
            max_depth: 1,
            max_pages: u64::MAX,
            check_fragments: false,
            tally: Arc::default(),
        })
    }

    /// Makes page `n` and gives it to `hold`: the page when it may go.
    fn page(crawl: &mut Crawl, n: usize) -> Option<Held> {
        let url = Url::parse(&format!("http://a.test/{n}")).unwrap();
        let page = crawl.page(url.clone(), 0, "a.test".into());
        crawl.hold(url.into(), Source::at("list", n as u64, None), page)
    }

    #[test]
    fn pages_past_the_most_out_are_held_until_found_pages_are_read() {
        let mut crawl = crawl();
        let mut out: Vec<Page> = (0..MAX_PAGES_OUT)
            .map(|n| page(&mut crawl, n).expect("room").2)
            .collect();
        for n in MAX_PAGES_OUT..MAX_PAGES_OUT + 3 {
            assert!(page(&mut crawl, n).is_none(), "page {n} is held");
        }
        assert!(crawl.release().is_none());

        // A page comes back: it is out until the input has read it.
        out.pop().unwrap().unread(Fetched::NoPage);
        assert!(crawl.release().is_none());
        assert!(crawl.next_found(false).is_some());
        crawl.done_reading();
        let (text, source, sent) = crawl.release().expect("its place is free");
        out.push(sent);
        assert_eq!(
            text,
            format!("http://a.test/{MAX_PAGES_OUT}"),
            "oldest first"
        );
        assert_eq!(source.line(), Some(MAX_PAGES_OUT as u64));
        assert!(crawl.release().is_none());

        // Pages dropped (an interrupted run's) free their places too, and
        // when no page is held, the channel closes with the last one out.
        out.truncate(out.len() - 5);
        out.extend([crawl.release(), crawl.release()].map(|held| held.unwrap().2));
        assert!(crawl.release().is_none(), "nothing more held");
        crawl.inputs_done();
        drop(out);
        assert!(crawl.next_found(true).is_none());
    }
}
