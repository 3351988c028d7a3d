//! Inputs: where URLs come from and what each entry means.
//!
//! This module owns turning inputs (URL arguments, list files, sitemaps,
//! standard input) into a stream of [`Target`]s: one per distinct entry,
//! numbered in input order, each already sorted into "check it", "invalid"
//! or "skipped". Inputs are read on a blocking thread and handed over
//! through a bounded channel, so a list or sitemap of any size is never held
//! in memory; only a compact fingerprint of every distinct URL seen is kept,
//! for deduplication.

mod documents;
mod links;
mod list;
mod sitemaps;

use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;
use tokio::sync::mpsc;
use url::Url;

pub use documents::DocumentOptions;
pub use links::DocumentKind;
pub use list::{ListEntry, ListReader, MAX_LINE_BYTES};
pub use sitemaps::SitemapOptions;

use crate::cache::Fresh;
use crate::fetch::Fetcher;
use crate::outcome::Outcome;
use crate::resume::Resumed;
use crate::shard::Shard;
use crate::sitemap;

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
    /// Known before the run: the row of the report being resumed, or a
    /// fresh ok result from the cache.
    Known(Box<Outcome>),
    /// An input that could not be read (a sitemap that failed to load, or
    /// broke off): an `error` row that says why.
    Unreadable(String),
    /// A relative link checked on disk: `ok`, or `broken` with the problem
    /// (`file not found`, `fragment #x not found`).
    File { problem: Option<String> },
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
    /// A remote sitemap, sitemap index, or site root (`--sitemap`).
    Sitemap(String),
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

/// How the reader thread reads inputs.
pub struct ReaderOptions {
    pub filter: Filter,
    pub resumed: Resumed,
    pub sitemaps: SitemapOptions,
    pub documents: DocumentOptions,
    /// `--cache`: fresh ok results that stand for a check.
    pub cache: Option<Arc<Fresh>>,
    /// `--shard`: only this run's part of the entries.
    pub shard: Option<Shard>,
    /// Fetches remote sitemaps; without it, they become `error` rows.
    pub fetcher: Option<Fetcher>,
}

/// An input opened and ready to be read.
enum Opened {
    Url(String),
    Reader {
        name: String,
        reader: Box<dyn Read + Send>,
    },
    Sitemap(String),
    /// A directory of documents.
    Directory(PathBuf),
    /// A Markdown or HTML file.
    Document(PathBuf, DocumentKind),
}

/// Opens every input up front, so that an unreadable file is a usage error
/// before any request is sent rather than a surprise halfway through a run.
fn open_all(inputs: &[Input]) -> Result<Vec<Opened>, InputError> {
    inputs
        .iter()
        .map(|input| match input {
            Input::Url(url) => Ok(Opened::Url(url.clone())),
            Input::Sitemap(url) => Ok(Opened::Sitemap(url.clone())),
            Input::Stdin => Ok(Opened::Reader {
                name: "stdin".to_string(),
                reader: Box::new(io::stdin()),
            }),
            Input::File(path) if path.is_dir() => match std::fs::read_dir(path) {
                Ok(_) => Ok(Opened::Directory(path.clone())),
                Err(error) => Err(InputError::Open {
                    path: path.display().to_string(),
                    error,
                }),
            },
            Input::File(path) => {
                let file = open_file(path)?;
                Ok(match document_kind(path) {
                    Some(kind) => Opened::Document(path.clone(), kind),
                    None => Opened::Reader {
                        name: path.display().to_string(),
                        reader: Box::new(file),
                    },
                })
            }
        })
        .collect()
}

/// A Markdown or HTML file, by its name; other files are lists or sitemaps,
/// by their content.
fn document_kind(path: &Path) -> Option<DocumentKind> {
    DocumentKind::of_name(&path.file_name()?.to_string_lossy())
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

/// A document made ready to read: decompressed if it is gzip, and whether
/// it is XML (a sitemap) or a plain list, judged by its content.
fn prepare(reader: impl Read + Send + 'static) -> io::Result<(Box<dyn BufRead + Send>, bool)> {
    let mut document = sitemap::decompressed(BufReader::with_capacity(64 * 1024, reader))?;
    let xml = sitemap::looks_like_xml(&mut document)?;
    Ok((document, xml))
}

/// Counts the entries (non-blank, non-comment lines) of list files, for the
/// progress bar's total. `None` when the total cannot be known before the
/// run: standard input, sitemaps, unreadable files.
pub fn count_entries(inputs: &[Input]) -> Option<u64> {
    let mut total = 0u64;
    for input in inputs {
        match input {
            Input::Url(_) => total += 1,
            Input::Stdin | Input::Sitemap(_) => return None,
            Input::File(path) if path.is_dir() || document_kind(path).is_some() => return None,
            Input::File(path) => {
                let (document, xml) = prepare(open_file(path).ok()?).ok()?;
                if xml {
                    return None;
                }
                let mut list = ListReader::new(document);
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
    options: ReaderOptions,
    capacity: usize,
) -> Result<mpsc::Receiver<Result<Target, InputError>>, InputError> {
    let opened = open_all(&inputs)?;
    let (tx, rx) = mpsc::channel(capacity.max(1));
    std::thread::Builder::new()
        .name("headcheck-input".into())
        .spawn(move || {
            let mut emitter = Emitter::new(
                options.filter,
                options.resumed,
                options.cache,
                options.shard,
                tx,
            );
            let mut documents = documents::Documents::new(options.documents);
            let mut walker = sitemaps::Walker::new(options.sitemaps, options.fetcher, &mut emitter);
            for input in opened {
                let done = match input {
                    Opened::Url(text) => walker.emitter.emit(&text, "argv".to_string()),
                    Opened::Sitemap(text) => walker.remote_root(&text),
                    Opened::Reader { name, reader } => read_document(&name, reader, &mut walker),
                    Opened::Directory(dir) => documents.directory(&dir, walker.emitter),
                    Opened::Document(path, kind) => {
                        let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
                        documents.file(&path, &root, kind, walker.emitter)
                    }
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

/// Reads a local file or stdin: a sitemap or a list, plain or gzip. Returns
/// false when the run should stop reading.
fn read_document(name: &str, reader: Box<dyn Read + Send>, walker: &mut sitemaps::Walker) -> bool {
    match prepare(reader) {
        Ok((document, true)) => walker.sitemap(name, document, 0),
        Ok((document, false)) => read_list(name, document, walker.emitter),
        Err(error) => walker.emitter.fail(InputError::Read {
            path: name.to_string(),
            error,
        }),
    }
}

/// Reads one list; returns false when the receiver is gone or a read failed.
fn read_list(name: &str, reader: impl BufRead, emitter: &mut Emitter) -> bool {
    let mut list = ListReader::new(reader);
    loop {
        let (number, entry) = match list.next_entry() {
            Ok(Some(next)) => next,
            Ok(None) => return true,
            Err(error) => {
                return emitter.fail(InputError::Read {
                    path: name.to_string(),
                    error,
                });
            }
        };
        let source = format!("{name}:{number}");
        let keep_going = match entry {
            ListEntry::Text(text) => emitter.emit(text, source),
            ListEntry::TooLong => emitter.send(
                "(line too long)".to_string(),
                source,
                TargetKind::Invalid(format!("line longer than {MAX_LINE_BYTES} bytes")),
            ),
        };
        if !keep_going {
            return false;
        }
    }
}

/// Numbers targets, drops duplicates and classifies each entry.
struct Emitter {
    filter: Filter,
    resumed: Resumed,
    cache: Option<Arc<Fresh>>,
    shard: Option<Shard>,
    tx: mpsc::Sender<Result<Target, InputError>>,
    seen: Fingerprints,
    next_index: u64,
}

impl Emitter {
    fn new(
        filter: Filter,
        resumed: Resumed,
        cache: Option<Arc<Fresh>>,
        shard: Option<Shard>,
        tx: mpsc::Sender<Result<Target, InputError>>,
    ) -> Self {
        Emitter {
            filter,
            resumed,
            cache,
            shard,
            tx,
            seen: Fingerprints::new(),
            next_index: 0,
        }
    }

    /// Returns false when nobody listens any more.
    fn emit(&mut self, text: &str, source: String) -> bool {
        let kind = classify_entry(text, &self.filter);
        self.admit(text, source, kind)
    }

    /// Like [`Emitter::emit`] for an entry already judged (a file on
    /// disk): only the `--include`/`--exclude` patterns still apply.
    fn emit_as(&mut self, text: &str, source: String, kind: TargetKind) -> bool {
        let kind = match self.filter.skip_reason(text) {
            Some(reason) => TargetKind::Skipped(reason),
            None => kind,
        };
        self.admit(text, source, kind)
    }

    /// Sends an entry unless it was seen before, or its earlier row when
    /// resuming.
    fn admit(&mut self, text: &str, source: String, kind: TargetKind) -> bool {
        let key = entry_key(&kind, text);
        if !self.seen.insert(key) {
            return true;
        }
        if self.shard.is_some_and(|shard| !shard.keeps(&kind, text)) {
            return true;
        }
        let cached = || match (&kind, &self.cache) {
            (TargetKind::Check(_), Some(cache)) => cache.row(key, text, &source),
            _ => None,
        };
        let known = self.resumed.take(key).or_else(cached);
        let kind = match known {
            Some(row) => TargetKind::Known(Box::new(row)),
            None => kind,
        };
        self.send(text.to_string(), source, kind)
    }

    /// Ends the stream with an input error (exit status 2). Returns false.
    fn fail(&mut self, err: InputError) -> bool {
        let _ = self.tx.blocking_send(Err(err));
        false
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
///
/// The set is split into shards by the fingerprint's top bits: a hash table
/// doubles when it grows, holding old and new tables at once, and with one
/// table that moment cost tens of MiB at a million URLs; a shard doubles
/// alone.
struct Fingerprints {
    keys: (RandomState, RandomState),
    shards: Vec<HashSet<u128, BuildHasherDefault<Prehashed>>>,
}

const SHARDS: usize = 64;

impl Fingerprints {
    fn new() -> Self {
        Fingerprints {
            keys: (RandomState::new(), RandomState::new()),
            shards: (0..SHARDS).map(|_| HashSet::default()).collect(),
        }
    }

    fn insert(&mut self, key: &str) -> bool {
        let hash = |state: &RandomState| {
            let mut hasher = state.build_hasher();
            hasher.write(key.as_bytes());
            hasher.finish()
        };
        let high = hash(&self.keys.0);
        let fingerprint = (u128::from(high) << 64) | u128::from(hash(&self.keys.1));
        let shard = (high >> (64 - SHARDS.trailing_zeros())) as usize;
        self.shards[shard].insert(fingerprint)
    }
}

/// Hashing for values that are already uniform hashes: their low 64 bits
/// are used as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys are hashed (through write_u128); fold anything else.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn sitemaps_have_no_total_before_the_run() {
        let mut list = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut list, b"http://a.test/\n# c\nhttp://b.test/\n").unwrap();
        let mut xml = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(
            &mut xml,
            b"<urlset><url><loc>http://a.test/</loc></url></urlset>",
        )
        .unwrap();
        let list_input = Input::File(list.path().into());
        assert_eq!(count_entries(std::slice::from_ref(&list_input)), Some(2));
        assert_eq!(
            count_entries(&[list_input.clone(), Input::Url("http://c.test/".into())]),
            Some(3)
        );
        assert_eq!(
            count_entries(&[list_input, Input::File(xml.path().into())]),
            None
        );
        assert_eq!(
            count_entries(&[Input::Sitemap("http://a.test/s.xml".into())]),
            None
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
