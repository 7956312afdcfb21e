//! The contract files agree with each other: the JSON Schema of a return describes exactly
//! the dictionary's measures with their types, and the OS lifecycle has SPEC's rows.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

#[test]
fn json_schema_agrees_with_the_dictionary() {
    let contract = common::contract();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("schemas/return.schema.json"))
            .expect("schema file"),
    )
    .expect("schema is JSON");
    let properties = schema["properties"]["measures"]["properties"]
        .as_object()
        .expect("measure properties");
    let in_schema: BTreeMap<&str, &str> = properties
        .iter()
        .map(|(name, p)| {
            (
                name.as_str(),
                p["$ref"]
                    .as_str()
                    .expect("a $ref")
                    .trim_start_matches("#/$defs/"),
            )
        })
        .collect();
    let in_dictionary: BTreeMap<&str, &str> = contract
        .dictionary
        .measures()
        .iter()
        .map(|m| (m.name.as_str(), m.kind.as_str()))
        .collect();
    assert_eq!(in_schema, in_dictionary);
    for kind in in_dictionary.values() {
        assert!(
            schema["$defs"][kind].is_object(),
            "no $defs entry for {kind}"
        );
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["org_code", "period", "submitted_at"]);
}

#[test]
fn lifecycle_holds_every_os_of_the_spec() {
    let contract = common::contract();
    let eos = &contract.lifecycle.end_of_support;
    assert_eq!(eos.len(), 24);
    let key = |n: &str, v: &str| {
        (
            baseline::contract::normalise_os(n),
            baseline::contract::normalise_os(v),
        )
    };
    assert_eq!(
        eos[&key("windows server", "2012  r2")].to_string(),
        "2023-10-10"
    );
    assert_eq!(
        eos[&key(" Windows ", "11 23H2  Enterprise")].to_string(),
        "2026-11-10"
    );
}

#[test]
fn dictionary_marks_the_seven_device_measures() {
    let contract = common::contract();
    let device: Vec<&str> = contract
        .dictionary
        .measures()
        .iter()
        .filter(|m| m.derive.is_some())
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(device.len(), 7, "{device:?}");
    let trust_only: Vec<&str> = contract
        .dictionary
        .measures()
        .iter()
        .filter(|m| m.applies_to == "trust")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        trust_only,
        [
            "medical_devices_total",
            "medical_devices_unsupported_os",
            "medical_devices_unsupported_isolated"
        ]
    );
}

#[test]
fn the_insights_name_measures_of_the_dictionary_and_standards_of_every_edition() {
    let contract = common::contract();
    let insights = &contract.insights;
    assert!(!insights.risk.is_empty() && !insights.spend.column.is_empty());
    let editions = baseline::assess::Catalogue::load_all(
        &common::workspace().join("schemas/standards"),
        &contract.dictionary,
    )
    .unwrap();
    for edition in &editions {
        for risk in &insights.risk {
            for id in &risk.not_met {
                assert!(
                    edition.standards.iter().any(|s| &s.standard.id == id),
                    "risk {} names {id}, which {} does not have",
                    risk.id,
                    edition.id
                );
            }
        }
    }
    assert_eq!(
        insights.spend.header,
        [
            "period",
            "org_code",
            "endpoints_total",
            "it_capital_gbp_per_endpoint",
            "cyber_gbp_per_endpoint",
            "standards_met",
            "status"
        ]
    );
}

/// `docs/CONTRACT.md` stands on its own only while its tables say what `schemas/` says.
#[test]
fn the_contract_document_agrees_with_the_schemas() {
    let contract = common::contract();
    let editions = baseline::assess::Catalogue::load_all(
        &common::workspace().join("schemas/standards"),
        &contract.dictionary,
    )
    .unwrap();
    let path = common::workspace().join("docs/CONTRACT.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let sections = baseline::contract_doc::sections(&contract, &editions);
    let filled = baseline::contract_doc::fill(&text, &sections).unwrap();
    assert!(
        filled == text,
        "docs/CONTRACT.md is stale: run `cargo run --release -- contract`"
    );
    for (name, body) in &sections {
        assert!(body.lines().count() > 3, "{name} is generated");
    }
    assert!(text.contains("`PATCH-14D`") && text.contains("`filename_mismatch` | error"));
}
