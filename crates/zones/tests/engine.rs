//! The zone engine held to GeographicLib and to exact thresholds.

use geo::{Contains, Point};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use proptest::prelude::*;
use std::sync::OnceLock;
use truceline_agreement::{Agreement, Files, MemoryFiles, load};
use truceline_zones::ZoneEngine;
use truceline_zones::polygon_index::PolygonIndex;
use truceline_zones::reference::ReferenceLine;

struct Dir(&'static str);
impl Files for Dir {
    fn read(&self, p: &str) -> Result<String, String> {
        std::fs::read_to_string(format!("{}/{p}", self.0)).map_err(|e| e.to_string())
    }
}

fn donbas() -> &'static (Agreement, ZoneEngine, ReferenceLine) {
    static D: OnceLock<(Agreement, ZoneEngine, ReferenceLine)> = OnceLock::new();
    D.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/donbas");
        let text = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
        let a = load("agreement.toml", &text, &Dir(dir)).expect("valid example");
        let e = ZoneEngine::new(&a).unwrap();
        let r = ReferenceLine::new(&a.line_of_contact.geometry);
        (a, e, r)
    })
}

/// Two parties either side of the meridian 38° E from 46° to 50° N: distances to a meridian
/// are exact with GeographicLib's direct problem at azimuth 90° or 270°.
fn meridian() -> (Agreement, ZoneEngine) {
    let files = MemoryFiles::from([
        (
            "a.geojson",
            r#"{"type":"Polygon","coordinates":[[[36,46],[38,46],[38,50],[36,50],[36,46]]]}"#,
        ),
        (
            "b.geojson",
            r#"{"type":"Polygon","coordinates":[[[38,46],[40,46],[40,50],[38,50],[38,46]]]}"#,
        ),
        (
            "line.geojson",
            r#"{"type":"LineString","coordinates":[[38,46],[38,47],[38,48],[38,49],[38,50]]}"#,
        ),
    ]);
    let toml = r#"
id = "meridian"
title = "Meridian"
effective_from = "2022-01-01T00:00:00Z"
[line_of_contact]
between = ["a", "b"]
geometry = "line.geojson"
[[parties]]
id = "a"
name = "A"
area = "a.geojson"
[[parties]]
id = "b"
name = "B"
area = "b.geojson"
[[weapon_classes]]
id = "tanks"
name = "Tanks"
withdrawal_km = 15
[[weapon_classes]]
id = "artillery"
name = "Artillery"
withdrawal_km = 25
[[weapon_classes]]
id = "mlrs"
name = "MLRS"
withdrawal_km = 35
[[weapon_classes]]
id = "heavy"
name = "Heavy rockets"
withdrawal_km = 70
[[zones]]
id = "buffer"
name = "Buffer"
kind = "buffer"
rule = "no_armed_presence"
width_km = 2
"#;
    let a = load("agreement.toml", toml, &files).unwrap();
    let e = ZoneEngine::new(&a).unwrap();
    (a, e)
}

#[test]
fn just_inside_and_just_outside_every_threshold() {
    let (_, e) = meridian();
    let g = Geodesic::wgs84();
    for (zone, m) in [
        ("withdrawal:tanks", 15_000.0),
        ("withdrawal:artillery", 25_000.0),
        ("withdrawal:mlrs", 35_000.0),
        ("withdrawal:heavy", 70_000.0),
        ("buffer", 2_000.0),
    ] {
        for lat in [46.5, 47.3, 48.0, 49.7] {
            for (azimuth, party) in [(90.0, "b"), (270.0, "a")] {
                for (delta, inside) in [(-0.05, true), (0.05, false), (-1.0, true), (1.0, false)] {
                    let (plat, plon): (f64, f64) = g.direct(lat, 38.0, azimuth, m + delta);
                    let c = e.classify(plon, plat);
                    let ids: Vec<&str> = e.zone_ids(c.zones).collect();
                    assert_eq!(
                        ids.contains(&zone),
                        inside,
                        "{zone} at {delta:+} m from its {m} m edge, lat {lat}, azimuth {azimuth}: d = {} ({ids:?})",
                        c.distance_to_line_m
                    );
                    assert!((c.distance_to_line_m - (m + delta)).abs() < 0.01);
                    assert_eq!(c.control.map(|i| e.party_id(i)), Some(party));
                }
            }
        }
    }
}

#[test]
fn a_point_on_the_line_is_in_every_band() {
    let (_, e) = meridian();
    let c = e.classify(38.0, 48.25);
    assert!(c.distance_to_line_m < 1e-6, "{}", c.distance_to_line_m);
    assert_eq!(e.zone_ids(c.zones).count(), 5);
}

#[test]
fn beyond_the_ends_distance_is_to_the_end_point() {
    let (_, e) = meridian();
    let g = Geodesic::wgs84();
    let c = e.classify(38.3, 50.4);
    let d: f64 = g.inverse(50.4, 38.3, 50.0, 38.0);
    assert!(
        (c.distance_to_line_m - d).abs() < 0.01,
        "{} vs {d}",
        c.distance_to_line_m
    );
    assert_eq!(c.control, None, "outside both parties' areas");
}

#[test]
fn disengagement_areas_contain_their_centres_only() {
    let (a, e, _) = donbas();
    for id in ["stanytsia-luhanska", "zolote", "petrivske"] {
        let z = a.zone(id).unwrap();
        let truceline_agreement::ZoneExtent::Area { area, .. } = &z.extent else {
            panic!("{id} is drawn");
        };
        let c = geo::Centroid::centroid(area).unwrap();
        let inside = e.classify(c.x(), c.y());
        assert!(e.zone_ids(inside.zones).any(|z| z == id), "{id} centre");
        // 1.5 km east of the centre: outside the 2 x 2 km square, still in the buffer zone.
        let (lat, lon): (f64, f64) = Geodesic::wgs84().direct(c.y(), c.x(), 90.0, 1_500.0);
        let outside = e.classify(lon, lat);
        let ids: Vec<&str> = e.zone_ids(outside.zones).collect();
        assert!(!ids.contains(&id), "{id}: {ids:?}");
    }
}

#[test]
fn both_sides_of_the_donbas_line() {
    let (_, e, _) = donbas();
    // Kramatorsk was held by Ukraine and Donetsk city was not, in 2015-2022.
    let kramatorsk = e.classify(37.556, 48.739);
    let donetsk = e.classify(37.803, 48.016);
    assert_eq!(kramatorsk.control.map(|i| e.party_id(i)), Some("ua"));
    assert_eq!(donetsk.control.map(|i| e.party_id(i)), Some("ru"));
    assert!(
        kramatorsk.distance_to_line_m > 35_000.0,
        "{}",
        kramatorsk.distance_to_line_m
    );
    assert!(donetsk.distance_to_line_m < 15_000.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Within 1 m of GeographicLib for any point up to 200 km from the line.
    #[test]
    fn distances_agree_with_geographiclib(fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let (_, e, r) = donbas();
        let (lon, lat) = (37.55 - 2.7 + fx * (2.38 + 5.4), 47.08 - 1.8 + fy * (1.68 + 3.6));
        let reference = r.distance_m(lon, lat);
        prop_assume!(reference <= 200_000.0);
        let ours = e.classify(lon, lat).distance_to_line_m;
        prop_assert!((ours - reference).abs() < 1.0, "{lon},{lat}: {ours} vs {reference}");
    }

    /// Near each withdrawal threshold, membership follows the reference distance.
    #[test]
    fn membership_follows_the_exact_distance(vertex in 0usize..3000, class in 0usize..6, side in prop::bool::ANY, delta in -30.0f64..30.0) {
        let (a, e, r) = donbas();
        let line = &a.line_of_contact.geometry.0[0].0;
        let (p, q) = (line[vertex], line[vertex + 1]);
        let g = Geodesic::wgs84();
        let (_, azimuth, _, _): (f64, f64, f64, f64) = g.inverse(p.y, p.x, q.y, q.x);
        let w = &a.weapon_classes[class];
        let (lat, lon): (f64, f64) = g.direct(p.y, p.x, azimuth + if side { 90.0 } else { -90.0 }, w.withdrawal_m() + delta);
        let reference = r.distance_m(lon, lat);
        prop_assume!((reference - w.withdrawal_m()).abs() > 0.01);
        let c = e.classify(lon, lat);
        let inside = e.zone_ids(c.zones).any(|z| z == format!("withdrawal:{}", w.id));
        prop_assert_eq!(inside, reference <= w.withdrawal_m(), "d = {} ref {}", c.distance_to_line_m, reference);
    }

    /// The banded point-in-polygon index agrees with geo's `Contains` off the boundary.
    #[test]
    fn control_matches_geo_contains(fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
        let (a, _, _) = donbas();
        let (lon, lat) = (36.0 + fx * 5.0, 46.5 + fy * 4.0);
        for p in &a.parties {
            let idx = PolygonIndex::new(&p.area);
            prop_assert_eq!(idx.contains(lon, lat), p.area.contains(&Point::new(lon, lat)), "{} at {},{}", p.id, lon, lat);
        }
    }
}

#[test]
fn export_has_every_layer() {
    let (a, _, _) = donbas();
    let fc = truceline_zones::display::export_geojson(a);
    let layers: Vec<&str> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["layer"].as_str().unwrap())
        .collect();
    assert_eq!(layers.iter().filter(|l| **l == "party_area").count(), 2);
    assert_eq!(
        layers.iter().filter(|l| **l == "withdrawal_zone").count(),
        6
    );
    assert_eq!(layers.iter().filter(|l| **l == "disengagement").count(), 3);
    assert_eq!(layers.iter().filter(|l| **l == "buffer").count(), 1);
    assert_eq!(
        layers.iter().filter(|l| **l == "line_of_contact").count(),
        1
    );
    assert!(
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["illustrative"] == true)
    );
}

#[test]
fn summary_measures_the_example() {
    let (a, _, _) = donbas();
    let s = truceline_zones::display::summarise(a);
    assert!(
        (300.0..400.0).contains(&s.line_length_km),
        "{}",
        s.line_length_km
    );
    let buffer = s.zones.iter().find(|z| z.id == "buffer").unwrap();
    // 2 km each side of ~333 km, plus the round ends: ~1 330 + 13 km².
    let expect = 4.0 * s.line_length_km + std::f64::consts::PI * 4.0;
    assert!(
        (buffer.area_km2 - expect).abs() / expect < 0.01,
        "{} vs {expect}",
        buffer.area_km2
    );
    for id in ["stanytsia-luhanska", "zolote", "petrivske"] {
        let z = s.zones.iter().find(|z| z.id == id).unwrap();
        assert!((z.area_km2 - 4.0).abs() < 0.05, "{id}: {}", z.area_km2);
    }
}
