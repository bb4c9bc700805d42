//! Distances on the sphere, which is what the behaviours' thresholds need: they are stated in
//! round numbers (500 m, 3 km, 20 nm) and the sphere's error against the ellipsoid (under 0.5 %)
//! is far below the precision of an AIS position or of the coastline. The shore's own distances
//! are the ellipsoid's (`truceline_zones::line_index`).
//!
//! ```
//! use truceline_maritime::geodesy::{distance_m, destination};
//! // One minute of latitude is about one nautical mile.
//! assert!((distance_m(30.0, 45.0, 30.0, 45.0 + 1.0 / 60.0) - 1_853.2).abs() < 1.0);
//! let (lon, lat) = destination(30.0, 45.0, 90.0, 10_000.0);
//! assert!((distance_m(30.0, 45.0, lon, lat) - 10_000.0).abs() < 0.01);
//! ```

/// The mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// One international nautical mile, metres.
pub const NM: f64 = 1_852.0;
/// One knot, metres a second.
pub const KNOT: f64 = NM / 3_600.0;

/// Great-circle distance between two points (longitude, latitude in degrees), metres.
#[inline]
pub fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp * 0.5).sin().powi(2) + p1.cos() * p2.cos() * (dl * 0.5).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.min(1.0).sqrt().asin()
}

/// The point `distance` metres from a start along an initial bearing (degrees from north).
pub fn destination(lon: f64, lat: f64, bearing_deg: f64, distance: f64) -> (f64, f64) {
    let d = distance / EARTH_RADIUS_M;
    let (p1, l1, b) = (lat.to_radians(), lon.to_radians(), bearing_deg.to_radians());
    let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * b.cos()).asin();
    let l2 = l1 + (b.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
    (l2.to_degrees(), p2.to_degrees())
}

/// Initial bearing from one point to another, degrees from north in [0, 360).
pub fn bearing(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}
