//! An observation read straight into its typed form, for the common case.
//!
//! Intake reads every observation once, and fusion reads each stored one again; through a
//! `serde_json::Value` that was a map of owned keys and strings built, looked up twenty times
//! and dropped for each (half the reading's time). Here `serde` reads the text into borrowed
//! fields and the canonical form is written from them, with the same checks as
//! [`parse_value`](crate::parse_value) made by the same functions.
//!
//! This path only accepts. Whatever it is not sure of — a refusal, an escape in a string, a
//! `null`, a repeated key — it hands back, and the caller reads the text the full way, which
//! names the field and says what is expected. Tests hold the two paths to the same result on
//! every text this one accepts.

use serde::{Deserialize, Deserializer};

use crate::canonical::{number, string};
use crate::parse::{
    BEARING_DEG, BEARING_SIGMA_DEG, DISTANCE_M, LAT, LON, UNCERTAINTY_M, count_of, distance_ok,
    id_ok, mime_ok, relations, sha256_ok, signature_ok, text_ok, timestamp,
};
use crate::*;

/// A present field must hold a value: `null` is refused by the full path, so it is no
/// `None` here (serde's `Option` would read it as absent).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    id: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    observer: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    source: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    time: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    time_end: Option<&'a str>,
    #[serde(default, deserialize_with = "present")]
    observer_position: Option<RawLonLat>,
    #[serde(default, borrow, deserialize_with = "present")]
    kind: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    subtype: Option<&'a str>,
    #[serde(default, deserialize_with = "present")]
    count: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    bearing_deg: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    bearing_sigma_deg: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    distance_m: Option<RawRange>,
    #[serde(default, deserialize_with = "present")]
    location: Option<RawLocation>,
    #[serde(default, borrow, deserialize_with = "present")]
    weapon: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    party: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    serial: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    notes: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    media: Option<Vec<RawMedia<'a>>>,
    #[serde(default, borrow, deserialize_with = "present")]
    key_id: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    signature: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLonLat {
    lon: f64,
    lat: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocation {
    lon: f64,
    lat: f64,
    uncertainty_m: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    min: f64,
    max: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMedia<'a> {
    sha256: &'a str,
    mime: &'a str,
}

/// The observation in `json`, or `None` when the full reading must decide.
pub(crate) fn read(json: &[u8], vocab: &Vocabulary) -> Option<Observation> {
    let r: Raw = serde_json::from_slice(json).ok()?;
    let strings = [
        r.id,
        r.observer,
        r.source,
        r.time,
        r.time_end,
        r.kind,
        r.subtype,
        r.weapon,
        r.party,
        r.serial,
        r.notes,
        r.key_id,
        r.signature,
    ];
    let media_strings = r.media.iter().flatten().flat_map(|m| [m.sha256, m.mime]);
    if strings
        .into_iter()
        .flatten()
        .chain(media_strings)
        .any(|s| truceline_json::refused_char(s).is_some())
    {
        return None;
    }
    let id = r.id.filter(|s| id_ok(s))?;
    let observer = r.observer.filter(|s| id_ok(s))?;
    let source = match r.source {
        None => None,
        Some(s) => Some(Source::from_name(s)?),
    };
    let time = timestamp(r.time?).ok()?;
    let time_end = match r.time_end {
        None => None,
        Some(s) => Some(timestamp(s).ok()?),
    };
    let kind = Kind::from_name(r.kind?)?;
    let subtype = match r.subtype {
        None => None,
        Some(s) => Some(Subtype::from_name(s)?),
    };
    let count = match r.count {
        None => 1,
        Some(n) => count_of(n)?,
    };
    let observer_position = match &r.observer_position {
        None => None,
        Some(p) => Some(lon_lat(p.lon, p.lat)?),
    };
    let bearing = match (r.bearing_deg, r.bearing_sigma_deg) {
        (None, None) => None,
        (Some(deg), Some(sigma_deg)) => {
            let ok = BEARING_DEG.hold(deg) && BEARING_SIGMA_DEG.hold(sigma_deg);
            Some(ok.then_some(Bearing { deg, sigma_deg })?)
        }
        _ => return None,
    };
    let distance_m = match &r.distance_m {
        None => None,
        Some(d) => {
            let ok = DISTANCE_M.hold(d.min) && DISTANCE_M.hold(d.max) && distance_ok(d.min, d.max);
            Some(ok.then_some(DistanceRange {
                min: d.min,
                max: d.max,
            })?)
        }
    };
    let location = match &r.location {
        None => None,
        Some(l) => {
            let p = lon_lat(l.lon, l.lat)?;
            UNCERTAINTY_M.hold(l.uncertainty_m).then_some(())?;
            Some(Location {
                lon: p.lon,
                lat: p.lat,
                uncertainty_m: l.uncertainty_m,
            })
        }
    };
    let member = |s: Option<&str>, set: &std::collections::BTreeSet<String>| match s {
        None => Some(None),
        Some(s) => set.contains(s).then(|| Some(s.to_string())),
    };
    let weapon = member(r.weapon, &vocab.weapons)?;
    let party = member(r.party, &vocab.parties)?;
    let text = |s: Option<&str>, max| match s {
        None => Some(None),
        Some(s) => text_ok(s, max).then(|| Some(s.to_string())),
    };
    let serial = text(r.serial, MAX_SERIAL_LEN)?;
    let notes = text(r.notes, MAX_NOTES_LEN)?;
    let media = match &r.media {
        None => Vec::new(),
        Some(items) if items.len() <= MAX_MEDIA => items
            .iter()
            .map(|m| {
                (sha256_ok(m.sha256) && mime_ok(m.mime)).then(|| Media {
                    sha256: m.sha256.to_string(),
                    mime: m.mime.to_string(),
                })
            })
            .collect::<Option<Vec<_>>>()?,
        Some(_) => return None,
    };
    let signature = match (r.key_id, r.signature) {
        (None, None) => None,
        (Some(key_id), Some(signature)) if id_ok(key_id) && signature_ok(signature) => {
            Some(Signature {
                key_id: key_id.to_string(),
                signature: signature.to_string(),
            })
        }
        _ => return None,
    };
    let o = Observation {
        id: id.to_string(),
        observer: observer.to_string(),
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
        canonical: canonical(&r),
    };
    relations(&o).ok()?;
    Some(o)
}

fn lon_lat(lon: f64, lat: f64) -> Option<LonLat> {
    (LON.hold(lon) && LAT.hold(lat)).then_some(LonLat { lon, lat })
}

/// The RFC 8785 form of what was read: members in the order of their names, numbers as
/// ECMAScript writes them (what [`canonical::to_vec`] writes for the same text).
fn canonical(r: &Raw) -> Vec<u8> {
    let mut w = Members(Vec::with_capacity(320));
    w.number("bearing_deg", r.bearing_deg);
    w.number("bearing_sigma_deg", r.bearing_sigma_deg);
    w.number("count", r.count.map(|n| n as f64));
    if let Some(d) = &r.distance_m {
        w.numbers("distance_m", &[("max", d.max), ("min", d.min)]);
    }
    w.text("id", r.id);
    w.text("key_id", r.key_id);
    w.text("kind", r.kind);
    if let Some(l) = &r.location {
        let members = [
            ("lat", l.lat),
            ("lon", l.lon),
            ("uncertainty_m", l.uncertainty_m),
        ];
        w.numbers("location", &members);
    }
    if let Some(media) = &r.media {
        w.name("media");
        for (i, m) in media.iter().enumerate() {
            w.0.extend_from_slice(if i == 0 { b"[" } else { b"," });
            w.0.extend_from_slice(b"{\"mime\":");
            string(&mut w.0, m.mime);
            w.0.extend_from_slice(b",\"sha256\":");
            string(&mut w.0, m.sha256);
            w.0.push(b'}');
        }
        w.0.extend_from_slice(if media.is_empty() { b"[]" } else { b"]" });
    }
    w.text("notes", r.notes);
    w.text("observer", r.observer);
    if let Some(p) = &r.observer_position {
        w.numbers("observer_position", &[("lat", p.lat), ("lon", p.lon)]);
    }
    w.text("party", r.party);
    w.text("serial", r.serial);
    w.text("signature", r.signature);
    w.text("source", r.source);
    w.text("subtype", r.subtype);
    w.text("time", r.time);
    w.text("time_end", r.time_end);
    w.text("weapon", r.weapon);
    if w.0.is_empty() {
        w.0.push(b'{');
    }
    w.0.push(b'}');
    w.0
}

/// An object being written, its members given in the order of their names.
struct Members(Vec<u8>);

impl Members {
    fn name(&mut self, k: &str) {
        self.0.push(if self.0.is_empty() { b'{' } else { b',' });
        string(&mut self.0, k);
        self.0.push(b':');
    }

    fn text(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.name(k);
            string(&mut self.0, v);
        }
    }

    fn number(&mut self, k: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.name(k);
            number(&mut self.0, v);
        }
    }

    /// A member whose value is an object of numbers, given in the order of their names.
    fn numbers(&mut self, k: &str, members: &[(&str, f64)]) {
        self.name(k);
        for (i, (k, v)) in members.iter().enumerate() {
            self.0.push(if i == 0 { b'{' } else { b',' });
            string(&mut self.0, k);
            self.0.push(b':');
            number(&mut self.0, *v);
        }
        self.0.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{FIELDS, parse_full};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn vocab() -> Vocabulary {
        Vocabulary::new(["ua", "ru"], ["tanks", "mlrs"])
    }

    /// Values each field may be given: valid ones and ones the full path refuses or that this
    /// path must hand back (escapes, `null`, control characters).
    fn pool(field: &str) -> Vec<Value> {
        let mut common = vec![Value::Null, json!(7), json!("x"), json!({}), json!([])];
        let own = match field {
            "id" | "observer" | "key_id" => vec![
                json!("op3-0001"),
                json!("a.b:c~d_e"),
                json!("."),
                json!(""),
                json!("a b"),
                json!("x".repeat(129)),
            ],
            "source" => vec![
                json!("post"),
                json!("uav"),
                json!("open_source"),
                json!("Post"),
            ],
            "time" | "time_end" => vec![
                json!("2026-11-24T10:00:00Z"),
                json!("2026-11-24T10:00:00.037Z"),
                json!("2026-11-24T12:30:00+02:00"),
                json!("2026-11-25T10:00:01Z"),
                json!("0026-11-24T10:00:00Z"),
                json!("2026-11-24"),
            ],
            "kind" => vec![
                json!("explosion"),
                json!("weapon"),
                json!("burst"),
                json!("boom"),
            ],
            "subtype" => vec![json!("impact"), json!("outgoing"), json!("incoming")],
            "count" => vec![
                json!(1),
                json!(20),
                json!(0),
                json!(100_001),
                json!(2.5),
                json!(-1),
            ],
            "bearing_deg" => vec![json!(0), json!(212.5), json!(360), json!(400), json!(-0.0)],
            "bearing_sigma_deg" => vec![json!(5), json!(0), json!(0.001), json!(181)],
            "distance_m" => vec![
                json!({"min": 2000, "max": 4000}),
                json!({"min": 0, "max": 0}),
                json!({"min": 5000, "max": 4000}),
                json!({"min": 2000}),
                json!({"min": 1, "max": 2, "mid": 1.5}),
                json!({"min": 1e-7, "max": 1e21}),
            ],
            "location" | "observer_position" => vec![
                json!({"lon": 37.79, "lat": 48.08, "uncertainty_m": 500}),
                json!({"lon": 37.8, "lat": 48.1}),
                json!({"lon": 200, "lat": 48.1}),
                json!({"lon": 37.8, "lat": 48.1, "uncertainty_m": 0}),
                json!({"lon": 37.8, "lat": null}),
            ],
            "weapon" => vec![
                json!("mlrs"),
                json!("unknown"),
                json!("small_arms"),
                json!("tank"),
            ],
            "party" => vec![json!("ua"), json!("ru"), json!("xx")],
            "serial" | "notes" => vec![
                json!("SN 42"),
                json!("три снаряди, é"),
                json!("tab\there"),
                json!("quote \" and \\ slash"),
                json!("c1 \u{9b} control"),
                json!("del \u{7f}"),
                json!("x".repeat(65)),
                json!("я".repeat(4001)),
            ],
            "media" => vec![
                json!([]),
                json!([{"sha256": "a".repeat(64), "mime": "image/jpeg"}]),
                json!([{"sha256": "A".repeat(64), "mime": "image/jpeg"}]),
                json!([{"sha256": "a".repeat(64), "mime": "jpeg"}]),
                json!([{"sha256": "a".repeat(64)}]),
                Value::Array(vec![json!({"sha256": "b".repeat(64), "mime": "a/b"}); 33]),
            ],
            "signature" => vec![
                json!(format!("{}==", "A".repeat(86))),
                json!(format!("{}==", "A".repeat(85))),
            ],
            _ => vec![json!(1)],
        };
        common.extend(own);
        common
    }

    /// A field to edit: one an observation may carry, or one it may not.
    fn field(i: usize) -> &'static str {
        FIELDS.get(i).copied().unwrap_or("unknown_field")
    }

    /// A valid observation to edit: a short one, or one with every field but `subtype`.
    fn base(full: bool) -> serde_json::Map<String, Value> {
        let mut v = json!({
            "id": "op3-0001", "observer": "op3", "time": "2026-11-24T10:00:00Z",
            "kind": "explosion", "observer_position": {"lon": 37.8, "lat": 48.1},
            "bearing_deg": 210.5, "bearing_sigma_deg": 5,
        });
        if full {
            let more = json!({
                "source": "patrol", "time_end": "2026-11-24T10:05:00Z", "kind": "weapon",
                "count": 3, "distance_m": {"min": 2000, "max": 4000},
                "location": {"lon": 37.79, "lat": 48.08, "uncertainty_m": 500},
                "weapon": "mlrs", "party": "ru", "serial": "SN 42", "notes": "seen, é",
                "media": [{"sha256": "a".repeat(64), "mime": "image/jpeg"}],
                "key_id": "op3-key", "signature": format!("{}==", "A".repeat(86)),
            });
            v.as_object_mut()
                .unwrap()
                .extend(more.as_object().unwrap().clone());
        }
        v.as_object().unwrap().clone()
    }

    /// The object written with its members in reverse order and spaces between the tokens.
    fn spaced(m: &serde_json::Map<String, Value>) -> String {
        let members: Vec<String> = m
            .iter()
            .rev()
            .map(|(k, v)| format!(" {} : {} ", Value::from(k.as_str()), v))
            .collect();
        format!("{{{}}}\n", members.join(","))
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let full = parse_full(text.as_bytes(), &vocab());
        match read(text.as_bytes(), &vocab()) {
            Some(o) => prop_assert_eq!(Ok(o), full, "{}", text),
            // Only what the full path refuses, or text with an escape, is handed back.
            None => prop_assert!(full.is_err() || text.contains('\\'), "{}", text),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// On every text it accepts, this path gives what the full path gives (the typed
        /// observation and its canonical bytes); it hands back only what the full path
        /// refuses or what holds an escape.
        #[test]
        fn agrees_with_the_full_reading(
            edits in proptest::collection::vec((0..=FIELDS.len(), 0usize..64, any::<bool>()), 0..5),
            spaced_out in any::<bool>(),
            full in any::<bool>(),
        ) {
            let mut m = base(full);
            for (f, v, remove) in edits {
                let field = field(f);
                if remove {
                    m.remove(field);
                } else {
                    let values = pool(field);
                    m.insert(field.to_string(), values[v % values.len()].clone());
                }
            }
            let text = if spaced_out { spaced(&m) } else { Value::Object(m).to_string() };
            check(&text)?;
        }
    }

    #[test]
    fn repeated_keys_and_trailing_text_are_handed_back() {
        let ok = r#"{"id":"a","observer":"b","time":"2026-11-24T10:00:00Z","kind":"shot","location":{"lon":1,"lat":2,"uncertainty_m":3}}"#;
        assert!(read(ok.as_bytes(), &vocab()).is_some());
        for bad in [
            ok.replace(r#""id":"a","#, r#""id":"a","id":"c","#),
            ok.replace(r#""lon":1,"#, r#""lon":1,"lon":1,"#),
            format!("{ok} x"),
            ok.replace(r#""b""#, r#""\u0062""#),
        ] {
            assert!(read(bad.as_bytes(), &vocab()).is_none(), "{bad}");
            check(&bad).unwrap();
        }
    }
}
