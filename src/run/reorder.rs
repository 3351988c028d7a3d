//! Input order for the report: finished rows wait here until every earlier
//! row is written.
//!
//! Up to a number of rows wait in memory; beyond it, the rows furthest from
//! being due wait in a temporary file (removed as soon as it is made, so a
//! crash leaves nothing behind), with only their place in the file kept in
//! memory. So a URL that hangs near the top of a long list never makes the
//! run stop reading, nor hold every later row in memory. The file's rows go
//! through the report's row mapping, as JSON.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use serde_json::Value;

use crate::report::columns;
use crate::report::json;
use crate::types::{Origin, Outcome};

/// Finished rows kept in memory (a few hundred bytes each) before the rest
/// go to the temporary file.
pub const MEMORY_ROWS: usize = 16 * 1024;

/// Holds finished rows until every earlier row is written.
pub struct Reorder {
    /// Index of the next row due.
    next: u64,
    memory: BTreeMap<u64, Outcome>,
    memory_rows: usize,
    /// Rows in the file: index → (offset, length).
    spilled: BTreeMap<u64, (u64, usize)>,
    file: Option<Spill>,
}

struct Spill {
    file: File,
    end: u64,
}

impl Default for Reorder {
    fn default() -> Self {
        Reorder::new(MEMORY_ROWS)
    }
}

impl Reorder {
    /// Keeps up to `memory_rows` waiting rows in memory.
    pub fn new(memory_rows: usize) -> Reorder {
        Reorder {
            next: 0,
            memory: BTreeMap::new(),
            memory_rows: memory_rows.max(1),
            spilled: BTreeMap::new(),
            file: None,
        }
    }

    /// Takes a finished row; fails only when the temporary file cannot be
    /// written.
    pub fn push(&mut self, outcome: Outcome) -> io::Result<()> {
        if self.memory.len() < self.memory_rows || outcome.index == self.next {
            self.memory.insert(outcome.index, outcome);
            return Ok(());
        }
        // Memory is full: the row due last goes to the file.
        let latest = self.memory.last_key_value().map_or(0, |(index, _)| *index);
        let to_file = if outcome.index > latest {
            outcome
        } else {
            self.memory.insert(outcome.index, outcome);
            match self.memory.pop_last() {
                Some((_, row)) => row,
                None => return Ok(()),
            }
        };
        self.spill(&to_file)
    }

    /// The rows that are now due, in order.
    pub fn drain_ready(&mut self) -> impl Iterator<Item = io::Result<Outcome>> + '_ {
        std::iter::from_fn(move || {
            let row = match self.memory.remove(&self.next) {
                Some(row) => Ok(row),
                None => {
                    let (offset, length) = self.spilled.remove(&self.next)?;
                    self.read(offset, length)
                }
            };
            self.next += 1;
            Some(row)
        })
    }

    /// Every finished row, in order, gaps skipped.
    pub fn drain_all(&mut self) -> impl Iterator<Item = io::Result<Outcome>> + '_ {
        let mut indexes: Vec<u64> = self
            .memory
            .keys()
            .chain(self.spilled.keys())
            .copied()
            .collect();
        indexes.sort_unstable();
        indexes.into_iter().filter_map(move |index| {
            if let Some(row) = self.memory.remove(&index) {
                return Some(Ok(row));
            }
            let (offset, length) = self.spilled.remove(&index)?;
            Some(self.read(offset, length))
        })
    }

    fn spill(&mut self, row: &Outcome) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(Spill {
                file: temporary_file()?,
                end: 0,
            });
        }
        let Some(spill) = self.file.as_mut() else {
            return Ok(());
        };
        let mut line = serde_json::to_vec(&encode(row))?;
        line.push(b'\n');
        spill.file.seek(SeekFrom::Start(spill.end))?;
        spill.file.write_all(&line)?;
        self.spilled.insert(row.index, (spill.end, line.len()));
        spill.end += line.len() as u64;
        Ok(())
    }

    fn read(&mut self, offset: u64, length: usize) -> io::Result<Outcome> {
        let spill = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("reorder: no temporary file"))?;
        let mut line = vec![0; length];
        spill.file.seek(SeekFrom::Start(offset))?;
        spill.file.read_exact(&mut line)?;
        let value: Value = serde_json::from_slice(&line)?;
        decode(&value).ok_or_else(|| io::Error::other("reorder: a row came back damaged"))
    }
}

/// A file for this run alone, already removed from its directory.
fn temporary_file() -> io::Result<File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "headcheck-rows-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    // On Unix the open file lives on without a name; elsewhere it may stay.
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

/// A row as `[index, key, origin, [cells…]]`, the cells by the row
/// mapping: every field of the row.
fn encode(row: &Outcome) -> Value {
    let cells: Vec<Value> = columns::cells(row).map(json::value).collect();
    Value::Array(vec![
        Value::from(row.index),
        Value::from(row.key.as_str()),
        Value::from(row.origin.as_str()),
        Value::Array(cells),
    ])
}

fn decode(value: &Value) -> Option<Outcome> {
    let [index, key, origin, Value::Array(cells)] = value.as_array()?.as_slice() else {
        return None;
    };
    // The captured headers' names do not matter here, only their places.
    let headers: Vec<String> = (columns::COLUMNS.len()..cells.len())
        .map(|i| i.to_string())
        .collect();
    let layout = columns::Layout::of(&columns::names(&headers))?;
    let mut row = columns::from_cells(&layout, &headers, |i| json::read_cell(cells.get(i)))?;
    row.index = index.as_u64()?;
    row.key = key.as_str()?.to_string();
    row.origin = Origin::from_word(origin.as_str()?)?;
    Some(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Method, Source, Verdict};

    fn row(index: u64) -> Outcome {
        Outcome {
            index,
            key: format!("http://a.test/{index}"),
            url: format!("HTTP://A.test/{index}"),
            verdict: Verdict::Ok,
            status: Some(200),
            final_url: Some(format!("http://a.test/{index}")),
            redirects: 0,
            method: Some(Method::Head),
            elapsed_ms: Some(index),
            attempts: 1,
            error: None,
            error_kind: None,
            source: Source::at("list.txt", index, None),
            headers: vec![Some("text/html".into()), None],
            origin: Origin::Resumed,
            novelty: None,
        }
    }

    fn ready(order: &mut Reorder) -> Vec<u64> {
        order.drain_ready().map(|r| r.unwrap().index).collect()
    }

    #[test]
    fn reorder_releases_rows_in_input_order() {
        let mut order = Reorder::default();
        order.push(row(2)).unwrap();
        order.push(row(1)).unwrap();
        assert!(ready(&mut order).is_empty());
        order.push(row(0)).unwrap();
        assert_eq!(ready(&mut order), [0, 1, 2]);
        order.push(row(5)).unwrap();
        order.push(row(4)).unwrap();
        let rest: Vec<u64> = order.drain_all().map(|r| r.unwrap().index).collect();
        assert_eq!(rest, [4, 5]);
    }

    #[test]
    fn rows_beyond_the_memory_bound_wait_in_a_file_and_come_back_whole() {
        let mut order = Reorder::new(10);
        // Row 0 is late; 1..=100 finish first, in a scrambled order.
        let mut late: Vec<u64> = (1..=100).collect();
        late.reverse();
        late.swap(3, 70);
        for index in late {
            order.push(row(index)).unwrap();
            assert!(order.memory.len() <= 10);
        }
        assert_eq!(order.spilled.len(), 90);
        order.push(row(0)).unwrap();
        let rows: Vec<Outcome> = order.drain_ready().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 101);
        for (i, back) in rows.iter().enumerate() {
            assert_eq!(back, &row(i as u64));
        }
        assert!(order.spilled.is_empty());
    }

    #[test]
    fn an_interrupted_run_gets_its_spilled_rows_too() {
        let mut order = Reorder::new(2);
        for index in [3, 1, 4, 6, 5] {
            order.push(row(index)).unwrap();
        }
        let all: Vec<u64> = order.drain_all().map(|r| r.unwrap().index).collect();
        assert_eq!(all, [1, 3, 4, 5, 6]);
    }
}
