//! The `headcheck` command: parse flags, run, map the outcome to an exit
//! status. Everything else lives in `app` and the library.

mod annotate;
mod app;
mod cli;
mod config;
mod diff;
mod exit;
mod merge;
mod open_files;
mod progress;
mod same_file;
mod summary;

fn main() {
    std::process::exit(app::main());
}
