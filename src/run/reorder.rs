//! Input order for the report: finished rows wait here until every earlier
//! row is written.

use std::collections::BTreeMap;

use crate::types::Outcome;

/// Holds finished rows until every earlier row is written.
#[derive(Default)]
pub struct Reorder {
    /// Index of the next row due.
    pub next: u64,
    waiting: BTreeMap<u64, Outcome>,
}

impl Reorder {
    pub fn push(&mut self, outcome: Outcome) {
        self.waiting.insert(outcome.index, outcome);
    }

    /// The rows that are now due, in order.
    pub fn drain_ready(&mut self) -> impl Iterator<Item = Outcome> + '_ {
        std::iter::from_fn(move || {
            let outcome = self.waiting.remove(&self.next)?;
            self.next += 1;
            Some(outcome)
        })
    }

    /// Every finished row, in order, gaps skipped.
    pub fn drain_all(&mut self) -> impl Iterator<Item = Outcome> + '_ {
        std::mem::take(&mut self.waiting).into_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Verdict;

    fn row(index: u64) -> Outcome {
        Outcome::unchecked(
            index,
            format!("u{index}"),
            "t".into(),
            Verdict::Ok,
            String::new(),
            0,
        )
    }

    #[test]
    fn reorder_releases_rows_in_input_order() {
        let mut order = Reorder::default();
        order.push(row(2));
        order.push(row(1));
        assert_eq!(order.drain_ready().count(), 0);
        order.push(row(0));
        let ready: Vec<u64> = order.drain_ready().map(|o| o.index).collect();
        assert_eq!(ready, [0, 1, 2]);
        order.push(row(5));
        order.push(row(4));
        let rest: Vec<u64> = order.drain_all().map(|o| o.index).collect();
        assert_eq!(rest, [4, 5]);
    }
}
