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
//! given back as soon as its response headers are in, or when the request
//! stalls: a request with no answer after `--stall-after` trades its global
//! slot for one of as many stall slots (keeping its host's slot and its
//! timeout), so hanging servers cannot hold every slot; at most `-c`
//! requests are stalled at once, so open sockets stay below 2 × `-c`. So a
//! URL waiting for a slow, rate-limited, backing-off or hanging host never
//! holds a global slot for long, and never starves the other hosts.
//!
//! The requests waiting at their host (steps 1 to 3) and the stalled ones
//! are counted as parked ([`Limits::parked`]), and the run is told each
//! time one parks ([`Limits::parking`]): it starts about `-c` checks plus
//! the parked ones, so that the global slots stay busy while few checks
//! queue for them, and its own ranking of hosts, not the order checks
//! reached this queue, decides who gets the next free slot.
//!
//! A host that answers 429 or 503 is asked more slowly: its backoff holds
//! every URL of the host (answers of one burst share one pause, the latest
//! deadline), and the first such answer of a burst halves the host's
//! concurrency (at least 1), which grows back by one after every
//! [`GROW_AFTER`] answers that are neither 429 nor 503. The burst also
//! spaces the host's requests by the rate it has shown: half the rate of
//! its calm answers so far at the first burst (that rate includes the
//! allowance a rate limiter grants at first), and at each later burst the
//! rate of its calm answers since the first one, pauses included, which is
//! the rate the host grants over time. Both rates are over the time the host
//! was being asked (a request of it waiting or in flight), not the run's: a
//! host the run left alone while other hosts went first has not shown that
//! it is slow. Concurrency alone cannot do this: one
//! request at a time to a host 40 ms away is 25 requests a second. Once the
//! concurrency is back, the rate grows by an eighth after every
//! [`PROBE_AFTER`] calm answers, so a rate learned too low is found again.
//! So a rate-limited host is asked at the pace it can take, instead of
//! being hit by all its slots again after each pause.
//!
//! A host that announces its quota with its answers (`RateLimit`,
//! `X-RateLimit-Remaining` and `-Reset`, see [`Quota`]) need not be pushed
//! to 429 to be learned: once the requests it has left are few enough that
//! its slots could spend them ([`LOW_QUOTA`] per slot), it is asked no
//! faster than those requests spread over the time to its reset, and with
//! none left, not before the reset (the caller holds it back).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, RateLimiter};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use super::quota::Quota;

/// Requests in flight in total (`-c`).
pub const DEFAULT_CONCURRENCY: usize = 128;
/// Requests in flight to one host (`--per-host`).
pub const DEFAULT_PER_HOST: usize = 8;

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitOptions {
    /// Requests in flight in total.
    pub concurrency: usize,
    /// Requests in flight per host.
    pub per_host: usize,
    /// Requests per second per host, if limited.
    pub rate_per_host: Option<f64>,
    /// The longest a host is held back by what it said (`--max-retry-wait`):
    /// a pause, pauses merged into one, or the gap a learned or announced
    /// pace puts between two of its requests.
    pub max_wait: Duration,
}

/// The command line's defaults.
impl Default for LimitOptions {
    fn default() -> Self {
        LimitOptions {
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
            rate_per_host: None,
            max_wait: super::options::DEFAULT_MAX_RETRY_WAIT,
        }
    }
}

/// Shared by every check of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    global: Arc<Semaphore>,
    /// Slots of stalled requests, as many as global ones.
    stalled: Arc<Semaphore>,
    options: LimitOptions,
    /// Per-host state, created on first use. It lives for the run: its size
    /// grows with the number of distinct hosts, not URLs. Looked up twice
    /// for every URL, so hashed with foldhash: SipHash, the default, cost
    /// 0.6% of the run loop's instructions here.
    hosts: Mutex<HashMap<String, Arc<Host>, foldhash::fast::RandomState>>,
    /// Where the names of hosts that have never answered go when one of
    /// their requests stalls, once the run asks for them.
    silent: Mutex<Option<mpsc::UnboundedSender<String>>>,
    parking: Arc<Parking>,
}

/// Requests that wait at their host or have stalled: they hold no global
/// slot and wait for none.
#[derive(Debug, Default)]
struct Parking {
    parked: AtomicUsize,
    /// Told each time a request parks.
    news: Notify,
}

/// Held while one request is parked.
#[derive(Debug)]
struct Parked(Arc<Parking>);

impl Parked {
    fn new(parking: &Arc<Parking>) -> Parked {
        parking.parked.fetch_add(1, Ordering::Relaxed);
        parking.news.notify_one();
        Parked(Arc::clone(parking))
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.0.parked.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Host {
    name: String,
    slots: Arc<Semaphore>,
    pacing: Option<DefaultDirectRateLimiter>,
    /// The host's pause: since when, and no request to it before when.
    pause: Mutex<Option<Pause>>,
    /// The longest gap a learned or announced pace puts between two
    /// requests: [`MAX_SPACING`], or `--max-retry-wait` if shorter.
    max_spacing: Duration,
    /// The host has sent a response (any status) in this run.
    answered: AtomicBool,
    /// URLs whose HEAD was answered wrongly and GET rightly.
    wrong_heads: AtomicU32,
    /// Set while the host's concurrency is below `--per-host`: the common
    /// case reads this flag, not the lock.
    slowed: AtomicBool,
    /// Answers neither 429 nor 503, for the rate the host has shown.
    calm_answers: AtomicU32,
    /// The time the host has been asked: the rate it has shown is its calm
    /// answers over this time, not over the run's, in which the run may
    /// have asked it little (other hosts went first) or not at all.
    asked: Mutex<Asked>,
    pace: Mutex<Pace>,
}

/// Time during which a host had a request waiting for its turn or in
/// flight.
#[derive(Debug)]
struct Asked {
    /// Such requests now.
    requests: usize,
    /// Since when there have been some (while `requests` > 0).
    since: Instant,
    /// The time with some before `since`.
    before: Duration,
}

impl Asked {
    fn total(&self, now: Instant) -> Duration {
        match self.requests {
            0 => self.before,
            _ => self.before + now.saturating_duration_since(self.since),
        }
    }
}

/// Held from the moment a request asks for its turn at a host until it is
/// answered (or given up): the host is being asked.
#[derive(Debug)]
struct Asking(Arc<Host>);

impl Asking {
    fn new(host: &Arc<Host>) -> Asking {
        let mut asked = lock(&host.asked);
        if asked.requests == 0 {
            asked.since = Instant::now();
        }
        asked.requests += 1;
        drop(asked);
        Asking(Arc::clone(host))
    }
}

impl Drop for Asking {
    fn drop(&mut self) {
        let mut asked = lock(&self.0.asked);
        asked.requests -= 1;
        if asked.requests == 0 {
            let since = asked.since;
            asked.before += since.elapsed();
        }
    }
}

/// A host held back because it said 429 or 503 (or that its quota is
/// spent).
#[derive(Debug, Clone, Copy)]
struct Pause {
    since: Instant,
    until: Instant,
}

/// How many requests the host takes at once now.
#[derive(Debug)]
struct Pace {
    allowed: usize,
    /// Slots still to take out of the semaphore as requests finish (they
    /// were in use when the concurrency was cut).
    debt: usize,
    /// Answers neither 429 nor 503 since the last change.
    calm: u32,
    /// When the concurrency was last cut.
    cut_at: Option<Instant>,
    /// The first cut: the time the host had been asked then, and the calm
    /// answers counted then; the start of the window over which the host's
    /// rate is measured.
    first_cut: Option<(Duration, u32)>,
    /// Requests per second the host is asked at, once it has cut.
    rate: Option<f64>,
    /// Requests per second its latest announced quota allows, while that
    /// quota is low.
    announced: Option<f64>,
    /// When the last request spaced by a rate went.
    last_turn: Option<Instant>,
    /// The least time between two requests that the host asked for (its
    /// robots.txt's `Crawl-delay`, when crawling).
    floor: Option<Duration>,
}

/// HEAD-wrong, GET-right answers after which a host is asked with GET alone.
pub const WRONG_HEADS: u32 = 3;

/// Calm answers after which a slowed host gets one more slot back.
pub const GROW_AFTER: u32 = 4;

/// Calm answers, once a slowed host's concurrency is back, after which its
/// rate grows by an eighth.
pub const PROBE_AFTER: u32 = 16;

/// Requests left per `--per-host` slot under which an announced quota paces
/// its host: above it, even every slot in flight leaves some over.
pub const LOW_QUOTA: u64 = 2;

/// The longest spacing a learned or announced rate imposes (a host that has
/// answered nothing but 429 is still asked now and then; its Retry-After
/// rules; a quota for an hour is spent before the hour is out, its reset
/// holding the host back once it is).
const MAX_SPACING: Duration = Duration::from_secs(4);

/// A learned rate above which spacing no longer matters (the concurrency
/// limits first), and is dropped.
const FAST_ENOUGH: f64 = 1000.0;

impl Host {
    /// A 429 or 503 to a request sent at `sent`: halves the host's
    /// concurrency, once per burst (the answer to a request sent before the
    /// last cut belongs to the burst that caused it).
    fn slow_down(&self, sent: Instant) {
        let mut pace = lock(&self.pace);
        if pace.cut_at.is_some_and(|cut| sent <= cut) {
            return;
        }
        let now = Instant::now();
        pace.cut_at = Some(now);
        let calm = self.calm_answers.load(Ordering::Relaxed);
        let asked = lock(&self.asked).total(now);
        let shown = match pace.first_cut {
            None => {
                pace.first_cut = Some((asked, calm));
                rate_of(calm, asked) / 2.0
            }
            Some((at, before)) => rate_of(calm - before, asked.saturating_sub(at)),
        };
        let rate = pace.rate.map_or(shown, |rate| rate.min(shown));
        pace.rate = Some(rate.max(1.0 / MAX_SPACING.as_secs_f64()));
        let allowed = (pace.allowed / 2).max(1);
        let cut = pace.allowed - allowed;
        pace.allowed = allowed;
        pace.calm = 0;
        pace.debt += cut - self.slots.forget_permits(cut);
        self.slowed.store(true, Ordering::Relaxed);
    }

    /// Any other answer: after [`GROW_AFTER`] of them, one slot back; with
    /// every slot back, after [`PROBE_AFTER`] of them, an eighth more rate.
    fn calm_down(&self, per_host: usize) {
        self.calm_answers.fetch_add(1, Ordering::Relaxed);
        if !self.slowed.load(Ordering::Relaxed) {
            return;
        }
        let mut pace = lock(&self.pace);
        pace.calm += 1;
        if pace.allowed < per_host {
            if pace.calm < GROW_AFTER {
                return;
            }
            pace.calm = 0;
            pace.allowed += 1;
            if pace.debt > 0 {
                pace.debt -= 1;
            } else {
                self.slots.add_permits(1);
            }
        } else if pace.calm >= PROBE_AFTER {
            pace.calm = 0;
            pace.rate = pace
                .rate
                .map(|rate| rate * 1.125)
                .filter(|&rate| rate < FAST_ENOUGH);
        }
        if pace.allowed >= per_host
            && pace.debt == 0
            && pace.rate.is_none()
            && pace.announced.is_none()
            && pace.floor.is_none()
        {
            self.slowed.store(false, Ordering::Relaxed);
        }
    }

    /// A quota announced with an answer: a low one spaces the host's
    /// requests by the rate it allows; a high one ends that spacing. With
    /// none left (the caller holds the host back until the reset), the
    /// spacing is one request per reset: after the reset, one goes first,
    /// and its answer tells the new quota.
    fn heed(&self, quota: Quota, per_host: usize) {
        let low = quota.remaining <= LOW_QUOTA.saturating_mul(per_host as u64);
        let allows = (low && !quota.reset.is_zero()).then(|| {
            let rate = quota.remaining.max(1) as f64 / quota.reset.as_secs_f64();
            rate.max(1.0 / MAX_SPACING.as_secs_f64())
        });
        let mut pace = lock(&self.pace);
        pace.announced = allows;
        if allows.is_some() {
            self.slowed.store(true, Ordering::Relaxed);
        }
    }

    /// The time this host's next request may go by its learned or
    /// announced rate, or the spacing it asked for, or `None` to go now
    /// (taking the turn). A request told to wait asks again then: the rate
    /// may have changed meanwhile.
    fn take_turn(&self) -> Option<Instant> {
        if !self.slowed.load(Ordering::Relaxed) {
            return None;
        }
        let mut pace = lock(&self.pace);
        let rate = match (pace.rate, pace.announced) {
            (Some(learned), Some(announced)) => Some(learned.min(announced)),
            (learned, announced) => learned.or(announced),
        };
        let by_rate = rate.map(|rate| Duration::from_secs_f64(1.0 / rate).min(self.max_spacing));
        // Option's order puts None first: either spacing, or the longer.
        let spacing = by_rate.max(pace.floor)?;
        let now = Instant::now();
        if let Some(last) = pace.last_turn {
            let at = last + spacing;
            if at > now {
                return Some(at);
            }
        }
        pace.last_turn = Some(now);
        None
    }

    /// Whether a 429 or 503 holds this host back now.
    fn held_back(&self) -> Option<Instant> {
        let pause = *lock(&self.pause);
        pause
            .map(|pause| pause.until)
            .filter(|&at| at > Instant::now())
    }

    /// Whether a finished request's slot goes to the debt instead of back.
    fn pay_debt(&self) -> bool {
        if !self.slowed.load(Ordering::Relaxed) {
            return false;
        }
        let mut pace = lock(&self.pace);
        if pace.debt == 0 {
            return false;
        }
        pace.debt -= 1;
        true
    }
}

/// Held while one request is in flight.
#[derive(Debug)]
pub struct Permit {
    slot: Option<OwnedSemaphorePermit>,
    /// The global slot, traded for a stall slot when the request stalls.
    global: Option<OwnedSemaphorePermit>,
    stalled: Option<(OwnedSemaphorePermit, Parked)>,
    /// Dropped after the host's slot is given back (fields drop in order).
    _asking: Asking,
    host: Arc<Host>,
    per_host: usize,
    /// When the request was let go.
    sent: Instant,
}

impl Permit {
    /// Whether the host has sent any response in this run (so far).
    pub fn host_answered(&self) -> bool {
        self.host.answered.load(Ordering::Relaxed)
    }

    /// Notes that the host sent a response with `status`, and `quota` if
    /// it announced one: it is up, whatever it said, and asks to be asked
    /// more slowly if it said 429 or 503, or that its quota runs low.
    pub fn answered(&self, status: u16, quota: Option<Quota>) {
        self.host.answered.store(true, Ordering::Relaxed);
        if let Some(quota) = quota {
            self.host.heed(quota, self.per_host);
        }
        if matches!(status, 429 | 503) {
            self.host.slow_down(self.sent);
        } else {
            self.host.calm_down(self.per_host);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if self.host.pay_debt()
            && let Some(slot) = self.slot.take()
        {
            slot.forget();
        }
    }
}

impl Limits {
    pub fn new(options: LimitOptions) -> Limits {
        let permits = |n: usize| n.clamp(1, Semaphore::MAX_PERMITS);
        Limits {
            inner: Arc::new(Inner {
                global: Arc::new(Semaphore::new(permits(options.concurrency))),
                stalled: Arc::new(Semaphore::new(permits(options.concurrency))),
                options: LimitOptions {
                    concurrency: permits(options.concurrency),
                    per_host: permits(options.per_host),
                    ..options
                },
                hosts: Mutex::new(HashMap::default()),
                silent: Mutex::new(None),
                parking: Arc::default(),
            }),
        }
    }

    /// Waits for the right to send one request to `host`.
    pub async fn acquire(&self, host: &str) -> Permit {
        let host = self.host(host);
        let asking = Asking::new(&host);
        // Parked while it waits at its host, and only if it must wait.
        let mut parked = None;
        let mut park = || {
            parked.get_or_insert_with(|| Parked::new(&self.inner.parking));
        };
        let host_permit = match Arc::clone(&host.slots).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                park();
                Arc::clone(&host.slots)
                    .acquire_owned()
                    .await
                    .expect("host semaphores are never closed")
            }
        };
        // Backoff may be extended by another URL while this one sleeps, or
        // waits for its turn at the host's learned or announced rate.
        loop {
            while let Some(at) = host.held_back() {
                park();
                tokio::time::sleep_until(at).await;
            }
            if let Some(at) = host.take_turn() {
                park();
                tokio::time::sleep_until(at).await;
                continue;
            }
            if host.held_back().is_none() {
                break;
            }
        }
        if let Some(pacing) = &host.pacing
            && pacing.check().is_err()
        {
            park();
            pacing.until_ready().await;
        }
        drop(parked);
        let global = Arc::clone(&self.inner.global)
            .acquire_owned()
            .await
            .expect("the global semaphore is never closed");
        Permit {
            slot: Some(host_permit),
            global: Some(global),
            stalled: None,
            _asking: asking,
            host,
            per_host: self.inner.options.per_host,
            sent: Instant::now(),
        }
    }

    /// The request holding `permit` has had no answer for `--stall-after`:
    /// it gives its global slot back for a stall slot, if one is free (else
    /// it keeps counting against `-c`). Returns whether it did.
    pub fn stall(&self, permit: &mut Permit) -> bool {
        if permit.stalled.is_some() {
            return true;
        }
        if !permit.host_answered()
            && let Some(silent) = &*lock(&self.inner.silent)
        {
            // The run may be gone already; then nobody needs to know.
            let _ = silent.send(permit.host.name.clone());
        }
        match Arc::clone(&self.inner.stalled).try_acquire_owned() {
            Ok(stalled) => {
                permit.stalled = Some((stalled, Parked::new(&self.inner.parking)));
                permit.global = None;
                true
            }
            Err(_) => false,
        }
    }

    /// From now on, the key of a host ([`crate::types::host_key`]) that has
    /// never answered is sent on the returned channel each time one of its
    /// requests stalls (no answer after `--stall-after`): the run lets such
    /// a host's next URL go as a probe instead of waiting for the timeout.
    /// A later call replaces the earlier channel.
    pub fn watch_silent_hosts(&self) -> mpsc::UnboundedReceiver<String> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *lock(&self.inner.silent) = Some(sender);
        receiver
    }

    /// Requests in `-c` at most at once.
    pub fn concurrency(&self) -> usize {
        self.inner.options.concurrency
    }

    /// Requests parked now: waiting at their host (its slots, its pause,
    /// its pace) or stalled, so holding no global slot and waiting for
    /// none.
    pub fn parked(&self) -> usize {
        self.inner.parking.parked.load(Ordering::Relaxed)
    }

    /// Completes after a request has parked since the last time it
    /// completed (at once if one has), so that the run can start another
    /// check in its place.
    pub async fn parking(&self) {
        self.inner.parking.news.notified().await;
    }

    /// Whether `host` has sent any response in this run.
    pub fn has_answered(&self, host: &str) -> bool {
        self.host(host).answered.load(Ordering::Relaxed)
    }

    /// Notes that `host` answered a HEAD wrongly and the same URL's GET
    /// rightly.
    pub fn head_was_wrong(&self, host: &str) {
        self.host(host).wrong_heads.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether `host` has answered HEAD wrongly (and GET rightly) so often
    /// that its URLs are better asked with GET alone.
    pub fn skips_head(&self, host: &str) -> bool {
        self.host(host).wrong_heads.load(Ordering::Relaxed) >= WRONG_HEADS
    }

    /// Spaces the requests to `host` by at least `spacing` from now on (its
    /// `Crawl-delay`), whatever else paces it.
    pub fn space_at_least(&self, host: &str, spacing: Duration) {
        let host = self.host(host);
        let mut pace = lock(&host.pace);
        pace.floor = Some(pace.floor.map_or(spacing, |floor| floor.max(spacing)));
        host.slowed.store(true, Ordering::Relaxed);
    }

    /// Holds every request to `host` back for `wait` (from now), because it
    /// answered 429 or 503. A later deadline already set is kept, and
    /// answers that come during a pause extend it, but never past
    /// `max_wait` from its start: a burst of answers is one pause.
    pub fn back_off(&self, host: &str, wait: Duration) {
        let host = self.host(host);
        let max_wait = self.inner.options.max_wait;
        let now = Instant::now();
        let mut pause = lock(&host.pause);
        *pause = Some(match *pause {
            Some(Pause { since, until }) if until > now => Pause {
                since,
                until: until.max((now + wait).min(since + max_wait)),
            },
            _ => Pause {
                since: now,
                until: now + wait.min(max_wait),
            },
        });
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = lock(&self.inner.hosts);
        if let Some(host) = hosts.get(name) {
            return Arc::clone(host);
        }
        let host = Arc::new(Host {
            name: name.to_string(),
            slots: Arc::new(Semaphore::new(self.inner.options.per_host)),
            pacing: self.inner.options.rate_per_host.and_then(pacing),
            pause: Mutex::new(None),
            max_spacing: MAX_SPACING.min(self.inner.options.max_wait),
            answered: AtomicBool::new(false),
            wrong_heads: AtomicU32::new(0),
            slowed: AtomicBool::new(false),
            calm_answers: AtomicU32::new(0),
            asked: Mutex::new(Asked {
                requests: 0,
                since: Instant::now(),
                before: Duration::ZERO,
            }),
            pace: Mutex::new(Pace {
                allowed: self.inner.options.per_host,
                debt: 0,
                calm: 0,
                cut_at: None,
                first_cut: None,
                rate: None,
                announced: None,
                last_turn: None,
                floor: None,
            }),
        });
        hosts.insert(name.to_string(), Arc::clone(&host));
        host
    }
}

/// Requests per second: `answers` over `elapsed`, counting at least one
/// answer and one millisecond.
fn rate_of(answers: u32, elapsed: Duration) -> f64 {
    f64::from(answers.max(1)) / elapsed.max(Duration::from_millis(1)).as_secs_f64()
}

/// A limiter that lets one request through every 1/rate seconds, without
/// bursts: a polite crawler spaces its requests.
fn pacing(rate: f64) -> Option<DefaultDirectRateLimiter> {
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let quota = governor::Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
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
            max_wait: Duration::from_secs(60),
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

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_hosts_slots_until_calm_answers_return_them() {
        let limits = limits(64, 8);
        let available = |limits: &Limits| limits.host("busy.test").slots.available_permits();
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(limits.acquire("busy.test").await);
        }
        held[0].answered(429, None);
        limits.back_off("busy.test", Duration::from_secs(1));
        // The rest of the burst, sent before the cut: no further cut.
        for permit in &held[1..] {
            permit.answered(429, None);
        }
        held.clear();
        assert_eq!(available(&limits), 4);
        for _ in 0..GROW_AFTER {
            let permit = limits.acquire("busy.test").await;
            permit.answered(200, None);
        }
        assert_eq!(available(&limits), 5);
        // A new burst after the pause halves again.
        let permit = limits.acquire("busy.test").await;
        permit.answered(503, None);
        drop(permit);
        assert_eq!(available(&limits), 2);
    }

    /// The instants at which `n` requests to `host` are let go, each
    /// answered 200 at once.
    async fn sends(limits: &Limits, host: &str, n: usize) -> Vec<Duration> {
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..n {
            let permit = limits.acquire(host).await;
            at.push(Instant::now() - start);
            permit.answered(200, None);
        }
        at
    }

    /// Sends `n` requests to `host` one after the other, each answered 200
    /// after `took`.
    async fn sends_taking(limits: &Limits, host: &str, n: usize, took: Duration) {
        for _ in 0..n {
            let permit = limits.acquire(host).await;
            tokio::time::advance(took).await;
            permit.answered(200, None);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_spaces_the_host_by_the_rate_it_has_shown() {
        let limits = limits(64, 8);
        // 20 calm answers in 2 s, then a 429: the host has shown 10/s,
        // allowance included, so it is asked at half that.
        sends_taking(&limits, "busy.test", 20, Duration::from_millis(100)).await;
        limits.acquire("busy.test").await.answered(429, None);
        let at = sends(&limits, "busy.test", 3).await;
        assert_eq!(at[1] - at[0], Duration::from_millis(200));
        assert_eq!(at[2] - at[1], Duration::from_millis(200));
        // Other hosts are not spaced.
        assert_eq!(sends(&limits, "calm.test", 3).await[2], Duration::ZERO);

        // A later burst measures from the first, over the time the host was
        // asked, waits for its pace included: 3 (above, in 0.4 s) + 3 calm
        // answers of 300 ms (the first after a wait of 0.2 s) in the 1.5 s
        // since, is 4/s.
        sends_taking(&limits, "busy.test", 3, Duration::from_millis(300)).await;
        limits.acquire("busy.test").await.answered(503, None);
        let at = sends(&limits, "busy.test", 2).await;
        assert_eq!(at[1] - at[0], Duration::from_millis(250));
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_shown_leaves_out_the_time_the_host_was_not_asked() {
        let limits = limits(64, 8);
        // 20 calm answers of 100 ms each, one every second: the run asked
        // the host little (other hosts went first), which says nothing of
        // the rate it grants. Over the 2 s it was asked it showed 10/s.
        for _ in 0..20 {
            sends_taking(&limits, "busy.test", 1, Duration::from_millis(100)).await;
            tokio::time::advance(Duration::from_millis(900)).await;
        }
        limits.acquire("busy.test").await.answered(429, None);
        let at = sends(&limits, "busy.test", 2).await;
        assert_eq!(at[1] - at[0], Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_learned_rate_grows_back_once_the_slots_are_back() {
        let limits = limits(64, 2);
        // One calm answer in 100 ms, halved: 5/s, one slot of two.
        sends_taking(&limits, "busy.test", 1, Duration::from_millis(100)).await;
        limits.acquire("busy.test").await.answered(429, None);
        let before = sends(&limits, "busy.test", 2).await;
        assert_eq!(before[1] - before[0], Duration::from_millis(200));
        // GROW_AFTER calm answers bring the slot back (two were sent
        // above), then PROBE_AFTER more add an eighth to the rate.
        sends(
            &limits,
            "busy.test",
            (GROW_AFTER + PROBE_AFTER) as usize - 2,
        )
        .await;
        let after = sends(&limits, "busy.test", 2).await;
        let spacing = (after[1] - after[0]).as_secs_f64();
        // The timer counts whole milliseconds.
        assert!((spacing - 0.2 / 1.125).abs() <= 0.001, "{spacing}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_low_announced_quota_spaces_the_host_until_it_is_high_again() {
        let limits = limits(64, 4);
        let quota = |remaining, reset_ms| {
            Some(Quota {
                remaining,
                reset: Duration::from_millis(reset_ms),
            })
        };
        let answer = |remaining, reset_ms| {
            let limits = limits.clone();
            async move {
                let permit = limits.acquire("api.test").await;
                permit.answered(200, quota(remaining, reset_ms));
            }
        };
        // Plenty left (more than LOW_QUOTA per slot): no spacing.
        answer(LOW_QUOTA * 4 + 1, 1_000).await;
        assert_eq!(sends(&limits, "api.test", 3).await[2], Duration::ZERO);
        // 5 left for the next second: one every 200 ms.
        answer(5, 1_000).await;
        let at = sends(&limits, "api.test", 3).await;
        assert_eq!(at[2] - at[1], Duration::from_millis(200));
        // A window of an hour spaces by MAX_SPACING at most.
        answer(2, 3_600_000).await;
        let at = sends(&limits, "api.test", 2).await;
        assert_eq!(at[1] - at[0], MAX_SPACING);
        // The quota is high again: no spacing, and other hosts never were.
        answer(100, 1_000).await;
        tokio::time::advance(MAX_SPACING).await;
        assert_eq!(sends(&limits, "api.test", 3).await[2], Duration::ZERO);
        assert_eq!(sends(&limits, "other.test", 3).await[2], Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_crawl_delay_spaces_every_request_to_its_host_and_stays() {
        let limits = limits(64, 4);
        // Longer than MAX_SPACING: asked for by the host, it is kept.
        limits.space_at_least("slow.test", Duration::from_secs(7));
        let at = sends(&limits, "slow.test", 3).await;
        assert_eq!(at[1] - at[0], Duration::from_secs(7));
        assert_eq!(at[2] - at[1], Duration::from_secs(7));
        // Calm answers do not end it, as they end a learned pace.
        sends_taking(&limits, "slow.test", 20, Duration::ZERO).await;
        let at = sends(&limits, "slow.test", 2).await;
        assert_eq!(at[1] - at[0], Duration::from_secs(7));
        assert_eq!(sends(&limits, "other.test", 3).await[2], Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_pause_or_pace_outlasts_the_max_wait() {
        let limits = Limits::new(LimitOptions {
            concurrency: 64,
            per_host: 8,
            rate_per_host: None,
            max_wait: Duration::from_secs(1),
        });
        // Answers during a pause extend it, but not past max_wait from its
        // start.
        let start = Instant::now();
        limits.back_off("busy.test", Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(600)).await;
        limits.back_off("busy.test", Duration::from_secs(1));
        let _first = limits.acquire("busy.test").await;
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
        // An announced quota low for an hour spaces the host by max_wait at
        // most (MAX_SPACING, 4 s, would be the gap otherwise).
        let quota = Quota {
            remaining: 2,
            reset: Duration::from_secs(3600),
        };
        limits.acquire("api.test").await.answered(200, Some(quota));
        let at = sends(&limits, "api.test", 2).await;
        assert_eq!(at[1] - at[0], Duration::from_secs(1));
    }

    #[tokio::test]
    async fn stalled_requests_give_their_global_slot_back_within_a_bound() {
        let limits = limits(2, 8);
        let mut first = limits.acquire("hang.test").await;
        let mut second = limits.acquire("hang.test").await;
        assert_eq!(limits.inner.global.available_permits(), 0);
        assert!(limits.stall(&mut first));
        assert!(limits.stall(&mut second));
        assert_eq!(limits.inner.global.available_permits(), 2);
        // Two more stall, and the stall slots (as many as -c) are gone.
        let mut third = limits.acquire("hang.test").await;
        let mut fourth = limits.acquire("hang.test").await;
        assert!(!limits.stall(&mut third));
        assert!(!limits.stall(&mut fourth));
        assert_eq!(limits.inner.global.available_permits(), 0);
        drop(first);
        assert!(limits.stall(&mut third));
        assert_eq!(limits.inner.global.available_permits(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_waiting_at_their_host_or_stalled_are_parked_and_told() {
        let limits = limits(4, 1);
        // Going straight through parks nothing.
        let mut held = limits.acquire("a.test").await;
        assert_eq!(limits.parked(), 0);
        // Waiting for the host's one slot parks, and says so.
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move { limits.acquire("a.test").await }
        });
        limits.parking().await;
        assert_eq!(limits.parked(), 1);
        // Given the slot, it waits for the global one no more: not parked.
        drop(held);
        held = waiting.await.unwrap();
        assert_eq!(limits.parked(), 0);
        // A stall parks it while it stalls.
        assert!(limits.stall(&mut held));
        limits.parking().await;
        assert_eq!(limits.parked(), 1);
        drop(held);
        assert_eq!(limits.parked(), 0);
        // So does a pause: a request waiting for it is parked until it ends.
        limits.back_off("b.test", Duration::from_secs(1));
        let paused = tokio::spawn({
            let limits = limits.clone();
            async move { limits.acquire("b.test").await }
        });
        limits.parking().await;
        assert_eq!(limits.parked(), 1);
        drop(paused.await.unwrap());
        assert_eq!(limits.parked(), 0);
    }

    #[test]
    fn pacing_rejects_nonsense_rates() {
        assert!(pacing(0.0).is_none());
        assert!(pacing(f64::NAN).is_none());
        assert!(pacing(0.5).is_some());
        assert!(pacing(1000.0).is_some());
    }
}
