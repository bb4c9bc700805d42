//! Observations logged in the committed form (SPEC 4.2): the leaf holds one salted digest per
//! field, so that a field can later be proved without showing the others.
//!
//! The store keeps an observation's salts beside its body, as 16 raw bytes a field in the
//! order of the body's (canonical, so sorted) fields: from the body and those bytes the leaf and
//! every disclosure are made again exactly. Salts are never served except inside a disclosure.
//!
//! ```
//! use truceline_store::committed;
//! let body = br#"{"bearing_deg":212.5,"id":"op3-0001"}"#;
//! let (salts, c) = committed::commit_new(body).unwrap();
//! assert_eq!(salts.len(), 2 * committed::SALT_BYTES);
//! assert_eq!(committed::commit_stored(body, &salts).unwrap().committed, c.committed);
//! ```

pub use truceline_disclosure::{Commitment, SALT_BYTES};

use crate::StoreError;

/// Commits `body` (canonical JSON, an object) with fresh salts; returns the salts as stored and
/// the committed form (its disclosures are made again from the salts when they are served).
pub fn commit_new(body: &[u8]) -> Result<(Vec<u8>, Commitment), StoreError> {
    truceline_disclosure::commit_fresh(body, |s| rand::fill(s)).map_err(invalid)
}

/// The commitment of a stored body under its stored salts, with every disclosure.
pub fn commit_stored(body: &[u8], salts: &[u8]) -> Result<Commitment, StoreError> {
    stored(body, salts, true)
}

/// The leaf bytes of an observation: its committed form when it has salts, else (logged before
/// the committed form) `{"observation": body}`.
pub fn observation_leaf(body: &[u8], salts: Option<&[u8]>) -> Result<Vec<u8>, StoreError> {
    match salts {
        Some(s) => Ok(stored(body, s, false)?.committed),
        None => Ok(truceline_log::leaf_bytes(crate::OBSERVATION, body)),
    }
}

/// A stored row committed again; one that no longer commits is the store's inconsistency.
fn stored(body: &[u8], salts: &[u8], disclosures: bool) -> Result<Commitment, StoreError> {
    truceline_disclosure::canonical_commit(body, salts, disclosures)
        .map_err(|e| StoreError::Inconsistent(format!("a committed observation: {e}")))
}

fn invalid(why: String) -> StoreError {
    StoreError::Invalid(format!("an observation to commit: {why}"))
}
