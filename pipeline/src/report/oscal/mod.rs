//! OSCAL exports, for the organisations' and assessors' own compliance tools (OSCAL 1.2 JSON,
//! checked with compliance-trestle by `ci/test`):
//!
//! - `catalog.json`: the edition of the standards as an OSCAL catalog, one control per
//!   standard, its thresholds as parameters;
//! - `assessment-results/{org_code}.json`: for each organisation assessed this period, one
//!   finding per standard (satisfied or not), each with an observation giving the value, the
//!   threshold and the source;
//! - `poam/{org_code}.json`: for each organisation that sent a plan, its plan of action and
//!   milestones, one item and one risk per action.
//!
//! Every UUID is a version-5 UUID of a name (the organisation, the period, the standard or
//! the action), so the same inputs give the same bytes and an action keeps its UUID from one
//! period to the next.

mod schema;

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rayon::prelude::*;
use sha1::{Digest, Sha1};

use super::model::{format_value, outcome_label, period_label, threshold_text};
use super::{Basis, ReportError};
use crate::aggregate::plans::PlanRow;
use crate::assess::{Outcome, OutcomeRow, Rule, Standard};
use crate::contract::Organisation;
use crate::validate::AcceptedReturn;
use crate::validate::plans::{AcceptedPlan, PlanAction};
use schema::*;

/// Baseline's namespace for its version-5 UUIDs (itself a random UUID, fixed for good).
const NAMESPACE: [u8; 16] = [
    0xc1, 0x76, 0xa2, 0x72, 0x6f, 0xef, 0x40, 0x74, 0x8a, 0xb6, 0x2a, 0xa5, 0x3f, 0xd8, 0x9a, 0x8a,
];

/// The version-5 UUID (RFC 9562) of `name` in `namespace`, as lower-case text.
fn uuid_v5(namespace: &[u8; 16], name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha1::new()
        .chain_update(namespace)
        .chain_update(name.as_bytes())
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    text
}

/// A UUID of Baseline's: the same name always gives the same UUID.
pub fn uuid(name: &str) -> String {
    uuid_v5(&NAMESPACE, name)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn day_start(date: NaiveDate) -> String {
    format!("{date}T00:00:00Z")
}

fn day_end(date: NaiveDate) -> String {
    format!("{date}T23:59:59Z")
}

/// What every document of a run shares.
struct Shared<'a> {
    inputs: &'a Basis<'a>,
    /// The release date of the period's figures: the documents' `last-modified`, so that a
    /// run of the same inputs gives the same bytes.
    released: String,
    /// The wording of each standard of the edition, in the catalogue's order.
    words: Vec<Wording>,
}

/// What the findings and observations of every organisation say of one standard, worded
/// once per run.
struct Wording {
    /// `{id}: {title}`.
    title: String,
    /// The control statement a finding targets.
    statement: String,
    met: Option<String>,
    partially_met: Option<String>,
    /// The thresholds in words.
    threshold: String,
    /// A finding's title and description for each outcome, in the order of [`Outcome::ALL`].
    findings: Vec<(String, String)>,
}

impl Wording {
    fn of(s: &Standard) -> Self {
        let finding = |o: &Outcome| {
            let label = outcome_label(*o);
            (
                format!("{}: {label}", s.id),
                format!("{} ({}).", s.title, label.to_lowercase()),
            )
        };
        Wording {
            title: format!("{}: {}", s.id, s.title),
            statement: format!("{}_smt", s.id),
            met: s.met.map(|t| t.to_string()),
            partially_met: s.partially_met.map(|t| t.to_string()),
            threshold: threshold_text(s),
            findings: Outcome::ALL.iter().map(finding).collect(),
        }
    }

    /// A finding's title and description for `outcome`.
    fn finding(&self, outcome: Outcome) -> (&str, &str) {
        let (title, description) = &self.findings[outcome.index()];
        (title, description)
    }
}

impl Shared<'_> {
    fn metadata(&self, title: String, props: Vec<Prop>, parties: Vec<Party>) -> Metadata {
        Metadata {
            title,
            last_modified: self.released.clone(),
            version: self.inputs.period.to_string(),
            oscal_version: OSCAL_VERSION,
            props,
            parties,
        }
    }

    fn publisher(&self) -> Party {
        let publication = &self.inputs.contract.dictionary.publication;
        Party {
            uuid: uuid("party:publisher"),
            kind: "organization",
            name: publication.publisher.clone(),
            short_name: None,
            email_addresses: vec![publication.contact.clone()],
        }
    }

    fn organisation(&self, org: &Organisation) -> Party {
        Party {
            uuid: uuid(&format!("party:{}", org.org_code)),
            kind: "organization",
            name: org.org_name.clone(),
            short_name: Some(org.org_code.clone()),
            email_addresses: Vec::new(),
        }
    }
}

/// Every export of the run: (path under `exports/oscal/`, bytes), in a stable order.
pub fn documents(inputs: &Basis) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let released = inputs.period.day_of_following_month(
        inputs
            .contract
            .dictionary
            .publication
            .release_day_of_following_month,
    );
    let shared = Shared {
        inputs,
        released: day_start(released),
        words: inputs
            .catalogue
            .standards
            .iter()
            .map(|c| Wording::of(&c.standard))
            .collect(),
    };
    let catalog = serde_json::to_vec_pretty(&catalog(&shared)).map_err(ReportError::Export)?;
    let mut files = vec![("catalog.json".to_string(), catalog)];
    files.extend(assessment_results(&shared)?);
    files.extend(poams(&shared)?);
    Ok(files)
}

/// A document of one organisation: compact, as there are thousands (18 KB each, against
/// 35 KB indented).
fn json(document: &impl serde::Serialize) -> Result<Vec<u8>, ReportError> {
    let mut bytes = Vec::with_capacity(DOCUMENT_BYTES);
    serde_json::to_writer(&mut bytes, document).map_err(ReportError::Export)?;
    Ok(bytes)
}

/// Room for a typical document, so that writing one rarely moves it.
const DOCUMENT_BYTES: usize = 24 * 1024;

/// The organisation of a code, when the code is safe to be part of a path.
fn organisation<'a>(inputs: &'a Basis, org_code: &str) -> Option<&'a Organisation> {
    let org = inputs.orgs.get(org_code)?;
    inputs
        .contract
        .dictionary
        .org_types
        .is_ods_code(&org.org_code)
        .then_some(org)
}

// The catalogue.

fn catalog(shared: &Shared) -> CatalogDocument {
    let catalogue = shared.inputs.catalogue;
    CatalogDocument {
        catalog: Catalog {
            uuid: uuid(&format!("catalog:{}", catalogue.id)),
            metadata: Metadata {
                version: catalogue.id.clone(),
                ..shared.metadata(
                    catalogue.title.clone(),
                    Vec::new(),
                    vec![shared.publisher()],
                )
            },
            controls: catalogue
                .standards
                .iter()
                .map(|s| control(&s.standard))
                .collect(),
        },
    }
}

fn control(s: &Standard) -> Control {
    let thresholds = [("met", s.met), ("partially_met", s.partially_met)];
    let params = thresholds
        .iter()
        .filter_map(|(name, value)| {
            value.map(|v| Param {
                id: format!("{}_{name}", s.id),
                label: format!("threshold for {}", name.replace('_', " ")),
                values: vec![v.to_string()],
            })
        })
        .collect();
    Control {
        id: s.id.clone(),
        class: "minimum-standard",
        title: s.title.clone(),
        params,
        props: vec![
            Prop::new("short-name", s.short.clone()),
            Prop::new("critical", s.critical.to_string()),
            Prop::new("applies-to", s.applies_to.clone()),
            Prop::new("caf-outcome", s.caf.clone()),
            Prop::new("value", s.value.clone()),
        ],
        parts: vec![
            Part {
                id: format!("{}_smt", s.id),
                name: "statement",
                prose: statement(s),
            },
            Part {
                id: format!("{}_gdn", s.id),
                name: "guidance",
                prose: s.remediation.clone(),
            },
        ],
    }
}

/// The rule in words, the thresholds as the catalog's parameters.
fn statement(s: &Standard) -> String {
    let value = format!("the value `{}`", s.value);
    let word = match s.rule {
        Rule::IsTrue => return format!("{}. Met when {value} is true.", s.title),
        Rule::AtLeast => "at least",
        Rule::AtMost => "at most",
    };
    let mut text = format!(
        "{}. Met when {value} is {word} {{{{ insert: param, {}_met }}}}",
        s.title, s.id
    );
    if s.partially_met.is_some() {
        text.push_str(&format!(
            "; partially met when it is {word} {{{{ insert: param, {}_partially_met }}}}",
            s.id
        ));
    }
    text.push('.');
    text
}

// Assessment results.

fn assessment_results(shared: &Shared) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let inputs = shared.inputs;
    let outcomes = super::outcome_ranges(inputs.assessment);
    let inventories: HashMap<&str, &str> = inputs
        .validated
        .inventories
        .iter()
        .map(|i| (i.org_code.as_str(), i.file.as_str()))
        .collect();
    inputs
        .validated
        .returns
        .par_iter()
        .filter_map(|ret| {
            let org = organisation(inputs, &ret.org_code)?;
            let rows = outcomes
                .get(org.org_code.as_str())
                .map_or(&[][..], |r| &inputs.assessment.outcomes[r.clone()]);
            let evidence = Sources {
                ret,
                inventory: inventories.get(org.org_code.as_str()).copied(),
            };
            let document = results_document(shared, org, &evidence, rows);
            Some(document.map(|bytes| (format!("assessment-results/{}.json", org.org_code), bytes)))
        })
        .collect()
}

/// Where an organisation's values came from this period.
struct Sources<'a> {
    ret: &'a AcceptedReturn,
    inventory: Option<&'a str>,
}

/// An organisation's assessment results, as JSON. Its observations and findings borrow what
/// they repeat: the standards' words, its party's UUID and the time its return arrived.
fn results_document(
    shared: &Shared,
    org: &Organisation,
    sources: &Sources,
    rows: &[OutcomeRow],
) -> Result<Vec<u8>, ReportError> {
    let inputs = shared.inputs;
    let period = inputs.period;
    let key = format!("{}:{period}", org.org_code);
    let method = uuid(&format!("method:{key}"));
    let party = shared.organisation(org);
    let observed_party = party.uuid.clone();
    let collected = timestamp(sources.ret.submitted_at);
    let standards = inputs.catalogue.standards.iter().map(|c| &c.standard);
    let judged: Vec<Judged> = standards
        .zip(&shared.words)
        .filter_map(|(s, words)| {
            let row = rows.iter().find(|o| o.standard_id == s.id)?;
            Some(Judged {
                s,
                words,
                o: row,
                observation: uuid(&format!("observation:{key}:{}", s.id)),
            })
        })
        .collect();
    let observations = judged
        .iter()
        .map(|j| observation(&observed_party, &collected, sources, j))
        .collect();
    let findings = judged.iter().map(|j| finding(&key, j)).collect();
    let label = period_label(period);
    json(&ResultsDocument {
        assessment_results: AssessmentResults {
            uuid: uuid(&format!("assessment-results:{key}")),
            metadata: shared.metadata(
                format!(
                    "{} ({}): minimum standards assessment results, {label}",
                    org.org_name, org.org_code
                ),
                vec![Prop::new("edition", inputs.catalogue.id.clone())],
                vec![shared.publisher(), party],
            ),
            import_ap: Import {
                href: format!("#{method}"),
            },
            results: vec![AssessmentResult {
                uuid: uuid(&format!("result:{key}")),
                title: format!("Minimum standards, {label}"),
                description: format!(
                    "Each standard of {} assessed from the organisation's monthly return for {label}.",
                    inputs.catalogue.id
                ),
                start: day_start(period.start()),
                end: day_end(period.end()),
                props: vec![Prop::new("period", period.to_string())],
                reviewed_controls: ReviewedControls {
                    control_selections: vec![ControlSelection {
                        include_controls: judged
                            .iter()
                            .map(|j| ControlRef {
                                control_id: j.s.id.clone(),
                            })
                            .collect(),
                    }],
                },
                observations,
                findings,
            }],
            back_matter: BackMatter {
                resources: vec![Resource {
                    uuid: method,
                    title: format!("The monthly return, assessed against {}", inputs.catalogue.id),
                    description: "No separate assessment plan exists: every standard is assessed each month from the organisation's own return (and its device inventory, when it sent one) against the thresholds of the catalog in catalog.json.".to_string(),
                }],
            },
        },
    })
}

/// One standard as judged for an organisation.
struct Judged<'a> {
    s: &'a Standard,
    words: &'a Wording,
    o: &'a OutcomeRow,
    /// The UUID of its observation, which its finding cites.
    observation: String,
}

fn observation<'a>(
    party: &'a str,
    collected: &'a str,
    sources: &Sources,
    judged: &'a Judged,
) -> Observation<'a> {
    let Judged { s, words, o, .. } = judged;
    let mut props = vec![
        Prop::new("outcome", o.outcome.as_str()),
        Prop::new("source", if o.derived { "inventory" } else { "return" }),
    ];
    if let Some(value) = o.value {
        props.push(Prop::new("value", o.value_text()));
        props.push(Prop::new(
            "value-shown",
            format_value(s.value_format, value),
        ));
    }
    for (name, threshold) in [
        ("threshold-met", &words.met),
        ("threshold-partially-met", &words.partially_met),
    ] {
        if let Some(t) = threshold {
            props.push(Prop::new(name, t.clone()));
        }
    }
    let file = match (o.derived, sources.inventory) {
        (true, Some(inventory)) => format!("Device inventory {inventory}"),
        _ => format!("Monthly return {}", sources.ret.file),
    };
    Observation {
        uuid: &judged.observation,
        title: &words.title,
        description: observed(judged),
        props,
        methods: ["EXAMINE"],
        subjects: [Subject {
            subject_uuid: party,
            kind: "party",
        }],
        relevant_evidence: [Evidence {
            description: format!("{file}, read for `{}`", s.value),
        }],
        collected,
    }
}

/// What was observed, in words.
fn observed(judged: &Judged) -> Cow<'static, str> {
    let Judged { s, words, o, .. } = judged;
    match (o.outcome, o.value) {
        (Outcome::NotApplicable, _) => {
            "The standard does not apply to this type of organisation.".into()
        }
        (_, None) => "Not assessed: a measure the standard reads was missing or rejected.".into(),
        (_, Some(v)) => Cow::Owned(format!(
            "Value {} ({}). {}.",
            format_value(s.value_format, v),
            outcome_label(o.outcome).to_lowercase(),
            words.threshold
        )),
    }
}

fn finding<'a>(key: &str, judged: &'a Judged) -> Finding<'a> {
    let Judged { s, words, o, .. } = judged;
    // Not applicable is not a gap (as in the plans); anything else short of met is.
    let (state, reason) = match o.outcome {
        Outcome::Met => ("satisfied", "pass"),
        Outcome::NotApplicable => ("satisfied", "other"),
        Outcome::PartiallyMet | Outcome::NotMet => ("not-satisfied", "fail"),
        Outcome::NotAssessed => ("not-satisfied", "other"),
    };
    let (title, description) = words.finding(o.outcome);
    Finding {
        uuid: uuid(&format!("finding:{key}:{}", s.id)),
        title,
        description,
        props: [
            Prop::new("outcome", o.outcome.as_str()),
            Prop::new("critical", if s.critical { "true" } else { "false" }),
        ],
        target: Target {
            kind: "statement-id",
            target_id: &words.statement,
            status: TargetStatus { state, reason },
        },
        related_observations: [RelatedObservation {
            observation_uuid: &judged.observation,
        }],
    }
}

// Plans of action and milestones.

fn poams(shared: &Shared) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let inputs = shared.inputs;
    let mut rows: HashMap<(&str, &str), &PlanRow> = HashMap::new();
    for row in inputs.plans.iter().filter(|r| r.period == inputs.period) {
        rows.insert((row.org_code.as_str(), row.action_id.as_str()), row);
    }
    inputs
        .validated
        .plans
        .par_iter()
        .filter_map(|plan| {
            let org = organisation(inputs, &plan.org_code)?;
            let document = poam_document(shared, org, plan, &rows);
            Some(json(&document).map(|bytes| (format!("poam/{}.json", org.org_code), bytes)))
        })
        .collect()
}

fn poam_document(
    shared: &Shared,
    org: &Organisation,
    plan: &AcceptedPlan,
    rows: &HashMap<(&str, &str), &PlanRow>,
) -> PoamDocument {
    let period = shared.inputs.period;
    let tracked: Vec<(&PlanAction, Option<&PlanRow>)> = plan
        .actions
        .iter()
        .map(|a| {
            (
                a,
                rows.get(&(org.org_code.as_str(), a.action_id.as_str()))
                    .copied(),
            )
        })
        .collect();
    PoamDocument {
        poam: Poam {
            uuid: uuid(&format!("poam:{}:{period}", org.org_code)),
            metadata: shared.metadata(
                format!(
                    "{} ({}): improvement plan, {}",
                    org.org_name,
                    org.org_code,
                    period_label(period)
                ),
                vec![Prop::new("plan-file", plan.file.clone())],
                vec![shared.publisher(), shared.organisation(org)],
            ),
            risks: tracked
                .iter()
                .map(|(a, row)| risk(shared, &org.org_code, a, *row))
                .collect(),
            poam_items: tracked
                .iter()
                .map(|(a, row)| poam_item(&org.org_code, a, *row))
                .collect(),
        },
    }
}

/// The names of an action's UUIDs: its organisation and its own id, never the period.
fn action_key(org_code: &str, action: &PlanAction) -> String {
    format!("{org_code}:{}", action.action_id)
}

fn risk(shared: &Shared, org_code: &str, action: &PlanAction, row: Option<&PlanRow>) -> Risk {
    let key = action_key(org_code, action);
    let outcome = row.map_or("", |r| r.outcome.as_str());
    let plan = &shared.inputs.contract.plan;
    // The risk is the gap: closed once the standard is no longer one, whatever the status.
    let gap = outcome.is_empty() || plan.is_gap(outcome);
    let status = match (gap, action.status.as_str()) {
        (false, _) => "closed",
        (true, "in_progress") => "remediating",
        (true, _) => "open",
    };
    let standard = shared
        .inputs
        .catalogue
        .standards
        .iter()
        .find(|c| c.standard.id == action.standard_id)
        .map_or(action.standard_id.as_str(), |c| c.standard.title.as_str());
    let lifecycle = if action.status == "done" {
        "completed"
    } else {
        "planned"
    };
    Risk {
        uuid: uuid(&format!("risk:{key}")),
        title: format!("{}: {standard}", action.standard_id),
        description: format!(
            "The standard {} is a gap the plan addresses.",
            action.standard_id
        ),
        statement: match outcome {
            "" => "No return was assessed this period.".to_string(),
            o => format!("Outcome this period: {}.", o.replace('_', " ")),
        },
        props: present(vec![
            Prop::new("standard-id", action.standard_id.clone()),
            Prop::new("outcome", outcome.to_string()),
        ]),
        status,
        deadline: day_end(action.target_date),
        remediations: vec![Remediation {
            uuid: uuid(&format!("remediation:{key}")),
            lifecycle,
            title: action.action.clone(),
            description: format!("Owner: {}.", action.owner_role),
            tasks: vec![Task {
                uuid: uuid(&format!("milestone:{key}")),
                kind: "milestone",
                title: "Target date".to_string(),
                timing: Timing {
                    on_date: OnDate {
                        date: day_end(action.target_date),
                    },
                },
            }],
        }],
    }
}

fn poam_item(org_code: &str, action: &PlanAction, row: Option<&PlanRow>) -> PoamItem {
    let key = action_key(org_code, action);
    let mut props = vec![
        Prop::new("action-id", action.action_id.clone()),
        Prop::new("standard-id", action.standard_id.clone()),
        Prop::new("status", action.status.clone()),
        Prop::new("owner-role", action.owner_role.clone()),
        Prop::new("target-date", action.target_date.to_string()),
    ];
    if let Some(row) = row {
        props.push(Prop::new("state", row.state.as_str()));
        props.push(Prop::new("first-period", row.first_period.to_string()));
        props.push(Prop::new("target-moves", row.target_moves.to_string()));
    }
    let mut description = format!(
        "{}. Owner: {}.",
        action.action.trim_end_matches('.'),
        action.owner_role
    );
    if !action.comment.is_empty() {
        description.push_str(&format!(" {}", action.comment));
    }
    PoamItem {
        uuid: uuid(&format!("poam-item:{key}")),
        title: action.action.clone(),
        description,
        props: present(props),
        links: vec![Link {
            href: format!("../catalog.json#{}", action.standard_id),
            rel: "reference",
        }],
        related_risks: vec![RelatedRisk {
            risk_uuid: uuid(&format!("risk:{key}")),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_rfc_version_5() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        assert_eq!(
            uuid_v5(&dns, "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
        assert_ne!(uuid("poam-item:A:1"), uuid("poam-item:A:2"));
    }
}
