//! The application: what Truceline does, behind every door.
//!
//! The domain crates know the agreement, observations, fusion, assessment and the log's
//! algorithms, and do no I/O; the store keeps records. This crate joins them into the product:
//! the evidence log's lifecycle ([`evidence`]: signing checkpoints, keeping cosignatures), the
//! keys of a data directory ([`keys`]), online fusion ([`online`]: the published incidents,
//! kept current as the store grows, and the one `fuse_store` that offline commands use too),
//! and daily reports ([`reports`]). The HTTP server and the command line are thin translations
//! onto a [`Service`]; authorisation will sit here, once for every door.
//!
//! Nothing here knows HTTP or SQL: it holds an `Arc<dyn Store>`.

pub mod accounts;
pub mod audit;
pub mod certificates;
pub mod evidence;
mod growth;
pub mod health;
pub mod keys;
pub mod maritime;
pub mod online;
mod periodic;
pub mod records;
pub mod reports;
pub mod review;
pub mod sites;
pub mod views;

use std::sync::Arc;

use crate::views::View;
use truceline_incident::IncidentRecord;
use truceline_log::checkpoint::SignedCheckpoint;
use truceline_observation::{FieldError, Observation, Vocabulary};
use truceline_store::{NewObservation, Outcome, Store, StoreError, StoredObservation};

pub use evidence::{CosignError, Cosigned, LogState};
pub use keys::{KeyError, KeyRegistry};
pub use online::{Change, Fuser, OnlineFusion, Published, Start, vocabulary};
pub use reports::DaySettings;

/// What the pages show about the agreement in force.
#[derive(Debug, Clone, Default)]
pub struct AgreementInfo {
    pub id: String,
    pub title: String,
    pub illustrative: bool,
    pub notice: Option<String>,
}

impl AgreementInfo {
    pub fn of(a: &truceline_agreement::Agreement) -> AgreementInfo {
        AgreementInfo {
            id: a.id.clone(),
            title: a.title.clone(),
            illustrative: a.illustrative,
            notice: a.notice.clone(),
        }
    }
}

/// Why a request was not carried out. Each door says it in its own terms.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// An observation's signature did not check out (line 1-based); nothing was written.
    #[error("line {line}: {error}; nothing of this request was written")]
    Signature { line: usize, error: FieldError },
    /// An id is stored with other content (line 1-based); nothing was written.
    #[error(
        "line {line}: {what} {id:?} is already stored with other content; the stored one is unchanged and nothing of this request was written"
    )]
    Conflict {
        line: usize,
        what: &'static str,
        id: String,
    },
    /// A monitor submitted as an observer it is not bound to; nothing was written.
    #[error(
        "line {line}: account {account:?} may not submit as observer {observer:?}; nothing of this request was written"
    )]
    NotYours {
        line: usize,
        account: String,
        observer: String,
    },
    /// A field of a request is not what is expected.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The caller's role may do this, but not to this (403).
    #[error("{0}")]
    Forbidden(String),
    /// A party replied after the deadline the mission set.
    #[error("the deadline for a reply was {deadline}; a reply can no longer be put on the record")]
    Deadline { deadline: String },
    #[error("no {what} has id {id:?}")]
    NotFound { what: &'static str, id: String },
    /// A report of a day still in progress cannot be published: its figures still grow.
    #[error(
        "the mission day {date} ends at {ends}; its report can be published once the day is over"
    )]
    DayOpen { date: String, ends: String },
    #[error(transparent)]
    Report(#[from] truceline_report::ReportError),
    #[error(transparent)]
    Cosign(#[from] CosignError),
    #[error(transparent)]
    Account(#[from] accounts::AccountError),
    #[error(transparent)]
    Certificate(#[from] certificates::CertificateError),
    #[error("{0}; nothing of this request was written, send it again")]
    Store(#[from] StoreError),
}

/// An incident's evidence: its observations as stored, and each one's inclusion proof in the
/// latest signed checkpoint with the leaf's exact bytes, so that a reader can check it against
/// the log without trusting the mission.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub observations: Vec<StoredObservation>,
    pub checkpoint: Option<SignedCheckpoint>,
    /// Each observation under the checkpoint.
    pub proofs: Vec<Proved>,
}

/// One observation's leaf proved under a checkpoint.
#[derive(Debug, Clone)]
pub struct Proved {
    pub log_index: u64,
    /// The inclusion proof.
    pub hashes: Vec<truceline_log::Hash>,
    pub leaf: Logged,
}

/// How an observation is logged.
#[derive(Debug, Clone)]
pub enum Logged {
    /// In the committed form, from which its fields are disclosed.
    Committed(truceline_store::committed::Commitment),
    /// Before the committed form: the leaf's bytes are the whole observation.
    Plain(Vec<u8>),
}

impl Logged {
    /// The leaf's exact bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Logged::Committed(c) => &c.committed,
            Logged::Plain(b) => b,
        }
    }
}

/// Tokens looked up, by hash, with their accounts.
type TokenCache =
    std::collections::HashMap<[u8; 32], (truceline_store::Token, truceline_store::Account)>;

/// The application over one store and one agreement.
pub struct Service {
    pub store: Arc<dyn Store>,
    pub agreement: AgreementInfo,
    pub vocab: Vocabulary,
    pub log: LogState,
    pub fusion: Arc<OnlineFusion>,
    pub reports: truceline_report::Context,
    pub day: DaySettings,
    /// Browser sessions opened by signing in.
    pub sessions: accounts::Sessions,
    /// Field offices heard from (headquarters), and this server's own forwarding (a site).
    pub sites: sites::Sites,
    /// Tokens looked up so far, by hash, as of the store's [`accounts_changed`] count. Accounts
    /// and tokens change through this service (which forgets them, `forget_tokens`) or, on a
    /// shared store, through a standby's intake, which moves that count: so nothing changes
    /// them behind its back, and expiry is judged again at every request. A standby of a shared
    /// store (whose writer is another server) does not use it.
    ///
    /// [`accounts_changed`]: truceline_store::AccountStore::accounts_changed
    tokens: std::sync::RwLock<(u64, TokenCache)>,
    /// How long a party has to reply to an incident attributed to it.
    pub reply_window: jiff::SignedDuration,
    /// Refuse unsigned observations (`serve --require-signatures`).
    pub require_signatures: bool,
    /// Decisions and replies by incident id, as kept (see [`review`]).
    reviews: std::sync::RwLock<std::collections::HashMap<String, review::Review>>,
    /// The log index of the latest decision or reply read back from the store.
    reviews_read: std::sync::atomic::AtomicU64,
    /// The key of ids shown outside the mission (see [`views`]).
    view_key: [u8; 32],
    /// Mission days whose public report is published (a publication is never withdrawn).
    published_days: std::sync::RwLock<std::collections::HashSet<String>>,
    /// Audit entries not yet kept, and the signal to keep them early.
    audit: audit::Pending,
    audit_flush: tokio::sync::Notify,
    /// What [`Service::health`] reads: the store's writes, checkpoints' and fusion's lag.
    pub trackers: health::Trackers,
    /// The mission's certificate authority, for devices' certificates (set by the server from
    /// its data directory; none in a service that issues none).
    pub authority: Option<std::sync::Arc<truceline_pki::Authority>>,
    /// AIS taken in, vessels' tracks and what they did (see [`maritime`]).
    pub maritime: maritime::Maritime,
}

impl Service {
    /// The application over `store`, judging against `agreement`, signing with `log`'s key.
    /// Nothing runs yet: [`Service::start`] starts the background work.
    pub fn new(
        store: Arc<dyn Store>,
        agreement: &truceline_agreement::Agreement,
        log: LogState,
    ) -> Result<Service, truceline_zones::EngineError> {
        Ok(Service {
            agreement: AgreementInfo::of(agreement),
            vocab: vocabulary(agreement),
            fusion: Arc::new(OnlineFusion::new(Fuser::new(agreement.clone())?)),
            reports: truceline_report::Context::new(agreement.clone()),
            day: DaySettings::default(),
            sessions: Default::default(),
            sites: Default::default(),
            tokens: Default::default(),
            reply_window: review::DEFAULT_REPLY_WINDOW,
            require_signatures: false,
            reviews: Default::default(),
            reviews_read: Default::default(),
            view_key: views::view_key(&log.signer),
            published_days: Default::default(),
            audit: Default::default(),
            audit_flush: Default::default(),
            trackers: Default::default(),
            authority: None,
            maritime: Default::default(),
            store,
            log,
        })
    }

    /// Starts online fusion (unless `fusion` is false) and the checkpoint signer; both stop
    /// when `stop` turns true. The first checkpoint is signed before this returns, so a witness
    /// never waits for one.
    pub fn start(
        self: &Arc<Self>,
        fusion: bool,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> std::io::Result<Vec<std::thread::JoinHandle<()>>> {
        if let Err(e) = self.log.checkpoint_now(self.store.as_ref()) {
            tracing::warn!(error = %e, "no first checkpoint");
        }
        if let Err(e) = self.load_reviews() {
            tracing::error!(error = %e, "decisions and replies not read");
        }
        if let Err(e) = self.load_vessel_events() {
            tracing::error!(error = %e, "vessels' behaviours not read");
        }
        match self.load_tracks() {
            Ok(0) => {}
            Ok(n) => tracing::info!(vessels = n, "the AIS tracks of the last run taken up"),
            Err(e) => tracing::error!(error = %e, "the AIS tracks of the last run not read"),
        }
        let mut threads = vec![
            evidence::spawn_checkpoints(self.clone(), stop.clone())?,
            audit::spawn_audit(self.clone(), stop.clone())?,
            maritime::spawn_tracks(self.clone(), stop.clone())?,
        ];
        if fusion {
            threads.push(self.fusion.clone().spawn(self.store.clone(), stop)?);
        } else {
            tracing::info!("online fusion is off: no incidents are published");
        }
        Ok(threads)
    }

    /// Stores a request of checked observations made by `caller`, all or nothing: a monitor
    /// bound to observers submits only as them, and each signed observation is verified against
    /// the key registry; answered once the store has made it durable.
    pub async fn submit(
        &self,
        caller: &accounts::Caller,
        observations: &[Observation],
    ) -> Result<Vec<Outcome>, ServiceError> {
        self.tracked(outcome(self.queue(caller, observations)?.await))
    }

    /// [`submit`](Self::submit) from a thread that is not the async runtime's.
    pub fn submit_blocking(
        &self,
        caller: &accounts::Caller,
        observations: &[Observation],
    ) -> Result<Vec<Outcome>, ServiceError> {
        self.tracked(outcome(self.queue(caller, observations)?.blocking_recv()))
    }

    /// Changes whenever anything a report or a map is drawn from may have changed: the log's
    /// size (observations, decisions, replies, publications) and fusion's writes.
    pub fn data_version(&self) -> (u64, u64) {
        (self.store.log_head().0, self.fusion.generation())
    }

    /// Notes a write's outcome for [`Service::health`]: only the store's own failures count
    /// (a conflict is the sender's).
    pub(crate) fn tracked(
        &self,
        r: Result<Vec<Outcome>, ServiceError>,
    ) -> Result<Vec<Outcome>, ServiceError> {
        match &r {
            Ok(_) => self.trackers.writes.ok(),
            Err(ServiceError::Store(e)) => self.trackers.writes.failed(e),
            Err(_) => {}
        }
        r
    }

    fn queue(
        &self,
        caller: &accounts::Caller,
        observations: &[Observation],
    ) -> Result<truceline_store::Pending, ServiceError> {
        self.check_submitter(caller, observations)?;
        self.check_signatures(observations)
            .map_err(|(line, error)| ServiceError::Signature { line, error })?;
        let batch: Vec<NewObservation> = observations.iter().map(NewObservation::from).collect();
        if self.fusion.running() {
            self.fusion.parsed.offer(
                batch
                    .iter()
                    .zip(observations)
                    .map(|(n, o)| (n.body.as_slice(), o)),
            );
        }
        Ok(self.store.submit(batch))
    }

    /// Who a bearer token belongs to, now; `None` (no token) is the public.
    pub fn caller(&self, bearer: Option<&str>) -> Result<accounts::Caller, accounts::Denied> {
        match bearer {
            None => Ok(accounts::Caller::Public),
            Some(secret) => {
                let now = jiff::Timestamp::now().as_millisecond();
                let hash = accounts::hash_token(secret);
                // Only the writer's changes reach the cache (its own through `forget_tokens`,
                // standbys' through the store's count): a standby, whose writer is another
                // process, asks the store every time.
                let changed = self.store.accounts_changed();
                // Odd: a change is committing; read the store and keep nothing.
                let usable = self.store.writes() && changed.is_multiple_of(2);
                let cached = if usable {
                    let t = self.tokens.read().unwrap();
                    if t.0 == changed {
                        t.1.get(&hash).cloned()
                    } else {
                        None
                    }
                } else {
                    None
                };
                let found = match cached {
                    Some(f) => Some(f),
                    None => match self.store.token_by_hash(&hash) {
                        Ok(Some(f)) => {
                            if usable {
                                let mut t = self.tokens.write().unwrap();
                                if t.0 != changed {
                                    *t = (changed, Default::default());
                                }
                                t.1.insert(hash, f.clone());
                            }
                            Some(f)
                        }
                        Ok(None) => None,
                        Err(e) => {
                            tracing::error!(error = %e, "token not checked: store failure");
                            None
                        }
                    },
                };
                found
                    .and_then(|(t, a)| accounts::judge(&t, &a, now).ok())
                    .map(accounts::Caller::Account)
                    .ok_or(accounts::Denied::Unauthenticated)
            }
        }
    }

    /// Drops the cached tokens: called after every change to accounts or tokens.
    pub(crate) fn forget_tokens(&self) {
        self.tokens.write().unwrap().1.clear();
    }

    /// Who a browser session's cookie belongs to, now.
    pub fn session_caller(&self, secret: &str) -> Result<accounts::Caller, accounts::Denied> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.sessions
            .principal(self.store.as_ref(), secret, now)
            .map(accounts::Caller::Account)
            .map_err(|_| accounts::Denied::Unauthenticated)
    }

    /// Refuses observations that `caller` may not submit: a monitor bound to observers submits
    /// only as them (line 1-based, as the other refusals).
    fn check_submitter(
        &self,
        caller: &accounts::Caller,
        observations: &[Observation],
    ) -> Result<(), ServiceError> {
        let accounts::Caller::Account(p) = caller else {
            return Ok(());
        };
        match observations
            .iter()
            .position(|o| !p.may_submit_as(&o.observer))
        {
            None => Ok(()),
            Some(i) => Err(ServiceError::NotYours {
                line: i + 1,
                account: p.account.clone(),
                observer: observations[i].observer.clone(),
            }),
        }
    }

    /// Brings the stored incidents up to date if they are behind the store, for commands that
    /// run without a server, as online fusion's first round does: reading on from where they
    /// stop (the days of what was stored after it fused again), or fusing the whole store when
    /// that is not known. Returns how it went, `None` if they were current; blocking.
    pub fn fuse_store(&self) -> Result<Option<Start>, ServiceError> {
        let (_, total) = self.store.high_water()?;
        if self.store.fused()?.is_some_and(|f| f.observations == total) {
            return Ok(None);
        }
        self.fusion.refresh(self.store.as_ref())?;
        Ok(self.fusion.state.read().unwrap().start)
    }

    /// A published incident by id: a held day's from memory, an older one from the store;
    /// blocking.
    pub fn incident(&self, id: &str) -> Result<IncidentRecord, ServiceError> {
        {
            let published = self.fusion.state.read().unwrap();
            if let Some(&k) = published.by_id.get(id) {
                return Ok(published.incidents[k].clone());
            }
        }
        self.store
            .incident(id)?
            .map(|r| r.record)
            .ok_or_else(|| ServiceError::NotFound {
                what: "published incident",
                id: id.to_string(),
            })
    }

    /// The published incidents with `time` in `[from_ms, to_ms)`, in (time, id) order: from
    /// memory when the span lies within the days fusion holds, otherwise from the store;
    /// blocking.
    pub fn incidents_between(
        &self,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> Result<Vec<IncidentRecord>, ServiceError> {
        {
            let published = self.fusion.state.read().unwrap();
            if published
                .live_from_ms
                .is_some_and(|live| from_ms.is_some_and(|f| f >= live))
            {
                return Ok(published
                    .incidents
                    .iter()
                    .filter(|r| {
                        let t = r.time_ms();
                        from_ms.is_none_or(|f| t >= f) && to_ms.is_none_or(|e| t < e)
                    })
                    .cloned()
                    .collect());
            }
        }
        Ok(self
            .store
            .incidents_between(from_ms.unwrap_or(i64::MIN), to_ms.unwrap_or(i64::MAX))?
            .into_iter()
            .map(|r| r.record)
            .collect())
    }

    /// The evidence of an incident: its observations and their proofs; blocking.
    pub fn evidence(&self, incident: &IncidentRecord) -> Result<Evidence, ServiceError> {
        let checkpoint = self.log.latest.read().unwrap().clone();
        let size = checkpoint.as_ref().map_or(0, |c| c.checkpoint.size);
        let mut observations = Vec::with_capacity(incident.observations.len());
        let mut proofs = Vec::new();
        for id in &incident.observations {
            let Some((o, commitment)) = self.store.committed(id)? else {
                continue;
            };
            if o.log_index < size {
                proofs.push(Proved {
                    log_index: o.log_index,
                    hashes: self.store.inclusion_proof(o.log_index, size)?,
                    leaf: match commitment {
                        Some(c) => Logged::Committed(c),
                        None => Logged::Plain(truceline_log::leaf_bytes(
                            truceline_store::OBSERVATION,
                            &o.body,
                        )),
                    },
                });
            }
            observations.push(o);
        }
        Ok(Evidence {
            observations,
            checkpoint,
            proofs,
        })
    }

    /// An incident's evidence document (SPEC 4.2): each of its observations logged in the
    /// committed form, with the disclosures `view` may see and its inclusion proof under the
    /// latest checkpoint. Outside the mission (a liaison, the public) who observed, where
    /// they stood or what they located, and their notes, media and signatures are not
    /// disclosed ([`truceline_disclosure::shown_outside`]). `None` before the
    /// first checkpoint is signed; blocking.
    pub fn evidence_document(
        &self,
        incident: &IncidentRecord,
        view: &View,
    ) -> Result<Option<truceline_disclosure::Evidence>, ServiceError> {
        let e = self.evidence(incident)?;
        let Some(checkpoint) = e.checkpoint else {
            return Ok(None);
        };
        let shown = |name: &str| *view == View::Full || truceline_disclosure::shown_outside(name);
        let mut items = Vec::new();
        let mut uncommitted = Vec::new();
        for p in &e.proofs {
            match &p.leaf {
                Logged::Committed(c) => items.push(truceline_disclosure::Item::new(
                    p.log_index,
                    c,
                    shown,
                    &p.hashes,
                )),
                Logged::Plain(_) => uncommitted.push(p.log_index),
            }
        }
        Ok(Some(truceline_disclosure::Evidence {
            checkpoint: checkpoint.to_note(),
            items,
            uncommitted,
        }))
    }

    /// Keeps a witness's cosignature; blocking.
    pub fn cosign(&self, note: &str) -> Result<Cosigned, ServiceError> {
        Ok(self.log.cosign(self.store.as_ref(), note)?)
    }

    /// Signs a checkpoint if the log has grown since the last; blocking.
    pub fn checkpoint_now(&self) -> Result<bool, ServiceError> {
        Ok(self.log.checkpoint_now(self.store.as_ref())?)
    }
}

pub(crate) fn outcome(
    r: Result<Result<Vec<Outcome>, StoreError>, tokio::sync::oneshot::error::RecvError>,
) -> Result<Vec<Outcome>, ServiceError> {
    match r {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(StoreError::Conflict { index, id })) => Err(ServiceError::Conflict {
            line: index + 1,
            what: "observation",
            id,
        }),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(StoreError::Closed.into()),
    }
}

/// Checks every signed observation against the key registry: the signature covers the
/// observation's canonical form without `key_id` and `signature`.
/// A key a monitor registered signs only for the observers that monitor may submit as; a
/// deployment that requires signatures refuses an unsigned observation.
impl Service {
    fn check_signatures(&self, observations: &[Observation]) -> Result<(), (usize, FieldError)> {
        for (i, o) in observations.iter().enumerate() {
            self.check_signature(
                Some(&o.observer),
                o.signature.as_ref(),
                &o.canonical,
                "observation",
            )
            .map_err(|e| (i + 1, e))?;
        }
        Ok(())
    }

    /// Verifies one signed record (an observation, or another record made in the field) against
    /// the key registry: the key must be registered and, if an account owns it, that account may
    /// submit as the record's observer.
    fn check_signature(
        &self,
        observer: Option<&str>,
        sig: Option<&truceline_observation::Signature>,
        canonical: &[u8],
        what: &str,
    ) -> Result<(), FieldError> {
        let Some(sig) = sig else {
            if self.require_signatures {
                return Err(FieldError::new(
                    "signature",
                    format!(
                        "this deployment requires every {what} signed by its device's registered key (key_id, signature)"
                    ),
                ));
            }
            return Ok(());
        };
        let (key, owner) = self
            .log
            .keys
            .get_owned(&sig.key_id)
            .filter(|(k, _)| k.algorithm() == truceline_log::note::Algorithm::Ed25519)
            .ok_or_else(|| {
                FieldError::new(
                    "key_id",
                    format!(
                        "no monitor key named {:?} is registered; add its verifier key with `truceline keys add`",
                        sig.key_id
                    ),
                )
            })?;
        if let Some(owner) = owner {
            let bound = match self.store.account(&owner) {
                Ok(Some(a)) => {
                    let p = accounts::principal_of(&a);
                    !a.disabled
                        && match observer {
                            Some(o) => p.may_submit_as(o),
                            None => p.observers.is_none(),
                        }
                }
                _ => false,
            };
            if !bound {
                return Err(FieldError::new(
                    "key_id",
                    format!(
                        "key {:?} belongs to account {owner:?}, which may not submit as observer {:?}",
                        sig.key_id,
                        observer.unwrap_or("(none named)")
                    ),
                ));
            }
        }
        let payload = truceline_observation::signed_payload(canonical);
        let raw =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sig.signature)
                .unwrap_or_default();
        if !key.verify_bytes(&payload, &raw) {
            return Err(FieldError::new(
                "signature",
                format!(
                    "does not verify with key {:?} over the canonical form of the other fields",
                    sig.key_id
                ),
            ));
        }
        Ok(())
    }
}
