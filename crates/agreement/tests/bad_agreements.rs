//! Every kind of bad agreement is refused with a located message that says what is expected.

use truceline_agreement::{Agreement, Diagnostics, MemoryFiles, load, to_files};

const TOML: &str = r#"id = "test"
title = "Test agreement"
effective_from = "2015-02-14T22:00:00Z"

[line_of_contact]
between = ["a", "b"]
geometry = "line.geojson"

[[parties]]
id = "a"
name = "Party A"
area = "a.geojson"

[[parties]]
id = "b"
name = "Party B"
area = "b.geojson"

[[weapon_classes]]
id = "mlrs"
name = "Multiple rocket launchers"
withdrawal_km = 35

[[zones]]
id = "buffer"
name = "Buffer zone"
kind = "buffer"
rule = "no_armed_presence"
width_km = 2

[[zones]]
id = "square"
name = "Disengagement area"
kind = "disengagement"
rule = "no_armed_presence"
area = "square.geojson"
"#;

const A: &str = r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[37,47],[38,47],[38,49],[37,49],[37,47]]]}}"#;
const B: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[38,47],[39,47],[39,49],[38,49],[38,47]]]}}]}"#;
const LINE: &str = r#"{"type":"LineString","coordinates":[[38,47],[38,48],[38,49]]}"#;
const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[37.99,47.99],[38.01,47.99],[38.01,48.01],[37.99,48.01],[37.99,47.99]]]}"#;

fn files() -> MemoryFiles {
    MemoryFiles::from([
        ("a.geojson", A),
        ("b.geojson", B),
        ("line.geojson", LINE),
        ("square.geojson", SQUARE),
    ])
}

fn check(toml: &str, files: &MemoryFiles) -> Result<Agreement, Diagnostics> {
    load("agreement.toml", toml, files)
}

/// The agreement with `from` replaced by `to` must fail with a message containing `expect`
/// located at `at` (a prefix of the rendered location).
fn refused(toml: &str, files: &MemoryFiles, at: &str, expect: &str) -> Diagnostics {
    let d = check(toml, files).expect_err("the agreement must be refused");
    assert!(
        d.iter()
            .any(|d| d.location.to_string().starts_with(at) && d.message.contains(expect)),
        "expected a problem at {at} saying {expect:?}; got:\n{d}"
    );
    d
}

fn edit(from: &str, to: &str) -> String {
    assert!(TOML.contains(from), "{from:?} not in the test agreement");
    TOML.replacen(from, to, 1)
}

fn line_of(toml: &str, needle: &str) -> usize {
    toml.lines()
        .position(|l| l.contains(needle))
        .expect("needle in toml")
        + 1
}

fn with_file(name: &str, text: &str) -> MemoryFiles {
    let mut f = files();
    f.0.insert(name.to_string(), text.to_string());
    f
}

#[test]
fn the_base_agreement_is_valid() {
    let a = check(TOML, &files()).expect("valid");
    assert_eq!(a.parties.len(), 2);
    assert_eq!(a.zones.len(), 2);
    assert_eq!(
        a.line_of_contact.between,
        ["a".to_string(), "b".to_string()]
    );
}

#[test]
fn toml_syntax_error() {
    let t = edit("title = \"Test agreement\"", "title = \"Test agreement");
    refused(&t, &files(), "agreement.toml:2:", "not valid TOML");
}

#[test]
fn unknown_key_suggests_the_known_one() {
    let t = edit("title = ", "titel = \"x\"\ntitle = ");
    refused(
        &t,
        &files(),
        "agreement.toml:2:1",
        "unknown key \"titel\" in the agreement; did you mean \"title\"?",
    );
}

#[test]
fn unknown_key_in_a_weapon_class() {
    let t = edit("withdrawal_km = 35", "withdrawl_km = 35");
    let at = format!("agreement.toml:{}:1", line_of(&t, "withdrawl_km"));
    let d = refused(&t, &files(), &at, "did you mean \"withdrawal_km\"?");
    // …and the key it should have been is reported missing, at the table's header.
    assert!(d.iter().any(|d| {
        d.message
            .contains("[[weapon_classes]] #1 is missing \"withdrawal_km\"")
    }));
}

#[test]
fn missing_required_key() {
    let t = edit("effective_from = \"2015-02-14T22:00:00Z\"\n", "");
    refused(
        &t,
        &files(),
        "agreement.toml:1:1",
        "missing \"effective_from\"; expected an RFC 3339 time",
    );
}

#[test]
fn effective_from_not_a_time() {
    let t = edit("\"2015-02-14T22:00:00Z\"", "\"yesterday\"");
    refused(&t, &files(), "agreement.toml:3:18", "expected RFC 3339");
}

#[test]
fn effective_from_as_toml_datetime_is_accepted() {
    let t = edit("\"2015-02-14T22:00:00Z\"", "2015-02-15T00:00:00+02:00");
    let a = check(&t, &files()).expect("valid");
    assert_eq!(a.effective_from.to_string(), "2015-02-14T22:00:00Z");
}

#[test]
fn unknown_party_reference() {
    let t = edit("between = [\"a\", \"b\"]", "between = [\"a\", \"c\"]");
    refused(
        &t,
        &files(),
        "agreement.toml:6:",
        "names unknown party \"c\"; expected one of: a, b",
    );
}

#[test]
fn line_between_the_same_party() {
    let t = edit("between = [\"a\", \"b\"]", "between = [\"a\", \"a\"]");
    refused(
        &t,
        &files(),
        "agreement.toml:6:",
        "must name two different parties",
    );
}

#[test]
fn duplicate_party_id() {
    let t = edit("id = \"b\"", "id = \"a\"");
    refused(
        &t,
        &files(),
        &format!("agreement.toml:{}:", line_of(&t, "name = \"Party B\"") - 1),
        "party id \"a\" is used twice",
    );
}

#[test]
fn one_party_is_not_a_ceasefire() {
    let t = edit(
        "[[parties]]\nid = \"b\"\nname = \"Party B\"\narea = \"b.geojson\"\n",
        "",
    );
    refused(
        &t,
        &files(),
        "agreement.toml:",
        "expected at least two [[parties]]",
    );
}

#[test]
fn invalid_id() {
    let t = edit("id = \"mlrs\"", "id = \"Multiple Rockets\"");
    refused(
        &t,
        &files(),
        "agreement.toml:",
        "is not a valid id; expected 1 to 64 lowercase letters",
    );
}

#[test]
fn non_positive_withdrawal_distance() {
    let t = edit("withdrawal_km = 35", "withdrawal_km = -5");
    let at = format!("agreement.toml:{}:17", line_of(&t, "withdrawal_km"));
    refused(&t, &files(), &at, "\"withdrawal_km\" = -5 is not positive");
}

#[test]
fn zero_buffer_width() {
    let t = edit("width_km = 2", "width_km = 0");
    refused(
        &t,
        &files(),
        "agreement.toml:",
        "\"width_km\" = 0 is not positive",
    );
}

#[test]
fn distance_of_the_wrong_type() {
    let t = edit("withdrawal_km = 35", "withdrawal_km = \"35\"");
    refused(
        &t,
        &files(),
        "agreement.toml:",
        "\"withdrawal_km\" is a string; expected a positive number of kilometres",
    );
}

#[test]
fn reserved_weapon_id() {
    let t = edit("id = \"mlrs\"", "id = \"small_arms\"");
    refused(
        &t,
        &files(),
        "agreement.toml:",
        "weapon class id \"small_arms\" is reserved",
    );
}

#[test]
fn unknown_zone_kind_and_rule() {
    let t = edit("kind = \"buffer\"", "kind = \"demilitarised\"").replacen(
        "rule = \"no_armed_presence\"",
        "rule = \"no_fun\"",
        1,
    );
    let d = refused(
        &t,
        &files(),
        "agreement.toml:",
        "unknown zone kind \"demilitarised\"",
    );
    assert!(d.iter().any(|d| {
        d.message
            .contains("unknown zone rule \"no_fun\"; expected one of: no_armed_presence")
    }));
}

#[test]
fn buffer_without_width() {
    let t = edit("width_km = 2\n", "");
    refused(
        &t,
        &files(),
        "agreement.toml:",
        "[[zones]] #1 is missing \"width_km\"",
    );
}

#[test]
fn missing_geometry_file() {
    let t = edit("area = \"b.geojson\"", "area = \"nowhere.geojson\"");
    let at = format!("agreement.toml:{}:8", line_of(&t, "nowhere"));
    refused(
        &t,
        &files(),
        &at,
        "cannot read geometry file \"nowhere.geojson\"",
    );
}

#[test]
fn geojson_syntax_error() {
    let f = with_file(
        "a.geojson",
        "{\"type\": \"Polygon\",\n \"coordinates\": [[[37,47],]]}",
    );
    refused(TOML, &f, "a.geojson:2:", "not valid JSON");
}

#[test]
fn latitude_out_of_range() {
    let f = with_file("a.geojson", &A.replace("[38,49]", "[38,95]"));
    refused(
        TOML,
        &f,
        "a.geojson#/geometry/coordinates/0/2/1",
        "latitude 95 is out of range; expected -90 to 90",
    );
}

#[test]
fn longitude_out_of_range() {
    let f = with_file("line.geojson", &LINE.replace("[38,48]", "[238,48]"));
    refused(
        TOML,
        &f,
        "line.geojson#/coordinates/1/0",
        "longitude 238 is out of range",
    );
}

#[test]
fn position_with_one_number() {
    let f = with_file("line.geojson", &LINE.replace("[38,48]", "[38]"));
    refused(
        TOML,
        &f,
        "line.geojson#/coordinates/1",
        "expected [longitude, latitude]",
    );
}

#[test]
fn unclosed_ring() {
    let f = with_file("a.geojson", &A.replace(",[37,47]]]", ",[37,47.5]]]"));
    refused(
        TOML,
        &f,
        "a.geojson#/geometry/coordinates/0/4",
        "the ring is not closed",
    );
}

#[test]
fn ring_with_too_few_positions() {
    let f = with_file(
        "square.geojson",
        r#"{"type":"Polygon","coordinates":[[[37.99,47.99],[38.01,47.99],[37.99,47.99]]]}"#,
    );
    refused(
        TOML,
        &f,
        "square.geojson#/coordinates/0",
        "expected at least 4",
    );
}

#[test]
fn self_intersecting_ring() {
    let bow_tie = r#"{"type":"Polygon","coordinates":[[[37.99,47.99],[38.01,48.01],[38.01,47.99],[37.99,48.01],[37.99,47.99]]]}"#;
    let f = with_file("square.geojson", bow_tie);
    refused(
        TOML,
        &f,
        "square.geojson#/coordinates/0/0",
        "the ring crosses itself",
    );
}

#[test]
fn wrong_geometry_type_for_an_area() {
    let f = with_file("b.geojson", LINE);
    refused(
        TOML,
        &f,
        "b.geojson#/type",
        "geometry type \"LineString\" is not allowed here; expected a Polygon or MultiPolygon",
    );
}

#[test]
fn line_of_contact_through_a_partys_area() {
    let f = with_file(
        "line.geojson",
        r#"{"type":"LineString","coordinates":[[37.5,47.2],[37.5,48],[37.5,48.8]]}"#,
    );
    let d = refused(
        TOML,
        &f,
        "line.geojson#/coordinates/0",
        "runs inside the area of party \"a\"",
    );
    assert!(d.iter().any(|d| {
        d.message
            .contains("does not lie between the areas of \"a\" and \"b\"")
    }));
}

#[test]
fn line_of_contact_far_from_both_areas() {
    let f = with_file(
        "line.geojson",
        r#"{"type":"LineString","coordinates":[[30,47],[30,49]]}"#,
    );
    refused(
        TOML,
        &f,
        "line.geojson#/coordinates/0",
        "does not lie between the areas",
    );
}

#[test]
fn line_of_contact_crossing_itself() {
    let f = with_file(
        "line.geojson",
        r#"{"type":"LineString","coordinates":[[38,47],[38,48.5],[38.001,48.4],[37.999,48.45],[38,49]]}"#,
    );
    refused(
        TOML,
        &f,
        "line.geojson#/coordinates/",
        "the line of contact crosses itself",
    );
}

#[test]
fn overlapping_areas() {
    let f = with_file(
        "b.geojson",
        &B.replace(
            "[[38,47],[39,47],[39,49],[38,49],[38,47]]",
            "[[37.8,47],[39,47],[39,49],[37.8,49],[37.8,47]]",
        ),
    );
    refused(
        TOML,
        &f,
        "b.geojson#",
        "the area of party \"b\" overlaps the area of party \"a\"",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let t = edit("withdrawal_km = 35", "withdrawal_km = 0")
        .replacen("titl", "tytl", 1)
        .replacen("kind = \"buffer\"", "kind = \"wall\"", 1);
    let f = with_file("a.geojson", &A.replace("[38,49]", "[38,95]"));
    let d = check(&t, &f).expect_err("refused");
    assert!(d.len() >= 4, "{d}");
}

#[test]
fn round_trip_through_files() {
    let a = check(TOML, &files()).expect("valid");
    let written = to_files(&a, "agreement.toml");
    let mem = MemoryFiles(written.iter().skip(1).cloned().collect());
    let b = load("agreement.toml", &written[0].1, &mem).expect("written agreement is valid");
    assert_eq!(a, b);
}

#[test]
fn the_illustrative_donbas_agreement_is_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/donbas");
    struct Dir(&'static str);
    impl truceline_agreement::Files for Dir {
        fn read(&self, p: &str) -> Result<String, String> {
            std::fs::read_to_string(format!("{}/{p}", self.0)).map_err(|e| e.to_string())
        }
    }
    let text = std::fs::read_to_string(format!("{dir}/agreement.toml")).unwrap();
    let a = load("agreement.toml", &text, &Dir(dir)).expect("valid");
    assert!(a.illustrative, "the example must be labelled illustrative");
    assert!(a.notice.as_deref().unwrap_or("").contains("ILLUSTRATIVE"));
    let vertices: usize = a.line_of_contact.geometry.0.iter().map(|l| l.0.len()).sum();
    assert!(
        vertices >= 3000,
        "densified to several thousand vertices, got {vertices}"
    );
    let km = |id: &str| a.weapon_class(id).unwrap().withdrawal_km;
    assert_eq!(
        (
            km("tanks"),
            km("artillery_lt_100mm"),
            km("mortars_le_120mm")
        ),
        (15.0, 15.0, 15.0)
    );
    assert_eq!(
        (
            km("artillery_ge_100mm"),
            km("mlrs"),
            km("heavy_rocket_systems")
        ),
        (25.0, 35.0, 70.0)
    );
    for z in ["stanytsia-luhanska", "zolote", "petrivske", "buffer"] {
        assert!(a.zone(z).is_some(), "zone {z}");
    }
}

#[test]
fn a_line_without_length() {
    let f = with_file(
        "line.geojson",
        r#"{"type":"LineString","coordinates":[[38,48],[38,48]]}"#,
    );
    refused(
        TOML,
        &f,
        "line.geojson#/coordinates",
        "this line has no length",
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text at all as the agreement: an answer, never a panic.
        #[test]
        fn any_toml_text(text in "\\PC{0,400}") {
            let _ = check(&text, &files());
        }

        /// The valid agreement with one line replaced by anything.
        #[test]
        fn any_line_of_the_toml(line in 0usize..40, text in "\\PC{0,60}") {
            let mut lines: Vec<String> = TOML.lines().map(str::to_string).collect();
            let i = line % lines.len();
            lines[i] = text;
            let _ = check(&lines.join("\n"), &files());
        }

        /// A geometry file cut short or with one character changed.
        #[test]
        fn any_damage_to_a_geometry_file(which in 0usize..4, at in 0usize..200, ch in prop::char::any(), cut in prop::bool::ANY) {
            let (name, text) = [("a.geojson", A), ("b.geojson", B), ("line.geojson", LINE), ("square.geojson", SQUARE)][which];
            let mut chars: Vec<char> = text.chars().collect();
            let i = at % chars.len();
            if cut { chars.truncate(i) } else { chars[i] = ch }
            let damaged: String = chars.into_iter().collect();
            let _ = check(TOML, &with_file(name, &damaged));
        }

        /// Any JSON value in place of any number of a geometry.
        #[test]
        fn any_value_for_a_coordinate(nth in 0usize..20, v in prop_oneof![
            Just("null".to_string()), Just("\"x\"".to_string()), Just("[]".to_string()), Just("{}".to_string()),
            Just("1e400".to_string()), Just("-0".to_string()), Just("[1,2,3,4]".to_string()),
            any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(|x| x.to_string()),
        ]) {
            let mut count = 0;
            let damaged: String = A.split(',').map(|part| {
                count += 1;
                if count == nth + 1 { part.replacen(|c: char| c.is_ascii_digit(), &v, 1) } else { part.to_string() }
            }).collect::<Vec<_>>().join(",");
            let _ = check(TOML, &with_file("a.geojson", &damaged));
        }
    }
}
