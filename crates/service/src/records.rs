//! The mission's other records (SPEC 6): kept as observations are, all or nothing and each a
//! leaf, and shown only inside the mission: an analyst or the chief reads them all, a monitor
//! its own; outside it they are seen only as a report's totals.

use std::collections::HashMap;

use serde::Serialize;
use truceline_records::link::{self, Harm, Link};
use truceline_records::{Body, Record, RecordType};
use truceline_store::{MissionQuery, NewMissionRecord, Outcome, StoreError, StoredMissionRecord};

use crate::accounts::{Caller, Role};
use crate::{Service, ServiceError};

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub types: Vec<RecordType>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// The cursor: records after this log index.
    pub after: Option<u64>,
    pub limit: usize,
}

/// A kept record as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ShownRecord {
    pub log_index: u64,
    pub received_at: String,
    pub account: String,
    pub record: serde_json::Value,
    /// A casualty's or damage's cause: the incident, or why none is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
}

impl Service {
    /// Keeps one request of checked records made by `caller`, all or nothing: a monitor bound
    /// to observers names one of them as each record's `observer`; a signed record is verified
    /// as an observation is. Blocking: answered once the store has made it durable.
    pub fn submit_records(
        &self,
        caller: &Caller,
        records: &[Record],
    ) -> Result<Vec<Outcome>, ServiceError> {
        if let Caller::Account(p) = caller {
            for (i, r) in records.iter().enumerate() {
                let allowed = match &r.observer {
                    Some(o) => p.may_submit_as(o),
                    None => p.observers.is_none(),
                };
                if !allowed {
                    return Err(ServiceError::NotYours {
                        line: i + 1,
                        account: p.account.clone(),
                        observer: r.observer.clone().unwrap_or_else(|| "(none named)".into()),
                    });
                }
            }
        }
        for (i, r) in records.iter().enumerate() {
            self.check_signature(
                r.observer.as_deref(),
                r.signature.as_ref(),
                &r.canonical,
                "record",
            )
            .map_err(|error| ServiceError::Signature { line: i + 1, error })?;
        }
        let batch = records
            .iter()
            .map(|r| NewMissionRecord {
                id: r.id.clone(),
                kind: r.record_type().as_str().into(),
                time_ms: r.time.as_millisecond(),
                account: caller.name().to_string(),
                body: r.canonical.clone(),
            })
            .collect();
        let r = match self.store.submit_mission_records(batch) {
            Err(StoreError::Conflict { index, id }) => Err(ServiceError::Conflict {
                line: index + 1,
                what: "record",
                id,
            }),
            other => other.map_err(ServiceError::from),
        };
        if r.as_ref()
            .is_ok_and(|o| o.iter().any(|x| matches!(x, Outcome::Accepted { .. })))
        {
            // Nobody listening is not an error.
            let _ = self.fusion.events.send(crate::Change::Records);
        }
        self.tracked(r)
    }

    /// The records `caller` may read, in log order, with each harm's link; blocking.
    pub fn records(
        &self,
        caller: &Caller,
        f: &RecordFilter,
    ) -> Result<Vec<ShownRecord>, ServiceError> {
        let account = self.record_reader(caller)?;
        let stored = self.store.mission_records(&MissionQuery {
            kinds: f.types.iter().map(|t| t.as_str().to_string()).collect(),
            from_ms: f.from_ms,
            to_ms: f.to_ms,
            account,
            after: f.after,
            limit: f.limit,
        })?;
        self.shown(stored)
    }

    /// One record by id, if `caller` may read it; blocking.
    pub fn record(&self, caller: &Caller, id: &str) -> Result<ShownRecord, ServiceError> {
        let account = self.record_reader(caller)?;
        let not_found = || ServiceError::NotFound {
            what: "record",
            id: id.to_string(),
        };
        let r = self.store.mission_record(id)?.ok_or_else(not_found)?;
        // Another monitor's record is as if it did not exist: its id says nothing.
        if account.as_ref().is_some_and(|a| *a != r.account) {
            return Err(not_found());
        }
        Ok(self.shown(vec![r])?.remove(0))
    }

    /// The records `caller` may read as a GeoJSON FeatureCollection for the map: each at its
    /// location or as its area, with what the map says of it (a site with its declared weapons,
    /// its last inspection and what that found missing; a restriction's kind; a hazard; a
    /// window's hours). The most recent `limit`; blocking.
    pub fn map_records(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> Result<serde_json::Value, ServiceError> {
        let account = self.record_reader(caller)?;
        let stored = self.store.mission_records(&MissionQuery {
            account,
            limit: usize::MAX,
            ..Default::default()
        })?;
        let parsed: Vec<(StoredMissionRecord, Record)> = stored
            .into_iter()
            .filter_map(|s| {
                let r = truceline_records::parse(&s.body, &self.vocab).ok()?;
                Some((s, r))
            })
            .collect();
        // Storage sites replayed in time order: the map shows each site as it stands.
        let mut order: Vec<&(StoredMissionRecord, Record)> = parsed.iter().collect();
        order.sort_by(|a, b| (a.1.time, &a.1.id).cmp(&(b.1.time, &b.1.id)));
        let mut sites = truceline_records::storage::Sites::default();
        let mut last: std::collections::HashMap<String, (String, usize, String)> =
            Default::default();
        for (_, r) in &order {
            {
                if let Some(f) = sites.apply(r) {
                    last.insert(
                        f.site.clone(),
                        (
                            r.time.to_string(),
                            f.missing.len(),
                            f.access.as_str().into(),
                        ),
                    );
                }
            }
        }
        let now = jiff::Timestamp::now();
        let mut features = Vec::new();
        for d in sites.sites_at(now) {
            let (inspected, missing, access) =
                last.get(&d.name).map_or((None, 0, None), |(t, m, a)| {
                    (Some(t.clone()), *m, Some(a.clone()))
                });
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [d.location.lon, d.location.lat]},
                "properties": {"type": "site", "id": d.id, "time": d.time.to_string(), "party": d.party,
                    "name": d.name, "declared": d.declared.len(), "last_inspected": inspected,
                    "last_access": access, "missing": missing},
            }));
        }
        let recent = parsed
            .iter()
            .rev()
            .filter(|(_, r)| !matches!(r.body, Body::Site { .. } | Body::Inspection { .. }));
        for (_, r) in recent.take(limit) {
            let mut props = serde_json::json!({"type": r.record_type().as_str(), "id": r.id, "time": r.time.to_string()});
            let geometry = match &r.body {
                Body::Restriction {
                    kind,
                    party,
                    duration_min,
                    ..
                } => {
                    props["kind"] = kind.as_str().into();
                    props["party"] = serde_json::json!(party);
                    props["duration_min"] = serde_json::json!(duration_min);
                    None
                }
                Body::Casualty {
                    killed,
                    injured,
                    cause,
                    status,
                    ..
                } => {
                    props["killed"] = (*killed).into();
                    props["injured"] = (*injured).into();
                    props["cause"] = cause.as_str().into();
                    props["status"] = status.as_str().into();
                    None
                }
                Body::Damage { object, cause, .. } => {
                    props["object"] = object.as_str().into();
                    props["cause"] = serde_json::json!(cause.map(|c| c.as_str()));
                    None
                }
                Body::Hazard {
                    area,
                    hazard,
                    marked,
                    ..
                } => {
                    props["hazard"] = hazard.as_str().into();
                    props["marked"] = (*marked).into();
                    area.as_ref().map(truceline_records::area::geojson)
                }
                Body::Window {
                    from,
                    to,
                    area,
                    purpose,
                } => {
                    props["from"] = from.to_string().into();
                    props["to"] = to.to_string().into();
                    props["purpose"] = purpose.clone().into();
                    Some(truceline_records::area::geojson(area))
                }
                Body::Site { .. } | Body::Inspection { .. } => continue,
            };
            let geometry = match geometry {
                Some(g) => g,
                None => match r.position() {
                    Some(p) => serde_json::json!({"type": "Point", "coordinates": [p.lon, p.lat]}),
                    None => continue,
                },
            };
            features.push(
                serde_json::json!({"type": "Feature", "geometry": geometry, "properties": props}),
            );
        }
        Ok(serde_json::json!({"type": "FeatureCollection", "features": features}))
    }

    /// The local ceasefire windows an incident broke (fire inside one's area while in force),
    /// as shown beside the incident to anyone who may see it: a window's purpose and hours are
    /// the parties' own agreement, not the mission's secret. None for an incident placed only
    /// at its observer's position: it was heard from there, not fired there, and naming the
    /// window would say where the monitor stood. Blocking.
    pub fn windows_broken(
        &self,
        incident: &truceline_incident::IncidentRecord,
    ) -> Result<Vec<serde_json::Value>, ServiceError> {
        if !truceline_records::window::is_fire(incident.kind) || !incident.is_placed() {
            return Ok(Vec::new());
        }
        let stored = self.store.mission_records(&MissionQuery {
            kinds: vec![RecordType::Window.as_str().into()],
            limit: usize::MAX,
            ..Default::default()
        })?;
        let (kept, windows): (Vec<StoredMissionRecord>, Vec<Record>) = stored
            .into_iter()
            .filter_map(|s| {
                let r = truceline_records::parse(&s.body, &self.vocab).ok()?;
                Some((s, r))
            })
            .unzip();
        let at = truceline_records::LonLat {
            lon: incident.location.lon,
            lat: incident.location.lat,
        };
        Ok(
            truceline_records::window::broken(&windows, incident.kind, incident.time, at)
                .filter_map(|w| {
                    let i = windows.iter().position(|x| std::ptr::eq(x, w))?;
                    let Body::Window {
                        from, to, purpose, ..
                    } = &w.body
                    else {
                        return None;
                    };
                    Some(
                        serde_json::json!({"purpose": purpose, "from": from.to_string(),
                        "to": to.to_string(), "log_index": kept[i].log_index}),
                    )
                })
                .collect(),
        )
    }

    /// `None` for a reader of every record, the account for a monitor (its own only).
    fn record_reader(&self, caller: &Caller) -> Result<Option<String>, ServiceError> {
        match caller {
            Caller::Open => Ok(None),
            Caller::Account(p) => match p.role {
                Role::Analyst | Role::Chief => Ok(None),
                Role::Monitor => Ok(Some(p.account.clone())),
                Role::Liaison | Role::Witness => Err(ServiceError::Forbidden(
                    "the mission's records are read inside the mission; a party reads them as the published report's totals".into(),
                )),
            },
            Caller::Public => Err(ServiceError::Forbidden(
                "the mission's records are read inside the mission; the public reads them as the published report's totals".into(),
            )),
        }
    }

    /// People killed in the casualty records linked to incidents of `[from_ms, to_ms)`, by the
    /// incident's id: what ACLED's `fatalities` column gives. Only casualties the mission
    /// corroborated or confirmed count, not those merely reported to it; blocking.
    pub fn fatalities(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<HashMap<String, u64>, ServiceError> {
        // A casualty at t links to incidents from t − BEFORE to t + AFTER: those that can
        // link to this span's incidents were recorded from `from − AFTER` to `to + BEFORE`.
        let (before, after) = (
            link::BEFORE.as_millis() as i64,
            link::AFTER.as_millis() as i64,
        );
        let (lo, hi) = (from_ms.saturating_sub(after), to_ms.saturating_add(before));
        let stored = self.store.mission_records(&MissionQuery {
            kinds: vec![RecordType::Casualty.as_str().to_string()],
            from_ms: Some(lo),
            to_ms: Some(hi),
            account: None,
            after: None,
            limit: usize::MAX,
        })?;
        let counted: Vec<(Record, u64)> = stored
            .iter()
            .filter_map(|s| truceline_records::parse(&s.body, &self.vocab).ok())
            .filter_map(|r| match r.body {
                Body::Casualty { killed, status, .. }
                    if killed > 0 && status != truceline_records::Status::Reported =>
                {
                    Some((r, killed))
                }
                _ => None,
            })
            .collect();
        let mut out = HashMap::new();
        if counted.is_empty() {
            return Ok(out);
        }
        let incidents = self.incidents_between(
            Some(lo.saturating_sub(before)),
            Some(hi.saturating_add(after + 1)),
        )?;
        for (r, killed) in &counted {
            let Some(harm) = Harm::of(r) else { continue };
            if let Some(id) = link::link(&harm, &incidents).incident {
                *out.entry(id).or_default() += killed;
            }
        }
        Ok(out)
    }

    fn shown(&self, stored: Vec<StoredMissionRecord>) -> Result<Vec<ShownRecord>, ServiceError> {
        let parsed: Vec<Option<Record>> = stored
            .iter()
            .map(|s| truceline_records::parse(&s.body, &self.vocab).ok())
            .collect();
        // One read of incidents for every harm of the page.
        let harms: Vec<Option<Harm<'_>>> = parsed
            .iter()
            .map(|p| p.as_ref().and_then(Harm::of))
            .collect();
        let span = harms
            .iter()
            .flatten()
            .filter(|h| h.named.is_none())
            .map(|h| h.time.as_millisecond())
            .fold(None, |acc: Option<(i64, i64)>, t| {
                Some(acc.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))))
            });
        let incidents = match span {
            Some((lo, hi)) => self.incidents_between(
                Some(lo - link::BEFORE.as_millis() as i64),
                Some(hi + link::AFTER.as_millis() as i64 + 1),
            )?,
            None => Vec::new(),
        };
        Ok(stored
            .into_iter()
            .zip(harms)
            .map(|(s, h)| ShownRecord {
                log_index: s.log_index,
                received_at: jiff::Timestamp::from_millisecond(s.received_ms)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                account: s.account,
                record: serde_json::from_slice(&s.body).unwrap_or(serde_json::Value::Null),
                link: h.map(|h| link::link(&h, &incidents)),
            })
            .collect())
    }
}
