//! Messages back into sentences: the inverse of [`crate::message::decode`] for the types a
//! vessel sends about itself (position reports 1–3 and 18, static data 5 and 24), so that the
//! maritime simulator speaks the same NMEA a receiver does and tests can round-trip.
//!
//! ```
//! use truceline_ais::{encode, Decoder, Message};
//! let m = Message {
//!     msg_type: 1, mmsi: 273_123_450, status: Some(0), speed: Some(12.3),
//!     lon: Some(37.8), lat: Some(44.7), course: Some(181.5), heading: Some(182),
//!     ..Message::default()
//! };
//! let lines = encode::sentences(&m, 'A', 0, Some(1_760_000_000));
//! let d = Decoder::default().line(&lines[0]).unwrap().unwrap();
//! assert_eq!(d.message.mmsi, 273_123_450);
//! assert_eq!(d.message.speed, Some(12.3));
//! assert_eq!(d.time_ms, Some(1_760_000_000_000));
//! ```

use crate::message::Message;

/// Bits, most significant first, one a byte (a message is at most a few hundred).
#[derive(Debug, Default, Clone)]
pub struct BitWriter {
    bits: Vec<u8>,
}

impl BitWriter {
    /// The low `n` bits of `v`.
    pub fn u(&mut self, v: u64, n: usize) {
        for i in (0..n).rev() {
            self.bits.push(((v >> i) & 1) as u8);
        }
    }

    /// A signed value in `n` bits, two's complement.
    pub fn i(&mut self, v: i64, n: usize) {
        self.u(v as u64 & ((1u64 << n) - 1), n);
    }

    pub fn bool(&mut self, v: bool) {
        self.bits.push(u8::from(v));
    }

    /// `chars` characters of six-bit text, padded with `@` (ITU-R M.1371 table 47); what it
    /// cannot carry (lower case becomes upper, the rest `?`) is replaced rather than refused.
    pub fn text(&mut self, s: &str, chars: usize) {
        let mut it = s.chars();
        for _ in 0..chars {
            let v = match it.next().map(|c| c.to_ascii_uppercase()) {
                None => 0,
                Some(c @ '@'..='_') => c as u64 - 64,
                Some(c @ ' '..='?') => c as u64,
                Some(_) => '?' as u64,
            };
            self.u(v, 6);
        }
    }

    pub fn len(&self) -> usize {
        self.bits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// The payload characters and the number of fill bits added to make whole characters.
    pub fn armored(&self) -> (String, u8) {
        let fill = (6 - self.bits.len() % 6) % 6;
        let mut s = String::with_capacity(self.bits.len() / 6 + 1);
        for chunk in self.bits.chunks(6) {
            let mut v = 0u8;
            for (k, b) in chunk.iter().enumerate() {
                v |= b << (5 - k);
            }
            s.push(char::from(if v < 40 { v + 48 } else { v + 56 }));
        }
        (s, fill as u8)
    }
}

fn lon(w: &mut BitWriter, v: Option<f64>) {
    w.i(
        v.map_or(181 * 600_000, |x| (x * 600_000.0).round() as i64),
        28,
    );
}

fn lat(w: &mut BitWriter, v: Option<f64>) {
    w.i(
        v.map_or(91 * 600_000, |x| (x * 600_000.0).round() as i64),
        27,
    );
}

fn speed10(w: &mut BitWriter, v: Option<f64>) {
    w.u(
        v.map_or(1023, |x| ((x * 10.0).round() as u64).min(1022)),
        10,
    );
}

fn course10(w: &mut BitWriter, v: Option<f64>) {
    w.u(
        v.map_or(3600, |x| ((x * 10.0).round() as u64).min(3599)),
        12,
    );
}

fn heading(w: &mut BitWriter, v: Option<u16>) {
    w.u(v.map_or(511, u64::from), 9);
}

/// Speed, accuracy, position, course, heading and second: the run every position report has.
fn position(w: &mut BitWriter, m: &Message) {
    speed10(w, m.speed);
    w.bool(m.accuracy.unwrap_or(false));
    lon(w, m.lon);
    lat(w, m.lat);
    course10(w, m.course);
    heading(w, m.heading);
    w.u(m.second.unwrap_or(60).into(), 6);
}

fn dims(w: &mut BitWriter, m: &Message) {
    w.u(m.to_bow.unwrap_or(0).into(), 9);
    w.u(m.to_stern.unwrap_or(0).into(), 9);
    w.u(m.to_port.unwrap_or(0).into(), 6);
    w.u(m.to_starboard.unwrap_or(0).into(), 6);
}

/// A `MM-DDTHH:MMZ` time as type 5's four fields; "not available" (0, 0, 24, 60) otherwise.
fn eta(s: Option<&str>) -> [u64; 4] {
    let parse = |s: &str| -> Option<[u64; 4]> {
        let b = s.as_bytes();
        if b.len() != 12 {
            return None;
        }
        let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
        Some([n(0..2)?, n(3..5)?, n(6..8)?, n(9..11)?])
    };
    s.and_then(parse).unwrap_or([0, 0, 24, 60])
}

/// A message's bits. Types other than 1–3, 5, 18 and 24 are written as their header alone.
pub fn bits(m: &Message) -> BitWriter {
    let mut w = BitWriter::default();
    w.u(m.msg_type.into(), 6);
    w.u(m.repeat.into(), 2);
    w.u(m.mmsi.into(), 30);
    match m.msg_type {
        1..=3 => {
            w.u(m.status.unwrap_or(15).into(), 4);
            w.i(
                match m.turn {
                    None => -128,
                    Some(t) if t >= 720.0 => 127,
                    Some(t) if t <= -720.0 => -127,
                    Some(t) => (4.733 * t.abs().sqrt() * t.signum())
                        .round()
                        .clamp(-126.0, 126.0) as i64,
                },
                8,
            );
            position(&mut w, m);
            w.u(m.maneuver.unwrap_or(0).into(), 2);
            w.u(0, 3);
            w.bool(m.raim.unwrap_or(false));
            w.u(m.radio.unwrap_or(0).into(), 19);
        }
        5 => {
            w.u(m.ais_version.unwrap_or(0).into(), 2);
            w.u(m.imo.unwrap_or(0).into(), 30);
            w.text(m.callsign.as_deref().unwrap_or(""), 7);
            w.text(m.shipname.as_deref().unwrap_or(""), 20);
            w.u(m.shiptype.unwrap_or(0).into(), 8);
            dims(&mut w, m);
            w.u(m.epfd.unwrap_or(0).into(), 4);
            let [mo, d, h, mi] = eta(m.eta.as_deref());
            w.u(mo, 4);
            w.u(d, 5);
            w.u(h, 5);
            w.u(mi, 6);
            w.u(
                m.draught
                    .map_or(0, |x| ((x * 10.0).round() as u64).min(255)),
                8,
            );
            w.text(m.destination.as_deref().unwrap_or(""), 20);
            w.bool(m.dte.unwrap_or(true));
            w.u(0, 1);
        }
        18 => {
            w.u(m.reserved.unwrap_or(0).into(), 8);
            position(&mut w, m);
            w.u(m.regional.unwrap_or(0).into(), 2);
            for f in [m.cs, m.display, m.dsc, m.band, m.msg22, m.assigned, m.raim] {
                w.bool(f.unwrap_or(false));
            }
            w.u(m.radio.unwrap_or(0).into(), 20);
        }
        24 => {
            let part = m.partno.unwrap_or(0);
            w.u(part.into(), 2);
            if part == 0 {
                w.text(m.shipname.as_deref().unwrap_or(""), 20);
                w.u(0, 8);
            } else {
                w.u(m.shiptype.unwrap_or(0).into(), 8);
                w.text(m.vendorid.as_deref().unwrap_or(""), 3);
                w.u(m.model.unwrap_or(0).into(), 4);
                w.u(m.serial.unwrap_or(0).into(), 20);
                w.text(m.callsign.as_deref().unwrap_or(""), 7);
                match m.mothership_mmsi {
                    Some(ms) => w.u(ms.into(), 30),
                    None => dims(&mut w, m),
                }
                w.u(0, 6);
            }
        }
        _ => {}
    }
    w
}

/// NMEA's checksum: the XOR of the bytes between the delimiters.
pub fn checksum(s: &str) -> u8 {
    s.bytes().fold(0, |a, b| a ^ b)
}

/// The most payload characters one sentence carries (82 characters in all, as NMEA 0183 allows).
const MAX_PAYLOAD: usize = 60;

/// A message as `!AIVDM` sentences (several when it is longer than one sentence carries, with
/// `seq` as their sequential message id), each led by an NMEA 4.10 tag block with the time of
/// reception in Unix seconds when `time_s` is given.
pub fn sentences(m: &Message, channel: char, seq: u8, time_s: Option<i64>) -> Vec<String> {
    let (payload, fill) = bits(m).armored();
    let chunks: Vec<&str> = payload
        .as_bytes()
        .chunks(MAX_PAYLOAD)
        .map(|c| std::str::from_utf8(c).expect("armoring is ASCII"))
        .collect();
    let n = chunks.len();
    let tag = time_s.map(|t| {
        let body = format!("c:{t}");
        format!("\\{body}*{:02X}\\", checksum(&body))
    });
    chunks
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let id = if n > 1 {
                (seq % 10).to_string()
            } else {
                String::new()
            };
            let f = if k + 1 == n { fill } else { 0 };
            let body = format!("AIVDM,{n},{},{id},{channel},{c},{f}", k + 1);
            // Only a message's first sentence carries the tag block, as receivers write it.
            let lead = if k == 0 {
                tag.as_deref().unwrap_or("")
            } else {
                ""
            };
            format!("{lead}!{body}*{:02X}", checksum(&body))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Decoder;

    fn round_trip(m: &Message) -> Vec<Message> {
        let mut d = Decoder::default();
        sentences(m, 'B', 3, Some(1_700_000_000))
            .iter()
            .filter_map(|l| d.line(l).unwrap())
            .map(|x| x.message)
            .collect()
    }

    #[test]
    fn a_position_report_comes_back_as_it_was_written() {
        let m = Message {
            msg_type: 1,
            mmsi: 613_000_777,
            status: Some(1),
            turn: None,
            speed: Some(0.4),
            accuracy: Some(true),
            lon: Some(-0.5),
            lat: Some(-33.25),
            course: Some(359.9),
            heading: None,
            second: Some(17),
            maneuver: Some(0),
            raim: Some(false),
            radio: Some(12_345),
            ..Message::default()
        };
        assert_eq!(round_trip(&m), vec![m]);
    }

    #[test]
    fn static_data_spans_two_sentences_and_comes_back_whole() {
        let m = Message {
            msg_type: 5,
            mmsi: 273_000_001,
            ais_version: Some(0),
            imo: Some(9_074_729),
            callsign: Some("UBCD7".into()),
            shipname: Some("ILLUSTRATIVE TANKER".into()),
            shiptype: Some(80),
            to_bow: Some(200),
            to_stern: Some(44),
            to_port: Some(21),
            to_starboard: Some(21),
            epfd: Some(1),
            eta: Some("03-14T06:30Z".into()),
            draught: Some(14.2),
            destination: Some("NOVOROSSIYSK".into()),
            dte: Some(false),
            ..Message::default()
        };
        let lines = sentences(&m, 'A', 7, None);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.len() <= 82), "{lines:?}");
        assert_eq!(round_trip(&m), vec![m]);
    }

    #[test]
    fn class_b_reports_and_both_static_parts_come_back_merged() {
        let pos = Message {
            msg_type: 18,
            mmsi: 272_555_000,
            reserved: Some(0),
            speed: Some(6.1),
            accuracy: Some(false),
            lon: Some(30.75),
            lat: Some(46.48),
            course: Some(90.0),
            heading: Some(91),
            second: Some(5),
            regional: Some(0),
            cs: Some(true),
            display: Some(false),
            dsc: Some(true),
            band: Some(true),
            msg22: Some(true),
            assigned: Some(false),
            raim: Some(false),
            radio: Some(917_510),
            ..Message::default()
        };
        assert_eq!(round_trip(&pos), vec![pos]);
        let a = Message {
            msg_type: 24,
            mmsi: 272_555_000,
            partno: Some(0),
            shipname: Some("SEAGULL".into()),
            ..Message::default()
        };
        let b = Message {
            msg_type: 24,
            mmsi: 272_555_000,
            partno: Some(1),
            shiptype: Some(37),
            vendorid: Some("ABC".into()),
            model: Some(0),
            serial: Some(0),
            callsign: Some("UR1234".into()),
            to_bow: Some(5),
            to_stern: Some(4),
            to_port: Some(1),
            to_starboard: Some(2),
            ..Message::default()
        };
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for m in [&a, &b] {
            for l in sentences(m, 'A', 0, None) {
                out.extend(d.line(&l).unwrap());
            }
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message.shipname.as_deref(), Some("SEAGULL"));
        assert_eq!(out[0].message.callsign.as_deref(), Some("UR1234"));
        assert_eq!(out[0].message.shiptype, Some(37));
    }
}
