//! `docs/CONTRACT.md`'s tables, generated from `schemas/` by `baseline contract`, so the
//! document a submitter reads and the files the pipeline reads cannot disagree: the measures,
//! the inventory's columns, the validation codes with their fixes, and the standards of every
//! edition. The prose around them is written by hand; each generated table sits between
//! `<!-- generated: NAME -->` and `<!-- end: NAME -->`.

use std::fmt::Write;

use crate::assess::{Catalogue, Rule};
use crate::contract::{Contract, Scope};
use crate::report::model::threshold_text;

/// The generated sections, by name.
pub fn sections(contract: &Contract, editions: &[Catalogue]) -> Vec<(&'static str, String)> {
    vec![
        ("measures", measures(contract)),
        ("inventory", inventory(contract)),
        ("plan", plan(contract)),
        ("codes", codes(contract)),
        ("standards", standards(editions)),
    ]
}

/// `document` with every generated section replaced by its current text; an error names a
/// section whose markers are missing.
pub fn fill(document: &str, sections: &[(&str, String)]) -> Result<String, String> {
    let mut text = document.to_string();
    for (name, body) in sections {
        let open = format!("<!-- generated: {name} -->\n");
        let close = format!("<!-- end: {name} -->");
        let start = text
            .find(&open)
            .map(|i| i + open.len())
            .ok_or_else(|| format!("no `<!-- generated: {name} -->` marker"))?;
        let end = text[start..]
            .find(&close)
            .map(|i| start + i)
            .ok_or_else(|| format!("no `<!-- end: {name} -->` marker"))?;
        text.replace_range(start..end, body);
    }
    Ok(text)
}

/// A table cell: pipes escaped, line breaks folded.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn measures(contract: &Contract) -> String {
    let dict = &contract.dictionary;
    let mut out = String::from(
        "| measure | type | applies to | required | rules | from an inventory | what it is |\n|---|---|---|---|---|---|---|\n",
    );
    for m in dict.measures() {
        let mut rules = Vec::new();
        if m.min > 0 {
            rules.push(format!("at least {}", m.min));
        }
        if let Some(whole) = &m.not_more_than {
            rules.push(format!("not more than `{whole}`"));
        }
        if m.not_after_period_end {
            rules.push("not after the period's end".to_string());
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {}: {} |",
            m.name,
            m.kind.as_str(),
            m.applies_to,
            if m.required { "yes" } else { "no" },
            cell(&rules.join("; ")),
            m.derive
                .as_deref()
                .map_or(String::new(), |d| format!("`{}`", cell(d))),
            cell(&m.label),
            cell(&m.description)
        );
    }
    out
}

fn inventory(contract: &Contract) -> String {
    let spec = &contract.dictionary.inventory;
    let mut out = String::from("| column | its part |\n|---|---|\n");
    for column in &spec.columns {
        let role = spec
            .roles
            .all()
            .into_iter()
            .find(|(_, c)| *c == column)
            .map_or("(identifies the device; not read)", |(role, _)| role);
        let _ = writeln!(out, "| `{column}` | {role} |");
    }
    let _ = writeln!(
        out,
        "\nDevice classes and what they count in: {}. Patched: the oldest missing critical patch is empty or released within {} days of the period's end; anti-malware current: signatures updated within {} days of it; isolated: network zone `{}`. A reported device measure differs from the derived one (`discrepancy`) when they are more than {} devices and {}% apart.",
        spec.device_classes
            .iter()
            .map(|(class, family)| format!("`{class}` ({family})"))
            .collect::<Vec<_>>()
            .join(", "),
        spec.patch_window_days,
        spec.antimalware_window_days,
        spec.isolated_zone,
        spec.discrepancy_tolerance,
        spec.discrepancy_tolerance_share * 100.0
    );
    out
}

fn plan(contract: &Contract) -> String {
    let spec = &contract.plan;
    let mut out = String::from("| column | type | required | what it holds |\n|---|---|---|---|\n");
    for c in &spec.columns {
        let kind = format!("{:?}", c.kind).to_ascii_lowercase();
        let limit = c
            .max_chars
            .map_or(String::new(), |n| format!(", at most {n} characters"));
        let _ = writeln!(
            out,
            "| `{}` | {kind}{limit} | {} | {} |",
            c.name,
            if c.required { "yes" } else { "" },
            cell(&c.description)
        );
    }
    let rules = &spec.rules;
    let _ = writeln!(
        out,
        "\nStatuses: {}; open (covering a gap): {}. A target date more than {} months after the end of the period is `plan_target_too_far`. A gap to plan for is an outcome of {}. In a workbook the plan is the sheet `{}`.",
        rules
            .statuses
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        rules
            .open
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        rules.max_target_months,
        rules
            .gap_outcomes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        spec.sheet
    );
    out
}

fn scope(scope: Scope) -> &'static str {
    match scope {
        Scope::File => "the whole file",
        Scope::Measure => "the measure",
        Scope::Row => "the plan's row",
        Scope::Notice => "nothing",
    }
}

fn codes(contract: &Contract) -> String {
    let mut out = String::from(
        "| code | severity | rejects | what it means | what to change |\n|---|---|---|---|---|\n",
    );
    for entry in contract.codes.entries() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            entry.code,
            entry.severity.as_str(),
            scope(entry.scope),
            cell(&entry.summary),
            cell(&entry.fix)
        );
        if let Some(graver) = &entry.graver {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | when {} | {} |",
                entry.code,
                graver.severity.as_str(),
                scope(graver.scope),
                cell(&graver.when),
                cell(&entry.fix)
            );
        }
    }
    out
}

fn standards(editions: &[Catalogue]) -> String {
    let mut out = String::new();
    for catalogue in editions {
        let _ = writeln!(
            out,
            "**{}** ({}), in force from {}; an organisation with {} or more standards not met or not assessed is `standards_not_met`.\n",
            catalogue.title, catalogue.id, catalogue.first_period, catalogue.status.not_met_limit
        );
        out.push_str(
            "| id | standard | CAF | applies to | critical | value | thresholds |\n|---|---|---|---|---|---|---|\n",
        );
        for s in &catalogue.standards {
            let s = &s.standard;
            let value = match s.rule {
                Rule::IsTrue => format!("`{}` is yes", cell(&s.value)),
                _ => format!("`{}`", cell(&s.value)),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} (charts: {}) | {} | {} | {} | {} | {} |",
                s.id,
                cell(&s.title),
                cell(&s.short),
                s.caf,
                s.applies_to,
                if s.critical { "yes" } else { "" },
                value,
                cell(&threshold_text(s))
            );
        }
        out.push('\n');
    }
    out
}
