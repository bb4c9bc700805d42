//! The mission's other records (SPEC 6): what a monitoring mission reports besides explosions.
//!
//! A record is one JSON object `{"id","type","time",...}` of one of seven types: a weapons
//! storage `site` with its declared inventory, an `inspection` of one, a `restriction` of the
//! mission's freedom of movement, a civilian `casualty`, `damage` to a civilian object, a
//! `hazard` (mines, unexploded ordnance) and a local ceasefire `window` for repairs. [`parse`]
//! checks every field the way observations are checked (a refusal names the field and says
//! what is expected; unknown fields are refused, not dropped) and keeps the canonical form
//! (RFC 8785) that is stored and logged.
//!
//! What follows from records, one question a module: [`storage`] (declared against present:
//! weapons missing per party and site, sites not inspected for too long, serials seen in
//! violation traced to their site), [`link`] (a casualty or damage linked to the incident that
//! caused it only when time and place single one out, with the basis in words) and [`area`]
//! (points and polygons: fire inside a window, a hazard area meeting a zone).
//!
//! The crate does no I/O.
//!
//! ```
//! use truceline_observation::Vocabulary;
//! use truceline_records::{parse, Body, RecordType};
//!
//! let vocab = Vocabulary::new(["ua", "ru"], ["mlrs"]);
//! let line = br#"{"id":"fom-1","type":"restriction","time":"2026-11-24T09:10:00Z",
//!   "kind":"denial","location":{"lon":37.8,"lat":48.1},"party":"ru","duration_min":40,"patrol":"p12"}"#;
//! let r = parse(line, &vocab).unwrap();
//! assert_eq!(r.record_type(), RecordType::Restriction);
//! assert!(matches!(r.body, Body::Restriction { duration_min: Some(40.0), .. }));
//!
//! let bad = br#"{"id":"c-1","type":"casualty","time":"2026-11-24T09:10:00Z",
//!   "location":{"lon":37.8,"lat":48.1},"killed":1,"cause":"shelling","status":"rumoured"}"#;
//! let err = parse(bad, &vocab).unwrap_err();
//! assert_eq!(err.field, "status");
//! assert!(err.message.contains("reported, corroborated, confirmed"));
//! ```

pub mod area;
pub mod link;
mod parse;
pub mod storage;
pub mod window;

use serde::Serialize;
pub use truceline_observation::{FieldError, LonLat, Signature};

pub use parse::{parse, parse_value};

/// Most weapons one site declaration may list.
pub const MAX_DECLARED: usize = 10_000;
/// Most vertices of one area.
pub const MAX_AREA_VERTICES: usize = 10_000;
/// Longest local ceasefire window, in days.
pub const MAX_WINDOW_DAYS: i64 = 31;
/// Longest name or purpose, in characters.
pub const MAX_NAME_LEN: usize = 200;
/// Most people one casualty record may count.
pub const MAX_PEOPLE: u64 = 10_000;
/// Longest restriction a record may state, in minutes (a week).
pub const MAX_DURATION_MIN: f64 = 7.0 * 24.0 * 60.0;

macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn from_name(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

names!(
    /// The seven record types of SPEC 6.
    RecordType {
        Site = "site",
        Inspection = "inspection",
        Restriction = "restriction",
        Casualty = "casualty",
        Damage = "damage",
        Hazard = "hazard",
        Window = "window",
    }
);

names!(
    /// What an inspection team was let see.
    Access { Granted = "granted", Partial = "partial", Denied = "denied" }
);

names!(
    /// How the mission's freedom of movement was restricted.
    RestrictionKind {
        Denial = "denial",
        Delay = "delay",
        Conditional = "conditional",
        GnssInterference = "gnss_interference",
        FireAtUav = "fire_at_uav",
    }
);

names!(
    /// What caused a casualty or damage.
    Cause {
        Shelling = "shelling",
        SmallArms = "small_arms",
        Mine = "mine",
        Uxo = "uxo",
        Other = "other",
    }
);

names!(
    /// How far a casualty report has been checked: heard of, confirmed by a second source, or
    /// seen by the mission itself (the OSCE's three steps).
    Status { Reported = "reported", Corroborated = "corroborated", Confirmed = "confirmed" }
);

names!(
    /// The civilian object damaged.
    Object {
        Residential = "residential",
        Water = "water",
        Power = "power",
        Gas = "gas",
        School = "school",
        Medical = "medical",
        Other = "other",
    }
);

names!(
    /// What kind of explosive hazard.
    HazardKind {
        AntiPersonnel = "anti_personnel",
        AntiTank = "anti_tank",
        Uxo = "uxo",
        Unknown = "unknown",
    }
);

/// One weapon on a site's declared inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Declared {
    pub weapon: String,
    pub serial: String,
}

/// A polygon on WGS 84 (RFC 7946 positions): the outer ring, then any holes, each closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Area(pub geo::Polygon<f64>);

impl Area {
    /// An area of one outer ring of `(lon, lat)` positions (closed here if it is not).
    pub fn ring(points: &[(f64, f64)]) -> Area {
        let mut coords: Vec<geo::Coord<f64>> = points
            .iter()
            .map(|&(x, y)| geo::coord! { x: x, y: y })
            .collect();
        if coords.first() != coords.last() {
            coords.push(coords[0]);
        }
        Area(geo::Polygon::new(geo::LineString::new(coords), Vec::new()))
    }
}

/// What a record says, by type.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Site {
        party: String,
        name: String,
        location: LonLat,
        declared: Vec<Declared>,
    },
    Inspection {
        site: String,
        access: Access,
        present: Vec<String>,
    },
    Restriction {
        kind: RestrictionKind,
        location: LonLat,
        party: Option<String>,
        duration_min: Option<f64>,
        patrol: Option<String>,
    },
    Casualty {
        location: LonLat,
        killed: u64,
        injured: u64,
        cause: Cause,
        status: Status,
        incident: Option<String>,
    },
    Damage {
        location: LonLat,
        object: Object,
        cause: Option<Cause>,
        incident: Option<String>,
    },
    Hazard {
        location: Option<LonLat>,
        area: Option<Area>,
        hazard: HazardKind,
        marked: bool,
    },
    Window {
        from: jiff::Timestamp,
        to: jiff::Timestamp,
        area: Area,
        purpose: String,
    },
}

/// One record, checked, with the canonical form that is stored and logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub time: jiff::Timestamp,
    /// Who made it in the field (a patrol, a post), where the sender says.
    pub observer: Option<String>,
    pub notes: Option<String>,
    pub signature: Option<Signature>,
    pub body: Body,
    /// The record as received, in RFC 8785 canonical JSON.
    pub canonical: Vec<u8>,
}

impl Record {
    pub fn record_type(&self) -> RecordType {
        match self.body {
            Body::Site { .. } => RecordType::Site,
            Body::Inspection { .. } => RecordType::Inspection,
            Body::Restriction { .. } => RecordType::Restriction,
            Body::Casualty { .. } => RecordType::Casualty,
            Body::Damage { .. } => RecordType::Damage,
            Body::Hazard { .. } => RecordType::Hazard,
            Body::Window { .. } => RecordType::Window,
        }
    }

    /// A point to index and draw the record by, where it has one: its location, a hazard's or
    /// window's area by the centroid of its outer ring.
    pub fn position(&self) -> Option<LonLat> {
        match &self.body {
            Body::Site { location, .. }
            | Body::Restriction { location, .. }
            | Body::Casualty { location, .. }
            | Body::Damage { location, .. } => Some(*location),
            Body::Hazard {
                location: Some(l), ..
            } => Some(*l),
            Body::Hazard { area: Some(a), .. } | Body::Window { area: a, .. } => {
                Some(area::centroid(a))
            }
            Body::Hazard { .. } | Body::Inspection { .. } => None,
        }
    }
}
