//! Reports for CI: Markdown summaries, JUnit XML, and GitHub Actions
//! annotations.

mod support;

use std::io::Write;

use support::{Csv, Reply, Server, headcheck};

/// A server with one good and one missing page, and a list file naming them
/// (the missing one on line 2).
fn site() -> (Server, tempfile::NamedTempFile) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        _ => Reply::ok(),
    });
    let mut list = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        list,
        "{}\n{}\nmailto:x@example.test",
        server.url("/ok"),
        server.url("/gone")
    )
    .unwrap();
    (server, list)
}

#[test]
fn markdown_and_csv_reports_in_one_run() {
    let (server, list) = site();
    let dir = tempfile::tempdir().unwrap();
    let (csv_path, md_path) = (dir.path().join("r.csv"), dir.path().join("summary.md"));
    let output = headcheck()
        .arg(list.path())
        .args([
            "-o",
            csv_path.to_str().unwrap(),
            "-o",
            md_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(Csv::parse(&std::fs::read(&csv_path).unwrap()).rows.len(), 3);
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("## headcheck: 1 of 3 links failed"), "{md}");
    assert!(md.contains("| broken | 1 |"), "{md}");
    let source = format!("{}:2", list.path().display());
    assert!(
        md.contains(&format!(
            "| broken | 404 | {} | {source} |",
            server.url("/gone")
        )),
        "{md}"
    );
}

#[test]
fn strict_markdown_headline_counts_blocked_links_as_the_exit_status_does() {
    let server = Server::start(|_| Reply::status(999));
    let url = server.url("/wall");
    let dir = tempfile::tempdir().unwrap();
    let md_path = dir.path().join("summary.md");
    let md = |strict: bool| {
        let mut command = headcheck();
        command.args([url.as_str(), "-o", md_path.to_str().unwrap()]);
        if strict {
            command.arg("--strict");
        }
        let status = command.output().unwrap().status.code();
        (status, std::fs::read_to_string(&md_path).unwrap())
    };
    let (status, lenient) = md(false);
    assert_eq!(status, Some(0));
    assert!(
        lenient.starts_with("## headcheck: all 1 links fine"),
        "{lenient}"
    );
    let (status, strict) = md(true);
    assert_eq!(status, Some(1));
    assert!(
        strict.starts_with("## headcheck: 1 of 1 links failed"),
        "{strict}"
    );
    assert!(strict.contains("| blocked | 1 |"), "{strict}");
}

#[test]
fn junit_report_is_well_formed_xml_with_one_case_per_url() {
    let (server, list) = site();
    let output = headcheck()
        .arg(list.path())
        .args(["--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8(output.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut skipped) = (0, 0, 0);
    let mut suite_failures = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.local_name().into_inner() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    "skipped" => skipped += 1,
                    "testsuite" => {
                        suite_failures = e
                            .try_get_attribute("failures")
                            .unwrap()
                            .map(|a| a.value.to_string());
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((cases, failures, skipped), (3, 1, 1), "{xml}");
    assert_eq!(suite_failures.as_deref(), Some("1"));
    assert!(xml.contains(&format!("name=\"{}\"", server.url("/gone"))));
}

#[test]
fn github_annotations_only_on_github_actions() {
    let (_server, list) = site();
    let expected = format!("::error file={},line=2,", list.path().display());

    let on = headcheck()
        .arg(list.path())
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&on.stderr);
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(stderr.matches("::error").count(), 1, "only the broken link");

    let off = headcheck()
        .arg(list.path())
        .env("GITHUB_ACTIONS", "true")
        .arg("--no-annotations")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&off.stderr).contains("::error"));

    let quiet = headcheck()
        .arg(list.path())
        .env("GITHUB_ACTIONS", "true")
        .arg("-q")
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty(), "-q prints nothing but the report");

    let elsewhere = headcheck()
        .arg(list.path())
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&elsewhere.stderr).contains("::error"));
}

#[test]
fn every_link_that_fails_the_run_is_annotated_a_typo_too() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("guide.md");
    std::fs::write(&doc, "Intro.\n\nSee [the site](htps://example.test/).\n").unwrap();
    let output = headcheck()
        .arg(&doc)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an invalid link fails: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "::error file={},line=3,col=5,title=invalid link::",
            doc.display()
        )),
        "the row that fails the run is on its line: {stderr}"
    );
}
