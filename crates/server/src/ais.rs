//! AIS in the server (SPEC 8): NMEA over `POST /api/v1/ais` and a receiver's raw TCP feed
//! (`serve --ais-listen`), vessels and their events read back at `/api/v1/vessels…`. A thin
//! translation: decoding, tracks and detectors are the service's (`truceline_service::maritime`).

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use truceline_maritime::Kind;

use crate::{
    ApiError, AppState, bad_param, in_blocking, media_type, read_body, unsupported_media_type,
};

/// Most bytes one request of NMEA may hold (about 100,000 sentences).
const MAX_AIS_BODY: usize = 8 * 1024 * 1024;

#[utoipa::path(
    post,
    path = "/api/v1/ais",
    tag = "maritime",
    request_body(content((String = "text/plain")), description = "NMEA 0183 AIS sentences (`!AIVDM`/`!AIVDO`), one a line, with NMEA 4.10 tag blocks or leading timestamps for the time received"),
    responses((status = 200, description = "Lines read, messages decoded, lines refused with the first reasons", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn post_ais(
    State(st): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<truceline_service::accounts::Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let media = media_type(&headers);
    if media != "text/plain" {
        return Err(unsupported_media_type(
            media,
            "text/plain (NMEA sentences, one a line)",
        ));
    }
    let bytes = read_body(body, MAX_AIS_BODY, "send the sentences in smaller requests").await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty",
            "the request holds no sentences; expected NMEA 0183 AIS sentences, one a line",
        ));
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
        bad_param(
            "body",
            format!(
                "expected NMEA text in UTF-8; byte {} is not",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let intake = crate::on_service(&st, move |svc| svc.take_ais(caller.name(), &text)).await?;
    Ok(Json(serde_json::to_value(intake).expect("serialisable")))
}

#[utoipa::path(
    get,
    path = "/api/v1/vessels",
    tag = "maritime",
    responses((status = 200, description = "Every vessel heard: MMSI, IMO number, name, the flag its MMSI claims, last position and speed, the sanctions entry it matches", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn vessels(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let svc = st.service.clone();
    let v = in_blocking(move || Ok(svc.maritime.vessels())).await?;
    Ok(Json(json!({ "vessels": v })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventParams {
    /// One behaviour: gap, encounter, loitering, spoofing, identity_change, port_call, listed.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// One vessel's events (an encounter is both its vessels').
    mmsi: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/vessels/events",
    tag = "maritime",
    params(EventParams),
    responses((status = 200, description = "The behaviours found, closed and still open (no `end`), oldest first", body = serde_json::Value), crate::openapi::Refused)
)]
pub(crate) async fn events(
    State(st): State<Arc<AppState>>,
    Query(p): Query<EventParams>,
) -> Result<Json<Value>, ApiError> {
    let kind = match p.kind.as_deref() {
        None => None,
        Some(k) => Some(
            Kind::ALL
                .into_iter()
                .find(|x| x.as_str() == k)
                .ok_or_else(|| {
                    bad_param(
                        "type",
                        format!(
                            "expected one of {}; got {k:?}",
                            Kind::ALL.map(|x| x.as_str()).join(", ")
                        ),
                    )
                })?,
        ),
    };
    let mmsi = match p.mmsi.as_deref() {
        None => None,
        Some(m) => Some(
            m.parse::<u32>()
                .ok()
                .filter(|&m| m < 1_000_000_000)
                .ok_or_else(|| {
                    bad_param("mmsi", format!("expected up to nine digits; got {m:?}"))
                })?,
        ),
    };
    let svc = st.service.clone();
    let ev = in_blocking(move || Ok(svc.maritime.events(kind, mmsi))).await?;
    Ok(Json(json!({ "events": ev })))
}

/// Longest line a receiver may send: NMEA's are 82 characters; tag blocks add some.
const MAX_LINE: usize = 1_024;
/// Receivers connected at once.
const MAX_FEEDS: usize = 16;
/// Lines taken into the tracks at a time.
const BATCH: usize = 512;

/// A receiver's or aggregator's raw NMEA over TCP, as they send it (no greeting, no framing but
/// lines). Receivers cannot sign in, so the port should listen where only they reach it; each
/// connection is audited. A line too long closes the connection; refused lines are counted.
pub async fn serve_feed(
    st: Arc<AppState>,
    listener: tokio::net::TcpListener,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_FEEDS));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = closing.changed() => return,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "AIS feed refused: {MAX_FEEDS} already connected");
            continue;
        };
        let st = st.clone();
        let mut closing = closing.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // A receiver has no account: the connection itself is what the trail keeps.
            st.service.audit(truceline_service::audit::AuditEntry {
                account: "-".into(),
                role: "receiver".into(),
                method: "AIS".into(),
                path: "connect".into(),
                remote: peer.to_string(),
                status: 200,
                time: jiff::Timestamp::now(),
            });
            let mut reader = tokio::io::BufReader::new(stream);
            let mut buf = Vec::with_capacity(256);
            let mut batch = String::new();
            let mut n = 0;
            loop {
                buf.clear();
                let mut limited = (&mut reader).take(MAX_LINE as u64 + 1);
                let read = tokio::select! {
                    r = limited.read_until(b'\n', &mut buf) => r,
                    _ = closing.changed() => break,
                };
                match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) if buf.len() > MAX_LINE && !buf.ends_with(b"\n") => {
                        tracing::warn!(%peer, "AIS feed closed: a line longer than {MAX_LINE} bytes");
                        break;
                    }
                    Ok(_) => {
                        batch.push_str(&String::from_utf8_lossy(&buf));
                        n += 1;
                        if n == BATCH || reader.buffer().is_empty() {
                            let text = std::mem::take(&mut batch);
                            let svc = st.service.clone();
                            take_feed(svc, peer, text).await;
                            n = 0;
                        }
                    }
                }
            }
            if !batch.is_empty() {
                let svc = st.service.clone();
                take_feed(svc, peer, batch).await;
            }
        });
    }
}

/// Takes a receiver's lines; a behaviour the store could not log waits for the next ones.
async fn take_feed(svc: Arc<truceline_service::Service>, peer: std::net::SocketAddr, text: String) {
    let taken = tokio::task::spawn_blocking(move || svc.take_ais(FEED_ACCOUNT, &text)).await;
    if let Ok(Err(error)) = taken {
        tracing::warn!(%peer, %error, "AIS feed: behaviours not yet logged");
    }
}

/// The account a receiver's behaviours are logged under: a feed has none of its own.
const FEED_ACCOUNT: &str = "ais-listen";
