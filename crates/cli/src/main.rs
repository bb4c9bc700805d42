//! `truceline`: the command line of the Truceline ceasefire-monitoring system.

mod agreement_cmd;
mod zones_cmd;

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Agreement(c) => c.run(),
        Command::Zones(c) => c.run(),
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
    load_agreement(file)?.map_err(|d| {
        anyhow::anyhow!(
            "the agreement {} is not valid (run `truceline agreement check {}`): {}",
            file.display(),
            file.display(),
            d.iter().next().map(|d| d.to_string()).unwrap_or_default()
        )
    })
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
