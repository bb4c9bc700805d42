//! Cursor on Target (CoT), the XML events TAK devices (ATAK, WinTAK, iTAK) and many sensors
//! speak: read strictly from a byte stream, mapped to the mission's observations, and the
//! mission's incidents written as events. No I/O: the doors (a TCP port, TLS) feed [`Framer`]
//! and send what [`incident_event`] writes.
//!
//! The mapping (also in `docs/REFERENCE.md`, "Cursor on Target"):
//! - An event whose `<detail>` holds `<truceline>` carries one observation as JSON text (SPEC
//!   2.2): a sensor or integration sends exactly what it would POST; the observation's own
//!   checks apply.
//! - Any other event with a point (an ATAK user's spot-map marker, a unit position) is a direct
//!   sighting: `kind` `other`, `source` `patrol`, the point as `location` with `ce` as its
//!   uncertainty, `<remarks>` as `notes`, the sender's `<contact callsign>` as `observer`, and an
//!   id made of the event's `uid` and time (so a device sending the same event again is a
//!   duplicate, not a second observation).
//! - Incidents go out as `a-n-G` (neutral affiliation: the parties are parties, never hostile),
//!   `how` `m-f` (fused), `start` the incident's time, `stale` a day after sending, `ce` the 95 %
//!   ellipse's semi-major axis (unknown: 9999999), and a `<truceline>` detail with the incident's
//!   kind, count, attribution and violations.
//!
//! ```
//! use truceline_cot::{Framer, parse, to_observation};
//! let mut f = Framer::default();
//! f.push(br#"<event version="2.0" uid="ANDROID-1" type="b-m-p-s-m" how="h-g-i-g-o"
//!   time="2026-11-24T10:04:31Z" start="2026-11-24T10:04:31Z" stale="2026-11-24T11:04:31Z">
//!   <point lat="48.1" lon="37.8" hae="9999999.0" ce="25" le="9999999.0"/>
//!   <detail><contact callsign="PATROL-7"/><remarks>two craters by the road</remarks></detail>
//! </event>"#);
//! let event = parse(&f.next_event().unwrap().unwrap()).unwrap();
//! let obs: serde_json::Value = serde_json::from_str(&to_observation(&event).unwrap()).unwrap();
//! assert_eq!(obs["observer"], "PATROL-7");
//! assert_eq!(obs["location"]["uncertainty_m"], 25.0);
//! ```

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Value, json};
use truceline_incident::IncidentRecord;

/// The most one event may take on the wire: a CoT event is a few hundred bytes, a
/// `<truceline>` observation a few kilobytes.
pub const MAX_EVENT: usize = 64 * 1024;
/// The most characters of `<remarks>` kept as an observation's notes.
pub const MAX_REMARKS: usize = 2000;
/// CoT's value for "not known" (`hae`, `ce`, `le`).
pub const UNKNOWN: f64 = 9_999_999.0;
/// The CoT type incidents are sent as: an atom, neutral, on the ground.
pub const INCIDENT_TYPE: &str = "a-n-G";
/// A TAK client's keep-alive and its answer.
pub const PING_TYPE: &str = "t-x-c-t";
pub const PONG_TYPE: &str = "t-x-c-t-r";
/// The event that deletes another from a TAK map.
pub const DELETE_TYPE: &str = "t-x-d-d";

/// What is wrong with an event, naming the element and attribute (`point@lat`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct CotError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> CotError {
    CotError {
        field: field.into(),
        message: message.into(),
    }
}

/// A point with its errors in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
    pub hae: f64,
    pub ce: f64,
    pub le: f64,
}

/// One CoT event, as far as the mission reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CotEvent {
    pub uid: String,
    pub kind: String,
    pub how: Option<String>,
    pub time: jiff::Timestamp,
    pub start: jiff::Timestamp,
    pub stale: jiff::Timestamp,
    pub point: Option<Point>,
    /// `<detail><contact callsign>`.
    pub callsign: Option<String>,
    /// `<detail><remarks>` text.
    pub remarks: Option<String>,
    /// `<detail><truceline>` text: an observation as JSON.
    pub observation: Option<String>,
}

impl CotEvent {
    /// A TAK client's keep-alive (`t-x-c-t`), which the door answers with [`pong`].
    pub fn is_ping(&self) -> bool {
        self.kind == PING_TYPE
    }
}

/// Splits a TCP byte stream into events: CoT over TCP is a sequence of `<event>` documents,
/// each ended by `</event>`, with no length before them.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
}

const END: &[u8] = b"</event>";

impl Framer {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole event's bytes, if one has arrived. An error when more than
    /// [`MAX_EVENT`] bytes have come without an event's end: the door closes the connection
    /// rather than hold an unbounded buffer.
    pub fn next_event(&mut self) -> Result<Option<Vec<u8>>, CotError> {
        // Whatever precedes the first `<` is not ours (keep-alive newlines, stray bytes).
        let start = self
            .buf
            .iter()
            .position(|&b| b == b'<')
            .unwrap_or(self.buf.len());
        self.buf.drain(..start);
        match self.buf.windows(END.len()).position(|w| w == END) {
            Some(i) => {
                let rest = self.buf.split_off(i + END.len());
                Ok(Some(std::mem::replace(&mut self.buf, rest)))
            }
            None if self.buf.len() > MAX_EVENT => {
                self.buf.clear();
                Err(err(
                    "event",
                    format!(
                        "no `</event>` within {MAX_EVENT} bytes; expected one CoT event at a time"
                    ),
                ))
            }
            None => Ok(None),
        }
    }
}

fn attr(e: &BytesStart<'_>, element: &str, name: &str) -> Result<Option<String>, CotError> {
    for a in e.attributes() {
        let a = a.map_err(|x| err(element, format!("malformed attribute: {x}")))?;
        if a.key.as_ref() == name.as_bytes() {
            let v = a.unescape_value().map_err(|x| {
                err(
                    &format!("{element}@{name}"),
                    format!("malformed value: {x}"),
                )
            })?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn time_attr(e: &BytesStart<'_>, name: &str) -> Result<jiff::Timestamp, CotError> {
    let field = format!("event@{name}");
    let v =
        attr(e, "event", name)?.ok_or_else(|| err(&field, "missing; expected an RFC 3339 time"))?;
    v.parse::<jiff::Timestamp>().map_err(|_| {
        err(
            &field,
            format!("expected an RFC 3339 time such as 2026-11-24T10:04:31Z, found {v:?}"),
        )
    })
}

fn number_attr(
    e: &BytesStart<'_>,
    name: &str,
    range: std::ops::RangeInclusive<f64>,
    default: Option<f64>,
) -> Result<f64, CotError> {
    let field = format!("point@{name}");
    match attr(e, "point", name)? {
        None => default.ok_or_else(|| err(&field, "missing; expected a number")),
        Some(v) => {
            let x: f64 = v
                .trim()
                .parse()
                .map_err(|_| err(&field, format!("expected a number, found {v:?}")))?;
            if !x.is_finite() || !range.contains(&x) {
                return Err(err(
                    &field,
                    format!(
                        "expected a number from {} to {}, found {v}",
                        range.start(),
                        range.end()
                    ),
                ));
            }
            Ok(x)
        }
    }
}

/// Reads one event (its bytes as [`Framer`] gives them). A document type declaration is
/// refused (no entity of any kind is expanded); unknown elements are ignored, as CoT expects.
pub fn parse(xml: &[u8]) -> Result<CotEvent, CotError> {
    if xml.len() > MAX_EVENT {
        return Err(err("event", format!("over {MAX_EVENT} bytes")));
    }
    let mut r = Reader::from_reader(xml);
    r.config_mut().trim_text(true);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut event: Option<CotEvent> = None;
    let mut buf = Vec::new();
    loop {
        let ev = r
            .read_event_into(&mut buf)
            .map_err(|e| err("event", format!("not well-formed XML: {e}")))?;
        match ev {
            Event::DocType(_) => {
                return Err(err("event", "a document type declaration is not accepted"));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().as_ref().to_vec();
                let empty = matches!(ev, Event::Empty(_));
                match (name.as_slice(), path.len()) {
                    (b"event", 0) => {
                        let uid = attr(e, "event", "uid")?
                            .filter(|u| !u.trim().is_empty() && u.len() <= 256)
                            .ok_or_else(|| err("event@uid", "expected 1 to 256 characters"))?;
                        let kind = attr(e, "event", "type")?
                            .filter(|t| !t.is_empty() && t.len() <= 64)
                            .ok_or_else(|| {
                                err("event@type", "expected a CoT type such as b-m-p-s-m")
                            })?;
                        event = Some(CotEvent {
                            uid,
                            kind,
                            how: attr(e, "event", "how")?,
                            time: time_attr(e, "time")?,
                            start: time_attr(e, "start")?,
                            stale: time_attr(e, "stale")?,
                            point: None,
                            callsign: None,
                            remarks: None,
                            observation: None,
                        });
                    }
                    (b"event", _) => return Err(err("event", "an event inside an event")),
                    (_, 0) => {
                        return Err(err(
                            "event",
                            format!(
                                "expected <event> first, found <{}>",
                                String::from_utf8_lossy(&name)
                            ),
                        ));
                    }
                    (b"point", 1) => {
                        let p = Point {
                            lat: number_attr(e, "lat", -90.0..=90.0, None)?,
                            lon: number_attr(e, "lon", -180.0..=180.0, None)?,
                            hae: number_attr(e, "hae", -1e7..=1e7, Some(UNKNOWN))?,
                            ce: number_attr(e, "ce", 0.0..=1e7, Some(UNKNOWN))?,
                            le: number_attr(e, "le", 0.0..=1e7, Some(UNKNOWN))?,
                        };
                        if let Some(ev) = event.as_mut() {
                            ev.point = Some(p);
                        }
                    }
                    (b"contact", 2) if path[1] == b"detail" => {
                        if let Some(ev) = event.as_mut() {
                            ev.callsign = attr(e, "contact", "callsign")?;
                        }
                    }
                    _ => {}
                }
                if !empty {
                    path.push(name);
                }
                if path.len() > 16 {
                    return Err(err("event", "nested more than 16 elements deep"));
                }
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| err("event", format!("malformed text: {e}")))?
                    .into_owned();
                let at: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
                if let Some(ev) = event.as_mut() {
                    match at.as_slice() {
                        [b"event", b"detail", b"remarks"] => {
                            ev.remarks = Some(text.chars().take(MAX_REMARKS).collect())
                        }
                        [b"event", b"detail", b"truceline"] => ev.observation = Some(text),
                        _ => {}
                    }
                }
            }
            Event::CData(t) => {
                let at: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
                if let (Some(ev), [b"event", b"detail", b"truceline"]) =
                    (event.as_mut(), at.as_slice())
                {
                    ev.observation = Some(String::from_utf8_lossy(&t).into_owned());
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() {
        return Err(err("event", "ended before `</event>`"));
    }
    event.ok_or_else(|| err("event", "expected an <event> element"))
}

/// `s` as an id part: the characters observation ids allow, others as `_`.
fn id_part(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._:~-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The observation an event stands for, as JSON text for the observation parser (which checks
/// it like any other). See the crate's documentation for the mapping.
pub fn to_observation(ev: &CotEvent) -> Result<String, CotError> {
    if let Some(text) = &ev.observation {
        let v: Value = serde_json::from_str(text.trim()).map_err(|e| {
            err(
                "detail/truceline",
                format!("expected one observation as JSON (SPEC 2.2): {e}"),
            )
        })?;
        if !v.is_object() {
            return Err(err("detail/truceline", "expected a JSON object"));
        }
        return Ok(v.to_string());
    }
    let p = ev
        .point
        .ok_or_else(|| err("point", "missing; expected <point lat lon>"))?;
    let observer = ev
        .callsign
        .as_deref()
        .map(|c| id_part(c.trim(), 64))
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            err(
                "detail/contact@callsign",
                "missing; a plain event needs its sender's callsign as the observer",
            )
        })?;
    let id = format!(
        "cot-{}-{}",
        id_part(&ev.uid, 80),
        ev.time.strftime("%Y%m%dT%H%M%S")
    );
    // CoT gives an unknown error as 9999999: a marker placed by hand is good to a few tens of
    // metres.
    let uncertainty = if p.ce > 0.0 && p.ce < UNKNOWN {
        p.ce
    } else {
        50.0
    };
    let mut o = json!({
        "id": id,
        "observer": observer,
        "source": "patrol",
        "time": ev.time.to_string(),
        "kind": "other",
        "location": {"lon": p.lon, "lat": p.lat, "uncertainty_m": uncertainty},
    });
    if let Some(r) = ev.remarks.as_deref().filter(|r| !r.trim().is_empty()) {
        o["notes"] = json!(r.trim());
    }
    Ok(o.to_string())
}

fn write_event(
    out: &mut String,
    uid: &str,
    kind: &str,
    how: &str,
    now: jiff::Timestamp,
    start: jiff::Timestamp,
    stale: jiff::Timestamp,
) {
    out.push_str(&format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{}" type="{kind}" how="{how}" time="{now}" start="{start}" stale="{stale}">"#,
        escape(uid),
    ));
}

/// A TAK client's ping answered.
pub fn pong(now: jiff::Timestamp) -> String {
    let mut s = String::new();
    write_event(
        &mut s,
        "takPong",
        PONG_TYPE,
        "h-g-i-g-o",
        now,
        now,
        now + jiff::SignedDuration::from_secs(20),
    );
    s.push_str(
        r#"<point lat="0.0" lon="0.0" hae="0.0" ce="9999999.0" le="9999999.0"/><detail/></event>"#,
    );
    s
}

/// The event that takes an incident off a TAK map (CoT's forced delete, `t-x-d-d`): it was
/// merged into another or withdrawn.
pub fn removed_event(id: &str, now: jiff::Timestamp) -> String {
    let mut s = String::new();
    write_event(
        &mut s,
        &format!("truceline-delete-{id}"),
        DELETE_TYPE,
        "m-f",
        now,
        now,
        now + jiff::SignedDuration::from_secs(20),
    );
    s.push_str(&format!(
        r#"<point lat="0.0" lon="0.0" hae="{UNKNOWN:.1}" ce="{UNKNOWN:.1}" le="{UNKNOWN:.1}"/><detail><link uid="truceline-{}" relation="none" type="{INCIDENT_TYPE}"/><__forcedelete/></detail></event>"#,
        escape(id)
    ));
    s
}

/// An incident (as the receiving account's view shows it) as a CoT event sent at `now`;
/// `party_name` names an attributed party.
pub fn incident_event(
    inc: &IncidentRecord,
    now: jiff::Timestamp,
    party_name: impl Fn(&str) -> String,
) -> String {
    let mut s = String::new();
    write_event(
        &mut s,
        &format!("truceline-{}", inc.id),
        INCIDENT_TYPE,
        "m-f",
        now,
        inc.time,
        now + jiff::SignedDuration::from_hours(24),
    );
    let ce = inc
        .error_ellipse_m
        .map_or(UNKNOWN, |e| e.major.max(e.minor));
    s.push_str(&format!(
        r#"<point lat="{:.6}" lon="{:.6}" hae="{UNKNOWN:.1}" ce="{ce:.1}" le="{UNKNOWN:.1}"/><detail>"#,
        inc.location.lat, inc.location.lon
    ));
    let what = match inc.subtype {
        Some(st) => format!("{} ({})", inc.kind.as_str().replace('_', " "), st.as_str()),
        None => inc.kind.as_str().replace('_', " "),
    };
    let callsign = format!("{what} {}Z", inc.time.strftime("%H%M"));
    s.push_str(&format!(r#"<contact callsign="{}"/>"#, escape(&callsign)));
    let attribution = match &inc.attribution.party {
        Some(p) => format!(
            "attributed to {} (confidence {:.2})",
            party_name(p),
            inc.attribution.confidence
        ),
        None => "not attributed".into(),
    };
    let rules: Vec<&str> = inc.violations.iter().map(|v| v.rule.as_str()).collect();
    let remarks = format!(
        "{} × {what} at {}; {attribution}{}",
        inc.count,
        inc.time.strftime("%Y-%m-%d %H:%M:%SZ"),
        if rules.is_empty() {
            String::new()
        } else {
            format!("; violations: {}", rules.join(", "))
        }
    );
    s.push_str(&format!("<remarks>{}</remarks>", escape(&remarks)));
    s.push_str(&format!(
        r#"<truceline id="{}" kind="{}" count="{}" party="{}" confidence="{:.2}" violations="{}"/>"#,
        escape(&inc.id),
        inc.kind.as_str(),
        inc.count,
        escape(inc.attribution.party.as_deref().unwrap_or("")),
        inc.attribution.confidence,
        escape(rules.join(" ")),
    ));
    s.push_str("</detail></event>");
    s
}

/// The CoT type of a mission record: a point of interest (`b-m-p-s-p-i`), not a unit, so a TAK
/// map neither gives it an affiliation nor draws it as a force.
pub const RECORD_TYPE: &str = "b-m-p-s-p-i";

/// A mission record (SPEC 6) as the map shows it — one feature of the service's records
/// collection: a point, or an area given by its centre with `ce` reaching its farthest corner —
/// as a CoT point of interest, `uid` `truceline-record-<id>`. `None` for a feature without an
/// id, a time or a position.
pub fn record_event(feature: &serde_json::Value, now: jiff::Timestamp) -> Option<String> {
    let props = &feature["properties"];
    let id = props["id"].as_str()?;
    let kind = props["type"].as_str()?;
    let time: jiff::Timestamp = props["time"].as_str()?.parse().ok()?;
    let ((lat, lon), ce) = feature_position(&feature["geometry"])?;
    let mut s = String::new();
    write_event(
        &mut s,
        &format!("truceline-record-{id}"),
        RECORD_TYPE,
        "h-e",
        now,
        time,
        now + jiff::SignedDuration::from_hours(24),
    );
    s.push_str(&format!(
        r#"<point lat="{lat:.6}" lon="{lon:.6}" hae="{UNKNOWN:.1}" ce="{ce:.1}" le="{UNKNOWN:.1}"/><detail>"#
    ));
    let what = props["name"]
        .as_str()
        .or(props["hazard"].as_str())
        .or(props["kind"].as_str())
        .or(props["object"].as_str())
        .or(props["purpose"].as_str())
        .unwrap_or("");
    let callsign = if what.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {what}")
    };
    s.push_str(&format!(r#"<contact callsign="{}"/>"#, escape(&callsign)));
    // Every property, as the map shows them, in a stable order.
    let mut facts: Vec<String> = props
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, v)| !v.is_null() && !matches!(k.as_str(), "id" | "type"))
                .map(|(k, v)| match v.as_str() {
                    Some(t) => format!("{k} {t}"),
                    None => format!("{k} {v}"),
                })
                .collect()
        })
        .unwrap_or_default();
    facts.sort();
    let remarks = format!("{kind} record {id}; {}", facts.join("; "));
    s.push_str(&format!("<remarks>{}</remarks>", escape(&remarks)));
    s.push_str(&format!(
        r#"<truceline record="{}" id="{}"/>"#,
        escape(kind),
        escape(id)
    ));
    s.push_str("</detail></event>");
    Some(s)
}

/// A GeoJSON geometry's position for a marker: a point as it is; a polygon (or several) by the
/// centre of its outline's bounding box, with the distance to its farthest corner, metres.
fn feature_position(g: &serde_json::Value) -> Option<((f64, f64), f64)> {
    let pair = |c: &serde_json::Value| Some((c[1].as_f64()?, c[0].as_f64()?));
    match g["type"].as_str()? {
        "Point" => Some((pair(&g["coordinates"])?, 25.0)),
        "Polygon" | "MultiPolygon" => {
            let mut pts = Vec::new();
            let mut stack = vec![&g["coordinates"]];
            while let Some(v) = stack.pop() {
                match v.as_array() {
                    Some(a) if a.first().is_some_and(|x| x.is_number()) => pts.push(pair(v)?),
                    Some(a) => stack.extend(a.iter()),
                    None => return None,
                }
            }
            let (mut s, mut w, mut n, mut e) = (90.0f64, 180.0f64, -90.0f64, -180.0f64);
            for &(lat, lon) in &pts {
                (s, n, w, e) = (s.min(lat), n.max(lat), w.min(lon), e.max(lon));
            }
            if pts.is_empty() {
                return None;
            }
            let (lat, lon) = ((s + n) / 2.0, (w + e) / 2.0);
            // An equirectangular half-diagonal: areas here are a few kilometres across.
            let dy = (n - s) / 2.0 * 111_320.0;
            let dx = (e - w) / 2.0 * 111_320.0 * lat.to_radians().cos();
            Some(((lat, lon), dx.hypot(dy).max(25.0)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
