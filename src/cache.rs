//! `--cache PATH`: ok results kept between runs, so that frequent runs (CI
//! on every pull request) do not check every site again and again.
//!
//! Only `ok` results are kept, each for `--max-cache-age` after the request
//! that found it (reusing a result does not make it younger); anything else
//! is checked again on every run, and a URL found broken drops out of the
//! cache.
//!
//! The file is JSON Lines, UTF-8. The first line names the format:
//!
//! ```text
//! {"headcheck_cache":1}
//! {"url":"https://a.test/","checked":1764000000,"status":200,"final_url":"https://a.test/","redirects":0,"method":"HEAD","headers":{"content-type":"text/html"}}
//! ```
//!
//! `url` is the normalised URL, `checked` the Unix time (seconds) of the
//! request, `headers` the headers captured then (`null` for one that was
//! absent).
//!
//! With `--fail-after`, the cache also counts the runs in a row in which a
//! URL failed, and when the first of them was (a success ends the count):
//!
//! ```text
//! {"url":"https://b.test/","failing":2,"since":1764000000}
//! ```
//! A line that cannot be read is ignored: the cache is only ever a
//! shortcut. The file is replaced atomically (written beside it, then
//! renamed), so a crash mid-write leaves the previous cache whole.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::report::columns::{self, Cell};
use crate::report::json;
use crate::types::{Accept, Error, Origin, Outcome, Source, Verdict};

/// The first line of a cache file.
const FORMAT_LINE: &str = r#"{"headcheck_cache":1}"#;

/// One URL's ok result.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Unix time of the request, in seconds.
    checked: u64,
    /// The row's [`CACHED_COLUMNS`]; its other fields are this run's.
    row: Outcome,
    /// Captured headers by lower-case name.
    headers: HashMap<String, Option<String>>,
}

/// A URL failing in runs in a row (`--fail-after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streak {
    /// Runs in a row in which it failed, this one included.
    pub runs: u32,
    /// Unix time (seconds) of the first failure of the streak.
    pub since: u64,
}

/// The report columns a cache entry keeps, converted as the report's JSON
/// converts them (`report::columns`).
const CACHED_COLUMNS: [&str; 4] = ["status", "final_url", "redirects", "method"];

/// The fresh entries of a cache file, shared with the input reader.
#[derive(Debug, Default)]
pub struct Fresh {
    entries: HashMap<String, Entry>,
    capture: Vec<String>,
}

impl Fresh {
    /// The row for `key` from the cache, when its result is there and has
    /// every header the run captures.
    pub fn row(&self, key: &str, url: &str, source: &Source) -> Option<Outcome> {
        let entry = self.entries.get(key)?;
        let headers = self
            .capture
            .iter()
            .map(|name| entry.headers.get(name).cloned())
            .collect::<Option<Vec<_>>>()?;
        Some(Outcome {
            index: 0,
            key: key.to_string(),
            url: url.to_string(),
            verdict: Verdict::Ok,
            elapsed_ms: None,
            // Not tried in this run.
            attempts: 0,
            error: None,
            error_kind: None,
            source: source.clone(),
            headers,
            origin: Origin::Cache,
            novelty: None,
            ..entry.row.clone()
        })
    }
}

/// A cache file being used by a run.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    fresh: Arc<Fresh>,
    capture: Vec<String>,
    /// This run's results by key: a new ok entry, or `None` for a URL that
    /// is no longer ok.
    changes: HashMap<String, Option<Entry>>,
    /// Lines of the file that were not entries (not UTF-8, not JSON, not
    /// an entry), ignored.
    unreadable: usize,
    /// Failing streaks by key, as this run leaves them.
    streaks: HashMap<String, Streak>,
}

impl Cache {
    /// Reads the cache at `path` (a missing file is an empty cache), keeping
    /// the entries younger than `max_age` whose status `accept` still
    /// accepts. Fails only when the file exists and cannot be read.
    pub fn load(
        path: &Path,
        max_age: Duration,
        accept: &Accept,
        capture: &[String],
    ) -> Result<Cache, Error> {
        let failed = |error| Error::Read {
            path: path.display().to_string(),
            error,
        };
        let now = unix_now();
        let oldest = now.saturating_sub(max_age.as_secs());
        let mut entries = HashMap::new();
        let mut streaks = HashMap::new();
        let mut unreadable = 0;
        match std::fs::File::open(path) {
            Ok(file) => {
                // Read as bytes: a corrupt line (a CI cache restored half
                // written, a stray byte) is skipped, not the end of the run.
                let mut lines = BufReader::new(file).split(b'\n');
                let format_known = matches!(
                    lines.next(),
                    Some(Ok(line)) if line.trim_ascii() == FORMAT_LINE.as_bytes()
                );
                if format_known {
                    for line in lines {
                        let line = line.map_err(failed)?;
                        let text = std::str::from_utf8(&line).ok();
                        if let Some((key, streak)) = text.and_then(parse_streak) {
                            streaks.insert(key, streak);
                            continue;
                        }
                        let entry = text.and_then(parse_line);
                        let Some((key, entry)) = entry else {
                            unreadable += usize::from(!line.trim_ascii().is_empty());
                            continue;
                        };
                        if entry.checked >= oldest
                            && entry.checked <= now
                            && entry.row.status.is_some_and(|s| accept.contains(s))
                        {
                            entries.insert(key, entry);
                        }
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(Error::Open {
                    path: path.display().to_string(),
                    error,
                });
            }
        }
        Ok(Cache {
            path: path.to_path_buf(),
            fresh: Arc::new(Fresh {
                entries,
                capture: capture.to_vec(),
            }),
            capture: capture.to_vec(),
            changes: HashMap::new(),
            unreadable,
            streaks,
        })
    }

    /// Lines of the file that were ignored because they are not entries.
    pub fn unreadable(&self) -> usize {
        self.unreadable
    }

    /// The fresh entries, for the input reader to take rows from.
    pub fn fresh(&self) -> Arc<Fresh> {
        Arc::clone(&self.fresh)
    }

    /// Notes a finished row. Rows taken from the cache or kept by
    /// `--resume` change nothing (a resumed result was checked in an
    /// earlier run, at a time the report does not say); an ok result
    /// checked now is kept from now on; any other result of a checked URL
    /// removes it.
    pub fn record(&mut self, outcome: &Outcome) {
        if outcome.origin != Origin::Run || outcome.method.is_none() || outcome.attempts == 0 {
            // Not checked in this run, or not an HTTP check (invalid,
            // skipped, a file on disk, an unreachable host's row).
            return;
        }
        let key = outcome.key.clone();
        let entry = match (outcome.verdict, outcome.status) {
            (Verdict::Ok, Some(_)) => Some(Entry {
                checked: unix_now(),
                row: Outcome {
                    headers: Vec::new(),
                    ..outcome.clone()
                },
                headers: self
                    .capture
                    .iter()
                    .cloned()
                    .zip(outcome.headers.iter().cloned())
                    .collect(),
            }),
            _ => None,
        };
        self.changes.insert(key, entry);
    }

    /// Counts a row of this run that was checked now (or taken from the
    /// cache) in its URL's failing streak: one more run when it `fails`, the
    /// end of the streak when it does not. Returns the streak, if any.
    /// Rows kept by `--resume` change nothing.
    pub fn count_failure(&mut self, outcome: &Outcome, fails: bool) -> Option<Streak> {
        if outcome.origin == Origin::Resumed {
            return self.streaks.get(&outcome.key).copied();
        }
        if !fails {
            self.streaks.remove(&outcome.key);
            return None;
        }
        let streak = self
            .streaks
            .entry(outcome.key.clone())
            .and_modify(|streak| streak.runs += 1)
            .or_insert(Streak {
                runs: 1,
                since: unix_now(),
            });
        Some(*streak)
    }

    /// Writes the cache: the fresh entries not checked again, and this
    /// run's ok results. Written to a temporary file beside `path`, then
    /// renamed over it.
    pub fn save(&self) -> io::Result<()> {
        let directory = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let temporary = directory.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut out = io::BufWriter::new(std::fs::File::create(&temporary)?);
            writeln!(out, "{FORMAT_LINE}")?;
            let kept = self
                .fresh
                .entries
                .iter()
                .filter(|(key, _)| !self.changes.contains_key(*key));
            let new = self
                .changes
                .iter()
                .filter_map(|(key, entry)| Some((key, entry.as_ref()?)));
            let mut all: Vec<(&String, &Entry)> = kept.chain(new).collect();
            all.sort_by(|a, b| a.0.cmp(b.0));
            for (key, entry) in all {
                writeln!(out, "{}", line(key, entry))?;
            }
            let mut streaks: Vec<(&String, &Streak)> = self.streaks.iter().collect();
            streaks.sort_by(|a, b| a.0.cmp(b.0));
            for (key, streak) in streaks {
                let line = serde_json::json!({
                    "url": key,
                    "failing": streak.runs,
                    "since": streak.since,
                });
                writeln!(out, "{line}")?;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
        std::fs::rename(&temporary, &self.path).inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn line(key: &str, entry: &Entry) -> String {
    let mut object = Map::new();
    object.insert("url".into(), Value::from(key));
    object.insert("checked".into(), Value::from(entry.checked));
    for column in columns::COLUMNS
        .iter()
        .filter(|column| CACHED_COLUMNS.contains(&column.name))
    {
        object.insert(column.name.into(), json::value(column.get(&entry.row)));
    }
    let headers: Map<String, Value> = entry
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                value.clone().map_or(Value::Null, Value::String),
            )
        })
        .collect();
    object.insert("headers".into(), Value::Object(headers));
    Value::Object(object).to_string()
}

/// A failing streak's line: `{"url":…,"failing":2,"since":…}`.
fn parse_streak(line: &str) -> Option<(String, Streak)> {
    let value: Value = serde_json::from_str(line).ok()?;
    let object = value.as_object()?;
    let runs = u32::try_from(object.get("failing")?.as_u64()?).ok()?;
    let since = object.get("since")?.as_u64()?;
    let key = object.get("url")?.as_str()?.to_string();
    Some((key, Streak { runs, since }))
}

fn parse_line(line: &str) -> Option<(String, Entry)> {
    let value: Value = serde_json::from_str(line).ok()?;
    let object = value.as_object()?;
    let key = object.get("url")?.as_str()?.to_string();
    let names = columns::names(&[]);
    let layout = columns::Layout::of(&names)?;
    // Only ok results are cached; the other columns are this run's.
    let row = columns::from_cells(&layout, &[], |i| match names[i].as_str() {
        "result" => Cell::Text("ok"),
        name if CACHED_COLUMNS.contains(&name) => json::read_cell(object.get(name)),
        _ => Cell::Empty,
    })?;
    // A cached result always has a status and a method.
    row.status?;
    row.method?;
    let headers = match object.get("headers") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().map(str::to_string)))
            .collect(),
        _ => HashMap::new(),
    };
    let checked = object.get("checked")?.as_u64()?;
    Some((
        key,
        Entry {
            checked,
            row,
            headers,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Method;

    fn ok_row(url: &str, attempts: u32) -> Outcome {
        Outcome {
            index: 0,
            key: crate::types::text_key(url),
            url: url.to_string(),
            verdict: Verdict::Ok,
            status: Some(200),
            final_url: Some(url.to_string()),
            redirects: 0,
            method: Some(Method::Head),
            elapsed_ms: Some(3),
            attempts,
            error: None,
            error_kind: None,
            source: "argv".into(),
            headers: vec![Some("text/html".into())],
            origin: Origin::Run,
            novelty: None,
        }
    }

    #[test]
    fn ok_results_round_trip_and_broken_ones_drop_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let capture = vec!["content-type".to_string()];
        let accept = Accept::default();
        let day = Duration::from_secs(86_400);
        let mut cache = Cache::load(&path, day, &accept, &capture).unwrap();
        assert!(cache.fresh().entries.is_empty());
        cache.record(&ok_row("HTTP://A.test", 1));
        cache.record(&ok_row("http://b.test/", 1));
        cache.save().unwrap();

        let mut cache = Cache::load(&path, day, &accept, &capture).unwrap();
        let fresh = cache.fresh();
        assert_eq!(fresh.entries.len(), 2);
        let row = fresh
            .row("http://a.test/", "HTTP://A.test", &"x.md:3".into())
            .unwrap();
        assert_eq!(row.attempts, 0);
        assert_eq!(row.source.as_str(), "x.md:3");
        assert_eq!(row.headers, [Some("text/html".to_string())]);
        // A run that captures another header cannot use the entry.
        let other = Cache::load(&path, day, &accept, &["server".to_string()]).unwrap();
        assert!(
            other
                .fresh()
                .row("http://a.test/", "x", &"y".into())
                .is_none()
        );

        let mut broken = ok_row("http://b.test/", 1);
        broken.verdict = Verdict::Broken;
        broken.status = Some(404);
        cache.record(&broken);
        cache.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(FORMAT_LINE), "{text}");
        assert!(text.contains("http://a.test/"), "{text}");
        assert!(!text.contains("b.test"), "{text}");
        // The documented line format (see the module's documentation).
        let entry: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        let keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "url",
                "checked",
                "status",
                "final_url",
                "redirects",
                "method",
                "headers"
            ]
        );
        assert_eq!(entry["status"], 200);
        assert_eq!(entry["method"], "HEAD");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn failing_streaks_count_runs_in_a_row_and_a_success_ends_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let day = Duration::from_secs(86_400);
        let load = || Cache::load(&path, day, &Accept::default(), &[]).unwrap();
        let mut broken = ok_row("http://b.test/", 1);
        broken.verdict = Verdict::Broken;
        let mut cache = load();
        let first = cache.count_failure(&broken, true).unwrap();
        assert_eq!(first.runs, 1);
        cache.save().unwrap();
        let mut cache = load();
        let second = cache.count_failure(&broken, true).unwrap();
        assert_eq!(second, Streak { runs: 2, ..first });
        // A row kept by --resume is not a run of its own.
        let mut resumed = broken.clone();
        resumed.origin = Origin::Resumed;
        assert_eq!(cache.count_failure(&resumed, true), Some(second));
        cache.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""failing":2"#), "{text}");
        let mut cache = load();
        assert_eq!(
            cache.count_failure(&ok_row("http://b.test/", 1), false),
            None
        );
        cache.save().unwrap();
        let mut cache = load();
        assert_eq!(cache.count_failure(&broken, true).unwrap().runs, 1);
    }

    #[test]
    fn old_unaccepted_and_damaged_entries_are_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let now = unix_now();
        let entry = |url: &str, checked: u64, status: u16| {
            format!(
                r#"{{"url":"{url}","checked":{checked},"status":{status},"final_url":null,"redirects":0,"method":"GET","headers":{{}}}}"#
            )
        };
        let text = [
            FORMAT_LINE.to_string(),
            entry("http://new.test/", now - 60, 200),
            entry("http://old.test/", now - 7200, 200),
            entry("http://forbidden.test/", now - 60, 403),
            "{not json".to_string(),
            entry("http://future.test/", now + 7200, 200),
        ]
        .join("\n");
        std::fs::write(&path, text).unwrap();
        let hour = Duration::from_secs(3600);
        let cache = Cache::load(&path, hour, &Accept::default(), &[]).unwrap();
        let fresh = cache.fresh();
        assert_eq!(fresh.entries.len(), 1);
        assert!(fresh.row("http://new.test/", "u", &"s".into()).is_some());
        let lenient: Accept = "200..=299,403".parse().unwrap();
        let cache = Cache::load(&path, hour, &lenient, &[]).unwrap();
        assert_eq!(cache.fresh().entries.len(), 2);

        std::fs::write(&path, "something else\n").unwrap();
        let cache = Cache::load(&path, hour, &Accept::default(), &[]).unwrap();
        assert!(
            cache.fresh().entries.is_empty(),
            "an unknown format is not read"
        );
    }
}
