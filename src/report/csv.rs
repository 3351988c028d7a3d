//! CSV (RFC 4180, UTF-8): writing rows, and reading cells back. Text cells
//! are made spreadsheet-safe on the way out and restored on the way in.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::columns::{self, Cell};
use crate::types::Outcome;

/// A CSV report being written.
pub struct CsvReport {
    writer: csv::Writer<Box<dyn Write + Send>>,
    /// Reused for every number, so a row allocates nothing for them.
    number: String,
}

impl CsvReport {
    /// Writes the header row; `bom` starts the file with a UTF-8 byte-order
    /// mark (`--bom`), which Excel needs to read UTF-8.
    pub fn create(
        mut out: Box<dyn Write + Send>,
        names: &[String],
        bom: bool,
    ) -> io::Result<CsvReport> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut writer = csv::WriterBuilder::new().from_writer(out);
        writer.write_record(names).map_err(csv_io)?;
        Ok(CsvReport {
            writer,
            number: String::new(),
        })
    }

    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        for cell in columns::cells(outcome) {
            let written = match cell {
                Cell::Empty => self.writer.write_field(b""),
                Cell::Text(text) => self.writer.write_field(spreadsheet_safe(text).as_bytes()),
                Cell::Number(n) => {
                    self.number.clear();
                    let _ = write!(self.number, "{n}");
                    self.writer.write_field(self.number.as_bytes())
                }
            };
            written.map_err(csv_io)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(csv_io)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// A cell read back from CSV text, in a column of numbers or not.
pub fn read_cell(numeric: bool, text: &str) -> Cell<'_> {
    if text.is_empty() {
        return Cell::Empty;
    }
    if numeric {
        return text.parse().map_or(Cell::Empty, Cell::Number);
    }
    Cell::Text(undo_spreadsheet_safe(text))
}

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

pub fn csv_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
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

/// Removes the `'` that [`spreadsheet_safe`] put in front of formula-like
/// text.
fn undo_spreadsheet_safe(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if spreadsheet_safe(rest).len() != rest.len() => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_and_restored() {
        for risky in [
            "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx", "＝1", "＠x",
        ] {
            let safe = spreadsheet_safe(risky);
            assert_eq!(safe, format!("'{risky}"), "{risky:?}");
            assert_eq!(undo_spreadsheet_safe(&safe), risky);
        }
        for plain in ["http://a.test/", "text", "", "1-2", "'quoted"] {
            assert_eq!(spreadsheet_safe(plain), plain);
            assert_eq!(undo_spreadsheet_safe(plain), plain);
        }
    }

    #[test]
    fn cells_are_read_by_their_column_type() {
        assert_eq!(read_cell(true, "404"), Cell::Number(404));
        assert_eq!(read_cell(true, ""), Cell::Empty);
        assert_eq!(read_cell(false, "'=x"), Cell::Text("=x"));
        assert_eq!(read_cell(false, "text/html"), Cell::Text("text/html"));
    }
}
