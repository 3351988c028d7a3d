//! The run: targets in, report rows out.
//!
//! Targets wait in per-host queues, which cost a few hundred bytes each. A
//! target becomes a task (a running check, which costs more) only when its
//! host has room (`per_host` tasks at most) and the run has room
//! (`max_tasks`); hosts take turns. So a slow or hanging host holds at most
//! its own few tasks, and never keeps other hosts' URLs from starting.
//! Inside a task, each request still waits for its turn in
//! [`crate::limits`].
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
//! `unordered`) as soon as order allows. How far ahead of the oldest
//! unfinished URL the run may read is bounded by a window, so memory stays
//! flat however long the input is, while one hanging URL still lets
//! thousands of others be checked.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;

use crate::check::Checker;
use crate::input::{InputError, Target, TargetKind};
use crate::outcome::{Outcome, Verdict};

/// How far ahead of the oldest unfinished URL a run may admit new ones.
/// Each finished-but-unwritten row costs a few hundred bytes, so this bounds
/// the reorder buffer to a few MiB.
pub const DEFAULT_WINDOW: usize = 16 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Rows in input order (true) or completion order (false).
    pub ordered: bool,
    /// Entries read ahead of the oldest unfinished one.
    pub window: usize,
    /// Checks running at once for one host (as `--per-host`).
    pub per_host: usize,
    /// Checks running at once in all.
    pub max_tasks: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            ordered: true,
            window: DEFAULT_WINDOW,
            per_host: 8,
            max_tasks: 256,
        }
    }
}

/// Receives what the run produces.
pub trait Observer {
    /// A check finished (completion order); for progress.
    fn finished(&mut self, outcome: &Outcome);
    /// A row is due in the report. An error (such as a closed stdout) stops
    /// the run.
    fn emit(&mut self, outcome: Outcome) -> io::Result<()>;
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
    InputFailed(InputError),
}

/// Checks every target from `targets` and reports to `observer`, until the
/// input is exhausted or `stop` completes.
pub async fn run<O: Observer>(
    checker: Checker,
    mut targets: mpsc::Receiver<Result<Target, InputError>>,
    options: RunOptions,
    observer: &mut O,
    stop: impl Future<Output = ()>,
) -> RunEnd {
    let window = options.window.max(1) as u64;
    let mut tasks = FuturesUnordered::new();
    let mut hosts = HostQueues::new(options.per_host.max(1));
    let mut order = Reorder::default();
    let mut admitted = 0u64;
    let mut finished = 0u64;
    let mut input_open = true;
    let mut input_error = None;
    tokio::pin!(stop);

    loop {
        while tasks.len() < options.max_tasks.max(1) {
            let Some((host, target)) = hosts.next() else {
                break;
            };
            tasks.push(check_caught(checker.clone(), target, Some(host)));
        }
        if !input_open && tasks.is_empty() {
            break;
        }
        let room = if options.ordered {
            admitted - order.next < window
        } else {
            admitted - finished < window
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
                    .try_for_each(|outcome| observer.emit(outcome))
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
                while let Some((host, outcome)) = next {
                    {
                        finished += 1;
                        if let Some(host) = host {
                            hosts.done(&host);
                        }
                        observer.finished(&outcome);
                        written = written.and_then(|()| {
                            if options.ordered {
                                order.push(outcome);
                                order
                                    .drain_ready()
                                    .try_for_each(|outcome| observer.emit(outcome))
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
            item = targets.recv(), if input_open && room => match item {
                Some(Ok(target)) => {
                    admitted += 1;
                    match &target.kind {
                        TargetKind::Check(url) => {
                            let host = url.host_str().unwrap_or_default().to_string();
                            hosts.push(host, target);
                        }
                        // Rows that need no request are settled at once.
                        _ => {
                            tasks.push(check_caught(checker.clone(), target, None));
                        }
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

/// Targets waiting for their host's turn, and the hosts whose turn it may
/// be, in round-robin order.
struct HostQueues {
    per_host: usize,
    hosts: HashMap<String, HostQueue>,
    /// Hosts with waiting targets and room to run one more; each at most
    /// once.
    ready: VecDeque<String>,
}

#[derive(Default)]
struct HostQueue {
    waiting: VecDeque<Target>,
    running: usize,
    in_ready: bool,
}

impl HostQueues {
    fn new(per_host: usize) -> HostQueues {
        HostQueues {
            per_host,
            hosts: HashMap::new(),
            ready: VecDeque::new(),
        }
    }

    fn push(&mut self, host: String, target: Target) {
        // Looked up before inserting, so that the common case (a host seen
        // before) does not copy its name.
        if !self.hosts.contains_key(&host) {
            self.hosts.insert(host.clone(), HostQueue::default());
        }
        let Some(queue) = self.hosts.get_mut(&host) else {
            return;
        };
        queue.waiting.push_back(target);
        if !queue.in_ready && queue.running < self.per_host {
            queue.in_ready = true;
            self.ready.push_back(host);
        }
    }

    /// The next target allowed to start, taking hosts in turn.
    fn next(&mut self) -> Option<(String, Target)> {
        let host = self.ready.pop_front()?;
        let queue = self.hosts.get_mut(&host)?;
        let target = queue.waiting.pop_front()?;
        queue.running += 1;
        queue.in_ready = !queue.waiting.is_empty() && queue.running < self.per_host;
        if queue.in_ready {
            self.ready.push_back(host.clone());
        }
        Some((host, target))
    }

    /// A check of `host` finished.
    fn done(&mut self, host: &str) {
        let Some(queue) = self.hosts.get_mut(host) else {
            return;
        };
        queue.running = queue.running.saturating_sub(1);
        if queue.waiting.is_empty() && queue.running == 0 {
            self.hosts.remove(host);
        } else if !queue.in_ready && !queue.waiting.is_empty() && queue.running < self.per_host {
            queue.in_ready = true;
            self.ready.push_back(host.to_string());
        }
    }
}

/// Checks one target; a bug that panics becomes an `error` row rather than a
/// lost one.
async fn check_caught(
    checker: Checker,
    target: Target,
    host: Option<String>,
) -> (Option<String>, Outcome) {
    let (index, text, source) = (target.index, target.text.clone(), target.source.clone());
    let captured = checker.options().capture.len();
    let outcome = match AssertUnwindSafe(checker.check(target)).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::unchecked(
            index,
            text,
            source,
            Verdict::Error,
            "internal error: the check panicked".to_string(),
            captured,
        ),
    };
    (host, outcome)
}

/// Holds finished rows until every earlier row is written.
#[derive(Default)]
struct Reorder {
    /// Index of the next row due.
    next: u64,
    waiting: BTreeMap<u64, Outcome>,
}

impl Reorder {
    fn push(&mut self, outcome: Outcome) {
        self.waiting.insert(outcome.index, outcome);
    }

    /// The rows that are now due, in order.
    fn drain_ready(&mut self) -> impl Iterator<Item = Outcome> + '_ {
        std::iter::from_fn(move || {
            let outcome = self.waiting.remove(&self.next)?;
            self.next += 1;
            Some(outcome)
        })
    }

    /// Every finished row, in order, gaps skipped.
    fn drain_all(&mut self) -> impl Iterator<Item = Outcome> + '_ {
        std::mem::take(&mut self.waiting).into_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(index: u64) -> Target {
        Target {
            index,
            text: format!("http://h.test/{index}"),
            source: "t".into(),
            kind: TargetKind::Invalid(String::new()),
        }
    }

    #[test]
    fn hosts_take_turns_within_their_limit() {
        let mut queues = HostQueues::new(2);
        for i in 0..4 {
            queues.push("slow".into(), target(i));
        }
        queues.push("fast".into(), target(10));
        queues.push("fast".into(), target(11));
        let mut started = Vec::new();
        while let Some((host, target)) = queues.next() {
            started.push((host, target.index));
        }
        // Two of slow (its limit), both of fast, interleaved.
        assert_eq!(
            started,
            [
                ("slow".to_string(), 0),
                ("fast".to_string(), 10),
                ("slow".to_string(), 1),
                ("fast".to_string(), 11)
            ]
        );
        queues.done("slow");
        assert_eq!(
            queues.next().map(|(h, t)| (h, t.index)),
            Some(("slow".into(), 2))
        );
        assert!(queues.next().is_none());
        queues.done("fast");
        queues.done("fast");
        assert!(
            !queues.hosts.contains_key("fast"),
            "idle hosts are forgotten"
        );
    }

    fn row(index: u64) -> Outcome {
        Outcome::unchecked(
            index,
            format!("u{index}"),
            "t".into(),
            Verdict::Ok,
            String::new(),
            0,
        )
    }

    #[test]
    fn reorder_releases_rows_in_input_order() {
        let mut order = Reorder::default();
        order.push(row(2));
        order.push(row(1));
        assert_eq!(order.drain_ready().count(), 0);
        order.push(row(0));
        let ready: Vec<u64> = order.drain_ready().map(|o| o.index).collect();
        assert_eq!(ready, [0, 1, 2]);
        order.push(row(5));
        order.push(row(4));
        let rest: Vec<u64> = order.drain_all().map(|o| o.index).collect();
        assert_eq!(rest, [4, 5]);
    }
}
