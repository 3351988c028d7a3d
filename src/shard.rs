//! `--shard K/N`: one of N runs that split a list between them by host, so
//! that each host's URLs, and its politeness limits, live in one run.
//!
//! The split is a stable function of the host, the same on every machine
//! and in every version: FNV-1a, 64-bit (offset basis `0xcbf29ce484222325`,
//! prime `0x100000001b3`), over the bytes of the host as the normalised URL
//! has it (lower case, an international name in its punycode form, IPv6 in
//! brackets, no port), modulo N; shard K keeps the hosts whose value is
//! K − 1. An entry with no host (an invalid line, a `mailto:` URL, a file on
//! disk) is placed by the same function over its text, so that the N
//! reports together hold every row of the unsharded run exactly once.

use crate::types::{Error, TargetKind, fnv1a, host_key};

/// This run's part of the split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as given.
    pub k: u64,
    pub n: u64,
}

/// The environment variable a Kubernetes Indexed Job sets (0-based).
pub const INDEX_VARIABLE: &str = "JOB_COMPLETION_INDEX";

impl Shard {
    /// Parses `K/N` or `auto/N`, where `auto` is `index + 1` of a 0-based
    /// index (a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`).
    pub fn parse(text: &str, index: Option<&str>) -> Result<Shard, Error> {
        Self::parse_text(text, index).map_err(Error::Invalid)
    }

    fn parse_text(text: &str, index: Option<&str>) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("expected K/N or auto/N, got {text}"))?;
        let n: u64 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("N must be a whole number from 1, got {n}"))?;
        let k: u64 = if k.trim() == "auto" {
            let index = index.ok_or_else(|| {
                format!("auto/{n} needs the environment variable {INDEX_VARIABLE}")
            })?;
            let index: u64 = index
                .trim()
                .parse()
                .map_err(|_| format!("{INDEX_VARIABLE} must be a whole number, got {index}"))?;
            index + 1
        } else {
            k.trim()
                .parse()
                .map_err(|_| format!("K must be a whole number or auto, got {k}"))?
        };
        if k < 1 || k > n {
            return Err(format!("shard {k} is not between 1 and {n}"));
        }
        Ok(Shard { k, n })
    }

    /// Whether this run keeps the entry.
    pub fn keeps(&self, kind: &TargetKind, text: &str) -> bool {
        let key = match kind {
            TargetKind::Check(url) | TargetKind::Page(crate::types::Page { url, .. }) => {
                host_key(url)
            }
            // Excluded URLs and other schemes: by host when they have one.
            _ => match url::Url::parse(text) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {
                    return self.keeps_host(host_key(&url));
                }
                _ => text,
            },
        };
        self.keeps_host(key)
    }

    fn keeps_host(&self, host: &str) -> bool {
        fnv1a(host.as_bytes()) % self.n == self.k - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_parsed_and_checked() {
        assert_eq!(Shard::parse("2/3", None).unwrap(), Shard { k: 2, n: 3 });
        assert_eq!(
            Shard::parse("auto/3", Some("0")).unwrap(),
            Shard { k: 1, n: 3 }
        );
        assert_eq!(
            Shard::parse("auto/3", Some("2")).unwrap(),
            Shard { k: 3, n: 3 }
        );
        for bad in ["0/3", "4/3", "1/0", "x/2", "3", "auto/2"] {
            assert!(Shard::parse(bad, None).is_err(), "{bad}");
        }
        assert!(Shard::parse("auto/2", Some("2")).is_err());
        assert!(Shard::parse("auto/2", Some("one")).is_err());
    }

    #[test]
    fn every_entry_is_in_exactly_one_shard_and_a_host_in_one() {
        let n = 4;
        let shards: Vec<Shard> = (1..=n).map(|k| Shard { k, n }).collect();
        // As the input sorts them; the excluded one as --exclude would.
        let sort = |text: &str| match url::Url::parse(text) {
            _ if text.contains("excluded") => TargetKind::Skipped("excluded".into()),
            Ok(url) if matches!(url.scheme(), "http" | "https") => TargetKind::Check(url),
            Ok(_) => TargetKind::Skipped("not http".into()),
            Err(_) => TargetKind::Invalid("not a URL".into()),
        };
        let texts = [
            "http://a.test/1",
            "HTTP://A.TEST/2",
            "https://a.test:8443/3",
            "http://a.test/excluded",
            "http://b.test/",
            "http://bücher.test/",
            "not a url",
            "mailto:x@a.test",
        ];
        for text in texts {
            let kind = sort(text);
            let keeping = shards.iter().filter(|s| s.keeps(&kind, text)).count();
            assert_eq!(keeping, 1, "{text}");
        }
        let home = |text: &str| {
            let kind = sort(text);
            shards.iter().position(|s| s.keeps(&kind, text)).unwrap()
        };
        let a = home("http://a.test/1");
        // A host is its host key: the scheme's own port is the same host,
        // another port another host (which may be in another shard).
        for same_host in [
            "HTTP://A.TEST/2",
            "https://a.test:443/3",
            "http://a.test/excluded",
        ] {
            assert_eq!(home(same_host), a, "{same_host}");
        }
    }
}
