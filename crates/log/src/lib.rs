//! The evidence log: an append-only Merkle tree hashed exactly as RFC 6962 / RFC 9162, with
//! inclusion and consistency proofs, and the C2SP signed notes that publish it (checkpoints
//! signed by the log, cosignatures by witnesses).
//!
//! No I/O here. The tree's hashes live wherever the caller keeps them (the store keeps them
//! in the same SQLite transaction as the record each leaf stands for); this crate only says
//! which hashes an append produces, in what order, and which ones a proof needs:
//!
//! * [`Frontier`] is the right edge of the tree: appending a leaf costs one leaf hash and, on
//!   average, one node hash, and emits the new hashes in [`stored_index`] order, so storage is a
//!   plain append.
//! * [`inclusion_proof`] and [`consistency_proof`] read O(log n) stored hashes through a
//!   [`HashReader`] and [`verify_inclusion`] / [`verify_consistency`] check them as the RFC says.
//! * [`witness`] is C2SP tlog-witness: the `add-checkpoint` request and a witness's judgement of it.
//! * [`tiles`] cuts the stored hashes into C2SP tlog-tiles and computes a root from them.
//! * [`note`] signs and opens C2SP signed notes; [`checkpoint`] is the tlog-checkpoint body and
//!   the tlog-cosignature a witness adds.
//!
//! ```
//! use truceline_log::{Frontier, HashReader, inclusion_proof, leaf_hash, verify_inclusion};
//!
//! // A log in memory: the stored hashes are a vector in stored-index order.
//! let mut tree = Frontier::default();
//! let mut stored = Vec::new();
//! for i in 0..7u32 {
//!     stored.extend(tree.append(leaf_hash(format!("record {i}").as_bytes())));
//! }
//! let root = tree.root();
//! let proof = inclusion_proof(3, 7, &stored).unwrap();
//! assert!(verify_inclusion(3, 7, &leaf_hash(b"record 3"), &proof, &root).is_ok());
//! assert!(verify_inclusion(3, 7, &leaf_hash(b"record 4"), &proof, &root).is_err());
//! ```

pub mod checkpoint;
mod hash;
pub mod note;
mod proof;
pub mod rotation;
pub mod tiles;
mod tree;
mod verify;
pub mod witness;

pub use hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};
pub use proof::{HashReader, ProofError, consistency_proof, inclusion_proof, subtree_root};
pub use tree::{Frontier, stored_hash_count, stored_index};
pub use verify::{VerifyError, root_of_leaves, verify_consistency, verify_inclusion};

/// The bytes of a leaf that logs one record: `{"<kind>":<canonical JSON of the record>}`.
///
/// A one-member object keeps the leaf RFC 8785 canonical when the record is, names what the
/// record is without a second field to agree with it, and lets a verifier parse any leaf as
/// JSON. `kind` is one of `observation`, `agreement`, `decision`, `report`.
///
/// ```
/// assert_eq!(truceline_log::leaf_bytes("observation", br#"{"id":"a"}"#),
///            br#"{"observation":{"id":"a"}}"#);
/// ```
pub fn leaf_bytes(kind: &str, canonical_record: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canonical_record.len() + kind.len() + 5);
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(canonical_record);
    out.push(b'}');
    out
}
