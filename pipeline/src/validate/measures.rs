//! Measure-level checks of the return that is used: unknown and duplicated measures, typing
//! each value, parts that exceed their whole, and required measures that are missing.

use std::collections::{BTreeMap, BTreeSet};

use super::values::{Value, type_value};
use super::{Issues, Site};
use crate::contract::{Code, Dictionary, Measure};
use crate::ingest::returns::{RawMeasure, RawReturn, RawValue};
use crate::period::Period;

/// How to decide which measures apply to the organisation.
#[derive(Debug, Clone, Copy)]
pub enum Applicability<'a> {
    /// The organisation's type from the reference table.
    OrgType(&'a str),
    /// No reference table at hand: judge by the shape of the ODS code (a submitter checking a
    /// file on their own machine).
    CodeShape(&'a str),
}

impl Applicability<'_> {
    pub fn applies(&self, dict: &Dictionary, measure: &Measure) -> bool {
        let types = &dict.org_types;
        match *self {
            Applicability::OrgType(org_type) => dict.applies(measure, org_type),
            Applicability::CodeShape(code) => {
                let code = code.to_ascii_uppercase();
                measure.applies_to == "all"
                    || types.shapes_matching(&code).any(|shape| {
                        shape == measure.applies_to || types.in_group(&measure.applies_to, shape)
                    })
            }
        }
    }
}

/// The typed measures of a return, with the comments the submitter wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedMeasures {
    /// Valid values of the measures that apply to the organisation.
    pub values: BTreeMap<String, Value>,
    pub comments: BTreeMap<String, String>,
    /// The line each given measure came from, where known.
    pub lines: BTreeMap<String, u64>,
}

/// Checks every measure of `ret`. `from_inventory` names the measures an accepted inventory
/// supplies: their absence from the return is not `missing_measure`.
pub fn check_measures(
    ret: &RawReturn,
    site: &Site,
    dict: &Dictionary,
    period: Period,
    applicability: Applicability,
    from_inventory: &BTreeSet<String>,
    issues: &mut Issues,
) -> CheckedMeasures {
    let mut checked = CheckedMeasures::default();
    let mut given: BTreeSet<&str> = BTreeSet::new();
    let mut lines: BTreeMap<&str, Option<u64>> = BTreeMap::new();
    for (name, occurrences) in by_name(ret) {
        let first = occurrences[0];
        let Some(measure) = dict.get(name) else {
            let shown = if name.is_empty() { "(blank)" } else { name };
            let hint = match closest(dict, name) {
                Some(known) => format!("did you mean {known}?"),
                None => "check its spelling against the template".to_string(),
            };
            issues.push(
                site,
                Code::UnknownMeasure,
                name,
                first.line,
                format!("measure {shown} is not in the measure dictionary and is ignored; {hint}"),
            );
            continue;
        };
        if occurrences.len() > 1 {
            given.insert(name);
            issues.push(
                site,
                Code::DuplicateMeasure,
                name,
                occurrences[1].line,
                format!(
                    "{name} is given {} times; every value is dropped: give it once",
                    occurrences.len()
                ),
            );
            continue;
        }
        if let Some(comment) = first.comment.clone() {
            checked.comments.insert(name.to_string(), comment);
        }
        if first.value == RawValue::Empty {
            continue;
        }
        given.insert(name);
        lines.insert(name, first.line);
        if let Some(line) = first.line {
            checked.lines.insert(name.to_string(), line);
        }
        match type_value(measure, &first.value, period.end()) {
            Ok(value) => {
                checked.values.insert(name.to_string(), value);
            }
            Err((code, message)) => {
                issues.push(site, code, name, first.line, format!("{name}: {message}"));
            }
        }
    }
    check_parts(dict, &mut checked, &lines, site, issues);
    check_applicable(
        dict,
        applicability,
        &given,
        from_inventory,
        &mut checked,
        site,
        issues,
    );
    checked
}

/// The measures of a return by name, in the order each first appears.
fn by_name(ret: &RawReturn) -> Vec<(&str, Vec<&RawMeasure>)> {
    let mut groups: Vec<(&str, Vec<&RawMeasure>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &ret.measures {
        let i = *index.entry(m.name.as_str()).or_insert_with(|| {
            groups.push((m.name.as_str(), Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(m);
    }
    groups
}

/// `inconsistent` for a part greater than its whole, checked pair by pair on the values as
/// given (a measure rejected by one pair is still compared in the others); both are dropped.
fn check_parts(
    dict: &Dictionary,
    checked: &mut CheckedMeasures,
    lines: &BTreeMap<&str, Option<u64>>,
    site: &Site,
    issues: &mut Issues,
) {
    let mut inconsistent: BTreeSet<String> = BTreeSet::new();
    for part in dict.measures() {
        let Some(whole) = part.not_more_than.as_deref() else {
            continue;
        };
        let (Some(p), Some(w)) = (
            checked.values.get(&part.name).and_then(|v| v.as_count()),
            checked.values.get(whole).and_then(|v| v.as_count()),
        ) else {
            continue;
        };
        if p > w {
            // One issue per broken rule, on the part's line, naming the whole's.
            let line = |name: &str| lines.get(name).copied().flatten();
            let whole_line = line(whole)
                .map(|l| format!(", line {l}"))
                .unwrap_or_default();
            let message = format!(
                "{} ({p}) is greater than {whole} ({w}{whole_line}); a part cannot exceed its whole: correct one of them",
                part.name
            );
            issues.push(
                site,
                Code::Inconsistent,
                &part.name,
                line(&part.name),
                message,
            );
            inconsistent.insert(part.name.clone());
            inconsistent.insert(whole.to_string());
        }
    }
    for name in inconsistent {
        checked.values.remove(&name);
    }
}

/// Drops the measures that do not apply to the organisation (validated like any other, then
/// not used) and raises `missing_measure` for each required one not given.
fn check_applicable(
    dict: &Dictionary,
    applicability: Applicability,
    given: &BTreeSet<&str>,
    from_inventory: &BTreeSet<String>,
    checked: &mut CheckedMeasures,
    site: &Site,
    issues: &mut Issues,
) {
    for measure in dict.measures() {
        if !applicability.applies(dict, measure) {
            checked.values.remove(&measure.name);
            checked.comments.remove(&measure.name);
            continue;
        }
        if measure.required
            && !given.contains(measure.name.as_str())
            && !from_inventory.contains(&measure.name)
        {
            issues.push(
                site,
                Code::MissingMeasure,
                &measure.name,
                None,
                format!(
                    "{} is required and was not given: add it ({})",
                    measure.name, measure.description
                ),
            );
        }
    }
}

/// The dictionary's measure closest to an unknown name, when it is a slip of at most two
/// letters (inserted, dropped, changed or swapped neighbours).
fn closest<'d>(dict: &'d Dictionary, name: &str) -> Option<&'d str> {
    let name = name.trim().to_ascii_lowercase();
    dict.measures()
        .iter()
        .map(|m| (edit_distance(&name, &m.name), m.name.as_str()))
        .filter(|(d, _)| *d <= 2 && !name.is_empty())
        .min()
        .map(|(_, known)| known)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbouring letters each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod spelling {
    use super::edit_distance;

    #[test]
    fn slips_of_a_letter_or_two_are_near() {
        assert_eq!(edit_distance("staf_total", "staff_total"), 1);
        assert_eq!(edit_distance("staff_totla", "staff_total"), 1);
        assert_eq!(edit_distance("stuff_totl", "staff_total"), 2);
        assert!(edit_distance("endpoints_total", "staff_total") > 2);
    }
}
