//! Fusion: the observations of one event become one incident, located with an honest error
//! ellipse and counted once (SPEC 2.4).
//!
//! [`fuse`] takes checked observations in any order and returns incidents and the observations
//! it set aside, each with a reason. It does no I/O. The same input gives the same output
//! whatever its order: observations are processed sorted by (time heard, id).
//!
//! One algorithm a module: `observations` (the prepared form every pass reads),
//! `association` (observations into episodes, episodes into events, counts over a
//! window), `salvos` (the rounds of a salvo), `merging` (episodes the order of
//! arrival kept apart), `calibration` (each observer's clock error, estimated and
//! corrected between passes), `ripples` (a salvo logged as one line beside its rounds),
//! `incidents` (an event's incident), `days` (a long input one
//! UTC day at a time). [`fuse`] runs them day by day; on each day [`fuse_span`] associates on a
//! sample with a loose time gate, estimates the clocks, associates everything again with a
//! tight one, and makes each event's incident.
//!
//! **Localisation** is in [`mod@locate`].

mod association;
mod calibration;
mod days;
mod incidents;
pub mod local;
pub mod locate;
mod merging;
mod observations;
mod ripples;
mod salvos;

use std::collections::HashMap;

use truceline_observation::{Kind, Observation, Source, Subtype};

use crate::local::{Plane, angle_diff, azimuth_distance, distance, norm};
use crate::locate::{
    Ellipse, Fix, MAX_ITERATIONS, Measurement, Term, bearing_dir, crossing, initial_guess,
    locate_terms, range_log_mean_sigma, range_residual,
};

pub use association::associate;
pub use calibration::{
    CALIBRATED_CLOCK_ERROR_S, CALIBRATION_BLOCK_S, CALIBRATION_PER_OBSERVER, calibration_stride,
    estimate_clocks,
};
pub use days::{DAY_MS, DayFusion, day_of, fuse, fuse_day, lookahead_ms};
#[allow(unused_imports)]
use {
    association::*, calibration::*, incidents::*, merging::*, observations::*, ripples::*,
    salvos::*,
};

/// The tunable figures of association; the defaults suit monitors with clocks within ±2 s.
#[derive(Debug, Clone)]
pub struct Config {
    pub speed_of_sound: f64,
    /// The largest error of one observer's clock, seconds.
    pub clock_error_s: f64,
    /// Farthest an event is sensed from, metres.
    pub max_range_m: f64,
    /// Residual gate, in sigmas.
    pub gate: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            speed_of_sound: 343.0,
            clock_error_s: 2.0,
            max_range_m: 50_000.0,
            gate: 3.0,
        }
    }
}

impl Config {
    /// How long after its event time an incident can still gain observations.
    pub fn window_s(&self) -> f64 {
        self.max_range_m / self.speed_of_sound + 2.0 * self.clock_error_s + 1.0
    }
    /// Largest gap between two observers' estimates of one event's time.
    pub(crate) fn time_gate_s(&self) -> f64 {
        2.0 * self.clock_error_s + 0.5
    }
}

/// What sort of event an observation reports, for deciding which can be one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A weapon fired: an outgoing explosion, a muzzle flash.
    Launch,
    /// A round landed: an impact or airburst.
    Impact,
    /// An explosion the observer could not place at either end.
    Explosion,
    SmallArms,
    Weapon,
    Other(Kind),
}

impl Class {
    pub(crate) fn of(o: &Observation) -> Class {
        match o.kind {
            Kind::Explosion => match o.subtype {
                Some(Subtype::Outgoing) => Class::Launch,
                Some(Subtype::Impact | Subtype::Airburst) => Class::Impact,
                _ => Class::Explosion,
            },
            Kind::MuzzleFlash => Class::Launch,
            Kind::Burst | Kind::Shot => Class::SmallArms,
            Kind::Weapon => Class::Weapon,
            k => Class::Other(k),
        }
    }

    /// The class of one event both could be, if any.
    pub(crate) fn meet(self, other: Class) -> Option<Class> {
        use Class::*;
        match (self, other) {
            (a, b) if a == b => Some(a),
            (Explosion, x @ (Launch | Impact)) | (x @ (Launch | Impact), Explosion) => Some(x),
            _ => None,
        }
    }

    /// A number for each class, below 32: its bit in [`Class::meets`].
    const fn number(self) -> u32 {
        match self {
            Class::Launch => 0,
            Class::Impact => 1,
            Class::Explosion => 2,
            Class::SmallArms => 3,
            Class::Weapon => 4,
            Class::Other(k) => 5 + k as u32,
        }
    }

    /// The classes `self` meets ([`Class::meet`]), as a bit for each [`Class::number`]: one
    /// test of a bit, where association asks it of every open episode for every observation.
    pub(crate) fn meets(self) -> u32 {
        let bit = |c: Class| 1 << c.number();
        match self {
            Class::Explosion => bit(Class::Explosion) | bit(Class::Launch) | bit(Class::Impact),
            Class::Launch | Class::Impact => bit(self) | bit(Class::Explosion),
            _ => bit(self),
        }
    }

    pub fn is_fire(self) -> bool {
        matches!(
            self,
            Class::Launch | Class::Impact | Class::Explosion | Class::SmallArms
        )
    }
}

/// Each observer's clock error as estimated from the data, seconds (subtracted from its times).
pub type ClockOffsets = HashMap<String, f64>;

pub use truceline_incident::Basis;

/// An incident before assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub class: Class,
    pub kind: Kind,
    pub subtype: Option<Subtype>,
    pub time: jiff::Timestamp,
    pub time_end: Option<jiff::Timestamp>,
    pub location: (f64, f64),
    /// Covariance of east and north in m², where located.
    pub cov: Option<[[f64; 2]; 2]>,
    pub ellipse: Option<Ellipse>,
    pub basis: Basis,
    pub count: u32,
    pub weapon: Option<String>,
    /// Indices into the input.
    pub observations: Vec<usize>,
}

/// Fuses observations of one span (in practice a day, see [`fuse`]) into incidents, in three
/// passes. The first associates with the clock
/// gate wide enough for any observer's stated clock error, and from the well-located incidents
/// it yields estimates each observer's clock error (the median of how far its times fall from
/// the others'); the second associates again on corrected clocks with a tight gate, which is
/// what tells apart the rounds of a salvo a few seconds apart, and refines the clocks; the
/// third associates on the refined clocks.
///
/// The first two passes only calibrate the clocks, and a clock's median residual needs far
/// fewer incidents than a day holds: on a large input they see a sample of it, whole blocks of
/// [`CALIBRATION_BLOCK_S`] spread over the whole span (see [`calibration_stride`]).
pub fn fuse_span(obs: &[Observation], c: &Config) -> SpanFusion {
    let observers = Observers::new(obs);
    let base = convert(obs, &observers);
    let stride = calibration_stride(obs.len(), observers.names.len());
    let none = vec![None; observers.names.len()];
    let all = prepare(obs, &base, &none, stride);
    let first = associate_prepared(obs, &all, c);
    let mut clocks = clock_errors(obs.len(), &all, &first, c, &none);
    let tight = Config {
        clock_error_s: CALIBRATED_CLOCK_ERROR_S.min(c.clock_error_s),
        ..c.clone()
    };
    // Once more on the corrected clocks: the second estimate rests on cleaner incidents.
    let all = prepare(obs, &base, &clocks, stride);
    let second = associate_prepared(obs, &all, &tight);
    clocks = clock_errors(obs.len(), &all, &second, c, &clocks);
    let all = prepare(obs, &base, &clocks, 1);
    let at = positions(obs.len(), &all);
    let incidents = associate_prepared(obs, &all, &tight)
        .into_iter()
        .map(|g| incident(obs, g, &tight, &all, &at))
        .collect();
    SpanFusion {
        incidents,
        clocks: observers.named(&clocks),
    }
}

/// What fusing one span made.
#[derive(Debug, Clone)]
pub struct SpanFusion {
    pub incidents: Vec<Incident>,
    /// The clock errors fusion estimated and corrected, by observer.
    pub clocks: ClockOffsets,
}

/// The result of fusion.
#[derive(Debug, Clone)]
pub struct Fusion {
    pub incidents: Vec<Incident>,
    /// The clock errors estimated on each UTC day (see [`day_of`]), by observer, in day order.
    pub clocks: Vec<(i64, ClockOffsets)>,
    /// Each day's incidents, as a range of `incidents`, in day order.
    pub days: Vec<(i64, std::ops::Range<usize>)>,
}
