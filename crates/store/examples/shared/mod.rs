//! What the store's benchmarks write: observations of a typical shape.

use truceline_store::NewObservation;

/// The shape and size (~330 bytes, 11 fields) of a typical canonical observation.
pub fn body(i: u64) -> Vec<u8> {
    format!(
        r#"{{"bearing_deg":{}.5,"bearing_sigma_deg":5,"distance_m":{{"max":5000,"min":2000}},"id":"b-{i}","kind":"explosion","observer":"op{:02}","observer_position":{{"lat":48.{:03},"lon":37.{:03}}},"source":"post","subtype":"impact","time":"2026-11-24T10:{:02}:{:02}Z"}}"#,
        i % 360, i % 60, i % 777, i % 1000, (i / 60) % 60, i % 60
    )
    .into_bytes()
}

/// Observation `k`, not yet committed or hashed.
pub fn observation(k: u64) -> NewObservation {
    NewObservation {
        id: format!("b-{k}"),
        observer: format!("op{:02}", k % 60),
        time_ms: 1_795_000_000_000 + k as i64 * 37,
        lon: 37.5,
        lat: 48.0,
        kind: "explosion".into(),
        body: body(k),
        leaf: None,
        salts: None,
    }
}
