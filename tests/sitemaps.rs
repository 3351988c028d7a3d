//! Sitemaps: local and remote, plain and gzip, indexes, robots.txt
//! discovery, broken and hostile sitemaps, and the safety caps.

mod support;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use headcheck::input::{SITEMAP_NAMESPACE, XHTML_NAMESPACE};
use support::{Csv, Reply, Server, gzip, headcheck, run, sitemap_index, urlset};

/// Documents served by path.
type Documents = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A server with pages `/page/...` (ok), `/gone/...` (404), and sitemaps
/// registered by path.
struct Site {
    server: Server,
    documents: Documents,
}

impl Site {
    fn new() -> Site {
        let documents: Documents = Arc::default();
        let served = Arc::clone(&documents);
        let server = Server::start(move |seen| {
            if seen.path.starts_with("/page/") {
                return Reply::ok();
            }
            let documents = served.lock().unwrap();
            match documents.iter().find(|(path, _)| *path == seen.path) {
                Some((_, body)) => Reply::ok().body(body.clone()),
                None => Reply::status(404),
            }
        });
        Site { server, documents }
    }

    fn serve(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.documents
            .lock()
            .unwrap()
            .push((path.to_string(), body.into()));
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    fn pages(&self, prefix: &str, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| self.url(&format!("/page/{prefix}{i}")))
            .collect()
    }

    /// How many times `path` was requested.
    fn fetched(&self, path: &str) -> usize {
        self.server.seen_at(path).len()
    }
}

#[test]
fn local_urlset_is_recognised_by_content() {
    let site = Site::new();
    let pages = site.pages("a", 3);
    let file = tempfile::Builder::new().suffix(".txt").tempfile().unwrap();
    std::fs::write(file.path(), urlset(&pages)).unwrap();
    let path = file.path().to_str().unwrap();
    let (csv, _, code) = run(&[path]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(csv.col("url"), pages);
    assert_eq!(csv.col("source"), [path; 3], "source is the sitemap");
}

#[test]
fn gzip_sitemap_is_recognised_by_magic_bytes_in_files_and_stdin() {
    let site = Site::new();
    let pages = site.pages("gz", 2);
    let compressed = gzip(urlset(&pages).as_bytes());
    let file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    std::fs::write(file.path(), &compressed).unwrap();
    let (csv, _, _) = run(&[file.path().to_str().unwrap()]);
    assert_eq!(csv.col("url"), pages);

    let output = headcheck()
        .arg("-")
        .write_stdin(compressed)
        .output()
        .unwrap();
    let csv = Csv::parse(&output.stdout);
    assert_eq!(csv.col("url"), pages);
    assert_eq!(csv.col("source"), ["stdin", "stdin"]);
}

#[test]
fn remote_index_leads_to_its_children_one_gzipped() {
    let site = Site::new();
    let (one, two) = (site.pages("one-", 2), site.pages("two-", 2));
    site.serve("/one.xml", urlset(&one));
    site.serve("/two.xml.gz", gzip(urlset(&two).as_bytes()));
    site.serve(
        "/index.xml",
        sitemap_index(&[site.url("/one.xml"), site.url("/two.xml.gz")]),
    );
    let (csv, _, code) = run(&["--sitemap", &site.url("/index.xml")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    let mut expected = one.clone();
    expected.extend(two.clone());
    assert_eq!(csv.col("url"), expected);
    assert_eq!(
        csv.col("source"),
        [
            site.url("/one.xml"),
            site.url("/one.xml"),
            site.url("/two.xml.gz"),
            site.url("/two.xml.gz")
        ]
    );
}

#[test]
fn children_are_fetched_ahead_within_the_per_host_limit() {
    // Each child sitemap is answered only once two child fetches are in
    // flight together: fetched one after the other, they would never be.
    // With --per-host 2, a third is never seen at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let in_flight = Arc::new(Mutex::new((0usize, 0usize)));
    let (b, f) = (Arc::clone(&barrier), Arc::clone(&in_flight));
    let server = Server::start(move |seen| {
        let host = seen.header("host").unwrap().to_string();
        if seen.path == "/index.xml" {
            let children: Vec<String> = (0..6)
                .map(|i| format!("http://{host}/child{i}.xml"))
                .collect();
            return Reply::ok().body(sitemap_index(&children));
        }
        if seen.path.starts_with("/child") {
            {
                let mut counts = f.lock().unwrap();
                counts.0 += 1;
                counts.1 = counts.1.max(counts.0);
            }
            let page = format!("http://{host}/page{}", seen.path.trim_end_matches(".xml"));
            let (b, f) = (Arc::clone(&b), Arc::clone(&f));
            return Reply::ok().body(urlset(&[page])).after(async move {
                b.wait().await;
                f.lock().unwrap().0 -= 1;
            });
        }
        Reply::ok()
    });
    let (csv, _, code) = run(&["--per-host", "2", "--sitemap", &server.url("/index.xml")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(csv.rows.len(), 6);
    assert_eq!(in_flight.lock().unwrap().1, 2);
}

#[test]
fn nested_indexes_are_followed() {
    let site = Site::new();
    let pages = site.pages("deep", 2);
    site.serve("/leaf.xml", urlset(&pages));
    site.serve("/middle.xml", sitemap_index(&[site.url("/leaf.xml")]));
    site.serve("/top.xml", sitemap_index(&[site.url("/middle.xml")]));
    let (csv, _, _) = run(&["--sitemap", &site.url("/top.xml")]);
    assert_eq!(csv.col("url"), pages);
}

#[test]
fn index_loops_end_and_each_sitemap_is_fetched_once() {
    let site = Site::new();
    let pages = site.pages("loop", 1);
    site.serve(
        "/a.xml",
        sitemap_index(&[
            site.url("/a.xml"),
            site.url("/b.xml"),
            site.url("/leaf.xml"),
        ]),
    );
    site.serve(
        "/b.xml",
        sitemap_index(&[site.url("/a.xml"), site.url("/leaf.xml")]),
    );
    site.serve("/leaf.xml", urlset(&pages));
    let (csv, _, code) = run(&["--sitemap", &site.url("/a.xml")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(csv.col("url"), pages);
    for path in ["/a.xml", "/b.xml", "/leaf.xml"] {
        assert_eq!(site.fetched(path), 1, "{path}");
    }
}

#[test]
fn site_root_finds_sitemaps_in_robots_txt() {
    let site = Site::new();
    let pages = site.pages("robots", 2);
    site.serve("/maps/main.xml", urlset(&pages));
    site.serve(
        "/robots.txt",
        format!(
            "User-agent: *\nDisallow: /private\n\n# our sitemap\nSitemap: {}\n",
            site.url("/maps/main.xml")
        ),
    );
    let (csv, _, code) = run(&["--sitemap", &site.url("/")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(csv.col("url"), pages);
    assert_eq!(site.fetched("/sitemap.xml"), 0);
}

#[test]
fn site_root_falls_back_to_sitemap_xml() {
    let site = Site::new();
    let pages = site.pages("fallback", 2);
    site.serve("/sitemap.xml", urlset(&pages));
    let (csv, _, _) = run(&["--sitemap", &site.url("/")]);
    assert_eq!(csv.col("url"), pages);
    assert_eq!(site.fetched("/robots.txt"), 1);
}

#[test]
fn a_broken_child_is_an_error_row_and_the_rest_go_on() {
    let site = Site::new();
    let pages = site.pages("ok", 2);
    site.serve("/good.xml", urlset(&pages));
    site.serve(
        "/index.xml",
        sitemap_index(&[site.url("/missing.xml"), site.url("/good.xml")]),
    );
    let (csv, _, code) = run(&["--sitemap", &site.url("/index.xml")]);
    assert_eq!(code, 1);
    let missing = site.url("/missing.xml");
    assert_eq!(csv.get(0, "url"), missing);
    assert_eq!(csv.get(0, "source"), missing, "the source names the child");
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "sitemap: HTTP 404");
    assert_eq!(csv.col("url")[1..], pages);
}

#[test]
fn malformed_xml_is_an_error_row_naming_the_file_and_line() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "<urlset>\n<url><loc>http://127.0.0.1:1/a</loc></url>\n<url><loc>oops</lock></url>\n",
    )
    .unwrap();
    let path = file.path().to_str().unwrap();
    let (csv, stderr, code) = run(&["--retries", "0", path]);
    assert_eq!(code, 1);
    let row = csv.row(path);
    assert_eq!(csv.get(row, "result"), "error");
    assert!(
        csv.get(row, "error")
            .starts_with("sitemap: malformed XML at line 3"),
        "{:?}",
        csv.rows[row]
    );
    assert!(stderr.contains("malformed XML at line 3"), "{stderr}");
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_cap() {
    // 64 gzip members of 1 MiB of white space: 64 MiB from about 70 KB.
    let site = Site::new();
    let mut member = String::from("<urlset>");
    member.push_str(&" ".repeat(1 << 20));
    let mut bomb = gzip(member.as_bytes());
    let filler = gzip(" ".repeat(1 << 20).as_bytes());
    for _ in 0..63 {
        bomb.extend_from_slice(&filler);
    }
    assert!(bomb.len() < 256 * 1024);
    site.serve("/bomb.xml.gz", bomb);
    let (csv, _, code) = run(&["--sitemap", &site.url("/bomb.xml.gz")]);
    assert_eq!(code, 1);
    assert_eq!(csv.rows.len(), 1);
    assert!(
        csv.get(0, "error")
            .contains("larger than 50 MB uncompressed"),
        "{:?}",
        csv.rows
    );
}

#[test]
fn the_url_cap_stops_a_sitemap_unless_lifted() {
    let many: Vec<String> = (0..50_001)
        .map(|i| format!("http://cap.test/{i}"))
        .collect();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), urlset(&many)).unwrap();
    let path = file.path().to_str().unwrap();
    // --exclude keeps the URLs from being requested: only the cap matters.
    let (csv, _, _) = run(&["--exclude", ".", path]);
    assert_eq!(csv.rows.len(), 50_001, "50,000 URLs and the error row");
    let last = csv.rows.len() - 1;
    assert_eq!(csv.get(last, "url"), path);
    assert!(csv.get(last, "error").contains("more than 50000 URLs"));

    let (csv, _, code) = run(&["--exclude", ".", "--no-sitemap-limits", path]);
    assert_eq!(code, 0);
    assert_eq!(csv.rows.len(), 50_001);
    assert!(csv.col("result").iter().all(|r| *r == "skipped"));
}

#[test]
fn checks_start_before_the_sitemap_is_fully_read() {
    // The sitemap's second half is sent only once its first page has been
    // requested: a reader that waited for the whole document would never
    // get it (and the run would not end).
    let (sender, pieces) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let first_half = sender.clone();
    let pieces = Mutex::new(Some(pieces));
    let rest = Mutex::new(Some(sender));
    let server = Server::start(move |seen| match seen.path.as_str() {
        "/stream.xml" => {
            let pieces = pieces.lock().unwrap().take().expect("fetched once");
            Reply::ok().streamed(pieces)
        }
        "/page/first" => {
            if let Some(rest) = rest.lock().unwrap().take() {
                let host = seen.header("host").unwrap();
                let tail = format!("<url><loc>http://{host}/page/second</loc></url></urlset>\n");
                let _ = rest.send(Bytes::from(tail));
            }
            Reply::ok()
        }
        _ => Reply::ok(),
    });
    let head = format!(
        "<urlset><url><loc>{}</loc></url>\n",
        server.url("/page/first")
    );
    first_half.send(Bytes::from(head)).unwrap();
    drop(first_half);
    let (csv, _, code) = run(&["--sitemap", &server.url("/stream.xml")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(
        csv.col("url"),
        [server.url("/page/first"), server.url("/page/second")]
    );
}

#[test]
fn alternates_are_checked_only_when_asked() {
    let site = Site::new();
    let page = site.url("/page/en");
    let alternate = site.url("/page/de");
    site.serve(
        "/alt.xml",
        format!(
            "<urlset xmlns=\"{SITEMAP_NAMESPACE}\" xmlns:xhtml=\"{XHTML_NAMESPACE}\">\
             <url><loc>{page}</loc>\
             <xhtml:link rel=\"alternate\" hreflang=\"de\" href=\"{alternate}\"/></url></urlset>"
        ),
    );
    let (csv, _, _) = run(&["--sitemap", &site.url("/alt.xml")]);
    assert_eq!(csv.col("url"), [page.as_str()]);
    let (csv, _, _) = run(&["--sitemap-alternates", "--sitemap", &site.url("/alt.xml")]);
    assert_eq!(csv.col("url"), [page.as_str(), alternate.as_str()]);
}

#[test]
fn entities_cdata_and_whitespace_in_loc_are_understood() {
    let site = Site::new();
    site.serve(
        "/odd.xml",
        format!(
            "\u{feff}<?xml version=\"1.0\"?>\n<urlset>\n<url><loc>\n   {}?a=1&amp;b=2\n</loc></url>\n\
             <url><loc><![CDATA[{}]]></loc></url>\n</urlset>",
            site.url("/page/q"),
            site.url("/page/cdata")
        ),
    );
    let (csv, _, code) = run(&["--sitemap", &site.url("/odd.xml")]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(
        csv.col("url"),
        [site.url("/page/q?a=1&b=2"), site.url("/page/cdata")]
    );
    assert_eq!(site.server.seen_at("/page/q?a=1&b=2").len(), 1);
}
