//! The pages: sign in with a token, upload, read the receipt and the preview, and (for
//! analysts) who has submitted. No JavaScript; every form carries the session's CSRF token;
//! every value a submitter wrote is escaped by the templates (HTML auto-escape, strict
//! undefined), which share the reports' stylesheet.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Instant;

use axum::Form;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use super::api::{self, Refusal};
use super::audit::{self, Event};
use super::preview;
use super::session::{self, Session};
use super::submit::{self, Receipt};
use super::tokens::{self, Role, TokenRecord};
use super::{App, ServeError};
use crate::period::Period;

const TEMPLATES: [(&str, &str); 6] = [
    (
        "layout.html",
        include_str!("../../../reports/service/layout.html"),
    ),
    (
        "sign-in.html",
        include_str!("../../../reports/service/sign-in.html"),
    ),
    (
        "period.html",
        include_str!("../../../reports/service/period.html"),
    ),
    (
        "receipt.html",
        include_str!("../../../reports/service/receipt.html"),
    ),
    (
        "analyst.html",
        include_str!("../../../reports/service/analyst.html"),
    ),
    (
        "message.html",
        include_str!("../../../reports/service/message.html"),
    ),
];

/// The service's own styles, after the reports' stylesheet.
const SERVICE_STYLES: &str = include_str!("../../../reports/service/service.css");

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("the service's templates compile (tested)");
    }
    env.add_global(
        "stylesheet",
        Value::from_safe_string(format!("{}{SERVICE_STYLES}", crate::report::STYLESHEET)),
    );
    env
});

/// Who is looking at a page, for the layout.
#[derive(Debug, Serialize)]
struct Viewer {
    org_code: String,
    role: &'static str,
    csrf: String,
}

fn viewer(app: &App, session: &Session) -> Viewer {
    Viewer {
        org_code: session.org_code.clone(),
        role: session.role.as_str(),
        csrf: session::csrf_token(app, session),
    }
}

/// A page rendered from `template` with `model`, with `status`.
fn page(status: StatusCode, template: &str, model: &impl Serialize) -> Response {
    match PAGES
        .get_template(template)
        .and_then(|t| t.render(minijinja::value::Serde(model)))
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, "a page could not be rendered: {e:#}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response()
        }
    }
}

#[derive(Serialize)]
struct Message<'a> {
    title: &'a str,
    message: &'a str,
    viewer: Option<Viewer>,
}

/// A page that says what went wrong, and nothing else.
fn message(status: StatusCode, title: &str, text: &str, viewer: Option<Viewer>) -> Response {
    page(
        status,
        "message.html",
        &Message {
            title,
            message: text,
            viewer,
        },
    )
}

fn refused(refusal: Refusal, viewer: Option<Viewer>) -> Response {
    let title = match refusal.status {
        StatusCode::PAYLOAD_TOO_LARGE => "The file is too large",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::BAD_REQUEST => "The file cannot be taken",
        _ => "Something went wrong",
    };
    message(refusal.status, title, &refusal.message, viewer)
}

/// The signed-in session, or the answer to give instead (a redirect to the sign-in page).
async fn signed_in(app: &App, headers: &HeaderMap) -> Result<Session, Response> {
    match session::current(app, headers, Utc::now()).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(Redirect::to("/sign-in").into_response()),
        Err(e) => Err(refused(e.into(), None)),
    }
}

/// `GET /`: where a visitor belongs.
pub async fn home(State(app): State<App>, headers: HeaderMap) -> Response {
    match signed_in(&app, &headers).await {
        Ok(session) if session.role == Role::Analyst => Redirect::to("/analyst").into_response(),
        Ok(_) => Redirect::to(&format!("/periods/{}", app.config.period)).into_response(),
        Err(answer) => answer,
    }
}

#[derive(Serialize)]
struct SignIn<'a> {
    error: Option<&'a str>,
    viewer: Option<Viewer>,
}

/// `GET /sign-in`.
pub async fn sign_in_page() -> Response {
    page(
        StatusCode::OK,
        "sign-in.html",
        &SignIn {
            error: None,
            viewer: None,
        },
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    token: String,
}

/// `POST /sign-in`: the token becomes a session cookie.
pub async fn sign_in(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<SignInForm>,
) -> Response {
    let started = Instant::now();
    let now = Utc::now();
    let verified = match tokens::verify(&app.vault, form.token.trim(), now).await {
        Ok(verified) => verified,
        Err(e) => return refused(e.into(), None),
    };
    let Some(token) = verified else {
        tokio::time::sleep_until((started + api::REFUSAL_FLOOR).into()).await;
        api::audit_refusal(&app, None, client, "", &Refusal::unauthorised()).await;
        let error = "The token is not valid: it may be mistyped, expired or revoked. Ask your national contact for a new one.";
        return page(
            StatusCode::UNAUTHORIZED,
            "sign-in.html",
            &SignIn {
                error: Some(error),
                viewer: None,
            },
        );
    };
    match session::start(&app, &token, now).await {
        Ok((_, cookie)) => {
            audit::note(&app.vault, api::record(Event::SignIn, Some(&token), client)).await;
            tokens::touch(&app.vault, &token.id, now).await;
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Err(e) => refused(e.into(), None),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /sign-out`.
pub async fn sign_out(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    if !session::csrf_ok(&app, &session, form.csrf.as_deref()) {
        return csrf_refused(&app, &session, client).await;
    }
    if let Err(e) = session::end(&app, &session).await {
        return refused(e.into(), None);
    }
    let mut entry = api::record(Event::SignOut, None, client);
    entry.token_id.clone_from(&session.token_id);
    entry.org_code.clone_from(&session.org_code);
    audit::note(&app.vault, entry).await;
    (
        [(header::SET_COOKIE, session::clear_cookie(&app))],
        Redirect::to("/sign-in"),
    )
        .into_response()
}

async fn csrf_refused(app: &App, session: &Session, client: SocketAddr) -> Response {
    let refusal = Refusal::new(
        StatusCode::FORBIDDEN,
        "The form has expired or did not come from this service. Go back, reload the page and try again.",
    );
    let caller = as_token(session);
    api::audit_refusal(app, Some(&caller), client, "", &refusal).await;
    refused(refusal, Some(viewer(app, session)))
}

/// The session seen as the token it came from (for the name and upload checks).
fn as_token(session: &Session) -> TokenRecord {
    TokenRecord {
        id: session.token_id.clone(),
        org_code: session.org_code.clone(),
        role: session.role,
        created_at: DateTime::<Utc>::MIN_UTC,
        expires_at: session.expires_at,
        revoked_at: None,
        hash: String::new(),
    }
}

/// `POST /upload`: the form's fields in order, CSRF token first, then the file (refused
/// while it streams when over the limit).
pub async fn upload(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let csrf = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.ok(),
        _ => None,
    };
    if !session::csrf_ok(&app, &session, csrf.as_deref()) {
        return csrf_refused(&app, &session, client).await;
    }
    let caller = as_token(&session);
    let result = upload_file(&app, &caller, &mut form).await;
    match result {
        Ok((receipt, new)) => {
            api::audit_upload(&app, &caller, client, &receipt).await;
            // A refused file is the page's answer, not a failed request: browsers log any
            // 4xx page as an error, so the page says it and the status stays 200.
            let status = match api::receipt_status(&receipt, new) {
                StatusCode::UNPROCESSABLE_ENTITY => StatusCode::OK,
                status => status,
            };
            receipt_view(&app, &session, &receipt, status)
        }
        Err((file_name, refusal)) => {
            api::audit_refusal(&app, Some(&caller), client, &file_name, &refusal).await;
            refused(refusal, Some(viewer(&app, &session)))
        }
    }
}

async fn upload_file(
    app: &App,
    caller: &TokenRecord,
    form: &mut Multipart,
) -> Result<(Receipt, bool), (String, Refusal)> {
    let no_file = || {
        (
            String::new(),
            Refusal::new(StatusCode::BAD_REQUEST, "Choose a file to upload."),
        )
    };
    let field = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some("file") => field,
        _ => return Err(no_file()),
    };
    // Browsers send the base name; some send a path, which is never used.
    let file_name = field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(no_file)?;
    let fail = |refusal: Refusal| (file_name.clone(), refusal);
    let (org, name) = api::check_name(app, caller, &file_name).map_err(fail)?;
    let limit = app.config.limits.max_bytes(name.kind);
    let bytes = api::read_limited(field, limit).await.map_err(fail)?;
    submit::submit(app, &org, &file_name, bytes, Utc::now())
        .await
        .map_err(|e| fail(e.into()))
}

#[derive(Serialize)]
struct ReceiptPage<'a> {
    viewer: Viewer,
    receipt: &'a Receipt,
    errors: usize,
    warnings: usize,
    information: usize,
}

fn receipt_view(app: &App, session: &Session, receipt: &Receipt, status: StatusCode) -> Response {
    page(
        status,
        "receipt.html",
        &ReceiptPage {
            viewer: viewer(app, session),
            receipt,
            errors: receipt.errors(),
            warnings: receipt.count("warning"),
            information: receipt.count("information"),
        },
    )
}

/// `GET /receipts/{receipt_id}`: one of the organisation's receipts, printable.
pub async fn receipt_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(receipt_id): Path<String>,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match api::own_receipt(&app, &session.org_code, &receipt_id).await {
        Ok(receipt) => receipt_view(&app, &session, &receipt, StatusCode::OK),
        Err(refusal) => refused(refusal, Some(viewer(&app, &session))),
    }
}

#[derive(Serialize)]
struct PeriodPage {
    viewer: Viewer,
    org_name: String,
    collecting: bool,
    deadline: String,
    time_left: String,
    receipts: Vec<Receipt>,
    preview: preview::Preview,
    previous: Option<preview::Preview>,
}

/// `GET /periods/{period}`: what counts for the organisation, before the deadline.
pub async fn period_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(period): Path<String>,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(session) if session.role == Role::Analyst => {
            return Redirect::to("/analyst").into_response();
        }
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Ok(period) = period.parse::<Period>() else {
        return not_found().await;
    };
    match period_model(&app, &session, period).await {
        Ok(model) => page(StatusCode::OK, "period.html", &model),
        Err(refusal) => refused(refusal, Some(viewer(&app, &session))),
    }
}

async fn period_model(app: &App, session: &Session, period: Period) -> Result<PeriodPage, Refusal> {
    let org = api::caller_org(app, &as_token(session))?;
    let deadline = period.deadline(app.config.contract.dictionary.due_day);
    let mut receipts = submit::receipts_of(app, &org.org_code).await?;
    receipts.retain(|r| r.period == period.to_string());
    let preview = preview::preview(app, &org, period).await?;
    let previous = preview::preview(app, &org, period.previous()).await.ok();
    Ok(PeriodPage {
        viewer: viewer(app, session),
        org_name: org.org_name.clone(),
        collecting: period == app.config.period,
        deadline: deadline.format("%-d %B %Y, %H:%M UTC").to_string(),
        time_left: time_left(deadline, Utc::now()),
        receipts,
        preview,
        previous,
    })
}

/// "3 days 4 hours left", or that the deadline has passed.
fn time_left(deadline: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = deadline - now;
    if left.num_seconds() <= 0 {
        return "the deadline has passed: a return sent now is late".into();
    }
    let (days, hours) = (left.num_days(), left.num_hours() % 24);
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if days > 0 {
        format!("{} {} left", plural(days, "day"), plural(hours, "hour"))
    } else {
        format!("{} left", plural(left.num_hours().max(0), "hour"))
    }
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

#[derive(Serialize)]
struct AnalystPage {
    viewer: Viewer,
    status: preview::PeriodStatus,
}

/// `GET /analyst`: who has submitted for a period, by region and type, and the latest uploads.
pub async fn analyst_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let shown = viewer(&app, &session);
    if session.role != Role::Analyst {
        let refusal = Refusal::new(StatusCode::FORBIDDEN, "This page is for national analysts.");
        return refused(refusal, Some(shown));
    }
    let period = match query.period.as_deref().map(str::parse::<Period>) {
        None => app.config.period,
        Some(Ok(period)) => period,
        Some(Err(_)) => return not_found().await,
    };
    match preview::period_status(&app, period).await {
        Ok(status) => page(
            StatusCode::OK,
            "analyst.html",
            &AnalystPage {
                viewer: shown,
                status,
            },
        ),
        Err(e) => refused(ServeError::into(e), Some(shown)),
    }
}

/// Any other address.
pub async fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(PAGES.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn time_left_reads_naturally() {
        let deadline = DateTime::parse_from_rfc3339("2026-11-10T23:59:59Z")
            .unwrap()
            .to_utc();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert_eq!(
            time_left(deadline, at("2026-11-08T20:00:00Z")),
            "2 days 3 hours left"
        );
        assert_eq!(
            time_left(deadline, at("2026-11-10T22:00:00Z")),
            "1 hour left"
        );
        assert!(time_left(deadline, at("2026-11-11T00:00:00Z")).contains("passed"));
    }
}
