//! Incidents: an event's observations become its incident — located from its episode's
//! place, kind, subtype, count, weapon and time span.

#[allow(unused_imports)]
use super::*;

pub(crate) fn incident(
    obs: &[Observation],
    group: Group,
    c: &Config,
    all: &[Obs],
    at: &[usize],
) -> Incident {
    let members = group.members;
    let prepared: Vec<&Obs> = members.iter().map(|&i| &all[at[i]]).collect();
    // As the measurements count them: a bearing needs its observer's position.
    let bearings = prepared
        .iter()
        .filter(|p| p.pos.is_some() && p.bearing.is_some())
        .count();
    let points = prepared.iter().filter(|p| p.point.is_some()).count();
    let fix = locate_group(&prepared, group.near, c);
    let basis = match (&fix, bearings, points) {
        (None, _, _) => Basis::ObserverOnly,
        (Some(_), b, p) if b + p >= 2 => Basis::Fix,
        (Some(_), 0, _) => Basis::Direct,
        (Some(_), _, _) => Basis::Wedge,
    };
    let location = match &fix {
        Some(f) => f.position,
        None => prepared
            .iter()
            .find_map(|p| p.pos.or(p.point.map(|q| q.0)))
            .unwrap_or((0.0, 0.0)),
    };
    let class = prepared
        .iter()
        .map(|p| p.class)
        .reduce(|a, b| a.meet(b).unwrap_or(a))
        .expect("an incident has members");
    // Windowed reports of fire beside reports of one round corroborate that round (see
    // `ripples`): they point at its place but add nothing to its time or count.
    let rounds = class != Class::SmallArms && prepared.iter().any(|p| p.t_end.is_none());
    let timed: Vec<&Obs> = if rounds {
        prepared
            .iter()
            .copied()
            .filter(|p| p.t_end.is_none())
            .collect()
    } else {
        prepared.clone()
    };
    let times: Vec<f64> = timed
        .iter()
        .map(|p| match fix {
            Some(_) => p.event_time(location, c),
            None => p.t,
        })
        .collect();
    let t = times.iter().sum::<f64>() / times.len() as f64;
    let t_end = timed
        .iter()
        .filter_map(|p| p.t_end)
        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))));
    // A window counts the largest number any one observer reported: its own count, or the
    // single reports it gave of the same exchange (see the crate documentation).
    let count = if t_end.is_some() {
        let windowed = timed
            .iter()
            .filter(|p| p.t_end.is_some())
            .map(|p| p.count)
            .max();
        let mut singles: HashMap<usize, u32> = HashMap::new();
        for p in timed.iter().filter(|p| p.t_end.is_none()) {
            *singles.entry(p.observer).or_default() += 1;
        }
        windowed
            .unwrap_or(1)
            .max(singles.values().copied().max().unwrap_or(0))
    } else {
        // Sensed at one instant: what one observer counted at once (two tanks in one sighting)
        // stands; several observers of the same instant saw the same things, so the largest.
        timed.iter().map(|p| p.count).max().unwrap_or(1)
    };
    let mut weapons: Vec<&str> = members
        .iter()
        .filter_map(|&i| obs[i].weapon.as_deref())
        .filter(|w| *w != "unknown")
        .collect();
    weapons.sort_unstable();
    let weapon = most_common(&weapons).map(str::to_string);
    let (kind, subtype) = match class {
        Class::Launch => (Kind::Explosion, Some(Subtype::Outgoing)),
        Class::Impact => (Kind::Explosion, Some(Subtype::Impact)),
        Class::Explosion => (Kind::Explosion, Some(Subtype::Undetermined)),
        Class::SmallArms => {
            let shots = members.iter().all(|&i| obs[i].kind == Kind::Shot);
            (if shots { Kind::Shot } else { Kind::Burst }, None)
        }
        Class::Weapon => (Kind::Weapon, None),
        Class::Other(k) => (k, None),
    };
    let ts = |s: f64| jiff::Timestamp::from_millisecond((s * 1000.0).round() as i64).unwrap();
    let first = members
        .iter()
        .map(|&i| obs[i].id.as_str())
        .min()
        .unwrap_or("");
    Incident {
        id: format!("inc-{first}"),
        class,
        kind,
        subtype,
        time: ts(t),
        time_end: t_end.map(ts),
        location,
        cov: fix.map(|f| f.cov),
        ellipse: fix.map(|f| f.ellipse),
        basis,
        count,
        weapon,
        observations: members,
    }
}

pub(crate) fn most_common<'a>(sorted: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(&str, usize)> = None;
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|w| **w == sorted[i]).count();
        if best.is_none_or(|(_, n)| j > n) {
            best = Some((sorted[i], j));
        }
        i += j;
    }
    best.map(|(w, _)| w)
}
