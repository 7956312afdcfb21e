//! Quote-free CSV text taken apart in place, 64 bytes at a time.
//!
//! Nearly every inventory is plain CSV: no quote character anywhere, so a comma always ends a
//! field and a line break always ends a record. Such text is read here as the csv crate reads
//! it (a record ends at `\n`, `\r` or `\r\n`, a blank line is no record, a field ends at a
//! comma), but without a byte-by-byte state machine: each block's separators are found at once
//! as bit masks (SSE2 on x86-64, a plain loop elsewhere) and the fields are read off the
//! masks' set bits, about eight a record. Any other text is left to the csv crate.

use super::inventory_cells::Row;

/// The widest row taken apart; a role column further right leaves the file to the csv crate.
pub const PLAIN_WIDTH: usize = 16;

/// The records after the header (which ends at byte `body`) of a CSV text with no quote
/// character, each given as its role cells (`at`: the role columns' positions) to `each`.
/// `None`, having read nothing, when the text is not of that kind.
pub fn plain_rows<'t>(
    text: &'t str,
    body: usize,
    at: [usize; 6],
    mut each: impl FnMut(Row<'t>),
) -> Option<()> {
    let width = at.iter().max().map_or(0, |m| m + 1);
    if width > PLAIN_WIDTH || memchr::memchr(b'"', text.as_bytes()).is_some() {
        return None;
    }
    let body = text.get(body..)?;
    let mut record = Record::new(at, width);
    let (blocks, rest) = body.as_bytes().as_chunks::<BLOCK>();
    let mut last = [0; BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    for (n, block) in blocks.iter().chain([&last]).enumerate() {
        let (commas, breaks) = separators(block);
        let mut found = commas | breaks;
        while found != 0 {
            let bit = found.trailing_zeros();
            let position = n * BLOCK + bit as usize;
            if breaks >> bit & 1 == 1 {
                record.end(body, position, &mut each);
            } else {
                record.comma(position);
            }
            found &= found - 1;
        }
    }
    record.end(body, body.len(), &mut each);
    Some(())
}

/// The bytes whose separators are found at once.
const BLOCK: usize = 64;

/// The record being read: where it starts, and where its first `width` fields end.
struct Record {
    at: [usize; 6],
    width: usize,
    start: usize,
    /// The positions of the record's first commas, `commas` of them (at most `width` kept).
    ends: [usize; PLAIN_WIDTH],
    commas: usize,
}

impl Record {
    fn new(at: [usize; 6], width: usize) -> Self {
        Record {
            at,
            width,
            start: 0,
            ends: [0; PLAIN_WIDTH],
            commas: 0,
        }
    }

    fn comma(&mut self, position: usize) {
        if self.commas < self.width {
            self.ends[self.commas] = position;
        }
        self.commas += 1;
    }

    /// A line break (or the text's end) at `position`: the record, unless it is blank, goes
    /// to `each`, and the next starts after it.
    #[inline(always)]
    fn end<'t>(&mut self, text: &'t str, position: usize, each: &mut impl FnMut(Row<'t>)) {
        if position > self.start {
            each(self.row(text, position));
        }
        self.start = position + 1;
        self.commas = 0;
    }

    #[inline(always)]
    fn row<'t>(&self, text: &'t str, end: usize) -> Row<'t> {
        let cell = |i: usize| {
            let start = if i == 0 {
                self.start
            } else {
                self.ends[i - 1] + 1
            };
            let end = if i < self.commas { self.ends[i] } else { end };
            (i <= self.commas)
                .then(|| text.get(start..end))
                .flatten()
                .filter(|c| !c.is_empty())
        };
        // Spelt out: `at.map(cell)` was not inlined.
        let [a, b, c, d, e, f] = self.at;
        Row::from_roles([cell(a), cell(b), cell(c), cell(d), cell(e), cell(f)])
    }
}

/// Where a block's commas and line breaks (`\n` or `\r`) are: bit `i` of each mask is byte
/// `i`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn separators(block: &[u8; BLOCK]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let (mut commas, mut breaks) = (0, 0);
    for (i, part) in block.as_chunks::<16>().0.iter().enumerate() {
        // SAFETY: SSE2 is part of every x86-64 target, and the unaligned load reads the 16
        // bytes of `part`, which its type says are there.
        #[allow(unsafe_code)]
        let (c, b) = unsafe {
            let bytes = _mm_loadu_si128(part.as_ptr().cast());
            let byte = |b: u8| _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b as i8));
            (
                _mm_movemask_epi8(byte(b',')),
                _mm_movemask_epi8(_mm_or_si128(byte(b'\n'), byte(b'\r'))),
            )
        };
        commas |= u64::from(c as u16) << (16 * i);
        breaks |= u64::from(b as u16) << (16 * i);
    }
    (commas, breaks)
}

#[cfg(not(target_arch = "x86_64"))]
fn separators(block: &[u8; BLOCK]) -> (u64, u64) {
    separators_bytewise(block)
}

/// [`separators`] a byte at a time: where there is no SSE2, and to test it against.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn separators_bytewise(block: &[u8; BLOCK]) -> (u64, u64) {
    let (mut commas, mut breaks) = (0, 0);
    for (i, &b) in block.iter().enumerate() {
        commas |= u64::from(b == b',') << i;
        breaks |= u64::from(b == b'\n' || b == b'\r') << i;
    }
    (commas, breaks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_found_as_a_byte_at_a_time() {
        // Blocks of commas, line breaks, quotes and other bytes, mixed by a simple generator
        // so that every position sees every kind, high bytes (UTF-8) among them.
        let kinds = [b',', b'\n', b'\r', b'x', b'"', 0xC3, 0, b' '];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..5_000 {
            let mut block = [0; BLOCK];
            for b in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = kinds[(state % 8) as usize];
            }
            assert_eq!(separators(&block), separators_bytewise(&block), "{block:?}");
        }
    }
}
