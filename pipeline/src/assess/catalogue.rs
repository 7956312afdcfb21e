//! The standards catalogue: editions of the minimum standards as data files under
//! `schemas/standards/`, checked against the dictionary and compiled to polars expressions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::Expr;
use serde::Deserialize;

use crate::contract::{Dictionary, MeasureType};
use crate::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    AtLeast,
    AtMost,
    IsTrue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueFormat {
    Ratio,
    Days,
    Bool,
}

/// One standard as the catalogue declares it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub id: String,
    pub title: String,
    /// The plain name charts label the standard with (at most `SHORT_NAME_CHARS`).
    pub short: String,
    pub caf: String,
    pub applies_to: String,
    pub critical: bool,
    pub value: String,
    pub requires: Option<String>,
    pub rule: Rule,
    pub met: Option<f64>,
    pub partially_met: Option<f64>,
    pub value_format: ValueFormat,
    pub remediation: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRules {
    pub not_met_limit: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    id: String,
    title: String,
    first_period: String,
    status: StatusRules,
    standard: Vec<Standard>,
}

/// A standard ready to evaluate: its expressions and the measures they read.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub standard: Standard,
    pub value: Expr,
    pub requires: Option<Expr>,
    /// The dictionary measures the standard reads; any missing makes it not_assessed.
    pub inputs: Vec<String>,
}

/// An edition of the standards, checked and compiled.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub id: String,
    pub title: String,
    pub first_period: Period,
    pub status: StatusRules,
    pub standards: Vec<Compiled>,
    pub path: PathBuf,
    /// SHA-256 of the catalogue file, for the manifest.
    pub sha256: String,
}

/// The column every value expression may read besides the measures: the period's last day,
/// as a day number like the date measures.
pub const PERIOD_END: &str = "period_end";

#[derive(Debug, thiserror::Error)]
#[error("{path}: {problems}", problems = problems.join("; "))]
pub struct CatalogueError {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

impl Catalogue {
    /// The ids of the edition's standards.
    pub fn ids(&self) -> std::collections::BTreeSet<String> {
        self.standards
            .iter()
            .map(|s| s.standard.id.clone())
            .collect()
    }

    /// Reads and checks one catalogue file: every problem is reported, not just the first.
    pub fn load(path: &Path, dict: &Dictionary) -> Result<Catalogue, CatalogueError> {
        let fail = |problems: Vec<String>| CatalogueError {
            path: path.to_path_buf(),
            problems,
        };
        let text =
            fs_err::read_to_string(path).map_err(|e| fail(vec![format!("cannot read it: {e}")]))?;
        let file: CatalogueFile = toml::from_str(&text).map_err(|e| fail(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        let first_period = file
            .first_period
            .parse::<Period>()
            .map_err(|e| problems.push(e.to_string()))
            .ok();
        let mut ids = BTreeSet::new();
        let mut standards = Vec::new();
        for s in file.standard {
            if !ids.insert(s.id.clone()) {
                problems.push(format!("standard id {} is used twice", s.id));
            }
            check_standard(&s, dict, &mut problems);
            if let Some(compiled) = compile_standard(s, dict, &mut problems) {
                standards.push(compiled);
            }
        }
        if ids.is_empty() {
            problems.push("the catalogue has no standard".into());
        }
        match (problems.is_empty(), first_period) {
            (true, Some(first_period)) => Ok(Catalogue {
                id: file.id,
                title: file.title,
                first_period,
                status: file.status,
                standards,
                path: path.to_path_buf(),
                sha256: crate::digest::sha256_hex(text.as_bytes()),
            }),
            _ => Err(fail(problems)),
        }
    }

    /// Loads every `*.toml` of `dir` and picks the edition in force for `period`: the one with
    /// the latest first period not after it.
    pub fn in_force(
        dir: &Path,
        dict: &Dictionary,
        period: Period,
    ) -> Result<Catalogue, CatalogueError> {
        let editions = Self::load_all(dir, dict)?;
        editions
            .into_iter()
            .filter(|c| c.first_period <= period)
            .max_by_key(|c| c.first_period)
            .ok_or_else(|| CatalogueError {
                path: dir.to_path_buf(),
                problems: vec![format!(
                    "no edition of the standards is in force for {period}"
                )],
            })
    }

    /// Every edition in `dir`, sorted by first period; two editions may not share one.
    pub fn load_all(dir: &Path, dict: &Dictionary) -> Result<Vec<Catalogue>, CatalogueError> {
        let fail = |m: String| CatalogueError {
            path: dir.to_path_buf(),
            problems: vec![m],
        };
        let mut paths: Vec<PathBuf> = fs_err::read_dir(dir)
            .map_err(|e| fail(format!("cannot read the folder: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let mut editions = paths
            .iter()
            .map(|p| Catalogue::load(p, dict))
            .collect::<Result<Vec<_>, _>>()?;
        editions.sort_by_key(|c| c.first_period);
        if let Some(pair) = editions
            .windows(2)
            .find(|w| w[0].first_period == w[1].first_period)
        {
            return Err(fail(format!(
                "{} and {} both start in {}",
                pair[0].id, pair[1].id, pair[0].first_period
            )));
        }
        Ok(editions)
    }
}

/// The problems of a standard's declaration: an unknown group, thresholds missing or in the
/// wrong order.
/// The longest plain name a chart's label column holds.
pub const SHORT_NAME_CHARS: usize = 30;

fn check_standard(s: &Standard, dict: &Dictionary, problems: &mut Vec<String>) {
    let at = |m: String| format!("standard {}: {m}", s.id);
    let short = s.short.trim().chars().count();
    if short == 0 || short > SHORT_NAME_CHARS {
        problems.push(at(format!(
            "short must be a plain name of 1 to {SHORT_NAME_CHARS} characters (it has {short})"
        )));
    }
    if !dict.org_types.has_group(&s.applies_to) {
        problems.push(at(format!(
            "applies_to names unknown group `{}`",
            s.applies_to
        )));
    }
    match (s.rule, s.met, s.partially_met) {
        (Rule::IsTrue, None, None) => {}
        (Rule::IsTrue, _, _) => problems.push(at("an is_true rule takes no thresholds".into())),
        (_, None, _) => problems.push(at("no met threshold".into())),
        (Rule::AtLeast, Some(met), Some(partial)) if partial > met => problems.push(at(format!(
            "thresholds in the wrong order: partially_met {partial} is above met {met} for an at_least rule"
        ))),
        (Rule::AtMost, Some(met), Some(partial)) if partial < met => problems.push(at(format!(
            "thresholds in the wrong order: partially_met {partial} is below met {met} for an at_most rule"
        ))),
        _ => {}
    }
}

/// A polars SQL expression of a standard and the measures it reads; an error names a
/// measure that is not in the dictionary.
fn compile_expr(
    s: &Standard,
    sql: &str,
    what: &str,
    dict: &Dictionary,
) -> Result<(Expr, Vec<String>), String> {
    let at = |m: String| format!("standard {}: {m}", s.id);
    let expr = polars::sql::sql_expr(sql)
        .map_err(|e| at(format!("{what} `{sql}` does not parse: {e}")))?;
    let mut names: Vec<String> = expr
        .clone()
        .meta()
        .root_names()
        .iter()
        .map(polars::prelude::PlSmallStr::to_string)
        .collect();
    names.sort();
    names.dedup();
    if let Some(unknown) = names
        .iter()
        .find(|n| n.as_str() != PERIOD_END && dict.get(n).is_none())
    {
        return Err(at(format!(
            "{what} reads `{unknown}`, which is not a measure of the dictionary"
        )));
    }
    names.retain(|n| n != PERIOD_END);
    Ok((expr, names))
}

/// The standard with its value and `requires` expressions compiled, or `None` (with the
/// problems noted) when either does not compile or reads a money measure.
fn compile_standard(
    s: Standard,
    dict: &Dictionary,
    problems: &mut Vec<String>,
) -> Option<Compiled> {
    let value = compile_expr(&s, &s.value, "value", dict)
        .map_err(|e| problems.push(e))
        .ok();
    let requires = match s.requires.as_deref() {
        Some(r) => compile_expr(&s, r, "requires", dict)
            .map_err(|e| problems.push(e))
            .ok()
            .map(|(expr, inputs)| (Some(expr), inputs)),
        None => Some((None, Vec::new())),
    };
    if let Some((_, inputs)) = &value
        && inputs
            .iter()
            .any(|i| dict.get(i).is_some_and(|m| m.kind == MeasureType::Money))
    {
        problems.push(format!(
            "standard {}: money measures are context for analysis and are not assessed",
            s.id
        ));
    }
    let ((value, mut inputs), (requires, required_inputs)) = (value?, requires?);
    inputs.extend(required_inputs);
    inputs.sort();
    inputs.dedup();
    Some(Compiled {
        standard: s,
        value,
        requires,
        inputs,
    })
}
