//! Reading reports back: CSV (for `--resume` and `headcheck merge`) and
//! JSON Lines (for `headcheck merge`).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use super::COLUMNS;
use crate::outcome::{Method, Outcome, Verdict};

/// A CSV header row's names, without a UTF-8 byte-order mark (`--bom`).
pub fn column_names(headers: &csv::StringRecord) -> Vec<String> {
    headers
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = if i == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                name
            };
            name.to_string()
        })
        .collect()
}

/// One CSV row as an [`Outcome`]; `captured` gives, for each captured
/// header, its column. `None` when the row is not a report row.
pub(crate) fn csv_row(record: &csv::StringRecord, captured: &[Option<usize>]) -> Option<Outcome> {
    let cell = |i: usize| record.get(i).unwrap_or_default();
    let text = |i: usize| {
        let value = undo_spreadsheet_safe(cell(i));
        (!value.is_empty()).then(|| value.to_string())
    };
    let verdict = Verdict::ALL.into_iter().find(|v| v.as_str() == cell(1))?;
    Some(Outcome {
        index: 0,
        url: undo_spreadsheet_safe(cell(0)).to_string(),
        verdict,
        status: cell(2).parse().ok(),
        final_url: text(3),
        redirects: cell(4).parse().unwrap_or(0),
        method: method(cell(5)),
        elapsed_ms: cell(6).parse().ok(),
        attempts: cell(7).parse().unwrap_or(0),
        error: text(8),
        source: undo_spreadsheet_safe(cell(9)).to_string(),
        headers: captured.iter().map(|i| i.and_then(text)).collect(),
    })
}

fn method(text: &str) -> Option<Method> {
    match text {
        "HEAD" => Some(Method::Head),
        "GET" => Some(Method::Get),
        _ => None,
    }
}

/// Removes the `'` that [`super::spreadsheet_safe`] put in front of
/// formula-like text.
fn undo_spreadsheet_safe(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if super::spreadsheet_safe(rest).len() != rest.len() => rest,
        _ => text,
    }
}

/// A report file being read row by row.
pub struct ReportFile {
    /// All columns: the fixed ones, then captured headers.
    pub columns: Vec<String>,
    rows: Rows,
    /// Rows read so far, for messages.
    read: u64,
}

enum Rows {
    Csv(csv::StringRecordsIntoIter<BufReader<File>>),
    Jsonl {
        lines: io::Lines<BufReader<File>>,
        first: Option<Value>,
    },
}

impl ReportFile {
    /// Opens a CSV or JSON Lines report, by its extension (`.jsonl`,
    /// `.ndjson`), else CSV, and checks that it has a headcheck report's
    /// columns.
    pub fn open(path: &Path) -> Result<ReportFile, String> {
        let name = path.display();
        let file = File::open(path).map_err(|e| format!("{name}: {e}"))?;
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let (columns, rows) = if matches!(extension.as_deref(), Some("jsonl" | "ndjson")) {
            let mut lines = BufReader::new(file).lines();
            let first = match lines.next() {
                Some(line) => {
                    let line = line.map_err(|e| format!("{name}: {e}"))?;
                    Some(
                        serde_json::from_str::<Value>(&line)
                            .map_err(|e| format!("{name}: line 1: {e}"))?,
                    )
                }
                None => None,
            };
            let columns = match &first {
                Some(Value::Object(map)) => map.keys().cloned().collect(),
                Some(_) => return Err(format!("{name}: line 1 is not a JSON object")),
                // An empty shard report: no rows, columns unknown.
                None => Vec::new(),
            };
            (columns, Rows::Jsonl { lines, first })
        } else {
            let mut reader = csv::Reader::from_reader(BufReader::new(file));
            let columns = column_names(reader.headers().map_err(|e| format!("{name}: {e}"))?);
            (columns, Rows::Csv(reader.into_records()))
        };
        if !columns.is_empty()
            && (columns.len() < COLUMNS.len() || columns[..COLUMNS.len()] != COLUMNS)
        {
            return Err(format!(
                "{name}: not a headcheck report (expected the columns {})",
                COLUMNS.join(",")
            ));
        }
        Ok(ReportFile {
            columns,
            rows,
            read: 0,
        })
    }

    /// The next row, or why it cannot be read.
    pub fn next_row(&mut self) -> Option<Result<Outcome, String>> {
        let captured: Vec<Option<usize>> = (COLUMNS.len()..self.columns.len()).map(Some).collect();
        self.read += 1;
        let row = self.read;
        match &mut self.rows {
            Rows::Csv(records) => {
                let record = match records.next()? {
                    Ok(record) => record,
                    Err(e) => return Some(Err(format!("row {row}: {e}"))),
                };
                Some(csv_row(&record, &captured).ok_or_else(|| format!("row {row}: no result")))
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
                Some(
                    json_row(&value, &self.columns)
                        .ok_or_else(|| format!("line {row}: not a report row")),
                )
            }
        }
    }
}

fn json_row(value: &Value, columns: &[String]) -> Option<Outcome> {
    let object = value.as_object()?;
    let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_string);
    let whole = |name: &str| object.get(name).and_then(Value::as_u64);
    let verdict = Verdict::ALL
        .into_iter()
        .find(|v| Some(v.as_str()) == object.get("result").and_then(Value::as_str))?;
    Some(Outcome {
        index: 0,
        url: text("url")?,
        verdict,
        status: whole("status").and_then(|s| u16::try_from(s).ok()),
        final_url: text("final_url"),
        redirects: whole("redirects")
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(0),
        method: object
            .get("method")
            .and_then(Value::as_str)
            .and_then(method),
        elapsed_ms: whole("elapsed_ms"),
        attempts: whole("attempts")
            .and_then(|a| u32::try_from(a).ok())
            .unwrap_or(0),
        error: text("error"),
        source: text("source").unwrap_or_default(),
        headers: columns[COLUMNS.len()..]
            .iter()
            .map(|name| text(name))
            .collect(),
    })
}
