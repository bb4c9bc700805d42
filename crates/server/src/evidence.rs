//! The evidence log over HTTP (SPEC 3 and 4): the log's key and signed checkpoints, proofs,
//! the exact leaf bytes, and witnesses' cosignatures. The log's lifecycle (signing, keeping
//! cosignatures) is the service's (`truceline_service::evidence`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ApiError, AppState, blocking};

/// Most leaves one `/log/entries` request returns.
pub const MAX_ENTRIES: u64 = 1000;

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn b64_list(hashes: &[truceline_log::Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

fn out_of_range(field: &'static str, e: truceline_store::StoreError) -> ApiError {
    match e {
        truceline_store::StoreError::OutOfRange(m) => {
            ApiError::new(StatusCode::BAD_REQUEST, "out_of_range", m).field(field)
        }
        e => ApiError::store(e),
    }
}

fn number(field: &'static str, v: &Option<String>) -> Result<Option<u64>, ApiError> {
    v.as_deref()
        .map(|s| {
            s.parse::<u64>().map_err(|_| {
                crate::bad_param(field, format!("expected a whole number, found {s:?}"))
            })
        })
        .transpose()
}

/// The size proofs default to: the latest checkpoint's, so a proof checks against a signed root.
fn checkpoint_size(st: &AppState) -> u64 {
    st.service.log.checkpoint_size()
}

#[utoipa::path(
    get,
    path = "/api/v1/log/key",
    tag = "log",
    responses((status = 200, description = "The log's verifier key", content_type = "text/plain", body = String), crate::openapi::Refused)
)]
pub async fn key(State(st): State<Arc<AppState>>) -> Response {
    text(format!("{}\n", st.service.log.signer.verifier().encode()))
}

#[utoipa::path(
    get,
    path = "/api/v1/log/keys",
    tag = "log",
    responses((status = 200, description = "The log's keys and their rotations: `{\"key\", \"keys\": [{\"key\", \"from_size\"}], \"rotations\": [{\"record\", \"log_index\", \"checkpoint\", \"proof\"}]}`, each rotation announced in the log and handed over by a checkpoint signed by both keys; whoever trusts an earlier key follows them to the current one", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn keys(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let store = st.service.store.clone();
    let chain = blocking(move || store.handovers()).await?;
    let served = truceline_log::rotation::KeyChain::new(&st.service.log.signer.verifier(), chain)
        .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "rotation_broken",
            format!("the log's key rotations do not hold: {e}"),
        )
    })?;
    Ok(Json(served).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointParams {
    /// The tree size (default: the latest checkpoint).
    size: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/log/checkpoint",
    tag = "log",
    params(CheckpointParams),
    responses((status = 200, description = "The signed checkpoint (C2SP signed note)", content_type = "text/plain", body = String), crate::openapi::Refused)
)]
pub async fn get_checkpoint(
    State(st): State<Arc<AppState>>,
    Query(p): Query<CheckpointParams>,
) -> Result<Response, ApiError> {
    match number("size", &p.size)? {
        None => match st.service.log.latest.read().unwrap().as_ref() {
            Some(c) => Ok(text(c.to_note())),
            None => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_checkpoint",
                "no checkpoint has been issued yet; try again in a second",
            )),
        },
        Some(size) => {
            let store = st.service.store.clone();
            let note = blocking(move || store.checkpoint_at(size)).await?;
            note.map(text).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no checkpoint was issued at size {size}"),
                )
                .field("size")
            })
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// The leaf index.
    index: Option<String>,
    /// The tree size (default: the latest checkpoint).
    size: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/log/proof/inclusion",
    tag = "log",
    params(InclusionParams),
    responses((status = 200, description = "An inclusion proof", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn inclusion(
    State(st): State<Arc<AppState>>,
    Query(p): Query<InclusionParams>,
) -> Result<Json<Value>, ApiError> {
    let index = number("index", &p.index)?
        .ok_or_else(|| crate::bad_param("index", "required: the leaf's log index".into()))?;
    let size = number("size", &p.size)?.unwrap_or_else(|| checkpoint_size(&st));
    // A proof is a few dozen microseconds of reads from cache and one indexed statement:
    // cheaper inline than the hop to a blocking thread, which cost more than the proof itself.
    let hashes = st
        .service
        .store
        .inclusion_proof(index, size)
        .map_err(|e| out_of_range("index", e))?;
    Ok(Json(
        json!({"index": index, "size": size, "hashes": b64_list(&hashes)}),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// From this time on (RFC 3339), inclusive.
    from: Option<String>,
    /// Before this time (RFC 3339).
    to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/log/proof/consistency",
    tag = "log",
    params(ConsistencyParams),
    responses((status = 200, description = "A consistency proof", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn consistency(
    State(st): State<Arc<AppState>>,
    Query(p): Query<ConsistencyParams>,
) -> Result<Json<Value>, ApiError> {
    let from = number("from", &p.from)?
        .ok_or_else(|| crate::bad_param("from", "required: the earlier tree size".into()))?;
    let to = number("to", &p.to)?.unwrap_or_else(|| checkpoint_size(&st));
    // Inline, as for inclusion proofs.
    let hashes = st
        .service
        .store
        .consistency_proof(from, to)
        .map_err(|e| out_of_range("from", e))?;
    Ok(Json(
        json!({"from": from, "to": to, "hashes": b64_list(&hashes)}),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesParams {
    /// The first leaf index.
    start: Option<String>,
    /// The leaf index after the last.
    end: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/log/entries",
    tag = "log",
    params(EntriesParams),
    responses((status = 200, description = "Leaves, base64", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn entries(
    State(st): State<Arc<AppState>>,
    Query(p): Query<EntriesParams>,
) -> Result<Json<Value>, ApiError> {
    let start = number("start", &p.start)?.unwrap_or(0);
    let size = st.service.store.log_head().0;
    let end = number("end", &p.end)?
        .unwrap_or(size)
        .min(start.saturating_add(MAX_ENTRIES));
    let store = st.service.store.clone();
    let leaves = tokio::task::spawn_blocking(move || store.log_entries(start, end))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| out_of_range("end", e))?;
    let list: Vec<String> = leaves.iter().map(|l| B64.encode(l)).collect();
    Ok(Json(
        json!({"start": start, "end": start + list.len() as u64, "entries": list}),
    ))
}

/// `POST /log/cosignature`: a witness's cosigned checkpoint (the note with its cosignature
/// line). Kept when the checkpoint is one this log issued and the cosignature verifies with a
/// witness key in the registry.
#[utoipa::path(
    post,
    path = "/api/v1/log/cosignature",
    tag = "log",
    request_body(content = String, content_type = "text/plain", description = "A witness's cosignature of the current checkpoint"),
    responses((status = 200, description = "Kept", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn cosign(
    State(st): State<Arc<AppState>>,
    body: axum::body::Body,
) -> Result<Json<Value>, ApiError> {
    // A checkpoint note with its signatures is a few hundred bytes.
    let bytes = crate::read_body(
        body,
        crate::MAX_SMALL_BODY,
        "a cosigned checkpoint is a short note",
    )
    .await?;
    let body = String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_cosignature",
            "the body is not UTF-8 text: expected a checkpoint note with its cosignature line",
        )
        .field("body")
    })?;
    let svc = st.service.clone();
    let c = tokio::task::spawn_blocking(move || svc.cosign(&body))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })??;
    Ok(Json(
        json!({"size": c.size, "added": c.added, "checkpoint": c.note}),
    ))
}

/// Every tile is final once served (a partial one too: its hashes are complete subtrees).
const IMMUTABLE: &str = "max-age=31536000, immutable";

#[utoipa::path(
    get,
    path = "/api/v1/log/tile/{path}",
    tag = "log",
    params(("path" = String, Path, description = "C2SP tlog-tiles hash tile: `<L>/<N>[.p/<W>]`, N in three-digit groups (`x001/x234/067`)")),
    responses((status = 200, description = "The tile's hashes, 32 bytes each (cached forever)", content_type = "application/octet-stream", body = Vec<u8>), crate::openapi::Refused)
)]
pub async fn tile(
    State(st): State<Arc<AppState>>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    tile_answer(&st, path, "public").await
}

#[utoipa::path(
    get,
    path = "/api/v1/log/tile/entries/{path}",
    tag = "log",
    params(("path" = String, Path, description = "C2SP tlog-tiles entry bundle: `<N>[.p/<W>]`")),
    responses((status = 200, description = "The leaves, each behind its length as a big-endian u16 (cached forever by the caller only: leaves are records, observers and all)", content_type = "application/octet-stream", body = Vec<u8>), crate::openapi::Refused)
)]
pub async fn entry_bundle(
    State(st): State<Arc<AppState>>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    tile_answer(&st, format!("entries/{path}"), "private").await
}

async fn tile_answer(st: &Arc<AppState>, path: String, scope: &str) -> Result<Response, ApiError> {
    let bytes = crate::on_service(st, move |svc| svc.log_tile(&path)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CACHE_CONTROL, format!("{scope}, {IMMUTABLE}")),
        ],
        bytes,
    )
        .into_response())
}
