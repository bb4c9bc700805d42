//! Any valid agreement written to files reads back identical.

use proptest::prelude::*;
use truceline_agreement::{
    MemoryFiles, WeaponClass, Zone, ZoneExtent, ZoneKind, ZoneRule, load, to_files,
};

const A: &str = r#"{"type":"Polygon","coordinates":[[[37,47],[38,47],[38,49],[37,49],[37,47]]]}"#;
const B: &str = r#"{"type":"Polygon","coordinates":[[[38,47],[39,47],[39,49],[38,49],[38,47]]]}"#;
const LINE: &str = r#"{"type":"LineString","coordinates":[[38,47],[38,48],[38,49]]}"#;

fn base(title: &str) -> String {
    format!(
        "id = \"t\"\ntitle = {}\neffective_from = \"2022-01-01T00:00:00Z\"\n\
         [line_of_contact]\nbetween = [\"a\", \"b\"]\ngeometry = \"line.geojson\"\n\
         [[parties]]\nid = \"a\"\nname = \"A\"\narea = \"a.geojson\"\n\
         [[parties]]\nid = \"b\"\nname = \"B\"\narea = \"b.geojson\"\n",
        toml_edit::Value::from(title)
    )
}

fn text() -> impl Strategy<Value = String> {
    "[^\u{0}-\u{1f}\u{7f}]{1,40}".prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn written_agreements_read_back_identical(
        title in text(),
        weapons in prop::collection::btree_map("[a-z][a-z0-9_]{0,10}", (text(), 0.001f64..500.0, prop::option::of(0.1f64..300.0), prop::option::of(text())), 0..6),
        buffer in prop::option::of(0.01f64..50.0),
    ) {
        let files = MemoryFiles::from([("a.geojson", A), ("b.geojson", B), ("line.geojson", LINE)]);
        let mut a = load("agreement.toml", &base(&title), &files).expect("base is valid");
        a.weapon_classes = weapons
            .into_iter()
            .filter(|(id, _)| !truceline_agreement::RESERVED_WEAPON_IDS.contains(&id.as_str()))
            .map(|(id, (name, withdrawal_km, range_km, description))| WeaponClass { id, name, withdrawal_km, range_km, description })
            .collect();
        if let Some(width_km) = buffer {
            a.zones.push(Zone { id: "buffer".into(), name: "Buffer".into(), kind: ZoneKind::Buffer, rule: ZoneRule::NoArmedPresence, extent: ZoneExtent::Band { width_km } });
        }
        let written = to_files(&a, "agreement.toml");
        let mem = MemoryFiles(written.iter().skip(1).cloned().collect());
        let b = load("agreement.toml", &written[0].1, &mem);
        prop_assert_eq!(Ok(a), b);
    }
}
