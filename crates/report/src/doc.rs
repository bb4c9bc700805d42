//! A report as plain blocks — headings, paragraphs, tables — for the parts written the same
//! way in HTML and in PDF: the builder decides what is said once, each format only draws it.

use std::fmt::Write;

use crate::svg::esc;

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
