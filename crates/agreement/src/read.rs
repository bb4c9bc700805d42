//! Reading the agreement's TOML by hand over a span-preserving parse, so that every missing,
//! unknown or mistyped key is reported with its line, all in one pass (serde stops at the first).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use crate::diagnostic::{Diagnostic, LineIndex, Location};
use crate::geojson::{self, Expect, PolygonPointers};
use crate::{
    Agreement, Files, LineOfContact, Party, RESERVED_WEAPON_IDS, WeaponClass, Zone, ZoneExtent,
    ZoneKind, ZoneRule,
};

/// Where geometry came from, kept so later checks can point into the GeoJSON files.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeometryPointers {
    pub areas: HashMap<String, (String, Vec<PolygonPointers>)>,
    pub line: (String, Vec<String>),
}

struct Ctx<'a> {
    file: &'a str,
    index: LineIndex<'a>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at(&self, span: Option<Range<usize>>) -> Location {
        let (line, column) = self.index.line_col(span.map_or(0, |s| s.start));
        Location::Text {
            file: self.file.to_string(),
            line,
            column,
        }
    }
    fn err(&mut self, span: Option<Range<usize>>, message: String) {
        let location = self.at(span);
        self.diags.push(Diagnostic { location, message });
    }
}

/// A table being read: remembers which keys were used so the rest can be reported as unknown.
struct Table<'t> {
    t: &'t dyn TableLike,
    span: Option<Range<usize>>,
    /// How the table is named in messages, e.g. "[[parties]] #2".
    name: String,
    allowed: &'static [&'static str],
}

impl<'t> Table<'t> {
    fn item(&self, key: &str) -> Option<(&'t Item, Option<Range<usize>>)> {
        debug_assert!(self.allowed.contains(&key), "{key} not declared");
        self.t
            .get_key_value(key)
            .map(|(k, v)| (v, v.span().or(k.span())))
    }

    fn missing(&self, cx: &mut Ctx, key: &str, what: &str) {
        cx.err(
            self.span.clone(),
            format!("{} is missing \"{key}\"; expected {what}", self.name),
        );
    }

    fn str(
        &self,
        cx: &mut Ctx,
        key: &str,
        required: bool,
    ) -> Option<(String, Option<Range<usize>>)> {
        match self.item(key) {
            None => {
                if required {
                    self.missing(cx, key, "a string");
                }
                None
            }
            Some((item, span)) => match item.as_str() {
                Some(s) if s.trim().is_empty() => {
                    cx.err(
                        span,
                        format!("\"{key}\" is empty; expected a non-empty string"),
                    );
                    None
                }
                Some(s) if s.len() > 1000 => {
                    cx.err(
                        span,
                        format!("\"{key}\" is {} bytes long; expected at most 1000", s.len()),
                    );
                    None
                }
                Some(s) => Some((s.to_string(), span)),
                None => {
                    cx.err(
                        span,
                        format!("\"{key}\" is {}; expected a string", type_name(item)),
                    );
                    None
                }
            },
        }
    }

    fn id(&self, cx: &mut Ctx, key: &str) -> Option<(String, Option<Range<usize>>)> {
        let (s, span) = self.str(cx, key, true)?;
        let ok = s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            && s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if !ok {
            cx.err(span, format!("\"{key}\" = \"{s}\" is not a valid id; expected 1 to 64 lowercase letters, digits, '_' or '-', starting with a letter"));
            return None;
        }
        Some((s, span))
    }

    /// A positive number of kilometres (integers are accepted).
    fn km(&self, cx: &mut Ctx, key: &str, required: bool) -> Option<f64> {
        let Some((item, span)) = self.item(key) else {
            if required {
                self.missing(cx, key, "a positive distance in kilometres");
            }
            return None;
        };
        let v = item
            .as_float()
            .or_else(|| item.as_integer().map(|i| i as f64));
        match v {
            None => {
                cx.err(
                    span,
                    format!(
                        "\"{key}\" is {}; expected a positive number of kilometres",
                        type_name(item)
                    ),
                );
                None
            }
            Some(v) if !(v.is_finite() && v > 0.0) => {
                cx.err(span, format!("\"{key}\" = {v} is not positive; expected a distance in kilometres greater than 0"));
                None
            }
            Some(v) if v > 1000.0 => {
                cx.err(
                    span,
                    format!("\"{key}\" = {v} km is implausibly large; expected at most 1000 km"),
                );
                None
            }
            Some(v) => Some(v),
        }
    }

    fn bool(&self, cx: &mut Ctx, key: &str) -> Option<bool> {
        let (item, span) = self.item(key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                cx.err(
                    span,
                    format!("\"{key}\" is {}; expected true or false", type_name(item)),
                );
                None
            }
        }
    }

    fn finish(&self, cx: &mut Ctx) {
        for (key, _) in self.t.iter() {
            if !self.allowed.contains(&key) {
                let span = self.t.get_key_value(key).and_then(|(k, _)| k.span());
                let hint = closest(key, self.allowed)
                    .map(|s| format!("did you mean \"{s}\"? "))
                    .unwrap_or_default();
                cx.err(
                    span,
                    format!(
                        "unknown key \"{key}\" in {}; {hint}expected one of: {}",
                        self.name,
                        self.allowed.join(", ")
                    ),
                );
            }
        }
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::InlineTable(_) => "an inline table",
        },
    }
}

/// The allowed key nearest to a misspelt one, when it is near enough to be a likely typo.
fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    fn lev(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    }
    allowed
        .iter()
        .map(|a| (lev(key, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min()
        .map(|(_, a)| a)
}

/// The tables of an array of tables (`[[parties]]`) or an inline array of tables.
/// A table of an array, with where it starts.
type Spanned<'t> = (&'t dyn TableLike, Option<Range<usize>>);

fn tables(item: &Item) -> Option<Vec<Spanned<'_>>> {
    match item {
        Item::ArrayOfTables(a) => Some(a.iter().map(|t| (t as &dyn TableLike, t.span())).collect()),
        Item::Value(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_inline_table().map(|t| (t as &dyn TableLike, v.span())))
            .collect(),
        _ => None,
    }
}

const TOP: &[&str] = &[
    "id",
    "title",
    "effective_from",
    "illustrative",
    "notice",
    "parties",
    "line_of_contact",
    "weapon_classes",
    "zones",
];
const PARTY: &[&str] = &["id", "name", "area"];
const LINE: &[&str] = &["between", "geometry"];
const WEAPON: &[&str] = &["id", "name", "withdrawal_km", "range_km", "description"];
const ZONE: &[&str] = &["id", "name", "kind", "rule", "width_km", "area"];

pub(crate) fn read(
    file: &str,
    text: &str,
    files: &dyn Files,
    diags: &mut Vec<Diagnostic>,
) -> (Option<Agreement>, GeometryPointers) {
    let mut cx = Ctx {
        file,
        index: LineIndex::new(text),
        diags,
    };
    let doc = match Document::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.message().trim().replace('\n', " ");
            cx.err(e.span(), format!("not valid TOML: {msg}"));
            return (None, GeometryPointers::default());
        }
    };
    let top = Table {
        t: doc.as_table(),
        span: Some(0..0),
        name: "the agreement".into(),
        allowed: TOP,
    };
    top.finish(&mut cx);
    let id = top.id(&mut cx, "id");
    let title = top.str(&mut cx, "title", true);
    let effective_from = match top.item("effective_from") {
        None => {
            top.missing(
                &mut cx,
                "effective_from",
                "an RFC 3339 time such as 2015-02-14T22:00:00Z",
            );
            None
        }
        Some((item, span)) => {
            // TOML's own date-time type and a quoted string are both natural to write.
            let raw = match item {
                Item::Value(Value::Datetime(d)) => Some(d.value().to_string()),
                other => other.as_str().map(str::to_string),
            };
            match raw.as_deref().map(str::parse::<jiff::Timestamp>) {
                Some(Ok(t)) => Some(t),
                _ => {
                    cx.err(span, format!("\"effective_from\" = {} is not a time with an offset; expected RFC 3339 such as 2015-02-14T22:00:00Z", item.to_string().trim()));
                    None
                }
            }
        }
    };
    let illustrative = top.bool(&mut cx, "illustrative").unwrap_or(false);
    let notice = top.str(&mut cx, "notice", false).map(|s| s.0);

    let mut ptrs = GeometryPointers::default();

    // Parties.
    let mut parties = Vec::new();
    let mut party_ids: HashSet<String> = HashSet::new();
    let mut parties_ok = true;
    // Whether party ids could be read at all, so references to them can be checked even when a
    // party's geometry is broken.
    let mut party_ids_known = false;
    match top.item("parties") {
        None => {
            top.missing(&mut cx, "parties", "two or more [[parties]] tables");
            parties_ok = false;
        }
        Some((item, span)) => match tables(item) {
            None => {
                cx.err(
                    span,
                    format!(
                        "\"parties\" is {}; expected [[parties]] tables",
                        type_name(item)
                    ),
                );
                parties_ok = false;
            }
            Some(ts) => {
                party_ids_known = true;
                if ts.len() < 2 {
                    cx.err(
                        span,
                        format!(
                            "the agreement names {} party; expected at least two [[parties]]",
                            ts.len()
                        ),
                    );
                }
                for (i, (t, tspan)) in ts.into_iter().enumerate() {
                    let tb = Table {
                        t,
                        span: tspan,
                        name: format!("[[parties]] #{}", i + 1),
                        allowed: PARTY,
                    };
                    tb.finish(&mut cx);
                    let pid = tb.id(&mut cx, "id");
                    let name = tb.str(&mut cx, "name", true);
                    let area = tb.str(&mut cx, "area", true);
                    if let Some((pid, s)) = &pid
                        && !party_ids.insert(pid.clone())
                    {
                        cx.err(s.clone(), format!("party id \"{pid}\" is used twice; expected each party to have its own id"));
                    }
                    let geom = area
                        .as_ref()
                        .and_then(|(path, s)| areal(&mut cx, files, path, s.clone()));
                    match (pid, name, area, geom) {
                        (Some((id, _)), Some((name, _)), Some((path, _)), Some((mp, pp))) => {
                            ptrs.areas
                                .insert(id.clone(), (files.display_name(&path), pp));
                            parties.push(Party {
                                id,
                                name,
                                area: mp,
                                area_file: path,
                            });
                        }
                        _ => parties_ok = false,
                    }
                }
            }
        },
    }

    // The line of contact.
    let mut line = None;
    match top.item("line_of_contact") {
        None => top.missing(
            &mut cx,
            "line_of_contact",
            "a [line_of_contact] table with \"between\" and \"geometry\"",
        ),
        Some((item, span)) => match item.as_table_like() {
            None => cx.err(
                span,
                format!(
                    "\"line_of_contact\" is {}; expected a [line_of_contact] table",
                    type_name(item)
                ),
            ),
            Some(t) => {
                let tb = Table {
                    t,
                    span,
                    name: "[line_of_contact]".into(),
                    allowed: LINE,
                };
                tb.finish(&mut cx);
                let between = match tb.item("between") {
                    None => {
                        tb.missing(
                            &mut cx,
                            "between",
                            "the ids of the two parties the line separates",
                        );
                        None
                    }
                    Some((item, span)) => {
                        let ids: Option<Vec<&str>> = item
                            .as_array()
                            .and_then(|a| a.iter().map(|v| v.as_str()).collect());
                        match ids.as_deref() {
                            Some([a, b]) if a != b => {
                                let mut ok = true;
                                for p in [a, b] {
                                    if party_ids_known && !party_ids.contains(*p) {
                                        let mut known: Vec<_> =
                                            party_ids.iter().map(String::as_str).collect();
                                        known.sort();
                                        cx.err(span.clone(), format!("\"between\" names unknown party \"{p}\"; expected one of: {}", known.join(", ")));
                                        ok = false;
                                    }
                                }
                                ok.then(|| [a.to_string(), b.to_string()])
                            }
                            _ => {
                                cx.err(span, "\"between\" must name two different parties; expected [\"party-a\", \"party-b\"]".into());
                                None
                            }
                        }
                    }
                };
                let geometry = tb.str(&mut cx, "geometry", true).and_then(|(path, s)| {
                    let text = read_file(&mut cx, files, &path, s)?;
                    let shown = files.display_name(&path);
                    let mut r = geojson::Reader::new(&shown, cx.diags);
                    match r.read(&text, Expect::Linear)? {
                        geojson::Read::Linear(ml, lp) => {
                            ptrs.line = (shown.clone(), lp);
                            Some((ml, path))
                        }
                        geojson::Read::Areal(..) => None,
                    }
                });
                if let (Some(between), Some((geometry, geometry_file))) = (between, geometry) {
                    line = Some(LineOfContact {
                        between,
                        geometry,
                        geometry_file,
                    });
                }
            }
        },
    }

    // Weapon classes.
    let mut weapons = Vec::new();
    let mut weapons_ok = true;
    if let Some((item, span)) = top.item("weapon_classes") {
        match tables(item) {
            None => {
                cx.err(
                    span,
                    format!(
                        "\"weapon_classes\" is {}; expected [[weapon_classes]] tables",
                        type_name(item)
                    ),
                );
                weapons_ok = false;
            }
            Some(ts) => {
                let mut seen = HashSet::new();
                for (i, (t, tspan)) in ts.into_iter().enumerate() {
                    let tb = Table {
                        t,
                        span: tspan,
                        name: format!("[[weapon_classes]] #{}", i + 1),
                        allowed: WEAPON,
                    };
                    tb.finish(&mut cx);
                    let wid = tb.id(&mut cx, "id");
                    if let Some((w, s)) = &wid {
                        if RESERVED_WEAPON_IDS.contains(&w.as_str()) {
                            cx.err(s.clone(), format!("weapon class id \"{w}\" is reserved for observations; choose another id"));
                        } else if !seen.insert(w.clone()) {
                            cx.err(s.clone(), format!("weapon class id \"{w}\" is used twice; expected each class to have its own id"));
                        }
                    }
                    let name = tb.str(&mut cx, "name", true);
                    let withdrawal_km = tb.km(&mut cx, "withdrawal_km", true);
                    let range_present = tb.item("range_km").is_some();
                    let range_km = tb.km(&mut cx, "range_km", false);
                    let description = tb.str(&mut cx, "description", false).map(|s| s.0);
                    match (wid, name, withdrawal_km) {
                        (Some((id, _)), Some((name, _)), Some(withdrawal_km))
                            if range_present == range_km.is_some() =>
                        {
                            weapons.push(WeaponClass {
                                id,
                                name,
                                withdrawal_km,
                                range_km,
                                description,
                            })
                        }
                        _ => weapons_ok = false,
                    }
                }
            }
        }
    }

    // Zones.
    let mut zones = Vec::new();
    let mut zones_ok = true;
    if let Some((item, span)) = top.item("zones") {
        match tables(item) {
            None => {
                cx.err(
                    span,
                    format!(
                        "\"zones\" is {}; expected [[zones]] tables",
                        type_name(item)
                    ),
                );
                zones_ok = false;
            }
            Some(ts) => {
                let mut seen = HashSet::new();
                for (i, (t, tspan)) in ts.into_iter().enumerate() {
                    let tb = Table {
                        t,
                        span: tspan,
                        name: format!("[[zones]] #{}", i + 1),
                        allowed: ZONE,
                    };
                    tb.finish(&mut cx);
                    let zid = tb.id(&mut cx, "id");
                    if let Some((z, s)) = &zid
                        && !seen.insert(z.clone())
                    {
                        cx.err(s.clone(), format!("zone id \"{z}\" is used twice; expected each zone to have its own id"));
                    }
                    let name = tb.str(&mut cx, "name", true);
                    let kind = tb.str(&mut cx, "kind", true).and_then(|(k, s)| match k.as_str() {
                        "buffer" => Some(ZoneKind::Buffer),
                        "disengagement" => Some(ZoneKind::Disengagement),
                        other => {
                            cx.err(s, format!("unknown zone kind \"{other}\"; expected \"buffer\" (a band each side of the line, with width_km) or \"disengagement\" (a drawn area)"));
                            None
                        }
                    });
                    let rule = tb.str(&mut cx, "rule", true).and_then(|(r, s)| {
                        let found = ZoneRule::ALL.into_iter().find(|z| z.as_str() == r);
                        if found.is_none() {
                            let all: Vec<_> = ZoneRule::ALL.iter().map(|z| z.as_str()).collect();
                            cx.err(
                                s,
                                format!(
                                    "unknown zone rule \"{r}\"; expected one of: {}",
                                    all.join(", ")
                                ),
                            );
                        }
                        found
                    });
                    let extent = match kind {
                        Some(ZoneKind::Buffer) => {
                            if let Some((_, s)) = tb.item("area") {
                                cx.err(s, "a buffer zone is a band along the line and takes no \"area\"; give \"width_km\" only".into());
                            }
                            tb.km(&mut cx, "width_km", true)
                                .map(|width_km| ZoneExtent::Band { width_km })
                        }
                        Some(ZoneKind::Disengagement) => {
                            if let Some((_, s)) = tb.item("width_km") {
                                cx.err(s, "a disengagement area is drawn and takes no \"width_km\"; give \"area\" only".into());
                            }
                            tb.str(&mut cx, "area", true).and_then(|(path, s)| {
                                areal(&mut cx, files, &path, s).map(|(area, pp)| {
                                    if let Some((zid, _)) = &zid {
                                        ptrs.areas.insert(
                                            format!("zone:{zid}"),
                                            (files.display_name(&path), pp),
                                        );
                                    }
                                    ZoneExtent::Area { area, file: path }
                                })
                            })
                        }
                        None => None,
                    };
                    match (zid, name, kind, rule, extent) {
                        (Some((id, _)), Some((name, _)), Some(kind), Some(rule), Some(extent)) => {
                            zones.push(Zone {
                                id,
                                name,
                                kind,
                                rule,
                                extent,
                            })
                        }
                        _ => zones_ok = false,
                    }
                }
            }
        }
    }

    let agreement = match (id, title, effective_from, line) {
        (Some((id, _)), Some((title, _)), Some(effective_from), Some(line_of_contact))
            if parties_ok && weapons_ok && zones_ok =>
        {
            Some(Agreement {
                id,
                title,
                effective_from,
                illustrative,
                notice,
                parties,
                line_of_contact,
                weapon_classes: weapons,
                zones,
            })
        }
        _ => None,
    };
    (agreement, ptrs)
}

fn read_file(
    cx: &mut Ctx,
    files: &dyn Files,
    path: &str,
    span: Option<Range<usize>>,
) -> Option<String> {
    match files.read(path) {
        Ok(t) => Some(t),
        Err(why) => {
            cx.err(span, format!("cannot read geometry file \"{path}\": {why}; expected a GeoJSON file, relative to the agreement file"));
            None
        }
    }
}

fn areal(
    cx: &mut Ctx,
    files: &dyn Files,
    path: &str,
    span: Option<Range<usize>>,
) -> Option<(geo::MultiPolygon<f64>, Vec<PolygonPointers>)> {
    let text = read_file(cx, files, path, span)?;
    let shown = files.display_name(path);
    let mut r = geojson::Reader::new(&shown, cx.diags);
    match r.read(&text, Expect::Areal)? {
        geojson::Read::Areal(mp, pp) => Some((mp, pp)),
        geojson::Read::Linear(..) => None,
    }
}
