//! Hosts on the real web: warm-up (a host's first request goes alone),
//! unreachable hosts (their other URLs are settled at once), and no retry
//! where a retry only adds a timeout.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{NeverAccepting, Reply, Server, closed_port, hang_until_answered, run};

#[test]
fn a_hosts_first_request_goes_alone_until_it_answers() {
    // The first request is answered when a second one arrives, or after a
    // second: with warm-up no second request can arrive before the answer.
    let seen = Arc::new(AtomicUsize::new(0));
    let seen_before_answer = Arc::new(AtomicUsize::new(0));
    let second = Arc::new(tokio::sync::Notify::new());
    let (count, before, arrived) = (
        Arc::clone(&seen),
        Arc::clone(&seen_before_answer),
        Arc::clone(&second),
    );
    let server = Server::start(move |_| {
        if count.fetch_add(1, Ordering::SeqCst) > 0 {
            arrived.notify_one();
            return Reply::ok();
        }
        let (count, before, arrived) = (
            Arc::clone(&count),
            Arc::clone(&before),
            Arc::clone(&arrived),
        );
        Reply::ok().after(async move {
            let _ = tokio::time::timeout(Duration::from_secs(1), arrived.notified()).await;
            before.store(count.load(Ordering::SeqCst), Ordering::SeqCst);
        })
    });
    let urls: Vec<String> = (0..6).map(|i| server.url(&format!("/{i}"))).collect();
    let mut args = vec!["--method", "head"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert_eq!(seen_before_answer.load(Ordering::SeqCst), 1);
    assert_eq!(seen.load(Ordering::SeqCst), 6);
}

#[test]
fn a_refused_host_makes_its_other_urls_errors_at_once() {
    let port = closed_port();
    let urls: Vec<String> = (0..5)
        .map(|i| format!("http://127.0.0.1:{port}/{i}"))
        .collect();
    let mut args = vec!["--max-retry-wait", "0"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 1);
    assert_eq!(csv.col("url"), urls, "rows in input order");
    assert_eq!(csv.get(0, "error"), "connection refused");
    assert_eq!(csv.get(0, "attempts"), "3", "the first URL is retried");
    for row in 1..5 {
        assert_eq!(csv.get(row, "result"), "error");
        assert_eq!(
            csv.get(row, "error"),
            "connection refused (host unreachable)"
        );
        assert_eq!(csv.get(row, "attempts"), "0");
        assert_eq!(csv.get(row, "status"), "");
    }
}

#[test]
fn a_host_whose_every_url_hangs_is_unreachable_after_its_probe() {
    let server = Server::start(|_| Reply::hang());
    let urls: Vec<String> = (0..4).map(|i| server.url(&format!("/{i}"))).collect();
    let mut args = vec!["--timeout", "1", "--retries", "2"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 1);
    // The first URL and the probe: each one timeout, not retried, since the
    // host never answered.
    for row in 0..2 {
        assert_eq!(csv.get(row, "error"), "timeout after 1s");
        assert_eq!(csv.get(row, "attempts"), "1");
    }
    for row in 2..4 {
        assert_eq!(csv.get(row, "error"), "timeout after 1s (host unreachable)");
        assert_eq!(csv.get(row, "attempts"), "0");
    }
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn a_slow_first_url_does_not_condemn_a_live_host() {
    // The first URL never answers; the 300 after it answer at once. Its
    // timeout comes before --stall-after, so the probe goes after it.
    const FAST: usize = 300;
    let server = Server::start(|seen| {
        if seen.path == "/slow" {
            Reply::hang()
        } else {
            Reply::ok()
        }
    });
    let mut list = tempfile::NamedTempFile::new().unwrap();
    let mut urls = vec![server.url("/slow")];
    urls.extend((0..FAST).map(|i| server.url(&format!("/fast/{i}"))));
    for url in &urls {
        writeln!(list, "{url}").unwrap();
    }
    let path = list.path().to_str().unwrap();
    let args = ["--timeout", "2", "--retries", "0", "-c", "16", path];
    let (csv, _, code) = run(&args);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "error"), "timeout after 2s");
    let results = csv.col("result");
    assert_eq!(results[1..].iter().filter(|r| **r == "ok").count(), FAST);
    assert!(csv.col("attempts")[1..].iter().all(|a| *a == "1"));
    assert_eq!(server.seen_at("/slow").len(), 1);
}

#[test]
fn a_stalled_first_url_lets_a_probe_go_before_its_timeout() {
    // The first URL answers only once every other URL has been answered:
    // only a probe sent while it stalls (after 1 s, long before its
    // timeout) lets the others start in time.
    const FAST: usize = 20;
    let server = hang_until_answered(FAST);
    let mut urls = vec![server.url("/hang")];
    urls.extend((0..FAST).map(|i| server.url(&format!("/fast/{i}"))));
    let mut args = vec!["--stall-after", "1", "--timeout", "15", "--retries", "0"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows.first());
    assert!(csv.col("result").iter().all(|r| *r == "ok"));
    assert_eq!(csv.col("url"), urls, "rows in input order");
}

#[test]
fn a_connect_timeout_is_not_retried_and_makes_the_host_unreachable() {
    let host = NeverAccepting::start();
    let urls = [host.url("/a"), host.url("/b"), host.url("/c")];
    // Connecting may take half of --timeout.
    let mut args = vec!["--timeout", "2", "--retries", "2"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "error"), "connect timeout after 1s");
    assert_eq!(csv.get(0, "attempts"), "1");
    for row in 1..3 {
        assert_eq!(
            csv.get(row, "error"),
            "connect timeout after 1s (host unreachable)"
        );
        assert_eq!(csv.get(row, "attempts"), "0");
    }
}

#[test]
fn a_host_that_answered_once_is_never_marked_unreachable() {
    let server = Server::start(|seen| {
        if seen.path == "/ok" {
            Reply::ok()
        } else {
            Reply::hang()
        }
    });
    let urls = [
        server.url("/ok"),
        server.url("/hang/1"),
        server.url("/hang/2"),
    ];
    let mut args = vec!["--timeout", "1", "--retries", "1", "--max-retry-wait", "0"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "ok");
    for row in 1..3 {
        assert_eq!(csv.get(row, "error"), "timeout after 1s");
        assert_eq!(
            csv.get(row, "attempts"),
            "2",
            "a timeout on a host that answered is retried"
        );
    }
    assert_eq!(server.seen_at("/hang/1").len(), 2);
    assert_eq!(server.seen_at("/hang/2").len(), 2);
}

#[test]
fn a_burst_of_429s_is_one_pause_and_halves_the_hosts_concurrency() {
    // After /warm, the first 8 requests (held until all 8 are in flight)
    // answer 429 with Retry-After: 1; every later request answers 200 after
    // a moment, so that the server sees how many are in flight at once
    // before the first answers let the host's concurrency grow back.
    const PER_HOST: usize = 8;
    let seen = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let calm_answers = Arc::new(AtomicUsize::new(0));
    let highest_after = Arc::new(AtomicUsize::new(0));
    let burst = Arc::new(tokio::sync::Barrier::new(PER_HOST));
    let (count, now, calm, highest, barrier) = (
        Arc::clone(&seen),
        Arc::clone(&in_flight),
        Arc::clone(&calm_answers),
        Arc::clone(&highest_after),
        Arc::clone(&burst),
    );
    let server = Server::start(move |request| {
        if request.path == "/warm" {
            return Reply::ok();
        }
        if count.fetch_add(1, Ordering::SeqCst) < PER_HOST {
            let barrier = Arc::clone(&barrier);
            return Reply::status(429)
                .header("retry-after", "1")
                .after(async move {
                    barrier.wait().await;
                });
        }
        let current = now.fetch_add(1, Ordering::SeqCst) + 1;
        // headcheck gives a slot back after every 4 calm answers.
        if calm.load(Ordering::SeqCst) < 4 {
            highest.fetch_max(current, Ordering::SeqCst);
        }
        let (now, calm) = (Arc::clone(&now), Arc::clone(&calm));
        Reply::ok().after(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            calm.fetch_add(1, Ordering::SeqCst);
        })
    });
    let mut urls = vec![server.url("/warm")];
    urls.extend((0..3 * PER_HOST).map(|i| server.url(&format!("/{i}"))));
    let mut args = vec!["--method", "head", "--per-host", "8"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows);
    let retried = csv.col("attempts").iter().filter(|a| **a == "2").count();
    assert_eq!(retried, PER_HOST, "each URL of the burst was retried once");
    let highest = highest_after.load(Ordering::SeqCst);
    assert!(
        (1..=PER_HOST / 2).contains(&highest),
        "after the burst at most half the slots: {highest}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 3 * PER_HOST + PER_HOST);
}

/// A host with a fixed-window limit of `limit` requests a second that says
/// so with every answer (`X-RateLimit-Remaining`, and `X-RateLimit-Reset` in
/// whole seconds, rounded up as such servers do), checked with `urls` URLs:
/// the 429s it had to send, and the rows.
fn checked_against_a_fixed_window(limit: u32, urls: usize) -> (usize, support::Csv) {
    let window = Arc::new(std::sync::Mutex::new((std::time::Instant::now(), 0u32)));
    let refused = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::clone(&refused);
    let server = Server::start(move |request| {
        let mut window = window.lock().unwrap();
        let (started, used) = &mut *window;
        if request.at.duration_since(*started) >= Duration::from_secs(1) {
            *started = request.at;
            *used = 0;
        }
        *used += 1;
        let left = Duration::from_secs(1).saturating_sub(request.at.duration_since(*started));
        let reset = left.as_secs_f64().ceil().max(1.0).to_string();
        let reply = if *used > limit {
            refusals.fetch_add(1, Ordering::SeqCst);
            Reply::status(429).header("retry-after", &reset)
        } else {
            Reply::ok()
        };
        reply
            .header("x-ratelimit-limit", limit.to_string())
            .header(
                "x-ratelimit-remaining",
                limit.saturating_sub(*used).to_string(),
            )
            .header("x-ratelimit-reset", reset)
    });
    let urls: Vec<String> = (0..urls).map(|i| server.url(&format!("/{i}"))).collect();
    let mut args = vec!["--method", "head"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert!(csv.col("attempts").iter().all(|a| *a == "1"));
    assert_eq!(server.seen().len(), urls.len());
    (refused.load(Ordering::SeqCst), csv)
}

/// A host that announces its quota is never pushed to 429: the quota paces
/// the run once it runs low. Without that, the 8 requests sent at once after
/// the warm-up would overrun a window of 6.
#[test]
fn a_host_that_announces_its_quota_is_never_pushed_to_429() {
    let (refused, _) = checked_against_a_fixed_window(6, 20);
    assert_eq!(refused, 0, "429s sent");
}

/// With nothing left, the host is held back until the reset: a window of
/// one request a second says 0 left with every answer, and no request
/// comes before its window has reset.
#[test]
fn a_host_with_no_quota_left_is_left_alone_until_the_reset() {
    let (refused, _) = checked_against_a_fixed_window(1, 3);
    assert_eq!(refused, 0, "429s sent");
}

#[test]
fn a_host_whose_head_is_wrong_three_times_is_asked_with_get_alone() {
    let server = Server::start(|seen| {
        if seen.method == "HEAD" {
            Reply::status(405)
        } else {
            Reply::ok()
        }
    });
    let urls: Vec<String> = (0..10).map(|i| server.url(&format!("/{i}"))).collect();
    // One at a time, so that the count does not depend on the order of
    // answers.
    let mut args = vec!["--per-host", "1"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert!(csv.col("method").iter().all(|m| *m == "GET"));
    let seen = server.seen();
    let heads = seen.iter().filter(|s| s.method == "HEAD").count();
    let gets = seen.iter().filter(|s| s.method == "GET").count();
    assert_eq!((heads, gets), (3, 10));
}

#[test]
fn stalled_requests_stop_counting_against_the_global_limit() {
    // Four URLs hang until every fast URL has been answered. With -c 4 they
    // hold every global slot until they stall (after 1 s); if stalled
    // requests kept their slots, no fast URL could start and the hanging
    // ones would time out instead.
    const FAST: usize = 100;
    let server = hang_until_answered(FAST);
    let mut urls = vec![server.url("/warm")];
    urls.extend((0..4).map(|i| server.url(&format!("/hang/{i}"))));
    urls.extend((0..FAST).map(|i| server.url(&format!("/fast/{i}"))));
    let mut args = vec!["-c", "4", "--stall-after", "1", "--timeout", "10"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", &csv.rows[..5]);
    assert!(csv.col("result").iter().all(|r| *r == "ok"));
    assert_eq!(csv.col("url"), urls, "rows in input order");
}

#[test]
fn a_low_open_file_limit_lowers_the_concurrency_instead_of_failing_requests() {
    // Each answer takes a moment, so that a thousand requests at once would
    // need a thousand sockets; the shell's limit (soft and hard) is 256.
    let server =
        Server::start(|_| Reply::ok().after(tokio::time::sleep(Duration::from_millis(20))));
    let mut list = tempfile::NamedTempFile::new().unwrap();
    for i in 0..1000 {
        writeln!(list, "{}", server.url(&format!("/{i}"))).unwrap();
    }
    let output = std::process::Command::new("sh")
        .args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_headcheck"))
        // No retries: a request that failed for want of a socket shows.
        .args(["-c", "1000", "--per-host", "1000", "--method", "head"])
        .args(["--retries", "0"])
        .arg(list.path())
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("-c lowered from 1000 to 96"), "{stderr}");
    let csv = support::Csv::parse(&output.stdout);
    assert_eq!(csv.rows.len(), 1000);
    let failed: Vec<&str> = csv
        .col("error")
        .into_iter()
        .filter(|e| !e.is_empty())
        .collect();
    assert!(failed.is_empty(), "{:?}", &failed[..failed.len().min(3)]);
    assert!(csv.col("attempts").iter().all(|a| *a == "1"));
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_hanging_url_at_the_top_never_stops_the_reading_of_a_long_list() {
    // The URL at the top answers only once all the others have been
    // answered: more of them than the run keeps unfinished or in memory, so
    // the reading must go on and the finished rows must wait on disk.
    const FAST: usize = 50_000;
    let server = hang_until_answered(FAST);
    let mut list = tempfile::NamedTempFile::new().unwrap();
    let mut urls = vec![server.url("/warm"), server.url("/hang")];
    urls.extend((0..FAST).map(|i| server.url(&format!("/fast/{i}"))));
    for url in &urls {
        writeln!(list, "{url}").unwrap();
    }
    let path = list.path().to_str().unwrap();
    let args = [
        "--method",
        "head",
        "--per-host",
        "64",
        "-c",
        "64",
        "--capture",
        "",
        "--timeout",
        "120",
        "--stall-after",
        "1",
        path,
    ];
    let (csv, _, code) = run(&args);
    assert_eq!(code, 0, "{:?}", csv.rows.get(1));
    assert_eq!(csv.get(1, "result"), "ok", "the hanging URL was answered");
    assert_eq!(csv.col("url"), urls, "rows in input order");
}

#[test]
fn a_closed_port_is_unreachable_though_another_port_of_its_host_answers() {
    let server = Server::start(|_| Reply::ok());
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let (csv, stderr, code) = run(&[
        "--retries",
        "0",
        "-c",
        "1",
        &server.url("/first"),
        &format!("{closed}/1"),
        &format!("{closed}/2"),
        &format!("{closed}/3"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(csv.col("result"), ["ok", "error", "error", "error"]);
    // The port's first URL tried, the others settled without a request.
    assert_eq!(csv.col("attempts"), ["1", "1", "0", "0"]);
    assert!(
        csv.get(2, "error").ends_with("(host unreachable)"),
        "{:?}",
        csv.rows
    );
}

#[test]
fn a_probe_sent_while_the_first_url_still_connects_is_called_off_when_the_host_is_unreachable() {
    let host = NeverAccepting::start();
    let urls = [host.url("/a"), host.url("/b"), host.url("/c")];
    // The first request stalls after 1 s, still connecting: the probe goes.
    // The connect timeout (half of --timeout) then finds the host
    // unreachable, and the probe, which could only time out too, is called
    // off: its row is made at once, as the third URL's.
    let mut args = vec!["--timeout", "4", "--stall-after", "1", "--retries", "0"];
    args.extend(urls.iter().map(String::as_str));
    let (csv, stderr, code) = run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(csv.get(0, "error"), "connect timeout after 2s");
    assert_eq!(csv.get(0, "attempts"), "1");
    for row in 1..3 {
        assert_eq!(
            csv.get(row, "error"),
            "connect timeout after 2s (host unreachable)",
            "{:?}",
            csv.rows
        );
        assert_eq!(csv.get(row, "attempts"), "0");
        assert_eq!(csv.get(row, "error_kind"), "connect_timeout");
    }
}
