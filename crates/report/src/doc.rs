//! A report as plain blocks — headings, paragraphs, tables — for the parts written the same
//! way in HTML and in PDF: the builder decides what is said once, each format only draws it.

use std::fmt::Write;

use crate::content::Report;
use crate::lang::{Lang, Words, fill};
use crate::svg::esc;
use crate::{Audience, Context};

/// A share as a whole percentage.
pub fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// The sentences every written edition says the same way, in `w`'s language: one place for the
/// figures each one names, whatever draws it.
pub struct Sentences;

impl Sentences {
    pub fn title(r: &Report, w: &Words) -> String {
        fill(w.title, &[&r.mission_day.date])
    }

    /// The agreement and the mission day, then the edition.
    pub fn day_line(r: &Report, w: &Words) -> (String, &'static str) {
        let d = &r.mission_day;
        let line = fill(
            w.day_line,
            &[&r.agreement.title, &d.from, &d.to, &d.timezone, &d.day_ends],
        );
        let edition = match r.audience {
            Audience::Public => w.public_edition,
            Audience::Restricted => w.restricted_edition,
        };
        (line, edition)
    }

    /// What the map shows: ellipses, and where incidents are dense, how many instead.
    pub fn map_caption(r: &Report, drawn: &crate::svg::Drawn, w: &Words) -> String {
        let mut caption = w.map_caption.to_string();
        if drawn.dense_cells > 0 {
            caption.push(' ');
            caption.push_str(&fill(
                w.map_density,
                &[
                    &drawn.as_density,
                    &drawn.dense_cells,
                    &crate::svg::DENSE,
                    &format!("{:.1}", drawn.cell_km),
                    &drawn.as_ellipses,
                    &drawn.long_unbounded,
                    &(crate::svg::LONG_M / 1000.0),
                ],
            ));
        }
        if r.audience == Audience::Public {
            caption.push_str(w.map_public);
        }
        caption
    }

    pub fn in_progress(r: &Report, w: &Words) -> Option<String> {
        let d = &r.mission_day;
        d.in_progress_as_of.as_ref().map(|as_of| {
            fill(
                w.in_progress,
                &[&format!("{:.1}", d.hours_covered), as_of, &d.to],
            )
        })
    }

    pub fn summary(r: &Report, w: &Words) -> String {
        let (s, c) = (&r.summary, &r.coverage);
        fill(
            w.summary_text,
            &[
                &s.incidents,
                &s.violations,
                &s.single_observation,
                &c.today.observers_active,
                &c.today.observer_hours,
                &pct(c.today.line_share),
                &format!("{:.0}", c.today.line_km),
                &pct(c.today.line_share_any_hour),
            ],
        )
    }

    pub fn attribution(r: &Report, w: &Words) -> String {
        let at = &r.attribution;
        fill(w.attribution_text, &[&at.attributed, &at.unattributed])
    }

    pub fn reply(r: &Report, ctx: &Context, w: &Words) -> String {
        fill(
            w.reply_text,
            &[&ctx.reply_window.as_hours(), &r.replies_awaited],
        )
    }

    /// How to check the report, with its `<code>` marks (the root hash is base64: nothing in it
    /// needs escaping).
    pub fn check_html(r: &Report, w: &Words) -> String {
        let b = &r.built_from;
        fill(
            w.check_text,
            &[
                &b.log_size,
                &esc(&b.root_hash),
                &b.fused_observations,
                &b.observations,
                &b.log_size,
            ],
        )
    }
}

/// One block of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading, with the id its HTML carries.
    Heading {
        id: &'static str,
        text: String,
    },
    Para(String),
    /// A quieter paragraph (a caption, a note under a table).
    Small(String),
    Table(Table),
    /// A picture (self-contained SVG) with its caption, and the id its HTML carries.
    Figure {
        id: &'static str,
        svg: String,
        caption: String,
    },
}

/// The day's map and the thirty days' chart, each under its heading.
pub fn figures(r: &Report, ctx: &Context, lang: Lang) -> Vec<Block> {
    let w = lang.words();
    let (map, drawn) = crate::svg::map(r, ctx, lang);
    vec![
        Block::Heading {
            id: "map-heading",
            text: w.map.into(),
        },
        Block::Figure {
            id: "map",
            svg: map,
            caption: Sentences::map_caption(r, &drawn, w),
        },
        Block::Heading {
            id: "chart-heading",
            text: w.thirty_days.into(),
        },
        Block::Figure {
            id: "chart",
            svg: crate::svg::chart(r, lang),
            caption: w.chart_caption.into(),
        },
    ]
}

/// A table: its header, which columns hold numbers (set right), and its rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub head: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table whose columns are named by `(title, numeric)`.
    pub fn new(cols: &[(&str, bool)]) -> Table {
        Table {
            head: cols.iter().map(|c| c.0.to_string()).collect(),
            numeric: cols.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.head.len(), "a row has a cell a column");
        self.rows.push(cells);
    }
}

/// The blocks as HTML (text escaped).
pub fn html(out: &mut String, blocks: &[Block]) {
    for b in blocks {
        match b {
            Block::Heading { id, text } => {
                let _ = write!(out, r#"<h2 id="{id}">{}</h2>"#, esc(text));
            }
            Block::Para(t) => {
                let _ = write!(out, "<p>{}</p>", esc(t));
            }
            Block::Small(t) => {
                let _ = write!(out, r#"<p class="sub">{}</p>"#, esc(t));
            }
            Block::Figure { id, svg, caption } => {
                let _ = write!(
                    out,
                    r#"<figure id="{id}">{svg}<figcaption>{}</figcaption></figure>"#,
                    esc(caption)
                );
            }
            Block::Table(t) => {
                out.push_str("<table><thead><tr>");
                for (h, n) in t.head.iter().zip(&t.numeric) {
                    let class = if *n { r#" class="n""# } else { "" };
                    let _ = write!(out, "<th{class}>{}</th>", esc(h));
                }
                out.push_str("</tr></thead><tbody>");
                for row in &t.rows {
                    out.push_str("<tr>");
                    for (c, n) in row.iter().zip(&t.numeric) {
                        let class = if *n { r#" class="n""# } else { "" };
                        let _ = write!(out, "<td{class}>{}</td>", esc(c));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>");
            }
        }
    }
}
