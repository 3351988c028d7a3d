//! Retries: which answers are worth another attempt, and how long to wait
//! before it.

use std::time::Duration;

use super::answer::{Answer, Reply};
use super::options::CheckOptions;
use crate::types::ErrorKind;

/// First wait before a retry without Retry-After; doubled at each attempt.
const BACKOFF_BASE: Duration = Duration::from_millis(500);

/// How long to wait before trying again, or `None` to stop here.
/// Retried: connect errors (not a connect timeout), timeouts on a host that
/// has answered before (`host_answered`, asked only then; a host that never answered is
/// likely down, and a retry would only add a timeout), 429, 502, 503, 504.
/// The wait is the server's Retry-After when it gives one, else an
/// exponential backoff with jitter (so many URLs do not come back at
/// once), capped by `max_retry_wait` either way.
pub fn retry_wait(
    options: &CheckOptions,
    answer: &Answer,
    attempts: u32,
    host_answered: impl FnOnce() -> bool,
) -> Option<Duration> {
    if attempts > options.retries {
        return None;
    }
    let asked = match &answer.reply {
        Reply::Response {
            status: 429 | 502 | 503 | 504,
            retry_after,
            ..
        } => *retry_after,
        Reply::Failure(failure) if failure.kind == ErrorKind::Timeout && !host_answered() => {
            return None;
        }
        Reply::Failure(failure) if failure.retryable => None,
        _ => return None,
    };
    let wait = asked.unwrap_or_else(|| {
        let exponential = BACKOFF_BASE.saturating_mul(1 << (attempts - 1).min(16));
        exponential.mul_f64(0.5 + fastrand::f64() / 2.0)
    });
    Some(wait.min(options.max_retry_wait))
}
