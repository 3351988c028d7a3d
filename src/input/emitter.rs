//! The emitter: numbers entries in input order, tells repeats apart (each
//! later place of an entry goes on as an [`Entry::Again`], without a row of
//! its own), keeps this shard's part, and puts known rows (`--resume`, `--cache`) in place of a
//! check. It is the one door into the run's channel: every entry, a line
//! too long to read and an unreadable input included, goes through the
//! repeats and the shard, so that shards merged hold each row once. When
//! crawling, the links found on pages come in through it too, between the
//! inputs' entries and after them ([`crawl`](super::crawl)).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::classify::{Filter, classify_entry};
use super::crawl::{Crawl, Judged, Reached};
use super::fingerprints::Fingerprints;
use crate::cache::Fresh;
use crate::resume::Resumed;
use crate::shard::Shard;
use crate::types::{Entry, Error, Origin, Outcome, Source, Target, TargetKind, entry_key, url_key};

/// Numbers targets, drops duplicates and classifies each entry.
pub struct Emitter {
    filter: Filter,
    resumed: Resumed,
    cache: Option<Arc<Fresh>>,
    shard: Option<Shard>,
    tx: mpsc::Sender<Result<Entry, Error>>,
    seen: Fingerprints,
    next_index: u64,
    /// `--crawl`: which entries are pages, and the links found on them.
    crawl: Option<Crawl>,
}

impl Emitter {
    pub fn new(
        filter: Filter,
        resumed: Resumed,
        cache: Option<Arc<Fresh>>,
        shard: Option<Shard>,
        tx: mpsc::Sender<Result<Entry, Error>>,
        crawl: Option<Crawl>,
    ) -> Self {
        Emitter {
            filter,
            resumed,
            cache,
            shard,
            tx,
            seen: Fingerprints::new(),
            next_index: 0,
            crawl,
        }
    }

    /// An input's entry: a URL argument, a list's or a sitemap's (a start
    /// page when crawling). Returns false when nobody listens any more.
    pub fn emit(&mut self, text: &str, source: Source) -> bool {
        let kind = classify_entry(text, &self.filter);
        self.enter(text, source, kind, Some(Reached::Start))
    }

    /// A link found in a local document: checked, never crawled.
    pub fn emit_link(&mut self, text: &str, source: Source) -> bool {
        let kind = classify_entry(text, &self.filter);
        self.enter(text, source, kind, None)
    }

    /// Like [`Emitter::emit`] for an entry already judged (a file on
    /// disk): only the `--include`/`--exclude` patterns still apply.
    pub fn emit_as(&mut self, text: &str, source: Source, kind: TargetKind) -> bool {
        let kind = match self.filter.skip_reason(text) {
            Some(reason) => TargetKind::Skipped(reason),
            None => kind,
        };
        self.admit(text, source, kind)
    }

    /// Sends an entry (or its earlier row when resuming), or, when it was
    /// seen before, its place.
    pub fn admit(&mut self, text: &str, source: Source, kind: TargetKind) -> bool {
        self.enter(text, source, kind, None)
    }

    /// Sends an entry reached so (when it may be a page of a crawl).
    fn enter(
        &mut self,
        text: &str,
        source: Source,
        kind: TargetKind,
        reached: Option<Reached>,
    ) -> bool {
        let key = entry_key(&kind, text);
        let new = self.seen.insert(key);
        if self.shard.is_some_and(|shard| !shard.keeps(&kind, text)) {
            return true;
        }
        if !new {
            let again = Entry::Again {
                key: key.to_string(),
                source,
            };
            return self.tx.blocking_send(Ok(again)).is_ok() && self.read_found(false);
        }
        let kind = match (kind, reached, &mut self.crawl) {
            (TargetKind::Check(url), Some(reached), Some(crawl)) => {
                match crawl.judge(&url, reached) {
                    // A page is fetched for its links: never a known row.
                    Judged::Page { depth, site } => {
                        let page = crawl.page(url, depth, site);
                        return match crawl.hold(text.to_string(), source, page) {
                            Some((text, source, page)) => {
                                self.send(text, source, TargetKind::Page(page))
                            }
                            // Sent when fewer pages are out.
                            None => true,
                        };
                    }
                    Judged::Checked(stop) => {
                        if let Some(stop) = stop {
                            crawl.stopped(stop);
                        }
                        TargetKind::Check(url)
                    }
                }
            }
            (kind, ..) => kind,
        };
        let key = entry_key(&kind, text);
        let cached = || match (&kind, &self.cache) {
            (TargetKind::Check(_), Some(cache)) => cache.row(key, text, &source),
            _ => None,
        };
        let resumed = self.resumed.take(key).map(|row| Outcome {
            origin: Origin::Resumed,
            novelty: None,
            ..row
        });
        let known = resumed.or_else(cached);
        let kind = match known {
            Some(row) => TargetKind::Known(Box::new(row)),
            None => kind,
        };
        self.send(text.to_string(), source, kind)
    }

    /// Sends an entry whose text is not what tells it apart (a line too
    /// long to read says `(line too long)` wherever it is; a directory's
    /// unreadable entries all name the directory): each `place` once, and
    /// only in the shard that keeps the text.
    pub fn admit_place(
        &mut self,
        place: &str,
        text: &str,
        source: Source,
        kind: TargetKind,
    ) -> bool {
        // No entry's text holds a newline: this key is no other entry's.
        if !self.seen.insert(&format!("{text}\n{place}")) {
            return true;
        }
        if self.shard.is_some_and(|shard| !shard.keeps(&kind, text)) {
            return true;
        }
        self.send(text.to_string(), source, kind)
    }

    /// Ends the stream with an input error (exit status 2). Returns false.
    pub fn fail(&mut self, err: Error) -> bool {
        let _ = self.tx.blocking_send(Err(err));
        false
    }

    /// The inputs are read. When crawling, reads the links of the pages
    /// found until no page is left (the run has fetched them all).
    pub fn finish(&mut self) {
        let Some(crawl) = &mut self.crawl else {
            return;
        };
        crawl.inputs_done();
        if !self.read_found(true) {
            return;
        }
        let missing = self.crawl.as_mut().map(Crawl::missing_fragments);
        for (text, problem, places) in missing.into_iter().flatten() {
            for place in places {
                let kind = TargetKind::MissingFragment(problem.clone());
                if !self.admit(&text, place, kind) {
                    return;
                }
            }
        }
    }

    fn send(&mut self, text: String, source: Source, kind: TargetKind) -> bool {
        self.send_only(text, source, kind) && self.read_found(false)
    }

    /// Sends an entry, without reading found pages after it.
    fn send_only(&mut self, text: String, source: Source, kind: TargetKind) -> bool {
        let target = Target {
            index: self.next_index,
            text,
            source,
            kind,
        };
        self.next_index += 1;
        self.tx.blocking_send(Ok(Entry::New(target))).is_ok()
    }

    /// When crawling, sends the pages held back that may go now.
    fn send_held(&mut self) -> bool {
        while let Some((text, source, page)) = self.crawl.as_mut().and_then(Crawl::release) {
            if !self.send_only(text, source, TargetKind::Page(page)) {
                return false;
            }
        }
        true
    }

    /// When crawling, sends the links of the pages found so far (with
    /// `wait`, of every page until none is left), between the inputs'
    /// entries, so that found links never pile up. Returns false when
    /// nobody listens any more.
    fn read_found(&mut self, wait: bool) -> bool {
        loop {
            if !self.send_held() {
                return false;
            }
            let Some(found) = self.crawl.as_mut().and_then(|crawl| crawl.next_found(wait)) else {
                return true;
            };
            let reached = Reached::Link {
                depth: found.depth,
                site: &found.site,
            };
            let page = &found.url;
            let mut listening = true;
            for link in &found.links {
                let (text, source) = (&link.text, found.place(link));
                let kind = classify_entry(text, &self.filter);
                if let (TargetKind::Check(url), Some(crawl)) = (&kind, &mut self.crawl) {
                    crawl.refer(url, &source, &found.site);
                    // A link within the page (`#part`) has nothing more to
                    // check: the page is fetched already.
                    if url_key(url) == url_key(page) {
                        continue;
                    }
                }
                listening = self.enter(text, source, kind, Some(reached));
                if !listening {
                    break;
                }
            }
            // Its links are read: pages held back may take its place.
            listening = listening && self.send_held();
            if let Some(crawl) = &mut self.crawl {
                crawl.done_reading();
            }
            if !listening {
                return false;
            }
        }
    }
}
