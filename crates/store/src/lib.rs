//! Durable storage of what Truceline accepts.
//!
//! The contract is split by role — [`ObservationStore`], [`LogStore`], [`IncidentStore`],
//! [`ReportStore`], [`AccountStore`], and [`Store`] for all of them — and every implementation passes the same
//! [`conformance`] suite. [`SqliteStore`] is the embedded implementation, the zero-configuration default: one SQLite file in WAL mode in
//! the data directory, schema versioned by [`migrations`].
//!
//! **Durability.** A write is acknowledged only after its transaction has committed with
//! `synchronous = FULL`, i.e. after the write-ahead log is on disk. To keep that from costing a
//! disk flush per request, every write goes to one writer thread that takes all the requests that
//! queued while the previous commit was flushing and commits them together (group commit). Each
//! request runs under its own savepoint inside the shared transaction, so a request that is
//! refused (an id re-sent with other content) leaves no trace and does not affect the others.
//!
//! ```
//! use truceline_store::{NewObservation, ObservationStore, Outcome, SqliteStore};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path()).unwrap();
//! let obs = NewObservation {
//!     id: "op3-0001".into(), observer: "op3".into(), time_ms: 1_700_000_000_000,
//!     lon: 37.8, lat: 48.1, kind: "explosion".into(), body: br#"{"id":"op3-0001"}"#.to_vec(),
//!     leaf: None, salts: None,
//! };
//! let first = store.submit_blocking(vec![obs.clone()]).unwrap();
//! assert_eq!(first, vec![Outcome::Accepted { log_index: 0 }]);
//! // The same id with the same content again is a no-op.
//! let again = store.submit_blocking(vec![obs]).unwrap();
//! assert_eq!(again, vec![Outcome::Duplicate { log_index: 0 }]);
//! ```

mod check;
pub mod committed;
pub mod conformance;
mod log;
pub mod migrations;
mod pg;
mod sqlite;
mod verify;
mod writer;

use std::time::Duration;

pub use log::{AGREEMENT, MISSION_RECORD, OBSERVATION, RECORD_KINDS, REPORT};
pub use pg::PostgresStore;
pub use pg::redact as redact_url;
pub use sqlite::{SqliteStore, configure_writer};
pub use truceline_incident::IncidentRecord;
pub use truceline_log::Hash;
pub use verify::{LogProblem, LogReport, verify_log_at};

/// Name of the database file in a data directory.
pub const DB_FILE: &str = "truceline.db";

/// An accepted observation ready to store: the columns it is indexed by and its canonical body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewObservation {
    pub id: String,
    pub observer: String,
    /// `time`, in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The position it is indexed by (the event's location, else the observer's).
    pub lon: f64,
    pub lat: f64,
    pub kind: String,
    /// The observation in RFC 8785 canonical JSON, exactly as it will be served and logged.
    pub body: Vec<u8>,
    /// Its leaf hash in the evidence log, when already computed by [`NewObservation::hashed`]
    /// (on the caller's thread, so that the single writer does not spend its time committing
    /// and hashing); the writer commits the observation when absent.
    pub leaf: Option<Hash>,
    /// The salts of its committed form (see [`committed`]), made with `leaf`. A `leaf` given
    /// without salts logs the observation in the plain form `{"observation": body}`, as
    /// observations were logged before the committed form; only benchmarks and tests that
    /// measure the two forms against each other ask for it.
    pub salts: Option<Vec<u8>>,
}

impl NewObservation {
    /// Commits the observation and hashes its leaf now, on this thread. A body that is not a
    /// JSON object (nothing the service accepts) is left for the writer, which refuses it.
    pub fn hashed(mut self) -> NewObservation {
        if let Ok((salts, c)) = committed::commit_new(&self.body) {
            self.leaf = Some(truceline_log::leaf_hash(&c.committed));
            self.salts = Some(salts);
        }
        self
    }

    /// Hashes the leaf of the plain form, for measuring it against the committed form.
    pub fn hashed_plain(mut self) -> NewObservation {
        self.leaf = Some(truceline_log::leaf_hash(&truceline_log::leaf_bytes(
            OBSERVATION,
            &self.body,
        )));
        self.salts = None;
        self
    }
}

impl From<&truceline_observation::Observation> for NewObservation {
    fn from(o: &truceline_observation::Observation) -> Self {
        let p = o.position();
        NewObservation {
            id: o.id.clone(),
            observer: o.observer.clone(),
            time_ms: o.time.as_millisecond(),
            lon: p.lon,
            lat: p.lat,
            kind: o.kind.as_str().to_string(),
            body: o.canonical.clone(),
            leaf: None,
            salts: None,
        }
        .hashed()
    }
}

/// What became of one observation of an acknowledged request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Newly stored at this position of the append-only record sequence.
    Accepted { log_index: u64 },
    /// Already stored with the same content: nothing was written.
    Duplicate { log_index: u64 },
}

impl Outcome {
    pub fn log_index(self) -> u64 {
        match self {
            Outcome::Accepted { log_index } | Outcome::Duplicate { log_index } => log_index,
        }
    }
}

/// A stored observation as served back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub log_index: u64,
    /// Its place in the record sequence: the cursor a page resumes after.
    pub position: u64,
    /// When the store committed it, in milliseconds since the Unix epoch.
    pub received_ms: i64,
    pub body: Vec<u8>,
}

/// A filter over stored observations, in record order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// West, south, east, north, in degrees; inclusive.
    pub bbox: Option<[f64; 4]>,
    /// `time` at or after, in milliseconds.
    pub from_ms: Option<i64>,
    /// `time` before, in milliseconds.
    pub to_ms: Option<i64>,
    pub observer: Option<String>,
    pub limit: usize,
    /// Resume after this position (the cursor of the previous page).
    pub after: Option<u64>,
    /// Read at most this many positions past `after`: filters that match little then answer a
    /// short page (or none) whose `next` is the last position read, rather than read the whole
    /// store for one page. `None`: no bound.
    pub read: Option<u64>,
}

impl Query {
    /// The last position a page may read ([`read`](Self::read) past `after`), if bounded.
    pub(crate) fn read_bound(&self) -> Option<i64> {
        let after = self.after.map_or(0, |p| p as i64);
        self.read
            .map(|r| after.saturating_add(r.min(i64::MAX as u64) as i64))
    }
}

/// One page of a query and the cursor of the next, if there may be more.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<StoredObservation>,
    pub next: Option<u64>,
}

/// An incident as stored: its record and the log indices of its observations (so that a
/// report can cite the leaves without a lookup each).
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub record: IncidentRecord,
    pub leaves: Vec<u64>,
}

impl IncidentRow {
    /// A row as both stores keep it: the record and its leaves as JSON text.
    pub(crate) fn from_columns(body: &str, leaves: &str) -> Result<IncidentRow, StoreError> {
        let unreadable = |what: &str, e: serde_json::Error| {
            StoreError::Inconsistent(format!("a stored incident's {what} does not read: {e}"))
        };
        Ok(IncidentRow {
            record: serde_json::from_str(body).map_err(|e| unreadable("record", e))?,
            leaves: serde_json::from_str(leaves).map_err(|e| unreadable("leaves", e))?,
        })
    }
}

/// Refuses records of a kind the log does not know, naming the kinds it does.
pub(crate) fn check_record_kinds(records: &[NewRecord]) -> Result<(), StoreError> {
    match records
        .iter()
        .find(|r| !RECORD_KINDS.contains(&r.kind.as_str()))
    {
        Some(r) => Err(StoreError::OutOfRange(format!(
            "record kind {:?}: expected one of {}",
            r.kind,
            RECORD_KINDS.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The indexed columns of a stored incident: what comparisons between days read.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPoint {
    pub time_ms: i64,
    pub kind: String,
    pub subtype: Option<String>,
    pub count: u32,
    pub violations: u32,
    pub attributed: bool,
    pub control: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// Whether `lon`, `lat` is where the event was: false for an incident placed only at its
    /// observer's position, which no rule about a place can be judged by.
    pub placed: bool,
}

impl IncidentPoint {
    /// The columns a record is indexed by.
    pub fn of(r: &IncidentRecord) -> IncidentPoint {
        IncidentPoint {
            time_ms: r.time_ms(),
            kind: r.kind.as_str().to_string(),
            subtype: r.subtype.map(|s| s.as_str().to_string()),
            count: r.count,
            violations: r.violations.len() as u32,
            attributed: r.attribution.party.is_some(),
            control: r.place_control().map(str::to_string),
            lon: r.location.lon,
            lat: r.location.lat,
            placed: r.is_placed(),
        }
    }
}

/// A change to the stored incidents, applied in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentWrite {
    /// New or revised incidents (by id).
    pub upsert: Vec<IncidentRow>,
    /// Incidents fusion no longer produces (merged into others).
    pub remove: Vec<String>,
    /// Drop every stored incident first: `upsert` is the whole set.
    pub replace_all: bool,
    /// How many observations the incidents were fused from.
    pub fused_observations: u64,
    /// The record position of the last of them, when they are every observation up to it
    /// (what fusion read in record order): a later start reads on from there instead of
    /// fusing the whole store again. `None`: not known (the next start fuses it all).
    pub fused_through: Option<u64>,
}

/// What the stored incidents were fused from (see [`IncidentWrite`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fused {
    pub observations: u64,
    pub through: Option<u64>,
}

/// Stored incidents of one kind and subtype in a time window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub kind: String,
    pub subtype: Option<String>,
    pub incidents: u64,
    /// Sum of `count`: the events the incidents stand for.
    pub events: u64,
    pub violating_incidents: u64,
    pub violating_events: u64,
    pub attributed_incidents: u64,
}

impl Tally {
    /// Counts in one incident standing for `count` events.
    pub fn add(&mut self, count: u64, violating: bool, attributed: bool) {
        self.incidents += 1;
        self.events += count;
        self.violating_incidents += u64::from(violating);
        self.violating_events += if violating { count } else { 0 };
        self.attributed_incidents += u64::from(attributed);
    }

    /// Takes out one incident [`add`](Self::add) counted in.
    pub fn remove(&mut self, count: u64, violating: bool, attributed: bool) {
        let less = |x: &mut u64, by: u64| *x = x.saturating_sub(by);
        less(&mut self.incidents, 1);
        less(&mut self.events, count);
        less(&mut self.violating_incidents, u64::from(violating));
        less(
            &mut self.violating_events,
            if violating { count } else { 0 },
        );
        less(&mut self.attributed_incidents, u64::from(attributed));
    }
}

/// One observer active in one hour of a window: what coverage is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct ObserverHour {
    pub observer: String,
    /// Hours since the window's start.
    pub hour: i64,
    pub observations: u64,
    /// The observer's first observation in that hour (its position and source).
    pub first: Vec<u8>,
}

/// A report as published: its canonical record is a leaf of the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedReport {
    pub date: String,
    pub audience: String,
    /// Canonical JSON (RFC 8785): what is logged.
    pub record: Vec<u8>,
}

/// Totals for a dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub observations: u64,
    pub observers: u64,
    /// Observations by kind, most first.
    pub by_kind: Vec<(String, u64)>,
    /// The latest observation `time`, in milliseconds.
    pub latest_time_ms: Option<i64>,
}

/// An agreement version as stored: its files, so that the data directory says which agreement
/// its records were accepted under.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAgreement {
    pub version: u64,
    pub agreement_id: String,
    pub toml_name: String,
    /// (name, text) of the TOML file and every geometry file it names.
    pub files: Vec<(String, String)>,
}

/// What a consistency check of the whole store found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub observations: u64,
}

/// Timing of one group commit, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct CommitStats {
    /// From the start of the transaction to the end of the commit's flush.
    pub latency: Duration,
    /// Requests that shared the commit.
    pub requests: usize,
    /// Observations written (new ones only).
    pub rows: usize,
}

/// An account: a person or a device with one role (SPEC 5).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub name: String,
    /// `monitor`, `analyst`, `chief`, `liaison` or `witness`.
    pub role: String,
    /// A liaison's party.
    pub party: Option<String>,
    /// The observers a monitor may submit as (a glob: `*` any run, `?` one character); `None`
    /// for any.
    pub observers: Option<String>,
    /// The password's argon2id PHC string, for signing in from a browser.
    pub password: Option<String>,
    pub disabled: bool,
    pub created_ms: i64,
}

/// An API token as stored: never the secret, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Token {
    /// Public: names the token in lists and revocation.
    pub id: String,
    pub hash: [u8; 32],
    pub account: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// A change to accounts and tokens, applied in one transaction.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AccountWrite {
    /// A new account; refused with [`StoreError::Exists`] if the name is taken.
    Add(Account),
    /// Disables (or enables again) an account: its tokens and sessions stop working at once.
    SetDisabled {
        name: String,
        disabled: bool,
    },
    SetPassword {
        name: String,
        password: String,
    },
    /// A new token for an existing account.
    AddToken(Token),
    /// Revokes a token, at `at_ms`; refused with [`StoreError::NotFound`] if there is none.
    Revoke {
        id: String,
        at_ms: i64,
    },
    /// A browser session opened for an existing account (kept as its secret's SHA-256 only),
    /// open until `expires_ms`; sessions that ended before `now_ms` are let go with it.
    OpenSession {
        hash: [u8; 32],
        account: String,
        expires_ms: i64,
        now_ms: i64,
    },
    /// A session signed out; nothing if there is none.
    EndSession {
        hash: [u8; 32],
    },
}

impl AccountWrite {
    /// The refusal of a change whose account or token is not there.
    pub(crate) fn not_found(&self) -> StoreError {
        StoreError::NotFound(match self {
            AccountWrite::Revoke { id, .. } => format!("token {id:?}"),
            AccountWrite::SetDisabled { name, .. } | AccountWrite::SetPassword { name, .. } => {
                format!("account {name:?}")
            }
            AccountWrite::Add(a) => format!("account {:?}", a.name),
            AccountWrite::AddToken(t) => format!("account {:?}", t.account),
            AccountWrite::OpenSession { account, .. } => format!("account {account:?}"),
            AccountWrite::EndSession { .. } => "session".to_string(),
        })
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The id is stored with other content; the stored one is unchanged and nothing of the
    /// request was written.
    #[error("observation {id:?} is already stored with other content; the stored one is unchanged")]
    Conflict {
        /// Position of the refused observation in the submitted batch.
        index: usize,
        id: String,
    },
    #[error("the store is closed")]
    Closed,
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error(
        "the store's schema is version {found}, newer than this program knows ({known}); use a newer truceline"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the store is inconsistent: {0}")]
    Inconsistent(String),
    /// A commit failed (a full disk, a failing device): nothing of it is kept.
    #[error("a commit failed: {0}")]
    Unwritten(String),
    #[error("cannot create data directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    OutOfRange(String),
    /// A record the store cannot take as given (a body that is not a JSON object).
    #[error("{0}")]
    Invalid(String),
    #[error(
        "another truceline process is writing to {path} (it holds {path}/writer.lock); stop it, or go through its API"
    )]
    Busy { path: String },
    #[error("the store is open read-only: {0} needs the process that writes to it")]
    ReadOnly(&'static str),
    /// This server stands by for the store's writer (another server holds it).
    #[error(
        "this server stands by for the shared store's writer, another server: {0} goes to that server (or here again once this one has taken over)"
    )]
    Standby(&'static str),
    /// A standby queued the request for the store's writer, which has not logged it in time.
    #[error(
        "the request is queued for the shared store's writer, which has not logged it within {0} s; it stays queued and is logged when the writer takes it, so sending it again is safe (the same ids are duplicates)"
    )]
    Queued(u64),
    /// Whether the request was kept cannot be told (the database went away as it committed).
    #[error(
        "{0}: whether the request was kept cannot be told; sending it again is safe for observations and records kept by id (the same ids are duplicates)"
    )]
    Unknown(String),
    #[error(
        "another truceline process is the writer of {0}: it holds the store's advisory lock; stop it, or go through its API"
    )]
    Locked(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
}

/// A request's result, delivered when its commit is durable.
pub type Pending = tokio::sync::oneshot::Receiver<Result<Vec<Outcome>, StoreError>>;

/// Observations and the agreement versions they were accepted under.
///
/// Every store keeps the same guarantees, checked by [`conformance`]: acknowledged means
/// durable; a refused request leaves nothing behind; a record is its leaf in the log.
pub trait ObservationStore: Send + Sync {
    /// Queues a request; the receiver yields once it is durable (or refused).
    fn submit(&self, batch: Vec<NewObservation>) -> Pending;

    /// [`submit`](Self::submit) and wait.
    fn submit_blocking(&self, batch: Vec<NewObservation>) -> Result<Vec<Outcome>, StoreError> {
        self.submit(batch)
            .blocking_recv()
            .unwrap_or(Err(StoreError::Closed))
    }

    /// Stops taking writes, finishes every queued one and waits for the writer to exit; what
    /// was acknowledged is committed. Reads go on working.
    fn close(&self) {}

    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError>;
    /// An observation with the commitment its leaf holds, from which its fields are disclosed;
    /// `None` for the commitment when it was logged before the committed form.
    fn committed(
        &self,
        id: &str,
    ) -> Result<Option<(StoredObservation, Option<committed::Commitment>)>, StoreError>;
    fn query(&self, q: &Query) -> Result<Page, StoreError>;
    /// Every stored observation with `time` in `[from_ms, to_ms)`, in record order: a day for
    /// fusion, read through the time index whatever the store's size.
    fn observations_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StoredObservation>, StoreError>;
    /// The earliest and latest stored observation `time`, if any, milliseconds.
    fn time_span(&self) -> Result<Option<(i64, i64)>, StoreError>;
    /// The position of the last stored observation (a [`Query::after`] cursor) and how many
    /// observations are stored up to it, read together: where a reader that has seen
    /// everything so far resumes.
    fn high_water(&self) -> Result<(Option<u64>, u64), StoreError>;
    fn counts(&self) -> Result<Counts, StoreError>;

    /// Stores an agreement version unless it is the same as the latest; returns its version.
    fn put_agreement(&self, a: StoredAgreement) -> Result<u64, StoreError>;
    fn latest_agreement(&self) -> Result<Option<StoredAgreement>, StoreError>;

    /// Checks the whole store: the database's own integrity, an unbroken record sequence, and
    /// every body being the canonical observation its columns describe.
    fn check(&self) -> Result<CheckReport, StoreError>;
}

/// The evidence log as stored: its leaves are written with their records (by the other roles'
/// writes); this is how it is read, proved and checkpointed.
pub trait LogStore: Send + Sync {
    /// The log's committed size and root hash.
    fn log_head(&self) -> (u64, Hash);
    /// Whether this handle writes the store now: a standby (or a read-only handle) does not,
    /// and work that writes (fusion, checkpoints) waits until it does.
    fn writes(&self) -> bool {
        true
    }
    /// Told the log's size after every commit that grew it: readers wait on this instead of
    /// polling (online fusion, the checkpoint signer).
    fn watch_log(&self) -> tokio::sync::watch::Receiver<u64>;
    /// The root hash of the log when it had `size` leaves.
    fn log_root(&self, size: u64) -> Result<Hash, StoreError>;
    /// RFC 9162 inclusion proof of leaf `index` in the log of `size` leaves.
    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError>;
    /// RFC 9162 consistency proof between the log of `from` leaves and of `to` leaves.
    fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, StoreError>;
    /// The first log index from which observations are logged in the committed form (the
    /// log's size when the store took it up; 0 for a store that always had it).
    fn committed_from(&self) -> Result<u64, StoreError>;
    /// The exact bytes of leaves `start..end`.
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    /// The hashes of complete subtrees, each named by (level, position in the level; level 0
    /// the leaves), all within the committed log: what C2SP tiles are cut from.
    fn log_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError>;
    /// Keeps a signed checkpoint (replacing the one of the same size: cosignatures added).
    fn put_checkpoint(&self, size: u64, note: String) -> Result<(), StoreError>;
    /// The signed checkpoint issued at `size`, if one was.
    fn checkpoint_at(&self, size: u64) -> Result<Option<String>, StoreError>;
    /// The signed checkpoint of the largest size within this handle's log, if any.
    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError>;
    /// The rotations of the log's key announced in the log, in order, each with its handover
    /// checkpoint and the announcement's proof in it (see [`truceline_log::rotation`]).
    fn handovers(&self) -> Result<Vec<truceline_log::rotation::Handover>, StoreError>;
    /// Recomputes the log from the stored records and reports the first that differs.
    fn verify_log(
        &self,
        key: Option<&truceline_log::note::Verifier>,
    ) -> Result<LogReport, StoreError>;
}

/// Incidents as fusion last left them. They are derived, not records: replaced as fusion
/// revises them, never leaves of the log (each cites its observations' leaves).
pub trait IncidentStore: Send + Sync {
    /// Applies a change to the stored incidents.
    fn put_incidents(&self, w: IncidentWrite) -> Result<(), StoreError>;
    /// What the stored incidents were fused from; `None` if never fused.
    fn fused(&self) -> Result<Option<Fused>, StoreError>;
    /// Stored incidents with `time` in `[from_ms, to_ms)`, in (time, id) order, with their
    /// observations' log indices.
    fn incidents_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<IncidentRow>, StoreError>;
    /// A stored incident by id.
    fn incident(&self, id: &str) -> Result<Option<IncidentRow>, StoreError>;
    /// Up to `limit` stored incidents with `time` in `[from_ms, to_ms)` that come after `after`
    /// (a time and id) in (time, id) order: a page of a list that may span a year.
    fn incidents_after(
        &self,
        after: Option<(i64, &str)>,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<IncidentRow>, StoreError>;
    /// How many incidents are stored, and how many violations they hold in all.
    fn incident_totals(&self) -> Result<(u64, u64), StoreError>;
}

/// What daily reports read, and their publication records (leaves of the log).
pub trait ReportStore: Send + Sync {
    /// Tallies of the stored incidents in `[from_ms, to_ms)` by kind and subtype.
    fn incident_tallies(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Tally>, StoreError>;
    /// The indexed columns of the stored incidents in `[from_ms, to_ms)`, in time order.
    fn incident_points(&self, from_ms: i64, to_ms: i64) -> Result<Vec<IncidentPoint>, StoreError>;
    /// Observers that reported in each hour of `[from_ms, to_ms)`.
    fn observer_hours(&self, from_ms: i64, to_ms: i64) -> Result<Vec<ObserverHour>, StoreError>;
    /// Stores a published report and logs it; returns its log index.
    fn publish_report(&self, r: PublishedReport) -> Result<u64, StoreError>;
    /// Reports published for a date: (audience, record, log index), in publication order.
    fn published_reports(&self, date: &str) -> Result<Vec<(String, Vec<u8>, u64)>, StoreError>;
}

/// Accounts and their tokens: who may do what.
pub trait AccountStore: Send + Sync {
    /// A count that moves whenever this handle's writer applies account or token changes made
    /// through another handle (a standby's, handed over by the shared store's intake): odd
    /// while such a change is being committed (a cache keeps nothing read then), and a cache of
    /// accounts or tokens kept beside the store is stale once it has moved. Stores where every
    /// change goes through the handle itself leave it at 0.
    fn accounts_changed(&self) -> u64 {
        0
    }
    /// Applies a change, durably, before returning.
    fn write_accounts(&self, w: AccountWrite) -> Result<(), StoreError>;
    fn account(&self, name: &str) -> Result<Option<Account>, StoreError>;
    /// Every account, by name.
    fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// The token whose secret hashes to `hash`, with its account, whatever their state (the
    /// caller judges expiry, revocation and a disabled account).
    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(Token, Account)>, StoreError>;
    /// The account a browser session (by its secret's SHA-256) belongs to and when it ends:
    /// kept in the store, so that every server of a shared store knows it, and a restart
    /// signs no one out.
    fn session(&self, hash: &[u8; 32]) -> Result<Option<(String, i64)>, StoreError>;
    /// Tokens, of one account or all, by id.
    fn tokens(&self, account: Option<&str>) -> Result<Vec<Token>, StoreError>;
}

/// A record the mission keeps in the evidence log besides observations and reports: analysts'
/// decisions, parties' replies, batches of the audit trail, vessels' behaviours found in AIS.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    /// What it is: one of [`RECORD_KINDS`].
    pub kind: String,
    /// What it is about (an incident id), if anything.
    pub subject: Option<String>,
    /// The account that made it.
    pub account: String,
    pub time_ms: i64,
    /// Canonical JSON (RFC 8785): what is logged.
    pub record: Vec<u8>,
}

/// A kept record, with its leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub kind: String,
    pub subject: Option<String>,
    pub account: String,
    pub time_ms: i64,
    pub record: Vec<u8>,
    pub log_index: u64,
}

/// Which records are kept: `(kind, subject or any, [from_ms, to_ms))`.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery<'a> {
    pub kind: &'a str,
    pub subject: Option<&'a str>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// At most this many, the newest (still answered oldest first): what a server reads back
    /// at start without reading a year of them.
    pub newest: Option<usize>,
    /// Only those logged after this log index: what a server that read them before follows.
    pub after: Option<u64>,
}

/// One of the mission's other records (SPEC 6) to keep: checked and canonical.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMissionRecord {
    pub id: String,
    /// Its type: `site`, `inspection`, `restriction`, `casualty`, `damage`, `hazard`, `window`.
    pub kind: String,
    pub time_ms: i64,
    /// The account that sent it.
    pub account: String,
    /// Canonical JSON (RFC 8785): what is logged.
    pub body: Vec<u8>,
}

/// A kept mission record, with its leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMissionRecord {
    pub id: String,
    pub kind: String,
    pub time_ms: i64,
    pub account: String,
    pub received_ms: i64,
    pub body: Vec<u8>,
    pub log_index: u64,
}

/// Which mission records: of these types (all when empty), in `[from_ms, to_ms)`, sent by one
/// account, after a log index (the cursor), at most `limit`, in log order.
#[derive(Debug, Clone, Default)]
pub struct MissionQuery {
    pub kinds: Vec<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub account: Option<String>,
    pub after: Option<u64>,
    pub limit: usize,
}

/// The mission's records other than observations, each a log leaf.
pub trait RecordStore: Send + Sync {
    /// Keeps and logs records in one commit, in order; returns their log indices.
    fn append_records(&self, records: Vec<NewRecord>) -> Result<Vec<u64>, StoreError>;
    /// Records of one kind, oldest first.
    fn records(&self, q: &RecordQuery<'_>) -> Result<Vec<StoredRecord>, StoreError>;
    /// Keeps the mission records of one request, all or nothing, as observations are kept: an
    /// id sent again with the same canonical content is a no-op answered with its first log
    /// index, with other content a [`StoreError::Conflict`] that leaves nothing written.
    fn submit_mission_records(
        &self,
        batch: Vec<NewMissionRecord>,
    ) -> Result<Vec<Outcome>, StoreError>;
    /// Mission records, in log order.
    fn mission_records(&self, q: &MissionQuery) -> Result<Vec<StoredMissionRecord>, StoreError>;
    /// One mission record by its id.
    fn mission_record(&self, id: &str) -> Result<Option<StoredMissionRecord>, StoreError>;
    /// Keeps a value under `key` in place of the last, durably: the service's state that must
    /// outlive a restart but is not a record of the log (the AIS tracks under way).
    fn put_state(&self, key: &str, value: Vec<u8>) -> Result<(), StoreError>;
    /// The value last kept under `key`.
    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Where a store is: the embedded store's data directory, or a PostgreSQL database (the
/// schema its tables are in: `truceline` unless the URL says `?schema=NAME`).
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    Dir(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

impl Location {
    /// `--store URL` (`postgres://…`, `postgresql://…`, or `sqlite:///path/to/dir`) if given,
    /// else the data directory `data`.
    pub fn parse(data: &std::path::Path, store: Option<&str>) -> Result<Location, StoreError> {
        let Some(url) = store else {
            return Ok(Location::Dir(data.to_path_buf()));
        };
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Location::Dir(path.into()));
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Invalid(format!(
                "--store {url:?}: expected postgres://user@host:port/database[?schema=NAME] or sqlite:///path/to/dir"
            )));
        }
        // `schema` is ours, not the driver's: taken out of the query before it connects.
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut schema = "truceline".to_string();
        let rest: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| match p.strip_prefix("schema=") {
                Some(s) => {
                    schema = s.to_string();
                    false
                }
                None => true,
            })
            .collect();
        let url = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        Ok(Location::Postgres { url, schema })
    }

    /// Opens the store as its one writer, making it if there is none yet.
    pub fn open(&self, on_commit: CommitHookFn) -> Result<std::sync::Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Dir(d) => std::sync::Arc::new(SqliteStore::open_with(d, on_commit)?),
            Location::Postgres { url, schema } => {
                std::sync::Arc::new(PostgresStore::open_in(url, schema, on_commit)?)
            }
        })
    }

    /// Opens the store for a server: as its writer, or, when another server writes a shared
    /// store, standing by to take over (see [`PostgresStore::open_or_stand_by`]).
    pub fn open_server(
        &self,
        on_commit: CommitHookFn,
    ) -> Result<std::sync::Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Dir(_) => self.open(on_commit)?,
            Location::Postgres { url, schema } => {
                std::sync::Arc::new(PostgresStore::open_or_stand_by(url, schema, on_commit)?)
            }
        })
    }

    /// Opens the store for reading beside the process that writes it.
    pub fn open_read_only(&self) -> Result<std::sync::Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Dir(d) => std::sync::Arc::new(SqliteStore::open_read_only(d)?),
            Location::Postgres { url, schema } => {
                std::sync::Arc::new(PostgresStore::open_read_only(url, schema)?)
            }
        })
    }

    /// Verifies the log without opening the store for writing: a store whose log no longer
    /// matches its records cannot be appended to, but must still say what is wrong.
    pub fn verify_log(
        &self,
        key: Option<&truceline_log::note::Verifier>,
    ) -> Result<LogReport, StoreError> {
        match self {
            Location::Dir(d) => verify_log_at(d, key),
            Location::Postgres { url, schema } => {
                PostgresStore::open_read_only(url, schema)?.verify_log(key)
            }
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::Postgres { url, schema } => {
                write!(f, "{} (schema {schema})", pg::redact(url))
            }
        }
    }
}

/// Called after every group commit with its timing.
pub type CommitHookFn = std::sync::Arc<dyn Fn(CommitStats) + Send + Sync>;

/// A whole store: every role. What the service holds; each part of it asks only for the role
/// it needs.
pub trait Store:
    ObservationStore + LogStore + IncidentStore + ReportStore + AccountStore + RecordStore
{
}

impl<
    T: ObservationStore + LogStore + IncidentStore + ReportStore + AccountStore + RecordStore + ?Sized,
> Store for T
{
}
