//! AIS messages decoded from their bits (ITU-R M.1371-5), with gpsd's field names and its
//! scaled units: degrees, knots, metres. A value the standard marks "not available" (longitude
//! 181°, latitude 91°, speed 102.3 kn, course 360°, heading 511, turn −128, altitude 4095) is
//! `None`, never a number that could be mistaken for a position.
//!
//! Decoded: position reports (1, 2, 3), base station and UTC reports (4, 11), static and voyage
//! data (5), SAR aircraft (9), class B positions (18, 19), aids to navigation (21), class B
//! static data (24, parts A and B) and long-range positions (27). Any other type is kept with
//! its type, repeat indicator and MMSI.

use crate::AisError;
use crate::bits::Bits;

/// One decoded message: the fields its type carries are `Some`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    /// Navigational status (1–3, 27).
    pub status: Option<u8>,
    /// Rate of turn, degrees a minute, signed (right positive); `fastleft`/`fastright` as
    /// ±720 (more than 5° in 30 s, no rate known).
    pub turn: Option<f64>,
    /// Speed over ground, knots (102.2 means 102.2 or more).
    pub speed: Option<f64>,
    pub accuracy: Option<bool>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Course over ground, degrees.
    pub course: Option<f64>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// UTC second of the report (60–63: not available, manual, dead reckoning, inoperative).
    pub second: Option<u8>,
    pub maneuver: Option<u8>,
    pub raim: Option<bool>,
    pub radio: Option<u32>,
    /// Type 4/11's date and time as gpsd writes it (`YYYY-MM-DDTHH:MM:SSZ`, the standard's
    /// "not available" values written as they are).
    pub timestamp: Option<String>,
    /// Type of position fixing device.
    pub epfd: Option<u8>,
    pub ais_version: Option<u8>,
    pub imo: Option<u32>,
    pub callsign: Option<String>,
    pub shipname: Option<String>,
    pub shiptype: Option<u8>,
    pub to_bow: Option<u16>,
    pub to_stern: Option<u16>,
    pub to_port: Option<u8>,
    pub to_starboard: Option<u8>,
    /// `MM-DDTHH:MMZ` as gpsd writes it.
    pub eta: Option<String>,
    /// Metres.
    pub draught: Option<f64>,
    pub destination: Option<String>,
    pub dte: Option<bool>,
    /// Altitude of a SAR aircraft, metres.
    pub alt: Option<u16>,
    pub regional: Option<u8>,
    pub assigned: Option<bool>,
    pub reserved: Option<u8>,
    pub cs: Option<bool>,
    pub display: Option<bool>,
    pub dsc: Option<bool>,
    pub band: Option<bool>,
    pub msg22: Option<bool>,
    pub aid_type: Option<u8>,
    /// An aid to navigation's name (with its extension).
    pub name: Option<String>,
    pub off_position: Option<bool>,
    pub virtual_aid: Option<bool>,
    /// Type 24 part B.
    pub vendorid: Option<String>,
    pub model: Option<u8>,
    pub serial: Option<u32>,
    pub mothership_mmsi: Option<u32>,
    /// Type 24's part number (0 A, 1 B) as received; a merged message has both parts' fields.
    pub partno: Option<u8>,
    /// Type 27: whether the position is not from a GNSS fix.
    pub gnss: Option<bool>,
}

fn too_short(t: u8, bits: usize, need: usize) -> AisError {
    AisError::Message {
        msg_type: t,
        message: format!("{bits} bits where type {t} has at least {need}"),
    }
}

/// Longitude in 1/10,000 minute (28 bits), `None` at 181°.
fn lon(b: &Bits, at: usize) -> Option<f64> {
    let v = b.i(at, 28);
    (v != 181 * 600_000).then_some(v as f64 / 600_000.0)
}

/// Latitude in 1/10,000 minute (27 bits), `None` at 91°.
fn lat(b: &Bits, at: usize) -> Option<f64> {
    let v = b.i(at, 27);
    (v != 91 * 600_000).then_some(v as f64 / 600_000.0)
}

/// Speed in 1/10 knot (10 bits), `None` at 1023.
fn speed10(b: &Bits, at: usize) -> Option<f64> {
    let v = b.u(at, 10);
    (v != 1023).then_some(v as f64 / 10.0)
}

/// Course in 1/10 degree (12 bits), `None` at 3600 (and above, which the standard forbids).
fn course10(b: &Bits, at: usize) -> Option<f64> {
    let v = b.u(at, 12);
    (v < 3600).then_some(v as f64 / 10.0)
}

fn heading(b: &Bits, at: usize) -> Option<u16> {
    let v = b.u(at, 9) as u16;
    (v != 511).then_some(v)
}

fn dims(b: &Bits, at: usize, m: &mut Message) {
    m.to_bow = Some(b.u(at, 9) as u16);
    m.to_stern = Some(b.u(at + 9, 9) as u16);
    m.to_port = Some(b.u(at + 18, 6) as u8);
    m.to_starboard = Some(b.u(at + 24, 6) as u8);
}

/// Speed, accuracy, position, course, heading and second: the run every position report has,
/// starting at `at` (50 for types 1–3, 46 for class B).
fn position(b: &Bits, at: usize, m: &mut Message) {
    m.speed = speed10(b, at);
    m.accuracy = Some(b.bool(at + 10));
    m.lon = lon(b, at + 11);
    m.lat = lat(b, at + 39);
    m.course = course10(b, at + 66);
    m.heading = heading(b, at + 78);
    m.second = Some(b.u(at + 87, 6) as u8);
}

/// The position both class B reports (18, 19) begin with.
fn class_b_position(b: &Bits, m: &mut Message) {
    m.reserved = Some(b.u(38, 8) as u8);
    position(b, 46, m);
}

/// Decodes one message's bits.
pub fn decode(b: &Bits) -> Result<Message, AisError> {
    if b.len() < 38 {
        return Err(AisError::Message {
            msg_type: b.u(0, 6) as u8,
            message: format!("{} bits: too short for a type, repeat and MMSI", b.len()),
        });
    }
    let t = b.u(0, 6) as u8;
    let mut m = Message {
        msg_type: t,
        repeat: b.u(6, 2) as u8,
        mmsi: b.u(8, 30) as u32,
        ..Message::default()
    };
    let need = |n: usize| {
        if b.len() < n {
            Err(too_short(t, b.len(), n))
        } else {
            Ok(())
        }
    };
    match t {
        1..=3 => {
            // 168 by the standard; some transponders send a few bits fewer, which only shortens
            // the radio status (read from what there is, as gpsd does).
            need(163)?;
            m.status = Some(b.u(38, 4) as u8);
            m.turn = match b.i(42, 8) {
                -128 => None,
                127 => Some(720.0),
                -127 => Some(-720.0),
                r => {
                    let x = r as f64 / 4.733;
                    Some(x * x.abs())
                }
            };
            position(b, 50, &mut m);
            m.maneuver = Some(b.u(143, 2) as u8);
            m.raim = Some(b.bool(148));
            m.radio = Some(b.u(149, (b.len() - 149).min(19)) as u32);
        }
        4 | 11 => {
            need(168)?;
            m.timestamp = Some(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                b.u(38, 14),
                b.u(52, 4),
                b.u(56, 5),
                b.u(61, 5),
                b.u(66, 6),
                b.u(72, 6)
            ));
            m.accuracy = Some(b.bool(78));
            m.lon = lon(b, 79);
            m.lat = lat(b, 107);
            m.epfd = Some(b.u(134, 4) as u8);
            m.raim = Some(b.bool(148));
            m.radio = Some(b.u(149, 19) as u32);
        }
        5 => {
            // 424 by the standard; some transponders send two bits fewer.
            need(420)?;
            m.ais_version = Some(b.u(38, 2) as u8);
            m.imo = Some(b.u(40, 30) as u32);
            m.callsign = Some(b.text(70, 7));
            m.shipname = Some(b.text(112, 20));
            m.shiptype = Some(b.u(232, 8) as u8);
            dims(b, 240, &mut m);
            m.epfd = Some(b.u(270, 4) as u8);
            m.eta = Some(format!(
                "{:02}-{:02}T{:02}:{:02}Z",
                b.u(274, 4),
                b.u(278, 5),
                b.u(283, 5),
                b.u(288, 6)
            ));
            m.draught = Some(b.u(294, 8) as f64 / 10.0);
            m.destination = Some(b.text(302, 20));
            m.dte = Some(b.bool(422));
        }
        9 => {
            need(168)?;
            let alt = b.u(38, 12) as u16;
            m.alt = (alt != 4095).then_some(alt);
            let s = b.u(50, 10);
            m.speed = (s != 1023).then_some(s as f64);
            m.accuracy = Some(b.bool(60));
            m.lon = lon(b, 61);
            m.lat = lat(b, 89);
            m.course = course10(b, 116);
            m.second = Some(b.u(128, 6) as u8);
            m.regional = Some(b.u(134, 8) as u8);
            m.dte = Some(b.bool(142));
            m.assigned = Some(b.bool(146));
            m.raim = Some(b.bool(147));
            m.radio = Some(b.u(148, 20) as u32);
        }
        18 => {
            need(168)?;
            class_b_position(b, &mut m);
            m.regional = Some(b.u(139, 2) as u8);
            m.cs = Some(b.bool(141));
            m.display = Some(b.bool(142));
            m.dsc = Some(b.bool(143));
            m.band = Some(b.bool(144));
            m.msg22 = Some(b.bool(145));
            m.assigned = Some(b.bool(146));
            m.raim = Some(b.bool(147));
            m.radio = Some(b.u(148, 20) as u32);
        }
        19 => {
            need(312)?;
            class_b_position(b, &mut m);
            m.regional = Some(b.u(139, 4) as u8);
            m.shipname = Some(b.text(143, 20));
            m.shiptype = Some(b.u(263, 8) as u8);
            dims(b, 271, &mut m);
            m.epfd = Some(b.u(301, 4) as u8);
            m.raim = Some(b.bool(305));
            m.dte = Some(b.bool(306));
            m.assigned = Some(b.bool(307));
        }
        21 => {
            need(272)?;
            m.aid_type = Some(b.u(38, 5) as u8);
            let mut name = b.text(43, 20);
            // The name's extension: up to 14 more characters after the fixed part.
            if b.len() > 272 {
                name.push_str(&b.text(272, (b.len() - 272) / 6));
            }
            m.name = Some(name);
            m.accuracy = Some(b.bool(163));
            m.lon = lon(b, 164);
            m.lat = lat(b, 192);
            dims(b, 219, &mut m);
            m.epfd = Some(b.u(249, 4) as u8);
            m.second = Some(b.u(253, 6) as u8);
            m.off_position = Some(b.bool(259));
            m.regional = Some(b.u(260, 8) as u8);
            m.raim = Some(b.bool(268));
            m.virtual_aid = Some(b.bool(269));
            m.assigned = Some(b.bool(270));
        }
        24 => {
            need(40)?;
            let part = b.u(38, 2) as u8;
            m.partno = Some(part);
            match part {
                0 => {
                    need(160)?;
                    m.shipname = Some(b.text(40, 20));
                }
                1 => {
                    need(168)?;
                    m.shiptype = Some(b.u(40, 8) as u8);
                    m.vendorid = Some(b.text(48, 7));
                    m.model = Some(b.u(66, 4) as u8);
                    m.serial = Some(b.u(70, 20) as u32);
                    m.callsign = Some(b.text(90, 7));
                    // An auxiliary craft (MMSI 98MIDxxxx) names its mother ship instead.
                    if m.mmsi / 10_000_000 == 98 {
                        m.mothership_mmsi = Some(b.u(132, 30) as u32);
                    } else {
                        dims(b, 132, &mut m);
                    }
                }
                p => {
                    return Err(AisError::Message {
                        msg_type: 24,
                        message: format!("part number {p}: only A (0) and B (1) exist"),
                    });
                }
            }
        }
        27 => {
            need(96)?;
            m.accuracy = Some(b.bool(38));
            m.raim = Some(b.bool(39));
            m.status = Some(b.u(40, 4) as u8);
            let x = b.i(44, 18);
            m.lon = (x != 181 * 600).then_some(x as f64 / 600.0);
            let y = b.i(62, 17);
            m.lat = (y != 91 * 600).then_some(y as f64 / 600.0);
            let s = b.u(79, 6);
            m.speed = (s != 63).then_some(s as f64);
            let c = b.u(85, 9);
            m.course = (c != 511).then_some(c as f64);
            m.gnss = Some(b.bool(94));
        }
        _ => {}
    }
    Ok(m)
}
