//! `--baseline REPORT`: a run fails only on what is newly broken since an
//! earlier report; known failures keep their rows, a moved link stays
//! known, and the summary, annotations and Markdown say what is new.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::{Csv, Reply, Server, headcheck};

/// `/gone` and `/new` answer 404; `/fixed` answers 404 until `fixed` is
/// set; every other path 200.
fn server(fixed: Arc<AtomicBool>) -> Server {
    Server::start(move |seen| match seen.path.as_str() {
        "/gone" | "/new" => Reply::status(404),
        "/fixed" if !fixed.load(Ordering::SeqCst) => Reply::status(404),
        _ => Reply::ok(),
    })
}

/// Runs headcheck with `args` on GitHub Actions: the CSV report, stderr
/// and the exit status.
fn run(args: &[&str]) -> (Csv, String, i32) {
    let output = headcheck()
        .env("GITHUB_ACTIONS", "true")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        Csv::parse(&output.stdout),
        stderr,
        output.status.code().unwrap_or(-1),
    )
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn only_new_failures_fail_the_run_and_a_moved_link_stays_known() {
    let fixed = Arc::new(AtomicBool::new(false));
    let server = server(fixed.clone());
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.md");
    let doc_arg = doc.to_str().unwrap();
    let base = dir.path().join("main.csv");
    let base_arg = base.to_str().unwrap();
    // The main branch: two dead links.
    write(
        &doc,
        &format!(
            "# Doc\n\n[a]({})\n[b]({})\n[c]({})\n",
            server.url("/gone"),
            server.url("/fixed"),
            server.url("/fine")
        ),
    );
    let (_, stderr, code) = run(&["-q", "-o", base_arg, doc_arg]);
    assert_eq!(code, 1, "{stderr}");

    // The pull request: /gone moved down, /fixed fixed, /new added.
    fixed.store(true, Ordering::SeqCst);
    write(
        &doc,
        &format!(
            "# Doc\n\nA new paragraph.\n\nMore.\n\n[a]({})\n[b]({})\n[c]({})\n[d]({})\n",
            server.url("/gone"),
            server.url("/fixed"),
            server.url("/fine"),
            server.url("/new")
        ),
    );
    let (csv, stderr, code) = run(&["--baseline", base_arg, doc_arg]);
    assert_eq!(code, 1, "{stderr}");
    // Known failures keep their rows.
    assert_eq!(csv.rows.len(), 4);
    assert_eq!(csv.get(csv.row(&server.url("/gone")), "result"), "broken");
    assert!(
        stderr.contains("1 new, 1 known, 1 fixed since the baseline\n"),
        "{stderr}"
    );
    // The new failure is an error annotation, titled new; the known one a
    // warning at its new line.
    let new = format!(
        "::error file={doc_arg},line=10,col=1,title=new broken link::{}: 404",
        server.url("/new")
    );
    let known = format!(
        "::warning file={doc_arg},line=7,col=1,title=broken link (known from the baseline)::{}: 404",
        server.url("/gone")
    );
    let new_at = stderr.find(&new).unwrap_or_else(|| panic!("{stderr}"));
    let known_at = stderr.find(&known).unwrap_or_else(|| panic!("{stderr}"));
    assert!(new_at < known_at, "{stderr}");

    // Without the new link, only known failures: the run passes.
    write(
        &doc,
        &format!(
            "[a]({})\n[c]({})\n",
            server.url("/gone"),
            server.url("/fine")
        ),
    );
    let (_, stderr, code) = run(&["--baseline", base_arg, doc_arg]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 new, 1 known, 0 fixed since the baseline\n"),
        "{stderr}"
    );
}

#[test]
fn a_baseline_without_error_kind_matches_by_url_and_a_new_kind_is_new() {
    let server = server(Arc::new(AtomicBool::new(false)));
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.csv");
    // A report of a headcheck from before the error_kind column.
    write(
        &old,
        &format!(
            "url,result,status,final_url,redirects,method,elapsed_ms,attempts,error,source\n\
             {},broken,404,,0,GET,3,1,,list.txt:1\n",
            server.url("/gone")
        ),
    );
    let (_, stderr, code) = run(&["--baseline", old.to_str().unwrap(), &server.url("/gone")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 new, 1 known"), "{stderr}");

    // The same URL failing in another way (a timeout then, a 404 now) is
    // a new failure.
    let jsonl = dir.path().join("old.jsonl");
    write(
        &jsonl,
        &format!(
            "{{\"url\":\"{}\",\"result\":\"error\",\"error\":\"timeout\",\"error_kind\":\"timeout\",\"source\":\"argv\"}}\n",
            server.url("/gone")
        ),
    );
    let (_, stderr, code) = run(&["--baseline", jsonl.to_str().unwrap(), &server.url("/gone")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("1 new, 0 known"), "{stderr}");
}

#[test]
fn a_baseline_that_cannot_be_read_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    let (_, stderr, code) = run(&[
        "--baseline",
        missing.to_str().unwrap(),
        "http://127.0.0.1:9/",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--baseline"), "{stderr}");
}

/// A report in today's columns, one row per `(url, result, status,
/// final_url, error_kind)`.
fn report(rows: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut text = String::from(
        "url,result,status,final_url,redirects,method,elapsed_ms,attempts,error,error_kind,source\n",
    );
    for (line, (url, result, status, final_url, kind)) in rows.iter().enumerate() {
        text += &format!(
            "{url},{result},{status},{final_url},0,HEAD,1,1,,{kind},list.txt:{}\n",
            line + 1
        );
    }
    text
}

#[test]
fn diff_says_what_broke_got_fixed_or_changed_and_fails_on_what_broke() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.csv");
    let new = dir.path().join("new.csv");
    write(
        &old,
        &report(&[
            ("http://a.test/", "ok", "200", "", ""),
            ("http://b.test/", "broken", "404", "", "status"),
            ("http://c.test/", "ok", "200", "http://c.test/one", ""),
            ("http://d.test/", "broken", "404", "", "status"),
            ("http://e.test/", "error", "", "", "timeout"),
        ]),
    );
    write(
        &new,
        &report(&[
            ("http://g.test/", "ok", "200", "", ""),
            ("http://a.test/", "broken", "404", "", "status"),
            ("http://b.test/", "ok", "200", "", ""),
            ("http://c.test/", "ok", "200", "http://c.test/two", ""),
            ("http://d.test/", "broken", "404", "", "status"),
            ("http://e.test/", "error", "", "", "dns"),
            ("http://f.test/", "broken", "410", "", "status"),
        ]),
    );
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let (csv, stderr, code) = run(&["diff", old, new]);
    assert_eq!(code, 1, "{stderr}");
    let changes: Vec<(&str, &str)> = csv.col("url").into_iter().zip(csv.col("change")).collect();
    assert_eq!(
        changes,
        [
            ("http://a.test/", "broke"),
            ("http://b.test/", "fixed"),
            ("http://c.test/", "changed"),
            ("http://e.test/", "broke"),
            ("http://f.test/", "broke"),
        ]
    );
    let c = csv.row("http://c.test/");
    assert_eq!(csv.get(c, "old_final_url"), "http://c.test/one");
    assert_eq!(csv.get(c, "new_final_url"), "http://c.test/two");
    assert_eq!(csv.get(csv.row("http://f.test/"), "old_result"), "");
    assert!(
        stderr.contains(&format!(
            "3 broke, 1 fixed, 1 changed between {old} and {new}"
        )),
        "{stderr}"
    );

    // JSON Lines and Markdown say the same.
    let out = dir.path().join("changes.jsonl");
    let (_, _, code) = run(&["diff", "-q", old, new, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    let lines = std::fs::read_to_string(&out).unwrap();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["change"], "broke");
    assert_eq!(first["old_status"], "200");
    assert_eq!(lines.lines().count(), 5);
    let out = dir.path().join("changes.md");
    run(&["diff", "-q", old, new, "-o", out.to_str().unwrap()]);
    let markdown = std::fs::read_to_string(&out).unwrap();
    assert!(
        markdown.starts_with("## headcheck diff: 3 broke, 1 fixed, 1 changed\n"),
        "{markdown}"
    );
    assert!(markdown.contains("| fixed | http://b.test/ | broken 404 → ok 200 |"));

    // A report beside itself: nothing changed, exit 0.
    let (_, stderr, code) = run(&["diff", "-o", "-", new, new]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 broke, 0 fixed, 0 changed"), "{stderr}");
}

#[test]
fn fail_after_counts_a_url_only_after_n_failing_runs_in_a_row() {
    let fixed = Arc::new(AtomicBool::new(false));
    let server = server(fixed.clone());
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.jsonl");
    let cache = cache.to_str().unwrap();
    let flaky = server.url("/fixed");
    let args = ["--cache", cache, "--fail-after", "2", &flaky];
    // The first failure: the row says so, the run does not fail.
    let (csv, stderr, code) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.get(0, "result"), "broken");
    assert!(
        stderr.contains(&format!(
            "1 failing URL not counted yet (--fail-after 2):\n  {flaky}  failing in 1 of 2 runs, since "
        )),
        "{stderr}"
    );
    // The second in a row fails the run.
    let (_, stderr, code) = run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("not counted yet"), "{stderr}");
    let kept = std::fs::read_to_string(cache).unwrap();
    assert!(kept.contains("\"failing\":2"), "{kept}");
    // A success ends the count (the cache keeps the ok result instead).
    fixed.store(true, Ordering::SeqCst);
    let (_, stderr, code) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    let kept = std::fs::read_to_string(cache).unwrap();
    assert!(!kept.contains("\"failing\""), "{kept}");

    let (_, stderr, code) = run(&["--fail-after", "2", &flaky]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--cache"), "{stderr}");
}
