//! `/api/v1/reports/daily/{date}`: the daily report in any format, and its publication.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use truceline_report::{Audience, Format, MissionDay};
use truceline_service::ServiceError;
use truceline_service::accounts::{Access, Caller, READERS};

use crate::{ApiError, AppState, on_service};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// `html` (the default), `json`, `csv`, `geojson` or `pdf`.
    format: Option<String>,
    /// `public` (the default) or `restricted`.
    audience: Option<String>,
    /// The mission day's time zone (IANA), if not the server's.
    timezone: Option<String>,
    /// The local time the mission day ends (HH:MM), if not the server's.
    day_ends: Option<String>,
    /// `en`, `uk` or `ru` (HTML and PDF).
    lang: Option<String>,
}

fn parse(st: &AppState, date: &str, p: &ReportParams) -> Result<(MissionDay, Audience), ApiError> {
    let d = &st.service.day;
    let day = MissionDay::new(
        date,
        p.timezone.as_deref().unwrap_or(&d.timezone),
        p.day_ends.as_deref().unwrap_or(&d.day_ends),
    )
    .map_err(ServiceError::from)?;
    // Unless asked for the restricted edition, serve the public one.
    let audience =
        Audience::parse(p.audience.as_deref().unwrap_or("public")).map_err(ServiceError::from)?;
    Ok((day, audience))
}

/// Whether `caller` may read the `audience` edition of `day`: the restricted one needs a
/// reader's role; the public one is public once the day's report is published, and a reader's
/// before that (an unpublished day's figures are the mission's own until it publishes them).
async fn may_read(
    st: &Arc<AppState>,
    caller: &Caller,
    day: &MissionDay,
    audience: Audience,
) -> Result<(), ApiError> {
    let reader = Access::Roles(READERS).check(caller);
    if reader.is_ok() {
        return Ok(());
    }
    if audience == Audience::Public {
        let date = day.date.to_string();
        let published = on_service(st, move |s| Ok(s.store.published_reports(&date)?)).await?;
        if published.iter().any(|(a, _, _)| a == "public") {
            return Ok(());
        }
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_published",
            format!(
                "the public edition of {} has not been published yet",
                day.date
            ),
        )
        .field("date"));
    }
    Err(crate::access::denied_error(reader.unwrap_err()))
}

/// `GET /api/v1/reports/daily/{date}?format=html|json|csv|geojson&audience=public|restricted&lang=en|uk|ru`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/daily/{date}",
    tag = "reports",
    params(ReportParams, ("date" = String, Path, description = "The mission day, YYYY-MM-DD")),
    responses((status = 200, description = "The daily report", content((String = "text/html"), (serde_json::Value = "application/json"), (String = "text/csv"), (serde_json::Value = "application/geo+json"), (String = "application/pdf"))), crate::openapi::Refused)
)]
pub async fn daily(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(date): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let (day, audience) = parse(&st, &date, &p)?;
    may_read(&st, &caller, &day, audience).await?;
    let format =
        Format::parse(p.format.as_deref().unwrap_or("json")).map_err(ServiceError::from)?;
    let lang = match p.lang.as_deref() {
        None => truceline_report::lang::Lang::En,
        Some(l) => truceline_report::lang::Lang::parse(l).ok_or_else(|| {
            crate::bad_param("lang", format!("expected en, uk or ru, found {l:?}"))
        })?,
    };
    // An HTML report of a busy day takes seconds: a few at a time, once for everyone who asks
    // the same edition of the same data.
    let key = format!(
        "report|{}|{}|{:?}|{}|{}|{}",
        day.date,
        audience.as_str(),
        format,
        lang.as_str(),
        p.timezone.as_deref().unwrap_or(""),
        p.day_ends.as_deref().unwrap_or("")
    );
    crate::limits::expensive(
        &st,
        crate::limits::DrawnFrom::Everything,
        key,
        format.mime(),
        move |st| {
            st.service
                .render_report(&day, audience, format, lang)
                .map(axum::body::Bytes::from)
                .map_err(ApiError::from)
        },
    )
    .await
}

/// `POST /api/v1/reports/daily/{date}/publish?audience=`: builds the report and appends its
/// publication record (the SHA-256 of every format) to the evidence log.
#[utoipa::path(
    post,
    path = "/api/v1/reports/daily/{date}/publish",
    tag = "reports",
    params(("date" = String, Path, description = "The mission day, YYYY-MM-DD")),
    responses((status = 200, description = "Published: the digests logged", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn publish(
    State(st): State<Arc<AppState>>,
    Path(date): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let (day, audience) = parse(&st, &date, &p)?;
    let (index, publication) = on_service(&st, move |s| {
        let report = s.report(&day, audience)?;
        s.publish(&day, &report, jiff::Timestamp::now())
    })
    .await?;
    let record: serde_json::Value = serde_json::from_slice(&publication.record).unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"log_index": index, "record": record})),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtParams {
    /// A time (RFC 3339): the report of the mission day holding it.
    at: Option<String>,
}

/// `GET /api/v1/reports/daily?at=TIME&…`: sends the client (303) to the report of the mission
/// day that holds `at`, with the rest of the query as it came; the day's rule stays here.
#[utoipa::path(
    get,
    path = "/api/v1/reports/daily",
    tag = "reports",
    params(AtParams),
    responses((status = 303, description = "To the report of the mission day holding `at`"), crate::openapi::Refused)
)]
pub async fn daily_at(
    State(st): State<Arc<AppState>>,
    Query(p): Query<AtParams>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let s = p.at.as_deref().ok_or_else(|| {
        crate::bad_param(
            "at",
            "required: an RFC 3339 time such as 2026-11-24T10:00:00Z".into(),
        )
    })?;
    let at: jiff::Timestamp = s.parse().map_err(|_| {
        crate::bad_param(
            "at",
            format!("expected an RFC 3339 time such as 2026-11-24T10:00:00Z, found {s:?}"),
        )
    })?;
    let day = st.service.day.containing(at).map_err(ServiceError::from)?;
    let rest: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("at="))
        .collect();
    let mut to = format!("/api/v1/reports/daily/{}", day.date);
    if !rest.is_empty() {
        to = format!("{to}?{}", rest.join("&"));
    }
    Ok(axum::response::Redirect::to(&to).into_response())
}
