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
//! When the run's slots are the limit, the host with the most targets
//! waiting goes first (longest work first), so that a large host runs at its
//! limit from the start instead of becoming the tail of the run.
//!
//! A "host" here is the authority, `host:port`: a closed port says nothing of
//! the host's other ports. Hosts and their fates are kept for the run: they
//! grow with the number of hosts, not URLs (an idle host keeps no buffer).

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};

use url::{Position, Url};

use crate::check::HostNews;
use crate::types::{Target, TargetKind};

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
/// be: the host with the most targets waiting first (so that a large host
/// runs at its limit from the start instead of becoming the tail of the
/// run), hosts with as many taking turns.
pub struct HostQueues {
    per_host: usize,
    ids: HashMap<String, HostId>,
    queues: Vec<HostQueue>,
    /// Hosts with waiting targets and room to run one more, each at most
    /// once, by (most waiting, first in). "Most" is by powers of two, so
    /// that a host's key changes only when its queue doubles or halves, not
    /// with every URL (hosts within a factor of two take turns).
    ready: BTreeSet<(Reverse<u32>, u64, HostId)>,
    /// Orders hosts with as many waiting targets.
    turn: u64,
    /// Hosts that have not answered yet, by name without the port (how the
    /// request limits know hosts, and so how a stall is told), until their
    /// fate is known.
    warming: HashMap<String, Vec<HostId>>,
}

#[derive(Default)]
struct HostQueue {
    waiting: VecDeque<Target>,
    running: usize,
    /// The host's key in `ready`, when it is there.
    ready: Option<(Reverse<u32>, u64)>,
    fate: Option<Fate>,
    probe: Probe,
    /// The host's name in `warming`, while it is there.
    warming: Option<Box<str>>,
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
    /// Why it could not be reached.
    Unreachable(String),
}

impl HostQueue {
    /// Whether this host may start one more check: up to `per_host` once it
    /// has answered; before, one at a time, and the probe when it is due.
    fn has_room(&self, per_host: usize) -> bool {
        match (&self.fate, self.probe) {
            (Some(Fate::Answered), _) => self.running < per_host,
            (Some(Fate::Unreachable(_)), _) | (None, Probe::Out) => false,
            (None, Probe::Due) => true,
            (None, Probe::NotNeeded) => self.running == 0,
        }
    }
}

impl HostQueues {
    pub fn new(per_host: usize) -> HostQueues {
        HostQueues {
            per_host,
            ids: HashMap::new(),
            queues: Vec::new(),
            ready: BTreeSet::new(),
            turn: 0,
            warming: HashMap::new(),
        }
    }

    /// The number of the host that `url`'s check waits for, new or known.
    pub fn id(&mut self, url: &Url) -> HostId {
        let authority = authority(url);
        if let Some(&id) = self.ids.get(authority) {
            return id;
        }
        let id = self.queues.len();
        let name = url.host_str().unwrap_or_default();
        self.queues.push(HostQueue {
            warming: Some(name.into()),
            ..HostQueue::default()
        });
        self.ids.insert(authority.to_string(), id);
        self.warming.entry(name.to_string()).or_default().push(id);
        id
    }

    /// Queues `target` for host `id`, or gives it back at once, made into
    /// an unreachable row's target, when the host is known to be
    /// unreachable.
    pub fn push(&mut self, id: HostId, target: Target) -> Option<Target> {
        let queue = &mut self.queues[id];
        if let Some(Fate::Unreachable(error)) = &queue.fate {
            return Some(unreachable(target, error));
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
        self.reconsider(id);
        Some((Turn { host: id, probe }, target))
    }

    /// A request to host `name` (without its port), which has never
    /// answered, has stalled: each host of that name still warming up with
    /// a check running may send its probe now rather than after the
    /// timeout.
    pub fn silent(&mut self, name: &str) {
        let Some(ids) = self.warming.get(name) else {
            return;
        };
        for id in ids.clone() {
            let queue = &mut self.queues[id];
            if queue.fate.is_none() && queue.probe == Probe::NotNeeded && queue.running > 0 {
                queue.probe = Probe::Due;
                self.reconsider(id);
            }
        }
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
            HostNews::Unreachable(error) => Some(error),
            // Silent twice, the second time with the probe: gone.
            HostNews::Silent(error) if turn.probe => Some(error),
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
        if let Some(error) = condemned {
            settled = std::mem::take(&mut queue.waiting)
                .into_iter()
                .map(|target| unreachable(target, &error))
                .collect();
            queue.fate = Some(Fate::Unreachable(error));
        }
        queue.running = queue.running.saturating_sub(1);
        if queue.fate.is_some() {
            self.stop_warming(id);
        }
        self.reconsider(id);
        settled
    }

    /// Forgets host `id` among the hosts warming up, now that its fate is
    /// known.
    fn stop_warming(&mut self, id: HostId) {
        let Some(name) = self.queues[id].warming.take() else {
            return;
        };
        if let Some(ids) = self.warming.get_mut(&*name) {
            ids.retain(|&other| other != id);
            if ids.is_empty() {
                self.warming.remove(&*name);
            }
        }
    }

    /// Puts host `id` in `ready` under its current key when it has waiting
    /// targets and room, and takes it out otherwise.
    fn reconsider(&mut self, id: HostId) {
        let queue = &mut self.queues[id];
        let wanted = !queue.waiting.is_empty() && queue.has_room(self.per_host);
        // The bit length of the queue's length: 1, 2–3, 4–7, …
        let size = Reverse(usize::BITS - queue.waiting.len().leading_zeros());
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

/// The host a URL's check waits for: `host`, or `host:port` when the port
/// is not the scheme's own (a slice of the URL: nothing is allocated).
fn authority(url: &Url) -> &str {
    &url[Position::BeforeHost..Position::AfterPort]
}

/// The target of a URL whose host could not be reached.
fn unreachable(mut target: Target, error: &str) -> Target {
    let kind = std::mem::replace(&mut target.kind, TargetKind::Skipped(String::new()));
    target.kind = match kind {
        TargetKind::Check(url) => TargetKind::Unreachable {
            url,
            error: error.to_string(),
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

    /// Makes `host` answer once (its first check) and returns its id.
    fn warm(queues: &mut HostQueues, host: &str) -> HostId {
        let id = queue(queues, host, [1000]);
        assert_eq!(started(queues), [(id, 1000)]);
        queues.done(check(id), HostNews::Answered);
        id
    }

    #[test]
    fn a_host_runs_one_check_until_it_answers_then_its_limit() {
        let mut queues = HostQueues::new(2);
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
        let mut queues = HostQueues::new(8);
        let dead = queue(&mut queues, "dead", 0..3);
        assert_eq!(started(&mut queues).len(), 1);
        let settled = queues.done(
            check(dead),
            HostNews::Unreachable("connection refused".into()),
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
        let mut queues = HostQueues::new(8);
        let h = warm(&mut queues, "h");
        queue(&mut queues, "h", 0..2);
        assert_eq!(started(&mut queues).len(), 2);
        assert!(
            queues
                .done(check(h), HostNews::Unreachable("timeout".into()))
                .is_empty()
        );
        assert!(queues.push(h, target(9)).is_none());
        assert_eq!(started(&mut queues), [(h, 9)]);
    }

    #[test]
    fn the_host_with_most_waiting_goes_first_and_equals_take_turns() {
        let mut queues = HostQueues::new(2);
        let small = warm(&mut queues, "small");
        let big = warm(&mut queues, "big");
        let other = warm(&mut queues, "other");
        queue(&mut queues, "small", [0]);
        queue(&mut queues, "big", 10..16);
        queue(&mut queues, "other", 20..22);
        // big (6 waiting) runs to its limit first, then other (2 waiting);
        // then other and small have one each and take turns.
        assert_eq!(
            started(&mut queues),
            [(big, 10), (big, 11), (other, 20), (small, 0), (other, 21)]
        );
        queues.done(check(big), HostNews::Answered);
        assert_eq!(started(&mut queues), [(big, 12)]);
    }

    #[test]
    fn a_silent_first_check_lets_one_probe_go_which_decides() {
        let mut queues = HostQueues::new(8);
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
        let mut queues = HostQueues::new(8);
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
        let mut queues = HostQueues::new(8);
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
