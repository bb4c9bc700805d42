//! The embedded store's guarantees: idempotent re-sends, conflicts that change nothing, group
//! commit under concurrency, queries and paging, schema versions, and the consistency check.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use truceline_store::*;

fn obs(id: &str, observer: &str, time_ms: i64, lon: f64, lat: f64) -> NewObservation {
    NewObservation {
        id: id.into(),
        observer: observer.into(),
        time_ms,
        lon,
        lat,
        kind: "explosion".into(),
        body: format!(r#"{{"id":"{id}","kind":"explosion","observer":"{observer}"}}"#).into_bytes(),
        leaf: None,
    }
}

#[test]
fn idempotent_resend_and_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let a = obs("a", "op1", 1000, 37.0, 48.0);
    let b = obs("b", "op1", 2000, 37.1, 48.1);
    let r = store.submit_blocking(vec![a.clone(), b.clone()]).unwrap();
    assert_eq!(
        r,
        vec![
            Outcome::Accepted { log_index: 0 },
            Outcome::Accepted { log_index: 1 }
        ]
    );
    // Same content again: no-op, same indexes.
    let r = store.submit_blocking(vec![b.clone(), a.clone()]).unwrap();
    assert_eq!(
        r,
        vec![
            Outcome::Duplicate { log_index: 1 },
            Outcome::Duplicate { log_index: 0 }
        ]
    );

    // A request whose second line conflicts: refused, its first (new) line not written either.
    let c = obs("c", "op2", 3000, 37.2, 48.2);
    let mut a2 = a.clone();
    a2.body = br#"{"id":"a","kind":"explosion","observer":"someone else"}"#.to_vec();
    match store.submit_blocking(vec![c.clone(), a2]) {
        Err(StoreError::Conflict { index, id }) => assert_eq!((index, id.as_str()), (1, "a")),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(
        store.get("c").unwrap().is_none(),
        "nothing of a refused request is written"
    );
    assert_eq!(
        store.get("a").unwrap().unwrap().body,
        a.body,
        "the stored one is unchanged"
    );
    // And the next accepted record takes the next index: none was burnt by the refusal.
    let r = store.submit_blocking(vec![c]).unwrap();
    assert_eq!(r, vec![Outcome::Accepted { log_index: 2 }]);
    assert_eq!(store.check().unwrap().observations, 3);
}

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
fn queries_filter_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let batch: Vec<_> = (0..250)
        .map(|i| {
            obs(
                &format!("o{i}"),
                if i % 2 == 0 { "even" } else { "odd" },
                i * 1000,
                37.0 + i as f64 * 0.01,
                48.0,
            )
        })
        .collect();
    store.submit_blocking(batch).unwrap();
    // Paging through everything visits each record once, in order.
    let mut seen = Vec::new();
    let mut q = Query {
        limit: 100,
        ..Query::default()
    };
    loop {
        let page = store.query(&q).unwrap();
        seen.extend(page.items.iter().map(|o| o.log_index));
        match page.next {
            Some(n) => q.after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, (0..250).collect::<Vec<u64>>());
    // Filters combine.
    let q = Query {
        observer: Some("even".into()),
        from_ms: Some(10_000),
        to_ms: Some(20_000),
        bbox: Some([37.0, 47.0, 37.15, 49.0]),
        limit: 100,
        after: None,
    };
    let got: Vec<u64> = store
        .query(&q)
        .unwrap()
        .items
        .iter()
        .map(|o| o.log_index)
        .collect();
    assert_eq!(got, vec![10, 12, 14]);
}

#[test]
fn agreements_are_versioned_only_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let a = StoredAgreement {
        version: 0,
        agreement_id: "x".into(),
        toml_name: "a.toml".into(),
        files: vec![("a.toml".into(), "id = \"x\"".into())],
    };
    assert_eq!(store.put_agreement(a.clone()).unwrap(), 1);
    assert_eq!(store.put_agreement(a.clone()).unwrap(), 1);
    let mut b = a.clone();
    b.files[0].1.push('\n');
    assert_eq!(store.put_agreement(b.clone()).unwrap(), 2);
    let latest = store.latest_agreement().unwrap().unwrap();
    assert_eq!((latest.version, latest.files), (2, b.files));
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
