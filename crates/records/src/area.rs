//! Points and polygons on WGS 84: where a record's area is, how big, and what falls in it.
//!
//! Polygons are RFC 7946's, straight in longitude and latitude; the areas a mission agrees
//! locally are a few kilometres across, where that and the geodesic differ by centimetres.
//!
//! ```
//! use truceline_records::{Area, LonLat, area};
//!
//! let square = Area::ring(&[(37.0, 48.0), (37.1, 48.0), (37.1, 48.1), (37.0, 48.1)]);
//! assert!(area::contains(&square, LonLat { lon: 37.05, lat: 48.05 }));
//! assert!(!area::contains(&square, LonLat { lon: 37.2, lat: 48.05 }));
//! assert!((area::area_m2(&square) / 1e6 - 82.8).abs() < 0.5); // km²
//! ```

use geo::{Centroid, Contains, GeodesicArea, Intersects};

use crate::{Area, LonLat};

/// Whether `p` is inside `area` or on its edge.
pub fn contains(area: &Area, p: LonLat) -> bool {
    let pt = geo::Point::new(p.lon, p.lat);
    area.0.contains(&pt) || area.0.intersects(&pt)
}

/// The area's size on the ellipsoid, in square metres.
pub fn area_m2(area: &Area) -> f64 {
    area.0.geodesic_area_unsigned()
}

/// The centroid of the area (a point to label it by).
pub fn centroid(area: &Area) -> LonLat {
    let c = area
        .0
        .centroid()
        .unwrap_or_else(|| geo::Point::new(area.0.exterior().0[0].x, area.0.exterior().0[0].y));
    LonLat {
        lon: c.x(),
        lat: c.y(),
    }
}

/// The points to test an area against a zone by: every vertex of its outer ring and its
/// centroid. A zone is bands kilometres wide along a line; an area a few hundred metres
/// across meets it exactly when one of these is in it, unless the band passes between them.
pub fn probe_points(area: &Area) -> Vec<LonLat> {
    let mut out: Vec<LonLat> = area
        .0
        .exterior()
        .0
        .iter()
        .map(|c| LonLat { lon: c.x, lat: c.y })
        .collect();
    out.pop(); // the closing position repeats the first
    out.push(centroid(area));
    out
}

/// GeoJSON of the area (RFC 7946 Polygon).
pub fn geojson(area: &Area) -> serde_json::Value {
    let ring =
        |l: &geo::LineString<f64>| -> Vec<[f64; 2]> { l.0.iter().map(|c| [c.x, c.y]).collect() };
    let mut rings = vec![ring(area.0.exterior())];
    rings.extend(area.0.interiors().iter().map(ring));
    serde_json::json!({"type": "Polygon", "coordinates": rings})
}
