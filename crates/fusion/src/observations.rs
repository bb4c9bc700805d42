//! Observations as fusion uses them: numbered observers, times in seconds, bearings,
//! ranges and points worked out once, and each observation's contribution to a solution.

#[allow(unused_imports)]
use super::*;

/// An observation as fusion uses it.
#[derive(Debug, Clone)]
pub(crate) struct Obs {
    /// Index into the caller's slice.
    pub(crate) index: usize,
    pub(crate) observer: usize,
    /// When it was sensed, seconds since the Unix epoch.
    pub(crate) t: f64,
    /// End of its window, for counted observations.
    pub(crate) t_end: Option<f64>,
    /// Travels at the speed of sound (heard) rather than light (seen).
    pub(crate) sound: bool,
    pub(crate) class: Class,
    /// Its bit among the observations an episode admits ([`admission_of`]): asked of every
    /// open episode it is weighed against.
    pub(crate) admission: u64,
    pub(crate) count: u32,
    pub(crate) pos: Option<(f64, f64)>,
    pub(crate) bearing: Option<(f64, f64)>,
    /// Sine and cosine of the bearing.
    pub(crate) bearing_dir: Option<(f64, f64)>,
    pub(crate) range: Option<(f64, f64)>,
    /// The range as the mean and sigma of the distance's logarithm.
    pub(crate) range_log: Option<(f64, f64)>,
    pub(crate) point: Option<((f64, f64), f64)>,
}

/// The observers of an input, numbered once: every pass looks an observer up by number, not by
/// name.
pub(crate) struct Observers<'a> {
    pub(crate) names: Vec<&'a str>,
    /// The observer of each observation, in the caller's order.
    pub(crate) of: Vec<usize>,
}

impl<'a> Observers<'a> {
    pub(crate) fn new(obs: &'a [Observation]) -> Observers<'a> {
        // foldhash, not the standard SipHash: a name is looked up for every observation, and
        // SipHash made that a hundred-odd instructions (1.3 % of fusion's). Its seed is still
        // random for each map, so names chosen to collide cannot be prepared in advance.
        let mut numbers: HashMap<&str, usize, foldhash::fast::RandomState> = HashMap::default();
        let mut names = Vec::new();
        let of = obs
            .iter()
            .map(|o| {
                *numbers.entry(o.observer.as_str()).or_insert_with(|| {
                    names.push(o.observer.as_str());
                    names.len() - 1
                })
            })
            .collect();
        Observers { names, of }
    }

    /// Offsets by observer number from offsets by name.
    pub(crate) fn offsets(&self, clocks: &ClockOffsets) -> Vec<Option<f64>> {
        self.names.iter().map(|n| clocks.get(*n).copied()).collect()
    }

    /// Offsets by name from offsets by observer number.
    pub(crate) fn named(&self, offsets: &[Option<f64>]) -> ClockOffsets {
        self.names
            .iter()
            .zip(offsets)
            .filter_map(|(n, o)| o.map(|o| (n.to_string(), o)))
            .collect()
    }
}

/// Two observations (indices into `obs`) in the order fusion reads observations in: by time as
/// reported, then id (see [`time_and_id_order`] for many at once).
pub(crate) fn time_and_id(obs: &[Observation], a: usize, b: usize) -> std::cmp::Ordering {
    obs[a]
        .time
        .cmp(&obs[b].time)
        .then_with(|| obs[a].id.cmp(&obs[b].id))
}

/// The positions of `idx` (indices into `obs`) put in the order fusion reads observations in:
/// by time as reported, then id (ids are unique, so the order is total). The times are taken out
/// once beside the positions, as their seconds and the nanoseconds within them (of the same
/// sign, so the pair orders as the time does; an `i128` of nanoseconds was twice the bytes to
/// move): the sort then compares integers in one array instead of reaching into each
/// observation, which measured a third of the cost of the sorts that did. Ids are unique, so any
/// sort gives the same order; [`sort_nearly_in_order`], as its input (a file, a day of the store,
/// incidents from episodes sorted by their start) nearly always comes in time order already.
pub(crate) fn time_and_id_order(obs: &[Observation], idx: &[usize]) -> Vec<usize> {
    let mut keyed: Vec<(i64, i32, u32)> = idx
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let t = obs[i].time;
            let k = u32::try_from(k).expect("fewer than 2³² observations at once");
            (t.as_second(), t.subsec_nanosecond(), k)
        })
        .collect();
    sort_nearly_in_order(&mut keyed, |&(s, n, k)| {
        (s, n, obs[idx[k as usize]].id.as_str())
    });
    keyed.into_iter().map(|(.., k)| k as usize).collect()
}

/// The observations as fusion uses them, in the caller's order, with no clock corrected.
pub(crate) fn convert(obs: &[Observation], observers: &Observers) -> Vec<Obs> {
    obs.iter()
        .enumerate()
        .map(|(index, o)| {
            let sound = !matches!(
                o.kind,
                Kind::MuzzleFlash | Kind::Illumination | Kind::Weapon
            ) && !matches!(
                o.source,
                Some(Source::Camera | Source::Uav | Source::Satellite)
            );
            let secs = |t: jiff::Timestamp| t.as_millisecond() as f64 / 1000.0;
            let t_end = o.time_end.filter(|_| o.count > 1).map(secs);
            let class = Class::of(o);
            Obs {
                index,
                observer: observers.of[index],
                t: secs(o.time),
                t_end,
                sound,
                class,
                admission: admission_of(class, t_end.is_some()),
                count: o.count,
                pos: o.observer_position.map(|p| (p.lon, p.lat)),
                bearing: o.bearing.map(|b| (b.deg, b.sigma_deg)),
                bearing_dir: o.bearing.map(|b| bearing_dir(b.deg)),
                range: o.distance_m.map(|r| (r.min, r.max)),
                range_log: o.distance_m.map(|r| range_log_mean_sigma(r.min, r.max)),
                // `uncertainty_m` is read as a 95 % radius.
                point: o
                    .location
                    .map(|l| ((l.lon, l.lat), (l.uncertainty_m / 2.45).max(1.0))),
            }
        })
        .collect()
}

/// A float's bits as an integer in [`f64::total_cmp`]'s order: sorting by it compares one integer,
/// not two floats taken apart.
pub(crate) fn ordered_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// How many places, on the average, [`sort_nearly_in_order`] moves an element back before it
/// gives the rest to a general sort. The incidents a salvo's episode splits into start up to a
/// minute apart, and their first members move back past others' more than corrected clocks move
/// observations: at four a place, their day went to the general sort; at eight it did not, and
/// 16 or 32 changed nothing more (the day of ripples, 0.4 % of its instructions).
const NEARLY_IN_ORDER_MOVES: usize = 8;

/// Sorts `v` by `key` as `sort_unstable_by_key` does (elements of equal keys may come in either
/// order), by insertion while the input is nearly in order: observations come in the order their
/// observers' clocks put them, and correcting those clocks moves each only a place or two, where a
/// general sort partitions the whole day again (2 % of fusion's instructions on the day of
/// ripples). Input far out of order (a file sorted by observer, or made to be slow) is handed to
/// `sort_unstable_by_key` once the elements have moved back [`NEARLY_IN_ORDER_MOVES`] places
/// each on the average, so it costs at most that much more than the sort alone.
pub(crate) fn sort_nearly_in_order<T: Copy, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    let budget = v.len().saturating_mul(NEARLY_IN_ORDER_MOVES);
    let mut moved = 0usize;
    for i in 1..v.len() {
        let x = v[i];
        let k = key(&x);
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > k {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        moved += i - j;
        if moved > budget {
            v.sort_unstable_by_key(key);
            return;
        }
    }
}

/// The float [`ordered_bits`] made.
pub(crate) fn from_ordered_bits(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// The observations with their observers' clocks corrected (an event's end is left as
/// reported), in the order they were sensed: by corrected time, then id. With a `stride` above
/// one, only the calibration sample: the observations of one block of [`CALIBRATION_BLOCK_S`]
/// (by corrected time) in `stride`.
pub(crate) fn prepare(
    obs: &[Observation],
    base: &[Obs],
    clocks: &[Option<f64>],
    stride: usize,
) -> Vec<Obs> {
    // Sorted as small keys, then gathered: cheaper than moving whole observations about; the
    // sample is taken before the sort, which then sees a fraction of the input.
    let mut keys: Vec<(u64, usize)> = base
        .iter()
        .map(|o| (o.t - clocks[o.observer].unwrap_or(0.0), o.index))
        .filter(|&(t, _)| {
            // The block's number as an integer: a remainder of floats is a library call.
            stride == 1 || ((t / CALIBRATION_BLOCK_S).floor() as i64).rem_euclid(stride as i64) == 0
        })
        .map(|(t, i)| (ordered_bits(t), i))
        .collect();
    // By time, as integers, then id: ids are unique, so the order is total (as in
    // `time_and_id_order`; the ids are read only for equal times, which are rare).
    sort_nearly_in_order(&mut keys, |&(t, i)| (t, obs[i].id.as_str()));
    keys.into_iter()
        .map(|(k, i)| Obs {
            t: from_ordered_bits(k),
            ..base[i].clone()
        })
        .collect()
}

impl Obs {
    /// At most three: a bearing, a range and a point.
    pub(crate) fn measurements(&self, out: &mut impl Extend<Measurement>) {
        if let (Some(from), Some((deg, sigma_deg))) = (self.pos, self.bearing) {
            out.extend([Measurement::Bearing {
                from,
                deg,
                sigma_deg,
            }]);
        }
        if let (Some(from), Some((min, max))) = (self.pos, self.range) {
            out.extend([Measurement::Range { from, min, max }]);
        }
        if let Some((at, sigma_m)) = self.point {
            out.extend([Measurement::Point { at, sigma_m }]);
        }
    }

    /// As [`Obs::measurements`], in the solver's form, from what was worked out once.
    /// At most three: a bearing, a range and a point.
    pub(crate) fn terms(&self, out: &mut impl Extend<Term>) {
        if let (Some(from), Some((deg, sigma_deg)), Some(dir)) =
            (self.pos, self.bearing, self.bearing_dir)
        {
            out.extend([Term::bearing(from, deg, sigma_deg, dir)]);
        }
        if let (Some(from), Some((mu, s))) = (self.pos, self.range_log) {
            out.extend([Term::Range { from, mu, s }]);
        }
        if let Some((at, sigma_m)) = self.point {
            out.extend([Term::point(at, sigma_m)]);
        }
    }

    /// When it was last sensed: the end of its window, for a counted one.
    pub(crate) fn sensed_end(&self) -> f64 {
        self.t_end.unwrap_or(self.t)
    }

    /// The event time this observation implies if the event was at `at`.
    pub(crate) fn event_time(&self, at: (f64, f64), c: &Config) -> f64 {
        match (self.sound, self.pos) {
            (true, Some(p)) => self.t - crate::local::distance(p, at) / c.speed_of_sound,
            _ => self.t,
        }
    }

    /// As [`Obs::event_time`], for an event at the origin of `plane`.
    pub(crate) fn event_time_at(&self, plane: &Plane, c: &Config) -> f64 {
        match (self.sound, self.pos) {
            (true, Some(p)) => self.t - plane.distance_from(p) / c.speed_of_sound,
            _ => self.t,
        }
    }
}

/// What an observation gives a solution: its measurements, or the solver's form of them.
pub(crate) trait Gather: Sized {
    /// At most three of them.
    fn gather(o: &Obs, out: &mut impl Extend<Self>);
}

impl Gather for Term {
    fn gather(o: &Obs, out: &mut impl Extend<Term>) {
        o.terms(out)
    }
}

impl Gather for Measurement {
    fn gather(o: &Obs, out: &mut impl Extend<Measurement>) {
        o.measurements(out)
    }
}

/// Calls `f` with the observations' measurements (or terms), in their order: on the stack for
/// the few observations nearly every episode has, as an episode is solved again and again while
/// it grows (a vector for each solution was 1 % of fusion's instructions).
pub(crate) fn with_gathered<'a, T: Gather, R>(
    members: impl ExactSizeIterator<Item = &'a Obs>,
    f: impl FnOnce(&[T]) -> R,
) -> R {
    const ON_STACK: usize = 24;
    if 3 * members.len() <= ON_STACK {
        let mut v = arrayvec::ArrayVec::<T, ON_STACK>::new();
        members.for_each(|o| T::gather(o, &mut v));
        f(&v)
    } else {
        let mut v = Vec::with_capacity(3 * members.len());
        members.for_each(|o| T::gather(o, &mut v));
        f(&v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the library's sort, for input in order but for a few places, and for
        /// input in no order at all (past the budget); equal keys stay together.
        #[test]
        fn sorting_nearly_in_order_sorts(
            xs in prop::collection::vec(0u16..500, 0..400),
            shuffled in any::<bool>(),
            swaps in prop::collection::vec((0usize..400, 0usize..3), 0..40),
        ) {
            let mut v: Vec<(u16, usize)> = xs.iter().enumerate().map(|(i, &x)| (x, i)).collect();
            if !shuffled {
                v.sort_unstable();
                for &(i, by) in &swaps {
                    if i + by < v.len() {
                        v.swap(i, i + by);
                    }
                }
            }
            let mut expected = v.clone();
            expected.sort_unstable();
            // By the whole (unique) pair: the order is total, so it must be the library's.
            let mut total = v.clone();
            sort_nearly_in_order(&mut total, |&x| x);
            prop_assert_eq!(&total, &expected);
            // By the first alone: sorted by it, and the same elements.
            let mut by_key = v.clone();
            sort_nearly_in_order(&mut by_key, |x| x.0);
            prop_assert!(by_key.windows(2).all(|w| w[0].0 <= w[1].0));
            by_key.sort_unstable();
            prop_assert_eq!(by_key, expected);
        }

        /// The integers sort as `total_cmp` sorts the floats, and give each float back to the bit.
        #[test]
        fn ordered_bits_keep_the_total_order(a in any::<f64>(), b in any::<f64>()) {
            prop_assert_eq!(ordered_bits(a).cmp(&ordered_bits(b)), a.total_cmp(&b));
            prop_assert_eq!(from_ordered_bits(ordered_bits(a)).to_bits(), a.to_bits());
        }
    }

    /// Input in reverse, the worst for insertion, is handed to the general sort early: the keys
    /// are read about as often as a sort of its own reads them, not n²/2 times.
    #[test]
    fn sorting_input_in_reverse_is_not_quadratic() {
        let n = 20_000u32;
        let mut v: Vec<u32> = (0..n).rev().collect();
        let mut reads = 0u64;
        sort_nearly_in_order(&mut v, |&x| {
            reads += 1;
            x
        });
        assert!(v.iter().copied().eq(0..n));
        let n = u64::from(n);
        // n log₂ n is about 286,000 here; n²/2 is 200 million.
        assert!(
            reads < 2 * n * 15 + 2 * n * NEARLY_IN_ORDER_MOVES as u64,
            "{reads} key reads"
        );
    }

    /// Signed zeros, infinities and NaNs keep `total_cmp`'s order too.
    #[test]
    fn ordered_bits_of_the_edge_values() {
        let xs = [
            f64::NAN.copysign(-1.0),
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for w in xs.windows(2) {
            assert!(ordered_bits(w[0]) < ordered_bits(w[1]), "{} {}", w[0], w[1]);
        }
    }
}
