//! The embedded store's writer lock: one writer per data directory, readers beside it.

use truceline_store::*;

#[test]
fn one_writer_per_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let writer = SqliteStore::open(dir.path()).unwrap();
    match SqliteStore::open(dir.path()) {
        Err(StoreError::Busy { .. }) => {}
        other => panic!("a second writer was let in: {:?}", other.err()),
    }
    let reader = SqliteStore::open_read_only(dir.path()).unwrap();
    assert_eq!(reader.log_head(), writer.log_head());
    match reader.put_incidents(IncidentWrite::default()) {
        Err(StoreError::ReadOnly(_)) => {}
        other => panic!("a read-only store wrote: {other:?}"),
    }
    writer.close();
    drop(writer);
    // The lock goes with the writer.
    SqliteStore::open(dir.path()).unwrap();
}
