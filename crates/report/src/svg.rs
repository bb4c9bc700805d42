//! The report's pictures as self-contained SVG: the map of the day and the 30-day chart.
//!
//! The map uses an equirectangular projection true at the middle latitude of its extent; over
//! the few hundred kilometres of a line of contact its scale errs by under 1 %, which the scale
//! bar states. Error ellipses are drawn in metres at the incident.

use std::fmt::Write;

use geo::{BoundingRect, LineString, MultiLineString, MultiPolygon};
use truceline_agreement::ZoneExtent;
use truceline_zones::display::{Aeqd, band};

use crate::Context;
use crate::content::Report;
use crate::lang::{Lang, fill};

/// Colours by kind (Okabe–Ito, distinguishable with colour-blindness) in drawing order.
pub const KINDS: [(&str, &str); 9] = [
    ("explosion", "#D55E00"),
    ("projectile", "#E69F00"),
    ("muzzle_flash", "#CC79A7"),
    ("illumination", "#F0E442"),
    ("burst", "#0072B2"),
    ("shot", "#56B4E9"),
    ("weapon", "#009E73"),
    ("movement", "#999999"),
    ("other", "#000000"),
];

pub fn kind_colour(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map_or("#000000", |k| k.1)
}

const PARTY_FILLS: [&str; 4] = ["#dfe7f1", "#f1e9dc", "#e4efe0", "#efe0ea"];

struct Frame {
    west: f64,
    north: f64,
    /// Pixels per degree of longitude and of latitude.
    kx: f64,
    ky: f64,
    width: f64,
    height: f64,
    /// Metres per pixel.
    m_per_px: f64,
}

impl Frame {
    fn around(line: &MultiLineString<f64>, width: f64) -> Frame {
        let r = line.bounding_rect().expect("a line of contact has points");
        let margin = 0.35;
        let (west, east) = (r.min().x - margin, r.max().x + margin);
        let (south, north) = (r.min().y - margin * 0.7, r.max().y + margin * 0.7);
        let lat0 = ((south + north) / 2.0).to_radians();
        let kx = width / (east - west);
        let ky = kx / lat0.cos();
        let m_per_px = 111_320.0 * lat0.cos() / kx;
        Frame {
            west,
            north,
            kx,
            ky,
            width,
            height: ((north - south) * ky).round(),
            m_per_px,
        }
    }

    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.west) * self.kx, (self.north - lat) * self.ky)
    }
}

fn path_ring(out: &mut String, f: &Frame, ring: &LineString<f64>) {
    for (k, c) in ring.0.iter().enumerate() {
        let (x, y) = f.xy(c.x, c.y);
        let _ = write!(out, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
    }
    out.push('Z');
}

fn path_mp(f: &Frame, mp: &MultiPolygon<f64>) -> String {
    let mut d = String::new();
    for p in &mp.0 {
        path_ring(&mut d, f, p.exterior());
        for i in p.interiors() {
            path_ring(&mut d, f, i);
        }
    }
    d
}

fn path_lines(f: &Frame, ml: &MultiLineString<f64>) -> String {
    let mut d = String::new();
    for ls in &ml.0 {
        for (k, c) in ls.0.iter().enumerate() {
            let (x, y) = f.xy(c.x, c.y);
            let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
        }
    }
    d
}

/// Text escaped for HTML and SVG, in text and in double-quoted attributes.
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    // Most text has nothing to escape: borrowed as is, with no copy (a day's table escapes
    // 160,000 cells).
    if !s.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'"')) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The map of the day: base layers, the agreement's line and buffer zone, the incidents.
/// A map cell this many pixels wide counts as dense with [`DENSE`] incidents or more: there the
/// map draws their number, not their ellipses (thousands of overlapping ellipses, the long ones
/// of lone bearings first, hide more than they show).
pub const CELL_PX: f64 = 16.0;
pub const DENSE: usize = 6;
/// On a busy map (one with dense cells), an ellipse longer than this (95 % major axis, metres)
/// is drawn by its centre alone: a lone bearing's long thin ellipse crosses the map and says
/// only that the place is unknown along it.
pub const LONG_M: f64 = 8_000.0;

/// How the map drew the day's incidents.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Drawn {
    /// Incidents drawn with their ellipses.
    pub as_ellipses: usize,
    /// Incidents counted in dense cells.
    pub as_density: usize,
    pub dense_cells: usize,
    /// Of `as_ellipses`, those drawn by their centre alone (see [`LONG_M`]).
    pub long_unbounded: usize,
    /// The cell's width on the ground, km.
    pub cell_km: f64,
}

/// The map, and how it drew the incidents (ellipses where sparse, density where dense).
pub fn map(report: &Report, ctx: &Context, lang: Lang) -> (String, Drawn) {
    let l = lang.legend();
    let a = &ctx.agreement;
    let f = Frame::around(&a.line_of_contact.geometry, 960.0);
    let (w, h) = (f.width, f.height);
    let mut s = String::with_capacity(64 * 1024 + report.incidents.len() * 160);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="map-title" class="map"><title id="map-title">{title}</title><defs><clipPath id="frame"><rect width="{w}" height="{h}"/></clipPath><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#7a5c99" stroke-width="1.2" stroke-opacity="0.45"/></pattern></defs><rect width="{w}" height="{h}" fill="#dbe7f0"/><g clip-path="url(#frame)">"##,
        title = esc(&fill(l.map_title, &[&report.mission_day.date]))
    );
    // Land and parties' areas.
    s.push_str(r##"<g id="countries" fill="#f6f4ef" stroke="none">"##);
    for c in &ctx.regions.countries {
        let _ = write!(s, r#"<path d="{}"/>"#, path_mp(&f, &c.shape));
    }
    s.push_str("</g><g id=\"areas\" fill-opacity=\"0.85\">");
    for (k, p) in a.parties.iter().enumerate() {
        let _ = write!(
            s,
            r#"<path d="{}" fill="{}" fill-rule="evenodd"><title>{}</title></path>"#,
            path_mp(&f, &p.area),
            PARTY_FILLS[k % PARTY_FILLS.len()],
            esc(&p.name)
        );
    }
    s.push_str("</g>");
    // The buffer zone, drawn (only drawn: membership is decided by exact distance).
    let aeqd = Aeqd::around(&a.line_of_contact.geometry);
    for z in &a.zones {
        match &z.extent {
            ZoneExtent::Band { width_km } => {
                let b = band(&a.line_of_contact.geometry, width_km * 1000.0, &aeqd);
                let _ = write!(
                    s,
                    r##"<path d="{}" fill="url(#hatch)" stroke="#7a5c99" stroke-width="0.6" stroke-opacity="0.6"><title>{}</title></path>"##,
                    path_mp(&f, &b),
                    esc(&z.name)
                );
            }
            ZoneExtent::Area { area, .. } => {
                let _ = write!(
                    s,
                    r##"<path d="{}" fill="url(#hatch)" stroke="#7a5c99" stroke-width="1"><title>{}</title></path>"##,
                    path_mp(&f, area),
                    esc(&z.name)
                );
            }
        }
    }
    // Oblast boundaries, then internationally recognised borders over them.
    s.push_str(r##"<g id="regions" fill="none" stroke="#8a8a8a" stroke-width="0.7" stroke-dasharray="4 3">"##);
    for r in &ctx.regions.regions {
        let _ = write!(s, r#"<path d="{}"/>"#, path_mp(&f, &r.shape));
    }
    s.push_str(r##"</g><g id="borders" fill="none" stroke="#3a3a3a" stroke-width="1.4">"##);
    for c in &ctx.regions.countries {
        let _ = write!(s, r#"<path d="{}"/>"#, path_mp(&f, &c.shape));
    }
    s.push_str("</g>");
    // Region names where they fall inside the frame.
    s.push_str(r##"<g id="region-names" font-family="sans-serif" font-size="12" fill="#6b6b6b" text-anchor="middle">"##);
    for r in &ctx.regions.regions {
        if let Some(c) = geo::Centroid::centroid(&r.shape) {
            let (x, y) = f.xy(c.x(), c.y());
            if x > 40.0 && x < w - 40.0 && y > 20.0 && y < h - 20.0 {
                let _ = write!(s, r#"<text x="{x:.0}" y="{y:.0}">{}</text>"#, esc(&r.name));
            }
        }
    }
    s.push_str("</g>");
    // Dense cells first: each incident is in a cell, and a cell with DENSE or more is drawn as
    // its count, shaded on a log scale; the others keep their ellipses and points.
    let cell_of = |i: &crate::content::IncidentLine| {
        let (x, y) = f.xy(i.location[0], i.location[1]);
        ((x / CELL_PX).floor() as i64, (y / CELL_PX).floor() as i64)
    };
    let mut cells: std::collections::BTreeMap<(i64, i64), usize> = Default::default();
    for i in &report.incidents {
        *cells.entry(cell_of(i)).or_default() += 1;
    }
    let dense = |i: &crate::content::IncidentLine| cells[&cell_of(i)] >= DENSE;
    let mut drawn = Drawn {
        cell_km: CELL_PX * f.m_per_px / 1000.0,
        ..Default::default()
    };
    let most = cells.values().copied().max().unwrap_or(0).max(DENSE) as f64;
    s.push_str(r#"<g id="density">"#);
    for (&(cx, cy), &n) in &cells {
        if n < DENSE {
            continue;
        }
        drawn.dense_cells += 1;
        drawn.as_density += n;
        let t =
            ((n as f64).ln() - (DENSE as f64).ln()) / (most.ln() - (DENSE as f64).ln()).max(1e-9);
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{CELL_PX}" height="{CELL_PX}" fill="#b2182b" fill-opacity="{:.2}" stroke="#67001f" stroke-opacity="0.35" stroke-width="0.4"><title>{n}</title></rect>"##,
            cx as f64 * CELL_PX,
            cy as f64 * CELL_PX,
            0.25 + 0.6 * t
        );
    }
    s.push_str("</g>");
    drawn.as_ellipses = report.incidents.len() - drawn.as_density;
    // Ellipses under the line, centres over it, so that the line stays readable.
    let colour_of = |i: &crate::content::IncidentLine| {
        if i.violations.is_empty() {
            "#7f7f7f"
        } else {
            kind_colour(&i.kind)
        }
    };
    s.push_str(r#"<g id="ellipses">"#);
    for i in report.incidents.iter().filter(|i| !dense(i)) {
        let (x, y) = f.xy(i.location[0], i.location[1]);
        let colour = colour_of(i);
        if let Some([major, minor, az]) = i.error_ellipse_m {
            if drawn.dense_cells > 0 && major > LONG_M {
                drawn.long_unbounded += 1;
                continue;
            }
            let (rx, ry) = ((major / f.m_per_px).max(0.8), (minor / f.m_per_px).max(0.8));
            // The azimuth is the major axis's, clockwise from north; SVG rotates from +x.
            let _ = write!(
                s,
                r#"<ellipse cx="{x:.1}" cy="{y:.1}" rx="{rx:.1}" ry="{ry:.1}" transform="rotate({:.0} {x:.1} {y:.1})" fill="{colour}" fill-opacity="0.08" stroke="{colour}" stroke-opacity="0.7" stroke-width="0.5"/>"#,
                az - 90.0
            );
        }
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        r##"<path id="line-of-contact" d="{}" fill="none" stroke="#5b2a86" stroke-width="2.2"><title>{}</title></path>"##,
        path_lines(&f, &a.line_of_contact.geometry),
        esc(l.line_of_contact)
    );
    s.push_str(r#"<g id="incidents">"#);
    for i in report.incidents.iter().filter(|i| !dense(i)) {
        let (x, y) = f.xy(i.location[0], i.location[1]);
        let _ = write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.2" fill="{}"><title>{} {}: {}</title></circle>"#,
            colour_of(i),
            i.number,
            esc(&lang.code(&i.kind)),
            esc(&i.place)
        );
    }
    s.push_str("</g>");
    // The mission's other records over the incidents, each type its own mark.
    s.push_str(r#"<g id="records">"#);
    let rec = &report.records;
    for site in &rec.storage.sites {
        let (x, y) = f.xy(site.location[0], site.location[1]);
        let _ = write!(
            s,
            r##"<circle class="site" cx="{x:.1}" cy="{y:.1}" r="{:.1}" fill="#ffffff" stroke="#1b7837" stroke-width="2.4"><title>{}</title></circle>"##,
            5.0 + (site.missing_today as f64).min(6.0),
            esc(&fill(
                l.site_title,
                &[&site.name, &site.party, &site.declared, &site.missing_today]
            ))
        );
    }
    for r in &rec.movement.items {
        let (x, y) = f.xy(r.location[0], r.location[1]);
        let _ = write!(
            s,
            r##"<path class="restriction" d="M{x:.1} {:.1} l5 8.5 h-10 z" fill="#7f3c8d" stroke="#ffffff" stroke-width="0.8"><title>{}</title></path>"##,
            y - 5.5,
            esc(&lang.code(&r.kind))
        );
    }
    for h in &rec.hazards.items {
        let (x, y) = f.xy(h.location[0], h.location[1]);
        let _ = write!(
            s,
            r##"<path class="hazard" d="M{x:.1} {:.1} l5 5 l-5 5 l-5 -5 z" fill="#d73027" stroke="#ffffff" stroke-width="0.8"><title>{}</title></path>"##,
            y - 5.0,
            esc(&lang.code(&h.hazard))
        );
    }
    for d in &rec.damage.items {
        let (x, y) = f.xy(d.location[0], d.location[1]);
        let _ = write!(
            s,
            r##"<rect class="damage" x="{:.1}" y="{:.1}" width="7" height="7" fill="#8c510a" stroke="#ffffff" stroke-width="0.8"><title>{}</title></rect>"##,
            x - 3.5,
            y - 3.5,
            esc(&lang.code(&d.what))
        );
    }
    for w in &rec.windows.items {
        let (x, y) = f.xy(w.location[0], w.location[1]);
        let _ = write!(
            s,
            r##"<circle class="window" cx="{x:.1}" cy="{y:.1}" r="7" fill="none" stroke="#4575b4" stroke-width="2" stroke-dasharray="3 2"><title>{}</title></circle>"##,
            esc(&w.purpose)
        );
    }
    s.push_str("</g></g>");
    // Scale bar, north arrow, legend and sources.
    let km = 50.0;
    let bar = km * 1000.0 / f.m_per_px;
    let _ = write!(
        s,
        r##"<g font-family="sans-serif" font-size="12" fill="#222"><rect x="16" y="{y0}" width="{bar:.1}" height="5" fill="#222"/><text x="16" y="{yt}">{scale}</text><text x="{nx}" y="34" font-size="16" text-anchor="middle">N</text><path d="M{nx} 38 l-6 16 l6 -5 l6 5 z" fill="#222"/></g>"##,
        y0 = h - 24.0,
        yt = h - 30.0,
        nx = w - 28.0,
        scale = esc(&fill(l.scale, &[&km]))
    );
    type Swatch = Box<dyn Fn(f64) -> String>;
    let mut items: Vec<(Swatch, String)> = vec![
        (
            Box::new(|y| {
                format!(
                    r##"<line x1="16" x2="34" y1="{y}" y2="{y}" stroke="#5b2a86" stroke-width="2.2"/>"##
                )
            }),
            l.line_of_contact.into(),
        ),
        (
            Box::new(|y| {
                format!(
                    r##"<rect x="16" y="{}" width="18" height="10" fill="url(#hatch)" stroke="#7a5c99" stroke-width="0.6"/>"##,
                    y - 5.0
                )
            }),
            l.buffer_zone.into(),
        ),
    ];
    for (k, p) in a.parties.iter().enumerate() {
        let colour = PARTY_FILLS[k % PARTY_FILLS.len()];
        items.push((
            Box::new(move |y| {
                format!(
                    r##"<rect x="16" y="{}" width="18" height="10" fill="{colour}" stroke="#bbb"/>"##,
                    y - 5.0
                )
            }),
            fill(l.controlled_by, &[&p.name]),
        ));
    }
    items.push((
        Box::new(|y| {
            format!(
                r##"<line x1="16" x2="34" y1="{y}" y2="{y}" stroke="#3a3a3a" stroke-width="1.4"/>"##
            )
        }),
        l.border.into(),
    ));
    items.push((
        Box::new(|y| format!(r##"<line x1="16" x2="34" y1="{y}" y2="{y}" stroke="#8a8a8a" stroke-dasharray="4 3"/>"##)),
        l.oblast.into(),
    ));
    let mut kinds: Vec<&str> = report
        .incidents
        .iter()
        .filter(|i| !i.violations.is_empty())
        .map(|i| i.kind.as_str())
        .collect();
    kinds.sort_by_key(|k| KINDS.iter().position(|x| x.0 == *k).unwrap_or(99));
    kinds.dedup();
    for k in kinds {
        let colour = kind_colour(k);
        items.push((
            Box::new(move |y| format!(r##"<circle cx="25" cy="{y}" r="4" fill="{colour}"/>"##)),
            fill(l.violation, &[&lang.kind(k, None)]),
        ));
    }
    items.push((
        Box::new(|y| format!(r##"<circle cx="25" cy="{y}" r="4" fill="#7f7f7f"/>"##)),
        l.no_rule.into(),
    ));
    let rec = &report.records;
    if !rec.storage.sites.is_empty() {
        items.push((
            Box::new(|y| format!(r##"<circle cx="25" cy="{y}" r="5" fill="#fff" stroke="#1b7837" stroke-width="2.4"/>"##)),
            l.storage_site.into(),
        ));
    }
    if !rec.movement.items.is_empty() {
        items.push((
            Box::new(|y| {
                format!(
                    r##"<path d="M25 {:.1} l5 8.5 h-10 z" fill="#7f3c8d"/>"##,
                    y - 5.5
                )
            }),
            l.restriction.into(),
        ));
    }
    if !rec.hazards.items.is_empty() {
        items.push((
            Box::new(|y| {
                format!(
                    r##"<path d="M25 {:.1} l5 5 l-5 5 l-5 -5 z" fill="#d73027"/>"##,
                    y - 5.0
                )
            }),
            l.hazard.into(),
        ));
    }
    if !rec.damage.items.is_empty() {
        items.push((
            Box::new(|y| {
                format!(
                    r##"<rect x="21.5" y="{:.1}" width="7" height="7" fill="#8c510a"/>"##,
                    y - 3.5
                )
            }),
            l.damage.into(),
        ));
    }
    if !rec.windows.items.is_empty() {
        items.push((
            Box::new(|y| format!(r##"<circle cx="25" cy="{y}" r="6" fill="none" stroke="#4575b4" stroke-width="2" stroke-dasharray="3 2"/>"##)),
            l.window.into(),
        ));
    }
    if drawn.dense_cells > 0 {
        items.push((
            Box::new(|y| {
                format!(
                    r##"<rect x="18" y="{}" width="14" height="14" fill="#b2182b" fill-opacity="0.6"/>"##,
                    y - 7.0
                )
            }),
            fill(l.dense, &[&DENSE, &format!("{:.1}", drawn.cell_km)]),
        ));
    }
    let mut legend = String::new();
    let mut ly = 20.0;
    for (swatch, label) in &items {
        let _ = write!(
            legend,
            r#"{}<text x="40" y="{:.0}">{}</text>"#,
            swatch(ly),
            ly + 4.0,
            esc(label)
        );
        ly += 18.0;
    }
    // As wide as its longest label in DejaVu Sans, one of the widest faces a browser may set
    // `sans-serif` in (and the PDF's).
    let width = items
        .iter()
        .map(|(_, label)| 40.0 + crate::pdf::measure(label, 11.0, false) as f64 + 10.0)
        .fold(330.0, f64::max);
    let _ = write!(
        s,
        r##"<g font-family="sans-serif" font-size="11" fill="#222"><rect x="8" y="6" width="{width:.0}" height="{:.0}" fill="#ffffff" fill-opacity="0.85" stroke="#bbb"/>{legend}</g>"##,
        ly - 4.0
    );
    let caption = esc(if a.illustrative {
        l.sources_illustrative
    } else {
        l.sources
    });
    let _ = write!(
        s,
        r##"<text x="{:.0}" y="{:.0}" font-family="sans-serif" font-size="11" fill="#444" text-anchor="end">{caption}</text></svg>"##,
        w - 10.0,
        h - 10.0
    );
    (s, drawn)
}

/// Violation events a day for 30 days, stacked by kind.
pub fn chart(report: &Report, lang: Lang) -> String {
    let l = lang.legend();
    let (w, h) = (960.0, 300.0);
    let (left, right, top, bottom) = (56.0, 16.0, 20.0, 64.0);
    let days = &report.daily;
    let totals: Vec<u64> = days.iter().map(|d| d.by_kind.values().sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = nice_step(max / 5.0);
    let top_v = (max / step).ceil() * step;
    let plot_h = h - top - bottom;
    let slot = (w - left - right) / days.len().max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="chart-title" class="chart" font-family="sans-serif" font-size="11"><title id="chart-title">{}</title><rect width="{w}" height="{h}" fill="#fff"/>"##,
        esc(&fill(l.chart_title, &[&report.mission_day.date]))
    );
    let mut v = 0.0;
    while v <= top_v + 1e-9 {
        let y = top + plot_h * (1.0 - v / top_v);
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.0}" y="{:.1}" text-anchor="end" fill="#444">{v}</text>"##,
            w - right,
            left - 6.0,
            y + 4.0
        );
        v += step;
    }
    for (k, d) in days.iter().enumerate() {
        let x = left + slot * k as f64 + slot * 0.15;
        let mut y = top + plot_h;
        for (kind, colour) in KINDS {
            let n = d.by_kind.get(kind).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let bh = plot_h * n as f64 / top_v;
            y -= bh;
            let _ = write!(
                s,
                r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{colour}"><title>{}: {n} {}</title></rect>"#,
                slot * 0.7,
                esc(&d.date),
                esc(&lang.kind(kind, None))
            );
        }
        if k % 5 == days.len().saturating_sub(1) % 5 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.0}" text-anchor="middle" fill="#444">{}</text>"##,
                x + slot * 0.35,
                top + plot_h + 16.0,
                esc(d.date.get(5..).unwrap_or(&d.date))
            );
        }
    }
    // Legend of the kinds present.
    let mut lx = left;
    for (kind, colour) in KINDS {
        if !days
            .iter()
            .any(|d| d.by_kind.get(kind).is_some_and(|n| *n > 0))
        {
            continue;
        }
        let label = lang.kind(kind, None);
        let _ = write!(
            s,
            r##"<rect x="{lx:.0}" y="{:.0}" width="10" height="10" fill="{colour}"/><text x="{:.0}" y="{:.0}" fill="#222">{label}</text>"##,
            h - 22.0,
            lx + 14.0,
            h - 13.0,
            label = esc(&label)
        );
        lx += 24.0 + crate::pdf::measure(&label, 11.0, false) as f64;
    }
    s.push_str("</svg>");
    s
}

fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.max(1.0).log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if raw <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}
