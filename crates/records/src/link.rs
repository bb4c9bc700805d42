//! Which incident caused a casualty or damage: named only when time and place single one out.
//!
//! A reporter may name the incident (`incident`); that is taken as given and said so.
//! Otherwise the candidates are the incidents of a kind that fits the cause (explosions for
//! shelling, mines and ordnance; shots and bursts for small arms), located on a bounded ellipse
//! (an incident placed only at its observer says nothing of where the harm was), at most
//! [`BEFORE`] before the record's time and [`AFTER`] after it (clocks and reports differ), whose
//! 95 % ellipse reaches the place with [`MARGIN_M`] to spare. Exactly one candidate is a link,
//! with its basis in words; two or more are not, and the basis says how many fitted. Nothing is
//! guessed.
//!
//! ```
//! use truceline_records::link::{link, Harm};
//! use truceline_records::{Cause, LonLat};
//!
//! let harm = Harm { time: "2026-11-24T10:20:00Z".parse().unwrap(), location: LonLat { lon: 37.8, lat: 48.1 },
//!                   cause: Some(Cause::Shelling), named: None };
//! let l = link(&harm, &[]);
//! assert_eq!(l.incident, None);
//! assert!(l.basis.starts_with("no explosion incident"));
//! ```

use geographiclib_rs::{Geodesic, InverseGeodesic};
use serde::Serialize;
use truceline_incident::{Basis, IncidentRecord, Kind};

use crate::{Cause, LonLat};

/// How long before the harm's time its cause may have been.
pub const BEFORE: jiff::SignedDuration = jiff::SignedDuration::from_hours(3);
/// How long after: the harm's time is often when it was found or reported, but an observer's
/// clock may run ahead.
pub const AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// Added to an incident's 95 % semi-major axis: the extent of what was hit and of the place
/// reported.
pub const MARGIN_M: f64 = 300.0;

/// What was harmed, when and where, and by what.
#[derive(Debug, Clone)]
pub struct Harm<'a> {
    pub time: jiff::Timestamp,
    pub location: LonLat,
    pub cause: Option<Cause>,
    /// The incident the reporter named, if any.
    pub named: Option<&'a str>,
}

impl<'a> Harm<'a> {
    /// The harm a casualty or damage record describes; `None` for other records.
    pub fn of(r: &'a crate::Record) -> Option<Harm<'a>> {
        use crate::Body;
        match &r.body {
            Body::Casualty {
                location,
                cause,
                incident,
                ..
            } => Some(Harm {
                time: r.time,
                location: *location,
                cause: Some(*cause),
                named: incident.as_deref(),
            }),
            Body::Damage {
                location,
                cause,
                incident,
                ..
            } => Some(Harm {
                time: r.time,
                location: *location,
                cause: *cause,
                named: incident.as_deref(),
            }),
            _ => None,
        }
    }
}

/// A link, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub incident: Option<String>,
    /// The reason in English words.
    pub basis: String,
    /// The reason as data, for other languages.
    #[serde(skip)]
    pub reason: Reason,
}

/// Why harm is linked to an incident, or is not.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Reason {
    /// The reporter named the incident.
    Named,
    /// The only incident that fits: how long before the harm it was (negative: after) and how
    /// far from it.
    Only {
        minutes_before: f64,
        distance_m: f64,
    },
    /// No incident fits.
    #[default]
    None,
    /// This many fit: no link.
    Several(usize),
}

fn fits(cause: Option<Cause>, kind: Kind) -> bool {
    match cause {
        Some(Cause::Shelling | Cause::Mine | Cause::Uxo) => kind == Kind::Explosion,
        Some(Cause::SmallArms) => matches!(kind, Kind::Shot | Kind::Burst),
        Some(Cause::Other) | None => matches!(kind, Kind::Explosion | Kind::Shot | Kind::Burst),
    }
}

/// Links `harm` to one of `incidents` (any order) or says why it does not.
pub fn link(harm: &Harm<'_>, incidents: &[IncidentRecord]) -> Link {
    if let Some(id) = harm.named {
        return Link {
            incident: Some(id.to_string()),
            basis: "named by the reporter".into(),
            reason: Reason::Named,
        };
    }
    let geod = Geodesic::wgs84();
    let lo = harm.time - BEFORE;
    let hi = harm.time + AFTER;
    let mut fitting: Vec<(&IncidentRecord, f64)> = incidents
        .iter()
        .filter(|i| i.time >= lo && i.time <= hi && fits(harm.cause, i.kind))
        .filter(|i| i.location_basis != Basis::ObserverOnly)
        .filter_map(|i| {
            let reach = i.error_ellipse_m?.major + MARGIN_M;
            let d: f64 = geod.inverse(
                harm.location.lat,
                harm.location.lon,
                i.location.lat,
                i.location.lon,
            );
            (d <= reach).then_some((i, d))
        })
        .collect();
    fitting.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let what = match harm.cause {
        Some(Cause::SmallArms) => "shooting",
        Some(Cause::Shelling | Cause::Mine | Cause::Uxo) => "explosion",
        _ => "explosion or shooting",
    };
    match fitting.as_slice() {
        [] => Link {
            incident: None,
            basis: format!(
                "no {what} incident from {} h before to {} min after whose 95 % ellipse reaches the place",
                BEFORE.as_hours(),
                AFTER.as_mins()
            ),
            reason: Reason::None,
        },
        [(i, d)] => {
            let minutes = harm.time.duration_since(i.time).as_secs_f64() / 60.0;
            let when = if minutes >= 0.0 {
                format!("{:.0} min before", minutes)
            } else {
                format!("{:.0} min after", -minutes)
            };
            Link {
                incident: Some(i.id.clone()),
                basis: format!(
                    "the only {what} incident in time and place: {when}, {:.0} m away, within its 95 % ellipse",
                    d
                ),
                reason: Reason::Only {
                    minutes_before: minutes,
                    distance_m: *d,
                },
            }
        }
        many => Link {
            incident: None,
            basis: format!(
                "{} {what} incidents fit in time and place; not linked to one",
                many.len()
            ),
            reason: Reason::Several(many.len()),
        },
    }
}
