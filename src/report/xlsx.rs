//! The Excel workbook (`-o report.xlsx`): the report's columns on a sheet
//! "Report", written row by row as the run goes (rust_xlsxwriter's constant
//! memory mode: each finished row goes to a temporary file), and a sheet
//! "Summary" with the counts per result and per host.
//!
//! Numbers are numbers, centred so that they do not run into the text
//! beside them (`200http://…`); http(s) URLs in `url` and `final_url` are
//! hyperlinks (65,530 a sheet: Excel's limit; rust_xlsxwriter keeps those
//! in memory, about 50 MiB at the limit); the header row is frozen with an
//! autofilter and repeated on printed pages, which are landscape and one
//! page wide; columns are as wide as their longest value (8 to 50
//! characters: a URL column as wide as its longest URL makes a printout of
//! one column); each `result` cell is coloured. The Summary sheet names
//! hosts as people read them (`bücher.test`, not `xn--bcher-kva.test`).
//! Besides the hyperlinks, memory grows by 4 bytes a row (elapsed times,
//! for each host's median). Every text is written as a string cell, which
//! Excel never evaluates, so text from servers cannot become a formula.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use rust_xlsxwriter::{
    Color, Format, FormatAlign, FormatBorder, Url, Workbook, Worksheet, XlsxError,
};

use super::columns::{self, Cell};
use crate::types::{Outcome, Tally, Verdict, host_key};

/// Rows on one Excel sheet, the header included.
const MAX_ROWS: u32 = 1_048_576;

/// Hyperlinks Excel accepts on one sheet.
const MAX_LINKS: u32 = 65_530;

/// Characters Excel accepts in one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// Characters Excel accepts in a hyperlink.
const MAX_LINK_CHARS: usize = 2_079;

pub struct Xlsx {
    path: PathBuf,
    workbook: Workbook,
    columns: Vec<String>,
    /// Report sheets made so far; the last is being written.
    sheets: usize,
    row: u32,
    links: u32,
    /// The widest value of each column on the sheet being written.
    widths: Vec<usize>,
    formats: Formats,
    tally: Tally,
    hosts: HashMap<String, HostStats>,
}

struct Formats {
    header: Format,
    link: Format,
    number: Format,
    results: [Format; Verdict::ALL.len()],
}

#[derive(Default)]
struct HostStats {
    tally: Tally,
    /// Every elapsed_ms of the host, for the median: 4 bytes a row.
    elapsed: Vec<u32>,
}

fn xlsx_io(err: XlsxError) -> io::Error {
    match err {
        XlsxError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// The fill of a `result` cell.
fn result_color(verdict: Verdict) -> Color {
    match verdict {
        Verdict::Ok => Color::RGB(0xC6EFCE),
        Verdict::Broken => Color::RGB(0xFFC7CE),
        Verdict::Error => Color::RGB(0xFFD8A8),
        Verdict::Invalid => Color::RGB(0xE4C1F9),
        Verdict::Blocked => Color::RGB(0xD9D9D9),
        Verdict::Skipped => Color::RGB(0xF2F2F2),
    }
}

/// Column widths, in characters, between these bounds.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 50;

/// The width a value asks of its column (counted up to the widest column).
fn text_width(text: &str) -> usize {
    text.chars().take(MAX_WIDTH).count()
}

/// Text cut to what a cell can hold.
fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

impl Xlsx {
    pub fn create(path: PathBuf, captured: &[String]) -> io::Result<Xlsx> {
        let columns = columns::names(captured);
        let formats = Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border_bottom(FormatBorder::Thin),
            link: Format::new()
                .set_font_color(Color::RGB(0x0563C1))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            number: Format::new().set_align(FormatAlign::Center),
            results: Verdict::ALL.map(|v| Format::new().set_background_color(result_color(v))),
        };
        // Fail now, not at the end of a long run, if the file cannot be made.
        std::fs::File::create(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let mut xlsx = Xlsx {
            path,
            workbook: Workbook::new(),
            columns,
            sheets: 0,
            row: 0,
            links: 0,
            widths: Vec::new(),
            formats,
            tally: Tally::default(),
            hosts: HashMap::new(),
        };
        xlsx.new_sheet().map_err(xlsx_io)?;
        Ok(xlsx)
    }

    /// Starts a "Report" sheet (another one after Excel's row limit) with
    /// its header row.
    fn new_sheet(&mut self) -> Result<(), XlsxError> {
        let name = match self.sheets {
            0 => "Report".to_string(),
            n => format!("Report {}", n + 1),
        };
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (col, column) in self.columns.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, column, &self.formats.header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        // Printed: landscape, one page wide, the header on every page.
        sheet.set_landscape();
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(0, 0)?;
        self.sheets += 1;
        self.row = 1;
        self.links = 0;
        // The header's own width, plus room for the filter button.
        self.widths = self.columns.iter().map(|c| text_width(c) + 3).collect();
        Ok(())
    }

    fn worksheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(self.sheets - 1)
    }

    pub fn add(&mut self, outcome: &Outcome) -> io::Result<()> {
        let web = url::Url::parse(&outcome.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        self.tally(outcome, web.as_ref().map(host_key));
        self.write_row(outcome, web.is_some()).map_err(xlsx_io)
    }

    fn tally(&mut self, outcome: &Outcome, host: Option<&str>) {
        self.tally.add(outcome.verdict);
        let host = host.unwrap_or("(no host)");
        let stats = match self.hosts.get_mut(host) {
            Some(stats) => stats,
            None => self.hosts.entry(host.to_string()).or_default(),
        };
        stats.tally.add(outcome.verdict);
        if let Some(ms) = outcome.elapsed_ms {
            stats.elapsed.push(u32::try_from(ms).unwrap_or(u32::MAX));
        }
    }

    /// Writes one row; `web` says the url is an http(s) URL.
    fn write_row(&mut self, outcome: &Outcome, web: bool) -> Result<(), XlsxError> {
        if self.row == MAX_ROWS {
            self.close_sheet()?;
            self.new_sheet()?;
        }
        self.measure(outcome);
        let row = self.row;
        let link = web && self.links < MAX_LINKS && outcome.url.len() <= MAX_LINK_CHARS;
        self.links += u32::from(link);
        let final_link = outcome.final_url.as_deref().is_some_and(|url| {
            url.len() <= MAX_LINK_CHARS
                && (url.starts_with("http://") || url.starts_with("https://"))
        }) && self.links < MAX_LINKS;
        self.links += u32::from(final_link);
        let formats = &self.formats;
        let sheet = self.workbook.worksheet_from_index(self.sheets - 1)?;
        for (position, cell) in columns::cells(outcome).enumerate() {
            let col = position as u16;
            match cell {
                Cell::Empty => {}
                // A hyperlink while the sheet takes them.
                Cell::Text(url) if position == columns::URL_COLUMN && link => {
                    sheet.write_url_with_format(row, col, Url::new(url), &formats.link)?;
                }
                Cell::Text(url) if position == columns::FINAL_URL_COLUMN && final_link => {
                    sheet.write_url_with_format(row, col, Url::new(url), &formats.link)?;
                }
                Cell::Text(result) if position == columns::RESULT_COLUMN => {
                    sheet.write_string_with_format(
                        row,
                        col,
                        result,
                        &formats.results[outcome.verdict.index()],
                    )?;
                }
                Cell::Text("") => {}
                Cell::Text(text) => {
                    sheet.write_string(row, col, cell_text(text))?;
                }
                Cell::Number(n) => {
                    sheet.write_number_with_format(row, col, n as f64, &formats.number)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    /// Widens the columns for the row's values.
    fn measure(&mut self, outcome: &Outcome) {
        let cells = columns::cells(outcome).map(|cell| match cell {
            Cell::Empty => 0,
            Cell::Text(text) => text_width(text),
            Cell::Number(n) => n.checked_ilog10().map_or(1, |d| d as usize + 1),
        });
        for (width, cell) in self.widths.iter_mut().zip(cells) {
            *width = (*width).max(cell);
        }
    }

    /// Sizes the columns to fit what was written, and puts the autofilter
    /// on the header row (constant-memory mode writes both when the
    /// workbook is saved, so they may come last).
    fn close_sheet(&mut self) -> Result<(), XlsxError> {
        let last_row = self.row.saturating_sub(1).max(1);
        let last_col = (self.columns.len() - 1) as u16;
        let widths: Vec<f64> = self
            .widths
            .iter()
            .map(|w| (w + 1).clamp(MIN_WIDTH, MAX_WIDTH) as f64)
            .collect();
        let sheet = self.worksheet()?;
        for (col, width) in widths.into_iter().enumerate() {
            sheet.set_column_width(col as u16, width)?;
        }
        sheet.autofilter(0, 0, last_row, last_col)?;
        Ok(())
    }

    /// Adds the summary sheet and writes the workbook.
    pub fn finish(&mut self) -> io::Result<()> {
        self.close_sheet().map_err(xlsx_io)?;
        self.summary().map_err(xlsx_io)?;
        self.workbook.save(&self.path).map_err(xlsx_io)
    }

    fn summary(&mut self) -> Result<(), XlsxError> {
        let header = self.formats.header.clone();
        let mut hosts: Vec<(&String, &mut HostStats)> = self.hosts.iter_mut().collect();
        hosts.sort_by(|a, b| b.1.tally.total().cmp(&a.1.tally.total()).then(a.0.cmp(b.0)));
        let sheet = self.workbook.add_worksheet();
        sheet.set_name("Summary")?;
        sheet.set_column_width(0, 40)?;
        for col in 1..=6 {
            sheet.set_column_width(col, 12)?;
        }
        sheet.set_column_width(6, 18)?;
        sheet.write_string_with_format(0, 0, "result", &header)?;
        sheet.write_string_with_format(0, 1, "URLs", &header)?;
        let mut row = 1;
        for (verdict, count) in self.tally.counts() {
            sheet.write_string_with_format(
                row,
                0,
                verdict.as_str(),
                &self.formats.results[verdict.index()],
            )?;
            sheet.write_number(row, 1, count as f64)?;
            row += 1;
        }
        sheet.write_string(row, 0, "total")?;
        sheet.write_number(row, 1, self.tally.total() as f64)?;
        row += 2;
        let titles = [
            "host",
            "URLs",
            "ok",
            "broken",
            "error",
            "blocked",
            "median elapsed_ms",
        ];
        for (col, title) in titles.iter().enumerate() {
            sheet.write_string_with_format(row, col as u16, *title, &header)?;
        }
        for (host, stats) in hosts {
            row += 1;
            // The host key may end in a port: only the name is punycode.
            let (name, port) = match host.rsplit_once(':') {
                Some((name, port)) if !name.ends_with(':') && !port.contains(']') => {
                    (name, Some(port))
                }
                _ => (host.as_str(), None),
            };
            let (mut readable, _) = idna::domain_to_unicode(name);
            if let Some(port) = port {
                readable = format!("{readable}:{port}");
            }
            sheet.write_string(row, 0, cell_text(&readable))?;
            sheet.write_number(row, 1, stats.tally.total() as f64)?;
            let shown = [
                Verdict::Ok,
                Verdict::Broken,
                Verdict::Error,
                Verdict::Blocked,
            ];
            for (i, verdict) in shown.iter().enumerate() {
                sheet.write_number(row, 2 + i as u16, stats.tally.count(*verdict) as f64)?;
            }
            if let Some(median) = median(&mut stats.elapsed) {
                sheet.write_number(row, 6, median)?;
            }
        }
        Ok(())
    }
}

/// The median (the mean of the middle two for an even count).
fn median(values: &mut [u32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        f64::from(values[mid])
    } else {
        (f64::from(values[mid - 1]) + f64::from(values[mid])) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5.0));
        assert_eq!(median(&mut [9, 1, 5]), Some(5.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
    }

    #[test]
    fn long_text_is_cut_to_a_cell() {
        let long = "é".repeat(40_000);
        assert_eq!(cell_text(&long).chars().count(), MAX_CELL_CHARS);
        assert_eq!(cell_text("short"), "short");
    }
}
