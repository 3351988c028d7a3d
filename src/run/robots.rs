//! robots.txt for the pages a crawl fetches (RFC 9309): read once per
//! origin, when its first page is about to be fetched, by the run (never
//! on the input's thread). Only crawling obeys it: a link that it keeps
//! the crawl from is still checked, like any link (a HEAD is not a crawl).
//!
//! Its rules are matched by the `texting_robots` crate for our user-agent
//! token `headcheck`. A robots.txt that is missing (any 4xx) allows
//! everything; one that fails (5xx) or cannot be fetched allows nothing on
//! that origin. A `Crawl-delay` spaces every request to that host by at
//! least that long (at most [`MAX_CRAWL_DELAY`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use texting_robots::Robot;
use tokio::sync::OnceCell;
use url::Url;

use crate::check::{Checker, MAX_ROBOTS_BYTES};
use crate::types::host_key;

/// Our token in robots.txt's `User-agent` lines.
pub const ROBOTS_AGENT: &str = "headcheck";

/// The longest `Crawl-delay` heeded: a host that asks for more is still
/// asked once in that long, and a run is never held for hours.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(10);

/// What an origin's robots.txt says of crawling it.
#[derive(Debug)]
enum Rules {
    /// No robots.txt (4xx): crawl anything.
    Everything,
    /// Its robots.txt failed: crawl nothing; why.
    Nothing(String),
    Some(Box<Robot>),
}

/// The robots.txt rules of every origin of a run, each fetched once.
#[derive(Debug, Default)]
pub struct Robots {
    origins: Mutex<HashMap<String, Arc<OnceCell<Rules>>>>,
}

impl Robots {
    /// Whether `url` may be crawled: `Err` with why not.
    pub async fn allows(&self, checker: &Checker, url: &Url) -> Result<(), String> {
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(origins.entry(origin).or_default())
        };
        match cell.get_or_init(|| fetch(checker, url)).await {
            Rules::Everything => Ok(()),
            Rules::Nothing(why) => Err(why.clone()),
            Rules::Some(robot) if robot.allowed(url.as_str()) => Ok(()),
            Rules::Some(_) => Err("disallowed by robots.txt".to_string()),
        }
    }
}

/// Fetches and reads the robots.txt of `url`'s origin; heeds its
/// `Crawl-delay`.
async fn fetch(checker: &Checker, url: &Url) -> Rules {
    let Ok(robots) = url.join("/robots.txt") else {
        return Rules::Everything;
    };
    let mut response = match checker.fetch_any(&robots).await {
        Ok(response) => response,
        Err(why) => return Rules::Nothing(format!("robots.txt could not be fetched: {why}")),
    };
    let status = response.status().as_u16();
    match status {
        200..=299 => {}
        500.. => return Rules::Nothing(format!("robots.txt answered {status}")),
        // Missing, or redirected too often: no rules.
        _ => return Rules::Everything,
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ROBOTS_BYTES - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() == MAX_ROBOTS_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(err) => return Rules::Nothing(format!("robots.txt broke off: {err}")),
        }
    }
    // A file the parser cannot read has no rules it could follow.
    let Ok(robot) = Robot::new(ROBOTS_AGENT, &body) else {
        return Rules::Everything;
    };
    if let Some(delay) = robot
        .delay
        .filter(|delay| delay.is_finite() && *delay > 0.0)
    {
        let delay = Duration::from_secs_f32(delay.min(MAX_CRAWL_DELAY.as_secs_f32()));
        checker.limits().space_at_least(host_key(url), delay);
    }
    Rules::Some(Box::new(robot))
}
