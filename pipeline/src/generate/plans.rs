//! Improvement plans for the synthetic landing zone: a quarter of organisations keep a plan
//! whose actions, over the periods generated, are done, on track, slipped (target moved later)
//! and overdue; in the latest period the first few also carry one planted row fault each.

use chrono::{Days, Months, NaiveDate};

use super::Landing;
use crate::period::Period;

const COLUMNS: [&str; 9] = [
    "org_code",
    "period",
    "action_id",
    "standard_id",
    "action",
    "owner_role",
    "target_date",
    "status",
    "comment",
];

/// The row faults planted in latest plans, with the code each must raise, in turn.
const FAULTS: [(&str, &str); 4] = [
    ("unknown_standard", "plan_unknown_standard"),
    ("bad_status", "plan_invalid_field"),
    ("duplicate_action", "plan_duplicate_action"),
    ("target_too_far", "plan_target_too_far"),
];

/// One action row: id, standard, what, owner, target, status.
type Row = (
    String,
    &'static str,
    &'static str,
    &'static str,
    NaiveDate,
    &'static str,
);

/// Where a plan sits in the run: the organisation, its period, and which of the generated
/// periods it is (0 the first), of how many.
pub(super) struct PlanSlot<'a> {
    pub org_code: &'a str,
    pub period: Period,
    pub index: u32,
    pub periods: u32,
    pub xlsx: bool,
}

/// Writes the organisation's plan for the slot's period, with `fault` (an index into the
/// planted faults) planted when given.
pub(super) fn write_plan(
    landing: &mut Landing,
    slot: &PlanSlot,
    fault: Option<usize>,
) -> std::io::Result<()> {
    let mut rows = actions(slot);
    let code = fault.map(|f| plant(FAULTS[f % FAULTS.len()].0, slot, &mut rows));
    let extension = if slot.xlsx { "xlsx" } else { "csv" };
    let (org, period) = (slot.org_code, slot.period);
    let bytes = render(slot, &rows);
    let file = landing.write(format!("{period}/{org}_{period}_plan.{extension}"), &bytes)?;
    if let Some(code) = code {
        landing.plant(&file, org, code);
    }
    Ok(())
}

/// The plan's actions in this period: the same ids from period to period, so the plans table
/// can follow them.
fn actions(slot: &PlanSlot) -> Vec<Row> {
    let first = {
        let mut p = slot.period;
        for _ in 0..slot.index {
            p = p.previous();
        }
        p
    };
    let months = |date: NaiveDate, n: u32| date.checked_add_months(Months::new(n)).unwrap_or(date);
    let latest = slot.index + 1 == slot.periods;
    let patch = "Replace or patch the endpoints missing critical updates";
    let mut rows: Vec<Row> = Vec::new();
    // Patching: planned, then its target moved later, then overdue if still unmet.
    let patch_target = if slot.index == 0 {
        first.end()
    } else {
        months(first.end(), 1) - Days::new(10)
    };
    let patch_status = if slot.index == 0 {
        "planned"
    } else {
        "in_progress"
    };
    rows.push((
        "PATCH-1".into(),
        "PATCH-14D",
        patch,
        "Head of IT",
        patch_target,
        patch_status,
    ));
    // Training: done by the latest period.
    let (train_target, train_status) = if latest && slot.periods > 1 {
        (slot.period.end() - Days::new(5), "done")
    } else {
        (
            months(first.end(), 2),
            if slot.index == 0 {
                "planned"
            } else {
                "in_progress"
            },
        )
    };
    rows.push((
        "TRAIN-1".into(),
        "STAFF-TRAINING",
        "Run data security awareness training for every member of staff",
        "Information Governance Lead",
        train_target,
        train_status,
    ));
    if slot.index >= 1 {
        rows.push((
            "MFA-1".into(),
            "MFA-PRIVILEGED",
            "Enforce multi-factor authentication on every privileged account",
            "Head of IT",
            months(first.end(), 4),
            if latest { "in_progress" } else { "planned" },
        ));
    }
    if latest && slot.periods > 2 {
        rows.push((
            "BACKUP-1".into(),
            "BACKUP-RESTORE",
            "Test a restore from the offline backup",
            "Head of IT",
            slot.period.end(),
            "cancelled",
        ));
    }
    rows
}

/// Adds the faulty row; gives the code it must raise.
fn plant(fault: &str, slot: &PlanSlot, rows: &mut Vec<Row>) -> &'static str {
    let target = slot.period.end() + Days::new(30);
    let (row, code) = match fault {
        "unknown_standard" => (
            (
                "PATCH-2".into(),
                "PATCH-14",
                "Patch the servers",
                "Head of IT",
                target,
                "planned",
            ),
            "plan_unknown_standard",
        ),
        "bad_status" => (
            (
                "AV-1".into(),
                "ANTIMALWARE",
                "Update signatures",
                "Head of IT",
                target,
                "started",
            ),
            "plan_invalid_field",
        ),
        "duplicate_action" => (
            (
                "PATCH-1".into(),
                "PATCH-14D",
                "Patch again",
                "Head of IT",
                target,
                "planned",
            ),
            "plan_duplicate_action",
        ),
        _ => (
            (
                "OS-1".into(),
                "UNSUPPORTED-OS",
                "Replace the unsupported systems",
                "Director of Finance",
                slot.period.end() + Days::new(300),
                "planned",
            ),
            "plan_target_too_far",
        ),
    };
    rows.push(row);
    code
}

fn render(slot: &PlanSlot, rows: &[Row]) -> Vec<u8> {
    let period = slot.period.to_string();
    let cells = |r: &Row| -> [String; 9] {
        [
            slot.org_code.to_string(),
            period.clone(),
            r.0.clone(),
            r.1.to_string(),
            r.2.to_string(),
            r.3.to_string(),
            r.4.to_string(),
            r.5.to_string(),
            String::new(),
        ]
    };
    if !slot.xlsx {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = writer.write_record(COLUMNS);
        for r in rows {
            let _ = writer.write_record(cells(r));
        }
        return writer.into_inner().unwrap_or_default();
    }
    let mut workbook = rust_xlsxwriter::Workbook::new();
    if let Ok(created) = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1) {
        workbook
            .set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    }
    let sheet = workbook.add_worksheet();
    let write = |sheet: &mut rust_xlsxwriter::Worksheet| -> Result<(), rust_xlsxwriter::XlsxError> {
        sheet.set_name("Plan")?;
        for (c, h) in COLUMNS.iter().enumerate() {
            sheet.write_string(0, c as u16, *h)?;
        }
        for (i, r) in rows.iter().enumerate() {
            for (c, cell) in cells(r).iter().enumerate() {
                sheet.write_string(i as u32 + 1, c as u16, cell)?;
            }
        }
        Ok(())
    };
    write(sheet)
        .and_then(|()| workbook.save_to_buffer())
        .unwrap_or_default()
}
