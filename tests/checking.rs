//! Checking one URL: the method policy, redirects, timeouts, error texts,
//! request options and the concurrency limit.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use support::{Reply, Server, closed_port, hang_until_answered, run};

#[test]
fn head_ok_is_reported_without_a_get() {
    let server = Server::start(|_| Reply::ok().header("content-type", "text/html"));
    let (csv, _, code) = run(&[&server.url("/page")]);
    assert_eq!(code, 0);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "status"), "200");
    assert_eq!(csv.get(0, "method"), "HEAD");
    assert_eq!(csv.get(0, "attempts"), "1");
    let methods: Vec<String> = server.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["HEAD"]);
}

#[test]
fn head_405_falls_back_to_get() {
    let server = Server::start(|seen| {
        if seen.method == "HEAD" {
            Reply::status(405)
        } else {
            Reply::ok()
        }
    });
    let (csv, _, code) = run(&[&server.url("/page")]);
    assert_eq!(code, 0);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "method"), "GET");
    assert_eq!(
        csv.get(0, "attempts"),
        "1",
        "the GET is part of the same attempt"
    );
    let methods: Vec<String> = server.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["HEAD", "GET"]);
}

#[test]
fn head_404_confirmed_by_get_stays_broken() {
    let server = Server::start(|_| Reply::status(404));
    let (csv, _, code) = run(&[&server.url("/gone")]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "broken");
    assert_eq!(csv.get(0, "status"), "404");
    assert_eq!(csv.get(0, "method"), "GET");
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn method_head_sends_only_head() {
    let server = Server::start(|_| Reply::status(405));
    let (csv, _, _) = run(&["--method", "head", &server.url("/p")]);
    assert_eq!(csv.get(0, "result"), "broken");
    assert_eq!(csv.get(0, "method"), "HEAD");
    let methods: Vec<String> = server.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["HEAD"]);
}

#[test]
fn method_get_sends_only_get() {
    let server = Server::start(|_| Reply::ok());
    let (csv, _, _) = run(&["--method", "get", &server.url("/p")]);
    assert_eq!(csv.get(0, "method"), "GET");
    let methods: Vec<String> = server.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["GET"]);
}

#[test]
fn get_does_not_download_the_body() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    // HEAD-hostile: HEAD fails, GET answers with a 1 GiB body.
    let server = Server::start(move |seen| {
        if seen.method == "HEAD" {
            Reply::status(501)
        } else {
            Reply::ok().huge_body(1 << 30, Arc::clone(&counter))
        }
    });
    let (csv, _, code) = run(&[&server.url("/big")]);
    assert_eq!(code, 0);
    assert_eq!(csv.get(0, "method"), "GET");
    assert_eq!(csv.get(0, "content-length"), (1u64 << 30).to_string());
    let produced = sent.load(Ordering::SeqCst);
    assert!(
        produced < 16 << 20,
        "the server produced {produced} bytes of the body"
    );
}

#[test]
fn redirects_are_followed_and_reported() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/old" => Reply::redirect(301, "/middle"),
        // A relative Location without a leading slash.
        "/middle" => Reply::redirect(302, "new"),
        "/new" => Reply::ok(),
        _ => Reply::status(404),
    });
    let (csv, _, code) = run(&[&server.url("/old")]);
    assert_eq!(code, 0);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "final_url"), server.url("/new"));
    assert_eq!(csv.get(0, "redirects"), "2");
    assert_eq!(csv.get(0, "url"), server.url("/old"));
}

#[test]
fn redirect_to_a_missing_page_is_broken_with_its_final_url() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/moved" => Reply::redirect(308, "/gone"),
        _ => Reply::status(404),
    });
    let (csv, _, code) = run(&[&server.url("/moved")]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "broken");
    assert_eq!(csv.get(0, "status"), "404");
    assert_eq!(csv.get(0, "final_url"), server.url("/gone"));
    assert_eq!(csv.get(0, "redirects"), "1");
}

#[test]
fn redirect_loop_is_an_error() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/a" => Reply::redirect(302, "/b"),
        _ => Reply::redirect(302, "/a"),
    });
    let (csv, _, code) = run(&[&server.url("/a")]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "status"), "");
    assert!(
        csv.get(0, "error").starts_with("redirect loop"),
        "{:?}",
        csv.rows
    );
}

#[test]
fn too_many_redirects_is_an_error() {
    let server = Server::start(|seen| {
        let n: u32 = seen.path.trim_start_matches("/hop").parse().unwrap_or(0);
        Reply::redirect(301, &format!("/hop{}", n + 1))
    });
    let (csv, _, _) = run(&["--max-redirects", "5", &server.url("/hop0")]);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "too many redirects (more than 5)");
    // HEAD was not retried with GET for a redirect error: 6 requests.
    assert_eq!(server.seen().len(), 6);
}

#[test]
fn max_redirects_allows_exactly_n_hops() {
    let server = Server::start(|seen| {
        let n: u32 = seen.path.trim_start_matches("/hop").parse().unwrap_or(0);
        if n == 3 {
            Reply::ok()
        } else {
            Reply::redirect(307, &format!("/hop{}", n + 1))
        }
    });
    let (csv, _, _) = run(&["--max-redirects", "3", &server.url("/hop0")]);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "redirects"), "3");
}

#[test]
fn redirect_to_another_scheme_is_an_error() {
    let server = Server::start(|_| Reply::redirect(302, "ftp://files.example.test/x"));
    let (csv, _, _) = run(&[&server.url("/x")]);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "redirect to unsupported scheme ftp:");
}

#[test]
fn timeout_is_an_error_that_says_so() {
    let server = Server::start(|_| Reply::hang());
    let (csv, _, code) = run(&["--timeout", "1", "--retries", "0", &server.url("/slow")]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "timeout after 1s");
    assert_eq!(csv.get(0, "status"), "");
    // A timeout is not confirmed with GET.
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn refused_connection_is_an_error_that_says_so() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let (csv, _, code) = run(&["--max-retry-wait", "0", &url]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "connection refused");
    assert_eq!(csv.get(0, "attempts"), "3", "connect errors are retried");
}

#[test]
fn a_hanging_url_does_not_hold_back_the_others() {
    // The hanging URL answers only after every other URL has been answered:
    // if the others waited for it, it would time out instead. (The host
    // answers /warm first: its other URLs start once it has answered.)
    const FAST: usize = 300;
    let server = hang_until_answered(FAST);
    let mut urls = vec![server.url("/warm"), server.url("/hang")];
    urls.extend((0..FAST).map(|i| server.url(&format!("/fast/{i}"))));
    let mut args = vec!["--timeout", "60", "-c", "8"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows.get(1));
    assert_eq!(csv.get(1, "result"), "ok");
    // Rows stay in input order although the first finished last.
    assert_eq!(csv.col("url"), urls);
}

#[test]
fn concurrency_limit_is_used_and_never_exceeded_by_requests_not_stalled() {
    // Every request here is answered long before --stall-after (5 s), so
    // none stalls, and -c is a hard limit on requests in flight.
    const LIMIT: usize = 4;
    // Every request waits until LIMIT requests are in flight together: with
    // fewer allowed, they would never be answered (and time out).
    let barrier = Arc::new(tokio::sync::Barrier::new(LIMIT));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let highest = Arc::new(AtomicUsize::new(0));
    let (b, f, h) = (
        Arc::clone(&barrier),
        Arc::clone(&in_flight),
        Arc::clone(&highest),
    );
    let server = Server::start(move |seen| {
        // The host's first URL, answered at once: its others start after.
        if seen.path == "/warm" {
            return Reply::ok();
        }
        let now = f.fetch_add(1, Ordering::SeqCst) + 1;
        h.fetch_max(now, Ordering::SeqCst);
        let (b, f) = (Arc::clone(&b), Arc::clone(&f));
        Reply::ok().after(async move {
            b.wait().await;
            f.fetch_sub(1, Ordering::SeqCst);
        })
    });
    let mut urls = vec![server.url("/warm")];
    urls.extend((0..(LIMIT * 10)).map(|i| server.url(&format!("/{i}"))));
    let limit = LIMIT.to_string();
    let mut args = vec!["-c", limit.as_str(), "--timeout", "30"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(highest.load(Ordering::SeqCst), LIMIT);
}

#[test]
fn extra_headers_and_user_agent_are_sent() {
    let server = Server::start(|_| Reply::ok());
    run(&[
        "-H",
        "X-Token: abc",
        "-H",
        "Accept-Language: de",
        &server.url("/h"),
    ]);
    let seen = &server.seen()[0];
    assert_eq!(seen.header("x-token"), Some("abc"));
    assert_eq!(seen.header("accept-language"), Some("de"));
    assert_eq!(
        seen.header("user-agent"),
        Some(concat!("headcheck/", env!("CARGO_PKG_VERSION")))
    );
    run(&["--user-agent", "linkbot/2", &server.url("/ua")]);
    assert_eq!(
        server.seen_at("/ua")[0].header("user-agent"),
        Some("linkbot/2")
    );
}

#[test]
fn headers_are_not_sent_to_another_host_after_a_redirect() {
    let target = Server::start(|_| Reply::ok());
    let port = target.port();
    let origin =
        Server::start(move |_| Reply::redirect(302, &format!("http://other.test:{port}/landing")));
    let resolve_origin = format!("docs.test:{}:127.0.0.1", origin.port());
    let resolve_other = format!("other.test:{port}:127.0.0.1");
    let url = format!("http://docs.test:{}/private", origin.port());
    let (csv, _, _) = run(&[
        "--resolve",
        &resolve_origin,
        "--resolve",
        &resolve_other,
        "-H",
        "Authorization: Bearer secret",
        &url,
    ]);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(
        origin.seen()[0].header("authorization"),
        Some("Bearer secret")
    );
    let landing = target.seen();
    assert!(!landing.is_empty());
    assert!(landing.iter().all(|s| s.header("authorization").is_none()));
}

#[test]
fn resolve_maps_named_and_unicode_hosts() {
    let server = Server::start(|_| Reply::ok());
    let port = server.port();
    let named = format!("http://docs.test:{port}/a");
    let unicode = format!("http://{}:{port}/b", "bücher.test");
    let (csv, _, code) = run(&[
        "--resolve",
        &format!("docs.test:{port}:127.0.0.1"),
        "--resolve",
        &format!("bücher.test:{port}:127.0.0.1"),
        &named,
        &unicode,
    ]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    // The url column keeps the Unicode host; the request uses punycode.
    assert_eq!(csv.col("url"), [named.as_str(), unicode.as_str()]);
    let hosts: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.header("host").unwrap().to_string())
        .collect();
    assert!(
        hosts.contains(&format!("xn--bcher-kva.test:{port}")),
        "{hosts:?}"
    );
}

#[test]
fn accept_list_decides_what_is_ok() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/forbidden" => Reply::status(403),
        "/teapot" => Reply::status(418),
        _ => Reply::ok(),
    });
    let (csv, _, code) = run(&[
        "--accept",
        "200..=299,403",
        &server.url("/forbidden"),
        &server.url("/teapot"),
    ]);
    assert_eq!(csv.col("result"), ["ok", "broken"]);
    assert_eq!(code, 1);
}

#[test]
fn bot_walls_are_blocked_and_plain_403_is_broken() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/linkedin" => Reply::status(999),
        "/cloudflare" => Reply::status(403).header("cf-mitigated", "challenge"),
        _ => Reply::status(403),
    });
    let (csv, _, code) = run(&[
        &server.url("/linkedin"),
        &server.url("/cloudflare"),
        &server.url("/forbidden"),
    ]);
    assert_eq!(csv.col("result"), ["blocked", "blocked", "broken"]);
    assert_eq!(code, 1, "the plain 403 fails the run");
}

#[test]
fn invalid_certificate_is_an_error_unless_insecure() {
    let server = Server::start_tls("secure.test", |_| Reply::ok());
    let port = server.port();
    let resolve = format!("secure.test:{port}:127.0.0.1");
    let url = format!("https://secure.test:{port}/");
    let (csv, _, code) = run(&["--resolve", &resolve, &url]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    assert!(csv.get(0, "error").starts_with("tls: "), "{:?}", csv.rows);
    assert!(server.seen().is_empty());

    let (csv, _, code) = run(&["--insecure", "--resolve", &resolve, &url]);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn unknown_host_is_a_dns_error() {
    // `.invalid` never resolves (RFC 6761) and is answered without a query.
    let (csv, _, code) = run(&["http://nowhere.invalid/page"]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "error");
    assert_eq!(csv.get(0, "error"), "dns: no such host");
}

#[test]
fn every_failing_row_says_its_kind_of_failure_in_a_stable_word() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/fine" => Reply::ok(),
        "/gone" => Reply::status(404),
        "/wall" => Reply::status(999),
        "/a" => Reply::redirect(302, "/b"),
        "/b" => Reply::redirect(302, "/a"),
        "/away" => Reply::redirect(302, "ftp://files.test/x"),
        _ => Reply::hang(),
    });
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let (csv, stderr, code) = run(&[
        "--timeout",
        "1",
        "--retries",
        "0",
        &server.url("/fine"),
        &server.url("/gone"),
        &server.url("/wall"),
        &server.url("/a"),
        &server.url("/away"),
        &server.url("/slow"),
        // Not a URL: the port is out of range.
        "http://127.0.0.1:99999/",
        &format!("{dead}/1"),
        &format!("{dead}/2"),
        "mailto:someone@example.test",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        csv.col("error_kind"),
        [
            "",
            "status",
            "bot_wall",
            "redirect_loop",
            "bad_redirect",
            "timeout",
            "invalid",
            "refused",
            // Not asked: its host could not be reached, and why.
            "refused",
            "",
        ],
        "{:?}",
        csv.rows
    );
    assert!(csv.get(8, "error").ends_with("(host unreachable)"));
}
