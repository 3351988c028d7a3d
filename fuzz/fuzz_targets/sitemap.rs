//! Fuzzes the sitemap reader as a fetched or local document goes through it:
//! gzip (any number of layers up to two), UTF-16, then the XML parser, under
//! small caps. Any bytes must give items that keep the parser's promises,
//! within the caps, never a panic.
#![no_main]

use std::ops::ControlFlow;

use headcheck::input::Caps;
use headcheck::input::fuzzing::{Item, Kind, parse, prepare};
use libfuzzer_sys::fuzz_target;

const URLS: u64 = 1000;

fuzz_target!(|data: &[u8]| {
    let Ok((document, _)) = prepare(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let caps = Caps {
        urls: Some(URLS),
        bytes: Some(1 << 20),
    };
    let mut items = Vec::new();
    let result = parse(document, caps, true, |item| {
        items.push(item);
        ControlFlow::Continue(())
    });
    assert!(items.len() as u64 <= URLS, "the URL cap holds");
    for item in &items {
        let (Item::Page(text) | Item::Alternate(text) | Item::Child(text)) = item;
        assert!(!text.is_empty());
        assert_eq!(text.trim(), text);
    }
    match result {
        Ok(Some(Kind::UrlSet)) => {
            assert!(!items.iter().any(|i| matches!(i, Item::Child(_))));
        }
        Ok(Some(Kind::Index)) => {
            assert!(items.iter().all(|i| matches!(i, Item::Child(_))));
        }
        Ok(None) => assert!(items.is_empty(), "no root, no items"),
        Err(_) => {}
    }
});
