//! Documents as inputs: Markdown, HTML and text files, and directories of
//! them, read for their links.
//!
//! A link's `source` is `path:line`. An absolute link is checked as any URL.
//! A relative link is resolved against `--base-url` (the document's URL being
//! the base URL joined with its path under the directory given), or else
//! against the document's own directory on disk, where it is checked for
//! existence without any request. A fragment (`#part`) of a local link is
//! ignored unless fragments are checked, when it must name an anchor of the
//! target document.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ignore::overrides::{Override, OverrideBuilder};
use url::Url;

use super::emitter::Emitter;
use super::links::{self, DocumentKind};
use crate::types::{Error, ErrorKind, Source, TargetKind};

/// Largest document read; a bigger file is an `error` row.
const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// How documents are read.
#[derive(Debug, Clone, Default)]
pub struct DocumentOptions {
    /// `--base-url`: where the directory given is published.
    pub base_url: Option<Url>,
    /// `--check-fragments`.
    pub check_fragments: bool,
    /// `--glob`, as given (ripgrep syntax; `!` excludes).
    pub globs: Vec<String>,
}

impl DocumentOptions {
    /// Checks the globs, so that a bad one is a usage error before the run.
    pub fn validate(&self) -> Result<(), Error> {
        overrides(Path::new("."), &self.globs)
            .map(|_| ())
            .map_err(Error::Invalid)
    }
}

fn overrides(root: &Path, globs: &[String]) -> Result<Override, String> {
    let mut builder = OverrideBuilder::new(root);
    for glob in globs {
        builder
            .add(glob)
            .map_err(|e| format!("--glob {glob}: {e}"))?;
    }
    builder.build().map_err(|e| format!("--glob: {e}"))
}

/// Reads documents for one run.
pub struct Documents {
    options: DocumentOptions,
    /// Anchors of documents already read for fragments, by path.
    anchors: HashMap<PathBuf, HashSet<String>>,
}

/// What a link points at, once resolved.
enum Resolved {
    /// A URL to check (absolute as written, or made absolute).
    Url(String),
    /// A file or directory on disk, and the fragment to find in it.
    Local {
        path: PathBuf,
        fragment: Option<String>,
    },
    /// Nothing to check (a bare `#part` with fragments not checked).
    Nothing,
}

impl Documents {
    pub(super) fn new(options: DocumentOptions) -> Documents {
        Documents {
            options,
            anchors: HashMap::new(),
        }
    }

    /// Reads every document under `dir`, honouring `.gitignore` and hidden
    /// files as ripgrep does, in file name order. Without a `--glob` that
    /// picks files, Markdown, HTML and `.txt` files are read; with one, the
    /// files it picks are (those of no known kind as text). Returns false
    /// when the run should stop reading.
    pub(super) fn directory(&mut self, dir: &Path, emitter: &mut Emitter) -> bool {
        let picked = match overrides(dir, &self.options.globs) {
            Ok(picked) => picked,
            Err(reason) => {
                let name = dir.display().to_string();
                return emitter.admit(&name, Source::whole(&name), TargetKind::Unreadable(reason));
            }
        };
        let by_glob = picked.num_whitelists() > 0;
        let walk = ignore::WalkBuilder::new(dir)
            .require_git(false)
            .overrides(picked)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let name = dir.display().to_string();
                    let reason = format!("cannot read: {error}");
                    let kind = TargetKind::Unreadable(reason.clone());
                    if !emitter.admit_place(&reason, &name, Source::whole(&name), kind) {
                        return false;
                    }
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let kind = match DocumentKind::of_name(&name) {
                Some(kind) => kind,
                None if by_glob || name.to_ascii_lowercase().ends_with(".txt") => {
                    DocumentKind::Text
                }
                None => continue,
            };
            if !self.file(path, dir, kind, emitter) {
                return false;
            }
        }
        true
    }

    /// Reads one document; `root` is where root-relative links (`/x`)
    /// start: the directory given, or a file's own directory.
    pub(super) fn file(
        &mut self,
        path: &Path,
        root: &Path,
        kind: DocumentKind,
        emitter: &mut Emitter,
    ) -> bool {
        // `headcheck .` walks `./a.md`; the source says `a.md:3`, as CI
        // annotations expect.
        let name = path.strip_prefix(".").unwrap_or(path).display().to_string();
        let text = match read_text(path) {
            Ok(text) => text,
            Err(reason) => {
                return emitter.admit(&name, Source::whole(&name), TargetKind::Unreadable(reason));
            }
        };
        let found = links::extract(kind, &text);
        let base = found
            .base
            .as_deref()
            .and_then(|base| Url::parse(base).ok())
            .or_else(|| self.document_url(path, root));
        for link in found.links {
            let source = Source::at(&name, link.line, link.column);
            if is_template(&link.target) {
                // `{{ site.url }}/x`, `{% link a.md %}`, Hugo's `{{< ref >}}`:
                // filled in when the site is built, not a path or URL yet.
                let kind = TargetKind::Skipped("template".to_string());
                if !emitter.emit_as(&link.target, source, kind) {
                    return false;
                }
                continue;
            }
            let keep_going = match self.resolve(&link.target, path, root, base.as_ref()) {
                Resolved::Url(url) => emitter.emit_link(&url, source),
                Resolved::Local { path, fragment } => {
                    let problem = self.local_problem(&path, fragment.as_deref());
                    let mut text = path.display().to_string();
                    if let Some(fragment) = &fragment {
                        text.push('#');
                        text.push_str(fragment);
                    }
                    emitter.emit_as(&text, source, TargetKind::File { problem })
                }
                Resolved::Nothing => true,
            };
            if !keep_going {
                return false;
            }
        }
        true
    }

    /// The document's published URL under `--base-url`.
    fn document_url(&self, path: &Path, root: &Path) -> Option<Url> {
        let base = self.options.base_url.as_ref()?;
        let relative = path.strip_prefix(root).unwrap_or(path);
        let relative: Vec<String> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        // Joined as a relative reference, so the base's path is kept
        // (`https://site/docs/` + `guide/a.md`); a base without a trailing
        // slash names a directory all the same.
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            let with_slash = format!("{}/", base.path());
            base.set_path(&with_slash);
        }
        let encoded: Vec<String> = relative
            .iter()
            .map(|part| percent_encoding::utf8_percent_encode(part, SEGMENT).to_string())
            .collect();
        base.join(&encoded.join("/")).ok()
    }

    fn resolve(&self, target: &str, document: &Path, root: &Path, base: Option<&Url>) -> Resolved {
        let target = target.trim();
        match Url::parse(target) {
            Err(url::ParseError::RelativeUrlWithoutBase) => {}
            // Absolute (any scheme), or not a URL at all: the usual rows.
            _ => return Resolved::Url(target.to_string()),
        }
        let (reference, fragment) = match target.split_once('#') {
            Some((reference, fragment)) => (reference, Some(fragment)),
            None => (target, None),
        };
        if reference.is_empty() {
            // A link within the document itself.
            return match fragment {
                Some(fragment) if self.options.check_fragments => Resolved::Local {
                    path: document.to_path_buf(),
                    fragment: Some(fragment.to_string()),
                },
                _ => Resolved::Nothing,
            };
        }
        if let Some(base) = base {
            return match base.join(target) {
                Ok(url) => Resolved::Url(url.to_string()),
                Err(_) => Resolved::Url(target.to_string()),
            };
        }
        if reference.starts_with("//") {
            // Protocol-relative: the web's default scheme.
            return Resolved::Url(format!("https:{target}"));
        }
        let reference = reference.split('?').next().unwrap_or_default();
        let decoded = percent_encoding::percent_decode_str(reference).decode_utf8_lossy();
        let path = match decoded.strip_prefix('/') {
            // `/../x` is `/x`: nothing is above the root, as on a web server.
            Some(from_root) => root.join(
                normalise(&Path::new("/").join(from_root))
                    .strip_prefix("/")
                    .unwrap_or(Path::new("")),
            ),
            None => document.parent().unwrap_or(Path::new("")).join(&*decoded),
        };
        Resolved::Local {
            path: normalise(&path),
            fragment: fragment
                .filter(|f| self.options.check_fragments && !f.is_empty())
                .map(str::to_string),
        }
    }

    /// Why a local link is broken, if it is.
    fn local_problem(
        &mut self,
        path: &Path,
        fragment: Option<&str>,
    ) -> Option<(ErrorKind, String)> {
        if !path.exists() {
            return Some((ErrorKind::MissingFile, "file not found".to_string()));
        }
        let fragment = fragment?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let Some(kind) = DocumentKind::of_name(&name) else {
            // No anchors to look for in other files (images, PDFs...).
            return None;
        };
        let problem = links::missing_fragment(fragment, |anchor| {
            let anchors = self.anchors.entry(path.to_path_buf()).or_insert_with(|| {
                read_text(path)
                    .map(|text| links::anchors(kind, &text))
                    .unwrap_or_default()
            });
            anchors.contains(anchor)
        })?;
        Some((ErrorKind::Fragment, problem))
    }
}

/// Whether a link's target is a template's placeholder (Liquid, Jinja,
/// Hugo shortcodes), not a link yet.
fn is_template(target: &str) -> bool {
    let opened = |open: &str, close: &str| {
        target
            .find(open)
            .is_some_and(|at| target[at + open.len()..].contains(close))
    };
    opened("{{", "}}") || opened("{%", "%}")
}

/// Characters escaped in a path segment of a document's URL.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// A document's text (invalid UTF-8 replaced), or why it cannot be read.
fn read_text(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "document larger than {} MiB",
            MAX_DOCUMENT_BYTES >> 20
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `a/b/../c/./d` → `a/c/d`, without touching the disk (a link is resolved
/// as written, whatever symbolic links there are).
fn normalise(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_placeholders_are_not_links_yet() {
        for template in [
            "{{ site.baseurl }}/x",
            "{{site.url}}",
            "{% link _posts/a.md %}",
            "{{< ref \"a.md\" >}}",
        ] {
            assert!(is_template(template), "{template}");
        }
        for link in ["https://a.test/{x}", "a.md#{{", "}}{{", "guide.md"] {
            assert!(!is_template(link), "{link}");
        }
    }

    #[test]
    fn paths_are_normalised_as_written() {
        assert_eq!(
            normalise(Path::new("docs/guide/../api.md")),
            PathBuf::from("docs/api.md")
        );
        assert_eq!(normalise(Path::new("./a/./b")), PathBuf::from("a/b"));
        assert_eq!(normalise(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(normalise(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalise(Path::new("a/..")), PathBuf::from("."));
    }

    #[test]
    fn documents_get_their_published_url() {
        let documents = Documents::new(DocumentOptions {
            base_url: Some(Url::parse("https://site.test/docs").unwrap()),
            ..DocumentOptions::default()
        });
        let url = documents
            .document_url(Path::new("root/guide/my page.md"), Path::new("root"))
            .unwrap();
        assert_eq!(url.as_str(), "https://site.test/docs/guide/my%20page.md");
    }
}
