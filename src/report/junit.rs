//! `--format junit`: JUnit XML, one test case per URL, for the CI systems
//! that show test results (GitLab, Jenkins, Azure). The suite's counts come
//! first in the document, so the test cases are kept until the end.

use std::io::{self, Write};

use crate::types::{FailRule, Outcome, Verdict};

pub struct Junit {
    fail_rule: FailRule,
    cases: String,
    tests: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
    seconds: f64,
}

impl Junit {
    pub fn new(fail_rule: FailRule) -> Junit {
        Junit {
            fail_rule,
            cases: String::new(),
            tests: 0,
            failures: 0,
            errors: 0,
            skipped: 0,
            seconds: 0.0,
        }
    }

    pub fn add(&mut self, outcome: &Outcome) {
        self.tests += 1;
        let seconds = outcome.elapsed_ms.unwrap_or(0) as f64 / 1000.0;
        self.seconds += seconds;
        let detail = outcome.detail();
        // Errors are JUnit errors; any other result that fails the run
        // (blocked too, with --strict) is a failure; the rest pass or are
        // skipped.
        let fails = self.fail_rule.fails(outcome.verdict);
        let body = match outcome.verdict {
            Verdict::Ok => String::new(),
            Verdict::Error => {
                self.errors += 1;
                format!("<error type=\"error\" message=\"{}\"/>", escape(&detail))
            }
            _ if fails => {
                self.failures += 1;
                format!(
                    "<failure type=\"{}\" message=\"{}\"/>",
                    outcome.verdict,
                    escape(&detail)
                )
            }
            _ => {
                self.skipped += 1;
                format!(
                    "<skipped message=\"{}: {}\"/>",
                    outcome.verdict,
                    escape(&detail)
                )
            }
        };
        self.cases.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{seconds:.3}\">{body}</testcase>\n",
            escape(outcome.source.as_str()),
            escape(&outcome.url),
        ));
    }

    pub fn finish(&self, out: &mut dyn Write) -> io::Result<()> {
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{s}\" time=\"{time:.3}\">\n  \
             <testsuite name=\"headcheck\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{s}\" time=\"{time:.3}\">\n\
             {cases}  </testsuite>\n</testsuites>\n",
            t = self.tests,
            f = self.failures,
            e = self.errors,
            s = self.skipped,
            time = self.seconds,
            cases = self.cases,
        )
    }
}

/// Text for an XML attribute: markup escaped, and characters XML 1.0 cannot
/// hold at all (most control characters) replaced.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\t' => escaped.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                escaped.push('\u{FFFD}')
            }
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_links_are_failures_only_when_strict() {
        let mut blocked = Outcome::unchecked(
            0,
            "http://a.test/".into(),
            "argv".into(),
            Verdict::Blocked,
            "bot wall".into(),
            0,
        );
        blocked.status = Some(999);
        let xml = |rule| {
            let mut junit = Junit::new(rule);
            junit.add(&blocked);
            let mut out = Vec::new();
            junit.finish(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let lenient = xml(FailRule::default());
        assert!(
            lenient.contains("failures=\"0\" errors=\"0\" skipped=\"1\""),
            "{lenient}"
        );
        let strict = xml(FailRule { strict: true });
        assert!(
            strict.contains("failures=\"1\" errors=\"0\" skipped=\"0\""),
            "{strict}"
        );
        assert!(strict.contains("<failure type=\"blocked\""), "{strict}");
    }

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}"
        );
    }
}
