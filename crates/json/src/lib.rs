//! Strict JSON: what `serde_json` accepts, less what a record of fact must not hold.
//!
//! JSON lets an object name a key twice and leaves the meaning to the reader; `serde_json`
//! keeps the last. A sender (or a proxy between it and us) that reads the first would believe
//! it sent something other than what we stored, so a repeated key is refused, naming it. Escaped
//! control characters (`\u0000`, `\u001b`) are valid JSON too, but in a note they hide text
//! from a terminal or a log viewer and truncate C strings: refused, except tab, line feed and
//! carriage return, which free text needs.
//!
//! ```
//! let v = truceline_json::from_slice(br#"{"a": {"b": 1}}"#).unwrap();
//! assert_eq!(v["a"]["b"], 1);
//! let e = truceline_json::from_slice(br#"{"a": {"b": 1, "b": 2}}"#).unwrap_err();
//! assert_eq!(e.path, "a.b");
//! ```

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a text was refused, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("`{path}`: ") })]
pub struct JsonError {
    /// Where: keys joined by `.`, array positions as `[i]`; empty for the text as a whole.
    pub path: String,
    /// The same place as an RFC 6901 JSON pointer (`/a/b/1`).
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
}

impl JsonError {
    /// The place to name as the field at fault: the path, or `whole` for the text as a whole.
    pub fn field_or<'a>(&'a self, whole: &'a str) -> &'a str {
        if self.path.is_empty() {
            whole
        } else {
            &self.path
        }
    }
}

/// Most nesting a text may have (serde_json's own recursion limit is 128).
pub const MAX_DEPTH: usize = 64;

/// Reads one JSON value strictly: trailing text, a repeated key, a control character other
/// than tab, line feed and carriage return (in a key or a string), or nesting deeper than
/// [`MAX_DEPTH`] is refused.
pub fn from_slice(text: &[u8]) -> Result<Value, JsonError> {
    let fault = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(text);
    let seed = Seed {
        at: None,
        depth: 0,
        fault: &fault,
    };
    let read = seed.deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    read.map_err(|e| {
        fault.into_inner().unwrap_or_else(|| JsonError {
            path: String::new(),
            pointer: String::new(),
            message: format!("not valid JSON ({e})"),
        })
    })
}

/// Reads a `T` from strict JSON; a field `T` refuses is named as serde names it.
pub fn from_slice_as<T: serde::de::DeserializeOwned>(text: &[u8]) -> Result<T, JsonError> {
    let v = from_slice(text)?;
    serde_json::from_value(v).map_err(|e| {
        let message = e.to_string();
        // serde names an unknown, missing or repeated field in backquotes.
        let path = message.split('`').nth(1).unwrap_or_default().to_string();
        JsonError {
            pointer: if path.is_empty() {
                path.clone()
            } else {
                format!("/{path}")
            },
            path,
            message,
        }
    })
}

/// Where a value sits, as a list from it up to the root (no allocation while all is well).
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

struct At<'a> {
    step: Step<'a>,
    up: Option<&'a At<'a>>,
}

/// The place as a dotted path and as a JSON pointer, `last` (a key) appended when given.
fn place(at: Option<&At>, last: Option<&str>) -> (String, String) {
    let mut steps = Vec::new();
    let mut cur = at;
    while let Some(a) = cur {
        steps.push(&a.step);
        cur = a.up;
    }
    let last = last.map(Step::Key);
    let (mut path, mut pointer) = (String::new(), String::new());
    for step in steps.into_iter().rev().chain(last.as_ref()) {
        match step {
            Step::Key(k) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Step::Index(i) => {
                path.push_str(&format!("[{i}]"));
                pointer.push_str(&format!("/{i}"));
            }
        }
    }
    (path, pointer)
}

#[derive(Clone, Copy)]
struct Seed<'a> {
    at: Option<&'a At<'a>>,
    depth: usize,
    fault: &'a RefCell<Option<JsonError>>,
}

impl Seed<'_> {
    fn refuse<E: de::Error>(&self, last: Option<&str>, message: String) -> E {
        let e = E::custom(&message);
        let (path, pointer) = place(self.at, last);
        *self.fault.borrow_mut() = Some(JsonError {
            path,
            pointer,
            message,
        });
        e
    }

    fn text<E: de::Error>(&self, s: &str, key: Option<&str>) -> Result<(), E> {
        if let Some(c) = refused_char(s) {
            let shown = key.map(|k| k.escape_default().to_string());
            let what = if key.is_some() { "key" } else { "string" };
            return Err(self.refuse(
                shown.as_deref(),
                format!(
                    "the {what} holds the control character U+{:04X}; only tab, line feed and carriage return are accepted",
                    c as u32
                ),
            ));
        }
        Ok(())
    }

    fn deeper<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth >= MAX_DEPTH {
            return Err(self.refuse(None, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(self.depth + 1)
    }
}

/// The first character strict reading refuses in a string or a key: a C0 control but tab,
/// line feed and carriage return; DEL; a C1 control.
///
/// ```
/// assert_eq!(truceline_json::refused_char("a\u{9b}b"), Some('\u{9b}'));
/// assert_eq!(truceline_json::refused_char("línea\t1\n"), None);
/// ```
pub fn refused_char(s: &str) -> Option<char> {
    // By bytes: every string of every observation passes here. In UTF-8 a C1 control is 0xC2
    // followed by 0x80..=0x9F, and 0xC2 always starts a character.
    let b = s.as_bytes();
    let at = b.iter().enumerate().position(|(i, &c)| {
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            || c == 0x7f
            || (c == 0xC2 && matches!(b.get(i + 1), Some(0x80..=0x9F)))
    })?;
    s[at..].chars().next()
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.text(v, None)?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.text(&v, None)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.deeper()?;
        let mut out = Vec::new();
        loop {
            let at = At {
                step: Step::Index(out.len()),
                up: self.at,
            };
            let seed = Seed {
                at: Some(&at),
                depth,
                fault: self.fault,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let depth = self.deeper()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.text(&key, Some(&key))?;
            if out.contains_key(&key) {
                return Err(self.refuse(
                    Some(&key),
                    "the key is given twice; each may appear once".to_string(),
                ));
            }
            let at = At {
                step: Step::Key(&key),
                up: self.at,
            };
            let seed = Seed {
                at: Some(&at),
                depth,
                fault: self.fault,
            };
            let v = map.next_value_seed(seed)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_repeated_key_is_named_with_its_path() {
        let e = from_slice(br#"{"id":"a","id":"b"}"#).unwrap_err();
        assert_eq!(e.path, "id");
        assert!(e.message.contains("twice"), "{e}");
        let e = from_slice(br#"{"media":[{"url":"x"},{"url":"y","url":"z"}]}"#).unwrap_err();
        assert_eq!(e.path, "media[1].url");
        assert_eq!(e.pointer, "/media/1/url");
        // The same key in two objects is no repetition.
        assert!(from_slice(br#"{"a":{"x":1},"b":{"x":1}}"#).is_ok());
    }

    #[test]
    fn escaped_control_characters_are_refused_but_tab_and_newlines_kept() {
        for bad in [
            r#"{"notes":"a\u0000b"}"#,
            r#"{"notes":"\u001b[31m"}"#,
            r#"{"notes":"\u009b"}"#,
            r#"{"notes":"\u007f"}"#,
        ] {
            let e = from_slice(bad.as_bytes()).unwrap_err();
            assert_eq!(e.path, "notes", "{bad}");
            assert!(e.message.contains("U+00"), "{e}");
        }
        let e = from_slice(br#"{"a\u0007":1}"#).unwrap_err();
        assert_eq!(e.path, "a\\u{7}");
        let v = from_slice(br#"{"notes":"line 1\nline 2\tand\r"}"#).unwrap();
        assert_eq!(v["notes"], "line 1\nline 2\tand\r");
    }

    #[test]
    fn syntax_errors_and_trailing_text_and_depth() {
        let e = from_slice(b"{\"a\":1} x").unwrap_err();
        assert!(
            e.path.is_empty() && e.message.starts_with("not valid JSON"),
            "{e}"
        );
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = from_slice(deep.as_bytes()).unwrap_err();
        assert!(e.message.contains("deeper"), "{e}");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(from_slice(ok.as_bytes()).is_ok());
    }

    #[test]
    fn typed_reading_names_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Reply {
            text: String,
        }
        assert_eq!(
            from_slice_as::<Reply>(br#"{"text":"a","text":"b"}"#)
                .unwrap_err()
                .path,
            "text"
        );
        assert_eq!(
            from_slice_as::<Reply>(br#"{"txt":"a"}"#).unwrap_err().path,
            "txt"
        );
        assert_eq!(
            from_slice_as::<Reply>(br#"{"text":"a"}"#).unwrap().text,
            "a"
        );
    }

    proptest! {
        /// The byte scan finds the character a scan by characters finds.
        #[test]
        fn refused_char_agrees_with_characters(s in "\\PC{0,6}|[\\x00-\\u{a0}é]{0,8}") {
            let by_char = s.chars().find(|&c| {
                (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || ('\u{7f}'..='\u{9f}').contains(&c)
            });
            prop_assert_eq!(refused_char(&s), by_char);
        }

        /// On text serde_json reads, strict reading gives the same value unless it refuses, and
        /// it refuses only for a repeated key or a control character.
        #[test]
        fn agrees_with_serde_json(v in arb_value()) {
            let text = serde_json::to_vec(&v).unwrap();
            match from_slice(&text) {
                Ok(strict) => prop_assert_eq!(strict, v),
                Err(e) => prop_assert!(e.message.contains("control character"), "{}", e),
            }
        }
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::json!(f)),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
