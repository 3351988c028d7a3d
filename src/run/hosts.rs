//! Per-host queues: targets wait here, holding no task, until their host has
//! room; hosts with room take turns.
//!
//! A host's room depends on what it has shown in this run (its fate):
//! - a host that has not answered yet gets one check at a time (warm-up), so
//!   a dead host costs one timeout rather than `--per-host` of them, and a
//!   live one is not hit with a burst before it has answered once;
//! - a host whose first check connected and then heard nothing (it stalled,
//!   or timed out) gets one more: its next URL goes as a probe, since one
//!   slow URL (a search page, a report) says nothing of the host's others;
//! - a host that has answered gets `--per-host` checks;
//! - a host that could not be reached (DNS, refused, connect timeout, TLS),
//!   or whose probe heard nothing either, and that never answered, is
//!   unreachable: its waiting and later URLs are given back at once, as
//!   rows that say so, without a request.
//!
//! When the run's slots are the limit, a host that has not answered yet
//! goes first: its first check is what tells how long its others take, or
//! that it is dead or hanging and costs a timeout, and the first checks of
//! all hosts are a small part of a run. Then the host with the longest work
//! left: its waiting targets, `per_host` at a time, times the time its
//! checks have taken. So a large host, or a slow one, runs at its limit from
//! the start instead of becoming the tail of the run (longest work first,
//! which keeps a run close to its shortest length), and a host of 83 URLs
//! of 2 s each goes before one of 300 URLs of 10 ms.
//!
//! A host is worked no harder than the run needs: once its checks are
//! timed, it runs as many at once as would finish its work within half the
//! run's expected length (the longest host's work at `per_host`, or all
//! hosts' work over the run's slots, whichever is longer), between one and
//! `per_host`. A host of 40 URLs of 100 ms in a run of 30 s runs one check
//! at a time, 10 requests a second rather than 80, and still finishes long
//! before the run does; the longest hosts run at their limit, and every
//! host's share grows as the run's work left shrinks. When even one check
//! at a time would end its work long before the run's, its checks are
//! spaced too: half the run's expected length over its waiting checks,
//! at most a second apart (`wake` tells the queues the time; a spaced host
//! is out of `ready` until its next check is due). So a small host is not
//! burst at (a rate limit it does not announce is met less often, and fewer
//! idle connections wait in the pool), and the run is no longer.
//!
//! A "host" here is the run's one host key ([`host_key`]: the authority,
//! `host:port`), as in the request limits: a closed port says nothing of
//! the host's other ports. Hosts and their fates are kept for the run: they
//! grow with the number of hosts, not URLs (an idle host keeps no buffer).

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use futures::future::AbortHandle;
use url::Url;

use crate::check::HostNews;
use crate::types::{ErrorKind, Fetched, Target, TargetKind, host_key};

/// A host's number in this run.
pub type HostId = usize;

/// A check started by the queues: its host, and whether it is that host's
/// probe (see [`HostQueues::silent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    pub host: HostId,
    pub probe: bool,
}

/// Targets waiting for their host's turn, and the hosts whose turn it may
/// be: hosts not yet heard from first, then the host with the longest work
/// left (so that a large or slow host runs at its limit from the start
/// instead of becoming the tail of the run), hosts with as much taking
/// turns.
pub struct HostQueues {
    per_host: usize,
    /// Looked up for every URL: hashed with foldhash rather than SipHash.
    ids: HashMap<String, HostId, foldhash::fast::RandomState>,
    queues: Vec<HostQueue>,
    /// Hosts with waiting targets and room to run one more, each at most
    /// once, by (not heard from, or longest work left; first in). The work
    /// is on a scale of octaves ([`rank`]), so that a host's key changes
    /// only when its work doubles or halves, not with every URL (hosts
    /// within a factor of two take turns).
    ready: BTreeSet<(Reverse<u32>, u64, HostId)>,
    /// Orders hosts with as many waiting targets.
    turn: u64,
    /// The run's slots (`-c`).
    slots: usize,
    /// Timed hosts with waiting targets, by the octave of their work at
    /// `per_host` ([`rank`]): the longest host's work, within a factor of
    /// two.
    octaves: [u32; 65],
    /// The highest octave with a host in `octaves` (0 for none), kept as
    /// hosts come and go rather than searched for at every turn.
    longest: u32,
    /// Σ waiting × time per check over the timed hosts, in microseconds:
    /// their work one check at a time.
    work_us: u128,
    /// Spaced hosts with room, by when their next check may start.
    sleeping: BTreeSet<(Instant, HostId)>,
    /// The run's time in this turn of the run, read when first needed (by a
    /// spaced host): reading the clock at every turn cost scenario (a) 2%
    /// of its time, most of it in the kernel.
    now: Option<Instant>,
}

#[derive(Default)]
struct HostQueue {
    waiting: VecDeque<Target>,
    running: usize,
    /// The host's key in `ready`, when it is there.
    ready: Option<(Reverse<u32>, u64)>,
    /// Calls off the probe while it is out.
    probe_abort: Option<AbortHandle>,
    fate: Option<Fate>,
    probe: Probe,
    /// The time its answered checks have taken, weighting recent ones, in
    /// microseconds (0 before the first).
    took_us: u64,
    /// What it adds to the run's work, while it is timed and has waiting
    /// targets: its octave, its work at `per_host` and one at a time.
    counted: Option<Work>,
    /// When its latest check started, while it is a spaced host (or one
    /// that may become one): no other host reads the clock.
    started: Option<Instant>,
    /// Whether its last ranking found it spaced ([`gap`](HostQueues::gap)).
    spaced: bool,
    /// Its key in `sleeping`, when it is there.
    asleep: Option<Instant>,
}

/// A timed host's work left, as the run counts it.
#[derive(Debug, Clone, Copy)]
struct Work {
    octave: u32,
    /// At `per_host` checks at once, in microseconds.
    at_limit_us: u64,
    /// One check at a time, in microseconds.
    serial_us: u64,
}

/// The probe of a host that has not answered: one more URL sent while (or
/// after) its first check hears nothing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Probe {
    #[default]
    NotNeeded,
    /// A check connected and heard nothing: the next URL may go.
    Due,
    /// The probe is out: nothing more goes until its fate is known.
    Out,
}

/// What a host has shown in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Answered,
    /// Why it could not be reached: the kind, in the row's words.
    Unreachable(ErrorKind, String),
}

impl HostQueue {
    /// Whether this host may start one more check: up to `share` (its
    /// share of `per_host`) once it has answered; before, one at a time,
    /// and the probe when it is due.
    fn has_room(&self, share: usize) -> bool {
        match (&self.fate, self.probe) {
            (Some(Fate::Answered), _) => self.running < share,
            (Some(Fate::Unreachable(..)), _) | (None, Probe::Out) => false,
            (None, Probe::Due) => true,
            (None, Probe::NotNeeded) => self.running == 0,
        }
    }
}

impl HostQueues {
    /// Queues for a run of `slots` checks at once, `per_host` of a host.
    pub fn new(per_host: usize, slots: usize) -> HostQueues {
        HostQueues {
            per_host,
            ids: HashMap::default(),
            queues: Vec::new(),
            ready: BTreeSet::new(),
            turn: 0,
            slots: slots.max(1),
            octaves: [0; 65],
            longest: 0,
            work_us: 0,
            sleeping: BTreeSet::new(),
            now: Some(Instant::now()),
        }
    }

    /// A new turn of the run: time has passed, and spaced hosts whose next
    /// check is due take their turn again. Reads the clock only when a host
    /// is spaced.
    pub fn wake(&mut self) {
        self.now = None;
        if !self.sleeping.is_empty() {
            let now = self.now();
            self.wake_at(now);
        }
    }

    /// The time is `now` (until the next [`wake`](Self::wake)): spaced
    /// hosts whose next check is due by then take their turn again.
    pub fn wake_at(&mut self, now: Instant) {
        self.now = Some(now);
        while let Some(&(at, id)) = self.sleeping.first() {
            if at > now {
                break;
            }
            self.sleeping.pop_first();
            self.queues[id].asleep = None;
            self.reconsider(id);
        }
    }

    /// The time in this turn.
    fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }

    /// When the next spaced host's check is due, if any host is spaced.
    pub fn next_wake(&self) -> Option<Instant> {
        self.sleeping.first().map(|&(at, _)| at)
    }

    /// The number of the host that `url`'s check waits for, new or known.
    pub fn id(&mut self, url: &Url) -> HostId {
        let key = host_key(url);
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.queues.len();
        self.queues.push(HostQueue::default());
        self.ids.insert(key.to_string(), id);
        id
    }

    /// Queues `target` for host `id`, or gives it back at once, made into
    /// an unreachable row's target, when the host is known to be
    /// unreachable.
    pub fn push(&mut self, id: HostId, target: Target) -> Option<Target> {
        let queue = &mut self.queues[id];
        if let Some(Fate::Unreachable(kind, error)) = &queue.fate {
            return Some(unreachable(target, *kind, error));
        }
        queue.waiting.push_back(target);
        self.reconsider(id);
        None
    }

    /// The next target allowed to start, and its turn.
    pub fn next(&mut self) -> Option<(Turn, Target)> {
        let (_, _, id) = self.ready.pop_first()?;
        let queue = &mut self.queues[id];
        queue.ready = None;
        let target = queue.waiting.pop_front()?;
        if queue.waiting.is_empty() {
            // Most hosts have few URLs: do not keep their buffers.
            queue.waiting = VecDeque::new();
        }
        let probe = queue.fate.is_none() && queue.probe == Probe::Due;
        if probe {
            queue.probe = Probe::Out;
        }
        queue.running += 1;
        queue.started = None;
        if queue.spaced {
            let now = self.now();
            self.queues[id].started = Some(now);
        }
        self.reconsider(id);
        Some((Turn { host: id, probe }, target))
    }

    /// The probe of host `id` is out; `abort` calls it off.
    pub fn probe_started(&mut self, id: HostId, abort: AbortHandle) {
        if let Some(queue) = self.queues.get_mut(id) {
            queue.probe_abort = Some(abort);
        }
    }

    /// The row's target for `target` of host `id`, a called-off probe:
    /// unreachable as its host is.
    pub fn settle(&self, id: HostId, target: Target) -> Target {
        match self.queues.get(id).and_then(|queue| queue.fate.as_ref()) {
            Some(Fate::Unreachable(kind, error)) => unreachable(target, *kind, error),
            _ => target,
        }
    }

    /// A request to host `key` ([`host_key`]), which has never answered,
    /// has stalled: if the host is still warming up with a check running,
    /// it may send its probe now rather than after the timeout.
    pub fn silent(&mut self, key: &str) {
        let Some(&id) = self.ids.get(key) else {
            return;
        };
        let queue = &mut self.queues[id];
        if queue.fate.is_none() && queue.probe == Probe::NotNeeded && queue.running > 0 {
            queue.probe = Probe::Due;
            self.reconsider(id);
        }
    }

    /// A check of host `id` that its host answered took `took` (its
    /// requests, not its waits): what the host's next checks are expected
    /// to take. Call before [`done`](Self::done), which ranks the host anew.
    pub fn took(&mut self, id: HostId, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let Some(queue) = self.queues.get_mut(id) else {
            return;
        };
        queue.took_us = match queue.took_us {
            0 => sample,
            mean => (mean * 3 + sample) / 4,
        };
    }

    /// A check of `turn` finished with `news` of its host. Returns the
    /// targets that no longer need a request: all that waited for a host
    /// found unreachable.
    pub fn done(&mut self, turn: Turn, news: HostNews) -> Vec<Target> {
        let id = turn.host;
        let Some(queue) = self.queues.get_mut(id) else {
            return Vec::new();
        };
        let mut settled = Vec::new();
        let condemned = match news {
            HostNews::Answered => {
                queue.fate = Some(Fate::Answered);
                None
            }
            // A host that has answered once is never unreachable.
            _ if queue.fate.is_some() => None,
            HostNews::Unreachable(kind, error) => Some((kind, error)),
            // Silent twice, the second time with the probe: gone.
            HostNews::Silent(error) if turn.probe => Some((ErrorKind::Timeout, error)),
            HostNews::Silent(_) => {
                if queue.probe == Probe::NotNeeded {
                    queue.probe = Probe::Due;
                }
                None
            }
            HostNews::Unknown => {
                // The probe broke the connection or answered garbage: the
                // host is there; back to one at a time.
                if turn.probe {
                    queue.probe = Probe::NotNeeded;
                }
                None
            }
        };
        if turn.probe {
            queue.probe_abort = None;
        }
        if let Some((kind, error)) = condemned {
            // A probe still out (waiting for a connection that the first
            // check has just found impossible) would only time out too.
            if let Some(abort) = queue.probe_abort.take() {
                abort.abort();
            }
            settled = std::mem::take(&mut queue.waiting)
                .into_iter()
                .map(|target| unreachable(target, kind, &error))
                .collect();
            queue.fate = Some(Fate::Unreachable(kind, error));
        }
        queue.running = queue.running.saturating_sub(1);
        self.reconsider(id);
        settled
    }

    /// Counts host `id`'s work left anew in the run's.
    fn recount(&mut self, id: HostId) {
        let queue = &mut self.queues[id];
        let work = (queue.took_us > 0 && !queue.waiting.is_empty()).then(|| {
            let took = queue.took_us.max(FLOOR_US);
            let waiting = queue.waiting.len() as u64;
            let at_limit_us = waiting.div_ceil(self.per_host as u64).saturating_mul(took);
            Work {
                octave: u64::BITS - at_limit_us.leading_zeros(),
                at_limit_us,
                serial_us: waiting.saturating_mul(took),
            }
        });
        let old = std::mem::replace(&mut queue.counted, work);
        // The new work is counted before the old is taken away: a host
        // alone at the longest octave that stays there (most turns) leaves
        // `longest` where it is, rather than searching every octave below
        // for the next host and coming back.
        if let Some(new) = work {
            self.octaves[new.octave as usize] += 1;
            self.longest = self.longest.max(new.octave);
            self.work_us += u128::from(new.serial_us);
        }
        if let Some(old) = old {
            self.octaves[old.octave as usize] -= 1;
            while self.longest > 0 && self.octaves[self.longest as usize] == 0 {
                self.longest -= 1;
            }
            self.work_us -= u128::from(old.serial_us);
        }
    }

    /// The run's expected length, in microseconds, as far as its timed
    /// hosts tell (0 when none is): its longest host's work at `per_host`
    /// (its octave's lower end), or all their work over the run's slots.
    fn horizon_us(&self) -> u64 {
        let longest = match self.longest {
            0 => 0,
            octave => 1u64 << (octave - 1),
        };
        // In u64 where the sum fits (always, but for absurd timeouts): this
        // runs for every URL, and u128 division is a slow library call.
        let global = match u64::try_from(self.work_us) {
            Ok(work_us) => work_us / self.slots as u64,
            Err(_) => u64::MAX,
        };
        longest.max(global)
    }

    /// How many checks host `id` may run at once: `per_host`, or fewer when
    /// that many would finish its work long before the run's.
    fn share(&self, id: HostId) -> usize {
        let Some(work) = self.queues[id].counted else {
            return self.per_host;
        };
        let horizon = self.horizon_us();
        if horizon == 0 {
            return self.per_host;
        }
        let needed = (SLACK * self.per_host as u64)
            .saturating_mul(work.at_limit_us)
            .div_ceil(horizon);
        needed.clamp(1, self.per_host as u64) as usize
    }

    /// How long host `id` leaves between the starts of its checks: nothing,
    /// or, when even one check at a time would finish its work long before
    /// the run's expected length, that length spread over its waiting
    /// checks (with the same slack as its share), at most [`MAX_GAP`].
    fn gap(&self, id: HostId) -> Option<Duration> {
        let queue = &self.queues[id];
        queue.counted?;
        let waiting = queue.waiting.len() as u64;
        let gap_us = (self.horizon_us() / (SLACK * waiting.max(1))).min(MAX_GAP.as_micros() as u64);
        (gap_us > queue.took_us.max(FLOOR_US)).then(|| Duration::from_micros(gap_us))
    }

    /// Puts host `id` in `ready` under its current key when it has waiting
    /// targets and room, and takes it out otherwise.
    fn reconsider(&mut self, id: HostId) {
        self.recount(id);
        let share = self.share(id);
        let gap = if share == 1 { self.gap(id) } else { None };
        let now = gap.map(|_| self.now());
        let queue = &mut self.queues[id];
        if let Some(at) = queue.asleep.take() {
            self.sleeping.remove(&(at, id));
        }
        queue.spaced = gap.is_some();
        let mut wanted = !queue.waiting.is_empty() && queue.has_room(share);
        if let (true, Some(gap), Some(now)) = (wanted, gap, now) {
            // A host spaced since its latest check started counts from now.
            let due = *queue.started.get_or_insert(now) + gap;
            if due > now {
                // Spaced: it takes its turn when `wake` says it is due.
                self.sleeping.insert((due, id));
                queue.asleep = Some(due);
                wanted = false;
            }
        }
        let size = Reverse(match (&queue.fate, queue.took_us) {
            (None, _) => NOT_HEARD_FROM,
            (_, 0) => rank(queue.waiting.len(), self.per_host, TYPICAL_US),
            (_, took) => rank(queue.waiting.len(), self.per_host, took),
        });
        match queue.ready {
            Some((old, _)) if wanted && old == size => {}
            Some((old, turn)) => {
                self.ready.remove(&(old, turn, id));
                queue.ready = None;
                if wanted {
                    // Keeps its turn among hosts of its new size.
                    self.ready.insert((size, turn, id));
                    queue.ready = Some((size, turn));
                }
            }
            None if wanted => {
                self.turn += 1;
                self.ready.insert((size, self.turn, id));
                queue.ready = Some((size, self.turn));
            }
            None => {}
        }
    }
}

/// The time a check of a host is taken to need when none has been timed: a
/// typical web page's answer.
const TYPICAL_US: u64 = 100_000;

/// How much sooner than the run's expected length a host's share of
/// `per_host` would finish its work: room for the expectation to be wrong
/// (the run's work is only what it has read, and times change).
const SLACK: u64 = 2;

/// The longest a spaced host waits between the starts of two checks: it is
/// asked at least once a second, however long the run.
const MAX_GAP: Duration = Duration::from_secs(1);

/// The rank of a host not heard from yet: above any work.
const NOT_HEARD_FROM: u32 = u32::MAX;

/// The shortest time a check is taken to need. Below it (a host on the
/// same machine or network, whose times under load are the run's own CPU
/// contention more than the host's), hosts are ranked by their waiting URLs
/// alone, as they come, so that rows finish close to input order: with a
/// floor of 4 ms, loopback hosts' ranks drifted apart under load, rows
/// finished out of order, and scenario (a) peaked 30% higher.
const FLOOR_US: u64 = 25_000;

/// A host's work left on a scale of octaves: `waiting` checks, `per_host`
/// at a time, of `took_us` each (at least [`FLOOR_US`]). Hosts within a
/// factor of two take turns.
fn rank(waiting: usize, per_host: usize, took_us: u64) -> u32 {
    let rounds = waiting.div_ceil(per_host.max(1)) as u64;
    let work = rounds.saturating_mul(took_us.max(FLOOR_US));
    u64::BITS - work.leading_zeros()
}

/// The target of a URL whose host could not be reached.
fn unreachable(mut target: Target, why: ErrorKind, error: &str) -> Target {
    let kind = std::mem::replace(&mut target.kind, TargetKind::Skipped(String::new()));
    target.kind = match kind {
        TargetKind::Check(url) => TargetKind::Unreachable {
            url,
            error: error.to_string(),
            kind: why,
        },
        // A page of an unreachable host is not crawled.
        TargetKind::Page(page) => TargetKind::Unreachable {
            url: page.unread(Fetched::NoPage),
            error: error.to_string(),
            kind: why,
        },
        other => other,
    };
    target
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn target(index: u64) -> Target {
        let text = format!("http://h.test/{index}");
        Target {
            index,
            kind: TargetKind::Check(Url::parse(&text).unwrap()),
            text,
            source: "t".into(),
        }
    }

    fn started(queues: &mut HostQueues) -> Vec<(HostId, u64)> {
        started_turns(queues)
            .into_iter()
            .map(|(turn, index)| (turn.host, index))
            .collect()
    }

    fn started_turns(queues: &mut HostQueues) -> Vec<(Turn, u64)> {
        std::iter::from_fn(|| queues.next())
            .map(|(turn, target)| (turn, target.index))
            .collect()
    }

    /// The turn of a check of `host` that is not a probe.
    fn check(host: HostId) -> Turn {
        Turn { host, probe: false }
    }

    /// Queues `indexes` for `host` and returns its id.
    fn queue(
        queues: &mut HostQueues,
        host: &str,
        indexes: impl IntoIterator<Item = u64>,
    ) -> HostId {
        let id = queues.id(&Url::parse(&format!("http://{host}/")).unwrap());
        for i in indexes {
            assert!(queues.push(id, target(i)).is_none());
        }
        id
    }

    /// A run of two timed hosts: long, 80 checks of 2 s (10 rounds at its
    /// limit, 20 s), and small, 40 checks of 100 ms (4 s one at a time,
    /// which would end long before the run does).
    fn long_and_small() -> (HostQueues, HostId, HostId) {
        let mut queues = HostQueues::new(8, 128);
        let long = warm(&mut queues, "long");
        let small = warm(&mut queues, "small");
        queues.took(long, Duration::from_secs(2));
        queues.took(small, Duration::from_millis(100));
        queue(&mut queues, "long", 0..80);
        queue(&mut queues, "small", 100..140);
        (queues, long, small)
    }

    /// Tells `queues` that `by` has passed since the time it last knew.
    fn later(queues: &mut HostQueues, by: Duration) {
        let now = queues.now() + by;
        queues.wake_at(now);
    }

    /// Makes `host` answer once (its first check) and returns its id.
    fn warm(queues: &mut HostQueues, host: &str) -> HostId {
        let id = queue(queues, host, [1000]);
        assert_eq!(started(queues), [(id, 1000)]);
        queues.done(check(id), HostNews::Answered);
        id
    }

    #[test]
    fn a_host_runs_one_check_until_it_answers_then_its_limit() {
        let mut queues = HostQueues::new(2, 128);
        let h = queue(&mut queues, "h", 0..4);
        assert_eq!(started(&mut queues), [(h, 0)]);
        // A failure that is not the host's absence: still one at a time.
        assert!(queues.done(check(h), HostNews::Unknown).is_empty());
        assert_eq!(started(&mut queues), [(h, 1)]);
        assert!(queues.done(check(h), HostNews::Answered).is_empty());
        assert_eq!(started(&mut queues), [(h, 2), (h, 3)]);
    }

    #[test]
    fn an_unreachable_host_gives_its_urls_back_at_once() {
        let mut queues = HostQueues::new(8, 128);
        let dead = queue(&mut queues, "dead", 0..3);
        assert_eq!(started(&mut queues).len(), 1);
        let settled = queues.done(
            check(dead),
            HostNews::Unreachable(ErrorKind::Refused, "connection refused".into()),
        );
        let indexes: Vec<u64> = settled.iter().map(|t| t.index).collect();
        assert_eq!(indexes, [1, 2]);
        assert!(settled.iter().all(|t| matches!(
            &t.kind,
            TargetKind::Unreachable { error, .. } if error == "connection refused"
        )));
        let later = queues.push(dead, target(7)).unwrap();
        assert!(matches!(later.kind, TargetKind::Unreachable { .. }));
        assert!(queues.next().is_none());
    }

    #[test]
    fn a_host_that_answered_is_never_unreachable() {
        let mut queues = HostQueues::new(8, 128);
        let h = warm(&mut queues, "h");
        queue(&mut queues, "h", 0..2);
        assert_eq!(started(&mut queues).len(), 2);
        assert!(
            queues
                .done(
                    check(h),
                    HostNews::Unreachable(ErrorKind::Dns, "dns".into())
                )
                .is_empty()
        );
        assert!(queues.push(h, target(9)).is_none());
        assert_eq!(started(&mut queues), [(h, 9)]);
    }

    #[test]
    fn the_host_with_most_waiting_goes_first_and_equals_take_turns() {
        let mut queues = HostQueues::new(2, 128);
        let small = warm(&mut queues, "small");
        let big = warm(&mut queues, "big");
        let other = warm(&mut queues, "other");
        queue(&mut queues, "small", [0]);
        queue(&mut queues, "big", 10..16);
        queue(&mut queues, "other", 20..23);
        // big (6 waiting: 3 rounds of 2) runs to its limit first, then other
        // (3 waiting: 2 rounds); then other and small have one round each
        // and take turns, small first in.
        assert_eq!(
            started(&mut queues),
            [(big, 10), (big, 11), (other, 20), (small, 0), (other, 21)]
        );
        queues.done(check(big), HostNews::Answered);
        assert_eq!(started(&mut queues), [(big, 12)]);
    }

    #[test]
    fn a_slow_host_goes_before_a_fast_one_with_more_waiting() {
        let mut queues = HostQueues::new(2, 128);
        let fast = warm(&mut queues, "fast");
        let slow = warm(&mut queues, "slow");
        // Their checks took 5 ms and 2 s.
        queues.took(fast, Duration::from_millis(5));
        queues.took(slow, Duration::from_secs(2));
        queue(&mut queues, "fast", 0..30);
        queue(&mut queues, "slow", 100..104);
        // slow: 2 rounds of 2 s; fast: 15 rounds of 5 ms, taken as 25 ms.
        assert_eq!(
            started(&mut queues),
            [(slow, 100), (slow, 101), (fast, 0), (fast, 1)]
        );
        // A host not heard from goes before either: its first check tells
        // how long it takes, or that it is dead.
        let new = queue(&mut queues, "new", [200, 201]);
        queues.done(check(slow), HostNews::Answered);
        queues.done(check(fast), HostNews::Answered);
        assert_eq!(started(&mut queues), [(new, 200), (slow, 102), (fast, 2)]);
        // Once it has answered, its work is ranked: one round of a check
        // never timed, as long as a typical page's (100 ms), goes after the
        // slow host's round of 2 s and after the fast host's 13 rounds,
        // each taken at the floor of 25 ms.
        queues.done(check(new), HostNews::Answered);
        queues.done(check(slow), HostNews::Answered);
        queues.done(check(fast), HostNews::Answered);
        assert_eq!(started(&mut queues), [(slow, 103), (fast, 3), (new, 201)]);
    }

    #[test]
    fn a_host_with_little_work_runs_fewer_checks_until_the_runs_work_shrinks() {
        let (mut queues, long, small) = long_and_small();
        later(&mut queues, Duration::from_secs(2));
        let first = started(&mut queues);
        assert_eq!(first.iter().filter(|(h, _)| *h == long).count(), 8);
        assert_eq!(first.iter().filter(|(h, _)| *h == small).count(), 1);
        // As the long host's checks end and its others start, the small
        // one goes on one at a time while the long one has 5 rounds or more
        // left.
        let round = |queues: &mut HostQueues, small_running: usize| {
            for _ in 0..8 {
                queues.done(check(long), HostNews::Answered);
            }
            for _ in 0..small_running {
                queues.done(check(small), HostNews::Answered);
            }
            // A round of the long host's checks later: the small host's
            // spacing, if it is spaced, is over.
            later(queues, Duration::from_secs(2));
            let next = started(queues);
            next.iter().filter(|(h, _)| *h == small).count()
        };
        for _ in 0..4 {
            assert_eq!(round(&mut queues, 1), 1);
        }
        // Then its share grows with every round, up to its limit once the
        // long host's work has all started.
        let mut running = 1;
        let mut shares = Vec::new();
        for _ in 0..5 {
            running = round(&mut queues, running);
            shares.push(running);
        }
        assert!(shares.is_sorted() && shares[0] < 8, "{shares:?}");
        assert_eq!(round(&mut queues, running), 8);
    }

    #[test]
    fn the_runs_slots_count_in_its_expected_length() {
        // 100 hosts of 8 checks of 1 s: each host's work at its limit is
        // 1 s, but the run's 16 slots make the run 50 s long; a host of
        // 80 checks of 100 ms (1 s at its limit) runs one at a time.
        let mut queues = HostQueues::new(8, 16);
        let small = warm(&mut queues, "small");
        let many: Vec<HostId> = (0..100)
            .map(|i| {
                let id = warm(&mut queues, &format!("h{i}"));
                queues.took(id, Duration::from_secs(1));
                id
            })
            .collect();
        for i in 0..100 {
            queue(&mut queues, &format!("h{i}"), 0..8);
        }
        queues.took(small, Duration::from_millis(100));
        queue(&mut queues, "small", 100..180);
        later(&mut queues, Duration::from_secs(1));
        let first = started(&mut queues);
        assert_eq!(first.iter().filter(|(h, _)| *h == small).count(), 1);
        assert!(first.iter().filter(|(h, _)| many.contains(h)).count() >= 100);
        // Alone in a run of 128 slots, it would run at its limit.
        let mut alone = HostQueues::new(8, 128);
        let small = warm(&mut alone, "small");
        alone.took(small, Duration::from_millis(100));
        queue(&mut alone, "small", 100..180);
        assert_eq!(started(&mut alone).len(), 8);
    }

    #[test]
    fn a_host_whose_work_is_short_beside_the_runs_is_spaced_over_it() {
        let (mut queues, long, small) = long_and_small();
        later(&mut queues, Duration::from_secs(1));
        let first = started(&mut queues);
        assert_eq!(first.iter().filter(|(h, _)| *h == small).count(), 1);
        let start = queues.now();
        // Its check ends after 100 ms: the next one is not due yet.
        later(&mut queues, Duration::from_millis(100));
        queues.done(check(small), HostNews::Answered);
        assert_eq!(started(&mut queues), []);
        let due = queues.next_wake().unwrap();
        let gap = due - start;
        // About half the run's 20 s over its 39 checks left, and never more
        // than a second.
        assert!(
            gap > Duration::from_millis(150) && gap <= MAX_GAP,
            "{gap:?}"
        );
        queues.wake_at(due - Duration::from_millis(1));
        assert_eq!(started(&mut queues), []);
        queues.wake_at(due);
        assert_eq!(started(&mut queues), [(small, 101)]);
        // The long host is never spaced: its next check goes as soon as one
        // of its own ends.
        queues.done(check(long), HostNews::Answered);
        assert_eq!(started(&mut queues), [(long, 8)]);
        // Nor is the small one once the run's work left is as short as its.
        for _ in 0..8 {
            queues.done(check(long), HostNews::Answered);
        }
        let _ = started(&mut queues);
        for _ in 0..80 {
            queues.done(check(long), HostNews::Answered);
            let _ = started(&mut queues);
        }
        queues.done(check(small), HostNews::Answered);
        assert_eq!(started(&mut queues).len(), 8);
        assert_eq!(queues.next_wake(), None);
    }

    #[test]
    fn only_spaced_hosts_read_the_clock() {
        let mut queues = HostQueues::new(8, 128);
        let h = warm(&mut queues, "h");
        queues.took(h, Duration::from_millis(1));
        queue(&mut queues, "h", 0..100);
        queues.wake();
        assert_eq!(started(&mut queues).len(), 8);
        for _ in 0..8 {
            queues.done(check(h), HostNews::Answered);
        }
        assert_eq!(started(&mut queues).len(), 8);
        assert_eq!(queues.now, None);
        // A spaced host does, and is put to sleep at its time.
        let (mut queues, _, small) = long_and_small();
        later(&mut queues, Duration::from_secs(1));
        let _ = started(&mut queues);
        queues.wake();
        queues.done(check(small), HostNews::Answered);
        assert!(queues.now.is_some());
        assert!(queues.next_wake().is_some());
    }

    #[test]
    fn work_is_ranked_by_octaves_above_a_floor() {
        let ms = |n: u64| n * 1000;
        assert_eq!(rank(8, 8, ms(100)), rank(1, 8, ms(100)));
        assert!(rank(17, 8, ms(100)) > rank(8, 8, ms(100)));
        assert_eq!(rank(1, 8, ms(100)), rank(1, 8, ms(120)));
        assert!(rank(1, 8, ms(260)) > rank(1, 8, ms(100)));
        assert!(rank(83, 8, ms(2000)) > rank(2666, 8, ms(40)));
        // Loopback times (0 or a few ms, by the millisecond) are all the
        // floor.
        assert_eq!(rank(40, 8, 1), rank(40, 8, ms(1)));
        assert_eq!(rank(40, 8, ms(1)), rank(40, 8, ms(20)));
        assert!(rank(usize::MAX, 1, u64::MAX) > rank(1, 1, 1));
    }

    #[test]
    fn a_silent_first_check_lets_one_probe_go_which_decides() {
        let mut queues = HostQueues::new(8, 128);
        let h = queue(&mut queues, "h", 0..5);
        assert_eq!(started(&mut queues), [(h, 0)]);
        // The first check timed out without an answer: one probe, not more.
        let silent = HostNews::Silent("timeout after 2s".into());
        assert!(queues.done(check(h), silent.clone()).is_empty());
        assert_eq!(
            started_turns(&mut queues),
            [(
                Turn {
                    host: h,
                    probe: true
                },
                1
            )]
        );
        // The probe answered: the host runs at its limit.
        assert!(
            queues
                .done(
                    Turn {
                        host: h,
                        probe: true
                    },
                    HostNews::Answered
                )
                .is_empty()
        );
        assert_eq!(started(&mut queues), [(h, 2), (h, 3), (h, 4)]);
    }

    #[test]
    fn a_silent_probe_makes_the_host_unreachable() {
        let mut queues = HostQueues::new(8, 128);
        let h = queue(&mut queues, "h", 0..4);
        assert_eq!(started(&mut queues), [(h, 0)]);
        let silent = HostNews::Silent("timeout after 2s".into());
        assert!(queues.done(check(h), silent.clone()).is_empty());
        let [(probe, 1)] = started_turns(&mut queues)[..] else {
            panic!("one probe");
        };
        let settled = queues.done(probe, silent);
        let indexes: Vec<u64> = settled.iter().map(|t| t.index).collect();
        assert_eq!(indexes, [2, 3]);
        assert!(matches!(
            queues.push(h, target(9)).unwrap().kind,
            TargetKind::Unreachable { error, .. } if error == "timeout after 2s"
        ));
    }

    #[test]
    fn a_stalled_first_check_sends_the_probe_before_it_ends() {
        let mut queues = HostQueues::new(8, 128);
        let h = queue(&mut queues, "h", 0..4);
        let other = queue(&mut queues, "other", [10]);
        assert_eq!(started(&mut queues).len(), 2);
        // A stall of a host with no check running, or of an unknown name,
        // changes nothing.
        queues.silent("nowhere");
        assert!(started(&mut queues).is_empty());
        queues.silent("h");
        assert_eq!(
            started_turns(&mut queues),
            [(
                Turn {
                    host: h,
                    probe: true
                },
                1
            )]
        );
        // The first check ends silent while the probe is out: nothing more
        // goes, and the host is not condemned on it.
        let silent = HostNews::Silent("timeout after 20s".into());
        assert!(queues.done(check(h), silent).is_empty());
        assert!(started(&mut queues).is_empty());
        queues.done(
            Turn {
                host: h,
                probe: true,
            },
            HostNews::Answered,
        );
        assert_eq!(started(&mut queues), [(h, 2), (h, 3)]);
        queues.done(check(other), HostNews::Answered);
    }
}
