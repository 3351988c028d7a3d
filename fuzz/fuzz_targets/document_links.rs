//! Fuzzes link extraction from Markdown, HTML and plain text (the first
//! byte picks the kind): every link found is on a line of the document, a
//! bare URL in text literally so, and nothing panics.
#![no_main]

use headcheck::input::fuzzing::{DocumentKind, anchors, extract};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let kind = match first % 3 {
        0 => DocumentKind::Markdown,
        1 => DocumentKind::Html,
        _ => DocumentKind::Text,
    };
    let text = String::from_utf8_lossy(rest);
    let lines: Vec<&str> = text.split('\n').collect();
    let found = extract(kind, &text);
    let mut last = 0;
    for link in &found.links {
        assert!(
            link.line >= 1 && link.line as usize <= lines.len(),
            "line {} of {}",
            link.line,
            lines.len()
        );
        if kind == DocumentKind::Text {
            assert!(
                lines[link.line as usize - 1].contains(link.target.as_str()),
                "{:?} on line {}",
                link.target,
                link.line
            );
            assert!(link.line >= last, "bare URLs come in text order");
            last = link.line;
        }
    }
    let _ = anchors(kind, &text);
});
