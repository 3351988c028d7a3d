//! Command-line flags. `--help` is the manual: every flag is documented
//! where it is defined.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use headcheck::check::{self, MethodPolicy};
use headcheck::report::{Destination, Format};
use headcheck::types::{Accept, FailRule};
use regex::Regex;
use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

const AFTER_SHORT_HELP: &str = "\
Examples:
  headcheck urls.txt -o report.csv          check a list, write a CSV report
  headcheck --sitemap https://example.com/  check every page of a site's sitemap
  headcheck docs/ -o summary.md             check the links in documentation

--help shows every option, more examples, results and exit statuses.";

const AFTER_HELP: &str = "\
Examples:
  headcheck urls.txt -o report.csv
      Check a list of URLs (one per line), write a CSV report.
  headcheck --sitemap https://example.com/ -o audit.xlsx --capture server
      Check every page of a site's sitemap; a workbook with a Server column.
  headcheck docs/ --base-url https://example.com/docs/ -o summary.md
      Check the links in a documentation tree; a Markdown summary for CI.
  headcheck urls.txt --resume report.csv -o report.csv
      Finish an interrupted run: rows already in report.csv are kept.
  curl -s https://example.com/links.txt | headcheck -q --no-fail > report.csv
      Read standard input; print nothing but the report; never fail.

Results: ok, broken (HTTP status not accepted), error (no usable HTTP status),
invalid (not a URL), blocked (bot wall or rate limit), skipped (not http(s), or
filtered out).

Exit status: 0 every URL ok, blocked or skipped; 1 at least one broken, error or
invalid (blocked too with --strict; never with --no-fail); 2 usage or input
error; 130 interrupted.";

/// Check many URLs concurrently with HEAD requests and report each one's
/// status, outcome and chosen response headers as CSV, JSON, a workbook or
/// CI reports.
#[derive(Debug, Parser)]
#[command(
    name = "headcheck",
    version,
    after_help = AFTER_SHORT_HELP,
    after_long_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    // `help` would shadow an input file of that name.
    disable_help_subcommand = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// URLs, lists, sitemaps, CSV reports, documents or directories; - is stdin.
    ///
    /// http(s) URLs; files with one URL per line; sitemaps (gzip too); CSV
    /// files with a url column (an earlier report, a spreadsheet export);
    /// Markdown (.md) or HTML (.html) documents and directories of them.
    /// Without INPUT, a piped standard input is read.
    #[arg(help_heading = "Inputs", value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Check every page of a remote sitemap, or of a site root's sitemaps.
    ///
    /// Nested sitemap indexes and .gz files are followed. Given a site root
    /// (https://site/), its sitemaps are found in robots.txt, else at
    /// /sitemap.xml. Repeatable.
    #[arg(help_heading = "Inputs", long, value_name = "URL")]
    pub sitemap: Vec<String>,

    /// Lift the sitemaps.org limits of 50,000 URLs and 50 MB (uncompressed)
    /// per sitemap file, which otherwise stop a file at the limit.
    #[arg(help_heading = "Inputs", hide_short_help = true, long)]
    pub no_sitemap_limits: bool,

    /// Also check the alternate-language pages of a sitemap (xhtml:link).
    #[arg(help_heading = "Inputs", hide_short_help = true, long)]
    pub sitemap_alternates: bool,

    /// Where the documents are published: relative links are resolved
    /// against it (a document's URL is URL joined with its path under the
    /// directory given) and checked as URLs. Without it, relative links are
    /// checked on disk.
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        value_name = "URL"
    )]
    pub base_url: Option<Url>,

    /// Also check the links on the pages given, crawling their site.
    ///
    /// Each page that answers with HTML is fetched once with GET (its row)
    /// and the links on it are checked; same-site pages are crawled
    /// --max-depth levels deep. Start pages are the URLs given (arguments, lists, sitemaps). Same
    /// site: the start page's host (http and https, and a leading www.,
    /// count as one). Links to other sites are checked, never crawled.
    #[arg(help_heading = "Inputs", long, conflicts_with = "shard")]
    pub crawl: bool,

    /// With --crawl: how many levels of same-site links are crawled from
    /// the start pages (level 0); links beyond are checked only.
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "crawl"
    )]
    pub max_depth: u32,

    /// With --crawl: the most pages fetched for their links; links past it
    /// are checked only.
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        value_name = "N",
        default_value_t = 100_000,
        requires = "crawl"
    )]
    pub max_pages: u64,

    /// With --crawl: fetch pages that robots.txt keeps crawlers from, and
    /// ignore its Crawl-delay. Without it, such pages are checked as links
    /// are (a HEAD), not crawled.
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        requires = "crawl"
    )]
    pub ignore_robots: bool,

    /// Check that the fragment of a link to a local document (#section),
    /// or with --crawl to a page the crawl read, names a heading or anchor
    /// in it.
    #[arg(help_heading = "Inputs", hide_short_help = true, long)]
    pub check_fragments: bool,

    /// In directories, read only the files that match GLOB (ripgrep's
    /// syntax, relative to the directory; !GLOB excludes). Repeatable.
    /// Without it, Markdown, HTML and .txt files are read; .gitignore is
    /// always honoured.
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        value_name = "GLOB"
    )]
    pub glob: Vec<String>,

    /// auto (HEAD, GET to confirm), head or get.
    ///
    /// auto: HEAD, and GET to confirm any answer that is not accepted (many
    /// servers mishandle HEAD); head: HEAD only; get: GET only. Bodies are
    /// never downloaded.
    #[arg(
        help_heading = "Checking",
        long,
        value_enum,
        hide_possible_values = true,
        default_value_t = MethodArg::Auto
    )]
    pub method: MethodArg,

    /// Redirect hops to follow before giving up with an error.
    #[arg(
        help_heading = "Checking",
        hide_short_help = true,
        long,
        value_name = "N",
        default_value_t = check::DEFAULT_MAX_REDIRECTS
    )]
    pub max_redirects: u32,

    /// Seconds a request may take until its headers arrive.
    ///
    /// Connecting is limited to half of it, at most 10 seconds.
    #[arg(help_heading = "Checking", long, value_name = "SECS", default_value = "20", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Requests in flight at once, in total.
    #[arg(help_heading = "Politeness", short = 'c', long, value_name = "N", default_value_t = check::DEFAULT_CONCURRENCY as u32,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub concurrency: u32,

    /// Requests in flight at once to one host.
    ///
    /// Politeness: many servers ban clients that open dozens of
    /// connections.
    #[arg(help_heading = "Politeness", long, value_name = "N", default_value_t = check::DEFAULT_PER_HOST as u32,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub per_host: u32,

    /// Requests per second to one host at most, evenly spaced (e.g. 2, or
    /// 0.5 for one request every two seconds). Unlimited by default.
    #[arg(help_heading = "Politeness", hide_short_help = true, long, value_name = "R", value_parser = parse_rate)]
    pub rate_per_host: Option<f64>,

    /// Seconds without response headers after which a request stops
    /// counting against -c, so that a new one may start (it keeps its
    /// host's slot and its --timeout). At most -c requests are stalled at
    /// once. A stalled first request to a host that has not answered yet
    /// lets the host's next URL go as a probe.
    #[arg(help_heading = "Politeness", hide_short_help = true, long, value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    pub stall_after: Duration,

    /// Extra attempts for a URL after a connect error, a timeout, or status
    /// 429, 502, 503 or 504, with exponential backoff and jitter.
    #[arg(
        help_heading = "Checking",
        hide_short_help = true,
        long,
        value_name = "N",
        default_value_t = check::DEFAULT_RETRIES
    )]
    pub retries: u32,

    /// Longest wait before a retry, in seconds, even when the server's
    /// Retry-After asks for more.
    #[arg(help_heading = "Checking", hide_short_help = true, long, value_name = "SECS", default_value = "60", value_parser = parse_wait)]
    pub max_retry_wait: Duration,

    /// Extra request header, like curl (repeatable).
    ///
    /// -H "Authorization: Bearer $TOKEN". Sent only to the input URL's host,
    /// never to another host after a redirect.
    #[arg(help_heading = "Request", short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(HeaderName, HeaderValue)>,

    /// User-Agent header sent with every request.
    #[arg(help_heading = "Request", hide_short_help = true, long, value_name = "TEXT",
          default_value = check::DEFAULT_USER_AGENT)]
    pub user_agent: String,

    /// Accept invalid TLS certificates (self-signed, expired, wrong name).
    #[arg(help_heading = "Request", hide_short_help = true, short = 'k', long)]
    pub insecure: bool,

    /// Connect to ADDR for HOST, like curl: --resolve docs.test:443:127.0.0.1.
    /// Repeatable. HOST may be an internationalised name. The port of the URL
    /// is always used, so the entry applies to HOST on any port.
    #[arg(help_heading = "Request", hide_short_help = true, long, value_name = "HOST:PORT:ADDR", value_parser = parse_resolve)]
    pub resolve: Vec<(String, SocketAddr)>,

    /// Statuses that count as ok, e.g. 200..=299,403.
    ///
    /// Judged on the final response after redirects: single statuses and
    /// ranges, A..=B inclusive, A..B exclusive.
    #[arg(
        help_heading = "Checking",
        long,
        value_name = "LIST",
        default_value = "200..=299"
    )]
    pub accept: Accept,

    /// Only check URLs matching REGEX (repeatable).
    ///
    /// Others are reported as skipped; a URL matching any of them is
    /// checked.
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        value_name = "REGEX"
    )]
    pub include: Vec<Regex>,

    /// Skip URLs matching REGEX (repeatable); they are reported as skipped.
    #[arg(help_heading = "Inputs", long, value_name = "REGEX")]
    pub exclude: Vec<Regex>,

    #[command(flatten)]
    pub reports: ReportFlags,

    /// Response headers to record as columns.
    ///
    /// One column each, comma-separated and repeatable; --capture ''
    /// records none.
    #[arg(
        help_heading = "Reports",
        long,
        value_name = "NAMES",
        default_value = "content-type,content-length,last-modified"
    )]
    pub capture: Vec<String>,

    /// Keep the rows of an earlier report; check only the rest.
    ///
    /// Continues an earlier, possibly interrupted, run: URLs already in this
    /// CSV report keep their rows and are not checked again. May be the
    /// same file as -o. A missing file counts as an empty report.
    #[arg(help_heading = "Checking", long, value_name = "REPORT.csv")]
    pub resume: Option<PathBuf>,

    /// Check only shard K of N: the URLs whose host hashes to K (a stable
    /// hash, so each host lives in one shard). auto/N takes K from
    /// JOB_COMPLETION_INDEX + 1 (a Kubernetes Indexed Job). The N reports
    /// together hold every row of the unsharded run; `headcheck merge`
    /// combines them.
    #[arg(
        help_heading = "Checking",
        hide_short_help = true,
        long,
        value_name = "K/N"
    )]
    pub shard: Option<String>,

    /// Reuse ok results from this file while fresh.
    ///
    /// Ok results are reused while younger than --max-cache-age; anything
    /// else is checked again every time. The file is created when missing.
    #[arg(help_heading = "Checking", long, value_name = "PATH")]
    pub cache: Option<PathBuf>,

    /// How long an ok result in --cache is reused: a number with a unit,
    /// s, m, h, d or w (90m, 12h, 1d, 2w).
    #[arg(help_heading = "Checking", hide_short_help = true, long, value_name = "DURATION", default_value = "1d", value_parser = parse_age)]
    pub max_cache_age: Duration,

    /// Write rows as checks finish instead of in input order.
    #[arg(help_heading = "Reports", hide_short_help = true, long)]
    pub unordered: bool,

    /// Do not show the progress bar (it is shown only when standard error is
    /// a terminal anyway).
    #[arg(help_heading = "Output", hide_short_help = true, long)]
    pub no_progress: bool,

    /// On GitHub Actions (GITHUB_ACTIONS=true), do not print `::error`
    /// annotations for broken links found in files.
    #[arg(help_heading = "Output", hide_short_help = true, long)]
    pub no_annotations: bool,

    /// Print nothing but the report: no progress bar, no summary, no
    /// annotations.
    #[arg(help_heading = "Output", short, long)]
    pub quiet: bool,

    /// Read settings from this TOML file [default: headcheck.toml in the
    /// current directory, when there is one].
    ///
    /// Keys are the long option names: per-host = 4, exclude =
    /// ["^https://localhost"], accept = "200..=299,403", crawl = true. An
    /// option given on the command line wins over the file. An unknown key
    /// is an error. Patterns in .headcheckignore (else .lycheeignore) in the
    /// current directory, one a line, are added to --exclude.
    #[arg(
        help_heading = "Output",
        hide_short_help = true,
        long,
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    /// Fail only on what is newly broken since an earlier report.
    ///
    /// REPORT is the CSV or JSON Lines report of an earlier run (the main
    /// branch's, say). A failing URL that failed there too (the same URL,
    /// and the same error_kind where both reports have one; never the line)
    /// is known: its row is kept, but it does not fail the exit status.
    /// The summary says how many failures are new, known and fixed.
    #[arg(help_heading = "Output", long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,

    /// Fail on a URL only once it has failed in N runs in a row (needs
    /// --cache, which keeps the count and when the first failure was; a
    /// success resets it). Its row still says what happened in this run;
    /// the summary names the URLs failing but not counted yet.
    #[arg(
        help_heading = "Output",
        hide_short_help = true,
        long,
        value_name = "N",
        requires = "cache",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub fail_after: Option<u32>,

    #[command(flatten)]
    pub exit: ExitFlags,
}

impl Args {
    /// The capture list: lower-case, valid and distinct header names.
    pub fn capture_names(&self) -> Result<Vec<HeaderName>, String> {
        let mut names: Vec<HeaderName> = Vec::new();
        for name in self.capture.iter().flat_map(|list| list.split(',')) {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("--capture: {name:?} is not a header name"))?;
            if !names.contains(&header) {
                names.push(header);
            }
        }
        Ok(names)
    }
}

/// `--timeout`: more than zero seconds, at most a day.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    seconds_within(text, false)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Combine the reports of --shard runs into one (see --help).
    ///
    /// The reports (CSV or JSON Lines, format by extension) become one
    /// report, with the summary and exit status one unsharded run would have
    /// had. Rows are ordered by source (file,
    /// then line number), which for one list is the list's order; rows that
    /// tie keep the order of the reports given. (A file named `merge` is
    /// read as ./merge.)
    Merge(MergeArgs),

    /// What broke, got fixed or changed between two reports (see --help).
    ///
    /// The links that broke, got fixed, or changed status or final URL.
    /// OLD and NEW are CSV or JSON Lines reports (format by extension),
    /// read by column name, so reports of other headcheck versions work.
    /// A URL broke when it fails in NEW and did not fail in OLD in the
    /// same way (the same error_kind, where both reports have one), as
    /// --baseline judges; it is fixed when it failed in OLD and does not in
    /// NEW. Rows come in NEW's order. Exit status 1 when any URL broke. (A
    /// file named `diff` is read as ./diff.)
    Diff(DiffArgs),
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier report.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later report.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Write the changes to PATH instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Format of the changes [default: from the output file's extension
    /// (.csv, .jsonl, .md), else csv].
    #[arg(long, value_enum)]
    pub format: Option<DiffFormat>,

    /// Print nothing but the changes.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub exit: ExitFlags,
}

/// `headcheck diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Csv,
    Jsonl,
    Markdown,
}

impl DiffArgs {
    /// `--format`, else the output file's extension, else CSV.
    pub fn format(&self) -> DiffFormat {
        self.format
            .unwrap_or_else(|| match self.output.as_deref().map(Format::from_path) {
                Some(Some(Format::Jsonl)) => DiffFormat::Jsonl,
                Some(Some(Format::Markdown)) => DiffFormat::Markdown,
                _ => DiffFormat::Csv,
            })
    }
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shard reports, all with the same columns.
    #[arg(value_name = "REPORT", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Where the combined report goes (-o, --format, --bom as for the main
    /// command).
    #[command(flatten)]
    pub reports: ReportFlags,

    /// Print nothing but the report.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub exit: ExitFlags,
}

/// Where reports go and in what form (the main command and `merge`).
#[derive(Debug, clap::Args)]
pub struct ReportFlags {
    /// Write the report to PATH (repeatable; format by extension).
    ///
    /// Instead of standard output. Repeat to write several reports (e.g. -o
    /// report.csv -o report.jsonl).
    #[arg(
        help_heading = "Reports",
        short = 'o',
        long = "output",
        value_name = "PATH"
    )]
    pub outputs: Vec<PathBuf>,

    /// Report format [default: from the output file's extension (.csv,
    /// .json, .jsonl, .md, .xml for JUnit, .xlsx, .sarif), else csv]. xlsx
    /// needs a file (-o).
    #[arg(help_heading = "Reports", hide_short_help = true, long, value_enum)]
    pub format: Option<FormatArg>,

    /// Start CSV reports with a UTF-8 byte-order mark, so that Excel shows
    /// non-ASCII text (international domain names, paths) correctly when
    /// the file is opened by double-click.
    #[arg(help_heading = "Reports", hide_short_help = true, long)]
    pub bom: bool,
}

impl ReportFlags {
    /// Each report's destination and format: `--format` when given, else
    /// the file's extension, else CSV.
    pub fn destinations(&self) -> Vec<(Destination, Format)> {
        let format = self.format.map(Format::from);
        if self.outputs.is_empty() {
            return vec![(Destination::Stdout, format.unwrap_or(Format::Csv))];
        }
        self.outputs
            .iter()
            .map(|path| {
                let format = format
                    .or_else(|| Format::from_path(path))
                    .unwrap_or(Format::Csv);
                let destination = if path.as_os_str() == "-" {
                    Destination::Stdout
                } else {
                    Destination::File(path.clone())
                };
                (destination, format)
            })
            .collect()
    }
}

/// When the exit status is 1 (the main command and `merge`).
#[derive(Debug, clap::Args)]
pub struct ExitFlags {
    /// Exit 0 even when URLs are broken, in error or invalid.
    #[arg(help_heading = "Output", long, conflicts_with = "strict")]
    pub no_fail: bool,

    /// Exit 1 for blocked URLs too.
    #[arg(help_heading = "Output", hide_short_help = true, long)]
    pub strict: bool,
}

impl ExitFlags {
    /// Which rows fail the run.
    pub fn fail_rule(&self) -> FailRule {
        FailRule {
            strict: self.strict,
        }
    }
}

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// HEAD first; GET to confirm any answer that is not accepted.
    Auto,
    /// HEAD only.
    Head,
    /// GET only (the body is never read).
    Get,
}

impl From<MethodArg> for MethodPolicy {
    fn from(arg: MethodArg) -> MethodPolicy {
        match arg {
            MethodArg::Auto => MethodPolicy::Auto,
            MethodArg::Head => MethodPolicy::Head,
            MethodArg::Get => MethodPolicy::Get,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Csv,
    Json,
    Jsonl,
    /// A summary table for a pull-request comment or a CI job summary.
    Markdown,
    /// JUnit XML, one test case per URL.
    Junit,
    /// An Excel workbook (to a file only).
    Xlsx,
    /// SARIF 2.1.0 for GitHub code scanning: one result per place a failing
    /// link appears in a file.
    Sarif,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Junit => Format::Junit,
            FormatArg::Xlsx => Format::Xlsx,
            FormatArg::Sarif => Format::Sarif,
        }
    }
}

/// `--max-cache-age`: `30s`, `90m`, `12h`, `1d`, `2w`.
fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err("expected a number and a unit: s, m, h, d or w (e.g. 12h)".into()),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_secs))
        .map(Duration::from_secs)
        .ok_or_else(|| format!("not a duration: {text}"))
}

/// `--max-retry-wait`: zero (retry at once) to a day.
fn parse_wait(text: &str) -> Result<Duration, String> {
    seconds_within(text, true)
}

fn seconds_within(text: &str, zero_allowed: bool) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs <= 86_400.0)
        .filter(|secs| *secs > 0.0 || (zero_allowed && *secs == 0.0))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds up to 86400"))
}

fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| rate.is_finite() && *rate >= 0.001 && *rate <= 1_000_000.0)
        .ok_or_else(|| format!("{text:?} is not a rate between 0.001 and 1000000 per second"))
}

fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?}: expected 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{:?} is not a header name", name.trim()))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("the value of {name} has characters a header cannot hold"))?;
    Ok((name, value))
}

fn parse_resolve(text: &str) -> Result<(String, SocketAddr), String> {
    let bad = || format!("{text:?}: expected HOST:PORT:ADDR, e.g. docs.test:443:127.0.0.1");
    let (host, rest) = text.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    // Requests use a host's ASCII (punycode) form; accept either form here.
    let ascii = Url::parse(&format!("http://{host}/"))
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .filter(|h| !h.is_empty())
        .ok_or_else(bad)?;
    Ok((ascii, SocketAddr::new(ip, port)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use headcheck::check::{CheckOptions, LimitOptions};
    use headcheck::run::RunOptions;

    #[test]
    fn the_command_line_defaults_are_the_library_defaults() {
        let args = Args::try_parse_from(["headcheck", "http://a.test/"]).unwrap();
        let check = CheckOptions::default();
        assert_eq!(args.timeout, check.timeout);
        assert_eq!(
            check.connect_timeout,
            check::connect_timeout_for(args.timeout)
        );
        assert_eq!(args.stall_after, check.stall_after);
        assert_eq!(args.max_retry_wait, check.max_retry_wait);
        assert_eq!(args.max_redirects, check.max_redirects);
        assert_eq!(args.retries, check.retries);
        assert_eq!(args.accept, check.accept);
        assert_eq!(args.user_agent, check.user_agent);
        assert_eq!(MethodPolicy::from(args.method), check.method);
        let captured: Vec<&str> = check.capture.iter().map(|h| h.as_str()).collect();
        assert_eq!(args.capture.join(","), captured.join(","));
        let limits = LimitOptions::default();
        assert_eq!(args.concurrency as usize, limits.concurrency);
        assert_eq!(args.per_host as usize, limits.per_host);
        assert_eq!(args.rate_per_host, limits.rate_per_host);
        assert_eq!(args.max_retry_wait, limits.max_wait);
        assert_eq!(args.per_host as usize, RunOptions::default().per_host);
    }

    #[test]
    fn resolve_accepts_ipv4_ipv6_and_unicode_hosts() {
        let (host, addr) = parse_resolve("docs.test:8080:127.0.0.1").unwrap();
        assert_eq!(
            (host.as_str(), addr.to_string().as_str()),
            ("docs.test", "127.0.0.1:8080")
        );
        let (_, addr) = parse_resolve("v6.test:443:[::1]").unwrap();
        assert_eq!(addr.to_string(), "[::1]:443");
        let (host, _) = parse_resolve("bücher.test:80:127.0.0.1").unwrap();
        assert_eq!(host, "xn--bcher-kva.test");
        assert!(parse_resolve("docs.test:127.0.0.1").is_err());
        assert!(parse_resolve("docs.test:x:127.0.0.1").is_err());
    }

    #[test]
    fn headers_parse_like_curl() {
        let (name, value) = parse_header("Authorization:  Bearer abc").unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("authorization", "Bearer abc")
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
    }

    #[test]
    fn seconds_must_be_positive() {
        assert_eq!(parse_seconds("2.5").unwrap(), Duration::from_millis(2500));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("x").is_err());
    }
}
