//! The report's sections on the mission's other records (SPEC 6): storage sites, freedom of
//! movement, civilian casualties, damage, hazards and local ceasefire windows, each against the
//! day before and the 7-day mean, as the OSCE's daily reports gave them.
//!
//! The public edition gives casualties only as totals (by status and by cause), never a record,
//! a place or a name; it names no patrol and cites no record id (a sender's id may name its
//! patrol). Places are described from the gazetteer, on the public grid outside the mission.

use std::collections::BTreeMap;

use serde::Serialize;
use truceline_agreement::Agreement;
use truceline_agreement::ZoneRule;
use truceline_incident::{IncidentRecord, Kind};
use truceline_observation::Vocabulary;
use truceline_records::link::{self, Harm, Link};
use truceline_records::storage::Sites;
use truceline_records::{Body, LonLat, Record, RecordType, area, window};
use truceline_store::{MissionQuery, Store};
use truceline_zones::{ZoneEngine, ZoneSource};

use crate::{Audience, Context, MissionDay, ReportError};

/// A site not inspected for longer than this many days is overdue.
pub const INSPECTION_DUE_DAYS: i64 = 30;

/// A figure today, the day before, and the mean of the seven days before today.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct Compared {
    pub today: f64,
    pub previous_day: f64,
    pub seven_day_mean: f64,
}

/// The records sections of a report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RecordsSection {
    pub storage: Storage,
    pub movement: Movement,
    pub casualties: Casualties,
    pub damage: Damage,
    pub hazards: Hazards,
    pub windows: Windows,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Storage {
    /// Weapons declared at the day's end, by party.
    pub declared: BTreeMap<String, u64>,
    /// Inspections made during the day, by the site's party.
    pub inspected: BTreeMap<String, u64>,
    /// Declared weapons found missing during the day (access granted), by party.
    pub missing: BTreeMap<String, u64>,
    /// Inspections refused during the day, by party.
    pub denied: BTreeMap<String, u64>,
    /// Sites not inspected for more than [`INSPECTION_DUE_DAYS`] days at the day's end, by party.
    pub overdue: BTreeMap<String, u64>,
    pub missing_compared: Compared,
    /// The day's inspections one by one.
    pub inspections: Vec<InspectionLine>,
    /// Weapons seen during the day in violation of a withdrawal line whose serial is declared
    /// at a storage site.
    pub traced: Vec<TracedWeapon>,
    /// Every declared site at the day's end, for the map: where, whose, and what the day's
    /// inspections of it found missing.
    pub sites: Vec<SiteMark>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteMark {
    pub name: String,
    pub party: String,
    pub location: [f64; 2],
    pub declared: usize,
    pub missing_today: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectionLine {
    pub site: String,
    pub party: Option<String>,
    pub access: String,
    pub declared: usize,
    pub present: usize,
    pub missing: Vec<String>,
    pub not_verified: usize,
    pub undeclared: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TracedWeapon {
    /// The incident's number in this report.
    pub incident: usize,
    pub serial: String,
    pub site: String,
    pub party: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Movement {
    pub restrictions: u64,
    pub by_kind: BTreeMap<String, u64>,
    /// By the party responsible where it was known; `unknown` otherwise.
    pub by_party: BTreeMap<String, u64>,
    pub minutes_lost: f64,
    pub compared: Compared,
    pub items: Vec<RestrictionLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestrictionLine {
    pub time: String,
    pub kind: String,
    pub party: Option<String>,
    pub place: String,
    pub location: [f64; 2],
    pub duration_min: Option<f64>,
    /// Restricted edition only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patrol: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Default, PartialEq)]
pub struct People {
    pub killed: u64,
    pub injured: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Casualties {
    pub killed: u64,
    pub injured: u64,
    pub by_status: BTreeMap<String, People>,
    pub by_cause: BTreeMap<String, People>,
    pub killed_compared: Compared,
    pub injured_compared: Compared,
    /// Restricted edition only: each record, with the incident it is linked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<HarmLine>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HarmLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub time: String,
    pub what: String,
    pub cause: Option<String>,
    pub status: Option<String>,
    pub killed: u64,
    pub injured: u64,
    pub place: String,
    pub location: [f64; 2],
    /// The incident's number in this report, when the link names one of the day's incidents.
    pub incident: Option<usize>,
    pub link: Link,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Damage {
    pub total: u64,
    pub by_object: BTreeMap<String, u64>,
    pub compared: Compared,
    pub items: Vec<HarmLine>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Hazards {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
    /// Of `total`, those in the buffer zone or a disengagement area: violations of the
    /// agreement's zone rules.
    pub in_zones: u64,
    pub compared: Compared,
    pub items: Vec<HazardLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HazardLine {
    pub time: String,
    pub hazard: String,
    pub marked: bool,
    pub place: String,
    pub location: [f64; 2],
    /// The area in km², for a mined area.
    pub area_km2: Option<f64>,
    /// The zones it lies in whose rule it breaks.
    pub violates: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Windows {
    /// Windows in force at some time of the day.
    pub agreed: u64,
    /// Incidents of fire inside a window's area and time.
    pub violations: u64,
    pub compared: Compared,
    pub items: Vec<WindowLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowLine {
    pub purpose: String,
    pub from: String,
    pub to: String,
    pub place: String,
    pub location: [f64; 2],
    pub area_km2: f64,
    /// The numbers in this report of the incidents of fire inside it.
    pub incidents: Vec<usize>,
}

/// The agreement's party and weapon ids, which records and observations may name.
pub fn vocabulary(agreement: &Agreement) -> Vocabulary {
    Vocabulary::new(
        agreement.parties.iter().map(|p| p.id.clone()),
        agreement.weapon_classes.iter().map(|w| w.id.clone()),
    )
}

/// Records of `types` kept with a time in `[from_ms, to_ms)`, read and checked again (a
/// stored body that no longer reads under the agreement in force is left out and counted).
pub fn read_records(
    store: &dyn Store,
    vocab: &Vocabulary,
    types: &[RecordType],
    from_ms: Option<i64>,
    to_ms: Option<i64>,
) -> Result<(Vec<Record>, usize), ReportError> {
    let stored = store.mission_records(&MissionQuery {
        kinds: types.iter().map(|t| t.as_str().to_string()).collect(),
        from_ms,
        to_ms,
        account: None,
        after: None,
        limit: usize::MAX,
    })?;
    let mut unread = 0;
    let mut out: Vec<Record> = stored
        .iter()
        .filter_map(|s| {
            truceline_records::parse(&s.body, vocab)
                .inspect_err(|_| unread += 1)
                .ok()
        })
        .collect();
    out.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    Ok((out, unread))
}

/// Whether a point is in a zone whose rule a hazard breaks (the buffer zone, a disengagement
/// area): the zones' ids.
fn zones_broken(engine: &ZoneEngine, a: &Agreement, p: LonLat) -> Vec<String> {
    let c = engine.classify(p.lon, p.lat);
    c.zones
        .iter()
        .filter_map(|i| {
            let info = &engine.zones()[i];
            match info.source {
                ZoneSource::Zone(j) if a.zones[j].rule == ZoneRule::NoArmedPresence => {
                    Some(info.id.clone())
                }
                _ => None,
            }
        })
        .collect()
}

/// What one day's records add up to, for comparison with the days before.
#[derive(Debug, Clone, Copy, Default)]
struct DayTotals {
    restrictions: f64,
    killed: f64,
    injured: f64,
    damage: f64,
    hazards: f64,
    missing: f64,
    window_violations: f64,
}

fn compare(today: f64, before: &[DayTotals], f: impl Fn(&DayTotals) -> f64) -> Compared {
    Compared {
        today,
        previous_day: before.first().map_or(0.0, &f),
        seven_day_mean: (before.iter().map(&f).sum::<f64>() / 7.0 * 10.0).round() / 10.0,
    }
}

/// Fire incidents (time, kind, place where known) inside a window's area and time, as
/// `(window index, incident index)`. An incident without a place (only its observer's position)
/// is in none.
fn in_windows(
    windows: &[&Record],
    incidents: &[(i64, Kind, Option<LonLat>)],
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (w, r) in windows.iter().enumerate() {
        for (k, (t, kind, at)) in incidents.iter().enumerate() {
            let Some(at) = at else {
                continue;
            };
            let Ok(time) = jiff::Timestamp::from_millisecond(*t) else {
                continue;
            };
            if window::broken(std::slice::from_ref(*r), *kind, time, *at)
                .next()
                .is_some()
            {
                out.push((w, k));
            }
        }
    }
    out
}

/// Builds the records sections of `day`; `incidents` are the day's incidents in report order
/// (number `k + 1`), `points` the incidents of the seven days before (for the comparisons).
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    store: &dyn Store,
    ctx: &Context,
    day: &MissionDay,
    week: &[MissionDay],
    incidents: &[IncidentRecord],
    earlier: &[truceline_store::IncidentPoint],
    serials: &BTreeMap<String, Vec<String>>,
    audience: Audience,
) -> Result<(RecordsSection, Vec<crate::content::Note>), ReportError> {
    let vocab = vocabulary(&ctx.agreement);
    let public = audience == Audience::Public;
    let mut notes = Vec::new();
    let place = |p: LonLat| -> (String, [f64; 2]) {
        let (lon, lat) = if public {
            let c = truceline_incident::public_location(
                truceline_incident::LonLat {
                    lon: p.lon,
                    lat: p.lat,
                },
                None,
            )
            .0;
            (c.lon, c.lat)
        } else {
            (p.lon, p.lat)
        };
        (ctx.gazetteer.describe(lon, lat), [lon, lat])
    };
    let first = week.last().map_or(day.from_ms(), |d| d.from_ms());
    // Declarations and inspections from the start (sites are few); the rest for eight days.
    let (sites_inspections, u1) = read_records(
        store,
        &vocab,
        &[RecordType::Site, RecordType::Inspection],
        None,
        Some(day.to_ms()),
    )?;
    let (others, u2) = read_records(
        store,
        &vocab,
        &[
            RecordType::Restriction,
            RecordType::Casualty,
            RecordType::Damage,
            RecordType::Hazard,
        ],
        Some(first),
        Some(day.to_ms()),
    )?;
    // A window agreed before the week may still be in force: read them all up to the day's end.
    let (windows, u3) = read_records(
        store,
        &vocab,
        &[RecordType::Window],
        None,
        Some(day.to_ms()),
    )?;
    if u1 + u2 + u3 > 0 {
        notes.push(crate::content::Note::UnreadRecords(u1 + u2 + u3));
    }

    // Storage sites, replayed in time order; each day's findings kept for the comparison.
    let mut sites = Sites::default();
    let mut storage = Storage::default();
    let mut missing_by_day = [0.0; 8];
    let day_index = |t_ms: i64| -> Option<usize> {
        if t_ms >= day.from_ms() && t_ms < day.to_ms() {
            return Some(0);
        }
        week.iter()
            .position(|d| t_ms >= d.from_ms() && t_ms < d.to_ms())
            .map(|k| k + 1)
    };
    for r in &sites_inspections {
        let Some(f) = sites.apply(r) else {
            continue;
        };
        let Some(k) = day_index(r.time.as_millisecond()) else {
            continue;
        };
        missing_by_day[k] += f.missing.len() as f64;
        if k != 0 {
            continue;
        }
        let party = f.party.clone().unwrap_or_else(|| "unknown".into());
        *storage.inspected.entry(party.clone()).or_default() += 1;
        *storage.missing.entry(party.clone()).or_default() += f.missing.len() as u64;
        if f.access == truceline_records::Access::Denied {
            *storage.denied.entry(party).or_default() += 1;
        }
        storage.inspections.push(InspectionLine {
            site: f.site,
            party: f.party,
            access: f.access.as_str().into(),
            declared: f.declared,
            present: f.present,
            missing: f.missing,
            not_verified: f.not_verified.len(),
            undeclared: f.undeclared,
        });
    }
    let end = day.to - jiff::SignedDuration::from_millis(1);
    storage.declared = sites.declared_by_party(end);
    storage.sites = sites
        .sites_at(end)
        .into_iter()
        .map(|d| SiteMark {
            name: d.name.clone(),
            party: d.party.clone(),
            location: place(d.location).1,
            declared: d.declared.len(),
            missing_today: storage
                .inspections
                .iter()
                .filter(|i| i.site == d.name)
                .map(|i| i.missing.len())
                .sum(),
        })
        .collect();
    for (_, party, _) in sites.overdue(day.to, INSPECTION_DUE_DAYS) {
        *storage.overdue.entry(party).or_default() += 1;
    }
    for (k, inc) in incidents.iter().enumerate() {
        let withdrawal = inc.violations.iter().any(|v| v.rule == "withdrawal");
        if !withdrawal {
            continue;
        }
        for serial in serials.get(&inc.id).into_iter().flatten() {
            if let Some((site, party)) = sites.site_of_serial(serial, inc.time) {
                storage.traced.push(TracedWeapon {
                    incident: k + 1,
                    serial: serial.clone(),
                    site: site.to_string(),
                    party: party.to_string(),
                });
            }
        }
    }

    // The day's incidents by id, for links; the week's as points, for window comparisons.
    let number: std::collections::HashMap<&str, usize> = incidents
        .iter()
        .enumerate()
        .map(|(k, i)| (i.id.as_str(), k + 1))
        .collect();
    let mut totals = vec![DayTotals::default(); 8];
    for (k, m) in missing_by_day.iter().enumerate() {
        totals[k].missing = *m;
    }
    let engine = ZoneEngine::new(&ctx.agreement).ok();
    let mut movement = Movement::default();
    let mut casualties = Casualties::default();
    let mut casualty_items = Vec::new();
    let mut damage = Damage::default();
    let mut hazards = Hazards::default();
    for r in &others {
        let Some(k) = day_index(r.time.as_millisecond()) else {
            continue;
        };
        let t = &mut totals[k];
        let today = k == 0;
        let harm_line = |what: &str, cause, status, killed, injured, at: LonLat, l: Link| {
            let (place, location) = place(at);
            let incident = l.incident.as_deref().and_then(|i| number.get(i).copied());
            HarmLine {
                id: (!public).then(|| r.id.clone()),
                time: r.time.to_string(),
                what: what.to_string(),
                cause,
                status,
                killed,
                injured,
                place,
                location,
                incident,
                // Outside the mission an incident is cited by its number, not its id.
                link: if public {
                    Link {
                        incident: incident.map(|n| format!("#{n}")),
                        ..l
                    }
                } else {
                    l
                },
            }
        };
        let harm_link = |r: &Record| -> Option<Link> { Some(link::link(&Harm::of(r)?, incidents)) };
        match &r.body {
            Body::Restriction {
                kind,
                location,
                party,
                duration_min,
                patrol,
            } => {
                t.restrictions += 1.0;
                if !today {
                    continue;
                }
                movement.restrictions += 1;
                *movement.by_kind.entry(kind.as_str().into()).or_default() += 1;
                *movement
                    .by_party
                    .entry(party.clone().unwrap_or_else(|| "unknown".into()))
                    .or_default() += 1;
                movement.minutes_lost += duration_min.unwrap_or(0.0);
                let (place, location) = place(*location);
                movement.items.push(RestrictionLine {
                    time: r.time.to_string(),
                    kind: kind.as_str().into(),
                    party: party.clone(),
                    place,
                    location,
                    duration_min: *duration_min,
                    patrol: if public { None } else { patrol.clone() },
                });
            }
            Body::Casualty {
                location,
                killed,
                injured,
                cause,
                status,
                ..
            } => {
                t.killed += *killed as f64;
                t.injured += *injured as f64;
                if !today {
                    continue;
                }
                casualties.killed += killed;
                casualties.injured += injured;
                for (map, key) in [
                    (&mut casualties.by_status, status.as_str()),
                    (&mut casualties.by_cause, cause.as_str()),
                ] {
                    let e = map.entry(key.to_string()).or_default();
                    e.killed += killed;
                    e.injured += injured;
                }
                if !public {
                    let l = harm_link(r).expect("a casualty is a harm");
                    casualty_items.push(harm_line(
                        "casualty",
                        Some(cause.as_str().to_string()),
                        Some(status.as_str().to_string()),
                        *killed,
                        *injured,
                        *location,
                        l,
                    ));
                }
            }
            Body::Damage {
                location,
                object,
                cause,
                ..
            } => {
                t.damage += 1.0;
                if !today {
                    continue;
                }
                damage.total += 1;
                *damage.by_object.entry(object.as_str().into()).or_default() += 1;
                let l = harm_link(r).expect("damage is a harm");
                damage.items.push(harm_line(
                    object.as_str(),
                    cause.map(|c| c.as_str().to_string()),
                    None,
                    0,
                    0,
                    *location,
                    l,
                ));
            }
            Body::Hazard {
                location,
                area: hazard_area,
                hazard,
                marked,
            } => {
                t.hazards += 1.0;
                if !today {
                    continue;
                }
                hazards.total += 1;
                *hazards.by_kind.entry(hazard.as_str().into()).or_default() += 1;
                let probes: Vec<LonLat> = match (location, hazard_area) {
                    (_, Some(a)) => area::probe_points(a),
                    (Some(l), None) => vec![*l],
                    (None, None) => Vec::new(),
                };
                let mut violates: Vec<String> = engine
                    .as_ref()
                    .map(|e| {
                        probes
                            .iter()
                            .flat_map(|p| zones_broken(e, &ctx.agreement, *p))
                            .collect()
                    })
                    .unwrap_or_default();
                violates.sort();
                violates.dedup();
                if !violates.is_empty() {
                    hazards.in_zones += 1;
                }
                let at = r.position().expect("a hazard has a place");
                let (place, location) = place(at);
                hazards.items.push(HazardLine {
                    time: r.time.to_string(),
                    hazard: hazard.as_str().into(),
                    marked: *marked,
                    place,
                    location,
                    area_km2: hazard_area
                        .as_ref()
                        .map(|a| (area::area_m2(a) / 1e4).round() / 100.0),
                    violates,
                });
            }
            _ => {}
        }
    }
    if !public {
        casualties.items = Some(casualty_items);
    }

    // Local ceasefire windows: fire inside one's area and time. Only fire whose place is known:
    // an incident placed at its observer's position was heard from there, not fired there.
    let mut windows_section = Windows::default();
    let in_force = |r: &Record, from_ms: i64, to_ms: i64| match &r.body {
        Body::Window { from, to, .. } => {
            from.as_millisecond() < to_ms && to.as_millisecond() > from_ms
        }
        _ => false,
    };
    let today_windows: Vec<&Record> = windows
        .iter()
        .filter(|r| in_force(r, day.from_ms(), day.to_ms()))
        .collect();
    let today_fire: Vec<(i64, Kind, Option<LonLat>)> = incidents
        .iter()
        .map(|i| {
            let at = i.is_placed().then_some(LonLat {
                lon: i.location.lon,
                lat: i.location.lat,
            });
            (i.time_ms(), i.kind, at)
        })
        .collect();
    let hits = in_windows(&today_windows, &today_fire);
    windows_section.agreed = today_windows.len() as u64;
    let mut hit_incidents: Vec<usize> = hits.iter().map(|(_, k)| *k).collect();
    hit_incidents.sort_unstable();
    hit_incidents.dedup();
    windows_section.violations = hit_incidents.len() as u64;
    for (w, r) in today_windows.iter().enumerate() {
        let Body::Window {
            from,
            to,
            area: a,
            purpose,
        } = &r.body
        else {
            continue;
        };
        let (place, location) = place(area::centroid(a));
        windows_section.items.push(WindowLine {
            purpose: purpose.clone(),
            from: from.to_string(),
            to: to.to_string(),
            place,
            location,
            area_km2: (area::area_m2(a) / 1e4).round() / 100.0,
            incidents: hits
                .iter()
                .filter(|(x, _)| *x == w)
                .map(|(_, k)| k + 1)
                .collect(),
        });
    }
    for (k, d) in week.iter().enumerate() {
        let ws: Vec<&Record> = windows
            .iter()
            .filter(|r| in_force(r, d.from_ms(), d.to_ms()))
            .collect();
        let fire: Vec<(i64, Kind, Option<LonLat>)> = earlier
            .iter()
            .filter(|p| p.time_ms >= d.from_ms() && p.time_ms < d.to_ms())
            .filter_map(|p| {
                Some((
                    p.time_ms,
                    Kind::from_name(&p.kind)?,
                    p.placed.then_some(LonLat {
                        lon: p.lon,
                        lat: p.lat,
                    }),
                ))
            })
            .collect();
        let mut hit: Vec<usize> = in_windows(&ws, &fire).into_iter().map(|x| x.1).collect();
        hit.sort_unstable();
        hit.dedup();
        totals[k + 1].window_violations = hit.len() as f64;
    }

    let (now, before) = (totals[0], &totals[1..]);
    storage.missing_compared = compare(now.missing, before, |t| t.missing);
    movement.compared = compare(now.restrictions, before, |t| t.restrictions);
    casualties.killed_compared = compare(now.killed, before, |t| t.killed);
    casualties.injured_compared = compare(now.injured, before, |t| t.injured);
    damage.compared = compare(now.damage, before, |t| t.damage);
    hazards.compared = compare(now.hazards, before, |t| t.hazards);
    windows_section.compared = compare(windows_section.violations as f64, before, |t| {
        t.window_violations
    });
    Ok((
        RecordsSection {
            storage,
            movement,
            casualties,
            damage,
            hazards,
            windows: windows_section,
        },
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use truceline_records::Area;

    /// Fire heard inside a window's area but placed only at the monitor who heard it was heard
    /// there, not fired there: it breaks no window; the same fire located there does.
    #[test]
    fn fire_placed_only_at_its_observer_breaks_no_window() {
        let t = |s: &str| -> jiff::Timestamp { s.parse().unwrap() };
        let w = Record {
            id: "w1".into(),
            time: t("2026-11-24T06:00:00Z"),
            observer: None,
            notes: None,
            signature: None,
            canonical: Vec::new(),
            body: Body::Window {
                from: t("2026-11-24T08:00:00Z"),
                to: t("2026-11-24T16:00:00Z"),
                purpose: "water main".into(),
                area: Area::ring(&[(37.7, 48.0), (37.9, 48.0), (37.9, 48.2), (37.7, 48.2)]),
            },
        };
        let at = LonLat {
            lon: 37.8,
            lat: 48.1,
        };
        let ms = t("2026-11-24T09:00:00Z").as_millisecond();
        let fire = [(ms, Kind::Explosion, None), (ms, Kind::Explosion, Some(at))];
        assert_eq!(in_windows(&[&w], &fire), vec![(0, 1)]);
    }
}
