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
