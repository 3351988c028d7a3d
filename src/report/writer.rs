//! One report being written: where it goes, in which format, and the
//! format's writer behind one interface.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::columns;
use super::csv::CsvReport;
use super::json::{JsonLinesReport, JsonReport};
use super::junit::Junit;
use super::markdown::Markdown;
use super::sarif::{LeftOut, Sarif};
use super::xlsx::Xlsx;
use crate::types::{FailRule, Outcome, Source};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
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
            "sarif" => Some(Format::Sarif),
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

/// What every report of a run shares besides its rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// `--bom`: CSV reports start with a UTF-8 byte-order mark.
    pub bom: bool,
    /// Which rows fail the run, for the reports that say so.
    pub fail_rule: FailRule,
    /// Whether the run compares with a `--baseline` (SARIF says each
    /// result's state).
    pub baseline: bool,
}

/// One report being written.
pub struct Report {
    sink: Sink,
}

enum Sink {
    Csv(Box<CsvReport>),
    Json(JsonReport),
    Jsonl(JsonLinesReport),
    /// Written at the end: the summary comes first.
    Markdown(Box<dyn Write + Send>, Markdown),
    /// Written at the end: the suite's counts come first.
    Junit(Box<dyn Write + Send>, Box<Junit>),
    /// Rows go to a temporary file as they come; the workbook is put
    /// together at the end.
    Xlsx(Box<Xlsx>),
    /// Written at the end, when every place of a failing link is known.
    Sarif(Box<dyn Write + Send>, Box<Sarif>),
}

impl Report {
    /// Opens (creates or truncates) the destination and writes the header.
    pub fn create(
        destination: &Destination,
        format: Format,
        captured: &[String],
        options: ReportOptions,
    ) -> io::Result<Report> {
        let names = columns::names(captured);
        let sink = match format {
            Format::Csv => Sink::Csv(Box::new(CsvReport::create(
                open(destination)?,
                &names,
                options.bom,
            )?)),
            Format::Json => Sink::Json(JsonReport::new(open(destination)?, names)),
            Format::Jsonl => Sink::Jsonl(JsonLinesReport::new(open(destination)?, names)),
            Format::Markdown => {
                Sink::Markdown(open(destination)?, Markdown::new(options.fail_rule))
            }
            Format::Junit => {
                Sink::Junit(open(destination)?, Box::new(Junit::new(options.fail_rule)))
            }
            Format::Xlsx => {
                let Destination::File(path) = destination else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "an xlsx workbook goes to a file: -o report.xlsx",
                    ));
                };
                Sink::Xlsx(Box::new(Xlsx::create(path.clone(), captured)?))
            }
            Format::Sarif => Sink::Sarif(
                open(destination)?,
                Box::new(Sarif::new(options.fail_rule, options.baseline)),
            ),
        };
        let mut report = Report { sink };
        report.flush()?;
        Ok(report)
    }

    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(csv) => csv.write(outcome),
            Sink::Json(json) => json.write(outcome),
            Sink::Jsonl(jsonl) => jsonl.write(outcome),
            Sink::Markdown(_, markdown) => {
                markdown.add(outcome);
                Ok(())
            }
            Sink::Junit(_, junit) => {
                junit.add(outcome);
                Ok(())
            }
            Sink::Xlsx(xlsx) => xlsx.add(outcome),
            Sink::Sarif(_, sarif) => {
                sarif.add(outcome);
                Ok(())
            }
        }
    }

    /// More places of the problem row with `key` (the run's
    /// [`Observer::again`](crate::run) hands them on); `uncounted` more
    /// were not kept. SARIF and Markdown list places.
    pub fn again(&mut self, key: &str, places: &[Source], uncounted: u64) {
        match &mut self.sink {
            Sink::Sarif(_, sarif) => sarif.again(key, places, uncounted),
            Sink::Markdown(_, markdown) => markdown.again(key, places, uncounted),
            _ => {}
        }
    }

    /// Whether it lists the later places of a row ([`again`](Self::again)).
    pub fn wants_places(&self) -> bool {
        matches!(self.sink, Sink::Sarif(..) | Sink::Markdown(..))
    }

    /// For a finished SARIF report, the places of failing links it left
    /// out.
    pub fn left_out(&self) -> Option<LeftOut> {
        match &self.sink {
            Sink::Sarif(_, sarif) => Some(sarif.left_out()),
            _ => None,
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(csv) => csv.flush(),
            Sink::Json(json) => json.flush(),
            Sink::Jsonl(jsonl) => jsonl.flush(),
            Sink::Markdown(out, _) | Sink::Junit(out, _) | Sink::Sarif(out, _) => out.flush(),
            // Each finished row is in the temporary file already; the
            // workbook exists only once finished.
            Sink::Xlsx(_) => Ok(()),
        }
    }

    /// Completes the document: the closing bracket of a JSON array, or the
    /// whole of a Markdown or JUnit report.
    pub fn finish(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Json(json) => json.finish()?,
            Sink::Markdown(out, markdown) => markdown.finish(out)?,
            Sink::Junit(out, junit) => junit.finish(out)?,
            Sink::Xlsx(xlsx) => xlsx.finish()?,
            Sink::Sarif(out, sarif) => sarif.finish(out)?,
            Sink::Csv(_) | Sink::Jsonl(_) => {}
        }
        self.flush()
    }
}

/// Completes every report. A closed pipe (`headcheck … | head`) is not an
/// error: the reader has what it wanted.
pub fn finish_all(reports: &mut [Report]) -> io::Result<()> {
    for report in reports {
        match report.finish() {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    }
    Ok(())
}

/// A text report's destination, buffered.
fn open(destination: &Destination) -> io::Result<Box<dyn Write + Send>> {
    Ok(match destination {
        Destination::Stdout => Box::new(BufWriter::with_capacity(64 * 1024, io::stdout())),
        Destination::File(path) => Box::new(BufWriter::with_capacity(
            64 * 1024,
            File::create(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
