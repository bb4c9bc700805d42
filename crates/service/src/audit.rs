//! The audit trail (SPEC 5): one entry per write, per read of restricted data and per refusal,
//! kept in the evidence log so that nobody can edit it afterwards.
//!
//! Entries are gathered in memory and kept as one `audit` record (a log leaf) every
//! [`AUDIT_FLUSH`], or sooner when [`AUDIT_BATCH`] are waiting, and at shutdown: one leaf a
//! second rather than one per request, so that auditing every observation's request does not
//! double the log. The price is that a crash loses the entries of the last interval at most
//! (the writes they describe are durable and logged themselves).

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use truceline_store::{NewRecord, RecordQuery, RecordStore};

use crate::{Service, ServiceError};

/// How often gathered entries are kept.
pub const AUDIT_FLUSH: Duration = Duration::from_secs(2);
/// Most entries in one record.
pub const AUDIT_BATCH: usize = 5000;
/// Most entries waiting at once: past it (the store stalled under a flood of requests) new
/// entries are counted, not kept, and the next batch says how many were lost.
pub const AUDIT_MAX_PENDING: usize = 500_000;
/// The longest path kept, characters (a query string can be long).
const MAX_PATH: usize = 512;

/// One audited request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The account's name; `-` for the public, `open` for the demonstration.
    pub account: String,
    pub method: String,
    /// The path and query asked for.
    pub path: String,
    /// The peer's address, as the server saw it.
    pub remote: String,
    /// The account's role; `public` or `open` without one.
    pub role: String,
    pub status: u16,
    #[serde(with = "truceline_incident::timestamp")]
    pub time: jiff::Timestamp,
}

/// A batch as logged.
#[derive(Debug, Serialize, Deserialize)]
struct Batch {
    entries: Vec<AuditEntry>,
    /// Entries lost before this batch because too many were waiting.
    #[serde(default, skip_serializing_if = "is_zero")]
    lost: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub account: Option<String>,
}

/// Entries not yet kept, and how many were lost since the last batch.
#[derive(Debug, Default)]
pub struct Pending(Mutex<(Vec<AuditEntry>, u64)>);

impl Service {
    /// Records one audited request; kept with the next batch.
    pub fn audit(&self, mut e: AuditEntry) {
        if e.path.len() > MAX_PATH {
            let mut cut = MAX_PATH;
            while !e.path.is_char_boundary(cut) {
                cut -= 1;
            }
            e.path.truncate(cut);
        }
        let full = {
            let mut p = self.audit.0.lock().unwrap();
            if p.0.len() >= AUDIT_MAX_PENDING {
                p.1 += 1;
                return;
            }
            p.0.push(e);
            p.0.len() >= AUDIT_BATCH
        };
        if full {
            self.audit_flush.notify_one();
        }
    }

    /// Keeps every gathered entry in the log; returns how many. Blocking.
    pub fn flush_audit(&self) -> Result<usize, ServiceError> {
        let (entries, lost) = std::mem::take(&mut *self.audit.0.lock().unwrap());
        if entries.is_empty() && lost == 0 {
            return Ok(0);
        }
        if lost > 0 {
            tracing::error!(
                lost,
                "audit entries lost: too many were waiting for the store"
            );
        }
        let n = entries.len();
        let now_ms = jiff::Timestamp::now().as_millisecond();
        // Lost entries alone still make a batch, which says so.
        let chunks: Vec<&[AuditEntry]> = if entries.is_empty() {
            vec![&[]]
        } else {
            batches(&entries)
        };
        let mut records = Vec::with_capacity(chunks.len());
        for (k, chunk) in chunks.into_iter().enumerate() {
            let record = serde_jcs::to_vec(&Batch {
                entries: chunk.to_vec(),
                lost: if k == 0 { lost } else { 0 },
            })
            .map_err(|e| truceline_store::StoreError::Inconsistent(e.to_string()))?;
            records.push(NewRecord {
                kind: "audit".into(),
                subject: None,
                account: "-".into(),
                // A batch is found by its last entry's time; its first is at most one
                // interval earlier (see `read_audit`).
                time_ms: chunk.last().map_or(now_ms, |e| e.time.as_millisecond()),
                record,
            });
        }
        if let Err(e) = self
            .trackers
            .writes
            .track(self.store.append_records(records))
        {
            // Put them back for the next attempt rather than lose them.
            let mut p = self.audit.0.lock().unwrap();
            let later = std::mem::replace(&mut p.0, entries);
            p.0.extend(later);
            p.1 += lost;
            return Err(e.into());
        }
        Ok(n)
    }

    /// Audit entries in `[from, to)` of one account or all, oldest first; what is gathered is
    /// kept first, so the answer is complete up to now. Blocking.
    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, ServiceError> {
        self.flush_audit()?;
        Ok(read_audit(self.store.as_ref(), q)?)
    }
}

/// Audit entries kept in `store` in `[from, to)`, of one account or all, oldest first (for a
/// server's `GET /audit` and for `truceline audit` on a data directory).
pub fn read_audit(
    store: &dyn RecordStore,
    q: &AuditQuery,
) -> Result<Vec<AuditEntry>, truceline_store::StoreError> {
    // Batches are found by their last entry; one whose last entry is after `to` may start
    // before it, by at most a flush interval (more if the store stalled: ten minutes).
    let slack = 600_000;
    let records = store.records(&RecordQuery {
        kind: "audit",
        subject: None,
        from_ms: q.from_ms,
        to_ms: q.to_ms.map(|t| t.saturating_add(slack)),
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for r in records {
        let Ok(batch) = serde_json::from_slice::<Batch>(&r.record) else {
            tracing::warn!(log_index = r.log_index, "an audit record not read");
            continue;
        };
        out.extend(batch.entries.into_iter().filter(|e| {
            let t = e.time.as_millisecond();
            q.from_ms.is_none_or(|f| t >= f)
                && q.to_ms.is_none_or(|to| t < to)
                && q.account.as_deref().is_none_or(|a| e.account == a)
        }));
    }
    Ok(out)
}

/// Keeps gathered entries every [`AUDIT_FLUSH`] (or when a batch fills) until `stop`, then
/// the last of them.
pub(crate) fn spawn_audit(
    service: std::sync::Arc<Service>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let waker = service.clone();
    crate::periodic::spawn(
        "audit",
        AUDIT_FLUSH,
        stop,
        move || {
            let s = waker.clone();
            async move { s.audit_flush.notified().await }
        },
        move || {
            // A standby's entries wait (bounded) until it is the writer.
            if !service.store.writes() {
                return;
            }
            if let Err(e) = service.flush_audit() {
                tracing::error!(error = %e, "audit entries not kept yet; retrying");
            }
        },
    )
}

/// Most bytes of entries in one batch: a batch's leaf fits a C2SP entry bundle (65,535).
const AUDIT_BATCH_BYTES: usize = 60_000;

/// The entries cut into batches of at most [`AUDIT_BATCH`] entries and about
/// [`AUDIT_BATCH_BYTES`] bytes (an entry is short: its fields are bounded by the request).
fn batches(entries: &[AuditEntry]) -> Vec<&[AuditEntry]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, e) in entries.iter().enumerate() {
        let len = serde_json::to_vec(e).map_or(0, |v| v.len()) + 1;
        if i > start && (i - start == AUDIT_BATCH || bytes + len > AUDIT_BATCH_BYTES) {
            out.push(&entries[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += len;
    }
    out.push(&entries[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fit_an_entry_bundle_and_keep_every_entry_in_order() {
        let entries: Vec<AuditEntry> = (0..3000)
            .map(|i| AuditEntry {
                account: format!("acct{i}"),
                role: "analyst".into(),
                method: "GET".into(),
                path: format!("/api/v1/incidents?page={i}&{}", "x".repeat(i % 300)),
                remote: "127.0.0.1:5000".into(),
                status: 200,
                time: jiff::Timestamp::from_second(1_780_000_000 + i as i64).unwrap(),
            })
            .collect();
        let cut = batches(&entries);
        assert!(cut.len() > 1);
        let mut seen = Vec::new();
        for b in &cut {
            let leaf = truceline_log::leaf_bytes(
                "audit",
                &serde_jcs::to_vec(&Batch {
                    entries: b.to_vec(),
                    lost: 0,
                })
                .unwrap(),
            );
            assert!(
                leaf.len() <= truceline_log::tiles::MAX_ENTRY,
                "{}",
                leaf.len()
            );
            seen.extend(b.iter().map(|e| e.account.clone()));
        }
        assert_eq!(
            seen,
            entries
                .iter()
                .map(|e| e.account.clone())
                .collect::<Vec<_>>()
        );
        assert_eq!(batches(&entries[..1]).len(), 1);
    }
}
