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
}

impl AisCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            AisCommand::Decode { input, out, strict } => decode(input, out, strict),
        }
    }
}

/// Refusals reported one by one, then only counted (a corrupt feed can refuse millions).
const REPORTED: usize = 100;

fn decode(input: PathBuf, out: Option<PathBuf>, strict: bool) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(&input)
                .with_context(|| format!("cannot read {}", input.display()))?,
        ))
    };
    let sink: Box<dyn Write> = match &out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 20, sink);
    let mut d = truceline_ais::Decoder::default();
    let (mut messages, mut refused) = (0u64, 0u64);
    let mut json = String::with_capacity(512);
    // Lines are read as bytes: a line that is not UTF-8 is refused, not the whole file.
    let mut reader = reader;
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
                    w.flush()?;
                    eprintln!("error: line {n}: {e}");
                    return Ok(ExitCode::from(1));
                }
                if refused as usize <= REPORTED {
                    eprintln!("line {n}: refused: {e}");
                }
            }
        }
    }
    w.flush()?;
    eprintln!("{messages} messages from {n} lines; {refused} lines refused");
    Ok(ExitCode::SUCCESS)
}
