//! Places along and beside the line of contact, on the WGS 84 ellipsoid.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use rand::Rng;
use truceline_zones::ZoneEngine;

/// A point on the ellipsoid, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lon: f64,
    pub lat: f64,
}

/// Geodesic distance (m) and azimuth from `a` to `b` (degrees from true north, 0–360).
pub fn inverse(g: &Geodesic, a: Point, b: Point) -> (f64, f64) {
    let (s, az, _, _): (f64, f64, f64, f64) = g.inverse(a.lat, a.lon, b.lat, b.lon);
    (s, az.rem_euclid(360.0))
}

/// The point `s` metres from `a` along azimuth `az`.
pub fn direct(g: &Geodesic, a: Point, az: f64, s: f64) -> Point {
    let (lat, lon): (f64, f64) = g.direct(a.lat, a.lon, az, s);
    Point { lon, lat }
}

/// A cheap upper-bound-friendly distance for culling (equirectangular, metres); within 0.5 %
/// of the geodesic at the scales culled here.
pub fn approx_distance(a: Point, b: Point) -> f64 {
    let k = std::f64::consts::PI / 180.0 * 6_371_000.0;
    let x = (b.lon - a.lon) * ((a.lat + b.lat) * 0.5).to_radians().cos();
    let y = b.lat - a.lat;
    k * (x * x + y * y).sqrt()
}

/// The line of contact as a path that can be sampled by arc length.
pub struct LinePath {
    /// Each segment's ends and the cumulative length at its end.
    segments: Vec<(Point, Point, f64)>,
}

impl LinePath {
    pub fn new(line: &geo::MultiLineString<f64>) -> LinePath {
        let mut segments = Vec::new();
        let mut total = 0.0;
        for ls in &line.0 {
            for l in ls.lines() {
                let a = Point {
                    lon: l.start.x,
                    lat: l.start.y,
                };
                let b = Point {
                    lon: l.end.x,
                    lat: l.end.y,
                };
                total += approx_distance(a, b);
                segments.push((a, b, total));
            }
        }
        LinePath { segments }
    }

    pub fn length(&self) -> f64 {
        self.segments.last().map_or(0.0, |s| s.2)
    }

    /// The point at arc length `s` and the line's azimuth there.
    pub fn at(&self, g: &Geodesic, s: f64) -> (Point, f64) {
        let i = self
            .segments
            .partition_point(|seg| seg.2 < s)
            .min(self.segments.len() - 1);
        let (a, b, end) = self.segments[i];
        let start = if i == 0 { 0.0 } else { self.segments[i - 1].2 };
        let t = ((s - start) / (end - start).max(1e-9)).clamp(0.0, 1.0);
        let p = Point {
            lon: a.lon + t * (b.lon - a.lon),
            lat: a.lat + t * (b.lat - a.lat),
        };
        (p, inverse(g, a, b).1)
    }

    /// A point on `party`'s side, `d` metres out from the line point at arc length `s`, if the
    /// perpendicular there lands in that party's area at about that distance.
    pub fn beside(
        &self,
        g: &Geodesic,
        engine: &ZoneEngine,
        s: f64,
        party: usize,
        d: f64,
    ) -> Option<Point> {
        let (p, az) = self.at(g, s);
        for side in [90.0, -90.0] {
            let q = direct(g, p, az + side, d);
            let c = engine.classify(q.lon, q.lat);
            // Where the line bends, the perpendicular from one point can come back near another
            // part of the line; keep only points whose distance is about the one asked for.
            if c.control == Some(party) && c.distance_to_line_m > 0.8 * d - 50.0 {
                return Some(q);
            }
        }
        None
    }

    /// A random point on `party`'s side between `dmin` and `dmax` metres from the line,
    /// near arc length `s` (within `spread` metres along it).
    #[allow(clippy::too_many_arguments)]
    pub fn sample_beside(
        &self,
        g: &Geodesic,
        engine: &ZoneEngine,
        rng: &mut impl Rng,
        s: f64,
        spread: f64,
        party: usize,
        dmin: f64,
        dmax: f64,
    ) -> Option<Point> {
        let len = self.length();
        for _ in 0..40 {
            let si = (s + rng.random_range(-spread..=spread)).clamp(0.0, len);
            let d = rng.random_range(dmin..=dmax.max(dmin));
            if let Some(p) = self.beside(g, engine, si, party, d) {
                return Some(p);
            }
        }
        None
    }
}
