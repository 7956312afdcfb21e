//! The measure dictionary (`schemas/dictionary.toml`): every measure a return may carry, its
//! type, range and applicability, and the organisation types and their groups.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use super::{ContractError, read_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureType {
    Count,
    Money,
    Bool,
    Date,
}

impl MeasureType {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureType::Count => "count",
            MeasureType::Money => "money",
            MeasureType::Bool => "bool",
            MeasureType::Date => "date",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: MeasureType,
    #[serde(default)]
    pub min: u64,
    pub applies_to: String,
    pub required: bool,
    pub not_more_than: Option<String>,
    #[serde(default)]
    pub not_after_period_end: bool,
    /// The condition on device rows that counts this measure from an inventory.
    pub derive: Option<String>,
    pub label: String,
    pub description: String,
}

#[derive(Debug, Deserialize)]
struct OrgTypesFile {
    types: Vec<String>,
    groups: BTreeMap<String, Vec<String>>,
    code_shapes: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct ReturnsFile {
    due_day_of_following_month: u32,
}

/// The layout and counting rules of device inventories.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySpec {
    pub columns: Vec<String>,
    pub roles: InventoryRoles,
    pub isolated_zone: String,
    pub patch_window_days: u32,
    pub antimalware_window_days: u32,
    pub discrepancy_tolerance: u64,
    pub discrepancy_tolerance_share: f64,
    /// device class -> the family of measures it counts in (`endpoint`, `medical`, `none`).
    pub device_classes: BTreeMap<String, String>,
}

/// Which inventory column plays each part: named, so no order or position carries meaning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryRoles {
    pub device_class: String,
    pub os_name: String,
    pub os_version: String,
    pub patch_date: String,
    pub antimalware_date: String,
    pub network_zone: String,
}

impl InventoryRoles {
    /// Every role with the column that plays it.
    pub fn all(&self) -> [(&'static str, &str); 6] {
        [
            ("device_class", &self.device_class),
            ("os_name", &self.os_name),
            ("os_version", &self.os_version),
            ("patch_date", &self.patch_date),
            ("antimalware_date", &self.antimalware_date),
            ("network_zone", &self.network_zone),
        ]
    }
}

impl InventorySpec {
    /// The columns that hold dates.
    pub fn date_columns(&self) -> [&str; 2] {
        [&self.roles.patch_date, &self.roles.antimalware_date]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DictionaryFile {
    edition: String,
    org_types: OrgTypesFile,
    returns: ReturnsFile,
    publication: Publication,
    inventory: InventorySpec,
    disclosure: DisclosureFile,
    measure: Vec<Measure>,
}

/// What the public report says about itself: its publisher, a contact, and the pre-announced
/// day of the month after the period on which each release is published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub publisher: String,
    pub contact: String,
    pub release_day_of_following_month: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureFile {
    min_group: u64,
}

/// Organisation types, the groups applicability rules name, and the ODS code shapes.
#[derive(Debug, Clone)]
pub struct OrgTypes {
    pub types: Vec<String>,
    groups: BTreeMap<String, Vec<String>>,
    labels: BTreeMap<String, String>,
    any_shape: Regex,
    shapes: Vec<(String, Regex)>,
}

impl OrgTypes {
    /// Whether organisation type `org_type` belongs to group `group`.
    pub fn in_group(&self, group: &str, org_type: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|types| types.iter().any(|t| t == org_type))
    }

    pub fn has_group(&self, group: &str) -> bool {
        self.groups.contains_key(group)
    }

    /// The organisation types of a group.
    pub fn group(&self, group: &str) -> &[String] {
        self.groups.get(group).map_or(&[], Vec::as_slice)
    }

    /// How reports name an organisation type ("Acute trust" for `acute_trust`).
    pub fn label<'a>(&'a self, org_type: &'a str) -> &'a str {
        self.labels.get(org_type).map_or(org_type, String::as_str)
    }

    pub fn is_type(&self, org_type: &str) -> bool {
        self.types.iter().any(|t| t == org_type)
    }

    /// Whether `code` has the shape of an ODS organisation code: the check every code passes
    /// before it is used in a path.
    pub fn is_ods_code(&self, code: &str) -> bool {
        self.any_shape.is_match(code)
    }

    /// The type groups or types whose code shape `code` matches (for example `trust`).
    pub fn shapes_matching(&self, code: &str) -> impl Iterator<Item = &str> {
        self.shapes
            .iter()
            .filter(move |(_, re)| re.is_match(code))
            .map(|(name, _)| name.as_str())
    }
}

/// The measure dictionary, in file order.
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub edition: String,
    pub org_types: OrgTypes,
    pub due_day: u32,
    pub publication: Publication,
    pub inventory: InventorySpec,
    /// Groups of fewer organisations than this are not shown in public outputs (`[c]`), nor
    /// as a peer median in an organisation's report.
    pub min_group: u64,
    measures: Vec<Measure>,
    index: HashMap<String, usize>,
}

impl Dictionary {
    pub fn load(path: &Path) -> Result<Self, ContractError> {
        let file: DictionaryFile = toml::from_str(&read_text(path)?)
            .map_err(|e| ContractError::invalid(path, e.to_string()))?;
        Self::from_file(file).map_err(|message| ContractError::invalid(path, message))
    }

    fn from_file(file: DictionaryFile) -> Result<Self, String> {
        let OrgTypesFile {
            types,
            groups,
            code_shapes,
            labels,
        } = file.org_types;
        if let Some(missing) = types.iter().find(|t| !labels.contains_key(*t)) {
            return Err(format!("organisation type `{missing}` has no label"));
        }
        for (group, members) in &groups {
            if let Some(unknown) = members.iter().find(|t| !types.contains(t)) {
                return Err(format!(
                    "group `{group}` names unknown organisation type `{unknown}`"
                ));
            }
        }
        let compile = |name: &str, pattern: &str| {
            Regex::new(pattern).map_err(|e| format!("code shape `{name}` is not a regex: {e}"))
        };
        let any_shape = compile("any", code_shapes.get("any").ok_or("no `any` code shape")?)?;
        let shapes = code_shapes
            .iter()
            .filter(|(name, _)| name.as_str() != "any")
            .map(|(name, pattern)| Ok((name.clone(), compile(name, pattern)?)))
            .collect::<Result<Vec<_>, String>>()?;

        let mut index = HashMap::new();
        for (i, m) in file.measure.iter().enumerate() {
            if index.insert(m.name.clone(), i).is_some() {
                return Err(format!("measure `{}` is defined twice", m.name));
            }
            if !groups.contains_key(&m.applies_to) {
                return Err(format!(
                    "measure `{}` applies to unknown group `{}`",
                    m.name, m.applies_to
                ));
            }
        }
        for m in &file.measure {
            if let Some(whole) = &m.not_more_than {
                let Some(&w) = index.get(whole) else {
                    return Err(format!(
                        "measure `{}` names unknown whole `{whole}`",
                        m.name
                    ));
                };
                if m.kind != MeasureType::Count || file.measure[w].kind != MeasureType::Count {
                    return Err(format!("`{}` <= `{whole}` needs two counts", m.name));
                }
            }
        }
        if let Some((role, c)) = file
            .inventory
            .roles
            .all()
            .into_iter()
            .find(|(_, c)| !file.inventory.columns.iter().any(|k| k == c))
        {
            return Err(format!(
                "inventory role {role} names `{c}`, which is not an inventory column"
            ));
        }
        if !(1..=28).contains(&file.returns.due_day_of_following_month) {
            return Err("due_day_of_following_month must be between 1 and 28".into());
        }
        let release_day = file.publication.release_day_of_following_month;
        if !(file.returns.due_day_of_following_month < release_day && release_day <= 28) {
            return Err(format!(
                "release_day_of_following_month ({release_day}) must be after the returns are due and at most 28"
            ));
        }
        Ok(Dictionary {
            edition: file.edition,
            org_types: OrgTypes {
                types,
                groups,
                labels,
                any_shape,
                shapes,
            },
            due_day: file.returns.due_day_of_following_month,
            publication: file.publication,
            min_group: file.disclosure.min_group.max(1),
            inventory: file.inventory,
            measures: file.measure,
            index,
        })
    }

    pub fn measures(&self) -> &[Measure] {
        &self.measures
    }

    pub fn get(&self, name: &str) -> Option<&Measure> {
        self.index.get(name).map(|&i| &self.measures[i])
    }

    /// Whether `measure` applies to an organisation of type `org_type`.
    pub fn applies(&self, measure: &Measure, org_type: &str) -> bool {
        self.org_types.in_group(&measure.applies_to, org_type)
    }
}
