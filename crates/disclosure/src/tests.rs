use serde_json::json;
use truceline_log::checkpoint::Checkpoint;
use truceline_log::note::{Algorithm, Signer};
use truceline_log::{Frontier, inclusion_proof};

use super::*;

/// The observation of the vector in docs/REFERENCE.md ("Selective disclosure"), computed
/// there independently (Python's hashlib and json) with the salts 0x01…01, 0x02…02, … given
/// to the fields in name order.
fn vector() -> (Value, Commitment) {
    let obs = json!({"id":"op3-0001","observer":"op3","source":"acoustic","time":"2026-11-24T10:04:31Z",
        "kind":"explosion","bearing_deg":212.5,"bearing_sigma_deg":1.5,
        "observer_position":{"lon":37.8,"lat":48.1}});
    let names: Vec<String> = obs.as_object().unwrap().keys().cloned().collect();
    let c = commit(obs.as_object().unwrap(), |name| {
        let k = names.iter().position(|n| n == name).unwrap() as u8 + 1;
        URL_SAFE_NO_PAD.encode([k; 16])
    });
    (obs, c)
}

#[test]
fn the_committed_form_is_the_documented_vector_byte_for_byte() {
    let (_, c) = vector();
    assert_eq!(
        String::from_utf8(c.disclosures["observer_position"].clone()).unwrap(),
        r#"["BgYGBgYGBgYGBgYGBgYGBg","observer_position",{"lat":48.1,"lon":37.8}]"#
    );
    assert_eq!(
        digest(&c.disclosures["bearing_deg"]),
        "80oVRMT9ePruwDtqK0NW552T__GaIv8QsORG8Jzlroc"
    );
    assert_eq!(
        String::from_utf8(c.committed.clone()).unwrap(),
        r#"{"commitment":"truceline-sd/1","fields":{"bearing_deg":"80oVRMT9ePruwDtqK0NW552T__GaIv8QsORG8Jzlroc","bearing_sigma_deg":"nZqogWnTcYyL3FouBsnFabtmAUlkGIaFxIVwEnZGPqk","id":"CYL78BppQXBKzkXBFG-BmB3WJjkqJ2cV2vkh4hXtoso","kind":"W0PpXvLJzQhfw4GyeOmieoAOBZgt6BjjG_zPSCXCulA","observer":"MlvMjfj1vz-BK0EOpjnYBjh8uJIFzVnZhsN5SEgoLE0","observer_position":"eI19cYpjeaeOvf1QTn1v2pOUSrb1sAztMAfEtlgWPsk","source":"NmBL9E_OjagoYZxfgA9POaiD5ocY3-uSke7e3WG0IHk","time":"0V7O5fAugJL1txQaInoWcYT_PEek5uzHNBf5JhKeZ5g"}}"#
    );
    assert_eq!(
        STANDARD.encode(leaf_hash(&c.committed)),
        "PuAs25zvYJGaGlXcdSXAa4rr3xdxkmas1W+3x2Gea6c="
    );
    assert_eq!(new_salt().len(), 22);
    assert_ne!(new_salt(), new_salt());
}

/// A log of three committed observations and the evidence of the middle one, as a liaison
/// would get it: everything but what SPEC 4.2 withholds.
fn evidence() -> (Signer, Evidence, Commitment) {
    let signer = Signer::from_seed("example.org/log", Algorithm::Ed25519, [5; 32]).unwrap();
    let (obs, c) = vector();
    let other = |id: &str| {
        let mut o = obs.clone();
        o["id"] = json!(id);
        commit(o.as_object().unwrap(), |_| new_salt()).committed
    };
    let leaves = [other("a"), c.committed.clone(), other("b")];
    let mut tree = Frontier::default();
    let mut stored = Vec::new();
    for l in &leaves {
        stored.extend(tree.append(leaf_hash(l)));
    }
    let cp = Checkpoint {
        origin: "example.org/log".into(),
        size: 3,
        root: tree.root(),
    };
    let doc = Evidence {
        checkpoint: signer.sign_note(&cp.text()).unwrap(),
        items: vec![Item::new(
            1,
            &c,
            |n| !WITHHELD_OUTSIDE.contains(&n),
            &inclusion_proof(1, 3, &stored).unwrap(),
        )],
        uncommitted: vec![],
    };
    (signer, doc, c)
}

#[test]
fn a_liaisons_evidence_verifies_and_shows_what_was_heard_but_not_who_heard_it() {
    let (signer, doc, _) = evidence();
    let (cp, shown) = verify(&doc, &signer.verifier()).unwrap();
    assert_eq!(cp.checkpoint.size, 3);
    let item = &shown[0];
    assert_eq!(item.fields["bearing_deg"], json!(212.5));
    assert_eq!(item.fields["time"], json!("2026-11-24T10:04:31Z"));
    assert_eq!(item.withheld, ["id", "observer", "observer_position"]);
    let text = serde_json::to_string(&doc).unwrap();
    for secret in ["op3", "37.8", "48.1", "BgYGBgYGBgYGBgYGBgYGBg"] {
        assert!(!text.contains(secret), "{secret} is in the evidence");
    }
}

#[test]
fn tampered_evidence_is_refused_naming_what_is_wrong() {
    let (signer, doc, c) = evidence();
    let key = signer.verifier();
    let err = |d: &Evidence| verify(d, &key).unwrap_err().to_string();

    // A disclosed value changed: its digest is no longer committed.
    let mut d = doc.clone();
    let (salt, name, _) = {
        let raw = URL_SAFE_NO_PAD.decode(&d.items[0].disclosures[0]).unwrap();
        let v: Value = serde_json::from_slice(&raw).unwrap();
        (v[0].clone(), v[1].clone(), v[2].clone())
    };
    d.items[0].disclosures[0] =
        URL_SAFE_NO_PAD.encode(serde_jcs::to_vec(&json!([salt, name, 99.0])).unwrap());
    assert!(
        err(&d).contains("its digest is not one the committed form holds"),
        "{}",
        err(&d)
    );

    // Two digests swapped in the committed form: the leaf is not the logged one.
    let mut d = doc.clone();
    let f = d.items[0].committed["fields"].as_object_mut().unwrap();
    let (a, b) = (f["bearing_deg"].clone(), f["time"].clone());
    f.insert("bearing_deg".into(), b);
    f.insert("time".into(), a);
    assert!(
        err(&d).contains("inclusion proof does not lead"),
        "{}",
        err(&d)
    );

    // A disclosure under another field's digest: named as such.
    let mut d = doc.clone();
    let mut bytes = c.disclosures["bearing_deg"].clone();
    let forged = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("bearing_deg", "kind");
    bytes = forged.into_bytes();
    d.items[0].disclosures.push(URL_SAFE_NO_PAD.encode(&bytes));
    assert!(err(&d).contains("disclosure"), "{}", err(&d));

    // A field added to the committed form, or a disclosure of a field never committed.
    let mut d = doc.clone();
    d.items[0].committed["fields"]["party"] = json!(digest(b"x"));
    assert!(
        err(&d).contains("inclusion proof does not lead"),
        "{}",
        err(&d)
    );
    let mut d = doc.clone();
    d.items[0]
        .disclosures
        .push(URL_SAFE_NO_PAD.encode(disclosure(&new_salt(), "party", &json!("ua"))));
    assert!(
        err(&d).contains("not one the committed form holds"),
        "{}",
        err(&d)
    );

    // The same field disclosed twice; a non-canonical disclosure; another commitment tag.
    let mut d = doc.clone();
    let first = d.items[0].disclosures[0].clone();
    d.items[0].disclosures.push(first);
    assert!(err(&d).contains("disclosed twice"), "{}", err(&d));
    let mut d = doc.clone();
    d.items[0].committed["commitment"] = json!("truceline-sd/2");
    assert!(err(&d).contains("committed form is not"), "{}", err(&d));

    // Another leaf's index, another checkpoint signer.
    let mut d = doc.clone();
    d.items[0].log_index = 0;
    assert!(err(&d).contains("leaf 0"), "{}", err(&d));
    let other = Signer::from_seed("example.org/log", Algorithm::Ed25519, [6; 32]).unwrap();
    assert!(
        verify(&doc, &other.verifier())
            .unwrap_err()
            .to_string()
            .starts_with("checkpoint")
    );
}

/// The store's path (`canonical_commit`, over the canonical bytes) and the general one
/// (`commit`, over a parsed map) agree byte for byte, disclosures and committed form, on the
/// documented vector.
#[test]
fn committing_canonical_bytes_is_committing_the_parsed_object() {
    let (obs, c) = vector();
    let body = truceline_observation::canonical::to_vec(&obs).unwrap();
    let salts: Vec<u8> = (1..=obs.as_object().unwrap().len() as u8)
        .flat_map(|k| [k; 16])
        .collect();
    assert_eq!(canonical_commit(&body, &salts, true).unwrap(), c);
    // Only the committed form when the disclosures are not asked for.
    let lean = canonical_commit(&body, &salts, false).unwrap();
    assert_eq!((lean.committed, lean.disclosures.len()), (c.committed, 0));
    // Salts that do not fit, and bodies that are not one canonical object, are refused.
    assert!(canonical_commit(&body, &salts[1..], false).is_err());
    for bad in [
        &b"[1,2]"[..],
        b"{\"a\":1,}",
        b"{\"a\"1}",
        b"{\"a\":}",
        b"{\"a\":[1}",
        b"{\"a\":\"x}",
    ] {
        assert!(
            canonical_commit(bad, &[0; 16], false).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        // Quotes, backslashes, commas, brackets, controls and non-ASCII inside strings.
        "[a-z\"\\\\,:{}\\[\\]\u{0}-\u{1f}é€😀 ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z\"\\\\,:é ]{0,6}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn any_canonical_object_commits_alike_both_ways(
        fields in proptest::collection::btree_map("[a-z_\"\\\\,:é{} ]{1,8}", json_value(), 0..10),
        seed in proptest::prelude::any::<u8>(),
    ) {
        let map: Map<String, Value> = fields.into_iter().collect();
        let body = truceline_observation::canonical::to_vec(&Value::Object(map.clone())).unwrap();
        // The canonical order of the names is the order of the salts.
        let names: Vec<String> = {
            let parsed: Map<String, Value> = serde_json::from_slice(&body).unwrap();
            parsed.keys().cloned().collect()
        };
        let salt_of = |k: usize| [seed.wrapping_add(k as u8); 16];
        let salts: Vec<u8> = (0..map.len()).flat_map(salt_of).collect();
        let fast = canonical_commit(&body, &salts, true).unwrap();
        let slow = commit(&map, |name| {
            salt_text(&salt_of(names.iter().position(|n| n == name).unwrap()))
        });
        proptest::prop_assert_eq!(fast, slow);
    }
}
