//! The evidence log's reads: its head, proofs through the node cache, leaves, checkpoints.

use rusqlite::{Connection, OptionalExtension};

use super::{Job, SqliteStore};
use crate::*;

impl LogStore for SqliteStore {
    fn log_head(&self) -> (u64, Hash) {
        *self.head.lock().unwrap()
    }

    fn watch_log(&self) -> tokio::sync::watch::Receiver<u64> {
        self.grown.subscribe()
    }

    fn log_root(&self, size: u64) -> Result<Hash, StoreError> {
        self.with_reader(|c| self.reads(c).root(size))
    }

    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.with_reader(|c| self.reads(c).inclusion(index, size))
    }

    fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, StoreError> {
        self.with_reader(|c| self.reads(c).consistency(from, to))
    }

    fn committed_from(&self) -> Result<u64, StoreError> {
        self.with_reader(|c| {
            let v: Option<i64> = c
                .query_row(
                    "SELECT value FROM store_state WHERE key = 'committed_from'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            v.map(|v| v as u64).ok_or_else(|| {
                StoreError::Inconsistent(
                    "the store does not say where the committed form starts".into(),
                )
            })
        })
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.with_reader(|c| self.reads(c).entries(start, end))
    }

    fn log_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        self.with_reader(|c| self.reads(c).nodes(nodes))
    }

    fn put_checkpoint(&self, size: u64, note: String) -> Result<(), StoreError> {
        self.writer
            .job(|reply| Job::Checkpoint(size, note, reply), |_| ())
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<String>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_row(
                "SELECT note FROM checkpoints WHERE size = ?1",
                [size as i64],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        // Not past this handle's head: a read-only handle beside a writing process knows the
        // log as it was when opened, and checkpoints signed since are beyond what it can prove.
        let head = self.head.lock().unwrap().0;
        self.with_reader(|c| {
            Ok(c.query_row(
                "SELECT size, note FROM checkpoints WHERE size <= ?1 ORDER BY size DESC LIMIT 1",
                [head as i64],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()?)
        })
    }

    fn handovers(&self) -> Result<Vec<truceline_log::rotation::Handover>, StoreError> {
        self.with_reader(crate::verify::handovers)
    }

    fn verify_log(
        &self,
        key: Option<&truceline_log::note::Verifier>,
    ) -> Result<LogReport, StoreError> {
        self.with_reader(|c| crate::verify::verify(c, key))
    }
}

impl SqliteStore {
    /// The log's reads through `c`, against the head as this handle knows it.
    fn reads<'a>(&'a self, c: &'a Connection) -> crate::log::Reads<'a, Connection> {
        crate::log::Reads {
            conn: c,
            cache: &self.nodes,
            head: *self.head.lock().unwrap(),
        }
    }
}
