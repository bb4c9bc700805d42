//! Nearest point of a polyline on the ellipsoid: a hierarchy of bounding capsules over runs of
//! consecutive segments, searched branch-and-bound in Earth-centred 3-D space.
//!
//! A line of contact is a long, thin, ordered chain, so runs of consecutive segments are already
//! compact clusters: grouping them eight at a time needs no partitioning heuristics, and the tree
//! is four levels deep for ten thousand segments. Each run is bounded by a capsule (the points
//! within `r` of the segment joining the run's ends) rather than a sphere: a run is long and
//! thin, and from a point 100 km away a sphere's bound is loose by half the run's length, so
//! dozens of runs near the foot would survive pruning, while a capsule's is loose only by the
//! run's small bulge. Each input segment is split into pieces of at most [`MAX_PIECE_M`], so that
//! the chord between a piece's ends sags below the surface by under a millimetre and chord
//! distances stand for surface ones.
//!
//! ```
//! use geo::{LineString, MultiLineString};
//! use truceline_zones::line_index::LineIndex;
//!
//! // A meridian segment; a point 0.1° of longitude east of it at 48° N is about 7.46 km away.
//! let line = MultiLineString(vec![LineString::from(vec![(38.0, 47.0), (38.0, 49.0)])]);
//! let index = LineIndex::new(&line);
//! let nearest = index.nearest(37.9, 48.0);
//! assert!((nearest.distance_m - 7_461.9).abs() < 1.0, "{}", nearest.distance_m);
//! ```

use arrayvec::ArrayVec;
use geo::MultiLineString;

use crate::ellipsoid::{Ecef, geodesic_from_chord};

/// Longest piece a segment is split into before indexing, in metres.
pub const MAX_PIECE_M: f64 = 200.0;
const FANOUT: usize = 8;

#[derive(Debug, Clone, Copy)]
struct Segment {
    a: [f64; 3],
    d: [f64; 3],
    inv_len2: f64,
}

/// The points within `r` of the segment from `a` to `a + d`.
#[derive(Debug, Clone, Copy)]
struct Capsule {
    a: [f64; 3],
    d: [f64; 3],
    inv_len2: f64,
    r: f64,
}

impl Capsule {
    fn along(a: [f64; 3], b: [f64; 3]) -> Capsule {
        let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let len2 = dot(d, d);
        Capsule {
            a,
            d,
            inv_len2: if len2 > 0.0 { 1.0 / len2 } else { 0.0 },
            r: 0.0,
        }
    }

    fn end(&self) -> [f64; 3] {
        [
            self.a[0] + self.d[0],
            self.a[1] + self.d[1],
            self.a[2] + self.d[2],
        ]
    }

    /// Squared distance from `q` to the axis segment.
    #[inline]
    fn axis_dist2(&self, q: [f64; 3]) -> f64 {
        let w = [q[0] - self.a[0], q[1] - self.a[1], q[2] - self.a[2]];
        let t = (dot(w, self.d) * self.inv_len2).clamp(0.0, 1.0);
        let f = [
            self.a[0] + t * self.d[0],
            self.a[1] + t * self.d[1],
            self.a[2] + t * self.d[2],
        ];
        dist2(q, f)
    }

    /// The capsule around the segment from the first to the last point that holds every given
    /// segment-with-radius. Distance to a segment is convex, so a segment's farthest point from
    /// the axis is one of its ends.
    fn around(
        first: [f64; 3],
        last: [f64; 3],
        parts: impl Iterator<Item = ([f64; 3], [f64; 3], f64)>,
    ) -> Capsule {
        let mut c = Capsule::along(first, last);
        let mut r: f64 = 0.0;
        for (a, b, pr) in parts {
            r = r
                .max(c.axis_dist2(a).sqrt() + pr)
                .max(c.axis_dist2(b).sqrt() + pr);
        }
        // Widen by a hair so rounding never prunes a segment that touches the capsule.
        c.r = r * (1.0 + 1e-12) + 1e-6;
        c
    }
}

/// The nearest point of the line to a query point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// Geodesic distance in metres.
    pub distance_m: f64,
    /// The nearest point on the line.
    pub point: Ecef,
    /// Index of the nearest piece (after splitting).
    pub piece: usize,
}

/// A polyline (several parts allowed) indexed for nearest-point queries.
#[derive(Debug, Clone)]
pub struct LineIndex {
    segments: Vec<Segment>,
    /// levels[0] bounds runs of FANOUT segments; each next level bounds FANOUT nodes below it.
    levels: Vec<Vec<Capsule>>,
    seeds: SeedGrid,
}

/// A coarse longitude-latitude grid around the line. For each cell it keeps the piece nearest the
/// cell's centre, which gives a query a near-final bound before it starts, and the nodes of the
/// level below the top that can hold the nearest piece for any point of the cell, so a query
/// starts there instead of at the root.
#[derive(Debug, Clone, Default)]
struct SeedGrid {
    lon0: f64,
    lat0: f64,
    cols: usize,
    rows: usize,
    /// Level of the start nodes.
    level: usize,
    piece: Vec<u32>,
    /// Cell k's start nodes are `nodes[offsets[k]..offsets[k + 1]]`.
    offsets: Vec<u32>,
    nodes: Vec<u32>,
}

/// Seed cells are this many degrees on a side.
const SEED_CELL_DEG: f64 = 0.05;
/// Seeds cover the line's bounding box widened by this many degrees.
const SEED_MARGIN_DEG: f64 = 3.0;

impl SeedGrid {
    #[inline]
    fn cell(&self, lon: f64, lat: f64) -> Option<usize> {
        let c = (lon - self.lon0) / SEED_CELL_DEG;
        let r = (lat - self.lat0) / SEED_CELL_DEG;
        if c >= 0.0 && r >= 0.0 && (c as usize) < self.cols && (r as usize) < self.rows {
            Some(r as usize * self.cols + c as usize)
        } else {
            None
        }
    }
}

/// The search stack: capsules still to visit with their lower bounds. A fixed capacity keeps
/// it on the stack without zeroing 192 entries per query (a tenth of classify time when it was a
/// plain array); overflowing it panics rather than silently dropping a branch.
type Stack = ArrayVec<(f64, u32, u32), { 24 * FANOUT }>;

/// Pushes the given capsules of one level that may hold a piece nearer than `best_d` onto the
/// search stack, nearest on top.
#[inline(always)]
fn push(
    caps: &[Capsule],
    level: usize,
    nodes: impl Iterator<Item = usize>,
    q: [f64; 3],
    best_d: f64,
    stack: &mut Stack,
) {
    let start = stack.len();
    for i in nodes {
        let c = &caps[i];
        // lb = axis distance − r < best_d, without a square root for the rejected.
        let a2 = c.axis_dist2(q);
        let reach = best_d + c.r;
        if a2 < reach * reach {
            let lb = a2.sqrt() - c.r;
            // Insertion sort, farthest deepest, so the nearest is popped first.
            let mut j = stack.len();
            while j > start && stack[j - 1].0 < lb {
                j -= 1;
            }
            stack.insert(j, (lb, level as u32, i as u32));
        }
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    dot(d, d)
}

impl Segment {
    /// Parameter of the nearest point and squared distance to it.
    #[inline]
    fn closest(&self, q: [f64; 3]) -> (f64, f64) {
        let w = [q[0] - self.a[0], q[1] - self.a[1], q[2] - self.a[2]];
        let t = (dot(w, self.d) * self.inv_len2).clamp(0.0, 1.0);
        let f = [
            self.a[0] + t * self.d[0],
            self.a[1] + t * self.d[1],
            self.a[2] + t * self.d[2],
        ];
        (t, dist2(q, f))
    }
}

impl LineIndex {
    /// Indexes the line; segments are straight in longitude and latitude (RFC 7946).
    pub fn new(line: &MultiLineString<f64>) -> LineIndex {
        LineIndex::build(line, true)
    }

    /// Without the seed grid: for a caller that asks few questions (or caches the answers), the
    /// grid costs more to build (a search per 0.05° cell over the line's box and 3° around it)
    /// than it saves.
    pub fn unseeded(line: &MultiLineString<f64>) -> LineIndex {
        LineIndex::build(line, false)
    }

    fn build(line: &MultiLineString<f64>, seeded: bool) -> LineIndex {
        let mut segments = Vec::new();
        for ls in &line.0 {
            for seg in ls.lines() {
                let (a, b) = (seg.start, seg.end);
                let approx = Ecef::from_degrees(a.x, a.y).sub(&Ecef::from_degrees(b.x, b.y));
                let pieces = (dot(approx, approx).sqrt() / MAX_PIECE_M).ceil().max(1.0) as usize;
                let mut prev = Ecef::from_degrees(a.x, a.y);
                for k in 1..=pieces {
                    let t = k as f64 / pieces as f64;
                    let next = Ecef::from_degrees(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
                    let d = next.sub(&prev);
                    let len2 = dot(d, d);
                    if len2 > 0.0 {
                        segments.push(Segment {
                            a: [prev.x, prev.y, prev.z],
                            d,
                            inv_len2: 1.0 / len2,
                        });
                    }
                    prev = next;
                }
            }
            // A part with no length still has a place: index it as a point.
            if ls.0.windows(2).all(|w| w[0] == w[1])
                && let Some(first) = ls.0.first()
            {
                let p = Ecef::from_degrees(first.x, first.y);
                segments.push(Segment {
                    a: [p.x, p.y, p.z],
                    d: [0.0; 3],
                    inv_len2: 0.0,
                });
            }
        }
        let mut levels = Vec::new();
        let end = |s: &Segment| [s.a[0] + s.d[0], s.a[1] + s.d[1], s.a[2] + s.d[2]];
        let leaves: Vec<Capsule> = segments
            .chunks(FANOUT)
            .map(|run| {
                Capsule::around(
                    run[0].a,
                    end(&run[run.len() - 1]),
                    run.iter().map(|s| (s.a, end(s), 0.0)),
                )
            })
            .collect();
        levels.push(leaves);
        while levels.last().is_some_and(|l| l.len() > FANOUT) {
            let up = levels
                .last()
                .expect("checked")
                .chunks(FANOUT)
                .map(|run| {
                    Capsule::around(
                        run[0].a,
                        run[run.len() - 1].end(),
                        run.iter().map(|c| (c.a, c.end(), c.r)),
                    )
                })
                .collect();
            levels.push(up);
        }
        let mut index = LineIndex {
            segments,
            levels,
            seeds: SeedGrid::default(),
        };
        if let Some(r) = geo::BoundingRect::bounding_rect(line).filter(|_| seeded) {
            let lon0 = r.min().x - SEED_MARGIN_DEG;
            let lat0 = (r.min().y - SEED_MARGIN_DEG).max(-90.0);
            let cols = ((r.width() + 2.0 * SEED_MARGIN_DEG) / SEED_CELL_DEG).ceil() as usize;
            let rows = ((r.height() + 2.0 * SEED_MARGIN_DEG) / SEED_CELL_DEG).ceil() as usize;
            // Guard against a line spanning a continent: the grid is an accelerator, not a need.
            if cols * rows <= 4_000_000 {
                index.seeds = index.seed_grid(lon0, lat0, cols, rows);
            }
        }
        index
    }

    fn seed_grid(&self, lon0: f64, lat0: f64, cols: usize, rows: usize) -> SeedGrid {
        let top = self.levels.len() - 1;
        let level = top.saturating_sub(1);
        let mut grid = SeedGrid {
            lon0,
            lat0,
            cols,
            rows,
            level,
            piece: Vec::with_capacity(cols * rows),
            offsets: vec![0],
            nodes: Vec::new(),
        };
        let mut frontier = Vec::new();
        for row in 0..rows {
            for col in 0..cols {
                let (w, s) = (
                    lon0 + col as f64 * SEED_CELL_DEG,
                    lat0 + row as f64 * SEED_CELL_DEG,
                );
                let (e, n) = (w + SEED_CELL_DEG, (s + SEED_CELL_DEG).min(90.0));
                let c = Ecef::from_degrees(w + 0.5 * SEED_CELL_DEG, 0.5 * (s + n));
                let centre = [c.x, c.y, c.z];
                // Every point of the cell is within `rho` of its centre (corners and edge
                // midpoints bound a cell this small; 1 % covers the surface's bulge).
                let rho = [
                    (w, s),
                    (e, s),
                    (w, n),
                    (e, n),
                    (w + 0.5 * SEED_CELL_DEG, s),
                    (w + 0.5 * SEED_CELL_DEG, n),
                ]
                .iter()
                .map(|&(x, y)| {
                    let k = Ecef::from_degrees(x, y);
                    dist2([k.x, k.y, k.z], centre).sqrt()
                })
                .fold(0.0, f64::max)
                    * 1.01;
                let nearest = self.search_from(&c, None);
                grid.piece.push(nearest.piece as u32);
                // No point of the cell is farther than this from the line.
                let ub =
                    dist2(centre, [nearest.point.x, nearest.point.y, nearest.point.z]).sqrt() + rho;
                frontier.clear();
                frontier.extend((0..self.levels[top].len()).map(|i| (top, i)));
                while let Some((lv, node)) = frontier.pop() {
                    let cap = &self.levels[lv][node];
                    if cap.axis_dist2(centre).sqrt() - cap.r - rho > ub {
                        continue;
                    }
                    if lv == level {
                        grid.nodes.push(node as u32);
                    } else {
                        let first = node * FANOUT;
                        let end = (first + FANOUT).min(self.levels[lv - 1].len());
                        frontier.extend((first..end).map(|i| (lv - 1, i)));
                    }
                }
                grid.offsets.push(grid.nodes.len() as u32);
            }
        }
        grid
    }

    /// Number of pieces the line was split into.
    pub fn pieces(&self) -> usize {
        self.segments.len()
    }

    /// The nearest point of the line to a longitude and latitude in degrees.
    ///
    /// # Panics
    /// If the line is empty (an agreement always has a line).
    #[inline]
    pub fn nearest(&self, lon: f64, lat: f64) -> Nearest {
        self.search_from(&Ecef::from_degrees(lon, lat), self.seeds.cell(lon, lat))
    }

    /// The nearest point of the line to a point on the ellipsoid.
    pub fn nearest_ecef(&self, p: &Ecef) -> Nearest {
        let (lon, lat) = p.to_degrees();
        self.search_from(p, self.seeds.cell(lon, lat))
    }

    /// Branch and bound from the seed cell's start nodes, or from the root without a cell.
    fn search_from(&self, p: &Ecef, cell: Option<usize>) -> Nearest {
        assert!(!self.segments.is_empty(), "the line has no segments");
        let q = [p.x, p.y, p.z];
        // Squared chord to the best piece so far, and the chord itself for the bounds.
        let mut best = f64::INFINITY;
        let mut best_d = f64::INFINITY;
        let mut best_seg = 0;
        let mut best_t = 0.0;
        // Depth-first, nearest child first. The stack holds capsules still to visit with their
        // lower bounds: at most the start nodes (8·FANOUT) plus FANOUT for each level below them,
        // and a tree of 16 levels would index 8^16 pieces.
        let mut stack = Stack::new();
        let top = self.levels.len() - 1;
        let seeded = cell.and_then(|k| {
            let nodes = &self.seeds.nodes
                [self.seeds.offsets[k] as usize..self.seeds.offsets[k + 1] as usize];
            // The start list can outgrow the stack only for cells far beyond the margin's
            // intent; search those from the root.
            (nodes.len() <= 8 * FANOUT).then_some((k, nodes))
        });
        match seeded {
            Some((k, nodes)) => {
                let piece = self.seeds.piece[k] as usize;
                let (t, d2) = self.segments[piece].closest(q);
                (best, best_seg, best_t, best_d) = (d2, piece, t, d2.sqrt());
                let level = self.seeds.level;
                let nodes = nodes.iter().map(|&n| n as usize);
                push(&self.levels[level], level, nodes, q, best_d, &mut stack);
            }
            None => {
                let caps = &self.levels[top];
                push(caps, top, 0..caps.len(), q, best_d, &mut stack)
            }
        }
        while let Some((lb, level, node)) = stack.pop() {
            if lb >= best_d {
                continue;
            }
            let (level, first) = (level as usize, node as usize * FANOUT);
            if level == 0 {
                let end = (first + FANOUT).min(self.segments.len());
                for (i, s) in self.segments[first..end].iter().enumerate() {
                    let (t, d2) = s.closest(q);
                    if d2 < best {
                        best = d2;
                        best_seg = first + i;
                        best_t = t;
                    }
                }
                best_d = best.sqrt();
            } else {
                let caps = &self.levels[level - 1];
                let end = (first + FANOUT).min(caps.len());
                push(caps, level - 1, first..end, q, best_d, &mut stack);
            }
        }
        let s = &self.segments[best_seg];
        let f = Ecef {
            x: s.a[0] + best_t * s.d[0],
            y: s.a[1] + best_t * s.d[1],
            z: s.a[2] + best_t * s.d[2],
        };
        Nearest {
            distance_m: geodesic_from_chord(p, &f),
            point: f,
            piece: best_seg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;
    use proptest::prelude::*;

    /// A wiggly line, so that many pieces compete for the nearest.
    fn wiggly() -> &'static LineIndex {
        static INDEX: std::sync::OnceLock<LineIndex> = std::sync::OnceLock::new();
        INDEX.get_or_init(|| {
            let pts: Vec<(f64, f64)> = (0..=400)
                .map(|i| {
                    let t = i as f64 / 400.0;
                    (
                        37.0 + 2.0 * t + 0.05 * (t * 60.0).sin(),
                        47.0 + 1.5 * t + 0.08 * (t * 23.0).cos(),
                    )
                })
                .collect();
            LineIndex::new(&MultiLineString(vec![LineString::from(pts)]))
        })
    }

    fn brute_force(index: &LineIndex, p: &Ecef) -> f64 {
        let q = [p.x, p.y, p.z];
        index
            .segments
            .iter()
            .map(|s| s.closest(q).1)
            .fold(f64::INFINITY, f64::min)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// The seeded search, the search from the root and a scan of every piece find the same
        /// nearest chord, inside the seed grid and beyond it.
        #[test]
        fn search_is_exact(lon in 30.0f64..46.0, lat in 42.0f64..53.0) {
            let index = wiggly();
            let p = Ecef::from_degrees(lon, lat);
            let seeded = index.nearest(lon, lat);
            let root = index.search_from(&p, None);
            let chord = |n: &Nearest| dist2([p.x, p.y, p.z], [n.point.x, n.point.y, n.point.z]);
            let brute = brute_force(index, &p);
            prop_assert_eq!(chord(&seeded), brute);
            prop_assert_eq!(chord(&root), brute);
        }
    }

    #[test]
    fn a_single_point_line() {
        let index = LineIndex::new(&MultiLineString(vec![LineString::from(vec![(38.0, 48.0)])]));
        let n = index.nearest(38.0, 48.1);
        assert!((n.distance_m - 11_121.0).abs() < 5.0, "{}", n.distance_m);
    }

    #[test]
    fn long_segments_are_split() {
        let index = LineIndex::new(&MultiLineString(vec![LineString::from(vec![
            (38.0, 47.0),
            (38.0, 49.0),
        ])]));
        assert!(index.pieces() >= 1112, "{}", index.pieces());
    }
}
