//! AIS payload armoring: each payload character carries six bits (ITU-R M.1371 §8.2.4), packed
//! here into bytes so that a field is read with a few shifts, whatever its width.
//!
//! ```
//! use truceline_ais::bits::Bits;
//! let mut b = Bits::default();
//! b.push_armored("15RTgt0PAso;90TKcjM8h6g208CQ", 0).unwrap();
//! assert_eq!(b.u(0, 6), 1); // message type 1
//! assert_eq!(b.u(8, 30), 371_798_000); // its MMSI
//! ```

use crate::AisError;

/// The longest message: five slots (1,008 bits); a little room beyond for senders that pad.
pub const MAX_BITS: usize = 1_120;

/// A message's bits, most significant first.
#[derive(Clone)]
pub struct Bits {
    data: [u8; MAX_BITS / 8 + 8],
    len: usize,
}

impl Default for Bits {
    fn default() -> Self {
        Bits {
            data: [0; MAX_BITS / 8 + 8],
            len: 0,
        }
    }
}

impl std::fmt::Debug for Bits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bits({})", self.len)
    }
}

/// A payload character's six bits (`0`–`W` and `` ` ``–`w`).
fn dearmor(c: u8) -> Option<u8> {
    let v = c.checked_sub(48)?;
    match v {
        0..=39 => Some(v),
        48..=71 => Some(v - 8),
        _ => None,
    }
}

impl Bits {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push6(&mut self, v: u8) {
        let (byte, off) = (self.len / 8, self.len % 8);
        // Six bits land in this byte and perhaps the next.
        let w = (v as u16) << (10 - off);
        self.data[byte] |= (w >> 8) as u8;
        self.data[byte + 1] |= w as u8;
        self.len += 6;
    }

    /// Appends an armored payload, less its `fill` bits.
    pub fn push_armored(&mut self, payload: &str, fill: u8) -> Result<(), AisError> {
        if self.len + payload.len() * 6 > MAX_BITS {
            return Err(AisError::Sentence {
                field: "payload",
                message: format!("longer than an AIS message's {MAX_BITS} bits"),
            });
        }
        for (i, c) in payload.bytes().enumerate() {
            let v = dearmor(c).ok_or_else(|| AisError::Sentence {
                field: "payload",
                message: format!(
                    "character {:?} at {} is not AIS armoring (0–W, `–w)",
                    c as char,
                    i + 1
                ),
            })?;
            self.push6(v);
        }
        let fill = fill as usize;
        if fill > self.len {
            return Err(AisError::Sentence {
                field: "fill bits",
                message: format!("{fill} fill bits but only {} bits", self.len),
            });
        }
        let end = self.len;
        self.len -= fill;
        // Bits past the end read as zero: clear the fill bits (at most five, in two bytes).
        for i in self.len..end {
            self.data[i / 8] &= !(0x80 >> (i % 8));
        }
        Ok(())
    }

    /// Appends another sentence's bits.
    pub fn append(&mut self, other: &Bits) -> Result<(), AisError> {
        if self.len + other.len > MAX_BITS {
            return Err(AisError::Sentence {
                field: "payload",
                message: format!("longer than an AIS message's {MAX_BITS} bits"),
            });
        }
        for i in 0..other.len {
            if other.data[i / 8] & (0x80 >> (i % 8)) != 0 {
                let j = self.len + i;
                self.data[j / 8] |= 0x80 >> (j % 8);
            }
        }
        self.len += other.len;
        Ok(())
    }

    /// `width` (≤ 57) bits from `start` as an unsigned number; bits past the end read as zero.
    #[inline]
    pub fn u(&self, start: usize, width: usize) -> u64 {
        debug_assert!(width <= 57);
        let byte = start / 8;
        // The array has eight bytes to spare beyond the longest message: a whole word is read.
        let w = match self.data.get(byte..byte + 8) {
            Some(b) => u64::from_be_bytes(b.try_into().expect("eight bytes")),
            None => return 0,
        };
        (w << (start % 8)) >> (64 - width)
    }

    /// `width` bits from `start` as a two's complement number.
    #[inline]
    pub fn i(&self, start: usize, width: usize) -> i64 {
        let v = self.u(start, width) as i64;
        (v << (64 - width)) >> (64 - width)
    }

    #[inline]
    pub fn bool(&self, start: usize) -> bool {
        self.u(start, 1) == 1
    }

    /// `chars` six-bit characters from `start` (ITU's 6-bit ASCII), cut at the first `@` (its
    /// padding) and without trailing spaces, as gpsd gives them. Characters past the end are
    /// not read.
    pub fn text(&self, start: usize, chars: usize) -> String {
        let mut s = String::with_capacity(chars);
        for k in 0..chars {
            let at = start + 6 * k;
            if at + 6 > self.len {
                break;
            }
            let v = self.u(at, 6) as u8;
            if v == 0 {
                break;
            }
            s.push(if v < 32 { (v + 64) as char } else { v as char });
        }
        s.truncate(s.trim_end_matches(' ').len());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_across_byte_boundaries_and_signs() {
        let mut b = Bits::default();
        // 0b000001 0b000101 …
        b.push_armored("15", 0).unwrap();
        assert_eq!(b.len(), 12);
        assert_eq!(b.u(0, 6), 1);
        assert_eq!(b.u(6, 6), 5);
        assert_eq!(b.u(3, 6), 0b001000);
        let mut n = Bits::default();
        n.push_armored("w", 0).unwrap();
        assert_eq!(n.i(0, 6), -1);
        assert_eq!(n.u(0, 6), 63);
    }

    #[test]
    fn fill_bits_are_dropped_and_read_as_zero() {
        let mut b = Bits::default();
        b.push_armored("w", 2).unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(b.u(0, 6), 0b111100);
        assert!(b.push_armored("x", 0).is_err());
    }

    #[test]
    fn appended_sentences_continue_the_bit_stream() {
        let (mut a, mut b) = (Bits::default(), Bits::default());
        a.push_armored("1", 2).unwrap();
        b.push_armored("5w", 0).unwrap();
        a.append(&b).unwrap();
        assert_eq!(a.len(), 16);
        assert_eq!(a.u(0, 4), 0);
        assert_eq!(a.u(4, 6), 5);
        assert_eq!(a.u(10, 6), 63);
    }
}
