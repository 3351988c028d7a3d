//! Sitemaps (sitemaps.org): recognising a document by its content, and a
//! streaming parse of `<urlset>` and `<sitemapindex>`.
//!
//! The parse never holds the document: quick-xml reads it event by event
//! from a buffered reader, each `<loc>` is handed on as soon as it is read,
//! and the safety caps (URLs and uncompressed bytes per file) stop a huge or
//! hostile document — a gzip bomb included — at the cap.

use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;

use flate2::bufread::MultiGzDecoder;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// The namespace sitemaps declare. It names the format, it is never fetched;
/// the parser matches local names, so any or no namespace is accepted.
pub const SITEMAP_NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// The namespace of `xhtml:link` alternates (also only a name).
pub const XHTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

/// The sitemaps.org limits, enforced per file unless lifted.
pub const MAX_URLS: u64 = 50_000;
pub const MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Per-file caps; `None` lifts one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub urls: Option<u64>,
    pub bytes: Option<u64>,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            urls: Some(MAX_URLS),
            bytes: Some(MAX_BYTES),
        }
    }
}

impl Caps {
    pub const NONE: Caps = Caps {
        urls: None,
        bytes: None,
    };
}

/// What a document turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    UrlSet,
    Index,
}

/// One thing a sitemap lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A page: `<url><loc>`.
    Page(String),
    /// An alternate of a page: `<url><xhtml:link href>`.
    Alternate(String),
    /// A child sitemap: `<sitemapindex><sitemap><loc>`.
    Child(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("malformed XML at line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("not a sitemap: the root element is <{0}>, not <urlset> or <sitemapindex>")]
    NotASitemap(String),
    #[error(
        "more than {0} URLs in one sitemap (the sitemaps.org limit; --no-sitemap-limits reads on)"
    )]
    TooManyUrls(u64),
    #[error(
        "larger than {} MB uncompressed (the sitemaps.org limit; --no-sitemap-limits reads on)",
        .0 / (1024 * 1024)
    )]
    TooLarge(u64),
    #[error("read error: {0}")]
    Io(io::Error),
}

/// Layers of gzip undone: a `.gz` file served with `Content-Encoding: gzip`
/// (reqwest does not decode it) is compressed twice.
const GZIP_LAYERS: usize = 2;

/// A readable document: decompressed when it is gzip (recognised by its
/// magic bytes, whatever its name or Content-Type says), up to
/// [`GZIP_LAYERS`] times.
pub fn decompressed<'a, R: BufRead + Send + 'a>(
    reader: R,
) -> io::Result<Box<dyn BufRead + Send + 'a>> {
    let mut reader: Box<dyn BufRead + Send + 'a> = Box::new(reader);
    for _ in 0..GZIP_LAYERS {
        if !reader.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
            break;
        }
        reader = Box::new(BufReader::with_capacity(
            64 * 1024,
            MultiGzDecoder::new(reader),
        ));
    }
    Ok(reader)
}

/// Whether a (decompressed) document is XML rather than a plain list: its
/// first character after a byte-order mark and white space is `<`, which no
/// URL line starts with.
pub fn looks_like_xml<R: BufRead>(reader: &mut R) -> io::Result<bool> {
    let head = reader.fill_buf()?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    Ok(head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<'))
}

/// Parses a sitemap or sitemap index, handing each item to `on_item` as it
/// is read (return `Break` to stop early). Alternates (`xhtml:link`) are
/// reported only when `alternates` is set.
pub fn parse<R: BufRead>(
    reader: R,
    caps: Caps,
    alternates: bool,
    mut on_item: impl FnMut(Item) -> ControlFlow<()>,
) -> Result<Option<Kind>, SitemapError> {
    let mut xml = quick_xml::Reader::from_reader(Tracked::new(reader, caps.bytes));
    xml.config_mut().trim_text(false);
    let mut buf = Vec::new();
    // Local names (namespace prefixes dropped) of the open elements.
    let mut path: Vec<String> = Vec::new();
    let mut kind = None;
    let mut loc: Option<String> = None;
    let mut items = 0u64;

    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => {
                let tracked = xml.get_ref();
                return Err(match tracked.overflow {
                    Some(cap) => SitemapError::TooLarge(cap),
                    None => match err {
                        quick_xml::Error::Io(io) => {
                            SitemapError::Io(io::Error::new(io.kind(), io.to_string()))
                        }
                        other => SitemapError::Malformed {
                            line: tracked.line(),
                            message: other.to_string(),
                        },
                    },
                });
            }
        };
        match event {
            Event::Start(start) => {
                let name = start.local_name().into_inner().to_string();
                if path.is_empty() {
                    kind = Some(root_kind(&name)?);
                }
                if name == "loc" && in_loc_parent(&path, kind) {
                    loc = Some(String::new());
                }
                path.push(name);
            }
            Event::Empty(empty) => {
                let name = empty.local_name().into_inner();
                if path.is_empty() {
                    kind = Some(root_kind(name)?);
                }
                if alternates
                    && name == "link"
                    && path.last().is_some_and(|p| p == "url")
                    && kind == Some(Kind::UrlSet)
                {
                    let href = empty
                        .try_get_attribute("href")
                        .ok()
                        .flatten()
                        .and_then(|a| {
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        });
                    if let Some(href) = href {
                        let href = href.trim().to_string();
                        if !href.is_empty() {
                            items += 1;
                            check_count(items, caps)?;
                            if on_item(Item::Alternate(href)).is_break() {
                                return Ok(kind);
                            }
                        }
                    }
                }
            }
            Event::Text(text) => {
                if let Some(loc) = &mut loc {
                    loc.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(loc) = &mut loc {
                    loc.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(loc) = &mut loc {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        _ => {
                            let name = reference.into_inner();
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| SitemapError::Malformed {
                                    line: xml.get_ref().line(),
                                    message: format!("unknown entity &{name};"),
                                })?
                                .to_string()
                        }
                    };
                    loc.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let closed = path.pop();
                if closed.as_deref() == Some("loc")
                    && let Some(text) = loc.take()
                {
                    let text = text.trim();
                    if !text.is_empty() {
                        items += 1;
                        check_count(items, caps)?;
                        let item = match kind {
                            Some(Kind::Index) => Item::Child(text.to_string()),
                            _ => Item::Page(text.to_string()),
                        };
                        if on_item(item).is_break() {
                            return Ok(kind);
                        }
                    }
                }
            }
            Event::Eof => {
                if !path.is_empty() {
                    return Err(SitemapError::Malformed {
                        line: xml.get_ref().line(),
                        message: format!(
                            "the document ends inside <{}>",
                            path.last().map_or("", String::as_str)
                        ),
                    });
                }
                return Ok(kind);
            }
            _ => {}
        }
    }
}

fn root_kind(name: &str) -> Result<Kind, SitemapError> {
    match name {
        "urlset" => Ok(Kind::UrlSet),
        "sitemapindex" => Ok(Kind::Index),
        other => Err(SitemapError::NotASitemap(other.to_string())),
    }
}

/// `<loc>` counts only directly under `<url>` (a urlset) or `<sitemap>` (an
/// index): `<image:loc>` and friends live deeper and are not pages.
fn in_loc_parent(path: &[String], kind: Option<Kind>) -> bool {
    let parent = match kind {
        Some(Kind::UrlSet) => "url",
        Some(Kind::Index) => "sitemap",
        None => return false,
    };
    path.len() == 2 && path[1] == parent
}

fn check_count(items: u64, caps: Caps) -> Result<(), SitemapError> {
    match caps.urls {
        Some(cap) if items > cap => Err(SitemapError::TooManyUrls(cap)),
        _ => Ok(()),
    }
}

/// Counts lines and bytes as the parser consumes them, and refuses to go
/// past the byte cap.
struct Tracked<R> {
    inner: R,
    consumed: u64,
    newlines: u64,
    cap: Option<u64>,
    overflow: Option<u64>,
}

impl<R: BufRead> Tracked<R> {
    fn new(inner: R, cap: Option<u64>) -> Self {
        Tracked {
            inner,
            consumed: 0,
            newlines: 0,
            cap,
            overflow: None,
        }
    }

    /// The 1-based line the parser has reached.
    fn line(&self) -> u64 {
        self.newlines + 1
    }
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(cap) = self.cap
            && self.consumed >= cap
        {
            // Anything left past the cap is refused, without reading (or
            // decompressing) it.
            let more = !self.inner.fill_buf()?.is_empty();
            if more {
                self.overflow = Some(cap);
                return Err(io::Error::other("sitemap size cap reached"));
            }
        }
        let buf = self.inner.fill_buf()?;
        let allowed = match self.cap {
            Some(cap) => buf
                .len()
                .min(usize::try_from(cap - self.consumed).unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        Ok(&buf[..allowed])
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amount = amount.min(buf.len());
            self.newlines += buf[..amount].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(xml: &str, alternates: bool) -> Result<Vec<Item>, SitemapError> {
        let mut out = Vec::new();
        parse(xml.as_bytes(), Caps::default(), alternates, |item| {
            out.push(item);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    #[test]
    fn urlset_locs_with_entities_cdata_whitespace_and_namespaces() {
        let xml = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"\n\
                    xmlns:xhtml=\"http://www.w3.org/1999/xhtml\"\n\
                    xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n\
              <url>\n  <loc>\n   http://a.test/?x=1&amp;y=2\n  </loc>\n\
                <xhtml:link rel=\"alternate\" hreflang=\"de\" href=\"http://a.test/de\"/>\n\
                <image:image><image:loc>http://a.test/pic.png</image:loc></image:image>\n\
              </url>\n\
              <url><loc><![CDATA[http://b.test/<b>]]></loc><lastmod>2026-01-01</lastmod></url>\n\
              <url><loc>http://c.test/&#233;</loc></url>\n\
            </urlset>";
        assert_eq!(
            items(xml, false).unwrap(),
            [
                Item::Page("http://a.test/?x=1&y=2".into()),
                Item::Page("http://b.test/<b>".into()),
                Item::Page("http://c.test/é".into()),
            ]
        );
        assert!(
            items(xml, true)
                .unwrap()
                .contains(&Item::Alternate("http://a.test/de".into()))
        );
    }

    #[test]
    fn index_lists_children() {
        let xml = "<sitemapindex><sitemap><loc>http://a.test/1.xml</loc></sitemap>\
                   <sitemap><loc>http://a.test/2.xml.gz</loc></sitemap></sitemapindex>";
        assert_eq!(
            items(xml, false).unwrap(),
            [
                Item::Child("http://a.test/1.xml".into()),
                Item::Child("http://a.test/2.xml.gz".into()),
            ]
        );
    }

    #[test]
    fn malformed_xml_names_the_line() {
        let xml =
            "<urlset>\n<url><loc>http://a.test/</loc></url>\n<url><loc>x</lo></url>\n</urlset>";
        match items(xml, false) {
            Err(SitemapError::Malformed { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            items("<urlset><url><loc>http://a.test/", false),
            Err(SitemapError::Malformed { .. })
        ));
        assert!(matches!(
            items("<html><body/></html>", false),
            Err(SitemapError::NotASitemap(_))
        ));
    }

    #[test]
    fn url_cap_stops_the_parse() {
        let mut xml = String::from("<urlset>");
        for i in 0..5 {
            xml.push_str(&format!("<url><loc>http://a.test/{i}</loc></url>"));
        }
        xml.push_str("</urlset>");
        let caps = Caps {
            urls: Some(3),
            bytes: None,
        };
        let mut seen = 0;
        let result = parse(xml.as_bytes(), caps, false, |_| {
            seen += 1;
            ControlFlow::Continue(())
        });
        assert!(matches!(result, Err(SitemapError::TooManyUrls(3))));
        assert_eq!(seen, 3);
    }

    #[test]
    fn byte_cap_stops_a_gzip_bomb() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        // 64 gzip members of 1 MiB of spaces each: 64 MiB from a few KB.
        let mut member = GzEncoder::new(Vec::new(), Compression::best());
        member.write_all(b"<urlset>").unwrap();
        member.write_all(&vec![b' '; 1 << 20]).unwrap();
        let first = member.finish().unwrap();
        let mut filler = GzEncoder::new(Vec::new(), Compression::best());
        filler.write_all(&vec![b' '; 1 << 20]).unwrap();
        let filler = filler.finish().unwrap();
        let mut bomb = first;
        for _ in 0..63 {
            bomb.extend_from_slice(&filler);
        }
        assert!(bomb.len() < 200 * 1024);
        let reader = decompressed(bomb.as_slice()).unwrap();
        let caps = Caps {
            urls: None,
            bytes: Some(8 << 20),
        };
        let result = parse(reader, caps, false, |_| ControlFlow::Continue(()));
        assert!(
            matches!(result, Err(SitemapError::TooLarge(cap)) if cap == 8 << 20),
            "{result:?}"
        );
    }

    #[test]
    fn content_decides_xml_or_list() {
        assert!(looks_like_xml(&mut "\u{feff}  \n<?xml?>".as_bytes()).unwrap());
        assert!(looks_like_xml(&mut "<urlset>".as_bytes()).unwrap());
        assert!(!looks_like_xml(&mut "http://a.test/\n".as_bytes()).unwrap());
        assert!(!looks_like_xml(&mut "".as_bytes()).unwrap());
    }
}
