//! Online fusion over several days: what it publishes is what the batch engine makes of the
//! same observations, only the current and the previous day are held, and a report that comes
//! late for a closed day reopens that day alone.

mod common;

use common::agreement;
use truceline_fusion::{DAY_MS, day_of};
use truceline_observation::Observation;
use truceline_service::{Fuser, OnlineFusion, Start, vocabulary};
use truceline_store::{IncidentStore, NewObservation, ObservationStore, SqliteStore};

/// Sixty quiet hours over three UTC days, parsed.
fn scenario(a: &truceline_agreement::Agreement) -> Vec<Observation> {
    let engine = truceline_zones::ZoneEngine::new(a).unwrap();
    let params = truceline_simulate::Params {
        seed: 11,
        hours: 60.0,
        fire_missions_per_hour: 3.0,
        small_arms_exchanges_per_hour: 1.0,
        weapon_sightings_per_hour: 1.0,
        ..Default::default()
    };
    let network = truceline_simulate::Network::new(a, &engine, &params);
    let mut all = network
        .simulate(&params, "2026-11-24T06:00:00Z".parse().unwrap())
        .observations;
    // And heavy fire for twenty minutes about the first midnight: events heard on both sides.
    let busy = truceline_simulate::Params {
        hours: 1.0 / 3.0,
        fire_missions_per_hour: 300.0,
        ..params.clone()
    };
    all.extend(
        network
            .simulate(&busy, "2026-11-24T23:50:00Z".parse().unwrap())
            .observations,
    );
    let vocab = vocabulary(a);
    let mut obs: Vec<Observation> = all
        .iter()
        .map(|v| truceline_observation::parse(v.to_string().as_bytes(), &vocab).unwrap())
        .collect();
    obs.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    obs
}

#[test]
fn online_fusion_by_day_publishes_the_batch_incidents_holds_two_days_and_reopens_one() {
    let a = agreement();
    let obs = scenario(&a);
    let days: std::collections::BTreeSet<i64> = obs.iter().map(|o| day_of(o.time)).collect();
    assert_eq!(days.len(), 3, "the scenario spans three days");
    let first_day = *days.first().unwrap();
    let crossing = obs
        .iter()
        .filter(|o| {
            let t = o.time.as_millisecond() - (first_day + 1) * DAY_MS;
            (0..60_000).contains(&t)
        })
        .count();
    assert!(
        crossing > 20,
        "{crossing} reports in the first minute of the second day"
    );
    let engine = truceline_zones::ZoneEngine::new(&a).unwrap();
    let batch = truceline_assess::fuse_and_assess(&a, &engine, &obs, &Default::default());

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let online = OnlineFusion::new(Fuser::new(a.clone()).unwrap());
    // Reports of the first day's afternoon and of the minutes about its midnight are held back,
    // to come after the day closed, latest first: the second day's first minutes read the
    // first day back before its own late reports are met in the same round.
    let late_from = first_day * DAY_MS + 14 * 3_600_000;
    let midnight = (first_day + 1) * DAY_MS;
    let (mut late, on_time): (Vec<&Observation>, Vec<&Observation>) = obs.iter().partition(|o| {
        let t = o.time.as_millisecond();
        (t >= late_from && t < late_from + 1_800_000)
            || (t >= midnight - 300_000 && t < midnight + 60_000)
    });
    late.sort_by_key(|o| std::cmp::Reverse(o.time));
    assert!(late.len() >= 5, "{} held back", late.len());
    for chunk in on_time.chunks(on_time.len() / 9 + 1) {
        store
            .submit_blocking(chunk.iter().map(|o| NewObservation::from(*o)).collect())
            .unwrap();
        online.refresh(&store).unwrap();
        let p = online.state.read().unwrap();
        let w = p.watermark_ms.unwrap();
        assert!(
            p.live_from_ms.unwrap() >= (day_of_ms(w) - 1) * DAY_MS,
            "at most the current and the previous day held"
        );
        assert!(p.fused_days.iter().all(|d| *d >= day_of_ms(w) - 1));
    }
    // The late reports reopen their day, and not the last one.
    store
        .submit_blocking(late.iter().map(|o| NewObservation::from(*o)).collect())
        .unwrap();
    online.refresh(&store).unwrap();
    let (fused_days, watermark) = {
        let p = online.state.read().unwrap();
        (p.fused_days.clone(), p.watermark_ms.unwrap())
    };
    assert!(fused_days.contains(&first_day), "{fused_days:?}");
    assert!(!fused_days.contains(&(first_day + 2)), "{fused_days:?}");

    // What is stored is the batch's incidents, but for the last window, still open.
    let window_ms = (online.window_s() * 1000.0) as i64;
    let (stored, expected) = closed_incidents(&store, &batch, window_ms, watermark);
    assert!(expected.len() > 100, "{} incidents", expected.len());
    assert_eq!(stored.len(), expected.len());
    assert!(
        stored == expected,
        "the online incidents differ from the batch's"
    );
}

/// The stored incidents but those within two windows of `watermark` (still open), as sorted
/// JSON, against the batch's of the same observations.
fn closed_incidents(
    store: &SqliteStore,
    batch: &[truceline_incident::IncidentRecord],
    window_ms: i64,
    watermark: i64,
) -> (Vec<String>, Vec<String>) {
    let closed = |r: &truceline_incident::IncidentRecord| r.time_ms() + 2 * window_ms < watermark;
    let mut stored: Vec<String> = store
        .incidents_between(i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| closed(&r.record))
        .map(|r| serde_json::to_string(&r.record).unwrap())
        .collect();
    let mut expected: Vec<String> = batch
        .iter()
        .filter(|r| closed(r))
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    stored.sort();
    expected.sort();
    (stored, expected)
}

/// A server stops; observations of an earlier day are imported into its store while it is
/// down (`import --data`). At the next start fusion reads on from where it stopped — those
/// observations alone, their day fused again like a late report's — and not the whole store,
/// and what it stores is still the batch's incidents. A store whose incidents do not say where
/// they stop is fused whole.
#[test]
fn a_start_reads_on_from_where_fusion_stopped() {
    let a = agreement();
    let obs = scenario(&a);
    let first_day = day_of(obs[0].time);
    let engine = truceline_zones::ZoneEngine::new(&a).unwrap();
    let batch = truceline_assess::fuse_and_assess(&a, &engine, &obs, &Default::default());
    let (offline, online_part): (Vec<&Observation>, Vec<&Observation>) =
        obs.iter().partition(|o| {
            let t = o.time.as_millisecond() - first_day * DAY_MS;
            (10 * 3_600_000..16 * 3_600_000).contains(&t)
        });
    assert!(offline.len() >= 20, "{} imported offline", offline.len());

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let submit = |o: &[&Observation]| {
        store
            .submit_blocking(o.iter().map(|o| NewObservation::from(*o)).collect())
            .unwrap();
    };
    submit(&online_part);
    let before = OnlineFusion::new(Fuser::new(a.clone()).unwrap());
    before.refresh(&store).unwrap();
    assert_eq!(before.state.read().unwrap().start, Some(Start::Whole));
    drop(before);

    submit(&offline);
    // Read in parts, as a large import is: each part's days fused again in turn.
    let after = OnlineFusion::new(Fuser::new(a.clone()).unwrap()).with_round_read(7);
    after.refresh(&store).unwrap();
    let (start, fused_days, watermark) = {
        let p = after.state.read().unwrap();
        (p.start, p.fused_days.clone(), p.watermark_ms.unwrap())
    };
    assert_eq!(
        start,
        Some(Start::ReadOn {
            observations: offline.len() as u64
        })
    );
    assert!(fused_days.contains(&first_day), "{fused_days:?}");
    let window_ms = (after.window_s() * 1000.0) as i64;
    let (stored, expected) = closed_incidents(&store, &batch, window_ms, watermark);
    assert!(expected.len() > 100, "{} incidents", expected.len());
    assert!(stored == expected, "the incidents differ from the batch's");
    drop(after);

    // Nothing new: the incidents are current.
    let again = OnlineFusion::new(Fuser::new(a.clone()).unwrap());
    again.refresh(&store).unwrap();
    assert_eq!(again.state.read().unwrap().start, Some(Start::Current));
}

fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}
