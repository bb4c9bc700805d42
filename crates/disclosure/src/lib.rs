//! Selective disclosure of logged observations (SPEC 4.2), the idea of SD-JWT applied to a
//! Merkle log: an observation's leaf is its **committed form**, one salted digest per field,
//! so that the mission can prove a field's value (an acoustic sensor heard this at 10:04:31 on
//! bearing 212°) without showing the others (which sensor, where it stands).
//!
//! * a field's **disclosure** is the RFC 8785 canonical JSON of `[SALT, NAME, VALUE]`, `SALT`
//!   128 random bits in unpadded base64url; its **digest** the unpadded base64url SHA-256 of
//!   those bytes;
//! * the **committed form** is the canonical JSON of
//!   `{"commitment":"truceline-sd/1","fields":{NAME: DIGEST, …}}`, and the leaf hash is
//!   RFC 6962's over exactly those bytes;
//! * an **evidence document** gives, for each leaf, its committed form, the disclosures the
//!   reader may see and the inclusion proof to a signed checkpoint; [`verify`] checks it all.
//!
//! No I/O; salts are made by [`new_salt`] and kept by the store, never served except inside a
//! disclosure.
//!
//! ```
//! use serde_json::json;
//! use truceline_disclosure::{commit, new_salt, open_disclosure};
//! let obs = json!({"id": "op3-0001", "bearing_deg": 212.5});
//! let c = commit(obs.as_object().unwrap(), |_| new_salt());
//! assert!(c.committed.starts_with(br#"{"commitment":"truceline-sd/1","fields":{"bearing_deg":""#));
//! let (name, value) = open_disclosure(&c.disclosures["bearing_deg"]).unwrap();
//! assert_eq!((name.as_str(), value), ("bearing_deg", json!(212.5)));
//! ```

mod canonical;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use truceline_log::checkpoint::{self, SignedCheckpoint};
use truceline_log::note::Verifier;
use truceline_log::{Hash, leaf_hash, verify_inclusion};

pub use canonical::{SALT_BYTES, canonical_commit, commit_fresh, fields_of, salt_text};

/// The committed form's version tag.
pub const COMMITMENT: &str = "truceline-sd/1";

/// What a role outside the mission may never see of an observation (SPEC 4.2).
pub const WITHHELD_OUTSIDE: &[&str] = &[
    "observer",
    "observer_position",
    "id",
    "key_id",
    "signature",
    "notes",
    "media",
];

/// Whether a field is disclosed outside the mission (a party's liaison, the public): not the
/// fields of [`WITHHELD_OUTSIDE`], nor an observation's own `location`. Outside the mission
/// places are shown only to a grid cell (SPEC 5: "locations as in the public edition"), and an
/// event located directly — a crater a patrol measured, a weapon a post saw — is where a
/// monitor stood or looked from close by.
pub fn shown_outside(name: &str) -> bool {
    name != "location" && !WITHHELD_OUTSIDE.contains(&name)
}

/// An observation committed: the leaf's bytes and each field's disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    /// The committed form, canonical: the leaf.
    pub committed: Vec<u8>,
    /// By field name: the disclosure's bytes.
    pub disclosures: BTreeMap<String, Vec<u8>>,
}

/// 128 random bits, unpadded base64url (22 characters).
pub fn new_salt() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// A disclosure's bytes: the canonical JSON of `[salt, name, value]`.
pub fn disclosure(salt: &str, name: &str, value: &Value) -> Vec<u8> {
    // Written directly: the array's canonical form is its members' in order, and cloning the
    // value into an array was a third of committing an observation.
    let mut out = Vec::with_capacity(64);
    out.push(b'[');
    serde_json::to_writer(&mut out, salt).expect("a string serialises");
    out.push(b',');
    serde_json::to_writer(&mut out, name).expect("a string serialises");
    out.push(b',');
    out.extend_from_slice(&canonical(value));
    out.push(b']');
    out
}

/// RFC 8785 bytes, by the observation crate's writer (`serde_jcs` made the committed form
/// 24 µs an observation, six times slower: see the benchmark).
fn canonical(v: &Value) -> Vec<u8> {
    // A value read from JSON has only finite numbers.
    truceline_observation::canonical::to_vec(v).unwrap_or_default()
}

/// The unpadded base64url SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

/// Commits every field of an observation, each with the salt `salt` gives for its name.
pub fn commit(fields: &Map<String, Value>, mut salt: impl FnMut(&str) -> String) -> Commitment {
    let mut disclosures = BTreeMap::new();
    let mut digests = Map::new();
    for (name, value) in fields {
        let d = disclosure(&salt(name), name, value);
        digests.insert(name.clone(), Value::String(digest(&d)));
        disclosures.insert(name.clone(), d);
    }
    let committed = canonical(&serde_json::json!({
        "commitment": COMMITMENT,
        "fields": digests,
    }));
    Commitment {
        committed,
        disclosures,
    }
}

/// Why an evidence document does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error(
        "item {item}: the committed form is not {{\"commitment\":\"truceline-sd/1\",\"fields\":{{NAME: DIGEST}}}}: {why}"
    )]
    Committed { item: usize, why: String },
    #[error("item {item}, disclosure {n}: {why}")]
    Disclosure { item: usize, n: usize, why: String },
    #[error(
        "item {item} (leaf {log_index}): its inclusion proof does not lead to the checkpoint's root: {why}"
    )]
    Proof {
        item: usize,
        log_index: u64,
        why: String,
    },
}

/// An evidence document (SPEC 4.2): what `GET /incidents/{id}/evidence` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The signed checkpoint the proofs lead to, with its cosignatures.
    pub checkpoint: String,
    pub items: Vec<Item>,
    /// Leaves of the same evidence logged before the committed form: their inclusion can be
    /// proved only by showing the whole observation, so they are named and not disclosed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncommitted: Vec<u64>,
}

/// One logged observation in an evidence document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub log_index: u64,
    /// The committed form, as JSON.
    pub committed: Value,
    /// base64url of each disclosure's bytes: the fields the reader may see.
    pub disclosures: Vec<String>,
    /// The inclusion proof, standard base64 hashes.
    pub proof: Vec<String>,
}

impl Item {
    /// The item of leaf `log_index`: its committed form, the disclosures of the fields `shown`
    /// lets through, and its inclusion proof.
    pub fn new(
        log_index: u64,
        c: &Commitment,
        shown: impl Fn(&str) -> bool,
        proof: &[Hash],
    ) -> Item {
        Item {
            log_index,
            committed: serde_json::from_slice(&c.committed).expect("a committed form is JSON"),
            disclosures: c
                .disclosures
                .iter()
                .filter(|(name, _)| shown(name))
                .map(|(_, d)| URL_SAFE_NO_PAD.encode(d))
                .collect(),
            proof: proof.iter().map(|h| STANDARD.encode(h)).collect(),
        }
    }
}

/// What a checked item shows: the fields disclosed, and the names of those withheld.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disclosed {
    pub log_index: u64,
    pub fields: BTreeMap<String, Value>,
    pub withheld: Vec<String>,
}

/// Reads a disclosure's bytes: `[salt, name, value]`, canonical.
pub fn open_disclosure(bytes: &[u8]) -> Result<(String, Value), String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let [salt, name, value] = <[Value; 3]>::try_from(
        v.as_array()
            .ok_or("not an array [salt, name, value]")?
            .clone(),
    )
    .map_err(|_| "not an array of three: [salt, name, value]".to_string())?;
    let (Value::String(salt), Value::String(name)) = (salt, name) else {
        return Err("the salt and the name must be strings".into());
    };
    if salt.len() < 22 {
        return Err("the salt is shorter than 128 bits".into());
    }
    // One encoding per disclosure: what was hashed is the canonical form.
    if disclosure(&salt, &name, &value) != bytes {
        return Err("not in canonical form (RFC 8785)".into());
    }
    Ok((name, value))
}

/// Checks an evidence document: the checkpoint's signature under `log_key`, each committed
/// form's shape and its inclusion under the checkpoint's root, and each disclosure against the
/// digest its field committed to. Answers the checkpoint and what each item discloses.
pub fn verify(
    doc: &Evidence,
    log_key: &Verifier,
) -> Result<(SignedCheckpoint, Vec<Disclosed>), DisclosureError> {
    let cp = checkpoint::open(&doc.checkpoint, log_key)
        .map_err(|e| DisclosureError::Checkpoint(e.to_string()))?;
    let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
    let mut out = Vec::with_capacity(doc.items.len());
    for (i, item) in doc.items.iter().enumerate() {
        let item_no = i + 1;
        let committed = |why: &str| DisclosureError::Committed {
            item: item_no,
            why: why.to_string(),
        };
        let obj = item
            .committed
            .as_object()
            .ok_or_else(|| committed("not an object"))?;
        if obj.len() != 2 || obj.get("commitment") != Some(&Value::String(COMMITMENT.into())) {
            return Err(committed("expected exactly `commitment` and `fields`"));
        }
        let fields = obj
            .get("fields")
            .and_then(Value::as_object)
            .ok_or_else(|| committed("`fields` is not an object"))?;
        let mut by_digest: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, d) in fields {
            let d = d
                .as_str()
                .filter(|d| d.len() == 43 && URL_SAFE_NO_PAD.decode(d).is_ok())
                .ok_or_else(|| committed(&format!("{name}: not a base64url SHA-256 digest")))?;
            by_digest.insert(d, name);
        }
        let bytes = canonical(&item.committed);
        let proof = item
            .proof
            .iter()
            .map(|h| STANDARD.decode(h).ok().and_then(|h| Hash::try_from(h).ok()))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| DisclosureError::Proof {
                item: item_no,
                log_index: item.log_index,
                why: "a proof hash is not base64 SHA-256".into(),
            })?;
        verify_inclusion(item.log_index, size, &leaf_hash(&bytes), &proof, &root).map_err(|e| {
            DisclosureError::Proof {
                item: item_no,
                log_index: item.log_index,
                why: e.to_string(),
            }
        })?;
        let mut shown = BTreeMap::new();
        for (n, d) in item.disclosures.iter().enumerate() {
            let bad = |why: String| DisclosureError::Disclosure {
                item: item_no,
                n: n + 1,
                why,
            };
            let raw = URL_SAFE_NO_PAD
                .decode(d)
                .map_err(|e| bad(format!("not unpadded base64url: {e}")))?;
            let committed_name = by_digest
                .get(digest(&raw).as_str())
                .ok_or_else(|| bad("its digest is not one the committed form holds".into()))?;
            let (name, value) = open_disclosure(&raw).map_err(bad)?;
            if name != *committed_name {
                return Err(bad(format!(
                    "it names {name:?}, but its digest is committed for {committed_name:?}"
                )));
            }
            if shown.insert(name.clone(), value).is_some() {
                return Err(bad(format!("{name:?} is disclosed twice")));
            }
        }
        let withheld = fields
            .keys()
            .filter(|k| !shown.contains_key(*k))
            .cloned()
            .collect();
        out.push(Disclosed {
            log_index: item.log_index,
            fields: shown,
            withheld,
        });
    }
    Ok((cp, out))
}

#[cfg(test)]
mod tests;
