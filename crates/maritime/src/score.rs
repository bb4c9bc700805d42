//! Detected events against the simulator's truth: precision and recall per behaviour.
//!
//! A detection matches a true event of the same kind and vessel (for an encounter, the same two
//! vessels; for a port call, the same port; for an identity change, the identity it changed to)
//! whose time overlaps it, within a tolerance either side. A listed vessel matches by MMSI alone.
//!
//! ```
//! use truceline_maritime::detect::{Event, Kind};
//! use truceline_maritime::score::score;
//! let mut t = Event::new(Kind::Gap, 1, 0);
//! t.end = Some(50_000_000);
//! let mut d = Event::new(Kind::Gap, 1, 10_000);
//! d.end = Some(49_000_000);
//! let s = score(&[t], &[d, Event::new(Kind::Gap, 2, 0)], 3_600_000);
//! let gap = s.iter().find(|k| k.kind == Kind::Gap).unwrap();
//! assert_eq!((gap.truth, gap.found, gap.detected, gap.correct), (1, 1, 2, 1));
//! assert_eq!(gap.precision(), 0.5);
//! ```

use crate::detect::{Event, Kind};

/// One behaviour's counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindScore {
    pub kind: Kind,
    /// True events, and how many of them some detection matched.
    pub truth: usize,
    pub found: usize,
    /// Detections, and how many of them matched a true event.
    pub detected: usize,
    pub correct: usize,
}

impl KindScore {
    /// Matched detections over detections (1 when nothing was detected).
    pub fn precision(&self) -> f64 {
        if self.detected == 0 {
            1.0
        } else {
            self.correct as f64 / self.detected as f64
        }
    }

    /// Matched true events over true events (1 when there were none).
    pub fn recall(&self) -> f64 {
        if self.truth == 0 {
            1.0
        } else {
            self.found as f64 / self.truth as f64
        }
    }
}

fn same(t: &Event, d: &Event, tol: i64) -> bool {
    if t.kind != d.kind {
        return false;
    }
    let who = match t.kind {
        Kind::Encounter => {
            let pair = |e: &Event| {
                let o = e.other_mmsi.unwrap_or(0);
                (e.mmsi.min(o), e.mmsi.max(o))
            };
            pair(t) == pair(d)
        }
        Kind::PortCall => t.mmsi == d.mmsi && t.port == d.port,
        _ => t.mmsi == d.mmsi,
    };
    if !who {
        return false;
    }
    if t.kind == Kind::Listed {
        return true;
    }
    let (ts, te) = (t.start - tol, t.end.unwrap_or(i64::MAX / 2) + tol);
    let (ds, de) = (d.start, d.end.unwrap_or(i64::MAX / 2));
    ds <= te && ts <= de
}

/// Precision and recall of each kind.
pub fn score(truth: &[Event], detected: &[Event], tolerance_ms: i64) -> Vec<KindScore> {
    Kind::ALL
        .iter()
        .map(|&kind| {
            let t: Vec<&Event> = truth.iter().filter(|e| e.kind == kind).collect();
            let d: Vec<&Event> = detected.iter().filter(|e| e.kind == kind).collect();
            KindScore {
                kind,
                truth: t.len(),
                found: t
                    .iter()
                    .filter(|x| d.iter().any(|y| same(x, y, tolerance_ms)))
                    .count(),
                detected: d.len(),
                correct: d
                    .iter()
                    .filter(|y| t.iter().any(|x| same(x, y, tolerance_ms)))
                    .count(),
            }
        })
        .collect()
}
