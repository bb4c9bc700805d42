//! The OpenAPI 3 description of `/api/v1`, generated from the handlers' own annotations
//! (`#[utoipa::path]` beside each handler, the query structs' fields as parameters): served at
//! `/api/v1/openapi.json`. A test checks that every route of the router is described, so a
//! route cannot be added without its description.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The JSON error envelope every refusal uses (described here, written by `ApiError`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What was refused and why.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// A stable code (`invalid_parameter`, `invalid_observation`, `forbidden`, …).
    code: String,
    /// What is wrong and what is expected, in words.
    message: String,
    /// The field or parameter at fault, if one is.
    field: Option<String>,
    /// The line of an NDJSON body at fault, if one is.
    line: Option<u64>,
}

/// Every operation's refusals, described once: any status an operation answers other than its
/// success carries the error envelope.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Refused {
    /// Refused or failed: the JSON error envelope, naming the field and what is expected.
    #[response(status = "default")]
    Error(ErrorBody),
}

/// Bearer tokens (`truceline tokens issue NAME`) or the dashboard's session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Truceline API",
        description = "Observations, incidents, the mission's other records, reports and the evidence log of a ceasefire monitoring mission. Who may call what is in the README (\"Who sees what\"); refusals use the error envelope.",
    ),
    paths(
        crate::list_observations,
        crate::post_observations,
        crate::get_observation,
        crate::list_incidents,
        crate::get_incident,
        crate::get_evidence,
        crate::post_decision,
        crate::post_reply,
        crate::public_incidents,
        crate::list_violations,
        crate::ais::post_ais,
        crate::ais::vessels,
        crate::ais::events,
        crate::summary,
        crate::stream,
        crate::audit,
        crate::post_key,
        crate::list_keys,
        crate::healthz,
        crate::metrics,
        crate::records::post_records,
        crate::records::list_records,
        crate::records::get_record,
        crate::records::map_records,
        crate::map::layers,
        crate::map::incidents,
        crate::accounts::list,
        crate::accounts::add,
        crate::accounts::disable,
        crate::accounts::enable,
        crate::accounts::issue,
        crate::accounts::certificate,
        crate::accounts::tokens,
        crate::accounts::revoke,
        crate::reports::daily,
        crate::reports::publish,
        crate::reports::daily_at,
        crate::evidence::key,
        crate::evidence::keys,
        crate::evidence::get_checkpoint,
        crate::evidence::inclusion,
        crate::evidence::consistency,
        crate::evidence::entries,
        crate::evidence::tile,
        crate::evidence::entry_bundle,
        crate::evidence::cosign,
        crate::session::who,
        crate::session::sign_in,
        crate::session::sign_out
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Security),
    security((), ("bearer" = [])),
)]
pub struct ApiDoc;

/// The description as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn openapi_json() -> impl IntoResponse {
    Json(document())
}

#[cfg(test)]
mod tests {
    /// Every route of the router under `/api/v1` is described, with each of its methods.
    #[test]
    fn every_api_route_is_described() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let src = include_str!("lib.rs");
        let router = &src[src.find("pub fn router(").unwrap()..];
        let router = &router[..router.find(".route_layer(").unwrap()];
        let mut seen = 0;
        for part in router.split(".route(").skip(1) {
            // A catch-all (`{*path}`) is described as a plain parameter.
            let path = &part.split('"').nth(1).unwrap().replace("{*", "{");
            if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
                continue;
            }
            let methods = &part[..part.find("))").map_or(part.len(), |i| i + 2)];
            for (m, marks) in [
                ("get", ["get(", "get("]),
                ("post", [".post(", "routing::post("]),
                ("delete", [".delete(", "routing::delete("]),
            ] {
                if marks.iter().any(|k| methods.contains(k)) {
                    assert!(
                        doc["paths"][path][m].is_object(),
                        "{} {path} is routed but not described",
                        m.to_uppercase()
                    );
                    // Its refusals: the error envelope.
                    assert!(
                        doc["paths"][path][m]["responses"]["default"]
                            .to_string()
                            .contains("#/components/schemas/ErrorBody"),
                        "{} {path}: {}",
                        m.to_uppercase(),
                        doc["paths"][path][m]["responses"]
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen >= 40, "{seen} operations found in the router");
    }
}
