//! Incidents in the columns of ACLED's codebook (the Armed Conflict Location & Event Data
//! project), so that researchers' tools built for ACLED read the mission's incidents as they are.
//!
//! The mapping, column by column, is in `docs/REFERENCE.md` ("ACLED"); in short: explosions,
//! projectiles, bursts and muzzle flashes are "Explosions/Remote violence" / "Shelling/artillery/
//! missile attack", mines "Remote explosive/landmine/IED", shots "Battles" / "Armed clash", weapons
//! and movements seen "Strategic developments" / "Change to group/activity", the rest
//! "Strategic developments" / "Other"; the actor is the party the incident is attributed to
//! (never guessed: unattributed is "Unidentified Armed Group"); `geo_precision` comes from the
//! 95 % ellipse; `fatalities` from the casualty records linked to the incident.
//!
//! ```
//! use truceline_report::acled::{COLUMNS, geo_precision};
//! assert_eq!(COLUMNS[0], "event_id_cnty");
//! assert_eq!(geo_precision(Some(800.0)), 1);   // within a settlement
//! assert_eq!(geo_precision(Some(9_000.0)), 2); // near one
//! assert_eq!(geo_precision(None), 3);          // a lone bearing: the region only
//! ```

use truceline_incident::{IncidentRecord, Kind};

use crate::Context;
use crate::tables::text_cell;

/// The columns, in the codebook's order.
pub const COLUMNS: [&str; 31] = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
];

/// The source named in every row.
pub const SOURCE: &str = "Ceasefire monitoring mission (Truceline)";

/// ACLED's disorder type, event type and sub-event type for an incident of `kind`.
pub fn event_type(kind: Kind) -> [&'static str; 3] {
    const REMOTE: [&str; 2] = ["Political violence", "Explosions/Remote violence"];
    const STRATEGIC: &str = "Strategic developments";
    match kind {
        // An outgoing round (a launch heard or seen) is the same attack seen from its other end.
        Kind::Explosion | Kind::Projectile | Kind::Burst | Kind::MuzzleFlash => {
            [REMOTE[0], REMOTE[1], "Shelling/artillery/missile attack"]
        }
        Kind::Mine => [REMOTE[0], REMOTE[1], "Remote explosive/landmine/IED"],
        Kind::Shot => ["Political violence", "Battles", "Armed clash"],
        Kind::Weapon | Kind::Movement => [STRATEGIC, STRATEGIC, "Change to group/activity"],
        Kind::Illumination | Kind::Restriction | Kind::Casualty | Kind::Damage | Kind::Other => {
            [STRATEGIC, STRATEGIC, "Other"]
        }
    }
}

/// ACLED's `geo_precision` from the 95 % semi-major axis in metres: 1 within a settlement's
/// extent (≤ 2 km), 2 near one (≤ 25 km), 3 a wider region or not bounded at all.
pub fn geo_precision(major_m: Option<f64>) -> u8 {
    match major_m {
        Some(m) if m <= 2_000.0 => 1,
        Some(m) if m <= 25_000.0 => 2,
        _ => 3,
    }
}

/// ISO 3166-1 numeric code of the countries the bundled boundaries hold near the line.
fn iso_numeric(a3: &str) -> &'static str {
    match a3 {
        "UKR" => "804",
        "RUS" => "643",
        "BLR" => "112",
        "MDA" => "498",
        "ROU" => "642",
        "POL" => "616",
        "GEO" => "268",
        "TUR" => "792",
        "BGR" => "100",
        _ => "",
    }
}

/// One row for `inc` as the caller is shown it (the public view's id and rounded place), with
/// `fatalities` people killed in casualty records linked to it.
pub fn row(inc: &IncidentRecord, ctx: &Context, fatalities: u64) -> Vec<String> {
    let (lon, lat) = (inc.location.lon, inc.location.lat);
    let country = ctx.regions.country_of(lon, lat);
    let (a3, country_name) = country
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .unwrap_or(("", ""));
    let admin1 = ctx
        .regions
        .region_of(lon, lat)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let place = ctx
        .gazetteer
        .nearest(lon, lat)
        .map(|n| n.place.name.clone())
        .unwrap_or_default();
    let [disorder, event, sub_event] = event_type(inc.kind);
    let party_name = |id: &str| {
        ctx.agreement
            .party(id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    // State forces (1) when attributed; ACLED codes an unidentified armed group as a
    // political militia (3). Sole actions: no second actor is named by the evidence.
    let (actor1, inter1) = match &inc.attribution.party {
        Some(p) => (format!("Military Forces of {}", party_name(p)), "1"),
        None if country_name.is_empty() => ("Unidentified Armed Group".to_string(), "3"),
        None => (format!("Unidentified Armed Group ({country_name})"), "3"),
    };
    let major = inc.error_ellipse_m.map(|e| e.major);
    let date = inc.time.strftime("%Y-%m-%d").to_string();
    let what = match inc.subtype {
        Some(s) => format!("{} ({})", inc.kind.as_str().replace('_', " "), s.as_str()),
        None => inc.kind.as_str().replace('_', " "),
    };
    let mut notes = format!(
        "On {date} at {} UTC, the mission recorded {} × {what} {}{}.",
        inc.time.strftime("%H:%M"),
        inc.count,
        ctx.gazetteer.describe(lon, lat),
        if admin1.is_empty() {
            String::new()
        } else {
            format!(" ({admin1})")
        },
    );
    if let Some(c) = inc.place_control() {
        notes.push_str(&format!(" In the area held by {}.", party_name(c)));
    }
    match &inc.attribution.party {
        Some(p) => notes.push_str(&format!(
            " Attributed to {} (confidence {:.2}).",
            party_name(p),
            inc.attribution.confidence
        )),
        None => notes.push_str(" Not attributed."),
    }
    if !inc.violations.is_empty() {
        let rules: Vec<&str> = inc.violations.iter().map(|v| v.rule.as_str()).collect();
        notes.push_str(&format!(" Violations: {}.", rules.join(", ")));
    }
    match major {
        Some(m) => notes.push_str(&format!(" Located within {:.0} m (95 %).", m)),
        None => notes.push_str(" Place not bounded (a bearing only)."),
    }
    let tags = format!(
        "truceline_id={}; count={}; kind={}",
        inc.id,
        inc.count,
        inc.kind.as_str()
    );
    vec![
        format!("{}{}", if a3.is_empty() { "XXX" } else { a3 }, inc.id),
        date,
        inc.time.strftime("%Y").to_string(),
        "1".into(),
        disorder.into(),
        event.into(),
        sub_event.into(),
        actor1,
        String::new(),
        inter1.into(),
        String::new(),
        String::new(),
        String::new(),
        format!("{inter1}0"),
        String::new(),
        iso_numeric(a3).into(),
        "Europe".into(),
        country_name.to_string(),
        admin1,
        String::new(),
        String::new(),
        text_cell(place),
        format!("{lat:.4}"),
        format!("{lon:.4}"),
        geo_precision(major).to_string(),
        SOURCE.into(),
        "Other".into(),
        text_cell(notes),
        fatalities.to_string(),
        tags,
        inc.time.as_second().to_string(),
    ]
}

/// The rows as CSV with the header line.
pub fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for r in rows {
        w.write_record(r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}
