//! The embedded store's guarantees: idempotent re-sends, conflicts that change nothing, group
//! commit under concurrency, queries and paging, schema versions, and the consistency check.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use truceline_store::conformance::obs;
use truceline_store::*;

/// A fresh store in a temporary directory that lives as long as it.
struct Fresh {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Fresh {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

fn fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    Fresh {
        store: SqliteStore::open(dir.path()).unwrap(),
        _dir: dir,
    }
}

truceline_store::conformance_tests!(fresh());

#[test]
fn concurrent_requests_share_commits_and_all_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let commits = Arc::new(AtomicUsize::new(0));
    let c2 = commits.clone();
    let store = Arc::new(
        SqliteStore::open_with(
            dir.path(),
            Arc::new(move |_| {
                c2.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .unwrap(),
    );
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let o = obs(&format!("t{t}-{i}"), &format!("op{t}"), i, 37.0, 48.0);
                    let r = store.submit_blocking(vec![o]).unwrap();
                    assert!(matches!(r[0], Outcome::Accepted { .. }));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = commits.load(Ordering::Relaxed);
    assert!(n < 800, "800 requests should share commits, took {n}");
    store.close();
    drop(store);
    // Reopened, everything acknowledged is there in an unbroken sequence.
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.check().unwrap().observations, 800);
    assert_eq!(store.counts().unwrap().observers, 16);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", migrations::latest() + 1)
        .unwrap();
    drop(conn);
    match SqliteStore::open(dir.path()) {
        Err(StoreError::SchemaTooNew { found, known }) => assert_eq!(found, known + 1),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
}

#[test]
fn check_finds_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store
        .submit_blocking(
            (0..5)
                .map(|i| obs(&format!("o{i}"), "op", i, 37.0, 48.0))
                .collect(),
        )
        .unwrap();
    store.close();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE observations SET body = replace(body, 'op', 'xx') WHERE id = 'o3'",
        [],
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.path()).unwrap();
    let e = store.check().unwrap_err().to_string();
    assert!(e.contains("record 3 (\"o3\")"), "{e}");
    store.close();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute("DELETE FROM observations WHERE id IN ('o1', 'o3')", [])
        .unwrap();
    drop(conn);
    // The log's edge can no longer be rebuilt: the store refuses to open for writing and says
    // how to find out what changed.
    let e = SqliteStore::open(dir.path()).err().unwrap().to_string();
    assert!(e.contains("truceline log verify"), "{e}");
}

#[test]
fn a_closed_store_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.close();
    assert!(matches!(
        store.submit_blocking(vec![obs("a", "o", 0, 0.0, 0.0)]),
        Err(StoreError::Closed)
    ));
}

/// A store written before incidents said whether their place is the event's learns it from
/// their bodies on upgrade: one placed only at its observer's position is judged by no place.
#[test]
fn an_upgraded_store_knows_which_incidents_are_placed() {
    let dir = tempfile::tempdir().unwrap();
    let line = |id: &str, basis: &str| {
        format!(
            r#"{{"attribution":{{"basis":"origin not established","confidence":0.0,"party":null}},"control":"ua","count":1,"error_ellipse_m":null,"id":"{id}","kind":"explosion","location":{{"lat":48.1234,"lon":37.8123}},"location_basis":"{basis}","observations":["a1"],"subtype":null,"time":"2026-11-25T10:00:00Z","time_end":null,"violations":[],"weapon":null}}"#
        )
    };
    let row = |id: &str, basis: &str| IncidentRow {
        record: serde_json::from_str(&line(id, basis)).unwrap(),
        leaves: vec![0],
    };
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store
            .put_incidents(IncidentWrite {
                upsert: vec![row("heard", "observer_only"), row("fixed", "fix")],
                replace_all: true,
                fused_observations: 2,
                ..Default::default()
            })
            .unwrap();
        store.close();
    }
    // The schema as it was before: no such column, and the observer's area stored as the
    // incident's.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute_batch(
        "UPDATE incidents SET control = 'ua';
         DROP INDEX incidents_time;
         ALTER TABLE incidents DROP COLUMN placed;
         CREATE INDEX incidents_time ON incidents(
             time_ms, kind, subtype, count, violations, attributed, control, lon, lat);",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", migrations::latest() - 1)
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.path()).unwrap();
    let points = store.incident_points(0, i64::MAX).unwrap();
    let placed: Vec<(bool, Option<&str>)> = points
        .iter()
        .map(|p| (p.placed, p.control.as_deref()))
        .collect();
    assert_eq!(points.len(), 2);
    assert!(placed.contains(&(true, Some("ua"))), "{placed:?}");
    assert!(placed.contains(&(false, None)), "{placed:?}");
}
