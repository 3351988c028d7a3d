//! `headcheck merge`: the reports of `--shard` runs combined into one, with
//! the summary and exit status of one unsharded run.

use anyhow::{Context, bail};
use std::path::PathBuf;

use headcheck::report::{self, Destination, Report, ReportFile, ReportOptions};
use headcheck::types::Outcome;

use crate::cli::MergeArgs;
use crate::exit;
use crate::same_file::same_file;
use crate::summary::Summary;

pub fn run(args: &MergeArgs) -> anyhow::Result<i32> {
    // A report named twice (`merge *.csv` after an earlier merge, a path
    // typed twice) is read once; a report that is also the output would be
    // destroyed before it is read.
    let mut paths: Vec<&PathBuf> = Vec::new();
    for path in &args.inputs {
        if paths.iter().any(|seen| same_file(seen, path)) {
            if !args.quiet {
                eprintln!(
                    "headcheck merge: {} is named twice; read once",
                    path.display()
                );
            }
            continue;
        }
        for (destination, _) in args.reports.destinations() {
            if let Destination::File(output) = destination
                && same_file(&output, path)
            {
                bail!(
                    "-o {}: that is a report being merged, which writing the result would \
                     destroy; nothing was written",
                    output.display()
                );
            }
        }
        paths.push(path);
    }
    let mut files = Vec::new();
    for path in paths {
        files.push((path, ReportFile::open(path)?));
    }
    // Every report must have the same columns (an empty JSON Lines report
    // has none to compare).
    let columns = files
        .iter()
        .map(|(_, file)| &file.columns)
        .find(|columns| !columns.is_empty())
        .cloned()
        .unwrap_or_else(|| report::columns::names(&[]));
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
    // Read by name: the columns that are not fixed ones are the captured
    // headers, kept as the reports have them.
    let captured = files
        .iter()
        .find(|(_, file)| !file.columns.is_empty())
        .map(|(_, file)| file.other_columns())
        .unwrap_or_default();
    let options = ReportOptions {
        bom: args.reports.bom,
        fail_rule: args.exit.fail_rule(),
        baseline: false,
    };
    let mut reports = Vec::new();
    for (destination, format) in args.reports.destinations() {
        reports.push(Report::create(&destination, format, &captured, options)?);
    }

    let mut heads: Vec<Option<Outcome>> = Vec::new();
    for (_, file) in &mut files {
        heads.push(next(file, &captured)?);
    }
    let mut summary = Summary::default();
    let mut index = 0;
    // Each report is in its run's order; take the smallest head each time.
    while let Some(pick) = (0..heads.len())
        .filter(|i| heads[*i].is_some())
        .min_by(|a, b| order_key(heads[*a].as_ref()).cmp(&order_key(heads[*b].as_ref())))
    {
        let Some(mut outcome) = heads[pick].take() else {
            break;
        };
        heads[pick] = next(&mut files[pick].1, &captured)?;
        outcome.index = index;
        index += 1;
        summary.add(&outcome);
        for report in &mut reports {
            report.write(&outcome).context("cannot write the report")?;
        }
    }
    report::finish_all(&mut reports).context("cannot write the report")?;
    if !args.quiet {
        eprint!("{}", summary.render(None, false));
    }
    Ok(exit::status(
        &summary.tally,
        args.exit.fail_rule(),
        args.exit.no_fail,
    ))
}

fn next(file: &mut ReportFile, captured: &[String]) -> anyhow::Result<Option<Outcome>> {
    Ok(file.next_row(captured).transpose()?)
}

/// Rows are ordered by their source's name, then its line number (`min_by`
/// keeps the first of equal keys, so ties keep the order of the reports).
fn order_key(outcome: Option<&Outcome>) -> (&str, u64) {
    outcome.map_or(("", 0), |o| (o.source.name(), o.source.line().unwrap_or(0)))
}
