//! Salvos: an episode in which some observer reported twice holds several rounds. Each
//! observer's sequence of reports is placed by the shift that best explains it against the
//! rounds of those before it (paired reports against a prior on the shift, so that an observer
//! that missed a round does not slip by one), and the rounds are the groups that result. A
//! report of a salvo's round is gated against the salvo's common place widened by
//! `SALVO_SCATTER_M`, as that place is fitted to a mix of rounds.
//!
//! Where rounds come closer than twice the pairing tolerance (a rocket launcher's ripple), a
//! report can reach two rounds, and pairing each report with its nearest free round lets one
//! round an observer missed slip the rest of its sequence by one. There a sequence is paired by
//! dynamic programming (the best order-keeping pairing, [`pair_in_order`]) and, once all are
//! placed, each is placed again against the rounds the others make ([`Salvo::refine`]), as the
//! first sequences were placed against rounds that the later ones had yet to correct.

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

/// What pairing a report with a round is worth, against its squared residual over
/// [`ROUND_SIGMA_S`]²: it saves a round of its own, and a report at the edge of the tolerance
/// still pairs.
pub(crate) const PAIR_GAIN: f64 = (PAIR_TOL_S / ROUND_SIGMA_S) * (PAIR_TOL_S / ROUND_SIGMA_S) + 1.0;

/// A pairing's score: [`PAIR_GAIN`] a pair less the squared residuals over [`ROUND_SIGMA_S`]².
pub(crate) fn pairing_score(paired: usize, squared: f64) -> f64 {
    paired as f64 * PAIR_GAIN - squared / (ROUND_SIGMA_S * ROUND_SIGMA_S)
}

/// The share of the rounds' median interval that a sequence's shift may spread by. Measured with
/// `bench/fusion/ripple_curve.sh` and the harness (`bench/fusion/run.sh`): a fixed spread of half
/// the gate let the rounds of ripples 2 s apart slip by one (their B-cubed F1 0.78 on 6-hour
/// runs), a fixed spread of a seventh of the gate mended them (0.90) but cost ordinary salvos,
/// 2–8 s apart, up to 0.005 of F1 and a point of count error; tied to the interval, ripples 2 s
/// apart reach 0.89 while ordinary salvos lose at most 0.002 of F1.
pub(crate) const RIPPLE_SHIFT_SHARE: f64 = 0.25;

/// The least spread of a sequence's shift, seconds: about what calibration leaves of a clock.
pub(crate) const MIN_SHIFT_SIGMA_S: f64 = 0.2;

/// Shifts closer than this pair a sequence alike (a tenth of [`ROUND_SIGMA_S`]): of candidate
/// shifts this close, only one is tried. On a ripple, whose candidates crowd about whole
/// intervals, this took a third of fusion's instructions away, with the same F1 to 0.001.
pub(crate) const SHIFT_STEP_S: f64 = 0.05;

/// Whether rounds this far apart (their median interval) are close: a report can then reach two.
pub(crate) fn close(interval: f64) -> bool {
    interval < 2.0 * PAIR_TOL_S
}

/// Scratch of [`pair_in_order`], kept between calls: a sequence is paired at many shifts.
#[derive(Default)]
pub(crate) struct Chains {
    /// The best chain whose last pair uses each round, as (score, node).
    end: Vec<(f64, u32)>,
    /// (report, round, previous node) of every pair tried.
    nodes: Vec<(u32, u32, u32)>,
}

/// Pairs a sequence, shifted by `d`, with rounds within [`PAIR_TOL_S`], keeping the order of
/// both (an observer hears one launcher's rounds in the order they were fired): of such
/// pairings the one of the highest [`pairing_score`]. Returns as [`pair`] does.
/// Only the rounds within the tolerance of each report are visited, so a pairing costs about as much as
/// [`pair`]'s: the chains ending before the band of the current report are final and kept as one
/// best (`front`), as the band only moves on with time.
pub(crate) fn pair_in_order(
    rounds: &[(f64, usize)],
    seq: &[(f64, usize)],
    d: f64,
    chains: &mut Chains,
    out: &mut Vec<Option<usize>>,
) -> (usize, f64) {
    const NONE: u32 = u32::MAX;
    let (tol, gain, sigma) = (PAIR_TOL_S, PAIR_GAIN, ROUND_SIGMA_S);
    let m = rounds.len();
    out.clear();
    out.resize(seq.len(), None);
    let Chains { end, nodes } = chains;
    end.clear();
    end.resize(m, (0.0, NONE));
    // As long as `rounds`, so that one check of an index serves both.
    let end = &mut end[..m];
    nodes.clear();
    let (mut front, mut front_best) = (0usize, (0.0f64, NONE));
    // The sequence is in time order, so the band's start only moves on.
    let mut lo = 0;
    for (k, &(t, _)) in seq.iter().enumerate() {
        let t = t + d;
        while lo < m && rounds[lo].0 < t - tol - 1e-6 {
            lo += 1;
        }
        while front < lo {
            if end[front].0 > front_best.0 {
                front_best = end[front];
            }
            front += 1;
        }
        // This report's pairs extend the best chain over rounds before each: those of earlier
        // reports only, so a round's chain is taken as it stood before this report's pair on it.
        let mut run = front_best;
        let mut r = lo;
        while r < m && rounds[r].0 <= t + tol + 1e-6 {
            let before = end[r];
            let e = (rounds[r].0 - t).abs();
            if e <= tol {
                let score = run.0 + gain - e * e / (sigma * sigma);
                if score > before.0 {
                    end[r] = (score, nodes.len() as u32);
                }
                nodes.push((k as u32, r as u32, run.1));
            }
            if before.0 > run.0 {
                run = before;
            }
            r += 1;
        }
    }
    let best = end[front.min(m)..]
        .iter()
        .fold(front_best, |b, &x| if x.0 > b.0 { x } else { b });
    let (mut n, mut cost) = (0, 0.0);
    let mut at = best.1;
    while at != NONE {
        let (k, r, prev) = nodes[at as usize];
        let (k, r) = (k as usize, r as usize);
        out[k] = Some(r);
        let e = rounds[r].0 - (seq[k].0 + d);
        n += 1;
        cost += e * e;
        at = prev;
    }
    (n, cost)
}

/// The median interval between consecutive rounds (in time order), infinite for fewer than two
/// (the upper of the middle two for an even count). `gaps` is scratch.
pub(crate) fn median_interval(times: &[(f64, usize)], gaps: &mut Vec<f64>) -> f64 {
    gaps.clear();
    gaps.extend(times.windows(2).map(|w| w[1].0 - w[0].0));
    if gaps.is_empty() {
        return f64::INFINITY;
    }
    let mid = gaps.len() / 2;
    *gaps.select_nth_unstable_by(mid, f64::total_cmp).1
}

/// A member of a round: the observation, its shifted event time and its sequence.
pub(crate) type Member = (usize, f64, usize);

/// A round of one member, with room for the few more observers that hear a round (a vector of
/// one would be moved on the first, as a salvo's rounds are mostly heard by several).
fn new_round(first: Member) -> (f64, Vec<Member>) {
    let mut members = Vec::with_capacity(4);
    members.push(first);
    (first.1, members)
}

/// The rounds of a salvo being found, from each observer's sequence of event times in turn
/// (the longest first). A sequence takes one shift — what is left of its observer's clock
/// error, and the common place's error along its line of sight — and each of its reports joins
/// a round or starts one.
///
/// A sequence is placed by the shift that best explains it: each report paired with a round
/// gains what a round of its own would cost, less its squared residual; the shift pays for its
/// distance from the shift the others predict for it ([`Salvo::predict`]), so that an observer
/// that missed a round does not slip its whole sequence by one.
pub(crate) struct Salvo {
    /// Each round's summed event time (shifted) and its members.
    pub(crate) rounds: Vec<(f64, Vec<Member>)>,
    /// Each sequence's shift, once placed.
    pub(crate) shifts: Vec<Option<f64>>,
    /// Each sequence's line of sight: the unit vector (east, north) from its observer to the
    /// common place, zero where its event time does not depend on the place (light, or no
    /// known position). An error δ in the place shifts a sequence by its line of sight · δ
    /// over the speed of sound, the same δ for all: see [`Salvo::predict`].
    pub(crate) sight: Vec<[f64; 2]>,
    /// The place's error per axis over the speed of sound, seconds: the prior of that δ.
    pub(crate) place_sigma_s: f64,
    /// Scratch, reused across shifts and kept from one salvo to the next.
    pub(crate) scratch: Scratch,
}

/// The vectors [`Salvo::place`] works in: emptied, not freed, so that a day's salvos are placed
/// without allocating for each.
#[derive(Default)]
pub(crate) struct Scratch {
    times: Vec<(f64, usize)>,
    /// Candidate shifts as [`ordered_bits`], which sort as integers.
    candidates: Vec<u64>,
    shifts: Vec<f64>,
    used: Vec<bool>,
    pairs: Vec<Option<usize>>,
    /// The best pairing found so far for the sequence being placed.
    best_pairs: Vec<Option<usize>>,
    gaps: Vec<f64>,
    chains: Chains,
}

impl Salvo {
    /// The first sequence as it is, a round for each of its reports; one line of sight a
    /// sequence (see [`Salvo::sight`]).
    #[cfg(test)]
    pub(crate) fn new(first: &[(f64, usize)], sight: Vec<[f64; 2]>, place_sigma_s: f64) -> Salvo {
        Salvo::reusing(first, sight, place_sigma_s, Scratch::default())
    }

    /// As [`Salvo::new`], working in the scratch a salvo before left ([`Salvo::into_parts`]).
    pub(crate) fn reusing(
        first: &[(f64, usize)],
        sight: Vec<[f64; 2]>,
        place_sigma_s: f64,
        scratch: Scratch,
    ) -> Salvo {
        let mut shifts = vec![None; sight.len()];
        shifts[0] = Some(0.0);
        Salvo {
            rounds: first.iter().map(|&(t, m)| new_round((m, t, 0))).collect(),
            shifts,
            sight,
            place_sigma_s,
            scratch,
        }
    }

    /// Takes sequence `s` out of the rounds, dropping those left empty.
    pub(crate) fn remove(&mut self, s: usize) {
        for round in &mut self.rounds {
            round.1.retain(|&(_, t, q)| {
                if q == s {
                    round.0 -= t;
                }
                q != s
            });
        }
        self.rounds.retain(|r| !r.1.is_empty());
        self.shifts[s] = None;
    }

    /// Places sequence `s` within `gate` of the shift expected of it: the mean of those placed,
    /// or with `by_sight` what their lines of sight predict ([`Salvo::predict`]). The first
    /// placement of each sequence expects the mean: the shifts placed by then are few, and were
    /// placed against rounds the later sequences had yet to correct, so that a fit to their lines
    /// of sight extrapolates their errors (on `bench/fusion/ripple_curve.sh`, ripples 1.5 and
    /// 2.5 s apart lost 0.019 and 0.020 of the rounds' F1 with it). [`Salvo::refine`] places
    /// each again by its line of sight, against all the others.
    pub(crate) fn place(&mut self, s: usize, seq: &[(f64, usize)], gate: f64, by_sight: bool) {
        let mut times = std::mem::take(&mut self.scratch.times);
        self.round_times(&mut times);
        // The shift's own spread: half the gate it is allowed within.
        // Where rounds come close together (a rocket launcher's ripple, evenly spaced), a
        // sequence slipped by one round pairs about as well as the right one and only this
        // prior tells them apart: the spread is then held to a fraction of the rounds' interval
        // (`RIPPLE_SHIFT_SHARE`), not below `MIN_SHIFT_SIGMA_S`.
        let interval = median_interval(&times, &mut self.scratch.gaps);
        let d0 = if by_sight {
            self.predict(s, 0.5 * interval)
        } else {
            self.mean_shift()
        };
        let shift_sigma = (0.5 * gate).min((RIPPLE_SHIFT_SHARE * interval).max(MIN_SHIFT_SIGMA_S));
        let in_order = close(interval);
        let mut pair_at = |d: f64, out: &mut Vec<Option<usize>>| {
            if in_order {
                pair_in_order(&times, seq, d, &mut self.scratch.chains, out)
            } else {
                pair(&times, seq, d, PAIR_TOL_S, &mut self.scratch.used, out)
            }
        };
        // The shifts that put a report on a round, nearest the mean first: a shift farther off
        // can only win by pairing more, so the search stops where even pairing every report
        // could not make up for the distance.
        let mut candidates = std::mem::take(&mut self.scratch.candidates);
        candidates.clear();
        candidates.push(ordered_bits(d0));
        for &(t, _) in seq {
            // The rounds in time order: only those within the gate of this report's shifted
            // time are looked at (the margin keeps one that rounding puts at the edge).
            let lo = times.partition_point(|r| r.0 < t + d0 - gate - 1e-3);
            for r in &times[lo..] {
                let d = r.0 - t;
                if d - d0 > gate + 1e-3 {
                    break;
                }
                if (d - d0).abs() <= gate {
                    candidates.push(ordered_bits(d));
                }
            }
        }
        candidates.sort_unstable();
        let mut shifts = std::mem::take(&mut self.scratch.shifts);
        shifts.clear();
        let mut last = f64::NEG_INFINITY;
        for d in candidates.iter().map(|&k| from_ordered_bits(k)) {
            if d - last > SHIFT_STEP_S || d == d0 {
                shifts.push(d);
                last = d;
            }
        }
        let nearest = nearest_first(&shifts, d0);
        let most = seq.len().min(times.len()) as f64 * PAIR_GAIN;
        let mut best: Option<(f64, f64)> = None; // (score, shift)
        let mut pairs = std::mem::take(&mut self.scratch.pairs);
        let mut kept = std::mem::take(&mut self.scratch.best_pairs);
        for d in nearest {
            let prior = ((d - d0) / shift_sigma).powi(2);
            if best.is_some_and(|(bs, _)| most - prior <= bs) {
                break;
            }
            // A shift whose bound falls short of the best cannot beat it. The margin, far above
            // rounding and far below any difference of scores, keeps the bound's summation
            // order from turning away a shift that ties.
            if let Some((bs, _)) = best
                && !could_reach(&times, seq, d, bs + prior - 1e-6)
            {
                continue;
            }
            let (paired, sq) = pair_at(d, &mut pairs);
            let score = pairing_score(paired, sq) - prior;
            if best.is_none_or(|(bs, _)| score > bs) {
                best = Some((score, d));
                std::mem::swap(&mut pairs, &mut kept);
            }
        }
        // The first candidate is always tried: `best` is set and `kept` its pairing.
        let d = match best {
            Some((_, d)) => d,
            None => {
                pair_at(d0, &mut kept);
                d0
            }
        };
        for (j, &(t, m)) in seq.iter().enumerate() {
            match kept[j] {
                Some(k) => {
                    let round = &mut self.rounds[times[k].1];
                    round.0 += t + d;
                    round.1.push((m, t + d, s));
                }
                None => self.rounds.push(new_round((m, t + d, s))),
            }
        }
        self.scratch.pairs = pairs;
        self.scratch.best_pairs = kept;
        self.shifts[s] = Some(d);
        self.scratch.times = times;
        self.scratch.candidates = candidates;
        self.scratch.shifts = shifts;
    }

    /// The shift sequence `s` is expected to take, from those placed: each is a common offset
    /// plus its line of sight · g, where g is the place's error over the speed of sound (the
    /// same for every observer, and nearer ones and farther ones shifted opposite ways), plus
    /// what calibration left of its clock ([`MIN_SHIFT_SIGMA_S`]). The offset and g are fitted
    /// by least squares with g held to the place's uncertainty, so that with few sequences
    /// placed this is their mean; with more, an observer far along a line of sight the others
    /// do not share is expected where the place's error puts it, not at their mean.
    pub(crate) fn predict(&self, s: usize, slip: f64) -> f64 {
        let sight = self.sight[s];
        let placed = || {
            self.shifts
                .iter()
                .enumerate()
                .filter_map(|(q, d)| d.map(|d| (self.sight[q], d)))
        };
        let n = placed().count();
        let mean = self.mean_shift();
        if n < 2 || sight == [0.0, 0.0] {
            return mean;
        }
        let Some(t) = self.fit(placed()) else {
            return mean;
        };
        let at = |t: [f64; 3], x: [f64; 2]| t[0] + t[1] * x[0] + t[2] * x[1];
        // A sequence that slipped by a round (`slip` or more off the fit) says nothing of the
        // place's error: the fit is made again without it.
        let near = |&(x, d): &([f64; 2], f64)| (d - at(t, x)).abs() < slip;
        match placed().filter(near).count() {
            k if k == n => at(t, sight),
            k if k < 2 => mean,
            _ => self
                .fit(placed().filter(near))
                .map_or(mean, |t| at(t, sight)),
        }
    }

    /// The mean shift of the sequences placed, 0 for none.
    fn mean_shift(&self) -> f64 {
        let (n, sum) = self
            .shifts
            .iter()
            .flatten()
            .fold((0, 0.0), |(n, sum), d| (n + 1, sum + d));
        sum / n.max(1) as f64
    }

    /// The offset and g of [`Salvo::predict`], fitted to (line of sight, shift) pairs.
    fn fit(&self, placed: impl Iterator<Item = ([f64; 2], f64)>) -> Option<[f64; 3]> {
        let w = 1.0 / (MIN_SHIFT_SIGMA_S * MIN_SHIFT_SIGMA_S);
        let ridge = 1.0 / (self.place_sigma_s * self.place_sigma_s).max(1e-12);
        // The normal equations of (offset, g_east, g_north).
        let mut a = [[0.0; 3]; 3];
        let mut b = [0.0; 3];
        for (sight, d) in placed {
            let x = [1.0, sight[0], sight[1]];
            for i in 0..3 {
                for j in 0..3 {
                    a[i][j] += w * x[i] * x[j];
                }
                b[i] += w * x[i] * d;
            }
        }
        a[1][1] += ridge;
        a[2][2] += ridge;
        solve3(a, b)
    }

    /// Each round's time, the mean of its members', with its index, in time order.
    fn round_times(&self, times: &mut Vec<(f64, usize)>) {
        times.clear();
        times.extend(
            self.rounds
                .iter()
                .enumerate()
                .map(|(r, x)| (x.0 / x.1.len() as f64, r)),
        );
        // A stable sort, though the index makes the order total: the rounds come nearly in time
        // order already (a placement moves their means a little and adds late ones at the end),
        // and it merges the runs where the unstable one partitioned them all again.
        times.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }

    /// Whether the rounds found so far are close (see [`close`]).
    pub(crate) fn close(&mut self) -> bool {
        let mut times = std::mem::take(&mut self.scratch.times);
        self.round_times(&mut times);
        let close = close(median_interval(&times, &mut self.scratch.gaps));
        self.scratch.times = times;
        close
    }

    /// Places each sequence again against the rounds the others make.
    pub(crate) fn refine(&mut self, seqs: &[&[(f64, usize)]], gate: f64) {
        for (s, seq) in seqs.iter().enumerate() {
            self.remove(s);
            self.place(s, seq, gate, true);
        }
    }

    /// The rounds found: (time, members), in time order; and the scratch for the next salvo.
    pub(crate) fn into_parts(self) -> (Vec<(f64, Vec<usize>)>, Scratch) {
        let mut rounds: Vec<(f64, Vec<usize>)> = self
            .rounds
            .into_iter()
            .map(|(sum, ms)| (sum / ms.len() as f64, ms.into_iter().map(|x| x.0).collect()))
            .collect();
        rounds.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1[0].cmp(&b.1[0])));
        (rounds, self.scratch)
    }
}

/// The solution of `a x = b` for a symmetric positive definite 3 × 3 `a`, by Cholesky; `None`
/// if `a` is not positive definite.
fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let mut l = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d <= 0.0 {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    let mut y = [0.0; 3];
    for i in 0..3 {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = [0.0; 3];
    for i in (0..3).rev() {
        x[i] = (y[i] - (i + 1..3).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

/// Whether a pairing of `seq`, shifted by `d`, could score `floor` or more ([`pairing_score`]):
/// each report is credited with its nearest round, as if no other report wanted that round and
/// order did not matter. That is an upper bound on what [`pair`] and [`pair_in_order`] find (a
/// report paired with any round within [`PAIR_TOL_S`] is worth at most what its nearest one
/// would be, and at least 1), in one walk over the two lists instead of a pairing: most shifts a
/// search tries cannot beat the best found, and this turns them away first. It gives up as soon
/// as even pairing the rest perfectly could not reach `floor`. `seq` and `rounds` are in time
/// order.
pub(crate) fn could_reach(
    rounds: &[(f64, usize)],
    seq: &[(f64, usize)],
    d: f64,
    floor: f64,
) -> bool {
    let (tol, gain, sigma) = (PAIR_TOL_S, PAIR_GAIN, ROUND_SIGMA_S);
    let mut bound = 0.0;
    let mut next = 0;
    for (k, &(t, _)) in seq.iter().enumerate() {
        if bound + (seq.len() - k) as f64 * gain < floor {
            return false;
        }
        // As the pairings compute it, so that the bound holds to the bit.
        let t = t + d;
        while next < rounds.len() && rounds[next].0 < t {
            next += 1;
        }
        let after = rounds.get(next).map_or(f64::INFINITY, |r| (r.0 - t).abs());
        let before = next
            .checked_sub(1)
            .map_or(f64::INFINITY, |r| (rounds[r].0 - t).abs());
        let e = after.min(before);
        if e <= tol {
            bound += gain - e * e / (sigma * sigma);
        }
    }
    bound >= floor
}

/// The shifts of `sorted` (ascending) nearest `d0` first, the lower of two as near: what sorting
/// them by distance would give, walked outwards from `d0` instead of sorted again — the search
/// over shifts mostly stops after the first few.
pub(crate) fn nearest_first(sorted: &[f64], d0: f64) -> impl Iterator<Item = f64> + '_ {
    let mid = sorted.partition_point(|&d| d < d0);
    let (mut left, mut right) = (mid, mid);
    std::iter::from_fn(move || {
        let l = (left > 0).then(|| d0 - sorted[left - 1]);
        let r = (right < sorted.len()).then(|| sorted[right] - d0);
        match (l, r) {
            (None, None) => None,
            // The lower side on a tie.
            (Some(l), r) if r.is_none_or(|r| l <= r) => {
                left -= 1;
                Some(sorted[left])
            }
            _ => {
                right += 1;
                Some(sorted[right - 1])
            }
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// [`pair_in_order`] at no shift.
    fn in_order(rounds: &[(f64, usize)], seq: &[(f64, usize)]) -> (usize, f64, Vec<Option<usize>>) {
        let (mut chains, mut out) = (Chains::default(), Vec::new());
        let (n, cost) = pair_in_order(rounds, seq, 0.0, &mut chains, &mut out);
        (n, cost, out)
    }

    /// Rounds one second apart, of which the first observer missed the third; the second
    /// observer heard all but the first. Pairing each report with its nearest free round slips
    /// every report after the gap by one; the order-keeping pairing keeps them on their rounds.
    #[test]
    fn a_missed_round_does_not_slip_the_rest_of_a_sequence() {
        let rounds: Vec<(f64, usize)> = [0.0, 1.0, 3.0, 4.0, 5.0]
            .iter()
            .enumerate()
            .map(|(r, &t)| (t, r))
            .collect();
        let seq: Vec<(f64, usize)> = [1.0, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .enumerate()
            .map(|(k, &t)| (t, 100 + k))
            .collect();
        let score = pairing_score;
        let (mut used, mut out) = (Vec::new(), Vec::new());
        let (n, cost) = pair(&rounds, &seq, 0.0, PAIR_TOL_S, &mut used, &mut out);
        assert_eq!(out, vec![Some(1), Some(2), Some(3), Some(4), None]);
        let greedy = score(n, cost);
        let (n, cost, out) = in_order(&rounds, &seq);
        // The reports at 3, 4 and 5 s on the rounds at 3, 4 and 5 s.
        assert_eq!(&out[2..], &[Some(2), Some(3), Some(4)]);
        assert!(
            score(n, cost) > greedy,
            "{} against {greedy}",
            score(n, cost)
        );
    }

    #[test]
    fn shifts_are_tried_nearest_the_mean_first() {
        let mut sorted = vec![-3.0, -1.25, -0.5, 0.0, 0.5, 0.75, 1.0, 2.0, 2.5];
        let d0 = 0.5;
        // Two shifts as near as each other: the lower first. The mean itself twice: both first.
        sorted.push(d0);
        sorted.sort_by(f64::total_cmp);
        let walked: Vec<f64> = nearest_first(&sorted, d0).collect();
        let mut by_distance = sorted.clone();
        by_distance.sort_by(|a, b| {
            (a - d0)
                .abs()
                .total_cmp(&(b - d0).abs())
                .then(a.total_cmp(b))
        });
        assert_eq!(walked, by_distance);
        assert_eq!(&walked[..5], &[0.5, 0.5, 0.75, 0.0, 1.0]);
        assert_eq!(nearest_first(&[], 1.0).count(), 0);
        assert_eq!(
            nearest_first(&[3.0, 4.0], 5.0).collect::<Vec<_>>(),
            vec![4.0, 3.0]
        );
    }

    /// Observers around a place that is 600 m off to the east: those east of it hear the
    /// rounds 1.75 s early, those west of it as late, those north and south on time. Once
    /// observers on both sides are placed, one far to the east is expected where the place's
    /// error puts it, not at the others' mean; with one placed, at that one's shift.
    #[test]
    fn a_sequence_is_expected_where_the_place_error_puts_its_line_of_sight() {
        let g = 600.0 / 343.0;
        // Lines of sight, observer to place: west of the place looks east, and so on.
        let sight = vec![
            [-1.0, 0.0],
            [0.0, -1.0],
            [1.0, 0.0],
            [0.0, 1.0],
            [-1.0, 0.0],
        ];
        let first = [(0.0, 0)];
        let mut salvo = Salvo::new(&first, sight, 800.0 / 343.0);
        // The true shift of each: its line of sight · g, with g = −δ/c for δ 600 m east.
        let truth = |q: usize| -g * salvo.sight[q][0];
        salvo.shifts = vec![Some(truth(0)), None, None, None, None];
        assert_eq!(salvo.predict(4, 1.0), truth(0));
        salvo.shifts = vec![
            Some(truth(0)),
            Some(truth(1)),
            Some(truth(2)),
            Some(truth(3)),
            None,
        ];
        let mean = (0..4).map(truth).sum::<f64>() / 4.0;
        let d0 = salvo.predict(4, 1.0);
        assert!(
            (d0 - truth(4)).abs() < 0.2 * (mean - truth(4)).abs(),
            "predicted {d0}, true {}, mean {mean}",
            truth(4)
        );
        // A sequence slipped by a round (2 s here) is left out of the fit.
        let sight5 = [
            [-1.0, 0.0],
            [0.0, -1.0],
            [1.0, 0.0],
            [0.0, 1.0],
            [0.0, -1.0],
            [-1.0, 0.0],
        ];
        let mut slipped = Salvo::new(&first, sight5.to_vec(), 800.0 / 343.0);
        let truth5 = |q: usize| -g * sight5[q][0];
        slipped.shifts = (0..5).map(|q| Some(truth5(q))).chain([None]).collect();
        slipped.shifts[4] = Some(truth5(4) + 2.0);
        let d0 = slipped.predict(5, 1.0);
        assert!(
            (d0 - truth5(5)).abs() < 0.1,
            "predicted {d0}, true {}",
            truth5(5)
        );
        // Light, or an observer of unknown position: the others' mean.
        salvo.sight[4] = [0.0, 0.0];
        assert!((salvo.predict(4, 1.0) - mean).abs() < 1e-12);
    }

    #[test]
    fn pairing_in_order_never_crosses() {
        // Two reports that would each be nearest the same pair of rounds crossed.
        let rounds = vec![(0.0, 0), (0.5, 1)];
        let seq = vec![(0.45, 10), (0.55, 11)];
        let (n, _, out) = in_order(&rounds, &seq);
        assert_eq!(n, 2);
        assert_eq!(out, vec![Some(0), Some(1)]);
    }

    /// Times in order, from gaps of 0.05 to 3 s: ripples, salvos and everything between.
    fn in_time_order(gaps: Vec<f64>, first_id: usize) -> Vec<(f64, usize)> {
        let mut t = 0.0;
        gaps.into_iter()
            .enumerate()
            .map(|(k, g)| {
                t += g;
                (t, first_id + k)
            })
            .collect()
    }

    proptest::proptest! {
        /// The bound that turns shifts away is never below what either pairing finds there, and
        /// reaches that score: no shift that could win is turned away.
        #[test]
        fn could_reach_bounds_both_pairings(
            rounds in proptest::collection::vec(0.05f64..3.0, 1..40),
            seq in proptest::collection::vec(0.05f64..3.0, 1..40),
            d in -5.0f64..5.0,
        ) {
            let (rounds, seq) = (in_time_order(rounds, 0), in_time_order(seq, 100));
            let (mut chains, mut used, mut out) = (Chains::default(), Vec::new(), Vec::new());
            let (n, sq) = pair_in_order(&rounds, &seq, d, &mut chains, &mut out);
            let ordered = pairing_score(n, sq);
            let (n, sq) = pair(&rounds, &seq, d, PAIR_TOL_S, &mut used, &mut out);
            let greedy = pairing_score(n, sq);
            for score in [ordered, greedy] {
                proptest::prop_assert!(could_reach(&rounds, &seq, d, score - 1e-6));
            }
            // And it does turn some away: nothing reaches more than every report paired exactly.
            let most = seq.len() as f64 * PAIR_GAIN;
            proptest::prop_assert!(!could_reach(&rounds, &seq, d, most + 1.0));
        }
    }
}
