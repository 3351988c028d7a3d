//! Fuzzes the streamed page parser of `--crawl`: the same bytes cut into
//! chunks at any boundaries (the first bytes pick them) give the same links,
//! lines, anchors and base as one chunk, and nothing panics.
#![no_main]

use headcheck::input::fuzzing::{Link, Page, PageParser};
use libfuzzer_sys::fuzz_target;

/// Parses `body` in chunks of the sizes in `sizes` (cycled; 0 means 1).
fn parse(body: &[u8], sizes: &[u8]) -> (Vec<Link>, Page) {
    let mut parser = PageParser::new();
    let mut links = Vec::new();
    let mut rest = body;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let size = sizes.next().map_or(rest.len(), |&s| usize::from(s.max(1)));
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        links.extend(parser.feed(chunk));
        rest = after;
    }
    let mut page = parser.finish();
    links.append(&mut page.links);
    (links, page)
}

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let (sizes, body) = rest.split_at(usize::from(count % 16).min(rest.len()));
    let whole = parse(body, &[]);
    let lines = body.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
    for link in &whole.0 {
        assert!(link.line >= 1 && link.line <= lines, "line {} of {lines}", link.line);
    }
    assert_eq!(parse(body, sizes), whole);
});
