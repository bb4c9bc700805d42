//! `truceline keys`, `truceline log` and `truceline witness`: the evidence log from outside.
//!
//! Everything here checks what it is told: a checkpoint is opened with the log's key, a proof is
//! verified against the checkpoint's root, and a witness cosigns only what is consistent with
//! what it cosigned before.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use truceline_log::checkpoint::{self, SignedCheckpoint};
use truceline_log::note::{Algorithm, Verifier};
use truceline_log::{Hash, leaf_hash, verify_consistency, verify_inclusion};
use truceline_service::keys::{self as evidence, KEYS_DIR, LOG_PUB_FILE};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate a key pair: NAME.key (private, keep it on the device) and NAME.pub (the verifier
    /// key to register with the log).
    Generate {
        /// The key's name: what observations give as `key_id`, or the witness's name.
        #[arg(long)]
        name: String,
        /// A witness's cosigning key rather than a monitor's or device's signing key.
        #[arg(long)]
        witness: bool,
        /// Folder to write the two files into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Register verifier keys (.pub files) with a data directory's key registry.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Replace the log's signing key, announcing the change in the log itself: a `key_rotation`
    /// record, and a handover checkpoint signed by both keys, which anyone who trusts the old
    /// key follows (`log verify`, the verifiers, the dashboard). The server must be stopped.
    /// Prints the new verifier key; give it to the witnesses, which pin the log's key.
    Rotate {
        #[arg(long)]
        data: PathBuf,
        /// The log's signing key file, when not the data directory's `log.key`.
        #[arg(long)]
        log_key: Option<PathBuf>,
    },
}

impl KeysCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            KeysCommand::Generate { name, witness, out } => {
                let alg = if witness {
                    Algorithm::Cosignature
                } else {
                    Algorithm::Ed25519
                };
                let signer = evidence::generate_key(&name, alg).with_context(|| "--name")?;
                std::fs::create_dir_all(&out)?;
                let file = name.replace('/', "_");
                let key = out.join(format!("{file}.key"));
                evidence::write_private_key(&key, &signer)?;
                let public = out.join(format!("{file}.pub"));
                std::fs::write(&public, format!("{}\n", signer.verifier().encode()))?;
                eprintln!(
                    "private key: {} (keep it secret)\nverifier key: {}",
                    key.display(),
                    public.display()
                );
                println!("{}", signer.verifier().encode());
            }
            KeysCommand::Rotate { data, log_key } => {
                if !data.join(truceline_store::DB_FILE).exists() {
                    bail!("{}: no store here", data.display());
                }
                let store = truceline_store::SqliteStore::open(&data)
                    .with_context(|| format!("cannot open the store in {}", data.display()))?;
                let r = evidence::rotate_log_key(
                    &data,
                    log_key.as_deref(),
                    &store,
                    "cli",
                    jiff::Timestamp::now(),
                )?;
                eprintln!(
                    "rotated the log's key: announced at leaf {}, handed over in the checkpoint of size {}\nold: {}\nnew: {}",
                    r.log_index, r.size, r.old, r.new
                );
                println!("{}", r.new);
            }
            KeysCommand::Add { data, files } => {
                let dir = data.join(KEYS_DIR);
                std::fs::create_dir_all(&dir)?;
                for f in files {
                    let v = verifier_file(&f)?;
                    let dest = dir.join(format!("{}.pub", v.name().replace('/', "_")));
                    std::fs::write(&dest, format!("{}\n", v.encode()))?;
                    let role = match v.algorithm() {
                        Algorithm::Ed25519 => "monitor/device signing key",
                        Algorithm::Cosignature => "witness cosigning key",
                    };
                    println!("registered {} ({role})", v.name());
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print the log's latest signed checkpoint, after checking its signature.
    Checkpoint(SourceArgs),
    /// Prove that a record is in the log (--index or --id), or that the log only grew since an
    /// earlier size (--from); prints the proof and checks it against the signed checkpoint.
    Prove {
        #[command(flatten)]
        source: SourceArgs,
        /// The record's log index.
        #[arg(long, conflicts_with_all = ["id", "from"])]
        index: Option<u64>,
        /// An observation's id (its log index is looked up).
        #[arg(long, conflicts_with = "from")]
        id: Option<String>,
        /// An earlier tree size to prove consistency from. It must be a size at which the log
        /// signed a checkpoint (the server signs one within a second each time the log grows;
        /// `truceline log checkpoint` prints the latest), so that the proof ends at a signed root.
        #[arg(long)]
        from: Option<u64>,
    },
    /// Recompute the whole log from the stored records and name the first that differs.
    Verify {
        /// The store (its `log.pub` is read from `--data`, the server's keys beside `--store`).
        #[command(flatten)]
        at: crate::StoreArgs,
    },
}

#[derive(Args)]
pub struct SourceArgs {
    /// A running server.
    #[arg(long, conflicts_with_all = ["data", "store"], required_unless_present_any = ["data", "store"])]
    server: Option<String>,
    /// A data directory (with --store, the one that holds the log's `log.pub`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The shared store: `postgres://user@host:port/db[?schema=NAME]`.
    #[arg(long)]
    store: Option<String>,
    /// The account's API token for the server (`truceline tokens issue`); also read from
    /// TRUCELINE_TOKEN.
    #[arg(long, env = "TRUCELINE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The log's verifier key file; by default the server's `/log/key` (trust on first use) or
    /// the data directory's `log.pub`.
    #[arg(long)]
    log_key: Option<PathBuf>,
}

/// Where the log is read from.
enum Source {
    Server { agent: Client, base: String },
    Data(std::sync::Arc<dyn truceline_store::Store>, PathBuf),
}

/// An HTTP client that sends the account's token, if given, with every request.
pub(crate) struct Client {
    agent: ureq::Agent,
    token: Option<String>,
}

impl Client {
    pub(crate) fn new(token: Option<String>) -> Client {
        Client {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            token,
        }
    }

    pub(crate) fn get(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let r = self.agent.get(url);
        match &self.token {
            Some(t) => r.header("Authorization", format!("Bearer {t}")),
            None => r,
        }
    }

    pub(crate) fn post(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let r = self.agent.post(url);
        match &self.token {
            Some(t) => r.header("Authorization", format!("Bearer {t}")),
            None => r,
        }
    }
}

/// A verifier key from its file (`NAME.pub`, as `keys generate` writes it).
pub(crate) fn verifier_file(f: &Path) -> anyhow::Result<Verifier> {
    let text =
        std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
    Verifier::parse(&text).with_context(|| f.display().to_string())
}

pub(crate) fn http_get(agent: &Client, url: &str) -> anyhow::Result<String> {
    let mut resp = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    if status != 200 {
        let msg = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or(text);
        bail!("{url}: HTTP {status}: {msg}");
    }
    Ok(text)
}

fn hashes(v: &Value) -> anyhow::Result<Vec<Hash>> {
    v["hashes"]
        .as_array()
        .ok_or_else(|| anyhow!("the proof has no `hashes`"))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(|s| B64.decode(s).ok())
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
                .ok_or_else(|| anyhow!("a proof hash is not base64 of 32 bytes"))
        })
        .collect()
}

impl Source {
    fn open(a: &SourceArgs) -> anyhow::Result<Source> {
        Ok(match (&a.server, &a.data, &a.store) {
            (Some(url), ..) => Source::Server {
                agent: Client::new(a.token.clone()),
                base: format!("{}/api/v1/log", url.trim_end_matches('/')),
            },
            // Reading needs no writer: beside a running server the store is read as it stands.
            (None, data, store @ Some(_)) | (None, data @ Some(_), store) => {
                let dir = data.clone().unwrap_or_else(|| PathBuf::from("."));
                let at = truceline_store::Location::parse(&dir, store.as_deref())?;
                Source::Data(
                    at.open_read_only()
                        .with_context(|| format!("cannot open the store in {at}"))?,
                    dir,
                )
            }
            (None, None, None) => bail!("give --server URL, --data DIR or --store URL"),
        })
    }

    fn key(&self, given: Option<&Path>) -> anyhow::Result<Verifier> {
        let text = match (given, self) {
            (Some(f), _) => std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?,
            (None, Source::Server { agent, base }) => http_get(agent, &format!("{base}/key"))?,
            (None, Source::Data(_, dir)) => {
                let f = dir.join(LOG_PUB_FILE);
                std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?
            }
        };
        Verifier::parse(&text).context("the log's verifier key")
    }

    fn checkpoint(&self, size: Option<u64>, key: &Verifier) -> anyhow::Result<SignedCheckpoint> {
        let note = match self {
            Source::Server { agent, base } => http_get(
                agent,
                &match size {
                    Some(s) => format!("{base}/checkpoint?size={s}"),
                    None => format!("{base}/checkpoint"),
                },
            )?,
            Source::Data(store, _) => match size {
                Some(s) => store.checkpoint_at(s)?,
                None => store.latest_checkpoint()?.map(|(_, n)| n),
            }
            .ok_or_else(|| anyhow!("the store holds no such checkpoint"))?,
        };
        checkpoint::open(&note, key).context("the checkpoint")
    }

    fn inclusion(&self, index: u64, size: u64) -> anyhow::Result<Vec<Hash>> {
        match self {
            Source::Server { agent, base } => hashes(&serde_json::from_str(&http_get(
                agent,
                &format!("{base}/proof/inclusion?index={index}&size={size}"),
            )?)?),
            Source::Data(store, _) => Ok(store.inclusion_proof(index, size)?),
        }
    }

    fn consistency(&self, from: u64, to: u64) -> anyhow::Result<Vec<Hash>> {
        match self {
            Source::Server { agent, base } => hashes(&serde_json::from_str(&http_get(
                agent,
                &format!("{base}/proof/consistency?from={from}&to={to}"),
            )?)?),
            Source::Data(store, _) => Ok(store.consistency_proof(from, to)?),
        }
    }

    fn entry(&self, index: u64) -> anyhow::Result<Vec<u8>> {
        match self {
            Source::Server { agent, base } => {
                let v: Value = serde_json::from_str(&http_get(
                    agent,
                    &format!("{base}/entries?start={index}&end={}", index + 1),
                )?)?;
                v["entries"][0]
                    .as_str()
                    .and_then(|s| B64.decode(s).ok())
                    .ok_or_else(|| anyhow!("the log returned no entry {index}"))
            }
            Source::Data(store, _) => Ok(store.log_entries(index, index + 1)?.remove(0)),
        }
    }

    fn index_of(&self, id: &str) -> anyhow::Result<u64> {
        match self {
            Source::Server { agent, base } => {
                let url = base.replace("/api/v1/log", &format!("/api/v1/observations/{id}"));
                let v: Value = serde_json::from_str(&http_get(agent, &url)?)?;
                v["log_index"]
                    .as_u64()
                    .ok_or_else(|| anyhow!("no log index for {id:?}"))
            }
            Source::Data(store, _) => Ok(store
                .get(id)?
                .ok_or_else(|| anyhow!("no observation has id {id:?}"))?
                .log_index),
        }
    }
}

impl LogCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            LogCommand::Checkpoint(a) => {
                let src = Source::open(&a)?;
                let key = src.key(a.log_key.as_deref())?;
                let cp = src.checkpoint(None, &key)?;
                print!("{}", cp.to_note());
                eprintln!("signature verified with {}", key.encode());
            }
            LogCommand::Prove {
                source,
                index,
                id,
                from,
            } => {
                let src = Source::open(&source)?;
                let key = src.key(source.log_key.as_deref())?;
                let cp = src.checkpoint(None, &key)?;
                let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
                if let Some(from) = from {
                    let old = src.checkpoint(Some(from), &key)?;
                    let proof = src.consistency(from, size)?;
                    verify_consistency(from, size, &old.checkpoint.root, &root, &proof)
                        .with_context(|| format!("the log at size {size} is not consistent with its checkpoint at size {from}"))?;
                    println!(
                        "{}",
                        json!({
                            "from": from, "to": size,
                            "hashes": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
                            "verified": true,
                        })
                    );
                    eprintln!(
                        "consistent: the log of {size} leaves extends its signed checkpoint of {from}"
                    );
                } else {
                    let index = match (index, &id) {
                        (Some(i), _) => i,
                        (None, Some(id)) => src.index_of(id)?,
                        (None, None) => bail!("give --index N, --id ID or --from SIZE"),
                    };
                    let leaf = src.entry(index)?;
                    let proof = src.inclusion(index, size)?;
                    verify_inclusion(index, size, &leaf_hash(&leaf), &proof, &root).with_context(
                        || format!("leaf {index} is not proved in the checkpoint of size {size}"),
                    )?;
                    println!(
                        "{}",
                        json!({
                            "index": index, "size": size,
                            "leaf": String::from_utf8_lossy(&leaf),
                            "hashes": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
                            "checkpoint": cp.to_note(),
                            "verified": true,
                        })
                    );
                    eprintln!("included: leaf {index} is in the signed checkpoint of size {size}");
                }
            }
            LogCommand::Verify { at } => {
                let loc = at.location()?;
                if let truceline_store::Location::Dir(d) = &loc
                    && !d.join(truceline_store::DB_FILE).exists()
                {
                    bail!("{}: no store here", d.display());
                }
                let key = match &at.data {
                    Some(d) => std::fs::read_to_string(d.join(LOG_PUB_FILE))
                        .ok()
                        .map(|t| Verifier::parse(&t))
                        .transpose()
                        .context("the data directory's log.pub")?,
                    None => None,
                };
                let r = loc
                    .verify_log(key.as_ref())
                    .with_context(|| format!("cannot verify the store in {loc}"))?;
                match r.problem {
                    None => {
                        println!(
                            "log verified: {} leaves recomputed from their records, root {}, {} signed checkpoint(s) matched",
                            r.size,
                            B64.encode(r.root),
                            r.checkpoints
                        );
                        for (key, from) in r.keys.iter().skip(1) {
                            println!("the log's key was rotated at size {from} to {key}");
                        }
                    }
                    Some(p) => {
                        eprintln!("error: {p}");
                        return Ok(ExitCode::from(1));
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Args)]
pub struct WitnessArgs {
    /// The log's server (pull: fetch its checkpoint, post the cosignature back).
    #[arg(long, required_unless_present = "listen", conflicts_with = "listen")]
    log: Option<String>,
    /// Run as a C2SP tlog-witness server on this address instead: logs push their checkpoints
    /// to `POST /add-checkpoint` (`serve --witness URL=VKEY`). Needs --log-key for each log
    /// it follows.
    #[arg(long, requires = "log_key")]
    listen: Option<std::net::SocketAddr>,
    /// The witness's cosigning key (from `truceline keys generate --witness`).
    #[arg(long)]
    key: PathBuf,
    /// What this witness has seen: created on first use, updated after each cosignature.
    #[arg(long)]
    state: PathBuf,
    /// The log's verifier key file; by default pinned from the log on first use. With
    /// --listen, one for each log followed.
    #[arg(long)]
    log_key: Vec<PathBuf>,
    /// Keep watching, a round every this many seconds (default: one round).
    #[arg(long)]
    every: Option<u64>,
    /// The witness account's API token, for posting cosignatures (`truceline tokens issue`);
    /// also read from TRUCELINE_TOKEN.
    #[arg(long, env = "TRUCELINE_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl WitnessArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let signer = truceline_log::note::Signer::parse(
            &std::fs::read_to_string(&self.key)
                .with_context(|| format!("cannot read {}", self.key.display()))?,
        )
        .with_context(|| self.key.display().to_string())?;
        if signer.verifier().algorithm() != Algorithm::Cosignature {
            bail!(
                "{}: not a witness key; make one with `truceline keys generate --witness`",
                self.key.display()
            );
        }
        if let Some(addr) = self.listen {
            return self.listen(addr, signer);
        }
        loop {
            match self.round(&signer) {
                Ok(msg) => println!("{msg}"),
                Err(e) => {
                    eprintln!("refused: {e:#}");
                    return Ok(ExitCode::from(1));
                }
            }
            match self.every {
                Some(s) => std::thread::sleep(std::time::Duration::from_secs(s)),
                None => return Ok(ExitCode::SUCCESS),
            }
        }
    }

    /// Serves C2SP tlog-witness until Ctrl-C or SIGTERM.
    fn listen(
        &self,
        addr: std::net::SocketAddr,
        signer: truceline_log::note::Signer,
    ) -> anyhow::Result<ExitCode> {
        let logs = self
            .log_key
            .iter()
            .map(|f| verifier_file(f))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let w = truceline_server::witness::WitnessServer::open(signer, logs, self.state.clone())
            .with_context(|| format!("witness state {}", self.state.display()))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            println!("witness listening on http://{}", listener.local_addr()?);
            truceline_server::witness::serve(listener, w).await?;
            anyhow::Ok(())
        })?;
        Ok(ExitCode::SUCCESS)
    }

    fn round(&self, signer: &truceline_log::note::Signer) -> anyhow::Result<String> {
        let agent = Client::new(self.token.clone());
        let log = self
            .log
            .as_deref()
            .expect("clap requires --log without --listen");
        let base = format!("{}/api/v1/log", log.trim_end_matches('/'));
        let state: Value = match std::fs::read_to_string(&self.state) {
            Ok(t) => serde_json::from_str(&t)
                .with_context(|| format!("{}: not a witness state file", self.state.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.state.display()));
            }
        };
        let served_key = http_get(&agent, &format!("{base}/key"))?;
        let pinned = match (self.log_key.first(), state["log_key"].as_str()) {
            (Some(f), _) => std::fs::read_to_string(f)?,
            (None, Some(k)) => k.to_string(),
            (None, None) => served_key.clone(),
        };
        let key = Verifier::parse(&pinned).context("the log's verifier key")?;
        if Verifier::parse(&served_key).ok().as_ref() != Some(&key) {
            bail!(
                "the log now serves another key ({}) than the one this witness follows ({})",
                served_key.trim(),
                key.encode()
            );
        }
        let note = http_get(&agent, &format!("{base}/checkpoint"))?;
        let cp = checkpoint::open(&note, &key).context("the log's checkpoint")?;
        let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
        let seen_size = state["size"].as_u64();
        let seen_root: Option<Hash> = state["root"]
            .as_str()
            .and_then(|s| B64.decode(s).ok())
            .and_then(|b| b.try_into().ok());
        let why = match (seen_size, seen_root) {
            (Some(old), Some(_)) if size < old => Some(format!(
                "the log shrank: its checkpoint has {size} leaves, this witness cosigned {old}"
            )),
            (Some(old), Some(old_root)) if old == size && old_root != root => Some(format!(
                "the log forked: its checkpoint at size {size} has root {}, this witness cosigned root {} at that size",
                B64.encode(root),
                B64.encode(old_root)
            )),
            (Some(old), Some(old_root)) if old > 0 && old < size => {
                let proof = http_get(
                    &agent,
                    &format!("{base}/proof/consistency?from={old}&to={size}"),
                )
                .and_then(|t| hashes(&serde_json::from_str(&t)?));
                match proof.map(|p| verify_consistency(old, size, &old_root, &root, &p)) {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(format!(
                        "the log rewrote its history: its checkpoint at size {size} is not consistent with the checkpoint at size {old} this witness cosigned ({e})"
                    )),
                    Err(e) => Some(format!(
                        "no consistency proof from size {old} to {size}: {e:#}"
                    )),
                }
            }
            _ => None,
        };
        if let Some(why) = why {
            bail!("{why}; not cosigning");
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let line = cp.cosign(signer, now);
        let cosigned = format!("{}{line}", cp.to_note());
        // What the witness has verified is recorded before it is sent: a crash between the two
        // never lets it cosign an inconsistent successor later.
        let new_state = json!({
            "log_key": key.encode(), "origin": cp.checkpoint.origin,
            "size": size, "root": B64.encode(root), "checkpoint": cosigned,
        });
        let tmp = self.state.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&new_state)?)?;
        std::fs::rename(&tmp, &self.state)?;
        let mut resp = agent
            .post(&format!("{base}/cosignature"))
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(cosigned.as_bytes())
            .with_context(|| format!("cannot reach {base}"))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if status != 200 {
            bail!("the log did not take the cosignature (HTTP {status}): {text}");
        }
        Ok(match seen_size {
            Some(old) if old > 0 => format!(
                "cosigned {} at size {size}: consistent with size {old} cosigned before",
                cp.checkpoint.origin
            ),
            _ => format!(
                "cosigned {} at size {size} (first checkpoint seen)",
                cp.checkpoint.origin
            ),
        })
    }
}
