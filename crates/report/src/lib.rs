//! The daily report: what a monitoring mission publishes each day.
//!
//! For one mission day ([`MissionDay`], by default ending 19:30 in Kyiv as the OSCE's did) the
//! report tallies ceasefire violations by region and by each party's area against the previous
//! day and the 7-day mean, by kind, the weapons seen in violation of withdrawal lines, what was
//! attributed and on what basis, the incidents one by one with their place described from the
//! nearest settlement ([`Gazetteer`]), and the mission's coverage of the line with rates
//! adjusted for it ([`coverage`]). It draws a map and a 30-day chart as self-contained SVG.
//!
//! [`build`] reads the store and returns a [`Report`]; [`render`] writes it as HTML, JSON,
//! CSV (the incidents) or GeoJSON (RFC 7946). Nothing here reads a clock or a file, and every
//! collection is ordered, so the same store and day give the same bytes. The report states the
//! signed checkpoint it was built from; [`publication`] is what publishing it logs.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (store, agreement): (truceline_store::SqliteStore, truceline_agreement::Agreement) = todo!();
//! use truceline_report::{Audience, Context, Format, MissionDay};
//!
//! let ctx = Context::new(agreement);
//! let day = MissionDay::new("2026-11-24", "Europe/Kyiv", "19:30")?;
//! let report = truceline_report::build(&store, &ctx, &day, Audience::Public)?;
//! let html: Vec<u8> = truceline_report::render(&report, &ctx, Format::Html);
//! # Ok(()) }
//! ```

pub mod acled;
mod content;
pub mod coverage;
pub mod day;
mod doc;
mod html;
pub mod lang;
mod pdf;
mod places;
pub mod records;
mod records_doc;
mod regions;
pub mod sea;
mod svg;
mod tables;

use serde::Serialize;
use sha2::{Digest, Sha256};
use truceline_agreement::Agreement;
use truceline_store::{PublishedReport, Store};

pub use content::{
    NOT_LOCATED, Note, OUTSIDE_BOTH_AREAS, OUTSIDE_REGIONS, PUBLIC_GRID_DEG, PUBLIC_MIN_AXIS_M,
    Report,
};
pub use day::MissionDay;
pub use places::{Gazetteer, Nearest, Place, compass};
pub use records::{read_records, vocabulary};
pub use regions::{Area, Regions, boundaries_geojson};

/// Who the report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// The mission: everything, observers included.
    Restricted,
    /// Everyone: no observer named or placed, locations on a grid.
    Public,
}

impl Audience {
    pub fn parse(s: &str) -> Result<Audience, ReportError> {
        match s {
            "public" => Ok(Audience::Public),
            "restricted" => Ok(Audience::Restricted),
            _ => Err(ReportError::Input {
                field: "audience",
                expected: "public or restricted".into(),
                got: s.into(),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Restricted => "restricted",
        }
    }
}

/// A format the report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
    Csv,
    GeoJson,
    Pdf,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Html,
        Format::Json,
        Format::Csv,
        Format::GeoJson,
        Format::Pdf,
    ];

    pub fn parse(s: &str) -> Result<Format, ReportError> {
        match s {
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "geojson" => Ok(Format::GeoJson),
            "pdf" => Ok(Format::Pdf),
            _ => Err(ReportError::Input {
                field: "format",
                expected: "html, json, csv, geojson or pdf".into(),
                got: s.into(),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
            Format::Pdf => "pdf",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::GeoJson => "application/geo+json",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{field}: expected {expected}, got {got:?}")]
    Input {
        field: &'static str,
        expected: String,
        got: String,
    },
    #[error("a stored record does not read: {0}")]
    Stored(String),
    #[error(transparent)]
    Store(#[from] truceline_store::StoreError),
}

/// What a report is built against: the agreement and the bundled gazetteer and boundaries.
/// Made once and reused.
pub struct Context {
    pub agreement: Agreement,
    pub gazetteer: Gazetteer,
    pub regions: Regions,
    /// How long a party has to reply to an incident attributed to it.
    pub reply_window: jiff::SignedDuration,
}

impl Context {
    pub fn new(agreement: Agreement) -> Context {
        Context {
            agreement,
            gazetteer: Gazetteer::bundled(),
            regions: Regions::bundled(),
            reply_window: jiff::SignedDuration::from_hours(72),
        }
    }
}

/// Builds the report of `day` from the store.
pub fn build(
    store: &dyn Store,
    ctx: &Context,
    day: &MissionDay,
    audience: Audience,
) -> Result<Report, ReportError> {
    content::build(store, ctx, day, audience)
}

/// Writes the report in `format`, in English.
pub fn render(report: &Report, ctx: &Context, format: Format) -> Vec<u8> {
    render_in(report, ctx, format, lang::Lang::En)
}

/// Writes the report in `format`; the HTML in `lang` (the data formats have no language).
pub fn render_in(report: &Report, ctx: &Context, format: Format, lang: lang::Lang) -> Vec<u8> {
    match format {
        Format::Html => html::html(report, ctx, lang).into_bytes(),
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report).expect("the report serialises");
            v.push(b'\n');
            v
        }
        Format::Csv => tables::csv(report),
        Format::GeoJson => tables::geojson(report),
        Format::Pdf => pdf::pdf(report, ctx, lang),
    }
}

/// What publishing a report logs: its day, audience, the checkpoint it was built from and the
/// SHA-256 of each format, in canonical JSON. Anyone holding a published file can find its
/// digest in the log.
pub fn publication(report: &Report, ctx: &Context) -> PublishedReport {
    let digests: serde_json::Map<String, serde_json::Value> = Format::ALL
        .iter()
        .map(|f| {
            let d = Sha256::digest(render(report, ctx, *f));
            (f.as_str().to_string(), hex(&d).into())
        })
        .collect();
    let v = serde_json::json!({
        "date": report.mission_day.date,
        "audience": report.audience.as_str(),
        "agreement": report.agreement.id,
        "built_from": {"log_size": report.built_from.log_size, "root_hash": report.built_from.root_hash},
        "sha256": digests,
        "violations": report.summary.violations,
        "incidents": report.summary.incidents,
    });
    PublishedReport {
        date: report.mission_day.date.clone(),
        audience: report.audience.as_str().into(),
        record: serde_jcs::to_vec(&v).expect("the record serialises"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
