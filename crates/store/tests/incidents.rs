//! Stored incidents, reports and the writer lock.

use serde_json::json;
use truceline_store::{
    IncidentRow, IncidentWrite, NewObservation, ObservationStore, PublishedReport, SqliteStore,
    StoreError,
};

fn incident(id: &str, t: &str, kind: &str, count: u32, violating: bool) -> IncidentRow {
    let v = json!({
        "id": id, "kind": kind, "subtype": null, "time": t, "count": count,
        "location": {"lon": 37.8, "lat": 48.1}, "control": "ua",
        "attribution": {"party": if violating { json!("ru") } else { json!(null) }, "confidence": 0.9, "basis": "b"},
        "violations": if violating { json!([{"rule": "ceasefire", "party": null, "zone": null}]) } else { json!([]) },
        "observations": ["o1"],
    });
    IncidentRow::from_json(&v, vec![0]).unwrap()
}

#[test]
fn incidents_are_replaced_revised_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.fused_observations().unwrap(), None);
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
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.fused_observations().unwrap(), Some(7));
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
    assert!(all[0].0.contains("\"z\""));
}

#[test]
fn a_published_report_is_a_leaf_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let obs = NewObservation {
        id: "op1-1".into(),
        observer: "op1".into(),
        time_ms: 1_795_514_400_000,
        lon: 37.8,
        lat: 48.1,
        kind: "explosion".into(),
        body: br#"{"id":"op1-1","observer":"op1","observer_position":{"lat":48.1,"lon":37.8},"source":"post"}"#.to_vec(),
        leaf: None,
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
