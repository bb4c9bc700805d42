//! Association: observations into episodes (one place over a short time), and episodes into
//! events.
//!
//! [`associate`] goes through the observations in the order they were sensed and puts each
//! into the open episode it fits best, or opens one. An observation fits when its kind is
//! compatible (an outgoing explosion heard by a post and the muzzle flash a camera saw are one
//! event; an outgoing round and an impact are not); its bearing, taken as a ray from the
//! observer, passes the episode's estimated position within 3 sigmas of its stated error and
//! the position's own uncertainty (or crosses the episode's single ray ahead of both
//! observers); its distance range contains the position; and the event time it implies — heard
//! time minus the sound's travel at 343 m/s, or the seen time for light — agrees with the
//! episode's within twice the observers' clock error. Of the episodes it fits, it joins the one
//! with the smallest normalised residual. An episode is one place over a short time: an
//! observer in it twice makes it a salvo (`salvos`). When it closes, an episode is
//! split into events.
//!
//! **Counts over a window.** An observation with `count` and `time_end` ("12 bursts between
//! 14:02 and 14:09, south-east") stands for several events. Windowed observations of the same
//! kind whose windows overlap (allowing for the clock error and sound delay) and whose bearings
//! agree on a place are one incident whose count is the **largest** of their counts, not the
//! sum: each observer counted the same exchange. Single observations of the same kind within
//! the window and area are folded into it. What other observers heard at times the largest
//! count's reports leave out adds to it, a window's first and last events among them (see
//! `incidents`): the count is a lower bound on the events heard, never a guess at what nobody
//! reported.

#[allow(unused_imports)]
use super::*;

/// Where an open incident is thought to be.
#[derive(Debug, Clone)]
pub(crate) enum Whereabouts {
    /// Located at the origin of `plane`, the tangent plane there (distances and azimuths to the
    /// place are taken in it, without a trigonometric call), with the covariance of east and
    /// north, and the place's uncertainty as one figure ([`mean_sigma`]), alone and widened for
    /// a salvo's rounds ([`SALVO_SCATTER_M`]): every observation that could join is tested
    /// against them, a dozen times for each time the place moves.
    Fix {
        cov: [[f64; 2]; 2],
        plane: Plane,
        sigma: f64,
        salvo_sigma: f64,
    },
    /// Only a direction from one observer, with the tangent plane at the observer (its origin)
    /// and the direction's sine and cosine, for crossing it with other rays without
    /// trigonometry.
    Ray {
        deg: f64,
        sigma_deg: f64,
        plane: Plane,
        dir: (f64, f64),
    },
    /// Only near an observer.
    Near {
        observer_at: (f64, f64),
    },
    Nowhere,
}

impl Whereabouts {
    pub(crate) fn fix(at: (f64, f64), cov: [[f64; 2]; 2]) -> Whereabouts {
        let sigma = mean_sigma(&cov);
        Whereabouts::Fix {
            cov,
            plane: Plane::new(at),
            sigma,
            salvo_sigma: norm(sigma, SALVO_SCATTER_M),
        }
    }
}

/// An episode being gathered: observations of one place over a short time, possibly several
/// events (the rounds of a salvo), split into events when it closes.
#[derive(Debug, Clone)]
pub(crate) struct Open {
    pub(crate) members: Vec<usize>,
    pub(crate) class: Class,
    pub(crate) whereabouts: Whereabouts,
    /// Earliest and latest event time the members imply, seconds.
    pub(crate) t_min: f64,
    pub(crate) t_max: f64,
    /// Latest time any member was sensed (the end of its window, for a counted one).
    pub(crate) sensed_end: f64,
    pub(crate) windowed: bool,
    /// The observations that can join: [`admission_of`] bits, from the class and `windowed`.
    pub(crate) admitting: u64,
    /// Some observer is in it twice: it holds several rounds.
    pub(crate) salvo: bool,
}

/// The place's uncertainty as one figure, metres: the root of the covariance's mean variance.
pub(crate) fn mean_sigma(cov: &[[f64; 2]; 2]) -> f64 {
    (0.5 * (cov[0][0] + cov[1][1])).max(0.0).sqrt()
}

/// An observation's bit among those an episode admits: its class's, among the single reports'
/// or, for a window, the windows' (kept in [`Obs::admission`]).
pub(crate) fn admission_of(class: Class, windowed: bool) -> u64 {
    1 << (class.number() + if windowed { 32 } else { 0 })
}

/// The [`admission_of`] bits of what can join an episode of `class`: a window with windows, a
/// single report with single reports, and of a class it meets.
pub(crate) fn admitting(class: Class, windowed: bool) -> u64 {
    u64::from(class.meets()) << if windowed { 32 } else { 0 }
}

/// The most a sequence's shift is widened for the place's uncertainty, seconds: less than the
/// shortest gap between rounds, so that a sequence cannot slip by a whole round.
pub(crate) const SPLIT_SHIFT_MAX_S: f64 = 3.0;

/// Longest pause between two rounds of one fire mission, seconds.
pub(crate) const MAX_ROUND_GAP_S: f64 = 12.0;

impl Open {
    pub(crate) fn new(o: &Obs, idx: usize, c: &Config, all: &[Obs]) -> Open {
        // Room for a few members: most episodes that take a second take a third, and a
        // vector of one would be moved on the first.
        let mut members = Vec::with_capacity(4);
        members.push(idx);
        let mut h = Open {
            members,
            class: o.class,
            whereabouts: Whereabouts::Nowhere,
            t_min: o.t,
            t_max: o.t,
            sensed_end: o.sensed_end(),
            windowed: o.t_end.is_some(),
            admitting: admitting(o.class, o.t_end.is_some()),
            salvo: false,
        };
        h.refresh(all, c);
        h
    }

    /// Counts `m` a member, with its class and when it was sensed; the place and event times
    /// are left to the caller.
    pub(crate) fn take_in(&mut self, m: usize, all: &[Obs]) {
        // An observer reports one event once: a second report of its is another round.
        self.salvo = self.salvo
            || self
                .members
                .iter()
                .any(|&x| all[x].observer == all[m].observer);
        self.members.push(m);
        self.sensed_end = self.sensed_end.max(all[m].sensed_end());
        self.class = self.class.meet(all[m].class).unwrap_or(self.class);
        self.admitting = admitting(self.class, self.windowed);
    }

    /// Takes in member `m`. The place is updated by one recursive least-squares step where that
    /// is safe, and solved again from all members otherwise — and whenever the count of members
    /// reaches a power of four, so that linearisation errors cannot build up while the cost of
    /// an episode stays linear in its size. (At powers of two, the full solutions were a seventh
    /// of fusion's instructions, for scores the same within ±0.003 of F1 on the harness, the
    /// held-out days and the ripple curve, some up and some down.)
    pub(crate) fn add(&mut self, m: usize, all: &[Obs], c: &Config) {
        self.take_in(m, all);
        let n = self.members.len();
        if !(n.is_power_of_two() && n.trailing_zeros().is_multiple_of(2))
            && let Whereabouts::Fix {
                cov, plane, sigma, ..
            } = self.whereabouts
        {
            let mut ms = arrayvec::ArrayVec::<Term, 3>::new();
            all[m].terms(&mut ms);
            // A step within the place's own sigma: the linearisation's error over it is second
            // order (a few per cent of the step at the distances observers hear from). A third
            // of the sigma sent half the additions of a salvo's rounds to a full solution, with
            // the same association (seeds 1, 4 and 5).
            let max_step = sigma.max(1.0);
            if let Some((next, cov)) =
                crate::locate::update_terms(&plane, cov, &ms, c.max_range_m, max_step)
            {
                let moved = plane.distance_from(next);
                self.whereabouts = Whereabouts::fix(next, cov);
                // Event times move with the place by its shift over the speed of sound; past a
                // tenth of a second they are recomputed.
                if moved / c.speed_of_sound > 0.1 {
                    self.retime(all, c);
                } else if let Whereabouts::Fix { plane, .. } = &self.whereabouts {
                    let t = all[m].event_time_at(plane, c);
                    self.t_min = self.t_min.min(t);
                    self.t_max = self.t_max.max(t);
                }
                return;
            }
        }
        self.refresh(all, c);
    }

    /// Re-locates from the members and re-estimates the span of event times.
    pub(crate) fn refresh(&mut self, all: &[Obs], c: &Config) {
        let members = || self.members.iter().map(|&m| &all[m]);
        // Start from where the episode was: one more observation moves it little.
        let fix = match &self.whereabouts {
            Whereabouts::Fix { plane, .. } => with_gathered(members(), |ts| {
                locate_terms(ts, plane.origin, c.max_range_m, 1)
            })
            .or_else(|| locate_anew(members(), c)),
            _ => locate_anew(members(), c),
        };
        self.whereabouts = match fix {
            Some(fix) => Whereabouts::fix(fix.position, fix.cov),
            None => {
                let first = &all[self.members[0]];
                match (first.pos, first.bearing, first.bearing_dir) {
                    (Some(from), Some((deg, sigma_deg)), Some(dir)) => Whereabouts::Ray {
                        deg,
                        sigma_deg,
                        plane: Plane::new(from),
                        dir,
                    },
                    (Some(p), None, _) => Whereabouts::Near { observer_at: p },
                    _ => Whereabouts::Nowhere,
                }
            }
        };
        self.retime(all, c);
    }

    /// Re-estimates the span of event times from the members and the place.
    pub(crate) fn retime(&mut self, all: &[Obs], c: &Config) {
        let times = self.members.iter().map(|&m| match &self.whereabouts {
            Whereabouts::Fix { plane, .. } => all[m].event_time_at(plane, c),
            // Unlocated: the time sensed, an upper bound on the event's.
            _ => all[m].t,
        });
        (self.t_min, self.t_max) = times.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
            (a.min(t), b.max(t))
        });
    }

    /// How far `t` lies outside the episode's span of event times, seconds.
    pub(crate) fn outside(&self, t: f64) -> f64 {
        if t < self.t_min {
            self.t_min - t
        } else if t > self.t_max + MAX_ROUND_GAP_S {
            t - self.t_max - MAX_ROUND_GAP_S
        } else {
            0.0
        }
    }

    /// Whether `o` is of a kind that can join at all: a window with windows, a single report
    /// with single reports, and of a compatible class. Most open episodes fail this, and the
    /// association loop asks it before the call to [`Open::fit`].
    #[inline]
    pub(crate) fn admits(&self, o: &Obs) -> bool {
        self.admitting & o.admission != 0
    }

    /// How well `o` fits, as a sum of squared normalised residuals, or `None` if it does not.
    pub(crate) fn fit(&self, o: &Obs, all: &[Obs], c: &Config) -> Option<f64> {
        if !self.admits(o) {
            return None;
        }
        let gate_t = c.time_gate_s();
        match &self.whereabouts {
            Whereabouts::Fix {
                plane,
                sigma,
                salvo_sigma,
                ..
            } => {
                // A salvo's place is the rounds' common place: a report of one of its rounds is
                // judged against it widened by how far the rounds and the place fitted to a mix
                // of them may lie from it.
                let pos_sigma = if self.salvo { *salvo_sigma } else { *sigma };
                // The cheap tests first, distance and then time: they turn most episodes away
                // before any trigonometric call or logarithm.
                let seen = match o.pos {
                    Some(p) => {
                        let (e, n, conv) = plane.towards(p, [0.0, 0.0]);
                        let d = (e * e + n * n).sqrt();
                        if d > c.max_range_m + 3.0 * pos_sigma {
                            return None;
                        }
                        Some((e, n, conv, d))
                    }
                    None => None,
                };
                let time_score = if self.windowed {
                    0.0
                } else {
                    // Where the place is uncertain, so is the sound's travel time to each
                    // observer.
                    let slack = 2.0 * pos_sigma / c.speed_of_sound;
                    let t = match seen {
                        Some((.., d)) if o.sound => o.t - d / c.speed_of_sound,
                        _ => o.t,
                    };
                    let dt = self.outside(t);
                    if dt > gate_t + slack {
                        return None;
                    }
                    dt * dt / ((gate_t / 2.0).powi(2) + slack * slack)
                };
                let mut score = 0.0;
                if let Some((e, n, conv, d)) = seen {
                    if let Some((deg, sigma)) = o.bearing {
                        let az = (crate::local::atan2(e, n) - conv).to_degrees();
                        let ang = (pos_sigma / d.max(1.0)).atan().to_degrees();
                        let r = angle_diff(deg, az) / (sigma * sigma + ang * ang).sqrt();
                        if r.abs() > c.gate {
                            return None;
                        }
                        score += r * r;
                    }
                    if let Some((mu, s)) = o.range_log {
                        // The place's own uncertainty, as a share of the distance.
                        let share = pos_sigma / d.max(1.0);
                        let r = (d.max(1.0).ln() - mu) / (s * s + share * share).sqrt();
                        if r.abs() > c.gate {
                            return None;
                        }
                        score += r * r;
                    }
                }
                if let Some((q, s)) = o.point {
                    let d = plane.distance_from(q);
                    let r = d / (s * s + pos_sigma * pos_sigma).sqrt();
                    if r > c.gate {
                        return None;
                    }
                    score += r * r;
                }
                if self.windowed {
                    return self.window_overlaps(o, all, c).then_some(score);
                }
                Some(score + time_score)
            }
            Whereabouts::Ray {
                deg,
                sigma_deg,
                plane,
                dir,
            } => {
                let first = &all[self.members[0]];
                // The same observer again, the same way: more of the same episode (a salvo).
                if o.observer == first.observer {
                    let (d2, s2) = o.bearing?;
                    let r = angle_diff(d2, *deg) / norm(*sigma_deg, s2);
                    let dt = self.outside(o.t);
                    return (r.abs() <= c.gate && dt <= 0.5).then_some(r * r + 1.0);
                }
                // A ray from (nearly) the same place: observers side by side (a camera at a
                // post) cannot cross their bearings; they agree if their bearings do and the
                // sound came after the light, no later than from the farthest reach.
                if let (Some(p), Some((d2, s2))) = (o.pos, o.bearing)
                    && plane.distance_from(p) < COLOCATED_M
                {
                    let r = angle_diff(d2, *deg) / norm(*sigma_deg, s2);
                    let span = c.max_range_m / c.speed_of_sound + c.time_gate_s();
                    let dt = o.t - self.t_min;
                    return (r.abs() <= c.gate && dt > -span && dt < span + MAX_ROUND_GAP_S)
                        .then_some(r * r + 1.0);
                }
                // A second ray: the crossing is where the event was, if the times agree there.
                let (cross, cross_sigma) = match (o.pos, o.bearing, o.point) {
                    (Some(p), Some((d2, s2)), _) => {
                        let (x, s, t) = crossing(plane, *dir, p, o.bearing_dir?, c.max_range_m)?;
                        let cut = angle_diff(*deg, d2).to_radians().sin().abs().max(0.05);
                        let e = norm(s * sigma_deg.to_radians(), t * s2.to_radians()) / cut;
                        (x, e)
                    }
                    (_, _, Some((q, sq))) => {
                        let (az, _) = azimuth_distance(plane.origin, q);
                        if angle_diff(az, *deg).abs() > c.gate * sigma_deg {
                            return None;
                        }
                        (q, sq)
                    }
                    _ => return None,
                };
                if let (Some(p), Some((min, max))) = (o.pos, o.range) {
                    let d = distance(p, cross);
                    if range_residual(d, min, max).0.abs() > c.gate {
                        return None;
                    }
                }
                if self.windowed {
                    return self.window_overlaps(o, all, c).then_some(1.0);
                }
                let (lo, hi) = self
                    .members
                    .iter()
                    .map(|&m| all[m].event_time(cross, c))
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
                        (a.min(t), b.max(t))
                    });
                let t = o.event_time(cross, c);
                let dt = if t < lo {
                    lo - t
                } else if t > hi + MAX_ROUND_GAP_S {
                    t - hi - MAX_ROUND_GAP_S
                } else {
                    0.0
                };
                let slack = 2.0 * cross_sigma.min(c.max_range_m) / c.speed_of_sound;
                if dt > gate_t + slack {
                    return None;
                }
                // A crossing is fitted exactly by two rays; charge for the freedom it had.
                Some(1.0 + dt * dt / ((gate_t / 2.0).powi(2) + slack * slack))
            }
            Whereabouts::Near { observer_at } => {
                let p = o.pos.or(o.point.map(|p| p.0))?;
                let d = distance(*observer_at, p);
                if d > 2.0 * c.max_range_m {
                    return None;
                }
                let dt = self.outside(o.t);
                (dt <= gate_t + d / c.speed_of_sound).then_some(4.0 + (dt / (gate_t / 2.0)).powi(2))
            }
            Whereabouts::Nowhere => None,
        }
    }

    /// For windowed incidents: whether `o`'s window overlaps any member's, allowing for clock
    /// error and sound delay.
    pub(crate) fn window_overlaps(&self, o: &Obs, all: &[Obs], c: &Config) -> bool {
        let slack = c.time_gate_s() + c.max_range_m / c.speed_of_sound;
        let (s, e) = (o.t, o.t_end.unwrap_or(o.t));
        self.members.iter().any(|&m| {
            let (s2, e2) = (all[m].t, all[m].t_end.unwrap_or(all[m].t));
            s <= e2 + slack && s2 <= e + slack
        })
    }

    /// The last time an observation could still join.
    pub(crate) fn closes_at(&self, c: &Config) -> f64 {
        self.sensed_end.max(self.t_max + MAX_ROUND_GAP_S) + c.window_s()
    }

    /// Splits a closed episode into events. An observer reports one event once, so an episode
    /// in which every observer appears once is one event. Otherwise it is a salvo: each
    /// observer's reports are the rounds it heard, in order, shifted by its own clock error and
    /// the sound's travel from one common place. Each observer's sequence is aligned to the
    /// rounds of those before it by the shift (within the clock gate) that best explains it
    /// (see [`Salvo`]); what pairs joins a round, what does not starts one.
    ///
    /// The events go to `out`, not a vector of their own: most episodes are one, and a vector
    /// for each would be an allocation for nothing.
    pub(crate) fn split(
        self,
        all: &[Obs],
        c: &Config,
        out: &mut Vec<Vec<usize>>,
        scratch: &mut Scratch,
    ) {
        // `salvo` says whether some observer is in it twice: most episodes are one event, and
        // are not taken apart by observer to learn so.
        if self.windowed || !self.salvo {
            out.push(self.members);
            return;
        }
        let tau = |m: usize| match &self.whereabouts {
            Whereabouts::Fix { plane, .. } => all[m].event_time_at(plane, c),
            _ => all[m].t,
        };
        // Each observer's reports in event time, one after another in one vector: a sequence
        // is a slice of it.
        let mut reports: Vec<(usize, f64, usize)> = self
            .members
            .iter()
            .map(|&m| (all[m].observer, tau(m), m))
            .collect();
        reports.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let timed: Vec<(f64, usize)> = reports.iter().map(|&(_, t, m)| (t, m)).collect();
        let mut seqs: Vec<&[(f64, usize)]> = reports
            .chunk_by(|a, b| a.0 == b.0)
            .scan(0, |start, run| {
                let seq = &timed[*start..*start + run.len()];
                *start += run.len();
                Some(seq)
            })
            .collect();
        // The longest sequence first: it saw the most rounds.
        seqs.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].1.cmp(&b[0].1)));
        // An error in the common place shifts each observer's event times by up to twice its
        // size over the speed of sound (nearer observers one way, farther ones the other): the
        // shift an observer's sequence may take allows for that as well as for its clock.
        let pos_sigma = match &self.whereabouts {
            Whereabouts::Fix { sigma, .. } => *sigma,
            _ => 0.0,
        };
        let gate = c.time_gate_s() + (2.0 * pos_sigma / c.speed_of_sound).min(SPLIT_SHIFT_MAX_S);
        // Each sequence's line of sight to the common place (see `Salvo::sight`).
        let sight: Vec<[f64; 2]> = seqs
            .iter()
            .map(|seq| {
                let o = &all[seq[0].1];
                match (&self.whereabouts, o.sound, o.pos) {
                    (Whereabouts::Fix { plane, .. }, true, Some(p)) => {
                        let (e, n, _) = plane.towards(p, [0.0, 0.0]);
                        let d = norm(e, n);
                        if d > 1.0 { [e / d, n / d] } else { [0.0, 0.0] }
                    }
                    _ => [0.0, 0.0],
                }
            })
            .collect();
        let mut salvo = Salvo::reusing(
            seqs[0],
            sight,
            pos_sigma / c.speed_of_sound,
            std::mem::take(scratch),
        );
        for (s, seq) in seqs.iter().enumerate().skip(1) {
            salvo.place(s, seq, gate, false);
        }
        if salvo.close() {
            salvo.refine(&seqs, gate);
        }
        let (mut rounds, left) = salvo.into_parts();
        *scratch = left;
        // A report that paired with nothing is more likely a round its observer heard late or
        // early than a round nobody else heard: it joins the nearest round that lacks its
        // observer, if one is within twice the pairing tolerance.
        let observer_of = |m: usize| all[m].observer;
        let mut k = 0;
        while k < rounds.len() {
            if rounds[k].1.len() == 1 && rounds.len() > 1 {
                let (t, m) = (rounds[k].0, rounds[k].1[0]);
                let target = rounds
                    .iter()
                    .enumerate()
                    .filter(|(r, x)| {
                        *r != k
                            && x.1.len() > 1
                            && (x.0 - t).abs() <= 2.0 * PAIR_TOL_S
                            && x.1.iter().all(|&q| observer_of(q) != observer_of(m))
                    })
                    .min_by(|a, b| (a.1.0 - t).abs().total_cmp(&(b.1.0 - t).abs()))
                    .map(|(r, _)| r);
                if let Some(r) = target {
                    rounds[r].1.push(m);
                    rounds.remove(k);
                    continue;
                }
            }
            k += 1;
        }
        out.extend(rounds.into_iter().map(|(_, m)| m));
    }
}

/// The groups of observations (indices into the caller's slice) that are one event each, in
/// order of their first observation.
pub fn associate(obs: &[Observation], c: &Config, clocks: &ClockOffsets) -> Vec<Vec<usize>> {
    let observers = Observers::new(obs);
    let base = convert(obs, &observers);
    associate_prepared(obs, &prepare(obs, &base, &observers.offsets(clocks), 1), c)
        .into_iter()
        .map(|g| g.members)
        .collect()
}

/// The observations of one event, and where the episode they came from was placed: a start
/// for locating the event on its own.
pub(crate) struct Group {
    /// Indices into the caller's slice, in (time, id) order.
    pub(crate) members: Vec<usize>,
    pub(crate) near: Option<(f64, f64)>,
}

/// As [`associate`], on observations prepared in the order they were sensed.
pub(crate) fn associate_prepared(obs: &[Observation], all: &[Obs], c: &Config) -> Vec<Group> {
    let mut open: Vec<Open> = Vec::new();
    let mut closed: Vec<Open> = Vec::new();
    let mut next_close = f64::INFINITY;
    for (i, o) in all.iter().enumerate() {
        // Close what can no longer grow: looked for only once the earliest an episode could
        // close has passed, not at every observation. (`next_close` may be early, never late:
        // an episode's closing moves when it takes a member, and the minimum is then taken
        // with it again.)
        if o.t > next_close {
            next_close = f64::INFINITY;
            let mut k = 0;
            while k < open.len() {
                let at = open[k].closes_at(c);
                if at < o.t {
                    closed.push(open.swap_remove(k));
                } else {
                    next_close = next_close.min(at);
                    k += 1;
                }
            }
        }
        let best = open
            .iter()
            .enumerate()
            .filter(|(_, h)| h.admits(o))
            .filter_map(|(k, h)| h.fit(o, all, c).map(|s| (k, s)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let k = match best {
            Some((k, _)) => {
                open[k].add(i, all, c);
                k
            }
            None => {
                open.push(Open::new(o, i, c, all));
                open.len() - 1
            }
        };
        next_close = next_close.min(open[k].closes_at(c));
    }
    closed.extend(open);
    let episodes = merge(closed, all, c);
    let mut groups: Vec<Group> = Vec::with_capacity(episodes.len());
    let (mut events, mut scratch) = (Vec::new(), Scratch::default());
    for h in episodes {
        let near = match h.whereabouts {
            Whereabouts::Fix { plane, .. } => Some(plane.origin),
            _ => None,
        };
        h.split(all, c, &mut events, &mut scratch);
        groups.extend(events.drain(..).map(|mut g| {
            // In (time, id) order, not input order: the same incidents from any ordering,
            // down to the last bit of their computed positions.
            for m in &mut g {
                *m = all[*m].index;
            }
            g.sort_unstable_by(|&a, &b| time_and_id(obs, a, b));
            Group { members: g, near }
        }));
    }
    ripples::corroborate(&mut groups, all, &positions(obs.len(), all), c);
    for g in &mut groups {
        g.members.sort_unstable_by(|&a, &b| time_and_id(obs, a, b));
    }
    // No two groups share a first member: the order is total.
    let firsts: Vec<usize> = groups.iter().map(|g| g.members[0]).collect();
    let mut groups: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    time_and_id_order(obs, &firsts)
        .into_iter()
        .filter_map(|k| groups[k].take())
        .collect()
}

/// Locates a group from where its episode was, or from the measurements alone.
pub(crate) fn locate_group(members: &[&Obs], near: Option<(f64, f64)>, c: &Config) -> Option<Fix> {
    let members = || members.iter().copied();
    match near {
        // As `locate::locate_from`.
        Some(at) => with_gathered(members(), |ts| {
            locate_terms(ts, at, c.max_range_m, MAX_ITERATIONS)
        }),
        None => locate_anew(members(), c),
    }
}

/// As [`locate`](crate::locate::locate), from a start the measurements give, on the solver's terms the observations
/// already hold (not worked out again from their measurements).
fn locate_anew<'a>(
    members: impl ExactSizeIterator<Item = &'a Obs> + Clone,
    c: &Config,
) -> Option<Fix> {
    let start = with_gathered(members.clone(), |ms| initial_guess(ms, c.max_range_m))?;
    with_gathered(members, |ts| {
        locate_terms(ts, start, c.max_range_m, MAX_ITERATIONS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits say what [`Class::meet`] and the windows say, for every pair of classes.
    #[test]
    fn admission_bits_agree_with_meet() {
        let classes: Vec<Class> = [
            Class::Launch,
            Class::Impact,
            Class::Explosion,
            Class::SmallArms,
            Class::Weapon,
        ]
        .into_iter()
        .chain(Kind::ALL.iter().map(|&k| Class::Other(k)))
        .collect();
        let mut admitted = 0;
        for &a in &classes {
            for &b in &classes {
                for (wa, wb) in [(false, false), (false, true), (true, false), (true, true)] {
                    let bits = admitting(a, wa) & admission_of(b, wb) != 0;
                    let rule = wa == wb && a.meet(b).is_some();
                    assert_eq!(bits, rule, "{a:?} (window {wa}) admits {b:?} (window {wb})");
                    admitted += usize::from(bits);
                }
            }
        }
        // Each class with itself, twice (windows and not), and explosions with either end.
        assert_eq!(admitted, 2 * classes.len() + 2 * 4);
    }
}
