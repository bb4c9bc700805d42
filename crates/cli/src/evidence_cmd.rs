//! `truceline evidence verify`: checks an evidence document (SPEC 4.2) as a party would, from
//! a file or a URL, against the log's key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use truceline_log::note::Verifier;

use crate::log_cmd::{Client, http_get, verifier_file};

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence document: the checkpoint's signature, each committed form's
    /// inclusion under it, each disclosure against its committed digest. Prints what each
    /// leaf discloses and the names of the fields withheld; exits 1 naming the first failure.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The document: a file, or the URL of `/api/v1/incidents/{id}/evidence`.
    source: String,
    /// The log's verifier key file. Without one, a URL's server is asked for it (which proves
    /// only that the document agrees with that server; pin the key you trust).
    #[arg(long)]
    log_key: Option<PathBuf>,
    /// An API token for the URL; also read from TRUCELINE_TOKEN.
    #[arg(long, env = "TRUCELINE_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl EvidenceCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let EvidenceCommand::Verify(a) = self;
        let is_url = a.source.starts_with("http://") || a.source.starts_with("https://");
        let client = Client::new(a.token.clone());
        let text = if is_url {
            http_get(&client, &a.source)?
        } else {
            std::fs::read_to_string(&a.source)
                .with_context(|| format!("cannot read {}", a.source))?
        };
        let base = a
            .source
            .split("/api/v1/")
            .next()
            .unwrap_or(&a.source)
            .to_string();
        let key = match (&a.log_key, is_url) {
            // A key trusted earlier leads to the one that signed, through the rotations the
            // log announced.
            (Some(f), true) => {
                let trusted = verifier_file(f)?;
                let served: truceline_log::rotation::KeyChain =
                    serde_json::from_str(&http_get(&client, &format!("{base}/api/v1/log/keys"))?)
                        .context("the log's rotations (/api/v1/log/keys)")?;
                truceline_log::rotation::follow_to(&trusted, &served.rotations)?
                    .pop()
                    .expect("one key at least")
                    .0
            }
            (Some(f), false) => verifier_file(f)?,
            (None, true) => {
                let served = http_get(&client, &format!("{base}/api/v1/log/key"))?;
                Verifier::parse(served.trim()).context("the log's verifier key")?
            }
            (None, false) => {
                bail!("--log-key: a file's evidence is checked against a key you give")
            }
        };
        let doc: truceline_disclosure::Evidence = serde_json::from_str(&text)
            .context("not an evidence document: {\"checkpoint\", \"items\": [...]}")?;
        match truceline_disclosure::verify(&doc, &key) {
            Ok((cp, shown)) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "origin": cp.checkpoint.origin,
                        "size": cp.checkpoint.size,
                        "items": shown,
                        // Named, not proved here: leaves logged before the committed form.
                        "uncommitted": doc.uncommitted,
                    }))?
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("refused: {e}");
                Ok(ExitCode::from(1))
            }
        }
    }
}
