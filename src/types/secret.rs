//! Passwords in URLs (`https://user:pw@host/`) are sent to their host and
//! never written anywhere: every text that leaves the program shows
//! `user:***@host` instead.

use std::borrow::Cow;

/// What a password is shown as.
pub const HIDDEN: &str = "***";

/// `text` with the password of every URL in it replaced by `***`; borrowed
/// when there is none, which is almost always.
pub fn hide_passwords(text: &str) -> Cow<'_, str> {
    if !text.as_bytes().contains(&b'@') || !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(found) = rest.find("://") {
        let start = found + 3;
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '<' | '>') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority.rfind('@').and_then(|at| {
            let colon = authority[..at].find(':')?;
            Some((colon, at))
        }) {
            Some((colon, at)) if &authority[colon + 1..at] != HIDDEN => {
                out.push_str(&authority[..=colon]);
                out.push_str(HIDDEN);
                out.push_str(&authority[at..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Replaces `text` with [`hide_passwords`]'s version when that differs.
pub fn hide_passwords_in(text: &mut String) {
    if let Cow::Owned(hidden) = hide_passwords(text) {
        *text = hidden;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_a_url_is() {
        assert_eq!(
            hide_passwords("https://user:s3cret@host.test/x"),
            "https://user:***@host.test/x"
        );
        assert_eq!(
            hide_passwords("redirect loop at http://a:b@h.test/ after http://c:d@i.test"),
            "redirect loop at http://a:***@h.test/ after http://c:***@i.test"
        );
        // A password with an @ of its own, percent-encoded or not.
        assert_eq!(
            hide_passwords("http://u:p@ss@h.test/"),
            "http://u:***@h.test/"
        );
    }

    #[test]
    fn texts_without_a_password_are_borrowed() {
        for text in [
            "https://host.test/a@b",
            "https://user@host.test/",
            "mailto:someone@host.test",
            "https://user:***@host.test/",
            "https://host.test/?next=http://x.test/@y",
        ] {
            assert!(matches!(hide_passwords(text), Cow::Borrowed(_)), "{text}");
        }
    }
}
