//! The evidence log's lifecycle: signing checkpoints as the log grows, keeping witnesses'
//! cosignatures, and proving records against a signed checkpoint.
//!
//! A checkpoint is signed only when the log has grown, and stored before it is served, so a
//! checkpoint anyone has seen can always be proved against later.

use std::sync::RwLock;

use truceline_log::checkpoint::{self, Checkpoint, SignedCheckpoint};
use truceline_log::note::Signer;
use truceline_store::{LogStore, StoreError};

use crate::keys::KeyRegistry;

/// The log's signing side: its key, its latest checkpoint with the cosignatures collected for
/// it, and the registry of keys that sign observations and cosign checkpoints.
pub struct LogState {
    pub signer: Signer,
    pub keys: KeyRegistry,
    /// The latest checkpoint, with the cosignatures collected for it.
    pub latest: RwLock<Option<SignedCheckpoint>>,
    /// One cosignature is merged into a stored checkpoint at a time, so two witnesses
    /// cosigning together both keep theirs.
    cosigning: std::sync::Mutex<()>,
    /// Checkpoints this process has signed, for metrics.
    issued: std::sync::atomic::AtomicU64,
}

impl LogState {
    pub fn new(signer: Signer, keys: KeyRegistry, store: &dyn LogStore) -> LogState {
        let latest = store
            .latest_checkpoint()
            .ok()
            .flatten()
            .and_then(|(_, note)| checkpoint::open(&note, &signer.verifier()).ok());
        LogState {
            signer,
            keys,
            latest: RwLock::new(latest),
            cosigning: std::sync::Mutex::new(()),
            issued: Default::default(),
        }
    }

    /// Signs and stores a checkpoint if the log has grown since the last one; blocking.
    pub fn checkpoint_now(&self, store: &dyn LogStore) -> Result<bool, StoreError> {
        if !store.writes() {
            // A standby signs nothing: it serves the checkpoints its writer signs (with the same
            // key; one that does not open with it is not served).
            if let Some((size, note)) = store.latest_checkpoint()?
                && self
                    .latest
                    .read()
                    .unwrap()
                    .as_ref()
                    .is_none_or(|c| c.checkpoint.size < size)
                && let Ok(signed) = checkpoint::open(&note, &self.signer.verifier())
            {
                *self.latest.write().unwrap() = Some(signed);
            }
            return Ok(false);
        }
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
        self.issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(true)
    }
}

/// Why a cosignature was not kept.
#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    #[error("not a checkpoint signed by this log: {0}")]
    NotOurs(String),
    #[error("this log issued no checkpoint at size {0}")]
    NoSuchSize(u64),
    #[error("the checkpoint at size {0} is not the one this log issued")]
    Different(u64),
    #[error(
        "no cosignature verifies with a registered witness key; register it with `truceline keys add`"
    )]
    UnknownWitness,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A cosignature kept: the checkpoint's size, the witnesses newly added, and the note as now
/// served.
#[derive(Debug, Clone)]
pub struct Cosigned {
    pub size: u64,
    pub added: Vec<String>,
    pub note: String,
}

impl LogState {
    /// How many checkpoints this process has signed.
    pub fn issued(&self) -> u64 {
        self.issued.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The size of the latest signed checkpoint: what proofs default to.
    pub fn checkpoint_size(&self) -> u64 {
        self.latest
            .read()
            .unwrap()
            .as_ref()
            .map_or(0, |c| c.checkpoint.size)
    }

    /// Keeps a witness's cosignature of a checkpoint this log issued (the note with its
    /// cosignature lines), when it verifies with a witness key in the registry; blocking.
    pub fn cosign(&self, store: &dyn LogStore, body: &str) -> Result<Cosigned, CosignError> {
        self.cosign_with(store, body, &self.keys.witnesses())
    }

    /// [`cosign`](Self::cosign) with the cosignatures of `witnesses` (the keys of the witnesses
    /// the log pushes its checkpoints to, given at start).
    pub fn cosign_with(
        &self,
        store: &dyn LogStore,
        body: &str,
        witnesses: &[truceline_log::note::Verifier],
    ) -> Result<Cosigned, CosignError> {
        let theirs = checkpoint::open(body, &self.signer.verifier())
            .map_err(|e| CosignError::NotOurs(e.to_string()))?;
        let size = theirs.checkpoint.size;
        // One cosignature is merged into a stored checkpoint at a time, so two witnesses
        // cosigning together both keep theirs.
        let _one_at_a_time = self.cosigning.lock().unwrap();
        let ours = store
            .checkpoint_at(size)?
            .ok_or(CosignError::NoSuchSize(size))?;
        let mut ours = checkpoint::open(&ours, &self.signer.verifier())
            .map_err(|e| StoreError::Inconsistent(format!("a stored checkpoint: {e}")))?;
        if ours.note.text != theirs.note.text {
            return Err(CosignError::Different(size));
        }
        let lines: String = theirs
            .note
            .signatures
            .iter()
            .map(|s| s.line.as_str())
            .collect();
        let mut added = Vec::new();
        for w in witnesses {
            if ours.add_cosignatures(&lines, w).is_ok_and(|n| n > 0) {
                added.push(w.name().to_string());
            }
        }
        if added.is_empty() && !witnesses.iter().any(|w| ours.note.verify(w).is_ok()) {
            return Err(CosignError::UnknownWitness);
        }
        let note = ours.to_note();
        store.put_checkpoint(size, note.clone())?;
        {
            let mut latest = self.latest.write().unwrap();
            if latest.as_ref().is_some_and(|l| l.checkpoint.size == size) {
                *latest = Some(ours);
            }
        }
        tracing::info!(size, witnesses = ?added, "cosignature kept");
        Ok(Cosigned { size, added, note })
    }
}

/// Signs a checkpoint whenever the log has grown, at most once a second, until `stop` turns
/// true: every acknowledged record is under a signed checkpoint within a second.
pub(crate) fn spawn_checkpoints(
    service: std::sync::Arc<crate::Service>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    crate::growth::spawn_on_growth(
        "checkpoints",
        service.store.watch_log(),
        stop,
        |_| std::time::Duration::from_secs(1),
        // Rests only after signing: at most one checkpoint a second.
        move || {
            // Every server follows the decisions and replies the others keep (a standby signs
            // nothing but shows them; a writer that took over has those kept just before):
            // only the records new since the last read, one indexed query.
            if let Err(e) = service.follow_reviews() {
                tracing::warn!(error = %e, "decisions and replies of other servers not followed");
            }
            let r = service.log.checkpoint_now(service.store.as_ref());
            match &r {
                Ok(true) => service.trackers.writes.ok(),
                Ok(false) => {}
                Err(e) => service.trackers.writes.failed(e),
            }
            r
        },
    )
}

impl crate::Service {
    /// A C2SP tlog-tiles file of the log by its path below `tile/`: a hash tile's hashes, or an
    /// entry bundle. A tile not yet complete in the committed log is not found (every tile
    /// served is final, partial ones included); an entry too long for a bundle's `u16` length
    /// is named, to be read one by one from `/log/entries`. Blocking.
    pub fn log_tile(&self, path: &str) -> Result<Vec<u8>, crate::ServiceError> {
        use truceline_log::tiles::{Tile, entry_bundle};
        let tile = Tile::parse(path).map_err(|e| crate::ServiceError::Invalid {
            field: "path",
            message: e.to_string(),
        })?;
        let size = self.store.log_head().0;
        if !tile.within(size) {
            return Err(crate::ServiceError::NotFound {
                what: "tile in a log of this size",
                id: tile.path(),
            });
        }
        match tile {
            Tile::Hashes { .. } => Ok(self
                .store
                .log_nodes(&tile.nodes().collect::<Vec<_>>())?
                .iter()
                .flat_map(|h| h.iter().copied())
                .collect()),
            Tile::Entries { n, width } => {
                let first = n * truceline_log::tiles::TILE_WIDTH;
                let end = first + u64::from(width);
                let entries = self.store.log_entries(first, end)?;
                entry_bundle(first, entries.iter().map(Vec::as_slice)).map_err(|e| {
                    crate::ServiceError::Invalid {
                        field: "path",
                        message: format!(
                            "{e}; read the entries of this bundle from /api/v1/log/entries?start={first}&end={end}"
                        ),
                    }
                })
            }
        }
    }
}
