//! The evidence log as the store keeps it: a leaf per accepted record in the same commit, proofs
//! that verify, nothing logged for what was refused, old stores migrated, and tampering caught.

use truceline_log::verify_consistency;
use truceline_store::conformance::leaves;
use truceline_store::*;

fn obs(id: &str, observer: &str) -> NewObservation {
    conformance::obs(id, observer, 1_000, 37.0, 48.0)
}

#[test]
fn the_log_carries_on_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let batch: Vec<_> = (0..20).map(|i| obs(&format!("o{i}"), "op1")).collect();
    store.submit_blocking(batch).unwrap();
    let (size, root) = store.log_head();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.log_head(), (size, root));
    assert_eq!(leaves(&store).len(), 20);
    store.submit_blocking(vec![obs("o21", "op1")]).unwrap();
    let (size2, root2) = store.log_head();
    assert_eq!(size2, 21);
    let p = store.consistency_proof(size, size2).unwrap();
    verify_consistency(size, size2, &root, &root2, &p).unwrap();
}

#[test]
fn a_store_written_before_the_log_is_logged_on_upgrade_with_its_indexes_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut c = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        let tx = c.transaction().unwrap();
        tx.execute_batch(migrations::MIGRATIONS[0]).unwrap();
        for (i, o) in (0..5).map(|i| obs(&format!("old{i}"), "op1")).enumerate() {
            tx.execute(
                "INSERT INTO observations (id, observer, time_ms, lon, lat, kind, received_ms, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![o.id, o.observer, o.time_ms + i as i64, o.lon, o.lat, o.kind, 0, o.body],
            )
            .unwrap();
        }
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.commit().unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get("old3").unwrap().unwrap().log_index, 3);
    assert_eq!(store.log_head().0, 5);
    assert_eq!(store.verify_log(None).unwrap().problem, None);
    assert_eq!(
        store.submit_blocking(vec![obs("new", "op1")]).unwrap(),
        vec![Outcome::Accepted { log_index: 5 }]
    );
    // The leaves logged before keep their plain form; the committed form starts after them.
    assert_eq!(store.committed_from().unwrap(), 5);
    let entries = store.log_entries(0, 6).unwrap();
    let old = store.get("old3").unwrap().unwrap().body;
    assert_eq!(entries[3], truceline_log::leaf_bytes("observation", &old));
    assert_eq!(store.committed("old3").unwrap().unwrap().1, None);
    assert!(entries[5].starts_with(br#"{"commitment":"truceline-sd/1","fields":{"#));
    assert_eq!(store.verify_log(None).unwrap().problem, None);
}

#[test]
fn salts_changed_on_disk_are_named_as_a_changed_leaf() {
    let p = tampered("UPDATE observations SET salts = zeroblob(length(salts)) WHERE id = 'o3'");
    assert!(
        matches!(
            p,
            LogProblem::ContentChanged {
                index: 3,
                moved: None,
                ..
            }
        ),
        "{p:?}"
    );
}

/// A store of ten observations, then `tamper` applied directly to
/// the database file, as someone with disk access would.
fn tampered(tamper: &str) -> LogProblem {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    for i in 0..10 {
        store
            .submit_blocking(vec![obs(&format!("o{i}"), "op1")])
            .unwrap();
    }
    assert_eq!(store.verify_log(None).unwrap().problem, None);
    drop(store);
    let c = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    c.execute_batch(tamper).unwrap();
    drop(c);
    // Read-only: a store that no longer matches its log must still say what is wrong.
    verify_log_at(dir.path(), None)
        .unwrap()
        .problem
        .expect("tampering is caught")
}

#[test]
fn a_changed_byte_is_named() {
    let p = tampered("UPDATE observations SET body = replace(body, 'op1', 'op2') WHERE id = 'o4'");
    assert_eq!(
        p,
        LogProblem::ContentChanged {
            index: 4,
            kind: "observation".into(),
            id: "\"o4\"".into(),
            moved: None
        }
    );
    assert!(p.to_string().contains("leaf 4"), "{p}");
}

#[test]
fn a_deleted_record_is_named() {
    let p = tampered("DELETE FROM observations WHERE id = 'o6'");
    assert_eq!(p, LogProblem::LeafMissing { index: 6, next: 7 });
    assert!(p.to_string().contains("leaf 6 is missing"), "{p}");
}

#[test]
fn swapped_records_are_named() {
    let p = tampered(
        // A record moved is its body and the salts that commit it.
        "UPDATE observations SET
             body = CASE id WHEN 'o2' THEN (SELECT body FROM observations WHERE id = 'o7')
                            ELSE (SELECT body FROM observations WHERE id = 'o2') END,
             salts = CASE id WHEN 'o2' THEN (SELECT salts FROM observations WHERE id = 'o7')
                             ELSE (SELECT salts FROM observations WHERE id = 'o2') END
         WHERE id IN ('o2', 'o7')",
    );
    assert_eq!(
        p,
        LogProblem::ContentChanged {
            index: 2,
            kind: "observation".into(),
            id: "\"o7\"".into(),
            moved: Some(7)
        }
    );
    assert!(p.to_string().contains("reordered"), "{p}");
}

#[test]
fn an_unlogged_record_is_named() {
    let p = tampered(
        "INSERT INTO observations (id, observer, time_ms, lon, lat, kind, received_ms, body)
         VALUES ('added', 'op1', 0, 37, 48, 'explosion', 0, '{\"id\":\"added\"}')",
    );
    assert!(
        matches!(p, LogProblem::NotLogged { ref id, .. } if id == "\"added\""),
        "{p:?}"
    );
}

/// `truceline report` beside a running server: a read-only handle knows the log as it was when
/// opened, so the newest checkpoint it offers is one it can prove against, not one signed since.
#[test]
fn a_reader_beside_a_writer_offers_the_checkpoint_its_log_reaches() {
    let dir = tempfile::tempdir().unwrap();
    let writer = SqliteStore::open(dir.path()).unwrap();
    writer
        .submit_blocking((0..5).map(|i| obs(&format!("a{i}"), "op1")).collect())
        .unwrap();
    writer.put_checkpoint(5, "checkpoint at 5".into()).unwrap();
    let reader = SqliteStore::open_read_only(dir.path()).unwrap();
    writer
        .submit_blocking((0..5).map(|i| obs(&format!("b{i}"), "op1")).collect())
        .unwrap();
    writer
        .put_checkpoint(10, "checkpoint at 10".into())
        .unwrap();

    assert_eq!(reader.log_head().0, 5);
    let (size, note) = reader.latest_checkpoint().unwrap().unwrap();
    assert_eq!((size, note.as_str()), (5, "checkpoint at 5"));
    assert_eq!(reader.log_root(size).unwrap(), writer.log_root(5).unwrap());
    assert_eq!(writer.latest_checkpoint().unwrap().unwrap().0, 10);
}
