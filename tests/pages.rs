//! Fetching a page for `--crawl` through the library: one GET that is the
//! page's row and whose HTML body streams through the page parser, against
//! an in-process server that counts what it was asked.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use headcheck::check::{Checked, PageBody};
use headcheck::input::{Link, MAX_PAGE_BYTES, Page, PageParser};
use headcheck::types::{Method, Source, Target, TargetKind, Verdict};
use support::{Reply, Server, engine_runtime, library_checker};

const PAGE: &str = "<html><head><base href=\"/docs/\"></head>\n\
    <body><h1 id=\"intro\">Intro</h1>\n\
    <a href=\"guide.html#start\">guide</a>\n\
    <img src=\"/logo.png\" srcset=\"/logo-2x.png 2x\">\n\
    </body></html>\n";

fn site() -> Server {
    Server::start(|seen| match seen.path.as_str() {
        "/page" => Reply::ok()
            .header("content-type", "text/html; charset=utf-8")
            .body(PAGE),
        "/moved" => Reply::redirect(301, "/page"),
        "/notes.txt" => Reply::ok()
            .header("content-type", "text/plain")
            .body("see <a href=\"/in-text\">this</a> and http://text.test/"),
        "/paper.pdf" => Reply::ok()
            .header("content-type", "application/pdf")
            .body("%PDF-1.7 <a href=\"/in-pdf\">"),
        _ => Reply::status(404)
            .header("content-type", "text/html")
            .body("<a href=\"/from-404\">"),
    })
}

fn target(text: &str) -> Target {
    Target {
        index: 0,
        text: text.to_string(),
        source: Source::at("start", 1, None),
        kind: TargetKind::Check(url::Url::parse(text).unwrap()),
    }
}

/// Fetches `url` with the library's defaults, reading its body (if any)
/// with the page parser.
fn fetch(url: &str) -> (Checked, PageBody, Vec<Link>, Page) {
    let runtime = engine_runtime();
    runtime.block_on(async {
        let checker = library_checker();
        let mut parser = PageParser::new();
        let mut links = Vec::new();
        let (checked, body) = checker
            .fetch_page(
                target(url),
                |_| true,
                |chunk| {
                    links.extend(parser.feed(chunk));
                    parser.wants_more()
                },
            )
            .await;
        let mut page = parser.finish();
        links.append(&mut page.links);
        (checked, body, links, page)
    })
}

fn targets(links: &[Link]) -> Vec<(&str, u64)> {
    links.iter().map(|l| (l.target.as_str(), l.line)).collect()
}

#[test]
fn an_html_page_is_one_get_that_is_its_row_and_its_links() {
    let server = site();
    let (checked, body, links, page) = fetch(&server.url("/moved"));
    assert_eq!(body, PageBody::Read);
    let row = &checked.outcome;
    assert_eq!(row.verdict, Verdict::Ok);
    assert_eq!(row.status, Some(200));
    assert_eq!(row.method, Some(Method::Get));
    assert_eq!(row.redirects, 1);
    assert_eq!(row.final_url.as_deref(), Some(server.url("/page").as_str()));
    assert!(checked.requested);
    assert_eq!(
        targets(&links),
        [
            ("guide.html#start", 3),
            ("/logo.png", 4),
            ("/logo-2x.png", 4)
        ]
    );
    assert_eq!(page.base.as_deref(), Some("/docs/"));
    assert!(page.anchors.contains("intro"));
    // No HEAD first, and one GET of each URL of the chain.
    let methods: Vec<(String, String)> = server
        .seen()
        .into_iter()
        .map(|seen| (seen.method, seen.path))
        .collect();
    assert_eq!(
        methods,
        [
            ("GET".to_string(), "/moved".to_string()),
            ("GET".to_string(), "/page".to_string())
        ]
    );
}

#[test]
fn a_page_that_is_not_html_is_checked_and_never_parsed() {
    let server = site();
    for (path, kind) in [
        ("/notes.txt", "text/plain"),
        ("/paper.pdf", "application/pdf"),
    ] {
        let (checked, body, links, _) = fetch(&server.url(path));
        assert_eq!(checked.outcome.verdict, Verdict::Ok, "{path}");
        assert_eq!(body, PageBody::NotHtml(Some(kind.to_string())), "{path}");
        assert!(links.is_empty(), "{path}: {links:?}");
        assert_eq!(server.seen_at(path).len(), 1);
    }
}

#[test]
fn a_page_whose_status_is_not_accepted_is_its_row_and_not_read() {
    let server = site();
    let (checked, body, links, _) = fetch(&server.url("/gone"));
    assert_eq!(checked.outcome.verdict, Verdict::Broken);
    assert_eq!(checked.outcome.status, Some(404));
    assert_eq!(body, PageBody::NoPage);
    assert!(links.is_empty());
    // The GET is the row: no HEAD, no second GET to confirm.
    let methods: Vec<String> = server.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["GET"]);
}

#[test]
fn a_page_larger_than_the_cap_is_read_to_the_cap_and_dropped() {
    // 40 MB of HTML (no tags) produced as the client reads it.
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let server = Server::start(move |_| {
        Reply::ok()
            .header("content-type", "text/html")
            .huge_body(40 << 20, counter.clone())
    });
    let (checked, body, links, page) = fetch(&server.url("/huge"));
    assert_eq!(checked.outcome.verdict, Verdict::Ok);
    assert_eq!(body, PageBody::Read);
    assert!(links.is_empty());
    assert!(page.truncated);
    // Reading stopped at the cap: the server made little more than it (its
    // socket buffers), far from the whole body.
    let made = sent.load(Ordering::SeqCst);
    assert!(made >= MAX_PAGE_BYTES, "{made}");
    assert!(made < 30 << 20, "{made} bytes made of 40 MiB");
}
