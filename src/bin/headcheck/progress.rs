//! The progress bar on standard error: done/total (a spinner with a count
//! while the total is unknown), rate, ETA and live counts per result.

use std::time::{Duration, Instant};

use headcheck::types::{Tally, Verdict};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the counts in the message are rebuilt; drawing itself is
/// rate-limited by indicatif.
const MESSAGE_EVERY: Duration = Duration::from_millis(100);

pub struct Progress {
    bar: Option<ProgressBar>,
    message_at: Instant,
    /// Finished checks per result. Counted on completion, so they move even
    /// while an earlier row holds back the report.
    tally: Tally,
}

impl Progress {
    /// A bar when `visible`, otherwise a no-op. `total` is the expected
    /// number of URLs when it is known before the run.
    pub fn new(visible: bool, total: Option<u64>) -> Progress {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(style(total.is_some()));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            message_at: Instant::now(),
            tally: Tally::default(),
        }
    }

    pub fn finished(&mut self, verdict: Verdict) {
        let Some(bar) = &self.bar else { return };
        self.tally.add(verdict);
        bar.inc(1);
        if self.message_at.elapsed() >= MESSAGE_EVERY {
            self.message_at = Instant::now();
            bar.set_message(self.message());
        }
    }

    fn message(&self) -> String {
        self.tally
            .counts()
            .filter(|(v, _)| {
                matches!(
                    v,
                    Verdict::Ok | Verdict::Broken | Verdict::Error | Verdict::Blocked
                )
            })
            .map(|(v, n)| format!("{} {n}", v.as_str()))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The input is fully read: the total is now exact.
    pub fn total_known(&mut self, total: u64) {
        let Some(bar) = &self.bar else { return };
        if bar.length() != Some(total) {
            bar.set_length(total);
            bar.set_style(style(true));
        }
    }

    pub fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta} {msg}"
    } else {
        "{spinner} [{elapsed_precise}] {pos} checked {per_sec} {msg}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
