//! Black Sea traffic with known behaviours, written as the NMEA a shore receiver network
//! delivers (tag-block times, class A and class B, about one message in twenty lost), with the
//! ground truth of every behaviour the detectors look for and a sanctions list in OpenSanctions'
//! layout. Illustrative: vessels, names and identities are invented.
//!
//! Ordinary traffic sails between the Black Sea's ports along sea lanes (a graph of open-sea
//! points 0.2° apart, routed and straightened against the bundled coast) and waits at each port
//! for 6 to 30 hours. Among it, tankers that behave as the shadow fleet does: go dark far
//! offshore, meet another tanker at sea to transfer cargo, loiter, broadcast false positions
//! (shifted tens of kilometres, or on land), change flag (a new MMSI for the same IMO number) or
//! name; some are listed, with decoy entries in the list that must not match.
//!
//! The truth is what the simulator made happen, by the detectors' definitions: a ship-to-ship
//! transfer of five hours or more far offshore is also loitering for both ships; one of under
//! four hours is only an encounter. Durations are drawn clear of the thresholds (a transfer lasts
//! 2.5–3.5 h or 5–10 h) so that the truth does not hinge on a minute either way.
//!
//! ```
//! use truceline_maritime::simulate::{simulate, SimConfig};
//! let mut lines = 0;
//! let sim = simulate(&SimConfig { seed: 7, hours: 6.0, vessels: 5, ..SimConfig::default() }, |_, _| lines += 1);
//! assert!(lines > 1_000);
//! assert!(sim.sanctions_csv.starts_with("type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases"));
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;
use truceline_ais::{Message, encode};

use crate::detect::{Event, Identity, Kind, Location};
use crate::flags::flag;
use crate::geodesy::{KNOT, bearing, destination, distance_m};
use crate::ports::Ports;
use crate::shore::Shore;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub hours: f64,
    /// Ordinary vessels; the shadow fleet's tankers are added in proportion (about one in four).
    pub vessels: usize,
    /// Unix seconds of the first message.
    pub start_s: i64,
    /// The share of messages no receiver heard.
    pub loss: f64,
    /// The share heard twice (by a second receiver, up to 3 s later by its clock).
    pub duplicates: f64,
    /// Beyond 40 nm from shore only satellites hear a ship: the share of messages they catch.
    pub offshore_reception: f64,
    /// GNSS error of a reported position, metres (up to).
    pub noise_m: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            hours: 48.0,
            vessels: 300,
            start_s: 1_767_225_600,
            loss: 0.05,
            duplicates: 0.1,
            offshore_reception: 0.25,
            noise_m: 10.0,
        }
    }
}

/// What a run made: the truth, the list, and counts.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub truth: Vec<Event>,
    /// In OpenSanctions' maritime CSV layout.
    pub sanctions_csv: String,
    pub messages: u64,
    pub vessels: usize,
}

type Pt = (f64, f64);

#[derive(Debug, Clone, Copy)]
enum Seg {
    Move {
        from: Pt,
        to: Pt,
    },
    /// Slowly circling a point (at anchor, drifting alongside): radius metres, period seconds.
    Stay {
        at: Pt,
        radius: f64,
        period: f64,
        phase: f64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Leg {
    t0: f64,
    t1: f64,
    seg: Seg,
    dark: bool,
}

#[derive(Debug, Clone)]
struct Ident {
    from: f64,
    mmsi: u32,
    imo: u32,
    name: String,
    callsign: String,
}

#[derive(Debug, Clone, Copy)]
enum Spoof {
    Offset { bearing: f64, m: f64 },
    Fixed(Pt),
}

#[derive(Debug, Clone)]
struct Vessel {
    legs: Vec<Leg>,
    idents: Vec<Ident>,
    class_b: bool,
    shiptype: u8,
    spoof: Option<(f64, f64, Spoof)>,
    cursor: usize,
}

impl Vessel {
    fn ident(&self, t: f64) -> &Ident {
        self.idents
            .iter()
            .rev()
            .find(|i| i.from <= t)
            .unwrap_or(&self.idents[0])
    }

    /// Position, speed (kn), course at `t`, and whether it transmits.
    fn state(&mut self, t: f64) -> (Pt, f64, f64, bool) {
        while self.cursor + 1 < self.legs.len() && self.legs[self.cursor].t1 <= t {
            self.cursor += 1;
        }
        let l = self.legs[self.cursor];
        match l.seg {
            Seg::Move { from, to } => {
                let f = ((t - l.t0) / (l.t1 - l.t0).max(1.0)).clamp(0.0, 1.0);
                let p = (from.0 + (to.0 - from.0) * f, from.1 + (to.1 - from.1) * f);
                let kn = distance_m(from.0, from.1, to.0, to.1) / (l.t1 - l.t0).max(1.0) / KNOT;
                (p, kn, bearing(from.0, from.1, to.0, to.1), !l.dark)
            }
            Seg::Stay {
                at,
                radius,
                period,
                phase,
            } => {
                let a = phase + 360.0 * (t - l.t0) / period;
                let p = destination(at.0, at.1, a, radius);
                let kn = 2.0 * std::f64::consts::PI * radius / period / KNOT;
                (p, kn, (a + 90.0).rem_euclid(360.0), !l.dark)
            }
        }
    }
}

/// The open-sea graph the lanes are routed on.
struct Sea {
    nodes: Vec<Pt>,
    /// Metres from shore of each node.
    shore_m: Vec<f64>,
    edges: Vec<Vec<(usize, f64)>>,
    /// Each port the simulator uses: its index and the node it joins the graph at.
    ports: Vec<(usize, usize)>,
    routes: FxHashMap<(usize, usize), Vec<Pt>>,
}

const BOX: [f64; 4] = [27.4, 40.9, 41.9, 46.8];
const STEP: f64 = 0.2;

/// Whether a straight line stays at sea: every kilometre off land, and more than `margin`
/// metres offshore away from its ends (which may be a harbour).
fn clear(shore: &mut Shore, a: Pt, b: Pt, margin: f64) -> bool {
    let len = distance_m(a.0, a.1, b.0, b.1);
    let n = (len / 1_000.0).ceil().max(1.0) as usize;
    (0..=n).all(|k| {
        let f = k as f64 / n as f64;
        let p = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        let near_end = f * len < 6_000.0 || (1.0 - f) * len < 6_000.0;
        let m = if near_end { 0.0 } else { margin };
        shore.offshore_more_than(p.0, p.1, m) == Some(true)
            || (near_end && shore.on_land(p.0, p.1) == Some(false))
    })
}

impl Sea {
    fn new(shore: &mut Shore, ports: &Ports) -> Sea {
        let mut nodes = Vec::new();
        let mut shore_m = Vec::new();
        let cols = ((BOX[2] - BOX[0]) / STEP) as usize + 1;
        let rows = ((BOX[3] - BOX[1]) / STEP) as usize + 1;
        let mut at = vec![usize::MAX; cols * rows];
        for r in 0..rows {
            for c in 0..cols {
                let p = (BOX[0] + c as f64 * STEP, BOX[1] + r as f64 * STEP);
                if shore.offshore_more_than(p.0, p.1, 15_000.0) == Some(true) {
                    at[r * cols + c] = nodes.len();
                    shore_m.push(shore.distance_m(p.0, p.1).unwrap_or(0.0));
                    nodes.push(p);
                }
            }
        }
        let mut edges = vec![Vec::new(); nodes.len()];
        for r in 0..rows {
            for c in 0..cols {
                let i = at[r * cols + c];
                if i == usize::MAX {
                    continue;
                }
                for (dr, dc) in [(0i64, 1i64), (1, 0), (1, 1), (1, -1)] {
                    let (r2, c2) = (r as i64 + dr, c as i64 + dc);
                    if r2 < 0 || c2 < 0 || r2 >= rows as i64 || c2 >= cols as i64 {
                        continue;
                    }
                    let j = at[r2 as usize * cols + c2 as usize];
                    if j == usize::MAX || !clear(shore, nodes[i], nodes[j], 5_000.0) {
                        continue;
                    }
                    let d = distance_m(nodes[i].0, nodes[i].1, nodes[j].0, nodes[j].1);
                    edges[i].push((j, d));
                    edges[j].push((i, d));
                }
            }
        }
        let mut sea = Sea {
            nodes,
            shore_m,
            edges,
            ports: Vec::new(),
            routes: FxHashMap::default(),
        };
        // The biggest connected part is the Black Sea (the Sea of Azov is cut off at this step).
        let main = sea.component_of_most();
        for (pi, p) in ports.iter().enumerate() {
            if !(p.lon > BOX[0] && p.lon < BOX[2] && p.lat > BOX[1] && p.lat < BOX[3]) {
                continue;
            }
            let mut best: Option<(usize, f64)> = None;
            for (i, n) in sea.nodes.iter().enumerate() {
                let d = distance_m(p.lon, p.lat, n.0, n.1);
                if main[i]
                    && d < 80_000.0
                    && best.is_none_or(|(_, b)| d < b)
                    && clear(shore, (p.lon, p.lat), *n, 2_000.0)
                {
                    best = Some((i, d));
                }
            }
            if let Some((i, _)) = best {
                sea.ports.push((pi, i));
            }
        }
        sea
    }

    fn component_of_most(&self) -> Vec<bool> {
        let mut comp = vec![usize::MAX; self.nodes.len()];
        let mut sizes = Vec::new();
        for s in 0..self.nodes.len() {
            if comp[s] != usize::MAX {
                continue;
            }
            let id = sizes.len();
            let mut stack = vec![s];
            comp[s] = id;
            let mut n = 0;
            while let Some(i) = stack.pop() {
                n += 1;
                for &(j, _) in &self.edges[i] {
                    if comp[j] == usize::MAX {
                        comp[j] = id;
                        stack.push(j);
                    }
                }
            }
            sizes.push(n);
        }
        let big = (0..sizes.len()).max_by_key(|&i| sizes[i]).unwrap_or(0);
        comp.iter().map(|&c| c == big).collect()
    }

    fn dijkstra(&self, a: usize, b: usize) -> Vec<usize> {
        let mut dist = vec![f64::INFINITY; self.nodes.len()];
        let mut prev = vec![usize::MAX; self.nodes.len()];
        let mut heap = BinaryHeap::new();
        dist[a] = 0.0;
        heap.push(Reverse((0u64, a)));
        while let Some(Reverse((d, i))) = heap.pop() {
            let d = d as f64 / 1000.0;
            if i == b {
                break;
            }
            if d > dist[i] {
                continue;
            }
            for &(j, w) in &self.edges[i] {
                let nd = d + w;
                if nd < dist[j] {
                    dist[j] = nd;
                    prev[j] = i;
                    heap.push(Reverse(((nd * 1000.0) as u64, j)));
                }
            }
        }
        let mut path = vec![b];
        while let Some(&last) = path.last() {
            if last == a || prev[last] == usize::MAX {
                break;
            }
            path.push(prev[last]);
        }
        path.reverse();
        path
    }

    /// A lane from one point (a port, or a node) to another, straightened where the sea allows.
    fn route(&mut self, shore: &mut Shore, from: (Pt, usize), to: (Pt, usize)) -> Vec<Pt> {
        let key = (from.1, to.1);
        let inner = match self.routes.get(&key) {
            Some(r) => r.clone(),
            None => {
                let r: Vec<Pt> = self
                    .dijkstra(from.1, to.1)
                    .iter()
                    .map(|&i| self.nodes[i])
                    .collect();
                self.routes.insert(key, r.clone());
                r
            }
        };
        let mut pts = vec![from.0];
        pts.extend(inner);
        pts.push(to.0);
        pts.dedup_by(|a, b| distance_m(a.0, a.1, b.0, b.1) < 1.0);
        // String pulling: from each kept point, as far along as a straight line stays clear.
        let mut out = vec![pts[0]];
        let mut i = 0;
        while i + 1 < pts.len() {
            let mut j = i + 1;
            while j + 1 < pts.len() && clear(shore, pts[i], pts[j + 1], 5_000.0) {
                j += 1;
            }
            out.push(pts[j]);
            i = j;
        }
        out
    }
}

const NAMES_A: &[&str] = &[
    "ARGO", "BALTIC", "CORAL", "DELTA", "EOS", "FALCON", "GRACE", "HERON", "IRIS", "JADE",
    "KESTREL", "LYRA", "MARLIN", "NOVA", "ORION", "PEARL", "QUEST", "RAVEN", "SIRIUS", "TITAN",
    "ULYSSES", "VEGA", "WAVE", "XENIA", "YASMIN", "ZEPHYR",
];
const NAMES_B: &[&str] = &[
    "STAR", "SPIRIT", "VENTURE", "GLORY", "TRADER", "PRIDE", "HOPE", "WIND",
];
const MIDS_ORDINARY: &[u32] = &[
    271, 272, 273, 207, 264, 213, 256, 538, 636, 351, 248, 229, 209,
];
const MIDS_SHADOW: &[u32] = &[273, 636, 351, 229, 538];
const MIDS_HOP: &[u32] = &[613, 667, 626, 341, 511, 620, 572, 457];

fn imo_from(prefix: u32) -> u32 {
    prefix * 10 + crate::sanctions::imo_check_digit(prefix)
}

/// Where a plan leaves the vessel at the end of its last leg.
fn end_of(legs: &[Leg]) -> Option<Pt> {
    legs.last().map(|l| match l.seg {
        Seg::Move { to, .. } => to,
        Seg::Stay {
            at,
            radius,
            period,
            phase,
        } => destination(at.0, at.1, phase + 360.0 * (l.t1 - l.t0) / period, radius),
    })
}

struct Builder<'a> {
    rng: ChaCha8Rng,
    shore: &'a mut Shore,
    ports: &'a Ports,
    sea: Sea,
    h: f64,
    mmsis: HashSet<u32>,
    imos: HashSet<u32>,
    used: HashSet<usize>,
    vessels: Vec<Vessel>,
    truth: Vec<Event>,
}

const HOUR: f64 = 3_600.0;

impl Builder<'_> {
    fn mmsi(&mut self, mids: &[u32]) -> u32 {
        loop {
            let mid = mids[self.rng.random_range(0..mids.len())];
            let m = mid * 1_000_000 + self.rng.random_range(100_000..1_000_000);
            if self.mmsis.insert(m) {
                return m;
            }
        }
    }

    fn imo(&mut self) -> u32 {
        loop {
            let imo = imo_from(self.rng.random_range(900_000..1_000_000));
            if self.imos.insert(imo) {
                return imo;
            }
        }
    }

    fn name(&mut self) -> String {
        format!(
            "{} {} {}",
            NAMES_A[self.rng.random_range(0..NAMES_A.len())],
            NAMES_B[self.rng.random_range(0..NAMES_B.len())],
            self.rng.random_range(1..100)
        )
    }

    fn ident(&mut self, mids: &[u32], with_imo: bool) -> Ident {
        let mmsi = self.mmsi(mids);
        Ident {
            from: f64::NEG_INFINITY,
            mmsi,
            imo: if with_imo { self.imo() } else { 0 },
            name: self.name(),
            callsign: format!("C{}", mmsi % 100_000),
        }
    }

    fn port(&mut self) -> usize {
        self.rng.random_range(0..self.sea.ports.len())
    }

    fn port_pt(&self, k: usize) -> Pt {
        let p = self.ports.get(self.sea.ports[k].0);
        (p.lon, p.lat)
    }

    /// Where in port a vessel waits: within 1.2 km of the port's point.
    fn berth(&mut self, k: usize) -> Pt {
        let p = self.port_pt(k);
        destination(
            p.0,
            p.1,
            self.rng.random_range(0.0..360.0),
            self.rng.random_range(0.0..1_200.0),
        )
    }

    /// Waiting on a slow circle that passes through `arrival` when the wait begins, so the
    /// track has no jump a detector would take for spoofing.
    fn stay_at(&mut self, arrival: Pt, radius: f64, period: f64) -> Seg {
        let phase = self.rng.random_range(0.0..360.0);
        let at = destination(arrival.0, arrival.1, phase + 180.0, radius);
        Seg::Stay {
            at,
            radius,
            period,
            phase,
        }
    }

    /// Legs along a lane at a constant speed, from `t`; returns the arrival time.
    fn sail(&self, legs: &mut Vec<Leg>, lane: &[Pt], t: f64, kn: f64, dark: bool) -> f64 {
        let mut t = t;
        for w in lane.windows(2) {
            let d = distance_m(w[0].0, w[0].1, w[1].0, w[1].1);
            let dt = d / (kn * KNOT);
            legs.push(Leg {
                t0: t,
                t1: t + dt,
                seg: Seg::Move {
                    from: w[0],
                    to: w[1],
                },
                dark,
            });
            t += dt;
        }
        t
    }

    fn lane_len(lane: &[Pt]) -> f64 {
        lane.windows(2)
            .map(|w| distance_m(w[0].0, w[0].1, w[1].0, w[1].1))
            .sum()
    }

    fn port_call_truth(&mut self, mmsi: u32, k: usize, t0: f64, t1: Option<f64>) {
        let p = self.ports.get(self.sea.ports[k].0);
        let mut e = Event::new(Kind::PortCall, mmsi, (t0 * 1000.0) as i64);
        e.end = t1.filter(|&t| t < self.h).map(|t| (t * 1000.0) as i64);
        e.port = Some(p.name.clone());
        e.location = Some(Location {
            lat: p.lat,
            lon: p.lon,
        });
        self.truth.push(e);
    }

    /// Ordinary sailing from `t` at port `k` (arrived at `arrived`) until the end: wait, sail
    /// to another port, wait... Returns nothing; the port calls go to the truth.
    fn voyages(
        &mut self,
        legs: &mut Vec<Leg>,
        mmsi: u32,
        mut k: usize,
        arrived: f64,
        mut t: f64,
        first_wait: Option<f64>,
    ) {
        let mut arrived = arrived;
        let mut wait = first_wait;
        loop {
            let w = wait
                .take()
                .unwrap_or_else(|| self.rng.random_range(6.0..30.0) * HOUR);
            let here = match end_of(legs) {
                Some(p) => p,
                None => self.berth(k),
            };
            let period = self.rng.random_range(2.0..4.0) * HOUR;
            let seg = self.stay_at(here, 150.0, period);
            legs.push(Leg {
                t0: t,
                t1: t + w,
                seg,
                dark: false,
            });
            let dep = t + w;
            self.port_call_truth(mmsi, k, arrived, Some(dep));
            if dep >= self.h {
                return;
            }
            let mut next = self.port();
            while next == k {
                next = self.port();
            }
            let (a, b) = (
                (self.port_pt(k), self.sea.ports[k].1),
                (self.port_pt(next), self.sea.ports[next].1),
            );
            let mut lane = self.sea.route(self.shore, a, b);
            lane[0] = end_of(legs).expect("it waited");
            *lane.last_mut().expect("a lane has ends") = self.berth(next);
            let kn = self.rng.random_range(9.0..14.0);
            t = self.sail(legs, &lane, dep, kn, false);
            arrived = t;
            k = next;
            if t >= self.h {
                return;
            }
        }
    }

    fn ordinary(&mut self, class_b: bool, tanker: bool) -> usize {
        let ident = self.ident(MIDS_ORDINARY, !class_b);
        let mmsi = ident.mmsi;
        let mut legs = Vec::new();
        let k = self.port();
        if self.rng.random_bool(0.35) {
            let wait = self.rng.random_range(0.5..24.0) * HOUR;
            self.voyages(&mut legs, mmsi, k, 0.0, 0.0, Some(wait));
        } else {
            // Already at sea on a lane from another port, part of the way along.
            let mut from = self.port();
            while from == k {
                from = self.port();
            }
            let (a, b) = (
                (self.port_pt(from), self.sea.ports[from].1),
                (self.port_pt(k), self.sea.ports[k].1),
            );
            let mut lane = self.sea.route(self.shore, a, b);
            *lane.last_mut().expect("a lane has ends") = self.berth(k);
            let kn = self.rng.random_range(9.0..14.0);
            let total = Self::lane_len(&lane) / (kn * KNOT);
            let t0 = -self.rng.random_range(0.1..0.9) * total;
            let arr = self.sail(&mut legs, &lane, t0, kn, false);
            legs.retain(|l| l.t1 > 0.0);
            if arr < self.h {
                self.voyages(&mut legs, mmsi, k, arr, arr, None);
            }
        }
        self.vessels.push(Vessel {
            legs,
            idents: vec![ident],
            class_b,
            shiptype: if tanker {
                80
            } else if class_b {
                37
            } else {
                70
            },
            spoof: None,
            cursor: 0,
        });
        self.vessels.len() - 1
    }

    /// A node far offshore (at least `min_m` from shore), away from every port.
    /// Each node is used for one meeting or wait at most: two plans choosing the same point
    /// at the same time would make an encounter the truth does not know of.
    fn far_node(&mut self, min_m: f64) -> Option<usize> {
        let cands: Vec<usize> = (0..self.sea.nodes.len())
            .filter(|&i| {
                self.sea.shore_m[i] >= min_m
                    && !self.sea.edges[i].is_empty()
                    && !self.used.contains(&i)
            })
            .collect();
        let n = (!cands.is_empty()).then(|| cands[self.rng.random_range(0..cands.len())])?;
        self.used.insert(n);
        Some(n)
    }

    /// From a port to a node, arriving at `arrive` (waiting in port before if needed); the legs
    /// and the arrival, or `None` when the time does not allow it.
    fn sail_to_node_by(
        &mut self,
        legs: &mut Vec<Leg>,
        mmsi: u32,
        node: usize,
        spot: Pt,
        arrive: f64,
    ) -> Option<()> {
        let k = self.port();
        let (a, b) = (
            (self.port_pt(k), self.sea.ports[k].1),
            (self.sea.nodes[node], node),
        );
        let mut lane = self.sea.route(self.shore, a, b);
        *lane.last_mut().expect("a lane has ends") = spot;
        let kn = self.rng.random_range(9.0..13.0);
        let dep = arrive - Self::lane_len(&lane) / (kn * KNOT);
        if dep > 0.0 {
            let berth = self.berth(k);
            let period = self.rng.random_range(2.0..4.0) * HOUR;
            let seg = self.stay_at(berth, 150.0, period);
            legs.push(Leg {
                t0: 0.0,
                t1: dep,
                seg,
                dark: false,
            });
            lane[0] = end_of(legs).expect("it waited");
            self.port_call_truth(mmsi, k, 0.0, Some(dep));
        }
        self.sail(legs, &lane, dep, kn, false);
        legs.retain(|l| l.t1 > 0.0);
        (!legs.is_empty()).then_some(())
    }

    /// From a point at sea on to a port and ordinary voyages after.
    fn onward(&mut self, legs: &mut Vec<Leg>, mmsi: u32, from: Pt, node: usize, t: f64) {
        let k = self.port();
        let mut lane = self.sea.route(
            self.shore,
            (from, node),
            (self.port_pt(k), self.sea.ports[k].1),
        );
        lane[0] = end_of(legs).unwrap_or(from);
        *lane.last_mut().expect("a lane has ends") = self.berth(k);
        let kn = self.rng.random_range(9.0..13.0);
        let arr = self.sail(legs, &lane, t, kn, false);
        if arr < self.h {
            self.voyages(legs, mmsi, k, arr, arr, None);
        }
    }

    fn tanker(&mut self, legs: Vec<Leg>, ident: Ident) -> usize {
        self.vessels.push(Vessel {
            legs,
            idents: vec![ident],
            class_b: false,
            shiptype: 80,
            spoof: None,
            cursor: 0,
        });
        self.vessels.len() - 1
    }

    fn dark(&mut self) -> Option<usize> {
        let ident = self.ident(MIDS_SHADOW, true);
        let p1 = self.far_node(125_000.0)?;
        let d = self.rng.random_range(13.0..30.0) * HOUR;
        let arrive = self
            .rng
            .random_range(4.0..((self.h - d) / HOUR - 4.0).max(4.5))
            * HOUR;
        if arrive + d + 2.0 * HOUR > self.h {
            return None;
        }
        // Where it reappears: another far point within a day's slow steaming.
        let p2 = (0..50).find_map(|_| {
            let n = self.far_node(125_000.0)?;
            let (a, b) = (self.sea.nodes[p1], self.sea.nodes[n]);
            (n != p1 && distance_m(a.0, a.1, b.0, b.1) < 200_000.0).then_some(n)
        })?;
        let mut legs = Vec::new();
        let spot = self.sea.nodes[p1];
        self.sail_to_node_by(&mut legs, ident.mmsi, p1, spot, arrive)?;
        let (a, b) = (self.sea.nodes[p1], self.sea.nodes[p2]);
        legs.push(Leg {
            t0: arrive,
            t1: arrive + d,
            seg: Seg::Move { from: a, to: b },
            dark: true,
        });
        let mut e = Event::new(Kind::Gap, ident.mmsi, (arrive * 1000.0) as i64);
        e.end = Some(((arrive + d) * 1000.0) as i64);
        e.location = Some(Location { lat: a.1, lon: a.0 });
        e.imo = Some(ident.imo);
        self.truth.push(e);
        self.onward(&mut legs, ident.mmsi, b, p2, arrive + d);
        Some(self.tanker(legs, ident))
    }

    /// Waiting at sea, alone (loitering) or alongside another tanker (a transfer).
    fn at_sea(&mut self, pair: bool) -> Option<Vec<usize>> {
        let m = self.far_node(60_000.0)?;
        let d = if !pair || self.rng.random_bool(0.6) {
            self.rng.random_range(5.0..if pair { 10.0 } else { 20.0 }) * HOUR
        } else {
            self.rng.random_range(2.5..3.5) * HOUR
        };
        let t = self
            .rng
            .random_range(8.0..((self.h - d) / HOUR - 3.0).max(8.5))
            * HOUR;
        if t + d + 2.0 * HOUR > self.h {
            return None;
        }
        let at = self.sea.nodes[m];
        let mut out = Vec::new();
        for k in 0..if pair { 2 } else { 1 } {
            let ident = self.ident(MIDS_SHADOW, true);
            let mut legs = Vec::new();
            // Alongside: arriving 150 m apart, each then drifting on a circle of 60 m.
            let spot = destination(at.0, at.1, 90.0, 150.0 * k as f64);
            self.sail_to_node_by(&mut legs, ident.mmsi, m, spot, t)?;
            let seg = self.stay_at(spot, 60.0, 3.0 * HOUR);
            legs.push(Leg {
                t0: t,
                t1: t + d,
                seg,
                dark: false,
            });
            if d >= 4.0 * HOUR {
                let mut e = Event::new(Kind::Loitering, ident.mmsi, (t * 1000.0) as i64);
                e.end = Some(((t + d) * 1000.0) as i64);
                e.location = Some(Location {
                    lat: at.1,
                    lon: at.0,
                });
                self.truth.push(e);
            }
            self.onward(&mut legs, ident.mmsi, spot, m, t + d);
            out.push(self.tanker(legs, ident));
        }
        if pair {
            let (a, b) = (
                self.vessels[out[0]].idents[0].mmsi,
                self.vessels[out[1]].idents[0].mmsi,
            );
            let mut e = Event::new(Kind::Encounter, a.min(b), (t * 1000.0) as i64);
            e.end = Some(((t + d) * 1000.0) as i64);
            e.other_mmsi = Some(a.max(b));
            e.location = Some(Location {
                lat: at.1,
                lon: at.0,
            });
            self.truth.push(e);
        }
        Some(out)
    }

    /// A time inside one of the vessel's lanes, away from its ends.
    fn mid_sail(&mut self, v: usize, min_len: f64) -> Option<(f64, f64)> {
        let legs: Vec<(f64, f64)> = self.vessels[v]
            .legs
            .iter()
            .filter(|l| {
                matches!(l.seg, Seg::Move { .. })
                    && !l.dark
                    && l.t1 - l.t0 >= min_len + 1.0 * HOUR
                    && l.t0 > 0.0
                    && l.t1 < self.h
            })
            .map(|l| (l.t0, l.t1))
            .collect();
        (!legs.is_empty()).then(|| legs[self.rng.random_range(0..legs.len())])
    }

    fn spoofer(&mut self) -> Option<usize> {
        let v = self.ordinary(false, true);
        let (t0, t1) = self.mid_sail(v, 1.0 * HOUR)?;
        let len = self
            .rng
            .random_range(0.5..((t1 - t0) / HOUR - 0.8).clamp(0.6, 6.0))
            * HOUR;
        let s0 = t0
            + self
                .rng
                .random_range(0.3 * HOUR..(t1 - t0 - len - 0.3 * HOUR).max(0.31 * HOUR));
        let kind = if self.rng.random_bool(0.6) {
            Spoof::Offset {
                bearing: self.rng.random_range(0.0..360.0),
                m: self.rng.random_range(30_000.0..150_000.0),
            }
        } else {
            // A fixed point well inland, as GNSS interference near airfields and bases produces.
            let p = (0..1_000).find_map(|_| {
                let p = (
                    self.rng.random_range(BOX[0]..BOX[2]),
                    self.rng.random_range(BOX[1]..BOX[3]),
                );
                (self.shore.inland_more_than(p.0, p.1, 10_000.0) == Some(true)).then_some(p)
            })?;
            Spoof::Fixed(p)
        };
        self.vessels[v].spoof = Some((s0, s0 + len, kind));
        let mmsi = self.vessels[v].idents[0].mmsi;
        let mut e = Event::new(Kind::Spoofing, mmsi, (s0 * 1000.0) as i64);
        e.end = Some(((s0 + len) * 1000.0) as i64);
        self.truth.push(e);
        Some(v)
    }

    /// A new MMSI (and so flag) and name for the same IMO number, or (`rename`) a new name.
    fn identity(&mut self, rename: bool) -> Option<usize> {
        let v = self.ordinary(false, true);
        let (t0, t1) = self.mid_sail(v, 0.5 * HOUR)?;
        let t = self
            .rng
            .random_range(t0 + 0.25 * (t1 - t0)..t0 + 0.75 * (t1 - t0));
        let old = self.vessels[v].idents[0].clone();
        let mut new = old.clone();
        new.from = t;
        new.name = self.name();
        if !rename {
            new.mmsi = self.mmsi(MIDS_HOP);
            new.callsign = format!("C{}", new.mmsi % 100_000);
        }
        let mut e = Event::new(Kind::IdentityChange, new.mmsi, (t * 1000.0) as i64);
        e.end = Some((t * 1000.0) as i64);
        e.imo = Some(old.imo);
        e.other_mmsi = (!rename).then_some(old.mmsi);
        e.from = Some(Identity {
            mmsi: old.mmsi,
            flag: flag(old.mmsi).map(str::to_string),
            name: Some(old.name.clone()),
            imo: Some(old.imo),
        });
        e.to = Some(Identity {
            mmsi: new.mmsi,
            flag: flag(new.mmsi).map(str::to_string),
            name: Some(new.name.clone()),
            imo: Some(new.imo),
        });
        self.truth.push(e);
        if !rename {
            // The port calls it makes under its new identity are the new MMSI's.
            for e in self.truth.iter_mut() {
                if e.kind == Kind::PortCall && e.mmsi == old.mmsi && e.start as f64 / 1000.0 > t {
                    e.mmsi = new.mmsi;
                }
            }
        }
        self.vessels[v].idents.push(new);
        Some(v)
    }
}

/// Runs a simulation, handing each line of NMEA to `out` in time order, with the time its
/// message was received (Unix seconds; every sentence of a message has it, though only the
/// first carries the tag block).
pub fn simulate(cfg: &SimConfig, mut out: impl FnMut(i64, &str)) -> Simulation {
    let mut shore = Shore::bundled();
    let ports = Ports::bundled();
    let sea = Sea::new(&mut shore, &ports);
    let mut b = Builder {
        rng: ChaCha8Rng::seed_from_u64(cfg.seed),
        shore: &mut shore,
        ports: &ports,
        sea,
        h: cfg.hours * HOUR,
        mmsis: HashSet::new(),
        imos: HashSet::new(),
        used: HashSet::new(),
        vessels: Vec::new(),
        truth: Vec::new(),
    };
    for k in 0..cfg.vessels {
        let class_b = k % 10 == 9;
        let tanker = !class_b && b.rng.random_bool(0.3);
        b.ordinary(class_b, tanker);
    }
    let share = |f: f64| ((cfg.vessels as f64 * f).round() as usize).max(1);
    let mut shadow = Vec::new();
    for _ in 0..share(0.04) {
        shadow.extend(b.dark());
    }
    for _ in 0..share(0.03) {
        shadow.extend(b.at_sea(true).into_iter().flatten());
    }
    for _ in 0..share(0.03) {
        shadow.extend(b.at_sea(false).into_iter().flatten());
    }
    for _ in 0..share(0.04) {
        shadow.extend(b.spoofer());
    }
    for _ in 0..share(0.03) {
        shadow.extend(b.identity(false));
    }
    for _ in 0..share(0.02) {
        shadow.extend(b.identity(true));
    }
    // Strip the truth of a vessel whose plan failed half way (its legs were discarded with it).
    let known: HashSet<u32> = b
        .vessels
        .iter()
        .flat_map(|v| v.idents.iter().map(|i| i.mmsi))
        .collect();
    b.truth.retain(|e| known.contains(&e.mmsi));

    // The list: four in ten of the shadow fleet and a few ordinary tankers; most by IMO number,
    // some (which broadcast no IMO number) by MMSI; decoys that must match nothing.
    let mut csv =
        String::from("type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases\n");
    let mut listed = Vec::new();
    for v in 0..b.vessels.len() {
        let is_shadow = shadow.contains(&v);
        let tanker = b.vessels[v].shiptype == 80;
        if (is_shadow && b.rng.random_bool(0.4))
            || (!is_shadow && tanker && b.rng.random_bool(0.02))
        {
            listed.push(v);
        }
    }
    for (n, &v) in listed.iter().enumerate() {
        let by_mmsi = n % 5 == 4 && b.vessels[v].idents.len() == 1;
        let id = b.vessels[v].idents[0].clone();
        if by_mmsi {
            for i in b.vessels[v].idents.iter_mut() {
                i.imo = 0;
            }
        }
        let imo = if by_mmsi {
            String::new()
        } else {
            format!("IMO{}", id.imo)
        };
        let mmsi = if by_mmsi {
            id.mmsi.to_string()
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "VESSEL,{} (ILLUSTRATIVE),{imo},sanction,,{},{mmsi},sim-{n},,illustrative_list,\n",
            id.name,
            flag(id.mmsi).unwrap_or("").to_lowercase()
        ));
        let mut seen = HashSet::new();
        for i in b.vessels[v].idents.iter().filter(|i| seen.insert(i.mmsi)) {
            let mut e = Event::new(Kind::Listed, i.mmsi, 0);
            e.imo = (i.imo != 0).then_some(i.imo);
            b.truth.push(e);
        }
    }
    for n in 0..30 {
        let imo = b.imo();
        let mmsi = b.mmsi(MIDS_SHADOW);
        csv.push_str(&format!("VESSEL,DECOY {n} (ILLUSTRATIVE),IMO{imo},sanction,,,{mmsi},decoy-{n},,illustrative_list,\n"));
    }
    // A traffic vessel's IMO number mistyped (its check digit then fails): no match.
    for (n, v) in b
        .vessels
        .iter()
        .filter(|v| v.idents[0].imo != 0)
        .take(5)
        .enumerate()
    {
        let imo = v.idents[0].imo;
        let bad = imo - imo % 10 + (imo % 10 + 1) % 10;
        csv.push_str(&format!("VESSEL,MISTYPED {n} (ILLUSTRATIVE),IMO{bad},sanction,,,,mistyped-{n},,illustrative_list,\n"));
    }

    let h = b.h;
    let mut vessels = std::mem::take(&mut b.vessels);
    let mut truth = std::mem::take(&mut b.truth);
    drop(b);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5EED);
    // (time, vessel, 0 position / 1 static): every vessel's next message, earliest first.
    let mut heap: BinaryHeap<Reverse<(i64, u32, u8)>> = BinaryHeap::new();
    for (i, _) in vessels.iter().enumerate() {
        heap.push(Reverse((rng.random_range(0..10), i as u32, 0)));
        heap.push(Reverse((rng.random_range(0..360), i as u32, 1)));
    }
    let mut messages = 0u64;
    let mut seq = 0u8;
    while let Some(Reverse((t, i, kind))) = heap.pop() {
        if t as f64 >= h {
            continue;
        }
        let v = &mut vessels[i as usize];
        let tf = t as f64;
        let (mut p, kn, cog, on) = v.state(tf);
        let slow = kn < 2.0;
        let next = if kind == 1 {
            360
        } else if v.class_b {
            if slow { 180 } else { 30 }
        } else if slow {
            180
        } else {
            10
        };
        heap.push(Reverse((t + next, i, kind)));
        if !on || rng.random_bool(cfg.loss) {
            continue;
        }
        if cfg.offshore_reception < 1.0
            && shore.offshore_more_than(p.0, p.1, 40.0 * crate::geodesy::NM) == Some(true)
            && !rng.random_bool(cfg.offshore_reception)
        {
            continue;
        }
        let id = v.ident(tf).clone();
        let time = Some(cfg.start_s + t);
        let channel = if rng.random_bool(0.5) { 'A' } else { 'B' };
        let msgs: Vec<Message> = if kind == 0 {
            if let Some((s0, s1, s)) = v.spoof
                && tf >= s0
                && tf < s1
            {
                p = match s {
                    Spoof::Offset { bearing, m } => destination(p.0, p.1, bearing, m),
                    Spoof::Fixed(q) => q,
                };
            }
            if cfg.noise_m > 0.0 {
                p = destination(
                    p.0,
                    p.1,
                    rng.random_range(0.0..360.0),
                    rng.random_range(0.0..cfg.noise_m),
                );
            }
            vec![Message {
                msg_type: if v.class_b { 18 } else { 1 },
                mmsi: id.mmsi,
                status: (!v.class_b).then_some(if slow { 1 } else { 0 }),
                speed: Some((kn * 10.0).round() / 10.0),
                accuracy: Some(true),
                lon: Some(p.0),
                lat: Some(p.1),
                course: Some((cog * 10.0).round() / 10.0),
                heading: Some(cog.round() as u16 % 360),
                second: Some((t % 60) as u8),
                ..Message::default()
            }]
        } else if v.class_b {
            vec![
                Message {
                    msg_type: 24,
                    mmsi: id.mmsi,
                    partno: Some(0),
                    shipname: Some(id.name.clone()),
                    ..Message::default()
                },
                Message {
                    msg_type: 24,
                    mmsi: id.mmsi,
                    partno: Some(1),
                    shiptype: Some(v.shiptype),
                    callsign: Some(id.callsign.clone()),
                    to_bow: Some(8),
                    to_stern: Some(4),
                    to_port: Some(2),
                    to_starboard: Some(2),
                    ..Message::default()
                },
            ]
        } else {
            vec![Message {
                msg_type: 5,
                mmsi: id.mmsi,
                ais_version: Some(0),
                imo: Some(id.imo),
                callsign: Some(id.callsign.clone()),
                shipname: Some(id.name.clone()),
                shiptype: Some(v.shiptype),
                to_bow: Some(180),
                to_stern: Some(40),
                to_port: Some(16),
                to_starboard: Some(16),
                epfd: Some(1),
                draught: Some(9.5),
                destination: Some("ILLUSTRATIVE".into()),
                dte: Some(false),
                ..Message::default()
            }]
        };
        let copies = if rng.random_bool(cfg.duplicates) {
            2
        } else {
            1
        };
        for copy in 0..copies {
            let time = time.map(|t| {
                t + if copy == 0 {
                    0
                } else {
                    rng.random_range(0..=3)
                }
            });
            for m in &msgs {
                seq = seq.wrapping_add(1);
                for line in encode::sentences(m, channel, seq, time) {
                    out(time.unwrap_or(cfg.start_s), &line);
                }
                messages += 1;
            }
        }
    }
    let offset = cfg.start_s * 1000;
    for e in truth.iter_mut() {
        e.start += offset;
        e.end = e.end.map(|t| t + offset);
    }
    truth.sort_by_key(|e| (e.start, e.kind, e.mmsi));
    Simulation {
        truth,
        sanctions_csv: csv,
        messages,
        vessels: vessels.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_stay_at_sea() {
        let mut shore = Shore::bundled();
        let ports = Ports::bundled();
        let mut sea = Sea::new(&mut shore, &ports);
        assert!(
            sea.ports.len() >= 15,
            "ports joined to the lanes: {}",
            sea.ports.len()
        );
        let ends: Vec<(Pt, usize)> = sea
            .ports
            .iter()
            .map(|&(p, n)| ((ports.get(p).lon, ports.get(p).lat), n))
            .collect();
        for (i, a) in ends.iter().enumerate() {
            for b in ends.iter().skip(i + 1).step_by(3) {
                let lane = sea.route(&mut shore, *a, *b);
                for w in lane.windows(2) {
                    assert!(clear(&mut shore, w[0], w[1], 0.0), "{w:?}");
                }
            }
        }
    }
}
