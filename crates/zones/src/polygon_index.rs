//! Point in polygon by horizontal bands: each band of latitude keeps the edges that reach into
//! it, so a query tests only the handful of edges near its own latitude.
//!
//! Edges are straight in longitude and latitude (RFC 7946), so the test is planar and exact up
//! to floating point; the usual half-open rule (an edge counts when one end is strictly above the
//! query's latitude and the other is not) makes a point on an edge shared by two adjacent areas
//! belong to exactly one of them.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use truceline_zones::polygon_index::PolygonIndex;
//!
//! let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
//! let index = PolygonIndex::new(&square);
//! assert!(index.contains(0.5, 0.5));
//! assert!(!index.contains(1.5, 0.5));
//! ```

use geo::{BoundingRect, MultiPolygon};

/// An areal geometry indexed for containment queries.
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    min_x: f64,
    max_x: f64,
    min_y: f64,
    max_y: f64,
    band_height: f64,
    /// Band b's edges are `edges[offsets[b]..offsets[b + 1]]`.
    offsets: Vec<u32>,
    edges: Vec<Edge>,
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl PolygonIndex {
    pub fn new(mp: &MultiPolygon<f64>) -> PolygonIndex {
        let all: Vec<Edge> =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.lines())
                // Horizontal edges never count as crossings, but [`Self::uniform`] must see
                // them: one can cut a rectangle that no other edge reaches.
                .map(|l| Edge {
                    x0: l.start.x,
                    y0: l.start.y,
                    x1: l.end.x,
                    y1: l.end.y,
                })
                .collect();
        let Some(rect) = mp.bounding_rect() else {
            return PolygonIndex {
                min_x: 0.0,
                max_x: -1.0,
                min_y: 0.0,
                max_y: -1.0,
                band_height: 1.0,
                offsets: vec![0, 0],
                edges: vec![],
            };
        };
        // About one band per two edges keeps each band's list short without bloating memory.
        let bands = (all.len() / 2).clamp(1, 1 << 14);
        let band_height = ((rect.max().y - rect.min().y) / bands as f64).max(f64::MIN_POSITIVE);
        let band_of = |y: f64| (((y - rect.min().y) / band_height) as usize).min(bands - 1);
        let mut lists: Vec<Vec<Edge>> = vec![Vec::new(); bands];
        for e in &all {
            for list in &mut lists[band_of(e.y0.min(e.y1))..=band_of(e.y0.max(e.y1))] {
                list.push(*e);
            }
        }
        let mut offsets = Vec::with_capacity(bands + 1);
        let mut edges = Vec::new();
        offsets.push(0);
        for mut list in lists {
            // Leftmost first: a query stops at the first edge wholly to its right.
            list.sort_by(|a, b| a.x0.min(a.x1).total_cmp(&b.x0.min(b.x1)));
            edges.extend(list);
            offsets.push(edges.len() as u32);
        }
        PolygonIndex {
            min_x: rect.min().x,
            max_x: rect.max().x,
            min_y: rect.min().y,
            max_y: rect.max().y,
            band_height,
            offsets,
            edges,
        }
    }

    /// Whether every point of the rectangle from `min` to `max` (longitude, latitude) lies
    /// inside, or every one outside: `Some(inside)` when no edge comes near the rectangle, `None`
    /// when one might cross it. A caller sampling many points in a small area (an error ellipse)
    /// asks once instead of for every point.
    ///
    /// ```
    /// use geo::{polygon, MultiPolygon};
    /// use truceline_zones::polygon_index::PolygonIndex;
    ///
    /// let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
    /// let index = PolygonIndex::new(&square);
    /// assert_eq!(index.uniform((0.4, 0.4), (0.6, 0.6)), Some(true));
    /// assert_eq!(index.uniform((1.5, 0.4), (1.6, 0.6)), Some(false));
    /// assert_eq!(index.uniform((0.9, 0.4), (1.1, 0.6)), None);
    /// ```
    pub fn uniform(&self, min: (f64, f64), max: (f64, f64)) -> Option<bool> {
        if !(min.0 <= max.0 && min.1 <= max.1) {
            return None;
        }
        if max.0 < self.min_x || min.0 > self.max_x || max.1 < self.min_y || min.1 > self.max_y {
            return Some(false);
        }
        // The rectangle is connected: if no edge reaches it, no boundary separates two of its
        // points. An edge's bounding box meeting the rectangle is taken as a possible crossing.
        let bands = self.offsets.len() - 1;
        let band_of = |y: f64| {
            (((y.max(self.min_y) - self.min_y) / self.band_height) as usize).min(bands - 1)
        };
        for b in band_of(min.1)..=band_of(max.1) {
            for e in &self.edges[self.offsets[b] as usize..self.offsets[b + 1] as usize] {
                if e.x0.min(e.x1) > max.0 {
                    break;
                }
                if e.x0.max(e.x1) >= min.0 && e.y0.max(e.y1) >= min.1 && e.y0.min(e.y1) <= max.1 {
                    return None;
                }
            }
        }
        Some(self.contains(min.0, min.1))
    }

    /// Whether the point (longitude, latitude in degrees) lies inside.
    #[inline]
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if !(x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y) {
            return false;
        }
        let bands = self.offsets.len() - 1;
        let b = (((y - self.min_y) / self.band_height) as usize).min(bands - 1);
        let edges = &self.edges[self.offsets[b] as usize..self.offsets[b + 1] as usize];
        let mut inside = false;
        for e in edges {
            if e.x0.min(e.x1) > x {
                break;
            }
            if (e.y0 > y) != (e.y1 > y) {
                let xi = e.x0 + (y - e.y0) * (e.x1 - e.x0) / (e.y1 - e.y0);
                if xi < x {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};
    use proptest::prelude::*;

    /// A star-shaped ring with a hole and a horizontal edge: every kind of edge a query meets.
    fn shape() -> MultiPolygon<f64> {
        let ring: Vec<(f64, f64)> = (0..40)
            .map(|k| {
                let t = k as f64 / 40.0 * std::f64::consts::TAU;
                let r = if k % 2 == 0 { 1.0 } else { 0.6 };
                (r * t.cos(), r * t.sin())
            })
            .chain([(1.2, 0.0), (1.2, 0.3), (0.9, 0.3)])
            .collect();
        let hole = vec![(-0.2, -0.2), (0.2, -0.2), (0.2, 0.2), (-0.2, 0.2)];
        MultiPolygon(vec![Polygon::new(
            LineString::from(ring),
            vec![LineString::from(hole)],
        )])
    }

    proptest! {
        /// When the index says a rectangle is all inside or all outside, every point of it is.
        #[test]
        fn a_uniform_rectangle_holds_no_point_of_the_other_kind(
            x in -1.5f64..1.5, y in -1.5f64..1.5, w in 0.0f64..0.4, h in 0.0f64..0.4,
        ) {
            let index = PolygonIndex::new(&shape());
            if let Some(inside) = index.uniform((x, y), (x + w, y + h)) {
                for i in 0..=10 {
                    for j in 0..=10 {
                        let (px, py) = (x + w * i as f64 / 10.0, y + h * j as f64 / 10.0);
                        prop_assert_eq!(index.contains(px, py), inside, "{} {}", px, py);
                    }
                }
            }
        }
    }

    #[test]
    fn a_rectangle_cut_only_by_a_horizontal_edge_is_not_uniform() {
        let index = PolygonIndex::new(&shape());
        // The edge from (1.2, 0.3) to (0.9, 0.3) alone passes through this rectangle.
        assert_eq!(index.uniform((1.05, 0.25), (1.15, 0.35)), None);
        assert_eq!(index.uniform((1.05, 0.1), (1.15, 0.2)), Some(true));
    }
}
