//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. One
//! result per place a failing link appears in a file of the repository
//! (its path relative to the current directory, which is the repository's
//! root in a CI job), with line and column; a few stable rule ids by result
//! and kind of failure (`broken`, `fragment`, `missing-file`, `invalid`,
//! `blocked`, `error/dns`, `error/timeout`, …), each rule described; a
//! fingerprint per result that does not depend on the line, so a link that
//! moves stays the same alert; `baselineState` with `--baseline`.
//!
//! GitHub refuses a location that is not a file of the repository, so the
//! places on crawled web pages (and in standard input, on the command line
//! or in a sitemap) are left out, and counted ([`Sarif::left_out`]).
//! GitHub keeps at most [`MAX_RESULTS`] results of a run: the rest are left
//! out too, and counted. Written at the end, when every place is known.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use crate::types::{ErrorKind, FailRule, Novelty, Outcome, Source, Verdict, fnv1a};

/// The most results GitHub code scanning accepts in one run.
pub const MAX_RESULTS: usize = 25_000;

/// The most bytes of results written (as compact JSON). GitHub accepts a
/// SARIF file of at most 10 MB gzipped; results, which repeat their keys,
/// rules and paths, compress far better than 5 to 1, so this keeps a file
/// under that limit with room to spare.
pub const MAX_RESULT_BYTES: usize = 50_000_000;

/// What a path needs escaped to be a URI reference (RFC 3986), `/` kept.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Places of failing links left out of the SARIF file, by why.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut {
    /// On a crawled web page: not a file of the repository.
    pub on_web_pages: u64,
    /// In no file of the repository: standard input, the command line, a
    /// sitemap, a file outside the current directory.
    pub not_in_a_file: u64,
    /// Beyond [`MAX_RESULTS`] or [`MAX_RESULT_BYTES`].
    pub past_the_cap: u64,
    /// Beyond the places the run keeps of one link (`run::MAX_HELD`).
    pub not_kept: u64,
}

/// A SARIF report, kept until the run ends.
pub struct Sarif {
    fail_rule: FailRule,
    /// Whether the run has a `--baseline`: results say their state.
    baseline: bool,
    links: Vec<Failing>,
    /// Later places of problem rows, by key.
    later: HashMap<String, Vec<Source>>,
    /// Places not kept at all (see `run::Later::uncounted`).
    uncounted: u64,
    left_out: LeftOut,
    /// [`MAX_RESULT_BYTES`], but for tests.
    max_bytes: usize,
}

/// A failing link and its first place.
struct Failing {
    key: String,
    url: String,
    detail: String,
    rule: String,
    kind: Option<ErrorKind>,
    verdict: Verdict,
    fails_the_run: bool,
    novelty: Option<Novelty>,
    first: Source,
}

impl Sarif {
    pub fn new(fail_rule: FailRule, baseline: bool) -> Sarif {
        Sarif {
            fail_rule,
            baseline,
            links: Vec::new(),
            later: HashMap::new(),
            uncounted: 0,
            left_out: LeftOut::default(),
            max_bytes: MAX_RESULT_BYTES,
        }
    }

    pub fn add(&mut self, outcome: &Outcome) {
        if !self.fail_rule.fails(outcome.verdict) {
            return;
        }
        self.links.push(Failing {
            key: outcome.key.clone(),
            url: outcome.url.clone(),
            detail: outcome.detail(),
            rule: rule_id(outcome.verdict, outcome.error_kind),
            kind: outcome.error_kind,
            verdict: outcome.verdict,
            fails_the_run: self
                .fail_rule
                .fails_the_run(outcome.verdict, outcome.novelty),
            novelty: outcome.novelty,
            first: outcome.source.clone(),
        });
    }

    /// More places of the problem row with `key`; `uncounted` more that the
    /// run did not keep.
    pub fn again(&mut self, key: &str, places: &[Source], uncounted: u64) {
        self.later
            .entry(key.to_string())
            .or_default()
            .extend_from_slice(places);
        self.uncounted += uncounted;
    }

    /// The places left out, once finished.
    pub fn left_out(&self) -> LeftOut {
        self.left_out
    }

    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let document = self.document();
        serde_json::to_writer_pretty(&mut *out, &document)?;
        out.write_all(b"\n")
    }

    fn document(&mut self) -> Value {
        let root = std::env::current_dir().ok();
        // What fails the run first (GitHub lists results in file order,
        // but a capped run keeps the first ones).
        let mut links: Vec<&Failing> = self.links.iter().collect();
        links.sort_by_key(|link| !link.fails_the_run);
        let mut rules: BTreeMap<&str, &Failing> = BTreeMap::new();
        let mut results = Vec::new();
        // The occurrences of each link in each file so far, for the
        // fingerprints.
        let mut seen: HashMap<(String, String), u64> = HashMap::new();
        let mut bytes = 0;
        let mut left_out = LeftOut {
            not_kept: self.uncounted,
            ..LeftOut::default()
        };
        for link in links {
            let later = self.later.get(&link.key).map(Vec::as_slice).unwrap_or(&[]);
            for (n, place) in std::iter::once(&link.first).chain(later).enumerate() {
                let Some((uri, line, column)) = location(place, root.as_deref()) else {
                    if is_web_page(place.name()) {
                        left_out.on_web_pages += 1;
                    } else {
                        left_out.not_in_a_file += 1;
                    }
                    continue;
                };
                if results.len() == MAX_RESULTS {
                    left_out.past_the_cap += 1;
                    continue;
                }
                let url = if n == 0 {
                    link.url.as_str()
                } else {
                    // Another place's link may have another #fragment.
                    link.url.split_once('#').map_or(&*link.url, |(url, _)| url)
                };
                let occurrence = seen.entry((url.to_string(), uri.clone())).or_default();
                *occurrence += 1;
                let result = self.result(link, url, &uri, line, column, *occurrence);
                let size = serde_json::to_vec(&result).map_or(0, |bytes| bytes.len());
                if bytes + size > self.max_bytes {
                    left_out.past_the_cap += 1;
                    continue;
                }
                bytes += size;
                rules.entry(link.rule.as_str()).or_insert(link);
                results.push(result);
            }
        }
        self.left_out = left_out;
        let rules: Vec<&str> = rules.keys().copied().collect();
        for result in &mut results {
            let id = result["ruleId"].as_str().unwrap_or_default();
            if let Some(index) = rules.iter().position(|rule| *rule == id) {
                result["ruleIndex"] = json!(index);
            }
        }
        let rule_objects: Vec<Value> = rules
            .iter()
            .map(|id| {
                let link = self
                    .links
                    .iter()
                    .find(|link| link.rule == *id)
                    .expect("a rule is named by a link");
                rule(id, link.verdict, link.kind)
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "headcheck",
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "rules": rule_objects,
                    }
                },
                "results": results,
            }]
        })
    }

    fn result(
        &self,
        link: &Failing,
        url: &str,
        uri: &str,
        line: u64,
        column: Option<u32>,
        occurrence: u64,
    ) -> Value {
        let mut region = json!({ "startLine": line });
        if let Some(column) = column {
            region["startColumn"] = json!(column);
        }
        // The rule, the URL and the file, apart by zero bytes (which none
        // of them holds).
        let key = [link.rule.as_str(), url, uri].join("\0");
        let fingerprint = format!("{:016x}:{occurrence}", fnv1a(key.as_bytes()));
        let mut result = json!({
            "ruleId": link.rule,
            "level": if link.fails_the_run { "error" } else { "warning" },
            "message": { "text": format!("{url}: {}", link.detail) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": region,
                }
            }],
            "partialFingerprints": { "headcheckLink/v1": fingerprint },
        });
        if self.baseline {
            result["baselineState"] = json!(match link.novelty {
                Some(Novelty::Known) => "unchanged",
                _ => "new",
            });
        }
        result
    }
}

/// The rule id of a failing row: its result, and for errors their kind.
pub fn rule_id(verdict: Verdict, kind: Option<ErrorKind>) -> String {
    match (verdict, kind) {
        (Verdict::Broken, Some(ErrorKind::Fragment)) => "fragment".into(),
        (Verdict::Broken, Some(ErrorKind::MissingFile)) => "missing-file".into(),
        (Verdict::Error, Some(kind)) => format!("error/{kind}"),
        (verdict, _) => verdict.as_str().into(),
    }
}

/// A rule: its id, what it means, and what to do about it.
fn rule(id: &str, verdict: Verdict, kind: Option<ErrorKind>) -> Value {
    let (short, help) = match (verdict, kind) {
        (Verdict::Broken, Some(ErrorKind::Fragment)) => (
            "Link to a missing fragment",
            "Point the link at an id or anchor that exists in the page, or add it there.",
        ),
        (Verdict::Broken, Some(ErrorKind::MissingFile)) => (
            "Link to a missing file",
            "Fix the path, or add the file the link names.",
        ),
        (Verdict::Broken, _) => (
            "Broken link",
            "The server answered with a status that is not accepted (404, 410, 500, …). \
             Update the link to where the page is now, or remove it; if the status is \
             right for this link, accept it with --accept.",
        ),
        (Verdict::Error, _) => (
            "Link that cannot be reached",
            "No usable HTTP answer. Check the host name and that the site is up; a \
             failure that comes and goes can be tolerated with --fail-after.",
        ),
        (Verdict::Invalid, _) => (
            "Invalid link",
            "The link is not a URL that can be checked: fix its typo (a missing or \
             misspelled scheme, such as htps://).",
        ),
        (Verdict::Blocked, _) => (
            "Link blocked by a bot wall",
            "The server refused to answer a robot rather than saying the page is gone. \
             Check the link in a browser.",
        ),
        (Verdict::Ok | Verdict::Skipped, _) => ("Link", "Nothing to do."),
    };
    let full = match kind {
        Some(kind) => format!("{short}: {}", kind.describe()),
        None => format!("{short}."),
    };
    json!({
        "id": id,
        "name": id.replace(['/', '-', '_'], " "),
        "shortDescription": { "text": short },
        "fullDescription": { "text": full },
        "help": { "text": help },
        "defaultConfiguration": { "level": "error" },
    })
}

/// Whether a place's name is a web page's URL (a crawled page).
fn is_web_page(name: &str) -> bool {
    name.starts_with("http://") || name.starts_with("https://")
}

/// A place as a SARIF location in the repository: the file's path relative
/// to `root` (the current directory), as a URI reference with `/`, its line
/// and column. None for a place that is not a line of a file under `root`.
fn location(place: &Source, root: Option<&Path>) -> Option<(String, u64, Option<u32>)> {
    let line = place.line()?;
    let name = place.name();
    if is_web_page(name) || !Path::new(name).is_file() {
        return None;
    }
    let path = Path::new(name);
    let relative: PathBuf = if path.is_absolute() {
        let root = std::fs::canonicalize(root?).ok()?;
        let path = std::fs::canonicalize(path).ok()?;
        path.strip_prefix(&root).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            // Above the root (`../x`): not a file of the repository.
            _ => return None,
        }
    }
    let uri = parts
        .iter()
        .map(|part| utf8_percent_encode(part, PATH).to_string())
        .collect::<Vec<_>>()
        .join("/");
    Some((uri, line, place.column()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_name_the_result_and_the_kind_of_error() {
        assert_eq!(rule_id(Verdict::Broken, Some(ErrorKind::Status)), "broken");
        assert_eq!(
            rule_id(Verdict::Broken, Some(ErrorKind::Fragment)),
            "fragment"
        );
        assert_eq!(rule_id(Verdict::Error, Some(ErrorKind::Dns)), "error/dns");
        assert_eq!(
            rule_id(Verdict::Error, Some(ErrorKind::ConnectTimeout)),
            "error/connect_timeout"
        );
        assert_eq!(rule_id(Verdict::Invalid, None), "invalid");
        assert_eq!(rule_id(Verdict::Blocked, None), "blocked");
    }

    #[test]
    fn results_stop_at_githubs_cap_and_say_how_many_were_left_out() {
        let mut sarif = Sarif::new(FailRule::default(), false);
        for n in 0..=MAX_RESULTS as u64 {
            // Cargo.toml: a file under the current directory (the crate's).
            sarif.add(&Outcome::unchecked(
                n,
                format!("htps://a.test/{n}"),
                Source::at("Cargo.toml", n + 1, None),
                Verdict::Invalid,
                "not a URL".into(),
                0,
            ));
        }
        let document = sarif.document();
        let results = document["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS);
        assert_eq!(sarif.left_out().past_the_cap, 1);

        // And at the size cap, counted the same way.
        let first = serde_json::to_vec(&results[0]).unwrap().len();
        sarif.max_bytes = 10 * first;
        let document = sarif.document();
        let kept = document["runs"][0]["results"].as_array().unwrap().len();
        assert!((9..=10).contains(&kept), "{kept}");
        assert_eq!(
            sarif.left_out().past_the_cap,
            (MAX_RESULTS + 1 - kept) as u64
        );
    }

    #[test]
    fn only_lines_of_files_under_the_root_are_locations() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("my docs");
        std::fs::create_dir(&docs).unwrap();
        let file = docs.join("a b.md");
        std::fs::write(&file, "x").unwrap();
        let at = |name: &str| Source::at(name, 3, Some(5));
        let root = Some(dir.path());
        assert_eq!(
            location(&at(file.to_str().unwrap()), root),
            Some(("my%20docs/a%20b.md".to_string(), 3, Some(5)))
        );
        assert_eq!(location(&at("http://a.test/page"), root), None);
        assert_eq!(location(&Source::whole("stdin"), root), None);
        let elsewhere = tempfile::NamedTempFile::new().unwrap();
        assert_eq!(
            location(&at(elsewhere.path().to_str().unwrap()), root),
            None
        );
    }
}
