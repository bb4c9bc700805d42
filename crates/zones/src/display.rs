//! Zone polygons for maps and the agreement summary.
//!
//! The bands along the line (withdrawal and buffer zones) are drawn by buffering the line in an
//! azimuthal equidistant projection centred on it and projecting back. Its scale error is under
//! 0.05 % within 300 km of the centre: a few metres on a 15 km band, invisible on a map and fine
//! for areas in km², but not good enough to decide membership, which the engine does with exact
//! distances instead.
//!
//! ```
//! use geo::{LineString, MultiLineString};
//! use truceline_zones::display::{Aeqd, band};
//!
//! let line = MultiLineString(vec![LineString::from(vec![(38.0, 47.0), (38.0, 49.0)])]);
//! let aeqd = Aeqd::new(38.0, 48.0);
//! let b = band(&line, 15_000.0, &aeqd);
//! // A 222 km line with a 15 km band each side and round ends: about 6 670 + 707 km².
//! let km2 = aeqd.area_km2(&b);
//! assert!((km2 - 7_377.0).abs() < 40.0, "{km2}");
//! ```

use geo::{
    Area, BooleanOps, BoundingRect, Buffer, Coord, LineString, MapCoords, MultiLineString,
    MultiPolygon,
    algorithm::buffer::{BufferStyle, LineCap, LineJoin},
};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use serde_json::{Value, json};
use truceline_agreement::{Agreement, ZoneExtent, multilinestring_json, multipolygon_json};

/// Azimuthal equidistant projection on WGS 84 (exact distances and azimuths from the centre).
pub struct Aeqd {
    g: Geodesic,
    lon0: f64,
    lat0: f64,
}

impl Aeqd {
    pub fn new(lon0: f64, lat0: f64) -> Aeqd {
        Aeqd {
            g: Geodesic::wgs84(),
            lon0,
            lat0,
        }
    }

    /// Centred on the middle of the line's bounding box.
    pub fn around(line: &MultiLineString<f64>) -> Aeqd {
        let c = line.bounding_rect().map(|r| r.center()).unwrap_or_default();
        Aeqd::new(c.x, c.y)
    }

    pub fn fwd(&self, c: Coord) -> Coord {
        let (s, az, _, _): (f64, f64, f64, f64) = self.g.inverse(self.lat0, self.lon0, c.y, c.x);
        let (sa, ca) = az.to_radians().sin_cos();
        Coord {
            x: s * sa,
            y: s * ca,
        }
    }

    pub fn inv(&self, c: Coord) -> Coord {
        let s = (c.x * c.x + c.y * c.y).sqrt();
        let az = c.x.atan2(c.y).to_degrees();
        let (lat, lon) = self.g.direct(self.lat0, self.lon0, az, s);
        Coord { x: lon, y: lat }
    }

    /// Area of a lon/lat multipolygon in km², measured in this projection. The projection is not
    /// equal-area, but within 300 km of its centre its area scale is within 0.05 % of one, and
    /// unlike a geodesic ring area it is not thrown by the slivers a buffer can leave.
    pub fn area_km2(&self, mp: &MultiPolygon<f64>) -> f64 {
        mp.map_coords(|c| self.fwd(c)).unsigned_area() / 1e6
    }
}

/// Splits lon/lat-straight segments so that no piece is longer than `step` degrees, so the
/// projected line follows the real one.
fn densify(line: &MultiLineString<f64>, step: f64) -> MultiLineString<f64> {
    MultiLineString(
        line.0
            .iter()
            .map(|ls| {
                let mut out = Vec::with_capacity(ls.0.len());
                for l in ls.lines() {
                    let d = l.end - l.start;
                    let n = ((d.x.abs().max(d.y.abs())) / step).ceil().max(1.0) as usize;
                    for k in 0..n {
                        out.push(l.start + d * (k as f64 / n as f64));
                    }
                }
                out.extend(ls.0.last());
                LineString(out)
            })
            .collect(),
    )
}

/// The band within `width_m` of the line, in longitude and latitude, for display.
pub fn band(line: &MultiLineString<f64>, width_m: f64, aeqd: &Aeqd) -> MultiPolygon<f64> {
    let projected = densify(line, 0.01).map_coords(|c| aeqd.fwd(c));
    // Arcs are drawn in steps of this angle, so that they fall inside the true arc by at most
    // 5 m (sagitta r·(1 − cos θ/2) ≈ r·θ²/8).
    let step = (40.0 / width_m).sqrt().min(0.1);
    let style = BufferStyle::new(width_m)
        .line_join(LineJoin::Round(step))
        .line_cap(LineCap::Round(step));
    projected
        .buffer_with_style(style)
        .map_coords(|c| aeqd.inv(c))
}

/// The area of a band on each party's side, in km², from projected polygons.
fn split_by_party(
    band_projected: &MultiPolygon<f64>,
    parties_projected: &[MultiPolygon<f64>],
) -> Vec<f64> {
    parties_projected
        .iter()
        .map(|p| band_projected.intersection(p).unsigned_area() / 1e6)
        .collect()
}

/// A zone's area, in all and on each party's side.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneArea {
    /// `withdrawal:<weapon id>` or the zone id.
    pub id: String,
    pub name: String,
    /// For bands, the width each side of the line in km.
    pub width_km: Option<f64>,
    pub area_km2: f64,
    /// Area on each party's side (in the agreement's party order).
    pub by_party_km2: Vec<f64>,
}

/// What `agreement check` prints for a valid agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub parties: Vec<(String, String, f64)>,
    pub line_length_km: f64,
    pub line_vertices: usize,
    pub zones: Vec<ZoneArea>,
}

/// Measures the agreement: party areas, line length, and each zone's area.
pub fn summarise(a: &Agreement) -> Summary {
    let line = &a.line_of_contact.geometry;
    let aeqd = Aeqd::around(line);
    let g = Geodesic::wgs84();
    let line_length_km = line
        .0
        .iter()
        .flat_map(|ls| ls.lines())
        .map(|l| {
            let d: f64 = g.inverse(l.start.y, l.start.x, l.end.y, l.end.x);
            d
        })
        .sum::<f64>()
        / 1000.0;
    let parties_projected: Vec<MultiPolygon<f64>> = a
        .parties
        .iter()
        .map(|p| p.area.map_coords(|c| aeqd.fwd(c)))
        .collect();
    let mut zones = Vec::new();
    // Several weapon classes share a distance (the Minsk 15 km); measure each width once.
    let mut measured: Vec<(f64, f64, Vec<f64>)> = Vec::new();
    let mut band_area = |id: String, name: &str, width_km: f64| {
        let (area_km2, by_party_km2) = match measured.iter().find(|m| m.0 == width_km) {
            Some((_, a, by)) => (*a, by.clone()),
            None => {
                let projected = band(line, width_km * 1000.0, &aeqd).map_coords(|c| aeqd.fwd(c));
                let m = (
                    width_km,
                    projected.unsigned_area() / 1e6,
                    split_by_party(&projected, &parties_projected),
                );
                measured.push(m.clone());
                (m.1, m.2)
            }
        };
        ZoneArea {
            id,
            name: name.to_string(),
            width_km: Some(width_km),
            area_km2,
            by_party_km2,
        }
    };
    for w in &a.weapon_classes {
        zones.push(band_area(
            format!("withdrawal:{}", w.id),
            &w.name,
            w.withdrawal_km,
        ));
    }
    for z in &a.zones {
        match &z.extent {
            ZoneExtent::Band { width_km } => {
                zones.push(band_area(z.id.clone(), &z.name, *width_km))
            }
            ZoneExtent::Area { area, .. } => {
                let projected = area.map_coords(|c| aeqd.fwd(c));
                zones.push(ZoneArea {
                    id: z.id.clone(),
                    name: z.name.clone(),
                    width_km: None,
                    area_km2: aeqd.area_km2(area),
                    by_party_km2: split_by_party(&projected, &parties_projected),
                });
            }
        }
    }
    Summary {
        parties: a
            .parties
            .iter()
            .map(|p| (p.id.clone(), p.name.clone(), aeqd.area_km2(&p.area)))
            .collect(),
        line_length_km,
        line_vertices: line.0.iter().map(|l| l.0.len()).sum(),
        zones,
    }
}

/// Every layer of the agreement as one GeoJSON FeatureCollection (RFC 7946) for a map: party
/// areas, the line, each withdrawal band, buffer zones and disengagement areas.
pub fn export_geojson(a: &Agreement) -> Value {
    let line = &a.line_of_contact.geometry;
    let aeqd = Aeqd::around(line);
    let base = |layer: &str, id: &str, name: &str| {
        json!({
            "layer": layer,
            "id": id,
            "name": name,
            "agreement": a.id,
            "illustrative": a.illustrative,
        })
    };
    let feature = |props: Value, geometry: Value| json!({"type": "Feature", "properties": props, "geometry": geometry});
    let mut features = Vec::new();
    for p in &a.parties {
        let mut props = base("party_area", &p.id, &p.name);
        props["party"] = json!(p.id);
        features.push(feature(props, multipolygon_json(&p.area)));
    }
    for w in &a.weapon_classes {
        let mut props = base("withdrawal_zone", &format!("withdrawal:{}", w.id), &w.name);
        props["weapon_class"] = json!(w.id);
        props["width_km"] = json!(w.withdrawal_km);
        features.push(feature(
            props,
            multipolygon_json(&band(line, w.withdrawal_m(), &aeqd)),
        ));
    }
    for z in &a.zones {
        let mut props = base(z.kind.as_str(), &z.id, &z.name);
        props["rule"] = json!(z.rule.as_str());
        let geometry = match &z.extent {
            ZoneExtent::Band { width_km } => {
                props["width_km"] = json!(width_km);
                multipolygon_json(&band(line, width_km * 1000.0, &aeqd))
            }
            ZoneExtent::Area { area, .. } => multipolygon_json(area),
        };
        features.push(feature(props, geometry));
    }
    let mut props = base("line_of_contact", "line_of_contact", "Line of contact");
    props["between"] = json!(a.line_of_contact.between);
    features.push(feature(props, multilinestring_json(line)));
    let mut fc = json!({ "type": "FeatureCollection", "features": features });
    if let Some(n) = &a.notice {
        fc["notice"] = json!(n);
    }
    fc
}
