//! The single writer every store has: one thread takes the requests that queued while the
//! last commit was flushing and commits them together (group commit), growing the log's
//! frontier as it goes; each store says how one group is committed ([`GroupCommit`]).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use truceline_log::Frontier;

use crate::*;

/// Most observations one group commit takes before it flushes; bounds a commit's latency.
pub(crate) const MAX_GROUP_ROWS: usize = 50_000;

pub(crate) type Reply = oneshot::Sender<Result<Vec<Outcome>, StoreError>>;

pub(crate) enum Job {
    Observations(Vec<NewObservation>, Reply),
    Agreement(StoredAgreement, oneshot::Sender<Result<u64, StoreError>>),
    Checkpoint(u64, String, oneshot::Sender<Result<u64, StoreError>>),
    Incidents(IncidentWrite, oneshot::Sender<Result<u64, StoreError>>),
    Report(PublishedReport, oneshot::Sender<Result<u64, StoreError>>),
    Accounts(Box<AccountWrite>, oneshot::Sender<Result<u64, StoreError>>),
    Records(Vec<NewRecord>, oneshot::Sender<Result<u64, StoreError>>),
    MissionRecords(Vec<NewMissionRecord>, Reply),
    State(String, Vec<u8>, oneshot::Sender<Result<u64, StoreError>>),
    /// Store what standbys queued for the writer (the shared store's intake); answered with
    /// how many requests it took. Nothing to do for a store without standbys.
    Intake(oneshot::Sender<Result<u64, StoreError>>),
}

/// The log's committed size and root, as the writer last left them.
pub(crate) type Head = Arc<Mutex<(u64, Hash)>>;

pub(crate) type CommitHook = Arc<dyn Fn(CommitStats) + Send + Sync>;

/// How a store commits one group of jobs in one transaction: the results in job order and
/// how many observations it wrote. On an error nothing of the group is kept.
pub(crate) trait GroupCommit {
    type Error: std::fmt::Display;
    fn commit_group(
        &mut self,
        jobs: &[Job],
        frontier: &mut Frontier,
    ) -> Result<(Vec<JobResult>, usize), Self::Error>;
}

pub(crate) fn writer_loop<C: GroupCommit>(
    mut conn: C,
    rx: mpsc::Receiver<Job>,
    on_commit: CommitHook,
    mut frontier: Frontier,
    head: Head,
    grown: tokio::sync::watch::Sender<u64>,
) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        let mut rows = job_rows(&jobs[0]);
        // Everything that queued while the last commit flushed shares this one.
        while rows < MAX_GROUP_ROWS {
            match rx.try_recv() {
                Ok(j) => {
                    rows += job_rows(&j);
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let before = frontier.clone();
        match conn.commit_group(&jobs, &mut frontier) {
            Ok((results, written)) => {
                let size = frontier.size();
                *head.lock().unwrap() = (size, frontier.root());
                grown.send_if_modified(|known| std::mem::replace(known, size) != size);
                on_commit(CommitStats {
                    latency: started.elapsed(),
                    requests: jobs.len(),
                    rows: written,
                });
                for (job, result) in jobs.into_iter().zip(results) {
                    match (job, result) {
                        (Job::Observations(_, reply), JobResult::Observations(r))
                        | (Job::MissionRecords(_, reply), JobResult::Observations(r)) => {
                            let _ = reply.send(r);
                        }
                        (Job::Agreement(_, reply), JobResult::Agreement(r))
                        | (Job::Checkpoint(_, _, reply), JobResult::Agreement(r))
                        | (Job::Incidents(_, reply), JobResult::Agreement(r))
                        | (Job::Report(_, reply), JobResult::Agreement(r))
                        | (Job::Accounts(_, reply), JobResult::Agreement(r))
                        | (Job::Records(_, reply), JobResult::Agreement(r))
                        | (Job::State(_, _, reply), JobResult::Agreement(r))
                        | (Job::Intake(reply), JobResult::Agreement(r)) => {
                            let _ = reply.send(r);
                        }
                        _ => unreachable!("results are in job order"),
                    }
                }
            }
            Err(e) => {
                // Nothing of the group is durable: every request hears so, and the log's edge
                // goes back to where the database is.
                frontier = before;
                let msg = e.to_string();
                for job in jobs {
                    let err = || StoreError::Unwritten(msg.clone());
                    match job {
                        Job::Observations(_, reply) | Job::MissionRecords(_, reply) => {
                            let _ = reply.send(Err(err()));
                        }
                        Job::Agreement(_, reply)
                        | Job::Checkpoint(_, _, reply)
                        | Job::Incidents(_, reply)
                        | Job::Report(_, reply)
                        | Job::Records(_, reply)
                        | Job::State(_, _, reply)
                        | Job::Intake(reply)
                        | Job::Accounts(_, reply) => {
                            let _ = reply.send(Err(err()));
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn job_rows(j: &Job) -> usize {
    match j {
        Job::Observations(b, _) => b.len(),
        Job::Agreement(..)
        | Job::Checkpoint(..)
        | Job::Report(..)
        | Job::Accounts(..)
        | Job::Intake(..)
        | Job::State(..) => 1,
        Job::Incidents(w, _) => w.upsert.len() + w.remove.len(),
        Job::Records(r, _) => r.len(),
        Job::MissionRecords(r, _) => r.len(),
    }
}

pub(crate) enum JobResult {
    Observations(Result<Vec<Outcome>, StoreError>),
    Agreement(Result<u64, StoreError>),
}

/// Milliseconds since the Unix epoch, as the stores stamp what they receive.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A store's writer thread and the queue to it.
pub(crate) struct Writer {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer on `conn`, the log's frontier as the database holds it.
    pub fn spawn<C: GroupCommit + Send + 'static>(
        conn: C,
        on_commit: CommitHook,
        frontier: Frontier,
        head: Head,
        grown: tokio::sync::watch::Sender<u64>,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(conn, rx, on_commit, frontier, head, grown))?;
        Ok(Writer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Starts the writer in a handle made without one (a standby taking over).
    pub fn install<C: GroupCommit + Send + 'static>(
        &self,
        conn: C,
        on_commit: CommitHook,
        frontier: Frontier,
        head: Head,
        grown: tokio::sync::watch::Sender<u64>,
    ) -> std::io::Result<()> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(conn, rx, on_commit, frontier, head, grown))?;
        *self.thread.lock().unwrap() = Some(thread);
        *self.tx.lock().unwrap() = Some(tx);
        Ok(())
    }

    /// No writer: a read-only handle.
    pub fn none() -> Writer {
        Writer {
            tx: Mutex::new(None),
            thread: Mutex::new(None),
        }
    }

    pub fn send(&self, job: Job) -> Result<(), Job> {
        match &*self.tx.lock().unwrap() {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// Queues a job answered with a number and waits for it, mapped by `map`.
    pub fn job<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<u64, StoreError>>) -> Job,
        map: impl FnOnce(u64) -> T,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        if let Err(job) = self.send(make(reply)) {
            match job {
                Job::Incidents(_, r)
                | Job::Report(_, r)
                | Job::Accounts(_, r)
                | Job::Records(_, r)
                | Job::Agreement(_, r)
                | Job::State(_, _, r)
                | Job::Intake(r)
                | Job::Checkpoint(_, _, r) => {
                    let _ = r.send(Err(StoreError::Closed));
                }
                Job::Observations(..) | Job::MissionRecords(..) => {}
            }
        }
        rx.blocking_recv()
            .unwrap_or(Err(StoreError::Closed))
            .map(map)
    }

    /// Queues observations (or mission records); the receiver yields once they are durable.
    pub fn observations(&self, batch: Vec<NewObservation>) -> Pending {
        let (reply, rx) = oneshot::channel();
        if let Err(Job::Observations(_, reply)) = self.send(Job::Observations(batch, reply)) {
            let _ = reply.send(Err(StoreError::Closed));
        }
        rx
    }

    pub fn mission_records(&self, batch: Vec<NewMissionRecord>) -> Pending {
        let (reply, rx) = oneshot::channel();
        if let Err(Job::MissionRecords(_, reply)) = self.send(Job::MissionRecords(batch, reply)) {
            let _ = reply.send(Err(StoreError::Closed));
        }
        rx
    }

    /// Stops taking writes, finishes every queued one, and waits for the thread to exit.
    pub fn close(&self) {
        self.tx.lock().unwrap().take();
        if let Some(t) = self.thread.lock().unwrap().take() {
            let _ = t.join();
        }
    }
}
