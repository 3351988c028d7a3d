//! The end-of-run summary on standard error: counts per result, time and
//! rate, and the first problems.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use headcheck::types::{Outcome, Tally, Verdict, hide_passwords};

/// Problem rows listed in the summary.
pub const LISTED: usize = 20;

/// Counts per result, and the first problems, as rows are written.
#[derive(Debug, Default)]
pub struct Summary {
    pub tally: Tally,
    problems: Vec<Problem>,
    more_problems: u64,
}

#[derive(Debug)]
struct Problem {
    verdict: Verdict,
    url: String,
    detail: String,
}

impl Summary {
    pub fn add(&mut self, outcome: &Outcome) {
        self.tally.add_row(outcome);
        if !outcome.verdict.is_problem() {
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

    /// The summary text printed at the end of a run; without `elapsed`
    /// (merged reports), no time and rate.
    pub fn render(&self, elapsed: Option<Duration>, interrupted: bool) -> String {
        let counts: Vec<String> = self
            .tally
            .counts()
            .map(|(verdict, count)| format!("{count} {verdict}"))
            .collect();
        let total = self.tally.total();
        let timing = match elapsed {
            Some(elapsed) => {
                let secs = elapsed.as_secs_f64();
                let rate = total as f64 / secs.max(0.001);
                // A rate says something for many URLs, not for a handful
                // (`1 URL in 3.1s (0/s)`).
                if total >= 10 && rate >= 1.0 {
                    format!(" in {secs:.1}s ({rate:.0}/s)")
                } else {
                    format!(" in {secs:.1}s")
                }
            }
            None => String::new(),
        };
        let mut text = format!(
            "{}{total} {}{timing}: {}\n",
            if interrupted { "interrupted: " } else { "" },
            plural(total, "URL", "URLs"),
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
}

/// `one` for a count of 1, else `many`.
pub fn plural<N: TryInto<u64>>(count: N, one: &'static str, many: &'static str) -> &'static str {
    if count.try_into().is_ok_and(|n| n == 1) {
        one
    } else {
        many
    }
}

/// Control characters from servers or inputs are shown escaped, never sent
/// raw to the terminal; passwords in URLs are hidden (`user:***@host`).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    match hide_passwords(text) {
        Cow::Borrowed(text) => escape_controls(text),
        Cow::Owned(text) => Cow::Owned(escape_controls(&text).into_owned()),
    }
}

fn escape_controls(text: &str) -> Cow<'_, str> {
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

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(terminal_safe("plain"), "plain");
    }
}
