//! GitHub Actions annotations: with `GITHUB_ACTIONS=true`, each link that
//! fails the run (by the run's [`FailRule`]: broken, error and invalid, and
//! blocked with `--strict`) whose source is a line of a file becomes an
//! `::error` workflow command, which GitHub shows on that line of the pull
//! request.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use headcheck::types::{FailRule, Outcome};

/// Whether annotations are wanted: on GitHub Actions, unless turned off.
pub fn enabled(turned_off: bool) -> bool {
    !turned_off && std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Prints the annotation for `outcome`, if it gets one, on standard error
/// (standard output may be the report; the runner reads both).
pub fn annotate(outcome: &Outcome, rule: FailRule) {
    if let Some(line) = annotation(outcome, rule) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

fn annotation(outcome: &Outcome, rule: FailRule) -> Option<String> {
    if !rule.fails(outcome.verdict) {
        return None;
    }
    let (file, line) = (outcome.source.name(), outcome.source.line()?);
    if !Path::new(file).is_file() {
        return None;
    }
    let column = outcome
        .source
        .column()
        .map_or(String::new(), |column| format!(",col={column}"));
    Some(format!(
        "::error file={},line={line}{column},title={}::{}",
        property(file),
        property(&format!("{} link", outcome.verdict)),
        data(&format!("{}: {}", outcome.url, outcome.detail())),
    ))
}

/// Escaping for a workflow command's message.
fn data(text: &str) -> Cow<'_, str> {
    if !text.contains(['%', '\r', '\n']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// Escaping for a workflow command's property (file, title).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use headcheck::types::{Source, Verdict};

    #[test]
    fn broken_link_in_a_file_becomes_an_error_annotation() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap();
        let mut outcome = Outcome::unchecked(
            0,
            "http://a.test/x%y".into(),
            Source::at(path, 7, None),
            Verdict::Broken,
            String::new(),
            0,
        );
        outcome.status = Some(404);
        outcome.error = None;
        let rule = FailRule::default();
        assert_eq!(
            annotation(&outcome, rule).unwrap(),
            format!("::error file={path},line=7,title=broken link::http://a.test/x%25y: 404")
        );
        outcome.source = "stdin:7".into();
        assert!(annotation(&outcome, rule).is_none(), "stdin is not a file");
        // A place whose column is known says so.
        outcome.source = Source::at(path, 7, Some(12));
        assert!(
            annotation(&outcome, rule)
                .unwrap()
                .starts_with(&format!("::error file={path},line=7,col=12,title="))
        );
        // What fails the run is annotated: a typo link too; blocked links
        // only with --strict.
        outcome.verdict = Verdict::Invalid;
        assert!(
            annotation(&outcome, rule).is_some(),
            "an invalid link fails the run"
        );
        outcome.verdict = Verdict::Blocked;
        assert!(
            annotation(&outcome, rule).is_none(),
            "blocked does not fail"
        );
        assert!(annotation(&outcome, FailRule { strict: true }).is_some());
    }
}
