//! `--resume REPORT.csv`: the rows of an earlier, possibly interrupted, run.
//!
//! Their URLs are not checked again: when the input reaches one of them, its
//! old row takes its place in the new report, so that the new report is as
//! complete, and in the same order, as one uninterrupted run.

use std::collections::HashMap;
use std::io::{self, Cursor};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::report::ReportFile;
use crate::types::{Error, Outcome};

/// Earlier rows by the key under which the input recognises their URL.
#[derive(Debug, Default)]
pub struct Resumed {
    rows: HashMap<String, Outcome>,
    /// Rows taken so far; shared, since the rows are taken on the input's
    /// thread and counted at the end of the run.
    kept: Arc<AtomicU64>,
    /// Headers this run captures that the report has no column for: the
    /// kept rows have no value for them.
    missing: Vec<String>,
    /// The report's columns that this run does not write (headers it does
    /// not capture, or columns of a later version): left out of kept rows.
    ignored: Vec<String>,
}

impl Resumed {
    /// Reads an earlier CSV report, keeping the headers of `capture`. A
    /// missing file is an empty report (the first run of a
    /// `--resume r.csv -o r.csv` loop). A last line cut off by a crash is
    /// ignored, so its URL is checked again.
    pub fn load(path: &Path, capture: &[String]) -> Result<Resumed, Error> {
        ReportFile::readable_kind(path)?;
        let mut bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Resumed::default()),
            Err(error) => {
                return Err(Error::Open {
                    path: path.display().to_string(),
                    error,
                });
            }
        };
        if let Some(end) = bytes.iter().rposition(|&b| b == b'\n') {
            bytes.truncate(end + 1);
        } else {
            bytes.clear();
        }
        let mut report = ReportFile::csv(path, Box::new(Cursor::new(bytes)))?;
        let missing = capture
            .iter()
            .filter(|name| !report.columns.contains(name))
            .cloned()
            .collect();
        let ignored = report
            .other_columns()
            .into_iter()
            .filter(|name| !capture.contains(name))
            .collect();
        let mut rows = HashMap::new();
        // A damaged row ends what can be trusted; the rest is checked again.
        while let Some(Ok(outcome)) = report.next_row(capture) {
            rows.entry(outcome.key.clone()).or_insert(outcome);
        }
        Ok(Resumed {
            rows,
            kept: Arc::default(),
            missing,
            ignored,
        })
    }

    /// The earlier row for `key`, taken out (each is used once).
    pub fn take(&mut self, key: &str) -> Option<Outcome> {
        let row = self.rows.remove(key)?;
        self.kept.fetch_add(1, Ordering::Relaxed);
        Some(row)
    }

    /// Whether the report had no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The count of rows taken, readable after the run.
    pub fn kept(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.kept)
    }

    /// Headers this run captures that the report had no column for.
    pub fn missing_headers(&self) -> &[String] {
        &self.missing
    }

    /// The report's columns this run does not write.
    pub fn ignored_columns(&self) -> &[String] {
        &self.ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Method, Verdict};
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
        assert_eq!(resumed.rows.len(), 2, "the cut-off last line is dropped");
        let a = resumed.take("http://a.test/").unwrap();
        assert_eq!(a.verdict, Verdict::Ok);
        assert_eq!(a.status, Some(200));
        assert_eq!(a.headers, [Some("=evil".to_string())]);
        let b = resumed.take("http://b.test/").unwrap();
        assert_eq!(b.url, "HTTP://B.test");
        assert_eq!(b.method, Some(Method::Get));
        assert_eq!(b.source.as_str(), "list.txt:2");
        assert!(resumed.take("http://c.test/").is_none());
    }

    #[test]
    fn missing_file_is_an_empty_report_and_other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Resumed::load(&dir.path().join("none.csv"), &[])
                .unwrap()
                .rows
                .is_empty()
        );
        let other = dir.path().join("other.csv");
        std::fs::write(&other, "name,age\nx,1\n").unwrap();
        assert!(matches!(
            Resumed::load(&other, &[]),
            Err(Error::NotAReport { .. })
        ));
    }
}
