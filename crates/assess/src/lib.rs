//! Assessment: each incident judged against the agreement, and attributed to a party only as far
//! as the evidence allows (SPEC 2.4).
//!
//! **Violations.** Fire of any kind after the agreement's `effective_from` breaks the ceasefire.
//! A weapon seen inside its class's withdrawal zone is a withdrawal violation by the party that
//! holds the ground; so is fire whose origin is located inside the withdrawal zone of the weapon
//! class that fired. A weapon or the origin of fire inside a zone with no armed presence (the
//! buffer zone, a disengagement area) breaks that zone's rule. Each violation names the rule, the
//! zone and the party (or none, when the party is not established).
//!
//! **Attribution.** Outgoing fire located in a party's area is that party's, with a confidence
//! equal to the share of the location's error distribution that lies in that area; it is
//! attributed only when that share is at least [`MIN_CONFIDENCE`]. An impact is attributed only
//! when its origin is established: outgoing fire earlier by a flight time that a weapon of the
//! agreement could take over that distance, every such candidate attributed to the same party.
//! A weapon seen from the air is the party's that holds the ground it stands on. A party's
//! allegation never attributes on its own, nor does outgoing fire reported by a single observer
//! and not located directly (a lone report may be a false alarm). Small-arms fire near the line
//! is not attributed: its sound does not tell which side fired. "Unattributed" is an honest
//! answer, and the basis says why in words.

use std::borrow::Cow;

use truceline_agreement::Agreement;
use truceline_fusion::{Basis, Class, Incident};
use truceline_observation::{Observation, Source};
use truceline_zones::{ZoneEngine, ZoneSource};

pub use truceline_incident::IncidentRecord;

/// The least share of the error distribution inside one party's area for an attribution.
pub const MIN_CONFIDENCE: f64 = 0.8;

/// Slowest and fastest mean speeds of a round over its flight, m/s.
const FLIGHT_SPEED: (f64, f64) = (150.0, 1000.0);

// An assessment borrows its parties' and zones' ids from the agreement and the zone engine, and
// most of its bases are fixed sentences: a day's assessments are made without a string of their
// own, and each is copied once, into its record.

#[derive(Debug, Clone, PartialEq)]
pub struct Violation<'a> {
    /// `ceasefire`, `withdrawal` or the zone's rule (`no_armed_presence`).
    pub rule: &'static str,
    pub party: Option<&'a str>,
    /// The zone broken (`withdrawal:<class>`, or an agreement zone's id).
    pub zone: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribution<'a> {
    pub party: Option<&'a str>,
    pub confidence: f64,
    pub basis: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment<'a> {
    /// The party controlling the incident's place.
    pub control: Option<&'a str>,
    pub attribution: Attribution<'a>,
    pub violations: Vec<Violation<'a>>,
}

pub struct Assessor<'a> {
    agreement: &'a Agreement,
    engine: &'a ZoneEngine,
    max_range_m: f64,
    /// Each party's [`located_basis`] at a share of one, the share nearly every located launch
    /// has: written once, not formatted for each (a float's formatting is a few thousand
    /// instructions).
    located_fully: Vec<String>,
}

/// Why a located launch is attributed to the party holding `share` of its error distribution.
fn located_basis(party_name: &str, share: f64) -> String {
    format!(
        "outgoing fire located in the area {} controls ({:.0} % of the location's error distribution)",
        party_name,
        share * 100.0
    )
}

/// A launch an impact may be linked to: its incident and its party's place in the agreement's
/// list (numbers, not ids, compared for each of the dozens of launches a busy hour offers an
/// impact: a comparison of ids was a library call, 1 % of fusion and judgement on a day of ripples).
struct Candidate {
    index: usize,
    party: usize,
}

/// Quantiles of the standard normal at (k + 0.5) / 9.
const Q: [f64; 9] = [
    -1.5932, -0.9674, -0.5895, -0.2822, 0.0, 0.2822, 0.5895, 0.9674, 1.5932,
];
/// The largest of them: the grid's extent.
const Q_MAX: f64 = Q[8];

/// Standard normal points for the share of an error distribution inside an area: a fixed
/// 9 × 9 grid of quantiles, so the same incident always gets the same confidence.
fn normal_grid() -> Vec<(f64, f64)> {
    Q.iter()
        .flat_map(|&a| Q.iter().map(move |&b| (a, b)))
        .collect()
}

impl<'a> Assessor<'a> {
    pub fn new(agreement: &'a Agreement, engine: &'a ZoneEngine) -> Assessor<'a> {
        let max_range_m = agreement
            .weapon_classes
            .iter()
            .map(|w| w.range_km.unwrap_or(w.withdrawal_km * 2.0) * 1000.0)
            .fold(0.0, f64::max);
        Assessor {
            agreement,
            engine,
            max_range_m,
            located_fully: agreement
                .parties
                .iter()
                .map(|p| located_basis(&p.name, 1.0))
                .collect(),
        }
    }

    /// The party holding most of the incident's error distribution, and that share.
    fn holder(&self, inc: &Incident) -> Option<(usize, f64)> {
        let cov = inc.cov?;
        // Cholesky of the covariance, to map the grid onto the distribution.
        let l11 = cov[0][0].max(0.0).sqrt();
        let l21 = if l11 > 0.0 { cov[1][0] / l11 } else { 0.0 };
        let l22 = (cov[1][1] - l21 * l21).max(0.0).sqrt();
        let plane = truceline_fusion::local::Plane::new(inc.location);
        // Most ellipses lie well inside one area: when no boundary comes near the rectangle
        // around the whole grid, every point has the centre's control.
        let (e, n) = (Q_MAX * l11, Q_MAX * (l21.abs() + l22));
        if let Some(control) = self
            .engine
            .uniform_control(plane.to_lonlat([-e, -n]), plane.to_lonlat([e, n]))
        {
            return control.map(|p| (p, 1.0));
        }
        let mut counts = vec![0usize; self.agreement.parties.len()];
        let grid = normal_grid();
        for (a, b) in &grid {
            let (lon, lat) = plane.to_lonlat([l11 * a, l21 * a + l22 * b]);
            if let Some(p) = self.engine.control(lon, lat) {
                counts[p] += 1;
            }
        }
        let (p, n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
        (*n > 0).then(|| (p, *n as f64 / grid.len() as f64))
    }

    /// Judges every incident; impacts are linked to the outgoing fire among `incidents`.
    pub fn assess_all(&self, incidents: &[Incident], obs: &[Observation]) -> Vec<Assessment<'a>> {
        // First the incidents that can stand alone, then impacts, which lean on launches.
        let mut out: Vec<Assessment> = incidents
            .iter()
            .map(|inc| self.assess_one(inc, obs))
            .collect();
        // The launches that can pass a party on to an impact: located, and attributed (an
        // unattributed launch has none to pass on), each with its party beside it.
        let party_no = |id: &str| self.agreement.parties.iter().position(|p| p.id == id);
        let mut by_time: Vec<Candidate> = incidents
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                i.class == Class::Launch && matches!(i.basis, Basis::Fix | Basis::Direct)
            })
            .filter_map(|(k, _)| {
                Some(Candidate {
                    index: k,
                    party: party_no(out[k].attribution.party?)?,
                })
            })
            .collect();
        by_time.sort_by_key(|c| incidents[c.index].time);
        for (k, inc) in incidents.iter().enumerate() {
            if inc.class != Class::Impact || !matches!(inc.basis, Basis::Fix | Basis::Direct) {
                continue;
            }
            let earliest =
                inc.time - jiff::SignedDuration::from_secs_f64(self.max_range_m / FLIGHT_SPEED.0);
            let start = by_time.partition_point(|c| incidents[c.index].time < earliest);
            // Every candidate launch is measured from the impact: one tangent plane there, and
            // no trigonometry per launch.
            let plane = truceline_fusion::local::Plane::new(inc.location);
            // The party of the first candidate, and whether another named a different one.
            let mut party: Option<usize> = None;
            let own = out[k].control.and_then(party_no);
            let mut several = false;
            let mut best: Option<(usize, f64)> = None;
            for c in &by_time[start..] {
                let (l, p) = (c.index, c.party);
                let location = incidents[l].location;
                if incidents[l].time >= inc.time {
                    break;
                }
                // A party does not shell the ground it holds.
                if Some(p) == own {
                    continue;
                }
                let flight = inc.time.duration_since(incidents[l].time).as_secs_f64();
                let out_of_reach = |d: f64, margin: f64| {
                    d > self.max_range_m * margin
                        || flight * margin < d / FLIGHT_SPEED.1
                        || flight > d * margin / FLIGHT_SPEED.0
                };
                // The plane's distance is within a few tenths of a percent of the true one out
                // to a weapon's range: a gate with a margin, then the true distance.
                if out_of_reach(plane.distance_from(location), 1.02) {
                    continue;
                }
                let d = truceline_fusion::local::distance(location, inc.location);
                if out_of_reach(d, 1.0) {
                    continue;
                }
                several |= party.is_some_and(|q| q != p);
                party.get_or_insert(p);
                if best.is_none_or(|(_, bd)| d < bd) {
                    best = Some((l, d));
                }
            }
            let attribution = match (best, several) {
                (Some((l, d)), false) => Attribution {
                    party: out[l].attribution.party,
                    confidence: out[l].attribution.confidence,
                    basis: Cow::Owned(format!(
                        "linked to outgoing fire {} located {:.1} km away {:.0} s earlier, a flight time a weapon of the agreement can take; every launch that could have fired it is attributed to the same party",
                        incidents[l].id,
                        d / 1000.0,
                        inc.time.duration_since(incidents[l].time).as_secs_f64()
                    )),
                },
                (Some(_), _) => Attribution {
                    party: None,
                    confidence: 0.0,
                    basis: "outgoing fire of more than one party could have fired it".into(),
                },
                (None, _) => Attribution {
                    party: None,
                    confidence: 0.0,
                    basis: "impact whose origin is not established: no located outgoing fire matches its time and distance".into(),
                },
            };
            out[k].attribution = attribution;
            let party = out[k].attribution.party;
            for v in &mut out[k].violations {
                if v.rule == "ceasefire" {
                    v.party = party;
                }
            }
        }
        out
    }

    fn assess_one(&self, inc: &Incident, obs: &[Observation]) -> Assessment<'a> {
        let c = self.engine.classify(inc.location.0, inc.location.1);
        // An incident placed only at its observer's position is in no known area: the area
        // there is its observer's, which is not the incident's and not to be shown.
        let control = c
            .control
            .filter(|_| inc.basis != Basis::ObserverOnly)
            .map(|p| self.engine.party_id(p));
        let allegation_only = inc
            .observations
            .iter()
            .all(|&i| obs[i].source == Some(Source::Party));
        let located = matches!(inc.basis, Basis::Fix | Basis::Direct | Basis::Wedge);
        let attribution = if allegation_only {
            Attribution {
                party: None,
                confidence: 0.0,
                basis: "a party's allegation alone does not attribute".into(),
            }
        } else if inc.class == Class::Launch
            && inc.basis != Basis::Direct
            && inc
                .observations
                .iter()
                .all(|&i| obs[i].observer == obs[inc.observations[0]].observer)
        {
            // One monitor's ear is not enough to name a party: a lone report may be a false
            // alarm, and nothing else confirms where it was.
            Attribution {
                party: None,
                confidence: 0.0,
                basis: "outgoing fire reported by one observer only, not corroborated".into(),
            }
        } else {
            match inc.class {
                Class::Launch if located => match self.holder(inc) {
                    Some((p, share)) if share >= MIN_CONFIDENCE => Attribution {
                        party: Some(&self.agreement.parties[p].id),
                        confidence: share,
                        basis: Cow::Owned(if share == 1.0 {
                            self.located_fully[p].clone()
                        } else {
                            located_basis(&self.agreement.parties[p].name, share)
                        }),
                    },
                    Some((_, share)) => Attribution {
                        party: None,
                        confidence: 0.0,
                        basis: Cow::Owned(format!(
                            "outgoing fire whose location is too uncertain to place on one side (at most {:.0} % in one party's area)",
                            share * 100.0
                        )),
                    },
                    None => Attribution {
                        party: None,
                        confidence: 0.0,
                        basis: "outgoing fire located outside both parties' areas".into(),
                    },
                },
                Class::Launch => Attribution {
                    party: None,
                    confidence: 0.0,
                    basis: "outgoing fire seen on one bearing without a distance: not located"
                        .into(),
                },
                Class::Weapon if inc.basis == Basis::Direct => match self.holder(inc) {
                    Some((p, share)) if share >= MIN_CONFIDENCE => Attribution {
                        party: Some(&self.agreement.parties[p].id),
                        confidence: share,
                        basis: Cow::Owned(format!(
                            "weapon seen directly on ground {} controls",
                            self.agreement.parties[p].name
                        )),
                    },
                    _ => Attribution {
                        party: None,
                        confidence: 0.0,
                        basis: "weapon seen too close to the line to place on one side".into(),
                    },
                },
                Class::SmallArms => Attribution {
                    party: None,
                    confidence: 0.0,
                    basis:
                        "small-arms fire near the line: its sound does not tell which side fired"
                            .into(),
                },
                _ => Attribution {
                    party: None,
                    confidence: 0.0,
                    basis: "origin not established".into(),
                },
            }
        };
        let mut violations = Vec::new();
        let fire = inc.class.is_fire();
        if fire && inc.time >= self.agreement.effective_from {
            violations.push(Violation {
                rule: "ceasefire",
                party: attribution.party,
                zone: None,
            });
        }
        // Presence: a weapon seen, or the origin of fire.
        let presence = inc.class == Class::Weapon || (inc.class == Class::Launch && located);
        if presence && inc.basis != Basis::Wedge {
            let party = attribution.party.or(control);
            for z in c.zones.iter() {
                let info = &self.engine.zones()[z];
                match &info.source {
                    ZoneSource::Withdrawal(w) => {
                        if inc.weapon.as_deref()
                            == Some(self.agreement.weapon_classes[*w].id.as_str())
                        {
                            violations.push(Violation {
                                rule: "withdrawal",
                                party,
                                zone: Some(&info.id),
                            });
                        }
                    }
                    ZoneSource::Zone(zi) => {
                        let zone = &self.agreement.zones[*zi];
                        violations.push(Violation {
                            rule: zone.rule.as_str(),
                            party,
                            zone: Some(&zone.id),
                        });
                    }
                }
            }
        }
        Assessment {
            control,
            attribution,
            violations,
        }
    }
}

/// Fuses observations and judges the incidents, each as its SPEC 2.4 record, in incident order:
/// what `truceline fuse` prints and the server serves, one code path for both.
pub fn fuse_and_assess(
    agreement: &Agreement,
    engine: &ZoneEngine,
    obs: &[Observation],
    config: &truceline_fusion::Config,
) -> Vec<IncidentRecord> {
    fuse_and_judge(agreement, engine, obs, config).records(obs)
}

/// Judges one day's incidents, already fused (online), and returns each as its SPEC 2.4 record.
pub fn assess_records(
    agreement: &Agreement,
    engine: &ZoneEngine,
    incidents: &[truceline_fusion::Incident],
    obs: &[Observation],
) -> Vec<IncidentRecord> {
    let assessments = Assessor::new(agreement, engine).assess_all(incidents, obs);
    incidents
        .iter()
        .zip(&assessments)
        .map(|(inc, a)| record(inc, a, obs))
        .collect()
}

/// Incidents and their assessments, in incident order.
pub struct Judged<'a> {
    pub fusion: truceline_fusion::Fusion,
    pub assessments: Vec<Assessment<'a>>,
}

impl Judged<'_> {
    /// Each incident as its SPEC 2.4 record.
    pub fn records(&self, obs: &[Observation]) -> Vec<IncidentRecord> {
        self.fusion
            .incidents
            .iter()
            .zip(&self.assessments)
            .map(|(inc, a)| record(inc, a, obs))
            .collect()
    }
}

/// Fuses observations and judges the incidents, keeping fusion's working form beside the
/// assessments (the harness reads both).
pub fn fuse_and_judge<'a>(
    agreement: &'a Agreement,
    engine: &'a ZoneEngine,
    obs: &[Observation],
    config: &truceline_fusion::Config,
) -> Judged<'a> {
    let fusion = truceline_fusion::fuse(obs, config);
    // Day by day, as online fusion judges them: an impact is linked to launches of its own day.
    let assessor = Assessor::new(agreement, engine);
    let assessments = fusion
        .days
        .iter()
        .flat_map(|(_, r)| assessor.assess_all(&fusion.incidents[r.clone()], obs))
        .collect();
    Judged {
        fusion,
        assessments,
    }
}

/// An incident and its assessment as its SPEC 2.4 record: figures rounded to what the
/// evidence supports (a tenth of a metre or degree, a micro-degree of place, three digits of
/// confidence), so that the record does not claim precision it lacks.
pub fn record(inc: &Incident, a: &Assessment, obs: &[Observation]) -> IncidentRecord {
    let round = |x: f64, digits: i32| {
        let k = 10f64.powi(digits);
        (x * k).round() / k
    };
    IncidentRecord {
        attribution: truceline_incident::Attribution {
            basis: a.attribution.basis.to_string(),
            confidence: round(a.attribution.confidence, 3),
            party: a.attribution.party.map(str::to_string),
        },
        control: a.control.map(str::to_string),
        count: inc.count,
        error_ellipse_m: inc.ellipse.map(|e| truceline_incident::Ellipse {
            azimuth_deg: round(e.azimuth_deg, 1),
            major: round(e.major, 1),
            minor: round(e.minor, 1),
        }),
        id: inc.id.clone(),
        kind: inc.kind,
        location: truceline_incident::LonLat {
            lat: round(inc.location.1, 6),
            lon: round(inc.location.0, 6),
        },
        location_basis: inc.basis,
        observations: inc
            .observations
            .iter()
            .map(|&i| obs[i].id.clone())
            .collect(),
        subtype: inc.subtype,
        time: inc.time,
        time_end: inc.time_end,
        violations: a
            .violations
            .iter()
            .map(|v| truceline_incident::Violation {
                party: v.party.map(str::to_string),
                rule: v.rule.to_string(),
                zone: v.zone.map(str::to_string),
            })
            .collect(),
        weapon: inc.weapon.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truceline_fusion::locate::Ellipse;
    use truceline_observation::{Kind, Subtype, Vocabulary};

    /// The record rounds what it states and names its observations by id.
    #[test]
    fn a_record_states_rounded_figures_and_observation_ids() {
        let vocab = Vocabulary::new(["a", "b"], ["mlrs"]);
        let obs = truceline_observation::parse(
            br#"{"id":"o1","observer":"op1","source":"post","time":"2026-11-25T10:00:00Z","kind":"explosion","subtype":"outgoing","observer_position":{"lon":37.8,"lat":48.0},"bearing_deg":45,"bearing_sigma_deg":3}"#,
            &vocab,
        )
        .unwrap();
        let time = jiff::Timestamp::from_second(1_795_600_800).unwrap();
        let inc = Incident {
            id: "inc-o1".into(),
            class: Class::Launch,
            kind: Kind::Explosion,
            subtype: Some(Subtype::Outgoing),
            time,
            time_end: Some(time),
            location: (37.812_345_678, 48.012_345_678),
            cov: None,
            ellipse: Some(Ellipse {
                major: 812.34,
                minor: 90.06,
                azimuth_deg: 44.96,
            }),
            basis: Basis::Wedge,
            count: 1,
            weapon: Some("mlrs".into()),
            observations: vec![0],
        };
        let a = Assessment {
            control: Some("b"),
            attribution: Attribution {
                party: None,
                confidence: 0.123_456,
                basis: "reported by one observer only, not corroborated".into(),
            },
            violations: vec![Violation {
                rule: "ceasefire",
                party: None,
                zone: Some("withdrawal:mlrs"),
            }],
        };
        let direct = serde_json::to_string(&record(&inc, &a, std::slice::from_ref(&obs))).unwrap();
        assert!(
            direct.starts_with(r#"{"attribution":{"basis":"#),
            "{direct}"
        );
        assert!(direct.contains(r#""confidence":0.123,"#), "{direct}");
        assert!(
            direct.contains(r#""error_ellipse_m":{"azimuth_deg":45.0,"major":812.3,"minor":90.1}"#),
            "{direct}"
        );
        assert!(
            direct.contains(r#""location":{"lat":48.012346,"lon":37.812346}"#),
            "{direct}"
        );
        assert!(direct.contains(r#""observations":["o1"]"#), "{direct}");
    }
}
