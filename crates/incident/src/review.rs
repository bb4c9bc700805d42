//! Analysts' decisions on an incident and the parties' replies to it (SPEC 5), as logged.
//!
//! Both are records of the evidence log, made by an account at a time: a decision (`confirm`,
//! `reject` as a false alarm, `attribute` to a party on a stated basis), and a reply by the
//! liaison of the party an incident is attributed to. Nothing is edited: a later decision
//! stands over an earlier one, and every one is kept and shown.
//!
//! ```
//! use truceline_incident::review::{Entry, Review, Verdict};
//!
//! let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
//! let d = |v, party: Option<&str>, t| Entry {
//!     account: "ana".into(), basis: Some("crater analysis".into()), decision: Some(v),
//!     incident: "inc-1".into(), party: party.map(str::to_string), text: None, time: at(t),
//!     log_index: 0,
//! };
//! let mut r = Review::default();
//! r.decisions.push(d(Verdict::Attribute, Some("ru"), "2026-11-25T10:00:00Z"));
//! assert_eq!((r.status(), r.party()), ("attributed", Some("ru")));
//! r.decisions.push(d(Verdict::Reject, None, "2026-11-25T11:00:00Z"));
//! assert_eq!((r.status(), r.party()), ("rejected", None));
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::IncidentRecord;

/// What an analyst decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Confirm,
    Reject,
    Attribute,
}

/// A decision or a reply as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub basis: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decision: Option<Verdict>,
    pub incident: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub party: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub text: Option<String>,
    #[serde(with = "crate::timestamp")]
    pub time: jiff::Timestamp,
    #[serde(skip)]
    pub log_index: u64,
}

/// The decisions and replies on one incident, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Review {
    pub decisions: Vec<Entry>,
    pub replies: Vec<Entry>,
}

impl Review {
    /// `unreviewed`, or what the latest decision made it: `confirmed`, `rejected`, `attributed`.
    pub fn status(&self) -> &'static str {
        match self.decisions.last().and_then(|d| d.decision) {
            None => "unreviewed",
            Some(Verdict::Confirm) => "confirmed",
            Some(Verdict::Reject) => "rejected",
            Some(Verdict::Attribute) => "attributed",
        }
    }

    /// The latest decision that attributed it to a party, whether or not a later one stands
    /// over it.
    pub fn attribution(&self) -> Option<&Entry> {
        self.decisions
            .iter()
            .rev()
            .find(|d| d.decision == Some(Verdict::Attribute))
    }

    /// The party the analysts attributed it to, if the latest attribution stands.
    pub fn party(&self) -> Option<&str> {
        match self.decisions.last()?.decision? {
            Verdict::Reject => None,
            _ => self.attribution()?.party.as_deref(),
        }
    }

    /// Until when the attributed party may reply to `rec`: `window` after the incident ends,
    /// or after the decision that attributed it, whichever is later.
    pub fn reply_deadline(
        review: Option<&Review>,
        rec: &IncidentRecord,
        window: jiff::SignedDuration,
    ) -> jiff::Timestamp {
        let ended = rec.time_end.unwrap_or(rec.time);
        let attributed = review.and_then(Review::attribution).map(|d| d.time);
        let from = attributed.map_or(ended, |a| a.max(ended));
        from.saturating_add(window).unwrap_or(jiff::Timestamp::MAX)
    }

    /// Decisions and replies by incident, from records as kept — `(kind, canonical JSON, log
    /// index)`, kind `decision` or `reply`, in the order they were kept. Returns the log
    /// indices of records that did not read as well.
    pub fn gather<'a>(
        records: impl IntoIterator<Item = (&'a str, &'a [u8], u64)>,
    ) -> (HashMap<String, Review>, Vec<u64>) {
        let mut out: HashMap<String, Review> = HashMap::new();
        let mut unread = Vec::new();
        for (kind, bytes, log_index) in records {
            if !Review::add(&mut out, kind, bytes, log_index) {
                unread.push(log_index);
            }
        }
        (out, unread)
    }

    /// Adds one kept decision or reply (`kind`, its canonical JSON, its log index) to
    /// `reviews`, in log order, unless it is there already: a server that kept it holds it
    /// before it reads it back among what others kept. `false` if the record does not read.
    pub fn add(
        reviews: &mut HashMap<String, Review>,
        kind: &str,
        bytes: &[u8],
        log_index: u64,
    ) -> bool {
        let Ok(mut e) = serde_json::from_slice::<Entry>(bytes) else {
            return false;
        };
        e.log_index = log_index;
        reviews
            .entry(e.incident.clone())
            .or_default()
            .insert(kind, e);
        true
    }

    /// Puts a decision (`kind` `decision`) or a reply among this review's in log order, unless
    /// one of the same log index is there.
    pub fn insert(&mut self, kind: &str, e: Entry) {
        let list = if kind == "decision" {
            &mut self.decisions
        } else {
            &mut self.replies
        };
        if let Err(at) = list.binary_search_by_key(&e.log_index, |x| x.log_index) {
            list.insert(at, e);
        }
    }

    /// The party that may reply: the analysts' attribution if one stands, else assessment's.
    pub fn reply_party<'a>(review: Option<&'a Review>, rec: &'a IncidentRecord) -> Option<&'a str> {
        match review {
            Some(r) if !r.decisions.is_empty() => r.party().or_else(|| {
                // Confirmed without an attribution of its own: assessment's stands.
                (r.status() == "confirmed").then(|| rec.party()).flatten()
            }),
            _ => rec.party(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(party: Option<&str>) -> IncidentRecord {
        let mut r: IncidentRecord = serde_json::from_str(r#"{"attribution":{"basis":"b","confidence":0.9,"party":null},"control":"ua","count":1,"error_ellipse_m":null,"id":"inc-1","kind":"explosion","location":{"lat":48.0,"lon":37.8},"location_basis":"fix","observations":["o1"],"subtype":"impact","time":"2026-11-25T10:00:00Z","time_end":"2026-11-25T10:05:00Z","violations":[],"weapon":null}"#).unwrap();
        r.attribution.party = party.map(str::to_string);
        r
    }

    fn decision(v: Verdict, party: Option<&str>, t: &str) -> Entry {
        Entry {
            account: "ana".into(),
            basis: Some("b".into()),
            decision: Some(v),
            incident: "inc-1".into(),
            party: party.map(str::to_string),
            text: None,
            time: t.parse().unwrap(),
            log_index: 0,
        }
    }

    /// Records read back in any order, some twice (kept by this server, then read back among
    /// what the others kept), give the same reviews as reading them all once in log order.
    #[test]
    fn records_added_in_any_order_or_twice_give_the_reviews_of_one_reading() {
        let kept: Vec<(&str, Vec<u8>, u64)> = [
            ("decision", Verdict::Confirm, "2026-11-25T11:00:00Z", 3),
            ("reply", Verdict::Confirm, "2026-11-25T12:00:00Z", 5),
            ("decision", Verdict::Reject, "2026-11-25T13:00:00Z", 8),
            ("decision", Verdict::Attribute, "2026-11-25T14:00:00Z", 9),
        ]
        .into_iter()
        .map(|(kind, v, t, i)| {
            let mut e = decision(v, Some("ru"), t);
            if kind == "reply" {
                (e.decision, e.text) = (None, Some("no".into()));
            }
            (kind, serde_json::to_vec(&e).unwrap(), i)
        })
        .collect();
        let (once, unread) = Review::gather(kept.iter().map(|(k, b, i)| (*k, b.as_slice(), *i)));
        assert!(unread.is_empty());
        let mut followed = HashMap::new();
        for n in [2, 0, 3, 0, 1, 2] {
            let (kind, bytes, i) = &kept[n];
            assert!(Review::add(&mut followed, kind, bytes, *i));
        }
        assert_eq!(followed, once);
        let r = &followed["inc-1"];
        let order: Vec<u64> = r.decisions.iter().map(|d| d.log_index).collect();
        assert_eq!((order, r.replies.len()), (vec![3, 8, 9], 1));
        assert_eq!(r.status(), "attributed");
        assert!(!Review::add(&mut followed, "decision", b"not json", 10));
    }

    #[test]
    fn the_deadline_runs_from_the_incident_or_the_attribution_whichever_is_later() {
        let window = jiff::SignedDuration::from_hours(72);
        let rec = incident(Some("ru"));
        let none = Review::default();
        // From the incident's end, not its start.
        assert_eq!(
            Review::reply_deadline(Some(&none), &rec, window).to_string(),
            "2026-11-28T10:05:00Z"
        );
        let mut r = Review::default();
        r.decisions.push(decision(
            Verdict::Attribute,
            Some("ua"),
            "2026-11-27T09:00:00Z",
        ));
        assert_eq!(
            Review::reply_deadline(Some(&r), &rec, window).to_string(),
            "2026-11-30T09:00:00Z"
        );
        // A confirmation does not move it.
        let mut c = Review::default();
        c.decisions
            .push(decision(Verdict::Confirm, None, "2026-11-27T09:00:00Z"));
        assert_eq!(
            Review::reply_deadline(Some(&c), &rec, window).to_string(),
            "2026-11-28T10:05:00Z"
        );
    }

    #[test]
    fn who_may_reply_follows_the_latest_decision() {
        let rec = incident(Some("ru"));
        assert_eq!(Review::reply_party(None, &rec), Some("ru"));
        let mut r = Review::default();
        r.decisions
            .push(decision(Verdict::Confirm, None, "2026-11-26T00:00:00Z"));
        assert_eq!(Review::reply_party(Some(&r), &rec), Some("ru"));
        r.decisions.push(decision(
            Verdict::Attribute,
            Some("ua"),
            "2026-11-26T01:00:00Z",
        ));
        assert_eq!(Review::reply_party(Some(&r), &rec), Some("ua"));
        r.decisions
            .push(decision(Verdict::Reject, None, "2026-11-26T02:00:00Z"));
        assert_eq!(Review::reply_party(Some(&r), &rec), None);
        assert_eq!(r.status(), "rejected");
        // Unattributed and unreviewed: nobody is asked to reply.
        assert_eq!(Review::reply_party(None, &incident(None)), None);
    }
}
