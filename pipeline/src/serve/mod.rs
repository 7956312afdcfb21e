//! `baseline serve`: the submission service, the front door through which organisations send
//! their returns. It adds no rule of its own: every upload is checked by
//! [`crate::validate::check_file`], stored where the batch reads ([`submit`]), and previewed by
//! the batch's own validation and assessment ([`preview`]). It adds identity ([`tokens`],
//! [`session`]), receipts, an audit log ([`audit`]) and the pages and API ([`web`], [`api`]),
//! with its state in one location ([`vault`]).

pub mod api;
pub mod audit;
mod guard;
pub mod preview;
pub mod session;
pub mod submit;
pub mod tokens;
pub mod vault;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::serve::ListenerExt;

use crate::assess::{Catalogue, CatalogueError};
use crate::contract::{Contract, Organisations};
use crate::period::Period;
use crate::storage::{Location, StorageError};
use crate::validate::{Limits, PARSER_STACK};

pub use vault::Vault;

/// Why the service could not do something: never shown to a caller beyond "the service could
/// not complete the request" (the log has the detail).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the service's state: {0}")]
    State(String),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("the service could not start: {0}")]
    Start(String),
}

/// `[service]` in `baseline.toml`: how the service runs. Flags override `listen`, `state`
/// and `period`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSettings {
    /// Where to listen [default: 127.0.0.1:8080].
    pub listen: SocketAddr,
    /// The state location (credentials, receipts, audit, refused files).
    pub state: Option<String>,
    /// The period being collected [default: the month before the server's clock].
    pub period: Option<Period>,
    /// How long a browser session lasts.
    pub session_hours: u64,
    /// How long a request may take, body included, before it is answered 408.
    pub request_timeout_seconds: u64,
    /// Requests per second allowed to one token (or, without one, one client address), and
    /// the burst above that rate.
    pub token_per_second: u32,
    pub token_burst: u32,
    /// Requests per second allowed to one client address, and the burst. Behind a proxy every
    /// client has the proxy's address: raise this there.
    pub address_per_second: u32,
    pub address_burst: u32,
    /// A PEM certificate chain and key, to serve HTTPS directly rather than behind a proxy.
    pub tls_certificate: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Mark session cookies `Secure` (always so when serving HTTPS directly; set it when a
    /// proxy in front terminates TLS).
    pub secure_cookies: bool,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            state: None,
            period: None,
            session_hours: 8,
            request_timeout_seconds: 120,
            token_per_second: 5,
            token_burst: 30,
            address_per_second: 20,
            address_burst: 200,
            tls_certificate: None,
            tls_key: None,
            secure_cookies: false,
        }
    }
}

/// Everything the service is configured with.
#[derive(Debug)]
pub struct ServiceConfig {
    pub contract: Contract,
    pub orgs: Organisations,
    /// A standards catalogue file or a folder of editions.
    pub standards: PathBuf,
    pub limits: Limits,
    /// The period being collected: uploads named for another are refused.
    pub period: Period,
    pub settings: ServiceSettings,
}

/// The service's shared state: configuration, the landing zone and the vault.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Arc<ServiceConfig>,
    pub landing: Location,
    pub vault: Vault,
    catalogues: Arc<Mutex<HashMap<Period, Arc<Catalogue>>>>,
}

impl App {
    pub fn new(config: ServiceConfig, landing: Location, vault: Vault) -> App {
        App {
            config: Arc::new(config),
            landing,
            vault,
            catalogues: Arc::default(),
        }
    }

    /// The standards in force for `period`, loaded once.
    pub fn catalogue(&self, period: Period) -> Result<Arc<Catalogue>, ServeError> {
        let mut cache = self
            .catalogues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(catalogue) = cache.get(&period) {
            return Ok(catalogue.clone());
        }
        let config = &self.config;
        let catalogue = Arc::new(crate::run::catalogue_for(
            &config.standards,
            &config.contract,
            period,
        )?);
        cache.insert(period, catalogue.clone());
        Ok(catalogue)
    }

    /// The id of the standards edition in force for `period` (empty when none is).
    pub fn edition(&self, period: Period) -> String {
        self.catalogue(period)
            .map(|c| c.id.clone())
            .unwrap_or_default()
    }

    /// Whether session cookies are marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        let settings = &self.config.settings;
        settings.secure_cookies || settings.tls_certificate.is_some()
    }
}

/// The whole service: pages, API and the layers every request passes through.
pub fn router(app: App) -> Router {
    let settings = app.config.settings.clone();
    let limits = app.config.limits;
    let routes = Router::new()
        .route("/", get(web::home))
        .route("/sign-in", get(web::sign_in_page).post(web::sign_in))
        .route("/sign-out", post(web::sign_out))
        .route("/upload", post(web::upload))
        .route("/receipts/{receipt_id}", get(web::receipt_page))
        .route("/periods/{period}", get(web::period_page))
        .route("/analyst", get(web::analyst_page))
        .route("/health", get(|| async { "ok" }))
        .route("/api/v1/files/{file_name}", put(api::put_file))
        .route("/api/v1/receipts", get(api::list_receipts))
        .route("/api/v1/receipts/{receipt_id}", get(api::get_receipt))
        .route("/api/v1/periods/{period}", get(api::period_status))
        .fallback(web::not_found)
        .with_state(app);
    // The form's multipart body may hold the largest file plus its fields.
    let form_limit = limits.max_inventory_bytes.max(limits.max_return_bytes) + (64 << 10);
    guard::layers(
        routes.layer(DefaultBodyLimit::max(
            usize::try_from(form_limit).unwrap_or(usize::MAX),
        )),
        &settings,
    )
}

/// Runs the service until Ctrl-C (or SIGTERM): binds, prints where it listens, serves.
pub async fn serve(app: App) -> Result<(), ServeError> {
    let settings = app.config.settings.clone();
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| ServeError::Start(format!("cannot listen on {}: {e}", settings.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| ServeError::Start(e.to_string()))?;
    match (&settings.tls_certificate, &settings.tls_key) {
        (Some(certificate), Some(key)) => {
            // Tapped so that connections carry the client's address, as plain TCP ones do.
            let tls = guard::TlsListener::new(listener, certificate, key)?.tap_io(|_| ());
            println!("Baseline submission service on https://{address}/");
            axum::serve(
                tls,
                router(app).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| ServeError::Start(e.to_string()))
        }
        (None, None) => {
            println!("Baseline submission service on http://{address}/");
            serve_on(listener, app, shutdown()).await
        }
        _ => Err(ServeError::Start(
            "give both tls_certificate and tls_key, or neither".into(),
        )),
    }
}

/// Serves plain HTTP on a bound `listener` until `until` completes (what `serve` does without
/// TLS; tests and the benchmark call it on a loopback port of their own).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: App,
    until: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(until)
    .await
    .map_err(|e| ServeError::Start(e.to_string()))
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminate = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = interrupt => {},
            () = terminate => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Runs `work` (parsing submitted files, which may recurse deeply) on a thread with the
/// parsers' stack, off the async workers.
pub async fn on_parser_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServeError> {
    let (send, receive) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .stack_size(PARSER_STACK)
        .spawn(move || {
            let _ = send.send(work());
        })
        .map_err(|e| ServeError::State(format!("no thread to check the file on: {e}")))?;
    receive
        .await
        .map_err(|_| ServeError::State("the check of a file stopped unexpectedly".into()))
}

/// A request timeout.
fn timeout(settings: &ServiceSettings) -> Duration {
    Duration::from_secs(settings.request_timeout_seconds.max(1))
}
