//! Counts per result: the one tally behind the summary, the exit status,
//! the Markdown report, the workbook and the progress bar.

use super::outcome::Outcome;
use super::verdict::{FailRule, Novelty, Verdict};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    counts: [u64; Verdict::ALL.len()],
    /// Failing rows known from the `--baseline` report.
    known: u64,
    /// Failing rows not counted yet by `--fail-after`.
    pending: u64,
}

impl Tally {
    pub fn add(&mut self, verdict: Verdict) {
        self.counts[verdict.index()] += 1;
    }

    /// Counts a row: its verdict, and whether its failure is known from
    /// the baseline.
    pub fn add_row(&mut self, outcome: &Outcome) {
        self.add(outcome.verdict);
        match outcome.novelty {
            Some(Novelty::Known) => self.known += 1,
            Some(Novelty::Pending) => self.pending += 1,
            Some(Novelty::New) | None => {}
        }
    }

    /// Failing rows that `--fail-after` does not count yet.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Failing rows that the `--baseline` report has failing too.
    pub fn known(&self) -> u64 {
        self.known
    }

    /// The rows that fail the exit status under `rule`: the failing rows
    /// that are neither known from a baseline nor pending
    /// ([`FailRule::fails_the_run`]).
    pub fn failing_the_run(&self, rule: FailRule) -> u64 {
        self.failing(rule) - self.known - self.pending
    }

    pub fn count(&self, verdict: Verdict) -> u64 {
        self.counts[verdict.index()]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The rows that fail the run under `rule`.
    pub fn failing(&self, rule: FailRule) -> u64 {
        Verdict::ALL
            .into_iter()
            .filter(|v| rule.fails(*v))
            .map(|v| self.count(v))
            .sum()
    }

    /// Each result with its count, in [`Verdict::ALL`] order.
    pub fn counts(&self) -> impl Iterator<Item = (Verdict, u64)> + '_ {
        Verdict::ALL.into_iter().map(|v| (v, self.count(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_follows_the_rule() {
        let mut tally = Tally::default();
        for verdict in [
            Verdict::Ok,
            Verdict::Skipped,
            Verdict::Blocked,
            Verdict::Broken,
        ] {
            tally.add(verdict);
        }
        assert_eq!(tally.total(), 4);
        assert_eq!(tally.failing(FailRule::default()), 1);
        assert_eq!(tally.failing(FailRule { strict: true }), 2);
    }

    #[test]
    fn a_known_failure_does_not_fail_the_run() {
        let mut tally = Tally::default();
        let mut row = Outcome::unchecked(
            0,
            "http://a.test/".into(),
            "argv".into(),
            Verdict::Broken,
            String::new(),
            0,
        );
        row.novelty = Some(Novelty::Known);
        tally.add_row(&row);
        row.novelty = Some(Novelty::New);
        tally.add_row(&row);
        assert_eq!(tally.failing(FailRule::default()), 2);
        assert_eq!(tally.known(), 1);
        assert_eq!(tally.failing_the_run(FailRule::default()), 1);
    }
}
