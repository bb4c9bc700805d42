//! Each behaviour on tracks drawn by hand: found where its definition says, and not found just
//! outside it (too near shore, too short, too near an anchorage, GNSS noise, a mistyped IMO).

use truceline_ais::{Decoded, Message};
use truceline_maritime::detect::{Config, Detector, Event, Kind};
use truceline_maritime::geodesy::destination;
use truceline_maritime::ports::Ports;
use truceline_maritime::sanctions::List;
use truceline_maritime::shore::Shore;

const T0: i64 = 1_767_225_600_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
/// Mid Black Sea: over 100 nm from any coast.
const MID: (f64, f64) = (33.5, 43.2);
/// 10 km off Odesa: near shore.
const NEAR: (f64, f64) = (30.85, 46.40);

fn detector(list: &str) -> Detector {
    let list = if list.is_empty() {
        List::default()
    } else {
        List::parse(list.as_bytes()).unwrap()
    };
    Detector::new(Config::default(), Shore::bundled(), Ports::bundled(), list)
}

fn pos(d: &mut Detector, mmsi: u32, t: i64, p: (f64, f64), kn: f64) {
    d.push(&Decoded {
        message: Message {
            msg_type: 1,
            mmsi,
            speed: Some(kn),
            lon: Some(p.0),
            lat: Some(p.1),
            ..Message::default()
        },
        time_ms: Some(t),
        own: false,
        channel: Some('A'),
    });
}

fn static5(d: &mut Detector, mmsi: u32, t: i64, imo: u32, name: &str) {
    d.push(&Decoded {
        message: Message {
            msg_type: 5,
            mmsi,
            imo: Some(imo),
            shipname: Some(name.into()),
            ..Message::default()
        },
        time_ms: Some(t),
        own: false,
        channel: Some('A'),
    });
}

/// Sailing east at `kn` from `from`, a position every `every` ms, for `dur` ms; returns where
/// it ended.
fn sail(
    d: &mut Detector,
    mmsi: u32,
    t: i64,
    from: (f64, f64),
    kn: f64,
    every: i64,
    dur: i64,
) -> (f64, f64) {
    let mut p = from;
    let mut k = t;
    while k <= t + dur {
        pos(d, mmsi, k, p, kn);
        p = destination(p.0, p.1, 90.0, kn * 1852.0 / 3600.0 * every as f64 / 1000.0);
        k += every;
    }
    p
}

/// Drifting around `at` (within 60 m) slower than 1 kn.
fn drift(d: &mut Detector, mmsi: u32, t: i64, at: (f64, f64), every: i64, dur: i64) {
    let mut k = t;
    let mut a = 0.0;
    while k <= t + dur {
        pos(d, mmsi, k, destination(at.0, at.1, a, 60.0), 0.3);
        a += 7.0;
        k += every;
    }
}

fn of(events: &[Event], kind: Kind) -> Vec<&Event> {
    events.iter().filter(|e| e.kind == kind).collect()
}

#[test]
fn a_gap_far_offshore_after_steady_reporting_is_found_with_its_ends() {
    let mut d = detector("");
    let p = sail(&mut d, 1, T0, MID, 10.0, 30_000, 2 * HOUR);
    sail(
        &mut d,
        1,
        T0 + 16 * HOUR,
        destination(p.0, p.1, 90.0, 20_000.0),
        10.0,
        30_000,
        HOUR,
    );
    let ev = d.finish();
    let gaps = of(&ev, Kind::Gap);
    assert_eq!(gaps.len(), 1, "{ev:?}");
    assert_eq!(gaps[0].start, T0 + 2 * HOUR);
    assert_eq!(gaps[0].end, Some(T0 + 16 * HOUR));
    assert!(gaps[0].shore_m.unwrap() > 50.0 * 1852.0);
    assert!((gaps[0].distance_m.unwrap() - 20_000.0).abs() < 1_500.0);
}

#[test]
fn no_gap_near_shore_nor_after_too_few_positions_nor_when_short() {
    // Near shore: a ship in a port's approaches often is not heard for a while.
    let mut d = detector("");
    sail(&mut d, 1, T0, NEAR, 0.5, 60_000, HOUR);
    sail(&mut d, 1, T0 + 14 * HOUR, NEAR, 0.5, 60_000, HOUR);
    assert!(of(&d.finish(), Kind::Gap).is_empty());
    // Far out, but heard only a few times before: its silence says little.
    let mut d = detector("");
    sail(&mut d, 2, T0, MID, 10.0, 20 * MIN, 3 * HOUR);
    sail(&mut d, 2, T0 + 20 * HOUR, MID, 10.0, MIN, HOUR);
    assert!(of(&d.finish(), Kind::Gap).is_empty());
    // Eleven hours is not twelve.
    let mut d = detector("");
    sail(&mut d, 3, T0, MID, 10.0, 30_000, 2 * HOUR);
    sail(&mut d, 3, T0 + 13 * HOUR, MID, 10.0, 30_000, HOUR);
    assert!(of(&d.finish(), Kind::Gap).is_empty());
}

#[test]
fn still_dark_at_the_end_is_an_open_gap() {
    let mut d = detector("");
    sail(&mut d, 1, T0, MID, 10.0, 30_000, 2 * HOUR);
    // Another ship keeps the feed's clock going.
    sail(&mut d, 2, T0 + 2 * HOUR, NEAR, 0.5, 10 * MIN, 14 * HOUR);
    let ev = d.finish();
    let gaps = of(&ev, Kind::Gap);
    assert_eq!(gaps.len(), 1, "{ev:?}");
    assert_eq!((gaps[0].mmsi, gaps[0].end), (1, None));
}

#[test]
fn two_slow_ships_alongside_for_hours_meet_and_loiter_and_meetings_close_together_are_one() {
    let b = destination(MID.0, MID.1, 90.0, 200.0);
    let mut t = T0;
    let mut d = detector("");
    while t <= T0 + 5 * HOUR {
        pos(&mut d, 10, t, MID, 0.3);
        pos(&mut d, 11, t + 1_000, b, 0.4);
        t += 3 * MIN;
    }
    // They part for two hours (sailing away and back), then lie alongside again for an hour.
    let mut k = t;
    while k <= t + 2 * HOUR {
        pos(
            &mut d,
            10,
            k,
            destination(
                MID.0,
                MID.1,
                0.0,
                20_000.0 * ((k - t) as f64 / (2 * HOUR) as f64 - 0.5).abs(),
            ),
            8.0,
        );
        pos(&mut d, 11, k + 1_000, b, 0.4);
        k += 30_000;
    }
    while k <= t + 3 * HOUR + 30 * MIN {
        pos(&mut d, 10, k, MID, 0.3);
        pos(&mut d, 11, k + 1_000, b, 0.4);
        k += 3 * MIN;
    }
    let ev = d.finish();
    let enc = of(&ev, Kind::Encounter);
    assert_eq!(enc.len(), 1, "merged into one: {enc:?}");
    assert_eq!((enc[0].mmsi, enc[0].other_mmsi), (10, Some(11)));
    assert!(enc[0].end.unwrap() - enc[0].start >= 7 * HOUR, "{enc:?}");
    let loit = of(&ev, Kind::Loitering);
    assert!(
        loit.iter().any(|e| e.mmsi == 10) && loit.iter().any(|e| e.mmsi == 11),
        "{loit:?}"
    );
}

#[test]
fn no_encounter_when_brief_or_at_an_anchorage_and_no_loitering_near_shore() {
    let mut d = detector("");
    let b = destination(MID.0, MID.1, 90.0, 200.0);
    let mut t = T0;
    while t <= T0 + 90 * MIN {
        pos(&mut d, 10, t, MID, 0.3);
        pos(&mut d, 11, t + 1_000, b, 0.4);
        t += 3 * MIN;
    }
    // Novorossiysk's anchorage: ships wait side by side for days.
    let nov = (37.835, 44.665);
    let nov2 = destination(nov.0, nov.1, 180.0, 300.0);
    let mut t = T0;
    while t <= T0 + 8 * HOUR {
        pos(&mut d, 20, t, nov, 0.1);
        pos(&mut d, 21, t + 1_000, nov2, 0.1);
        t += 3 * MIN;
    }
    let ev = d.finish();
    assert!(of(&ev, Kind::Encounter).is_empty(), "{ev:?}");
    assert!(of(&ev, Kind::Loitering).is_empty(), "{ev:?}");
    // They did call at Novorossiysk.
    assert_eq!(of(&ev, Kind::PortCall).len(), 2, "{ev:?}");
}

#[test]
fn a_port_call_needs_a_stop_and_ends_beyond_the_exit_distance() {
    let mut d = detector("");
    let odesa = (30.77, 46.50);
    // Passing through at 10 kn: no call.
    sail(
        &mut d,
        1,
        T0,
        destination(odesa.0, odesa.1, 270.0, 5_000.0),
        10.0,
        10_000,
        HOUR,
    );
    // Stopping, then leaving.
    drift(&mut d, 2, T0, odesa, 3 * MIN, 6 * HOUR);
    sail(
        &mut d,
        2,
        T0 + 6 * HOUR + 3 * MIN,
        odesa,
        10.0,
        10_000,
        HOUR,
    );
    let ev = d.finish();
    let calls = of(&ev, Kind::PortCall);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (calls[0].mmsi, calls[0].port.as_deref()),
        (2, Some("Odesa"))
    );
    assert_eq!(calls[0].start, T0);
    // The last position inside 4 km: 10 kn covers 4 km in about 13 minutes.
    let out = calls[0].end.unwrap() - (T0 + 6 * HOUR);
    assert!(out > 10 * MIN && out < 16 * MIN, "{out}");
}

#[test]
fn a_jump_no_ship_makes_and_positions_inland_are_spoofing_but_gnss_noise_is_not() {
    let mut d = detector("");
    // Noise: positions scattered by up to 50 m every two seconds (implied speeds of ~50 kn).
    let mut t = T0;
    for k in 0..600 {
        let p = destination(MID.0, MID.1, (k * 137 % 360) as f64, 50.0);
        pos(&mut d, 1, t, p, 0.0);
        t += 2_000;
    }
    // A ship whose positions jump 80 km for an hour, then back.
    let p = sail(&mut d, 2, T0, MID, 12.0, 10_000, HOUR);
    let away = destination(p.0, p.1, 30.0, 80_000.0);
    sail(&mut d, 2, T0 + HOUR + 10_000, away, 12.0, 10_000, HOUR);
    sail(
        &mut d,
        2,
        T0 + 2 * HOUR + 20_000,
        destination(p.0, p.1, 90.0, 7_000.0),
        12.0,
        10_000,
        HOUR,
    );
    // A ship reported at a fixed point in Crimea's interior.
    sail(&mut d, 3, T0, (34.5, 44.2), 11.0, 10_000, HOUR);
    for k in 0..30 {
        pos(&mut d, 3, T0 + HOUR + 10_000 * (k + 1), (34.1, 44.95), 11.0);
    }
    let ev = d.finish();
    let sp = of(&ev, Kind::Spoofing);
    assert_eq!(
        sp.iter().map(|e| e.mmsi).collect::<Vec<_>>(),
        vec![2, 3],
        "{sp:?}"
    );
    assert!(
        sp[0].end.unwrap() - sp[0].start > 55 * MIN,
        "the jump out and back are one: {:?}",
        sp[0]
    );
    assert!(sp[0].implied_speed_kn.unwrap() > 1_000.0);
    assert_eq!(sp[1].on_land, Some(30));
}

#[test]
fn a_new_mmsi_for_the_same_imo_is_a_flag_change_and_a_new_name_is_a_rename() {
    let mut d = detector("");
    let imo = 9_074_729;
    static5(&mut d, 273_000_001, T0, imo, "EXAMPLE ONE");
    sail(&mut d, 273_000_001, T0, MID, 10.0, 60_000, HOUR);
    static5(&mut d, 273_000_001, T0 + HOUR, imo, "EXAMPLE ONE");
    // The same ship, a new flag (Cameroon) and name.
    static5(&mut d, 613_000_002, T0 + HOUR + 5 * MIN, imo, "EXAMPLE TWO");
    sail(
        &mut d,
        613_000_002,
        T0 + HOUR + 5 * MIN,
        MID,
        10.0,
        60_000,
        14 * HOUR,
    );
    // A rename under one MMSI; a mistyped IMO number is no identity at all.
    static5(&mut d, 272_000_003, T0, 9_321_483, "OLD NAME");
    static5(&mut d, 272_000_003, T0 + 2 * HOUR, 9_321_483, "NEW  name");
    static5(&mut d, 272_000_004, T0 + 3 * HOUR, 9_321_484, "OTHER");
    let ev = d.finish();
    let ids = of(&ev, Kind::IdentityChange);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let hop = ids.iter().find(|e| e.mmsi == 613_000_002).unwrap();
    assert_eq!(hop.changes, vec!["mmsi", "flag", "name"]);
    assert_eq!(hop.from.as_ref().unwrap().flag.as_deref(), Some("RU"));
    assert_eq!(hop.to.as_ref().unwrap().flag.as_deref(), Some("CM"));
    assert_eq!((hop.start, hop.end), (T0 + HOUR, Some(T0 + HOUR + 5 * MIN)));
    let rename = ids.iter().find(|e| e.mmsi == 272_000_003).unwrap();
    assert_eq!(
        rename.to.as_ref().unwrap().name.as_deref(),
        Some("NEW NAME")
    );
    // The old MMSI fell silent far offshore because it became the new one: no gap for it.
    assert!(of(&ev, Kind::Gap).is_empty(), "{ev:?}");
}

#[test]
fn listed_vessels_match_by_checked_imo_then_by_mmsi() {
    let list = "type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases\n\
                VESSEL,BY IMO,IMO9074729,sanction,,,,a,,eu,\n\
                VESSEL,BY MMSI,,sanction,,,620000009,b,,gb,\n\
                VESSEL,MISTYPED,IMO9321484,sanction,,,,c,,us,\n";
    let mut d = detector(list);
    static5(&mut d, 613_000_002, T0, 9_074_729, "A");
    pos(&mut d, 613_000_002, T0, MID, 10.0);
    pos(&mut d, 620_000_009, T0 + MIN, MID, 10.0);
    static5(&mut d, 272_000_003, T0 + 2 * MIN, 9_321_483, "C");
    pos(&mut d, 272_000_003, T0 + 2 * MIN, MID, 10.0);
    let ev = d.finish();
    let l = of(&ev, Kind::Listed);
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(
        (l[0].mmsi, l[0].matched_by.as_deref()),
        (613_000_002, Some("imo"))
    );
    assert_eq!(
        (l[1].mmsi, l[1].matched_by.as_deref()),
        (620_000_009, Some("mmsi"))
    );
    assert_eq!(l[0].entry.as_ref().unwrap().caption, "BY IMO");
}

#[test]
fn each_match_is_drained_once_when_made_and_again_under_a_new_list() {
    let header = "type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases\n";
    let list = format!(
        "{header}VESSEL,BY IMO,IMO9074729,sanction,,,,a,,eu,\n\
         VESSEL,BY MMSI,,sanction,,,620000009,b,,gb,\n"
    );
    let mut d = detector(&list);
    pos(&mut d, 620_000_009, T0, MID, 10.0);
    pos(&mut d, 620_000_009, T0 + MIN, MID, 10.0);
    pos(&mut d, 273_000_001, T0 + MIN, MID, 10.0);
    let m = d.drain_matches();
    assert_eq!(m.len(), 1, "one match for the vessel, made once: {m:?}");
    assert_eq!(
        (m[0].kind, m[0].mmsi, m[0].start, m[0].matched_by.as_deref()),
        (Kind::Listed, 620_000_009, T0, Some("mmsi"))
    );
    assert_eq!(m[0].entry.as_ref().unwrap().id, "b");
    // Its IMO, heard later, is another entry's: matched anew, by IMO.
    static5(&mut d, 620_000_009, T0 + 2 * MIN, 9_074_729, "A");
    pos(&mut d, 620_000_009, T0 + 3 * MIN, MID, 10.0);
    let m = d.drain_matches();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        (m[0].start, m[0].matched_by.as_deref()),
        (T0 + 2 * MIN, Some("imo"))
    );
    assert!(d.drain_matches().is_empty(), "drained once");
    // A new list: every vessel it names is matched under it, the others not.
    let other = format!("{header}VESSEL,OTHER,,sanction,,,273000001,z,,us,\n");
    d.set_list(List::parse(other.as_bytes()).unwrap());
    let m = d.drain_matches();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        (m[0].mmsi, m[0].entry.as_ref().unwrap().id.as_str()),
        (273_000_001, "z")
    );
    // The open `listed` events are the vessels' standing, unchanged by draining.
    assert_eq!(of(&d.finish(), Kind::Listed).len(), 1);
}

#[test]
fn stale_and_untimed_positions_are_counted_not_tracked() {
    let mut d = detector("");
    pos(&mut d, 1, T0 + MIN, MID, 10.0);
    // A second receiver's late copy, and an old position relayed late: no jump, no spoofing.
    pos(&mut d, 1, T0 + MIN, MID, 10.0);
    pos(
        &mut d,
        1,
        T0,
        destination(MID.0, MID.1, 0.0, 50_000.0),
        10.0,
    );
    d.push(&Decoded {
        message: Message {
            msg_type: 1,
            mmsi: 1,
            lon: Some(30.0),
            lat: Some(43.0),
            ..Message::default()
        },
        time_ms: None,
        own: false,
        channel: None,
    });
    assert_eq!(
        (d.counts.positions, d.counts.stale, d.counts.untimed),
        (4, 2, 1)
    );
    assert!(d.finish().is_empty());
}
