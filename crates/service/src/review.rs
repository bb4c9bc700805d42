//! Analysts' decisions on incidents and the parties' right of reply (SPEC 5).
//!
//! Both are records of the evidence log, made by an account at a time: a decision (`confirm`,
//! `reject` as a false alarm, `attribute` to a party on a stated basis) by an analyst or the
//! chief; a reply by the liaison of the party an incident is attributed to, before a deadline
//! the mission sets (default 72 hours after the incident, or after the decision that attributed
//! it). Nothing is edited: a later decision stands over an earlier one, and every one is shown.

use serde::Deserialize;
use serde_json::{Value, json};
use truceline_incident::IncidentRecord;
pub use truceline_incident::review::{Entry, Review, Verdict};
use truceline_store::{NewRecord, RecordQuery};

use crate::accounts::{Caller, Role};
use crate::views::View;
use crate::{Service, ServiceError};

/// How long a party has to reply, by default.
pub const DEFAULT_REPLY_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(72);
/// The longest basis or reply, characters.
pub const MAX_TEXT: usize = 4000;

/// A decision as asked for (`POST /incidents/{id}/decisions`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub decision: Verdict,
    #[serde(default)]
    pub party: Option<String>,
    #[serde(default)]
    pub basis: Option<String>,
}

/// How the service shows a review to a reader.
pub trait ReviewView {
    fn to_json(&self, view: &View, svc: &Service) -> Value;
}

impl ReviewView for Review {
    /// As `view` is shown it: the mission's readers see who decided and replied; others see
    /// what was decided and replied, not by whom.
    fn to_json(&self, view: &View, svc: &Service) -> Value {
        let full = *view == View::Full;
        let entry = |e: &Entry| {
            let mut v = json!({
                "time": e.time.to_string(),
                "log_index": e.log_index,
            });
            if let Some(d) = e.decision {
                v["decision"] = json!(d);
            }
            if let Some(p) = &e.party {
                v["party"] = json!(p);
            }
            if let Some(b) = &e.basis {
                v["basis"] = json!(if full { b.clone() } else { svc.redact_text(b) });
            }
            if let Some(t) = &e.text {
                v["text"] = json!(t);
            }
            if full {
                v["account"] = json!(e.account);
            }
            v
        };
        json!({
            "status": self.status(),
            "party": self.party(),
            "decisions": self.decisions.iter().map(entry).collect::<Vec<_>>(),
            "replies": self.replies.iter().map(entry).collect::<Vec<_>>(),
        })
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field,
        message: message.into(),
    }
}

fn text_field(field: &'static str, v: Option<&str>) -> Result<Option<String>, ServiceError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > MAX_TEXT => Err(invalid(
            field,
            format!("at most {MAX_TEXT} characters, found {}", t.chars().count()),
        )),
        Some(t) => Ok(Some(t.to_string())),
    }
}

impl Service {
    /// Reads every decision and reply kept; called once at start. Blocking.
    pub fn load_reviews(&self) -> Result<(), ServiceError> {
        self.read_reviews(None)
    }

    /// Reads the decisions and replies kept since the last read (by any server of the store)
    /// into the reviews: what a standby shows, and what a writer that took over from another
    /// holds. Reads only the new records, whatever the mission's history.
    pub fn follow_reviews(&self) -> Result<(), ServiceError> {
        self.read_reviews(Some(
            self.reviews_read.load(std::sync::atomic::Ordering::Relaxed),
        ))
    }

    /// Reads the decisions and replies kept after log index `after` into the reviews; for
    /// `None`, all of them, in place of those held (under one lock: a reader sees the old
    /// reviews or the new, never part of them).
    fn read_reviews(&self, after: Option<u64>) -> Result<(), ServiceError> {
        let kept = self.kept_reviews(after)?;
        if after.is_some() && kept.is_empty() {
            return Ok(());
        }
        let mut reviews = self.reviews.write().unwrap();
        if after.is_none() {
            reviews.clear();
        }
        for r in &kept {
            if !Review::add(&mut reviews, &r.kind, &r.record, r.log_index) {
                tracing::warn!(
                    log_index = r.log_index,
                    "a decision or reply record not read"
                );
            }
        }
        let last = kept.iter().map(|r| r.log_index).max().unwrap_or(0);
        match after {
            None => self
                .reviews_read
                .store(last, std::sync::atomic::Ordering::Relaxed),
            Some(_) => {
                self.reviews_read
                    .fetch_max(last, std::sync::atomic::Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// The decisions, then the replies, kept after log index `after` (all of them for `None`).
    fn kept_reviews(
        &self,
        after: Option<u64>,
    ) -> Result<Vec<truceline_store::StoredRecord>, ServiceError> {
        let mut kept = Vec::new();
        for kind in ["decision", "reply"] {
            kept.extend(self.store.records(&RecordQuery {
                kind,
                after,
                ..Default::default()
            })?);
        }
        Ok(kept)
    }

    /// The review of an incident, if any.
    pub fn review(&self, id: &str) -> Option<Review> {
        self.reviews.read().unwrap().get(id).cloned()
    }

    /// Whether the analysts' latest decision on an incident rejected it as a false alarm.
    pub fn rejected(&self, id: &str) -> bool {
        self.reviews
            .read()
            .unwrap()
            .get(id)
            .is_some_and(|r| r.status() == "rejected")
    }

    /// Until when the attributed party may reply (see [`Review::reply_deadline`]).
    pub fn reply_deadline(&self, rec: &IncidentRecord, review: Option<&Review>) -> jiff::Timestamp {
        Review::reply_deadline(review, rec, self.reply_window)
    }

    /// A published incident by its id or, for those who see it so, its shown id (found by a
    /// scan: shown ids are not indexed).
    pub fn find_incident(&self, id: &str) -> Result<IncidentRecord, ServiceError> {
        match self.incident(id) {
            Err(ServiceError::NotFound { .. }) if id.starts_with("pi-") => {
                let held = {
                    let published = self.fusion.state.read().unwrap();
                    published
                        .incidents
                        .iter()
                        .find(|r| self.public_id(&r.id) == id)
                        .cloned()
                };
                let found = match held {
                    Some(r) => Some(r),
                    // Beyond the held days: as far back as a reply may still come, and a day
                    // more for a decision that reset the deadline.
                    None => {
                        let window =
                            self.reply_window.as_millis() as i64 + truceline_fusion::DAY_MS;
                        // Up to now: what fusion just stored may not be held in memory yet.
                        let live = self.fusion.state.read().unwrap().live_from_ms;
                        let from = live.map_or(i64::MIN, |l| l - window);
                        self.store
                            .incidents_between(from, i64::MAX)?
                            .into_iter()
                            .map(|r| r.record)
                            .find(|r| self.public_id(&r.id) == id)
                    }
                };
                found.ok_or_else(|| ServiceError::NotFound {
                    what: "published incident",
                    id: id.to_string(),
                })
            }
            other => other,
        }
    }

    /// Keeps an analyst's decision on an incident; returns its log index. Blocking.
    pub fn decide(
        &self,
        caller: &Caller,
        id: &str,
        d: &Decision,
        now: jiff::Timestamp,
    ) -> Result<u64, ServiceError> {
        let rec = self.find_incident(id)?;
        let basis = text_field("basis", d.basis.as_deref())?;
        let party = text_field("party", d.party.as_deref())?;
        match (d.decision, &party) {
            (Verdict::Attribute, None) => {
                return Err(invalid(
                    "party",
                    format!(
                        "an attribution names the party: one of {}",
                        self.parties().join(", ")
                    ),
                ));
            }
            (Verdict::Attribute, Some(p)) if !self.parties().contains(p) => {
                return Err(invalid(
                    "party",
                    format!(
                        "{p:?} is not a party: expected one of {}",
                        self.parties().join(", ")
                    ),
                ));
            }
            (Verdict::Attribute, _) if basis.is_none() => {
                return Err(invalid(
                    "basis",
                    "an attribution states its basis: what shows the party fired",
                ));
            }
            (Verdict::Confirm | Verdict::Reject, Some(_)) => {
                return Err(invalid(
                    "party",
                    "only an attribution names a party; confirm and reject take a basis alone",
                ));
            }
            _ => {}
        }
        if let Some(b) = &basis {
            self.names_no_observer(b)?;
        }
        let entry = Entry {
            account: caller.name().to_string(),
            basis,
            decision: Some(d.decision),
            incident: rec.id.clone(),
            party,
            text: None,
            time: now,
            log_index: 0,
        };
        self.keep(entry, "decision", &rec)
    }

    /// Keeps a party's reply to an incident attributed to it; returns its log index. Blocking.
    pub fn reply(
        &self,
        caller: &Caller,
        id: &str,
        text: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<u64, ServiceError> {
        let party = match caller {
            Caller::Account(p) if p.role == Role::Liaison => p.party.clone(),
            _ => None,
        }
        .ok_or_else(|| {
            ServiceError::Forbidden(
                "only a party's liaison replies, for the incidents attributed to its party".into(),
            )
        })?;
        let rec = self.find_incident(id)?;
        let review = self.review(&rec.id);
        if Review::reply_party(review.as_ref(), &rec) != Some(party.as_str()) {
            return Err(ServiceError::Forbidden(format!(
                "incident {id} is not attributed to {party}: a party replies only to what is attributed to it"
            )));
        }
        let deadline = self.reply_deadline(&rec, review.as_ref());
        if now > deadline {
            return Err(ServiceError::Deadline {
                deadline: deadline.to_string(),
            });
        }
        let text = text_field("text", text)?
            .ok_or_else(|| invalid("text", "the reply's text, at most 4000 characters"))?;
        let entry = Entry {
            account: caller.name().to_string(),
            basis: None,
            decision: None,
            incident: rec.id.clone(),
            party: Some(party),
            text: Some(text),
            time: now,
            log_index: 0,
        };
        self.keep(entry, "reply", &rec)
    }

    /// Refuses a basis that names an observer or an observation: decisions are shown to the
    /// parties and the public, who may not learn who observed.
    fn names_no_observer(&self, text: &str) -> Result<(), ServiceError> {
        for word in text
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
            .map(|w| w.trim_end_matches(['.', ':']))
            .filter(|w| w.len() >= 2 && !w.starts_with("inc-"))
        {
            let q = truceline_store::Query {
                observer: Some(word.to_string()),
                limit: 1,
                ..Default::default()
            };
            let observer = !self.store.query(&q)?.items.is_empty();
            if observer || self.store.get(word)?.is_some() {
                return Err(invalid(
                    "basis",
                    format!(
                        "it names {} {word:?}, whose identity is not shown outside the mission; state the evidence without it",
                        if observer { "observer" } else { "observation" }
                    ),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn parties(&self) -> Vec<String> {
        self.fusion
            .fuser()
            .agreement
            .parties
            .iter()
            .map(|p| p.id.clone())
            .collect()
    }

    fn keep(
        &self,
        mut entry: Entry,
        kind: &str,
        rec: &IncidentRecord,
    ) -> Result<u64, ServiceError> {
        let record = serde_jcs::to_vec(&entry).map_err(|e| {
            ServiceError::Store(truceline_store::StoreError::Inconsistent(e.to_string()))
        })?;
        let index = self.store.append_records(vec![NewRecord {
            kind: kind.into(),
            subject: Some(rec.id.clone()),
            account: entry.account.clone(),
            time_ms: entry.time.as_millisecond(),
            record,
        }])?[0];
        entry.log_index = index;
        {
            let mut reviews = self.reviews.write().unwrap();
            reviews
                .entry(rec.id.clone())
                .or_default()
                .insert(kind, entry);
        }
        // Listeners hear of the incident again, with its review.
        if let Ok(json) = serde_json::to_string(rec) {
            let _ = self.fusion.events.send(crate::Change::Incident(json));
        }
        self.log.checkpoint_now(self.store.as_ref())?;
        Ok(index)
    }
}
