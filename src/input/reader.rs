//! The reader thread: reads every input in order, on a blocking thread, and
//! hands its entries (and their later places) to the run through a bounded
//! channel.

use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::classify::Filter;
use super::crawl::{Crawl, CrawlOptions};
use super::csv_list;
use super::documents::{DocumentOptions, Documents};
use super::emitter::Emitter;
use super::fetch::Fetcher;
use super::list::read_list;
use super::open::{Input, Opened, open_all, prepare};
use super::sitemap_walk::{SitemapOptions, Walker};
use crate::cache::Fresh;
use crate::resume::Resumed;
use crate::shard::Shard;
use crate::types::{Entry, Error, Source};

/// How the reader thread reads inputs.
pub struct ReaderOptions {
    pub filter: Filter,
    pub resumed: Resumed,
    pub sitemaps: SitemapOptions,
    pub documents: DocumentOptions,
    /// `--cache`: fresh ok results that stand for a check.
    pub cache: Option<Arc<Fresh>>,
    /// `--shard`: only this run's part of the entries.
    pub shard: Option<Shard>,
    /// Fetches remote sitemaps; without it, they become `error` rows.
    pub fetcher: Option<Fetcher>,
    /// `--crawl`: the inputs' URLs are start pages.
    pub crawl: Option<CrawlOptions>,
}

/// Starts reading `inputs` on a blocking thread. Entries arrive on the
/// returned channel in input order; a read error ends the stream with an
/// `Err` item. Opening errors are returned at once.
pub fn spawn_reader(
    inputs: Vec<Input>,
    options: ReaderOptions,
    capacity: usize,
) -> Result<mpsc::Receiver<Result<Entry, Error>>, Error> {
    let opened = open_all(&inputs)?;
    let (tx, rx) = mpsc::channel(capacity.max(1));
    std::thread::Builder::new()
        .name("headcheck-input".into())
        .spawn(move || {
            let mut emitter = Emitter::new(
                options.filter,
                options.resumed,
                options.cache,
                options.shard,
                tx,
                options.crawl.map(Crawl::new),
            );
            let mut documents = Documents::new(options.documents);
            let mut walker = Walker::new(options.sitemaps, options.fetcher, &mut emitter);
            for input in opened {
                let done = match input {
                    Opened::Url(text) => walker.emitter.emit(&text, Source::whole("argv")),
                    Opened::Sitemap(text) => walker.remote_root(&text),
                    Opened::Reader { name, reader } => read_document(&name, reader, &mut walker),
                    Opened::Directory(dir) => documents.directory(&dir, walker.emitter),
                    Opened::Document(path, kind) => {
                        let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
                        documents.file(&path, &root, kind, walker.emitter)
                    }
                };
                if !done {
                    return;
                }
            }
            walker.emitter.finish();
        })
        .map_err(|error| Error::Open {
            path: "input thread".into(),
            error,
        })?;
    Ok(rx)
}

/// Reads a local file or stdin: a sitemap or a list, plain or gzip. Returns
/// false when the run should stop reading.
fn read_document(name: &str, reader: Box<dyn Read + Send>, walker: &mut Walker) -> bool {
    match prepare(reader) {
        Ok((document, true)) => walker.sitemap(name, document, 0),
        Ok((mut document, false)) => match document.fill_buf().map(csv_list::url_column) {
            Ok(Some(column)) => csv_list::read_csv_list(name, document, column, walker.emitter),
            Ok(None) => read_list(name, document, walker.emitter),
            Err(error) => walker.emitter.fail(Error::Read {
                path: name.to_string(),
                error,
            }),
        },
        Err(error) => walker.emitter.fail(Error::Read {
            path: name.to_string(),
            error,
        }),
    }
}
