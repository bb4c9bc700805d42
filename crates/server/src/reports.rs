//! `/api/v1/reports/daily/{date}`: the daily report in any format, and its publication.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use truceline_report::{Audience, Format, MissionDay, Report, ReportError};

use crate::{ApiError, AppState};

/// The mission's default day: ends at 19:30 in Kyiv, as the OSCE's did.
pub const DEFAULT_TIMEZONE: &str = "Europe/Kyiv";
pub const DEFAULT_DAY_ENDS: &str = "19:30";

#[derive(Debug, Deserialize)]
pub struct ReportParams {
    format: Option<String>,
    audience: Option<String>,
    timezone: Option<String>,
    day_ends: Option<String>,
}

fn input(e: ReportError) -> ApiError {
    match e {
        ReportError::Input { field, .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", e.to_string()).field(field)
        }
        ReportError::Store(e) => ApiError::store(e),
        other => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "report_failed",
            other.to_string(),
        ),
    }
}

fn parse(date: &str, p: &ReportParams) -> Result<(MissionDay, Audience), ApiError> {
    let day = MissionDay::new(
        date,
        p.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE),
        p.day_ends.as_deref().unwrap_or(DEFAULT_DAY_ENDS),
    )
    .map_err(input)?;
    // The API is open: unless asked for the restricted edition, serve the public one.
    let audience = Audience::parse(p.audience.as_deref().unwrap_or("public")).map_err(input)?;
    Ok((day, audience))
}

/// Builds the report of `day` off the async runtime and hands it to `then`, there too.
async fn with_report<T: Send + 'static>(
    st: &Arc<AppState>,
    day: MissionDay,
    audience: Audience,
    then: impl FnOnce(&AppState, Report) -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ApiError> {
    let s = st.clone();
    tokio::task::spawn_blocking(move || {
        let r = truceline_report::build(s.store.as_ref(), &s.reports, &day, audience)?;
        then(&s, r)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "report_failed",
            e.to_string(),
        )
    })?
    .map_err(input)
}

/// `GET /api/v1/reports/daily/{date}?format=html|json|csv|geojson&audience=public|restricted`.
pub async fn daily(
    State(st): State<Arc<AppState>>,
    Path(date): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let (day, audience) = parse(&date, &p)?;
    let format = Format::parse(p.format.as_deref().unwrap_or("json")).map_err(input)?;
    let bytes = with_report(&st, day, audience, move |s, r| {
        Ok(truceline_report::render(&r, &s.reports, format))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, format.mime())], bytes).into_response())
}

/// `POST /api/v1/reports/daily/{date}/publish?audience=`: builds the report and appends its
/// publication record (the SHA-256 of every format) to the evidence log.
pub async fn publish(
    State(st): State<Arc<AppState>>,
    Path(date): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let (day, audience) = parse(&date, &p)?;
    if !day.is_over(jiff::Timestamp::now()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "day_open",
            format!(
                "the mission day {} ends at {}; its report can be published once the day is over",
                day.date, day.to
            ),
        )
        .field("date"));
    }
    let (index, record) = with_report(&st, day, audience, |s, r| {
        let publication = truceline_report::publication(&r, &s.reports);
        let record = publication.record.clone();
        Ok((s.store.publish_report(publication)?, record))
    })
    .await?;
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"log_index": index, "record": record})),
    )
        .into_response())
}
