//! Fusion on hand-made events: one event seen by several observers is one incident located where
//! it happened; the rounds of a salvo stay apart; a flash and its bang are one event; launches
//! and impacts are not; the result does not depend on the input's order.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use truceline_fusion::{Basis, Config, fuse};
use truceline_observation::{Observation, Vocabulary, parse};

fn vocab() -> Vocabulary {
    Vocabulary::new(["a", "b"], ["mlrs"])
}

/// What an observer at `at` reports of an event at `ev` at time `t` (seconds after 10:00),
/// with its clock `clock` seconds off and its bearing `err` degrees off.
#[allow(clippy::too_many_arguments)]
fn heard(
    id: &str,
    observer: &str,
    source: &str,
    at: (f64, f64),
    ev: (f64, f64),
    t: f64,
    clock: f64,
    err: f64,
    sigma: f64,
    kind: &str,
    subtype: Option<&str>,
) -> Observation {
    let (s, az, _, _): (f64, f64, f64, f64) = Geodesic::wgs84().inverse(at.1, at.0, ev.1, ev.0);
    let light = source == "camera";
    let heard = t + clock + if light { 0.0 } else { s / 343.0 };
    let time =
        jiff::Timestamp::from_millisecond(1_795_600_800_000 + (heard * 1000.0) as i64).unwrap();
    let sub = subtype
        .map(|s| format!(r#","subtype":"{s}""#))
        .unwrap_or_default();
    let json = format!(
        r#"{{"id":"{id}","observer":"{observer}","source":"{source}","time":"{time}","kind":"{kind}"{sub},
            "observer_position":{{"lon":{},"lat":{}}},"bearing_deg":{},"bearing_sigma_deg":{sigma}}}"#,
        at.0,
        at.1,
        (az + err).rem_euclid(360.0)
    );
    parse(json.as_bytes(), &vocab()).unwrap()
}

fn dest(from: (f64, f64), az: f64, d: f64) -> (f64, f64) {
    let (lat, lon): (f64, f64) = Geodesic::wgs84().direct(from.1, from.0, az, d);
    (lon, lat)
}

const EVENT: (f64, f64) = (37.9, 48.1);

fn observers() -> Vec<Observer> {
    vec![
        ("op1", "post", dest(EVENT, 200.0, 6000.0), 1.5),
        ("ac1", "acoustic", dest(EVENT, 110.0, 9000.0), -1.2),
        ("ac2", "acoustic", dest(EVENT, 300.0, 7000.0), 0.4),
        ("op2", "post", dest(EVENT, 20.0, 5000.0), -0.7),
    ]
}

#[test]
fn one_event_seen_by_four_is_one_incident_located_where_it_was() {
    let errs = [2.0, -1.5, 1.0, -3.0];
    let obs: Vec<Observation> = observers()
        .iter()
        .zip(errs)
        .enumerate()
        .map(|(k, ((o, src, at, clock), e))| {
            let sigma = if *src == "post" { 5.0 } else { 2.0 };
            heard(
                &format!("x{k}"),
                o,
                src,
                *at,
                EVENT,
                0.0,
                *clock,
                e * sigma / 2.0,
                sigma,
                "explosion",
                Some("impact"),
            )
        })
        .collect();
    let f = fuse(&obs, &Config::default());
    assert_eq!(f.incidents.len(), 1, "{:?}", f.incidents);
    let inc = &f.incidents[0];
    assert_eq!(inc.basis, Basis::Fix);
    assert_eq!(inc.observations.len(), 4);
    let (d, _, _, _): (f64, f64, f64, f64) =
        Geodesic::wgs84().inverse(inc.location.1, inc.location.0, EVENT.1, EVENT.0);
    let e = inc.ellipse.unwrap();
    assert!(
        d < e.major,
        "located {d:.0} m off, outside its 95 % ellipse of {:.0} m",
        e.major
    );
    assert!(e.major < 1000.0 && e.minor > 10.0, "{e:?}");
}

/// The ids of each incident's observations.
fn ids_by_incident<'a>(f: &truceline_fusion::Fusion, obs: &'a [Observation]) -> Vec<Vec<&'a str>> {
    f.incidents
        .iter()
        .map(|i| i.observations.iter().map(|&k| obs[k].id.as_str()).collect())
        .collect()
}

/// An observer: id, source, position, clock error (s).
type Observer = (&'static str, &'static str, (f64, f64), f64);

/// The impacts of a salvo's rounds, (time, place), as `team` reports them: observer `k` misses
/// round `r` when `missed(r, k)`, and its bearing is `err(r, k, sigma)` degrees off. Returns the
/// reports and the round of each.
fn salvo_heard(
    rounds: &[(f64, (f64, f64))],
    team: &[Observer],
    missed: impl Fn(usize, usize) -> bool,
    err: impl Fn(usize, usize, f64) -> f64,
) -> (Vec<Observation>, Vec<usize>) {
    let (mut obs, mut round_of) = (Vec::new(), Vec::new());
    for (r, &(t, at)) in rounds.iter().enumerate() {
        for (k, &(o, src, pos, clock)) in team.iter().enumerate() {
            if missed(r, k) {
                continue;
            }
            let sigma = match src {
                "post" => 5.0,
                "camera" => 1.0,
                _ => 2.0,
            };
            obs.push(heard(
                &format!("{o}-{r}"),
                o,
                src,
                pos,
                at,
                t,
                clock,
                err(r, k, sigma),
                sigma,
                "explosion",
                Some("impact"),
            ));
            round_of.push(r);
        }
    }
    (obs, round_of)
}

#[test]
fn a_salvo_stays_as_many_incidents_as_rounds() {
    // Four rounds 3, 5 and 4 seconds apart, landing within 150 m of each other.
    let rounds: Vec<(f64, (f64, f64))> = [(0.0, 0.0), (3.0, 120.0), (8.0, 240.0), (12.0, 60.0)]
        .iter()
        .map(|&(t, az)| (t, dest(EVENT, az, 100.0)))
        .collect();
    // Each observer misses one round in four, differently.
    let (obs, _) = salvo_heard(
        &rounds,
        &observers(),
        |r, k| (r + k) % 4 == 3,
        |r, k, _| ((r * 7 + k * 3) % 5) as f64 * 0.4 - 0.8,
    );
    let f = fuse(&obs, &Config::default());
    // No incident holds two reports of one observer, and no two rounds are counted as one.
    for inc in &f.incidents {
        let mut who: Vec<&str> = inc
            .observations
            .iter()
            .map(|&i| obs[i].observer.as_str())
            .collect();
        who.sort_unstable();
        let n = who.len();
        who.dedup();
        assert_eq!(who.len(), n, "an observer twice in one incident");
    }
    assert!(
        f.incidents.len() >= 4 && f.incidents.len() <= 5,
        "{} incidents for 4 rounds",
        f.incidents.len()
    );
}

#[test]
fn a_salvo_scattered_over_hundreds_of_metres_and_seen_close_up_is_still_one_round_each() {
    // Eight rounds 2.5 to 4 s apart, landing up to 300 m from the aim point, seen by a camera
    // 2.5 km off (its 1-degree bearings tell the rounds' places apart) and heard by six others:
    // the reports of each round make one incident, and no incident mixes rounds.
    let rounds = [
        (0.0, 0.0, 0.0),
        (3.0, 80.0, 250.0),
        (6.5, 200.0, 180.0),
        (9.0, 310.0, 300.0),
        (12.5, 20.0, 120.0),
        (15.5, 150.0, 280.0),
        (18.0, 250.0, 60.0),
        (22.0, 100.0, 220.0),
    ];
    let rounds: Vec<(f64, (f64, f64))> = rounds
        .iter()
        .map(|&(t, az, off)| (t, dest(EVENT, az, off)))
        .collect();
    let mut team = observers();
    team.push(("cam1", "camera", dest(EVENT, 150.0, 2500.0), 0.2));
    team.push(("ac3", "acoustic", dest(EVENT, 60.0, 3000.0), -0.5));
    team.push(("op3", "post", dest(EVENT, 250.0, 4000.0), 0.9));
    // Each observer misses one round in five, differently.
    let (obs, round_of) = salvo_heard(
        &rounds,
        &team,
        |r, k| (r + 2 * k) % 5 == 4,
        |r, k, sigma| (((r * 7 + k * 3) % 5) as f64 * 0.5 - 1.0) * sigma,
    );
    let f = fuse(&obs, &Config::default());
    let groups = ids_by_incident(&f, &obs);
    for inc in &f.incidents {
        let r = round_of[inc.observations[0]];
        assert!(
            inc.observations.iter().all(|&k| round_of[k] == r),
            "an incident mixes rounds: {groups:?}"
        );
    }
    assert_eq!(f.incidents.len(), rounds.len(), "{groups:?}");
}

#[test]
fn a_flash_and_its_bang_are_one_event_but_a_launch_and_an_impact_are_not() {
    let cam = dest(EVENT, 200.0, 6050.0);
    let obs = vec![
        heard(
            "f1",
            "cam1",
            "camera",
            cam,
            EVENT,
            0.0,
            0.3,
            0.5,
            1.0,
            "muzzle_flash",
            None,
        ),
        heard(
            "b1",
            "op1",
            "post",
            dest(EVENT, 200.0, 6000.0),
            EVENT,
            0.0,
            1.0,
            -2.0,
            5.0,
            "explosion",
            Some("outgoing"),
        ),
        heard(
            "b2",
            "ac1",
            "acoustic",
            dest(EVENT, 110.0, 9000.0),
            EVENT,
            0.0,
            -1.0,
            1.0,
            2.0,
            "explosion",
            Some("outgoing"),
        ),
        // The same place, later: an impact of another round, heard by the same post.
        heard(
            "i1",
            "op2",
            "post",
            dest(EVENT, 20.0, 5000.0),
            EVENT,
            1.0,
            0.0,
            1.0,
            5.0,
            "explosion",
            Some("impact"),
        ),
    ];
    let f = fuse(&obs, &Config::default());
    let groups = ids_by_incident(&f, &obs);
    assert!(groups.contains(&vec!["f1", "b1", "b2"]), "{groups:?}");
    assert!(groups.contains(&vec!["i1"]), "{groups:?}");
}

#[test]
fn the_order_of_the_input_does_not_matter() {
    let mut obs = Vec::new();
    for (r, t) in [0.0, 4.0, 30.0, 31.0].iter().enumerate() {
        let at = dest(EVENT, r as f64 * 90.0, 500.0 * r as f64);
        for (k, (o, src, pos, clock)) in observers().iter().enumerate() {
            let sigma = if *src == "post" { 5.0 } else { 2.0 };
            obs.push(heard(
                &format!("{o}-{r}"),
                o,
                src,
                *pos,
                at,
                *t,
                *clock,
                (k as f64 - 1.5) * 0.5,
                sigma,
                "explosion",
                None,
            ));
        }
    }
    let ids = |obs: &[Observation]| {
        let mut g: Vec<Vec<String>> = fuse(obs, &Config::default())
            .incidents
            .iter()
            .map(|i| {
                let mut v: Vec<String> =
                    i.observations.iter().map(|&k| obs[k].id.clone()).collect();
                v.sort();
                v
            })
            .collect();
        g.sort();
        g
    };
    let forward = ids(&obs);
    obs.reverse();
    assert_eq!(ids(&obs), forward);
    obs.rotate_left(5);
    assert_eq!(ids(&obs), forward);
}

#[test]
fn a_single_bearing_with_a_range_is_a_wedge() {
    let json = r#"{"id":"w1","observer":"op1","source":"post","time":"2026-11-24T10:00:00Z","kind":"explosion",
        "observer_position":{"lon":37.8,"lat":48.0},"bearing_deg":45,"bearing_sigma_deg":5,"distance_m":{"min":2000,"max":6000}}"#;
    let obs = vec![parse(json.as_bytes(), &vocab()).unwrap()];
    let f = fuse(&obs, &Config::default());
    assert_eq!(f.incidents.len(), 1);
    let inc = &f.incidents[0];
    assert_eq!(inc.basis, Basis::Wedge);
    let e = inc.ellipse.unwrap();
    // Long along the bearing (the range), narrow across it (the bearing's error at 4 km).
    assert!(
        truceline_fusion::local::angle_diff(e.azimuth_deg, 45.0).abs() < 5.0,
        "{e:?}"
    );
    assert!(e.major > 1500.0 && e.minor < 1000.0, "{e:?}");
}

/// Where the exchange of small-arms fire in the window tests was.
fn exchange() -> (f64, f64) {
    dest(EVENT, 0.0, 300.0)
}

/// A post's windowed count of bursts at the exchange.
fn window(
    id: &str,
    observer: &str,
    at: (f64, f64),
    count: u32,
    start: &str,
    end: &str,
) -> Observation {
    let ex = exchange();
    let (s, az, _, _): (f64, f64, f64, f64) = Geodesic::wgs84().inverse(at.1, at.0, ex.1, ex.0);
    let json = format!(
        r#"{{"id":"{id}","observer":"{observer}","source":"post","time":"{start}","time_end":"{end}","kind":"burst","count":{count},
            "observer_position":{{"lon":{},"lat":{}}},"bearing_deg":{},"bearing_sigma_deg":5,"distance_m":{{"min":{},"max":{}}}}}"#,
        at.0,
        at.1,
        az.rem_euclid(360.0),
        (s * 0.7).round(),
        (s * 1.4).round()
    );
    parse(json.as_bytes(), &vocab()).unwrap()
}

/// A single burst an acoustic sensor at `at` heard of fire at `ev`, `t` seconds after 10:00, its
/// clock `clock` seconds off.
fn burst(
    id: &str,
    sensor: &str,
    at: (f64, f64),
    ev: (f64, f64),
    t: f64,
    clock: f64,
) -> Observation {
    heard(
        id, sensor, "acoustic", at, ev, t, clock, 1.0, 2.0, "burst", None,
    )
}

#[test]
fn windows_of_one_exchange_count_the_largest_not_the_sum() {
    let ex = exchange();
    let mut obs = vec![
        window(
            "w1",
            "op1",
            dest(ex, 200.0, 1800.0),
            12,
            "2026-11-25T10:02:00Z",
            "2026-11-25T10:09:00Z",
        ),
        window(
            "w2",
            "op2",
            dest(ex, 20.0, 1500.0),
            9,
            "2026-11-25T10:03:10Z",
            "2026-11-25T10:08:30Z",
        ),
    ];
    // Three single bursts an acoustic sensor heard in the same minutes.
    for (k, t) in [150.0, 220.0, 400.0].iter().enumerate() {
        obs.push(burst(
            &format!("s{k}"),
            "ac1",
            dest(ex, 110.0, 2500.0),
            dest(ex, 90.0 * k as f64, 100.0),
            *t,
            0.3,
        ));
    }
    let f = fuse(&obs, &Config::default());
    assert_eq!(
        f.incidents.len(),
        1,
        "{:?}",
        f.incidents
            .iter()
            .map(|i| &i.observations)
            .collect::<Vec<_>>()
    );
    let inc = &f.incidents[0];
    assert_eq!(inc.count, 12, "the largest count, not 12 + 9 + 3");
    assert!(inc.time_end.is_some());
}

#[test]
fn single_reports_folded_into_a_window_count_by_observer_not_in_all() {
    let ex = exchange();
    let mut obs = vec![window(
        "w1",
        "op1",
        dest(ex, 200.0, 1800.0),
        2,
        // Heard 5 s after the first and the last of the sensors' bursts left (10:02:30 and
        // 10:06:40): the post's two are among them.
        "2026-11-25T10:02:35Z",
        "2026-11-25T10:06:45Z",
    )];
    // Three bursts one sensor heard and two of them another heard: at least three bursts, not
    // five.
    let sensors = [("ac1", 110.0, 2500.0), ("ac2", 250.0, 2200.0)];
    for (k, t) in [150.0, 220.0, 400.0, 150.0, 220.0].iter().enumerate() {
        let (name, az, d) = sensors[usize::from(k >= 3)];
        obs.push(burst(
            &format!("s{k}"),
            name,
            dest(ex, az, d),
            dest(ex, 90.0 * (k % 3) as f64, 100.0),
            *t,
            0.0,
        ));
    }
    let f = fuse(&obs, &Config::default());
    assert_eq!(f.incidents.len(), 1, "{:?}", f.incidents);
    assert_eq!(f.incidents[0].count, 3, "the most one observer reported");
}

/// A post's window of five bursts, 10:02–10:04 as it heard them, and the single bursts an
/// acoustic sensor heard of the same exchange, left `sensor_times` seconds after 10:00.
fn window_and_bursts(sensor_times: &[f64]) -> Vec<Observation> {
    let ex = exchange();
    let mut obs = vec![window(
        "w1",
        "op1",
        dest(ex, 200.0, 1800.0),
        5,
        "2026-11-25T10:02:00Z",
        "2026-11-25T10:04:00Z",
    )];
    for (k, t) in sensor_times.iter().enumerate() {
        obs.push(burst(
            &format!("s{k}"),
            "ac1",
            dest(ex, 110.0, 2000.0),
            dest(ex, 60.0 * k as f64, 40.0),
            *t,
            0.0,
        ));
    }
    obs
}

/// A post that counted an exchange's first minutes did not count the bursts a sensor heard after
/// its window closed: those add to its count. A burst heard a few seconds from the window's edge
/// may be one the post counted (sound and clocks blur the edge), so it adds nothing.
#[test]
fn bursts_heard_apart_from_the_largest_count_add_to_it() {
    let count = |sensor_times: &[f64]| {
        let mut obs = window_and_bursts(sensor_times);
        let f = fuse(&obs, &Config::default());
        assert_eq!(f.incidents.len(), 1, "{:?}", f.incidents);
        // The same reports in the other order count the same.
        obs.reverse();
        assert_eq!(
            fuse(&obs, &Config::default()).incidents[0].count,
            f.incidents[0].count
        );
        f.incidents[0].count
    };
    // One burst inside the window, two a minute and more after it: 5 + 2.
    assert_eq!(count(&[150.0, 330.0, 420.0]), 7);
    // The post's window ends at 10:04:00 as the post heard it, about 5 s after the sound left;
    // a burst 3 s after that end may be its last, and is not added.
    assert_eq!(count(&[150.0, 240.0 - 1800.0 / 343.0 + 3.0, 330.0]), 6);
    // Sensors' bursts that are as many as the window's and span it (the window's first and last
    // left about 114.8 s and 234.8 s after 10:00): the window's count.
    assert_eq!(count(&[115.0, 145.0, 175.0, 205.0, 235.0]), 5);
    // Inside it but not at its ends: the window's first and last are bursts the sensor did not
    // report, two more.
    assert_eq!(count(&[130.0, 150.0, 170.0, 190.0, 210.0]), 7);
}

/// A window and the single bursts of the same exchange are many events: their times say
/// nothing of a clock. (Taken as one event's, they once set a sensor's clock 20 s off.)
#[test]
fn an_exchange_of_fire_does_not_set_clocks() {
    let f = fuse(
        &window_and_bursts(&[115.0, 145.0, 175.0, 205.0, 235.0]),
        &Config::default(),
    );
    assert_eq!(f.incidents.len(), 1, "{:?}", f.incidents);
    assert!(f.clocks.iter().all(|(_, c)| c.is_empty()), "{:?}", f.clocks);
}

#[test]
fn a_window_reaching_past_the_largest_adds_the_events_at_its_ends() {
    let ex = exchange();
    // Posts 1.8 km and 1.5 km from the exchange: their windows' times are heard times, about
    // 5 s after the sound left.
    let count = |start: &str, end: &str| {
        let mut obs = vec![
            window(
                "w1",
                "op1",
                dest(ex, 200.0, 1800.0),
                8,
                "2026-11-25T10:03:00Z",
                "2026-11-25T10:06:00Z",
            ),
            window("w2", "op2", dest(ex, 20.0, 1500.0), 4, start, end),
        ];
        let f = fuse(&obs, &Config::default());
        assert_eq!(f.incidents.len(), 1, "{:?}", f.incidents);
        obs.reverse();
        assert_eq!(
            fuse(&obs, &Config::default()).incidents[0].count,
            f.incidents[0].count
        );
        f.incidents[0].count
    };
    // Inside the largest window: the same exchange as it counted.
    assert_eq!(count("2026-11-25T10:03:30Z", "2026-11-25T10:05:30Z"), 8);
    // Last heard a minute after the largest window's end: that burst is one more.
    assert_eq!(count("2026-11-25T10:04:00Z", "2026-11-25T10:07:00Z"), 9);
    // First heard a minute before it and last a minute after: two more.
    assert_eq!(count("2026-11-25T10:02:00Z", "2026-11-25T10:07:00Z"), 10);
    // An end 3 s past the largest window's (within the clocks' and the sound's slack) may be
    // its last burst, and adds nothing.
    assert_eq!(count("2026-11-25T10:04:00Z", "2026-11-25T10:06:03Z"), 8);
}

#[test]
fn clocks_calibrated_on_a_sample_agree_with_clocks_calibrated_on_everything() {
    use truceline_fusion::{
        CALIBRATED_CLOCK_ERROR_S, associate, calibration_stride, estimate_clocks,
    };
    // 400 impacts a minute apart over nearly seven hours, each heard by all four observers,
    // whose clocks are off by 1.5, −1.2, 0.4 and −0.7 s.
    let mut obs = Vec::new();
    for k in 0..400 {
        let ev = dest(EVENT, (k * 37 % 360) as f64, 300.0 + (k * 53 % 2000) as f64);
        for (j, (o, src, at, clock)) in observers().iter().enumerate() {
            let err = [0.5, -0.8, 0.3, -0.2][(k + j) % 4];
            obs.push(heard(
                &format!("e{k}-{o}"),
                o,
                src,
                *at,
                ev,
                60.0 * k as f64,
                *clock,
                err,
                2.0,
                "explosion",
                Some("impact"),
            ));
        }
    }
    assert!(calibration_stride(obs.len(), 4) > 1, "the input is sampled");
    let c = Config::default();
    let f = fuse(&obs, &c);
    assert_eq!(f.incidents.len(), 400, "one incident an event");

    // The same two calibration passes on every observation.
    let first = associate(&obs, &c, &Default::default());
    let clocks = estimate_clocks(&obs, &first, &c, &Default::default());
    let tight = Config {
        clock_error_s: CALIBRATED_CLOCK_ERROR_S,
        ..c.clone()
    };
    let second = associate(&obs, &tight, &clocks);
    let full = estimate_clocks(&obs, &second, &c, &clocks);
    assert_eq!(full.len(), 4);
    for (name, offset) in &full {
        let sampled = f.clocks[0].1[name];
        assert!(
            (sampled - offset).abs() < 0.1,
            "{name}: {sampled:.3} s from the sample, {offset:.3} s from everything"
        );
    }
    // And they recover the clocks' differences.
    let d = f.clocks[0].1["op1"] - f.clocks[0].1["ac1"];
    assert!(
        (d - 2.7).abs() < 0.3,
        "op1 − ac1 estimated {d:.2} s, is 2.7 s"
    );
}

/// What one observer counted at one instant survives fusion: a sighting of two weapons is an
/// incident of two, and a second observer of the same two does not make it four.
#[test]
fn a_count_seen_at_one_instant_survives_fusion_and_is_not_summed() {
    let sighting = |id: &str, observer: &str, count: u32, dt_s: i64| {
        let time = jiff::Timestamp::from_second(1_795_600_800 + dt_s).unwrap();
        let json = format!(
            r#"{{"id":"{id}","observer":"{observer}","source":"uav","time":"{time}","kind":"weapon",
                "weapon":"mlrs","count":{count},"location":{{"lon":37.9,"lat":48.1,"uncertainty_m":30}}}}"#
        );
        parse(json.as_bytes(), &vocab()).unwrap()
    };
    let one = [sighting("w1", "uav1", 2, 0)];
    let f = fuse(&one, &Config::default());
    assert_eq!(f.incidents.len(), 1);
    assert_eq!(f.incidents[0].count, 2, "the sighting's count is kept");
    let two = [sighting("w1", "uav1", 2, 0), sighting("w2", "uav2", 2, 3)];
    let f = fuse(&two, &Config::default());
    assert_eq!(f.incidents.len(), 1, "one sighting seen twice");
    assert_eq!(f.incidents[0].count, 2, "the same two weapons, not four");
}

/// Fusion runs one UTC day at a time, each day calibrated on its own; an event heard on both
/// sides of midnight is still one incident, and every observation is in exactly one.
#[test]
fn events_heard_across_midnight_are_one_incident_each() {
    // Seconds from the helpers' 10:00 base to the next UTC midnight.
    let base_s = 1_795_600_800_i64;
    let midnight = (86_400 - base_s.rem_euclid(86_400)) as f64;
    let mut obs = Vec::new();
    let events: Vec<f64> = (-10..10)
        .map(|k| midnight + 25.0 * k as f64 + 3.0)
        .collect();
    for (e, t) in events.iter().enumerate() {
        for (k, (o, src, at, clock)) in observers().iter().enumerate() {
            let sigma = if *src == "post" { 5.0 } else { 2.0 };
            obs.push(heard(
                &format!("e{e:02}-{k}"),
                o,
                src,
                *at,
                EVENT,
                *t,
                *clock,
                0.0,
                sigma,
                "explosion",
                Some("impact"),
            ));
        }
    }
    let days: std::collections::BTreeSet<i64> = obs
        .iter()
        .map(|o| truceline_fusion::day_of(o.time))
        .collect();
    assert_eq!(days.len(), 2, "the input spans midnight");
    let f = fuse(&obs, &Config::default());
    assert_eq!(f.clocks.len(), 2, "each day calibrated on its own");
    let groups = ids_by_incident(&f, &obs);
    assert_eq!(
        groups.len(),
        events.len(),
        "one incident an event: {groups:?}"
    );
    for g in &groups {
        let event = &g[0][..3];
        assert!(g.iter().all(|id| id.starts_with(event)), "{g:?}");
        assert_eq!(g.len(), 4, "{g:?}");
    }
    let mut reversed = obs.clone();
    reversed.reverse();
    let again = fuse(&reversed, &Config::default());
    assert_eq!(ids_by_incident(&again, &reversed), groups);
}

/// A post's line for a whole ripple of `count` launches heard from `first` to `last` seconds
/// after 10:00 (the helpers' base), on its bearing to the launcher.
fn ripple_line(
    id: &str,
    observer: &str,
    at: (f64, f64),
    count: u32,
    first: f64,
    last: f64,
) -> Observation {
    let (_, az, _, _): (f64, f64, f64, f64) =
        Geodesic::wgs84().inverse(at.1, at.0, EVENT.1, EVENT.0);
    let t = |s: f64| {
        jiff::Timestamp::from_millisecond(1_795_600_800_000 + (s * 1000.0) as i64).unwrap()
    };
    let json = format!(
        r#"{{"id":"{id}","observer":"{observer}","source":"post","time":"{}","time_end":"{}","kind":"explosion","subtype":"outgoing","count":{count},
            "observer_position":{{"lon":{},"lat":{}}},"bearing_deg":{},"bearing_sigma_deg":5}}"#,
        t(first),
        t(last),
        at.0,
        at.1,
        az.rem_euclid(360.0)
    );
    parse(json.as_bytes(), &vocab()).unwrap()
}

/// A rocket launcher's ripple reported both ways — round by round by sensors, as one line with a
/// count by a post — is counted once, round by round; reported only as lines, it is one incident
/// with the ripple's count and time span, never the lines' sum.
#[test]
fn a_ripple_reported_both_ways_is_counted_once() {
    let rounds = 10;
    let spacing = 3.0;
    let post = dest(EVENT, 250.0, 7000.0);
    let delay = |at: (f64, f64)| {
        let (s, _, _, _): (f64, f64, f64, f64) =
            Geodesic::wgs84().inverse(at.1, at.0, EVENT.1, EVENT.0);
        s / 343.0
    };
    let mut obs = Vec::new();
    for r in 0..rounds {
        for (k, (o, src, at, clock)) in observers().iter().enumerate().skip(1).take(2) {
            obs.push(heard(
                &format!("r{r:02}-{k}"),
                o,
                src,
                *at,
                EVENT,
                r as f64 * spacing,
                *clock,
                if r % 2 == 0 { 0.5 } else { -0.5 },
                2.0,
                "explosion",
                Some("outgoing"),
            ));
        }
        obs.push(heard(
            &format!("r{r:02}-c"),
            "cam1",
            "camera",
            dest(EVENT, 160.0, 4000.0),
            EVENT,
            r as f64 * spacing,
            0.0,
            0.3,
            1.0,
            "muzzle_flash",
            None,
        ));
    }
    let heard_from = delay(post);
    let line = ripple_line(
        "line",
        "op9",
        post,
        rounds,
        heard_from,
        heard_from + (rounds - 1) as f64 * spacing,
    );
    obs.push(line.clone());
    let c = Config::default();
    let f = fuse(&obs, &c);
    let total: u32 = f.incidents.iter().map(|i| i.count).sum();
    assert_eq!(
        total,
        rounds,
        "counted once: {:?}",
        ids_by_incident(&f, &obs)
    );
    assert_eq!(f.incidents.len(), rounds as usize);
    assert!(f.incidents.iter().all(|i| i.time_end.is_none()));
    let with_line = f
        .incidents
        .iter()
        .find(|i| i.observations.iter().any(|&k| obs[k].id == "line"))
        .expect("the line is in an incident");
    assert!(
        with_line
            .observations
            .iter()
            .any(|&k| obs[k].id.starts_with("r00")),
        "the line joins the first round it heard"
    );

    // Lines alone: one incident of the ripple's count and span.
    let other = ripple_line(
        "line2",
        "op8",
        dest(EVENT, 30.0, 6000.0),
        rounds - 2,
        delay(dest(EVENT, 30.0, 6000.0)) + spacing,
        delay(dest(EVENT, 30.0, 6000.0)) + (rounds - 2) as f64 * spacing,
    );
    let f = fuse(&[line, other], &c);
    assert_eq!(f.incidents.len(), 1, "{:?}", f.incidents);
    assert_eq!(
        f.incidents[0].count, rounds,
        "the largest count, not the sum"
    );
    assert!(f.incidents[0].time_end.is_some());
}
