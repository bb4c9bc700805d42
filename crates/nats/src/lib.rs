//! Field offices over NATS JetStream (SPEC 9): the door between a site and headquarters.
//!
//! **A site** (`serve --site NAME --nats URL --data DIR`) is a whole server on its own embedded
//! store: it accepts and acknowledges observations as any server does, durably, whether or not
//! headquarters can be reached. [`spawn_forwarder`] reads what the site stored, in record
//! order, and publishes each observation to the JetStream stream [`STREAM`] on
//! `truceline.obs.NAME` with the observation's id as `Nats-Msg-Id`; the place it has reached
//! moves on (kept in the site's store) only once JetStream has acknowledged every message
//! before it. Cut off, it waits and tries again; nothing is dropped. Every
//! [`STATUS_EVERY`](truceline_service::sites::STATUS_EVERY) it says how far it is on
//! `truceline.site.NAME.status`.
//!
//! **Headquarters** (`serve ... --nats URL --nats-account NAME`) takes the stream through a
//! durable pull consumer ([`spawn_intake`]): each message is checked and stored as the
//! account `NAME` (a monitor) would submit it, and acknowledged to JetStream only once the store
//! has made it durable. A message delivered twice, or an observation forwarded twice (its first
//! acknowledgement lost with the link), is stored once: JetStream drops a repeated
//! `Nats-Msg-Id` within its window, and the store answers an id already held with the same
//! content as a duplicate, logging nothing new. Headquarters keeps what each site last said
//! (`Service::sites`), and a site silent or behind is shown as lagging.
//!
//! The NATS client is `async-nats` on a small runtime of each thread's own, off the server's.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream};
use futures::StreamExt;
use truceline_service::Service;
use truceline_service::accounts::{Caller, principal_of};
use truceline_service::sites::{STATUS_EVERY, SiteStatus};
use truceline_store::{Query, RecordStore};

/// The stream headquarters keeps observations forwarded by sites in.
pub const STREAM: &str = "TRUCELINE_OBSERVATIONS";
/// JetStream drops a repeated `Nats-Msg-Id` within this window; beyond it the store's own
/// idempotence still keeps each observation once.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(600);
/// Where a site keeps how far it has forwarded (`position count`), in its store's state.
const FORWARDED: &str = "nats_forwarded";
/// Observations published before their acknowledgements are awaited.
const IN_FLIGHT: usize = 1_000;
/// The consumer headquarters takes the stream through, and how many messages at a time.
const CONSUMER: &str = "truceline-headquarters";
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("NATS: {0}")]
    Nats(String),
    #[error(transparent)]
    Store(#[from] truceline_store::StoreError),
    #[error("--nats-account {0}: {1}")]
    Account(String, String),
}

fn nats<E: std::fmt::Display>(e: E) -> NatsError {
    NatsError::Nats(e.to_string())
}

/// The subject a site's observations are published on.
pub fn subject(site: &str) -> String {
    format!("truceline.obs.{site}")
}

/// A site's name: what a NATS subject token may hold.
pub fn check_site(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(format!(
            "--site {name:?}: expected 1 to 64 letters, digits, '-' or '_'"
        ))
    }
}

/// Runs `work` on a thread of its own with a small runtime, until `stop` turns true.
fn spawn_with_runtime<F, Fut>(
    name: &str,
    stop: tokio::sync::watch::Receiver<bool>,
    work: F,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let mut stop = stop;
            rt.block_on(async move {
                tokio::select! {
                    _ = work() => {}
                    _ = stop.wait_for(|s| *s) => {}
                }
            })
        })
}

/// How to reach a NATS server and prove who this server is to it.
///
/// The URL is `nats://HOST:PORT`, or `tls://HOST:PORT` to require TLS; `USER:PASSWORD@` (or
/// `TOKEN@`) in it, percent-encoded, are sent as the server's `authorization` asks. With `ca`
/// the server's certificate must chain to that authority (and TLS is required); with
/// `client_cert` this server presents its own certificate and key (mutual TLS, which the NATS
/// server may map to a user: `verify_and_map`). With `creds`, a NATS credentials file (a user's
/// JWT and its NKey seed, as `nsc` writes them for decentralised authentication) proves who this
/// server is instead. Logs show the URL without its password, and never the seed.
#[derive(Debug, Clone, Default)]
pub struct Link {
    pub url: String,
    pub ca: Option<std::path::PathBuf>,
    pub client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
    pub creds: Option<std::path::PathBuf>,
}

impl Link {
    /// A link with nothing but a URL.
    pub fn to(url: impl Into<String>) -> Link {
        Link {
            url: url.into(),
            ..Link::default()
        }
    }

    /// The URL as logs may show it.
    pub fn redacted(&self) -> String {
        truceline_store::redact_url(&self.url)
    }

    /// The client's options: the credentials in the URL and the TLS material.
    fn options(
        &self,
        name: &str,
    ) -> Result<(async_nats::ConnectOptions, async_nats::ServerAddr), NatsError> {
        let addr: async_nats::ServerAddr = self
            .url
            .parse()
            .map_err(|e| NatsError::Nats(format!("--nats {}: {e}", self.redacted())))?;
        let decode = |s: &str| -> Result<String, NatsError> {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|d| d.into_owned())
                .map_err(|_| {
                    NatsError::Nats(format!(
                        "--nats {}: the credentials are not UTF-8",
                        self.redacted()
                    ))
                })
        };
        let mut o = async_nats::ConnectOptions::new()
            .name(name)
            .retry_on_initial_connect();
        match (addr.username(), addr.password()) {
            (Some(user), Some(pass)) => o = o.user_and_password(decode(user)?, decode(pass)?),
            (Some(token), None) => o = o.token(decode(token)?),
            _ => {}
        }
        if let Some(path) = &self.creds {
            let bad = |e: std::io::Error| {
                NatsError::Nats(format!(
                    "--nats-creds {}: {e} (expected a NATS credentials file: the user's JWT and its NKey seed)",
                    path.display()
                ))
            };
            let text = std::fs::read_to_string(path).map_err(bad)?;
            o = o.credentials(&text).map_err(bad)?;
        }
        if let Some(ca) = &self.ca {
            o = o.add_root_certificates(ca.clone()).require_tls(true);
        }
        if let Some((cert, key)) = &self.client_cert {
            o = o
                .add_client_certificate(cert.clone(), key.clone())
                .require_tls(true);
        }
        Ok((o, addr))
    }
}

async fn connect(link: &Link, name: &str) -> Result<async_nats::Client, NatsError> {
    let (options, addr) = link.options(name)?;
    options.connect(addr).await.map_err(nats)
}

/// How far a site has forwarded: the last record position headquarters acknowledged and how
/// many observations that covers.
fn forwarded(store: &dyn RecordStore) -> Result<(u64, u64), NatsError> {
    Ok(match store.state(FORWARDED)? {
        Some(v) => {
            let text = String::from_utf8_lossy(&v).to_string();
            let mut it = text.split(' ').filter_map(|x| x.parse::<u64>().ok());
            (it.next().unwrap_or(0), it.next().unwrap_or(0))
        }
        None => (0, 0),
    })
}

/// How far the site is: what it stored and what headquarters acknowledged, now.
fn own_status(service: &Service, site: &str) -> SiteStatus {
    let (stored, forwarded) = match (
        service.store.high_water(),
        forwarded(service.store.as_ref()),
    ) {
        (Ok((_, stored)), Ok((_, done))) => (stored, done),
        _ => (0, 0),
    };
    SiteStatus {
        site: site.to_string(),
        stored,
        forwarded,
        at_ms: jiff::Timestamp::now().as_millisecond(),
    }
}

/// A site: forwards every observation it stored to headquarters, in order, and says how far
/// it is. Never gives up: cut off, it retries every second.
pub fn spawn_forwarder(
    service: Arc<Service>,
    site: String,
    link: Link,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    spawn_with_runtime("nats-forward", stop, move || async move {
        // The site's own health says how far it is every second, whatever the link does (a
        // site started while cut off, or refused by the NATS server, included).
        {
            let (service, site) = (service.clone(), site.clone());
            tokio::spawn(async move {
                loop {
                    service.sites.heard(own_status(&service, &site));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        let client = match connect(&link, &format!("truceline site {site}")).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "forwarding to headquarters cannot start");
                return;
            }
        };
        let js = jetstream::new(client.clone());
        let mut last_status = tokio::time::Instant::now() - STATUS_EVERY;
        loop {
            let sent = forward_some(&service, &js, &site).await;
            let status = own_status(&service, &site);
            if last_status.elapsed() >= STATUS_EVERY {
                last_status = tokio::time::Instant::now();
                let _ = client
                    .publish(
                        format!("truceline.site.{site}.status"),
                        serde_json::to_vec(&status)
                            .expect("a status serialises")
                            .into(),
                    )
                    .await;
            }
            match sent {
                Ok(n) if n > 0 => continue,
                Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(e) => {
                    tracing::warn!(error = %e, waiting = status.waiting(), "headquarters not reached; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// Publishes the next observations not yet forwarded and waits for JetStream's
/// acknowledgements; only then moves the site's place on. Answers how many it forwarded.
async fn forward_some(
    service: &Service,
    js: &jetstream::Context,
    site: &str,
) -> Result<usize, NatsError> {
    let (after, count) = forwarded(service.store.as_ref())?;
    let page = service.store.query(&Query {
        after: Some(after),
        limit: IN_FLIGHT,
        ..Default::default()
    })?;
    if page.items.is_empty() {
        return Ok(0);
    }
    let mut acks = Vec::with_capacity(page.items.len());
    for o in &page.items {
        let id = serde_json::from_slice::<serde_json::Value>(&o.body)
            .ok()
            .and_then(|v| v.get("id")?.as_str().map(str::to_string))
            .unwrap_or_default();
        let ack = js
            .send_publish(
                subject(site),
                jetstream::message::PublishMessage::build()
                    .payload(o.body.clone().into())
                    .message_id(id),
            )
            .await
            .map_err(nats)?;
        acks.push(ack);
    }
    for ack in acks {
        tokio::time::timeout(Duration::from_secs(10), ack.into_future())
            .await
            .map_err(|_| NatsError::Nats("no acknowledgement within 10 s".into()))?
            .map_err(nats)?;
    }
    let last = page.items.last().expect("not empty").position;
    let n = page.items.len();
    // A durable write waits on the store's writer: off this runtime's thread.
    let store = service.store.clone();
    let place = format!("{last} {}", count + n as u64).into_bytes();
    tokio::task::spawn_blocking(move || store.put_state(FORWARDED, place))
        .await
        .map_err(nats)??;
    Ok(n)
}

/// Makes (or finds) the stream and headquarters' consumer of it; `replicas` copies of each
/// message across the cluster.
async fn stream_and_consumer(
    js: &jetstream::Context,
    replicas: usize,
) -> Result<jetstream::consumer::Consumer<pull::Config>, NatsError> {
    let stream = js
        .get_or_create_stream(stream::Config {
            name: STREAM.into(),
            subjects: vec!["truceline.obs.>".into()],
            num_replicas: replicas,
            duplicate_window: DEDUP_WINDOW,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(nats)?;
    stream
        .get_or_create_consumer(
            CONSUMER,
            pull::Config {
                durable_name: Some(CONSUMER.into()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(60),
                ..Default::default()
            },
        )
        .await
        .map_err(nats)
}

/// Headquarters: takes every observation sites forward, as `account` (a monitor of its
/// store), and keeps what each site says of itself. Checked before it starts: the account.
pub fn spawn_intake(
    service: Arc<Service>,
    link: Link,
    account: String,
    replicas: usize,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<std::thread::JoinHandle<()>, NatsError> {
    let acc = service
        .store
        .account(&account)?
        .ok_or_else(|| NatsError::Account(account.clone(), "no such account".into()))?;
    if acc.role != "monitor" {
        return Err(NatsError::Account(
            account,
            format!("a monitor account is needed, not a {}", acc.role),
        ));
    }
    let caller = Caller::Account(principal_of(&acc));
    spawn_with_runtime("nats-intake", stop, move || async move {
        let client = match connect(&link, "truceline headquarters").await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "taking observations from sites cannot start");
                return;
            }
        };
        let statuses = {
            let service = service.clone();
            let client = client.clone();
            async move {
                let Ok(mut sub) = client.subscribe("truceline.site.*.status").await else {
                    return;
                };
                while let Some(m) = sub.next().await {
                    if let Ok(s) = serde_json::from_slice::<SiteStatus>(&m.payload) {
                        service.sites.heard(s);
                    }
                }
            }
        };
        let intake = async move {
            let js = jetstream::new(client);
            loop {
                match take(&service, &js, &caller, replicas).await {
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "taking observations from sites; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        };
        tokio::join!(statuses, intake);
    })
    .map_err(|e| NatsError::Nats(e.to_string()))
}

/// An entry of the audit trail for what a site forwarded: the intake account, the subject, how
/// many observations, and what became of them (200 stored, 400 not an observation, 403 refused).
fn audit(service: &Service, caller: &Caller, subject: &str, n: usize, status: u16) {
    let Caller::Account(p) = caller else { return };
    service.audit(truceline_service::audit::AuditEntry {
        account: p.account.clone(),
        method: "NATS".into(),
        path: format!("{subject}?observations={n}"),
        remote: "nats".into(),
        role: p.role.as_str().into(),
        status,
        time: jiff::Timestamp::now(),
    });
}

/// Takes messages until the consumer fails, a batch at a time: the batch stored as one request
/// (one commit), each message acknowledged only once it is durable. A batch the checks refuse is
/// taken one by one, so that only what can never be stored (not an observation, refused) is
/// said and terminated, not to come back for ever.
async fn take(
    service: &Service,
    js: &jetstream::Context,
    caller: &Caller,
    replicas: usize,
) -> Result<(), NatsError> {
    let consumer = stream_and_consumer(js, replicas).await?;
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(BATCH)
            .expires(Duration::from_secs(1))
            .messages()
            .await
            .map_err(nats)?;
        let mut messages = Vec::with_capacity(BATCH);
        while let Some(m) = batch.next().await {
            messages.push(m.map_err(nats)?);
        }
        if messages.is_empty() {
            continue;
        }
        let mut good = Vec::with_capacity(messages.len());
        let mut observations = Vec::with_capacity(messages.len());
        for m in messages {
            match truceline_observation::parse(&m.payload, &service.vocab) {
                Ok(o) => {
                    observations.push(o);
                    good.push(m);
                }
                Err(e) => {
                    tracing::error!(subject = %m.subject, error = %e, "a forwarded message is not an observation; dropped");
                    audit(service, caller, &m.subject, 1, 400);
                    m.ack_with(jetstream::AckKind::Term).await.map_err(nats)?;
                }
            }
        }
        match service.submit(caller, &observations).await {
            // Durable: acknowledged together rather than a round trip each.
            Ok(_) => {
                let mut by_site: Vec<(&str, usize)> = Vec::new();
                for m in &good {
                    match by_site.iter_mut().find(|(s, _)| *s == m.subject.as_str()) {
                        Some((_, n)) => *n += 1,
                        None => by_site.push((m.subject.as_str(), 1)),
                    }
                }
                for (subject, n) in by_site {
                    audit(service, caller, subject, n, 200);
                }
                futures::future::try_join_all(good.iter().map(|m| m.ack()))
                    .await
                    .map_err(nats)?;
            }
            // Not stored: left unacknowledged, so JetStream delivers them again.
            Err(truceline_service::ServiceError::Store(e)) => return Err(e.into()),
            Err(_) => {
                for (m, o) in good.iter().zip(&observations) {
                    match service.submit(caller, std::slice::from_ref(o)).await {
                        Ok(_) => {
                            audit(service, caller, &m.subject, 1, 200);
                            m.ack().await.map_err(nats)?
                        }
                        Err(truceline_service::ServiceError::Store(e)) => return Err(e.into()),
                        Err(e) => {
                            tracing::error!(subject = %m.subject, error = %e, "a forwarded observation is refused; dropped");
                            audit(service, caller, &m.subject, 1, 403);
                            m.ack_with(jetstream::AckKind::Term).await.map_err(nats)?;
                        }
                    }
                }
            }
        }
    }
}
