//! The daily report end to end: a simulated day and a half, imported into a data directory,
//! reported in every format and both editions, checked against the incidents themselves, by
//! GDAL and by headless Chromium, published into the evidence log, and served by the server.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const DATE: &str = "2026-11-24";
// The mission day of 2026-11-24 ends at 19:30 in Kyiv (UTC+2).
const FROM: &str = "2026-11-23T17:30:00Z";
const TO: &str = "2026-11-24T17:30:00Z";

fn run(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A day and a half of a light scenario, imported into a fresh data directory.
fn scenario(dir: &Path) -> (PathBuf, PathBuf) {
    let obs = dir.join("obs.ndjson");
    let truth = dir.join("truth.ndjson");
    let data = dir.join("data");
    let a = agreement();
    ok(&[
        "simulate",
        "--agreement",
        a.to_str().unwrap(),
        "--seed",
        "11",
        "--hours",
        "30",
        "--start",
        "2026-11-23T12:00:00Z",
        "--fire-missions-per-hour",
        "8",
        "--small-arms-per-hour",
        "2",
        "--observations",
        obs.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--records",
        dir.join("records.ndjson").to_str().unwrap(),
    ]);
    ok(&[
        "import",
        obs.to_str().unwrap(),
        dir.join("records.ndjson").to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--agreement",
        a.to_str().unwrap(),
    ]);
    (obs, data)
}

fn report(data: &Path, audience: &str, format: &str) -> Vec<u8> {
    ok(&[
        "report",
        "--data",
        data.to_str().unwrap(),
        "--date",
        DATE,
        "--audience",
        audience,
        "--format",
        format,
    ])
}

/// The batch engine's incidents of the mission day `DATE` from the observations in `obs`.
fn batch_day(obs: &Path) -> Vec<Value> {
    let fused = ok(&[
        "fuse",
        "--agreement",
        agreement().to_str().unwrap(),
        "--in",
        obs.to_str().unwrap(),
    ]);
    let (from, to): (jiff::Timestamp, jiff::Timestamp) =
        (FROM.parse().unwrap(), TO.parse().unwrap());
    String::from_utf8(fused)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| {
            let t: jiff::Timestamp = v["time"].as_str().unwrap().parse().unwrap();
            t >= from && t < to
        })
        .collect()
}

/// Observations imported into a reported store (no server running) are fused on their own at
/// the next report — the days they fall in again, not the whole store — and the report counts
/// what the batch engine makes of all the observations.
#[test]
fn an_offline_import_after_a_report_is_fused_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = scenario(dir.path());
    let d = data.to_str().unwrap();
    let a = agreement();
    let reported = |what: &str| {
        let out = run(&["report", "--data", d, "--date", DATE, "--format", "json"]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{err}");
        assert!(err.contains(what), "{what:?} not in: {err}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    reported("fused the store's observations in");
    // Two more hours of the same day, imported while nothing runs.
    let more = dir.path().join("more.ndjson");
    ok(&[
        "simulate",
        "--agreement",
        a.to_str().unwrap(),
        "--seed",
        "12",
        "--hours",
        "2",
        "--start",
        "2026-11-24T06:00:00Z",
        "--fire-missions-per-hour",
        "8",
        "--observations",
        more.to_str().unwrap(),
        "--truth",
        "/dev/null",
    ]);
    ok(&[
        "import",
        more.to_str().unwrap(),
        "--data",
        d,
        "--agreement",
        a.to_str().unwrap(),
    ]);
    let n = std::fs::read_to_string(&more).unwrap().lines().count();
    assert!(n > 20, "{n}");
    let r = reported(&format!(
        "fused the {n} observations stored after the store's incidents"
    ));
    let all = dir.path().join("all.ndjson");
    let text = std::fs::read_to_string(&obs).unwrap() + &std::fs::read_to_string(&more).unwrap();
    std::fs::write(&all, text).unwrap();
    let day = batch_day(&all);
    assert!(day.len() > 100, "{}", day.len());
    assert_eq!(r["summary"]["incidents"], day.len() as u64);
    // Current now: nothing is fused again.
    let out = run(&["report", "--data", d, "--date", DATE, "--format", "json"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("fused"));
}

/// The ids of the records the scenario drew.
fn record_ids(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("records.ndjson"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A PDF's text, read back by poppler's `pdftotext` (a reader that is not ours).
/// Page `page` of the PDF at `f` drawn by poppler's renderer at 40 dpi: its pixels, a byte
/// each in grey, three (RGB) in colour.
fn rendered(f: &Path, page: u32, grey: bool) -> Vec<u8> {
    let out_dir = tempfile::tempdir().unwrap();
    let prefix = out_dir.path().join("page");
    let page_arg = page.to_string();
    let mut cmd = Command::new("pdftoppm");
    cmd.args(["-f", &page_arg, "-l", &page_arg, "-r", "40"]);
    if grey {
        cmd.arg("-gray");
    }
    let out = cmd
        .arg(f)
        .arg(&prefix)
        .output()
        .expect("pdftoppm (poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pdftoppm names the file after the page, padded to the document's page count.
    let image = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .expect("a page drawn");
    let bytes = std::fs::read(image).unwrap();
    // A binary PGM or PPM: three header lines, then the pixels.
    let mut lines = 0;
    let start = bytes
        .iter()
        .position(|b| {
            lines += (*b == b'\n') as u32;
            lines == 3
        })
        .unwrap()
        + 1;
    bytes[start..].to_vec()
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.pdf");
    std::fs::write(&f, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&f)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/deps.sh)");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn observers(obs: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(obs)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["observer"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn daily_report_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (obs, data) = scenario(dir.path());
    let d = data.to_str().unwrap();

    // The incidents the report should count, from the batch engine on the same observations.
    let day = batch_day(&obs);
    assert!(day.len() > 100, "{}", day.len());
    let violating: Vec<&Value> = day
        .iter()
        .filter(|v| !v["violations"].as_array().unwrap().is_empty())
        .collect();
    let events: u64 = violating.iter().map(|v| v["count"].as_u64().unwrap()).sum();

    // Restricted JSON: the counts are the incidents', every incident listed with its leaves.
    let json = report(&data, "restricted", "json");
    let r: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(r["mission_day"]["from"], FROM);
    assert_eq!(r["mission_day"]["to"], TO);
    assert_eq!(r["summary"]["incidents"], day.len() as u64);
    assert_eq!(r["summary"]["violations"], violating.len() as u64);
    assert_eq!(r["summary"]["violation_events"], events);
    // Violations no second observation corroborates are told apart: a lone report may be a
    // false alarm.
    let single = violating
        .iter()
        .filter(|v| v["observations"].as_array().unwrap().len() == 1)
        .count();
    assert!(single > 0 && single < violating.len(), "{single}");
    assert_eq!(r["summary"]["single_observation"], single as u64);
    let listed = r["incidents"].as_array().unwrap();
    let ids: BTreeSet<&str> = listed.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let want: BTreeSet<&str> = day.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, want);
    for i in listed {
        assert_eq!(
            i["log_indices"].as_array().unwrap().len(),
            i["observations"].as_array().unwrap().len(),
            "every observation of {} cites its leaf",
            i["id"]
        );
    }
    // Region, area and kind tables add up to the day's violation events.
    for table in ["by_region", "by_area"] {
        let sum: u64 = r[table]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["events"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, events, "{table}");
    }
    // An incident placed only at its observer's position is in no party's area: its own row.
    let area_row = |name: &str| {
        r["by_area"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .map_or(0, |x| x["events"].as_u64().unwrap())
    };
    let unplaced: u64 = violating
        .iter()
        .filter(|v| v["location_basis"] == "observer_only")
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert!(unplaced > 0);
    assert_eq!(area_row(truceline_report::NOT_LOCATED), unplaced);
    let outside: u64 = violating
        .iter()
        .filter(|v| v["location_basis"] != "observer_only" && v["control"].is_null())
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(area_row(truceline_report::OUTSIDE_BOTH_AREAS), outside);
    let sum: u64 = r["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["violation_events"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, events);
    assert!(
        r["by_region"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "Donetsk")
    );
    // The previous day (17:30 to 17:30 the day before) is partly simulated: it has violations.
    assert!(r["summary"]["previous_day"].as_u64().unwrap() > 0);
    // Coverage: the simulated network reports all day along the line.
    let cov = &r["coverage"];
    assert!(cov["observers_active"].as_u64().unwrap() > 20, "{cov}");
    assert!(cov["line_share"].as_f64().unwrap() > 0.3, "{cov}");
    assert_eq!(cov["hourly"].as_array().unwrap().len(), 24);
    // Places are described from the gazetteer.
    assert!(
        listed
            .iter()
            .any(|i| i["place"].as_str().unwrap().contains(" km ")
                && i["place"].as_str().unwrap().contains(" of "))
    );
    // The thirty-day chart ends on the day.
    let daily = r["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[29]["date"], DATE);
    assert_eq!(
        daily[29]["by_kind"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        events
    );

    // Deterministic: the same store and date give the same bytes, in every format.
    for format in ["json", "html", "csv", "geojson", "pdf"] {
        for audience in ["public", "restricted"] {
            assert_eq!(
                report(&data, audience, format),
                report(&data, audience, format),
                "{audience} {format}"
            );
        }
    }
    assert_eq!(json, report(&data, "restricted", "json"));

    // The public edition names no observer and shows no position off the grid. The log's
    // checkpoint it cites carries a root hash and a signature in base64, random with the log's
    // key, which can spell a short name by chance: they are left out of the search.
    let names = observers(&obs);
    let checkpoint = r["built_from"]["checkpoint"].as_str().unwrap();
    let mut opaque: Vec<String> = checkpoint
        .split_whitespace()
        .filter(|t| t.len() >= 40)
        .map(str::to_string)
        .collect();
    assert!(opaque.len() >= 2, "{checkpoint}");
    // So are the shown ids in the links to each incident's evidence: 16 hex digits of a keyed
    // hash, which can spell a short name by chance too.
    let public: Value = serde_json::from_slice(&report(&data, "public", "json")).unwrap();
    for i in public["incidents"].as_array().unwrap() {
        let link = i["evidence"].as_str().unwrap();
        let shown = link
            .strip_prefix("/api/v1/incidents/pi-")
            .and_then(|l| l.strip_suffix("/evidence"))
            .unwrap_or_else(|| panic!("a public evidence link by shown id: {link}"));
        assert_eq!(shown.len(), 16, "{link}");
        opaque.push(shown.to_string());
    }
    for format in ["json", "html", "csv", "geojson", "pdf"] {
        let bytes = report(&data, "public", format);
        let mut text = if format == "pdf" {
            pdf_text(&bytes)
        } else {
            String::from_utf8(bytes).unwrap()
        };
        // The other records: no patrol named, no record cited by id.
        assert!(!text.contains("patrol-"), "public {format} names a patrol");
        for id in record_ids(dir.path()) {
            assert!(
                !text.contains(&format!("\"{id}\"")) && !text.contains(&format!(" {id} ")),
                "public {format} cites record {id}"
            );
        }
        for t in &opaque {
            text = text.replace(t.as_str(), "");
        }
        for n in &names {
            assert!(
                !text.contains(n.as_str()),
                "public {format} names observer {n}"
            );
        }
    }
    let p: Value = serde_json::from_slice(&report(&data, "public", "json")).unwrap();
    assert_eq!(p["summary"], r["summary"], "both editions count the same");
    for i in p["incidents"].as_array().unwrap() {
        assert!(i.get("id").is_none() && i.get("observations").is_none());
        for c in i["location"].as_array().unwrap() {
            let x = c.as_f64().unwrap() / 0.01 - 0.5;
            assert!(
                (x - x.round()).abs() < 1e-6,
                "{c} is not a grid-cell centre"
            );
        }
        assert!(i["error_ellipse_m"][1].as_f64().unwrap() >= 700.0);
        assert!(!i["log_indices"].as_array().unwrap().is_empty());
    }
    // An incident that only its observer's position places is, in the restricted edition, at
    // that position; in the public one, at the centre of a 0.25° cell with an ellipse of 17 km
    // or more, and in no party's area (the area would be its observer's).
    let stood: BTreeSet<String> = std::fs::read_to_string(&obs)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let p = &v["observer_position"];
            Some(format!("{},{}", p["lon"].as_f64()?, p["lat"].as_f64()?))
        })
        .collect();
    let at = |i: &Value| format!("{},{}", i["location"][0], i["location"][1]);
    let mut unplaced = 0;
    for (ri, pi) in r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .zip(p["incidents"].as_array().unwrap())
    {
        assert_eq!(ri["number"], pi["number"]);
        if !stood.contains(&at(ri)) {
            continue;
        }
        unplaced += 1;
        assert!(ri["control"].is_null() && pi["control"].is_null(), "{pi}");
        for c in pi["location"].as_array().unwrap() {
            let x = c.as_f64().unwrap() / 0.25 - 0.5;
            assert!(
                (x - x.round()).abs() < 1e-6,
                "{c} is not a 0.25° cell's centre: {pi}"
            );
        }
        assert!(
            pi["error_ellipse_m"][1].as_f64().unwrap() >= 17_000.0,
            "{pi}"
        );
    }
    assert!(
        unplaced > 0,
        "the scenario has incidents placed by no bearing"
    );

    // The report in Ukrainian and Russian, as HTML and as PDF: the sections in each language,
    // the PDF's pages drawn by poppler's renderer with ink on them.
    let records = &r["records"];
    assert!(
        records["movement"]["restrictions"].as_u64().unwrap() > 0,
        "{records}"
    );
    for (lang, storage, movement) in [
        ("en", "Weapons storage sites", "Freedom of movement"),
        ("uk", "Місця зберігання озброєнь", "Свобода пересування"),
        ("ru", "Места хранения вооружений", "Свобода передвижения"),
    ] {
        let args = |format: &str| {
            ok(&[
                "report",
                "--data",
                d,
                "--date",
                DATE,
                "--audience",
                "restricted",
                "--format",
                format,
                "--lang",
                lang,
            ])
        };
        let html = String::from_utf8(args("html")).unwrap();
        assert!(html.contains(&format!(r#"<html lang="{lang}">"#)));
        assert!(
            html.contains(storage) && html.contains(movement),
            "{lang} html"
        );
        let pdf = args("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = pdf_text(&pdf);
        assert!(
            text.contains(storage) && text.contains(movement),
            "{lang} pdf: {text:.400}"
        );
        // The map and the chart are drawn in it, their text set as text, in its language.
        let legend = truceline_report::lang::Lang::parse(lang).unwrap().legend();
        let scale = truceline_report::lang::fill(legend.scale, &[&50]);
        assert!(
            text.contains(legend.line_of_contact) && text.contains(&scale),
            "{lang} pdf: the map's legend"
        );
        let chart = &html[html.find(r#"class="chart""#).unwrap()..];
        let chart = &chart[..chart.find("</svg>").unwrap()];
        assert!(chart.contains(&truceline_report::lang::fill(legend.chart_title, &[&DATE])));
        if lang != "en" {
            // The report's own words are all translated: the stated bases of attribution and
            // the heads they are tallied by, the rows of no area, the rules broken, the notes.
            // Names from the data (parties, places, weapons) stay as the data gives them.
            for english in [
                "Line of contact",
                "scale true",
                "Area controlled by",
                "ILLUSTRATIVE",
                "outgoing fire",
                "origin not established",
                "outside both areas",
                "not located",
                "withdrawal (",
                "A violation is an incident",
                "Map data",
                " m, ",
                " km²",
            ] {
                assert!(
                    !text.contains(english) && !html.contains(english),
                    "{lang}: {english}"
                );
            }
            let l = truceline_report::lang::Lang::parse(lang).unwrap();
            for translated in [
                l.row_name(truceline_report::NOT_LOCATED).to_string(),
                l.basis("linked to outgoing fire"),
                l.basis("origin not established"),
                l.violation("ceasefire"),
                l.words().map_data.to_string(),
                // An ellipse's metres.
                " м, ".to_string(),
            ] {
                assert!(html.contains(&translated), "{lang}: {translated}");
            }
            for kind in ["explosion", "burst", "shot"] {
                assert!(
                    !chart.contains(&format!(">{kind}<")) && !chart.contains(&format!(" {kind}<")),
                    "{lang} chart: {kind}"
                );
            }
        }
        let f = dir.path().join(format!("r-{lang}.pdf"));
        std::fs::write(&f, &pdf).unwrap();
        for page in 1..=2 {
            let pixels = rendered(&f, page, true);
            let ink = pixels.iter().filter(|p| **p < 128).count() as f64 / pixels.len() as f64;
            assert!(
                ink > 0.005 && ink < 0.5,
                "{lang} page {page}: {ink} of the page is ink"
            );
        }
        // In colour, the map fills much of the first page: the parties' areas, the sea, the
        // incidents (the rest of the PDF is set in grey).
        let pixels = rendered(&f, 1, false);
        let rgb: Vec<&[u8]> = pixels.chunks_exact(3).collect();
        let coloured = rgb
            .iter()
            .filter(|p| p[0].abs_diff(p[1]).max(p[1].abs_diff(p[2])) > 4)
            .count() as f64
            / rgb.len() as f64;
        assert!(
            coloured > 0.15,
            "{lang}: {coloured} of the first page is in colour"
        );
    }

    // The map draws each incident once: as a point with its ellipse where sparse, or in a dense
    // cell's count; the caption says which when any cell is dense.
    let html = String::from_utf8(report(&data, "restricted", "html")).unwrap();
    let group = |id: &str| {
        let start = html.find(&format!(r#"<g id="{id}">"#)).unwrap();
        let end = start + html[start..].find("</g>").unwrap();
        html[start..end].to_string()
    };
    let points = group("incidents").matches("<circle").count();
    let dense: usize = group("density")
        .split("<title>")
        .skip(1)
        .map(|t| t.split('<').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(points + dense, day.len(), "every incident drawn once");
    assert_eq!(dense > 0, html.contains("the map shows how many"));

    // CSV: a header and a row an incident.
    let csv = String::from_utf8(report(&data, "restricted", "csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(rows.headers().unwrap().get(0), Some("number"));
    assert_eq!(rows.records().count(), day.len());

    // GeoJSON, read by GDAL.
    let gj = dir.path().join("day.geojson");
    std::fs::write(&gj, report(&data, "public", "geojson")).unwrap();
    let info = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&gj)
        .output()
        .expect("ogrinfo (gdal-bin; scripts/deps.sh installs it)");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(text.contains("Geometry: Point"), "{text}");
    assert!(
        text.contains(&format!("Feature Count: {}", day.len())),
        "{text}"
    );
    assert!(text.contains("WGS 84"), "{text}");

    // HTML: self-contained, with the map and the chart, rendered by headless Chromium.
    let html = String::from_utf8(report(&data, "public", "html")).unwrap();
    assert!(
        html.contains("<svg")
            && html.contains("id=\"line-of-contact\"")
            && html.contains("class=\"bar\"")
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external resources"
    );
    assert!(html.contains("Illustrative"));
    assert!(
        html.contains(&format!(
            "of which {single} rest on one observation that nobody else corroborated"
        )),
        "the single-observation violations are said"
    );
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let shot = dir.path().join("report.png");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/report_screenshot.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&page)
        .arg(&shot)
        .output()
        .expect("node");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(said.lines().last().unwrap()).unwrap();
    assert!(seen["map"]["width"].as_f64().unwrap() > 500.0, "{seen}");
    assert!(
        (seen["map"]["incidents"].as_u64().unwrap() + seen["map"]["dense"].as_u64().unwrap())
            as usize
            >= violating.len(),
        "{seen}"
    );
    assert!(seen["chart"]["bars"].as_u64().unwrap() > 1, "{seen}");
    assert!(
        seen["map"]["colours"].as_u64().unwrap() > 8,
        "the map is drawn: {seen}"
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 50_000);

    // Publishing appends the report's record, with the digest of each format, to the log.
    let before = log_size(d);
    let out = run(&[
        "report",
        "--data",
        d,
        "--date",
        DATE,
        "--format",
        "html",
        "--publish",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let published = out.stdout;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("leaf {before} of the evidence log")),
        "{err}"
    );
    assert_eq!(log_size(d), before + 1);
    ok(&["log", "prove", "--data", d, "--index", &before.to_string()]);
    let conn = rusqlite::Connection::open(data.join("truceline.db")).unwrap();
    let record: Vec<u8> = conn
        .query_row("SELECT record FROM reports", [], |r| r.get(0))
        .unwrap();
    let record: Value = serde_json::from_slice(&record).unwrap();
    assert_eq!(record["date"], DATE);
    assert_eq!(record["audience"], "public");
    let digest: String = Sha256::digest(&published)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(record["sha256"]["html"], digest.as_str());
    drop(conn);
    let v = run(&["log", "verify", "--data", d]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));

    // Beside a running server the command reads the store as it stands, and the server's
    // report is the same document.
    let server = serve(&data, &[]);
    let t = server.tokens.clone().unwrap();
    let from_cli = report(&data, "restricted", "json");
    let restricted = format!(
        "{}/api/v1/reports/daily/{DATE}?format=json&audience=restricted",
        server.base
    );
    // The restricted edition names observers: the public and a liaison are refused.
    let public = agent().get(&restricted).call().unwrap();
    assert_eq!(public.status().as_u16(), 401);
    assert_eq!(public.headers()["www-authenticate"], "Bearer");
    let liaison = with_token(agent().get(&restricted), Some(&t.liaison))
        .call()
        .unwrap();
    assert_eq!(liaison.status().as_u16(), 403);
    let mut resp = with_token(agent().get(&restricted), Some(&t.chief))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let from_api = resp.body_mut().read_to_vec().unwrap();
    let a: Value = serde_json::from_slice(&from_cli).unwrap();
    let b: Value = serde_json::from_slice(&from_api).unwrap();
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(a["incidents"], b["incidents"]);
    let (status, e) = get(&server.base, "/api/v1/reports/daily/2026-02-30");
    assert_eq!(status, 400);
    assert_eq!(e["error"]["field"], "date");
    let (status, e) = get(
        &server.base,
        &format!("/api/v1/reports/daily/{DATE}?format=docx"),
    );
    assert_eq!(status, 400);
    assert_eq!(e["error"]["field"], "format");
    let (status, e) = get(
        &server.base,
        &format!("/api/v1/reports/daily/{DATE}?format=html&lang=fr"),
    );
    assert_eq!((status, e["error"]["field"].as_str()), (400, Some("lang")));
    // A day not yet over is not published: its figures would still grow.
    let publish = format!("{}/api/v1/reports/daily/2099-01-01/publish", server.base);
    // Only the chief publishes.
    for other in [&t.analyst, &t.monitor] {
        let r = with_token(agent().post(&publish), Some(other))
            .send_empty()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    }
    let mut resp = with_token(agent().post(&publish), Some(&t.chief))
        .send_empty()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
    let e: Value = serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(e["error"]["code"], "day_open");
    assert_eq!(e["error"]["field"], "date");
    let out = run(&["report", "--data", d, "--date", DATE, "--publish"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("POST /api/v1/reports/daily/DATE/publish")
    );
}

fn log_size(data: &str) -> u64 {
    let out = ok(&["log", "checkpoint", "--data", data]);
    let text = String::from_utf8(out).unwrap();
    text.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn bad_report_requests_name_their_field() {
    let dir = tempfile::tempdir().unwrap();
    for (args, want) in [
        (vec!["--date", "2026-13-01"], "--date"),
        (vec!["--date", DATE, "--format", "docx"], "--format"),
        (vec!["--date", DATE, "--lang", "fr"], "--lang"),
        (vec!["--date", DATE, "--audience", "everyone"], "--audience"),
        (
            vec!["--date", DATE, "--timezone", "Mars/Olympus"],
            "--timezone",
        ),
        (vec!["--date", DATE, "--day-ends", "7pm"], "--day-ends"),
    ] {
        let data = dir.path().join("d");
        std::fs::create_dir_all(&data).unwrap();
        // An empty store is made by opening one.
        ok(&[
            "import",
            "/dev/null",
            "--data",
            data.to_str().unwrap(),
            "--agreement",
            agreement().to_str().unwrap(),
            "--format",
            "ndjson",
        ]);
        let mut all = vec!["report", "--data", data.to_str().unwrap()];
        all.extend(args.iter().copied());
        let out = run(&all);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{all:?}: {err}");
    }
    let out = run(&[
        "report",
        "--data",
        dir.path().join("none").to_str().unwrap(),
        "--date",
        DATE,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data"));
}
