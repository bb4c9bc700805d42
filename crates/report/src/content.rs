//! What a daily report says, gathered from the store: the model every format is written from.

use std::collections::BTreeMap;

use serde::Serialize;
use truceline_agreement::Agreement;
use truceline_incident::review::Review;
use truceline_store::{IncidentPoint, IncidentRecord, Store, Tally};

use crate::coverage::{self, Coverage};
use crate::lang::{Lang, fill};
use crate::{Audience, Context, MissionDay, ReportError};

pub use truceline_incident::{PUBLIC_GRID_DEG, PUBLIC_MIN_AXIS_M};

/// The row of `by_area` for incidents located outside both parties' areas.
pub const OUTSIDE_BOTH_AREAS: &str = "outside both areas";

/// The row of `by_area` for incidents placed only at the position of the monitor who reported
/// them: where they were is not known well enough to name an area.
pub const NOT_LOCATED: &str = "not located";

/// The row of `by_region` for incidents in none of the mapped regions.
pub const OUTSIDE_REGIONS: &str = "outside the mapped regions";

/// The whole report, in the order every format presents it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub mission_day: DayInfo,
    pub agreement: AgreementInfo,
    pub audience: Audience,
    pub built_from: BuiltFrom,
    pub summary: Summary,
    pub coverage: CoverageInfo,
    pub by_region: Vec<Row>,
    /// By the area of the party that controls the place; [`OUTSIDE_BOTH_AREAS`] and
    /// [`NOT_LOCATED`] (placed only at the position of the monitor who reported it) apart.
    pub by_area: Vec<Row>,
    pub by_kind: Vec<KindRow>,
    pub weapons: Vec<WeaponRow>,
    pub attribution: Attribution,
    pub daily: Vec<DayBars>,
    pub incidents: Vec<IncidentLine>,
    /// The right of reply: the day's incidents a party has answered, and those attributed to a
    /// party that gave no answer by the deadline.
    pub replies: Vec<ReplyRow>,
    /// Attributed violations whose reply deadline has not passed yet, with no reply so far.
    pub replies_awaited: u64,
    /// The mission's other records (SPEC 6): storage sites, freedom of movement, casualties,
    /// damage, hazards, local ceasefire windows.
    pub records: crate::records::RecordsSection,
    /// At sea (SPEC 8): what the AIS picture found during the day; the restricted edition only,
    /// filled by the service that holds the tracks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sea: Option<crate::sea::SeaSection>,
    pub notes: Vec<Note>,
}

/// A note at the end of the report, said in the reader's language by [`Note::text`]; in
/// English where the report is data (JSON), so that its readers compare one text.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The agreement is an approximation for demonstration.
    Illustrative { agreement: String },
    /// Observations arrived after fusion last ran.
    PartlyFused { fused: u64, stored: u64 },
    /// Records no longer read under the agreement in force.
    UnreadRecords(usize),
    /// What a violation and an event are.
    Violation,
    /// How coverage is counted.
    Coverage,
    /// Where the regions come from; borders as internationally recognised.
    Regions,
    /// The day's incidents the analysts rejected as false alarms.
    Rejected(usize),
    /// What the public edition leaves out and how it can be checked.
    PublicEdition,
}

impl Note {
    pub fn text(&self, lang: Lang) -> String {
        let w = lang.words();
        match self {
            Note::Illustrative { agreement } => fill(w.note_illustrative, &[agreement]),
            Note::PartlyFused { fused, stored } => fill(w.note_partly_fused, &[fused, stored]),
            Note::UnreadRecords(n) => fill(w.note_unread_records, &[n]),
            Note::Violation => w.note_violation.to_string(),
            Note::Coverage => w.note_coverage.to_string(),
            Note::Regions => w.note_regions.to_string(),
            Note::Rejected(n) => fill(w.note_rejected, &[n]),
            Note::PublicEdition => fill(w.note_public, &[&PUBLIC_GRID_DEG, &PUBLIC_MIN_AXIS_M]),
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One incident's place in the right of reply.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyRow {
    /// The incident's number in this report.
    pub number: usize,
    pub party: String,
    pub deadline: String,
    /// What the party said, oldest first; empty when it said nothing by the deadline.
    pub replies: Vec<ReplyText>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplyText {
    pub time: String,
    pub text: String,
    pub log_index: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayInfo {
    pub date: String,
    pub from: String,
    pub to: String,
    pub timezone: String,
    pub day_ends: String,
    /// Set while the day is in progress: the time the report was made as of. Counts and
    /// coverage are for the hours up to then, not a whole day.
    pub in_progress_as_of: Option<String>,
    /// The hours the figures cover.
    pub hours_covered: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgreementInfo {
    pub id: String,
    pub title: String,
    pub illustrative: bool,
    pub parties: Vec<(String, String)>,
}

/// The evidence the report rests on.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltFrom {
    /// The latest signed checkpoint when the report was built: anyone can check each cited
    /// leaf against it.
    pub log_size: u64,
    pub root_hash: String,
    pub checkpoint: Option<String>,
    /// The witnesses whose cosignature lines that checkpoint carries (as the stored note says;
    /// the log kept only those that verified with a witness key it knows).
    pub cosigned_by: Vec<String>,
    pub observations: u64,
    /// Observations the stored incidents were fused from (all of them, unless fusion is behind).
    pub fused_observations: u64,
}

/// Ceasefire violations: incidents breaking at least one rule, and the events they stand for.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    /// Incidents counted: those the analysts rejected as false alarms are not.
    pub incidents: u64,
    /// Incidents of the day the analysts rejected as false alarms: listed, counted in no figure.
    pub rejected: u64,
    pub violations: u64,
    /// Of `violations`, those resting on one observation alone: nobody else corroborated them,
    /// and a lone report may be a false alarm (fusion cannot tell the two apart).
    pub single_observation: u64,
    pub violation_events: u64,
    pub previous_day: u64,
    pub seven_day_mean: f64,
    /// `violation_events` at full coverage of the line.
    pub adjusted_for_coverage: Option<f64>,
    pub previous_day_adjusted: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageInfo {
    #[serde(flatten)]
    pub today: Coverage,
    pub previous_day_line_share: f64,
}

/// Violation events in an area, against the previous day and the 7-day mean.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub name: String,
    pub violations: u64,
    pub events: u64,
    pub previous_day: u64,
    pub seven_day_mean: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KindRow {
    pub kind: String,
    pub subtype: Option<String>,
    pub incidents: u64,
    pub events: u64,
    pub violation_events: u64,
    pub previous_day: u64,
    pub seven_day_mean: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeaponRow {
    pub weapon: String,
    pub name: String,
    pub party: Option<String>,
    pub incidents: u64,
    pub weapons: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Attribution {
    pub attributed: u64,
    pub unattributed: u64,
    /// Party id → violations attributed to it.
    pub by_party: BTreeMap<String, u64>,
    /// Stated basis → violations, most first.
    pub bases: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayBars {
    pub date: String,
    /// Kind → violation events.
    pub by_kind: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentLine {
    pub number: usize,
    /// Restricted reports only: the incident's id (it names observers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub time: String,
    pub kind: String,
    pub subtype: Option<String>,
    pub count: u64,
    pub weapon: Option<String>,
    pub place: String,
    pub region: Option<String>,
    pub control: Option<String>,
    pub location: [f64; 2],
    pub error_ellipse_m: Option<[f64; 3]>,
    pub attribution: Option<String>,
    pub confidence: f64,
    pub basis: String,
    pub violations: Vec<String>,
    /// The log indices of its observations: each can be proved against `built_from`.
    pub log_indices: Vec<u64>,
    /// Where its evidence document is served (SPEC 4.2), set by the service that knows how
    /// the incident is named to this edition's readers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The incident's id, for the service alone: never written in any edition (it names
    /// observers; `id` is the restricted edition's).
    #[serde(skip)]
    pub incident: String,
    /// Restricted reports only: the observations' ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<Vec<String>>,
    /// What the analysts decided: `unreviewed`, `confirmed`, `rejected` (a false alarm) or
    /// `attributed` (then `attribution` is theirs and `basis` their stated one).
    pub review: String,
}

/// Tallies of points (incidents) by a key, for one day.
fn points_by<K: Ord>(
    points: &[IncidentPoint],
    key: impl Fn(&IncidentPoint) -> K,
) -> BTreeMap<K, (u64, u64)> {
    let mut m = BTreeMap::new();
    for p in points.iter().filter(|p| p.violations > 0) {
        let e = m.entry(key(p)).or_insert((0, 0));
        e.0 += 1;
        e.1 += p.count as u64;
    }
    m
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub(crate) fn build(
    store: &dyn Store,
    ctx: &Context,
    day: &MissionDay,
    audience: Audience,
) -> Result<Report, ReportError> {
    let a = &ctx.agreement;
    let party_name = |id: &str| {
        a.parties
            .iter()
            .find(|p| p.id == id)
            .map_or(id.to_string(), |p| p.name.clone())
    };
    // The days compared: this one, the one before, and the seven before that one's end; the
    // chart shows thirty.
    let week: Vec<MissionDay> = (1..=7).map(|k| day.shifted(-k)).collect::<Result<_, _>>()?;
    let month: Vec<MissionDay> = (0..30).map(|k| day.shifted(-k)).collect::<Result<_, _>>()?;
    let (samples, line_km) = coverage::sample_line(&a.line_of_contact.geometry, 1000.0);
    // What the analysts decided. An incident they rejected as a false alarm (their latest
    // decision on it) is listed with that decision and counted in no figure, on this day or on
    // the days it is compared with.
    let reviews = reviews_of(store)?;
    let rejected = rejected_between(store, &reviews, month[29].from_ms(), day.to_ms())?;
    let is_rejected = |id: &str| reviews.get(id).is_some_and(|r| r.status() == "rejected");
    // The store's reads are independent of one another: they run side by side, each on a
    // reader connection of its own (most of the report's time is in them).
    let (points, (tallies, (covers, rows))) = {
        use rayon::prelude::*;
        let cover = |d: &MissionDay| -> Result<Coverage, ReportError> {
            let hours = d.covered_hours().ceil().max(1.0) as usize;
            let active = store.observer_hours(d.from_ms(), d.to_ms())?;
            Ok(coverage::coverage(&samples, line_km, hours, &active))
        };
        rayon::join(
            || store.incident_points(week[6].from_ms(), day.to_ms()),
            || {
                rayon::join(
                    || {
                        month
                            .par_iter()
                            .map(|d| store.incident_tallies(d.from_ms(), d.to_ms()))
                            .collect::<Result<Vec<Vec<Tally>>, _>>()
                    },
                    || {
                        rayon::join(
                            || -> Result<_, ReportError> { Ok((cover(day)?, cover(&week[0])?)) },
                            || store.incidents_between(day.from_ms(), day.to_ms()),
                        )
                    },
                )
            },
        )
    };
    let (cov_today, cov_before) = covers?;
    let mut tallies = tallies?;
    for p in &rejected {
        if let Some(d) = month
            .iter()
            .position(|m| (m.from_ms()..m.to_ms()).contains(&p.time_ms))
        {
            take_out(&mut tallies[d], p);
        }
    }
    let (today, earlier) = {
        let mut all = points?;
        for p in &rejected {
            // In time order: only points of the same time can be the same.
            let at = all.partition_point(|q| q.time_ms < p.time_ms);
            if let Some(k) = all[at..]
                .iter()
                .take_while(|q| q.time_ms == p.time_ms)
                .position(|q| q == p)
            {
                all.remove(at + k);
            }
        }
        let split = all.partition_point(|p| p.time_ms < day.from_ms());
        let (before, now) = all.split_at(split);
        (now.to_vec(), before.to_vec())
    };
    let days_before: Vec<&[IncidentPoint]> = week
        .iter()
        .map(|d| {
            let lo = earlier.partition_point(|p| p.time_ms < d.from_ms());
            let hi = earlier.partition_point(|p| p.time_ms < d.to_ms());
            &earlier[lo..hi]
        })
        .collect();
    let region_of = |p: &IncidentPoint| {
        ctx.regions
            .region_of(p.lon, p.lat)
            .map_or(OUTSIDE_REGIONS.to_string(), |r| r.name.clone())
    };
    // An incident placed only at its observer's position is in no party's area: the
    // observer's is not the incident's.
    let area_of = |p: &IncidentPoint| match (p.placed, p.control.as_deref()) {
        (false, _) => NOT_LOCATED.to_string(),
        (true, Some(party)) => party_name(party),
        (true, None) => OUTSIDE_BOTH_AREAS.to_string(),
    };
    let compare = |key: &dyn Fn(&IncidentPoint) -> String| -> Vec<Row> {
        let now = points_by(&today, key);
        let before: Vec<BTreeMap<String, (u64, u64)>> =
            days_before.iter().map(|d| points_by(d, key)).collect();
        let mut names: Vec<String> = now.keys().cloned().collect();
        for b in &before {
            names.extend(b.keys().cloned());
        }
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let (violations, events) = now.get(&name).copied().unwrap_or_default();
                let past = |b: &BTreeMap<String, (u64, u64)>| b.get(&name).map_or(0, |x| x.1);
                Row {
                    violations,
                    events,
                    previous_day: past(&before[0]),
                    seven_day_mean: round1(before.iter().map(past).sum::<u64>() as f64 / 7.0),
                    name,
                }
            })
            .collect()
    };
    let by_region = compare(&region_of);
    let by_area = compare(&area_of);

    // By kind, from the store's tallies of this day, the day before and the seven before.
    let now_t = tallies[0].clone();
    let before_t: Vec<Vec<Tally>> = tallies[1..=7].to_vec();
    let mut kinds: Vec<(String, Option<String>)> = now_t
        .iter()
        .chain(before_t.iter().flatten())
        .map(|t| (t.kind.clone(), t.subtype.clone()))
        .collect();
    kinds.sort();
    kinds.dedup();
    let find = |ts: &[Tally], k: &(String, Option<String>)| {
        ts.iter()
            .find(|t| t.kind == k.0 && t.subtype == k.1)
            .cloned()
            .unwrap_or_default()
    };
    let by_kind: Vec<KindRow> = kinds
        .iter()
        .map(|k| {
            let t = find(&now_t, k);
            KindRow {
                kind: k.0.clone(),
                subtype: k.1.clone(),
                incidents: t.incidents,
                events: t.events,
                violation_events: t.violating_events,
                previous_day: find(&before_t[0], k).violating_events,
                seven_day_mean: round1(
                    before_t
                        .iter()
                        .map(|b| find(b, k).violating_events)
                        .sum::<u64>() as f64
                        / 7.0,
                ),
            }
        })
        .collect();
    let sum_v = |ts: &[Tally]| ts.iter().map(|t| t.violating_events).sum::<u64>();

    // The incidents themselves.
    let rows = rows?;
    let mut incidents = Vec::with_capacity(rows.len());
    let mut weapons: BTreeMap<(String, Option<String>), (u64, u64)> = BTreeMap::new();
    let mut attribution = Attribution::default();
    let mut bases: BTreeMap<String, u64> = BTreeMap::new();
    let parsed: Vec<(IncidentRecord, Vec<u64>)> =
        rows.into_iter().map(|r| (r.record, r.leaves)).collect();
    // Incidents are cited by their number in the report: ids name observers.
    let numbers: std::collections::HashMap<&str, usize> = parsed
        .iter()
        .enumerate()
        .map(|(k, (v, _))| (v.id.as_str(), k + 1))
        .collect();
    // Describing each place is most of the work: spread it over the cores (the order of the
    // result is the input's, so the report is the same).
    let lines: Vec<IncidentLine> = {
        use rayon::prelude::*;
        parsed
            .par_iter()
            .enumerate()
            .map(|(k, (v, leaves))| {
                let mut line = incident_line(v, k + 1, leaves.clone(), audience, ctx);
                line.basis = cite_incidents(&line.basis, &numbers, audience);
                line
            })
            .collect()
    };
    // Serials read on weapons seen in violation of a withdrawal line, to trace to their site.
    let mut serials: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (v, _) in &parsed {
        if v.kind != truceline_incident::Kind::Weapon
            || !v.violations.iter().any(|x| x.rule == "withdrawal")
            || is_rejected(&v.id)
        {
            continue;
        }
        for id in &v.observations {
            let serial = store.get(id)?.and_then(|o| {
                let body: serde_json::Value = serde_json::from_slice(&o.body).ok()?;
                body.get("serial")?.as_str().map(str::to_string)
            });
            if let Some(s) = serial {
                serials.entry(v.id.clone()).or_default().push(s);
            }
        }
    }
    // Harm is linked only with incidents that stand.
    let day_incidents: Vec<IncidentRecord> = parsed
        .iter()
        .filter(|(v, _)| !is_rejected(&v.id))
        .map(|(v, _)| v.clone())
        .collect();
    let (records, record_notes) = crate::records::build(
        store,
        ctx,
        day,
        &week,
        &day_incidents,
        &earlier,
        &serials,
        audience,
    )?;
    let now = jiff::Timestamp::now();
    let mut replies = Vec::new();
    let mut replies_awaited = 0;
    let mut lines = lines;
    for ((v, _), line) in parsed.iter().zip(lines.iter_mut()) {
        let review = reviews.get(v.id.as_str());
        if let Some(r) = review {
            line.review = r.status().to_string();
            if let Some(d) = r.attribution().filter(|_| r.status() == "attributed") {
                line.attribution = d.party.clone();
                line.confidence = 1.0;
                line.basis = format!(
                    "analysts' decision: {}",
                    cite_incidents(d.basis.as_deref().unwrap_or(""), &numbers, audience)
                );
            }
        }
        let Some(party) = Review::reply_party(review, v) else {
            continue;
        };
        if v.violations.is_empty() && review.is_none_or(|r| r.replies.is_empty()) {
            continue;
        }
        let deadline = Review::reply_deadline(review, v, ctx.reply_window);
        let said: Vec<ReplyText> = review
            .map(|r| {
                r.replies
                    .iter()
                    .map(|e| ReplyText {
                        time: e.time.to_string(),
                        text: e.text.clone().unwrap_or_default(),
                        log_index: e.log_index,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if said.is_empty() && now <= deadline {
            replies_awaited += 1;
            continue;
        }
        replies.push(ReplyRow {
            number: line.number,
            party: party.to_string(),
            deadline: deadline.to_string(),
            replies: said,
        });
    }
    let rejected_today = parsed.iter().filter(|(v, _)| is_rejected(&v.id)).count();
    let mut single_observation = 0;
    for ((v, leaves), line) in parsed.iter().zip(lines) {
        if is_rejected(&v.id) {
            incidents.push(line);
            continue;
        }
        let violating = !line.violations.is_empty();
        if violating && leaves.len() == 1 {
            single_observation += 1;
        }
        for viol in &v.violations {
            if viol.rule == "withdrawal" {
                let class = v.weapon.as_deref().unwrap_or("unknown").to_string();
                let e = weapons.entry((class, viol.party.clone())).or_default();
                e.0 += 1;
                e.1 += line.count;
            }
        }
        if violating {
            match &line.attribution {
                Some(p) => {
                    attribution.attributed += 1;
                    *attribution.by_party.entry(p.clone()).or_default() += 1;
                }
                None => attribution.unattributed += 1,
            }
            *bases.entry(basis_kind(&line.basis)).or_default() += 1;
        }
        incidents.push(line);
    }
    let mut bases: Vec<(String, u64)> = bases.into_iter().collect();
    bases.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    attribution.bases = bases;
    let weapons = weapons
        .into_iter()
        .map(|((weapon, party), (incidents, n))| WeaponRow {
            name: a
                .weapon_classes
                .iter()
                .find(|w| w.id == weapon)
                .map_or(weapon.clone(), |w| w.name.clone()),
            weapon,
            party,
            incidents,
            weapons: n,
        })
        .collect();

    // Thirty days of violation events by kind.
    let mut daily = Vec::with_capacity(30);
    for (d, ts) in month.iter().zip(&tallies).rev() {
        let mut by_kind = BTreeMap::new();
        for t in ts {
            *by_kind.entry(t.kind.clone()).or_default() += t.violating_events;
        }
        daily.push(DayBars {
            date: d.date.to_string(),
            by_kind,
        });
    }

    let violation_events = sum_v(&now_t);
    let previous_day = sum_v(&before_t[0]);
    let summary = Summary {
        incidents: (incidents.len() - rejected_today) as u64,
        rejected: rejected_today as u64,
        violations: now_t.iter().map(|t| t.violating_incidents).sum(),
        single_observation,
        violation_events,
        previous_day,
        seven_day_mean: round1(before_t.iter().map(|t| sum_v(t)).sum::<u64>() as f64 / 7.0),
        adjusted_for_coverage: coverage::adjusted(violation_events as f64, cov_today.line_share),
        previous_day_adjusted: coverage::adjusted(previous_day as f64, cov_before.line_share),
    };

    // The latest signed checkpoint, or the log as it stands if none was signed yet.
    let (log_size, root, checkpoint) = match store.latest_checkpoint()? {
        Some((size, note)) => (size, store.log_root(size)?, Some(note)),
        None => {
            let (size, root) = store.log_head();
            (size, root, None)
        }
    };
    let root_hash = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(root)
    };
    let counts = store.counts()?;
    let cosigned_by = checkpoint
        .as_deref()
        .and_then(|n| truceline_log::note::open(n).ok())
        .map(|n| {
            let origin = n.text.split('\n').next().unwrap_or_default().to_string();
            n.signatures
                .into_iter()
                .map(|s| s.name)
                .filter(|name| *name != origin)
                .collect()
        })
        .unwrap_or_default();
    let built_from = BuiltFrom {
        log_size,
        root_hash,
        checkpoint,
        cosigned_by,
        observations: counts.observations,
        fused_observations: store.fused()?.map_or(0, |f| f.observations),
    };
    let mut notes = Vec::new();
    if a.illustrative {
        notes.push(Note::Illustrative {
            agreement: a.title.clone(),
        });
    }
    if built_from.fused_observations < built_from.observations {
        notes.push(Note::PartlyFused {
            fused: built_from.fused_observations,
            stored: built_from.observations,
        });
    }
    notes.extend(record_notes);
    notes.extend([Note::Violation, Note::Coverage, Note::Regions]);
    if rejected_today > 0 {
        notes.push(Note::Rejected(rejected_today));
    }
    if audience == Audience::Public {
        notes.push(Note::PublicEdition);
    }
    Ok(Report {
        title: format!("Daily report for {}", day.date),
        mission_day: DayInfo {
            date: day.date.to_string(),
            from: day.from.to_string(),
            to: day.to.to_string(),
            timezone: day.timezone.clone(),
            day_ends: day.day_ends.strftime("%H:%M").to_string(),
            in_progress_as_of: day.as_of.map(|t| t.to_string()),
            hours_covered: round1(day.covered_hours()),
        },
        agreement: agreement_info(a),
        audience,
        built_from,
        summary,
        coverage: CoverageInfo {
            previous_day_line_share: cov_before.line_share,
            today: cov_today,
        },
        by_region,
        by_area,
        by_kind,
        weapons,
        attribution,
        daily,
        incidents,
        replies,
        replies_awaited,
        records,
        sea: None,
        notes,
    })
}

/// The decisions and replies on incidents, by incident. Both are kept as the analysts and
/// parties make them, a handful a day: all are read.
fn reviews_of(store: &dyn Store) -> Result<std::collections::HashMap<String, Review>, ReportError> {
    let mut kept = Vec::new();
    for kind in ["decision", "reply"] {
        kept.extend(store.records(&truceline_store::RecordQuery {
            kind,
            ..Default::default()
        })?);
    }
    let (reviews, _unread) = Review::gather(
        kept.iter()
            .map(|r| (r.kind.as_str(), r.record.as_slice(), r.log_index)),
    );
    Ok(reviews)
}

/// The incidents with `time` in `[from_ms, to_ms)` whose latest decision rejected them, as the
/// store indexes them (what the day's tallies and points count).
fn rejected_between(
    store: &dyn Store,
    reviews: &std::collections::HashMap<String, Review>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<IncidentPoint>, ReportError> {
    let mut out = Vec::new();
    for (id, review) in reviews {
        if review.status() != "rejected" {
            continue;
        }
        // Gone if fusion has since merged it into another.
        if let Some(row) = store.incident(id)? {
            let p = IncidentPoint::of(&row.record);
            if (from_ms..to_ms).contains(&p.time_ms) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Takes a rejected incident out of its day's tallies; a kind left with none is dropped.
fn take_out(tallies: &mut Vec<Tally>, p: &IncidentPoint) {
    if let Some(t) = tallies
        .iter_mut()
        .find(|t| t.kind == p.kind && t.subtype == p.subtype)
    {
        t.remove(u64::from(p.count), p.violations > 0, p.attributed);
    }
    tallies.retain(|t| t.incidents > 0);
}

/// Replaces incident ids in a stated basis by the incidents' numbers in this report ("#12");
/// in the public edition an id outside the day becomes "an incident of another day".
fn cite_incidents(
    basis: &str,
    numbers: &std::collections::HashMap<&str, usize>,
    audience: Audience,
) -> String {
    basis
        .split(' ')
        .map(|w| {
            let id = w.trim_end_matches([',', ';', ':', '.']);
            let tail = &w[id.len()..];
            match numbers.get(id) {
                Some(n) => format!("#{n}{tail}"),
                None if audience == Audience::Public && id.starts_with("inc-") => {
                    format!("an incident of another day{tail}")
                }
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The kind of a stated basis, for tallies: its words before the first figure or citation
/// ("linked to outgoing fire"), whichever way the citation is written (`#12`, an incident id of
/// another day, or "an incident of another day").
pub(crate) fn basis_kind(basis: &str) -> String {
    let cut = basis
        .find(|c: char| c.is_ascii_digit() || c == '#')
        .unwrap_or(basis.len());
    let head = basis[..cut].trim_end_matches([' ', ',', ';', ':', '(']);
    // A trailing connective left by the cut ("located", "at") says nothing on its own.
    let mut words: Vec<&str> = head.split(' ').collect();
    while words.len() > 1
        && (matches!(
            words.last().unwrap().trim_start_matches('('),
            "located" | "at" | "of" | "from" | "most" | "not" | ""
        ) || words.last().unwrap().starts_with("inc-"))
    {
        words.pop();
    }
    let head = words.join(" ");
    let head = head.trim_end_matches([' ', ',', ';', ':', '(']);
    // The public edition's citation of an incident of another day is not part of the kind.
    head.strip_suffix(" an incident of another day")
        .unwrap_or(head)
        .to_string()
}

fn agreement_info(a: &Agreement) -> AgreementInfo {
    AgreementInfo {
        id: a.id.clone(),
        title: a.title.clone(),
        illustrative: a.illustrative,
        parties: a
            .parties
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect(),
    }
}

fn incident_line(
    v: &IncidentRecord,
    number: usize,
    leaves: Vec<u64>,
    audience: Audience,
    ctx: &Context,
) -> IncidentLine {
    let restricted = audience == Audience::Restricted;
    let (mut lon, mut lat) = (v.location.lon, v.location.lat);
    let mut ellipse = v.error_ellipse_m.map(|e| [e.major, e.minor, e.azimuth_deg]);
    if !restricted {
        let (at, e) = v.public_place();
        (lon, lat) = (at.lon, at.lat);
        ellipse = Some([e.major, e.minor, e.azimuth_deg]);
    }
    let violations = v
        .violations
        .iter()
        .map(|x| match &x.zone {
            Some(z) => format!("{} ({z})", x.rule),
            None => x.rule.clone(),
        })
        .collect();
    let a = &v.attribution;
    IncidentLine {
        number,
        id: restricted.then(|| v.id.clone()),
        time: v.time.to_string(),
        kind: v.kind.as_str().to_string(),
        subtype: v.subtype.map(|s| s.as_str().to_string()),
        count: v.count.into(),
        weapon: v.weapon.clone(),
        place: ctx.gazetteer.describe(lon, lat),
        region: ctx.regions.region_of(lon, lat).map(|r| r.name.clone()),
        control: v.place_control().map(str::to_string),
        location: [lon, lat],
        error_ellipse_m: ellipse,
        attribution: a.party.clone(),
        confidence: a.confidence,
        basis: a.basis.clone(),
        violations,
        log_indices: leaves,
        evidence: None,
        incident: v.id.clone(),
        observations: restricted.then(|| v.observations.clone()),
        review: "unreviewed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_basis_is_tallied_by_its_words_before_any_figure_or_citation() {
        let tail =
            "located 9.9 km away 34 s earlier, a flight time a weapon of the agreement can take";
        for cited in [
            "#12",
            "inc-ac03-20261124T000000-00002",
            "an incident of another day",
        ] {
            assert_eq!(
                basis_kind(&format!("linked to outgoing fire {cited} {tail}")),
                "linked to outgoing fire",
                "{cited}"
            );
        }
        assert_eq!(
            basis_kind(
                "outgoing fire located in the area Ukraine controls (100 % of the location's error distribution)"
            ),
            "outgoing fire located in the area Ukraine controls"
        );
        assert_eq!(
            basis_kind(
                "outgoing fire whose location is too uncertain to place on one side (at most 61 % in one party's area)"
            ),
            "outgoing fire whose location is too uncertain to place on one side"
        );
        assert_eq!(
            basis_kind("origin not established"),
            "origin not established"
        );
    }

    #[test]
    fn notes_are_english_as_data_and_in_the_readers_language_as_text() {
        let n = Note::Rejected(3);
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            serde_json::Value::String(n.text(Lang::En))
        );
        assert!(
            n.to_string()
                .starts_with("3 of the day's incidents were rejected")
        );
        let uk = n.text(Lang::Uk);
        assert!(uk.contains('3') && uk.contains("відхилили"), "{uk}");
        let public = Note::PublicEdition.text(Lang::Ru);
        assert!(
            public.contains(&format!("{PUBLIC_GRID_DEG}°"))
                && public.contains(&format!("{PUBLIC_MIN_AXIS_M} м")),
            "{public}"
        );
    }
}
