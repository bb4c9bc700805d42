//! The incident record (SPEC 2.4): what the system concludes about one event, as fusion and
//! assessment produce it, the store keeps it, and the server, reports and map read it.
//!
//! One owned type travels end to end, so no layer picks fields out of JSON by key. Its fields
//! are declared in alphabetical order at every level: serialised, it is the same bytes as the
//! `serde_json::Value` made from it (whose maps sort their keys), which is what `truceline fuse`
//! has always written. Times serialise as RFC 3339 (jiff's `Display`) and parse back exactly;
//! numbers round-trip through `serde_json` unchanged, so a record read back from the store
//! writes the same bytes again.
//!
//! ```
//! use truceline_incident::IncidentRecord;
//!
//! let line = r#"{"attribution":{"basis":"reported by one observer only","confidence":0.0,"party":null},"control":"a","count":2,"error_ellipse_m":null,"id":"inc-w1","kind":"weapon","location":{"lat":48.0,"lon":37.8},"location_basis":"direct","observations":["w1"],"subtype":null,"time":"2026-11-25T10:00:00Z","time_end":null,"violations":[],"weapon":"tanks"}"#;
//! let r: IncidentRecord = serde_json::from_str(line).unwrap();
//! assert_eq!(r.count, 2);
//! assert_eq!(r.time_ms(), 1_795_600_800_000);
//! assert_eq!(serde_json::to_string(&r).unwrap(), line);
//! ```

pub mod review;

use serde::{Deserialize, Serialize};
pub use truceline_observation::{Kind, Subtype};

/// An incident and its assessment (SPEC 2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentRecord {
    pub attribution: Attribution,
    /// The party controlling the incident's place.
    pub control: Option<String>,
    /// The events this incident stands for (a salvo's rounds, a column's vehicles).
    pub count: u32,
    /// The 95 % error ellipse; absent when the place is not bounded in two dimensions (a lone
    /// bearing without a distance).
    pub error_ellipse_m: Option<Ellipse>,
    pub id: String,
    pub kind: Kind,
    pub location: LonLat,
    pub location_basis: Basis,
    /// The ids of the observations fused into it, in (time, id) order.
    pub observations: Vec<String>,
    pub subtype: Option<Subtype>,
    #[serde(with = "timestamp")]
    pub time: jiff::Timestamp,
    #[serde(with = "optional_timestamp")]
    pub time_end: Option<jiff::Timestamp>,
    pub violations: Vec<Violation>,
    pub weapon: Option<String>,
}

/// Incidents shown outside the mission (the public edition, the public feed, a party's liaison)
/// are moved to the centre of a grid cell this many degrees wide (0.01° is about 1.1 km
/// north–south and 0.75 km east–west at 48° N), and their error ellipses are widened to at least
/// the cell's half-diagonal, so that they do not reveal where an observer stood more closely
/// than the cell.
pub const PUBLIC_GRID_DEG: f64 = 0.01;
/// The least 95 % semi-axis shown outside the mission, in metres.
pub const PUBLIC_MIN_AXIS_M: f64 = 700.0;

/// An incident that nothing but its observer's own position places ([`Basis::ObserverOnly`]: a
/// lone bearing without a distance, or a report with neither) is shown outside the mission in a
/// cell this many degrees wide (about 28 km north–south and 19 km east–west at 48° N): its
/// location *is* where a monitor stood, and a finer cell would publish that.
pub const PUBLIC_UNPLACED_GRID_DEG: f64 = 0.25;
/// The least 95 % semi-axis shown outside the mission for such an incident, in metres: about
/// the cell's half-diagonal, since the event is anywhere its observer could hear or see.
pub const PUBLIC_UNPLACED_AXIS_M: f64 = 17_000.0;

/// A location and ellipse as shown outside the mission: the centre of its
/// [`PUBLIC_GRID_DEG`] cell, the ellipse widened to at least [`PUBLIC_MIN_AXIS_M`].
///
/// ```
/// use truceline_incident::{Ellipse, LonLat, public_location};
///
/// let (at, e) = public_location(LonLat { lon: 37.81234, lat: 48.10987 }, None);
/// assert_eq!((at.lon, at.lat), (37.815, 48.105));
/// assert_eq!((e.major, e.minor), (700.0, 700.0));
/// ```
pub fn public_location(at: LonLat, ellipse: Option<Ellipse>) -> (LonLat, Ellipse) {
    in_cell(at, ellipse, PUBLIC_GRID_DEG, PUBLIC_MIN_AXIS_M)
}

/// `at` moved to the centre of its cell `grid` degrees wide, `ellipse` widened to `min_axis`.
fn in_cell(at: LonLat, ellipse: Option<Ellipse>, grid: f64, min_axis: f64) -> (LonLat, Ellipse) {
    let cell = |x: f64| ((((x / grid).floor() + 0.5) * grid) * 1e4).round() / 1e4;
    let e = match ellipse {
        Some(e) => Ellipse {
            major: e.major.max(min_axis),
            minor: e.minor.max(min_axis),
            azimuth_deg: e.azimuth_deg,
        },
        None => Ellipse {
            major: min_axis,
            minor: min_axis,
            azimuth_deg: 0.0,
        },
    };
    (
        LonLat {
            lon: cell(at.lon),
            lat: cell(at.lat),
        },
        e,
    )
}

impl IncidentRecord {
    /// Where the incident is shown outside the mission: as [`public_location`], or, for an
    /// incident placed only at its observer's position, the centre of a
    /// [`PUBLIC_UNPLACED_GRID_DEG`] cell with an ellipse of at least [`PUBLIC_UNPLACED_AXIS_M`].
    ///
    /// ```
    /// use truceline_incident::{Basis, IncidentRecord};
    ///
    /// let line = r#"{"attribution":{"basis":"origin not established","confidence":0.0,"party":null},"control":null,"count":1,"error_ellipse_m":null,"id":"inc-a1","kind":"explosion","location":{"lat":48.1234,"lon":37.8123},"location_basis":"observer_only","observations":["a1"],"subtype":null,"time":"2026-11-25T10:00:00Z","time_end":null,"violations":[],"weapon":null}"#;
    /// let mut r: IncidentRecord = serde_json::from_str(line).unwrap();
    /// let (at, e) = r.public_place();
    /// assert_eq!((at.lon, at.lat, e.major), (37.875, 48.125, 17_000.0));
    /// r.location_basis = Basis::Wedge;
    /// assert_eq!(r.public_place().0.lon, 37.815);
    /// ```
    pub fn public_place(&self) -> (LonLat, Ellipse) {
        match self.location_basis {
            Basis::ObserverOnly => in_cell(
                self.location,
                self.error_ellipse_m,
                PUBLIC_UNPLACED_GRID_DEG,
                PUBLIC_UNPLACED_AXIS_M,
            ),
            _ => public_location(self.location, self.error_ellipse_m),
        }
    }

    /// `time` in milliseconds since the Unix epoch.
    pub fn time_ms(&self) -> i64 {
        self.time.as_millisecond()
    }

    /// The party controlling the incident's place, where its place is known: an incident placed
    /// only at its observer's position has none, as that would be the observer's.
    pub fn place_control(&self) -> Option<&str> {
        self.control.as_deref().filter(|_| self.is_placed())
    }

    /// Whether `location` is where the event was, as far as the evidence goes: not for an
    /// incident placed only at its observer's position.
    pub fn is_placed(&self) -> bool {
        self.location_basis != Basis::ObserverOnly
    }

    /// The attributed party, if any.
    pub fn party(&self) -> Option<&str> {
        self.attribution.party.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    /// Why the party was named, or why none was, in words.
    pub basis: String,
    /// The share of the evidence behind the party named, 0 to 1.
    pub confidence: f64,
    pub party: Option<String>,
}

/// A 95 % error ellipse, metres, the azimuth of its major axis in degrees from true north.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ellipse {
    pub azimuth_deg: f64,
    pub major: f64,
    pub minor: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LonLat {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// The party in breach, where established.
    pub party: Option<String>,
    /// `ceasefire`, `withdrawal` or a zone's rule (`no_armed_presence`).
    pub rule: String,
    /// The zone broken (`withdrawal:<class>`, or an agreement zone's id).
    pub zone: Option<String>,
}

/// How an incident was located.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// From two or more bearings, or a bearing and a direct location, or several locations.
    Fix,
    /// A direct location (UAV, crater) alone.
    Direct,
    /// One bearing with a distance range: the event is somewhere in that wedge.
    Wedge,
    /// No position can be derived; the location given is the observer's.
    ObserverOnly,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Fix => "fix",
            Basis::Direct => "direct",
            Basis::Wedge => "wedge",
            Basis::ObserverOnly => "observer_only",
        }
    }
}

/// RFC 3339 as jiff writes it, so that a record read back writes the same bytes.
/// Serde for a `jiff::Timestamp` as RFC 3339 (`#[serde(with = "truceline_incident::timestamp")]`).
pub mod timestamp {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<jiff::Timestamp, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

mod optional_timestamp {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<jiff::Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(t),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<jiff::Timestamp>, D::Error> {
        Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IncidentRecord {
        IncidentRecord {
            attribution: Attribution {
                basis: "outgoing fire located in the area held by b".into(),
                confidence: 0.987,
                party: Some("b".into()),
            },
            control: Some("b".into()),
            count: 3,
            error_ellipse_m: Some(Ellipse {
                azimuth_deg: 131.7,
                major: 1053.1,
                minor: 324.0,
            }),
            id: "inc-op1-0001".into(),
            kind: Kind::Explosion,
            location: LonLat {
                lat: 48.012_346,
                lon: 37.812_346,
            },
            location_basis: Basis::Fix,
            observations: vec!["op1-0001".into(), "op2-0007".into()],
            subtype: Some(Subtype::Outgoing),
            time: "2026-11-25T10:00:00.25Z".parse().unwrap(),
            time_end: Some("2026-11-25T10:00:07Z".parse().unwrap()),
            violations: vec![Violation {
                party: Some("b".into()),
                rule: "ceasefire".into(),
                zone: None,
            }],
            weapon: Some("mlrs".into()),
        }
    }

    /// The record written directly and the JSON value made from it are the same bytes, and
    /// reading it back gives the same record: the store keeps what `fuse` writes.
    #[test]
    fn a_record_round_trips_through_json_to_the_same_bytes() {
        let r = sample();
        let direct = serde_json::to_string(&r).unwrap();
        let via_value = serde_json::to_string(&serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(direct, via_value);
        let back: IncidentRecord = serde_json::from_str(&direct).unwrap();
        assert_eq!(back, r);
        assert_eq!(serde_json::to_string(&back).unwrap(), direct);
        assert!(
            direct.contains(r#""time":"2026-11-25T10:00:00.25Z""#),
            "{direct}"
        );
        assert!(direct.contains(r#""location_basis":"fix""#), "{direct}");
    }

    #[test]
    fn an_unknown_kind_or_field_is_refused_by_name() {
        let good = serde_json::to_string(&sample()).unwrap();
        let bad = good.replace(r#""kind":"explosion""#, r#""kind":"bang""#);
        let e = serde_json::from_str::<IncidentRecord>(&bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown kind \"bang\""), "{e}");
        let extra = good.replacen('{', r#"{"colour":"red","#, 1);
        let e = serde_json::from_str::<IncidentRecord>(&extra)
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
    }
}
