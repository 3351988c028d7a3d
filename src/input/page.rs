//! A web page's links as its body streams in, for `--crawl`: the bytes go
//! through the HTML tokenizer used for local documents chunk by chunk, as
//! they arrive, and the page is never held whole. Links come out as they
//! are found, with their lines; the page's anchors (`id`, `<a name>`) and
//! `<base href>` are kept for the end. Past [`MAX_PAGE_BYTES`] the rest of
//! the body is not read.
//!
//! Where the body is cut into chunks never changes what is found: a UTF-8
//! sequence or a carriage return (whose next byte says whether it ends a
//! line) at the end of a chunk is held for the next one, and the tokenizer
//! keeps its own state between chunks. Bytes that are not UTF-8 are
//! percent-encoded as they are, as in lists.

use std::collections::HashSet;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Tokenizer};

use super::links::{HtmlSink, Link, without_lone_cr};
use super::list::push_decoded;

/// The most of a page's body that is read for links.
pub const MAX_PAGE_BYTES: u64 = 10 * 1024 * 1024;

/// What a whole page held.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Page {
    /// The links found since the last [`PageParser::feed`].
    pub links: Vec<Link>,
    /// Its first `<base href>`, as written.
    pub base: Option<String>,
    /// The fragments it defines.
    pub anchors: HashSet<String>,
    /// Whether the body went on past [`MAX_PAGE_BYTES`] (the rest was not
    /// read).
    pub truncated: bool,
}

/// Reads a page's links from its body, chunk by chunk.
pub struct PageParser {
    tokenizer: Tokenizer<HtmlSink>,
    input: BufferQueue,
    /// The end of the last chunk when it could not be decoded alone: an
    /// unfinished UTF-8 sequence, or a carriage return.
    held: Vec<u8>,
    /// Bytes taken so far.
    read: u64,
    truncated: bool,
}

impl Default for PageParser {
    fn default() -> Self {
        PageParser::new()
    }
}

impl PageParser {
    pub fn new() -> PageParser {
        PageParser {
            tokenizer: Tokenizer::new(HtmlSink::new(), Default::default()),
            input: BufferQueue::default(),
            held: Vec::new(),
            read: 0,
            truncated: false,
        }
    }

    /// Reads the next `chunk` of the body: the links it completes, in page
    /// order. Returns nothing once the page has reached [`MAX_PAGE_BYTES`]
    /// ([`wants_more`](Self::wants_more) says so).
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Link> {
        if !self.wants_more() {
            self.truncated |= !chunk.is_empty();
            return Vec::new();
        }
        let room = usize::try_from(MAX_PAGE_BYTES - self.read).unwrap_or(usize::MAX);
        let taken = &chunk[..chunk.len().min(room)];
        self.truncated = taken.len() < chunk.len();
        self.read += taken.len() as u64;
        let mut bytes = std::mem::take(&mut self.held);
        bytes.extend_from_slice(taken);
        let keep = held_back(&bytes);
        self.held = bytes.split_off(bytes.len() - keep);
        self.tokenize(&bytes);
        std::mem::take(&mut self.tokenizer.sink.found.borrow_mut().links)
    }

    /// Whether the body is still read (it has not reached the cap).
    pub fn wants_more(&self) -> bool {
        self.read < MAX_PAGE_BYTES
    }

    /// The page's `<base href>`, once the tokenizer has met it.
    pub fn base(&self) -> Option<String> {
        self.tokenizer.sink.found.borrow().base.clone()
    }

    /// The body has ended: the links still to come, and what the page
    /// defines.
    pub fn finish(mut self) -> Page {
        let held = std::mem::take(&mut self.held);
        self.tokenize(&held);
        self.tokenizer.end();
        let sink = &self.tokenizer.sink;
        let found = sink.found.take();
        Page {
            links: found.links,
            base: found.base,
            anchors: sink.anchors.take(),
            truncated: self.truncated,
        }
    }

    fn tokenize(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut text = String::with_capacity(bytes.len());
        push_decoded(bytes, &mut text);
        self.input
            .push_back(StrTendril::from_slice(&without_lone_cr(&text)));
        let _ = self.tokenizer.feed(&self.input);
    }
}

/// How many bytes at the end of `bytes` cannot be decoded before the next
/// ones are known: the start of a UTF-8 sequence that is not complete yet,
/// or a carriage return (a line's end only when no line feed follows).
fn held_back(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for k in 1..=len.min(3) {
        let byte = bytes[len - k];
        if byte & 0xC0 == 0x80 {
            // A continuation byte: its sequence starts further back.
            continue;
        }
        let needs = match byte {
            0xF0..=0xF7 => 4,
            0xE0..=0xEF => 3,
            0xC2..=0xDF => 2,
            _ => 1,
        };
        if needs > k {
            return k;
        }
        break;
    }
    usize::from(bytes.last() == Some(&b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!doctype html>\r\n<html><head><base href=\"/docs/\">\r\n\
        <title>a <a href=\"/not-a-link\"> in a title</title>\r\
        <link rel=\"stylesheet\" href=\"style.css\"></head>\n\
        <body><h1 id=\"top\">Caf\u{e9} \u{1F980}</h1>\n\
        <a href=\"/caf\u{e9}?a=1&amp;b=2\">caf\u{e9}</a><a name=\"old\"></a>\n\
        <script>var s = '<a href=\"/in-script\">';</script>\n\
        <!-- <a href=\"/in-comment\"> -->\n\
        <img srcset=\"small.png 1x, big.png 2x\" src=\"img.png\">\n\
        <p>text with http://bare.test/ in it</p>\r\n\
        <a\nhref=\"/split\nline\">x</a><a href=\"#top\">up</a>\n";

    fn whole(bytes: &[u8]) -> (Vec<Link>, Page) {
        chunked(bytes, &[bytes.len()])
    }

    /// Parses `bytes` cut after each of `cuts` (offsets, increasing).
    fn chunked(bytes: &[u8], cuts: &[usize]) -> (Vec<Link>, Page) {
        let mut parser = PageParser::new();
        let mut links = Vec::new();
        let mut from = 0;
        for &cut in cuts {
            links.extend(parser.feed(&bytes[from..cut]));
            from = cut;
        }
        links.extend(parser.feed(&bytes[from..]));
        let mut page = parser.finish();
        links.append(&mut page.links);
        (links, page)
    }

    #[test]
    fn a_pages_links_lines_anchors_and_base() {
        let (links, page) = whole(PAGE.as_bytes());
        let found: Vec<(&str, u64)> = links.iter().map(|l| (l.target.as_str(), l.line)).collect();
        assert_eq!(
            found,
            [
                ("style.css", 3),
                ("/caf\u{e9}?a=1&b=2", 5),
                ("img.png", 8),
                ("small.png", 8),
                ("big.png", 8),
                // A tag over several lines is on the line where it ends,
                // as in local documents (the tokenizer's count).
                ("/split\nline", 12),
                ("#top", 12),
            ]
        );
        assert_eq!(page.base.as_deref(), Some("/docs/"));
        let anchors: HashSet<String> = ["top", "old"].map(String::from).into();
        assert_eq!(page.anchors, anchors);
        assert!(!page.truncated);
    }

    #[test]
    fn where_the_body_is_cut_changes_nothing() {
        let bytes = PAGE.as_bytes();
        let (links, page) = whole(bytes);
        for cut in 0..=bytes.len() {
            assert_eq!(
                chunked(bytes, &[cut]),
                (links.clone(), page.clone()),
                "cut at {cut}"
            );
        }
        for size in 1..8 {
            let cuts: Vec<usize> = (size..bytes.len()).step_by(size).collect();
            assert_eq!(
                chunked(bytes, &cuts),
                (links.clone(), page.clone()),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_percent_encoded_wherever_the_cut() {
        let bytes = b"<a href=\"/caf\xe9\">x</a>\n<a href=\"/\xe2\x82\">y</a>";
        let (links, _) = whole(bytes);
        let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(targets, ["/caf%E9", "/%E2%82"]);
        for cut in 0..=bytes.len() {
            assert_eq!(chunked(bytes, &[cut]).0, links, "cut at {cut}");
        }
    }

    #[test]
    fn a_body_past_the_cap_is_read_to_the_cap_only() {
        let mut parser = PageParser::new();
        let head = b"<a href=\"/first\">x</a>";
        assert_eq!(parser.feed(head).len(), 1);
        let filler = vec![b' '; 1 << 20];
        let mut fed = head.len() as u64;
        while parser.wants_more() {
            parser.feed(&filler);
            fed += filler.len() as u64;
        }
        assert!(fed > MAX_PAGE_BYTES);
        assert!(parser.feed(b"<a href=\"/after\">y</a>").is_empty());
        let page = parser.finish();
        assert!(page.truncated);
        assert!(page.links.is_empty());
        // A body of exactly the cap is whole.
        let mut parser = PageParser::new();
        parser.feed(&vec![b' '; MAX_PAGE_BYTES as usize]);
        assert!(!parser.wants_more());
        assert!(!parser.finish().truncated);
    }

    #[test]
    fn what_is_held_back_at_a_chunks_end() {
        assert_eq!(held_back(b"abc"), 0);
        assert_eq!(held_back(b"abc\r"), 1);
        assert_eq!(held_back("é".as_bytes()), 0);
        assert_eq!(held_back(&"é".as_bytes()[..1]), 1);
        assert_eq!(held_back(&"\u{1F980}".as_bytes()[..3]), 3);
        assert_eq!(held_back(&"\u{1F980}".as_bytes()[..2]), 2);
        assert_eq!(held_back("\u{1F980}".as_bytes()), 0);
        // Not UTF-8 at all: nothing to wait for.
        assert_eq!(held_back(b"a\xff"), 0);
        assert_eq!(held_back(b"a\x80"), 0);
    }
}
