//! Fuzzes the plain-list reader and the classification of each entry: any
//! bytes must give entries that keep the reader's promises, never a panic.
#![no_main]

use headcheck::input::{Filter, ListEntry, ListReader, MAX_LINE_BYTES, classify_entry};
use headcheck::types::TargetKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut list = ListReader::new(data);
    let filter = Filter::default();
    let mut last_line = 0;
    while let Some((line, entry)) = list.next_entry().expect("reading memory cannot fail") {
        assert!(line > last_line, "line numbers increase");
        last_line = line;
        let ListEntry::Text(text) = entry else {
            continue;
        };
        assert!(!text.is_empty());
        assert!(!text.starts_with('#'));
        assert_eq!(text.trim(), text);
        assert!(!text.contains('\n'));
        // A byte that is not UTF-8 becomes a 3-byte %XX at most.
        assert!(text.len() <= 3 * MAX_LINE_BYTES);
        if let TargetKind::Check(url) = classify_entry(text, &filter) {
            assert!(matches!(url.scheme(), "http" | "https"));
            assert!(url.host_str().is_some_and(|h| !h.is_empty()));
        }
    }
});
