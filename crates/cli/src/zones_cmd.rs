//! `truceline zones …`

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde_json::Value;
use truceline_zones::ZoneEngine;
use truceline_zones::display::export_geojson;

#[derive(Subcommand)]
pub enum ZonesCommand {
    /// Classify points: NDJSON {"id","lon","lat"} in, one line each out:
    /// {"id","control","distance_to_line_m","zones":[...]}.
    ///
    /// Distances are geodesic (WGS 84) to the line of contact; zone membership is decided by
    /// that exact distance, a point at the threshold being inside. A bad input line is reported
    /// on standard error with its line number and field, the rest are still classified, and the
    /// exit status is 1.
    Classify {
        /// The agreement's TOML file.
        #[arg(long)]
        agreement: PathBuf,
        /// Points, NDJSON ('-' or absent: standard input).
        #[arg(long = "in")]
        input: Option<PathBuf>,
        /// Results, NDJSON ('-' or absent: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the agreement's layers (party areas, line, withdrawal bands, buffer zone,
    /// disengagement areas) as one GeoJSON FeatureCollection for a map.
    ///
    /// Band polygons are for display only (a few metres of projection error); membership is
    /// decided by exact distances.
    Export {
        /// The agreement's TOML file.
        #[arg(long)]
        agreement: PathBuf,
        /// Output GeoJSON ('-' or absent: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

impl ZonesCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ZonesCommand::Classify {
                agreement,
                input,
                out,
            } => classify(&agreement, input, out),
            ZonesCommand::Export { agreement, out } => {
                let a = crate::require_agreement(&agreement)?;
                let mut w = crate::open_out(out.as_deref())?;
                serde_json::to_writer(&mut w, &export_geojson(&a))?;
                writeln!(w)?;
                w.flush()?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// One output line, fields in the order SPEC section 1 lists them.
#[derive(serde::Serialize)]
struct Classified<'a> {
    id: Value,
    control: Option<&'a str>,
    distance_to_line_m: f64,
    zones: Vec<&'a str>,
}

/// Reads one point; the error names the field and what is expected.
fn parse_point(line: &str) -> Result<(Value, f64, f64), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or("expected a JSON object {\"id\",\"lon\",\"lat\"}")?;
    let id = match obj.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        Some(_) => return Err("field \"id\": expected a string or number".into()),
        None => return Err("field \"id\" is missing: expected a string or number".into()),
    };
    let num = |key: &str, lo: f64, hi: f64| -> Result<f64, String> {
        match obj.get(key).and_then(Value::as_f64) {
            Some(x) if (lo..=hi).contains(&x) => Ok(x),
            Some(x) => Err(format!(
                "field \"{key}\" = {x} is out of range: expected a number from {lo} to {hi}"
            )),
            None => Err(format!(
                "field \"{key}\" is missing or not a number: expected degrees from {lo} to {hi}"
            )),
        }
    };
    Ok((id, num("lon", -180.0, 180.0)?, num("lat", -90.0, 90.0)?))
}

fn classify(
    agreement: &std::path::Path,
    input: Option<PathBuf>,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let a = crate::require_agreement(agreement)?;
    let engine = ZoneEngine::new(&a)?;
    let mut reader = crate::open_in(input.as_deref())?;
    let mut w = crate::open_out(out.as_deref())?;
    let mut bad = 0usize;
    for (n, line) in (&mut reader).lines().enumerate() {
        let line = line.context("reading points")?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_point(&line) {
            Ok((id, lon, lat)) => {
                let c = engine.classify(lon, lat);
                let zones: Vec<&str> = engine.zone_ids(c.zones).collect();
                let control = c.control.map(|i| engine.party_id(i));
                let d = (c.distance_to_line_m * 1000.0).round() / 1000.0;
                serde_json::to_writer(
                    &mut w,
                    &Classified {
                        id,
                        control,
                        distance_to_line_m: d,
                        zones,
                    },
                )?;
                writeln!(w)?;
            }
            Err(why) => {
                bad += 1;
                eprintln!("line {}: {why}", n + 1);
            }
        }
    }
    w.flush()?;
    if bad > 0 {
        eprintln!("{bad} line(s) refused");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
