//! Criterion micro-benchmarks of the tree in memory: appending a leaf, and making and checking
//! proofs at a million leaves. `bench/log/run.sh` measures the same through the store and HTTP,
//! next to raw SHA-256.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use truceline_log::{
    Frontier, consistency_proof, inclusion_proof, leaf_hash, verify_consistency, verify_inclusion,
};

const N: u64 = 1 << 20;

fn bench(c: &mut Criterion) {
    let leaves: Vec<_> = (0..N).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    let mut f = Frontier::default();
    let mut stored = Vec::new();
    for l in &leaves {
        stored.extend(f.append(*l));
    }
    let root = f.root();

    c.bench_function("append a leaf (hashed)", |b| {
        let mut f = f.clone();
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            black_box(f.append(leaf_hash(&i.to_le_bytes())).count())
        })
    });
    let mut i = 0u64;
    c.bench_function("inclusion proof at 2^20 leaves", |b| {
        b.iter(|| {
            i = (i * 6364136223846793005 + 1442695040888963407) % N;
            black_box(inclusion_proof(i, N, &stored).unwrap())
        })
    });
    let p = inclusion_proof(12345, N, &stored).unwrap();
    c.bench_function("verify an inclusion proof", |b| {
        b.iter(|| verify_inclusion(12345, N, &leaves[12345], black_box(&p), &root).unwrap())
    });
    let from = 777_777;
    let old = truceline_log::subtree_root(from, &stored).unwrap();
    let cp = consistency_proof(from, N, &stored).unwrap();
    c.bench_function("make a consistency proof", |b| {
        b.iter(|| black_box(consistency_proof(from, N, &stored).unwrap()))
    });
    c.bench_function("verify a consistency proof", |b| {
        b.iter(|| verify_consistency(from, N, &old, &root, black_box(&cp)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
