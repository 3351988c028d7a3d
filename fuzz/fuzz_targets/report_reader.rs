//! Fuzzes the report reader behind `--resume`, `merge` and `--baseline`,
//! CSV and JSON Lines: any bytes give rows or errors, at most one row per
//! line of input (rows are read one at a time; CSV ends a record at a CR, a
//! LF or both), never a panic.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use headcheck::report::ReportFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = 1 + data.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
    let capture = ["etag".to_string()];
    let csv = ReportFile::csv(Path::new("fuzz.csv"), Box::new(Cursor::new(data.to_vec())));
    let jsonl = ReportFile::jsonl(
        Path::new("fuzz.jsonl"),
        Box::new(Cursor::new(data.to_vec())),
    );
    for report in [csv, jsonl] {
        let Ok(mut report) = report else {
            continue;
        };
        let mut rows = 0;
        while let Some(row) = report.next_row(&capture) {
            rows += 1;
            assert!(rows <= lines, "{rows} rows from {lines} lines");
            if let Ok(row) = row {
                assert_eq!(row.headers.len(), capture.len());
            }
        }
    }
});
