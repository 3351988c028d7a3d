//! Counts per result: the one tally behind the summary, the exit status,
//! the Markdown report, the workbook and the progress bar.

use super::verdict::{FailRule, Verdict};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    counts: [u64; Verdict::ALL.len()],
}

impl Tally {
    pub fn add(&mut self, verdict: Verdict) {
        self.counts[verdict.index()] += 1;
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
}
