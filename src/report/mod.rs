//! Report writers: CSV, JSON, JSON Lines, Markdown and JUnit XML, to stdout
//! or files.
//!
//! Writers receive finished [`Outcome`]s in the order they are due and know
//! nothing of how they were produced.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::outcome::Outcome;

mod junit;
mod markdown;
pub mod read;
mod xlsx;

use junit::Junit;
use markdown::Markdown;
use xlsx::Xlsx;

/// The fixed columns, in report order; captured headers follow.
pub const COLUMNS: [&str; 10] = [
    "url",
    "result",
    "status",
    "final_url",
    "redirects",
    "method",
    "elapsed_ms",
    "attempts",
    "error",
    "source",
];

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
    /// A summary table for a pull-request comment or a CI job summary.
    Markdown,
    /// JUnit XML, one test case per URL.
    Junit,
    /// An Excel workbook (to a file only).
    Xlsx,
}

impl Format {
    /// The format a file name implies, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "md" | "markdown" => Some(Format::Markdown),
            "xml" => Some(Format::Junit),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Where one report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

/// One report being written.
pub struct Report {
    sink: Sink,
    columns: Vec<String>,
}

enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Json {
        out: Box<dyn Write + Send>,
        rows: u64,
    },
    Jsonl(Box<dyn Write + Send>),
    /// Written at the end: the summary comes first.
    Markdown(Box<dyn Write + Send>, Markdown),
    /// Written at the end: the suite's counts come first.
    Junit(Box<dyn Write + Send>, Box<Junit>),
    /// Rows go to a temporary file as they come; the workbook is put
    /// together at the end.
    Xlsx(Box<Xlsx>),
}

impl Report {
    /// Opens (creates or truncates) the destination and writes the header;
    /// `bom` starts a CSV report with a UTF-8 byte-order mark (`--bom`).
    pub fn create(
        destination: &Destination,
        format: Format,
        captured: &[String],
        bom: bool,
    ) -> io::Result<Report> {
        if format == Format::Xlsx {
            let Destination::File(path) = destination else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "an xlsx workbook goes to a file: -o report.xlsx",
                ));
            };
            return Ok(Report {
                sink: Sink::Xlsx(Box::new(Xlsx::create(path.clone(), captured)?)),
                columns: Vec::new(),
            });
        }
        let mut out: Box<dyn Write + Send> = match destination {
            Destination::Stdout => Box::new(BufWriter::with_capacity(64 * 1024, io::stdout())),
            Destination::File(path) => Box::new(BufWriter::with_capacity(
                64 * 1024,
                File::create(path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
            )),
        };
        let columns: Vec<String> = COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(captured.iter().cloned())
            .collect();
        let sink = match format {
            Format::Csv => {
                if bom {
                    out.write_all("\u{feff}".as_bytes())?;
                }
                let mut writer = csv::WriterBuilder::new().from_writer(out);
                writer.write_record(&columns).map_err(csv_io)?;
                Sink::Csv(Box::new(writer))
            }
            Format::Json => Sink::Json { out, rows: 0 },
            Format::Jsonl => Sink::Jsonl(out),
            Format::Markdown => Sink::Markdown(out, Markdown::default()),
            Format::Junit => Sink::Junit(out, Box::default()),
            Format::Xlsx => unreachable!("handled above"),
        };
        let mut report = Report { sink, columns };
        report.flush()?;
        Ok(report)
    }

    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(writer) => writer
                .write_record(csv_record(outcome).iter().map(|cell| cell.as_bytes()))
                .map_err(csv_io),
            Sink::Json { out, rows } => {
                out.write_all(if *rows == 0 { b"[\n" } else { b",\n" })?;
                *rows += 1;
                serde_json::to_writer(&mut *out, &json_row(&self.columns, outcome))?;
                Ok(())
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &json_row(&self.columns, outcome))?;
                out.write_all(b"\n")
            }
            Sink::Markdown(_, markdown) => {
                markdown.add(outcome);
                Ok(())
            }
            Sink::Junit(_, junit) => {
                junit.add(outcome);
                Ok(())
            }
            Sink::Xlsx(xlsx) => xlsx.add(outcome),
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(writer) => writer.flush(),
            Sink::Json { out, .. }
            | Sink::Jsonl(out)
            | Sink::Markdown(out, _)
            | Sink::Junit(out, _) => out.flush(),
            // Each finished row is in the temporary file already; the
            // workbook exists only once finished.
            Sink::Xlsx(_) => Ok(()),
        }
    }

    /// Completes the document: the closing bracket of a JSON array, or the
    /// whole of a Markdown or JUnit report.
    pub fn finish(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Json { out, rows } => {
                out.write_all(if *rows == 0 { b"[]\n" } else { b"\n]\n" })?
            }
            Sink::Markdown(out, markdown) => markdown.finish(out)?,
            Sink::Junit(out, junit) => junit.finish(out)?,
            Sink::Xlsx(xlsx) => xlsx.finish()?,
            Sink::Csv(_) | Sink::Jsonl(_) => {}
        }
        self.flush()
    }
}

fn csv_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn number<T: ToString>(value: Option<T>) -> Cow<'static, str> {
    value.map_or(Cow::Borrowed(""), |v| Cow::Owned(v.to_string()))
}

fn csv_record(outcome: &Outcome) -> Vec<Cow<'_, str>> {
    fn text(value: Option<&str>) -> Cow<'_, str> {
        value.map_or(Cow::Borrowed(""), spreadsheet_safe)
    }
    let mut record = vec![
        spreadsheet_safe(&outcome.url),
        Cow::Borrowed(outcome.verdict.as_str()),
        number(outcome.status),
        text(outcome.final_url.as_deref()),
        Cow::Owned(outcome.redirects.to_string()),
        Cow::Borrowed(outcome.method.map_or("", |m| m.as_str())),
        number(outcome.elapsed_ms),
        Cow::Owned(outcome.attempts.to_string()),
        text(outcome.error.as_deref()),
        spreadsheet_safe(&outcome.source),
    ];
    record.extend(outcome.headers.iter().map(|h| text(h.as_deref())));
    record
}

fn json_row(columns: &[String], outcome: &Outcome) -> Value {
    let text = |value: Option<&str>| value.map_or(Value::Null, |v| Value::String(v.to_string()));
    let mut values = vec![
        Value::String(outcome.url.clone()),
        Value::String(outcome.verdict.as_str().to_string()),
        outcome.status.map_or(Value::Null, Value::from),
        text(outcome.final_url.as_deref()),
        Value::from(outcome.redirects),
        text(outcome.method.map(|m| m.as_str())),
        outcome.elapsed_ms.map_or(Value::Null, Value::from),
        Value::from(outcome.attempts),
        text(outcome.error.as_deref()),
        Value::String(outcome.source.clone()),
    ];
    values.extend(outcome.headers.iter().map(|h| text(h.as_deref())));
    let map: Map<String, Value> = columns.iter().cloned().zip(values).collect();
    Value::Object(map)
}

/// Keeps a spreadsheet from reading a cell as a formula (OWASP's advice on
/// CSV injection): a text cell that begins with `=`, `+`, `-`, `@`, TAB, CR,
/// LF or their full-width forms gets a leading `'`.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    const TRIGGERS: [char; 11] = [
        '=', '+', '-', '@', '\t', '\r', '\n', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ];
    match text.chars().next() {
        Some(first) if TRIGGERS.contains(&first) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised() {
        for risky in [
            "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx", "＝1", "＠x",
        ] {
            assert_eq!(spreadsheet_safe(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["http://a.test/", "text", "", "1-2"] {
            assert_eq!(spreadsheet_safe(safe), safe);
        }
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_path(Path::new("r.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("r.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("r.jsonl")), Some(Format::Jsonl));
        assert_eq!(
            Format::from_path(Path::new("summary.md")),
            Some(Format::Markdown)
        );
        assert_eq!(
            Format::from_path(Path::new("junit.xml")),
            Some(Format::Junit)
        );
        assert_eq!(Format::from_path(Path::new("report")), None);
    }
}
