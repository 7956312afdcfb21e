//! The submission service over real HTTP (reqwest against the service on 127.0.0.1:0): every
//! answer of the upload API, every refusal, browser sessions and CSRF, rate limits, and the
//! promise that a file the service accepts is judged the same way by the batch.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baseline::serve::tokens::{self, Role};
use baseline::serve::{App, ServiceConfig, ServiceSettings, Vault};
use baseline::storage::Location;
use baseline::validate::Limits;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

const PERIOD: &str = "2026-10";

/// A service on loopback, with its landing zone and state.
pub struct Service {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
}

fn samples() -> PathBuf {
    workspace().join("data-samples")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples().join("landing").join(PERIOD).join(name)).unwrap()
}

/// Starts the service on 127.0.0.1:0 over `landing` and `state`.
async fn start(
    landing: Location,
    state: Location,
    limits: Limits,
    settings: ServiceSettings,
    reference: &Path,
) -> Service {
    let contract = contract();
    let config = ServiceConfig {
        orgs: orgs(reference, &contract),
        contract,
        standards: workspace().join("schemas/standards"),
        limits,
        period: PERIOD.parse().unwrap(),
        settings,
    };
    let app = App::new(config, landing, Vault::open(state).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(baseline::serve::serve_on(
        listener,
        app.clone(),
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    Service {
        base: format!("http://{address}"),
        app,
        client,
    }
}

/// Generous limits, so that only the test about rate limits meets them.
fn open_settings() -> ServiceSettings {
    ServiceSettings {
        token_per_second: 10_000,
        token_burst: 10_000,
        address_per_second: 10_000,
        address_burst: 10_000,
        ..ServiceSettings::default()
    }
}

async fn local_service(dir: &Path, limits: Limits, settings: ServiceSettings) -> Service {
    let (landing, state) = (dir.join("landing"), dir.join("state"));
    start(
        Location::open(landing.to_str().unwrap(), &[], true).unwrap(),
        Location::open(state.to_str().unwrap(), &[], true).unwrap(),
        limits,
        settings,
        &samples().join("reference/organisations.csv"),
    )
    .await
}

impl Service {
    async fn token(&self, org: &str, role: Role) -> String {
        let days = chrono::Duration::days(30);
        tokens::issue(&self.app.vault, org, role, days, chrono::Utc::now())
            .await
            .unwrap()
            .0
    }

    async fn put(&self, token: Option<&str>, name: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .put(format!("{}/api/v1/files/{name}", self.base))
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Every object of the landing zone: key → bytes.
    async fn landing(&self) -> BTreeMap<String, Vec<u8>> {
        let mut objects = BTreeMap::new();
        for entry in self.app.landing.list().await.unwrap() {
            let bytes = self.app.landing.read(&entry.key).await.unwrap();
            objects.insert(entry.key, bytes.to_vec());
        }
        objects
    }

    async fn audit(&self) -> Vec<baseline::serve::audit::Record> {
        baseline::serve::audit::read(&self.app.vault, None, None)
            .await
            .unwrap()
    }
}

/// A generated landing zone of `organisations` (no planted faults) and its reference table.
fn generated_estate(
    dir: &Path,
    contract: &baseline::contract::Contract,
    seed: u64,
    organisations: usize,
) -> (PathBuf, PathBuf) {
    let plan =
        baseline::generate::Plan::small(seed, organisations, 0.0, PERIOD.parse().unwrap(), 1);
    let generated = dir.join("generated");
    baseline::generate::generate(&plan, &contract.dictionary, &generated).unwrap();
    let reference = generated.join("reference/organisations.csv");
    (generated, reference)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// An upload is answered with its receipt: 201 and stored once under its receipt's key, 200
/// and the same receipt for the same bytes again, 422 with every issue and its fix (and
/// nothing in the landing zone) for a file with errors.
#[test]
fn uploads_get_receipts_and_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = local_service(dir.path(), Limits::default(), open_settings()).await;
        let token = service.token("A10015", Role::Submitter).await;
        let name = "A10015_2026-10_return.json";
        let bytes = sample(name);

        let (status, receipt) = service.put(Some(&token), name, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        assert_eq!(receipt["outcome"], "accepted");
        assert_eq!(receipt["org_code"], "A10015");
        assert_eq!(receipt["period"], PERIOD);
        assert_eq!(receipt["size"], bytes.len());
        assert_eq!(receipt["sha256"], baseline::digest::sha256_hex(&bytes));
        assert_eq!(receipt["edition"], "MCS-2026");
        let id = receipt["receipt_id"].as_str().unwrap();
        let key = format!("{PERIOD}/A10015/{id}/{name}");
        assert_eq!(receipt["landing_key"], key.as_str());
        // Uploaded after the deadline of 10 November: the receipt time makes it late.
        assert!(
            receipt["issues"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["code"] == "late_submission"
                    && i["message"]
                        .as_str()
                        .unwrap()
                        .contains("received by the submission service")),
            "{receipt}"
        );

        let (again, same) = service.put(Some(&token), name, bytes.clone()).await;
        assert_eq!(again, StatusCode::OK);
        assert_eq!(same["receipt_id"], receipt["receipt_id"]);
        let landing = service.landing().await;
        assert_eq!(landing.keys().collect::<Vec<_>>(), vec![&key]);
        assert_eq!(landing[&key], bytes);

        // A return with errors: refused with its issues, kept out of the landing zone.
        let broken = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("\"staff_total\": 60", "\"staff_total\": -60");
        let (status, refused) = service.put(Some(&token), name, broken.into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["outcome"], "refused");
        assert_eq!(refused["landing_key"], Value::Null);
        let issue = refused["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["severity"] == "error")
            .unwrap()
            .clone();
        assert_eq!(issue["measure"], "staff_total");
        assert!(issue["line"].as_u64().is_some(), "{issue}");
        assert!(!issue["fix"].as_str().unwrap().is_empty(), "{issue}");
        assert_eq!(service.landing().await.len(), 1);
        let kept = service
            .app
            .vault
            .get::<Value>(&format!(
                "receipts/A10015/{}.json",
                refused["receipt_id"].as_str().unwrap()
            ))
            .await
            .unwrap();
        assert!(kept.is_some(), "the refused upload's receipt is kept");

        // Another organisation cannot read this one's receipt, even knowing its id.
        let other = service.token("A10030", Role::Submitter).await;
        let receipt_id = receipt["receipt_id"].as_str().unwrap();
        let url = format!("{}/api/v1/receipts/{receipt_id}", service.base);
        let theirs = service
            .client
            .get(&url)
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
        let ours = service
            .client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(ours.status(), StatusCode::OK);

        // The organisation lists and reads its receipts.
        let listed: Value = service
            .client
            .get(format!("{}/api/v1/receipts", service.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 2);

        let audit = service.audit().await;
        let uploads: Vec<_> = audit
            .iter()
            .filter(|r| r.event == baseline::serve::audit::Event::Upload)
            .collect();
        assert_eq!(
            uploads.len(),
            3,
            "every upload is audited, repeats included"
        );
        assert!(uploads.iter().all(|r| r.client.starts_with("127.0.0.1:")));
        assert!(
            audit
                .iter()
                .all(|r| !r.token_id.contains(&token) && !r.result.contains(&token[4..])),
            "the audit log never holds the token"
        );
    });
}

/// Every refusal: no, wrong, expired or revoked token (the same answer, never faster than the
/// floor), an analyst uploading, another organisation's file name or content, names that are
/// not submission names, a body over the limit (refused while it streams).
#[test]
fn refusals_are_answered_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_return_bytes: 64 << 10,
        ..Limits::default()
    };
    runtime().block_on(async {
        let service = local_service(dir.path(), limits, open_settings()).await;
        let token = service.token("A10015", Role::Submitter).await;
        let name = "A10015_2026-10_return.json";
        let bytes = sample(name);

        let expired = tokens::issue(
            &service.app.vault,
            "A10015",
            Role::Submitter,
            chrono::Duration::days(-1),
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .0;
        let revoked = service.token("A10015", Role::Submitter).await;
        let revoked_id = &revoked[4..20];
        tokens::revoke(&service.app.vault, revoked_id, chrono::Utc::now())
            .await
            .unwrap()
            .unwrap();
        let mut wrong = token.clone();
        wrong.replace_range(30..31, if &token[30..31] == "a" { "b" } else { "a" });
        let mut bodies = Vec::new();
        for bad in [
            None,
            Some(wrong.as_str()),
            Some(&expired),
            Some(&revoked),
            Some("bsl_x"),
        ] {
            let started = Instant::now();
            let (status, body) = service.put(bad, name, bytes.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}");
            assert!(started.elapsed() >= baseline::serve::api::REFUSAL_FLOOR);
            bodies.push(body);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");

        let analyst = service.token("NHSE", Role::Analyst).await;
        assert_eq!(
            service.put(Some(&analyst), name, bytes.clone()).await.0,
            StatusCode::FORBIDDEN
        );
        // Another organisation's name, and another organisation's content under our name.
        let theirs = sample("A10030_2026-10_return.csv");
        assert_eq!(
            service
                .put(Some(&token), "A10030_2026-10_return.csv", theirs.clone())
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, receipt) = service
            .put(Some(&token), "A10015_2026-10_return.csv", theirs)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            receipt["issues"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["code"] == "filename_mismatch" && i["severity"] == "error"),
            "{receipt}"
        );
        for bad_name in [
            "..%2F..%2Fetc%2Fpasswd",
            "2026-10%2FA10015_2026-10_return.json",
            "A10015_2026-10_return.json%0A",
            "A10015_2026-10_return.json%1B%5B31m",
            "A10015_2026-09_return.json",
            "notes.txt",
        ] {
            let (status, body) = service.put(Some(&token), bad_name, bytes.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad_name}: {body}");
            assert!(!body["error"].as_str().unwrap().contains('\u{1b}'));
        }

        // Over the limit: refused before the whole body is sent. The service answers 413 and
        // closes the connection with the rest of the body unread, which resets it; under load
        // the reset can reach the client before it has read the answer (no status at all).
        // A few attempts tell that race from a service that never answers 413.
        let mut attempts = Vec::new();
        for _ in 0..3 {
            let (sent, status) = stream_upload(&service, &token, name, 64 << 10, 64 << 20).await;
            assert!(sent < 64 << 20, "the service read {sent} bytes of 64 MiB");
            attempts.push(status);
            if status.is_some() {
                break;
            }
        }
        assert_eq!(
            attempts.last(),
            Some(&Some(StatusCode::PAYLOAD_TOO_LARGE)),
            "{attempts:?}"
        );

        assert!(service.landing().await.is_empty(), "nothing was stored");
        let refusals = service
            .audit()
            .await
            .into_iter()
            .filter(|r| r.event == baseline::serve::audit::Event::Refused)
            .count();
        // 5 credentials, an analyst, another's name, 6 names, one body over the limit.
        let expected = 14;
        assert!(refusals >= expected, "{refusals} refusals audited");
    });
}

/// Streams `total` bytes in 64 KiB chunks without a declared length; returns how many the
/// client had handed over when the answer came, and the answer's status.
async fn stream_upload(
    service: &Service,
    token: &str,
    name: &str,
    _limit: u64,
    total: usize,
) -> (usize, Option<StatusCode>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let chunks = futures::stream::iter((0..total / (64 << 10)).map(move |_| {
        counter.fetch_add(64 << 10, Ordering::SeqCst);
        Ok::<_, std::io::Error>(vec![b' '; 64 << 10])
    }))
    .then(|chunk| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        chunk
    });
    let response = service
        .client
        .put(format!("{}/api/v1/files/{name}", service.base))
        .bearer_auth(token)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    (
        sent.load(Ordering::SeqCst),
        response.ok().map(|r| r.status()),
    )
}

use futures::StreamExt;

/// A `multipart/form-data` body as a browser sends it: (content type, body).
pub fn multipart(fields: &[(&str, Option<&str>, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----baseline-test-7d3f9a";
    let mut body = Vec::new();
    for (name, file_name, bytes) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
        if file_name.is_some() {
            body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A browser's way in: the token once on the sign-in page, then a signed session cookie
/// (HttpOnly, SameSite=Strict); forms without the CSRF token are refused; a tampered cookie,
/// and a cookie replayed after signing out, are not a session.
#[test]
fn browser_sessions_need_their_cookie_and_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = local_service(dir.path(), Limits::default(), open_settings()).await;
        let token = service.token("A10015", Role::Submitter).await;
        let base = &service.base;
        let client = &service.client;

        let home = client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(home.status(), StatusCode::SEE_OTHER);
        assert_eq!(home.headers()["location"], "/sign-in");

        let wrong = client
            .post(format!("{base}/sign-in"))
            .form(&[("token", "bsl_nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(wrong.text().await.unwrap().contains("There is a problem"));

        let signed = client
            .post(format!("{base}/sign-in"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), StatusCode::SEE_OTHER);
        let set_cookie = signed.headers()["set-cookie"].to_str().unwrap().to_string();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let cookie = set_cookie.split(';').next().unwrap().to_string();

        let page = client
            .get(format!("{base}/periods/{PERIOD}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        for header in [
            "content-security-policy",
            "x-content-type-options",
            "cache-control",
        ] {
            assert!(page.headers().contains_key(header), "{header}");
        }
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();

        let name = "A10015_2026-10_return.json";
        let form = |csrf: Option<&str>| {
            let mut fields = Vec::new();
            if let Some(csrf) = csrf {
                fields.push(("csrf", None, csrf.as_bytes().to_vec()));
            }
            fields.push(("file", Some(name), sample(name)));
            multipart(&fields)
        };
        let upload = |cookie: String, (content_type, body): (String, Vec<u8>)| {
            client
                .post(format!("{base}/upload"))
                .header("cookie", cookie)
                .header("content-type", content_type)
                .body(body)
                .send()
        };
        let missing = upload(cookie.clone(), form(None)).await.unwrap();
        assert_eq!(missing.status(), StatusCode::FORBIDDEN);
        let forged = upload(cookie.clone(), form(Some(&"0".repeat(64))))
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert!(service.landing().await.is_empty());

        // What a submitter wrote comes back escaped.
        let hostile = String::from_utf8(sample(name)).unwrap().replace(
            "\"staff_total\": 60",
            "\"<script>alert(1)</script>\": 60, \"staff_total\": 60",
        );
        let fields = [
            ("csrf", None, csrf.as_bytes().to_vec()),
            ("file", Some(name), hostile.into_bytes()),
        ];
        let page = upload(cookie.clone(), multipart(&fields)).await.unwrap();
        let html = page.text().await.unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        let landing_before = service.landing().await.len();

        let accepted = upload(cookie.clone(), form(Some(&csrf))).await.unwrap();
        assert_eq!(accepted.status(), StatusCode::CREATED);
        let receipt = accepted.text().await.unwrap();
        assert!(receipt.contains("File accepted"), "{receipt}");
        assert_eq!(service.landing().await.len(), landing_before + 1);

        // A tampered cookie is no session.
        let mut tampered = cookie.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        let answer = client
            .get(format!("{base}/periods/{PERIOD}"))
            .header("cookie", tampered)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);

        // Signing out ends the session: the same cookie, replayed, is refused.
        let out = client
            .post(format!("{base}/sign-out"))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let replayed = upload(cookie.clone(), form(Some(&csrf))).await.unwrap();
        assert_eq!(replayed.status(), StatusCode::SEE_OTHER);
        assert_eq!(service.landing().await.len(), landing_before + 1);

        let events: Vec<_> = service.audit().await.into_iter().map(|r| r.event).collect();
        use baseline::serve::audit::Event;
        for event in [Event::SignIn, Event::SignOut, Event::Upload, Event::Refused] {
            assert!(events.contains(&event), "{event:?} in {events:?}");
        }
    });
}

/// A burst over the per-token rate limit is answered 429, and the service recovers.
#[test]
fn a_burst_over_the_rate_limit_is_slowed_down() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ServiceSettings {
        token_per_second: 2,
        token_burst: 5,
        ..ServiceSettings::default()
    };
    runtime().block_on(async {
        let service = local_service(dir.path(), Limits::default(), settings).await;
        let token = service.token("A10015", Role::Submitter).await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            let response = service
                .client
                .get(format!("{}/api/v1/receipts", service.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            statuses.push(response.status());
        }
        let limited = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert!(
            statuses[..5].iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
        assert!(limited >= 10, "{statuses:?}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let after = service
            .client
            .get(format!("{}/api/v1/receipts", service.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), StatusCode::OK);
    });
}

/// The case's limits, as `validation_cases.rs` reads them.
fn case_limits(case: &Path) -> Limits {
    let mut limits = Limits::default();
    if let Ok(text) = std::fs::read_to_string(case.join("case.toml")) {
        let table: toml::Table = text.parse().unwrap();
        if let Some(v) = table
            .get("max_return_bytes")
            .and_then(toml::Value::as_integer)
        {
            limits.max_return_bytes = v as u64;
        }
    }
    limits
}

/// One validator: on every validation case folder, each file is uploaded as its organisation
/// would, then the batch runs over what the service stored. Every issue a receipt gave is an
/// issue of the batch for that file, word for word, and the batch rejects no accepted file
/// except for a reason that needs other files (a copy, a conflicting resubmission).
#[test]
fn the_service_and_the_batch_judge_every_case_alike() {
    let cases = workspace().join("pipeline/tests/cases");
    let reference = cases.join("organisations.csv");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("landing").is_dir())
        .collect();
    folders.sort();
    assert!(folders.len() >= 25);
    let mut accepted_total = 0;
    for case in folders {
        let dir = tempfile::tempdir().unwrap();
        let limits = case_limits(&case);
        let receipts = runtime().block_on(async {
            let service = start(
                Location::open(dir.path().join("landing").to_str().unwrap(), &[], true).unwrap(),
                Location::open(dir.path().join("state").to_str().unwrap(), &[], true).unwrap(),
                limits,
                open_settings(),
                &reference,
            )
            .await;
            let mut receipts = Vec::new();
            let landing = case.join("landing");
            for file in files_below(&landing) {
                let name = file.rsplit('/').next().unwrap().to_string();
                let Some(recognised) = baseline::ingest::names::recognise(&name) else {
                    continue;
                };
                let token = service.token(&recognised.org_code, Role::Submitter).await;
                let bytes = std::fs::read(landing.join(&file)).unwrap();
                let (status, receipt) = service.put(Some(&token), &name, bytes).await;
                match status {
                    StatusCode::CREATED | StatusCode::OK => receipts.push(receipt),
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        assert!(
                            receipt["issues"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|i| i["severity"] == "error"),
                            "{}: refused without an error: {receipt}",
                            case.display()
                        );
                    }
                    // Another period, an organisation outside the reference table, a file
                    // over the size limit (the batch rejects it too: `file_too_large`).
                    StatusCode::BAD_REQUEST
                    | StatusCode::FORBIDDEN
                    | StatusCode::PAYLOAD_TOO_LARGE => {}
                    other => panic!("{}: {name}: {other}", case.display()),
                }
            }
            receipts
        });
        if receipts.is_empty() {
            // Nothing accepted, nothing for the batch to judge.
            continue;
        }
        let contract = contract();
        let out = tempfile::tempdir().unwrap();
        let run = run_batch(
            local(&dir.path().join("landing")),
            local(out.path()),
            Some(PERIOD),
            orgs(&reference, &contract),
            limits,
        );
        for receipt in &receipts {
            accepted_total += 1;
            let key = receipt["landing_key"].as_str().unwrap();
            let batch: Vec<(String, Option<u64>, String, String)> = run
                .validated
                .issues
                .iter()
                .filter(|i| i.file == key)
                .map(|i| {
                    (
                        i.code.as_str().to_string(),
                        i.line,
                        i.measure.clone(),
                        i.message.clone(),
                    )
                })
                .collect();
            let used = run.validated.files.iter().any(|f| {
                f.file == key && f.disposition == baseline::validate::Disposition::Accepted
            });
            for issue in receipt["issues"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|_| used)
            {
                let seen = (
                    issue["code"].as_str().unwrap().to_string(),
                    issue["line"].as_u64(),
                    issue["measure"].as_str().unwrap().to_string(),
                    issue["message"].as_str().unwrap().to_string(),
                );
                assert!(
                    batch.contains(&seen),
                    "{}: the receipt said {seen:?}; the batch said {batch:?}",
                    case.display()
                );
            }
            let record = run.validated.files.iter().find(|f| f.file == key).unwrap();
            // A file the batch does not use (replaced by a later one, a copy) is not judged
            // any further by it.
            if record.disposition != baseline::validate::Disposition::Accepted {
                assert!(
                    !batch.is_empty(),
                    "{}: the batch did not use {key} and did not say why",
                    case.display()
                );
            }
            if record.disposition == baseline::validate::Disposition::Rejected {
                assert!(
                    batch
                        .iter()
                        .any(|(code, ..)| code == "conflicting_resubmission"
                            || code == "duplicate_file"),
                    "{}: the batch rejected {key}, which the service accepted: {batch:?}",
                    case.display()
                );
            }
        }
    }
    assert!(
        accepted_total >= 20,
        "{accepted_total} files accepted in all"
    );
}

/// 200 organisations upload at once: every accepted file is in the landing zone exactly once,
/// every upload has its receipt and audit record, and the batch over what the service stored
/// gives the same outcomes, gaps and statuses as over the same files placed there directly
/// (apart from lateness, which the service's receipt time decides).
#[test]
fn two_hundred_organisations_upload_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let contract = contract();
    let (generated, reference) = generated_estate(dir.path(), &contract, 23, 230);
    // The files of the first 200 organisations that sent any, copied to a landing zone of
    // their own for the direct run.
    let mut senders = std::collections::BTreeSet::new();
    let files: Vec<String> = files_below(&generated.join("landing"))
        .into_iter()
        .filter(|file| {
            let name = file.rsplit('/').next().unwrap();
            let org = baseline::ingest::names::recognise(name).unwrap().org_code;
            senders.contains(&org) || (senders.len() < 200 && senders.insert(org))
        })
        .collect();
    let direct_landing = dir.path().join("direct-landing");
    for file in &files {
        let to = direct_landing.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(generated.join("landing").join(file), to).unwrap();
    }
    let service_dir = dir.path().join("service");
    let (uploads, accepted) = runtime().block_on(async {
        let service = std::sync::Arc::new(
            start(
                Location::open(service_dir.join("landing").to_str().unwrap(), &[], true).unwrap(),
                Location::open(service_dir.join("state").to_str().unwrap(), &[], true).unwrap(),
                Limits::default(),
                open_settings(),
                &reference,
            )
            .await,
        );
        let mut by_org: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in &files {
            let name = file.rsplit('/').next().unwrap();
            let org = baseline::ingest::names::recognise(name).unwrap().org_code;
            by_org.entry(org).or_default().push(file.clone());
        }
        assert_eq!(by_org.len(), 200);
        let mut tasks = Vec::new();
        for (org, org_files) in by_org {
            let service = service.clone();
            let root = generated.join("landing");
            tasks.push(tokio::spawn(async move {
                let token = service.token(&org, Role::Submitter).await;
                let mut receipts = Vec::new();
                for file in org_files {
                    let name = file.rsplit('/').next().unwrap().to_string();
                    let (status, receipt) = service
                        .put(
                            Some(&token),
                            &name,
                            std::fs::read(root.join(&file)).unwrap(),
                        )
                        .await;
                    assert!(
                        status == StatusCode::CREATED || status == StatusCode::UNPROCESSABLE_ENTITY,
                        "{name}: {status} {receipt}"
                    );
                    receipts.push(receipt);
                }
                receipts
            }));
        }
        let mut receipts = Vec::new();
        for task in tasks {
            receipts.extend(task.await.unwrap());
        }
        let accepted: Vec<&Value> = receipts
            .iter()
            .filter(|r| r["outcome"] == "accepted")
            .collect();
        let landing = service.landing().await;
        assert_eq!(landing.len(), accepted.len(), "each accepted file once");
        for receipt in &accepted {
            let key = receipt["landing_key"].as_str().unwrap();
            assert_eq!(
                baseline::digest::sha256_hex(&landing[key]),
                receipt["sha256"].as_str().unwrap()
            );
        }
        let stored: Vec<Value> = service.app.vault.all("receipts").await.unwrap();
        assert_eq!(stored.len(), receipts.len(), "a receipt for every upload");
        let audited = service
            .audit()
            .await
            .into_iter()
            .filter(|r| r.event == baseline::serve::audit::Event::Upload)
            .count();
        assert_eq!(audited, receipts.len(), "an audit record for every upload");
        (receipts.len(), accepted.len())
    });
    assert_eq!(uploads, files.len());
    assert!(
        accepted * 10 >= uploads * 9,
        "{accepted} of {uploads} accepted"
    );

    let run = |landing: &Path, out: &Path| {
        run_batch(
            local(landing),
            local(out),
            Some(PERIOD),
            orgs(&reference, &contract),
            Limits::default(),
        );
        out.join(PERIOD).join("tables")
    };
    let (direct_out, served_out) = (dir.path().join("direct"), dir.path().join("served"));
    let direct = run(&direct_landing, &direct_out);
    let served = run(&service_dir.join("landing"), &served_out);
    for table in ["outcomes.csv", "gaps.csv"] {
        assert_eq!(
            std::fs::read_to_string(direct.join(table)).unwrap(),
            std::fs::read_to_string(served.join(table)).unwrap(),
            "{table}"
        );
    }
    let without_late = |path: PathBuf| {
        let rows = read_csv(&std::fs::read(path).unwrap());
        let late = rows[0].iter().position(|c| c == "late").unwrap();
        rows.into_iter()
            .map(|mut r| {
                r.remove(late);
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_late(direct.join("org_status.csv")),
        without_late(served.join("org_status.csv"))
    );
}

/// The same service with its landing zone and state on Azure Blob Storage (Azurite, started
/// by `ci/test`): receipts, create-only storage, the same bytes again, a refusal, and a batch
/// run over what it stored.
#[test]
#[ignore = "needs Azurite: run ci/test"]
fn the_service_keeps_its_landing_zone_and_state_in_object_storage() {
    let container = std::env::var("BASELINE_TEST_AZURE_CONTAINER")
        .expect("run through ci/test, which starts Azurite");
    let options = vec![("azure_storage_use_emulator".to_string(), "true".to_string())];
    let prefix = format!("az://{container}/serve-{}", std::process::id());
    let landing = Location::open(&format!("{prefix}/landing"), &options, false).unwrap();
    let state = Location::open(&format!("{prefix}/state"), &options, false).unwrap();
    let reference = samples().join("reference/organisations.csv");
    let name = "A10015_2026-10_return.json";
    let bytes = sample(name);
    let key = runtime().block_on(async {
        let service = start(
            landing.clone(),
            state.clone(),
            Limits::default(),
            open_settings(),
            &reference,
        )
        .await;
        let token = service.token("A10015", Role::Submitter).await;
        let (status, receipt) = service.put(Some(&token), name, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let (again, same) = service.put(Some(&token), name, bytes.clone()).await;
        assert_eq!(again, StatusCode::OK);
        assert_eq!(same["receipt_id"], receipt["receipt_id"]);
        let (refused, _) = service.put(Some(&token), name, b"{".to_vec()).await;
        assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
        let objects = service.landing().await;
        assert_eq!(objects.len(), 1);
        let key = receipt["landing_key"].as_str().unwrap().to_string();
        assert_eq!(objects[&key], bytes);
        // A second instance over the same state knows the same token and receipts.
        let second = start(
            landing.clone(),
            state.clone(),
            Limits::default(),
            open_settings(),
            &reference,
        )
        .await;
        let (status, again) = second.put(Some(&token), name, bytes.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["receipt_id"], receipt["receipt_id"]);
        key
    });
    let contract = contract();
    let out = tempfile::tempdir().unwrap();
    let run = run_batch(
        landing,
        local(out.path()),
        Some(PERIOD),
        orgs(&reference, &contract),
        Limits::default(),
    );
    let record = run.validated.files.iter().find(|f| f.file == key).unwrap();
    assert_eq!(
        record.disposition,
        baseline::validate::Disposition::Accepted
    );
}

/// An organisation in a real browser (headless Chromium, as the report tests use): signs in,
/// uploads a return with an error, reads the issue and its fix, uploads the corrected file and
/// sees the receipt and the preview; no console error, no script, no request elsewhere.
#[test]
#[ignore = "needs Chromium and playwright-core; run by ci/test"]
fn an_organisation_goes_from_sign_in_to_receipt_in_a_browser() {
    let node_path =
        std::env::var("BASELINE_NODE_PATH").expect("BASELINE_NODE_PATH (set by ci/test)");
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let service = runtime.block_on(local_service(
        dir.path(),
        Limits::default(),
        open_settings(),
    ));
    let token = runtime.block_on(service.token("A10015", Role::Submitter));
    let name = "A10015_2026-10_return.json";
    let good = dir.path().join("good").join(name);
    let bad = dir.path().join("bad").join(name);
    for path in [&good, &bad] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    }
    std::fs::write(&good, sample(name)).unwrap();
    let broken = String::from_utf8(sample(name))
        .unwrap()
        .replace("\"staff_total\": 60", "\"staff_total\": -60");
    std::fs::write(&bad, broken).unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("service-screenshots");
    let output = std::process::Command::new("node")
        .arg(workspace().join("ci/service-check.js"))
        .args([&service.base, &token])
        .args([&bad, &good, &shots])
        .env("NODE_PATH", node_path)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in ["console_errors", "page_errors", "requests"] {
        assert_eq!(result[key].as_array().unwrap().len(), 0, "{key}: {result}");
    }
    assert!(
        result["scripts"].as_array().unwrap().iter().all(|n| n == 0),
        "{result}"
    );
    let steps = &result["steps"];
    assert!(steps["start"].as_str().unwrap().ends_with("/sign-in"));
    assert!(
        steps["signed_in"]
            .as_str()
            .unwrap()
            .ends_with("/periods/2026-10")
    );
    let refused = &steps["refused"];
    assert!(
        refused["summary"]
            .as_str()
            .unwrap()
            .contains("not accepted"),
        "{refused}"
    );
    assert!(
        refused["summary"].as_str().unwrap().contains("staff_total"),
        "{refused}"
    );
    assert!(
        refused["fix"]
            .as_str()
            .unwrap()
            .contains("cannot be negative"),
        "the fix of the error is shown: {refused}"
    );
    assert_eq!(steps["accepted"]["heading"], "File accepted");
    assert!(
        steps["accepted"]["receipt"]
            .as_str()
            .unwrap()
            .contains(&baseline::digest::sha256_hex(&sample(name)))
    );
    let preview = &steps["preview"];
    assert_ne!(preview["status"], "not submitted", "{preview}");
    assert!(
        preview["files"].as_str().unwrap().contains("accepted"),
        "{preview}"
    );
    assert!(preview["standards"].as_u64().unwrap() >= 10, "{preview}");
    let landing = runtime.block_on(service.landing());
    assert_eq!(landing.len(), 1, "only the corrected file was stored");
}

/// The service as its own process (`baseline serve`), listening on an ephemeral port.
struct Process {
    child: std::process::Child,
    base: String,
}

fn spawn_service(dir: &Path, reference: &Path) -> Process {
    spawn_service_with(dir, reference, &[])
}

fn spawn_service_with(dir: &Path, reference: &Path, extra: &[&str]) -> Process {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(workspace())
        .args(extra)
        .args(["serve", "--listen", "127.0.0.1:0", "--period", PERIOD])
        .arg("--state")
        .arg(dir.join("state"))
        .arg("--input")
        .arg(dir.join("landing"))
        .arg("--reference")
        .arg(reference)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .find(|l| l.contains("://"))
        .expect("the service says where it listens");
    let start = line.find("http").unwrap();
    let base = line[start..].trim_end_matches('/').to_string();
    Process { child, base }
}

fn cli_token(dir: &Path, reference: &Path, org: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(workspace())
        .args(["tokens", "issue", "--org", org, "--state"])
        .arg(dir.join("state"))
        .arg("--reference")
        .arg(reference)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// The service killed (SIGKILL) in the middle of uploads leaves no partial object the batch
/// would read and no receipt for a file that was not stored; uploading the same files again
/// after a restart completes what was interrupted, each file stored once.
#[test]
fn a_service_killed_mid_upload_loses_nothing_and_stores_nothing_half() {
    let dir = tempfile::tempdir().unwrap();
    let contract = contract();
    let (generated, reference) = generated_estate(dir.path(), &contract, 5, 60);
    let mut uploads: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut tokens_by_org = BTreeMap::new();
    for file in files_below(&generated.join("landing")) {
        let name = file.rsplit('/').next().unwrap().to_string();
        let org = baseline::ingest::names::recognise(&name).unwrap().org_code;
        let token = tokens_by_org
            .entry(org.clone())
            .or_insert_with(|| cli_token(dir.path(), &reference, &org))
            .clone();
        uploads.push((
            token,
            name,
            std::fs::read(generated.join("landing").join(&file)).unwrap(),
        ));
    }
    let shas: std::collections::BTreeSet<String> = uploads
        .iter()
        .map(|(_, _, b)| baseline::digest::sha256_hex(b))
        .collect();
    let send_all = |base: String, uploads: Vec<(String, String, Vec<u8>)>, stop_after: usize| {
        runtime().block_on(async move {
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let (done, mut receive) = tokio::sync::mpsc::unbounded_channel();
            for (token, name, bytes) in uploads {
                let (client, base, done) = (client.clone(), base.clone(), done.clone());
                tokio::spawn(async move {
                    let status = client
                        .put(format!("{base}/api/v1/files/{name}"))
                        .bearer_auth(token)
                        .body(bytes)
                        .send()
                        .await
                        .map(|r| r.status());
                    let _ = done.send(status);
                });
            }
            drop(done);
            let mut answered = Vec::new();
            while let Some(status) = receive.recv().await {
                answered.push(status);
                if answered.len() == stop_after {
                    break;
                }
            }
            answered
        })
    };

    let mut first = spawn_service(dir.path(), &reference);
    let total = uploads.len();
    let answered = send_all(first.base.clone(), uploads.clone(), total / 4);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert_eq!(answered.len(), total / 4);

    let check = |landing_dir: &Path| {
        let landing = local(landing_dir);
        let state = local(&dir.path().join("state"));
        runtime().block_on(async {
            let objects = landing.list().await.unwrap();
            for entry in &objects {
                let name = entry.key.rsplit('/').next().unwrap();
                if baseline::ingest::names::recognise(name).is_some() {
                    let bytes = landing.read(&entry.key).await.unwrap();
                    assert!(
                        shas.contains(&baseline::digest::sha256_hex(&bytes)),
                        "{} is not a whole uploaded file",
                        entry.key
                    );
                }
            }
            let receipts: Vec<Value> = Vault::open(state)
                .await
                .unwrap()
                .all("receipts")
                .await
                .unwrap();
            for receipt in &receipts {
                if receipt["outcome"] == "accepted" {
                    let key = receipt["landing_key"].as_str().unwrap();
                    let bytes = landing
                        .read(key)
                        .await
                        .expect("a receipt names a stored file");
                    assert_eq!(baseline::digest::sha256_hex(&bytes), receipt["sha256"]);
                }
            }
            (objects, receipts)
        })
    };
    let (_, receipts_before) = check(&dir.path().join("landing"));
    assert!(
        receipts_before.len() >= total / 4,
        "{} receipts",
        receipts_before.len()
    );

    let mut second = spawn_service(dir.path(), &reference);
    let answered = send_all(second.base.clone(), uploads.clone(), total);
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    assert!(
        answered.iter().all(
            |s| matches!(s, Ok(s) if s.is_success() || *s == StatusCode::UNPROCESSABLE_ENTITY)
        ),
        "{answered:?}"
    );
    let (objects, receipts) = check(&dir.path().join("landing"));
    let accepted = receipts
        .iter()
        .filter(|r| r["outcome"] == "accepted")
        .count();
    let stored = objects
        .iter()
        .filter(|e| baseline::ingest::names::recognise(e.key.rsplit('/').next().unwrap()).is_some())
        .count();
    assert_eq!(receipts.len(), total, "one receipt per file, none twice");
    assert_eq!(stored, accepted, "each accepted file stored once");
}

fn baseline_cli(args: &[&str], state: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .current_dir(workspace())
        .args(args)
        .arg("--state")
        .arg(state)
        .output()
        .unwrap()
}

/// `baseline tokens issue|list|revoke` and `baseline audit`: a token is printed once and never
/// listed; a submitter's organisation must be in the reference table; revoking takes effect at
/// once; the audit log names both changes.
#[test]
fn tokens_are_issued_listed_revoked_and_audited_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let issued = baseline_cli(&["tokens", "issue", "--org", "a10015"], &state);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_string();
    assert!(
        token.starts_with("bsl_") && token.len() == 4 + 16 + 1 + 64,
        "{token}"
    );
    let id = &token[4..20];

    let unknown = baseline_cli(&["tokens", "issue", "--org", "ZZZ999"], &state);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not in the reference table"));

    let listed = String::from_utf8(baseline_cli(&["tokens", "list"], &state).stdout).unwrap();
    assert!(listed.contains(id) && listed.contains("A10015"), "{listed}");
    assert!(!listed.contains(&token[21..]), "the secret is never listed");
    let stored = std::fs::read_to_string(state.join(format!("tokens/{id}.json"))).unwrap();
    assert!(
        !stored.contains(&token[21..]),
        "only a keyed hash is stored"
    );

    let revoked = baseline_cli(&["tokens", "revoke", id], &state);
    assert!(revoked.status.success());
    let vault = runtime().block_on(Vault::open(local(&state))).unwrap();
    let verified = runtime()
        .block_on(tokens::verify(&vault, &token, chrono::Utc::now()))
        .unwrap();
    assert!(verified.is_none(), "a revoked token no longer verifies");
    assert_eq!(
        baseline_cli(&["tokens", "revoke", "../../x"], &state)
            .status
            .code(),
        Some(2)
    );

    let audit = baseline_cli(&["audit", "--org", "A10015"], &state);
    let text = String::from_utf8(audit.stdout).unwrap();
    assert!(
        text.contains("token_issued") && text.contains("token_revoked"),
        "{text}"
    );
    assert!(!text.contains(&token[21..]));
}

/// Served directly over TLS (a certificate and key in `[service]`): uploads work over HTTPS
/// and the session cookie is marked `Secure`.
#[test]
fn the_service_serves_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl makes a test certificate");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let config = dir.path().join("baseline.toml");
    std::fs::write(
        &config,
        format!(
            "[service]\ntls_certificate = {:?}\ntls_key = {:?}\n",
            cert.to_str().unwrap(),
            key.to_str().unwrap()
        ),
    )
    .unwrap();
    let reference = samples().join("reference/organisations.csv");
    let token = cli_token(dir.path(), &reference, "A10015");
    let mut service = spawn_service_with(
        dir.path(),
        &reference,
        &["--config", config.to_str().unwrap()],
    );
    assert!(
        service.base.starts_with("https://127.0.0.1:"),
        "{}",
        service.base
    );
    let name = "A10015_2026-10_return.json";
    let (status, cookie) = runtime().block_on(async {
        let client = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap(),
            )
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let status = client
            .put(format!("{}/api/v1/files/{name}", service.base))
            .bearer_auth(&token)
            .body(sample(name))
            .send()
            .await
            .unwrap()
            .status();
        let signed = client
            .post(format!("{}/sign-in", service.base))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_string();
        (status, cookie)
    });
    service.child.kill().unwrap();
    service.child.wait().unwrap();
    assert_eq!(status, StatusCode::CREATED);
    assert!(cookie.contains("; Secure"), "{cookie}");
}
