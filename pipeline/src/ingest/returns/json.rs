//! JSON returns. Measures are read in document order with duplicates kept (a plain map would
//! silently keep the last), and each measure is given the line of its key.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

use super::{Field, RawMeasure, RawReturn, RawValue, ReadFault};
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

pub(super) fn read(content: &[u8]) -> Result<RawReturn, ReadFault> {
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
    let lines = key_lines(text, entries.iter().map(|(k, _)| k.as_str()));
    let measures = entries
        .into_iter()
        .zip(lines)
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

/// The line of each measure's key, found by scanning the text after `"measures"` in document
/// order. A key that cannot be found (an escaped spelling, say) gets no line.
fn key_lines<'a>(text: &str, keys: impl Iterator<Item = &'a str>) -> Vec<Option<u64>> {
    let mut cursor = find_key(text, 0, "measures").map_or(0, |(_, end)| end);
    keys.map(|key| {
        let (start, end) = find_key(text, cursor, key)?;
        cursor = end;
        Some(text[..start].bytes().filter(|&b| b == b'\n').count() as u64 + 1)
    })
    .collect()
}

/// Finds `"key"` followed by optional white space and `:` at or after `from`.
fn find_key(text: &str, from: usize, key: &str) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(key).ok()?;
    let mut at = from;
    while let Some(offset) = text.get(at..)?.find(&quoted) {
        let start = at + offset;
        let end = start + quoted.len();
        if text[end..].trim_start().starts_with(':') {
            return Some((start, end));
        }
        at = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicates_and_finds_key_lines() {
        let text = "{\n \"org_code\": \"R0A\",\n \"measures\": {\n  \"staff_total\": 10,\n  \"staff_total\": \"12\"\n }\n}";
        let ret = read(text.as_bytes()).unwrap();
        assert_eq!(ret.org_code, Field::Present("R0A".into()));
        assert!(matches!(ret.period, Field::Missing(_)));
        let lines: Vec<_> = ret.measures.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![Some(4), Some(5)]);
        assert_eq!(ret.measures[0].value, RawValue::Text("10".into()));
    }
}
