//! The mission's other records (SPEC 6) beside a scenario: each party's storage sites and the
//! mission's inspections of them, restrictions of its movement, civilian casualties and damage
//! caused by the scenario's own impacts, mines and unexploded ordnance near the line, and a
//! local ceasefire window each day. Deterministic by seed; every record says it is illustrative.

use geographiclib_rs::Geodesic;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use truceline_agreement::Agreement;
use truceline_zones::ZoneEngine;

use crate::geometry::{LinePath, Point, direct};
use crate::{Scenario, ts};

const RESTRICTION_KINDS: [&str; 5] = [
    "denial",
    "delay",
    "conditional",
    "gnss_interference",
    "fire_at_uav",
];
const STATUS: [&str; 3] = ["reported", "corroborated", "confirmed"];
const OBJECTS: [&str; 7] = [
    "residential",
    "water",
    "power",
    "gas",
    "school",
    "medical",
    "other",
];
const HAZARDS: [&str; 4] = ["anti_personnel", "anti_tank", "uxo", "unknown"];

fn at(p: Point) -> Value {
    json!({"lon": (p.lon * 1e5).round() / 1e5, "lat": (p.lat * 1e5).round() / 1e5})
}

fn square(g: &Geodesic, c: Point, half_m: f64) -> Value {
    let n = direct(g, c, 0.0, half_m);
    let e = direct(g, c, 90.0, half_m);
    let (dlat, dlon) = (n.lat - c.lat, e.lon - c.lon);
    let r = |x: f64| (x * 1e5).round() / 1e5;
    let ring = vec![
        [r(c.lon - dlon), r(c.lat - dlat)],
        [r(c.lon + dlon), r(c.lat - dlat)],
        [r(c.lon + dlon), r(c.lat + dlat)],
        [r(c.lon - dlon), r(c.lat + dlat)],
        [r(c.lon - dlon), r(c.lat - dlat)],
    ];
    json!({"type": "Polygon", "coordinates": [ring]})
}

/// Records for `scenario` (drawn on `agreement` from `start` for `hours`), sorted by time.
pub fn records(
    agreement: &Agreement,
    engine: &ZoneEngine,
    scenario: &Scenario,
    seed: u64,
    start: jiff::Timestamp,
    hours: f64,
) -> Vec<Value> {
    let g = Geodesic::wgs84();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x05EC_02D5);
    let path = LinePath::new(&agreement.line_of_contact.geometry);
    let len = path.length();
    let note = "illustrative: simulated record";
    let mut out: Vec<Value> = Vec::new();
    let days = (hours / 24.0).ceil().max(1.0) as i64;
    // Each day's records at the daily rate; a scenario shorter than a day draws its share.
    let share = (hours / 24.0).min(1.0);
    let t = |h: f64| start + jiff::SignedDuration::from_secs_f64(h * 3600.0);
    // Storage sites: two per party, 40-60 km behind the line, declared a day before the start.
    let weapons: Vec<&str> = agreement
        .weapon_classes
        .iter()
        .map(|w| w.id.as_str())
        .collect();
    let mut sites: Vec<(String, Vec<String>)> = Vec::new();
    for (pi, party) in agreement.parties.iter().enumerate() {
        for k in 0..2 {
            let s = len * (0.25 + 0.5 * k as f64);
            let Some(p) =
                path.sample_beside(&g, engine, &mut rng, s, len * 0.2, pi, 40_000.0, 60_000.0)
            else {
                continue;
            };
            let name = format!("{}-site-{}", party.id, k + 1);
            let n = rng.random_range(6..=12);
            let declared: Vec<Value> = (0..n)
                .map(|j| {
                    json!({"weapon": weapons[rng.random_range(0..weapons.len())], "serial": format!("{}-{}-{:03}", party.id.to_uppercase(), k + 1, j + 1)})
                })
                .collect();
            let serials = declared
                .iter()
                .map(|d| d["serial"].as_str().unwrap().to_string())
                .collect();
            out.push(json!({"id": format!("decl-{name}"), "type": "site", "time": ts(t(-24.0)), "party": party.id,
                "name": name, "location": at(p), "declared": declared, "notes": note}));
            sites.push((name, serials));
        }
    }
    for d in 0..days {
        let day0 = d as f64 * 24.0;
        // Inspections: about half the sites a day.
        for (name, serials) in &sites {
            if !rng.random_bool(0.5 * share) {
                continue;
            }
            let access =
                ["granted", "granted", "granted", "partial", "denied"][rng.random_range(0..5)];
            let mut r = json!({"id": format!("insp-{name}-d{d}"), "type": "inspection",
                "time": ts(t(day0 + rng.random_range(8.0..16.0))), "site": name, "access": access, "notes": note});
            if access != "denied" {
                let gone = rng.random_range(0..=2usize);
                let present: Vec<&String> = serials.iter().skip(gone).collect();
                r["present"] = json!(present);
            }
            out.push(r);
        }
        // Restrictions of movement near the line.
        for k in 0..rng.random_range(2..=5) {
            if !rng.random_bool(share) {
                continue;
            }
            let pi = rng.random_range(0..agreement.parties.len());
            let s = rng.random_range(0.0..len);
            let Some(p) = path.sample_beside(&g, engine, &mut rng, s, 0.0, pi, 1_000.0, 15_000.0)
            else {
                continue;
            };
            let mut r = json!({"id": format!("fom-d{d}-{k}"), "type": "restriction",
                "time": ts(t(day0 + rng.random_range(7.0..18.0))),
                "kind": RESTRICTION_KINDS[rng.random_range(0..5)], "location": at(p),
                "duration_min": rng.random_range(10..=240), "patrol": format!("patrol-{}", rng.random_range(1..=6)), "notes": note});
            if rng.random_bool(0.7) {
                r["party"] = json!(agreement.parties[pi].id);
            }
            out.push(r);
        }
        // Mines and ordnance: a point and a marked field, near the line (often in the buffer).
        for k in 0..2 {
            if !rng.random_bool(share) {
                continue;
            }
            let pi = rng.random_range(0..agreement.parties.len());
            let s = rng.random_range(0.0..len);
            let Some(p) = path.sample_beside(&g, engine, &mut rng, s, 0.0, pi, 300.0, 6_000.0)
            else {
                continue;
            };
            let mut r = json!({"id": format!("hz-d{d}-{k}"), "type": "hazard", "time": ts(t(day0 + rng.random_range(6.0..18.0))),
                "hazard": HAZARDS[rng.random_range(0..4)], "marked": rng.random_bool(0.5), "notes": note});
            if k == 0 {
                r["location"] = at(p);
            } else {
                r["area"] = square(&g, p, 150.0);
            }
            out.push(r);
        }
        // A window of silence for repairs, 08:00-16:00, around a point near the line.
        let s = rng.random_range(0.0..len);
        if !rng.random_bool(share) {
            continue;
        }
        if let Some(p) = path.sample_beside(&g, engine, &mut rng, s, 0.0, 0, 500.0, 3_000.0) {
            out.push(
                json!({"id": format!("win-d{d}"), "type": "window", "time": ts(t(day0 + 6.0)),
                "from": ts(t(day0 + 8.0)), "to": ts(t(day0 + 16.0)), "area": square(&g, p, 4_000.0),
                "purpose": "repair of a water main (illustrative)"}),
            );
        }
    }
    // Harm caused by the scenario's own impacts: some casualties and damage beside them.
    for e in &scenario.truth {
        if e.kind != "explosion" || e.subtype != Some("impact") {
            continue;
        }
        let roll: f64 = rng.random();
        if roll < 0.04 {
            let p = direct(
                &g,
                e.location,
                rng.random_range(0.0..360.0),
                rng.random_range(0.0..150.0),
            );
            let killed = rng.random_range(0..=1u32);
            out.push(json!({"id": format!("cas-{}", e.id), "type": "casualty",
                "time": ts(e.time + jiff::SignedDuration::from_mins(rng.random_range(5..60))), "location": at(p),
                "killed": killed, "injured": if killed == 0 { rng.random_range(1..=3) } else { rng.random_range(0..=2) },
                "cause": "shelling", "status": STATUS[rng.random_range(0..3)], "notes": note}));
        } else if roll < 0.10 {
            let p = direct(
                &g,
                e.location,
                rng.random_range(0.0..360.0),
                rng.random_range(0.0..150.0),
            );
            out.push(json!({"id": format!("dmg-{}", e.id), "type": "damage",
                "time": ts(e.time + jiff::SignedDuration::from_mins(rng.random_range(10..120))), "location": at(p),
                "object": OBJECTS[rng.random_range(0..7)], "cause": "shelling", "notes": note}));
        }
    }
    out.sort_by(|a, b| {
        (a["time"].as_str(), a["id"].as_str()).cmp(&(b["time"].as_str(), b["id"].as_str()))
    });
    out
}
