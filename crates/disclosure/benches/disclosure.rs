//! The committed form's cost against the plain leaf, per observation, in one run: what it adds
//! to ingest (the store commits each observation as it logs it) and to an evidence document
//! (its check, per item, on the reader's side). Prints the ratio at the end.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use truceline_disclosure::{Evidence, Item, commit, new_salt, verify};
use truceline_log::note::{Algorithm, Signer};
use truceline_log::{Frontier, inclusion_proof, leaf_bytes, leaf_hash};

fn observation(i: u32) -> Value {
    json!({"id": format!("op3-{i:06}"), "observer": "op3", "source": "acoustic",
           "time": "2026-11-24T10:04:31Z", "kind": "explosion", "subtype": "impact",
           "bearing_deg": 212.5, "bearing_sigma_deg": 1.5, "weapon": "artillery",
           "observer_position": {"lon": 37.8, "lat": 48.1},
           "notes": "illustrative: heard from the post"})
}

fn bench(c: &mut Criterion) {
    let obs: Vec<Value> = (0..1000).map(observation).collect();
    let canon: Vec<Vec<u8>> = obs.iter().map(|o| serde_jcs::to_vec(o).unwrap()).collect();
    let mut i = 0;
    c.bench_function("plain leaf: hash the canonical observation", |b| {
        b.iter(|| {
            i = (i + 1) % canon.len();
            black_box(leaf_hash(&leaf_bytes("observation", &canon[i])))
        })
    });
    c.bench_function(
        "committed leaf: salts, disclosures, digests, committed form, hash",
        |b| {
            b.iter(|| {
                i = (i + 1) % obs.len();
                let c = commit(obs[i].as_object().unwrap(), |_| new_salt());
                black_box(leaf_hash(&c.committed))
            })
        },
    );
    c.bench_function(
        "committed leaf from the canonical bytes (the store's path): salts, digests, hash",
        |b| {
            b.iter(|| {
                i = (i + 1) % canon.len();
                black_box(leaf_hash(&store_commit(&canon[i])))
            })
        },
    );

    // An evidence document of 20 items at 2^16 leaves, checked as a party would.
    let signer = Signer::from_seed("bench/log", Algorithm::Ed25519, [1; 32]).unwrap();
    let commits: Vec<_> = obs[..20]
        .iter()
        .map(|o| commit(o.as_object().unwrap(), |_| new_salt()))
        .collect();
    let mut tree = Frontier::default();
    let mut stored = Vec::new();
    let n = 1u64 << 16;
    for k in 0..n {
        let l = if k < 20 {
            leaf_hash(&commits[k as usize].committed)
        } else {
            leaf_hash(&k.to_le_bytes())
        };
        stored.extend(tree.append(l));
    }
    let cp = truceline_log::checkpoint::Checkpoint {
        origin: "bench/log".into(),
        size: n,
        root: tree.root(),
    };
    let doc = Evidence {
        checkpoint: signer.sign_note(&cp.text()).unwrap(),
        items: (0..20)
            .map(|k| {
                Item::new(
                    k,
                    &commits[k as usize],
                    |_| true,
                    &inclusion_proof(k, n, &stored).unwrap(),
                )
            })
            .collect(),
        uncommitted: vec![],
    };
    let key = signer.verifier();
    c.bench_function("verify an evidence document of 20 items", |b| {
        b.iter(|| black_box(verify(&doc, &key).unwrap()))
    });

    // The ratio in one run, outside criterion's sampling.
    let rounds = 200_000;
    let t = Instant::now();
    for k in 0..rounds {
        black_box(leaf_hash(&leaf_bytes(
            "observation",
            &canon[k % canon.len()],
        )));
    }
    let plain = t.elapsed().as_secs_f64() / rounds as f64;
    let t = Instant::now();
    for k in 0..rounds {
        let c = commit(obs[k % obs.len()].as_object().unwrap(), |_| new_salt());
        black_box(leaf_hash(&c.committed));
    }
    let committed = t.elapsed().as_secs_f64() / rounds as f64;
    let t = Instant::now();
    for k in 0..rounds {
        black_box(leaf_hash(&store_commit(&canon[k % canon.len()])));
    }
    let stored = t.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "per observation: plain leaf {:.2} µs; committed leaf over a parsed map {:.2} µs ({:.1}× the plain), \
         from the canonical bytes as the store commits {:.2} µs ({:.1}× the plain; {:.0} committed observations/s on one core)",
        plain * 1e6,
        committed * 1e6,
        committed / plain,
        stored * 1e6,
        stored / plain,
        1.0 / stored
    );
}

/// What the store does for each observation: fresh salts, the committed form from the
/// canonical bytes, no disclosures kept.
fn store_commit(canonical: &[u8]) -> Vec<u8> {
    truceline_disclosure::commit_fresh(canonical, |s| rand::fill(s))
        .unwrap()
        .1
        .committed
}

criterion_group!(benches, bench);
criterion_main!(benches);
