//! `log verify`: the whole log recomputed from the records it logs.
//!
//! Every leaf is rebuilt from its record, hashed, and the tree grown again from those hashes;
//! the first leaf whose record is gone or differs, the first stored subtree hash that differs,
//! any record without a leaf, and any signed checkpoint the recomputed tree does not match is
//! reported by position, so a party can see what was altered rather than only that something was.

use std::collections::HashMap;

use rusqlite::Connection;
use truceline_log::checkpoint;
use truceline_log::note::Verifier;
use truceline_log::{Frontier, Hash, leaf_hash};

use truceline_log::rotation::Handover;

use crate::StoreError;
use crate::log::{Leaf, LeafRows, Nodes, scan};

/// What `verify_log` found.
#[derive(Debug, Clone, PartialEq)]
pub struct LogReport {
    /// Leaves checked.
    pub size: u64,
    /// The recomputed root.
    pub root: Hash,
    /// Signed checkpoints matched against the recomputed tree.
    pub checkpoints: u64,
    /// With a key given: the log's keys, each with the size from which it signs (more than
    /// one when the key was rotated).
    pub keys: Vec<(String, u64)>,
    /// The first discrepancy, if any.
    pub problem: Option<LogProblem>,
}

/// The first thing in a store that does not match its log.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogProblem {
    #[error(
        "leaf {index} is missing: its record was deleted or its leaf removed (the next stored leaf is {next})"
    )]
    LeafMissing { index: u64, next: u64 },
    #[error("leaf {index}: the {kind} it logs (row {record}) is missing from the store")]
    RecordMissing {
        index: u64,
        kind: String,
        record: i64,
    },
    #[error("leaf {index}: the {kind} {id} differs from what was logged{}", moved.map(|m| format!(" (it is the record logged at leaf {m}: records were reordered)")).unwrap_or_default())]
    ContentChanged {
        index: u64,
        kind: String,
        /// The record's id as it now reads, where it has one.
        id: String,
        /// The leaf whose logged hash the record now matches, if any.
        moved: Option<u64>,
    },
    #[error(
        "leaf {index}: the stored hashes of the subtrees it completes differ from the recomputed tree"
    )]
    TreeChanged { index: u64 },
    #[error("observation {id} (row {record}) is in the store but was never logged")]
    NotLogged { record: i64, id: String },
    #[error("the signed checkpoint at size {size} does not match the recomputed tree{why}")]
    CheckpointDiffers { size: u64, why: String },
}

fn record_id(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.get("id")
                .or_else(|| v.get("agreement_id"))
                .map(|x| x.to_string())
        })
        .unwrap_or_else(|| "(unreadable)".into())
}

/// Verifies the log of the store in `dir` through a read-only connection, without opening the
/// store for writing: a store whose log no longer matches its records cannot be appended to, but
/// must still say what is wrong.
pub fn verify_log_at(
    dir: &std::path::Path,
    key: Option<&Verifier>,
) -> Result<LogReport, StoreError> {
    let c = Connection::open_with_flags(
        dir.join(crate::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != crate::migrations::latest() {
        return Err(StoreError::Inconsistent(format!(
            "the store's schema is version {version}; open it once with this program (e.g. `truceline import` or `serve`) to bring it to {}",
            crate::migrations::latest()
        )));
    }
    verify(&c, key)
}

/// The rotations of the log's key, in log order, each with its handover: the first checkpoint
/// stored after its announcement, and the announcement's proof in it.
pub(crate) fn handovers<R: LeafRows + ?Sized>(c: &R) -> Result<Vec<Handover>, StoreError> {
    let announced = c.announcements()?;
    let mut out = Vec::with_capacity(announced.len());
    for (record, index) in announced {
        let Some((size, note)) = c.checkpoint_after(index)? else {
            // Announced, not yet handed over: nothing signed after it to follow.
            break;
        };
        let proof = truceline_log::inclusion_proof(index, size, &Nodes(c))
            .map_err(crate::log::proof_error)?;
        out.push(Handover {
            record,
            log_index: index,
            checkpoint: note,
            proof,
        });
    }
    Ok(out)
}

pub(crate) fn verify<R: LeafRows + ?Sized>(
    c: &R,
    key: Option<&Verifier>,
) -> Result<LogReport, StoreError> {
    // The log's keys: the given one, and those the log announced it was replaced by or replaced.
    let (keys, rotation_problem) = match key {
        Some(k) => match truceline_log::rotation::follow_to(k, &handovers(c)?) {
            Ok(keys) => (keys, None),
            Err(e) => (vec![(k.clone(), 0)], Some(e.to_string())),
        },
        None => (Vec::new(), None),
    };
    // Signed checkpoints by size, each opened with the key that signs at its size.
    let mut checkpoints: Vec<(u64, Option<Hash>, String)> = Vec::new();
    for (size, note) in c.checkpoints()? {
        let parsed = match key {
            Some(_) => checkpoint::open(&note, truceline_log::rotation::key_at(&keys, size))
                .map(|s| s.checkpoint)
                .map_err(|e| match &rotation_problem {
                    Some(r) => format!("{e} ({r})"),
                    None => e.to_string(),
                }),
            None => truceline_log::note::open(&note)
                .map_err(|e| e.to_string())
                .and_then(|n| checkpoint::Checkpoint::parse(&n.text).map_err(|e| e.to_string())),
        };
        match parsed {
            Ok(cp) if cp.size == size => checkpoints.push((size, Some(cp.root), String::new())),
            Ok(cp) => checkpoints.push((size, None, format!(": it says size {}", cp.size))),
            Err(e) => checkpoints.push((size, None, format!(": {e}"))),
        }
    }
    let mut next_cp = 0;
    let mut frontier = Frontier::default();
    let mut problem = None;
    let mut checked = 0;
    let mut check_cps = |frontier: &Frontier, problem: &mut Option<LogProblem>| {
        while next_cp < checkpoints.len() && checkpoints[next_cp].0 == frontier.size() {
            let (size, root, why) = &checkpoints[next_cp];
            if problem.is_none() && *root != Some(frontier.root()) {
                *problem = Some(LogProblem::CheckpointDiffers {
                    size: *size,
                    why: why.clone(),
                });
            }
            next_cp += 1;
            checked += 1;
        }
    };
    check_cps(&frontier, &mut problem);
    let mut changed: Option<(u64, String, String, Hash)> = None;
    scan(c, 0, u64::MAX >> 2, |leaf: Leaf| {
        if leaf.idx != frontier.size() {
            problem = Some(LogProblem::LeafMissing {
                index: frontier.size(),
                next: leaf.idx,
            });
            return Ok(false);
        }
        if leaf.hashes.is_empty() && leaf.kind == crate::log::OBSERVATION {
            problem = Some(LogProblem::NotLogged {
                record: leaf.record,
                id: leaf.bytes.as_deref().map(record_id).unwrap_or_default(),
            });
            return Ok(false);
        }
        let Some(made) = leaf.leaf_bytes() else {
            problem = Some(LogProblem::RecordMissing {
                index: leaf.idx,
                kind: leaf.kind,
                record: leaf.record,
            });
            return Ok(false);
        };
        let bytes = leaf.bytes.unwrap_or_default();
        // Salts that no longer fit the body changed the leaf as surely as an edited body.
        let hash = made.map_or([0; 32], |b| leaf_hash(&b));
        if leaf.hashes.get(..32) != Some(&hash[..]) {
            changed = Some((leaf.idx, leaf.kind, record_id(&bytes), hash));
            return Ok(false);
        }
        let mut ok = true;
        for (i, h) in frontier.append(hash).enumerate() {
            ok &= leaf.hashes.get(i * 32..(i + 1) * 32) == Some(&h[..]);
        }
        if !ok || !leaf.hashes.len().is_multiple_of(32) {
            problem = Some(LogProblem::TreeChanged { index: leaf.idx });
            return Ok(false);
        }
        check_cps(&frontier, &mut problem);
        Ok(problem.is_none())
    })?;
    if let Some((index, kind, id, hash)) = changed {
        // Which leaf logged the record now found here, if any: a swap names both places.
        let mut logged: HashMap<Hash, u64> = HashMap::new();
        scan(c, 0, u64::MAX >> 2, |leaf: Leaf| {
            if let Some(h) = leaf.hashes.get(..32).and_then(|h| Hash::try_from(h).ok()) {
                logged.insert(h, leaf.idx);
            }
            Ok(true)
        })?;
        let moved = logged.get(&hash).copied();
        problem = Some(LogProblem::ContentChanged {
            index,
            kind,
            id,
            moved,
        });
    }
    if problem.is_none()
        && let Some((size, ..)) = checkpoints.get(next_cp)
    {
        problem = Some(LogProblem::CheckpointDiffers {
            size: *size,
            why: format!(
                ": the log has only {} leaves; records were removed",
                frontier.size()
            ),
        });
    }
    if problem.is_none() {
        // A record whose row has no hashes was stored without its leaf.
        if let Some((record, id)) = c.unlogged_observation()? {
            problem = Some(LogProblem::NotLogged { record, id });
        }
    }
    Ok(LogReport {
        size: frontier.size(),
        root: frontier.root(),
        checkpoints: checked,
        keys: keys.iter().map(|(k, from)| (k.encode(), *from)).collect(),
        problem,
    })
}
