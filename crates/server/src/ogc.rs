//! OGC API – Features (Part 1: Core, with the GeoJSON and OpenAPI 3.0 conformance classes) at
//! `/ogc`, so that QGIS, GDAL/OGR and any other OGC client read the mission's data as layers.
//!
//! Three collections: `zones` (the agreement's layers: line of contact, each party's area,
//! withdrawal lines, buffer zone, disengagement areas; public documents), `incidents` (as the
//! caller's view shows them: whole for the mission's analysts, a party's for its liaison, the
//! published days' for anyone else, under the same rules as `/api/v1/incidents`) and `records`
//! (the mission's other records, for those who keep them: listed only to them). A thin door:
//! the paging, views and redaction are the same code as the JSON API's.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use truceline_service::accounts::{Caller, Role};
use truceline_service::views::View;

use crate::{ApiError, AppState, IncidentParams, MAX_PAGE, bad_param, in_blocking, page_of};

const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Items a page when the client does not say (the standard's example value).
const DEFAULT_LIMIT: usize = 10;
const GEOJSON: &str = "application/geo+json";

/// What a caller is shown of the incidents.
enum IncidentAccess {
    View(View),
    /// Only the days whose report is published, as the public edition shows them.
    Published,
}

fn incident_access(caller: &Caller) -> IncidentAccess {
    match caller {
        Caller::Open => IncidentAccess::View(View::Full),
        Caller::Account(p) if matches!(p.role, Role::Analyst | Role::Chief | Role::Liaison) => {
            IncidentAccess::View(View::of(caller))
        }
        _ => IncidentAccess::Published,
    }
}

/// Whether the caller keeps the mission's other records (and so may read them).
fn reads_records(caller: &Caller) -> bool {
    match caller {
        Caller::Open => true,
        Caller::Account(p) => crate::access::RECORDERS.contains(&p.role),
        Caller::Public => false,
    }
}

struct Collection {
    id: &'static str,
    title: &'static str,
    description: &'static str,
}

const ZONES: Collection = Collection {
    id: "zones",
    title: "The agreement's zones",
    description: "The line of contact, each party's area, the weapon withdrawal lines, the buffer zone and the disengagement areas, as the agreement holds them.",
};
const INCIDENTS: Collection = Collection {
    id: "incidents",
    title: "Incidents",
    description: "Incidents fused from the mission's observations, located at their estimate with the 95 % error ellipse in `error_ellipse_m`, judged against the agreement and attributed as far as the evidence allows. Outside the mission: places rounded to a 0.01° grid (a 0.25° grid for an incident that only its observer's position places), no observation named.",
};
const RECORDS: Collection = Collection {
    id: "records",
    title: "The mission's other records",
    description: "Storage sites (with their last inspection), restrictions of the mission's freedom of movement, civilian casualties, damage, mines and UXO, local ceasefire windows.",
};

fn visible(caller: &Caller) -> Vec<&'static Collection> {
    let mut out = vec![&ZONES, &INCIDENTS];
    if reads_records(caller) {
        out.push(&RECORDS);
    }
    out
}

/// The address clients reach `/ogc` at, from the request's `Host`.
fn base(st: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if st.tls { "https" } else { "http" };
    format!("{scheme}://{host}/ogc")
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

fn json_response(v: &Value, kind: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, kind)],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

/// Refuses parameters the endpoint does not define (the standard asks for 400) and formats
/// other than JSON.
fn check_params(q: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    for k in q.keys() {
        if k != "f" && !allowed.contains(&k.as_str()) {
            let mut takes: Vec<&str> = allowed.to_vec();
            takes.push("f");
            return Err(bad_param(
                k,
                format!(
                    "this endpoint takes no parameter {k:?}; it takes {}",
                    takes.join(", ")
                ),
            ));
        }
    }
    match q.get("f").map(String::as_str) {
        None | Some("json" | "geojson" | "application/json" | "application/geo+json") => Ok(()),
        Some(other) => Err(bad_param(
            "f",
            format!("expected json (the only encoding served), found {other:?}"),
        )),
    }
}

pub(crate) async fn landing(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check_params(&q, &[])?;
    let b = base(&st, &headers);
    let a = &st.service.reports.agreement;
    Ok(json_response(
        &json!({
            "title": format!("Truceline: {}", a.title),
            "description": "The ceasefire monitoring mission's zones, incidents and records as OGC API – Features.",
            "links": [
                link(b.clone(), "self", "application/json", "This document"),
                link(format!("{b}/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "The API definition"),
                link(format!("{b}/conformance"), "conformance", "application/json", "Conformance classes"),
                link(format!("{b}/collections"), "data", "application/json", "The collections"),
            ],
        }),
        "application/json",
    ))
}

pub(crate) async fn conformance(
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check_params(&q, &[])?;
    Ok(json_response(
        &json!({"conformsTo": CONFORMANCE}),
        "application/json",
    ))
}

fn collection_json(st: &AppState, b: &str, c: &Collection) -> Value {
    let bbox = zones(st).bbox;
    // Open at both ends: incidents and records keep arriving.
    let temporal = json!([[null, null]]);
    json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {
            "spatial": {"bbox": [bbox], "crs": CRS84},
            "temporal": {"interval": temporal, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "links": [
            link(format!("{b}/collections/{}", c.id), "self", "application/json", c.title),
            link(format!("{b}/collections/{}/items", c.id), "items", GEOJSON, c.title),
        ],
    })
}

pub(crate) async fn collections(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check_params(&q, &[])?;
    let b = base(&st, &headers);
    let list: Vec<Value> = visible(&caller)
        .into_iter()
        .map(|c| collection_json(&st, &b, c))
        .collect();
    Ok(json_response(
        &json!({
            "links": [link(format!("{b}/collections"), "self", "application/json", "The collections")],
            "collections": list,
        }),
        "application/json",
    ))
}

fn find(caller: &Caller, id: &str) -> Result<&'static Collection, ApiError> {
    match [&ZONES, &INCIDENTS, &RECORDS]
        .into_iter()
        .find(|c| c.id == id)
    {
        Some(c) if c.id != "records" || reads_records(caller) => Ok(c),
        Some(_) => Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "the mission's records are read inside the mission; a party and the public read them as the published report's totals",
        )),
        None => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("no collection {id:?}; the collections are zones, incidents and records"),
        )),
    }
}

pub(crate) async fn collection(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check_params(&q, &[])?;
    let c = find(&caller, &id)?;
    Ok(json_response(
        &collection_json(&st, &base(&st, &headers), c),
        "application/json",
    ))
}

/// `datetime` as `[from, to)` in ms: an instant, or an interval with `..` for an open end.
fn datetime(s: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let bad = || {
        bad_param(
            "datetime",
            format!(
                "expected an RFC 3339 time or an interval START/END (either may be `..`), found {s:?}"
            ),
        )
    };
    let at = |t: &str| -> Result<Option<i64>, ApiError> {
        if t.is_empty() || t == ".." {
            return Ok(None);
        }
        if let Ok(ts) = t.parse::<jiff::Timestamp>() {
            return Ok(Some(ts.as_millisecond()));
        }
        // A date alone: its UTC day.
        let d: jiff::civil::Date = t.parse().map_err(|_| bad())?;
        Ok(Some(
            d.to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|_| bad())?
                .timestamp()
                .as_millisecond(),
        ))
    };
    match s.split_once('/') {
        None => {
            let t = at(s)?.ok_or_else(bad)?;
            // A date alone is its whole day; a time, that millisecond.
            let end = if s.contains('T') {
                t + 1
            } else {
                t + 86_400_000
            };
            Ok((Some(t), Some(end)))
        }
        Some((a, b)) => {
            let (from, to) = (at(a)?, at(b)?);
            // The end is inclusive in the standard: the millisecond after it, or the day after
            // a date.
            let to = to.map(|t| {
                if b.contains('T') {
                    t + 1
                } else {
                    t + 86_400_000
                }
            });
            if let (Some(f), Some(t)) = (from, to)
                && f >= t
            {
                return Err(bad());
            }
            Ok((from, to))
        }
    }
}

/// The JSON API's `bbox`, with a word for the standard's three-dimensional form.
fn bbox(s: &str) -> Result<[f64; 4], ApiError> {
    if s.split(',').count() == 6 {
        return Err(bad_param(
            "bbox",
            "a three-dimensional bbox is not served; give west,south,east,north".into(),
        ));
    }
    crate::parse_bbox(s)
}

fn limit(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    crate::page_limit_or(&q.get("limit").cloned(), DEFAULT_LIMIT)
}

/// A feature from an incident as its view shows it: the location as the geometry.
fn incident_feature(mut v: Value) -> Value {
    let loc = v
        .as_object_mut()
        .and_then(|o| o.remove("location"))
        .unwrap_or(Value::Null);
    json!({
        "type": "Feature",
        "id": v["id"].clone(),
        "geometry": {"type": "Point", "coordinates": [loc["lon"], loc["lat"]]},
        "properties": v,
    })
}

/// Whether a feature's geometry has a position in `bbox`.
fn touches(f: &Value, b: &[f64; 4]) -> bool {
    crate::map::extent(&f["geometry"])
        .is_some_and(|[w, s, e, n]| w <= b[2] && e >= b[0] && s <= b[3] && n >= b[1])
}

fn in_time(f: &Value, (from, to): (Option<i64>, Option<i64>)) -> bool {
    if from.is_none() && to.is_none() {
        return true;
    }
    let Some(t) = f["properties"]["time"]
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
    else {
        return false;
    };
    from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e)
}

/// A page of `all` after the offset `cursor`.
fn page_by_offset(
    all: Vec<Value>,
    cursor: Option<&String>,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let start = match cursor {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| {
            bad_param(
                "cursor",
                format!("expected the cursor of a `next` link, found {c:?}"),
            )
        })?,
    };
    let more = all.len() > start + limit;
    let page: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
    Ok((page, more.then(|| (start + limit).to_string())))
}

pub(crate) async fn items(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check_params(&q, &["bbox", "datetime", "limit", "cursor"])?;
    let c = find(&caller, &id)?;
    let limit = limit(&q)?;
    let area = q.get("bbox").map(|s| bbox(s)).transpose()?;
    let span = q
        .get("datetime")
        .map(|s| datetime(s))
        .transpose()?
        .unwrap_or((None, None));
    let cursor = q.get("cursor").cloned();
    let (features, next) = crate::limits::page(st.clone(), move |st| -> Result<_, ApiError> {
        match c.id {
            "zones" => {
                let all: Vec<Value> = zones(st)
                    .features
                    .iter()
                    .filter(|f| area.is_none_or(|b| touches(f, &b)))
                    .cloned()
                    .collect();
                page_by_offset(all, cursor.as_ref(), limit)
            }
            "records" => {
                let fc = st
                    .service
                    .map_records(&caller, usize::MAX)
                    .map_err(ApiError::from)?;
                let all: Vec<Value> = fc["features"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|f| area.is_none_or(|b| touches(f, &b)) && in_time(f, span))
                    .map(|mut f| {
                        f["id"] = f["properties"]["id"].clone();
                        f
                    })
                    .collect();
                page_by_offset(all, cursor.as_ref(), limit)
            }
            _ => {
                let p = IncidentParams {
                    // Checked above; the JSON API's paging reads it as given.
                    bbox: q.get("bbox").cloned(),
                    from: span.0.and_then(iso),
                    to: span.1.and_then(iso),
                    kind: None,
                    party: None,
                    rule: None,
                    limit: Some(limit.to_string()),
                    cursor,
                    format: None,
                };
                match incident_access(&caller) {
                    IncidentAccess::View(view) => {
                        let (items, next, _) = page_of(st, &p, &view, |i| {
                            Ok(st
                                .service
                                .incident_json(i, &view)
                                .map(incident_feature)
                                .into_iter()
                                .collect())
                        })?;
                        Ok((items, next))
                    }
                    IncidentAccess::Published => crate::public_page(st, &p, incident_feature),
                }
            }
        }
    })
    .await?;
    let b = base(&st, &headers);
    let here = format!("{b}/collections/{}/items", c.id);
    let mut links = vec![link(
        match &raw {
            Some(r) if !r.is_empty() => format!("{here}?{r}"),
            _ => here.clone(),
        },
        "self",
        GEOJSON,
        "This page",
    )];
    if let Some(cursor) = next {
        links.push(link(
            format!(
                "{here}?{}",
                crate::with_cursor(raw.as_deref().unwrap_or(""), &cursor)
            ),
            "next",
            GEOJSON,
            "The next page",
        ));
    }
    links.push(link(
        format!("{b}/collections/{}", c.id),
        "collection",
        "application/json",
        c.title,
    ));
    let n = features.len();
    Ok(json_response(
        &json!({
            "type": "FeatureCollection",
            "features": features,
            "numberReturned": n,
            "timeStamp": jiff::Timestamp::now().to_string(),
            "links": links,
        }),
        GEOJSON,
    ))
}

fn iso(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

/// The agreement's layers as features, and the extent of them all.
pub struct Zones {
    features: Vec<Value>,
    bbox: [f64; 4],
}

/// The agreement's layers as features with ids (`<layer>-<n>`), drawn once (the server
/// draws them at start, off the request path).
pub fn zones(st: &AppState) -> Arc<Zones> {
    st.ogc_zones
        .get_or_init(|| {
            let layers = crate::map::agreement_layers(st);
            let bbox =
                crate::map::extent(&layers["features"]).unwrap_or([-180.0, -90.0, 180.0, 90.0]);
            let mut n: HashMap<String, usize> = HashMap::new();
            let features = layers["features"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut f| {
                    let layer = f["properties"]["layer"]
                        .as_str()
                        .unwrap_or("zone")
                        .to_string();
                    let k = n.entry(layer.clone()).or_default();
                    *k += 1;
                    f["id"] = json!(format!("{layer}-{k}"));
                    f
                })
                .collect();
            Arc::new(Zones { features, bbox })
        })
        .clone()
}

pub(crate) async fn item(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((id, fid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check_params(&q, &[])?;
    let c = find(&caller, &id)?;
    let not_found = || {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("collection {id:?} has no item {fid:?} that you may read"),
        )
    };
    let st2 = st.clone();
    let wanted = fid.clone();
    let found = in_blocking(move || -> Result<Option<Value>, ApiError> {
        let st = st2;
        Ok(match c.id {
            "zones" => zones(&st)
                .features
                .iter()
                .find(|f| f["id"] == wanted.as_str())
                .cloned(),
            "records" => st
                .service
                .map_records(&caller, usize::MAX)
                .map_err(ApiError::from)?["features"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|f| f["properties"]["id"] == wanted.as_str())
                        .cloned()
                })
                .map(|mut f| {
                    f["id"] = f["properties"]["id"].clone();
                    f
                }),
            _ => match incident_access(&caller) {
                IncidentAccess::View(view) => {
                    if view != View::Full && !wanted.starts_with("pi-") {
                        return Ok(None);
                    }
                    match st.service.find_incident(&wanted) {
                        Ok(rec) => st.service.incident_json(&rec, &view).map(incident_feature),
                        Err(truceline_service::ServiceError::NotFound { .. }) => None,
                        Err(e) => return Err(e.into()),
                    }
                }
                IncidentAccess::Published => st
                    .service
                    .public_incident(&wanted)
                    .map_err(ApiError::from)?
                    .map(incident_feature),
            },
        })
    })
    .await?;
    let mut f = found.ok_or_else(not_found)?;
    let b = base(&st, &headers);
    f["links"] = json!([
        link(
            format!("{b}/collections/{}/items/{fid}", c.id),
            "self",
            GEOJSON,
            "This item"
        ),
        link(
            format!("{b}/collections/{}", c.id),
            "collection",
            "application/json",
            c.title
        ),
    ]);
    Ok(json_response(&f, GEOJSON))
}

/// The API definition (OpenAPI 3.0), made from the collections and parameters above.
pub(crate) async fn api(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let b = base(&st, &headers);
    let fc = json!({"description": "A GeoJSON FeatureCollection", "content": {GEOJSON: {"schema": {"type": "object"}}}});
    let doc_ok = |what: &str| json!({"200": {"description": what, "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"description": "A parameter the endpoint does not take, or a bad value (the error names it)"}});
    let f = json!({"name": "f", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json"]}});
    let coll = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ["zones", "incidents", "records"]}});
    let items_params = json!([
        {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
         "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}},
        {"name": "datetime", "in": "query", "required": false, "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}},
        f,
    ]);
    let with_collection: Vec<Value> = std::iter::once(coll.clone())
        .chain(items_params.as_array().cloned().unwrap_or_default())
        .collect();
    let items_responses =
        json!({"200": fc, "400": {"description": "A bad parameter (the error names it)"}});
    let mut spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "Truceline OGC API – Features", "version": env!("CARGO_PKG_VERSION"),
            "description": "The mission's zones, incidents and records. What each role is shown is in the project's README (\"Who sees what\")."},
        "servers": [{"url": b}],
        "paths": {
            "/": {"get": {"operationId": "landing", "summary": "Landing page", "parameters": [f], "responses": doc_ok("The landing page")}},
            "/conformance": {"get": {"operationId": "conformance", "summary": "Conformance classes", "parameters": [f], "responses": doc_ok("The conformance classes")}},
            "/collections": {"get": {"operationId": "collections", "summary": "The collections this caller may read", "parameters": [f], "responses": doc_ok("The collections")}},
            "/collections/{collectionId}": {"get": {"operationId": "collection", "parameters": [coll, f], "responses": doc_ok("A collection")}},
            "/collections/{collectionId}/items": {"get": {"operationId": "items",
                "parameters": with_collection,
                "responses": items_responses}},
            "/collections/{collectionId}/items/{featureId}": {"get": {"operationId": "item", "parameters": [
                coll, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}, f,
            ], "responses": {"200": {"description": "A GeoJSON Feature", "content": {GEOJSON: {"schema": {"type": "object"}}}}, "404": {"description": "No such item, or not one this caller may read"}}}},
        },
    });
    // Each collection's items path too, as clients such as GDAL look for them by name (and
    // take their page size from `limit`'s maximum there).
    for c in [&ZONES, &INCIDENTS, &RECORDS] {
        spec["paths"][format!("/collections/{}/items", c.id)] = json!({"get": {
            "operationId": format!("items_{}", c.id), "summary": c.title,
            "parameters": items_params, "responses": items_responses}});
    }
    json_response(&spec, "application/vnd.oai.openapi+json;version=3.0")
}
