//! Online fusion: the published incidents, kept current as observations arrive, at a cost that
//! does not grow with history.
//!
//! Fusion runs by UTC day (`truceline_fusion::fuse_day`, the definition the batch engine uses
//! too, so the published incidents are the batch incidents of the same observations whatever
//! order they arrived in). Whenever the store's log grows (the store announces it; nothing
//! polls), a round reads the observations recorded since the last and fuses again only the
//! days they fall in — and the day before, when one falls in the next day's first minutes,
//! which that day's fusion looks into. An incident is published once its association window
//! has closed — once the latest observation is later than the incident's last by the window —
//! and republished (on the stream too) whenever a late observation changes it.
//!
//! Only the current and the previous day are held in memory, observations and incidents; an
//! older day is closed, its incidents final in the store. An observation that arrives late for
//! a closed day reopens that day alone: it is read back from the store, fused again, written
//! and let go. The doors read incidents older than the held days from the store. Rounds rest
//! at least a second and twice as long as the last took (at most five seconds), so fusion
//! never takes more than a third of a core from intake.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use truceline_agreement::Agreement;
use truceline_fusion::{DAY_MS, day_of, lookahead_ms};
use truceline_incident::IncidentRecord;
use truceline_observation::{Observation, Vocabulary};
use truceline_store::{
    IncidentRow, IncidentWrite, ObservationStore, Query, Store, StoreError, StoredObservation,
};
use truceline_zones::ZoneEngine;

/// What is published now, of the days held in memory.
#[derive(Debug, Default)]
pub struct Published {
    /// Published incidents of the held days, in (time, id) order.
    pub incidents: Vec<IncidentRecord>,
    pub by_id: HashMap<String, usize>,
    /// The latest observation time fused, milliseconds.
    pub watermark_ms: Option<i64>,
    /// Incidents whose window is still open (not yet published).
    pub pending: usize,
    /// Observations read by fusion, in all.
    pub observations: u64,
    /// Incidents earlier than this are in the store only (closed days); `None` before the
    /// first round.
    pub live_from_ms: Option<i64>,
    /// The days (see `truceline_fusion::day_of`) the last round fused.
    pub fused_days: Vec<i64>,
    /// How the first round began; `None` before it.
    pub start: Option<Start>,
}

/// How fusion took up the store's incidents when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// They were fused from every stored observation.
    Current,
    /// They were fused from every observation up to a record position, and this many were
    /// stored after it (while no server ran, by `import --data`, or as a stop cut a round
    /// short): those were read on from there, the days they fall in fused again like a late
    /// report's.
    ReadOn { observations: u64 },
    /// Where they stop was not known (never fused, or stored by an older version or an
    /// interrupted whole fusion): the whole store was fused again, day by day.
    Whole,
}

/// What listeners to the published incidents are told.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new or changed published incident, as its JSON.
    Incident(String),
    /// The id of a published incident that is no more (merged into another, or withdrawn).
    Removed(String),
    /// New mission records were kept: those who show them read them again.
    Records,
}

/// The engine and what it needs: the agreement, its zones, its vocabulary.
pub struct Fuser {
    pub agreement: Agreement,
    pub engine: ZoneEngine,
    pub vocab: Vocabulary,
    pub config: truceline_fusion::Config,
}

/// One day fused: its incidents judged, what the next day must leave out.
struct DayFused {
    /// Each incident with the latest time of its observations, milliseconds.
    incidents: Vec<(IncidentRecord, i64)>,
    /// Observation id to log index, for citing leaves.
    leaves: HashMap<String, u64>,
    /// Ids of the next day's observations the day's incidents took.
    claims: Vec<String>,
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

    /// Fuses and judges `day`: `input` holds the day's observations the day before did not
    /// claim and the next day's of the lookahead, `leaf_of` their log indices.
    fn fuse_day(&self, day: i64, input: &[Observation], leaf_of: &[u64]) -> DayFused {
        let f = truceline_fusion::fuse_day(input, day, &self.config);
        let records =
            truceline_assess::assess_records(&self.agreement, &self.engine, &f.incidents, input);
        let latest: HashMap<&str, i64> = input
            .iter()
            .map(|o| (o.id.as_str(), o.time_end.unwrap_or(o.time).as_millisecond()))
            .collect();
        let incidents = records
            .into_iter()
            .map(|r| {
                let last = r
                    .observations
                    .iter()
                    .filter_map(|id| latest.get(id.as_str()))
                    .copied()
                    .max()
                    .unwrap_or(i64::MIN);
                (r, last)
            })
            .collect();
        DayFused {
            incidents,
            leaves: input
                .iter()
                .zip(leaf_of)
                .map(|(o, l)| (o.id.clone(), *l))
                .collect(),
            claims: f.claimed.iter().map(|&i| input[i].id.clone()).collect(),
        }
    }

    /// Fuses a whole store day by day and stores its incidents when they were fused from
    /// fewer observations than it holds (a store filled by `import --data`, or a server stopped
    /// before its next round). Holds one day at a time. Returns how many incidents were stored,
    /// `None` if they were current.
    pub fn fuse_store(&self, store: &dyn Store) -> Result<Option<usize>, StoreError> {
        let (last, total) = store.high_water()?;
        self.fuse_store_upto(store, last, total)
    }

    /// [`Fuser::fuse_store`] for a store read up to position `last`, which holds `total`
    /// observations there (its [`ObservationStore::high_water`], a count over every observation
    /// that the caller has taken already).
    fn fuse_store_upto(
        &self,
        store: &dyn Store,
        last: Option<u64>,
        total: u64,
    ) -> Result<Option<usize>, StoreError> {
        if store.fused()?.map(|f| f.observations) == Some(total) {
            return Ok(None);
        }
        let mut write = IncidentWrite {
            replace_all: true,
            ..Default::default()
        };
        let mut n = 0;
        if let Some((lo, hi)) = store.time_span()? {
            let ahead = lookahead_ms(&self.config);
            let mut claimed: HashSet<String> = HashSet::new();
            for day in day_of_ms(lo)..=day_of_ms(hi) {
                let (start, end) = (day * DAY_MS, (day + 1) * DAY_MS);
                let (mut input, mut leaf_of) = (Vec::new(), Vec::new());
                parse_into(
                    &self.vocab,
                    None,
                    store.observations_between(start, end)?,
                    last,
                    &mut input,
                    &mut leaf_of,
                );
                keep_unclaimed(&mut input, &mut leaf_of, &claimed);
                if input.is_empty() {
                    claimed.clear();
                    continue;
                }
                parse_into(
                    &self.vocab,
                    None,
                    store.observations_between(end, end + ahead)?,
                    last,
                    &mut input,
                    &mut leaf_of,
                );
                let fused = self.fuse_day(day, &input, &leaf_of);
                claimed = fused.claims.iter().cloned().collect();
                n += fused.incidents.len();
                write.upsert.extend(
                    fused
                        .incidents
                        .into_iter()
                        .map(|(r, _)| row(r, &fused.leaves)),
                );
                // Written a few days at a time: a year is not held at once. Until the last
                // write the store says it is not current, so an interrupted run starts again.
                if write.upsert.len() >= 50_000 {
                    store.put_incidents(std::mem::take(&mut write))?;
                }
            }
        }
        write.fused_observations = total;
        write.fused_through = last;
        store.put_incidents(write)?;
        Ok(Some(n))
    }
}

/// The vocabulary observations are checked against under an agreement: its parties and weapon
/// classes.
pub use truceline_report::vocabulary;

fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// An incident as the store keeps it, citing the log index of each of its observations.
fn row(record: IncidentRecord, leaves: &HashMap<String, u64>) -> IncidentRow {
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

/// Parses stored observations at or before position `upto` (none if `None`: nothing was stored
/// when reading began) into `obs` and `leaf_of`, taking what `parsed` holds of each body
/// instead of parsing it. Stored bodies were checked on the way in; one
/// that no longer reads (the agreement changed its vocabulary) is left out and said so.
fn parse_into(
    vocab: &Vocabulary,
    parsed: Option<&Parsed>,
    mut stored: Vec<StoredObservation>,
    upto: Option<u64>,
    obs: &mut Vec<Observation>,
    leaf_of: &mut Vec<u64>,
) {
    stored.retain(|o| upto.is_some_and(|u| o.position <= u));
    // What intake parsed, taken in one short hold of the lock (intake waits on it), the keys
    // made before it.
    let mut taken: Vec<Option<Observation>> = match parsed {
        Some(p) => {
            let keys: Vec<u64> = stored.iter().map(|o| p.key(&o.body)).collect();
            let mut held = p.held.lock().unwrap();
            keys.iter()
                .map(|k| held.remove(k).map(|(_, o)| o))
                .collect()
        }
        None => Vec::new(),
    };
    for (i, o) in stored.into_iter().enumerate() {
        if let Some(ob) = taken.get_mut(i).and_then(Option::take) {
            obs.push(ob);
            leaf_of.push(o.log_index);
            continue;
        }
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
}

/// Observations as intake parsed them, by their stored body, until fusion reads them back:
/// parsing a stored body again was a fifth of the server's work under batch intake. Bounded
/// ([`PARSED_MAX`]): when full, what has waited longer than [`PARSED_STALE`] is let go (a
/// duplicate the store turned away is never read back), and what still does not fit is not
/// held — fusion, which reads in record order, then takes what is held first and parses the
/// rest.
#[derive(Default)]
pub struct Parsed {
    held: Mutex<HashMap<u64, (std::time::Instant, Observation)>>,
    hasher: std::hash::RandomState,
}

/// The most observations [`Parsed`] holds: about 50 MB at the bodies' usual size.
pub const PARSED_MAX: usize = 100_000;

/// How long [`Parsed`] keeps an observation fusion has not read while others wait to be held.
pub const PARSED_STALE: Duration = Duration::from_secs(60);

impl Parsed {
    /// The body's key. A keyed hash: a sender cannot choose a body to collide with another's.
    fn key(&self, body: &[u8]) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, body)
    }

    /// Holds what each body (the canonical form of its observation) parses to.
    pub fn offer<'a>(&self, items: impl ExactSizeIterator<Item = (&'a [u8], &'a Observation)>) {
        let now = std::time::Instant::now();
        let n = items.len();
        // Copied before the lock is taken: fusion holds it while it reads a page.
        let keyed: Vec<(u64, (std::time::Instant, Observation))> = items
            .map(|(body, o)| (self.key(body), (now, o.clone())))
            .collect();
        let mut held = self.held.lock().unwrap();
        if held.len() + n > PARSED_MAX {
            held.retain(|_, (at, _)| now.duration_since(*at) < PARSED_STALE);
        }
        let room = PARSED_MAX.saturating_sub(held.len());
        held.extend(keyed.into_iter().take(room));
    }

    /// How many it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

/// Drops the observations the day before claimed.
fn keep_unclaimed(obs: &mut Vec<Observation>, leaf_of: &mut Vec<u64>, claimed: &HashSet<String>) {
    if claimed.is_empty() {
        return;
    }
    let (o, l) = std::mem::take(obs)
        .into_iter()
        .zip(std::mem::take(leaf_of))
        .filter(|(o, _)| !claimed.contains(&o.id))
        .unzip();
    (*obs, *leaf_of) = (o, l);
}

/// A day held in memory.
#[derive(Debug, Default)]
struct Day {
    /// Its own observations (`time` in the day), with their log indices.
    obs: Vec<Observation>,
    leaf_of: Vec<u64>,
    /// Ids of its observations the day before claimed.
    claimed_by_prev: HashSet<String>,
    /// Ids of the next day's observations it claimed when last fused.
    claims: Vec<String>,
    /// Its published incidents, as stored.
    published: HashMap<String, IncidentRecord>,
    /// Its incidents whose window is still open.
    pending: usize,
    /// To be fused again this round.
    dirty: bool,
}

/// Days a round has read back from the store (they hold what the round read) or found empty.
#[derive(Debug, Default)]
struct Seen {
    loaded: HashSet<i64>,
    absent: HashSet<i64>,
}

/// What fusion holds between rounds.
#[derive(Debug, Default)]
struct Engine {
    started: bool,
    /// The record position reading resumes after.
    after: Option<u64>,
    days: BTreeMap<i64, Day>,
    watermark: Option<i64>,
    observations: u64,
}

pub struct OnlineFusion {
    fuser: Fuser,
    pub state: RwLock<Published>,
    /// New, changed and removed incidents, for the live doors (`/stream`).
    pub events: broadcast::Sender<Change>,
    engine: Mutex<Engine>,
    /// The log's size when the latest successful round began, plus one (zero before the
    /// first): what fusion has caught up with, for health.
    progress: std::sync::atomic::AtomicU64,
    /// Whether a fusion thread was started.
    running: std::sync::atomic::AtomicBool,
    /// Bumped each time fusion has stored and published incidents: what was drawn from them
    /// before is stale.
    generation: std::sync::atomic::AtomicU64,
    /// What intake parsed, for the next round to take instead of parsing it again.
    pub parsed: Parsed,
    /// The most new observations a round reads ([`ROUND_READ`] but in tests).
    round_read: usize,
}

impl OnlineFusion {
    pub fn new(fuser: Fuser) -> OnlineFusion {
        OnlineFusion {
            fuser,
            state: RwLock::new(Published::default()),
            events: broadcast::channel(4096).0,
            engine: Mutex::new(Engine::default()),
            progress: Default::default(),
            running: Default::default(),
            generation: Default::default(),
            parsed: Parsed::default(),
            round_read: ROUND_READ,
        }
    }

    /// Rounds of at most `n` new observations (for tests of reading in parts).
    pub fn with_round_read(self, n: usize) -> OnlineFusion {
        OnlineFusion {
            round_read: n.max(1),
            ..self
        }
    }

    /// Whether its thread was started (`serve` without `--no-fusion`).
    pub fn running(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The log's size when the latest successful round began; `None` before the first ends.
    pub fn progress(&self) -> Option<u64> {
        self.progress
            .load(std::sync::atomic::Ordering::Relaxed)
            .checked_sub(1)
    }

    /// Changes whenever fusion has written incidents (a cache of anything drawn from them is
    /// keyed by it).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
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
    /// took (at most five seconds), so that fusion never takes more than a third of a core from
    /// intake.
    pub fn spawn(
        self: Arc<Self>,
        store: Arc<dyn Store>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let mut niced = false;
        self.running
            .store(true, std::sync::atomic::Ordering::Relaxed);
        crate::growth::spawn_on_growth(
            "online-fusion",
            store.watch_log(),
            stop,
            // At most five seconds: only a round that read a long history back (the first,
            // or one that reopened many days) takes long, and it is no reason to wait.
            |took| {
                Duration::from_secs(1)
                    .max(2 * took)
                    .min(Duration::from_secs(5))
            },
            move || {
                // Fusion runs once, on the store's writer; a standby waits to become it.
                if !store.writes() {
                    return Ok(false);
                }
                if !niced {
                    lower_priority();
                    niced = true;
                }
                let head = *store.watch_log().borrow();
                let r = self.refresh(store.as_ref());
                if r.is_ok() {
                    self.progress
                        .store(head + 1, std::sync::atomic::Ordering::Relaxed);
                }
                r
            },
        )
    }

    /// The first round: where the store's incidents stop (a whole fusion only when that is
    /// not known), then the latest two days read back to be held.
    fn start(&self, store: &dyn Store, e: &mut Engine) -> Result<Start, StoreError> {
        let (last, total) = store.high_water()?;
        let (start, after, fused) = match store.fused()? {
            Some(f) if f.observations == total => (Start::Current, last, total),
            // The rounds read on from there: in parts of `ROUND_READ`, each day a part falls in
            // read back and fused again, held only for that part.
            Some(f) if f.through.is_some() && f.observations < total => {
                let observations = total - f.observations;
                (Start::ReadOn { observations }, f.through, f.observations)
            }
            _ => {
                self.fuser.fuse_store_upto(store, last, total)?;
                (Start::Whole, last, total)
            }
        };
        (e.after, e.observations) = (after, fused);
        tracing::info!(?start, "fusion took up the stored incidents");
        if let Some((_, hi)) = store.time_span()? {
            e.watermark = Some(hi);
            let today = day_of_ms(hi);
            for d in [today - 1, today] {
                if let Some(day) = self.load_day(store, e, d)? {
                    e.days.insert(d, day);
                }
            }
        }
        e.started = true;
        Ok(start)
    }

    /// Reads a day back from the store: its observations up to the read position, and what
    /// its stored incidents say it published and claimed and what the day before claimed of it.
    /// `None` if it has no observations.
    fn load_day(&self, store: &dyn Store, e: &Engine, d: i64) -> Result<Option<Day>, StoreError> {
        let (start, end) = (d * DAY_MS, (d + 1) * DAY_MS);
        let mut day = Day {
            dirty: true,
            ..Day::default()
        };
        parse_into(
            &self.fuser.vocab,
            None,
            store.observations_between(start, end)?,
            e.after,
            &mut day.obs,
            &mut day.leaf_of,
        );
        if day.obs.is_empty() {
            return Ok(None);
        }
        let own: HashSet<&str> = day.obs.iter().map(|o| o.id.as_str()).collect();
        let ahead: HashSet<String> = self
            .lookahead(store, e, d)?
            .0
            .into_iter()
            .map(|o| o.id)
            .collect();
        // A day's incidents hold its observations and perhaps the next day's first; one that
        // also holds earlier observations is the day before's, which claimed those of this day.
        const MARGIN_MS: i64 = 3_600_000;
        for r in store.incidents_between(start - MARGIN_MS, end + MARGIN_MS)? {
            let ids = &r.record.observations;
            if !ids.iter().any(|id| own.contains(id.as_str())) {
                continue;
            }
            if ids
                .iter()
                .all(|id| own.contains(id.as_str()) || ahead.contains(id))
            {
                day.claims
                    .extend(ids.iter().filter(|id| ahead.contains(*id)).cloned());
                day.published.insert(r.record.id.clone(), r.record);
            } else {
                day.claimed_by_prev
                    .extend(ids.iter().filter(|id| own.contains(id.as_str())).cloned());
            }
        }
        day.claims.sort();
        Ok(Some(day))
    }

    /// The next day's observations of a day's lookahead, from memory or the store.
    fn lookahead(
        &self,
        store: &dyn Store,
        e: &Engine,
        d: i64,
    ) -> Result<(Vec<Observation>, Vec<u64>), StoreError> {
        let end = (d + 1) * DAY_MS;
        let limit = end + lookahead_ms(&self.fuser.config);
        let (mut obs, mut leaf_of) = (Vec::new(), Vec::new());
        match e.days.get(&(d + 1)) {
            Some(next) => {
                for (o, l) in next.obs.iter().zip(&next.leaf_of) {
                    if o.time.as_millisecond() < limit {
                        obs.push(o.clone());
                        leaf_of.push(*l);
                    }
                }
            }
            None => parse_into(
                &self.fuser.vocab,
                None,
                store.observations_between(end, limit)?,
                e.after,
                &mut obs,
                &mut leaf_of,
            ),
        }
        Ok((obs, leaf_of))
    }

    /// Makes sure day `d` is held (read back if it was let go); false if it has no
    /// observations. For one round, `seen` remembers the days read back (which already hold
    /// every observation read so far) and the days found empty.
    fn hold(
        &self,
        store: &dyn Store,
        e: &mut Engine,
        d: i64,
        seen: &mut Seen,
    ) -> Result<bool, StoreError> {
        if e.days.contains_key(&d) {
            return Ok(true);
        }
        if seen.absent.contains(&d) {
            return Ok(false);
        }
        match self.load_day(store, e, d)? {
            Some(day) => {
                e.days.insert(d, day);
                seen.loaded.insert(d);
                Ok(true)
            }
            None => {
                seen.absent.insert(d);
                Ok(false)
            }
        }
    }

    /// Reads what the store gained since the last round and fuses again the days it touched,
    /// in parts of at most [`ROUND_READ`] observations (a part may end a page of 10,000 later).
    /// Returns whether anything changed.
    pub fn refresh(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let mut guard = self.engine.lock().unwrap();
        let e = &mut *guard;
        let start = if e.started {
            None
        } else {
            Some(self.start(store, e)?)
        };
        let mut changed = false;
        loop {
            let (did, more) = self.round(store, e, start.filter(|_| !changed))?;
            changed |= did;
            if !more {
                return Ok(changed);
            }
        }
    }

    /// One round over at most [`ROUND_READ`] new observations (the first publishes, new or
    /// not, and says how it started). Returns whether anything changed and whether more are
    /// stored than it read.
    fn round(
        &self,
        store: &dyn Store,
        e: &mut Engine,
        first: Option<Start>,
    ) -> Result<(bool, bool), StoreError> {
        let (mut new, mut leaves) = (Vec::new(), Vec::new());
        let through_before = e.after;
        let more;
        (e.after, more) = read_observations_after(
            store,
            &self.fuser.vocab,
            Some(&self.parsed),
            e.after,
            self.round_read,
            &mut new,
            &mut leaves,
        )?;
        if new.is_empty() && first.is_none() {
            return Ok((false, more));
        }
        let started = std::time::Instant::now();
        let ahead = lookahead_ms(&self.fuser.config);
        // What the stored incidents were fused from until this round's are all written.
        let before = e.observations;
        e.observations += new.len() as u64;
        // Days read back now already hold what was just read.
        let mut seen = Seen::default();
        for (o, leaf) in new.into_iter().zip(leaves) {
            let latest = o.time_end.unwrap_or(o.time).as_millisecond();
            e.watermark = Some(e.watermark.map_or(latest, |w| w.max(latest)));
            let d = day_of(o.time);
            // The day before looks into this day's first minutes.
            if o.time.as_millisecond() < d * DAY_MS + ahead
                && self.hold(store, e, d - 1, &mut seen)?
                && let Some(prev) = e.days.get_mut(&(d - 1))
            {
                prev.dirty = true;
            }
            if !e.days.contains_key(&d) {
                self.hold(store, e, d, &mut seen)?;
                continue;
            }
            let day = e.days.get_mut(&d).expect("held");
            day.dirty = true;
            if !seen.loaded.contains(&d) {
                day.obs.push(o);
                day.leaf_of.push(leaf);
            }
        }
        let window_ms = (self.window_s() * 1000.0) as i64;
        let watermark = e.watermark;
        let published_by = |last: i64| watermark.is_some_and(|w| last + window_ms <= w);
        let mut write = IncidentWrite::default();
        let mut changes = Vec::new();
        let mut fused_days = Vec::new();
        // In day order: a day's claims change what the next day is given.
        while let Some(d) = e.days.iter().find(|(_, x)| x.dirty).map(|(d, _)| *d) {
            let (ahead_obs, ahead_leaves) = self.lookahead(store, e, d)?;
            let day = e.days.get_mut(&d).expect("held");
            let mut input = Vec::with_capacity(day.obs.len() + ahead_obs.len());
            let mut leaf_of = Vec::with_capacity(input.capacity());
            for (o, l) in day.obs.iter().zip(&day.leaf_of) {
                if !day.claimed_by_prev.contains(&o.id) {
                    input.push(o.clone());
                    leaf_of.push(*l);
                }
            }
            input.extend(ahead_obs);
            leaf_of.extend(ahead_leaves);
            let fused = self.fuser.fuse_day(d, &input, &leaf_of);
            fused_days.push(d);
            let mut now: HashMap<String, IncidentRecord> = HashMap::new();
            day.pending = 0;
            for (inc, last) in fused.incidents {
                // Once published, an incident stays so while fusion makes it (revised if a
                // late report changes it), rather than going back to pending.
                if !published_by(last) && !day.published.contains_key(&inc.id) {
                    day.pending += 1;
                    continue;
                }
                if day.published.get(&inc.id) != Some(&inc) {
                    write.upsert.push(row(inc.clone(), &fused.leaves));
                    changes.push(Change::Incident(
                        serde_json::to_string(&inc).expect("an incident record is JSON"),
                    ));
                }
                now.insert(inc.id.clone(), inc);
            }
            let mut gone: Vec<String> = day
                .published
                .keys()
                .filter(|id| !now.contains_key(*id))
                .cloned()
                .collect();
            gone.sort();
            for id in &gone {
                changes.push(Change::Removed(id.clone()));
            }
            write.remove.extend(gone);
            day.published = now;
            day.dirty = false;
            let mut claims = fused.claims;
            claims.sort();
            if claims != day.claims {
                day.claims = claims.clone();
                if self.hold(store, e, d + 1, &mut seen)? {
                    let next = e.days.get_mut(&(d + 1)).expect("held");
                    next.claimed_by_prev = claims.into_iter().collect();
                    next.dirty = true;
                }
            }
        }
        // An incident the same round removed from one day and gave to another is kept.
        let upserted: HashSet<&str> = write.upsert.iter().map(|r| r.record.id.as_str()).collect();
        write.remove.retain(|id| !upserted.contains(id.as_str()));
        write.fused_observations = e.observations;
        write.fused_through = e.after;
        if let Err(err) = put_in_parts(store, write, before, through_before) {
            // What the held days say they published is no longer what the store holds: start
            // again from the store at the next round.
            *e = Engine::default();
            return Err(err);
        }
        // Only the current day and the one before stay held.
        if let Some(w) = e.watermark {
            let keep_from = day_of_ms(w) - 1;
            e.days.retain(|d, _| *d >= keep_from);
        }
        let mut incidents: Vec<IncidentRecord> = e
            .days
            .values()
            .flat_map(|d| d.published.values().cloned())
            .collect();
        incidents.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        let by_id = incidents
            .iter()
            .enumerate()
            .map(|(k, v)| (v.id.clone(), k))
            .collect();
        let pending = e.days.values().map(|d| d.pending).sum();
        tracing::debug!(
            observations = e.observations,
            held_days = e.days.len(),
            published = incidents.len(),
            pending,
            seconds = started.elapsed().as_secs_f64(),
            "fused"
        );
        let mut state = self.state.write().unwrap();
        let start = first.or(state.start);
        let old = std::mem::replace(
            &mut *state,
            Published {
                incidents,
                by_id,
                watermark_ms: e.watermark,
                pending,
                observations: e.observations,
                live_from_ms: e.days.keys().next().map(|d| d * DAY_MS),
                fused_days,
                start,
            },
        );
        drop(state);
        // Let go of outside the lock: dropping a day of incidents takes a while.
        drop(old);
        // After the new incidents are both stored and published: a reader that saw the new
        // generation draws from them (one that drew from them under the old one is only
        // drawn again).
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        // Nobody listening is not an error.
        for c in changes {
            let _ = self.events.send(c);
        }
        Ok((true, more))
    }
}

/// The most new observations one round reads: what a round holds beyond its days is bounded
/// whatever was stored while fusion did not run (a year imported offline is read on in parts).
pub const ROUND_READ: usize = 250_000;

/// The most incidents one write of a round carries. A round's write shares the store's single
/// writer with intake, and each of its writes is part of one group commit: a day's 12,000
/// incidents written at once held up the observations committed with them by 160 ms; in parts
/// of this size, by about 7 ms each.
pub const INCIDENTS_PER_WRITE: usize = 500;

/// Stores a round's incidents in parts of [`INCIDENTS_PER_WRITE`]. Only the last part records
/// what the incidents were fused from; the others keep what the previous round's were (`before`
/// observations, through `through_before`): a crash between parts leaves the store saying
/// where its incidents stopped, and the next start reads on from there, fusing the days of
/// this round again.
fn put_in_parts(
    store: &dyn Store,
    mut write: IncidentWrite,
    before: u64,
    through_before: Option<u64>,
) -> Result<(), StoreError> {
    if !write.replace_all {
        while write.upsert.len() > INCIDENTS_PER_WRITE {
            let rest = write.upsert.split_off(INCIDENTS_PER_WRITE);
            let part = std::mem::replace(&mut write.upsert, rest);
            store.put_incidents(IncidentWrite {
                upsert: part,
                remove: Vec::new(),
                replace_all: false,
                fused_observations: before,
                fused_through: through_before,
            })?;
        }
    }
    store.put_incidents(write)
}

/// Appends the stored observations after record position `after` that still read under
/// `vocab`, in record order, with their log indices, to `obs` and `leaf_of`, a page of 10,000
/// at a time until at least `max` were read; returns the position the next read resumes after
/// and whether more may be stored after it.
pub fn read_observations_after(
    store: &dyn ObservationStore,
    vocab: &Vocabulary,
    parsed: Option<&Parsed>,
    after: Option<u64>,
    max: usize,
    obs: &mut Vec<Observation>,
    leaf_of: &mut Vec<u64>,
) -> Result<(Option<u64>, bool), StoreError> {
    let had = obs.len();
    let mut q = Query {
        limit: max.clamp(1, 10_000),
        after,
        ..Query::default()
    };
    let mut last = after;
    loop {
        let page = store.query(&q)?;
        if let Some(o) = page.items.last() {
            last = Some(o.position);
        }
        parse_into(vocab, parsed, page.items, Some(u64::MAX), obs, leaf_of);
        match page.next {
            Some(_) if obs.len() - had >= max => return Ok((last, true)),
            Some(n) => q.after = Some(n),
            None => return Ok((last, false)),
        }
    }
}

/// Lets this thread run only on what the rest of the process leaves of the CPU (Linux:
/// `SCHED_IDLE` for the calling thread alone; nice 10 where that is refused). Fusion's rounds can
/// wait: under a burst of intake they give way to it whole and catch up after, rather than take
/// a share of the cores (with nice 10 they took a quarter of the server's CPU and a fifth of its
/// batch intake, `bench/ingest/run.sh`). What fusion holds while it runs is held briefly: the
/// published state is swapped, not built, under its lock, and intake's parsed observations are
/// taken in one short hold.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid, sched_setscheduler and setpriority name one thread by its id; the
    // parameters live across the calls.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::pid_t;
        let p = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(tid, libc::SCHED_IDLE, &p) != 0 {
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(id: &str, bearing: f64) -> (Vec<u8>, Observation) {
        let vocab = Vocabulary::new(["ua", "ru"], Vec::<String>::new());
        let text = format!(
            r#"{{"id":"{id}","observer":"op1","source":"post","time":"2026-11-18T11:06:40Z","kind":"explosion","subtype":"impact","observer_position":{{"lon":37.5,"lat":48.0}},"bearing_deg":{bearing},"bearing_sigma_deg":5}}"#
        );
        let o = truceline_observation::parse(text.as_bytes(), &vocab).unwrap();
        (truceline_store::NewObservation::from(&o).body, o)
    }

    fn stored(body: &[u8], position: u64) -> StoredObservation {
        StoredObservation {
            log_index: position,
            position,
            received_ms: 0,
            body: body.to_vec(),
        }
    }

    #[test]
    fn what_intake_parsed_is_taken_once_and_what_it_did_not_is_parsed() {
        let vocab = Vocabulary::new(["ua", "ru"], Vec::<String>::new());
        let parsed = Parsed::default();
        let (body_a, a) = observation("a", 10.0);
        let (body_b, b) = observation("b", 20.0);
        // Held under a's body, an observation that is not what a's body parses to: so that
        // the test can tell which of the two fusion was given.
        let (_, marker) = observation("marker", 30.0);
        parsed.offer([(body_a.as_slice(), &marker)].into_iter());
        assert_eq!(parsed.len(), 1);
        // Reads a's and b's stored bodies as fusion does.
        let read = || {
            let (mut obs, mut leaf_of) = (Vec::new(), Vec::new());
            let page = vec![stored(&body_a, 1), stored(&body_b, 2)];
            let upto = Some(u64::MAX);
            parse_into(&vocab, Some(&parsed), page, upto, &mut obs, &mut leaf_of);
            (obs, leaf_of)
        };
        let (obs, leaf_of) = read();
        assert_eq!(obs, vec![marker, b.clone()]);
        assert_eq!(leaf_of, vec![1, 2]);
        assert_eq!(parsed.len(), 0, "taken, not copied");
        // Read again (a day read back), it is parsed from the store.
        let (obs, _) = read();
        assert_eq!(obs, vec![a, b]);
    }

    #[test]
    fn it_holds_no_more_than_its_bound() {
        let parsed = Parsed::default();
        let (_, o) = observation("x", 10.0);
        let bodies: Vec<Vec<u8>> = (0..PARSED_MAX + 10)
            .map(|i| format!("body {i}").into_bytes())
            .collect();
        parsed.offer(bodies.iter().map(|b| (b.as_slice(), &o)));
        assert_eq!(parsed.len(), PARSED_MAX);
        // Full of what is not yet stale: more is not held.
        parsed.offer([(b"one more".as_slice(), &o)].into_iter());
        assert_eq!(parsed.len(), PARSED_MAX);
    }
}
