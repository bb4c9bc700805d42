//! The mission's other logged records: decisions, replies, audit batches; and the records of
//! SPEC 6 (sites, inspections, restrictions, casualties, damage, hazards, windows).

use rusqlite::{Connection, OptionalExtension, params};
use truceline_log::Frontier;

use super::{Job, SqliteStore};
use crate::*;

impl RecordStore for SqliteStore {
    fn append_records(&self, records: Vec<NewRecord>) -> Result<Vec<u64>, StoreError> {
        check_record_kinds(&records)?;
        let n = records.len() as u64;
        self.write_job(
            |reply| Job::Records(records, reply),
            "keeping records",
            // The writer answers with the first index; the rest follow it.
            |first| (first..first + n).collect(),
        )
    }

    fn put_state(&self, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        let key = key.to_string();
        self.write_job(
            |reply| Job::State(key, value, reply),
            "keeping state",
            |_| (),
        )
    }

    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM state_blobs WHERE key = ?1")?
                    .query_row([key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn submit_mission_records(
        &self,
        batch: Vec<NewMissionRecord>,
    ) -> Result<Vec<Outcome>, StoreError> {
        if self.lock.is_none() {
            return Err(StoreError::ReadOnly("keeping records"));
        }
        self.writer
            .mission_records(batch)
            .blocking_recv()
            .unwrap_or(Err(StoreError::Closed))
    }

    fn mission_records(&self, q: &MissionQuery) -> Result<Vec<StoredMissionRecord>, StoreError> {
        let mut sql = String::from(
            "SELECT id, type, time_ms, account, received_ms, body, log_index FROM mission_records
             WHERE log_index > ? AND time_ms >= ? AND time_ms < ?",
        );
        let mut args: Vec<rusqlite::types::Value> = vec![
            q.after.map_or(-1, |a| a as i64).into(),
            q.from_ms.unwrap_or(i64::MIN).into(),
            q.to_ms.unwrap_or(i64::MAX).into(),
        ];
        if !q.kinds.is_empty() {
            sql.push_str(" AND type IN (");
            sql.push_str(&vec!["?"; q.kinds.len()].join(","));
            sql.push(')');
            args.extend(q.kinds.iter().map(|k| k.clone().into()));
        }
        if let Some(a) = &q.account {
            sql.push_str(" AND account = ?");
            args.push(a.clone().into());
        }
        sql.push_str(" ORDER BY log_index LIMIT ?");
        args.push((q.limit.min(i64::MAX as usize) as i64).into());
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), mission_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn mission_record(&self, id: &str) -> Result<Option<StoredMissionRecord>, StoreError> {
        self.with_reader(|c| {
            Ok(c.prepare_cached(
                "SELECT id, type, time_ms, account, received_ms, body, log_index
                     FROM mission_records WHERE id = ?1",
            )?
            .query_row([id], mission_row)
            .optional()?)
        })
    }

    fn records(&self, q: &RecordQuery<'_>) -> Result<Vec<StoredRecord>, StoreError> {
        self.with_reader(|c| {
            // Following (`after`) walks the kind's records by log index from where it stopped;
            // otherwise they are found by time (there `?6` is -1: both take the same parameters).
            let mut stmt = c.prepare_cached(if q.after.is_some() {
                "SELECT kind, subject, account, time_ms, record, log_index FROM records
                 WHERE kind = ?1 AND log_index > ?6 AND (?2 IS NULL OR subject = ?2)
                   AND time_ms >= ?3 AND time_ms < ?4
                 ORDER BY log_index DESC LIMIT ?5"
            } else {
                "SELECT kind, subject, account, time_ms, record, log_index FROM records
                 WHERE kind = ?1 AND (?2 IS NULL OR subject = ?2)
                   AND time_ms >= ?3 AND time_ms < ?4 AND ?6 = -1
                 ORDER BY id DESC LIMIT ?5"
            })?;
            let rows = stmt.query_map(
                params![
                    q.kind,
                    q.subject,
                    q.from_ms.unwrap_or(i64::MIN),
                    q.to_ms.unwrap_or(i64::MAX),
                    q.newest.map_or(-1, |n| n.min(i64::MAX as usize) as i64),
                    q.after.map_or(-1, |a| a.min(i64::MAX as u64) as i64)
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
            let mut out: Vec<StoredRecord> = rows.collect::<Result<_, _>>()?;
            out.reverse();
            Ok(out)
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
        crate::sqlite::log_rows::append_record(conn, frontier, &r.kind, id, &r.record)?;
    }
    Ok(first)
}

fn mission_row(r: &rusqlite::Row) -> rusqlite::Result<StoredMissionRecord> {
    Ok(StoredMissionRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        time_ms: r.get(2)?,
        account: r.get(3)?,
        received_ms: r.get(4)?,
        body: r.get(5)?,
        log_index: r.get::<_, i64>(6)? as u64,
    })
}

/// Inserts and logs one request's mission records; a conflict fails the whole request (the
/// caller's savepoint takes back what came before it).
pub(super) fn insert_mission_records(
    conn: &Connection,
    batch: &[NewMissionRecord],
    received: i64,
    frontier: &mut Frontier,
) -> Result<Vec<Outcome>, StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO mission_records (id, type, time_ms, account, received_ms, body, log_index)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
    )?;
    let mut existing =
        conn.prepare_cached("SELECT body, log_index FROM mission_records WHERE id = ?1")?;
    let mut out = Vec::with_capacity(batch.len());
    for (index, r) in batch.iter().enumerate() {
        let log_index = frontier.size();
        let n = insert.execute(params![
            r.id,
            r.kind,
            r.time_ms,
            r.account,
            received,
            r.body,
            log_index as i64
        ])?;
        if n == 1 {
            let seq = conn.last_insert_rowid();
            crate::sqlite::log_rows::append_record(
                conn,
                frontier,
                crate::log::MISSION_RECORD,
                seq,
                &r.body,
            )?;
            out.push(Outcome::Accepted { log_index });
        } else {
            let (body, idx): (Vec<u8>, i64) =
                existing.query_row([&r.id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            if body != r.body {
                return Err(StoreError::Conflict {
                    index,
                    id: r.id.clone(),
                });
            }
            out.push(Outcome::Duplicate {
                log_index: idx as u64,
            });
        }
    }
    Ok(out)
}
