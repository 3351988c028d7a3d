//! Nothing lost: Ctrl-C and SIGTERM keep every finished row, and --resume
//! completes an interrupted report.

mod support;

use std::io::{BufRead, Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use support::{Csv, Reply, Server, run, spawn};

/// A site where `/hold` never answers until released, and a list of
/// `/0`..`/9`, `/hold`, `/11`..`/19`. The sender is told when every fast
/// URL has been requested.
struct Site {
    server: Server,
    released: Arc<AtomicBool>,
    all_fast_seen: mpsc::Receiver<()>,
    list: tempfile::NamedTempFile,
}

impl Site {
    fn new() -> Site {
        let released = Arc::new(AtomicBool::new(false));
        let fast = Arc::new(AtomicUsize::new(0));
        let (tx, all_fast_seen) = mpsc::channel();
        let tx = Mutex::new(tx);
        let gate = Arc::clone(&released);
        let server = Server::start(move |seen| {
            if seen.path == "/hold" {
                return if gate.load(Ordering::SeqCst) {
                    Reply::ok()
                } else {
                    Reply::hang()
                };
            }
            if fast.fetch_add(1, Ordering::SeqCst) + 1 == 19 {
                let _ = tx.lock().unwrap().send(());
            }
            if seen.path == "/13" {
                return Reply::status(404).header("content-type", "=1+1");
            }
            Reply::ok().header("content-type", "text/html")
        });
        let mut list = tempfile::NamedTempFile::new().unwrap();
        for i in 0..20 {
            let path = if i == 10 {
                "/hold".to_string()
            } else {
                format!("/{i}")
            };
            writeln!(list, "{}", server.url(&path)).unwrap();
        }
        Site {
            server,
            released,
            all_fast_seen,
            list,
        }
    }

    fn list(&self) -> &str {
        self.list.path().to_str().unwrap()
    }

    fn urls(&self) -> Vec<String> {
        std::fs::read_to_string(self.list.path())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Starts a run of the site's list (HEAD only, so /13's 404 is one
/// request), waits until rows /0../9 are written and every fast URL was
/// requested, then sends `signal`. Returns the exit status, the report and
/// stderr.
fn interrupt(site: &Site, signal: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["--method", "head", site.list()];
    args.extend(extra);
    let (mut child, mut stdout) = spawn(&args);
    let mut report = String::new();
    for _ in 0..11 {
        stdout.read_line(&mut report).unwrap();
    }
    site.all_fast_seen.recv().unwrap();
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    stdout.read_to_string(&mut report).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, report, stderr)
}

fn check_interrupted(site: &Site, code: i32, report: &str, stderr: &str) {
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let csv = Csv::parse(report.as_bytes());
    let urls = site.urls();
    let written = csv.col("url");
    // Every row before the held URL, no row for it, and finished rows after
    // it, all in input order.
    assert_eq!(written[..10], urls[..10]);
    assert!(!written.contains(&urls[10].as_str()));
    let mut expected = urls[11..].iter();
    for url in &written[10..] {
        assert!(expected.any(|u| u == url), "{url} out of order");
    }
}

#[test]
fn sigterm_keeps_finished_rows_and_exits_130() {
    let site = Site::new();
    let (code, report, stderr) = interrupt(&site, "-TERM", &[]);
    check_interrupted(&site, code, &report, &stderr);
}

#[test]
fn ctrl_c_keeps_finished_rows_and_exits_130() {
    let site = Site::new();
    let (code, report, stderr) = interrupt(&site, "-INT", &[]);
    check_interrupted(&site, code, &report, &stderr);
}

#[test]
fn resume_completes_an_interrupted_report() {
    let site = Site::new();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let report_arg = report.to_str().unwrap().to_string();
    // `-o -` also writes to stdout, where the test watches the progress.
    let (code, _, stderr) = interrupt(&site, "-TERM", &["-o", &report_arg, "-o", "-"]);
    assert_eq!(code, 130, "{stderr}");
    let partial = Csv::parse(&std::fs::read(&report).unwrap());
    let kept = partial.rows.len();
    assert!(kept >= 10);

    site.released.store(true, Ordering::SeqCst);
    let before = site.server.seen().len();
    let (_, _, code) = run(&[
        "--method",
        "head",
        site.list(),
        "--resume",
        &report_arg,
        "-o",
        &report_arg,
    ]);
    assert_eq!(code, 1, "the resumed report still has /13's 404");
    let resumed = Csv::parse(&std::fs::read(&report).unwrap());
    let checked_again = site.server.seen().len() - before;
    assert_eq!(
        checked_again,
        20 - kept,
        "only the missing URLs were checked"
    );

    // The same as one uninterrupted run.
    let (whole, _, _) = run(&["--method", "head", site.list()]);
    assert_eq!(resumed.headers, whole.headers);
    for column in [
        "url",
        "result",
        "status",
        "final_url",
        "method",
        "source",
        "content-type",
    ] {
        assert_eq!(resumed.col(column), whole.col(column), "{column}");
    }
    // Neutralised text survives the round trip unchanged.
    assert_eq!(resumed.get(13, "content-type"), "'=1+1");
}

#[test]
fn an_interrupted_run_keeps_its_ok_results_in_the_cache() {
    let site = Site::new();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.jsonl");
    let cache_arg = cache.to_str().unwrap().to_string();
    let (code, _, stderr) = interrupt(&site, "-TERM", &["--cache", &cache_arg]);
    assert_eq!(code, 130, "{stderr}");
    let text = std::fs::read_to_string(&cache).unwrap();
    let urls = site.urls();
    // The ten rows before the held URL were ok (and /13 is a 404): all the
    // ok ones are kept, the held one is not.
    for url in &urls[..10] {
        assert!(
            text.contains(&format!("\"url\":\"{url}\"")),
            "{url}: {text}"
        );
    }
    assert!(!text.contains(&urls[10]), "{text}");
    assert!(!text.contains(&urls[13]), "{text}");
}

#[test]
fn sighup_is_an_interruption_too() {
    // The terminal closed, or the SSH session dropped.
    let site = Site::new();
    let (code, report, stderr) = interrupt(&site, "-HUP", &[]);
    check_interrupted(&site, code, &report, &stderr);
}

/// A report `r.csv` of the first two of `server`'s URLs /0, /1, /2, in a
/// new directory whose `urls.txt` lists those two; and the three URLs.
fn reported_two_of_three(server: &Server) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..3).map(|i| server.url(&format!("/{i}"))).collect();
    let (list, report) = paths(&dir);
    std::fs::write(&list, urls[..2].join("\n")).unwrap();
    let (_, _, code) = run(&["-o", &report, &list]);
    assert_eq!(code, 0);
    (dir, urls)
}

/// The list and the report of [`reported_two_of_three`].
fn paths(dir: &tempfile::TempDir) -> (String, String) {
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    (path("urls.txt"), path("r.csv"))
}

#[test]
fn resume_says_how_many_rows_it_kept_and_which_headers_they_lack() {
    let server = Server::start(|_| Reply::ok().header("etag", "\"v1\""));
    let (dir, urls) = reported_two_of_three(&server);
    let (list, report) = paths(&dir);
    let (list, report) = (list.as_str(), report.as_str());
    std::fs::write(list, urls.join("\n")).unwrap();

    let (_, stderr, code) = run(&["--resume", report, "-o", report, list]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains(&format!(
            "2 rows kept from {report} (--resume), not checked again"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("has no"), "same headers: {stderr}");

    let (_, stderr, _) = run(&["--resume", report, "--capture", "etag", list]);
    assert!(
        stderr.contains(&format!(
            "{report} has no etag column: the rows kept from it leave it empty"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("3 rows kept"), "{stderr}");
}

/// `report` rewritten as a report of another version: its columns in
/// reverse order, without `method` (older), with `later` (newer).
fn as_another_version(report: &str) {
    let csv = Csv::parse(&std::fs::read(report).unwrap());
    let mut order: Vec<usize> = (0..csv.headers.len())
        .rev()
        .filter(|&i| csv.headers[i] != "method")
        .collect();
    order.insert(1, usize::MAX);
    let line = |cells: Vec<&str>| cells.join(",") + "\n";
    let mut text = line(
        order
            .iter()
            .map(|&i| csv.headers.get(i).map_or("later", String::as_str))
            .collect(),
    );
    for row in &csv.rows {
        assert!(row.iter().all(|cell| !cell.contains([',', '"'])), "{row:?}");
        text += &line(
            order
                .iter()
                .map(|&i| row.get(i).map_or("from a later version", String::as_str))
                .collect(),
        );
    }
    std::fs::write(report, text).unwrap();
}

#[test]
fn resume_and_merge_read_a_report_by_column_name_whatever_its_version() {
    let server = Server::start(|_| Reply::ok());
    let (dir, urls) = reported_two_of_three(&server);
    let (list, report) = paths(&dir);
    let (list, report) = (list.as_str(), report.as_str());
    as_another_version(report);
    std::fs::write(list, urls.join("\n")).unwrap();

    let requests = server.seen().len();
    let (csv, stderr, code) = run(&["--resume", report, list]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("2 rows kept"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "note: {report} has a column later this run does not write"
        )),
        "{stderr}"
    );
    assert_eq!(server.seen().len(), requests + 1, "only /2 is checked");
    assert_eq!(csv.col("result"), ["ok", "ok", "ok"]);
    assert_eq!(csv.col("status"), ["200", "200", "200"]);
    assert_eq!(csv.col("method"), ["", "", "HEAD"], "kept rows had none");

    // merge keeps what it does not know as a column of its own.
    let (merged, stderr, code) = run(&["merge", report]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        merged.headers.contains(&"later".to_string()),
        "{:?}",
        merged.headers
    );
    assert_eq!(merged.col("later"), ["from a later version"; 2]);
    assert_eq!(merged.col("url"), urls[..2]);
    assert_eq!(merged.col("status"), ["200", "200"]);
}
