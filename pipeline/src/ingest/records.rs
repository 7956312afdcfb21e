//! The records of CSV text held in memory, split by csv_core's parser with the csv crate's
//! default settings (comma, double quotes, any of `\r`, `\n` or `\r\n` ending a record, blank
//! lines skipped, a leading byte order mark dropped).
//!
//! A parser is built once per thread and reset for each file. Building one works out its whole
//! transition table, which takes longer than reading a small CSV return (about 20 µs against
//! 10), and the csv crate builds one for every reader. A parser cannot be copied instead:
//! csv-core 0.1.13's `Clone` copies only part of the table, and the copy splits every byte
//! into a record of its own.

use std::cell::Cell;

use csv_core::ReadRecordResult;

thread_local! {
    /// The thread's parser, while no [`Records`] holds it.
    static SPARE: Cell<Option<csv_core::Reader>> = const { Cell::new(None) };
}

/// The records of `text`, one after another.
pub struct Records<'t> {
    parser: csv_core::Reader,
    text: &'t [u8],
    /// Bytes of `text` the parser has consumed.
    read: usize,
    fields: Vec<u8>,
    ends: Vec<usize>,
}

/// One record: where it starts in the text and its fields, quotes removed.
pub struct Record<'r> {
    /// The byte offset the record was read from. It can sit on the line ending that closed
    /// the record before, as the csv crate's positions can.
    pub start: usize,
    fields: &'r [u8],
    ends: &'r [usize],
}

impl<'t> Records<'t> {
    pub fn new(text: &'t [u8]) -> Self {
        // Not `unwrap_or_default`: a default parser has no transition table until it is built.
        #[allow(clippy::unwrap_or_default)]
        let parser = SPARE.take().unwrap_or_else(csv_core::Reader::new);
        Records {
            parser,
            text,
            read: 0,
            fields: vec![0; 256],
            ends: vec![0; 16],
        }
    }

    /// Bytes of the text read so far: after a record, where the next one would start.
    pub fn position(&self) -> usize {
        self.read
    }

    /// The next record, or `None` at the end of the text.
    pub fn next_record(&mut self) -> Option<Record<'_>> {
        let start = self.read;
        let (mut written, mut ended) = (0, 0);
        loop {
            let input = &self.text[self.read..];
            let (result, read, wrote, fields) = self.parser.read_record(
                input,
                &mut self.fields[written..],
                &mut self.ends[ended..],
            );
            self.read += read;
            written += wrote;
            ended += fields;
            match result {
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return None,
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
            }
        }
        Some(Record {
            start,
            fields: &self.fields[..written],
            ends: &self.ends[..ended],
        })
    }
}

impl Drop for Records<'_> {
    fn drop(&mut self) {
        let mut parser = std::mem::take(&mut self.parser);
        parser.reset();
        SPARE.set(Some(parser));
    }
}

impl<'r> Record<'r> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`'s bytes.
    pub fn get(&self, i: usize) -> Option<&'r [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.fields[start..end])
    }

    /// The fields' bytes in order.
    pub fn iter(&self) -> impl Iterator<Item = &'r [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The fields as text, or `None` when they are not UTF-8.
    pub fn texts(&self) -> Option<Vec<&'r str>> {
        let all = std::str::from_utf8(self.fields).ok()?;
        let mut start = 0;
        let texts = self.ends.iter().map(|&end| {
            let text = &all[start..end];
            start = end;
            text
        });
        Some(texts.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `text` as the csv crate reads it (no header, rows of any width), with
    /// its position.
    fn by_csv_crate(text: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut records = Vec::new();
        let mut at = reader.position().byte();
        while reader.read_byte_record(&mut record).unwrap() {
            records.push((at, record.iter().map(<[u8]>::to_vec).collect()));
            at = reader.position().byte();
        }
        records
    }

    fn by_records(text: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut records = Records::new(text);
        let mut all = Vec::new();
        while let Some(record) = records.next_record() {
            all.push((
                record.start as u64,
                record.iter().map(<[u8]>::to_vec).collect(),
            ));
        }
        all
    }

    #[test]
    fn every_short_text_splits_as_the_csv_crate_splits_it() {
        // Every text of up to 6 bytes over an alphabet of every byte the parser tells apart.
        let alphabet = [b'a', b',', b'"', b'\r', b'\n', 0xEF];
        let mut texts = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, Vec::len))
                .flat_map(|t| {
                    alphabet.iter().map(move |&b| {
                        let mut t = t.clone();
                        t.push(b);
                        t
                    })
                })
                .collect();
            texts.extend(longer);
        }
        assert_eq!(texts.len(), (0..=6).map(|n| 6usize.pow(n)).sum::<usize>());
        for text in texts.iter().chain([&b"\xEF\xBB\xBFa,b\n".to_vec()]) {
            assert_eq!(by_records(text), by_csv_crate(text), "{text:?}");
        }
    }

    #[test]
    fn long_fields_and_wide_records_grow_the_buffers() {
        let field = "x".repeat(1000);
        let row = vec![field.as_str(); 40].join(",");
        let text = format!("{row}\n\"{field}\"\"q\",b\r\n");
        assert_eq!(by_records(text.as_bytes()), by_csv_crate(text.as_bytes()));
        let mut records = Records::new(text.as_bytes());
        assert_eq!(records.next_record().map(|r| r.len()), Some(40));
        let second = records.next_record().unwrap();
        let texts = second.texts().unwrap();
        assert_eq!(texts, [format!("{field}\"q").as_str(), "b"]);
        assert!(records.next_record().is_none());
        assert_eq!(records.position(), text.len());
    }
}
