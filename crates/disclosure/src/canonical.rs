//! The committed form made straight from an object's canonical bytes (the store's path).
//!
//! In an RFC 8785 object each member's value is already its own canonical form and the members
//! are already in the committed form's order, so a disclosure is the name's and the value's
//! bytes as they stand between a salt and the brackets: nothing is parsed or written again.
//! This is what the store runs on every observation it logs, and it is nine-tenths of the cost
//! gone against [`commit`](crate::commit) over a parsed map (see the benchmark); tests check
//! the two agree byte for byte.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{COMMITMENT, Commitment};

/// A salt's length in bytes: 128 bits.
pub const SALT_BYTES: usize = 16;

/// A member of an object as written: its name (quotes included) and its value's bytes.
type Member<'a> = (&'a [u8], &'a [u8]);

/// The members of a canonical JSON object.
fn members(body: &[u8]) -> Result<Vec<Member<'_>>, String> {
    let inner = body
        .strip_prefix(b"{")
        .and_then(|b| b.strip_suffix(b"}"))
        .ok_or("not a JSON object")?;
    let mut out = Vec::with_capacity(16);
    let mut i = 0;
    while i < inner.len() {
        let name_end = string_end(inner, i).ok_or("a member's name is not a string")?;
        if inner.get(name_end) != Some(&b':') {
            return Err("a member's name is not followed by ':' (not canonical)".into());
        }
        let start = name_end + 1;
        let (mut depth, mut j) = (0usize, start);
        while j < inner.len() {
            match inner[j] {
                b'"' => {
                    j = string_end(inner, j).ok_or("an unterminated string")?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.checked_sub(1).ok_or("unbalanced brackets")?,
                b',' if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        if depth != 0 || j == start {
            return Err("a member's value is malformed".into());
        }
        out.push((&inner[i..name_end], &inner[start..j]));
        i = j + 1;
        if j < inner.len() && i == inner.len() {
            return Err("a trailing comma".into());
        }
    }
    Ok(out)
}

/// The index just past the string starting at `s[at]` (a quote).
fn string_end(s: &[u8], at: usize) -> Option<usize> {
    if s.get(at) != Some(&b'"') {
        return None;
    }
    let mut j = at + 1;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// How many salts `body` (a canonical JSON object) needs: one a member.
pub fn fields_of(body: &[u8]) -> Result<usize, String> {
    members(body).map(|m| m.len())
}

/// Commits a canonical JSON object under fresh salts, which `fill` writes ([`SALT_BYTES`] a
/// member); answers the salts and the committed form, no disclosures kept. The store's path:
/// the object is read once, not once to count its members and again to commit them.
///
/// ```
/// use truceline_disclosure::{canonical_commit, commit_fresh};
/// let body = br#"{"bearing_deg":212.5,"id":"op3-0001"}"#;
/// let (salts, c) = commit_fresh(body, |s| s.fill(7)).unwrap();
/// assert_eq!(salts, [7u8; 32]);
/// assert_eq!(c, canonical_commit(body, &salts, false).unwrap());
/// ```
pub fn commit_fresh(
    body: &[u8],
    fill: impl FnOnce(&mut [u8]),
) -> Result<(Vec<u8>, Commitment), String> {
    let members = members(body)?;
    let mut salts = vec![0u8; members.len() * SALT_BYTES];
    fill(&mut salts);
    let c = commit_members(&members, &salts, false)?;
    Ok((salts, c))
}

/// Commits a canonical JSON object under `salts` ([`SALT_BYTES`] a member, in the members'
/// order); with `disclosures`, each field's disclosure is kept too (the store needs only the
/// committed form to log, and the disclosures to serve evidence).
///
/// ```
/// use truceline_disclosure::{commit, canonical_commit};
/// let body = br#"{"bearing_deg":212.5,"id":"op3-0001"}"#;
/// let salts = [7u8; 32];
/// let fast = canonical_commit(body, &salts, true).unwrap();
/// let map = serde_json::from_slice(body).unwrap();
/// let mut k = 0;
/// let slow = commit(&map, |_| { k += 1; truceline_disclosure::salt_text(&[7; 16]) });
/// assert_eq!(fast, slow);
/// ```
pub fn canonical_commit(
    body: &[u8],
    salts: &[u8],
    disclosures: bool,
) -> Result<Commitment, String> {
    commit_members(&members(body)?, salts, disclosures)
}

fn commit_members(
    members: &[Member<'_>],
    salts: &[u8],
    disclosures: bool,
) -> Result<Commitment, String> {
    if salts.len() != members.len() * SALT_BYTES {
        return Err(format!(
            "{} bytes of salts for {} fields ({SALT_BYTES} each)",
            salts.len(),
            members.len()
        ));
    }
    let mut committed = Vec::with_capacity(48 + members.len() * 60);
    committed.extend_from_slice(b"{\"commitment\":\"");
    committed.extend_from_slice(COMMITMENT.as_bytes());
    committed.extend_from_slice(b"\",\"fields\":{");
    let mut kept = BTreeMap::new();
    let mut d = Vec::with_capacity(256);
    let mut digest = [0u8; 43];
    for (k, ((name, value), salt)) in members
        .iter()
        .zip(salts.chunks_exact(SALT_BYTES))
        .enumerate()
    {
        d.clear();
        d.extend_from_slice(b"[\"");
        let mut s = [0u8; 22];
        URL_SAFE_NO_PAD
            .encode_slice(salt, &mut s)
            .expect("22 characters hold 16 bytes");
        d.extend_from_slice(&s);
        d.extend_from_slice(b"\",");
        d.extend_from_slice(name);
        d.push(b',');
        d.extend_from_slice(value);
        d.push(b']');
        URL_SAFE_NO_PAD
            .encode_slice(Sha256::digest(&d), &mut digest)
            .expect("43 characters hold 32 bytes");
        if k > 0 {
            committed.push(b',');
        }
        committed.extend_from_slice(name);
        committed.extend_from_slice(b":\"");
        committed.extend_from_slice(&digest);
        committed.push(b'"');
        if disclosures {
            let name: String = serde_json::from_slice(name).map_err(|e| format!("a name: {e}"))?;
            kept.insert(name, d.clone());
        }
    }
    committed.extend_from_slice(b"}}");
    Ok(Commitment {
        committed,
        disclosures: kept,
    })
}

/// A salt as a disclosure writes it: unpadded base64url.
pub fn salt_text(salt: &[u8; SALT_BYTES]) -> String {
    URL_SAFE_NO_PAD.encode(salt)
}
