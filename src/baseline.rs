//! `--baseline REPORT`: the failures of an earlier run (the main branch's
//! report, say), so that a run fails only on what is newly broken.
//!
//! A failing row is *known* when the baseline has its URL failing too, and
//! new otherwise. The key is the URL (in its normal form, its `#fragment`
//! kept: a missing fragment is a failure of its own) and, where both rows
//! have one, the kind of failure: a link that was a 404 last week and times
//! out now is a new failure. The line is never part of the key, so a link
//! that moved, or whose document gained a paragraph above it, stays known.
//! A baseline written before the `error_kind` column existed is matched by
//! URL alone. `headcheck diff` says what changed between two reports by
//! the same rule ([`Change`]).

use std::collections::HashMap;
use std::path::Path;

use url::Url;

use crate::report::ReportFile;
use crate::types::{Error, ErrorKind, FailRule, Novelty, Outcome};

/// The failing rows of an earlier report, and what this run made of them.
#[derive(Debug)]
pub struct Baseline {
    rule: FailRule,
    /// The baseline's failing URLs (by [`baseline_key`]) and their kind of
    /// failure, where the report says it.
    failing: HashMap<String, Option<ErrorKind>>,
    /// Failing URLs of the baseline that this run found not failing.
    fixed: u64,
}

impl Baseline {
    /// Reads the failing rows of a CSV or JSON Lines report (by `rule`, the
    /// run's own).
    pub fn load(path: &Path, rule: FailRule) -> Result<Baseline, Error> {
        let mut report = ReportFile::open(path)?;
        let mut failing = HashMap::new();
        while let Some(row) = report.next_row(&[]) {
            let row = row?;
            if rule.fails(row.verdict) {
                failing.insert(baseline_key(&row.url), row.error_kind);
            }
        }
        Ok(Baseline {
            rule,
            failing,
            fixed: 0,
        })
    }

    /// Says of a row of this run whether its failure is new or known
    /// (`outcome.novelty`; none for a row that does not fail), and counts
    /// the baseline's failures it shows fixed.
    pub fn mark(&mut self, outcome: &mut Outcome) {
        let then = self.failing.get(&baseline_key(&outcome.url));
        if !self.rule.fails(outcome.verdict) {
            if then.is_some() {
                self.fixed += 1;
            }
            return;
        }
        let known = then.is_some_and(|then| same_failure(*then, outcome.error_kind));
        outcome.novelty = Some(if known { Novelty::Known } else { Novelty::New });
    }

    /// Failing URLs of the baseline found not failing in this run so far.
    pub fn fixed(&self) -> u64 {
        self.fixed
    }

    /// How many URLs fail in the baseline.
    pub fn failing(&self) -> usize {
        self.failing.len()
    }
}

/// How a URL's row changed between two reports (`headcheck diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Fails now, and did not fail then in this way (or was not there):
    /// what `--baseline` calls a new failure.
    Broke,
    /// Failed then, does not fail now.
    Fixed,
    /// Neither, but its result, status or final URL is not the same.
    Changed,
}

impl Change {
    /// Its word in a diff's `change` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Broke => "broke",
            Change::Fixed => "fixed",
            Change::Changed => "changed",
        }
    }

    /// What became of a URL whose row was `then` in the earlier report
    /// (none when it was not there) and is `now`; none when nothing worth
    /// saying changed. The same rule as [`Baseline::mark`].
    pub fn between(then: Option<&Outcome>, now: &Outcome, rule: FailRule) -> Option<Change> {
        let failed = then.filter(|then| rule.fails(then.verdict));
        if rule.fails(now.verdict) {
            let known = failed.is_some_and(|then| same_failure(then.error_kind, now.error_kind));
            return (!known).then_some(Change::Broke);
        }
        if failed.is_some() {
            return Some(Change::Fixed);
        }
        let then = then?;
        (then.verdict != now.verdict
            || then.status != now.status
            || then.final_url != now.final_url)
            .then_some(Change::Changed)
    }
}

/// Whether two failures of one URL, of the kinds `then` and `now`, are the
/// same failure: the same kind, or by URL alone when either report does not
/// say (a report from before the `error_kind` column).
pub fn same_failure(then: Option<ErrorKind>, now: Option<ErrorKind>) -> bool {
    match (then, now) {
        (Some(then), Some(now)) => then == now,
        _ => true,
    }
}

/// A URL's key in a baseline: its normal form, with its fragment (the
/// input text as it is when it is not an absolute URL).
pub fn baseline_key(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => url.into(),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Verdict;

    fn row(url: &str, verdict: Verdict, kind: Option<ErrorKind>) -> Outcome {
        let mut outcome = Outcome::unchecked(
            0,
            url.into(),
            "docs/a.md:3".into(),
            verdict,
            String::new(),
            0,
        );
        outcome.error_kind = kind;
        outcome
    }

    fn baseline(rows: &[(&str, Option<ErrorKind>)]) -> Baseline {
        Baseline {
            rule: FailRule::default(),
            failing: rows
                .iter()
                .map(|(url, kind)| (baseline_key(url), *kind))
                .collect(),
            fixed: 0,
        }
    }

    #[test]
    fn a_failure_is_known_by_its_url_and_kind_never_its_line() {
        let mut base = baseline(&[
            ("http://a.test/gone", Some(ErrorKind::Status)),
            ("HTTP://B.test/old", None),
            ("http://c.test/x#part", Some(ErrorKind::Fragment)),
        ]);
        let mut judge = |url: &str, kind| {
            let mut outcome = row(url, Verdict::Broken, kind);
            outcome.source = "docs/moved.md:99".into();
            base.mark(&mut outcome);
            outcome.novelty
        };
        assert_eq!(
            judge("http://a.test/gone", Some(ErrorKind::Status)),
            Some(Novelty::Known)
        );
        // Another kind of failure is new.
        assert_eq!(
            judge("http://a.test/gone", Some(ErrorKind::Timeout)),
            Some(Novelty::New)
        );
        // A baseline without the kind: by URL alone, in its normal form.
        assert_eq!(
            judge("http://b.test/old", Some(ErrorKind::Dns)),
            Some(Novelty::Known)
        );
        assert_eq!(
            judge("http://c.test/x#other", Some(ErrorKind::Fragment)),
            Some(Novelty::New)
        );
        assert_eq!(judge("http://d.test/", None), Some(Novelty::New));
    }

    #[test]
    fn a_change_is_broke_fixed_or_changed() {
        let rule = FailRule::default();
        let dead = row("http://a.test/", Verdict::Broken, Some(ErrorKind::Status));
        let late = row("http://a.test/", Verdict::Error, Some(ErrorKind::Timeout));
        let mut ok = row("http://a.test/", Verdict::Ok, None);
        ok.status = Some(200);
        let mut moved = ok.clone();
        moved.final_url = Some("http://a.test/new".into());
        let change = |then: Option<&Outcome>, now: &Outcome| Change::between(then, now, rule);
        assert_eq!(change(Some(&ok), &dead), Some(Change::Broke));
        assert_eq!(change(None, &dead), Some(Change::Broke));
        assert_eq!(change(Some(&dead), &late), Some(Change::Broke));
        assert_eq!(change(Some(&dead), &dead), None);
        assert_eq!(change(Some(&dead), &ok), Some(Change::Fixed));
        assert_eq!(change(Some(&ok), &moved), Some(Change::Changed));
        assert_eq!(change(Some(&ok), &ok), None);
        assert_eq!(change(None, &ok), None);
    }

    #[test]
    fn a_row_that_does_not_fail_is_not_marked_and_may_be_fixed() {
        let mut base = baseline(&[("http://a.test/gone", Some(ErrorKind::Status))]);
        let mut ok = row("http://a.test/gone", Verdict::Ok, None);
        base.mark(&mut ok);
        assert_eq!(ok.novelty, None);
        let mut blocked = row("http://e.test/", Verdict::Blocked, None);
        base.mark(&mut blocked);
        assert_eq!(blocked.novelty, None);
        assert_eq!(base.fixed(), 1);
    }
}
