//! A rotation of the log's key, announced in the log itself.
//!
//! The mission replaces the key that signs its checkpoints (a scheduled change, or a key that
//! may have leaked) without asking anyone to trust the change: it logs a `key_rotation` record
//! naming the old and the new verifier keys, and signs the checkpoint that first includes it
//! with **both** keys (the handover). Whoever trusts the old key follows the change from the
//! log alone — the handover signed by the key they trust, the announcement proved in it, the
//! new key's own signature beside — and from then on trusts the new key for larger sizes. A
//! key that was never announced this way is refused, as before.
//!
//! ```
//! use truceline_log::note::{Algorithm, Signer};
//! use truceline_log::rotation::{self, Handover};
//! use truceline_log::{Frontier, checkpoint::Checkpoint, inclusion_proof, leaf_hash};
//! let old = Signer::from_seed("example.org/log", Algorithm::Ed25519, [1; 32]).unwrap();
//! let new = Signer::from_seed("example.org/log", Algorithm::Ed25519, [2; 32]).unwrap();
//! let record = rotation::record(&old.verifier(), &new.verifier(), "2026-12-04T00:00:00Z");
//! let mut tree = Frontier::default();
//! let mut stored = Vec::new();
//! stored.extend(tree.append(leaf_hash(b"an observation")));
//! stored.extend(tree.append(leaf_hash(&rotation::leaf(&record))));
//! let cp = Checkpoint { origin: "example.org/log".into(), size: 2, root: tree.root() };
//! let handover = Handover {
//!     record, log_index: 1,
//!     checkpoint: rotation::sign_handover(&cp.text(), &old, &new).unwrap(),
//!     proof: inclusion_proof(1, 2, &stored).unwrap(),
//! };
//! let keys = rotation::follow(&old.verifier(), &[handover]).unwrap();
//! assert_eq!(keys.last().unwrap().0.encode(), new.verifier().encode());
//! ```

use serde::{Deserialize, Serialize};

use crate::checkpoint;
use crate::note::{NoteError, Signer, Verifier};
use crate::{Hash, leaf_bytes, leaf_hash, verify_inclusion};

/// The kind of the record that announces a rotation.
pub const KIND: &str = "key_rotation";

/// The announcement's record: canonical JSON `{"new":VKEY,"old":VKEY,"time":RFC3339}`.
pub fn record(old: &Verifier, new: &Verifier, time: &str) -> Vec<u8> {
    // Three strings in name order: canonical as written.
    serde_json::to_vec(&serde_json::json!({
        "new": new.encode(), "old": old.encode(), "time": time,
    }))
    .expect("strings serialise")
}

/// The old and the new verifier keys an announcement names.
pub fn keys_of(record: &[u8]) -> Result<(Verifier, Verifier), String> {
    let v: serde_json::Value = serde_json::from_slice(record).map_err(|e| e.to_string())?;
    let key = |name: &str| {
        v.get(name)
            .and_then(|x| x.as_str())
            .ok_or_else(|| format!("no {name}"))
            .and_then(|s| Verifier::parse(s).map_err(|e| format!("{name}: {e}")))
    };
    Ok((key("old")?, key("new")?))
}

/// The announcement's leaf bytes.
pub fn leaf(record: &[u8]) -> Vec<u8> {
    leaf_bytes(KIND, record)
}

/// The handover checkpoint's note: `text` signed by the old key, then the new.
pub fn sign_handover(text: &str, old: &Signer, new: &Signer) -> Result<String, NoteError> {
    let once = old.sign_note(text)?;
    Ok(format!("{once}{}", new.signature_line(text, 0)))
}

/// One rotation as a verifier follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    /// The announcement's record (its canonical JSON).
    #[serde(with = "text")]
    pub record: Vec<u8>,
    pub log_index: u64,
    /// The handover checkpoint, signed by both keys.
    pub checkpoint: String,
    /// The announcement's inclusion proof in the handover checkpoint.
    #[serde(with = "hashes")]
    pub proof: Vec<Hash>,
}

/// What a log serves of its keys (`GET /api/v1/log/keys`): the current key, each key with the
/// size from which it signs, and the rotations that lead from one to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyChain {
    pub key: String,
    pub keys: Vec<KeyFrom>,
    pub rotations: Vec<Handover>,
}

/// A key of a [`KeyChain`] and the size from which it signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyFrom {
    pub key: String,
    pub from_size: u64,
}

impl KeyChain {
    /// The chain of a log signing under `current`, its rotations followed to check them.
    pub fn new(current: &Verifier, rotations: Vec<Handover>) -> Result<KeyChain, RotationError> {
        let keys = follow_to(current, &rotations)?
            .into_iter()
            .map(|(k, from_size)| KeyFrom {
                key: k.encode(),
                from_size,
            })
            .collect();
        Ok(KeyChain {
            key: current.encode(),
            keys,
            rotations,
        })
    }
}

/// Why a rotation is not followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error(
        "rotation {n}: the announcement is not {{\"new\", \"old\", \"time\"}} with two verifier keys: {why}"
    )]
    Record { n: usize, why: String },
    #[error("rotation {n}: it replaces {found}, not the key trusted then ({trusted})")]
    NotFromTrusted {
        n: usize,
        found: String,
        trusted: String,
    },
    #[error("rotation {n}: the handover checkpoint is not signed by the {which} key: {why}")]
    Unsigned {
        n: usize,
        which: &'static str,
        why: String,
    },
    #[error(
        "rotation {n}: the announcement (leaf {index}) is not proved in the handover checkpoint: {why}"
    )]
    NotIncluded { n: usize, index: u64, why: String },
    #[error("the key {key} is not one the log announced")]
    Unknown { key: String },
}

/// Follows `chain` (in log order) from the key `trusted`: answers each key trusted along it
/// with the size from which it signs (the first, `trusted`, from 0). Refuses a rotation not
/// signed by the key trusted before it, one whose new key did not sign the handover, and one
/// whose announcement is not in the handover checkpoint.
pub fn follow(
    trusted: &Verifier,
    chain: &[Handover],
) -> Result<Vec<(Verifier, u64)>, RotationError> {
    let mut keys = vec![(trusted.clone(), 0u64)];
    for (k, h) in chain.iter().enumerate() {
        let n = k + 1;
        let current = &keys.last().expect("one at least").0;
        let (old, new) = keys_of(&h.record).map_err(|why| RotationError::Record { n, why })?;
        if old.encode() != current.encode() {
            return Err(RotationError::NotFromTrusted {
                n,
                found: old.encode(),
                trusted: current.encode(),
            });
        }
        let signed = |v: &Verifier, which| {
            checkpoint::open(&h.checkpoint, v).map_err(|e| RotationError::Unsigned {
                n,
                which,
                why: e.to_string(),
            })
        };
        let cp = signed(current, "old")?;
        signed(&new, "new")?;
        let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
        verify_inclusion(
            h.log_index,
            size,
            &leaf_hash(&leaf(&h.record)),
            &h.proof,
            &root,
        )
        .map_err(|e| RotationError::NotIncluded {
            n,
            index: h.log_index,
            why: e.to_string(),
        })?;
        keys.push((new, size));
    }
    Ok(keys)
}

/// Follows the log's whole chain of rotations, anchored on `trusted`, which may be any key of
/// it: the key first replaced (the chain is then followed from it), or a later one, whose own
/// signature on its handover vouches for all the log held before. Refused if `trusted` is not
/// in the chain the log announces, or if any link does not hold.
pub fn follow_to(
    trusted: &Verifier,
    chain: &[Handover],
) -> Result<Vec<(Verifier, u64)>, RotationError> {
    let Some(first) = chain.first() else {
        return Ok(vec![(trusted.clone(), 0)]);
    };
    let (origin, _) = keys_of(&first.record).map_err(|why| RotationError::Record { n: 1, why })?;
    let keys = follow(&origin, chain)?;
    if !keys.iter().any(|(k, _)| k.encode() == trusted.encode()) {
        return Err(RotationError::Unknown {
            key: trusted.encode(),
        });
    }
    Ok(keys)
}

/// The key of `keys` (as [`follow`] answers them) that signs checkpoints of `size`: the last
/// whose handover is at or below it (a handover checkpoint is signed by both).
pub fn key_at(keys: &[(Verifier, u64)], size: u64) -> &Verifier {
    &keys
        .iter()
        .rev()
        .find(|(_, from)| *from <= size)
        .unwrap_or(&keys[0])
        .0
}

mod text {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(std::str::from_utf8(b).map_err(serde::ser::Error::custom)?)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}

mod hashes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Hash;
    pub fn serialize<S: Serializer>(h: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(h.iter().map(|h| STANDARD.encode(h)))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                STANDARD
                    .decode(s)
                    .ok()
                    .and_then(|b| Hash::try_from(b).ok())
                    .ok_or_else(|| serde::de::Error::custom("not a base64 SHA-256 hash"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::note::Algorithm;
    use crate::{Frontier, inclusion_proof};

    fn key(seed: u8) -> Signer {
        Signer::from_seed("example.org/log", Algorithm::Ed25519, [seed; 32]).unwrap()
    }

    /// A log of `before` leaves, then announcements of `keys[0]` → `keys[1]` → …, each handed
    /// over at its own size.
    fn chain(keys: &[Signer], before: u64) -> Vec<Handover> {
        let mut tree = Frontier::default();
        let mut stored = Vec::new();
        for i in 0..before {
            stored.extend(tree.append(leaf_hash(&i.to_le_bytes())));
        }
        let mut out = Vec::new();
        for pair in keys.windows(2) {
            let record = record(
                &pair[0].verifier(),
                &pair[1].verifier(),
                "2026-12-04T00:00:00Z",
            );
            let log_index = tree.size();
            stored.extend(tree.append(leaf_hash(&leaf(&record))));
            let cp = Checkpoint {
                origin: "example.org/log".into(),
                size: tree.size(),
                root: tree.root(),
            };
            out.push(Handover {
                record,
                log_index,
                checkpoint: sign_handover(&cp.text(), &pair[0], &pair[1]).unwrap(),
                proof: inclusion_proof(log_index, tree.size(), &stored).unwrap(),
            });
        }
        out
    }

    #[test]
    fn two_rotations_are_followed_and_say_from_which_size_each_key_signs() {
        let keys = [key(1), key(2), key(3)];
        let c = chain(&keys, 10);
        let got = follow(&keys[0].verifier(), &c).unwrap();
        let enc: Vec<(String, u64)> = got.iter().map(|(v, s)| (v.encode(), *s)).collect();
        assert_eq!(
            enc,
            vec![
                (keys[0].verifier().encode(), 0),
                (keys[1].verifier().encode(), 11),
                (keys[2].verifier().encode(), 12)
            ]
        );
        assert_eq!(key_at(&got, 5).encode(), keys[0].verifier().encode());
        assert_eq!(key_at(&got, 11).encode(), keys[1].verifier().encode());
        assert_eq!(key_at(&got, 400).encode(), keys[2].verifier().encode());
        // Anchored on any key of the chain, the same keys; on another, refused.
        for k in &keys {
            assert_eq!(follow_to(&k.verifier(), &c).unwrap(), got);
        }
        assert!(matches!(
            follow_to(&key(9).verifier(), &c),
            Err(RotationError::Unknown { .. })
        ));
        assert_eq!(follow_to(&key(9).verifier(), &[]).unwrap().len(), 1);
        // The JSON a server serves reads back the same.
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Handover>>(&json).unwrap(), c);
    }

    #[test]
    fn rotations_not_made_by_the_trusted_key_are_refused() {
        let keys = [key(1), key(2)];
        let good = chain(&keys, 3);
        // Followed from a key that is not the one replaced.
        assert!(matches!(
            follow(&key(9).verifier(), &good),
            Err(RotationError::NotFromTrusted { .. })
        ));
        // A handover signed by the new key alone (someone who holds only the new key).
        let mut forged = good.clone();
        let text = checkpoint::open(&good[0].checkpoint, &keys[0].verifier())
            .unwrap()
            .note
            .text;
        forged[0].checkpoint = keys[1].sign_note(&text).unwrap();
        assert!(matches!(
            follow(&keys[0].verifier(), &forged),
            Err(RotationError::Unsigned { which: "old", .. })
        ));
        // Signed by the old key alone: the new key never showed it holds itself.
        let mut unproved = good.clone();
        unproved[0].checkpoint = keys[0].sign_note(&text).unwrap();
        assert!(matches!(
            follow(&keys[0].verifier(), &unproved),
            Err(RotationError::Unsigned { which: "new", .. })
        ));
        // An announcement of another new key than the one that signed.
        let mut other = good.clone();
        other[0].record = record(
            &keys[0].verifier(),
            &key(7).verifier(),
            "2026-12-04T00:00:00Z",
        );
        assert!(follow(&keys[0].verifier(), &other).is_err());
        // An announcement not in the checkpoint.
        let mut moved = good;
        moved[0].log_index = 1;
        assert!(matches!(
            follow(&keys[0].verifier(), &moved),
            Err(RotationError::NotIncluded { .. })
        ));
    }
}
