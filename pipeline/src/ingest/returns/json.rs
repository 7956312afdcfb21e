//! JSON returns. Measures are read in document order with duplicates kept (a plain map would
//! silently keep the last), and each measure is given the line of its key.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

use super::{Field, RawMeasure, RawReturn, RawValue, ReadFault, check_shape};
use crate::ingest::Limits;
use crate::ingest::names::ReturnFormat;

/// The entries of a JSON object in document order, duplicates included.
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of measure names and values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[derive(Deserialize)]
struct Document {
    org_code: Option<Value>,
    period: Option<Value>,
    submitted_at: Option<Value>,
    measures: Option<Entries>,
    comments: Option<Entries>,
}

pub(super) fn read(content: &[u8], limits: &Limits) -> Result<RawReturn, ReadFault> {
    let text = std::str::from_utf8(content).map_err(|e| {
        ReadFault::unreadable(format!(
            "the file is not UTF-8 text (bad byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let doc: Document = serde_json::from_str(text).map_err(|e| {
        ReadFault::unreadable(format!(
            "the file is not valid JSON: {e}; check the line it names, or export the return again"
        ))
    })?;

    let field = |name: &str, value: Option<Value>| match value {
        None | Some(Value::Null) => Field::Missing(format!("{name} is missing")),
        Some(Value::String(s)) if s.trim().is_empty() => Field::Missing(format!("{name} is blank")),
        Some(Value::String(s)) => Field::Present(s.trim().to_string()),
        Some(other) => Field::Present(other.to_string()),
    };
    // The last comment given for each measure, found by name (one pass, not one a measure).
    let comments: std::collections::HashMap<String, Value> = doc
        .comments
        .map(|c| c.0)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.trim().to_string(), v))
        .collect();
    let comment_for = |name: &str| match comments.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    };

    let entries = doc.measures.map(|m| m.0).unwrap_or_default();
    // The measure count is limited before any work per key.
    check_shape(0, entries.len(), limits)?;
    let lines = key_lines(text);
    let measures = entries
        .into_iter()
        .zip(lines.into_iter().chain(std::iter::repeat(None)))
        .map(|((name, value), line)| {
            let name = name.trim().to_string();
            RawMeasure {
                comment: comment_for(&name),
                name,
                value: raw_value(value),
                line,
            }
        })
        .collect();

    Ok(RawReturn {
        format: ReturnFormat::Json,
        org_code: field("org_code", doc.org_code),
        period: field("period", doc.period),
        submitted_at: field("submitted_at", doc.submitted_at),
        measures,
        disagreements: Vec::new(),
    })
}

fn raw_value(value: Value) -> RawValue {
    match value {
        Value::Null => RawValue::Empty,
        Value::Bool(b) => RawValue::Bool(b),
        // A JSON number is checked by the same text rules as a CSV value, so `12.0` is not
        // a count and `12.345` is not money.
        Value::Number(n) => RawValue::Text(n.to_string()),
        Value::String(s) if s.trim().is_empty() => RawValue::Empty,
        Value::String(s) => RawValue::Text(s.trim().to_string()),
        Value::Array(_) => RawValue::Other("a list".into()),
        Value::Object(_) => RawValue::Other("an object".into()),
    }
}

/// The line of each key of the top-level `measures` object, in document order (duplicates
/// included, so they pair with the entries serde read), from one pass over the text: no key is
/// searched for, so the cost is linear whatever the keys are (escaped spellings included).
/// The text is known to be valid JSON when this runs.
fn key_lines(text: &str) -> Vec<Option<u64>> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut line, mut depth, mut i) = (1u64, 0usize, 0usize);
    // Depth of the `measures` object while inside it; whether the string just closed at top
    // level was the key `measures`.
    let (mut measures_depth, mut after_measures_key) = (None, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => {
                depth += 1;
                if after_measures_key && bytes[i] == b'{' && measures_depth.is_none() {
                    measures_depth = Some(depth);
                }
                after_measures_key = false;
            }
            b'}' | b']' => {
                if measures_depth == Some(depth) {
                    measures_depth = Some(usize::MAX);
                }
                depth = depth.saturating_sub(1);
            }
            b'"' => {
                let start = i;
                i = string_end(bytes, i);
                let is_key = next_non_space(bytes, i + 1) == Some(b':');
                if is_key && measures_depth == Some(depth) {
                    lines.push(Some(line));
                }
                if is_key && depth == 1 && measures_depth.is_none() {
                    after_measures_key = serde_json::from_str::<String>(&text[start..=i])
                        .is_ok_and(|k| k == "measures");
                }
            }
            _ => {}
        }
        i += 1;
    }
    lines
}

/// The index of the quote that closes the string opened at `open`.
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn next_non_space(bytes: &[u8], from: usize) -> Option<u8> {
    bytes[from.min(bytes.len())..]
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicates_and_finds_key_lines() {
        let text = "{\n \"org_code\": \"R0A\",\n \"measures\": {\n  \"staff_total\": 10,\n  \"staff_total\": \"12\"\n }\n}";
        let ret = read(text.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(ret.org_code, Field::Present("R0A".into()));
        assert!(matches!(ret.period, Field::Missing(_)));
        let lines: Vec<_> = ret.measures.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![Some(4), Some(5)]);
        assert_eq!(ret.measures[0].value, RawValue::Text("10".into()));
    }
}

#[cfg(test)]
mod key_line_tests {
    use super::*;

    #[test]
    fn escaped_keys_nested_values_and_other_objects_keep_their_lines() {
        let text = "{\"comments\": {\"a\": \"x\"},\n \"measures\": {\n  \"\\u0061\": {\"k\": 1},\n  \"b\\\"c\": [\"d:\", 2],\n  \"e\": 3}, \"z\": {\"q\": 1}\n}";
        assert_eq!(key_lines(text), vec![Some(3), Some(4), Some(5)]);
    }
}
