//! The evidence log's tables: one row per leaf, holding the leaf's hash and the hashes of the
//! subtrees it completes, written in the same transaction as the record it logs.
//!
//! A complete subtree's hash is stored in the row of its last leaf, so any proof node is one
//! rowid lookup and a 32-byte slice, and appending never updates an earlier row.

use rusqlite::{Connection, OptionalExtension, params};
use truceline_log::{Frontier, Hash, HashReader, leaf_bytes, leaf_hash};

use crate::StoreError;

/// The kinds of record the log holds, as named in a leaf.
pub const OBSERVATION: &str = "observation";
pub const AGREEMENT: &str = "agreement";

/// Appends one record's leaf: its hash and the subtree hashes it completes, in one row.
pub(crate) fn append(
    conn: &Connection,
    frontier: &mut Frontier,
    kind: &str,
    record: i64,
    canonical: &[u8],
) -> rusqlite::Result<u64> {
    let idx = frontier.size();
    let leaf = leaf_hash(&leaf_bytes(kind, canonical));
    let mut blob = Vec::with_capacity(64);
    for h in frontier.append(leaf) {
        blob.extend_from_slice(&h);
    }
    conn.prepare_cached("INSERT INTO log (idx, kind, record, hashes) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![idx as i64, kind, record, blob])?;
    Ok(idx)
}

/// The log's size: one more than its last leaf.
pub(crate) fn size(conn: &Connection) -> rusqlite::Result<u64> {
    let last: Option<i64> = conn.query_row("SELECT max(idx) FROM log", [], |r| r.get(0))?;
    Ok(last.map_or(0, |l| l as u64 + 1))
}

/// Reads node hashes through one connection.
pub(crate) struct Nodes<'a>(pub &'a Connection);

impl HashReader for Nodes<'_> {
    type Error = StoreError;
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT substr(hashes, ?2, 32) FROM log WHERE idx = ?1")?;
        nodes
            .iter()
            .map(|&(level, n)| {
                // Node (level, n) was completed by its last leaf, at offset `level` in that row.
                let leaf = ((n + 1) << level) - 1;
                let h: Option<Vec<u8>> = stmt
                    .query_row(params![leaf as i64, level as i64 * 32 + 1], |r| r.get(0))
                    .optional()?;
                h.and_then(|h| Hash::try_from(h.as_slice()).ok())
                    .ok_or_else(|| {
                        StoreError::Inconsistent(format!(
                            "log row {leaf} lacks the hash of the subtree at level {level}"
                        ))
                    })
            })
            .collect()
    }
}

/// The exact bytes of leaf `idx`, rebuilt from the record it logs.
pub(crate) fn record_bytes(
    conn: &Connection,
    kind: &str,
    record: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    match kind {
        OBSERVATION => Ok(conn
            .prepare_cached("SELECT body FROM observations WHERE seq = ?1")?
            .query_row([record], |r| {
                // A body edited outside the program may come back as text; judge its bytes.
                Ok(r.get_ref(0)?
                    .as_bytes()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default())
            })
            .optional()?),
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
        other => Err(StoreError::Inconsistent(format!(
            "log row of unknown kind {other:?}"
        ))),
    }
}

/// An agreement version as logged: canonical JSON of its id, version, file name and files.
pub(crate) fn agreement_record(
    version: i64,
    agreement_id: &str,
    toml_name: &str,
    files_json: &str,
) -> Result<Vec<u8>, StoreError> {
    let files: serde_json::Value = serde_json::from_str(files_json).map_err(|e| {
        StoreError::Inconsistent(format!("agreement version {version}: files: {e}"))
    })?;
    let v = serde_json::json!({
        "agreement_id": agreement_id,
        "files": files,
        "toml_name": toml_name,
        "version": version,
    });
    serde_jcs::to_vec(&v)
        .map_err(|e| StoreError::Inconsistent(format!("agreement version {version}: {e}")))
}

/// Fills the log of a store written before it had one: every observation in record order (so
/// each keeps the index it was acknowledged with), then every agreement version.
pub(crate) fn backfill(conn: &Connection) -> Result<(), StoreError> {
    let mut frontier = Frontier::default();
    let obs: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT seq, body FROM observations ORDER BY seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (seq, body) in obs {
        let idx = append(conn, &mut frontier, OBSERVATION, seq, &body)?;
        conn.execute(
            "UPDATE observations SET log_index = ?1 WHERE seq = ?2",
            params![idx as i64, seq],
        )?;
    }
    let agreements: Vec<(i64, String, String, String)> = conn
        .prepare("SELECT version, agreement_id, toml_name, files FROM agreements ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (v, id, name, files) in agreements {
        let rec = agreement_record(v, &id, &name, &files)?;
        let idx = append(conn, &mut frontier, AGREEMENT, v, &rec)?;
        conn.execute(
            "UPDATE agreements SET log_index = ?1 WHERE version = ?2",
            params![idx as i64, v],
        )?;
    }
    Ok(())
}
