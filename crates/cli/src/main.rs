//! `truceline`: the command line of the Truceline ceasefire-monitoring system.

mod agreement_cmd;
mod ais_cmd;
mod demo_cmd;
mod evidence_cmd;
mod fuse_cmd;
mod import_cmd;
mod log_cmd;
mod report_cmd;
mod serve_cmd;
mod simulate_cmd;
mod users_cmd;
mod zones_cmd;

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

// Fusion, assessment and the server make and drop many small allocations (incidents as JSON,
// measurements, members); glibc's allocator took a sixth of `truceline fuse`'s instructions.
// Built without transparent huge pages (`no_thp`): with them the kernel zeroed 2 MB pages on
// first touch, a third of `truceline fuse`'s time, and mimalloc was slower than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "truceline",
    version,
    about = "Ceasefire monitoring: the agreement as data, observations fused into incidents, a verifiable log",
    long_about = "Truceline holds a ceasefire agreement as data (the line of contact, each party's area, \
weapon withdrawal distances, buffer zone and disengagement areas) and judges what monitors observe against it.\n\n\
Every command takes --help. Where a file is named, '-' means standard input or output."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with agreement files: check one and print its summary.
    #[command(subcommand)]
    Agreement(agreement_cmd::AgreementCommand),
    /// Classify points against an agreement's zones, or export the zones for a map.
    #[command(subcommand)]
    Zones(zones_cmd::ZonesCommand),
    /// Run the live demonstration: the illustrative agreement, an embedded store and a simulated
    /// scenario fed in at an accelerated clock, served over HTTP.
    Demo(demo_cmd::DemoArgs),
    /// Serve the HTTP API for an agreement from a data directory.
    Serve(Box<serve_cmd::ServeArgs>),
    /// Draw a synthetic scenario: ground-truth events and the observations a monitor network
    /// would make of them.
    Simulate(simulate_cmd::SimulateArgs),
    /// Import observations (NDJSON, GeoJSON or CSV) into a data directory or a running server.
    Import(import_cmd::ImportArgs),
    /// Fuse observations into incidents: one event, one incident, located with its error ellipse.
    Fuse(fuse_cmd::FuseArgs),
    /// The evidence log: read its signed checkpoint, prove a record or the log's growth, verify
    /// a whole store.
    #[command(subcommand)]
    Log(log_cmd::LogCommand),
    /// The daily report: HTML, JSON, CSV or GeoJSON, public or restricted.
    Report(report_cmd::ReportArgs),
    /// Keys that sign observations or cosign checkpoints: generate them, register them.
    #[command(subcommand)]
    Keys(log_cmd::KeysCommand),
    /// Act as a witness: check the log's new checkpoint is consistent with the last one seen,
    /// and only then cosign it.
    Witness(log_cmd::WitnessArgs),
    /// The accounts of a data directory: add, list, disable, and client certificates for TAK
    /// devices.
    #[command(subcommand)]
    Users(users_cmd::UsersCommand),
    /// API tokens: issue (shown once), revoke, list.
    #[command(subcommand)]
    Tokens(users_cmd::TokensCommand),
    /// The audit trail: every write, every read of restricted data and every refusal, as kept
    /// in the evidence log.
    Audit(users_cmd::AuditArgs),
    /// The sea: decode AIS.
    #[command(subcommand)]
    Ais(ais_cmd::AisCommand),
    /// Evidence a party can check without learning who observed (SPEC 4.2).
    #[command(subcommand)]
    Evidence(evidence_cmd::EvidenceCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Agreement(c) => c.run(),
        Command::Zones(c) => c.run(),
        Command::Demo(c) => c.run(),
        Command::Serve(c) => c.run(),
        Command::Simulate(c) => c.run(),
        Command::Import(c) => c.run(),
        Command::Fuse(c) => c.run(),
        Command::Log(c) => c.run(),
        Command::Report(c) => c.run(),
        Command::Keys(c) => c.run(),
        Command::Witness(c) => c.run(),
        Command::Users(c) => c.run(),
        Command::Tokens(c) => c.run(),
        Command::Audit(c) => c.run(),
        Command::Ais(c) => c.run(),
        Command::Evidence(c) => c.run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line a problem: the chain of causes joined, as the spec asks.
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Reads an agreement's geometry files relative to its folder.
pub(crate) struct DirFiles {
    base: PathBuf,
}

impl truceline_agreement::Files for DirFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.base.join(path)).map_err(|e| e.to_string())
    }
    fn display_name(&self, path: &str) -> String {
        self.base.join(path).display().to_string()
    }
}

/// Reads like [`DirFiles`] and keeps what it read, so an agreement can be stored with every file
/// it was built from.
pub(crate) struct RecordingFiles {
    inner: DirFiles,
    pub read: std::cell::RefCell<Vec<(String, String)>>,
}

impl truceline_agreement::Files for RecordingFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        let text = self.inner.read(path)?;
        self.read
            .borrow_mut()
            .push((path.to_string(), text.clone()));
        Ok(text)
    }
    fn display_name(&self, path: &str) -> String {
        self.inner.display_name(path)
    }
}

/// Loads a valid agreement with every file it was built from, ready to store.
pub(crate) fn agreement_with_files(
    file: &Path,
) -> anyhow::Result<(
    truceline_agreement::Agreement,
    truceline_store::StoredAgreement,
)> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read agreement file {}", file.display()))?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = RecordingFiles {
        inner: DirFiles { base },
        read: Default::default(),
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "agreement.toml".into());
    let agreement = truceline_agreement::load(&file.display().to_string(), &text, &files)
        .map_err(|d| invalid_agreement(file, &d))?;
    let mut all = vec![(name.clone(), text)];
    all.extend(files.read.into_inner());
    let stored = truceline_store::StoredAgreement {
        version: 0,
        agreement_id: agreement.id.clone(),
        toml_name: name,
        files: all,
    };
    Ok((agreement, stored))
}

/// Rebuilds an agreement from the files a store holds.
pub(crate) fn agreement_from_stored(
    s: &truceline_store::StoredAgreement,
) -> anyhow::Result<truceline_agreement::Agreement> {
    let files = truceline_agreement::MemoryFiles(s.files.iter().cloned().collect());
    let toml = files
        .0
        .get(&s.toml_name)
        .with_context(|| format!("the stored agreement lacks its file {}", s.toml_name))?;
    truceline_agreement::load(&s.toml_name, toml, &files)
        .map_err(|d| invalid_agreement(Path::new(&s.toml_name), &d))
}

fn invalid_agreement(file: &Path, d: &truceline_agreement::Diagnostics) -> anyhow::Error {
    anyhow::anyhow!(
        "the agreement {} is not valid (run `truceline agreement check {}`): {}",
        file.display(),
        file.display(),
        d.iter().next().map(|d| d.to_string()).unwrap_or_default()
    )
}

/// The party and weapon ids observations may name under an agreement.
pub(crate) fn vocabulary(a: &truceline_agreement::Agreement) -> truceline_observation::Vocabulary {
    truceline_service::vocabulary(a)
}

/// Structured logs on standard error; `RUST_LOG` filters (default `info`), `json` for machines.
pub(crate) fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .with_writer(io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Loads and checks an agreement from disk (or standard input with `-`, geometry then relative to
/// the working directory). `Err` holds every located problem, one a line.
pub(crate) fn load_agreement(
    file: &Path,
) -> anyhow::Result<Result<truceline_agreement::Agreement, truceline_agreement::Diagnostics>> {
    let (name, text, base) = if file == Path::new("-") {
        let mut s = String::new();
        io::stdin()
            .read_to_string(&mut s)
            .context("reading the agreement from standard input")?;
        ("<stdin>".to_string(), s, PathBuf::new())
    } else {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read agreement file {}", file.display()))?;
        let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
        (file.display().to_string(), text, base)
    };
    Ok(truceline_agreement::load(&name, &text, &DirFiles { base }))
}

/// Loads an agreement that must be valid; its problems become one error.
pub(crate) fn require_agreement(file: &Path) -> anyhow::Result<truceline_agreement::Agreement> {
    load_agreement(file)?.map_err(|d| invalid_agreement(file, &d))
}

pub(crate) fn open_in(path: Option<&Path>) -> anyhow::Result<Box<dyn BufRead>> {
    Ok(match path {
        None => Box::new(BufReader::new(io::stdin())),
        Some(p) if p == Path::new("-") => Box::new(BufReader::new(io::stdin())),
        Some(p) => Box::new(BufReader::new(
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        )),
    })
}

pub(crate) fn open_out(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        None => Box::new(BufWriter::new(io::stdout())),
        Some(p) if p == Path::new("-") => Box::new(BufWriter::new(io::stdout())),
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
    })
}

/// Where a command's store is: `--data DIR` for the embedded store, or `--store URL` for the
/// shared one.
#[derive(clap::Args, Clone)]
#[group(required = true, multiple = true)]
pub struct StoreArgs {
    /// The data directory: the embedded store's, or with `--store` the one that holds this
    /// machine's keys (the log's signing key, the certificate authority).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The shared store instead of the embedded one: `postgres://user@host:port/db`
    /// (`?schema=NAME` for a schema other than `truceline`).
    #[arg(long)]
    pub store: Option<String>,
}

impl StoreArgs {
    pub fn location(&self) -> anyhow::Result<truceline_store::Location> {
        Ok(truceline_store::Location::parse(
            self.data.as_deref().unwrap_or(std::path::Path::new(".")),
            self.store.as_deref(),
        )?)
    }

    /// Opens the store for writing, making it if there is none yet: the first account comes
    /// before the first `serve`.
    pub fn open(&self) -> anyhow::Result<std::sync::Arc<dyn truceline_store::Store>> {
        let at = self.location()?;
        at.open(std::sync::Arc::new(|_| {}))
            .with_context(|| format!("cannot open the store in {at}"))
    }

    /// Opens the store for reading, beside a server that may be writing it.
    pub fn open_read_only(&self) -> anyhow::Result<std::sync::Arc<dyn truceline_store::Store>> {
        let at = self.location()?;
        at.open_read_only()
            .with_context(|| format!("cannot open the store in {at}"))
    }

    /// The directory of this machine's keys: `--data`, required beside a shared store for a
    /// command that signs or verifies with them.
    pub fn keys_dir(&self) -> anyhow::Result<&std::path::Path> {
        self.data.as_deref().ok_or_else(|| {
            anyhow::anyhow!(
                "--data: the directory that holds the log's keys (the server's --data) is needed beside --store"
            )
        })
    }

    /// How the store was named, for the next command a message suggests.
    pub fn flag(&self) -> String {
        match (&self.data, &self.store) {
            (Some(d), None) => format!("--data {}", d.display()),
            _ => "--store URL".into(),
        }
    }
}
