//! `truceline fuse`: observations in, incidents out, in batch.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use truceline_fusion::{Config, fuse};

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
        let fusion = fuse(&obs, &config);
        let incidents = &fusion.incidents;
        let secs = t.elapsed().as_secs_f64();
        let assessor = truceline_assess::Assessor::new(&agreement, &engine);
        let assessments = assessor.assess_all(incidents, &obs);
        let mut out = crate::open_out(self.out.as_deref())?;
        for (inc, a) in incidents.iter().zip(&assessments) {
            let violations: Vec<Value> = a
                .violations
                .iter()
                .map(|v| json!({"rule": v.rule, "party": v.party, "zone": v.zone}))
                .collect();
            let ids: Vec<&str> = inc
                .observations
                .iter()
                .map(|&i| obs[i].id.as_str())
                .collect();
            let v: Value = json!({
                "id": inc.id,
                "kind": inc.kind.as_str(),
                "subtype": inc.subtype.map(|s| s.as_str()),
                "time": inc.time.to_string(),
                "time_end": inc.time_end.map(|t| t.to_string()),
                "location": {"lon": round(inc.location.0, 6), "lat": round(inc.location.1, 6)},
                "location_basis": inc.basis.as_str(),
                "error_ellipse_m": inc.ellipse.map(|e| json!({
                    "major": round(e.major, 1), "minor": round(e.minor, 1), "azimuth_deg": round(e.azimuth_deg, 1)})),
                "count": inc.count,
                "weapon": inc.weapon,
                "control": a.control,
                "attribution": {
                    "party": a.attribution.party,
                    "confidence": round(a.attribution.confidence, 3),
                    "basis": a.attribution.basis,
                },
                "violations": violations,
                "observations": ids,
            });
            serde_json::to_writer(&mut out, &v)?;
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

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}
