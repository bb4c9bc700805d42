//! The conformance suite every store passes: the contract of the traits, checked through them
//! alone, so that a second implementation (a server database) is held to exactly what the
//! embedded store is.
//!
//! Each check takes a fresh, empty store. [`conformance_tests!`](crate::conformance_tests)
//! makes one `#[test]` per check from an expression that gives one, a value that dereferences
//! to the store (and may hold what keeps it alive, such as a temporary directory):
//!
//! ```ignore
//! truceline_store::conformance_tests!(fresh_store());
//! ```

use truceline_incident::{Attribution, Basis, Kind, LonLat, Violation};
use truceline_log::{leaf_bytes, leaf_hash, root_of_leaves, verify_consistency, verify_inclusion};

use crate::*;

/// One `#[test]` per conformance check, each on the store `$fresh` gives.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:expr) => {
        $crate::conformance_tests!(@each $fresh; idempotent_resend_and_conflict, queries_filter_and_page, agreements_are_versioned_only_when_they_change, every_accepted_record_is_a_leaf_and_proofs_verify, incidents_are_replaced_revised_and_removed, a_published_report_is_a_leaf_and_verifies, growth_is_announced, checkpoints_are_kept_and_replaced, accounts_and_tokens, records_are_leaves_found_by_kind_and_subject, mission_records_are_idempotent_leaves, tiles_agree_with_the_proofs_at_every_size, observations_are_logged_committed_and_open_field_by_field, key_rotations_are_found_with_their_handovers, state_is_kept_replaced_and_not_logged, sessions_are_kept_by_hash_ended_and_let_go);
    };
    (@each $fresh:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let fresh = $fresh;
                $crate::conformance::$name(&*fresh);
            }
        )*
    };
}

/// An observation to store: its body names its id, kind and observer (what `check` compares
/// with the columns). For the suite, and for tests of one store's own behaviour.
pub fn obs(id: &str, observer: &str, time_ms: i64, lon: f64, lat: f64) -> NewObservation {
    NewObservation {
        id: id.into(),
        observer: observer.into(),
        time_ms,
        lon,
        lat,
        kind: "explosion".into(),
        body: format!(r#"{{"id":"{id}","kind":"explosion","observer":"{observer}"}}"#).into_bytes(),
        leaf: None,
        salts: None,
    }
}

/// The leaf hashes of the whole log, read back through the store.
pub fn leaves(store: &dyn LogStore) -> Vec<truceline_log::Hash> {
    let (size, _) = store.log_head();
    store
        .log_entries(0, size)
        .unwrap()
        .iter()
        .map(|b| leaf_hash(b))
        .collect()
}

fn incident(id: &str, t: &str, kind: &str, count: u32, violating: bool) -> IncidentRow {
    IncidentRow {
        record: IncidentRecord {
            attribution: Attribution {
                basis: "b".into(),
                confidence: 0.9,
                party: violating.then(|| "ru".into()),
            },
            control: Some("ua".into()),
            count,
            error_ellipse_m: None,
            id: id.into(),
            kind: Kind::from_name(kind).expect("a kind"),
            location: LonLat {
                lat: 48.1,
                lon: 37.8,
            },
            location_basis: Basis::Fix,
            observations: vec!["o1".into()],
            subtype: None,
            time: t.parse().expect("a time"),
            time_end: None,
            violations: if violating {
                vec![Violation {
                    party: None,
                    rule: "ceasefire".into(),
                    zone: None,
                }]
            } else {
                vec![]
            },
            weapon: None,
        },
        leaves: vec![0],
    }
}

/// Every commit that grows the log is announced to those watching, with the new size.
pub fn growth_is_announced(store: &dyn Store) {
    let mut rx = store.watch_log();
    assert_eq!(*rx.borrow_and_update(), 0);
    store
        .submit_blocking(vec![obs("g1", "op1", 1, 37.0, 48.0)])
        .unwrap();
    assert!(
        rx.has_changed().unwrap(),
        "a commit that grew the log is announced"
    );
    assert_eq!(*rx.borrow_and_update(), 1);
    // A duplicate grows nothing and announces nothing.
    store
        .submit_blocking(vec![obs("g1", "op1", 1, 37.0, 48.0)])
        .unwrap();
    assert!(!rx.has_changed().unwrap());
}

/// Accounts are made once by name; a token is found by its hash with its account, whatever
/// its state, and revoking one marks it without forgetting it; changing what does not exist
/// says so.
pub fn accounts_and_tokens(store: &dyn Store) {
    let account = |name: &str, role: &str| Account {
        name: name.into(),
        role: role.into(),
        party: (role == "liaison").then(|| "ua".into()),
        observers: (role == "monitor").then(|| "op7*".into()),
        password: None,
        disabled: false,
        created_ms: 1,
    };
    store
        .write_accounts(AccountWrite::Add(account("mia", "monitor")))
        .unwrap();
    store
        .write_accounts(AccountWrite::Add(account("lou", "liaison")))
        .unwrap();
    assert!(matches!(
        store.write_accounts(AccountWrite::Add(account("mia", "chief"))),
        Err(StoreError::Exists(_))
    ));
    assert_eq!(
        store.account("mia").unwrap(),
        Some(account("mia", "monitor"))
    );
    assert_eq!(store.account("nobody").unwrap(), None);
    let names: Vec<String> = store
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["lou", "mia"]);
    let token = Token {
        id: "tok_1".into(),
        hash: [7; 32],
        account: "mia".into(),
        created_ms: 2,
        expires_ms: Some(100),
        revoked_ms: None,
    };
    store
        .write_accounts(AccountWrite::AddToken(token.clone()))
        .unwrap();
    let orphan = Token {
        id: "tok_2".into(),
        hash: [8; 32],
        account: "nobody".into(),
        ..token.clone()
    };
    assert!(matches!(
        store.write_accounts(AccountWrite::AddToken(orphan)),
        Err(StoreError::NotFound(_))
    ));
    let (found, owner) = store.token_by_hash(&[7; 32]).unwrap().unwrap();
    assert_eq!((found, owner.name.as_str()), (token.clone(), "mia"));
    assert_eq!(store.token_by_hash(&[9; 32]).unwrap(), None);
    store
        .write_accounts(AccountWrite::Revoke {
            id: "tok_1".into(),
            at_ms: 50,
        })
        .unwrap();
    // Revoked again later: the first time stands.
    store
        .write_accounts(AccountWrite::Revoke {
            id: "tok_1".into(),
            at_ms: 60,
        })
        .unwrap();
    assert_eq!(store.tokens(Some("mia")).unwrap()[0].revoked_ms, Some(50));
    assert!(store.tokens(Some("lou")).unwrap().is_empty());
    assert!(matches!(
        store.write_accounts(AccountWrite::Revoke {
            id: "tok_x".into(),
            at_ms: 1
        }),
        Err(StoreError::NotFound(_))
    ));
    store
        .write_accounts(AccountWrite::SetDisabled {
            name: "mia".into(),
            disabled: true,
        })
        .unwrap();
    assert!(store.account("mia").unwrap().unwrap().disabled);
    assert!(matches!(
        store.write_accounts(AccountWrite::SetPassword {
            name: "nobody".into(),
            password: "x".into()
        }),
        Err(StoreError::NotFound(_))
    ));
}

/// A checkpoint is kept by size, replaced (cosignatures added) at the same size, and the
/// latest is the largest.
pub fn checkpoints_are_kept_and_replaced(store: &dyn Store) {
    assert_eq!(store.latest_checkpoint().unwrap(), None);
    store
        .submit_blocking(vec![obs("c1", "op1", 1, 37.0, 48.0)])
        .unwrap();
    store.put_checkpoint(1, "one".into()).unwrap();
    store
        .submit_blocking(vec![obs("c2", "op1", 2, 37.0, 48.0)])
        .unwrap();
    store.put_checkpoint(2, "two".into()).unwrap();
    store.put_checkpoint(2, "two, cosigned".into()).unwrap();
    assert_eq!(store.checkpoint_at(1).unwrap().as_deref(), Some("one"));
    assert_eq!(
        store.checkpoint_at(2).unwrap().as_deref(),
        Some("two, cosigned")
    );
    assert_eq!(store.checkpoint_at(3).unwrap(), None);
    assert_eq!(
        store.latest_checkpoint().unwrap(),
        Some((2, "two, cosigned".to_string()))
    );
}

pub fn idempotent_resend_and_conflict(store: &dyn Store) {
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
    // The summary's counts: neither the duplicates nor the refused request counted.
    let mut m = obs("m", "op3", 500, 37.3, 48.3);
    m.kind = "movement".into();
    store.submit_blocking(vec![m]).unwrap();
    let counts = store.counts().unwrap();
    assert_eq!(counts.observations, 4);
    assert_eq!(counts.observers, 3);
    assert_eq!(
        counts.by_kind,
        vec![("explosion".to_string(), 3), ("movement".to_string(), 1)]
    );
    assert_eq!(counts.latest_time_ms, Some(3000));
}

pub fn queries_filter_and_page(store: &dyn Store) {
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
        read: None,
    };
    let got: Vec<u64> = store
        .query(&q)
        .unwrap()
        .items
        .iter()
        .map(|o| o.log_index)
        .collect();
    assert_eq!(got, vec![10, 12, 14]);
    // A bounded read: a box that holds the last records alone is answered in short pages, each
    // reading 60 positions and naming the last it read, until past the last record; together
    // they hold what one unbounded page does.
    let late = Query {
        bbox: Some([39.3, 47.0, 40.0, 49.0]),
        limit: 100,
        ..Query::default()
    };
    let whole: Vec<u64> = store
        .query(&late)
        .unwrap()
        .items
        .iter()
        .map(|o| o.log_index)
        .collect();
    assert_eq!(whole, (230..250).collect::<Vec<u64>>());
    let mut q = Query {
        read: Some(60),
        ..late
    };
    let (mut got, mut pages) = (Vec::new(), Vec::new());
    loop {
        let page = store.query(&q).unwrap();
        got.extend(page.items.iter().map(|o| o.log_index));
        pages.push((page.items.len(), page.next));
        match page.next {
            Some(n) => q.after = Some(n),
            None => break,
        }
    }
    assert_eq!(got, whole);
    assert_eq!(pages[0], (0, Some(60)), "{pages:?}");
    assert_eq!(pages.len(), 5, "{pages:?}");
    // A span of time, in record order, and the whole span.
    let got: Vec<u64> = store
        .observations_between(10_000, 13_000)
        .unwrap()
        .iter()
        .map(|o| o.log_index)
        .collect();
    assert_eq!(got, vec![10, 11, 12]);
    assert_eq!(store.time_span().unwrap(), Some((0, 249_000)));
    let (last, n) = store.high_water().unwrap();
    assert_eq!(n, 250);
    assert!(
        store
            .query(&Query {
                after: last,
                limit: 10,
                ..Query::default()
            })
            .unwrap()
            .items
            .is_empty(),
        "nothing after the high water"
    );
}

pub fn agreements_are_versioned_only_when_they_change(store: &dyn Store) {
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

pub fn every_accepted_record_is_a_leaf_and_proofs_verify(store: &dyn Store) {
    let batch: Vec<_> = (0..20)
        .map(|i| obs(&format!("o{i}"), "op1", 1_000, 37.0, 48.0))
        .collect();
    store.submit_blocking(batch.clone()).unwrap();
    let agreement = StoredAgreement {
        version: 0,
        agreement_id: "demo".into(),
        toml_name: "a.toml".into(),
        files: vec![("a.toml".into(), "id = \"demo\"\n".into())],
    };
    store.put_agreement(agreement).unwrap();
    // A refused request (a conflict on its second line) logs nothing.
    let mut clash = obs("o3", "op1", 1_000, 37.0, 48.0);
    clash.body = br#"{"id":"o3","kind":"explosion","observer":"op9"}"#.to_vec();
    assert!(
        store
            .submit_blocking(vec![obs("new", "op2", 1_000, 37.0, 48.0), clash])
            .is_err()
    );
    let r = store
        .submit_blocking(vec![obs("o20", "op1", 1_000, 37.0, 48.0)])
        .unwrap();
    assert_eq!(r, vec![Outcome::Accepted { log_index: 21 }]);
    // A duplicate reports the index it was logged at.
    assert_eq!(
        store
            .submit_blocking(vec![obs("o5", "op1", 1_000, 37.0, 48.0)])
            .unwrap(),
        vec![Outcome::Duplicate { log_index: 5 }]
    );
    assert_eq!(store.get("o20").unwrap().unwrap().log_index, 21);

    let entries = store.log_entries(0, 22).unwrap();
    let (_, committed) = store.committed(&batch[0].id).unwrap().unwrap();
    assert_eq!(entries[0], committed.unwrap().committed);
    assert!(entries[20].starts_with(br#"{"agreement":{"agreement_id":"demo","#));
    let l = leaves(store);
    let (size, root) = store.log_head();
    assert_eq!((size, root), (22, root_of_leaves(&l)));
    for i in 0..size {
        let p = store.inclusion_proof(i, size).unwrap();
        verify_inclusion(i, size, &l[i as usize], &p, &root).unwrap();
    }
    for from in 1..=size {
        let old = store.log_root(from).unwrap();
        assert_eq!(old, root_of_leaves(&l[..from as usize]));
        let p = store.consistency_proof(from, size).unwrap();
        verify_consistency(from, size, &old, &root, &p).unwrap();
    }
    assert!(matches!(
        store.inclusion_proof(3, 23),
        Err(StoreError::OutOfRange(_))
    ));
    assert!(matches!(
        store.log_entries(0, 23),
        Err(StoreError::OutOfRange(_))
    ));
    let report = store.verify_log(None).unwrap();
    assert_eq!((report.size, report.root, report.problem), (22, root, None));
}

pub fn incidents_are_replaced_revised_and_removed(store: &dyn Store) {
    assert_eq!(store.fused().unwrap(), None);
    let t = "2026-11-24T10:00:00Z";
    let ms = 1_795_514_400_000; // t
    store
        .put_incidents(IncidentWrite {
            upsert: vec![
                incident("a", t, "explosion", 3, true),
                incident("b", t, "burst", 2, false),
                incident("c", "2026-11-25T10:00:00Z", "explosion", 1, true),
            ],
            replace_all: true,
            fused_observations: 7,
            fused_through: Some(12),
            ..Default::default()
        })
        .unwrap();
    let fused = |observations, through| {
        Some(Fused {
            observations,
            through,
        })
    };
    assert_eq!(store.fused().unwrap(), fused(7, Some(12)));
    let day = store.incidents_between(ms - 1000, ms + 1000).unwrap();
    assert_eq!(day.len(), 2);
    let tallies = store.incident_tallies(ms - 1000, ms + 1000).unwrap();
    let ex = tallies.iter().find(|t| t.kind == "explosion").unwrap();
    assert_eq!(
        (
            ex.incidents,
            ex.events,
            ex.violating_events,
            ex.attributed_incidents
        ),
        (1, 3, 3, 1)
    );
    let burst = tallies.iter().find(|t| t.kind == "burst").unwrap();
    assert_eq!((burst.events, burst.violating_events), (2, 0));
    // A revision and a removal; the rest stays.
    store
        .put_incidents(IncidentWrite {
            upsert: vec![incident("a", t, "explosion", 5, true)],
            remove: vec!["b".into()],
            fused_observations: 9,
            ..Default::default()
        })
        .unwrap();
    let points = store.incident_points(0, i64::MAX).unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].count, 5);
    assert!(points.iter().all(|p| p.placed));
    // Placed only at its observer's position: no place a rule can be judged by, and no area.
    let mut heard = incident("c", "2026-11-25T10:00:00Z", "explosion", 1, true);
    heard.record.location_basis = Basis::ObserverOnly;
    store
        .put_incidents(IncidentWrite {
            upsert: vec![heard],
            fused_observations: 9,
            ..Default::default()
        })
        .unwrap();
    let points = store.incident_points(0, i64::MAX).unwrap();
    let c = points.iter().find(|p| p.time_ms > ms).unwrap();
    assert_eq!((c.placed, c.control.as_deref()), (false, None));
    assert!(points.iter().filter(|p| p.time_ms == ms).all(|p| p.placed));
    // A write that does not know where its observations end says so.
    assert_eq!(store.fused().unwrap(), fused(9, None));
    // Removing what is not there changes nothing.
    store
        .put_incidents(IncidentWrite {
            remove: vec!["b".into()],
            fused_observations: 9,
            fused_through: Some(15),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.fused().unwrap(), fused(9, Some(15)));
    // Totals follow every change; a row is found by id and paged in (time, id) order.
    assert_eq!(store.incident_totals().unwrap(), (2, 2));
    assert_eq!(store.incident("a").unwrap().unwrap().record.count, 5);
    assert!(store.incident("b").unwrap().is_none());
    let first = store.incidents_after(None, 0, i64::MAX, 1).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].record.id, "a");
    let rest = store
        .incidents_after(Some((ms, "a")), 0, i64::MAX, 10)
        .unwrap();
    let ids: Vec<&str> = rest.iter().map(|r| r.record.id.as_str()).collect();
    assert_eq!(ids, ["c"]);
    assert!(store.incidents_after(None, 0, ms, 10).unwrap().is_empty());
    // Replacing all drops what is not given again.
    store
        .put_incidents(IncidentWrite {
            upsert: vec![incident("z", t, "shot", 1, true)],
            replace_all: true,
            fused_observations: 10,
            ..Default::default()
        })
        .unwrap();
    let all = store.incidents_between(0, i64::MAX).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].record.id, "z");
    assert_eq!(store.incident_totals().unwrap(), (1, 1));
}

pub fn a_published_report_is_a_leaf_and_verifies(store: &dyn Store) {
    let obs = NewObservation {
        id: "op1-1".into(),
        observer: "op1".into(),
        time_ms: 1_795_514_400_000,
        lon: 37.8,
        lat: 48.1,
        kind: "explosion".into(),
        body: br#"{"id":"op1-1","observer":"op1","observer_position":{"lat":48.1,"lon":37.8},"source":"post"}"#.to_vec(),
        leaf: None,
        salts: None,
    };
    store.submit_blocking(vec![obs]).unwrap();
    let hours = store
        .observer_hours(1_795_514_400_000 - 3_600_000, 1_795_514_400_000 + 1)
        .unwrap();
    assert_eq!(hours.len(), 1);
    assert_eq!(
        (
            hours[0].observer.as_str(),
            hours[0].hour,
            hours[0].observations
        ),
        ("op1", 1, 1)
    );
    let record = br#"{"date":"2026-11-24","sha256":{}}"#.to_vec();
    let index = store
        .publish_report(PublishedReport {
            date: "2026-11-24".into(),
            audience: "public".into(),
            record: record.clone(),
        })
        .unwrap();
    assert_eq!(index, 1);
    assert_eq!(store.log_head().0, 2);
    let entry = store.log_entries(1, 2).unwrap();
    assert_eq!(
        entry[0],
        [b"{\"report\":".as_slice(), &record, b"}"].concat()
    );
    let published = store.published_reports("2026-11-24").unwrap();
    assert_eq!(published, vec![("public".to_string(), record, 1)]);
    let report = store.verify_log(None).unwrap();
    assert!(report.problem.is_none(), "{report:?}");
    assert_eq!(report.size, 2);
}

pub fn records_are_leaves_found_by_kind_and_subject(store: &dyn Store) {
    store
        .submit_blocking(vec![obs("a", "op1", 1_000, 37.8, 48.1)])
        .unwrap();
    let rec = |kind: &str, subject: Option<&str>, t: i64, body: &str| NewRecord {
        kind: kind.into(),
        subject: subject.map(str::to_string),
        account: "ana".into(),
        time_ms: t,
        record: body.as_bytes().to_vec(),
    };
    let idx = store
        .append_records(vec![
            rec(
                "decision",
                Some("inc-a"),
                2_000,
                r#"{"decision":"confirm"}"#,
            ),
            rec("reply", Some("inc-a"), 3_000, r#"{"text":"no"}"#),
            rec("decision", Some("inc-b"), 4_000, r#"{"decision":"reject"}"#),
        ])
        .unwrap();
    assert_eq!(idx, vec![1, 2, 3]);
    let audit = store
        .append_records(vec![rec("audit", None, 5_000, r#"{"entries":[]}"#)])
        .unwrap();
    assert_eq!(audit, vec![4]);
    // A vessel's behaviour, found by its MMSI.
    let event = r#"{"mmsi":273000001,"start":"2026-11-24T10:00:00.000Z","type":"gap"}"#;
    let vessel = store
        .append_records(vec![rec("vessel_event", Some("273000001"), 5_500, event)])
        .unwrap();
    assert_eq!(vessel, vec![5]);
    // An unknown kind is refused and nothing is written.
    assert!(
        store
            .append_records(vec![rec("nonsense", None, 6_000, "{}")])
            .is_err()
    );
    assert_eq!(store.log_head().0, 6);
    let q = |kind, subject, from_ms, to_ms| {
        store
            .records(&RecordQuery {
                kind,
                subject,
                from_ms,
                to_ms,
                ..Default::default()
            })
            .unwrap()
            .iter()
            .map(|r| r.log_index)
            .collect::<Vec<_>>()
    };
    assert_eq!(q("decision", None, None, None), vec![1, 3]);
    let decisions = |q: RecordQuery| {
        store
            .records(&RecordQuery {
                kind: "decision",
                ..q
            })
            .unwrap()
            .iter()
            .map(|r| r.log_index)
            .collect::<Vec<_>>()
    };
    // The newest only, still oldest first.
    let newest = |n| {
        decisions(RecordQuery {
            newest: Some(n),
            ..Default::default()
        })
    };
    assert_eq!(
        (newest(1), newest(2), newest(9)),
        (vec![3], vec![1, 3], vec![1, 3])
    );
    // Followed from a log index: only those logged after it, oldest first, with the other
    // filters still applied.
    let after = |a, subject| {
        decisions(RecordQuery {
            subject,
            after: Some(a),
            ..Default::default()
        })
    };
    assert_eq!(
        (
            after(0, None),
            after(1, None),
            after(2, None),
            after(3, None)
        ),
        (vec![1, 3], vec![3], vec![3], vec![])
    );
    assert_eq!(after(0, Some("inc-a")), vec![1]);
    assert_eq!(after(1, Some("inc-a")), Vec::<u64>::new());
    assert_eq!(q("decision", Some("inc-a"), None, None), vec![1]);
    assert_eq!(q("decision", None, Some(3_000), None), vec![3]);
    assert_eq!(q("decision", None, None, Some(4_000)), vec![1]);
    assert_eq!(q("reply", Some("inc-b"), None, None), Vec::<u64>::new());
    assert_eq!(q("vessel_event", Some("273000001"), None, None), vec![5]);
    assert_eq!(
        q("vessel_event", Some("273000002"), None, None),
        Vec::<u64>::new()
    );
    assert_eq!(
        q("vessel_event", None, Some(6_000), None),
        Vec::<u64>::new()
    );
    let got = store
        .records(&RecordQuery {
            kind: "reply",
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        got,
        vec![StoredRecord {
            kind: "reply".into(),
            subject: Some("inc-a".into()),
            account: "ana".into(),
            time_ms: 3_000,
            record: br#"{"text":"no"}"#.to_vec(),
            log_index: 2,
        }]
    );
    // Each is a leaf of its kind, and the log verifies with them.
    assert_eq!(
        store.log_entries(2, 3).unwrap()[0],
        br#"{"reply":{"text":"no"}}"#.to_vec()
    );
    assert_eq!(
        store.log_entries(5, 6).unwrap()[0],
        format!(r#"{{"vessel_event":{event}}}"#).into_bytes()
    );
    let report = store.verify_log(None).unwrap();
    assert!(report.problem.is_none(), "{report:?}");
    assert_eq!(report.size, 6);
}

pub fn mission_records_are_idempotent_leaves(store: &dyn Store) {
    store
        .submit_blocking(vec![obs("a", "op1", 1_000, 37.8, 48.1)])
        .unwrap();
    let rec = |id: &str, kind: &str, t: i64, account: &str| NewMissionRecord {
        id: id.into(),
        kind: kind.into(),
        time_ms: t,
        account: account.into(),
        body: format!(r#"{{"id":"{id}","type":"{kind}"}}"#).into_bytes(),
    };
    let first = store
        .submit_mission_records(vec![
            rec("s1", "site", 2_000, "mon"),
            rec("r1", "restriction", 3_000, "mon"),
            rec("c1", "casualty", 4_000, "ana"),
        ])
        .unwrap();
    assert_eq!(
        first,
        vec![
            Outcome::Accepted { log_index: 1 },
            Outcome::Accepted { log_index: 2 },
            Outcome::Accepted { log_index: 3 }
        ]
    );
    // The same again is a no-op; a new one beside it is kept.
    let again = store
        .submit_mission_records(vec![
            rec("r1", "restriction", 3_000, "mon"),
            rec("d1", "damage", 5_000, "mon"),
        ])
        .unwrap();
    assert_eq!(
        again,
        vec![
            Outcome::Duplicate { log_index: 2 },
            Outcome::Accepted { log_index: 4 }
        ]
    );
    // Other content under a kept id fails the whole request, and nothing of it is written.
    let mut changed = rec("c1", "casualty", 4_000, "ana");
    changed.body = br#"{"id":"c1","killed":9}"#.to_vec();
    let err = store
        .submit_mission_records(vec![rec("h1", "hazard", 6_000, "mon"), changed])
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { index: 1, .. }),
        "{err:?}"
    );
    assert!(store.mission_record("h1").unwrap().is_none());
    assert_eq!(store.log_head().0, 5);
    let q = |kinds: &[&str], from_ms, to_ms, account: Option<&str>, after, limit| {
        store
            .mission_records(&MissionQuery {
                kinds: kinds.iter().map(|k| k.to_string()).collect(),
                from_ms,
                to_ms,
                account: account.map(str::to_string),
                after,
                limit,
            })
            .unwrap()
            .iter()
            .map(|r| r.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        q(&[], None, None, None, None, 100),
        ["s1", "r1", "c1", "d1"]
    );
    assert_eq!(
        q(&["casualty", "damage"], None, None, None, None, 100),
        ["c1", "d1"]
    );
    assert_eq!(
        q(&[], Some(3_000), Some(5_000), None, None, 100),
        ["r1", "c1"]
    );
    assert_eq!(
        q(&[], None, None, Some("mon"), None, 100),
        ["s1", "r1", "d1"]
    );
    assert_eq!(q(&[], None, None, None, Some(2), 1), ["c1"]);
    let got = store.mission_record("c1").unwrap().unwrap();
    assert_eq!(
        (
            got.kind.as_str(),
            got.account.as_str(),
            got.time_ms,
            got.log_index
        ),
        ("casualty", "ana", 4_000, 3)
    );
    // Each is a leaf holding its canonical bytes, and the log verifies with them.
    assert_eq!(
        store.log_entries(3, 4).unwrap()[0],
        truceline_log::leaf_bytes(MISSION_RECORD, &got.body)
    );
    let report = store.verify_log(None).unwrap();
    assert!(report.problem.is_none(), "{report:?}");
    assert_eq!(store.check().unwrap().observations, 1);
}

/// The C2SP tiles cut from the stored hashes give, at every size up to a few thousand leaves,
/// the root the store proves against, leaf hashes that are the leaves' own, and inclusion
/// proofs that verify against that root; nothing beyond the committed log is served.
pub fn tiles_agree_with_the_proofs_at_every_size(store: &dyn Store) {
    use truceline_log::tiles::{Tile, root_from_tiles};
    const N: u64 = 2100;
    for batch in 0..N / 100 {
        store
            .submit_blocking(
                (0..100)
                    .map(|i| {
                        let k = batch * 100 + i;
                        obs(&format!("t{k}"), "op1", 1_000 + k as i64, 37.8, 48.1)
                    })
                    .collect(),
            )
            .unwrap();
    }
    assert_eq!(store.log_head().0, N);
    let tile = |t: Tile| store.log_nodes(&t.nodes().collect::<Vec<_>>());
    for size in 1..=N {
        let root = root_from_tiles(size, tile).unwrap();
        assert_eq!(root, store.log_root(size).unwrap(), "size {size}");
        if size % 97 == 0 || size == N {
            for index in [0, size / 3, size - 1] {
                let leaf = store.log_nodes(&[(0, index)]).unwrap()[0];
                let proof = store.inclusion_proof(index, size).unwrap();
                verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
            }
        }
    }
    // The leaf tiles hash the entries a bundle holds.
    let full = Tile::parse("entries/001").unwrap();
    let entries = store.log_entries(256, 512).unwrap();
    let bundle =
        truceline_log::tiles::entry_bundle(256, entries.iter().map(Vec::as_slice)).unwrap();
    let read = truceline_log::tiles::read_entry_bundle(&bundle).unwrap();
    let hashes = tile(Tile::parse("0/001").unwrap()).unwrap();
    assert_eq!(read.len(), 256);
    for (e, h) in read.iter().zip(&hashes) {
        assert_eq!(leaf_hash(e), *h);
    }
    assert!(full.within(N));
    // Beyond the committed log: the level-8 subtree of leaves 2048..2304, a leaf past the end.
    assert!(store.log_nodes(&[(8, 8)]).is_err());
    assert!(store.log_nodes(&[(0, N)]).is_err());
    assert!(store.log_nodes(&[(70, 0)]).is_err());
    assert_eq!(store.log_nodes(&[(8, 7)]).unwrap().len(), 1);
}

/// Observations are logged in the committed form (SPEC 4.2), whether committed by the caller
/// or by the store: the leaf is `{"commitment":"truceline-sd/1","fields":{NAME: DIGEST}}` with a
/// digest for every field of the body, the store opens each field again from its salts, salts
/// are fresh for every observation, and a re-sent observation keeps the commitment it was
/// logged with. A leaf given in the plain form stays plain.
pub fn observations_are_logged_committed_and_open_field_by_field(store: &dyn Store) {
    assert_eq!(store.committed_from().unwrap(), 0);
    let by_caller = obs("c1", "op1", 1_000, 37.0, 48.0).hashed();
    let by_store = obs("c2", "op1", 1_000, 37.0, 48.0);
    let plain = obs("p3", "op1", 1_000, 37.0, 48.0).hashed_plain();
    assert!(by_caller.salts.is_some() && by_store.leaf.is_none());
    let batch = vec![by_caller.clone(), by_store.clone(), plain.clone()];
    store.submit_blocking(batch.clone()).unwrap();
    let entries = store.log_entries(0, 3).unwrap();
    let mut digests_of_kind = Vec::new();
    for (i, o) in batch[..2].iter().enumerate() {
        let (stored, c) = store.committed(&o.id).unwrap().unwrap();
        let c = c.expect("committed");
        assert_eq!(stored.log_index, i as u64);
        assert_eq!(entries[i], c.committed, "leaf {i} is the committed form");
        let leaf: serde_json::Value = serde_json::from_slice(&entries[i]).unwrap();
        assert_eq!(leaf["commitment"], "truceline-sd/1");
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&o.body).unwrap();
        let fields = leaf["fields"].as_object().unwrap();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            body.keys().collect::<Vec<_>>(),
            "a digest for every field"
        );
        for (name, value) in &body {
            let d = &c.disclosures[name];
            assert_eq!(
                fields[name],
                truceline_disclosure::digest(d),
                "{name}'s digest is its disclosure's"
            );
            let (n, v) = truceline_disclosure::open_disclosure(d).unwrap();
            assert_eq!((&n, &v), (name, value));
        }
        digests_of_kind.push(fields["kind"].clone());
    }
    assert_ne!(
        digests_of_kind[0], digests_of_kind[1],
        "the same value under fresh salts commits differently"
    );
    assert_eq!(entries[2], leaf_bytes("observation", &plain.body));
    assert_eq!(store.committed(&plain.id).unwrap().unwrap().1, None);
    // Re-sent, with salts of its own: a duplicate, and the logged commitment stands.
    let again = store
        .submit_blocking(vec![obs("c1", "op1", 1_000, 37.0, 48.0).hashed()])
        .unwrap();
    assert_eq!(again, vec![Outcome::Duplicate { log_index: 0 }]);
    assert_eq!(store.log_entries(0, 1).unwrap()[0], entries[0]);
    let (size, root) = store.log_head();
    let l = leaves(store);
    for i in 0..size {
        let p = store.inclusion_proof(i, size).unwrap();
        verify_inclusion(i, size, &l[i as usize], &p, &root).unwrap();
    }
    assert_eq!(store.verify_log(None).unwrap().problem, None);
    assert_eq!(store.committed("absent").unwrap(), None);
}

/// A rotation of the log's key, as `keys rotate` makes it: its announcement is found with the
/// first checkpoint stored after it and the announcement's proof in that checkpoint, and a
/// verifier trusting the old key follows it; an announcement not yet handed over is not.
pub fn key_rotations_are_found_with_their_handovers(store: &dyn Store) {
    use truceline_log::checkpoint::Checkpoint;
    use truceline_log::note::{Algorithm, Signer};
    use truceline_log::rotation;
    let old = Signer::from_seed("example.org/log", Algorithm::Ed25519, [1; 32]).unwrap();
    let new = Signer::from_seed("example.org/log", Algorithm::Ed25519, [2; 32]).unwrap();
    store
        .submit_blocking(
            (0..5)
                .map(|i| obs(&format!("r{i}"), "op1", 1_000, 37.0, 48.0))
                .collect(),
        )
        .unwrap();
    let sign = |signer: &Signer| {
        let (size, root) = store.log_head();
        let text = Checkpoint {
            origin: "example.org/log".into(),
            size,
            root,
        }
        .text();
        (size, signer.sign_note(&text).unwrap(), text)
    };
    let (size, note, _) = sign(&old);
    store.put_checkpoint(size, note).unwrap();
    assert_eq!(store.handovers().unwrap(), vec![]);
    let announce = |from: &Signer, to: &Signer| {
        store
            .append_records(vec![NewRecord {
                kind: rotation::KIND.into(),
                subject: None,
                account: "cli".into(),
                time_ms: 2_000,
                record: rotation::record(&from.verifier(), &to.verifier(), "2026-12-04T00:00:00Z"),
            }])
            .unwrap()[0]
    };
    let index = announce(&old, &new);
    assert_eq!(store.handovers().unwrap(), vec![], "not handed over yet");
    let (size, _, text) = sign(&old);
    store
        .put_checkpoint(size, rotation::sign_handover(&text, &old, &new).unwrap())
        .unwrap();
    store
        .submit_blocking(vec![obs("r9", "op1", 1_000, 37.0, 48.0)])
        .unwrap();
    let (later, note, _) = sign(&new);
    store.put_checkpoint(later, note).unwrap();
    let chain = store.handovers().unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!((chain[0].log_index, chain[0].log_index + 1), (index, size));
    let keys = rotation::follow(&old.verifier(), &chain).unwrap();
    assert_eq!(keys[1], (new.verifier(), size));
    let report = store.verify_log(Some(&old.verifier())).unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(report.checkpoints, 3);
    assert_eq!(report.keys.len(), 2);
    // Anchored on the new key, the same.
    assert_eq!(
        store.verify_log(Some(&new.verifier())).unwrap().problem,
        None
    );
}

/// The service's state (not a record): kept under a key, replaced whole, read back, and never a
/// leaf of the log.
pub fn state_is_kept_replaced_and_not_logged(store: &dyn Store) {
    assert_eq!(store.state("ais_tracks").unwrap(), None);
    store.put_state("ais_tracks", b"first".to_vec()).unwrap();
    store.put_state("other", vec![0, 1, 2]).unwrap();
    assert_eq!(
        store.state("ais_tracks").unwrap().as_deref(),
        Some(&b"first"[..])
    );
    store.put_state("ais_tracks", vec![7; 100_000]).unwrap();
    assert_eq!(store.state("ais_tracks").unwrap(), Some(vec![7; 100_000]));
    assert_eq!(store.state("other").unwrap(), Some(vec![0, 1, 2]));
    assert_eq!(store.log_head().0, 0, "state is not a record");
}

/// Browser sessions: kept by their secret's hash for an existing account only, ended by
/// signing out, and let go once past their end when another opens.
pub fn sessions_are_kept_by_hash_ended_and_let_go(store: &dyn Store) {
    store
        .write_accounts(AccountWrite::Add(Account {
            name: "ana".into(),
            role: "analyst".into(),
            party: None,
            observers: None,
            password: None,
            disabled: false,
            created_ms: 1,
        }))
        .unwrap();
    let open = |hash: [u8; 32], account: &str, expires_ms: i64, now_ms: i64| {
        store.write_accounts(AccountWrite::OpenSession {
            hash,
            account: account.into(),
            expires_ms,
            now_ms,
        })
    };
    open([1; 32], "ana", 1_000, 0).unwrap();
    open([2; 32], "ana", 5_000, 0).unwrap();
    assert_eq!(
        store.session(&[1; 32]).unwrap(),
        Some(("ana".into(), 1_000))
    );
    assert_eq!(store.session(&[3; 32]).unwrap(), None);
    assert!(matches!(
        open([4; 32], "nobody", 5_000, 0),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.session(&[4; 32]).unwrap(), None);
    store
        .write_accounts(AccountWrite::EndSession { hash: [2; 32] })
        .unwrap();
    assert_eq!(store.session(&[2; 32]).unwrap(), None);
    // Ending one that is not there is no error: a second sign-out, or one after expiry.
    store
        .write_accounts(AccountWrite::EndSession { hash: [2; 32] })
        .unwrap();
    open([5; 32], "ana", 9_000, 2_000).unwrap();
    assert_eq!(store.session(&[1; 32]).unwrap(), None, "past its end");
    assert_eq!(
        store.session(&[5; 32]).unwrap(),
        Some(("ana".into(), 9_000))
    );
    // Sessions are not records: the log did not grow.
    assert_eq!(store.log_head().0, 0);
}
