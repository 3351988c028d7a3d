//! `--crawl`: the links on pages, checked through the real binary against
//! an in-process site (names ending in `.test`, sent to the server with
//! `--resolve`) that counts what it was asked.

mod support;

use std::sync::{Arc, OnceLock};

use support::{Reply, Server, closed_port, resolve_all, run};

/// A page of HTML.
fn html(body: &str) -> Reply {
    Reply::ok()
        .header("content-type", "text/html; charset=utf-8")
        .body(body.to_string())
}

/// A page of HTML whose links to `OTHER` go to `other`.
fn with_other(other: &str, body: &str) -> Reply {
    html(&body.replace("OTHER", other))
}

/// Site a.test (its start page `/`, same-site pages two levels deep, a
/// redirect, a style sheet, dead links) and other.test, one server.
fn site() -> Server {
    // Links to the other site name the server's port, known once it runs.
    let port = Arc::new(OnceLock::new());
    let known = port.clone();
    let other = move |path: &str| format!("http://other.test:{}{path}", known.get().unwrap());
    let server = Server::start(move |seen| match (seen.host(), seen.path.as_str()) {
        ("a.test", "/") => with_other(
            &other(""),
            "<html><head>\n\
             <link rel=\"stylesheet\" href=\"/style.css\">\n\
             </head><body>\n\
             <a href=\"/one\">one</a> <a href=\"/one#part\">part</a>\n\
             <a href=\"/gone\">gone</a>\n\
             <a href=\"OTHER/x\">other</a>\n\
             <a href=\"/moved\">moved</a> <a href=\"#top\">top</a>\n\
             <a href=\"mailto:someone@a.test\">mail</a>\n\
             </body></html>\n",
        ),
        ("a.test", "/one") => with_other(
            &other(""),
            "<a href=\"/deep\">deep</a>\n\
             <a href=\"/\">home</a>\n\
             <a href=\"gone\">gone again</a>\n\
             <a href=\"OTHER/dead\">dead</a>\n",
        ),
        ("a.test", "/deep") => html("<a href=\"/deeper\">deeper</a>\n"),
        ("a.test", "/deeper") => html("<a href=\"/deepest\">deepest</a>\n"),
        ("a.test", "/moved") => Reply::redirect(301, "/three"),
        ("a.test", "/three") => html("<a href=\"/three\">itself</a>\n"),
        ("a.test", "/style.css") => Reply::ok()
            .header("content-type", "text/css")
            .body("body { background: url(/in-css.png) }"),
        ("other.test", "/x") => html("<a href=\"/never\">never</a>\n"),
        ("other.test", "/dead") => Reply::status(404),
        _ => Reply::status(404).header("content-type", "text/html"),
    });
    port.set(server.port()).unwrap();
    server
}

/// The methods of the requests for `path` of `host`, in order.
fn methods(server: &Server, host: &str, path: &str) -> Vec<String> {
    server
        .seen()
        .into_iter()
        .filter(|seen| seen.host() == host && seen.path == path)
        .map(|seen| seen.method)
        .collect()
}

/// Runs headcheck with `args`, the names of `hosts` sent to `server`.
fn run_on(server: &Server, hosts: &[&str], args: &[&str]) -> (support::Csv, String, i32) {
    let mut all = resolve_all(server, hosts);
    all.extend(args.iter().map(|arg| arg.to_string()));
    run(&all.iter().map(String::as_str).collect::<Vec<_>>())
}

fn crawl(server: &Server, extra: &[&str]) -> (support::Csv, String, i32) {
    let start = format!("http://a.test:{}/", server.port());
    let mut args = vec!["--crawl", "--retries", "0", "-q"];
    args.extend(extra);
    args.push(&start);
    run_on(server, &["a.test", "other.test"], &args)
}

#[test]
fn a_start_pages_links_are_checked_and_its_site_crawled_one_level() {
    let server = site();
    let (csv, stderr, code) = crawl(&server, &[]);
    let a = |path: &str| format!("http://a.test:{}{path}", server.port());
    let other = |path: &str| format!("http://other.test:{}{path}", server.port());
    let mut urls = csv.col("url");
    urls.sort_unstable();
    let mut expected = vec![
        a("/"),
        a("/style.css"),
        a("/one"),
        a("/gone"),
        other("/x"),
        a("/moved"),
        "mailto:someone@a.test".to_string(),
        a("/deep"),
        other("/dead"),
        a("/three"),
    ];
    expected.sort_unstable();
    assert_eq!(urls, expected, "{stderr}");
    // The start page and the same-site pages at level 1: one GET each,
    // which is their row; no HEAD of a page.
    for path in ["/", "/one", "/style.css", "/gone", "/moved"] {
        assert_eq!(methods(&server, "a.test", path), ["GET"], "{path}");
    }
    assert_eq!(csv.get(csv.row(&a("/one")), "method"), "GET");
    // Level 2 is checked, not crawled: its links are never asked for.
    assert_eq!(methods(&server, "a.test", "/deep"), ["HEAD"]);
    assert!(methods(&server, "a.test", "/deeper").is_empty());
    // Another site's page is checked, never crawled.
    assert_eq!(methods(&server, "other.test", "/x"), ["HEAD"]);
    assert!(methods(&server, "other.test", "/never").is_empty());
    // A style sheet is fetched (it is of the site), never read as a page.
    assert!(methods(&server, "a.test", "/in-css.png").is_empty());
    // A redirected page is read where it lands; its link to itself, at
    // level 2, is checked.
    assert_eq!(methods(&server, "a.test", "/three"), ["GET", "HEAD"]);
    // A link's place is its page's URL and line; a repeated link keeps one
    // row, at its first place.
    let gone = csv.row(&a("/gone"));
    assert_eq!(csv.get(gone, "result"), "broken");
    assert_eq!(csv.get(gone, "source"), format!("{}:5", a("/")));
    assert_eq!(
        csv.get(csv.row(&other("/dead")), "source"),
        format!("{}:4", a("/one"))
    );
    assert_eq!(csv.get(csv.row(&a("/")), "source"), "argv");
    assert_eq!(code, 1);
}

#[test]
fn the_summary_says_what_was_crawled_and_what_was_not() {
    let server = site();
    let start = format!("http://a.test:{}/", server.port());
    let args = ["--crawl", "--retries", "0", "-o", "-", &start];
    let (_, stderr, _) = run_on(&server, &["a.test", "other.test"], &args);
    // Crawled: /, /one, /moved (read at /three). Not: the style sheet, the
    // 404, /deep and /three's link to itself (level 2).
    assert!(
        stderr.contains(
            "crawled 3 pages; not crawled: 1 not HTML, 1 not fetched (failed or not accepted), \
             2 beyond --max-depth\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_redirected_pages_final_url_is_not_crawled_again() {
    let server = site();
    let start = format!("http://a.test:{}/moved", server.port());
    let (csv, stderr, _) = run_on(&server, &["a.test"], &["--crawl", "-o", "-", &start]);
    // Its link to itself (level 1) is checked, not fetched and read again.
    assert_eq!(
        methods(&server, "a.test", "/three"),
        ["GET", "HEAD"],
        "{stderr}"
    );
    assert_eq!(csv.rows.len(), 2);
    assert!(stderr.contains("crawled 1 page\n"), "{stderr}");
}

#[test]
fn max_depth_crawls_deeper_and_max_pages_stops_the_crawl() {
    let server = site();
    let (csv, stderr, _) = crawl(&server, &["--max-depth", "2"]);
    assert_eq!(methods(&server, "a.test", "/deep"), ["GET"], "{stderr}");
    assert_eq!(methods(&server, "a.test", "/deeper"), ["HEAD"]);
    assert!(methods(&server, "a.test", "/deepest").is_empty());
    assert_eq!(csv.rows.len(), 11);

    let server = site();
    let (csv, stderr, _) = crawl(&server, &["--max-pages", "1"]);
    // The start page only: its links are checked, none is crawled.
    assert_eq!(methods(&server, "a.test", "/"), ["GET"], "{stderr}");
    assert_eq!(methods(&server, "a.test", "/one"), ["HEAD"]);
    assert!(methods(&server, "a.test", "/deep").is_empty());
    assert_eq!(csv.rows.len(), 7);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn start_pages_come_from_lists_and_an_unreachable_hosts_pages_end_the_run() {
    let server = site();
    let closed = closed_port();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("pages.txt");
    std::fs::write(
        &list,
        format!(
            "http://127.0.0.1:{closed}/a\nhttp://127.0.0.1:{closed}/b\nhttp://other.test:{}/x\n",
            server.port()
        ),
    )
    .unwrap();
    let list = list.display().to_string();
    let (csv, stderr, code) = run_on(&server, &["other.test"], &["--crawl", "-o", "-", &list]);
    // other.test/x is a start page here: crawled, its link checked.
    assert_eq!(methods(&server, "other.test", "/x"), ["GET"], "{stderr}");
    assert_eq!(methods(&server, "other.test", "/never"), ["GET"]);
    assert_eq!(csv.rows.len(), 4);
    let b = csv.row(&format!("http://127.0.0.1:{closed}/b"));
    assert!(csv.get(b, "error").contains("host unreachable"));
    // Every page not crawled is counted: the unreachable host's two (the
    // first kept out, as its robots.txt could not be read; the second
    // condemned without a request) and other.test's 404.
    assert!(
        stderr.contains(
            "crawled 1 page; not crawled: 2 not fetched (failed or not accepted), \
             1 kept out by robots.txt\n"
        ),
        "{stderr}"
    );
    assert_eq!(code, 1);
}

#[test]
fn crawl_options_need_crawl_and_a_crawl_is_not_sharded() {
    let (_, stderr, code) = run(&["--max-depth", "2", "http://a.test/"]);
    assert_eq!(code, 2, "{stderr}");
    let (_, stderr, code) = run(&["--crawl", "--shard", "1/2", "http://a.test/"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--shard"), "{stderr}");
}

/// A site whose robots.txt (`robots`, or a status) keeps crawlers out of
/// `/private`; its start page links there and to `/public`.
fn guarded(robots: Reply) -> Server {
    let robots = std::sync::Mutex::new(Some(robots));
    Server::start(move |seen| match seen.path.as_str() {
        "/robots.txt" => robots
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| Reply::status(500)),
        "/" => html("<a href=\"/private\">p</a>\n<a href=\"/public\">q</a>\n"),
        "/private" => html("<a href=\"/private/secret\">s</a>\n"),
        "/public" => html("<a href=\"/public/more\">m</a>\n"),
        _ => Reply::status(404),
    })
}

fn crawl_guarded(server: &Server, extra: &[&str]) -> (support::Csv, String, i32) {
    let start = format!("http://a.test:{}/", server.port());
    let mut args = vec!["--crawl", "--retries", "0", "-o", "-"];
    args.extend(extra);
    args.push(&start);
    run_on(server, &["a.test"], &args)
}

const ROBOTS: &str = "User-agent: *\nDisallow: /\n\n\
    User-agent: headcheck\nDisallow: /private\n";

#[test]
fn robots_txt_keeps_the_crawl_out_but_the_link_is_still_checked() {
    let server = guarded(Reply::ok().body(ROBOTS));
    let (csv, stderr, code) = crawl_guarded(&server, &[]);
    // Read once (a second request would get a 500 and crawl nothing).
    assert_eq!(
        methods(&server, "a.test", "/robots.txt"),
        ["GET"],
        "{stderr}"
    );
    assert_eq!(methods(&server, "a.test", "/"), ["GET"]);
    assert_eq!(methods(&server, "a.test", "/public"), ["GET"]);
    // Our group, not `*`'s: /private is checked with HEAD, never crawled.
    assert_eq!(methods(&server, "a.test", "/private"), ["HEAD"]);
    assert!(methods(&server, "a.test", "/private/secret").is_empty());
    let private = csv.row(&format!("http://a.test:{}/private", server.port()));
    assert_eq!(csv.get(private, "result"), "ok");
    assert!(
        stderr.contains(
            "crawled 2 pages; not crawled: 1 kept out by robots.txt, 1 beyond --max-depth\n"
        ),
        "{stderr}"
    );
    assert_eq!(code, 1, "/public/more is a 404");

    // --ignore-robots: robots.txt is not even read.
    let server = guarded(Reply::ok().body(ROBOTS));
    let (_, stderr, _) = crawl_guarded(&server, &["--ignore-robots"]);
    assert!(
        methods(&server, "a.test", "/robots.txt").is_empty(),
        "{stderr}"
    );
    assert_eq!(methods(&server, "a.test", "/private"), ["GET"]);
    // Read for its links: its link is checked.
    assert!(!methods(&server, "a.test", "/private/secret").is_empty());
}

#[test]
fn a_missing_robots_txt_allows_all_and_a_failing_one_nothing() {
    let server = guarded(Reply::status(404));
    let (_, stderr, _) = crawl_guarded(&server, &[]);
    assert_eq!(methods(&server, "a.test", "/private"), ["GET"], "{stderr}");

    let server = guarded(Reply::status(503));
    let (csv, stderr, _) = crawl_guarded(&server, &[]);
    // The start page itself is checked, not read: its links are not found.
    assert_eq!(methods(&server, "a.test", "/"), ["HEAD"], "{stderr}");
    assert!(methods(&server, "a.test", "/public").is_empty());
    assert_eq!(csv.rows.len(), 1);
    assert!(
        stderr.contains("crawled 0 pages; not crawled: 1 kept out by robots.txt"),
        "{stderr}"
    );
}

#[test]
fn crawl_delay_spaces_the_requests_to_its_host() {
    let server = guarded(Reply::ok().body("User-agent: *\nCrawl-delay: 1\n"));
    let (csv, stderr, _) = crawl_guarded(&server, &["--max-depth", "0"]);
    assert_eq!(csv.rows.len(), 3, "{stderr}");
    let mut after: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|seen| seen.path != "/robots.txt")
        .map(|seen| seen.at)
        .collect();
    after.sort();
    assert_eq!(after.len(), 3);
    // Without the delay these go within milliseconds; with it, a second
    // apart (checked with room for the arrival's own jitter).
    for pair in after.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= std::time::Duration::from_millis(500), "{gap:?}");
    }
}

#[test]
fn a_calendar_trap_is_crawled_only_up_to_the_query_cap() {
    // Every month links to the next, forever.
    let server = Server::start(|seen| {
        let month: u64 = seen
            .path
            .strip_prefix("/cal?m=")
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        html(&format!("<a href=\"/cal?m={}\">next</a>\n", month + 1))
    });
    let start = format!("http://a.test:{}/cal?m=0", server.port());
    let args = ["--crawl", "--max-depth", "1000", "-o", "-", &start];
    let (csv, stderr, code) = run_on(&server, &["a.test"], &args);
    let asked = server.seen();
    let gets = asked.iter().filter(|seen| seen.method == "GET").count();
    let heads = asked.iter().filter(|seen| seen.method == "HEAD").count();
    assert_eq!((gets, heads), (50 + 1, 1), "{stderr}"); // and robots.txt
    assert_eq!(csv.rows.len(), 51);
    assert!(
        stderr.contains("1 past the cap of 50 query strings per path"),
        "{stderr}"
    );
    assert_eq!(code, 0);
}

#[test]
fn a_resumed_crawl_fetches_its_pages_again_and_keeps_its_links_rows() {
    let server = site();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let report = report.to_str().unwrap();
    let (_, stderr, _) = crawl(&server, &["-o", report]);
    let first = support::Csv::parse(&std::fs::read(report).unwrap());
    assert_eq!(first.rows.len(), 10, "{stderr}");
    let asked = server.seen().len();
    let (_, stderr, _) = crawl(&server, &["--resume", report, "-o", report]);
    let again = support::Csv::parse(&std::fs::read(report).unwrap());
    let mut urls = again.col("url");
    urls.sort_unstable();
    let mut before = first.col("url");
    before.sort_unstable();
    assert_eq!(urls, before, "{stderr}");
    let later: Vec<_> = server.seen().split_off(asked);
    // The pages, for their links; not the links kept from the report.
    assert!(later.iter().any(|seen| seen.path == "/one"));
    assert!(!later.iter().any(|seen| seen.host() == "other.test"));
    assert!(!later.iter().any(|seen| seen.path == "/deep"));
}

/// A site whose pages link to parts of each other, some missing.
fn with_parts() -> Server {
    Server::start(|seen| match seen.path.as_str() {
        "/" => html(
            "<a href=\"/doc#present\">a</a> <a href=\"/doc#named\">b</a>\n\
             <a href=\"/doc#absent\">c</a> <a href=\"#self-missing\">d</a>\n\
             <a href=\"#here\">e</a> <a href=\"/doc#top\">f</a> <a href=\"/later\">g</a>\n\
             <p id=\"here\">here</p>\n",
        ),
        "/doc" => html("<h2 id=\"present\">P</h2>\n<a name=\"named\"></a>\n"),
        "/later" => html("\n\n<a href=\"/doc#absent\">again</a>\n"),
        _ => Reply::status(404),
    })
}

#[test]
fn check_fragments_judges_parts_of_crawled_pages_once_they_are_read() {
    let server = with_parts();
    let a = |path: &str| format!("http://a.test:{}{path}", server.port());
    let args = ["--crawl", "--check-fragments", "-o", "-", &a("/")];
    let (csv, stderr, code) = run_on(&server, &["a.test"], &args);
    let mut urls = csv.col("url");
    urls.sort_unstable();
    let mut expected = vec![
        a("/"),
        a("/doc#present"),
        a("/later"),
        a("/doc#absent"),
        a("/#self-missing"),
    ];
    expected.sort_unstable();
    // `/doc#present` is the row of /doc: a URL is one row whatever its part.
    assert_eq!(urls, expected, "{stderr}");
    let absent = csv.row(&a("/doc#absent"));
    assert_eq!(csv.get(absent, "result"), "broken");
    assert_eq!(csv.get(absent, "error"), "fragment #absent not found");
    assert_eq!(csv.get(absent, "error_kind"), "fragment");
    assert_eq!(csv.get(absent, "source"), format!("{}:2", a("/")));
    let missing = csv.row(&a("/#self-missing"));
    assert_eq!(csv.get(missing, "error_kind"), "fragment");
    // One GET per page, whatever its parts.
    assert_eq!(methods(&server, "a.test", "/doc"), ["GET"]);
    assert_eq!(code, 1);

    // Without the flag, parts are not judged.
    let server = with_parts();
    let start = format!("http://a.test:{}/", server.port());
    let (csv, stderr, code) = run_on(&server, &["a.test"], &["--crawl", "-o", "-", &start]);
    assert_eq!(csv.rows.len(), 3, "{stderr}");
    assert_eq!(code, 0);
}

#[test]
fn ctrl_c_during_a_crawl_keeps_the_finished_rows() {
    // `/hold` never answers; the signal goes once it is asked for.
    let (asked, held) = std::sync::mpsc::channel();
    let asked = std::sync::Mutex::new(asked);
    let server = Server::start(move |seen| match seen.path.as_str() {
        "/" => html("<a href=\"/a\">a</a> <a href=\"/b\">b</a> <a href=\"/hold\">h</a>\n"),
        "/hold" => {
            let _ = asked.lock().unwrap().send(());
            Reply::hang()
        }
        _ => html("<p>nothing here</p>\n"),
    });
    let start = server.url("/");
    let (mut child, mut stdout) =
        support::spawn(&["--crawl", "--ignore-robots", "--no-progress", &start]);
    let mut report = String::new();
    for _ in 0..4 {
        std::io::BufRead::read_line(&mut stdout, &mut report).unwrap();
    }
    // Bounded: a crawl that never asks for /hold fails here, not hangs.
    held.recv_timeout(std::time::Duration::from_secs(60))
        .expect("/hold was asked for");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::io::Read::read_to_string(&mut stdout, &mut report).unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130));
    let csv = support::Csv::parse(report.as_bytes());
    assert_eq!(
        csv.col("url"),
        [server.url("/"), server.url("/a"), server.url("/b")]
    );
}

/// A site of pages that are not crawled as ordinary ones: a `<base href>`,
/// a 12 MB page, a PDF and a text file with link-like text, and a page
/// that redirects to another site.
fn unusual_site() -> Server {
    let port = Arc::new(OnceLock::new());
    let known = port.clone();
    let big = Arc::new(format!(
        "<a href=\"/early\">early</a>\n{}\n<a href=\"/late\">late</a>\n",
        "x".repeat(12 << 20)
    ));
    let server = Server::start(move |seen| match (seen.host(), seen.path.as_str()) {
        ("a.test", "/") => html(
            "<a href=\"/based\">based</a>\n<a href=\"/big\">big</a>\n\
             <a href=\"/paper.pdf\">pdf</a> <a href=\"/notes.txt\">notes</a>\n\
             <a href=\"/away\">away</a>\n",
        ),
        ("a.test", "/based") => {
            html("<head><base href=\"/docs/\"></head>\n<a href=\"guide\">guide</a>\n")
        }
        ("a.test", "/big") => html(&big),
        ("a.test", "/paper.pdf") => Reply::ok()
            .header("content-type", "application/pdf")
            .body("%PDF-1.7 <a href=\"/in-pdf\">"),
        ("a.test", "/notes.txt") => Reply::ok()
            .header("content-type", "text/plain")
            .body("<a href=\"/in-text\"> http://a.test/in-text-too"),
        ("a.test", "/away") => Reply::redirect(
            302,
            &format!("http://other.test:{}/landing", known.get().unwrap()),
        ),
        ("other.test", "/landing") => html("<a href=\"/never-read\">x</a>\n"),
        _ => Reply::ok(),
    });
    port.set(server.port()).unwrap();
    server
}

#[test]
fn a_base_a_big_page_files_that_are_not_html_and_a_redirect_elsewhere() {
    let server = unusual_site();
    let start = format!("http://a.test:{}/", server.port());
    let args = ["--crawl", "--retries", "0", "-o", "-", &start];
    let (csv, stderr, code) = run_on(&server, &["a.test", "other.test"], &args);
    assert_eq!(code, 0, "{stderr}");
    let a = |path: &str| format!("http://a.test:{}{path}", server.port());
    // <base href>: the page's relative link is resolved against it.
    let guide = csv.row(&a("/docs/guide"));
    assert_eq!(csv.get(guide, "source"), format!("{}:2", a("/based")));
    // The 12 MB page is read to its first 10 MB: its early link, not its
    // late one.
    assert_eq!(methods(&server, "a.test", "/big"), ["GET"]);
    assert_eq!(methods(&server, "a.test", "/early"), ["HEAD"]);
    assert!(methods(&server, "a.test", "/late").is_empty());
    // A PDF and a text file are checked (one GET, their row), never read.
    for path in ["/paper.pdf", "/notes.txt"] {
        assert_eq!(methods(&server, "a.test", path), ["GET"], "{path}");
    }
    for path in ["/in-pdf", "/in-text", "/in-text-too"] {
        assert!(methods(&server, "a.test", path).is_empty(), "{path}");
    }
    // A page that redirects to another site is checked where it lands,
    // never read there.
    assert_eq!(methods(&server, "a.test", "/away"), ["GET"]);
    assert_eq!(methods(&server, "other.test", "/landing"), ["GET"]);
    assert!(methods(&server, "other.test", "/never-read").is_empty());
    assert_eq!(
        csv.get(csv.row(&a("/away")), "final_url"),
        format!("http://other.test:{}/landing", server.port())
    );
    assert!(
        stderr.contains(
            "crawled 3 pages (1 read only to their first 10 MB); not crawled: 2 not HTML, \
             1 redirected to another site, 2 beyond --max-depth\n"
        ),
        "{stderr}"
    );
}

/// A site of `/` and pages `/p/1` to `/p/{pages}`, all linked from `/`;
/// each page links to another and back home.
fn wide_site(pages: usize) -> Server {
    Server::start(move |seen| match seen.path.as_str() {
        "/" => html(
            &(1..=pages)
                .map(|n| format!("<a href=\"/p/{n}\">{n}</a>\n"))
                .collect::<String>(),
        ),
        path => match path
            .strip_prefix("/p/")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if (1..=pages).contains(&n) => html(&format!(
                "<a href=\"/p/{}\">next</a> <a href=\"/\">home</a>\n",
                n * 7 % pages + 1
            )),
            _ => Reply::status(404),
        },
    })
}

#[test]
fn a_site_wider_than_the_pages_out_is_crawled_whole_each_page_once() {
    // More pages found at once than may be out: those past the most are
    // held back, and sent as found pages are read.
    let pages = headcheck::input::MAX_PAGES_OUT + 300;
    let server = wide_site(pages);
    let start = format!("http://a.test:{}/", server.port());
    let args = ["--crawl", "--per-host", "64", "-o", "-", &start];
    let (csv, stderr, code) = run_on(&server, &["a.test"], &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.col("url").len(), pages + 1);
    assert!(csv.col("result").iter().all(|result| *result == "ok"));
    assert!(
        stderr.contains(&format!("crawled {} pages\n", pages + 1)),
        "{stderr}"
    );
    let seen = server.seen();
    let (robots, asked): (Vec<_>, Vec<_>) = seen.iter().partition(|s| s.path == "/robots.txt");
    assert_eq!(robots.len(), 1);
    assert!(asked.iter().all(|seen| seen.method == "GET"));
    let mut paths: Vec<&str> = asked.iter().map(|seen| seen.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(
        (asked.len(), paths.len()),
        (pages + 1, pages + 1),
        "each page fetched once"
    );
}
