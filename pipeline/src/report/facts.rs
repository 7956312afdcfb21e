//! Figures that several reports share, computed once from the run.

use std::collections::BTreeMap;

use super::Inputs;
use super::model::Cell;
use crate::aggregate::{GapRow, GroupKind};
use crate::assess::Status;
use crate::contract::Organisation;

/// A group of organisations the reports break figures down by.
#[derive(Debug, Clone)]
pub struct Group {
    pub code: String,
    pub name: String,
}

pub struct Facts {
    /// Regions in code order, named from the reference table.
    pub regions: Vec<Group>,
    /// Organisation types in dictionary order, with their labels.
    pub types: Vec<Group>,
    /// Organisations by status.
    pub status: BTreeMap<Status, u64>,
    pub organisations: u64,
    pub submitted: u64,
}

impl Facts {
    pub fn of(inputs: &Inputs) -> Self {
        let mut regions: BTreeMap<String, String> = BTreeMap::new();
        for org in inputs.basis.orgs.iter() {
            regions
                .entry(org.region_code.clone())
                .or_insert_with(|| org.region_name.clone());
        }
        let org_types = &inputs.basis.contract.dictionary.org_types;
        let types = org_types
            .types
            .iter()
            .filter(|t| inputs.basis.orgs.iter().any(|o| &o.org_type == *t))
            .map(|t| Group {
                code: t.clone(),
                name: org_types.label(t).to_string(),
            })
            .collect();
        let mut status: BTreeMap<Status, u64> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for row in &inputs.basis.assessment.status {
            *status.entry(row.status).or_default() += 1;
        }
        let organisations = inputs.basis.assessment.status.len() as u64;
        Facts {
            regions: regions
                .into_iter()
                .map(|(code, name)| Group { code, name })
                .collect(),
            types,
            organisations,
            submitted: organisations - status[&Status::NotSubmitted],
            status,
        }
    }

    pub fn region_name(&self, code: &str) -> String {
        self.regions
            .iter()
            .find(|g| g.code == code)
            .map_or_else(|| code.to_string(), |g| g.name.clone())
    }

    /// An organisation's name (a link to its page), code, type and region: the first cells of
    /// the national tables that name organisations.
    pub fn named(&self, inputs: &Inputs, org: &Organisation) -> [Cell<'static>; 4] {
        let org_types = &inputs.basis.contract.dictionary.org_types;
        [
            Cell::link(org.org_name.clone(), format!("orgs/{}.html", org.org_code)),
            Cell::text(org.org_code.clone()),
            Cell::text(org_types.label(&org.org_type).to_string()),
            Cell::text(self.region_name(&org.region_code)),
        ]
    }
}

/// The gap row of one standard and group, if the group had any organisation.
pub fn gap<'a>(
    gaps: &'a [GapRow],
    standard: &str,
    kind: GroupKind,
    code: &str,
) -> Option<&'a GapRow> {
    gaps.iter()
        .find(|g| g.standard_id == standard && g.group_kind == kind && g.group_code == code)
}
