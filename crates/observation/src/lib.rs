//! The observation: what one observer sensed once (SPEC 2.2).
//!
//! An observation arrives as a JSON object from a patrol, a post, a camera, a UAV or a sensor.
//! [`parse`] checks every field for type and range against the agreement's [`Vocabulary`] and
//! returns either a typed [`Observation`] with its canonical form (RFC 8785 JSON, the exact
//! bytes that are stored, compared for idempotent re-sends and, later, logged), or the first
//! problem as a [`FieldError`] naming the field and what is expected.
//!
//! The crate does no I/O.
//!
//! ```
//! use truceline_observation::{parse, Vocabulary, Kind};
//!
//! let vocab = Vocabulary::new(["ua", "ru"], ["mlrs"]);
//! let line = br#"{"id":"op3-0001","observer":"op3","source":"post","time":"2026-11-24T10:00:00Z",
//!   "kind":"explosion","subtype":"impact","observer_position":{"lon":37.8,"lat":48.1},
//!   "bearing_deg":210,"bearing_sigma_deg":5,"distance_m":{"min":2000,"max":4000}}"#;
//! let obs = parse(line, &vocab).unwrap();
//! assert_eq!(obs.kind, Kind::Explosion);
//! assert!(obs.canonical.starts_with(br#"{"bearing_deg":210,"#));
//!
//! let bad = br#"{"id":"x","observer":"op3","time":"2026-11-24T10:00:00Z","kind":"explosion",
//!   "observer_position":{"lon":37.8,"lat":48.1},"bearing_deg":400,"bearing_sigma_deg":5}"#;
//! let err = parse(bad, &vocab).unwrap_err();
//! assert_eq!(err.field, "bearing_deg");
//! assert!(err.message.contains("0 to 360"));
//! ```

pub mod canonical;
mod direct;
mod parse;

use std::collections::BTreeSet;

pub use parse::{parse, parse_full, parse_value};

/// The words observations are read with, for other records read the same way.
pub mod fields {
    pub use crate::parse::{
        Fields, describe, json_value, lon_lat, missing, number_in, only_keys, sub,
    };
}

/// Longest id (of an observation or an observer), in characters.
pub const MAX_ID_LEN: usize = 128;
/// Longest serial number of a weapon, in characters.
pub const MAX_SERIAL_LEN: usize = 64;
/// Longest free-text note, in characters.
pub const MAX_NOTES_LEN: usize = 4000;
/// Most media references one observation may carry.
pub const MAX_MEDIA: usize = 32;
/// Most events one windowed observation may stand for.
pub const MAX_COUNT: u32 = 100_000;
/// Longest window a counted observation may cover (`time_end − time`), in seconds.
pub const MAX_WINDOW_S: i64 = 24 * 3600;
/// Farthest assessed distance to an event, in metres.
pub const MAX_DISTANCE_M: f64 = 500_000.0;
/// Largest location uncertainty, in metres.
pub const MAX_UNCERTAINTY_M: f64 = 100_000.0;

/// The party and weapon ids an observation may name: those of the agreement in force, plus the
/// reserved weapon ids `small_arms` and `unknown`.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub parties: BTreeSet<String>,
    pub weapons: BTreeSet<String>,
}

impl Vocabulary {
    pub fn new<P, W>(parties: P, weapons: W) -> Vocabulary
    where
        P: IntoIterator,
        P::Item: Into<String>,
        W: IntoIterator,
        W::Item: Into<String>,
    {
        let mut weapons: BTreeSet<String> = weapons.into_iter().map(Into::into).collect();
        weapons.extend(["small_arms".to_string(), "unknown".to_string()]);
        Vocabulary {
            parties: parties.into_iter().map(Into::into).collect(),
            weapons,
        }
    }
}

/// Who or what made the observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Patrol,
    Post,
    Camera,
    Uav,
    Acoustic,
    Radar,
    Satellite,
    /// A party's allegation: never attributes on its own.
    Party,
    OpenSource,
}

/// What was sensed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Explosion,
    Projectile,
    MuzzleFlash,
    Illumination,
    Burst,
    Shot,
    Weapon,
    Movement,
    Restriction,
    Casualty,
    Damage,
    Mine,
    Other,
}

/// For explosions: which end of the trajectory was sensed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subtype {
    Impact,
    Airburst,
    Outgoing,
    Undetermined,
}

macro_rules! names {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
            pub fn from_name(s: &str) -> Option<$t> {
                match s { $($s => Some(<$t>::$v),)* _ => None }
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$t>::from_name(&name).ok_or_else(|| {
                    let names: Vec<&str> = <$t>::ALL.iter().map(|v| v.as_str()).collect();
                    serde::de::Error::custom(format_args!(
                        "unknown {} {name:?}; expected one of: {}",
                        stringify!($t).to_lowercase(),
                        names.join(", ")
                    ))
                })
            }
        }
    };
}

names!(Source {
    Patrol = "patrol",
    Post = "post",
    Camera = "camera",
    Uav = "uav",
    Acoustic = "acoustic",
    Radar = "radar",
    Satellite = "satellite",
    Party = "party",
    OpenSource = "open_source",
});
names!(Kind {
    Explosion = "explosion",
    Projectile = "projectile",
    MuzzleFlash = "muzzle_flash",
    Illumination = "illumination",
    Burst = "burst",
    Shot = "shot",
    Weapon = "weapon",
    Movement = "movement",
    Restriction = "restriction",
    Casualty = "casualty",
    Damage = "damage",
    Mine = "mine",
    Other = "other",
});
names!(Subtype {
    Impact = "impact",
    Airburst = "airburst",
    Outgoing = "outgoing",
    Undetermined = "undetermined",
});

/// A WGS 84 position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// Where an event was, when sensed directly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    /// Radius, in metres, within which the observer places the event.
    pub uncertainty_m: f64,
}

/// An assessed distance from the observer to the event, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceRange {
    pub min: f64,
    pub max: f64,
}

/// A bearing from the observer to the event, degrees from true north, with its 1-sigma error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bearing {
    pub deg: f64,
    pub sigma_deg: f64,
}

/// A media file, referred to by its digest only.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub sha256: String,
    pub mime: String,
}

/// A signature over the canonical form of the rest of the observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub key_id: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// A checked observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub id: String,
    pub observer: String,
    pub source: Option<Source>,
    pub time: jiff::Timestamp,
    pub time_end: Option<jiff::Timestamp>,
    pub observer_position: Option<LonLat>,
    pub kind: Kind,
    pub subtype: Option<Subtype>,
    pub count: u32,
    pub bearing: Option<Bearing>,
    pub distance_m: Option<DistanceRange>,
    pub location: Option<Location>,
    pub weapon: Option<String>,
    pub party: Option<String>,
    /// A weapon's serial number, where it could be read.
    pub serial: Option<String>,
    pub notes: Option<String>,
    pub media: Vec<Media>,
    pub signature: Option<Signature>,
    /// The observation as received, in RFC 8785 canonical JSON: what is stored and compared.
    pub canonical: Vec<u8>,
}

impl Observation {
    /// The best single position to index the observation by: where the event was when that is
    /// known, else where the observer was.
    pub fn position(&self) -> LonLat {
        match (self.location, self.observer_position) {
            (Some(l), _) => LonLat {
                lon: l.lon,
                lat: l.lat,
            },
            (None, Some(p)) => p,
            // `parse` refuses an observation with neither.
            (None, None) => unreachable!("an observation has a location or an observer position"),
        }
    }
}

/// Why an observation was refused: the field (a dotted path, `distance_m.max`, `media[2].sha256`)
/// and what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a signed observation's signature covers: its canonical form without `key_id` and
/// `signature` (SPEC 2.2). `canonical` is an accepted observation's canonical form.
///
/// ```
/// let c = br#"{"id":"a","key_id":"k","signature":"x","time":"t"}"#;
/// assert_eq!(truceline_observation::signed_payload(c), br#"{"id":"a","time":"t"}"#);
/// ```
pub fn signed_payload(canonical: &[u8]) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_slice(canonical) else {
        return canonical.to_vec();
    };
    m.remove("key_id");
    m.remove("signature");
    canonical::to_vec(&serde_json::Value::Object(m)).unwrap_or_default()
}
