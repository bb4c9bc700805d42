//! Writes taken by any server of a shared store, not only by the one holding the writer's lock.
//!
//! The log has one frontier, so one connection appends to it (see the module above). A
//! standby does not refuse observations and mission records for that: it commits each request
//! to the intake tables (every request that queued meanwhile in one transaction) and tells the
//! writer (`NOTIFY`); the writer drains the intake in its next group commit, storing and
//! logging each request exactly as one of its own and writing the request's outcome in the
//! same transaction; the standby answers its client with that outcome. So a standby
//! acknowledges only what the writer has committed to the log, as the writer does itself.
//!
//! A request committed to the intake outlives the writer that was to drain it: the next writer
//! (the standby itself, once it takes over) drains it when it starts. A client whose standby
//! stopped waiting (after [`WAIT`]) or died is told nothing was acknowledged; the request may
//! still be logged, and sending it again is a duplicate, as any retry is. Outcomes nobody
//! collected are dropped after [`FORGET_MS`].

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Transaction};
use truceline_log::Frontier;

use super::{
    insert_batch, insert_mission_records, insert_records, insert_report, set_schema, write_accounts,
};
use crate::writer::{Head, Job, Reply, Writer, now_ms};
use crate::*;

/// The intake's tables (migration 2 of the shared store).
pub(super) const MIGRATION: &str = r#"CREATE TABLE intake_requests (
         id BIGSERIAL PRIMARY KEY,
         kind TEXT NOT NULL,
         made_ms BIGINT NOT NULL,
         nonce BYTEA NOT NULL,
         payload BYTEA,
         outcome TEXT,
         done_ms BIGINT
     );
     CREATE INDEX intake_pending ON intake_requests (id) WHERE outcome IS NULL;
     CREATE UNIQUE INDEX intake_nonce ON intake_requests (nonce);
     CREATE TABLE intake_rows (
         request BIGINT NOT NULL REFERENCES intake_requests (id) ON DELETE CASCADE,
         pos INTEGER NOT NULL,
         id TEXT,
         who TEXT NOT NULL,
         time_ms BIGINT NOT NULL,
         lon DOUBLE PRECISION,
         lat DOUBLE PRECISION,
         kind TEXT NOT NULL,
         body BYTEA NOT NULL,
         leaf BYTEA,
         salts BYTEA,
         PRIMARY KEY (request, pos)
     );"#;

/// Longest a standby waits for the writer to log a request before telling its client so.
pub(crate) const WAIT: Duration = Duration::from_secs(20);
/// How often a standby looks for its requests' outcomes while it has some waiting.
const POLL: Duration = Duration::from_millis(3);
/// How often the writer looks at the intake when no standby has told it anything (a
/// notification missed across a reconnection or a takeover).
const DRAIN_POLL: Duration = Duration::from_millis(500);
/// Outcomes no standby collected (it died waiting) are dropped this long after.
pub(crate) const FORGET_MS: i64 = 3_600_000;
/// Most requests one intake transaction takes.
const MAX_REQUESTS: usize = 512;

const OBSERVATIONS: &str = "observations";
const MISSION_RECORDS: &str = "mission_records";
const RECORDS: &str = "records";
const ACCOUNTS: &str = "accounts";
const REPORT: &str = "report";

/// The channel the writer listens on for the intake of `schema`.
fn channel(schema: &str) -> String {
    format!("truceline_intake_{schema}")
}

enum Request {
    Observations(Vec<NewObservation>, Reply),
    MissionRecords(Vec<NewMissionRecord>, Reply),
    /// Analysts' decisions, parties' replies: answered with the first one's leaf.
    Records(Vec<NewRecord>, Reply),
    /// A change to accounts or tokens (its JSON), or a report to publish (answered with its
    /// leaf): one small payload each.
    Accounts(Box<AccountWrite>, Reply),
    Report(PublishedReport, Reply),
}

impl Request {
    fn reply(self) -> Reply {
        match self {
            Request::Observations(_, r)
            | Request::MissionRecords(_, r)
            | Request::Records(_, r)
            | Request::Accounts(_, r)
            | Request::Report(_, r) => r,
        }
    }
}

/// A standby's way to the writer: a thread that commits requests to the intake and collects
/// their outcomes, started at the first request.
pub(crate) struct Intake {
    url: String,
    schema: String,
    /// The handle's view of the log, brought up to what the writer logged before a request
    /// is answered: a client reads back (proofs included) what it was told is logged.
    head: Head,
    grown: tokio::sync::watch::Sender<u64>,
    tx: Mutex<Option<mpsc::Sender<Request>>>,
}

impl Intake {
    pub(crate) fn new(
        url: &str,
        schema: &str,
        head: Head,
        grown: tokio::sync::watch::Sender<u64>,
    ) -> Intake {
        Intake {
            url: url.to_string(),
            schema: schema.to_string(),
            head,
            grown,
            tx: Mutex::new(None),
        }
    }

    pub(crate) fn observations(&self, batch: Vec<NewObservation>) -> Pending {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.send(Request::Observations(batch, reply));
        rx
    }

    pub(crate) fn mission_records(&self, batch: Vec<NewMissionRecord>) -> Pending {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.send(Request::MissionRecords(batch, reply));
        rx
    }

    /// The records' leaves, in order.
    pub(crate) fn records(&self, batch: Vec<NewRecord>) -> Result<Vec<u64>, StoreError> {
        let n = batch.len() as u64;
        let first = self.one(|reply| Request::Records(batch, reply))?;
        Ok((first..first + n).collect())
    }

    pub(crate) fn accounts(&self, w: AccountWrite) -> Result<(), StoreError> {
        self.one(|reply| Request::Accounts(Box::new(w), reply))
            .map(|_| ())
    }

    /// The report's leaf.
    pub(crate) fn report(&self, r: PublishedReport) -> Result<u64, StoreError> {
        self.one(|reply| Request::Report(r, reply))
    }

    /// Sends a request answered with one number and waits for it.
    fn one(&self, make: impl FnOnce(Reply) -> Request) -> Result<u64, StoreError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.send(make(reply));
        let out = rx.blocking_recv().unwrap_or(Err(StoreError::Closed))?;
        Ok(out.first().map_or(0, |o| o.log_index()))
    }

    fn send(&self, r: Request) {
        let mut tx = self.tx.lock().unwrap();
        if tx.is_none() {
            let (s, rx) = mpsc::channel();
            let (url, schema) = (self.url.clone(), self.schema.clone());
            let (head, grown) = (self.head.clone(), self.grown.clone());
            let started = std::thread::Builder::new()
                .name("store-intake".into())
                .spawn(move || forward(&url, &schema, rx, &head, &grown));
            match started {
                Ok(_) => *tx = Some(s),
                Err(e) => {
                    let _ = r.reply().send(Err(StoreError::Unwritten(format!(
                        "cannot start the intake: {e}"
                    ))));
                    return;
                }
            }
        }
        if let Err(mpsc::SendError(r)) = tx.as_ref().unwrap().send(r) {
            let _ = r.reply().send(Err(StoreError::Closed));
        }
    }
}

/// A request committed to the intake, waiting for its outcome.
struct Waiting {
    reply: Reply,
    since: Instant,
}

/// The standby's intake thread: runs until its store handle goes.
fn forward(
    url: &str,
    schema: &str,
    rx: mpsc::Receiver<Request>,
    head: &Head,
    grown: &tokio::sync::watch::Sender<u64>,
) {
    let mut conn: Option<Client> = None;
    let mut waiting: HashMap<i64, Waiting> = HashMap::new();
    loop {
        let mut new = Vec::new();
        let wait = if waiting.is_empty() {
            Duration::from_secs(3600)
        } else {
            POLL
        };
        match rx.recv_timeout(wait) {
            Ok(r) => new.push(r),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        while new.len() < MAX_REQUESTS {
            match rx.try_recv() {
                Ok(r) => new.push(r),
                Err(_) => break,
            }
        }
        let c = match connected(&mut conn, url, schema) {
            Ok(c) => c,
            Err(e) => {
                for r in new {
                    let _ = r.reply().send(Err(StoreError::Unwritten(e.to_string())));
                }
                std::thread::sleep(POLL * 10);
                continue;
            }
        };
        if !new.is_empty() {
            let nonces: Vec<Vec<u8>> = new
                .iter()
                .map(|_| rand::random::<[u8; 16]>().to_vec())
                .collect();
            let since = Instant::now();
            match enqueue(c, schema, &new, &nonces) {
                Ok(ids) => {
                    for (id, r) in ids.into_iter().zip(new) {
                        let reply = r.reply();
                        waiting.insert(id, Waiting { reply, since });
                    }
                }
                Err(e) => {
                    // The commit may have happened with only its answer lost: what the intake
                    // holds is waited for as any, and only what it does not is refused.
                    conn = None;
                    let found = connected(&mut conn, url, schema).and_then(|c| queued(c, &nonces));
                    for (r, nonce) in new.into_iter().zip(&nonces) {
                        let reply = r.reply();
                        match &found {
                            Ok(found) => match found.get(nonce) {
                                Some(id) => {
                                    waiting.insert(*id, Waiting { reply, since });
                                }
                                None => {
                                    let _ = reply.send(Err(StoreError::Unwritten(e.to_string())));
                                }
                            },
                            Err(again) => {
                                let _ = reply
                                    .send(Err(StoreError::Unknown(format!("{e}; then {again}"))));
                            }
                        }
                    }
                    continue;
                }
            }
        }
        // A client gone is let go, and one waited on too long is told so; either request
        // stays queued and is logged when the writer takes it.
        waiting.retain(|_, w| !w.reply.is_closed());
        let late: Vec<i64> = waiting
            .iter()
            .filter(|(_, w)| w.since.elapsed() >= WAIT)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            if let Some(w) = waiting.remove(&id) {
                let _ = w.reply.send(Err(StoreError::Queued(WAIT.as_secs())));
            }
        }
        if waiting.is_empty() {
            continue;
        }
        if let Err(e) = collect(c, &mut waiting, head, grown) {
            tracing::warn!(error = %e, "the intake's outcomes could not be read; reconnecting");
            conn = None;
        }
    }
}

fn connected<'a>(
    conn: &'a mut Option<Client>,
    url: &str,
    schema: &str,
) -> Result<&'a mut Client, StoreError> {
    if conn.as_ref().is_none_or(|c| c.is_closed()) {
        let mut c = Client::connect(url, NoTls)?;
        set_schema(&mut c, schema)?;
        *conn = Some(c);
    }
    Ok(conn.as_mut().unwrap())
}

/// The requests of these nonces the intake holds, by nonce.
fn queued(c: &mut Client, nonces: &[Vec<u8>]) -> Result<HashMap<Vec<u8>, i64>, StoreError> {
    Ok(c.query(
        "SELECT nonce, id FROM intake_requests WHERE nonce = ANY($1)",
        &[&nonces],
    )?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// Commits `new` to the intake (each with its nonce, by which a commit whose answer was lost
/// is found again) and tells the writer; their request ids, in order.
fn enqueue(
    c: &mut Client,
    schema: &str,
    new: &[Request],
    nonces: &[Vec<u8>],
) -> Result<Vec<i64>, StoreError> {
    let made = now_ms();
    let mut tx = c.transaction()?;
    let mut ids = Vec::with_capacity(new.len());
    for (r, nonce) in new.iter().zip(nonces) {
        let kind = match r {
            Request::Observations(..) => OBSERVATIONS,
            Request::MissionRecords(..) => MISSION_RECORDS,
            Request::Records(..) => RECORDS,
            Request::Accounts(..) => ACCOUNTS,
            Request::Report(..) => REPORT,
        };
        let payload = match r {
            Request::Accounts(w, _) => {
                Some(serde_json::to_vec(w).expect("an account change is JSON"))
            }
            Request::Report(p, _) => Some(serde_json::to_vec(p).expect("a report is JSON")),
            _ => None,
        };
        let id: i64 = tx
            .query_one(
                "INSERT INTO intake_requests (kind, made_ms, nonce, payload) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&kind, &made, nonce, &payload],
            )?
            .get(0);
        let mut rows = IntakeRows::default();
        match r {
            Request::Observations(batch, _) => {
                for o in batch {
                    rows.push(
                        Some(&o.id),
                        &o.observer,
                        o.time_ms,
                        Some((o.lon, o.lat)),
                        &o.kind,
                        &o.body,
                    );
                    rows.leaf.push(o.leaf.map(|h| h.to_vec()));
                    rows.salts.push(o.salts.clone());
                }
            }
            Request::MissionRecords(batch, _) => {
                for m in batch {
                    rows.push(Some(&m.id), &m.account, m.time_ms, None, &m.kind, &m.body);
                    rows.leaf.push(None);
                    rows.salts.push(None);
                }
            }
            Request::Records(batch, _) => {
                for r in batch {
                    let subject = r.subject.as_deref();
                    rows.push(subject, &r.account, r.time_ms, None, &r.kind, &r.record);
                    rows.leaf.push(None);
                    rows.salts.push(None);
                }
            }
            Request::Accounts(..) | Request::Report(..) => {}
        }
        let pos: Vec<i32> = (0..rows.id.len() as i32).collect();
        tx.execute(
            "INSERT INTO intake_rows (request, pos, id, who, time_ms, lon, lat, kind, body, leaf, salts)
             SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::bigint[], $6::float8[],
                 $7::float8[], $8::text[], $9::bytea[], $10::bytea[], $11::bytea[])",
            &[
                &id, &pos, &rows.id, &rows.who, &rows.time_ms, &rows.lon, &rows.lat, &rows.kind,
                &rows.body, &rows.leaf, &rows.salts,
            ],
        )?;
        ids.push(id);
    }
    tx.batch_execute(&format!("NOTIFY {}", channel(schema)))?;
    tx.commit()?;
    Ok(ids)
}

#[derive(Default)]
struct IntakeRows<'a> {
    id: Vec<Option<&'a str>>,
    who: Vec<&'a str>,
    time_ms: Vec<i64>,
    lon: Vec<Option<f64>>,
    lat: Vec<Option<f64>>,
    kind: Vec<&'a str>,
    body: Vec<&'a [u8]>,
    leaf: Vec<Option<Vec<u8>>>,
    salts: Vec<Option<Vec<u8>>>,
}

impl<'a> IntakeRows<'a> {
    fn push(
        &mut self,
        id: Option<&'a str>,
        who: &'a str,
        time_ms: i64,
        at: Option<(f64, f64)>,
        kind: &'a str,
        body: &'a [u8],
    ) {
        self.id.push(id);
        self.who.push(who);
        self.time_ms.push(time_ms);
        self.lon.push(at.map(|p| p.0));
        self.lat.push(at.map(|p| p.1));
        self.kind.push(kind);
        self.body.push(body);
    }
}

/// Answers every waiting request whose outcome the writer has written, and forgets it.
fn collect(
    c: &mut Client,
    waiting: &mut HashMap<i64, Waiting>,
    head: &Head,
    grown: &tokio::sync::watch::Sender<u64>,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = waiting.keys().copied().collect();
    let done = c.query(
        "SELECT id, outcome FROM intake_requests WHERE id = ANY($1) AND outcome IS NOT NULL",
        &[&ids],
    )?;
    if done.is_empty() {
        return Ok(());
    }
    super::follow(c, head, grown)?;
    let mut answered = Vec::with_capacity(done.len());
    for row in done {
        let id: i64 = row.get(0);
        let outcome: String = row.get(1);
        if let Some(w) = waiting.remove(&id) {
            let _ = w.reply.send(decode(&outcome));
        }
        answered.push(id);
    }
    c.execute(
        "DELETE FROM intake_requests WHERE id = ANY($1)",
        &[&answered],
    )?;
    Ok(())
}

/// What a drain did: how many requests it answered, and the observations it stored by kind.
pub(super) struct Drained {
    pub requests: u64,
    /// Account changes applied: whoever caches accounts or tokens must read them again.
    pub accounts: u64,
    pub kinds: Vec<(String, i64)>,
}

/// The writer's part, inside its group commit: stores and logs every request waiting in the
/// intake, each under its own savepoint (a refused one leaves nothing), and writes each one's
/// outcome in the same transaction.
pub(super) fn drain(
    tx: &mut Transaction<'_>,
    received: i64,
    frontier: &mut Frontier,
) -> Result<Drained, StoreError> {
    tx.execute(
        "DELETE FROM intake_requests WHERE done_ms < $1",
        &[&(received - FORGET_MS)],
    )?;
    let requests: Vec<(i64, String, Option<Vec<u8>>)> = tx
        .query(
            "SELECT id, kind, payload FROM intake_requests WHERE outcome IS NULL ORDER BY id LIMIT $1",
            &[&(MAX_REQUESTS as i64 * 4)],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut drained = Drained {
        requests: requests.len() as u64,
        accounts: 0,
        kinds: Vec::new(),
    };
    if requests.is_empty() {
        return Ok(drained);
    }
    let ids: Vec<i64> = requests.iter().map(|r| r.0).collect();
    let mut rows: HashMap<i64, Vec<postgres::Row>> = HashMap::new();
    for row in tx.query(
        "SELECT request, id, who, time_ms, lon, lat, kind, body, leaf, salts
         FROM intake_rows WHERE request = ANY($1) ORDER BY request, pos",
        &[&ids],
    )? {
        rows.entry(row.get(0)).or_default().push(row);
    }
    let mut outcomes = Vec::with_capacity(ids.len());
    for (id, kind, payload) in &requests {
        let rows = rows.remove(id).unwrap_or_default();
        let mut sp = tx.savepoint("intake")?;
        let mark = frontier.clone();
        let r = match kind.as_str() {
            OBSERVATIONS => {
                let batch: Vec<NewObservation> = rows.iter().map(observation).collect();
                insert_batch(&mut sp, &batch, received, frontier).inspect(|out| {
                    for (o, outcome) in batch.iter().zip(out) {
                        if matches!(outcome, Outcome::Accepted { .. }) {
                            count_kind(&mut drained.kinds, &o.kind, 1);
                        }
                    }
                })
            }
            MISSION_RECORDS => {
                let batch: Vec<NewMissionRecord> = rows.iter().map(mission_record).collect();
                insert_mission_records(&mut sp, &batch, received, frontier)
            }
            RECORDS => {
                let batch: Vec<NewRecord> = rows.iter().map(record).collect();
                crate::check_record_kinds(&batch)
                    .and_then(|()| insert_records(&mut sp, &batch, frontier))
                    .map(|first| vec![Outcome::Accepted { log_index: first }])
            }
            ACCOUNTS => payload_of::<AccountWrite>(*id, payload)
                .and_then(|w| write_accounts(&mut sp, &w))
                .map(|()| vec![Outcome::Accepted { log_index: 0 }]),
            REPORT => payload_of::<PublishedReport>(*id, payload)
                .and_then(|p| insert_report(&mut sp, &p, received, frontier))
                .map(|i| vec![Outcome::Accepted { log_index: i }]),
            other => Err(StoreError::Inconsistent(format!(
                "intake request {id} is of kind {other:?}, which this program does not know"
            ))),
        };
        match &r {
            Ok(_) => {
                sp.commit()?;
                if kind == ACCOUNTS {
                    drained.accounts += 1;
                }
            }
            Err(_) => {
                sp.rollback()?;
                *frontier = mark;
            }
        }
        outcomes.push(encode(&r));
    }
    tx.execute(
        "UPDATE intake_requests AS r SET outcome = u.outcome, done_ms = $3
         FROM unnest($1::bigint[], $2::text[]) AS u (id, outcome) WHERE r.id = u.id",
        &[&ids, &outcomes, &received],
    )?;
    tx.execute("DELETE FROM intake_rows WHERE request = ANY($1)", &[&ids])?;
    Ok(drained)
}

/// Adds `n` stored observations of `kind` to the counts.
pub(super) fn count_kind(kinds: &mut Vec<(String, i64)>, kind: &str, n: i64) {
    match kinds.iter_mut().find(|(k, _)| k == kind) {
        Some((_, m)) => *m += n,
        None => kinds.push((kind.to_string(), n)),
    }
}

fn observation(r: &postgres::Row) -> NewObservation {
    NewObservation {
        id: r.get(1),
        observer: r.get(2),
        time_ms: r.get(3),
        lon: r.get::<_, Option<f64>>(4).unwrap_or_default(),
        lat: r.get::<_, Option<f64>>(5).unwrap_or_default(),
        kind: r.get(6),
        body: r.get(7),
        leaf: r
            .get::<_, Option<Vec<u8>>>(8)
            .and_then(|l| <Hash>::try_from(l.as_slice()).ok()),
        salts: r.get(9),
    }
}

fn payload_of<T: serde::de::DeserializeOwned>(
    id: i64,
    payload: &Option<Vec<u8>>,
) -> Result<T, StoreError> {
    payload
        .as_deref()
        .and_then(|p| serde_json::from_slice(p).ok())
        .ok_or_else(|| {
            StoreError::Inconsistent(format!(
                "intake request {id} has no payload this program reads"
            ))
        })
}

fn record(r: &postgres::Row) -> NewRecord {
    NewRecord {
        subject: r.get(1),
        account: r.get(2),
        time_ms: r.get(3),
        kind: r.get(6),
        record: r.get(7),
    }
}

fn mission_record(r: &postgres::Row) -> NewMissionRecord {
    NewMissionRecord {
        id: r.get(1),
        account: r.get(2),
        time_ms: r.get(3),
        kind: r.get(6),
        body: r.get(7),
    }
}

/// A request's outcome as the intake keeps it (JSON): `{"ok": [[accepted, log index], …]}`,
/// `{"conflict": [index, id]}`, `{"invalid" | "exists" | "not_found" | "error": message}`.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kept {
    Ok(Vec<(bool, u64)>),
    Conflict(usize, String),
    Invalid(String),
    Exists(String),
    NotFound(String),
    Error(String),
}

fn encode(r: &Result<Vec<Outcome>, StoreError>) -> String {
    let kept = match r {
        Ok(out) => Kept::Ok(
            out.iter()
                .map(|o| (matches!(o, Outcome::Accepted { .. }), o.log_index()))
                .collect(),
        ),
        Err(StoreError::Conflict { index, id }) => Kept::Conflict(*index, id.clone()),
        Err(StoreError::Invalid(m)) => Kept::Invalid(m.clone()),
        Err(StoreError::Exists(m)) => Kept::Exists(m.clone()),
        Err(StoreError::NotFound(m)) => Kept::NotFound(m.clone()),
        Err(e) => Kept::Error(e.to_string()),
    };
    serde_json::to_string(&kept).expect("an outcome is JSON")
}

fn decode(s: &str) -> Result<Vec<Outcome>, StoreError> {
    match serde_json::from_str(s) {
        Ok(Kept::Ok(pairs)) => Ok(pairs
            .into_iter()
            .map(|(accepted, log_index)| match accepted {
                true => Outcome::Accepted { log_index },
                false => Outcome::Duplicate { log_index },
            })
            .collect()),
        Ok(Kept::Conflict(index, id)) => Err(StoreError::Conflict { index, id }),
        Ok(Kept::Invalid(m)) => Err(StoreError::Invalid(m)),
        Ok(Kept::Exists(m)) => Err(StoreError::Exists(m)),
        Ok(Kept::NotFound(m)) => Err(StoreError::NotFound(m)),
        Ok(Kept::Error(m)) => Err(StoreError::Unwritten(m)),
        Err(_) => Err(StoreError::Inconsistent(format!(
            "an intake outcome this program cannot read: {s}"
        ))),
    }
}

/// The writer's listener: drains the intake whenever a standby says it has queued a request
/// there, and every [`DRAIN_POLL`] when it finds one waiting. Ends when the writer does.
pub(super) fn spawn_drainer(url: &str, schema: &str, writer: Arc<Writer>) -> std::io::Result<()> {
    let (url, schema) = (url.to_string(), schema.to_string());
    std::thread::Builder::new()
        .name("store-intake-drain".into())
        .spawn(move || {
            let mut conn: Option<Client> = None;
            let mut due = true;
            loop {
                if due {
                    let r = writer.job(Job::Intake, |n| n);
                    if matches!(r, Err(StoreError::Closed)) {
                        return;
                    }
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "draining the intake failed; trying again");
                    }
                }
                due = match listen(&mut conn, &url, &schema) {
                    Ok(due) => due,
                    Err(e) => {
                        tracing::warn!(error = %e, "the intake's listener lost the database; reconnecting");
                        conn = None;
                        std::thread::sleep(DRAIN_POLL);
                        // A probe of the writer: a closed one ends the thread.
                        true
                    }
                };
            }
        })?;
    Ok(())
}

/// Waits up to [`DRAIN_POLL`] for a standby's word; whether the intake has work.
fn listen(conn: &mut Option<Client>, url: &str, schema: &str) -> Result<bool, StoreError> {
    if conn.as_ref().is_none_or(|c| c.is_closed()) {
        let mut c = Client::connect(url, NoTls)?;
        set_schema(&mut c, schema)?;
        c.batch_execute(&format!("LISTEN {}", channel(schema)))?;
        *conn = Some(c);
    }
    let c = conn.as_mut().unwrap();
    let told = c.notifications().timeout_iter(DRAIN_POLL).next()?;
    if told.is_some() {
        // Every word that came meanwhile is answered by the one drain.
        while c.notifications().iter().next()?.is_some() {}
        return Ok(true);
    }
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM intake_requests WHERE outcome IS NULL)",
        &[],
    )?
    .get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outcomes are kept in the database between a standby and the writer (perhaps of two
    /// builds): the JSON stays as documented and reads back as it was.
    #[test]
    fn outcomes_are_kept_as_documented_and_read_back() {
        let cases: Vec<(Result<Vec<Outcome>, StoreError>, &str)> = vec![
            (
                Ok(vec![
                    Outcome::Accepted { log_index: 7 },
                    Outcome::Duplicate { log_index: 2 },
                ]),
                r#"{"ok":[[true,7],[false,2]]}"#,
            ),
            (
                Err(StoreError::Conflict {
                    index: 3,
                    id: "o-1".into(),
                }),
                r#"{"conflict":[3,"o-1"]}"#,
            ),
            (
                Err(StoreError::Invalid("bad".into())),
                r#"{"invalid":"bad"}"#,
            ),
            (Err(StoreError::Exists("a".into())), r#"{"exists":"a"}"#),
            (
                Err(StoreError::NotFound("b".into())),
                r#"{"not_found":"b"}"#,
            ),
        ];
        for (outcome, text) in cases {
            assert_eq!(encode(&outcome), text);
            assert_eq!(format!("{:?}", decode(text)), format!("{outcome:?}"));
        }
        let failed = encode(&Err(StoreError::Closed));
        assert!(failed.starts_with(r#"{"error":""#), "{failed}");
        assert!(matches!(decode(&failed), Err(StoreError::Unwritten(_))));
        assert!(matches!(
            decode(r#"{"later":1}"#),
            Err(StoreError::Inconsistent(_))
        ));
    }
}
