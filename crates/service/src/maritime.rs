//! The maritime picture in the running server: AIS taken in from any door (HTTP, a receiver's
//! TCP feed), one decoder and one set of tracks and detectors for all of them, and what they
//! found read back. AIS is broadcast in the clear, so vessels carry no observer to protect;
//! the sanctions matches and behaviours are the mission's analysis, read by its analysts.
//!
//! Each behaviour found is a log record (kind `vessel_event`, its subject the MMSI) before
//! it is shown, and a restart reads them back; each match against a sanctions list is one too
//! (kind `vessel_listed`), once per vessel, entry and way matched. The tracks under way are
//! kept in the store now and then and taken up at a restart. A wake of positions (three days)
//! names the vessels near an incident at sea in the report.

use std::sync::Mutex;

use truceline_ais::Decoder;
use truceline_maritime::detect::{Config, Detector, Event, Kind, VesselState};
use truceline_maritime::ports::Ports;
use truceline_maritime::sanctions::List;
use truceline_maritime::shore::Shore;
use truceline_maritime::wake::{Nearby, Wake};
use truceline_store::{NewRecord, RecordQuery, StoreError};

use crate::{Service, ServiceError};

/// The log record kind of a vessel's behaviour.
pub const VESSEL_EVENT: &str = "vessel_event";
/// The log record kind of a vessel's match against a sanctions list.
pub const VESSEL_LISTED: &str = "vessel_listed";
/// Hours of positions kept to say which vessels were near an incident, and at most how many:
/// a busy regional feed (2,400 vessels, one position kept every 5 minutes) fills 72 hours
/// with about 2 million, some 50 MB.
const WAKE_HOURS: u32 = 72;
const WAKE_MAX: usize = 3_000_000;

/// Closed events kept, the oldest dropped beyond this.
const KEPT: usize = 100_000;
/// Where the AIS tracks under way are kept in the store, and how often: a busy regional feed
/// (2,400 vessels) makes a snapshot of about 24 MB in 80 ms, so every five minutes rather than
/// every minute; a crash loses at most that much of the tracks (closed behaviours are leaves).
const TRACKS_KEY: &str = "ais_tracks";
pub const TRACKS_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Keeps the tracks every [`TRACKS_EVERY`] and once more when `stop` turns true.
pub(crate) fn spawn_tracks(
    service: std::sync::Arc<Service>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    crate::periodic::spawn(
        "ais-tracks",
        TRACKS_EVERY,
        stop,
        std::future::pending,
        move || {
            if let Err(e) = service.save_tracks() {
                tracing::error!(error = %e, "the AIS tracks not kept; retrying");
            }
        },
    )
}

/// Behaviours waiting for the store beyond which a delivery is not taken until they are
/// logged: a store down for long must not grow them without end, and lines not taken leave the
/// tracks as they were, so the sender's retry is taken whole.
const MAX_WAITING: usize = 10_000;
/// Refused lines reported back to a sender, the rest counted.
const REPORTED: usize = 20;

/// What one delivery of NMEA came to.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Intake {
    pub lines: u64,
    pub messages: u64,
    pub refused: u64,
    /// Behaviours that closed with this delivery, each now a leaf of the evidence log.
    pub events_logged: u64,
    /// The first refused lines: `line` (counted from 1 in this delivery) and `reason`.
    pub errors: Vec<Refusal>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Refusal {
    pub line: u64,
    pub reason: String,
}

struct State {
    decoder: Decoder,
    detector: Detector,
    /// Deliveries taken, and how many the kept tracks cover.
    taken: u64,
    saved: u64,
    /// Closed and logged, oldest first.
    closed: std::collections::VecDeque<Event>,
    /// Closed but not yet in the log (the store failed; tried again with the next delivery).
    pending: Vec<Event>,
    /// The matches against a list logged or waiting to be: vessel, entry, `imo` or `mmsi`.
    matches: std::collections::HashSet<MatchKey>,
}

type MatchKey = (u32, String, String);

/// What makes a match the same one again.
fn match_key(e: &Event) -> Option<MatchKey> {
    Some((
        e.mmsi,
        e.entry.as_ref()?.id.clone(),
        e.matched_by.clone().unwrap_or_default(),
    ))
}

/// The server's AIS intake and tracks.
pub struct Maritime {
    state: Mutex<State>,
}

impl Default for Maritime {
    fn default() -> Self {
        Maritime::new(List::default())
    }
}

impl Maritime {
    /// With a sanctions list (empty: nothing is matched).
    pub fn new(list: List) -> Maritime {
        let mut detector =
            Detector::new(Config::default(), Shore::bundled(), Ports::bundled(), list);
        detector.keep_wake(Wake::new(WAKE_HOURS, WAKE_MAX));
        Maritime {
            state: Mutex::new(State {
                decoder: Decoder::default(),
                detector,
                closed: Default::default(),
                pending: Vec::new(),
                matches: Default::default(),
                taken: 0,
                saved: 0,
            }),
        }
    }

    /// Replaces the sanctions list (`serve --sanctions`).
    pub fn set_list(&self, list: List) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .detector
            .set_list(list);
    }

    /// Lines of NMEA (tag blocks or leading timestamps giving the time received; a line
    /// without one is decoded but not tracked). Answers with the behaviours to log: those
    /// they close, after those an earlier delivery could not log.
    fn take(&self, text: &str) -> (Intake, Vec<Event>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let st = &mut *st;
        let mut out = Intake::default();
        for line in text.lines() {
            out.lines += 1;
            match st.decoder.line(line) {
                Ok(Some(m)) => {
                    st.detector.push(&m);
                    out.messages += 1;
                }
                Ok(None) => {}
                Err(e) => {
                    out.refused += 1;
                    if out.errors.len() < REPORTED {
                        out.errors.push(Refusal {
                            line: out.lines,
                            reason: e.to_string(),
                        });
                    }
                }
            }
        }
        let mut events = std::mem::take(&mut st.pending);
        events.extend(st.detector.drain());
        // A match already logged (or waiting) is not logged again: a restart or a list set
        // again matches every vessel anew.
        for m in st.detector.drain_matches() {
            if match_key(&m).is_some_and(|k| st.matches.insert(k)) {
                events.push(m);
            }
        }
        st.taken += 1;
        (out, events)
    }

    /// The tracks as JSON if they changed since last kept, with the count they cover. Only the
    /// copy is made under the lock: writing it out does not hold up intake.
    fn tracks_to_keep(&self) -> Option<(u64, Vec<u8>)> {
        let (taken, snapshot) = {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if st.taken == st.saved {
                return None;
            }
            (st.taken, st.detector.snapshot())
        };
        Some((
            taken,
            serde_json::to_vec(&snapshot).expect("tracks serialise"),
        ))
    }

    /// Takes up kept tracks in place of these; answers how many vessels they hold.
    fn take_up(
        &self,
        snapshot: truceline_maritime::Snapshot,
    ) -> Result<usize, truceline_maritime::detect::RestoreError> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.detector.restore(snapshot)?;
        Ok(st.detector.vessels().len())
    }

    fn kept(&self, taken: u64) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).saved = taken;
    }

    /// The behaviours waiting for the store, taken out to be logged first, once there are
    /// [`MAX_WAITING`] of them.
    fn backlog(&self) -> Option<Vec<Event>> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (st.pending.len() >= MAX_WAITING).then(|| std::mem::take(&mut st.pending))
    }

    /// Behaviours the store could not log, kept for the next delivery, before any closed since.
    fn put_back(&self, mut events: Vec<Event>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        events.append(&mut st.pending);
        st.pending = events;
    }

    /// Shows events already in the log.
    fn keep(&self, events: Vec<Event>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // A match is the vessel's standing, shown from the tracks; its leaf is the record.
        for e in events.into_iter().filter(|e| e.kind != Kind::Listed) {
            if st.closed.len() == KEPT {
                st.closed.pop_front();
            }
            st.closed.push_back(e);
        }
    }

    /// Every vessel heard.
    pub fn vessels(&self) -> Vec<VesselState> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .detector
            .vessels()
    }

    /// Events, closed and still open, oldest first; of one kind and one vessel if asked
    /// (an encounter belongs to both its vessels).
    pub fn events(&self, kind: Option<Kind>, mmsi: Option<u32>) -> Vec<Event> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let open = st.detector.open_events();
        let mut all: Vec<Event> = st
            .closed
            .iter()
            .cloned()
            .chain(open)
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .filter(|e| mmsi.is_none_or(|m| e.mmsi == m || e.other_mmsi == Some(m)))
            .collect();
        all.sort_by_key(|e| (e.start, e.kind, e.mmsi));
        all
    }
}

impl Service {
    /// Takes a delivery of NMEA sent by `account` (see [`Maritime`]) and logs the behaviours
    /// it closes, answering once they are durable; a store failure is the answer, and those
    /// behaviours are tried again with the next delivery. Blocking.
    pub fn take_ais(&self, account: &str, text: &str) -> Result<Intake, ServiceError> {
        // Too many waiting: they go to the store before any line is taken, and if it still
        // fails the delivery is refused whole.
        let mut earlier = 0;
        if let Some(waiting) = self.maritime.backlog() {
            earlier = self.log_events(account, waiting)?;
        }
        let (mut intake, events) = self.maritime.take(text);
        intake.events_logged = earlier + self.log_events(account, events)?;
        Ok(intake)
    }

    /// Logs behaviours, then shows them; on a store failure keeps them for the next delivery.
    fn log_events(&self, account: &str, events: Vec<Event>) -> Result<u64, ServiceError> {
        if events.is_empty() {
            return Ok(0);
        }
        let records = events
            .iter()
            .map(|e| {
                Ok(NewRecord {
                    kind: if e.kind == Kind::Listed {
                        VESSEL_LISTED
                    } else {
                        VESSEL_EVENT
                    }
                    .into(),
                    subject: Some(e.mmsi.to_string()),
                    account: account.to_string(),
                    time_ms: e.start,
                    record: serde_jcs::to_vec(e)
                        .map_err(|e| StoreError::Inconsistent(e.to_string()))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        match self
            .trackers
            .writes
            .track(self.store.append_records(records))
        {
            Ok(_) => {
                let n = events.len() as u64;
                self.maritime.keep(events);
                Ok(n)
            }
            Err(e) => {
                self.maritime.put_back(events);
                Err(e.into())
            }
        }
    }

    /// Keeps the AIS tracks under way in the store, if they changed since last kept (every
    /// [`TRACKS_EVERY`] and at shutdown), so that a restart resumes them: a gap, an encounter or
    /// a port call under way across it is still found. Blocking.
    pub fn save_tracks(&self) -> Result<bool, ServiceError> {
        let Some((taken, json)) = self.maritime.tracks_to_keep() else {
            return Ok(false);
        };
        self.store.put_state(TRACKS_KEY, json)?;
        self.maritime.kept(taken);
        Ok(true)
    }

    /// Takes up the tracks kept by the last run; called once at start, before any AIS is
    /// taken. Tracks made under other parameters are left (and said so). Blocking.
    pub fn load_tracks(&self) -> Result<usize, ServiceError> {
        let Some(json) = self.store.state(TRACKS_KEY)? else {
            return Ok(0);
        };
        let snapshot: truceline_maritime::Snapshot = serde_json::from_slice(&json)
            .map_err(|e| StoreError::Inconsistent(format!("the kept AIS tracks: {e}")))?;
        match self.maritime.take_up(snapshot) {
            Ok(n) => Ok(n),
            Err(e) => {
                tracing::warn!(error = %e, "the AIS tracks kept by the last run are not taken up");
                Ok(0)
            }
        }
    }

    /// Reads the logged behaviours back (the newest [`KEPT`]) and which matches against a list
    /// were logged; called once at start. Blocking.
    pub fn load_vessel_events(&self) -> Result<usize, ServiceError> {
        let matches: Vec<MatchKey> = self
            .store
            .records(&RecordQuery {
                kind: VESSEL_LISTED,
                ..Default::default()
            })?
            .iter()
            .filter_map(|r| match_key(&serde_json::from_slice::<Event>(&r.record).ok()?))
            .collect();
        let kept = self.store.records(&RecordQuery {
            kind: VESSEL_EVENT,
            newest: Some(KEPT),
            ..Default::default()
        })?;
        let mut events = Vec::with_capacity(kept.len());
        for r in &kept {
            match serde_json::from_slice::<Event>(&r.record) {
                Ok(e) => events.push(e),
                Err(error) => {
                    tracing::warn!(log_index = r.log_index, %error, "a vessel event not read")
                }
            }
        }
        let n = events.len();
        let mut st = self
            .maritime
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        st.closed = events.into();
        st.matches.extend(matches);
        Ok(n)
    }
}

impl Maritime {
    /// The report's section for the day `[from_ms, to_ms)`: vessels heard, behaviours that
    /// overlap the day by type, and those but port calls listed.
    pub fn sea_section(&self, from_ms: i64, to_ms: i64) -> truceline_report::sea::SeaSection {
        use truceline_report::sea::{KINDS, MAX_LINES, SeaLine, SeaSection};
        let vessels: Vec<VesselState> = self
            .vessels()
            .into_iter()
            .filter(|v| v.first_seen < to_ms && v.last_seen >= from_ms)
            .collect();
        let names: std::collections::HashMap<u32, String> = vessels
            .iter()
            .filter_map(|v| Some((v.mmsi, v.name.clone()?)))
            .collect();
        let who = |m: u32| match names.get(&m) {
            Some(n) => format!("{n} ({m})"),
            None => m.to_string(),
        };
        let events: Vec<Event> = self
            .events(None, None)
            .into_iter()
            .filter(|e| e.start < to_ms && e.end.is_none_or(|end| end >= from_ms))
            .collect();
        let counts = KINDS
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    events.iter().filter(|e| e.kind.as_str() == *k).count() as u64,
                )
            })
            .collect();
        let lines = events
            .iter()
            .filter(|e| e.kind != Kind::PortCall)
            .take(MAX_LINES)
            .map(|e| SeaLine {
                start: truceline_ais::rfc3339_ms(e.start),
                end: e.end.map(truceline_ais::rfc3339_ms),
                kind: e.kind.as_str().to_string(),
                vessels: match e.other_mmsi {
                    Some(o) => format!("{} ⇄ {}", who(e.mmsi), who(o)),
                    None => who(e.mmsi),
                },
                at: e.location.map(|l| [l.lon, l.lat]),
            })
            .collect();
        SeaSection {
            listed: vessels.iter().filter(|v| v.listed.is_some()).count() as u64,
            vessels: vessels.len() as u64,
            counts,
            events: lines,
            at_ports: Vec::new(),
            near_vessels: Vec::new(),
        }
    }

    /// The vessels AIS placed within [`SHIP_KM`](truceline_report::sea::SHIP_KM) of each
    /// incident (number, `[lon, lat]`, time) at its time, the nearest
    /// [`SHIPS_PER_INCIDENT`](truceline_report::sea::SHIPS_PER_INCIDENT) of each.
    pub fn near_incidents(
        &self,
        incidents: &[(usize, [f64; 2], i64)],
    ) -> Vec<truceline_report::sea::VesselIncident> {
        use truceline_report::sea::{SHIP_KM, SHIPS_PER_INCIDENT, VesselIncident};
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let near: Vec<(usize, Nearby)> = incidents
            .iter()
            .flat_map(|&(number, [lon, lat], t)| {
                st.detector
                    .near(lon, lat, t, SHIP_KM * 1000.0)
                    .into_iter()
                    .take(SHIPS_PER_INCIDENT)
                    .map(move |n| (number, n))
            })
            .collect();
        if near.is_empty() {
            return Vec::new();
        }
        let names: std::collections::HashMap<u32, String> = st
            .detector
            .vessels()
            .into_iter()
            .filter_map(|v| Some((v.mmsi, v.name?)))
            .collect();
        near.into_iter()
            .map(|(number, n)| VesselIncident {
                number,
                mmsi: n.mmsi,
                vessel: match names.get(&n.mmsi) {
                    Some(name) => format!("{name} ({})", n.mmsi),
                    None => n.mmsi.to_string(),
                },
                distance_km: (n.distance_m / 100.0).round() / 10.0,
                fix_minutes: (n.fix_offset_ms as f64 / 6_000.0).round() / 10.0,
            })
            .collect()
    }
}

/// Which of a report's incidents (number, `[lon, lat]`) lie within
/// [`PORT_KM`](truceline_report::sea::PORT_KM) of one of the bundled ports, and which.
pub fn incidents_at_ports(
    incidents: &[(usize, [f64; 2])],
) -> Vec<truceline_report::sea::PortIncident> {
    let ports = Ports::bundled();
    incidents
        .iter()
        .filter_map(|&(number, [lon, lat])| {
            let (i, d) = ports.nearest_within(lon, lat, truceline_report::sea::PORT_KM * 1000.0)?;
            Some(truceline_report::sea::PortIncident {
                number,
                port: ports.get(i).name.clone(),
                distance_km: (d / 100.0).round() / 10.0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incidents_near_a_port_are_named_with_it() {
        // Mariupol's port point, 2 km south of it, and the steppe far from any port.
        let near =
            incidents_at_ports(&[(1, [37.57, 47.06]), (2, [37.57, 47.042]), (3, [38.0, 48.3])]);
        assert_eq!(
            near.iter()
                .map(|p| (p.number, p.port.as_str()))
                .collect::<Vec<_>>(),
            [(1, "Mariupol"), (2, "Mariupol")]
        );
        assert!((near[1].distance_km - 2.0).abs() < 0.1, "{near:?}");
    }

    #[test]
    fn behaviours_waiting_for_the_store_are_bounded_and_go_first() {
        let m = Maritime::default();
        let event: Event = serde_json::from_str(
            r#"{"mmsi":273000001,"start":"2026-11-24T10:00:00.000Z","type":"gap"}"#,
        )
        .unwrap();
        m.put_back(vec![event.clone(); MAX_WAITING - 1]);
        assert!(
            m.backlog().is_none(),
            "below the bound the next delivery is taken"
        );
        let (_, events) = m.take("");
        assert_eq!(events.len(), MAX_WAITING - 1, "and logs them with its own");
        m.put_back(events);
        m.put_back(vec![event]);
        let first = m
            .backlog()
            .expect("at the bound they go to the store first");
        assert_eq!(first.len(), MAX_WAITING);
        assert!(
            m.backlog().is_none() && m.take("").1.is_empty(),
            "taken out, once"
        );
    }

    #[test]
    fn a_feed_in_two_deliveries_is_one_track_and_refusals_name_their_line() {
        let m = Maritime::default();
        let first = "\\c:1767225600*5D\\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\n";
        let (a, _) = m.take(first);
        assert_eq!((a.lines, a.messages, a.refused), (2, 1, 1));
        assert_eq!(a.errors[0].line, 2);
        assert!(a.errors[0].reason.contains("checksum"), "{:?}", a.errors);
        let v = m.vessels();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].mmsi, 371_798_000);
        assert!(m.events(None, None).is_empty());
    }
}
