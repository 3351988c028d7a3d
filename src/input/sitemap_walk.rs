//! Walking sitemaps: local or remote documents, sitemap indexes followed to
//! their children, and site roots discovered through robots.txt.
//!
//! Each sitemap is fetched once (loops and self-references end), indexes are
//! followed to a fixed depth, and a few children are fetched ahead of the
//! one being read so that slow servers overlap. A sitemap that cannot be
//! loaded or read becomes an `error` row naming it; the walk goes on.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

use url::Url;

use super::emitter::Emitter;
use super::fetch::{Fetcher, Pending};
use super::list::{ListEntry, ListReader, read_list};
use super::open::prepare;
use super::sitemap_xml::{self, Caps, Item};
use crate::check::MAX_ROBOTS_BYTES;
use crate::types::{Source, TargetKind};

/// How deep sitemap indexes may nest (an index of indexes of sitemaps is
/// depth 2).
pub const MAX_DEPTH: u32 = 5;

/// Child sitemaps fetched ahead of the one being read.
const PREFETCH: usize = 4;

/// How sitemaps are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct SitemapOptions {
    pub caps: Caps,
    /// Check `xhtml:link` alternates too.
    pub alternates: bool,
}

pub struct Walker<'e> {
    options: SitemapOptions,
    fetcher: Option<Fetcher>,
    pub emitter: &'e mut Emitter,
    /// Sitemaps already read or under way, by normalised URL.
    visited: HashSet<String>,
}

/// A child sitemap on its way.
enum Fetch {
    /// Seen before: nothing to do.
    Skip,
    /// Cannot be fetched; why.
    Failed(String),
    Pending(Pending),
}

impl<'e> Walker<'e> {
    pub fn new(
        options: SitemapOptions,
        fetcher: Option<Fetcher>,
        emitter: &'e mut Emitter,
    ) -> Walker<'e> {
        Walker {
            options,
            fetcher,
            emitter,
            visited: HashSet::new(),
        }
    }

    /// `--sitemap URL`: a sitemap or index, or a site root (`https://site/`)
    /// whose sitemaps are the `Sitemap:` lines of its robots.txt, else
    /// `/sitemap.xml`. Returns false when the run should stop reading.
    pub fn remote_root(&mut self, text: &str) -> bool {
        let root = match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => return self.unreadable(text, "not an http(s) URL".to_string()),
        };
        if root.path() != "/" || root.query().is_some() {
            return self.remote(text, 0);
        }
        let listed = self.robots_sitemaps(&root);
        if listed.is_empty() {
            let fallback = root
                .join("/sitemap.xml")
                .map_or_else(|_| text.to_string(), String::from);
            return self.remote(&fallback, 0);
        }
        listed.iter().all(|sitemap| self.remote(sitemap, 0))
    }

    /// The `Sitemap:` lines of a site's robots.txt; none when it has none
    /// or cannot be fetched.
    fn robots_sitemaps(&mut self, root: &Url) -> Vec<String> {
        let (Some(fetcher), Ok(robots)) = (&self.fetcher, root.join("/robots.txt")) else {
            return Vec::new();
        };
        let Ok(body) = fetcher.body(fetcher.start(robots)) else {
            return Vec::new();
        };
        let mut lines = ListReader::new(BufReader::new(body.take(MAX_ROBOTS_BYTES as u64)));
        let mut found = Vec::new();
        while let Ok(Some((_, entry))) = lines.next_entry() {
            if let ListEntry::Text(line) = entry
                && let Some((key, value)) = line.split_once(':')
                && key.trim().eq_ignore_ascii_case("sitemap")
                && !value.trim().is_empty()
            {
                found.push(value.trim().to_string());
            }
        }
        found
    }

    /// Fetches and reads one remote sitemap.
    fn remote(&mut self, text: &str, depth: u32) -> bool {
        match self.start(text, depth) {
            Fetch::Skip => true,
            Fetch::Failed(reason) => self.unreadable(text, reason),
            Fetch::Pending(pending) => self.finish(text, pending, depth),
        }
    }

    fn start(&mut self, text: &str, depth: u32) -> Fetch {
        let url = match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => return Fetch::Failed("not an http(s) URL".to_string()),
        };
        if !self.visited.insert(url.as_str().to_string()) {
            return Fetch::Skip;
        }
        if depth > MAX_DEPTH {
            return Fetch::Failed(format!("sitemap indexes nested deeper than {MAX_DEPTH}"));
        }
        match &self.fetcher {
            Some(fetcher) => Fetch::Pending(fetcher.start(url)),
            None => Fetch::Failed("remote sitemaps cannot be fetched here".to_string()),
        }
    }

    fn finish(&mut self, text: &str, pending: Pending, depth: u32) -> bool {
        let Some(fetcher) = &self.fetcher else {
            return self.unreadable(text, "remote sitemaps cannot be fetched here".to_string());
        };
        let body = match fetcher.body(pending) {
            Ok(body) => body,
            Err(reason) => return self.unreadable(text, reason),
        };
        match prepare(body) {
            Ok((document, true)) => self.sitemap(text, document, depth),
            // sitemaps.org also allows a text file of URLs.
            Ok((document, false)) => read_list(text, document, self.emitter),
            Err(error) => self.unreadable(text, format!("read error: {error}")),
        }
    }

    /// Reads a sitemap document whose rows get `source`; an index's children
    /// are fetched and read after it, in order.
    pub fn sitemap(&mut self, source: &str, document: impl BufRead, depth: u32) -> bool {
        let mut children = Vec::new();
        let mut stopped = false;
        let emitter = &mut *self.emitter;
        let result = sitemap_xml::parse(
            document,
            self.options.caps,
            self.options.alternates,
            |item| match item {
                Item::Page(url) | Item::Alternate(url) => {
                    if emitter.emit(&url, Source::whole(source)) {
                        ControlFlow::Continue(())
                    } else {
                        stopped = true;
                        ControlFlow::Break(())
                    }
                }
                Item::Child(url) => {
                    children.push(url);
                    ControlFlow::Continue(())
                }
            },
        );
        if stopped {
            return false;
        }
        if let Err(err) = result
            && !self.unreadable(source, err.to_string())
        {
            return false;
        }
        self.children(children, depth + 1)
    }

    /// Reads child sitemaps in order, fetching a few ahead.
    fn children(&mut self, children: Vec<String>, depth: u32) -> bool {
        let mut queue = children.into_iter();
        let mut ahead: VecDeque<(String, Fetch)> = VecDeque::new();
        loop {
            while ahead.len() < PREFETCH {
                let Some(child) = queue.next() else { break };
                let fetch = self.start(&child, depth);
                ahead.push_back((child, fetch));
            }
            let Some((child, fetch)) = ahead.pop_front() else {
                return true;
            };
            let keep_going = match fetch {
                Fetch::Skip => true,
                Fetch::Failed(reason) => self.unreadable(&child, reason),
                Fetch::Pending(pending) => self.finish(&child, pending, depth),
            };
            if !keep_going {
                return false;
            }
        }
    }

    /// An `error` row for a sitemap that could not be read.
    fn unreadable(&mut self, sitemap: &str, reason: String) -> bool {
        self.emitter.admit(
            sitemap,
            Source::whole(sitemap),
            TargetKind::Unreadable(format!("sitemap: {reason}")),
        )
    }
}

/// Reads `reader` to the end: only for tests of the module's helpers.
#[cfg(test)]
fn read_all(mut reader: impl Read) -> String {
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_documents_are_decompressed_and_recognised() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(b"<urlset></urlset>").unwrap();
        let (document, xml) = prepare(std::io::Cursor::new(gz.finish().unwrap())).unwrap();
        assert!(xml);
        assert_eq!(read_all(document), "<urlset></urlset>");
        let (document, xml) = prepare(std::io::Cursor::new(b"http://a.test/\n".to_vec())).unwrap();
        assert!(!xml);
        assert_eq!(read_all(document), "http://a.test/\n");
    }
}
