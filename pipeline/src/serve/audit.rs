//! The audit log: one immutable object per event (sign-in, sign-out, upload, token change,
//! refused request) under `audit/{YYYY-MM-DD}/`, written create-only so that nothing in it is
//! ever replaced. It names the token by id, never the token.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ServeError;
use super::vault::{Vault, hex, random_bytes};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    SignIn,
    SignOut,
    Upload,
    TokenIssued,
    TokenRevoked,
    /// A request refused before it did anything: no or a bad credential, another
    /// organisation's file, a bad name, a body over the limit, a missing CSRF token.
    Refused,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub at: DateTime<Utc>,
    pub event: Event,
    /// The token's id (never the token); empty when the caller had none.
    pub token_id: String,
    /// The organisation acted for, when known.
    pub org_code: String,
    /// The period of the file, for uploads.
    pub period: String,
    pub file_name: String,
    pub sha256: String,
    /// `accepted`, `refused`, `ok`, or the HTTP status and reason of a refusal.
    pub result: String,
    /// The client's address as the service saw it (a proxy's, behind one).
    pub client: String,
}

impl Record {
    pub fn new(event: Event, at: DateTime<Utc>) -> Self {
        Record {
            at,
            event,
            token_id: String::new(),
            org_code: String::new(),
            period: String::new(),
            file_name: String::new(),
            sha256: String::new(),
            result: String::new(),
            client: String::new(),
        }
    }
}

/// Appends `record` to the log.
pub async fn append(vault: &Vault, record: &Record) -> Result<(), ServeError> {
    let key = format!(
        "audit/{}/{}-{}.json",
        record.at.format("%Y-%m-%d"),
        record.at.format("%Y%m%dT%H%M%S%.6fZ"),
        hex(&random_bytes::<6>()?)
    );
    if vault.create(&key, record).await? {
        Ok(())
    } else {
        Err(ServeError::State(format!("audit entry {key} exists")))
    }
}

/// Appends, logging (never failing the request) when the state cannot be written.
pub async fn note(vault: &Vault, record: Record) {
    if let Err(e) = append(vault, &record).await {
        tracing::error!(event = ?record.event, "the audit log could not be written: {e}");
    }
}

/// The log in time order, for one organisation and one period when asked (an event without
/// a period counts for the month it happened in).
pub async fn read(
    vault: &Vault,
    org: Option<&str>,
    period: Option<&str>,
) -> Result<Vec<Record>, ServeError> {
    let mut records: Vec<Record> = vault.all("audit").await?;
    records.retain(|r| {
        let month = r.at.format("%Y-%m").to_string();
        let own_period = if r.period.is_empty() {
            &month
        } else {
            &r.period
        };
        org.is_none_or(|o| r.org_code.eq_ignore_ascii_case(o))
            && period.is_none_or(|p| own_period == p)
    });
    records.sort_by_key(|r| r.at);
    Ok(records)
}
