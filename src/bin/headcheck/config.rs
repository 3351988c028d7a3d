//! Settings a repository commits for its CI: `headcheck.toml` in the
//! current directory (or `--config PATH`), whose keys are the long option
//! names (`per-host = 4`, `exclude = ["^https://localhost"]`), and
//! `.headcheckignore` (else `.lycheeignore`), one pattern of URLs to skip a
//! line. The command line wins over the file: a setting it gives is taken
//! from it alone.
//!
//! The file's settings become arguments placed before the command line's,
//! so clap parses and checks them as it does every flag; a key that is no
//! long option is an error naming the key and the file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory};
use regex::Regex;

use crate::cli::Args;

/// The settings file read when `--config` is not given, if present.
pub const DEFAULT_FILE: &str = "headcheck.toml";

/// The ignore files read, the first one present: headcheck's own, or the
/// one a repository keeps for lychee.
pub const IGNORE_FILES: [&str; 2] = [".headcheckignore", ".lycheeignore"];

/// The arguments to parse: `argv` with the settings file's arguments (those
/// the command line does not give) after the program's name. `argv` as it
/// is when there is no file, or it is a subcommand (`merge`, `diff`), or
/// clap will refuse it anyway (and say why).
pub fn with_settings(argv: Vec<OsString>) -> anyhow::Result<Vec<OsString>> {
    let command = Args::command();
    let Ok(matches) = command.clone().try_get_matches_from(&argv) else {
        return Ok(argv);
    };
    if matches.subcommand().is_some() {
        return Ok(argv);
    }
    let path = match matches.get_one::<PathBuf>("config") {
        Some(path) => path.clone(),
        None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
        None => return Ok(argv),
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).with_context(|| format!("--config {file}"))?;
    let table: toml::Table = toml::from_str(&text).with_context(|| file.clone())?;
    let mut settings: Vec<OsString> = Vec::new();
    for (key, value) in &table {
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(key.as_str()));
        let Some(arg) = arg.filter(|_| !["config", "help", "version"].contains(&key.as_str()))
        else {
            bail!(
                "{file}: unknown key `{key}`: the keys are the long option names \
                 (per-host = 4, exclude = [\"^https://localhost\"])"
            );
        };
        if matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            continue;
        }
        let flag = matches!(arg.get_action(), ArgAction::SetTrue);
        let repeatable = matches!(arg.get_action(), ArgAction::Append);
        let values = match value {
            toml::Value::Array(items) if repeatable => items.iter().collect(),
            toml::Value::Array(_) => bail!("{file}: `{key}` takes one value, not a list"),
            value => vec![value],
        };
        for value in values {
            let text = match value {
                toml::Value::String(text) => text.clone(),
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(on) if flag => {
                    if *on {
                        settings.push(format!("--{key}").into());
                    }
                    continue;
                }
                toml::Value::Boolean(on) => on.to_string(),
                _ => bail!("{file}: `{key}`: a string, a number, true or false, or a list of them"),
            };
            if flag {
                bail!("{file}: `{key}` is a switch: true or false");
            }
            settings.push(format!("--{key}={text}").into());
        }
    }
    check_values(&settings, &file)?;
    let mut argv = argv.into_iter();
    Ok(argv
        .next()
        .into_iter()
        .chain(settings)
        .chain(argv)
        .collect())
}

/// Refuses a setting whose value its option refuses, naming the file (clap
/// would name only the option).
fn check_values(settings: &[OsString], file: &str) -> anyhow::Result<()> {
    for setting in settings {
        let alone = [OsString::from("headcheck"), setting.clone()];
        if let Err(err) = Args::command().try_get_matches_from(alone) {
            use clap::error::ErrorKind::*;
            if matches!(err.kind(), InvalidValue | ValueValidation) {
                let message = err.to_string();
                let first = message.lines().next().unwrap_or_default();
                bail!("{file}: {}", first.trim_start_matches("error: "));
            }
        }
    }
    Ok(())
}

/// The patterns of the ignore file in the current directory, if there is
/// one: a regular expression a line; blank lines and `#` comments are
/// skipped.
pub fn ignore_patterns() -> anyhow::Result<Vec<Regex>> {
    let Some(path) = IGNORE_FILES
        .iter()
        .map(Path::new)
        .find(|path| path.is_file())
    else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let mut patterns = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let pattern = Regex::new(line).with_context(|| {
            format!(
                "{}:{}: not a regular expression",
                path.display(),
                number + 1
            )
        })?;
        patterns.push(pattern);
    }
    Ok(patterns)
}
