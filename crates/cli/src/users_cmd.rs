//! `truceline users` and `truceline tokens`: the accounts of a data directory (SPEC 5).
//!
//! They write to the store, so they need its writer lock: run them while no server holds the
//! directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use truceline_service::accounts::{self, NewAccount};
use truceline_store::{AccountStore, AccountWrite, ObservationStore, SqliteStore};

pub use crate::StoreArgs as DataArgs;

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Add an account with one role: monitor, analyst, chief, liaison (of one party) or
    /// witness.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// A liaison's party: one of the agreement's party ids.
        #[arg(long)]
        party: Option<String>,
        /// The observers a monitor may submit as, as a glob (`patrol0*`); any when absent.
        #[arg(long)]
        observers: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the accounts, one a line: name, role, party or observers, and whether disabled.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set an account's password, for signing in from a browser: read from the first line of
    /// standard input (at least 12 characters), kept only as an argon2id hash.
    Passwd {
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable an account: its tokens stop working at its next request.
    Disable {
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Issue a client certificate for Cursor on Target over TLS (`serve --cot-tls-listen`)
    /// from the mission's own certificate authority (made in DATA/tls on first use), and write
    /// the data package a TAK device imports: the connection, the certificate with its key, and
    /// the authority to trust. The package holds a private key and its passphrase: hand it
    /// over as you would a password. Revoke it with `tokens revoke crt_…`.
    Cert {
        name: String,
        /// The host name or address devices reach the server at (it goes in the package, and
        /// the server's certificate must name it: `serve --cot-tls-name`).
        #[arg(long)]
        host: String,
        /// The server's TLS Cursor on Target port (`serve --cot-tls-listen`).
        #[arg(long, default_value_t = 8089)]
        port: u16,
        /// How long the certificate is valid: a number and m, h or d.
        #[arg(long, default_value = "365d")]
        valid: String,
        /// Where to write the data package (a .zip); NAME-truceline.zip if absent.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Issue an API token for an account; prints the token alone on standard output, once (only
    /// its hash is kept).
    Issue {
        name: String,
        /// How long it is valid: a number and m, h or d (`30d`); without it, until revoked.
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a token by its id (`tok_…`, as `tokens list` shows it): refused from the next
    /// request on.
    Revoke {
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List tokens (never their secrets): id, account, issued, expiry, revocation.
    List {
        /// Only this account's.
        #[arg(long)]
        account: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn time(ms: Option<i64>) -> String {
    ms.and_then(|t| jiff::Timestamp::from_millisecond(t).ok())
        .map_or("-".into(), |t| t.to_string())
}

impl UsersCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            UsersCommand::Add {
                name,
                role,
                party,
                observers,
                data,
            } => {
                let store = data.open()?;
                let parties: Vec<String> = match store.latest_agreement()? {
                    Some(stored) => crate::agreement_from_stored(&stored)?
                        .parties
                        .iter()
                        .map(|p| p.id.clone())
                        .collect(),
                    None if party.is_some() => bail!(
                        "--party: {} holds no agreement yet to name the parties; start `truceline serve --agreement FILE {}` once (after adding a chief), then add liaisons",
                        data.location()?,
                        data.flag()
                    ),
                    None => Vec::new(),
                };
                let a = accounts::add_account(
                    store.as_ref(),
                    NewAccount {
                        name,
                        role,
                        party,
                        observers,
                    },
                    &parties,
                    now_ms(),
                )
                .map_err(|e| anyhow::anyhow!("--{e}"))?;
                eprintln!(
                    "added {} ({}); issue it a token with `truceline tokens issue {} {}`",
                    a.name,
                    a.role,
                    a.name,
                    data.flag()
                );
                store.close();
            }
            UsersCommand::List { data } => {
                let store = data.open_read_only()?;
                for a in store.accounts()? {
                    let scope = a
                        .party
                        .as_deref()
                        .map(|p| format!("party {p}"))
                        .or(a.observers.as_deref().map(|o| format!("observers {o}")))
                        .unwrap_or_else(|| "-".into());
                    let state = if a.disabled { "disabled" } else { "active" };
                    println!("{}\t{}\t{scope}\t{state}", a.name, a.role);
                }
            }
            UsersCommand::Passwd { name, data } => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                let password = line.trim_end_matches(['\r', '\n']);
                let phc = accounts::hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
                let store = data.open()?;
                store.write_accounts(AccountWrite::SetPassword {
                    name: name.clone(),
                    password: phc,
                })?;
                eprintln!("{name} may now sign in from a browser");
                store.close();
            }
            UsersCommand::Disable { name, data } => {
                let store = data.open()?;
                store.write_accounts(AccountWrite::SetDisabled {
                    name: name.clone(),
                    disabled: true,
                })?;
                eprintln!("disabled {name}: its tokens are refused from now on");
                store.close();
            }
            UsersCommand::Cert {
                name,
                host,
                port,
                valid,
                out,
                data,
            } => {
                // The certificate authority is files of a data directory.
                let Some(dir) = &data.data else {
                    bail!(
                        "--data: a device certificate is issued from the data directory that holds the mission's certificate authority"
                    )
                };
                issue_certificate(&name, &host, port, &valid, out, dir)?
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `users cert`: a client certificate registered for the account and its data package.
fn issue_certificate(
    name: &str,
    host: &str,
    port: u16,
    valid: &str,
    out: Option<PathBuf>,
    data: &std::path::Path,
) -> anyhow::Result<()> {
    use truceline_service::certificates;
    let valid_ms = accounts::parse_duration_ms(valid).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("{name}-truceline.zip")));
    if out.exists() {
        bail!(
            "--out: {} exists; choose another name or remove it",
            out.display()
        );
    }
    let store = SqliteStore::open(data)
        .with_context(|| format!("cannot open the store in {}", data.display()))?;
    // Checked before the authority is made, so a mistyped name leaves nothing behind.
    if store.account(name)?.is_none() {
        bail!("no account {name}; add it first with `truceline users add`");
    }
    let ca = certificates::authority(data)?;
    let req = certificates::DeviceRequest {
        account: name.to_string(),
        host: host.to_string(),
        port,
        valid_ms,
    };
    let device = certificates::issue_device(&store, &ca, &req, now_ms())
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    if let Err(e) = certificates::write_private_file(&out, &device.zip) {
        // Nobody holds the certificate just registered: withdraw it.
        let _ = store.write_accounts(AccountWrite::Revoke {
            id: device.token.id.clone(),
            at_ms: now_ms(),
        });
        return Err(e.into());
    }
    store.close();
    eprintln!(
        "issued {} for {name}, valid until {}; data package {} (connects to {host}:{port} over TLS; it holds the private key: hand it over as a password)",
        device.token.id,
        time(Some(device.expires_ms)),
        out.display()
    );
    Ok(())
}

impl TokensCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            TokensCommand::Issue {
                name,
                expires,
                data,
            } => {
                let now = now_ms();
                let expires_ms = expires
                    .as_deref()
                    .map(accounts::parse_duration_ms)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--{e}"))?
                    .map(|d| now + d);
                let store = data.open()?;
                let (secret, token) =
                    accounts::issue_token(store.as_ref(), &name, expires_ms, now)?;
                store.close();
                let until = token
                    .expires_ms
                    .map_or_else(|| "it is revoked".to_string(), |t| time(Some(t)));
                eprintln!(
                    "issued {} for {name}, valid until {until}; it is shown once, only its hash is kept",
                    token.id
                );
                println!("{secret}");
            }
            TokensCommand::Revoke { id, data } => {
                let store = data.open()?;
                store.write_accounts(AccountWrite::Revoke {
                    id: id.clone(),
                    at_ms: now_ms(),
                })?;
                eprintln!("revoked {id}");
                store.close();
            }
            TokensCommand::List { account, data } => {
                let store = data.open_read_only()?;
                for t in store.tokens(account.as_deref())? {
                    println!(
                        "{}\t{}\tissued {}\texpires {}\trevoked {}",
                        t.id,
                        t.account,
                        time(Some(t.created_ms)),
                        time(t.expires_ms),
                        time(t.revoked_ms)
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `truceline audit --data DIR [--from T] [--to T] [--account NAME] [--json]`: the audit trail
/// kept in the evidence log, one request a line.
#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Entries at or after this RFC 3339 time.
    #[arg(long)]
    from: Option<jiff::Timestamp>,
    /// Entries before this RFC 3339 time.
    #[arg(long)]
    to: Option<jiff::Timestamp>,
    /// Entries of one account (`-` for the public).
    #[arg(long)]
    account: Option<String>,
    /// One JSON object a line instead of columns.
    #[arg(long)]
    json: bool,
}

impl AuditArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // Read-only: works beside a running server (whose last entries are kept within
        // seconds; `GET /audit` keeps them first).
        let store = self.data.open_read_only()?;
        let q = truceline_service::audit::AuditQuery {
            from_ms: self.from.map(|t| t.as_millisecond()),
            to_ms: self.to.map(|t| t.as_millisecond()),
            account: self.account,
        };
        let entries = truceline_service::audit::read_audit(store.as_ref(), &q)?;
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for e in &entries {
            if self.json {
                writeln!(out, "{}", serde_json::to_string(e)?)?;
            } else {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    e.time, e.account, e.role, e.method, e.path, e.status, e.remote
                )?;
            }
        }
        out.flush()?;
        eprintln!("{} entries", entries.len());
        Ok(ExitCode::SUCCESS)
    }
}
