//! `--resume REPORT.csv`: the rows of an earlier, possibly interrupted, run.
//!
//! Their URLs are not checked again: when the input reaches one of them, its
//! old row takes its place in the new report, so that the new report is as
//! complete, and in the same order, as one uninterrupted run.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use crate::input::{Filter, classify_entry, entry_key};
use crate::outcome::Outcome;
use crate::report::COLUMNS;
use crate::report::read::csv_row;

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("{path}: {error}")]
    Read { path: String, error: io::Error },
    #[error("{path}: not a headcheck CSV report: {reason}")]
    Format { path: String, reason: String },
}

/// Earlier rows by the key under which the input recognises their URL.
#[derive(Debug, Default)]
pub struct Resumed {
    rows: HashMap<String, Outcome>,
}

impl Resumed {
    /// Reads an earlier CSV report. A missing file is an empty report (the
    /// first run of a `--resume r.csv -o r.csv` loop). A last line cut off
    /// by a crash is ignored, so its URL is checked again.
    pub fn load(path: &Path, capture: &[String]) -> Result<Resumed, ResumeError> {
        let name = || path.display().to_string();
        let mut bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Resumed::default()),
            Err(error) => {
                return Err(ResumeError::Read {
                    path: name(),
                    error,
                });
            }
        };
        if let Some(end) = bytes.iter().rposition(|&b| b == b'\n') {
            bytes.truncate(end + 1);
        } else {
            bytes.clear();
        }
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let headers: Vec<String> = match reader.headers() {
            Ok(headers) => crate::report::read::column_names(headers),
            Err(e) => {
                return Err(ResumeError::Format {
                    path: name(),
                    reason: e.to_string(),
                });
            }
        };
        if headers.is_empty() {
            return Ok(Resumed::default());
        }
        if headers.len() < COLUMNS.len() || headers[..COLUMNS.len()] != COLUMNS {
            return Err(ResumeError::Format {
                path: name(),
                reason: format!("expected the columns {}", COLUMNS.join(",")),
            });
        }
        let captured: Vec<Option<usize>> = capture
            .iter()
            .map(|name| headers.iter().position(|h| h == name))
            .collect();
        let mut rows = HashMap::new();
        for record in reader.records() {
            // A damaged row ends what can be trusted; the rest is checked
            // again.
            let Ok(record) = record else { break };
            let Some(outcome) = csv_row(&record, &captured) else {
                break;
            };
            let key = entry_key(
                &classify_entry(&outcome.url, &Filter::default()),
                &outcome.url,
            )
            .to_string();
            rows.entry(key).or_insert(outcome);
        }
        Ok(Resumed { rows })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The earlier row for `key`, taken out (each is used once).
    pub fn take(&mut self, key: &str) -> Option<Outcome> {
        self.rows.remove(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Method, Verdict};
    use std::io::Write;

    #[test]
    fn rows_are_read_back_including_neutralised_text() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        write!(
            file,
            "url,result,status,final_url,redirects,method,elapsed_ms,attempts,error,source,content-type\n\
             http://a.test/,ok,200,http://a.test/,0,HEAD,5,1,,argv,'=evil\n\
             HTTP://B.test,broken,404,http://b.test/,1,GET,7,1,,list.txt:2,\n\
             http://c.test/,ok,200,http://c.test/,0,HE"
        )
        .unwrap();
        let capture = ["content-type".to_string()];
        let mut resumed = Resumed::load(file.path(), &capture).unwrap();
        assert_eq!(resumed.len(), 2, "the cut-off last line is dropped");
        let a = resumed.take("http://a.test/").unwrap();
        assert_eq!(a.verdict, Verdict::Ok);
        assert_eq!(a.status, Some(200));
        assert_eq!(a.headers, [Some("=evil".to_string())]);
        let b = resumed.take("http://b.test/").unwrap();
        assert_eq!(b.url, "HTTP://B.test");
        assert_eq!(b.method, Some(Method::Get));
        assert_eq!(b.source, "list.txt:2");
        assert!(resumed.take("http://c.test/").is_none());
    }

    #[test]
    fn missing_file_is_an_empty_report_and_other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Resumed::load(&dir.path().join("none.csv"), &[])
                .unwrap()
                .is_empty()
        );
        let other = dir.path().join("other.csv");
        std::fs::write(&other, "name,age\nx,1\n").unwrap();
        assert!(matches!(
            Resumed::load(&other, &[]),
            Err(ResumeError::Format { .. })
        ));
    }
}
