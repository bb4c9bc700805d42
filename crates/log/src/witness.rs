//! C2SP tlog-witness: the `add-checkpoint` request a log pushes to a witness, and the
//! witness's judgement of it. No I/O: the caller keeps what the witness saw (and must check
//! and record it atomically, before answering) and speaks HTTP.
//!
//! ```
//! use truceline_log::witness::AddCheckpoint;
//! let body = "old 0\n\nexample.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.com/log AAAA\n";
//! let req = AddCheckpoint::parse(body).unwrap();
//! assert_eq!((req.old, req.proof.len()), (0, 0));
//! assert_eq!(req.encode(), body);
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::Hash;
use crate::checkpoint::{self, Checkpoint};
use crate::note::{Signer, Verifier};
use crate::verify::verify_consistency;

/// Most consistency proof lines a request may carry (the spec's limit).
pub const MAX_PROOF: usize = 63;

/// What a witness last cosigned for one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub size: u64,
    pub root: Hash,
}

/// An `add-checkpoint` request: the size the log believes the witness has, the consistency
/// proof from it, and the signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old: u64,
    pub proof: Vec<Hash>,
    /// The checkpoint note with its signatures.
    pub checkpoint: String,
}

/// Why a witness does not cosign, with the HTTP status the spec gives each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("this witness follows no log with origin {0:?}")]
    UnknownOrigin(String),
    #[error("no signature on the checkpoint verifies with the log's key")]
    Unsigned,
    #[error("old size {old} is beyond the checkpoint's size {size}")]
    OldBeyond { old: u64, size: u64 },
    /// The log's idea of what the witness saw is wrong: it should send again from `latest`.
    #[error("this witness last cosigned size {latest}, not {old}")]
    Conflict { old: u64, latest: u64 },
    #[error(
        "the checkpoint at size {size} has another root than the one this witness cosigned at that size: the log shows two histories"
    )]
    Fork { size: u64 },
    #[error("the consistency proof from size {old} to {size} does not verify: {why}")]
    Inconsistent { old: u64, size: u64, why: String },
}

impl WitnessError {
    /// The HTTP status tlog-witness names for it.
    pub fn status(&self) -> u16 {
        match self {
            WitnessError::Malformed(_) | WitnessError::OldBeyond { .. } => 400,
            WitnessError::Unsigned => 403,
            WitnessError::UnknownOrigin(_) => 404,
            WitnessError::Conflict { .. } | WitnessError::Fork { .. } => 409,
            WitnessError::Inconsistent { .. } => 422,
        }
    }
}

impl AddCheckpoint {
    pub fn parse(body: &str) -> Result<AddCheckpoint, WitnessError> {
        let bad = |why: &str| WitnessError::Malformed(why.to_string());
        let (head, checkpoint) = body.split_once("\n\n").ok_or_else(|| {
            bad("expected the old size and proof lines, an empty line, then the checkpoint")
        })?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|n| n == &"0" || (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                bad("the first line must be `old <size>`, in decimal without leading zeroes")
            })?;
        let proof = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|h| Hash::try_from(h).ok())
                    .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))
            })
            .collect::<Result<Vec<Hash>, _>>()?;
        if proof.len() > MAX_PROOF {
            return Err(bad("more than 63 proof lines"));
        }
        if old == 0 && !proof.is_empty() {
            return Err(bad("old size 0 takes no proof"));
        }
        Ok(AddCheckpoint {
            old,
            proof,
            checkpoint: checkpoint.to_string(),
        })
    }

    pub fn encode(&self) -> String {
        let mut out = format!("old {}\n", self.old);
        for h in &self.proof {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }
}

/// Judges a request as a witness that follows the logs `logs` (each by its key, whose name is
/// the origin) and last cosigned `seen` for the request's origin (`seen_for` answers it).
/// On success: what the witness now has seen for that origin — to be recorded before
/// answering — and its cosignature line, made at `now` (seconds since the epoch).
pub fn add_checkpoint(
    req: &AddCheckpoint,
    logs: &[Verifier],
    seen_for: impl FnOnce(&str) -> Option<Seen>,
    witness: &Signer,
    now: u64,
) -> Result<(String, Seen, String), WitnessError> {
    let origin = req.checkpoint.split('\n').next().unwrap_or_default();
    let log = logs
        .iter()
        .find(|k| k.name() == origin)
        .ok_or_else(|| WitnessError::UnknownOrigin(origin.to_string()))?;
    let signed = match checkpoint::open(&req.checkpoint, log) {
        Ok(s) => s,
        Err(checkpoint::CheckpointError::Note(crate::note::NoteError::NotSigned(_))) => {
            return Err(WitnessError::Unsigned);
        }
        Err(e) => return Err(WitnessError::Malformed(e.to_string())),
    };
    let Checkpoint { size, root, .. } = signed.checkpoint;
    if req.old > size {
        return Err(WitnessError::OldBeyond { old: req.old, size });
    }
    let seen = seen_for(origin);
    let latest = seen.map_or(0, |s| s.size);
    if req.old != latest {
        return Err(WitnessError::Conflict {
            old: req.old,
            latest,
        });
    }
    if let Some(s) = seen {
        if s.size == size {
            if s.root != root {
                return Err(WitnessError::Fork { size });
            }
        } else if s.size > 0 {
            verify_consistency(s.size, size, &s.root, &root, &req.proof).map_err(|e| {
                WitnessError::Inconsistent {
                    old: s.size,
                    size,
                    why: e.to_string(),
                }
            })?;
        }
    }
    Ok((
        origin.to_string(),
        Seen { size, root },
        signed.cosign(witness, now),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Algorithm;
    use crate::{Frontier, consistency_proof, leaf_hash};

    /// The request body of the spec's example, parsed and written back byte for byte.
    #[test]
    fn the_specs_example_request_round_trips() {
        let body = "old 20852014\n\
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
\n\
example.com/behind-the-sofa\n\
20852163\n\
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
\n\
— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
        let req = AddCheckpoint::parse(body).unwrap();
        assert_eq!(req.old, 20_852_014);
        assert_eq!(req.proof.len(), 4);
        assert!(
            req.checkpoint
                .starts_with("example.com/behind-the-sofa\n20852163\n")
        );
        assert_eq!(req.encode(), body);
        for bad in [
            "old 01\n\nx",
            "old -1\n\nx",
            "new 1\n\nx",
            "old 1\nnot base64\n\nx",
            "old 0\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\nx",
            "old 1",
        ] {
            assert!(
                matches!(AddCheckpoint::parse(bad), Err(WitnessError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    struct Log {
        signer: Signer,
        tree: Frontier,
        stored: Vec<Hash>,
    }

    impl Log {
        fn new(seed: u8) -> Log {
            Log {
                signer: Signer::from_seed("example.org/log", Algorithm::Ed25519, [seed; 32])
                    .unwrap(),
                tree: Frontier::default(),
                stored: Vec::new(),
            }
        }
        fn grow(&mut self, n: u32, salt: u8) {
            for i in 0..n {
                let leaf = leaf_hash(&[&i.to_be_bytes()[..], &[salt]].concat());
                self.stored.extend(self.tree.append(leaf));
            }
        }
        fn request(&self, old: u64) -> AddCheckpoint {
            let size = self.tree.size();
            let cp = Checkpoint {
                origin: "example.org/log".into(),
                size,
                root: self.tree.root(),
            };
            AddCheckpoint {
                old,
                proof: if old > 0 && old < size {
                    consistency_proof(old, size, &self.stored).unwrap()
                } else {
                    vec![]
                },
                checkpoint: self.signer.sign_note(&cp.text()).unwrap(),
            }
        }
    }

    #[test]
    fn a_witness_cosigns_only_what_extends_what_it_cosigned() {
        let witness =
            Signer::from_seed("witness.example/w1", Algorithm::Cosignature, [9; 32]).unwrap();
        let mut log = Log::new(1);
        let logs = [log.signer.verifier()];
        log.grow(5, 0);
        let add = |req: &AddCheckpoint, seen: Option<Seen>| {
            add_checkpoint(req, &logs, |_| seen, &witness, 1_700_000_000)
        };
        // First contact: old 0, no proof.
        let (origin, seen, line) = add(&log.request(0), None).unwrap();
        assert_eq!((origin.as_str(), seen.size), ("example.org/log", 5));
        // The answer is a cosignature line over the checkpoint, as the spec says.
        let mut signed = checkpoint::open(&log.request(0).checkpoint, &logs[0]).unwrap();
        assert_eq!(
            signed.add_cosignatures(&line, &witness.verifier()).unwrap(),
            1
        );
        // Grown: the log must say where the witness was, and prove it.
        log.grow(12, 0);
        let e = add(&log.request(0), Some(seen)).unwrap_err();
        assert_eq!(
            (e.status(), &e),
            (409, &WitnessError::Conflict { old: 0, latest: 5 })
        );
        let (_, seen2, _) = add(&log.request(5), Some(seen)).unwrap();
        assert_eq!(seen2.size, 17);
        // The same checkpoint again is cosigned again.
        add(&log.request(17), Some(seen2)).unwrap();
        // A second history under the same key: the proof fails (422), the same size differs (409).
        let mut other = Log::new(1);
        other.grow(20, 1);
        let e = add(&other.request(17), Some(seen2)).unwrap_err();
        assert_eq!(e.status(), 422, "{e}");
        let mut same_size = Log::new(1);
        same_size.grow(17, 1);
        let e = add(&same_size.request(17), Some(seen2)).unwrap_err();
        assert_eq!((e.status(), e), (409, WitnessError::Fork { size: 17 }));
        // Another key, an unknown origin, an old size beyond the checkpoint.
        let mut forger = Log::new(2);
        forger.grow(20, 0);
        assert_eq!(
            add(&forger.request(17), Some(seen2)).unwrap_err().status(),
            403
        );
        let e = add_checkpoint(&log.request(17), &[], |_| None, &witness, 0).unwrap_err();
        assert_eq!(e.status(), 404);
        assert_eq!(
            add(&log.request(18), Some(seen2)).unwrap_err().status(),
            400
        );
    }
}
