//! Criterion benchmark of the zone engine on the illustrative Donbas agreement, next to the
//! GeographicLib reference it is held to (the exact but slow way to get the same distance).
//! The GEOS peer and the million-point figures are in `bench/zones/run.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use truceline_agreement::{Files, load};
use truceline_zones::ZoneEngine;
use truceline_zones::reference::ReferenceLine;

struct Dir(&'static str);
impl Files for Dir {
    fn read(&self, p: &str) -> Result<String, String> {
        std::fs::read_to_string(format!("{}/{p}", self.0)).map_err(|e| e.to_string())
    }
}

fn points(n: usize) -> Vec<(f64, f64)> {
    // A fixed low-discrepancy spread over the line's box widened by ~200 km.
    (0..n)
        .map(|i| {
            let fx = (i as f64 * 0.618_033_988_749_895).fract();
            let fy = (i as f64 * 0.754_877_666_246_693).fract();
            (34.85 + fx * 7.78, 45.28 + fy * 5.28)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/donbas");
    let text = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
    let a = load("agreement.toml", &text, &Dir(dir)).unwrap();
    let engine = ZoneEngine::new(&a).unwrap();
    let reference = ReferenceLine::new(&a.line_of_contact.geometry);

    let pts = points(100_000);
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.bench_function("engine/100k points", |b| {
        b.iter(|| {
            for &(x, y) in &pts {
                black_box(engine.classify(x, y));
            }
        })
    });
    g.finish();

    let few = points(20);
    let mut g = c.benchmark_group("distance");
    g.sample_size(10);
    g.throughput(Throughput::Elements(few.len() as u64));
    g.bench_function("engine/20 points", |b| {
        b.iter(|| {
            for &(x, y) in &few {
                black_box(engine.line().nearest(x, y));
            }
        })
    });
    g.bench_function("geographiclib reference/20 points", |b| {
        b.iter(|| {
            for &(x, y) in &few {
                black_box(reference.distance_m(x, y));
            }
        })
    });
    g.finish();

    c.bench_function("engine build", |b| {
        b.iter(|| ZoneEngine::new(black_box(&a)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
