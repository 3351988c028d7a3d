//! Per-host queues: targets wait here, holding no task, until their host has
//! room; hosts with room take turns.
//!
//! A host's room depends on what it has shown in this run (its fate):
//! - a host that has not answered yet gets one check at a time (warm-up), so
//!   a dead host costs one timeout rather than `--per-host` of them, and a
//!   live one is not hit with a burst before it has answered once;
//! - a host that has answered gets `--per-host` checks;
//! - a host whose first URL could not reach it (and that never answered) is
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

use crate::check::HostNews;
use crate::types::{Target, TargetKind};

/// A host's number in this run.
pub type HostId = usize;

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
}

#[derive(Default)]
struct HostQueue {
    waiting: VecDeque<Target>,
    running: usize,
    /// The host's key in `ready`, when it is there.
    ready: Option<(Reverse<u32>, u64)>,
    fate: Option<Fate>,
}

/// What a host has shown in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Answered,
    /// Why it could not be reached.
    Unreachable(String),
}

impl HostQueue {
    /// Checks this host may run at once: one until it has answered.
    fn limit(&self, per_host: usize) -> usize {
        match self.fate {
            Some(Fate::Answered) => per_host,
            _ => 1,
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
        }
    }

    /// The number of host `name` (`host` or `host:port`), new or known.
    pub fn id(&mut self, name: &str) -> HostId {
        match self.ids.get(name) {
            Some(&id) => id,
            None => {
                self.queues.push(HostQueue::default());
                self.ids.insert(name.to_string(), self.queues.len() - 1);
                self.queues.len() - 1
            }
        }
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

    /// The next target allowed to start, and its host.
    pub fn next(&mut self) -> Option<(HostId, Target)> {
        let (_, _, id) = self.ready.pop_first()?;
        let queue = &mut self.queues[id];
        queue.ready = None;
        let target = queue.waiting.pop_front()?;
        if queue.waiting.is_empty() {
            // Most hosts have few URLs: do not keep their buffers.
            queue.waiting = VecDeque::new();
        }
        queue.running += 1;
        self.reconsider(id);
        Some((id, target))
    }

    /// A check of host `id` finished with `news` of the host. Returns the
    /// targets that no longer need a request: all that waited for a host
    /// found unreachable.
    pub fn done(&mut self, id: HostId, news: HostNews) -> Vec<Target> {
        let Some(queue) = self.queues.get_mut(id) else {
            return Vec::new();
        };
        let mut settled = Vec::new();
        match news {
            HostNews::Answered => queue.fate = Some(Fate::Answered),
            // A host that has answered once is never unreachable.
            HostNews::Unreachable(error) if queue.fate.is_none() => {
                settled = std::mem::take(&mut queue.waiting)
                    .into_iter()
                    .map(|target| unreachable(target, &error))
                    .collect();
                queue.fate = Some(Fate::Unreachable(error));
            }
            HostNews::Unreachable(_) | HostNews::Unknown => {}
        }
        queue.running = queue.running.saturating_sub(1);
        self.reconsider(id);
        settled
    }

    /// Puts host `id` in `ready` under its current key when it has waiting
    /// targets and room, and takes it out otherwise.
    fn reconsider(&mut self, id: HostId) {
        let queue = &mut self.queues[id];
        let wanted = !queue.waiting.is_empty() && queue.running < queue.limit(self.per_host);
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
        std::iter::from_fn(|| queues.next())
            .map(|(host, target)| (host, target.index))
            .collect()
    }

    /// Queues `indexes` for `host` and returns its id.
    fn queue(
        queues: &mut HostQueues,
        host: &str,
        indexes: impl IntoIterator<Item = u64>,
    ) -> HostId {
        let id = queues.id(host);
        for i in indexes {
            assert!(queues.push(id, target(i)).is_none());
        }
        id
    }

    /// Makes `host` answer once (its first check) and returns its id.
    fn warm(queues: &mut HostQueues, host: &str) -> HostId {
        let id = queue(queues, host, [1000]);
        assert_eq!(started(queues), [(id, 1000)]);
        queues.done(id, HostNews::Answered);
        id
    }

    #[test]
    fn a_host_runs_one_check_until_it_answers_then_its_limit() {
        let mut queues = HostQueues::new(2);
        let h = queue(&mut queues, "h", 0..4);
        assert_eq!(started(&mut queues), [(h, 0)]);
        // A failure that is not the host's absence: still one at a time.
        assert!(queues.done(h, HostNews::Unknown).is_empty());
        assert_eq!(started(&mut queues), [(h, 1)]);
        assert!(queues.done(h, HostNews::Answered).is_empty());
        assert_eq!(started(&mut queues), [(h, 2), (h, 3)]);
    }

    #[test]
    fn an_unreachable_host_gives_its_urls_back_at_once() {
        let mut queues = HostQueues::new(8);
        let dead = queue(&mut queues, "dead", 0..3);
        assert_eq!(started(&mut queues).len(), 1);
        let settled = queues.done(dead, HostNews::Unreachable("connection refused".into()));
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
                .done(h, HostNews::Unreachable("timeout".into()))
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
        queues.done(big, HostNews::Answered);
        assert_eq!(started(&mut queues), [(big, 12)]);
    }
}
