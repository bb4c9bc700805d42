//! The shared store on a real PostgreSQL with PostGIS: the same conformance suite as the
//! embedded store, each check in a schema of its own, and what only a shared database adds
//! (one writer per store, a reader beside it).
//!
//! The cluster is the one `scripts/postgres.sh` starts (and installs) on loopback; its URL is
//! `TRUCELINE_PG_URL` if set, else the script is run once for it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use truceline_store::conformance::obs;
use truceline_store::{LogStore, ObservationStore, PostgresStore, StoreError};

fn url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(u) = std::env::var("TRUCELINE_PG_URL") {
            return u;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .output()
            .expect("bash runs scripts/postgres.sh");
        assert!(
            out.status.success(),
            "scripts/postgres.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .expect("the script prints the URL")
            .to_string()
    })
}

fn schema() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "t{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store in a schema of its own, dropped with it.
struct Fresh {
    store: Option<PostgresStore>,
    schema: String,
}

impl std::ops::Deref for Fresh {
    type Target = PostgresStore;
    fn deref(&self) -> &PostgresStore {
        self.store.as_ref().unwrap()
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        drop(self.store.take());
        let _ = PostgresStore::drop_schema(url(), &self.schema);
    }
}

fn fresh() -> Fresh {
    let schema = schema();
    let store = PostgresStore::open_in(url(), &schema, std::sync::Arc::new(|_| {})).unwrap();
    Fresh {
        store: Some(store),
        schema,
    }
}

truceline_store::conformance_tests!(fresh());

#[test]
fn one_writer_per_store_and_readers_beside_it() {
    let first = fresh();
    first
        .submit_blocking(vec![obs("o1", "op1", 1_000, 37.8, 48.1)])
        .unwrap();
    // A second writer of the same store is refused while the first lives: two frontiers
    // would fork the log.
    match PostgresStore::open_in(url(), &first.schema, std::sync::Arc::new(|_| {})) {
        Err(StoreError::Locked(what)) => assert!(what.contains(&first.schema), "{what}"),
        Err(e) => panic!("refused for the wrong reason: {e}"),
        Ok(_) => panic!("a second writer was let in"),
    }
    // A reader beside it sees what was committed.
    let reader = PostgresStore::open_read_only(url(), &first.schema).unwrap();
    assert_eq!(reader.log_head(), first.log_head());
    assert!(reader.get("o1").unwrap().is_some());
    assert!(matches!(
        reader.submit_blocking(vec![obs("o2", "op1", 2_000, 37.8, 48.1)]),
        Err(StoreError::ReadOnly(_))
    ));
    // Once the writer is gone, another takes the store up where it was.
    let head = first.log_head();
    first.close();
    let second = PostgresStore::open_in(url(), &first.schema, std::sync::Arc::new(|_| {})).unwrap();
    assert_eq!(second.log_head(), head);
    let out = second
        .submit_blocking(vec![obs("o2", "op1", 2_000, 37.8, 48.1)])
        .unwrap();
    assert_eq!(out[0].log_index(), 1);
    assert!(second.verify_log(None).unwrap().problem.is_none());
}

#[test]
fn a_standby_follows_the_writer_and_takes_over_when_it_goes() {
    let first = fresh();
    first
        .submit_blocking(vec![obs("o1", "op1", 1_000, 37.8, 48.1)])
        .unwrap();
    let standby =
        PostgresStore::open_or_stand_by(url(), &first.schema, std::sync::Arc::new(|_| {})).unwrap();
    assert!(!standby.writes());
    assert!(matches!(
        standby.submit_blocking(vec![obs("o2", "op1", 2_000, 37.8, 48.1)]),
        Err(StoreError::Standby(_))
    ));
    // It follows the log as the writer grows it.
    first
        .submit_blocking(vec![obs("o3", "op1", 3_000, 37.8, 48.1)])
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while standby.log_head() != first.log_head() {
        assert!(
            std::time::Instant::now() < deadline,
            "the standby did not follow"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The writer goes: the standby takes over where the log is.
    let head = first.log_head();
    first.close();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !standby.writes() {
        assert!(
            std::time::Instant::now() < deadline,
            "the standby did not take over"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(standby.log_head(), head);
    let out = standby
        .submit_blocking(vec![obs("o2", "op1", 2_000, 37.8, 48.1)])
        .unwrap();
    assert_eq!(out[0].log_index(), head.0);
    assert_eq!(standby.verify_log(None).unwrap().problem, None);
}

/// A schema's name goes into statements as it is: a name that is not plain letters, digits and
/// underscores is refused before any statement runs, on every way in.
#[test]
fn a_schema_name_that_is_not_plain_is_refused_on_every_way_in() {
    let bad = "x; DROP SCHEMA public CASCADE; --";
    let refused = |r: Result<PostgresStore, StoreError>| match r {
        Err(StoreError::Invalid(m)) => assert!(m.contains("schema"), "{m}"),
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("opened"),
    };
    refused(PostgresStore::open_in(
        url(),
        bad,
        std::sync::Arc::new(|_| {}),
    ));
    refused(PostgresStore::open_or_stand_by(
        url(),
        bad,
        std::sync::Arc::new(|_| {}),
    ));
    refused(PostgresStore::open_read_only(url(), bad));
    assert!(matches!(
        PostgresStore::drop_schema(url(), bad),
        Err(StoreError::Invalid(_))
    ));
}
