//! The Cursor on Target door, as TAK devices and servers speak it: a plain TCP port for closed
//! networks (`serve --cot-listen`) and a TLS port with client certificates
//! (`serve --cot-tls-listen`). A thin translation: events are read by `truceline_cot`, their
//! observations checked and kept by the service exactly as `POST /observations` keeps them,
//! and incidents sent as the service's live changes arrive.
//!
//! On the plain port what arrives acts as the account `--cot-account` names (a monitor: its
//! observer pattern applies; the account is read again for each event, so disabling it stops
//! intake at once); without one the port only sends. On the TLS port each device is the
//! account its certificate was issued for (`truceline users cert`), checked against the store
//! at the handshake, at each event and every [`RECHECK`], so a revoked certificate or a
//! disabled account is cut off within that. What is sent is what the account's view shows —
//! without an account, what a party's liaison is shown of every party: rounded places, shown
//! ids, no observation — first the incidents of the days fusion holds, then each change.
//! Connections and kept observations are in the audit trail (method `COT`).
//!
//! Limits: [`MAX_CLIENTS`] connections, [`IDLE`] without a byte from a client closes it, an
//! event over `truceline_cot::MAX_EVENT` bytes closes it, and a client that does not read what
//! is sent ([`QUEUE`] events behind) is dropped rather than buffered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, broadcast, mpsc};
use truceline_incident::IncidentRecord;
use truceline_service::accounts::{Caller, Principal, Role, principal_of};
use truceline_service::views::View;
use truceline_service::{Change, Service};

use crate::AppState;

/// Clients connected at once.
pub const MAX_CLIENTS: usize = 256;
/// How long a client may send nothing (TAK clients ping every few seconds when idle).
pub const IDLE: Duration = Duration::from_secs(600);
/// Events waiting to be sent to one client before it is dropped as not reading.
pub const QUEUE: usize = 4096;
/// How often a TLS client's certificate is checked again while it sends nothing.
pub const RECHECK: Duration = Duration::from_secs(30);

/// Who a connection is.
#[derive(Clone)]
enum Who {
    /// The plain port: `--cot-account`, or nobody (the port only sends).
    Port(Option<String>),
    /// The TLS port: the device's client certificate (DER) and the account it was issued for.
    Certificate { der: Arc<Vec<u8>>, account: String },
}

impl Who {
    fn account(&self) -> Option<&str> {
        match self {
            Who::Port(a) => a.as_deref(),
            Who::Certificate { account, .. } => Some(account),
        }
    }
}

/// The account behind a client certificate, if it is still valid.
fn certificate_principal(
    service: &Service,
    der: &[u8],
) -> Result<truceline_service::accounts::Principal, String> {
    truceline_service::accounts::authenticate_certificate(
        service.store.as_ref(),
        der,
        jiff::Timestamp::now().as_millisecond(),
    )
    .map_err(|e| match e {
        truceline_service::accounts::AccountError::BadToken => {
            "the certificate is not valid (unknown, revoked or expired, or its account is disabled)"
                .to_string()
        }
        e => e.to_string(),
    })
}

/// The account a connection is, if it still may act: the plain port's `--cot-account` (enabled)
/// or the device's certificate (registered, not revoked or expired, its account enabled). Read
/// again each time it is asked, so a change takes effect at once.
fn principal(service: &Service, who: &Who) -> Result<Principal, String> {
    match who {
        Who::Port(None) => Err("this port only sends (no --cot-account)".into()),
        Who::Port(Some(account)) => match service.store.account(account) {
            Ok(Some(a)) if !a.disabled => Ok(principal_of(&a)),
            Ok(_) => Err(format!("account {account:?} is missing or disabled")),
            Err(e) => Err(e.to_string()),
        },
        Who::Certificate { der, .. } => certificate_principal(service, der),
    }
}

/// Whom a received event acts as: a monitor only.
fn intake_caller(service: &Service, who: &Who) -> Result<Caller, String> {
    let p = principal(service, who)?;
    if p.role != Role::Monitor {
        return Err(format!(
            "account {:?} is a {}, and only a monitor submits observations",
            p.account,
            p.role.as_str()
        ));
    }
    Ok(Caller::Account(p))
}

/// Whom what is sent is read as: the connection's account, else the public (a party's
/// liaison's redaction with every party's incidents, and no records).
fn reader_for(service: &Service, who: &Who) -> Caller {
    principal(service, who).map_or(Caller::Public, Caller::Account)
}

fn role_of(caller: &Caller) -> &str {
    match caller {
        Caller::Account(p) => p.role.as_str(),
        _ => "public",
    }
}

fn audit(st: &AppState, who: &Who, role: &str, path: String, peer: SocketAddr, status: u16) {
    st.service.audit(truceline_service::audit::AuditEntry {
        account: who.account().unwrap_or("-").to_string(),
        role: role.to_string(),
        method: "COT".into(),
        path,
        remote: peer.to_string(),
        status,
        time: jiff::Timestamp::now(),
    });
}

/// Checks at start that `account` may send observations, so a mistyped name stops the server
/// rather than every event.
pub fn check_account(service: &Service, account: &str) -> Result<(), String> {
    intake_caller(service, &Who::Port(Some(account.to_string()))).map(|_| ())
}

/// Accepts connections until `closing` is set, each handled in its own task while it holds one
/// of [`MAX_CLIENTS`] slots (past them a connection is closed on arrival).
async fn accept_clients<F, Fut>(
    listener: TcpListener,
    mut closing: tokio::sync::watch::Receiver<bool>,
    handle: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(MAX_CLIENTS));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = closing.changed() => return,
        };
        let (sock, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "cot: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "cot: refused, {MAX_CLIENTS} clients connected");
            continue;
        };
        let _ = sock.set_nodelay(true);
        let work = handle(sock, peer);
        tokio::spawn(async move {
            work.await;
            drop(slot);
        });
    }
}

/// Accepts CoT clients until `closing` is set.
pub async fn serve(
    listener: TcpListener,
    st: Arc<AppState>,
    account: Option<String>,
    closing: tokio::sync::watch::Receiver<bool>,
) {
    let c = closing.clone();
    accept_clients(listener, closing, move |sock, peer| {
        let (st, closing) = (st.clone(), c.clone());
        let who = Who::Port(account.clone());
        async move {
            let role = role_of(&reader_for(&st.service, &who)).to_string();
            audit(&st, &who, &role, "connect".into(), peer, 200);
            client(st, sock, peer, who, closing).await;
        }
    })
    .await
}

/// Accepts TAK devices on the TLS port until `closing` is set: each must present a client
/// certificate the mission's authority issued (the handshake checks that) and that the store
/// still holds valid (checked here, and again while connected).
pub async fn serve_tls(
    listener: TcpListener,
    cfg: crate::tls::ServerConfig,
    st: Arc<AppState>,
    closing: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let c = closing.clone();
    accept_clients(listener, closing, move |sock, peer| {
        let (st, acceptor, closing) = (st.clone(), acceptor.clone(), c.clone());
        async move {
            let tls =
                match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(sock))
                    .await
                {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::info!(%peer, error = %e, "cot: TLS handshake refused");
                        return;
                    }
                    Err(_) => {
                        tracing::info!(%peer, "cot: TLS handshake timed out");
                        return;
                    }
                };
            let Some(der) = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| Arc::new(c.to_vec()))
            else {
                return;
            };
            match certificate_principal(&st.service, &der) {
                Ok(p) => {
                    let role = p.role.as_str().to_string();
                    let who = Who::Certificate {
                        der,
                        account: p.account,
                    };
                    tracing::info!(%peer, account = ?who.account(), "cot: device connected over TLS");
                    audit(&st, &who, &role, "connect tls".into(), peer, 200);
                    client(st, tls, peer, who, closing).await;
                }
                Err(reason) => {
                    tracing::warn!(%peer, %reason, "cot: TLS client refused");
                    audit(
                        &st,
                        &Who::Port(None),
                        "public",
                        "connect tls".into(),
                        peer,
                        403,
                    );
                }
            }
        }
    })
    .await
}

async fn client<S>(
    st: Arc<AppState>,
    sock: S,
    peer: SocketAddr,
    who: Who,
    closing: tokio::sync::watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    tracing::info!(%peer, "cot: client connected");
    let (mut rd, mut wr) = tokio::io::split(sock);
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(s) = rx.recv().await {
            if wr.write_all(s.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let reader = reader_for(&st.service, &who);
    let sender = tokio::spawn(send_incidents(
        st.service.clone(),
        View::of(&reader),
        Some(reader),
        tx.clone(),
        closing.clone(),
    ));
    let mut framer = truceline_cot::Framer::default();
    let mut buf = vec![0u8; 16 * 1024];
    let mut closing = closing;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    'connection: loop {
        let n = tokio::select! {
            r = tokio::time::timeout(IDLE, rd.read(&mut buf)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => n,
                Err(_) => {
                    tracing::info!(%peer, "cot: idle, closed");
                    break;
                }
            },
            _ = recheck.tick() => {
                if let Who::Certificate { der, .. } = &who
                    && let Err(reason) = certificate_principal(&st.service, der)
                {
                    tracing::warn!(%peer, %reason, "cot: TLS client cut off");
                    break;
                }
                continue;
            }
            _ = closing.changed() => break,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_event() {
                Ok(Some(xml)) => match receive(&st, &xml, &who, peer).await {
                    Received::Reply(reply) => {
                        if tx.try_send(reply).is_err() {
                            break;
                        }
                    }
                    Received::Nothing => {}
                    Received::CutOff(reason) => {
                        tracing::warn!(%peer, %reason, "cot: TLS client cut off");
                        break 'connection;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(%peer, error = %e, "cot: closed");
                    sender.abort();
                    writer.abort();
                    return;
                }
            }
        }
    }
    sender.abort();
    drop(tx);
    let _ = writer.await;
    tracing::info!(%peer, "cot: client gone");
}

/// Federation: keeps a connection to an existing TAK server (`--cot-upstream HOST:PORT`, plain
/// TCP, or TLS with the client certificate its administrator issued when `tls` is given) and
/// sends it the incidents as clients of this port get them, in the public redaction (a TAK
/// server's other users are outside the mission): the held picture on each connection, then
/// each change. What the TAK server sends back is read and not kept (its users report through
/// their own accounts). Reconnects with a back-off of 1 s doubling to a minute; a TLS
/// handshake must finish within [`crate::tls::HANDSHAKE_TIMEOUT`].
pub async fn upstream(
    addr: String,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
    st: Arc<AppState>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let connected = connect_upstream(&addr, tls.clone()).await;
        if connected.is_ok() {
            backoff = Duration::from_secs(1);
        }
        let closed = match connected {
            Ok(Upstream::Plain(s)) => federate(s, &addr, &st, &mut closing).await,
            Ok(Upstream::Tls(s)) => federate(*s, &addr, &st, &mut closing).await,
            Err(e) => {
                tracing::warn!(upstream = %addr, error = %e, "cot: cannot reach the TAK server");
                false
            }
        };
        if closed {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = closing.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

enum Upstream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

async fn connect_upstream(
    addr: &str,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
) -> Result<Upstream, String> {
    let sock = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = sock.set_nodelay(true);
    let Some(cfg) = tls else {
        return Ok(Upstream::Plain(sock));
    };
    let host = addr
        .rsplit_once(':')
        .map_or(addr, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = rustls_pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
        format!("{host:?} is not a host name or address to check the certificate against: {e}")
    })?;
    let handshake = tokio_rustls::TlsConnector::from(cfg).connect(name, sock);
    match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(s)) => Ok(Upstream::Tls(Box::new(s))),
        Ok(Err(e)) => Err(format!("TLS handshake: {e}")),
        Err(_) => Err(format!(
            "TLS handshake: no answer within {} s",
            crate::tls::HANDSHAKE_TIMEOUT.as_secs()
        )),
    }
}

/// Sends the incidents over one connection until it ends; `true` if the server is closing.
async fn federate<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: S,
    addr: &str,
    st: &Arc<AppState>,
    closing: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    tracing::info!(upstream = %addr, "cot: connected to the TAK server");
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
    let sender = tokio::spawn(send_incidents(
        st.service.clone(),
        View::Public,
        None,
        tx,
        closing.clone(),
    ));
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            s = rx.recv() => match s {
                Some(s) => if wr.write_all(s.as_bytes()).await.is_err() { break },
                None => break,
            },
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            },
            _ = closing.changed() => { sender.abort(); return true; }
        }
    }
    sender.abort();
    tracing::warn!(upstream = %addr, "cot: the TAK server connection ended");
    false
}

/// What a received event comes to.
enum Received {
    /// An answer to send back (a ping's pong).
    Reply(String),
    Nothing,
    /// The client's certificate is no longer valid: the connection ends.
    CutOff(String),
}

/// One event received: a ping is answered; anything else is an observation kept as the
/// connection's account, or refused with the reason logged.
async fn receive(st: &Arc<AppState>, xml: &[u8], who: &Who, peer: SocketAddr) -> Received {
    if let Who::Certificate { der, .. } = who
        && let Err(reason) = certificate_principal(&st.service, der)
    {
        return Received::CutOff(reason);
    }
    let event = match truceline_cot::parse(xml) {
        Ok(e) => e,
        Err(e) => {
            tracing::info!(%peer, field = %e.field, message = %e.message, "cot: event refused");
            st.metrics.refuse("invalid", 1);
            return Received::Nothing;
        }
    };
    if event.is_ping() {
        return Received::Reply(truceline_cot::pong(jiff::Timestamp::now()));
    }
    let caller = match intake_caller(&st.service, who) {
        Ok(c) => c,
        Err(reason) => {
            tracing::info!(%peer, uid = %event.uid, %reason, "cot: event refused");
            return Received::Nothing;
        }
    };
    let observation = truceline_cot::to_observation(&event)
        .map_err(|e| (e.field, e.message))
        .and_then(|json| {
            truceline_observation::parse(json.as_bytes(), &st.service.vocab)
                .map_err(|e| (e.field, e.message))
        });
    let observation = match observation {
        Ok(o) => o,
        Err((field, message)) => {
            tracing::info!(%peer, uid = %event.uid, %field, %message, "cot: observation refused");
            st.metrics.refuse("invalid", 1);
            return Received::Nothing;
        }
    };
    let role = role_of(&caller);
    let status = match st
        .service
        .submit(&caller, std::slice::from_ref(&observation))
        .await
    {
        Ok(outcomes) => {
            let accepted = crate::count_outcomes(st, &outcomes);
            tracing::info!(%peer, id = %observation.id, accepted, "cot: observation kept");
            200
        }
        Err(e) => {
            st.metrics.refuse("cot", 1);
            tracing::info!(%peer, id = %observation.id, error = %e, "cot: observation refused");
            // The status the same refusal has over HTTP.
            crate::ApiError::from(e).status.as_u16()
        }
    };
    let what = format!("observation {}", observation.id);
    audit(st, who, role, what, peer, status);
    Received::Nothing
}

/// Records a connection is sent on connecting, at most: the map's own bound.
pub const RECORDS_SENT: usize = 2_000;

/// The records the map shows `caller` (none to a role that reads none) as CoT events, leaving
/// out those `sent` holds unchanged, and noting the rest in it.
async fn record_events(
    service: &Arc<Service>,
    caller: &Caller,
    sent: &mut HashMap<String, u64>,
) -> Vec<String> {
    let (s, c) = (service.clone(), caller.clone());
    let features = tokio::task::spawn_blocking(move || s.map_records(&c, RECORDS_SENT))
        .await
        .ok()
        .and_then(Result::ok);
    let now = jiff::Timestamp::now();
    let mut out = Vec::new();
    for f in features
        .as_ref()
        .and_then(|c| c["features"].as_array())
        .into_iter()
        .flatten()
    {
        let Some(id) = f["properties"]["id"].as_str() else {
            continue;
        };
        let digest = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            f.to_string().hash(&mut h);
            h.finish()
        };
        if sent.get(id) == Some(&digest) {
            continue;
        }
        if let Some(xml) = truceline_cot::record_event(f, now) {
            sent.insert(id.to_string(), digest);
            out.push(xml);
        }
    }
    out
}

/// The incidents the view shows of the days fusion holds and, to a reader of records
/// (`records_for`), the records the map shows it (storage sites, hazards, restrictions, …, the
/// latest [`RECORDS_SENT`]); then each incident's change as it comes.
async fn send_incidents(
    service: Arc<Service>,
    view: View,
    records_for: Option<Caller>,
    tx: mpsc::Sender<String>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let mut rx = service.fusion.events.subscribe();
    let held: Vec<IncidentRecord> = service.fusion.state.read().unwrap().incidents.clone();
    let name = |s: &Service, p: &str| {
        s.reports
            .agreement
            .party(p)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| p.to_string())
    };
    for rec in &held {
        if let Some(shown) = service.shown_incident(rec, &view) {
            let xml = truceline_cot::incident_event(&shown, jiff::Timestamp::now(), |p| {
                name(&service, p)
            });
            if tx.send(xml).await.is_err() {
                return;
            }
        }
    }
    // What each record was when last sent, so that a change sends only what changed.
    let mut sent: HashMap<String, u64> = HashMap::new();
    if let Some(caller) = &records_for {
        for xml in record_events(&service, caller, &mut sent).await {
            if tx.send(xml).await.is_err() {
                return;
            }
        }
    }
    loop {
        let change = tokio::select! {
            c = rx.recv() => c,
            _ = closing.changed() => return,
        };
        let xml = match change {
            Ok(Change::Incident(data)) => {
                let Some(shown) = serde_json::from_str::<IncidentRecord>(&data)
                    .ok()
                    .and_then(|rec| service.shown_incident(&rec, &view))
                else {
                    continue;
                };
                truceline_cot::incident_event(&shown, jiff::Timestamp::now(), |p| name(&service, p))
            }
            Ok(Change::Removed(id)) => {
                let id = match view {
                    View::Full => id,
                    _ => service.public_id(&id),
                };
                truceline_cot::removed_event(&id, jiff::Timestamp::now())
            }
            Ok(Change::Records) => {
                let Some(caller) = &records_for else { continue };
                for xml in record_events(&service, caller, &mut sent).await {
                    if tx.try_send(xml).is_err() {
                        return;
                    }
                }
                continue;
            }
            // Fell behind: the client's picture is refreshed by the next changes.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        // A client that does not read is dropped rather than buffered without end.
        if tx.try_send(xml).is_err() {
            return;
        }
    }
}
