//! What a host says of its rate limit before it says 429: the requests it
//! has left and when its window resets, from the header fields rate
//! limiters send with every answer.
//!
//! Read, in this order:
//! - `RateLimit: "name";r=R;t=T` (the IETF draft's current form) and
//!   `RateLimit: limit=L, remaining=R, reset=T` (its earlier form);
//! - `RateLimit-Remaining` with `RateLimit-Reset`;
//! - `X-RateLimit-Remaining` with `X-RateLimit-Reset` (GitHub, GitLab,
//!   Reddit, most API gateways), and `X-Rate-Limit-…` (Twitter). Their reset
//!   is seconds from now, or a Unix time (GitHub, Twitter) when it is larger
//!   than any window could be, in milliseconds when larger still.
//!
//! A quota needs both numbers: the requests left alone do not say how fast
//! they come back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// The requests a host has left in its window, and the time until the
/// window resets (or, for a token bucket, fills up again).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub remaining: u64,
    pub reset: Duration,
}

/// A reset larger than this many seconds is a Unix time, not a delay: no
/// window is 30 years long, and every Unix time since 2001 is larger.
const UNIX_TIME_FROM: f64 = 1e9;

/// A Unix time larger than this is in milliseconds (this many seconds is
/// the year 5138; as milliseconds, 1973).
const UNIX_MILLIS_FROM: f64 = 1e11;

impl Quota {
    /// The quota announced in `headers`, if any.
    pub fn of(headers: &HeaderMap) -> Option<Quota> {
        // Most answers have none of these fields: one look at the names is
        // cheaper than looking each field up by name (which hashes it).
        let announced = headers.keys().any(|name| {
            let name = name.as_str();
            name.starts_with("ratelimit")
                || name.starts_with("x-ratelimit")
                || name.starts_with("x-rate-limit")
        });
        if !announced {
            return None;
        }
        structured(headers)
            .or_else(|| pair(headers, "ratelimit-remaining", "ratelimit-reset"))
            .or_else(|| pair(headers, "x-ratelimit-remaining", "x-ratelimit-reset"))
            .or_else(|| pair(headers, "x-rate-limit-remaining", "x-rate-limit-reset"))
    }
}

/// `RateLimit`, in either form of the IETF draft.
fn structured(headers: &HeaderMap) -> Option<Quota> {
    let text = headers.get("ratelimit")?.to_str().ok()?;
    // The first policy is the one in force; `r`/`t` are parameters of an
    // item ("name";r=1;t=2), `remaining`/`reset` members of a dictionary.
    let first = text.split(',').next().unwrap_or_default();
    let mut remaining = None;
    let mut reset = None;
    for part in first.split(';').chain(text.split(',')) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "r" | "remaining" => remaining = remaining.or_else(|| value.trim().parse().ok()),
            "t" | "reset" => reset = reset.or_else(|| seconds(value)),
            _ => {}
        }
    }
    Some(Quota {
        remaining: remaining?,
        reset: reset?,
    })
}

/// A `…-Remaining` field with its `…-Reset`.
fn pair(headers: &HeaderMap, remaining: &str, reset: &str) -> Option<Quota> {
    let remaining = headers.get(remaining)?.to_str().ok()?.trim().parse().ok()?;
    let reset = seconds(headers.get(reset)?.to_str().ok()?)?;
    Some(Quota { remaining, reset })
}

/// Seconds from now, possibly with a fraction, or a Unix time.
fn seconds(text: &str) -> Option<Duration> {
    let value: f64 = text.trim().parse().ok()?;
    if !(value.is_finite() && value >= 0.0) {
        return None;
    }
    if value < UNIX_TIME_FROM {
        return Duration::try_from_secs_f64(value).ok();
    }
    let at = if value < UNIX_MILLIS_FROM {
        value
    } else {
        value / 1000.0
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    Some(Duration::try_from_secs_f64(at).ok()?.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(fields: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in fields {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn quota(remaining: u64, reset_ms: u64) -> Option<Quota> {
        Some(Quota {
            remaining,
            reset: Duration::from_millis(reset_ms),
        })
    }

    #[test]
    fn reads_the_ietf_forms() {
        let current = headers(&[
            ("ratelimit-policy", "\"default\";q=100;w=60"),
            ("ratelimit", "\"default\";r=42;t=30"),
        ]);
        assert_eq!(Quota::of(&current), quota(42, 30_000));
        let earlier = headers(&[("ratelimit", "limit=100, remaining=7, reset=2")]);
        assert_eq!(Quota::of(&earlier), quota(7, 2_000));
        let split = headers(&[("ratelimit-remaining", "3"), ("ratelimit-reset", "1")]);
        assert_eq!(Quota::of(&split), quota(3, 1_000));
    }

    #[test]
    fn reads_the_x_forms_with_delays_and_unix_times() {
        let delay = headers(&[
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1.5"),
        ]);
        assert_eq!(Quota::of(&delay), quota(0, 1_500));
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let at = (now.as_secs() + 120).to_string();
        let unix = headers(&[("x-rate-limit-remaining", "5"), ("x-rate-limit-reset", &at)]);
        let reset = Quota::of(&unix).unwrap().reset;
        assert!(reset > Duration::from_secs(110) && reset <= Duration::from_secs(120));
        let millis = (now.as_millis() + 60_000).to_string();
        let unix_ms = headers(&[
            ("x-ratelimit-remaining", "5"),
            ("x-ratelimit-reset", &millis),
        ]);
        let reset = Quota::of(&unix_ms).unwrap().reset;
        assert!(reset > Duration::from_secs(50) && reset <= Duration::from_secs(60));
        let past = headers(&[
            ("x-ratelimit-remaining", "5"),
            ("x-ratelimit-reset", "1600000000"),
        ]);
        assert_eq!(Quota::of(&past), quota(5, 0));
    }

    #[test]
    fn needs_both_numbers_and_sane_ones() {
        for fields in [
            &[("x-ratelimit-remaining", "5")][..],
            &[("x-ratelimit-reset", "5")],
            &[("x-ratelimit-remaining", "-1"), ("x-ratelimit-reset", "5")],
            &[
                ("x-ratelimit-remaining", "5"),
                ("x-ratelimit-reset", "soon"),
            ],
            &[("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "-3")],
            &[("ratelimit", "\"default\";q=5")],
            &[("content-type", "text/html")],
        ] {
            assert_eq!(Quota::of(&headers(fields)), None, "{fields:?}");
        }
    }
}
