//! Observations in, end to end against the real binary: the HTTP API, import, the simulator,
//! the demo, and a crash under load.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use truceline_store::{ObservationStore, SqliteStore};

mod common;
use common::*;

fn observation(id: &str, bearing: f64) -> Value {
    json!({"id": id, "observer": "op7", "source": "post", "time": "2026-11-24T10:00:00Z",
           "kind": "explosion", "subtype": "impact", "observer_position": {"lon": 37.75, "lat": 48.05},
           "bearing_deg": bearing, "bearing_sigma_deg": 5, "distance_m": {"min": 2000, "max": 5000},
           "weapon": "mlrs"})
}

#[test]
fn http_api_accepts_refuses_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--max-body", "4096"]);

    // One JSON object, pretty-printed over several lines.
    let one = serde_json::to_string_pretty(&observation("a-1", 200.0)).unwrap();
    let (st, v) = post(&s.base, &one, "application/json");
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["results"][0],
        json!({"line": 1, "id": "a-1", "status": "accepted", "log_index": 1})
    );

    // Re-sent as it was: a no-op.
    let (st, v) = post(&s.base, &one, "application/json");
    assert_eq!(
        (st, v["accepted"].clone(), v["results"][0]["status"].clone()),
        (200, json!(0), json!("duplicate"))
    );

    // The same id with other content: 409, the stored one unchanged.
    let other = observation("a-1", 201.0).to_string();
    let (st, v) = post(&s.base, &other, "application/x-ndjson");
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "conflict");
    assert_eq!(v["error"]["field"], "id");
    let (_, stored) = get(&s.base, "/api/v1/observations/a-1");
    assert_eq!(stored["observation"]["bearing_deg"], 200);
    assert_eq!(stored["log_index"], 1, "leaf 0 logs the agreement");

    // NDJSON with a bad second line: 400 naming line and field, and nothing written.
    let body = format!(
        "{}\n{}\n",
        observation("b-1", 10.0),
        observation("b-2", 400.0)
    );
    let (st, v) = post(&s.base, &body, "application/x-ndjson");
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        (v["error"]["line"].clone(), v["error"]["field"].clone()),
        (json!(2), json!("bearing_deg"))
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2: field `bearing_deg`: expected a number from 0 to 360"),
        "{v}"
    );
    assert_eq!(
        get(&s.base, "/api/v1/observations/b-1").0,
        404,
        "nothing of a refused request is written"
    );

    // A good NDJSON batch: per-line results.
    let body = format!(
        "{}\n\n{}\n",
        observation("b-1", 10.0),
        observation("b-2", 20.0)
    );
    let (st, v) = post(&s.base, &body, "application/x-ndjson");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["results"][1]["line"], 2);
    assert_eq!(v["results"][1]["log_index"], 3);

    // Over the size limit: 413 with the limit named.
    let big: String = (0..40)
        .map(|i| format!("{}\n", observation(&format!("c-{i}"), 1.0)))
        .collect();
    let (st, v) = post(&s.base, &big, "application/x-ndjson");
    assert_eq!(st, 413, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("4096 bytes")
    );

    // Queries.
    let (st, v) = get(&s.base, "/api/v1/observations?observer=op7&limit=2");
    assert_eq!(st, 200);
    assert_eq!(v["observations"].as_array().unwrap().len(), 2);
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, v) = get(
        &s.base,
        &format!("/api/v1/observations?observer=op7&limit=2&cursor={cursor}"),
    );
    assert_eq!(v["observations"][0]["observation"]["id"], "b-2");
    assert!(v["next_cursor"].is_null());
    let (_, v) = get(
        &s.base,
        "/api/v1/observations?bbox=37.7,48.0,37.8,48.1&from=2026-11-24T09:00:00Z&to=2026-11-24T11:00:00Z",
    );
    assert_eq!(v["observations"].as_array().unwrap().len(), 3);
    let (_, v) = get(&s.base, "/api/v1/observations?bbox=0,0,1,1");
    assert_eq!(v["observations"].as_array().unwrap().len(), 0);
    let (st, v) = get(&s.base, "/api/v1/observations?bbox=1,2,3");
    assert_eq!((st, v["error"]["field"].clone()), (400, json!("bbox")));
    let (st, v) = get(&s.base, "/api/v1/observations?limit=0");
    assert_eq!((st, v["error"]["field"].clone()), (400, json!("limit")));
    let (st, v) = get(&s.base, "/api/v1/observations?from=yesterday");
    assert_eq!((st, v["error"]["field"].clone()), (400, json!("from")));

    // Health, metrics, the page.
    assert_eq!(get(&s.base, "/api/v1/healthz").1["status"], "ok");
    let (_, m) = get(&s.base, "/metrics");
    let m = m.as_str().unwrap().to_string();
    assert!(
        m.contains("truceline_observations_total{outcome=\"accepted\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("truceline_observations_total{outcome=\"duplicate\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("truceline_refused_requests_total{reason=\"conflict\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("truceline_refused_requests_total{reason=\"too_large\"} 1"),
        "{m}"
    );
    assert!(m.contains("truceline_commit_seconds_count"), "{m}");
    let (_, page) = get(&s.base, "/");
    assert!(page.as_str().unwrap().contains("/assets/dashboard.js"));
}

#[test]
fn graceful_shutdown_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = serve(dir.path(), &[]);
    let (st, _) = post(
        &s.base,
        &observation("t-1", 1.0).to_string(),
        "application/json",
    );
    assert_eq!(st, 200);
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.get("t-1").unwrap().is_some());
}

#[test]
fn import_ndjson_csv_and_geojson_into_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nd = dir.path().join("a.ndjson");
    std::fs::write(
        &nd,
        format!(
            "{}\n{}\n{}\n",
            observation("n-1", 1.0),
            observation("n-2", 400.0),
            observation("n-3", 3.0)
        ),
    )
    .unwrap();
    let csv = dir.path().join("b.csv");
    std::fs::write(&csv, "id,observer,source,time,kind,subtype,bearing_deg,bearing_sigma_deg,distance_min_m,distance_max_m,observer_lon,observer_lat,weapon\n\
        c-1,op2,post,2026-11-24T10:00:00Z,explosion,impact,120,5,1000,3000,37.7,48.0,unknown\n\
        c-2,op2,post,2026-11-24T10:01:00Z,explosion,impact,east,5,1000,3000,37.7,48.0,\n").unwrap();
    let gj = dir.path().join("c.geojson");
    std::fs::write(&gj, json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "g-1", "geometry": {"type": "Point", "coordinates": [37.9, 48.2]},
         "properties": {"observer": "uav1", "source": "uav", "time": "2026-11-24T11:00:00Z", "kind": "weapon", "weapon": "tanks", "party": "ru", "uncertainty_m": 30}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [37.9, 48.2]},
         "properties": {"id": "g-2", "observer": "uav1", "time": "2026-11-24T11:00:00Z", "kind": "weapon", "weapon": "howitzer", "uncertainty_m": 30}}
    ]}).to_string()).unwrap();
    let out = Command::new(bin())
        .args(["import", "--agreement"])
        .arg(agreement())
        .arg("--data")
        .arg(&data)
        .args([&nd, &csv, &gj])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "some were refused: {err}");
    assert!(
        err.contains("accepted 4 new, 0 already stored, refused 3"),
        "{err}"
    );
    assert!(err.contains("a.ndjson:2: field `bearing_deg`: expected a number from 0 to 360 degrees from true north, found 400"), "{err}");
    assert!(err.contains("b.csv:3: field `bearing_deg`: expected a number from 0 to 360 degrees from true north, found the string \"east\""), "{err}");
    assert!(
        err.contains("c.geojson#/features/1: field `weapon`: unknown weapon class \"howitzer\""),
        "{err}"
    );
    let store = SqliteStore::open(&data).unwrap();
    for id in ["n-1", "n-3", "c-1", "g-1"] {
        assert!(store.get(id).unwrap().is_some(), "{id}");
    }
    let g1: Value = serde_json::from_slice(&store.get("g-1").unwrap().unwrap().body).unwrap();
    assert_eq!(
        g1["location"],
        json!({"lon": 37.9, "lat": 48.2, "uncertainty_m": 30})
    );
    drop(store);

    // Importing the same file again changes nothing; the agreement stored by the first import is
    // used without --agreement.
    let out = Command::new(bin())
        .arg("import")
        .arg("--data")
        .arg(&data)
        .arg(&nd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("accepted 0 new, 2 already stored, refused 1"),
        "{err}"
    );

    // A directory with no agreement needs one named.
    let out = Command::new(bin())
        .arg("import")
        .arg("--data")
        .arg(dir.path().join("empty"))
        .arg(&nd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("holds no agreement yet; pass --agreement FILE"),
        "{err}"
    );
}

#[test]
fn import_to_a_running_server_sets_bad_lines_aside() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(&dir.path().join("data"), &[]);
    let nd = dir.path().join("a.ndjson");
    let lines: String = (0..50)
        .map(|i| {
            format!(
                "{}\n",
                observation(&format!("s-{i}"), if i == 17 { -5.0 } else { 45.0 })
            )
        })
        .collect();
    std::fs::write(&nd, lines).unwrap();
    let monitor = s.tokens.as_ref().unwrap().monitor.clone();
    let out = Command::new(bin())
        .args(["import", "--batch", "20", "--server", &s.base])
        .env("TRUCELINE_TOKEN", &monitor)
        .arg(&nd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("accepted 49 new, 0 already stored, refused 1"),
        "{err}"
    );
    assert!(err.contains("a.ndjson:18: field `bearing_deg`"), "{err}");
    // Without a token the server refuses, and nothing is imported.
    let out = Command::new(bin())
        .args(["import", "--server", &s.base])
        .env_remove("TRUCELINE_TOKEN")
        .arg(&nd)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(bin())
        .args(["import", "--server", &s.base])
        .env("TRUCELINE_TOKEN", &monitor)
        .arg(&nd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("accepted 0 new, 49 already stored, refused 1"),
        "{err}"
    );
}

fn simulate(dir: &Path, seed: u64, hours: &str) -> (String, String) {
    let (o, t) = (
        dir.join(format!("o{seed}.ndjson")),
        dir.join(format!("t{seed}.ndjson")),
    );
    let st = Command::new(bin())
        .args(["simulate", "--agreement"])
        .arg(agreement())
        .args([
            "--seed",
            &seed.to_string(),
            "--hours",
            hours,
            "--observations",
        ])
        .arg(&o)
        .arg("--truth")
        .arg(&t)
        .status()
        .unwrap();
    assert!(st.success());
    (
        std::fs::read_to_string(o).unwrap(),
        std::fs::read_to_string(t).unwrap(),
    )
}

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let (dl, dn) = ((b.0 - a.0).to_radians(), la2 - la1);
    let h = (dn / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

#[test]
fn simulate_is_deterministic_and_physical() {
    let dir = tempfile::tempdir().unwrap();
    let (o1, t1) = simulate(dir.path(), 7, "3");
    let (o1b, t1b) = simulate(&dir.path().join(".."), 7, "3");
    assert_eq!(
        (o1.as_str(), t1.as_str()),
        (o1b.as_str(), t1b.as_str()),
        "same seed, same scenario"
    );
    let (o2, _) = simulate(dir.path(), 8, "3");
    assert_ne!(o1, o2);

    let obs: Vec<Value> = o1
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let truth: Vec<Value> = t1
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id: std::collections::HashMap<&str, &Value> =
        obs.iter().map(|o| (o["id"].as_str().unwrap(), o)).collect();
    assert!(truth.len() > 1000, "{} events", truth.len());

    // Every observation is valid under the agreement.
    let vocab = truceline_observation::Vocabulary::new(
        ["ua", "ru"],
        [
            "tanks",
            "artillery_lt_100mm",
            "mortars_le_120mm",
            "artillery_ge_100mm",
            "mlrs",
            "heavy_rocket_systems",
        ],
    );
    for o in &obs {
        truceline_observation::parse_value(o.clone(), &vocab)
            .unwrap_or_else(|e| panic!("{o}: {e}"));
    }
    // Every weapon class fires; outgoing and impact events both occur; small arms and sightings too.
    let kinds: std::collections::BTreeSet<String> = truth
        .iter()
        .map(|e| format!("{}/{}", e["kind"], e["subtype"]))
        .collect();
    for k in [
        "\"explosion\"/\"outgoing\"",
        "\"explosion\"/\"impact\"",
        "\"burst\"/null",
        "\"weapon\"/null",
    ] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
    let weapons: std::collections::BTreeSet<&str> =
        truth.iter().filter_map(|e| e["weapon"].as_str()).collect();
    assert!(weapons.len() >= 7, "{weapons:?}");

    // False alarms: about 3 % of observations are listed by no event.
    let listed: std::collections::HashSet<&str> = truth
        .iter()
        .flat_map(|e| {
            e["observations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
        })
        .collect();
    let false_share = 1.0 - listed.len() as f64 / obs.len() as f64;
    assert!(
        (0.02..0.04).contains(&false_share),
        "false alarms {false_share}"
    );

    // Sound: heard time − event time = distance / 343 m/s, give or take the clock error (±2 s)
    // and the reporting jitter. Light (camera) arrives at once.
    let mut checked = 0;
    for e in &truth {
        let et: jiff::Timestamp = e["time"].as_str().unwrap().parse().unwrap();
        let ep = (
            e["location"]["lon"].as_f64().unwrap(),
            e["location"]["lat"].as_f64().unwrap(),
        );
        for id in e["observations"].as_array().unwrap() {
            let o = by_id[id.as_str().unwrap()];
            if o.get("time_end").is_some() || o.get("observer_position").is_none() {
                continue;
            }
            let op = (
                o["observer_position"]["lon"].as_f64().unwrap(),
                o["observer_position"]["lat"].as_f64().unwrap(),
            );
            let d = haversine(ep, op);
            let ot: jiff::Timestamp = o["time"].as_str().unwrap().parse().unwrap();
            let dt = (ot.as_millisecond() - et.as_millisecond()) as f64 / 1000.0;
            let expected = if o["source"] == "camera" {
                0.0
            } else {
                d / 343.0
            };
            assert!(
                (dt - expected).abs() < 2.6 + expected * 0.01,
                "{id}: heard after {dt:.2} s, {d:.0} m away"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000);

    // Bearings: the error against the true bearing, divided by the stated sigma, has a
    // standard deviation of about 1 for each kind of sensor.
    let mut z: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for e in &truth {
        let ep = (
            e["location"]["lon"].as_f64().unwrap(),
            e["location"]["lat"].as_f64().unwrap(),
        );
        for id in e["observations"].as_array().unwrap() {
            let o = by_id[id.as_str().unwrap()];
            let Some(b) = o["bearing_deg"].as_f64() else {
                continue;
            };
            if o.get("time_end").is_some() {
                continue; // a window's bearing is to the exchange, not to each burst
            }
            let op = (
                o["observer_position"]["lon"].as_f64().unwrap(),
                o["observer_position"]["lat"].as_f64().unwrap(),
            );
            if haversine(ep, op) < 500.0 {
                continue; // too close for a spherical bearing to stand for the ellipsoidal one
            }
            let err = (b - initial_bearing(op, ep) + 540.0).rem_euclid(360.0) - 180.0;
            let sigma = o["bearing_sigma_deg"].as_f64().unwrap();
            z.entry(o["source"].as_str().unwrap().to_string())
                .or_default()
                .push(err / sigma);
        }
    }
    for (source, zs) in &z {
        let sd = (zs.iter().map(|x| x * x).sum::<f64>() / zs.len() as f64).sqrt();
        assert!(
            zs.len() < 50 || (0.85..1.2).contains(&sd),
            "{source}: {} bearings, sd {sd:.2} sigmas",
            zs.len()
        );
    }
    assert!(z.len() >= 3, "{:?}", z.keys().collect::<Vec<_>>());
}

fn initial_bearing(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dl = (b.0 - a.0).to_radians();
    let y = dl.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

#[test]
fn demo_serves_live_observations() {
    let port = free_port();
    let mut child = Command::new(bin())
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--speed",
            "900",
        ])
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let first_line = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    assert!(
        first_line.contains(&format!("http://127.0.0.1:{port}")),
        "{first_line}"
    );
    wait_ready(&base, &mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut counts = Vec::new();
    while Instant::now() < deadline {
        let (_, v) = get(&base, "/api/v1/summary");
        counts.push(v["observations"].as_u64().unwrap());
        if counts.len() > 2
            && counts[counts.len() - 1] > counts[counts.len() - 3]
            && counts[counts.len() - 3] > 0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(700));
    }
    let (_, v) = get(&base, "/api/v1/summary");
    assert!(v["agreement"]["illustrative"].as_bool().unwrap());
    assert!(v["observers"].as_u64().unwrap() >= 30, "{v}");
    let n = counts.len();
    assert!(
        n > 2 && counts[n - 1] > counts[n - 3] && counts[n - 3] > 0,
        "observations keep arriving: {counts:?}"
    );
    let (_, page) = get(&base, "/");
    assert!(page.as_str().unwrap().contains("/assets/dashboard.js"));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}
