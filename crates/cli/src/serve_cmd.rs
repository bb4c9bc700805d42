//! `truceline serve`: the HTTP API over a data directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use truceline_server::{AppState, Metrics};
use truceline_service::{KeyRegistry, LogState, Service};
use truceline_store::{Location, Store, StoredAgreement};

#[derive(Args)]
pub struct ServeArgs {
    /// The agreement to judge observations against (stored in the data directory as a new
    /// version when it differs from the one there).
    #[arg(long)]
    agreement: PathBuf,
    /// Data directory of the embedded store (created if missing); with `--store`, it holds only
    /// this server's keys (the log's signing key, the certificate authority).
    #[arg(long, default_value = "truceline-data")]
    data: PathBuf,
    /// The shared store instead of the embedded one: `postgres://user@host:port/db` (PostGIS
    /// needed; `?schema=NAME` for a schema other than `truceline`), or `sqlite:///path/to/dir`.
    #[arg(long)]
    store: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Largest request body accepted, bytes; larger ones get 413.
    #[arg(long, default_value_t = truceline_server::DEFAULT_MAX_BODY)]
    max_body: usize,
    /// The log's signing key (a signed-note private key); by default `log.key` in the data
    /// directory, generated on first start.
    #[arg(long)]
    log_key: Option<PathBuf>,
    /// Serve records and the evidence log only, without fusing incidents (a mirror, or a
    /// server being bulk-loaded).
    #[arg(long)]
    no_fusion: bool,
    /// Write logs as JSON lines.
    #[arg(long)]
    log_json: bool,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Refuse any observation not signed by a registered device key.
    #[arg(long)]
    require_signatures: bool,
    /// How long a party has to reply to an incident attributed to it, hours.
    #[arg(long, default_value_t = 72)]
    reply_hours: u32,
    /// Serve Cursor on Target over plain TCP on this address, for closed networks: TAK devices
    /// receive incidents there (see docs/REFERENCE.md, "Cursor on Target").
    #[arg(long)]
    cot_listen: Option<SocketAddr>,
    /// The monitor account events received on --cot-listen act as; without it the port only
    /// sends.
    #[arg(long, requires = "cot_listen")]
    cot_account: Option<String>,
    /// Federation: send incidents to this TAK server (HOST:PORT), as the public is shown them;
    /// plain TCP, or TLS with --cot-upstream-cert.
    #[arg(long)]
    cot_upstream: Option<String>,
    /// The client certificate the TAK server's administrator issued for this server: a PKCS#12
    /// bundle (`.p12`, as TAK Server writes them) or PEM with the certificate and its key. TLS
    /// to --cot-upstream then, with --cot-upstream-ca. A bundle's password is read from
    /// TRUCELINE_COT_UPSTREAM_PASSWORD (TAK Server's default `atakatak` when unset).
    #[arg(long, requires_all = ["cot_upstream", "cot_upstream_ca"])]
    cot_upstream_cert: Option<PathBuf>,
    /// The authority the TAK server's certificate must chain to: its trust store (`.p12`,
    /// under the same password) or PEM. The server's certificate must also name the host of
    /// --cot-upstream.
    #[arg(long, requires = "cot_upstream_cert")]
    cot_upstream_ca: Option<PathBuf>,
    /// Serve Cursor on Target over TLS on this address (TAK's convention, usually port 8089):
    /// each device presents the client certificate `truceline users cert` issued it and acts
    /// as that account. The server's certificate is issued at start by the mission's authority
    /// in DATA/tls.
    #[arg(long)]
    cot_tls_listen: Option<SocketAddr>,
    /// A host name or address devices reach the TLS port at, for the server's certificate (as
    /// many as needed; the --host of `users cert`). Without one: the listen address, localhost
    /// and 127.0.0.1.
    #[arg(long, requires = "cot_tls_listen")]
    cot_tls_name: Vec<String>,
    /// Take AIS as raw NMEA over TCP on this address, as receivers and aggregators send it
    /// (SPEC 8). Receivers do not sign in: listen where only they reach.
    #[arg(long)]
    ais_listen: Option<SocketAddr>,
    /// Run as a field office named NAME: observations accepted here are forwarded to
    /// headquarters through NATS JetStream (`--nats`), kept here meanwhile, however long the
    /// link is down.
    #[arg(long, requires = "nats")]
    site: Option<String>,
    /// A NATS server with JetStream (a site: its local leaf node; headquarters: its cluster).
    /// Headquarters takes what sites forward when given `--nats-account`.
    #[arg(long)]
    nats: Option<String>,
    /// The authority (PEM) the NATS server's certificate must chain to; TLS is then required.
    /// `USER:PASSWORD@` in the `--nats` URL are sent if the NATS server asks for them.
    #[arg(long, requires = "nats")]
    nats_ca: Option<PathBuf>,
    /// This server's own certificate (PEM) for mutual TLS with the NATS server, with
    /// `--nats-key`.
    #[arg(long, requires_all = ["nats", "nats_key"])]
    nats_cert: Option<PathBuf>,
    /// The private key (PEM) of `--nats-cert`.
    #[arg(long, requires = "nats_cert")]
    nats_key: Option<PathBuf>,
    /// A NATS credentials file (`.creds`: a user's JWT and NKey seed, as `nsc` writes them) for
    /// a NATS server run with decentralised authentication (operator, accounts, users).
    #[arg(long, requires = "nats")]
    nats_creds: Option<PathBuf>,
    /// At headquarters, the monitor account forwarded observations are stored as.
    #[arg(long, requires = "nats", conflicts_with = "site")]
    nats_account: Option<String>,
    /// Copies of each forwarded message across the JetStream cluster (headquarters).
    #[arg(long, default_value_t = 1)]
    nats_replicas: usize,
    /// A sanctions list in OpenSanctions' maritime CSV layout, matched against the vessels heard.
    #[arg(long)]
    sanctions: Option<PathBuf>,
    /// Push each new checkpoint to a C2SP tlog-witness and keep its cosignature: `URL=VKEY`,
    /// the witness's submission prefix and its verifier key (as many as there are witnesses).
    #[arg(long, value_name = "URL=VKEY")]
    witness: Vec<truceline_server::witness::PushTarget>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The limits every hostile client meets (see docs/REFERENCE.md, "Limits").
#[derive(Args)]
pub struct LimitArgs {
    /// Connections served at once; past it a few more are let in for /healthz, /metrics and
    /// the chief only (--reserved-connections), and the rest are closed on arrival.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Connections kept for health probes and the chief past --max-connections.
    #[arg(long, default_value_t = 32)]
    reserved_connections: usize,
    /// Seconds a client has to send a request's head; also how long an idle kept-alive
    /// connection stays open.
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a request body may pause between pieces.
    #[arg(long, default_value_t = 10)]
    body_timeout: u64,
    /// Seconds within which a request is answered (408 past it).
    #[arg(long, default_value_t = 60)]
    request_timeout: u64,
    /// Requests a second from one address, as RATE or RATE/BURST, or `off`.
    #[arg(long, default_value = "1000/2000", value_parser = parse_rate)]
    rate_per_address: RateArg,
    /// Requests a second from one account (the chief's are not limited), RATE[/BURST] or `off`.
    #[arg(long, default_value = "500/1000", value_parser = parse_rate)]
    rate_per_account: RateArg,
    /// Sign-in attempts a second from one address, RATE[/BURST] or `off`.
    #[arg(long, default_value = "1/10", value_parser = parse_rate)]
    sign_in_rate: RateArg,
    /// Expensive reads (reports, the map's columns) computed at once; default: the cores.
    #[arg(long)]
    expensive_reads: Option<usize>,
    /// Incidents one page of incidents reads at most (then on to the end of that hour): filters
    /// that match little answer a short page and a cursor instead of reading the whole store.
    #[arg(long, default_value_t = 20_000)]
    page_read: usize,
    /// Pages of the lists (incidents, violations, observations, the public feed, OGC items)
    /// read at once, each waiting at most 15 s for its turn; default: twice the cores.
    #[arg(long)]
    page_reads: Option<usize>,
}

impl LimitArgs {
    fn limits(&self) -> truceline_server::limits::Limits {
        let d = truceline_server::limits::Limits::default();
        let secs = std::time::Duration::from_secs;
        truceline_server::limits::Limits {
            max_connections: self.max_connections,
            reserved_connections: self.reserved_connections,
            header_timeout: secs(self.header_timeout.max(1)),
            body_timeout: secs(self.body_timeout.max(1)),
            request_timeout: secs(self.request_timeout.max(1)),
            per_address: self.rate_per_address.0,
            per_account: self.rate_per_account.0,
            sign_in: self.sign_in_rate.0,
            expensive: self.expensive_reads.unwrap_or(d.expensive).max(1),
            page_read: self.page_read.max(1),
            pages: self.page_reads.unwrap_or(d.pages).max(1),
            ..d
        }
    }
}

/// A rate flag's value: `None` for `off`.
#[derive(Clone, Copy)]
pub struct RateArg(Option<truceline_server::limits::Rate>);

/// `RATE`, `RATE/BURST` or `off`.
fn parse_rate(s: &str) -> Result<RateArg, String> {
    if s == "off" {
        return Ok(RateArg(None));
    }
    let (rate, burst) = s.split_once('/').unwrap_or((s, s));
    let n = |v: &str| {
        v.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
            format!("expected RATE or RATE/BURST (whole numbers above 0) or off, found {s:?}")
        })
    };
    Ok(RateArg(Some(truceline_server::limits::Rate {
        per_second: n(rate)?,
        burst: n(burst)?,
    })))
}

/// mimalloc's `mi_option_purge_delay` (mimalloc.h's option enum; `libmimalloc-sys` does not
/// name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

impl ServeArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // A server keeps the memory it freed instead of giving pages back to the system: online
        // fusion's rounds free and retake large blocks, and returning them stalled request
        // threads' page faults (single-request p99 78-117 ms against 27-44 ms kept; PERFORMANCE,
        // intake). Resident memory stays at its peak, which fusion bounds by the open days.
        // SAFETY: an integer option of the allocator, set before the server's threads start.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
        crate::init_logging(self.log_json);
        let at = Location::parse(&self.data, self.store.as_deref())?;
        let dir = match &at {
            Location::Dir(d) => d.clone(),
            Location::Postgres { .. } => self.data.clone(),
        };
        let (agreement, stored) = crate::agreement_with_files(&self.agreement)?;
        // Read first: a certificate that cannot be used stops the start, not the first client.
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => Some(truceline_server::tls::config(c, k)?),
            _ => None,
        };
        let server = Server::start(
            &dir,
            &at,
            &agreement,
            stored,
            Options {
                max_body: self.max_body,
                banner: None,
                log_key: self.log_key.as_deref(),
                online_fusion: !self.no_fusion,
                open: false,
                require_signatures: self.require_signatures,
                reply_window: jiff::SignedDuration::from_hours(self.reply_hours.into()),
                tls: tls.is_some(),
                limits: self.limits.limits(),
            },
        )?;
        let mut server = match self.cot_listen {
            Some(addr) => server.with_cot(addr, self.cot_account.clone())?,
            None => server,
        };
        server.cot_upstream = self.cot_upstream.clone();
        if let (Some(cert), Some(ca)) = (&self.cot_upstream_cert, &self.cot_upstream_ca) {
            server.cot_upstream_tls = Some(std::sync::Arc::new(upstream_tls(cert, ca)?));
        }
        server.ais = self.ais_listen;
        let link = self.nats.as_ref().map(|url| truceline_nats::Link {
            url: url.clone(),
            ca: self.nats_ca.clone(),
            client_cert: self.nats_cert.clone().zip(self.nats_key.clone()),
            creds: self.nats_creds.clone(),
        });
        for f in [
            &self.nats_ca,
            &self.nats_cert,
            &self.nats_key,
            &self.nats_creds,
        ]
        .into_iter()
        .flatten()
        {
            std::fs::metadata(f).with_context(|| {
                format!(
                    "--nats-ca/--nats-cert/--nats-key/--nats-creds: cannot read {}",
                    f.display()
                )
            })?;
        }
        match (&self.site, link, &self.nats_account) {
            (Some(site), Some(link), _) => {
                truceline_nats::check_site(site).map_err(anyhow::Error::msg)?;
                let nats = link.redacted();
                server.threads.push(truceline_nats::spawn_forwarder(
                    server.state.service.clone(),
                    site.clone(),
                    link,
                    server.stop.subscribe(),
                )?);
                tracing::info!(site, nats, "a field office: forwarding to headquarters");
            }
            (None, Some(link), Some(account)) => {
                let nats = link.redacted();
                server.threads.push(truceline_nats::spawn_intake(
                    server.state.service.clone(),
                    link,
                    account.clone(),
                    self.nats_replicas,
                    server.stop.subscribe(),
                )?);
                tracing::info!(nats, account, "headquarters: taking what sites forward");
            }
            (None, Some(_), None) => bail!(
                "--nats: give --site NAME (a field office) or --nats-account NAME (headquarters)"
            ),
            _ => {}
        }
        server.push_to_witnesses(self.witness.clone())?;
        if let Some(p) = &self.sanctions {
            let text = std::fs::read(p)
                .with_context(|| format!("--sanctions: cannot read {}", p.display()))?;
            let list = truceline_maritime::sanctions::List::parse(&text[..])
                .with_context(|| format!("--sanctions {}", p.display()))?;
            tracing::info!(
                entries = list.len(),
                bad_imo = list.bad_imo,
                "sanctions list loaded"
            );
            server.state.service.maritime.set_list(list);
        }
        if let Some(addr) = self.cot_tls_listen {
            let ca = server
                .state
                .service
                .authority
                .clone()
                .expect("a served data directory has its authority");
            server.cot_tls = Some((addr, cot_tls_config(&ca, addr, &self.cot_tls_name)?));
        }
        server.run(self.listen, tls, std::future::pending())?;
        Ok(ExitCode::SUCCESS)
    }
}

/// The TLS Cursor on Target port's configuration: a server certificate issued now by the data
/// directory's authority for the names devices connect to. It is issued at each start, so the
/// names can change; devices trust the authority, not this certificate.
fn cot_tls_config(
    ca: &truceline_pki::Authority,
    listen: SocketAddr,
    names: &[String],
) -> anyhow::Result<truceline_server::tls::ServerConfig> {
    let mut names = names.to_vec();
    if names.is_empty() {
        if !listen.ip().is_unspecified() {
            names.push(listen.ip().to_string());
        }
        names.extend(["localhost".to_string(), "127.0.0.1".to_string()]);
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    let issued = truceline_service::certificates::server_certificate(ca, &names)
        .map_err(|e| anyhow::anyhow!("--cot-tls-name: {e}"))?;
    tracing::info!(names = ?names, "issued the TLS Cursor on Target port's certificate");
    Ok(truceline_server::tls::cot_config(
        ca.cert_der(),
        vec![issued.cert_der, ca.cert_der().to_vec()],
        issued.key_der,
    )?)
}

/// How a server is started.
pub struct Options<'a> {
    /// Largest request body, bytes.
    pub max_body: usize,
    /// A note for the pages (the demo says what it feeds).
    pub banner: Option<String>,
    /// The log's signing key file, else the data directory's.
    pub log_key: Option<&'a Path>,
    pub online_fusion: bool,
    /// Open access, no accounts: the demonstration on loopback only.
    pub open: bool,
    /// Refuse unsigned observations.
    pub require_signatures: bool,
    /// How long a party has to reply.
    pub reply_window: jiff::SignedDuration,
    /// Served over TLS (cookies are then `Secure`).
    pub tls: bool,
    /// Connection, time, rate and cost limits.
    pub limits: truceline_server::limits::Limits,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            max_body: truceline_server::DEFAULT_MAX_BODY,
            banner: None,
            log_key: None,
            online_fusion: true,
            open: false,
            require_signatures: false,
            reply_window: truceline_service::review::DEFAULT_REPLY_WINDOW,
            tls: false,
            limits: Default::default(),
        }
    }
}

/// A store opened for an agreement, ready to serve.
pub struct Server {
    pub store: Arc<dyn Store>,
    pub state: Arc<AppState>,
    pub(crate) threads: Vec<std::thread::JoinHandle<()>>,
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
    /// The Cursor on Target port and the account what arrives there acts as.
    cot: Option<(SocketAddr, Option<String>)>,
    /// A TAK server incidents are sent to (federation), and the TLS it is reached over.
    pub cot_upstream: Option<String>,
    pub cot_upstream_tls: Option<std::sync::Arc<truceline_server::tls::ClientConfig>>,
    /// The TLS Cursor on Target port and its configuration.
    pub cot_tls: Option<(SocketAddr, truceline_server::tls::ServerConfig)>,
    /// Where AIS receivers' raw NMEA is taken.
    pub ais: Option<SocketAddr>,
}

impl Server {
    /// Serves the store at `at`; `dir` holds the server's keys (the store's own directory for
    /// the embedded store).
    pub fn start(
        dir: &Path,
        at: &Location,
        agreement: &truceline_agreement::Agreement,
        stored: StoredAgreement,
        o: Options<'_>,
    ) -> anyhow::Result<Server> {
        let Options {
            max_body,
            banner,
            log_key,
            online_fusion,
            open,
            require_signatures,
            reply_window,
            tls,
            limits,
        } = o;
        let signer = truceline_service::keys::log_signer(dir, log_key)?;
        let metrics = Arc::new(Metrics::default());
        let m = metrics.clone();
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // A second server on a shared store stands by for its writer and takes over when it
        // goes.
        let store = at
            .open_server(Arc::new(move |s| m.record_commit(s)))
            .with_context(|| format!("cannot open the store in {at}"))?;
        if !open && store.accounts()?.is_empty() {
            let flag = match at {
                Location::Dir(d) => format!("--data {}", d.display()),
                Location::Postgres { .. } => "--store URL".into(),
            };
            bail!(
                "{at} has no account, and serve never answers without one: make the first with \
                 `truceline users add NAME --role chief {flag}`, then `truceline tokens issue NAME {flag}` \
                 (see the README's \"Deploying\")"
            );
        }
        let version = if store.writes() {
            store.put_agreement(stored)?
        } else {
            // Standing by: the writer keeps the agreement, and this server must judge by the same.
            match store.latest_agreement()? {
                Some(l) if l.agreement_id == stored.agreement_id && l.files == stored.files => {
                    l.version
                }
                _ => bail!(
                    "{at}: its writer serves another agreement than --agreement {}; a standby serves the same",
                    agreement.id
                ),
            }
        };
        // One log, one key: every server of a shared store signs with the log's key.
        if matches!(at, Location::Postgres { .. })
            && let Some((size, note)) = store.latest_checkpoint()?
            && truceline_log::checkpoint::open(&note, &signer.verifier()).is_err()
        {
            bail!(
                "{at}: the log's checkpoint at size {size} is not signed by this server's log key; \
                 give every server of a shared store the same key (--log-key, or the same log.key in --data)"
            );
        }
        tracing::info!(
            store = %at,
            agreement = %agreement.id,
            agreement_version = version,
            "store open"
        );
        let log = LogState::new(signer, KeyRegistry::open(dir), store.as_ref());
        let mut service = Service::new(store.clone(), agreement, log)?;
        // Made on the first start: devices' certificates can then be issued through the API.
        service.authority = Some(Arc::new(
            truceline_service::certificates::authority(dir)
                .context("the mission's certificate authority")?,
        ));
        service.require_signatures = require_signatures;
        service.reply_window = reply_window;
        service.reports.reply_window = reply_window;
        let service = Arc::new(service);
        let stop = tokio::sync::watch::Sender::new(false);
        let threads = service.start(online_fusion, stop.subscribe())?;
        let mut state = AppState::new(service, metrics, max_body, banner);
        state.open = open;
        state.tls = tls;
        state.guards = truceline_server::limits::Guards::new(limits);
        let state = Arc::new(state);
        {
            let state = state.clone();
            std::thread::Builder::new()
                .name("map-layers".into())
                .spawn(move || {
                    truceline_server::map::layers_bytes(&state);
                    truceline_server::ogc::zones(&state);
                })?;
        }
        Ok(Server {
            store,
            state,
            threads,
            stop,
            cot: None,
            cot_upstream: None,
            cot_upstream_tls: None,
            cot_tls: None,
            ais: None,
        })
    }

    /// Pushes each new checkpoint to these C2SP witnesses (see `truceline_server::witness`).
    pub fn push_to_witnesses(
        &mut self,
        targets: Vec<truceline_server::witness::PushTarget>,
    ) -> anyhow::Result<()> {
        for t in &targets {
            tracing::info!(witness = %t.url, key = %t.key.encode(), "pushing checkpoints");
        }
        self.threads
            .extend(truceline_server::witness::spawn_pushers(
                self.state.service.clone(),
                targets,
                self.stop.subscribe(),
            )?);
        Ok(())
    }

    /// Also serves Cursor on Target on `listen`; what arrives acts as `account` (a monitor,
    /// checked now), and without one the port only sends.
    pub fn with_cot(mut self, listen: SocketAddr, account: Option<String>) -> anyhow::Result<Self> {
        if let Some(a) = &account {
            truceline_server::cot::check_account(&self.state.service, a)
                .map_err(|e| anyhow::anyhow!("--cot-account: {e}"))?;
        }
        self.cot = Some((listen, account));
        Ok(self)
    }

    /// Serves until Ctrl-C, SIGTERM or `stop`, finishes the requests in flight, then closes the
    /// store after its last commit.
    pub fn run(
        self,
        listen: SocketAddr,
        tls: Option<truceline_server::tls::ServerConfig>,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if tls.is_some() != self.state.tls {
            bail!("Options::tls says whether run is given a TLS configuration");
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            if let Some((addr, account)) = self.cot.clone() {
                let cot = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for Cursor on Target on {addr}"))?;
                tracing::info!(address = %addr, account = ?account, "serving Cursor on Target (plain TCP)");
                tokio::spawn(truceline_server::cot::serve(
                    cot,
                    self.state.clone(),
                    account,
                    self.stop.subscribe(),
                ));
            }
            if let Some((addr, cfg)) = self.cot_tls {
                let cot = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                    format!("cannot listen for Cursor on Target over TLS on {addr}")
                })?;
                tracing::info!(address = %addr, "serving Cursor on Target over TLS (client certificates)");
                tokio::spawn(truceline_server::cot::serve_tls(
                    cot,
                    cfg,
                    self.state.clone(),
                    self.stop.subscribe(),
                ));
            }
            if let Some(addr) = self.ais {
                let feed = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for AIS on {addr}"))?;
                tracing::info!(address = %addr, "taking AIS (raw NMEA over TCP)");
                tokio::spawn(truceline_server::ais::serve_feed(
                    self.state.clone(),
                    feed,
                    self.stop.subscribe(),
                ));
            }
            if let Some(addr) = self.cot_upstream.clone() {
                tracing::info!(upstream = %addr, "sending incidents to a TAK server");
                tokio::spawn(truceline_server::cot::upstream(
                    addr,
                    self.cot_upstream_tls.clone(),
                    self.state.clone(),
                    self.stop.subscribe(),
                ));
            }
            let shutdown = async move {
                tokio::select! {
                    _ = truceline_server::shutdown_signal() => {}
                    _ = stop => {}
                }
            };
            match tls {
                None => {
                    tracing::info!(address = %listen, "serving; open http://{listen}/");
                    truceline_server::serve(listener, self.state.clone(), shutdown).await
                }
                Some(cfg) => {
                    tracing::info!(address = %listen, "serving HTTPS; open https://{listen}/");
                    let listener = truceline_server::tls::TlsListener::new(listener, cfg)?;
                    truceline_server::serve(listener, self.state.clone(), shutdown).await
                }
            }
            .context("server failed")
        })?;
        let _ = self.stop.send(true);
        for t in self.threads {
            let _ = t.join();
        }
        // The last records acknowledged are covered by a checkpoint before the store closes.
        if let Err(e) = self.state.service.checkpoint_now() {
            tracing::warn!(error = %e, "no final checkpoint");
        }
        self.store.close();
        tracing::info!("stopped; every acknowledged observation is committed");
        Ok(())
    }
}

/// The TLS configuration for federation from the files a TAK server's administrator issued.
fn upstream_tls(cert: &Path, ca: &Path) -> anyhow::Result<truceline_server::tls::ClientConfig> {
    let password =
        std::env::var("TRUCELINE_COT_UPSTREAM_PASSWORD").unwrap_or_else(|_| "atakatak".to_string());
    let read = |flag: &str, p: &Path| {
        std::fs::read(p).with_context(|| format!("--{flag}: cannot read {}", p.display()))
    };
    let (chain, key) = truceline_pki::identity(&read("cot-upstream-cert", cert)?, &password)
        .with_context(|| format!("--cot-upstream-cert {}", cert.display()))?;
    let roots = truceline_pki::trusted(&read("cot-upstream-ca", ca)?, &password)
        .with_context(|| format!("--cot-upstream-ca {}", ca.display()))?;
    truceline_server::tls::upstream_config(chain, key, roots)
        .context("--cot-upstream-cert and --cot-upstream-ca")
}
