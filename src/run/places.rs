//! Every place an entry appears: a row is made at its first place, and each
//! later one reaches the run as an [`Entry::Again`](crate::types::Entry).
//! The run keeps those places only while they may matter: for a row not
//! finished yet (until its result tells whether it is a problem) and, once
//! finished, only the fact that a row is a problem, so that its later places
//! are passed on as they come and the others' are dropped at once. Memory
//! grows with the unfinished rows (bounded by the run's window) and the
//! problem rows, never with the places of rows that are fine.
//!
//! Rows are known by a 64-bit keyed hash of their key rather than the key's
//! text, so that admitting a row allocates nothing, and the tables take that
//! hash as it is: in a run of a million rows, two keys share a hash about
//! once in 40 million runs, and the cost would be a place told of the wrong
//! row.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use foldhash::quality::RandomState;

use crate::types::{BuildPrehashed, Outcome, Source};

/// Places held for one unfinished row at most; more are only counted (a
/// URL repeated a million times while its check hangs is not a million
/// places in memory).
pub const MAX_HELD: usize = 1024;

/// Later places of a row, as handed to the observers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Later {
    pub places: Vec<Source>,
    /// Places seen beyond [`MAX_HELD`], not kept.
    pub uncounted: u64,
}

impl Later {
    fn is_empty(&self) -> bool {
        self.places.is_empty() && self.uncounted == 0
    }
}

#[derive(Default)]
pub struct Places {
    hasher: RandomState,
    /// Rows admitted and not finished, by their key's hash.
    open: HashSet<u64, BuildPrehashed>,
    /// The places seen again of unfinished rows, for the few that have
    /// some: most rows appear once, and a place-holder for each would cost
    /// the window's rows several times their hash.
    held: HashMap<u64, Later, BuildPrehashed>,
    /// Finished rows that are problems ([`crate::types::Verdict::is_problem`]).
    problems: HashSet<u64, BuildPrehashed>,
}

impl Places {
    /// A row with `key` enters the run.
    pub fn admitted(&mut self, key: &str) {
        let hash = self.hasher.hash_one(key);
        self.open.insert(hash);
    }

    /// Another place of the row with `key`: held while the row is
    /// unfinished; given back to pass on when it is a problem; dropped
    /// otherwise (and for a key the run never admitted, such as another
    /// shard's).
    pub fn again(&mut self, key: &str, source: Source) -> Option<Later> {
        let hash = self.hasher.hash_one(key);
        if self.open.contains(&hash) {
            let later = self.held.entry(hash).or_default();
            if later.places.len() < MAX_HELD {
                later.places.push(source);
            } else {
                later.uncounted += 1;
            }
            return None;
        }
        self.problems.contains(&hash).then(|| Later {
            places: vec![source],
            uncounted: 0,
        })
    }

    /// The row `outcome` has finished: the places held for it, when it is a
    /// problem and has some.
    pub fn finished(&mut self, outcome: &Outcome) -> Option<Later> {
        let hash = self.hasher.hash_one(outcome.key.as_str());
        self.open.remove(&hash);
        let later = self.held.remove(&hash);
        if !outcome.verdict.is_problem() {
            return None;
        }
        self.problems.insert(hash);
        later.filter(|later| !later.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Verdict;

    fn row(key: &str, verdict: Verdict) -> Outcome {
        Outcome {
            key: key.to_string(),
            ..Outcome::unchecked(0, key.into(), "a:1".into(), verdict, String::new(), 0)
        }
    }

    fn at(line: u64) -> Source {
        Source::at("a.md", line, Some(1))
    }

    #[test]
    fn a_problem_rows_places_are_passed_on_and_a_fine_rows_dropped() {
        let mut places = Places::default();
        places.admitted("http://dead.test/");
        places.admitted("http://fine.test/");
        assert_eq!(places.again("http://dead.test/", at(2)), None);
        assert_eq!(places.again("http://fine.test/", at(3)), None);
        assert_eq!(places.again("http://dead.test/", at(4)), None);
        assert_eq!(
            places.finished(&row("http://dead.test/", Verdict::Broken)),
            Some(Later {
                places: vec![at(2), at(4)],
                uncounted: 0
            })
        );
        assert_eq!(
            places.finished(&row("http://fine.test/", Verdict::Ok)),
            None
        );
        // Later places: a problem row's go on at once, a fine row's nowhere.
        assert_eq!(
            places.again("http://dead.test/", at(9)),
            Some(Later {
                places: vec![at(9)],
                uncounted: 0
            })
        );
        assert_eq!(places.again("http://fine.test/", at(9)), None);
        assert_eq!(places.again("http://other-shard.test/", at(9)), None);
        assert!(places.open.is_empty() && places.held.is_empty());
        assert_eq!(places.problems.len(), 1);
    }

    #[test]
    fn an_unfinished_row_holds_a_bounded_number_of_places() {
        let mut places = Places::default();
        places.admitted("http://hang.test/");
        for line in 0..MAX_HELD as u64 + 5 {
            assert_eq!(places.again("http://hang.test/", at(line)), None);
        }
        let later = places
            .finished(&row("http://hang.test/", Verdict::Error))
            .unwrap();
        assert_eq!(later.places.len(), MAX_HELD);
        assert_eq!(later.uncounted, 5);
        // A problem row seen once has nothing to pass on.
        places.admitted("http://once.test/");
        assert_eq!(
            places.finished(&row("http://once.test/", Verdict::Error)),
            None
        );
    }
}
