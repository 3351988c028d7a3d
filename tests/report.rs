//! The report: columns, captured headers, formats, outputs, ordering,
//! spreadsheet safety; the summary, progress and exit statuses.

mod support;

use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;

use support::{Csv, Reply, Server, headcheck, run, spawn};

const COLUMNS: [&str; 11] = [
    "url",
    "result",
    "status",
    "final_url",
    "redirects",
    "method",
    "elapsed_ms",
    "attempts",
    "error",
    "error_kind",
    "source",
];

#[test]
fn csv_has_the_documented_columns_in_order() {
    let server = Server::start(|_| {
        Reply::ok()
            .header("content-type", "text/html; charset=utf-8")
            .header("last-modified", "Tue, 24 Nov 2026 10:00:00 GMT")
            .body("hello")
    });
    let (csv, _, _) = run(&[&server.url("/")]);
    let mut expected: Vec<&str> = COLUMNS.to_vec();
    expected.extend(["content-type", "content-length", "last-modified"]);
    assert_eq!(csv.headers, expected);
    let row = &csv.rows[0];
    assert_eq!(row[0], server.url("/"));
    assert_eq!(row[1..6], ["ok", "200", &server.url("/"), "0", "HEAD"]);
    assert!(row[6].parse::<u64>().is_ok(), "elapsed_ms {:?}", row[6]);
    assert_eq!(
        row[7..],
        [
            "1",
            "",
            "",
            "argv",
            "text/html; charset=utf-8",
            "5",
            "Tue, 24 Nov 2026 10:00:00 GMT"
        ]
    );
}

#[test]
fn capture_picks_headers_and_joins_repeated_values() {
    let server = Server::start(|_| {
        Reply::ok()
            .header("x-served-by", "cache-a")
            .header("x-served-by", "cache-b")
            .header("set-cookie", "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT")
            .header("set-cookie", "b=2")
    });
    let (csv, _, _) = run(&[
        "--capture",
        "X-Served-By",
        "--capture",
        "set-cookie,etag",
        &server.url("/"),
    ]);
    assert_eq!(csv.headers[11..], ["x-served-by", "set-cookie", "etag"]);
    assert_eq!(csv.get(0, "x-served-by"), "cache-a, cache-b");
    assert_eq!(
        csv.get(0, "set-cookie"),
        "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT\nb=2"
    );
    assert_eq!(csv.get(0, "etag"), "");
}

#[test]
fn capture_empty_records_no_headers() {
    let server = Server::start(|_| Reply::ok());
    let (csv, _, _) = run(&["--capture", "", &server.url("/")]);
    assert_eq!(csv.headers, COLUMNS);
}

#[test]
fn formula_like_server_text_is_neutralised_in_csv() {
    let server = Server::start(|_| {
        Reply::ok()
            .header("content-type", "=HYPERLINK(\"http://evil.test\",\"x\")")
            .header("x-plus", "+1")
    });
    let (csv, _, _) = run(&["--capture", "content-type,x-plus", &server.url("/")]);
    assert_eq!(
        csv.get(0, "content-type"),
        "'=HYPERLINK(\"http://evil.test\",\"x\")"
    );
    assert_eq!(csv.get(0, "x-plus"), "'+1");
}

#[test]
fn output_files_take_their_format_from_the_extension() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        _ => Reply::ok().header("content-type", "text/plain"),
    });
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("report.csv");
    let json_path = dir.path().join("report.json");
    let jsonl_path = dir.path().join("report.jsonl");
    let output = headcheck()
        .args(["-o", csv_path.to_str().unwrap()])
        .args(["-o", json_path.to_str().unwrap()])
        .args(["-o", jsonl_path.to_str().unwrap()])
        .args([server.url("/ok"), server.url("/gone")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout with -o");

    let csv = Csv::parse(&std::fs::read(&csv_path).unwrap());
    assert_eq!(csv.col("result"), ["ok", "broken"]);

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    let mut expected: Vec<&str> = COLUMNS.to_vec();
    expected.extend(["content-type", "content-length", "last-modified"]);
    assert_eq!(keys, expected, "JSON keys are the CSV columns, in order");
    assert_eq!(rows[0]["status"], 200);
    assert_eq!(rows[0]["content-type"], "text/plain");
    assert_eq!(rows[1]["result"], "broken");
    assert_eq!(rows[1]["status"], 404);
    assert_eq!(rows[1]["last-modified"], serde_json::Value::Null);

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["url"], server.url("/gone"));
}

#[test]
fn format_flag_chooses_the_stdout_format() {
    let server = Server::start(|_| Reply::ok());
    let output = headcheck()
        .args(["--format", "jsonl", &server.url("/")])
        .output()
        .unwrap();
    let row: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(row["result"], "ok");
    assert_eq!(row["redirects"], 0);

    let empty = headcheck()
        .args(["--format", "json", "mailto:x@example.test"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&empty.stdout).unwrap();
    assert_eq!(rows[0]["result"], "skipped");
}

#[test]
fn unordered_writes_rows_as_checks_finish() {
    // /first is answered only once the test has read /second's row: with
    // --unordered that row must come out while /first is still pending.
    // (/warm, answered at once, lets the host's other URLs start together.)
    let release = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&release);
    let server = Server::start(move |seen| match seen.path.as_str() {
        "/first" => {
            let signal = Arc::clone(&signal);
            Reply::ok().after(async move { signal.notified().await })
        }
        _ => Reply::ok(),
    });
    let (warm, first, second) = (
        server.url("/warm"),
        server.url("/first"),
        server.url("/second"),
    );
    let (mut child, mut stdout) = spawn(&["--unordered", &warm, &first, &second]);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with(&warm), "{line:?}");
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with(&second), "{line:?}");
    release.notify_one();
    line.clear();
    stdout.read_to_string(&mut line).unwrap();
    assert!(line.starts_with(&first), "{line:?}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn rows_are_flushed_before_the_run_ends() {
    // The second URL is answered only after the first row has reached the
    // reader of stdout: rows are not held back until the end.
    let release = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&release);
    let server = Server::start(move |seen| match seen.path.as_str() {
        "/later" => {
            let signal = Arc::clone(&signal);
            Reply::ok().after(async move { signal.notified().await })
        }
        _ => Reply::ok(),
    });
    let (mut child, mut stdout) = spawn(&[server.url("/now"), server.url("/later")]);
    let mut header = String::new();
    stdout.read_line(&mut header).unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with(&server.url("/now")), "{first:?}");
    release.notify_one();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with(&server.url("/later")), "{rest:?}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn summary_goes_to_stderr_and_quiet_silences_it() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        _ => Reply::ok(),
    });
    let (_, stderr, _) = run(&[&server.url("/ok"), &server.url("/gone")]);
    assert!(stderr.contains("2 URLs"), "{stderr}");
    assert!(stderr.contains("1 ok, 1 broken"), "{stderr}");
    assert!(
        stderr.contains(&format!("broken  {}  404", server.url("/gone"))),
        "{stderr}"
    );
    // No progress bar when stderr is not a terminal.
    assert!(
        !stderr.contains('\r') && !stderr.contains("ETA"),
        "{stderr:?}"
    );

    let (csv, stderr, code) = run(&["-q", &server.url("/ok"), &server.url("/gone")]);
    assert_eq!(stderr, "");
    assert_eq!(code, 1);
    assert_eq!(csv.rows.len(), 2);
}

#[test]
fn summary_escapes_control_characters() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, b"not a url \x1b[2J\n").unwrap();
    let (_, stderr, _) = run(&[file.path().to_str().unwrap()]);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("\\u{1b}"), "{stderr:?}");
}

#[test]
fn exit_status_follows_the_results_and_flags() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        "/wall" => Reply::status(999),
        _ => Reply::ok(),
    });
    let (ok, gone, wall) = (server.url("/ok"), server.url("/gone"), server.url("/wall"));
    assert_eq!(run(&[&ok]).2, 0);
    assert_eq!(run(&[&ok, "mailto:a@example.test"]).2, 0);
    assert_eq!(run(&[&ok, &gone]).2, 1);
    assert_eq!(run(&["--no-fail", &ok, &gone]).2, 0);
    assert_eq!(run(&[&ok, &wall]).2, 0, "blocked does not fail by default");
    assert_eq!(run(&["--strict", &ok, &wall]).2, 1);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    for args in [
        vec!["--no-such-flag"],
        vec!["--accept", "abc", "http://a.test/"],
        vec!["-H", "no colon", "http://a.test/"],
        vec!["--resolve", "a.test:1", "http://a.test/"],
        vec![missing.to_str().unwrap()],
    ] {
        let output = headcheck().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?} says why");
    }
    // The message names the file once, and escapes what it cannot show.
    let odd = dir.path().join("list\u{1b}[2J.txt");
    let output = headcheck().arg(&odd).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn broken_pipe_on_stdout_ends_quietly() {
    let server = Server::start(|_| Reply::ok());
    let urls: Vec<String> = (0..2000).map(|i| server.url(&format!("/{i}"))).collect();
    let (child, mut stdout) = spawn(&urls);
    let mut header = String::new();
    stdout.read_line(&mut header).unwrap();
    assert!(header.starts_with("url,result"));
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

/// Runs headcheck under a pseudo-terminal (util-linux `script`) of 80
/// columns, returning what the terminal showed.
fn on_a_terminal(args: &[String]) -> String {
    let binary = assert_cmd::cargo::cargo_bin("headcheck");
    let mut command_line = format!("stty cols 80 rows 24; {}", binary.display());
    for arg in args {
        command_line.push_str(&format!(" '{arg}'"));
    }
    let output = Command::new("script")
        .args(["-qec", &command_line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs commands on a pseudo-terminal");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn progress_bar_shows_on_a_terminal_unless_disabled() {
    let server = Server::start(|_| Reply::ok());
    let mut args: Vec<String> = vec!["-o".into(), "/dev/null".into()];
    args.extend((0..3).map(|i| server.url(&format!("/{i}"))));
    let shown = on_a_terminal(&args);
    assert!(shown.contains("/3") && shown.contains("ETA"), "{shown:?}");
    assert!(shown.contains("3 URLs"), "the summary follows: {shown:?}");

    args.insert(0, "--no-progress".into());
    let hidden = on_a_terminal(&args);
    assert!(!hidden.contains("ETA"), "{hidden:?}");
    assert!(hidden.contains("3 URLs"), "{hidden:?}");
}

/// The lines a terminal showed: split at line ends and carriage returns,
/// escape sequences removed.
fn screen_lines(shown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for piece in shown.split(['\n', '\r']) {
        let mut line = String::new();
        let mut chars = piece.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters, ended by a letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                line.push(c);
            }
        }
        if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    lines
}

#[test]
fn the_bar_never_mixes_with_rows_printed_to_the_same_terminal() {
    let server = Server::start(|_| Reply::ok());
    let mut args: Vec<String> = (0..30).map(|i| server.url(&format!("/{i}"))).collect();
    args.push(server.url("/0"));
    let shown = on_a_terminal(&args);
    let lines = screen_lines(&shown);
    assert!(!shown.contains("ETA"), "no bar: {shown:?}");
    let rows: Vec<&String> = lines.iter().filter(|l| l.starts_with("http")).collect();
    assert_eq!(rows.len(), 30, "{lines:?}");
    assert!(rows.iter().all(|row| row.contains(",ok,200,")), "{lines:?}");
}

#[test]
fn the_bar_fits_80_columns_and_a_resumed_run_has_no_false_eta() {
    // 300 rows done before, 4 left that take a timeout each: the bar is drawn
    // while the 300 are taken back at once.
    let server = Server::start(|_| Reply::ok());
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    let report = dir.path().join("report.csv");
    let done: Vec<String> = (0..300).map(|i| server.url(&format!("/{i}"))).collect();
    let left: Vec<String> = (0..4)
        .map(|i| format!("http://{}/hang/{i}", silent.local_addr().unwrap()))
        .collect();
    std::fs::write(&list, done.join("\n") + "\n").unwrap();
    let first = headcheck()
        .args(["-o", report.to_str().unwrap(), list.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0));
    std::fs::write(&list, [done.clone(), left].concat().join("\n") + "\n").unwrap();
    let shown = on_a_terminal(&[
        "--timeout".into(),
        "1".into(),
        "--retries".into(),
        "0".into(),
        "--resume".into(),
        report.to_str().unwrap().into(),
        "-o".into(),
        report.to_str().unwrap().into(),
        list.to_str().unwrap().into(),
    ]);
    let frames: Vec<String> = screen_lines(&shown)
        .into_iter()
        .filter(|line| line.contains("ETA"))
        .collect();
    assert!(!frames.is_empty(), "{shown:?}");
    for frame in &frames {
        assert!(
            frame.chars().count() <= 80,
            "{} columns: {frame:?}",
            frame.chars().count()
        );
        assert!(!frame.contains("ETA 0s"), "{frame:?}");
        assert!(
            !frame
                .split_whitespace()
                .any(|word| word.ends_with("/s") && word.contains('.')),
            "a rate with decimals: {frame:?}"
        );
    }
    assert!(frames.iter().any(|f| f.contains("/304")), "{frames:?}");
}

#[test]
fn the_summary_reads_naturally() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/wall" => Reply::status(999),
        _ => Reply::ok(),
    });
    let (_, stderr, _) = run(&[&server.url("/one")]);
    assert!(stderr.starts_with("1 URL in "), "{stderr}");
    assert!(!stderr.contains("/s)"), "no rate for one URL: {stderr}");

    let (_, stderr, _) = run(&[&server.url("/wall")]);
    let line = stderr.lines().find(|l| l.contains("/wall")).unwrap();
    assert!(line.ends_with("bot wall (status 999)"), "{line:?}");
    assert!(!line.contains("999 bot wall"), "the status once: {line:?}");
}

#[test]
fn reports_that_cannot_be_read_back_say_what_to_give() {
    let server = Server::start(|_| Reply::ok());
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("sheet.xlsx");
    let output = headcheck()
        .args(["-q", "-o", sheet.to_str().unwrap(), &server.url("/")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    for args in [
        vec!["merge", sheet.to_str().unwrap()],
        vec!["--resume", sheet.to_str().unwrap(), &server.url("/")],
    ] {
        let output = headcheck().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("a workbook cannot be read back: give the CSV or JSON Lines report"),
            "{stderr}"
        );
    }
    let missing = dir.path().join("nodir/r.csv");
    let output = headcheck()
        .args(["-o", missing.to_str().unwrap(), &server.url("/")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(missing.to_str().unwrap()),
        "names the path: {stderr}"
    );
}
