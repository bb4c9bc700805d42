//! Tracks carried across a restart: a feed taken in two halves, the detector's snapshot written
//! as JSON between them and read into a new detector, finds exactly what one detector finds
//! over the whole feed — behaviours under way at the cut included.

use truceline_ais::Decoder;
use truceline_maritime::detect::{Config, Detector, Event, RestoreError};
use truceline_maritime::ports::Ports;
use truceline_maritime::sanctions::List;
use truceline_maritime::shore::Shore;
use truceline_maritime::simulate::{SimConfig, simulate};

fn detector(list: &str, cfg: Config) -> Detector {
    Detector::new(
        cfg,
        Shore::bundled(),
        Ports::bundled(),
        List::parse(list.as_bytes()).unwrap(),
    )
}

fn push(det: &mut Detector, lines: &[String]) -> Vec<Event> {
    let mut dec = Decoder::default();
    for l in lines {
        if let Some(m) = dec.line(l).unwrap() {
            det.push(&m);
        }
    }
    det.drain()
}

#[test]
fn tracks_restored_from_a_snapshot_find_what_one_run_finds() {
    let mut lines = Vec::new();
    let sim = simulate(
        &SimConfig {
            seed: 4,
            vessels: 40,
            hours: 30.0,
            ..SimConfig::default()
        },
        |_, l| lines.push(l.to_string()),
    );
    let mut whole = detector(&sim.sanctions_csv, Config::default());
    let mut expected = push(&mut whole, &lines);
    expected.extend(whole.open_events());

    // Cut where behaviours are under way: the middle of the feed.
    let (first, second) = lines.split_at(lines.len() / 2);
    let mut before = detector(&sim.sanctions_csv, Config::default());
    let mut found = push(&mut before, first);
    let open_at_cut = before.open_events().len();
    let json = serde_json::to_vec(&before.snapshot()).unwrap();
    drop(before);
    let mut after = detector(&sim.sanctions_csv, Config::default());
    after
        .restore(serde_json::from_slice(&json).unwrap())
        .unwrap();
    found.extend(push(&mut after, second));
    found.extend(after.open_events());

    assert!(open_at_cut > 0, "behaviours were under way at the cut");
    assert!(expected.len() > 20, "{}", expected.len());
    assert_eq!(found, expected);
    assert_eq!(after.counts.positions, whole.counts.positions);

    // Without the snapshot the second half loses what was under way.
    let mut fresh = detector(&sim.sanctions_csv, Config::default());
    let mut lost = push(&mut detector(&sim.sanctions_csv, Config::default()), first);
    lost.extend(push(&mut fresh, second));
    lost.extend(fresh.open_events());
    assert_ne!(lost, expected);

    // Tracks made under other parameters are not taken up.
    let other = Config {
        gap_hours: 6.0,
        ..Config::default()
    };
    let mut elsewhere = detector(&sim.sanctions_csv, other);
    assert_eq!(
        elsewhere.restore(serde_json::from_slice(&json).unwrap()),
        Err(RestoreError::OtherConfig)
    );
}
