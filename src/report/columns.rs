//! The row mapping: the report's columns, in order, and how each one reads
//! from and writes to an [`Outcome`]. Every format (CSV, JSON, JSON Lines,
//! the workbook, the cache, and the readers behind `--resume` and `merge`)
//! goes through this one table, so a column is named, typed and converted
//! in one place.

use crate::types::{ErrorKind, Method, Outcome, Source, Verdict, text_key};

/// A cell's value, before a format's own conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// No value: an empty CSV cell, JSON `null`, a blank spreadsheet cell.
    Empty,
    Text(&'a str),
    Number(u64),
}

impl<'a> Cell<'a> {
    fn text(value: Option<&'a str>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Text)
    }

    fn number(value: Option<u64>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Number)
    }

    fn as_text(self) -> Option<&'a str> {
        match self {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }

    fn as_number(self) -> Option<u64> {
        match self {
            Cell::Number(n) => Some(n),
            _ => None,
        }
    }

    /// A count (redirects, attempts): 0 when empty or out of range.
    fn as_count(self) -> u32 {
        self.as_number()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    }

    fn to_text(self) -> Option<String> {
        self.as_text().map(str::to_string)
    }
}

/// One fixed column of the report.
pub struct Column {
    pub name: &'static str,
    /// Numbers are written as numbers (JSON, the workbook) and are read
    /// back as numbers; every other column is text.
    pub numeric: bool,
    get: fn(&Outcome) -> Cell<'_>,
    /// Stores a value read back; `None` when the value cannot be the
    /// column's (a row that is not a report row).
    set: fn(&mut Outcome, Cell<'_>) -> Option<()>,
}

impl Column {
    pub fn get<'a>(&self, outcome: &'a Outcome) -> Cell<'a> {
        (self.get)(outcome)
    }
}

const fn text(
    name: &'static str,
    get: fn(&Outcome) -> Cell<'_>,
    set: fn(&mut Outcome, Cell<'_>) -> Option<()>,
) -> Column {
    Column {
        name,
        numeric: false,
        get,
        set,
    }
}

const fn number(
    name: &'static str,
    get: fn(&Outcome) -> Cell<'_>,
    set: fn(&mut Outcome, Cell<'_>) -> Option<()>,
) -> Column {
    Column {
        name,
        numeric: true,
        get,
        set,
    }
}

/// The fixed columns, in report order; captured headers follow, one text
/// column each, named by the header's lower-case name.
pub const COLUMNS: [Column; 11] = [
    text(
        "url",
        |o| Cell::Text(&o.url),
        |o, c| {
            o.url = c.as_text().unwrap_or_default().to_string();
            Some(())
        },
    ),
    text(
        "result",
        |o| Cell::Text(o.verdict.as_str()),
        |o, c| {
            let text = c.as_text()?;
            o.verdict = Verdict::ALL.into_iter().find(|v| v.as_str() == text)?;
            Some(())
        },
    ),
    number(
        "status",
        |o| Cell::number(o.status.map(u64::from)),
        |o, c| {
            o.status = c.as_number().and_then(|n| u16::try_from(n).ok());
            Some(())
        },
    ),
    text(
        "final_url",
        |o| Cell::text(o.final_url.as_deref()),
        |o, c| {
            o.final_url = c.to_text();
            Some(())
        },
    ),
    number(
        "redirects",
        |o| Cell::Number(u64::from(o.redirects)),
        |o, c| {
            o.redirects = c.as_count();
            Some(())
        },
    ),
    text(
        "method",
        |o| Cell::text(o.method.map(Method::as_str)),
        |o, c| {
            o.method = match c.as_text() {
                Some("HEAD") => Some(Method::Head),
                Some("GET") => Some(Method::Get),
                _ => None,
            };
            Some(())
        },
    ),
    number(
        "elapsed_ms",
        |o| Cell::number(o.elapsed_ms),
        |o, c| {
            o.elapsed_ms = c.as_number();
            Some(())
        },
    ),
    number(
        "attempts",
        |o| Cell::Number(u64::from(o.attempts)),
        |o, c| {
            o.attempts = c.as_count();
            Some(())
        },
    ),
    text(
        "error",
        |o| Cell::text(o.error.as_deref()),
        |o, c| {
            o.error = c.to_text();
            Some(())
        },
    ),
    // Added after the layout was fixed: a report without it reads back
    // with none (reports are read by column name). A word of a later
    // version reads as none too.
    text(
        "error_kind",
        |o| Cell::text(o.error_kind.map(ErrorKind::as_str)),
        |o, c| {
            o.error_kind = c.as_text().and_then(ErrorKind::from_word);
            Some(())
        },
    ),
    text(
        "source",
        |o| Cell::Text(o.source.as_str()),
        |o, c| {
            o.source = Source::parse(c.as_text().unwrap_or_default());
            Some(())
        },
    ),
];

/// Positions of the columns that some formats dress up (a hyperlink, a
/// colour).
pub const URL_COLUMN: usize = 0;
pub const RESULT_COLUMN: usize = 1;
pub const FINAL_URL_COLUMN: usize = 3;

/// The fixed columns' names, in order.
pub fn fixed_names() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().map(|column| column.name)
}

/// Every column's name: the fixed ones, then the captured headers.
pub fn names(captured: &[String]) -> Vec<String> {
    fixed_names()
        .map(str::to_string)
        .chain(captured.iter().cloned())
        .collect()
}

/// Where a report read back has each column, by name: reports are read by
/// their header, not by position, so that a report written before a column
/// was added, or with columns this version does not know, still reads.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The report's column names, in its order.
    names: Vec<String>,
    /// Each fixed column's position among `names`, if the report has it.
    fixed: [Option<usize>; COLUMNS.len()],
}

/// The columns without which a report cannot be read back.
const REQUIRED: [&str; 2] = ["url", "result"];

impl Layout {
    /// The layout of a report whose header is `names`, or `None` when it
    /// lacks a column that every report has (`url`, `result`).
    pub fn of(names: &[String]) -> Option<Layout> {
        let fixed = std::array::from_fn(|i| names.iter().position(|name| name == COLUMNS[i].name));
        let layout = Layout {
            names: names.to_vec(),
            fixed,
        };
        REQUIRED
            .iter()
            .all(|name| layout.has(name))
            .then_some(layout)
    }

    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// The report's column names, in its order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the column at `position` holds numbers.
    pub fn is_numeric(&self, position: usize) -> bool {
        self.fixed
            .iter()
            .zip(&COLUMNS)
            .any(|(at, column)| *at == Some(position) && column.numeric)
    }

    /// The report's columns that are not fixed ones: its captured headers,
    /// or columns of a later version.
    pub fn others(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|name| !fixed_names().any(|fixed| fixed == name.as_str()))
            .cloned()
            .collect()
    }

    /// The fixed columns the report has not (it is older than they are).
    pub fn absent(&self) -> Vec<&'static str> {
        COLUMNS
            .iter()
            .zip(&self.fixed)
            .filter(|(_, at)| at.is_none())
            .map(|(column, _)| column.name)
            .collect()
    }
}

/// A row's cells, in column order: the fixed columns, then the captured
/// headers.
pub fn cells(outcome: &Outcome) -> impl Iterator<Item = Cell<'_>> {
    COLUMNS
        .iter()
        .map(|column| column.get(outcome))
        .chain(outcome.headers.iter().map(|h| Cell::text(h.as_deref())))
}

/// A row read back from its cells: `cell(position)` gives the cell of the
/// column at that position in the report laid out as `layout`, and
/// `captured` names the headers this run records, which may be fewer, more
/// or other than the report had. A fixed column the report has not is
/// empty. `None` when the cells are not a report row (no known result).
pub fn from_cells<'a>(
    layout: &Layout,
    captured: &[String],
    mut cell: impl FnMut(usize) -> Cell<'a>,
) -> Option<Outcome> {
    let mut outcome = Outcome::unchecked(
        0,
        String::new(),
        Source::default(),
        Verdict::Ok,
        String::new(),
        0,
    );
    outcome.error = None;
    for (column, at) in COLUMNS.iter().zip(&layout.fixed) {
        let value = at.map_or(Cell::Empty, &mut cell);
        (column.set)(&mut outcome, value)?;
    }
    outcome.headers = captured
        .iter()
        .map(|name| {
            let position = layout.names.iter().position(|n| n == name)?;
            cell(position).as_text().map(str::to_string)
        })
        .collect();
    outcome.key = text_key(&outcome.url);
    Some(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Origin;

    fn row() -> Outcome {
        Outcome {
            index: 0,
            key: "http://a.test/".into(),
            url: "HTTP://A.test".into(),
            verdict: Verdict::Broken,
            status: Some(404),
            final_url: Some("http://a.test/".into()),
            redirects: 1,
            method: Some(Method::Get),
            elapsed_ms: Some(12),
            attempts: 2,
            error: None,
            error_kind: Some(ErrorKind::Status),
            source: "list.txt:3".into(),
            headers: vec![Some("text/html".into()), None],
            origin: Origin::Run,
            novelty: None,
        }
    }

    #[test]
    fn dressed_up_columns_are_where_they_are_said_to_be() {
        assert_eq!(COLUMNS[URL_COLUMN].name, "url");
        assert_eq!(COLUMNS[RESULT_COLUMN].name, "result");
        assert_eq!(COLUMNS[FINAL_URL_COLUMN].name, "final_url");
    }

    #[test]
    fn cells_read_back_into_the_same_row() {
        let outcome = row();
        let captured = vec!["content-type".to_string(), "server".to_string()];
        let names = names(&captured);
        let cells: Vec<Cell> = cells(&outcome).collect();
        assert_eq!(cells.len(), names.len());
        assert_eq!(cells[2], Cell::Number(404));
        assert_eq!(cells[8], Cell::Empty);
        let layout = Layout::of(&names).unwrap();
        let back = from_cells(&layout, &captured, |i| cells[i]).unwrap();
        assert_eq!(back, outcome);
    }

    #[test]
    fn headers_are_matched_by_name_and_unknown_results_refused() {
        let outcome = row();
        let names = names(&["content-type".to_string(), "server".to_string()]);
        let cells: Vec<Cell> = cells(&outcome).collect();
        let other = ["etag".to_string(), "content-type".to_string()];
        let layout = Layout::of(&names).unwrap();
        let back = from_cells(&layout, &other, |i| cells[i]).unwrap();
        assert_eq!(back.headers, [None, Some("text/html".to_string())]);
        let not_a_row = from_cells(&layout, &[], |i| match i {
            1 => Cell::Text("fine"),
            _ => Cell::Empty,
        });
        assert!(not_a_row.is_none());
    }

    #[test]
    fn reports_are_read_by_column_name_in_any_order_older_or_newer() {
        let outcome = row();
        let names = names(&["content-type".to_string()]);
        let cells: Vec<Cell> = cells(&outcome).collect();
        // The same columns backwards, without `method` (an older report),
        // with `later` (a newer one).
        let mut order: Vec<usize> = (0..names.len())
            .rev()
            .filter(|&i| names[i] != "method")
            .collect();
        let mut shuffled: Vec<String> = order.iter().map(|&i| names[i].clone()).collect();
        shuffled.insert(3, "later".to_string());
        order.insert(3, usize::MAX);
        let layout = Layout::of(&shuffled).unwrap();
        assert_eq!(layout.absent(), ["method"]);
        assert_eq!(layout.others(), ["content-type", "later"]);
        assert!(layout.is_numeric(shuffled.iter().position(|n| n == "status").unwrap()));
        assert!(!layout.is_numeric(3));
        let back = from_cells(&layout, &["content-type".to_string()], |i| match order[i] {
            usize::MAX => Cell::Text("from a later version"),
            original => cells[original],
        })
        .unwrap();
        assert_eq!(back.status, Some(404));
        assert_eq!(back.url, outcome.url);
        assert_eq!(back.source, outcome.source);
        assert_eq!(
            back.method, None,
            "an older report's missing column is empty"
        );
        assert_eq!(back.headers, [Some("text/html".to_string())]);
        // Without url or result it is not a report.
        let no_result: Vec<String> = names.iter().filter(|n| *n != "result").cloned().collect();
        assert!(Layout::of(&no_result).is_none());
    }
}
