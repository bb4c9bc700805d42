//! The Rust side of `bench/zones`: makes the benchmark's points, classifies them on one core and
//! checks distances against the GeographicLib reference.
//!
//! ```text
//! zones_bench AGREEMENT.toml POINTS.f64 [N] [SEED]
//! ```
//! Writes N random points (little-endian f64 lon, lat pairs) to POINTS.f64 if it does not exist,
//! classifies them, and prints one JSON object of figures on standard output. Results
//! (control index or -1, distance, zone bits) go to POINTS.f64.ours for the peer to compare.
//! With NO_ACCURACY set it prints only points per second and skips the slow reference check.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use geo::BoundingRect;
use truceline_agreement::{Files, load};
use truceline_zones::ZoneEngine;
use truceline_zones::reference::ReferenceLine;

struct Dir(std::path::PathBuf);
impl Files for Dir {
    fn read(&self, p: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(p)).map_err(|e| e.to_string())
    }
}

/// SplitMix64: a fixed, dependency-free generator so every run uses the same points.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (toml_path, points_path) = (Path::new(&args[1]), Path::new(&args[2]));
    let n: usize = args.get(3).map_or(1_000_000, |s| s.parse().expect("N"));
    let seed: u64 = args.get(4).map_or(7, |s| s.parse().expect("SEED"));
    let text = std::fs::read_to_string(toml_path).expect("agreement");
    let a = load(
        &toml_path.display().to_string(),
        &text,
        &Dir(toml_path.parent().unwrap().to_path_buf()),
    )
    .expect("valid agreement");

    if !points_path.exists() {
        // Uniform over the line's bounding box widened by about 200 km each way.
        let r = a.line_of_contact.geometry.bounding_rect().unwrap();
        let (lo_x, hi_x) = (r.min().x - 2.7, r.max().x + 2.7);
        let (lo_y, hi_y) = (r.min().y - 1.8, r.max().y + 1.8);
        let mut rng = Rng(seed);
        let mut buf = Vec::with_capacity(n * 16);
        for _ in 0..n {
            buf.extend((lo_x + (hi_x - lo_x) * rng.next()).to_le_bytes());
            buf.extend((lo_y + (hi_y - lo_y) * rng.next()).to_le_bytes());
        }
        std::fs::write(points_path, buf).expect("write points");
    }
    let raw = std::fs::read(points_path).expect("points");
    let pts: Vec<(f64, f64)> = raw
        .chunks_exact(16)
        .map(|c| {
            (
                f64::from_le_bytes(c[..8].try_into().unwrap()),
                f64::from_le_bytes(c[8..].try_into().unwrap()),
            )
        })
        .collect();

    let t0 = Instant::now();
    let engine = ZoneEngine::new(&a).expect("engine");
    let build_s = t0.elapsed().as_secs_f64();

    // Best of three passes, as the peer does.
    let mut out = Vec::with_capacity(pts.len());
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        out.clear();
        let t = Instant::now();
        for &(x, y) in &pts {
            out.push(engine.classify(x, y));
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(&out);

    let mut f = std::io::BufWriter::new(
        std::fs::File::create(format!("{}.ours", points_path.display())).unwrap(),
    );
    for c in &out {
        f.write_all(&(c.control.map_or(-1i64, |i| i as i64)).to_le_bytes())
            .unwrap();
        f.write_all(&c.distance_to_line_m.to_le_bytes()).unwrap();
        f.write_all(&c.zones.0.to_le_bytes()).unwrap();
    }
    f.flush().unwrap();

    if std::env::var_os("NO_ACCURACY").is_some() {
        println!("{}", pts.len() as f64 / best);
        return;
    }
    // Accuracy against GeographicLib on a sample of points within 200 km of the line.
    let reference = ReferenceLine::new(&a.line_of_contact.geometry);
    let mut worst: f64 = 0.0;
    let mut checked = 0;
    let t = Instant::now();
    for (i, &(x, y)) in pts
        .iter()
        .enumerate()
        .step_by(pts.len().div_ceil(2000).max(1))
    {
        if out[i].distance_to_line_m > 200_000.0 {
            continue;
        }
        let r = reference.distance_m(x, y);
        worst = worst.max((r - out[i].distance_to_line_m).abs());
        checked += 1;
    }
    let reference_per_point_ms = t.elapsed().as_secs_f64() * 1e3 / checked.max(1) as f64;
    let zones: Vec<&str> = engine.zones().iter().map(|z| z.id.as_str()).collect();
    println!(
        "{}",
        serde_json::json!({
            "points": pts.len(),
            "pieces": engine.line().pieces(),
            "build_s": build_s,
            "classify_s": best,
            "points_per_s": pts.len() as f64 / best,
            "accuracy_checked": checked,
            "max_abs_error_m": worst,
            "reference_ms_per_point": reference_per_point_ms,
            "zones": zones,
        })
    );
}
