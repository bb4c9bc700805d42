//! The evidence log's rows in SQLite: an observation's leaf is its own row (log index
//! `seq - 1`, its hashes beside it), any other record's leaf a row of `log_records`.

use rusqlite::{Connection, OptionalExtension, params};
use truceline_log::Frontier;

use crate::StoreError;
use crate::log::{
    AGREEMENT, Leaf, LeafRows, MISSION_RECORD, OBSERVATION, RECORD_KINDS, REPORT, RecordLeaf,
    agreement_record, leaf_row,
};

impl LeafRows for Connection {
    fn hash_rows(&self, leaves: &[u64]) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let seqs: Vec<u64> = leaves.iter().map(|r| r + 1).collect();
        let mut found: Vec<(u64, Vec<u8>)> = self
            .prepare_cached(
                "SELECT seq - 1, hashes FROM observations WHERE seq IN (SELECT value FROM json_each(?1))",
            )?
            .query_map([serde_json::to_string(&seqs).expect("numbers")], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default()))
            })?
            .collect::<Result<_, _>>()?;
        if found.len() < leaves.len() {
            // Leaves of other records are rare (agreement versions): looked for only when needed.
            let rest: Vec<u64> = leaves
                .iter()
                .filter(|r| !found.iter().any(|f| f.0 == **r))
                .copied()
                .collect();
            let more = self
                .prepare_cached("SELECT idx, hashes FROM log_records WHERE idx IN (SELECT value FROM json_each(?1))")?
                .query_map([serde_json::to_string(&rest).expect("numbers")], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            found.extend(more);
        }
        Ok(found)
    }

    fn observation_leaves(&self, start: u64, end: u64) -> Result<Vec<Leaf>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT seq, body, hashes, salts FROM observations WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![start as i64, end as i64], |r| {
            let seq: i64 = r.get(0)?;
            Ok(Leaf {
                idx: seq as u64 - 1,
                kind: OBSERVATION.into(),
                record: seq,
                // A body edited outside the program may come back as text; judge its bytes.
                bytes: Some(
                    r.get_ref(1)?
                        .as_bytes()
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default(),
                ),
                hashes: r.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default(),
                salts: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_leaves(&self, start: u64, end: u64) -> Result<Vec<RecordLeaf>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT idx, kind, record, hashes FROM log_records WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        let rows = stmt.query_map(params![start as i64, end as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_bytes(&self, kind: &str, record: i64) -> Result<Option<Vec<u8>>, StoreError> {
        record_bytes(self, kind, record)
    }

    fn stored_size(&self) -> Result<u64, StoreError> {
        Ok(size(self)?)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let mut stmt = self.prepare_cached("SELECT size, note FROM checkpoints ORDER BY size")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn checkpoint_after(&self, index: u64) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .prepare_cached(
                "SELECT size, note FROM checkpoints WHERE size > ?1 ORDER BY size LIMIT 1",
            )?
            .query_row([index as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()?)
    }

    fn announcements(&self) -> Result<Vec<(Vec<u8>, u64)>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT record, log_index FROM records WHERE kind = ?1 ORDER BY log_index",
        )?;
        let rows = stmt.query_map([truceline_log::rotation::KIND], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn unlogged_observation(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .query_row(
                "SELECT seq, id FROM observations WHERE hashes IS NULL LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

/// Appends the leaf of a record kept outside `observations`.
pub(crate) fn append_record(
    conn: &Connection,
    frontier: &mut Frontier,
    kind: &str,
    record: i64,
    canonical: &[u8],
) -> rusqlite::Result<u64> {
    let idx = frontier.size();
    let blob = leaf_row(frontier, kind, canonical);
    conn.prepare_cached(
        "INSERT INTO log_records (idx, kind, record, hashes) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![idx as i64, kind, record, blob])?;
    Ok(idx)
}

/// The log's size: one more than its last leaf.
pub(crate) fn size(conn: &Connection) -> rusqlite::Result<u64> {
    let (obs, other): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT max(seq) - 1 FROM observations), (SELECT max(idx) FROM log_records)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(obs.max(other).map_or(0, |l| l as u64 + 1))
}

/// The canonical bytes of a record kept outside `observations`.
fn record_bytes(conn: &Connection, kind: &str, record: i64) -> Result<Option<Vec<u8>>, StoreError> {
    match kind {
        AGREEMENT => conn
            .prepare_cached(
                "SELECT version, agreement_id, toml_name, files FROM agreements WHERE version = ?1",
            )?
            .query_row([record], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .optional()?
            .map(|(v, id, name, files)| agreement_record(v, &id, &name, &files))
            .transpose(),
        REPORT => Ok(conn
            .prepare_cached("SELECT record FROM reports WHERE id = ?1")?
            .query_row([record], |r| r.get::<_, Vec<u8>>(0))
            .optional()?),
        MISSION_RECORD => Ok(conn
            .prepare_cached("SELECT body FROM mission_records WHERE seq = ?1")?
            .query_row([record], |r| r.get::<_, Vec<u8>>(0))
            .optional()?),
        k if RECORD_KINDS.contains(&k) => Ok(conn
            .prepare_cached("SELECT record FROM records WHERE id = ?1")?
            .query_row([record], |r| r.get::<_, Vec<u8>>(0))
            .optional()?),
        other => Err(StoreError::Inconsistent(format!(
            "log record of unknown kind {other:?}"
        ))),
    }
}

/// Fills the log of a store written before it had one: every observation in record order (each
/// keeps the index it was acknowledged with, seq - 1), then every agreement version.
pub(crate) fn backfill(conn: &Connection) -> Result<(), StoreError> {
    let mut frontier = Frontier::default();
    let obs: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT seq, body FROM observations ORDER BY seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (seq, body) in obs {
        if seq as u64 != frontier.size() + 1 {
            return Err(StoreError::Inconsistent(format!(
                "record {} is missing (next stored is {}); the store cannot be logged",
                frontier.size(),
                seq - 1
            )));
        }
        let blob = leaf_row(&mut frontier, OBSERVATION, &body);
        conn.execute(
            "UPDATE observations SET hashes = ?1 WHERE seq = ?2",
            params![blob, seq],
        )?;
    }
    let agreements: Vec<(i64, String, String, String)> = conn
        .prepare("SELECT version, agreement_id, toml_name, files FROM agreements ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (v, id, name, files) in agreements {
        let rec = agreement_record(v, &id, &name, &files)?;
        let idx = append_record(conn, &mut frontier, AGREEMENT, v, &rec)?;
        conn.execute(
            "UPDATE agreements SET log_index = ?1 WHERE version = ?2",
            params![idx as i64, v],
        )?;
    }
    Ok(())
}
