//! Who may call what (SPEC 5), decided once per request before any handler runs.
//!
//! Every route states its rule in [`rule`]; a route that states none is refused to everyone
//! (deny by default), and a test reads the router's source so that a new route without a rule
//! fails. The caller is found from `Authorization: Bearer TOKEN` by the service (one hash and one
//! indexed read: revocation takes effect at once) and handed to handlers that shape what they
//! answer by it (a monitor submits only as its observers; the public edition of a report only
//! for a published day).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use truceline_service::accounts::{Access, Caller, Denied, READERS, Role};
use truceline_service::audit::AuditEntry;

use crate::{ApiError, AppState};

/// The rule of each route, by method and path as the router names it; `None` for a route no
/// rule names, which everyone is refused.
/// Who keeps the mission's other records.
pub(crate) const RECORDERS: &[Role] = &[Role::Monitor, Role::Analyst, Role::Chief];

pub fn rule(method: &Method, path: &str) -> Option<Access> {
    use Access::{Public, Roles};
    let read = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    Some(match path {
        "/healthz" | "/api/v1/healthz" if read => Public,
        "/metrics" if read => Roles(READERS),
        "/api/v1/observations" if post => Roles(&[Role::Monitor]),
        // The mission's other records: monitors report from the field, analysts and the chief
        // enter what reaches them otherwise (a party's declaration, a hospital's count). A
        // monitor reads its own (the handler narrows), outside the mission only as totals.
        "/api/v1/records" if post => Roles(RECORDERS),
        "/api/v1/records" | "/api/v1/records/{id}" | "/api/v1/map/records" if read => {
            Roles(RECORDERS)
        }
        "/api/v1/observations" | "/api/v1/observations/{id}" if read => Roles(READERS),
        // Liaisons too: the handlers show them their party's incidents, as the public edition
        // does (`truceline_service::views`).
        "/api/v1/incidents"
        | "/api/v1/incidents/{id}"
        | "/api/v1/stream"
        | "/api/v1/map/incidents"
            if read =>
        {
            Roles(VIEWERS)
        }
        // An incident's evidence: the handler shows each caller what its view may see (the
        // public, incidents of published days), disclosing fields by role (SPEC 4.2).
        "/api/v1/incidents/{id}/evidence" if read => Public,
        "/api/v1/violations" | "/api/v1/summary" if read => Roles(READERS),
        // AIS comes from receivers' accounts, as observations from monitors'; vessels and
        // their behaviours are the mission's analysis (no observer in them: AIS is broadcast).
        "/api/v1/ais" if post => Roles(&[Role::Monitor, Role::Chief]),
        "/api/v1/vessels" | "/api/v1/vessels/events" if read => Roles(READERS),
        "/api/v1/incidents/{id}/decisions" if post => Roles(READERS),
        "/api/v1/incidents/{id}/replies" if post => Roles(&[Role::Liaison]),
        // Published days only, as the public edition shows them.
        "/api/v1/public/incidents" if read => Public,
        // The agreement's layers and the borders: public documents.
        "/api/v1/map/layers" if read => Public,
        // The API's description: what it takes, not what it holds.
        "/api/v1/openapi.json" if read => Public,
        // OGC API – Features: the handlers show each caller what its role may read (the zones
        // to all; incidents by the caller's view, published days only to the public; records
        // to those who keep them), so the door itself is open; reads by an account are audited
        // (see `check`).
        "/ogc"
        | "/ogc/api"
        | "/ogc/conformance"
        | "/ogc/collections"
        | "/ogc/collections/{id}"
        | "/ogc/collections/{id}/items"
        | "/ogc/collections/{id}/items/{item}"
            if read =>
        {
            Public
        }
        // The handler decides by edition: the public one of a published day is public, any
        // other needs a reader (see `reports::may_read`).
        "/api/v1/reports/daily" | "/api/v1/reports/daily/{date}" if read => Public,
        "/api/v1/reports/daily/{date}/publish" if post => Roles(&[Role::Chief]),
        // Anyone can check the log: its key, checkpoints and proofs.
        "/api/v1/log/key"
        | "/api/v1/log/keys"
        | "/api/v1/log/checkpoint"
        | "/api/v1/log/proof/inclusion"
        | "/api/v1/log/proof/consistency"
        | "/api/v1/log/tile/{*path}"
            if read =>
        {
            Public
        }
        // The leaves are the records themselves, observers and all.
        "/api/v1/log/entries" | "/api/v1/log/tile/entries/{*path}" if read => Roles(READERS),
        "/api/v1/log/cosignature" if post => Roles(&[Role::Witness]),
        // A monitor registers its devices' keys and lists its own; readers list all.
        "/api/v1/keys" if post => Roles(&[Role::Monitor]),
        "/api/v1/keys" if read => Roles(&[Role::Monitor, Role::Analyst, Role::Chief]),
        "/api/v1/audit" if read => Roles(&[Role::Chief]),
        // Accounts and tokens, managed while the server runs.
        "/api/v1/accounts" | "/api/v1/tokens" if read => Roles(&[Role::Chief]),
        "/api/v1/accounts"
        | "/api/v1/accounts/{name}/disable"
        | "/api/v1/accounts/{name}/enable"
        | "/api/v1/accounts/{name}/tokens"
        | "/api/v1/accounts/{name}/certificate"
            if post =>
        {
            Roles(&[Role::Chief])
        }
        "/api/v1/tokens/{id}" if *method == Method::DELETE => Roles(&[Role::Chief]),
        // Signing in and out, and asking who one is: anyone may try; the password is the check.
        "/api/v1/session" if post || read || *method == Method::DELETE => Public,
        _ => return None,
    })
}

/// Those who read incidents: the mission's readers whole, liaisons their party's.
pub const VIEWERS: &[Role] = &[Role::Analyst, Role::Chief, Role::Liaison];

/// The middleware: finds the caller, applies the route's rule, passes the caller on, and
/// audits the request (SPEC 5: every write, every read of restricted data, every refusal).
pub async fn check(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    let asked = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::Peer>>()
        .map(|c| c.0.0);
    let remote = peer.map(|p| p.to_string()).unwrap_or_default();
    let access = rule(&method, &path);
    // Health is never rate-limited: the probe that says the server is drowning must get in.
    let limited = if crate::limits::reserved_path(&path) {
        None
    } else {
        let sign_in = path == "/api/v1/session" && method == Method::POST;
        crate::limits::check_address(&st, peer.map(|p| p.ip()), sign_in)
    };
    let (caller, response) = match limited {
        None => admit(&st, access, &path, req, next).await,
        Some(r) => (Caller::Public, r),
    };
    let status = response.status();
    // An account's read of OGC items or of an incident's evidence may be of restricted data
    // (its view decides): audited.
    let restricted = matches!(access, Some(Access::Roles(_)))
        || ((path.starts_with("/ogc/collections/{id}/items")
            || path == "/api/v1/incidents/{id}/evidence")
            && matches!(caller, Caller::Account(_)));
    if !is_read(&method)
        || restricted
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
    {
        st.service.audit(AuditEntry {
            account: caller.name().to_string(),
            role: match &caller {
                Caller::Account(p) => p.role.as_str().to_string(),
                Caller::Open => "open".into(),
                Caller::Public => "public".into(),
            },
            method: method.to_string(),
            path: asked,
            remote,
            status: status.as_u16(),
            time: jiff::Timestamp::now(),
        });
    }
    response
}

/// Applies the rule: the caller as far as known, and the answer.
async fn admit(
    st: &Arc<AppState>,
    access: Option<Access>,
    path: &str,
    mut req: Request,
    next: Next,
) -> (Caller, Response) {
    let Some(access) = access else {
        // The path has rules for other methods: this one is not served (the handler never
        // runs either way).
        let allowed: Vec<&str> = [Method::GET, Method::POST, Method::DELETE]
            .iter()
            .filter(|m| rule(m, path).is_some())
            .map(Method::as_str)
            .collect();
        if !allowed.is_empty() {
            let mut r = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "{} is not served here; this endpoint takes {}",
                    req.method(),
                    allowed.join(", ")
                ),
            )
            .into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&allowed.join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            return (Caller::Public, r);
        }
        let e = ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "no access rule names this endpoint; it is refused to everyone",
        );
        return (Caller::Public, e.into_response());
    };
    let caller = if st.open {
        Ok(Caller::Open)
    } else {
        match (bearer(&req), session_cookie(&req)) {
            (Err(e), _) => Err(e),
            // A public endpoint needs no identity: a stale cookie must not stand in the way of
            // signing in again. A valid one still says who reads, for the endpoints that show
            // each reader what its role may see (an incident's evidence, OGC items).
            (Ok(None), Some(secret)) if access == Access::Public => Ok(if is_read(req.method()) {
                st.service.session_caller(secret).unwrap_or(Caller::Public)
            } else {
                Caller::Public
            }),
            (Ok(None), Some(secret)) => {
                // A browser's cookie rides along on any request a page elsewhere makes it
                // send: writes made with one must come from our own pages.
                if !is_read(req.method()) && !same_origin(&req) {
                    let e = ApiError::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "a write signed in by cookie must come from this server's own pages (Origin)",
                    );
                    return (Caller::Public, e.into_response());
                }
                st.service.session_caller(secret)
            }
            (Ok(token), _) => st.service.caller(token),
        }
    };
    let caller = match caller {
        Ok(c) => c,
        Err(d) => return (Caller::Public, denied(d)),
    };
    if let Err(d) = access.check(&caller) {
        return (caller, denied(d));
    }
    // On a connection let in past the limit, health and the chief only.
    let reserved = req.extensions().get::<crate::limits::Admission>()
        == Some(&crate::limits::Admission::Reserved);
    let chief = matches!(&caller, Caller::Account(p) if p.role == Role::Chief);
    if reserved && !chief && !crate::limits::reserved_path(path) {
        return (caller, crate::limits::busy());
    }
    if let Caller::Account(p) = &caller
        && !chief
        && let Some(r) = crate::limits::check_account(st, &p.account)
    {
        return (caller, r);
    }
    req.extensions_mut().insert(caller.clone());
    (caller, next.run(req).await)
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "truceline_session";

fn is_read(m: &Method) -> bool {
    *m == Method::GET || *m == Method::HEAD
}

/// The session cookie's secret, if the request carries one.
pub fn session_cookie(req: &Request) -> Option<&str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

/// Whether the request's `Origin` is this server (scheme-less comparison with `Host`).
fn same_origin(req: &Request) -> bool {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|h| h.to_str().ok());
    match (host, origin) {
        (Some(h), Some(o)) => o
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == h),
        _ => false,
    }
}

/// The bearer token of a request, if it sends one; a malformed header is refused.
pub(crate) fn bearer(req: &Request) -> Result<Option<&str>, Denied> {
    match req.headers().get(header::AUTHORIZATION) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Some(t.trim()))
            .ok_or(Denied::Unauthenticated),
    }
}

/// 401 with `WWW-Authenticate: Bearer`, or 403, in the error envelope.
pub fn denied(d: Denied) -> Response {
    denied_error(d).into_response()
}

/// The error a refusal answers: 401 (`unauthorized`, asking for a bearer token) or 403
/// (`forbidden`).
pub fn denied_error(d: Denied) -> ApiError {
    match d {
        Denied::Unauthenticated => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", d.to_string()).bearer()
        }
        Denied::Forbidden { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", d.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the router declares has a rule: read from the router's own source, so that
    /// adding a route without one fails here rather than answering 403 in the field.
    #[test]
    fn every_route_has_a_rule() {
        let src = include_str!("lib.rs");
        let mut routes = 0;
        for chunk in src.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).expect("a route's path");
            // The methods: up to the end of this `.route(…)` call.
            let mut depth = 1;
            let end = chunk
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(chunk.len(), |(i, _)| i);
            let call = &chunk[..end];
            for (name, method) in [
                ("get(", Method::GET),
                ("post(", Method::POST),
                ("delete(", Method::DELETE),
            ] {
                if call.contains(name) {
                    routes += 1;
                    assert!(
                        rule(&method, path).is_some(),
                        "{method} {path} has no access rule in access::rule"
                    );
                }
            }
        }
        assert!(
            routes >= 20,
            "found only {routes} routes: the reading is broken"
        );
    }

    #[test]
    fn a_route_without_a_rule_is_refused_and_roles_are_checked() {
        assert_eq!(rule(&Method::DELETE, "/api/v1/observations"), None);
        assert_eq!(rule(&Method::GET, "/api/v1/new-thing"), None);
        let chief = Caller::Account(truceline_service::accounts::Principal {
            account: "c".into(),
            role: Role::Chief,
            party: None,
            observers: None,
        });
        let publish = rule(&Method::POST, "/api/v1/reports/daily/{date}/publish").unwrap();
        assert_eq!(publish.check(&chief), Ok(()));
        assert_eq!(publish.check(&Caller::Public), Err(Denied::Unauthenticated));
        assert!(matches!(
            rule(&Method::POST, "/api/v1/observations")
                .unwrap()
                .check(&chief),
            Err(Denied::Forbidden { .. })
        ));
    }
}
