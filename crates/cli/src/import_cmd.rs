//! `truceline import`: bulk observations and the mission's other records (told by their `type`)
//! from files into a data directory or a running server.
//!
//! Every record is tried; a bad one is refused on its own (with its file, line and field) and the
//! rest of its batch still goes in, so one typo in a day's log does not hold back the day.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use truceline_observation::{Observation, parse_value};
use truceline_service::accounts::Caller;
use truceline_service::{KeyRegistry, LogState, Service, ServiceError};
use truceline_store::Outcome;

#[derive(Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["server", "data", "store"]))]
pub struct ImportArgs {
    /// Files to import (`-` for NDJSON on standard input).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// A running server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: Option<String>,
    /// A data directory (a server may be running on it: SQLite serialises the writers); with
    /// --store, the directory of the log's keys.
    #[arg(long)]
    data: Option<PathBuf>,
    /// The shared store: `postgres://user@host:port/db[?schema=NAME]` (needs --data for the
    /// log's keys; no server may be writing to it: import through the server instead).
    #[arg(long, conflicts_with = "server", requires = "data")]
    store: Option<String>,
    /// With --server: a monitor account's API token (`truceline tokens issue`); also read from
    /// TRUCELINE_TOKEN.
    #[arg(long, env = "TRUCELINE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The agreement to check weapon and party ids against with --data (stored there as a new
    /// version if it differs; default: the one stored there).
    #[arg(long)]
    agreement: Option<PathBuf>,
    /// Input format (default: from the file extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Observations per request or transaction.
    #[arg(long, default_value_t = 5000)]
    batch: usize,
    /// Write every refused record with its reason here (NDJSON).
    #[arg(long)]
    rejects: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Ndjson,
    Geojson,
    Csv,
}

use truceline_import::Record;

#[derive(Default)]
struct Tally {
    accepted: u64,
    duplicates: u64,
    refused: Vec<(String, String, Value)>,
}

impl ImportArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::ensure!(self.batch >= 1, "--batch: expected at least 1");
        let total: u64 = self
            .files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta} {msg}",
            )
            .expect("valid template"),
        );
        let mut tally = Tally::default();
        let mut local: Option<(
            std::sync::Arc<Service>,
            std::sync::Arc<dyn truceline_store::Store>,
        )> = None;
        let mut sink: Box<Sink> = match (&self.server, &self.data) {
            (Some(url), _) => {
                let base = url.trim_end_matches('/').to_string();
                let agent = crate::log_cmd::Client::new(self.token.clone());
                Box::new(move |batch, t| {
                    let (records, observations) = split(batch);
                    send_to_server(
                        &agent,
                        &format!("{base}/api/v1/observations"),
                        observations,
                        t,
                    )?;
                    send_to_server(&agent, &format!("{base}/api/v1/records"), records, t)
                })
            }
            (None, Some(dir)) => {
                let at = truceline_store::Location::parse(dir, self.store.as_deref())?;
                let store = at
                    .open(std::sync::Arc::new(|_| {}))
                    .with_context(|| format!("cannot open the store in {at}"))?;
                let agreement = match &self.agreement {
                    Some(f) => {
                        // Stored as a version, so the directory says what its records
                        // were checked against.
                        let (agreement, stored) = crate::agreement_with_files(f)?;
                        store.put_agreement(stored)?;
                        agreement
                    }
                    None => {
                        let stored = store.latest_agreement()?.with_context(|| {
                            format!("{at} holds no agreement yet; pass --agreement FILE")
                        })?;
                        crate::agreement_from_stored(&stored)?
                    }
                };
                // The same door as the server's: signatures checked against the directory's
                // key registry, and a checkpoint signed over what went in.
                let log = LogState::new(
                    truceline_service::keys::log_signer(dir, None)?,
                    KeyRegistry::open(dir),
                    store.as_ref(),
                );
                let service = std::sync::Arc::new(Service::new(store.clone(), &agreement, log)?);
                local = Some((service.clone(), store));
                Box::new(move |batch, t| store_locally(&service, batch, t))
            }
            (None, None) => bail!("give --server URL or --data DIR"),
        };
        for file in &self.files {
            let format = match self.format {
                Some(f) => f,
                None => guess_format(file)?,
            };
            let mut batch = Vec::with_capacity(self.batch);
            let mut flush = |batch: &mut Vec<Record>, t: &mut Tally| -> anyhow::Result<()> {
                let bytes: u64 = batch.iter().map(|r| r.bytes).sum();
                sink(std::mem::take(batch), t)?;
                bar.inc(bytes);
                bar.set_message(format!("{} accepted", t.accepted + t.duplicates));
                Ok(())
            };
            read_records(file, format, &mut |r: Result<Record, (String, String)>| {
                match r {
                    Ok(r) => batch.push(r),
                    Err((place, why)) => tally.refused.push((place, why, Value::Null)),
                }
                if batch.len() >= self.batch {
                    flush(&mut batch, &mut tally)?;
                }
                Ok(())
            })?;
            flush(&mut batch, &mut tally)?;
        }
        bar.finish_and_clear();
        drop(sink);
        if let Some((service, store)) = local {
            // What was imported is covered by a signed checkpoint before the command returns,
            // as a server would within a second.
            service.checkpoint_now()?;
            drop(service);
            store.close();
        }
        report(&tally, self.rejects.as_deref())?;
        Ok(if tally.refused.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

fn guess_format(file: &Path) -> anyhow::Result<Format> {
    if file == Path::new("-") {
        return Ok(Format::Ndjson);
    }
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "ndjson" | "jsonl" | "json" => Format::Ndjson,
        "geojson" => Format::Geojson,
        "csv" => Format::Csv,
        _ => bail!(
            "{}: cannot tell the format from the extension {ext:?}; expected .ndjson, .jsonl, .geojson or .csv, or pass --format",
            file.display()
        ),
    })
}

/// Where a batch of records goes: a store or a server.
type Sink = dyn FnMut(Vec<Record>, &mut Tally) -> anyhow::Result<()>;

type Emit<'a> = dyn FnMut(Result<Record, (String, String)>) -> anyhow::Result<()> + 'a;

fn read_records(file: &Path, format: Format, emit: &mut Emit) -> anyhow::Result<()> {
    let format = match format {
        Format::Ndjson => truceline_import::Format::Ndjson,
        Format::Geojson => truceline_import::Format::Geojson,
        Format::Csv => truceline_import::Format::Csv,
    };
    truceline_import::read(
        &file.display().to_string(),
        crate::open_in(Some(file))?,
        format,
        emit,
    )
}

/// The mission's other records (they have a `type`) apart from observations, each in file order.
fn split(batch: Vec<Record>) -> (Vec<Record>, Vec<Record>) {
    batch
        .into_iter()
        .partition(|r| r.value.get("type").is_some())
}

fn store_locally(service: &Service, batch: Vec<Record>, t: &mut Tally) -> anyhow::Result<()> {
    let (records, observations) = split(batch);
    // The data directory's own writer: no account stands between it and the store.
    submit_each(
        t,
        observations,
        |v| parse_value(v, &service.vocab),
        |items: &[Observation]| service.submit_blocking(&Caller::Open, items),
    )?;
    submit_each(
        t,
        records,
        |v| truceline_records::parse_value(v, &service.vocab),
        |items: &[truceline_records::Record]| service.submit_records(&Caller::Open, items),
    )
}

/// Checks each item and submits the good ones, setting aside a refused line (a conflict, a bad
/// signature) and sending the rest again: the request is all or nothing, the import is not.
fn submit_each<T: Clone>(
    t: &mut Tally,
    batch: Vec<Record>,
    parse: impl Fn(Value) -> Result<T, truceline_observation::FieldError>,
    submit: impl Fn(&[T]) -> Result<Vec<Outcome>, ServiceError>,
) -> anyhow::Result<()> {
    let mut good: Vec<(Record, T)> = Vec::with_capacity(batch.len());
    for r in batch {
        match parse(r.value.clone()) {
            Ok(o) => good.push((r, o)),
            Err(e) => t.refused.push((r.place, e.to_string(), r.value)),
        }
    }
    while !good.is_empty() {
        let items: Vec<T> = good.iter().map(|(_, o)| o.clone()).collect();
        match submit(&items) {
            Ok(outcomes) => {
                for o in outcomes {
                    match o {
                        Outcome::Accepted { .. } => t.accepted += 1,
                        Outcome::Duplicate { .. } => t.duplicates += 1,
                    }
                }
                break;
            }
            Err(ServiceError::Conflict { line, id, .. }) => {
                let (r, _) = good.remove(line - 1);
                t.refused.push((
                    r.place,
                    format!("field `id`: {id:?} is already stored with other content; the stored one is unchanged"),
                    r.value,
                ));
            }
            Err(ServiceError::NotYours { line, .. }) => {
                unreachable!("line {line}: open access binds no observer")
            }
            Err(ServiceError::Signature { line, error }) => {
                let (r, _) = good.remove(line - 1);
                t.refused.push((r.place, error.to_string(), r.value));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn send_to_server(
    agent: &crate::log_cmd::Client,
    url: &str,
    mut batch: Vec<Record>,
    t: &mut Tally,
) -> anyhow::Result<()> {
    // An empty batch is not sent: the server would refuse it as empty.
    while !batch.is_empty() {
        let mut body = Vec::new();
        for r in &batch {
            serde_json::to_writer(&mut body, &r.value)?;
            body.push(b'\n');
        }
        let mut resp = agent
            .post(url)
            .header("Content-Type", "application/x-ndjson")
            .send(&body[..])
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match status {
            200 => {
                t.accepted += answer["accepted"].as_u64().unwrap_or(0);
                t.duplicates += answer["duplicates"].as_u64().unwrap_or(0);
                return Ok(());
            }
            400 | 409 if answer["error"]["line"].as_u64().is_some() => {
                // The server names the first bad line: set it aside and send the rest again.
                let line = answer["error"]["line"].as_u64().unwrap_or(1) as usize;
                let idx = line.saturating_sub(1).min(batch.len() - 1);
                let r = batch.remove(idx);
                let msg = answer["error"]["message"].as_str().unwrap_or("refused");
                let msg = msg
                    .split_once(": ")
                    .map(|(_, rest)| rest)
                    .unwrap_or(msg)
                    .trim_end_matches("; nothing of this request was written")
                    .trim_end_matches(" and nothing of this request was written");
                t.refused.push((r.place, msg.to_string(), r.value));
            }
            413 if batch.len() > 1 => {
                let rest = batch.split_off(batch.len() / 2);
                send_to_server(agent, url, batch, t)?;
                batch = rest;
            }
            _ => bail!("{url} answered {status}: {text}"),
        }
    }
    Ok(())
}

fn report(t: &Tally, rejects: Option<&Path>) -> anyhow::Result<()> {
    eprintln!(
        "accepted {} new, {} already stored, refused {}",
        t.accepted,
        t.duplicates,
        t.refused.len()
    );
    if !t.refused.is_empty() {
        // Grouped by field, so a systematic problem (a wrong column, a unit) shows as one line.
        let mut by_field: BTreeMap<String, Vec<&(String, String, Value)>> = BTreeMap::new();
        for r in &t.refused {
            let field =
                r.1.strip_prefix("field `")
                    .and_then(|s| s.split_once('`'))
                    .map(|(f, _)| f.to_string())
                    .unwrap_or_else(|| "(record)".into());
            by_field.entry(field).or_default().push(r);
        }
        for (field, rs) in &by_field {
            eprintln!("  {} refused for {field}:", rs.len());
            for (place, why, _) in rs.iter().take(3) {
                eprintln!("    {place}: {why}");
            }
        }
    }
    if let Some(path) = rejects {
        let mut out = crate::open_out(Some(path))?;
        for (place, why, value) in &t.refused {
            serde_json::to_writer(
                &mut out,
                &json!({"place": place, "reason": why, "record": value}),
            )?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    Ok(())
}
