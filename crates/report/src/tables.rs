//! The incidents as CSV and as GeoJSON (RFC 7946).

use serde_json::{Value, json};

use crate::content::{IncidentLine, Report};

const COLUMNS: [&str; 21] = [
    "number",
    "time",
    "kind",
    "subtype",
    "count",
    "weapon",
    "place",
    "region",
    "control",
    "lon",
    "lat",
    "ellipse_major_m",
    "ellipse_minor_m",
    "ellipse_azimuth_deg",
    "attribution",
    "confidence",
    "basis",
    "violations",
    "log_indices",
    "review",
    "replies",
];

/// Free text as a spreadsheet may read it: a cell that begins like a formula (`=`, `+`, `-`, `@`,
/// a tab or a carriage return) is prefixed with `'`, so a reply written as `=HYPERLINK(…)` is
/// shown as text, not run.
pub(crate) fn text_cell(s: String) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

fn fields(i: &IncidentLine, r: &Report) -> Vec<String> {
    // The party's replies, or that none came by the deadline.
    let replies = r
        .replies
        .iter()
        .find(|row| row.number == i.number)
        .map(|row| {
            if row.replies.is_empty() {
                format!("no reply from {} by {}", row.party, row.deadline)
            } else {
                row.replies
                    .iter()
                    .map(|t| format!("{} ({}): {}", row.party, t.time, t.text))
                    .collect::<Vec<_>>()
                    .join(" | ")
            }
        })
        .unwrap_or_default();
    let e = i.error_ellipse_m;
    let opt = |x: &Option<String>| x.clone().unwrap_or_default();
    let join = |v: Vec<String>| v.join(" ");
    vec![
        i.number.to_string(),
        i.time.clone(),
        i.kind.clone(),
        opt(&i.subtype),
        i.count.to_string(),
        opt(&i.weapon),
        i.place.clone(),
        opt(&i.region),
        opt(&i.control),
        i.location[0].to_string(),
        i.location[1].to_string(),
        e.map(|e| e[0].to_string()).unwrap_or_default(),
        e.map(|e| e[1].to_string()).unwrap_or_default(),
        e.map(|e| e[2].to_string()).unwrap_or_default(),
        opt(&i.attribution),
        i.confidence.to_string(),
        text_cell(i.basis.clone()),
        i.violations.join("; "),
        join(i.log_indices.iter().map(u64::to_string).collect()),
        i.review.clone(),
        text_cell(replies),
    ]
}

/// One row an incident; restricted reports add its id and observations.
pub fn csv(r: &Report) -> Vec<u8> {
    let restricted = r.audience == crate::Audience::Restricted;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<&str> = COLUMNS.to_vec();
    if restricted {
        head.extend(["id", "observations"]);
    }
    w.write_record(&head).expect("writing to memory");
    for i in &r.incidents {
        let mut f = fields(i, r);
        if restricted {
            f.push(i.id.clone().unwrap_or_default());
            f.push(i.observations.clone().unwrap_or_default().join(" "));
        }
        w.write_record(&f).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// A FeatureCollection of the incidents as points (RFC 7946: WGS 84, longitude first).
pub fn geojson(r: &Report) -> Vec<u8> {
    let features: Vec<Value> = r
        .incidents
        .iter()
        .map(|i| {
            let mut props = serde_json::to_value(i).expect("serialises");
            if let Some(o) = props.as_object_mut() {
                o.remove("location");
                o.insert("date".into(), r.mission_day.date.clone().into());
                if let Some(row) = r.replies.iter().find(|row| row.number == i.number) {
                    o.insert(
                        "replies".into(),
                        serde_json::to_value(row).expect("serialises"),
                    );
                }
            }
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [i.location[0], i.location[1]]},
                "properties": props,
            })
        })
        .collect();
    let mut out = serde_json::to_vec(&json!({
        "type": "FeatureCollection",
        "features": features,
    }))
    .expect("serialises");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_that_looks_like_a_formula_is_text() {
        assert_eq!(
            super::text_cell("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(super::text_cell("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(
            super::text_cell("linked to outgoing fire".into()),
            "linked to outgoing fire"
        );
    }
}
