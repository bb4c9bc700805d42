//! Merging: episodes that the order of arrival kept apart (an observation that reached an
//! episode before the one that would have placed it) are joined when every member fits the
//! other's place and time.

#[allow(unused_imports)]
use super::*;

/// Whether every observation of `b`, added one by one, fits `a`.
pub(crate) fn all_fit(a: &Open, b: &Open, all: &[Obs], c: &Config) -> bool {
    // Most pairs a merge tries fail on the first member: test it before copying `a`.
    if let Some(&m) = b.members.first()
        && a.fit(&all[m], all, c).is_none()
    {
        return false;
    }
    let mut trial = a.clone();
    b.members.iter().all(|&m| {
        let ok = trial.fit(&all[m], all, c).is_some();
        if ok {
            trial.add(m, all, c);
        }
        ok
    })
}

/// Whether `b`, single reports of small-arms fire, can fold into the window `a`.
pub(crate) fn folds_into(a: &Open, b: &Open) -> bool {
    a.windowed && !b.windowed && a.class == Class::SmallArms && b.class == Class::SmallArms
}

pub(crate) fn same_place_and_time(a: &Open, b: &Open, all: &[Obs], c: &Config) -> bool {
    let folding = folds_into(a, b);
    if (a.windowed != b.windowed && !folding) || a.class.meet(b.class).is_none() {
        return false;
    }
    let Whereabouts::Fix {
        plane, sigma: sa, ..
    } = &a.whereabouts
    else {
        return false;
    };
    let sa = *sa;
    let place_ok = match &b.whereabouts {
        Whereabouts::Fix {
            plane: bp,
            sigma: sb,
            ..
        } => {
            let sb = *sb;
            distance(plane.origin, bp.origin) <= c.gate * norm(sa, sb) + SALVO_SPREAD_M
        }
        Whereabouts::Ray {
            deg,
            sigma_deg,
            plane: from,
            ..
        } => {
            let (az, d) = azimuth_distance(from.origin, plane.origin);
            let ang = ((sa + SALVO_SPREAD_M) / d.max(1.0)).atan().to_degrees();
            d <= c.max_range_m && angle_diff(az, *deg).abs() <= c.gate * norm(*sigma_deg, ang)
        }
        _ => false,
    };
    if !place_ok {
        return false;
    }
    if a.windowed {
        // Windows: some report of `b` falls within a window of `a`, allowing for the clock
        // error and the sound's travel.
        let slack = c.time_gate_s() + c.max_range_m / c.speed_of_sound;
        return b
            .members
            .iter()
            .any(|&m| a.window_overlaps(&all[m], all, c))
            || b.members.iter().any(|&m| {
                let t = all[m].t;
                a.members.iter().any(|&w| {
                    t >= all[w].t - slack && t <= all[w].t_end.unwrap_or(all[w].t) + slack
                })
            });
    }
    let slack = c.time_gate_s() + 2.0 * (sa + SALVO_SPREAD_M) / c.speed_of_sound;
    b.members.iter().all(|&m| {
        let t = all[m].event_time_at(plane, c);
        t >= a.t_min - slack && t <= a.t_max + MAX_ROUND_GAP_S + slack
    })
}

/// Observers closer than this see an event along the same line; their bearings do not cross.
pub(crate) const COLOCATED_M: f64 = 1000.0;

/// Joins episodes that the order of arrival kept apart: a camera's flash seen before anyone
/// heard the bang opens an episode of its own, and the bang's observers another. A smaller
/// episode joins a larger one of a compatible class when their places agree within the gate
/// (for an unlocated one: its ray passes the other's place) and the event times its members
/// imply there fall within the other's span.
pub(crate) fn merge(eps: Vec<Open>, all: &[Obs], c: &Config) -> Vec<Open> {
    // By start, then first member (the order is total): the keys are sorted, and the episodes,
    // a few hundred bytes each, moved once into that order rather than at every swap.
    let mut keys: Vec<(u64, usize, usize)> = eps
        .iter()
        .enumerate()
        .map(|(k, e)| (ordered_bits(e.t_min), e.members[0], k))
        .collect();
    // Episodes close about in the order they start.
    sort_nearly_in_order(&mut keys, |&k| k);
    let mut slots: Vec<Option<Open>> = eps.into_iter().map(Some).collect();
    let mut eps: Vec<Open> = keys
        .iter()
        .map(|&(.., k)| slots[k].take().expect("each episode once"))
        .collect();
    let reach = c.window_s() + MAX_ROUND_GAP_S;
    let mut alive = vec![true; eps.len()];
    // Largest first, so that fragments gather into the best-located episode.
    let mut order: Vec<(std::cmp::Reverse<usize>, usize)> = eps
        .iter()
        .enumerate()
        .map(|(k, e)| (std::cmp::Reverse(e.members.len()), k))
        .collect();
    order.sort_unstable();
    for &(_, i) in &order {
        if !alive[i] {
            continue;
        }
        // Episodes that start near this one in time, in either direction.
        let lo = eps.partition_point(|e| e.t_min < eps[i].t_min - reach);
        let mut j = lo;
        while j < eps.len() && eps[j].t_min <= eps[i].closes_at(c) {
            if j != i
                && alive[j]
                && (eps[j].members.len() <= eps[i].members.len() || folds_into(&eps[i], &eps[j]))
                && (same_place_and_time(&eps[i], &eps[j], all, c)
                    || all_fit(&eps[i], &eps[j], all, c))
            {
                let absorbed = std::mem::take(&mut eps[j].members);
                let e = &mut eps[i];
                for m in absorbed {
                    e.take_in(m, all);
                }
                e.refresh(all, c);
                alive[j] = false;
            }
            j += 1;
        }
    }
    eps.into_iter()
        .zip(alive)
        .filter_map(|(e, a)| a.then_some(e))
        .collect()
}
