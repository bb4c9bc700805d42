//! C2SP tlog-witness both ways, a thin translation of `truceline_log::witness`:
//!
//! * [`router`]: `truceline witness --listen` as a witness server (`POST /add-checkpoint`),
//!   what it saw kept in a state file, checked and recorded under one lock before answering,
//!   as the spec requires;
//! * [`spawn_pushers`]: `serve --witness URL=VKEY`, a thread a witness that pushes each new
//!   checkpoint with its consistency proof and keeps the cosignature it gets back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use truceline_log::note::{Signer, Verifier};
use truceline_log::witness::{AddCheckpoint, Seen, WitnessError, add_checkpoint};

/// The largest request a witness reads: 63 proof lines and a checkpoint with signatures.
const MAX_REQUEST: usize = 16 * 1024;

/// A witness server's keys and what it has cosigned, by origin.
pub struct WitnessServer {
    signer: Signer,
    logs: Vec<Verifier>,
    state: PathBuf,
    seen: Mutex<BTreeMap<String, (Seen, String)>>,
}

impl WitnessServer {
    /// Reads the state file (absent: nothing seen yet).
    pub fn open(signer: Signer, logs: Vec<Verifier>, state: PathBuf) -> std::io::Result<Self> {
        let mut seen = BTreeMap::new();
        match std::fs::read_to_string(&state) {
            Ok(text) => {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| std::io::Error::other(format!("{}: {e}", state.display())))?;
                for (origin, s) in v["logs"].as_object().into_iter().flatten() {
                    let root = s["root"]
                        .as_str()
                        .and_then(|r| B64.decode(r).ok())
                        .and_then(|r| r.try_into().ok());
                    let (Some(size), Some(root)) = (s["size"].as_u64(), root) else {
                        return Err(std::io::Error::other(format!(
                            "{}: log {origin:?} has no size and root",
                            state.display()
                        )));
                    };
                    let note = s["checkpoint"].as_str().unwrap_or_default().to_string();
                    seen.insert(origin.clone(), (Seen { size, root }, note));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(WitnessServer {
            signer,
            logs,
            state,
            seen: Mutex::new(seen),
        })
    }

    /// Judges one request; records what it cosigns (durably) before returning the line. The
    /// outer error is the state file's: nothing was cosigned.
    fn add(&self, body: &str) -> std::io::Result<Result<String, WitnessError>> {
        let req = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let now = jiff::Timestamp::now().as_second().max(0) as u64;
        // Checked and recorded under one lock: two requests never roll the state back.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let (origin, new, line) = match add_checkpoint(
            &req,
            &self.logs,
            |o| seen.get(o).map(|(s, _)| *s),
            &self.signer,
            now,
        ) {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let before = seen.insert(origin.clone(), (new, req.checkpoint.clone()));
        if let Err(e) = self.save(&seen) {
            // Not recorded, so not cosigned.
            match before {
                Some(b) => seen.insert(origin, b),
                None => seen.remove(&origin),
            };
            return Err(e);
        }
        tracing::info!(origin, size = new.size, "cosigned");
        Ok(Ok(line))
    }

    fn save(&self, seen: &BTreeMap<String, (Seen, String)>) -> std::io::Result<()> {
        use std::io::Write;
        let logs: serde_json::Map<String, serde_json::Value> = seen
            .iter()
            .map(|(o, (s, note))| {
                (
                    o.clone(),
                    serde_json::json!({"size": s.size, "root": B64.encode(s.root), "checkpoint": note}),
                )
            })
            .collect();
        let tmp = self.state.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(
            &serde_json::json!({ "logs": logs }),
        )?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.state)?;
        if let Some(dir) = self.state.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// Serves the witness on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, w: WitnessServer) -> std::io::Result<()> {
    axum::serve(listener, router(Arc::new(w)))
        .with_graceful_shutdown(crate::shutdown_signal())
        .await
}

/// The witness's HTTP interface: `POST /add-checkpoint`.
pub fn router(w: Arc<WitnessServer>) -> axum::Router {
    axum::Router::new()
        .route("/add-checkpoint", axum::routing::post(add))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST))
        .with_state(w)
}

async fn add(State(w): State<Arc<WitnessServer>>, body: Bytes) -> Response {
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return (StatusCode::BAD_REQUEST, "the request is not UTF-8 text\n").into_response();
    };
    match tokio::task::spawn_blocking(move || w.add(&text)).await {
        Ok(Ok(Ok(line))) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line).into_response()
        }
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the witness could not record its state, so it did not cosign: {e}\n"),
        )
            .into_response(),
        Ok(Ok(Err(WitnessError::Conflict { latest, .. }))) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{latest}\n"),
        )
            .into_response(),
        Ok(Ok(Err(e))) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{e}\n"),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// A witness the log pushes its checkpoints to (`serve --witness URL=VKEY`).
#[derive(Debug, Clone)]
pub struct PushTarget {
    /// The submission prefix: requests go to `<url>/add-checkpoint`.
    pub url: String,
    pub key: Verifier,
}

impl std::str::FromStr for PushTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (url, key) = s
            .split_once('=')
            .ok_or("expected URL=VKEY: the witness's submission prefix and its verifier key")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("{url:?}: expected an http:// or https:// URL"));
        }
        let key = Verifier::parse(key).map_err(|e| e.to_string())?;
        if key.algorithm() != truceline_log::note::Algorithm::Cosignature {
            return Err(format!("{}: not a witness's cosignature key", key.encode()));
        }
        Ok(PushTarget {
            url: url.trim_end_matches('/').to_string(),
            key,
        })
    }
}

/// One thread a witness: whenever the log's latest checkpoint is newer than the one this
/// witness last cosigned, push it with the consistency proof from there; a 409 says where the
/// witness is, and the push is made again from that size. Stops when `stop` turns true.
pub fn spawn_pushers(
    service: Arc<truceline_service::Service>,
    targets: Vec<PushTarget>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<Vec<std::thread::JoinHandle<()>>> {
    targets
        .into_iter()
        .map(|t| {
            let service = service.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("witness-push".into())
                .spawn(move || push_loop(&service, &t, &stop))
        })
        .collect()
}

fn push_loop(
    service: &truceline_service::Service,
    t: &PushTarget,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    // What the witness has cosigned, as far as this log knows (0: ask it).
    let mut known = 0u64;
    let mut cosigned_at = 0u64;
    let mut wait = Duration::from_millis(500);
    while !*stop.borrow() {
        let latest = service.log.latest.read().unwrap().clone();
        match latest {
            Some(cp) if cp.checkpoint.size > cosigned_at => {
                match push(service, &agent, t, &cp, &mut known) {
                    Ok(()) => {
                        cosigned_at = cp.checkpoint.size;
                        wait = Duration::from_millis(500);
                    }
                    Err(e) => {
                        tracing::warn!(witness = %t.url, error = %e, "checkpoint not cosigned");
                        wait = (wait * 2).min(Duration::from_secs(30));
                    }
                }
            }
            _ => {}
        }
        // In short steps, so that a backed-off pusher does not hold up the server's shutdown.
        let until = std::time::Instant::now() + wait;
        while !*stop.borrow() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn push(
    service: &truceline_service::Service,
    agent: &ureq::Agent,
    t: &PushTarget,
    cp: &truceline_log::checkpoint::SignedCheckpoint,
    known: &mut u64,
) -> Result<(), String> {
    let size = cp.checkpoint.size;
    // Twice at most: the second time from the size a 409 named.
    for _ in 0..2 {
        let old = (*known).min(size);
        let proof = if old > 0 && old < size {
            service
                .store
                .consistency_proof(old, size)
                .map_err(|e| e.to_string())?
        } else {
            Vec::new()
        };
        // The log's own signature only: the witness ignores others anyway.
        let note = format!(
            "{}\n{}",
            cp.note.text,
            cp.note
                .signatures
                .iter()
                .filter(|s| s.name == cp.checkpoint.origin)
                .map(|s| s.line.as_str())
                .collect::<String>()
        );
        let body = AddCheckpoint {
            old,
            proof,
            checkpoint: note.clone(),
        }
        .encode();
        let mut r = agent
            .post(format!("{}/add-checkpoint", t.url))
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(body.as_bytes())
            .map_err(|e| format!("cannot reach the witness: {e}"))?;
        let status = r.status().as_u16();
        let text = r
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        match (status, text.trim().parse::<u64>()) {
            (200, _) => {
                let c = service
                    .log
                    .cosign_with(
                        service.store.as_ref(),
                        &format!("{note}{text}"),
                        std::slice::from_ref(&t.key),
                    )
                    .map_err(|e| format!("its answer: {e}"))?;
                if c.added.is_empty() {
                    return Err("its answer holds no cosignature by its key".into());
                }
                *known = size;
                return Ok(());
            }
            (409, Ok(theirs)) => {
                if theirs > size {
                    return Err(format!(
                        "the witness has cosigned size {theirs}, beyond this log's {size}"
                    ));
                }
                *known = theirs;
            }
            _ => return Err(format!("HTTP {status}: {}", text.trim())),
        }
    }
    Err("the witness moved twice".into())
}
