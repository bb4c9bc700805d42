//! `/api/v1/records`: the mission's other records (SPEC 6) in and out, read and checked as
//! observations are (one JSON object, or NDJSON lines; all or nothing; the refusal names the
//! line and the field).

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use truceline_records::RecordType;
use truceline_service::accounts::Caller;
use truceline_service::records::RecordFilter;

use crate::{
    ApiError, AppState, bad_param, in_blocking, on_service, page_cursor, page_limit, parse_lines,
    parse_time, read_body, write_type,
};

/// Most bytes one request of records may hold: records are few and small (a site's declared
/// inventory is the largest).
const MAX_RECORDS_BODY: usize = 4 * 1024 * 1024;

#[utoipa::path(
    post,
    path = "/api/v1/records",
    tag = "records",
    request_body(content((serde_json::Value = "application/json"), (String = "application/x-ndjson")), description = "Records of SPEC 6 as JSON or NDJSON"),
    responses((status = 200, description = "Kept, all or nothing", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn post_records(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::response::Response, ApiError> {
    let single = write_type(&headers)?;
    let bytes = read_body(
        body,
        MAX_RECORDS_BODY,
        "send the records in smaller requests",
    )
    .await?;
    let svc = st.service.clone();
    let records = in_blocking(move || {
        parse_lines(&bytes, single, |line| {
            truceline_records::parse(line, &svc.vocab)
        })
        .map_err(|(line, e)| {
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_record",
                format!("line {line}: {e}; nothing of this request was written"),
            )
            .field(e.field);
            err.line = Some(line);
            err
        })
    })
    .await?;
    if records.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty",
            "the request holds no records; expected one JSON object, or one per line",
        ));
    }
    let records = Arc::new(records);
    let kept = records.clone();
    let outcomes = on_service(&st, move |svc| svc.submit_records(&caller, &kept)).await?;
    let answer = crate::WriteAnswer::new(
        records
            .iter()
            .map(|r| (r.id.as_str(), Some(r.record_type().as_str()))),
        &outcomes,
    );
    Ok(axum::response::IntoResponse::into_response(Json(answer)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RecordParams {
    /// Record types, comma-separated (`site,restriction,…`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// From this time on (RFC 3339), inclusive.
    from: Option<String>,
    /// Before this time (RFC 3339).
    to: Option<String>,
    /// Items a page: 1 to 1000.
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl RecordParams {
    fn filter(&self) -> Result<RecordFilter, ApiError> {
        let types = match &self.kind {
            None => Vec::new(),
            Some(s) => s
                .split(',')
                .map(|t| {
                    RecordType::from_name(t.trim()).ok_or_else(|| {
                        let all: Vec<&str> =
                            RecordType::ALL.iter().map(|t| t.as_str()).collect();
                        bad_param(
                            "type",
                            format!(
                                "unknown record type {t:?}; expected one or more, comma-separated, of: {}",
                                all.join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let limit = page_limit(&self.limit)?;
        let after = page_cursor(&self.cursor)?;
        Ok(RecordFilter {
            types,
            from_ms: parse_time("from", &self.from)?,
            to_ms: parse_time("to", &self.to)?,
            after,
            limit,
        })
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/records",
    tag = "records",
    params(RecordParams),
    responses((status = 200, description = "A page of records with their links", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn list_records(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Query(params): Query<RecordParams>,
) -> Result<Json<Value>, ApiError> {
    let f = params.filter()?;
    let limit = f.limit;
    let items = on_service(&st, move |svc| svc.records(&caller, &f)).await?;
    let next = (items.len() == limit)
        .then(|| items.last().map(|r| r.log_index.to_string()))
        .flatten();
    Ok(Json(json!({"records": items, "next_cursor": next})))
}

#[utoipa::path(
    get,
    path = "/api/v1/records/{id}",
    tag = "records",
    params(("id" = String, Path, description = "The record id")),
    responses((status = 200, description = "The record with its log index and link", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn get_record(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let r = on_service(&st, move |svc| svc.record(&caller, &id)).await?;
    Ok(Json(serde_json::to_value(r).unwrap_or(Value::Null)))
}

/// Most records of each kind but sites the map draws (the most recent).
const MAP_RECORDS: usize = 20_000;

/// `GET /api/v1/map/records`: the records the caller may read, as GeoJSON for the map's layers.
#[utoipa::path(
    get,
    path = "/api/v1/map/records",
    tag = "map",
    responses((status = 200, description = "The records as a GeoJSON FeatureCollection", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn map_records(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        on_service(&st, move |svc| svc.map_records(&caller, MAP_RECORDS)).await?,
    ))
}
