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
                .filter(|l| l.start.y != l.end.y)
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
