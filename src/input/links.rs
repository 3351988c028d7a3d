//! Links in documents: Markdown (pulldown-cmark), HTML (html5ever's
//! tokenizer) and plain text (linkify), each with the line it is on, and
//! the anchors a document defines (for `--check-fragments`).
//!
//! Code is never read for links: Markdown code blocks and inline code are
//! skipped by the parser, and in HTML only attributes of tags are read, never
//! text.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, StartTag, Tag, TagToken, Token, TokenSink, TokenSinkResult, Tokenizer,
};
use pulldown_cmark::{Event, Options, Parser, Tag as MdTag, TagEnd};

/// What kind of document a file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Markdown,
    Html,
    /// Prose with URLs in it (a `.txt` file met in a directory).
    Text,
}

impl DocumentKind {
    /// Markdown and HTML by extension; `None` for anything else.
    pub fn of_name(name: &str) -> Option<DocumentKind> {
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(DocumentKind::Markdown),
            "html" | "htm" => Some(DocumentKind::Html),
            _ => None,
        }
    }
}

/// One link as written in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The destination as written (entities and escapes already decoded).
    pub target: String,
    /// 1-based line of the link.
    pub line: u64,
    /// 1-based column (in characters) where the link starts, where known:
    /// Markdown and plain text; not HTML, whose tokenizer counts lines only.
    pub column: Option<u32>,
}

/// The links of a document, in document order, and the `<base href>` of an
/// HTML document.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Links {
    pub links: Vec<Link>,
    pub base: Option<String>,
}

pub fn extract(kind: DocumentKind, text: &str) -> Links {
    match kind {
        DocumentKind::Markdown => markdown(text),
        DocumentKind::Html => {
            let mut found = Links::default();
            html(text, 1, &mut found, &mut HashSet::new());
            found
        }
        DocumentKind::Text => Links {
            links: bare_urls(text, 0, &Lines::new(text)),
            base: None,
        },
    }
}

/// Why `fragment` (as a link writes it, percent-encoded) names nothing in
/// its page or document, whose anchors `has` is asked about: `fragment #x
/// not found`; or none when it names something. `#top` always does: it
/// scrolls to the top of an HTML page.
pub(super) fn missing_fragment(fragment: &str, has: impl FnOnce(&str) -> bool) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
    if decoded.eq_ignore_ascii_case("top") || has(&decoded) {
        None
    } else {
        Some(format!("fragment #{decoded} not found"))
    }
}

/// The anchors (`#fragment` targets) a document defines.
pub fn anchors(kind: DocumentKind, text: &str) -> HashSet<String> {
    match kind {
        DocumentKind::Markdown => markdown_anchors(text),
        DocumentKind::Html => {
            let mut ids = HashSet::new();
            html(text, 1, &mut Links::default(), &mut ids);
            ids
        }
        DocumentKind::Text => HashSet::new(),
    }
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Inline links, reference links (at the place of use), autolinks, images,
/// links in raw HTML, and bare URLs in text (GitHub shows those as links).
fn markdown(text: &str) -> Links {
    let lines = Lines::new(text);
    let mut found = Links::default();
    // Text inside a link is its label, not another link; text in a code
    // block is code.
    let mut in_link = 0usize;
    let mut in_code = false;
    // An HTML block arrives a line at a time; a tag may span lines.
    let mut html_block: Option<(u64, String)> = None;
    // The parser may split one run of text into several events (at `_`,
    // say): bare URLs are looked for in the whole run of source text.
    let mut run: Option<std::ops::Range<usize>> = None;
    let flush = |run: &mut Option<std::ops::Range<usize>>, found: &mut Links| {
        if let Some(range) = run.take() {
            found
                .links
                .extend(bare_urls(&text[range.clone()], range.start, &lines));
        }
    };
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        if let Event::Text(_) = event
            && in_link == 0
            && !in_code
        {
            run = match run.take() {
                Some(previous) if previous.end == range.start => Some(previous.start..range.end),
                previous => {
                    flush(&mut previous.clone(), &mut found);
                    Some(range)
                }
            };
            continue;
        }
        flush(&mut run, &mut found);
        match event {
            Event::Start(MdTag::Link { dest_url, .. } | MdTag::Image { dest_url, .. }) => {
                in_link += 1;
                if !dest_url.is_empty() {
                    found.links.push(Link {
                        target: dest_url.into_string(),
                        line: lines.line_of(range.start),
                        column: Some(lines.column_of(range.start)),
                    });
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => in_link = in_link.saturating_sub(1),
            Event::Start(MdTag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(MdTag::HtmlBlock) => {
                html_block = Some((lines.line_of(range.start), String::new()));
            }
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((line, block)) = html_block.take() {
                    html(&block, line, &mut found, &mut HashSet::new());
                }
            }
            Event::Html(html_text) => match &mut html_block {
                Some((_, block)) => block.push_str(&html_text),
                None => {
                    let line = lines.line_of(range.start);
                    html(&html_text, line, &mut found, &mut HashSet::new());
                }
            },
            Event::InlineHtml(html_text) => {
                let line = lines.line_of(range.start);
                html(&html_text, line, &mut found, &mut HashSet::new());
            }
            _ => {}
        }
    }
    flush(&mut run, &mut found);
    // A `<base href>` in raw HTML sets the base, as in an HTML document.
    found
}

/// Heading anchors as GitHub makes them (`## Install it` → `install-it`,
/// repeats numbered `-1`, `-2`), explicit `{#id}` attributes, and `id` /
/// `name` attributes in raw HTML.
fn markdown_anchors(text: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    let mut heading: Option<(Option<String>, String)> = None;
    for event in Parser::new_ext(text, markdown_options()) {
        match event {
            Event::Start(MdTag::Heading { id, .. }) => {
                heading = Some((id.map(|id| id.into_string()), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, title)) = &mut heading {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((id, title)) = heading.take() {
                    let anchor = id.unwrap_or_else(|| github_slug(&title));
                    let mut unique = anchor.clone();
                    let mut n = 0;
                    while anchors.contains(&unique) {
                        n += 1;
                        unique = format!("{anchor}-{n}");
                    }
                    anchors.insert(unique);
                }
            }
            Event::Html(html_text) | Event::InlineHtml(html_text) => {
                html(&html_text, 1, &mut Links::default(), &mut anchors);
            }
            _ => {}
        }
    }
    anchors
}

/// GitHub's heading anchor: lower case, punctuation dropped (but `-` and
/// `_`), spaces to `-`.
fn github_slug(title: &str) -> String {
    title
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// URLs in prose (linkify), with their lines; `offset` is where `text`
/// starts in the document that `lines` indexes.
fn bare_urls(text: &str, offset: usize, lines: &Lines) -> Vec<Link> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    finder
        .links(text)
        .filter(|link| {
            let found = link.as_str();
            found.starts_with("http://") || found.starts_with("https://")
        })
        .map(|link| Link {
            target: link.as_str().to_string(),
            line: lines.line_of(offset + link.start()),
            column: Some(lines.column_of(offset + link.start())),
        })
        .collect()
}

/// A document and the byte offsets of its line starts, to turn an offset
/// into a line and a column.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    fn line_of(&self, offset: usize) -> u64 {
        self.starts.partition_point(|&start| start <= offset) as u64
    }

    /// The 1-based column of `offset`, in characters, as editors count.
    fn column_of(&self, offset: usize) -> u32 {
        let line = self.line_of(offset) as usize;
        let start = self.starts[line.saturating_sub(1)];
        let before = self.text.get(start..offset).unwrap_or_default();
        u32::try_from(before.chars().count() + 1).unwrap_or(u32::MAX)
    }
}

/// `text` with every carriage return that does not end a CRLF turned into
/// a space. The HTML tokenizer counts a lone CR as a line end; every other
/// count here (Markdown offsets, `source` columns, editors, CI annotations)
/// counts line feeds, so a link after one was reported a line too far.
/// (Found by the `document_links` fuzz target.)
pub(super) fn without_lone_cr(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !bytes.contains(&b'\r') || !(0..bytes.len()).any(lone) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.char_indices()
            .map(|(i, c)| if c == '\r' && lone(i) { ' ' } else { c })
            .collect(),
    )
}

/// Tokenizes HTML (a document, or raw HTML inside Markdown starting on
/// `first_line`), adding link attributes to `found` and anchor names (`id`,
/// `<a name>`) to `anchors`.
fn html(text: &str, first_line: u64, found: &mut Links, anchors: &mut HashSet<String>) {
    let before = found.links.len();
    let sink = HtmlSink {
        first_line,
        found: RefCell::new(std::mem::take(found)),
        anchors: RefCell::new(std::mem::take(anchors)),
    };
    let tokenizer = Tokenizer::new(sink, Default::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&without_lone_cr(text)));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let sink = tokenizer.sink;
    *found = sink.found.into_inner();
    *anchors = sink.anchors.into_inner();
    attribute_lines(text, first_line, &mut found.links[before..]);
}

/// The tokenizer tells a tag's line by its closing `>`: a link in a tag
/// that spans lines (`<a\n  href="…"\n  class="x">`) is put on the line of
/// its value instead, looked for from that line back to the tag's `<`. A
/// value written differently (with character references) keeps the line of
/// the `>`.
fn attribute_lines(text: &str, first_line: u64, links: &mut [Link]) {
    if links.is_empty() {
        return;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    for link in links {
        let Some(end) = link
            .line
            .checked_sub(first_line)
            .and_then(|at| usize::try_from(at).ok())
            .filter(|at| *at < lines.len())
        else {
            continue;
        };
        for at in (0..=end).rev() {
            if lines[at].contains(link.target.as_str()) {
                link.line = first_line + at as u64;
                break;
            }
            if at < end && lines[at].contains('<') {
                // The tag's first line, and no value on it.
                break;
            }
        }
    }
}

/// What the HTML tokenizer hands its tokens to: it keeps the links and the
/// anchors of the document (or of a page as it streams, `page`).
pub(super) struct HtmlSink {
    first_line: u64,
    pub(super) found: RefCell<Links>,
    pub(super) anchors: RefCell<HashSet<String>>,
}

impl HtmlSink {
    /// A sink for a document that starts on line 1.
    pub(super) fn new() -> HtmlSink {
        HtmlSink {
            first_line: 1,
            found: RefCell::default(),
            anchors: RefCell::default(),
        }
    }
}

/// Attributes that hold a link, by element.
fn link_attributes(element: &str) -> &'static [&'static str] {
    match element {
        "a" | "area" => &["href"],
        "link" => &["href"],
        "img" => &["src", "srcset"],
        "source" => &["src", "srcset"],
        "script" | "iframe" | "embed" | "track" => &["src"],
        "video" => &["src", "poster"],
        "audio" => &["src"],
        _ => &[],
    }
}

impl HtmlSink {
    fn tag(&self, tag: &Tag, line: u64) {
        let element = &*tag.name;
        let attribute = |name: &str| {
            tag.attrs
                .iter()
                .find(|a| a.name.ns.is_empty() && &*a.name.local == name)
                .map(|a| a.value.trim().to_string())
        };
        let mut anchors = self.anchors.borrow_mut();
        if let Some(id) = attribute("id").filter(|id| !id.is_empty()) {
            anchors.insert(id);
        }
        if element == "a"
            && let Some(name) = attribute("name").filter(|name| !name.is_empty())
        {
            anchors.insert(name);
        }
        let mut found = self.found.borrow_mut();
        if element == "base" {
            if found.base.is_none() {
                found.base = attribute("href").filter(|href| !href.is_empty());
            }
            return;
        }
        if element == "link"
            && attribute("rel").is_some_and(|rel| {
                rel.split_ascii_whitespace().any(|r| {
                    r.eq_ignore_ascii_case("preconnect") || r.eq_ignore_ascii_case("dns-prefetch")
                })
            })
        {
            // Origins to warm up, not documents.
            return;
        }
        for name in link_attributes(element) {
            let Some(value) = attribute(name) else {
                continue;
            };
            if *name == "srcset" {
                // "a.png 1x, b.png 2x": a URL, then a descriptor.
                for candidate in value.split(',') {
                    if let Some(url) = candidate.split_ascii_whitespace().next() {
                        found.links.push(Link {
                            target: url.to_string(),
                            line,
                            column: None,
                        });
                    }
                }
            } else if !value.is_empty() {
                found.links.push(Link {
                    target: value,
                    line,
                    column: None,
                });
            }
        }
    }
}

impl TokenSink for HtmlSink {
    type Handle = ();

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<()> {
        let TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != StartTag {
            return TokenSinkResult::Continue;
        }
        self.tag(&tag, self.first_line + line_number - 1);
        if tag.self_closing {
            return TokenSinkResult::Continue;
        }
        // The tokenizer needs to be told where text is raw, as a tree
        // builder would, so that `<script>` bodies are not read as tags.
        match &*tag.name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(links: &Links) -> Vec<(&str, u64)> {
        links
            .links
            .iter()
            .map(|l| (l.target.as_str(), l.line))
            .collect()
    }

    #[test]
    fn markdown_and_text_links_know_their_column_html_ones_do_not() {
        let columns = |kind, text| {
            extract(kind, text)
                .links
                .iter()
                .map(|l| (l.line, l.column))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            columns(
                DocumentKind::Markdown,
                "# Title\n  Über [x](http://a.test/) and http://b.test/\n"
            ),
            [(2, Some(8)), (2, Some(32))]
        );
        assert_eq!(
            columns(DocumentKind::Text, "one\n\tsee http://a.test/x\n"),
            [(2, Some(6))]
        );
        assert_eq!(
            columns(DocumentKind::Html, "<p>\n <a href=\"http://a.test/\">a</a>"),
            [(2, None)]
        );
    }

    #[test]
    fn markdown_links_of_every_kind_with_lines() {
        let text = "# Title\n\
            An [inline](https://a.test/inline \"t\") link and ![an image](img/logo.png).\n\
            A [reference][ref], a [collapsed][] and a [shortcut].\n\
            An autolink <https://a.test/auto> and a bare https://a.test/bare_url_x.\n\
            \n\
            ```sh\n\
            curl https://a.test/in-a-code-block\n\
            ```\n\
            \n\
            Inline `https://a.test/inline-code` code.\n\
            \n\
            \x20   https://a.test/indented-code\n\
            \n\
            <a href=\"https://a.test/raw-html\">raw</a>\n\
            <div>\n\
            <img\n\
              src=\"https://a.test/html-block.png\">\n\
            </div>\n\
            \n\
            [ref]: https://a.test/reference\n\
            [collapsed]: https://a.test/collapsed\n\
            [shortcut]: ../other.md#part\n";
        let links = extract(DocumentKind::Markdown, text);
        assert_eq!(
            targets(&links),
            vec![
                ("https://a.test/inline", 2),
                ("img/logo.png", 2),
                ("https://a.test/reference", 3),
                ("https://a.test/collapsed", 3),
                ("../other.md#part", 3),
                ("https://a.test/auto", 4),
                ("https://a.test/bare_url_x", 4),
                ("https://a.test/raw-html", 14),
                // A tag spanning lines is on the line where it ends.
                ("https://a.test/html-block.png", 17),
            ]
        );
    }

    #[test]
    fn html_lines_count_line_feeds_only() {
        let lines = |text: &str| -> Vec<u64> {
            extract(DocumentKind::Html, text)
                .links
                .iter()
                .map(|link| link.line)
                .collect()
        };
        assert_eq!(
            lines("<p>a\r<a href=\"x\">x</a>\n<a href=\"y\">y</a>"),
            [1, 2]
        );
        assert_eq!(lines("<p>a\r\n<a href=\"x\">x</a>"), [2]);
    }

    #[test]
    fn a_link_in_a_tag_across_lines_is_on_the_line_of_its_value() {
        let text = "<p>intro</p>\n<a\n  class=\"x\"\n  href=\"https://a.test/\"\n  title=\"t\"\n>a</a>\n\
                    <img src=\"one.png\" srcset=\"\n  two.png 2x\">\n<a href=\"&#104;ttps://b.test/\"\n>b</a>";
        let found = extract(DocumentKind::Html, text);
        assert_eq!(
            targets(&found),
            [
                ("https://a.test/", 4),
                ("one.png", 7),
                ("two.png", 8),
                ("https://b.test/", 10)
            ]
        );
        // The same in Markdown's raw HTML, which starts further down.
        let markdown = format!("# Title\n\n{text}\n");
        let found = extract(DocumentKind::Markdown, &markdown);
        assert_eq!(found.links[0].line, 6);
    }

    #[test]
    fn a_base_in_markdowns_raw_html_is_the_documents_base() {
        let found = extract(
            DocumentKind::Markdown,
            "<base href=\"https://site.test/docs/\">\n\n[a](guide.md)\n",
        );
        assert_eq!(found.base.as_deref(), Some("https://site.test/docs/"));
    }

    #[test]
    fn html_links_of_every_kind_with_lines() {
        let text = "<!doctype html>\n\
            <html><head>\n\
            <base href=\"https://site.test/docs/\">\n\
            <link rel=\"stylesheet\" href=\"style.css\">\n\
            <link rel=\"preconnect\" href=\"https://fonts.test\">\n\
            <script src=\"app.js\"></script>\n\
            <script>var a = '<a href=\"https://a.test/in-script\">';</script>\n\
            </head><body>\n\
            <a href=\"https://a.test/a?x=1&amp;y=2\" id=\"top-link\">a</a>\n\
            <img src=\"logo.png\" srcset=\"logo-2x.png 2x, logo-3x.png 3x\">\n\
            <pre><code>https://a.test/in-code &lt;a href=\"https://a.test/escaped\"&gt;</code></pre>\n\
            <!-- <a href=\"https://a.test/commented\"> -->\n\
            <a name=\"old-anchor\"></a><h2 id=\"usage\">Usage</h2>\n\
            <textarea><a href=\"https://a.test/in-textarea\"></textarea>\n\
            </body></html>\n";
        let links = extract(DocumentKind::Html, text);
        assert_eq!(links.base.as_deref(), Some("https://site.test/docs/"));
        assert_eq!(
            targets(&links),
            vec![
                ("style.css", 4),
                ("app.js", 6),
                ("https://a.test/a?x=1&y=2", 9),
                ("logo.png", 10),
                ("logo-2x.png", 10),
                ("logo-3x.png", 10),
            ]
        );
        let anchors = anchors(DocumentKind::Html, text);
        for anchor in ["top-link", "old-anchor", "usage"] {
            assert!(anchors.contains(anchor), "{anchor} in {anchors:?}");
        }
    }

    #[test]
    fn markdown_anchors_follow_github() {
        let text = "# Getting Started!\n## Install `headcheck`\n## FAQ\n## FAQ\n\
            ## Custom {#custom-id}\n<a id=\"raw-anchor\"></a>\n";
        let anchors = anchors(DocumentKind::Markdown, text);
        for anchor in [
            "getting-started",
            "install-headcheck",
            "faq",
            "faq-1",
            "custom-id",
            "raw-anchor",
        ] {
            assert!(anchors.contains(anchor), "{anchor} in {anchors:?}");
        }
    }

    #[test]
    fn text_urls_are_found_in_prose() {
        let text = "See https://a.test/one.\nAnd (https://a.test/two) or mailto:x@a.test\n";
        let links = extract(DocumentKind::Text, text);
        assert_eq!(
            targets(&links),
            vec![("https://a.test/one", 1), ("https://a.test/two", 2)]
        );
    }

    #[test]
    fn document_kinds_by_extension() {
        assert_eq!(
            DocumentKind::of_name("README.md"),
            Some(DocumentKind::Markdown)
        );
        assert_eq!(
            DocumentKind::of_name("a.MARKDOWN"),
            Some(DocumentKind::Markdown)
        );
        assert_eq!(DocumentKind::of_name("x.htm"), Some(DocumentKind::Html));
        assert_eq!(DocumentKind::of_name("urls.txt"), None);
        assert_eq!(DocumentKind::of_name("Makefile"), None);
    }
}
