//! The run: targets in, report rows out, with the scheduler between them
//! (per-host queues, the tasks in flight) and the reorder buffer that keeps
//! the report in input order, and the later places of problem rows
//! (`places`).

mod crawl;
mod hosts;
mod places;
mod reorder;
mod robots;
mod scheduler;

pub use places::{Later, MAX_HELD};
pub use robots::{MAX_CRAWL_DELAY, ROBOTS_AGENT};
pub use scheduler::{Observer, RunEnd, RunOptions, max_tasks_for, run};
