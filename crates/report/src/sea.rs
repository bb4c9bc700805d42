//! The report's maritime section ("At sea"): what the AIS picture found during the day, beside
//! the ceasefire's incidents. The service fills it from its tracks (the report crate knows no
//! AIS); the restricted edition only: behaviours and sanctions matches are the mission's
//! analysis.

use serde::Serialize;

use crate::content::Report;
use crate::doc::{Block, Table};
use crate::lang::{Lang, fill};

/// The day at sea.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeaSection {
    /// Vessels heard during the day, and how many of them a sanctions list names.
    pub vessels: u64,
    pub listed: u64,
    /// Behaviours found during the day, by type (`gap`, `encounter`, …), every type present.
    pub counts: Vec<(String, u64)>,
    /// The day's behaviours but port calls (counted only), oldest first, at most [`MAX_LINES`].
    pub events: Vec<SeaLine>,
    /// The day's incidents at or near a port: the strikes on ports the mission observed,
    /// beside the traffic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub at_ports: Vec<PortIncident>,
    /// The day's incidents with a vessel near them at the time: strikes on ships at sea (or
    /// alongside), beside the traffic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub near_vessels: Vec<VesselIncident>,
}

/// A vessel AIS placed within [`SHIP_KM`] of an incident at its time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VesselIncident {
    /// The incident's number in this report.
    pub number: usize,
    pub mmsi: u32,
    /// Its name and MMSI, as the section lists vessels.
    pub vessel: String,
    pub distance_km: f64,
    /// From the incident's time to the vessel's nearest position, minutes: how much the
    /// distance leans on interpolating between positions.
    pub fix_minutes: f64,
}

/// How near an incident a vessel is named beside it: a fused incident's location is good to a
/// few hundred metres, an AIS position between two fixes to about as much.
pub const SHIP_KM: f64 = 2.0;
/// Vessels named beside one incident at most, the nearest.
pub const SHIPS_PER_INCIDENT: usize = 3;

/// An incident within [`PORT_KM`] of a port's point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortIncident {
    /// The incident's number in this report.
    pub number: usize,
    pub port: String,
    pub distance_km: f64,
}

/// How near a port an incident is listed beside the traffic.
pub const PORT_KM: f64 = 10.0;

/// One behaviour as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SeaLine {
    pub start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// The vessel (its name and MMSI; both vessels of an encounter).
    pub vessels: String,
    /// `[lon, lat]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<[f64; 2]>,
}

/// Lines listed at most; the counts cover them all.
pub const MAX_LINES: usize = 200;

/// The seven behaviours in the order the section names them.
pub const KINDS: [&str; 7] = [
    "gap",
    "encounter",
    "loitering",
    "spoofing",
    "identity_change",
    "listed",
    "port_call",
];

pub(crate) fn blocks(r: &Report, ctx: &crate::Context, lang: Lang) -> Vec<Block> {
    let Some(s) = &r.sea else { return Vec::new() };
    let w = lang.words();
    let kind = |k: &str| -> String {
        KINDS
            .iter()
            .position(|x| *x == k)
            .map_or_else(|| k.to_string(), |i| w.sea_kinds[i].to_string())
    };
    let found: Vec<String> = s
        .counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{} {n}", kind(k)))
        .collect();
    let mut b = vec![
        Block::Heading {
            id: "sea",
            text: w.sea.into(),
        },
        Block::Para(fill(
            w.sea_text,
            &[
                &s.vessels,
                &s.listed,
                &if found.is_empty() {
                    w.sea_nothing.to_string()
                } else {
                    found.join(", ")
                },
            ],
        )),
    ];
    if !s.at_ports.is_empty() {
        let list: Vec<String> = s
            .at_ports
            .iter()
            .map(|p| format!("#{} {} ({:.1} km)", p.number, p.port, p.distance_km))
            .collect();
        b.push(Block::Para(fill(
            w.sea_ports,
            &[&PORT_KM, &list.join(", ")],
        )));
    }
    if !s.near_vessels.is_empty() {
        let list: Vec<String> = s
            .near_vessels
            .iter()
            .map(|v| {
                format!(
                    "#{} {} ({:.1} km; {:.0} min)",
                    v.number, v.vessel, v.distance_km, v.fix_minutes
                )
            })
            .collect();
        b.push(Block::Para(fill(
            w.sea_ships,
            &[&SHIP_KM, &list.join(", ")],
        )));
    }
    if !s.events.is_empty() {
        let mut t = Table::new(&[
            (w.time_utc, false),
            (w.sea_behaviour, false),
            (w.sea_vessels, false),
            (w.place, false),
        ]);
        for e in &s.events {
            let time = match &e.end {
                Some(end) => format!("{} – {}", short(&e.start), short(end)),
                None => format!("{} –", short(&e.start)),
            };
            let place = e.at.map_or(String::new(), |[lon, lat]| {
                ctx.gazetteer.describe_in(lon, lat, lang)
            });
            t.row(vec![time, kind(&e.kind), e.vessels.clone(), place]);
        }
        b.push(Block::Table(t));
    }
    b.push(Block::Small(w.sea_note.into()));
    b
}

/// `MM-DD HH:MM` of an RFC 3339 time.
fn short(t: &str) -> String {
    match (t.get(5..10), t.get(11..16)) {
        (Some(d), Some(h)) => format!("{d} {h}"),
        _ => t.to_string(),
    }
}
