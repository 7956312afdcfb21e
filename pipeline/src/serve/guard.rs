//! What every request passes through: a timeout, rate limits per token and per client address
//! (tower_governor), and the security headers; and the HTTPS listener for serving TLS
//! directly.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tower_governor::GovernorLayer;
use tower_governor::errors::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use super::{ServeError, ServiceSettings, timeout};

/// As strict as the reports': nothing but the page's own inline styles and data images; forms
/// post only to the service; no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds a rate limit of `per_second` requests (at least 1) with a burst of `burst`, keyed by
/// `key`; idle keys are forgotten every minute so the table cannot grow without bound. (A
/// macro, because the limiter's types name a crate the service does not depend on directly.)
macro_rules! rate_limited {
    ($routes:expr, $key:expr, $per_second:expr, $burst:expr) => {{
        let period = Duration::from_nanos(1_000_000_000 / u64::from($per_second.max(1)));
        let config = GovernorConfigBuilder::default()
            .period(period)
            .burst_size($burst.max(1))
            .key_extractor($key)
            .finish()
            .expect("a period and a burst above zero");
        let limiter = config.limiter().clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.retain_recent();
            }
        });
        $routes.layer(GovernorLayer::new(config))
    }};
}

/// Wraps `routes` in the layers, outermost first: rate limits (cheapest refusal), timeout,
/// headers.
pub fn layers(routes: Router, settings: &ServiceSettings) -> Router {
    let headers: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        // Every page and answer is about one organisation or one caller.
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut routes = routes;
    for (name, value) in headers {
        routes = routes.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    let routes = routes.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        timeout(settings),
    ));
    let routes = rate_limited!(
        routes,
        CallerKey,
        settings.token_per_second,
        settings.token_burst
    );
    rate_limited!(
        routes,
        AddressKey,
        settings.address_per_second,
        settings.address_burst
    )
}

/// The client's address, as the connection gives it.
fn peer<T>(request: &Request<T>) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

/// Limits per client address.
#[derive(Debug, Clone, Copy)]
struct AddressKey;

impl KeyExtractor for AddressKey {
    type Key = std::net::IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<Self::Key, GovernorError> {
        peer(request)
            .map(|p| p.ip())
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// Limits per credential: the token id of a bearer token, the session of a browser, else the
/// client address. A made-up token id still counts against its own key, and the address limit
/// bounds how many of those one client can try.
#[derive(Debug, Clone, Copy)]
struct CallerKey;

impl KeyExtractor for CallerKey {
    type Key = String;

    fn extract<T>(&self, request: &Request<T>) -> Result<Self::Key, GovernorError> {
        let headers = request.headers();
        if let Some(token) = super::api::bearer(headers) {
            return Ok(format!("token:{}", token.get(..20).unwrap_or(token)));
        }
        if let Some(cookie) = super::session::cookie_value(headers) {
            return Ok(format!("session:{}", cookie.get(..32).unwrap_or(cookie)));
        }
        peer(request)
            .map(|p| format!("address:{}", p.ip()))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// Accepts TCP connections and completes their TLS handshakes in the background (each within
/// ten seconds), handing the service only finished ones.
pub struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(listener: TcpListener, certificate: &Path, key: &Path) -> Result<Self, ServeError> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let fail = |what: &Path, e: &dyn std::fmt::Display| {
            ServeError::Start(format!("{}: {e}", what.display()))
        };
        let chain = CertificateDer::pem_file_iter(certificate)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| fail(certificate, &e))?;
        let private = PrivateKeyDer::from_pem_file(key).map_err(|e| fail(key, &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private))
            .map_err(|e| fail(certificate, &e))?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let local = listener
            .local_addr()
            .map_err(|e| ServeError::Start(e.to_string()))?;
        let (send, ready) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let Ok((stream, address)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let (acceptor, send) = (acceptor.clone(), send.clone());
                tokio::spawn(async move {
                    let handshake = acceptor.accept(stream);
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), handshake).await
                    {
                        let _ = send.send((tls, address)).await;
                    }
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accepting task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
