//! Documents as inputs: links found in Markdown, HTML and text files and in
//! directories of them, each reported with the file and line that holds it.

mod support;

use std::path::Path;

use support::{Csv, Reply, Server, headcheck, run_in};

/// Writes `files` (path, text) under a new temporary directory; `{url}` in
/// a text becomes the server's base URL.
fn tree(server: &Server, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = server.url("");
    let base = base.trim_end_matches('/');
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text.replace("{url}", base)).unwrap();
    }
    dir
}

/// Runs headcheck in `dir` on `input` as on GitHub Actions: the report and
/// stderr, where the annotations are.
fn on_github(dir: &Path, input: &str) -> (Csv, String) {
    let output = headcheck()
        .current_dir(dir)
        .env("GITHUB_ACTIONS", "true")
        .args([input, "--no-progress"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (Csv::parse(&output.stdout), stderr)
}

fn pages() -> Server {
    Server::start(|seen| match seen.path.as_str() {
        p if p.contains("gone") => Reply::status(404),
        _ => Reply::ok(),
    })
}

const MARKDOWN: &str = "# Guide

An [inline link]({url}/inline) and an image ![logo]({url}/logo.png).
A [reference link][ref], a [collapsed][] one and a [shortcut].
An autolink <{url}/autolink> and a bare URL {url}/bare in the text.

```sh
curl {url}/in-a-code-block
```

Some `{url}/in-inline-code` code, and a [dead link]({url}/gone).

<a href=\"{url}/raw-html\">raw HTML</a>

[ref]: {url}/reference
[collapsed]: {url}/collapsed
[shortcut]: {url}/shortcut
";

#[test]
fn markdown_links_of_every_kind_are_checked_with_their_lines() {
    let server = pages();
    let dir = tree(&server, &[("README.md", MARKDOWN)]);
    let (csv, _, code) = run_in(dir.path(), &["README.md", "--capture", ""]);
    assert_eq!(code, 1, "the dead link fails the run");
    let url = |path: &str| server.url(path);
    let expected = [
        ("/inline", 3),
        ("/logo.png", 3),
        ("/reference", 4),
        ("/collapsed", 4),
        ("/shortcut", 4),
        ("/autolink", 5),
        ("/bare", 5),
        ("/gone", 11),
        ("/raw-html", 13),
    ];
    let rows: Vec<(String, String)> = (0..csv.rows.len())
        .map(|i| (csv.get(i, "url").into(), csv.get(i, "source").into()))
        .collect();
    let wanted: Vec<(String, String)> = expected
        .iter()
        .map(|(path, line)| (url(path), format!("README.md:{line}")))
        .collect();
    assert_eq!(rows, wanted);
    assert_eq!(csv.get(csv.row(&url("/gone")), "result"), "broken");
    assert_eq!(csv.get(csv.row(&url("/inline")), "result"), "ok");
    // Code is never requested.
    assert!(server.seen_at("/in-a-code-block").is_empty());
    assert!(server.seen_at("/in-inline-code").is_empty());
}

const HTML: &str = "<!doctype html>
<html><head>
<link rel=\"stylesheet\" href=\"{url}/style.css\">
<script src=\"{url}/app.js\"></script>
<script>document.write('<a href=\"{url}/in-script\">');</script>
</head><body>
<a href=\"{url}/page?a=1&amp;b=2\">a page</a>
<img src=\"{url}/img.png\" srcset=\"{url}/img-2x.png 2x\">
<pre><code>{url}/in-code &lt;a href=\"{url}/escaped\"&gt;</code></pre>
<!-- <a href=\"{url}/commented\"> -->
<a href=\"{url}/gone\">dead</a>
</body></html>
";

#[test]
fn html_links_of_every_kind_are_checked_with_their_lines() {
    let server = pages();
    let dir = tree(&server, &[("site/index.html", HTML)]);
    let (csv, _, code) = run_in(dir.path(), &["site/index.html", "--capture", ""]);
    assert_eq!(code, 1);
    let got: Vec<String> = (0..csv.rows.len())
        .map(|i| format!("{} {}", csv.get(i, "url"), csv.get(i, "source")))
        .collect();
    let wanted: Vec<String> = [
        ("/style.css", 3),
        ("/app.js", 4),
        ("/page?a=1&b=2", 7),
        ("/img.png", 8),
        ("/img-2x.png", 8),
        ("/gone", 11),
    ]
    .iter()
    .map(|(path, line)| format!("{} site/index.html:{line}", server.url(path)))
    .collect();
    assert_eq!(got, wanted);
    for never in ["/in-script", "/in-code", "/escaped", "/commented"] {
        assert!(server.seen_at(never).is_empty(), "{never} was requested");
    }
}

#[test]
fn directories_are_walked_honouring_gitignore_and_glob() {
    let server = pages();
    let dir = tree(
        &server,
        &[
            ("docs/a.md", "[a]({url}/a)\n"),
            ("docs/sub/b.html", "<a href=\"{url}/b\">b</a>\n"),
            ("docs/sub/notes.txt", "see {url}/c for more\n"),
            ("docs/build/generated.md", "[x]({url}/generated)\n"),
            ("docs/.gitignore", "build/\n"),
            ("docs/.hidden/h.md", "[h]({url}/hidden)\n"),
            ("docs/code.rs", "// {url}/rust-source\n"),
        ],
    );
    let (csv, _, code) = run_in(dir.path(), &["docs"]);
    assert_eq!(code, 0);
    assert_eq!(
        csv.col("url"),
        vec![server.url("/a"), server.url("/b"), server.url("/c")]
    );
    assert_eq!(
        csv.col("source"),
        vec!["docs/a.md:1", "docs/sub/b.html:1", "docs/sub/notes.txt:1"]
    );

    let (csv, _, _) = run_in(dir.path(), &["docs", "--glob", "*.md"]);
    assert_eq!(csv.col("url"), vec![server.url("/a")]);
    let (csv, _, _) = run_in(dir.path(), &["docs", "--glob", "!sub/**"]);
    assert_eq!(csv.col("url"), vec![server.url("/a")]);
    // A glob picks files of any kind, read as text.
    let (csv, _, _) = run_in(dir.path(), &["docs", "--glob", "*.rs"]);
    assert_eq!(csv.col("url"), vec![server.url("/rust-source")]);

    let (_, stderr, code) = run_in(dir.path(), &["docs", "--glob", "a{"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--glob"), "{stderr}");
}

#[test]
fn relative_links_are_checked_on_disk() {
    let server = pages();
    let dir = tree(
        &server,
        &[
            (
                "docs/guide/intro.md",
                "# Intro\n\n## Set up\n\n[readme](../README.md) [missing](missing.md)\n\
                 [api](/api.html#usage) [nowhere](../api.html#nowhere)\n\
                 [here](#set-up) [not here](#absent) [picture](../img/a%20b.png)\n",
            ),
            ("docs/README.md", "[intro](guide/intro.md#set-up)\n"),
            ("docs/api.html", "<h2 id=\"usage\">Usage</h2>\n"),
            ("docs/img/a b.png", "PNG"),
        ],
    );
    let (csv, _, code) = run_in(dir.path(), &["docs", "--capture", ""]);
    assert_eq!(code, 1);
    let result = |url: &str| {
        let row = csv.row(url);
        (
            csv.get(row, "result").to_string(),
            csv.get(row, "status").to_string(),
            csv.get(row, "error").to_string(),
        )
    };
    let ok = ("ok".to_string(), String::new(), String::new());
    assert_eq!(result("docs/guide/intro.md"), ok);
    assert_eq!(result("docs/README.md"), ok);
    assert_eq!(result("docs/api.html"), ok);
    assert_eq!(result("docs/img/a b.png"), ok);
    assert_eq!(
        result("docs/guide/missing.md"),
        (
            "broken".to_string(),
            String::new(),
            "file not found".to_string()
        )
    );
    assert_eq!(
        csv.get(csv.row("docs/guide/missing.md"), "source"),
        "docs/guide/intro.md:5"
    );
    // Fragments are ignored: same-page links are not rows, and the same
    // file with two fragments is one row.
    assert_eq!(csv.rows.len(), 5, "{:?}", csv.col("url"));
    assert!(server.seen().is_empty(), "nothing on disk is requested");

    let (csv, _, _) = run_in(dir.path(), &["docs", "--capture", "", "--check-fragments"]);
    let verdict = |url: &str| {
        let row = csv.row(url);
        format!("{} {}", csv.get(row, "result"), csv.get(row, "error"))
    };
    assert_eq!(verdict("docs/guide/intro.md#set-up"), "ok ");
    assert_eq!(verdict("docs/api.html#usage"), "ok ");
    assert_eq!(
        verdict("docs/api.html#nowhere"),
        "broken fragment #nowhere not found"
    );
    assert_eq!(
        verdict("docs/guide/intro.md#absent"),
        "broken fragment #absent not found"
    );
}

#[test]
fn relative_links_are_resolved_against_the_base_url() {
    let server = pages();
    let dir = tree(
        &server,
        &[
            (
                "docs/guide/intro.md",
                "[up](../api.html) [root](/logo.png) [same](other.md#part) [here](#x)\n",
            ),
            ("docs/api.html", "<a href=\"guide/gone.html\">gone</a>\n"),
        ],
    );
    let base = server.url("/site/");
    let (csv, _, code) = run_in(dir.path(), &["docs", "--base-url", &base, "--capture", ""]);
    assert_eq!(code, 1);
    assert_eq!(
        csv.col("url"),
        vec![
            server.url("/site/guide/gone.html"),
            server.url("/site/api.html"),
            server.url("/logo.png"),
            server.url("/site/guide/other.md#part"),
        ]
    );
    assert_eq!(csv.get(0, "result"), "broken");
    assert_eq!(csv.get(0, "status"), "404");
    assert_eq!(csv.get(0, "source"), "docs/api.html:1");
    assert_eq!(server.seen_at("/site/api.html").len(), 1);
}

#[test]
fn the_current_directory_gives_plain_relative_sources() {
    let server = pages();
    let dir = tree(&server, &[("a.md", "[a]({url}/a) [b](b.md)\n")]);
    let (csv, _, _) = run_in(dir.path(), &["."]);
    assert_eq!(csv.col("source"), vec!["a.md:1", "a.md:1"]);
    assert_eq!(csv.col("url"), vec![server.url("/a"), "b.md".to_string()]);
}

#[test]
fn an_empty_directory_or_a_glob_that_matches_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, stderr, code) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(csv.rows.is_empty());
    assert!(stderr.contains("no URLs found in ."), "{stderr}");

    std::fs::write(dir.path().join("a.md"), "[a](https://a.test/)\n").unwrap();
    let (csv, stderr, code) = run_in(dir.path(), &[".", "--glob", "*.rst"]);
    assert_eq!(code, 2);
    assert!(csv.rows.is_empty());
    assert!(
        stderr.contains("no URLs found in . (--glob *.rst)"),
        "{stderr}"
    );
}

#[test]
fn a_list_file_keeps_its_meaning() {
    let server = pages();
    let dir = tree(&server, &[("urls.txt", "{url}/one\nnot a url\n")]);
    let (csv, _, _) = run_in(dir.path(), &["urls.txt"]);
    assert_eq!(csv.col("result"), vec!["ok", "invalid"]);
    assert_eq!(csv.col("source"), vec!["urls.txt:1", "urls.txt:2"]);
}

#[test]
fn a_dead_link_is_checked_once_and_annotated_at_every_place_it_appears() {
    let server = pages();
    let repeated = (0..11).fold(String::new(), |text, i| {
        text + &format!("line {i}: [dead]({{url}}/gone#part{i}), [ok]({{url}}/fine)\n")
    });
    let dir = tree(
        &server,
        &[
            ("docs/a.md", repeated.as_str()),
            (
                "docs/b.md",
                "\n[dead]({url}/gone) [lost]({url}/lost-gone)\n",
            ),
        ],
    );
    let (csv, stderr) = on_github(dir.path(), "docs");
    // One row, and one check (HEAD, then GET to confirm), per URL.
    assert_eq!(
        csv.col("source"),
        ["docs/a.md:1", "docs/a.md:1", "docs/b.md:2"]
    );
    assert_eq!(server.seen_at("/gone").len(), 2, "{stderr}");
    assert_eq!(server.seen_at("/fine").len(), 1);
    // 12 places of /gone and one of /lost-gone: each failing link's first
    // place first, then the other places, 10 in all, then how many more.
    let annotated: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("::error "))
        .map(|line| &line[..line.find(",title=").unwrap()])
        .collect();
    let base = server.url("");
    let base = base.trim_end_matches('/');
    let b = format!("[dead]({base}/gone) [lost]");
    let mut expected = vec![
        "::error file=docs/a.md,line=1,col=9".to_string(),
        format!("::error file=docs/b.md,line=2,col={}", b.len() - 5),
    ];
    expected.extend((2..=9).map(|line| format!("::error file=docs/a.md,line={line},col=9")));
    assert_eq!(annotated, expected, "{stderr}");
    // Elsewhere, the link without the first place's fragment.
    assert!(stderr.contains(&format!(
        "line=1,col=9,title=broken link::{base}/gone#part0: 404"
    )));
    assert!(stderr.contains(&format!("line=9,col=9,title=broken link::{base}/gone: 404")));
    assert!(
        stderr.contains("::notice title=more failing links::3 more places of failing links"),
        "{stderr}"
    );
}

#[test]
fn broken_links_in_documents_are_annotated_on_github() {
    let server = pages();
    let dir = tree(
        &server,
        &[("docs/a.md", "fine [ok]({url}/fine)\n\n[dead]({url}/gone)\n")],
    );
    let (_, stderr) = on_github(dir.path(), "docs");
    assert!(
        stderr.contains("::error file=docs/a.md,line=3,"),
        "{stderr}"
    );
    assert!(!stderr.contains("line=1"), "{stderr}");
}

#[test]
fn extraction_fixes_seen_on_real_documentation_sets() {
    let server = pages();
    let dir = tree(
        &server,
        &[
            (
                "docs/page.md",
                "# Page\n\n\
                 [site]({{site.baseurl}}/guide) and <a href=\"{% link _posts/a.md %}\">post</a>\n\
                 <a href='{{< ref \"other.md\" >}}'>ref</a>\n\
                 [up](/../../guide.md)\n\
                 <a\n  class=\"x\"\n  href=\"{url}/gone\"\n  title=\"t\">dead</a>\n",
            ),
            ("docs/guide.md", "# Guide\n"),
            (
                "docs/based.md",
                "<base href=\"{url}/base/\">\n\n[relative](gone-too)\n",
            ),
        ],
    );
    let (csv, stderr, code) = run_in(dir.path(), &["docs"]);
    assert_eq!(code, 1, "{stderr}");
    // Template placeholders are skipped, never looked for on disk.
    for template in [
        "{{site.baseurl}}/guide",
        "{% link _posts/a.md %}",
        "{{< ref \"other.md\" >}}",
    ] {
        let row = csv.row(template);
        assert_eq!(csv.get(row, "result"), "skipped", "{template}");
        assert_eq!(csv.get(row, "error"), "template");
    }
    // Above the root is the root.
    assert_eq!(csv.get(csv.row("docs/guide.md"), "result"), "ok");
    // A tag across lines: the line of its href, not of its `>`.
    let gone = csv.row(&server.url("/gone"));
    assert_eq!(csv.get(gone, "source"), "docs/page.md:8");
    // <base href> in Markdown's raw HTML is the document's base.
    let based = csv.row(&server.url("/base/gone-too"));
    assert_eq!(csv.get(based, "result"), "broken");
}
