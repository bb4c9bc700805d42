//! What each fuzz target does with its input, and the property it checks: never a panic, and
//! what is accepted reads back the same. `fuzz/fuzz_targets/*.rs` call these under libFuzzer
//! (`scripts/fuzz.sh`); `tests/corpora.rs` replays every committed corpus file through them on
//! every `cargo test`, so a crash once found stays fixed.

use truceline_observation::Vocabulary;

/// A target's body.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/` and `fuzz/corpus/` name them.
pub const TARGETS: &[(&str, Target)] = &[
    ("strict_json", strict_json),
    ("observation_json", observation_json),
    ("record_json", record_json),
    ("cot_event", cot_event),
    ("ais_nmea", ais_nmea),
    ("sanctions_csv", sanctions_csv),
    ("ports_tsv", ports_tsv),
    ("detector_config", detector_config),
    ("agreement_toml", agreement_toml),
    ("agreement_geojson", agreement_geojson),
    ("import_csv", import_csv),
    ("import_ndjson", import_ndjson),
    ("import_geojson", import_geojson),
];

/// Strict JSON accepts only what `serde_json` accepts, and the same value; what it accepts
/// writes and reads back unchanged.
pub fn strict_json(data: &[u8]) {
    let Ok(v) = truceline_json::from_slice(data) else {
        return;
    };
    let loose: serde_json::Value =
        serde_json::from_slice(data).expect("strict accepted what serde_json refuses");
    assert_eq!(v, loose);
    let again = truceline_json::from_slice(&serde_json::to_vec(&v).unwrap())
        .expect("its own output is strict JSON");
    assert_eq!(v, again);
}

/// A Cursor on Target stream: the events framed from it are the same however it is split, an
/// event read is read again the same, and its observation (if it stands for one) is JSON the
/// observation parser answers without panicking.
pub fn cot_event(data: &[u8]) {
    let frames = |chunks: &[&[u8]]| {
        let mut f = truceline_cot::Framer::default();
        let mut out = Vec::new();
        for c in chunks {
            f.push(c);
            while let Ok(Some(e)) = f.next_event() {
                out.push(e);
            }
        }
        out
    };
    let whole = frames(&[data]);
    let cut = data.len() / 2;
    assert_eq!(
        whole,
        frames(&[&data[..cut], &data[cut..]]),
        "framing depends on the split"
    );
    for xml in whole {
        let Ok(ev) = truceline_cot::parse(&xml) else {
            continue;
        };
        assert_eq!(truceline_cot::parse(&xml).as_ref(), Ok(&ev));
        if let Ok(json) = truceline_cot::to_observation(&ev) {
            let _: serde_json::Value = serde_json::from_str(&json).expect("an observation as JSON");
            let _ = truceline_observation::parse(json.as_bytes(), &vocab());
        }
    }
}

/// An AIS receiver's stream: every line is decoded, refused with a reason or skipped, never a
/// panic; each message decoded writes JSON that reads back with its type and MMSI; and the
/// same stream decodes the same again.
pub fn ais_nmea(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let run = || {
        let mut d = truceline_ais::Decoder::default();
        let mut out = Vec::new();
        for line in text.lines() {
            match d.line(line) {
                Ok(Some(m)) => out.push(Ok(m.to_json())),
                Ok(None) => {}
                Err(e) => out.push(Err(e.to_string())),
            }
        }
        out
    };
    let first = run();
    for json in first.iter().flatten() {
        let v: serde_json::Value = serde_json::from_str(json).expect("a message as JSON");
        assert!(v["type"].is_u64() && v["mmsi"].is_u64(), "{json}");
    }
    assert_eq!(first, run(), "decoding depends on more than the input");
}

/// A sanctions list (OpenSanctions' maritime CSV layout): read or refused, never a panic; every
/// entry's IMO number (kept only with a valid check digit) and MMSIs find an entry that holds them.
pub fn sanctions_csv(data: &[u8]) {
    let Ok(list) = truceline_maritime::sanctions::List::parse(data) else {
        return;
    };
    for e in list.entries() {
        if let Some(imo) = e.imo {
            assert!(
                truceline_maritime::sanctions::imo_valid(imo),
                "{imo} kept with a bad check digit"
            );
            assert_eq!(list.by_imo(imo).and_then(|f| f.imo), Some(imo));
        }
        for &m in &e.mmsi {
            assert!(list.by_mmsi(m).is_some_and(|f| f.mmsi.contains(&m)), "{m}");
        }
    }
}

/// A mission's port list: read or refused, never a panic; every port read has a position on
/// the globe and is the nearest port to itself.
pub fn ports_tsv(data: &[u8]) {
    let Ok(ports) = truceline_maritime::ports::Ports::parse(&String::from_utf8_lossy(data)) else {
        return;
    };
    for i in 0..ports.len() {
        let p = ports.get(i);
        assert!(
            (-180.0..=180.0).contains(&p.lon) && (-90.0..=90.0).contains(&p.lat),
            "{p:?}"
        );
        let (_, d) = ports
            .nearest_within(p.lon, p.lat, 1.0)
            .expect("a port is near itself");
        assert!(d < 1.0, "{d}");
    }
}

/// Six hours of simulated traffic, decoded once: what each configuration is run over.
fn feed() -> &'static [truceline_ais::Decoded] {
    static FEED: std::sync::OnceLock<Vec<truceline_ais::Decoded>> = std::sync::OnceLock::new();
    FEED.get_or_init(|| {
        use truceline_maritime::simulate::{SimConfig, simulate};
        let cfg = SimConfig {
            seed: 5,
            hours: 6.0,
            vessels: 4,
            ..Default::default()
        };
        let mut d = truceline_ais::Decoder::default();
        let mut out = Vec::new();
        simulate(&cfg, |_, line| {
            if let Ok(Some(m)) = d.line(line) {
                out.push(m);
            }
        });
        out
    })
}

/// The behaviours' parameters (`ais detect --config`, JSON): refused naming a field, or run
/// over simulated traffic to the end without a panic, each behaviour ending no earlier than it
/// starts.
pub fn detector_config(data: &[u8]) {
    use truceline_maritime::{Detector, ports::Ports, sanctions::List, shore::Shore};
    static PORTS: std::sync::OnceLock<Ports> = std::sync::OnceLock::new();
    let Ok(cfg) = serde_json::from_slice::<truceline_maritime::Config>(data) else {
        return;
    };
    if let Err(e) = cfg.check() {
        assert!(!e.field.is_empty() && !e.expected.is_empty());
        return;
    }
    // The coast is built again each run: it caches what it learns of the cells it is asked
    // about, and a run must not depend on the runs before it.
    let ports = PORTS.get_or_init(Ports::bundled);
    let mut d = Detector::new(cfg, Shore::bundled(), ports.clone(), List::default());
    for m in feed() {
        d.push(m);
    }
    let mut events = d.drain();
    events.extend(d.open_events());
    for e in &events {
        assert!(e.end.is_none_or(|end| end >= e.start), "{e:?}");
    }
}

fn vocab() -> Vocabulary {
    Vocabulary::new(["ua", "ru"], ["mlrs", "tanks", "mortars_le_120mm"])
}

/// An accepted observation's canonical form is accepted again, the same observation. The
/// reading straight into the typed form answers what the full reading through a JSON value
/// answers, accepted or refused, on any input.
pub fn observation_json(data: &[u8]) {
    let vocab = vocab();
    let read = truceline_observation::parse(data, &vocab);
    assert_eq!(read, truceline_observation::parse_full(data, &vocab));
    let Ok(o) = read else {
        return;
    };
    let again = truceline_observation::parse(&o.canonical, &vocab)
        .unwrap_or_else(|e| panic!("its canonical form is refused: {e}"));
    assert_eq!(o, again);
}

/// An accepted record (SPEC 6) is accepted again from its canonical form, the same record.
pub fn record_json(data: &[u8]) {
    let vocab = vocab();
    let Ok(r) = truceline_records::parse(data, &vocab) else {
        return;
    };
    let again = truceline_records::parse(&r.canonical, &vocab)
        .unwrap_or_else(|e| panic!("its canonical form is refused: {e}"));
    assert_eq!(r.canonical, again.canonical);
    assert_eq!(r.body, again.body);
    // What follows from a record never panics either.
    let _ = r.position();
}

/// A small agreement's geometry: the line along 48° N from 37° to 38° E, each party's area a
/// strip on its side, one disengagement square on the line.
const LINE: &str = r#"{"type":"LineString","coordinates":[[37.0,48.0],[37.5,48.01],[38.0,48.0]]}"#;
const AREA_UA: &str = r#"{"type":"Polygon","coordinates":[[[37.0,48.0],[37.5,48.01],[38.0,48.0],[38.0,47.5],[37.0,47.5],[37.0,48.0]]]}"#;
const AREA_RU: &str = r#"{"type":"Polygon","coordinates":[[[37.0,48.0],[37.0,48.5],[38.0,48.5],[38.0,48.0],[37.5,48.01],[37.0,48.0]]]}"#;
const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[37.4,47.99],[37.42,47.99],[37.42,48.02],[37.4,48.02],[37.4,47.99]]]}"#;

/// The agreement the GeoJSON target reads its geometry into (and the TOML target's seed).
pub const AGREEMENT: &str = r#"id = "fuzz"
title = "Fuzzing fixture (illustrative)"
effective_from = "2026-01-01T00:00:00Z"
illustrative = true

[line_of_contact]
between = ["ua", "ru"]
geometry = "line.geojson"

[[parties]]
id = "ua"
name = "Ukraine"
area = "area_ua.geojson"

[[parties]]
id = "ru"
name = "Russian Federation"
area = "area_ru.geojson"

[[weapon_classes]]
id = "mlrs"
name = "Multiple rocket launchers"
withdrawal_km = 35
range_km = 40

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

/// Files by name, with one of them replaced by the fuzzer's input.
struct Fixture<'a> {
    replace: Option<(&'a str, &'a str)>,
}

impl truceline_agreement::Files for Fixture<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        if let Some((name, text)) = self.replace
            && name == path
        {
            return Ok(text.to_string());
        }
        match path {
            "line.geojson" => Ok(LINE.into()),
            "area_ua.geojson" => Ok(AREA_UA.into()),
            "area_ru.geojson" => Ok(AREA_RU.into()),
            "square.geojson" => Ok(SQUARE.into()),
            _ => Err("no such file".into()),
        }
    }
}

/// An agreement's TOML: read or refused with diagnostics, never a panic.
pub fn agreement_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = truceline_agreement::load("fuzz.toml", text, &Fixture { replace: None });
}

/// The line of contact's GeoJSON, under the fixed agreement.
pub fn agreement_geojson(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = truceline_agreement::load(
        "fuzz.toml",
        AGREEMENT,
        &Fixture {
            replace: Some(("line.geojson", text)),
        },
    );
}

/// A file read as `format`: every record reaches the observation check, whose answer for an
/// accepted one reads back as above.
fn import(data: &[u8], format: truceline_import::Format) {
    let vocab = vocab();
    let _ =
        truceline_import::read::<truceline_import::ImportError>("fuzz", data, format, &mut |r| {
            if let Ok(r) = r
                && let Ok(o) = truceline_observation::parse_value(r.value, &vocab)
            {
                observation_json(&o.canonical);
            }
            Ok(())
        });
}

pub fn import_csv(data: &[u8]) {
    import(data, truceline_import::Format::Csv);
}

pub fn import_ndjson(data: &[u8]) {
    import(data, truceline_import::Format::Ndjson);
}

pub fn import_geojson(data: &[u8]) {
    import(data, truceline_import::Format::Geojson);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture agreement is valid, so the GeoJSON target reaches past its TOML.
    #[test]
    fn the_fixture_agreement_loads() {
        let a = truceline_agreement::load("fuzz.toml", AGREEMENT, &Fixture { replace: None });
        assert!(a.is_ok(), "{:?}", a.err());
    }
}
