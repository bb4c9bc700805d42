//! Local ceasefire windows: fire inside an agreed window's area and time breaks it.
//!
//! ```
//! use truceline_records::{Area, Body, LonLat, Record, window};
//! use truceline_incident::Kind;
//!
//! let t = |s: &str| -> jiff::Timestamp { s.parse().unwrap() };
//! let w = Record { id: "w1".into(), time: t("2026-11-24T06:00:00Z"), observer: None, notes: None,
//!     signature: None, canonical: Vec::new(), body: Body::Window { from: t("2026-11-24T08:00:00Z"),
//!     to: t("2026-11-24T16:00:00Z"), purpose: "water main".into(),
//!     area: Area::ring(&[(37.7, 48.0), (37.9, 48.0), (37.9, 48.2), (37.7, 48.2)]) } };
//! let at = LonLat { lon: 37.8, lat: 48.1 };
//! assert_eq!(window::broken(std::slice::from_ref(&w), Kind::Explosion, t("2026-11-24T09:00:00Z"), at).count(), 1);
//! assert_eq!(window::broken(std::slice::from_ref(&w), Kind::Weapon, t("2026-11-24T09:00:00Z"), at).count(), 0);
//! assert_eq!(window::broken(std::slice::from_ref(&w), Kind::Explosion, t("2026-11-24T17:00:00Z"), at).count(), 0);
//! ```

use truceline_incident::Kind;

use crate::{Body, LonLat, Record, area};

/// Whether an incident of `kind` is fire (what a window of silence forbids).
pub fn is_fire(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Explosion | Kind::Projectile | Kind::MuzzleFlash | Kind::Burst | Kind::Shot
    )
}

/// The windows among `windows` that fire of `kind` at `time` and `at` breaks: in force then
/// (`from` inclusive, `to` exclusive) and inside the area.
pub fn broken(
    windows: &[Record],
    kind: Kind,
    time: jiff::Timestamp,
    at: LonLat,
) -> impl Iterator<Item = &Record> {
    windows.iter().filter(move |r| match &r.body {
        Body::Window { from, to, area, .. } => {
            is_fire(kind) && time >= *from && time < *to && area::contains(area, at)
        }
        _ => false,
    })
}
