//! WGS 84 Earth-centred coordinates and the chord-to-geodesic conversion.
//!
//! Distances to the line of contact are searched as straight 3-D chords between points on the
//! ellipsoid, which cost a few multiplications, and only the winning chord is turned into a
//! geodesic length. A chord `c` and the geodesic `s` it subtends are related, to within
//! millimetres up to a few hundred kilometres, by the arc of the osculating circle of the normal
//! section in the chord's direction: `s = 2R·asin(c / 2R)` with Euler's radius
//! `1/R = cos²α/M + sin²α/N` at the chord's mid-latitude. The variation of `R` along the path
//! enters only at second order, and the normal section and the geodesic differ in length by far
//! less than a millimetre at these distances.
//!
//! ```
//! use truceline_zones::ellipsoid::{Ecef, geodesic_from_chord};
//!
//! let kyiv = Ecef::from_degrees(30.5234, 50.4501);
//! let kharkiv = Ecef::from_degrees(36.2304, 49.9935);
//! let s = geodesic_from_chord(&kyiv, &kharkiv);
//! // GeographicLib gives 410 332.279 m for this pair.
//! assert!((s - 410_332.279).abs() < 0.01, "{s}");
//! ```

/// WGS 84 semi-major axis, metres.
pub const A: f64 = 6_378_137.0;
/// WGS 84 flattening.
pub const F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
pub const E2: f64 = F * (2.0 - F);

/// A point on the WGS 84 ellipsoid (height zero) in Earth-centred, Earth-fixed metres, with the
/// sine of its geodetic latitude kept for the curvature at that point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ecef {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Ecef {
    /// The point at longitude and latitude in degrees, on the ellipsoid.
    #[inline]
    pub fn from_degrees(lon: f64, lat: f64) -> Ecef {
        let (sl, cl) = lon.to_radians().sin_cos();
        let (sp, cp) = lat.to_radians().sin_cos();
        let n = A / (1.0 - E2 * sp * sp).sqrt();
        Ecef {
            x: n * cp * cl,
            y: n * cp * sl,
            z: n * (1.0 - E2) * sp,
        }
    }

    #[inline]
    pub fn sub(&self, o: &Ecef) -> [f64; 3] {
        [self.x - o.x, self.y - o.y, self.z - o.z]
    }

    /// Longitude and latitude in degrees of this point (assumed on or very near the ellipsoid).
    pub fn to_degrees(&self) -> (f64, f64) {
        let p = (self.x * self.x + self.y * self.y).sqrt();
        // Bowring's single step is exact to well under a millimetre at the surface.
        let b = A * (1.0 - F);
        let ep2 = E2 / (1.0 - E2);
        let th = (self.z * A).atan2(p * b);
        let (st, ct) = th.sin_cos();
        let lat = (self.z + ep2 * b * st * st * st).atan2(p - E2 * A * ct * ct * ct);
        (self.y.atan2(self.x).to_degrees(), lat.to_degrees())
    }
}

/// The geodesic distance in metres between two points on the ellipsoid, from their chord.
///
/// Accurate to about a millimetre up to 200 km; see the module documentation for why.
#[inline]
pub fn geodesic_from_chord(p: &Ecef, q: &Ecef) -> f64 {
    let d = q.sub(p);
    let c2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if c2 == 0.0 {
        return 0.0;
    }
    // Mid-point latitude: for a point near the surface tan φ = z / ((1 − e²)·p).
    let (mx, my, mz) = (0.5 * (p.x + q.x), 0.5 * (p.y + q.y), 0.5 * (p.z + q.z));
    let rho2 = mx * mx + my * my;
    let zz = mz / (1.0 - E2);
    let s2 = zz * zz / (zz * zz + rho2);
    let w2 = 1.0 - E2 * s2;
    let w = w2.sqrt();
    let n = A / w;
    let m = A * (1.0 - E2) / (w2 * w);
    // The chord's north and east components at the mid-point; the up component is the chord's
    // dip below the surface and does not bear on the direction.
    let rho = rho2.sqrt();
    let (sl, cl) = if rho > 0.0 {
        (my / rho, mx / rho)
    } else {
        (0.0, 1.0)
    };
    let sp = s2.sqrt().copysign(mz);
    let cp = (1.0 - s2).sqrt();
    let east = -d[0] * sl + d[1] * cl;
    let north = -sp * cl * d[0] - sp * sl * d[1] + cp * d[2];
    let h2 = east * east + north * north;
    let inv_r = if h2 > 0.0 {
        (north * north / m + east * east / n) / h2
    } else {
        1.0 / n
    };
    let c = c2.sqrt();
    // s = 2R·asin(c/2R)
    let x = 0.5 * c * inv_r;
    2.0 * x.min(1.0).asin() / inv_r
}

#[cfg(test)]
mod tests {
    use super::*;
    use geographiclib_rs::{Geodesic, InverseGeodesic};

    #[test]
    fn round_trip_degrees() {
        for &(lon, lat) in &[(37.5, 48.0), (-120.0, -33.3), (0.0, 0.0), (179.9, 89.0)] {
            let (lo, la) = Ecef::from_degrees(lon, lat).to_degrees();
            assert!(
                (lo - lon).abs() < 1e-9 && (la - lat).abs() < 1e-9,
                "{lon},{lat} -> {lo},{la}"
            );
        }
    }

    #[test]
    fn agrees_with_geographiclib_in_every_direction() {
        let g = Geodesic::wgs84();
        let (lon0, lat0) = (38.3, 48.2);
        let p = Ecef::from_degrees(lon0, lat0);
        let mut worst: f64 = 0.0;
        for az in (0..360).step_by(15) {
            for dist in [10.0, 1_000.0, 25_000.0, 100_000.0, 200_000.0] {
                let (lat, lon, _): (f64, f64, f64) =
                    geographiclib_rs::DirectGeodesic::direct(&g, lat0, lon0, az as f64, dist);
                let q = Ecef::from_degrees(lon, lat);
                let s = geodesic_from_chord(&p, &q);
                let reference: f64 = g.inverse(lat0, lon0, lat, lon);
                worst = worst.max((s - reference).abs());
            }
        }
        assert!(worst < 0.01, "worst error {worst} m");
    }
}
