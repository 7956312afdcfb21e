//! Inventory evidence: the derived device measures of each organisation whose inventory was
//! accepted (each inventory was reduced to its counts by `ingest::counts` as soon as it was
//! read), with the `unknown_os` and `discrepancy` warnings.

use std::collections::BTreeMap;

use crate::contract::{Code, Contract};
use crate::validate::{Issues, Site, Validated, Value};

/// Derived device measures by organisation; `None` where SPEC makes the value unusable (a
/// derived `endpoints_total` of 0).
pub type Derived = BTreeMap<String, BTreeMap<String, Option<u64>>>;

/// The device measures of every organisation whose inventory was accepted, with the
/// `unknown_os` (per organisation and OS) and `discrepancy` (per measure) warnings.
pub fn derive(validated: &Validated, contract: &Contract, issues: &mut Issues) -> Derived {
    let spec = &contract.dictionary.inventory;
    let mut derived = Derived::new();
    for inv in &validated.inventories {
        let values = derived.entry(inv.org_code.clone()).or_default();
        for (name, count) in &inv.summary.counts {
            // SPEC: a derived endpoints_total of 0 makes the endpoint standards not_assessed.
            let usable = contract
                .dictionary
                .get(name)
                .is_none_or(|m| *count >= m.min);
            values.insert(name.clone(), usable.then_some(*count));
        }
        let site = Site {
            file: inv.file.clone(),
            org_code: inv.org_code.clone(),
        };
        for (name, version, devices) in &inv.summary.unknown_os {
            issues.file(
                &site,
                Code::UnknownOs,
                format!("{devices} devices run '{name} {version}', which is not in the OS lifecycle reference, so they count as unsupported; check the OS name and version"),
            );
        }
        let (more, devices) = inv.summary.unknown_os_unlisted;
        if more > 0 {
            issues.file(
                &site,
                Code::UnknownOs,
                format!("{more} more operating systems on {devices} devices are not in the OS lifecycle reference either, so they count as unsupported; check the OS names and versions"),
            );
        }
    }

    for ret in &validated.returns {
        let Some(values) = derived.get(&ret.org_code) else {
            continue;
        };
        let site = Site {
            file: ret.file.clone(),
            org_code: ret.org_code.clone(),
        };
        for (name, value) in values {
            let (Some(Value::Count(reported)), Some(d)) = (ret.measures.values.get(name), value)
            else {
                continue;
            };
            let tolerance = (spec.discrepancy_tolerance as f64)
                .max(spec.discrepancy_tolerance_share * *d as f64);
            if (*reported as f64 - *d as f64).abs() > tolerance {
                issues.push(
                    &site,
                    Code::Discrepancy,
                    name,
                    ret.measures.lines.get(name).copied(),
                    format!("{name} is reported as {reported} but the inventory gives {d}; the inventory figure is used: check both"),
                );
            }
        }
    }
    derived
}
