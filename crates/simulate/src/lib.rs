//! Synthetic scenarios over any agreement: what happened (ground truth) and what a monitor
//! network made of it (observations), deterministic by seed.
//!
//! The network: observation posts on both sides of the line with cameras beside some of them,
//! acoustic sensors, patrols that move along their sector, and UAVs. The events: fire missions
//! of every weapon class (an outgoing and an impact event per round, salvos of several rounds
//! seconds apart), exchanges of small-arms fire near the line, and weapons seen from the air
//! inside and outside their withdrawal zones. Each observer senses an event with a probability
//! that falls with distance, hears it when the sound arrives (343 m/s), reads its own clock (off
//! by up to ±`clock_error_s`), reports a bearing with an error drawn at its stated sigma and a
//! distance as a range. A share `false_alarm_rate` of the observations match no event.
//!
//! It does no I/O: the caller writes [`Scenario::observations`] and [`Scenario::truth`].
//!
//! ```
//! use truceline_simulate::{Network, Params};
//! # let agreement = truceline_simulate::doc_agreement();
//! let engine = truceline_zones::ZoneEngine::new(&agreement).unwrap();
//! let params = Params { hours: 0.5, ..Params::default() };
//! let network = Network::new(&agreement, &engine, &params);
//! let a = network.simulate(&params, "2026-11-24T10:00:00Z".parse().unwrap());
//! let b = network.simulate(&params, "2026-11-24T10:00:00Z".parse().unwrap());
//! assert_eq!(a.observations, b.observations); // the same seed, the same scenario
//! assert!(!a.truth.is_empty());
//! ```

mod geometry;
pub mod records;

use geographiclib_rs::Geodesic;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::{Value, json};
use truceline_agreement::Agreement;
use truceline_zones::ZoneEngine;

pub use geometry::Point;
use geometry::{LinePath, approx_distance, direct, inverse};

/// Speed of sound used for every delay, m/s.
pub const SPEED_OF_SOUND: f64 = 343.0;

/// What a scenario looks like. The defaults give a day of about 20,000 real events seen by
/// about 60 observers along a line of a few hundred kilometres.
#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    pub hours: f64,
    /// Distance along the line between observation posts, km (posts alternate sides).
    pub post_spacing_km: f64,
    /// Each observer's clock is off by a fixed amount drawn from ±this, seconds.
    pub clock_error_s: f64,
    /// Share of the observations that match no event.
    pub false_alarm_rate: f64,
    pub fire_missions_per_hour: f64,
    /// Exchanges of small-arms fire (each several bursts over minutes) per hour.
    pub small_arms_exchanges_per_hour: f64,
    pub weapon_sightings_per_hour: f64,
    /// Ripples of rocket launchers per hour: one launcher fires its rounds a short interval
    /// apart (`ripple_spacing_s`), 6 to `ripple_rounds_max` of them.
    pub ripples_per_hour: f64,
    /// The interval between a ripple's rounds is drawn once per ripple from this range, seconds.
    pub ripple_spacing_s: (f64, f64),
    pub ripple_rounds_max: u32,
    /// Share of the posts that log a ripple they heard as one line ("a salvo of about 20
    /// rockets", `count` with `time_end`) rather than a line a round.
    pub ripple_window_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            seed: 1,
            hours: 24.0,
            post_spacing_km: 15.0,
            clock_error_s: 2.0,
            false_alarm_rate: 0.03,
            fire_missions_per_hour: 72.0,
            small_arms_exchanges_per_hour: 30.0,
            weapon_sightings_per_hour: 12.0,
            ripples_per_hour: 0.0,
            ripple_spacing_s: (0.5, 2.5),
            ripple_rounds_max: 40,
            ripple_window_share: 0.6,
        }
    }
}

/// What kind of sensor an observer is; sets what it senses and how well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorKind {
    Post,
    Camera,
    Acoustic,
    Patrol,
    Uav,
}

impl SensorKind {
    pub fn source(self) -> &'static str {
        match self {
            SensorKind::Post => "post",
            SensorKind::Camera => "camera",
            SensorKind::Acoustic => "acoustic",
            SensorKind::Patrol => "patrol",
            SensorKind::Uav => "uav",
        }
    }
    /// The 1-sigma bearing error it states (and has), degrees.
    pub fn bearing_sigma(self) -> f64 {
        match self {
            SensorKind::Post => 5.0,
            SensorKind::Camera => 1.0,
            SensorKind::Acoustic => 2.0,
            SensorKind::Patrol => 8.0,
            SensorKind::Uav => 0.0,
        }
    }
}

/// One member of the monitor network.
#[derive(Debug, Clone)]
pub struct Observer {
    pub id: String,
    pub kind: SensorKind,
    /// Where it stands; patrols move between `sector` points.
    pub position: Point,
    /// Arc length along the line of its sector's centre, metres.
    pub sector_s: f64,
    /// The side it is on (party index).
    pub side: usize,
    /// Its clock's fixed error, seconds.
    pub clock_offset_s: f64,
}

/// The network over one agreement; scenarios are drawn on it.
pub struct Network<'a> {
    agreement: &'a Agreement,
    engine: &'a ZoneEngine,
    path: LinePath,
    g: Geodesic,
    pub observers: Vec<Observer>,
}

/// A real event of the ground truth (SPEC 2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct TruthEvent {
    pub id: String,
    pub time: jiff::Timestamp,
    pub location: Point,
    pub kind: &'static str,
    pub subtype: Option<&'static str>,
    pub weapon: Option<String>,
    /// The party that fired, or whose weapon was seen.
    pub party: Option<String>,
    pub count: u32,
    pub observations: Vec<String>,
    /// The ripple a round belongs to (numbered within the scenario), written as `ripple` so
    /// that a harness can score ripples apart; absent for other events.
    pub ripple: Option<usize>,
}

impl TruthEvent {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "time": ts(self.time),
            "location": {"lon": round(self.location.lon, 6), "lat": round(self.location.lat, 6)},
            "kind": self.kind,
            "subtype": self.subtype,
            "weapon": self.weapon,
            "party": self.party,
            "count": self.count,
            "observations": self.observations,
        });
        if let Some(k) = self.ripple {
            v["ripple"] = json!(k);
        }
        v
    }
}

/// A scenario: the observations in time order and the truth behind them.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Observations as JSON objects (SPEC 2.2), sorted by `time`.
    pub observations: Vec<Value>,
    pub truth: Vec<TruthEvent>,
}

fn ts(t: jiff::Timestamp) -> String {
    // Millisecond precision: what a sensor clock reports.
    t.round(jiff::Unit::Millisecond)
        .unwrap_or(t)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// How one physical event presents itself to sensors.
#[derive(Debug, Clone, Copy)]
struct Emission {
    /// Heard out to about this distance, metres (0: silent).
    audible_m: f64,
    /// Seen as a flash by a camera out to this distance, metres.
    visible_m: f64,
}

/// Where a fire mission fires from and at.
struct Aim {
    /// The firing party (an index into the agreement's parties).
    party: usize,
    origin: Point,
    target: Point,
    /// Distance and azimuth from origin to target, metres and degrees.
    dist: f64,
    az: f64,
    /// The class's range, metres.
    range_m: f64,
    /// The rounds' mean speed, m/s.
    speed: f64,
}

/// Internal event, before observations are attached.
struct Event {
    truth: TruthEvent,
    emission: Emission,
    /// For small-arms exchanges and ripples: the group it belongs to, which posts may report
    /// as one window.
    exchange: Option<Group>,
}

/// A group of events that posts may log as one windowed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    /// A small-arms exchange: always one line.
    Exchange(usize),
    /// The launches (`false`) or the impacts (`true`) of a ripple: one line by the posts that
    /// log ripples so.
    Ripple(usize, bool),
}

impl<'a> Network<'a> {
    /// Lays out the network: posts every `post_spacing_km` along the line alternating sides,
    /// a camera beside every other post, acoustic sensors every two post spacings on each side,
    /// a patrol per 80 km of line and two UAVs. The layout depends on the seed only.
    pub fn new(agreement: &'a Agreement, engine: &'a ZoneEngine, p: &Params) -> Network<'a> {
        let g = Geodesic::wgs84();
        let path = LinePath::new(&agreement.line_of_contact.geometry);
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        let sides = side_indices(agreement);
        let len = path.length();
        let spacing = (p.post_spacing_km * 1000.0).max(1000.0);
        let mut observers = Vec::new();
        let mut add = |kind: SensorKind,
                       n: usize,
                       position: Point,
                       s: f64,
                       side: usize,
                       rng: &mut ChaCha8Rng| {
            let prefix = match kind {
                SensorKind::Post => "op",
                SensorKind::Camera => "cam",
                SensorKind::Acoustic => "ac",
                SensorKind::Patrol => "patrol",
                SensorKind::Uav => "uav",
            };
            observers.push(Observer {
                id: format!("{prefix}{n:02}"),
                kind,
                position,
                sector_s: s,
                side,
                clock_offset_s: rng.random_range(-p.clock_error_s..=p.clock_error_s.max(0.0)),
            });
        };
        let posts = ((len / spacing).floor() as usize).max(2);
        for i in 0..posts {
            let s = (i as f64 + 0.5) * len / posts as f64;
            let side = sides[i % 2];
            let Some(pos) =
                path.sample_beside(&g, engine, &mut rng, s, 500.0, side, 1000.0, 4000.0)
            else {
                continue;
            };
            add(SensorKind::Post, i + 1, pos, s, side, &mut rng);
            if i % 2 == 0 {
                let cam = direct(&g, pos, rng.random_range(0.0..360.0), 50.0);
                add(SensorKind::Camera, i / 2 + 1, cam, s, side, &mut rng);
            }
        }
        let sensors = ((len / (2.0 * spacing)).floor() as usize).max(1);
        let mut n = 0;
        for i in 0..sensors {
            for (k, &side) in sides.iter().enumerate() {
                let s = (i as f64 + 0.25 + 0.5 * k as f64) * len / sensors as f64;
                if let Some(pos) =
                    path.sample_beside(&g, engine, &mut rng, s, 1000.0, side, 3000.0, 6000.0)
                {
                    n += 1;
                    add(SensorKind::Acoustic, n, pos, s, side, &mut rng);
                }
            }
        }
        let patrols = ((len / 80_000.0).ceil() as usize).max(1);
        for i in 0..patrols {
            let s = (i as f64 + 0.5) * len / patrols as f64;
            let side = sides[i % 2];
            if let Some(pos) =
                path.sample_beside(&g, engine, &mut rng, s, 2000.0, side, 1500.0, 5000.0)
            {
                add(SensorKind::Patrol, i + 1, pos, s, side, &mut rng);
            }
        }
        for i in 0..2 {
            let s = (i as f64 + 0.5) * len / 2.0;
            let (pos, _) = path.at(&g, s);
            add(SensorKind::Uav, i + 1, pos, s, sides[i % 2], &mut rng);
        }
        Network {
            agreement,
            engine,
            path,
            g,
            observers,
        }
    }

    /// Draws a scenario of `p.hours` from `start`. The events depend on the seed and the start,
    /// so consecutive windows of a live feed differ and each is reproducible.
    pub fn simulate(&self, p: &Params, start: jiff::Timestamp) -> Scenario {
        let mut rng =
            ChaCha8Rng::seed_from_u64(p.seed ^ (start.as_second() as u64).rotate_left(17));
        let tag = start.strftime("%Y%m%dT%H%M%S").to_string();
        let span_s = p.hours * 3600.0;
        let mut events: Vec<Event> = Vec::new();
        self.fire_missions(p, &mut rng, start, span_s, &mut events);
        self.small_arms(p, &mut rng, start, span_s, &mut events);
        self.weapon_sightings(p, &mut rng, start, span_s, &mut events);
        self.ripples(p, &mut rng, start, span_s, &mut events);
        events.sort_by_key(|e| e.truth.time);
        for (i, e) in events.iter_mut().enumerate() {
            e.truth.id = format!("ev-{tag}-{:06}", i + 1);
        }

        let mut observations: Vec<(jiff::Timestamp, Value)> = Vec::new();
        let mut next_id = vec![0usize; self.observers.len()];
        let mut new_id = |o: usize| {
            next_id[o] += 1;
            format!("{}-{tag}-{:05}", self.observers[o].id, next_id[o])
        };
        // Windowed reports of small-arms exchanges and ripples: (observer, group) →
        // observation index.
        let mut windows: std::collections::HashMap<(usize, Group), usize> = Default::default();
        // Whether a post logs ripples as one line: a habit of its team, drawn once.
        let logs_ripples: Vec<bool> = {
            let mut habit = ChaCha8Rng::seed_from_u64(p.seed ^ 0x5249_5050_4c45);
            self.observers
                .iter()
                .map(|_| habit.random_bool(p.ripple_window_share.clamp(0.0, 1.0)))
                .collect()
        };
        for ev in events.iter_mut() {
            for (oi, obs) in self.observers.iter().enumerate() {
                let pos = self.position_at(obs, ev.truth.time, start);
                let Some(report) = self.sense(&mut rng, obs, pos, ev) else {
                    continue;
                };
                let windowed = match ev.exchange {
                    Some(Group::Exchange(_)) => obs.kind == SensorKind::Post,
                    Some(Group::Ripple(..)) => obs.kind == SensorKind::Post && logs_ripples[oi],
                    None => false,
                };
                match ev.exchange.filter(|_| windowed) {
                    // Posts log an exchange of fire as one line: "12 bursts, 14:02–14:09, SE";
                    // some log a ripple so too: "a salvo of about 20 rockets".
                    Some(x) => {
                        if let Some(&idx) = windows.get(&(oi, x)) {
                            let (start, v) = &mut observations[idx];
                            let count = v["count"].as_u64().unwrap_or(1) + 1;
                            v["count"] = json!(count);
                            // Bursts are heard out of order when they came from different
                            // places: the window runs from the first heard to the last.
                            let end = v["time_end"]
                                .as_str()
                                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                                .unwrap_or(*start)
                                .max(report.time + jiff::SignedDuration::from_secs(1));
                            if report.time < *start {
                                *start = report.time;
                                v["time"] = json!(ts(report.time));
                            }
                            v["time_end"] = json!(ts(end));
                            let id = v["id"].as_str().unwrap().to_string();
                            ev.truth.observations.push(id);
                        } else {
                            let id = new_id(oi);
                            let v = self.observation_json(&id, obs, pos, &report, ev);
                            windows.insert((oi, x), observations.len());
                            ev.truth.observations.push(id);
                            observations.push((report.time, v));
                        }
                    }
                    None => {
                        let id = new_id(oi);
                        let v = self.observation_json(&id, obs, pos, &report, ev);
                        ev.truth.observations.push(id);
                        observations.push((report.time, v));
                    }
                }
            }
        }
        // Windowed reports carry a count only when they stand for more than one burst.
        for (_, v) in observations.iter_mut() {
            if v.get("time_end").is_some() && v["count"].as_u64() == Some(1) {
                v.as_object_mut().unwrap().remove("time_end");
            }
        }
        let n_false = if p.false_alarm_rate > 0.0 && p.false_alarm_rate < 1.0 {
            (observations.len() as f64 * p.false_alarm_rate / (1.0 - p.false_alarm_rate)).round()
                as usize
        } else {
            0
        };
        for _ in 0..n_false {
            let (t, v) = self.false_alarm(&mut rng, start, span_s, &mut new_id);
            observations.push((t, v));
        }
        observations.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1["id"].as_str().cmp(&b.1["id"].as_str()))
        });
        Scenario {
            observations: observations.into_iter().map(|(_, v)| v).collect(),
            truth: events.into_iter().map(|e| e.truth).collect(),
        }
    }

    /// Where an observer is at `t`: patrols move to a new spot of their sector every half hour.
    fn position_at(&self, o: &Observer, t: jiff::Timestamp, start: jiff::Timestamp) -> Point {
        if o.kind != SensorKind::Patrol {
            return o.position;
        }
        let leg = ((t.as_second() - start.as_second()).max(0) / 1800) as u64;
        let mut rng = ChaCha8Rng::seed_from_u64(leg ^ (o.sector_s as u64).rotate_left(7));
        self.path
            .sample_beside(
                &self.g,
                self.engine,
                &mut rng,
                o.sector_s,
                20_000.0,
                o.side,
                1500.0,
                5000.0,
            )
            .unwrap_or(o.position)
    }

    fn fire_missions(
        &self,
        p: &Params,
        rng: &mut ChaCha8Rng,
        start: jiff::Timestamp,
        span_s: f64,
        events: &mut Vec<Event>,
    ) {
        let classes = &self.agreement.weapon_classes;
        if classes.is_empty() {
            return;
        }
        let n = poisson_count(rng, p.fire_missions_per_hour * p.hours);
        for _ in 0..n {
            let w = &classes[rng.random_range(0..classes.len())];
            let Some(aim) = self.aim(rng, w) else {
                continue;
            };
            let max_rounds = (3.0 + aim.range_m / 8_000.0).min(12.0) as u32;
            let rounds = rng.random_range(1..=max_rounds);
            let mut t = rng.random_range(0.0..span_s);
            for _ in 0..rounds {
                // A battery: each gun a few tens of metres from the next.
                self.fire_round(rng, &aim, w, start, t, 30.0, None, events);
                t += rng.random_range(2.0..8.0);
            }
        }
    }

    /// Ripples of rocket launchers: one launcher fires all its rounds from one spot a short
    /// interval apart. The classes that ripple are those named for rockets or multiple
    /// launchers; an agreement without one ripples its longest-range class.
    fn ripples(
        &self,
        p: &Params,
        rng: &mut ChaCha8Rng,
        start: jiff::Timestamp,
        span_s: f64,
        events: &mut Vec<Event>,
    ) {
        let classes = &self.agreement.weapon_classes;
        if classes.is_empty() || p.ripples_per_hour <= 0.0 {
            return;
        }
        let named: Vec<&truceline_agreement::WeaponClass> = classes
            .iter()
            .filter(|w| {
                let text = format!("{} {}", w.id, w.name).to_lowercase();
                text.contains("rocket") || text.contains("mlrs")
            })
            .collect();
        let rippling = if named.is_empty() {
            classes
                .iter()
                .max_by(|a, b| {
                    a.range_km
                        .unwrap_or(0.0)
                        .total_cmp(&b.range_km.unwrap_or(0.0))
                })
                .into_iter()
                .collect()
        } else {
            named
        };
        let (lo, hi) = p.ripple_spacing_s;
        let n = poisson_count(rng, p.ripples_per_hour * p.hours);
        for k in 0..n {
            let w = rippling[rng.random_range(0..rippling.len())];
            let Some(aim) = self.aim(rng, w) else {
                continue;
            };
            let rounds = rng.random_range(6..=p.ripple_rounds_max.max(6));
            let spacing = if hi > lo {
                rng.random_range(lo..hi)
            } else {
                lo
            };
            let mut t = rng.random_range(0.0..span_s);
            for _ in 0..rounds {
                self.fire_round(rng, &aim, w, start, t, 5.0, Some(k), events);
                t += spacing;
            }
        }
    }

    /// Where a mission of class `w` fires from and at: half from inside the class's withdrawal
    /// zone (a violation), the rest from beyond it where the class can still reach across the
    /// line, at a target on the other side.
    fn aim(&self, rng: &mut ChaCha8Rng, w: &truceline_agreement::WeaponClass) -> Option<Aim> {
        let sides = side_indices(self.agreement);
        let len = self.path.length();
        let range_m = w.range_km.unwrap_or(w.withdrawal_km * 1.2).max(2.0) * 1000.0;
        let withdrawal = w.withdrawal_m();
        let k = rng.random_range(0..2);
        let (party, other) = (sides[k], sides[1 - k]);
        let s = rng.random_range(0.0..len);
        let reach = range_m - 1000.0;
        let outside = rng.random_bool(0.5) && reach > withdrawal + 500.0;
        let (dmin, dmax) = if outside {
            (withdrawal + 200.0, reach.min(withdrawal * 1.5))
        } else {
            (500.0, withdrawal.min(reach).max(600.0) - 100.0)
        };
        let origin =
            self.path
                .sample_beside(&self.g, self.engine, rng, s, 200.0, party, dmin, dmax)?;
        let fire_d = self
            .engine
            .classify(origin.lon, origin.lat)
            .distance_to_line_m;
        let target_max = (range_m - fire_d).clamp(300.0, 12_000.0);
        let target = self.path.sample_beside(
            &self.g,
            self.engine,
            rng,
            s,
            3000.0,
            other,
            200.0,
            target_max,
        )?;
        let (dist, az) = inverse(&self.g, origin, target);
        if dist > range_m {
            return None;
        }
        Some(Aim {
            party,
            origin,
            target,
            dist,
            az,
            range_m,
            speed: (150.0 + range_m / 100.0).min(900.0),
        })
    }

    /// One round of a mission: the launch at `t` seconds from `start`, within `scatter_m` of the
    /// origin (as one sigma), and its impact about the target after the flight.
    #[allow(clippy::too_many_arguments)]
    fn fire_round(
        &self,
        rng: &mut ChaCha8Rng,
        aim: &Aim,
        w: &truceline_agreement::WeaponClass,
        start: jiff::Timestamp,
        t: f64,
        scatter_m: f64,
        ripple: Option<usize>,
        events: &mut Vec<Event>,
    ) {
        let normal = Normal::new(0.0f64, 1.0).unwrap();
        let loud_out = (5_000.0 + 0.4 * aim.range_m).clamp(6_000.0, 25_000.0);
        let loud_imp = (4_000.0 + 0.3 * aim.range_m).clamp(5_000.0, 20_000.0);
        let at = start + jiff::SignedDuration::from_secs_f64(t);
        let gun = direct(
            &self.g,
            aim.origin,
            rng.random_range(0.0..360.0),
            scatter_m * normal.sample(rng).abs(),
        );
        // A ripple's launches and its impacts are each one group a post may log as one line.
        let mut push = |at, place, subtype, emission, impact| {
            let mut t = truth(
                at,
                place,
                "explosion",
                Some(subtype),
                Some(&w.id),
                Some(aim.party),
                self.agreement,
            );
            t.ripple = ripple;
            events.push(Event {
                truth: t,
                emission,
                exchange: ripple.map(|k| Group::Ripple(k, impact)),
            });
        };
        push(
            at,
            gun,
            "outgoing",
            Emission {
                audible_m: loud_out,
                visible_m: 10_000.0,
            },
            false,
        );
        let hit = direct(
            &self.g,
            aim.target,
            aim.az + 90.0 * normal.sample(rng),
            150.0 * normal.sample(rng).abs(),
        );
        let hit_at = start + jiff::SignedDuration::from_secs_f64(t + aim.dist / aim.speed);
        push(
            hit_at,
            hit,
            "impact",
            Emission {
                audible_m: loud_imp,
                visible_m: 8_000.0,
            },
            true,
        );
    }

    fn small_arms(
        &self,
        p: &Params,
        rng: &mut ChaCha8Rng,
        start: jiff::Timestamp,
        span_s: f64,
        events: &mut Vec<Event>,
    ) {
        let sides = side_indices(self.agreement);
        let n = poisson_count(rng, p.small_arms_exchanges_per_hour * p.hours);
        let len = self.path.length();
        for x in 0..n {
            let s = rng.random_range(0.0..len);
            let t0 = rng.random_range(0.0..span_s);
            let bursts = rng.random_range(3..=25);
            let dur = rng.random_range(120.0..900.0);
            for _ in 0..bursts {
                let k = rng.random_range(0..2);
                let Some(at) = self.path.sample_beside(
                    &self.g,
                    self.engine,
                    rng,
                    s,
                    300.0,
                    sides[k],
                    100.0,
                    1000.0,
                ) else {
                    continue;
                };
                let t =
                    start + jiff::SignedDuration::from_secs_f64(t0 + rng.random_range(0.0..dur));
                let kind = if rng.random_bool(0.8) {
                    "burst"
                } else {
                    "shot"
                };
                events.push(Event {
                    truth: truth(
                        t,
                        at,
                        kind,
                        None,
                        Some("small_arms"),
                        Some(sides[k]),
                        self.agreement,
                    ),
                    emission: Emission {
                        audible_m: 2_500.0,
                        visible_m: 0.0,
                    },
                    exchange: Some(Group::Exchange(x)),
                });
            }
        }
    }

    fn weapon_sightings(
        &self,
        p: &Params,
        rng: &mut ChaCha8Rng,
        start: jiff::Timestamp,
        span_s: f64,
        events: &mut Vec<Event>,
    ) {
        let classes = &self.agreement.weapon_classes;
        if classes.is_empty() {
            return;
        }
        let sides = side_indices(self.agreement);
        let n = poisson_count(rng, p.weapon_sightings_per_hour * p.hours);
        let len = self.path.length();
        for _ in 0..n {
            let w = &classes[rng.random_range(0..classes.len())];
            let k = rng.random_range(0..2);
            let wd = w.withdrawal_m();
            // As many seen inside their zone (violations) as outside (compliant).
            let (dmin, dmax) = if rng.random_bool(0.5) {
                (500.0, wd - 200.0)
            } else {
                (wd + 200.0, wd + 15_000.0)
            };
            let s = rng.random_range(0.0..len);
            let Some(at) = self.path.sample_beside(
                &self.g,
                self.engine,
                rng,
                s,
                1000.0,
                sides[k],
                dmin,
                dmax.max(dmin),
            ) else {
                continue;
            };
            let t = start + jiff::SignedDuration::from_secs_f64(rng.random_range(0.0..span_s));
            let mut tr = truth(
                t,
                at,
                "weapon",
                None,
                Some(&w.id),
                Some(sides[k]),
                self.agreement,
            );
            tr.count = rng.random_range(1..=4);
            events.push(Event {
                truth: tr,
                emission: Emission {
                    audible_m: 0.0,
                    visible_m: 0.0,
                },
                exchange: None,
            });
        }
    }

    /// Whether and how an observer at `pos` senses an event.
    fn sense(&self, rng: &mut ChaCha8Rng, o: &Observer, pos: Point, ev: &Event) -> Option<Report> {
        let e = &ev.truth;
        if o.kind == SensorKind::Uav {
            // UAVs report weapons in the half of the line they fly over.
            let near = e.kind == "weapon"
                && (self.path.length() * 0.25 - (o.sector_s - self.nearest_s(e.location)).abs())
                    > 0.0;
            if !near || !rng.random_bool(0.8) {
                return None;
            }
            return Some(Report {
                undetermined: false,
                time: e.time,
                bearing: None,
                distance: None,
            });
        }
        let reach = match o.kind {
            SensorKind::Camera => ev.emission.visible_m,
            SensorKind::Acoustic => ev.emission.audible_m * 1.3,
            _ => ev.emission.audible_m,
        };
        if reach <= 0.0 || approx_distance(pos, e.location) > reach * 1.6 {
            return None;
        }
        let (d, az) = inverse(&self.g, pos, e.location);
        let p_max = match o.kind {
            SensorKind::Acoustic => 0.95,
            SensorKind::Post => 0.9,
            SensorKind::Camera => 0.6,
            _ => 0.75,
        };
        // Detection falls off smoothly around the reach.
        let p = p_max / (1.0 + ((d - reach) / (0.15 * reach)).exp());
        if !rng.random_bool(p.clamp(0.0, 1.0)) {
            return None;
        }
        let normal = Normal::new(0.0f64, 1.0).unwrap();
        let sound = o.kind != SensorKind::Camera;
        let delay = if sound { d / SPEED_OF_SOUND } else { 0.0 };
        let jitter = 0.1 * normal.sample(rng);
        let time = e.time + jiff::SignedDuration::from_secs_f64(delay + o.clock_offset_s + jitter);
        let sigma = o.kind.bearing_sigma();
        let bearing = (az + sigma * normal.sample(rng)).rem_euclid(360.0);
        let distance = matches!(o.kind, SensorKind::Post | SensorKind::Patrol).then(|| {
            // A monitor's estimate is off by a log-normal factor; the stated range brackets it.
            let est = d * (0.25 * normal.sample(rng)).exp();
            let lo = (est * 0.6 / 100.0).floor() * 100.0;
            let hi = (est * 1.6 / 100.0).ceil() * 100.0;
            (lo, hi.max(lo + 100.0))
        });
        // Posts and patrols by ear cannot always tell a launch from an impact.
        let undetermined = match o.kind {
            SensorKind::Post | SensorKind::Patrol => rng.random_bool(0.25),
            SensorKind::Acoustic => rng.random_bool(0.1),
            _ => false,
        };
        Some(Report {
            undetermined,
            time,
            bearing: Some((bearing, sigma)),
            distance,
        })
    }

    fn nearest_s(&self, p: Point) -> f64 {
        // Only for splitting the UAVs' halves: the arc length of the line point nearest in
        // longitude-latitude among a coarse sampling is enough.
        let len = self.path.length();
        (0..200)
            .map(|i| i as f64 * len / 199.0)
            .min_by(|a, b| {
                let da = approx_distance(self.path.at(&self.g, *a).0, p);
                let db = approx_distance(self.path.at(&self.g, *b).0, p);
                da.total_cmp(&db)
            })
            .unwrap_or(0.0)
    }

    fn observation_json(
        &self,
        id: &str,
        o: &Observer,
        pos: Point,
        r: &Report,
        ev: &Event,
    ) -> Value {
        let e = &ev.truth;
        let mut v = json!({
            "id": id,
            "observer": o.id,
            "source": o.kind.source(),
            "time": ts(r.time),
        });
        let m = v.as_object_mut().unwrap();
        if o.kind == SensorKind::Uav {
            m.insert("kind".into(), json!(e.kind));
            m.insert(
                "location".into(),
                json!({"lon": round(e.location.lon, 6), "lat": round(e.location.lat, 6), "uncertainty_m": 30}),
            );
            m.insert("weapon".into(), json!(e.weapon));
            m.insert("party".into(), json!(e.party));
            m.insert("count".into(), json!(e.count));
            return v;
        }
        let (kind, subtype) = match (o.kind, e.kind, e.subtype) {
            (SensorKind::Camera, "explosion", Some("outgoing")) => ("muzzle_flash", None),
            (_, "explosion", Some(_)) if r.undetermined => ("explosion", Some("undetermined")),
            (_, "explosion", Some(s)) => ("explosion", Some(s)),
            (_, k, _) => (k, None),
        };
        m.insert("kind".into(), json!(kind));
        if let Some(s) = subtype {
            m.insert("subtype".into(), json!(s));
        }
        m.insert(
            "observer_position".into(),
            json!({"lon": round(pos.lon, 6), "lat": round(pos.lat, 6)}),
        );
        if let Some((b, sigma)) = r.bearing {
            m.insert("bearing_deg".into(), json!(round(b, 1)));
            m.insert("bearing_sigma_deg".into(), json!(sigma));
        }
        if let Some((lo, hi)) = r.distance {
            m.insert("distance_m".into(), json!({"min": lo, "max": hi}));
        }
        if e.weapon.as_deref() == Some("small_arms") {
            m.insert("weapon".into(), json!("small_arms"));
        }
        v
    }

    fn false_alarm(
        &self,
        rng: &mut ChaCha8Rng,
        start: jiff::Timestamp,
        span_s: f64,
        new_id: &mut impl FnMut(usize) -> String,
    ) -> (jiff::Timestamp, Value) {
        let candidates: Vec<usize> = (0..self.observers.len())
            .filter(|&i| self.observers[i].kind != SensorKind::Uav)
            .collect();
        let oi = candidates[rng.random_range(0..candidates.len())];
        let o = &self.observers[oi];
        let t = start + jiff::SignedDuration::from_secs_f64(rng.random_range(0.0..span_s));
        let d = rng.random_range(1_000.0..10_000.0);
        // A false alarm looks like a real report: the same kinds and subtypes.
        let explosion = rng.random_bool(0.7);
        let subtype = if rng.random_bool(0.5) {
            "outgoing"
        } else {
            "impact"
        };
        let fake = Event {
            truth: TruthEvent {
                id: String::new(),
                time: t,
                location: direct(&self.g, o.position, rng.random_range(0.0..360.0), d),
                kind: if explosion { "explosion" } else { "burst" },
                subtype: explosion.then_some(subtype),
                weapon: (!explosion).then(|| "small_arms".to_string()),
                party: None,
                count: 1,
                observations: Vec::new(),
                ripple: None,
            },
            emission: Emission {
                audible_m: 0.0,
                visible_m: 0.0,
            },
            exchange: None,
        };
        let (_, az) = inverse(&self.g, o.position, fake.truth.location);
        let sigma = o.kind.bearing_sigma();
        let distance = matches!(o.kind, SensorKind::Post | SensorKind::Patrol).then(|| {
            (
                (d * 0.6 / 100.0).floor() * 100.0,
                (d * 1.6 / 100.0).ceil() * 100.0,
            )
        });
        let report = Report {
            undetermined: matches!(o.kind, SensorKind::Post | SensorKind::Patrol)
                && rng.random_bool(0.25),
            time: t,
            bearing: Some((az, sigma)),
            distance,
        };
        (
            t,
            self.observation_json(&new_id(oi), o, o.position, &report, &fake),
        )
    }
}

struct Report {
    /// The observer could not tell an outgoing round from an impact.
    undetermined: bool,
    time: jiff::Timestamp,
    bearing: Option<(f64, f64)>,
    distance: Option<(f64, f64)>,
}

/// The two parties the line separates, as indices into the agreement's parties.
fn side_indices(a: &Agreement) -> [usize; 2] {
    let idx = |id: &str| a.parties.iter().position(|p| p.id == id).unwrap_or(0);
    [
        idx(&a.line_of_contact.between[0]),
        idx(&a.line_of_contact.between[1]),
    ]
}

fn truth(
    time: jiff::Timestamp,
    location: Point,
    kind: &'static str,
    subtype: Option<&'static str>,
    weapon: Option<&str>,
    party: Option<usize>,
    a: &Agreement,
) -> TruthEvent {
    TruthEvent {
        id: String::new(),
        time,
        location,
        kind,
        subtype,
        weapon: weapon.map(str::to_string),
        party: party.map(|i| a.parties[i].id.clone()),
        count: 1,
        observations: Vec::new(),
        ripple: None,
    }
}

/// A Poisson draw by inversion for small means and a rounded normal for large ones.
fn poisson_count(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 50.0 {
        let n = Normal::new(mean, mean.sqrt()).unwrap().sample(rng);
        return n.round().max(0.0) as usize;
    }
    let l = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// A small agreement for documentation examples.
#[doc(hidden)]
pub fn doc_agreement() -> Agreement {
    let files = truceline_agreement::MemoryFiles::from([
        (
            "a.geojson",
            r#"{"type":"Polygon","coordinates":[[[37,47],[38,47],[38,49],[37,49],[37,47]]]}"#,
        ),
        (
            "b.geojson",
            r#"{"type":"Polygon","coordinates":[[[38,47],[39,47],[39,49],[38,49],[38,47]]]}"#,
        ),
        (
            "line.geojson",
            r#"{"type":"LineString","coordinates":[[38,47],[38,49]]}"#,
        ),
    ]);
    let toml = r#"
id = "doc"
title = "Documentation example"
effective_from = "2015-02-14T22:00:00Z"
[line_of_contact]
between = ["a", "b"]
geometry = "line.geojson"
[[parties]]
id = "a"
name = "Party A"
area = "a.geojson"
[[parties]]
id = "b"
name = "Party B"
area = "b.geojson"
[[weapon_classes]]
id = "artillery"
name = "Artillery"
withdrawal_km = 25
range_km = 30
"#;
    truceline_agreement::load("doc.toml", toml, &files)
        .expect("the documentation agreement is valid")
}
