//! Inputs: URL arguments, list files, standard input; invalid and skipped
//! entries; deduplication; include/exclude patterns.

mod support;

use std::io::Write;

use support::{Reply, Server, headcheck, run};

fn ok_server() -> Server {
    Server::start(|_| Reply::ok())
}

#[test]
fn url_arguments_are_checked_with_source_argv() {
    let server = ok_server();
    let (csv, _, code) = run(&[&server.url("/a"), &server.url("/b")]);
    assert_eq!(code, 0);
    assert_eq!(csv.col("url"), [server.url("/a"), server.url("/b")]);
    assert_eq!(csv.col("result"), ["ok", "ok"]);
    assert_eq!(csv.col("source"), ["argv", "argv"]);
}

#[test]
fn list_file_tolerates_bom_crlf_comments_blanks_and_whitespace() {
    let server = ok_server();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        "\u{feff}{}\r\n\r\n# a comment\n   \n  {}  \t\r\n{}",
        server.url("/one"),
        server.url("/two"),
        server.url("/three")
    )
    .unwrap();
    let path = file.path().to_str().unwrap();
    let (csv, _, code) = run(&[path]);
    assert_eq!(code, 0);
    assert_eq!(
        csv.col("url"),
        [server.url("/one"), server.url("/two"), server.url("/three")]
    );
    assert_eq!(
        csv.col("source"),
        [
            format!("{path}:1"),
            format!("{path}:5"),
            format!("{path}:6")
        ]
    );
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn dash_reads_standard_input() {
    let server = ok_server();
    let input = format!("{}\n# skip me\n{}\n", server.url("/x"), server.url("/y"));
    let output = headcheck().arg("-").write_stdin(input).output().unwrap();
    let csv = support::Csv::parse(&output.stdout);
    assert_eq!(csv.col("url"), [server.url("/x"), server.url("/y")]);
    assert_eq!(csv.col("source"), ["stdin:1", "stdin:3"]);
}

#[test]
fn piped_standard_input_is_read_without_arguments() {
    let server = ok_server();
    let output = headcheck()
        .write_stdin(format!("{}\n", server.url("/piped")))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let csv = support::Csv::parse(&output.stdout);
    assert_eq!(csv.col("url"), [server.url("/piped")]);
    assert_eq!(csv.col("source"), ["stdin:1"]);
}

#[test]
fn invalid_lines_become_invalid_rows_with_their_source() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "not a url\nwww.example.test/no-scheme\nhttp://\n=cmd|' /C calc'!A0"
    )
    .unwrap();
    let path = file.path().to_str().unwrap();
    let (csv, stderr, code) = run(&[path]);
    assert_eq!(code, 1, "invalid input fails the run");
    assert_eq!(csv.col("result"), ["invalid"; 4]);
    assert_eq!(csv.get(0, "url"), "not a url");
    assert_eq!(csv.get(0, "source"), format!("{path}:1"));
    assert!(
        csv.get(1, "error").contains("no scheme"),
        "{:?}",
        csv.rows[1]
    );
    assert_eq!(csv.get(0, "status"), "");
    assert_eq!(csv.get(0, "attempts"), "0");
    // Input text that looks like a formula is neutralised in the CSV.
    assert_eq!(csv.get(3, "url"), "'=cmd|' /C calc'!A0");
    assert!(stderr.contains("4 invalid"), "{stderr}");
}

#[test]
fn binary_garbage_lines_are_invalid_rows_not_a_crash() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"\x00\xff\xfe garbage \x80\n\x1b[31mred\n")
        .unwrap();
    let (csv, _, code) = run(&[file.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(csv.col("result"), ["invalid", "invalid"]);
}

#[test]
fn other_schemes_are_skipped_and_do_not_fail_the_run() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "mailto:someone@example.test\ntel:+123\nftp://files.example.test/a\njavascript:void(0)\ndata:text/plain,hi\nfile:///etc/passwd"
    )
    .unwrap();
    let (csv, _, code) = run(&[file.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(csv.col("result"), ["skipped"; 6]);
    assert!(csv.get(0, "error").contains("mailto"));
    assert_eq!(csv.get(0, "method"), "");
}

#[test]
fn each_distinct_url_is_checked_and_reported_once() {
    let server = ok_server();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let a = server.url("/a");
    let b = server.url("/b");
    // The same URL spelled differently (scheme and host case) is one URL.
    let a_upper = a.replace("http://", "HTTP://");
    writeln!(file, "{a}\n{b}\n{a}\n{a_upper}\n{b}").unwrap();
    let path = file.path().to_str().unwrap();
    let (csv, _, _) = run(&[path, &a]);
    assert_eq!(csv.col("url"), [a.as_str(), b.as_str()]);
    assert_eq!(
        csv.col("source"),
        [format!("{path}:1"), format!("{path}:2")]
    );
    assert_eq!(server.seen_at("/a").len(), 1);
    assert_eq!(server.seen_at("/b").len(), 1);
}

#[test]
fn exclude_and_include_patterns_skip_urls() {
    let server = ok_server();
    let (csv, _, code) = run(&[
        "--include",
        "/docs/",
        "--exclude",
        "draft",
        &server.url("/docs/a"),
        &server.url("/docs/draft"),
        &server.url("/blog/b"),
    ]);
    assert_eq!(code, 0);
    assert_eq!(csv.col("result"), ["ok", "skipped", "skipped"]);
    assert!(csv.get(1, "error").contains("--exclude draft"));
    assert!(csv.get(2, "error").contains("--include"));
    assert_eq!(server.seen().len(), 1, "skipped URLs are not requested");
}

#[test]
fn overlong_line_is_an_invalid_row_and_the_rest_is_read() {
    let server = ok_server();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let long = format!("http://a.test/{}", "x".repeat(100 * 1024));
    writeln!(file, "{long}\n{}", server.url("/after")).unwrap();
    let (csv, _, _) = run(&[file.path().to_str().unwrap()]);
    assert_eq!(csv.col("result"), ["invalid", "ok"]);
    assert!(csv.get(0, "error").contains("line longer than"));
}

#[test]
fn an_empty_input_is_an_error_that_names_it() {
    // A CI job whose list is empty (or whose stdin got nothing) must not
    // pass silently.
    let file = tempfile::NamedTempFile::new().unwrap();
    let name = file.path().to_str().unwrap();
    let (csv, stderr, code) = run(&[name]);
    assert_eq!(code, 2);
    assert!(csv.rows.is_empty());
    assert!(
        stderr.contains(&format!("no URLs found in {name}")),
        "{stderr}"
    );
    let output = support::headcheck()
        .arg("-")
        .write_stdin("# only a comment\n\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no URLs found in standard input"),
        "{stderr}"
    );
}

#[test]
fn a_file_that_fails_while_being_read_is_an_input_error() {
    // Reading /proc/self/mem at offset 0 fails with EIO: an unreadable file
    // even for root, who can read any file whatever its permissions.
    let output = headcheck().arg("/proc/self/mem").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/proc/self/mem: read error"), "{stderr}");
}

#[test]
fn a_missing_file_is_an_input_error_before_any_request() {
    let server = ok_server();
    let output = headcheck()
        .args([&server.url("/first"), "/no/such/list.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/list.txt"));
    assert!(server.seen().is_empty(), "nothing was checked");
}

#[test]
fn urls_that_differ_only_in_their_fragment_are_one_request_and_one_row() {
    let server = ok_server();
    let page = server.url("/page");
    let (csv, stderr, code) = run(&[
        &format!("{page}#intro"),
        &page,
        &format!("{page}#usage"),
        &server.url("/other"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    // Reported once, at its first occurrence, as written there.
    assert_eq!(
        csv.col("url"),
        [format!("{page}#intro"), server.url("/other")]
    );
    assert_eq!(server.seen_at("/page").len(), 1);
}

#[test]
fn a_mistyped_scheme_fails_the_run_with_a_hint() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "htps://a.test/x\nhttp:/a.test/y\nhttps//a.test/z\nexample.com\nmailto:me@a.test"
    )
    .unwrap();
    let (csv, stderr, code) = run(&[file.path().to_str().unwrap()]);
    assert_eq!(code, 1, "a typo fails the run: {stderr}");
    assert_eq!(
        csv.col("result"),
        ["invalid", "invalid", "invalid", "invalid", "skipped"]
    );
    for (row, meant) in [
        "https://a.test/x",
        "http://a.test/y",
        "https://a.test/z",
        "https://example.com/",
    ]
    .iter()
    .enumerate()
    {
        let error = csv.get(row, "error");
        assert!(
            error.ends_with(&format!("did you mean {meant}?")),
            "{error}"
        );
    }

    let (_, stderr, code) = run(&["example.com"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "example.com: no such file; to check it as a URL, give its scheme: https://example.com/"
        ),
        "{stderr}"
    );
}

#[test]
fn a_host_and_port_without_a_scheme_is_a_usage_error_with_the_url_meant() {
    for (arg, meant) in [
        ("127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
        ("localhost:8080/x", "http://localhost:8080/x"),
    ] {
        let (_, stderr, code) = run(&[arg]);
        assert_eq!(code, 2, "{arg}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{arg}: no such file; to check it as a URL, give its scheme: {meant}"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn a_latin1_byte_in_a_list_is_percent_encoded_as_it_is() {
    let server = ok_server();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut line = server.url("/ok/caf").into_bytes();
    line.extend_from_slice(b"\xe9\n");
    file.write_all(&line).unwrap();
    let (csv, stderr, code) = run(&[file.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.col("url"), [server.url("/ok/caf%E9")]);
    assert_eq!(server.seen()[0].path, "/ok/caf%E9");
}

#[test]
fn an_earlier_report_or_a_spreadsheet_export_is_read_by_its_url_column() {
    let server = ok_server();
    let dir = tempfile::tempdir().unwrap();
    // An earlier report, as headcheck wrote it.
    let report = dir.path().join("report.csv");
    let (a, b) = (server.url("/a"), server.url("/b"));
    let first = headcheck()
        .args(["-o", report.to_str().unwrap(), &a, &b])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0));
    let (csv, stderr, code) = run(&[report.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.col("url"), [a.clone(), b.clone()]);
    let name = report.to_str().unwrap();
    assert_eq!(
        csv.col("source"),
        [format!("{name}:2"), format!("{name}:3")]
    );

    // A spreadsheet export: another column name, quotes, a blank cell, CRLF.
    let export = dir.path().join("links.csv");
    std::fs::write(
        &export,
        format!("\u{feff}Page,Link,Notes\r\nHome,{a},\"first, really\"\r\nEmpty,,\r\nAbout,\"{b}\",x\r\n"),
    )
    .unwrap();
    let (csv, stderr, code) = run(&[export.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.col("url"), [a, b]);
    let name = export.to_str().unwrap();
    assert_eq!(
        csv.col("source"),
        [format!("{name}:2"), format!("{name}:4")]
    );
}
