//! The engine without the binary: the library's defaults, a checker, the
//! run and an observer of the test's own, as another program would use
//! them.

mod support;

use std::io;

use headcheck::run::{self, Later, Observer, RunEnd, RunOptions};
use headcheck::types::{Entry, ErrorKind, Outcome, Source, Target, TargetKind, Verdict};
use support::{Reply, Server, engine_runtime, library_checker};

/// Keeps what the run hands out.
#[derive(Default)]
struct Rows {
    finished: Vec<(Verdict, bool)>,
    emitted: Vec<Outcome>,
    flushes: usize,
    total: Option<u64>,
    /// Later places, by key.
    again: Vec<(String, Source)>,
    /// Whether it tells the run it wants no later places.
    no_places: bool,
}

impl Observer for Rows {
    fn finished(&mut self, outcome: &Outcome, requested: bool) {
        self.finished.push((outcome.verdict, requested));
    }

    fn emit(&mut self, outcome: Outcome) -> io::Result<()> {
        self.emitted.push(outcome);
        Ok(())
    }

    fn again(&mut self, key: &str, later: Later) {
        assert_eq!(later.uncounted, 0);
        let places = later.places.into_iter();
        self.again
            .extend(places.map(|place| (key.to_string(), place)));
    }

    fn wants_places(&self) -> bool {
        !self.no_places
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }

    fn input_done(&mut self, count: u64) {
        self.total = Some(count);
    }
}

fn target(index: u64, text: &str) -> Target {
    let kind = match url::Url::parse(text) {
        Ok(url) => TargetKind::Check(url),
        Err(e) => TargetKind::Invalid(e.to_string()),
    };
    Target {
        index,
        text: text.to_string(),
        source: Source::at("test", index + 1, None),
        kind,
    }
}

#[test]
fn the_library_checks_a_list_with_its_defaults_and_hands_rows_out_in_order() {
    // The test server has a runtime of its own; the engine gets another.
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        _ => Reply::ok().header("content-type", "text/html"),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = runtime.block_on(check_all(&server, Rows::default()));
    assert_eq!(rows.total, Some(4));
    let verdicts: Vec<Verdict> = rows.emitted.iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::Ok, Verdict::Broken, Verdict::Invalid, Verdict::Ok]
    );
    let indexes: Vec<u64> = rows.emitted.iter().map(|o| o.index).collect();
    assert_eq!(indexes, [0, 1, 2, 3], "in input order");
    assert_eq!(rows.emitted[1].status, Some(404));
    assert_eq!(rows.emitted[1].error_kind, Some(ErrorKind::Status));
    // The default capture: content-type, content-length, last-modified.
    assert_eq!(rows.emitted[0].headers[0].as_deref(), Some("text/html"));
    assert_eq!(rows.emitted[0].headers.len(), 3);
    // Every row finished once; the invalid one without a request.
    assert_eq!(rows.finished.len(), 4);
    assert_eq!(
        rows.finished
            .iter()
            .filter(|(_, requested)| !requested)
            .count(),
        1
    );
    assert!(rows.flushes >= 1);
    // The later places of the broken URL, not those of a fine one.
    let gone = rows.emitted[1].key.clone();
    assert_eq!(
        rows.again,
        [
            (gone.clone(), Source::at("test", 10, Some(3))),
            (gone, Source::at("test", 11, Some(5)))
        ]
    );
    assert_eq!(
        server.seen_at("/gone").len(),
        2,
        "HEAD, then GET to confirm"
    );
}

/// Runs the engine, with the library's defaults, on four entries, two of
/// them seen again.
async fn check_all(server: &Server, mut rows: Rows) -> Rows {
    let checker = library_checker();
    let texts = [
        server.url("/a"),
        server.url("/gone"),
        "http://".to_string(),
        server.url("/b"),
    ];
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let feed = tokio::spawn(async move {
        for (i, text) in texts.iter().enumerate() {
            tx.send(Ok(Entry::New(target(i as u64, text))))
                .await
                .unwrap();
        }
        let again = |key: &str, line, column| {
            let source = Source::at("test", line, Some(column));
            let key = url::Url::parse(key).unwrap()[..url::Position::AfterQuery].to_string();
            Ok(Entry::Again { key, source })
        };
        tx.send(again(&texts[1], 10, 3)).await.unwrap();
        tx.send(again(&texts[0], 10, 9)).await.unwrap();
        tx.send(again(&texts[1], 11, 5)).await.unwrap();
    });
    let end = run::run(
        checker,
        rx,
        RunOptions::default(),
        &mut rows,
        std::future::pending(),
    )
    .await;
    feed.await.unwrap();
    assert!(matches!(end, RunEnd::Complete), "{end:?}");
    rows
}

#[test]
fn an_observer_that_wants_no_places_gets_the_same_rows_and_no_places() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/gone" => Reply::status(404),
        _ => Reply::ok(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = Rows {
        no_places: true,
        ..Rows::default()
    };
    let rows = runtime.block_on(check_all(&server, rows));
    let verdicts: Vec<Verdict> = rows.emitted.iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::Ok, Verdict::Broken, Verdict::Invalid, Verdict::Ok]
    );
    assert_eq!(rows.again, []);
}

#[test]
fn a_check_in_place_leaves_the_targets_text_and_place_until_its_row_is_made() {
    // The run keeps a target while it is checked, so that a check that
    // panics still gets a row with its URL and place: the check may take
    // them only for its row, after its requests. Here the check is
    // dropped while its request waits for an answer, as a panic would
    // leave it.
    let asked = std::sync::Arc::new(tokio::sync::Notify::new());
    let told = std::sync::Arc::clone(&asked);
    let server = Server::start(move |seen| {
        if seen.path == "/hangs" {
            told.notify_one();
            return Reply::hang();
        }
        Reply::ok()
    });
    let runtime = engine_runtime();
    runtime.block_on(async {
        let checker = library_checker();
        let hangs = server.url("/hangs");
        let mut waiting = target(0, &hangs);
        {
            let check = checker.check_in_place(&mut waiting);
            tokio::pin!(check);
            tokio::select! {
                _ = &mut check => panic!("a request that hangs was answered"),
                () = asked.notified() => {}
            }
        }
        assert_eq!(waiting.text, hangs);
        assert_eq!(waiting.source, Source::at("test", 1, None));
        // A check that ends takes them into its row.
        let answers = server.url("/answers");
        let mut done = target(1, &answers);
        let checked = checker.check_in_place(&mut done).await;
        assert_eq!(checked.outcome.verdict, Verdict::Ok);
        assert_eq!(checked.outcome.url, answers);
        assert_eq!(checked.outcome.source, Source::at("test", 2, None));
        assert!(done.text.is_empty());
    });
}
