//! The `truceline` command line, run as a user would.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/donbas")
}

fn truceline() -> Command {
    Command::cargo_bin("truceline").unwrap()
}

/// A copy of the example agreement in a temporary folder, to break.
fn copy_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(example()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml" || e == "geojson") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["agreement", "--help"],
        vec!["agreement", "check", "--help"],
        vec!["zones", "--help"],
        vec!["zones", "classify", "--help"],
        vec!["zones", "export", "--help"],
        vec!["ais", "simulate", "--help"],
        vec!["ais", "detect", "--help"],
        vec!["ais", "score", "--help"],
    ] {
        truceline()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage:"));
    }
}

#[test]
fn the_example_agreement_checks_with_a_summary() {
    truceline()
        .args(["agreement", "check"])
        .arg(example().join("agreement.toml"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains(": valid")
                .and(predicate::str::contains("ILLUSTRATIVE"))
                .and(predicate::str::is_match(r"ua\s+Ukraine\s+[\d,]+ km²").unwrap())
                .and(
                    predicate::str::is_match(
                        r"line\s+3\d\d\.\d km, \d{4} vertices, between ua and ru",
                    )
                    .unwrap(),
                )
                .and(
                    predicate::str::is_match(r"withdrawal:mlrs\s+35 km each side\s+[\d,]+ km²")
                        .unwrap(),
                )
                .and(predicate::str::is_match(r"zolote\s+drawn area\s+4 km²").unwrap()),
        );
}

#[test]
fn a_broken_copy_fails_with_every_problem_located() {
    let dir = copy_example();
    let toml = dir.path().join("agreement.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("withdrawal_km = 35", "withdrawal_km = -35")
        .replace("between = [\"ua\", \"ru\"]", "between = [\"ua\", \"rus\"]");
    std::fs::write(&toml, text).unwrap();
    let area = dir.path().join("area_ru.geojson");
    let geo = std::fs::read_to_string(&area).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&geo).unwrap();
    v["features"][0]["geometry"]["coordinates"][0][3][0] = serde_json::json!(200.0);
    std::fs::write(&area, v.to_string()).unwrap();

    let out = truceline()
        .args(["agreement", "check"])
        .arg(&toml)
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    let t = toml.display().to_string();
    assert!(
        err.contains(&format!(
            "{t}:20:11: \"between\" names unknown party \"rus\"; expected one of: ru, ua"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{t}:")) && err.contains("\"withdrawal_km\" = -35 is not positive"),
        "{err}"
    );
    assert!(
        err.contains("area_ru.geojson#/features/0/geometry/coordinates/0/3/0: longitude 200 is out of range; expected -180 to 180 degrees"),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[test]
fn a_missing_agreement_file_is_one_clear_error() {
    truceline()
        .args(["agreement", "check", "/nonexistent/agreement.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read agreement file /nonexistent/agreement.toml",
        ));
}

#[test]
fn classify_points() {
    let input = "{\"id\":\"donetsk\",\"lon\":37.803,\"lat\":48.016}\n{\"id\":7,\"lon\":37.556,\"lat\":48.739}\n";
    let out = truceline()
        .args(["zones", "classify", "--agreement"])
        .arg(example().join("agreement.toml"))
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "donetsk");
    assert_eq!(lines[0]["control"], "ru");
    let d = lines[0]["distance_to_line_m"].as_f64().unwrap();
    assert!(d > 0.0 && d < 15_000.0, "{d}");
    let zones: Vec<&str> = lines[0]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z.as_str().unwrap())
        .collect();
    assert!(
        zones.contains(&"withdrawal:tanks") && zones.contains(&"withdrawal:heavy_rocket_systems"),
        "{zones:?}"
    );
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["control"], "ua");
}

#[test]
fn classify_refuses_bad_lines_by_number_and_field() {
    let input = "{\"id\":\"ok\",\"lon\":37.8,\"lat\":48.0}\n{\"id\":\"bad\",\"lon\":37.8,\"lat\":148.0}\n{\"lon\":37.8,\"lat\":48.0}\nnot json\n";
    truceline()
        .args(["zones", "classify", "--agreement"])
        .arg(example().join("agreement.toml"))
        .args(["--in", "-"])
        .write_stdin(input)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"id\":\"ok\""))
        .stderr(
            predicate::str::contains(
                "line 2: field \"lat\" = 148 is out of range: expected a number from -90 to 90",
            )
            .and(predicate::str::contains("line 3: field \"id\" is missing"))
            .and(predicate::str::contains("line 4: not valid JSON"))
            .and(predicate::str::contains("3 line(s) refused")),
        );
}

#[test]
fn classify_with_an_invalid_agreement_says_so() {
    let dir = copy_example();
    let toml = dir.path().join("agreement.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("width_km = 2", "width_km = -2");
    std::fs::write(&toml, text).unwrap();
    truceline()
        .args(["zones", "classify", "--agreement"])
        .arg(&toml)
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("is not valid (run `truceline agreement check")
                .and(predicate::str::contains("width_km")),
        );
}

#[test]
fn export_writes_geojson_layers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zones.geojson");
    truceline()
        .args(["zones", "export", "--agreement"])
        .arg(example().join("agreement.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["features"].as_array().unwrap().len(), 13);
    assert!(v["notice"].as_str().unwrap().contains("ILLUSTRATIVE"));
}

/// `truceline ais decode` (SPEC 8): NDJSON out, one message a line, with the time of a tag
/// block; other NMEA sentences skipped; a bad line reported with its number and reason and the
/// run going on, or stopping it with `--strict`; standard input with `-`.
#[test]
fn ais_decode_writes_ndjson_and_names_refused_lines() {
    let input = concat!(
        "$GPGSA,A,3,11,32,14,28,22,03,10,08,17,,,,2.02,1.03,1.74*00\n",
        "\\c:1241544035*5C\\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n",
        "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\n",
        "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C\n",
        "!AIVDM,2,2,1,A,88888888880,2*25\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.nmea");
    std::fs::write(&file, input).unwrap();
    let out = Command::cargo_bin("truceline")
        .unwrap()
        .args(["ais", "decode"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["mmsi"], 371798000);
    assert_eq!(lines[0]["time"], "2009-05-05T17:20:35.000Z");
    assert_eq!(lines[1]["type"], 5);
    assert_eq!(lines[1]["shipname"], "EVER DIADEM");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("line 3: refused: checksum: 4B does not match the sentence's 4A"),
        "{err}"
    );
    assert!(
        err.contains("2 messages from 5 lines; 1 lines refused"),
        "{err}"
    );

    let strict = Command::cargo_bin("truceline")
        .unwrap()
        .args(["ais", "decode", "--strict"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("error: line 3: checksum"));

    let piped = Command::cargo_bin("truceline")
        .unwrap()
        .args(["ais", "decode", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(piped.stdout).unwrap().lines().count(), 2);
}

/// `truceline ais simulate`, `ais detect` and `ais score` (SPEC 8) end to end: traffic with
/// known behaviours, the events found in it, and their precision and recall; bad parameters
/// and a list in another layout refused naming what is wrong.
#[test]
fn ais_simulate_detect_and_score_find_the_behaviours_put_in() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let sim = truceline()
        .args([
            "ais",
            "simulate",
            "--seed",
            "4",
            "--vessels",
            "30",
            "--hours",
            "40",
            "--out",
        ])
        .arg(p("feed.nmea"))
        .arg("--truth")
        .arg(p("truth.ndjson"))
        .arg("--sanctions")
        .arg(p("list.csv"))
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    assert!(String::from_utf8_lossy(&sim.stderr).contains("(illustrative)"));
    let det = truceline()
        .args(["ais", "detect", "--in"])
        .arg(p("feed.nmea"))
        .arg("--sanctions")
        .arg(p("list.csv"))
        .arg("--out")
        .arg(p("events.ndjson"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&det.stderr);
    assert!(det.status.success(), "{err}");
    assert!(err.contains("messages/s"), "{err}");
    let events = std::fs::read_to_string(p("events.ndjson")).unwrap();
    for line in events.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        for field in ["type", "mmsi", "start"] {
            assert!(e.get(field).is_some(), "{field} missing: {line}");
        }
    }
    let score = truceline()
        .args(["ais", "score", "--json", "--truth"])
        .arg(p("truth.ndjson"))
        .arg("--events")
        .arg(p("events.ndjson"))
        .output()
        .unwrap();
    assert!(score.status.success());
    let scores: Vec<serde_json::Value> = serde_json::from_slice(&score.stdout).unwrap();
    assert_eq!(scores.len(), 7);
    for s in &scores {
        assert!(
            s["truth"].as_u64().unwrap() > 0,
            "the scenario has every behaviour: {s}"
        );
        assert!(s["precision"].as_f64().unwrap() >= 0.95, "{s}");
        assert!(s["recall"].as_f64().unwrap() >= 0.95, "{s}");
    }

    std::fs::write(p("config.json"), r#"{"gap_hours": 6, "gap_hourz": 1}"#).unwrap();
    truceline()
        .args(["ais", "detect", "--in"])
        .arg(p("feed.nmea"))
        .arg("--config")
        .arg(p("config.json"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown field `gap_hourz`"));
    std::fs::write(p("other.csv"), "name,imo\nX,9074729\n").unwrap();
    truceline()
        .args(["ais", "detect", "--in"])
        .arg(p("feed.nmea"))
        .arg("--sanctions")
        .arg(p("other.csv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("lacks column \"caption\""));
}
