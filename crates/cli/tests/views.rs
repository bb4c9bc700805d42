//! What each role is shown and may record (SPEC 5), against a real server over a simulated
//! morning: the liaison view and the public feed give no observer's identity or position,
//! analysts' decisions and parties' replies are log records shown with the incident and in the
//! daily report, and every write, restricted read and refusal is in the audit trail.

mod common;
use common::*;

use serde_json::{Value, json};

const DATE: &str = "2026-11-24";

fn call(base: &str, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{base}{path}");
    let r = match body {
        Some(b) => with_token(agent().post(&url), Some(token))
            .header("Content-Type", "application/json")
            .send(b.to_string()),
        None if method == "GET" => with_token(agent().get(&url), Some(token)).call(),
        None if method == "DELETE" => with_token(agent().delete(&url), Some(token)).call(),
        None => unreachable!("{method}"),
    };
    let mut r = r.unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Observer ids and the positions they reported from, as JSON writes their numbers.
fn observers(obs: &str) -> (Vec<String>, Vec<String>) {
    let mut ids = std::collections::BTreeSet::new();
    let mut places = std::collections::BTreeSet::new();
    for line in obs.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        ids.insert(v["observer"].as_str().unwrap().to_string());
        for k in ["lon", "lat"] {
            if let Some(x) = v["observer_position"][k].as_f64() {
                places.insert(Value::from(x).to_string());
            }
        }
        // Observation ids name their observer too.
        ids.insert(v["id"].as_str().unwrap().to_string());
    }
    (ids.into_iter().collect(), places.into_iter().collect())
}

/// Fails if `text` names any observer or observation, or gives any observer's position.
fn assert_no_observer(what: &str, text: &str, ids: &[String], places: &[String]) {
    // As a word: a short observer id ("ac15") can be a run of hex digits in a keyed id.
    let words: std::collections::HashSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .collect();
    for id in ids {
        assert!(!words.contains(id.as_str()), "{what} names {id}");
    }
    for p in places {
        assert!(
            !text.contains(p.as_str()),
            "{what} gives an observer's position {p}"
        );
    }
}

/// Fails unless each incident `shown` outside the mission whose only place is its observer's
/// (`observer_only`) is shown at the centre of a 0.25° cell with an ellipse of 17 km or more and
/// names no area; and unless there are such incidents, in the mission's own view (`full`) too.
fn assert_unplaced_coarse(what: &str, shown: &[Value], full: &[Value]) {
    let unplaced = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .filter(|i| i["location_basis"] == "observer_only")
            .cloned()
            .collect()
    };
    let (shown, full) = (unplaced(shown), unplaced(full));
    assert!(
        !shown.is_empty(),
        "{what}: the scenario has incidents placed by no bearing"
    );
    assert_eq!(shown.len(), full.len(), "{what}");
    assert!(
        full.iter().all(|i| i["control"].is_null()),
        "the area an observer stood in"
    );
    for s in shown {
        assert!(s["control"].is_null(), "{what}: {s}");
        for k in ["lon", "lat"] {
            let x = s["location"][k].as_f64().unwrap();
            let cells = x / 0.25 - 0.5;
            assert!(
                (cells - cells.round()).abs() < 1e-6,
                "{what}: {k} {x} of {s}"
            );
        }
        assert!(
            s["error_ellipse_m"]["minor"].as_f64().unwrap() >= 17_000.0,
            "{what}: {s}"
        );
    }
}

#[test]
fn liaison_view_public_feed_decisions_replies_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = simulated_morning(dir.path(), 5, 5);
    let (ids, places) = observers(&std::fs::read_to_string(&obs).unwrap());
    assert!(ids.len() > 10 && places.len() > 10);
    // The scenario's day is past: a long reply window keeps its incidents open to replies.
    let server = serve(&data, &["--reply-hours", "1000000"]);
    let t = server.tokens.clone().unwrap();
    let base = &server.base;

    // The analyst's view: whole, once fusion has published.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let full = loop {
        let (s, v) = call(
            base,
            "GET",
            "/api/v1/incidents?limit=1000",
            &t.analyst,
            None,
        );
        assert_eq!(s, 200, "{v}");
        if !v["incidents"].as_array().unwrap().is_empty() {
            break v["incidents"].as_array().unwrap().clone();
        }
        assert!(std::time::Instant::now() < deadline, "nothing fused");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let party_of = |i: &Value| i["attribution"]["party"].as_str().map(str::to_string);
    let ours: Vec<&Value> = full
        .iter()
        .filter(|i| party_of(i).as_deref() == Some("ua"))
        .collect();
    let theirs: Vec<&Value> = full
        .iter()
        .filter(|i| party_of(i).as_deref() == Some("ru") && i["control"] != "ua")
        .collect();
    assert!(
        !ours.is_empty() && !theirs.is_empty(),
        "the scenario attributes to both parties"
    );

    // The liaison of "ua": its party's incidents only, redacted.
    let (s, lv) = call(
        base,
        "GET",
        "/api/v1/incidents?limit=1000",
        &t.liaison,
        None,
    );
    assert_eq!(s, 200);
    let shown = lv["incidents"].as_array().unwrap();
    let expected = full
        .iter()
        .filter(|i| party_of(i).as_deref() == Some("ua") || i["control"] == "ua")
        .count();
    assert_eq!(shown.len(), expected);
    for i in shown {
        assert!(i["id"].as_str().unwrap().starts_with("pi-"), "{i}");
        assert_eq!(i["observations"], json!([]));
        assert!(i["reply_deadline"].is_string() || i["review"]["reply_party"].is_null());
    }
    assert_no_observer("the liaison's list", &lv.to_string(), &ids, &places);
    let mine = shown
        .iter()
        .find(|i| i["attribution"]["party"] == "ua")
        .unwrap()
        .clone();
    let pid = mine["id"].as_str().unwrap().to_string();
    let (s, one) = call(
        base,
        "GET",
        &format!("/api/v1/incidents/{pid}"),
        &t.liaison,
        None,
    );
    assert_eq!(s, 200);
    assert!(one.get("observation_records").is_none() && one.get("proof").is_none());
    assert_no_observer("the liaison's incident", &one.to_string(), &ids, &places);
    // Its evidence (SPEC 4.2): what was sensed and when, proved in the log; not who sensed
    // it, nor where anyone stood. Checked as a party would, with `truceline evidence verify`.
    let evidence = |id: &str, token: &str| {
        call(
            base,
            "GET",
            &format!("/api/v1/incidents/{id}/evidence"),
            token,
            None,
        )
    };
    let (s, ev) = evidence(&pid, &t.liaison);
    assert_eq!(s, 200, "{ev}");
    assert_no_observer("the liaison's evidence", &ev.to_string(), &ids, &places);
    assert!(!ev["items"].as_array().unwrap().is_empty(), "{ev}");
    let verify = |id: &str, token: &str| -> Value {
        serde_json::from_str(&run_ok(&[
            "evidence",
            "verify",
            &format!("{base}/api/v1/incidents/{id}/evidence"),
            "--token",
            token,
        ]))
        .unwrap()
    };
    let checked = verify(&pid, &t.liaison);
    for item in checked["items"].as_array().unwrap() {
        let f = &item["fields"];
        for hidden in ["observer", "observer_position", "id", "location"] {
            assert!(f.get(hidden).is_none(), "{hidden} disclosed: {item}");
        }
        let withheld: Vec<&str> = item["withheld"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(
            withheld.contains(&"observer") && withheld.contains(&"id"),
            "{item}"
        );
        assert!(f["time"].is_string() && f["kind"].is_string(), "{item}");
    }
    // Not another party's incident, nor one named by its real id.
    let real = ours[0]["id"].as_str().unwrap();
    assert_eq!(evidence(real, &t.liaison).0, 404);
    assert_eq!(
        evidence(theirs[0]["id"].as_str().unwrap(), &t.liaison).0,
        404
    );
    // The analysts' evidence discloses every field, and proves the leaves the incident cites.
    let (s, whole) = evidence(real, &t.analyst);
    assert_eq!(s, 200, "{whole}");
    let (_, inc) = call(
        base,
        "GET",
        &format!("/api/v1/incidents/{real}"),
        &t.analyst,
        None,
    );
    let cited: std::collections::BTreeSet<u64> = inc["observation_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["log_index"].as_u64().unwrap())
        .collect();
    for item in whole["items"].as_array().unwrap() {
        assert!(
            cited.contains(&item["log_index"].as_u64().unwrap()),
            "{item}"
        );
        assert_eq!(
            item["disclosures"].as_array().unwrap().len(),
            item["committed"]["fields"].as_object().unwrap().len(),
            "{item}"
        );
    }
    let checked = verify(real, &t.analyst);
    assert!(
        checked["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["withheld"] == json!([]) && i["fields"]["observer"].is_string()),
        "{checked}"
    );
    // A real id says nothing to a liaison; another party's incident is not shown.
    assert_eq!(
        call(
            base,
            "GET",
            &format!("/api/v1/incidents/{real}"),
            &t.liaison,
            None
        )
        .0,
        404
    );
    let (s, map) = {
        let mut r = with_token(
            agent().get(format!("{base}/api/v1/map/incidents")),
            Some(&t.liaison),
        )
        .call()
        .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(s, 200);
    assert_no_observer("the liaison's map", &map, &ids, &places);

    acled_export(base, &t, &full, shown, &ids, &places);

    // Replies: to its own party's incident, on the record; not to another's.
    let (s, r) = call(
        base,
        "POST",
        &format!("/api/v1/incidents/{pid}/replies"),
        &t.liaison,
        Some(json!({"text": "Our units did not fire at that time."})),
    );
    assert_eq!(s, 200, "{r}");
    let reply_index = r["log_index"].as_u64().unwrap();
    let their_pid = {
        // The shown id of an incident of the other party, from the public feed later; here,
        // from the analysts' decision below that moves one to "ua" and back.
        theirs[0]["id"].as_str().unwrap().to_string()
    };
    let (s, r) = call(
        base,
        "POST",
        &format!("/api/v1/incidents/{their_pid}/replies"),
        &t.liaison,
        Some(json!({"text": "not ours"})),
    );
    assert_eq!(s, 403, "{r}");
    let (s, r) = call(
        base,
        "POST",
        &format!("/api/v1/incidents/{pid}/replies"),
        &t.liaison,
        Some(json!({"text": ""})),
    );
    assert_eq!(
        (s, r["error"]["field"].as_str()),
        (400, Some("text")),
        "{r}"
    );

    // Decisions: refused without what they need, kept when complete, and shown.
    let decide = |id: &str, body: Value| {
        call(
            base,
            "POST",
            &format!("/api/v1/incidents/{id}/decisions"),
            &t.analyst,
            Some(body),
        )
    };
    let (s, r) = decide(&their_pid, json!({"decision": "attribute", "party": "ua"}));
    assert_eq!(
        (s, r["error"]["field"].as_str()),
        (400, Some("basis")),
        "{r}"
    );
    let (s, r) = decide(
        &their_pid,
        json!({"decision": "attribute", "party": "xx", "basis": "b"}),
    );
    assert_eq!(
        (s, r["error"]["field"].as_str()),
        (400, Some("party")),
        "{r}"
    );
    // A basis that names an observer would show it to the parties: refused.
    let observer = std::fs::read_to_string(&obs)
        .unwrap()
        .lines()
        .next()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["observer"].clone())
        .unwrap();
    let (s, r) = decide(
        &their_pid,
        json!({"decision": "attribute", "party": "ua", "basis": format!("seen by {}.", observer.as_str().unwrap())}),
    );
    assert_eq!(
        (s, r["error"]["field"].as_str()),
        (400, Some("basis")),
        "{r}"
    );
    let (s, r) = decide(&their_pid, json!({"decision": "confirm", "party": "ua"}));
    assert_eq!(
        (s, r["error"]["field"].as_str()),
        (400, Some("party")),
        "{r}"
    );

    // The liaison's stream: it hears of the incident once attributed to its party, redacted.
    let listener = {
        let url = format!("{base}/api/v1/stream");
        let token = t.liaison.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let r = with_token(agent().get(&url), Some(&token)).call().unwrap();
            let mut data = None;
            let mut event = String::new();
            for line in std::io::BufReader::new(r.into_body().into_reader()).lines() {
                let line = line.unwrap();
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ")
                    && event == "incident"
                {
                    data = Some(d.to_string());
                    break;
                }
            }
            data
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (s, r) = decide(
        &their_pid,
        json!({"decision": "attribute", "party": "ua", "basis": "crater analysis by the mission's team"}),
    );
    assert_eq!(s, 200, "{r}");
    let decision_index = r["log_index"].as_u64().unwrap();
    let heard: Value = serde_json::from_str(&listener.join().unwrap().unwrap()).unwrap();
    assert!(heard["id"].as_str().unwrap().starts_with("pi-"), "{heard}");
    assert_eq!(heard["review"]["party"], "ua");
    assert_no_observer("the liaison's stream", &heard.to_string(), &ids, &places);
    let (s, inc) = call(
        base,
        "GET",
        &format!("/api/v1/incidents/{their_pid}"),
        &t.analyst,
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(inc["review"]["status"], "attributed");
    assert_eq!(inc["review"]["party"], "ua");
    assert_eq!(inc["review"]["decisions"][0]["account"], "ana");
    // Now the liaison sees it (attributed to its party), and may reply.
    let (_, lv) = call(
        base,
        "GET",
        "/api/v1/incidents?limit=1000",
        &t.liaison,
        None,
    );
    let moved = lv["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["review"]["status"] == "attributed")
        .expect("the incident attributed by the analysts is shown to the party")
        .clone();
    assert!(
        moved["review"]["decisions"][0].get("account").is_none(),
        "{moved}"
    );
    let moved_id = moved["id"].as_str().unwrap();
    let (s, _) = call(
        base,
        "POST",
        &format!("/api/v1/incidents/{moved_id}/replies"),
        &t.liaison,
        Some(json!({"text": "We dispute the crater analysis."})),
    );
    assert_eq!(s, 200);

    // Both are log records, readable by the mission and verifiable like any leaf.
    let (s, entries) = call(
        base,
        "GET",
        &format!(
            "/api/v1/log/entries?start={reply_index}&end={}",
            decision_index + 1
        ),
        &t.chief,
        None,
    );
    assert_eq!(s, 200, "{entries}");
    use base64::Engine;
    let leaves: Vec<Value> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let b = base64::engine::general_purpose::STANDARD
                .decode(e.as_str().unwrap())
                .unwrap();
            serde_json::from_slice(&b).unwrap()
        })
        .collect();
    assert_eq!(
        leaves[0]["reply"]["text"],
        "Our units did not fire at that time."
    );
    assert_eq!(leaves[0]["reply"]["party"], "ua");
    assert_eq!(leaves.last().unwrap()["decision"]["decision"], "attribute");

    // The public feed: nothing before the day's public report is published, then its incidents.
    let (s, feed) = call(base, "GET", "/api/v1/public/incidents", "", None);
    assert_eq!(s, 200);
    assert_eq!(feed["incidents"], json!([]));
    let public_evidence = || {
        call(
            base,
            "GET",
            &format!("/api/v1/incidents/{pid}/evidence"),
            "",
            None,
        )
    };
    assert_eq!(
        public_evidence().0,
        404,
        "no evidence of a day not published"
    );
    let (s, r) = call(
        base,
        "POST",
        &format!("/api/v1/reports/daily/{DATE}/publish?audience=public"),
        &t.chief,
        Some(json!({})),
    );
    assert_eq!(s, 201, "{r}");
    // Paged: each incident once, a cursor naming only what the public was shown.
    let (mut items, mut cursor, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let (s, feed) = call(
            base,
            "GET",
            &format!("/api/v1/public/incidents?limit=40{cursor}"),
            "",
            None,
        );
        assert_eq!(s, 200, "{feed}");
        assert_no_observer("the public feed", &feed.to_string(), &ids, &places);
        let page = feed["incidents"].as_array().unwrap();
        assert!(page.len() <= 40);
        items.extend(page.iter().cloned());
        pages += 1;
        match feed["next_cursor"].as_str() {
            Some(c) => {
                let (_, id) = c.split_once('.').unwrap();
                assert!(id.is_empty() || page.iter().any(|i| i["id"] == id), "{c}");
                cursor = format!("&cursor={c}");
            }
            None => break,
        }
    }
    assert_eq!(items.len(), full.len());
    assert!(pages > 1);
    let shown: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(shown.len(), items.len(), "each incident once");
    assert!(items.iter().all(|i| i["mission_day"] == DATE));
    assert_unplaced_coarse("the public feed", &items, &full);
    let (s, ev) = public_evidence();
    assert_eq!(s, 200, "{ev}");
    assert!(!ev["items"].as_array().unwrap().is_empty(), "{ev}");
    assert_no_observer("the public evidence", &ev.to_string(), &ids, &places);
    // A third party checks the published incident from the public tiles and its evidence
    // document alone, with the independent verifier and the log key it was given.
    let (_, key, _) = get_text(base, "/api/v1/log/key", "");
    let evidence_url = format!("{base}/api/v1/incidents/{pid}/evidence");
    let out = python_verifier(
        &[base, "--evidence", &evidence_url, "--log-key", key.trim()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let third: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        third["tiles"]["root_from_tiles"], "matches the signed checkpoint",
        "{third}"
    );
    assert_eq!(
        third["items"].as_array().unwrap().len(),
        ev["items"].as_array().unwrap().len()
    );
    assert!(
        third["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["fields"]["time"].is_string())
    );

    // The report lists the replies.
    let (s, rep) = call(
        base,
        "GET",
        &format!("/api/v1/reports/daily/{DATE}?format=json&audience=public"),
        "",
        None,
    );
    assert_eq!(s, 200);
    let replies = rep["replies"].as_array().unwrap();
    assert!(
        replies
            .iter()
            .any(|r| r["replies"][0]["text"] == "Our units did not fire at that time."),
        "{replies:?}"
    );
    assert!(
        rep["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["review"] == "attributed")
    );
    // Each incident of the public edition links to its evidence, under its shown id.
    let links: Vec<&str> = rep["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["evidence"].as_str().unwrap())
        .collect();
    assert!(
        links
            .iter()
            .all(|l| l.starts_with("/api/v1/incidents/pi-") && l.ends_with("/evidence")),
        "{links:?}"
    );
    let (s, ev) = call(base, "GET", links[0], "", None);
    assert_eq!(s, 200, "{ev}");
    let (_, html, _) = get_text(
        base,
        &format!("/api/v1/reports/daily/{DATE}?format=html&audience=public"),
        "",
    );
    assert!(
        html.contains(&format!(r#"<a href="{}">"#, links[0])),
        "the HTML links it too"
    );

    let (s, csv) = call(
        base,
        "GET",
        &format!("/api/v1/reports/daily/{DATE}?format=csv&audience=public"),
        "",
        None,
    );
    assert_eq!(s, 200);
    let csv = csv.as_str().unwrap().to_string();
    assert!(
        csv.lines().next().unwrap().ends_with(",review,replies"),
        "{csv}"
    );
    assert!(csv.contains("Our units did not fire at that time."));

    // The audit trail: the reply, a refusal, a restricted read — for the chief only.
    let (s, audit) = call(base, "GET", "/api/v1/audit?account=lia", &t.chief, None);
    assert_eq!(s, 200);
    let entries = audit["entries"].as_array().unwrap();
    let has = |method: &str, path: &str, status: u16| {
        entries.iter().any(|e| {
            e["method"] == method
                && e["path"].as_str().unwrap().starts_with(path)
                && e["status"] == status
                && e["role"] == "liaison"
                && e["remote"].as_str().unwrap().starts_with("127.0.0.1:")
        })
    };
    assert!(
        has("POST", &format!("/api/v1/incidents/{pid}/replies"), 200),
        "{entries:#?}"
    );
    assert!(has(
        "POST",
        &format!("/api/v1/incidents/{their_pid}/replies"),
        403
    ));
    assert!(has("GET", "/api/v1/incidents?limit=1000", 200));
    assert!(has(
        "GET",
        &format!("/api/v1/incidents/{pid}/evidence"),
        200
    ));
    assert!(entries.iter().all(|e| e["account"] == "lia"));
    assert_eq!(call(base, "GET", "/api/v1/audit", &t.analyst, None).0, 403);
    // And from the command line, beside the running server.
    let out = run_ok(&[
        "audit",
        "--data",
        data.to_str().unwrap(),
        "--account",
        "ana",
        "--json",
    ]);
    assert!(
        out.lines()
            .any(|l| l.contains("/decisions") && l.contains("\"status\":200")),
        "{out}"
    );
    // An analyst's read of evidence that names observers is audited too.
    assert!(
        out.lines()
            .any(|l| l.contains("/evidence") && l.contains("\"status\":200")),
        "{out}"
    );
}

/// GET (with a token) as text, with the `Link` header.
fn get_text(base: &str, path: &str, token: &str) -> (u16, String, Option<String>) {
    let mut r = with_token(agent().get(format!("{base}{path}")), Some(token))
        .call()
        .unwrap();
    let link = r
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_string());
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap(),
        link,
    )
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

/// `GET /api/v1/incidents?format=acled` (SPEC 7): ACLED's columns, a row an incident the caller
/// may see, the mapping of kinds, actors, places and precision, fatalities from corroborated
/// casualty records only, pages linked, and a liaison's rows without any observer.
fn acled_export(
    base: &str,
    t: &Tokens,
    full: &[Value],
    liaison_shown: &[Value],
    ids: &[String],
    places: &[String],
) {
    use truceline_report::acled::COLUMNS;
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    // Two casualty records naming an explosion incident: two killed, corroborated, count; five
    // merely reported do not.
    let target = full
        .iter()
        .find(|i| i["kind"] == "explosion" && i["attribution"]["party"] == "ua")
        .expect("an explosion attributed to ua");
    let tid = target["id"].as_str().unwrap();
    let (lon, lat) = (&target["location"]["lon"], &target["location"]["lat"]);
    let time = target["time"].as_str().unwrap();
    let records = format!(
        "{}\n{}\n",
        json!({"id":"cas-acled-1","type":"casualty","time":time,"location":{"lon":lon,"lat":lat},
            "killed":2,"cause":"shelling","status":"corroborated","incident":tid}),
        json!({"id":"cas-acled-2","type":"casualty","time":time,"location":{"lon":lon,"lat":lat},
            "killed":5,"cause":"shelling","status":"reported","incident":tid}),
    );
    keep_records(base, &t.analyst, &records);

    let (s, text, _) = get_text(
        base,
        "/api/v1/incidents?format=acled&limit=1000",
        &t.analyst,
    );
    assert_eq!(s, 200, "{text}");
    let (head, rows) = csv_rows(&text);
    assert_eq!(head, COLUMNS);
    assert_eq!(rows.len(), full.len());
    let by_id: std::collections::HashMap<&str, &Value> = full
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i))
        .collect();
    let mut seen_kinds = std::collections::BTreeSet::new();
    for row in &rows {
        let tag = &row[col("tags")];
        let id = tag
            .split("truceline_id=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let inc = by_id[id];
        assert!(row[col("event_id_cnty")].ends_with(id), "{row:?}");
        assert_eq!(row[col("event_date")], inc["time"].as_str().unwrap()[..10]);
        // ACLED gives four decimals (~11 m).
        let near = |c: &str, v: &Value| {
            (row[col(c)].parse::<f64>().unwrap() - v.as_f64().unwrap()).abs() <= 5.0001e-5
        };
        assert!(
            near("latitude", &inc["location"]["lat"]) && near("longitude", &inc["location"]["lon"]),
            "{row:?} {inc}"
        );
        let kind = inc["kind"].as_str().unwrap();
        seen_kinds.insert(kind.to_string());
        let sub = &row[col("sub_event_type")];
        match kind {
            "explosion" | "projectile" | "burst" | "muzzle_flash" => {
                assert_eq!(sub, "Shelling/artillery/missile attack")
            }
            "shot" => assert_eq!(
                (row[col("event_type")].as_str(), sub.as_str()),
                ("Battles", "Armed clash")
            ),
            "weapon" | "movement" => assert_eq!(sub, "Change to group/activity"),
            _ => {}
        }
        match inc["attribution"]["party"].as_str() {
            Some("ua") => assert_eq!(row[col("actor1")], "Military Forces of Ukraine"),
            Some("ru") => assert_eq!(row[col("actor1")], "Military Forces of Russian Federation"),
            _ => assert!(
                row[col("actor1")].starts_with("Unidentified Armed Group"),
                "{row:?}"
            ),
        }
        let major = inc["error_ellipse_m"]["major"].as_f64();
        let precision = match major {
            Some(m) if m <= 2000.0 => "1",
            Some(m) if m <= 25000.0 => "2",
            _ => "3",
        };
        assert_eq!(row[col("geo_precision")], precision, "{row:?}");
        assert!(
            ["Ukraine", "Russia"]
                .iter()
                .any(|c| row[col("country")].contains(c)),
            "{row:?}"
        );
        let fatalities = if id == tid { "2" } else { "0" };
        assert_eq!(row[col("fatalities")], fatalities, "{id}");
    }
    assert!(seen_kinds.len() >= 2, "{seen_kinds:?}");

    // An incident the analysts reject as a false alarm is no event: its row is gone, and the
    // incident itself is still listed, with the decision. (One attributed to nobody outside
    // the liaison's party's area: no view but the mission's sees it.)
    let false_alarm = full
        .iter()
        .find(|i| i["attribution"]["party"].is_null() && i["control"] != "ua" && i["id"] != tid)
        .and_then(|i| i["id"].as_str())
        .expect("an unattributed incident outside ua's area");
    let (s, r) = call(
        base,
        "POST",
        &format!("/api/v1/incidents/{false_alarm}/decisions"),
        &t.analyst,
        Some(json!({"decision": "reject", "basis": "the crater survey found nothing"})),
    );
    assert_eq!(s, 200, "{r}");
    let (_, text, _) = get_text(
        base,
        "/api/v1/incidents?format=acled&limit=1000",
        &t.analyst,
    );
    let (_, left) = csv_rows(&text);
    assert_eq!(left.len(), rows.len() - 1);
    assert!(
        !left
            .iter()
            .any(|r| r[col("tags")].contains(&format!("truceline_id={false_alarm};"))),
        "{false_alarm}"
    );
    let (_, inc) = call(
        base,
        "GET",
        &format!("/api/v1/incidents/{false_alarm}"),
        &t.analyst,
        None,
    );
    assert_eq!(inc["review"]["status"], "rejected", "{inc}");

    // Pages: the next one named in a Link header, in order and without overlap.
    let (s, first, link) = get_text(base, "/api/v1/incidents?format=acled&limit=5", &t.analyst);
    assert_eq!(s, 200);
    let link = link.expect("a Link header to the next page");
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.split_once(">; rel=\"next\""))
        .map(|(u, _)| u.to_string())
        .unwrap_or_else(|| panic!("{link}"));
    let (s, second, _) = get_text(base, &next, &t.analyst);
    assert_eq!(s, 200, "{second}");
    let (_, a) = csv_rows(&first);
    let (_, b) = csv_rows(&second);
    assert_eq!(a.len(), 5);
    let paged: Vec<&Vec<String>> = a.iter().chain(b.iter()).collect();
    assert_eq!(paged, left.iter().take(paged.len()).collect::<Vec<_>>());

    // A liaison's rows: its view's incidents, under shown ids, without any observer.
    let (s, text, _) = get_text(
        base,
        "/api/v1/incidents?format=acled&limit=1000",
        &t.liaison,
    );
    assert_eq!(s, 200);
    let (_, rows) = csv_rows(&text);
    assert_eq!(rows.len(), liaison_shown.len());
    assert!(
        rows.iter()
            .all(|r| r[col("tags")].contains("truceline_id=pi-"))
    );
    assert_no_observer("the liaison's ACLED rows", &text, ids, places);

    let (s, text, _) = get_text(base, "/api/v1/incidents?format=xlsx", &t.analyst);
    assert_eq!(s, 400);
    let err: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(err["error"]["field"], "format", "{err}");
}

/// GDAL's `ogrinfo` on `OAPIF:<base>/ogc` with `token`: each layer's name and feature count,
/// and (with `dump`) every feature as text.
fn ogrinfo(base: &str, token: Option<&str>, dump: bool) -> (Vec<(String, u64)>, String) {
    let mut cmd = std::process::Command::new("ogrinfo");
    cmd.arg("-ro");
    if dump {
        cmd.args(["-al", "-q"]);
    } else {
        cmd.args(["-so", "-al"]);
    }
    cmd.arg(format!("OAPIF:{base}/ogc"));
    // GDAL asks for 10 items a page unless told (the API allows 1,000).
    cmd.env("OAPIF_PAGE_SIZE", "1000");
    if let Some(t) = token {
        cmd.env("GDAL_HTTP_HEADERS", format!("Authorization: Bearer {t}"));
    }
    let out = cmd
        .output()
        .expect("ogrinfo (gdal-bin, installed by scripts/deps.sh)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "ogrinfo: {}{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut layers = Vec::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Layer name: ") {
            name = Some(n.trim().to_string());
        }
        if let (Some(n), Some(c)) = (&name, line.strip_prefix("Feature Count: ")) {
            layers.push((n.clone(), c.trim().parse().unwrap()));
        }
    }
    (layers, text)
}

/// OWSLib (PyPI, in target/pyenv) reading every collection page by page.
fn owslib(base: &str, token: Option<&str>) -> Value {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(repo.join("target/pyenv/bin/python"))
        .arg(repo.join("tests/python/ogc_read.py"))
        .arg(format!("{base}/ogc"))
        .arg(token.unwrap_or(""))
        .output()
        .expect("OWSLib's virtual environment (scripts/deps.sh makes it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// OGC API – Features (SPEC 7) read by two real clients, GDAL's OAPIF driver and OWSLib, as an
/// analyst, a liaison and the public: each lists the collections its role may read with the
/// counts the JSON API gives, a liaison's and the public's features name no observer and give
/// no observer's position, and the API's own checks hold (parameters, conformance, errors).
#[test]
fn ogc_api_features_read_by_gdal_and_owslib_as_each_role_may() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = simulated_morning(dir.path(), 5, 5);
    let (ids, places) = observers(&std::fs::read_to_string(&obs).unwrap());
    let server = serve(&data, &[]);
    let t = server.tokens.clone().unwrap();
    let base = &server.base;
    // The JSON API's counts, once fusion has published.
    let list = |token: &str| -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, v) = call(
                base,
                "GET",
                &format!("/api/v1/incidents?limit=1000{cursor}"),
                token,
                None,
            );
            assert_eq!(s, 200, "{v}");
            out.extend(v["incidents"].as_array().unwrap().iter().cloned());
            match v["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return out,
            }
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let full = loop {
        let l = list(&t.analyst);
        if !l.is_empty() {
            break l;
        }
        assert!(std::time::Instant::now() < deadline, "nothing fused");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let liaison = list(&t.liaison);
    assert!(!liaison.is_empty() && liaison.len() < full.len());
    // Records: two kept by the analyst.
    let records = concat!(
        r#"{"id":"fom-ogc-1","type":"restriction","time":"2026-11-24T09:10:00Z","kind":"denial","location":{"lon":37.8,"lat":48.1},"party":"ru","duration_min":40,"patrol":"patrol-7"}"#,
        "\n",
        r#"{"id":"haz-ogc-1","type":"hazard","time":"2026-11-24T09:20:00Z","hazard":"anti_personnel","marked":false,"area":{"type":"Polygon","coordinates":[[[37.9,48.0],[37.91,48.0],[37.91,48.01],[37.9,48.0]]]}}"#,
        "\n"
    );
    keep_records(base, &t.analyst, records);
    // The zones as `truceline zones export` writes them: an independent count.
    let zones_file = dir.path().join("zones.geojson");
    run_ok(&[
        "zones",
        "export",
        "--agreement",
        agreement().to_str().unwrap(),
        "--out",
        zones_file.to_str().unwrap(),
    ]);
    let zones: Value =
        serde_json::from_str(&std::fs::read_to_string(&zones_file).unwrap()).unwrap();
    let zones = zones["features"].as_array().unwrap().len() as u64;
    assert!(zones >= 4);

    // GDAL: the layers each role may read, with the JSON API's counts.
    let count = |layers: &[(String, u64)], name: &str| {
        layers.iter().find(|(n, _)| n == name).map(|(_, c)| *c)
    };
    let (layers, _) = ogrinfo(base, Some(&t.analyst), false);
    assert_eq!(
        count(&layers, "incidents"),
        Some(full.len() as u64),
        "{layers:?}"
    );
    assert_eq!(count(&layers, "zones"), Some(zones), "{layers:?}");
    assert_eq!(count(&layers, "records"), Some(2), "{layers:?}");
    let (layers, dump) = ogrinfo(base, Some(&t.liaison), true);
    let names: Vec<&str> = dump
        .lines()
        .filter_map(|l| l.strip_prefix("Layer name: "))
        .collect();
    assert_eq!(
        names,
        ["zones", "incidents"],
        "a liaison is not shown the records layer"
    );
    let features_of = |layer: &str| {
        dump.split("Layer name: ")
            .find(|s| s.starts_with(layer))
            .map(|s| s.matches("OGRFeature(").count())
            .unwrap_or(0)
    };
    assert_eq!(features_of("incidents"), liaison.len(), "{layers:?}");
    // The zones are the agreement's published geometry: searched are the incidents.
    let incidents_dump = dump
        .split("Layer name: ")
        .find(|s| s.starts_with("incidents"))
        .unwrap();
    assert_no_observer("the liaison's OGC features", incidents_dump, &ids, &places);
    // The public: the zones, and the incidents of published days (none yet).
    let (layers, dump) = ogrinfo(base, None, true);
    assert_eq!(count(&layers, "incidents").unwrap_or(0), 0);
    assert_eq!(
        dump.split("Layer name: ")
            .find(|s| s.starts_with("zones"))
            .map(|s| s.matches("OGRFeature(").count()),
        Some(zones as usize)
    );
    assert!(!dump.contains("Layer name: records"));

    // OWSLib, page by page (250 a page): the same counts, each id once.
    let o = owslib(base, Some(&t.analyst));
    for class in ["core", "geojson", "oas30"] {
        assert!(
            o["conformance"]
                .to_string()
                .contains(&format!("/conf/{class}")),
            "{o}"
        );
    }
    let c = &o["collections"];
    assert_eq!(
        c["incidents"]["count"],
        full.len(),
        "{}",
        c["incidents"]["pages"]
    );
    let got: std::collections::BTreeSet<&str> = c["incidents"]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let want: std::collections::BTreeSet<&str> =
        full.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(got, want);
    assert_eq!(c["incidents"]["first"]["geometry"], "Point");
    assert_eq!(c["zones"]["count"], zones);
    assert_eq!(c["records"]["count"], 2);
    assert_eq!(c["records"]["first"]["type"], "Feature");
    let o = owslib(base, Some(&t.liaison));
    assert_eq!(o["collections"]["incidents"]["count"], liaison.len());
    assert!(o["collections"].get("records").is_none());
    assert_no_observer(
        "the liaison's OGC items",
        &o["collections"]["incidents"].to_string(),
        &ids,
        &places,
    );

    // The API's own checks.
    let get = |path: &str, token: Option<&str>| -> (u16, Value) {
        let mut r = with_token(agent().get(format!("{base}{path}")), token)
            .call()
            .unwrap();
        let s = r.status().as_u16();
        (
            s,
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null),
        )
    };
    let (s, v) = get(
        "/ogc/collections/incidents/items?limit=3&colour=red",
        Some(&t.analyst),
    );
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("colour")));
    let (s, v) = get(
        "/ogc/collections/incidents/items?bbox=37,48,x,49",
        Some(&t.analyst),
    );
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("bbox")));
    let (s, v) = get(
        "/ogc/collections/incidents/items?datetime=yesterday",
        Some(&t.analyst),
    );
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("datetime")));
    let (s, _) = get("/ogc/collections/records/items", Some(&t.liaison));
    assert_eq!(s, 403);
    let (s, _) = get("/ogc/collections/bunkers", Some(&t.analyst));
    assert_eq!(s, 404);
    // bbox and datetime filter as the JSON API does.
    let first = &full[0];
    let (lon, lat) = (
        first["location"]["lon"].as_f64().unwrap(),
        first["location"]["lat"].as_f64().unwrap(),
    );
    let (s, v) = get(
        &format!(
            "/ogc/collections/incidents/items?limit=1000&bbox={},{},{},{}&datetime={}/..",
            lon - 0.01,
            lat - 0.01,
            lon + 0.01,
            lat + 0.01,
            first["time"].as_str().unwrap()
        ),
        Some(&t.analyst),
    );
    assert_eq!(s, 200, "{v}");
    let inside = full
        .iter()
        .filter(|i| {
            let (x, y) = (
                i["location"]["lon"].as_f64().unwrap(),
                i["location"]["lat"].as_f64().unwrap(),
            );
            (x - lon).abs() <= 0.01
                && (y - lat).abs() <= 0.01
                && i["time"].as_str() >= first["time"].as_str()
        })
        .count();
    assert_eq!(v["numberReturned"], inside);
    assert!(
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == first["id"])
    );
    // A single item by id, as the caller's view names it.
    let (s, v) = get(
        &format!(
            "/ogc/collections/incidents/items/{}",
            liaison[0]["id"].as_str().unwrap()
        ),
        Some(&t.liaison),
    );
    assert_eq!((s, v["type"].as_str()), (200, Some("Feature")));
    let (s, _) = get(
        &format!(
            "/ogc/collections/incidents/items/{}",
            full[0]["id"].as_str().unwrap()
        ),
        Some(&t.liaison),
    );
    assert_eq!(s, 404, "a real id says nothing to a liaison");
}

/// Keeps NDJSON records as `token`'s account; fails unless all were accepted.
fn keep_records(base: &str, token: &str, ndjson: &str) {
    let mut r = with_token(agent().post(format!("{base}/api/v1/records")), Some(token))
        .header("Content-Type", "application/x-ndjson")
        .send(ndjson)
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "{}",
        r.body_mut().read_to_string().unwrap()
    );
}

/// The OpenAPI description of `/api/v1` (generated from the handlers) against the live server
/// with PyPI's `schemathesis`, as the chief (who may call nearly everything): no server error,
/// every status, content type, header and body as described, schema-invalid input refused,
/// methods not described refused. Left out is only the check that every schema-valid input is
/// accepted: the API refuses values its own rules forbid though the schema allows their type
/// (a `from` after `to`, a bearing without its sigma, a date that is not a mission day).
#[test]
fn the_openapi_description_holds_against_the_live_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_, data) = simulated_morning(dir.path(), 5, 3);
    let server = serve(&data, &[]);
    let t = server.tokens.clone().unwrap();
    let (s, doc, _) = get_text(&server.base, "/api/v1/openapi.json", "");
    assert_eq!(s, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["paths"]["/api/v1/incidents"]["get"]["parameters"].is_array());
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // A short run in CI; `TRUCELINE_SCHEMATHESIS_EXAMPLES` asks for a longer one.
    let examples = std::env::var("TRUCELINE_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "10".into());
    let out = std::process::Command::new(repo.join("target/pyenv/bin/schemathesis"))
        .current_dir(dir.path())
        .args([
            "run",
            &format!("{}/api/v1/openapi.json", server.base),
            "--max-examples",
            &examples,
            "--workers",
            "2",
            "--exclude-checks",
            "positive_data_acceptance",
            "-H",
            &format!("Authorization: Bearer {}", t.chief),
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis (PyPI, installed by scripts/deps.sh into target/pyenv)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("passed"), "{text}");
}

/// PyPI's `pytak` as a TAK client on the Cursor on Target port, running `secs` seconds (or
/// until an event whose remarks hold `until` arrives).
fn pytak(port: u16, secs: f64, markers: &[[&str; 4]], until: Option<&str>) -> std::process::Child {
    pytak_to(&format!("tcp://127.0.0.1:{port}"), secs, markers, until)
}

/// [`pytak`] to a URL, or with a TAK data package (a .zip path) as pytak reads one.
fn pytak_to(
    target: &str,
    secs: f64,
    markers: &[[&str; 4]],
    until: Option<&str>,
) -> std::process::Child {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = std::process::Command::new(repo.join("target/pyenv/bin/python"));
    cmd.arg(repo.join("tests/python/cot_client.py"))
        .arg(target)
        .arg(secs.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(u) = until {
        cmd.env("COT_UNTIL", u);
    }
    for m in markers {
        cmd.args(m);
    }
    cmd.spawn()
        .expect("pytak (PyPI, installed by scripts/deps.sh into target/pyenv)")
}

fn pytak_result(child: std::process::Child) -> Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pytak failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Cursor on Target over plain TCP (SPEC 7) with a real TAK client library (pytak): a ping is
/// answered; the incidents are sent as neutral events with the 95 % ellipse as `ce`, redacted
/// for a monitor's port and naming no observer; incidents fused while connected arrive live;
/// an ATAK marker becomes an observation by its sender with its remarks as notes; a bad event
/// is refused and the connection kept; without `--cot-account` the port only sends.
#[test]
fn cursor_on_target_with_a_pytak_client() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = simulated_morning(dir.path(), 5, 3);
    let (ids, places) = observers(&std::fs::read_to_string(&obs).unwrap());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = serve(&data, &["--cot-listen", &listen, "--cot-account", "ingest"]);
    let t = server.tokens.clone().unwrap();
    let base = &server.base;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while call(base, "GET", "/api/v1/incidents?limit=1", &t.analyst, None).1["incidents"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "nothing fused");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Until the incident made below arrives (at most a minute: fusion publishes it within a
    // round, slower on a loaded machine); the scenario's own weapons are of another day.
    let live = format!(
        "weapon at {}",
        (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10)).strftime("%Y-%m-%d")
    );
    let client = pytak(
        port,
        60.0,
        &[
            ["PATROL-7", "48.1012", "37.8021", "two craters by the road"],
            ["PATROL-7", "48.2", "37.9", "a burnt car"],
        ],
        Some(&live),
    );
    // A new incident while the client is connected.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    a_live_incident(base, &t.monitor, "live");
    let got = pytak_result(client);
    assert_eq!(got["sent"], 2);
    let received = got["received"].as_array().unwrap();
    assert!(received.iter().any(|e| e["type"] == "t-x-c-t-r"), "a pong");
    let incidents: Vec<&Value> = received.iter().filter(|e| e["type"] == "a-n-G").collect();
    assert!(!incidents.is_empty(), "{received:?}");
    for e in &incidents {
        // A monitor's port is shown what outside the mission is shown: shown ids, rounded
        // places, ellipses at least 700 m.
        assert!(
            e["uid"].as_str().unwrap().starts_with("truceline-pi-"),
            "{e}"
        );
        let ce = e["ce"].as_f64().unwrap();
        assert!(ce >= 700.0, "{e}");
        assert_eq!(e["how"], "m-f");
    }
    let all_xml: String = received
        .iter()
        .map(|e| e["xml"].as_str().unwrap())
        .collect();
    assert!(!all_xml.contains("a-h-") && !all_xml.to_lowercase().contains("hostile"));
    assert_no_observer("the CoT events", &all_xml, &ids, &places);
    assert!(
        incidents
            .iter()
            .any(|e| e["remarks"].as_str().unwrap().contains(&live)),
        "the live incident arrived: {incidents:?}"
    );
    // A client connecting now is sent the picture of the days fusion holds, the new one in it.
    let later = pytak_result(pytak(port, 30.0, &[], Some(&live)));
    assert!(
        later["received"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "a-n-G" && e["remarks"].as_str().unwrap().contains(&live)),
        "{later}"
    );
    // The markers are observations by their sender.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let kept = loop {
        let (_, v) = call(
            base,
            "GET",
            "/api/v1/observations?observer=PATROL-7",
            &t.analyst,
            None,
        );
        let o = v["observations"].as_array().cloned().unwrap_or_default();
        if o.len() == 2 || std::time::Instant::now() > deadline {
            break o;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(kept.len(), 2, "{kept:?}");
    let notes: Vec<String> = kept
        .iter()
        .map(|o| {
            o["observation"]["notes"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(
        notes.contains(&"two craters by the road".to_string()),
        "{kept:?}"
    );
    assert!(kept.iter().all(|o| o["observation"]["kind"] == "other"));

    // A bad event is refused and the connection kept: a ping after it is answered.
    use std::io::{Read, Write};
    let mut sock = std::net::TcpStream::connect(&listen).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    sock.write_all(br#"<event version="2.0" uid="x" type="b-m-p-s-m" time="2026-11-24T10:00:00Z" start="2026-11-24T10:00:00Z" stale="2026-11-24T11:00:00Z"><point lat="91" lon="37"/><detail><contact callsign="PATROL-8"/></detail></event>"#).unwrap();
    sock.write_all(br#"<event version="2.0" uid="takPing" type="t-x-c-t" time="2026-11-24T10:00:00Z" start="2026-11-24T10:00:00Z" stale="2026-11-24T10:00:20Z"><point lat="0" lon="0"/><detail/></event>"#).unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !String::from_utf8_lossy(&seen).contains("t-x-c-t-r") && std::time::Instant::now() < until
    {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    assert!(
        String::from_utf8_lossy(&seen).contains("t-x-c-t-r"),
        "the connection survives a bad event"
    );
    let (_, v) = call(
        base,
        "GET",
        "/api/v1/observations?observer=PATROL-8",
        &t.analyst,
        None,
    );
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(0));
    drop(server);

    // Without an account the port only sends.
    let dir2 = tempfile::tempdir().unwrap();
    let (_, data2) = simulated_morning(dir2.path(), 6, 2);
    let port2 = free_port();
    let server2 = serve(&data2, &["--cot-listen", &format!("127.0.0.1:{port2}")]);
    let t2 = server2.tokens.clone().unwrap();
    let got = pytak_result(pytak(
        port2,
        3.0,
        &[["PATROL-9", "48.1", "37.8", "not kept"]],
        None,
    ));
    assert!(
        got["received"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "t-x-c-t-r")
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (_, v) = call(
        &server2.base,
        "GET",
        "/api/v1/observations?observer=PATROL-9",
        &t2.analyst,
        None,
    );
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(0));
}

/// `openssl s_client` to the TLS Cursor on Target port sending a ping, with `cert` (a PEM of
/// a certificate and its key) or none: whether a pong came back.
fn openssl_ping(port: u16, ca: &std::path::Path, cert: Option<&std::path::Path>) -> bool {
    use std::io::Write;
    let mut cmd = std::process::Command::new("openssl");
    cmd.args([
        "s_client",
        "-quiet",
        // -quiet would otherwise wait on after standard input ends.
        "-no_ign_eof",
        "-connect",
        &format!("127.0.0.1:{port}"),
    ])
    .arg("-CAfile")
    .arg(ca)
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    if let Some(c) = cert {
        cmd.arg("-cert").arg(c).arg("-key").arg(c);
    }
    let mut child = cmd
        .spawn()
        .expect("openssl (Debian, installed by scripts/deps.sh)");
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(br#"<event version="2.0" uid="takPing" type="t-x-c-t" time="2026-11-24T10:00:00Z" start="2026-11-24T10:00:00Z" stale="2026-11-24T10:00:20Z"><point lat="0" lon="0"/><detail/></event>"#);
    let _ = stdin.flush();
    // Long enough for the pong; then closing stdin ends s_client.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("takPong")
}

/// The files of a data package, unpacked into `dir` (Debian's unzip is not assumed: Python's
/// zipfile), and the client passphrase its preferences hold.
fn unpack(package: &std::path::Path, dir: &std::path::Path) -> String {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let st = std::process::Command::new(repo.join("target/pyenv/bin/python"))
        .args(["-m", "zipfile", "-e"])
        .arg(package)
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
    let pref = std::fs::read_to_string(dir.join("certs/truceline.pref")).unwrap();
    let from = pref.find("\"clientPassword\"").unwrap();
    let rest = &pref[from..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</entry>").unwrap();
    rest[start..end].to_string()
}

/// Cursor on Target over TLS with client certificates (SPEC 7, TAK's convention): the chief
/// issues devices certificates from the mission's authority with their data packages (the API
/// while the server runs, `truceline users cert` when it does not); PyPI's pytak, reading a
/// package as it reads a TAK Server's, verifies the server and connects as the account. An
/// analyst's device is sent the records as points of interest, a monitor's not another's; a
/// monitor's marker becomes an observation; incidents arrive live in the account's view; a
/// liaison's device is sent its view and may not submit; a client without a certificate or
/// with another authority's gets nothing; revoking the certificate cuts the device off; the
/// connections are in the audit trail.
#[test]
fn cursor_on_target_over_tls_with_certificates_from_the_missions_authority() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = simulated_morning(dir.path(), 7, 2);
    let (ids, places) = observers(&std::fs::read_to_string(&obs).unwrap());
    let port = free_port();
    let server = serve(&data, &["--cot-tls-listen", &format!("127.0.0.1:{port}")]);
    let t = server.tokens.clone().unwrap();
    let base = &server.base;
    // Devices are given certificates while the server runs, by the chief through the API.
    for (name, mut body) in [
        ("tak-ops", json!({"role": "monitor"})),
        ("tak-lia", json!({"role": "liaison", "party": "ua"})),
    ] {
        body["name"] = json!(name);
        let (s, v) = call(base, "POST", "/api/v1/accounts", &t.chief, Some(body));
        assert_eq!(s, 201, "{v}");
    }
    let issue = |name: &str, token: &str, out: &std::path::Path| -> (u16, String) {
        let mut r = agent()
            .post(format!("{base}/api/v1/accounts/{name}/certificate"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(json!({"host": "127.0.0.1", "port": port}).to_string())
            .unwrap();
        let status = r.status().as_u16();
        let id = r
            .headers()
            .get("truceline-certificate")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        if status == 201 {
            assert_eq!(r.headers()["content-type"], "application/zip");
            std::fs::write(out, r.body_mut().read_to_vec().unwrap()).unwrap();
        }
        (status, id)
    };
    let (ops, lia) = (dir.path().join("ops.zip"), dir.path().join("lia.zip"));
    let (s, crt) = issue("tak-ops", &t.chief, &ops);
    assert_eq!(s, 201);
    assert!(crt.starts_with("crt_"), "{crt}");
    assert_eq!(issue("tak-lia", &t.chief, &lia).0, 201);
    // Only the chief issues them, and only to an account there is.
    let spare = dir.path().join("spare.zip");
    assert_eq!(issue("tak-ops", &t.analyst, &spare).0, 403);
    assert_eq!(issue("nobody", &t.chief, &spare).0, 404);
    // The authority's key is its owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("tls/ca.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Records an analyst kept: sent to the analysts' devices, not to a monitor that did not keep
    // them, nor to a liaison.
    keep_records(
        base,
        &t.analyst,
        concat!(
            r#"{"id":"fom-tls-1","type":"restriction","time":"2026-11-24T09:10:00Z","kind":"denial","location":{"lon":37.8,"lat":48.1},"party":"ru","duration_min":40,"patrol":"patrol-7"}"#,
            "\n",
            r#"{"id":"haz-tls-1","type":"hazard","time":"2026-11-24T09:20:00Z","hazard":"anti_personnel","marked":false,"area":{"type":"Polygon","coordinates":[[[37.9,48.0],[37.91,48.0],[37.91,48.01],[37.9,48.0]]]}}"#,
            "\n"
        ),
    );
    let ana = dir.path().join("ana.zip");
    assert_eq!(issue("ana", &t.chief, &ana).0, 201);
    // Connected, then a record kept: it arrives too.
    let client = pytak_to(ana.to_str().unwrap(), 60.0, &[], Some("uxo"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    keep_records(
        base,
        &t.analyst,
        concat!(
            r#"{"id":"haz-tls-2","type":"hazard","time":"2026-11-24T10:20:00Z","hazard":"uxo","marked":true,"location":{"lon":37.95,"lat":48.05}}"#,
            "\n"
        ),
    );
    let got = pytak_result(client);
    let records: Vec<&Value> = got["received"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "b-m-p-s-p-i")
        .collect();
    let mut uids: Vec<&str> = records.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    uids.sort();
    assert_eq!(
        uids,
        [
            "truceline-record-fom-tls-1",
            "truceline-record-haz-tls-1",
            "truceline-record-haz-tls-2"
        ],
        "{got}"
    );
    assert!(records.iter().any(|e| {
        e["remarks"]
            .as_str()
            .unwrap()
            .contains("hazard anti_personnel")
    }));

    let live = format!(
        "weapon at {}",
        (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10)).strftime("%Y-%m-%d")
    );
    let client = pytak_to(
        ops.to_str().unwrap(),
        60.0,
        &[["OPS-1", "48.1012", "37.8021", "a crater by the bridge"]],
        Some(&live),
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    a_live_incident(base, &t.monitor, "tls");
    let got = pytak_result(client);
    let received = got["received"].as_array().unwrap();
    assert!(received.iter().any(|e| e["type"] == "t-x-c-t-r"), "a pong");
    assert!(
        received
            .iter()
            .any(|e| e["type"] == "a-n-G" && e["remarks"].as_str().unwrap().contains(&live)),
        "the live incident arrived over TLS: {received:?}"
    );
    let all_xml: String = received
        .iter()
        .map(|e| e["xml"].as_str().unwrap())
        .collect();
    assert_no_observer("the TLS CoT events", &all_xml, &ids, &places);
    assert!(
        !all_xml.contains("truceline-record-"),
        "a monitor has only its own records"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let kept = loop {
        let (_, v) = call(
            base,
            "GET",
            "/api/v1/observations?observer=OPS-1",
            &t.analyst,
            None,
        );
        let o = v["observations"].as_array().cloned().unwrap_or_default();
        if !o.is_empty() || std::time::Instant::now() > deadline {
            break o;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(kept.len(), 1, "the marker is an observation: {kept:?}");
    assert_eq!(kept[0]["observation"]["notes"], "a crater by the bridge");

    // A liaison's device is sent its view and may not submit.
    let got = pytak_result(pytak_to(
        lia.to_str().unwrap(),
        4.0,
        &[["LIA-1", "48.1", "37.8", "not kept"]],
        None,
    ));
    let received = got["received"].as_array().unwrap();
    assert!(received.iter().any(|e| e["type"] == "t-x-c-t-r"));
    let all_xml: String = received
        .iter()
        .map(|e| e["xml"].as_str().unwrap())
        .collect();
    assert_no_observer("a liaison's TLS CoT events", &all_xml, &ids, &places);
    assert!(!all_xml.contains("truceline-record-"));
    let (_, v) = call(
        base,
        "GET",
        "/api/v1/observations?observer=LIA-1",
        &t.analyst,
        None,
    );
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(0));

    // No certificate, or one from another mission's authority: no pong.
    let ca = data.join("tls/ca.pem");
    assert!(
        !openssl_ping(port, &ca, None),
        "a client without a certificate is refused"
    );
    let other = tempfile::tempdir().unwrap();
    let od = other.path().to_str().unwrap();
    run_ok(&[
        "users", "add", "stranger", "--role", "monitor", "--data", od,
    ]);
    // From the command line, with no server running.
    let foreign = other.path().join("stranger.zip");
    run_ok(&[
        "users",
        "cert",
        "stranger",
        "--host",
        "127.0.0.1",
        "--out",
        foreign.to_str().unwrap(),
        "--data",
        od,
    ]);
    let mode = std::fs::metadata(&foreign).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "a package holds a key");
    let out = std::process::Command::new(bin())
        .args([
            "users",
            "cert",
            "nobody",
            "--host",
            "127.0.0.1",
            "--data",
            od,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account nobody"));
    let pem_of = |package: &std::path::Path, dir: &std::path::Path, account: &str| {
        let pw = unpack(package, dir);
        let pem = dir.join(format!("{account}.pem"));
        let st = std::process::Command::new("openssl")
            .args(["pkcs12", "-nodes", "-passin", &format!("pass:{pw}"), "-in"])
            .arg(dir.join(format!("certs/{account}.p12")))
            .arg("-out")
            .arg(&pem)
            .status()
            .unwrap();
        assert!(st.success());
        pem
    };
    let stranger = pem_of(&foreign, &other.path().join("unpacked"), "stranger");
    assert!(
        !openssl_ping(port, &ca, Some(&stranger)),
        "another authority's certificate is refused"
    );
    // The same tool with this mission's own certificate gets its pong: the refusals above are
    // the server's.
    let ops_pem = pem_of(&ops, &dir.path().join("unpacked"), "tak-ops");
    assert!(openssl_ping(port, &ca, Some(&ops_pem)));

    // Listed with the account's tokens; revoked as one is: cut off.
    let (_, v) = call(
        base,
        "GET",
        "/api/v1/tokens?account=tak-ops",
        &t.chief,
        None,
    );
    assert!(
        v["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == crt.as_str()),
        "{v}"
    );
    let (s, _) = call(
        base,
        "DELETE",
        &format!("/api/v1/tokens/{crt}"),
        &t.chief,
        None,
    );
    assert_eq!(s, 204);
    assert!(
        !openssl_ping(port, &ca, Some(&ops_pem)),
        "a revoked certificate is refused"
    );

    // The audit trail holds the device's connections and what it kept, and the refusals.
    let (_, v) = call(base, "GET", "/api/v1/audit?account=tak-ops", &t.chief, None);
    let entries = v["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["method"] == "COT" && e["path"] == "connect tls" && e["status"] == 200),
        "{entries:?}"
    );
    assert!(entries.iter().any(|e| e["method"] == "COT"
        && e["path"].as_str().unwrap().starts_with("observation ")
        && e["status"] == 200));
    let (_, v) = call(base, "GET", "/api/v1/audit?account=-", &t.chief, None);
    assert!(
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["method"] == "COT" && e["status"] == 403),
        "the refused connections: {v}"
    );
}

/// A running `taky` (PyPI's TAK server), killed when dropped.
struct Taky(std::process::Child);

impl Drop for Taky {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts taky in `dir` on a free port: plain TCP, or TLS requiring a client certificate when
/// given the files of its `[ssl]` section (the authority it trusts, its certificate and key).
fn taky(dir: &std::path::Path, ssl: Option<[&std::path::Path; 3]>) -> (Taky, u16) {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let port = free_port();
    let ssl = match ssl {
        None => "enabled = false\n".to_string(),
        Some([ca, cert, key]) => format!(
            "enabled = true\nclient_cert_required = true\nca = {}\ncert = {}\nkey = {}\ncert_db = {}\n",
            ca.display(),
            cert.display(),
            key.display(),
            dir.join("cert-db.txt").display()
        ),
    };
    let conf = dir.join("taky.conf");
    std::fs::write(
        &conf,
        format!(
            "[taky]\nhostname = 127.0.0.1\nnode_id = TAKY\nbind_ip = 127.0.0.1\nroot_dir = {root}\n\n\
             [cot_server]\nport = {port}\n\n[dp_server]\nupload_path = {root}/dp-user\n\n[ssl]\n{ssl}",
            root = dir.display()
        ),
    )
    .unwrap();
    let child = Taky(
        std::process::Command::new(repo.join("target/pyenv/bin/taky"))
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("taky (PyPI, installed by scripts/deps.sh into target/pyenv)"),
    );
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < until, "taky did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, port)
}

/// What taky's client received of a live incident made after it connected: the incidents,
/// each checked neutral, under a public id, naming no observer.
fn federated(
    server: &Server,
    client: std::process::Child,
    live: &str,
    tag: &str,
    obs: &std::path::Path,
) {
    let (ids, places) = observers(&std::fs::read_to_string(obs).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    a_live_incident(&server.base, &server.tokens.as_ref().unwrap().monitor, tag);
    let got = pytak_result(client);
    let incidents: Vec<&Value> = got["received"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "a-n-G")
        .collect();
    assert!(
        incidents
            .iter()
            .any(|e| e["remarks"].as_str().unwrap().contains(live)),
        "taky's client got our live incident: {got}"
    );
    for e in &incidents {
        assert!(
            e["uid"].as_str().unwrap().starts_with("truceline-pi-"),
            "{e}"
        );
    }
    let xml: String = incidents
        .iter()
        .map(|e| e["xml"].as_str().unwrap())
        .collect();
    assert!(!xml.contains("a-h-"));
    assert_no_observer("the events federated to taky", &xml, &ids, &places);
}

fn live_marker() -> String {
    format!(
        "weapon at {}",
        (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10)).strftime("%Y-%m-%d")
    )
}

/// Federation (SPEC 7): a server with `--cot-upstream` sends its incidents to an existing TAK
/// server — PyPI's `taky`, plain TCP — and a pytak client of that TAK server receives them:
/// neutral, in the public redaction, an incident fused while connected arriving live.
#[test]
fn incidents_federate_to_a_taky_server_and_reach_its_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (_taky, tak_port) = taky(dir.path(), None);
    let (obs, data) = simulated_morning(dir.path(), 5, 2);
    let server = serve(&data, &["--cot-upstream", &format!("127.0.0.1:{tak_port}")]);
    let live = live_marker();
    let client = pytak(tak_port, 60.0, &[], Some(&live));
    federated(&server, client, &live, "fed", &obs);
}

/// Federation over TLS, as TAK servers are run: taky on its TLS port requiring a client
/// certificate from its own authority. Truceline connects with the `.p12` bundle and trust
/// store that authority issued (`--cot-upstream-cert`, `--cot-upstream-ca`, the password from
/// the environment), and taky's own TLS client (pytak with a data package) gets the incidents.
/// A Truceline told to trust another authority does not send to it: the TAK server's
/// certificate is checked, not taken on trust.
#[test]
fn incidents_federate_to_a_taky_server_over_tls_with_its_client_certificate() {
    use truceline_pki::{Authority, Package, data_package, pkcs12_with_key, truststore};
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let year = now + time::Duration::days(365);
    let tak = Authority::new("TAK server (test)", now).unwrap();
    let put = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let server_cert = tak.server(&["127.0.0.1".into()], now, year).unwrap();
    let ca = put("tak-ca.pem", tak.cert_pem().as_bytes());
    let cert = put("tak.crt", server_cert.cert_pem.as_bytes());
    let key = put("tak.key", server_cert.key_pem.as_bytes());
    let (_taky, tak_port) = taky(dir.path(), Some([&ca, &cert, &key]));

    let password = "issued by the TAK admin";
    let ours = tak.client("truceline", now, year).unwrap();
    let p12 = put(
        "truceline.p12",
        &pkcs12_with_key(&ours, &tak, password).unwrap(),
    );
    let trust = put("truststore-tak.p12", &truststore(&tak, password).unwrap());
    let viewer = tak.client("viewer", now, year).unwrap();
    let package = put(
        "viewer.zip",
        &data_package(&Package {
            account: "viewer",
            host: "127.0.0.1",
            port: tak_port,
            client_p12: &pkcs12_with_key(&viewer, &tak, password).unwrap(),
            truststore_p12: &truststore(&tak, password).unwrap(),
            password,
            uid: "viewer-package",
        })
        .unwrap(),
    );

    let (obs, data) = simulated_morning(dir.path(), 5, 2);
    let upstream = format!("127.0.0.1:{tak_port}");
    let server = serve_env(
        &data,
        &[
            "--cot-upstream",
            &upstream,
            "--cot-upstream-cert",
            p12.to_str().unwrap(),
            "--cot-upstream-ca",
            trust.to_str().unwrap(),
        ],
        &[("TRUCELINE_COT_UPSTREAM_PASSWORD", password.as_ref())],
    );
    let live = live_marker();
    let client = pytak_to(package.to_str().unwrap(), 60.0, &[], Some(&live));
    federated(&server, client, &live, "tls", &obs);
    drop(server);

    // Trusting another authority: the handshake fails on taky's certificate, and says so.
    // (The identity as PEM this time: the certificate and its key in one file.)
    let other = Authority::new("Someone else", now).unwrap();
    let wrong = put("other-ca.pem", other.cert_pem().as_bytes());
    let pem = put(
        "truceline.pem",
        format!("{}{}", ours.cert_pem, ours.key_pem).as_bytes(),
    );
    let log = dir.path().join("refused.log");
    let _refused = serve_logged(
        &data,
        &[
            "--cot-upstream",
            &upstream,
            "--cot-upstream-cert",
            pem.to_str().unwrap(),
            "--cot-upstream-ca",
            wrong.to_str().unwrap(),
        ],
        &log,
    );
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("cannot reach the TAK server") {
            assert!(text.contains("TLS handshake"), "{text}");
            assert!(!text.contains("connected to the TAK server"), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "no refusal logged: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A new incident now: a weapon seen from a UAV ten minutes ago, published once a later report
/// moves fusion's watermark past its window. `tag` keeps the ids apart.
fn a_live_incident(base: &str, monitor: &str, tag: &str) {
    let now = jiff::Timestamp::now();
    for (n, at, kind) in [
        (1, now - jiff::SignedDuration::from_mins(10), "weapon"),
        (2, now, "movement"),
    ] {
        let (s, v) = call(
            base,
            "POST",
            "/api/v1/observations",
            monitor,
            Some(
                json!({"id": format!("uav9-{tag}-{n}"),"observer":"uav9","source":"uav",
                "time": at.to_string(),"kind": kind,"weapon":"tanks","party":"ru",
                "location":{"lon":37.95,"lat":48.05,"uncertainty_m":20}}),
            ),
        );
        assert_eq!(s, 200, "{v}");
    }
}
