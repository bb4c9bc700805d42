//! The evidence log's speed, for `bench/log/run.sh`. Prints one JSON object.
//!
//! ```text
//! log_bench DIR N        N leaves: in memory and through the store into DIR
//! ```
//!
//! * `sha256`: raw SHA-256 over the same leaf bytes plus one 64-byte node per leaf, the
//!   hashing limit of an append (about two hashes a leaf);
//! * `memory`: the Merkle append alone (leaf hash, completed nodes, stored in a vector);
//! * `store`: observations submitted to the embedded store in batches of 10,000, each committed
//!   with its leaf, durable: the rate over the first and the last million leaves (in the plain
//!   form, so that the store's root can be compared with the memory's: `committed_bench`
//!   measures the committed form against it);
//! * `proofs`: inclusion and consistency proofs read from the store at the full size, and their
//!   verification, in microseconds.

use std::time::Instant;

use sha2::{Digest, Sha256};
use truceline_log::{Frontier, leaf_bytes, leaf_hash, verify_consistency, verify_inclusion};
use truceline_store::{LogStore, NewObservation, ObservationStore, SqliteStore};

#[path = "shared/mod.rs"]
mod shared;
use shared::{body, observation};

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p) as usize]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(&args[0]);
    let n: u64 = args[1].parse()?;
    let million = 1_000_000.min(n);
    let leaves: Vec<Vec<u8>> = (0..million)
        .map(|i| leaf_bytes("observation", &body(i)))
        .collect();
    let mean_leaf = leaves.iter().map(Vec::len).sum::<usize>() as f64 / million as f64;

    // The hashing limit: one hash of the leaf bytes and one of a 65-byte node per leaf.
    let t = Instant::now();
    let mut acc = [0u8; 32];
    for l in &leaves {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(l);
        let d: [u8; 32] = h.finalize().into();
        let mut node = [1u8; 65];
        node[1..33].copy_from_slice(&d);
        node[33..].copy_from_slice(&acc);
        acc = Sha256::digest(node).into();
    }
    let sha_per_s = million as f64 / t.elapsed().as_secs_f64();
    std::hint::black_box(acc);

    // The Merkle append alone, in memory, to n leaves.
    let mut frontier = Frontier::default();
    let mut stored = Vec::with_capacity(2 * n as usize);
    let t = Instant::now();
    let mut first_m = 0.0;
    let mut t_last = Instant::now();
    for i in 0..n {
        if i == n - million {
            t_last = Instant::now();
        }
        stored.extend(frontier.append(leaf_hash(&leaves[(i % million) as usize])));
        if i + 1 == million {
            first_m = million as f64 / t.elapsed().as_secs_f64();
        }
    }
    let last_m = million as f64 / t_last.elapsed().as_secs_f64();
    let mem_root = frontier.root();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut mem_proof_us = Vec::new();
    for _ in 0..10_000 {
        let i = rng.below(n);
        let t = Instant::now();
        let p = truceline_log::inclusion_proof(i, n, &stored).unwrap();
        mem_proof_us.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(p);
    }
    drop(stored);

    // Through the store: observations with their leaves, durable, in batches of 10,000.
    let store = SqliteStore::open(&dir)?;
    let mut rates = Vec::new();
    let mut t_m = Instant::now();
    let mut i = 0u64;
    while i < n {
        // The plain form: this measures the log; `committed_bench` measures what the
        // committed form adds.
        let batch: Vec<NewObservation> = (i..(i + 10_000).min(n))
            .map(|k| observation(k).hashed_plain())
            .collect();
        i += batch.len() as u64;
        store.submit_blocking(batch)?;
        if i.is_multiple_of(million) {
            rates.push(million as f64 / t_m.elapsed().as_secs_f64());
            t_m = Instant::now();
        }
    }
    let (size, root) = store.log_head();
    assert_eq!(size, n);
    let same_root = n <= million && root == mem_root;

    // Proofs from the store at the full size, and their verification.
    let (mut gen_us, mut ver_us, mut cgen_us, mut cver_us) = (vec![], vec![], vec![], vec![]);
    let mut proof_len = 0;
    for k in 0..20_000 {
        let idx = rng.below(n);
        let t = Instant::now();
        let p = store.inclusion_proof(idx, n)?;
        gen_us.push(t.elapsed().as_secs_f64() * 1e6);
        proof_len = proof_len.max(p.len());
        let leaf = leaf_hash(&leaf_bytes("observation", &body(idx)));
        let t = Instant::now();
        verify_inclusion(idx, n, &leaf, &p, &root)?;
        ver_us.push(t.elapsed().as_secs_f64() * 1e6);
        if k < 2_000 {
            let from = rng.below(n) + 1;
            let old = store.log_root(from)?;
            let t = Instant::now();
            let c = store.consistency_proof(from, n)?;
            cgen_us.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            verify_consistency(from, n, &old, &root, &c)?;
            cver_us.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let db_bytes = std::fs::metadata(dir.join(truceline_store::DB_FILE))?.len();
    let out = serde_json::json!({
        "leaves": n,
        "mean_leaf_bytes": mean_leaf,
        "sha256_limit_per_s": sha_per_s,
        "memory_append_per_s": {"first_million": first_m, "last_million": last_m},
        "memory_proof_us_median": percentile(&mut mem_proof_us, 0.5),
        "store_append_per_s": {"first_million": rates[0], "last_million": rates[rates.len() - 1]},
        "store_root_equals_memory_root": same_root,
        "inclusion_us": {"gen_median": percentile(&mut gen_us, 0.5), "gen_p99": percentile(&mut gen_us, 0.99),
                          "verify_median": percentile(&mut ver_us, 0.5), "hashes_max": proof_len},
        "consistency_us": {"gen_median": percentile(&mut cgen_us, 0.5), "gen_p99": percentile(&mut cgen_us, 0.99),
                            "verify_median": percentile(&mut cver_us, 0.5)},
        "db_bytes_per_leaf": db_bytes as f64 / n as f64,
    });
    println!("{out}");
    Ok(())
}
