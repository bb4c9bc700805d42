//! Ripples reported both ways: a post logs a rocket launcher's ripple as one line ("about 20
//! rockets, 10:04:10–10:04:52, bearing 212°", `count` with `time_end`) while acoustic sensors and
//! cameras report it round by round. Both describe the same events, so counting the line's 20
//! beside the 20 rounds located on their own would count the ripple twice.
//!
//! A windowed report of fire therefore joins, as corroboration, the earliest round located on
//! its own that it can have heard: a round of a compatible class whose place lies on its
//! bearing (within the gate, widened by the rounds' spread) and whose sound reached it within
//! its window. In that incident it adds neither to the count nor to the time (see
//! `incidents`). A line that no located round explains stays an incident of its own — one
//! incident with the salvo's count and time span — counted by the largest count any one
//! observer gave, never the sum.

#[allow(unused_imports)]
use super::*;

/// A located round a window may have heard: the event time at its place, its place, its class,
/// and its group.
#[derive(Clone, Copy)]
struct Round {
    t: f64,
    place: (f64, f64),
    class: Class,
    group: usize,
}

/// Whether a class is fire that a launcher ripples (not small arms, which posts log as windows
/// of their own).
fn ripple_class(class: Class) -> bool {
    matches!(class, Class::Launch | Class::Impact | Class::Explosion)
}

/// What a windowed report of fire with a bearing, the only kind that can join a round, is
/// matched by: the end of its window, its observer's position, its bearing and the bearing's
/// sigma, degrees.
struct WindowOfFire {
    end: f64,
    pos: (f64, f64),
    deg: f64,
    sigma: f64,
}

fn window_of_fire(w: &Obs) -> Option<WindowOfFire> {
    match (w.t_end, w.pos, w.bearing) {
        (Some(end), Some(pos), Some((deg, sigma))) if ripple_class(w.class) => Some(WindowOfFire {
            end,
            pos,
            deg,
            sigma,
        }),
        _ => None,
    }
}

/// Moves each windowed report of fire into the earliest located round it can have heard, and
/// drops the groups left empty. `at` maps the caller's indices into `all`.
pub(crate) fn corroborate(groups: &mut Vec<Group>, all: &[Obs], at: &[usize], c: &Config) {
    let windowed = |g: &Group| g.members.iter().any(|&m| all[at[m]].t_end.is_some());
    // Only a window of fire with a bearing can move; with none (small-arms windows are the
    // usual ones), the located rounds need not be listed.
    let can_move = |m: &usize| window_of_fire(&all[at[*m]]).is_some();
    if !groups.iter().any(|g| g.members.iter().any(can_move)) {
        return;
    }
    let mut rounds: Vec<Round> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| !windowed(g))
        .filter_map(|(k, g)| {
            let place = g.near?;
            let class = g
                .members
                .iter()
                .map(|&m| all[at[m]].class)
                .reduce(|a, b| a.meet(b).unwrap_or(a))?;
            if !ripple_class(class) {
                return None;
            }
            let t = g
                .members
                .iter()
                .map(|&m| all[at[m]].event_time(place, c))
                .sum::<f64>()
                / g.members.len() as f64;
            Some(Round {
                t,
                place,
                class,
                group: k,
            })
        })
        .collect();
    if rounds.is_empty() {
        return;
    }
    // By time, as integers (`ordered_bits`); the group breaks ties, so any sort gives this order.
    sort_nearly_in_order(&mut rounds, |r| (ordered_bits(r.t), r.group));
    let gate_t = c.time_gate_s();
    let flight = c.max_range_m / c.speed_of_sound;
    let mut moves: Vec<(usize, usize, usize)> = Vec::new(); // (from group, member, to group)
    for (k, g) in groups.iter().enumerate() {
        for &m in &g.members {
            let w = &all[at[m]];
            let Some(WindowOfFire {
                end,
                pos,
                deg,
                sigma,
            }) = window_of_fire(w)
            else {
                continue;
            };
            // Rounds whose sound can have reached the observer within its window.
            let lo = rounds.partition_point(|r| r.t < w.t - gate_t - flight);
            let heard = rounds[lo..]
                .iter()
                .take_while(|r| r.t <= end + gate_t)
                .filter(|r| r.class.meet(w.class).is_some())
                .find(|r| {
                    let (az, d) = azimuth_distance(pos, r.place);
                    if d > c.max_range_m {
                        return false;
                    }
                    let arrives = r.t + if w.sound { d / c.speed_of_sound } else { 0.0 };
                    let spread = (SALVO_SPREAD_M / d.max(1.0)).atan().to_degrees();
                    arrives >= w.t - gate_t
                        && arrives <= end + gate_t
                        && angle_diff(az, deg).abs() <= c.gate * norm(sigma, spread)
                });
            if let Some(r) = heard {
                moves.push((k, m, r.group));
            }
        }
    }
    for (from, m, to) in moves {
        groups[from].members.retain(|&x| x != m);
        groups[to].members.push(m);
    }
    groups.retain(|g| !g.members.is_empty());
}
