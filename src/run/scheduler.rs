//! The run: targets in, report rows out.
//!
//! Targets wait in per-host queues (`hosts`), which cost a few hundred bytes
//! each. A target becomes a task (a running check, which costs more) only
//! when its host has room (one check until the host has answered, then
//! `per_host`) and the run has room: about as many tasks as global slots
//! (`-c`), plus those parked at their host or stalled (see
//! [`crate::check::Limits::parked`]), and never more than `max_tasks`; the
//! host with the longest work left goes first. Few tasks queue for a
//! global slot, then, and the hosts' ranking, not the order in which tasks
//! reached that queue, decides who gets a free one: a fast host's checks
//! do not wait behind a slow host's for every request. A slow or hanging
//! host holds at most its own few tasks, a dead one a single task for a
//! single timeout (a silent one two: its first and its probe, which is
//! called off if the first finds the host unreachable; its other URLs are
//! then settled at once as unreachable), and none keeps other hosts' URLs
//! from starting.
//! Inside a task, each request still waits for its turn in
//! [`crate::check::Limits`].
//!
//! Tasks are futures polled by the run itself (`FuturesUnordered`), not
//! spawned on the runtime: hyper still drives every connection on its own
//! spawned task, so the work left here is light, and skipping a spawn and a
//! cross-thread wake-up per URL measured +20% URLs/s and -29% CPU in the
//! benchmark's raw-throughput scenario. The cost: TLS handshakes, which
//! hyper runs in the request's future, share this one thread — about a
//! thousand new HTTPS connections a second, more than polite checking
//! opens.
//!
//! Rows are handed to the report in input order (or completion order with
//! `unordered`) as soon as order allows. The entries read and not finished
//! are bounded by a window, and finished rows waiting for an earlier one
//! spill to a temporary file beyond a bound (`reorder`), so memory stays
//! flat however long the input is, and one hanging URL never stops the
//! rest of the input from being read and checked.

use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{AbortHandle, AbortRegistration, Abortable, Aborted};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;

use super::crawl::Work;
use super::hosts::{HostQueues, Turn};
use super::places::{Later, Places};
use super::reorder::Reorder;
use crate::check::{Checked, Checker, DEFAULT_CONCURRENCY, DEFAULT_PER_HOST, HostNews};
use crate::types::{
    Entry, Error, ErrorKind, Outcome, Page, Target, TargetKind, Verdict, entry_key, text_key,
};

/// How many read entries may be unfinished (queued for their host, or being
/// checked) at once. Each costs a few hundred bytes, so this bounds the
/// queues to a few MiB however long the input is. Finished rows that wait
/// for an earlier one are bounded apart (`reorder`): they never stop the
/// reading.
pub const DEFAULT_WINDOW: usize = 16 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Rows in input order (true) or completion order (false).
    pub ordered: bool,
    /// Entries read and not yet finished, at most.
    pub window: usize,
    /// Checks running at once for one host (as `--per-host`).
    pub per_host: usize,
    /// Checks running at once in all, at most (however many are parked).
    pub max_tasks: usize,
    /// Whether a crawl's pages are fetched only where robots.txt allows.
    pub obey_robots: bool,
}

/// Tasks started beyond the free global slots, as a share of `-c`: enough
/// that a slot freed between two requests of one check finds a request
/// waiting, few enough that a request waits for a slot a short while.
const AHEAD: usize = 8;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            ordered: true,
            window: DEFAULT_WINDOW,
            per_host: DEFAULT_PER_HOST,
            max_tasks: max_tasks_for(DEFAULT_CONCURRENCY),
            obey_robots: true,
        }
    }
}

/// The most tasks for `concurrency` global slots: room for every slot, plus
/// as many checks between requests (redirects, retries), parked at their
/// host or settling rows.
pub fn max_tasks_for(concurrency: usize) -> usize {
    concurrency.saturating_mul(2).max(64)
}

/// Receives what the run produces.
pub trait Observer {
    /// A check finished (completion order); for progress. `requested`:
    /// whether it took requests in this run (resumed, cached, invalid and
    /// skipped rows take none, and finish at once).
    fn finished(&mut self, outcome: &Outcome, requested: bool);
    /// A row is due in the report. An error (such as a closed stdout) stops
    /// the run.
    fn emit(&mut self, outcome: Outcome) -> io::Result<()>;
    /// More places of the row with `key`, a problem
    /// ([`Verdict::is_problem`]), beside the one in its `source`: those read
    /// before it finished, just after [`finished`](Self::finished) (and
    /// maybe before [`emit`](Self::emit), which waits for input order), then
    /// each one as it is read. The places of other rows are not kept.
    fn again(&mut self, key: &str, later: Later) {
        let _ = (key, later);
    }
    /// Whether this observer wants [`again`](Self::again) at all. When it
    /// does not (a report that has one place a row, such as CSV), the run
    /// keeps no places: no row's key is hashed to follow it, and no set of
    /// the problem rows grows with the run.
    fn wants_places(&self) -> bool {
        true
    }
    /// Every row due so far has been emitted.
    fn flush(&mut self) -> io::Result<()>;
    /// The input is fully read: `count` targets in all.
    fn input_done(&mut self, count: u64);
}

/// How a run ended.
#[derive(Debug)]
pub enum RunEnd {
    /// Every target was checked and written.
    Complete,
    /// The stop signal fired: finished rows were written, the rest dropped.
    Interrupted,
    /// The report could not be written (e.g. a closed pipe).
    OutputFailed(io::Error),
    /// An input could not be read to the end; what was read was checked.
    InputFailed(Error),
}

/// Checks every target from `entries` and reports to `observer`, until the
/// input is exhausted or `stop` completes.
pub async fn run<O: Observer>(
    checker: Checker,
    mut entries: mpsc::Receiver<Result<Entry, Error>>,
    options: RunOptions,
    observer: &mut O,
    stop: impl Future<Output = ()>,
) -> RunEnd {
    let window = options.window.max(1) as u64;
    let mut tasks = FuturesUnordered::new();
    let limits = checker.limits().clone();
    let mut hosts = HostQueues::new(options.per_host.max(1), limits.concurrency());
    let mut order = Reorder::default();
    let mut places = observer.wants_places().then(Places::default);
    let mut admitted = 0u64;
    let mut finished = 0u64;
    let mut input_open = true;
    let mut input_error = None;
    // Hosts that never answered and whose request stalled: each may send
    // its probe. The sender lives in the checker's limits, so this never
    // ends while the run goes on.
    let mut silent = checker.limits().watch_silent_hosts();
    let ahead = (limits.concurrency() / AHEAD).max(2);
    let work = Work {
        robots: options.obey_robots.then(Arc::default),
        checker: checker.clone(),
    };
    tokio::pin!(stop);

    loop {
        hosts.wake();
        let room_for_tasks =
            (limits.concurrency() + limits.parked() + ahead).min(options.max_tasks);
        while tasks.len() < room_for_tasks.max(1) {
            let Some((turn, target)) = hosts.next() else {
                break;
            };
            // A probe can be called off: when its host's first check finds
            // the host unreachable while the probe waits for a connection.
            let abort = turn.probe.then(|| {
                let (handle, registration) = AbortHandle::new_pair();
                hosts.probe_started(turn.host, handle);
                registration
            });
            tasks.push(check_caught(work.clone(), target, Some(turn), abort));
        }
        if !input_open && tasks.is_empty() {
            break;
        }
        let room = admitted - finished < window;
        // A spaced host's next check, when it is due.
        let wake_at = hosts.next_wake();
        let nap = async {
            match wake_at {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = &mut stop => {
                tasks.clear();
                // Finished rows are kept (in order, skipping the unfinished
                // ones) so that an interrupted report is still useful and
                // `--resume` checks only what is missing.
                let result = order
                    .drain_all()
                    .try_for_each(|outcome| observer.emit(outcome?))
                    .and_then(|()| observer.flush());
                return match result {
                    Ok(()) => RunEnd::Interrupted,
                    Err(e) => RunEnd::OutputFailed(e),
                };
            }
            Some(first) = tasks.next(), if !tasks.is_empty() => {
                // Take every check that has finished by now, then flush once:
                // rows still go out as soon as order allows, without a write
                // per row when thousands finish each second.
                let mut next = Some(first);
                let mut written = Ok(());
                while let Some((turn, done)) = next {
                    let checked = match done {
                        Done::Checked(checked) => checked,
                        Done::CalledOff(mut target) => {
                            // Its row is its host's other URLs' row, made
                            // at once; it counts when that finishes.
                            if let Some(turn) = turn {
                                hosts.done(turn, HostNews::Unknown);
                                target = hosts.settle(turn.host, target);
                            }
                            tasks.push(check_caught(work.clone(), target, None, None));
                            next = tasks.next().now_or_never().flatten();
                            continue;
                        }
                    };
                    {
                        finished += 1;
                        let Checked {
                            mut outcome,
                            host: news,
                            requested,
                        } = checked;
                        // The one way rows leave the run: no report, summary
                        // or cache ever holds a password.
                        outcome.hide_passwords();
                        if let Some(turn) = turn {
                            if let (HostNews::Answered, Some(ms)) = (&news, outcome.elapsed_ms) {
                                hosts.took(turn.host, Duration::from_millis(ms));
                            }
                            for target in hosts.done(turn, news) {
                                tasks.push(check_caught(work.clone(), target, None, None));
                            }
                        }
                        observer.finished(&outcome, requested);
                        if let Some(later) = places.as_mut().and_then(|p| p.finished(&outcome)) {
                            observer.again(&outcome.key, later);
                        }
                        written = written.and_then(|()| {
                            if options.ordered {
                                order.push(outcome)?;
                                order
                                    .drain_ready()
                                    .try_for_each(|outcome| observer.emit(outcome?))
                            } else {
                                observer.emit(outcome)
                            }
                        });
                    }
                    next = tasks.next().now_or_never().flatten();
                }
                if let Err(e) = written.and_then(|()| observer.flush()) {
                    tasks.clear();
                    return RunEnd::OutputFailed(e);
                }
            }
            Some(name) = silent.recv() => hosts.silent(&name),
            () = nap => {}
            // A check parked at its host: another may take its place.
            () = limits.parking() => {}
            item = entries.recv(), if input_open && room => match item {
                Some(Ok(Entry::Again { key, source })) => {
                    if let Some(later) = places.as_mut().and_then(|p| p.again(&key, source)) {
                        observer.again(&key, later);
                    }
                }
                Some(Ok(Entry::New(target))) => {
                    admitted += 1;
                    if let Some(places) = &mut places {
                        places.admitted(entry_key(&target.kind, &target.text));
                    }
                    let settled = match &target.kind {
                        TargetKind::Check(url) | TargetKind::Page(Page { url, .. }) => {
                            let host = hosts.id(url);
                            hosts.push(host, target)
                        }
                        // Rows that need no request are settled at once.
                        _ => Some(target),
                    };
                    if let Some(target) = settled {
                        tasks.push(check_caught(work.clone(), target, None, None));
                    }
                }
                Some(Err(e)) => {
                    input_error = Some(e);
                    input_open = false;
                    observer.input_done(admitted);
                }
                None => {
                    input_open = false;
                    observer.input_done(admitted);
                }
            },
        }
    }
    match input_error {
        Some(e) => RunEnd::InputFailed(e),
        None => RunEnd::Complete,
    }
}

/// How a task ended.
enum Done {
    Checked(Checked),
    /// A probe called off, with its target, whose row is still to be made.
    CalledOff(Target),
}

/// Checks one target; a bug that panics becomes an `error` row rather than a
/// lost one. With `abort`, the check may be called off before it ends.
///
/// The target stays here while it is checked ([`Work::check_or_fetch`]
/// takes its text and place only for the row), so the row of a panic needs
/// no copy of them made for every check, and the check's future holds a
/// reference rather than the target: a task's future is 1.4 KB (2.5 KB
/// when this copied them and the check owned the target).
async fn check_caught(
    work: Work,
    mut target: Target,
    turn: Option<Turn>,
    abort: Option<AbortRegistration>,
) -> (Option<Turn>, Done) {
    let result = match abort {
        Some(registration) => {
            // A called-off probe's row is made from its target as it came
            // (the check takes its kind at once).
            let spare = target.clone();
            let check = AssertUnwindSafe(work.check_or_fetch(&mut target)).catch_unwind();
            match Abortable::new(check, registration).await {
                Ok(result) => result,
                Err(Aborted) => return (turn, Done::CalledOff(spare)),
            }
        }
        None => {
            AssertUnwindSafe(work.check_or_fetch(&mut target))
                .catch_unwind()
                .await
        }
    };
    let checked = match result {
        Ok(checked) => checked,
        Err(_) => Checked::row(Outcome {
            key: text_key(&target.text),
            ..Outcome::unchecked(
                target.index,
                std::mem::take(&mut target.text),
                std::mem::take(&mut target.source),
                Verdict::Error,
                "internal error: the check panicked".to_string(),
                work.checker.options().capture.len(),
            )
            .failed_as(ErrorKind::Internal)
        }),
    };
    (turn, Done::Checked(checked))
}
