//! Ingest through the shared store (PostgreSQL) against the embedded store and against
//! PostgreSQL's own `COPY` of the same rows (the database's limit), in one run. Prints one JSON
//! object.
//!
//! ```text
//! postgres_bench DIR URL N     N observations into a fresh store of each kind
//! ```
//!
//! The shared store is measured twice: through the writer's handle, and through a standby's
//! (another server's, whose requests go through the intake to the writer).
//!
//! Each store: two producer threads commit and hash batches of `BATCH` observations and submit
//! them, as the server's request threads do, while the writer group-commits them durably.
//! `COPY`: the same rows, leaves already made, into a table of the store's shape (its
//! indexes, the PostGIS point and its GiST index) in one statement, then committed.

#[path = "shared/mod.rs"]
mod shared;

use std::io::Write;
use std::time::Instant;

use shared::observation;
use truceline_store::{NewObservation, ObservationStore, PostgresStore, SqliteStore};

const BATCH: u64 = 1_000;

fn ingest(store: &dyn ObservationStore, n: u64) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for p in 0..2u64 {
            s.spawn(move || {
                let mut k = p * BATCH;
                while k < n {
                    let batch: Vec<NewObservation> = (k..(k + BATCH).min(n))
                        .map(|i| observation(i).hashed())
                        .collect();
                    store.submit_blocking(batch).expect("stored");
                    k += 2 * BATCH;
                }
            });
        }
    });
    n as f64 / started.elapsed().as_secs_f64()
}

fn copy(url: &str, n: u64) -> f64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(
        "DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy;
         SET search_path TO bench_copy, public;
         CREATE TABLE observations (
             seq BIGINT PRIMARY KEY, id TEXT COLLATE \"C\" NOT NULL UNIQUE, observer TEXT COLLATE \"C\" NOT NULL,
             time_ms BIGINT NOT NULL, lon DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL,
             geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
             kind TEXT COLLATE \"C\" NOT NULL, received_ms BIGINT NOT NULL, body BYTEA NOT NULL,
             hashes BYTEA, salts BYTEA);
         CREATE INDEX ON observations (time_ms, observer);
         CREATE INDEX ON observations (observer, time_ms);
         CREATE INDEX ON observations USING GIST (geom);",
    )
    .unwrap();
    // The rows as the store would write them, made before the clock starts: COPY's share only.
    let hex = |b: &[u8]| -> String {
        let mut s = String::with_capacity(2 + 2 * b.len());
        s.push_str("\\\\x");
        for x in b {
            s.push_str(&format!("{x:02x}"));
        }
        s
    };
    let mut text = Vec::new();
    let mut frontier = truceline_log::Frontier::default();
    for i in 0..n {
        let o = observation(i).hashed();
        let mut hashes = Vec::new();
        for h in frontier.append(o.leaf.unwrap()) {
            hashes.extend_from_slice(&h);
        }
        writeln!(
            text,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t0\t{}\t{}\t{}",
            i + 1,
            o.id,
            o.observer,
            o.time_ms,
            o.lon,
            o.lat,
            o.kind,
            hex(&o.body),
            hex(&hashes),
            hex(o.salts.as_deref().unwrap())
        )
        .unwrap();
    }
    let started = Instant::now();
    let mut tx = c.transaction().unwrap();
    let mut w = tx
        .copy_in(
            "COPY observations (seq, id, observer, time_ms, lon, lat, kind, received_ms, body, hashes, salts) FROM STDIN",
        )
        .unwrap();
    w.write_all(&text).unwrap();
    w.finish().unwrap();
    tx.commit().unwrap();
    let rate = n as f64 / started.elapsed().as_secs_f64();
    c.batch_execute("DROP SCHEMA bench_copy CASCADE").unwrap();
    rate
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, url, n): (&str, &str, u64) = (&args[1], &args[2], args[3].parse().unwrap());
    let embedded = {
        let store = SqliteStore::open(std::path::Path::new(dir)).unwrap();
        ingest(&store, n)
    };
    let shared = {
        PostgresStore::drop_schema(url, "bench_store").unwrap();
        let store =
            PostgresStore::open_in(url, "bench_store", std::sync::Arc::new(|_| {})).unwrap();
        let r = ingest(&store, n);
        drop(store);
        PostgresStore::drop_schema(url, "bench_store").unwrap();
        r
    };
    // The same through a second server's handle standing by: each request goes through the
    // intake to the writer and back.
    let standby = {
        PostgresStore::drop_schema(url, "bench_store").unwrap();
        let writer =
            PostgresStore::open_in(url, "bench_store", std::sync::Arc::new(|_| {})).unwrap();
        let standby =
            PostgresStore::open_or_stand_by(url, "bench_store", std::sync::Arc::new(|_| {}))
                .unwrap();
        let r = ingest(&standby, n);
        drop(standby);
        drop(writer);
        PostgresStore::drop_schema(url, "bench_store").unwrap();
        r
    };
    let copy = copy(url, n);
    println!(
        "{}",
        serde_json::json!({
            "observations": n,
            "batch": BATCH,
            "embedded_per_s": embedded.round(),
            "postgres_store_per_s": shared.round(),
            "postgres_standby_per_s": standby.round(),
            "postgres_copy_per_s": copy.round(),
        })
    );
}
