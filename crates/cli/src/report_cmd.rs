//! `truceline report`: the daily report of a data directory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use truceline_report::day::{DEFAULT_DAY_ENDS, DEFAULT_TIMEZONE};
use truceline_report::{Audience, Format};
use truceline_service::{DaySettings, KeyRegistry, LogState, Service};
use truceline_store::{Location, StoreError};

#[derive(Args)]
pub struct ReportArgs {
    /// The store (a running server may be writing to it).
    #[command(flatten)]
    at: crate::StoreArgs,
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
    /// The language of the HTML report: en, uk or ru.
    #[arg(long, default_value = "en")]
    lang: String,
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
        let lang = truceline_report::lang::Lang::parse(&self.lang)
            .ok_or_else(|| anyhow::anyhow!("--lang: expected en, uk or ru, got {:?}", self.lang))?;
        let at = self.at.location()?;
        if let Location::Dir(d) = &at
            && !d.join(truceline_store::DB_FILE).exists()
        {
            bail!(
                "--data: {} holds no Truceline store ({} is missing)",
                d.display(),
                truceline_store::DB_FILE
            );
        }
        let keys = self.at.keys_dir()?.to_path_buf();
        // Beside a running server the store is read as it stands; otherwise this process may
        // bring its incidents up to date and sign a checkpoint.
        let (store, writable) = match at.open(std::sync::Arc::new(|_| {})) {
            Ok(s) => (s, true),
            Err(StoreError::Busy { .. } | StoreError::Locked(_)) => (at.open_read_only()?, false),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open {at}"));
            }
        };
        let stored = store
            .latest_agreement()?
            .with_context(|| format!("{at} holds no agreement"))?;
        let agreement = crate::agreement_from_stored(&stored)?;
        if !writable && self.publish {
            bail!(
                "--publish: a server is writing to {at}; publish through it: POST /api/v1/reports/daily/DATE/publish"
            );
        }
        // Read-only beside a server, the log's key is what the server wrote; otherwise this
        // process holds (or makes) it.
        let signer = truceline_service::keys::log_signer(&keys, None)?;
        let log = LogState::new(signer, KeyRegistry::open(&keys), store.as_ref());
        let mut service = Service::new(store.clone(), &agreement, log)?;
        service.day = DaySettings {
            timezone: self.timezone.clone(),
            day_ends: self.day_ends.clone(),
        };
        if writable {
            let started = std::time::Instant::now();
            let took = || started.elapsed().as_secs_f64();
            match service.fuse_store()? {
                Some(truceline_service::Start::ReadOn { observations }) => eprintln!(
                    "fused the {observations} observations stored after the store's incidents (their days again) in {:.1} s",
                    took()
                ),
                Some(_) => eprintln!("fused the store's observations in {:.1} s", took()),
                None => {}
            }
            service.checkpoint_now()?;
        }
        let day = match &self.date {
            Some(d) => service.day.day(d),
            None => {
                let latest = store.counts()?.latest_time_ms;
                let t = latest
                    .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                    .unwrap_or_else(jiff::Timestamp::now);
                service.day.containing(t)
            }
        }
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
        let now = jiff::Timestamp::now();
        if self.publish && !day.is_over(now) {
            bail!(
                "--publish: the mission day {} ends at {}; publish its report once the day is over",
                day.date,
                day.to
            );
        }
        let started = std::time::Instant::now();
        let report = service.report(&day, audience)?;
        let bytes = truceline_report::render_in(&report, &service.reports, format, lang);
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
            let (index, _) = service.publish(&day, &report, now)?;
            eprintln!("published: its record is leaf {index} of the evidence log");
        }
        drop(service);
        store.close();
        Ok(ExitCode::SUCCESS)
    }
}
