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

/// The log's signing key: `given`, else the data directory's, else a new one generated there
/// (named `truceline.local/log-<8 hex digits>`, the checkpoints' origin).
pub fn log_signer(dir: &Path, given: Option<&Path>) -> Result<Signer, KeyError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(LOG_KEY_FILE));
    let signer = if path.exists() || given.is_some() {
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        Signer::parse(&text).map_err(|source| KeyError::Key {
            path: path.display().to_string(),
            source,
        })?
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

/// Verifier keys by name, from `<data>/keys/*.pub`; re-read when an unknown name is asked for,
/// so a key added while the server runs is known at its first use.
pub struct KeyRegistry {
    dir: PathBuf,
    keys: RwLock<HashMap<String, Verifier>>,
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
                            keys.insert(v.name().to_string(), v);
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
        if let Some(v) = self.keys.read().unwrap().get(name) {
            return Some(v.clone());
        }
        self.reload();
        self.keys.read().unwrap().get(name).cloned()
    }

    /// Every witness (cosigning) key.
    pub fn witnesses(&self) -> Vec<Verifier> {
        self.reload();
        self.keys
            .read()
            .unwrap()
            .values()
            .filter(|v| v.algorithm() == Algorithm::Cosignature)
            .cloned()
            .collect()
    }
}
