//! A guard run before polars reads a Parquet inventory: the footer (Thrift compact protocol)
//! is walked once, without building anything, and every list, map and string length must fit
//! in the bytes left. polars' footer reader trusts those lengths and reserves memory for them,
//! so one damaged footer of 2 KiB could ask for 70 GB and end the whole run (found by fuzzing,
//! `pipeline/tests/fuzz-findings/inventory_parquet`).

/// Nesting allowed in a footer (Parquet's own schema needs a handful of levels).
const MAX_DEPTH: usize = 64;

/// `Err` with a reason when the bytes do not end in a well-formed Parquet footer.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len();
    if n < 12 || &bytes[..4] != b"PAR1" || &bytes[n - 4..] != b"PAR1" {
        return Err("it does not begin and end with the Parquet marker PAR1".into());
    }
    let length =
        u32::from_le_bytes([bytes[n - 8], bytes[n - 7], bytes[n - 6], bytes[n - 5]]) as usize;
    if length > n - 12 {
        return Err("its footer claims to be longer than the file".into());
    }
    let mut footer = Walker {
        bytes: &bytes[n - 8 - length..n - 8],
        at: 0,
    };
    footer.skip_struct(0)
}

struct Walker<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Walker<'_> {
    fn left(&self) -> u64 {
        (self.bytes.len() - self.at) as u64
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or("its footer ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("its footer has a malformed number".into())
    }

    fn skip(&mut self, count: u64) -> Result<(), String> {
        if count > self.left() {
            return Err("its footer names more bytes than it holds".into());
        }
        self.at += count as usize;
        Ok(())
    }

    fn skip_struct(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("its footer is nested too deeply".into());
        }
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Ok(());
            }
            if header >> 4 == 0 {
                self.varint()?; // a field id given in full
            }
            self.skip_value(header & 0x0f, depth)?;
        }
    }

    fn skip_value(&mut self, kind: u8, depth: usize) -> Result<(), String> {
        match kind {
            1 | 2 => Ok(()), // a boolean field: its value is in the header
            3 => self.skip(1),
            4..=6 => self.varint().map(drop),
            7 => self.skip(8),
            8 => {
                let length = self.varint()?;
                self.skip(length)
            }
            9 | 10 => {
                let header = self.byte()?;
                let element = header & 0x0f;
                let size = match header >> 4 {
                    15 => self.varint()?,
                    short => u64::from(short),
                };
                // Every element takes at least a byte.
                if size > self.left() {
                    return Err("its footer lists more items than it holds".into());
                }
                for _ in 0..size {
                    match element {
                        1 | 2 => self.skip(1)?,
                        _ => self.skip_value(element, depth + 1)?,
                    }
                }
                Ok(())
            }
            11 => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let kinds = self.byte()?;
                if size.saturating_mul(2) > self.left() {
                    return Err("its footer maps more items than it holds".into());
                }
                for _ in 0..size {
                    self.skip_value(kinds >> 4, depth + 1)?;
                    self.skip_value(kinds & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            12 => self.skip_struct(depth + 1),
            _ => Err(format!("its footer has an unknown field type {kind}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parquet(footer: &[u8]) -> Vec<u8> {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend_from_slice(footer);
        bytes.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        bytes.extend_from_slice(b"PAR1");
        bytes
    }

    #[test]
    fn a_list_longer_than_its_bytes_is_refused() {
        // Field 1, a list of 2^40 structs, in a footer of a few bytes.
        let footer = [0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00];
        assert!(check(&parquet(&footer)).unwrap_err().contains("more items"));
    }

    #[test]
    fn a_small_well_formed_footer_passes() {
        // Field 1: i32 1; field 2: a list of one struct holding a string "ab"; stop.
        let footer = [0x15, 0x02, 0x19, 0x1c, 0x18, 0x02, b'a', b'b', 0x00, 0x00];
        assert_eq!(check(&parquet(&footer)), Ok(()));
        assert!(check(b"PAR1 not parquet").is_err());
    }
}
