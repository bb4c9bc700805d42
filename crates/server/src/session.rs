//! Signing in from a browser: `POST /api/v1/session` with `{"name","password"}` opens a session
//! held in an `HttpOnly; SameSite=Strict` cookie (so a page's script cannot read it and another
//! site's page cannot send it); `DELETE` closes it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use truceline_service::accounts::Caller;
use truceline_service::views::View;

use crate::access::{SESSION_COOKIE, bearer, session_cookie};
use crate::{ApiError, AppState};

/// The largest sign-in body: a name and a password.
const MAX_BODY: usize = 4096;

#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body(content = serde_json::Value, content_type = "application/json", description = "`{\"name\", \"password\"}`"),
    responses((status = 200, description = "Signed in: an HttpOnly session cookie", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn sign_in(State(st): State<Arc<AppState>>, req: Request) -> Result<Response, ApiError> {
    // JSON only: a form on another site's page cannot sign a browser in to an account of its own.
    if !crate::write_type(req.headers())? {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "a sign-in is application/json",
        )
        .field("Content-Type"));
    }
    let bytes = crate::read_body(
        req.into_body(),
        MAX_BODY,
        "a sign-in is a name and a password",
    )
    .await?;
    let v = truceline_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("expected {{\"name\": …, \"password\": …}}: {e}"),
        )
        .field(e.field_or("body"))
    })?;
    let field = |k: &'static str| {
        v[k].as_str().map(str::to_string).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                format!("`{k}`: expected a string"),
            )
            .field(k)
        })
    };
    let (name, password) = (field("name")?, field("password")?);
    let svc = st.service.clone();
    let who = name.clone();
    // argon2 and the wait after failures are slow on purpose: off the async workers.
    let secret = tokio::task::spawn_blocking(move || {
        let now = jiff::Timestamp::now().as_millisecond();
        svc.sessions
            .sign_in(svc.store.as_ref(), &who, &password, now)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|e| match e {
        // The password was right (or the account unknown); the store failed to keep or read it.
        truceline_service::accounts::AccountError::Store(e) => ApiError::store(e),
        _ => {
            tracing::info!(account = %name, "sign-in refused");
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the name or the password is wrong (or the account is disabled)",
            )
        }
    })?;
    // Under TLS the cookie never travels in clear.
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        truceline_service::accounts::SESSION_MS / 1000,
        if st.tls { "; Secure" } else { "" }
    );
    let caller = st.service.session_caller(&secret).unwrap_or(Caller::Public);
    let mut r = Json(whoami(&caller)).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("the cookie is ASCII"),
    );
    Ok(r)
}

/// `GET /api/v1/session`: who the request's cookie or token signs in as, so that a page shows
/// what its reader may use; the public (`{"account": null}`) without either.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    responses((status = 200, description = "Who the caller is", body = serde_json::Value), crate::openapi::Refused)
)]
pub async fn who(State(st): State<Arc<AppState>>, req: Request) -> Json<serde_json::Value> {
    let caller = if st.open {
        Caller::Open
    } else {
        match (bearer(&req), session_cookie(&req)) {
            (Ok(Some(t)), _) => st.service.caller(Some(t)),
            (Ok(None), Some(c)) => st.service.session_caller(c),
            _ => Ok(Caller::Public),
        }
        .unwrap_or(Caller::Public)
    };
    Json(whoami(&caller))
}

fn whoami(caller: &Caller) -> serde_json::Value {
    match caller {
        Caller::Account(p) => json!({
            "account": p.account, "role": p.role.as_str(), "party": p.party,
            "sees_observers": View::of(caller) == View::Full,
        }),
        Caller::Open => {
            json!({"account": null, "role": "open", "party": null, "sees_observers": true})
        }
        Caller::Public => {
            json!({"account": null, "role": "public", "party": null, "sees_observers": false})
        }
    }
}

#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    responses((status = 204, description = "Signed out: the session ended and its cookie cleared"), crate::openapi::Refused)
)]
pub async fn sign_out(State(st): State<Arc<AppState>>, req: Request) -> Response {
    if let Some(secret) = session_cookie(&req).map(str::to_string) {
        // A store write: off the async workers. Not ended, the session would still be good
        // elsewhere: the caller is told, and may sign out again.
        let ended = crate::on_service(&st, move |svc| {
            Ok(svc.sessions.sign_out(svc.store.as_ref(), &secret)?)
        })
        .await;
        if let Err(e) = ended {
            return e.into_response();
        }
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "truceline_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        ),
    );
    r
}
