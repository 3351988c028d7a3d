//! One run of the command: turn flags into the library's options, drive the
//! run, print the summary, and decide the exit status (here and only here).

use std::io::{self, IsTerminal};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use headcheck::cache::Cache;
use headcheck::check::{CheckOptions, Checker};
use headcheck::fetch::Fetcher;
use headcheck::input::{self, DocumentOptions, Filter, Input, ReaderOptions, SitemapOptions};
use headcheck::limits::{LimitOptions, Limits};
use headcheck::outcome::Outcome;
use headcheck::report::Report;
use headcheck::resume::Resumed;
use headcheck::schedule::{self, Observer, RunEnd, RunOptions};
use headcheck::shard::{self, Shard};
use headcheck::sitemap::Caps;
use reqwest::header::HeaderMap;

use crate::annotate;
use crate::cli::{Args, Command};
use crate::progress::Progress;
use crate::summary::{Tally, exit, terminal_safe};

/// Longest time a connection attempt may take, within `--timeout`.
const MAX_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return err.exit_code();
        }
    };
    if let Some(Command::Merge(merge)) = &args.command {
        return match crate::merge::run(merge) {
            Ok(code) => code,
            Err(err) => {
                eprintln!("headcheck merge: {}", terminal_safe(&format!("{err:#}")));
                exit::USAGE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("headcheck: cannot start the runtime: {err}");
            return exit::USAGE;
        }
    };
    let result = runtime.block_on(run(args));
    // Do not wait for leftovers (a DNS lookup stuck in the system resolver,
    // an idle connection): the report is complete.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("headcheck: {}", terminal_safe(&format!("{err:#}")));
            exit::USAGE
        }
    }
}

/// The runtime's workers: one core fewer than the machine has (at least
/// one), since the input thread keeps a core busy reading, classifying and
/// deduplicating while a run is fast. On two cores, one worker instead of two
/// made the benchmark's runs 2–17% faster (bench/PROFILE.md).
fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get().saturating_sub(1))
        .max(1)
}

async fn run(args: Args) -> anyhow::Result<i32> {
    let started = Instant::now();
    let inputs = inputs(&args)?;
    let capture = args.capture_names().map_err(anyhow::Error::msg)?;
    let documents = DocumentOptions {
        base_url: args.base_url.clone(),
        check_fragments: args.check_fragments,
        globs: args.glob.clone(),
    };
    documents.validate().map_err(anyhow::Error::msg)?;
    let shard = match &args.shard {
        Some(text) => {
            let index = std::env::var(shard::INDEX_VARIABLE).ok();
            Some(
                Shard::parse(text, index.as_deref())
                    .map_err(|e| anyhow::anyhow!("--shard: {e}"))?,
            )
        }
        None => None,
    };
    let capture_columns: Vec<String> = capture.iter().map(|h| h.as_str().to_string()).collect();

    let mut headers = HeaderMap::new();
    for (name, value) in &args.headers {
        headers.append(name.clone(), value.clone());
    }
    let options = CheckOptions {
        method: args.method,
        max_redirects: args.max_redirects,
        timeout: args.timeout,
        connect_timeout: args.timeout.min(MAX_CONNECT_TIMEOUT),
        headers,
        user_agent: args.user_agent.clone(),
        insecure: args.insecure,
        resolve: args.resolve.clone(),
        accept: args.accept.clone(),
        capture,
        retries: args.retries,
        max_retry_wait: args.max_retry_wait,
    };
    let limits = Limits::new(LimitOptions {
        concurrency: args.concurrency as usize,
        per_host: args.per_host as usize,
        rate_per_host: args.rate_per_host,
    });
    let checker = Checker::new(options, limits).context("cannot set up the HTTP client")?;

    // Read before the reports are created: -o may name the same file.
    let resumed = match &args.resume {
        Some(path) => Resumed::load(path, &capture_columns)?,
        None => Resumed::default(),
    };
    let cache = match &args.cache {
        Some(path) => Some(
            Cache::load(path, args.max_cache_age, &args.accept, &capture_columns)
                .with_context(|| format!("cannot read the cache {}", path.display()))?,
        ),
        None => None,
    };
    let mut reports = Vec::new();
    for (destination, format) in args.reports.destinations() {
        reports.push(Report::create(
            &destination,
            format,
            &capture_columns,
            args.reports.bom,
        )?);
    }

    let filter = Filter {
        include: args.include.clone(),
        exclude: args.exclude.clone(),
    };
    let show_progress = !args.quiet && !args.no_progress && io::stderr().is_terminal();
    // A shard's share of a list is not known before it is read.
    let total = if show_progress && shard.is_none() {
        input::count_entries(&inputs)
    } else {
        None
    };
    let reader_options = ReaderOptions {
        filter,
        resumed,
        sitemaps: SitemapOptions {
            caps: if args.no_sitemap_limits {
                Caps::NONE
            } else {
                Caps::default()
            },
            alternates: args.sitemap_alternates,
        },
        documents,
        cache: cache.as_ref().map(Cache::fresh),
        shard,
        fetcher: Some(Fetcher::new(
            checker.clone(),
            tokio::runtime::Handle::current(),
        )),
    };
    let targets = input::spawn_reader(inputs, reader_options, 1024)?;

    let mut observer = Printer {
        annotate: !args.quiet && annotate::enabled(args.no_annotations),
        reports,
        tally: Tally::default(),
        progress: Progress::new(show_progress, total),
        cache,
        from_cache: 0,
    };
    let run_options = RunOptions {
        ordered: !args.unordered,
        per_host: args.per_host as usize,
        // Room for every request slot plus as many checks between requests
        // (redirects, retries) or settling rows.
        max_tasks: (args.concurrency as usize).saturating_mul(2).max(64),
        ..RunOptions::default()
    };
    let end = schedule::run(checker, targets, run_options, &mut observer, interrupted()).await;
    observer.progress.clear();

    let Printer {
        mut reports,
        tally,
        cache,
        from_cache,
        ..
    } = observer;
    // Kept even when the run was interrupted: what was checked stays
    // checked.
    if let Some(cache) = &cache
        && let Err(err) = cache.save()
    {
        eprintln!(
            "headcheck: cannot write the cache: {}",
            terminal_safe(&err.to_string())
        );
    }
    let mut interrupted = false;
    match end {
        RunEnd::Complete => {}
        RunEnd::Interrupted => interrupted = true,
        // `headcheck … | head` is a normal way to end a run: quietly, with
        // the status of what was checked.
        RunEnd::OutputFailed(err) if err.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(tally.exit_code(args.exit.no_fail, args.exit.strict));
        }
        RunEnd::OutputFailed(err) => bail!("cannot write the report: {err}"),
        RunEnd::InputFailed(err) => {
            finish(&mut reports)?;
            if !args.quiet {
                eprint!("{}", tally.render(Some(started.elapsed()), false));
            }
            bail!(err);
        }
    }
    finish(&mut reports)?;
    if !args.quiet {
        eprint!("{}", tally.render(Some(started.elapsed()), interrupted));
        if from_cache > 0 {
            eprintln!("{from_cache} ok results reused from the cache (--cache)");
        }
    }
    if interrupted {
        return Ok(exit::INTERRUPTED);
    }
    if tally.total() == 0 && !args.quiet {
        eprintln!("headcheck: no URLs found in the input");
    }
    Ok(tally.exit_code(args.exit.no_fail, args.exit.strict))
}

pub fn finish(reports: &mut [Report]) -> anyhow::Result<()> {
    for report in reports {
        match report.finish() {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
            other => other.context("cannot write the report")?,
        }
    }
    Ok(())
}

/// The inputs named on the command line, or a piped standard input.
fn inputs(args: &Args) -> anyhow::Result<Vec<Input>> {
    let sitemaps = args.sitemap.iter().map(|url| Input::Sitemap(url.clone()));
    if !args.inputs.is_empty() || !args.sitemap.is_empty() {
        return Ok(args
            .inputs
            .iter()
            .map(|arg| Input::from_arg(arg))
            .chain(sitemaps)
            .collect());
    }
    if io::stdin().is_terminal() {
        bail!("no input: give URLs or list files, or pipe a list on standard input (see --help)");
    }
    Ok(vec![Input::Stdin])
}

/// Completes on Ctrl-C or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        // Without a signal handler the run simply cannot be interrupted.
        std::future::pending::<()>().await;
    }
}

/// Sends rows to the reports, the tally, the progress bar and annotations.
struct Printer {
    annotate: bool,
    reports: Vec<Report>,
    tally: Tally,
    progress: Progress,
    cache: Option<Cache>,
    /// Rows taken from the cache.
    from_cache: u64,
}

impl Observer for Printer {
    fn finished(&mut self, outcome: &Outcome) {
        self.progress.finished(outcome.verdict);
    }

    fn emit(&mut self, outcome: Outcome) -> io::Result<()> {
        self.tally.add(&outcome);
        if let Some(cache) = &mut self.cache {
            if outcome.attempts == 0 && outcome.method.is_some() {
                self.from_cache += 1;
            }
            cache.record(&outcome);
        }
        if self.annotate {
            annotate::annotate(&outcome);
        }
        for report in &mut self.reports {
            report.write(&outcome)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.reports.iter_mut().try_for_each(Report::flush)
    }

    fn input_done(&mut self, count: u64) {
        self.progress.total_known(count);
    }
}
