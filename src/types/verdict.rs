//! The `result` of a URL: the one place that decides it ([`Verdict`]), the
//! one rule that says which results fail a run ([`FailRule`]), and the one
//! that says which are problems worth listing ([`Verdict::is_problem`]).
//! Every part of headcheck that sorts rows asks one of these two:
//! - [`FailRule::fails`]: the exit status, the summary's "failed", the
//!   reports that say failed (JUnit, SARIF), and GitHub annotations, so a
//!   row that fails a CI job is always shown on its line;
//! - [`Verdict::is_problem`]: the rows the summary and the Markdown report
//!   list, and the counts the progress bar shows beside `ok`: every result
//!   but ok and skipped, so blocked rows are listed even when they do not
//!   fail the run, and invalid ones are counted.

use std::fmt;

use super::accept::Accept;

/// The `result` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The final HTTP status is accepted.
    Ok,
    /// An HTTP status came back and is not accepted.
    Broken,
    /// No usable HTTP status (DNS, refused, TLS, timeout, redirect loop...).
    Error,
    /// The input is not a valid URL.
    Invalid,
    /// The server refused to answer a robot rather than saying the page is
    /// gone (bot walls, rate limits that outlast the retries).
    Blocked,
    /// Not http(s), or filtered out by a pattern.
    Skipped,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Ok,
        Verdict::Broken,
        Verdict::Error,
        Verdict::Invalid,
        Verdict::Blocked,
        Verdict::Skipped,
    ];

    /// This verdict's position in [`Verdict::ALL`], for per-result counts.
    pub fn index(self) -> usize {
        self as usize
    }

    /// A result worth listing among a run's problems: all but ok and
    /// skipped (whether it also fails the run is [`FailRule`]'s to say).
    pub fn is_problem(self) -> bool {
        !matches!(self, Verdict::Ok | Verdict::Skipped)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Broken => "broken",
            Verdict::Error => "error",
            Verdict::Invalid => "invalid",
            Verdict::Blocked => "blocked",
            Verdict::Skipped => "skipped",
        }
    }

    /// Judges a final HTTP response. Accepted statuses win, so a user who
    /// accepts 403 gets `ok` even for a challenge page; otherwise bot walls
    /// are `blocked` and every other status is `broken`. Returns the verdict
    /// and, for `blocked`, why.
    pub fn of_status(
        status: u16,
        cf_mitigated: Option<&str>,
        accept: &Accept,
    ) -> (Verdict, Option<&'static str>) {
        if accept.contains(status) {
            return (Verdict::Ok, None);
        }
        match status {
            // LinkedIn and others answer robots with a non-standard 999.
            999 => (Verdict::Blocked, Some("bot wall (status 999)")),
            403 if cf_mitigated.is_some_and(|v| v.eq_ignore_ascii_case("challenge")) => {
                (Verdict::Blocked, Some("bot challenge (cf-mitigated)"))
            }
            429 => (Verdict::Blocked, Some("rate limited (429)")),
            _ => (Verdict::Broken, None),
        }
    }
}

/// How a failing row stands beside earlier runs: against the
/// `--baseline` report, and in the cache's count of `--fail-after`. Not a
/// column: the row says what happened in this run; this says whether it
/// fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Novelty {
    /// Not failing (in this way) in the baseline: fails the run.
    New,
    /// Failing in the baseline too: listed, but does not fail the run.
    Known,
    /// Failing in fewer runs in a row than `--fail-after` asks: listed,
    /// but does not fail the run yet.
    Pending,
}

/// Which results fail a run: broken, error and invalid always, blocked too
/// with `--strict`. The exit status, the summary and every report that says
/// "failed" ask this rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailRule {
    /// `--strict`: blocked URLs fail the run too.
    pub strict: bool,
}

impl FailRule {
    /// Whether a result is a failure: the rows annotated, listed as failed
    /// and compared with a baseline.
    pub fn fails(self, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Broken | Verdict::Error | Verdict::Invalid => true,
            Verdict::Blocked => self.strict,
            Verdict::Ok | Verdict::Skipped => false,
        }
    }

    /// Whether a row fails the exit status: it fails, the `--baseline`
    /// report does not have it failing already, and `--fail-after` counts
    /// it.
    pub fn fails_the_run(self, verdict: Verdict, novelty: Option<Novelty>) -> bool {
        self.fails(verdict) && matches!(novelty, None | Some(Novelty::New))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failing_result_is_a_problem_whatever_the_rule() {
        for verdict in Verdict::ALL {
            for strict in [false, true] {
                if (FailRule { strict }).fails(verdict) {
                    assert!(verdict.is_problem(), "{verdict} fails but is not listed");
                }
            }
        }
        assert!(Verdict::Invalid.is_problem());
        assert!(Verdict::Blocked.is_problem());
        assert!(!Verdict::Skipped.is_problem());
    }

    #[test]
    fn index_matches_the_order_of_all() {
        for (i, verdict) in Verdict::ALL.iter().enumerate() {
            assert_eq!(verdict.index(), i);
        }
    }

    #[test]
    fn statuses_are_judged() {
        let accept = Accept::default();
        let judge = |status, cf| Verdict::of_status(status, cf, &accept).0;
        assert_eq!(judge(200, None), Verdict::Ok);
        assert_eq!(judge(204, None), Verdict::Ok);
        assert_eq!(judge(301, None), Verdict::Broken);
        assert_eq!(judge(404, None), Verdict::Broken);
        assert_eq!(judge(403, None), Verdict::Broken);
        assert_eq!(judge(403, Some("challenge")), Verdict::Blocked);
        assert_eq!(judge(999, None), Verdict::Blocked);
        assert_eq!(judge(429, None), Verdict::Blocked);
        let lenient: Accept = "200..=299,403".parse().unwrap();
        assert_eq!(
            Verdict::of_status(403, Some("challenge"), &lenient).0,
            Verdict::Ok
        );
    }

    #[test]
    fn blocked_fails_only_when_strict() {
        let lenient = FailRule::default();
        let strict = FailRule { strict: true };
        for verdict in [Verdict::Broken, Verdict::Error, Verdict::Invalid] {
            assert!(lenient.fails(verdict) && strict.fails(verdict));
        }
        assert!(!lenient.fails(Verdict::Blocked));
        assert!(strict.fails(Verdict::Blocked));
        for verdict in [Verdict::Ok, Verdict::Skipped] {
            assert!(!lenient.fails(verdict) && !strict.fails(verdict));
        }
    }
}
