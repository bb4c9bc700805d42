//! `truceline ais`: the maritime picture's commands (SPEC 8).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum AisCommand {
    /// Decode NMEA 0183 AIS sentences (`!AIVDM`/`!AIVDO`, with tag blocks or a leading
    /// timestamp; multi-sentence messages reassembled) into NDJSON with gpsd's field names and
    /// scaled values, one message a line. Lines refused are reported on standard error with
    /// their number and reason; other NMEA sentences are skipped.
    Decode {
        /// The input file, or `-` for standard input.
        input: PathBuf,
        /// Where to write the NDJSON (standard output if absent).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Stop at the first refused line (exit status 1) instead of reporting it and going on.
        #[arg(long)]
        strict: bool,
    },
    /// Simulate Black Sea traffic with known behaviours (illustrative): NMEA as a receiver
    /// network writes it, the ground truth as NDJSON events, and a sanctions list.
    Simulate {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Hours of traffic.
        #[arg(long, default_value_t = 48.0)]
        hours: f64,
        /// Ordinary vessels (the shadow fleet's tankers are added in proportion).
        #[arg(long, default_value_t = 300)]
        vessels: usize,
        /// The NMEA file to write.
        #[arg(long)]
        out: PathBuf,
        /// The truth: one event a line, in `ais detect`'s format.
        #[arg(long)]
        truth: PathBuf,
        /// The sanctions list, in OpenSanctions' maritime CSV layout.
        #[arg(long)]
        sanctions: Option<PathBuf>,
    },
    /// Track vessels and detect behaviours (gap, encounter, loitering, spoofing, identity
    /// change, port call, listed) in a time-ordered NMEA feed; events as NDJSON.
    Detect {
        /// The NMEA input (with tag-block or leading timestamps), or `-` for standard input.
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the events (standard output if absent).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A sanctions list in OpenSanctions' maritime CSV layout.
        #[arg(long)]
        sanctions: Option<PathBuf>,
        /// Ports (tab-separated name, country, lon, lat, sea) instead of the bundled list.
        #[arg(long)]
        ports: Option<PathBuf>,
        /// The behaviours' parameters as JSON (any of them; the rest keep their defaults).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Score detected events against a simulation's truth: precision and recall per behaviour.
    Score {
        #[arg(long)]
        truth: PathBuf,
        #[arg(long)]
        events: PathBuf,
        /// How far outside a true event's time a detection may lie and still match.
        #[arg(long, default_value = "1h")]
        tolerance: String,
        /// Write the scores as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

impl AisCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            AisCommand::Decode { input, out, strict } => decode(input, out, strict),
            AisCommand::Simulate {
                seed,
                hours,
                vessels,
                out,
                truth,
                sanctions,
            } => simulate(seed, hours, vessels, out, truth, sanctions),
            AisCommand::Detect {
                input,
                out,
                sanctions,
                ports,
                config,
            } => detect(input, out, sanctions, ports, config),
            AisCommand::Score {
                truth,
                events,
                tolerance,
                json,
            } => score(truth, events, &tolerance, json),
        }
    }
}

/// Refusals reported one by one, then only counted (a corrupt feed can refuse millions).
const REPORTED: usize = 100;

fn open_input(input: &PathBuf) -> anyhow::Result<Box<dyn BufRead>> {
    Ok(if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(input)
                .with_context(|| format!("cannot read {}", input.display()))?,
        ))
    })
}

fn open_output(out: &Option<PathBuf>) -> anyhow::Result<std::io::BufWriter<Box<dyn Write>>> {
    let sink: Box<dyn Write> = match out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    Ok(std::io::BufWriter::with_capacity(1 << 20, sink))
}

/// Each line of NMEA decoded, with its number: a message, nothing yet, or why it was refused.
/// Lines are read as bytes: a line that is not UTF-8 is refused, not the whole file. The
/// callback returns `false` to stop.
fn each_message(
    input: &PathBuf,
    mut f: impl FnMut(
        u64,
        Result<Option<truceline_ais::Decoded>, truceline_ais::AisError>,
    ) -> anyhow::Result<bool>,
) -> anyhow::Result<u64> {
    let mut reader = open_input(input)?;
    let mut d = truceline_ais::Decoder::default();
    let mut buf = Vec::with_capacity(256);
    let mut n = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        let result = match std::str::from_utf8(&buf) {
            Ok(line) => d.line(line),
            Err(_) => Err(truceline_ais::AisError::Sentence {
                field: "line",
                message: "not UTF-8 text".into(),
            }),
        };
        if !f(n, result)? {
            break;
        }
    }
    Ok(n)
}

fn decode(input: PathBuf, out: Option<PathBuf>, strict: bool) -> anyhow::Result<ExitCode> {
    let mut w = open_output(&out)?;
    let (mut messages, mut refused) = (0u64, 0u64);
    let mut json = String::with_capacity(512);
    let mut failed = false;
    let n = each_message(&input, |n, result| {
        match result {
            Ok(Some(m)) => {
                json.clear();
                truceline_ais::json::write(&m, &mut json);
                json.push('\n');
                w.write_all(json.as_bytes())?;
                messages += 1;
            }
            Ok(None) => {}
            Err(e) => {
                refused += 1;
                if strict {
                    eprintln!("error: line {n}: {e}");
                    failed = true;
                    return Ok(false);
                }
                if refused as usize <= REPORTED {
                    eprintln!("line {n}: refused: {e}");
                }
            }
        }
        Ok(true)
    })?;
    w.flush()?;
    if failed {
        return Ok(ExitCode::from(1));
    }
    eprintln!("{messages} messages from {n} lines; {refused} lines refused");
    Ok(ExitCode::SUCCESS)
}

fn write_events(w: &mut impl Write, events: &[truceline_maritime::Event]) -> anyhow::Result<()> {
    for e in events {
        serde_json::to_writer(&mut *w, e)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// "3 gap, 1 encounter, …": how many events of each kind.
fn per_kind(events: &[truceline_maritime::Event]) -> String {
    truceline_maritime::Kind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                events.iter().filter(|e| e.kind == *k).count(),
                k.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn simulate(
    seed: u64,
    hours: f64,
    vessels: usize,
    out: PathBuf,
    truth: PathBuf,
    sanctions: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        hours > 0.0 && hours <= 24.0 * 366.0,
        "--hours: expected more than 0 and at most a year, got {hours}"
    );
    anyhow::ensure!(
        (1..=100_000).contains(&vessels),
        "--vessels: expected 1 to 100,000, got {vessels}"
    );
    let mut w = open_output(&Some(out.clone()))?;
    let mut err = None;
    let cfg = truceline_maritime::simulate::SimConfig {
        seed,
        hours,
        vessels,
        ..Default::default()
    };
    let sim = truceline_maritime::simulate::simulate(&cfg, |_, line| {
        if err.is_none()
            && let Err(e) = w
                .write_all(line.as_bytes())
                .and_then(|_| w.write_all(b"\n"))
        {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e).with_context(|| format!("cannot write {}", out.display()));
    }
    w.flush()?;
    let mut t = open_output(&Some(truth.clone()))?;
    write_events(&mut t, &sim.truth)?;
    t.flush()?;
    if let Some(p) = sanctions {
        std::fs::write(&p, &sim.sanctions_csv)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    eprintln!(
        "{} vessels, {} messages over {hours} h (illustrative); truth: {}",
        sim.vessels,
        sim.messages,
        per_kind(&sim.truth)
    );
    Ok(ExitCode::SUCCESS)
}

fn detect(
    input: PathBuf,
    out: Option<PathBuf>,
    sanctions: Option<PathBuf>,
    ports: Option<PathBuf>,
    config: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    use truceline_maritime::{detect, ports::Ports, sanctions::List, shore::Shore};
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let cfg: detect::Config = match &config {
        Some(p) => {
            let c: detect::Config = serde_json::from_str(&read(p)?)
                .with_context(|| format!("{}: the behaviours' parameters", p.display()))?;
            c.check().with_context(|| format!("{}", p.display()))?;
            c
        }
        None => detect::Config::default(),
    };
    let list = match &sanctions {
        Some(p) => {
            let l = List::parse(read(p)?.as_bytes()).with_context(|| p.display().to_string())?;
            if l.bad_imo > 0 {
                eprintln!(
                    "{}: {} entries' IMO numbers fail their check digit; matched by MMSI only",
                    p.display(),
                    l.bad_imo
                );
            }
            l
        }
        None => List::default(),
    };
    let ports = match &ports {
        Some(p) => Ports::parse(&read(p)?).with_context(|| p.display().to_string())?,
        None => Ports::bundled(),
    };
    let mut w = open_output(&out)?;
    let started = std::time::Instant::now();
    let mut det = detect::Detector::new(cfg, Shore::bundled(), ports, list);
    let mut refused = 0u64;
    let n = each_message(&input, |n, result| {
        match result {
            Ok(Some(m)) => det.push(&m),
            Ok(None) => {}
            Err(e) => {
                refused += 1;
                if refused as usize <= REPORTED {
                    eprintln!("line {n}: refused: {e}");
                }
            }
        }
        Ok(true)
    })?;
    let counts = det.counts.clone();
    let events = det.finish();
    let secs = started.elapsed().as_secs_f64();
    write_events(&mut w, &events)?;
    w.flush()?;
    eprintln!(
        "{} messages from {n} lines ({refused} refused; {} positions, {} without a time, {} stale) from {} vessels; {}",
        counts.messages,
        counts.positions,
        counts.untimed,
        counts.stale,
        counts.vessels,
        per_kind(&events)
    );
    eprintln!(
        "decode + track + detect: {secs:.2} s, {:.0} messages/s",
        counts.messages as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn read_events(p: &PathBuf) -> anyhow::Result<Vec<truceline_maritime::Event>> {
    let text =
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{} line {}", p.display(), i + 1))
        })
        .collect()
}

fn score(truth: PathBuf, events: PathBuf, tolerance: &str, json: bool) -> anyhow::Result<ExitCode> {
    let tol = truceline_service::accounts::parse_duration_ms(tolerance).map_err(|_| {
        anyhow::anyhow!(
            "--tolerance: expected a number and a unit (m, h or d), such as 1h; found {tolerance:?}"
        )
    })?;
    let scores =
        truceline_maritime::score::score(&read_events(&truth)?, &read_events(&events)?, tol);
    if json {
        let v: Vec<serde_json::Value> = scores
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).expect("scores serialise");
                v["precision"] = s.precision().into();
                v["recall"] = s.recall().into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string(&v)?);
    } else {
        println!(
            "{:<16} {:>6} {:>6} {:>9} {:>8} {:>9} {:>7}",
            "behaviour", "truth", "found", "detected", "correct", "precision", "recall"
        );
        for s in &scores {
            println!(
                "{:<16} {:>6} {:>6} {:>9} {:>8} {:>9.3} {:>7.3}",
                s.kind.as_str(),
                s.truth,
                s.found,
                s.detected,
                s.correct,
                s.precision(),
                s.recall()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
