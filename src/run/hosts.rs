//! Per-host queues: targets wait here, holding no task, until their host has
//! room (`--per-host` checks at most); hosts with room take turns.

use std::collections::{HashMap, VecDeque};

use crate::types::Target;

/// Targets waiting for their host's turn, and the hosts whose turn it may
/// be, in round-robin order.
pub struct HostQueues {
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
    pub fn new(per_host: usize) -> HostQueues {
        HostQueues {
            per_host,
            hosts: HashMap::new(),
            ready: VecDeque::new(),
        }
    }

    pub fn push(&mut self, host: String, target: Target) {
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
    pub fn next(&mut self) -> Option<(String, Target)> {
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
    pub fn done(&mut self, host: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TargetKind;

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
}
