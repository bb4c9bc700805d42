//! Strict reading of one record from JSON, in the words observations are read with.

use serde_json::{Map, Value};
use truceline_observation::fields::{Fields, describe, json_value, missing, only_keys, sub};
use truceline_observation::{MAX_NOTES_LEN, MAX_SERIAL_LEN, Vocabulary};

use crate::*;

/// Fields every record may carry.
const COMMON: [&str; 7] = [
    "id",
    "type",
    "time",
    "observer",
    "notes",
    "key_id",
    "signature",
];

/// The fields of each type beside the common ones.
fn fields_of(t: RecordType) -> &'static [&'static str] {
    match t {
        RecordType::Site => &["party", "name", "location", "declared"],
        RecordType::Inspection => &["site", "access", "present"],
        RecordType::Restriction => &["kind", "location", "party", "duration_min", "patrol"],
        RecordType::Casualty => &[
            "location", "killed", "injured", "cause", "status", "incident",
        ],
        RecordType::Damage => &["location", "object", "cause", "incident"],
        RecordType::Hazard => &["location", "area", "hazard", "marked"],
        RecordType::Window => &["from", "to", "area", "purpose"],
    }
}

/// Reads and checks one record from its JSON text.
pub fn parse(json: &[u8], vocab: &Vocabulary) -> Result<Record, FieldError> {
    parse_value(json_value(json, "record")?, vocab)
}

/// Checks one record already parsed as JSON.
pub fn parse_value(value: Value, vocab: &Vocabulary) -> Result<Record, FieldError> {
    let Value::Object(map) = &value else {
        return Err(FieldError::new(
            "",
            format!("expected a JSON object, found {}", describe(&value)),
        ));
    };
    let o = Fields(map);
    let t = o
        .name(
            "type",
            RecordType::from_name,
            RecordType::ALL,
            RecordType::as_str,
        )?
        .ok_or_else(|| missing("type"))?;
    let own = fields_of(t);
    for key in map.keys() {
        if !COMMON.contains(&key.as_str()) && !own.contains(&key.as_str()) {
            return Err(FieldError::new(
                key.as_str(),
                format!(
                    "unknown field for a record of type \"{}\"; expected one of: {}, {}",
                    t.as_str(),
                    COMMON.join(", "),
                    own.join(", ")
                ),
            ));
        }
    }
    let id = o.id("id")?.ok_or_else(|| missing("id"))?;
    let time = o.time("time")?.ok_or_else(|| missing("time"))?;
    let observer = o.id("observer")?;
    let notes = o.text("notes", MAX_NOTES_LEN)?;
    let signature = o.signed()?;
    let location = |req: bool| -> Result<Option<LonLat>, FieldError> {
        let l = o.lonlat("location")?;
        if req && l.is_none() {
            return Err(missing("location"));
        }
        Ok(l)
    };
    let body = match t {
        RecordType::Site => Body::Site {
            party: o
                .member("party", &vocab.parties, "party")?
                .ok_or_else(|| missing("party"))?,
            name: required_text(&o, "name", MAX_NAME_LEN)?,
            location: location(true)?.expect("required"),
            declared: declared(map, vocab)?,
        },
        RecordType::Inspection => {
            let access = o
                .name("access", Access::from_name, Access::ALL, Access::as_str)?
                .ok_or_else(|| missing("access"))?;
            let present = serials(map, "present")?;
            match (access, &present) {
                (Access::Denied, Some(p)) if !p.is_empty() => {
                    return Err(FieldError::new(
                        "present",
                        "an inspection with access \"denied\" saw nothing: leave `present` out",
                    ));
                }
                (Access::Granted | Access::Partial, None) => {
                    return Err(FieldError::new(
                        "present",
                        "required when access was granted or partial: the serials seen at the site ([] for none)",
                    ));
                }
                _ => {}
            }
            Body::Inspection {
                site: required_text(&o, "site", MAX_NAME_LEN)?,
                access,
                present: present.unwrap_or_default(),
            }
        }
        RecordType::Restriction => Body::Restriction {
            kind: o
                .name(
                    "kind",
                    RestrictionKind::from_name,
                    RestrictionKind::ALL,
                    RestrictionKind::as_str,
                )?
                .ok_or_else(|| missing("kind"))?,
            location: location(true)?.expect("required"),
            party: o.member("party", &vocab.parties, "party")?,
            duration_min: o.number("duration_min", 0.0, MAX_DURATION_MIN, true, "minutes")?,
            patrol: o.id("patrol")?,
        },
        RecordType::Casualty => {
            let killed = people(map, "killed")?;
            let injured = people(map, "injured")?;
            if killed + injured == 0 {
                return Err(FieldError::new(
                    "killed",
                    "a casualty record counts at least one person: give `killed` or `injured` above 0",
                ));
            }
            Body::Casualty {
                location: location(true)?.expect("required"),
                killed,
                injured,
                cause: o
                    .name("cause", Cause::from_name, Cause::ALL, Cause::as_str)?
                    .ok_or_else(|| missing("cause"))?,
                status: o
                    .name("status", Status::from_name, Status::ALL, Status::as_str)?
                    .ok_or_else(|| missing("status"))?,
                incident: o.id("incident")?,
            }
        }
        RecordType::Damage => Body::Damage {
            location: location(true)?.expect("required"),
            object: o
                .name("object", Object::from_name, Object::ALL, Object::as_str)?
                .ok_or_else(|| missing("object"))?,
            cause: o.name("cause", Cause::from_name, Cause::ALL, Cause::as_str)?,
            incident: o.id("incident")?,
        },
        RecordType::Hazard => {
            let location = location(false)?;
            let area = polygon(map, "area")?;
            if location.is_none() && area.is_none() {
                return Err(FieldError::new(
                    "location",
                    "a hazard must say where: `location` {\"lon\", \"lat\"} for one item, or `area` (a GeoJSON Polygon) for a field",
                ));
            }
            let marked = match map.get("marked") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(v) => {
                    return Err(FieldError::new(
                        "marked",
                        format!("expected true or false, found {}", describe(v)),
                    ));
                }
            };
            Body::Hazard {
                location,
                area,
                hazard: o
                    .name(
                        "hazard",
                        HazardKind::from_name,
                        HazardKind::ALL,
                        HazardKind::as_str,
                    )?
                    .ok_or_else(|| missing("hazard"))?,
                marked,
            }
        }
        RecordType::Window => {
            let from = o.time("from")?.ok_or_else(|| missing("from"))?;
            let to = o.time("to")?.ok_or_else(|| missing("to"))?;
            if to <= from {
                return Err(FieldError::new(
                    "to",
                    format!("expected a time after `from` ({from}), found {to}"),
                ));
            }
            if to.duration_since(from).as_secs() > MAX_WINDOW_DAYS * 86_400 {
                return Err(FieldError::new(
                    "to",
                    format!("a window lasts at most {MAX_WINDOW_DAYS} days; agree a new one after"),
                ));
            }
            Body::Window {
                from,
                to,
                area: polygon(map, "area")?.ok_or_else(|| missing("area"))?,
                purpose: required_text(&o, "purpose", MAX_NAME_LEN)?,
            }
        }
    };
    let canonical = truceline_observation::canonical::to_vec(&value).map_err(|e| {
        FieldError::new(
            "",
            format!("cannot be put in canonical form ({e}); expected finite numbers"),
        )
    })?;
    Ok(Record {
        id,
        time,
        observer,
        notes,
        signature,
        body,
        canonical,
    })
}

fn required_text(o: &Fields<'_>, f: &str, max: usize) -> Result<String, FieldError> {
    let s = o.text(f, max)?.ok_or_else(|| missing(f))?;
    if s.trim().is_empty() {
        return Err(FieldError::new(f, "expected a non-empty text"));
    }
    Ok(s)
}

fn people(m: &Map<String, Value>, f: &str) -> Result<u64, FieldError> {
    match m.get(f) {
        None => Ok(0),
        Some(v) => v.as_u64().filter(|n| *n <= MAX_PEOPLE).ok_or_else(|| {
            FieldError::new(
                f,
                format!(
                    "expected a whole number from 0 to {MAX_PEOPLE}, found {}",
                    describe(v)
                ),
            )
        }),
    }
}

fn array<'a>(
    m: &'a Map<String, Value>,
    f: &str,
    what: &str,
) -> Result<Option<&'a [Value]>, FieldError> {
    match m.get(f) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(v) => Err(FieldError::new(
            f,
            format!("expected an array of {what}, found {}", describe(v)),
        )),
    }
}

fn serial_at(v: &Value, path: &str) -> Result<String, FieldError> {
    match v {
        Value::String(s)
            if !s.trim().is_empty()
                && s.chars().count() <= MAX_SERIAL_LEN
                && !s.chars().any(char::is_control) =>
        {
            Ok(s.clone())
        }
        _ => Err(FieldError::new(
            path,
            format!(
                "expected a serial number of 1 to {MAX_SERIAL_LEN} printable characters, found {}",
                describe(v)
            ),
        )),
    }
}

fn serials(m: &Map<String, Value>, f: &str) -> Result<Option<Vec<String>>, FieldError> {
    let Some(items) = array(m, f, "serial numbers")? else {
        return Ok(None);
    };
    if items.len() > MAX_DECLARED {
        return Err(FieldError::new(
            f,
            format!(
                "expected at most {MAX_DECLARED} serials, found {}",
                items.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let s = serial_at(v, &format!("{f}[{i}]"))?;
        if out.contains(&s) {
            return Err(FieldError::new(
                format!("{f}[{i}]"),
                format!("serial {s:?} is listed twice"),
            ));
        }
        out.push(s);
    }
    Ok(Some(out))
}

fn declared(m: &Map<String, Value>, vocab: &Vocabulary) -> Result<Vec<Declared>, FieldError> {
    let items =
        array(m, "declared", "{\"weapon\", \"serial\"}")?.ok_or_else(|| missing("declared"))?;
    if items.len() > MAX_DECLARED {
        return Err(FieldError::new(
            "declared",
            format!(
                "expected at most {MAX_DECLARED} weapons, found {}",
                items.len()
            ),
        ));
    }
    let mut out: Vec<Declared> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let path = format!("declared[{i}]");
        let Value::Object(w) = v else {
            return Err(FieldError::new(
                &path,
                format!(
                    "expected an object {{\"weapon\", \"serial\"}}, found {}",
                    describe(v)
                ),
            ));
        };
        only_keys(w, &path, &["weapon", "serial"])?;
        let inner = Fields(w);
        let named = |e: FieldError| FieldError::new(sub(&path, &e.field), e.message);
        let weapon = inner
            .member("weapon", &vocab.weapons, "weapon class")
            .map_err(named)?
            .ok_or_else(|| missing(&sub(&path, "weapon")))?;
        let serial = serial_at(
            w.get("serial")
                .ok_or_else(|| missing(&sub(&path, "serial")))?,
            &sub(&path, "serial"),
        )?;
        if out.iter().any(|d| d.serial == serial) {
            return Err(FieldError::new(
                sub(&path, "serial"),
                format!("serial {serial:?} is declared twice"),
            ));
        }
        out.push(Declared { weapon, serial });
    }
    Ok(out)
}

/// A GeoJSON Polygon (RFC 7946 3.1.6): closed rings of at least four positions.
fn polygon(m: &Map<String, Value>, f: &str) -> Result<Option<Area>, FieldError> {
    let Some(v) = m.get(f) else {
        return Ok(None);
    };
    let Value::Object(g) = v else {
        return Err(FieldError::new(
            f,
            format!(
                "expected a GeoJSON Polygon {{\"type\": \"Polygon\", \"coordinates\": [[[lon, lat], ...]]}}, found {}",
                describe(v)
            ),
        ));
    };
    only_keys(g, f, &["type", "coordinates"])?;
    if g.get("type").and_then(Value::as_str) != Some("Polygon") {
        return Err(FieldError::new(sub(f, "type"), "expected \"Polygon\""));
    }
    let cpath = sub(f, "coordinates");
    let rings = match g.get("coordinates") {
        Some(Value::Array(r)) if !r.is_empty() => r,
        _ => {
            return Err(FieldError::new(
                &cpath,
                "expected an array of rings, the first the outer one, each [[lon, lat], ...]",
            ));
        }
    };
    let mut total = 0;
    let mut out: Vec<geo::LineString<f64>> = Vec::with_capacity(rings.len());
    for (i, ring) in rings.iter().enumerate() {
        let rpath = format!("{cpath}[{i}]");
        let Value::Array(points) = ring else {
            return Err(FieldError::new(
                &rpath,
                "expected a ring: an array of [lon, lat]",
            ));
        };
        total += points.len();
        if total > MAX_AREA_VERTICES {
            return Err(FieldError::new(
                &rpath,
                format!("expected at most {MAX_AREA_VERTICES} positions in all"),
            ));
        }
        if points.len() < 4 {
            return Err(FieldError::new(
                &rpath,
                format!(
                    "a ring has at least 4 positions, the last the same as the first; found {}",
                    points.len()
                ),
            ));
        }
        let mut coords = Vec::with_capacity(points.len());
        for (j, p) in points.iter().enumerate() {
            let ppath = format!("{rpath}[{j}]");
            let xy = p.as_array().filter(|a| a.len() == 2 || a.len() == 3);
            let lonlat = xy.and_then(|a| {
                let lon = a[0].as_f64().filter(|x| (-180.0..=180.0).contains(x))?;
                let lat = a[1].as_f64().filter(|x| (-90.0..=90.0).contains(x))?;
                Some((lon, lat))
            });
            let Some((lon, lat)) = lonlat else {
                return Err(FieldError::new(
                    ppath,
                    format!(
                        "expected a position [lon, lat] in degrees (lon -180 to 180, lat -90 to 90), found {}",
                        describe(p)
                    ),
                ));
            };
            coords.push(geo::coord! { x: lon, y: lat });
        }
        if coords.first() != coords.last() {
            return Err(FieldError::new(
                &rpath,
                "a ring is closed: its last position is the same as its first",
            ));
        }
        out.push(geo::LineString::new(coords));
    }
    let outer = out.remove(0);
    let area = Area(geo::Polygon::new(outer, out));
    // In degrees², as the ring is drawn: a ring along one parallel has a geodesic area.
    if geo::Area::unsigned_area(&area.0) < 1e-12 {
        return Err(FieldError::new(
            &cpath,
            "the outer ring encloses no area; expected at least three distinct positions",
        ));
    }
    Ok(Some(area))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary::new(["ua", "ru"], ["mlrs", "tank"])
    }

    fn refused(json: &str) -> FieldError {
        parse(json.as_bytes(), &vocab()).unwrap_err()
    }

    const T: &str = r#""time":"2026-11-24T09:00:00Z""#;
    const AT: &str = r#""location":{"lon":37.8,"lat":48.1}"#;

    #[test]
    fn every_type_reads() {
        let lines = [
            format!(
                r#"{{"id":"s1","type":"site",{T},"party":"ua","name":"Site 12",{AT},"declared":[{{"weapon":"tank","serial":"T-1"}}]}}"#
            ),
            format!(
                r#"{{"id":"i1","type":"inspection",{T},"site":"Site 12","access":"granted","present":[]}}"#
            ),
            format!(
                r#"{{"id":"r1","type":"restriction",{T},"kind":"delay",{AT},"duration_min":30}}"#
            ),
            format!(
                r#"{{"id":"c1","type":"casualty",{T},{AT},"injured":2,"cause":"shelling","status":"reported"}}"#
            ),
            format!(r#"{{"id":"d1","type":"damage",{T},{AT},"object":"water"}}"#),
            format!(r#"{{"id":"h1","type":"hazard",{T},{AT},"hazard":"anti_tank","marked":true}}"#),
            format!(
                r#"{{"id":"w1","type":"window",{T},"from":"2026-11-24T08:00:00Z","to":"2026-11-24T16:00:00Z","purpose":"water main","area":{{"type":"Polygon","coordinates":[[[37.7,48.0],[37.9,48.0],[37.9,48.2],[37.7,48.0]]]}}}}"#
            ),
        ];
        let types: Vec<RecordType> = lines
            .iter()
            .map(|l| parse(l.as_bytes(), &vocab()).unwrap().record_type())
            .collect();
        assert_eq!(types, RecordType::ALL);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            (r#"{"id":"x","time":"2026-11-24T09:00:00Z"}"#, "type"),
            (
                r#"{"id":"x","type":"site","time":"2026-11-24T09:00:00Z","party":"xx","name":"a","location":{"lon":1,"lat":2},"declared":[]}"#,
                "party",
            ),
            (
                r#"{"id":"x","type":"site","time":"2026-11-24T09:00:00Z","party":"ua","name":"a","location":{"lon":1,"lat":2},"declared":[{"weapon":"tank","serial":"A"},{"weapon":"tank","serial":"A"}]}"#,
                "declared[1].serial",
            ),
            (
                r#"{"id":"x","type":"site","time":"2026-11-24T09:00:00Z","party":"ua","name":"a","location":{"lon":1,"lat":2},"declared":[{"weapon":"howitzer","serial":"A"}]}"#,
                "declared[0].weapon",
            ),
            (
                r#"{"id":"x","type":"inspection","time":"2026-11-24T09:00:00Z","site":"a","access":"granted"}"#,
                "present",
            ),
            (
                r#"{"id":"x","type":"inspection","time":"2026-11-24T09:00:00Z","site":"a","access":"denied","present":["A"]}"#,
                "present",
            ),
            (
                r#"{"id":"x","type":"restriction","time":"2026-11-24T09:00:00Z","kind":"denial","location":{"lon":1,"lat":2},"duration_min":-5}"#,
                "duration_min",
            ),
            (
                r#"{"id":"x","type":"casualty","time":"2026-11-24T09:00:00Z","location":{"lon":1,"lat":2},"cause":"mine","status":"reported"}"#,
                "killed",
            ),
            (
                r#"{"id":"x","type":"casualty","time":"2026-11-24T09:00:00Z","location":{"lon":1,"lat":2},"killed":1,"cause":"mine","status":"reported","name":"A. B."}"#,
                "name",
            ),
            (
                r#"{"id":"x","type":"hazard","time":"2026-11-24T09:00:00Z","hazard":"uxo"}"#,
                "location",
            ),
            (
                r#"{"id":"x","type":"hazard","time":"2026-11-24T09:00:00Z","hazard":"uxo","area":{"type":"Polygon","coordinates":[[[1,2],[2,2],[2,3],[1,2.5]]]}}"#,
                "area.coordinates[0]",
            ),
            (
                r#"{"id":"x","type":"hazard","time":"2026-11-24T09:00:00Z","hazard":"uxo","area":{"type":"Polygon","coordinates":[[[1,2],[2,2],[1,2]]]}}"#,
                "area.coordinates[0]",
            ),
            (
                r#"{"id":"x","type":"hazard","time":"2026-11-24T09:00:00Z","hazard":"uxo","area":{"type":"Polygon","coordinates":[[[1,2],[2,2],[3,2],[1,2]]]}}"#,
                "area.coordinates",
            ),
            (
                r#"{"id":"x","type":"window","time":"2026-11-24T09:00:00Z","from":"2026-11-24T10:00:00Z","to":"2026-11-24T09:00:00Z","purpose":"p","area":{"type":"Polygon","coordinates":[[[1,2],[2,2],[2,3],[1,2]]]}}"#,
                "to",
            ),
            (
                r#"{"id":"x","type":"window","time":"2026-11-24T09:00:00Z","from":"2026-11-24T08:00:00Z","to":"2026-11-24T09:00:00Z","purpose":"p","area":{"type":"Point","coordinates":[1,2]}}"#,
                "area.type",
            ),
            (
                r#"{"id":"x","type":"damage","time":"2026-11-24T09:00:00Z","location":{"lon":1,"lat":2},"object":"bridge"}"#,
                "object",
            ),
            (
                r#"{"id":"x","type":"damage","time":"2026-11-24T09:00:00Z","location":{"lon":1,"lat":2},"object":"water","object":"gas"}"#,
                "object",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(refused(json).field, field, "{json}");
        }
    }

    #[test]
    fn the_canonical_form_is_the_whole_record() {
        let a = parse(
            br#"{"type":"damage","id":"d1","time":"2026-11-24T09:00:00Z","object":"water","location":{"lat":48.1,"lon":37.8}}"#,
            &vocab(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(a.canonical).unwrap(),
            r#"{"id":"d1","location":{"lat":48.1,"lon":37.8},"object":"water","time":"2026-11-24T09:00:00Z","type":"damage"}"#
        );
    }
}
