//! Observations and the mission's other records from files, read into JSON before the one check
//! every door uses (`truceline_observation::parse_value`, `truceline_records::parse_value`; a
//! record is told by its `type`): an NDJSON line, a CSV row or a GeoJSON feature becomes
//! one record with its place (`file:line`, `file#/features/i`), or a refusal naming that place.
//! A bad record is refused on its own; only a file that cannot be read at all (an unknown CSV
//! column, a GeoJSON text that is no FeatureCollection) stops the reading.
//!
//! ```
//! use truceline_import::{Format, read};
//! let csv = "id,observer,time,kind,bearing_deg\na1,op7,2026-11-24T10:00:00Z,explosion,90\n";
//! let mut got = Vec::new();
//! read::<truceline_import::ImportError>("log.csv", csv.as_bytes(), Format::Csv, &mut |r| {
//!     got.push(r.unwrap());
//!     Ok(())
//! })
//! .unwrap();
//! assert_eq!(got[0].place, "log.csv:2");
//! assert_eq!(got[0].value["bearing_deg"], 90.0);
//! ```

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::{Map, Value, json};

/// The formats read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Geojson,
    Csv,
}

/// One input record: where it came from, its JSON, and about how many bytes of the file it
/// took (for progress).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub place: String,
    pub value: Value,
    pub bytes: u64,
}

/// A record refused before any check: its place and why.
pub type Refused = (String, String);

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("reading {name}: {source}")]
    Io {
        name: String,
        source: std::io::Error,
    },
    #[error("{name}: {message}")]
    File { name: String, message: String },
}

/// Reads `input` (named `name` in places) as `format`, handing each record or refusal to
/// `emit` in file order; stops at the first error `emit` returns.
pub fn read<E: From<ImportError>>(
    name: &str,
    mut input: impl BufRead,
    format: Format,
    emit: &mut dyn FnMut(Result<Record, Refused>) -> Result<(), E>,
) -> Result<(), E> {
    let io = |source| ImportError::Io {
        name: name.to_string(),
        source,
    };
    let file = |message: String| ImportError::File {
        name: name.to_string(),
        message,
    };
    match format {
        Format::Ndjson => {
            for (i, line) in input.lines().enumerate() {
                let line = line.map_err(io)?;
                if line.trim().is_empty() {
                    continue;
                }
                let place = format!("{name}:{}", i + 1);
                let bytes = line.len() as u64 + 1;
                emit(match truceline_json::from_slice(line.as_bytes()) {
                    Ok(value) => Ok(Record {
                        place,
                        value,
                        bytes,
                    }),
                    Err(e) => Err((place, e.to_string())),
                })?;
            }
        }
        Format::Geojson => {
            let mut text = Vec::new();
            input.read_to_end(&mut text).map_err(io)?;
            let doc = truceline_json::from_slice(&text).map_err(|e| file(e.to_string()))?;
            let features = match (&doc["type"], doc["features"].as_array()) {
                (Value::String(t), Some(f)) if t == "FeatureCollection" => f,
                _ => {
                    return Err(file(
                        "expected a GeoJSON FeatureCollection with \"features\"".into(),
                    )
                    .into());
                }
            };
            let each = text.len() as u64 / features.len().max(1) as u64;
            for (i, f) in features.iter().enumerate() {
                let place = format!("{name}#/features/{i}");
                emit(
                    feature_to_observation(f)
                        .map(|value| Record {
                            place: place.clone(),
                            value,
                            bytes: each,
                        })
                        .map_err(|why| (place, why)),
                )?;
            }
        }
        Format::Csv => {
            let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(input);
            let headers = rdr
                .headers()
                .map_err(|e| file(format!("cannot read the header row: {e}")))?
                .clone();
            // A `type` column makes it a file of the mission's other records (SPEC 6).
            let records = headers.iter().any(|h| h == "type");
            let columns: &[&str] = if records {
                &RECORD_CSV_COLUMNS
            } else {
                &CSV_COLUMNS
            };
            for h in headers.iter() {
                if !columns.contains(&h) {
                    return Err(file(format!(
                        "unknown column {h:?}; expected columns from: {}",
                        columns.join(", ")
                    ))
                    .into());
                }
            }
            for (i, row) in rdr.records().enumerate() {
                // Row numbers count the header as line 1, as a spreadsheet shows them.
                let place = format!("{name}:{}", i + 2);
                let row = match row {
                    Ok(r) => r,
                    Err(e) => {
                        emit(Err((place, format!("cannot read the row: {e}"))))?;
                        continue;
                    }
                };
                let bytes = row.as_slice().len() as u64 + row.len() as u64;
                let value = if records {
                    csv_to_record(&headers, &row)
                } else {
                    csv_to_observation(&headers, &row)
                };
                emit(Ok(Record {
                    place,
                    value,
                    bytes,
                }))?;
            }
        }
    }
    Ok(())
}

/// The columns a CSV file may have; nested fields are flattened with a suffix.
const CSV_COLUMNS: [&str; 20] = [
    "id",
    "observer",
    "source",
    "time",
    "time_end",
    "kind",
    "subtype",
    "count",
    "bearing_deg",
    "bearing_sigma_deg",
    "distance_min_m",
    "distance_max_m",
    "observer_lon",
    "observer_lat",
    "lon",
    "lat",
    "uncertainty_m",
    "weapon",
    "party",
    "notes",
];

/// The columns of a CSV file of records: the fields of SPEC 6 flattened. `lon`/`lat` are the
/// location; `present` lists serials separated by `;`, `declared` `weapon:serial` pairs so
/// separated; `area` is a GeoJSON Polygon written out in the cell.
const RECORD_CSV_COLUMNS: [&str; 28] = [
    "id",
    "type",
    "time",
    "observer",
    "notes",
    "party",
    "name",
    "lon",
    "lat",
    "declared",
    "site",
    "access",
    "present",
    "kind",
    "duration_min",
    "patrol",
    "killed",
    "injured",
    "cause",
    "status",
    "incident",
    "object",
    "hazard",
    "marked",
    "area",
    "from",
    "to",
    "purpose",
];

/// A number (or, if not one, the text: the check names the field and shows what was there).
fn number_or_text(cell: &str) -> Value {
    if let Ok(n) = cell.parse::<u64>() {
        return Value::from(n);
    }
    cell.parse::<f64>()
        .ok()
        .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number))
        .unwrap_or_else(|| Value::String(cell.to_string()))
}

fn csv_to_record(headers: &csv::StringRecord, row: &csv::StringRecord) -> Value {
    let mut m = Map::new();
    let mut location = Map::new();
    for (h, cell) in headers.iter().zip(row.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let list = || cell.split(';').map(str::trim).filter(|s| !s.is_empty());
        let v = match h {
            "lon" | "lat" => {
                location.insert(h.into(), number_or_text(cell));
                continue;
            }
            "duration_min" | "killed" | "injured" => number_or_text(cell),
            "marked" => match cell {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                other => Value::String(other.into()),
            },
            "present" => Value::Array(list().map(|s| Value::String(s.into())).collect()),
            "declared" => Value::Array(
                list()
                    .map(|pair| match pair.split_once(':') {
                        Some((w, s)) => json!({"weapon": w.trim(), "serial": s.trim()}),
                        None => Value::String(pair.into()),
                    })
                    .collect(),
            ),
            "area" => truceline_json::from_slice(cell.as_bytes())
                .unwrap_or_else(|_| Value::String(cell.into())),
            _ => Value::String(cell.into()),
        };
        m.insert(h.into(), v);
    }
    if !location.is_empty() {
        m.insert("location".into(), Value::Object(location));
    }
    Value::Object(m)
}

fn csv_to_observation(headers: &csv::StringRecord, row: &csv::StringRecord) -> Value {
    let mut m = Map::new();
    let mut nested: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for (h, cell) in headers.iter().zip(row.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        // A number where one is expected; otherwise the text itself, so that the check names the
        // field and shows what was there.
        let num = || {
            cell.parse::<f64>()
                .ok()
                .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number))
                .unwrap_or_else(|| Value::String(cell.to_string()))
        };
        match h {
            "count" => {
                m.insert(
                    h.into(),
                    cell.parse::<u64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| num()),
                );
            }
            "bearing_deg" | "bearing_sigma_deg" => {
                m.insert(h.into(), num());
            }
            "distance_min_m" => {
                nested
                    .entry("distance_m")
                    .or_default()
                    .insert("min".into(), num());
            }
            "distance_max_m" => {
                nested
                    .entry("distance_m")
                    .or_default()
                    .insert("max".into(), num());
            }
            "observer_lon" => {
                nested
                    .entry("observer_position")
                    .or_default()
                    .insert("lon".into(), num());
            }
            "observer_lat" => {
                nested
                    .entry("observer_position")
                    .or_default()
                    .insert("lat".into(), num());
            }
            "lon" | "lat" | "uncertainty_m" => {
                nested
                    .entry("location")
                    .or_default()
                    .insert(h.into(), num());
            }
            _ => {
                m.insert(h.into(), Value::String(cell.to_string()));
            }
        }
    }
    for (k, v) in nested {
        m.insert(k.into(), Value::Object(v));
    }
    Value::Object(m)
}

/// A GeoJSON Feature: the observation's fields in `properties`, its `location` as a Point
/// geometry with `uncertainty_m` among the properties.
fn feature_to_observation(f: &Value) -> Result<Value, String> {
    if f["type"] != "Feature" {
        return Err("expected a GeoJSON Feature".into());
    }
    let mut props = match &f["properties"] {
        Value::Object(p) => p.clone(),
        Value::Null => Map::new(),
        _ => return Err("`properties`: expected an object of observation fields".into()),
    };
    if !props.contains_key("id") {
        match &f["id"] {
            Value::String(s) => {
                props.insert("id".into(), json!(s));
            }
            Value::Number(n) => {
                props.insert("id".into(), json!(n.to_string()));
            }
            _ => {}
        }
    }
    match &f["geometry"] {
        Value::Null => {}
        g if g["type"] == "Point" => {
            let c = g["coordinates"]
                .as_array()
                .filter(|c| c.len() >= 2)
                .ok_or("`geometry.coordinates`: expected [longitude, latitude]".to_string())?;
            let mut loc = Map::new();
            loc.insert("lon".into(), c[0].clone());
            loc.insert("lat".into(), c[1].clone());
            if let Some(u) = props.remove("uncertainty_m") {
                loc.insert("uncertainty_m".into(), u);
            }
            props.insert("location".into(), Value::Object(loc));
        }
        _ => return Err("`geometry`: expected a Point (the event's location) or null".into()),
    }
    Ok(Value::Object(props))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<Value> {
        let mut got = Vec::new();
        read::<ImportError>("r.csv", csv.as_bytes(), Format::Csv, &mut |r| {
            got.push(r.unwrap().value);
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn a_csv_with_a_type_column_holds_records() {
        let got = rows(
            "id,type,time,party,name,lon,lat,declared,site,access,present,hazard,marked\n\
             s1,site,2026-11-20T08:00:00Z,ua,Site 12,37.2,48.6,tanks:T-1;tanks:T-2,,,,,\n\
             i1,inspection,2026-11-24T09:00:00Z,,,,,,Site 12,granted,T-1,,\n\
             h1,hazard,2026-11-24T09:00:00Z,,,37.8,48.1,,,,,uxo,yes\n",
        );
        assert_eq!(
            got[0]["declared"],
            json!([{"weapon":"tanks","serial":"T-1"},{"weapon":"tanks","serial":"T-2"}])
        );
        assert_eq!(got[0]["location"], json!({"lon": 37.2, "lat": 48.6}));
        assert_eq!(got[1]["present"], json!(["T-1"]));
        assert!(got[1].get("location").is_none());
        assert_eq!(got[2]["marked"], json!(true));
        // An observation column in a records file is refused by name.
        let mut err = None;
        let r = read::<ImportError>(
            "r.csv",
            "id,type,bearing_deg\nx,site,3\n".as_bytes(),
            Format::Csv,
            &mut |_| Ok(()),
        );
        if let Err(e) = r {
            err = Some(e.to_string());
        }
        assert!(err.unwrap().contains("unknown column \"bearing_deg\""));
    }
}
