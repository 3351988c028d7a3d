//! Fetching documents (sitemaps, robots.txt) for the input stage, which
//! reads on a blocking thread: requests run on the async runtime, under the
//! same limits as checks, and bodies are read as a plain `std::io::Read`
//! stream, chunk by chunk, never held whole.

use std::io::{self, Read};

use bytes::Bytes;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use url::Url;

use crate::check::Checker;

/// Fetches documents from a blocking thread.
#[derive(Clone)]
pub struct Fetcher {
    checker: Checker,
    runtime: Handle,
}

/// A fetch under way on the runtime.
pub type Pending = JoinHandle<Result<reqwest::Response, String>>;

impl Fetcher {
    pub fn new(checker: Checker, runtime: Handle) -> Fetcher {
        Fetcher { checker, runtime }
    }

    /// Starts fetching `url` without waiting for it.
    pub fn start(&self, url: Url) -> Pending {
        let checker = self.checker.clone();
        self.runtime.spawn(async move { checker.fetch(&url).await })
    }

    /// Waits for a fetch and returns its body as a stream. Must not be
    /// called from the runtime's own threads.
    pub fn body(&self, pending: Pending) -> Result<Body, String> {
        let response = self
            .runtime
            .block_on(pending)
            .map_err(|e| format!("fetch failed: {e}"))??;
        Ok(Body {
            runtime: self.runtime.clone(),
            response,
            chunk: Bytes::new(),
        })
    }
}

/// A response body read chunk by chunk as it arrives.
pub struct Body {
    runtime: Handle,
    response: reqwest::Response,
    chunk: Bytes,
}

impl Read for Body {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.response.chunk()) {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(e) if e.is_timeout() => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "timeout while reading",
                    ));
                }
                Err(e) => return Err(io::Error::other(format!("connection broke: {e}"))),
            }
        }
        let n = self.chunk.len().min(out.len());
        out[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}
