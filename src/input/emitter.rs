//! The emitter: numbers entries in input order, tells repeats apart (each
//! later place of an entry goes on as an [`Entry::Again`], without a row of
//! its own), keeps this shard's part, and puts known rows (`--resume`, `--cache`) in place of a
//! check. It is the one door into the run's channel: every entry, a line
//! too long to read and an unreadable input included, goes through the
//! repeats and the shard, so that shards merged hold each row once.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::classify::{Filter, classify_entry};
use super::fingerprints::Fingerprints;
use crate::cache::Fresh;
use crate::resume::Resumed;
use crate::shard::Shard;
use crate::types::{Entry, Error, Origin, Outcome, Source, Target, TargetKind, entry_key};

/// Numbers targets, drops duplicates and classifies each entry.
pub struct Emitter {
    filter: Filter,
    resumed: Resumed,
    cache: Option<Arc<Fresh>>,
    shard: Option<Shard>,
    tx: mpsc::Sender<Result<Entry, Error>>,
    seen: Fingerprints,
    next_index: u64,
}

impl Emitter {
    pub fn new(
        filter: Filter,
        resumed: Resumed,
        cache: Option<Arc<Fresh>>,
        shard: Option<Shard>,
        tx: mpsc::Sender<Result<Entry, Error>>,
    ) -> Self {
        Emitter {
            filter,
            resumed,
            cache,
            shard,
            tx,
            seen: Fingerprints::new(),
            next_index: 0,
        }
    }

    /// Returns false when nobody listens any more.
    pub fn emit(&mut self, text: &str, source: Source) -> bool {
        let kind = classify_entry(text, &self.filter);
        self.admit(text, source, kind)
    }

    /// Like [`Emitter::emit`] for an entry already judged (a file on
    /// disk): only the `--include`/`--exclude` patterns still apply.
    pub fn emit_as(&mut self, text: &str, source: Source, kind: TargetKind) -> bool {
        let kind = match self.filter.skip_reason(text) {
            Some(reason) => TargetKind::Skipped(reason),
            None => kind,
        };
        self.admit(text, source, kind)
    }

    /// Sends an entry (or its earlier row when resuming), or, when it was
    /// seen before, its place.
    pub fn admit(&mut self, text: &str, source: Source, kind: TargetKind) -> bool {
        let key = entry_key(&kind, text);
        let new = self.seen.insert(key);
        if self.shard.is_some_and(|shard| !shard.keeps(&kind, text)) {
            return true;
        }
        if !new {
            let again = Entry::Again {
                key: key.to_string(),
                source,
            };
            return self.tx.blocking_send(Ok(again)).is_ok();
        }
        let cached = || match (&kind, &self.cache) {
            (TargetKind::Check(_), Some(cache)) => cache.row(key, text, &source),
            _ => None,
        };
        let resumed = self.resumed.take(key).map(|row| Outcome {
            origin: Origin::Resumed,
            ..row
        });
        let known = resumed.or_else(cached);
        let kind = match known {
            Some(row) => TargetKind::Known(Box::new(row)),
            None => kind,
        };
        self.send(text.to_string(), source, kind)
    }

    /// Sends an entry whose text is not what tells it apart (a line too
    /// long to read says `(line too long)` wherever it is; a directory's
    /// unreadable entries all name the directory): each `place` once, and
    /// only in the shard that keeps the text.
    pub fn admit_place(
        &mut self,
        place: &str,
        text: &str,
        source: Source,
        kind: TargetKind,
    ) -> bool {
        // No entry's text holds a newline: this key is no other entry's.
        if !self.seen.insert(&format!("{text}\n{place}")) {
            return true;
        }
        if self.shard.is_some_and(|shard| !shard.keeps(&kind, text)) {
            return true;
        }
        self.send(text.to_string(), source, kind)
    }

    /// Ends the stream with an input error (exit status 2). Returns false.
    pub fn fail(&mut self, err: Error) -> bool {
        let _ = self.tx.blocking_send(Err(err));
        false
    }

    fn send(&mut self, text: String, source: Source, kind: TargetKind) -> bool {
        let target = Target {
            index: self.next_index,
            text,
            source,
            kind,
        };
        self.next_index += 1;
        self.tx.blocking_send(Ok(Entry::New(target))).is_ok()
    }
}
