//! The progress bar on standard error: done/total (a spinner with a count
//! while the total is unknown), rate, ETA and live counts per result, on
//! one line that fits an 80-column terminal.
//!
//! The rate and the ETA count only rows that took requests in this run:
//! a resumed run starts with thousands of rows done at once, which would
//! otherwise read as a rate of thousands a second and an ETA of 0 s.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use headcheck::input::CrawlTally;
use headcheck::types::{Tally, Verdict};
use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// How often the counts in the message are rebuilt; drawing itself is
/// rate-limited by indicatif.
const MESSAGE_EVERY: Duration = Duration::from_millis(100);

/// Rows that took requests before the rate is trusted for an ETA.
const ETA_AFTER: u64 = 20;

pub struct Progress {
    bar: Option<ProgressBar>,
    message_at: Instant,
    /// Finished checks per result. Counted on completion, so they move even
    /// while an earlier row holds back the report.
    tally: Tally,
    pace: Arc<Pace>,
    /// `--crawl`: the pages crawled so far lead the counts.
    crawl: Option<Arc<CrawlTally>>,
}

/// Rows that took requests, for the rate and the ETA.
#[derive(Debug, Default)]
struct Pace {
    requested: AtomicU64,
    /// When the first such row finished.
    since: OnceLock<Instant>,
}

impl Pace {
    /// Requested rows a second since the first one finished.
    fn rate(&self) -> Option<f64> {
        let since = self.since.get()?;
        let seconds = since.elapsed().as_secs_f64();
        (seconds > 0.5).then(|| self.requested.load(Ordering::Relaxed) as f64 / seconds)
    }
}

impl Progress {
    /// A bar when `visible`, otherwise a no-op. `total` is the expected
    /// number of URLs when it is known before the run.
    pub fn new(visible: bool, total: Option<u64>) -> Progress {
        let pace = Arc::new(Pace::default());
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(style(total.is_some(), &pace));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            message_at: Instant::now(),
            tally: Tally::default(),
            pace,
            crawl: None,
        }
    }

    /// The run crawls: the counts start with its pages crawled so far.
    pub fn crawling(&mut self, tally: Arc<CrawlTally>) {
        self.crawl = Some(tally);
    }

    /// A row finished; `requested`: it took requests in this run.
    pub fn finished(&mut self, verdict: Verdict, requested: bool) {
        let Some(bar) = &self.bar else { return };
        self.tally.add(verdict);
        if requested {
            self.pace.since.get_or_init(Instant::now);
            self.pace.requested.fetch_add(1, Ordering::Relaxed);
        }
        bar.inc(1);
        if self.message_at.elapsed() >= MESSAGE_EVERY {
            self.message_at = Instant::now();
            bar.set_message(self.message());
        }
    }

    /// `ok 12 broken 3 error 1`: ok, and the problems' counts that are not
    /// zero (after `pages 4` when crawling).
    fn message(&self) -> String {
        let mut text = String::new();
        if let Some(crawl) = &self.crawl {
            let _ = write!(text, "pages {}", CrawlTally::get(&crawl.crawled));
        }
        for (verdict, n) in self.tally.counts() {
            let shown = verdict == Verdict::Ok || (verdict.is_problem() && n > 0);
            if shown {
                let _ = write!(
                    text,
                    "{}{} {n}",
                    if text.is_empty() { "" } else { " " },
                    verdict.as_str()
                );
            }
        }
        text
    }

    /// The input is fully read: the total is now exact.
    pub fn total_known(&mut self, total: u64) {
        let Some(bar) = &self.bar else { return };
        if bar.length() != Some(total) {
            bar.set_length(total);
            bar.set_style(style(true, &self.pace));
        }
    }

    pub fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// One line of at most 80 columns: the counts (`wide_msg`) take what is
/// left and are cut, never wrapped.
fn style(known_total: bool, pace: &Arc<Pace>) -> ProgressStyle {
    let template = if known_total {
        "{spinner} {elapsed_precise} {bar:20} {pos}/{len} {rate} ETA {eta_requested} {wide_msg}"
    } else {
        "{spinner} {elapsed_precise} {pos} done {rate} {wide_msg}"
    };
    let rate = {
        let pace = Arc::clone(pace);
        move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = match pace.rate() {
                Some(rate) => write!(w, "{rate:.0}/s"),
                None => write!(w, "-/s"),
            };
        }
    };
    let eta = {
        let pace = Arc::clone(pace);
        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let remaining = state.len().unwrap_or(0).saturating_sub(state.pos());
            let known = pace.requested.load(Ordering::Relaxed) >= ETA_AFTER;
            let _ = match pace.rate().filter(|&rate| known && rate > 0.0) {
                Some(rate) => write!(
                    w,
                    "{:#}",
                    HumanDuration(Duration::from_secs_f64(remaining as f64 / rate))
                ),
                None => write!(w, "?"),
            };
        }
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", rate)
        .with_key("eta_requested", eta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_counts_ok_and_every_problem_but_not_skipped_rows() {
        let mut progress = Progress::new(false, None);
        assert_eq!(progress.message(), "ok 0");
        for verdict in [
            Verdict::Ok,
            Verdict::Invalid,
            Verdict::Skipped,
            Verdict::Broken,
            Verdict::Invalid,
        ] {
            progress.tally.add(verdict);
        }
        assert_eq!(progress.message(), "ok 1 broken 1 invalid 2");
    }

    #[test]
    fn a_crawls_bar_leads_with_its_pages() {
        let mut progress = Progress::new(false, None);
        let tally = Arc::new(CrawlTally::default());
        progress.crawling(Arc::clone(&tally));
        tally.crawled.fetch_add(3, Ordering::Relaxed);
        progress.tally.add(Verdict::Ok);
        assert_eq!(progress.message(), "pages 3 ok 1");
    }
}
