//! NMEA 0183 sentences as AIS receivers send them: `!AIVDM` (what others broadcast) and
//! `!AIVDO` (the receiver's own ship), with their checksum checked, an optional NMEA 4.10 tag
//! block (`\c:1700000000*hh\`) or a leading timestamp giving the time received, and messages
//! of several sentences reassembled.
//!
//! ```
//! use truceline_ais::nmea::{Assembler, Line};
//! let mut a = Assembler::default();
//! let s = r"\c:1241544035*5C\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
//! match a.push(s).unwrap() {
//!     Line::Payload(p) => {
//!         assert_eq!(p.time_ms, Some(1_241_544_035_000));
//!         assert_eq!(p.bits.len(), 168);
//!     }
//!     _ => unreachable!(),
//! }
//! ```

use crate::AisError;
use crate::bits::Bits;

/// Sentences of one message at most (AIS allows up to 5 slots; NMEA's count is one digit).
const MAX_PARTS: usize = 9;
/// Partly received messages kept at once; the oldest is dropped past this (a receiver that
/// lost a sentence never sends the rest).
const MAX_PENDING: usize = 64;

/// What a line of input is.
#[derive(Debug)]
pub enum Line {
    /// A whole message's payload, ready to decode.
    Payload(Payload),
    /// A sentence of a message whose other sentences have not all arrived.
    Partial,
    /// Not AIS: another NMEA sentence (GPS fixes), a comment or an empty line.
    Other,
}

/// A message's bits and what the sentences said of it.
#[derive(Debug, Clone)]
pub struct Payload {
    pub bits: Bits,
    /// `A` or `B` (or `1`/`2`), if given.
    pub channel: Option<char>,
    /// `true` for `!AIVDO`: the receiver's own ship.
    pub own: bool,
    /// When it was received (tag block `c:` or a leading timestamp), Unix milliseconds.
    pub time_ms: Option<i64>,
}

#[derive(Debug)]
struct Pending {
    key: (u8, Option<char>),
    count: u8,
    next: u8,
    bits: Bits,
    own: bool,
    time_ms: Option<i64>,
    age: u64,
}

/// Reassembles messages out of a stream of lines.
#[derive(Debug, Default)]
pub struct Assembler {
    pending: Vec<Pending>,
    clock: u64,
}

fn err(field: &'static str, message: impl Into<String>) -> AisError {
    AisError::Sentence {
        field,
        message: message.into(),
    }
}

fn hex2(s: &str) -> Option<u8> {
    if s.len() != 2 {
        return None;
    }
    u8::from_str_radix(s, 16).ok()
}

fn xor(s: &str) -> u8 {
    s.bytes().fold(0, |a, b| a ^ b)
}

/// Reads a tag block's parameters: returns the time of `c:` (seconds or milliseconds since
/// 1970), checking the block's checksum.
fn tag_block(block: &str) -> Result<Option<i64>, AisError> {
    let (body, sum) = block
        .rsplit_once('*')
        .ok_or_else(|| err("tag block", "expected `*hh` before the closing backslash"))?;
    let want = hex2(sum).ok_or_else(|| err("tag block", format!("bad checksum {sum:?}")))?;
    if xor(body) != want {
        return Err(err(
            "tag block",
            format!("checksum {sum} does not match {:02X}", xor(body)),
        ));
    }
    let mut time = None;
    for p in body.split(',') {
        if let Some(t) = p.strip_prefix("c:") {
            let n: i64 = t
                .parse()
                .map_err(|_| err("tag block", format!("c:{t} is not a number of seconds")))?;
            // Some receivers give milliseconds: no AIS message predates 2001.
            time = Some(if n > 100_000_000_000 { n } else { n * 1000 });
        }
    }
    Ok(time)
}

/// A leading timestamp (`1700000000.123 !AIVDM…`, or an RFC 3339 time without spaces).
fn leading_time(token: &str) -> Option<i64> {
    if let Ok(s) = token.parse::<f64>() {
        return (s.is_finite() && s > 0.0).then(|| (s * 1000.0).round() as i64);
    }
    parse_rfc3339_ms(token)
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` to Unix milliseconds (UTC only: receivers' logs use it).
fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-');
    let (y, m, dd): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let mut t = time.split(':');
    let (h, mi): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let sec: f64 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) || h > 23 || mi > 59 || sec >= 61.0 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400_000 + h * 3_600_000 + mi * 60_000 + (sec * 1000.0).round() as i64)
}

impl Assembler {
    /// Takes one line. Errors name what is wrong; a refused line leaves what was pending as it
    /// was (but a message whose sentence was refused can no longer complete).
    pub fn push(&mut self, line: &str) -> Result<Line, AisError> {
        let mut rest = line.trim_end_matches(['\r', '\n']).trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            return Ok(Line::Other);
        }
        let mut time_ms = None;
        // A leading timestamp, then the sentence (or its tag block).
        if !rest.starts_with(['!', '\\', '$'])
            && let Some((token, after)) = rest.split_once(' ')
        {
            time_ms = Some(leading_time(token).ok_or_else(|| {
                err(
                    "timestamp",
                    format!("expected Unix seconds or an RFC 3339 time, found {token:?}"),
                )
            })?);
            rest = after.trim_start();
        }
        if let Some(after) = rest.strip_prefix('\\') {
            let (block, sentence) = after
                .split_once('\\')
                .ok_or_else(|| err("tag block", "no closing backslash"))?;
            if let Some(t) = tag_block(block)? {
                time_ms = Some(t);
            }
            rest = sentence;
        }
        if !rest.starts_with('!') {
            return Ok(Line::Other);
        }
        let own = match rest.get(3..6) {
            Some("VDM") => false,
            Some("VDO") => true,
            // Another encapsulated sentence (`!AIALR`, …): not a message.
            _ => return Ok(Line::Other),
        };
        let star = rest
            .find('*')
            .ok_or_else(|| err("checksum", "expected `*hh` after the fields"))?;
        let body = &rest[1..star];
        let sum = rest[star + 1..]
            .get(..2)
            .ok_or_else(|| err("checksum", "expected two hex digits after `*`"))?;
        let want = hex2(sum).ok_or_else(|| err("checksum", format!("bad checksum {sum:?}")))?;
        if xor(body) != want {
            return Err(err(
                "checksum",
                format!("{sum} does not match the sentence's {:02X}", xor(body)),
            ));
        }
        let mut f = body.split(',');
        let _talker = f.next();
        fn field<'a>(v: Option<&'a str>, name: &'static str) -> Result<&'a str, AisError> {
            v.ok_or_else(|| err(name, "missing: expected 7 comma-separated fields"))
        }
        let count = field(f.next(), "count")?;
        let num = field(f.next(), "number")?;
        let seq = field(f.next(), "sequence")?;
        let channel = field(f.next(), "channel")?;
        let payload = field(f.next(), "payload")?;
        let fill = field(f.next(), "fill bits")?;
        let digit = |s: &str, name: &'static str, lo: u8, hi: u8| -> Result<u8, AisError> {
            match s.as_bytes() {
                [d @ b'0'..=b'9'] if (lo..=hi).contains(&(d - b'0')) => Ok(d - b'0'),
                _ => Err(err(
                    name,
                    format!("expected a digit {lo}–{hi}, found {s:?}"),
                )),
            }
        };
        let count = digit(count, "count", 1, MAX_PARTS as u8)?;
        let num = digit(num, "number", 1, count)?;
        let seq = if seq.is_empty() {
            u8::MAX
        } else {
            digit(seq, "sequence", 0, 9)?
        };
        let channel = match channel.as_bytes() {
            [] => None,
            [c] if c.is_ascii_alphanumeric() => Some(*c as char),
            _ => {
                return Err(err(
                    "channel",
                    format!("expected one letter or digit, found {channel:?}"),
                ));
            }
        };
        let fill = digit(fill, "fill bits", 0, 5)?;
        let mut bits = Bits::default();
        bits.push_armored(payload, fill)?;
        if count == 1 {
            return Ok(Line::Payload(Payload {
                bits,
                channel,
                own,
                time_ms,
            }));
        }
        self.clock += 1;
        let key = (seq, channel);
        let at = self.pending.iter().position(|p| p.key == key);
        if num == 1 {
            if let Some(i) = at {
                self.pending.swap_remove(i);
            }
            if self.pending.len() >= MAX_PENDING
                && let Some(oldest) = (0..self.pending.len()).min_by_key(|&i| self.pending[i].age)
            {
                self.pending.swap_remove(oldest);
            }
            self.pending.push(Pending {
                key,
                count,
                next: 2,
                bits,
                own,
                time_ms,
                age: self.clock,
            });
            return Ok(Line::Partial);
        }
        let Some(i) = at else {
            return Err(err(
                "number",
                format!("sentence {num} of {count} without sentence 1 (sequence {seq})"),
            ));
        };
        let p = &mut self.pending[i];
        if p.count != count || p.next != num {
            let expected = p.next;
            self.pending.swap_remove(i);
            return Err(err(
                "number",
                format!(
                    "sentence {num} of {count} where {expected} was expected; the message is dropped"
                ),
            ));
        }
        p.bits.append(&bits)?;
        p.next += 1;
        p.age = self.clock;
        if num < count {
            return Ok(Line::Partial);
        }
        let p = self.pending.swap_remove(i);
        Ok(Line::Payload(Payload {
            bits: p.bits,
            channel,
            own: p.own,
            time_ms: p.time_ms.or(time_ms),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_checksum_is_refused_naming_both() {
        let mut a = Assembler::default();
        let e = a
            .push("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "checksum: 4B does not match the sentence's 4A"
        );
    }

    #[test]
    fn two_sentences_make_one_message_and_out_of_order_ones_none() {
        let mut a = Assembler::default();
        let one =
            "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C";
        let two = "!AIVDM,2,2,1,A,88888888880,2*25";
        assert!(matches!(a.push(one).unwrap(), Line::Partial));
        match a.push(two).unwrap() {
            Line::Payload(p) => assert_eq!(p.bits.len(), 424),
            other => panic!("{other:?}"),
        }
        assert!(a.push(two).is_err(), "a second half alone");
    }

    #[test]
    fn other_sentences_and_comments_are_not_errors() {
        let mut a = Assembler::default();
        for l in [
            "",
            "# comment",
            "$GPGSA,A,3,11,32,14,28,22,03,10,08,17,,,,2.02,1.03,1.74*00",
        ] {
            assert!(matches!(a.push(l).unwrap(), Line::Other), "{l}");
        }
    }

    #[test]
    fn a_leading_timestamp_gives_the_time() {
        let mut a = Assembler::default();
        for (line, ms) in [
            (
                "1241544035.5 !AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
                1_241_544_035_500,
            ),
            (
                "2009-05-05T17:20:35Z !AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
                1_241_544_035_000,
            ),
        ] {
            match a.push(line).unwrap() {
                Line::Payload(p) => assert_eq!(p.time_ms, Some(ms)),
                other => panic!("{other:?}"),
            }
        }
        assert!(
            a.push("yesterday !AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A")
                .is_err()
        );
    }
}
