//! Where vessels were: which vessels AIS placed near a point at a time, for a strike on a ship
//! at sea that the mission observed, set beside the traffic.
//!
//! The detector's own trail reaches back a few hours, enough for its encounters; a daily
//! report is written after its day, so the wake keeps each vessel's positions thinned to one
//! every [`Wake::STEP_MS`] for a window of hours, bounded in count too, and answers from them.
//! A vessel's position at the asked time is interpolated between its fixes either side (a
//! ship at 15 kn covers 2.3 km in five minutes), or is its nearer fix when only one side is
//! held; the answer says how far in time that fix was.
//!
//! ```
//! use truceline_maritime::wake::Wake;
//! let mut w = Wake::new(72, 1_000_000);
//! // A tanker heading east along 44.5° N, a fix a minute for an hour (about 11 kn).
//! for m in 0..60 {
//!     w.push(273_000_001, m * 60_000, 33.0 + m as f64 * 0.004, 44.5);
//! }
//! // A strike observed at 33.121° E half an hour in: the tanker was about 40 m away.
//! let near = w.near(33.121, 44.5, 30 * 60_000 + 15_000, 2_000.0);
//! assert_eq!(near.len(), 1);
//! assert_eq!(near[0].mmsi, 273_000_001);
//! assert!(near[0].distance_m < 100.0, "{near:?}");
//! // Nothing there a day later.
//! assert!(w.near(33.121, 44.5, 86_400_000, 2_000.0).is_empty());
//! ```

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::geodesy::distance_m;

const HOUR: i64 = 3_600_000;

/// One kept position. Coordinates as `f32` (about a metre at these latitudes, far below an
/// AIS position's own error), so a busy feed's three days fit in tens of megabytes.
#[derive(Debug, Clone, Copy)]
struct Fix {
    mmsi: u32,
    lon: f32,
    lat: f32,
    t: i64,
}

/// A vessel near the asked point at the asked time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Nearby {
    pub mmsi: u32,
    /// From the asked point to where the vessel was, metres.
    pub distance_m: f64,
    /// Where it was (`[lon, lat]`), interpolated between its fixes either side if both are held.
    pub at: [f64; 2],
    /// From the asked time to its nearest fix, milliseconds: how much the answer leans on
    /// interpolation.
    pub fix_offset_ms: i64,
}

/// Positions kept by the hour they fall in, the oldest hours dropped first.
#[derive(Debug, Clone)]
pub struct Wake {
    window_ms: i64,
    max_fixes: usize,
    hours: BTreeMap<i64, Vec<Fix>>,
    /// Each vessel's last kept fix's time, and its latest fix, kept or not: a ship struck
    /// often falls silent, so its last position is the one that matters most.
    kept: FxHashMap<u32, (i64, Fix)>,
    len: usize,
    newest: i64,
}

impl Wake {
    /// Positions one every this long per vessel.
    pub const STEP_MS: i64 = 5 * 60_000;
    /// How far from the asked time a fix is used: beyond it, a vessel's position there is a
    /// guess.
    pub const REACH_MS: i64 = 20 * 60_000;

    /// Keeps `hours` hours behind the newest position, and at most `max_fixes` positions (the
    /// oldest hours dropped first past that).
    pub fn new(hours: u32, max_fixes: usize) -> Wake {
        Wake {
            window_ms: i64::from(hours) * HOUR,
            max_fixes,
            hours: BTreeMap::new(),
            kept: FxHashMap::default(),
            len: 0,
            newest: i64::MIN,
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A vessel's position at `t` (ms since the epoch). Kept if it is the vessel's first or
    /// [`Wake::STEP_MS`] after its last kept one; an older one is not kept.
    pub fn push(&mut self, mmsi: u32, t: i64, lon: f64, lat: f64) {
        if t < self.newest.saturating_sub(self.window_ms) {
            return;
        }
        let fix = Fix {
            mmsi,
            lon: lon as f32,
            lat: lat as f32,
            t,
        };
        match self.kept.get_mut(&mmsi) {
            Some((_, tail)) if t < tail.t => return,
            Some((last, tail)) if t < *last + Self::STEP_MS => {
                *tail = fix;
                return;
            }
            _ => {}
        }
        self.kept.insert(mmsi, (t, fix));
        self.hours.entry(t.div_euclid(HOUR)).or_default().push(fix);
        self.len += 1;
        if t > self.newest {
            self.newest = t;
            self.prune();
        } else if self.len > self.max_fixes {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let oldest_hour = (self.newest - self.window_ms).div_euclid(HOUR);
        let mut dropped = false;
        while let Some((&hour, _)) = self.hours.first_key_value() {
            // The hour under way stays, whatever the count.
            if hour >= oldest_hour && (self.len <= self.max_fixes || self.hours.len() == 1) {
                break;
            }
            self.len -= self.hours.remove(&hour).map_or(0, |f| f.len());
            dropped = true;
        }
        if dropped {
            let from = self
                .hours
                .first_key_value()
                .map_or(i64::MAX, |(h, _)| h * HOUR);
            self.kept.retain(|_, (t, _)| *t >= from);
        }
    }

    /// The vessels within `radius_m` of (`lon`, `lat`) at `t`, nearest first.
    pub fn near(&self, lon: f64, lat: f64, t: i64, radius_m: f64) -> Vec<Nearby> {
        let from = (t - Self::REACH_MS).div_euclid(HOUR);
        let to = (t + Self::REACH_MS).div_euclid(HOUR);
        // Each vessel's last fix at or before `t` and first after it, within reach.
        let mut sides: FxHashMap<u32, (Option<Fix>, Option<Fix>)> = FxHashMap::default();
        let held = self.hours.range(from..=to).flat_map(|(_, f)| f.iter());
        let tails = self.kept.values().map(|(_, tail)| tail);
        for f in held.chain(tails) {
            if (f.t - t).abs() > Self::REACH_MS {
                continue;
            }
            let s = sides.entry(f.mmsi).or_default();
            if f.t <= t {
                if s.0.is_none_or(|b| f.t > b.t) {
                    s.0 = Some(*f);
                }
            } else if s.1.is_none_or(|a| f.t < a.t) {
                s.1 = Some(*f);
            }
        }
        let mut out: Vec<Nearby> = sides
            .into_iter()
            .filter_map(|(mmsi, side)| {
                let (at, offset) = match side {
                    (Some(b), Some(a)) => {
                        let k = (t - b.t) as f64 / (a.t - b.t) as f64;
                        let lerp =
                            |x: f32, y: f32| f64::from(x) + (f64::from(y) - f64::from(x)) * k;
                        (
                            [lerp(b.lon, a.lon), lerp(b.lat, a.lat)],
                            (t - b.t).min(a.t - t),
                        )
                    }
                    (Some(f), None) | (None, Some(f)) => {
                        ([f64::from(f.lon), f64::from(f.lat)], (f.t - t).abs())
                    }
                    (None, None) => return None,
                };
                let d = distance_m(lon, lat, at[0], at[1]);
                (d <= radius_m).then_some(Nearby {
                    mmsi,
                    distance_m: d,
                    at,
                    fix_offset_ms: offset,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.mmsi.cmp(&b.mmsi))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinned_per_vessel_and_bounded_by_window_and_count() {
        let mut w = Wake::new(2, 1_000_000);
        for s in 0..5 * 3_600 {
            w.push(1, s * 1000, 30.0, 44.0);
            w.push(2, s * 1000, 31.0, 44.0);
        }
        // One fix every 5 minutes per vessel, two hours (and the hour under way) held.
        assert!(
            w.len() <= 2 * 12 * 3 && w.len() >= 2 * 12 * 2,
            "{}",
            w.len()
        );
        assert!(w.near(30.0, 44.0, 90 * 60_000, 100.0).is_empty(), "dropped");
        assert_eq!(w.near(30.0, 44.0, 5 * HOUR - 60_000, 100.0)[0].mmsi, 1);
        assert_eq!(w.near(31.0, 44.0, 3 * HOUR, 100.0)[0].mmsi, 2);

        let mut small = Wake::new(1_000, 50);
        for s in 0..10 * 3_600 {
            small.push(7, s * 1000, 30.0, 44.0);
        }
        assert!(small.len() <= 50 + 12, "{}", small.len());
    }

    #[test]
    fn interpolates_between_fixes_and_says_how_far_the_nearest_was() {
        let mut w = Wake::new(24, 1000);
        // Two fixes ten minutes apart, 0.1° of longitude apart (about 7.9 km at 44.5° N).
        w.push(5, 0, 33.0, 44.5);
        w.push(5, 10 * 60_000, 33.1, 44.5);
        let n = w.near(33.05, 44.5, 5 * 60_000, 500.0);
        assert_eq!(n.len(), 1);
        assert!(n[0].distance_m < 5.0, "{n:?}");
        assert_eq!(n[0].fix_offset_ms, 5 * 60_000);
        // At the first fix's place later on, the vessel had moved on.
        assert!(w.near(33.0, 44.5, 9 * 60_000, 1_000.0).is_empty());
        // A fix beyond reach is not used.
        assert!(
            w.near(33.1, 44.5, 10 * 60_000 + Wake::REACH_MS + 1, 1_000.0)
                .is_empty()
        );
        // Only one side held: the nearer fix, within reach.
        let one = w.near(33.1, 44.5, 15 * 60_000, 10.0);
        assert_eq!(one[0].fix_offset_ms, 5 * 60_000);
    }

    #[test]
    fn a_vessels_latest_position_is_held_though_thinned_out() {
        let mut w = Wake::new(24, 1000);
        w.push(9, 0, 33.0, 44.5);
        // A minute later, 1.3 km east, then silent: the position a strike would be seen at.
        w.push(9, 60_000, 33.0166, 44.5);
        let n = w.near(33.0166, 44.5, 60_000, 500.0);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(n[0].distance_m < 2.0 && n[0].fix_offset_ms == 0, "{n:?}");
        // Older than the latest: not taken.
        w.push(9, 30_000, 40.0, 40.0);
        assert!(w.near(40.0, 40.0, 30_000, 500.0).is_empty());
    }

    #[test]
    fn nearest_first() {
        let mut w = Wake::new(24, 1000);
        w.push(1, 0, 33.0, 44.5);
        w.push(2, 0, 33.01, 44.5);
        w.push(3, 0, 33.002, 44.5);
        let n: Vec<u32> = w
            .near(33.0, 44.5, 0, 2_000.0)
            .iter()
            .map(|n| n.mmsi)
            .collect();
        assert_eq!(n, [1, 3, 2]);
    }
}
