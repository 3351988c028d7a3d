//! Settings committed with a repository: `headcheck.toml` (or `--config`),
//! keyed by the long option names, the command line winning; and
//! `.headcheckignore` / `.lycheeignore` as `--exclude`.

mod support;

use std::path::Path;

use support::{gone_or_ok, run_in};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn headcheck_toml_sets_options_by_their_long_names() {
    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "headcheck.toml",
        "# CI settings\naccept = \"200..=299,404\"\nexclude = [\"/skip\", \"/also-skip\"]\n\
         capture = \"content-length\"\nretries = 0\nno-progress = true\n",
    );
    let (gone, skip) = (server.url("/gone"), server.url("/skip"));
    let (csv, stderr, code) = run_in(dir.path(), &[&gone, &skip]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.get(csv.row(&gone), "result"), "ok");
    assert_eq!(csv.get(csv.row(&skip), "result"), "skipped");
    assert_eq!(csv.headers.last().unwrap(), "content-length");

    // The command line wins over the file.
    let (csv, stderr, code) = run_in(dir.path(), &["--accept", "200..=299", &gone]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(csv.get(0, "result"), "broken");
}

#[test]
fn config_names_another_file_and_an_unknown_key_is_an_error() {
    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ci.toml", "exclude = [\"/gone\"]\n");
    let gone = server.url("/gone");
    let (csv, stderr, code) = run_in(dir.path(), &["--config", "ci.toml", &gone]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.get(0, "result"), "skipped");

    write(dir.path(), "headcheck.toml", "per_hots = 4\n");
    let (_, stderr, code) = run_in(dir.path(), &[&gone]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("headcheck.toml: unknown key `per_hots`"),
        "{stderr}"
    );

    write(dir.path(), "headcheck.toml", "per-host = \"many\"\n");
    let (_, stderr, code) = run_in(dir.path(), &[&gone]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("headcheck.toml: "), "{stderr}");
    assert!(stderr.contains("many"), "{stderr}");

    let (_, stderr, code) = run_in(dir.path(), &["--config", "missing.toml", &gone]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

#[test]
fn an_ignore_file_excludes_its_patterns() {
    let server = gone_or_ok();
    let dir = tempfile::tempdir().unwrap();
    let gone = server.url("/gone");
    // lychee's file, when the repository has only that one.
    write(dir.path(), ".lycheeignore", "# dead on purpose\n\n/gone$\n");
    let (csv, stderr, code) = run_in(dir.path(), &[&gone]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(csv.get(0, "result"), "skipped");

    // headcheck's own comes first.
    write(dir.path(), ".headcheckignore", "/nothing-like-it\n");
    let (csv, _, code) = run_in(dir.path(), &[&gone]);
    assert_eq!(code, 1);
    assert_eq!(csv.get(0, "result"), "broken");

    write(dir.path(), ".headcheckignore", "ok\n(unclosed\n");
    let (_, stderr, code) = run_in(dir.path(), &[&gone]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(".headcheckignore:2"), "{stderr}");
}
