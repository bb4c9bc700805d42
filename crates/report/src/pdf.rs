//! The report as PDF: A4 pages of headings, paragraphs and tables, in DejaVu Sans (embedded and
//! subset by `krilla`, so Ukrainian and Russian print as they read), with the page number and
//! the report's title at each foot. Written in two passes: a layout into pages of drawing
//! commands (text measured with `ttf-parser`, wrapped by words, tables fitted to the width and
//! their header repeated on each page), then the PDF. The map and the chart are the HTML
//! edition's own SVG, drawn as vectors by `krilla-svg` (their text in the same embedded font).
//! No creation date: the same report gives the same bytes.

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

use crate::Context;
use crate::content::Report;
use crate::doc::{Block, Sentences, Table, pct};
use crate::lang::{Lang, Words, fill};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const BOTTOM: f32 = PAGE_H - MARGIN - 18.0;
const BODY: f32 = 9.0;
const CELL: f32 = 7.2;
const PAD: f32 = 2.5;
/// A heading's height with the space about it (see [`Layout::heading`]).
const HEADING_H: f32 = 10.0 + 12.5 * 1.3 + 5.0;
/// Room kept under a picture for the first lines of its caption.
const CAPTION_H: f32 = 2.0 * BODY * 1.35;

/// Glyph advances of one face, for measuring text.
struct Metrics {
    face: ttf_parser::Face<'static>,
    per_em: f32,
}

impl Metrics {
    fn new(bytes: &'static [u8]) -> Metrics {
        let face = ttf_parser::Face::parse(bytes, 0).expect("the bundled font parses");
        let per_em = face.units_per_em() as f32;
        Metrics { face, per_em }
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        let units: u32 = s
            .chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .unwrap_or((self.per_em * 0.6) as u16) as u32
            })
            .sum();
        units as f32 * size / self.per_em
    }
}

/// How the pictures' SVG is read: its text (`sans-serif`) set in the bundled font. Made once:
/// loading the faces is the same work for every report.
static SVG_OPTIONS: LazyLock<usvg::Options<'static>> = LazyLock::new(|| {
    let mut o = usvg::Options {
        font_family: "DejaVu Sans".into(),
        ..Default::default()
    };
    let db = o.fontdb_mut();
    db.load_font_data(REGULAR.to_vec());
    db.load_font_data(BOLD.to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    o
});

static METRICS: LazyLock<(Metrics, Metrics)> =
    LazyLock::new(|| (Metrics::new(REGULAR), Metrics::new(BOLD)));

/// How wide `s` is set in the bundled face at `size`.
pub(crate) fn measure(s: &str, size: f32, bold: bool) -> f32 {
    let m = if bold { &METRICS.1 } else { &METRICS.0 };
    m.width(s, size)
}

/// `text` broken into lines no wider than `width` (a word wider than that is cut).
fn wrap(text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if measure(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word alone too wide: cut it where it must be.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if measure(&piece, size, bold) > width && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// One drawing command on a page.
enum Cmd {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        gray: u8,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
    Picture {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        tree: Box<usvg::Tree>,
    },
}

/// Pages being laid out.
struct Layout {
    pages: Vec<Vec<Cmd>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn page(&mut self) -> &mut Vec<Cmd> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `h` points, on a new page if this one is full.
    fn room(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, gray: u8, text: &str) {
        let y = self.y + size;
        self.page().push(Cmd::Text {
            x,
            y,
            size,
            bold,
            gray,
            text: text.to_string(),
        });
    }

    fn lines(&mut self, text: &str, size: f32, bold: bool, gray: u8, before: f32, after: f32) {
        let width = PAGE_W - 2.0 * MARGIN;
        let lines = wrap(text, size, bold, width);
        self.y += before;
        for l in lines {
            self.room(size * 1.35);
            self.text(MARGIN, size, bold, gray, &l);
            self.y += size * 1.35;
        }
        self.y += after;
    }

    fn heading(&mut self, text: &str) {
        // Keep a heading with at least a few lines after it.
        self.room(13.0 * 1.4 + 40.0);
        self.y += 10.0;
        self.text(MARGIN, 12.5, true, 0x1d, text);
        self.y += 12.5 * 1.3;
        let y = self.y;
        self.page().push(Cmd::Rect {
            x: MARGIN,
            y,
            w: PAGE_W - 2.0 * MARGIN,
            h: 1.2,
            gray: 0x5b,
        });
        self.y += 5.0;
    }

    fn table(&mut self, t: &Table) {
        let width = PAGE_W - 2.0 * MARGIN;
        let cols = t.head.len();
        if cols == 0 {
            return;
        }
        // Each column's natural width (capped), then scaled to the page.
        let natural: Vec<f32> = (0..cols)
            .map(|c| {
                let head = measure(&t.head[c], CELL, true);
                let body = t
                    .rows
                    .iter()
                    .map(|r| measure(&r[c], CELL, false))
                    .fold(0.0, f32::max);
                head.max(body).min(width * 0.45) + 2.0 * PAD
            })
            .collect();
        // No column narrower than its longest word (within reason): words are not cut.
        let longest = |s: &str, bold: bool| {
            s.split_whitespace()
                .map(|word| measure(word, CELL, bold))
                .fold(0.0, f32::max)
        };
        let least: Vec<f32> = (0..cols)
            .map(|c| {
                let body = t
                    .rows
                    .iter()
                    .map(|r| longest(&r[c], false))
                    .fold(0.0, f32::max);
                longest(&t.head[c], true).max(body).min(width * 0.25) + 2.0 * PAD
            })
            .collect();
        let total: f32 = natural.iter().sum();
        let widths: Vec<f32> = if total <= width {
            natural
        } else {
            // Narrow columns keep their width; wide ones share what is left.
            let fair = width / cols as f32;
            let narrow: f32 = natural.iter().filter(|w| **w <= fair).sum();
            let wide: f32 = natural.iter().filter(|w| **w > fair).sum();
            let left = (width - narrow).max(0.0);
            natural
                .iter()
                .zip(&least)
                .map(|(w, min)| {
                    if *w <= fair {
                        *w
                    } else {
                        (w * left / wide).max(*min)
                    }
                })
                .collect()
        };
        let line_h = CELL * 1.3;
        let cells = |row: &[String], bold: bool| -> Vec<Vec<String>> {
            row.iter()
                .zip(&widths)
                .map(|(c, w)| wrap(c, CELL, bold, (w - 2.0 * PAD).max(4.0)))
                .collect()
        };
        let head = cells(&t.head, true);
        let head_h = head.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * PAD;
        let draw_row = |l: &mut Layout, wrapped: &[Vec<String>], bold: bool, shade: Option<u8>| {
            let h = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * PAD;
            if let Some(gray) = shade {
                let y = l.y;
                l.page().push(Cmd::Rect {
                    x: MARGIN,
                    y,
                    w: widths.iter().sum(),
                    h,
                    gray,
                });
            }
            let mut x = MARGIN;
            for (c, lines) in wrapped.iter().enumerate() {
                for (k, line) in lines.iter().enumerate() {
                    let tw = measure(line, CELL, bold);
                    let tx = if t.numeric[c] {
                        x + widths[c] - PAD - tw
                    } else {
                        x + PAD
                    };
                    let y = l.y + PAD + k as f32 * line_h;
                    l.page().push(Cmd::Text {
                        x: tx,
                        y: y + CELL,
                        size: CELL,
                        bold,
                        gray: 0x1d,
                        text: line.clone(),
                    });
                }
                x += widths[c];
            }
            l.y += h;
            let y = l.y;
            l.page().push(Cmd::Rect {
                x: MARGIN,
                y,
                w: widths.iter().sum(),
                h: 0.4,
                gray: 0xc8,
            });
        };
        self.y += 3.0;
        self.room(head_h + line_h + 2.0 * PAD);
        draw_row(self, &head, true, Some(0xee));
        for row in &t.rows {
            let wrapped = cells(row, false);
            let h = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * PAD;
            if self.y + h > BOTTOM {
                self.new_page();
                draw_row(self, &head, true, Some(0xee));
            }
            draw_row(self, &wrapped, false, None);
        }
        self.y += 6.0;
    }

    /// A picture read and sized: the width of the text, narrower if it would not fit a page.
    fn picture(&self, svg: &str) -> Option<(usvg::Tree, f32, f32)> {
        match usvg::Tree::from_str(svg, &SVG_OPTIONS) {
            Ok(tree) => {
                let size = tree.size();
                let most_h = BOTTOM - MARGIN - 80.0;
                let w = (PAGE_W - 2.0 * MARGIN).min(most_h * size.width() / size.height());
                let h = w * size.height() / size.width();
                Some((tree, w, h))
            }
            // The report's own SVG: a picture that does not read is a bug the tests catch; the
            // caption still says what it would have shown.
            Err(e) => {
                debug_assert!(false, "the report's SVG reads: {e}");
                None
            }
        }
    }

    /// A picture, its caption under it (`room`: made already).
    fn figure(&mut self, picture: Option<(usvg::Tree, f32, f32)>, caption: &str) {
        if let Some((tree, w, h)) = picture {
            self.room(h + CAPTION_H);
            let y = self.y;
            self.page().push(Cmd::Picture {
                x: MARGIN,
                y,
                w,
                h,
                tree: Box::new(tree),
            });
            self.y += h + 4.0;
        }
        self.lines(caption, BODY - 1.0, false, 0x5f, 0.0, 6.0);
    }

    fn blocks(&mut self, blocks: &[Block]) {
        let mut k = 0;
        while k < blocks.len() {
            match (&blocks[k], blocks.get(k + 1)) {
                // A heading goes to the next page with its picture rather than stay alone.
                (Block::Heading { text, .. }, Some(Block::Figure { svg, caption, .. })) => {
                    let picture = self.picture(svg).map(|(tree, w, h)| {
                        // Drawn a little smaller rather than leave most of a page empty.
                        let left = BOTTOM - self.y - HEADING_H - CAPTION_H;
                        let k = if left < h && left >= 0.75 * h {
                            left / h
                        } else {
                            1.0
                        };
                        (tree, w * k, h * k)
                    });
                    let h = picture.as_ref().map_or(0.0, |p| p.2);
                    self.room(HEADING_H + h + CAPTION_H);
                    self.heading(text);
                    self.figure(picture, caption);
                    k += 1;
                }
                (Block::Heading { text, .. }, _) => self.heading(text),
                (Block::Para(t), _) => self.lines(t, BODY, false, 0x1d, 2.0, 4.0),
                (Block::Small(t), _) => self.lines(t, BODY - 1.0, false, 0x5f, 0.0, 4.0),
                (Block::Table(t), _) => self.table(t),
                (Block::Figure { svg, caption, .. }, _) => {
                    let picture = self.picture(svg);
                    self.figure(picture, caption);
                }
            }
            k += 1;
        }
    }
}

/// Most incidents the PDF lists one by one: a busy day's thousands belong in the data formats.
pub const PDF_MAX_INCIDENTS: usize = 300;

fn party<'a>(r: &'a Report, w: &'a Words, id: Option<&str>) -> String {
    match id {
        None => w.not_established.to_string(),
        Some(id) => crate::records_doc::party_name(r, w, id),
    }
}

/// Everything the PDF says, as blocks: the HTML edition's sections.
fn report_blocks(r: &Report, ctx: &Context, lang: Lang) -> Vec<Block> {
    let w = lang.words();
    let mut b = Vec::new();
    let s = &r.summary;
    let c = &r.coverage;
    b.push(Block::Heading {
        id: "summary",
        text: w.summary.into(),
    });
    let mut cards = Table::new(&[(w.summary, false), ("", true)]);
    cards.row(vec![
        fill(w.card_events, &[&s.violations]),
        s.violation_events.to_string(),
    ]);
    cards.row(vec![w.day_before.into(), s.previous_day.to_string()]);
    cards.row(vec![w.mean7.into(), format!("{:.1}", s.seven_day_mean)]);
    cards.row(vec![
        fill(w.card_covered, &[&pct(c.previous_day_line_share)]),
        pct(c.today.line_share),
    ]);
    b.push(Block::Table(cards));
    b.push(Block::Para(Sentences::summary(r, w)));
    b.extend(crate::doc::figures(r, ctx, lang));
    for (id, title, first, rows) in [
        ("by-region", w.by_region, w.region, &r.by_region),
        ("by-area", w.by_area, w.area, &r.by_area),
    ] {
        b.push(Block::Heading {
            id,
            text: title.into(),
        });
        let mut t = Table::new(&[
            (first, false),
            (w.violations, true),
            (w.events, true),
            (w.day_before, true),
            (w.mean7, true),
        ]);
        for row in rows {
            t.row(vec![
                lang.row_name(&row.name).to_string(),
                row.violations.to_string(),
                row.events.to_string(),
                row.previous_day.to_string(),
                format!("{:.1}", row.seven_day_mean),
            ]);
        }
        b.push(Block::Table(t));
    }
    b.push(Block::Heading {
        id: "by-kind",
        text: w.by_kind.into(),
    });
    let mut t = Table::new(&[
        (w.kind, false),
        (w.incidents, true),
        (w.events, true),
        (w.in_violation, true),
        (w.day_before, true),
        (w.mean7, true),
    ]);
    for k in &r.by_kind {
        t.row(vec![
            lang.kind(&k.kind, k.subtype.as_deref()),
            k.incidents.to_string(),
            k.events.to_string(),
            k.violation_events.to_string(),
            k.previous_day.to_string(),
            format!("{:.1}", k.seven_day_mean),
        ]);
    }
    b.push(Block::Table(t));
    b.push(Block::Heading {
        id: "weapons",
        text: w.weapons_heading.into(),
    });
    let mut t = Table::new(&[
        (w.class, false),
        (w.party, false),
        (w.sightings, true),
        (w.weapons, true),
    ]);
    for x in &r.weapons {
        t.row(vec![
            x.name.clone(),
            party(r, w, x.party.as_deref()),
            x.incidents.to_string(),
            x.weapons.to_string(),
        ]);
    }
    b.push(Block::Table(t));
    let at = &r.attribution;
    b.push(Block::Heading {
        id: "attribution",
        text: w.attribution.into(),
    });
    b.push(Block::Para(Sentences::attribution(r, w)));
    let mut t = Table::new(&[(w.basis, false), (w.violations, true)]);
    for (basis, n) in &at.bases {
        t.row(vec![lang.basis(basis), n.to_string()]);
    }
    b.push(Block::Table(t));
    b.extend(crate::records_doc::sections(r, ctx, lang));
    b.extend(crate::sea::blocks(r, ctx, lang));
    b.push(Block::Heading {
        id: "incidents",
        text: w.incidents.into(),
    });
    let mut t = Table::new(&[
        ("#", true),
        (w.time_utc, false),
        (w.kind, false),
        (w.count, true),
        (w.weapon, false),
        (w.place, false),
        (w.ellipse, false),
        (w.attribution, false),
        (w.violations, false),
    ]);
    for i in r.incidents.iter().take(PDF_MAX_INCIDENTS) {
        t.row(vec![
            i.number.to_string(),
            i.time.get(11..19).unwrap_or(&i.time).to_string(),
            lang.kind(&i.kind, i.subtype.as_deref()),
            i.count.to_string(),
            i.weapon.clone().unwrap_or_else(|| "—".into()),
            if lang == Lang::En {
                i.place.clone()
            } else {
                ctx.gazetteer
                    .describe_in(i.location[0], i.location[1], lang)
            },
            i.error_ellipse_m.map_or("—".into(), |e| lang.ellipse(e)),
            match &i.attribution {
                Some(p) => format!("{} ({:.0} %)", party(r, w, Some(p)), i.confidence * 100.0),
                None => w.not_attributed.into(),
            },
            lang.violations(&i.violations),
        ]);
    }
    if r.incidents.is_empty() {
        b.push(Block::Para(w.no_incidents.into()));
    } else {
        b.push(Block::Table(t));
        if r.incidents.len() > PDF_MAX_INCIDENTS {
            b.push(Block::Small(fill(
                w.incidents_cut,
                &[&PDF_MAX_INCIDENTS, &r.incidents.len()],
            )));
        }
    }
    b.push(Block::Heading {
        id: "reply",
        text: w.reply.into(),
    });
    b.push(Block::Para(Sentences::reply(r, ctx, w)));
    if r.replies.is_empty() {
        b.push(Block::Para(w.no_reply.into()));
    } else {
        let mut t = Table::new(&[
            ("#", true),
            (w.party, false),
            (w.deadline, false),
            (w.reply, false),
        ]);
        for row in &r.replies {
            let said = if row.replies.is_empty() {
                w.no_reply_by_deadline.to_string()
            } else {
                row.replies
                    .iter()
                    .map(|t| format!("{} ({}): {}", t.time, t.log_index, t.text))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            t.row(vec![
                row.number.to_string(),
                party(r, w, Some(&row.party)),
                row.deadline.clone(),
                said,
            ]);
        }
        b.push(Block::Table(t));
    }
    let bf = &r.built_from;
    b.push(Block::Heading {
        id: "check",
        text: w.check.into(),
    });
    let check = Sentences::check_html(r, w)
        .replace("<code>", "")
        .replace("</code>", "")
        .replace("&amp;", "&");
    b.push(Block::Para(check));
    if let Some(cp) = &bf.checkpoint {
        b.push(Block::Small(cp.clone()));
    }
    b.push(Block::Heading {
        id: "notes",
        text: w.notes.into(),
    });
    for n in &r.notes {
        b.push(Block::Small(format!("• {}", n.text(lang))));
    }
    // GeoNames' licence (CC BY 4.0) asks for its credit wherever its places are shown.
    b.push(Block::Small(w.map_data.into()));
    b
}

/// The report as PDF, in `lang`.
pub(crate) fn pdf(r: &Report, ctx: &Context, lang: Lang) -> Vec<u8> {
    let w = lang.words();
    let mut l = Layout::new();
    let title = Sentences::title(r, w);
    l.lines(&title, 17.0, true, 0x1d, 0.0, 2.0);
    let (day_line, edition) = Sentences::day_line(r, w);
    l.lines(
        &format!("{day_line} · {edition}"),
        BODY,
        false,
        0x5f,
        0.0,
        4.0,
    );
    if r.agreement.illustrative {
        l.lines(w.illustrative, BODY, true, 0x7a, 0.0, 4.0);
    }
    if let Some(text) = Sentences::in_progress(r, w) {
        l.lines(&text, BODY, true, 0x7a, 0.0, 4.0);
    }
    l.blocks(&report_blocks(r, ctx, lang));
    emit(l.pages, &title)
}

fn emit(pages: Vec<Vec<Cmd>>, title: &str) -> Vec<u8> {
    let regular = Font::new(REGULAR.into(), 0).expect("the bundled font loads");
    let bold = Font::new(BOLD.into(), 0).expect("the bundled font loads");
    let mut doc = Document::new();
    let count = pages.len();
    let fill_gray = |g: u8| Fill {
        paint: rgb::Color::new(g, g, g).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    };
    for (k, cmds) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(
            PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid page size"),
        );
        let mut surface = page.surface();
        for cmd in cmds {
            match cmd {
                Cmd::Rect { x, y, w, h, gray } => {
                    let mut p = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(x, y, w.max(0.1), h.max(0.1)) {
                        p.push_rect(rect);
                    }
                    if let Some(path) = p.finish() {
                        surface.set_fill(Some(fill_gray(gray)));
                        surface.draw_path(&path);
                    }
                }
                Cmd::Picture { x, y, w, h, tree } => {
                    surface.push_transform(&Transform::from_translate(x, y));
                    if let Some(size) = Size::from_wh(w, h) {
                        surface.draw_svg(&tree, size, SvgSettings::default());
                    }
                    surface.pop();
                }
                Cmd::Text {
                    x,
                    y,
                    size,
                    bold: b,
                    gray,
                    text,
                } => {
                    surface.set_fill(Some(fill_gray(gray)));
                    surface.draw_text(
                        Point::from_xy(x, y),
                        if b { bold.clone() } else { regular.clone() },
                        size,
                        &text,
                        false,
                        TextDirection::Auto,
                    );
                }
            }
        }
        let foot = format!("{title} · {}/{count}", k + 1);
        surface.set_fill(Some(fill_gray(0x5f)));
        surface.draw_text(
            Point::from_xy(MARGIN, PAGE_H - MARGIN + 6.0),
            regular.clone(),
            7.5,
            &foot,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    doc.finish().expect("the report's PDF is written")
}
