//! Tracks and behaviours: decoded AIS messages in time order in, events out.
//!
//! Each vessel (by MMSI) keeps only what its open behaviours need — its last position, the times
//! of its last few positions, an open slow run, an open port call, an open spoofing episode — so
//! memory is bounded by the number of vessels, not by the length of the feed, and a message
//! costs a hash lookup, one great-circle distance and a cell lookup of the shore.
//!
//! The behaviours and their defaults follow Global Fishing Watch's published definitions (see
//! [`Config`]); where GFW is silent (spoofing's thresholds, when a port call counts) the choice
//! and its reason are written beside the parameter.
//!
//! ```
//! use truceline_ais::{encode, Decoder, Message};
//! use truceline_maritime::detect::{Config, Detector};
//! use truceline_maritime::{ports::Ports, sanctions::List, shore::Shore};
//!
//! let mut det = Detector::new(Config::default(), Shore::bundled(), Ports::bundled(), List::default());
//! let mut dec = Decoder::default();
//! // A ship in mid Black Sea, then silent for 20 hours, then heard again far offshore.
//! let t0 = 1_760_000_000;
//! let mut times: Vec<i64> = (0..120).map(|k| t0 + k * 10).collect();
//! times.push(t0 + 1_190 + 20 * 3_600);
//! for (k, t) in times.iter().enumerate() {
//!     let m = Message { msg_type: 1, mmsi: 273_000_001, speed: Some(11.0),
//!         lon: Some(33.0 + k as f64 * 0.0006), lat: Some(43.3), ..Message::default() };
//!     let d = dec.line(&encode::sentences(&m, 'A', 0, Some(*t))[0]).unwrap().unwrap();
//!     det.push(&d);
//! }
//! let events = det.finish();
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].kind, truceline_maritime::detect::Kind::Gap);
//! ```

use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};
use truceline_ais::Decoded;

use crate::flags::flag;
use crate::geodesy::{KNOT, NM, distance_m};
use crate::ports::Ports;
use crate::sanctions::{List, imo_valid};
use crate::shore::Shore;
use crate::wake::{Nearby, Wake};

const HOUR: i64 = 3_600_000;

/// The behaviours' parameters. Defaults are Global Fishing Watch's where it published one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A gap is at least this long without positions (GFW: 12 h).
    pub gap_hours: f64,
    /// ... starting and ending this far from shore (GFW: 50 nm) ...
    pub gap_shore_nm: f64,
    /// ... after at least this many positions (GFW: 14) ...
    pub gap_min_positions: usize,
    /// ... in this long before it (GFW: 12 h): the silence then means something.
    pub gap_lookback_hours: f64,
    /// Two vessels this close (GFW: 500 m) ...
    pub encounter_m: f64,
    /// ... for this long (GFW: 2 h) ...
    pub encounter_hours: f64,
    /// ... both slower than this (GFW: 2 kn) ...
    pub encounter_max_kn: f64,
    /// ... at least this far from an anchorage (GFW: 10 km; the ports list stands for GFW's
    /// anchorages) ...
    pub encounter_anchorage_km: f64,
    /// ... and encounters of one pair less than this apart are one (GFW: 4 h).
    pub encounter_merge_hours: f64,
    /// Pairs are checked every 10 minutes on positions interpolated between each ship's fixes
    /// (as GFW does), across silences up to this long: far offshore only satellites hear a
    /// ship, and a slow one may go unheard for an hour or more. Ticks are judged this far
    /// behind the feed, so that the fixes after them have come in.
    pub encounter_bridge_minutes: f64,
    /// Loitering: slower than this (GFW: 2 kn) ...
    pub loiter_max_kn: f64,
    /// ... for this long (GFW: 4 h) ...
    pub loiter_hours: f64,
    /// ... this far from shore (GFW: 20 nm), measured at the run's mean position.
    pub loiter_shore_nm: f64,
    /// A port call begins within this distance of the port's point (GFW: 3 km) ...
    pub port_entry_km: f64,
    /// ... and ends beyond this one (GFW: 4 km). It counts if the vessel stopped (slower than
    /// `loiter_max_kn`) inside: a ship passing a harbour entrance does not call.
    pub port_exit_km: f64,
    /// Spoofing: an implied speed above this between consecutive positions (30 kn) ...
    pub spoof_kn: f64,
    /// ... over at least this distance, so that a receiver's clock or GNSS noise over a few
    /// seconds (tens of metres) is not a jump.
    pub spoof_min_jump_m: f64,
    /// A position on land at least this far inland is spoofed: the coastline is good to about
    /// half a kilometre and harbours lie on it.
    pub spoof_inland_m: f64,
    /// Spoofing evidence of one vessel less than this apart is one episode (the jump away and
    /// the jump back, a false position repeated).
    pub spoof_merge_hours: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            gap_hours: 12.0,
            gap_shore_nm: 50.0,
            gap_min_positions: 14,
            gap_lookback_hours: 12.0,
            encounter_m: 500.0,
            encounter_hours: 2.0,
            encounter_max_kn: 2.0,
            encounter_anchorage_km: 10.0,
            encounter_merge_hours: 4.0,
            encounter_bridge_minutes: 120.0,
            loiter_max_kn: 2.0,
            loiter_hours: 4.0,
            loiter_shore_nm: 20.0,
            port_entry_km: 3.0,
            port_exit_km: 4.0,
            spoof_kn: 30.0,
            spoof_min_jump_m: 1_000.0,
            spoof_inland_m: 2_000.0,
            spoof_merge_hours: 12.0,
        }
    }
}

/// A parameter out of the range the detectors are made for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: expected {expected}, not {value}")]
pub struct ConfigError {
    pub field: &'static str,
    pub expected: String,
    pub value: String,
}

impl Config {
    /// Refuses parameters outside what the detectors are made for, naming the first: a zero
    /// distance or duration would make every pair an encounter or every fix a gap, and a
    /// duration of years would hold a feed's whole history in the pairs' runs.
    ///
    /// ```
    /// let mut c = truceline_maritime::Config::default();
    /// assert!(c.check().is_ok());
    /// c.encounter_m = 0.0;
    /// assert_eq!(c.check().unwrap_err().field, "encounter_m");
    /// ```
    pub fn check(&self) -> Result<(), ConfigError> {
        const MONTH_H: f64 = 24.0 * 31.0;
        let within = |field: &'static str, v: f64, lo: f64, lo_open: bool, hi: f64| {
            let ok = v.is_finite() && (if lo_open { v > lo } else { v >= lo }) && v <= hi;
            if ok {
                Ok(())
            } else {
                Err(ConfigError {
                    field,
                    expected: format!(
                        "a number {} {lo} and at most {hi}",
                        if lo_open { "above" } else { "at least" }
                    ),
                    value: v.to_string(),
                })
            }
        };
        within("gap_hours", self.gap_hours, 0.0, true, MONTH_H)?;
        within("gap_shore_nm", self.gap_shore_nm, 0.0, false, 1_000.0)?;
        within(
            "gap_min_positions",
            self.gap_min_positions as f64,
            0.0,
            false,
            100_000.0,
        )?;
        within(
            "gap_lookback_hours",
            self.gap_lookback_hours,
            0.0,
            true,
            MONTH_H,
        )?;
        within("encounter_m", self.encounter_m, 0.0, true, 50_000.0)?;
        within("encounter_hours", self.encounter_hours, 0.0, true, MONTH_H)?;
        within("encounter_max_kn", self.encounter_max_kn, 0.0, true, 100.0)?;
        within(
            "encounter_anchorage_km",
            self.encounter_anchorage_km,
            0.0,
            false,
            1_000.0,
        )?;
        within(
            "encounter_merge_hours",
            self.encounter_merge_hours,
            0.0,
            false,
            MONTH_H,
        )?;
        within(
            "encounter_bridge_minutes",
            self.encounter_bridge_minutes,
            0.0,
            false,
            24.0 * 60.0,
        )?;
        within("loiter_max_kn", self.loiter_max_kn, 0.0, true, 100.0)?;
        within("loiter_hours", self.loiter_hours, 0.0, true, MONTH_H)?;
        within("loiter_shore_nm", self.loiter_shore_nm, 0.0, false, 1_000.0)?;
        within("port_entry_km", self.port_entry_km, 0.0, true, 100.0)?;
        within(
            "port_exit_km",
            self.port_exit_km,
            self.port_entry_km,
            false,
            100.0,
        )?;
        within("spoof_kn", self.spoof_kn, 0.0, true, 10_000.0)?;
        within(
            "spoof_min_jump_m",
            self.spoof_min_jump_m,
            0.0,
            false,
            1_000_000.0,
        )?;
        within(
            "spoof_inland_m",
            self.spoof_inland_m,
            0.0,
            false,
            1_000_000.0,
        )?;
        within(
            "spoof_merge_hours",
            self.spoof_merge_hours,
            0.0,
            false,
            MONTH_H,
        )
    }
}

/// What happened.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Gap,
    Encounter,
    Loitering,
    Spoofing,
    IdentityChange,
    PortCall,
    Listed,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Gap,
        Kind::Encounter,
        Kind::Loitering,
        Kind::Spoofing,
        Kind::IdentityChange,
        Kind::PortCall,
        Kind::Listed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gap => "gap",
            Kind::Encounter => "encounter",
            Kind::Loitering => "loitering",
            Kind::Spoofing => "spoofing",
            Kind::IdentityChange => "identity_change",
            Kind::PortCall => "port_call",
            Kind::Listed => "listed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

/// Who a vessel said it was.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub mmsi: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
}

/// One behaviour of one vessel (two for an encounter), as `ais detect` writes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub mmsi: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(with = "time")]
    pub start: i64,
    /// `None` while it goes on at the end of the input (a vessel still dark, still in port).
    #[serde(default, with = "time_opt", skip_serializing_if = "Option::is_none")]
    pub end: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Encounter: the other vessel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_mmsi: Option<u32>,
    /// Port call: the port's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Gap: where it ended. Spoofing: the false position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_location: Option<Location>,
    /// Gap and spoofing: the distance between the positions either side, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Spoofing: the highest implied speed, knots (absent when only positions on land).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implied_speed_kn: Option<f64>,
    /// Spoofing: how many positions were on land.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_land: Option<u32>,
    /// Gap and loitering: metres from shore (the start's; loitering's mean position's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shore_m: Option<f64>,
    /// Identity change: which of `mmsi`, `flag`, `name`, `imo` changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Identity>,
    /// Listed: the list's entry and how it matched (`imo` or `mmsi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<crate::sanctions::Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
}

impl Event {
    pub fn new(kind: Kind, mmsi: u32, start: i64) -> Event {
        Event {
            kind,
            mmsi,
            imo: None,
            start,
            end: None,
            location: None,
            other_mmsi: None,
            port: None,
            end_location: None,
            distance_m: None,
            implied_speed_kn: None,
            on_land: None,
            shore_m: None,
            changes: Vec::new(),
            from: None,
            to: None,
            entry: None,
            matched_by: None,
        }
    }
}

/// Unix milliseconds as RFC 3339 in JSON.
mod time {
    pub fn serialize<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&truceline_ais::rfc3339_ms(*t))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        parse(&s)
    }

    pub(super) fn parse<E: serde::de::Error>(s: &str) -> Result<i64, E> {
        s.parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|e| E::custom(format!("expected an RFC 3339 time: {e}")))
    }
}

mod time_opt {
    pub fn serialize<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::time::serialize(t, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let s: Option<String> = serde::Deserialize::deserialize(d)?;
        s.map(|s| super::time::parse(&s)).transpose()
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Fix {
    t: i64,
    lon: f64,
    lat: f64,
    /// Reported speed over ground, or the implied one when the report has none.
    kn: f64,
}

/// A stretch of time with its positions' sum: a slow run, a pair's time alongside.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Run {
    start: i64,
    end: i64,
    sum_lon: f64,
    sum_lat: f64,
    n: u32,
}

impl Run {
    fn new(t: i64) -> Run {
        Run {
            start: t,
            end: t,
            sum_lon: 0.0,
            sum_lat: 0.0,
            n: 0,
        }
    }

    fn add(&mut self, t: i64, lon: f64, lat: f64) {
        self.end = self.end.max(t);
        self.sum_lon += lon;
        self.sum_lat += lat;
        self.n += 1;
    }

    fn mean(&self) -> Location {
        loc(
            self.sum_lon / self.n.max(1) as f64,
            self.sum_lat / self.n.max(1) as f64,
        )
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct PortStay {
    port: u16,
    start: i64,
    last_inside: i64,
    stopped: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Spoof {
    start: i64,
    end: i64,
    at: Location,
    false_at: Location,
    distance_m: f64,
    max_kn: Option<f64>,
    on_land: u32,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct Vessel {
    last: Option<Fix>,
    /// The last few fixes, for positions between them at encounter ticks.
    trail: VecDeque<Fix>,
    /// Times of the last `gap_min_positions` positions.
    recent: VecDeque<i64>,
    slow: Option<Run>,
    port: Option<PortStay>,
    spoof: Option<Spoof>,
    imo: Option<u32>,
    name: Option<String>,
    /// When `name` was last heard.
    name_seen: i64,
    first_seen: i64,
    last_seen: i64,
    /// Its IMO number was seen under another MMSI afterwards: this MMSI's silence is that.
    succeeded: bool,
    /// Matched again against the list in force when a snapshot is restored.
    #[serde(skip)]
    listed: Option<(usize, bool)>,
}

/// A slow vessel at an encounter tick: MMSI, longitude, latitude.
type Slow = (u32, f64, f64);

/// What a run of a feed looked like, for the summary line.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub messages: u64,
    pub positions: u64,
    /// Positions without a time (no tag block or leading timestamp): not tracked.
    pub untimed: u64,
    /// Positions older than the vessel's last one (a second receiver's copy, a late relay).
    pub stale: u64,
    pub vessels: usize,
}

/// Encounters are checked on a clock of this period (GFW's 10 minutes), `encounter_bridge_minutes`
/// behind the feed, on each slow vessel's position interpolated between its fixes either side.
const TICK: i64 = 10 * 60_000;
/// Fixes kept per vessel for that, at most one every `TRAIL_STEP`: over four hours.
const TRAIL: usize = 128;
const TRAIL_STEP: i64 = 2 * 60_000;

impl Vessel {
    /// Whether it was heard often enough before `t` (`gap_min_positions` within
    /// `gap_lookback_hours`) for a silence after `t` to mean something.
    fn heard_steadily(&self, cfg: &Config, t: i64) -> bool {
        let lookback = (cfg.gap_lookback_hours * HOUR as f64) as i64;
        self.recent.len() >= cfg.gap_min_positions
            && self.recent.front().is_some_and(|&f| f >= t - lookback)
    }

    /// Where the vessel was at `t`, if it was slow then and heard near enough that time.
    fn slow_at(&self, t: i64, bridge: i64, max_kn: f64) -> Option<(f64, f64)> {
        let i = self.trail.partition_point(|f| f.t <= t);
        let p = *self.trail.get(i.checked_sub(1)?)?;
        match self.trail.get(i) {
            // Slow at either end: it slowed down or got under way in between; the position
            // in between says whether it was alongside another by then.
            Some(n) if n.t - p.t <= bridge => {
                if p.kn >= max_kn && n.kn >= max_kn {
                    return None;
                }
                let f = (t - p.t) as f64 / (n.t - p.t).max(1) as f64;
                Some((p.lon + (n.lon - p.lon) * f, p.lat + (n.lat - p.lat) * f))
            }
            // Not heard again for long after: only a fix just before stands for it.
            _ => (t - p.t <= TICK && p.kn < max_kn).then_some((p.lon, p.lat)),
        }
    }
}

/// The detectors over a feed.
pub struct Detector {
    cfg: Config,
    shore: Shore,
    ports: Ports,
    list: List,
    vessels: FxHashMap<u32, Vessel>,
    /// IMO number to the last identity seen with it, and when.
    imos: FxHashMap<u32, (Identity, i64)>,
    changes_seen: FxHashSet<(u32, u32, u32)>,
    pairs: FxHashMap<(u32, u32), Run>,
    /// A closed encounter waiting `encounter_merge_hours` for its pair to meet again.
    pending: FxHashMap<(u32, u32), Event>,
    next_tick: Option<i64>,
    now: i64,
    events: Vec<Event>,
    /// Matches against the list made since last drained (a vessel first matched, or matched
    /// anew by IMO, or under a new list).
    matches: Vec<Event>,
    /// Positions kept for [`Detector::near`], if asked for.
    wake: Option<Wake>,
    pub counts: Counts,
}

fn loc(lon: f64, lat: f64) -> Location {
    Location { lat, lon }
}

fn normal_name(s: &str) -> Option<String> {
    let n = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    (!n.is_empty()).then_some(n)
}

/// A vessel's entry in `list`: by its IMO number first, else by its MMSI (`true` when by IMO).
fn matched(list: &List, mmsi: u32, imo: Option<u32>) -> Option<(usize, bool)> {
    imo.and_then(|imo| list.imo_index(imo))
        .map(|i| (i, true))
        .or_else(|| list.mmsi_index(mmsi).map(|i| (i, false)))
}

/// A vessel's match against the list (entry `i`, by IMO or by MMSI) as a `listed` event
/// starting at `t`, where the vessel last was.
fn listed_event(list: &List, mmsi: u32, v: &Vessel, t: i64, (i, by_imo): (usize, bool)) -> Event {
    let mut e = Event::new(Kind::Listed, mmsi, t);
    e.imo = v.imo;
    e.location = v.last.map(|f| loc(f.lon, f.lat));
    e.entry = Some(list.entries()[i].clone());
    e.matched_by = Some(if by_imo { "imo" } else { "mmsi" }.into());
    e
}

/// A detector's tracks as they stand, to carry them across a restart: every vessel's recent
/// fixes and runs under way, the pairs alongside, the encounters waiting to merge and the
/// feed's clock. What it was made under (parameters, ports) travels with it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    config: Config,
    ports: usize,
    vessels: Vec<(u32, Vessel)>,
    imos: Vec<(u32, Identity, i64)>,
    changes_seen: Vec<(u32, u32, u32)>,
    pairs: Vec<((u32, u32), Run)>,
    pending: Vec<((u32, u32), Event)>,
    next_tick: Option<i64>,
    now: i64,
    events: Vec<Event>,
    counts: Counts,
}

/// Why a snapshot is not restored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestoreError {
    #[error("the tracks were made under other parameters")]
    OtherConfig,
}

impl Detector {
    /// The tracks as they stand (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        let mut vessels: Vec<(u32, Vessel)> =
            self.vessels.iter().map(|(&m, v)| (m, v.clone())).collect();
        vessels.sort_unstable_by_key(|(m, _)| *m);
        let mut imos: Vec<_> = self
            .imos
            .iter()
            .map(|(&i, (id, t))| (i, id.clone(), *t))
            .collect();
        imos.sort_unstable_by_key(|x| x.0);
        let mut changes_seen: Vec<_> = self.changes_seen.iter().copied().collect();
        changes_seen.sort_unstable();
        let mut pairs: Vec<_> = self.pairs.iter().map(|(k, r)| (*k, *r)).collect();
        pairs.sort_unstable_by_key(|x| x.0);
        let mut pending: Vec<_> = self.pending.iter().map(|(k, e)| (*k, e.clone())).collect();
        pending.sort_unstable_by_key(|x| x.0);
        Snapshot {
            config: self.cfg.clone(),
            ports: self.ports.len(),
            vessels,
            imos,
            changes_seen,
            pairs,
            pending,
            next_tick: self.next_tick,
            now: self.now,
            events: self.events.clone(),
            counts: self.counts.clone(),
        }
    }

    /// Takes up the tracks of `s` in place of its own. Refused if they were made under other
    /// parameters (their runs would mean something else); port stays are dropped if the ports
    /// list changed; every vessel is matched against the list in force.
    pub fn restore(&mut self, s: Snapshot) -> Result<(), RestoreError> {
        if s.config != self.cfg {
            return Err(RestoreError::OtherConfig);
        }
        let same_ports = s.ports == self.ports.len();
        self.vessels = s
            .vessels
            .into_iter()
            .map(|(mmsi, mut v)| {
                if !same_ports {
                    v.port = None;
                }
                (mmsi, v)
            })
            .collect();
        self.imos = s.imos.into_iter().map(|(i, id, t)| (i, (id, t))).collect();
        self.changes_seen = s.changes_seen.into_iter().collect();
        self.pairs = s.pairs.into_iter().collect();
        self.pending = s.pending.into_iter().collect();
        self.next_tick = s.next_tick;
        self.now = s.now;
        self.events = s.events;
        self.counts = s.counts;
        self.rematch();
        Ok(())
    }

    pub fn new(cfg: Config, shore: Shore, ports: Ports, list: List) -> Detector {
        Detector {
            cfg,
            shore,
            ports,
            list,
            vessels: FxHashMap::default(),
            imos: FxHashMap::default(),
            changes_seen: FxHashSet::default(),
            pairs: FxHashMap::default(),
            pending: FxHashMap::default(),
            next_tick: None,
            now: i64::MIN,
            events: Vec::new(),
            matches: Vec::new(),
            wake: None,
            counts: Counts::default(),
        }
    }

    /// Keeps positions in `wake` from now on, for [`Detector::near`].
    pub fn keep_wake(&mut self, wake: Wake) {
        self.wake = Some(wake);
    }

    /// The vessels within `radius_m` of a point at a time, nearest first, from the wake (none
    /// if no wake is kept).
    pub fn near(&self, lon: f64, lat: f64, t: i64, radius_m: f64) -> Vec<Nearby> {
        self.wake
            .as_ref()
            .map_or_else(Vec::new, |w| w.near(lon, lat, t, radius_m))
    }

    /// Matches against the list made since last asked, each as a `listed` event whose start
    /// is when it was made: a vessel heard for the first time under a listed MMSI or IMO,
    /// one matched by IMO after its MMSI, and every match under a newly set list or on
    /// taking up a snapshot (so a caller that logs them keeps which it has logged).
    pub fn drain_matches(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.matches)
    }

    /// Replaces the sanctions list: every vessel heard is matched against the new one now.
    pub fn set_list(&mut self, list: List) {
        self.list = list;
        self.rematch();
    }

    /// Matches every vessel against the list in force, each match one of [`Self::matches`].
    fn rematch(&mut self) {
        for (&mmsi, v) in self.vessels.iter_mut() {
            v.listed = matched(&self.list, mmsi, v.imo);
            if let Some(by) = v.listed {
                self.matches.push(listed_event(
                    &self.list,
                    mmsi,
                    v,
                    self.now.max(v.last_seen),
                    by,
                ));
            }
        }
        self.matches.sort_by_key(|e| e.mmsi);
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Events found so far (closed behaviours), oldest first by the time they closed.
    pub fn drain(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// One decoded message. Messages should come in time order, as a feed delivers them; a
    /// position older than its vessel's last is counted and skipped.
    pub fn push(&mut self, d: &Decoded) {
        self.counts.messages += 1;
        let m = &d.message;
        match m.msg_type {
            1..=3 | 18 | 19 | 27 => {
                if let (Some(lon), Some(lat)) = (m.lon, m.lat) {
                    self.counts.positions += 1;
                    match d.time_ms {
                        Some(t) => self.position(m.mmsi, t, lon, lat, m.speed),
                        None => self.counts.untimed += 1,
                    }
                }
                if m.msg_type == 19
                    && let (Some(name), Some(t)) = (m.shipname.as_deref(), d.time_ms)
                {
                    self.static_data(m.mmsi, t, None, name);
                }
            }
            5 | 24 => {
                if let Some(t) = d.time_ms {
                    let imo = m.imo.filter(|&i| imo_valid(i));
                    self.static_data(m.mmsi, t, imo, m.shipname.as_deref().unwrap_or(""));
                }
            }
            _ => {}
        }
    }

    fn clock(&mut self, t: i64) {
        if t > self.now {
            self.now = t;
        }
        let mut next = *self.next_tick.get_or_insert(t - t.rem_euclid(TICK) + TICK);
        // A feed silent for more than a day resumes a day back: older ticks could see nothing.
        next = next.max(t - t.rem_euclid(TICK) - 24 * HOUR);
        while t >= next {
            self.tick(next);
            next += TICK;
        }
        self.next_tick = Some(next);
    }

    fn position(&mut self, mmsi: u32, t: i64, lon: f64, lat: f64, sog: Option<f64>) {
        self.clock(t);
        let cfg = &self.cfg;
        let gap_ms = (cfg.gap_hours * HOUR as f64) as i64;
        let v = vessel(&mut self.vessels, &mut self.counts, mmsi, t);
        let prev = v.last;
        if let Some(p) = prev
            && (t < p.t || (t == p.t && p.lon == lon && p.lat == lat))
        {
            self.counts.stale += 1;
            return;
        }
        v.last_seen = t;
        let (dist, dt) = match prev {
            Some(p) => (
                distance_m(p.lon, p.lat, lon, lat),
                (t - p.t) as f64 / 1000.0,
            ),
            None => (0.0, 0.0),
        };
        let implied_kn = if dt > 0.0 {
            dist / dt / KNOT
        } else if dist > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        let kn = sog.unwrap_or(if prev.is_some() { implied_kn } else { 0.0 });
        let mut out: Vec<Event> = Vec::new();

        // Gap: silence long enough, after enough positions, far enough out at both ends.
        if let Some(p) = prev
            && t - p.t >= gap_ms
        {
            let m = cfg.gap_shore_nm * NM;
            if v.heard_steadily(cfg, p.t)
                && self.shore.offshore_more_than(p.lon, p.lat, m) == Some(true)
                && self.shore.offshore_more_than(lon, lat, m) == Some(true)
            {
                let mut e = Event::new(Kind::Gap, mmsi, p.t);
                e.imo = v.imo;
                e.end = Some(t);
                e.location = Some(loc(p.lon, p.lat));
                e.end_location = Some(loc(lon, lat));
                e.distance_m = Some(dist.round());
                e.shore_m = self.shore.distance_m(p.lon, p.lat).map(f64::round);
                out.push(e);
            }
            // A silence this long ends whatever the vessel was doing.
            if let Some(run) = v.slow.take() {
                out.extend(close_slow(cfg, &mut self.shore, mmsi, v.imo, run));
            }
        }

        // Spoofing: a jump no ship makes, or a position well inland.
        let jump = prev.is_some() && implied_kn > cfg.spoof_kn && dist >= cfg.spoof_min_jump_m;
        let inland = self.shore.inland_more_than(lon, lat, cfg.spoof_inland_m) == Some(true);
        let merge = (cfg.spoof_merge_hours * HOUR as f64) as i64;
        if let Some(s) = &v.spoof
            && t - s.end > merge
        {
            let s = v.spoof.take().expect("just seen");
            out.push(spoof_event(mmsi, v.imo, s));
        }
        if jump || inland {
            let p = prev.unwrap_or(Fix { t, lon, lat, kn });
            let s = v.spoof.get_or_insert_with(|| Spoof {
                start: if jump { p.t } else { t },
                end: t,
                at: loc(p.lon, p.lat),
                false_at: loc(lon, lat),
                distance_m: 0.0,
                max_kn: None,
                on_land: 0,
            });
            s.end = t;
            if jump {
                s.max_kn = Some(s.max_kn.map_or(implied_kn, |k: f64| k.max(implied_kn)));
                if dist > s.distance_m {
                    s.distance_m = dist;
                    s.false_at = loc(lon, lat);
                }
            }
            if inland {
                s.on_land += 1;
            }
        }

        // Loitering: slow runs, judged when they end.
        let slow = kn < cfg.loiter_max_kn;
        if slow {
            v.slow.get_or_insert(Run::new(t)).add(t, lon, lat);
        } else if let Some(run) = v.slow.take() {
            out.extend(close_slow(cfg, &mut self.shore, mmsi, v.imo, run));
        }

        // Port calls: in within entry distance, out beyond exit distance; counted if it stopped.
        match v.port {
            Some(mut stay) => {
                let d = self.ports.distance_to(stay.port as usize, lon, lat);
                if d > cfg.port_exit_km * 1000.0
                    || (prev.is_some_and(|p| t - p.t >= gap_ms) && d > cfg.port_entry_km * 1000.0)
                {
                    v.port = None;
                    if stay.stopped {
                        out.push(port_event(
                            &self.ports,
                            mmsi,
                            v.imo,
                            stay,
                            Some(stay.last_inside),
                        ));
                    }
                } else {
                    stay.last_inside = t;
                    stay.stopped |= slow;
                    v.port = Some(stay);
                }
            }
            None => {
                if let Some((i, _)) =
                    self.ports
                        .nearest_within(lon, lat, cfg.port_entry_km * 1000.0)
                {
                    v.port = Some(PortStay {
                        port: i as u16,
                        start: t,
                        last_inside: t,
                        stopped: slow,
                    });
                }
            }
        }

        let newly = v.listed.is_none() && {
            v.listed = self.list.mmsi_index(mmsi).map(|i| (i, false));
            v.listed.is_some()
        };
        v.last = Some(Fix { t, lon, lat, kn });
        if let Some(by) = v.listed.filter(|_| newly) {
            self.matches.push(listed_event(&self.list, mmsi, v, t, by));
        }
        if let Some(w) = &mut self.wake {
            w.push(mmsi, t, lon, lat);
        }
        // Thinned to a fix every two minutes (and each change between slow and not), so that
        // a fast ship's trail still reaches back past the bridge.
        let keep = v.trail.back().is_none_or(|b| {
            t - b.t >= TRAIL_STEP || (b.kn < cfg.encounter_max_kn) != (kn < cfg.encounter_max_kn)
        });
        if keep {
            if v.trail.len() == TRAIL {
                v.trail.pop_front();
            }
            v.trail.push_back(Fix { t, lon, lat, kn });
        }
        if cfg.gap_min_positions > 0 {
            if v.recent.len() == cfg.gap_min_positions {
                v.recent.pop_front();
            }
            v.recent.push_back(t);
        }
        self.events.extend(out);
    }

    fn static_data(&mut self, mmsi: u32, t: i64, imo: Option<u32>, name: &str) {
        self.clock(t);
        let name = normal_name(name);
        let v = vessel(&mut self.vessels, &mut self.counts, mmsi, t);
        let at = v.last.map(|f| loc(f.lon, f.lat));
        let mut out = Vec::new();
        // A new name under the same MMSI.
        if let (Some(old), Some(new)) = (&v.name, &name)
            && old != new
            && self
                .changes_seen
                .insert((mmsi, hash_name(old), hash_name(new)))
        {
            // Between the last time the old name was heard and now.
            let mut e = Event::new(Kind::IdentityChange, mmsi, v.name_seen);
            e.end = Some(t);
            e.imo = imo.or(v.imo);
            e.location = at;
            e.changes = vec!["name".into()];
            e.from = Some(Identity {
                mmsi,
                flag: flag(mmsi).map(str::to_string),
                name: Some(old.clone()),
                imo: v.imo,
            });
            e.to = Some(Identity {
                mmsi,
                flag: flag(mmsi).map(str::to_string),
                name: Some(new.clone()),
                imo: imo.or(v.imo),
            });
            out.push(e);
        }
        if name.is_some() {
            v.name = name.clone();
            v.name_seen = t;
        }
        if let Some(imo) = imo {
            if v.imo.is_some_and(|old| old != imo)
                && self.changes_seen.insert((mmsi, v.imo.unwrap_or(0), imo))
            {
                let mut e = Event::new(Kind::IdentityChange, mmsi, t);
                e.end = Some(t);
                e.imo = Some(imo);
                e.location = at;
                e.changes = vec!["imo".into()];
                e.from = Some(Identity {
                    mmsi,
                    imo: v.imo,
                    ..Identity::default()
                });
                e.to = Some(Identity {
                    mmsi,
                    imo: Some(imo),
                    ..Identity::default()
                });
                out.push(e);
            }
            v.imo = Some(imo);
            if v.listed.is_none_or(|(_, by_imo)| !by_imo)
                && let Some(i) = self.list.imo_index(imo)
            {
                v.listed = Some((i, true));
                self.matches
                    .push(listed_event(&self.list, mmsi, v, t, (i, true)));
            }
            let me = Identity {
                mmsi,
                flag: flag(mmsi).map(str::to_string),
                name: name.clone(),
                imo: Some(imo),
            };
            // The same IMO number under another MMSI: a new flag, or a vessel's identity used twice.
            let before = self.imos.insert(imo, (me.clone(), t));
            if let Some((old, seen)) = before
                && old.mmsi != mmsi
            {
                if self.changes_seen.insert((imo, old.mmsi, mmsi)) {
                    let mut changes = vec!["mmsi".to_string()];
                    if old.flag != me.flag {
                        changes.push("flag".into());
                    }
                    if old.name.is_some() && me.name.is_some() && old.name != me.name {
                        changes.push("name".into());
                    }
                    let mut e = Event::new(Kind::IdentityChange, mmsi, seen);
                    e.end = Some(t);
                    e.imo = Some(imo);
                    e.location = at.or_else(|| {
                        self.vessels
                            .get(&old.mmsi)
                            .and_then(|o| o.last)
                            .map(|f| loc(f.lon, f.lat))
                    });
                    e.changes = changes;
                    e.from = Some(old.clone());
                    e.to = Some(me);
                    out.push(e);
                }
                if let Some(o) = self.vessels.get_mut(&old.mmsi) {
                    o.succeeded = true;
                }
            }
        }
        self.events.extend(out);
    }

    /// Encounters: the clock's tick `at`, judged `encounter_bridge_minutes` later so that the
    /// fixes after it have come in.
    fn tick(&mut self, at: i64) {
        let cfg = &self.cfg;
        let bridge = (cfg.encounter_bridge_minutes * 60_000.0) as i64;
        let t = at - bridge;
        let anchorage = cfg.encounter_anchorage_km * 1000.0;
        // Cells of 0.01° latitude (1.1 km) and as many metres of longitude: a pair within
        // 500 m is in the same or a neighbouring cell.
        let cell_deg = (cfg.encounter_m / 111_000.0).max(0.005) * 2.0;
        let mut grid: FxHashMap<(i32, i32), Vec<Slow>> = FxHashMap::default();
        for (&mmsi, v) in &self.vessels {
            let Some((lon, lat)) = v.slow_at(t, bridge, cfg.encounter_max_kn) else {
                continue;
            };
            if self.ports.nearest_within(lon, lat, anchorage).is_some() {
                continue;
            }
            let k = (
                (lon * lat.to_radians().cos() / cell_deg).floor() as i32,
                (lat / cell_deg).floor() as i32,
            );
            grid.entry(k).or_default().push((mmsi, lon, lat));
        }
        let mut close = Vec::new();
        for (&(x, y), here) in &grid {
            for &(a, alon, alat) in here {
                for dx in -1..=1 {
                    for dy in -1..=1 {
                        let Some(there) = grid.get(&(x + dx, y + dy)) else {
                            continue;
                        };
                        for &(b, blon, blat) in there {
                            if a < b && distance_m(alon, alat, blon, blat) <= cfg.encounter_m {
                                close.push(((a, b), (alon + blon) / 2.0, (alat + blat) / 2.0));
                            }
                        }
                    }
                }
            }
        }
        for (pair, lon, lat) in close {
            self.pairs
                .entry(pair)
                .or_insert(Run::new(t))
                .add(t, lon, lat);
        }
        // A pair not close at this tick nor the one before has parted.
        let parted: Vec<(u32, u32)> = self
            .pairs
            .iter()
            .filter(|(_, r)| r.end < t - TICK)
            .map(|(k, _)| *k)
            .collect();
        for k in parted {
            let r = self.pairs.remove(&k).expect("listed");
            self.close_pair(k, r);
        }
        let merge = (self.cfg.encounter_merge_hours * HOUR as f64) as i64;
        let due: Vec<(u32, u32)> = self
            .pending
            .iter()
            .filter(|(k, e)| e.end.unwrap_or(e.start) + merge < t && !self.pairs.contains_key(k))
            .map(|(k, _)| *k)
            .collect();
        for k in due {
            let e = self.pending.remove(&k).expect("listed");
            self.events.push(e);
        }
    }

    fn close_pair(&mut self, k: (u32, u32), r: Run) {
        let merge = (self.cfg.encounter_merge_hours * HOUR as f64) as i64;
        let long = r.end - r.start >= (self.cfg.encounter_hours * HOUR as f64) as i64;
        if let Some(p) = self.pending.get_mut(&k)
            && r.start - p.end.unwrap_or(p.start) <= merge
        {
            // Met again soon after: one encounter, whether or not this meeting alone was long.
            p.end = Some(r.end);
            return;
        }
        if !long {
            return;
        }
        let mut e = Event::new(Kind::Encounter, k.0, r.start);
        e.end = Some(r.end);
        e.other_mmsi = Some(k.1);
        e.imo = self.vessels.get(&k.0).and_then(|v| v.imo);
        e.location = Some(r.mean());
        if let Some(old) = self.pending.insert(k, e) {
            self.events.push(old);
        }
    }

    /// Closes everything still open at the end of the feed and returns every event, ordered
    /// by start, kind and MMSI.
    pub fn finish(mut self) -> Vec<Event> {
        if let Some(mut next) = self.next_tick {
            // The ticks still waiting for fixes after them: there will be none.
            let bridge = (self.cfg.encounter_bridge_minutes * 60_000.0) as i64;
            while next <= self.now + bridge {
                self.tick(next);
                next += TICK;
            }
        }
        let open = self.open_events();
        let mut events = self.events;
        events.extend(open);
        events.sort_by_key(|e| (e.start, e.kind, e.mmsi));
        events
    }

    /// The behaviours still open, as they would close if the feed ended now: a ship still
    /// dark, in port, loitering or alongside another, an episode of false positions not yet
    /// over, and every listed vessel seen. Nothing is closed by asking.
    pub fn open_events(&mut self) -> Vec<Event> {
        let now = self.now;
        let merge = (self.cfg.encounter_merge_hours * HOUR as f64) as i64;
        let long = (self.cfg.encounter_hours * HOUR as f64) as i64;
        let mut out = Vec::new();
        let mut pairs: Vec<((u32, u32), Run)> = self.pairs.iter().map(|(k, r)| (*k, *r)).collect();
        pairs.sort_by_key(|(k, _)| *k);
        let mut pending = self.pending.clone();
        for (k, r) in pairs {
            match pending.get_mut(&k) {
                Some(p) if r.start - p.end.unwrap_or(p.start) <= merge => p.end = Some(r.end),
                _ if r.end - r.start >= long => {
                    let mut e = Event::new(Kind::Encounter, k.0, r.start);
                    e.end = Some(r.end);
                    e.other_mmsi = Some(k.1);
                    e.imo = self.vessels.get(&k.0).and_then(|v| v.imo);
                    e.location = Some(r.mean());
                    out.push(e);
                }
                _ => {}
            }
        }
        out.extend(pending.into_values());
        let gap_ms = (self.cfg.gap_hours * HOUR as f64) as i64;
        let mut mmsis: Vec<u32> = self.vessels.keys().copied().collect();
        mmsis.sort_unstable();
        for mmsi in mmsis {
            let v = &self.vessels[&mmsi];
            if let Some(run) = v.slow {
                out.extend(close_slow(&self.cfg, &mut self.shore, mmsi, v.imo, run));
            }
            if let Some(s) = &v.spoof {
                out.push(spoof_event(mmsi, v.imo, s.clone()));
            }
            if let Some(stay) = v.port
                && stay.stopped
            {
                out.push(port_event(&self.ports, mmsi, v.imo, stay, None));
            }
            // Silent since long enough: a gap that has not ended (unless it became another MMSI).
            if let Some(p) = v.last
                && now - p.t >= gap_ms
                && !v.succeeded
                && v.heard_steadily(&self.cfg, p.t)
                && self
                    .shore
                    .offshore_more_than(p.lon, p.lat, self.cfg.gap_shore_nm * NM)
                    == Some(true)
            {
                let mut e = Event::new(Kind::Gap, mmsi, p.t);
                e.imo = v.imo;
                e.location = Some(loc(p.lon, p.lat));
                e.shore_m = self.shore.distance_m(p.lon, p.lat).map(f64::round);
                out.push(e);
            }
            if let Some(by) = v.listed {
                let mut e = listed_event(&self.list, mmsi, v, v.first_seen, by);
                e.end = Some(v.last_seen);
                out.push(e);
            }
        }
        out
    }

    /// Every vessel heard, by MMSI: who it says it is and where it was last.
    pub fn vessels(&self) -> Vec<VesselState> {
        let mut out: Vec<VesselState> = self
            .vessels
            .iter()
            .map(|(&mmsi, v)| VesselState {
                mmsi,
                imo: v.imo,
                name: v.name.clone(),
                flag: flag(mmsi).map(str::to_string),
                first_seen: v.first_seen,
                last_seen: v.last_seen,
                location: v.last.map(|f| loc(f.lon, f.lat)),
                position_time: v.last.map(|f| f.t),
                speed_kn: v.last.map(|f| f.kn).filter(|k| k.is_finite()),
                listed: v
                    .listed
                    .map(|(i, _)| self.list.entries()[i].caption.clone()),
            })
            .collect();
        out.sort_by_key(|v| v.mmsi);
        out
    }
}

/// A vessel as the tracks know it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VesselState {
    pub mmsi: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The flag its MMSI claims (ISO 3166-1 alpha-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    #[serde(with = "time")]
    pub first_seen: i64,
    #[serde(with = "time")]
    pub last_seen: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(with = "time_opt", skip_serializing_if = "Option::is_none")]
    pub position_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_kn: Option<f64>,
    /// The sanctions list's caption of the entry it matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<String>,
}

/// The vessel of `mmsi`, made (and counted) when first heard at `t`: one lookup either way.
fn vessel<'a>(
    vessels: &'a mut FxHashMap<u32, Vessel>,
    counts: &mut Counts,
    mmsi: u32,
    t: i64,
) -> &'a mut Vessel {
    vessels.entry(mmsi).or_insert_with(|| {
        counts.vessels += 1;
        Vessel {
            first_seen: t,
            last_seen: t,
            ..Vessel::default()
        }
    })
}

fn hash_name(s: &str) -> u32 {
    // Only to remember which renames were reported (FNV-1a); a collision would hide one repeat.
    s.bytes().fold(2_166_136_261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    })
}

fn close_slow(
    cfg: &Config,
    shore: &mut Shore,
    mmsi: u32,
    imo: Option<u32>,
    run: Run,
) -> Option<Event> {
    if run.end - run.start < (cfg.loiter_hours * HOUR as f64) as i64 || run.n == 0 {
        return None;
    }
    let Location { lon, lat } = run.mean();
    if shore.offshore_more_than(lon, lat, cfg.loiter_shore_nm * NM) != Some(true) {
        return None;
    }
    let mut e = Event::new(Kind::Loitering, mmsi, run.start);
    e.imo = imo;
    e.end = Some(run.end);
    e.location = Some(loc(lon, lat));
    e.shore_m = shore.distance_m(lon, lat).map(f64::round);
    Some(e)
}

fn spoof_event(mmsi: u32, imo: Option<u32>, s: Spoof) -> Event {
    let mut e = Event::new(Kind::Spoofing, mmsi, s.start);
    e.imo = imo;
    e.end = Some(s.end);
    e.location = Some(s.at);
    e.end_location = Some(s.false_at);
    if s.distance_m > 0.0 {
        e.distance_m = Some(s.distance_m.round());
    }
    e.implied_speed_kn = s.max_kn.map(|k| {
        if k.is_finite() {
            (k * 10.0).round() / 10.0
        } else {
            9_999.0
        }
    });
    if s.on_land > 0 {
        e.on_land = Some(s.on_land);
    }
    e
}

fn port_event(
    ports: &Ports,
    mmsi: u32,
    imo: Option<u32>,
    stay: PortStay,
    end: Option<i64>,
) -> Event {
    let p = ports.get(stay.port as usize);
    let mut e = Event::new(Kind::PortCall, mmsi, stay.start);
    e.imo = imo;
    e.end = end;
    e.port = Some(p.name.clone());
    e.location = Some(loc(p.lon, p.lat));
    e
}
