//! A loopback HTTPS stand-in for Application Insights ingestion ("Breeze"), for tests of the
//! `opentelemetry-application-insights` exporter.
//!
//! That exporter forces `https://` on the connection string's `IngestionEndpoint` and sends
//! `POST {IngestionEndpoint}/v2/track` with `Content-Type: application/json`,
//! `Content-Encoding: gzip` and a JSON array of envelopes as the body. [`AzureStandIn::start`]
//! generates, at test time, a CA and a server certificate for `127.0.0.1` and `localhost`
//! signed by it ([`crate::tls`]), serves HTTPS on `127.0.0.1:0` (rustls with the `aws-lc-rs` provider,
//! the one reqwest's `rustls` feature brings anyway), keeps every envelope it receives and
//! answers 200 with the Breeze body `{"itemsReceived":N,"itemsAccepted":N,"errors":[]}`.
//!
//! The exporter's HTTP client must trust [`AzureStandIn::ca_certificate_pem`]. With reqwest
//! 0.13: `Client::builder().tls_certs_only([reqwest::Certificate::from_pem(pem)?])`.
//!
//! The `wait_for_*` methods block the calling thread while they poll. Dropping the stand-in
//! stops the server.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;

use crate::tls::HttpResponse;

/// The instrumentation key in [`AzureStandIn::connection_string`].
pub const INSTRUMENTATION_KEY: &str = "00000000-0000-0000-0000-000000000000";

/// How often the `wait_for_*` methods look again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// One track request as it arrived.
#[derive(Debug, Clone)]
pub struct TrackRequest {
    /// The HTTP path, `/v2/track`.
    pub path: String,
    /// Request headers by lowercase name; repeated values joined by `", "`.
    pub headers: BTreeMap<String, String>,
    /// How many envelopes the body held.
    pub envelope_count: usize,
}

#[derive(Debug, Default)]
struct Store {
    envelopes: Vec<Value>,
    requests: Vec<TrackRequest>,
}

#[derive(Debug, Clone, Default)]
struct Shared(Arc<Mutex<Store>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A loopback HTTPS server that accepts Application Insights track requests. See the module
/// documentation.
#[derive(Debug)]
pub struct AzureStandIn {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
    ca_pem: String,
    /// A client certificate signed by the CA, and its key (PEM).
    client: (String, String),
    shared: Shared,
}

impl AzureStandIn {
    /// Generates the certificates and starts serving HTTPS on `127.0.0.1`, on a port the OS
    /// picks.
    ///
    /// # Panics
    ///
    /// If a certificate cannot be generated, the runtime cannot be built or the port cannot be
    /// bound.
    #[must_use]
    pub fn start() -> Self {
        Self::serve(false)
    }

    /// As [`AzureStandIn::start`], but the TLS handshake requires a client certificate
    /// signed by the stand-in's CA ([`AzureStandIn::client_certificate_pem`]), as a proxy
    /// that does mutual TLS before the ingestion endpoint.
    #[must_use]
    pub fn start_mutual_tls() -> Self {
        Self::serve(true)
    }

    fn serve(client_auth: bool) -> Self {
        let pki = crate::tls::Pki::new();
        let ca_pem = pki.ca_pem.clone();
        let client = (pki.client_pem.clone(), pki.client_key_pem.clone());
        let shared = Shared::default();
        let server_shared = shared.clone();
        let (runtime, addr) = crate::tls::serve_https(
            pki.server_config(client_auth),
            "azure-stand-in",
            move |request| handle(request, server_shared.clone()),
        );

        Self {
            runtime: Some(runtime),
            addr,
            ca_pem,
            client,
            shared,
        }
    }

    /// `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:PORT/`.
    #[must_use]
    pub fn connection_string(&self) -> String {
        format!(
            "InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={}/",
            self.endpoint()
        )
    }

    /// The ingestion endpoint, `https://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The PEM of the CA that signed the server certificate: the exporter's HTTP client must
    /// trust it.
    #[must_use]
    pub fn ca_certificate_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// A client certificate the CA signed, and its private key, PEM.
    #[must_use]
    pub fn client_certificate_pem(&self) -> (String, String) {
        self.client.clone()
    }

    /// Every envelope received so far, in arrival order.
    #[must_use]
    pub fn envelopes(&self) -> Vec<Value> {
        self.shared.lock().envelopes.clone()
    }

    /// Every track request received so far, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<TrackRequest> {
        self.shared.lock().requests.clone()
    }

    /// Waits until at least `n` envelopes arrived or `timeout` passed, and returns them.
    #[must_use]
    pub fn wait_for_envelopes(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let envelopes = self.envelopes();
            if envelopes.len() >= n || Instant::now() >= deadline {
                return envelopes;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for AzureStandIn {
    fn drop(&mut self) {
        // Not a plain drop: that would panic when it runs inside an async test.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> HttpResponse {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("valid response")
}

async fn handle(request: Request<Incoming>, shared: Shared) -> Result<HttpResponse, Infallible> {
    let path = request.uri().path().to_owned();
    if !matches!(path.as_str(), "/v2/track" | "/v2.1/track") {
        return Ok(respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not a track path",
        ));
    }
    if request.method() != Method::POST {
        return Ok(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "track takes POST",
        ));
    }
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in request.headers() {
        let value = value.to_str().unwrap_or("<binary>");
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return Ok(respond(
                StatusCode::BAD_REQUEST,
                "text/plain",
                error.to_string(),
            ));
        }
    };
    let envelopes = match decode(headers.get("content-encoding").map(String::as_str), &body) {
        Ok(envelopes) => envelopes,
        Err(message) => return Ok(respond(StatusCode::BAD_REQUEST, "text/plain", message)),
    };
    let count = envelopes.len();
    {
        let mut store = shared.lock();
        store.requests.push(TrackRequest {
            path,
            headers,
            envelope_count: count,
        });
        store.envelopes.extend(envelopes);
    }
    let breeze = serde_json::json!({
        "itemsReceived": count,
        "itemsAccepted": count,
        "errors": [],
    });
    Ok(respond(
        StatusCode::OK,
        "application/json",
        breeze.to_string(),
    ))
}

/// The envelopes of a track body: a JSON array (what the exporter sends), a single object, or
/// newline-delimited objects; gzip-compressed or not.
fn decode(content_encoding: Option<&str>, body: &[u8]) -> Result<Vec<Value>, String> {
    let json = match content_encoding {
        None | Some("identity") => body.to_vec(),
        Some("gzip") => {
            let mut json = Vec::new();
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut json)
                .map_err(|error| format!("gunzip: {error}"))?;
            json
        }
        Some(other) => return Err(format!("unsupported content encoding {other:?}")),
    };
    match serde_json::from_slice::<Value>(&json) {
        Ok(Value::Array(envelopes)) => Ok(envelopes),
        Ok(envelope @ Value::Object(_)) => Ok(vec![envelope]),
        Ok(other) => Err(format!("expected envelopes, got {other}")),
        Err(_) => json
            .split(|&byte| byte == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(|line| serde_json::from_slice(line).map_err(|error| format!("JSON: {error}")))
            .collect(),
    }
}
