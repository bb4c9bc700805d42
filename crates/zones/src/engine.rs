//! Classifying a point against an agreement: who controls it, how far it is from the line of
//! contact, and every zone it lies in.
//!
//! Membership of the bands along the line (each weapon class's withdrawal zone, buffer zones) is
//! decided by the exact geodesic distance, never by a buffered polygon: a polygon is an
//! approximation, and a weapon 14.99 km from the line is in its 15 km zone. A point exactly at
//! the threshold is inside.

use truceline_agreement::{Agreement, ZoneExtent};

use crate::line_index::{LineIndex, Nearest};
use crate::polygon_index::PolygonIndex;

/// The most zones an engine can tell apart (weapon classes plus agreement zones).
pub const MAX_ZONES: usize = 64;

/// Why an engine could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the agreement has {0} zones and weapon classes; at most {MAX_ZONES} are supported")]
    TooManyZones(usize),
    #[error("the line of contact has no positions")]
    EmptyLine,
}

/// What a zone is, for callers that need more than its id.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneSource {
    /// The withdrawal zone of a weapon class (index into the agreement's weapon classes).
    Withdrawal(usize),
    /// A zone of the agreement (index into its zones).
    Zone(usize),
}

/// One zone the engine tests.
#[derive(Debug, Clone)]
pub struct ZoneInfo {
    /// `withdrawal:<weapon class id>` or the agreement zone's id.
    pub id: String,
    pub source: ZoneSource,
}

enum Test {
    /// Within this many metres of the line.
    Band(f64),
    Area(PolygonIndex),
}

/// An agreement prepared for fast classification.
pub struct ZoneEngine {
    line: LineIndex,
    parties: Vec<(String, PolygonIndex)>,
    zones: Vec<ZoneInfo>,
    tests: Vec<Test>,
}

/// The zones a point lies in, as a set over the engine's zone list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ZoneSet(pub u64);

impl ZoneSet {
    pub fn contains(self, zone: usize) -> bool {
        self.0 & (1 << zone) != 0
    }
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..MAX_ZONES).filter(move |&i| self.contains(i))
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The classification of one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classification {
    /// Index of the controlling party in the agreement, if the point is in a party's area.
    pub control: Option<usize>,
    /// Geodesic distance to the line of contact, in metres.
    pub distance_to_line_m: f64,
    pub zones: ZoneSet,
}

impl ZoneEngine {
    /// Prepares an agreement. Costs a few milliseconds; classify many points with one engine.
    pub fn new(a: &Agreement) -> Result<ZoneEngine, EngineError> {
        let mut zones = Vec::new();
        let mut tests = Vec::new();
        for (i, w) in a.weapon_classes.iter().enumerate() {
            zones.push(ZoneInfo {
                id: format!("withdrawal:{}", w.id),
                source: ZoneSource::Withdrawal(i),
            });
            tests.push(Test::Band(w.withdrawal_m()));
        }
        for (i, z) in a.zones.iter().enumerate() {
            zones.push(ZoneInfo {
                id: z.id.clone(),
                source: ZoneSource::Zone(i),
            });
            tests.push(match &z.extent {
                ZoneExtent::Band { width_km } => Test::Band(width_km * 1000.0),
                ZoneExtent::Area { area, .. } => Test::Area(PolygonIndex::new(area)),
            });
        }
        if zones.len() > MAX_ZONES {
            return Err(EngineError::TooManyZones(zones.len()));
        }
        if a.line_of_contact.geometry.0.iter().all(|l| l.0.is_empty()) {
            return Err(EngineError::EmptyLine);
        }
        Ok(ZoneEngine {
            line: LineIndex::new(&a.line_of_contact.geometry),
            parties: a
                .parties
                .iter()
                .map(|p| (p.id.clone(), PolygonIndex::new(&p.area)))
                .collect(),
            zones,
            tests,
        })
    }

    /// The zones this engine tests, in the order of [`ZoneSet`] bits.
    pub fn zones(&self) -> &[ZoneInfo] {
        &self.zones
    }

    /// The id of party `i`.
    pub fn party_id(&self, i: usize) -> &str {
        &self.parties[i].0
    }

    /// The indexed line of contact.
    pub fn line(&self) -> &LineIndex {
        &self.line
    }

    /// The index of the party whose area holds the point, if any: [`Self::classify`]'s
    /// `control` alone, without the distance to the line, for callers that sample many points.
    #[inline]
    pub fn control(&self, lon: f64, lat: f64) -> Option<usize> {
        self.parties.iter().position(|(_, p)| p.contains(lon, lat))
    }

    /// The control of every point of the rectangle from `min` to `max` (longitude, latitude),
    /// when it is the same for all of them: `Some(control)`, as [`Self::control`] would give it
    /// for any point there; `None` when an area's boundary may cross the rectangle.
    pub fn uniform_control(&self, min: (f64, f64), max: (f64, f64)) -> Option<Option<usize>> {
        for (i, (_, p)) in self.parties.iter().enumerate() {
            if p.uniform(min, max)? {
                return Some(Some(i));
            }
        }
        Some(None)
    }

    /// Classifies a point given by longitude and latitude in degrees.
    pub fn classify(&self, lon: f64, lat: f64) -> Classification {
        let Nearest { distance_m, .. } = self.line.nearest(lon, lat);
        let control = self.control(lon, lat);
        let mut zones = 0u64;
        for (i, t) in self.tests.iter().enumerate() {
            let inside = match t {
                Test::Band(m) => distance_m <= *m,
                Test::Area(p) => p.contains(lon, lat),
            };
            zones |= u64::from(inside) << i;
        }
        Classification {
            control,
            distance_to_line_m: distance_m,
            zones: ZoneSet(zones),
        }
    }

    /// The ids of the zones in a set.
    pub fn zone_ids(&self, set: ZoneSet) -> impl Iterator<Item = &str> {
        set.iter().map(|i| self.zones[i].id.as_str())
    }
}
