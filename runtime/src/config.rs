//! Configuration read from the environment: the one place where trace-genai reads
//! environment variables.
//!
//! Precedence, highest first: a value given to the [`TelemetryBuilder`](crate::TelemetryBuilder)
//! in code, then the environment variable, then the documented default.
//! [`Config::from_lookup`] takes any lookup function, so configuration can be tested
//! without touching the process environment.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `OTEL_SDK_DISABLED` | `true` (any case) installs nothing; instrumented functions cost next to nothing. Any other value than `true`/`false`: a warning, then `false` | `false` |
//! | `OTEL_SERVICE_NAME` | `service.name` of the resource | `service.name` from `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:<executable>` |
//! | `OTEL_RESOURCE_ATTRIBUTES` | extra resource attributes, `key=value,key2=value2` (percent-encoded values) | none |
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` | `parentbased_always_on` |
//! | `OTEL_TRACES_SAMPLER_ARG` | the ratio for the `*traceidratio` samplers, in `[0, 1]`; ignored by the other samplers; a value that is not a ratio: a warning, then `1.0` | `1.0` |
//! | `OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER`, `OTEL_METRICS_EXPORTER` | comma-separated: `console`, `otlp`, `azure_monitor`, `none` | `otlp` if an OTLP endpoint variable is set, plus `azure_monitor` if a connection string is; otherwise `console` |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | base endpoint of every signal (HTTP appends `/v1/traces`, …) | `http://localhost:4317` (gRPC), `http://localhost:4318` (HTTP) |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_LOGS_ENDPOINT`, `…_METRICS_ENDPOINT` | the endpoint of one signal, used as is | the base endpoint |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` | `grpc`, `http/protobuf`, `http/json` | `grpc` |
//! | `OTEL_EXPORTER_OTLP_HEADERS` | `name=value,…` sent with every export (percent-encoded values); a header HTTP cannot carry (a space in the name, a newline in the value) is an error naming the variable and the header, never the value | none |
//! | `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `…_LOGS_HEADERS`, `…_METRICS_HEADERS` | the headers of one signal, instead of the general ones | the general headers |
//! | `OTEL_EXPORTER_OTLP_COMPRESSION` | `gzip` or `none` | `none` |
//! | `APPLICATIONINSIGHTS_CONNECTION_STRING` | Azure Monitor connection string | none |
//! | `TRACE_GENAI_CONSOLE_FORMAT` | `tree` (for people) or `json` (one JSON object per span and line) | `tree` |
//! | `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` | `NO_CONTENT`, `SPAN_ONLY`, `EVENT_ONLY`, `SPAN_AND_EVENT` (any case; `true`/`1` = both, `false`/`0` = none); anything else: a warning, then no content | `NO_CONTENT` |
//! | `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED` | `true` (any case) records content on spans and in events, when the variable above is unset; any other value than `true`/`false`: a warning, then off | off |
//! | `OTEL_PROPAGATORS` | `tracecontext`, `baggage` (comma list) or `none`: the HTTP context formats of [`propagation`](crate::propagation) | `tracecontext,baggage` |
//! | `OTEL_SEMCONV_STABILITY_OPT_IN` | comma list; `gen_ai_latest_experimental` switches to the unreleased GenAI names where they differ (`gen_ai.usage.cache_write.input_tokens`, per-operation duration metrics) | v1.41 names |
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
//! | variable | meaning | accepted | default |
//! |---|---|---|---|
//! | `OTEL_EXPORTER_OTLP_TIMEOUT` | time limit of one OTLP export, in ms | 0 (no limit) to 2147483647 | `10000` |
//! | `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `…_LOGS_TIMEOUT`, `…_METRICS_TIMEOUT` | the same, for one signal | 0 (no limit) to 2147483647 | `OTEL_EXPORTER_OTLP_TIMEOUT` |
//! | `OTEL_BSP_SCHEDULE_DELAY` | how long the first span of a batch waits for more before export, in ms (`0`: export at once; an idle processor never wakes up) | 0 to 2147483647 | `5000` |
//! | `OTEL_BSP_EXPORT_TIMEOUT` | time limit of one span export by a network exporter, in ms, on top of the exporter's own | 0 (no limit) to 2147483647 | `30000` |
//! | `OTEL_BSP_MAX_QUEUE_SIZE` | spans kept while the exporter is busy (more are dropped); memory is taken per queued span, never reserved up front | 1 to 1000000 | `2048` |
//! | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | spans per export; larger than the queue: the queue size, with a warning | 1 to 1000000 | `512` |
//! | `OTEL_BLRP_SCHEDULE_DELAY`, `OTEL_BLRP_EXPORT_TIMEOUT`, `OTEL_BLRP_MAX_QUEUE_SIZE`, `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE` | the same, for log records (GenAI events) | as `OTEL_BSP_*` | `1000`, `30000`, `2048`, `512` |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | metric export interval, in ms | 100 to 2147483647 | `60000` |
//! | `OTEL_METRIC_EXPORT_TIMEOUT` | time limit of one metric export by a network exporter, in ms | 0 (no limit) to 2147483647 | `30000` |
//! | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` | span limits (see [`SpanLimitsConfig`]) | 0 to 2147483647 | `128` |
//! | `TRACE_GENAI_CONTENT_MAX_LENGTH` | budget of one content attribute, in characters of its JSON text; longer content is cut, marked, and kept valid JSON | 64 to 1048576 | `8192` |
//!
//! `OTEL_BSP_MAX_CONCURRENT_EXPORTS` is not used: each processor exports one batch at a
//! time. The attribute value length limits (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`,
//! `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`) are not implemented by the OpenTelemetry Rust
//! SDK and are not read; `TRACE_GENAI_CONTENT_MAX_LENGTH` bounds the large attributes.

use std::time::Duration;

use opentelemetry::KeyValue;

use crate::destination::{
    ConnectionString, Destination, OtlpCompression, OtlpConfig, OtlpProtocol, OtlpTls, Pem, Secret,
    Signal, check_headers, validate_url,
};
use crate::error::InitError;

/// `OTEL_SDK_DISABLED`.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `OTEL_SERVICE_NAME`.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `OTEL_RESOURCE_ATTRIBUTES`.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `OTEL_TRACES_SAMPLER`.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// `OTEL_TRACES_SAMPLER_ARG`.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// `OTEL_TRACES_EXPORTER`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `OTEL_LOGS_EXPORTER`.
pub const OTEL_LOGS_EXPORTER: &str = "OTEL_LOGS_EXPORTER";
/// `OTEL_METRICS_EXPORTER`.
pub const OTEL_METRICS_EXPORTER: &str = "OTEL_METRICS_EXPORTER";
/// `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`.
pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`.
pub const OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`.
pub const OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_PROTOCOL`.
pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_HEADERS`.
pub const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// `OTEL_EXPORTER_OTLP_TIMEOUT`.
pub const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// `OTEL_EXPORTER_OTLP_COMPRESSION`.
pub const OTEL_EXPORTER_OTLP_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_COMPRESSION";
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`: PEM file of extra trusted CA certificates.
pub const OTEL_EXPORTER_OTLP_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`: PEM file of the client certificate (mutual TLS).
pub const OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_CLIENT_KEY`: PEM file of the client private key (mutual TLS).
pub const OTEL_EXPORTER_OTLP_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_INSECURE`: `true`: gRPC without TLS for an endpoint given without a scheme.
pub const OTEL_EXPORTER_OTLP_INSECURE: &str = "OTEL_EXPORTER_OTLP_INSECURE";
/// `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`: PEM file of extra trusted CA certificates of traces.
pub const OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE`: PEM file of the client certificate (mutual TLS) of traces.
pub const OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY`: PEM file of the client private key (mutual TLS) of traces.
pub const OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_TRACES_INSECURE`: `true`: gRPC without TLS for an endpoint given without a scheme of traces.
pub const OTEL_EXPORTER_OTLP_TRACES_INSECURE: &str = "OTEL_EXPORTER_OTLP_TRACES_INSECURE";
/// `OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE`: PEM file of extra trusted CA certificates of logs.
pub const OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE`: PEM file of the client certificate (mutual TLS) of logs.
pub const OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY`: PEM file of the client private key (mutual TLS) of logs.
pub const OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_LOGS_INSECURE`: `true`: gRPC without TLS for an endpoint given without a scheme of logs.
pub const OTEL_EXPORTER_OTLP_LOGS_INSECURE: &str = "OTEL_EXPORTER_OTLP_LOGS_INSECURE";
/// `OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE`: PEM file of extra trusted CA certificates of metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE`: PEM file of the client certificate (mutual TLS) of metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY`: PEM file of the client private key (mutual TLS) of metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_METRICS_INSECURE`: `true`: gRPC without TLS for an endpoint given without a scheme of metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_INSECURE: &str = "OTEL_EXPORTER_OTLP_METRICS_INSECURE";
/// `APPLICATIONINSIGHTS_CONNECTION_STRING`.
pub const APPLICATIONINSIGHTS_CONNECTION_STRING: &str = "APPLICATIONINSIGHTS_CONNECTION_STRING";
/// `OTEL_BSP_SCHEDULE_DELAY`.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// `OTEL_BSP_MAX_QUEUE_SIZE`.
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// `OTEL_METRIC_EXPORT_INTERVAL`.
pub const OTEL_METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
/// `TRACE_GENAI_CONSOLE_FORMAT`.
pub const TRACE_GENAI_CONSOLE_FORMAT: &str = "TRACE_GENAI_CONSOLE_FORMAT";

/// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
pub const OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: &str =
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
/// `OTEL_PROPAGATORS`.
pub const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
/// `TRACE_GENAI_CONTENT_MAX_LENGTH`.
pub const TRACE_GENAI_CONTENT_MAX_LENGTH: &str = "TRACE_GENAI_CONTENT_MAX_LENGTH";
/// `OTEL_SEMCONV_STABILITY_OPT_IN`.
pub const OTEL_SEMCONV_STABILITY_OPT_IN: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";
/// `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`.
pub const AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED: &str =
    "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED";

/// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`.
pub const OTEL_EXPORTER_OTLP_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
/// `OTEL_EXPORTER_OTLP_LOGS_HEADERS`.
pub const OTEL_EXPORTER_OTLP_LOGS_HEADERS: &str = "OTEL_EXPORTER_OTLP_LOGS_HEADERS";
/// `OTEL_EXPORTER_OTLP_METRICS_HEADERS`.
pub const OTEL_EXPORTER_OTLP_METRICS_HEADERS: &str = "OTEL_EXPORTER_OTLP_METRICS_HEADERS";
/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`.
pub const OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
/// `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT`.
pub const OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT";
/// `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT`.
pub const OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT";
/// `OTEL_BSP_EXPORT_TIMEOUT`.
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
/// `OTEL_BLRP_SCHEDULE_DELAY`.
pub const OTEL_BLRP_SCHEDULE_DELAY: &str = "OTEL_BLRP_SCHEDULE_DELAY";
/// `OTEL_BLRP_EXPORT_TIMEOUT`.
pub const OTEL_BLRP_EXPORT_TIMEOUT: &str = "OTEL_BLRP_EXPORT_TIMEOUT";
/// `OTEL_BLRP_MAX_QUEUE_SIZE`.
pub const OTEL_BLRP_MAX_QUEUE_SIZE: &str = "OTEL_BLRP_MAX_QUEUE_SIZE";
/// `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE`.
pub const OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE";
/// `OTEL_METRIC_EXPORT_TIMEOUT`.
pub const OTEL_METRIC_EXPORT_TIMEOUT: &str = "OTEL_METRIC_EXPORT_TIMEOUT";
/// `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`.
pub const OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT";
/// `OTEL_SPAN_EVENT_COUNT_LIMIT`.
pub const OTEL_SPAN_EVENT_COUNT_LIMIT: &str = "OTEL_SPAN_EVENT_COUNT_LIMIT";
/// `OTEL_SPAN_LINK_COUNT_LIMIT`.
pub const OTEL_SPAN_LINK_COUNT_LIMIT: &str = "OTEL_SPAN_LINK_COUNT_LIMIT";
/// `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`.
pub const OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT";
/// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`.
pub const OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT";

/// Variables whose values are secrets: never repeated in errors.
const SECRET_VARS: &[&str] = &[
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    OTEL_EXPORTER_OTLP_LOGS_HEADERS,
    OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    APPLICATIONINSIGHTS_CONNECTION_STRING,
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
}

impl BatchProcessorConfig {
    /// The largest queue (and batch) accepted.
    pub const MAX_QUEUE_SIZE: usize = MAX_QUEUE_SIZE;

    /// The span processor's defaults: 5 s, 2048 spans, 512 per export, 30 s.
    #[must_use]
    pub const fn spans() -> Self {
        BatchProcessorConfig {
            schedule_delay: Duration::from_secs(5),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_timeout: Duration::from_secs(30),
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
    /// `OTEL_BSP_*`, `OTEL_BLRP_*`, `OTEL_METRIC_EXPORT_TIMEOUT`.
    pub batch: BatchConfig,
    /// `OTEL_METRIC_EXPORT_INTERVAL`.
    pub metric_export_interval: Duration,
    /// `OTEL_SPAN_*_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
    /// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`.
    pub span_limits: SpanLimitsConfig,
    /// `TRACE_GENAI_CONSOLE_FORMAT`.
    pub console_format: ConsoleFormat,
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else
    /// `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`.
    pub content_capture: crate::ContentCapture,
    /// `TRACE_GENAI_CONTENT_MAX_LENGTH`.
    pub content_max_length: usize,
    /// `OTEL_SEMCONV_STABILITY_OPT_IN` contains `gen_ai_latest_experimental`.
    pub semconv_latest_experimental: bool,
    /// `OTEL_PROPAGATORS`.
    pub propagators: Vec<Propagator>,
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
            batch: BatchConfig::default(),
            metric_export_interval: Duration::from_mins(1),
            span_limits: SpanLimitsConfig::default(),
            console_format: ConsoleFormat::Tree,
            content_capture: crate::ContentCapture::NoContent,
            content_max_length: crate::DEFAULT_CONTENT_MAX_LENGTH,
            semconv_latest_experimental: false,
            propagators: vec![Propagator::TraceContext, Propagator::Baggage],
            warnings: Vec::new(),
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when a variable holds a value that is not understood.
    pub fn from_env() -> Result<Self, InitError> {
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
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
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

        Ok(config)
    }
}

/// Reads one batch processor's variables (`[delay, timeout, queue size, batch size]`)
/// into `processor`, which holds the defaults.
fn read_batch_processor(
    processor: &mut BatchProcessorConfig,
    [delay, timeout, queue, batch]: [&'static str; 4],
    get: &impl Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<(), InitError> {
    if let Some(value) = get(delay)
        && let Some(delay) = Number::duration(delay).millis(&value, warnings)?
    {
        processor.schedule_delay = delay;
    }
    if let Some(value) = get(timeout)
        && let Some(timeout) = Number::timeout(timeout).millis(&value, warnings)?
    {
        processor.export_timeout = timeout;
    }
    if let Some(value) = get(queue) {
        processor.max_queue_size = Number::queue(queue).count(&value)?;
    }
    let batch_value = get(batch);
    if let Some(value) = &batch_value {
        processor.max_export_batch_size = Number::queue(batch).count(value)?;
    }
    if processor.max_export_batch_size > processor.max_queue_size {
        // The specification: the batch size must not exceed the queue size. As the SDKs
        // do, the queue size is used; a warning when the batch size was set.
        if let Some(value) = batch_value {
            warnings.push(format!(
                "{batch}={value:?} is larger than {queue} ({}): batches of {} are exported",
                processor.max_queue_size, processor.max_queue_size
            ));
        }
        processor.max_export_batch_size = processor.max_queue_size;
    }
    Ok(())
}

/// The ratio of a `*traceidratio` sampler: `OTEL_TRACES_SAMPLER_ARG`, or 1.0 when it is
/// unset or not a ratio (then with a warning: the specification says to log and ignore
/// an invalid argument).
fn sampler_ratio(arg: Option<String>, warnings: &mut Vec<String>) -> f64 {
    let Some(arg) = arg else {
        return 1.0;
    };
    match arg.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
        _ => {
            warnings.push(format!(
                "{OTEL_TRACES_SAMPLER_ARG}={arg:?} is not a sampling ratio between 0.0 and 1.0: it is ignored, and the ratio is 1.0 (every trace)"
            ));
            1.0
        }
    }
}

/// What a numeric variable holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// A count: a negative value is out of range.
    Count,
    /// Milliseconds; a negative value is ignored with a warning (specification).
    Duration,
    /// Milliseconds, where zero means no limit; a negative value is ignored with a
    /// warning (specification).
    Timeout,
}

/// A numeric variable: its name, unit and range.
#[derive(Debug, Clone, Copy)]
struct Number {
    var: &'static str,
    unit: Unit,
    min: u64,
    max: u64,
    /// What the variable accepts, with the range, for the error message.
    expected: &'static str,
}

const DURATION_RANGE: &str = "a whole number of milliseconds from 0 to 2147483647";
const TIMEOUT_RANGE: &str = "a whole number of milliseconds from 0 (no limit) to 2147483647";
const QUEUE_RANGE: &str = "a whole number from 1 to 1000000";
const LIMIT_RANGE: &str = "a whole number from 0 to 2147483647";
const METRIC_INTERVAL_RANGE: &str = "a whole number of milliseconds from 100 to 2147483647";
const CONTENT_LENGTH_RANGE: &str = "a whole number of characters from 64 to 1048576";

impl Number {
    const METRIC_EXPORT_INTERVAL: Number = Number {
        var: OTEL_METRIC_EXPORT_INTERVAL,
        unit: Unit::Duration,
        min: MIN_METRIC_EXPORT_INTERVAL_MS,
        max: MAX_MILLIS,
        expected: METRIC_INTERVAL_RANGE,
    };

    const CONTENT_MAX_LENGTH: Number = Number {
        var: TRACE_GENAI_CONTENT_MAX_LENGTH,
        unit: Unit::Count,
        min: MIN_CONTENT_MAX_LENGTH,
        max: MAX_CONTENT_MAX_LENGTH,
        expected: CONTENT_LENGTH_RANGE,
    };

    const fn duration(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Duration,
            min: 0,
            max: MAX_MILLIS,
            expected: DURATION_RANGE,
        }
    }

    const fn timeout(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Timeout,
            min: 0,
            max: MAX_MILLIS,
            expected: TIMEOUT_RANGE,
        }
    }

    const fn queue(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Count,
            min: 1,
            max: MAX_QUEUE_SIZE as u64,
            expected: QUEUE_RANGE,
        }
    }

    const fn span_limit(var: &'static str) -> Number {
        Number {
            var,
            unit: Unit::Count,
            min: 0,
            max: MAX_MILLIS,
            expected: LIMIT_RANGE,
        }
    }

    /// The value, when it is a whole number within the range.
    fn whole(&self, value: &str) -> Result<u64, InitError> {
        match value.parse::<u64>() {
            Ok(number) if (self.min..=self.max).contains(&number) => Ok(number),
            _ => Err(invalid(self.var, value, self.expected)),
        }
    }

    /// A count within the range.
    fn count(&self, value: &str) -> Result<usize, InitError> {
        let number = self.whole(value)?;
        usize::try_from(number).map_err(|_| invalid(self.var, value, self.expected))
    }

    /// A time within the range (zero: [`NO_TIMEOUT`] for a timeout), or `None` for a
    /// negative time, which the specification says to ignore with a warning.
    fn millis(
        &self,
        value: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Duration>, InitError> {
        let negative = value
            .strip_prefix('-')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        if negative && self.unit != Unit::Count {
            warnings.push(format!(
                "{}={value:?} is negative: it is ignored, and the default applies ({} accepts {})",
                self.var, self.var, self.expected
            ));
            return Ok(None);
        }
        let millis = self.whole(value)?;
        Ok(Some(if millis == 0 && self.unit == Unit::Timeout {
            NO_TIMEOUT
        } else {
            Duration::from_millis(millis)
        }))
    }
}

impl Config {
    /// The destinations of `signal`: the exporters its variable names, or, when it names
    /// none, OTLP if an OTLP endpoint is set, Azure Monitor if a connection string is, and
    /// otherwise the console.
    ///
    /// # Errors
    ///
    /// [`InitError::InvalidEnv`] when `azure_monitor` is named without a connection
    /// string.
    pub fn destinations(&self, signal: Signal) -> Result<Vec<Destination>, InitError> {
        let (var, named) = match signal {
            Signal::Traces => (OTEL_TRACES_EXPORTER, &self.traces_exporter),
            Signal::Logs => (OTEL_LOGS_EXPORTER, &self.logs_exporter),
            Signal::Metrics => (OTEL_METRICS_EXPORTER, &self.metrics_exporter),
        };
        named
            .clone()
            .unwrap_or_else(|| self.automatic_exporters())
            .into_iter()
            .map(|name| match name {
                ExporterName::Console => Ok(Destination::Console(self.console_format)),
                ExporterName::Otlp => Ok(Destination::Otlp(self.otlp.clone())),
                ExporterName::AzureMonitor => self
                    .azure_connection_string
                    .clone()
                    .map(Destination::AzureMonitor)
                    .ok_or(InitError::InvalidEnv {
                        var,
                        value: "azure_monitor".to_owned(),
                        expected: "APPLICATIONINSIGHTS_CONNECTION_STRING to be set as well",
                    }),
            })
            .collect()
    }
}

impl Config {
    /// The exporters used when none is named: OTLP if an endpoint is set, Azure Monitor if
    /// a connection string is, otherwise the console.
    fn automatic_exporters(&self) -> Vec<ExporterName> {
        let mut automatic = Vec::new();
        if self.otlp.has_endpoint() {
            automatic.push(ExporterName::Otlp);
        }
        if self.azure_connection_string.is_some() {
            automatic.push(ExporterName::AzureMonitor);
        }
        if automatic.is_empty() {
            automatic.push(ExporterName::Console);
        }
        automatic
    }
}

/// An `InvalidEnv` error; secret values are not repeated.
fn invalid(var: &'static str, value: &str, expected: &'static str) -> InitError {
    InitError::InvalidEnv {
        var,
        value: if SECRET_VARS.contains(&var) {
            "<redacted>".to_owned()
        } else {
            value.to_owned()
        },
        expected,
    }
}

fn parse_exporters(var: &'static str, value: &str) -> Result<Vec<ExporterName>, InitError> {
    let mut names = Vec::new();
    for name in value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        match name.to_ascii_lowercase().as_str() {
            "none" => {}
            "console" => names.push(ExporterName::Console),
            "otlp" => names.push(ExporterName::Otlp),
            "azure_monitor" | "azuremonitor" => names.push(ExporterName::AzureMonitor),
            _ => {
                return Err(invalid(
                    var,
                    value,
                    "a comma-separated list of `console`, `otlp`, `azure_monitor`, or `none`",
                ));
            }
        }
    }
    names.dedup();
    Ok(names)
}

/// `key=value,key2=value2` with percent-encoded values; `None` when malformed.
fn parse_pairs(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Some((key.trim().to_owned(), percent_decode(value.trim())))
            }
            _ => None,
        })
        .collect()
}

/// A boolean as the specification defines it: `true` (any case) is true, anything else
/// false; a value other than `true` or `false` adds a warning.
/// The TLS variables, general then per signal: certificate, client certificate, client key,
/// insecure (the signal of the general ones is not used).
const OTLP_TLS_VARS: [(Signal, [&str; 4]); 4] = [
    (
        Signal::Traces,
        [
            OTEL_EXPORTER_OTLP_CERTIFICATE,
            OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_INSECURE,
        ],
    ),
    (
        Signal::Traces,
        [
            OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
            OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_TRACES_INSECURE,
        ],
    ),
    (
        Signal::Logs,
        [
            OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
            OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_LOGS_INSECURE,
        ],
    ),
    (
        Signal::Metrics,
        [
            OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
            OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
            OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
            OTEL_EXPORTER_OTLP_METRICS_INSECURE,
        ],
    ),
];

/// The `…_INSECURE` variables that apply to an endpoint variable, the signal's first.
fn insecure_var(endpoint_var: &str) -> Vec<&'static str> {
    let signal = match endpoint_var {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT => Some(OTEL_EXPORTER_OTLP_TRACES_INSECURE),
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT => Some(OTEL_EXPORTER_OTLP_LOGS_INSECURE),
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT => Some(OTEL_EXPORTER_OTLP_METRICS_INSECURE),
        _ => None,
    };
    signal
        .into_iter()
        .chain([OTEL_EXPORTER_OTLP_INSECURE])
        .collect()
}

/// Reads the PEM files named by the TLS variables `vars`; those unset keep `base`'s.
fn read_tls(
    vars: &[&'static str; 4],
    base: Option<&OtlpTls>,
    get: &impl Fn(&str) -> Option<String>,
) -> Result<OtlpTls, InitError> {
    let mut tls = base.cloned().unwrap_or_default();
    for (var, slot) in [
        (vars[0], &mut tls.certificate),
        (vars[1], &mut tls.client_certificate),
        (vars[2], &mut tls.client_key),
    ] {
        if let Some(path) = get(var) {
            let text = std::fs::read_to_string(&path).map_err(|error| {
                InitError::InvalidConfig(format!(
                    "{var}={path:?} cannot be read ({error}): give the path of a PEM file"
                ))
            })?;
            *slot = Some(Pem::new(format!("{var} ({path})"), text));
        }
    }
    Ok(tls)
}

fn parse_bool(var: &'static str, value: &str, warnings: &mut Vec<String>) -> bool {
    if value.eq_ignore_ascii_case("true") {
        true
    } else {
        if !value.eq_ignore_ascii_case("false") {
            warnings.push(format!(
                "{var}={value:?} is not `true` or `false`: it is read as `false`"
            ));
        }
        false
    }
}

/// `name=value,…` headers (percent-encoded values), each one HTTP can carry.
fn parse_headers(var: &'static str, value: &str) -> Result<Vec<(String, Secret)>, InitError> {
    let headers: Vec<(String, Secret)> = parse_pairs(value)
        .ok_or_else(|| invalid(var, value, "comma-separated `name=value` pairs"))?
        .into_iter()
        .map(|(name, value)| (name, Secret::new(value)))
        .collect();
    check_headers(var, &headers)?;
    Ok(headers)
}

/// Parses `key=value,key2=value2` with percent-encoded values (W3C Baggage octets).
fn parse_resource_attributes(raw: &str) -> Result<Vec<(String, String)>, InitError> {
    parse_pairs(raw).ok_or_else(|| {
        invalid(
            OTEL_RESOURCE_ATTRIBUTES,
            raw,
            "comma-separated `key=value` pairs",
        )
    })
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = decoded {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::{Destination, OtlpCompression, OtlpProtocol, Signal};

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.sampler, SamplerConfig::ParentBasedAlwaysOn);
    }

    #[test]
    fn service_name_beats_resource_attributes() {
        let config = Config::from_lookup(lookup(&[
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attrs,deployment.environment.name=prod%20eu",
            ),
            ("OTEL_SERVICE_NAME", "from-name"),
        ]))
        .unwrap();
        assert_eq!(config.service_name.as_deref(), Some("from-name"));
        assert_eq!(
            config.resource_attributes,
            vec![KeyValue::new("deployment.environment.name", "prod eu")]
        );

        let config = Config::from_lookup(lookup(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attrs",
        )]))
        .unwrap();
        assert_eq!(config.service_name.as_deref(), Some("from-attrs"));
    }

    #[test]
    fn propagators() {
        let parse = |value: &str| {
            Config::from_lookup(lookup(&[("OTEL_PROPAGATORS", value)]))
                .unwrap()
                .propagators
        };
        assert_eq!(
            Config::default().propagators,
            [Propagator::TraceContext, Propagator::Baggage]
        );
        assert_eq!(parse("tracecontext"), [Propagator::TraceContext]);
        assert_eq!(
            parse(" Baggage , tracecontext "),
            [Propagator::Baggage, Propagator::TraceContext]
        );
        assert_eq!(parse("none"), []);
    }

    #[test]
    fn samplers() {
        for (name, expected) in [
            ("always_on", SamplerConfig::AlwaysOn),
            ("ALWAYS_OFF", SamplerConfig::AlwaysOff),
            ("traceidratio", SamplerConfig::TraceIdRatio(0.5)),
            ("parentbased_always_on", SamplerConfig::ParentBasedAlwaysOn),
            (
                "parentbased_always_off",
                SamplerConfig::ParentBasedAlwaysOff,
            ),
            (
                "parentbased_traceidratio",
                SamplerConfig::ParentBasedTraceIdRatio(0.5),
            ),
        ] {
            let config = Config::from_lookup(lookup(&[
                ("OTEL_TRACES_SAMPLER", name),
                ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
            ]))
            .unwrap();
            assert_eq!(config.sampler, expected, "{name}");
        }
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (var, value) in [
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_RESOURCE_ATTRIBUTES", "no-equals-sign"),
            ("OTEL_TRACES_EXPORTER", "carrier-pigeon"),
            ("TRACE_GENAI_CONSOLE_FORMAT", "xml"),
            ("OTEL_PROPAGATORS", "tracecontext,b3"),
            ("TRACE_GENAI_CONTENT_MAX_LENGTH", "10"),
        ] {
            let err = Config::from_lookup(lookup(&[(var, value)])).unwrap_err();
            let InitError::InvalidEnv {
                var: got,
                value: got_value,
                ..
            } = &err
            else {
                panic!("expected InvalidEnv for {var}, got {err:?}");
            };
            assert_eq!(*got, var);
            assert_eq!(got_value, value);
            assert!(err.to_string().contains(var), "{err}");
        }
    }

    #[test]
    fn exporter_selection_and_automatic_defaults() {
        let traces = |vars: &[(&str, &str)]| -> Vec<Destination> {
            Config::from_lookup(lookup(vars))
                .unwrap()
                .destinations(Signal::Traces)
                .unwrap()
        };
        assert_eq!(traces(&[]), vec![Destination::Console(ConsoleFormat::Tree)]);
        let otlp = traces(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]);
        assert!(
            matches!(&otlp[..], [Destination::Otlp(o)] if o.endpoint_for(Signal::Traces) == "http://collector:4317")
        );
        let logs_only = Config::from_lookup(lookup(&[(
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "http://collector:4318/v1/logs",
        )]))
        .unwrap();
        assert!(matches!(
            &logs_only.destinations(Signal::Logs).unwrap()[..],
            [Destination::Otlp(_)]
        ));
        let both = traces(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            (
                "APPLICATIONINSIGHTS_CONNECTION_STRING",
                "InstrumentationKey=k",
            ),
        ]);
        assert!(matches!(
            &both[..],
            [Destination::Otlp(_), Destination::AzureMonitor(_)]
        ));
        let named = traces(&[
            ("OTEL_TRACES_EXPORTER", "console, otlp"),
            ("TRACE_GENAI_CONSOLE_FORMAT", "json"),
        ]);
        assert!(matches!(
            &named[..],
            [
                Destination::Console(ConsoleFormat::JsonLines),
                Destination::Otlp(_)
            ]
        ));
        assert!(traces(&[("OTEL_TRACES_EXPORTER", "none")]).is_empty());
        let config =
            Config::from_lookup(lookup(&[("OTEL_METRICS_EXPORTER", "azure_monitor")])).unwrap();
        let err = config
            .destinations(Signal::Metrics)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("OTEL_METRICS_EXPORTER")
                && err.contains("APPLICATIONINSIGHTS_CONNECTION_STRING"),
            "{err}"
        );
    }

    #[test]
    fn otlp_settings() {
        let config = Config::from_lookup(lookup(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/JSON"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-otlp-api-key=abc%3D,tenant=t1",
            ),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "256"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
        ]))
        .unwrap();
        assert_eq!(config.otlp.protocol, OtlpProtocol::HttpJson);
        assert_eq!(config.otlp.headers[0].0, "x-otlp-api-key");
        assert_eq!(config.otlp.headers[0].1.expose(), "abc=");
        assert_eq!(config.otlp.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(config.otlp.compression, Some(OtlpCompression::Gzip));
        assert_eq!(
            config.batch.spans.schedule_delay,
            Duration::from_millis(100)
        );
        assert_eq!(config.batch.spans.max_queue_size, 4096);
        assert_eq!(config.batch.spans.max_export_batch_size, 256);
        assert_eq!(config.batch.logs, BatchProcessorConfig::logs());
        assert_eq!(config.metric_export_interval, Duration::from_secs(1));
        assert_eq!(
            config.otlp.endpoint_for(Signal::Traces),
            "http://localhost:4318/v1/traces"
        );
    }

    #[test]
    fn scheme_less_endpoints_use_tls_unless_insecure() {
        let config = Config::from_lookup(lookup(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "true"),
        ]))
        .unwrap();
        assert_eq!(
            config.otlp.endpoint.as_deref(),
            Some("https://collector:4317")
        );
        assert_eq!(
            config.otlp.logs_endpoint.as_deref(),
            Some("http://collector:4317")
        );
    }

    #[test]
    fn tls_variables_read_their_files_and_name_themselves() {
        let dir = std::env::temp_dir().join(format!("trace-genai-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let ca = ca.to_str().unwrap();
        let config = Config::from_lookup(lookup(&[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", ca),
        ]))
        .unwrap();
        let certificate = config.otlp.tls.certificate.as_ref().unwrap();
        assert!(
            certificate
                .origin
                .contains("OTEL_EXPORTER_OTLP_CERTIFICATE")
        );
        let traces = config.otlp.tls_for(Signal::Traces);
        assert_eq!(traces.certificate.as_ref(), Some(certificate), "inherited");
        assert!(traces.client_key.is_some());
        assert!(config.otlp.tls_for(Signal::Logs).client_key.is_none());

        let missing = dir.join("missing.pem");
        let err = Config::from_lookup(lookup(&[(
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            missing.to_str().unwrap(),
        )]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE") && err.contains("cannot be read"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_exporter_settings_name_the_variable_and_hide_secrets() {
        for (var, value, expected) in [
            (
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "udp",
                "`grpc`, `http/protobuf` or `http/json`",
            ),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "ftp://localhost:4317",
                "an http:// or https:// URL",
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://",
                "an http:// or https:// URL",
            ),
            (
                "OTEL_EXPORTER_OTLP_TIMEOUT",
                "10s",
                "a whole number of milliseconds",
            ),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "`gzip` or `none`"),
            (
                "OTEL_TRACES_EXPORTER",
                "jaeger",
                "`console`, `otlp`, `azure_monitor`, or `none`",
            ),
            (
                "OTEL_LOGS_EXPORTER",
                "stdout",
                "`console`, `otlp`, `azure_monitor`, or `none`",
            ),
            (
                "OTEL_BSP_MAX_QUEUE_SIZE",
                "0",
                "a whole number from 1 to 1000000",
            ),
            (
                "OTEL_METRIC_EXPORT_INTERVAL",
                "0",
                "a whole number of milliseconds from 100 to 2147483647",
            ),
        ] {
            let err = Config::from_lookup(lookup(&[(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(var) && err.contains(value) && err.contains(expected),
                "{err}"
            );
        }
        for (var, value) in [
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key"),
            (
                "APPLICATIONINSIGHTS_CONNECTION_STRING",
                "Endpoint=https://secret-host/",
            ),
        ] {
            let err = Config::from_lookup(lookup(&[(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(var) && err.contains("<redacted>"), "{err}");
            assert!(!err.contains(value), "{err}");
        }
        let config = Config::from_lookup(lookup(&[(
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "InstrumentationKey=very-secret",
        )]))
        .unwrap();
        assert!(!format!("{config:?}").contains("very-secret"));
    }

    #[test]
    fn content_capture_precedence_and_safe_default() {
        let capture = |vars: &[(&str, &str)]| Config::from_lookup(lookup(vars)).unwrap();
        assert_eq!(
            capture(&[]).content_capture,
            crate::ContentCapture::NoContent
        );
        assert_eq!(
            capture(&[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "True")]).content_capture,
            crate::ContentCapture::SpanAndEvent
        );
        assert_eq!(
            capture(&[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "yes")]).content_capture,
            crate::ContentCapture::NoContent
        );
        let config = capture(&[
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "span_only",
            ),
            ("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true"),
        ]);
        assert_eq!(config.content_capture, crate::ContentCapture::SpanOnly);
        let config = capture(&[
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "everything",
            ),
            ("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true"),
        ]);
        assert_eq!(config.content_capture, crate::ContentCapture::NoContent);
        assert_eq!(config.warnings.len(), 1);
        assert!(
            config.warnings[0].contains("\"everything\""),
            "{:?}",
            config.warnings
        );
    }

    #[test]
    fn span_limits_and_batch_sizes() {
        let config = Config::from_lookup(lookup(&[
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "64"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "0"),
            ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "2147483647"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "200"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "256"),
        ]))
        .unwrap();
        let limits = config.span_limits.to_sdk();
        assert_eq!(limits.max_attributes_per_span, 64);
        assert_eq!(limits.max_events_per_span, 0);
        assert_eq!(limits.max_links_per_span, 128);
        assert_eq!(limits.max_attributes_per_link, 2_147_483_647);
        // A batch larger than its queue is the queue: a warning when it was set.
        assert_eq!(config.batch.logs.max_export_batch_size, 100);
        assert_eq!(config.batch.spans.max_export_batch_size, 256);
        assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
        assert!(config.warnings[0].contains("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"));
        // Values set in code are brought within range.
        let mut spans = BatchProcessorConfig::spans();
        spans.max_queue_size = usize::MAX;
        spans.max_export_batch_size = 0;
        spans.export_timeout = Duration::ZERO;
        let spans = spans.clamped();
        assert_eq!(spans.max_queue_size, BatchProcessorConfig::MAX_QUEUE_SIZE);
        assert_eq!(spans.max_export_batch_size, 1);
        assert_eq!(spans.export_timeout, NO_TIMEOUT);
    }

    #[test]
    fn disabled_and_empty_values() {
        let config = Config::from_lookup(lookup(&[
            ("OTEL_SDK_DISABLED", "TRUE"),
            ("OTEL_SERVICE_NAME", "  "),
        ]))
        .unwrap();
        assert!(config.sdk_disabled);
        assert_eq!(config.service_name, None);
    }
}
