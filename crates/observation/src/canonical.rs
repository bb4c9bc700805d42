//! RFC 8785 JSON Canonicalization Scheme (JCS) for `serde_json` values.
//!
//! The canonical form is what is stored, compared for idempotent re-sends and logged, so it is
//! on the hot path of every accepted observation. Written here rather than taken from
//! `serde_jcs` because that crate allocates a UTF-16 copy of every key and goes through a
//! generic formatter: it was half the cost of reading an observation. Its output is the
//! reference this module is tested against.
//!
//! The rules: object members sorted by their keys' UTF-16 code units; no insignificant
//! whitespace; strings escaped as JSON requires and no more (`serde_json`'s escaping is
//! exactly that); numbers as ECMAScript's `Number.prototype.toString` writes the IEEE double.
//!
//! ```
//! use serde_json::json;
//! let v = json!({"b": [1.0, 1e21, -0.0], "a": "é\n"});
//! let c = truceline_observation::canonical::to_vec(&v).unwrap();
//! assert_eq!(String::from_utf8(c).unwrap(), "{\"a\":\"é\\n\",\"b\":[1,1e+21,0]}");
//! ```

use serde_json::{Map, Value};

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("the number {0} is not a finite IEEE double")]
    NotFinite(String),
}

/// The RFC 8785 canonical bytes of `v`.
pub fn to_vec(v: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, v)?;
    Ok(out)
}

fn write(out: &mut Vec<u8>, v: &Value) -> Result<(), CanonicalError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let x = n
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| CanonicalError::NotFinite(n.to_string()))?;
            number(out, x);
        }
        Value::String(s) => string(out, s),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, x)?;
            }
            out.push(b']');
        }
        Value::Object(m) => object(out, m)?,
    }
    Ok(())
}

/// A finite number as ECMAScript writes it.
pub(crate) fn number(out: &mut Vec<u8>, x: f64) {
    let mut buf = ryu_js::Buffer::new();
    out.extend_from_slice(buf.format_finite(x).as_bytes());
}

pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec does not fail");
}

fn object(out: &mut Vec<u8>, m: &Map<String, Value>) -> Result<(), CanonicalError> {
    out.push(b'{');
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    // UTF-8 byte order is code point order, which is UTF-16 order except where a character
    // beyond U+FFFF meets one from U+E000 to U+FFFF; only then compare as UTF-16.
    if m.keys().any(|k| k.chars().any(|c| c > '\u{D7FF}')) {
        entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    } else {
        entries.sort_by(|a, b| a.0.cmp(b.0));
    }
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, k);
        out.push(b':');
        write(out, v)?;
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(Value::from),
            (-1e6f64..1e6).prop_map(|x| Value::from((x * 1000.0).round() / 1000.0)),
            "\\PC*".prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Byte for byte what the `serde_jcs` reference writes, for any JSON value.
        #[test]
        fn matches_the_reference(v in value()) {
            prop_assert_eq!(to_vec(&v).unwrap(), serde_jcs::to_vec(&v).unwrap());
        }
    }

    #[test]
    fn rfc_8785_examples() {
        // Numbers from the RFC's appendix B, as IEEE doubles.
        for (x, s) in [
            (0.0, "0"),
            (-0.0, "0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
            (1e21, "1e+21"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (333333333.3333333, "333333333.3333333"),
        ] {
            assert_eq!(to_vec(&Value::from(x)).unwrap(), s.as_bytes(), "{x}");
        }
        // Sorting by UTF-16 code units: U+1F600 (a surrogate pair, D83D…) sorts before U+FB33.
        let v: Value = serde_json::from_str(r#"{"\ufb33":1,"\ud83d\ude00":2,"a":3}"#).unwrap();
        assert_eq!(
            String::from_utf8(to_vec(&v).unwrap()).unwrap(),
            "{\"a\":3,\"\u{1F600}\":2,\"\u{FB33}\":1}"
        );
    }
}
