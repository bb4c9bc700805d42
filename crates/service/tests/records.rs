//! The mission's other records in the daily report: a simulated scenario with every record
//! type, fused and kept, gives sections that add up, and the public edition shows casualties
//! only as totals and names no patrol and no record.

mod common;

use common::agreement;
use std::collections::BTreeMap;
use truceline_records::RecordType;
use truceline_report::{Audience, Context, MissionDay};
use truceline_service::{Fuser, vocabulary};
use truceline_store::{
    NewMissionRecord, NewObservation, ObservationStore, RecordStore, SqliteStore,
};

fn sum<'a>(m: impl IntoIterator<Item = &'a u64>) -> u64 {
    m.into_iter().sum()
}

#[test]
fn a_scenario_with_every_record_type_gives_sections_that_add_up_and_a_public_edition_without_people()
 {
    let a = agreement();
    let engine = truceline_zones::ZoneEngine::new(&a).unwrap();
    let params = truceline_simulate::Params {
        seed: 23,
        hours: 48.0,
        fire_missions_per_hour: 6.0,
        ..Default::default()
    };
    let start: jiff::Timestamp = "2026-11-23T16:00:00Z".parse().unwrap();
    let network = truceline_simulate::Network::new(&a, &engine, &params);
    let scenario = network.simulate(&params, start);
    let records =
        truceline_simulate::records::records(&a, &engine, &scenario, 23, start, params.hours);

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let vocab = vocabulary(&a);
    let obs: Vec<NewObservation> = scenario
        .observations
        .iter()
        .map(|v| {
            let o = truceline_observation::parse(v.to_string().as_bytes(), &vocab).unwrap();
            NewObservation::from(&o)
        })
        .collect();
    store.submit_blocking(obs).unwrap();
    // A weapon seen near the line whose serial is declared at one of the party's storage sites:
    // the report traces it to the site.
    let listed = records
        .iter()
        .find(|r| r["type"] == "site" && r["party"] == "ru")
        .expect("a site of ru")["declared"][0]
        .clone();
    let near = records
        .iter()
        .find(|r| {
            r["type"] == "restriction"
                && r["party"] == "ru"
                && r["time"].as_str().unwrap() > "2026-11-24"
        })
        .expect("a restriction on ru's side")["location"]
        .clone();
    let sighting = serde_json::json!({"id":"uav9-serial-1","observer":"uav9","source":"uav",
        "time":"2026-11-24T09:30:00Z","kind":"weapon","weapon":listed["weapon"],"party":"ru",
        "serial":listed["serial"],"location":{"lon":near["lon"],"lat":near["lat"],"uncertainty_m":20}});
    let o = truceline_observation::parse(sighting.to_string().as_bytes(), &vocab).unwrap();
    store
        .submit_blocking(vec![NewObservation::from(&o)])
        .unwrap();
    Fuser::new(a.clone()).unwrap().fuse_store(&store).unwrap();
    let parsed: Vec<truceline_records::Record> = records
        .iter()
        .map(|v| truceline_records::parse(v.to_string().as_bytes(), &vocab).unwrap())
        .collect();
    let types: std::collections::BTreeSet<RecordType> =
        parsed.iter().map(|r| r.record_type()).collect();
    assert_eq!(
        types.len(),
        RecordType::ALL.len(),
        "every type is drawn: {types:?}"
    );
    store
        .submit_mission_records(
            parsed
                .iter()
                .map(|r| NewMissionRecord {
                    id: r.id.clone(),
                    kind: r.record_type().as_str().into(),
                    time_ms: r.time.as_millisecond(),
                    account: "mon".into(),
                    body: r.canonical.clone(),
                })
                .collect(),
        )
        .unwrap();

    let ctx = Context::new(a.clone());
    let day = MissionDay::new("2026-11-24", "Europe/Kyiv", "19:30").unwrap();
    let in_day = |r: &truceline_records::Record| {
        let t = r.time.as_millisecond();
        t >= day.from_ms() && t < day.to_ms()
    };
    let report = truceline_report::build(&store, &ctx, &day, Audience::Restricted).unwrap();
    let s = &report.records;

    // Movement: every restriction of the day, by kind and by party, each adding up.
    let restrictions = parsed
        .iter()
        .filter(|r| r.record_type() == RecordType::Restriction && in_day(r))
        .count() as u64;
    assert!(restrictions > 0);
    assert_eq!(s.movement.restrictions, restrictions);
    assert_eq!(sum(s.movement.by_kind.values()), restrictions);
    assert_eq!(sum(s.movement.by_party.values()), restrictions);
    assert_eq!(s.movement.items.len() as u64, restrictions);
    assert_eq!(s.movement.compared.today, restrictions as f64);
    assert!(s.movement.items.iter().all(|i| i.patrol.is_some()));

    // Casualties: totals are the records', and by status and by cause each add up to them.
    let (mut killed, mut injured) = (0, 0);
    for r in parsed.iter().filter(|r| in_day(r)) {
        if let truceline_records::Body::Casualty {
            killed: k,
            injured: i,
            ..
        } = r.body
        {
            killed += k;
            injured += i;
        }
    }
    assert!(killed + injured > 0, "the day has casualties");
    assert_eq!(
        (s.casualties.killed, s.casualties.injured),
        (killed, injured)
    );
    for by in [&s.casualties.by_status, &s.casualties.by_cause] {
        assert_eq!(by.values().map(|p| p.killed).sum::<u64>(), killed);
        assert_eq!(by.values().map(|p| p.injured).sum::<u64>(), injured);
    }
    let items = s
        .casualties
        .items
        .as_ref()
        .expect("restricted: one line a record");
    assert_eq!(items.iter().map(|i| i.killed).sum::<u64>(), killed);
    // Harm is linked only with a basis, and a link names one of the day's incidents or none.
    for i in items.iter().chain(&s.damage.items) {
        assert!(!i.link.basis.is_empty());
        assert_eq!(i.incident.is_some(), i.link.incident.is_some(), "{i:?}");
    }
    assert!(
        items
            .iter()
            .chain(&s.damage.items)
            .any(|i| i.incident.is_some()),
        "harm beside an impact is linked to its incident"
    );

    // Damage and hazards by kind; storage per party; windows.
    assert_eq!(sum(s.damage.by_object.values()), s.damage.total);
    assert_eq!(s.damage.items.len() as u64, s.damage.total);
    assert_eq!(sum(s.hazards.by_kind.values()), s.hazards.total);
    assert!(s.hazards.in_zones <= s.hazards.total);
    assert_eq!(
        s.hazards
            .items
            .iter()
            .filter(|h| !h.violates.is_empty())
            .count() as u64,
        s.hazards.in_zones
    );
    let inspections = parsed
        .iter()
        .filter(|r| r.record_type() == RecordType::Inspection && in_day(r))
        .count() as u64;
    assert_eq!(sum(s.storage.inspected.values()), inspections);
    assert_eq!(s.storage.inspections.len() as u64, inspections);
    let missing: u64 = s
        .storage
        .inspections
        .iter()
        .map(|i| i.missing.len() as u64)
        .sum();
    assert_eq!(sum(s.storage.missing.values()), missing);
    assert_eq!(
        s.storage
            .inspections
            .iter()
            .filter(|i| i.access == "denied")
            .count() as u64,
        sum(s.storage.denied.values())
    );
    let declared: BTreeMap<String, u64> = a
        .parties
        .iter()
        .map(|p| (p.id.clone(), 0))
        .chain(s.storage.declared.clone())
        .collect();
    assert!(
        declared.values().all(|n| *n > 0),
        "each party declared weapons: {declared:?}"
    );
    assert_eq!(s.storage.traced.len(), 1, "{:?}", s.storage.traced);
    assert_eq!(
        s.storage.traced[0].serial,
        listed["serial"].as_str().unwrap()
    );
    assert_eq!(s.storage.traced[0].party, "ru");
    assert_eq!(s.windows.agreed, s.windows.items.len() as u64);
    let mut numbers: Vec<usize> = s
        .windows
        .items
        .iter()
        .flat_map(|w| w.incidents.clone())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(s.windows.violations, numbers.len() as u64);

    // The public edition: the same totals, and no casualty record, patrol or record id.
    let public = truceline_report::build(&store, &ctx, &day, Audience::Public).unwrap();
    let p = &public.records;
    assert_eq!(
        (p.casualties.killed, p.casualties.injured),
        (killed, injured)
    );
    assert!(p.casualties.items.is_none());
    assert_eq!(p.movement.restrictions, restrictions);
    // The PDF's text is compressed: the command-line test reads it back with pdftotext.
    for format in truceline_report::Format::ALL
        .into_iter()
        .filter(|f| *f != truceline_report::Format::Pdf)
    {
        let bytes = truceline_report::render(&public, &ctx, format);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("patrol-"), "{format:?} names a patrol");
        for r in &parsed {
            assert!(
                !text.contains(&format!("\"{}\"", r.id)) && !text.contains(&format!(">{}<", r.id)),
                "{format:?} cites record {}",
                r.id
            );
        }
    }
}

/// Fire placed only at the monitor who heard it (a lone bearing) was heard from inside a local
/// ceasefire window's area, not fired there: the incident view lists no window it broke — which
/// would also tell a party where the monitor stood — while the same incident located there does.
#[test]
fn an_incident_placed_only_at_its_observer_breaks_no_window() {
    use std::sync::Arc;
    use truceline_incident::{Basis, IncidentRecord};
    use truceline_service::{KeyRegistry, LogState, Service};

    let a = agreement();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let window = truceline_records::parse(
        br#"{"id":"w1","type":"window","time":"2026-11-24T06:00:00Z","from":"2026-11-24T08:00:00Z","to":"2026-11-24T16:00:00Z","purpose":"water main","area":{"type":"Polygon","coordinates":[[[37.7,48.0],[37.9,48.0],[37.9,48.2],[37.7,48.2],[37.7,48.0]]]}}"#,
        &vocabulary(&a),
    )
    .unwrap();
    store
        .submit_mission_records(vec![NewMissionRecord {
            id: window.id.clone(),
            kind: window.record_type().as_str().into(),
            time_ms: window.time.as_millisecond(),
            account: "mon".into(),
            body: window.canonical.clone(),
        }])
        .unwrap();
    let store: Arc<dyn truceline_store::Store> = Arc::new(store);
    let keys = dir.path().join("keys");
    let signer = truceline_service::keys::log_signer(&keys, None).unwrap();
    let log = LogState::new(signer, KeyRegistry::open(&keys), store.as_ref());
    let service = Service::new(store.clone(), &a, log).unwrap();
    let mut incident: IncidentRecord = serde_json::from_str(
        r#"{"attribution":{"basis":"origin not established","confidence":0.0,"party":null},"control":null,"count":1,"error_ellipse_m":null,"id":"inc-1","kind":"explosion","location":{"lat":48.1,"lon":37.8},"location_basis":"fix","observations":["a1"],"subtype":null,"time":"2026-11-24T09:00:00Z","time_end":null,"violations":[],"weapon":null}"#,
    )
    .unwrap();
    let broken = service.windows_broken(&incident).unwrap();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0]["purpose"], "water main");
    incident.location_basis = Basis::ObserverOnly;
    assert_eq!(
        service.windows_broken(&incident).unwrap(),
        Vec::<serde_json::Value>::new()
    );
}
