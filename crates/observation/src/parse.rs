//! Strict reading of one observation from JSON.
//!
//! The walk is by hand rather than through `serde` derive so that every refusal names its field
//! and says what is expected in words a monitor can act on ("expected a number from 0 to 360,
//! found 400"), and so that unknown fields are refused rather than silently dropped: a field the
//! sender thinks it sent and we ignored is a lost fact.

use serde_json::{Map, Value};

use crate::*;

/// Fields an observation may carry, in the order messages list them.
pub(crate) const FIELDS: [&str; 20] = [
    "id",
    "observer",
    "source",
    "time",
    "time_end",
    "observer_position",
    "kind",
    "subtype",
    "count",
    "bearing_deg",
    "bearing_sigma_deg",
    "distance_m",
    "location",
    "weapon",
    "party",
    "serial",
    "notes",
    "media",
    "key_id",
    "signature",
];

/// Reads and checks one observation from its JSON text.
///
/// The common case is read straight into the typed form (see `direct.rs`); anything else the
/// full way ([`parse_full`]), which gives the same result on every text.
pub fn parse(json: &[u8], vocab: &Vocabulary) -> Result<Observation, FieldError> {
    match crate::direct::read(json, vocab) {
        Some(o) => Ok(o),
        None => parse_full(json, vocab),
    }
}

/// Reads one observation the full way, through a JSON value: what [`parse`] answers for any
/// text, more slowly (for tests and fuzzing that hold the two to each other).
pub fn parse_full(json: &[u8], vocab: &Vocabulary) -> Result<Observation, FieldError> {
    parse_value(json_value(json, "observation")?, vocab)
}

/// Checks one observation already parsed as JSON.
pub fn parse_value(value: Value, vocab: &Vocabulary) -> Result<Observation, FieldError> {
    let Value::Object(map) = &value else {
        return Err(FieldError::new(
            "",
            format!("expected a JSON object, found {}", describe(&value)),
        ));
    };
    for key in map.keys() {
        if !FIELDS.contains(&key.as_str()) {
            return Err(FieldError::new(
                key.as_str(),
                format!("unknown field; expected one of: {}", FIELDS.join(", ")),
            ));
        }
    }
    let o = Fields(map);
    let id = o.id("id")?.ok_or_else(|| missing("id"))?;
    let observer = o.id("observer")?.ok_or_else(|| missing("observer"))?;
    let source = o.name("source", Source::from_name, Source::ALL, Source::as_str)?;
    let time = o.time("time")?.ok_or_else(|| missing("time"))?;
    let time_end = o.time("time_end")?;
    let kind = o
        .name("kind", Kind::from_name, Kind::ALL, Kind::as_str)?
        .ok_or_else(|| missing("kind"))?;
    let subtype = o.name("subtype", Subtype::from_name, Subtype::ALL, Subtype::as_str)?;
    let count = match map.get("count") {
        None => 1,
        Some(v) => match v.as_u64().and_then(count_of) {
            Some(n) => n,
            None => {
                return Err(FieldError::new(
                    "count",
                    format!(
                        "expected a whole number from 1 to {MAX_COUNT}, found {}",
                        describe(v)
                    ),
                ));
            }
        },
    };
    let observer_position = o.lonlat("observer_position")?;
    let bearing_deg = o.within("bearing_deg", BEARING_DEG, "degrees from true north")?;
    let bearing_sigma_deg = o.within("bearing_sigma_deg", BEARING_SIGMA_DEG, "degrees")?;
    let bearing = match (bearing_deg, bearing_sigma_deg) {
        (Some(deg), Some(sigma_deg)) => Some(Bearing { deg, sigma_deg }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(FieldError::new(
                "bearing_sigma_deg",
                "required with `bearing_deg`: the bearing's 1-sigma error in degrees, above 0",
            ));
        }
        (None, Some(_)) => {
            return Err(FieldError::new(
                "bearing_deg",
                "required with `bearing_sigma_deg`: the bearing from the observer, 0 to 360 degrees",
            ));
        }
    };
    let distance_m = o.distance("distance_m")?;
    let location = o.location("location")?;
    let weapon = o.member("weapon", &vocab.weapons, "weapon class")?;
    let party = o.member("party", &vocab.parties, "party")?;
    let serial = o.text("serial", MAX_SERIAL_LEN)?;
    let notes = o.text("notes", MAX_NOTES_LEN)?;
    let media = o.media("media")?;
    let signature = o.signed()?;
    let canonical = crate::canonical::to_vec(&value).map_err(|e| {
        FieldError::new(
            "",
            format!("cannot be put in canonical form ({e}); expected finite numbers"),
        )
    })?;
    let o = Observation {
        id,
        observer,
        source,
        time,
        time_end,
        observer_position,
        kind,
        subtype,
        count,
        bearing,
        distance_m,
        location,
        weapon,
        party,
        serial,
        notes,
        media,
        signature,
        canonical,
    };
    relations(&o)?;
    Ok(o)
}

/// The checks between fields, once each field is valid on its own.
pub(crate) fn relations(o: &Observation) -> Result<(), FieldError> {
    let kind = o.kind.as_str();
    if o.subtype.is_some() && o.kind != Kind::Explosion {
        return Err(FieldError::new(
            "subtype",
            format!(
                "a subtype is given only for kind \"explosion\"; this observation's kind is \"{kind}\""
            ),
        ));
    }
    if let Some(end) = o.time_end {
        let time = o.time;
        let window = end.as_second() - time.as_second();
        if end <= time {
            return Err(FieldError::new(
                "time_end",
                format!("expected a time after `time` ({time}), found {end}"),
            ));
        }
        if window > MAX_WINDOW_S {
            return Err(FieldError::new(
                "time_end",
                format!("the window from `time` is {window} s; expected at most 24 hours"),
            ));
        }
    }
    if o.observer_position.is_none() {
        let needed_by = if o.bearing.is_some() {
            Some("bearing_deg")
        } else if o.distance_m.is_some() {
            Some("distance_m")
        } else {
            None
        };
        if let Some(f) = needed_by {
            return Err(FieldError::new(
                "observer_position",
                format!("required with `{f}`: where the observer was, as {{\"lon\", \"lat\"}}"),
            ));
        }
    }
    if o.location.is_none() && o.observer_position.is_none() {
        return Err(FieldError::new(
            "location",
            "an observation must say where: give `location` {\"lon\", \"lat\", \"uncertainty_m\"} \
             for an event sensed directly, or `observer_position` {\"lon\", \"lat\"}",
        ));
    }
    if o.serial.is_some() && o.kind != Kind::Weapon {
        return Err(FieldError::new(
            "serial",
            format!(
                "a serial is given only for kind \"weapon\"; this observation's kind is \"{kind}\""
            ),
        ));
    }
    Ok(())
}

/// A `count` in range.
pub(crate) fn count_of(n: u64) -> Option<u32> {
    (1..=MAX_COUNT as u64).contains(&n).then_some(n as u32)
}

/// Ids appear in URLs and file names: a bounded set of characters that need no escaping
/// (`.` and `..` alone name a folder's self and parent in paths and URLs).
pub(crate) fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && !matches!(s, "." | "..")
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:~-".contains(&b))
}

/// Why a time was refused.
pub(crate) enum TimeFault {
    Unreadable,
    /// Plausible years only: a typo such as 0026 or 2206 is an error, not a fact.
    Year,
}

pub(crate) fn timestamp(s: &str) -> Result<jiff::Timestamp, TimeFault> {
    let t: jiff::Timestamp = s.parse().map_err(|_| TimeFault::Unreadable)?;
    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
    if !(1990..=2100).contains(&year) {
        return Err(TimeFault::Year);
    }
    Ok(t)
}

/// `x` finite and in `[lo, hi]` (or `(lo, hi]` when `lo_inclusive` is false).
pub(crate) fn in_range(x: f64, lo: f64, hi: f64, lo_inclusive: bool) -> bool {
    x.is_finite() && x <= hi && if lo_inclusive { x >= lo } else { x > lo }
}

/// The range of one of an observation's numbers, for both readings of it.
#[derive(Clone, Copy)]
pub(crate) struct Bounds {
    pub lo: f64,
    pub hi: f64,
    pub lo_inclusive: bool,
}

impl Bounds {
    pub(crate) fn hold(self, x: f64) -> bool {
        in_range(x, self.lo, self.hi, self.lo_inclusive)
    }
}

const fn bounds(lo: f64, hi: f64, lo_inclusive: bool) -> Bounds {
    Bounds {
        lo,
        hi,
        lo_inclusive,
    }
}

pub(crate) const BEARING_DEG: Bounds = bounds(0.0, 360.0, true);
pub(crate) const BEARING_SIGMA_DEG: Bounds = bounds(0.0, 180.0, false);
pub(crate) const DISTANCE_M: Bounds = bounds(0.0, MAX_DISTANCE_M, true);
pub(crate) const UNCERTAINTY_M: Bounds = bounds(0.0, MAX_UNCERTAINTY_M, false);
pub(crate) const LON: Bounds = bounds(-180.0, 180.0, true);
pub(crate) const LAT: Bounds = bounds(-90.0, 90.0, true);

/// An assessed distance's bounds agree (each already in range).
pub(crate) fn distance_ok(min: f64, max: f64) -> bool {
    max > 0.0 && max >= min
}

/// 64 lower-case hexadecimal digits.
pub(crate) fn sha256_ok(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A media type such as `image/jpeg`.
pub(crate) fn mime_ok(s: &str) -> bool {
    s.len() <= 100
        && s.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/.+-_".contains(&c))
        })
}

/// 64 bytes in standard base64 with padding are 88 characters ending in "==".
pub(crate) fn signature_ok(s: &str) -> bool {
    s.len() == 88
        && s.ends_with("==")
        && s[..86]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The JSON text of one `what` (an observation, a record), strictly read, or where it is wrong.
pub fn json_value(json: &[u8], what: &str) -> Result<Value, FieldError> {
    truceline_json::from_slice(json).map_err(|e| {
        if e.path.is_empty() {
            FieldError::new(
                "",
                format!("{}; expected one JSON object per {what}", e.message),
            )
        } else {
            FieldError::new(e.path, e.message)
        }
    })
}

pub fn missing(field: &str) -> FieldError {
    FieldError::new(field, "required field is missing")
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|&t| name(t)).collect::<Vec<_>>().join(", ")
}

/// A short description of a value for messages: its type, and the value itself when short.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("{n}"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

pub fn sub(parent: &str, field: &str) -> String {
    format!("{parent}.{field}")
}

/// The fields of one JSON object, read one by one with messages that name them. Other records
/// (`truceline-records`) are read with the same words.
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl Fields<'_> {
    pub fn string(&self, f: &str) -> Result<Option<&str>, FieldError> {
        match self.0.get(f) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(FieldError::new(
                f,
                format!("expected a string, found {}", describe(v)),
            )),
        }
    }

    pub fn id(&self, f: &str) -> Result<Option<String>, FieldError> {
        let Some(s) = self.string(f)? else {
            return Ok(None);
        };
        if !id_ok(s) {
            return Err(FieldError::new(
                f,
                format!(
                    "expected 1 to {MAX_ID_LEN} characters from A-Z a-z 0-9 . _ : ~ - (not `.` or `..` alone), found {}",
                    describe(&Value::String(s.to_string()))
                ),
            ));
        }
        Ok(Some(s.to_string()))
    }

    pub fn name<T: Copy>(
        &self,
        f: &str,
        from: fn(&str) -> Option<T>,
        all: &[T],
        as_str: fn(T) -> &'static str,
    ) -> Result<Option<T>, FieldError> {
        let Some(s) = self.string(f)? else {
            return Ok(None);
        };
        from(s).map(Some).ok_or_else(|| {
            let expected = names(all, as_str);
            FieldError::new(
                f,
                format!("unknown value {s:?}; expected one of: {expected}"),
            )
        })
    }

    pub fn time(&self, f: &str) -> Result<Option<jiff::Timestamp>, FieldError> {
        let Some(s) = self.string(f)? else {
            return Ok(None);
        };
        match timestamp(s) {
            Ok(t) => Ok(Some(t)),
            Err(TimeFault::Unreadable) => Err(FieldError::new(
                f,
                format!(
                    "expected an RFC 3339 time with its offset, such as \"2026-11-24T10:00:00Z\", found {s:?}"
                ),
            )),
            Err(TimeFault::Year) => Err(FieldError::new(
                f,
                format!("expected a time between 1990 and 2100, found {s:?}"),
            )),
        }
    }

    /// A finite number in `[lo, hi]` (or `(lo, hi]` when `lo_inclusive` is false).
    pub fn number(
        &self,
        f: &str,
        lo: f64,
        hi: f64,
        lo_inclusive: bool,
        unit: &str,
    ) -> Result<Option<f64>, FieldError> {
        number_in(self.0, f, "", lo, hi, lo_inclusive, unit)
    }

    fn within(&self, f: &str, b: Bounds, unit: &str) -> Result<Option<f64>, FieldError> {
        number_within(self.0, f, "", b, unit)
    }

    pub fn object(&self, f: &str) -> Result<Option<&Map<String, Value>>, FieldError> {
        match self.0.get(f) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err(FieldError::new(
                f,
                format!("expected an object, found {}", describe(v)),
            )),
        }
    }

    pub fn lonlat(&self, f: &str) -> Result<Option<LonLat>, FieldError> {
        let Some(m) = self.object(f)? else {
            return Ok(None);
        };
        only_keys(m, f, &["lon", "lat"])?;
        let (lon, lat) = lon_lat(m, f)?;
        Ok(Some(LonLat { lon, lat }))
    }

    pub fn location(&self, f: &str) -> Result<Option<Location>, FieldError> {
        let Some(m) = self.object(f)? else {
            return Ok(None);
        };
        only_keys(m, f, &["lon", "lat", "uncertainty_m"])?;
        let (lon, lat) = lon_lat(m, f)?;
        let uncertainty_m = number_within(m, "uncertainty_m", f, UNCERTAINTY_M, "metres")?
            .ok_or_else(|| missing(&sub(f, "uncertainty_m")))?;
        Ok(Some(Location {
            lon,
            lat,
            uncertainty_m,
        }))
    }

    fn distance(&self, f: &str) -> Result<Option<DistanceRange>, FieldError> {
        let Some(m) = self.object(f)? else {
            return Ok(None);
        };
        only_keys(m, f, &["min", "max"])?;
        let get = |k: &str| {
            number_within(m, k, f, DISTANCE_M, "metres")?.ok_or_else(|| missing(&sub(f, k)))
        };
        let (min, max) = (get("min")?, get("max")?);
        if !distance_ok(min, max) {
            return Err(FieldError::new(
                sub(f, "max"),
                format!("expected a distance above 0 and at least `min` ({min}), found {max}"),
            ));
        }
        Ok(Some(DistanceRange { min, max }))
    }

    pub fn member(
        &self,
        f: &str,
        set: &std::collections::BTreeSet<String>,
        what: &str,
    ) -> Result<Option<String>, FieldError> {
        let Some(s) = self.string(f)? else {
            return Ok(None);
        };
        if !set.contains(s) {
            let known: Vec<&str> = set.iter().map(String::as_str).collect();
            return Err(FieldError::new(
                f,
                format!(
                    "unknown {what} {s:?}; expected one of the agreement's: {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(Some(s.to_string()))
    }

    pub fn text(&self, f: &str, max: usize) -> Result<Option<String>, FieldError> {
        let Some(s) = self.string(f)? else {
            return Ok(None);
        };
        if !text_ok(s, max) {
            let n = s.chars().count();
            return Err(FieldError::new(
                f,
                format!("expected at most {max} characters, found {n}"),
            ));
        }
        Ok(Some(s.to_string()))
    }

    fn media(&self, f: &str) -> Result<Vec<Media>, FieldError> {
        let items = match self.0.get(f) {
            None => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(v) => {
                return Err(FieldError::new(
                    f,
                    format!(
                        "expected an array of {{\"sha256\", \"mime\"}}, found {}",
                        describe(v)
                    ),
                ));
            }
        };
        if items.len() > MAX_MEDIA {
            return Err(FieldError::new(
                f,
                format!("expected at most {MAX_MEDIA} items, found {}", items.len()),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let path = format!("{f}[{i}]");
                let Value::Object(m) = v else {
                    return Err(FieldError::new(
                        &path,
                        format!(
                            "expected an object {{\"sha256\", \"mime\"}}, found {}",
                            describe(v)
                        ),
                    ));
                };
                only_keys(m, &path, &["sha256", "mime"])?;
                let inner = Fields(m);
                let named = |e: FieldError| FieldError::new(sub(&path, &e.field), e.message);
                let sha256 = inner.string("sha256").map_err(named)?;
                let sha256 = sha256.ok_or_else(|| missing(&sub(&path, "sha256")))?;
                if !sha256_ok(sha256) {
                    return Err(FieldError::new(
                        sub(&path, "sha256"),
                        "expected 64 lower-case hexadecimal digits (a SHA-256 digest)",
                    ));
                }
                let mime = inner.string("mime").map_err(named)?;
                let mime = mime.ok_or_else(|| missing(&sub(&path, "mime")))?;
                if !mime_ok(mime) {
                    return Err(FieldError::new(
                        sub(&path, "mime"),
                        format!(
                            "expected a media type such as \"image/jpeg\", found {}",
                            describe(&Value::String(mime.to_string()))
                        ),
                    ));
                }
                Ok(Media {
                    sha256: sha256.to_string(),
                    mime: mime.to_string(),
                })
            })
            .collect()
    }

    /// `key_id` and `signature`, both or neither.
    pub fn signed(&self) -> Result<Option<Signature>, FieldError> {
        match (self.id("key_id")?, self.signature("signature")?) {
            (Some(key_id), Some(signature)) => Ok(Some(Signature { key_id, signature })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(FieldError::new(
                "signature",
                "required with `key_id`: base64 of the 64-byte Ed25519 signature",
            )),
            (None, Some(_)) => Err(FieldError::new(
                "key_id",
                "required with `signature`: the id of the key that signed",
            )),
        }
    }

    pub fn signature(&self, f: &str) -> Result<Option<String>, FieldError> {
        let Some(s) = self.string(f)? else {
            return Ok(None);
        };
        if !signature_ok(s) {
            return Err(FieldError::new(
                f,
                "expected base64 of a 64-byte Ed25519 signature (88 characters)",
            ));
        }
        Ok(Some(s.to_string()))
    }
}

pub fn only_keys(m: &Map<String, Value>, parent: &str, keys: &[&str]) -> Result<(), FieldError> {
    for k in m.keys() {
        if !keys.contains(&k.as_str()) {
            return Err(FieldError::new(
                sub(parent, k),
                format!("unknown field; expected only: {}", keys.join(", ")),
            ));
        }
    }
    Ok(())
}

pub fn lon_lat(m: &Map<String, Value>, parent: &str) -> Result<(f64, f64), FieldError> {
    let lon = number_within(m, "lon", parent, LON, "degrees")?
        .ok_or_else(|| missing(&sub(parent, "lon")))?;
    let lat = number_within(m, "lat", parent, LAT, "degrees")?
        .ok_or_else(|| missing(&sub(parent, "lat")))?;
    Ok((lon, lat))
}

/// A finite number in `[lo, hi]` (or `(lo, hi]` when `lo_inclusive` is false) at `key` of `m`,
/// whose path is `parent.key` (or `key` at the top level). Messages are built only on error:
/// this runs for every number of every observation.
#[allow(clippy::too_many_arguments)]
pub fn number_in(
    m: &Map<String, Value>,
    key: &str,
    parent: &str,
    lo: f64,
    hi: f64,
    lo_inclusive: bool,
    unit: &str,
) -> Result<Option<f64>, FieldError> {
    let Some(v) = m.get(key) else {
        return Ok(None);
    };
    let x = v.as_f64().filter(|&x| in_range(x, lo, hi, lo_inclusive));
    x.map(Some).ok_or_else(|| {
        let range = if lo_inclusive {
            format!("from {lo} to {hi} {unit}")
        } else {
            format!("above {lo} and at most {hi} {unit}")
        };
        let path = if parent.is_empty() {
            key.to_string()
        } else {
            sub(parent, key)
        };
        FieldError::new(
            path,
            format!("expected a number {range}, found {}", describe(v)),
        )
    })
}

/// At most `max` characters (counted only when the bytes alone do not settle it).
pub(crate) fn text_ok(s: &str, max: usize) -> bool {
    s.len() <= max || s.chars().count() <= max
}

/// [`number_in`] over an observation's own [`Bounds`].
fn number_within(
    m: &Map<String, Value>,
    key: &str,
    parent: &str,
    b: Bounds,
    unit: &str,
) -> Result<Option<f64>, FieldError> {
    number_in(m, key, parent, b.lo, b.hi, b.lo_inclusive, unit)
}
