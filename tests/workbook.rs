//! `-o report.xlsx`: a real workbook, read back with calamine (values and
//! types) and unzipped (hyperlinks, frozen header, autofilter, colours).

mod support;

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use support::{Csv, Reply, Server, headcheck};

fn site() -> Server {
    Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        "/moved" => Reply::redirect(301, "/fine"),
        "/evil" => Reply::ok().header("x-note", "=HYPERLINK(\"http://evil.test\",\"x\")"),
        _ => Reply::ok().header("content-type", "text/html"),
    })
}

/// A file inside the workbook (an xlsx file is a zip archive).
fn part(path: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("no {name} in the workbook"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn the_workbook_holds_the_report_with_types_links_and_a_summary() {
    let server = site();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    let lines = [
        server.url("/fine"),
        server.url("/gone"),
        server.url("/moved"),
        server.url("/evil"),
        "=1+2".to_string(),
        "mailto:x@a.test".to_string(),
    ];
    std::fs::write(&list, lines.join("\n")).unwrap();
    let book = dir.path().join("audit.xlsx");
    let csv = dir.path().join("audit.csv");
    let output = headcheck()
        .arg(&list)
        .args(["--capture", "content-type,x-note", "-o"])
        .arg(&book)
        .arg("-o")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let csv = Csv::parse(&std::fs::read(&csv).unwrap());

    let mut workbook: Xlsx<_> = open_workbook(&book).unwrap();
    assert_eq!(workbook.sheet_names(), ["Report", "Summary"]);
    let report = workbook.worksheet_range("Report").unwrap();
    let rows: Vec<&[Data]> = report.rows().collect();
    // The header, then the CSV's rows in the same order.
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, csv.headers);
    assert_eq!(rows.len(), csv.rows.len() + 1);
    for (i, row) in rows[1..].iter().enumerate() {
        // The CSV neutralises formula-like text with a `'`; a string cell
        // needs no such guard.
        let url = csv.get(i, "url");
        assert_eq!(row[0].to_string(), url.strip_prefix('\'').unwrap_or(url));
        assert_eq!(row[1].to_string(), csv.get(i, "result"));
    }
    // Numbers are numbers, empty cells empty.
    let moved = csv.row(&server.url("/moved")) + 1;
    assert_eq!(rows[moved][2], Data::Float(200.0), "status");
    assert_eq!(rows[moved][4], Data::Float(1.0), "redirects");
    assert!(matches!(rows[moved][6], Data::Float(_)), "elapsed_ms");
    assert_eq!(rows[moved][7], Data::Float(1.0), "attempts");
    let invalid = csv.row("'=1+2") + 1;
    assert_eq!(rows[invalid][2], Data::Empty, "no status");
    // Text from outside stays text: never a formula.
    assert_eq!(rows[invalid][0], Data::String("=1+2".into()));
    let evil = csv.row(&server.url("/evil")) + 1;
    let note = csv.headers.iter().position(|h| h == "x-note").unwrap();
    assert_eq!(
        rows[evil][note],
        Data::String("=HYPERLINK(\"http://evil.test\",\"x\")".into())
    );
    let formulas = workbook.worksheet_formula("Report").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "a cell became a formula"
    );

    let summary = workbook.worksheet_range("Summary").unwrap();
    let cell = |row: usize, col: usize| summary.get((row, col)).cloned().unwrap_or(Data::Empty);
    let count = |name: &str| {
        (0..summary.height())
            .find(|r| cell(*r, 0) == Data::String(name.into()))
            .map(|r| cell(r, 1))
    };
    assert_eq!(count("ok"), Some(Data::Float(3.0)));
    assert_eq!(count("broken"), Some(Data::Float(1.0)));
    assert_eq!(count("invalid"), Some(Data::Float(1.0)));
    assert_eq!(count("skipped"), Some(Data::Float(1.0)));
    assert_eq!(count("total"), Some(Data::Float(6.0)));
    let host_header = (0..summary.height())
        .find(|r| cell(*r, 0) == Data::String("host".into()))
        .unwrap();
    let titles: Vec<String> = (0..7).map(|c| cell(host_header, c).to_string()).collect();
    assert_eq!(
        titles,
        [
            "host",
            "URLs",
            "ok",
            "broken",
            "error",
            "blocked",
            "median elapsed_ms"
        ]
    );
    // The busiest host first: 127.0.0.1 with 4 URLs, 3 ok, 1 broken (a
    // host is its name and port).
    let first = host_header + 1;
    assert_eq!(
        cell(first, 0),
        Data::String(format!("127.0.0.1:{}", server.port()))
    );
    let numbers: Vec<Data> = (1..6).map(|c| cell(first, c)).collect();
    assert_eq!(numbers, [4.0, 3.0, 1.0, 0.0, 0.0].map(Data::Float).to_vec());
    assert!(
        matches!(cell(first, 6), Data::Float(_)),
        "median elapsed_ms"
    );

    // Hyperlinks for the http URLs, the header frozen and filtered, and
    // coloured result cells.
    let rels = part(&book, "xl/worksheets/_rels/sheet1.xml.rels");
    // url and final_url: four of each (the invalid and skipped rows have
    // neither).
    assert_eq!(rels.matches("TargetMode=\"External\"").count(), 8, "{rels}");
    assert!(rels.contains(&server.url("/fine")), "{rels}");
    let sheet = part(&book, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("ySplit=\"1\""), "frozen header");
    assert!(sheet.contains("<autoFilter ref=\"A1:M7\""), "autofilter");
    // Columns fit their longest value: the url column its longest URL.
    let url_width: f64 = sheet
        .split("<col min=\"1\" max=\"1\" width=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|w| w.parse().ok())
        .expect("a width for column A");
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap() as f64;
    assert!(
        (longest..longest + 3.0).contains(&url_width),
        "url column {url_width} wide for {longest} characters"
    );
    let styles = part(&book, "xl/styles.xml");
    for fill in ["FFC6EFCE", "FFFFC7CE"] {
        assert!(styles.contains(fill), "{fill} in styles");
    }
}

#[test]
fn a_workbook_needs_a_file() {
    let output = headcheck()
        .args(["--format", "xlsx", "http://a.test/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("-o report.xlsx"), "{stderr}");
}

#[test]
fn the_workbook_reads_well_on_screen_and_on_paper() {
    let server = site();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("audit.xlsx");
    let long = server.url(&format!("/{}", "long-path-segment/".repeat(8)));
    // An internationalised .test name, resolved to the server.
    let name = "bücher.test";
    let idn = format!("http://{name}:{}/fine", server.port());
    let resolve = format!("{name}:{}:127.0.0.1", server.port());
    let output = headcheck()
        .args(["--resolve", &resolve, "-o"])
        .arg(&book)
        .args([&server.url("/moved"), &long, &idn])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let sheet = part(&book, "xl/worksheets/sheet1.xml");
    // final_url (column D) is a link too.
    assert!(sheet.contains("<hyperlink ref=\"D2\""), "{sheet}");
    // Numbers are centred, so `200` does not run into the URL beside it.
    let styles = part(&book, "xl/styles.xml");
    assert!(
        styles.contains("<alignment horizontal=\"center\"/>"),
        "{styles}"
    );
    // No column wider than 50 characters (Excel stores 50.71 with its
    // padding), however long a URL.
    for width in sheet.split(" width=\"").skip(1) {
        let width: f64 = width.split('"').next().unwrap().parse().unwrap();
        assert!(width < 51.0, "a column {width} wide");
    }
    // Printed landscape, one page wide, the header row on every page.
    assert!(sheet.contains("orientation=\"landscape\""), "{sheet}");
    assert!(sheet.contains("fitToHeight=\"0\""), "{sheet}");
    let workbook = part(&book, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");

    // The Summary names hosts as people read them.
    let mut workbook: Xlsx<_> = open_workbook(&book).unwrap();
    let summary = workbook.worksheet_range("Summary").unwrap();
    let hosts: Vec<String> = summary.rows().map(|row| row[0].to_string()).collect();
    assert!(
        hosts.iter().any(|h| h.starts_with("bücher.test:")),
        "{hosts:?}"
    );
    assert!(!hosts.iter().any(|h| h.starts_with("xn--")), "{hosts:?}");
}
