//! Load generator and embedded-limit measurement for `bench/ingest/run.sh`.
//!
//! ```text
//! ingest_bench gen N FILE                      N distinct valid observations as NDJSON
//! ingest_bench batch URL FILE BATCH CONNS      POST the file in NDJSON batches over CONNS connections
//! ingest_bench raw DIR FILE                    the same rows straight into SQLite, one transaction
//! ```
//! Each measuring mode prints one JSON line of figures. Single-observation load comes from `wrk`
//! with `bench/ingest/single.lua`, a client that costs the server's two cores little.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::json;

fn observation(i: u64, prefix: &str) -> String {
    let lon = 37.5 + (i % 1000) as f64 * 0.001;
    let lat = 48.0 + (i % 777) as f64 * 0.001;
    json!({
        "id": format!("{prefix}-{i}"),
        "observer": format!("op{:02}", i % 60),
        "source": "post",
        "time": jiff::Timestamp::from_millisecond(1_795_000_000_000 + i as i64 * 37).unwrap().to_string(),
        "kind": "explosion",
        "subtype": "impact",
        "observer_position": {"lon": lon, "lat": lat},
        "bearing_deg": (i * 7 % 3600) as f64 / 10.0,
        "bearing_sigma_deg": 5,
        "distance_m": {"min": 2000, "max": 5000},
    })
    .to_string()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections_per_host(256)
        .build()
        .into()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => {
            let n: u64 = args[1].parse()?;
            let mut out = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
            for i in 0..n {
                use std::io::Write;
                writeln!(out, "{}", observation(i, "b"))?;
            }
        }
        Some("batch") => {
            let url = format!("{}/api/v1/observations", args[1]);
            let text = std::fs::read_to_string(&args[2])?;
            let batch: usize = args[3].parse()?;
            let conns: usize = args[4].parse()?;
            let lines: Vec<&str> = text.lines().collect();
            let chunks: Vec<String> = lines.chunks(batch).map(|c| c.join("\n") + "\n").collect();
            let next = AtomicU64::new(0);
            let t = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..conns {
                    s.spawn(|| {
                        let a = agent();
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                            let Some(body) = chunks.get(k) else { break };
                            let mut r = a.post(&url);
                            if let Ok(t) = std::env::var("TRUCELINE_TOKEN") {
                                r = r.header("Authorization", format!("Bearer {t}"));
                            }
                            let mut r = r
                                .header("Content-Type", "application/x-ndjson")
                                .send(body.as_str())
                                .expect("request");
                            let body = r.body_mut().read_to_string().unwrap_or_default();
                            assert_eq!(r.status(), 200, "{body}");
                        }
                    });
                }
            });
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{}",
                json!({"observations": lines.len(), "seconds": secs, "per_s": lines.len() as f64 / secs})
            );
        }
        Some("raw") => {
            // The embedded limit: the rows the server would store (validated and canonical, as
            // the server makes them), inserted with the store's own schema and durability in
            // one transaction, nothing else timed.
            let dir = std::path::Path::new(&args[1]);
            std::fs::create_dir_all(dir)?;
            let text = std::fs::read_to_string(&args[2])?;
            let vocab = truceline_observation::Vocabulary::new(["ua", "ru"], Vec::<String>::new());
            let rows: Vec<truceline_store::NewObservation> = text
                .lines()
                .map(|l| {
                    (&truceline_observation::parse(l.as_bytes(), &vocab).expect("valid")).into()
                })
                .collect();
            drop(truceline_store::SqliteStore::open(dir)?); // creates the schema
            let mut conn = rusqlite::Connection::open(dir.join(truceline_store::DB_FILE))?;
            truceline_store::configure_writer(&conn)?;
            let t = Instant::now();
            let tx = conn.transaction()?;
            {
                let mut st = tx.prepare(
                    "INSERT INTO observations (id, observer, time_ms, lon, lat, kind, received_ms, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for o in &rows {
                    st.execute(rusqlite::params![
                        o.id, o.observer, o.time_ms, o.lon, o.lat, o.kind, 0i64, o.body
                    ])?;
                }
            }
            tx.commit()?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{}",
                json!({"rows": rows.len(), "seconds": secs, "per_s": rows.len() as f64 / secs})
            );
        }
        _ => anyhow::bail!("usage: ingest_bench gen|batch|raw ... (see the source)"),
    }
    Ok(())
}
