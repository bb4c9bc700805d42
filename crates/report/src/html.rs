//! The report as one self-contained HTML file: readable on screen, printable, no external
//! resources (the map and chart are inline SVG, the style inline CSS).

use std::fmt::Write;

use crate::Context;
use crate::content::{Report, Row};
use crate::doc::{Sentences, pct};
use crate::lang::{Lang, fill};
use crate::svg::esc;

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

fn row_table(out: &mut String, lang: Lang, first: &str, rows: &[Row]) {
    let w = lang.words();
    let _ = write!(
        out,
        r#"<table><thead><tr><th>{first}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        w.violations, w.events, w.day_before, w.mean7
    );
    for r in rows {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{:.1}</td></tr>"#,
            esc(lang.row_name(&r.name)),
            r.violations,
            r.events,
            r.previous_day,
            r.seven_day_mean
        );
    }
    if rows.is_empty() {
        let _ = write!(out, r#"<tr><td colspan="5">{}</td></tr>"#, w.no_violations);
    }
    out.push_str("</tbody></table>");
}

pub fn html(r: &Report, ctx: &Context, lang: Lang) -> String {
    let w = lang.words();
    let mut o = String::with_capacity(256 * 1024 + r.incidents.len() * 400);
    let a = &r.agreement;
    let title = Sentences::title(r, w);
    let _ = write!(
        o,
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — {agreement}</title><style>{STYLE}</style></head><body><main>"#,
        lang = lang.as_str(),
        title = esc(&title),
        agreement = esc(&a.title)
    );
    let (day_line, edition) = Sentences::day_line(r, w);
    let _ = write!(
        o,
        r#"<header><h1>{}</h1><p class="sub">{} · <span class="audience">{}</span></p>"#,
        esc(&title),
        esc(&day_line),
        edition
    );
    if a.illustrative {
        let _ = write!(o, r#"<p class="banner">{}</p>"#, w.illustrative);
    }
    o.push_str("</header>");

    if let Some(text) = Sentences::in_progress(r, w) {
        let _ = write!(
            o,
            r#"<p class="banner" id="in-progress">{}</p>"#,
            esc(&text),
        );
    }

    // Summary.
    let s = &r.summary;
    let c = &r.coverage;
    let _ = write!(
        o,
        r#"<h2>{}</h2><div class="cards"><div class="card"><b id="violation-events">{}</b><span>{}</span></div><div class="card"><b>{}</b><span>{}</span></div><div class="card"><b>{:.1}</b><span>{}</span></div><div class="card"><b>{}</b><span>{}</span></div><div class="card"><b>{}</b><span>{}</span></div></div>"#,
        w.summary,
        s.violation_events,
        fill(w.card_events, &[&s.violations]),
        s.previous_day,
        w.day_before,
        s.seven_day_mean,
        w.mean7,
        pct(c.today.line_share),
        fill(w.card_covered, &[&pct(c.previous_day_line_share)]),
        s.adjusted_for_coverage
            .map_or("—".into(), |x| format!("{x:.0}")),
        fill(
            w.card_adjusted,
            &[&s.previous_day_adjusted
                .map_or("—".into(), |x| format!("{x:.0}"))]
        ),
    );
    let _ = write!(o, "<p>{}</p>", Sentences::summary(r, w));

    crate::doc::html(&mut o, &crate::doc::figures(r, ctx, lang));

    let _ = write!(o, "<h2>{}</h2>", w.by_region);
    row_table(&mut o, lang, w.region, &r.by_region);
    let _ = write!(o, "<h2>{}</h2>", w.by_area);
    row_table(&mut o, lang, w.area, &r.by_area);

    let _ = write!(
        o,
        r#"<h2>{}</h2><table><thead><tr><th>{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        w.by_kind, w.kind, w.incidents, w.events, w.in_violation, w.day_before, w.mean7
    );
    for k in &r.by_kind {
        let name = lang.kind(&k.kind, k.subtype.as_deref());
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

    let _ = write!(
        o,
        r#"<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        w.weapons_heading, w.class, w.party, w.sightings, w.weapons
    );
    let party = |id: &Option<String>| {
        id.as_ref().map_or(w.not_established.to_string(), |id| {
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
        let _ = write!(o, r#"<tr><td colspan="4">{}</td></tr>"#, w.none_seen);
    }
    o.push_str("</tbody></table>");

    let at = &r.attribution;
    let _ = write!(
        o,
        "<h2>{}</h2><p>{}</p>",
        w.attribution,
        Sentences::attribution(r, w)
    );
    let _ = write!(
        o,
        r#"<table><thead><tr><th>{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        w.party, w.attributed
    );
    for (p, n) in &at.by_party {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="n">{n}</td></tr>"#,
            esc(&party(&Some(p.clone())))
        );
    }
    let _ = write!(
        o,
        r#"</tbody></table><table><thead><tr><th>{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        w.basis, w.violations
    );
    for (b, n) in &at.bases {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="n">{n}</td></tr>"#,
            esc(&lang.basis(b))
        );
    }
    o.push_str("</tbody></table>");

    crate::doc::html(&mut o, &crate::records_doc::sections(r, ctx, lang));
    crate::doc::html(&mut o, &crate::sea::blocks(r, ctx, lang));

    let _ = write!(
        o,
        r#"<h2>{}</h2><table class="incidents"><thead><tr><th class="n">#</th><th>{}</th><th>{}</th><th class="n">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
        w.incidents,
        w.time_utc,
        w.kind,
        w.count,
        w.weapon,
        w.place,
        w.ellipse,
        w.attribution,
        w.violations,
        w.log_leaves
    );
    for i in &r.incidents {
        let kind = lang.kind(&i.kind, i.subtype.as_deref());
        let ellipse = i
            .error_ellipse_m
            .map_or("—".to_string(), |e| lang.ellipse(e));
        let attribution = match &i.attribution {
            Some(p) => format!(
                "{} ({:.0} %)",
                party(&Some(p.clone())),
                i.confidence * 100.0
            ),
            None => w.not_attributed.to_string(),
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
        // The leaves link to the evidence that proves them, where the edition has it.
        let leaves = match &i.evidence {
            Some(url) if !i.log_indices.is_empty() => {
                format!(r#"<a href="{}">{leaves}</a>"#, esc(url))
            }
            _ => leaves,
        };
        let _ = write!(
            o,
            r#"<tr><td class="n">{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td>{}</td><td>{}</td><td>{}</td><td title="{}">{}</td><td>{}</td><td>{}</td></tr>"#,
            i.number,
            esc(i.time.get(11..19).unwrap_or(&i.time)),
            esc(&kind),
            i.count,
            esc(i.weapon.as_deref().unwrap_or("—")),
            esc(&if lang == Lang::En {
                i.place.clone()
            } else {
                ctx.gazetteer
                    .describe_in(i.location[0], i.location[1], lang)
            }),
            ellipse,
            esc(&lang.basis(&i.basis)),
            esc(&attribution),
            esc(&lang.violations(&i.violations)),
            leaves
        );
    }
    if r.incidents.is_empty() {
        let _ = write!(o, r#"<tr><td colspan="10">{}</td></tr>"#, w.no_incidents);
    }
    o.push_str("</tbody></table>");

    let _ = write!(
        o,
        "<h2>{}</h2><p>{}</p>",
        w.reply,
        Sentences::reply(r, ctx, w)
    );
    if r.replies.is_empty() {
        let _ = write!(o, "<p>{}</p>", w.no_reply);
    } else {
        let _ = write!(
            o,
            r#"<table class="replies"><thead><tr><th class="n">#</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            w.party, w.deadline, w.reply
        );
        for row in &r.replies {
            let said = if row.replies.is_empty() {
                format!("<em>{}</em>", w.no_reply_by_deadline)
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
        "<h2>{}</h2><p>{}</p>",
        w.check,
        Sentences::check_html(r, w)
    );
    if let Some(cp) = &b.checkpoint {
        let _ = write!(o, "<pre>{}</pre>", esc(cp));
        if b.cosigned_by.is_empty() {
            let _ = write!(o, "<p id=\"witnesses\">{}</p>", w.no_cosignature);
        } else {
            let _ = write!(
                o,
                "<p id=\"witnesses\">{} {}</p>",
                w.cosigned_by,
                esc(&b.cosigned_by.join(", "))
            );
        }
    }
    let _ = write!(o, "<h2>{}</h2><ul>", w.notes);
    for n in &r.notes {
        let _ = write!(o, "<li>{}</li>", esc(&n.text(lang)));
    }
    let _ = writeln!(
        o,
        r#"</ul><p class="sub">{}</p></main></body></html>"#,
        esc(w.map_data)
    );
    o
}
