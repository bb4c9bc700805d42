//! AIS, as the mission receives it: NMEA 0183 sentences from shore receivers and aggregators,
//! decoded into messages with gpsd's field names and scaled values, so that tools written for
//! gpsd read our output unchanged. No I/O: lines in, messages out.
//!
//! Written here rather than taken from a crate: decoding is the maritime picture's hot path (a
//! busy regional feed is ~10 million messages a day) and the point is its speed and its
//! strictness — every sentence's checksum checked, every refusal naming what is wrong.
//!
//! - [`nmea`]: sentences, tag blocks and timestamps, multi-sentence messages reassembled;
//! - [`bits`]: the six-bit payload armoring;
//! - [`message`]: the fields of each message type;
//! - [`json`]: one message as a line of gpsd-style JSON.
//!
//! ```
//! let mut d = truceline_ais::Decoder::default();
//! let m = d.line("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A").unwrap().unwrap();
//! assert_eq!(m.message.mmsi, 371_798_000);
//! assert_eq!(m.message.speed, Some(12.3));
//! assert_eq!(m.to_json(), r#"{"class":"AIS","type":1,"repeat":0,"mmsi":371798000,"scaled":true,"status":0,"status_text":"Under way using engine","turn":"fastleft","speed":12.3,"accuracy":true,"lon":-123.3953833,"lat":48.3816333,"course":224,"heading":215,"second":33,"maneuver":0,"raim":false,"radio":34017}"#);
//! ```

pub mod bits;
pub mod encode;
pub mod json;
pub mod message;
pub mod nmea;

use std::collections::HashMap;

pub use message::Message;

/// Why a line was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AisError {
    /// The sentence itself: its checksum, a field, the armoring.
    #[error("{field}: {message}")]
    Sentence {
        field: &'static str,
        message: String,
    },
    /// A whole message whose bits do not make its type.
    #[error("type {msg_type}: {message}")]
    Message { msg_type: u8, message: String },
}

/// A decoded message and what the sentences said of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub message: Message,
    /// When received, Unix milliseconds, if the input said (tag block or leading timestamp).
    pub time_ms: Option<i64>,
    /// From an `!AIVDO` sentence: the receiver's own ship.
    pub own: bool,
    pub channel: Option<char>,
}

impl Decoded {
    /// One line of gpsd-style JSON.
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(320);
        json::write(self, &mut s);
        s
    }
}

/// Class B static data's part A kept until part B comes, at most this many ships at once.
const MAX_PART_A: usize = 4_096;

/// Lines in, messages out: sentences reassembled, decoded, and class B static data's two parts
/// (type 24 A, the name; B, the rest) merged into one message as gpsd gives it.
#[derive(Debug, Default)]
pub struct Decoder {
    assembler: nmea::Assembler,
    part_a: HashMap<u32, String>,
}

impl Decoder {
    /// One line of input: a message when it completes one; `None` for a sentence of a message
    /// still incomplete, a type 24 part waiting for its other half, or a line that is not AIS
    /// (another NMEA sentence, a comment, an empty line).
    pub fn line(&mut self, line: &str) -> Result<Option<Decoded>, AisError> {
        let p = match self.assembler.push(line)? {
            nmea::Line::Payload(p) => p,
            nmea::Line::Partial | nmea::Line::Other => return Ok(None),
        };
        let mut message = message::decode(&p.bits)?;
        if message.msg_type == 24 {
            match message.partno {
                Some(0) => {
                    if self.part_a.len() >= MAX_PART_A {
                        self.part_a.clear();
                    }
                    self.part_a
                        .insert(message.mmsi, message.shipname.take().unwrap_or_default());
                    return Ok(None);
                }
                _ => match self.part_a.remove(&message.mmsi) {
                    Some(name) => message.shipname = Some(name),
                    // As gpsd: a part B without its part A is not a whole message.
                    None => return Ok(None),
                },
            }
        }
        Ok(Some(Decoded {
            message,
            time_ms: p.time_ms,
            own: p.own,
            channel: p.channel,
        }))
    }
}

/// Unix milliseconds as an RFC 3339 UTC time with milliseconds.
pub fn rfc3339_ms(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}
