//! The end-of-run summary on standard error, and the exit status.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use headcheck::outcome::{Outcome, Verdict};

/// Exit statuses, decided together (see `--help`).
pub mod exit {
    /// Every URL ok, blocked or skipped.
    pub const OK: i32 = 0;
    /// At least one broken, error or invalid (blocked with --strict).
    pub const FAILED: i32 = 1;
    /// Usage or input error.
    pub const USAGE: i32 = 2;
    /// Ctrl-C or SIGTERM.
    pub const INTERRUPTED: i32 = 130;
}

/// Problem rows listed in the summary.
const LISTED: usize = 20;

/// Counts per result, and the first problems, as rows are written.
#[derive(Debug, Default)]
pub struct Tally {
    counts: [u64; Verdict::ALL.len()],
    problems: Vec<Problem>,
    more_problems: u64,
}

#[derive(Debug)]
struct Problem {
    verdict: Verdict,
    url: String,
    detail: String,
}

impl Tally {
    pub fn add(&mut self, outcome: &Outcome) {
        self.counts[outcome.verdict.index()] += 1;
        if matches!(outcome.verdict, Verdict::Ok | Verdict::Skipped) {
            return;
        }
        if self.problems.len() == LISTED {
            self.more_problems += 1;
            return;
        }
        self.problems.push(Problem {
            verdict: outcome.verdict,
            url: outcome.url.clone(),
            detail: outcome.detail(),
        });
    }

    pub fn count(&self, verdict: Verdict) -> u64 {
        self.counts[verdict.index()]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The summary text printed at the end of a run; without `elapsed`
    /// (merged reports), no time and rate.
    pub fn render(&self, elapsed: Option<Duration>, interrupted: bool) -> String {
        let counts: Vec<String> = Verdict::ALL
            .iter()
            .map(|v| format!("{} {}", self.count(*v), v.as_str()))
            .collect();
        let timing = match elapsed {
            Some(elapsed) => {
                let secs = elapsed.as_secs_f64();
                let rate = if secs > 0.0 {
                    self.total() as f64 / secs
                } else {
                    0.0
                };
                format!(" in {secs:.1}s ({rate:.0}/s)")
            }
            None => String::new(),
        };
        let mut text = format!(
            "{}{} URLs{timing}: {}\n",
            if interrupted { "interrupted: " } else { "" },
            self.total(),
            counts.join(", ")
        );
        for problem in &self.problems {
            let _ = writeln!(
                text,
                "  {:<7} {}  {}",
                problem.verdict.as_str(),
                terminal_safe(&problem.url),
                terminal_safe(&problem.detail)
            );
        }
        if self.more_problems > 0 {
            let _ = writeln!(text, "  … and {} more", self.more_problems);
        }
        text
    }

    /// The exit status for the rows seen: 1 when any is broken, in error or
    /// invalid (or blocked, with `strict`), unless `no_fail`.
    pub fn exit_code(&self, no_fail: bool, strict: bool) -> i32 {
        let failing = self.count(Verdict::Broken)
            + self.count(Verdict::Error)
            + self.count(Verdict::Invalid)
            + if strict {
                self.count(Verdict::Blocked)
            } else {
                0
            };
        if failing > 0 && !no_fail {
            exit::FAILED
        } else {
            exit::OK
        }
    }
}

/// Control characters from servers or inputs are shown escaped, never sent
/// raw to the terminal.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(verdict: Verdict) -> Outcome {
        Outcome::unchecked(0, "u".into(), "s".into(), verdict, "e".into(), 0)
    }

    #[test]
    fn exit_status_follows_the_results() {
        let mut tally = Tally::default();
        tally.add(&row(Verdict::Ok));
        tally.add(&row(Verdict::Skipped));
        tally.add(&row(Verdict::Blocked));
        assert_eq!(tally.exit_code(false, false), 0);
        assert_eq!(tally.exit_code(false, true), 1);
        tally.add(&row(Verdict::Invalid));
        assert_eq!(tally.exit_code(false, false), 1);
        assert_eq!(tally.exit_code(true, false), 0);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(terminal_safe("plain"), "plain");
    }
}
