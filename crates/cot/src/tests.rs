use super::*;

const MARKER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<event version="2.0" uid="ANDROID-abc123" type="b-m-p-s-m" how="h-g-i-g-o"
  time="2026-11-24T10:04:31.000Z" start="2026-11-24T10:04:31.000Z" stale="2026-11-25T10:04:31.000Z">
  <point lat="48.1012" lon="37.8021" hae="9999999.0" ce="9999999.0" le="9999999.0"/>
  <detail><contact callsign="PATROL 7"/><remarks>two craters &amp; a burnt car</remarks>
    <__group name="Cyan" role="Team Member"/></detail>
</event>"#;

fn incident() -> IncidentRecord {
    serde_json::from_value(json!({
        "attribution": {"basis": "bearing fix", "confidence": 0.91, "party": "ru"},
        "control": "ua", "count": 6,
        "error_ellipse_m": {"azimuth_deg": 30.0, "major": 420.0, "minor": 180.0},
        "id": "inc-ac01-20261124T100431-00001", "kind": "explosion",
        "location": {"lat": 48.1, "lon": 37.8}, "location_basis": "fix",
        "observations": ["ac01-1", "ac02-7"], "subtype": "impact",
        "time": "2026-11-24T10:04:31Z", "time_end": null,
        "violations": [{"party": "ru", "rule": "fire", "zone": null}], "weapon": null,
    }))
    .unwrap()
}

#[test]
fn a_plain_marker_is_a_direct_sighting_by_its_sender() {
    let ev = parse(MARKER.as_bytes()).unwrap();
    assert_eq!(ev.kind, "b-m-p-s-m");
    assert_eq!(ev.callsign.as_deref(), Some("PATROL 7"));
    assert_eq!(ev.remarks.as_deref(), Some("two craters & a burnt car"));
    let o: Value = serde_json::from_str(&to_observation(&ev).unwrap()).unwrap();
    assert_eq!(o["id"], "cot-ANDROID-abc123-20261124T100431");
    assert_eq!(o["observer"], "PATROL_7");
    assert_eq!(o["kind"], "other");
    assert_eq!(o["time"], "2026-11-24T10:04:31Z");
    assert_eq!(o["location"]["lat"], 48.1012);
    // CoT's "unknown" circular error becomes a hand-placed marker's 50 m.
    assert_eq!(o["location"]["uncertainty_m"], 50.0);
    assert_eq!(o["notes"], "two craters & a burnt car");
}

#[test]
fn a_truceline_detail_carries_the_observation_as_it_is() {
    let obs = r#"{"id":"ac01-77","observer":"ac01","source":"acoustic","time":"2026-11-24T10:04:31Z","kind":"explosion"}"#;
    let xml = format!(
        r#"<event version="2.0" uid="ac01" type="a-f-G-E-S" how="m-g" time="2026-11-24T10:04:31Z" start="2026-11-24T10:04:31Z" stale="2026-11-24T10:09:31Z"><point lat="48" lon="37" ce="5"/><detail><truceline><![CDATA[{obs}]]></truceline></detail></event>"#
    );
    let ev = parse(xml.as_bytes()).unwrap();
    let o: Value = serde_json::from_str(&to_observation(&ev).unwrap()).unwrap();
    assert_eq!(o, serde_json::from_str::<Value>(obs).unwrap());
    let bad = xml.replace(obs, "[1,2]");
    assert_eq!(
        to_observation(&parse(bad.as_bytes()).unwrap())
            .unwrap_err()
            .field,
        "detail/truceline"
    );
}

#[test]
fn refusals_name_the_element_and_attribute() {
    let cases = [
        (
            MARKER.replace(r#"lat="48.1012""#, r#"lat="91""#),
            "point@lat",
        ),
        (
            MARKER.replace(r#"lon="37.8021""#, r#"lon="east""#),
            "point@lon",
        ),
        (
            MARKER.replace("time=\"2026-11-24T10:04:31.000Z\"", "time=\"yesterday\""),
            "event@time",
        ),
        (
            MARKER.replace(r#"uid="ANDROID-abc123""#, r#"uid="""#),
            "event@uid",
        ),
        (MARKER.replace("</event>", ""), "event"),
        (
            MARKER.replace(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
                "<!DOCTYPE x [<!ENTITY a \"b\">]>",
            ),
            "event",
        ),
        ("<point lat=\"1\" lon=\"2\"/>".to_string(), "event"),
    ];
    for (xml, field) in cases {
        let e = parse(xml.as_bytes()).unwrap_err();
        assert_eq!(e.field, field, "{e} for {xml}");
    }
    // No callsign: a plain event has no observer to name.
    let anonymous = MARKER.replace(r#"<contact callsign="PATROL 7"/>"#, "");
    let e = to_observation(&parse(anonymous.as_bytes()).unwrap()).unwrap_err();
    assert_eq!(e.field, "detail/contact@callsign");
}

#[test]
fn the_framer_splits_a_stream_however_it_arrives() {
    let ping = r#"<event version="2.0" uid="takPing" type="t-x-c-t" how="h-g-i-g-o" time="2026-11-24T10:00:00Z" start="2026-11-24T10:00:00Z" stale="2026-11-24T10:00:20Z"><point lat="0" lon="0"/><detail/></event>"#;
    let stream = format!("{MARKER}\n{ping}{MARKER}");
    for chunk in [1, 7, 100, stream.len()] {
        let mut f = Framer::default();
        let mut got = Vec::new();
        for piece in stream.as_bytes().chunks(chunk) {
            f.push(piece);
            while let Some(ev) = f.next_event().unwrap() {
                got.push(parse(&ev).unwrap());
            }
        }
        assert_eq!(got.len(), 3, "chunks of {chunk}");
        assert!(got[1].is_ping() && !got[0].is_ping());
        assert_eq!(got[2].uid, "ANDROID-abc123");
    }
    // An endless event is cut off, not buffered.
    let mut f = Framer::default();
    f.push(b"<event ");
    f.push(&vec![b'x'; MAX_EVENT]);
    assert_eq!(f.next_event().unwrap_err().field, "event");
}

#[test]
fn an_incident_goes_out_neutral_with_its_ellipse_and_reads_back() {
    let now: jiff::Timestamp = "2026-11-24T10:10:00Z".parse().unwrap();
    let xml = incident_event(&incident(), now, |p| {
        if p == "ru" {
            "Russian Federation".into()
        } else {
            p.into()
        }
    });
    assert!(
        !xml.contains("a-h-") && !xml.to_lowercase().contains("hostile") && !xml.contains("enemy")
    );
    let ev = parse(xml.as_bytes()).unwrap();
    assert_eq!(ev.kind, INCIDENT_TYPE);
    assert_eq!(ev.uid, "truceline-inc-ac01-20261124T100431-00001");
    assert_eq!(ev.start.to_string(), "2026-11-24T10:04:31Z");
    assert_eq!(ev.time, now);
    assert!(ev.stale > ev.time);
    let p = ev.point.unwrap();
    assert_eq!((p.lat, p.lon, p.ce, p.le), (48.1, 37.8, 420.0, UNKNOWN));
    let remarks = ev.remarks.unwrap();
    assert!(remarks.contains("6 × explosion (impact)"), "{remarks}");
    assert!(remarks.contains("attributed to Russian Federation (confidence 0.91)"));
    assert!(remarks.contains("violations: fire"));
    // The observations behind it are not named in what goes out.
    assert!(!xml.contains("ac02-7"));
    // No ellipse: the error is unknown, not zero.
    let mut lone = incident();
    lone.error_ellipse_m = None;
    let p = parse(incident_event(&lone, now, str::to_string).as_bytes())
        .unwrap()
        .point
        .unwrap();
    assert_eq!(p.ce, UNKNOWN);
}

#[test]
fn a_ping_is_answered() {
    let now: jiff::Timestamp = "2026-11-24T10:10:00Z".parse().unwrap();
    let ev = parse(pong(now).as_bytes()).unwrap();
    assert_eq!(ev.kind, PONG_TYPE);
}

#[test]
fn a_removed_incident_is_deleted_from_the_map() {
    let now: jiff::Timestamp = "2026-11-24T10:10:00Z".parse().unwrap();
    let xml = removed_event("inc-1", now);
    let ev = parse(xml.as_bytes()).unwrap();
    assert_eq!(ev.kind, DELETE_TYPE);
    assert!(xml.contains(r#"<link uid="truceline-inc-1""#) && xml.contains("__forcedelete"));
}

#[test]
fn a_record_is_a_point_of_interest_where_the_map_shows_it() {
    let now: jiff::Timestamp = "2026-11-24T12:00:00Z".parse().unwrap();
    let site = serde_json::json!({"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [37.8, 48.1]},
        "properties": {"type": "site", "id": "site-1", "time": "2026-11-20T08:00:00Z",
            "name": "Depot <North>", "party": "ua", "declared": 4, "missing": 0, "last_access": null}});
    let xml = record_event(&site, now).unwrap();
    let ev = parse(xml.as_bytes()).unwrap();
    assert_eq!(ev.kind, RECORD_TYPE);
    assert_eq!(ev.uid, "truceline-record-site-1");
    let p = ev.point.unwrap();
    assert_eq!((p.lat, p.lon), (48.1, 37.8));
    assert_eq!(ev.callsign.as_deref(), Some("site: Depot <North>"));
    assert!(
        xml.contains("declared 4; missing 0; name Depot &lt;North&gt;; party ua"),
        "{xml}"
    );
    assert!(!xml.contains("last_access"));
    // An area: its centre, with ce to its farthest corner.
    let hazard = serde_json::json!({"type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[37.0, 48.0], [37.02, 48.0], [37.02, 48.02], [37.0, 48.02], [37.0, 48.0]]]},
        "properties": {"type": "hazard", "id": "mine-1", "time": "2026-11-21T08:00:00Z", "hazard": "mines", "marked": true}});
    let p = parse(record_event(&hazard, now).unwrap().as_bytes())
        .unwrap()
        .point
        .unwrap();
    assert!((p.lat - 48.01).abs() < 1e-9 && (p.lon - 37.01).abs() < 1e-9);
    let ce = p.ce;
    assert!((1_300.0..1_400.0).contains(&ce), "{ce}");
    // Nothing to place: no event.
    let mut nowhere = hazard.clone();
    nowhere["geometry"] = serde_json::Value::Null;
    assert!(record_event(&nowhere, now).is_none());
}
