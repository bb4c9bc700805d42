//! The keys of a data directory: the log's signing key and the registry of verifier keys
//! (monitors' and devices' Ed25519 keys, witnesses' cosigning keys) in `<data>/keys/*.pub`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use truceline_log::note::{Algorithm, Signer, Verifier};

/// File names in a data directory.
pub const LOG_KEY_FILE: &str = "log.key";
pub const LOG_PUB_FILE: &str = "log.pub";
/// The registry of verifier keys: monitors' and devices' (Ed25519) and witnesses' (cosignature).
pub const KEYS_DIR: &str = "keys";
/// Why the log's key could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Key {
        path: String,
        source: truceline_log::note::NoteError,
    },
    #[error("{path}: expected a log signing key (Ed25519, 0x01), found a cosigning key")]
    WrongAlgorithm { path: String },
    #[error(
        "a rotation of the log's key was interrupted ({path} exists): run `truceline keys rotate` on this data directory again to finish it"
    )]
    RotationPending { path: String },
    #[error("{path}: there is no log key to rotate")]
    NoKey { path: String },
    #[error("the store: {0}")]
    Store(#[from] truceline_store::StoreError),
    #[error("the log's rotations do not hold: {0}")]
    Rotation(#[from] truceline_log::rotation::RotationError),
    #[error("the checkpoint after the announced rotation is not signed by the waiting key: {0}")]
    Handover(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a private key readable by its owner only.
pub fn write_private_key(path: &Path, signer: &Signer) -> Result<(), KeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io(path))?;
    writeln!(f, "{}", signer.encode()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// A new key with a random seed.
pub fn generate_key(name: &str, alg: Algorithm) -> Result<Signer, truceline_log::note::NoteError> {
    Signer::from_seed(name, alg, rand::random())
}

/// Where the next key waits while a rotation is under way.
fn pending_path(key: &Path) -> PathBuf {
    let mut p = key.as_os_str().to_owned();
    p.push(".new");
    PathBuf::from(p)
}

fn key_path(dir: &Path, given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(LOG_KEY_FILE))
}

fn read_signer(path: &Path) -> Result<Signer, KeyError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    Signer::parse(&text).map_err(|source| KeyError::Key {
        path: path.display().to_string(),
        source,
    })
}

/// The log's signing key: `given`, else the data directory's, else a new one generated there
/// (named `truceline.local/log-<8 hex digits>`, the checkpoints' origin). Refused while a
/// rotation of it is unfinished: checkpoints signed by the old key after its announcement would
/// break the chain verifiers follow.
pub fn log_signer(dir: &Path, given: Option<&Path>) -> Result<Signer, KeyError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = key_path(dir, given);
    let pending = pending_path(&path);
    if pending.exists() {
        return Err(KeyError::RotationPending {
            path: pending.display().to_string(),
        });
    }
    let signer = if path.exists() || given.is_some() {
        read_signer(&path)?
    } else {
        let tag: u32 = rand::random();
        let signer = generate_key(
            &format!("truceline.local/log-{tag:08x}"),
            Algorithm::Ed25519,
        )
        .expect("the generated name is valid");
        write_private_key(&path, &signer)?;
        tracing::info!(key = %path.display(), origin = signer.name(), "generated the log's signing key");
        signer
    };
    if signer.verifier().algorithm() != Algorithm::Ed25519 {
        return Err(KeyError::WrongAlgorithm {
            path: path.display().to_string(),
        });
    }
    let pub_path = dir.join(LOG_PUB_FILE);
    std::fs::write(&pub_path, format!("{}\n", signer.verifier().encode()))
        .map_err(io(&pub_path))?;
    Ok(signer)
}

/// A rotation of the log's key, done.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotated {
    pub old: String,
    pub new: String,
    /// The announcement's leaf.
    pub log_index: u64,
    /// The handover checkpoint's size.
    pub size: u64,
}

/// Replaces the log's signing key and announces it in the log (see
/// [`truceline_log::rotation`]): the new key (same name, so the checkpoints' origin stays) is
/// kept beside the old as `<key>.new`, the announcement is logged as a `key_rotation` record
/// by `account`, the checkpoint that includes it is signed by both keys and stored, and only
/// then does the new key take the old one's place (its private part is gone; `log.pub` names
/// the new key). Interrupted at any step, running it again finishes the same rotation, and
/// until then the server refuses to start. Needs the store open for writing (the server
/// stopped).
pub fn rotate_log_key(
    dir: &Path,
    given: Option<&Path>,
    store: &dyn truceline_store::Store,
    account: &str,
    now: jiff::Timestamp,
) -> Result<Rotated, KeyError> {
    use truceline_log::checkpoint::{self, Checkpoint};
    use truceline_log::rotation;
    let path = key_path(dir, given);
    if !path.exists() {
        return Err(KeyError::NoKey {
            path: path.display().to_string(),
        });
    }
    let old = read_signer(&path)?;
    let pending = pending_path(&path);
    // A rotation already announced for the waiting key is finished, not made again.
    let mut resumed = None;
    let new = if pending.exists() {
        let new = read_signer(&pending)?;
        let last = store.records(&truceline_store::RecordQuery {
            kind: rotation::KIND,
            newest: Some(1),
            ..Default::default()
        })?;
        if let Some(r) = last.first()
            && rotation::keys_of(&r.record)
                .is_ok_and(|(_, n)| n.encode() == new.verifier().encode())
        {
            resumed = Some(r.log_index);
        }
        new
    } else {
        let new = generate_key(old.name(), Algorithm::Ed25519).map_err(|source| KeyError::Key {
            path: pending.display().to_string(),
            source,
        })?;
        write_private_key(&pending, &new)?;
        new
    };
    let log_index = match resumed {
        Some(i) => i,
        None => {
            let record = rotation::record(&old.verifier(), &new.verifier(), &now.to_string());
            store.append_records(vec![truceline_store::NewRecord {
                kind: rotation::KIND.into(),
                subject: Some(new.verifier().encode()),
                account: account.into(),
                time_ms: now.as_millisecond(),
                record,
            }])?[0]
        }
    };
    // The handover: the first checkpoint after the announcement, signed by both keys.
    let handed = store
        .handovers()?
        .into_iter()
        .find(|h| h.log_index == log_index);
    let size = match handed {
        Some(h) => {
            checkpoint::open(&h.checkpoint, &new.verifier())
                .map_err(|e| KeyError::Handover(e.to_string()))?
                .checkpoint
                .size
        }
        None => {
            let (size, root) = store.log_head();
            let cp = Checkpoint {
                origin: old.name().into(),
                size,
                root,
            };
            let note = rotation::sign_handover(&cp.text(), &old, &new).map_err(|source| {
                KeyError::Key {
                    path: path.display().to_string(),
                    source,
                }
            })?;
            store.put_checkpoint(size, note)?;
            size
        }
    };
    // The chain holds from the old key before the new one replaces it.
    rotation::follow_to(&old.verifier(), &store.handovers()?)?;
    std::fs::rename(&pending, &path).map_err(io(&path))?;
    if let Some(parent) = path.parent()
        && let Ok(d) = std::fs::File::open(parent)
    {
        let _ = d.sync_all();
    }
    let pub_path = dir.join(LOG_PUB_FILE);
    std::fs::write(&pub_path, format!("{}\n", new.verifier().encode())).map_err(io(&pub_path))?;
    tracing::info!(old = %old.verifier().encode(), new = %new.verifier().encode(), log_index, size, "rotated the log's key");
    Ok(Rotated {
        old: old.verifier().encode(),
        new: new.verifier().encode(),
        log_index,
        size,
    })
}

/// Verifier keys by name, from `<data>/keys/*.pub`; re-read when an unknown name is asked for,
/// so a key added while the server runs is known at its first use. A device key registered
/// through the API by a monitor belongs to it (`<name>.owner` beside the key): it signs only
/// for the observers that monitor may submit as.
pub struct KeyRegistry {
    dir: PathBuf,
    keys: RwLock<HashMap<String, (Verifier, Option<String>)>>,
}

/// Why a key could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("key: {0}")]
    Parse(truceline_log::note::NoteError),
    #[error("key: a device key is an Ed25519 signing key's verifier (0x01), not a cosigning key")]
    Algorithm,
    #[error(
        "key: a key named {0:?} is already registered; a key is never replaced, name a new one"
    )]
    Exists(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn file_stem(name: &str) -> String {
    name.replace('/', "_")
}

impl KeyRegistry {
    pub fn open(data: &Path) -> KeyRegistry {
        let r = KeyRegistry {
            dir: data.join(KEYS_DIR),
            keys: RwLock::default(),
        };
        r.reload();
        r
    }

    fn reload(&self) {
        let mut keys = HashMap::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "pub") {
                    match std::fs::read_to_string(&p).map(|t| Verifier::parse(&t)) {
                        Ok(Ok(v)) => {
                            let owner = std::fs::read_to_string(p.with_extension("owner"))
                                .ok()
                                .map(|o| o.trim().to_string());
                            keys.insert(v.name().to_string(), (v, owner));
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(file = %p.display(), error = %e, "key not loaded")
                        }
                        Err(e) => tracing::warn!(file = %p.display(), error = %e, "key not loaded"),
                    }
                }
            }
        }
        *self.keys.write().unwrap() = keys;
    }

    pub fn get(&self, name: &str) -> Option<Verifier> {
        self.get_owned(name).map(|(v, _)| v)
    }

    /// A key and the account it belongs to, if a monitor registered it.
    pub fn get_owned(&self, name: &str) -> Option<(Verifier, Option<String>)> {
        if let Some(v) = self.keys.read().unwrap().get(name) {
            return Some(v.clone());
        }
        self.reload();
        self.keys.read().unwrap().get(name).cloned()
    }

    /// Registers a device's verifier key as `owner`'s (the open demonstration's keys have
    /// none); a name already registered is refused.
    pub fn register(&self, key: &str, owner: Option<&str>) -> Result<Verifier, RegisterError> {
        let v = Verifier::parse(key.trim()).map_err(RegisterError::Parse)?;
        if v.algorithm() != Algorithm::Ed25519 {
            return Err(RegisterError::Algorithm);
        }
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{}.pub", file_stem(v.name())));
        // The owner first: a key seen without one would sign for anyone until it appears.
        let owner_path = path.with_extension("owner");
        // Both created new: two registrations of one name cannot both pass, nor the second
        // change the first's owner.
        let create = |p: &Path, text: String| -> Result<(), RegisterError> {
            use std::io::Write;
            if path.exists() {
                return Err(RegisterError::Exists(v.name().to_string()));
            }
            let mut f = match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
            {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(RegisterError::Exists(v.name().to_string()));
                }
                Err(e) => return Err(e.into()),
            };
            writeln!(f, "{text}")?;
            Ok(f.sync_all()?)
        };
        if let Some(owner) = owner {
            create(&owner_path, owner.to_string())?;
        }
        create(&path, v.encode())?;
        self.reload();
        Ok(v)
    }

    /// The device keys `owner` registered, or every signing key with its owner.
    pub fn signing_keys(&self, owner: Option<&str>) -> Vec<(Verifier, Option<String>)> {
        self.reload();
        let mut out: Vec<_> = self
            .keys
            .read()
            .unwrap()
            .values()
            .filter(|(v, o)| {
                v.algorithm() == Algorithm::Ed25519 && owner.is_none_or(|w| o.as_deref() == Some(w))
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| a.0.name().cmp(b.0.name()));
        out
    }

    /// Every witness (cosigning) key.
    pub fn witnesses(&self) -> Vec<Verifier> {
        self.reload();
        self.keys
            .read()
            .unwrap()
            .values()
            .filter(|(v, _)| v.algorithm() == Algorithm::Cosignature)
            .map(|(v, _)| v.clone())
            .collect()
    }
}
