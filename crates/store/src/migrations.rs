//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry upgrades the schema by one version and runs in its own transaction with the
//! version bump, so a crash mid-migration leaves the previous version intact. Entries are never
//! edited once released; a change is a new entry.

use rusqlite::Connection;

use crate::StoreError;

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: observations in record order, and agreement versions.
    "CREATE TABLE observations (
         seq INTEGER PRIMARY KEY,          -- log index + 1; never reused
         id TEXT NOT NULL UNIQUE,
         observer TEXT NOT NULL,
         time_ms INTEGER NOT NULL,
         lon REAL NOT NULL,
         lat REAL NOT NULL,
         kind TEXT NOT NULL,
         received_ms INTEGER NOT NULL,
         body BLOB NOT NULL                -- RFC 8785 canonical JSON, as accepted
     );
     CREATE INDEX observations_time ON observations(time_ms);
     CREATE INDEX observations_observer ON observations(observer, time_ms);
     CREATE TABLE agreements (
         version INTEGER PRIMARY KEY,
         agreement_id TEXT NOT NULL,
         toml_name TEXT NOT NULL,
         files TEXT NOT NULL,              -- JSON array of [name, text]
         stored_ms INTEGER NOT NULL
     );",
    // 2: the evidence log. An observation's leaf is its row: its log index is seq - 1 and its
    // hashes (leaf, then the subtrees it completes) sit beside it, so logging costs no extra
    // row. Leaves of other records (agreement versions, later decisions and reports) are rows of
    // `log_records`. Records accepted before the log are logged by `log::backfill` in the same
    // transaction, each observation keeping the index it was acknowledged with.
    "ALTER TABLE observations ADD COLUMN hashes BLOB;
     ALTER TABLE agreements ADD COLUMN log_index INTEGER;
     CREATE TABLE log_records (
         idx INTEGER PRIMARY KEY,          -- leaf index
         kind TEXT NOT NULL,               -- agreement (decision, report to come)
         record INTEGER NOT NULL,          -- the record's rowid in its table
         hashes BLOB NOT NULL              -- leaf hash, then the subtree hashes it completes
     );
     CREATE TABLE checkpoints (
         size INTEGER PRIMARY KEY,
         note TEXT NOT NULL,               -- the C2SP signed note, with cosignatures
         issued_ms INTEGER NOT NULL
     );",
    // 3: incidents and published reports. Incidents are derived: fusion replaces them as later
    // observations revise them, so they are not log records (their observations are, and each
    // row keeps its observations' leaf indices). The time index covers the columns a report's
    // daily tallies and comparisons read, so those never touch the table. A published report is a log record.
    "CREATE TABLE incidents (
         seq INTEGER PRIMARY KEY,
         id TEXT NOT NULL UNIQUE,
         time_ms INTEGER NOT NULL,
         kind TEXT NOT NULL,
         subtype TEXT,
         count INTEGER NOT NULL,
         violations INTEGER NOT NULL,      -- how many rules it breaks; 0 for none
         attributed INTEGER NOT NULL,      -- 1 when a party is named
         control TEXT,                     -- the party controlling the place
         lon REAL NOT NULL,
         lat REAL NOT NULL,
         body TEXT NOT NULL,               -- SPEC 2.4 JSON
         leaves TEXT NOT NULL              -- JSON array: its observations' log indices
     );
     CREATE INDEX incidents_time ON incidents(
         time_ms, kind, subtype, count, violations, attributed, control, lon, lat);
     -- Reports count observers hour by hour: with the observer in the time index that count
     -- reads the index alone.
     DROP INDEX observations_time;
     CREATE INDEX observations_time ON observations(time_ms, observer);
     CREATE TABLE store_state (
         key TEXT PRIMARY KEY,
         value INTEGER NOT NULL
     );
     CREATE TABLE reports (
         id INTEGER PRIMARY KEY,
         date TEXT NOT NULL,
         audience TEXT NOT NULL,
         record BLOB NOT NULL,             -- canonical JSON, as logged
         log_index INTEGER NOT NULL,
         published_ms INTEGER NOT NULL
     );",
    // 4: who may do what. Accounts with one role each; API tokens stored only as their SHA-256
    // (a token is 256 random bits: a fast hash is as safe as a slow one and costs a request
    // nothing); passwords only as argon2id PHC strings.
    "CREATE TABLE accounts (
         name TEXT PRIMARY KEY,
         role TEXT NOT NULL,
         party TEXT,                       -- a liaison's party
         observers TEXT,                   -- a monitor's observers (a glob), or any when null
         password TEXT,                    -- argon2id PHC string, for people in browsers
         disabled INTEGER NOT NULL DEFAULT 0,
         created_ms INTEGER NOT NULL
     );
     CREATE TABLE tokens (
         id TEXT PRIMARY KEY,              -- public: names the token in lists and revocation
         hash BLOB NOT NULL UNIQUE,        -- SHA-256 of the secret
         account TEXT NOT NULL REFERENCES accounts(name),
         created_ms INTEGER NOT NULL,
         expires_ms INTEGER,
         revoked_ms INTEGER
     );",
    // 5: the mission's other logged records (decisions, replies, audit batches), one table
    // whatever their kind: each is canonical JSON and a leaf, found by kind and subject.
    "CREATE TABLE records (
         id INTEGER PRIMARY KEY,
         kind TEXT NOT NULL,
         subject TEXT,
         account TEXT NOT NULL,
         time_ms INTEGER NOT NULL,
         record BLOB NOT NULL,             -- canonical JSON, as logged
         log_index INTEGER NOT NULL
     );
     CREATE INDEX records_subject ON records(kind, subject, time_ms);
     CREATE INDEX records_time ON records(kind, time_ms);",
    // 6: incidents paged in (time, id) order without sorting a year of them, found by id, and
    // counted without a scan (kept by every write).
    "CREATE INDEX incidents_time_id ON incidents(time_ms, id);
     INSERT OR REPLACE INTO store_state (key, value)
         SELECT 'incident_count', COUNT(*) FROM incidents;
     INSERT OR REPLACE INTO store_state (key, value)
         SELECT 'violation_count', COALESCE(SUM(violations), 0) FROM incidents;",
    // 7: observations counted by kind, kept by each group commit (one row a kind, not a
    // trigger a row: that halved batch intake), so that a summary never scans a year of them.
    "CREATE TABLE observation_kinds (kind TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
     INSERT INTO observation_kinds SELECT kind, COUNT(*) FROM observations GROUP BY kind;",
    // 8: the mission's other records (SPEC 6: sites, inspections, restrictions, casualties,
    // damage, hazards, windows): ids chosen by the sender like observations', each a leaf.
    "CREATE TABLE mission_records (
         seq INTEGER PRIMARY KEY,
         id TEXT NOT NULL UNIQUE,
         type TEXT NOT NULL,
         time_ms INTEGER NOT NULL,
         account TEXT NOT NULL,
         received_ms INTEGER NOT NULL,
         body BLOB NOT NULL,               -- canonical JSON, as logged
         log_index INTEGER NOT NULL UNIQUE
     );
     CREATE INDEX mission_records_time ON mission_records(type, time_ms);",
    // 9: observations logged in the committed form (SPEC 4.2) from the log's size now on, with
    // the salts that open it; every leaf before keeps its plain form and its hash.
    "ALTER TABLE observations ADD COLUMN salts BLOB;
     INSERT OR REPLACE INTO store_state (key, value) SELECT 'committed_from', max(
         COALESCE((SELECT max(seq) FROM observations), 0),
         COALESCE((SELECT max(idx) + 1 FROM log_records), 0));",
    // 10: the service's own state that must outlive a restart but is not a record (the AIS
    // tracks under way): one value a key, replaced whole.
    "CREATE TABLE state_blobs (
         key TEXT PRIMARY KEY,
         value BLOB NOT NULL,
         saved_ms INTEGER NOT NULL
     );",
    // Browser sessions, kept by the store rather than one server's memory.
    "CREATE TABLE sessions (
         hash BLOB PRIMARY KEY,
         account TEXT NOT NULL,
         expires_ms INTEGER NOT NULL
     );",
    // 12: records of a kind found by where they are in the log, so that a server follows the
    // decisions and replies others keep by reading only the new ones.
    "CREATE INDEX records_log ON records(kind, log_index);",
    // 13: whether an incident's place is where the event was (not only its observer's
    // position), in the covering time index: reports judge places by it. Such an incident is in
    // no party's area (an older program stored its observer's).
    "ALTER TABLE incidents ADD COLUMN placed INTEGER NOT NULL DEFAULT 1;
     UPDATE incidents SET placed = 0, control = NULL
         WHERE json_extract(body, '$.location_basis') = 'observer_only';
     DROP INDEX incidents_time;
     CREATE INDEX incidents_time ON incidents(
         time_ms, kind, subtype, count, violations, attributed, control, lon, lat, placed);",
];

/// The schema version this program writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database up to [`latest`], refusing one written by a newer program.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > latest() {
        return Err(StoreError::SchemaTooNew {
            found,
            known: latest(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if i + 1 == 2 {
            crate::sqlite::log_rows::backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
