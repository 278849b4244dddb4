//! An in-process OTLP receiver for tests: gRPC, HTTP/protobuf and HTTP/JSON, built from the
//! official protobuf definitions (`opentelemetry-proto`).
//!
//! [`OtlpReceiver::start`] binds two listeners on `127.0.0.1:0`, one for gRPC and one for HTTP,
//! and serves them from a small tokio runtime of its own, so synchronous tests can use it as
//! well as async ones. Everything it accepts is kept in memory and handed back flattened:
//! one [`ReceivedSpan`] per span (with its resource and scope), one [`ReceivedLog`] per log
//! record, one [`ReceivedMetric`] per metric, and one [`RequestInfo`] per export request.
//!
//! - gRPC: `opentelemetry.proto.collector.{trace,logs,metrics}.v1.*Service/Export`, gzip
//!   accepted.
//! - HTTP: `POST /v1/traces`, `/v1/logs`, `/v1/metrics` (or under a prefix, see
//!   [`OtlpReceiver::serve_http_under`]) with `Content-Type:
//!   application/x-protobuf` or `application/json` (the OTLP/JSON encoding: lowerCamelCase
//!   fields, hex trace and span ids), optionally `Content-Encoding: gzip`.
//!
//! [`OtlpReceiver::set_failure`] makes the receiver answer `UNAVAILABLE` / HTTP 503 or answer
//! late, to test retries and timeouts. Dropping the receiver stops both servers.
//!
//! The `wait_for_*` methods block the calling thread while they poll: from an async test, call
//! them on a multi-thread runtime or through `tokio::task::spawn_blocking`.

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
use hyper::{Method, Request, Response, StatusCode as HttpStatus};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;

/// How often the `wait_for_*` methods look again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

mod received;

pub use received::*;
use received::{attributes, hex, resource_attributes, scope};

// --- Receiver -----------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Store {
    traces: Vec<ExportTraceServiceRequest>,
    logs: Vec<ExportLogsServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
    requests: Vec<RequestInfo>,
    failure: Failure,
    /// Signals answered with this HTTP status (see [`OtlpReceiver::refuse`]).
    refused: Vec<(Signal, u16)>,
    /// The path the HTTP signal paths sit under (see [`OtlpReceiver::serve_http_under`]).
    http_prefix: String,
}

/// Why a request was not admitted.
enum Rejection {
    /// [`Failure::Unavailable`].
    Unavailable,
    /// A refused signal: this HTTP status.
    Refused(u16),
}

impl Rejection {
    fn grpc_status(&self) -> tonic::Status {
        match self {
            Rejection::Unavailable => {
                tonic::Status::unavailable("test receiver set to Failure::Unavailable")
            }
            Rejection::Refused(404 | 405 | 415) => {
                tonic::Status::unimplemented("test receiver refuses this signal")
            }
            Rejection::Refused(status) => {
                tonic::Status::internal(format!("test receiver refuses this signal ({status})"))
            }
        }
    }

    fn http_response(&self) -> HttpResponse {
        match self {
            Rejection::Unavailable => text_response(
                HttpStatus::SERVICE_UNAVAILABLE,
                "test receiver set to Failure::Unavailable",
            ),
            Rejection::Refused(status) => text_response(
                HttpStatus::from_u16(*status).expect("a valid HTTP status"),
                "test receiver refuses this signal",
            ),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Shared(Arc<Mutex<Store>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the request, then applies a refusal of its signal or the failure mode. `Err`
    /// means: answer with that error and do not store the payload.
    async fn admit(&self, mut info: RequestInfo) -> Result<(), Rejection> {
        let (failure, refused) = {
            let store = self.lock();
            let refused = store
                .refused
                .iter()
                .find(|(signal, _)| *signal == info.signal)
                .map(|(_, status)| *status);
            (store.failure, refused)
        };
        info.accepted = failure != Failure::Unavailable && refused.is_none();
        self.lock().requests.push(info);
        if let Some(status) = refused {
            return Err(Rejection::Refused(status));
        }
        match failure {
            Failure::None => Ok(()),
            Failure::Unavailable => Err(Rejection::Unavailable),
            Failure::Delay(delay) => {
                tokio::time::sleep(delay).await;
                Ok(())
            }
        }
    }

    fn store(&self, payload: Payload) {
        let mut store = self.lock();
        match payload {
            Payload::Traces(request) => store.traces.push(request),
            Payload::Logs(request) => store.logs.push(request),
            Payload::Metrics(request) => store.metrics.push(request),
        }
    }

    /// Marks the last request as not accepted (its payload could not be decoded).
    fn reject_last(&self) {
        if let Some(last) = self.lock().requests.last_mut() {
            last.accepted = false;
        }
    }
}

enum Payload {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

/// An OTLP receiver listening on loopback for gRPC and HTTP. See the module documentation.
#[derive(Debug)]
pub struct OtlpReceiver {
    runtime: Option<tokio::runtime::Runtime>,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    shared: Shared,
}

impl OtlpReceiver {
    /// Starts a gRPC listener and an HTTP listener on `127.0.0.1`, on ports the OS picks.
    ///
    /// # Panics
    ///
    /// If the runtime cannot be built or a port cannot be bound.
    #[must_use]
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-receiver")
            .enable_all()
            .build()
            .expect("build the receiver's tokio runtime");
        let grpc = bind_loopback();
        let http = bind_loopback();
        let grpc_addr = grpc.local_addr().expect("gRPC listener address");
        let http_addr = http.local_addr().expect("HTTP listener address");
        let shared = Shared::default();

        let collector = GrpcCollector {
            shared: shared.clone(),
        };
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(grpc).expect("gRPC listener");
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let result = tonic::transport::Server::builder()
                .add_service(
                    TraceServiceServer::new(collector.clone())
                        .accept_compressed(CompressionEncoding::Gzip),
                )
                .add_service(
                    LogsServiceServer::new(collector.clone())
                        .accept_compressed(CompressionEncoding::Gzip),
                )
                .add_service(
                    MetricsServiceServer::new(collector)
                        .accept_compressed(CompressionEncoding::Gzip),
                )
                .serve_with_incoming(incoming)
                .await;
            if let Err(error) = result {
                eprintln!("OTLP receiver: gRPC server stopped: {error}");
            }
        });

        let http_shared = shared.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(http).expect("HTTP listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = http_shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle_http(request, shared.clone())
                    });
                    // HTTP/1.1 and, as a collector's OTLP/HTTP receiver does, HTTP/2 (which
                    // a client offers over TLS when its reqwest has the `http2` feature).
                    // A client hanging up mid-request is not the receiver's business.
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                });
            }
        });

        Self {
            runtime: Some(runtime),
            grpc_addr,
            http_addr,
            shared,
        }
    }

    /// The gRPC endpoint, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// The HTTP base endpoint, `http://127.0.0.1:PORT` (append `/v1/traces` etc. for a
    /// signal-specific endpoint).
    #[must_use]
    pub fn http_endpoint(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Every span received so far, in arrival order.
    #[must_use]
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let store = self.shared.lock();
        let mut spans = Vec::new();
        for resource_spans in store.traces.iter().flat_map(|r| &r.resource_spans) {
            let resource = resource_attributes(resource_spans.resource.as_ref());
            for scope_spans in &resource_spans.scope_spans {
                let (scope_name, scope_version) = scope(scope_spans.scope.as_ref());
                for span in &scope_spans.spans {
                    spans.push(ReceivedSpan {
                        name: span.name.clone(),
                        kind: SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified),
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        start_time_unix_nano: span.start_time_unix_nano,
                        end_time_unix_nano: span.end_time_unix_nano,
                        attributes: attributes(&span.attributes),
                        status_code: span.status.as_ref().map_or(StatusCode::Unset, |s| {
                            StatusCode::try_from(s.code).unwrap_or(StatusCode::Unset)
                        }),
                        status_message: span
                            .status
                            .as_ref()
                            .map(|s| s.message.clone())
                            .unwrap_or_default(),
                        events: span
                            .events
                            .iter()
                            .map(|e| ReceivedEvent {
                                name: e.name.clone(),
                                time_unix_nano: e.time_unix_nano,
                                attributes: attributes(&e.attributes),
                            })
                            .collect(),
                        resource: resource.clone(),
                        scope_name: scope_name.clone(),
                        scope_version: scope_version.clone(),
                        raw: span.clone(),
                    });
                }
            }
        }
        spans
    }

    /// Every log record received so far, in arrival order.
    #[must_use]
    pub fn log_records(&self) -> Vec<ReceivedLog> {
        let store = self.shared.lock();
        let mut logs = Vec::new();
        for resource_logs in store.logs.iter().flat_map(|r| &r.resource_logs) {
            let resource = resource_attributes(resource_logs.resource.as_ref());
            for scope_logs in &resource_logs.scope_logs {
                let (scope_name, _) = scope(scope_logs.scope.as_ref());
                for record in &scope_logs.log_records {
                    logs.push(ReceivedLog {
                        event_name: record.event_name.clone(),
                        body: record.body.as_ref().map(AttrValue::from),
                        attributes: attributes(&record.attributes),
                        trace_id: hex(&record.trace_id),
                        span_id: hex(&record.span_id),
                        severity_number: SeverityNumber::try_from(record.severity_number)
                            .unwrap_or(SeverityNumber::Unspecified),
                        severity_text: record.severity_text.clone(),
                        time_unix_nano: record.time_unix_nano,
                        resource: resource.clone(),
                        scope_name: scope_name.clone(),
                        raw: record.clone(),
                    });
                }
            }
        }
        logs
    }

    /// Every metric received so far, in arrival order (a metric exported twice appears twice).
    #[must_use]
    pub fn metrics(&self) -> Vec<ReceivedMetric> {
        let store = self.shared.lock();
        let mut metrics = Vec::new();
        for resource_metrics in store.metrics.iter().flat_map(|r| &r.resource_metrics) {
            let resource = resource_attributes(resource_metrics.resource.as_ref());
            for scope_metrics in &resource_metrics.scope_metrics {
                let (scope_name, _) = scope(scope_metrics.scope.as_ref());
                for metric in &scope_metrics.metrics {
                    metrics.push(ReceivedMetric {
                        name: metric.name.clone(),
                        description: metric.description.clone(),
                        unit: metric.unit.clone(),
                        resource: resource.clone(),
                        scope_name: scope_name.clone(),
                        raw: metric.clone(),
                    });
                }
            }
        }
        metrics
    }

    /// Every export request received so far, accepted or not, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestInfo> {
        self.shared.lock().requests.clone()
    }

    /// Waits until at least `n` spans arrived or `timeout` passed, and returns the spans.
    #[must_use]
    pub fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        wait_until(timeout, n, || self.spans())
    }

    /// Waits until at least `n` log records arrived or `timeout` passed, and returns them.
    #[must_use]
    pub fn wait_for_logs(&self, n: usize, timeout: Duration) -> Vec<ReceivedLog> {
        wait_until(timeout, n, || self.log_records())
    }

    /// Waits until at least `n` metrics arrived or `timeout` passed, and returns them.
    #[must_use]
    pub fn wait_for_metrics(&self, n: usize, timeout: Duration) -> Vec<ReceivedMetric> {
        wait_until(timeout, n, || self.metrics())
    }

    /// Waits until at least `n` export requests arrived or `timeout` passed, and returns them.
    #[must_use]
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RequestInfo> {
        wait_until(timeout, n, || self.requests())
    }

    /// Sets how the receiver answers from now on.
    pub fn set_failure(&self, mode: Failure) {
        self.shared.lock().failure = mode;
    }

    /// Answers every later request of `signal` with HTTP `status`, as a backend that does
    /// not take that signal: Phoenix answers `405` to metrics, `MLflow` `404` to metrics and
    /// logs. Over gRPC, 404, 405 and 415 become `UNIMPLEMENTED` (Jaeger's answer to the
    /// metrics and logs services), other statuses `INTERNAL`. Nothing is stored; the
    /// requests are recorded, not accepted.
    pub fn refuse(&self, signal: Signal, status: u16) {
        let mut store = self.shared.lock();
        store.refused.retain(|(refused, _)| *refused != signal);
        store.refused.push((signal, status));
    }

    /// Takes `signal` again after [`OtlpReceiver::refuse`].
    pub fn accept(&self, signal: Signal) {
        self.shared
            .lock()
            .refused
            .retain(|(refused, _)| *refused != signal);
    }

    /// Serves the HTTP signal paths under `prefix`, as a hosted backend does (Langfuse:
    /// `/api/public/otel/v1/traces`, Grafana Cloud: `/otlp/v1/traces`); any other path is
    /// answered `404`.
    pub fn serve_http_under(&self, prefix: &str) {
        prefix
            .trim_end_matches('/')
            .clone_into(&mut self.shared.lock().http_prefix);
    }

    /// Forgets everything received so far (the failure mode stays).
    pub fn clear(&self) {
        let mut store = self.shared.lock();
        store.traces.clear();
        store.logs.clear();
        store.metrics.clear();
        store.requests.clear();
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        // `shutdown_background` rather than dropping the runtime: drop may run inside an async
        // test, where blocking on the runtime's shutdown would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

// --- gRPC ---------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct GrpcCollector {
    shared: Shared,
}

impl GrpcCollector {
    async fn admit(
        &self,
        signal: Signal,
        service: &str,
        metadata: &MetadataMap,
    ) -> Result<(), tonic::Status> {
        let headers = header_map(&metadata.clone().into_headers());
        let compressed = headers
            .get("grpc-encoding")
            .is_some_and(|encoding| encoding != "identity");
        let info = RequestInfo {
            transport: Transport::Grpc,
            signal,
            path: format!("/opentelemetry.proto.collector.{service}/Export"),
            headers,
            compressed,
            accepted: true,
        };
        self.shared
            .admit(info)
            .await
            .map_err(|rejection| rejection.grpc_status())
    }
}

#[tonic::async_trait]
impl TraceService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.admit(Signal::Traces, "trace.v1.TraceService", request.metadata())
            .await?;
        self.shared.store(Payload::Traces(request.into_inner()));
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        self.admit(Signal::Logs, "logs.v1.LogsService", request.metadata())
            .await?;
        self.shared.store(Payload::Logs(request.into_inner()));
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.admit(
            Signal::Metrics,
            "metrics.v1.MetricsService",
            request.metadata(),
        )
        .await?;
        self.shared.store(Payload::Metrics(request.into_inner()));
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

// --- HTTP ---------------------------------------------------------------------------------

type HttpResponse = Response<Full<Bytes>>;

fn http_response(status: HttpStatus, content_type: &str, body: impl Into<Bytes>) -> HttpResponse {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("valid response")
}

fn text_response(status: HttpStatus, message: impl Into<String>) -> HttpResponse {
    http_response(status, "text/plain", message.into())
}

async fn handle_http(
    request: Request<Incoming>,
    shared: Shared,
) -> Result<HttpResponse, Infallible> {
    let path = request.uri().path().to_owned();
    let prefix = shared.lock().http_prefix.clone();
    let signal = match path.strip_prefix(prefix.as_str()).unwrap_or_default() {
        "/v1/traces" => Signal::Traces,
        "/v1/logs" => Signal::Logs,
        "/v1/metrics" => Signal::Metrics,
        _ => return Ok(text_response(HttpStatus::NOT_FOUND, "not an OTLP path")),
    };
    if request.method() != Method::POST {
        return Ok(text_response(
            HttpStatus::METHOD_NOT_ALLOWED,
            "OTLP/HTTP takes POST",
        ));
    }
    let headers = header_map(request.headers());
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    let transport = if content_type.starts_with("application/x-protobuf") {
        Transport::HttpProtobuf
    } else if content_type.starts_with("application/json") {
        Transport::HttpJson
    } else {
        return Ok(text_response(
            HttpStatus::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content type {content_type:?}"),
        ));
    };
    let compressed = match headers.get("content-encoding").map(String::as_str) {
        None | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            return Ok(text_response(
                HttpStatus::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported content encoding {other:?}"),
            ));
        }
    };
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return Ok(text_response(HttpStatus::BAD_REQUEST, error.to_string())),
    };

    let info = RequestInfo {
        transport,
        signal,
        path,
        headers,
        compressed,
        accepted: true,
    };
    if let Err(rejection) = shared.admit(info).await {
        return Ok(rejection.http_response());
    }

    let decoded =
        gunzip_if(compressed, &body).and_then(|body| decode_payload(signal, transport, &body));
    match decoded {
        Ok(payload) => {
            shared.store(payload);
            Ok(success_response(signal, transport))
        }
        Err(message) => {
            shared.reject_last();
            Ok(text_response(HttpStatus::BAD_REQUEST, message))
        }
    }
}

fn gunzip_if(compressed: bool, body: &Bytes) -> Result<Vec<u8>, String> {
    if !compressed {
        return Ok(body.to_vec());
    }
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut decoded)
        .map_err(|error| format!("gunzip: {error}"))?;
    Ok(decoded)
}

fn decode_payload(signal: Signal, transport: Transport, body: &[u8]) -> Result<Payload, String> {
    fn decode<T: Message + Default + serde::de::DeserializeOwned>(
        transport: Transport,
        body: &[u8],
    ) -> Result<T, String> {
        if transport == Transport::HttpJson {
            serde_json::from_slice(body).map_err(|error| format!("OTLP/JSON: {error}"))
        } else {
            T::decode(body).map_err(|error| format!("OTLP/protobuf: {error}"))
        }
    }
    Ok(match signal {
        Signal::Traces => Payload::Traces(decode(transport, body)?),
        Signal::Logs => Payload::Logs(decode(transport, body)?),
        Signal::Metrics => Payload::Metrics(decode(transport, body)?),
    })
}

/// An empty `Export*ServiceResponse` (full success) in the request's encoding.
fn success_response(signal: Signal, transport: Transport) -> HttpResponse {
    if transport == Transport::HttpJson {
        return http_response(HttpStatus::OK, "application/json", "{}");
    }
    let body = match signal {
        Signal::Traces => ExportTraceServiceResponse::default().encode_to_vec(),
        Signal::Logs => ExportLogsServiceResponse::default().encode_to_vec(),
        Signal::Metrics => ExportMetricsServiceResponse::default().encode_to_vec(),
    };
    http_response(HttpStatus::OK, "application/x-protobuf", body)
}

// --- Helpers ------------------------------------------------------------------------------

fn bind_loopback() -> std::net::TcpListener {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener for tokio");
    listener
}

fn wait_until<T>(timeout: Duration, n: usize, mut get: impl FnMut() -> Vec<T>) -> Vec<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let items = get();
        if items.len() >= n || Instant::now() >= deadline {
            return items;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn header_map(headers: &hyper::HeaderMap) -> BTreeMap<String, String> {
    let mut map = BTreeMap::<String, String>::new();
    for (name, value) in headers {
        let value = value.to_str().unwrap_or("<binary>");
        map.entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    map
}
