//! The shared store on a real PostgreSQL with PostGIS: the same conformance suite as the
//! embedded store, each check in a schema of its own, and what only a shared database adds
//! (one writer per store, a reader beside it).
//!
//! The cluster is the one `scripts/postgres.sh` starts (and installs) on loopback; its URL is
//! `TRUCELINE_PG_URL` if set, else the script is run once for it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use truceline_store::conformance::obs;
use truceline_store::{
    Account, AccountStore, AccountWrite, LogStore, NewMissionRecord, NewRecord, ObservationStore,
    Outcome, PostgresStore, PublishedReport, RecordQuery, RecordStore, ReportStore, StoreError,
    Token,
};

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

/// A writer holding one observation (`o1`), and a standby of its store.
fn writer_and_standby() -> (Fresh, PostgresStore) {
    let first = fresh();
    first
        .submit_blocking(vec![obs("o1", "op1", 1_000, 37.8, 48.1)])
        .unwrap();
    let standby =
        PostgresStore::open_or_stand_by(url(), &first.schema, std::sync::Arc::new(|_| {})).unwrap();
    assert!(!standby.writes());
    (first, standby)
}

#[test]
fn a_standby_follows_the_writer_and_takes_over_when_it_goes() {
    let (first, standby) = writer_and_standby();
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

/// Any server takes writes: a standby hands what it is sent to the writer through the intake,
/// and answers only once the writer has logged it, with the writer's outcome.
#[test]
fn a_standby_takes_writes_and_acknowledges_what_the_writer_logged() {
    let (first, standby) = writer_and_standby();
    let out = standby
        .submit_blocking(vec![
            obs("s1", "op2", 2_000, 37.9, 48.2),
            obs("s2", "op2", 2_500, 37.9, 48.2),
            obs("o1", "op1", 1_000, 37.8, 48.1),
        ])
        .unwrap();
    assert_eq!(
        out,
        vec![
            Outcome::Accepted { log_index: 1 },
            Outcome::Accepted { log_index: 2 },
            Outcome::Duplicate { log_index: 0 },
        ]
    );
    // Told it is logged, the standby's own reads show it at once (its proofs included).
    assert_eq!(standby.log_head(), first.log_head());
    assert_eq!(standby.get("s2").unwrap().unwrap().log_index, 2);
    // The writer stored it as its own: the same bodies at the same leaves, counted by kind.
    let s1 = first.get("s1").unwrap().expect("stored by the writer");
    assert_eq!(s1.log_index, 1);
    assert_eq!(s1.body, obs("s1", "op2", 2_000, 37.9, 48.2).body);
    assert_eq!(first.counts().unwrap().observations, 3);
    // A refusal is the writer's too, and leaves nothing.
    let other = obs("s1", "op9", 2_000, 37.9, 48.2);
    match standby.submit_blocking(vec![obs("s3", "op2", 3_000, 37.9, 48.2), other]) {
        Err(StoreError::Conflict { index: 1, id }) => assert_eq!(id, "s1"),
        r => panic!("not refused as a conflict: {r:?}"),
    }
    assert!(first.get("s3").unwrap().is_none());
    // Mission records too.
    let rec = NewMissionRecord {
        id: "r1".into(),
        kind: "hazard".into(),
        time_ms: 4_000,
        account: "mon".into(),
        body: br#"{"id":"r1","type":"hazard"}"#.to_vec(),
    };
    let out = standby.submit_mission_records(vec![rec.clone()]).unwrap();
    assert_eq!(out, vec![Outcome::Accepted { log_index: 3 }]);
    assert_eq!(
        standby.submit_mission_records(vec![rec]).unwrap(),
        vec![Outcome::Duplicate { log_index: 3 }]
    );
    // Analysts' decisions and parties' replies too, in order, readable from the writer.
    let decision = |subject: &str, t: i64| NewRecord {
        kind: "decision".into(),
        subject: Some(subject.into()),
        account: "ana".into(),
        time_ms: t,
        record: format!(r#"{{"decision":"confirmed","incident":"{subject}"}}"#).into_bytes(),
    };
    assert_eq!(
        standby
            .append_records(vec![decision("i1", 4_100), decision("i2", 4_200)])
            .unwrap(),
        vec![4, 5]
    );
    let kept = first
        .records(&RecordQuery {
            kind: "decision",
            subject: None,
            from_ms: None,
            to_ms: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(kept.len(), 2);
    assert!(matches!(
        standby.append_records(vec![NewRecord {
            kind: "gossip".into(),
            ..decision("i3", 4_300)
        }]),
        Err(StoreError::OutOfRange(_))
    ));
    // Account changes, refused as the writer refuses them.
    let account = Account {
        name: "mia".into(),
        role: "monitor".into(),
        party: None,
        observers: None,
        password: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        disabled: false,
        created_ms: 1,
    };
    standby
        .write_accounts(AccountWrite::Add(account.clone()))
        .unwrap();
    assert_eq!(first.account("mia").unwrap(), Some(account.clone()));
    assert!(matches!(
        standby.write_accounts(AccountWrite::Add(account)),
        Err(StoreError::Exists(_))
    ));
    let token = Token {
        id: "tok_s".into(),
        hash: [9; 32],
        account: "mia".into(),
        created_ms: 2,
        expires_ms: None,
        revoked_ms: None,
    };
    standby
        .write_accounts(AccountWrite::AddToken(token.clone()))
        .unwrap();
    assert_eq!(
        first.token_by_hash(&[9; 32]).unwrap().map(|(t, _)| t),
        Some(token)
    );
    assert!(matches!(
        standby.write_accounts(AccountWrite::Revoke {
            id: "tok_none".into(),
            at_ms: 3
        }),
        Err(StoreError::NotFound(_))
    ));
    // A report, at the next leaf.
    let leaf = standby
        .publish_report(PublishedReport {
            date: "2026-12-04".into(),
            audience: "public".into(),
            record: br#"{"report":"2026-12-04"}"#.to_vec(),
        })
        .unwrap();
    assert_eq!(leaf, 6);
    assert_eq!(first.published_reports("2026-12-04").unwrap().len(), 1);
    // Many requests at once from the standby's callers, beside the writer's own.
    let pending: Vec<_> = (0..200)
        .map(|i| standby.submit(vec![obs(&format!("m{i}"), "op3", 5_000 + i, 37.7, 48.0)]))
        .collect();
    for i in 0..50 {
        first
            .submit_blocking(vec![obs(&format!("w{i}"), "op1", 9_000 + i, 37.8, 48.1)])
            .unwrap();
    }
    let mut leaves: Vec<u64> = pending
        .into_iter()
        .map(|p| p.blocking_recv().unwrap().unwrap()[0].log_index())
        .collect();
    leaves.sort();
    leaves.dedup();
    assert_eq!(leaves.len(), 200);
    assert_eq!(first.counts().unwrap().observations, 253);
    assert_eq!(first.log_head().0, 257);
    assert_eq!(first.verify_log(None).unwrap().problem, None);
}

/// A request queued while no process writes the store is logged by the next writer when it
/// starts: here the standby itself, queued just as the writer went.
#[test]
fn what_a_standby_queued_as_the_writer_went_is_logged_by_the_next_writer() {
    let first = fresh();
    let standby =
        PostgresStore::open_or_stand_by(url(), &first.schema, std::sync::Arc::new(|_| {})).unwrap();
    let mut pending = Vec::new();
    for i in 0..20 {
        pending.push(standby.submit(vec![obs(&format!("q{i}"), "op1", 1_000 + i, 37.8, 48.1)]));
        if i == 10 {
            first.close();
        }
    }
    for p in pending {
        p.blocking_recv().unwrap().unwrap();
    }
    assert!(standby.writes());
    assert_eq!(standby.counts().unwrap().observations, 20);
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
