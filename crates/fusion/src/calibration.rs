//! Clock self-calibration: each observer's clock error estimated from the events it shared with
//! others (on a sample of a large input), subtracted before associating again with a tighter
//! gate.

#[allow(unused_imports)]
use super::*;

/// The length of one block of the calibration sample, seconds: several association windows, so
/// that few events are cut at its edges.
pub const CALIBRATION_BLOCK_S: f64 = 600.0;

/// Observations per observer, on average, that the calibration sample keeps at least.
pub const CALIBRATION_PER_OBSERVER: usize = 120;

/// Of how many blocks the calibration passes see one: as many as leave each observer
/// [`CALIBRATION_PER_OBSERVER`] observations on average, at most four; every block for inputs
/// smaller than that. Measured on 24-hour scenarios (`bench/fusion`), one block in four gave
/// B-cubed F1 within ±0.001 and count error within ±0.2 points of calibrating on everything, with
/// clocks of ±2 s and ±4 s and with 8 % false alarms, at 62 % of the instructions; 120
/// observations per observer (one block in four for a day of 62 observers, where 150 gave one in
/// three) moved F1 by under 0.001 on the same seeds.
///
/// ```
/// use truceline_fusion::calibration_stride;
/// assert_eq!(calibration_stride(500, 10), 1); // a small input: calibrated on all of it
/// assert_eq!(calibration_stride(36_770, 62), 4);
/// assert_eq!(calibration_stride(20_000, 62), 2);
/// assert_eq!(calibration_stride(1_000_000, 62), 4);
/// ```
pub fn calibration_stride(observations: usize, observers: usize) -> usize {
    (observations / (CALIBRATION_PER_OBSERVER * observers.max(1))).clamp(1, 4)
}

/// Where each of the caller's `inputs` observations is in the prepared `all`, which may be a
/// sample (`usize::MAX` for one left out).
pub(crate) fn positions(inputs: usize, all: &[Obs]) -> Vec<usize> {
    let mut at = vec![usize::MAX; inputs];
    for (k, o) in all.iter().enumerate() {
        at[o.index] = k;
    }
    at
}

/// What is left of a clock's error once estimated, seconds: the reporting jitter and what the
/// estimate itself missed.
pub const CALIBRATED_CLOCK_ERROR_S: f64 = 0.75;

/// Estimates each observer's clock error from incidents located by three or more observers,
/// each in it once:
/// an observer's residual in one is how far the event time its report implies falls from the
/// mean of the others'. The median over at least five incidents is its clock error relative to
/// the network; with fewer, none is estimated.
pub fn estimate_clocks(
    obs: &[Observation],
    groups: &[Vec<usize>],
    c: &Config,
    prior: &ClockOffsets,
) -> ClockOffsets {
    let observers = Observers::new(obs);
    let base = convert(obs, &observers);
    let prior = observers.offsets(prior);
    let all = prepare(obs, &base, &prior, 1);
    let groups: Vec<Group> = groups
        .iter()
        .map(|g| Group {
            members: g.clone(),
            near: None,
        })
        .collect();
    observers.named(&clock_errors(obs.len(), &all, &groups, c, &prior))
}

/// As [`estimate_clocks`], on prepared observations, by observer number.
pub(crate) fn clock_errors(
    inputs: usize,
    all: &[Obs],
    groups: &[Group],
    c: &Config,
    prior: &[Option<f64>],
) -> Vec<Option<f64>> {
    let mut residuals: Vec<Vec<f64>> = vec![Vec::new(); prior.len()];
    let at = positions(inputs, all);
    for g in groups {
        let members: Vec<&Obs> = g.members.iter().map(|&i| &all[at[i]]).collect();
        // Heard once by each of three or more observers: an observer in it twice heard two
        // events (a window with the single reports of an exchange of fire), whose times are
        // not one event's.
        if members.len() < 3
            || members
                .iter()
                .enumerate()
                .any(|(k, p)| members[..k].iter().any(|q| q.observer == p.observer))
        {
            continue;
        }
        let Some(fix) = locate_group(&members, g.near, c) else {
            continue;
        };
        let taus: Vec<f64> = members
            .iter()
            .map(|p| p.event_time(fix.position, c))
            .collect();
        let sum: f64 = taus.iter().sum();
        let n = taus.len() as f64;
        for (p, t) in members.iter().zip(&taus) {
            let others = (sum - t) / (n - 1.0);
            residuals[p.observer].push(t - others);
        }
    }
    residuals
        .into_iter()
        .zip(prior)
        .map(|(mut r, prior)| {
            if r.len() < 5 {
                return None;
            }
            // The median as the element a sort would put at the middle (the upper of the two
            // middle ones for an even count), found without sorting the rest.
            let mid = r.len() / 2;
            let median = *r.select_nth_unstable_by(mid, f64::total_cmp).1;
            // Relative to the mean of the others, an observer's residual overstates its own
            // error by the others' average: scaled back by (n−1)/n it is near enough.
            Some(prior.unwrap_or(0.0) + median)
        })
        .collect()
}
