//! The Cursor on Target door: a plain TCP port for closed networks (`serve --cot-listen`), as
//! TAK devices and servers speak it. A thin translation: events are read by `truceline_cot`,
//! their observations checked and kept by the service exactly as `POST /observations` keeps
//! them, and incidents sent as the service's live changes arrive.
//!
//! What arrives acts as the account `--cot-account` names (a monitor: its observer pattern
//! applies; the account is read again for each event, so disabling it stops intake at once).
//! Without one the port only sends. What is sent is what that account's view shows — without an
//! account, what a party's liaison is shown of every party: rounded places, shown ids, no
//! observation — first the incidents of the days fusion holds, then each change.
//!
//! Limits: [`MAX_CLIENTS`] connections, [`IDLE`] without a byte from a client closes it, an
//! event over `truceline_cot::MAX_EVENT` bytes closes it, and a client that does not read what
//! is sent ([`QUEUE`] events behind) is dropped rather than buffered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, broadcast, mpsc};
use truceline_incident::IncidentRecord;
use truceline_service::accounts::{Caller, Role, principal_of};
use truceline_service::views::View;
use truceline_service::{Change, Service};

use crate::AppState;

/// Clients connected at once.
pub const MAX_CLIENTS: usize = 256;
/// How long a client may send nothing (TAK clients ping every few seconds when idle).
pub const IDLE: Duration = Duration::from_secs(600);
/// Events waiting to be sent to one client before it is dropped as not reading.
pub const QUEUE: usize = 4096;

/// The account events received act as, read again for each event.
fn caller(service: &Service, account: &str) -> Result<Caller, String> {
    match service.store.account(account) {
        Ok(Some(a)) if !a.disabled => {
            let p = principal_of(&a);
            if p.role != Role::Monitor {
                return Err(format!(
                    "account {account:?} is a {}, and only a monitor submits observations",
                    p.role.as_str()
                ));
            }
            Ok(Caller::Account(p))
        }
        Ok(_) => Err(format!("account {account:?} is missing or disabled")),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks at start that `account` may send observations, so a mistyped name stops the server
/// rather than every event.
pub fn check_account(service: &Service, account: &str) -> Result<(), String> {
    caller(service, account).map(|_| ())
}

/// The view what is sent is shown in.
fn view_for(service: &Service, account: Option<&str>) -> View {
    let caller = account.and_then(|a| service.store.account(a).ok().flatten());
    match caller {
        Some(a) if !a.disabled => View::of(&Caller::Account(principal_of(&a))),
        // A party's liaison's redaction, with every party's incidents.
        _ => View::Public,
    }
}

/// Accepts CoT clients until `closing` is set.
pub async fn serve(
    listener: TcpListener,
    st: Arc<AppState>,
    account: Option<String>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
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
        let st = st.clone();
        let account = account.clone();
        let closing = closing.clone();
        tokio::spawn(async move {
            client(st, sock, peer, account, closing).await;
            drop(slot);
        });
    }
}

async fn client(
    st: Arc<AppState>,
    sock: TcpStream,
    peer: SocketAddr,
    account: Option<String>,
    closing: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(%peer, "cot: client connected");
    let _ = sock.set_nodelay(true);
    let (mut rd, mut wr) = sock.into_split();
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(s) = rx.recv().await {
            if wr.write_all(s.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let sender = tokio::spawn(send_incidents(
        st.service.clone(),
        view_for(&st.service, account.as_deref()),
        tx.clone(),
        closing.clone(),
    ));
    let mut framer = truceline_cot::Framer::default();
    let mut buf = vec![0u8; 16 * 1024];
    let mut closing = closing;
    loop {
        let n = tokio::select! {
            r = tokio::time::timeout(IDLE, rd.read(&mut buf)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => n,
                Err(_) => {
                    tracing::info!(%peer, "cot: idle, closed");
                    break;
                }
            },
            _ = closing.changed() => break,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_event() {
                Ok(Some(xml)) => {
                    if let Some(reply) = receive(&st, &xml, account.as_deref(), peer).await
                        && tx.try_send(reply).is_err()
                    {
                        break;
                    }
                }
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
/// TCP) and sends it the incidents as clients of this port get them, in the public redaction
/// (a TAK server's other users are outside the mission): the held picture on each connection,
/// then each change. What the TAK server sends back is read and not kept (its users report
/// through their own accounts). Reconnects with a back-off of 1 s doubling to a minute.
pub async fn upstream(
    addr: String,
    st: Arc<AppState>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match TcpStream::connect(&addr).await {
            Ok(sock) => {
                tracing::info!(upstream = %addr, "cot: connected to the TAK server");
                backoff = Duration::from_secs(1);
                let _ = sock.set_nodelay(true);
                let (mut rd, mut wr) = sock.into_split();
                let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
                let sender = tokio::spawn(send_incidents(
                    st.service.clone(),
                    View::Public,
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
                        _ = closing.changed() => { sender.abort(); return; }
                    }
                }
                sender.abort();
                tracing::warn!(upstream = %addr, "cot: the TAK server connection ended");
            }
            Err(e) => {
                tracing::warn!(upstream = %addr, error = %e, "cot: cannot reach the TAK server")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = closing.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

/// One event received: a ping is answered; anything else is an observation kept as the
/// port's account, or refused with the reason logged.
async fn receive(
    st: &Arc<AppState>,
    xml: &[u8],
    account: Option<&str>,
    peer: SocketAddr,
) -> Option<String> {
    let event = match truceline_cot::parse(xml) {
        Ok(e) => e,
        Err(e) => {
            tracing::info!(%peer, field = %e.field, message = %e.message, "cot: event refused");
            st.metrics.refuse("invalid", 1);
            return None;
        }
    };
    if event.is_ping() {
        return Some(truceline_cot::pong(jiff::Timestamp::now()));
    }
    let Some(account) = account else {
        tracing::info!(%peer, uid = %event.uid, "cot: event refused: this port only sends (no --cot-account)");
        return None;
    };
    let caller = match caller(&st.service, account) {
        Ok(c) => c,
        Err(reason) => {
            tracing::warn!(%peer, %reason, "cot: event refused");
            return None;
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
            return None;
        }
    };
    match st
        .service
        .submit(&caller, std::slice::from_ref(&observation))
        .await
    {
        Ok(outcomes) => {
            let accepted = crate::count_outcomes(st, &outcomes);
            tracing::info!(%peer, id = %observation.id, accepted, "cot: observation kept");
        }
        Err(e) => {
            st.metrics.refuse("cot", 1);
            tracing::info!(%peer, id = %observation.id, error = %e, "cot: observation refused");
        }
    }
    None
}

/// The incidents the view shows of the days fusion holds, then each change as it comes.
async fn send_incidents(
    service: Arc<Service>,
    view: View,
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
