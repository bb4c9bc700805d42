//! What the dashboard and the field form need from the server: their files, the map's layers,
//! and every published incident in one compact answer.
//!
//! The paged `/api/v1/incidents` is for clients that read incidents one by one; a map needs all
//! of them at once (100,000 is a normal month), so `/api/v1/map/incidents` sends columns, not
//! objects: about a third of the bytes, and one `JSON.parse` with no per-feature objects to walk.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use truceline_incident::{IncidentRecord, Kind};

use crate::{ApiError, AppState};

/// A browser file, or `None` to fall through to the 404 of the API.
pub(crate) fn static_file(uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let a = truceline_web::asset(uri.path())?;
    let cache = [
        (header::CONTENT_TYPE, a.mime),
        (header::ETAG, a.etag),
        // Always revalidated (a 304 is cheap), so a new binary's pages are used at once.
        (header::CACHE_CONTROL, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag));
    if fresh {
        return Some((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let mut resp = (cache, a.body).into_response();
    if uri.path() == "/field/sw.js" {
        resp.headers_mut().insert(
            "service-worker-allowed",
            axum::http::HeaderValue::from_static("/field/"),
        );
    }
    Some(resp)
}

/// The base map and the agreement, as GeoJSON: the same boundaries the daily report draws.
/// Built once per server (the withdrawal bands take a second to draw) and sent as bytes.
#[utoipa::path(
    get,
    path = "/api/v1/map/layers",
    tag = "map",
    responses((status = 200, description = "The agreement's layers, borders and places", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn layers(State(st): State<Arc<AppState>>) -> Response {
    let s = st.clone();
    let body = tokio::task::spawn_blocking(move || layers_bytes(&s))
        .await
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The layers' bytes, drawn on first use. The server calls this once at start, off the request
/// path, so that the first dashboard to open does not wait for the bands to be drawn.
pub fn layers_bytes(st: &AppState) -> Bytes {
    st.map_layers
        .get_or_init(|| Bytes::from(serde_json::to_vec(&layers_json(st)).unwrap_or_default()))
        .clone()
}

/// The agreement's layers as [`truceline_zones::display::export_geojson`] draws them, once.
pub fn agreement_layers(st: &AppState) -> Arc<Value> {
    st.agreement_layers
        .get_or_init(|| {
            Arc::new(truceline_zones::display::export_geojson(
                &st.service.reports.agreement,
            ))
        })
        .clone()
}

fn layers_json(st: &AppState) -> Value {
    let (countries, regions) = truceline_report::boundaries_geojson();
    let a = &st.service.reports.agreement;
    let mut layers = (*agreement_layers(st)).clone();
    let bbox = extent(&layers["features"]);
    if let Some(features) = layers["features"].as_array_mut() {
        merge_equal_bands(features);
        for f in features.iter_mut() {
            simplify_rings(&mut f["geometry"]["coordinates"]);
            round_coordinates(&mut f["geometry"]["coordinates"]);
        }
    }
    // The gazetteer's places in and about the agreement's extent, biggest first, for the
    // map's place names: "2 km south-west of X" should be findable on the map.
    let places: Vec<Value> = bbox
        .map(|[w, s, e, n]| {
            let mut p: Vec<&truceline_report::Place> = st
                .service
                .reports
                .gazetteer
                .places()
                .iter()
                .filter(|p| {
                    p.lon >= w - 0.5 && p.lon <= e + 0.5 && p.lat >= s - 0.5 && p.lat <= n + 0.5
                })
                .collect();
            p.sort_by(|a, b| b.population.cmp(&a.population).then(a.name.cmp(&b.name)));
            p.iter()
                .map(|p| {
                    json!([
                        p.name,
                        (p.lon * 1e4).round() / 1e4,
                        (p.lat * 1e4).round() / 1e4,
                        p.population
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "places": places,
        "agreement": {
            "id": a.id,
            "title": a.title,
            "illustrative": a.illustrative,
            "notice": a.notice,
            "parties": a.parties.iter().map(|p| json!({"id": p.id, "name": p.name})).collect::<Vec<_>>(),
            "weapon_classes": a.weapon_classes.iter().map(|w| json!({"id": w.id, "name": w.name, "withdrawal_km": w.withdrawal_km})).collect::<Vec<_>>(),
            "layers": layers,
            // Where the map opens: the agreement's own layers, whatever line it holds.
            "bbox": bbox,
        },
        "countries": serde_json::from_str::<Value>(countries).unwrap_or(Value::Null),
        "regions": serde_json::from_str::<Value>(regions).unwrap_or(Value::Null),
        // The Black Sea's coasts (land only, no borders) for the maritime picture, beyond the
        // countries' box around the agreement.
        "sea_land": serde_json::from_str::<Value>(truceline_maritime::shore::land_geojson())
            .ok()
            .and_then(|v| v["features"].get(0).cloned())
            .map(|f| json!({"type": "FeatureCollection", "features": [f]}))
            .unwrap_or(Value::Null),
        "banner": st.banner,
    })
}

/// [west, south, east, north] of every position in a GeoJSON value, if it holds any.
pub(crate) fn extent(v: &Value) -> Option<[f64; 4]> {
    fn walk(v: &Value, b: &mut Option<[f64; 4]>) {
        match v {
            Value::Array(a) if a.len() >= 2 && a.iter().all(Value::is_number) => {
                let (x, y) = (a[0].as_f64().unwrap_or(0.0), a[1].as_f64().unwrap_or(0.0));
                let e = b.get_or_insert([x, y, x, y]);
                *e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, b)),
            Value::Object(o) => o.values().for_each(|x| walk(x, b)),
            _ => {}
        }
    }
    let mut b = None;
    walk(v, &mut b);
    b
}

/// Weapon classes with the same withdrawal distance share one band (the Minsk tanks, light
/// artillery and mortars all keep 15 km): one outline on the map, named for all of them.
fn merge_equal_bands(features: &mut Vec<Value>) {
    let mut kept: Vec<Value> = Vec::with_capacity(features.len());
    for f in features.drain(..) {
        let band = f["properties"]["layer"] == "withdrawal_zone";
        let same = band
            .then(|| {
                kept.iter_mut().find(|k| {
                    k["properties"]["layer"] == "withdrawal_zone"
                        && k["properties"]["width_km"] == f["properties"]["width_km"]
                })
            })
            .flatten();
        match same {
            Some(k) => {
                let name = format!(
                    "{}; {}",
                    k["properties"]["name"].as_str().unwrap_or_default(),
                    f["properties"]["name"].as_str().unwrap_or_default()
                );
                k["properties"]["name"] = json!(name);
            }
            None => kept.push(f),
        }
    }
    *features = kept;
}

/// Every ring or line of a geometry simplified to within ~20 m (Douglas–Peucker in degrees):
/// the bands are drawn from thousands of arcs, and a browser tiling them all costs seconds.
fn simplify_rings(v: &mut Value) {
    use geo::Simplify;
    let Value::Array(a) = v else { return };
    let is_line = a.first().is_some_and(|p| {
        p.as_array()
            .is_some_and(|p| p.first().is_some_and(Value::is_number))
    });
    if !is_line {
        a.iter_mut().for_each(simplify_rings);
        return;
    }
    let line: geo::LineString<f64> = a
        .iter()
        .filter_map(|p| Some(geo::coord! { x: p[0].as_f64()?, y: p[1].as_f64()? }))
        .collect();
    let closed = line.is_closed();
    let simple = line.simplify(0.0002);
    // A ring keeps at least four points, or it is not a ring.
    if closed && simple.0.len() < 4 {
        return;
    }
    *a = simple.0.iter().map(|c| json!([c.x, c.y])).collect();
}

/// Coordinates to 1e-5° (about a metre): the map cannot show more, and it halves the bytes.
fn round_coordinates(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(round_coordinates),
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                *v = json!(round(x, 5));
            }
        }
        _ => {}
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MapParams {
    /// From this time on (RFC 3339), inclusive.
    from: Option<String>,
    /// Before this time (RFC 3339).
    to: Option<String>,
    /// `json` (the default) or `binary` (the columns the dashboard reads).
    format: Option<String>,
}

/// Every published incident in `[from, to)`, as columns.
#[utoipa::path(
    get,
    path = "/api/v1/map/incidents",
    tag = "map",
    params(MapParams),
    responses((status = 200, description = "Incidents as columns (JSON, or binary with `format=binary`)", content((serde_json::Value = "application/json"), (String = "application/octet-stream"))), crate::openapi::Refused)
)]
pub(crate) async fn incidents(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<truceline_service::accounts::Caller>,
    Query(p): Query<MapParams>,
) -> Result<Response, ApiError> {
    let view = truceline_service::views::View::of(&caller);
    let bound = |name: &str, v: &Option<String>| -> Result<Option<i64>, ApiError> {
        v.as_deref()
            .map(|s| {
                s.parse::<jiff::Timestamp>()
                    .map(|t| t.as_millisecond())
                    .map_err(|e| {
                        crate::bad_param(
                            name,
                            format!("expected an RFC 3339 time such as 2026-11-24T00:00:00Z ({e})"),
                        )
                    })
            })
            .transpose()
    };
    let (from, to) = (bound("from", &p.from)?, bound("to", &p.to)?);
    let binary = match p.format.as_deref() {
        None | Some("json") => false,
        Some("binary") => true,
        Some(other) => {
            return Err(crate::bad_param(
                "format",
                format!("expected json or binary, found {other:?}"),
            ));
        }
    };
    // Drawing 100,000 incidents takes a few hundred milliseconds: off the async workers, a
    // few at a time, once for everyone who asks the same of the same data.
    let key = format!("map|{view:?}|{from:?}|{to:?}|{binary}");
    let mime = if binary {
        BINARY_TYPE
    } else {
        "application/json"
    };
    crate::limits::expensive(
        &st,
        crate::limits::DrawnFrom::Incidents,
        key,
        mime,
        move |st| columns_body(st, &view, from, to, binary),
    )
    .await
}

/// Every published incident in `[from, to)`, encoded (kept by `limits::expensive` for the next
/// request of the same view until fusion's next round).
fn columns_body(
    st: &AppState,
    view: &truceline_service::views::View,
    from: Option<i64>,
    to: Option<i64>,
    binary: bool,
) -> Result<Bytes, ApiError> {
    // Without `from`, the days fusion holds (the current and the one before); a span that
    // starts earlier is read from the store.
    let older = {
        let live = st.service.fusion.state.read().unwrap().live_from_ms;
        from.is_some_and(|f| live.is_none_or(|l| f < l))
    };
    let stored = if older {
        st.service
            .incidents_between(from, to)
            .map_err(ApiError::from)?
    } else {
        Vec::new()
    };
    let published = st.service.fusion.state.read().unwrap();
    let all: &[IncidentRecord] = if older { &stored } else { &published.incidents };
    let shown: Vec<IncidentRecord>;
    let incidents: &[IncidentRecord] = if *view == truceline_service::views::View::Full {
        all
    } else {
        // A liaison's map: its party's incidents, redacted (ids keyed, places rounded).
        shown = all
            .iter()
            .filter(|r| st.service.sees(view, r))
            .map(|r| st.service.redact(r))
            .collect();
        &shown
    };
    // Serialised under the read lock from borrowed columns: no copy of 100,000 incidents.
    let mut c = Columns::with_capacity(incidents.len());
    c.watermark = published.watermark_ms;
    c.pending = published.pending;
    let mut timed: Vec<(i64, &IncidentRecord)> = incidents
        .iter()
        .map(|inc| (inc.time_ms(), inc))
        .filter(|(t, _)| !(from.is_some_and(|f| *t < f) || to.is_some_and(|e| *t >= e)))
        .collect();
    // In time order, which clients may rely on: published incidents are ordered by their time
    // as written, and "10:00:00.5Z" sorts before "10:00:00Z" as text.
    timed.sort_by_key(|(t, _)| *t);
    for (t, inc) in timed {
        c.push(inc, t);
    }
    let body = if binary {
        c.to_binary()
    } else {
        serde_json::to_vec(&c).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?
    };
    Ok(Bytes::from(body))
}

/// The media type of `?format=binary`.
pub const BINARY_TYPE: &str = "application/vnd.truceline.columns";

#[derive(Default, serde::Serialize)]
struct Columns<'a> {
    /// Kinds in the order the `kind` column indexes them.
    kinds: &'static [Kind],
    count: usize,
    watermark: Option<i64>,
    pending: usize,
    id: Vec<&'a str>,
    time: Vec<i64>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    kind: Vec<u8>,
    subtype: Vec<Option<&'a str>>,
    count_events: Vec<u64>,
    weapon: Vec<Option<&'a str>>,
    control: Vec<Option<&'a str>>,
    party: Vec<Option<&'a str>>,
    confidence: Vec<f64>,
    violations: Vec<u32>,
    major: Vec<i64>,
    minor: Vec<i64>,
    azimuth: Vec<i64>,
}

/// `?format=binary`: the same columns as typed arrays a browser views without parsing, a third of
/// the JSON's bytes; the dashboard decodes 100,000 incidents in milliseconds where `JSON.parse`
/// and walking the arrays took a second.
///
/// Layout, little-endian: `TLC1`, a `u32` header length, the header (JSON, padded with spaces to
/// a multiple of 4), then each column of `header.columns` in order — `[name, type]` with type one
/// of `u8 u16 u32 f32`, `count` values, zero-padded to a multiple of 4 — then the ids, ASCII,
/// separated by `\n`. Strings are dictionary indices: `kind` into `kinds`; `subtype`, `weapon`,
/// `control`, `party` into `strings`, the largest index of the type meaning none. `time` is
/// seconds after `time_base_ms`; `confidence` is a fraction; the ellipse is in metres and degrees.
impl Columns<'_> {
    fn to_binary(&self) -> Vec<u8> {
        // Small dictionaries first, so the one-byte columns index the first 255 strings.
        let mut d = Dictionary::default();
        let subtype = d.encode(&self.subtype, u8::MAX as u16);
        let control = d.encode(&self.control, u8::MAX as u16);
        let party = d.encode(&self.party, u8::MAX as u16);
        let weapon = d.encode(&self.weapon, u16::MAX);
        let strings = d.strings;
        let base = self
            .time
            .iter()
            .min()
            .copied()
            .unwrap_or(0)
            .div_euclid(1000)
            * 1000;
        let header = json!({
            "count": self.count,
            "time_base_ms": base,
            "watermark": self.watermark,
            "pending": self.pending,
            "kinds": self.kinds,
            "strings": strings,
            "columns": [
                ["time", "u32"], ["lon", "f32"], ["lat", "f32"], ["major", "f32"], ["minor", "f32"],
                ["azimuth", "f32"], ["confidence", "f32"], ["count_events", "u32"],
                ["violations", "u16"], ["weapon", "u16"], ["kind", "u8"], ["subtype", "u8"],
                ["control", "u8"], ["party", "u8"],
            ],
        });
        let mut head = serde_json::to_vec(&header).unwrap_or_default();
        head.resize(head.len().next_multiple_of(4), b' ');
        let mut out = Vec::with_capacity(8 + head.len() + self.count * 60);
        out.extend_from_slice(b"TLC1");
        out.extend_from_slice(&(head.len() as u32).to_le_bytes());
        out.extend_from_slice(&head);
        let pad = |out: &mut Vec<u8>| out.resize(out.len().next_multiple_of(4), 0);
        let secs = |t: &i64| u32::try_from((t - base) / 1000).unwrap_or(u32::MAX);
        out.extend(self.time.iter().flat_map(|t| secs(t).to_le_bytes()));
        for col in [&self.lon, &self.lat] {
            out.extend(col.iter().flat_map(|x| (*x as f32).to_le_bytes()));
        }
        for col in [&self.major, &self.minor, &self.azimuth] {
            out.extend(col.iter().flat_map(|x| (*x as f32).to_le_bytes()));
        }
        out.extend(
            self.confidence
                .iter()
                .flat_map(|x| (*x as f32).to_le_bytes()),
        );
        let events = |n: &u64| u32::try_from(*n).unwrap_or(u32::MAX);
        out.extend(
            self.count_events
                .iter()
                .flat_map(|n| events(n).to_le_bytes()),
        );
        let small = |n: &u32| u16::try_from(*n).unwrap_or(u16::MAX);
        out.extend(self.violations.iter().flat_map(|n| small(n).to_le_bytes()));
        pad(&mut out);
        out.extend(weapon.iter().flat_map(|n| n.to_le_bytes()));
        pad(&mut out);
        out.extend_from_slice(&self.kind);
        pad(&mut out);
        for col in [&subtype, &control, &party] {
            out.extend(col.iter().map(|&n| n as u8));
            pad(&mut out);
        }
        for (i, id) in self.id.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(id.as_bytes());
        }
        out
    }
}

#[derive(Default)]
struct Dictionary<'a> {
    strings: Vec<&'a str>,
    index: HashMap<&'a str, u16>,
}

impl<'a> Dictionary<'a> {
    fn encode(&mut self, values: &[Option<&'a str>], none: u16) -> Vec<u16> {
        values
            .iter()
            .map(|s| {
                let Some(s) = s else { return none };
                if let Some(&i) = self.index.get(s) {
                    return i;
                }
                // Beyond the column's range a string reads as none rather than as another one.
                if self.strings.len() >= none as usize {
                    return none;
                }
                let i = self.strings.len() as u16;
                self.strings.push(s);
                self.index.insert(s, i);
                i
            })
            .collect()
    }
}

/// Rounded to what a map can show: 1e-5° is about a metre.
fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

impl<'a> Columns<'a> {
    fn with_capacity(n: usize) -> Columns<'a> {
        let mut c = Columns {
            kinds: Kind::ALL,
            ..Columns::default()
        };
        c.id.reserve(n);
        c.time.reserve(n);
        c.lon.reserve(n);
        c.lat.reserve(n);
        c
    }

    fn push(&mut self, inc: &'a IncidentRecord, t: i64) {
        self.count += 1;
        self.id.push(&inc.id);
        self.time.push(t);
        self.lon.push(round(inc.location.lon, 5));
        self.lat.push(round(inc.location.lat, 5));
        self.kind.push(
            Kind::ALL
                .iter()
                .position(|k| *k == inc.kind)
                .expect("every kind is in Kind::ALL") as u8,
        );
        self.subtype.push(inc.subtype.map(|s| s.as_str()));
        self.count_events.push(inc.count.into());
        self.weapon.push(inc.weapon.as_deref());
        self.control.push(inc.place_control());
        self.party.push(inc.party());
        self.confidence.push(round(inc.attribution.confidence, 2));
        self.violations.push(inc.violations.len() as u32);
        // No ellipse (a lone bearing) is written as zero axes: the page says what is known.
        let e = inc.error_ellipse_m;
        let metres = |v: fn(&truceline_incident::Ellipse) -> f64| {
            e.as_ref().map_or(0, |e| v(e).round() as i64)
        };
        self.major.push(metres(|e| e.major));
        self.minor.push(metres(|e| e.minor));
        self.azimuth.push(metres(|e| e.azimuth_deg));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(id: &str, t: &str, party: Option<&str>, weapon: Option<&str>) -> IncidentRecord {
        serde_json::from_value(json!({
            "id": id, "time": t, "time_end": null, "kind": "explosion", "subtype": "impact", "count": 3,
            "location": {"lon": 37.81234, "lat": 48.01234}, "location_basis": "fix",
            "error_ellipse_m": {"major": 420.4, "minor": 150.0, "azimuth_deg": 33.0},
            "attribution": {"party": party, "confidence": 0.8, "basis": "b"},
            "weapon": weapon, "control": "UKR", "observations": ["o1"],
            "violations": [{"rule": "r", "party": null, "zone": null}, {"rule": "s", "party": null, "zone": null}],
        }))
        .unwrap()
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn binary_columns_follow_their_header() {
        let incs = [
            incident(
                "inc-a",
                "2026-11-24T10:00:00Z",
                Some("RUS"),
                Some("mortar_120"),
            ),
            incident("inc-b", "2026-11-24T10:00:07.5Z", None, None),
            incident("inc-c", "2026-11-24T10:01:00Z", Some("UKR"), None),
        ];
        // An odd count: a two-byte column then needs padding to keep the next one aligned.
        let mut c = Columns::with_capacity(3);
        for inc in &incs {
            c.push(inc, inc.time_ms());
        }
        let b = c.to_binary();
        assert_eq!(&b[..4], b"TLC1");
        let head_len = u32_at(&b, 4) as usize;
        assert_eq!(head_len % 4, 0);
        let head: Value = serde_json::from_slice(&b[8..8 + head_len]).unwrap();
        assert_eq!(head["count"], 3);
        let base = head["time_base_ms"].as_i64().unwrap();
        let strings: Vec<&str> = head["strings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        // Walk the columns as a client does: each padded to four bytes, then the ids.
        let mut at = 8 + head_len;
        let mut cols = HashMap::new();
        for col in head["columns"].as_array().unwrap() {
            let (name, ty) = (col[0].as_str().unwrap(), col[1].as_str().unwrap());
            let size: usize = match ty {
                "u8" => 1,
                "u16" => 2,
                _ => 4,
            };
            cols.insert(name, (at, ty));
            at += (3 * size).next_multiple_of(4);
        }
        let ids = std::str::from_utf8(&b[at..]).unwrap();
        assert_eq!(ids, "inc-a\ninc-b\ninc-c");
        let (t, _) = cols["time"];
        assert_eq!(base + 1000 * i64::from(u32_at(&b, t)), 1_795_514_400_000);
        assert_eq!(i64::from(u32_at(&b, t + 4)), 7, "seconds after the base");
        let (lon, _) = cols["lon"];
        let lon0 = f32::from_le_bytes(b[lon..lon + 4].try_into().unwrap());
        assert!((f64::from(lon0) - 37.81234).abs() < 1e-5);
        let (party, ty) = cols["party"];
        assert_eq!(ty, "u8");
        assert_eq!(strings[b[party] as usize], "RUS");
        assert_eq!(b[party + 1], u8::MAX, "no attribution reads as none");
        let (weapon, _) = cols["weapon"];
        let w = |k: usize| {
            u16::from_le_bytes(b[weapon + 2 * k..weapon + 2 * k + 2].try_into().unwrap())
        };
        assert_eq!(strings[w(0) as usize], "mortar_120");
        assert_eq!(w(1), u16::MAX);
        let (v, _) = cols["violations"];
        assert_eq!(b[v], 2);
        let (n, _) = cols["count_events"];
        assert_eq!(u32_at(&b, n), 3);
    }

    #[test]
    fn a_dictionary_past_its_column_reads_as_none() {
        let names: Vec<String> = (0..300).map(|k| format!("s{k}")).collect();
        let values: Vec<Option<&str>> = names.iter().map(|s| Some(s.as_str())).collect();
        let mut d = Dictionary::default();
        let codes = d.encode(&values, u8::MAX as u16);
        assert_eq!(codes[254], 254);
        assert!(codes[255..].iter().all(|&c| c == 255));
        assert_eq!(d.strings.len(), 255);
    }
}
