//! The dashboard and the field form in a real browser (Debian's chromium, driven by npm
//! playwright-core from `tests/browser/`), against `truceline demo` fed live.
//!
//! Screenshots are kept in `target/browser-artifacts/`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, artifacts, browse, get};
use serde_json::Value;

/// `truceline demo` on a free port, a simulated hour every six seconds.
fn demo(data: &Path) -> Server {
    common::start(&[
        "demo".into(),
        "--speed".into(),
        "600".into(),
        "--data".into(),
        data.into(),
    ])
}

fn wait_for_incidents(base: &str, at_least: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, v) = get(base, "/api/v1/map/incidents");
        assert_eq!(status, 200, "{v}");
        let n = v["count"].as_u64().unwrap();
        if n >= at_least {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "the demo published only {n} incidents"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn dashboard_and_field_form_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = demo(&data);
    let n = wait_for_incidents(&server.base, 200);
    let shots = artifacts();
    let shots = shots.to_str().unwrap();

    let seen = browse("dashboard.mjs", &[&server.base, shots]);
    assert!(seen["shown"].as_u64().unwrap() >= n / 2, "{seen}");
    assert_eq!(seen["tamper"]["good"], true, "{seen}");
    assert_eq!(seen["tamper"]["altered"], false, "{seen}");
    assert!(
        seen["badge"].as_str().unwrap().starts_with("Verified"),
        "{seen}"
    );
    assert!(seen["ellipses_drawn"].as_u64().unwrap() > 0, "{seen}");
    assert!(seen["vessels_drawn"].as_u64().unwrap() > 10, "{seen}");
    for f in [
        "dashboard.png",
        "dashboard-filtered.png",
        "dashboard-incident.png",
        "dashboard-vessels.png",
    ] {
        assert!(
            Path::new(shots).join(f).metadata().unwrap().len() > 10_000,
            "{f}"
        );
    }

    let seen = browse(
        "field_form.mjs",
        &[&server.base, shots, data.to_str().unwrap()],
    );
    let observer = seen["observer"].as_str().unwrap();
    // Checked here too, apart from the browser: the server holds each of the four once.
    let (_, list) = get(
        &server.base,
        &format!("/api/v1/observations?observer={observer}&limit=100"),
    );
    let stored = list["observations"].as_array().unwrap();
    assert_eq!(stored.len(), 4, "{list}");
    assert!(stored.iter().all(|o| o["signed"] == true), "{list}");
    let mut kinds: Vec<&str> = stored
        .iter()
        .map(|o| o["observation"]["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["burst", "explosion", "shot", "weapon"]);
}

#[test]
fn signing_in_to_a_served_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::accounts(&data);
    let password = "correct horse battery";
    common::set_password(&data, "chief", password);
    let server = common::serve(&data, &[]);
    let shots = artifacts();
    let seen = browse(
        "signin.mjs",
        &[&server.base, shots.to_str().unwrap(), "chief", password],
    );
    assert!(
        seen["refused"].as_str().unwrap().contains("wrong"),
        "{seen}"
    );
    assert_eq!(seen["summary"], 200, "{seen}");
}

#[test]
fn pages_and_assets_are_served_with_validators() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::serve(dir.path(), &[]);
    let agent = common::agent();
    for (path, mime) in [
        ("/", "text/html"),
        ("/field/", "text/html"),
        ("/field/sw.js", "text/javascript"),
        ("/field/manifest.webmanifest", "application/manifest+json"),
        ("/assets/maplibre-gl.mjs", "text/javascript"),
        ("/assets/incidents.js", "text/javascript"),
        ("/assets/cluster.js", "text/javascript"),
        ("/assets/maplibre-gl-worker.mjs?v=6.17.0", "text/javascript"),
    ] {
        let r = agent.get(format!("{}{path}", server.base)).call().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with(mime), "{path}: {ct}");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let again = agent
            .get(format!("{}{path}", server.base))
            .header("If-None-Match", &etag)
            .call()
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
    let (status, v) = get(&server.base, "/api/v1/nothing");
    assert_eq!(status, 404);
    assert_eq!(v["error"]["code"], "not_found");
    let (status, layers) = get(&server.base, "/api/v1/map/layers");
    assert_eq!(status, 200);
    let names: Vec<&str> = layers["agreement"]["layers"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["layer"].as_str().unwrap())
        .collect();
    for l in [
        "party_area",
        "line_of_contact",
        "withdrawal_zone",
        "buffer",
        "disengagement",
    ] {
        assert!(names.contains(&l), "{l} in {names:?}");
    }
    // Ukraine's internationally recognised border: Crimea is within it (UN GA res. 68/262).
    let ukraine = layers["countries"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["a3"] == "UKR")
        .expect("Ukraine");
    let simferopol = (34.10, 44.95);
    assert!(
        contains(&ukraine["geometry"], simferopol),
        "Crimea within Ukraine's border"
    );
    let (status, v) = get(&server.base, "/api/v1/map/incidents?from=yesterday");
    assert_eq!(status, 400);
    assert_eq!(v["error"]["field"], "from");
    let (status, v) = get(&server.base, "/api/v1/map/incidents?format=csv");
    assert_eq!(status, 400);
    assert_eq!(v["error"]["field"], "format");
}

/// Whether a GeoJSON (Multi)Polygon holds a point (even–odd rule over every ring).
fn contains(geometry: &Value, (x, y): (f64, f64)) -> bool {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        _ => geometry["coordinates"].as_array().unwrap().iter().collect(),
    };
    let mut inside = false;
    for ring in polygons.iter().flat_map(|p| p.as_array().unwrap()) {
        let pts: Vec<(f64, f64)> = ring
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect();
        for w in pts.windows(2) {
            let ((x1, y1), (x2, y2)) = (w[0], w[1]);
            if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                inside = !inside;
            }
        }
    }
    inside
}

#[test]
fn a_liaisons_dashboard_holds_no_observer_anywhere_in_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = common::simulated_morning(dir.path(), 8, 3);
    let password = "a liaison's long password";
    common::accounts(&data);
    common::set_password(&data, "lia", password);
    let server = common::serve(&data, &[]);
    // Fusion has published before the page opens.
    wait_for_incidents(&server.base, 1);
    let shots = artifacts();
    let seen = browse(
        "liaison.mjs",
        &[&server.base, shots.to_str().unwrap(), "lia", password],
    );
    let page = format!("{}\n{}", seen["dom"], seen["panels"]);
    let words: std::collections::HashSet<&str> = page
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .collect();
    let mut positions = Vec::new();
    for line in std::fs::read_to_string(&obs).unwrap().lines() {
        let o: Value = serde_json::from_str(line).unwrap();
        for k in ["observer", "id"] {
            let v = o[k].as_str().unwrap();
            assert!(!words.contains(v), "the liaison's page names {v}");
        }
        for k in ["lon", "lat"] {
            if let Some(x) = o["observer_position"][k].as_f64() {
                positions.push(Value::from(x).to_string());
            }
        }
    }
    for p in positions {
        // As the page would write them: the panel's fixed five decimals, or as JSON gives them.
        let five = format!("{:.5}", p.parse::<f64>().unwrap());
        assert!(
            !page.contains(&p) && !page.contains(&five),
            "the liaison's page gives {p}"
        );
    }
    assert!(seen["listed"].as_u64().unwrap() > 0);
    assert!(
        seen["report_link"]
            .as_str()
            .unwrap()
            .contains("audience=public"),
        "{seen}"
    );
}

#[test]
fn the_field_form_signs_in_once_registers_its_key_and_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    common::run_ok(&[
        "users",
        "add",
        "op9",
        "--role",
        "monitor",
        "--observers",
        "fieldmon-*",
        "--data",
        d,
    ]);
    let password = "monitor's field password";
    common::set_password(&data, "op9", password);
    let server = common::serve(&data, &[]);
    let observer = "fieldmon-1";
    let seen = browse(
        "field_signin.mjs",
        &[
            &server.base,
            artifacts().to_str().unwrap(),
            "op9",
            password,
            observer,
        ],
    );
    assert!(
        seen["signed_in"].as_str().unwrap().contains("op9"),
        "{seen}"
    );
    let (_, list) = get(
        &server.base,
        &format!("/api/v1/observations?observer={observer}&limit=10"),
    );
    let stored = list["observations"].as_array().unwrap();
    assert_eq!(stored.len(), 2, "{list}");
    assert!(stored.iter().all(|o| o["signed"] == true), "{list}");
    let (_, keys) = get(&server.base, "/api/v1/keys");
    let key = seen["vkey"].as_str().unwrap().split('+').next().unwrap();
    assert!(
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == key && k["owner"] == "op9"),
        "{keys}"
    );
}

/// A server that cannot write (a full disk, injected as in `tests/reliability.rs`) shows the
/// reason on the dashboard.
#[test]
fn a_degraded_server_says_why_on_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::faulty_library(dir.path());
    let data = dir.path().join("data");
    common::accounts(&data);
    let data = data.canonicalize().unwrap();
    let password = "correct horse battery";
    common::set_password(&data, "chief", password);
    let full = dir.path().join("enospc");
    let server = common::serve_env(
        &data,
        &[],
        &[
            ("LD_PRELOAD", lib.as_os_str()),
            ("FAULTY_PREFIX", data.as_os_str()),
            ("FAULTY_ENOSPC", full.as_os_str()),
        ],
    );
    std::fs::write(&full, "").unwrap();
    let obs = r#"{"id":"h1","observer":"op7","time":"2026-11-24T10:00:00Z","kind":"explosion","observer_position":{"lon":37.75,"lat":48.05},"bearing_deg":90,"bearing_sigma_deg":5}"#;
    let (status, v) = common::post(&server.base, obs, "application/json");
    assert_eq!(status, 503, "{v}");
    let shots = artifacts();
    let seen = browse(
        "health.mjs",
        &[
            &server.base,
            shots.to_str().unwrap(),
            "chief",
            password,
            "degraded",
            // the server's reason, and the page's own words
            "the store cannot write",
            "The server is degraded",
        ],
    );
    assert!(
        seen["health"].as_str().unwrap().contains("disk is full"),
        "{seen}"
    );
}

/// The dashboard follows a rotation of the log key from the key it pinned (proof.js, under
/// Node's WebCrypto, the same code the browser runs): a genuine handover leads to the new key;
/// one signed by the new key alone, an announcement not in its checkpoint, or a current key no
/// rotation leads to is refused.
#[test]
fn the_dashboard_follows_a_rotation_of_the_log_key_and_refuses_a_forged_one() {
    use truceline_log::checkpoint::Checkpoint;
    use truceline_log::note::{Algorithm, Signer};
    use truceline_log::rotation::{self, Handover};
    use truceline_log::{Frontier, inclusion_proof, leaf_hash};
    let key = |seed| Signer::from_seed("example.org/log", Algorithm::Ed25519, [seed; 32]).unwrap();
    let (old, new) = (key(1), key(2));
    let record = rotation::record(&old.verifier(), &new.verifier(), "2026-12-04T00:00:00Z");
    let mut tree = Frontier::default();
    let mut stored = Vec::new();
    for i in 0u64..6 {
        stored.extend(tree.append(leaf_hash(&i.to_le_bytes())));
    }
    stored.extend(tree.append(leaf_hash(&rotation::leaf(&record))));
    let text = Checkpoint {
        origin: "example.org/log".into(),
        size: 7,
        root: tree.root(),
    }
    .text();
    let genuine = Handover {
        record,
        log_index: 6,
        checkpoint: rotation::sign_handover(&text, &old, &new).unwrap(),
        proof: inclusion_proof(6, 7, &stored).unwrap(),
    };
    // What the Rust verifier says of each, for comparison.
    assert!(rotation::follow(&old.verifier(), std::slice::from_ref(&genuine)).is_ok());
    let mut new_alone = genuine.clone();
    new_alone.checkpoint = new.sign_note(&text).unwrap();
    let mut moved = genuine.clone();
    moved.log_index = 5;
    let served =
        |h: &Handover| serde_json::json!({"key": new.verifier().encode(), "rotations": [h]});
    let (o, n) = (old.verifier().encode(), new.verifier().encode());
    let cases = serde_json::json!([
        {"name": "genuine", "served": served(&genuine), "pinned": o, "current": n},
        {"name": "new_alone", "served": served(&new_alone), "pinned": o, "current": n},
        {"name": "moved", "served": served(&moved), "pinned": o, "current": n},
        {"name": "unannounced", "served": served(&genuine), "pinned": o,
         "current": key(9).verifier().encode()},
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, cases.to_string()).unwrap();
    let seen = browse("rotation.mjs", &[file.to_str().unwrap()]);
    assert_eq!(seen["genuine"]["followed_to"], n, "{seen}");
    for forged in ["new_alone", "moved", "unannounced"] {
        assert!(seen[forged]["refused"].is_string(), "{forged}: {seen}");
    }
}
