//! Accounts and tokens managed by the chief while the server runs (SPEC 5): the same checks as
//! `truceline users` and `truceline tokens`, through the store's one writer, effective at the
//! next request.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use truceline_service::accounts::NewAccount;
use truceline_store::{Account, Token};

use crate::{ApiError, AppState, json_body, on_service};

fn ms(t: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(t)
        .ok()
        .map(|t| t.to_string())
}

/// An account as listed: never its password's hash.
fn account_json(a: &Account) -> Value {
    json!({
        "name": a.name, "role": a.role, "party": a.party, "observers": a.observers,
        "disabled": a.disabled, "has_password": a.password.is_some(), "created": ms(a.created_ms),
    })
}

/// A token as listed: its id and dates, never its hash.
fn token_json(t: &Token) -> Value {
    json!({
        "id": t.id, "account": t.account, "created": ms(t.created_ms),
        "expires": t.expires_ms.and_then(ms), "revoked": t.revoked_ms.and_then(ms),
    })
}

/// `GET /api/v1/accounts`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    responses((status = 200, description = "Accounts", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn list(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let all = on_service(&st, |s| s.accounts()).await?;
    Ok(Json(
        json!({"accounts": all.iter().map(account_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewBody {
    name: String,
    role: String,
    party: Option<String>,
    observers: Option<String>,
}

/// `POST /api/v1/accounts` `{"name","role","party","observers"}`: 201 with the account.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    request_body(content = serde_json::Value, content_type = "application/json", description = "`{\"name\", \"role\", \"party\"}`"),
    responses((status = 200, description = "Added", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn add(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let b: NewBody = json_body(&headers, body).await?;
    let new = NewAccount {
        name: b.name,
        role: b.role,
        party: b.party,
        observers: b.observers,
    };
    let a = on_service(&st, move |s| s.add_account(new)).await?;
    Ok((StatusCode::CREATED, Json(account_json(&a))).into_response())
}

/// `POST /api/v1/accounts/{name}/disable`: its tokens and sessions stop working at once.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{name}/disable",
    tag = "accounts",
    params(("name" = String, Path, description = "The account")),
    responses((status = 200, description = "Disabled", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn disable(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    on_service(&st, move |s| s.set_disabled(&name, true)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/accounts/{name}/enable`.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{name}/enable",
    tag = "accounts",
    params(("name" = String, Path, description = "The account")),
    responses((status = 200, description = "Enabled", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn enable(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    on_service(&st, move |s| s.set_disabled(&name, false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueBody {
    /// `30d`, `12h`, `90m`; none for a token valid until revoked.
    expires: Option<String>,
}

/// `POST /api/v1/accounts/{name}/tokens` `{"expires": "30d"}`: 201 with the secret, shown this
/// once.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{name}/tokens",
    tag = "accounts",
    params(("name" = String, Path, description = "The account")),
    responses((status = 200, description = "A new token, shown once", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn issue(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let b: IssueBody = json_body(&headers, body).await?;
    let (secret, token) =
        on_service(&st, move |s| s.issue_token(&name, b.expires.as_deref())).await?;
    let mut v = token_json(&token);
    v["token"] = json!(secret);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CertificateBody {
    /// The host name or address devices reach the TLS Cursor on Target port at (the server's
    /// certificate must name it: `serve --cot-tls-name`).
    host: String,
    /// The TLS Cursor on Target port (`serve --cot-tls-listen`).
    #[serde(default = "default_cot_tls_port")]
    port: u16,
    /// How long the certificate is valid: `365d`, `12h`, `90m`.
    #[serde(default = "default_valid")]
    valid: String,
}

fn default_cot_tls_port() -> u16 {
    8089
}

fn default_valid() -> String {
    "365d".into()
}

/// `POST /api/v1/accounts/{name}/certificate` `{"host": "…", "port": 8089, "valid": "365d"}`:
/// 201 with the TAK data package (a zip) of a new client certificate for the account, shown
/// this once; its id (`crt_…`, revoked as a token is) in the `Truceline-Certificate` header.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{name}/certificate",
    tag = "accounts",
    params(("name" = String, Path, description = "The account")),
    request_body = CertificateBody,
    responses((status = 201, description = "The data package a TAK device imports", content_type = "application/zip", body = Vec<u8>), crate::openapi::Refused)
)]
pub(crate) async fn certificate(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let b: CertificateBody = json_body(&headers, body).await?;
    let file = format!(
        "{}-truceline.zip",
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect::<String>()
    );
    let device = on_service(&st, move |s| {
        s.issue_device(&name, &b.host, b.port, &b.valid)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
            (
                axum::http::HeaderName::from_static("truceline-certificate"),
                device.token.id.clone(),
            ),
        ],
        device.zip,
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokensQuery {
    /// Only this account.
    account: Option<String>,
}

/// `GET /api/v1/tokens?account=`.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "accounts",
    params(TokensQuery),
    responses((status = 200, description = "Tokens (ids, never secrets)", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn tokens(
    State(st): State<Arc<AppState>>,
    Query(q): Query<TokensQuery>,
) -> Result<Json<Value>, ApiError> {
    let all = on_service(&st, move |s| s.tokens(q.account.as_deref())).await?;
    Ok(Json(
        json!({"tokens": all.iter().map(token_json).collect::<Vec<_>>()}),
    ))
}

/// `DELETE /api/v1/tokens/{id}`: revoked at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The token id")),
    responses((status = 200, description = "Revoked", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn revoke(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    on_service(&st, move |s| s.revoke_token(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
