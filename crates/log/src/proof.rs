//! Inclusion and consistency proofs (RFC 9162 sections 2.1.3.1 and 2.1.4.1) from stored hashes.
//!
//! A proof is a list of subtree hashes. Each subtree the RFC's recursion names is either
//! complete (one stored hash) or runs to the end of the tree, in which case it is folded from
//! the O(log n) complete subtrees it splits into. Only one or two subtrees of a proof can be of
//! the second sort, so a proof costs O(log n) reads, fetched in one call.

use crate::hash::{Hash, node_hash};
use crate::tree::stored_index;

/// Reads the stored hashes of complete subtrees, each named by (level, position in the level);
/// level 0 is the leaves.
pub trait HashReader {
    type Error;
    /// The hashes of `nodes`, in that order.
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, Self::Error>;
}

/// A slice of hashes in [`stored_index`] order is a reader (for tests and in-memory logs).
impl HashReader for [Hash] {
    type Error = ProofError<std::convert::Infallible>;
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, Self::Error> {
        nodes
            .iter()
            .map(|&(level, n)| {
                let i = stored_index(level, n);
                self.get(i as usize)
                    .copied()
                    .ok_or(ProofError::Missing { index: i })
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    type Error = ProofError<std::convert::Infallible>;
    fn read_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, Self::Error> {
        self.as_slice().read_nodes(nodes)
    }
}

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError<E> {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "a tree of {from} leaves cannot be proved consistent with one of {to}: expected 0 < from <= to"
    )]
    BadRange { from: u64, to: u64 },
    #[error("stored hash {index} is missing")]
    Missing { index: u64 },
    #[error(transparent)]
    Read(E),
}

/// The leaves `[lo, hi)` of a subtree the RFC names: `lo` is a multiple of a power of two at
/// least `hi - lo`, so its hash folds its complete pieces from the right.
#[derive(Clone, Copy)]
struct Span {
    lo: u64,
    hi: u64,
}

impl Span {
    /// Its complete aligned pieces, left to right, as (level, position).
    fn pieces(self, out: &mut Vec<(u32, u64)>) {
        let mut lo = self.lo;
        while lo < self.hi {
            let mut level = 63 - (self.hi - lo).leading_zeros();
            if lo != 0 {
                level = level.min(lo.trailing_zeros());
            }
            out.push((level, lo >> level));
            lo += 1 << level;
        }
    }
}

fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// RFC 9162 PATH(m, D[lo:hi]): the sibling subtrees from the leaf up.
fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<Span>) {
    if hi - lo <= 1 {
        return;
    }
    let k = largest_power_of_two_below(hi - lo);
    if m < lo + k {
        path(m, lo, lo + k, out);
        out.push(Span { lo: lo + k, hi });
    } else {
        path(m, lo + k, hi, out);
        out.push(Span { lo, hi: lo + k });
    }
}

/// RFC 9162 SUBPROOF(m, D[lo:hi], b).
fn subproof(m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Span>) {
    if m == hi - lo {
        if !whole {
            out.push(Span { lo, hi });
        }
        return;
    }
    let k = largest_power_of_two_below(hi - lo);
    if m <= k {
        subproof(m, lo, lo + k, whole, out);
        out.push(Span { lo: lo + k, hi });
    } else {
        subproof(m - k, lo + k, hi, false, out);
        out.push(Span { lo, hi: lo + k });
    }
}

/// Reads every piece of `spans` in one call and folds each span's hash.
fn resolve<R: HashReader + ?Sized>(
    spans: &[Span],
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    let mut pieces = Vec::new();
    let mut ends = Vec::with_capacity(spans.len());
    for s in spans {
        s.pieces(&mut pieces);
        ends.push(pieces.len());
    }
    let hashes = reader.read_nodes(&pieces).map_err(ProofError::Read)?;
    let mut out = Vec::with_capacity(spans.len());
    let mut start = 0;
    for end in ends {
        let mut h = hashes[end - 1];
        for left in hashes[start..end - 1].iter().rev() {
            h = node_hash(left, &h);
        }
        out.push(h);
        start = end;
    }
    Ok(out)
}

/// The audit path of leaf `index` in the tree of the first `size` leaves.
pub fn inclusion_proof<R: HashReader + ?Sized>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut spans = Vec::with_capacity(64);
    path(index, 0, size, &mut spans);
    resolve(&spans, reader)
}

/// The proof that the tree of the first `from` leaves is a prefix of the tree of `to` leaves.
pub fn consistency_proof<R: HashReader + ?Sized>(
    from: u64,
    to: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if from == 0 || from > to {
        return Err(ProofError::BadRange { from, to });
    }
    let mut spans = Vec::with_capacity(64);
    subproof(from, 0, to, true, &mut spans);
    resolve(&spans, reader)
}

/// The root hash of the tree of the first `size` leaves (an earlier size than the log's).
pub fn subtree_root<R: HashReader + ?Sized>(
    size: u64,
    reader: &R,
) -> Result<Hash, ProofError<R::Error>> {
    if size == 0 {
        return Ok(crate::EMPTY_ROOT);
    }
    Ok(resolve(&[Span { lo: 0, hi: size }], reader)?[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Frontier, leaf_hash, root_of_leaves, verify_consistency, verify_inclusion};
    use proptest::prelude::*;

    fn build(n: u64) -> (Vec<Hash>, Vec<Hash>) {
        let mut f = Frontier::default();
        let mut stored = vec![];
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        for l in &leaves {
            stored.extend(f.append(*l));
        }
        (leaves, stored)
    }

    /// RFC 9162 PATH written straight from the text, over the leaves themselves.
    fn rfc_path(m: usize, d: &[Hash]) -> Vec<Hash> {
        if d.len() <= 1 {
            return vec![];
        }
        let k = largest_power_of_two_below(d.len() as u64) as usize;
        if m < k {
            let mut p = rfc_path(m, &d[..k]);
            p.push(root_of_leaves(&d[k..]));
            p
        } else {
            let mut p = rfc_path(m - k, &d[k..]);
            p.push(root_of_leaves(&d[..k]));
            p
        }
    }

    fn rfc_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        if m == d.len() {
            return if b { vec![] } else { vec![root_of_leaves(d)] };
        }
        let k = largest_power_of_two_below(d.len() as u64) as usize;
        if m <= k {
            let mut p = rfc_subproof(m, &d[..k], b);
            p.push(root_of_leaves(&d[k..]));
            p
        } else {
            let mut p = rfc_subproof(m - k, &d[k..], false);
            p.push(root_of_leaves(&d[..k]));
            p
        }
    }

    #[test]
    fn every_proof_of_small_trees_matches_the_rfc_and_verifies() {
        let (leaves, stored) = build(70);
        for size in 1..=70u64 {
            let root = root_of_leaves(&leaves[..size as usize]);
            assert_eq!(subtree_root(size, &stored).unwrap(), root);
            for m in 0..size {
                let p = inclusion_proof(m, size, &stored).unwrap();
                assert_eq!(p, rfc_path(m as usize, &leaves[..size as usize]));
                verify_inclusion(m, size, &leaves[m as usize], &p, &root).unwrap();
                // The same proof fails for any other leaf, index or root.
                let other = leaves[((m + 1) % size) as usize];
                if size > 1 {
                    assert!(verify_inclusion(m, size, &other, &p, &root).is_err());
                    assert!(
                        verify_inclusion((m + 1) % size, size, &leaves[m as usize], &p, &root)
                            .is_err()
                    );
                }
            }
            for from in 1..=size {
                let p = consistency_proof(from, size, &stored).unwrap();
                assert_eq!(
                    p,
                    rfc_subproof(from as usize, &leaves[..size as usize], true)
                );
                let old = root_of_leaves(&leaves[..from as usize]);
                verify_consistency(from, size, &old, &root, &p).unwrap();
                if from < size {
                    let mut forged = leaves[..size as usize].to_vec();
                    forged[(from - 1) as usize] = leaf_hash(b"rewritten");
                    assert!(
                        verify_consistency(from, size, &old, &root_of_leaves(&forged), &p).is_err()
                    );
                }
            }
        }
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let (_, stored) = build(5);
        assert!(matches!(
            inclusion_proof(5, 5, &stored),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            consistency_proof(0, 5, &stored),
            Err(ProofError::BadRange { .. })
        ));
        assert!(matches!(
            consistency_proof(6, 5, &stored),
            Err(ProofError::BadRange { .. })
        ));
        assert!(matches!(
            inclusion_proof(0, 6, &stored),
            Err(ProofError::Read(ProofError::Missing { .. }))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn proofs_verify_in_larger_trees(size in 1u64..3000, a in any::<u64>(), b in any::<u64>()) {
            let (leaves, stored) = build(size);
            let root = root_of_leaves(&leaves);
            let m = a % size;
            let p = inclusion_proof(m, size, &stored).unwrap();
            prop_assert!(p.len() <= 64 - (size.leading_zeros() as usize) + 1);
            prop_assert!(verify_inclusion(m, size, &leaves[m as usize], &p, &root).is_ok());
            let from = b % size + 1;
            let c = consistency_proof(from, size, &stored).unwrap();
            let old = root_of_leaves(&leaves[..from as usize]);
            prop_assert!(verify_consistency(from, size, &old, &root, &c).is_ok());
        }
    }
}
