//! Times reading an NDJSON file of observations: `parse_speed FILE`. Prints observations per
//! second for `parse` (straight into the typed form, the full reading only for what that path
//! hands back) and for the full reading through a JSON value, and their ratio, best of three
//! passes each, alternated.
use truceline_observation::{Vocabulary, parse, parse_full};

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_speed FILE");
    let text = std::fs::read_to_string(path).expect("readable file");
    let vocab = Vocabulary::new(["ua", "ru"], Vec::<String>::new());
    let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
    let rate = |read: &dyn Fn(&[u8])| {
        let t = std::time::Instant::now();
        for line in &lines {
            read(line);
        }
        lines.len() as f64 / t.elapsed().as_secs_f64()
    };
    let direct = |l: &[u8]| {
        parse(l, &vocab).expect("valid");
    };
    let full = |l: &[u8]| {
        parse_full(l, &vocab).expect("valid");
    };
    let (mut best_direct, mut best_full) = (0f64, 0f64);
    for _ in 0..3 {
        best_direct = best_direct.max(rate(&direct));
        best_full = best_full.max(rate(&full));
    }
    println!(
        "{} observations: parse {best_direct:.0}/s, full reading {best_full:.0}/s, ratio {:.2}",
        lines.len(),
        best_direct / best_full
    );
}
