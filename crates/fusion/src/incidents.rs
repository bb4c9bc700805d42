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
    // The reports that time the event: walked over again rather than copied, as nearly every
    // incident's are all of its reports.
    let timed = || {
        prepared
            .iter()
            .copied()
            .filter(move |p| !rounds || p.t_end.is_none())
    };
    let n = timed().count();
    let t = timed()
        .map(|p| match fix {
            Some(_) => p.event_time(location, c),
            None => p.t,
        })
        .sum::<f64>()
        / n as f64;
    let t_end = timed()
        .filter_map(|p| p.t_end)
        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))));
    let count = if t_end.is_some() {
        window_count(
            &timed().collect::<Vec<_>>(),
            fix.as_ref().map(|_| location),
            c,
        )
    } else {
        // Sensed at one instant: what one observer counted at once (two tanks in one sighting)
        // stands; several observers of the same instant saw the same things, so the largest.
        timed().map(|p| p.count).max().unwrap_or(1)
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
        // Not `format!`: its machinery is most of the cost of joining two strings.
        id: ["inc-", first].concat(),
        class,
        kind,
        subtype,
        time: ts(t),
        time_end: t_end.map(ts),
        location,
        cov: fix.map(|f| f.cov),
        ellipse: fix.map(|f| f.ellipse()),
        basis,
        count,
        weapon,
        observations: members,
    }
}

/// How many events a window of reports stands for: at least the largest number any one observer
/// reported (its own count, or the single reports it gave of the same exchange), as each counted
/// the same exchange; and, beyond that, what another observer reported at times that observer's
/// reports leave out, which cannot be among the events it counted. An observer nearer one end of
/// an exchange hears bursts a farther one misses, so the largest alone falls short of the events
/// heard (on a simulated day with posts 5 km apart, by 15 % of the windows' events); the times
/// bound that shortfall from below without guessing at what nobody reported.
///
/// Times are the events' (each report's sound delay from `at`, the incident's place, taken off),
/// and two reports are apart only when they are more than [`APART_S`] apart. A window's `time`
/// and `time_end` are read as its first and last events sensed (SPEC 2.2: `time` is when it was
/// sensed): where another observer's window overlaps the anchor's, each of its ends apart from
/// the anchor's reports is one event more. A window logged with rounded times would be
/// overcounted by at most those two.
fn window_count(timed: &[&Obs], at: Option<(f64, f64)>, c: &Config) -> u32 {
    // (observer, start, end, count, windowed) of each report, in event time.
    let reports: Vec<(usize, f64, f64, u32, bool)> = timed
        .iter()
        .map(|p| {
            let end = p.t_end.unwrap_or(p.t);
            let lag = match (p.sound, at, p.pos) {
                (false, ..) => Some(0.0),
                (true, Some(a), Some(q)) => Some(distance(q, a) / c.speed_of_sound),
                // Heard from somewhere unknown, or of an event not located: when the sound
                // left is not known, so the report is apart from none.
                _ => None,
            };
            let (s, e) = match lag {
                Some(lag) => (p.t - lag, end - lag),
                None => (f64::NEG_INFINITY, f64::INFINITY),
            };
            (p.observer, s, e, p.count, p.t_end.is_some())
        })
        .collect();
    // Each observer's own figure.
    let mut own: HashMap<usize, Tally> = HashMap::new();
    for &(o, _, _, n, windowed) in &reports {
        own.entry(o).or_default().add(n, windowed);
    }
    let mut anchors: Vec<(u32, usize)> = own.iter().map(|(&o, t)| (t.events(), o)).collect();
    anchors.sort_unstable_by_key(|a| std::cmp::Reverse(a.0));
    // The few observers that counted most are the only anchors worth trying, with any that
    // counted as many as the last of them (an observer's number follows the input's order, so
    // choosing among equals by it would make the count depend on that order). At most
    // `MAX_ANCHORS`, so that a window of thousands of reports does not cost their square.
    let least = anchors.get(ANCHORS - 1).map_or(0, |a| a.0);
    anchors
        .iter()
        .take_while(|a| a.0 >= least)
        .take(MAX_ANCHORS)
        .map(|&(n, a)| {
            let mut covered: Vec<(f64, f64)> = reports
                .iter()
                .filter(|r| r.0 == a)
                .map(|r| (r.1 - APART_S, r.2 + APART_S))
                .collect();
            covered.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
            // Merged, so that one search finds whether a time falls in any of them.
            let mut merged: Vec<(f64, f64)> = Vec::with_capacity(covered.len());
            for (s, e) in covered {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            let apart = |s: f64, e: f64| {
                let i = merged.partition_point(|m| m.1 < s);
                merged.get(i).is_none_or(|m| m.0 > e)
            };
            // The others' reports apart from the anchor's, in runs of reports less than
            // `APART_S` apart: reports in different runs are of different events. A run adds
            // the most one observer reported in it (its window and its singles may be the same
            // events, so the larger of the two).
            // A window that overlaps the anchor's still had an event at each of its ends (what
            // was heard first and last): an end apart from the anchor's reports is one event
            // more, as a single report at that time.
            let mut rest: Vec<(usize, f64, f64, u32, bool)> = Vec::new();
            for &r in reports.iter().filter(|r| r.0 != a) {
                if apart(r.1, r.2) {
                    rest.push(r);
                } else if r.4 {
                    for end in [r.1, r.2] {
                        if apart(end, end) {
                            rest.push((r.0, end, end, 1, false));
                        }
                    }
                }
            }
            rest.sort_unstable_by(|x, y| x.1.total_cmp(&y.1));
            let mut beyond = 0;
            let mut run: HashMap<usize, Tally> = HashMap::new();
            let mut run_end = f64::NEG_INFINITY;
            let most = |run: &HashMap<usize, Tally>| run.values().map(Tally::events).max();
            for &(o, s, e, k, windowed) in &rest {
                if s - APART_S > run_end {
                    beyond = most(&run).unwrap_or(0).saturating_add(beyond);
                    run.clear();
                }
                run_end = run_end.max(e);
                run.entry(o).or_default().add(k, windowed);
            }
            beyond = most(&run).unwrap_or(0).saturating_add(beyond);
            n.saturating_add(beyond)
        })
        .max()
        // Every anchor gives at least its own count, the first the largest; a window stands
        // for one event at least.
        .unwrap_or(0)
        .max(1)
}

/// What one observer reported of an exchange: its largest window and its single reports. They
/// may be of the same events, so it stands for the larger of the two.
#[derive(Default)]
struct Tally {
    window: u32,
    singles: u32,
}

impl Tally {
    fn add(&mut self, count: u32, windowed: bool) {
        if windowed {
            self.window = self.window.max(count);
        } else {
            self.singles += 1;
        }
    }

    fn events(&self) -> u32 {
        self.window.max(self.singles)
    }
}

/// Observers tried as the one whose count others add to (and those that counted as many).
const ANCHORS: usize = 3;

/// The most observers tried so, however many counted as many.
const MAX_ANCHORS: usize = 16;

/// How far apart in event time two reports of an exchange must be to be of different events:
/// sound crossing an exchange's ground (fire from both sides, a kilometre or so each side of the
/// line: about 6 s between its two ends) and what calibration leaves of two clocks.
const APART_S: f64 = 6.0 + 2.0 * CALIBRATED_CLOCK_ERROR_S;

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
