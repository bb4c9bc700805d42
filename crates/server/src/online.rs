//! Online fusion: the server's incidents, kept current as observations arrive.
//!
//! Whenever the store has gained observations (at most every second, and resting twice as long
//! as the last round took), the whole store is fused again with the same engine `truceline fuse`
//! runs, so the server's incidents are the batch incidents of the same observations, whatever
//! order they arrived in. An incident is published once its
//! association window has closed — once the latest observation is later than the incident's
//! last observation by the window — and republished (on the stream too) whenever a late
//! observation changes it.
//!
//! The store only grows, so each round reads only the observations recorded since the last and
//! keeps them parsed; fusing everything again costs time in proportion to the store: about
//! 0.3 s for a day of 36,770 observations on this machine's core (reading them all from the
//! store, the first round, another 0.14 s). An incremental engine is the next step; this one is
//! the reference it will be tested against.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::broadcast;
use truceline_agreement::Agreement;
use truceline_observation::{Observation, Vocabulary};
use truceline_store::{ObservationStore, Query};
use truceline_zones::ZoneEngine;

/// What is published now.
#[derive(Debug, Default)]
pub struct Published {
    /// Published incidents in (time, id) order.
    pub incidents: Vec<Value>,
    pub by_id: HashMap<String, usize>,
    /// The latest observation time fused, milliseconds.
    pub watermark_ms: Option<i64>,
    /// Incidents whose window is still open (not yet published).
    pub pending: usize,
    /// Observations in the store when last fused.
    pub observations: u64,
    /// `/api/v1/map/incidents` of every incident, JSON and binary, drawn on first request: each
    /// dashboard that opens asks for them all, and a new `Published` starts without them.
    pub map_columns: [std::sync::OnceLock<axum::body::Bytes>; 2],
}

/// What `/api/v1/stream` tells listeners.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new or changed published incident, as its JSON.
    Incident(String),
    /// The id of a published incident that is no more (merged into another, or withdrawn).
    Removed(String),
}

pub struct OnlineFusion {
    agreement: Agreement,
    engine: ZoneEngine,
    vocab: Vocabulary,
    config: truceline_fusion::Config,
    pub state: RwLock<Published>,
    /// New and changed incidents, as JSON text, for `/stream`.
    pub events: broadcast::Sender<Change>,
    /// Whether the store's incidents have been brought in line with this process's once; the
    /// first write replaces them all, later ones only what changed.
    synced: AtomicBool,
    /// The observations read so far.
    read: Mutex<Read>,
}

/// Observations read from the store, parsed, with their log indices, and the record position
/// reading resumes after.
#[derive(Debug, Default)]
struct Read {
    obs: Vec<Observation>,
    leaf_of: Vec<u64>,
    after: Option<u64>,
}

impl OnlineFusion {
    pub fn new(agreement: Agreement, engine: ZoneEngine, vocab: Vocabulary) -> OnlineFusion {
        OnlineFusion {
            agreement,
            engine,
            vocab,
            config: truceline_fusion::Config::default(),
            state: RwLock::new(Published::default()),
            events: broadcast::channel(4096).0,
            synced: AtomicBool::new(false),
            read: Mutex::new(Read::default()),
        }
    }

    /// Fuses again while `stop` is unset, whenever the store has grown. Between rounds it rests
    /// at least a second and twice as long as the last round took, so that fusion never takes
    /// more than a third of a core from intake; and it runs at a lower scheduling priority, so
    /// that acknowledging observations always comes first.
    pub fn run(&self, store: &dyn ObservationStore, stop: &AtomicBool) {
        lower_priority();
        while !stop.load(Ordering::Relaxed) {
            let started = std::time::Instant::now();
            if let Err(e) = self.refresh(store) {
                tracing::warn!(error = %e, "online fusion failed; retrying");
            }
            let rest = Duration::from_secs(1).max(2 * started.elapsed());
            let until = std::time::Instant::now() + rest;
            while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// One round: fuse the store if it has changed since the last. Returns whether it did.
    pub fn refresh(
        &self,
        store: &dyn ObservationStore,
    ) -> Result<bool, truceline_store::StoreError> {
        let total = store.counts()?.observations;
        if total == self.state.read().unwrap().observations {
            return Ok(false);
        }
        let reading = std::time::Instant::now();
        let mut read = self.read.lock().unwrap();
        let read = &mut *read;
        read.after = read_observations_after(
            store,
            &self.vocab,
            read.after,
            &mut read.obs,
            &mut read.leaf_of,
        )?;
        let (obs, leaf_of) = (&read.obs, &read.leaf_of);
        let read_seconds = reading.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let incidents =
            truceline_assess::fuse_and_assess(&self.agreement, &self.engine, obs, &self.config);
        let time_of: HashMap<&str, i64> = obs
            .iter()
            .map(|o| (o.id.as_str(), o.time_end.unwrap_or(o.time).as_millisecond()))
            .collect();
        let watermark = time_of.values().copied().max();
        let window_ms = (self.config.window_s() * 1000.0) as i64;
        let mut published = Vec::new();
        let mut pending = 0;
        for inc in incidents {
            let last = inc["observations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| id.as_str().and_then(|id| time_of.get(id)))
                .copied()
                .max()
                .unwrap_or(i64::MIN);
            if watermark.is_some_and(|w| last + window_ms <= w) {
                published.push(inc);
            } else {
                pending += 1;
            }
        }
        let leaves = leaves_by_id(obs, leaf_of);
        let by_id: HashMap<String, usize> = published
            .iter()
            .enumerate()
            .filter_map(|(k, v)| v["id"].as_str().map(|id| (id.to_string(), k)))
            .collect();
        let replace_all = !self.synced.load(Ordering::Relaxed);
        let mut write = truceline_store::IncidentWrite {
            replace_all,
            fused_observations: total,
            ..Default::default()
        };
        {
            let before = self.state.read().unwrap();
            for inc in &published {
                let id = inc["id"].as_str().unwrap_or_default();
                let changed = before
                    .by_id
                    .get(id)
                    .is_none_or(|&k| before.incidents[k] != *inc);
                if changed || replace_all {
                    match incident_row(inc, &leaves) {
                        Ok(row) => write.upsert.push(row),
                        Err(e) => tracing::warn!(error = %e, "incident not stored"),
                    }
                }
                if changed {
                    // Nobody listening is not an error.
                    let _ = self.events.send(Change::Incident(inc.to_string()));
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
        self.synced.store(true, Ordering::Relaxed);
        tracing::debug!(
            observations = obs.len(),
            published = published.len(),
            pending,
            read_seconds,
            seconds = started.elapsed().as_secs_f64(),
            "fused"
        );
        *self.state.write().unwrap() = Published {
            incidents: published,
            by_id,
            watermark_ms: watermark,
            pending,
            observations: total,
            map_columns: Default::default(),
        };
        Ok(true)
    }
}

/// Every stored observation that still reads under `vocab`, in record order, with its log
/// index: what fusion runs on.
pub fn read_observations(
    store: &dyn ObservationStore,
    vocab: &Vocabulary,
) -> Result<(Vec<Observation>, Vec<u64>), truceline_store::StoreError> {
    let (mut obs, mut leaf_of) = (Vec::new(), Vec::new());
    read_observations_after(store, vocab, None, &mut obs, &mut leaf_of)?;
    Ok((obs, leaf_of))
}

/// As [`read_observations`], for the records after position `after`, appended to `obs` and
/// `leaf_of`; returns the position the next read resumes after.
pub fn read_observations_after(
    store: &dyn ObservationStore,
    vocab: &Vocabulary,
    after: Option<u64>,
    obs: &mut Vec<Observation>,
    leaf_of: &mut Vec<u64>,
) -> Result<Option<u64>, truceline_store::StoreError> {
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

/// Observation id to log index, for [`incident_row`].
pub fn leaves_by_id<'a>(obs: &'a [Observation], leaf_of: &[u64]) -> HashMap<&'a str, u64> {
    obs.iter()
        .zip(leaf_of)
        .map(|(o, l)| (o.id.as_str(), *l))
        .collect()
}

/// An incident as the store keeps it, citing the log index of each of its observations
/// (`leaves`: observation id to log index).
pub fn incident_row(
    inc: &Value,
    leaves: &HashMap<&str, u64>,
) -> Result<truceline_store::IncidentRow, truceline_store::StoreError> {
    let cited = inc["observations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.as_str().and_then(|o| leaves.get(o)).copied())
        .collect();
    truceline_store::IncidentRow::from_json(inc, cited)
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

/// Runs online fusion on a thread of its own until `stop` is set.
pub fn spawn(
    fusion: Arc<OnlineFusion>,
    store: Arc<dyn ObservationStore>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("online-fusion".into())
        .spawn(move || fusion.run(store.as_ref(), &stop))
}
