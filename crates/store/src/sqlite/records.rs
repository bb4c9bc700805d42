//! The mission's other logged records: decisions, replies, audit batches.

use rusqlite::{Connection, params};
use truceline_log::Frontier;

use super::{Job, SqliteStore};
use crate::*;

impl RecordStore for SqliteStore {
    fn append_records(&self, records: Vec<NewRecord>) -> Result<Vec<u64>, StoreError> {
        if let Some(r) = records
            .iter()
            .find(|r| !RECORD_KINDS.contains(&r.kind.as_str()))
        {
            return Err(StoreError::OutOfRange(format!(
                "record kind {:?}: expected one of {}",
                r.kind,
                RECORD_KINDS.join(", ")
            )));
        }
        let n = records.len() as u64;
        self.write_job(
            |reply| Job::Records(records, reply),
            "keeping records",
            // The writer answers with the first index; the rest follow it.
            |first| (first..first + n).collect(),
        )
    }

    fn records(&self, q: &RecordQuery<'_>) -> Result<Vec<StoredRecord>, StoreError> {
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT kind, subject, account, time_ms, record, log_index FROM records
                 WHERE kind = ?1 AND (?2 IS NULL OR subject = ?2)
                   AND time_ms >= ?3 AND time_ms < ?4
                 ORDER BY id",
            )?;
            let rows = stmt.query_map(
                params![
                    q.kind,
                    q.subject,
                    q.from_ms.unwrap_or(i64::MIN),
                    q.to_ms.unwrap_or(i64::MAX)
                ],
                |r| {
                    Ok(StoredRecord {
                        kind: r.get(0)?,
                        subject: r.get(1)?,
                        account: r.get(2)?,
                        time_ms: r.get(3)?,
                        record: r.get(4)?,
                        log_index: r.get::<_, i64>(5)? as u64,
                    })
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// Inserts and logs `records` in order; returns the first one's log index.
pub(super) fn insert_records(
    conn: &Connection,
    records: &[NewRecord],
    frontier: &mut Frontier,
) -> Result<u64, StoreError> {
    let first = frontier.size();
    for r in records {
        let idx = frontier.size() as i64;
        conn.prepare_cached(
            "INSERT INTO records (kind, subject, account, time_ms, record, log_index)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            r.kind, r.subject, r.account, r.time_ms, r.record, idx
        ])?;
        let id = conn.last_insert_rowid();
        crate::log::append_record(conn, frontier, &r.kind, id, &r.record)?;
    }
    Ok(first)
}
