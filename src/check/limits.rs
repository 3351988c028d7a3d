//! Concurrency and politeness limits: who may send a request now.
//!
//! A URL waits here just before each request it sends, in this order:
//! 1. its host's turn (`--per-host` requests in flight per host);
//! 2. its host's backoff (a host that answered 429 or 503 is left alone
//!    until the time it asked for, by every URL of that host);
//! 3. its host's pacing (`--rate-per-host`);
//! 4. a global slot (`-c`).
//!
//! The global slot is taken last, at the moment the request goes out, and
//! given back as soon as its response headers are in. So a URL waiting for a
//! slow, rate-limited or backing-off host never holds a global slot, and
//! never starves the other hosts.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitOptions {
    /// Requests in flight in total.
    pub concurrency: usize,
    /// Requests in flight per host.
    pub per_host: usize,
    /// Requests per second per host, if limited.
    pub rate_per_host: Option<f64>,
}

/// Shared by every check of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    global: Arc<Semaphore>,
    options: LimitOptions,
    /// Per-host state, created on first use. It lives for the run: its size
    /// grows with the number of distinct hosts, not URLs.
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

#[derive(Debug)]
struct Host {
    slots: Arc<Semaphore>,
    pacing: Option<DefaultDirectRateLimiter>,
    /// No request to this host before this instant.
    not_before: Mutex<Option<Instant>>,
    /// The host has sent a response (any status) in this run.
    answered: AtomicBool,
}

/// Held while one request is in flight.
#[derive(Debug)]
pub struct Permit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
    host: Arc<Host>,
}

impl Permit {
    /// Notes that the host sent a response: it is up, whatever it said.
    pub fn answered(&self) {
        self.host.answered.store(true, Ordering::Relaxed);
    }
}

impl Limits {
    pub fn new(options: LimitOptions) -> Limits {
        let permits = |n: usize| n.clamp(1, Semaphore::MAX_PERMITS);
        Limits {
            inner: Arc::new(Inner {
                global: Arc::new(Semaphore::new(permits(options.concurrency))),
                options: LimitOptions {
                    concurrency: permits(options.concurrency),
                    per_host: permits(options.per_host),
                    ..options
                },
                hosts: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Waits for the right to send one request to `host`.
    pub async fn acquire(&self, host: &str) -> Permit {
        let host = self.host(host);
        let host_permit = Arc::clone(&host.slots)
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        // Backoff may be extended by another URL while this one sleeps.
        loop {
            let not_before = *lock(&host.not_before);
            match not_before {
                Some(at) if at > Instant::now() => tokio::time::sleep_until(at).await,
                _ => break,
            }
        }
        if let Some(pacing) = &host.pacing {
            pacing.until_ready().await;
        }
        let global = Arc::clone(&self.inner.global)
            .acquire_owned()
            .await
            .expect("the global semaphore is never closed");
        Permit {
            _host: host_permit,
            _global: global,
            host,
        }
    }

    /// Whether `host` has sent any response in this run.
    pub fn has_answered(&self, host: &str) -> bool {
        self.host(host).answered.load(Ordering::Relaxed)
    }

    /// Holds every request to `host` back for `wait` (from now), because it
    /// answered 429 or 503. A later deadline already set is kept.
    pub fn back_off(&self, host: &str, wait: Duration) {
        let host = self.host(host);
        let until = Instant::now() + wait;
        let mut not_before = lock(&host.not_before);
        if not_before.is_none_or(|at| at < until) {
            *not_before = Some(until);
        }
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = lock(&self.inner.hosts);
        if let Some(host) = hosts.get(name) {
            return Arc::clone(host);
        }
        let host = Arc::new(Host {
            slots: Arc::new(Semaphore::new(self.inner.options.per_host)),
            pacing: self.inner.options.rate_per_host.and_then(pacing),
            not_before: Mutex::new(None),
            answered: AtomicBool::new(false),
        });
        hosts.insert(name.to_string(), Arc::clone(&host));
        host
    }
}

/// A limiter that lets one request through every 1/rate seconds, without
/// bursts: a polite crawler spaces its requests.
fn pacing(rate: f64) -> Option<DefaultDirectRateLimiter> {
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
    Some(RateLimiter::direct(quota))
}

/// Locks a mutex, ignoring poisoning: the guarded values stay valid even if
/// a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(concurrency: usize, per_host: usize) -> Limits {
        Limits::new(LimitOptions {
            concurrency,
            per_host,
            rate_per_host: None,
        })
    }

    #[tokio::test]
    async fn per_host_slots_do_not_take_global_ones() {
        let limits = limits(2, 1);
        let held = limits.acquire("slow.test").await;
        // slow.test has no slot left; a second request to it waits without
        // taking the remaining global slot, which fast.test can use.
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move { limits.acquire("slow.test").await }
        });
        tokio::task::yield_now().await;
        let fast = limits.acquire("fast.test").await;
        assert!(!waiting.is_finished());
        drop(held);
        let _second = waiting.await.unwrap();
        drop(fast);
    }

    #[tokio::test(start_paused = true)]
    async fn back_off_holds_a_host_until_its_deadline() {
        let limits = limits(8, 8);
        limits.back_off("busy.test", Duration::from_secs(30));
        let start = Instant::now();
        let _other = limits.acquire("calm.test").await;
        assert_eq!(Instant::now(), start, "other hosts are not held");
        let _busy = limits.acquire("busy.test").await;
        assert!(Instant::now() >= start + Duration::from_secs(30));
    }

    #[test]
    fn pacing_rejects_nonsense_rates() {
        assert!(pacing(0.0).is_none());
        assert!(pacing(f64::NAN).is_none());
        assert!(pacing(0.5).is_some());
        assert!(pacing(1000.0).is_some());
    }
}
