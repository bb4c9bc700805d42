//! What each reader is shown of an incident (SPEC 5).
//!
//! The mission's readers (analysts, the chief) see incidents whole. Everyone else — a party's
//! liaison, the public feed — sees them as the public edition of a report does: no observation
//! ids, no observer, the location moved to the centre of a 0.01° cell with its ellipse widened
//! ([`truceline_incident::public_location`]), and an incident id that does not embed an
//! observation's (fusion names an incident after its first observation, which names its
//! observer). That id is a keyed hash: the key is derived from the log's private key, so it is
//! stable across restarts, and nobody without it can test guesses of observation ids against it.

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use truceline_incident::IncidentRecord;

use crate::accounts::{Caller, Role};
use crate::review::{Review, ReviewView};
use crate::{Service, ServiceError};

/// How much of an incident a caller is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Whole: the mission's readers, and the open demonstration.
    Full,
    /// Incidents attributed to or located in this party's area, as the public edition shows
    /// them.
    Liaison(String),
    /// Incidents of days whose report is published, as the public edition shows them.
    Public,
}

impl View {
    pub fn of(caller: &Caller) -> View {
        match caller {
            Caller::Open => View::Full,
            Caller::Account(p) => match (p.role, &p.party) {
                (Role::Analyst | Role::Chief, _) => View::Full,
                (Role::Liaison, Some(party)) => View::Liaison(party.clone()),
                _ => View::Public,
            },
            Caller::Public => View::Public,
        }
    }
}

/// The key of the ids shown outside the mission, from the log's private key.
pub(crate) fn view_key(signer: &truceline_log::note::Signer) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"truceline/incident-view-id/v1\n");
    h.update(signer.encode().as_bytes());
    h.finalize().into()
}

impl Service {
    /// The id an incident is shown under outside the mission: `pi-` and 16 hex digits of a
    /// keyed SHA-256 of its id.
    pub fn public_id(&self, id: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.view_key);
        h.update(id.as_bytes());
        let d = h.finalize();
        let mut out = String::with_capacity(19);
        out.push_str("pi-");
        for b in &d[..8] {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// Whether `view` may see `rec` (the public view is judged by day: [`Service::published`]).
    pub fn shows(&self, view: &View, rec: &IncidentRecord, review: Option<&Review>) -> bool {
        match view {
            View::Full | View::Public => true,
            View::Liaison(party) => {
                Review::reply_party(review, rec) == Some(party.as_str())
                    || rec.place_control() == Some(party.as_str())
            }
        }
    }

    /// Whether `view` may see `rec`, with the review kept for it.
    pub fn sees(&self, view: &View, rec: &IncidentRecord) -> bool {
        self.shows(view, rec, self.reviews.read().unwrap().get(&rec.id))
    }

    /// `rec` as shown outside the mission: its id keyed, its observations gone, its place
    /// rounded (coarsely where its place is its observer's, whose area is then not named
    /// either), incidents its basis cites named by their shown ids.
    pub fn redact(&self, rec: &IncidentRecord) -> IncidentRecord {
        let (location, ellipse) = rec.public_place();
        let mut r = rec.clone();
        r.control = rec.place_control().map(str::to_string);
        r.id = self.public_id(&rec.id);
        r.observations.clear();
        r.location = location;
        r.error_ellipse_m = Some(ellipse);
        r.attribution.basis = self.redact_text(&rec.attribution.basis);
        r
    }

    /// A text with every incident id in it replaced by its shown id.
    pub fn redact_text(&self, text: &str) -> String {
        text.split(' ')
            .map(|w| {
                let id = w.trim_end_matches([',', ';', ':', '.', ')']);
                if id.starts_with("inc-") {
                    format!("{}{}", self.public_id(id), &w[id.len()..])
                } else {
                    w.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The incident as `view` is shown it (redacted outside the mission); `None` if the view
    /// may not see it.
    pub fn shown_incident(&self, rec: &IncidentRecord, view: &View) -> Option<IncidentRecord> {
        match view {
            View::Full => Some(rec.clone()),
            _ if self.sees(view, rec) => Some(self.redact(rec)),
            _ => None,
        }
    }

    /// An incident as `view` is shown it, with the analysts' decisions and the parties'
    /// replies; `None` if the view may not see it.
    pub fn incident_json(&self, rec: &IncidentRecord, view: &View) -> Option<Value> {
        let reviews = self.reviews.read().unwrap();
        let review = reviews.get(&rec.id);
        if !self.shows(view, rec, review) {
            return None;
        }
        let mut v = match view {
            View::Full => json!(rec),
            _ => json!(self.redact(rec)),
        };
        v["review"] = match review {
            Some(r) => r.to_json(view, self),
            None => json!({"status": "unreviewed", "party": null, "decisions": [], "replies": []}),
        };
        if let Some(party) = Review::reply_party(review, rec) {
            v["reply_deadline"] = json!(self.reply_deadline(rec, review).to_string());
            v["review"]["reply_party"] = json!(party);
        }
        Some(v)
    }

    /// The incident `view` may see under `id`: outside the mission only by its shown id, and
    /// for the public only once the report of its mission day is published; blocking.
    pub fn incident_for(
        &self,
        view: &View,
        id: &str,
    ) -> Result<Option<IncidentRecord>, ServiceError> {
        if *view != View::Full && !id.starts_with("pi-") {
            return Ok(None);
        }
        let rec = match self.find_incident(id) {
            Ok(r) => r,
            Err(ServiceError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if *view == View::Public
            && !self.published(&self.day.containing(rec.time)?.date.to_string())?
        {
            return Ok(None);
        }
        Ok(self.sees(view, &rec).then_some(rec))
    }

    /// The incident shown under `id` to the public: only if the report of its mission day is
    /// published; blocking.
    pub fn public_incident(&self, id: &str) -> Result<Option<Value>, ServiceError> {
        match self.incident_for(&View::Public, id)? {
            Some(rec) => self.public_json(&rec),
            None => Ok(None),
        }
    }

    /// Whether the public edition of the report of mission day `date` is published; blocking.
    pub fn published(&self, date: &str) -> Result<bool, ServiceError> {
        if self.published_days.read().unwrap().contains(date) {
            return Ok(true);
        }
        let yes = self
            .store
            .published_reports(date)?
            .iter()
            .any(|(a, _, _)| a == "public");
        if yes {
            self.published_days
                .write()
                .unwrap()
                .insert(date.to_string());
        }
        Ok(yes)
    }

    /// Whether mission day `date`'s public report is published, asked of the store once for
    /// each day `days` has not seen.
    fn published_in(
        &self,
        date: &str,
        days: &mut HashMap<String, bool>,
    ) -> Result<bool, ServiceError> {
        if let Some(&p) = days.get(date) {
            return Ok(p);
        }
        let p = self.published(date)?;
        days.insert(date.to_string(), p);
        Ok(p)
    }

    /// Where the public feed reads on from when it meets an incident at `t`: `None` if that
    /// mission day's public report is published, else the day's end in ms, since nothing of
    /// the day is public (a year with few days published is then a few reads, not one for
    /// every incident of the year).
    pub fn public_resume(
        &self,
        t: jiff::Timestamp,
        days: &mut HashMap<String, bool>,
    ) -> Result<Option<i64>, ServiceError> {
        let day = self.day.containing(t)?;
        Ok((!self.published_in(&day.date.to_string(), days)?).then(|| day.to_ms()))
    }

    /// `rec` as the public feed shows it, with its mission day. Only for an incident whose
    /// day's public report is published, which the callers have established: `incident_for`
    /// checks it, and the feed's pages pass over the other days ([`Self::public_resume`]).
    pub fn public_json(&self, rec: &IncidentRecord) -> Result<Option<Value>, ServiceError> {
        let date = self.day.containing(rec.time)?.date.to_string();
        Ok(self.incident_json(rec, &View::Public).map(|mut v| {
            v["mission_day"] = json!(date);
            v
        }))
    }
}
