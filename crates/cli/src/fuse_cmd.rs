//! `truceline fuse`: observations in, incidents out, in batch.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use truceline_fusion::Config;

#[derive(Args)]
pub struct FuseArgs {
    /// The agreement to judge against.
    #[arg(long)]
    agreement: PathBuf,
    /// Observations, NDJSON (`-` for standard input).
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write incidents, NDJSON (default standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The largest clock error of one observer, seconds.
    #[arg(long, default_value_t = Config::default().clock_error_s)]
    clock_error_s: f64,
}

impl FuseArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let agreement = crate::require_agreement(&self.agreement)?;
        let engine = truceline_zones::ZoneEngine::new(&agreement)?;
        let vocab = crate::vocabulary(&agreement);
        let input = crate::open_in(Some(&self.input))?;
        let mut obs = Vec::new();
        for (i, line) in input.lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", self.input.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match truceline_observation::parse(line.as_bytes(), &vocab) {
                Ok(o) => obs.push(o),
                Err(e) => bail!("{}:{}: {e}", self.input.display(), i + 1),
            }
        }
        let config = Config {
            clock_error_s: self.clock_error_s,
            ..Config::default()
        };
        let t = std::time::Instant::now();
        let judged = truceline_assess::fuse_and_judge(&agreement, &engine, &obs, &config);
        let incidents = judged.records(&obs);
        let secs = t.elapsed().as_secs_f64();
        let mut out = crate::open_out(self.out.as_deref())?;
        for v in &incidents {
            serde_json::to_writer(&mut out, v)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        eprintln!(
            "{} observations fused into {} incidents in {:.3} s ({:.0} observations/s)",
            obs.len(),
            incidents.len(),
            secs,
            obs.len() as f64 / secs
        );
        Ok(ExitCode::SUCCESS)
    }
}
