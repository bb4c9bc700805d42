//! Salvos: an episode in which some observer reported twice holds several rounds. Each
//! observer's sequence of reports is placed by the shift that best explains it against the
//! rounds of those before it (paired reports against a prior on the shift, so that an observer
//! that missed a round does not slip by one), and the rounds are the groups that result. A
//! report of a salvo's round is gated against the salvo's common place widened by
//! `SALVO_SCATTER_M`, as that place is fitted to a mix of rounds.

#[allow(unused_imports)]
use super::*;

/// How far apart the rounds of one fire mission land, metres.
pub(crate) const SALVO_SPREAD_M: f64 = 300.0;

/// How far a report of a salvo's round may lie from the salvo's place beyond that place's own
/// uncertainty, metres, as one sigma. More than the rounds' scatter: the place is fitted to a mix
/// of rounds, each observer's reports pointing at its own, and its covariance (that of a mean
/// over many members) says nothing of that. Measured on five scenarios (seeds 1, 3, 4, 5, 6):
/// B-cubed F1 0.960 with none, 0.972 at 500 m, 0.976 from 1,000 to 2,000 m, falling beyond.
pub(crate) const SALVO_SCATTER_M: f64 = 1000.0;

/// Reports of one round by two observers agree within this, seconds, once each observer's
/// shift is allowed for.
pub(crate) const PAIR_TOL_S: f64 = 1.7;

/// The spread of a report's event time about its round's, seconds: the listening jitter and the
/// rounds' scatter about the salvo's common place (150 m is 0.44 s of sound).
pub(crate) const ROUND_SIGMA_S: f64 = 0.5;

/// The share of the rounds' median interval that a sequence's shift may spread by. Measured with
/// `bench/fusion/ripple_curve.sh` and the harness (`bench/fusion/run.sh`): a fixed spread of half
/// the gate let the rounds of ripples 2 s apart slip by one (their B-cubed F1 0.78 on 6-hour
/// runs), a fixed spread of a seventh of the gate mended them (0.90) but cost ordinary salvos,
/// 2–8 s apart, up to 0.005 of F1 and a point of count error; tied to the interval, ripples 2 s
/// apart reach 0.89 while ordinary salvos lose at most 0.002 of F1.
pub(crate) const RIPPLE_SHIFT_SHARE: f64 = 0.25;

/// The least spread of a sequence's shift, seconds: about what calibration leaves of a clock.
pub(crate) const MIN_SHIFT_SIGMA_S: f64 = 0.2;

/// The median interval between consecutive rounds (in time order), infinite for fewer than two.
fn median_interval(times: &[(f64, usize)]) -> f64 {
    let mut gaps: Vec<f64> = times.windows(2).map(|w| w[1].0 - w[0].0).collect();
    if gaps.is_empty() {
        return f64::INFINITY;
    }
    gaps.sort_by(f64::total_cmp);
    gaps[gaps.len() / 2]
}

/// The rounds of a salvo being found, from each observer's sequence of event times in turn
/// (the longest first). A sequence takes one shift — what is left of its observer's clock
/// error, and the common place's error along its line of sight — and each of its reports joins
/// a round or starts one.
///
/// A sequence is placed by the shift that best explains it: each report paired with a round
/// gains what a round of its own would cost, less its squared residual; the shift pays for its
/// distance from the mean of the shifts before it, so that an observer that missed a round does
/// not slip its whole sequence by one.
pub(crate) struct Salvo {
    /// Each round's summed event time (shifted) and its members.
    pub(crate) rounds: Vec<(f64, Vec<usize>)>,
    /// The shifts taken so far.
    pub(crate) shifts: Vec<f64>,
    /// Scratch, reused across shifts.
    pub(crate) times: Vec<(f64, usize)>,
    pub(crate) candidates: Vec<f64>,
    pub(crate) used: Vec<bool>,
    pub(crate) pairs: Vec<Option<usize>>,
}

impl Salvo {
    /// The first sequence as it is, a round for each of its reports.
    pub(crate) fn new(first: &[(f64, usize)]) -> Salvo {
        Salvo {
            rounds: first.iter().map(|&(t, m)| (t, vec![m])).collect(),
            shifts: vec![0.0],
            times: Vec::new(),
            candidates: Vec::new(),
            used: Vec::new(),
            pairs: Vec::new(),
        }
    }

    /// Places the next sequence within `gate` of the mean shift.
    pub(crate) fn place(&mut self, seq: &[(f64, usize)], gate: f64) {
        // Each round's time, the mean of its members': in time order, with its index.
        let mut times = std::mem::take(&mut self.times);
        times.clear();
        times.extend(
            self.rounds
                .iter()
                .enumerate()
                .map(|(r, x)| (x.0 / x.1.len() as f64, r)),
        );
        times.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let d0 = self.shifts.iter().sum::<f64>() / self.shifts.len() as f64;
        // Pairing a report saves a round of its own; the gain is such that a report at the
        // edge of the tolerance still pairs.
        let gain = (PAIR_TOL_S / ROUND_SIGMA_S).powi(2) + 1.0;
        // The shift's own spread: half the gate it is allowed within.
        // Where rounds come close together (a rocket launcher's ripple, evenly spaced), a
        // sequence slipped by one round pairs about as well as the right one and only this
        // prior tells them apart: the spread is then held to a fraction of the rounds' interval
        // (`RIPPLE_SHIFT_SHARE`), not below `MIN_SHIFT_SIGMA_S`.
        let interval = median_interval(&times);
        let shift_sigma = (0.5 * gate).min((RIPPLE_SHIFT_SHARE * interval).max(MIN_SHIFT_SIGMA_S));
        // The shifts that put a report on a round, nearest the mean first: a shift farther off
        // can only win by pairing more, so the search stops where even pairing every report
        // could not make up for the distance.
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        candidates.push(d0);
        for r in &times {
            for &(t, _) in seq {
                let d = r.0 - t;
                if (d - d0).abs() <= gate {
                    candidates.push(d);
                }
            }
        }
        candidates.sort_by(|a, b| {
            (a - d0)
                .abs()
                .total_cmp(&(b - d0).abs())
                .then(a.total_cmp(b))
        });
        let most = seq.len().min(times.len()) as f64 * gain;
        let mut best: Option<(f64, f64)> = None; // (score, shift)
        for &d in &candidates {
            let prior = ((d - d0) / shift_sigma).powi(2);
            if best.is_some_and(|(bs, _)| most - prior <= bs) {
                break;
            }
            let (paired, sq) = pair(&times, seq, d, PAIR_TOL_S, &mut self.used, &mut self.pairs);
            let score = paired as f64 * gain - sq / (ROUND_SIGMA_S * ROUND_SIGMA_S) - prior;
            if best.is_none_or(|(bs, _)| score > bs) {
                best = Some((score, d));
            }
        }
        let d = best.map_or(d0, |b| b.1);
        pair(&times, seq, d, PAIR_TOL_S, &mut self.used, &mut self.pairs);
        for (j, &(t, m)) in seq.iter().enumerate() {
            match self.pairs[j] {
                Some(k) => {
                    let round = &mut self.rounds[times[k].1];
                    round.0 += t + d;
                    round.1.push(m);
                }
                None => self.rounds.push((t + d, vec![m])),
            }
        }
        self.shifts.push(d);
        self.times = times;
        self.candidates = candidates;
    }

    /// The rounds found: (time, members), in time order.
    pub(crate) fn into_rounds(self) -> Vec<(f64, Vec<usize>)> {
        let mut rounds: Vec<(f64, Vec<usize>)> = self
            .rounds
            .into_iter()
            .map(|(sum, ms)| (sum / ms.len() as f64, ms))
            .collect();
        rounds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1[0].cmp(&b.1[0])));
        rounds
    }
}

/// Pairs a sequence, shifted by `d`, one to one with rounds within `tol`, in time order; returns
/// the number paired and the summed squared residual, and leaves each report's round in `out`.
/// `used` is scratch: the search tries many shifts, and allocating for each was most of its cost.
/// `rounds` are in time order.
pub(crate) fn pair(
    rounds: &[(f64, usize)],
    seq: &[(f64, usize)],
    d: f64,
    tol: f64,
    used: &mut Vec<bool>,
    out: &mut Vec<Option<usize>>,
) -> (usize, f64) {
    out.clear();
    out.resize(seq.len(), None);
    used.clear();
    used.resize(rounds.len(), false);
    let (mut n, mut cost) = (0, 0.0);
    for (k, &(t, _)) in seq.iter().enumerate() {
        let t = t + d;
        // Rounds are in time order: only the few within `tol` of `t` are looked at (the margin
        // keeps a round that rounding puts at the edge), the earliest of equally near ones wins.
        let lo = rounds.partition_point(|x| x.0 < t - tol - 1e-6);
        let mut best: Option<(usize, f64)> = None;
        for (r, x) in rounds.iter().enumerate().skip(lo) {
            if x.0 > t + tol + 1e-6 {
                break;
            }
            let e = (x.0 - t).abs();
            if !used[r] && e <= tol && best.is_none_or(|(_, be)| e < be) {
                best = Some((r, e));
            }
        }
        if let Some((r, e)) = best {
            used[r] = true;
            out[k] = Some(r);
            n += 1;
            cost += e * e;
        }
    }
    (n, cost)
}
