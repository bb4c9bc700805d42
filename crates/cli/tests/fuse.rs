//! `truceline fuse` end to end: every observation in exactly one incident, the incident format
//! of SPEC 2.4, the same incidents whatever the input order, and the agreement's rules applied.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{accounts, free_port, with_token};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("truceline")
}

fn agreement() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/donbas/agreement.toml")
}

fn fuse(input: &Path) -> Vec<Value> {
    let out = Command::new(bin())
        .args(["fuse", "--agreement"])
        .arg(agreement())
        .arg("--in")
        .arg(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_simulated_scenario_fuses_into_incidents_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, truth) = (
        dir.path().join("obs.ndjson"),
        dir.path().join("truth.ndjson"),
    );
    let st = Command::new(bin())
        .args(["simulate", "--agreement"])
        .arg(agreement())
        .args(["--seed", "11", "--hours", "2", "--observations"])
        .arg(&obs)
        .arg("--truth")
        .arg(&truth)
        .status()
        .unwrap();
    assert!(st.success());
    let lines: Vec<String> = std::fs::read_to_string(&obs)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let incidents = fuse(&obs);

    // Every observation is in exactly one incident.
    let mut seen: Vec<&str> = incidents
        .iter()
        .flat_map(|i| {
            i["observations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
        })
        .collect();
    seen.sort_unstable();
    let n = seen.len();
    seen.dedup();
    assert_eq!(seen.len(), n, "an observation in two incidents");
    assert_eq!(n, lines.len(), "every observation is in an incident");
    // Far fewer incidents than observations: events seen by several are counted once.
    assert!(
        incidents.len() * 2 < lines.len(),
        "{} incidents of {} observations",
        incidents.len(),
        lines.len()
    );

    // The SPEC 2.4 fields.
    for i in &incidents {
        for k in [
            "id",
            "kind",
            "time",
            "location",
            "count",
            "control",
            "attribution",
            "violations",
            "observations",
        ] {
            assert!(i.get(k).is_some(), "{k} missing from {i}");
        }
        let a = &i["attribution"];
        let c = a["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        assert!(!a["basis"].as_str().unwrap().is_empty());
        if a["party"].is_null() {
            assert_eq!(c, 0.0);
        }
        if let Some(e) = i["error_ellipse_m"].as_object() {
            assert!(e["major"].as_f64().unwrap() >= e["minor"].as_f64().unwrap());
        }
    }
    // Fire after the agreement took effect is a ceasefire violation; some of it is attributed,
    // and weapons are seen inside their withdrawal zones.
    let rules: Vec<&str> = incidents
        .iter()
        .flat_map(|i| {
            i["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["rule"].as_str().unwrap())
        })
        .collect();
    assert!(
        rules.contains(&"ceasefire") && rules.contains(&"withdrawal"),
        "{rules:?}"
    );
    assert!(
        incidents
            .iter()
            .any(|i| i["attribution"]["party"].is_string())
    );

    // Reversed input, the same incidents.
    let rev = dir.path().join("rev.ndjson");
    let mut r = lines.clone();
    r.reverse();
    std::fs::write(&rev, r.join("\n") + "\n").unwrap();
    let key = |v: &[Value]| {
        let mut k: Vec<String> = v
            .iter()
            .map(|i| format!("{}{}{}", i["id"], i["location"], i["observations"]))
            .collect();
        k.sort();
        k
    };
    let (a, b) = (key(&fuse(&rev)), key(&incidents));
    assert!(
        a == b,
        "reversed input gave {} incidents, {} differ",
        a.len(),
        a.iter().filter(|k| !b.contains(k)).count()
    );
}

#[test]
fn weapons_are_judged_against_their_withdrawal_zones_and_allegations_do_not_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("obs.ndjson");
    let lines = [
        // MLRS 13 km from the line on ground "ua" holds: inside its 35 km zone.
        r#"{"id":"w1","observer":"uav1","source":"uav","time":"2026-11-24T10:00:00Z","kind":"weapon","weapon":"mlrs","location":{"lon":37.55,"lat":48.15,"uncertainty_m":30}}"#,
        // MLRS 56 km from the line: beyond its zone, no violation.
        r#"{"id":"w2","observer":"uav1","source":"uav","time":"2026-11-24T11:00:00Z","kind":"weapon","weapon":"mlrs","location":{"lon":37.10,"lat":48.40,"uncertainty_m":30}}"#,
        // A party's allegation of shelling, alone.
        r#"{"id":"p1","observer":"ru-liaison","source":"party","time":"2026-11-24T12:00:00Z","kind":"explosion","subtype":"outgoing","location":{"lon":37.80,"lat":48.02,"uncertainty_m":500}}"#,
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let inc = fuse(&input);
    let by = |id: &str| {
        inc.iter()
            .find(|i| i["observations"][0] == id)
            .unwrap()
            .clone()
    };
    let w1 = by("w1");
    assert_eq!(w1["control"], "ua");
    assert_eq!(w1["violations"][0]["rule"], "withdrawal");
    assert_eq!(w1["violations"][0]["zone"], "withdrawal:mlrs");
    assert_eq!(w1["violations"][0]["party"], "ua");
    assert_eq!(by("w2")["violations"].as_array().unwrap().len(), 0);
    let p1 = by("p1");
    assert!(p1["attribution"]["party"].is_null());
    assert!(
        p1["attribution"]["basis"]
            .as_str()
            .unwrap()
            .contains("allegation")
    );
    assert_eq!(p1["violations"][0]["rule"], "ceasefire");
}

/// Outgoing fire deep in one party's area: one monitor's report of it (bearing and distance) is
/// a wedge and is not attributed; a second observer's crossing bearing makes it a fix that is.
#[test]
fn a_lone_report_of_outgoing_fire_does_not_attribute_and_a_crossing_bearing_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("obs.ndjson");
    // The event at 37.50 E 48.20 N, 10:00:00; heard 27 s and 28 s later.
    let a = r#"{"id":"a1","observer":"op-a","source":"post","time":"2026-11-24T10:00:27Z","kind":"explosion","subtype":"outgoing","observer_position":{"lon":37.60,"lat":48.15},"bearing_deg":306.9,"bearing_sigma_deg":3,"distance_m":{"min":6000,"max":14000}}"#;
    let b = r#"{"id":"b1","observer":"op-b","source":"post","time":"2026-11-24T10:00:28Z","kind":"explosion","subtype":"outgoing","observer_position":{"lon":37.45,"lat":48.12},"bearing_deg":22.6,"bearing_sigma_deg":3}"#;
    std::fs::write(&input, a).unwrap();
    let lone = fuse(&input);
    assert_eq!(lone.len(), 1);
    assert_eq!(lone[0]["control"], "ua");
    assert!(lone[0]["attribution"]["party"].is_null(), "{}", lone[0]);
    assert!(
        lone[0]["attribution"]["basis"]
            .as_str()
            .unwrap()
            .contains("one observer"),
        "{}",
        lone[0]
    );
    // Still a ceasefire violation, by a party not established.
    assert_eq!(lone[0]["violations"][0]["rule"], "ceasefire");
    assert!(lone[0]["violations"][0]["party"].is_null());

    std::fs::write(&input, [a, b].join("\n")).unwrap();
    let both = fuse(&input);
    assert_eq!(both.len(), 1, "{both:?}");
    assert_eq!(both[0]["attribution"]["party"], "ua", "{}", both[0]);
    assert!(both[0]["attribution"]["confidence"].as_f64().unwrap() >= 0.8);
}

/// The server fuses as observations arrive, in any order, and publishes what `truceline fuse`
/// gives for the same observations; new incidents come down the event stream.
#[test]
fn the_server_publishes_the_batch_incidents_whatever_the_arrival_order() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let (obs, truth) = (
        dir.path().join("obs.ndjson"),
        dir.path().join("truth.ndjson"),
    );
    let st = Command::new(bin())
        .args(["simulate", "--agreement"])
        .arg(agreement())
        .args(["--seed", "12", "--hours", "1", "--observations"])
        .arg(&obs)
        .arg("--truth")
        .arg(&truth)
        .status()
        .unwrap();
    assert!(st.success());
    let batch = fuse(&obs);
    let lines: Vec<String> = std::fs::read_to_string(&obs)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let tokens = accounts(&dir.path().join("data"));
    let mut child = Command::new(bin())
        .args(["serve", "--agreement"])
        .arg(agreement())
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let deadline = Instant::now() + Duration::from_secs(60);
    while agent.get(format!("{base}/api/v1/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A listener on the event stream.
    let stream_url = format!("{base}/api/v1/stream");
    let reader_token = tokens.chief.clone();
    let listener = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(90)))
            .build()
            .into();
        let mut r = with_token(agent.get(&stream_url), Some(&reader_token))
            .call()
            .unwrap();
        let reader = std::io::BufReader::new(r.body_mut().as_reader());
        reader
            .lines()
            .map_while(Result::ok)
            .any(|l| l == "event: incident")
    });
    // Arrival order: last half first, each half backwards, in batches; the server fuses the
    // last half before the first arrives, so that a later round fuses what it read before with
    // what came since.
    let post = |chunk: &[&String]| {
        let body: String = chunk.iter().map(|l| format!("{l}\n")).collect();
        let r = with_token(
            agent.post(format!("{base}/api/v1/observations")),
            Some(&tokens.monitor),
        )
        .header("Content-Type", "application/x-ndjson")
        .send(&body)
        .unwrap();
        assert_eq!(r.status(), 200);
    };
    let fused = || -> u64 {
        let mut r = with_token(
            agent.get(format!("{base}/api/v1/incidents?limit=1")),
            Some(&tokens.chief),
        )
        .call()
        .unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["fusion"]["observations"].as_u64().unwrap()
    };
    let last_half: Vec<&String> = lines[lines.len() / 2..].iter().rev().collect();
    for chunk in last_half.chunks(400) {
        post(chunk);
    }
    while fused() < last_half.len() as u64 {
        assert!(Instant::now() < deadline, "the first half was not fused");
        std::thread::sleep(Duration::from_millis(100));
    }
    let first_half: Vec<&String> = lines[..lines.len() / 2].iter().rev().collect();
    for chunk in first_half.chunks(400) {
        post(chunk);
    }
    // Wait until the server has fused everything it holds.
    let get_all = || -> (Vec<Value>, Value) {
        let mut all = Vec::new();
        let mut url = format!("{base}/api/v1/incidents?limit=1000");
        loop {
            let mut r = with_token(agent.get(&url), Some(&tokens.chief))
                .call()
                .unwrap();
            let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
            all.extend(v["incidents"].as_array().unwrap().iter().cloned());
            match v["next_cursor"].as_str() {
                Some(c) => url = format!("{base}/api/v1/incidents?limit=1000&cursor={c}"),
                None => return (all, v["fusion"].clone()),
            }
        }
    };
    let expected_watermark = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            v["time_end"]
                .as_str()
                .or(v["time"].as_str())
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
        })
        .max()
        .unwrap();
    let (online, meta) = loop {
        let (all, meta) = get_all();
        let w = meta["watermark"]
            .as_str()
            .map(|w| w.parse::<jiff::Timestamp>().unwrap());
        if w == Some(expected_watermark) && meta["observations"] == lines.len() {
            break (all, meta);
        }
        assert!(
            Instant::now() < deadline,
            "online fusion did not catch up: {meta}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(
        listener.join().unwrap(),
        "no incident came down the event stream"
    );
    let _ = child.kill();
    let _ = child.wait();

    // Every published incident is the batch incident of the same id, field for field.
    let batch_by_id: std::collections::HashMap<&str, &Value> = batch
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i))
        .collect();
    assert!(!online.is_empty());
    for inc in &online {
        let id = inc["id"].as_str().unwrap();
        // What the analysts and parties said is shown beside the record, not part of it.
        let mut inc = inc.clone();
        let review = inc.as_object_mut().unwrap().remove("review").unwrap();
        assert_eq!(review["status"], "unreviewed");
        inc.as_object_mut().unwrap().remove("reply_deadline");
        assert_eq!(
            Some(&inc),
            batch_by_id.get(id).copied(),
            "incident {id} differs"
        );
    }
    // And what is not yet published is only what is still within its window.
    assert_eq!(
        online.len() + meta["pending"].as_u64().unwrap() as usize,
        batch.len()
    );
}
