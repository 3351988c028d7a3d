//! `headcheck diff OLD NEW`: the URLs that broke, got fixed, or changed
//! status or final URL between two reports, judged by the library's one
//! rule ([`Change::between`], the rule of `--baseline`), in NEW's order.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, bail};
use headcheck::baseline::{Change, baseline_key};
use headcheck::report::{ReportFile, markdown_cell, spreadsheet_safe};
use headcheck::types::Outcome;
use serde_json::json;

use crate::cli::{DiffArgs, DiffFormat};
use crate::exit;
use crate::same_file::same_file;
use crate::summary::terminal_safe;

/// The columns of a diff.
const COLUMNS: [&str; 11] = [
    "change",
    "url",
    "old_result",
    "new_result",
    "old_status",
    "new_status",
    "old_final_url",
    "new_final_url",
    "error_kind",
    "error",
    "source",
];

pub fn run(args: &DiffArgs) -> anyhow::Result<i32> {
    if let Some(output) = &args.output
        && (same_file(output, &args.old) || same_file(output, &args.new))
    {
        bail!(
            "-o {}: that is a report being compared, which writing the result would \
             destroy; nothing was written",
            output.display()
        );
    }
    let rule = args.exit.fail_rule();
    let old = rows_by_url(&args.old)?;
    let mut new = ReportFile::open(&args.new)?;
    let mut out = Output::create(args.output.as_deref(), args.format())?;
    let mut counts = [0u64; 3];
    let mut old = old;
    while let Some(now) = new.next_row(&[]) {
        let now = now?;
        let then = old.remove(&baseline_key(&now.url));
        let Some(change) = Change::between(then.as_ref(), &now, rule) else {
            continue;
        };
        counts[change as usize] += 1;
        out.row(change, then.as_ref(), &now)
            .context("cannot write the diff")?;
    }
    out.finish(counts).context("cannot write the diff")?;
    let [broke, fixed, changed] = counts;
    if !args.quiet {
        eprintln!(
            "{broke} broke, {fixed} fixed, {changed} changed between {} and {}",
            terminal_safe(&args.old.display().to_string()),
            terminal_safe(&args.new.display().to_string())
        );
    }
    Ok(if broke > 0 && !args.exit.no_fail {
        exit::FAILED
    } else {
        exit::OK
    })
}

/// The rows of a report by their URL (the first row of a URL).
fn rows_by_url(path: &Path) -> anyhow::Result<HashMap<String, Outcome>> {
    let mut report = ReportFile::open(path)?;
    let mut rows = HashMap::new();
    while let Some(row) = report.next_row(&[]) {
        let row = row?;
        rows.entry(baseline_key(&row.url)).or_insert(row);
    }
    Ok(rows)
}

/// Where the changes go, in their format.
enum Output {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(Box<dyn Write>),
    /// Written at the end, with the counts first.
    Markdown(Box<dyn Write>, String),
}

impl Output {
    fn create(path: Option<&Path>, format: DiffFormat) -> anyhow::Result<Output> {
        let out: Box<dyn Write> = match path {
            Some(path) if path.as_os_str() != "-" => Box::new(BufWriter::new(
                File::create(path).with_context(|| format!("-o {}", path.display()))?,
            )),
            _ => Box::new(BufWriter::new(io::stdout())),
        };
        Ok(match format {
            DiffFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(COLUMNS)?;
                Output::Csv(Box::new(writer))
            }
            DiffFormat::Jsonl => Output::Jsonl(out),
            DiffFormat::Markdown => Output::Markdown(out, String::new()),
        })
    }

    fn row(&mut self, change: Change, then: Option<&Outcome>, now: &Outcome) -> io::Result<()> {
        let status = |row: Option<&Outcome>| row.and_then(|row| row.status);
        let final_url = |row: Option<&Outcome>| row.and_then(|row| row.final_url.clone());
        let cells = [
            Some(change.as_str().to_string()),
            Some(now.url.clone()),
            then.map(|then| then.verdict.as_str().to_string()),
            Some(now.verdict.as_str().to_string()),
            status(then).map(|s| s.to_string()),
            status(Some(now)).map(|s| s.to_string()),
            final_url(then),
            final_url(Some(now)),
            now.error_kind.map(|kind| kind.as_str().to_string()),
            now.error.clone(),
            Some(now.source.as_str().to_string()),
        ];
        match self {
            Output::Csv(writer) => {
                let cells = cells
                    .iter()
                    .map(|cell| spreadsheet_safe(cell.as_deref().unwrap_or_default()).into_owned());
                writer.write_record(cells).map_err(io::Error::other)
            }
            Output::Jsonl(out) => {
                let object: serde_json::Map<String, serde_json::Value> = COLUMNS
                    .iter()
                    .zip(cells)
                    .map(|(name, cell)| (name.to_string(), json!(cell)))
                    .collect();
                writeln!(out, "{}", serde_json::Value::Object(object))
            }
            Output::Markdown(_, table) => {
                let cell = |text: Option<&str>| markdown_cell(text.unwrap_or_default());
                let _ = writeln!(
                    table,
                    "| {} | {} | {} → {} | {} | {} |",
                    change.as_str(),
                    cell(Some(&now.url)),
                    cell(then.map(result_and_detail).as_deref()),
                    cell(Some(&result_and_detail(now))),
                    cell(now.error_kind.map(|kind| kind.as_str())),
                    cell(Some(now.source.as_str())),
                );
                Ok(())
            }
        }
    }

    fn finish(self, [broke, fixed, changed]: [u64; 3]) -> io::Result<()> {
        match self {
            Output::Csv(mut writer) => writer.flush(),
            Output::Jsonl(mut out) => out.flush(),
            Output::Markdown(mut out, table) => {
                writeln!(
                    out,
                    "## headcheck diff: {broke} broke, {fixed} fixed, {changed} changed\n"
                )?;
                if !table.is_empty() {
                    writeln!(
                        out,
                        "| change | URL | was → is | error_kind | source |\n\
                         | --- | --- | --- | --- | --- |"
                    )?;
                    out.write_all(table.as_bytes())?;
                }
                out.flush()
            }
        }
    }
}

/// A row's result and what it got, for the Markdown table: `broken 404`.
fn result_and_detail(row: &Outcome) -> String {
    let detail = row.detail();
    if detail.is_empty() {
        row.verdict.as_str().to_string()
    } else {
        format!("{} {detail}", row.verdict)
    }
}
