//! The API for organisations' own tools: `Authorization: Bearer TOKEN`, JSON answers.
//!
//! `PUT /api/v1/files/{file_name}` (the body is the file) answers 201 with the receipt, 200
//! with the same receipt for the same name and bytes again, 400 for a name that is not a
//! submission name for the period being collected, 401 without a valid token, 403 for another
//! organisation's file or an analyst's token, 413 over the size limit (refused while the body
//! streams), 422 with the receipt and its issues when the file has errors.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use chrono::Utc;
use futures::{Stream, StreamExt};
use serde_json::json;

use super::audit::{self, Event};
use super::submit::{self, Outcome, Receipt};
use super::tokens::{self, Role, TokenRecord};
use super::{App, ServeError, preview};
use crate::contract::Organisation;
use crate::ingest::names::{self, FileName};
use crate::period::Period;

/// Every refusal of a credential takes at least this long, so that a wrong, an expired and a
/// revoked token cannot be told apart by timing.
pub const REFUSAL_FLOOR: Duration = Duration::from_millis(40);

/// A request refused, with the status and a message safe to show the caller.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }

    pub fn unauthorised() -> Self {
        Refusal::new(
            StatusCode::UNAUTHORIZED,
            "a valid token is needed: the token given is missing, wrong, expired or revoked",
        )
    }
}

impl From<ServeError> for Refusal {
    fn from(e: ServeError) -> Self {
        tracing::error!("request failed: {:#}", anyhow::Error::new(e));
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the service could not complete the request; nothing was stored, try again shortly",
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// The bearer token of a request, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The token record of a request's bearer token, or a 401 after [`REFUSAL_FLOOR`].
pub async fn authenticate(
    app: &App,
    headers: &HeaderMap,
    started: Instant,
) -> Result<TokenRecord, Refusal> {
    let token = bearer(headers).unwrap_or_default();
    match tokens::verify(&app.vault, token, Utc::now()).await? {
        Some(record) => {
            tokens::touch(&app.vault, &record.id, Utc::now()).await;
            Ok(record)
        }
        None => {
            tokio::time::sleep_until((started + REFUSAL_FLOOR).into()).await;
            Err(Refusal::unauthorised())
        }
    }
}

/// Checks an upload's name for the caller: a submission name, for the period being collected,
/// naming the caller's organisation. Gives the organisation and what the name says.
pub fn check_name(
    app: &App,
    caller: &TokenRecord,
    file_name: &str,
) -> Result<(Organisation, FileName), Refusal> {
    if caller.role != Role::Submitter {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "an analyst's token cannot upload files",
        ));
    }
    let shown = crate::text::echo(file_name, 120);
    let name = (!file_name.contains('/') && names::is_safe_key(file_name))
        .then(|| names::recognise(file_name))
        .flatten()
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "`{shown}` is not a submission name: use {{org_code}}_{{YYYY-MM}}_return.json, .csv or .xlsx, or {{org_code}}_{{YYYY-MM}}_inventory.csv or .parquet"
                ),
            )
        })?;
    let period = app.config.period;
    if name.period != period {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            format!(
                "`{shown}` is named for {}, but this service is collecting {period}: rename it for {period}",
                name.period
            ),
        ));
    }
    match app.config.orgs.get(&name.org_code) {
        Some(org) if org.org_code.eq_ignore_ascii_case(&caller.org_code) => Ok((org.clone(), name)),
        _ => Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "`{shown}` is named for another organisation; this token acts for {}",
                caller.org_code
            ),
        )),
    }
}

/// The file of an upload, read as it streams and refused (413) as soon as it passes `limit`.
pub async fn read_limited<E>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    limit: u64,
) -> Result<Bytes, Refusal> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "the upload was interrupted"))?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

pub fn too_large(limit: u64) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the file is over the limit of {limit} bytes for its kind"),
    )
}

/// The status an upload's receipt is answered with.
pub fn receipt_status(receipt: &Receipt, new: bool) -> StatusCode {
    match (receipt.outcome, new) {
        (Outcome::Refused, _) => StatusCode::UNPROCESSABLE_ENTITY,
        (Outcome::Accepted, true) => StatusCode::CREATED,
        (Outcome::Accepted, false) => StatusCode::OK,
    }
}

/// An audit record of a request.
pub fn record(event: Event, caller: Option<&TokenRecord>, client: SocketAddr) -> audit::Record {
    let mut record = audit::Record::new(event, Utc::now());
    if let Some(caller) = caller {
        record.token_id.clone_from(&caller.id);
        record.org_code.clone_from(&caller.org_code);
    }
    record.client = client.to_string();
    record
}

/// Audits an upload and its outcome.
pub async fn audit_upload(app: &App, caller: &TokenRecord, client: SocketAddr, receipt: &Receipt) {
    let mut entry = record(Event::Upload, Some(caller), client);
    entry.period.clone_from(&receipt.period);
    entry.file_name.clone_from(&receipt.file_name);
    entry.sha256.clone_from(&receipt.sha256);
    entry.result = match receipt.outcome {
        Outcome::Accepted => format!("accepted {}", receipt.receipt_id),
        Outcome::Refused => format!("refused {}", receipt.receipt_id),
    };
    audit::note(&app.vault, entry).await;
}

/// Audits a refused request.
pub async fn audit_refusal(
    app: &App,
    caller: Option<&TokenRecord>,
    client: SocketAddr,
    file_name: &str,
    refusal: &Refusal,
) {
    let mut entry = record(Event::Refused, caller, client);
    entry.file_name = crate::text::echo(file_name, 200);
    entry.result = format!("{} {}", refusal.status.as_u16(), refusal.message);
    audit::note(&app.vault, entry).await;
}

/// `PUT /api/v1/files/{file_name}`.
pub async fn put_file(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(file_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let caller = match authenticate(&app, &headers, started).await {
        Ok(caller) => caller,
        Err(refusal) => {
            audit_refusal(&app, None, client, &file_name, &refusal).await;
            return refusal.into_response();
        }
    };
    match upload(&app, &caller, &file_name, &headers, body).await {
        Ok((receipt, new)) => {
            audit_upload(&app, &caller, client, &receipt).await;
            (receipt_status(&receipt, new), Json(receipt)).into_response()
        }
        Err(refusal) => {
            audit_refusal(&app, Some(&caller), client, &file_name, &refusal).await;
            refusal.into_response()
        }
    }
}

async fn upload(
    app: &App,
    caller: &TokenRecord,
    file_name: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Receipt, bool), Refusal> {
    let (org, name) = check_name(app, caller, file_name)?;
    let limit = app.config.limits.max_bytes(name.kind);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let bytes = read_limited(body.into_data_stream(), limit).await?;
    Ok(submit::submit(app, &org, file_name, bytes, Utc::now()).await?)
}

/// `GET /api/v1/receipts`: the caller's organisation's receipts, newest first (an analyst:
/// the latest 500 of the period being collected, every organisation).
pub async fn list_receipts(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let caller = authenticate(&app, &headers, Instant::now()).await?;
        let receipts = match caller.role {
            Role::Submitter => submit::receipts_of(&app, &caller.org_code).await?,
            Role::Analyst => {
                submit::latest_receipts(&app, &app.config.period.to_string(), 500).await?
            }
        };
        Ok::<_, Refusal>(Json(receipts))
    };
    respond(&app, client, result.await).await
}

/// `GET /api/v1/receipts/{receipt_id}`: one of the caller's organisation's receipts.
pub async fn get_receipt(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(receipt_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let caller = authenticate(&app, &headers, Instant::now()).await?;
        let receipt = own_receipt(&app, &caller.org_code, &receipt_id).await?;
        Ok::<_, Refusal>(Json(receipt))
    };
    respond(&app, client, result.await).await
}

/// A receipt of `org_code`'s; 404 for any other (whether or not it exists).
pub async fn own_receipt(app: &App, org_code: &str, receipt_id: &str) -> Result<Receipt, Refusal> {
    let missing = || Refusal::new(StatusCode::NOT_FOUND, "there is no such receipt");
    if !submit::is_receipt_id(receipt_id) {
        return Err(missing());
    }
    let key = submit::receipt_key(org_code, receipt_id);
    app.vault.get(&key).await?.ok_or_else(missing)
}

/// `GET /api/v1/periods/{period}`: for a submitter, the preview of its period (files, which
/// one the batch will use, outcomes); for an analyst, who has submitted.
pub async fn period_status(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(period): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let caller = authenticate(&app, &headers, Instant::now()).await?;
        let period: Period = period
            .parse()
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "the period is YYYY-MM"))?;
        Ok::<_, Refusal>(match caller.role {
            Role::Submitter => {
                let org = caller_org(&app, &caller)?;
                Json(json!(preview::preview(&app, &org, period).await?))
            }
            Role::Analyst => Json(json!(preview::period_status(&app, period).await?)),
        })
    };
    respond(&app, client, result.await).await
}

/// The reference table's entry for a submitter's organisation.
pub fn caller_org(app: &App, caller: &TokenRecord) -> Result<Organisation, Refusal> {
    app.config
        .orgs
        .get(&caller.org_code)
        .cloned()
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::FORBIDDEN,
                "this token's organisation is not in the reference table",
            )
        })
}

async fn respond<T: IntoResponse>(
    app: &App,
    client: SocketAddr,
    result: Result<T, Refusal>,
) -> Response {
    match result {
        Ok(answer) => answer.into_response(),
        Err(refusal) => {
            if refusal.status == StatusCode::UNAUTHORIZED {
                audit_refusal(app, None, client, "", &refusal).await;
            }
            refusal.into_response()
        }
    }
}
