//! Browser sessions: a token entered once on the sign-in page becomes a session, kept in the
//! state (`sessions/{nonce}.json`) and named by a cookie `{nonce}.{mac}` (`HttpOnly`,
//! `SameSite=Strict`, `Secure` over TLS). A cookie whose MAC fails (tampered), whose session
//! was signed out (replayed), which has expired, or whose token was revoked since, is refused.
//! Every form carries a CSRF token: the MAC of the session's nonce for another purpose.

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::tokens::{Role, TokenRecord};
use super::vault::{hex, is_hex_id, random_bytes, unhex};
use super::{App, ServeError};

pub const COOKIE: &str = "baseline_session";
const SESSION: &str = "session";
const CSRF: &str = "csrf";

/// A signed-in browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub nonce: String,
    pub token_id: String,
    pub org_code: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

fn key(nonce: &str) -> String {
    format!("sessions/{nonce}.json")
}

/// Starts a session for a verified token; returns it with the `Set-Cookie` value.
pub async fn start(
    app: &App,
    token: &TokenRecord,
    now: DateTime<Utc>,
) -> Result<(Session, String), ServeError> {
    let hours = i64::try_from(app.config.settings.session_hours.max(1)).unwrap_or(8);
    let session = Session {
        nonce: hex(&random_bytes::<16>()?),
        token_id: token.id.clone(),
        org_code: token.org_code.clone(),
        role: token.role,
        expires_at: (now + Duration::hours(hours)).min(token.expires_at),
    };
    app.vault.create(&key(&session.nonce), &session).await?;
    let mac = hex(&app.vault.mac(SESSION, session.nonce.as_bytes()));
    let seconds = (session.expires_at - now).num_seconds().max(0);
    let cookie = format!(
        "{COOKIE}={}.{mac}; Path=/; HttpOnly; SameSite=Strict; Max-Age={seconds}{}",
        session.nonce,
        if app.secure_cookies() { "; Secure" } else { "" }
    );
    Ok((session, cookie))
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(app: &App) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if app.secure_cookies() { "; Secure" } else { "" }
    )
}

/// The raw value of the session cookie, if the request has one.
pub fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// The session the request's cookie names, when the cookie is genuine and the session and
/// its token are still good.
pub async fn current(
    app: &App,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Option<Session>, ServeError> {
    let Some((nonce, mac)) = cookie_value(headers).and_then(|v| v.split_once('.')) else {
        return Ok(None);
    };
    let genuine = is_hex_id(nonce, 32)
        && unhex(mac).is_some_and(|mac| app.vault.verify(SESSION, nonce.as_bytes(), &mac));
    if !genuine {
        return Ok(None);
    }
    let Some(session): Option<Session> = app.vault.get(&key(nonce)).await? else {
        return Ok(None);
    };
    if session.expires_at <= now {
        return Ok(None);
    }
    let token: Option<TokenRecord> = app
        .vault
        .get(&format!("tokens/{}.json", session.token_id))
        .await?;
    Ok(token.filter(|t| t.usable_at(now)).map(|_| session))
}

/// Ends a session: its cookie is refused from now on, even if replayed.
pub async fn end(app: &App, session: &Session) -> Result<(), ServeError> {
    app.vault.delete(&key(&session.nonce)).await
}

/// The CSRF token of a session's forms.
pub fn csrf_token(app: &App, session: &Session) -> String {
    hex(&app.vault.mac(CSRF, session.nonce.as_bytes()))
}

/// Whether a form's CSRF token is the session's.
pub fn csrf_ok(app: &App, session: &Session, given: Option<&str>) -> bool {
    given
        .and_then(unhex)
        .is_some_and(|mac| app.vault.verify(CSRF, session.nonce.as_bytes(), &mac))
}
