//! Geometric checks that need the whole agreement: rings that cross themselves, areas that
//! overlap, and a line of contact that does not run between the two parties' areas.
//!
//! These run on a local equirectangular copy of the geometry (kilometres). Its scale error is
//! about 1 % across the agreement's extent, which is ample for deciding whether a drawing is
//! wrong; exact geodesy is the zone engine's job, not the validator's.

use geo::{
    Area, BooleanOps, BoundingRect, Centroid, Contains, Coord, Distance, Euclidean, Intersects,
    Line, LineString, MultiPolygon, Point, Polygon,
    line_intersection::{LineIntersection, line_intersection},
};

use crate::diagnostic::{Diagnostic, Location};
use crate::read::GeometryPointers;
use crate::{Agreement, ZoneExtent};

/// A line vertex deeper than this inside a party's area is an error, in kilometres.
const INSIDE_TOLERANCE_KM: f64 = 0.05;
/// Overlap between two parties' areas beyond this is an error, in square kilometres.
const OVERLAP_TOLERANCE_KM2: f64 = 0.01;
/// How far each side of the line the separation check looks, in kilometres.
const SIDE_OFFSET_KM: f64 = 1.0;
/// Share of sampled places where the two sides must lie in the two parties' areas.
const MIN_SEPARATED_SHARE: f64 = 0.8;

/// Local equirectangular frame in kilometres around the agreement.
#[derive(Clone, Copy)]
struct Frame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Frame {
    fn around(a: &Agreement) -> Frame {
        let (lon0, lat0) = a
            .line_of_contact
            .geometry
            .bounding_rect()
            .map(|r| (r.center().x, r.center().y))
            .unwrap_or((0.0, 0.0));
        Frame {
            lon0,
            lat0,
            kx: 111.320 * lat0.to_radians().cos(),
            ky: 110.574,
        }
    }
    fn fwd(&self, c: Coord) -> Coord {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }
    fn inv(&self, c: Coord) -> Coord {
        Coord {
            x: c.x / self.kx + self.lon0,
            y: c.y / self.ky + self.lat0,
        }
    }
    fn poly(&self, p: &MultiPolygon) -> MultiPolygon {
        use geo::MapCoords;
        p.map_coords(|c| self.fwd(c))
    }
}

struct Out<'a>(&'a mut Vec<Diagnostic>);

impl Out<'_> {
    fn json(&mut self, file: &str, pointer: String, message: String) {
        self.0.push(Diagnostic {
            location: Location::Json {
                file: file.to_string(),
                pointer,
            },
            message,
        });
    }
}

pub(crate) fn check(a: &Agreement, ptrs: &GeometryPointers, diags: &mut Vec<Diagnostic>) {
    let mut out = Out(diags);
    let frame = Frame::around(a);

    // Rings that cross themselves or each other.
    let mut areas: Vec<(String, &MultiPolygon)> =
        a.parties.iter().map(|p| (p.id.clone(), &p.area)).collect();
    for z in &a.zones {
        if let ZoneExtent::Area { area, .. } = &z.extent {
            areas.push((format!("zone:{}", z.id), area));
        }
    }
    for (key, mp) in &areas {
        let Some((file, pp)) = ptrs.areas.get(key) else {
            continue;
        };
        for (poly, pointers) in mp.0.iter().zip(pp) {
            let rings: Vec<(&LineString, &String)> = std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .zip(std::iter::once(&pointers.exterior).chain(&pointers.interiors))
                .collect();
            if let Some(x) = first_crossing(&rings.iter().map(|r| r.0).collect::<Vec<_>>(), true) {
                out.json(
                    file,
                    format!("{}/{}", rings[x.a.0].1, x.a.1),
                    format!(
                        "the ring crosses itself: the edge from position {} crosses the edge from position {} of {} near {:.5}, {:.5}; expected a simple ring (no edge may cross another)",
                        x.a.1, x.b.1, if x.a.0 == x.b.0 { "the same ring".to_string() } else { format!("ring {}", x.b.0) }, x.at.x, x.at.y
                    ),
                );
            }
            for (i, hole) in poly.interiors().iter().enumerate() {
                if let Some(c) = hole.0.first()
                    && !poly.exterior().0.is_empty()
                    && !Polygon::new(poly.exterior().clone(), vec![]).intersects(&Point(*c))
                {
                    out.json(
                        file,
                        pointers.interiors[i].clone(),
                        "this hole lies outside its polygon's exterior ring; expected holes inside the exterior".into(),
                    );
                }
            }
        }
    }

    let (line_file, line_ptrs) = &ptrs.line;
    for (li, l) in a.line_of_contact.geometry.0.iter().enumerate() {
        if l.0.windows(2).all(|w| w[0] == w[1]) {
            out.json(
                line_file,
                line_ptrs[li].clone(),
                "this line has no length (all its positions are the same); expected at least two distinct positions".into(),
            );
        }
    }

    // The line of contact must not cross itself.
    let lines: Vec<&LineString> = a.line_of_contact.geometry.0.iter().collect();
    if let Some(x) = first_crossing(&lines, false) {
        out.json(
            line_file,
            format!("{}/{}", line_ptrs[x.a.0], x.a.1),
            format!(
                "the line of contact crosses itself near {:.5}, {:.5} (segment from position {} and segment from position {} of line {}); expected a line that does not cross itself",
                x.at.x, x.at.y, x.a.1, x.b.1, x.b.0
            ),
        );
    }

    // Parties' areas must not overlap.
    let projected: Vec<MultiPolygon> = a.parties.iter().map(|p| frame.poly(&p.area)).collect();
    for i in 0..a.parties.len() {
        for j in i + 1..a.parties.len() {
            let inter = projected[i].intersection(&projected[j]);
            let km2 = inter.unsigned_area();
            if km2 > OVERLAP_TOLERANCE_KM2 {
                let at = inter.centroid().map(|c| frame.inv(c.0)).unwrap_or_default();
                let (pi, pj) = (&a.parties[i], &a.parties[j]);
                let file = ptrs
                    .areas
                    .get(&pj.id)
                    .map_or(pj.area_file.as_str(), |f| f.0.as_str());
                out.json(
                    file,
                    String::new(),
                    format!(
                        "the area of party \"{}\" overlaps the area of party \"{}\" by {km2:.2} km² around {:.5}, {:.5}; expected areas that meet but do not overlap",
                        pj.id, pi.id, at.x, at.y
                    ),
                );
            }
        }
    }

    // The line of contact must lie between the two parties it names.
    let [ia, ib] = a.line_of_contact.between.clone().map(|id| {
        a.parties
            .iter()
            .position(|p| p.id == id)
            .expect("checked on read")
    });
    let (pa, pb) = (&projected[ia], &projected[ib]);
    let names = [&a.parties[ia].id, &a.parties[ib].id];
    for (k, area) in [pa, pb].into_iter().enumerate() {
        let mut first = None;
        let mut count = 0;
        for (li, l) in a.line_of_contact.geometry.0.iter().enumerate() {
            let step = (l.0.len() / 2000).max(1);
            for vi in (0..l.0.len()).step_by(step) {
                let p = Point(frame.fwd(l.0[vi]));
                if area.contains(&p) {
                    let depth = area
                        .0
                        .iter()
                        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
                        .map(|r| Euclidean.distance(&p, r))
                        .fold(f64::INFINITY, f64::min);
                    if depth > INSIDE_TOLERANCE_KM {
                        count += 1;
                        first.get_or_insert((li, vi, depth));
                    }
                }
            }
        }
        if let Some((li, vi, depth)) = first {
            out.json(
                line_file,
                format!("{}/{vi}", line_ptrs[li]),
                format!(
                    "the line of contact runs inside the area of party \"{}\" ({depth:.2} km from its edge; {count} sampled position(s) in all); expected the line to run along the parties' areas, not through one",
                    names[k]
                ),
            );
        }
    }
    let mut samples = 0usize;
    let mut separated = 0usize;
    let mut first_bad = None;
    for (li, l) in a.line_of_contact.geometry.0.iter().enumerate() {
        let n = l.0.len().saturating_sub(1);
        let step = (n / 400).max(1);
        for si in (0..n).step_by(step) {
            let (p, q) = (frame.fwd(l.0[si]), frame.fwd(l.0[si + 1]));
            let d = q - p;
            let len = (d.x * d.x + d.y * d.y).sqrt();
            if len == 0.0 {
                continue;
            }
            let m = (p + q) / 2.0;
            let nrm = Coord {
                x: -d.y / len,
                y: d.x / len,
            } * SIDE_OFFSET_KM;
            let (left, right) = (Point(m + nrm), Point(m - nrm));
            let side = |pt: &Point| (pa.intersects(pt), pb.intersects(pt));
            let (l_in, r_in) = (side(&left), side(&right));
            samples += 1;
            let ok = (l_in.0 && r_in.1) || (l_in.1 && r_in.0);
            if ok {
                separated += 1;
            } else {
                first_bad.get_or_insert((li, si));
            }
        }
    }
    if samples > 0 && (separated as f64) < MIN_SEPARATED_SHARE * samples as f64 {
        let (li, si) = first_bad.unwrap_or((0, 0));
        out.json(
            line_file,
            format!("{}/{si}", line_ptrs[li]),
            format!(
                "the line of contact does not lie between the areas of \"{}\" and \"{}\": at {} of {samples} sampled places the ground {SIDE_OFFSET_KM} km either side is not one party's on one side and the other's on the other (first here); expected the line to separate the two areas",
                names[0],
                names[1],
                samples - separated
            ),
        );
    }
}

/// Two edges that cross: (ring or line index, index of the edge's first position), and where.
struct Crossing {
    a: (usize, usize),
    b: (usize, usize),
    at: Coord,
}

/// The first pair of edges that cross, by a sweep over x.
///
/// `closed` rings wrap around, so their first and last edges are neighbours. Neighbouring edges
/// share a position and are not a crossing; any other contact is.
fn first_crossing(rings: &[&LineString], closed: bool) -> Option<Crossing> {
    let mut edges: Vec<(usize, usize, Line)> = Vec::new();
    for (ri, r) in rings.iter().enumerate() {
        for (ei, l) in r.lines().enumerate() {
            if l.start != l.end {
                edges.push((ri, ei, l));
            }
        }
    }
    let counts: Vec<usize> = rings.iter().map(|r| r.0.len().saturating_sub(1)).collect();
    edges.sort_by(|a, b| {
        a.2.start
            .x
            .min(a.2.end.x)
            .total_cmp(&b.2.start.x.min(b.2.end.x))
    });
    let mut active: Vec<usize> = Vec::new();
    let mut best: Option<Crossing> = None;
    for i in 0..edges.len() {
        let (ri, ei, l) = edges[i];
        let minx = l.start.x.min(l.end.x);
        active.retain(|&j| edges[j].2.start.x.max(edges[j].2.end.x) >= minx);
        for &j in &active {
            let (rj, ej, m) = edges[j];
            if ri == rj {
                let n = counts[ri];
                let adjacent = ei.abs_diff(ej) == 1 || (closed && ei.abs_diff(ej) == n - 1);
                if adjacent {
                    // Neighbours meet at their shared position; only a fold back onto each other counts.
                    if let Some(LineIntersection::Collinear { intersection }) =
                        line_intersection(l, m)
                        && intersection.start != intersection.end
                    {
                        best = pick(best, (ri, ei), (rj, ej), intersection.start);
                    }
                    continue;
                }
            }
            if let Some(x) = line_intersection(l, m) {
                let at = match x {
                    LineIntersection::SinglePoint { intersection, .. } => intersection,
                    LineIntersection::Collinear { intersection } => intersection.start,
                };
                best = pick(best, (ri, ei), (rj, ej), at);
            }
        }
        active.push(i);
    }
    best
}

/// Keeps the crossing that comes first in file order, so messages are stable.
fn pick(
    best: Option<Crossing>,
    a: (usize, usize),
    b: (usize, usize),
    at: Coord,
) -> Option<Crossing> {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    match best {
        Some(c) if c.a <= a => Some(c),
        _ => Some(Crossing { a, b, at }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(c: &[(f64, f64)]) -> LineString {
        LineString::from(c.to_vec())
    }

    #[test]
    fn square_does_not_cross_itself() {
        let r = ls(&[(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]);
        assert!(first_crossing(&[&r], true).is_none());
    }

    #[test]
    fn bow_tie_crosses_itself() {
        let r = ls(&[(0., 0.), (1., 1.), (1., 0.), (0., 1.), (0., 0.)]);
        let x = first_crossing(&[&r], true).expect("a bow tie crosses");
        assert_eq!((x.a, x.b), ((0, 0), (0, 2)));
        assert!((x.at.x - 0.5).abs() < 1e-12 && (x.at.y - 0.5).abs() < 1e-12);
    }

    #[test]
    fn spike_folding_back_is_a_crossing() {
        let r = ls(&[(0., 0.), (2., 0.), (1., 0.), (1., 1.), (0., 0.)]);
        assert!(first_crossing(&[&r], true).is_some());
    }

    #[test]
    fn open_line_ends_are_not_neighbours() {
        let l = ls(&[(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0.5, -1.)]);
        assert!(first_crossing(&[&l], false).is_some());
        let ok = ls(&[(0., 0.), (1., 0.), (1., 1.), (0., 1.)]);
        assert!(first_crossing(&[&ok], false).is_none());
    }
}
