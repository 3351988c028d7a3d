//! GitHub Actions annotations: with `GITHUB_ACTIONS=true`, each place of a
//! link that fails the run (by the run's [`FailRule`]: broken, error and
//! invalid, and blocked with `--strict`) that is a line of a file becomes an
//! `::error` workflow command, which GitHub shows on that line of the pull
//! request. They are written when the run ends, when every place is known.
//! GitHub shows at most 10 annotations of a kind per step: the first place
//! of each failing link goes first, in report order, then their other
//! places; beyond 10, one `::notice` says how many more there are. With
//! `--baseline`, new failures are `::error`s titled "new", and failures
//! that do not fail the run (known from the baseline, or not counted yet by
//! `--fail-after`) are `::warning`s after them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use headcheck::run::Later;
use headcheck::types::{FailRule, Novelty, Outcome, Source};

/// Annotations of a kind that GitHub shows for one step.
pub const SHOWN_PER_STEP: usize = 10;

/// Whether annotations are wanted: on GitHub Actions, unless turned off.
pub fn enabled(turned_off: bool) -> bool {
    !turned_off && std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// The failing links of a run and their places, until it ends.
pub struct Annotations {
    rule: FailRule,
    /// Links that fail the run, in report order.
    links: Vec<Link>,
    /// Later places of problem rows, by key (some of them rows that do not
    /// fail by this rule, such as blocked ones without `--strict`).
    later: HashMap<String, Later>,
}

struct Link {
    key: String,
    /// The annotation's title and message: at the row's place, and at the
    /// others (without the row's `#fragment`, which may not be theirs).
    title: String,
    message: String,
    elsewhere: String,
    first: Source,
    /// Does not fail the run (known from the `--baseline` report, or not
    /// counted yet by `--fail-after`): a warning, not an error.
    known: bool,
}

impl Annotations {
    pub fn new(rule: FailRule) -> Annotations {
        Annotations {
            rule,
            links: Vec::new(),
            later: HashMap::new(),
        }
    }

    /// A row of the report.
    pub fn row(&mut self, outcome: &Outcome) {
        if !self.rule.fails(outcome.verdict) {
            return;
        }
        let detail = outcome.detail();
        let url = outcome
            .url
            .split_once('#')
            .map_or(&*outcome.url, |(url, _)| url);
        let title = match outcome.novelty {
            None => format!("{} link", outcome.verdict),
            Some(Novelty::New) => format!("new {} link", outcome.verdict),
            Some(Novelty::Known) => format!("{} link (known from the baseline)", outcome.verdict),
            Some(Novelty::Pending) => {
                format!("{} link (not counted yet: --fail-after)", outcome.verdict)
            }
        };
        self.links.push(Link {
            known: !self.rule.fails_the_run(outcome.verdict, outcome.novelty),
            key: outcome.key.clone(),
            title,
            message: format!("{}: {detail}", outcome.url),
            elsewhere: format!("{url}: {detail}"),
            first: outcome.source.clone(),
        });
    }

    /// More places of the problem row with `key`.
    pub fn again(&mut self, key: &str, later: Later) {
        let held = self.later.entry(key.to_string()).or_default();
        held.places.extend(later.places);
        held.uncounted += later.uncounted;
    }

    /// Prints the annotations, on standard error (standard output may be
    /// the report; the runner reads both).
    pub fn print(self) {
        let mut stderr = std::io::stderr().lock();
        for line in self.lines() {
            let _ = writeln!(stderr, "{line}");
        }
    }

    /// The workflow commands: `::error`s for the links that fail the run,
    /// then `::warning`s for those known from `--baseline` (each a kind of
    /// its own, so known links never push a new one out), at most
    /// [`SHOWN_PER_STEP`] of each, then the count of the others.
    fn lines(mut self) -> Vec<String> {
        let mut files = HashMap::new();
        let mut is_file = |name: &str| {
            *files
                .entry(name.to_string())
                .or_insert_with(|| Path::new(name).is_file())
        };
        let links = std::mem::take(&mut self.links);
        let (known, failing): (Vec<Link>, Vec<Link>) = links.into_iter().partition(|l| l.known);
        let mut shown = Vec::new();
        for (links, what) in [(failing, "failing links"), (known, "known failing links")] {
            let mut kind = Vec::new();
            let mut more = 0u64;
            let mut place = |link: &Link, source: &Source, message: &str| {
                let Some(line) = source.line() else {
                    return;
                };
                if !is_file(source.name()) {
                    return;
                }
                if kind.len() == SHOWN_PER_STEP {
                    more += 1;
                    return;
                }
                kind.push(annotation(
                    link,
                    message,
                    source.name(),
                    line,
                    source.column(),
                ));
            };
            for link in &links {
                place(link, &link.first, &link.message);
            }
            let mut unkept = 0;
            for link in &links {
                let Some(later) = self.later.remove(&link.key) else {
                    continue;
                };
                for source in &later.places {
                    place(link, source, &link.elsewhere);
                }
                unkept += later.uncounted;
            }
            shown.append(&mut kind);
            let more = more + unkept;
            if more > 0 {
                shown.push(format!(
                    "::notice title={}::{}",
                    property(&format!("more {what}")),
                    data(&format!(
                        "{more} more {} of {what} not annotated: GitHub shows \
                         {SHOWN_PER_STEP} annotations of a kind per step (the report has a row \
                         for every failing link)",
                        if more == 1 { "place" } else { "places" }
                    ))
                ));
            }
        }
        shown
    }
}

fn annotation(link: &Link, message: &str, file: &str, line: u64, column: Option<u32>) -> String {
    let column = column.map_or(String::new(), |column| format!(",col={column}"));
    format!(
        "::{} file={},line={line}{column},title={}::{}",
        if link.known { "warning" } else { "error" },
        property(file),
        property(&link.title),
        data(message),
    )
}

/// Escaping for a workflow command's message.
fn data(text: &str) -> Cow<'_, str> {
    if !text.contains(['%', '\r', '\n']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// Escaping for a workflow command's property (file, title).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use headcheck::types::Verdict;

    fn row(url: &str, source: Source, verdict: Verdict) -> Outcome {
        let mut outcome = Outcome::unchecked(0, url.into(), source, verdict, String::new(), 0);
        if verdict == Verdict::Broken {
            outcome.status = Some(404);
            outcome.error = None;
        }
        outcome
    }

    fn lines(rule: FailRule, rows: &[Outcome]) -> Vec<String> {
        let mut annotations = Annotations::new(rule);
        rows.iter().for_each(|row| annotations.row(row));
        annotations.lines()
    }

    #[test]
    fn broken_link_in_a_file_becomes_an_error_annotation() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap();
        let rule = FailRule::default();
        let mut outcome = row(
            "http://a.test/x%y",
            Source::at(path, 7, None),
            Verdict::Broken,
        );
        assert_eq!(
            lines(rule, std::slice::from_ref(&outcome)),
            [format!(
                "::error file={path},line=7,title=broken link::http://a.test/x%25y: 404"
            )]
        );
        outcome.source = "stdin:7".into();
        assert!(
            lines(rule, std::slice::from_ref(&outcome)).is_empty(),
            "stdin is not a file"
        );
        // A place whose column is known says so.
        outcome.source = Source::at(path, 7, Some(12));
        assert!(
            lines(rule, std::slice::from_ref(&outcome))[0]
                .starts_with(&format!("::error file={path},line=7,col=12,title="))
        );
        // What fails the run is annotated: a typo link too; blocked links
        // only with --strict.
        outcome.verdict = Verdict::Invalid;
        assert_eq!(
            lines(rule, std::slice::from_ref(&outcome)).len(),
            1,
            "an invalid link fails the run"
        );
        outcome.verdict = Verdict::Blocked;
        assert!(
            lines(rule, std::slice::from_ref(&outcome)).is_empty(),
            "blocked does not fail"
        );
        assert_eq!(lines(FailRule { strict: true }, &[outcome]).len(), 1);
    }

    #[test]
    fn every_place_is_annotated_first_places_first_and_ten_at_most() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap();
        let at = |line| Source::at(path, line, Some(1));
        let mut annotations = Annotations::new(FailRule::default());
        let dead = row("http://dead.test/", at(1), Verdict::Broken);
        let gone = row("http://gone.test/", at(2), Verdict::Error);
        let blocked = row("http://blocked.test/", at(3), Verdict::Blocked);
        for outcome in [&dead, &gone, &blocked] {
            annotations.row(outcome);
        }
        let later = |lines: std::ops::Range<u64>, uncounted| Later {
            places: lines.map(at).collect(),
            uncounted,
        };
        annotations.again(&dead.key, later(10..13, 0));
        annotations.again(&blocked.key, later(30..32, 0));
        annotations.again(&gone.key, later(20..30, 2));
        let lines = annotations.lines();
        let line_of = |text: &str| {
            let rest = &text[text.find(",line=").unwrap() + 6..];
            rest[..rest.find(',').unwrap()].parse::<u64>().unwrap()
        };
        let shown: Vec<u64> = lines[..SHOWN_PER_STEP].iter().map(|l| line_of(l)).collect();
        assert_eq!(shown, [1, 2, 10, 11, 12, 20, 21, 22, 23, 24]);
        // 5 places of gone not shown, 2 not even kept; blocked does not
        // fail the run.
        assert_eq!(lines.len(), SHOWN_PER_STEP + 1);
        assert_eq!(
            lines[SHOWN_PER_STEP],
            "::notice title=more failing links::7 more places of failing links not \
             annotated: GitHub shows 10 annotations of a kind per step (the report has a \
             row for every failing link)"
        );
    }
}
