//! `--format markdown`: a summary fit for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY` — the counts per result, then a table of the URLs
//! that are not ok. Written at the end of the run, since the counts come
//! first; only the listed rows are kept until then, with the other places
//! of their links (the `source` cell lists up to [`PLACES`] of them).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::types::{FailRule, Novelty, Outcome, Source, Tally};

/// Rows listed in the table; the rest are counted.
const LISTED: usize = 1000;

/// Places of one link shown in its `source` cell; the rest are counted.
pub const PLACES: usize = 10;

pub struct Markdown {
    fail_rule: FailRule,
    tally: Tally,
    listed: Vec<Outcome>,
    more: u64,
    /// Later places of problem rows, by key: up to [`PLACES`], and how
    /// many more.
    later: HashMap<String, (Vec<Source>, u64)>,
}

impl Markdown {
    pub fn new(fail_rule: FailRule) -> Markdown {
        Markdown {
            fail_rule,
            tally: Tally::default(),
            listed: Vec::new(),
            more: 0,
            later: HashMap::new(),
        }
    }

    /// More places of the problem row with `key`; `uncounted` more that the
    /// run did not keep.
    pub fn again(&mut self, key: &str, places: &[Source], uncounted: u64) {
        let (kept, more) = self.later.entry(key.to_string()).or_default();
        let room = PLACES.saturating_sub(1 + kept.len()).min(places.len());
        kept.extend_from_slice(&places[..room]);
        *more += (places.len() - room) as u64 + uncounted;
    }

    pub fn add(&mut self, outcome: &Outcome) {
        self.tally.add_row(outcome);
        if !outcome.verdict.is_problem() {
            return;
        }
        if self.listed.len() < LISTED {
            self.listed.push(outcome.clone());
        } else {
            self.more += 1;
        }
    }

    pub fn finish(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(self.render().as_bytes())
    }

    fn render(&self) -> String {
        let total = self.tally.total();
        let failing = self.tally.failing(self.fail_rule);
        let known = self.tally.known();
        let mut text = String::new();
        let headline = if failing == 0 {
            format!("## headcheck: all {total} links fine")
        } else if known > 0 {
            // With --baseline: what fails the run is what is new.
            format!(
                "## headcheck: {} new of {failing} failing links ({known} known from the \
                 baseline), {total} links in all",
                failing - known
            )
        } else {
            format!("## headcheck: {failing} of {total} links failed")
        };
        let _ = writeln!(text, "{headline}\n");
        let _ = writeln!(text, "| result | URLs |\n| --- | ---: |");
        for (verdict, count) in self.tally.counts() {
            let _ = writeln!(text, "| {verdict} | {count} |");
        }
        if !self.listed.is_empty() {
            let _ = writeln!(text, "\n### Links that are not ok\n");
            let _ = writeln!(
                text,
                "| result | status | URL | source | error |\n| --- | ---: | --- | --- | --- |"
            );
            // The failures that fail the run first (with --baseline or
            // --fail-after, some do not), each group in report order.
            let first = |row: &&Outcome| !self.fail_rule.fails_the_run(row.verdict, row.novelty);
            let mut rows: Vec<&Outcome> = self.listed.iter().collect();
            rows.sort_by_key(first);
            for row in rows {
                let mark = match row.novelty {
                    Some(Novelty::New) => " (new)",
                    Some(Novelty::Known) => " (known)",
                    Some(Novelty::Pending) => " (not counted yet)",
                    None => "",
                };
                let _ = writeln!(
                    text,
                    "| {}{mark} | {} | {} | {} | {} |",
                    row.verdict,
                    row.status.map_or(String::new(), |s| s.to_string()),
                    cell(&row.url),
                    cell(&self.places(row)),
                    cell(row.error.as_deref().unwrap_or_default()),
                );
            }
            if self.more > 0 {
                let _ = writeln!(text, "\n… and {} more.", self.more);
            }
        }
        text
    }
}

impl Markdown {
    /// A row's places: `docs/a.md:3, docs/b.md:9 and 4 more`.
    fn places(&self, row: &Outcome) -> String {
        let mut text = row.source.as_str().to_string();
        if let Some((later, more)) = self.later.get(&row.key) {
            for place in later {
                text.push_str(", ");
                text.push_str(place.as_str());
            }
            if *more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
        }
        text
    }
}

/// Text made safe for a table cell: no line breaks, no column breaks, no
/// markup or HTML from outside.
pub fn cell(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => safe.push(' '),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' => {
                safe.push('\\');
                safe.push(c);
            }
            c if c.is_control() => {}
            c => safe.push(c),
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Verdict;

    fn row(url: &str, verdict: Verdict, status: Option<u16>, error: &str) -> Outcome {
        let mut outcome = Outcome::unchecked(
            0,
            url.into(),
            "docs/a.md:3".into(),
            verdict,
            error.into(),
            0,
        );
        outcome.status = status;
        outcome
    }

    #[test]
    fn counts_then_the_links_that_failed() {
        let mut md = Markdown::new(FailRule::default());
        md.add(&row("http://a.test/", Verdict::Ok, Some(200), ""));
        md.add(&row("http://b.test/x|y", Verdict::Broken, Some(404), ""));
        md.add(&row(
            "http://c.test/",
            Verdict::Error,
            None,
            "timeout after 20s",
        ));
        let text = md.render();
        assert!(
            text.starts_with("## headcheck: 2 of 3 links failed\n"),
            "{text}"
        );
        assert!(text.contains("| ok | 1 |"));
        assert!(
            text.contains("| broken | 404 | http://b.test/x\\|y | docs/a.md:3 |"),
            "{text}"
        );
        assert!(text.contains("| error |  | http://c.test/ | docs/a.md:3 | timeout after 20s |"));
        assert!(!text.contains("http://a.test/"), "ok rows are not listed");
    }

    #[test]
    fn with_a_baseline_new_failures_come_first_and_are_marked() {
        let mut md = Markdown::new(FailRule::default());
        let mut known = row("http://old.test/", Verdict::Broken, Some(404), "");
        known.novelty = Some(Novelty::Known);
        let mut new = row("http://new.test/", Verdict::Error, None, "dns");
        new.novelty = Some(Novelty::New);
        md.add(&known);
        md.add(&new);
        let text = md.render();
        assert!(
            text.starts_with(
                "## headcheck: 1 new of 2 failing links (1 known from the baseline), 2 links in all"
            ),
            "{text}"
        );
        let new_at = text.find("| error (new) |").unwrap();
        let known_at = text.find("| broken (known) |").unwrap();
        assert!(new_at < known_at, "{text}");
    }

    #[test]
    fn a_failing_links_places_are_listed_up_to_ten() {
        let mut md = Markdown::new(FailRule::default());
        let dead = row("http://dead.test/", Verdict::Broken, Some(404), "");
        md.add(&dead);
        let places: Vec<Source> = (4..16)
            .map(|line| Source::at("docs/b.md", line, None))
            .collect();
        md.again(&dead.key, &places[..3], 0);
        md.again(&dead.key, &places[3..], 2);
        let text = md.render();
        assert!(
            text.contains(
                "| docs/a.md:3, docs/b.md:4, docs/b.md:5, docs/b.md:6, docs/b.md:7, docs/b.md:8, \
                 docs/b.md:9, docs/b.md:10, docs/b.md:11, docs/b.md:12 and 5 more |"
            ),
            "{text}"
        );
    }

    #[test]
    fn all_fine_has_no_table_of_failures() {
        let mut md = Markdown::new(FailRule::default());
        md.add(&row("http://a.test/", Verdict::Ok, Some(200), ""));
        let text = md.render();
        assert!(text.starts_with("## headcheck: all 1 links fine"));
        assert!(!text.contains("not ok"));
    }

    #[test]
    fn blocked_links_fail_the_headline_only_when_strict() {
        let blocked = row("http://a.test/", Verdict::Blocked, Some(999), "bot wall");
        let mut lenient = Markdown::new(FailRule::default());
        lenient.add(&blocked);
        assert!(
            lenient
                .render()
                .starts_with("## headcheck: all 1 links fine")
        );
        let mut strict = Markdown::new(FailRule { strict: true });
        strict.add(&blocked);
        assert!(
            strict
                .render()
                .starts_with("## headcheck: 1 of 1 links failed"),
            "{}",
            strict.render()
        );
    }
}
