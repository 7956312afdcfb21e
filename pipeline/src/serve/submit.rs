//! One upload, from bytes to receipt: checked by [`crate::validate::check_file`] (the very
//! function `baseline validate` and the batch's readers use), refused with its issues or
//! stored create-only in the landing zone under `{period}/{org}/{receipt_id}/{file_name}`.
//!
//! The order of writes is what makes a crash harmless: the index entry claims a receipt id
//! first, the file is stored next, and the receipt last. A receipt therefore always names a
//! stored file; an upload interrupted before its receipt is completed, under the same id, by
//! the next upload of the same bytes.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::vault::{hex, random_bytes};
use super::{App, ServeError, on_parser_thread};
use crate::contract::{Organisation, Severity};
use crate::digest::sha256_hex;
use crate::ingest::names;
use crate::validate::{Context, Issue, check_file};

/// Whether an upload was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored in the landing zone for the batch (warnings allowed).
    Accepted,
    /// Not stored: the file has errors. Its bytes are kept in the service's state.
    Refused,
}

/// An issue as a receipt shows it: where, what and what to change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceiptIssue {
    pub line: Option<u64>,
    pub measure: String,
    pub severity: String,
    pub code: String,
    pub message: String,
    pub fix: String,
}

/// What the service gives back for every upload, and keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_id: String,
    pub org_code: String,
    pub period: String,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    /// The server's clock when the upload arrived: the submission time the batch uses for
    /// lateness.
    pub received_at: DateTime<Utc>,
    /// The standards edition in force for the period.
    pub edition: String,
    pub outcome: Outcome,
    /// Where the batch will find the file (accepted uploads only).
    pub landing_key: Option<String>,
    pub issues: Vec<ReceiptIssue>,
}

impl Receipt {
    pub fn errors(&self) -> usize {
        self.count("error")
    }

    pub fn count(&self, severity: &str) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == severity)
            .count()
    }
}

/// `index/{org}/{digest}.json`: the receipt id claimed for one file name and content.
#[derive(Debug, Serialize, Deserialize)]
struct Claim {
    receipt_id: String,
}

pub fn receipt_key(org_code: &str, receipt_id: &str) -> String {
    format!("receipts/{org_code}/{receipt_id}.json")
}

/// Whether `id` has the shape of a receipt id (and so can be part of a state key).
pub fn is_receipt_id(id: &str) -> bool {
    names::receipt_time(&format!("{id}/x")).is_some()
}

/// Checks and stores one upload for `org` (already known to be the caller's and the file
/// name's). Returns the receipt and whether this call made it (`false`: the same name and
/// bytes were uploaded before, and nothing new is stored).
pub async fn submit(
    app: &App,
    org: &Organisation,
    file_name: &str,
    bytes: Bytes,
    now: DateTime<Utc>,
) -> Result<(Receipt, bool), ServeError> {
    let sha256 = sha256_hex(&bytes);
    let index = format!(
        "index/{}/{}.json",
        org.org_code,
        sha256_hex(format!("{file_name}\0{sha256}").as_bytes())
    );
    let claim = Claim {
        receipt_id: names::receipt_id(now, &hex(&random_bytes::<8>()?)),
    };
    let receipt_id = if app.vault.create(&index, &claim).await? {
        claim.receipt_id
    } else {
        let earlier: Claim = app
            .vault
            .get(&index)
            .await?
            .ok_or_else(|| ServeError::State(format!("{index} vanished")))?;
        if let Some(receipt) = app
            .vault
            .get(&receipt_key(&org.org_code, &earlier.receipt_id))
            .await?
        {
            return Ok((receipt, false));
        }
        earlier.receipt_id
    };
    let receipt = judge_and_store(app, org, file_name, &receipt_id, sha256, bytes).await?;
    let key = receipt_key(&org.org_code, &receipt_id);
    if app.vault.create(&key, &receipt).await? {
        return Ok((receipt, true));
    }
    // Another instance completed the same upload a moment ago: its receipt stands.
    let stored = app.vault.get(&key).await?;
    Ok((stored.unwrap_or(receipt), false))
}

/// Checks the file as the batch will, then stores it: in the landing zone when it has no
/// error, in the state's refused area otherwise.
async fn judge_and_store(
    app: &App,
    org: &Organisation,
    file_name: &str,
    receipt_id: &str,
    sha256: String,
    bytes: Bytes,
) -> Result<Receipt, ServeError> {
    let received_at = names::receipt_time(&format!("{receipt_id}/x"))
        .ok_or_else(|| ServeError::State(format!("{receipt_id} is not a receipt id")))?;
    let period = app.config.period;
    let key = format!("{period}/{}/{receipt_id}/{file_name}", org.org_code);
    let issues = {
        let (app, key, bytes) = (app.clone(), key.clone(), bytes.clone());
        on_parser_thread(move || {
            let standards = app.catalogue(period).ok().map(|c| c.ids());
            let context = Context {
                orgs: Some(&app.config.orgs),
                period: Some(period),
                now: Utc::now(),
                standards: standards.as_ref(),
            };
            check_file(
                &key,
                bytes,
                &app.config.contract,
                context,
                app.config.limits,
            )
        })
        .await?
    };
    let refused = issues.iter().any(|i| i.severity == Severity::Error);
    let size = bytes.len() as u64;
    if refused {
        let kept = format!("refused/{}/{receipt_id}/{file_name}", org.org_code);
        app.vault.create_bytes(&kept, bytes).await?;
    } else {
        // `false` means an interrupted upload of these bytes had stored it already.
        app.landing.create(&key, bytes).await?;
    }
    Ok(Receipt {
        receipt_id: receipt_id.to_string(),
        org_code: org.org_code.clone(),
        period: period.to_string(),
        file_name: file_name.to_string(),
        size,
        sha256,
        received_at,
        edition: app.edition(period),
        outcome: if refused {
            Outcome::Refused
        } else {
            Outcome::Accepted
        },
        landing_key: (!refused).then_some(key),
        issues: issues.iter().map(|i| receipt_issue(app, i)).collect(),
    })
}

fn receipt_issue(app: &App, issue: &Issue) -> ReceiptIssue {
    ReceiptIssue {
        line: issue.line,
        measure: issue.measure.clone(),
        severity: issue.severity.as_str().to_string(),
        code: issue.code.as_str().to_string(),
        message: issue.message.clone(),
        fix: app.config.contract.codes.fix(issue.code).to_string(),
    }
}

/// An organisation's receipts, newest first.
pub async fn receipts_of(app: &App, org_code: &str) -> Result<Vec<Receipt>, ServeError> {
    let mut receipts: Vec<Receipt> = app.vault.all(&format!("receipts/{org_code}")).await?;
    receipts.sort_by(|a, b| b.receipt_id.cmp(&a.receipt_id));
    Ok(receipts)
}

/// Every organisation's receipts for `period`, newest first, at most `limit`.
pub async fn latest_receipts(
    app: &App,
    period: &str,
    limit: usize,
) -> Result<Vec<Receipt>, ServeError> {
    let mut receipts: Vec<Receipt> = app.vault.all("receipts").await?;
    receipts.retain(|r| r.period == period);
    receipts.sort_by(|a, b| b.receipt_id.cmp(&a.receipt_id));
    receipts.truncate(limit);
    Ok(receipts)
}
