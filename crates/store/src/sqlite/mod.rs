//! The embedded store: SQLite in WAL mode, one writer thread with group commit, a small pool of
//! reader connections. The writer is here; each role's reads and writes are in a module of
//! its own.

mod accounts;
mod incidents;
pub(crate) mod log_rows;
mod log_store;
mod observations;
mod records;
mod reports;

use accounts::write_accounts;
use incidents::write_incidents;
use observations::{insert_agreement, insert_batch};
use records::{insert_mission_records, insert_records};
use reports::insert_report;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, params};
use tokio::sync::oneshot;

use crate::writer::{CommitHook, GroupCommit, Head, Job, JobResult, Writer, job_rows, now_ms};

use truceline_log::Frontier;

use crate::*;

/// Readers kept open for reuse.
const MAX_IDLE_READERS: usize = 8;

/// The embedded SQLite store of one data directory.
pub struct SqliteStore {
    path: std::path::PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    head: Head,
    /// The log's size after each commit that grew it, for [`LogStore::watch_log`].
    grown: tokio::sync::watch::Sender<u64>,
    nodes: crate::log::NodeCache,
    /// Held while this process may write: one writer per data directory, or two frontiers
    /// would fork the log.
    lock: Option<std::fs::File>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, migrating its schema.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(dir, Arc::new(|_| {}))
    }

    /// As [`open`](Self::open), calling `on_commit` after every group commit.
    pub fn open_with(dir: &Path, on_commit: CommitHook) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let lock = writer_lock(dir)?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path)?;
        configure_writer(&conn)?;
        migrations::migrate(&mut conn)?;
        let size = log_rows::size(&conn)?;
        let frontier = Frontier::restore(size, &crate::log::Nodes(&conn)).map_err(|e| {
            StoreError::Inconsistent(format!(
                "the evidence log cannot be resumed ({e}); the store was changed outside the program: \
                 `truceline log verify --data {}` names what differs",
                dir.display()
            ))
        })?;
        let head: Head = Arc::new(Mutex::new((size, frontier.root())));
        let grown = tokio::sync::watch::Sender::new(size);
        let conn = SqliteWriter {
            conn,
            wal_pages: WAL_PAGES_BULK,
        };
        let writer = Writer::spawn(conn, on_commit, frontier, head.clone(), grown.clone())
            .map_err(|source| StoreError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        Ok(SqliteStore {
            path,
            writer,
            readers: Mutex::new(Vec::new()),
            head,
            grown,
            nodes: Default::default(),
            lock: Some(lock),
        })
    }

    /// Opens the store in `dir` for reading only, beside a process that may be writing to it.
    /// Writes are refused with [`StoreError::ReadOnly`].
    pub fn open_read_only(dir: &Path) -> Result<SqliteStore, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.exists() {
            return Err(StoreError::Inconsistent(format!(
                "{} holds no store ({DB_FILE} is missing)",
                dir.display()
            )));
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != migrations::latest() {
            return Err(StoreError::Inconsistent(format!(
                "the store's schema is version {version}, this program reads version {}; open it for writing once to migrate it",
                migrations::latest()
            )));
        }
        let size = log_rows::size(&conn)?;
        let frontier = Frontier::restore(size, &crate::log::Nodes(&conn)).map_err(|e| {
            StoreError::Inconsistent(format!(
                "the evidence log cannot be read ({e}): `truceline log verify --data {}` names what differs",
                dir.display()
            ))
        })?;
        Ok(SqliteStore {
            path,
            writer: Writer::none(),
            readers: Mutex::new(vec![conn]),
            head: Arc::new(Mutex::new((size, frontier.root()))),
            grown: tokio::sync::watch::Sender::new(size),
            nodes: Default::default(),
            lock: None,
        })
    }

    fn write_job<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<u64, StoreError>>) -> Job,
        what: &'static str,
        map: impl FnOnce(u64) -> T,
    ) -> Result<T, StoreError> {
        if self.lock.is_none() {
            return Err(StoreError::ReadOnly(what));
        }
        self.writer.job(make, map)
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.readers.lock().unwrap().pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(30))?;
                c
            }
        };
        let out = f(&conn);
        let mut idle = self.readers.lock().unwrap();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

/// Takes the data directory's writer lock, or says who holds it.
fn writer_lock(dir: &Path) -> Result<std::fs::File, StoreError> {
    let path = dir.join("writer.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Dir {
            path: path.display().to_string(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Busy {
            path: dir.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Dir {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The settings of the writing connection: WAL lets readers run beside the writer; FULL
/// flushes the log at every commit, which is what makes an acknowledgement mean durable (NORMAL
/// would survive a process crash but not a power cut); a 64 MiB page cache keeps the indexes in
/// memory under bulk inserts. Public so that benchmarks measure SQLite with the
/// store's own settings.
pub fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // How often the log is copied into the database is set by the writer for each group (see
    // `SqliteWriter`); a connection configured here starts at the bulk figure (the raw-SQLite
    // benchmark keeps it).
    // (A checkpoint thread of its own was tried: under a steady stream of commits a passive
    // checkpoint never lets the log restart, and its flushes of the database file lengthened
    // the writer's commits.)
    conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES_BULK)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
}

/// Log pages between checkpoints after a group of many rows: every 16 MiB rather than every 4,
/// so bulk imports checkpoint a quarter as often.
const WAL_PAGES_BULK: i64 = 4000;

/// Log pages between checkpoints after a group of few rows (SQLite's own default). A checkpoint
/// runs on the writer between two commits, so the requests waiting on the next commit wait for
/// it: one of 4 MiB keeps them waiting about a quarter as long as one of 16 MiB. Four 10 s runs
/// of 64 clients posting one observation a request, alternating: p99 10.7–12.7 ms against
/// 13.0–77.4 ms at 4,000 pages (4 December 2026).
const WAL_PAGES_FEW: i64 = 1000;

/// A group of more rows than this is bulk.
const BULK_ROWS: usize = 1000;

/// The writing connection and how often it now checkpoints: often when requests are small and
/// someone waits on each, seldom under bulk intake, where fewer checkpoints mean fewer writes of
/// the same index pages.
pub(crate) struct SqliteWriter {
    conn: Connection,
    wal_pages: i64,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.writer.close();
    }
}

impl GroupCommit for SqliteWriter {
    type Error = rusqlite::Error;
    fn commit_group(
        &mut self,
        jobs: &[Job],
        frontier: &mut Frontier,
    ) -> Result<(Vec<JobResult>, usize), rusqlite::Error> {
        let rows: usize = jobs.iter().map(job_rows).sum();
        let pages = if rows > BULK_ROWS {
            WAL_PAGES_BULK
        } else {
            WAL_PAGES_FEW
        };
        // How often to checkpoint is not worth failing the group's writes for: should the
        // pragma fail, the last figure stands and is tried again on the next group.
        if pages != self.wal_pages
            && self
                .conn
                .pragma_update(None, "wal_autocheckpoint", pages)
                .is_ok()
        {
            self.wal_pages = pages;
        }
        commit_group(&mut self.conn, jobs, frontier)
    }
}

fn commit_group(
    conn: &mut Connection,
    jobs: &[Job],
    frontier: &mut Frontier,
) -> Result<(Vec<JobResult>, usize), rusqlite::Error> {
    let received = now_ms();
    let mut tx = conn.transaction()?;
    let mut results = Vec::with_capacity(jobs.len());
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for job in jobs {
        let result = match job {
            // One row needs no savepoint: a refused row (a conflict) wrote nothing. Savepoints
            // journal every page they touch, which for many small requests a commit costs
            // more than the inserts.
            Job::Observations(batch, _) if batch.len() == 1 => {
                JobResult::Observations(insert_batch(&tx, batch, received, frontier))
            }
            Job::Observations(batch, _) => {
                let sp = tx.savepoint()?;
                let mark = frontier.clone();
                let r = insert_batch(&sp, batch, received, frontier);
                if r.is_err() {
                    *frontier = mark;
                }
                finish(sp, r.is_ok())?;
                JobResult::Observations(r)
            }
            Job::Agreement(a, _) => {
                let sp = tx.savepoint()?;
                let mark = frontier.clone();
                let r = insert_agreement(&sp, a, received, frontier);
                if r.is_err() {
                    *frontier = mark;
                }
                finish(sp, r.is_ok())?;
                JobResult::Agreement(r)
            }
            // Only the shared store has standbys that queue for the writer.
            Job::Intake(_) => JobResult::Agreement(Ok(0)),
            Job::State(key, value, _) => JobResult::Agreement(
                tx.execute(
                    "INSERT OR REPLACE INTO state_blobs (key, value, saved_ms) VALUES (?1, ?2, ?3)",
                    params![key, value, received],
                )
                .map(|_| 0)
                .map_err(StoreError::from),
            ),
            Job::Checkpoint(size, note, _) => JobResult::Agreement(
                tx.execute(
                    "INSERT OR REPLACE INTO checkpoints (size, note, issued_ms) VALUES (?1, ?2, ?3)",
                    params![*size as i64, note, received],
                )
                .map(|_| *size)
                .map_err(StoreError::from),
            ),
            Job::Incidents(w, _) => {
                let sp = tx.savepoint()?;
                let r = write_incidents(&sp, w);
                finish(sp, r.is_ok())?;
                JobResult::Agreement(r.map(|()| w.upsert.len() as u64))
            }
            Job::Accounts(w, _) => {
                let sp = tx.savepoint()?;
                let r = write_accounts(&sp, w);
                finish(sp, r.is_ok())?;
                JobResult::Agreement(r.map(|()| 0))
            }
            Job::Records(recs, _) => {
                let sp = tx.savepoint()?;
                let mark = frontier.clone();
                let r = insert_records(&sp, recs, frontier);
                if r.is_err() {
                    *frontier = mark;
                }
                finish(sp, r.is_ok())?;
                JobResult::Agreement(r)
            }
            Job::MissionRecords(recs, _) => {
                let sp = tx.savepoint()?;
                let mark = frontier.clone();
                let r = insert_mission_records(&sp, recs, received, frontier);
                if r.is_err() {
                    *frontier = mark;
                }
                finish(sp, r.is_ok())?;
                JobResult::Observations(r)
            }
            Job::Report(rep, _) => {
                let sp = tx.savepoint()?;
                let mark = frontier.clone();
                let r = insert_report(&sp, rep, received, frontier);
                if r.is_err() {
                    *frontier = mark;
                }
                finish(sp, r.is_ok())?;
                JobResult::Agreement(r)
            }
        };
        if let (JobResult::Observations(Ok(outcomes)), Job::Observations(batch, _)) = (&result, job)
        {
            for (o, outcome) in batch.iter().zip(outcomes) {
                if matches!(outcome, Outcome::Accepted { .. }) {
                    match kinds.iter_mut().find(|(k, _)| *k == o.kind.as_str()) {
                        Some((_, n)) => *n += 1,
                        None => kinds.push((o.kind.as_str(), 1)),
                    }
                }
            }
        }
        results.push(result);
    }
    // The summary's counts, one row a kind for the whole group.
    let mut count = tx.prepare_cached(
        "INSERT INTO observation_kinds (kind, n) VALUES (?1, ?2)
         ON CONFLICT (kind) DO UPDATE SET n = n + excluded.n",
    )?;
    for (kind, n) in &kinds {
        count.execute(params![kind, *n as i64])?;
    }
    drop(count);
    tx.set_drop_behavior(rusqlite::DropBehavior::Rollback);
    tx.commit()?;
    // Rows written: those counted by kind.
    let written = kinds.iter().map(|(_, n)| n).sum();
    Ok((results, written))
}

/// Keeps a request's writes, or undoes them all, and releases the savepoint.
fn finish(mut sp: rusqlite::Savepoint, keep: bool) -> rusqlite::Result<()> {
    if !keep {
        sp.rollback()?;
    }
    sp.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer checkpoints often while requests are small and seldom under bulk intake, and
    /// what it commits is committed either way.
    #[test]
    fn checkpoints_often_after_few_rows_and_seldom_after_many() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        configure_writer(&conn).unwrap();
        migrations::migrate(&mut conn).unwrap();
        let mut w = SqliteWriter {
            conn,
            wal_pages: WAL_PAGES_BULK,
        };
        let mut frontier = Frontier::default();
        let pages = |w: &SqliteWriter| -> i64 {
            w.conn
                .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
                .unwrap()
        };
        let group = |from: usize, n: usize| -> Vec<Job> {
            let batch = (from..from + n)
                .map(|i| {
                    crate::conformance::obs(&format!("o{i}"), "op1", 1_000 * i as i64, 37.8, 48.0)
                })
                .collect();
            vec![Job::Observations(batch, tokio::sync::oneshot::channel().0)]
        };
        let mut committed = 0;
        for (n, expected) in [
            (1, WAL_PAGES_FEW),
            (BULK_ROWS + 1, WAL_PAGES_BULK),
            (3, WAL_PAGES_FEW),
        ] {
            let (results, _) = w.commit_group(&group(committed, n), &mut frontier).unwrap();
            assert!(matches!(&results[0], JobResult::Observations(Ok(o)) if o.len() == n));
            committed += n;
            assert_eq!(pages(&w), expected, "after a group of {n}");
        }
        let rows: i64 = w
            .conn
            .query_row("SELECT count(*) FROM observations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows as usize, committed);
    }
}
