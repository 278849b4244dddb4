//! Errors of telemetry set-up and shutdown.
//!
//! Only set-up returns errors. Code running inside instrumented functions never does:
//! failures there are dropped so that telemetry never changes the behaviour of the app.

use std::fmt::Write as _;

use opentelemetry_sdk::error::OTelSdkError;

use crate::config::destination::Signal;

/// Why telemetry could not be installed. Each variant says what to fix.
///
/// `Debug` prints the same sentence as `Display` (as `anyhow` and `eyre` errors do), so
/// `fn main() -> Result<(), Box<dyn Error>>` shows words; match on the variants for the
/// details.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// An environment variable has a value trace-genai does not understand.
    #[error("environment variable {var}={} is invalid: {expected}", shown(.value))]
    InvalidEnv {
        /// The variable's name.
        var: &'static str,
        /// The value found.
        value: String,
        /// What the variable accepts.
        expected: &'static str,
    },
    /// A builder argument is invalid.
    #[error("invalid telemetry configuration: {0}")]
    InvalidConfig(String),
    /// An exporter could not be built.
    #[error("the {exporter} exporter could not be built: {source}")]
    Exporter {
        /// The exporter.
        exporter: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An OTLP header cannot be sent as given: its name or its value has characters an
    /// HTTP header cannot carry. The value is never shown (header values are secrets).
    #[error(
        "the OTLP header {name:?} in {origin} cannot be sent: {reason} (the value is not shown)"
    )]
    InvalidHeader {
        /// Where the header came from: an environment variable's name, or
        /// `the OtlpConfig given in code`.
        origin: &'static str,
        /// The header's name, as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The Application Insights connection string of an Azure AI Foundry project could not
    /// be looked up: the step that failed, and why (never a token or the connection string).
    #[error(
        "the Application Insights connection string of the Azure AI Foundry project {endpoint} could not be looked up: {step}: {failure}"
    )]
    AzureAiProject {
        /// The project endpoint.
        endpoint: String,
        /// The step that failed.
        step: crate::config::azure_project::AzureProjectStep,
        /// Why, with a hint at the fix.
        failure: crate::config::azure_project::AzureProjectFailure,
    },
    /// A destination was requested whose cargo feature is not compiled in.
    #[error(
        "the {exporter} exporter was requested but trace-genai was built without it: enable the cargo feature `{feature}` of trace-genai"
    )]
    FeatureNotEnabled {
        /// The exporter asked for.
        exporter: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
}

/// Why telemetry did not shut down cleanly: some telemetry may not have been delivered.
///
/// Each destination and signal that lost something is reported on its own, with what was
/// lost, why (as an [`ExportFailure`]) and, where one exists, a hint at the fix.
///
/// `Debug` prints the same sentences and hints as `Display`, so
/// `fn main() -> Result<(), Box<dyn Error>>` shows words.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// A provider failed to flush or shut down.
    #[error("telemetry shutdown failed: {}", sdk_text(.0))]
    Sdk(#[from] OTelSdkError),
    /// Spans or log records of a destination were not (or not surely) delivered,
    /// counted once for the whole run (at shutdown) or up to now (at `force_flush`).
    #[error("{}", undelivered_text(*.signal, .destination, &.report.counts, .report.deadline, .cause.as_ref()))]
    #[non_exhaustive]
    Undelivered {
        /// The destination, e.g. `OTLP grpc http://collector:4317`.
        destination: String,
        /// [`Signal::Traces`] (spans) or [`Signal::Logs`] (log records).
        signal: Signal,
        /// Spans (or log records) emitted while telemetry was installed.
        ended: u64,
        /// Those surely not delivered: in failed exports, dropped by a bound, or still
        /// queued when shutdown's deadline passed (not those that timed out, which may
        /// have arrived, nor, at `force_flush`, those still queued).
        lost: u64,
        /// Those in exports that failed (refused, connection failed).
        failed: u64,
        /// Those never exported: dropped by a bound, or still queued when shutdown's
        /// deadline passed.
        dropped: u64,
        /// Every category, adding up to `ended`, and the deadline of the flush or
        /// shutdown that made this report.
        report: Box<DeliveryReport>,
        /// Why the last export failed (or, for exports still retrying at shutdown, what
        /// their last attempt met), when known.
        cause: Option<ExportFailure>,
    },
    /// Metric exports to a destination failed.
    #[error("{}", failed_exports_text(*.signal, .destination, *.attempted, *.failed, .cause.as_ref()))]
    #[non_exhaustive]
    ExportsFailed {
        /// The destination, e.g. `OTLP grpc http://collector:4317`.
        destination: String,
        /// The signal ([`Signal::Metrics`]).
        signal: Signal,
        /// Exports attempted.
        attempted: u64,
        /// Exports that failed.
        failed: u64,
        /// Why the last one failed, when known.
        cause: Option<ExportFailure>,
    },
    /// Several destinations or signals lost telemetry: one error for each.
    #[error("{}", several_text(.0))]
    Several(Vec<ShutdownError>),
}

/// What became of one destination's spans or log records: every category, adding up to
/// [`produced`](Self::produced).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryCounts {
    /// Spans ended (or log records emitted) while telemetry was installed.
    pub produced: u64,
    /// Exported, and accepted by the destination.
    pub delivered: u64,
    /// In exports the destination refused or that failed to connect (see the cause).
    pub failed: u64,
    /// In exports that ran out of time: they may have arrived.
    pub timed_out: u64,
    /// Dropped because the queue held its most items (`OTEL_BSP_MAX_QUEUE_SIZE`,
    /// `OTEL_BLRP_MAX_QUEUE_SIZE`).
    pub dropped_queue_full: u64,
    /// Dropped because the queue's byte budget was spent
    /// (`TRACE_GENAI_BSP_MAX_QUEUE_BYTES`, `TRACE_GENAI_BLRP_MAX_QUEUE_BYTES`).
    pub dropped_queue_bytes: u64,
    /// Dropped alone because it weighed more than one request may
    /// (`TRACE_GENAI_MAX_REQUEST_BYTES`) and could not be cut to fit.
    pub dropped_too_large: u64,
    /// Still queued, or being exported, when the report was made.
    pub queued: u64,
    /// Of those delivered (or queued), how many were cut to fit the request limit (their
    /// longest values end with the truncation marker).
    pub cut: u64,
}

impl DeliveryCounts {
    /// Dropped by a bound: `dropped_queue_full + dropped_queue_bytes + dropped_too_large`.
    #[must_use]
    pub fn dropped_by_bounds(&self) -> u64 {
        self.dropped_queue_full + self.dropped_queue_bytes + self.dropped_too_large
    }
}

/// One destination and signal's counts, at the deadline of a flush or shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// Every category, adding up to [`produced`](DeliveryCounts::produced).
    pub counts: DeliveryCounts,
    /// The flush or shutdown, with its deadline.
    pub deadline: Deadline,
}

/// When a delivery report was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deadline {
    /// At `force_flush`, whose deadline was this long: what is still queued is exported
    /// later.
    Flush(std::time::Duration),
    /// At shutdown, whose deadline was this long: what is still queued is lost.
    Shutdown(std::time::Duration),
}

impl std::fmt::Debug for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Debug for ShutdownError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl ShutdownError {
    /// The single errors this one is made of: the list of [`ShutdownError::Several`], or
    /// this error alone.
    #[must_use]
    pub fn errors(&self) -> &[ShutdownError] {
        match self {
            ShutdownError::Several(errors) => errors,
            other => std::slice::from_ref(other),
        }
    }

    /// A hint at the fix for this error, where one exists (for [`ShutdownError::Several`],
    /// that of its first error that has one).
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        match self {
            ShutdownError::Sdk(error) => ExportFailure::from_sdk(error).hint(""),
            ShutdownError::Undelivered {
                destination, cause, ..
            }
            | ShutdownError::ExportsFailed {
                destination, cause, ..
            } => cause.as_ref().and_then(|cause| cause.hint(destination)),
            ShutdownError::Several(errors) => errors.iter().find_map(ShutdownError::hint),
        }
    }
}

/// Why an export failed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFailure {
    /// Nothing listens at the endpoint (the connection was refused).
    ConnectionRefused,
    /// The destination answered with an HTTP error status.
    HttpStatus {
        /// The status code, e.g. `500`.
        status: u16,
        /// The start of the answer's body, when it had one.
        body: Option<String>,
    },
    /// The destination (or the gRPC transport) answered with a gRPC error status.
    Grpc {
        /// The status code's name, e.g. `Unavailable`.
        code: String,
        /// What the transport says went wrong, when it says (e.g. `connection refused`).
        message: Option<String>,
    },
    /// The export did not finish in time.
    TimedOut(Option<std::time::Duration>),
    /// The TLS handshake failed, e.g. over a certificate that is not trusted.
    Tls(String),
    /// Another network failure (name resolution, connection reset, …), with its cause.
    Network(String),
    /// Any other failure, in the exporter's words.
    Other(String),
}

impl std::fmt::Display for ExportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportFailure::ConnectionRefused => f.write_str("connection refused"),
            ExportFailure::HttpStatus { status, body } => {
                write!(f, "HTTP {status}")?;
                match body {
                    Some(body) => write!(f, " {body:?}"),
                    None => Ok(()),
                }
            }
            ExportFailure::Grpc { code, message } => {
                write!(f, "gRPC {code}")?;
                match message {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
            ExportFailure::TimedOut(Some(limit)) => {
                write!(f, "timed out after {}", humantime(*limit))
            }
            ExportFailure::TimedOut(None) => f.write_str("timed out"),
            ExportFailure::Tls(reason) => write!(f, "TLS failed: {reason}"),
            ExportFailure::Network(reason) | ExportFailure::Other(reason) => f.write_str(reason),
        }
    }
}

/// The longest body excerpt an [`ExportFailure::HttpStatus`] keeps, in characters.
#[cfg(any(feature = "otlp-http", feature = "azure-monitor"))]
const BODY_EXCERPT: usize = 160;

impl ExportFailure {
    /// Whether the failure means nothing listens at the endpoint.
    #[must_use]
    pub fn is_connection_refused(&self) -> bool {
        match self {
            ExportFailure::ConnectionRefused => true,
            ExportFailure::Grpc { message, .. } => message
                .as_deref()
                .is_some_and(|message| message.contains("connection refused")),
            _ => false,
        }
    }

    /// A hint at the fix, where one exists. `destination` is the destination as reports
    /// name it (`OTLP grpc http://collector:4317`, `Azure Monitor https://…`).
    #[must_use]
    pub fn hint(&self, destination: &str) -> Option<String> {
        if destination.starts_with("content store") {
            return self.store_hint();
        }
        let azure = destination.starts_with("Azure Monitor");
        let endpoint = destination.rsplit(' ').next().unwrap_or(destination);
        if self.is_connection_refused() {
            return Some(if azure {
                format!("is the ingestion endpoint {endpoint} of the connection string right?")
            } else {
                format!("is the collector running at {endpoint}?")
            });
        }
        let unauthorized = match self {
            ExportFailure::HttpStatus { status, .. } => matches!(status, 401 | 403),
            ExportFailure::Grpc { code, .. } => {
                code == "Unauthenticated" || code == "PermissionDenied"
            }
            _ => false,
        };
        if unauthorized {
            return Some(if azure {
                "check the instrumentation key of the connection string (APPLICATIONINSIGHTS_CONNECTION_STRING)".to_owned()
            } else {
                "check the authorization headers (OTEL_EXPORTER_OTLP_HEADERS, or the signal's own OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS): is the API key variable set and valid?".to_owned()
            });
        }
        match self {
            ExportFailure::TimedOut(_) if azure => Some(
                "the destination answered too slowly: raise OTEL_BSP_EXPORT_TIMEOUT (each export's limit) or check the network".to_owned(),
            ),
            ExportFailure::TimedOut(_) => Some(
                "the destination answered too slowly: raise OTEL_EXPORTER_OTLP_TIMEOUT (each export's limit) or check the network".to_owned(),
            ),
            ExportFailure::Tls(reason) if reason.contains(NAME_MISMATCH) => Some(
                "use the host name the certificate was issued for in the endpoint".to_owned(),
            ),
            ExportFailure::Tls(reason) if reason.contains(CA_AS_SERVER) => Some(
                "the server must present its own certificate, signed by the CA, not the CA's".to_owned(),
            ),
            ExportFailure::Tls(_) if azure => Some(
                "is the endpoint's certificate trusted? give its CA with `with_root_certificate`".to_owned(),
            ),
            ExportFailure::Tls(_) => Some(
                "is the endpoint's certificate trusted? give its CA with OTEL_EXPORTER_OTLP_CERTIFICATE or `with_root_certificate`".to_owned(),
            ),
            _ => None,
        }
    }

    /// The hint for a failure of the upload hook's store.
    fn store_hint(&self) -> Option<String> {
        match self {
            ExportFailure::HttpStatus { status: 401 | 403, .. } => Some(
                "check the store's credentials (AZURE_STORAGE_CONNECTION_STRING for Azure Blob Storage): may they write to the container?".to_owned(),
            ),
            ExportFailure::HttpStatus { status: 404, .. } => Some(
                "does the container (or bucket) of OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH exist?".to_owned(),
            ),
            ExportFailure::TimedOut(_) => Some(
                "the store answered too slowly (10 s per object, or OTEL_BSP_EXPORT_TIMEOUT): check the network and the store".to_owned(),
            ),
            ExportFailure::ConnectionRefused | ExportFailure::Network(_) => Some(
                "is the store's endpoint in OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH (or the connection string) reachable?".to_owned(),
            ),
            _ => None,
        }
    }

    /// An SDK error, in readable words. opentelemetry-otlp 0.33 gives the HTTP status and
    /// the gRPC code only as text: `HTTP export failed with status code: 500`,
    /// `TonicTracesClient export failed with gRPC code: Unavailable: <cause chain>`.
    pub(crate) fn from_sdk(error: &OTelSdkError) -> Self {
        match error {
            OTelSdkError::Timeout(limit) => ExportFailure::TimedOut(Some(*limit)),
            OTelSdkError::AlreadyShutdown => {
                ExportFailure::Other("telemetry was already shut down".to_owned())
            }
            OTelSdkError::InternalFailure(message) => Self::from_message(message),
        }
    }

    /// The failure an exporter's error message describes.
    pub(crate) fn from_message(message: &str) -> Self {
        if let Some((_, rest)) = message.split_once("status code: ") {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if let Ok(status) = rest[..end].parse() {
                return ExportFailure::HttpStatus { status, body: None };
            }
        }
        if let Some((_, rest)) = message.split_once("gRPC code: ") {
            let (code, cause) = rest.split_once(": ").unwrap_or((rest, ""));
            // tonic's TLS failures: `transport error: invalid peer certificate: UnknownIssuer`.
            let lower = cause.to_ascii_lowercase();
            if lower.contains("certificate") || lower.contains("tls") {
                return ExportFailure::Tls(tls_reason(cause));
            }
            let message = (!cause.is_empty()).then(|| shorten_cause(cause));
            return ExportFailure::Grpc {
                code: code.trim().to_owned(),
                message,
            };
        }
        let lower = message.to_ascii_lowercase();
        if lower.contains("connection refused") {
            return ExportFailure::ConnectionRefused;
        }
        if lower.contains("timed out") || lower.contains("timeout") {
            return ExportFailure::TimedOut(None);
        }
        ExportFailure::Other(message.to_owned())
    }

    /// The failure an HTTP answer means, with the start of its body.
    #[cfg(any(feature = "otlp-http", feature = "azure-monitor"))]
    pub(crate) fn from_http_answer(status: u16, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let body = (!text.is_empty()).then(|| match text.char_indices().nth(BODY_EXCERPT) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text,
        });
        ExportFailure::HttpStatus { status, body }
    }

    /// The failure a transport error (and its chain of sources) describes.
    #[cfg(any(feature = "otlp-http", feature = "azure-monitor"))]
    pub(crate) fn from_transport(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = Vec::new();
        let mut current = Some(error);
        while let Some(cause) = current {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => {
                        return ExportFailure::ConnectionRefused;
                    }
                    std::io::ErrorKind::TimedOut => return ExportFailure::TimedOut(None),
                    _ => {}
                }
            }
            let text = cause.to_string();
            if !chain.iter().any(|seen: &String| seen.contains(&text)) {
                chain.push(text);
            }
            current = cause.source();
        }
        let joined = chain.join(": ");
        let lower = joined.to_ascii_lowercase();
        if lower.contains("connection refused") {
            ExportFailure::ConnectionRefused
        } else if lower.contains("certificate") || lower.contains("tls") {
            ExportFailure::Tls(tls_reason(chain.last().map_or(&joined, |last| last)))
        } else if lower.contains("timed out") {
            ExportFailure::TimedOut(None)
        } else {
            ExportFailure::Network(joined)
        }
    }
}

/// The readable core of a transport's cause chain: `connection refused` rather than
/// `transport error: tcp connect error: Connection refused (os error 111)`.
/// The reason a name mismatch is reported with.
const NAME_MISMATCH: &str = "name mismatch";
/// The reason a CA certificate presented as a server certificate is reported with.
const CA_AS_SERVER: &str = "a CA certificate used as a server certificate";

/// A TLS failure in words, for the certificate errors people meet, followed by the TLS
/// library's own words.
fn tls_reason(cause: &str) -> String {
    let code = cause.to_ascii_lowercase().replace([' ', '_'], "");
    let words = if code.contains("unknownissuer") {
        Some(
            "the server's certificate is signed by a CA that is not trusted (unknown issuer)"
                .to_owned(),
        )
    } else if code.contains("notvalidforname") {
        Some(format!(
            "the server's certificate is not valid for the endpoint's host ({NAME_MISMATCH})"
        ))
    } else if code.contains("causedasendentity") {
        Some(format!(
            "the server presents a CA certificate as its own ({CA_AS_SERVER})"
        ))
    } else if code.contains("expired") {
        Some("the server's certificate has expired".to_owned())
    } else if code.contains("notvalidyet") {
        Some("the server's certificate is not valid yet".to_owned())
    } else {
        None
    };
    match words {
        Some(words) => format!("{words}; {cause}"),
        None => cause.to_owned(),
    }
}

fn shorten_cause(cause: &str) -> String {
    if cause.to_ascii_lowercase().contains("connection refused") {
        "connection refused".to_owned()
    } else {
        cause.to_owned()
    }
}

/// A duration as people write it: `10s`, `1.5s`, `300ms`.
/// A value as errors show it: quoted, and cut after 200 characters (a value can be
/// megabytes long).
pub(crate) fn shown(value: &str) -> String {
    const SHOWN: usize = 200;
    match value.char_indices().nth(SHOWN) {
        None => format!("{value:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &value[..end], value.len()),
    }
}

pub(super) fn humantime(duration: std::time::Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{}s", duration.as_secs())
    } else if duration.as_secs() > 0 {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

fn sdk_text(error: &OTelSdkError) -> String {
    let failure = ExportFailure::from_sdk(error);
    with_hint(failure.to_string(), failure.hint(""))
}

fn with_hint(text: String, hint: Option<String>) -> String {
    match hint {
        Some(hint) => format!("{text} (hint: {hint})"),
        None => text,
    }
}

/// What reports call the items of a signal.
fn items(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "spans",
        Signal::Logs => "log records",
        Signal::Metrics => "metrics",
        Signal::Content => "content objects",
    }
}

fn undelivered_text(
    signal: Signal,
    destination: &str,
    counts: &DeliveryCounts,
    deadline: Deadline,
    cause: Option<&ExportFailure>,
) -> String {
    let items = items(signal);
    let (queue_var, bytes_var) = match signal {
        Signal::Logs => (
            "OTEL_BLRP_MAX_QUEUE_SIZE",
            "TRACE_GENAI_BLRP_MAX_QUEUE_BYTES",
        ),
        Signal::Content => (
            "TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES",
            "TRACE_GENAI_UPLOAD_MAX_QUEUE_BYTES",
        ),
        _ => ("OTEL_BSP_MAX_QUEUE_SIZE", "TRACE_GENAI_BSP_MAX_QUEUE_BYTES"),
    };
    let (flushing, limit) = match deadline {
        Deadline::Flush(limit) => (true, limit),
        Deadline::Shutdown(limit) => (false, limit),
    };
    let mut parts = Vec::new();
    let mut hint = None;
    if counts.failed > 0 {
        parts.push(format!("{} in failed exports", counts.failed));
    }
    if counts.timed_out > 0 {
        parts.push(format!(
            "{} in exports that timed out (they may have arrived)",
            counts.timed_out
        ));
    }
    if counts.dropped_queue_full > 0 {
        parts.push(format!(
            "{} dropped: the queue was full ({queue_var})",
            counts.dropped_queue_full
        ));
        hint.get_or_insert_with(|| {
            format!("the destination could not keep up: raise {queue_var}, or check its speed")
        });
    }
    if counts.dropped_queue_bytes > 0 {
        parts.push(format!(
            "{} dropped: the queue's byte budget was spent ({bytes_var})",
            counts.dropped_queue_bytes
        ));
        hint.get_or_insert_with(|| {
            format!("the destination could not keep up with large items: raise {bytes_var}, or lower TRACE_GENAI_CONTENT_MAX_LENGTH")
        });
    }
    if counts.dropped_too_large > 0 {
        parts.push(format!(
            "{} dropped: each alone heavier than one request may be (TRACE_GENAI_MAX_REQUEST_BYTES)",
            counts.dropped_too_large
        ));
    }
    if counts.queued > 0 {
        let deadline = humantime(limit);
        if flushing {
            parts.push(format!(
                "{} still queued when the flush deadline ({deadline}) passed: not lost, they are exported later",
                counts.queued
            ));
        } else {
            parts.push(format!(
                "{} still queued when the shutdown deadline ({deadline}) passed",
                counts.queued
            ));
            hint.get_or_insert_with(|| {
                "the destination was too slow for the deadline: raise TRACE_GENAI_SHUTDOWN_TIMEOUT, or check the destination".to_owned()
            });
        }
    }
    let pending = if flushing { 0 } else { counts.queued };
    let undelivered = counts.failed + counts.timed_out + counts.dropped_by_bounds() + pending;
    let mut text = format!("{items} to {destination}: ");
    if undelivered > 0 {
        let _ = write!(
            text,
            "{undelivered} of {} not delivered ({})",
            counts.produced,
            parts.join(", ")
        );
    } else {
        // Only a flush's queue: nothing is lost.
        let _ = write!(
            text,
            "{} of {} still queued when the flush deadline ({}) passed: not lost, they are exported later ({} delivered so far)",
            counts.queued,
            counts.produced,
            humantime(limit),
            counts.delivered
        );
    }
    if counts.cut > 0 {
        let _ = write!(
            text,
            "; {} cut to fit one request (TRACE_GENAI_MAX_REQUEST_BYTES)",
            counts.cut
        );
    }
    let failed = counts.failed + counts.timed_out > 0;
    if let Some(cause) = cause.filter(|_| failed) {
        let _ = write!(text, ": {cause}");
    }
    with_hint(
        text,
        cause
            .filter(|_| failed)
            .and_then(|cause| cause.hint(destination))
            .or(hint),
    )
}

fn failed_exports_text(
    signal: Signal,
    destination: &str,
    attempted: u64,
    failed: u64,
    cause: Option<&ExportFailure>,
) -> String {
    let items = items(signal);
    let mut text = format!("{items} to {destination}: {failed} of {attempted} exports failed");
    if let Some(cause) = cause {
        let _ = write!(text, " ({cause})");
    }
    with_hint(text, cause.and_then(|cause| cause.hint(destination)))
}

fn several_text(errors: &[ShutdownError]) -> String {
    let mut text = format!(
        "telemetry was not fully delivered ({} problems):",
        errors.len()
    );
    for error in errors {
        text.push_str("\n  - ");
        text.push_str(&error.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn exporter_messages_become_readable_causes() {
        assert_eq!(
            ExportFailure::from_message("HTTP export failed with status code: 503"),
            ExportFailure::HttpStatus {
                status: 503,
                body: None
            }
        );
        let refused = ExportFailure::from_message(
            "TonicTracesClient export failed with gRPC code: Unavailable: transport error: tcp connect error: Connection refused (os error 111)",
        );
        assert_eq!(refused.to_string(), "gRPC Unavailable: connection refused");
        let untrusted = ExportFailure::from_message(
            "TonicTracesClient export failed with gRPC code: Unavailable: transport error: invalid peer certificate: UnknownIssuer",
        );
        assert!(matches!(untrusted, ExportFailure::Tls(_)), "{untrusted}");
        assert!(refused.is_connection_refused());
        assert_eq!(
            ExportFailure::from_message(
                "TonicLogsClient export failed with gRPC code: Unauthenticated"
            )
            .hint("OTLP grpc http://c:4317")
            .map(|hint| hint.contains("OTEL_EXPORTER_OTLP_HEADERS")),
            Some(true)
        );
    }

    #[test]
    fn sdk_errors_are_shown_without_their_rust_names() {
        let text = ShutdownError::Sdk(OTelSdkError::InternalFailure(
            "HTTP export failed with status code: 401".to_owned(),
        ))
        .to_string();
        assert!(
            text.starts_with("telemetry shutdown failed: HTTP 401 (hint: "),
            "{text}"
        );
        assert!(!text.contains("InternalFailure"), "{text}");
        let text = ShutdownError::Sdk(OTelSdkError::Timeout(Duration::from_secs(10))).to_string();
        assert!(text.contains("timed out after 10s"), "{text}");
        assert!(text.contains("OTEL_EXPORTER_OTLP_TIMEOUT"), "{text}");
    }

    #[cfg(any(feature = "otlp-http", feature = "azure-monitor"))]
    #[test]
    fn bodies_are_cut_to_an_excerpt() {
        let body = "x".repeat(1000);
        let ExportFailure::HttpStatus {
            body: Some(excerpt),
            ..
        } = ExportFailure::from_http_answer(500, body.as_bytes())
        else {
            panic!("no excerpt");
        };
        assert_eq!(excerpt.chars().count(), BODY_EXCERPT + 1);
        assert_eq!(
            ExportFailure::from_http_answer(502, b"  \n"),
            ExportFailure::HttpStatus {
                status: 502,
                body: None
            }
        );
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            ExportFailure::from_transport(&io),
            ExportFailure::ConnectionRefused
        );
    }
}
