//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it, checked
//! against the SARIF 2.1.0 JSON schema: a result per place a failing link
//! appears in a file, fingerprints that do not depend on the line, places
//! on web pages left out and counted, `baselineState` with `--baseline`.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{Reply, Server, headcheck};

/// The SARIF 2.1.0 schema, as the `serde-sarif` crate (a dev-dependency,
/// pinned in Cargo.toml) ships it: read from the sources cargo unpacked to
/// build it, never fetched.
fn sarif_schema() -> Value {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let schema = std::fs::read_dir(cargo_home.join("registry/src"))
        .expect("cargo's registry sources")
        .filter_map(Result::ok)
        .map(|index| index.path().join("serde-sarif-0.8.0/src/schema.json"))
        .find(|path| path.is_file())
        .expect("serde-sarif 0.8.0's sources, unpacked by cargo to build the tests");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    // The published schema's pattern for a `language` (of a run, of a
    // tool component) has a stray `]` that a strict regex check of the
    // schema refuses (corrected in the standard's errata); those patterns
    // are corrected here, nothing else.
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    schema
}

/// Checks `sarif` against the schema, and that GitHub's own reading would
/// take it: typed as `serde-sarif` types it.
fn assert_valid(sarif: &Value) {
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    serde_json::from_value::<serde_sarif::sarif::Sarif>(sarif.clone()).unwrap();
}

/// `/gone` 404, `/page` a web page linking to it, anything else 200.
fn server() -> Server {
    Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        "/page" => Reply::ok()
            .header("content-type", "text/html")
            .body("<a href=\"/gone\">gone</a>\n"),
        _ => Reply::ok(),
    })
}

/// Runs headcheck in `dir`: the SARIF document written to `out.sarif`,
/// stderr and the exit status.
fn run_in(dir: &Path, args: &[&str]) -> (Value, String, i32) {
    let output = headcheck()
        .current_dir(dir)
        .args(["-o", "out.sarif"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let text = std::fs::read_to_string(dir.join("out.sarif")).unwrap();
    let sarif = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (sarif, stderr, output.status.code().unwrap_or(-1))
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap()
}

/// Each result's file, line and column.
fn places(sarif: &Value) -> Vec<(String, u64, u64)> {
    results(sarif)
        .iter()
        .map(|result| {
            let location = &result["locations"][0]["physicalLocation"];
            (
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                location["region"]["startLine"].as_u64().unwrap(),
                location["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn fingerprints(sarif: &Value) -> Vec<String> {
    results(sarif)
        .iter()
        .map(|result| result["partialFingerprints"]["headcheckLink/v1"].to_string())
        .collect()
}

#[test]
fn a_result_per_place_in_a_file_valid_and_fingerprinted_without_lines() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    let (gone, fine) = (server.url("/gone"), server.url("/fine"));
    std::fs::write(
        docs.join("a.md"),
        format!("# A\n\n[one]({gone})\n\nSee [two]({gone}) and [ok]({fine}).\n"),
    )
    .unwrap();
    std::fs::write(docs.join("b.md"), format!("# B\n[three]({gone})\n")).unwrap();
    let page = server.url("/page");
    let (sarif, stderr, code) = run_in(dir.path(), &["docs", "--crawl", &page]);
    assert_eq!(code, 1, "{stderr}");
    assert_valid(&sarif);
    let mut unversioned = sarif.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    assert!(!validator.is_valid(&unversioned), "the check can fail");
    // Three places in files; the fourth, on the web page, left out.
    assert_eq!(
        places(&sarif),
        [
            ("docs/a.md".to_string(), 3, 1),
            ("docs/a.md".to_string(), 5, 5),
            ("docs/b.md".to_string(), 2, 1),
        ]
    );
    assert!(
        stderr.contains("SARIF: 1 place on web pages of failing links left out"),
        "{stderr}"
    );
    let result = &results(&sarif)[0];
    assert_eq!(result["ruleId"], "broken");
    assert_eq!(result["level"], "error");
    assert_eq!(result["message"]["text"], format!("{gone}: 404"));
    assert!(result.get("baselineState").is_none());
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["id"], "broken");
    assert!(
        rules[0]["help"]["text"]
            .as_str()
            .unwrap()
            .contains("--accept")
    );
    let before = fingerprints(&sarif);
    assert_eq!(
        before
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        3,
        "each place its own"
    );

    // Lines added above the links: other lines, the same fingerprints.
    let a = std::fs::read_to_string(docs.join("a.md")).unwrap();
    std::fs::write(docs.join("a.md"), format!("Intro.\n\nMore.\n{a}")).unwrap();
    let (sarif, _, _) = run_in(dir.path(), &["docs"]);
    assert_eq!(places(&sarif)[0], ("docs/a.md".to_string(), 6, 1));
    assert_eq!(fingerprints(&sarif), before);
}

#[test]
fn error_kinds_are_rules_and_a_baseline_gives_each_result_its_state() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let gone = server.url("/gone");
    std::fs::write(
        dir.path().join("a.md"),
        format!("[gone]({gone})\n[typo](htps://a.test/)\n[nowhere](http://127.0.0.1:1/)\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.csv"),
        format!(
            "url,result,status,final_url,redirects,method,elapsed_ms,attempts,error,error_kind,source\n\
             {gone},broken,404,,0,GET,1,1,,status,a.md:1\n"
        ),
    )
    .unwrap();
    let (sarif, stderr, code) = run_in(
        dir.path(),
        &["--baseline", "main.csv", "--retries", "0", "a.md"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_valid(&sarif);
    let rule_and_state: Vec<(String, String, String)> = results(&sarif)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
                r["baselineState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // What fails the run first; the known failure a warning, unchanged.
    assert_eq!(
        rule_and_state,
        [
            ("invalid".into(), "error".into(), "new".into()),
            ("error/refused".into(), "error".into(), "new".into()),
            ("broken".into(), "warning".into(), "unchanged".into()),
        ]
    );
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["broken", "error/refused", "invalid"]);
}
