//! Opening inputs: what each command-line INPUT is, opening every file
//! before the run starts, and telling a sitemap from a list by content.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use url::Url;

use super::fingerprints::Fingerprints;
use super::links::DocumentKind;
use super::list::{ListEntry, ListReader};
use super::{csv_list, sitemap_xml, utf16};
use crate::types::Error;

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

/// An input opened and ready to be read.
pub enum Opened {
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
pub fn open_all(inputs: &[Input]) -> Result<Vec<Opened>, Error> {
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
                Err(error) => Err(Error::Open {
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

fn open_file(path: &Path) -> Result<File, Error> {
    let name = || path.display().to_string();
    let file = File::open(path).map_err(|error| Error::Open {
        path: name(),
        error,
    })?;
    let meta = file.metadata().map_err(|error| Error::Open {
        path: name(),
        error,
    })?;
    if meta.is_dir() {
        return Err(Error::Directory { path: name() });
    }
    Ok(file)
}

/// A document made ready to read: decompressed if it is gzip, decoded if it
/// is UTF-16, and whether it is XML (a sitemap) or a plain list, judged by
/// its content.
pub fn prepare(reader: impl Read + Send + 'static) -> io::Result<(Box<dyn BufRead + Send>, bool)> {
    let document = sitemap_xml::decompressed(BufReader::with_capacity(64 * 1024, reader))?;
    let mut document = utf16::as_utf8(document)?;
    let xml = sitemap_xml::looks_like_xml(&mut document)?;
    Ok((document, xml))
}

/// Counts the entries (non-blank, non-comment lines) of list files, for the
/// progress bar's total. `None` when the total cannot be known before the
/// run: standard input, sitemaps, unreadable files.
pub fn count_entries(inputs: &[Input]) -> Option<u64> {
    let mut total = 0u64;
    // A line seen before is one row, not two: the total would otherwise
    // shrink when the input ends. (Lines that differ in text but are one URL
    // after normalisation still count twice; the total is corrected then.)
    let mut seen = Fingerprints::new();
    for input in inputs {
        match input {
            Input::Url(url) => total += u64::from(seen.insert(url)),
            Input::Stdin | Input::Sitemap(_) => return None,
            Input::File(path) if path.is_dir() || document_kind(path).is_some() => return None,
            Input::File(path) => {
                let (mut document, xml) = prepare(open_file(path).ok()?).ok()?;
                // A sitemap, or a CSV with a URL column: known as read.
                if xml || csv_list::url_column(document.fill_buf().ok()?).is_some() {
                    return None;
                }
                let mut list = ListReader::new(document);
                while let Some((_, entry)) = list.next_entry().ok()? {
                    let new = match entry {
                        ListEntry::Text(text) => seen.insert(text),
                        ListEntry::TooLong => true,
                    };
                    total += u64::from(new);
                }
            }
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_line_seen_before_is_not_counted_twice() {
        let mut list = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(
            &mut list,
            b"http://a.test/\nhttp://b.test/\n  http://a.test/ \n",
        )
        .unwrap();
        let inputs = [
            Input::File(list.path().to_path_buf()),
            Input::Url("http://b.test/".into()),
            Input::Url("http://c.test/".into()),
        ];
        assert_eq!(count_entries(&inputs), Some(3));
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
}
