//! The zone engine: for a point, the party controlling it, the exact geodesic distance to the
//! line of contact, and every zone of the agreement it lies in. No I/O.
//!
//! ```
//! # use truceline_agreement::{load, MemoryFiles};
//! # let files = MemoryFiles::from([
//! #     ("a.geojson", r#"{"type":"Polygon","coordinates":[[[37,47],[38,47],[38,49],[37,49],[37,47]]]}"#),
//! #     ("b.geojson", r#"{"type":"Polygon","coordinates":[[[38,47],[39,47],[39,49],[38,49],[38,47]]]}"#),
//! #     ("line.geojson", r#"{"type":"LineString","coordinates":[[38,47],[38,49]]}"#),
//! # ]);
//! # let toml = r#"
//! # id = "example"
//! # title = "Example"
//! # effective_from = "2015-02-14T22:00:00Z"
//! # [line_of_contact]
//! # between = ["a", "b"]
//! # geometry = "line.geojson"
//! # [[parties]]
//! # id = "a"
//! # name = "A"
//! # area = "a.geojson"
//! # [[parties]]
//! # id = "b"
//! # name = "B"
//! # area = "b.geojson"
//! # [[weapon_classes]]
//! # id = "mlrs"
//! # name = "MLRS"
//! # withdrawal_km = 35
//! # [[zones]]
//! # id = "buffer"
//! # name = "Buffer"
//! # kind = "buffer"
//! # rule = "no_armed_presence"
//! # width_km = 2
//! # "#;
//! use truceline_zones::ZoneEngine;
//!
//! let agreement = load("agreement.toml", toml, &files).unwrap();
//! let engine = ZoneEngine::new(&agreement).unwrap();
//! // 0.1° of longitude west of a meridian line at 48° N: about 7.46 km, on party a's side.
//! let c = engine.classify(37.9, 48.0);
//! assert_eq!(c.control.map(|i| engine.party_id(i)), Some("a"));
//! assert!((c.distance_to_line_m - 7_461.9).abs() < 1.0);
//! assert_eq!(engine.zone_ids(c.zones).collect::<Vec<_>>(), ["withdrawal:mlrs"]);
//! ```

pub mod display;
pub mod ellipsoid;
mod engine;
pub mod line_index;
pub mod polygon_index;
pub mod reference;

pub use engine::{
    Classification, EngineError, MAX_ZONES, ZoneEngine, ZoneInfo, ZoneSet, ZoneSource,
};
