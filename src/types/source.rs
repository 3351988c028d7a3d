//! Where an entry was found ([`Source`]): an input's name, and the line and
//! column in it when the input has lines. Its text form is the report's
//! `source` column (`urls.txt:12`, `docs/a.md:3`, `argv`,
//! `https://site/sitemap.xml`); making it and reading it back happen here
//! and nowhere else.

use std::fmt;

use url::Url;

/// A place in the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// The text form: `name:line`, or the name alone.
    text: String,
    /// Where the name ends in `text`.
    name_len: usize,
    /// 1-based, when the input has lines.
    line: Option<u64>,
    /// 1-based, where known (not part of the text form).
    column: Option<u32>,
}

impl Source {
    /// A whole input, without lines: `argv`, a sitemap's URL, a file.
    pub fn whole(name: impl Into<String>) -> Source {
        let text = name.into();
        Source {
            name_len: text.len(),
            text,
            line: None,
            column: None,
        }
    }

    /// Line `line` (1-based) of input `name`, at `column` where known.
    pub fn at(name: &str, line: u64, column: Option<u32>) -> Source {
        Source {
            text: format!("{name}:{line}"),
            name_len: name.len(),
            line: Some(line),
            column,
        }
    }

    /// Reads a `source` column back. `name:line` when the text ends in a
    /// colon and digits, except where those are a URL's port
    /// (`http://a.test:8080`, a sitemap's address, has no line).
    pub fn parse(text: &str) -> Source {
        let Some((name, line)) = text.rsplit_once(':') else {
            return Source::whole(text);
        };
        let number = (!line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
            .then(|| line.parse::<u64>().ok())
            .flatten();
        let is_port = || {
            Url::parse(text).is_ok_and(|url| {
                url.has_host() && url.port().is_some_and(|port| port.to_string() == line)
            })
        };
        match number {
            Some(number) if !is_port() => Source {
                text: text.to_string(),
                name_len: name.len(),
                line: Some(number),
                column: None,
            },
            _ => Source::whole(text),
        }
    }

    /// The input's name: a file's path, `stdin`, `argv`, a URL.
    pub fn name(&self) -> &str {
        &self.text[..self.name_len]
    }

    pub fn line(&self) -> Option<u64> {
        self.line
    }

    pub fn column(&self) -> Option<u32> {
        self.column
    }

    /// The text form, as the `source` column has it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Changes the text with `change` (which must keep any `:line` at the
    /// end, as hiding a password in the name does), and reads it anew.
    pub fn rewrite(&mut self, change: impl FnOnce(&mut String)) {
        let column = self.column;
        let line = self.line;
        change(&mut self.text);
        let suffix = line.map_or(0, |line| line.to_string().len() + 1);
        self.name_len = self.text.len().saturating_sub(suffix);
        self.column = column;
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<&str> for Source {
    /// A place by its text form, as [`Source::parse`] reads it.
    fn from(text: &str) -> Source {
        Source::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_written_as_the_source_column_and_read_back() {
        let place = Source::at("docs/a.md", 3, Some(7));
        assert_eq!(place.as_str(), "docs/a.md:3");
        assert_eq!(
            (place.name(), place.line(), place.column()),
            ("docs/a.md", Some(3), Some(7))
        );
        let back = Source::parse("docs/a.md:3");
        assert_eq!((back.name(), back.line()), ("docs/a.md", Some(3)));
        assert_eq!(Source::parse("argv"), Source::whole("argv"));
        assert_eq!(Source::parse("argv").line(), None);
        // A page with a port, and a line: the last colon is the line's.
        let page = Source::parse("http://a.test:8080/x:12");
        assert_eq!(
            (page.name(), page.line()),
            ("http://a.test:8080/x", Some(12))
        );
        // A sitemap's address with a port has no line.
        let sitemap = Source::parse("http://a.test:8080");
        assert_eq!(
            (sitemap.name(), sitemap.line()),
            ("http://a.test:8080", None)
        );
        assert_eq!(Source::parse("list.txt:").line(), None);
        assert_eq!(Source::parse("C:x").line(), None);
    }

    #[test]
    fn a_rewritten_name_keeps_its_line() {
        let mut place = Source::at("http://u:secret@a.test/s.xml", 4, None);
        place.rewrite(|text| *text = text.replace("secret", "***"));
        assert_eq!(place.as_str(), "http://u:***@a.test/s.xml:4");
        assert_eq!(
            (place.name(), place.line()),
            ("http://u:***@a.test/s.xml", Some(4))
        );
    }
}
