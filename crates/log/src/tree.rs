//! The tree's storage order and its right edge.
//!
//! Every complete subtree's hash is stored once, in the order an append produces them (the
//! numbering of Go's `golang.org/x/mod/sumdb/tlog`): leaf 0, leaf 1, node(1,0), leaf 2, leaf 3,
//! node(1,1), node(2,0), … A tree of n leaves stores fewer than 2n hashes, appending never
//! rewrites one, and any complete subtree is one read away.

use crate::hash::{EMPTY_ROOT, Hash, node_hash};
use crate::proof::HashReader;

/// Where the hash of the complete subtree at `level` (0 for leaves) and position `n` in that
/// level is stored.
///
/// ```
/// use truceline_log::stored_index;
/// // leaf 0, leaf 1, node(1,0), leaf 2, leaf 3, node(1,1), node(2,0)
/// let order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0)];
/// for (i, (level, n)) in order.into_iter().enumerate() {
///     assert_eq!(stored_index(level, n), i as u64);
/// }
/// ```
pub fn stored_index(level: u32, n: u64) -> u64 {
    // Node (L, n) is written by the append of its last leaf, (n+1)·2^L − 1, right after that
    // leaf's hash and the L − 1 nodes it completes below L. Leaf m is preceded by m leaves and
    // by m/2 + m/4 + … completed nodes.
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0;
    let mut m = n;
    while m > 0 {
        i += m;
        m >>= 1;
    }
    i + level as u64
}

/// How many hashes a tree of `size` leaves stores.
pub fn stored_hash_count(size: u64) -> u64 {
    if size == 0 {
        return 0;
    }
    stored_index(0, size - 1) + 1 + (size - 1).trailing_ones() as u64
}

/// The right edge of a tree: the roots of the complete subtrees its leaves fall into, largest
/// first (one per set bit of the size). Enough to append and to compute the root without
/// reading anything back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (level, hash), levels strictly decreasing.
    edge: Vec<(u32, Hash)>,
}

impl Frontier {
    /// Rebuilds the edge of a tree of `size` leaves from its stored hashes (one read per set bit
    /// of the size).
    pub fn restore<R: HashReader + ?Sized>(size: u64, reader: &R) -> Result<Self, R::Error> {
        let mut nodes = Vec::new();
        let mut start = 0u64;
        for level in (0..64).rev() {
            if size >> level & 1 == 1 {
                nodes.push((level, start >> level));
                start += 1 << level;
            }
        }
        let hashes = reader.read_nodes(&nodes)?;
        let edge = nodes.iter().map(|&(l, _)| l).zip(hashes).collect();
        Ok(Frontier { size, edge })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its hash; returns the hashes to store, in stored-index order starting
    /// at [`stored_hash_count`] of the old size: the leaf's, then each subtree it completes.
    pub fn append(&mut self, leaf: Hash) -> impl Iterator<Item = Hash> + use<> {
        let mut out = arrayvec_like::Hashes::default();
        out.push(leaf);
        let mut cur = (0u32, leaf);
        while let Some(&(level, left)) = self.edge.last() {
            if level != cur.0 {
                break;
            }
            self.edge.pop();
            cur = (level + 1, node_hash(&left, &cur.1));
            out.push(cur.1);
        }
        self.edge.push(cur);
        self.size += 1;
        out.into_iter()
    }

    /// The complete subtrees of the edge as (level, position, hash), largest first: the nodes a
    /// proof at this size needs for the subtrees that run to its end.
    pub fn nodes(&self) -> impl Iterator<Item = (u32, u64, Hash)> + '_ {
        let mut start = 0u64;
        self.edge.iter().map(move |&(level, h)| {
            let n = start >> level;
            start += 1 << level;
            (level, n, h)
        })
    }

    /// The root hash: the edge folded from the right, as RFC 6962's MTH splits.
    pub fn root(&self) -> Hash {
        let mut it = self.edge.iter().rev();
        let Some(&(_, mut h)) = it.next() else {
            return EMPTY_ROOT;
        };
        for (_, left) in it {
            h = node_hash(left, &h);
        }
        h
    }
}

mod arrayvec_like {
    use crate::Hash;

    /// At most 65 hashes come out of one append; kept inline so appending does not allocate.
    pub struct Hashes {
        buf: [Hash; 65],
        len: usize,
    }

    impl Default for Hashes {
        fn default() -> Self {
            Hashes {
                buf: [[0; 32]; 65],
                len: 0,
            }
        }
    }

    impl Hashes {
        pub fn push(&mut self, h: Hash) {
            self.buf[self.len] = h;
            self.len += 1;
        }
    }

    impl IntoIterator for Hashes {
        type Item = Hash;
        type IntoIter = std::iter::Take<std::array::IntoIter<Hash, 65>>;
        fn into_iter(self) -> Self::IntoIter {
            self.buf.into_iter().take(self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{leaf_hash, root_of_leaves};

    #[test]
    fn appends_store_hashes_in_index_order_and_roots_match_the_rfc() {
        let mut f = Frontier::default();
        let mut stored: Vec<Hash> = vec![];
        let mut leaves = vec![];
        for i in 0..300u64 {
            assert_eq!(stored.len() as u64, stored_hash_count(i));
            let l = leaf_hash(&i.to_be_bytes());
            leaves.push(l);
            stored.extend(f.append(l));
            assert_eq!(f.root(), root_of_leaves(&leaves), "size {}", i + 1);
            // Every complete subtree is where stored_index says.
            for level in 0..9 {
                let width = 1u64 << level;
                for n in 0..(i + 1) / width {
                    let lo = (n * width) as usize;
                    let want = root_of_leaves(&leaves[lo..lo + width as usize]);
                    assert_eq!(stored[stored_index(level, n) as usize], want);
                }
            }
            let back = Frontier::restore(i + 1, &stored).unwrap();
            assert_eq!(back, f);
            for (level, n, h) in f.nodes() {
                assert_eq!(stored[stored_index(level, n) as usize], h);
            }
        }
    }
}
