//! Whether the mission can trust what it is shown now: the store writes, checkpoints follow the
//! log, fusion follows the observations. `GET /healthz` answers from [`Service::health`], and
//! `/metrics` exports the same figures, so an operator's probe and the dashboard agree.
//!
//! A write that failed more recently than any write succeeded means the store cannot write now
//! (a full disk, a failing fsync): every kind of write counts, so the checkpoint signer's
//! retries each second find out when the disk is back even if no observation arrives. Lateness
//! is measured from when a gap was first seen, not from the last success: a log quiet for an
//! hour that grows now is not an hour late.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use truceline_store::StoreError;

use crate::Service;

/// Checkpoints are signed within a second of growth; later than this, they are late.
pub const CHECKPOINT_LATE: Duration = Duration::from_secs(10);
/// Fusion rests at most five seconds between rounds and a round takes well under a second;
/// behind the log for longer than this, it has stopped or cannot keep up.
pub const FUSION_LATE: Duration = Duration::from_secs(60);

/// The outcome of the store's writes, of every kind.
#[derive(Default)]
pub struct Writes {
    /// Why the latest write failed; `None` once one succeeds.
    failing: Mutex<Option<String>>,
    errors: AtomicU64,
}

impl Writes {
    pub fn ok(&self) {
        *self.failing.lock().unwrap() = None;
    }

    pub fn failed(&self, e: &StoreError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.failing.lock().unwrap() = Some(public_reason(e));
    }

    /// Failed writes since the start.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Why the store cannot write, if its latest write failed.
    pub fn failing(&self) -> Option<String> {
        self.failing.lock().unwrap().clone()
    }

    /// Records the outcome of `r`.
    pub fn track<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        match &r {
            Ok(_) => self.ok(),
            Err(e) => self.failed(e),
        }
        r
    }
}

/// What `/healthz`, which anyone may read, says of a failed write: the database engine's own
/// words for a failed commit (a full disk, an I/O error), a fixed sentence otherwise — other
/// store errors may quote a record, and records name observers.
fn public_reason(e: &StoreError) -> String {
    match e {
        StoreError::Unwritten(_) | StoreError::Sqlite(_) | StoreError::Closed => e.to_string(),
        _ => "a write failed (the server's log says which)".into(),
    }
}

/// How long a follower has been behind what it follows: `behind(done, head)` keeps the moment
/// it first saw `done < head` with this `done`, and answers the time since.
#[derive(Default)]
pub struct Lag {
    since: Mutex<Option<(u64, Instant)>>,
    late_times: AtomicU64,
    late_now: std::sync::atomic::AtomicBool,
}

impl Lag {
    fn behind(&self, done: u64, head: u64, late: Duration) -> Duration {
        let mut since = self.since.lock().unwrap();
        if done >= head {
            *since = None;
            self.late_now.store(false, Ordering::Relaxed);
            return Duration::ZERO;
        }
        let at = match *since {
            Some((d, at)) if d == done => at,
            _ => {
                let now = Instant::now();
                *since = Some((done, now));
                now
            }
        };
        let lag = at.elapsed();
        if lag > late && !self.late_now.swap(true, Ordering::Relaxed) {
            self.late_times.fetch_add(1, Ordering::Relaxed);
        }
        lag
    }

    /// How many times it has fallen late.
    pub fn late_times(&self) -> u64 {
        self.late_times.load(Ordering::Relaxed)
    }
}

/// What [`Service::health`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Why the service is degraded; empty when it is not.
    pub problems: Vec<String>,
    /// What is behind elsewhere (field offices lagging), without this server being degraded.
    /// They name the offices: for the mission's staff only ([`Health::warnings_for`]).
    pub warnings: Vec<String>,
    /// Time since the log first grew past the latest signed checkpoint (zero when signed).
    pub checkpoint_lag: Duration,
    /// Time since the log first grew past what fusion has read (zero when caught up, or off).
    pub fusion_lag: Duration,
    /// Whether fusion has finished its first round (false with fusion off).
    pub fusion_started: bool,
    /// Store writes that failed, since the start.
    pub store_errors: u64,
    /// Times checkpoints, and fusion, fell late since the start.
    pub checkpoints_late: u64,
    pub fusion_late: u64,
}

impl Health {
    /// The warnings as `caller` may read them: where the mission's field offices are is for its
    /// staff; anyone else is told only how many are behind.
    pub fn warnings_for(&self, caller: &crate::accounts::Caller) -> Vec<String> {
        match (caller.is_staff(), self.warnings.len()) {
            (true, _) | (false, 0) => self.warnings.clone(),
            (false, 1) => vec!["a field office is lagging".to_string()],
            (false, n) => vec![format!("{n} field offices are lagging")],
        }
    }
}

/// The trackers a service keeps.
#[derive(Default)]
pub struct Trackers {
    pub writes: Writes,
    pub checkpoints: Lag,
    pub fusion: Lag,
}

impl Service {
    /// The service's health now; blocking only on in-memory locks.
    pub fn health(&self) -> Health {
        let h = &self.trackers;
        let (head, _) = self.store.log_head();
        let signed = self.log.checkpoint_size();
        let checkpoint_lag = h.checkpoints.behind(signed, head, CHECKPOINT_LATE);
        let fusion_on = self.fusion.running();
        let progress = self.fusion.progress();
        let fusion_lag = match progress {
            Some(p) if fusion_on => h.fusion.behind(p, head, FUSION_LATE),
            _ => Duration::ZERO,
        };
        let mut problems = Vec::new();
        if let Some(e) = h.writes.failing() {
            problems.push(format!("the store cannot write: {e}"));
        }
        if checkpoint_lag > CHECKPOINT_LATE {
            problems.push(format!(
                "checkpoints are late: the log grew {} s ago and no checkpoint covers it",
                checkpoint_lag.as_secs()
            ));
        }
        if fusion_lag > FUSION_LATE {
            problems.push(format!(
                "fusion is {} s behind the observations: incidents shown are not current",
                fusion_lag.as_secs()
            ));
        }
        Health {
            problems,
            // A field office behind is not this server's fault: said, not degraded.
            warnings: self.sites.problems(),
            checkpoint_lag,
            fusion_lag,
            fusion_started: fusion_on && progress.is_some(),
            store_errors: h.writes.errors(),
            checkpoints_late: h.checkpoints.late_times(),
            fusion_late: h.fusion.late_times(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_from_when_the_gap_was_first_seen() {
        let lag = Lag::default();
        assert_eq!(lag.behind(5, 5, Duration::ZERO), Duration::ZERO);
        let first = lag.behind(5, 9, Duration::ZERO);
        std::thread::sleep(Duration::from_millis(20));
        // The head moved on but `done` did not: still the same gap, older now.
        let later = lag.behind(5, 12, Duration::ZERO);
        assert!(
            later >= first + Duration::from_millis(20),
            "{first:?} {later:?}"
        );
        assert_eq!(lag.late_times(), 1, "late once, however often asked");
        // Progress starts the count again.
        assert!(lag.behind(9, 12, Duration::ZERO) < Duration::from_millis(20));
        assert_eq!(lag.behind(12, 12, Duration::ZERO), Duration::ZERO);
        lag.behind(12, 13, Duration::ZERO);
        assert_eq!(lag.late_times(), 2);
    }

    #[test]
    fn the_latest_write_decides() {
        let w = Writes::default();
        assert_eq!(w.failing(), None);
        w.failed(&StoreError::Unwritten("database or disk is full".into()));
        assert_eq!(
            w.failing().as_deref(),
            Some("a commit failed: database or disk is full")
        );
        // Nothing a record says reaches the public answer.
        w.failed(&StoreError::Inconsistent(
            "record 7 (\"op3-0001\") …".into(),
        ));
        assert!(!w.failing().unwrap().contains("op3"));
        w.ok();
        assert_eq!(w.failing(), None);
        assert_eq!(w.errors(), 2);
    }
}
