//! The parts of the OSCAL 1.2 JSON models Baseline writes, as typed structs: the names and
//! nesting follow the OSCAL JSON schemas (kebab-case keys); optional parts that are empty are
//! left out, as OSCAL wants no empty arrays.

use std::borrow::Cow;

use serde::Serialize;

pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of Baseline's own property names (outcome, value, threshold, ...).
pub const NS: &str = "urn:baseline:oscal";

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    pub title: String,
    pub last_modified: String,
    pub version: String,
    pub oscal_version: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Party {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email_addresses: Vec<String>,
}

/// A name and value in Baseline's namespace. A value that is a word of the program's own
/// (an outcome, `true`) is not copied.
#[derive(Debug, Serialize)]
pub struct Prop {
    pub name: &'static str,
    pub value: Cow<'static, str>,
    pub ns: &'static str,
}

impl Prop {
    /// A property with its value trimmed (OSCAL allows no space at either end).
    pub fn new(name: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        let value = value.into();
        let trimmed = value.trim();
        let value = match trimmed.len() == value.len() {
            true => value,
            false => Cow::Owned(trimmed.to_string()),
        };
        Prop {
            name,
            value,
            ns: NS,
        }
    }
}

/// The properties that have a value: OSCAL allows no empty one.
pub fn present(props: Vec<Prop>) -> Vec<Prop> {
    props.into_iter().filter(|p| !p.value.is_empty()).collect()
}

#[derive(Debug, Serialize)]
pub struct Link {
    pub href: String,
    pub rel: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BackMatter {
    pub resources: Vec<Resource>,
}

#[derive(Debug, Serialize)]
pub struct Resource {
    pub uuid: String,
    pub title: String,
    pub description: String,
}

// The catalogue.

#[derive(Debug, Serialize)]
pub struct CatalogDocument {
    pub catalog: Catalog,
}

#[derive(Debug, Serialize)]
pub struct Catalog {
    pub uuid: String,
    pub metadata: Metadata,
    pub controls: Vec<Control>,
}

#[derive(Debug, Serialize)]
pub struct Control {
    pub id: String,
    pub class: &'static str,
    pub title: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    pub props: Vec<Prop>,
    pub parts: Vec<Part>,
}

#[derive(Debug, Serialize)]
pub struct Param {
    pub id: String,
    pub label: String,
    pub values: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Part {
    pub id: String,
    pub name: &'static str,
    pub prose: String,
}

// Assessment results.

#[derive(Debug, Serialize)]
pub struct ResultsDocument<'a> {
    #[serde(rename = "assessment-results")]
    pub assessment_results: AssessmentResults<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResults<'a> {
    pub uuid: String,
    pub metadata: Metadata,
    pub import_ap: Import,
    pub results: Vec<AssessmentResult<'a>>,
    pub back_matter: BackMatter,
}

#[derive(Debug, Serialize)]
pub struct Import {
    pub href: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResult<'a> {
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub start: String,
    pub end: String,
    pub props: Vec<Prop>,
    pub reviewed_controls: ReviewedControls,
    pub observations: Vec<Observation<'a>>,
    pub findings: Vec<Finding<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReviewedControls {
    pub control_selections: Vec<ControlSelection>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ControlSelection {
    pub include_controls: Vec<ControlRef>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ControlRef {
    pub control_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Observation<'a> {
    pub uuid: &'a str,
    pub title: &'a str,
    pub description: Cow<'a, str>,
    pub props: Vec<Prop>,
    pub methods: [&'static str; 1],
    pub subjects: [Subject<'a>; 1],
    pub relevant_evidence: [Evidence; 1],
    pub collected: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Subject<'a> {
    pub subject_uuid: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Evidence {
    pub description: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Finding<'a> {
    pub uuid: String,
    pub title: &'a str,
    pub description: &'a str,
    pub props: [Prop; 2],
    pub target: Target<'a>,
    pub related_observations: [RelatedObservation<'a>; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Target<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub target_id: &'a str,
    pub status: TargetStatus,
}

#[derive(Debug, Serialize)]
pub struct TargetStatus {
    pub state: &'static str,
    pub reason: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedObservation<'a> {
    pub observation_uuid: &'a str,
}

// Plan of action and milestones.

#[derive(Debug, Serialize)]
pub struct PoamDocument {
    #[serde(rename = "plan-of-action-and-milestones")]
    pub poam: Poam,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Poam {
    pub uuid: String,
    pub metadata: Metadata,
    pub risks: Vec<Risk>,
    pub poam_items: Vec<PoamItem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Risk {
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub statement: String,
    pub props: Vec<Prop>,
    pub status: &'static str,
    pub deadline: String,
    pub remediations: Vec<Remediation>,
}

#[derive(Debug, Serialize)]
pub struct Remediation {
    pub uuid: String,
    pub lifecycle: &'static str,
    pub title: String,
    pub description: String,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Serialize)]
pub struct Task {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub timing: Timing,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Timing {
    pub on_date: OnDate,
}

#[derive(Debug, Serialize)]
pub struct OnDate {
    pub date: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PoamItem {
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub props: Vec<Prop>,
    pub links: Vec<Link>,
    pub related_risks: Vec<RelatedRisk>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedRisk {
    pub risk_uuid: String,
}
