//! JSON (one array) and JSON Lines (one object a line): objects keyed by the
//! CSV's column names, numbers as numbers, empty cells as `null`.

use std::io::{self, Write};

use serde_json::{Map, Value};

use super::columns::{self, Cell};
use crate::types::Outcome;

/// One row as a JSON object.
pub fn object(names: &[String], outcome: &Outcome) -> Value {
    let map: Map<String, Value> = names
        .iter()
        .cloned()
        .zip(columns::cells(outcome).map(value))
        .collect();
    Value::Object(map)
}

/// A cell as a JSON value.
pub fn value(cell: Cell<'_>) -> Value {
    match cell {
        Cell::Empty => Value::Null,
        Cell::Text(text) => Value::String(text.to_string()),
        Cell::Number(n) => Value::from(n),
    }
}

/// A cell read back from a JSON value.
pub fn read_cell(value: Option<&Value>) -> Cell<'_> {
    match value {
        Some(Value::String(text)) => Cell::Text(text),
        Some(Value::Number(n)) => n.as_u64().map_or(Cell::Empty, Cell::Number),
        _ => Cell::Empty,
    }
}

/// A JSON array report: `[`, rows separated by commas, `]` at the end.
pub struct JsonReport {
    out: Box<dyn Write + Send>,
    names: Vec<String>,
    rows: u64,
}

impl JsonReport {
    pub fn new(out: Box<dyn Write + Send>, names: Vec<String>) -> JsonReport {
        JsonReport {
            out,
            names,
            rows: 0,
        }
    }

    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"[\n" } else { b",\n" })?;
        self.rows += 1;
        serde_json::to_writer(&mut self.out, &object(&self.names, outcome))?;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// A JSON Lines report: one object a line.
pub struct JsonLinesReport {
    out: Box<dyn Write + Send>,
    names: Vec<String>,
}

impl JsonLinesReport {
    pub fn new(out: Box<dyn Write + Send>, names: Vec<String>) -> JsonLinesReport {
        JsonLinesReport { out, names }
    }

    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &object(&self.names, outcome))?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
