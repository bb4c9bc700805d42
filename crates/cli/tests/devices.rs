//! Evidence bound to people (SPEC 5): device keys registered by the monitor they belong to and
//! signing only for its observers, a deployment that requires signatures, and HTTPS.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

use base64::Engine;
use serde_json::{Value, json};

fn cli(data: &Path, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--data", data.to_str().unwrap()]);
    run_ok(&all).trim().to_string()
}

fn monitor(data: &Path, name: &str, observers: &str) -> String {
    cli(
        data,
        &[
            "users",
            "add",
            name,
            "--role",
            "monitor",
            "--observers",
            observers,
        ],
    );
    cli(data, &["tokens", "issue", name])
}

fn send(base: &str, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, Value) {
    let url = format!("{base}{path}");
    let r = match (method, body) {
        ("POST", Some(b)) => with_token(agent().post(&url), Some(token))
            .header("Content-Type", "application/json")
            .send(b),
        _ => with_token(agent().get(&url), Some(token)).call(),
    };
    let mut r = r.unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn obs(id: &str, observer: &str) -> Value {
    json!({"id": id, "observer": observer, "source": "post", "time": "2026-11-24T10:00:00Z",
           "kind": "explosion", "subtype": "impact", "observer_position": {"lon": 37.75, "lat": 48.05},
           "bearing_deg": 20, "bearing_sigma_deg": 5})
}

fn sign(mut o: Value, key_file: &Path, key_id: &str) -> Value {
    let signer =
        truceline_log::note::Signer::parse(&std::fs::read_to_string(key_file).unwrap()).unwrap();
    let payload = truceline_observation::canonical::to_vec(&o).unwrap();
    o["key_id"] = json!(key_id);
    o["signature"] =
        json!(base64::engine::general_purpose::STANDARD.encode(signer.sign_bytes(&payload)));
    o
}

#[test]
fn device_keys_belong_to_their_monitor_and_signatures_can_be_required() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");
    with_agreement(&data);
    let op7 = monitor(&data, "op7", "op7*");
    let op8 = monitor(&data, "op8", "op8*");
    for (name, witness) in [("op7-tablet", false), ("w1", true)] {
        let mut args = vec!["keys", "generate", "--name", name, "--out"];
        args.push(keys.to_str().unwrap());
        if witness {
            args.push("--witness");
        }
        let out = Command::new(bin()).args(&args).output().unwrap();
        assert!(out.status.success());
    }
    let public = std::fs::read_to_string(keys.join("op7-tablet.pub")).unwrap();
    let server = serve(&data, &["--require-signatures"]);
    let t = server.tokens.clone().unwrap();
    let base = &server.base;

    // Registered by its monitor, once; nobody may register it again or take it over.
    let body = json!({ "key": public }).to_string();
    let (s, v) = send(base, "POST", "/api/v1/keys", &op7, Some(&body));
    assert_eq!((s, v["owner"].as_str()), (201, Some("op7")), "{v}");
    assert_eq!(send(base, "POST", "/api/v1/keys", &op7, Some(&body)).0, 409);
    assert_eq!(send(base, "POST", "/api/v1/keys", &op8, Some(&body)).0, 409);
    let witness = std::fs::read_to_string(keys.join("w1.pub")).unwrap();
    let (s, v) = send(
        base,
        "POST",
        "/api/v1/keys",
        &op7,
        Some(&json!({ "key": witness }).to_string()),
    );
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("key")), "{v}");
    assert_eq!(
        send(base, "POST", "/api/v1/keys", &t.analyst, Some(&body)).0,
        403
    );
    // Each monitor lists its own; a reader lists all.
    let (_, mine) = send(base, "GET", "/api/v1/keys", &op7, None);
    assert_eq!(mine["keys"][0]["name"], "op7-tablet");
    assert_eq!(
        send(base, "GET", "/api/v1/keys", &op8, None).1["keys"],
        json!([])
    );
    let (_, all) = send(base, "GET", "/api/v1/keys", &t.analyst, None);
    assert_eq!(all["keys"][0]["owner"], "op7");

    let post_obs = |token: &str, o: &Value| {
        let mut r = with_token(
            agent().post(format!("{base}/api/v1/observations")),
            Some(token),
        )
        .header("Content-Type", "application/json")
        .send(o.to_string())
        .unwrap();
        let status = r.status().as_u16();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        (status, v)
    };
    // Unsigned: refused where signatures are required, naming the field.
    let (s, v) = post_obs(&op7, &obs("d1", "op7"));
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("signature")),
        "{v}"
    );
    // Signed by op7's device for op7's observer: accepted.
    let key = keys.join("op7-tablet.key");
    let (s, v) = post_obs(&op7, &sign(obs("d2", "op7"), &key, "op7-tablet"));
    assert_eq!(s, 200, "{v}");
    // op7's key signing for op8's observer, even sent by op8: refused.
    let (s, v) = post_obs(&op8, &sign(obs("d3", "op8"), &key, "op7-tablet"));
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("key_id")),
        "{v}"
    );
    // The registration is in the audit trail.
    let (_, audit) = send(base, "GET", "/api/v1/audit?account=op7", &t.chief, None);
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == "/api/v1/keys" && e["status"] == 201),
        "{audit}"
    );
}

#[test]
fn serves_https_and_its_session_cookie_is_secure() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        // A server certificate, not a CA: webpki refuses a CA as an end entity.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (installed by scripts/deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    accounts(&data);
    set_password(&data, "chief", "correct horse battery staple");
    let port = free_port();
    let child = Command::new(bin())
        .args(["serve", "--agreement"])
        .arg(agreement())
        .arg("--data")
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed when dropped, panic or not.
    let mut server = Server {
        child,
        base: String::new(),
        tokens: None,
    };
    let pem = std::fs::read(&cert).unwrap();
    let root = ureq::tls::Certificate::from_pem(&pem).unwrap().to_owned();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
            root,
        ])))
        .build();
    let https: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .into();
    let base = format!("https://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let last = match https.get(format!("{base}/healthz")).call() {
            Ok(r) => {
                assert_eq!(r.status().as_u16(), 200);
                break;
            }
            Err(e) => e,
        };
        assert!(server.child.try_wait().unwrap().is_none(), "serve exited");
        assert!(
            std::time::Instant::now() < deadline,
            "no HTTPS answer: {last}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Plain HTTP to the same port gets no answer from the API.
    let plain = agent()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .call();
    assert!(plain.is_err() || plain.unwrap().status().as_u16() != 200);
    let r = https
        .post(format!("{base}/api/v1/session"))
        .header("Content-Type", "application/json")
        .header("Origin", &base)
        .send(json!({"name": "chief", "password": "correct horse battery staple"}).to_string())
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Secure"),
        "{cookie}"
    );
    drop(server);
}

/// AIS in the server (SPEC 8): a simulated feed posted in two halves over HTTP and the rest
/// sent as a receiver sends it (raw NMEA over TCP); vessels and the behaviours found read back
/// by an analyst, the sanctions list from `serve --sanctions` naming the listed ones; who may
/// post and read as the access rules say; a bad query refused naming its parameter.
#[test]
fn ais_from_http_and_a_receivers_tcp_feed_becomes_vessels_and_their_events() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let feed = dir.path().join("feed.nmea");
    let truth = dir.path().join("truth.ndjson");
    let list = dir.path().join("list.csv");
    run_ok(&[
        "ais",
        "simulate",
        "--seed",
        "4",
        "--vessels",
        "30",
        "--hours",
        "40",
        "--out",
        feed.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--sanctions",
        list.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&feed).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Whole messages only in each part: a two-sentence message is never split.
    let cut = message_start(&lines, lines.len() / 2);
    let third = message_start(&lines, cut + (lines.len() - cut) / 2);
    let port = free_port();
    let ais_listen = format!("127.0.0.1:{port}");
    with_agreement(&data);
    let server = serve(
        &data,
        &[
            "--ais-listen",
            &ais_listen,
            "--sanctions",
            list.to_str().unwrap(),
        ],
    );
    let t = server.tokens.clone().unwrap();
    let post = |token: &str, body: String| post_ais(&server.base, token, body);
    let (status, first) = post(&t.monitor, lines[..cut].join("\n"));
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["lines"], cut as u64);
    assert_eq!(first["refused"], 0);
    let (status, second) = post(
        &t.chief,
        lines[cut..third].join("\n") + "\n!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B",
    );
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["refused"], 1);
    assert!(
        second["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("checksum"),
        "{second}"
    );
    // The rest as a receiver sends it.
    {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(&ais_listen).unwrap();
        s.write_all((lines[third..].join("\n") + "\n").as_bytes())
            .unwrap();
    }
    let events = |token: &str, query: &str| {
        send(
            &server.base,
            "GET",
            &format!("/api/v1/vessels/events{query}"),
            token,
            None,
        )
    };
    // The receiver's lines are taken as they arrive: wait until the feed's last time is in.
    let last = last_tag_time(&lines);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, v) = send(&server.base, "GET", "/api/v1/vessels", &t.analyst, None);
        assert_eq!(status, 200, "{v}");
        let seen = v["vessels"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["last_seen"].as_str()?.parse::<jiff::Timestamp>().ok())
            .max();
        if seen.is_some_and(|s| s >= last) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the receiver's feed was not all taken: {seen:?} < {last}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let want = std::fs::read_to_string(&truth)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"type\":\"gap\""))
        .count();
    let (_, gaps) = events(&t.analyst, "?type=gap");
    assert_eq!(
        gaps["events"].as_array().unwrap().len(),
        want,
        "every gap of the feed, from all three doors together"
    );
    let (status, all) = events(&t.analyst, "");
    assert_eq!(status, 200);
    let kinds: std::collections::BTreeSet<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for k in [
        "gap",
        "encounter",
        "loitering",
        "spoofing",
        "identity_change",
        "port_call",
        "listed",
    ] {
        assert!(kinds.contains(k), "{k} missing: {kinds:?}");
    }
    let listed = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "listed")
        .unwrap();
    assert!(
        listed["entry"]["caption"]
            .as_str()
            .unwrap()
            .contains("ILLUSTRATIVE"),
        "{listed}"
    );
    let (status, vessels) = send(&server.base, "GET", "/api/v1/vessels", &t.chief, None);
    assert_eq!(status, 200);
    let vessels = vessels["vessels"].as_array().unwrap();
    assert!(vessels.len() >= 30, "{}", vessels.len());
    assert!(vessels.iter().any(|v| v["listed"].is_string()));
    let mmsi = listed["mmsi"].as_u64().unwrap();
    let (_, one) = events(&t.analyst, &format!("?mmsi={mmsi}"));
    assert!(
        one["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["mmsi"] == mmsi || e["other_mmsi"] == mmsi)
    );
    // The day's report says what was found at sea, in the restricted edition only.
    let day = last.strftime("%Y-%m-%d").to_string();
    let (status, report) = send(
        &server.base,
        "GET",
        &format!("/api/v1/reports/daily/{day}?format=json&audience=restricted"),
        &t.analyst,
        None,
    );
    assert_eq!(status, 200, "{report}");
    assert!(
        report["sea"]["vessels"].as_u64().unwrap() >= 30,
        "{}",
        report["sea"]
    );
    let counted: u64 = report["sea"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_u64().unwrap())
        .sum();
    assert!(counted > 0, "{}", report["sea"]);
    let (_, public) = send(
        &server.base,
        "GET",
        &format!("/api/v1/reports/daily/{day}?format=json&audience=public"),
        &t.analyst,
        None,
    );
    assert!(
        public.get("sea").is_none(),
        "the public edition has no maritime analysis"
    );
    let mut html = with_token(
        agent().get(format!(
            "{}/api/v1/reports/daily/{day}?format=html&audience=restricted",
            server.base
        )),
        Some(&t.analyst),
    )
    .call()
    .unwrap();
    let html = html.body_mut().read_to_string().unwrap();
    assert!(
        html.contains(r#"<h2 id="sea">At sea</h2>"#),
        "the HTML report has the section"
    );

    // A strike the mission observed on a vessel at sea (a UAV's image, at the place and time AIS
    // last had the vessel): the report names the vessel beside the incident.
    let (_, heard) = send(&server.base, "GET", "/api/v1/vessels", &t.analyst, None);
    let target = heard["vessels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["position_time"]
                .as_str()
                .is_some_and(|p| p.starts_with(&day) && p < last.to_string().as_str())
        })
        .expect("a vessel heard on the report's day")
        .clone();
    let strike = json!({"id": "sea-strike-1", "observer": "uav-sea-1", "source": "uav",
        "time": target["position_time"], "kind": "explosion", "subtype": "impact",
        "location": {"lon": target["location"]["lon"], "lat": target["location"]["lat"],
                     "uncertainty_m": 50}});
    let (status, posted) = send(
        &server.base,
        "POST",
        "/api/v1/observations",
        &t.monitor,
        Some(&strike.to_string()),
    );
    assert!(status == 200 || status == 201, "{status} {posted}");
    // Fusion closes a window once later observations show the time has passed it.
    let later: jiff::Timestamp = target["position_time"].as_str().unwrap().parse().unwrap();
    let mut later_obs = obs("sea-later-1", "post-later-1");
    later_obs["time"] = json!((later + jiff::SignedDuration::from_mins(30)).to_string());
    let (status, posted) = send(
        &server.base,
        "POST",
        "/api/v1/observations",
        &t.monitor,
        Some(&later_obs.to_string()),
    );
    assert!(status == 200 || status == 201, "{status} {posted}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let named = loop {
        let (status, report) = send(
            &server.base,
            "GET",
            &format!("/api/v1/reports/daily/{day}?format=json&audience=restricted"),
            &t.analyst,
            None,
        );
        assert_eq!(status, 200, "{report}");
        if let Some(n) = report["sea"]["near_vessels"].as_array() {
            break n.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no vessel named beside the strike: {}",
            report["sea"]
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    assert_eq!(named[0]["mmsi"], target["mmsi"], "{named:?}");
    assert!(named[0]["distance_km"].as_f64().unwrap() < 0.1, "{named:?}");

    // Refusals: the analysis is not a monitor's, a liaison's or the public's; a liaison does
    // not post AIS; a bad parameter is named.
    assert_eq!(events(&t.monitor, "").0, 403);
    assert_eq!(events(&t.liaison, "").0, 403);
    assert_eq!(
        agent()
            .get(format!("{}/api/v1/vessels", server.base))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(post(&t.liaison, lines[0].to_string()).0, 403);
    let (status, bad) = events(&t.analyst, "?type=dark");
    assert_eq!(status, 400);
    assert_eq!(bad["error"]["field"], "type", "{bad}");

    // Each closed behaviour is a log leaf, read back at a restart; the tracks under way are
    // kept when the server stops, so the restarted one shows exactly what it showed, what
    // was still open included, and the log verifies.
    let leaves = |base: &str, token: &str, prefix: &[u8]| {
        let (mut n, mut start) = (0, 0);
        loop {
            let (status, page) = send(
                base,
                "GET",
                &format!("/api/v1/log/entries?start={start}"),
                token,
                None,
            );
            assert_eq!(status, 200, "{page}");
            let entries = page["entries"].as_array().unwrap();
            if entries.is_empty() {
                return n;
            }
            n += entries
                .iter()
                .map(|e| {
                    base64::engine::general_purpose::STANDARD
                        .decode(e.as_str().unwrap())
                        .unwrap()
                })
                .filter(|leaf| leaf.starts_with(prefix))
                .count();
            start = page["end"].as_u64().unwrap();
        }
    };
    let listed_vessels = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "listed")
        .count();
    let matches = leaves(&server.base, &t.analyst, br#"{"vessel_listed":{"#);
    assert!(
        matches >= listed_vessels && listed_vessels > 0,
        "each match against the list is a leaf: {matches} for {listed_vessels} vessels"
    );
    let before = all["events"].as_array().unwrap().clone();
    let (_, vessels_before) = send(&server.base, "GET", "/api/v1/vessels", &t.analyst, None);
    let mut server = server;
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    server.child.wait().unwrap();
    drop(server);
    let server = serve(&data, &["--sanctions", list.to_str().unwrap()]);
    let t = server.tokens.clone().unwrap();
    let (status, after) = send(
        &server.base,
        "GET",
        "/api/v1/vessels/events",
        &t.analyst,
        None,
    );
    assert_eq!(status, 200, "{after}");
    let after = after["events"].as_array().unwrap();
    assert_eq!(after, &before, "the same behaviours, closed and open");
    let (_, vessels_after) = send(&server.base, "GET", "/api/v1/vessels", &t.analyst, None);
    assert_eq!(
        vessels_after, vessels_before,
        "the same vessels, where they were"
    );
    for k in ["gap", "encounter", "port_call", "identity_change"] {
        assert!(
            after.iter().any(|e| e["type"] == k),
            "{k} not read back: {after:?}"
        );
    }
    let logged = leaves(&server.base, &t.analyst, br#"{"vessel_event":{"#);
    // A delivery after the restart (a sentence already taken: stale) drains the matches the
    // restart made again.
    let (status, again) = post_ais(&server.base, &t.monitor, lines[0].to_string());
    assert_eq!(
        (status, again["events_logged"].as_u64()),
        (200, Some(0)),
        "{again}"
    );
    assert_eq!(
        leaves(&server.base, &t.analyst, br#"{"vessel_listed":{"#),
        matches,
        "a restart, which matches every vessel again, logs no match twice"
    );
    let open = after.len() - logged - listed_vessels;
    assert!(
        logged > 0 && open > 0 && logged < after.len(),
        "closed behaviours are leaves, open ones are not yet: {logged} of {}",
        after.len()
    );
    drop(server);
    let verified = run_ok(&["log", "verify", "--data", data.to_str().unwrap()]);
    assert!(
        verified.contains("signed checkpoint(s) matched"),
        "{verified}"
    );
}
