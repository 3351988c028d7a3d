//! A CSV file with a column of URLs (an earlier report, a spreadsheet
//! export) read as a list: recognised by a header row that names a `url`
//! column (also `URL`, `link`, `address`), whose cells are the entries.

use std::io::BufRead;

use super::emitter::Emitter;
use super::list::push_decoded;
use crate::types::{Error, Source};

/// Names of the column that holds the URLs, compared without case.
const URL_COLUMNS: [&str; 3] = ["url", "link", "address"];

/// The position of the URL column when `head` (the start of a document)
/// begins with a CSV header row that names one; `None` for anything else,
/// such as a list whose first line is a URL.
pub fn url_column(head: &[u8]) -> Option<usize> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let end = head.iter().position(|&b| b == b'\n')?;
    let line = String::from_utf8_lossy(&head[..end]);
    let line = line.trim_end_matches('\r');
    if line.contains("://") {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let header = reader.records().next()?.ok()?;
    header.iter().position(|name| {
        let name = name.trim();
        URL_COLUMNS
            .iter()
            .any(|wanted| name.eq_ignore_ascii_case(wanted))
    })
}

/// Reads the URL column (`column`) of a CSV document, one entry per row,
/// `source` = `name:line`; blank cells are skipped. Returns false when the
/// run should stop reading.
pub fn read_csv_list(
    name: &str,
    reader: impl BufRead,
    column: usize,
    emitter: &mut Emitter,
) -> bool {
    // Lines end at `\n` alone (a `\r` before it is trimmed with the cell):
    // with CRLF as the terminator, the csv crate counts a record's line from
    // the end of the previous one, one short.
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut text = String::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => return true,
            Ok(true) => {}
            Err(err) => {
                return emitter.fail(Error::Read {
                    path: name.to_string(),
                    error: std::io::Error::other(err.to_string()),
                });
            }
        }
        let Some(cell) = record.get(column) else {
            continue;
        };
        text.clear();
        push_decoded(cell, &mut text);
        let entry = text.trim();
        if entry.is_empty() {
            continue;
        }
        let line = record.position().map_or(0, csv::Position::line);
        if !emitter.emit(entry, Source::at(name, line, None)) {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_row_naming_a_url_column_is_recognised() {
        assert_eq!(
            url_column(b"url,result,status\nhttp://a.test/,ok,200\n"),
            Some(0)
        );
        assert_eq!(url_column(b"\xEF\xBB\xBFName;x\r\n"), None);
        assert_eq!(url_column(b"Name,Link,Notes\r\n"), Some(1));
        assert_eq!(url_column(b"\"Page\",\"URL\"\n"), Some(1));
        assert_eq!(url_column(b"address\n"), Some(0));
        // A list, even one whose first line says url somewhere.
        assert_eq!(url_column(b"http://a.test/url,link\n"), None);
        assert_eq!(url_column(b"http://a.test/\n"), None);
        assert_eq!(url_column(b"no newline yet"), None);
    }
}
