//! C2SP `tlog-checkpoint`: the log's signed statement of its size and root hash, and the
//! cosignatures witnesses add to it.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! ```
//!
//! ```
//! use truceline_log::checkpoint::Checkpoint;
//! use truceline_log::EMPTY_ROOT;
//! let c = Checkpoint { origin: "mission.example/log".into(), size: 0, root: EMPTY_ROOT };
//! assert_eq!(Checkpoint::parse(&c.text()).unwrap(), c);
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::Hash;
use crate::note::{self, Note, NoteError, Signer, Verifier};

/// The body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint: {0}")]
    Malformed(String),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("the checkpoint's origin is {found:?}, expected {expected:?}")]
    WrongOrigin { found: String, expected: String },
}

impl Checkpoint {
    /// The note text (three lines, each ending in a newline).
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Reads the note text; extension lines after the third are allowed and ignored.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = |why: &str| CheckpointError::Malformed(why.into());
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size = lines.next().ok_or_else(|| bad("no tree size line"))?;
        if size.is_empty()
            || (size.starts_with('0') && size != "0")
            || !size.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad(
                "the tree size is not a decimal number without leading zeros",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| bad("the tree size is too large"))?;
        let root = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the root hash is not base64 of 32 bytes"))?;
        Ok(Checkpoint {
            origin: origin.into(),
            size,
            root,
        })
    }

    /// The checkpoint signed by the log.
    pub fn sign(&self, log: &Signer) -> String {
        log.sign_note(&self.text())
            .expect("a checkpoint's text is a valid note text")
    }
}

/// A signed checkpoint, opened and checked against the log's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub note: Note,
}

/// Opens a signed checkpoint and checks the log's signature and origin.
pub fn open(signed: &str, log: &Verifier) -> Result<SignedCheckpoint, CheckpointError> {
    let note = note::open(signed)?;
    note.verify(log)?;
    let checkpoint = Checkpoint::parse(&note.text)?;
    if checkpoint.origin != log.name() {
        return Err(CheckpointError::WrongOrigin {
            found: checkpoint.origin,
            expected: log.name().into(),
        });
    }
    Ok(SignedCheckpoint { checkpoint, note })
}

impl SignedCheckpoint {
    /// A witness's cosignature line for this checkpoint, at `time` (seconds since the epoch).
    pub fn cosign(&self, witness: &Signer, time: u64) -> String {
        witness.signature_line(&self.note.text, time)
    }

    /// Adds cosignature lines not already present that `witness` verifies; returns how many.
    pub fn add_cosignatures(
        &mut self,
        lines: &str,
        witness: &Verifier,
    ) -> Result<usize, CheckpointError> {
        let theirs = note::open(&format!("{}\n{lines}", self.note.text))?;
        theirs.verify(witness)?;
        let mut added = 0;
        for s in theirs.signatures {
            if s.name == witness.name() && !self.note.signatures.iter().any(|x| x.line == s.line) {
                // One cosignature per witness: a newer one replaces the older.
                self.note.signatures.retain(|x| x.name != s.name);
                self.note.signatures.push(s);
                added += 1;
            }
        }
        Ok(added)
    }

    pub fn to_note(&self) -> String {
        self.note.assemble()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Algorithm;

    #[test]
    fn signed_checkpoints_open_only_with_the_log_key() {
        let log = Signer::from_seed("mission.example/log", Algorithm::Ed25519, [9; 32]).unwrap();
        let other = Signer::from_seed("mission.example/log", Algorithm::Ed25519, [8; 32]).unwrap();
        let c = Checkpoint {
            origin: "mission.example/log".into(),
            size: 12,
            root: [5; 32],
        };
        let signed = c.sign(&log);
        assert_eq!(open(&signed, &log.verifier()).unwrap().checkpoint, c);
        assert!(open(&signed, &other.verifier()).is_err());
        let forged = signed.replacen("12\n", "13\n", 1);
        assert!(open(&forged, &log.verifier()).is_err());
    }

    #[test]
    fn witnesses_add_cosignatures() {
        let log = Signer::from_seed("l", Algorithm::Ed25519, [9; 32]).unwrap();
        let w = Signer::from_seed("w", Algorithm::Cosignature, [7; 32]).unwrap();
        let c = Checkpoint {
            origin: "l".into(),
            size: 3,
            root: [1; 32],
        };
        let mut sc = open(&c.sign(&log), &log.verifier()).unwrap();
        let line = sc.cosign(&w, 42);
        assert_eq!(sc.add_cosignatures(&line, &w.verifier()).unwrap(), 1);
        assert_eq!(sc.add_cosignatures(&line, &w.verifier()).unwrap(), 0);
        let back = note::open(&sc.to_note()).unwrap();
        assert_eq!(back.verify(&w.verifier()).unwrap(), 42);
        // A cosignature of another checkpoint does not attach.
        let c2 = Checkpoint { size: 4, ..c };
        let sc2 = open(&c2.sign(&log), &log.verifier()).unwrap();
        assert!(
            sc.add_cosignatures(&sc2.cosign(&w, 43), &w.verifier())
                .is_err()
        );
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        for t in ["", "o\n", "o\n01\nAAAA\n", "o\nx\nAAAA\n", "o\n1\nAAAA\n"] {
            assert!(Checkpoint::parse(t).is_err(), "{t:?}");
        }
    }
}
