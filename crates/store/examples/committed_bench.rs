//! The committed form (SPEC 4.2) against the plain form, through the embedded store, in one
//! run. Prints one JSON object.
//!
//! ```text
//! committed_bench DIR N      N observations into a fresh store of each form, twice each
//! ```
//!
//! * `prepare_us`: committing (salts, disclosures, digests, the committed form, its hash) or
//!   hashing the plain leaf, on one core, per observation;
//! * `ingest_per_s`: two producer threads prepare batches of 10,000 and submit them, as the
//!   server's request threads do, while the writer group-commits them durably; the best of
//!   two runs a form, the forms alternated;
//! * `db_bytes_per_observation`: the database file over N (salts are 16 bytes a field);
//! * `evidence_us`: serving one observation's evidence at the full size — reading it and its
//!   proof; the committed form also makes its disclosures again from the stored salts.

#[path = "shared/mod.rs"]
mod shared;

use std::time::Instant;

use shared::observation;
use truceline_store::{LogStore, NewObservation, ObservationStore, SqliteStore};

#[derive(Clone, Copy, PartialEq)]
enum Form {
    Plain,
    Committed,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Plain => "plain",
            Form::Committed => "committed",
        }
    }
    fn prepare(self, o: NewObservation) -> NewObservation {
        match self {
            Form::Plain => o.hashed_plain(),
            Form::Committed => o.hashed(),
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Observations per second into a fresh store under `dir`, and the file's size.
fn ingest(dir: &std::path::Path, n: u64, form: Form) -> anyhow::Result<(f64, u64, SqliteStore)> {
    let _ = std::fs::remove_dir_all(dir);
    let store = SqliteStore::open(dir)?;
    const BATCH: u64 = 10_000;
    let batches = n.div_ceil(BATCH);
    let t = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..2u64)
            .map(|w| {
                let store = &store;
                s.spawn(move || -> anyhow::Result<()> {
                    for b in (w..batches).step_by(2) {
                        let batch: Vec<NewObservation> = (b * BATCH..((b + 1) * BATCH).min(n))
                            .map(|k| form.prepare(observation(k)))
                            .collect();
                        store.submit_blocking(batch)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a producer")?;
        }
        Ok(())
    })?;
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(dir.join(truceline_store::DB_FILE))?.len()
        + std::fs::metadata(dir.join(format!("{}-wal", truceline_store::DB_FILE)))
            .map_or(0, |m| m.len());
    Ok((rate, bytes, store))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(&args[0]);
    let n: u64 = args[1].parse()?;
    let forms = [Form::Plain, Form::Committed];

    let mut prepare = serde_json::Map::new();
    for form in forms {
        let k = 20_000.min(n);
        let obs: Vec<_> = (0..k).map(observation).collect();
        let t = Instant::now();
        for o in obs {
            std::hint::black_box(form.prepare(o));
        }
        prepare.insert(
            form.name().into(),
            (t.elapsed().as_secs_f64() * 1e6 / k as f64).into(),
        );
    }

    let mut best = [0f64; 2];
    let mut bytes = [0u64; 2];
    let mut stores: Vec<Option<SqliteStore>> = vec![None, None];
    for _round in 0..2 {
        for (f, form) in forms.iter().enumerate() {
            let (rate, b, store) = ingest(&dir.join(form.name()), n, *form)?;
            best[f] = best[f].max(rate);
            bytes[f] = b;
            stores[f] = Some(store);
        }
    }

    let mut evidence = serde_json::Map::new();
    for (f, form) in forms.iter().enumerate() {
        let store = stores[f].as_ref().expect("ingested");
        let (size, _) = store.log_head();
        let mut us = Vec::new();
        let mut x = 0x9e3779b97f4a7c15u64;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = format!("b-{}", x % n);
            let t = Instant::now();
            let (o, c) = store.committed(&id)?.expect("stored");
            let proof = store.inclusion_proof(o.log_index, size)?;
            let leaf = match c {
                Some(c) => c.committed,
                None => truceline_log::leaf_bytes("observation", &o.body),
            };
            std::hint::black_box((leaf, proof));
            us.push(t.elapsed().as_secs_f64() * 1e6);
        }
        evidence.insert(form.name().into(), median(&mut us).into());
    }
    let out = serde_json::json!({
        "observations": n,
        "prepare_us": prepare,
        "ingest_per_s": {"plain": best[0], "committed": best[1], "committed_over_plain": best[1] / best[0]},
        "db_bytes_per_observation": {"plain": bytes[0] as f64 / n as f64, "committed": bytes[1] as f64 / n as f64},
        "evidence_us_median": evidence,
    });
    println!("{out}");
    Ok(())
}
