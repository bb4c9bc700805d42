//! Localisation: where an event was, from the bearings, distance ranges and direct locations of
//! the observations that sensed it, with its covariance.
//!
//! Weighted non-linear least squares (Gauss–Newton with step halving) in a tangent plane at the
//! current estimate, re-centred whenever the estimate has moved a kilometre from its origin so
//! that the plane is exact where it matters.
//! Robust: residuals past 2.5 sigmas are down-weighted (Huber), so one wild bearing cannot drag
//! the solution. Bounded: a step never takes the estimate behind an observer that gave a
//! bearing, nor beyond the farthest distance anything is sensed from.
//!
//! ```
//! use truceline_fusion::locate::{locate, Measurement};
//! use truceline_fusion::local::azimuth_distance;
//! let event = (37.90, 48.10);
//! let a = (37.80, 48.05);
//! let b = (38.00, 48.05);
//! let m = [
//!     Measurement::Bearing { from: a, deg: azimuth_distance(a, event).0, sigma_deg: 2.0 },
//!     Measurement::Bearing { from: b, deg: azimuth_distance(b, event).0, sigma_deg: 2.0 },
//! ];
//! let fix = locate(&m, 30_000.0).unwrap();
//! assert!(azimuth_distance(fix.position, event).1 < 1.0);
//! assert!(fix.ellipse().major > fix.ellipse().minor);
//! ```

use crate::local::{Plane, angle_diff, norm};

/// One piece of evidence about where an event was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measurement {
    /// Direction from an observer, degrees from true north, with its 1-sigma error.
    Bearing {
        from: (f64, f64),
        deg: f64,
        sigma_deg: f64,
    },
    /// Distance from an observer, as the stated range.
    Range {
        from: (f64, f64),
        min: f64,
        max: f64,
    },
    /// A position sensed directly, with its 1-sigma error in metres.
    Point { at: (f64, f64), sigma_m: f64 },
}

/// A covariance of east and north, m².
pub type Covariance = [[f64; 2]; 2];

/// A 95 % error ellipse: semi-axes in metres, azimuth of the major axis in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipse {
    pub major: f64,
    pub minor: f64,
    pub azimuth_deg: f64,
}

/// The solution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub position: (f64, f64),
    /// Covariance of east and north, m².
    pub cov: [[f64; 2]; 2],
}

impl Fix {
    /// The 95 % error ellipse of the covariance. Worked out on demand: fusion solves a place
    /// many times while it gathers observations and wants the ellipse of the last solution only.
    pub fn ellipse(&self) -> Ellipse {
        ellipse(self.cov)
    }
}

/// The chi-square quantile of 2 degrees of freedom at 95 %.
const CHI2_95: f64 = 5.991_464_547_107_979;

/// A stated range [min, max] is a monitor's judgement of distance, whose error grows with the
/// distance (a bang judged at 2 km may be at 3, one judged at 10 km may be at 15): it is read as
/// log-normal, centred on the geometric mean of its ends, with a quarter of its log-width as
/// sigma — the range brackets the judgement with about 95 % confidence. Returns the mean and
/// sigma of the logarithm of the distance in metres.
///
/// ```
/// use truceline_fusion::locate::{range_log_mean_sigma, range_residual};
/// let (mu, s) = range_log_mean_sigma(2_000.0, 8_000.0);
/// assert!((mu.exp() - 4_000.0).abs() < 1e-6); // the geometric mean
/// assert!((s - 0.25 * 4f64.ln()).abs() < 1e-12);
/// // As many sigmas at twice the upper end as at half the lower one.
/// let (far, _) = range_residual(16_000.0, 2_000.0, 8_000.0);
/// let (near, _) = range_residual(1_000.0, 2_000.0, 8_000.0);
/// assert!((far + near).abs() < 1e-9 && far > 0.0);
/// ```
pub fn range_log_mean_sigma(min: f64, max: f64) -> (f64, f64) {
    let lo = min.max(1.0);
    let hi = max.max(lo + 1.0);
    (0.5 * (lo.ln() + hi.ln()), (0.25 * (hi / lo).ln()).max(0.02))
}

/// The residual in sigmas of a distance `d` against a stated range (see
/// [`range_log_mean_sigma`]), and its derivative by `d`.
pub fn range_residual(d: f64, min: f64, max: f64) -> (f64, f64) {
    let (mu, s) = range_log_mean_sigma(min, max);
    log_residual(d, mu, s)
}

/// As [`range_residual`], from the mean and sigma of the distance's logarithm.
fn log_residual(d: f64, mu: f64, s: f64) -> (f64, f64) {
    let d = d.max(1.0);
    ((d.ln() - mu) / s, 1.0 / (d * s))
}

/// A measurement with what every evaluation of it needs worked out once: the solver evaluates
/// each many times, and the sines, cosines and logarithms of its constants were a good share of
/// its cost.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Term {
    Bearing {
        from: (f64, f64),
        rad: f64,
        /// Sine and cosine of the bearing.
        dir: (f64, f64),
        sigma_rad: f64,
    },
    /// The logarithm of the distance: its mean and sigma.
    Range {
        from: (f64, f64),
        mu: f64,
        s: f64,
    },
    Point {
        at: (f64, f64),
        sigma_m: f64,
    },
}

impl Term {
    /// A bearing, given the sine and cosine of its azimuth (`bearing_dir`), which a caller
    /// may have worked out once for many solutions.
    pub(crate) fn bearing(from: (f64, f64), deg: f64, sigma_deg: f64, dir: (f64, f64)) -> Term {
        Term::Bearing {
            from,
            rad: deg.to_radians(),
            dir,
            sigma_rad: sigma_deg.to_radians(),
        }
    }

    /// A direct location; a sigma under a metre is taken as a metre.
    pub(crate) fn point(at: (f64, f64), sigma_m: f64) -> Term {
        Term::Point {
            at,
            sigma_m: sigma_m.max(1.0),
        }
    }
}

/// The sine and cosine of an azimuth in degrees, as [`crossing`] (and the solver's form of a
/// bearing) take them.
pub fn bearing_dir(deg: f64) -> (f64, f64) {
    crate::local::sin_cos(deg.to_radians())
}

fn terms(ms: &[Measurement]) -> Vec<Term> {
    ms.iter()
        .map(|m| match *m {
            Measurement::Bearing {
                from,
                deg,
                sigma_deg,
            } => Term::bearing(from, deg, sigma_deg, bearing_dir(deg)),
            Measurement::Range { from, min, max } => {
                let (mu, s) = range_log_mean_sigma(min, max);
                Term::Range { from, mu, s }
            }
            Measurement::Point { at, sigma_m } => Term::point(at, sigma_m),
        })
        .collect()
}

/// Residual and gradient (east, north) of one bearing or range at `x` in `plane`, in sigmas.
fn residual(m: &Term, plane: &Plane, x: [f64; 2]) -> (f64, [f64; 2]) {
    match *m {
        Term::Bearing {
            from,
            rad,
            sigma_rad,
            ..
        } => bearing_residual(plane.towards(from, x), rad, sigma_rad),
        Term::Range { from, mu, s } => {
            let (e, n, _) = plane.towards(from, x);
            let d = (e * e + n * n).sqrt().max(1.0);
            let (r, dr) = log_residual(d, mu, s);
            (r, [e / d * dr, n / d * dr])
        }
        // A point gives two residuals; `normal_equations` and `information` take it apart.
        Term::Point { .. } => (0.0, [0.0, 0.0]),
    }
}

/// As [`residual`], for a bearing of `rad` ± `s` radians from an observer that `towards` gives.
#[inline]
fn bearing_residual((e, n, conv): (f64, f64, f64), rad: f64, s: f64) -> (f64, [f64; 2]) {
    let d = (e * e + n * n).sqrt().max(1.0);
    let r = wrap_pi(crate::local::atan2(e, n) - conv - rad) / s;
    // d(az)/dx: perpendicular to the line of sight, 1/d. The line of sight's direction turned by
    // the small convergence to the observer's north, to first order.
    let (sin, cos) = (e / d - conv * n / d, n / d + conv * e / d);
    (r, [cos / (d * s), -sin / (d * s)])
}

/// An angle in radians brought into (−π, π].
fn wrap_pi(a: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    // Nearly every residual is within the range already: one test for those.
    if a > -PI && a <= PI {
        return a;
    }
    let a = if a > PI { a - TAU } else { a };
    let a = if a <= -PI { a + TAU } else { a };
    if a.abs() <= PI {
        a
    } else {
        (a + PI).rem_euclid(TAU) - PI
    }
}

/// Information matrix (JᵀWJ) of the measurements at `x`, unweighted by robustness: the
/// Cramér–Rao bound's inverse when `x` is the true position.
pub fn information(ms: &[Measurement], at: (f64, f64)) -> [[f64; 2]; 2] {
    let plane = Plane::new(at);
    let mut info = [[0.0; 2]; 2];
    for m in &terms(ms) {
        match m {
            Term::Point { sigma_m, .. } => {
                let w = 1.0 / sigma_m.powi(2);
                info[0][0] += w;
                info[1][1] += w;
            }
            _ => {
                let (_, g) = residual(m, &plane, [0.0, 0.0]);
                for i in 0..2 {
                    for j in 0..2 {
                        info[i][j] += g[i] * g[j];
                    }
                }
            }
        }
    }
    info
}

/// Inverse of a 2×2 symmetric matrix, if it is well conditioned.
pub fn invert(m: [[f64; 2]; 2]) -> Option<[[f64; 2]; 2]> {
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let scale = m[0][0].abs().max(m[1][1].abs());
    if !(det.is_finite() && det > 1e-12 * scale * scale) {
        return None;
    }
    Some([
        [m[1][1] / det, -m[0][1] / det],
        [-m[1][0] / det, m[0][0] / det],
    ])
}

/// The 95 % ellipse of a covariance of east and north.
pub fn ellipse(cov: [[f64; 2]; 2]) -> Ellipse {
    let (a, b, c) = (cov[0][0], cov[0][1], cov[1][1]);
    let mean = 0.5 * (a + c);
    let diff = (0.25 * (a - c) * (a - c) + b * b).sqrt();
    let (l1, l2) = (mean + diff, (mean - diff).max(0.0));
    // Major axis direction in east/north, as an azimuth from north.
    let theta = 0.5 * (2.0 * b).atan2(a - c); // angle from east
    let azimuth = crate::local::wrap(90.0 - theta.to_degrees(), 180.0);
    Ellipse {
        major: (CHI2_95 * l1).sqrt(),
        minor: (CHI2_95 * l2).sqrt(),
        azimuth_deg: azimuth,
    }
}

/// Adds measurements to a fix at the origin of `plane` (the tangent plane there, which a caller
/// gathering observations already holds) with covariance `cov` without solving again: one
/// recursive least-squares step, linearised at the fix. The fix's information (its covariance's
/// inverse) gains the new measurements' and the position moves by the step that information and
/// their residuals give. Exact for a linear problem; for bearings and ranges it is as good as the
/// step is small, so `None` when the step exceeds `max_step_m` or leaves the bounds of the new
/// measurements, and the caller solves in full. Returns the new position and covariance (no
/// ellipse: callers that gather observations do not need one at every step).
///
/// ```
/// use truceline_fusion::locate::{locate, update, Measurement};
/// use truceline_fusion::local::{azimuth_distance, Plane};
/// let event = (37.90, 48.10);
/// let [a, b, c] = [(37.80, 48.05), (38.00, 48.05), (37.90, 48.20)];
/// let m = |from| Measurement::Bearing { from, deg: azimuth_distance(from, event).0, sigma_deg: 2.0 };
/// let two = locate(&[m(a), m(b)], 30_000.0).unwrap();
/// let plane = Plane::new(two.position);
/// let (at, cov) = update(&plane, two.cov, &[m(c)], 30_000.0, 500.0).unwrap();
/// // A third bearing from across the place adds information: a smaller ellipse.
/// let trace = |c: [[f64; 2]; 2]| c[0][0] + c[1][1];
/// assert!(trace(cov) < trace(two.cov));
/// assert!(azimuth_distance(at, event).1 < 1.0);
/// ```
pub fn update(
    plane: &Plane,
    cov: Covariance,
    ms: &[Measurement],
    max_range_m: f64,
    max_step_m: f64,
) -> Option<((f64, f64), Covariance)> {
    update_terms(plane, cov, &terms(ms), max_range_m, max_step_m)
}

/// As [`update`], on measurements already in their solver's form.
pub(crate) fn update_terms(
    plane: &Plane,
    cov: Covariance,
    ms: &[Term],
    max_range_m: f64,
    max_step_m: f64,
) -> Option<((f64, f64), Covariance)> {
    let mut h = invert(cov)?;
    let (hn, g, _) = normal_equations(ms, plane, [0.0, 0.0]);
    for i in 0..2 {
        for j in 0..2 {
            h[i][j] += hn[i][j];
        }
    }
    let cov = invert(h)?;
    let step = [
        -(cov[0][0] * g[0] + cov[0][1] * g[1]),
        -(cov[1][0] * g[0] + cov[1][1] * g[1]),
    ];
    // A NaN step fails too.
    let len = norm(step[0], step[1]);
    if len.is_nan() || len > max_step_m {
        return None;
    }
    if !in_bounds(ms, plane, step, max_range_m) {
        return None;
    }
    Some((plane.to_lonlat(step), cov))
}

/// Solves for the position from `start`, or `None` when the measurements do not fix one (a
/// single bearing without a range, parallel bearings).
pub fn locate_from(ms: &[Measurement], start: (f64, f64), max_range_m: f64) -> Option<Fix> {
    locate_iter(ms, start, max_range_m, MAX_ITERATIONS)
}

/// The most Gauss–Newton steps a solution takes from a start of its own.
pub(crate) const MAX_ITERATIONS: usize = 12;

/// As [`locate_from`], with at most `iterations` Gauss–Newton steps (a warm start needs few).
pub fn locate_iter(
    ms: &[Measurement],
    start: (f64, f64),
    max_range_m: f64,
    iterations: usize,
) -> Option<Fix> {
    locate_terms(&terms(ms), start, max_range_m, iterations)
}

/// As [`locate_iter`], on measurements already in their solver's form (fusion keeps each
/// observation's, instead of working out its sines and logarithms for every solution).
pub(crate) fn locate_terms(
    ms: &[Term],
    start: (f64, f64),
    max_range_m: f64,
    iterations: usize,
) -> Option<Fix> {
    let mut plane = Plane::new(start);
    let mut x = [0.0, 0.0];
    // The normal equations at an accepted step serve the next iteration and the covariance:
    // each iteration costs one evaluation of the measurements, not two.
    let (mut h, mut g, mut cost) = normal_equations(ms, &plane, x);
    for _ in 0..iterations {
        let hinv = invert(h)?;
        let mut step = [
            -(hinv[0][0] * g[0] + hinv[0][1] * g[1]),
            -(hinv[1][0] * g[0] + hinv[1][1] * g[1]),
        ];
        // Converged when the step is a hundredth of the place's sigma (the root of the
        // covariance's mean variance), or half a metre: far below what the place's error
        // allows, and a warm start's last iteration. A step that small is taken as it is: the
        // measurements are not evaluated once more to check that it lowers the cost, nor for
        // the covariance there, which a step of a hundredth of a sigma does not change.
        let converged = 0.25_f64.max(0.5e-4 * (hinv[0][0] + hinv[1][1]));
        if step[0] * step[0] + step[1] * step[1] < converged {
            let next = [x[0] + step[0], x[1] + step[1]];
            if in_bounds(ms, &plane, next, max_range_m) {
                x = next;
            }
            break;
        }
        // Step halving: accept only steps that lower the robust cost and stay in bounds.
        let mut accepted = None;
        for _ in 0..8 {
            let next = [x[0] + step[0], x[1] + step[1]];
            if let Some((h2, g2, c2)) = normal_equations_within(ms, &plane, next, Some(max_range_m))
                && c2 <= cost + 1e-9
            {
                accepted = Some((next, h2, g2, c2));
                break;
            }
            step = [step[0] * 0.5, step[1] * 0.5];
        }
        let Some((next, h2, g2, c2)) = accepted else {
            break;
        };
        (x, h, g, cost) = (next, h2, g2, c2);
        // The plane's offsets are exact near its origin: far from it, start a new one there.
        if norm(x[0], x[1]) > RECENTRE_M {
            plane = Plane::new(plane.to_lonlat(x));
            x = [0.0, 0.0];
            (h, g, cost) = normal_equations(ms, &plane, x);
        }
        // A step halved to that size has converged too.
        if step[0] * step[0] + step[1] * step[1] < converged {
            break;
        }
    }
    let cov = invert(h)?;
    Some(Fix {
        position: plane.to_lonlat(x),
        cov,
    })
}

/// How far the solver moves from its tangent plane's origin before it takes a new plane, metres.
const RECENTRE_M: f64 = 1_000.0;

/// Solves from a starting point found from the measurements themselves.
pub fn locate(ms: &[Measurement], max_range_m: f64) -> Option<Fix> {
    locate_from(ms, initial_guess(ms, max_range_m)?, max_range_m)
}

/// A start: a direct location if there is one; else the best crossing of two bearings; else a
/// bearing's midpoint of its range.
pub fn initial_guess(ms: &[Measurement], max_range_m: f64) -> Option<(f64, f64)> {
    if let Some(Measurement::Point { at, .. }) = ms
        .iter()
        .filter(|m| matches!(m, Measurement::Point { .. }))
        .min_by(|a, b| sigma_of(a).total_cmp(&sigma_of(b)))
    {
        return Some(*at);
    }
    let bearings: Vec<(&(f64, f64), f64, f64)> = ms
        .iter()
        .filter_map(|m| match m {
            Measurement::Bearing {
                from,
                deg,
                sigma_deg,
            } => Some((from, *deg, *sigma_deg)),
            _ => None,
        })
        .collect();
    let mut best: Option<((f64, f64), f64)> = None;
    for i in 0..bearings.len() {
        for j in i + 1..bearings.len() {
            let (a, b) = (bearings[i], bearings[j]);
            if let Some((p, _, _)) = intersect(*a.0, a.1, *b.0, b.1, max_range_m) {
                let cut = angle_diff(a.1, b.1).to_radians().sin().abs();
                let quality = cut / (a.2 * b.2);
                if best.is_none_or(|(_, q)| quality > q) {
                    best = Some((p, quality));
                }
            }
        }
    }
    if let Some((p, _)) = best {
        return Some(p);
    }
    for m in ms {
        if let Measurement::Bearing { from, deg, .. } = m {
            for r in ms {
                if let Measurement::Range {
                    from: f2, min, max, ..
                } = r
                    && f2 == from
                {
                    let (mu, _) = range_log_mean_sigma(*min, *max);
                    return Some(crate::local::offset(*from, *deg, mu.exp()));
                }
            }
        }
    }
    None
}

fn sigma_of(m: &Measurement) -> f64 {
    match m {
        Measurement::Point { sigma_m, .. } => *sigma_m,
        _ => f64::INFINITY,
    }
}

/// Where two rays from `a` and `b` cross, ahead of both and within `max_range_m`, with the
/// distances along each.
pub fn intersect(
    a: (f64, f64),
    az_a: f64,
    b: (f64, f64),
    az_b: f64,
    max_range_m: f64,
) -> Option<((f64, f64), f64, f64)> {
    crossing(
        &Plane::new(a),
        bearing_dir(az_a),
        b,
        bearing_dir(az_b),
        max_range_m,
    )
}

/// As [`intersect`], for a caller that holds the tangent plane at `a` and the rays' directions
/// as the sine and cosine of their azimuths (as [`bearing_dir`] gives them): no trigonometry.
pub fn crossing(
    plane: &Plane,
    (sa, ca): (f64, f64),
    b: (f64, f64),
    (sb, cb): (f64, f64),
    max_range_m: f64,
) -> Option<((f64, f64), f64, f64)> {
    let (da, db) = ([sa, ca], [sb, cb]);
    let pb = plane.to_xy(b);
    // a + s·da = pb + t·db
    let det = da[0] * (-db[1]) - da[1] * (-db[0]);
    if det.abs() < 1e-6 {
        return None;
    }
    let s = (pb[0] * (-db[1]) - pb[1] * (-db[0])) / det;
    let t = (da[0] * pb[1] - da[1] * pb[0]) / det;
    if s <= 0.0 || t <= 0.0 || s > max_range_m || t > max_range_m {
        return None;
    }
    Some((plane.to_lonlat([s * da[0], s * da[1]]), s, t))
}

fn in_bounds(ms: &[Term], plane: &Plane, x: [f64; 2], max_range_m: f64) -> bool {
    ms.iter().all(|m| match m {
        Term::Bearing { from, dir, .. } => ahead_within(plane.towards(*from, x), *dir, max_range_m),
        _ => true,
    })
}

/// Whether a place, seen from an observer as `towards` gives it, lies within `max_range_m` and
/// ahead of the observer's bearing `dir` (within 90° of it: a positive projection).
#[inline]
fn ahead_within((e, n, _): (f64, f64, f64), (s, c): (f64, f64), max_range_m: f64) -> bool {
    e * e + n * n <= max_range_m * max_range_m && e * s + n * c > 0.0
}

/// Huber weight for a residual in sigmas.
fn huber(r: f64) -> f64 {
    const K: f64 = 2.5;
    if r.abs() <= K { 1.0 } else { K / r.abs() }
}

/// The robust normal equations at `x`: JᵀWJ, JᵀWr and the robust cost.
fn normal_equations(ms: &[Term], plane: &Plane, x: [f64; 2]) -> ([[f64; 2]; 2], [f64; 2], f64) {
    normal_equations_within(ms, plane, x, None).expect("no bounds to fail")
}

/// As [`normal_equations`], or `None` where `x` is out of the bounds of the measurements
/// within `max_range_m` (see [`in_bounds`]): one pass over them, each line of sight worked out
/// once for both.
fn normal_equations_within(
    ms: &[Term],
    plane: &Plane,
    x: [f64; 2],
    max_range_m: Option<f64>,
) -> Option<([[f64; 2]; 2], [f64; 2], f64)> {
    let mut h = [[0.0; 2]; 2];
    let mut g = [0.0; 2];
    let mut cost = 0.0;
    let mut add = |r: f64, j: [f64; 2]| {
        let w = huber(r);
        cost += if r.abs() <= 2.5 {
            0.5 * r * r
        } else {
            2.5 * r.abs() - 0.5 * 2.5 * 2.5
        };
        for a in 0..2 {
            g[a] += w * j[a] * r;
            for b in 0..2 {
                h[a][b] += w * j[a] * j[b];
            }
        }
    };
    for m in ms {
        match *m {
            Term::Point { at, sigma_m } => {
                let p = plane.to_xy(at);
                let s = sigma_m;
                add((x[0] - p[0]) / s, [1.0 / s, 0.0]);
                add((x[1] - p[1]) / s, [0.0, 1.0 / s]);
            }
            Term::Bearing {
                from,
                rad,
                sigma_rad,
                dir,
            } => {
                let towards = plane.towards(from, x);
                if let Some(max) = max_range_m
                    && !ahead_within(towards, dir, max)
                {
                    return None;
                }
                let (r, j) = bearing_residual(towards, rad, sigma_rad);
                add(r, j);
            }
            Term::Range { .. } => {
                let (r, j) = residual(m, plane, x);
                add(r, j);
            }
        }
    }
    Some((h, g, cost))
}
