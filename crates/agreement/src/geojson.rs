//! Reading the agreement's geometry from GeoJSON (RFC 7946), with every problem located by JSON
//! pointer.
//!
//! A file may hold a bare geometry, a Feature, or a FeatureCollection whose features' geometries
//! are combined. Positions are `[lon, lat]` (an altitude is allowed and ignored).

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location};

/// What a geometry file must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Areal,
    Linear,
}

/// Geometry read from one file, with the pointer of each ring or line for later messages.
#[derive(Debug, Clone)]
pub(crate) enum Read {
    Areal(MultiPolygon<f64>, Vec<PolygonPointers>),
    Linear(MultiLineString<f64>, Vec<String>),
}

/// JSON pointers of a polygon's rings (exterior first), pointing at their coordinate arrays.
#[derive(Debug, Clone)]
pub(crate) struct PolygonPointers {
    pub exterior: String,
    pub interiors: Vec<String>,
}

pub(crate) struct Reader<'a> {
    file: &'a str,
    diags: &'a mut Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(file: &'a str, diags: &'a mut Vec<Diagnostic>) -> Self {
        Reader { file, diags }
    }

    fn err(&mut self, pointer: &str, message: String) {
        self.diags.push(Diagnostic {
            location: Location::Json {
                file: self.file.to_string(),
                pointer: pointer.to_string(),
            },
            message,
        });
    }

    /// Parses `text`; `None` when nothing usable could be read (the problems are recorded).
    pub(crate) fn read(&mut self, text: &str, expect: Expect) -> Option<Read> {
        // Strict first (a key given twice is refused at its place); serde_json again only to
        // say where a text that is not JSON at all goes wrong.
        let strict = truceline_json::from_slice(text.as_bytes());
        let doc: Value = match strict.map_err(|s| (s, serde_json::from_str::<Value>(text))) {
            Ok(v) => v,
            Err((s, _)) if !s.pointer.is_empty() => {
                self.err(&s.pointer, s.message);
                return None;
            }
            Err((s, Ok(_))) => {
                self.err("", s.message);
                return None;
            }
            Err((_, Err(e))) => {
                self.diags.push(Diagnostic {
                    location: Location::Text {
                        file: self.file.to_string(),
                        line: e.line(),
                        column: e.column(),
                    },
                    message: format!("not valid JSON: {e}; expected a GeoJSON object (RFC 7946)"),
                });
                return None;
            }
        };
        let before = self.diags.len();
        let mut geoms = Vec::new();
        self.collect(&doc, "", &mut geoms);
        if self.diags.len() > before {
            return None;
        }
        if geoms.is_empty() {
            self.err("", "holds no geometry; expected a Polygon, MultiPolygon, LineString or MultiLineString".into());
            return None;
        }
        let wanted = match expect {
            Expect::Areal => "a Polygon or MultiPolygon",
            Expect::Linear => "a LineString or MultiLineString",
        };
        let mut polys = Vec::new();
        let mut poly_ptrs = Vec::new();
        let mut lines = Vec::new();
        let mut line_ptrs = Vec::new();
        for (ptr, g) in geoms {
            let ty = g.get("type").and_then(Value::as_str).unwrap_or("");
            let coords_ptr = format!("{ptr}/coordinates");
            let Some(coords) = g.get("coordinates") else {
                self.err(&ptr, format!("the {ty} has no \"coordinates\" member"));
                continue;
            };
            match (expect, ty) {
                (Expect::Areal, "Polygon") => {
                    if let Some((p, pp)) = self.polygon(coords, &coords_ptr) {
                        polys.push(p);
                        poly_ptrs.push(pp);
                    }
                }
                (Expect::Areal, "MultiPolygon") => {
                    let Some(arr) = self.array(coords, &coords_ptr, "an array of polygons") else {
                        continue;
                    };
                    for (i, c) in arr.iter().enumerate() {
                        if let Some((p, pp)) = self.polygon(c, &format!("{coords_ptr}/{i}")) {
                            polys.push(p);
                            poly_ptrs.push(pp);
                        }
                    }
                }
                (Expect::Linear, "LineString") => {
                    if let Some(l) = self.line(coords, &coords_ptr, 2) {
                        lines.push(l);
                        line_ptrs.push(coords_ptr);
                    }
                }
                (Expect::Linear, "MultiLineString") => {
                    let Some(arr) = self.array(coords, &coords_ptr, "an array of line strings")
                    else {
                        continue;
                    };
                    for (i, c) in arr.iter().enumerate() {
                        let p = format!("{coords_ptr}/{i}");
                        if let Some(l) = self.line(c, &p, 2) {
                            lines.push(l);
                            line_ptrs.push(p);
                        }
                    }
                }
                (_, other) => {
                    self.err(
                        &format!("{ptr}/type"),
                        format!("geometry type \"{other}\" is not allowed here; expected {wanted}"),
                    );
                }
            }
        }
        if self.diags.len() > before {
            return None;
        }
        match expect {
            Expect::Areal => Some(Read::Areal(MultiPolygon(polys), poly_ptrs)),
            Expect::Linear => Some(Read::Linear(MultiLineString(lines), line_ptrs)),
        }
    }

    /// Finds the geometries in a GeoJSON object, with their pointers.
    fn collect<'v>(&mut self, v: &'v Value, ptr: &str, out: &mut Vec<(String, &'v Value)>) {
        let Some(obj) = v.as_object() else {
            self.err(ptr, format!("expected a GeoJSON object, found {}", kind(v)));
            return;
        };
        let Some(ty) = obj.get("type").and_then(Value::as_str) else {
            self.err(
                ptr,
                "missing \"type\"; expected \"FeatureCollection\", \"Feature\" or a geometry type"
                    .into(),
            );
            return;
        };
        match ty {
            "FeatureCollection" => {
                let p = format!("{ptr}/features");
                let Some(features) = obj.get("features").and_then(Value::as_array) else {
                    self.err(&p, "expected an array of Features".into());
                    return;
                };
                for (i, f) in features.iter().enumerate() {
                    let fp = format!("{p}/{i}");
                    if f.get("type").and_then(Value::as_str) != Some("Feature") {
                        self.err(&format!("{fp}/type"), "expected \"Feature\"".into());
                        continue;
                    }
                    self.collect(f, &fp, out);
                }
            }
            "Feature" => match obj.get("geometry") {
                Some(Value::Null) | None => {
                    self.err(&format!("{ptr}/geometry"), "the feature has no geometry; expected a geometry object".into())
                }
                Some(g) => self.collect(g, &format!("{ptr}/geometry"), out),
            },
            "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
            | "MultiPolygon" => out.push((ptr.to_string(), v)),
            "GeometryCollection" => {
                let p = format!("{ptr}/geometries");
                match obj.get("geometries").and_then(Value::as_array) {
                    Some(gs) => {
                        for (i, g) in gs.iter().enumerate() {
                            self.collect(g, &format!("{p}/{i}"), out);
                        }
                    }
                    None => self.err(&p, "expected an array of geometries".into()),
                }
            }
            other => self.err(
                &format!("{ptr}/type"),
                format!("unknown GeoJSON type \"{other}\"; expected \"FeatureCollection\", \"Feature\" or a geometry type"),
            ),
        }
    }

    fn array<'v>(&mut self, v: &'v Value, ptr: &str, what: &str) -> Option<&'v Vec<Value>> {
        match v.as_array() {
            Some(a) => Some(a),
            None => {
                self.err(ptr, format!("expected {what}, found {}", kind(v)));
                None
            }
        }
    }

    fn position(&mut self, v: &Value, ptr: &str) -> Option<Coord<f64>> {
        let arr = self.array(v, ptr, "a position [longitude, latitude]")?;
        if !(2..=3).contains(&arr.len()) {
            self.err(
                ptr,
                format!("a position has {} numbers; expected [longitude, latitude] (an altitude may follow)", arr.len()),
            );
            return None;
        }
        let lon = arr[0].as_f64();
        let lat = arr[1].as_f64();
        let (Some(lon), Some(lat)) = (lon, lat) else {
            self.err(ptr, "expected numbers [longitude, latitude]".into());
            return None;
        };
        let mut ok = true;
        if !(-180.0..=180.0).contains(&lon) {
            self.err(
                &format!("{ptr}/0"),
                format!("longitude {lon} is out of range; expected -180 to 180 degrees"),
            );
            ok = false;
        }
        if !(-90.0..=90.0).contains(&lat) {
            self.err(&format!("{ptr}/1"), format!("latitude {lat} is out of range; expected -90 to 90 degrees (positions are [longitude, latitude])"));
            ok = false;
        }
        ok.then_some(Coord { x: lon, y: lat })
    }

    fn line(&mut self, v: &Value, ptr: &str, min: usize) -> Option<LineString<f64>> {
        let arr = self.array(v, ptr, "an array of positions")?;
        let mut coords = Vec::with_capacity(arr.len());
        let mut ok = true;
        for (i, p) in arr.iter().enumerate() {
            match self.position(p, &format!("{ptr}/{i}")) {
                Some(c) => coords.push(c),
                None => ok = false,
            }
        }
        if ok && coords.len() < min {
            self.err(
                ptr,
                format!("has {} position(s); expected at least {min}", coords.len()),
            );
            return None;
        }
        ok.then_some(LineString(coords))
    }

    fn polygon(&mut self, v: &Value, ptr: &str) -> Option<(Polygon<f64>, PolygonPointers)> {
        let rings = self.array(v, ptr, "an array of linear rings")?;
        if rings.is_empty() {
            self.err(ptr, "a polygon needs an exterior ring; found none".into());
            return None;
        }
        let mut out = Vec::new();
        let mut ptrs = Vec::new();
        for (i, r) in rings.iter().enumerate() {
            let rp = format!("{ptr}/{i}");
            let Some(ring) = self.line(r, &rp, 0) else {
                continue;
            };
            if ring.0.len() < 4 {
                self.err(&rp, format!("a linear ring has {} position(s); expected at least 4 (three corners and the first repeated to close it)", ring.0.len()));
                continue;
            }
            if ring.0.first() != ring.0.last() {
                let n = ring.0.len() - 1;
                self.err(
                    &format!("{rp}/{n}"),
                    "the ring is not closed; expected its last position to repeat its first".into(),
                );
                continue;
            }
            out.push(ring);
            ptrs.push(rp);
        }
        if out.len() != rings.len() {
            return None;
        }
        let exterior = out.remove(0);
        let ext_ptr = ptrs.remove(0);
        Some((
            Polygon::new(exterior, out),
            PolygonPointers {
                exterior: ext_ptr,
                interiors: ptrs,
            },
        ))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Writes geometry as a GeoJSON FeatureCollection with one feature, for round trips and export.
pub fn feature_collection(geometry: Value, properties: Value) -> Value {
    serde_json::json!({
        "type": "FeatureCollection",
        "features": [{ "type": "Feature", "properties": properties, "geometry": geometry }]
    })
}

/// A MultiPolygon as a GeoJSON geometry object.
pub fn multipolygon_json(mp: &MultiPolygon<f64>) -> Value {
    let ring = |r: &LineString<f64>| -> Value {
        r.0.iter().map(|c| serde_json::json!([c.x, c.y])).collect()
    };
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring)
                    .collect()
            })
            .collect();
    serde_json::json!({ "type": "MultiPolygon", "coordinates": polys })
}

/// A MultiLineString as a GeoJSON geometry object.
pub fn multilinestring_json(ml: &MultiLineString<f64>) -> Value {
    let lines: Vec<Value> =
        ml.0.iter()
            .map(|l| l.0.iter().map(|c| serde_json::json!([c.x, c.y])).collect())
            .collect();
    serde_json::json!({ "type": "MultiLineString", "coordinates": lines })
}
