//! The records sections of the report as blocks (HTML and PDF draw the same), in the OSCE's
//! manner: a sentence with the day's figure, the day before and the 7-day mean, then a table.

use std::collections::BTreeMap;

use crate::content::Report;
use crate::doc::{Block, Table};
use crate::lang::{Lang, Words, fill};
use crate::records::{Compared, HarmLine};

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

fn hhmm(t: &str) -> String {
    t.get(11..16).unwrap_or(t).to_string()
}

/// A party's name from its id (`unknown` in the report's language).
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

fn by_party(r: &Report, w: &Words, cols: &[(&str, &BTreeMap<String, u64>)]) -> Block {
    let mut parties: Vec<&String> = cols.iter().flat_map(|(_, m)| m.keys()).collect();
    parties.sort();
    parties.dedup();
    let mut head = vec![(w.party, false)];
    head.extend(cols.iter().map(|(h, _)| (*h, true)));
    let mut t = Table::new(&head);
    for p in parties {
        let mut row = vec![party_name(r, w, p)];
        row.extend(
            cols.iter()
                .map(|(_, m)| m.get(p).copied().unwrap_or(0).to_string()),
        );
        t.row(row);
    }
    Block::Table(t)
}

/// A place in the report's language, from the location the line gives (already on the public
/// grid in the public edition).
fn place(ctx: &crate::Context, lang: Lang, at: [f64; 2]) -> String {
    ctx.gazetteer.describe_in(at[0], at[1], lang)
}

fn compared(c: &Compared) -> [String; 2] {
    [n(c.previous_day), n(c.seven_day_mean)]
}

fn harm_table(ctx: &crate::Context, lang: Lang, items: &[HarmLine], people: bool) -> Block {
    let w = lang.words();
    let code = |c: &str| lang.code(c);
    let mut cols = vec![
        (w.time_utc, false),
        (if people { w.status } else { w.object }, false),
        (w.cause, false),
    ];
    if people {
        cols.extend([(w.killed, true), (w.injured, true)]);
    }
    cols.extend([(w.place, false), (w.linked, false), (w.basis, false)]);
    let mut t = Table::new(&cols);
    for i in items {
        let mut row = vec![
            hhmm(&i.time),
            if people {
                code(i.status.as_deref().unwrap_or(""))
            } else {
                code(&i.what)
            },
            i.cause.as_deref().map_or("—".into(), code),
        ];
        if people {
            row.extend([i.killed.to_string(), i.injured.to_string()]);
        }
        let linked = match i.incident {
            Some(k) => format!("#{k}"),
            None => i.link.incident.clone().unwrap_or_else(|| "—".into()),
        };
        row.extend([place(ctx, lang, i.location), linked, lang.link(&i.link)]);
        t.row(row);
    }
    Block::Table(t)
}

/// The six sections on the mission's other records.
pub(crate) fn sections(r: &Report, ctx: &crate::Context, lang: Lang) -> Vec<Block> {
    let w = lang.words();
    let code = |c: &str| lang.code(c);
    let s = &r.records;
    let mut b = Vec::new();

    // Storage sites.
    let st = &s.storage;
    let [pd, m7] = compared(&st.missing_compared);
    b.push(Block::Heading {
        id: "storage",
        text: w.storage.into(),
    });
    b.push(Block::Para(fill(
        w.storage_text,
        &[
            &sum(&st.inspected),
            &sum(&st.missing),
            &pd,
            &m7,
            &sum(&st.denied),
            &sum(&st.overdue),
            &crate::records::INSPECTION_DUE_DAYS,
        ],
    )));
    b.push(by_party(
        r,
        w,
        &[
            (w.declared, &st.declared),
            (w.inspected, &st.inspected),
            (w.missing, &st.missing),
            (w.denied, &st.denied),
            (w.overdue, &st.overdue),
        ],
    ));
    if !st.inspections.is_empty() {
        let mut t = Table::new(&[
            (w.site, false),
            (w.party, false),
            (w.access, false),
            (w.declared, true),
            (w.present, true),
            (w.missing, false),
            (w.not_verified, true),
            (w.undeclared, false),
        ]);
        for i in &st.inspections {
            t.row(vec![
                i.site.clone(),
                party_name(r, w, i.party.as_deref().unwrap_or("unknown")),
                code(&i.access),
                i.declared.to_string(),
                i.present.to_string(),
                i.missing.join(", "),
                i.not_verified.to_string(),
                i.undeclared.join(", "),
            ]);
        }
        b.push(Block::Table(t));
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
        b.push(Block::Para(fill(w.traced, &[&list.join("; ")])));
    }

    // Freedom of movement.
    let mv = &s.movement;
    let [pd, m7] = compared(&mv.compared);
    b.push(Block::Heading {
        id: "movement",
        text: w.movement.into(),
    });
    b.push(Block::Para(if mv.restrictions == 0 {
        fill(w.movement_none, &[&pd, &m7])
    } else {
        fill(
            w.movement_text,
            &[&mv.restrictions, &pd, &m7, &n(mv.minutes_lost)],
        )
    }));
    if !mv.items.is_empty() {
        let by_kind: Vec<String> = mv
            .by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", code(k)))
            .collect();
        b.push(Block::Small(by_kind.join(" · ")));
        // The patrol is named only in the restricted edition.
        let restricted = mv.items.iter().any(|i| i.patrol.is_some());
        let mut cols = vec![
            (w.time_utc, false),
            (w.kind, false),
            (w.party, false),
            (w.place, false),
            (w.duration, true),
        ];
        if restricted {
            cols.push((w.patrol, false));
        }
        let mut t = Table::new(&cols);
        for i in &mv.items {
            let mut row = vec![
                hhmm(&i.time),
                code(&i.kind),
                party_name(r, w, i.party.as_deref().unwrap_or("unknown")),
                place(ctx, lang, i.location),
                i.duration_min.map_or("—".into(), n),
            ];
            if restricted {
                row.push(i.patrol.clone().unwrap_or_else(|| "—".into()));
            }
            t.row(row);
        }
        b.push(Block::Table(t));
    }

    // Civilian casualties: totals for everyone, records only inside the mission.
    let c = &s.casualties;
    let (kc, ic) = (c.killed_compared, c.injured_compared);
    b.push(Block::Heading {
        id: "casualties",
        text: w.casualties.into(),
    });
    b.push(Block::Para(fill(
        w.casualties_text,
        &[
            &c.killed,
            &c.injured,
            &n(kc.previous_day),
            &n(ic.previous_day),
            &n(kc.seven_day_mean),
            &n(ic.seven_day_mean),
        ],
    )));
    for (head, by) in [(w.status, &c.by_status), (w.cause, &c.by_cause)] {
        if by.is_empty() {
            continue;
        }
        let mut t = Table::new(&[(head, false), (w.killed, true), (w.injured, true)]);
        for (k, p) in by {
            t.row(vec![code(k), p.killed.to_string(), p.injured.to_string()]);
        }
        b.push(Block::Table(t));
    }
    match &c.items {
        Some(items) if !items.is_empty() => b.push(harm_table(ctx, lang, items, true)),
        Some(_) => {}
        None => b.push(Block::Small(w.casualties_public.into())),
    }

    // Damage.
    let d = &s.damage;
    let [pd, m7] = compared(&d.compared);
    b.push(Block::Heading {
        id: "damage",
        text: w.damage.into(),
    });
    b.push(Block::Para(fill(w.damage_text, &[&d.total, &pd, &m7])));
    if !d.items.is_empty() {
        b.push(harm_table(ctx, lang, &d.items, false));
    }

    // Hazards.
    let h = &s.hazards;
    let [pd, m7] = compared(&h.compared);
    b.push(Block::Heading {
        id: "hazards",
        text: w.hazards.into(),
    });
    b.push(Block::Para(fill(
        w.hazards_text,
        &[&h.total, &pd, &m7, &h.in_zones],
    )));
    if !h.items.is_empty() {
        let mut t = Table::new(&[
            (w.time_utc, false),
            (w.kind, false),
            (w.place, false),
            (w.marked, false),
            (w.zones_broken, false),
        ]);
        for i in &h.items {
            t.row(vec![
                hhmm(&i.time),
                match i.area_km2 {
                    Some(km2) => format!("{} ({})", code(&i.hazard), fill(w.area_km2, &[&km2])),
                    None => code(&i.hazard),
                },
                place(ctx, lang, i.location),
                (if i.marked { w.yes } else { w.no }).into(),
                i.violates.join(", "),
            ]);
        }
        b.push(Block::Table(t));
    }

    // Local ceasefire windows.
    let win = &s.windows;
    let [pd, m7] = compared(&win.compared);
    b.push(Block::Heading {
        id: "windows",
        text: w.windows.into(),
    });
    b.push(Block::Para(fill(
        w.windows_text,
        &[&win.agreed, &win.violations, &pd, &m7],
    )));
    if !win.items.is_empty() {
        let mut t = Table::new(&[
            (w.purpose, false),
            (w.from_to, false),
            (w.place, false),
            (w.fire_inside, false),
        ]);
        for i in &win.items {
            let fire: Vec<String> = i.incidents.iter().map(|k| format!("#{k}")).collect();
            t.row(vec![
                i.purpose.clone(),
                format!("{} – {}", hhmm(&i.from), hhmm(&i.to)),
                format!(
                    "{} ({})",
                    place(ctx, lang, i.location),
                    fill(w.area_km2, &[&i.area_km2])
                ),
                if fire.is_empty() {
                    "—".into()
                } else {
                    fire.join(", ")
                },
            ]);
        }
        b.push(Block::Table(t));
    }
    b
}
