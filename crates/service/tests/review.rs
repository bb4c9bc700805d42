//! The analysts' decisions in the daily report: an incident rejected as a false alarm is listed
//! with that decision and counted in no figure — the day's, nor the comparisons with the days
//! before — while one rejected and then confirmed again counts as before.

mod common;

use common::agreement;
use truceline_incident::review::{Entry, Verdict};
use truceline_report::{Audience, Context, MissionDay, Report};
use truceline_service::{Fuser, vocabulary};
use truceline_store::{
    IncidentStore, NewObservation, NewRecord, ObservationStore, RecordStore, SqliteStore,
};

/// Keeps a decision on `incident` as the service does (a log record about it).
fn decide(store: &SqliteStore, incident: &str, v: Verdict, at: &str) {
    let entry = Entry {
        account: "ana".into(),
        basis: Some("reviewed against the crater survey".into()),
        decision: Some(v),
        incident: incident.into(),
        party: None,
        text: None,
        time: at.parse().unwrap(),
        log_index: 0,
    };
    store
        .append_records(vec![NewRecord {
            kind: "decision".into(),
            subject: Some(incident.into()),
            account: "ana".into(),
            time_ms: entry.time.as_millisecond(),
            record: serde_jcs::to_vec(&entry).unwrap(),
        }])
        .unwrap();
}

fn kind_events(r: &Report, kind: &str, subtype: Option<&str>) -> u64 {
    r.by_kind
        .iter()
        .find(|k| k.kind == kind && k.subtype.as_deref() == subtype)
        .map_or(0, |k| k.violation_events)
}

fn region_events(r: &Report) -> u64 {
    r.by_region.iter().map(|x| x.events).sum()
}

/// A store at `dir` holding `hours` simulated from `start` (seed `seed`, six fire missions an
/// hour), fused.
fn fused_store(dir: &std::path::Path, seed: u64, hours: f64, start: &str) -> SqliteStore {
    let a = agreement();
    let engine = truceline_zones::ZoneEngine::new(&a).unwrap();
    let params = truceline_simulate::Params {
        seed,
        hours,
        fire_missions_per_hour: 6.0,
        ..Default::default()
    };
    let start: jiff::Timestamp = start.parse().unwrap();
    let scenario = truceline_simulate::Network::new(&a, &engine, &params).simulate(&params, start);
    let store = SqliteStore::open(dir).unwrap();
    let vocab = vocabulary(&a);
    store
        .submit_blocking(
            scenario
                .observations
                .iter()
                .map(|v| {
                    let o = truceline_observation::parse(v.to_string().as_bytes(), &vocab);
                    NewObservation::from(&o.unwrap())
                })
                .collect(),
        )
        .unwrap();
    Fuser::new(a).unwrap().fuse_store(&store).unwrap();
    store
}

#[test]
fn a_rejected_incident_is_listed_and_counted_in_no_figure() {
    let a = agreement();
    let dir = tempfile::tempdir().unwrap();
    let store = fused_store(dir.path(), 29, 48.0, "2026-11-23T16:00:00Z");

    let ctx = Context::new(a.clone());
    let day = MissionDay::new("2026-11-24", "Europe/Kyiv", "19:30").unwrap();
    let before = day.shifted(-1).unwrap();
    let build = || truceline_report::build(&store, &ctx, &day, Audience::Restricted).unwrap();
    let r0 = build();
    assert!(r0.summary.violations > 2, "{:?}", r0.summary);
    assert_eq!(r0.summary.rejected, 0);

    // Two violating incidents of the day, the second rejected and then confirmed again; one of
    // the day before.
    let violating: Vec<_> = r0
        .incidents
        .iter()
        .filter(|i| !i.violations.is_empty())
        .collect();
    let (gone, back) = (violating[0], violating[1]);
    let (gone_id, back_id) = (gone.incident.clone(), back.incident.clone());
    let earlier = store
        .incidents_between(before.from_ms(), before.to_ms())
        .unwrap()
        .into_iter()
        .map(|row| row.record)
        .find(|v| !v.violations.is_empty())
        .expect("a violation the day before");
    decide(&store, &gone_id, Verdict::Reject, "2026-11-24T18:00:00Z");
    decide(&store, &back_id, Verdict::Reject, "2026-11-24T18:01:00Z");
    decide(&store, &back_id, Verdict::Confirm, "2026-11-24T18:02:00Z");
    decide(&store, &earlier.id, Verdict::Reject, "2026-11-24T18:03:00Z");
    let r1 = build();

    // Listed, with the decision.
    assert_eq!(r1.incidents.len(), r0.incidents.len());
    let listed = |id: &str| r1.incidents.iter().find(|i| i.incident == id).unwrap();
    assert_eq!(listed(&gone_id).review, "rejected");
    assert_eq!(listed(&back_id).review, "confirmed");
    // Counted nowhere: the summary, by kind, by region and area, the thirty days' chart.
    let s = (&r0.summary, &r1.summary);
    assert_eq!(s.1.rejected, 1);
    assert_eq!(s.1.incidents, s.0.incidents - 1);
    assert_eq!(s.1.violations, s.0.violations - 1);
    assert_eq!(s.1.violation_events, s.0.violation_events - gone.count);
    assert_eq!(
        kind_events(&r1, &gone.kind, gone.subtype.as_deref()),
        kind_events(&r0, &gone.kind, gone.subtype.as_deref()) - gone.count
    );
    for r in [&r0, &r1] {
        assert_eq!(region_events(r), r.summary.violation_events);
        assert_eq!(
            r.by_area.iter().map(|x| x.events).sum::<u64>(),
            r.summary.violation_events
        );
        let chart: u64 = r.daily[29].by_kind.values().sum();
        assert_eq!(chart, r.summary.violation_events);
    }
    let attributed = |r: &Report| r.attribution.attributed + r.attribution.unattributed;
    assert_eq!(attributed(&r1), attributed(&r0) - 1);
    // The day before is compared without its rejected incident.
    assert_eq!(
        s.1.previous_day,
        s.0.previous_day - u64::from(earlier.count)
    );
    let chart = |r: &Report| r.daily[28].by_kind.values().sum::<u64>();
    assert_eq!(chart(&r1), chart(&r0) - u64::from(earlier.count));
    assert!(
        r1.notes.iter().any(|n| n
            .to_string()
            .starts_with("1 of the day's incidents were rejected")),
        "{:?}",
        r1.notes
    );
    assert!(!r0.notes.iter().any(|n| n.to_string().contains("rejected")));
}

/// Servers of one store follow the decisions each other keeps (a standby shows them; a writer
/// that took over has them), reading only what is new: one keeps a decision, the other sees it
/// once it follows; the other's own decision, read back among the new, is not counted twice;
/// both end with the reviews a server started afterwards reads whole.
#[test]
fn servers_of_one_store_follow_each_others_decisions() {
    use std::sync::Arc;
    use truceline_service::accounts::Caller;
    use truceline_service::review::Decision;
    use truceline_service::{KeyRegistry, LogState, Service};
    let a = agreement();
    let dir = tempfile::tempdir().unwrap();
    let store = fused_store(&dir.path().join("data"), 31, 3.0, "2026-11-24T08:00:00Z");
    let ids: Vec<String> = store
        .incidents_between(i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .map(|r| r.record.id)
        .take(2)
        .collect();
    let store: Arc<dyn truceline_store::Store> = Arc::new(store);
    let keys = dir.path().join("keys");
    let server = || {
        let signer = truceline_service::keys::log_signer(&keys, None).unwrap();
        let log = LogState::new(signer, KeyRegistry::open(&keys), store.as_ref());
        let s = Service::new(store.clone(), &a, log).unwrap();
        s.load_reviews().unwrap();
        s
    };
    let (one, two) = (server(), server());
    let now = jiff::Timestamp::now();
    let decide = |s: &Service, id: &str, decision: Verdict| {
        s.decide(
            &Caller::Open,
            id,
            &Decision {
                decision,
                party: None,
                basis: Some("checked".into()),
            },
            now,
        )
        .unwrap()
    };
    let statuses = |s: &Service| -> Vec<(String, Vec<u64>)> {
        ids.iter()
            .map(|id| {
                let r = s.review(id).unwrap_or_default();
                (
                    r.status().to_string(),
                    r.decisions.iter().map(|d| d.log_index).collect(),
                )
            })
            .collect()
    };
    let first = decide(&one, &ids[0], Verdict::Confirm);
    assert!(two.review(&ids[0]).is_none());
    two.follow_reviews().unwrap();
    assert_eq!(statuses(&two)[0], ("confirmed".to_string(), vec![first]));
    // The second server's own decisions, then the first's, each read back by both.
    let second = decide(&two, &ids[0], Verdict::Reject);
    let third = decide(&two, &ids[1], Verdict::Confirm);
    let fourth = decide(&one, &ids[1], Verdict::Reject);
    for s in [&one, &two, &one, &two] {
        s.follow_reviews().unwrap();
    }
    let want = vec![
        ("rejected".to_string(), vec![first, second]),
        ("rejected".to_string(), vec![third, fourth]),
    ];
    assert_eq!(statuses(&one), want);
    assert_eq!(statuses(&two), want);
    assert_eq!(statuses(&server()), want);
}
