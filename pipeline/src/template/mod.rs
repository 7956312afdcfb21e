//! The XLSX templates (`baseline template`): the return's `Return` sheet an organisation fills
//! in, with the header fields set, one row per measure that applies, and the spreadsheet's
//! own data validation on every value cell so most mistakes are caught as they are typed; and
//! the improvement plan's workbook (`--plan`), whose `Plan` sheet starts from what was last
//! published for the organisation.

pub mod plan;

use chrono::Datelike;
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatBorder, Formula, Workbook, XlsxError,
};

use crate::contract::{Dictionary, MeasureType};
use crate::period::Period;
use crate::validate::Applicability;

/// Columns of the sheet: the return's own, then a description the reader ignores.
const COLUMNS: [(&str, f64); 7] = [
    ("org_code", 10.0),
    ("period", 9.0),
    ("submitted_at", 22.0),
    ("measure", 36.0),
    ("value", 14.0),
    ("comment", 40.0),
    ("description", 80.0),
];
const VALUE_COL: u16 = 4;
const SUBMITTED_COL: u16 = 2;
/// The one cell the submission time is typed in; every other row's copies it.
const SUBMITTED_CELL: &str = "=$C$2";

/// The header row's format, in every sheet of the templates.
fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color("D9E1F2")
}

fn excel_date(date: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day() as u8)
}

/// Writes the template workbook for `org_code` and `period` to bytes.
pub fn template(
    dict: &Dictionary,
    org_code: &str,
    period: Period,
    applicability: Applicability,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let header = header_format();
    let sheet = workbook.add_worksheet().set_name("Return")?;
    for (col, (name, width)) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &header)?;
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // A formula's stored result stays blank (not 0) until a spreadsheet recalculates it.
    sheet.set_formula_result_default("");
    // Codes, periods, measure names and descriptions cannot be edited by accident: only the
    // submission time, value and comment cells are unlocked (no password: it guards slips).
    sheet.protect();
    let measures: Vec<_> = dict
        .measures()
        .iter()
        .filter(|m| applicability.applies(dict, m))
        .collect();
    for (i, measure) in measures.iter().enumerate() {
        measure_row(sheet, i as u32 + 1, measure, org_code, period)?;
    }
    let submitted = DataValidation::new()
        .allow_text_length(DataValidationRule::Between(20, 35))
        .set_input_title("Submission time")?
        .set_input_message(
            "The time you send the return, with its zone, e.g. 2026-11-04T09:12:00Z. The rows below copy it.",
        )?;
    sheet.add_data_validation(1, SUBMITTED_COL, 1, SUBMITTED_COL, &submitted)?;
    guidance(&mut workbook, dict, org_code, period)?;
    workbook.save_to_buffer()
}

/// One measure's row: the header columns filled in, and the spreadsheet's own validation of
/// the value cell for the measure's type.
fn measure_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    measure: &crate::contract::Measure,
    org_code: &str,
    period: Period,
) -> Result<(), XlsxError> {
    let text = Format::new().set_num_format("@");
    let editable = Format::new().set_unlocked();
    sheet.write_string_with_format(row, 0, org_code, &text)?;
    sheet.write_string_with_format(row, 1, period.to_string(), &text)?;
    submitted_at(sheet, row)?;
    sheet.write_blank(row, VALUE_COL, &editable)?;
    sheet.write_blank(row, VALUE_COL + 1, &editable)?;
    sheet.write_string(row, 3, &measure.name)?;
    sheet.write_string(
        row,
        6,
        format!("{}: {}", measure.label, measure.description),
    )?;
    let period_end = period.end();
    let (validation, hint) = match measure.kind {
        MeasureType::Count => (
            DataValidation::new().allow_whole_number(DataValidationRule::Between(
                measure.min.min(i32::MAX as u64) as i32,
                i32::MAX,
            )),
            format!("A whole number, at least {}.", measure.min),
        ),
        MeasureType::Money => (
            DataValidation::new()
                .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0)),
            "Pounds, 0 or more, at most two decimals.".to_string(),
        ),
        MeasureType::Bool => (
            DataValidation::new().allow_list_strings(&["yes", "no"])?,
            "Choose yes or no.".to_string(),
        ),
        MeasureType::Date => {
            let date = Format::new().set_num_format("yyyy-mm-dd").set_unlocked();
            sheet.write_blank(row, VALUE_COL, &date)?;
            let end = excel_date(period_end)?;
            let earliest = ExcelDateTime::from_ymd(2000, 1, 1)?;
            (
                DataValidation::new().allow_date(DataValidationRule::Between(earliest, end)),
                format!("A date on or before {period_end}."),
            )
        }
    };
    let validation = validation
        .set_input_title(truncate(&measure.label, 32))?
        .set_input_message(truncate(&hint, 255))?
        .set_error_title("Not a valid value")?
        .set_error_message(truncate(&format!("{} {}", measure.name, hint), 255))?
        .set_error_style(DataValidationErrorStyle::Stop);
    sheet.add_data_validation(row, VALUE_COL, row, VALUE_COL, &validation)?;
    Ok(())
}

/// The submission time: typed once, in the first row (the only unlocked cell of its column);
/// every later row holds a formula copying it, so the rows cannot disagree. The formula's
/// stored result is blank until a spreadsheet recalculates it, so an untouched template reads
/// as a return whose submission time is missing.
fn submitted_at(sheet: &mut rust_xlsxwriter::Worksheet, row: u32) -> Result<(), XlsxError> {
    let text = Format::new().set_num_format("@");
    if row == 1 {
        sheet.write_string_with_format(row, SUBMITTED_COL, "", &text.set_unlocked())?;
    } else {
        sheet.write_formula_with_format(row, SUBMITTED_COL, Formula::new(SUBMITTED_CELL), &text)?;
    }
    Ok(())
}

/// Writes the improvement plan workbook for `org_code` and `period`: the `Plan` sheet started
/// with `lines`, and guidance.
pub fn plan_workbook(
    contract: &crate::contract::Contract,
    org_code: &str,
    period: Period,
    lines: &[plan::PlanLine],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    plan::plan_sheet(&mut workbook, &contract.plan, org_code, period, lines)?;
    let rules = &contract.plan.rules;
    let lines = [
        format!("Improvement plan for {org_code}, period {period}: your whole current plan, one action a row."),
        "Rows are filled in from your last published plan (its open actions) and outcomes (each gap no open action covers); the note column says which, and is not read.".to_string(),
        "Give each gap an action: a short action_id of your own that stays the same from month to month, what you will do, who owns it and a target date; or delete the row.".to_string(),
        format!("Status is one of {}. A target date is at most {} months after the period ends.", rules.statuses.join(", "), rules.max_target_months),
        format!("Send it as {org_code}_{period}_plan.xlsx beside your return, and check it first: baseline validate <file>."),
    ];
    write_guidance(&mut workbook, &lines)?;
    workbook.save_to_buffer()
}

/// A `Guidance` sheet of one line a row.
fn write_guidance(workbook: &mut Workbook, lines: &[String]) -> Result<(), XlsxError> {
    let note = Format::new().set_font_color("595959").set_text_wrap();
    let guide = workbook.add_worksheet().set_name("Guidance")?;
    guide.set_column_width(0, 110.0)?;
    for (i, line) in lines.iter().enumerate() {
        guide.write_string_with_format(i as u32, 0, line, &note)?;
    }
    Ok(())
}

/// The `Guidance` sheet: how to fill in the return and when it is due.
fn guidance(
    workbook: &mut Workbook,
    dict: &Dictionary,
    org_code: &str,
    period: Period,
) -> Result<(), XlsxError> {
    let lines = [
        format!("Monthly cyber security return for {org_code}, period {period}."),
        "Fill in the value column of the Return sheet: one value per measure, as the description says.".to_string(),
        "Fill in submitted_at once, in the first row, with the time you send the return, e.g. 2026-11-04T09:12:00Z; the rows below copy it.".to_string(),
        "Counts are whole numbers; yes/no questions take yes or no; dates are on or before the end of the period.".to_string(),
        format!("The return is due by 23:59:59 UTC on {}.", period.deadline(dict.due_day).format("%-d %B %Y")),
        "Use the comment column to explain a figure. Do not rename the sheet or its columns.".to_string(),
        "Check the file before sending it: baseline validate <file>.".to_string(),
    ];
    write_guidance(workbook, &lines)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
