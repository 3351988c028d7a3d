//! `--accept`: which HTTP statuses count as ok.

use std::ops::RangeInclusive;
use std::str::FromStr;

use super::error::Error;

/// A set of accepted statuses, parsed from `200..=299,403`-style lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    ranges: Vec<RangeInclusive<u16>>,
}

impl Default for Accept {
    fn default() -> Self {
        Accept {
            ranges: vec![200..=299],
        }
    }
}

impl Accept {
    pub fn contains(&self, status: u16) -> bool {
        self.ranges.iter().any(|range| range.contains(&status))
    }
}

impl FromStr for Accept {
    type Err = Error;

    /// Accepts `N`, `A..=B` (inclusive) and `A..B` (exclusive, as in Rust and
    /// lychee), separated by commas. Statuses are 100 to 999.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || {
            Error::Invalid(format!(
                "invalid status list {text:?}: expected e.g. 200..=299,403 \
                 (A..=B inclusive, A..B exclusive)"
            ))
        };
        let status = |s: &str| {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (100..=999).contains(n))
                .ok_or_else(err)
        };
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let range = if let Some((lo, hi)) = part.split_once("..=") {
                status(lo)?..=status(hi)?
            } else if let Some((lo, hi)) = part.split_once("..") {
                let hi = status(hi)?;
                status(lo)?..=hi.checked_sub(1).ok_or_else(err)?
            } else {
                let n = status(part)?;
                n..=n
            };
            if range.is_empty() {
                return Err(err());
            }
            ranges.push(range);
        }
        if ranges.is_empty() {
            return Err(err());
        }
        Ok(Accept { ranges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_single_statuses() {
        let accept: Accept = "200..=299, 403,300..302".parse().unwrap();
        for ok in [200, 250, 299, 403, 300, 301] {
            assert!(accept.contains(ok), "{ok}");
        }
        for no in [199, 302, 404, 500] {
            assert!(!accept.contains(no), "{no}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "abc", "200..=", "299..=200", "99", "1000", "200..200"] {
            assert!(bad.parse::<Accept>().is_err(), "{bad:?}");
        }
    }
}
