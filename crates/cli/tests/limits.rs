//! Hostile clients against the real server: every limit holds, answers in the error envelope,
//! and leaves what was accepted as it was.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::*;

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// One raw request on a fresh connection: status, head and body as text.
fn raw(base: &str, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr(base)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // A server that answers before reading everything may close on us: that is its right.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// A request with a method, path, token, content type and body; status, headers, JSON body.
fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> (u16, ureq::http::HeaderMap, Value) {
    let url = format!("{base}{path}");
    let a = agent();
    let mut r = match (method, body) {
        ("GET", _) => with_token(a.get(&url), token).call(),
        ("DELETE", _) => with_token(a.delete(&url), token).call(),
        ("PUT", Some((ct, b))) => with_token(a.put(&url), token)
            .header("Content-Type", ct)
            .send(b),
        (_, Some((ct, b))) => with_token(a.post(&url), token)
            .header("Content-Type", ct)
            .send(b),
        (_, None) => with_token(a.post(&url), token).send_empty(),
    }
    .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, v)
}

fn assert_envelope(v: &Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

/// Strict input: each case the hostile tests found, refused naming the field, in the envelope;
/// nothing stored for any of them.
#[test]
fn strict_input_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let t = s.tokens.clone().unwrap();
    let post = |body: String| {
        call(
            &s.base,
            "POST",
            "/api/v1/observations",
            Some(&t.monitor),
            Some(("application/json", body.as_bytes())),
        )
    };
    let good = simple_observation("o-1").to_string();
    // A key given twice: which did the sender mean?
    let (status, _, v) = post(good.replacen(r#""id":"o-1""#, r#""id":"a","id":"b""#, 1));
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["field"], "id", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("twice"));
    // Escaped control characters in free text.
    for c in ["\\u0000", "\\u001b[2J"] {
        let (status, _, v) = post(good.replace("illustrative", &format!("x{c}y")));
        assert_eq!(status, 400, "{c}: {v}");
        assert_eq!(v["error"]["field"], "notes", "{v}");
    }
    for id in [".", ".."] {
        let (status, _, v) = post(good.replace(r#""o-1""#, &format!("{id:?}")));
        assert_eq!(status, 400, "{id}: {v}");
        assert_eq!(v["error"]["field"], "id", "{v}");
    }
    // The same key in a small body (a decision) too.
    let (status, _, v) = call(
        &s.base,
        "POST",
        "/api/v1/incidents/inc-x/decisions",
        Some(&t.analyst),
        Some((
            "application/json",
            br#"{"decision":"confirmed","decision":"dismissed"}"#,
        )),
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["field"], "decision", "{v}");
    // Query parameters.
    for (path, field) in [
        ("/api/v1/observations?cursor=9223372036854775808", "cursor"),
        ("/api/v1/observations?cursor=18446744073709551615", "cursor"),
        ("/api/v1/observations?bbox=37,48,x,39,49", "bbox"),
        ("/api/v1/observations?bbox=37,48,39", "bbox"),
        ("/api/v1/incidents?cursor=99999999999999999999.x", "cursor"),
    ] {
        let (status, _, v) = call(&s.base, "GET", path, Some(&t.chief), None);
        assert_eq!(status, 400, "{path}: {v}");
        assert_eq!(v["error"]["field"], field, "{path}: {v}");
    }
    // The largest cursor the store counts in is still a cursor (an empty page).
    let (status, _, v) = call(
        &s.base,
        "GET",
        "/api/v1/observations?cursor=9223372036854775807",
        Some(&t.chief),
        None,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(0), "{v}");
    // Nothing of the above was stored.
    let (_, _, v) = call(&s.base, "GET", "/api/v1/observations", Some(&t.chief), None);
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(0), "{v}");
    // A good one still is.
    let (status, _, v) = post(good);
    assert_eq!(status, 200, "{v}");
}

/// What axum and hyper refuse before our handlers gets the envelope too: 405, 414, 431, and a
/// body over its route's limit, the cosignature's included.
#[test]
fn refusals_made_below_the_handlers_are_json_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--max-body", "100000"]);
    let t = s.tokens.clone().unwrap();
    let (status, h, v) = call(&s.base, "DELETE", "/api/v1/summary", Some(&t.chief), None);
    assert_eq!(status, 405, "{v}");
    assert_envelope(&v, "method_not_allowed");
    assert!(h.get("allow").is_some());

    let long = format!(
        "GET /api/v1/observations?from={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "9".repeat(20_000)
    );
    let (status, head, body) = raw(&s.base, long.as_bytes());
    assert_eq!(status, 414, "{head}");
    assert_envelope(&serde_json::from_str(&body).unwrap(), "uri_too_long");

    let mut many = String::from("GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for i in 0..100 {
        many.push_str(&format!("X-Filler-{i}: {}\r\n", "y".repeat(10)));
    }
    many.push_str("\r\n");
    let (status, head, body) = raw(&s.base, many.as_bytes());
    assert_eq!(status, 431, "{head}");
    assert_envelope(&serde_json::from_str(&body).unwrap(), "headers_too_large");
    let big = format!(
        "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "z".repeat(40_000)
    );
    let (status, head, body) = raw(&s.base, big.as_bytes());
    assert_eq!(status, 431, "{head}");
    assert_envelope(&serde_json::from_str(&body).unwrap(), "headers_too_large");

    // A cosignature said to be a gigabyte is refused after 64 KiB, not read to the end (the
    // client sends 128 KiB and waits for the answer).
    let started = Instant::now();
    let mut req = format!(
        "POST /api/v1/log/cosignature HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        t.witness,
        1u64 << 30
    )
    .into_bytes();
    req.extend(vec![b'a'; 128 << 10]);
    let (status, head, body) = raw(&s.base, &req);
    assert_eq!(status, 413, "{head}");
    assert_envelope(&serde_json::from_str(&body).unwrap(), "too_large");
    assert!(started.elapsed() < Duration::from_secs(10));
    let big_obs = format!("{}\n", simple_observation("big")).repeat(1000);
    let (status, _, v) = call(
        &s.base,
        "POST",
        "/api/v1/observations",
        Some(&t.monitor),
        Some(("application/x-ndjson", big_obs.as_bytes())),
    );
    assert_eq!(status, 413, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("100000"),
        "{v}"
    );
    // The server is unharmed.
    let (status, _, v) = call(&s.base, "GET", "/healthz", None, None);
    assert_eq!(status, 200, "{v}");
}

/// Connections: a head that trickles in is cut off at its deadline; past the cap, silent
/// connections cannot keep health and the chief out, and others are told the server is busy.
#[test]
fn slow_and_silent_connections_cannot_lock_anyone_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(
        dir.path(),
        &[
            "--header-timeout",
            "1",
            "--max-connections",
            "16",
            "--reserved-connections",
            "4",
        ],
    );
    let t = s.tokens.clone().unwrap();
    // Slowloris: a byte of head a while; the server closes within its deadline.
    let mut slow = TcpStream::connect(addr(&s.base)).unwrap();
    slow.write_all(b"GET /api/v1/healthz HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(300));
        if slow.write_all(b"X-A: b\r\n").is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        slow.set_nonblocking(true).unwrap();
        match slow.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {}
            Err(_) => {}
        }
        slow.set_nonblocking(false).unwrap();
    }
    assert!(closed, "a trickling head was not cut off");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Far more silent connections than the cap, held open.
    let silent: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(addr(&s.base)).ok())
        .collect();
    assert!(silent.len() >= 50);
    std::thread::sleep(Duration::from_millis(200));
    // Health gets in, on a connection of its own, at once.
    for _ in 0..5 {
        let (status, _, v) = call(&s.base, "GET", "/healthz", None, None);
        assert_eq!(status, 200, "{v}");
    }
    // So does the chief; an analyst is told to come back, in the envelope.
    let mut analyst = None;
    for _ in 0..5 {
        let (status, _, v) = call(&s.base, "GET", "/api/v1/summary", Some(&t.chief), None);
        assert_eq!(status, 200, "{v}");
        let (status, h, v) = call(&s.base, "GET", "/api/v1/summary", Some(&t.analyst), None);
        analyst = Some((status, h, v));
    }
    let (status, h, v) = analyst.unwrap();
    assert_eq!(status, 503, "{v}");
    assert_envelope(&v, "busy");
    assert!(h.get("retry-after").is_some());
    // The metrics say so.
    let (_, _, m) = call(&s.base, "GET", "/metrics", Some(&t.chief), None);
    let m = m.as_str().unwrap().to_string();
    assert!(m.contains("truceline_connections_open"), "{m}");
    drop(silent);
    // Once they are gone (or timed out), everyone is served again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, _) = call(&s.base, "GET", "/api/v1/summary", Some(&t.analyst), None);
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still busy");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Rate limits: past its burst an address or an account gets 429 with `Retry-After`; health
/// is never limited; signing in has a lower rate of its own.
#[test]
fn rates_are_limited_per_address_and_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(
        dir.path(),
        &[
            "--rate-per-account",
            "2/5",
            "--rate-per-address",
            "100/200",
            "--sign-in-rate",
            "1/3",
        ],
    );
    let t = s.tokens.clone().unwrap();
    let statuses: Vec<(u16, Option<String>, Value)> = (0..12)
        .map(|_| {
            let (st, h, v) = call(&s.base, "GET", "/api/v1/summary", Some(&t.analyst), None);
            let ra = h
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (st, ra, v)
        })
        .collect();
    let ok = statuses.iter().filter(|s| s.0 == 200).count();
    let limited: Vec<_> = statuses.iter().filter(|s| s.0 == 429).collect();
    assert!(
        (5..=7).contains(&ok),
        "{ok} answered of 12 with a burst of 5"
    );
    assert!(!limited.is_empty());
    for (_, ra, v) in &limited {
        assert_envelope(v, "rate_limited");
        assert!(
            ra.as_deref()
                .is_some_and(|s| s.parse::<u64>().unwrap() >= 1)
        );
    }
    // Another account is not held back by the first.
    let (status, _, _) = call(&s.base, "GET", "/api/v1/summary", Some(&t.chief), None);
    assert_eq!(status, 200);
    let (status, _, _) = call(&s.base, "GET", "/api/v1/keys", Some(&t.monitor), None);
    assert_eq!(status, 200);
    // Health never.
    for _ in 0..50 {
        assert_eq!(call(&s.base, "GET", "/healthz", None, None).0, 200);
    }
    // Sign-in attempts: three, then 429 whatever the password.
    let tries: Vec<u16> = (0..6)
        .map(|_| {
            call(
                &s.base,
                "POST",
                "/api/v1/session",
                None,
                Some((
                    "application/json",
                    br#"{"name":"ana","password":"wrong password"}"#,
                )),
            )
            .0
        })
        .collect();
    assert_eq!(&tries[..3], &[401, 401, 401], "{tries:?}");
    assert!(tries[3..].contains(&429), "{tries:?}");
    // The refusals are in the audit trail.
    let (_, _, audit) = call(&s.base, "GET", "/api/v1/audit", Some(&t.chief), None);
    assert!(audit.to_string().contains("429"), "{audit}");
}

/// Expensive reads: many identical report requests at once are computed once and all answered
/// alike; a change to the data is seen at once.
#[test]
fn expensive_reads_are_computed_once_for_all_who_ask() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--expensive-reads", "1"]);
    let t = s.tokens.clone().unwrap();
    let path = "/api/v1/reports/daily/2026-11-24?format=html&audience=restricted";
    let bodies: Vec<(u16, String)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..16)
            .map(|_| {
                sc.spawn(|| {
                    let mut r =
                        with_token(agent().get(format!("{}{path}", s.base)), Some(&t.analyst))
                            .call()
                            .unwrap();
                    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(bodies.iter().all(|(s, _)| *s == 200));
    assert!(bodies.iter().all(|(_, b)| *b == bodies[0].1));
    let metric = |by: &str| -> u64 {
        let (_, _, m) = call(&s.base, "GET", "/metrics", Some(&t.chief), None);
        m.as_str()
            .unwrap()
            .lines()
            .find(|l| l.starts_with(&format!("truceline_expensive_reads_total{{by=\"{by}\"}}")))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(metric("asked"), 16);
    // The log grew by nothing in between, so one computation served all (a checkpoint or
    // an audit batch in between may have made a second).
    assert!(metric("computed") <= 2, "computed {}", metric("computed"));
    // A decision changes what the report may say: the next read is computed again.
    let before = metric("computed");
    post(
        &s.base,
        &simple_observation("o-9").to_string(),
        "application/json",
    );
    let (status, _, _) = call(&s.base, "GET", path, Some(&t.analyst), None);
    assert_eq!(status, 200);
    assert_eq!(metric("computed"), before + 1);
    // The public edition of an unpublished day is still refused to the public: the cache
    // never answers before the access check.
    let (status, _, v) = call(
        &s.base,
        "GET",
        "/api/v1/reports/daily/2026-11-24?format=html",
        None,
        None,
    );
    assert_eq!(status, 404, "{v}");
}

/// Every page of `/api/v1/incidents?QUERY` as `token` is shown it, following `next_cursor`:
/// the incidents, and each page's (count, cursor).
fn every_page(base: &str, query: &str, token: &str) -> (Vec<Value>, Vec<(usize, Option<String>)>) {
    pages_of(base, "/api/v1/incidents", query, Some(token))
}

/// Every page of the incident list at `list`, followed from its first.
fn pages_of(
    base: &str,
    list: &str,
    query: &str,
    token: Option<&str>,
) -> (Vec<Value>, Vec<(usize, Option<String>)>) {
    let (mut all, mut pages) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("{list}?limit=1000{query}"),
            Some(c) => format!("{list}?limit=1000{query}&cursor={c}"),
        };
        let (status, _, v) = call(base, "GET", &path, token, None);
        assert_eq!(status, 200, "{path}: {v}");
        let items = v["incidents"].as_array().unwrap().clone();
        cursor = v["next_cursor"].as_str().map(str::to_string);
        pages.push((items.len(), cursor.clone()));
        all.extend(items);
        if cursor.is_none() {
            return (all, pages);
        }
        assert!(pages.len() < 1000, "paging ends");
    }
}

/// A filter that matches little cannot make one page read the whole store: past its budget
/// (`--page-read`, here 40 incidents) a page stops at the next hour and says where to go on, at
/// that hour rather than at an incident a view may not see; followed, the pages give exactly
/// the incidents the filter matches, for the mission and for a liaison.
#[test]
fn a_page_of_incidents_reads_a_bounded_part_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (_, data) = simulated_morning(dir.path(), 5, 4);
    run_ok(&[
        "report",
        "--data",
        data.to_str().unwrap(),
        "--date",
        "2026-11-24",
    ]);
    let stored: Vec<truceline_incident::IncidentRecord> = {
        let store = truceline_store::SqliteStore::open_read_only(&data).unwrap();
        truceline_store::IncidentStore::incidents_between(&store, i64::MIN, i64::MAX)
            .unwrap()
            .into_iter()
            .map(|r| r.record)
            .collect()
    };
    assert!(stored.len() > 200, "{}", stored.len());
    let s = serve(&data, &["--page-read", "40"]);
    let t = s.tokens.clone().unwrap();
    let ids = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let hour_cursors = |pages: &[(usize, Option<String>)]| {
        pages
            .iter()
            .filter_map(|(_, c)| c.as_deref()?.strip_suffix('.'))
            .map(|t| t.parse::<i64>().unwrap())
            .collect::<Vec<i64>>()
    };

    // Unfiltered: every incident once, in (time, id) order, a page an hour or so.
    let (all, pages) = every_page(&s.base, "", &t.analyst);
    let want: Vec<String> = stored.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids(&all), want);
    assert!(pages.len() >= 4, "{pages:?}");

    // A box far from the fire: no incident, in short pages that end at hours.
    let (none, pages) = every_page(&s.base, "&bbox=30.0,45.0,30.1,45.1", &t.analyst);
    assert!(none.is_empty());
    let hours = hour_cursors(&pages);
    assert!(hours.len() >= 3, "{pages:?}");
    assert!(hours.iter().all(|t| t % 3_600_000 == 0), "{hours:?}");
    assert!(hours.windows(2).all(|w| w[0] < w[1]), "{hours:?}");

    // A box over the west of the line: exactly the incidents inside it.
    let inside = |r: &truceline_incident::IncidentRecord| {
        (37.0..=38.2).contains(&r.location.lon) && (47.0..=49.0).contains(&r.location.lat)
    };
    let (some, _) = every_page(&s.base, "&bbox=37.0,47.0,38.2,49.0", &t.analyst);
    let want: Vec<String> = stored
        .iter()
        .filter(|r| inside(r))
        .map(|r| r.id.clone())
        .collect();
    assert!(!want.is_empty() && want.len() < stored.len());
    assert_eq!(ids(&some), want);

    // A liaison of ua: its view's incidents, each once, under shown ids; a cursor names an hour
    // or an incident it was shown, never the mission's id of one it was not.
    let (theirs, pages) = every_page(&s.base, "&bbox=37.0,47.0,38.2,49.0", &t.liaison);
    let expected = stored
        .iter()
        .filter(|r| inside(r))
        .filter(|r| {
            r.attribution.party.as_deref() == Some("ua") || r.control.as_deref() == Some("ua")
        })
        .count();
    let shown = ids(&theirs);
    assert_eq!(shown.len(), expected);
    assert_eq!(
        shown
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        shown.len()
    );
    assert!(shown.iter().all(|id| id.starts_with("pi-")));
    for (_, c) in &pages {
        if let Some(c) = c {
            let (_, id) = c.split_once('.').unwrap();
            assert!(id.is_empty() || shown.iter().any(|s| s == id), "{c}");
        }
    }

    // Observations are filtered by the store as it reads, ten times as many positions a page
    // (400 here): a box far from the fire is answered in short pages too, and a box with some
    // in it gives each of them once.
    let observations = |query: &str| {
        let (mut got, mut pages) = (Vec::new(), 0);
        let mut cursor = String::new();
        loop {
            let path = format!("/api/v1/observations?limit=1000{query}{cursor}");
            let (status, _, v) = call(&s.base, "GET", &path, Some(&t.analyst), None);
            assert_eq!(status, 200, "{path}: {v}");
            got.extend(
                v["observations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["log_index"].as_u64().unwrap()),
            );
            pages += 1;
            match v["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return (got, pages),
            }
        }
    };
    let store = truceline_store::SqliteStore::open_read_only(&data).unwrap();
    let unbounded = |bbox: [f64; 4]| -> Vec<u64> {
        truceline_store::ObservationStore::query(
            &store,
            &truceline_store::Query {
                bbox: Some(bbox),
                limit: 1_000_000,
                ..Default::default()
            },
        )
        .unwrap()
        .items
        .iter()
        .map(|o| o.log_index)
        .collect()
    };
    let (none, pages) = observations("&bbox=30.0,45.0,30.1,45.1");
    assert!(none.is_empty());
    let stored_obs = truceline_store::ObservationStore::high_water(&store)
        .unwrap()
        .1;
    assert!(
        pages as u64 >= stored_obs / 400,
        "{pages} pages of {stored_obs}"
    );
    let (some, _) = observations("&bbox=37.0,47.0,38.2,49.0");
    let want = unbounded([37.0, 47.0, 38.2, 49.0]);
    assert!(!want.is_empty());
    assert_eq!(some, want);
}

/// The public feed passes over a mission day whose public report is not published in one read,
/// not one page for each `--page-read` of its incidents: over three mission days with only the
/// middle one published, it gives exactly that day's incidents, and the days around it cost a
/// page each.
#[test]
fn the_public_feed_passes_over_unpublished_days_whole() {
    let dir = tempfile::tempdir().unwrap();
    // 2026-11-23 15:00 UTC to 2026-11-24 19:00 UTC: the end of mission day 2026-11-23 (which
    // ends at 19:30 Kyiv time, 17:30 UTC), all of 2026-11-24 and the start of 2026-11-25.
    let (_, data) = simulated(dir.path(), 6, "2026-11-23T15:00:00Z", 28, 2);
    run_ok(&["report", "--data", data.to_str().unwrap()]);
    let (before, during, after) = {
        let store = truceline_store::SqliteStore::open_read_only(&data).unwrap();
        let count = |from: &str, to: &str| {
            let ms = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_millisecond();
            truceline_store::IncidentStore::incidents_between(&store, ms(from), ms(to))
                .unwrap()
                .len()
        };
        (
            count("2026-11-23T00:00:00Z", "2026-11-23T17:30:00Z"),
            count("2026-11-23T17:30:00Z", "2026-11-24T17:30:00Z"),
            count("2026-11-24T17:30:00Z", "2026-11-26T00:00:00Z"),
        )
    };
    // Each day around the published one would take pages of its own were it read through.
    assert!(before > 40 && after > 40, "{before} {after}");
    let s = serve(&data, &["--page-read", "40"]);
    let t = s.tokens.clone().unwrap();
    let (status, _, r) = call(
        &s.base,
        "POST",
        "/api/v1/reports/daily/2026-11-24/publish?audience=public",
        Some(&t.chief),
        Some(("application/json", b"{}")),
    );
    assert_eq!(status, 201, "{r}");

    let (items, pages) = pages_of(&s.base, "/api/v1/public/incidents", "", None);
    assert_eq!(items.len(), during, "{pages:?}");
    assert!(items.iter().all(|i| i["mission_day"] == "2026-11-24"));
    let shown: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(shown.len(), items.len(), "each incident once");
    // The published day's pages are bounded as any are (40 incidents read, then on to the
    // hour); the unpublished days add one empty page each, whose cursor is the day's end.
    let empty: Vec<Option<&str>> = pages
        .iter()
        .filter(|(n, _)| *n == 0)
        .map(|(_, c)| c.as_deref())
        .collect();
    assert!(empty.len() <= 3, "{pages:?}");
    let ends = [
        "2026-11-23T17:30:00Z",
        "2026-11-24T17:30:00Z",
        "2026-11-25T17:30:00Z",
    ]
    .map(|t| {
        format!(
            "{}.",
            t.parse::<jiff::Timestamp>().unwrap().as_millisecond()
        )
    });
    assert!(
        empty
            .iter()
            .flatten()
            .all(|c| ends.iter().any(|e| e == c) || c.split_once('.').unwrap().1.is_empty()),
        "{pages:?}"
    );
    assert!(
        pages
            .first()
            .is_some_and(|(n, c)| *n == 0 && c.as_deref() == Some(ends[0].as_str())),
        "{pages:?}"
    );

    // Asked from inside a day not published, the feed starts at the next day's start.
    let from = "2026-11-24T18:00:00Z";
    let (late, _) = pages_of(
        &s.base,
        "/api/v1/public/incidents",
        &format!("&from={from}"),
        None,
    );
    assert!(late.is_empty(), "{late:?}");
}
