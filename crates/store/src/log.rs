//! The evidence log's storage. Each leaf's row holds the leaf's hash followed by the hashes of
//! the subtrees it completes; an observation's leaf is the observation's own row (log index
//! `seq - 1`), any other record's leaf is a row of `log_records`. Both are written in the
//! transaction that stores the record.
//!
//! A complete subtree's hash is in the row of its last leaf, so any proof node is a rowid lookup
//! and a 32-byte slice, and appending never updates an earlier row.

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

/// The rows the log is read from, whatever the database holds them in: what proofs,
/// `log_entries`, tiles and `log verify` need of a store. Each store implements it once for
/// its connection; everything above is written once, here and in `verify`.
pub(crate) trait LeafRows {
    /// The stored hashes rows `(index, hashes)` of these leaves, those found, in any order.
    fn hash_rows(&self, leaves: &[u64]) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// The leaves of observations with index in `[start, end)`, ascending.
    fn observation_leaves(&self, start: u64, end: u64) -> Result<Vec<Leaf>, StoreError>;
    /// Other records' leaves with index in `[start, end)`, ascending.
    fn record_leaves(&self, start: u64, end: u64) -> Result<Vec<RecordLeaf>, StoreError>;
    /// The canonical bytes of a record kept outside the observations (None if gone).
    fn record_bytes(&self, kind: &str, record: i64) -> Result<Option<Vec<u8>>, StoreError>;
    /// One more than the highest leaf index stored, 0 if none: the log's size.
    fn stored_size(&self) -> Result<u64, StoreError>;
    /// Every signed checkpoint, by size.
    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError>;
    /// The first signed checkpoint of a size above `index`.
    fn checkpoint_after(&self, index: u64) -> Result<Option<(u64, String)>, StoreError>;
    /// The key rotations announced in the log: `(record, log index)`, in log order.
    fn announcements(&self) -> Result<Vec<(Vec<u8>, u64)>, StoreError>;
    /// An observation stored without its leaf's hashes, if any: `(row, id)`.
    fn unlogged_observation(&self) -> Result<Option<(i64, String)>, StoreError>;
}

/// A leaf of a record kept outside the observations: index, kind, the record's row, hashes.
pub(crate) type RecordLeaf = (u64, String, i64, Vec<u8>);

/// Leaves read a chunk at a time by [`scan`]: a year of them never sits in memory at once.
const SCAN_CHUNK: u64 = 8_192;

/// Reads node hashes through one connection.
pub(crate) struct Nodes<'a, R: ?Sized>(pub &'a R);

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
pub(crate) struct Cached<'a, R: ?Sized> {
    pub conn: &'a R,
    pub cache: &'a NodeCache,
    pub edge: Option<Frontier>,
}

impl NodeCache {
    /// The edge of the tree of `size` leaves, rebuilt (through the cache) if not recent.
    pub fn edge<R: LeafRows + ?Sized>(&self, conn: &R, size: u64) -> Result<Frontier, StoreError> {
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

impl<R: LeafRows + ?Sized> HashReader for Cached<'_, R> {
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

impl<R: LeafRows + ?Sized> HashReader for Nodes<'_, R> {
    type Error = StoreError;
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        // Node (level, n) was completed by its last leaf, at offset `level` in that row; all
        // the rows a proof needs are read at once (a read per node cost more than the reads).
        let rows: Vec<u64> = nodes.iter().map(|&(l, n)| ((n + 1) << l) - 1).collect();
        let mut found = self.0.hash_rows(&rows)?;
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

/// Calls `f` with every leaf in `[start, end)` in index order, merging observations' leaves
/// with other records'; stops when `f` returns false.
pub(crate) fn scan<R: LeafRows + ?Sized>(
    c: &R,
    start: u64,
    end: u64,
    mut f: impl FnMut(Leaf) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let end = end.min(c.stored_size()?);
    let mut from = start;
    while from < end {
        let to = from.saturating_add(SCAN_CHUNK).min(end);
        let mut obs = c.observation_leaves(from, to)?.into_iter().peekable();
        let mut others = c.record_leaves(from, to)?.into_iter().peekable();
        loop {
            let take_other = match (obs.peek(), others.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(o), Some(x)) => x.0 < o.idx,
            };
            let leaf = if take_other {
                let (idx, kind, record, hashes) = others.next().expect("peeked");
                let bytes = c.record_bytes(&kind, record)?;
                Leaf {
                    idx,
                    kind,
                    record,
                    bytes,
                    hashes,
                    salts: None,
                }
            } else {
                obs.next().expect("peeked")
            };
            if !f(leaf)? {
                return Ok(());
            }
        }
        from = to;
    }
    Ok(())
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

/// The exact bytes of leaves `[start, end)`, each made again from its record; a leaf or record
/// missing is the store's inconsistency.
pub(crate) fn entries<R: LeafRows + ?Sized>(
    c: &R,
    start: u64,
    end: u64,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut out = Vec::with_capacity((end - start) as usize);
    scan(c, start, end, |leaf| {
        if leaf.idx != start + out.len() as u64 {
            return Err(StoreError::Inconsistent(format!(
                "leaf {} is missing",
                start + out.len() as u64
            )));
        }
        let bytes = leaf.leaf_bytes().ok_or_else(|| {
            StoreError::Inconsistent(format!("the {} of leaf {} is missing", leaf.kind, leaf.idx))
        })??;
        out.push(bytes);
        Ok(true)
    })?;
    if out.len() as u64 != end - start {
        return Err(StoreError::Inconsistent(format!(
            "leaf {} is missing",
            start + out.len() as u64
        )));
    }
    Ok(out)
}

/// Refuses a subtree not complete in a log of `head` leaves.
pub(crate) fn nodes_complete(nodes: &[(u32, u64)], head: u64) -> Result<(), StoreError> {
    match nodes.iter().find(|&&(level, n)| {
        level >= 64
            || n.checked_add(1)
                .and_then(|m| m.checked_mul(1 << level))
                .is_none_or(|end| end > head)
    }) {
        Some(&(level, n)) => Err(StoreError::OutOfRange(format!(
            "the subtree at level {level}, position {n} is not complete in a log of {head} leaves"
        ))),
        None => Ok(()),
    }
}

/// The log's reads every store answers alike: through one connection, the store's node cache,
/// against the log's head as the store knows it.
pub(crate) struct Reads<'a, R: ?Sized> {
    pub conn: &'a R,
    pub cache: &'a NodeCache,
    pub head: (u64, Hash),
}

impl<'a, R: LeafRows + ?Sized> Reads<'a, R> {
    fn known(&self, size: u64) -> Result<(), StoreError> {
        if size > self.head.0 {
            return Err(StoreError::OutOfRange(format!(
                "the log has {} leaves; size {size} is beyond it",
                self.head.0
            )));
        }
        Ok(())
    }

    /// A reader for proofs at `size`, through the node cache.
    fn cached(&self, size: u64) -> Result<Cached<'a, R>, StoreError> {
        Ok(Cached {
            conn: self.conn,
            cache: self.cache,
            edge: (size > 0)
                .then(|| self.cache.edge(self.conn, size))
                .transpose()?,
        })
    }

    pub fn root(&self, size: u64) -> Result<Hash, StoreError> {
        self.known(size)?;
        if size == self.head.0 {
            return Ok(self.head.1);
        }
        truceline_log::subtree_root(size, &self.cached(size)?).map_err(proof_error)
    }

    pub fn inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.known(size)?;
        truceline_log::inclusion_proof(index, size, &self.cached(size)?).map_err(proof_error)
    }

    pub fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, StoreError> {
        self.known(to)?;
        truceline_log::consistency_proof(from, to, &self.cached(to)?).map_err(proof_error)
    }

    pub fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.known(end)?;
        if start > end {
            return Err(StoreError::OutOfRange(format!(
                "start {start} is after end {end}"
            )));
        }
        entries(self.conn, start, end)
    }

    pub fn nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        nodes_complete(nodes, self.head.0)?;
        self.cached(0)?.read_nodes(nodes)
    }
}

/// A proof's failure as the store reports it: its read's error, or the request out of range.
pub(crate) fn proof_error(e: truceline_log::ProofError<StoreError>) -> StoreError {
    match e {
        truceline_log::ProofError::Read(e) => e,
        other => StoreError::OutOfRange(other.to_string()),
    }
}
