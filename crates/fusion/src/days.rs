//! Fusion by day: a long input is fused one UTC day at a time, each day with its own clock
//! calibration, so that the cost of fusing a day — and of fusing it again when a late report
//! arrives — does not depend on how much history lies before it, and clocks that drift are
//! estimated over a day rather than a year.
//!
//! A day owns the incidents whose earliest observation (by `time` as reported) falls in it. So
//! that an event heard on both sides of midnight stays one incident, a day's fusion also sees
//! the next day's first [`lookahead_ms`] (the association window): the next-day observations
//! its incidents take are *claimed* and left out when the next day is fused. Each observation
//! is thus in exactly one incident, and the result depends only on the set of observations:
//! days are fused in order, each knowing only what the day before claimed. The online engine
//! (`truceline-service`) runs the same [`fuse_day`] on the days that changed.
//!
//! ```
//! use truceline_fusion::{DAY_MS, day_of};
//! let t: jiff::Timestamp = "2026-11-24T23:59:59Z".parse().unwrap();
//! assert_eq!(day_of(t) + 1, day_of("2026-11-25T00:00:00Z".parse().unwrap()));
//! assert_eq!(day_of(t) * DAY_MS, "2026-11-24T00:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond());
//! ```

#[allow(unused_imports)]
use super::*;

/// The length of a fusion day, milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day a time is in, as days since 1970-01-01.
pub fn day_of(t: jiff::Timestamp) -> i64 {
    t.as_millisecond().div_euclid(DAY_MS)
}

/// How far into the next day a day's fusion looks, milliseconds: the association window, the
/// longest an event's reports can trail its first.
pub fn lookahead_ms(c: &Config) -> i64 {
    (c.window_s() * 1000.0).ceil() as i64
}

/// What fusing one day made.
#[derive(Debug, Clone)]
pub struct DayFusion {
    /// The day's incidents, their observations as indices into the day's input.
    pub incidents: Vec<Incident>,
    /// The clock errors estimated on the day.
    pub clocks: ClockOffsets,
    /// The next day's observations (indices into the input) that the day's incidents took, in
    /// input order: the next day leaves them out.
    pub claimed: Vec<usize>,
}

/// Fuses one day: `obs` holds the day's observations that the day before did not claim and the
/// next day's observations of its first [`lookahead_ms`] (any others are ignored by the
/// caller's choosing, not here). Keeps the incidents whose earliest observation is in `day`.
pub fn fuse_day(obs: &[Observation], day: i64, c: &Config) -> DayFusion {
    let fusion = fuse_span(obs, c);
    let end = (day + 1) * DAY_MS;
    let mut claimed = Vec::new();
    let incidents = fusion
        .incidents
        .into_iter()
        .filter(|inc| {
            let first = inc
                .observations
                .iter()
                .map(|&i| obs[i].time.as_millisecond())
                .min()
                .unwrap_or(i64::MAX);
            if first >= end {
                return false;
            }
            claimed.extend(
                inc.observations
                    .iter()
                    .filter(|&&i| obs[i].time.as_millisecond() >= end),
            );
            true
        })
        .collect();
    claimed.sort_unstable();
    DayFusion {
        incidents,
        clocks: fusion.clocks,
        claimed,
    }
}

/// Fuses observations of any span day by day (see the module's documentation): the batch
/// engine, and what `truceline fuse` runs. Incidents are in day order, each day's in incident
/// order; their observation indices are into `obs`.
pub fn fuse(obs: &[Observation], c: &Config) -> Fusion {
    let all: Vec<usize> = (0..obs.len()).collect();
    let order = time_and_id_order(obs, &all);
    let days: Vec<i64> = order.iter().map(|&i| day_of(obs[i].time)).collect();
    // One day, the common case of a short input: no copy.
    if days.first() == days.last() {
        let f = fuse_span(obs, c);
        let n = f.incidents.len();
        return Fusion {
            incidents: f.incidents,
            clocks: days
                .first()
                .map(|&d| vec![(d, f.clocks)])
                .unwrap_or_default(),
            days: days.first().map(|&d| vec![(d, 0..n)]).unwrap_or_default(),
        };
    }
    let ahead = lookahead_ms(c);
    let mut claimed = vec![false; obs.len()];
    let mut out = Fusion {
        incidents: Vec::new(),
        clocks: Vec::new(),
        days: Vec::new(),
    };
    let mut start = 0;
    while start < order.len() {
        let day = days[start];
        let end = start + days[start..].partition_point(|&d| d == day);
        let limit = (day + 1) * DAY_MS + ahead;
        let next = end + order[end..].partition_point(|&i| obs[i].time.as_millisecond() < limit);
        let input: Vec<usize> = order[start..end]
            .iter()
            .copied()
            .filter(|&i| !claimed[i])
            .chain(order[end..next].iter().copied())
            .collect();
        // Fusion does not depend on the order of its input: in index order, a day that is one
        // run of the caller's slice (a file in time order) is fused in place, not copied.
        let mut input = input;
        sort_distinct(&mut input);
        let copied: Vec<Observation>;
        let subset: &[Observation] = match (input.first(), input.last()) {
            (Some(&lo), Some(&hi)) if hi - lo + 1 == input.len() => &obs[lo..=hi],
            _ => {
                copied = input.iter().map(|&i| obs[i].clone()).collect();
                &copied
            }
        };
        let f = fuse_day(subset, day, c);
        for k in f.claimed {
            claimed[input[k]] = true;
        }
        let first = out.incidents.len();
        out.incidents.extend(f.incidents.into_iter().map(|mut inc| {
            for i in &mut inc.observations {
                *i = input[*i];
            }
            inc
        }));
        out.clocks.push((day, f.clocks));
        out.days.push((day, first..out.incidents.len()));
        start = end;
    }
    out
}

/// Sorts distinct indices: by marking them over their span where it is short (a day of a file
/// in time order spans little more than itself; a sort of its tens of thousands was 0.8 % of
/// fusing it), by sorting otherwise.
fn sort_distinct(v: &mut Vec<usize>) {
    let (Some(&lo), Some(&hi)) = (v.iter().min(), v.iter().max()) else {
        return;
    };
    let span = hi - lo + 1;
    if span > 4 * v.len() {
        v.sort_unstable();
        return;
    }
    let mut seen = vec![false; span];
    for &i in v.iter() {
        seen[i - lo] = true;
    }
    v.clear();
    v.extend((lo..=hi).filter(|&i| seen[i - lo]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as a sort, whether the indices are dense (marked) or sparse (sorted).
        #[test]
        fn sort_distinct_sorts(set in proptest::collection::btree_set(0usize..5_000, 0..300), dense in any::<bool>()) {
            let mut v: Vec<usize> = if dense {
                (0..set.len()).map(|k| 1_000 + k).collect()
            } else {
                set.into_iter().collect()
            };
            let sorted = v.clone();
            v.reverse();
            let third = v.len() / 3;
            v.rotate_left(third);
            sort_distinct(&mut v);
            prop_assert_eq!(v, sorted);
        }
    }
}
