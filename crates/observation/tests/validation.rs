//! Every rule of the observation model, one refused observation each, with the field named and
//! the message checked; and the canonical form.

use proptest::prelude::*;
use serde_json::{Value, json};
use truceline_observation::{Kind, Vocabulary, parse, parse_value};

fn vocab() -> Vocabulary {
    Vocabulary::new(["ua", "ru"], ["tanks", "mlrs"])
}

/// A valid observation using every field.
fn good() -> Value {
    json!({
        "id": "op3-0001",
        "observer": "op3",
        "source": "post",
        "time": "2026-11-24T10:00:00Z",
        "time_end": "2026-11-24T10:05:00Z",
        "observer_position": {"lon": 37.8, "lat": 48.1},
        "kind": "explosion",
        "subtype": "impact",
        "count": 3,
        "bearing_deg": 210.5,
        "bearing_sigma_deg": 5,
        "distance_m": {"min": 2000, "max": 4000},
        "location": {"lon": 37.79, "lat": 48.08, "uncertainty_m": 500},
        "weapon": "mlrs",
        "party": "ru",
        "notes": "three rounds heard",
        "media": [{"sha256": "a".repeat(64), "mime": "image/jpeg"}],
        "key_id": "op3-key",
        "signature": format!("{}==", "A".repeat(86)),
    })
}

fn with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut v = good();
    edit(v.as_object_mut().unwrap());
    v
}

#[test]
fn a_complete_observation_is_accepted() {
    let o = parse_value(good(), &vocab()).unwrap();
    assert_eq!(o.kind, Kind::Explosion);
    assert_eq!(o.count, 3);
    assert_eq!(o.bearing.unwrap().deg, 210.5);
    assert_eq!(o.weapon.as_deref(), Some("mlrs"));
    assert_eq!(o.position().lon, 37.79, "indexed by the event's location");
}

#[test]
fn bad_observations_are_refused_naming_the_field() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>;
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "missing id",
            Box::new(|m| {
                m.remove("id");
            }),
            "id",
            "required field is missing",
        ),
        (
            "empty id",
            Box::new(|m| {
                m.insert("id".into(), json!(""));
            }),
            "id",
            "expected 1 to 128 characters",
        ),
        (
            "id with a slash",
            Box::new(|m| {
                m.insert("id".into(), json!("a/b"));
            }),
            "id",
            "A-Z a-z 0-9",
        ),
        (
            "id too long",
            Box::new(|m| {
                m.insert("id".into(), json!("x".repeat(129)));
            }),
            "id",
            "a string of 129 characters",
        ),
        (
            "id a number",
            Box::new(|m| {
                m.insert("id".into(), json!(7));
            }),
            "id",
            "expected a string, found 7",
        ),
        (
            "missing observer",
            Box::new(|m| {
                m.remove("observer");
            }),
            "observer",
            "required",
        ),
        (
            "unknown source",
            Box::new(|m| {
                m.insert("source".into(), json!("drone"));
            }),
            "source",
            "unknown value \"drone\"; expected one of: patrol, post",
        ),
        (
            "missing time",
            Box::new(|m| {
                m.remove("time");
            }),
            "time",
            "required",
        ),
        (
            "time without offset",
            Box::new(|m| {
                m.insert("time".into(), json!("2026-11-24 10:00"));
            }),
            "time",
            "RFC 3339",
        ),
        (
            "time in year 26",
            Box::new(|m| {
                m.insert("time".into(), json!("0026-11-24T10:00:00Z"));
            }),
            "time",
            "between 1990 and 2100",
        ),
        (
            "time_end before time",
            Box::new(|m| {
                m.insert("time_end".into(), json!("2026-11-24T09:00:00Z"));
            }),
            "time_end",
            "expected a time after `time`",
        ),
        (
            "time_end a day later",
            Box::new(|m| {
                m.insert("time_end".into(), json!("2026-11-26T10:00:00Z"));
            }),
            "time_end",
            "at most 24 hours",
        ),
        (
            "missing kind",
            Box::new(|m| {
                m.remove("kind");
            }),
            "kind",
            "required",
        ),
        (
            "unknown kind",
            Box::new(|m| {
                m.insert("kind".into(), json!("boom"));
            }),
            "kind",
            "expected one of: explosion, projectile",
        ),
        (
            "subtype on a burst",
            Box::new(|m| {
                m.insert("kind".into(), json!("burst"));
            }),
            "subtype",
            "only for kind \"explosion\"",
        ),
        (
            "unknown subtype",
            Box::new(|m| {
                m.insert("subtype".into(), json!("incoming"));
            }),
            "subtype",
            "impact, airburst, outgoing, undetermined",
        ),
        (
            "count zero",
            Box::new(|m| {
                m.insert("count".into(), json!(0));
            }),
            "count",
            "whole number from 1",
        ),
        (
            "count fractional",
            Box::new(|m| {
                m.insert("count".into(), json!(2.5));
            }),
            "count",
            "found 2.5",
        ),
        (
            "bearing over 360",
            Box::new(|m| {
                m.insert("bearing_deg".into(), json!(400));
            }),
            "bearing_deg",
            "from 0 to 360",
        ),
        (
            "bearing negative",
            Box::new(|m| {
                m.insert("bearing_deg".into(), json!(-1));
            }),
            "bearing_deg",
            "from 0 to 360",
        ),
        (
            "bearing as text",
            Box::new(|m| {
                m.insert("bearing_deg".into(), json!("SW"));
            }),
            "bearing_deg",
            "found the string \"SW\"",
        ),
        (
            "sigma zero",
            Box::new(|m| {
                m.insert("bearing_sigma_deg".into(), json!(0));
            }),
            "bearing_sigma_deg",
            "above 0",
        ),
        (
            "bearing without sigma",
            Box::new(|m| {
                m.remove("bearing_sigma_deg");
            }),
            "bearing_sigma_deg",
            "required with `bearing_deg`",
        ),
        (
            "sigma without bearing",
            Box::new(|m| {
                m.remove("bearing_deg");
            }),
            "bearing_deg",
            "required with `bearing_sigma_deg`",
        ),
        (
            "bearing without observer position",
            Box::new(|m| {
                m.remove("observer_position");
            }),
            "observer_position",
            "required with `bearing_deg`",
        ),
        (
            "observer longitude out of range",
            Box::new(|m| {
                m.insert("observer_position".into(), json!({"lon": 190, "lat": 48}));
            }),
            "observer_position.lon",
            "from -180 to 180",
        ),
        (
            "observer latitude missing",
            Box::new(|m| {
                m.insert("observer_position".into(), json!({"lon": 37}));
            }),
            "observer_position.lat",
            "required",
        ),
        (
            "observer position extra key",
            Box::new(|m| {
                m.insert(
                    "observer_position".into(),
                    json!({"lon": 37, "lat": 48, "alt": 3}),
                );
            }),
            "observer_position.alt",
            "expected only: lon, lat",
        ),
        (
            "location latitude out of range",
            Box::new(|m| {
                m.insert(
                    "location".into(),
                    json!({"lon": 37, "lat": -91, "uncertainty_m": 10}),
                );
            }),
            "location.lat",
            "from -90 to 90",
        ),
        (
            "location without uncertainty",
            Box::new(|m| {
                m.insert("location".into(), json!({"lon": 37, "lat": 48}));
            }),
            "location.uncertainty_m",
            "required",
        ),
        (
            "uncertainty negative",
            Box::new(|m| {
                m.insert(
                    "location".into(),
                    json!({"lon": 37, "lat": 48, "uncertainty_m": -5}),
                );
            }),
            "location.uncertainty_m",
            "above 0",
        ),
        (
            "distance max below min",
            Box::new(|m| {
                m.insert("distance_m".into(), json!({"min": 5000, "max": 4000}));
            }),
            "distance_m.max",
            "at least `min`",
        ),
        (
            "distance as a number",
            Box::new(|m| {
                m.insert("distance_m".into(), json!(3000));
            }),
            "distance_m",
            "expected an object",
        ),
        (
            "nowhere",
            Box::new(|m| {
                for k in [
                    "location",
                    "observer_position",
                    "bearing_deg",
                    "bearing_sigma_deg",
                    "distance_m",
                ] {
                    m.remove(k);
                }
            }),
            "location",
            "must say where",
        ),
        (
            "unknown weapon",
            Box::new(|m| {
                m.insert("weapon".into(), json!("howitzer"));
            }),
            "weapon",
            "unknown weapon class \"howitzer\"; expected one of the agreement's: mlrs, small_arms, tanks, unknown",
        ),
        (
            "unknown party",
            Box::new(|m| {
                m.insert("party".into(), json!("rus"));
            }),
            "party",
            "unknown party \"rus\"; expected one of the agreement's: ru, ua",
        ),
        (
            "notes too long",
            Box::new(|m| {
                m.insert("notes".into(), json!("n".repeat(4001)));
            }),
            "notes",
            "at most 4000 characters, found 4001",
        ),
        (
            "media bad digest",
            Box::new(|m| {
                m.insert(
                    "media".into(),
                    json!([{"sha256": "xyz", "mime": "image/jpeg"}]),
                );
            }),
            "media[0].sha256",
            "64 lower-case hexadecimal",
        ),
        (
            "media bad mime",
            Box::new(|m| {
                m.insert(
                    "media".into(),
                    json!([{"sha256": "b".repeat(64), "mime": "jpeg"}]),
                );
            }),
            "media[0].mime",
            "media type",
        ),
        (
            "signature without key",
            Box::new(|m| {
                m.remove("key_id");
            }),
            "key_id",
            "required with `signature`",
        ),
        (
            "signature not base64",
            Box::new(|m| {
                m.insert("signature".into(), json!("abc"));
            }),
            "signature",
            "88 characters",
        ),
        (
            "unknown field",
            Box::new(|m| {
                m.insert("bearing".into(), json!(3));
            }),
            "bearing",
            "unknown field; expected one of: id, observer",
        ),
        (
            "null for a string",
            Box::new(|m| {
                m.insert("observer".into(), Value::Null);
            }),
            "observer",
            "expected a string, found null",
        ),
    ];
    assert!(cases.len() >= 20);
    let mut fields = std::collections::BTreeSet::new();
    for (what, edit, field, message) in cases {
        let err =
            parse_value(with(edit), &vocab()).expect_err(&format!("{what}: should be refused"));
        assert_eq!(err.field, field, "{what}: {err}");
        assert!(
            err.message.contains(message),
            "{what}: message {:?} should contain {message:?}",
            err.message
        );
        fields.insert(field);
    }
    assert!(
        fields.len() >= 20,
        "distinct fields named: {}",
        fields.len()
    );
}

/// What JSON allows but a record of fact must not hold: a key given twice (which one did the
/// sender mean?), an escaped control character, a path-like id.
#[test]
fn repeated_keys_control_characters_and_dot_ids_are_refused() {
    let text = serde_json::to_string(&good()).unwrap();
    let twice = text.replacen(r#""id":"#, r#""id":"first","id":"#, 1);
    let e = parse(twice.as_bytes(), &vocab()).unwrap_err();
    assert_eq!(e.field, "id", "{e}");
    assert!(e.message.contains("twice"), "{e}");
    let nested = text.replacen(r#""lat":"#, r#""lat":1,"lat":"#, 1);
    let e = parse(nested.as_bytes(), &vocab()).unwrap_err();
    assert!(e.field.ends_with(".lat"), "{e}");
    for c in ["\\u0000", "\\u001b", "\\u0085"] {
        let bad = text.replacen("three rounds heard", &format!("three{c}rounds"), 1);
        let e = parse(bad.as_bytes(), &vocab()).unwrap_err();
        assert_eq!(e.field, "notes", "{c}: {e}");
    }
    let ok = text.replacen("three rounds heard", "three rounds\\nheard\\tthen quiet", 1);
    assert!(parse(ok.as_bytes(), &vocab()).is_ok());
    for id in [".", ".."] {
        let e = parse_value(
            with(|m| {
                m.insert("id".into(), json!(id));
            }),
            &vocab(),
        )
        .unwrap_err();
        assert_eq!(e.field, "id", "{id}: {e}");
    }
    assert!(
        parse_value(
            with(|m| {
                m.insert("id".into(), json!("a..b"));
            }),
            &vocab()
        )
        .is_ok()
    );
}

#[test]
fn not_an_object_and_not_json_are_refused() {
    let e = parse(b"[1,2]", &vocab()).unwrap_err();
    assert!(
        e.message.contains("expected a JSON object, found an array"),
        "{e}"
    );
    let e = parse(b"{\"id\": ", &vocab()).unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{e}");
}

#[test]
fn reserved_weapon_ids_are_always_known() {
    for w in ["small_arms", "unknown"] {
        let v = with(|m| {
            m.insert("weapon".into(), json!(w));
        });
        assert!(parse_value(v, &vocab()).is_ok(), "{w}");
    }
}

#[test]
fn canonical_form_ignores_key_order_and_number_spelling() {
    let a = br#"{"id":"a1","observer":"o","time":"2026-11-24T10:00:00Z","kind":"shot","location":{"lon":37.5,"lat":48,"uncertainty_m":10.0}}"#;
    let b = br#"{ "location": {"uncertainty_m": 1e1, "lat": 48.0, "lon": 37.50}, "kind": "shot",
                  "time": "2026-11-24T10:00:00Z", "observer": "o", "id": "a1" }"#;
    let (a, b) = (parse(a, &vocab()).unwrap(), parse(b, &vocab()).unwrap());
    assert_eq!(a.canonical, b.canonical);
    assert_eq!(
        String::from_utf8(a.canonical).unwrap(),
        r#"{"id":"a1","kind":"shot","location":{"lat":48,"lon":37.5,"uncertainty_m":10},"observer":"o","time":"2026-11-24T10:00:00Z"}"#
    );
}

proptest! {
    /// Any bearing in range with any positive sigma is accepted and kept exactly.
    #[test]
    fn bearings_in_range_are_kept(deg in 0.0f64..=360.0, sigma in 0.001f64..=180.0) {
        let v = with(|m| { m.insert("bearing_deg".into(), json!(deg)); m.insert("bearing_sigma_deg".into(), json!(sigma)); });
        let o = parse_value(v, &vocab()).unwrap();
        prop_assert_eq!(o.bearing.unwrap().deg, deg);
    }

    /// Arbitrary bytes never panic the parser; they are accepted or refused with a message.
    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes, &vocab());
    }

    /// Random edits of a valid observation never panic and, when refused, name a field of it.
    #[test]
    fn damaged_observations_name_a_field(key in proptest::sample::select(vec!["id","observer","time","time_end","kind","count","bearing_deg","distance_m","location","weapon","media"]),
                                         junk in prop_oneof![Just(json!(null)), Just(json!(-1)), Just(json!("")), Just(json!([])), Just(json!({})), Just(json!(1e300))]) {
        let v = with(|m| { m.insert(key.into(), junk); });
        if let Err(e) = parse_value(v, &vocab()) {
            prop_assert!(e.field.starts_with(key) || e.field == "location" || e.field == "bearing_sigma_deg", "{} for {}", e, key);
        }
    }
}
