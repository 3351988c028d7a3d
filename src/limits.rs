//! Concurrency limits: who may send a request now.
//!
//! A URL waits here just before each request it sends. The global limit
//! (`-c`) counts requests actually in flight, and a permit is taken only at
//! the moment a request is about to go out and given back as soon as its
//! response headers are in. Anything a URL waits for before that (its
//! host's turn, pacing, backoff) happens without holding a global slot, so a
//! slow host never starves the others.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Shared by every check of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    global: Arc<Semaphore>,
}

/// Held while one request is in flight.
#[derive(Debug)]
pub struct Permit {
    _global: OwnedSemaphorePermit,
}

impl Limits {
    /// `concurrency` requests in flight at most (at least 1).
    pub fn new(concurrency: usize) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(concurrency.clamp(1, Semaphore::MAX_PERMITS))),
        }
    }

    /// Waits for the right to send one request to `host`.
    pub async fn acquire(&self, _host: &str) -> Permit {
        let global = Arc::clone(&self.global)
            .acquire_owned()
            .await
            .expect("the global semaphore is never closed");
        Permit { _global: global }
    }
}
