//! The HTTP API (SPEC 3): observations in, stored records out, health and metrics.
//!
//! A request of observations is all or nothing: every line is checked before anything is
//! written, a bad line refuses the whole request naming the line and the field, and the store
//! writes a request under its own savepoint so a conflict leaves nothing behind. A request is
//! answered only after its group commit is durable.

pub mod access;
pub mod accounts;
pub mod ais;
pub mod cot;
pub mod evidence;
pub mod limits;
pub mod map;
pub mod metrics;
pub mod ogc;
pub mod openapi;
pub mod records;
pub mod reports;
pub mod session;
pub mod tls;
pub mod witness;

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;
use truceline_incident::IncidentRecord;
use truceline_observation::{FieldError, Observation, Vocabulary, parse};
use truceline_service::accounts::Caller;
use truceline_service::views::View;
use truceline_service::{Service, ServiceError};
use truceline_store::{Outcome, StoreError, StoredObservation};

pub use metrics::Metrics;

/// Default largest request body, bytes.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;
/// Most observations a query returns per page.
pub const MAX_PAGE: usize = 1000;

/// Shared by every request: the application, and what only HTTP needs.
pub struct AppState {
    pub service: Arc<Service>,
    pub metrics: Arc<Metrics>,
    pub max_body: usize,
    pub started: Instant,
    /// A note for the dashboard (the demo says what it is feeding).
    pub banner: Option<String>,
    /// Set when the server begins to shut down, so that event streams end and let it.
    pub closing: tokio::sync::watch::Sender<bool>,
    /// The map's layers as sent, made on first request.
    pub map_layers: std::sync::OnceLock<Bytes>,
    /// The agreement's layers as GeoJSON, drawn once for the map and the OGC API both (drawing
    /// the bands is a second or more of one core).
    pub agreement_layers: std::sync::OnceLock<Arc<serde_json::Value>>,
    /// The agreement's zones as OGC features with their extent, made on first request (the
    /// withdrawal bands take seconds to draw).
    pub ogc_zones: std::sync::OnceLock<Arc<ogc::Zones>>,
    /// Open access for everyone (the demonstration on loopback): no token asked for, and the
    /// pages say so. `serve` never sets it.
    pub open: bool,
    /// Served over TLS: session cookies are `Secure`.
    pub tls: bool,
    /// Connection, time, size, rate and cost limits, and their state.
    pub guards: limits::Guards,
}

impl AppState {
    pub fn new(
        service: Arc<Service>,
        metrics: Arc<Metrics>,
        max_body: usize,
        banner: Option<String>,
    ) -> AppState {
        AppState {
            service,
            metrics,
            max_body,
            started: Instant::now(),
            banner,
            closing: tokio::sync::watch::channel(false).0,
            map_layers: Default::default(),
            agreement_layers: Default::default(),
            ogc_zones: Default::default(),
            open: false,
            tls: false,
            guards: limits::Guards::new(limits::Limits::default()),
        }
    }
}

/// The router of every endpoint.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/api/v1/observations",
            get(list_observations).post(post_observations),
        )
        .route("/api/v1/observations/{id}", get(get_observation))
        .route(
            "/api/v1/records",
            get(records::list_records).post(records::post_records),
        )
        .route("/api/v1/records/{id}", get(records::get_record))
        .route("/api/v1/map/records", get(records::map_records))
        .route("/api/v1/incidents", get(list_incidents))
        .route("/api/v1/incidents/{id}", get(get_incident))
        .route("/api/v1/incidents/{id}/evidence", get(get_evidence))
        .route(
            "/api/v1/incidents/{id}/decisions",
            axum::routing::post(post_decision),
        )
        .route(
            "/api/v1/incidents/{id}/replies",
            axum::routing::post(post_reply),
        )
        .route("/api/v1/public/incidents", get(public_incidents))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/api", get(ogc::api))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection))
        .route("/ogc/collections/{id}/items", get(ogc::items))
        .route("/ogc/collections/{id}/items/{item}", get(ogc::item))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/keys", get(list_keys).post(post_key))
        .route("/api/v1/accounts", get(accounts::list).post(accounts::add))
        .route(
            "/api/v1/accounts/{name}/disable",
            axum::routing::post(accounts::disable),
        )
        .route(
            "/api/v1/accounts/{name}/enable",
            axum::routing::post(accounts::enable),
        )
        .route(
            "/api/v1/accounts/{name}/tokens",
            axum::routing::post(accounts::issue),
        )
        .route(
            "/api/v1/accounts/{name}/certificate",
            axum::routing::post(accounts::certificate),
        )
        .route("/api/v1/tokens", get(accounts::tokens))
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::delete(accounts::revoke),
        )
        .route("/api/v1/violations", get(list_violations))
        .route("/api/v1/ais", axum::routing::post(ais::post_ais))
        .route("/api/v1/vessels", get(ais::vessels))
        .route("/api/v1/vessels/events", get(ais::events))
        .route("/api/v1/stream", get(stream))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/map/layers", get(map::layers))
        .route("/api/v1/map/incidents", get(map::incidents))
        .route("/api/v1/reports/daily", get(reports::daily_at))
        .route("/api/v1/reports/daily/{date}", get(reports::daily))
        .route(
            "/api/v1/reports/daily/{date}/publish",
            axum::routing::post(reports::publish),
        )
        .route("/api/v1/log/key", get(evidence::key))
        .route("/api/v1/log/keys", get(evidence::keys))
        .route("/api/v1/log/checkpoint", get(evidence::get_checkpoint))
        .route("/api/v1/log/proof/inclusion", get(evidence::inclusion))
        .route("/api/v1/log/proof/consistency", get(evidence::consistency))
        .route("/api/v1/log/entries", get(evidence::entries))
        .route(
            "/api/v1/log/tile/entries/{*path}",
            get(evidence::entry_bundle),
        )
        .route("/api/v1/log/tile/{*path}", get(evidence::tile))
        .route(
            "/api/v1/log/cosignature",
            axum::routing::post(evidence::cosign),
        )
        .route(
            "/api/v1/session",
            get(session::who)
                .post(session::sign_in)
                .delete(session::sign_out),
        )
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/api/v1/healthz", get(healthz))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // Only matched routes pass the check (the fallback serves the pages' files or 404).
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::check,
        ))
        .fallback(not_found)
        // Every answer: the policy above, no MIME sniffing, no referrer sent elsewhere.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("no-referrer"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Handlers read bodies through `read_body` with their route's limit, so that the 413
        // says what it is; an extractor that buffers a body is held to the small limit.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_SMALL_BODY))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.guards.limits.body_timeout,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.guards.limits.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::shape,
        ))
        .with_state(state)
}

/// Reads a body of at most `limit` bytes; `what` says what to send instead when it is larger.
pub(crate) async fn read_body(body: Body, limit: usize, what: &str) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        // A body that stopped arriving is not a large one.
        let slow = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<tower_http::timeout::TimeoutError>());
        if slow {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request body stopped arriving; send it again",
            )
        } else {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the request body is over {limit} bytes; {what}"),
            )
        }
    })
}

/// The policy every page runs under: only this server's scripts (no inline script), not framed
/// by another site. Styles may be inline: the daily report is one self-contained file, and the
/// map library sets element styles. Workers and images may come from blobs the map makes.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// Reads a write's `Content-Type`: JSON (`application/json`, one object) or NDJSON
/// (`application/x-ndjson`, `application/ndjson`: one a line); anything else is refused, so
/// that a form or a `text/plain` request from another site's page cannot write.
pub(crate) fn write_type(headers: &HeaderMap) -> Result<bool, ApiError> {
    match media_type(headers) {
        "application/json" => Ok(true),
        "application/x-ndjson" | "application/ndjson" => Ok(false),
        other => Err(unsupported_media_type(
            other,
            "application/json (one object) or application/x-ndjson (one a line)",
        )),
    }
}

/// A request's media type: its `Content-Type` without parameters (empty when absent).
pub(crate) fn media_type(headers: &HeaderMap) -> &str {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    ct.split(';').next().unwrap_or_default().trim()
}

/// 415 naming the media type sent and what the route takes.
pub(crate) fn unsupported_media_type(got: &str, expected: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("Content-Type {got:?}: expected {expected}"),
    )
    .field("Content-Type")
}

/// An API error: `{"error": {"code", "message", "field", "line"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    line: Option<usize>,
    /// Ask for a bearer token (`WWW-Authenticate: Bearer`), with a 401.
    bearer: bool,
    /// Seconds after which trying again may succeed (`Retry-After`).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            line: None,
            bearer: false,
            retry_after: None,
        }
    }
    /// Says when trying again may succeed (`Retry-After`, seconds).
    pub fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }
    fn bearer(mut self) -> ApiError {
        self.bearer = true;
        self
    }
    pub fn field(mut self, f: impl Into<String>) -> ApiError {
        self.field = Some(f.into());
        self
    }
    pub(crate) fn store(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "store failure");
        let message = match e {
            // Kept, not yet logged: what happens to it is in the message itself.
            StoreError::Queued(_) | StoreError::Unknown(_) => e.to_string(),
            e => format!("{e}; nothing of this request was written, send it again"),
        };
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            message,
        )
        .retry_after(5)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        let message = e.to_string();
        match e {
            ServiceError::Signature { line, error } => {
                let mut err = ApiError::new(StatusCode::BAD_REQUEST, "invalid_signature", message)
                    .field(error.field);
                err.line = Some(line);
                err
            }
            ServiceError::Conflict { line, .. } => {
                let mut err = ApiError::new(StatusCode::CONFLICT, "conflict", message).field("id");
                err.line = Some(line);
                err
            }
            ServiceError::NotYours { line, .. } => {
                let mut err =
                    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).field("observer");
                err.line = Some(line);
                err
            }
            ServiceError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message).field("id")
            }
            ServiceError::Account(truceline_service::accounts::AccountError::Invalid {
                field,
                ..
            }) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message).field(field),
            ServiceError::Account(truceline_service::accounts::AccountError::Store(
                StoreError::Exists(_),
            )) => ApiError::new(StatusCode::CONFLICT, "conflict", message).field("name"),
            ServiceError::Account(truceline_service::accounts::AccountError::Store(e)) => {
                ApiError::store(e)
            }
            ServiceError::Account(truceline_service::accounts::AccountError::BadToken) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).bearer()
            }
            ServiceError::Invalid { field, .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message).field(field)
            }
            ServiceError::Forbidden(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            ServiceError::Deadline { .. } => {
                ApiError::new(StatusCode::CONFLICT, "deadline_passed", message)
            }
            ServiceError::DayOpen { .. } => {
                ApiError::new(StatusCode::CONFLICT, "day_open", message).field("date")
            }
            ServiceError::Report(truceline_report::ReportError::Input { field, .. }) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message).field(field)
            }
            ServiceError::Report(truceline_report::ReportError::Store(e))
            | ServiceError::Store(e) => ApiError::store(e),
            ServiceError::Report(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "report_failed", message)
            }
            ServiceError::Certificate(
                truceline_service::certificates::CertificateError::Account(
                    truceline_service::accounts::AccountError::Invalid { field, .. },
                ),
            )
            | ServiceError::Certificate(truceline_service::certificates::CertificateError::Pki(
                truceline_pki::PkiError::Invalid { field, .. },
            )) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message).field(field),
            ServiceError::Certificate(
                truceline_service::certificates::CertificateError::Account(
                    truceline_service::accounts::AccountError::Store(e),
                ),
            ) => ApiError::store(e),
            ServiceError::Certificate(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "certificate_failed",
                message,
            ),
            ServiceError::Cosign(truceline_service::CosignError::Store(e)) => ApiError::store(e),
            ServiceError::Cosign(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_cosignature", message).field("body")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "line": self.line,
        }});
        let mut r = (self.status, Json(body)).into_response();
        if self.bearer {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        r
    }
}

/// Reads one observation per non-empty line (or the whole body as one JSON object), checking
/// each. The first bad line refuses them all.
pub fn parse_body(
    body: &[u8],
    single: bool,
    vocab: &Vocabulary,
) -> Result<Vec<Observation>, (usize, FieldError)> {
    parse_lines(body, single, |line| parse(line, vocab))
}

/// Reads one item per non-empty line with `read` (or the whole body as one), stopping at the
/// first bad line: its number (1-based) and why.
pub(crate) fn parse_lines<T>(
    body: &[u8],
    single: bool,
    read: impl Fn(&[u8]) -> Result<T, FieldError>,
) -> Result<Vec<T>, (usize, FieldError)> {
    if single {
        return read(body).map(|o| vec![o]).map_err(|e| (1, e));
    }
    let mut out = Vec::new();
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(read(line).map_err(|e| (i + 1, e))?);
    }
    Ok(out)
}

#[utoipa::path(
    post,
    path = "/api/v1/observations",
    tag = "observations",
    request_body(content((serde_json::Value = "application/json"), (String = "application/x-ndjson")), description = "One observation as JSON, or NDJSON (SPEC 2.2)"),
    responses((status = 200, description = "Kept, all or nothing: each line accepted or a duplicate, with its log index", body = serde_json::Value), crate::openapi::Refused)
)]
async fn post_observations(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<truceline_service::accounts::Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // `application/json` is one object (it may span lines); NDJSON one a line.
    let single = write_type(&headers).inspect_err(|_| st.metrics.refuse("media_type", 0))?;
    let bytes = read_body(
        body,
        st.max_body,
        "send the observations in smaller requests",
    )
    .await
    .inspect_err(|e| st.metrics.refuse(e.code, 0))?;
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    // Each observation is read and checked here, across the workers (and its leaf hashed by
    // the service), so that the single store writer only writes.
    let parsed: Result<Vec<Observation>, (usize, FieldError)> = if bytes.len() > 256 * 1024 {
        // Large batches are read off the async workers so small requests keep flowing.
        let st2 = st.clone();
        tokio::task::spawn_blocking(move || parse_body(&bytes, single, &st2.service.vocab))
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?
    } else {
        parse_body(&bytes, single, &st.service.vocab)
    };
    let observations = match parsed {
        Ok(o) if o.is_empty() => {
            st.metrics.refuse("invalid", 0);
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "empty",
                "the request holds no observations; expected one JSON object, or one per line",
            ));
        }
        Ok(ob) => ob,
        Err((line, e)) => {
            st.metrics.refuse("invalid", lines);
            tracing::info!(line, field = %e.field, message = %e.message, "observation refused");
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_observation",
                format!("line {line}: {e}; nothing of this request was written"),
            )
            .field(e.field);
            err.line = Some(line);
            return Err(err);
        }
    };
    let outcomes = match st.service.submit(&caller, &observations).await {
        Ok(o) => o,
        Err(e) => {
            let (reason, lines) = match &e {
                ServiceError::Signature { .. } => ("signature", lines),
                ServiceError::NotYours { .. } => ("not_yours", lines),
                ServiceError::Conflict { .. } => ("conflict", observations.len()),
                _ => ("store", observations.len()),
            };
            st.metrics.refuse(reason, lines);
            if let ServiceError::Signature { line, error } = &e {
                tracing::info!(line, field = %error.field, message = %error.message, "observation refused");
            }
            return Err(e.into());
        }
    };
    count_outcomes(&st, &outcomes);
    let answer = WriteAnswer::new(
        observations.iter().map(|o| (o.id.as_str(), None)),
        &outcomes,
    );
    Ok(Json(answer).into_response())
}

/// The answer to a write of lines: how many were kept new, how many were already there, and
/// each line's fate and log index. Typed rather than built as a JSON value: a batch of 10,000
/// answers 10,000 lines, and the value's maps cost intake a few per cent (fields in the order
/// the value wrote them, so the bytes are the same).
#[derive(serde::Serialize)]
pub(crate) struct WriteAnswer<'a> {
    accepted: usize,
    duplicates: usize,
    results: Vec<LineAnswer<'a>>,
}

#[derive(serde::Serialize)]
struct LineAnswer<'a> {
    id: &'a str,
    line: usize,
    log_index: u64,
    status: &'static str,
    /// A mission record's type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

impl<'a> WriteAnswer<'a> {
    /// `lines`: each line's id (and a record's type), in the order of `outcomes`.
    pub(crate) fn new(
        lines: impl Iterator<Item = (&'a str, Option<&'static str>)>,
        outcomes: &[Outcome],
    ) -> Self {
        let results: Vec<LineAnswer<'a>> = lines
            .zip(outcomes)
            .enumerate()
            .map(|(i, ((id, kind), o))| LineAnswer {
                id,
                line: i + 1,
                log_index: o.log_index(),
                status: match o {
                    Outcome::Accepted { .. } => "accepted",
                    Outcome::Duplicate { .. } => "duplicate",
                },
                kind,
            })
            .collect();
        let accepted = results.iter().filter(|r| r.status == "accepted").count();
        WriteAnswer {
            accepted,
            duplicates: results.len() - accepted,
            results,
        }
    }
}

fn envelope(o: &StoredObservation) -> Value {
    let observation: Value = serde_json::from_slice(&o.body).unwrap_or(Value::Null);
    let received = jiff::Timestamp::from_millisecond(o.received_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    // A stored signature was verified when the observation was accepted.
    let signed = observation.get("signature").is_some();
    json!({"log_index": o.log_index, "received_at": received, "signed": signed, "observation": observation})
}

/// Runs `f` on the service off the async workers (it may read or write the store).
pub(crate) async fn on_service<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&Service) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    let svc = st.service.clone();
    Ok(tokio::task::spawn_blocking(move || f(&svc))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })??)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    in_blocking(move || f().map_err(ApiError::store)).await
}

/// Runs `f` on a blocking thread.
pub(crate) async fn in_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

#[utoipa::path(
    get,
    path = "/api/v1/observations/{id}",
    tag = "observations",
    params(("id" = String, Path, description = "The observation id")),
    responses((status = 200, description = "The observation as stored (RFC 8785) with its log index", body = serde_json::Value), crate::openapi::Refused)
)]
async fn get_observation(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = st.service.store.clone();
    let key = id.clone();
    match blocking(move || store.get(&key)).await? {
        Some(o) => Ok(Json(envelope(&o))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no observation has id {id:?}"),
        )
        .field("id")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `west,south,east,north` in degrees (WGS 84).
    bbox: Option<String>,
    /// From this time on (RFC 3339), inclusive.
    from: Option<String>,
    /// Before this time (RFC 3339).
    to: Option<String>,
    /// Only this observer's observations.
    observer: Option<String>,
    /// Items a page: 1 to 1000.
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page's `limit`: 1 to [`MAX_PAGE`], 100 when not given.
pub(crate) fn page_limit(v: &Option<String>) -> Result<usize, ApiError> {
    page_limit_or(v, 100)
}

/// A page's `limit`: 1 to [`MAX_PAGE`], `default` when not given.
pub(crate) fn page_limit_or(v: &Option<String>, default: usize) -> Result<usize, ApiError> {
    match v {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                bad_param(
                    "limit",
                    format!("expected a whole number from 1 to {MAX_PAGE}, found {s:?}"),
                )
            }),
    }
}

/// A page's `cursor`: a log position a previous page gave as `next_cursor`.
pub(crate) fn page_cursor(v: &Option<String>) -> Result<Option<u64>, ApiError> {
    v.as_ref()
        .map(|s| {
            // The store counts in i64: a larger cursor is no cursor it gave.
            s.parse::<u64>()
                .ok()
                .filter(|&n| n <= i64::MAX as u64)
                .ok_or_else(|| {
                    bad_param(
                        "cursor",
                        format!("expected the `next_cursor` of a previous page, found {s:?}"),
                    )
                })
        })
        .transpose()
}

pub(crate) fn bad_param(field: &str, message: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        format!("`{field}`: {message}"),
    )
    .field(field)
}

pub(crate) fn parse_time(field: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|_| {
                    bad_param(
                        field,
                        format!(
                            "expected an RFC 3339 time such as 2026-11-24T10:00:00Z, found {s:?}"
                        ),
                    )
                })
        })
        .transpose()
}

/// Counts kept observations in the metrics as accepted or duplicate; returns how many were new.
pub(crate) fn count_outcomes(st: &AppState, outcomes: &[Outcome]) -> usize {
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Accepted { .. }))
        .count();
    st.metrics.count("accepted", accepted);
    st.metrics.count("duplicate", outcomes.len() - accepted);
    accepted
}

/// A `bbox` parameter: `west,south,east,north` in degrees, west ≤ east and south ≤ north.
pub(crate) fn parse_bbox(s: &str) -> Result<[f64; 4], ApiError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    let ok = v.len() == 4
        && (-180.0..=180.0).contains(&v[0])
        && (-180.0..=180.0).contains(&v[2])
        && (-90.0..=90.0).contains(&v[1])
        && (-90.0..=90.0).contains(&v[3])
        && v[0] <= v[2]
        && v[1] <= v[3];
    if !ok {
        return Err(bad_param(
            "bbox",
            format!(
                "expected west,south,east,north in degrees with west <= east and south <= north, found {s:?}"
            ),
        ));
    }
    Ok([v[0], v[1], v[2], v[3]])
}

impl ListParams {
    fn query(&self) -> Result<truceline_store::Query, ApiError> {
        let bbox = self.bbox.as_deref().map(parse_bbox).transpose()?;
        let limit = page_limit(&self.limit)?;
        let after = page_cursor(&self.cursor)?;
        Ok(truceline_store::Query {
            bbox,
            from_ms: parse_time("from", &self.from)?,
            to_ms: parse_time("to", &self.to)?,
            observer: self.observer.clone(),
            limit,
            after,
            read: None,
        })
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/observations",
    tag = "observations",
    params(ListParams),
    responses((status = 200, description = "A page of stored observations, in record order, with `next_cursor`", body = serde_json::Value), crate::openapi::Refused)
)]
async fn list_observations(
    State(st): State<Arc<AppState>>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    // The store filters as it reads, a tenth of the cost of an incident read and matched here
    // (see `page_of`): ten times the positions.
    let q = truceline_store::Query {
        read: Some(10 * st.guards.limits.page_read as u64),
        ..params.query()?
    };
    let page = crate::limits::page(st, move |st| {
        st.service.store.query(&q).map_err(ApiError::store)
    })
    .await?;
    let items: Vec<Value> = page.items.iter().map(envelope).collect();
    Ok(Json(json!({
        "observations": items,
        "next_cursor": page.next.map(|n| n.to_string()),
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/summary",
    tag = "incidents",
    responses((status = 200, description = "Counts by kind, party and rule", body = serde_json::Value), crate::openapi::Refused)
)]
async fn summary(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let store = st.service.store.clone();
    let c = blocking(move || store.counts()).await?;
    let latest = c
        .latest_time_ms
        .and_then(|t| jiff::Timestamp::from_millisecond(t).ok())
        .map(|t| t.to_string());
    let by_kind: serde_json::Map<String, Value> =
        c.by_kind.into_iter().map(|(k, n)| (k, json!(n))).collect();
    let store = st.service.store.clone();
    // Kept by the store as incidents change: no count over a year of them.
    let (incidents, violations) = blocking(move || store.incident_totals()).await?;
    let pending = st.service.fusion.state.read().unwrap().pending;
    // The mission day now, so that pages need not know the rule (time zone, end of day).
    let settings = &st.service.day;
    let mission_day = settings.containing(jiff::Timestamp::now()).ok().map(|d| {
        json!({
            "date": d.date.to_string(),
            "from": d.from.to_string(),
            "to": d.to.to_string(),
            "timezone": d.timezone,
            "day_ends": settings.day_ends,
        })
    });
    let a = &st.service.agreement;
    Ok(Json(json!({
        "incidents": incidents,
        "incidents_pending": pending,
        "violations": violations,
        "agreement": {
            "id": a.id,
            "title": a.title,
            "illustrative": a.illustrative,
            "notice": a.notice,
        },
        "mission_day": mission_day,
        "observations": c.observations,
        "observers": c.observers,
        "by_kind": by_kind,
        "latest_observation_time": latest,
        "uptime_s": st.started.elapsed().as_secs(),
        "banner": st.banner,
    })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct IncidentParams {
    /// `west,south,east,north` in degrees (WGS 84).
    bbox: Option<String>,
    /// From this time on (RFC 3339), inclusive.
    from: Option<String>,
    /// Before this time (RFC 3339).
    to: Option<String>,
    /// Only this kind (SPEC 2.2 `kind`).
    kind: Option<String>,
    /// Only incidents attributed to this party id (`-` for unattributed).
    party: Option<String>,
    /// Only violations of this rule.
    rule: Option<String>,
    /// Items a page: 1 to 1000.
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `json` (the default) or `acled` (CSV in the columns of ACLED's codebook).
    format: Option<String>,
}

impl IncidentParams {
    /// The filters shared with observations, reusing their checks.
    fn common(&self) -> Result<truceline_store::Query, ApiError> {
        ListParams {
            bbox: self.bbox.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            observer: None,
            limit: self.limit.clone(),
            cursor: None,
        }
        .query()
    }

    fn matches(&self, q: &truceline_store::Query, inc: &IncidentRecord) -> bool {
        let (lon, lat) = (inc.location.lon, inc.location.lat);
        let t = inc.time_ms();
        q.bbox
            .is_none_or(|[w, s, e, n]| lon >= w && lon <= e && lat >= s && lat <= n)
            && q.from_ms.is_none_or(|f| t >= f)
            && q.to_ms.is_none_or(|to| t < to)
            && self.kind.as_deref().is_none_or(|k| inc.kind.as_str() == k)
            && self.party.as_deref().is_none_or(|p| inc.party() == Some(p))
    }
}

/// How many incidents a page asks the store for at a time.
const BATCH: usize = 500;
/// What passing over a mission day costs a public page of its budget: two queries (the day's
/// first incident, whether its report is published), counted as this many incidents read.
const DAY_PASSED: usize = 100;

/// The start of the hour after the one `t_ms` is in.
fn hour_after(t_ms: i64) -> i64 {
    (t_ms.div_euclid(3_600_000) + 1) * 3_600_000
}

/// A page of published incidents after `cursor` (`<time in ms>.<id as the view shows it>`, the
/// last incident of the page before; `<time in ms>.` from a page its budget cut short: from
/// that time on), filtered, each as the view shows it; read from the store in (time, id) order,
/// so that a list over a year of incidents pages without holding it. Blocking.
fn page_of<T>(
    st: &AppState,
    p: &IncidentParams,
    view: &View,
    each: impl Fn(&IncidentRecord) -> Result<Vec<T>, ApiError>,
) -> Result<(Vec<T>, Option<String>, Value), ApiError> {
    let q = p.common()?;
    let shown_id = |inc: &IncidentRecord| match view {
        View::Full => inc.id.clone(),
        _ => st.service.public_id(&inc.id),
    };
    let cursor = match &p.cursor {
        None => None,
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_string())))
                .ok_or_else(|| {
                    bad_param(
                        "cursor",
                        format!("expected the `next_cursor` of a previous page, found {c:?}"),
                    )
                })?,
        ),
    };
    // Shown ids other than the real one are not ordered: resume at the cursor's time and skip
    // to just past it.
    let (mut after, mut skip) = match (&cursor, view) {
        // A page cut short by its reading budget ends at an hour: the next starts there.
        (Some((t, id)), _) if id.is_empty() => (Some((*t, String::new())), None),
        (Some((t, id)), View::Full) => (Some((*t, id.clone())), None),
        (Some((t, id)), _) => (Some((*t, String::new())), Some((*t, id.clone()))),
        (None, _) => (None, None),
    };
    // Read before the incidents: a round stores its incidents before it publishes this, so
    // the page is at least as new as what the meta says it was fused from (read after, a
    // round ending in between would claim observations the page's incidents do not hold).
    let meta = {
        let published = st.service.fusion.state.read().unwrap();
        json!({
            "watermark": published.watermark_ms.and_then(|t| jiff::Timestamp::from_millisecond(t).ok()).map(|t| t.to_string()),
            "pending": published.pending,
            // How many stored observations the published incidents were fused from.
            "observations": published.observations,
            "window_s": st.service.fusion.window_s(),
        })
    };
    let (from, to) = (q.from_ms.unwrap_or(i64::MIN), q.to_ms.unwrap_or(i64::MAX));
    let mut out = Vec::new();
    let mut last: Option<IncidentRecord> = None;
    let mut next = None;
    // Filters that match little would otherwise read a year of incidents for one page: past
    // its budget a page reads on to the end of the hour it is in and stops there, its cursor
    // that hour (a time no incident chose, so it tells a view nothing of the ones it may not
    // see). It may then hold fewer than `limit` items, or none.
    let mut read = 0usize;
    let mut stop_at: Option<i64> = None;
    // The public sees only days whose public report is published; an unpublished day is
    // passed over whole, for `DAY_PASSED` of the budget.
    let mut days = std::collections::HashMap::new();
    // Past a day passed over, only where the next incident lies is wanted.
    let mut want = BATCH;
    'pages: loop {
        let batch = st
            .service
            .store
            .incidents_after(
                after.as_ref().map(|(t, id)| (*t, id.as_str())),
                from,
                to,
                std::mem::replace(&mut want, BATCH),
            )
            .map_err(ApiError::store)?;
        let Some(end) = batch.last() else { break };
        after = Some((end.record.time_ms(), end.record.id.clone()));
        for row in &batch {
            let inc = &row.record;
            if let Some(end) = stop_at
                && inc.time_ms() >= end
            {
                next = (end < to).then(|| format!("{end}."));
                break 'pages;
            }
            if *view == View::Public
                && let Some(end) = st
                    .service
                    .public_resume(inc.time, &mut days)
                    .map_err(ApiError::from)?
            {
                read += DAY_PASSED;
                if end >= to || read >= st.guards.limits.page_read {
                    next = (end < to).then(|| format!("{end}."));
                    break 'pages;
                }
                after = Some((end, String::new()));
                skip = None;
                want = 1;
                continue 'pages;
            }
            read += 1;
            if read == st.guards.limits.page_read {
                stop_at = Some(hour_after(inc.time_ms()));
            }
            if let Some((t, id)) = &skip {
                if inc.time_ms() == *t {
                    if shown_id(inc) == *id {
                        skip = None;
                    }
                    continue;
                }
                skip = None;
            }
            if !p.matches(&q, inc) {
                continue;
            }
            let items = each(inc)?;
            if items.is_empty() {
                continue;
            }
            if out.len() >= q.limit {
                // More remain: the cursor names the last incident of this page.
                next = last
                    .as_ref()
                    .map(|l| format!("{}.{}", l.time_ms(), shown_id(l)));
                break 'pages;
            }
            out.extend(items);
            last = Some(inc.clone());
        }
    }
    Ok((out, next, meta))
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "incidents",
    params(IncidentParams),
    responses((status = 200, description = "A page of published incidents as the caller's view shows them; with `format=acled`, CSV in ACLED's columns and the next page in a `Link` header", content((serde_json::Value = "application/json"), (String = "text/csv"))), crate::openapi::Refused)
)]
async fn list_incidents(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    Query(p): Query<IncidentParams>,
) -> Result<Response, ApiError> {
    let view = View::of(&caller);
    match p.format.as_deref() {
        None | Some("json") => {}
        Some("acled") => return acled_incidents(st, p, view, raw).await,
        Some(other) => {
            return Err(bad_param(
                "format",
                format!("expected `json` or `acled`, found {other:?}"),
            ));
        }
    }
    let (items, next, meta) = crate::limits::page(st, move |st| {
        page_of(st, &p, &view, |i| {
            Ok(st.service.incident_json(i, &view).into_iter().collect())
        })
    })
    .await?;
    Ok(Json(json!({"incidents": items, "next_cursor": next, "fusion": meta})).into_response())
}

/// A page of incidents as ACLED-style CSV: the same filters, order and view as the JSON list;
/// the next page's address in a `Link` header (`rel="next"`), since CSV has no room for it.
async fn acled_incidents(
    st: Arc<AppState>,
    p: IncidentParams,
    view: View,
    raw: Option<String>,
) -> Result<Response, ApiError> {
    let (csv, next) = crate::limits::page(st, move |st| {
        // The mission's id (for the casualty links) beside the incident as the caller sees it.
        // ACLED's rows are events: an incident the analysts rejected as a false alarm is none.
        let (page, next, _) = page_of(st, &p, &view, |i| {
            Ok((!st.service.rejected(&i.id))
                .then(|| st.service.shown_incident(i, &view))
                .flatten()
                .map(|shown| (i.id.clone(), shown))
                .into_iter()
                .collect())
        })?;
        let span = page.iter().map(|(_, i)| i.time_ms()).fold(None, |acc, t| {
            Some(acc.map_or((t, t), |(lo, hi): (i64, i64)| (lo.min(t), hi.max(t))))
        });
        let fatalities = match span {
            Some((lo, hi)) => st.service.fatalities(lo, hi + 1).map_err(ApiError::from)?,
            None => Default::default(),
        };
        let ctx = &st.service.reports;
        let rows: Vec<Vec<String>> = page
            .iter()
            .map(|(id, shown)| {
                truceline_report::acled::row(shown, ctx, fatalities.get(id).copied().unwrap_or(0))
            })
            .collect();
        Ok::<_, ApiError>((truceline_report::acled::csv(&rows), next))
    })
    .await?;
    let mut resp = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response();
    if let Some(cursor) = next
        && let Ok(v) = header::HeaderValue::from_str(&format!(
            "</api/v1/incidents?{}>; rel=\"next\"",
            with_cursor(raw.as_deref().unwrap_or(""), &cursor)
        ))
    {
        resp.headers_mut().insert(header::LINK, v);
    }
    Ok(resp)
}

/// A request's query string with its `cursor` replaced by `cursor`: the next page's query.
pub(crate) fn with_cursor(raw: &str, cursor: &str) -> String {
    let mut query: Vec<String> = raw
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="))
        .map(str::to_string)
        .collect();
    query.push(format!("cursor={}", percent(cursor)));
    query.join("&")
}

/// `s` with every byte but RFC 3986's unreserved characters percent-encoded.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/api/v1/violations",
    tag = "incidents",
    params(IncidentParams),
    responses((status = 200, description = "A page of violations, one an incident and rule", body = serde_json::Value), crate::openapi::Refused)
)]
async fn list_violations(
    State(st): State<Arc<AppState>>,
    Query(p): Query<IncidentParams>,
) -> Result<Json<Value>, ApiError> {
    let rule = p.rule.clone();
    let (items, next, meta) = crate::limits::page(st, move |st| {
        page_of(st, &p, &View::Full, |i| {
            Ok(i.violations
                .iter()
                .filter(|v| rule.as_deref().is_none_or(|r| v.rule == r))
                .map(|v| {
                    json!({
                        "incident": i.id, "time": i.time.to_string(), "location": i.location,
                        "kind": i.kind, "rule": v.rule, "party": v.party, "zone": v.zone,
                    })
                })
                .collect())
        })
    })
    .await?;
    Ok(Json(
        json!({"violations": items, "next_cursor": next, "fusion": meta}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident id (a shown `pi-` id outside the mission)")),
    responses((status = 200, description = "The incident, its review, and for the mission its observations with inclusion proofs", body = serde_json::Value), crate::openapi::Refused)
)]
async fn get_incident(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = View::of(&caller);
    let record = incident_for(&st, &view, &id).await?;
    let Some(mut inc) = st.service.incident_json(&record, &view) else {
        return Err(ServiceError::NotFound {
            what: "published incident",
            id,
        }
        .into());
    };
    // Fire inside a local ceasefire window says so.
    let r = record.clone();
    inc["local_ceasefire"] = Value::Array(on_service(&st, move |s| s.windows_broken(&r)).await?);
    if view != View::Full {
        // The observations name their observers and where they stood: not for this reader.
        return Ok(Json(inc));
    }
    let r = record.clone();
    let evidence = on_service(&st, move |s| s.evidence(&r)).await?;
    inc["observation_records"] = Value::Array(evidence.observations.iter().map(envelope).collect());
    // Each observation's inclusion proof in the latest signed checkpoint, with the leaf's exact
    // bytes, so a reader can check the incident's evidence against the log without trusting us.
    inc["proof"] = match &evidence.checkpoint {
        None => Value::Null,
        Some(c) => {
            use base64::Engine;
            let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
            json!({
                "checkpoint": c.to_note(),
                "size": c.checkpoint.size,
                "log_key": st.service.log.signer.verifier().encode(),
                "leaves": evidence.proofs.iter().map(|p| json!({
                    "index": p.log_index,
                    "leaf": b64(p.leaf.bytes()),
                    "hashes": p.hashes.iter().map(|h| b64(h)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        }
    };
    Ok(Json(inc))
}

/// `GET /api/v1/incidents/{id}/evidence`: the incident's evidence document (SPEC 4.2).
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/evidence",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident id (a shown `pi-` id outside the mission)")),
    responses((status = 200, description = "`{checkpoint, items: [{log_index, committed, disclosures, proof}], uncommitted}`: each observation's committed form with the disclosures the caller's role may see and its inclusion proof under the signed checkpoint; `truceline evidence verify` checks it", body = serde_json::Value), crate::openapi::Refused)
)]
async fn get_evidence(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = View::of(&caller);
    let record = incident_for(&st, &view, &id).await?;
    match on_service(&st, move |s| s.evidence_document(&record, &view)).await? {
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_checkpoint",
            "no checkpoint has been issued yet, so the evidence has nothing to be proved against; try again in a second",
        )),
        Some(doc) => Ok(Json(doc).into_response()),
    }
}

/// The incident the caller's view may see under `id` (an older day's read from the store), or
/// 404 naming it.
async fn incident_for(
    st: &Arc<AppState>,
    view: &View,
    id: &str,
) -> Result<truceline_incident::IncidentRecord, ApiError> {
    let (v, wanted) = (view.clone(), id.to_string());
    on_service(st, move |s| s.incident_for(&v, &wanted))
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound {
                what: "published incident",
                id: id.to_string(),
            }
            .into()
        })
}

/// `POST /api/v1/incidents/{id}/decisions`: an analyst's decision, kept in the log.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/decisions",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident id")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "An analyst's decision: `{\"status\", \"party\", \"note\"}`"),
    responses((status = 200, description = "Logged: `{\"log_index\"}`", body = serde_json::Value), crate::openapi::Refused)
)]
async fn post_decision(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let d: truceline_service::review::Decision = json_body(&headers, body).await?;
    let index = on_service(&st, move |s| {
        s.decide(&caller, &id, &d, jiff::Timestamp::now())
    })
    .await?;
    Ok(Json(json!({"log_index": index})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: Option<String>,
}

/// `POST /api/v1/incidents/{id}/replies`: a party's reply, kept in the log.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/replies",
    tag = "incidents",
    params(("id" = String, Path, description = "The shown incident id")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "A party's reply: `{\"text\"}`"),
    responses((status = 200, description = "Logged: `{\"log_index\"}`", body = serde_json::Value), crate::openapi::Refused)
)]
async fn post_reply(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let r: ReplyBody = json_body(&headers, body).await?;
    let index = on_service(&st, move |s| {
        s.reply(&caller, &id, r.text.as_deref(), jiff::Timestamp::now())
    })
    .await?;
    Ok(Json(json!({"log_index": index})))
}

/// The most a small JSON request (a decision, a reply, a key, signing in) may be, bytes.
pub const MAX_SMALL_BODY: usize = 64 * 1024;

/// A small JSON body (`application/json` only), read within [`MAX_SMALL_BODY`] and parsed
/// into `T`, naming the field at fault.
pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    if !write_type(headers)? {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected Content-Type application/json: one JSON object",
        )
        .field("Content-Type"));
    }
    let bytes = read_body(
        body,
        MAX_SMALL_BODY,
        "this request is one small JSON object",
    )
    .await?;
    truceline_json::from_slice_as(&bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.to_string())
            .field(e.field_or("body"))
    })
}

/// `GET /api/v1/public/incidents?from=&to=&bbox=&kind=&party=&limit=&cursor=`: the public feed,
/// paged as the incident list is (a year of published days is not one answer).
#[utoipa::path(
    get,
    path = "/api/v1/public/incidents",
    tag = "incidents",
    params(IncidentParams),
    responses((status = 200, description = "A page of the incidents of days whose public report is published, with `next_cursor`", body = serde_json::Value), crate::openapi::Refused)
)]
async fn public_incidents(
    State(st): State<Arc<AppState>>,
    Query(p): Query<IncidentParams>,
) -> Result<Json<Value>, ApiError> {
    let (items, next) = crate::limits::page(st, move |st| public_page(st, &p, |v| v)).await?;
    Ok(Json(json!({
        "incidents": items,
        "next_cursor": next,
        "note": "Incidents of mission days whose public report is published, as the public edition shows them: no observer, locations at the centre of a 0.01 degree cell (of a 0.25 degree cell for an incident that only its observer's position places).",
    })))
}

/// A page of the public feed, each incident as `shape` makes it of its public JSON. Blocking.
pub(crate) fn public_page<T>(
    st: &AppState,
    p: &IncidentParams,
    shape: impl Fn(Value) -> T,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    // A public page reads only days whose public report is published (see `page_of`).
    let (items, next, _) = page_of(st, p, &View::Public, |i| {
        Ok(st
            .service
            .public_json(i)
            .map_err(ApiError::from)?
            .map(&shape)
            .into_iter()
            .collect())
    })?;
    Ok((items, next))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// From this time on (RFC 3339), inclusive.
    from: Option<String>,
    /// Before this time (RFC 3339).
    to: Option<String>,
    /// Only this account.
    account: Option<String>,
}

/// `GET /api/v1/audit?from=&to=&account=` (the chief).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "accounts",
    params(AuditParams),
    responses((status = 200, description = "The audit trail", body = serde_json::Value), crate::openapi::Refused)
)]
async fn audit(
    State(st): State<Arc<AppState>>,
    Query(p): Query<AuditParams>,
) -> Result<Json<Value>, ApiError> {
    let q = truceline_service::audit::AuditQuery {
        from_ms: parse_time("from", &p.from)?,
        to_ms: parse_time("to", &p.to)?,
        account: p.account,
    };
    let entries = on_service(&st, move |s| s.audit_entries(&q)).await?;
    Ok(Json(json!({"entries": entries})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    key: String,
}

/// `POST /api/v1/keys` `{"key": VERIFIER}`: a monitor registers one of its devices' keys.
#[utoipa::path(
    post,
    path = "/api/v1/keys",
    tag = "keys",
    request_body(content = serde_json::Value, content_type = "application/json", description = "A device key: `{\"key_id\", \"public_key\", \"observer\"}`"),
    responses((status = 200, description = "Registered", body = serde_json::Value), crate::openapi::Refused)
)]
async fn post_key(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let k: KeyBody = json_body(&headers, body).await?;
    let svc = st.service.clone();
    let owner = match &caller {
        Caller::Account(p) => Some(p.account.clone()),
        _ => None,
    };
    let r = tokio::task::spawn_blocking(move || svc.log.keys.register(&k.key, owner.as_deref()))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    match r {
        Ok(v) => Ok((
            StatusCode::CREATED,
            Json(json!({"name": v.name(), "owner": caller.role().map(|_| caller.name())})),
        )
            .into_response()),
        Err(truceline_service::keys::RegisterError::Exists(name)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("a key named {name:?} is already registered; a key is never replaced"),
        )
        .field("key")),
        Err(truceline_service::keys::RegisterError::Io(e)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )),
        Err(e) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_key", e.to_string()).field("key"))
        }
    }
}

/// `GET /api/v1/keys`: a monitor's own device keys; every signing key for a reader.
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    tag = "keys",
    responses((status = 200, description = "Registered device keys", body = serde_json::Value), crate::openapi::Refused)
)]
async fn list_keys(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Json<Value> {
    let own = match &caller {
        Caller::Account(p) if p.role == truceline_service::accounts::Role::Monitor => {
            Some(p.account.clone())
        }
        _ => None,
    };
    let keys = st.service.log.keys.signing_keys(own.as_deref());
    Json(
        json!({"keys": keys.iter().map(|(v, o)| json!({"name": v.name(), "key": v.encode(), "owner": o})).collect::<Vec<_>>()}),
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "incidents",
    responses((status = 200, description = "Server-sent events: `incident` (an incident as the caller's view shows it, JSON), `removed` (an id), `lagged`", content_type = "text/event-stream"), crate::openapi::Refused)
)]
async fn stream(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> axum::response::Sse<
    impl sse_stream::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
> {
    let rx = st.service.fusion.events.subscribe();
    let s = sse_stream::from_broadcast(
        rx,
        st.closing.subscribe(),
        st.service.clone(),
        View::of(&caller),
    );
    axum::response::Sse::new(s).keep_alive(axum::response::sse::KeepAlive::default())
}

/// Server-sent events from a broadcast channel: each new or changed incident as one `incident`
/// event, each incident merged away or withdrawn as a `removed` event with its id; a listener
/// that falls behind is told how many it missed (`lagged`) and should read the list again.
mod sse_stream {
    use std::sync::Arc;

    use axum::response::sse::Event;
    pub use futures_util::Stream;
    use tokio::sync::broadcast;
    use truceline_incident::IncidentRecord;
    use truceline_service::Service;
    use truceline_service::views::View;

    /// Each change as `view` is shown it: a liaison hears only of its party's incidents, by
    /// their shown ids, redacted; every reader hears of decisions and replies with the incident.
    pub fn from_broadcast(
        rx: broadcast::Receiver<truceline_service::Change>,
        closing: tokio::sync::watch::Receiver<bool>,
        service: Arc<Service>,
        view: View,
    ) -> impl Stream<Item = Result<Event, std::convert::Infallible>> {
        futures_util::stream::unfold(
            (rx, closing, service, view),
            |(mut rx, mut closing, service, view)| async move {
                loop {
                    if *closing.borrow() {
                        return None;
                    }
                    let event = tokio::select! {
                        r = rx.recv() => match r {
                            Ok(truceline_service::Change::Incident(data)) => {
                                let shown = serde_json::from_str::<IncidentRecord>(&data)
                                    .ok()
                                    .and_then(|rec| service.incident_json(&rec, &view));
                                match shown {
                                    Some(v) => Event::default().event("incident").data(v.to_string()),
                                    None => continue,
                                }
                            }
                            Ok(truceline_service::Change::Removed(id)) => {
                                let id = match view {
                                    View::Full => id,
                                    _ => service.public_id(&id),
                                };
                                Event::default().event("removed").data(id)
                            }
                            // Records are not on the incident stream.
                            Ok(truceline_service::Change::Records) => continue,
                            Err(broadcast::error::RecvError::Lagged(n)) => {
                                Event::default().event("lagged").data(n.to_string())
                            }
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        _ = closing.changed() => return None,
                    };
                    return Some((Ok(event), (rx, closing, service, view)));
                }
            },
        )
    }
}

/// `GET /healthz`: 200 `ok`, or 503 `degraded` with the reasons (the store cannot write,
/// checkpoints are late, fusion has fallen behind), with the figures behind them.
#[utoipa::path(
    get,
    path = "/api/v1/healthz",
    tag = "health",
    responses((status = 200, description = "Health: `ok` or 503 `degraded` with the reasons", body = serde_json::Value), crate::openapi::Refused)
)]
async fn healthz(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    let h = st.service.health();
    st.metrics.health(&h);
    let degraded = !h.problems.is_empty();
    // Field offices by name for the mission's staff only.
    let sites: Vec<_> = match caller.is_staff() {
        true => st.service.sites.all(),
        false => Vec::new(),
    };
    let body = json!({
        "status": if degraded { "degraded" } else { "ok" },
        "problems": h.problems,
        "warnings": h.warnings_for(&caller),
        "sites": sites.into_iter().map(|(s, silent_s)| json!({
            "site": s.site, "stored": s.stored, "forwarded": s.forwarded,
            "waiting": s.waiting(), "silent_s": silent_s,
        })).collect::<Vec<_>>(),
        "version": env!("CARGO_PKG_VERSION"),
        "checkpoint_lag_s": h.checkpoint_lag.as_secs_f64(),
        "fusion": if !st.service.fusion.running() {
            "off"
        } else if h.fusion_started {
            "running"
        } else {
            "starting"
        },
        "fusion_lag_s": h.fusion_lag.as_secs_f64(),
        "store_write_errors": h.store_errors,
        "connections": st.guards.open_connections(),
    });
    let status = if degraded {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String), crate::openapi::Refused)
)]
async fn metrics(State(st): State<Arc<AppState>>) -> impl IntoResponse {
    st.metrics.health(&st.service.health());
    st.metrics
        .connections_open
        .set(st.guards.open_connections() as i64);
    let log = &st.service.log;
    let counted = st.metrics.checkpoints.get();
    st.metrics
        .checkpoints
        .inc_by(log.issued().saturating_sub(counted));
    st.metrics.log_size.set(log.checkpoint_size() as i64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
}

/// The dashboard's and field form's files, else the API's 404.
async fn not_found(
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if (method == axum::http::Method::GET || method == axum::http::Method::HEAD)
        && let Some(r) = map::static_file(&uri, &headers)
    {
        return r;
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see SPEC section 3",
    )
    .into_response()
}

/// Serves until `shutdown` resolves, then finishes every request in flight (each answered only
/// once durable; at most 30 s) before returning. Connections are held to the state's limits
/// (see [`limits`]).
pub async fn serve<L>(
    listener: L,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let app = router(state.clone());
    limits::serve_connections(
        listener,
        state,
        app,
        shutdown,
        std::time::Duration::from_secs(30),
    )
    .await
}

/// The peer's address, for the audit trail and the limits, over TCP or TLS alike.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
