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

#[test]
fn the_server_on_postgres_loses_nothing_acknowledged_to_a_kill_and_keeps_one_writer() {
    let base = cluster();
    let schema = format!("cli_{}", std::process::id());
    PostgresStore::drop_schema(&base, &schema).unwrap();
    let url = format!("{base}?schema={schema}");
    let keys = tempfile::tempdir().unwrap();

    let (ok, _, err) = cli(&url, &["users", "add", "ingest", "--role", "monitor"]);
    assert!(ok, "{err}");
    let (ok, token, err) = cli(&url, &["tokens", "issue", "ingest"]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let (ok, _, err) = cli(&url, &["users", "add", "ana", "--role", "analyst"]);
    assert!(ok, "{err}");
    let (ok, analyst, err) = cli(&url, &["tokens", "issue", "ana"]);
    assert!(ok, "{err}");
    let analyst = analyst.trim().to_string();
    let serve = || {
        start(&[
            "serve".into(),
            "--agreement".into(),
            agreement().into(),
            "--store".into(),
            url.clone().into(),
            "--data".into(),
            keys.path().into(),
            "--rate-per-address".into(),
            "off".into(),
            "--rate-per-account".into(),
            "off".into(),
        ])
    };

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
