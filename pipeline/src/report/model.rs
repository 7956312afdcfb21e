//! The pieces every report model is made of: cells, tables and charts, already formatted, so
//! that templates only lay them out (they do no arithmetic).

use serde::Serialize;

use crate::assess::catalogue::{Rule, Standard, ValueFormat};
use crate::assess::{Outcome, Status};

/// One table cell. `num` right-aligns it; `tag` styles it (an outcome or status); `href`
/// makes it a link to another report; `note` is a figure's base, shown small beneath it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Cell {
    pub text: String,
    pub num: bool,
    pub tag: Option<String>,
    pub href: Option<String>,
    pub note: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    pub fn num(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            num: true,
            ..Cell::default()
        }
    }

    /// A percentage with the organisations it is of beneath it: `66.7%` over `(12)`.
    pub fn share(pct: &str, orgs: u64) -> Self {
        Cell {
            note: Some(format!("({orgs})")),
            ..Cell::num(format!("{pct}%"))
        }
    }

    pub fn tagged(text: impl Into<String>, tag: &str) -> Self {
        Cell {
            text: text.into(),
            tag: Some(tag.to_string()),
            ..Cell::default()
        }
    }

    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            href: Some(href.into()),
            ..Cell::default()
        }
    }
}

/// A table with a caption, header cells (scope `col`) and rows whose first cell is the row's
/// header (scope `row`).
#[derive(Debug, Clone, Serialize)]
pub struct TableModel {
    pub id: String,
    pub caption: String,
    pub head: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    pub empty: String,
}

impl TableModel {
    pub fn new(id: &str, caption: impl Into<String>, head: Vec<Cell>) -> Self {
        TableModel {
            id: id.to_string(),
            caption: caption.into(),
            head,
            rows: Vec::new(),
            empty: "None.".to_string(),
        }
    }

    pub fn when_empty(mut self, text: &str) -> Self {
        self.empty = text.to_string();
        self
    }
}

/// A chart: a title, a one-line statistical subtitle, the SVG, and the table of its data.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub subtitle: String,
    /// Built by [`super::svg`], which escapes every text it draws.
    pub svg: String,
    pub table: TableModel,
}

/// The handling marking of a page (Government Security Classifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Classification {
    /// For publication.
    #[serde(rename = "OFFICIAL")]
    Official,
    /// Names organisations and their weaknesses.
    #[serde(rename = "OFFICIAL-SENSITIVE")]
    OfficialSensitive,
}

impl Classification {
    /// What the marking means for the reader of this page.
    pub fn note(self) -> &'static str {
        match self {
            Classification::OfficialSensitive => {
                "Names organisations and their weaknesses: for national bodies only. Do not publish or forward."
            }
            Classification::Official => "For publication.",
        }
    }
}

/// What every page shows around its content.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub title: String,
    pub classification: Classification,
    pub classification_note: String,
    pub period: String,
    pub period_label: String,
    pub edition: String,
    pub edition_title: String,
    /// How far the page is below `reports/` ("" or "../"), for links between reports.
    pub root: &'static str,
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::StandardsMet => "Standards met",
        Status::ApproachingStandards => "Approaching standards",
        Status::StandardsNotMet => "Standards not met",
        Status::NotSubmitted => "Not submitted",
    }
}

pub fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Met => "Met",
        Outcome::PartiallyMet => "Partially met",
        Outcome::NotMet => "Not met",
        Outcome::NotAssessed => "Not assessed",
        Outcome::NotApplicable => "Not applicable",
    }
}

/// A figure of a standard as people read it: a ratio as a percentage to one decimal, a day
/// count in days, a yes/no answer in words.
pub fn format_value(format: ValueFormat, value: f64) -> String {
    match format {
        ValueFormat::Ratio => format!("{:.1}%", value * 100.0),
        ValueFormat::Days => {
            let days = value.round() as i64;
            if days == 1 {
                "1 day".to_string()
            } else {
                format!("{days} days")
            }
        }
        ValueFormat::Bool => if value >= 0.5 { "Yes" } else { "No" }.to_string(),
    }
}

/// The thresholds of a standard in words.
pub fn threshold_text(s: &Standard) -> String {
    let at = |v: Option<f64>| v.map(|v| format_value(s.value_format, v));
    match s.rule {
        Rule::IsTrue => "Met when yes".to_string(),
        Rule::AtLeast | Rule::AtMost => {
            let word = match (s.rule, s.value_format) {
                (Rule::AtLeast, _) => "or more",
                (_, ValueFormat::Days) => "or fewer",
                _ => "or less",
            };
            let mut text = match at(s.met) {
                Some(met) => format!("Met at {met} {word}"),
                None => String::new(),
            };
            if let Some(partial) = at(s.partially_met) {
                text.push_str(&format!("; partially met at {partial} {word}"));
            }
            text
        }
    }
}

/// `"October 2026"` for 2026-10.
pub fn period_label(period: crate::period::Period) -> String {
    period.start().format("%B %Y").to_string()
}

/// A count and its share of a whole, as "12 (34.5%)".
pub fn count_and_pct(count: u64, whole: u64) -> String {
    let pct = crate::format::pct(count, whole);
    if pct.is_empty() {
        count.to_string()
    } else {
        format!("{count} ({pct}%)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_people_write_them() {
        assert_eq!(format_value(ValueFormat::Ratio, 0.9512), "95.1%");
        assert_eq!(format_value(ValueFormat::Days, 1.0), "1 day");
        assert_eq!(format_value(ValueFormat::Days, 400.0), "400 days");
        assert_eq!(format_value(ValueFormat::Bool, 0.0), "No");
        assert_eq!(count_and_pct(1, 3), "1 (33.3%)");
        assert_eq!(count_and_pct(0, 0), "0");
    }
}
