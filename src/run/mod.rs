//! The run: targets in, report rows out, with the scheduler between them
//! (per-host queues, the tasks in flight) and the reorder buffer that keeps
//! the report in input order.

mod hosts;
mod reorder;
mod scheduler;

pub use scheduler::{Observer, RunEnd, RunOptions, max_tasks_for, run};
