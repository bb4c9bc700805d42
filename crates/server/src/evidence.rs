//! The evidence log over HTTP (SPEC 3 and 4): the log's key and signed checkpoints, proofs,
//! the exact leaf bytes, witnesses' cosignatures, and the keys that sign observations.
//!
//! A checkpoint is signed at most once a second and only when the log has grown, so a witness
//! or a party polling `/log/checkpoint` sees every acknowledged record covered within a second.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};
use truceline_log::checkpoint::{self, Checkpoint, SignedCheckpoint};
use truceline_log::note::{Algorithm, Signer, Verifier};
use truceline_store::ObservationStore;

use crate::{ApiError, AppState, blocking};

/// File names in a data directory.
pub const LOG_KEY_FILE: &str = "log.key";
pub const LOG_PUB_FILE: &str = "log.pub";
/// The registry of verifier keys: monitors' and devices' (Ed25519) and witnesses' (cosignature).
pub const KEYS_DIR: &str = "keys";
/// Most leaves one `/log/entries` request returns.
pub const MAX_ENTRIES: u64 = 1000;

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

/// The log's signing side, shared by the checkpoint task and the handlers.
pub struct LogState {
    pub signer: Signer,
    pub keys: KeyRegistry,
    /// The latest checkpoint, with the cosignatures collected for it.
    pub latest: RwLock<Option<SignedCheckpoint>>,
    /// One cosignature is merged into a stored checkpoint at a time, so two witnesses
    /// cosigning together both keep theirs.
    cosigning: tokio::sync::Mutex<()>,
}

impl LogState {
    pub fn new(signer: Signer, keys: KeyRegistry, store: &dyn ObservationStore) -> LogState {
        let latest = store
            .latest_checkpoint()
            .ok()
            .flatten()
            .and_then(|(_, note)| checkpoint::open(&note, &signer.verifier()).ok());
        LogState {
            signer,
            keys,
            latest: RwLock::new(latest),
            cosigning: tokio::sync::Mutex::new(()),
        }
    }

    /// Signs and stores a checkpoint if the log has grown since the last one; blocking.
    pub fn checkpoint_now(
        &self,
        store: &dyn ObservationStore,
    ) -> Result<bool, truceline_store::StoreError> {
        let (size, root) = store.log_head();
        if self
            .latest
            .read()
            .unwrap()
            .as_ref()
            .is_some_and(|c| c.checkpoint.size >= size)
        {
            return Ok(false);
        }
        let cp = Checkpoint {
            origin: self.signer.name().into(),
            size,
            root,
        };
        let note = cp.sign(&self.signer);
        // Stored before it is served: a served checkpoint can always be proved against later.
        store.put_checkpoint(size, note.clone())?;
        let signed = checkpoint::open(&note, &self.signer.verifier()).expect("our own note opens");
        *self.latest.write().unwrap() = Some(signed);
        Ok(true)
    }
}

/// Issues checkpoints every second while the log grows, until the server closes.
pub async fn checkpoints(st: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut closing = st.closing.subscribe();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = closing.changed() => break,
        }
        let s = st.clone();
        let r = tokio::task::spawn_blocking(move || s.log.checkpoint_now(s.store.as_ref())).await;
        match r {
            Ok(Ok(true)) => {
                st.metrics.checkpoints.inc();
                let size = checkpoint_size(&st);
                st.metrics.log_size.set(size as i64);
            }
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "checkpoint not issued"),
            Err(e) => tracing::warn!(error = %e, "checkpoint task failed"),
        }
    }
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn b64_list(hashes: &[truceline_log::Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

fn out_of_range(field: &'static str, e: truceline_store::StoreError) -> ApiError {
    match e {
        truceline_store::StoreError::OutOfRange(m) => {
            ApiError::new(StatusCode::BAD_REQUEST, "out_of_range", m).field(field)
        }
        e => ApiError::store(e),
    }
}

fn number(field: &'static str, v: &Option<String>) -> Result<Option<u64>, ApiError> {
    v.as_deref()
        .map(|s| {
            s.parse::<u64>().map_err(|_| {
                crate::bad_param(field, format!("expected a whole number, found {s:?}"))
            })
        })
        .transpose()
}

/// The size proofs default to: the latest checkpoint's, so a proof checks against a signed root.
fn checkpoint_size(st: &AppState) -> u64 {
    st.log
        .latest
        .read()
        .unwrap()
        .as_ref()
        .map_or(0, |c| c.checkpoint.size)
}

pub async fn key(State(st): State<Arc<AppState>>) -> Response {
    text(format!("{}\n", st.log.signer.verifier().encode()))
}

#[derive(Deserialize)]
pub struct CheckpointParams {
    size: Option<String>,
}

pub async fn get_checkpoint(
    State(st): State<Arc<AppState>>,
    Query(p): Query<CheckpointParams>,
) -> Result<Response, ApiError> {
    match number("size", &p.size)? {
        None => match st.log.latest.read().unwrap().as_ref() {
            Some(c) => Ok(text(c.to_note())),
            None => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_checkpoint",
                "no checkpoint has been issued yet; try again in a second",
            )),
        },
        Some(size) => {
            let store = st.store.clone();
            let note = blocking(move || store.checkpoint_at(size)).await?;
            note.map(text).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no checkpoint was issued at size {size}"),
                )
                .field("size")
            })
        }
    }
}

#[derive(Deserialize)]
pub struct InclusionParams {
    index: Option<String>,
    size: Option<String>,
}

pub async fn inclusion(
    State(st): State<Arc<AppState>>,
    Query(p): Query<InclusionParams>,
) -> Result<Json<Value>, ApiError> {
    let index = number("index", &p.index)?
        .ok_or_else(|| crate::bad_param("index", "required: the leaf's log index".into()))?;
    let size = number("size", &p.size)?.unwrap_or_else(|| checkpoint_size(&st));
    // A proof is a few dozen microseconds of reads from cache and one indexed statement:
    // cheaper inline than the hop to a blocking thread, which cost more than the proof itself.
    let hashes = st
        .store
        .inclusion_proof(index, size)
        .map_err(|e| out_of_range("index", e))?;
    Ok(Json(
        json!({"index": index, "size": size, "hashes": b64_list(&hashes)}),
    ))
}

#[derive(Deserialize)]
pub struct ConsistencyParams {
    from: Option<String>,
    to: Option<String>,
}

pub async fn consistency(
    State(st): State<Arc<AppState>>,
    Query(p): Query<ConsistencyParams>,
) -> Result<Json<Value>, ApiError> {
    let from = number("from", &p.from)?
        .ok_or_else(|| crate::bad_param("from", "required: the earlier tree size".into()))?;
    let to = number("to", &p.to)?.unwrap_or_else(|| checkpoint_size(&st));
    // Inline, as for inclusion proofs.
    let hashes = st
        .store
        .consistency_proof(from, to)
        .map_err(|e| out_of_range("from", e))?;
    Ok(Json(
        json!({"from": from, "to": to, "hashes": b64_list(&hashes)}),
    ))
}

#[derive(Deserialize)]
pub struct EntriesParams {
    start: Option<String>,
    end: Option<String>,
}

pub async fn entries(
    State(st): State<Arc<AppState>>,
    Query(p): Query<EntriesParams>,
) -> Result<Json<Value>, ApiError> {
    let start = number("start", &p.start)?.unwrap_or(0);
    let size = st.store.log_head().0;
    let end = number("end", &p.end)?
        .unwrap_or(size)
        .min(start.saturating_add(MAX_ENTRIES));
    let store = st.store.clone();
    let leaves = tokio::task::spawn_blocking(move || store.log_entries(start, end))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| out_of_range("end", e))?;
    let list: Vec<String> = leaves.iter().map(|l| B64.encode(l)).collect();
    Ok(Json(
        json!({"start": start, "end": start + list.len() as u64, "entries": list}),
    ))
}

/// `POST /log/cosignature`: a witness's cosigned checkpoint (the note with its cosignature
/// line). Kept when the checkpoint is one this log issued and the cosignature verifies with a
/// witness key in the registry.
pub async fn cosign(
    State(st): State<Arc<AppState>>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let bad =
        |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_cosignature", m).field("body");
    let theirs = checkpoint::open(&body, &st.log.signer.verifier())
        .map_err(|e| bad(format!("not a checkpoint signed by this log: {e}")))?;
    let size = theirs.checkpoint.size;
    let _one_at_a_time = st.log.cosigning.lock().await;
    let store = st.store.clone();
    let ours = blocking(move || store.checkpoint_at(size)).await?;
    let Some(ours) = ours else {
        return Err(bad(format!("this log issued no checkpoint at size {size}")));
    };
    let mut ours = checkpoint::open(&ours, &st.log.signer.verifier())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    if ours.note.text != theirs.note.text {
        return Err(bad(format!(
            "the checkpoint at size {size} is not the one this log issued"
        )));
    }
    let lines: String = theirs
        .note
        .signatures
        .iter()
        .map(|s| s.line.as_str())
        .collect();
    let mut added = Vec::new();
    for w in st.log.keys.witnesses() {
        if ours.add_cosignatures(&lines, &w).is_ok_and(|n| n > 0) {
            added.push(w.name().to_string());
        }
    }
    if added.is_empty()
        && !st
            .log
            .keys
            .witnesses()
            .iter()
            .any(|w| ours.note.verify(w).is_ok())
    {
        return Err(bad(
            "no cosignature verifies with a registered witness key; register it with `truceline keys add`".into(),
        ));
    }
    let note = ours.to_note();
    let store = st.store.clone();
    let n2 = note.clone();
    blocking(move || store.put_checkpoint(size, n2)).await?;
    {
        let mut latest = st.log.latest.write().unwrap();
        if latest.as_ref().is_some_and(|l| l.checkpoint.size == size) {
            *latest = Some(ours);
        }
    }
    tracing::info!(size, witnesses = ?added, "cosignature kept");
    Ok(Json(
        json!({"size": size, "added": added, "checkpoint": note}),
    ))
}
