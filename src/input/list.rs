//! Plain lists: one URL per line.

use std::fmt::Write as _;
use std::io::{self, BufRead};

use super::emitter::Emitter;
use crate::types::{Error, Source, TargetKind};

/// Longest line kept from a list file. Longer lines become `invalid` rows
/// without being buffered whole, so one pathological line cannot eat memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The entries of a plain list: one per line, blank lines and `#` comments
/// skipped, surrounding whitespace, CRLF and a UTF-8 BOM removed, bytes
/// that are not UTF-8 percent-encoded, lines longer than [`MAX_LINE_BYTES`]
/// reported without being kept.
pub struct ListReader<R> {
    lines: LineReader<R>,
    number: u64,
}

/// One entry of a list.
#[derive(Debug, PartialEq, Eq)]
pub enum ListEntry<'a> {
    /// The trimmed text of the line: never empty, never a comment.
    Text(&'a str),
    /// The line was longer than [`MAX_LINE_BYTES`].
    TooLong,
}

impl<R: BufRead> ListReader<R> {
    pub fn new(reader: R) -> Self {
        ListReader {
            lines: LineReader::new(reader),
            number: 0,
        }
    }

    /// The next entry and its 1-based line number.
    pub fn next_entry(&mut self) -> io::Result<Option<(u64, ListEntry<'_>)>> {
        loop {
            self.number += 1;
            let line = match self.lines.next_line()? {
                None => return Ok(None),
                Some(line) => parse_line(line),
            };
            match line {
                Line::Ignored => continue,
                Line::Entry(_) | Line::TooLong => break,
            }
        }
        // Returning the borrowed line from inside the loop is beyond today's
        // borrow checker, so the kept line is looked at again here.
        let entry = match parse_line(self.lines.current()) {
            Line::Entry(text) => ListEntry::Text(text),
            _ => ListEntry::TooLong,
        };
        Ok(Some((self.number, entry)))
    }
}

/// What one line of a list holds.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Ignored,
    Entry(&'a str),
    TooLong,
}

fn parse_line(line: RawLine<'_>) -> Line<'_> {
    let RawLine::Text(text) = line else {
        return Line::TooLong;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
    if text.is_empty() || text.starts_with('#') {
        Line::Ignored
    } else {
        Line::Entry(text)
    }
}

enum RawLine<'a> {
    Text(&'a str),
    TooLong,
}

/// Reads lines of at most [`MAX_LINE_BYTES`], percent-encoding bytes that
/// are not UTF-8 (binary garbage becomes `invalid` rows, not a crash).
struct LineReader<R> {
    reader: R,
    bytes: Vec<u8>,
    text: String,
    too_long: bool,
}

impl<R: BufRead> LineReader<R> {
    fn new(reader: R) -> Self {
        LineReader {
            reader,
            bytes: Vec::new(),
            text: String::new(),
            too_long: false,
        }
    }

    /// The line last returned by [`LineReader::next_line`].
    fn current(&self) -> RawLine<'_> {
        if self.too_long {
            RawLine::TooLong
        } else {
            RawLine::Text(&self.text)
        }
    }

    fn next_line(&mut self) -> io::Result<Option<RawLine<'_>>> {
        self.bytes.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, found_newline) = match buf.iter().position(|&b| b == b'\n') {
                Some(at) => (&buf[..at], true),
                None => (buf, false),
            };
            if !too_long {
                if self.bytes.len() + chunk.len() > MAX_LINE_BYTES {
                    too_long = true;
                    self.bytes.clear();
                } else {
                    self.bytes.extend_from_slice(chunk);
                }
            }
            let used = chunk.len() + usize::from(found_newline);
            self.reader.consume(used);
            if found_newline {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.too_long = too_long;
        if too_long {
            return Ok(Some(RawLine::TooLong));
        }
        self.text.clear();
        push_decoded(&self.bytes, &mut self.text);
        Ok(Some(RawLine::Text(&self.text)))
    }
}

/// Appends `bytes` to `text` as UTF-8, with every byte that is not UTF-8
/// (a Latin-1 `é` in a list saved by an old editor) percent-encoded as it
/// is, as a browser sends it, never replaced by U+FFFD.
pub fn push_decoded(bytes: &[u8], text: &mut String) {
    match std::str::from_utf8(bytes) {
        Ok(valid) => text.push_str(valid),
        Err(_) => {
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                for byte in chunk.invalid() {
                    let _ = write!(text, "%{byte:02X}");
                }
            }
        }
    }
}

/// Reads one list; returns false when the receiver is gone or a read failed.
pub fn read_list(name: &str, reader: impl BufRead, emitter: &mut Emitter) -> bool {
    let mut list = ListReader::new(reader);
    loop {
        let (number, entry) = match list.next_entry() {
            Ok(Some(next)) => next,
            Ok(None) => return true,
            Err(error) => {
                return emitter.fail(Error::Read {
                    path: name.to_string(),
                    error,
                });
            }
        };
        // A list's entry starts its line.
        let source = Source::at(name, number, Some(1));
        let keep_going = match entry {
            ListEntry::Text(text) => emitter.emit(text, source),
            ListEntry::TooLong => {
                // Every such line says the same: its place tells it apart.
                let place = source.as_str().to_string();
                let kind = TargetKind::Invalid(format!("line longer than {MAX_LINE_BYTES} bytes"));
                emitter.admit_place(&place, "(line too long)", source, kind)
            }
        };
        if !keep_going {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn lines(input: &[u8]) -> Vec<String> {
        let mut reader = LineReader::new(BufReader::new(input));
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(match parse_line(line) {
                Line::Ignored => "<ignored>".to_string(),
                Line::Entry(text) => text.to_string(),
                Line::TooLong => "<too long>".to_string(),
            });
        }
        out
    }

    #[test]
    fn list_lines_tolerate_bom_crlf_comments_and_whitespace() {
        let input = b"\xEF\xBB\xBFhttp://a.test/\r\n\r\n# comment\n  http://b.test/x \t\nlast";
        assert_eq!(
            lines(input),
            [
                "http://a.test/",
                "<ignored>",
                "<ignored>",
                "http://b.test/x",
                "last"
            ]
        );
    }

    #[test]
    fn overlong_line_is_reported_without_being_kept() {
        let mut input = vec![b'a'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\nhttp://next.test/\n");
        assert_eq!(lines(&input), ["<too long>", "http://next.test/"]);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_percent_encoded() {
        assert_eq!(lines(b"\xff\xfe\x00abc\n"), ["%FF%FE\u{0}abc"]);
        assert_eq!(lines("/café\n".as_bytes()), ["/café"]);
        assert_eq!(lines(b"/caf\xe9\n"), ["/caf%E9"]);
    }
}
