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
//! A "host" here is the authority, `host:port`: a closed port says nothing of
//! the host's other ports. Fates are kept for the run, after a host's queue
//! is gone: they grow with the number of hosts, not URLs.

use std::collections::{HashMap, VecDeque};

use crate::check::HostNews;
use crate::types::{Target, TargetKind};

/// Targets waiting for their host's turn, and the hosts whose turn it may
/// be, in round-robin order.
pub struct HostQueues {
    per_host: usize,
    hosts: HashMap<String, HostQueue>,
    /// Hosts with waiting targets and room to run one more; each at most
    /// once.
    ready: VecDeque<String>,
    fates: HashMap<String, Fate>,
}

#[derive(Default)]
struct HostQueue {
    waiting: VecDeque<Target>,
    running: usize,
    in_ready: bool,
}

/// What a host has shown in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Answered,
    /// Why it could not be reached.
    Unreachable(String),
}

impl HostQueues {
    pub fn new(per_host: usize) -> HostQueues {
        HostQueues {
            per_host,
            hosts: HashMap::new(),
            ready: VecDeque::new(),
            fates: HashMap::new(),
        }
    }

    /// Queues `target` for `host`, or gives it back at once, made into an
    /// unreachable row's target, when the host is known to be unreachable.
    pub fn push(&mut self, host: String, target: Target) -> Option<Target> {
        if let Some(Fate::Unreachable(error)) = self.fates.get(&host) {
            return Some(unreachable(target, error));
        }
        let limit = self.limit(&host);
        // Looked up before inserting, so that the common case (a host seen
        // before) does not copy its name.
        if !self.hosts.contains_key(&host) {
            self.hosts.insert(host.clone(), HostQueue::default());
        }
        let queue = self.hosts.get_mut(&host)?;
        queue.waiting.push_back(target);
        if !queue.in_ready && queue.running < limit {
            queue.in_ready = true;
            self.ready.push_back(host);
        }
        None
    }

    /// The next target allowed to start, taking hosts in turn.
    pub fn next(&mut self) -> Option<(String, Target)> {
        let host = self.ready.pop_front()?;
        let limit = self.limit(&host);
        let queue = self.hosts.get_mut(&host)?;
        let target = queue.waiting.pop_front()?;
        queue.running += 1;
        queue.in_ready = !queue.waiting.is_empty() && queue.running < limit;
        if queue.in_ready {
            self.ready.push_back(host.clone());
        }
        Some((host, target))
    }

    /// A check of `host` finished with `news` of the host. Returns the
    /// targets that no longer need a request: all that waited for a host
    /// found unreachable.
    pub fn done(&mut self, host: &str, news: HostNews) -> Vec<Target> {
        let mut settled = Vec::new();
        match news {
            HostNews::Answered => {
                if self.fates.get(host) != Some(&Fate::Answered) {
                    self.fates.insert(host.to_string(), Fate::Answered);
                }
            }
            // A host that has answered once is never unreachable.
            HostNews::Unreachable(error) if !self.fates.contains_key(host) => {
                if let Some(queue) = self.hosts.get_mut(host) {
                    settled = queue
                        .waiting
                        .drain(..)
                        .map(|target| unreachable(target, &error))
                        .collect();
                }
                self.fates
                    .insert(host.to_string(), Fate::Unreachable(error));
            }
            HostNews::Unreachable(_) | HostNews::Unknown => {}
        }
        let limit = self.limit(host);
        let Some(queue) = self.hosts.get_mut(host) else {
            return settled;
        };
        queue.running = queue.running.saturating_sub(1);
        if queue.waiting.is_empty() && queue.running == 0 {
            self.hosts.remove(host);
        } else if !queue.in_ready && !queue.waiting.is_empty() && queue.running < limit {
            queue.in_ready = true;
            self.ready.push_back(host.to_string());
        }
        settled
    }

    /// Checks `host` may run at once: one until it has answered.
    fn limit(&self, host: &str) -> usize {
        match self.fates.get(host) {
            Some(Fate::Answered) => self.per_host,
            _ => 1,
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

    fn started(queues: &mut HostQueues) -> Vec<(String, u64)> {
        std::iter::from_fn(|| queues.next())
            .map(|(host, target)| (host, target.index))
            .collect()
    }

    #[test]
    fn a_host_runs_one_check_until_it_answers_then_its_limit() {
        let mut queues = HostQueues::new(2);
        for i in 0..4 {
            assert!(queues.push("h".into(), target(i)).is_none());
        }
        assert_eq!(started(&mut queues), [("h".to_string(), 0)]);
        // A failure that is not the host's absence: still one at a time.
        assert!(queues.done("h", HostNews::Unknown).is_empty());
        assert_eq!(started(&mut queues), [("h".to_string(), 1)]);
        assert!(queues.done("h", HostNews::Answered).is_empty());
        assert_eq!(
            started(&mut queues),
            [("h".to_string(), 2), ("h".to_string(), 3)]
        );
    }

    #[test]
    fn an_unreachable_host_gives_its_urls_back_at_once() {
        let mut queues = HostQueues::new(8);
        for i in 0..3 {
            queues.push("dead".into(), target(i));
        }
        assert_eq!(started(&mut queues).len(), 1);
        let settled = queues.done("dead", HostNews::Unreachable("connection refused".into()));
        let indexes: Vec<u64> = settled.iter().map(|t| t.index).collect();
        assert_eq!(indexes, [1, 2]);
        assert!(settled.iter().all(|t| matches!(
            &t.kind,
            TargetKind::Unreachable { error, .. } if error == "connection refused"
        )));
        let later = queues.push("dead".into(), target(7)).unwrap();
        assert!(matches!(later.kind, TargetKind::Unreachable { .. }));
        assert!(queues.next().is_none());
    }

    #[test]
    fn a_host_that_answered_is_never_unreachable() {
        let mut queues = HostQueues::new(8);
        for i in 0..3 {
            queues.push("h".into(), target(i));
        }
        started(&mut queues);
        queues.done("h", HostNews::Answered);
        assert_eq!(started(&mut queues).len(), 2);
        assert!(
            queues
                .done("h", HostNews::Unreachable("timeout".into()))
                .is_empty()
        );
        assert!(queues.push("h".into(), target(9)).is_none());
        assert_eq!(started(&mut queues), [("h".to_string(), 9)]);
    }

    #[test]
    fn warm_hosts_take_turns_within_their_limit() {
        let mut queues = HostQueues::new(2);
        for host in ["slow", "fast"] {
            queues.push(host.into(), target(100));
            started(&mut queues);
            queues.done(host, HostNews::Answered);
        }
        for i in 0..4 {
            queues.push("slow".into(), target(i));
        }
        queues.push("fast".into(), target(10));
        queues.push("fast".into(), target(11));
        // Two of slow (its limit), both of fast, interleaved.
        assert_eq!(
            started(&mut queues),
            [
                ("slow".to_string(), 0),
                ("fast".to_string(), 10),
                ("slow".to_string(), 1),
                ("fast".to_string(), 11)
            ]
        );
        queues.done("slow", HostNews::Answered);
        assert_eq!(started(&mut queues), [("slow".to_string(), 2)]);
        queues.done("fast", HostNews::Answered);
        queues.done("fast", HostNews::Answered);
        assert!(
            !queues.hosts.contains_key("fast"),
            "idle hosts are forgotten"
        );
    }
}
