//! Proof verification, written from RFC 9162 sections 2.1.3.2 and 2.1.4.2.

use crate::hash::{EMPTY_ROOT, Hash, node_hash};

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a consistency proof needs 0 < from <= to; got from {from}, to {to}")]
    BadRange { from: u64, to: u64 },
    #[error("the proof has {found} hashes, the wrong number for these sizes")]
    WrongLength { found: usize },
    #[error("the proof leads to another root hash: the record or the tree differs")]
    RootMismatch,
    #[error("the proof does not lead to the earlier tree's root: the log rewrote its history")]
    OldRootMismatch,
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves with root `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(VerifyError::WrongLength { found: proof.len() });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongLength { found: proof.len() });
    }
    if r != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `from` leaves with root `old` is a prefix of the tree of `to` leaves
/// with root `new`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    old: &Hash,
    new: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if from == 0 || from > to {
        return Err(VerifyError::BadRange { from, to });
    }
    if from == to {
        if !proof.is_empty() {
            return Err(VerifyError::WrongLength { found: proof.len() });
        }
        return if old == new {
            Ok(())
        } else {
            Err(VerifyError::OldRootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(VerifyError::WrongLength { found: 0 });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*old);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(VerifyError::WrongLength { found: proof.len() });
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongLength { found: proof.len() });
    }
    if fr != *old {
        return Err(VerifyError::OldRootMismatch);
    }
    if sr != *new {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// RFC 6962 MTH over leaf hashes, straight from the definition: the reference the stored tree
/// is tested against, and what `log verify` recomputes a store with.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = 1 << (63 - (n as u64 - 1).leading_zeros());
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}
