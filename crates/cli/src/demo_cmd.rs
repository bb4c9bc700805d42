//! `truceline demo`: the whole system on one machine with nothing to set up.
//!
//! The illustrative agreement is built into the binary; the store is embedded (in a temporary
//! directory unless `--data` is given); the simulator feeds the server live at an accelerated
//! clock through the same validation and store path as the HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use truceline_observation::{Observation, parse};
use truceline_service::accounts::Caller;
use truceline_simulate::{Network, Params};
use truceline_store::{Outcome, StoredAgreement};

use crate::serve_cmd::{Options, Server};

/// The illustrative Donbas agreement, as in `examples/donbas/`.
const BUNDLED: [(&str, &str); 7] = [
    (
        "agreement.toml",
        include_str!("../../../examples/donbas/agreement.toml"),
    ),
    (
        "area_ua.geojson",
        include_str!("../../../examples/donbas/area_ua.geojson"),
    ),
    (
        "area_ru.geojson",
        include_str!("../../../examples/donbas/area_ru.geojson"),
    ),
    (
        "line_of_contact.geojson",
        include_str!("../../../examples/donbas/line_of_contact.geojson"),
    ),
    (
        "disengagement_stanytsia-luhanska.geojson",
        include_str!("../../../examples/donbas/disengagement_stanytsia-luhanska.geojson"),
    ),
    (
        "disengagement_zolote.geojson",
        include_str!("../../../examples/donbas/disengagement_zolote.geojson"),
    ),
    (
        "disengagement_petrivske.geojson",
        include_str!("../../../examples/donbas/disengagement_petrivske.geojson"),
    ),
];

#[derive(Args)]
pub struct DemoArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Keep the store in this directory (default: a temporary one, removed on exit).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Scenario seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated seconds per real second (60: a simulated hour a minute).
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// Write logs as JSON lines.
    #[arg(long)]
    log_json: bool,
}

impl DemoArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        crate::init_logging(self.log_json);
        anyhow::ensure!(
            self.speed > 0.0 && self.speed <= 3600.0,
            "--speed: expected more than 0 and at most 3600 simulated seconds a second, found {}",
            self.speed
        );
        let temp;
        let dir = match &self.data {
            Some(d) => d.clone(),
            None => {
                temp = tempfile::Builder::new()
                    .prefix("truceline-demo-")
                    .tempdir()?;
                temp.path().to_path_buf()
            }
        };
        let stored = StoredAgreement {
            version: 0,
            agreement_id: "donbas-illustrative".into(),
            toml_name: "agreement.toml".into(),
            files: BUNDLED
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        };
        let agreement = crate::agreement_from_stored(&stored)?;
        let start = jiff::Timestamp::now()
            .round(jiff::Unit::Minute)
            .unwrap_or_else(|_| jiff::Timestamp::now());
        // Open access is for a demonstration on this machine only: anyone who can reach the
        // port could read observers' identities and positions and write evidence.
        if !self.listen.ip().is_loopback() {
            bail!(
                "--listen {}: the demo serves with open access (no accounts), so it listens on a loopback address only; use `truceline serve` with accounts to serve a network",
                self.listen
            );
        }
        let banner = format!(
            "Demonstration: a simulated scenario (seed {}) over the illustrative agreement, fed live at {}× \
             (simulated clock started {start}). Observations are synthetic. Open access from this machine only: no accounts.",
            self.seed, self.speed
        );
        let server = Server::start(
            &dir,
            &truceline_store::Location::Dir(dir.clone()),
            &agreement,
            stored,
            Options {
                banner: Some(banner),
                open: true,
                ..Options::default()
            },
        )?;
        eprintln!(
            "Truceline demo: http://{} (data in {}); Ctrl-C to stop",
            self.listen,
            dir.display()
        );
        let stop = Arc::new(AtomicBool::new(false));
        let feeder = {
            let (state, stop) = (server.state.clone(), stop.clone());
            let (seed, speed) = (self.seed, self.speed);
            std::thread::Builder::new()
                .name("demo-feed".into())
                .spawn(move || feed(&agreement, &state, seed, speed, start, &stop))?
        };
        let sea = {
            let (state, stop) = (server.state.clone(), stop.clone());
            let (seed, speed) = (self.seed, self.speed);
            std::thread::Builder::new()
                .name("demo-ais".into())
                .spawn(move || feed_ais(&state, seed, speed, start, &stop))?
        };
        let result = server.run(self.listen, None, std::future::pending());
        stop.store(true, Ordering::Relaxed);
        let _ = feeder.join();
        let _ = sea.join();
        result?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Feeds one simulated hour after another, each observation when the accelerated clock reaches
/// its time, in batches of what fell due since the last tick.
fn feed(
    agreement: &truceline_agreement::Agreement,
    state: &truceline_server::AppState,
    seed: u64,
    speed: f64,
    start: jiff::Timestamp,
    stop: &AtomicBool,
) {
    let engine = match truceline_zones::ZoneEngine::new(agreement) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "demo feed cannot start");
            return;
        }
    };
    let params = Params {
        seed,
        hours: 1.0,
        ..Params::default()
    };
    let network = Network::new(agreement, &engine, &params);
    let real_start = Instant::now();
    let mut hour = 0i64;
    while !stop.load(Ordering::Relaxed) {
        let chunk_start = start + jiff::SignedDuration::from_hours(hour);
        let scenario = network.simulate(&params, chunk_start);
        tracing::info!(
            hour,
            events = scenario.truth.len(),
            observations = scenario.observations.len(),
            "demo: simulated hour drawn"
        );
        // The mission's other records beside the hour: ids made unique to it, the storage
        // sites declared once, at the start.
        let mut records: Vec<serde_json::Value> = truceline_simulate::records::records(
            agreement,
            &engine,
            &scenario,
            seed,
            chunk_start,
            1.0,
        )
        .into_iter()
        .filter(|r| hour == 0 || r["type"] != "site")
        .map(|mut r| {
            if r["type"] != "site" {
                r["id"] = format!("h{hour}-{}", r["id"].as_str().unwrap_or("")).into();
            }
            r
        })
        .collect();
        records.reverse();
        let mut pending: Vec<Observation> = Vec::new();
        let mut obs = scenario.observations.into_iter().peekable();
        while obs.peek().is_some() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let now_sim = start
                + jiff::SignedDuration::from_secs_f64(real_start.elapsed().as_secs_f64() * speed);
            while let Some(v) = obs.peek() {
                let t: jiff::Timestamp = v["time"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(start);
                if t > now_sim {
                    break;
                }
                let v = obs.next().expect("peeked");
                match parse(&serde_json::to_vec(&v).expect("JSON"), &state.service.vocab) {
                    Ok(o) => pending.push(o),
                    Err(e) => {
                        tracing::warn!(error = %e, "demo: a simulated observation was refused")
                    }
                }
            }
            let mut due = Vec::new();
            while records.last().is_some_and(|r| {
                r["time"]
                    .as_str()
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                    .is_none_or(|t| t <= now_sim)
            }) {
                let r = records.pop().expect("checked");
                match truceline_records::parse_value(r, &state.service.vocab) {
                    Ok(r) => due.push(r),
                    Err(e) => tracing::warn!(error = %e, "demo: a simulated record was refused"),
                }
            }
            if !due.is_empty()
                && let Err(e) = state.service.submit_records(&Caller::Open, &due)
            {
                tracing::warn!(error = %e, "demo: records write failed");
            }
            if !pending.is_empty() {
                let n = pending.len();
                match state
                    .service
                    .submit_blocking(&Caller::Open, &std::mem::take(&mut pending))
                {
                    Ok(outcomes) => {
                        let new = outcomes
                            .iter()
                            .filter(|o| matches!(o, Outcome::Accepted { .. }))
                            .count();
                        state.metrics.count("accepted", new);
                        state.metrics.count("duplicate", n - new);
                    }
                    Err(e) => tracing::warn!(error = %e, "demo: feed write failed"),
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        hour += 1;
    }
}

/// Simulated Black Sea traffic (`ais simulate`'s, illustrative) fed to the maritime picture as a
/// receiver network would deliver it, each sentence when the accelerated clock reaches its time:
/// a day of 40 ordinary vessels and the shadow fleet's tankers at a time, a new day's traffic
/// (new vessels) after each.
fn feed_ais(
    state: &truceline_server::AppState,
    seed: u64,
    speed: f64,
    start: jiff::Timestamp,
    stop: &AtomicBool,
) {
    let real_start = Instant::now();
    let mut day = 0u64;
    // Each day's listed vessels added to the list the picture matches against.
    let mut list = String::new();
    while !stop.load(Ordering::Relaxed) {
        let cfg = truceline_maritime::simulate::SimConfig {
            seed: seed.wrapping_mul(1_000).wrapping_add(day),
            hours: 24.0,
            vessels: 40,
            start_s: start.as_second() + day as i64 * 86_400,
            ..Default::default()
        };
        let mut lines: Vec<(i64, String)> = Vec::new();
        let sim =
            truceline_maritime::simulate::simulate(&cfg, |t, l| lines.push((t, l.to_string())));
        tracing::info!(
            day,
            sentences = lines.len(),
            "demo: a simulated day at sea drawn"
        );
        let rows = sim
            .sanctions_csv
            .split_once('\n')
            .map_or("", |(_, rows)| rows);
        if list.is_empty() {
            list = sim.sanctions_csv.clone();
        } else {
            list.push_str(rows);
        }
        match truceline_maritime::sanctions::List::parse(list.as_bytes()) {
            Ok(l) => state.service.maritime.set_list(l),
            Err(e) => tracing::warn!(error = %e, "demo: the simulated list was refused"),
        }
        let mut next = lines.into_iter().peekable();
        while next.peek().is_some() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let now = start.as_second() as f64 + real_start.elapsed().as_secs_f64() * speed;
            let mut batch = String::new();
            while let Some((t, _)) = next.peek() {
                if *t as f64 > now {
                    break;
                }
                batch.push_str(&next.next().expect("peeked").1);
                batch.push('\n');
            }
            if !batch.is_empty()
                && let Err(error) = state.service.take_ais("demo", &batch)
            {
                tracing::warn!(%error, "demo: behaviours at sea not logged");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        day += 1;
    }
}
