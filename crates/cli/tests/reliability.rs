//! The reliability suite's short form (its long form: `scripts/reliability.sh`): the real server
//! killed with SIGKILL under load round after round, and run on a disk that fills and a device
//! whose fsync fails. Each time, every acknowledged record is found and the log verifies.
//!
//! `TRUCELINE_KILL_ROUNDS` sets the rounds of the kill loop (3 here, 100 in the long form).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use truceline_store::{LogStore, ObservationStore, SqliteStore};

use common::*;

/// The store in `dir` is consistent, holds every id in `acked`, and its log verifies with every
/// record and the agreement and audit batches as leaves.
fn check_store(dir: &Path, acked: &[String], round: usize) -> SqliteStore {
    let store = SqliteStore::open(dir).unwrap();
    for id in acked {
        assert!(
            store.get(id).unwrap().is_some(),
            "round {round}: acknowledged observation {id} was lost"
        );
    }
    let report = store
        .check()
        .unwrap_or_else(|e| panic!("round {round}: the store is inconsistent: {e}"));
    assert!(report.observations as usize >= acked.len());
    let log = store.verify_log(None).unwrap();
    assert_eq!(log.problem, None, "round {round}");
    store
}

#[test]
fn kill_nine_under_load_round_after_round() {
    let rounds: usize = std::env::var("TRUCELINE_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<String> = Vec::new();
    // A fixed sequence of kill times from 0.2 to 1.5 s: the same run every time, spread over
    // the phases of a commit.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..rounds {
        let mut s = serve(
            dir.path(),
            &["--rate-per-address", "off", "--rate-per-account", "off"],
        );
        let token = s.tokens.as_ref().unwrap().monitor.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let (acked, clients) = load(&s.base, &token, 6, &format!("r{round}"), stop.clone());
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let after = Duration::from_millis(200 + x % 1300);
        let started = Instant::now();
        while started.elapsed() < after {
            std::thread::sleep(Duration::from_millis(10));
        }
        s.child.kill().unwrap();
        s.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        let n = acked.lock().unwrap().len();
        all.extend(acked.lock().unwrap().iter().cloned());
        drop(check_store(dir.path(), &all, round));
        eprintln!(
            "round {round}: killed after {} ms, {n} acknowledged, {} in all, every one found, log verified",
            after.as_millis(),
            all.len()
        );
    }
    assert!(
        all.len() >= 50 * rounds,
        "the load did not build up: {} acknowledged in {rounds} rounds",
        all.len()
    );
    // And the server restarted over it answers for each (a sample: all would be slow).
    let s = serve(dir.path(), &[]);
    for id in all.iter().step_by((all.len() / 200).max(1)) {
        let (status, _) = get(&s.base, &format!("/api/v1/observations/{id}"));
        assert_eq!(status, 200, "acknowledged observation {id} not served");
    }
}

fn health(base: &str) -> (u16, Value) {
    let mut r = agent().get(format!("{base}/healthz")).call().unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

/// A full disk and then a failing fsync under a real server: writes are refused with 503 and
/// nothing of them kept, reads go on, `/healthz` says why, and once the fault clears writing
/// resumes by itself; every acknowledged observation survives, and the log verifies.
#[test]
fn a_full_disk_and_a_failing_fsync_lose_nothing_and_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, data, enospc, eio) = serve_with_faults(tmp.path());
    let t = s.tokens.clone().unwrap();
    let send = |id: &str| {
        post(
            &s.base,
            &simple_observation(id).to_string(),
            "application/json",
        )
    };
    let mut acked = Vec::new();
    for i in 0..20 {
        let id = format!("before-{i}");
        assert_eq!(send(&id).0, 200);
        acked.push(id);
    }
    for (fault, what) in [(&enospc, "full"), (&eio, "io")] {
        std::fs::write(fault, "").unwrap();
        for i in 0..5 {
            let (status, v) = send(&format!("during-{what}-{i}"));
            assert_eq!(status, 503, "{v}");
            assert_eq!(v["error"]["code"], "store_unavailable", "{v}");
        }
        let (status, h) = health(&s.base);
        assert_eq!(status, 503, "{h}");
        assert_eq!(h["status"], "degraded");
        assert!(
            h["problems"][0]
                .as_str()
                .unwrap()
                .contains("the store cannot write"),
            "{h}"
        );
        assert!(h["store_write_errors"].as_u64().unwrap() >= 5, "{h}");
        // Reads go on.
        let (status, _) = get(&s.base, "/api/v1/observations/before-3");
        assert_eq!(status, 200);
        let (_, m) = get(&s.base, "/metrics");
        assert!(m.as_str().unwrap().contains("truceline_degraded 1"), "{m}");
        std::fs::remove_file(fault).unwrap();
        // Writing resumes: the first write may still meet the fault's aftermath, none after.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut i = 0;
        loop {
            let id = format!("after-{what}-{i}");
            i += 1;
            if send(&id).0 == 200 {
                acked.push(id);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "writes did not resume after the {what} fault"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(health(&s.base).0, 200);
        for k in 0..10 {
            let id = format!("then-{what}-{k}");
            assert_eq!(send(&id).0, 200);
            acked.push(id);
        }
    }
    assert!(t.chief.len() > 8);
    drop(s);
    // Nothing acknowledged was lost; nothing refused was kept half-way.
    // The same store, not opened again: its writer lock, once released, can stay held for a
    // moment by a process another test of this binary is starting (a child holds the parent's
    // descriptors until it executes), and a second open would then find the store busy.
    let store = check_store(&data, &acked, 0);
    for what in ["full", "io"] {
        for i in 0..5 {
            assert!(
                store.get(&format!("during-{what}-{i}")).unwrap().is_none(),
                "a refused observation was kept"
            );
        }
    }
    let (size, _) = store.log_head();
    assert!(size as usize > acked.len());
}

/// A behaviour at sea found while the store cannot write is not lost: the delivery that closed
/// it is answered 503, and it is logged with the next delivery once the store recovers (a
/// delivery sent again is harmless: sentences already taken are stale).
#[test]
fn behaviours_at_sea_found_while_the_store_fails_are_logged_when_it_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("feed.nmea");
    run_ok(&[
        "ais",
        "simulate",
        "--seed",
        "7",
        "--vessels",
        "20",
        "--hours",
        "30",
        "--out",
        feed.to_str().unwrap(),
        "--truth",
        tmp.path().join("truth.ndjson").to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&feed).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = message_start(&lines, lines.len() / 2);
    let cut_time = last_tag_time(&lines[..cut]);
    let (s, data, enospc, _) = serve_with_faults(tmp.path());
    let t = s.tokens.clone().unwrap();
    let post = |body: String| post_ais(&s.base, &t.monitor, body);
    std::fs::write(&enospc, "").unwrap();
    let (status, v) = post(lines[..cut].join("\n"));
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["error"]["code"], "store_unavailable", "{v}");
    std::fs::remove_file(&enospc).unwrap();
    // The store may still meet the fault's aftermath once; sending again is harmless.
    let deadline = Instant::now() + Duration::from_secs(10);
    let logged = loop {
        let (status, v) = post(lines[cut..].join("\n"));
        if status == 200 {
            break v["events_logged"].as_u64().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "AIS not taken after the fault: {v}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(s);
    let s = serve(&data, &[]);
    let t = s.tokens.clone().unwrap();
    let (status, back) = {
        let mut r = with_token(
            agent().get(format!("{}/api/v1/vessels/events", s.base)),
            Some(&t.analyst),
        )
        .call()
        .unwrap();
        (
            r.status().as_u16(),
            serde_json::from_str::<Value>(&r.body_mut().read_to_string().unwrap()).unwrap(),
        )
    };
    assert_eq!(status, 200, "{back}");
    let back = back["events"].as_array().unwrap();
    assert_eq!(
        back.len() as u64,
        logged,
        "every logged behaviour read back"
    );
    let before_cut = back
        .iter()
        .filter(|e| {
            e["end"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|end| end < cut_time)
        })
        .count();
    assert!(
        before_cut > 0,
        "the behaviours closed during the fault were logged after it: {back:?}"
    );
}
