//! Inputs: where URLs come from and what each line means.
//!
//! This module owns turning inputs (URL arguments, list files, standard
//! input) into a stream of [`Target`]s: one per distinct entry, numbered in
//! input order, each already sorted into "check it", "invalid" or "skipped".
//! Files are read line by line on a blocking thread and handed over through a
//! bounded channel, so a list of any size is never held in memory; only a
//! compact fingerprint of every distinct URL seen is kept, for deduplication.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use regex::Regex;
use tokio::sync::mpsc;
use url::Url;

use crate::outcome::Outcome;
use crate::resume::Resumed;

/// Longest line kept from a list file. Longer lines become `invalid` rows
/// without being buffered whole, so one pathological line cannot eat memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// One entry to report: what the user wrote, where, and what to do with it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Position in the report (0-based, contiguous, first occurrence order).
    pub index: u64,
    /// The input text as given (trimmed), reported in the `url` column.
    pub text: String,
    /// Where the entry came from: `argv`, `stdin:3`, `urls.txt:12`.
    pub source: String,
    pub kind: TargetKind,
}

#[derive(Debug, Clone)]
pub enum TargetKind {
    /// An http(s) URL to check.
    Check(Url),
    /// Not a URL; the reason is reported in the `error` column.
    Invalid(String),
    /// A URL that is not checked; the reason is reported in `error`.
    Skipped(String),
    /// Already in the report being resumed: its earlier row is kept.
    Resumed(Box<Outcome>),
}

/// One input as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// An `http://` or `https://` argument.
    Url(String),
    /// A local file holding a list.
    File(PathBuf),
    /// Standard input (`-`, or no INPUT with a piped stdin).
    Stdin,
}

impl Input {
    /// Interprets one INPUT argument: `-` is stdin, an http(s) URL is a URL,
    /// an existing path is a file, and any other `scheme:` text is a URL too
    /// (so `mailto:x` becomes a `skipped` row, not a missing file).
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            return Input::Stdin;
        }
        let lower = arg.get(..8).unwrap_or(arg).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Input::Url(arg.to_string());
        }
        let path = PathBuf::from(arg);
        // A one-letter scheme is a Windows drive (`C:\list.txt`), not a URL.
        let has_scheme = Url::parse(arg).is_ok_and(|url| url.scheme().len() > 1);
        if has_scheme && !path.exists() {
            Input::Url(arg.to_string())
        } else {
            Input::File(path)
        }
    }
}

/// An input that could not be opened: a usage error (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {error}")]
    Open { path: String, error: io::Error },
    #[error("{path}: is a directory")]
    Directory { path: String },
    #[error("{path}: read error: {error}")]
    Read { path: String, error: io::Error },
}

/// Which URLs are checked: `--include` / `--exclude` patterns on the URL
/// text. A URL is checked when it matches some include (or there are none)
/// and no exclude.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
}

impl Filter {
    fn skip_reason(&self, text: &str) -> Option<String> {
        if !self.include.is_empty() && !self.include.iter().any(|re| re.is_match(text)) {
            return Some("not matched by --include".to_string());
        }
        self.exclude
            .iter()
            .find(|re| re.is_match(text))
            .map(|re| format!("excluded by --exclude {}", re.as_str()))
    }
}

/// An input opened and ready to be read.
enum Opened {
    Url(String),
    Reader {
        name: String,
        reader: Box<dyn Read + Send>,
    },
}

/// Opens every input up front, so that an unreadable file is a usage error
/// before any request is sent rather than a surprise halfway through a run.
fn open_all(inputs: &[Input]) -> Result<Vec<Opened>, InputError> {
    inputs
        .iter()
        .map(|input| match input {
            Input::Url(url) => Ok(Opened::Url(url.clone())),
            Input::Stdin => Ok(Opened::Reader {
                name: "stdin".to_string(),
                reader: Box::new(io::stdin()),
            }),
            Input::File(path) => open_file(path).map(|file| Opened::Reader {
                name: path.display().to_string(),
                reader: Box::new(file),
            }),
        })
        .collect()
}

fn open_file(path: &Path) -> Result<File, InputError> {
    let name = || path.display().to_string();
    let file = File::open(path).map_err(|error| InputError::Open {
        path: name(),
        error,
    })?;
    let meta = file.metadata().map_err(|error| InputError::Open {
        path: name(),
        error,
    })?;
    if meta.is_dir() {
        return Err(InputError::Directory { path: name() });
    }
    Ok(file)
}

/// Counts the entries (non-blank, non-comment lines) of list files, for the
/// progress bar's total. `None` when an input is a stream whose size cannot
/// be known in advance (stdin) or a file cannot be read.
pub fn count_entries(inputs: &[Input]) -> Option<u64> {
    let mut total = 0u64;
    for input in inputs {
        match input {
            Input::Url(_) => total += 1,
            Input::Stdin => return None,
            Input::File(path) => {
                let mut list = ListReader::new(BufReader::new(open_file(path).ok()?));
                while list.next_entry().ok()?.is_some() {
                    total += 1;
                }
            }
        }
    }
    Some(total)
}

/// Starts reading `inputs` on a blocking thread. Targets arrive on the
/// returned channel in input order; a read error ends the stream with an
/// `Err` item. Opening errors are returned at once.
pub fn spawn_reader(
    inputs: Vec<Input>,
    filter: Filter,
    resumed: Resumed,
    capacity: usize,
) -> Result<mpsc::Receiver<Result<Target, InputError>>, InputError> {
    let opened = open_all(&inputs)?;
    let (tx, rx) = mpsc::channel(capacity.max(1));
    std::thread::Builder::new()
        .name("headcheck-input".into())
        .spawn(move || {
            let mut emitter = Emitter::new(filter, resumed, tx);
            for input in opened {
                let done = match input {
                    Opened::Url(text) => emitter.emit(&text, "argv".to_string()),
                    Opened::Reader { name, reader } => read_list(&name, reader, &mut emitter),
                };
                if !done {
                    return;
                }
            }
        })
        .map_err(|error| InputError::Open {
            path: "input thread".into(),
            error,
        })?;
    Ok(rx)
}

/// Reads one list; returns false when the receiver is gone or a read failed.
fn read_list(name: &str, reader: Box<dyn Read + Send>, emitter: &mut Emitter) -> bool {
    let mut list = ListReader::new(BufReader::with_capacity(64 * 1024, reader));
    loop {
        let (number, entry) = match list.next_entry() {
            Ok(Some(next)) => next,
            Ok(None) => return true,
            Err(error) => {
                let err = InputError::Read {
                    path: name.to_string(),
                    error,
                };
                let _ = emitter.tx.blocking_send(Err(err));
                return false;
            }
        };
        let source = format!("{name}:{number}");
        let keep_going = match entry {
            ListEntry::Text(text) => emitter.emit(text, source),
            ListEntry::TooLong => emitter.emit_invalid(
                "(line too long)",
                format!("line longer than {MAX_LINE_BYTES} bytes"),
                source,
            ),
        };
        if !keep_going {
            return false;
        }
    }
}

/// The entries of a plain list: one per line, blank lines and `#` comments
/// skipped, surrounding whitespace, CRLF and a UTF-8 BOM removed, invalid
/// UTF-8 decoded lossily, lines longer than [`MAX_LINE_BYTES`] reported
/// without being kept.
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

/// Reads lines of at most [`MAX_LINE_BYTES`], decoding invalid UTF-8 lossily
/// (binary garbage becomes `invalid` rows, not a crash).
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
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => self.text.push_str(text),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(&self.bytes)),
        }
        Ok(Some(RawLine::Text(&self.text)))
    }
}

/// Numbers targets, drops duplicates and classifies each entry.
struct Emitter {
    filter: Filter,
    resumed: Resumed,
    tx: mpsc::Sender<Result<Target, InputError>>,
    seen: Fingerprints,
    next_index: u64,
}

impl Emitter {
    fn new(filter: Filter, resumed: Resumed, tx: mpsc::Sender<Result<Target, InputError>>) -> Self {
        Emitter {
            filter,
            resumed,
            tx,
            seen: Fingerprints::new(),
            next_index: 0,
        }
    }

    /// Returns false when nobody listens any more.
    fn emit(&mut self, text: &str, source: String) -> bool {
        let kind = classify_entry(text, &self.filter);
        let key = entry_key(&kind, text);
        if !self.seen.insert(key) {
            return true;
        }
        let kind = match self.resumed.take(key) {
            Some(earlier) => TargetKind::Resumed(Box::new(earlier)),
            None => kind,
        };
        self.send(text.to_string(), source, kind)
    }

    fn emit_invalid(&mut self, text: &str, reason: String, source: String) -> bool {
        self.send(text.to_string(), source, TargetKind::Invalid(reason))
    }

    fn send(&mut self, text: String, source: String, kind: TargetKind) -> bool {
        let target = Target {
            index: self.next_index,
            text,
            source,
            kind,
        };
        self.next_index += 1;
        self.tx.blocking_send(Ok(target)).is_ok()
    }
}

/// The key under which an entry is recognised again: the normalised URL
/// (so `HTTP://Site` and `http://site/` are one URL), or the text of
/// anything that is not a URL to check.
pub fn entry_key<'a>(kind: &'a TargetKind, text: &'a str) -> &'a str {
    match kind {
        TargetKind::Check(url) => url.as_str(),
        _ => text,
    }
}

/// Decides what one entry is: a URL to check, an invalid line, or a URL that
/// is skipped (another scheme, or filtered out).
pub fn classify_entry(text: &str, filter: &Filter) -> TargetKind {
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return TargetKind::Invalid(
                "not a URL: no scheme (expected http:// or https://)".into(),
            );
        }
        Err(e) => return TargetKind::Invalid(format!("not a URL: {e}")),
    };
    match url.scheme() {
        "http" | "https" => {}
        other => return TargetKind::Skipped(format!("{other}: URLs are not checked")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return TargetKind::Invalid("not a URL: no host".into());
    }
    match filter.skip_reason(text) {
        Some(reason) => TargetKind::Skipped(reason),
        None => TargetKind::Check(url),
    }
}

/// The set of distinct entries seen, kept as 128-bit fingerprints rather than
/// strings so that memory grows with the number of URLs, not their length.
/// Two independent keyed SipHash values make a collision (a URL wrongly
/// treated as a duplicate) vanishingly unlikely: about 1 in 10^26 for a
/// million URLs.
struct Fingerprints {
    keys: (RandomState, RandomState),
    set: HashSet<u128>,
}

impl Fingerprints {
    fn new() -> Self {
        Fingerprints {
            keys: (RandomState::new(), RandomState::new()),
            set: HashSet::new(),
        }
    }

    fn insert(&mut self, key: &str) -> bool {
        let hash = |state: &RandomState| {
            let mut hasher = state.build_hasher();
            hasher.write(key.as_bytes());
            hasher.finish()
        };
        let fingerprint = (u128::from(hash(&self.keys.0)) << 64) | u128::from(hash(&self.keys.1));
        self.set.insert(fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn binary_garbage_is_decoded_lossily() {
        assert_eq!(lines(b"\xff\xfe\x00abc\n"), ["\u{fffd}\u{fffd}\u{0}abc"]);
    }

    #[test]
    fn entries_are_classified() {
        let filter = Filter::default();
        assert!(matches!(
            classify_entry("https://a.test/x", &filter),
            TargetKind::Check(_)
        ));
        assert!(matches!(
            classify_entry("mailto:me@a.test", &filter),
            TargetKind::Skipped(_)
        ));
        assert!(matches!(
            classify_entry("www.a.test/x", &filter),
            TargetKind::Invalid(_)
        ));
        assert!(matches!(
            classify_entry("http://", &filter),
            TargetKind::Invalid(_)
        ));
    }

    #[test]
    fn include_and_exclude_patterns_skip_urls() {
        let filter = Filter {
            include: vec![Regex::new("/docs/").unwrap()],
            exclude: vec![Regex::new("old").unwrap()],
        };
        assert!(matches!(
            classify_entry("http://a.test/docs/new", &filter),
            TargetKind::Check(_)
        ));
        assert!(matches!(
            classify_entry("http://a.test/docs/old", &filter),
            TargetKind::Skipped(_)
        ));
        assert!(matches!(
            classify_entry("http://a.test/blog/", &filter),
            TargetKind::Skipped(_)
        ));
    }

    #[test]
    fn arguments_are_urls_files_or_stdin() {
        assert_eq!(Input::from_arg("-"), Input::Stdin);
        assert_eq!(
            Input::from_arg("HTTPS://a.test/"),
            Input::Url("HTTPS://a.test/".into())
        );
        assert_eq!(
            Input::from_arg("mailto:a@b.test"),
            Input::Url("mailto:a@b.test".into())
        );
        assert_eq!(Input::from_arg("urls.txt"), Input::File("urls.txt".into()));
        assert_eq!(
            Input::from_arg("c:list.txt"),
            Input::File("c:list.txt".into())
        );
    }

    #[test]
    fn fingerprints_recognise_repeats() {
        let mut seen = Fingerprints::new();
        assert!(seen.insert("http://a.test/"));
        assert!(seen.insert("http://b.test/"));
        assert!(!seen.insert("http://a.test/"));
    }
}
