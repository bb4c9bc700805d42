//! Coverage: how much of the line the mission could see, so that a quiet day with half the
//! posts closed does not read as calm.
//!
//! An observer counts as active in an hour of the mission day in which it reported anything.
//! Its reach is a radius by kind of source, around the position it reported from (the
//! `observer_position` of that hour's first report, or for a UAV or a direct sighting its
//! `location`):
//!
//! | source | reach |
//! |---|---|
//! | acoustic sensor | 15 km |
//! | radar | 20 km |
//! | observation post | 10 km |
//! | patrol | 5 km |
//! | camera | 5 km |
//! | UAV | 2 km around what it saw |
//!
//! Parties' allegations, satellites and open sources cover nothing. The line of contact is
//! sampled every kilometre; the day's coverage is the share of samples within reach of an
//! active observer, averaged over the day's hours. A rate adjusted for coverage divides a
//! count by that share — what the count would have been had the whole line been watched at
//! the same rate, an estimate that says so and is left out below 10 % coverage.
//!
//! ```
//! use truceline_report::coverage::reach_m;
//! assert_eq!(reach_m("acoustic"), Some(15_000.0));
//! assert_eq!(reach_m("party"), None);
//! ```

use std::collections::BTreeSet;

use geo::{Coord, MultiLineString};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use serde::Serialize;
use serde_json::Value;
use truceline_store::ObserverHour;

/// How far an observer of this source can be relied on to sense fire, in metres.
pub fn reach_m(source: &str) -> Option<f64> {
    Some(match source {
        "acoustic" => 15_000.0,
        "radar" => 20_000.0,
        "post" => 10_000.0,
        "patrol" | "camera" => 5_000.0,
        "uav" => 2_000.0,
        _ => return None,
    })
}

/// The day's coverage.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coverage {
    pub observers_active: u64,
    pub observer_hours: u64,
    pub line_km: f64,
    /// Share of the line within reach of an active observer, averaged over the hours.
    pub line_share: f64,
    /// Share of the line within reach at some hour of the day.
    pub line_share_any_hour: f64,
    /// The share hour by hour.
    pub hourly: Vec<f64>,
}

/// Points every `step_m` along the line, geodesically.
pub fn sample_line(line: &MultiLineString<f64>, step_m: f64) -> (Vec<Coord>, f64) {
    let g = Geodesic::wgs84();
    let mut out = Vec::new();
    let mut total = 0.0;
    for ls in &line.0 {
        let mut carry = 0.0; // distance since the last sample
        if let Some(first) = ls.0.first() {
            out.push(*first);
        }
        for w in ls.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (s, az1, _, _): (f64, f64, f64, f64) = g.inverse(a.y, a.x, b.y, b.x);
            total += s;
            let mut at = step_m - carry;
            while at <= s {
                let (lat, lon) = g.direct(a.y, a.x, az1, at);
                out.push(Coord { x: lon, y: lat });
                at += step_m;
            }
            carry = s - (at - step_m);
        }
    }
    (out, total / 1000.0)
}

/// Where and what an observer was in an hour, read from its report.
fn position(report: &[u8]) -> Option<(String, Coord)> {
    let v: Value = serde_json::from_slice(report).ok()?;
    let source = v["source"].as_str()?.to_string();
    let p = if v["observer_position"].is_object() {
        &v["observer_position"]
    } else {
        &v["location"]
    };
    Some((
        source,
        Coord {
            x: p["lon"].as_f64()?,
            y: p["lat"].as_f64()?,
        },
    ))
}

/// Coverage of `samples` (the line every kilometre) by the observers active in each of `hours`.
pub fn coverage(
    samples: &[Coord],
    line_km: f64,
    hours: usize,
    active: &[ObserverHour],
) -> Coverage {
    let observers: BTreeSet<&str> = active.iter().map(|a| a.observer.as_str()).collect();
    let mut hourly = vec![0.0; hours];
    let mut ever = vec![false; samples.len()];
    // Reach tested in a local plane (metres per degree at each sample's latitude): within
    // 20 km the error is far below the reach's own roughness.
    let mut by_hour: Vec<Vec<(Coord, f64)>> = vec![Vec::new(); hours];
    for a in active {
        if a.hour < 0 || a.hour as usize >= hours {
            continue;
        }
        if let Some((source, at)) = position(&a.first)
            && let Some(r) = reach_m(&source)
        {
            by_hour[a.hour as usize].push((at, r));
        }
    }
    for (h, obs) in by_hour.iter().enumerate() {
        if obs.is_empty() || samples.is_empty() {
            continue;
        }
        let mut covered = 0usize;
        for (k, s) in samples.iter().enumerate() {
            let my = 111_132.0;
            let mx = 111_320.0 * s.y.to_radians().cos();
            let hit = obs.iter().any(|(o, r)| {
                let dx = (o.x - s.x) * mx;
                let dy = (o.y - s.y) * my;
                dx * dx + dy * dy <= r * r
            });
            if hit {
                covered += 1;
                ever[k] = true;
            }
        }
        hourly[h] = covered as f64 / samples.len() as f64;
    }
    let share = if hours == 0 {
        0.0
    } else {
        hourly.iter().sum::<f64>() / hours as f64
    };
    let any = if samples.is_empty() {
        0.0
    } else {
        ever.iter().filter(|e| **e).count() as f64 / samples.len() as f64
    };
    Coverage {
        observers_active: observers.len() as u64,
        observer_hours: active.len() as u64,
        line_km: (line_km * 10.0).round() / 10.0,
        line_share: round3(share),
        line_share_any_hour: round3(any),
        hourly: hourly.into_iter().map(round3).collect(),
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `count` scaled to full coverage, when coverage is high enough to say anything.
pub fn adjusted(count: f64, share: f64) -> Option<f64> {
    (share >= 0.1).then(|| (count / share * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    fn hour(observer: &str, hour: i64, source: &str, lon: f64, lat: f64) -> ObserverHour {
        ObserverHour {
            observer: observer.into(),
            hour,
            observations: 1,
            first: format!(
                r#"{{"source":"{source}","observer_position":{{"lon":{lon},"lat":{lat}}}}}"#
            )
            .into_bytes(),
        }
    }

    #[test]
    fn a_post_covers_its_reach_of_the_line_for_its_hours() {
        // A meridian line 100 km long at 38° E.
        let line = MultiLineString(vec![LineString::from(vec![(38.0, 48.0), (38.0, 48.9)])]);
        let (samples, km) = sample_line(&line, 1000.0);
        assert!((km - 100.0).abs() < 0.2, "{km}");
        assert_eq!(samples.len(), 101);
        // A post on the line covers 10 km each way: 21 of 101 samples, for 12 of 24 hours.
        let active: Vec<_> = (0..12)
            .map(|h| hour("op1", h, "post", 38.0, 48.45))
            .collect();
        let c = coverage(&samples, km, 24, &active);
        assert_eq!(c.observers_active, 1);
        assert_eq!(c.observer_hours, 12);
        assert!(
            (c.line_share_any_hour - 21.0 / 101.0).abs() < 0.011,
            "{c:?}"
        );
        assert!((c.line_share - 0.5 * 21.0 / 101.0).abs() < 0.006, "{c:?}");
        // A party's allegation covers nothing.
        let c = coverage(
            &samples,
            km,
            24,
            &[hour("party-a", 0, "party", 38.0, 48.45)],
        );
        assert_eq!(c.line_share, 0.0);
        assert_eq!(c.observers_active, 1);
    }

    #[test]
    fn adjusted_rates_need_coverage() {
        assert_eq!(adjusted(10.0, 0.5), Some(20.0));
        assert_eq!(adjusted(10.0, 0.05), None);
    }
}
