//! Reports: the row mapping ([`columns`]) and one writer per format (CSV,
//! JSON and JSON Lines, Markdown, JUnit XML, the xlsx workbook), behind one
//! [`Report`]; and reading reports back ([`ReportFile`]).
//!
//! Writers receive finished [`Outcome`](crate::types::Outcome)s in the
//! order they are due and know nothing of how they were produced.

pub mod columns;
mod csv;
pub mod json;
mod junit;
mod markdown;
mod read;
pub mod sarif;
mod writer;
mod xlsx;

pub use csv::spreadsheet_safe;
pub use markdown::cell as markdown_cell;
pub use read::ReportFile;
pub use writer::{Destination, Format, Report, ReportOptions, finish_all};
