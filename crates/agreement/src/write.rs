//! Writing an agreement back to its TOML file and GeoJSON geometry files.

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::geojson::{feature_collection, multilinestring_json, multipolygon_json};
use crate::{Agreement, ZoneExtent};

/// The agreement as files: `(path, contents)`, the TOML first under `toml_name`, then each
/// geometry file under the path the agreement records for it.
pub fn to_files(a: &Agreement, toml_name: &str) -> Vec<(String, String)> {
    let mut doc = DocumentMut::new();
    doc["id"] = value(&a.id);
    doc["title"] = value(&a.title);
    doc["effective_from"] = value(a.effective_from.to_string());
    doc["illustrative"] = value(a.illustrative);
    if let Some(n) = &a.notice {
        doc["notice"] = value(n);
    }
    let mut files = Vec::new();
    let props = |extra: serde_json::Value| {
        let mut p = serde_json::json!({ "agreement": a.id, "illustrative": a.illustrative });
        if let (Some(o), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        p
    };

    let mut line = Table::new();
    let mut between = Array::new();
    between.extend(a.line_of_contact.between.iter().map(String::as_str));
    line["between"] = value(between);
    line["geometry"] = value(&a.line_of_contact.geometry_file);
    doc["line_of_contact"] = Item::Table(line);
    files.push((
        a.line_of_contact.geometry_file.clone(),
        feature_collection(
            multilinestring_json(&a.line_of_contact.geometry),
            props(serde_json::json!({ "role": "line_of_contact" })),
        )
        .to_string(),
    ));

    let mut parties = ArrayOfTables::new();
    for p in &a.parties {
        let mut t = Table::new();
        t["id"] = value(&p.id);
        t["name"] = value(&p.name);
        t["area"] = value(&p.area_file);
        parties.push(t);
        files.push((
            p.area_file.clone(),
            feature_collection(
                multipolygon_json(&p.area),
                props(serde_json::json!({ "role": "party_area", "party": p.id })),
            )
            .to_string(),
        ));
    }
    doc["parties"] = Item::ArrayOfTables(parties);

    if !a.weapon_classes.is_empty() {
        let mut ws = ArrayOfTables::new();
        for w in &a.weapon_classes {
            let mut t = Table::new();
            t["id"] = value(&w.id);
            t["name"] = value(&w.name);
            t["withdrawal_km"] = value(w.withdrawal_km);
            if let Some(r) = w.range_km {
                t["range_km"] = value(r);
            }
            if let Some(d) = &w.description {
                t["description"] = value(d);
            }
            ws.push(t);
        }
        doc["weapon_classes"] = Item::ArrayOfTables(ws);
    }

    if !a.zones.is_empty() {
        let mut zs = ArrayOfTables::new();
        for z in &a.zones {
            let mut t = Table::new();
            t["id"] = value(&z.id);
            t["name"] = value(&z.name);
            t["kind"] = value(z.kind.as_str());
            t["rule"] = value(z.rule.as_str());
            match &z.extent {
                ZoneExtent::Band { width_km } => t["width_km"] = value(*width_km),
                ZoneExtent::Area { area, file } => {
                    t["area"] = value(file);
                    files.push((
                        file.clone(),
                        feature_collection(
                            multipolygon_json(area),
                            props(serde_json::json!({ "role": "zone", "zone": z.id })),
                        )
                        .to_string(),
                    ));
                }
            }
            zs.push(t);
        }
        doc["zones"] = Item::ArrayOfTables(zs);
    }
    files.insert(0, (toml_name.to_string(), doc.to_string()));
    files
}
