//! The ceasefire agreement as data.
//!
//! An agreement is a TOML file (who the parties are, the weapon classes and their withdrawal
//! distances, the zones and their rules) with its geometry in GeoJSON files beside it (each
//! party's area, the line of contact, disengagement areas). This crate reads and checks one,
//! reporting **every** problem at once with its place in the files, and writes one back.
//!
//! It does no I/O: the caller hands it the TOML text and a [`Files`] that reads the geometry files
//! the TOML names (the command line reads them from disk, tests from memory).
//!
//! ```
//! use truceline_agreement::{load, MemoryFiles};
//!
//! let files = MemoryFiles::from([
//!     ("a.geojson", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#),
//!     ("b.geojson", r#"{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}"#),
//!     ("line.geojson", r#"{"type":"LineString","coordinates":[[1,0],[1,1]]}"#),
//! ]);
//! let toml = r#"
//! id = "example"
//! title = "Example"
//! effective_from = "2015-02-14T22:00:00Z"
//! [line_of_contact]
//! between = ["a", "b"]
//! geometry = "line.geojson"
//! [[parties]]
//! id = "a"
//! name = "Party A"
//! area = "a.geojson"
//! [[parties]]
//! id = "b"
//! name = "Party B"
//! area = "b.geojson"
//! [[weapon_classes]]
//! id = "mlrs"
//! name = "Multiple rocket launchers"
//! withdrawal_km = 35
//! "#;
//! let agreement = load("agreement.toml", toml, &files).unwrap();
//! assert_eq!(agreement.parties.len(), 2);
//! assert_eq!(agreement.weapon_class("mlrs").unwrap().withdrawal_m(), 35_000.0);
//! ```

mod checks;
mod diagnostic;
mod geojson;
mod read;
mod write;

use std::collections::HashMap;

pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use geojson::{feature_collection, multilinestring_json, multipolygon_json};
pub use write::to_files;

use geo::{MultiLineString, MultiPolygon};

/// Weapon ids an observation may use that are not weapon classes of the agreement.
pub const RESERVED_WEAPON_IDS: [&str; 2] = ["small_arms", "unknown"];

/// A ceasefire agreement, checked: every reference resolves and every geometry is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub id: String,
    pub title: String,
    /// From when fire counts as a ceasefire violation.
    pub effective_from: jiff::Timestamp,
    /// True for demonstration geometry that is not an official line; shown on every output.
    pub illustrative: bool,
    /// Free text shown with the agreement (sources, caveats).
    pub notice: Option<String>,
    pub parties: Vec<Party>,
    pub line_of_contact: LineOfContact,
    pub weapon_classes: Vec<WeaponClass>,
    pub zones: Vec<Zone>,
}

/// A party to the ceasefire and the area its forces control.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub area: MultiPolygon<f64>,
    /// The geometry file, relative to the agreement file.
    pub area_file: String,
}

/// The line of contact and the two parties it separates.
#[derive(Debug, Clone, PartialEq)]
pub struct LineOfContact {
    pub between: [String; 2],
    pub geometry: MultiLineString<f64>,
    pub geometry_file: String,
}

/// A class of weapons with the distance each party keeps it from the line of contact.
#[derive(Debug, Clone, PartialEq)]
pub struct WeaponClass {
    pub id: String,
    pub name: String,
    /// Distance each side of the line of contact the class is withdrawn to, in kilometres.
    pub withdrawal_km: f64,
    /// Greatest firing range, in kilometres, where known.
    pub range_km: Option<f64>,
    pub description: Option<String>,
}

impl WeaponClass {
    pub fn withdrawal_m(&self) -> f64 {
        self.withdrawal_km * 1000.0
    }
}

/// What a zone forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneRule {
    /// No armed forces or weapons at all (a buffer zone or disengagement area).
    NoArmedPresence,
}

impl ZoneRule {
    pub const ALL: [ZoneRule; 1] = [ZoneRule::NoArmedPresence];
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneRule::NoArmedPresence => "no_armed_presence",
        }
    }
}

/// The extent of a zone.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneExtent {
    /// A band of this width each side of the line of contact (a buffer zone), in kilometres.
    Band { width_km: f64 },
    /// A drawn area (a disengagement area), with its geometry file.
    Area {
        area: MultiPolygon<f64>,
        file: String,
    },
}

/// The kinds of zone an agreement can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneKind {
    Buffer,
    Disengagement,
}

impl ZoneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneKind::Buffer => "buffer",
            ZoneKind::Disengagement => "disengagement",
        }
    }
}

/// A named zone with a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub kind: ZoneKind,
    pub rule: ZoneRule,
    pub extent: ZoneExtent,
}

impl Agreement {
    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }
    pub fn weapon_class(&self, id: &str) -> Option<&WeaponClass> {
        self.weapon_classes.iter().find(|w| w.id == id)
    }
    pub fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }
}

/// Reads the geometry files an agreement names, relative to the agreement file.
pub trait Files {
    /// The file's text, or a one-line reason it cannot be read.
    fn read(&self, path: &str) -> Result<String, String>;

    /// How a path as written in the agreement is named in messages (for example, joined to the
    /// agreement's folder so the reader can open it).
    fn display_name(&self, path: &str) -> String {
        path.to_string()
    }
}

/// Geometry files held in memory, for tests and examples.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles(pub HashMap<String, String>);

impl<const N: usize> From<[(&str, &str); N]> for MemoryFiles {
    fn from(files: [(&str, &str); N]) -> Self {
        MemoryFiles(
            files
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

impl Files for MemoryFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }
}

/// Reads and checks an agreement.
///
/// `name` is how the TOML file is named in messages; geometry paths in it are passed to `files`
/// as written. Returns every problem found, each located, when the agreement is not valid.
pub fn load(name: &str, toml: &str, files: &dyn Files) -> Result<Agreement, Diagnostics> {
    let mut diags = Vec::new();
    let (agreement, pointers) = read::read(name, toml, files, &mut diags);
    if let Some(a) = &agreement
        && diags.is_empty()
    {
        checks::check(a, &pointers, &mut diags);
    }
    match agreement {
        Some(a) if diags.is_empty() => Ok(a),
        _ => {
            // File order: the agreement first, then geometry files as first named; lines in order.
            let mut files: Vec<String> = vec![name.to_string()];
            for d in &diags {
                let f = d.location.file();
                if !files.iter().any(|x| x == f) {
                    files.push(f.to_string());
                }
            }
            diags.sort_by_key(|d| {
                let file = files.iter().position(|f| f == d.location.file());
                let at = match &d.location {
                    Location::Text { line, column, .. } => (*line, *column),
                    _ => (0, 0),
                };
                (file, at)
            });
            Err(Diagnostics(diags))
        }
    }
}
