//! `--cache`: ok results reused between runs while they are fresh; broken
//! ones always checked again.

mod support;

use std::io::Write;

use support::{Csv, Reply, Server, headcheck};

fn site() -> (Server, tempfile::TempDir, String) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        _ => Reply::ok().header("content-type", "text/html"),
    });
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    let mut file = std::fs::File::create(&list).unwrap();
    writeln!(file, "{}\n{}", server.url("/fine"), server.url("/gone")).unwrap();
    (server, dir, list.to_str().unwrap().to_string())
}

fn run(args: &[&str]) -> (Csv, String) {
    let output = headcheck().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "the 404 fails every run");
    (
        Csv::parse(&output.stdout),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ok_results_are_reused_and_broken_ones_checked_again() {
    let (server, dir, list) = site();
    let cache = dir.path().join("cache.jsonl");
    let cache = cache.to_str().unwrap();

    let (first, _) = run(&[&list, "--cache", cache]);
    assert_eq!(server.seen_at("/fine").len(), 1);
    assert_eq!(
        server.seen_at("/gone").len(),
        2,
        "HEAD, then GET to confirm"
    );
    let text = std::fs::read_to_string(cache).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r#"{"headcheck_cache":1}"#);
    assert_eq!(lines.len(), 2, "only the ok result is kept: {text}");
    assert!(lines[1].contains(&server.url("/fine")), "{text}");

    let (second, stderr) = run(&[&list, "--cache", cache]);
    assert_eq!(server.seen_at("/fine").len(), 1, "not requested again");
    assert_eq!(server.seen_at("/gone").len(), 4, "checked again");
    assert!(
        stderr.contains("1 ok results reused from the cache"),
        "{stderr}"
    );
    let fine = second.row(&server.url("/fine"));
    assert_eq!(second.get(fine, "result"), "ok");
    assert_eq!(second.get(fine, "status"), "200");
    assert_eq!(second.get(fine, "attempts"), "0");
    assert_eq!(second.get(fine, "content-type"), "text/html");
    assert_eq!(
        second.get(fine, "source"),
        first.get(first.row(&server.url("/fine")), "source")
    );
    assert_eq!(second.col("url"), first.col("url"), "same rows, same order");
}

#[test]
fn results_older_than_max_cache_age_are_checked_again() {
    let (server, dir, list) = site();
    let cache = dir.path().join("cache.jsonl");
    let cache_arg = cache.to_str().unwrap();
    run(&[&list, "--cache", cache_arg]);
    assert_eq!(server.seen_at("/fine").len(), 1);

    // Make the entry two hours old.
    let text = std::fs::read_to_string(&cache).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut entry: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    let checked = entry["checked"].as_u64().unwrap();
    entry["checked"] = (checked - 7_200).into();
    lines[1] = entry.to_string();
    std::fs::write(&cache, lines.join("\n")).unwrap();

    run(&[&list, "--cache", cache_arg, "--max-cache-age", "3h"]);
    assert_eq!(server.seen_at("/fine").len(), 1, "fresh under 3h");
    run(&[&list, "--cache", cache_arg, "--max-cache-age", "1h"]);
    assert_eq!(server.seen_at("/fine").len(), 2, "stale under 1h");
    // Checked again, the entry is young again.
    run(&[&list, "--cache", cache_arg, "--max-cache-age", "1h"]);
    assert_eq!(server.seen_at("/fine").len(), 2);
}

#[test]
fn a_bad_cache_age_is_a_usage_error() {
    let output = headcheck()
        .args(["--max-cache-age", "3 days", "http://a.test/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_corrupt_line_in_the_cache_is_ignored_and_said_once() {
    let (server, dir, list) = site();
    let cache = dir.path().join("cache.jsonl");
    let cache = cache.to_str().unwrap();
    run(&[&list, "--cache", cache]);
    assert_eq!(server.seen_at("/fine").len(), 1);
    // A CI cache restored half-written: a line that is not UTF-8, one that
    // is not JSON, around the good entry.
    let mut text = std::fs::read(cache).unwrap();
    text.extend_from_slice(b"{\"url\":\"http://a.test/caf\xe9\"}\n{\"url\": trunc\n");
    std::fs::write(cache, &text).unwrap();

    let (csv, stderr) = run(&[&list, "--cache", cache]);
    assert_eq!(
        server.seen_at("/fine").len(),
        1,
        "the good entry is still used"
    );
    assert_eq!(csv.get(csv.row(&server.url("/fine")), "attempts"), "0");
    assert_eq!(
        stderr
            .matches("ignored 2 unreadable lines of the cache")
            .count(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_url_and_its_fragment_share_one_cache_entry() {
    let (server, dir, _) = site();
    let cache = dir.path().join("cache.jsonl");
    let cache = cache.to_str().unwrap();
    let fine = server.url("/fine");
    let with_fragment = format!("{fine}#part");
    let output = headcheck()
        .args(["--cache", cache, &with_fragment])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let output = headcheck()
        .args(["--cache", cache, &fine])
        .output()
        .unwrap();
    let csv = Csv::parse(&output.stdout);
    assert_eq!(csv.get(0, "attempts"), "0", "taken from the cache");
    assert_eq!(server.seen_at("/fine").len(), 1);
}

#[test]
fn rows_kept_by_resume_are_not_stored_in_the_cache_as_checked_now() {
    let (server, dir, list) = site();
    let report = dir.path().join("r.csv");
    let (report, cache) = (
        report.to_str().unwrap(),
        dir.path().join("cache.jsonl").to_str().unwrap().to_string(),
    );
    run(&[&list, "-o", report]);
    assert_eq!(server.seen_at("/fine").len(), 1);
    // Resumed with a cache: /fine is kept from the report, not checked.
    let (_, stderr) = run(&[&list, "--resume", report, "--cache", &cache]);
    assert!(stderr.contains("2 rows kept"), "{stderr}");
    assert_eq!(server.seen_at("/fine").len(), 1, "kept, not checked");
    // Its result is as old as the report, which the cache cannot know: it
    // is not in the cache, so the next run with the cache checks it.
    let (csv, _) = run(&[&list, "--cache", &cache]);
    assert_eq!(
        server.seen_at("/fine").len(),
        2,
        "checked, not taken from the cache"
    );
    assert_eq!(csv.get(csv.row(&server.url("/fine")), "attempts"), "1");
}
