//! Distance from shore and "on land", for the seas the mission watches.
//!
//! The land is Natural Earth's 10m land (`data/land.geojson`, cut by `data/cut.py`), good to
//! about half a kilometre: fine for thresholds of 10 km to 50 nm, and the reason a position is
//! called on land only when it is well inside (see [`crate::detect::Config::spoof_inland_m`]).
//! Outside the bundled seas' boxes the shore is unknown and every query says so (`None`): a
//! behaviour that needs it is then not asserted, rather than asserted on a guess.
//!
//! Queries are answered from two lazily filled grids of cells (0.5° and 0.05°): each cell keeps
//! its centre's distance to the coast and whether the centre is on land. Distance from the coast changes by at
//! most the distance moved, so within a cell it lies within the cell's radius of the centre's:
//! most threshold questions are settled by the cell alone, and only positions near a threshold
//! or near the coast need the exact geodesic search.
//!
//! ```
//! let mut shore = truceline_maritime::shore::Shore::bundled();
//! // The middle of the Black Sea is well over 50 nm from any coast.
//! assert_eq!(shore.farther_than(34.0, 43.3, 50.0 * 1852.0), Some(true));
//! // Kyiv is on land, far inland; the Atlantic is not charted here.
//! assert_eq!(shore.inland_more_than(30.52, 50.45, 2_000.0), None);
//! assert_eq!(shore.inland_more_than(36.0, 47.5, 2_000.0), Some(true));
//! assert_eq!(shore.distance_m(-30.0, 40.0), None);
//! ```

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};
use truceline_zones::line_index::LineIndex;
use truceline_zones::polygon_index::PolygonIndex;

use crate::geodesy::distance_m;

const LAND: &str = include_str!("../data/land.geojson");
/// The two grids' cell sizes, degrees: the coarse one settles the open sea and far inland with
/// a few hundred cells; the fine one the coastal strip.
const COARSE: f64 = 0.5;
const FINE: f64 = 0.05;

/// What the grid keeps of a cell's centre.
#[derive(Debug, Clone, Copy)]
struct Cell {
    /// Metres to the coast; NaN until first asked.
    coast_m: f32,
    land: bool,
}

/// A lazily filled grid over a sea's box.
#[derive(Debug)]
struct Grid {
    deg: f64,
    cols: usize,
    cells: Vec<Cell>,
    /// Each row's cell radius (centre to farthest corner), metres.
    radius: Vec<f64>,
}

impl Grid {
    fn new(bbox: [f64; 4], deg: f64) -> Grid {
        let cols = ((bbox[2] - bbox[0]) / deg).ceil() as usize;
        let rows = ((bbox[3] - bbox[1]) / deg).ceil() as usize;
        let radius = (0..rows)
            .map(|r| {
                let clat = bbox[1] + (r as f64 + 0.5) * deg;
                // The corner nearer the equator is the farther one in metres.
                let corner = if clat >= 0.0 {
                    clat - deg / 2.0
                } else {
                    clat + deg / 2.0
                };
                distance_m(0.0, clat, deg / 2.0, corner) * 1.001
            })
            .collect();
        Grid {
            deg,
            cols,
            cells: vec![
                Cell {
                    coast_m: f32::NAN,
                    land: false
                };
                cols * rows
            ],
            radius,
        }
    }
}

#[derive(Debug)]
struct Sea {
    name: String,
    /// West, south, east, north.
    bbox: [f64; 4],
    land: PolygonIndex,
    coast: LineIndex,
    coarse: Grid,
    fine: Grid,
}

impl Sea {
    /// The cell of a point in one of the grids: its centre's facts and the cell's radius.
    #[inline]
    fn cell(&mut self, fine: bool, lon: f64, lat: f64) -> (Cell, f64) {
        let g = if fine {
            &mut self.fine
        } else {
            &mut self.coarse
        };
        let (c, r) = (
            ((lon - self.bbox[0]) / g.deg) as usize,
            ((lat - self.bbox[1]) / g.deg) as usize,
        );
        let cell = &mut g.cells[r * g.cols + c];
        if cell.coast_m.is_nan() {
            let (clon, clat) = (
                self.bbox[0] + (c as f64 + 0.5) * g.deg,
                self.bbox[1] + (r as f64 + 0.5) * g.deg,
            );
            cell.coast_m = self.coast.nearest(clon, clat).distance_m as f32;
            cell.land = self.land.contains(clon, clat);
        }
        (*cell, g.radius[r])
    }
}

/// How a cell settles a question about the points inside it.
enum Settled {
    Yes,
    No,
    Open,
}

/// The bundled seas' land and coast, with the cell cache.
#[derive(Debug)]
pub struct Shore {
    seas: Vec<Sea>,
}

/// Why a land file was refused.
#[derive(Debug, thiserror::Error)]
#[error("land: {0}")]
pub struct LandError(String);

fn ring(v: &serde_json::Value) -> Result<LineString<f64>, LandError> {
    let pts = v
        .as_array()
        .ok_or_else(|| LandError("a ring is not an array".into()))?;
    pts.iter()
        .map(|p| {
            match (
                p.get(0).and_then(|x| x.as_f64()),
                p.get(1).and_then(|x| x.as_f64()),
            ) {
                (Some(x), Some(y)) => Ok(Coord { x, y }),
                _ => Err(LandError("a position is not [longitude, latitude]".into())),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString::new)
}

/// The bundled land as GeoJSON (a FeatureCollection, one feature a sea), for maps.
pub fn land_geojson() -> &'static str {
    LAND
}

impl Shore {
    /// The bundled seas: the Black Sea with the Sea of Azov and the Sea of Marmara, the eastern
    /// Baltic with the Gulf of Finland, and Peter the Great Gulf (Kozmino).
    pub fn bundled() -> Shore {
        Shore::from_geojson(LAND).expect("the bundled land parses")
    }

    /// A FeatureCollection of land, one feature per sea with `properties.box` (west, south,
    /// east, north) and a (Multi)Polygon clipped to that box. Box edges are not coast.
    pub fn from_geojson(text: &str) -> Result<Shore, LandError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| LandError(e.to_string()))?;
        let features = v["features"]
            .as_array()
            .ok_or_else(|| LandError("features: expected an array".into()))?;
        let mut seas = Vec::new();
        for f in features {
            let b: Vec<f64> = f["properties"]["box"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
                .unwrap_or_default();
            let [w, s, e, n] = b[..] else {
                return Err(LandError(
                    "properties.box: expected [west, south, east, north]".into(),
                ));
            };
            let coords = &f["geometry"]["coordinates"];
            let polys: Vec<&serde_json::Value> = match f["geometry"]["type"].as_str() {
                Some("MultiPolygon") => coords.as_array().into_iter().flatten().collect(),
                Some("Polygon") => vec![coords],
                _ => return Err(LandError("geometry: expected a (Multi)Polygon".into())),
            };
            let mut land = Vec::new();
            for p in polys {
                let rings = p
                    .as_array()
                    .ok_or_else(|| LandError("a polygon is not an array of rings".into()))?
                    .iter()
                    .map(ring)
                    .collect::<Result<Vec<_>, _>>()?;
                let mut it = rings.into_iter();
                if let Some(outer) = it.next() {
                    land.push(Polygon::new(outer, it.collect()));
                }
            }
            let land = MultiPolygon(land);
            // The coast: every ring's edges but those the clipping laid along the box.
            let on_edge = |a: Coord, b: Coord| {
                let same = |x: f64, y: f64, v: f64| (x - v).abs() < 1e-6 && (y - v).abs() < 1e-6;
                same(a.x, b.x, w) || same(a.x, b.x, e) || same(a.y, b.y, s) || same(a.y, b.y, n)
            };
            let mut parts = Vec::new();
            for p in &land.0 {
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    let mut cur: Vec<Coord> = Vec::new();
                    for l in r.lines() {
                        if on_edge(l.start, l.end) {
                            if cur.len() >= 2 {
                                parts.push(LineString::new(std::mem::take(&mut cur)));
                            }
                            cur.clear();
                            continue;
                        }
                        if cur.is_empty() {
                            cur.push(l.start);
                        }
                        cur.push(l.end);
                    }
                    if cur.len() >= 2 {
                        parts.push(LineString::new(cur));
                    }
                }
            }
            if parts.is_empty() {
                return Err(LandError("a sea without coast".into()));
            }
            seas.push(Sea {
                name: f["properties"]["sea"].as_str().unwrap_or("").to_string(),
                bbox: [w, s, e, n],
                land: PolygonIndex::new(&land),
                coast: LineIndex::unseeded(&MultiLineString(parts)),
                coarse: Grid::new([w, s, e, n], COARSE),
                fine: Grid::new([w, s, e, n], FINE),
            });
        }
        Ok(Shore { seas })
    }

    /// The seas this shore covers, by name, with their boxes.
    pub fn seas(&self) -> impl Iterator<Item = (&str, [f64; 4])> {
        self.seas.iter().map(|s| (s.name.as_str(), s.bbox))
    }

    fn sea(&self, lon: f64, lat: f64) -> Option<usize> {
        self.seas.iter().position(|s| {
            lon >= s.bbox[0] && lon < s.bbox[2] && lat >= s.bbox[1] && lat < s.bbox[3]
        })
    }

    /// Asks the coarse cell, then the fine one, whether they settle a question.
    fn settle(
        &mut self,
        sea: usize,
        lon: f64,
        lat: f64,
        q: impl Fn(Cell, f64) -> Settled,
    ) -> Option<bool> {
        for fine in [false, true] {
            let (cell, r) = self.seas[sea].cell(fine, lon, lat);
            match q(cell, r) {
                Settled::Yes => return Some(true),
                Settled::No => return Some(false),
                Settled::Open => {}
            }
        }
        None
    }

    /// Metres from the nearest coast, `None` outside the bundled seas.
    pub fn distance_m(&self, lon: f64, lat: f64) -> Option<f64> {
        let s = &self.seas[self.sea(lon, lat)?];
        Some(s.coast.nearest(lon, lat).distance_m)
    }

    /// Whether the point is on land (exactly, by the bundled outline), `None` outside the seas.
    pub fn on_land(&self, lon: f64, lat: f64) -> Option<bool> {
        Some(self.seas[self.sea(lon, lat)?].land.contains(lon, lat))
    }

    /// Whether the point is farther than `m` metres from any coast (at sea or inland).
    pub fn farther_than(&mut self, lon: f64, lat: f64, m: f64) -> Option<bool> {
        let sea = self.sea(lon, lat)?;
        // Distance from the coast changes by at most the distance moved: within a cell it is
        // within the cell's radius of the centre's.
        let settled = self.settle(sea, lon, lat, |cell, r| {
            let c = f64::from(cell.coast_m);
            if c - r > m {
                Settled::Yes
            } else if c + r < m {
                Settled::No
            } else {
                Settled::Open
            }
        });
        Some(settled.unwrap_or_else(|| self.seas[sea].coast.nearest(lon, lat).distance_m > m))
    }

    /// Whether the point is on land and more than `m` metres from the coast.
    pub fn inland_more_than(&mut self, lon: f64, lat: f64, m: f64) -> Option<bool> {
        let sea = self.sea(lon, lat)?;
        // No coast crosses a cell whose centre is farther from it than the cell's radius: the
        // whole cell is on the centre's side.
        let settled = self.settle(sea, lon, lat, |cell, r| {
            let c = f64::from(cell.coast_m);
            match (c > r, cell.land) {
                (true, false) => Settled::No,
                (true, true) if c - r > m => Settled::Yes,
                _ => Settled::Open,
            }
        });
        let s = &self.seas[sea];
        Some(settled.unwrap_or_else(|| {
            s.land.contains(lon, lat) && s.coast.nearest(lon, lat).distance_m > m
        }))
    }

    /// Whether the point is at sea (not on land) and more than `m` metres from the coast.
    pub fn offshore_more_than(&mut self, lon: f64, lat: f64, m: f64) -> Option<bool> {
        let sea = self.sea(lon, lat)?;
        let settled = self.settle(sea, lon, lat, |cell, r| {
            let c = f64::from(cell.coast_m);
            match (c > r, cell.land) {
                (true, true) => Settled::No,
                (true, false) if c - r > m => Settled::Yes,
                (true, false) if c + r < m => Settled::No,
                _ => Settled::Open,
            }
        });
        let s = &self.seas[sea];
        Some(settled.unwrap_or_else(|| {
            !s.land.contains(lon, lat) && s.coast.nearest(lon, lat).distance_m > m
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cell_answers_agree_with_the_exact_ones() {
        let mut shore = Shore::bundled();
        let mut n = 0;
        // A walk across the Black Sea's north-west, over the coast and Crimea.
        for i in 0..4_000 {
            let lon = 29.0 + (i % 200) as f64 * 0.04 + 0.0137;
            let lat = 43.0 + (i / 200) as f64 * 0.2 + 0.0071;
            let exact_d = shore.distance_m(lon, lat).unwrap();
            let exact_land = shore.on_land(lon, lat).unwrap();
            for m in [2_000.0, 10_000.0, 37_040.0, 92_600.0] {
                assert_eq!(
                    shore.farther_than(lon, lat, m),
                    Some(exact_d > m),
                    "{lon} {lat} {m}"
                );
                assert_eq!(
                    shore.inland_more_than(lon, lat, m),
                    Some(exact_land && exact_d > m),
                    "{lon} {lat} {m}"
                );
                assert_eq!(
                    shore.offshore_more_than(lon, lat, m),
                    Some(!exact_land && exact_d > m),
                    "{lon} {lat} {m}"
                );
            }
            n += usize::from(exact_land);
        }
        assert!(
            n > 500 && n < 3_500,
            "the walk crosses both land and sea: {n} on land"
        );
    }

    #[test]
    fn known_places_fall_where_they_are() {
        let mut shore = Shore::bundled();
        // Mid-sea points of the three seas, and inland cities.
        assert_eq!(
            shore.offshore_more_than(31.5, 43.5, 50.0 * 1852.0),
            Some(true)
        );
        assert_eq!(
            shore.offshore_more_than(20.5, 58.0, 20.0 * 1852.0),
            Some(true)
        );
        assert_eq!(
            shore.offshore_more_than(132.5, 42.0, 20.0 * 1852.0),
            Some(true)
        );
        assert_eq!(
            shore.inland_more_than(37.6, 47.1, 2_000.0),
            Some(false),
            "Mariupol is coastal"
        );
        assert_eq!(
            shore.inland_more_than(39.7, 47.23, 2_000.0),
            Some(true),
            "Rostov-on-Don"
        );
        assert_eq!(
            shore.inland_more_than(34.1, 44.95, 2_000.0),
            Some(true),
            "Simferopol"
        );
        assert_eq!(
            shore.on_land(28.0, 54.5),
            Some(true),
            "north of the Baltic box's land edge"
        );
        // The box edges are not coast: a point on land near an edge is far from any shore.
        assert!(shore.distance_m(42.9, 44.0).unwrap() > 100_000.0);
    }
}
