//! bench/report's workload: a store holding a year of incidents, and the daily report timed.
//!
//! `report_bench generate DIR INCIDENTS DAY_INCIDENTS DATE` fills DIR with INCIDENTS incidents
//! spread over the 365 mission days to DATE (DAY_INCIDENTS of them on DATE itself), placed along
//! the illustrative line with the kinds, ellipses, attributions and violations fusion produces,
//! and the day's observations they cite (so that coverage is computed from real rows).
//! `report_bench measure DIR DATE RUNS` builds the public report of DATE RUNS times and prints
//! JSON: the median milliseconds to build, and to render each format.
//! `report_bench phases DIR DATE RUNS` times the store's reads the report makes, one by one
//! (median of RUNS each), to show where the build's time goes.

use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use truceline_report::{Audience, Context, Format, MissionDay};
use truceline_store::{
    IncidentRow, IncidentStore, IncidentWrite, NewObservation, ObservationStore, ReportStore,
    SqliteStore,
};

fn agreement() -> truceline_agreement::Agreement {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/donbas");
    let files = truceline_agreement::MemoryFiles(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                Some((
                    p.file_name()?.to_str()?.to_string(),
                    std::fs::read_to_string(&p).ok()?,
                ))
            })
            .collect(),
    );
    let toml = std::fs::read_to_string(dir.join("agreement.toml")).unwrap();
    truceline_agreement::load("agreement.toml", &toml, &files)
        .expect("the example agreement is valid")
}

const KINDS: [(&str, Option<&str>, f64); 8] = [
    ("explosion", Some("impact"), 0.30),
    ("explosion", Some("outgoing"), 0.25),
    ("explosion", Some("undetermined"), 0.10),
    ("explosion", Some("airburst"), 0.03),
    ("burst", None, 0.17),
    ("shot", None, 0.06),
    ("muzzle_flash", None, 0.04),
    ("weapon", None, 0.05),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") => generate(
            Path::new(&args[2]),
            args[3].parse().unwrap(),
            args[4].parse().unwrap(),
            &args[5],
        ),
        Some("measure") => measure(Path::new(&args[2]), &args[3], args[4].parse().unwrap()),
        Some("phases") => phases(Path::new(&args[2]), &args[3], args[4].parse().unwrap()),
        _ => eprintln!("usage: report_bench generate DIR N DAY_N DATE | measure DIR DATE RUNS"),
    }
}

fn generate(dir: &Path, total: u64, on_day: u64, date: &str) {
    let a = agreement();
    let store = SqliteStore::open(dir).unwrap();
    let line: Vec<(f64, f64)> = a
        .line_of_contact
        .geometry
        .0
        .iter()
        .flat_map(|l| l.0.iter().map(|c| (c.x, c.y)))
        .collect();
    let day = MissionDay::new(date, "Europe/Kyiv", "19:30").unwrap();
    let first = day.shifted(-364).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // The day's observations: 120 observers along the line reporting through the day.
    let mut leaves = Vec::new();
    let mut batch = Vec::new();
    let span = day.to_ms() - day.from_ms();
    for k in 0..(on_day * 3) {
        let observer = format!("op{:03}", k % 120);
        let (lon, lat) = line[(k as usize % 120) * line.len() / 120];
        let t = day.from_ms() + rng.random_range(0..span);
        let ts = jiff::Timestamp::from_millisecond(t).unwrap();
        let id = format!("{observer}-{k:07}");
        let body = json!({"id": id, "observer": observer, "source": if k % 3 == 0 {"acoustic"} else {"post"},
            "time": ts.to_string(), "kind": "explosion", "subtype": "impact", "bearing_deg": 90.0,
            "bearing_sigma_deg": 5.0, "observer_position": {"lon": lon + 0.05, "lat": lat}});
        batch.push(
            NewObservation {
                id,
                observer,
                time_ms: t,
                lon: lon + 0.05,
                lat,
                kind: "explosion".into(),
                body: serde_jcs::to_vec(&body).unwrap(),
                leaf: None,
                salts: None,
            }
            .hashed(),
        );
        if batch.len() == 10_000 {
            leaves.extend(
                store
                    .submit_blocking(std::mem::take(&mut batch))
                    .unwrap()
                    .into_iter()
                    .map(|o| o.log_index()),
            );
        }
    }
    leaves.extend(
        store
            .submit_blocking(batch)
            .unwrap()
            .into_iter()
            .map(|o| o.log_index()),
    );
    let per_other_day = (total - on_day) / 364;
    let mut written = 0u64;
    let started = Instant::now();
    for d in 0..365 {
        let md = first.shifted(d).unwrap();
        let n = if d == 364 { on_day } else { per_other_day };
        let mut w = IncidentWrite {
            fused_observations: 0,
            ..Default::default()
        };
        for k in 0..n {
            let r: f64 = rng.random();
            let mut acc = 0.0;
            let (kind, subtype) = KINDS
                .iter()
                .find(|x| {
                    acc += x.2;
                    r < acc
                })
                .map_or(("explosion", Some("impact")), |x| (x.0, x.1));
            let (lon, lat) = line[rng.random_range(0..line.len())];
            let (lon, lat) = (
                lon + rng.random_range(-0.12..0.12),
                lat + rng.random_range(-0.08..0.08),
            );
            let t = md.from_ms() + rng.random_range(0..(md.to_ms() - md.from_ms()));
            let id = format!("inc-{}-{k:06}", md.date);
            let party = ["ua", "ru"][rng.random_range(0..2)];
            let attributed = rng.random_bool(0.6);
            let violations = if kind == "weapon" {
                json!([{"rule": "withdrawal", "party": party, "zone": "withdrawal:mlrs"}])
            } else if rng.random_bool(0.97) {
                json!([{"rule": "ceasefire", "party": if attributed { json!(party) } else { json!(null) }, "zone": null}])
            } else {
                json!([])
            };
            let cited: Vec<u64> = if d == 364 {
                (0..3)
                    .map(|_| leaves[rng.random_range(0..leaves.len())])
                    .collect()
            } else {
                vec![k, k + 1]
            };
            let v = json!({
                "id": id, "kind": kind, "subtype": subtype,
                "time": jiff::Timestamp::from_millisecond(t).unwrap().to_string(), "time_end": null,
                "location": {"lon": (lon * 1e6_f64).round() / 1e6, "lat": (lat * 1e6_f64).round() / 1e6},
                "location_basis": "fix",
                "error_ellipse_m": {"major": rng.random_range(50.0..2500.0_f64).round(), "minor": rng.random_range(30.0..600.0_f64).round(), "azimuth_deg": rng.random_range(0.0..180.0_f64).round()},
                "count": rng.random_range(1..6), "weapon": if kind == "weapon" { json!("mlrs") } else { json!(null) },
                "control": if lon > 38.0 { "ru" } else { "ua" },
                "attribution": {"party": if attributed { json!(party) } else { json!(null) }, "confidence": if attributed { 0.9 } else { 0.0 },
                    "basis": if attributed { "outgoing fire located in the area it controls (P = 0.97)" } else { "origin not established" }},
                "violations": violations,
                "observations": cited.iter().map(|i| format!("obs-{i}")).collect::<Vec<_>>(),
            });
            w.upsert.push(IncidentRow {
                record: serde_json::from_value(v).unwrap(),
                leaves: cited,
            });
        }
        written += n;
        store.put_incidents(w).unwrap();
        if d % 30 == 0 {
            eprintln!(
                "  {written} incidents ({:.0}/s)",
                written as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let obs = store.counts().unwrap().observations;
    store
        .put_incidents(IncidentWrite {
            fused_observations: obs,
            ..Default::default()
        })
        .unwrap();
    store.close();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn phases(dir: &Path, date: &str, runs: usize) {
    let store = SqliteStore::open_read_only(dir).unwrap();
    let day = MissionDay::new(date, "Europe/Kyiv", "19:30").unwrap();
    let week_start = day.shifted(-7).unwrap();
    let time = |f: &mut dyn FnMut()| {
        median(
            (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let mut out = serde_json::Map::new();
    out.insert(
        "incident_points_8_days".into(),
        json!(time(&mut || {
            store
                .incident_points(week_start.from_ms(), day.to_ms())
                .unwrap();
        })),
    );
    out.insert(
        "incident_tallies_30_days".into(),
        json!(time(&mut || {
            for k in 0..30 {
                let d = day.shifted(-k).unwrap();
                store.incident_tallies(d.from_ms(), d.to_ms()).unwrap();
            }
        })),
    );
    out.insert(
        "observer_hours_2_days".into(),
        json!(time(&mut || {
            for k in 0..2 {
                let d = day.shifted(-k).unwrap();
                store.observer_hours(d.from_ms(), d.to_ms()).unwrap();
            }
        })),
    );
    let mut rows = Vec::new();
    out.insert(
        // Read and parsed into typed records.
        "incidents_between_day".into(),
        json!(time(&mut || {
            rows = store.incidents_between(day.from_ms(), day.to_ms()).unwrap();
        })),
    );
    out.insert("day_incidents".into(), json!(rows.len()));
    println!("{}", serde_json::Value::Object(out));
}

fn measure(dir: &Path, date: &str, runs: usize) {
    let store = SqliteStore::open_read_only(dir).unwrap();
    let ctx = Context::new(agreement());
    let day = MissionDay::new(date, "Europe/Kyiv", "19:30").unwrap();
    let mut build = Vec::new();
    let mut render: Vec<Vec<f64>> = vec![Vec::new(); 4];
    let mut sizes = [0usize; 4];
    let mut incidents = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = truceline_report::build(&store, &ctx, &day, Audience::Public).unwrap();
        build.push(t.elapsed().as_secs_f64() * 1e3);
        incidents = r.summary.incidents;
        for (k, f) in Format::ALL.iter().enumerate() {
            let t = Instant::now();
            let bytes = truceline_report::render(&r, &ctx, *f);
            render[k].push(t.elapsed().as_secs_f64() * 1e3);
            sizes[k] = bytes.len();
        }
    }
    let r: Vec<f64> = render.into_iter().map(median).collect();
    println!(
        "{}",
        json!({
            "incidents_on_day": incidents,
            "build_ms": median(build),
            "render_ms": {"html": r[0], "json": r[1], "csv": r[2], "geojson": r[3]},
            "bytes": {"html": sizes[0], "json": sizes[1], "csv": sizes[2], "geojson": sizes[3]},
        })
    );
}
