//! Every message of gpsd's AIS test files decoded as gpsd decodes it, field for field (the
//! files and gpsd's output for them are in `tests/data/gpsd`, BSD-2-Clause, see SOURCES.md).
//! Where gpsd writes the standard's "not available" value (longitude 181, heading 511, …) we
//! write nothing; where its daemon logs are unscaled, its numbers are scaled here first.

use serde_json::Value;
use truceline_ais::Decoder;

const DECODED: [u64; 12] = [1, 2, 3, 4, 5, 9, 11, 18, 19, 21, 24, 27];

fn data(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/gpsd")
            .join(name),
    )
    .unwrap()
}

/// Our messages for a file, and the lines refused with their reasons.
fn ours(input: &str) -> (Vec<Value>, Vec<(usize, String)>) {
    let mut d = Decoder::default();
    let (mut out, mut refused) = (Vec::new(), Vec::new());
    for (i, l) in input.lines().enumerate() {
        match d.line(l) {
            Ok(Some(m)) => out.push(serde_json::from_str(&m.to_json()).unwrap()),
            Ok(None) => {}
            Err(e) => refused.push((i + 1, e.to_string())),
        }
    }
    (out, refused)
}

/// gpsd's AIS objects in a `.chk` file. Its daemon logs interleave the input with what gpsd
/// printed: an AIS object right after a `!AIVDM` sentence is that sentence's decoding; one after
/// another kind of sentence (a GPS fix) is the last message reported again, left out here.
fn theirs(chk: &str) -> Vec<Value> {
    let sample = !chk.lines().any(|l| l.starts_with('!'));
    let mut out = Vec::new();
    let mut fresh = false;
    for l in chk.lines() {
        if !l.starts_with('{') {
            fresh = l.starts_with('!');
            continue;
        }
        let v: Value = serde_json::from_str(l).unwrap();
        if v["class"] == "AIS" && (sample || fresh) {
            out.push(scaled(v));
            fresh = false;
        }
    }
    out
}

/// gpsd's unscaled numbers (its daemon's default) in the units of its scaled output.
fn scaled(mut v: Value) -> Value {
    if v["scaled"] != false {
        return v;
    }
    let t = v["type"].as_u64().unwrap();
    let o = v.as_object_mut().unwrap();
    let div = |o: &mut serde_json::Map<String, Value>, k: &str, d: f64| {
        if let Some(x) = o.get(k).and_then(Value::as_f64) {
            o.insert(k.into(), (x / d).into());
        }
    };
    let ll = if t == 27 { 600.0 } else { 600_000.0 };
    div(o, "lon", ll);
    div(o, "lat", ll);
    if !matches!(t, 9 | 27) {
        div(o, "speed", 10.0);
    }
    if t != 27 {
        div(o, "course", 10.0);
    }
    div(o, "draught", 10.0);
    if let Some(r) = o.get("turn").and_then(Value::as_i64) {
        let turn: Value = match r {
            -128 => "n/a".into(),
            127 => "fastright".into(),
            -127 => "fastleft".into(),
            r => {
                let x = r as f64 / 4.733;
                (x * x.abs()).into()
            }
        };
        o.insert("turn".into(), turn);
    }
    o.insert("scaled".into(), true.into());
    v
}

/// Whether gpsd's value is the standard's "not available" for that field and type.
fn not_available(t: u64, k: &str, v: &Value) -> bool {
    let f = v.as_f64();
    match k {
        "lon" => f == Some(181.0),
        "lat" => f == Some(91.0),
        "heading" => f == Some(511.0),
        "turn" => v == "n/a" || v == "nan",
        "alt" => f == Some(4095.0),
        "speed" => match t {
            9 => f == Some(1023.0),
            27 => f == Some(63.0),
            _ => f == Some(102.3),
        },
        "course" => match t {
            27 => f == Some(511.0),
            _ => f.is_some_and(|c| c >= 360.0),
        },
        _ => false,
    }
}

/// Compares gpsd's object with ours, field for field.
fn same(g: &Value, o: &Value) -> Result<(), String> {
    let t = g["type"].as_u64().unwrap();
    for (k, gv) in g.as_object().unwrap() {
        if matches!(k.as_str(), "class" | "device" | "scaled") {
            continue;
        }
        if !DECODED.contains(&t) && !matches!(k.as_str(), "type" | "repeat" | "mmsi") {
            continue;
        }
        // gpsd does not give a rate of turn's sign.
        let ov = &o[k];
        if not_available(t, k, gv) {
            if !ov.is_null() {
                return Err(format!("{k}: gpsd says not available ({gv}), we say {ov}"));
            }
            continue;
        }
        let ok = match (gv, ov) {
            (Value::String(a), Value::Number(b)) if k == "turn" => a
                .parse::<f64>()
                .is_ok_and(|a| (a - b.as_f64().unwrap().abs()).abs() < 0.01),
            (Value::Number(a), Value::Number(b)) if k == "turn" => {
                (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 0.01
            }
            (Value::Number(a), Value::Number(b)) => {
                // gpsd writes a long-range position with four decimals (its unit is 1/600°).
                let tolerance = if t == 27 { 1e-4 } else { 1e-6 };
                (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < tolerance
            }
            (a, b) => a == b,
        };
        if !ok {
            return Err(format!("{k}: gpsd {gv}, ours {ov}"));
        }
    }
    Ok(())
}

/// Decodes a file's sentences and finds each of gpsd's messages among ours, in order; returns
/// ours that gpsd does not give and the lines refused. gpsd's daemon logs (`.chk`) echo each
/// input line before what it decoded from it: their sentences are the input.
fn check(file: &str) -> (Vec<Value>, Vec<(usize, String)>) {
    let (input, chk) = if file == "sample.aivdm" {
        (data(file), data("sample.aivdm.js.chk"))
    } else {
        let chk = data(&format!("{file}.chk"));
        let input = chk
            .lines()
            .filter(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n");
        (input, chk)
    };
    let (ours, refused) = ours(&input);
    let theirs = theirs(&chk);
    let mut extra = Vec::new();
    let mut at = 0;
    let mut failures = Vec::new();
    for g in &theirs {
        let key = |v: &Value| (v["type"].clone(), v["mmsi"].clone());
        let Some(k) = ours[at..].iter().position(|o| key(o) == key(g)) else {
            failures.push(format!("gpsd's {g} is not among ours (from {at})"));
            continue;
        };
        extra.extend(ours[at..at + k].iter().cloned());
        if let Err(e) = same(g, &ours[at + k]) {
            failures.push(format!("{e}\n  gpsd {g}\n  ours {}", ours[at + k]));
        }
        at += k + 1;
    }
    extra.extend(ours[at..].iter().cloned());
    assert!(
        failures.is_empty(),
        "{file}: {} of {} differ:\n{}",
        failures.len(),
        theirs.len(),
        failures.join("\n")
    );
    (extra, refused)
}

#[test]
fn the_sample_of_every_type_decodes_as_gpsd_decodes_it() {
    let (extra, refused) = check("sample.aivdm");
    assert!(extra.is_empty(), "{extra:?}");
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn a_receivers_mixed_stream_decodes_as_gpsd_decodes_it() {
    let (extra, refused) = check("ais-nmea.log");
    assert!(extra.is_empty(), "{extra:?}");
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn class_b_and_long_range_decode_as_gpsd_and_bad_type_24_parts_are_refused() {
    let (extra, refused) = check("ais-18-27.log");
    assert!(extra.is_empty(), "{extra:?}");
    // The file's type 24 parts B carry part number 3, which does not exist; gpsd drops them
    // too (and so never has their parts A to report).
    assert!(!refused.is_empty());
    for (line, reason) in &refused {
        assert_eq!(
            reason, "type 24: part number 3: only A (0) and B (1) exist",
            "line {line}"
        );
    }
}

#[test]
fn malformed_lines_are_refused_with_a_reason() {
    let mut d = Decoder::default();
    for (line, reason) in [
        (
            "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B",
            "checksum",
        ),
        ("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0", "checksum"),
        ("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g2{8CQ,0*01", "payload"),
        ("!AIVDM,1,1,,A,15RTgt0,0*07", "type 1"),
        ("!AIVDM,2,3,,A,15RTgt0,0*06", "number"),
        (
            "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,7*4D",
            "fill bits",
        ),
    ] {
        let e = d.line(line).unwrap_err().to_string();
        assert!(e.starts_with(reason), "{line}: {e}");
    }
}
