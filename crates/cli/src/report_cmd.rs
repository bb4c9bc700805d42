//! `truceline report`: the daily report of a data directory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use truceline_report::{Audience, Format, MissionDay};
use truceline_server::reports::{DEFAULT_DAY_ENDS, DEFAULT_TIMEZONE};
use truceline_store::{IncidentWrite, ObservationStore, SqliteStore, StoreError};

#[derive(Args)]
pub struct ReportArgs {
    /// The data directory (a running server may be writing to it).
    #[arg(long)]
    data: PathBuf,
    /// The mission day, named by the date it ends, YYYY-MM-DD (default: the day of the latest
    /// observation).
    #[arg(long)]
    date: Option<String>,
    /// `public` (no observer named or placed, locations on a grid) or `restricted`.
    #[arg(long, default_value = "public")]
    audience: String,
    /// html, json, csv (the incidents) or geojson.
    #[arg(long, default_value = "html")]
    format: String,
    /// Where to write it (default standard output; `-` too).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The mission's time zone (IANA name).
    #[arg(long, default_value = DEFAULT_TIMEZONE)]
    timezone: String,
    /// When the mission day ends, local time HH:MM.
    #[arg(long, default_value = DEFAULT_DAY_ENDS)]
    day_ends: String,
    /// Append the report's publication record (the SHA-256 of each format) to the evidence log.
    #[arg(long)]
    publish: bool,
}

impl ReportArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let audience = Audience::parse(&self.audience).map_err(|e| anyhow::anyhow!("--{e}"))?;
        let format = Format::parse(&self.format).map_err(|e| anyhow::anyhow!("--{e}"))?;
        if !self.data.join(truceline_store::DB_FILE).exists() {
            bail!(
                "--data: {} holds no Truceline store ({} is missing)",
                self.data.display(),
                truceline_store::DB_FILE
            );
        }
        // Beside a running server the store is read as it stands; otherwise this process may
        // bring its incidents up to date and sign a checkpoint.
        let (store, writable) = match SqliteStore::open(&self.data) {
            Ok(s) => (s, true),
            Err(StoreError::Busy { .. }) => (SqliteStore::open_read_only(&self.data)?, false),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open {}", self.data.display()));
            }
        };
        let stored = store
            .latest_agreement()?
            .with_context(|| format!("{} holds no agreement", self.data.display()))?;
        let agreement = crate::agreement_from_stored(&stored)?;
        if writable {
            bring_incidents_up_to_date(&store, &agreement)?;
        } else if self.publish {
            bail!(
                "--publish: a server is writing to {}; publish through it: POST /api/v1/reports/daily/DATE/publish",
                self.data.display()
            );
        }
        let log = if writable {
            let signer = truceline_server::evidence::log_signer(&self.data, None)?;
            let log = truceline_server::evidence::LogState::new(
                signer,
                truceline_server::evidence::KeyRegistry::open(&self.data),
                &store,
            );
            log.checkpoint_now(&store)?;
            Some(log)
        } else {
            None
        };
        let day = match &self.date {
            Some(d) => MissionDay::new(d, &self.timezone, &self.day_ends),
            None => {
                let latest = store.counts()?.latest_time_ms;
                let t = latest
                    .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                    .unwrap_or_else(jiff::Timestamp::now);
                MissionDay::containing(t, &self.timezone, &self.day_ends)
            }
        }
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
        if self.publish && !day.is_over(jiff::Timestamp::now()) {
            bail!(
                "--publish: the mission day {} ends at {}; publish its report once the day is over",
                day.date,
                day.to
            );
        }
        let ctx = truceline_report::Context::new(agreement);
        let started = std::time::Instant::now();
        let report = truceline_report::build(&store, &ctx, &day, audience)?;
        let bytes = truceline_report::render(&report, &ctx, format);
        let secs = started.elapsed().as_secs_f64();
        let mut out = crate::open_out(self.out.as_deref())?;
        out.write_all(&bytes)?;
        out.flush()?;
        eprintln!(
            "report for {} ({} to {}): {} incidents, {} violations, built from log size {} in {:.3} s",
            day.date,
            day.from,
            day.to,
            report.summary.incidents,
            report.summary.violations,
            report.built_from.log_size,
            secs
        );
        if self.publish {
            let index = store.publish_report(truceline_report::publication(&report, &ctx))?;
            if let Some(log) = &log {
                log.checkpoint_now(&store)?;
            }
            eprintln!("published: its record is leaf {index} of the evidence log");
        }
        store.close();
        Ok(ExitCode::SUCCESS)
    }
}

/// Fuses the whole store when its stored incidents were fused from fewer observations than it
/// holds (a store filled by `import --data`, or a server stopped before its next round).
fn bring_incidents_up_to_date(
    store: &SqliteStore,
    agreement: &truceline_agreement::Agreement,
) -> anyhow::Result<()> {
    let total = store.counts()?.observations;
    if store.fused_observations()? == Some(total) {
        return Ok(());
    }
    let (obs, leaf_of) =
        truceline_server::online::read_observations(store, &crate::vocabulary(agreement))?;
    let leaves = truceline_server::online::leaves_by_id(&obs, &leaf_of);
    let engine = truceline_zones::ZoneEngine::new(agreement)?;
    let started = std::time::Instant::now();
    let incidents = truceline_assess::fuse_and_assess(
        agreement,
        &engine,
        &obs,
        &truceline_fusion::Config::default(),
    );
    let mut write = IncidentWrite {
        replace_all: true,
        fused_observations: total,
        ..Default::default()
    };
    for inc in &incidents {
        write
            .upsert
            .push(truceline_server::online::incident_row(inc, &leaves)?);
    }
    store.put_incidents(write)?;
    eprintln!(
        "fused {} observations into {} incidents in {:.1} s",
        obs.len(),
        incidents.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
