//! The real server on the shared store (PostgreSQL with PostGIS, the cluster
//! `scripts/postgres.sh` starts): accounts made and served through `--store`, a SIGKILL under
//! load losing nothing acknowledged, one writer per store, and the log verified from the
//! database by `log verify --store`.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use truceline_store::{LogStore, ObservationStore, PostgresStore};

fn cluster() -> String {
    if let Ok(u) = std::env::var("TRUCELINE_PG_URL") {
        return u;
    }
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/postgres.sh"
        ))
        .output()
        .expect("bash runs scripts/postgres.sh");
    assert!(
        out.status.success(),
        "scripts/postgres.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

/// `truceline ARGS --store URL`: (success, stdout, stderr).
fn cli(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin())
        .args(args)
        .args(["--store", url])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// An account of `role` in the store at `url`, and a fresh token for it.
fn account(url: &str, name: &str, role: &str) -> String {
    let (ok, _, err) = cli(url, &["users", "add", name, "--role", role]);
    assert!(ok, "{err}");
    let (ok, token, err) = cli(url, &["tokens", "issue", name]);
    assert!(ok, "{err}");
    token.trim().to_string()
}

/// `truceline serve` on the store at `url`, its keys in `keys`, unthrottled for the load.
fn serve_on(url: &str, keys: &std::path::Path) -> Server {
    start(&[
        "serve".into(),
        "--agreement".into(),
        agreement().into(),
        "--store".into(),
        url.into(),
        "--data".into(),
        keys.into(),
        "--rate-per-address".into(),
        "off".into(),
        "--rate-per-account".into(),
        "off".into(),
    ])
}

#[test]
fn the_server_on_postgres_loses_nothing_acknowledged_to_a_kill_and_keeps_one_writer() {
    let base = cluster();
    let schema = format!("cli_{}", std::process::id());
    PostgresStore::drop_schema(&base, &schema).unwrap();
    let url = format!("{base}?schema={schema}");
    let keys = tempfile::tempdir().unwrap();

    let token = account(&url, "ingest", "monitor");
    let analyst = account(&url, "ana", "analyst");
    let serve = || serve_on(&url, keys.path());

    let mut s = serve();
    // While it runs it is the store's one writer: a command that writes is refused, naming
    // the lock; one that reads works beside it.
    let (ok, _, err) = cli(&url, &["users", "add", "other", "--role", "analyst"]);
    assert!(!ok && err.contains("advisory lock"), "{err}");
    let (ok, out, err) = cli(&url, &["users", "list"]);
    assert!(ok && out.contains("ingest"), "{err}");

    let stop = Arc::new(AtomicBool::new(false));
    let (acked, clients) = load(&s.base, &token, 4, "pg", stop.clone());
    std::thread::sleep(Duration::from_millis(1500));
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 50,
        "the load did not build up: {}",
        acked.len()
    );
    eprintln!("killed under load: {} acknowledged", acked.len());

    // Every acknowledged observation is in the database, and the log verifies.
    {
        let store = PostgresStore::open_read_only(&base, &schema).unwrap();
        for id in &acked {
            assert!(
                store.get(id).unwrap().is_some(),
                "acknowledged {id} was lost"
            );
        }
        assert!(store.check().unwrap().observations as usize >= acked.len());
        assert_eq!(store.verify_log(None).unwrap().problem, None);
    }
    let (ok, out, err) = cli(
        &url,
        &["log", "verify", "--data", keys.path().to_str().unwrap()],
    );
    assert!(ok && out.contains("log verified"), "{out} {err}");

    // The lock died with the killed process: a new server takes the store up where it was.
    let s = serve();
    let tokens_base = s.base.clone();
    for id in acked.iter().step_by((acked.len() / 50).max(1)) {
        let mut r = with_token(
            agent().get(format!("{tokens_base}/api/v1/observations/{id}")),
            Some(&analyst),
        )
        .call()
        .unwrap();
        assert_eq!(
            r.status(),
            200,
            "{id}: {}",
            r.body_mut().read_to_string().unwrap()
        );
    }
    drop(s);
    PostgresStore::drop_schema(&base, &schema).unwrap();
}

#[test]
fn two_servers_on_one_database_both_take_writes_and_one_survives_the_others_kill() {
    let base = cluster();
    let schema = format!("two_{}", std::process::id());
    PostgresStore::drop_schema(&base, &schema).unwrap();
    let url = format!("{base}?schema={schema}");
    // One log, one key: both servers are given the same data directory's keys.
    let keys = tempfile::tempdir().unwrap();
    let monitor = account(&url, "ingest", "monitor");
    let analyst = account(&url, "ana", "analyst");
    let chief = account(&url, "chief", "chief");
    {
        use std::io::Write;
        let mut passwd = Command::new(bin())
            .args(["users", "passwd", "chief", "--store", &url])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(passwd.stdin.take().unwrap(), "correct horse battery").unwrap();
        assert!(passwd.wait().unwrap().success());
    }
    let serve = || serve_on(&url, keys.path());
    let mut a = serve();
    let b = serve();
    let post = |base: &str, id: &str| -> u16 {
        with_token(
            agent().post(format!("{base}/api/v1/observations")),
            Some(&monitor),
        )
        .header("Content-Type", "application/x-ndjson")
        .send(format!("{}\n", simple_observation(id)))
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
    };
    // The second stands by, and takes writes all the same: it hands them to the writer and
    // acknowledges once the writer has logged them.
    assert_eq!(post(&b.base, "b-early"), 200);
    let call = |post: bool, base: &str, path: &str, token: &str| -> u16 {
        let r = if post {
            with_token(agent().post(format!("{base}{path}")), Some(token)).send_empty()
        } else {
            with_token(agent().get(format!("{base}{path}")), Some(token)).call()
        };
        r.unwrap().status().as_u16()
    };
    let read = "/api/v1/observations/b-early";
    assert_eq!(
        call(false, &a.base, read, &analyst),
        200,
        "the writer did not store what the standby took"
    );
    // Account changes too, and the writer, which caches tokens, stops honouring a disabled
    // account's at once.
    assert_eq!(
        call(true, &b.base, "/api/v1/accounts/ana/disable", &chief),
        204
    );
    assert_eq!(call(false, &a.base, read, &analyst), 401);
    assert_eq!(
        call(true, &b.base, "/api/v1/accounts/ana/enable", &chief),
        204
    );
    assert_eq!(call(false, &a.base, read, &analyst), 200);
    // A browser session opened on one server is good on the other, and ends on both.
    let signed_in = agent()
        .post(format!("{}/api/v1/session", b.base))
        .header("Content-Type", "application/json")
        .send(r#"{"name":"chief","password":"correct horse battery"}"#)
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let with_cookie = |base: &str| {
        agent()
            .get(format!("{base}/api/v1/summary"))
            .header("Cookie", &cookie)
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!((with_cookie(&a.base), with_cookie(&b.base)), (200, 200));
    let out = agent()
        .delete(format!("{}/api/v1/session", a.base))
        .header("Cookie", &cookie)
        .header("Origin", &a.base)
        .call()
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!((with_cookie(&a.base), with_cookie(&b.base)), (401, 401));
    // Load on both; the writer is killed under it. The standby's clients go on throughout:
    // what it had queued for the dead writer is logged once it has taken over.
    let stop_a = Arc::new(AtomicBool::new(false));
    let stop_b = Arc::new(AtomicBool::new(false));
    let (acked_a, clients_a) = load(&a.base, &monitor, 2, "two-a", stop_a.clone());
    let (acked_b, clients_b) = load(&b.base, &monitor, 2, "two-b", stop_b.clone());
    std::thread::sleep(Duration::from_millis(1200));
    let b_before_kill = acked_b.lock().unwrap().len();
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    stop_a.store(true, Ordering::Relaxed);
    for c in clients_a {
        c.join().unwrap();
    }
    std::thread::sleep(Duration::from_millis(2500));
    stop_b.store(true, Ordering::Relaxed);
    for c in clients_b {
        c.join().unwrap();
    }
    let acked_b = acked_b.lock().unwrap().clone();
    assert!(
        b_before_kill >= 20,
        "the standby took too little before the kill: {b_before_kill}"
    );
    assert!(
        acked_b.len() > b_before_kill,
        "the standby took nothing after the kill"
    );
    let mut acked = acked_a.lock().unwrap().clone();
    assert!(
        acked.len() >= 50,
        "the load did not build up: {}",
        acked.len()
    );
    eprintln!(
        "{} acknowledged by the first server, {} by the second ({b_before_kill} before the kill)",
        acked.len(),
        acked_b.len()
    );
    acked.extend(acked_b);
    // Nothing the first acknowledged is lost, the new writer serves it, and the log verifies.
    for id in acked.iter().step_by((acked.len() / 50).max(1)) {
        let r = with_token(
            agent().get(format!("{}/api/v1/observations/{id}", b.base)),
            Some(&analyst),
        )
        .call()
        .unwrap();
        assert_eq!(r.status(), 200, "{id}");
    }
    {
        let store = PostgresStore::open_read_only(&base, &schema).unwrap();
        for id in &acked {
            assert!(
                store.get(id).unwrap().is_some(),
                "acknowledged {id} was lost"
            );
        }
        assert_eq!(store.verify_log(None).unwrap().problem, None);
    }
    // The new writer signs checkpoints over the whole log, with the log's one key.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut r = agent()
            .get(format!("{}/api/v1/log/checkpoint", b.base))
            .call()
            .unwrap();
        let text = r.body_mut().read_to_string().unwrap();
        let size: u64 = text.lines().nth(1).unwrap().parse().unwrap();
        if size as usize > acked.len() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint over the log: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ok, out, err) = cli(
        &url,
        &["log", "verify", "--data", keys.path().to_str().unwrap()],
    );
    assert!(ok && out.contains("log verified"), "{out} {err}");
    drop(b);
    PostgresStore::drop_schema(&base, &schema).unwrap();
}
