//! The records sections of the HTML report (and the PDF's, which reads the same words), in the
//! OSCE's manner: a sentence with the day's figure, the day before and the 7-day mean, then a
//! table.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::content::Report;
use crate::lang::{Words, fill};
use crate::records::Compared;
use crate::svg::esc;

fn n(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn sum(m: &BTreeMap<String, u64>) -> u64 {
    m.values().sum()
}

/// A party's name from its id (`unknown` and the like pass through).
pub(crate) fn party_name(r: &Report, w: &Words, id: &str) -> String {
    if id == "unknown" {
        return w.unknown.to_string();
    }
    r.agreement
        .parties
        .iter()
        .find(|p| p.0 == id)
        .map_or(id.to_string(), |p| p.1.clone())
}

fn by_party_table(o: &mut String, r: &Report, w: &Words, cols: &[(&str, &BTreeMap<String, u64>)]) {
    let mut parties: Vec<&String> = cols.iter().flat_map(|(_, m)| m.keys()).collect();
    parties.sort();
    parties.dedup();
    let _ = write!(o, "<table><thead><tr><th>{}</th>", w.party);
    for (h, _) in cols {
        let _ = write!(o, r#"<th class="n">{}</th>"#, h);
    }
    o.push_str("</tr></thead><tbody>");
    for p in &parties {
        let _ = write!(o, "<tr><td>{}</td>", esc(&party_name(r, w, p)));
        for (_, m) in cols {
            let _ = write!(
                o,
                r#"<td class="n">{}</td>"#,
                m.get(*p).copied().unwrap_or(0)
            );
        }
        o.push_str("</tr>");
    }
    if parties.is_empty() {
        let _ = write!(
            o,
            r#"<tr><td colspan="{}">{}</td></tr>"#,
            cols.len() + 1,
            w.none
        );
    }
    o.push_str("</tbody></table>");
}

fn compared(c: &Compared) -> [String; 2] {
    [n(c.previous_day), n(c.seven_day_mean)]
}

pub(crate) fn sections(o: &mut String, r: &Report, w: &Words) {
    let s = &r.records;

    // Storage sites.
    let st = &s.storage;
    let [pd, m7] = compared(&st.missing_compared);
    let _ = write!(
        o,
        r#"<section id="storage"><h2>{}</h2><p>{}</p>"#,
        w.storage,
        esc(&fill(
            w.storage_text,
            &[
                &sum(&st.inspected),
                &sum(&st.missing),
                &pd,
                &m7,
                &sum(&st.denied),
                &sum(&st.overdue),
                &crate::records::INSPECTION_DUE_DAYS
            ]
        ))
    );
    by_party_table(
        o,
        r,
        w,
        &[
            (w.declared, &st.declared),
            (w.inspected, &st.inspected),
            (w.missing, &st.missing),
            (w.denied, &st.denied),
            (w.overdue, &st.overdue),
        ],
    );
    if !st.inspections.is_empty() {
        let _ = write!(
            o,
            r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class="n">{}</th><th class="n">{}</th><th>{}</th><th class="n">{}</th><th>{}</th></tr></thead><tbody>"#,
            w.site,
            w.party,
            w.access,
            w.declared,
            w.present,
            w.missing,
            w.not_verified,
            w.undeclared
        );
        for i in &st.inspections {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td><td class="n">{}</td><td>{}</td></tr>"#,
                esc(&i.site),
                esc(&party_name(r, w, i.party.as_deref().unwrap_or("unknown"))),
                esc(&i.access),
                i.declared,
                i.present,
                esc(&i.missing.join(", ")),
                i.not_verified,
                esc(&i.undeclared.join(", "))
            );
        }
        o.push_str("</tbody></table>");
    }
    if !st.traced.is_empty() {
        let list: Vec<String> = st
            .traced
            .iter()
            .map(|t| {
                format!(
                    "#{} {} ({}, {})",
                    t.incident,
                    t.serial,
                    t.site,
                    party_name(r, w, &t.party)
                )
            })
            .collect();
        let _ = write!(o, "<p>{}</p>", esc(&fill(w.traced, &[&list.join("; ")])));
    }
    o.push_str("</section>");

    // Freedom of movement.
    let mv = &s.movement;
    let [pd, m7] = compared(&mv.compared);
    let sentence = if mv.restrictions == 0 {
        fill(w.movement_none, &[&pd, &m7])
    } else {
        fill(
            w.movement_text,
            &[&mv.restrictions, &pd, &m7, &n(mv.minutes_lost)],
        )
    };
    let _ = write!(
        o,
        r#"<section id="movement"><h2>{}</h2><p>{}</p>"#,
        w.movement,
        esc(&sentence)
    );
    if !mv.items.is_empty() {
        let restricted = mv.items.iter().any(|i| i.patrol.is_some());
        let _ = write!(
            o,
            r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class="n">{}</th>{}</tr></thead><tbody>"#,
            w.time_utc,
            w.kind,
            w.party,
            w.place,
            w.duration,
            if restricted {
                format!("<th>{}</th>", w.patrol)
            } else {
                String::new()
            }
        );
        for i in &mv.items {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td>{}</tr>"#,
                esc(i.time.get(11..16).unwrap_or(&i.time)),
                esc(&i.kind),
                esc(&party_name(r, w, i.party.as_deref().unwrap_or("unknown"))),
                esc(&i.place),
                i.duration_min.map_or("—".into(), n),
                match &i.patrol {
                    Some(p) => format!("<td>{}</td>", esc(p)),
                    None if restricted => "<td>—</td>".into(),
                    None => String::new(),
                }
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Civilian casualties: totals for everyone, records only inside the mission.
    let c = &s.casualties;
    let (kp, km) = (c.killed_compared, c.injured_compared);
    let _ = write!(
        o,
        r#"<section id="casualties"><h2>{}</h2><p>{}</p>"#,
        w.casualties,
        esc(&fill(
            w.casualties_text,
            &[
                &c.killed,
                &c.injured,
                &n(kp.previous_day),
                &n(km.previous_day),
                &n(kp.seven_day_mean),
                &n(km.seven_day_mean)
            ]
        ))
    );
    for (head, by) in [(w.status, &c.by_status), (w.cause, &c.by_cause)] {
        if by.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            r#"<table><thead><tr><th>{head}</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
            w.killed, w.injured
        );
        for (k, p) in by {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                esc(k),
                p.killed,
                p.injured
            );
        }
        o.push_str("</tbody></table>");
    }
    match &c.items {
        Some(items) if !items.is_empty() => {
            harm_table(o, w, items, true);
        }
        Some(_) => {}
        None => {
            let _ = write!(o, r#"<p class="sub">{}</p>"#, w.casualties_public);
        }
    }
    o.push_str("</section>");

    // Damage.
    let d = &s.damage;
    let [pd, m7] = compared(&d.compared);
    let _ = write!(
        o,
        r#"<section id="damage"><h2>{}</h2><p>{}</p>"#,
        w.damage,
        esc(&fill(w.damage_text, &[&d.total, &pd, &m7]))
    );
    if !d.items.is_empty() {
        harm_table(o, w, &d.items, false);
    }
    o.push_str("</section>");

    // Hazards.
    let h = &s.hazards;
    let [pd, m7] = compared(&h.compared);
    let _ = write!(
        o,
        r#"<section id="hazards"><h2>{}</h2><p>{}</p>"#,
        w.hazards,
        esc(&fill(w.hazards_text, &[&h.total, &pd, &m7, &h.in_zones]))
    );
    if !h.items.is_empty() {
        let _ = write!(
            o,
            r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            w.time_utc, w.kind, w.place, w.marked, w.zones_broken
        );
        for i in &h.items {
            let what = match i.area_km2 {
                Some(km2) => format!("{} ({km2} km²)", i.hazard),
                None => i.hazard.clone(),
            };
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(i.time.get(11..16).unwrap_or(&i.time)),
                esc(&what),
                esc(&i.place),
                if i.marked { w.yes } else { w.no },
                esc(&i.violates.join(", "))
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Local ceasefire windows.
    let win = &s.windows;
    let [pd, m7] = compared(&win.compared);
    let _ = write!(
        o,
        r#"<section id="windows"><h2>{}</h2><p>{}</p>"#,
        w.windows,
        esc(&fill(
            w.windows_text,
            &[&win.agreed, &win.violations, &pd, &m7]
        ))
    );
    if !win.items.is_empty() {
        let _ = write!(
            o,
            r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            w.purpose, w.from_to, w.place, w.fire_inside
        );
        for i in &win.items {
            let fire: Vec<String> = i.incidents.iter().map(|k| format!("#{k}")).collect();
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td>{} – {}</td><td>{} ({} km²)</td><td>{}</td></tr>"#,
                esc(&i.purpose),
                esc(i.from.get(11..16).unwrap_or(&i.from)),
                esc(i.to.get(11..16).unwrap_or(&i.to)),
                esc(&i.place),
                i.area_km2,
                if fire.is_empty() {
                    "—".into()
                } else {
                    fire.join(", ")
                }
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");
}

fn harm_table(o: &mut String, w: &Words, items: &[crate::records::HarmLine], people: bool) {
    let _ = write!(
        o,
        r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th>{}<th>{}</th><th>{}</th></tr></thead><tbody>"#,
        w.time_utc,
        if people { w.status } else { w.object },
        w.cause,
        if people {
            format!(
                r#"<th class="n">{}</th><th class="n">{}</th>"#,
                w.killed, w.injured
            )
        } else {
            String::new()
        },
        w.place,
        w.linked
    );
    for i in items {
        let linked = match i.incident {
            Some(k) => format!("#{k}"),
            None => i.link.incident.clone().unwrap_or_else(|| "—".into()),
        };
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td title="{}">{}</td></tr>"#,
            esc(i.time.get(11..16).unwrap_or(&i.time)),
            esc(if people {
                i.status.as_deref().unwrap_or("")
            } else {
                &i.what
            }),
            esc(i.cause.as_deref().unwrap_or("—")),
            if people {
                format!(
                    r#"<td class="n">{}</td><td class="n">{}</td>"#,
                    i.killed, i.injured
                )
            } else {
                String::new()
            },
            esc(&i.place),
            esc(&i.link.basis),
            esc(&linked)
        );
    }
    o.push_str("</tbody></table>");
}
