//! Reading reports back, row by row: CSV (for `--resume` and `headcheck
//! merge`) and JSON Lines (for `merge`), through the same row mapping that
//! wrote them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use super::columns;
use super::{csv as csv_cells, json};
use crate::types::{Error, Outcome};

/// A report file being read row by row.
pub struct ReportFile {
    /// All columns, in the report's order: the fixed ones (those the report
    /// has), captured headers, and any a later version added.
    pub columns: Vec<String>,
    /// Where each column is (`None` for an empty JSON Lines report).
    layout: Option<columns::Layout>,
    /// The file's name, for messages.
    path: String,
    rows: Rows,
    /// Rows read so far, for messages.
    read: u64,
}

enum Rows {
    Csv(csv::StringRecordsIntoIter<Box<dyn Read>>),
    Jsonl {
        lines: io::Lines<Box<dyn BufRead>>,
        first: Option<Value>,
    },
}

impl ReportFile {
    /// Opens a CSV or JSON Lines report, by its extension (`.jsonl`,
    /// `.ndjson`), else CSV, and checks that it has a headcheck report's
    /// columns.
    pub fn open(path: &Path) -> Result<ReportFile, Error> {
        ReportFile::readable_kind(path)?;
        let file = File::open(path).map_err(|error| Error::Open {
            path: path.display().to_string(),
            error,
        })?;
        if matches!(extension(path).as_deref(), Some("jsonl" | "ndjson")) {
            ReportFile::jsonl(path, Box::new(BufReader::new(file)))
        } else {
            ReportFile::csv(path, Box::new(BufReader::new(file)))
        }
    }

    /// Refuses, by its extension, a report written for people or other
    /// tools (a workbook, a JSON array, Markdown, JUnit), saying which ones
    /// are read back, instead of a CSV parser's complaint.
    pub fn readable_kind(path: &Path) -> Result<(), Error> {
        let written_for_others = match extension(path).as_deref() {
            Some("xlsx" | "xls" | "ods") => Some("a workbook"),
            Some("json") => Some("a JSON report"),
            Some("md" | "markdown") => Some("a Markdown summary"),
            Some("xml") => Some("a JUnit report"),
            _ => None,
        };
        match written_for_others {
            Some(kind) => Err(not_a_report(
                path,
                format!(
                    "{kind} cannot be read back: give the CSV or JSON Lines report \
                     (-o report.csv or -o report.jsonl)"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Reads a CSV report from `reader`; `path` names it in messages.
    pub fn csv(path: &Path, reader: Box<dyn Read>) -> Result<ReportFile, Error> {
        let mut reader = csv::Reader::from_reader(reader);
        let columns = csv_cells::column_names(
            reader
                .headers()
                .map_err(|e| not_a_report(path, e.to_string()))?,
        );
        ReportFile::checked(path, columns, Rows::Csv(reader.into_records()))
    }

    /// Reads a JSON Lines report from `reader`; `path` names it in
    /// messages.
    pub fn jsonl(path: &Path, reader: Box<dyn BufRead>) -> Result<ReportFile, Error> {
        let mut lines = reader.lines();
        let first = match lines.next() {
            Some(line) => {
                let line = line.map_err(|error| Error::Read {
                    path: path.display().to_string(),
                    error,
                })?;
                Some(
                    serde_json::from_str::<Value>(&line)
                        .map_err(|e| not_a_report(path, format!("line 1: {e}")))?,
                )
            }
            None => None,
        };
        let columns = match &first {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            Some(_) => return Err(not_a_report(path, "line 1 is not a JSON object".into())),
            // An empty shard report: no rows, columns unknown.
            None => Vec::new(),
        };
        ReportFile::checked(path, columns, Rows::Jsonl { lines, first })
    }

    fn checked(path: &Path, columns: Vec<String>, rows: Rows) -> Result<ReportFile, Error> {
        let layout = columns::Layout::of(&columns);
        if !columns.is_empty() && layout.is_none() {
            return Err(not_a_report(
                path,
                "a headcheck report has the columns url and result, at least".into(),
            ));
        }
        Ok(ReportFile {
            columns,
            layout,
            path: path.display().to_string(),
            rows,
            read: 0,
        })
    }

    /// The report's columns that are not fixed ones: captured headers, and
    /// columns of a later version.
    pub fn other_columns(&self) -> Vec<String> {
        self.layout
            .as_ref()
            .map_or_else(Vec::new, columns::Layout::others)
    }

    /// The fixed columns this report has not (it was written before they
    /// were added): its rows leave them empty.
    pub fn absent_columns(&self) -> Vec<&'static str> {
        self.layout
            .as_ref()
            .map_or_else(Vec::new, columns::Layout::absent)
    }

    /// The next row, with the headers named in `capture` (which may differ
    /// from the report's), or why it cannot be read.
    pub fn next_row(&mut self, capture: &[String]) -> Option<Result<Outcome, Error>> {
        let path = self.path.clone();
        self.next_text(capture).map(|row| {
            row.map_err(|reason| Error::NotAReport {
                path: path.clone(),
                reason,
            })
        })
    }

    fn next_text(&mut self, capture: &[String]) -> Option<Result<Outcome, String>> {
        self.read += 1;
        let row = self.read;
        match &mut self.rows {
            Rows::Csv(records) => {
                let record = match records.next()? {
                    Ok(record) => record,
                    Err(e) => return Some(Err(format!("row {row}: {e}"))),
                };
                let layout = self.layout.as_ref()?;
                let cell = |i: usize| {
                    csv_cells::read_cell(layout.is_numeric(i), record.get(i).unwrap_or_default())
                };
                Some(
                    columns::from_cells(layout, capture, cell)
                        .ok_or_else(|| format!("row {row}: no result")),
                )
            }
            Rows::Jsonl { lines, first } => {
                let value = match first.take() {
                    Some(value) => value,
                    None => loop {
                        let line = match lines.next()? {
                            Ok(line) => line,
                            Err(e) => return Some(Err(format!("line {row}: {e}"))),
                        };
                        if line.trim().is_empty() {
                            continue;
                        }
                        match serde_json::from_str(&line) {
                            Ok(value) => break value,
                            Err(e) => return Some(Err(format!("line {row}: {e}"))),
                        }
                    },
                };
                let object = value.as_object();
                let cell = |i: usize| {
                    let name = self.columns.get(i);
                    json::read_cell(name.and_then(|n| object?.get(n)))
                };
                let outcome = match (object, &self.layout) {
                    (Some(_), Some(layout)) => columns::from_cells(layout, capture, cell),
                    _ => None,
                };
                Some(outcome.ok_or_else(|| format!("line {row}: not a report row")))
            }
        }
    }
}

/// A file's extension in lower case.
fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn not_a_report(path: &Path, reason: String) -> Error {
    Error::NotAReport {
        path: path.display().to_string(),
        reason,
    }
}
