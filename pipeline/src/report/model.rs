//! The pieces every report model is made of: cells, tables and charts, already formatted, so
//! that templates only lay them out (they do no arithmetic).

use std::borrow::Cow;

use serde::Serialize;

use crate::assess::catalogue::{Rule, Standard, ValueFormat};
use crate::assess::{Outcome, Status};

/// One table cell. `num` right-aligns it; `tag` styles it (an outcome or status); `href`
/// makes it a link to another report; `note` is a figure's base, shown small beneath it.
///
/// Its text is borrowed where it is the run's (a standard's name, an issue's message) and owned
/// where the report words it, so that a page of 6,552 shares what they have in common.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Cell<'a> {
    pub text: Cow<'a, str>,
    pub num: bool,
    pub tag: Option<Cow<'a, str>>,
    pub href: Option<Cow<'a, str>>,
    pub note: Option<Cow<'a, str>>,
}

impl<'a> Cell<'a> {
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    pub fn num(text: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            num: true,
            ..Cell::default()
        }
    }

    /// A percentage with the organisations it is of beneath it: `66.7%` over `(12)`.
    pub fn share(pct: &str, orgs: u64) -> Self {
        Cell {
            note: Some(format!("({orgs})").into()),
            ..Cell::num(format!("{pct}%"))
        }
    }

    pub fn tagged(text: impl Into<Cow<'a, str>>, tag: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            tag: Some(tag.into()),
            ..Cell::default()
        }
    }

    pub fn link(text: impl Into<Cow<'a, str>>, href: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            href: Some(href.into()),
            ..Cell::default()
        }
    }
}

/// Part of a model made once for the run and shown on many pages: turned into a template
/// value once, and shared from then on, where the rest of a page's model is turned into
/// template values again for every page. The organisation pages share most of their cells.
#[derive(Debug, Clone)]
pub struct Shared(minijinja::Value);

impl Shared {
    pub fn of(part: &impl Serialize) -> Self {
        Shared(minijinja::Value::from(minijinja::value::Serde(part)))
    }
}

impl Serialize for Shared {
    /// The value itself when a template's values are being made; as it was made otherwise.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A cell of a row: made for its page, or [`Shared`] by many.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RowCell<'a> {
    Own(Cell<'a>),
    Shared(Shared),
}

/// A table's heading cells: its own, or [`Shared`] by the same table on every page.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Head<'a> {
    Own(Vec<Cell<'a>>),
    Shared(Shared),
}

impl<'a> From<Vec<Cell<'a>>> for Head<'a> {
    fn from(cells: Vec<Cell<'a>>) -> Self {
        Head::Own(cells)
    }
}

impl From<Shared> for Head<'_> {
    fn from(cells: Shared) -> Self {
        Head::Shared(cells)
    }
}

/// A table with a caption, header cells (scope `col`), rows whose first cell is the row's
/// header (scope `row`) and what to say when it has no rows. Its rows are of [`Cell`]s, or of
/// [`RowCell`]s where a page shares some of them.
#[derive(Debug, Clone, Serialize)]
pub struct Table<'a, C = Cell<'a>> {
    pub id: Cow<'a, str>,
    pub caption: Cow<'a, str>,
    pub head: Head<'a>,
    pub rows: Vec<Vec<C>>,
    pub empty: Cow<'a, str>,
}

/// A table that owns its text (or takes it from the program): those of the national and
/// public reports.
pub type TableModel = Table<'static>;

impl<'a, C> Table<'a, C> {
    pub fn new(
        id: impl Into<Cow<'a, str>>,
        caption: impl Into<Cow<'a, str>>,
        head: impl Into<Head<'a>>,
    ) -> Self {
        Table {
            id: id.into(),
            caption: caption.into(),
            head: head.into(),
            rows: Vec::new(),
            empty: Cow::Borrowed("None."),
        }
    }

    pub fn when_empty(mut self, text: impl Into<Cow<'a, str>>) -> Self {
        self.empty = text.into();
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
        ValueFormat::Ratio => crate::format::fixed(value * 100.0, 1) + "%",
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
    fn a_shared_table_renders_as_its_own_cells_would() {
        let env = super::super::environment().unwrap();
        let cells = || {
            vec![
                Cell::text("MCS-01: <b>bold</b>"),
                Cell::tagged("Partially met", "partially_met"),
                Cell::num("95.1%"),
                Cell::link("Trust & co", "orgs/A1.html"),
                Cell::share("50.0", 4),
            ]
        };
        let mut own: Table = Table::new("t", "Caption", cells());
        own.rows = vec![cells(), cells()];
        let mut shared: Table<RowCell> = Table::new("t", "Caption", Shared::of(&cells()));
        shared.rows = vec![
            cells().into_iter().map(RowCell::Own).collect(),
            cells()
                .iter()
                .map(|c| RowCell::Shared(Shared::of(c)))
                .collect(),
        ];
        let render = |table: minijinja::Value| {
            env.render_str(
                r#"{% from "macros.html" import table %}{{ table(t) }}"#,
                minijinja::context! { t => table },
            )
            .unwrap()
        };
        let page = render(minijinja::Value::from(minijinja::value::Serde(&own)));
        let row = r#"<th scope="row">MCS-01: &lt;b&gt;bold&lt;&#x2f;b&gt;</th>"#;
        assert_eq!(page.matches(row).count(), 2, "escaped in both rows: {page}");
        assert!(page.contains(">Trust &amp; co</a>"), "{page}");
        assert_eq!(
            page,
            render(minijinja::Value::from(minijinja::value::Serde(&shared)))
        );
    }

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
