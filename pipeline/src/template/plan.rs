//! The template's `Plan` sheet: the improvement plan's columns as `schemas/plan.toml` gives
//! them, started from what was last published for the organisation (its open actions, then
//! each gap no open action covers), with the spreadsheet's own checks on status and date.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format, Workbook,
    Worksheet, XlsxError,
};

use crate::aggregate::plans::PlanRow;
use crate::contract::{PlanColumnType, PlanSpec};
use crate::period::Period;

/// Rows of the sheet that carry the status and date checks, pre-filled or not.
const CHECKED_ROWS: u32 = 200;

/// A row the `Plan` sheet starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    pub action_id: String,
    pub standard_id: String,
    pub action: String,
    pub owner_role: String,
    pub target_date: Option<NaiveDate>,
    pub status: String,
    /// Why the row is there; in a column the plan reader does not read.
    pub note: String,
}

/// What was last published for an organisation: the period, its outcomes as
/// (standard_id, outcome) in table order, and the plans table's rows of that period.
pub struct Published<'a> {
    pub period: Period,
    pub outcomes: &'a [(String, String)],
    pub plan_rows: &'a [PlanRow],
}

/// The sheet's first rows: the organisation's open actions of the published period, then a
/// row for each gap there that no open action covers, with its action left to fill in.
pub fn plan_lines(org_code: &str, published: &Published, spec: &PlanSpec) -> Vec<PlanLine> {
    let period = published.period;
    let open: Vec<&PlanRow> = published
        .plan_rows
        .iter()
        .filter(|r| r.period == period && r.org_code == org_code && spec.is_open(&r.status))
        .collect();
    let covered: HashSet<&str> = open.iter().map(|r| r.standard_id.as_str()).collect();
    let actions = open.iter().map(|r| PlanLine {
        action_id: r.action_id.clone(),
        standard_id: r.standard_id.clone(),
        action: r.action.clone(),
        owner_role: r.owner_role.clone(),
        target_date: Some(r.target_date),
        status: r.status.clone(),
        note: format!(
            "Open in your {period} plan; {} was {} in {period}. Update its status and target date.",
            r.standard_id,
            words(&r.outcome)
        ),
    });
    let gaps = published
        .outcomes
        .iter()
        .filter(|(standard, outcome)| spec.is_gap(outcome) && !covered.contains(standard.as_str()))
        .map(|(standard, outcome)| PlanLine {
            action_id: String::new(),
            standard_id: standard.clone(),
            action: String::new(),
            owner_role: String::new(),
            target_date: None,
            status: String::new(),
            note: format!(
                "{standard} was {} in {period} and no open action covers it: give it an action, or delete this row.",
                words(outcome)
            ),
        });
    actions.chain(gaps).collect()
}

fn words(outcome: &str) -> String {
    match outcome {
        "" => "not assessed".to_string(),
        o => o.replace('_', " "),
    }
}

/// Writes the `Plan` sheet: the plan's columns, a `note` column the reader ignores, and the
/// starting rows.
pub fn plan_sheet(
    workbook: &mut Workbook,
    spec: &PlanSpec,
    org_code: &str,
    period: Period,
    lines: &[PlanLine],
) -> Result<(), XlsxError> {
    let header = super::header_format();
    let sheet = workbook.add_worksheet().set_name(&spec.sheet)?;
    let note_col = spec.columns.len() as u16;
    for (col, column) in spec.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, &column.name, &header)?;
        sheet.set_column_width(col as u16, width(column.kind))?;
    }
    sheet.write_string_with_format(0, note_col, "note", &header)?;
    sheet.set_column_width(note_col, 70.0)?;
    sheet.set_freeze_panes(1, 0)?;
    for (i, line) in lines.iter().enumerate() {
        plan_row(sheet, spec, i as u32 + 1, (org_code, period), line)?;
        sheet.write_string(i as u32 + 1, note_col, &line.note)?;
    }
    checks(sheet, spec, period)
}

fn width(kind: PlanColumnType) -> f64 {
    match kind {
        PlanColumnType::Code | PlanColumnType::Period => 10.0,
        PlanColumnType::Date | PlanColumnType::Status => 13.0,
        PlanColumnType::Standard => 22.0,
        PlanColumnType::Text => 30.0,
    }
}

fn plan_row(
    sheet: &mut Worksheet,
    spec: &PlanSpec,
    row: u32,
    (org_code, period): (&str, Period),
    line: &PlanLine,
) -> Result<(), XlsxError> {
    let text = Format::new().set_num_format("@");
    for (col, column) in spec.columns.iter().enumerate() {
        let col = col as u16;
        let value = match column.name.as_str() {
            "org_code" => org_code.to_string(),
            "period" => period.to_string(),
            "action_id" => line.action_id.clone(),
            "standard_id" => line.standard_id.clone(),
            "action" => line.action.clone(),
            "owner_role" => line.owner_role.clone(),
            "status" => line.status.clone(),
            _ => String::new(),
        };
        match (column.kind, line.target_date) {
            (PlanColumnType::Date, Some(date)) => {
                sheet.write_datetime_with_format(
                    row,
                    col,
                    super::excel_date(date)?,
                    &date_format(),
                )?;
            }
            (PlanColumnType::Date, None) => {
                sheet.write_blank(row, col, &date_format())?;
            }
            _ if value.is_empty() => {}
            _ => {
                sheet.write_string_with_format(row, col, value, &text)?;
            }
        }
    }
    Ok(())
}

fn date_format() -> Format {
    Format::new().set_num_format("yyyy-mm-dd")
}

/// The spreadsheet's own checks: a status from the list, a target date that is a date.
fn checks(sheet: &mut Worksheet, spec: &PlanSpec, period: Period) -> Result<(), XlsxError> {
    let statuses: Vec<&str> = spec.rules.statuses.iter().map(String::as_str).collect();
    let latest = period.end() + chrono::Months::new(spec.rules.max_target_months);
    for (col, column) in spec.columns.iter().enumerate() {
        let col = col as u16;
        let validation = match column.kind {
            PlanColumnType::Status => DataValidation::new()
                .allow_list_strings(&statuses)?
                .set_error_message(format!("One of {}.", statuses.join(", ")))?,
            PlanColumnType::Date => DataValidation::new()
                .allow_date(DataValidationRule::Between(
                    ExcelDateTime::from_ymd(2000, 1, 1)?,
                    ExcelDateTime::from_ymd(2099, 12, 31)?,
                ))
                .set_input_message(format!(
                    "A date, e.g. {latest}: at most {} months after the period ends.",
                    spec.rules.max_target_months
                ))?
                .set_error_message("A date, as yyyy-mm-dd.")?,
            _ => continue,
        };
        let validation = validation
            .set_error_title("Not a valid value")?
            .set_error_style(DataValidationErrorStyle::Stop);
        sheet.add_data_validation(1, col, CHECKED_ROWS, col, &validation)?;
    }
    Ok(())
}
