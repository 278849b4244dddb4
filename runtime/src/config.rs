//! Configuration read from the environment: the one place where trace-genai reads
//! environment variables.
//!
//! Precedence, highest first: a value given to the [`TelemetryBuilder`](crate::TelemetryBuilder)
//! in code, then the environment variable, then the documented default.
//! [`Config::from_lookup`] takes any lookup function, so configuration can be tested
//! without touching the process environment.
//!
//! Every variable, what it means, the values it accepts and its default are listed once,
//! in the README's [Configuration](https://github.com/trace-genai/trace-genai#configuration)
//! section; the names are the constants of this module.
//!
//! # Numbers
//!
//! Every numeric variable is a whole number (milliseconds for times) within a range. A
//! value outside it, or that is not a whole number (`10s`, `1e6`), is an
//! [`InitError::InvalidEnv`] naming the variable and the range. A negative time is
//! ignored with one warning, as the OpenTelemetry specification requires, and the default
//! applies. A zero timeout means no limit (the specification's meaning), implemented as
//! [`NO_TIMEOUT`] (2³¹ − 1 ms, about 24.8 days).
//!
//! `OTEL_BSP_MAX_CONCURRENT_EXPORTS` is not used: each processor exports one batch at a
//! time. The attribute value length limits (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`,
//! `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`) are not implemented by the OpenTelemetry Rust
//! SDK and are not read; `TRACE_GENAI_CONTENT_MAX_LENGTH` bounds the large attributes.
//!
//! # Redaction
//!
//! `TRACE_GENAI_REDACT` names the classes of sensitive text replaced in recorded message
//! content (`credentials`, `pii`, or `none`; default `credentials`), and
//! `TRACE_GENAI_REDACT_PATTERNS` adds regular expressions of the application's own, as a
//! JSON array of strings. Both are checked here: an unknown class or a pattern that does
//! not compile is an [`InitError::InvalidEnv`].

use std::time::Duration;

use opentelemetry::KeyValue;

use crate::config::destination::{
    ConnectionString, OtlpCompression, OtlpConfig, OtlpProtocol, Signal, validate_url,
};
use crate::config::error::InitError;

pub(crate) mod azure_project;
pub(crate) mod destination;
pub(crate) mod error;
mod parse;
pub(crate) mod upload;
mod vars;

pub use azure_project::{AzureProjectConfig, DEFAULT_AZURE_AI_PROJECT_TIMEOUT};
use parse::{
    CONTENT_LENGTH_RANGE, LIMIT_RANGE, Number, OTLP_TLS_VARS, REDACT_CLASSES, insecure_var,
    invalid, parse_bool, parse_exporters, parse_headers, parse_redact_patterns,
    parse_resource_attributes, read_batch_processor, read_tls, sampler_ratio,
};
pub use upload::{DEFAULT_UPLOAD_MAX_QUEUE_BYTES, StoreKind, UploadConfig, UploadFormat};
pub use vars::*;

/// The OTLP headers of `signal` as the process environment gives them to the OTLP
/// exporter, which reads them itself: the signal's variable when set, else
/// `OTEL_EXPORTER_OTLP_HEADERS` (empty when neither is).
#[cfg(feature = "otlp-grpc")]
pub(crate) fn otlp_headers_in_process_env(signal: Signal) -> String {
    let signal_var = match signal {
        Signal::Traces => OTEL_EXPORTER_OTLP_TRACES_HEADERS,
        Signal::Logs => OTEL_EXPORTER_OTLP_LOGS_HEADERS,
        Signal::Metrics => OTEL_EXPORTER_OTLP_METRICS_HEADERS,
        Signal::Content => OTEL_EXPORTER_OTLP_HEADERS,
    };
    std::env::var(signal_var)
        .or_else(|_| std::env::var(OTEL_EXPORTER_OTLP_HEADERS))
        .unwrap_or_default()
}

/// Variables whose values are secrets: never repeated in errors.
const SECRET_VARS: &[&str] = &[
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    OTEL_EXPORTER_OTLP_LOGS_HEADERS,
    OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    APPLICATIONINSIGHTS_CONNECTION_STRING,
    AZURE_CLIENT_SECRET,
];

/// A zero timeout means no limit (OpenTelemetry specification, "Timeout"); this long
/// time stands for it: 2³¹ − 1 ms, about 24.8 days, the substitute the specification
/// suggests.
pub const NO_TIMEOUT: Duration = Duration::from_millis(MAX_MILLIS);

/// The largest number of milliseconds, limit or count a variable accepts: 2³¹ − 1, the
/// range the OpenTelemetry specification asks SDKs to support.
const MAX_MILLIS: u64 = 2_147_483_647;

/// The largest queue or batch of a batch processor. Memory is only taken per queued item,
/// but a million spans already hold gigabytes while a collector is away.
pub(crate) const MAX_QUEUE_SIZE: usize = 1_000_000;

/// The smallest byte budget or request limit: 64 KiB.
pub(crate) const MIN_BYTES: usize = 64 << 10;

/// The largest byte budget or request limit: 4 GiB.
pub(crate) const MAX_BYTES: usize = 4 << 30;

/// The default limit of one export request to a network destination: 4 MiB, gRPC's
/// default receive limit (the OpenTelemetry Collector's included).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;

/// The shortest metric export interval: every export collects every metric and makes a
/// network request.
pub(crate) const MIN_METRIC_EXPORT_INTERVAL: Duration =
    Duration::from_millis(MIN_METRIC_EXPORT_INTERVAL_MS);
const MIN_METRIC_EXPORT_INTERVAL_MS: u64 = 100;

/// The shortest content budget (as `with_content_max_length` applies it).
const MIN_CONTENT_MAX_LENGTH: u64 = 64;

/// The longest content budget: longer attributes make a batch exceed collectors' request
/// size limits (gRPC's default is 4 MiB).
const MAX_CONTENT_MAX_LENGTH: u64 = 1_048_576;

/// The sampler to install.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SamplerConfig {
    /// Record every trace.
    AlwaysOn,
    /// Record nothing.
    AlwaysOff,
    /// Record this fraction of traces, chosen by trace id.
    TraceIdRatio(f64),
    /// Follow the parent's decision; record every root.
    ParentBasedAlwaysOn,
    /// Follow the parent's decision; record no root.
    ParentBasedAlwaysOff,
    /// Follow the parent's decision; record this fraction of roots.
    ParentBasedTraceIdRatio(f64),
}

impl SamplerConfig {
    pub(crate) fn to_sampler(self) -> opentelemetry_sdk::trace::Sampler {
        use opentelemetry_sdk::trace::Sampler;
        match self {
            SamplerConfig::AlwaysOn => Sampler::AlwaysOn,
            SamplerConfig::AlwaysOff => Sampler::AlwaysOff,
            SamplerConfig::TraceIdRatio(ratio) => Sampler::TraceIdRatioBased(ratio),
            SamplerConfig::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            SamplerConfig::ParentBasedAlwaysOff => {
                Sampler::ParentBased(Box::new(Sampler::AlwaysOff))
            }
            SamplerConfig::ParentBasedTraceIdRatio(ratio) => {
                Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
            }
        }
    }
}

/// An exporter named in `OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER` or
/// `OTEL_METRICS_EXPORTER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExporterName {
    /// `console`: print on stdout.
    Console,
    /// `otlp`: the OTLP exporter configured by `OTEL_EXPORTER_OTLP_*`.
    Otlp,
    /// `azure_monitor`: Azure Monitor, with `APPLICATIONINSIGHTS_CONNECTION_STRING`.
    AzureMonitor,
}

/// A context format of `OTEL_PROPAGATORS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Propagator {
    /// `tracecontext`: W3C `traceparent` and `tracestate`.
    TraceContext,
    /// `baggage`: W3C `baggage`.
    Baggage,
}

/// One batch processor: the span processor's settings (`OTEL_BSP_*`) or the log record
/// processor's (`OTEL_BLRP_*`).
///
/// The processors are trace-genai's own: the queue takes memory per queued item (never
/// for its whole capacity up front, as the SDK's processors do), and an idle processor
/// sleeps until something arrives, whatever the schedule delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchProcessorConfig {
    /// `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BLRP_SCHEDULE_DELAY`: how long the first item of a
    /// batch waits for more before the batch is exported (zero: at once).
    pub schedule_delay: Duration,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BLRP_MAX_QUEUE_SIZE`: items kept while the
    /// exporter is busy; more are dropped. At most [`MAX_QUEUE_SIZE`](Self::MAX_QUEUE_SIZE).
    pub max_queue_size: usize,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE`: items per
    /// export, at most `max_queue_size`.
    pub max_export_batch_size: usize,
    /// `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BLRP_EXPORT_TIMEOUT`: time limit of one export by
    /// a network exporter, on top of the exporter's own ([`NO_TIMEOUT`]: no limit).
    pub export_timeout: Duration,
    /// `TRACE_GENAI_BSP_MAX_QUEUE_BYTES`, `TRACE_GENAI_BLRP_MAX_QUEUE_BYTES`: the bytes
    /// the queue and the batch being exported may hold, by each item's estimated weight
    /// (default [`DEFAULT_MAX_QUEUE_BYTES`](Self::DEFAULT_MAX_QUEUE_BYTES)); an item that
    /// does not fit is dropped and reported.
    pub max_queue_bytes: usize,
}

impl BatchProcessorConfig {
    /// The largest queue (and batch) accepted.
    pub const MAX_QUEUE_SIZE: usize = MAX_QUEUE_SIZE;

    /// The default byte budget of a queue: 32 MiB.
    pub const DEFAULT_MAX_QUEUE_BYTES: usize = 32 << 20;

    /// The span processor's defaults: 5 s, 2048 spans, 512 per export, 30 s.
    #[must_use]
    pub const fn spans() -> Self {
        BatchProcessorConfig {
            schedule_delay: Duration::from_secs(5),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_timeout: Duration::from_secs(30),
            max_queue_bytes: Self::DEFAULT_MAX_QUEUE_BYTES,
        }
    }

    /// The log record processor's defaults: 1 s, 2048 records, 512 per export, 30 s.
    #[must_use]
    pub const fn logs() -> Self {
        BatchProcessorConfig {
            schedule_delay: Duration::from_secs(1),
            ..Self::spans()
        }
    }

    /// These settings within the accepted ranges (for values set in code, which no
    /// variable parser checked): a queue of 1 to [`MAX_QUEUE_SIZE`](Self::MAX_QUEUE_SIZE),
    /// a batch of 1 to the queue size, times of at most [`NO_TIMEOUT`].
    #[must_use]
    pub fn clamped(self) -> Self {
        let max_queue_size = self.max_queue_size.clamp(1, MAX_QUEUE_SIZE);
        BatchProcessorConfig {
            schedule_delay: self.schedule_delay.min(NO_TIMEOUT),
            max_queue_size,
            max_export_batch_size: self.max_export_batch_size.clamp(1, max_queue_size),
            export_timeout: time_limit(self.export_timeout),
            max_queue_bytes: self.max_queue_bytes.clamp(MIN_BYTES, MAX_BYTES),
        }
    }
}

/// A time limit set in code, within the accepted range: zero means no limit
/// ([`NO_TIMEOUT`]), as in the variables.
pub(crate) fn time_limit(timeout: Duration) -> Duration {
    if timeout.is_zero() {
        NO_TIMEOUT
    } else {
        timeout.min(NO_TIMEOUT)
    }
}

/// How exports are batched and bounded in time: the batch span processor, the batch log
/// record processor, and the metric reader's export time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchConfig {
    /// The batch span processor (`OTEL_BSP_*`).
    pub spans: BatchProcessorConfig,
    /// The batch log record processor (`OTEL_BLRP_*`), which exports GenAI events.
    pub logs: BatchProcessorConfig,
    /// `OTEL_METRIC_EXPORT_TIMEOUT`: time limit of one metric export by a network exporter
    /// ([`NO_TIMEOUT`]: no limit).
    pub metric_export_timeout: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            spans: BatchProcessorConfig::spans(),
            logs: BatchProcessorConfig::logs(),
            metric_export_timeout: Duration::from_secs(30),
        }
    }
}

/// Span limits (`OTEL_SPAN_*_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
/// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`): what one span keeps; the rest is dropped and
/// counted.
///
/// Checked when the configuration is read, so a bad value is an error at install; the
/// same limits apply on the direct span path and the SDK path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpanLimitsConfig {
    /// `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`.
    pub attributes_per_span: u32,
    /// `OTEL_SPAN_EVENT_COUNT_LIMIT`.
    pub events_per_span: u32,
    /// `OTEL_SPAN_LINK_COUNT_LIMIT`.
    pub links_per_span: u32,
    /// `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`.
    pub attributes_per_event: u32,
    /// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`.
    pub attributes_per_link: u32,
}

impl SpanLimitsConfig {
    /// These limits as the SDK's, for `SdkTracerProviderBuilder::with_span_limits`.
    #[must_use]
    pub fn to_sdk(self) -> opentelemetry_sdk::trace::SpanLimits {
        opentelemetry_sdk::trace::SpanLimits {
            max_events_per_span: self.events_per_span,
            max_attributes_per_span: self.attributes_per_span,
            max_links_per_span: self.links_per_span,
            max_attributes_per_event: self.attributes_per_event,
            max_attributes_per_link: self.attributes_per_link,
        }
    }
}

impl Default for SpanLimitsConfig {
    fn default() -> Self {
        SpanLimitsConfig {
            attributes_per_span: 128,
            events_per_span: 128,
            links_per_span: 128,
            attributes_per_event: 128,
            attributes_per_link: 128,
        }
    }
}

/// How the console exporter prints spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsoleFormat {
    /// One tree per trace, indented by parent, for people.
    #[default]
    Tree,
    /// One JSON object per span and line, for machines.
    JsonLines,
}

/// Where the console exporters write (`TRACE_GENAI_CONSOLE_OUTPUT`,
/// [`with_console_output`](crate::TelemetryBuilder::with_console_output)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsoleOutput {
    /// Standard output (the default).
    #[default]
    Stdout,
    /// Standard error: for programs whose stdout is a protocol channel (a stdio MCP
    /// server, a language server) or a pipe to another program.
    Stderr,
    /// A file, created if missing and appended to.
    File(std::path::PathBuf),
}

/// Configuration from the environment, before builder overrides.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `OTEL_SDK_DISABLED`.
    pub sdk_disabled: bool,
    /// `OTEL_SERVICE_NAME`, or `service.name` from `OTEL_RESOURCE_ATTRIBUTES`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, without `service.name`.
    pub resource_attributes: Vec<KeyValue>,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: SamplerConfig,
    /// `OTEL_TRACES_EXPORTER` (`None`: not set, `Some(empty)`: `none`).
    pub traces_exporter: Option<Vec<ExporterName>>,
    /// `OTEL_LOGS_EXPORTER`.
    pub logs_exporter: Option<Vec<ExporterName>>,
    /// `OTEL_METRICS_EXPORTER`.
    pub metrics_exporter: Option<Vec<ExporterName>>,
    /// `OTEL_EXPORTER_OTLP_*`.
    pub otlp: OtlpConfig,
    /// `APPLICATIONINSIGHTS_CONNECTION_STRING`.
    pub azure_connection_string: Option<ConnectionString>,
    /// `AZURE_AI_PROJECT_ENDPOINT` (or `PROJECT_ENDPOINT`), its lookup's time limit and the
    /// Microsoft Entra ID settings of the default credential (`AZURE_TENANT_ID`, …): Azure
    /// Monitor with the connection string of the project's Application Insights resource,
    /// when no other destination is configured (feature `azure-ai-project`).
    pub azure_ai_project: AzureProjectConfig,
    /// `OTEL_BSP_*`, `OTEL_BLRP_*`, `OTEL_METRIC_EXPORT_TIMEOUT`.
    pub batch: BatchConfig,
    /// `OTEL_METRIC_EXPORT_INTERVAL`.
    pub metric_export_interval: Duration,
    /// `TRACE_GENAI_MAX_REQUEST_BYTES`: the heaviest export request to a network
    /// destination, by the items' estimated weight (default
    /// [`DEFAULT_MAX_REQUEST_BYTES`]). Batches are split to stay within it; a span
    /// heavier on its own is cut to fit, content first.
    pub max_request_bytes: usize,
    /// `TRACE_GENAI_SHUTDOWN_TIMEOUT`: the deadline of `force_flush` and `shutdown`
    /// (`None`: the longest export time limit of the destinations plus one second, or
    /// 5 s without a network destination).
    pub shutdown_timeout: Option<Duration>,
    /// `OTEL_SPAN_*_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
    /// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`.
    pub span_limits: SpanLimitsConfig,
    /// `TRACE_GENAI_CONSOLE_FORMAT`.
    pub console_format: ConsoleFormat,
    /// `TRACE_GENAI_CONSOLE_OUTPUT`.
    pub console_output: ConsoleOutput,
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else
    /// `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`.
    pub content_capture: crate::ContentCapture,
    /// `TRACE_GENAI_CONTENT_MAX_LENGTH`.
    pub content_max_length: usize,
    /// `TRACE_GENAI_REDACT`: the built-in classes of sensitive text replaced in recorded
    /// message content (default [`RedactClasses::CREDENTIALS`](crate::RedactClasses)).
    pub redact: crate::RedactClasses,
    /// `TRACE_GENAI_REDACT_PATTERNS`: regular expressions (each known to compile) whose
    /// matches in recorded message content become `[REDACTED:pattern]` (default none).
    pub redact_patterns: Vec<String>,
    /// `OTEL_SEMCONV_STABILITY_OPT_IN` contains `gen_ai_latest_experimental`.
    pub semconv_latest_experimental: bool,
    /// `OTEL_PROPAGATORS`.
    pub propagators: Vec<Propagator>,
    /// `OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK=upload` with its base path, format and
    /// budget: message content goes to a store, and spans carry references to it.
    pub upload: Option<UploadConfig>,
    /// Values that were not understood but have a safe default (an unknown content-capture
    /// value means no content); reported once, at install, on stderr.
    pub warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sdk_disabled: false,
            service_name: None,
            resource_attributes: Vec::new(),
            sampler: SamplerConfig::ParentBasedAlwaysOn,
            traces_exporter: None,
            logs_exporter: None,
            metrics_exporter: None,
            otlp: OtlpConfig::default(),
            azure_connection_string: None,
            azure_ai_project: AzureProjectConfig::default(),
            batch: BatchConfig::default(),
            metric_export_interval: Duration::from_mins(1),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            shutdown_timeout: None,
            span_limits: SpanLimitsConfig::default(),
            console_format: ConsoleFormat::Tree,
            console_output: ConsoleOutput::Stdout,
            content_capture: crate::ContentCapture::NoContent,
            content_max_length: crate::DEFAULT_CONTENT_MAX_LENGTH,
            redact: crate::RedactClasses::default(),
            redact_patterns: Vec::new(),
            semconv_latest_experimental: false,
            propagators: vec![Propagator::TraceContext, Propagator::Baggage],
            upload: None,
            warnings: Vec::new(),
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when a variable holds a value that is not understood, or
    /// one that is not UTF-8.
    pub fn from_env() -> Result<Self, InitError> {
        for var in VARIABLES {
            if let Some(value) = std::env::var_os(var)
                && value.to_str().is_none()
            {
                return Err(invalid(
                    var,
                    &value.to_string_lossy(),
                    "UTF-8 text (this value has bytes that are not)",
                ));
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value.
    ///
    /// Empty values count as unset, as in the OpenTelemetry SDKs.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when a variable holds a value that is not understood.
    ///
    /// ```
    /// use trace_genai::config::{Config, SamplerConfig};
    ///
    /// let config = Config::from_lookup(|name| match name {
    ///     "OTEL_SERVICE_NAME" => Some("chat-api".to_owned()),
    ///     "OTEL_TRACES_SAMPLER" => Some("traceidratio".to_owned()),
    ///     "OTEL_TRACES_SAMPLER_ARG" => Some("0.25".to_owned()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(config.service_name.as_deref(), Some("chat-api"));
    /// assert_eq!(config.sampler, SamplerConfig::TraceIdRatio(0.25));
    /// # Ok::<(), trace_genai::InitError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let get = |name: &str| present(lookup(name));
        let mut config = Config::default();
        let warnings = &mut config.warnings;

        if let Some(value) = get(OTEL_SDK_DISABLED) {
            config.sdk_disabled = parse_bool(OTEL_SDK_DISABLED, &value, warnings);
        }

        if let Some(value) = get(OTEL_RESOURCE_ATTRIBUTES) {
            for (key, value) in parse_resource_attributes(&value)? {
                if key == "service.name" {
                    config.service_name = Some(value);
                } else {
                    config.resource_attributes.push(KeyValue::new(key, value));
                }
            }
        }
        if let Some(value) = get(OTEL_SERVICE_NAME) {
            config.service_name = Some(value);
        }

        if let Some(value) = get(OTEL_TRACES_SAMPLER) {
            // The argument is read only by the samplers that take one.
            let mut ratio = || sampler_ratio(get(OTEL_TRACES_SAMPLER_ARG), warnings);
            config.sampler = match value.to_ascii_lowercase().as_str() {
                "always_on" => SamplerConfig::AlwaysOn,
                "always_off" => SamplerConfig::AlwaysOff,
                "traceidratio" => SamplerConfig::TraceIdRatio(ratio()),
                "parentbased_always_on" => SamplerConfig::ParentBasedAlwaysOn,
                "parentbased_always_off" => SamplerConfig::ParentBasedAlwaysOff,
                "parentbased_traceidratio" => SamplerConfig::ParentBasedTraceIdRatio(ratio()),
                _ => {
                    return Err(InitError::InvalidEnv {
                        var: OTEL_TRACES_SAMPLER,
                        value,
                        expected: "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio",
                    });
                }
            };
        }

        config.traces_exporter = get(OTEL_TRACES_EXPORTER)
            .map(|value| parse_exporters(OTEL_TRACES_EXPORTER, &value))
            .transpose()?;
        config.logs_exporter = get(OTEL_LOGS_EXPORTER)
            .map(|value| parse_exporters(OTEL_LOGS_EXPORTER, &value))
            .transpose()?;
        config.metrics_exporter = get(OTEL_METRICS_EXPORTER)
            .map(|value| parse_exporters(OTEL_METRICS_EXPORTER, &value))
            .transpose()?;

        for (var, slot) in [
            (OTEL_EXPORTER_OTLP_ENDPOINT, &mut config.otlp.endpoint),
            (
                OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
                &mut config.otlp.traces_endpoint,
            ),
            (
                OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
                &mut config.otlp.logs_endpoint,
            ),
            (
                OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
                &mut config.otlp.metrics_endpoint,
            ),
        ] {
            if let Some(given) = get(var) {
                let mut value = given.clone();
                // The spec's scheme-less gRPC endpoint: TLS unless `…_INSECURE=true`.
                if !value.contains("://") {
                    let insecure = insecure_var(var)
                        .iter()
                        .find_map(|var| get(var).map(|value| (*var, value)))
                        .is_some_and(|(var, value)| parse_bool(var, &value, warnings));
                    let scheme = if insecure { "http" } else { "https" };
                    value = format!("{scheme}://{value}");
                }
                if validate_url(&value).is_err() {
                    return Err(InitError::InvalidEnv {
                        var,
                        value: given,
                        expected: "an http:// or https:// URL with a host, e.g. `http://localhost:4317`",
                    });
                }
                *slot = Some(value);
            }
        }
        if let Some(value) = get(OTEL_EXPORTER_OTLP_PROTOCOL) {
            config.otlp.protocol = match value.to_ascii_lowercase().as_str() {
                "grpc" => OtlpProtocol::Grpc,
                "http/protobuf" => OtlpProtocol::HttpProtobuf,
                "http/json" => OtlpProtocol::HttpJson,
                _ => {
                    return Err(InitError::InvalidEnv {
                        var: OTEL_EXPORTER_OTLP_PROTOCOL,
                        value,
                        expected: "`grpc`, `http/protobuf` or `http/json`",
                    });
                }
            };
        }
        if let Some(value) = get(OTEL_EXPORTER_OTLP_HEADERS) {
            config.otlp.headers = parse_headers(OTEL_EXPORTER_OTLP_HEADERS, &value)?;
        }
        for (signal, var) in [
            (Signal::Traces, OTEL_EXPORTER_OTLP_TRACES_HEADERS),
            (Signal::Logs, OTEL_EXPORTER_OTLP_LOGS_HEADERS),
            (Signal::Metrics, OTEL_EXPORTER_OTLP_METRICS_HEADERS),
        ] {
            if let Some(value) = get(var) {
                let headers = parse_headers(var, &value)?;
                config.otlp.signal_headers.push((signal, headers));
            }
        }
        if let Some(value) = get(OTEL_EXPORTER_OTLP_TIMEOUT) {
            config.otlp.timeout =
                Number::timeout(OTEL_EXPORTER_OTLP_TIMEOUT).millis(&value, warnings)?;
        }
        for (signal, var) in [
            (Signal::Traces, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT),
            (Signal::Logs, OTEL_EXPORTER_OTLP_LOGS_TIMEOUT),
            (Signal::Metrics, OTEL_EXPORTER_OTLP_METRICS_TIMEOUT),
        ] {
            if let Some(value) = get(var)
                && let Some(timeout) = Number::timeout(var).millis(&value, warnings)?
            {
                config.otlp.signal_timeouts.push((signal, timeout));
            }
        }
        if let Some(value) = get(OTEL_EXPORTER_OTLP_COMPRESSION) {
            config.otlp.compression = match value.to_ascii_lowercase().as_str() {
                "gzip" => Some(OtlpCompression::Gzip),
                "none" => None,
                _ => {
                    return Err(invalid(
                        OTEL_EXPORTER_OTLP_COMPRESSION,
                        &value,
                        "`gzip` or `none`",
                    ));
                }
            };
        }
        config.otlp.tls = read_tls(&OTLP_TLS_VARS[0].1, None, &get)?;
        for (signal, vars) in &OTLP_TLS_VARS[1..] {
            if vars[..3].iter().any(|var| get(var).is_some()) {
                let tls = read_tls(vars, Some(&config.otlp.tls), &get)?;
                config.otlp.signal_tls.push((*signal, tls));
            }
        }
        if let Some(value) = get(APPLICATIONINSIGHTS_CONNECTION_STRING) {
            config.azure_connection_string =
                Some(ConnectionString::parse(&value).map_err(|reason| {
                    invalid(APPLICATIONINSIGHTS_CONNECTION_STRING, &value, reason)
                })?);
        }
        config.azure_ai_project = azure_project::read(&get, warnings)?;

        for (processor, vars) in [
            (
                &mut config.batch.spans,
                [
                    OTEL_BSP_SCHEDULE_DELAY,
                    OTEL_BSP_EXPORT_TIMEOUT,
                    OTEL_BSP_MAX_QUEUE_SIZE,
                    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
                ],
            ),
            (
                &mut config.batch.logs,
                [
                    OTEL_BLRP_SCHEDULE_DELAY,
                    OTEL_BLRP_EXPORT_TIMEOUT,
                    OTEL_BLRP_MAX_QUEUE_SIZE,
                    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
                ],
            ),
        ] {
            read_batch_processor(processor, vars, &get, warnings)?;
        }
        for (processor, var) in [
            (&mut config.batch.spans, TRACE_GENAI_BSP_MAX_QUEUE_BYTES),
            (&mut config.batch.logs, TRACE_GENAI_BLRP_MAX_QUEUE_BYTES),
        ] {
            if let Some(value) = get(var) {
                processor.max_queue_bytes = Number::bytes(var).count(&value)?;
            }
        }
        if let Some(value) = get(TRACE_GENAI_MAX_REQUEST_BYTES) {
            config.max_request_bytes =
                Number::bytes(TRACE_GENAI_MAX_REQUEST_BYTES).count(&value)?;
        }
        if let Some(value) = get(TRACE_GENAI_SHUTDOWN_TIMEOUT)
            && let Some(timeout) =
                Number::timeout(TRACE_GENAI_SHUTDOWN_TIMEOUT).millis(&value, warnings)?
        {
            config.shutdown_timeout = Some(timeout);
        }
        if let Some(value) = get(OTEL_METRIC_EXPORT_INTERVAL)
            && let Some(interval) = Number::METRIC_EXPORT_INTERVAL.millis(&value, warnings)?
        {
            config.metric_export_interval = interval;
        }
        if let Some(value) = get(OTEL_METRIC_EXPORT_TIMEOUT)
            && let Some(timeout) =
                Number::timeout(OTEL_METRIC_EXPORT_TIMEOUT).millis(&value, warnings)?
        {
            config.batch.metric_export_timeout = timeout;
        }
        for (var, slot) in [
            (
                OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
                &mut config.span_limits.attributes_per_span,
            ),
            (
                OTEL_SPAN_EVENT_COUNT_LIMIT,
                &mut config.span_limits.events_per_span,
            ),
            (
                OTEL_SPAN_LINK_COUNT_LIMIT,
                &mut config.span_limits.links_per_span,
            ),
            (
                OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT,
                &mut config.span_limits.attributes_per_event,
            ),
            (
                OTEL_LINK_ATTRIBUTE_COUNT_LIMIT,
                &mut config.span_limits.attributes_per_link,
            ),
        ] {
            if let Some(value) = get(var) {
                let limit = Number::span_limit(var).whole(&value)?;
                *slot = u32::try_from(limit).map_err(|_| invalid(var, &value, LIMIT_RANGE))?;
            }
        }

        match get(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) {
            Some(value) => match crate::ContentCapture::parse(&value) {
                Some(capture) => config.content_capture = capture,
                None => warnings.push(format!(
                    "{OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT}={value:?} is not understood (expected NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT, true or false): no message content will be recorded"
                )),
            },
            None => {
                if let Some(value) = get(AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED)
                    && parse_bool(AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED, &value, warnings)
                {
                    config.content_capture = crate::ContentCapture::SpanAndEvent;
                }
            }
        }

        if let Some(value) = get(TRACE_GENAI_CONTENT_MAX_LENGTH) {
            let length = Number::CONTENT_MAX_LENGTH.whole(&value)?;
            config.content_max_length = usize::try_from(length).map_err(|_| {
                invalid(TRACE_GENAI_CONTENT_MAX_LENGTH, &value, CONTENT_LENGTH_RANGE)
            })?;
        }
        if let Some(value) = get(TRACE_GENAI_REDACT) {
            config.redact = crate::RedactClasses::parse(&value)
                .ok_or_else(|| invalid(TRACE_GENAI_REDACT, &value, REDACT_CLASSES))?;
        }
        if let Some(value) = get(TRACE_GENAI_REDACT_PATTERNS) {
            config.redact_patterns = parse_redact_patterns(&value)?;
        }
        config.upload = upload::read(&get, |var, value| Number::bytes(var).count(value))?;
        if let Some(value) = get(OTEL_PROPAGATORS) {
            let mut propagators = Vec::new();
            for name in value
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
            {
                match name.to_ascii_lowercase().as_str() {
                    "tracecontext" => propagators.push(Propagator::TraceContext),
                    "baggage" => propagators.push(Propagator::Baggage),
                    "none" => {}
                    _ => {
                        return Err(InitError::InvalidEnv {
                            var: OTEL_PROPAGATORS,
                            value,
                            expected: "a comma list of `tracecontext` and `baggage`, or `none` (b3, jaeger and xray are not built in)",
                        });
                    }
                }
            }
            config.propagators = propagators;
        }
        if let Some(value) = get(OTEL_SEMCONV_STABILITY_OPT_IN) {
            config.semconv_latest_experimental = value
                .split(',')
                .any(|option| option.trim() == "gen_ai_latest_experimental");
        }

        if let Some(value) = get(TRACE_GENAI_CONSOLE_FORMAT) {
            config.console_format = match value.to_ascii_lowercase().as_str() {
                "tree" => ConsoleFormat::Tree,
                "json" => ConsoleFormat::JsonLines,
                _ => {
                    return Err(InitError::InvalidEnv {
                        var: TRACE_GENAI_CONSOLE_FORMAT,
                        value,
                        expected: "`tree` or `json`",
                    });
                }
            };
        }

        if let Some(value) = get(TRACE_GENAI_CONSOLE_OUTPUT) {
            config.console_output = match value.trim() {
                output if output.eq_ignore_ascii_case("stdout") => ConsoleOutput::Stdout,
                output if output.eq_ignore_ascii_case("stderr") => ConsoleOutput::Stderr,
                "" => {
                    return Err(InitError::InvalidEnv {
                        var: TRACE_GENAI_CONSOLE_OUTPUT,
                        value,
                        expected: "`stdout`, `stderr` or the path of a file",
                    });
                }
                path => ConsoleOutput::File(std::path::PathBuf::from(path)),
            };
        }

        Ok(config)
    }
}

/// A variable's value as the configuration reads it: trimmed; blank means unset.
fn present(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests;
