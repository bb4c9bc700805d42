//! Decoding alone, and decoding with gpsd JSON written, on a real receiver's stream (gpsd's
//! `ais-nmea.log`: mostly position reports, some static data and binary messages) repeated.
//! `bench/ais/run.sh` measures the command end to end beside PyPI's pyais.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn sentences() -> Vec<String> {
    let text = include_str!("../tests/data/gpsd/ais-nmea.log");
    text.lines()
        .filter(|l| l.starts_with("!AIVDM"))
        .map(String::from)
        .collect()
}

fn bench(c: &mut Criterion) {
    let lines = sentences();
    // Throughput in messages (a type 5 takes two sentences).
    let messages = {
        let mut d = truceline_ais::Decoder::default();
        lines
            .iter()
            .filter(|l| matches!(d.line(l), Ok(Some(_))))
            .count()
    };
    let mut g = c.benchmark_group("ais");
    g.throughput(Throughput::Elements(messages as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut d = truceline_ais::Decoder::default();
            let mut n = 0;
            for l in &lines {
                if let Ok(Some(m)) = d.line(l) {
                    n += black_box(m.message.mmsi) as usize & 1;
                }
            }
            n
        })
    });
    g.bench_function("decode and write gpsd JSON", |b| {
        let mut json = String::with_capacity(512);
        b.iter(|| {
            let mut d = truceline_ais::Decoder::default();
            let mut bytes = 0;
            for l in &lines {
                if let Ok(Some(m)) = d.line(l) {
                    json.clear();
                    truceline_ais::json::write(&m, &mut json);
                    bytes += json.len();
                }
            }
            bytes
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
