//! Times `parse` over an NDJSON file: `parse_speed FILE`. Prints observations per second.
fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_speed FILE");
    let text = std::fs::read_to_string(path).expect("readable file");
    let vocab = truceline_observation::Vocabulary::new(["ua", "ru"], Vec::<String>::new());
    let t = std::time::Instant::now();
    let mut n = 0;
    for line in text.lines() {
        truceline_observation::parse(line.as_bytes(), &vocab).expect("valid");
        n += 1;
    }
    let s = t.elapsed().as_secs_f64();
    println!("{n} observations in {s:.3} s: {:.0}/s", n as f64 / s);
}
