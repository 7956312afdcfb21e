//! Credentials: `bsl_{id}_{secret}` tokens, printed once when issued. The id (16 hex digits)
//! finds the record; the secret is 256 random bits; only an HMAC of the whole token, keyed by
//! the state's key, is stored. The `bsl_` prefix lets secret scanners recognise a leaked one.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ServeError;
use super::vault::{Vault, hex, is_hex_id, random_bytes, unhex};

pub const PREFIX: &str = "bsl_";
const PURPOSE: &str = "token";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads and reads the returns of one organisation.
    Submitter,
    /// Reads every organisation's status; cannot upload.
    Analyst,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::Analyst => "analyst",
        }
    }
}

/// A stored credential: never the token itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    /// The organisation a submitter acts for (the reference table's spelling); for an analyst,
    /// the body it works for, as given.
    pub org_code: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// HMAC-SHA-256 of the token (hex), keyed by the state's key.
    pub hash: String,
}

impl TokenRecord {
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A token's record with when it was last used, for `tokens list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastUse {
    pub at: DateTime<Utc>,
}

fn record_key(id: &str) -> String {
    format!("tokens/{id}.json")
}

fn use_key(id: &str) -> String {
    format!("tokens/{id}.used")
}

/// Issues a token: stores its record and returns the token, to be shown once.
pub async fn issue(
    vault: &Vault,
    org_code: &str,
    role: Role,
    expires_in: Duration,
    now: DateTime<Utc>,
) -> Result<(String, TokenRecord), ServeError> {
    let id = hex(&random_bytes::<8>()?);
    let token = format!("{PREFIX}{id}_{}", hex(&random_bytes::<32>()?));
    let record = TokenRecord {
        id: id.clone(),
        org_code: org_code.to_string(),
        role,
        created_at: now,
        expires_at: now + expires_in,
        revoked_at: None,
        hash: hex(&vault.mac(PURPOSE, token.as_bytes())),
    };
    if !vault.create(&record_key(&id), &record).await? {
        return Err(ServeError::State(format!("token id {id} is already taken")));
    }
    Ok((token, record))
}

/// The record a token belongs to when it is well formed, matches its stored hash and is
/// neither revoked nor expired; `None` otherwise, whatever the reason (the caller answers
/// every refusal alike). The hash is compared in constant time, against a stand-in when the
/// id is unknown.
pub async fn verify(
    vault: &Vault,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenRecord>, ServeError> {
    let id = parse(token).unwrap_or("0000000000000000");
    let record: Option<TokenRecord> = vault.get(&record_key(id)).await?;
    let stored = record
        .as_ref()
        .and_then(|r| unhex(&r.hash))
        .unwrap_or_else(|| vec![0u8; 32]);
    let matches = vault.verify(PURPOSE, token.as_bytes(), &stored);
    Ok(record.filter(|r| matches && parse(token).is_some() && r.usable_at(now)))
}

/// The id of a well-formed token.
fn parse(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (is_hex_id(id, 16) && is_hex_id(secret, 64)).then_some(id)
}

/// Records that a token was used (best effort: a failure is logged, never refused).
pub async fn touch(vault: &Vault, id: &str, now: DateTime<Utc>) {
    if let Err(e) = vault.put(&use_key(id), &LastUse { at: now }).await {
        tracing::warn!(token = id, "could not record the token's use: {e}");
    }
}

/// Every token, with when it was last used, in order of creation.
pub async fn list(vault: &Vault) -> Result<Vec<(TokenRecord, Option<DateTime<Utc>>)>, ServeError> {
    let mut records: Vec<TokenRecord> = vault.all("tokens").await?;
    records.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let mut listed = Vec::new();
    for record in records {
        let used: Option<LastUse> = vault.get(&use_key(&record.id)).await?;
        listed.push((record, used.map(|u| u.at)));
    }
    Ok(listed)
}

/// Revokes a token by id; `None` when there is no such token.
pub async fn revoke(
    vault: &Vault,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenRecord>, ServeError> {
    if !is_hex_id(id, 16) {
        return Ok(None);
    }
    let Some(mut record): Option<TokenRecord> = vault.get(&record_key(id)).await? else {
        return Ok(None);
    };
    record.revoked_at.get_or_insert(now);
    vault.put(&record_key(id), &record).await?;
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_parse() {
        let id = "0123456789abcdef";
        let secret = "ab".repeat(32);
        assert_eq!(parse(&format!("bsl_{id}_{secret}")), Some(id));
        for bad in [
            format!("bsl_{id}_{}", &secret[1..]),
            format!("bsk_{id}_{secret}"),
            format!("bsl_../../x_{secret}"),
            format!("bsl_{id}{secret}"),
            String::new(),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }
}
