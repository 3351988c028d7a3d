//! One run of the command: turn flags into the library's options, drive the
//! run, print the summary, and decide the exit status (here and only here).

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Parser;
use headcheck::baseline::Baseline;
use headcheck::cache::{Cache, Streak};
use headcheck::check::{CheckOptions, Checker, LimitOptions, Limits, connect_timeout_for};
use headcheck::input::{
    self, Caps, CrawlOptions, CrawlTally, DocumentOptions, Fetcher, Filter, Input,
    MAX_QUERIES_PER_PATH, ReaderOptions, SitemapOptions,
};
use headcheck::report::sarif::{LeftOut, MAX_RESULTS};
use headcheck::report::{self, Destination, Report, ReportOptions};
use headcheck::resume::Resumed;
use headcheck::run::{self, Later, Observer, RunEnd, RunOptions};
use headcheck::shard::{self, Shard};
use headcheck::types::{FailRule, Novelty, Origin, Outcome, Tally};
use reqwest::header::{HeaderMap, HeaderName};

use crate::annotate::{self, Annotations};
use crate::cli::{Args, Command};
use crate::config;
use crate::exit;
use crate::open_files;
use crate::progress::Progress;
use crate::same_file::same_file;
use crate::summary::{LISTED, Summary, plural, terminal_safe};

pub fn main() -> i32 {
    let argv = match config::with_settings(std::env::args_os().collect()) {
        Ok(argv) => argv,
        Err(err) => {
            say(&format!(
                "headcheck: {}\n",
                terminal_safe(&format!("{err:#}"))
            ));
            return exit::USAGE;
        }
    };
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return err.exit_code();
        }
    };
    let subcommand = match &args.command {
        Some(Command::Merge(merge)) => Some(("merge", crate::merge::run(merge))),
        Some(Command::Diff(diff)) => Some(("diff", crate::diff::run(diff))),
        None => None,
    };
    if let Some((name, result)) = subcommand {
        return match result {
            Ok(code) => code,
            Err(err) => {
                eprintln!("headcheck {name}: {}", terminal_safe(&format!("{err:#}")));
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
            say(&format!(
                "headcheck: {}\n",
                terminal_safe(&format!("{err:#}"))
            ));
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

/// The run, step by step: every usage error is found before the first
/// request, and every report is created before the input is read.
async fn run(mut args: Args) -> anyhow::Result<i32> {
    let started = Instant::now();
    args.exclude.extend(config::ignore_patterns()?);
    fit_open_files(&mut args);
    let inputs = inputs(&args)?;
    refuse_overwriting_inputs(&args, &inputs)?;
    let capture = args.capture_names().map_err(anyhow::Error::msg)?;
    let columns: Vec<String> = capture.iter().map(|h| h.as_str().to_string()).collect();
    let documents = documents(&args)?;
    let shard = shard(&args)?;
    let checker = checker(&args, capture)?;
    // Read before the reports are created: -o may name the same file.
    let resumed = resumed(&args, &columns)?;
    let kept = args.resume.is_some().then(|| resumed.kept());
    let cache = cache(&args, &columns)?;
    // Read before the reports are created too: -o may be the baseline.
    let baseline = baseline(&args)?;
    let reports = create_reports(&args, &columns)?;
    let total = progress_total(&args, &inputs, shard.is_some());
    let crawl = args.crawl.then(|| CrawlOptions {
        max_depth: args.max_depth,
        max_pages: args.max_pages,
        check_fragments: args.check_fragments,
        tally: Arc::default(),
    });
    let reader = ReaderOptions {
        filter: Filter {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
        },
        resumed,
        sitemaps: sitemaps(&args),
        documents,
        cache: cache.as_ref().map(Cache::fresh),
        shard,
        fetcher: Some(Fetcher::new(
            checker.clone(),
            tokio::runtime::Handle::current(),
        )),
        crawl: crawl.clone(),
    };
    let targets = input::spawn_reader(inputs, reader, 1024)?;

    let mut printer = Printer::new(&args, reports, cache, total);
    printer.kept = kept;
    printer.baseline = baseline;
    printer.crawl = crawl.map(|crawl| crawl.tally);
    if let Some(tally) = &printer.crawl {
        printer.progress.crawling(Arc::clone(tally));
    }
    let end = run::run(
        checker,
        targets,
        run_options(&args),
        &mut printer,
        stop_signal(),
    )
    .await;
    printer.progress.clear();
    save_cache(printer.cache.as_ref());
    conclude(&args, end, printer, started.elapsed())
}

/// The `--baseline` report's failures, read whole (it may be the report
/// this run writes).
fn baseline(args: &Args) -> anyhow::Result<Option<Baseline>> {
    let Some(path) = &args.baseline else {
        return Ok(None);
    };
    let baseline = Baseline::load(path, args.exit.fail_rule())
        .with_context(|| format!("--baseline {}", path.display()))?;
    Ok(Some(baseline))
}

/// The summary's line with `--baseline`: `2 new, 5 known, 1 fixed since the
/// baseline`.
fn baseline_summary(tally: &Tally, rule: FailRule, baseline: &Baseline) -> String {
    format!(
        "{} new, {} known, {} fixed since the baseline\n",
        tally.failing_the_run(rule),
        tally.known(),
        baseline.fixed()
    )
}

/// The summary's line for a SARIF report that left places out, if it did:
/// `SARIF: 3 places on web pages left out (…)`.
fn sarif_summary(left_out: LeftOut) -> String {
    let mut parts = Vec::new();
    let places = |n: u64| plural(n, "place", "places");
    if left_out.on_web_pages > 0 {
        let n = left_out.on_web_pages;
        parts.push(format!("{n} {} on web pages", places(n)));
    }
    if left_out.not_in_a_file > 0 {
        let n = left_out.not_in_a_file;
        parts.push(format!("{n} {} in no file of the repository", places(n)));
    }
    if left_out.past_the_cap > 0 {
        let n = left_out.past_the_cap;
        parts.push(format!(
            "{n} {} past GitHub's limits ({MAX_RESULTS} results, 10 MB gzipped)",
            places(n)
        ));
    }
    if left_out.not_kept > 0 {
        let n = left_out.not_kept;
        parts.push(format!("{n} {} beyond those kept per link", places(n)));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "SARIF: {} of failing links left out (a location is a file of the repository)\n",
        parts.join(", ")
    )
}

/// The summary's lines with `--fail-after`: the URLs failing but not
/// counted yet, the first [`LISTED`] of them.
fn pending_summary(pending: &[(String, Streak)], needed: u32) -> String {
    let count = pending.len();
    let mut text = format!(
        "{count} failing {} not counted yet (--fail-after {needed}):\n",
        plural(count, "URL", "URLs")
    );
    for (url, streak) in pending.iter().take(LISTED) {
        let since = UNIX_EPOCH + Duration::from_secs(streak.since);
        text += &format!(
            "  {}  failing in {} of {needed} runs, since {}\n",
            terminal_safe(url),
            streak.runs,
            httpdate::fmt_http_date(since)
        );
    }
    if count > LISTED {
        text += &format!("  … and {} more\n", count - LISTED);
    }
    text
}

/// Lowers `-c` when the open-file limit, raised as far as it goes, cannot
/// hold its sockets.
fn fit_open_files(args: &mut Args) {
    let (concurrency, note) = open_files::fit(args.concurrency);
    if let Some(note) = note
        && !args.quiet
    {
        eprintln!("{note}");
    }
    args.concurrency = concurrency;
}

/// The inputs named on the command line, or a piped standard input.
fn inputs(args: &Args) -> anyhow::Result<Vec<Input>> {
    let sitemaps = args.sitemap.iter().map(|url| Input::Sitemap(url.clone()));
    if !args.inputs.is_empty() || !args.sitemap.is_empty() {
        let inputs: Vec<Input> = args.inputs.iter().map(|arg| Input::from_arg(arg)).collect();
        for (arg, input) in args.inputs.iter().zip(&inputs) {
            // `headcheck example.com`: no such file, but a URL without its
            // scheme; so is `localhost:8080/x`, which parses as a URL of
            // the scheme `localhost`.
            let meant = match input {
                Input::File(path) if !path.exists() => input::did_you_mean(arg),
                Input::Url(_) => input::missing_scheme(arg),
                _ => None,
            };
            if let Some(url) = meant {
                bail!("{arg}: no such file; to check it as a URL, give its scheme: {url}");
            }
        }
        return Ok(inputs.into_iter().chain(sitemaps).collect());
    }
    if io::stdin().is_terminal() {
        bail!("no input: give URLs or list files, or pipe a list on standard input (see --help)");
    }
    Ok(vec![Input::Stdin])
}

/// Refuses a report file that is also a list read or the cache: reports are
/// created before the input is read, so the input would be lost. (A report
/// may be the `--resume` file: that one is read first, on purpose.)
fn refuse_overwriting_inputs(args: &Args, inputs: &[Input]) -> anyhow::Result<()> {
    let read: Vec<&Path> = inputs
        .iter()
        .filter_map(|input| match input {
            Input::File(path) => Some(path.as_path()),
            _ => None,
        })
        .chain(args.cache.as_deref())
        .collect();
    for (destination, _) in args.reports.destinations() {
        let Destination::File(report) = destination else {
            continue;
        };
        if let Some(input) = read.iter().find(|input| same_file(&report, input)) {
            bail!(
                "-o {}: that is {}, which writing the report would destroy; nothing was written",
                report.display(),
                if Some(*input) == args.cache.as_deref() {
                    "the --cache file"
                } else {
                    "an input"
                }
            );
        }
    }
    Ok(())
}

/// `--shard K/N`, with K from the environment for `auto/N`.
fn shard(args: &Args) -> anyhow::Result<Option<Shard>> {
    let Some(text) = &args.shard else {
        return Ok(None);
    };
    let index = std::env::var(shard::INDEX_VARIABLE).ok();
    let shard = Shard::parse(text, index.as_deref()).context("--shard")?;
    Ok(Some(shard))
}

/// The HTTP client with the run's request options and limits.
fn checker(args: &Args, capture: Vec<HeaderName>) -> anyhow::Result<Checker> {
    let mut headers = HeaderMap::new();
    for (name, value) in &args.headers {
        headers.append(name.clone(), value.clone());
    }
    let options = CheckOptions {
        method: args.method.into(),
        max_redirects: args.max_redirects,
        timeout: args.timeout,
        connect_timeout: connect_timeout_for(args.timeout),
        headers,
        user_agent: args.user_agent.clone(),
        insecure: args.insecure,
        resolve: args.resolve.clone(),
        accept: args.accept.clone(),
        capture,
        retries: args.retries,
        max_retry_wait: args.max_retry_wait,
        stall_after: args.stall_after,
    };
    let limits = Limits::new(LimitOptions {
        concurrency: args.concurrency as usize,
        per_host: args.per_host as usize,
        rate_per_host: args.rate_per_host,
        max_wait: args.max_retry_wait,
    });
    Ok(Checker::new(options, limits)?)
}

/// `--resume`: the rows of the earlier report.
fn resumed(args: &Args, columns: &[String]) -> anyhow::Result<Resumed> {
    let Some(path) = &args.resume else {
        return Ok(Resumed::default());
    };
    let resumed = Resumed::load(path, columns)?;
    let missing = resumed.missing_headers();
    if !missing.is_empty() && !resumed.is_empty() && !args.quiet {
        eprintln!(
            "headcheck: {} has no {} {}: the rows kept from it leave {} empty \
             (without --resume, every URL is checked and {} filled)",
            terminal_safe(&path.display().to_string()),
            missing.join(", "),
            plural(missing.len(), "column", "columns"),
            plural(missing.len(), "it", "them"),
            plural(missing.len(), "it is", "they are"),
        );
    }
    let ignored = resumed.ignored_columns();
    if !ignored.is_empty() && !resumed.is_empty() && !args.quiet {
        eprintln!(
            "headcheck: note: {} has {} {} this run does not write; the rows kept from it \
             leave {} out",
            terminal_safe(&path.display().to_string()),
            plural(ignored.len(), "a column", "columns"),
            ignored.join(", "),
            plural(ignored.len(), "it", "them"),
        );
    }
    Ok(resumed)
}

/// `--cache`: the ok results of earlier runs.
fn cache(args: &Args, columns: &[String]) -> anyhow::Result<Option<Cache>> {
    let Some(path) = &args.cache else {
        return Ok(None);
    };
    let cache = Cache::load(path, args.max_cache_age, &args.accept, columns)
        .with_context(|| format!("cannot read the cache {}", path.display()))?;
    if cache.unreadable() > 0 && !args.quiet {
        eprintln!(
            "headcheck: ignored {} unreadable {} of the cache {}",
            cache.unreadable(),
            plural(cache.unreadable(), "line", "lines"),
            terminal_safe(&path.display().to_string())
        );
    }
    Ok(Some(cache))
}

/// Every `-o` report (or standard output), created and with its header.
fn create_reports(args: &Args, columns: &[String]) -> anyhow::Result<Vec<Report>> {
    let options = ReportOptions {
        bom: args.reports.bom,
        fail_rule: args.exit.fail_rule(),
        baseline: args.baseline.is_some(),
    };
    let mut reports = Vec::new();
    for (destination, format) in args.reports.destinations() {
        reports.push(Report::create(&destination, format, columns, options)?);
    }
    Ok(reports)
}

/// The progress bar's total, when it is shown and the inputs tell it before
/// the run (a shard's share of a list is not known before it is read).
fn progress_total(args: &Args, inputs: &[Input], sharded: bool) -> Option<u64> {
    // A crawl's length is known only at its end.
    if show_progress(args) && !sharded && !args.crawl {
        input::count_entries(inputs)
    } else {
        None
    }
}

/// The bar shows on a terminal, unless the report goes to that terminal
/// too: its rows would be cut by the bar's frames (curl hides its meter
/// then as well).
fn show_progress(args: &Args) -> bool {
    let report_on_terminal = io::stdout().is_terminal()
        && args
            .reports
            .destinations()
            .iter()
            .any(|(destination, _)| matches!(destination, Destination::Stdout));
    !args.quiet && !args.no_progress && io::stderr().is_terminal() && !report_on_terminal
}

/// How documents are read; a bad `--glob` is a usage error here.
fn documents(args: &Args) -> anyhow::Result<DocumentOptions> {
    let documents = DocumentOptions {
        base_url: args.base_url.clone(),
        check_fragments: args.check_fragments,
        globs: args.glob.clone(),
    };
    documents.validate()?;
    Ok(documents)
}

fn sitemaps(args: &Args) -> SitemapOptions {
    SitemapOptions {
        caps: if args.no_sitemap_limits {
            Caps::NONE
        } else {
            Caps::default()
        },
        alternates: args.sitemap_alternates,
    }
}

fn run_options(args: &Args) -> RunOptions {
    RunOptions {
        ordered: !args.unordered,
        per_host: args.per_host as usize,
        max_tasks: run::max_tasks_for(args.concurrency as usize),
        obey_robots: !args.ignore_robots,
        ..RunOptions::default()
    }
}

/// Keeps what was checked, even when the run was interrupted.
fn save_cache(cache: Option<&Cache>) {
    if let Some(cache) = cache
        && let Err(err) = cache.save()
    {
        eprintln!(
            "headcheck: cannot write the cache: {}",
            terminal_safe(&err.to_string())
        );
    }
}

/// The summary's line for a crawl: pages whose links were read, and the
/// pages not crawled, by why.
fn crawl_summary(tally: &CrawlTally) -> String {
    let crawled = CrawlTally::get(&tally.crawled);
    let mut text = format!("crawled {crawled} {}", plural(crawled, "page", "pages"));
    let too_big = CrawlTally::get(&tally.too_big);
    if too_big > 0 {
        text += &format!(" ({too_big} read only to their first 10 MB)");
    }
    let query_cap = format!("past the cap of {MAX_QUERIES_PER_PATH} query strings per path");
    let not_crawled: Vec<String> = [
        (&tally.not_html, "not HTML"),
        (&tally.failed, "not fetched (failed or not accepted)"),
        (&tally.elsewhere, "redirected to another site"),
        (&tally.robots, "kept out by robots.txt"),
        (&tally.beyond_depth, "beyond --max-depth"),
        (&tally.past_max_pages, "past --max-pages"),
        (&tally.past_query_cap, &query_cap),
    ]
    .into_iter()
    .filter_map(|(counter, why)| {
        let count = CrawlTally::get(counter);
        (count > 0).then(|| format!("{count} {why}"))
    })
    .collect();
    if !not_crawled.is_empty() {
        text += &format!("; not crawled: {}", not_crawled.join(", "));
    }
    text.push('\n');
    text
}

/// Finishes the reports, prints the summary and decides the exit status.
fn conclude(args: &Args, end: RunEnd, printer: Printer, elapsed: Duration) -> anyhow::Result<i32> {
    let Printer {
        mut reports,
        summary,
        from_cache,
        kept,
        annotations,
        crawl,
        baseline,
        pending,
        ..
    } = printer;
    if let Some(annotations) = annotations {
        annotations.print();
    }
    let status = exit::status(&summary.tally, args.exit.fail_rule(), args.exit.no_fail);
    let interrupted = match end {
        RunEnd::Complete => false,
        RunEnd::Interrupted => true,
        // `headcheck … | head` is a normal way to end a run: quietly, with
        // the status of what was checked.
        RunEnd::OutputFailed(err) if err.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(status);
        }
        RunEnd::OutputFailed(err) => bail!("cannot write the report: {err}"),
        RunEnd::InputFailed(err) => {
            report::finish_all(&mut reports).context("cannot write the report")?;
            if !args.quiet {
                say(&summary.render(Some(elapsed), false));
            }
            bail!(err);
        }
    };
    report::finish_all(&mut reports).context("cannot write the report")?;
    if !args.quiet {
        say(&summary.render(Some(elapsed), interrupted));
        for left_out in reports.iter().filter_map(Report::left_out) {
            say(&sarif_summary(left_out));
        }
        if from_cache > 0 {
            say(&format!(
                "{from_cache} ok results reused from the cache (--cache)\n"
            ));
        }
        if let Some(crawl) = &crawl {
            say(&crawl_summary(crawl));
        }
        if let Some(needed) = args.fail_after
            && !pending.is_empty()
        {
            say(&pending_summary(&pending, needed));
        }
        if let Some(baseline) = &baseline {
            say(&baseline_summary(
                &summary.tally,
                args.exit.fail_rule(),
                baseline,
            ));
        }
        if let (Some(kept), Some(path)) = (kept, &args.resume) {
            let kept = kept.load(Ordering::Relaxed);
            say(&format!(
                "{kept} {} kept from {} (--resume), not checked again\n",
                plural(kept, "row", "rows"),
                terminal_safe(&path.display().to_string())
            ));
        }
    }
    if interrupted {
        return Ok(exit::INTERRUPTED);
    }
    if summary.tally.total() == 0 {
        // An empty list, a directory without documents, a glob that matched
        // nothing: most likely a mistake, which must not pass a CI job. (One
        // shard of a small list may rightly have nothing.)
        if args.shard.is_some() {
            if !args.quiet {
                say("headcheck: no URLs in this shard\n");
            }
            return Ok(status);
        }
        say(&format!(
            "headcheck: no URLs found in {}\n",
            terminal_safe(&what_was_read(args))
        ));
        return Ok(exit::USAGE);
    }
    Ok(status)
}

/// Completes on Ctrl-C, SIGTERM or SIGHUP. The signals are awaited by a
/// task of their own: the run polls the returned future between every two
/// rows, and a one-shot channel costs less to poll than three signal
/// streams.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        interrupted().await;
        let _ = tx.send(());
    });
    async move {
        if rx.await.is_err() {
            // The task is gone without a signal: nothing can interrupt.
            std::future::pending::<()>().await;
        }
    }
}

/// Completes on Ctrl-C, SIGTERM or SIGHUP.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // SIGHUP: the terminal closed or the SSH session dropped; the
        // report and the cache are still worth keeping.
        if let (Ok(mut term), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hangup.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        // Without a signal handler the run simply cannot be interrupted.
        std::future::pending::<()>().await;
    }
}

/// Sends rows to the reports, the summary, the progress bar, the cache and
/// annotations.
struct Printer {
    /// GitHub annotations, of the rows that fail the run, written when it
    /// ends.
    annotations: Option<Annotations>,
    reports: Vec<Report>,
    summary: Summary,
    progress: Progress,
    cache: Option<Cache>,
    /// Rows taken from the cache.
    from_cache: u64,
    /// Rows taken from the `--resume` report, counted as the input takes
    /// them.
    kept: Option<Arc<AtomicU64>>,
    /// `--crawl`: what it fetched and what its guards stopped.
    crawl: Option<Arc<CrawlTally>>,
    /// `--baseline`: marks each failing row new or known.
    baseline: Option<Baseline>,
    /// `--fail-after N`: the runs in a row a URL must fail in to fail the
    /// run, and the URLs failing but not counted yet, with their streaks.
    fail_after: Option<u32>,
    pending: Vec<(String, Streak)>,
    rule: FailRule,
}

impl Printer {
    fn new(args: &Args, reports: Vec<Report>, cache: Option<Cache>, total: Option<u64>) -> Self {
        Printer {
            annotations: (!args.quiet && annotate::enabled(args.no_annotations))
                .then(|| Annotations::new(args.exit.fail_rule())),
            reports,
            summary: Summary::default(),
            progress: Progress::new(show_progress(args), total),
            cache,
            from_cache: 0,
            kept: None,
            crawl: None,
            baseline: None,
            fail_after: args.fail_after,
            pending: Vec::new(),
            rule: args.exit.fail_rule(),
        }
    }
}

impl Observer for Printer {
    fn finished(&mut self, outcome: &Outcome, requested: bool) {
        self.progress.finished(outcome.verdict, requested);
    }

    fn emit(&mut self, mut outcome: Outcome) -> io::Result<()> {
        if let Some(baseline) = &mut self.baseline {
            baseline.mark(&mut outcome);
        }
        if let Some(cache) = &mut self.cache {
            if outcome.origin == Origin::Cache {
                self.from_cache += 1;
            }
            cache.record(&outcome);
            if let Some(needed) = self.fail_after {
                let streak = cache.count_failure(&outcome, self.rule.fails(outcome.verdict));
                if let Some(streak) = streak
                    && streak.runs < needed
                    && self.rule.fails_the_run(outcome.verdict, outcome.novelty)
                {
                    outcome.novelty = Some(Novelty::Pending);
                    self.pending.push((outcome.url.clone(), streak));
                }
            }
        }
        self.summary.add(&outcome);
        if let Some(annotations) = &mut self.annotations {
            annotations.row(&outcome);
        }
        for report in &mut self.reports {
            report.write(&outcome)?;
        }
        Ok(())
    }

    fn again(&mut self, key: &str, later: Later) {
        for report in &mut self.reports {
            report.again(key, &later.places, later.uncounted);
        }
        if let Some(annotations) = &mut self.annotations {
            annotations.again(key, later);
        }
    }

    fn wants_places(&self) -> bool {
        self.annotations.is_some() || self.reports.iter().any(Report::wants_places)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.reports.iter_mut().try_for_each(Report::flush)
    }

    fn input_done(&mut self, count: u64) {
        self.progress.total_known(count);
    }
}

/// The inputs as the user gave them, for a message: `empty.txt, docs/
/// (--glob *.rst)`.
fn what_was_read(args: &Args) -> String {
    let mut names: Vec<String> = args
        .inputs
        .iter()
        .map(|input| match input.as_str() {
            "-" => "standard input".to_string(),
            name => name.to_string(),
        })
        .collect();
    names.extend(args.sitemap.iter().map(|url| format!("--sitemap {url}")));
    if names.is_empty() {
        names.push("standard input".into());
    }
    let mut text = names.join(", ");
    if !args.glob.is_empty() {
        text.push_str(&format!(" (--glob {})", args.glob.join(", --glob ")));
    }
    text
}

/// Writes to stderr, ignoring a failure: after SIGHUP the terminal may be
/// gone, and the exit status must still say what happened.
fn say(text: &str) {
    use std::io::Write as _;
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
