//! The shared store: PostgreSQL with PostGIS, for a deployment where more than one process or
//! machine reads the records. The same contract as the embedded store (the conformance suite),
//! built the same way: one writer connection with group commit grows the log's frontier, a
//! pool of reader connections serves everything else.
//!
//! **One writer.** The log has one frontier, so one process writes: the writer connection
//! holds a PostgreSQL advisory lock for the store's schema while it lives, and a second
//! process that opens the store for writing is refused with [`StoreError::Locked`] (it may
//! still read), or stands by ([`PostgresStore::open_or_stand_by`]) and hands what it is sent to
//! write to the writer through the intake (see `intake`). Acknowledged means committed: PostgreSQL's own `synchronous_commit = on` and
//! `fsync` make a commit durable before it returns.
//!
//! **Spatial.** Observations and incidents carry a PostGIS point (a generated column) with a GiST
//! index: bounding-box queries use it.
//!
//! Everything lives in one schema (`truceline` unless told), so one database may hold several
//! stores (the tests make one a test).

mod intake;
mod reads;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use postgres::{Client, GenericClient, NoTls};
use truceline_log::Frontier;

use crate::log::{
    AGREEMENT, Leaf, LeafRows, MISSION_RECORD, OBSERVATION, RECORD_KINDS, REPORT, RecordLeaf,
    agreement_record, leaf_row,
};
use crate::writer::{CommitHook, GroupCommit, Head, Job, JobResult, Writer, now_ms};
use crate::*;

/// Readers kept open for reuse.
const MAX_IDLE_READERS: usize = 8;

/// Migration `i` takes the schema from version `i` to `i + 1`; never edited once released.
const MIGRATIONS: &[&str] = &[
    // 1: everything the embedded store's ten migrations built, at once. Text compared or
    // ordered by the store is in the "C" collation, so that ordering is by bytes whatever the
    // database's locale, as in the embedded store.
    r#"CREATE TABLE observations (
         seq BIGINT PRIMARY KEY,            -- log index + 1
         id TEXT COLLATE "C" NOT NULL UNIQUE,
         observer TEXT COLLATE "C" NOT NULL,
         time_ms BIGINT NOT NULL,
         lon DOUBLE PRECISION NOT NULL,
         lat DOUBLE PRECISION NOT NULL,
         geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
         kind TEXT COLLATE "C" NOT NULL,
         received_ms BIGINT NOT NULL,
         body BYTEA NOT NULL,               -- RFC 8785 canonical JSON, as accepted
         hashes BYTEA,                      -- leaf hash, then the subtree hashes it completes
         salts BYTEA                        -- the committed form's salts (SPEC 4.2)
     );
     CREATE INDEX observations_time ON observations (time_ms, observer);
     CREATE INDEX observations_observer ON observations (observer, time_ms);
     CREATE INDEX observations_geom ON observations USING GIST (geom);
     CREATE TABLE agreements (
         version BIGINT PRIMARY KEY,
         agreement_id TEXT NOT NULL,
         toml_name TEXT NOT NULL,
         files TEXT NOT NULL,
         stored_ms BIGINT NOT NULL,
         log_index BIGINT
     );
     CREATE TABLE log_records (
         idx BIGINT PRIMARY KEY,
         kind TEXT NOT NULL,
         record BIGINT NOT NULL,
         hashes BYTEA NOT NULL
     );
     CREATE TABLE checkpoints (
         size BIGINT PRIMARY KEY,
         note TEXT NOT NULL,
         issued_ms BIGINT NOT NULL
     );
     CREATE TABLE incidents (
         id TEXT COLLATE "C" PRIMARY KEY,
         time_ms BIGINT NOT NULL,
         kind TEXT COLLATE "C" NOT NULL,
         subtype TEXT COLLATE "C",
         count BIGINT NOT NULL,
         violations BIGINT NOT NULL,
         attributed BOOLEAN NOT NULL,
         control TEXT,
         lon DOUBLE PRECISION NOT NULL,
         lat DOUBLE PRECISION NOT NULL,
         geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
         body TEXT NOT NULL,
         leaves TEXT NOT NULL
     );
     CREATE INDEX incidents_time_id ON incidents (time_ms, id);
     CREATE INDEX incidents_geom ON incidents USING GIST (geom);
     CREATE TABLE store_state (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
     INSERT INTO store_state (key, value) VALUES ('committed_from', 0);
     CREATE TABLE reports (
         id BIGSERIAL PRIMARY KEY,
         date TEXT NOT NULL,
         audience TEXT NOT NULL,
         record BYTEA NOT NULL,
         log_index BIGINT NOT NULL,
         published_ms BIGINT NOT NULL
     );
     CREATE INDEX reports_date ON reports (date);
     CREATE TABLE accounts (
         name TEXT COLLATE "C" PRIMARY KEY,
         role TEXT NOT NULL,
         party TEXT,
         observers TEXT,
         password TEXT,
         disabled BOOLEAN NOT NULL DEFAULT false,
         created_ms BIGINT NOT NULL
     );
     CREATE TABLE tokens (
         id TEXT COLLATE "C" PRIMARY KEY,
         hash BYTEA NOT NULL UNIQUE,        -- SHA-256 of the secret; never the secret
         account TEXT COLLATE "C" NOT NULL REFERENCES accounts(name),
         created_ms BIGINT NOT NULL,
         expires_ms BIGINT,
         revoked_ms BIGINT
     );
     CREATE TABLE records (
         id BIGSERIAL PRIMARY KEY,
         kind TEXT NOT NULL,
         subject TEXT,
         account TEXT NOT NULL,
         time_ms BIGINT NOT NULL,
         record BYTEA NOT NULL,
         log_index BIGINT NOT NULL
     );
     CREATE INDEX records_subject ON records (kind, subject, time_ms);
     CREATE INDEX records_time ON records (kind, time_ms);
     CREATE TABLE observation_kinds (kind TEXT COLLATE "C" PRIMARY KEY, n BIGINT NOT NULL);
     CREATE TABLE mission_records (
         seq BIGSERIAL PRIMARY KEY,
         id TEXT NOT NULL UNIQUE,
         type TEXT NOT NULL,
         time_ms BIGINT NOT NULL,
         account TEXT NOT NULL,
         received_ms BIGINT NOT NULL,
         body BYTEA NOT NULL,
         log_index BIGINT NOT NULL UNIQUE
     );
     CREATE INDEX mission_records_time ON mission_records (type, time_ms);
     CREATE TABLE state_blobs (key TEXT PRIMARY KEY, value BYTEA NOT NULL, saved_ms BIGINT NOT NULL);"#,
    // 2: the intake through which standbys hand the writer what they take (see `intake`).
    intake::MIGRATION,
    // 3: browser sessions, known to every server of the store.
    "CREATE TABLE sessions (
         hash BYTEA PRIMARY KEY,
         account TEXT NOT NULL,
         expires_ms BIGINT NOT NULL
     );",
    // 4: records of a kind found by where they are in the log (a server follows the decisions
    // and replies others keep by reading only the new ones).
    "CREATE INDEX records_log ON records (kind, log_index);",
    // 5: whether an incident's place is where the event was, not only its observer's position:
    // reports judge places by it. Such an incident is in no party's area (an older program
    // stored its observer's).
    "ALTER TABLE incidents ADD COLUMN placed BOOLEAN NOT NULL DEFAULT true;
     UPDATE incidents SET placed = false, control = NULL
         WHERE body::jsonb ->> 'location_basis' = 'observer_only';",
];

/// The shared PostgreSQL store of one schema.
pub struct PostgresStore {
    url: String,
    schema: String,
    /// The writer, the log's head and whether this handle writes: shared with the threads
    /// that write for it.
    shared: Shared,
    readers: Mutex<Vec<Client>>,
    nodes: crate::log::NodeCache,
    /// Whether writes are refused as a standby's (rather than a read-only handle's).
    standby: bool,
    /// Set when the handle goes: a standby stops waiting.
    gone: Arc<AtomicBool>,
    waiting: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// A standby's way to the writer for what it takes (see [`intake`]).
    intake: intake::Intake,
}

/// What a handle shares with the threads that write for it: its own writer, or a standby's
/// that takes over.
#[derive(Clone)]
struct Shared {
    writer: Arc<Writer>,
    head: Head,
    grown: tokio::sync::watch::Sender<u64>,
    /// Whether this handle writes (it holds the schema's advisory lock): from the start, or
    /// since a standby took over.
    writes: Arc<AtomicBool>,
    /// Account changes the writer applied for standbys (see [`AccountStore::accounts_changed`]).
    accounts_changed: Arc<std::sync::atomic::AtomicU64>,
}

/// How often a standby tries the writer's lock and follows the log.
const STANDBY_POLL: std::time::Duration = std::time::Duration::from_millis(250);

impl PostgresStore {
    /// Opens (creating and migrating if needed) the store in schema `truceline` of the database
    /// at `url` (`postgres://user@host:port/db`), as its writer.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        Self::open_in(url, "truceline", Arc::new(|_| {}))
    }

    /// As [`open`](Self::open), in schema `schema`, calling `on_commit` after every group
    /// commit; refused with [`StoreError::Locked`] while another process writes it.
    pub fn open_in(
        url: &str,
        schema: &str,
        on_commit: CommitHook,
    ) -> Result<PostgresStore, StoreError> {
        Self::open_as(url, schema, on_commit, false)
    }

    /// As [`open_in`](Self::open_in), but while another process writes the store this one
    /// stands by: it serves reads, follows the log as it grows, hands observations, mission
    /// records and records to the writer through the intake (the writer's other work it refuses
    /// with [`StoreError::Standby`]), and takes over as the writer within a fraction of a second of
    /// the writer's session ending (its process killed, its connection closed; a writer cut off
    /// from the database is let go by the server's TCP keepalive, within about 15 s).
    pub fn open_or_stand_by(
        url: &str,
        schema: &str,
        on_commit: CommitHook,
    ) -> Result<PostgresStore, StoreError> {
        Self::open_as(url, schema, on_commit, true)
    }

    fn open_as(
        url: &str,
        schema: &str,
        on_commit: CommitHook,
        stand_by: bool,
    ) -> Result<PostgresStore, StoreError> {
        let mut conn = Client::connect(url, NoTls)?;
        set_schema(&mut conn, schema)?;
        conn.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
        let store = Self::handle(
            url,
            schema,
            stand_by,
            Vec::new(),
            0,
            Frontier::default().root(),
        );
        if take_lock(&mut conn, schema)? {
            become_writer(conn, url, schema, on_commit, &store.shared())?;
            return Ok(store);
        }
        if !stand_by {
            return Err(StoreError::Locked(format!(
                "{} (schema {schema})",
                redact(url)
            )));
        }
        tracing::info!(store = %redact(url), schema, "another process writes the store: standing by");
        if schema_version(&mut conn)? == 0 {
            // The writer is still making the store: its first migration takes the lock first.
            std::thread::sleep(STANDBY_POLL);
        }
        follow(&mut conn, &store.shared.head, &store.shared.grown)?;
        let (shared, gone) = (store.shared(), store.gone.clone());
        let (url_owned, schema_name) = (url.to_string(), schema.to_string());
        let thread = std::thread::Builder::new()
            .name("store-standby".into())
            .spawn(move || {
                stand_by_until_writer(conn, &url_owned, &schema_name, on_commit, &shared, &gone)
            })
            .map_err(|source| StoreError::Dir {
                path: schema.to_string(),
                source,
            })?;
        *store.waiting.lock().unwrap() = Some(thread);
        Ok(store)
    }

    /// Opens the store in `schema` for reading only, beside the process that writes it.
    pub fn open_read_only(url: &str, schema: &str) -> Result<PostgresStore, StoreError> {
        let mut conn = Client::connect(url, NoTls)?;
        set_schema(&mut conn, schema)?;
        let version = schema_version(&mut conn)?;
        if version != MIGRATIONS.len() as i32 {
            return Err(StoreError::Inconsistent(format!(
                "the store's schema is version {version}, this program reads version {}; open it for writing once to migrate it",
                MIGRATIONS.len()
            )));
        }
        let (size, root) = {
            let rows = Pg::new(&mut conn);
            let size = rows.stored_size()?;
            let f = Frontier::restore(size, &crate::log::Nodes(&rows))?;
            (size, f.root())
        };
        Ok(Self::handle(url, schema, false, vec![conn], size, root))
    }

    /// A handle that does not write (yet), its log's head at `size` and `root`.
    fn handle(
        url: &str,
        schema: &str,
        standby: bool,
        readers: Vec<Client>,
        size: u64,
        root: Hash,
    ) -> PostgresStore {
        let head = Arc::new(Mutex::new((size, root)));
        let grown = tokio::sync::watch::Sender::new(size);
        PostgresStore {
            url: url.to_string(),
            schema: schema.to_string(),
            readers: Mutex::new(readers),
            intake: intake::Intake::new(url, schema, head.clone(), grown.clone()),
            shared: Shared {
                writer: Arc::new(Writer::none()),
                head,
                grown,
                writes: Arc::new(AtomicBool::new(false)),
                accounts_changed: Default::default(),
            },
            nodes: Default::default(),
            standby,
            gone: Arc::new(AtomicBool::new(false)),
            waiting: Mutex::new(None),
        }
    }

    fn shared(&self) -> Shared {
        self.shared.clone()
    }

    /// Whether this handle is the store's writer now.
    pub fn is_writer(&self) -> bool {
        self.shared.writes.load(Ordering::Acquire)
    }

    /// Drops the schema and everything in it: for tests' throwaway stores.
    pub fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
        check_schema(schema)?;
        let mut c = Client::connect(url, NoTls)?;
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        Ok(())
    }

    fn write_job<T>(
        &self,
        make: impl FnOnce(tokio::sync::oneshot::Sender<Result<u64, StoreError>>) -> Job,
        what: &'static str,
        map: impl FnOnce(u64) -> T,
    ) -> Result<T, StoreError> {
        self.may_write(what)?;
        self.shared.writer.job(make, map)
    }

    /// Refuses a write unless this handle is the writer.
    pub(crate) fn may_write(&self, what: &'static str) -> Result<(), StoreError> {
        match (self.is_writer(), self.standby) {
            (true, _) => Ok(()),
            (false, true) => Err(StoreError::Standby(what)),
            (false, false) => Err(StoreError::ReadOnly(what)),
        }
    }

    fn with_reader<T: Send>(
        &self,
        f: impl FnOnce(&Pg) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        // The driver blocks on a runtime of its own, which tokio forbids on a thread inside a
        // runtime (a server's blocking pool is): there the read runs on a thread of its own
        // (tens of microseconds beside a round trip to the database).
        if tokio::runtime::Handle::try_current().is_ok() {
            return std::thread::scope(|s| {
                s.spawn(|| self.read_here(f))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            });
        }
        self.read_here(f)
    }

    fn read_here<T>(&self, f: impl FnOnce(&Pg) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let conn = self.readers.lock().unwrap().pop();
        let mut conn = match conn {
            Some(c) if !c.is_closed() => c,
            _ => {
                let mut c = Client::connect(&self.url, NoTls)?;
                set_schema(&mut c, &self.schema)?;
                c
            }
        };
        let out = f(&Pg::new(&mut conn));
        let mut idle = self.readers.lock().unwrap();
        if idle.len() < MAX_IDLE_READERS && !conn.is_closed() {
            idle.push(conn);
        }
        out
    }

    /// The log's reads through `c`, against the head as this handle knows it.
    fn reads<'a, 'c>(&'a self, c: &'a Pg<'c>) -> crate::log::Reads<'a, Pg<'c>> {
        crate::log::Reads {
            conn: c,
            cache: &self.nodes,
            head: *self.shared.head.lock().unwrap(),
        }
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.gone.store(true, Ordering::Release);
        if let Some(t) = self.waiting.lock().unwrap().take() {
            let _ = t.join();
        }
        // The writer's connection, and with it the writer's lock, go with it.
        self.shared.writer.close();
    }
}

/// Tries the store's writer lock on `conn` (held as long as its session lives).
fn take_lock(conn: &mut Client, schema: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_one("SELECT pg_try_advisory_lock(hashtext($1))", &[&schema])?
        .get(0))
}

/// With the lock held on `conn`: migrates, takes the log up where the database has it and
/// starts the writer on `conn`.
fn become_writer(
    mut conn: Client,
    url: &str,
    schema: &str,
    on_commit: CommitHook,
    shared: &Shared,
) -> Result<(), StoreError> {
    let Shared {
        writer,
        head,
        grown,
        writes,
        accounts_changed,
    } = shared;
    // A writer cut off from the database is let go within about 15 s (keepalive probes
    // unanswered), so that a standby can take over.
    conn.batch_execute(
        "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 5",
    )?;
    migrate(&mut conn)?;
    let (size, frontier) = {
        let rows = Pg::new(&mut conn);
        let size = rows.stored_size()?;
        let frontier = Frontier::restore(size, &crate::log::Nodes(&rows)).map_err(|e| {
            StoreError::Inconsistent(format!(
                "the evidence log cannot be resumed ({e}); the store was changed outside the program"
            ))
        })?;
        (size, frontier)
    };
    *head.lock().unwrap() = (size, frontier.root());
    grown.send_if_modified(|known| std::mem::replace(known, size) != size);
    writer
        .install(
            PgWriter(conn, accounts_changed.clone()),
            on_commit,
            frontier,
            head.clone(),
            grown.clone(),
        )
        .map_err(|source| StoreError::Dir {
            path: "store-writer".into(),
            source,
        })?;
    writes.store(true, Ordering::Release);
    // What standbys queued (also while no process held the lock) is drained from now on.
    intake::spawn_drainer(url, schema, writer.clone()).map_err(|source| StoreError::Dir {
        path: "store-intake-drain".into(),
        source,
    })?;
    Ok(())
}

/// A standby's view of the log: its size and root as the database has them now (never going
/// back: a view read earlier may land after a later one).
fn follow(
    conn: &mut Client,
    head: &Head,
    grown: &tokio::sync::watch::Sender<u64>,
) -> Result<(), StoreError> {
    let rows = Pg::new(conn);
    let size = rows.stored_size()?;
    if size > head.lock().unwrap().0 {
        let root = Frontier::restore(size, &crate::log::Nodes(&rows))?.root();
        let mut h = head.lock().unwrap();
        if size <= h.0 {
            return Ok(());
        }
        *h = (size, root);
        drop(h);
        grown.send_if_modified(|known| std::mem::replace(known, size) != size);
    }
    Ok(())
}

fn stand_by_until_writer(
    mut conn: Client,
    url: &str,
    schema: &str,
    on_commit: CommitHook,
    shared: &Shared,
    gone: &AtomicBool,
) {
    let head = &shared.head;
    let grown = &shared.grown;
    while !gone.load(Ordering::Acquire) {
        let step = take_lock(&mut conn, schema).and_then(|mine| {
            if mine {
                return Ok(true);
            }
            follow(&mut conn, head, grown).map(|()| false)
        });
        match step {
            Ok(true) => {
                let size = head.lock().unwrap().0;
                match become_writer(conn, url, schema, on_commit, shared) {
                    Ok(()) => tracing::warn!(
                        log_size = head.lock().unwrap().0,
                        followed_to = size,
                        "the store's writer is gone: this server took over as its writer"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "taking over as the store's writer failed")
                    }
                }
                return;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "standing by: the database did not answer; reconnecting");
                if let Ok(mut c) = Client::connect(url, NoTls)
                    && set_schema(&mut c, schema).is_ok()
                {
                    conn = c;
                }
            }
        }
        std::thread::sleep(STANDBY_POLL);
    }
}

/// A URL without its password, for messages and logs (a database's, a NATS server's).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A schema's name is written into statements (it cannot be a parameter): only lower-case
/// letters, digits and underscores are let through, whoever names it.
fn check_schema(schema: &str) -> Result<(), StoreError> {
    if schema.is_empty()
        || !schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Invalid(format!(
            "schema {schema:?}: expected lower-case letters, digits and underscores"
        )));
    }
    Ok(())
}

fn set_schema(c: &mut Client, schema: &str) -> Result<(), StoreError> {
    check_schema(schema)?;
    // PostGIS lives in `public`; the store's tables in its own schema. The server's notices
    // ("already exists, skipping") are not the operator's business.
    c.batch_execute(&format!(
        "SET search_path TO {schema}, public; SET client_min_messages TO warning"
    ))?;
    Ok(())
}

fn schema_version(c: &mut Client) -> Result<i32, StoreError> {
    c.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    Ok(c.query_opt("SELECT version FROM schema_version", &[])?
        .map_or(0, |r| r.get(0)))
}

/// Brings the schema up to the latest, each step in its own transaction with its version.
fn migrate(c: &mut Client) -> Result<(), StoreError> {
    c.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")
        .map_err(|e| {
            StoreError::Inconsistent(format!(
                "PostGIS is needed and could not be enabled ({e}); install postgresql-15-postgis-3 (scripts/postgres.sh does)"
            ))
        })?;
    let found = schema_version(c)?;
    if found as usize > MIGRATIONS.len() {
        return Err(StoreError::SchemaTooNew {
            found: found.into(),
            known: MIGRATIONS.len() as i64,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let mut tx = c.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute("DELETE FROM schema_version", &[])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// A connection as the log's reads need it (they take `&self`; a client queries through
/// `&mut`).
pub(crate) struct Pg<'a>(RefCell<&'a mut Client>);

impl<'a> Pg<'a> {
    fn new(c: &'a mut Client) -> Pg<'a> {
        Pg(RefCell::new(c))
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        Ok(self.0.borrow_mut().query(sql, params)?)
    }

    fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StoreError> {
        Ok(self.0.borrow_mut().query_opt(sql, params)?)
    }
}

fn leaf_indices(leaves: &[u64]) -> Vec<i64> {
    leaves.iter().map(|&l| l as i64).collect()
}

impl LeafRows for Pg<'_> {
    fn hash_rows(&self, leaves: &[u64]) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let seqs: Vec<i64> = leaves.iter().map(|&l| l as i64 + 1).collect();
        let mut found: Vec<(u64, Vec<u8>)> = self
            .query(
                "SELECT seq - 1, hashes FROM observations WHERE seq = ANY($1)",
                &[&seqs],
            )?
            .iter()
            .map(|r| {
                (
                    r.get::<_, i64>(0) as u64,
                    r.get::<_, Option<Vec<u8>>>(1).unwrap_or_default(),
                )
            })
            .collect();
        if found.len() < leaves.len() {
            let rest: Vec<i64> = leaf_indices(leaves)
                .into_iter()
                .filter(|r| !found.iter().any(|f| f.0 as i64 == *r))
                .collect();
            found.extend(
                self.query(
                    "SELECT idx, hashes FROM log_records WHERE idx = ANY($1)",
                    &[&rest],
                )?
                .iter()
                .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))),
            );
        }
        Ok(found)
    }

    fn observation_leaves(&self, start: u64, end: u64) -> Result<Vec<Leaf>, StoreError> {
        Ok(self
            .query(
                "SELECT seq, body, hashes, salts FROM observations WHERE seq > $1 AND seq <= $2 ORDER BY seq",
                &[&(start as i64), &(end as i64)],
            )?
            .iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                Leaf {
                    idx: seq as u64 - 1,
                    kind: OBSERVATION.into(),
                    record: seq,
                    bytes: Some(r.get(1)),
                    hashes: r.get::<_, Option<Vec<u8>>>(2).unwrap_or_default(),
                    salts: r.get(3),
                }
            })
            .collect())
    }

    fn record_leaves(&self, start: u64, end: u64) -> Result<Vec<RecordLeaf>, StoreError> {
        Ok(self
            .query(
                "SELECT idx, kind, record, hashes FROM log_records WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&(start as i64), &(end as i64)],
            )?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1), r.get(2), r.get(3)))
            .collect())
    }

    fn record_bytes(&self, kind: &str, record: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let one = |sql: &str| -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.query_opt(sql, &[&record])?.map(|r| r.get(0)))
        };
        match kind {
            AGREEMENT => self
                .query_opt(
                    "SELECT version, agreement_id, toml_name, files FROM agreements WHERE version = $1",
                    &[&record],
                )?
                .map(|r| agreement_record(r.get(0), r.get(1), r.get(2), r.get(3)))
                .transpose(),
            REPORT => one("SELECT record FROM reports WHERE id = $1"),
            MISSION_RECORD => one("SELECT body FROM mission_records WHERE seq = $1"),
            k if RECORD_KINDS.contains(&k) => one("SELECT record FROM records WHERE id = $1"),
            other => Err(StoreError::Inconsistent(format!(
                "log record of unknown kind {other:?}"
            ))),
        }
    }

    fn stored_size(&self) -> Result<u64, StoreError> {
        let r = self
            .query_opt(
                "SELECT (SELECT max(seq) - 1 FROM observations), (SELECT max(idx) FROM log_records)",
                &[],
            )?
            .expect("one row");
        let (obs, other): (Option<i64>, Option<i64>) = (r.get(0), r.get(1));
        Ok(obs.max(other).map_or(0, |l| l as u64 + 1))
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        Ok(self
            .query("SELECT size, note FROM checkpoints ORDER BY size", &[])?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect())
    }

    fn checkpoint_after(&self, index: u64) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .query_opt(
                "SELECT size, note FROM checkpoints WHERE size > $1 ORDER BY size LIMIT 1",
                &[&(index as i64)],
            )?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    fn announcements(&self) -> Result<Vec<(Vec<u8>, u64)>, StoreError> {
        Ok(self
            .query(
                "SELECT record, log_index FROM records WHERE kind = $1 ORDER BY log_index",
                &[&truceline_log::rotation::KIND],
            )?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    fn unlogged_observation(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .query_opt(
                "SELECT seq, id FROM observations WHERE hashes IS NULL LIMIT 1",
                &[],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }
}

/// The writer's connection.
/// The writer's connection, and the count of account changes it applied for standbys.
struct PgWriter(Client, Arc<std::sync::atomic::AtomicU64>);

impl GroupCommit for PgWriter {
    type Error = StoreError;

    fn commit_group(
        &mut self,
        jobs: &[Job],
        frontier: &mut Frontier,
    ) -> Result<(Vec<JobResult>, usize), StoreError> {
        let received = now_ms();
        let mut tx = self.0.transaction()?;
        let mut results = Vec::with_capacity(jobs.len());
        let mut kinds: Vec<(String, i64)> = Vec::new();
        let mut accounts_changed = false;
        for job in jobs {
            // Each request under its own savepoint: a refused one leaves nothing, and an error
            // inside it does not abort the others' transaction.
            let mut sp = tx.savepoint("request")?;
            let mark = frontier.clone();
            let r: Result<JobResult, StoreError> = match job {
                Job::Observations(batch, _) => insert_batch(&mut sp, batch, received, frontier)
                    .map(|o| JobResult::Observations(Ok(o))),
                Job::MissionRecords(recs, _) => {
                    insert_mission_records(&mut sp, recs, received, frontier)
                        .map(|o| JobResult::Observations(Ok(o)))
                }
                Job::Agreement(a, _) => {
                    insert_agreement(&mut sp, a, received, frontier).map(|v| JobResult::Agreement(Ok(v)))
                }
                Job::State(key, value, _) => sp
                    .execute(
                        "INSERT INTO state_blobs (key, value, saved_ms) VALUES ($1, $2, $3)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, saved_ms = excluded.saved_ms",
                        &[key, value, &received],
                    )
                    .map(|_| JobResult::Agreement(Ok(0)))
                    .map_err(StoreError::from),
                Job::Checkpoint(size, note, _) => sp
                    .execute(
                        "INSERT INTO checkpoints (size, note, issued_ms) VALUES ($1, $2, $3)
                         ON CONFLICT (size) DO UPDATE SET note = excluded.note, issued_ms = excluded.issued_ms",
                        &[&(*size as i64), note, &received],
                    )
                    .map(|_| JobResult::Agreement(Ok(*size)))
                    .map_err(StoreError::from),
                Job::Incidents(w, _) => write_incidents(&mut sp, w)
                    .map(|()| JobResult::Agreement(Ok(w.upsert.len() as u64))),
                Job::Accounts(w, _) => {
                    write_accounts(&mut sp, w).map(|()| JobResult::Agreement(Ok(0)))
                }
                Job::Records(recs, _) => {
                    insert_records(&mut sp, recs, frontier).map(|i| JobResult::Agreement(Ok(i)))
                }
                Job::Report(rep, _) => {
                    insert_report(&mut sp, rep, received, frontier).map(|i| JobResult::Agreement(Ok(i)))
                }
                Job::Intake(_) => intake::drain(&mut sp, received, frontier).map(|d| {
                    for (kind, n) in d.kinds {
                        intake::count_kind(&mut kinds, &kind, n);
                    }
                    accounts_changed |= d.accounts > 0;
                    JobResult::Agreement(Ok(d.requests))
                }),
            };
            match r {
                Ok(result) => {
                    sp.commit()?;
                    if let (JobResult::Observations(Ok(outcomes)), Job::Observations(batch, _)) =
                        (&result, job)
                    {
                        for (o, outcome) in batch.iter().zip(outcomes) {
                            if matches!(outcome, Outcome::Accepted { .. }) {
                                intake::count_kind(&mut kinds, &o.kind, 1);
                            }
                        }
                    }
                    results.push(result);
                }
                Err(e) => {
                    sp.rollback()?;
                    *frontier = mark;
                    results.push(match job {
                        Job::Observations(..) | Job::MissionRecords(..) => {
                            JobResult::Observations(Err(e))
                        }
                        _ => JobResult::Agreement(Err(e)),
                    });
                }
            }
        }
        for (kind, n) in &kinds {
            tx.execute(
                "INSERT INTO observation_kinds (kind, n) VALUES ($1, $2)
                 ON CONFLICT (kind) DO UPDATE SET n = observation_kinds.n + excluded.n",
                &[kind, n],
            )?;
        }
        // Odd while the change commits: a cache reads the store meanwhile and keeps nothing,
        // and what it kept before is stale from the first step on.
        if accounts_changed {
            self.1.fetch_add(1, Ordering::AcqRel);
        }
        let committed = tx.commit();
        if accounts_changed {
            self.1.fetch_add(1, Ordering::AcqRel);
        }
        committed?;
        let written = kinds.iter().map(|(_, n)| *n as usize).sum();
        Ok((results, written))
    }
}

/// Appends the leaf of a record kept outside `observations`.
fn append_record(
    c: &mut impl GenericClient,
    frontier: &mut Frontier,
    kind: &str,
    record: i64,
    canonical: &[u8],
) -> Result<u64, StoreError> {
    let idx = frontier.size();
    let blob = leaf_row(frontier, kind, canonical);
    c.execute(
        "INSERT INTO log_records (idx, kind, record, hashes) VALUES ($1, $2, $3, $4)",
        &[&(idx as i64), &kind, &record, &blob],
    )?;
    Ok(idx)
}

fn insert_batch(
    c: &mut impl GenericClient,
    batch: &[NewObservation],
    received: i64,
    frontier: &mut Frontier,
) -> Result<Vec<Outcome>, StoreError> {
    // Two round trips a request, whatever its size: the ids already stored, then every new row
    // in one statement of arrays (a statement a row cost 6,000 rows/s on loopback).
    let ids: Vec<&str> = batch.iter().map(|o| o.id.as_str()).collect();
    let mut known: std::collections::HashMap<String, (u64, Vec<u8>)> = c
        .query(
            "SELECT id, seq, body FROM observations WHERE id = ANY($1)",
            &[&ids],
        )?
        .into_iter()
        .map(|r| (r.get(0), (r.get::<_, i64>(1) as u64 - 1, r.get(2))))
        .collect();
    let mut rows = Rows::default();
    let mut out = Vec::with_capacity(batch.len());
    for (index, o) in batch.iter().enumerate() {
        // Stored before, or earlier in this request: the same content is a no-op.
        if let Some((log_index, body)) = known.get(&o.id) {
            if *body != o.body {
                return Err(StoreError::Conflict {
                    index,
                    id: o.id.clone(),
                });
            }
            out.push(Outcome::Duplicate {
                log_index: *log_index,
            });
            continue;
        }
        let log_index = frontier.size();
        let (leaf, salts) = match (o.leaf, &o.salts) {
            (Some(leaf), salts) => (leaf, salts.clone()),
            (None, _) => {
                let (salts, c) = crate::committed::commit_new(&o.body)
                    .map_err(|e| StoreError::Invalid(format!("observation {:?}: {e}", o.id)))?;
                (truceline_log::leaf_hash(&c.committed), Some(salts))
            }
        };
        rows.seq.push(log_index as i64 + 1);
        rows.id.push(&o.id);
        rows.observer.push(&o.observer);
        rows.time_ms.push(o.time_ms);
        rows.lon.push(o.lon);
        rows.lat.push(o.lat);
        rows.kind.push(&o.kind);
        rows.body.push(&o.body);
        rows.hashes
            .push(crate::log::hashed_leaf_row(frontier, leaf));
        rows.salts.push(salts);
        known.insert(o.id.clone(), (log_index, o.body.clone()));
        out.push(Outcome::Accepted { log_index });
    }
    if !rows.seq.is_empty() {
        let n = c.execute(
            "INSERT INTO observations (seq, id, observer, time_ms, lon, lat, kind, received_ms, body, hashes, salts)
             SELECT s, i, o, t, x, y, k, $8, b, h, z FROM unnest(
                 $1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::float8[], $6::float8[],
                 $7::text[], $9::bytea[], $10::bytea[], $11::bytea[]) AS r(s, i, o, t, x, y, k, b, h, z)",
            &[
                &rows.seq,
                &rows.id,
                &rows.observer,
                &rows.time_ms,
                &rows.lon,
                &rows.lat,
                &rows.kind,
                &received,
                &rows.body,
                &rows.hashes,
                &rows.salts,
            ],
        )?;
        if n as usize != rows.seq.len() {
            return Err(StoreError::Inconsistent(format!(
                "{} of {} new observations were written",
                n,
                rows.seq.len()
            )));
        }
    }
    Ok(out)
}

/// One request's new observations as columns, for one statement of arrays.
#[derive(Default)]
struct Rows<'a> {
    seq: Vec<i64>,
    id: Vec<&'a str>,
    observer: Vec<&'a str>,
    time_ms: Vec<i64>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    kind: Vec<&'a str>,
    body: Vec<&'a [u8]>,
    hashes: Vec<Vec<u8>>,
    salts: Vec<Option<Vec<u8>>>,
}

/// The latest agreement version: (version, agreement id, TOML file name, files as JSON).
fn latest_agreement_row(
    c: &mut impl GenericClient,
) -> Result<Option<(i64, String, String, String)>, StoreError> {
    Ok(c.query_opt(
        "SELECT version, agreement_id, toml_name, files FROM agreements ORDER BY version DESC LIMIT 1",
        &[],
    )?
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))))
}

fn insert_agreement(
    c: &mut impl GenericClient,
    a: &StoredAgreement,
    stored: i64,
    frontier: &mut Frontier,
) -> Result<u64, StoreError> {
    let files = serde_json::to_string(&a.files).expect("strings serialise");
    let latest = latest_agreement_row(c)?;
    if let Some((v, id, name, f)) = &latest
        && *id == a.agreement_id
        && *name == a.toml_name
        && *f == files
    {
        return Ok(*v as u64);
    }
    let version = latest.map_or(1, |l| l.0 + 1);
    let record = agreement_record(version, &a.agreement_id, &a.toml_name, &files)?;
    let idx = frontier.size() as i64;
    c.execute(
        "INSERT INTO agreements (version, agreement_id, toml_name, files, stored_ms, log_index)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &version,
            &a.agreement_id,
            &a.toml_name,
            &files,
            &stored,
            &idx,
        ],
    )?;
    append_record(c, frontier, AGREEMENT, version, &record)?;
    Ok(version as u64)
}

fn insert_records(
    c: &mut impl GenericClient,
    records: &[NewRecord],
    frontier: &mut Frontier,
) -> Result<u64, StoreError> {
    let first = frontier.size();
    for r in records {
        let idx = frontier.size() as i64;
        let id: i64 = c
            .query_one(
                "INSERT INTO records (kind, subject, account, time_ms, record, log_index)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&r.kind, &r.subject, &r.account, &r.time_ms, &r.record, &idx],
            )?
            .get(0);
        append_record(c, frontier, &r.kind, id, &r.record)?;
    }
    Ok(first)
}

fn insert_mission_records(
    c: &mut impl GenericClient,
    batch: &[NewMissionRecord],
    received: i64,
    frontier: &mut Frontier,
) -> Result<Vec<Outcome>, StoreError> {
    let mut out = Vec::with_capacity(batch.len());
    for (index, r) in batch.iter().enumerate() {
        let log_index = frontier.size();
        let row = c.query_opt(
            "INSERT INTO mission_records (id, type, time_ms, account, received_ms, body, log_index)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING seq",
            &[
                &r.id,
                &r.kind,
                &r.time_ms,
                &r.account,
                &received,
                &r.body,
                &(log_index as i64),
            ],
        )?;
        match row {
            Some(row) => {
                append_record(c, frontier, MISSION_RECORD, row.get(0), &r.body)?;
                out.push(Outcome::Accepted { log_index });
            }
            None => {
                let e = c.query_one(
                    "SELECT body, log_index FROM mission_records WHERE id = $1",
                    &[&r.id],
                )?;
                if e.get::<_, Vec<u8>>(0) != r.body {
                    return Err(StoreError::Conflict {
                        index,
                        id: r.id.clone(),
                    });
                }
                out.push(Outcome::Duplicate {
                    log_index: e.get::<_, i64>(1) as u64,
                });
            }
        }
    }
    Ok(out)
}

fn insert_report(
    c: &mut impl GenericClient,
    r: &PublishedReport,
    published: i64,
    frontier: &mut Frontier,
) -> Result<u64, StoreError> {
    let idx = frontier.size() as i64;
    let id: i64 = c
        .query_one(
            "INSERT INTO reports (date, audience, record, log_index, published_ms)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&r.date, &r.audience, &r.record, &idx, &published],
        )?
        .get(0);
    append_record(c, frontier, REPORT, id, &r.record)
}

fn state_value(c: &mut impl GenericClient, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(
        c.query_opt("SELECT value FROM store_state WHERE key = $1", &[&key])?
            .map(|r| r.get(0)),
    )
}

fn set_state(c: &mut impl GenericClient, key: &str, value: i64) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO store_state (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}

fn write_incidents(c: &mut impl GenericClient, w: &IncidentWrite) -> Result<(), StoreError> {
    // The totals are kept as the rows change: what a row held is taken off before it goes.
    let (mut count, mut violations) = if w.replace_all {
        c.execute("DELETE FROM incidents", &[])?;
        (0, 0)
    } else {
        (
            state_value(c, "incident_count")?.unwrap_or(0),
            state_value(c, "violation_count")?.unwrap_or(0),
        )
    };
    for id in &w.remove {
        if let Some(r) = c.query_opt(
            "DELETE FROM incidents WHERE id = $1 RETURNING violations",
            &[id],
        )? {
            count -= 1;
            violations -= r.get::<_, i64>(0);
        }
    }
    let up = c.prepare(
        "INSERT INTO incidents (id, time_ms, kind, subtype, count, violations, attributed, control,
                                lon, lat, body, leaves, placed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO UPDATE SET time_ms = excluded.time_ms, kind = excluded.kind,
             subtype = excluded.subtype, count = excluded.count, violations = excluded.violations,
             attributed = excluded.attributed, control = excluded.control, lon = excluded.lon,
             lat = excluded.lat, body = excluded.body, leaves = excluded.leaves,
             placed = excluded.placed",
    )?;
    for r in &w.upsert {
        if let Some(old) = c.query_opt(
            "SELECT violations FROM incidents WHERE id = $1",
            &[&r.record.id],
        )? {
            count -= 1;
            violations -= old.get::<_, i64>(0);
        }
        let leaves = serde_json::to_string(&r.leaves).expect("numbers serialise");
        let body = serde_json::to_string(&r.record).expect("an incident record is JSON");
        let p = IncidentPoint::of(&r.record);
        c.execute(
            &up,
            &[
                &r.record.id,
                &p.time_ms,
                &p.kind,
                &p.subtype,
                &i64::from(p.count),
                &i64::from(p.violations),
                &p.attributed,
                &p.control,
                &p.lon,
                &p.lat,
                &body,
                &leaves,
                &p.placed,
            ],
        )?;
        count += 1;
        violations += i64::from(p.violations);
    }
    set_state(c, "incident_count", count)?;
    set_state(c, "violation_count", violations)?;
    set_state(c, "fused_observations", w.fused_observations as i64)?;
    match w.fused_through {
        Some(p) => set_state(c, "fused_through", p as i64),
        None => {
            c.execute("DELETE FROM store_state WHERE key = 'fused_through'", &[])?;
            Ok(())
        }
    }
}

fn write_accounts(c: &mut impl GenericClient, w: &AccountWrite) -> Result<(), StoreError> {
    let changed = match w {
        AccountWrite::Add(a) => {
            let n = c.execute(
                "INSERT INTO accounts (name, role, party, observers, password, disabled, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING",
                &[&a.name, &a.role, &a.party, &a.observers, &a.password, &a.disabled, &a.created_ms],
            )?;
            if n == 0 {
                return Err(StoreError::Exists(format!("account {:?}", a.name)));
            }
            n
        }
        AccountWrite::SetDisabled { name, disabled } => c.execute(
            "UPDATE accounts SET disabled = $2 WHERE name = $1",
            &[name, disabled],
        )?,
        AccountWrite::SetPassword { name, password } => c.execute(
            "UPDATE accounts SET password = $2 WHERE name = $1",
            &[name, password],
        )?,
        AccountWrite::AddToken(t) => {
            if c.query_opt("SELECT 1 FROM accounts WHERE name = $1", &[&t.account])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("account {:?}", t.account)));
            }
            c.execute(
                "INSERT INTO tokens (id, hash, account, created_ms, expires_ms, revoked_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &t.id,
                    &&t.hash[..],
                    &t.account,
                    &t.created_ms,
                    &t.expires_ms,
                    &t.revoked_ms,
                ],
            )?
        }
        AccountWrite::Revoke { id, at_ms } => c.execute(
            "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, $2) WHERE id = $1",
            &[id, at_ms],
        )?,
        AccountWrite::OpenSession {
            hash,
            account,
            expires_ms,
            now_ms,
        } => {
            c.execute("DELETE FROM sessions WHERE expires_ms <= $1", &[now_ms])?;
            c.execute(
                "INSERT INTO sessions (hash, account, expires_ms)
                 SELECT $1, name, $3 FROM accounts WHERE name = $2",
                &[&&hash[..], account, expires_ms],
            )?
        }
        AccountWrite::EndSession { hash } => {
            c.execute("DELETE FROM sessions WHERE hash = $1", &[&&hash[..]])?;
            1
        }
    };
    if changed == 0 {
        return Err(w.not_found());
    }
    Ok(())
}
