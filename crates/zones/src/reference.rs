//! The slow, independent reference for distances to the line: GeographicLib's geodesic inverse
//! (Karney 2013, as in the `geo` crate's `Geodesic`), minimised along each segment.
//!
//! It shares nothing with the fast engine but the definition of the line (segments straight in
//! longitude and latitude), so tests and benchmarks can hold the engine to it. A segment is
//! skipped only when the triangle inequality proves it cannot hold the nearest point; the rest
//! are searched by golden section, which the distance along a short segment is unimodal enough
//! for. About 2·n inverse problems a query: milliseconds, for checking, not serving.
//!
//! ```
//! use geo::{LineString, MultiLineString};
//! use truceline_zones::reference::ReferenceLine;
//!
//! let line = MultiLineString(vec![LineString::from(vec![(38.0, 47.0), (38.0, 49.0)])]);
//! let d = ReferenceLine::new(&line).distance_m(37.9, 48.0);
//! assert!((d - 7_461.9).abs() < 1.0, "{d}");
//! ```

use geo::{Coord, MultiLineString};
use geographiclib_rs::{Geodesic, InverseGeodesic};

/// A line prepared for reference distance queries.
pub struct ReferenceLine {
    g: Geodesic,
    /// (start, end, geodesic length of the chord between them) for each segment.
    segments: Vec<(Coord, Coord, f64)>,
    points: Vec<Coord>,
}

impl ReferenceLine {
    pub fn new(line: &MultiLineString<f64>) -> ReferenceLine {
        let g = Geodesic::wgs84();
        let mut segments = Vec::new();
        let mut points = Vec::new();
        for ls in &line.0 {
            points.extend(ls.0.iter().copied());
            for l in ls.lines() {
                // The lon/lat-straight segment is at most this long: it is no shorter than the
                // geodesic, and far longer only for segments far longer than any line of contact's.
                let len = lonlat_length(&g, l.start, l.end);
                segments.push((l.start, l.end, len));
            }
        }
        ReferenceLine {
            g,
            segments,
            points,
        }
    }

    fn inv(&self, a: Coord, b: Coord) -> f64 {
        self.g.inverse(a.y, a.x, b.y, b.x)
    }

    /// Geodesic distance in metres from the point to the line.
    pub fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        let p = Coord { x: lon, y: lat };
        let mut best = self
            .points
            .iter()
            .map(|&v| self.inv(p, v))
            .fold(f64::INFINITY, f64::min);
        for &(a, b, len) in &self.segments {
            let (da, db) = (self.inv(p, a), self.inv(p, b));
            // For any X on the segment: d(P,X) ≥ d(P,A) − d(A,X) and ≥ d(P,B) − d(X,B).
            if (da + db - len) / 2.0 >= best {
                continue;
            }
            let at = |t: f64| {
                self.inv(
                    p,
                    Coord {
                        x: a.x + (b.x - a.x) * t,
                        y: a.y + (b.y - a.y) * t,
                    },
                )
            };
            let (mut lo, mut hi) = (0.0f64, 1.0f64);
            let r = (5f64.sqrt() - 1.0) / 2.0;
            let (mut x1, mut x2) = (hi - r * (hi - lo), lo + r * (hi - lo));
            let (mut f1, mut f2) = (at(x1), at(x2));
            for _ in 0..60 {
                if f1 < f2 {
                    hi = x2;
                    x2 = x1;
                    f2 = f1;
                    x1 = hi - r * (hi - lo);
                    f1 = at(x1);
                } else {
                    lo = x1;
                    x1 = x2;
                    f1 = f2;
                    x2 = lo + r * (hi - lo);
                    f2 = at(x2);
                }
            }
            best = best.min(f1).min(f2);
        }
        best
    }
}

/// Length of a lon/lat-straight segment, summed over short pieces.
fn lonlat_length(g: &Geodesic, a: Coord, b: Coord) -> f64 {
    let n = 16;
    (0..n)
        .map(|k| {
            let (t0, t1) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
            let p = a + (b - a) * t0;
            let q = a + (b - a) * t1;
            let d: f64 = g.inverse(p.y, p.x, q.y, q.x);
            d
        })
        .sum::<f64>()
}
