//! C2SP signed notes (`c2sp.org/signed-note`) with Ed25519 keys.
//!
//! A note is UTF-8 text ending in a newline, a blank line, and signature lines
//! `— <key name> base64(key id || signature)`. A key id is the first four bytes of
//! `SHA-256(name || "\n" || algorithm || public key)`; keys travel as verifier keys
//! `<name>+<key id in hex>+base64(algorithm || public key)`. Two algorithms are used here:
//! 0x01, a plain Ed25519 signature of the note text (the log's checkpoints and monitors' keys),
//! and 0x04, a C2SP tlog-cosignature (a witness's timestamped signature, see
//! [`checkpoint`](crate::checkpoint)).
//!
//! ```
//! use truceline_log::note::{Signer, Algorithm, open};
//! let signer = Signer::from_seed("log.example/truceline", Algorithm::Ed25519, [7; 32]).unwrap();
//! let note = signer.sign_note("hello\n").unwrap();
//! let opened = open(&note).unwrap();
//! assert_eq!(opened.text, "hello\n");
//! assert!(opened.verify(&signer.verifier()).is_ok());
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature line's lead: an em dash and a space.
const DASH: &str = "\u{2014} ";

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// 0x01: Ed25519 over the note text.
    Ed25519,
    /// 0x04: a timestamped Ed25519 cosignature (C2SP tlog-cosignature v1).
    Cosignature,
}

impl Algorithm {
    pub fn byte(self) -> u8 {
        match self {
            Algorithm::Ed25519 => 0x01,
            Algorithm::Cosignature => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<Algorithm> {
        match b {
            0x01 => Some(Algorithm::Ed25519),
            0x04 => Some(Algorithm::Cosignature),
            _ => None,
        }
    }
}

/// Why a key or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("key name {0:?}: expected a non-empty name without spaces or `+`")]
    BadName(String),
    #[error(
        "verifier key: expected `<name>+<8 hex digits>+<base64 of the algorithm byte and 32-byte key>`: {0}"
    )]
    BadVerifierKey(String),
    #[error(
        "private key: expected `PRIVATE+KEY+<name>+<8 hex digits>+<base64 of the algorithm byte and 32-byte seed>`: {0}"
    )]
    BadPrivateKey(String),
    #[error("note: {0}")]
    Malformed(String),
    #[error("the note has no valid signature by {0}")]
    NotSigned(String),
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '+') {
        return Err(NoteError::BadName(name.into()));
    }
    Ok(())
}

fn key_id(name: &str, alg: Algorithm, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg.byte()]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A private key that signs notes.
#[derive(Clone)]
pub struct Signer {
    name: String,
    alg: Algorithm,
    id: [u8; 4],
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.verifier().encode())
    }
}

impl Signer {
    pub fn from_seed(name: &str, alg: Algorithm, seed: [u8; 32]) -> Result<Signer, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, alg, &key.verifying_key().to_bytes());
        Ok(Signer {
            name: name.into(),
            alg,
            id,
            key,
        })
    }

    /// Reads `PRIVATE+KEY+<name>+<id>+<base64>` (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Signer, NoteError> {
        let bad = |why: &str| NoteError::BadPrivateKey(why.into());
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("it does not start with PRIVATE+KEY+"))?;
        let (name, id_hex, b64) = split3(rest)
            .ok_or_else(|| bad("expected three `+`-separated parts after the prefix"))?;
        let raw = B64.decode(b64).map_err(|e| bad(&format!("base64: {e}")))?;
        if raw.len() != 33 {
            return Err(bad("the key is not one algorithm byte and 32 bytes"));
        }
        let alg = Algorithm::from_byte(raw[0]).ok_or_else(|| bad("unknown algorithm byte"))?;
        let signer = Signer::from_seed(name, alg, raw[1..].try_into().expect("32 bytes"))?;
        if hex4(&signer.id) != id_hex {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(signer)
    }

    /// The private key text, for a key file.
    pub fn encode(&self) -> String {
        let mut raw = vec![self.alg.byte()];
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex4(&self.id),
            B64.encode(raw)
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            alg: self.alg,
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// A raw Ed25519 signature of `msg` (for signed observations).
    pub fn sign_bytes(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }

    /// The signature line this key adds to a note with `text`; for a cosigner, timestamped `time`
    /// (seconds since the epoch).
    pub fn signature_line(&self, text: &str, time: u64) -> String {
        let mut raw = self.id.to_vec();
        match self.alg {
            Algorithm::Ed25519 => raw.extend_from_slice(&self.sign_bytes(text.as_bytes())),
            Algorithm::Cosignature => {
                raw.extend_from_slice(&time.to_be_bytes());
                raw.extend_from_slice(&self.sign_bytes(&cosigned_message(text, time)));
            }
        }
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }

    /// `text` signed: the whole note.
    pub fn sign_note(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        Ok(format!("{text}\n{}", self.signature_line(text, 0)))
    }
}

/// The message a tlog-cosignature v1 signs.
fn cosigned_message(text: &str, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

fn split3(s: &str) -> Option<(&str, &str, &str)> {
    let mut it = s.splitn(3, '+');
    Some((it.next()?, it.next()?, it.next()?))
}

fn hex4(id: &[u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') || text.contains("\n\n") {
        return Err(NoteError::Malformed(
            "the text must end in a newline and have no blank line".into(),
        ));
    }
    Ok(())
}

/// A public key that checks notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    alg: Algorithm,
    id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    /// Reads `<name>+<id>+<base64>`.
    pub fn parse(text: &str) -> Result<Verifier, NoteError> {
        let bad = |why: &str| NoteError::BadVerifierKey(why.into());
        let (name, id_hex, b64) =
            split3(text.trim()).ok_or_else(|| bad("expected three `+`-separated parts"))?;
        check_name(name)?;
        let raw = B64.decode(b64).map_err(|e| bad(&format!("base64: {e}")))?;
        if raw.len() != 33 {
            return Err(bad("the key is not one algorithm byte and 32 bytes"));
        }
        let alg = Algorithm::from_byte(raw[0]).ok_or_else(|| bad("unknown algorithm byte"))?;
        let bytes: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not an Ed25519 public key"))?;
        let id = key_id(name, alg, &bytes);
        if hex4(&id) != id_hex {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(Verifier {
            name: name.into(),
            alg,
            id,
            key,
        })
    }

    pub fn encode(&self) -> String {
        let mut raw = vec![self.alg.byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex4(&self.id), B64.encode(raw))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Checks a raw Ed25519 signature of `msg` (for signed observations).
    pub fn verify_bytes(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        self.key
            .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }

    /// Checks one signature of a note's text; returns the cosignature's time, or 0.
    fn verify_signature(&self, text: &str, sig: &NoteSignature) -> Option<u64> {
        if sig.name != self.name || sig.id != self.id {
            return None;
        }
        match self.alg {
            Algorithm::Ed25519 => self.verify_bytes(text.as_bytes(), &sig.raw).then_some(0),
            Algorithm::Cosignature => {
                if sig.raw.len() != 72 {
                    return None;
                }
                let time = u64::from_be_bytes(sig.raw[..8].try_into().expect("8 bytes"));
                self.verify_bytes(&cosigned_message(text, time), &sig.raw[8..])
                    .then_some(time)
            }
        }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub id: [u8; 4],
    /// The signature bytes after the key id.
    pub raw: Vec<u8>,
    /// The line as it was, newline included.
    pub line: String,
}

/// A note split into its text and its signatures (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

/// Splits a signed note; refuses one that is not in the format.
pub fn open(note: &str) -> Result<Note, NoteError> {
    let bad = |why: &str| NoteError::Malformed(why.into());
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    check_text(text)?;
    if !sigs.ends_with('\n') {
        return Err(bad("the last signature line does not end in a newline"));
    }
    let mut signatures = Vec::new();
    for line in sigs.split_inclusive('\n') {
        let body = line
            .strip_prefix(DASH)
            .ok_or_else(|| bad("a signature line does not start with an em dash and a space"))?;
        let (name, b64) = body
            .trim_end_matches('\n')
            .split_once(' ')
            .ok_or_else(|| bad("a signature line has no key name and signature"))?;
        let raw = B64
            .decode(b64)
            .map_err(|e| bad(&format!("signature base64: {e}")))?;
        if raw.len() < 5 {
            return Err(bad("a signature is shorter than a key id"));
        }
        signatures.push(NoteSignature {
            name: name.into(),
            id: raw[..4].try_into().expect("4 bytes"),
            raw: raw[4..].to_vec(),
            line: line.into(),
        });
    }
    if signatures.is_empty() {
        return Err(bad("no signatures"));
    }
    Ok(Note {
        text: text.into(),
        signatures,
    })
}

impl Note {
    /// Checks that `v` signed the text; returns its cosignature time (0 for a plain signature).
    pub fn verify(&self, v: &Verifier) -> Result<u64, NoteError> {
        self.signatures
            .iter()
            .find_map(|s| v.verify_signature(&self.text, s))
            .ok_or_else(|| NoteError::NotSigned(v.name.clone()))
    }

    /// The note again, with the signature lines given (in order).
    pub fn assemble(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for s in &self.signatures {
            out.push_str(&s.line);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_note_verifier_key_round_trips_and_checks_its_id() {
        // The example key of golang.org/x/mod/sumdb/note's documentation.
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let v = Verifier::parse(vkey).unwrap();
        assert_eq!(v.encode(), vkey);
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let n = open(note).unwrap();
        n.verify(&v).unwrap();
        let tampered = note.replace("answer", "answers");
        assert!(open(&tampered).unwrap().verify(&v).is_err());
        // Ed25519 is deterministic: the Go example's private key signs byte for byte the same.
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let signer = Signer::parse(skey).unwrap();
        assert_eq!(signer.encode(), skey);
        assert_eq!(signer.sign_note(&n.text).unwrap(), note);
        assert!(
            Verifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .is_err()
        );
    }

    #[test]
    fn keys_round_trip() {
        let s = Signer::from_seed("w.example/1", Algorithm::Cosignature, [3; 32]).unwrap();
        let back = Signer::parse(&s.encode()).unwrap();
        assert_eq!(back.verifier(), s.verifier());
        assert_eq!(
            Verifier::parse(&s.verifier().encode()).unwrap(),
            s.verifier()
        );
        assert!(Signer::from_seed("has space", Algorithm::Ed25519, [0; 32]).is_err());
    }

    #[test]
    fn cosignatures_carry_their_time() {
        let log = Signer::from_seed("log", Algorithm::Ed25519, [1; 32]).unwrap();
        let w = Signer::from_seed("witness", Algorithm::Cosignature, [2; 32]).unwrap();
        let text = "log\n5\nAAAA\n";
        let mut note = open(&log.sign_note(text).unwrap()).unwrap();
        let line = w.signature_line(text, 1_700_000_000);
        note.signatures.push(
            open(&format!("{text}\n{line}"))
                .unwrap()
                .signatures
                .remove(0),
        );
        let back = open(&note.assemble()).unwrap();
        assert_eq!(back.verify(&log.verifier()).unwrap(), 0);
        assert_eq!(back.verify(&w.verifier()).unwrap(), 1_700_000_000);
        // A plain key with the same seed and name is another key id: it does not verify.
        let plain = Signer::from_seed("witness", Algorithm::Ed25519, [2; 32]).unwrap();
        assert!(back.verify(&plain.verifier()).is_err());
    }
}
