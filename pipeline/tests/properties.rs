//! Properties over generated input (proptest): a return written in any of the three formats
//! reads back to the same typed values, and validating arbitrary bytes under any file name
//! never panics and always ends in a return or issues.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use proptest::prelude::*;

use baseline::contract::{Contract, MeasureType};
use baseline::ingest::Limits;
use baseline::ingest::names::ReturnFormat;
use baseline::ingest::returns::read_return;
use baseline::validate::{Applicability, Issues, Site, Value, check_file, check_measures};

fn contract() -> &'static Contract {
    static CONTRACT: std::sync::OnceLock<Contract> = std::sync::OnceLock::new();
    CONTRACT.get_or_init(common::contract)
}

/// A value of `kind` as a submitter might write it, and the typed value it means.
fn value(kind: MeasureType) -> BoxedStrategy<(String, Value)> {
    match kind {
        MeasureType::Count => prop_oneof![
            (0u64..1_000_000).prop_map(|n| (n.to_string(), Value::Count(n))),
            (1_000u64..999_999)
                .prop_map(|n| (format!("{},{:03}", n / 1000, n % 1000), Value::Count(n))),
        ]
        .boxed(),
        MeasureType::Money => (0u64..100_000_000)
            .prop_map(|pence| {
                let text = format!("{}.{:02}", pence / 100, pence % 100);
                (text, Value::Money(pence as f64 / 100.0))
            })
            .boxed(),
        MeasureType::Bool => prop_oneof![
            Just(("yes".to_string(), Value::Bool(true))),
            Just(("No".to_string(), Value::Bool(false))),
            Just(("TRUE".to_string(), Value::Bool(true))),
            Just(("n".to_string(), Value::Bool(false))),
        ]
        .boxed(),
        MeasureType::Date => (0i64..600, any::<bool>())
            .prop_map(|(days, slashes)| {
                let d =
                    NaiveDate::from_ymd_opt(2026, 10, 31).unwrap() - chrono::Duration::days(days);
                let text = if slashes {
                    d.format("%d/%m/%Y")
                } else {
                    d.format("%Y-%m-%d")
                };
                (text.to_string(), Value::Date(d))
            })
            .boxed(),
    }
}

/// A set of the trust measures with valid values (parts no larger than wholes are not
/// guaranteed, so only the values are compared, not the verdict on pairs).
fn measures() -> impl Strategy<Value = Vec<(String, String, Value)>> {
    let dict = &contract().dictionary;
    let strategies: Vec<_> = dict
        .measures()
        .iter()
        .map(|m| {
            let name = m.name.clone();
            (any::<bool>(), value(m.kind))
                .prop_map(move |(keep, (text, typed))| keep.then(|| (name.clone(), text, typed)))
        })
        .collect();
    strategies.prop_map(|picked| picked.into_iter().flatten().collect())
}

fn typed(format: &str, measures: &[(String, String, Value)]) -> BTreeMap<String, Value> {
    let pairs: Vec<(String, String)> = measures
        .iter()
        .map(|(n, t, _)| (n.clone(), t.clone()))
        .collect();
    let period = "2026-10".parse().unwrap();
    let bytes =
        baseline::generate::render_return(format, "R0A", period, "2026-11-04T09:12:00Z", &pairs);
    let kind = match format {
        "json" => ReturnFormat::Json,
        "csv" => ReturnFormat::Csv,
        _ => ReturnFormat::Xlsx,
    };
    let raw = read_return(kind, &bytes, &Limits::default()).expect("a written return reads");
    let contract = contract();
    let mut issues = Issues::new(&contract.codes);
    let site = Site {
        file: format!("R0A_2026-10_return.{format}"),
        org_code: "R0A".into(),
    };
    let checked = check_measures(
        &raw,
        &site,
        &contract.dictionary,
        period,
        Applicability::OrgType("acute_trust"),
        &BTreeSet::new(),
        &mut issues,
    );
    // Values rejected only for their pair (a part over its whole, reported on the part) are
    // put back for comparison, the part's and its whole's.
    let mut values = checked.values;
    for issue in issues.into_sorted(None) {
        if issue.code.as_str() != "inconsistent" {
            continue;
        }
        let whole = contract
            .dictionary
            .get(&issue.measure)
            .and_then(|m| m.not_more_than.clone());
        for name in std::iter::once(issue.measure.clone()).chain(whole) {
            if let Some((_, _, v)) = measures.iter().find(|(n, _, _)| *n == name) {
                values.insert(name, *v);
            }
        }
    }
    values
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_return_reads_back_to_the_same_values_in_every_format(measures in measures()) {
        let expected: BTreeMap<String, Value> =
            measures.iter().map(|(n, _, v)| (n.clone(), *v)).collect();
        for format in ["json", "csv", "xlsx"] {
            prop_assert_eq!(&typed(format, &measures), &expected, "format {}", format);
        }
    }
}

/// File names a landing zone might hold: recognised ones of every kind, and anything at all.
fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "R0A_2026-10_return.json",
            "R0A_2026-10_return.csv",
            "R0A_2026-10_return.xlsx",
            "R0A_2026-10_inventory.csv",
            "R0A_2026-10_inventory.parquet",
            "K82057_2026-10_RETURN.CSV",
        ])
        .prop_map(String::from),
        "[ -~]{0,40}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_under_any_name_give_a_return_or_issues(
        name in file_name(),
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2048),
            "[ -~\n,]{0,400}".prop_map(String::into_bytes),
        ],
    ) {
        let issues = check_file(&name, bytes.clone().into(), contract(), baseline::validate::Context { orgs: None, period: "2026-10".parse().ok(), now: chrono::Utc::now(), standards: None }, Limits::default());
        let recognised = baseline::ingest::names::recognise(baseline::ingest::names::base_name(&name)).is_some();
        // Random bytes are never a complete, valid return: a recognised name always gets
        // issues, and every issue is about this file.
        if recognised {
            prop_assert!(!issues.is_empty(), "no issue for {} bytes as {}", bytes.len(), name);
        }
        prop_assert!(issues.iter().all(|i| i.file == name));
    }
}
