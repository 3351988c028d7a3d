//! Politeness: per-host limits, pacing, retries with backoff, Retry-After,
//! host-wide slow-down, and no starvation of fast hosts by slow ones.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Reply, Server, resolve_all, run};

/// `http://{host}:{port}{path}` for each path.
fn urls(server: &Server, host: &str, paths: impl IntoIterator<Item = String>) -> Vec<String> {
    paths
        .into_iter()
        .map(|p| format!("http://{host}:{}{p}", server.port()))
        .collect()
}

/// A server whose first `n` answers come from `failure`, then 200 OK.
fn failing_first(n: usize, failure: impl Fn() -> Reply + Send + Sync + 'static) -> Server {
    let count = AtomicUsize::new(0);
    Server::start(move |_| {
        if count.fetch_add(1, Ordering::SeqCst) < n {
            failure()
        } else {
            Reply::ok()
        }
    })
}

fn args<'a>(flags: &'a [&'a str], resolve: &'a [String], urls: &'a [String]) -> Vec<&'a str> {
    let mut all: Vec<&str> = flags.to_vec();
    all.extend(resolve.iter().map(String::as_str));
    all.extend(urls.iter().map(String::as_str));
    all
}

/// Runs 5 × `per_host` URLs on one host with `-c 64 --per-host per_host`
/// and returns the highest number of requests the host saw in flight at
/// once. Each request waits until `per_host` of them are in flight
/// together: with fewer allowed they would never be answered (and time
/// out), with more allowed more would be seen. The host's first URL, /warm,
/// is answered at once (the others start once the host answered).
///
/// One host, because a host alone in a run always runs at `per_host`: with
/// two, a host whose work left is less than half the other's (when it has
/// run a few rounds ahead, or the barrier's uneven answer times made its
/// checks look quicker) runs fewer at once, its share, which this barrier
/// never lets through: CI once saw that run time out.
/// That the limit is per host, not the run's, is `-c 64` here (and the
/// tests of hosts that keep going while another waits).
fn highest_per_host(per_host: usize) -> usize {
    let barrier = Arc::new(tokio::sync::Barrier::new(per_host));
    let in_flight: Arc<Mutex<(usize, usize)>> = Arc::default();
    let state = Arc::clone(&in_flight);
    let server = Server::start(move |seen| {
        if seen.path == "/warm" {
            return Reply::ok();
        }
        {
            let mut guard = state.lock().unwrap();
            let (now, highest) = &mut *guard;
            *now += 1;
            *highest = (*highest).max(*now);
        }
        let barrier = Arc::clone(&barrier);
        let state = Arc::clone(&state);
        Reply::ok().after(async move {
            barrier.wait().await;
            state.lock().unwrap().0 -= 1;
        })
    });
    let paths =
        std::iter::once("/warm".to_string()).chain((0..5 * per_host).map(|i| format!("/{i}")));
    let all = urls(&server, "a.test", paths);
    let resolve = resolve_all(&server, &["a.test"]);
    let limit = per_host.to_string();
    let (csv, _, code) = run(&args(
        &["-c", "64", "--per-host", &limit, "--timeout", "30"],
        &resolve,
        &all,
    ));
    assert_eq!(code, 0, "{:?}", csv.rows);
    in_flight.lock().unwrap().1
}

#[test]
fn per_host_limit_is_never_exceeded() {
    assert_eq!(highest_per_host(4), 4);
}

#[test]
fn a_high_per_host_limit_is_actually_used() {
    assert_eq!(highest_per_host(24), 24);
}

#[test]
fn rate_per_host_spaces_requests() {
    let server = Server::start(|_| Reply::ok());
    let resolve = resolve_all(&server, &["paced.test", "free.test"]);
    let mut all = urls(&server, "paced.test", (0..6).map(|i| format!("/{i}")));
    all.extend(urls(&server, "free.test", (0..6).map(|i| format!("/{i}"))));
    let (_, _, code) = run(&args(&["--rate-per-host", "5"], &resolve, &all));
    assert_eq!(code, 0);
    let seen = server.seen();
    let times: Vec<_> = seen
        .iter()
        .filter(|s| s.host() == "paced.test")
        .map(|s| s.at)
        .collect();
    assert_eq!(times.len(), 6);
    // Six requests at five per second without bursts: five gaps of 200 ms.
    let span = *times.last().unwrap() - times[0];
    assert!(span >= Duration::from_millis(950), "{span:?}");
}

#[test]
fn server_errors_are_retried_until_they_pass() {
    let server = failing_first(2, || Reply::status(503));
    // --max-retry-wait 0 keeps the test fast; the backoff itself is
    // covered by the Retry-After tests.
    let (csv, _, code) = run(&[
        "--method",
        "head",
        "--max-retry-wait",
        "0",
        &server.url("/flaky"),
    ]);
    assert_eq!(code, 0);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "attempts"), "3");
}

#[test]
fn retries_stop_after_the_limit() {
    let server = Server::start(|_| Reply::status(502));
    let (csv, _, _) = run(&[
        "--method",
        "head",
        "--retries",
        "1",
        "--max-retry-wait",
        "0",
        &server.url("/down"),
    ]);
    assert_eq!(csv.get(0, "result"), "broken");
    assert_eq!(csv.get(0, "status"), "502");
    assert_eq!(csv.get(0, "attempts"), "2");
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn not_found_is_not_retried() {
    let server = Server::start(|_| Reply::status(404));
    let (csv, _, _) = run(&["--max-retry-wait", "0", &server.url("/gone")]);
    assert_eq!(csv.get(0, "attempts"), "1");
    assert_eq!(server.seen().len(), 2, "HEAD and the confirming GET only");
}

/// Checks that the server's second request came at least about a second
/// after the first (a lower bound only: never how fast).
fn assert_waited_a_second(server: &Server) {
    let seen = server.seen();
    assert!(seen.len() >= 2, "{seen:?}");
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
}

#[test]
fn retry_after_in_seconds_is_honoured() {
    let server = failing_first(1, || Reply::status(429).header("retry-after", "1"));
    let (csv, _, _) = run(&[&server.url("/busy")]);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "attempts"), "2");
    assert_waited_a_second(&server);
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let server = failing_first(1, || {
        // Two seconds ahead, at one-second resolution: at least 1 s.
        let at = std::time::SystemTime::now() + Duration::from_secs(2);
        Reply::status(503).header("retry-after", httpdate::fmt_http_date(at))
    });
    let (csv, _, _) = run(&["--method", "head", &server.url("/busy")]);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "attempts"), "2");
    assert_waited_a_second(&server);
}

#[test]
fn max_retry_wait_caps_retry_after() {
    let server = failing_first(1, || Reply::status(429).header("retry-after", "3600"));
    // Without the cap this would wait an hour (and the test time out).
    let (csv, _, _) = run(&["--max-retry-wait", "0.1", &server.url("/busy")]);
    assert_eq!(csv.get(0, "result"), "ok");
    assert_eq!(csv.get(0, "attempts"), "2");
}

#[test]
fn rate_limited_after_all_retries_is_blocked() {
    let server = Server::start(|_| Reply::status(429).header("retry-after", "0"));
    let url = server.url("/limited");
    let (csv, _, code) = run(&[&url]);
    assert_eq!(csv.get(0, "result"), "blocked");
    assert_eq!(csv.get(0, "status"), "429");
    assert_eq!(csv.get(0, "attempts"), "3");
    assert_eq!(code, 0, "blocked does not fail the run");
    assert_eq!(run(&["--strict", &url]).2, 1);
}

#[test]
fn a_429_slows_down_every_url_of_that_host() {
    let server = failing_first(1, || Reply::status(429).header("retry-after", "1"));
    // One at a time, so the 429 is seen before any other request.
    let paths: Vec<String> = (0..5).map(|i| server.url(&format!("/{i}"))).collect();
    let mut flags = vec!["--per-host", "1"];
    flags.extend(paths.iter().map(String::as_str));
    let (csv, _, code) = run(&flags);
    assert_eq!(code, 0, "{:?}", csv.rows);
    let seen = server.seen();
    let limited_at = seen[0].at;
    for later in &seen[1..] {
        assert!(
            later.at - limited_at >= Duration::from_millis(950),
            "{} came {:?} after the 429",
            later.path,
            later.at - limited_at
        );
    }
}

#[test]
fn other_hosts_keep_going_while_one_waits() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let server = Server::start(move |seen| {
        if seen.host() == "busy.test" && counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(429).header("retry-after", "3")
        } else {
            Reply::ok()
        }
    });
    let resolve = resolve_all(&server, &["busy.test", "calm.test"]);
    let mut all = urls(&server, "busy.test", ["/wait".to_string()]);
    all.extend(urls(&server, "calm.test", (0..50).map(|i| format!("/{i}"))));
    let (csv, _, code) = run(&args(&[], &resolve, &all));
    assert_eq!(code, 0, "{:?}", csv.rows);
    let seen = server.seen();
    let retry = seen.iter().rposition(|s| s.host() == "busy.test").unwrap();
    let last_calm = seen.iter().rposition(|s| s.host() == "calm.test").unwrap();
    assert!(last_calm < retry, "calm.test waited for busy.test");
}

#[test]
fn slow_hosts_never_starve_fast_ones() {
    // 40 URLs of a slow host come first. The slow host answers only after
    // all 200 URLs of the fast host have been answered: if the slow host's
    // waiting URLs held global slots, the fast ones could not get through
    // and the slow ones would time out instead.
    const FAST: usize = 200;
    let answered = Arc::new(AtomicUsize::new(0));
    let all_fast = Arc::new(tokio::sync::Notify::new());
    let (count, done) = (Arc::clone(&answered), Arc::clone(&all_fast));
    let server = Server::start(move |seen| {
        if seen.host() == "slow.test" {
            let (count, done) = (Arc::clone(&count), Arc::clone(&done));
            return Reply::ok().after(async move {
                while count.load(Ordering::SeqCst) < FAST {
                    done.notified().await;
                }
            });
        }
        if count.fetch_add(1, Ordering::SeqCst) + 1 == FAST {
            done.notify_waiters();
        }
        Reply::ok()
    });
    let resolve = resolve_all(&server, &["slow.test", "fast.test"]);
    let mut all = urls(&server, "slow.test", (0..40).map(|i| format!("/{i}")));
    all.extend(urls(
        &server,
        "fast.test",
        (0..FAST).map(|i| format!("/{i}")),
    ));
    let (csv, _, code) = run(&args(
        &["-c", "16", "--per-host", "4", "--timeout", "60"],
        &resolve,
        &all,
    ));
    assert_eq!(code, 0, "{:?}", csv.rows.iter().find(|r| r[1] != "ok"));
    assert_eq!(csv.rows.len(), 240);
}

#[test]
fn max_retry_wait_caps_every_pause_whatever_the_retry_after_says() {
    // Each URL answers 429 once, with a Retry-After that is too large, a
    // date in year 9999, negative or not an integer, then 200. No pause of
    // the host may be longer than --max-retry-wait (1 s), whatever the
    // halved concurrency, the merged pauses or the learned pace add up to.
    const RETRY_AFTER: [&str; 4] = [
        "99999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "-5",
        "1.5e3",
    ];
    let told = Mutex::new(HashMap::<String, usize>::new());
    let server = Server::start(move |seen| {
        let mut told = told.lock().unwrap();
        let n = told.entry(seen.path.clone()).or_default();
        *n += 1;
        if *n > 1 {
            return Reply::ok();
        }
        let index: usize = seen.path[1..].parse().unwrap();
        Reply::status(429).header("retry-after", RETRY_AFTER[index])
    });
    let all: Vec<String> = (0..RETRY_AFTER.len())
        .map(|i| server.url(&format!("/{i}")))
        .collect();
    let (csv, _, code) = run(&args(
        &[
            "--method",
            "head",
            "--max-retry-wait",
            "1",
            "--timeout",
            "5",
        ],
        &[],
        &all,
    ));
    assert_eq!(code, 0, "{:?}", csv.rows);
    assert!(
        csv.col("attempts").iter().all(|a| *a == "2"),
        "{:?}",
        csv.rows
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2 * RETRY_AFTER.len());
    // An upper bound with room for a loaded machine: the pauses were 2.4 s
    // when the learned pace ignored the cap.
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(
        gaps.iter().all(|gap| *gap < Duration::from_millis(1900)),
        "gaps between requests: {gaps:?}"
    );
}
