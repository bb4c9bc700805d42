//! Online fusion: the published incidents, kept current as observations arrive.
//!
//! Whenever the store's log grows (the store announces it; nothing polls), the whole store is
//! fused again with the same engine `truceline fuse` runs, so the published incidents are the
//! batch incidents of the same observations, whatever order they arrived in. An incident is
//! published once its association window has closed — once the latest observation is later
//! than the incident's last observation by the window — and republished (on the stream too)
//! whenever a late observation changes it. Rounds rest at least a second and twice as long as
//! the last took, so fusion never takes more than a third of a core from intake.
//!
//! The store only grows, so each round reads only the observations recorded since the last and
//! keeps them parsed; fusing everything again costs time in proportion to the store: about
//! 0.3 s for a day of 36,770 observations on one core.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use truceline_agreement::Agreement;
use truceline_incident::IncidentRecord;
use truceline_observation::{Observation, Vocabulary};
use truceline_store::{IncidentRow, IncidentWrite, ObservationStore, Query, Store, StoreError};
use truceline_zones::ZoneEngine;

/// What is published now.
#[derive(Debug, Default)]
pub struct Published {
    /// Published incidents in (time, id) order.
    pub incidents: Vec<IncidentRecord>,
    pub by_id: HashMap<String, usize>,
    /// The latest observation time fused, milliseconds.
    pub watermark_ms: Option<i64>,
    /// Incidents whose window is still open (not yet published).
    pub pending: usize,
    /// Observations the published incidents were fused from.
    pub observations: u64,
    /// Encodings of every published incident kept for the doors that serve them whole (the
    /// map's columns, JSON and binary): each dashboard that opens asks for them all, and a new
    /// `Published` starts without them.
    pub encoded: [std::sync::OnceLock<bytes::Bytes>; 2],
}

/// What listeners to the published incidents are told.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new or changed published incident, as its JSON.
    Incident(String),
    /// The id of a published incident that is no more (merged into another, or withdrawn).
    Removed(String),
}

/// The engine and what it needs: the agreement, its zones, its vocabulary.
pub struct Fuser {
    pub agreement: Agreement,
    pub engine: ZoneEngine,
    pub vocab: Vocabulary,
    pub config: truceline_fusion::Config,
}

/// What one fusion made, borrowing the ids of the observations it was made from.
#[derive(Debug, Default)]
pub struct Fused<'a> {
    /// Every incident, published or not, in incident order.
    pub incidents: Vec<IncidentRecord>,
    /// Observation id to log index, for citing leaves.
    pub leaves: HashMap<&'a str, u64>,
    /// Each observation's id and latest time (its `time_end`, else `time`), milliseconds.
    pub latest_ms: HashMap<&'a str, i64>,
    /// Observations fused.
    pub observations: u64,
}

impl Fuser {
    pub fn new(agreement: Agreement) -> Result<Fuser, truceline_zones::EngineError> {
        let engine = ZoneEngine::new(&agreement)?;
        let vocab = vocabulary(&agreement);
        Ok(Fuser {
            agreement,
            engine,
            vocab,
            config: truceline_fusion::Config::default(),
        })
    }

    /// Fuses `obs` (with their log indices) into assessed incidents.
    pub fn fuse<'a>(&self, obs: &'a [Observation], leaf_of: &[u64]) -> Fused<'a> {
        let incidents =
            truceline_assess::fuse_and_assess(&self.agreement, &self.engine, obs, &self.config);
        Fused {
            incidents,
            leaves: obs
                .iter()
                .zip(leaf_of)
                .map(|(o, l)| (o.id.as_str(), *l))
                .collect(),
            latest_ms: obs
                .iter()
                .map(|o| (o.id.as_str(), o.time_end.unwrap_or(o.time).as_millisecond()))
                .collect(),
            observations: obs.len() as u64,
        }
    }

    /// Fuses a whole store and stores its incidents when they were fused from fewer
    /// observations than it holds (a store filled by `import --data`, or a server stopped
    /// before its next round). Returns how many incidents were stored, `None` if they were
    /// current.
    pub fn fuse_store(&self, store: &dyn Store) -> Result<Option<usize>, StoreError> {
        let total = store.counts()?.observations;
        if store.fused_observations()? == Some(total) {
            return Ok(None);
        }
        let (mut obs, mut leaf_of) = (Vec::new(), Vec::new());
        read_observations_after(store, &self.vocab, None, &mut obs, &mut leaf_of)?;
        let fused = self.fuse(&obs, &leaf_of);
        let n = fused.incidents.len();
        let upsert = fused
            .incidents
            .iter()
            .map(|r| row(r.clone(), &fused.leaves))
            .collect();
        store.put_incidents(IncidentWrite {
            upsert,
            replace_all: true,
            fused_observations: total,
            ..Default::default()
        })?;
        Ok(Some(n))
    }
}

/// The vocabulary observations are checked against under an agreement: its parties and weapon
/// classes.
pub fn vocabulary(agreement: &Agreement) -> Vocabulary {
    Vocabulary::new(
        agreement.parties.iter().map(|p| p.id.clone()),
        agreement.weapon_classes.iter().map(|w| w.id.clone()),
    )
}

/// An incident as the store keeps it, citing the log index of each of its observations.
fn row(record: IncidentRecord, leaves: &HashMap<&str, u64>) -> IncidentRow {
    let cited = record
        .observations
        .iter()
        .filter_map(|o| leaves.get(o.as_str()).copied())
        .collect();
    IncidentRow {
        record,
        leaves: cited,
    }
}

pub struct OnlineFusion {
    fuser: Fuser,
    pub state: RwLock<Published>,
    /// New, changed and removed incidents, for the live doors (`/stream`).
    pub events: broadcast::Sender<Change>,
    /// The observations read so far, and whether the store's incidents have been brought in
    /// line with this process's once (the first write replaces them all, later ones only what
    /// changed).
    read: Mutex<Read>,
}

/// Observations read from the store, parsed, with their log indices, and the record position
/// reading resumes after.
#[derive(Debug, Default)]
struct Read {
    obs: Vec<Observation>,
    leaf_of: Vec<u64>,
    after: Option<u64>,
    synced: bool,
}

impl OnlineFusion {
    pub fn new(fuser: Fuser) -> OnlineFusion {
        OnlineFusion {
            fuser,
            state: RwLock::new(Published::default()),
            events: broadcast::channel(4096).0,
            read: Mutex::new(Read::default()),
        }
    }

    /// The engine it runs.
    pub fn fuser(&self) -> &Fuser {
        &self.fuser
    }

    /// The association window: an incident is published once the latest observation is this
    /// much later than its last.
    pub fn window_s(&self) -> f64 {
        self.fuser.config.window_s()
    }

    /// Fuses again whenever the store's log grows, until `stop` turns true, on a thread of its
    /// own at a lower scheduling priority, so that acknowledging observations always comes
    /// first. Between rounds it rests at least a second and twice as long as the last round
    /// took, so that fusion never takes more than a third of a core from intake.
    pub fn spawn(
        self: Arc<Self>,
        store: Arc<dyn Store>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let mut niced = false;
        crate::growth::spawn_on_growth(
            "online-fusion",
            store.watch_log(),
            stop,
            |took| Duration::from_secs(1).max(2 * took),
            move || {
                if !niced {
                    lower_priority();
                    niced = true;
                }
                self.refresh(store.as_ref()).map(drop)
            },
        )
    }

    /// One round: reads what the store gained since the last and, if anything, fuses again.
    /// Returns whether it did.
    pub fn refresh(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let mut read = self.read.lock().unwrap();
        let read = &mut *read;
        let before = read.obs.len();
        read.after = read_observations_after(
            store,
            &self.fuser.vocab,
            read.after,
            &mut read.obs,
            &mut read.leaf_of,
        )?;
        if read.obs.len() == before && read.synced {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let fused = self.fuser.fuse(&read.obs, &read.leaf_of);
        let watermark = fused.latest_ms.values().copied().max();
        let window_ms = (self.window_s() * 1000.0) as i64;
        let mut published = Vec::new();
        let mut pending = 0;
        for inc in fused.incidents {
            let last = inc
                .observations
                .iter()
                .filter_map(|id| fused.latest_ms.get(id.as_str()))
                .copied()
                .max()
                .unwrap_or(i64::MIN);
            if watermark.is_some_and(|w| last + window_ms <= w) {
                published.push(inc);
            } else {
                pending += 1;
            }
        }
        let by_id: HashMap<String, usize> = published
            .iter()
            .enumerate()
            .map(|(k, v)| (v.id.clone(), k))
            .collect();
        let replace_all = !read.synced;
        let mut write = IncidentWrite {
            replace_all,
            fused_observations: fused.observations,
            ..Default::default()
        };
        {
            let before = self.state.read().unwrap();
            for inc in &published {
                let changed = before
                    .by_id
                    .get(&inc.id)
                    .is_none_or(|&k| before.incidents[k] != *inc);
                if changed || replace_all {
                    write.upsert.push(row(inc.clone(), &fused.leaves));
                }
                if changed {
                    // Nobody listening is not an error.
                    let json = serde_json::to_string(inc).expect("an incident record is JSON");
                    let _ = self.events.send(Change::Incident(json));
                }
            }
            write.remove = before
                .by_id
                .keys()
                .filter(|id| !by_id.contains_key(*id))
                .cloned()
                .collect();
            write.remove.sort();
            for id in &write.remove {
                let _ = self.events.send(Change::Removed(id.clone()));
            }
        }
        store.put_incidents(write)?;
        read.synced = true;
        tracing::debug!(
            observations = fused.observations,
            published = published.len(),
            pending,
            seconds = started.elapsed().as_secs_f64(),
            "fused"
        );
        *self.state.write().unwrap() = Published {
            incidents: published,
            by_id,
            watermark_ms: watermark,
            pending,
            observations: fused.observations,
            encoded: Default::default(),
        };
        Ok(true)
    }
}

/// Appends the stored observations after record position `after` that still read under
/// `vocab`, in record order, with their log indices, to `obs` and `leaf_of`; returns the
/// position the next read resumes after.
pub fn read_observations_after(
    store: &dyn ObservationStore,
    vocab: &Vocabulary,
    after: Option<u64>,
    obs: &mut Vec<Observation>,
    leaf_of: &mut Vec<u64>,
) -> Result<Option<u64>, StoreError> {
    let mut q = Query {
        limit: 10_000,
        after,
        ..Query::default()
    };
    let mut last = after;
    loop {
        let page = store.query(&q)?;
        for o in &page.items {
            last = Some(o.position);
            // Stored bodies were checked on the way in; one that no longer reads (the
            // agreement changed its vocabulary) is left out and said so.
            match truceline_observation::parse(&o.body, vocab) {
                Ok(ob) => {
                    obs.push(ob);
                    leaf_of.push(o.log_index);
                }
                Err(e) => {
                    tracing::warn!(log_index = o.log_index, error = %e, "observation left out of fusion")
                }
            }
        }
        match page.next {
            Some(n) => q.after = Some(n),
            None => return Ok(last),
        }
    }
}

/// Lowers this thread's scheduling priority (Linux: nice 10 for the calling thread alone).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take no pointers; on Linux a thread id names one thread.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}
