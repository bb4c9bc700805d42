//! `truceline simulate`: a synthetic scenario and its ground truth.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use truceline_simulate::{Network, Params};

#[derive(Args)]
pub struct SimulateArgs {
    /// The agreement whose line, areas and weapon classes the scenario is drawn on.
    #[arg(long)]
    agreement: PathBuf,
    /// The same seed gives the same scenario, byte for byte.
    #[arg(long)]
    seed: u64,
    /// Length of the scenario.
    #[arg(long, default_value_t = 24.0)]
    hours: f64,
    /// Start time (RFC 3339).
    #[arg(long, default_value = "2026-11-24T00:00:00Z")]
    start: jiff::Timestamp,
    /// Where to write the observations (NDJSON, SPEC 2.2; `-` for standard output).
    #[arg(long)]
    observations: PathBuf,
    /// Where to write the ground truth (NDJSON, SPEC 2.3).
    #[arg(long)]
    truth: PathBuf,
    /// Where to write the mission's other records beside the scenario (NDJSON, SPEC 6:
    /// storage sites and inspections, restrictions, casualties, damage, hazards, windows).
    #[arg(long)]
    records: Option<PathBuf>,
    /// Distance between observation posts along the line, km.
    #[arg(long, default_value_t = Params::default().post_spacing_km)]
    post_spacing_km: f64,
    /// Each observer's clock is off by up to this many seconds.
    #[arg(long, default_value_t = Params::default().clock_error_s)]
    clock_error_s: f64,
    /// Share of observations that are false alarms (0 to 0.5).
    #[arg(long, default_value_t = Params::default().false_alarm_rate)]
    false_alarm_rate: f64,
    /// Fire missions per hour (each a salvo of one or more rounds).
    #[arg(long, default_value_t = Params::default().fire_missions_per_hour)]
    fire_missions_per_hour: f64,
    /// Exchanges of small-arms fire per hour.
    #[arg(long, default_value_t = Params::default().small_arms_exchanges_per_hour)]
    small_arms_per_hour: f64,
    /// Weapons seen by UAVs per hour.
    #[arg(long, default_value_t = Params::default().weapon_sightings_per_hour)]
    weapon_sightings_per_hour: f64,
    /// Ripples of rocket launchers per hour (rounds a short interval apart).
    #[arg(long, default_value_t = Params::default().ripples_per_hour)]
    ripples_per_hour: f64,
    /// The shortest interval between a ripple's rounds, seconds.
    #[arg(long, default_value_t = Params::default().ripple_spacing_s.0)]
    ripple_spacing_min_s: f64,
    /// The longest interval between a ripple's rounds, seconds.
    #[arg(long, default_value_t = Params::default().ripple_spacing_s.1)]
    ripple_spacing_max_s: f64,
    /// The most rounds in one ripple (at least 6).
    #[arg(long, default_value_t = Params::default().ripple_rounds_max)]
    ripple_rounds_max: u32,
    /// Share of posts that log a ripple as one line with a count (0 to 1).
    #[arg(long, default_value_t = Params::default().ripple_window_share)]
    ripple_window_share: f64,
}

impl SimulateArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::ensure!(
            self.hours > 0.0 && self.hours <= 24.0 * 31.0,
            "--hours: expected more than 0 and at most 744 (a month), found {}",
            self.hours
        );
        anyhow::ensure!(
            (0.0..=0.5).contains(&self.false_alarm_rate),
            "--false-alarm-rate: expected 0 to 0.5, found {}",
            self.false_alarm_rate
        );
        anyhow::ensure!(
            self.post_spacing_km >= 1.0,
            "--post-spacing-km: expected at least 1, found {}",
            self.post_spacing_km
        );
        anyhow::ensure!(
            self.clock_error_s >= 0.0,
            "--clock-error-s: expected 0 or more, found {}",
            self.clock_error_s
        );
        anyhow::ensure!(
            self.ripples_per_hour >= 0.0,
            "--ripples-per-hour: expected 0 or more, found {}",
            self.ripples_per_hour
        );
        anyhow::ensure!(
            self.ripple_spacing_min_s > 0.0
                && self.ripple_spacing_min_s <= self.ripple_spacing_max_s,
            "--ripple-spacing-min-s: expected more than 0 and at most --ripple-spacing-max-s ({}), found {}",
            self.ripple_spacing_max_s,
            self.ripple_spacing_min_s
        );
        anyhow::ensure!(
            (6..=200).contains(&self.ripple_rounds_max),
            "--ripple-rounds-max: expected 6 to 200, found {}",
            self.ripple_rounds_max
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.ripple_window_share),
            "--ripple-window-share: expected 0 to 1, found {}",
            self.ripple_window_share
        );
        let agreement = crate::require_agreement(&self.agreement)?;
        let engine = truceline_zones::ZoneEngine::new(&agreement)?;
        let params = Params {
            seed: self.seed,
            hours: self.hours,
            post_spacing_km: self.post_spacing_km,
            clock_error_s: self.clock_error_s,
            false_alarm_rate: self.false_alarm_rate,
            fire_missions_per_hour: self.fire_missions_per_hour,
            small_arms_exchanges_per_hour: self.small_arms_per_hour,
            weapon_sightings_per_hour: self.weapon_sightings_per_hour,
            ripples_per_hour: self.ripples_per_hour,
            ripple_spacing_s: (self.ripple_spacing_min_s, self.ripple_spacing_max_s),
            ripple_rounds_max: self.ripple_rounds_max,
            ripple_window_share: self.ripple_window_share,
        };
        let network = Network::new(&agreement, &engine, &params);
        let scenario = network.simulate(&params, self.start);
        let mut out = crate::open_out(Some(&self.observations))?;
        for o in &scenario.observations {
            serde_json::to_writer(&mut out, o)?;
            out.write_all(b"\n")?;
        }
        out.flush()
            .with_context(|| format!("writing {}", self.observations.display()))?;
        if let Some(path) = &self.records {
            let records = truceline_simulate::records::records(
                &agreement, &engine, &scenario, self.seed, self.start, self.hours,
            );
            let mut out = crate::open_out(Some(path))?;
            for r in &records {
                serde_json::to_writer(&mut out, r)?;
                out.write_all(b"\n")?;
            }
            out.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let mut out = crate::open_out(Some(&self.truth))?;
        for e in &scenario.truth {
            serde_json::to_writer(&mut out, &e.to_json())?;
            out.write_all(b"\n")?;
        }
        out.flush()
            .with_context(|| format!("writing {}", self.truth.display()))?;
        let seen = scenario
            .truth
            .iter()
            .filter(|e| !e.observations.is_empty())
            .count();
        eprintln!(
            "{} observers, {} real events ({} seen), {} observations",
            network.observers.len(),
            scenario.truth.len(),
            seen,
            scenario.observations.len()
        );
        Ok(ExitCode::SUCCESS)
    }
}
