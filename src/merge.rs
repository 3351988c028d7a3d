//! `headcheck merge`: the reports of `--shard` runs combined into one, with
//! the summary and exit status of one unsharded run.

use anyhow::{Context, bail};
use headcheck::outcome::Outcome;
use headcheck::report::read::ReportFile;
use headcheck::report::{COLUMNS, Report};

use crate::app::finish;
use crate::cli::MergeArgs;
use crate::summary::Tally;

pub fn run(args: &MergeArgs) -> anyhow::Result<i32> {
    let mut files = Vec::new();
    for path in &args.inputs {
        files.push((path, ReportFile::open(path).map_err(anyhow::Error::msg)?));
    }
    // Every report must have the same columns (an empty JSON Lines report
    // has none to compare).
    let columns = files
        .iter()
        .map(|(_, file)| &file.columns)
        .find(|columns| !columns.is_empty())
        .cloned()
        .unwrap_or_else(|| COLUMNS.iter().map(|c| c.to_string()).collect());
    for (path, file) in &files {
        if !file.columns.is_empty() && file.columns != columns {
            bail!(
                "the reports' columns differ: {} has {}, {} has {}",
                args.inputs[0].display(),
                columns.join(","),
                path.display(),
                file.columns.join(",")
            );
        }
    }
    let captured = &columns[COLUMNS.len()..];
    let mut reports = Vec::new();
    for (destination, format) in args.reports.destinations() {
        reports.push(Report::create(
            &destination,
            format,
            captured,
            args.reports.bom,
        )?);
    }

    let mut heads: Vec<Option<Outcome>> = Vec::new();
    for (path, file) in &mut files {
        heads.push(next(path, file)?);
    }
    let mut tally = Tally::default();
    let mut index = 0;
    // Each report is in its run's order; take the smallest head each time.
    while let Some(pick) = (0..heads.len())
        .filter(|i| heads[*i].is_some())
        .min_by(|a, b| order_key(heads[*a].as_ref()).cmp(&order_key(heads[*b].as_ref())))
    {
        let mut outcome = heads[pick].take().expect("picked a present head");
        let (path, file) = &mut files[pick];
        heads[pick] = next(path, file)?;
        outcome.index = index;
        index += 1;
        tally.add(&outcome);
        for report in &mut reports {
            report.write(&outcome).context("cannot write the report")?;
        }
    }
    finish(&mut reports)?;
    if !args.quiet {
        eprint!("{}", tally.render(None, false));
    }
    Ok(tally.exit_code(args.exit.no_fail, args.exit.strict))
}

fn next(path: &std::path::Path, file: &mut ReportFile) -> anyhow::Result<Option<Outcome>> {
    file.next_row()
        .transpose()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Rows are ordered by their source's name, then its line number (`min_by`
/// keeps the first of equal keys, so ties keep the order of the reports).
fn order_key(outcome: Option<&Outcome>) -> (&str, u64) {
    let source = outcome.map_or("", |o| o.source.as_str());
    match source.rsplit_once(':') {
        Some((name, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => {
            (name, line.parse().unwrap_or(u64::MAX))
        }
        _ => (source, 0),
    }
}
