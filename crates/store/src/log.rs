//! The evidence log's storage. Each leaf's row holds the leaf's hash followed by the hashes of
//! the subtrees it completes; an observation's leaf is the observation's own row (log index
//! `seq - 1`), any other record's leaf is a row of `log_records`. Both are written in the
//! transaction that stores the record.
//!
//! A complete subtree's hash is in the row of its last leaf, so any proof node is a rowid lookup
//! and a 32-byte slice, and appending never updates an earlier row.

use rusqlite::{Connection, OptionalExtension, params};
use truceline_log::{Frontier, Hash, HashReader, leaf_bytes, leaf_hash};

use crate::StoreError;

/// The kinds of record the log holds, as named in a leaf.
pub const OBSERVATION: &str = "observation";
pub const AGREEMENT: &str = "agreement";
pub const REPORT: &str = "report";
/// The mission's other records (SPEC 6), kept in `mission_records`.
pub const MISSION_RECORD: &str = "record";
/// Kinds of the records in the `records` table (see [`crate::RecordStore`]).
pub const RECORD_KINDS: &[&str] = &[
    "decision",
    "reply",
    "audit",
    "vessel_event",
    "vessel_listed",
    truceline_log::rotation::KIND,
];

/// Appends a record's leaf to `frontier`; returns the row's hashes.
pub(crate) fn leaf_row(frontier: &mut Frontier, kind: &str, canonical: &[u8]) -> Vec<u8> {
    hashed_leaf_row(frontier, leaf_hash(&leaf_bytes(kind, canonical)))
}

/// As [`leaf_row`], for a leaf already hashed.
pub(crate) fn hashed_leaf_row(frontier: &mut Frontier, leaf: Hash) -> Vec<u8> {
    let mut blob = Vec::with_capacity(64);
    for h in frontier.append(leaf) {
        blob.extend_from_slice(&h);
    }
    blob
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

/// Reads node hashes through one connection.
pub(crate) struct Nodes<'a>(pub &'a Connection);

/// Subtrees this high are few (one per 64 leaves; 20 MB at 10 million) and every proof crosses them: kept in
/// memory once read. Node hashes never change, so the cache is never stale.
const CACHED_LEVEL: u32 = 6;

/// Node hashes kept in memory for proofs: high subtrees, and the edges of the sizes recently
/// proved against (the subtrees that run to a tree's end, which every proof at that size needs).
#[derive(Default)]
pub(crate) struct NodeCache {
    high: std::sync::RwLock<std::collections::HashMap<(u32, u64), Hash>>,
    edges: std::sync::Mutex<Vec<Frontier>>,
}

/// A reader through the cache, for proofs at `size`.
pub(crate) struct Cached<'a> {
    pub conn: &'a Connection,
    pub cache: &'a NodeCache,
    pub edge: Option<Frontier>,
}

impl NodeCache {
    /// The edge of the tree of `size` leaves, rebuilt (through the cache) if not recent.
    pub fn edge(&self, conn: &Connection, size: u64) -> Result<Frontier, StoreError> {
        if let Some(f) = self.edges.lock().unwrap().iter().find(|f| f.size() == size) {
            return Ok(f.clone());
        }
        let f = Frontier::restore(
            size,
            &Cached {
                conn,
                cache: self,
                edge: None,
            },
        )?;
        let mut edges = self.edges.lock().unwrap();
        if edges.len() >= 8 {
            edges.remove(0);
        }
        edges.push(f.clone());
        Ok(f)
    }
}

impl HashReader for Cached<'_> {
    type Error = StoreError;
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        let mut out: Vec<Option<Hash>> = vec![None; nodes.len()];
        {
            let high = self.cache.high.read().unwrap();
            for (o, &(level, n)) in out.iter_mut().zip(nodes) {
                *o = self
                    .edge
                    .as_ref()
                    .and_then(|e| e.nodes().find(|&(l, m, _)| (l, m) == (level, n)))
                    .map(|(.., h)| h)
                    .or_else(|| high.get(&(level, n)).copied());
            }
        }
        let missing: Vec<(u32, u64)> = nodes
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            let read = Nodes(self.conn).read_nodes(&missing)?;
            let mut high = self.cache.high.write().unwrap();
            let mut read = missing.iter().zip(read);
            for o in out.iter_mut().filter(|o| o.is_none()) {
                let (&(level, n), h) = read.next().expect("one read per missing node");
                if level >= CACHED_LEVEL {
                    high.insert((level, n), h);
                }
                *o = Some(h);
            }
        }
        Ok(out.into_iter().map(|h| h.expect("filled")).collect())
    }
}

impl HashReader for Nodes<'_> {
    type Error = StoreError;
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        // Node (level, n) was completed by its last leaf, at offset `level` in that row. All the
        // rows a proof needs come back from one statement: a statement per node cost more than
        // the reads themselves.
        let rows: Vec<u64> = nodes.iter().map(|&(l, n)| ((n + 1) << l) - 1).collect();
        let seqs: Vec<u64> = rows.iter().map(|r| r + 1).collect();
        let mut found: Vec<(u64, Vec<u8>)> = self
            .0
            .prepare_cached(
                "SELECT seq - 1, hashes FROM observations WHERE seq IN (SELECT value FROM json_each(?1))",
            )?
            .query_map([serde_json::to_string(&seqs).expect("numbers")], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default()))
            })?
            .collect::<Result<_, _>>()?;
        if found.len() < rows.len() {
            // Leaves of other records are rare (agreement versions): looked for only when needed.
            let rest: Vec<u64> = rows
                .iter()
                .filter(|r| !found.iter().any(|f| f.0 == **r))
                .copied()
                .collect();
            let more = self
                .0
                .prepare_cached("SELECT idx, hashes FROM log_records WHERE idx IN (SELECT value FROM json_each(?1))")?
                .query_map([serde_json::to_string(&rest).expect("numbers")], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            found.extend(more);
        }
        found.sort_unstable_by_key(|f| f.0);
        nodes
            .iter()
            .zip(&rows)
            .map(|(&(level, _), &leaf)| {
                found
                    .binary_search_by_key(&leaf, |f| f.0)
                    .ok()
                    .and_then(|i| {
                        found[i]
                            .1
                            .get(level as usize * 32..level as usize * 32 + 32)
                    })
                    .and_then(|h| Hash::try_from(h).ok())
                    .ok_or_else(|| {
                        StoreError::Inconsistent(format!(
                            "leaf {leaf} lacks the hash of the subtree at level {level}"
                        ))
                    })
            })
            .collect()
    }
}

/// One leaf as stored: its index, what it logs, the record's bytes (None if the record is
/// gone) and the stored hashes.
pub(crate) struct Leaf {
    pub idx: u64,
    pub kind: String,
    pub record: i64,
    pub bytes: Option<Vec<u8>>,
    pub hashes: Vec<u8>,
    /// An observation's salts when it is logged in the committed form.
    pub salts: Option<Vec<u8>>,
}

impl Leaf {
    /// The leaf's bytes made again from the record (None if the record is gone).
    pub fn leaf_bytes(&self) -> Option<Result<Vec<u8>, StoreError>> {
        let bytes = self.bytes.as_deref()?;
        Some(if self.kind == OBSERVATION {
            crate::committed::observation_leaf(bytes, self.salts.as_deref())
        } else {
            Ok(leaf_bytes(&self.kind, bytes))
        })
    }
}

/// Calls `f` with every leaf in `[start, end)` in index order, merging observations' rows with
/// `log_records`; stops when `f` returns false.
pub(crate) fn scan(
    c: &Connection,
    start: u64,
    end: u64,
    mut f: impl FnMut(Leaf) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    // A body edited outside the program may come back as text; judge its bytes.
    let bytes = |r: &rusqlite::Row, i| -> rusqlite::Result<Vec<u8>> {
        Ok(r.get_ref(i)?
            .as_bytes()
            .map(<[u8]>::to_vec)
            .unwrap_or_default())
    };
    // An observation row selected as (seq, body, hashes, salts) is its own leaf.
    let observation_leaf = |r: &rusqlite::Row| -> rusqlite::Result<Leaf> {
        let seq: i64 = r.get(0)?;
        Ok(Leaf {
            idx: seq as u64 - 1,
            kind: OBSERVATION.into(),
            record: seq,
            bytes: Some(bytes(r, 1)?),
            hashes: r.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default(),
            salts: r.get(3)?,
        })
    };
    let mut obs = c.prepare_cached(
        "SELECT seq, body, hashes, salts FROM observations WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
    )?;
    let mut obs = obs.query(params![start as i64, end as i64])?;
    let mut other = c.prepare_cached(
        "SELECT idx, kind, record, hashes FROM log_records WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
    )?;
    let others: Vec<(i64, String, i64, Vec<u8>)> = other
        .query_map(params![start as i64, end as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut others = others.into_iter().peekable();
    let mut next_obs = obs.next()?.map(observation_leaf).transpose()?;
    loop {
        let take_other = match (&next_obs, others.peek()) {
            (None, None) => return Ok(()),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(o), Some(x)) => (x.0 as u64) < o.idx,
        };
        let leaf = if take_other {
            let (idx, kind, record, hashes) = others.next().expect("peeked");
            let bytes = record_bytes(c, &kind, record)?;
            Leaf {
                idx: idx as u64,
                kind,
                record,
                bytes,
                hashes,
                salts: None,
            }
        } else {
            let leaf = next_obs.take().expect("present");
            next_obs = obs.next()?.map(observation_leaf).transpose()?;
            leaf
        };
        if !f(leaf)? {
            return Ok(());
        }
    }
}

/// The canonical bytes of a record kept outside `observations`.
pub(crate) fn record_bytes(
    conn: &Connection,
    kind: &str,
    record: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
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

/// A proof's failure as the store reports it: its read's error, or the request out of range.
pub(crate) fn proof_error(e: truceline_log::ProofError<StoreError>) -> StoreError {
    match e {
        truceline_log::ProofError::Read(e) => e,
        other => StoreError::OutOfRange(other.to_string()),
    }
}
