//! Exit statuses, decided together and in one place (see `--help`).

use headcheck::types::{FailRule, Tally};

/// Every URL ok, blocked or skipped.
pub const OK: i32 = 0;
/// At least one broken, error or invalid (blocked with --strict).
pub const FAILED: i32 = 1;
/// Usage or input error.
pub const USAGE: i32 = 2;
/// Ctrl-C or SIGTERM.
pub const INTERRUPTED: i32 = 130;

/// The exit status for the rows seen: [`FAILED`] when any row fails the run
/// under `rule` (a failure known from `--baseline` does not), unless
/// `no_fail`.
pub fn status(tally: &Tally, rule: FailRule, no_fail: bool) -> i32 {
    if tally.failing_the_run(rule) > 0 && !no_fail {
        FAILED
    } else {
        OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use headcheck::types::Verdict;

    #[test]
    fn exit_status_follows_the_results() {
        let mut tally = Tally::default();
        tally.add(Verdict::Ok);
        tally.add(Verdict::Skipped);
        tally.add(Verdict::Blocked);
        let strict = FailRule { strict: true };
        assert_eq!(status(&tally, FailRule::default(), false), OK);
        assert_eq!(status(&tally, strict, false), FAILED);
        tally.add(Verdict::Invalid);
        assert_eq!(status(&tally, FailRule::default(), false), FAILED);
        assert_eq!(status(&tally, FailRule::default(), true), OK);
    }
}
