//! What the receiver hands back: spans, log records, metric points and requests, flattened
//! from the OTLP protobufs with their attribute types.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, SeverityNumber};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric, number_data_point};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

/// An attribute value, a log body or a resource attribute, with its OTLP type: a mirror of
/// the protobuf `AnyValue`.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// `stringValue`.
    Str(String),
    /// `intValue`.
    Int(i64),
    /// `doubleValue`.
    Double(f64),
    /// `boolValue`.
    Bool(bool),
    /// `bytesValue`.
    Bytes(Vec<u8>),
    /// `arrayValue`.
    Array(Vec<AttrValue>),
    /// `kvlistValue`.
    Map(BTreeMap<String, AttrValue>),
    /// An `AnyValue` with no value set.
    Empty,
}

impl AttrValue {
    /// The string, if this is a [`AttrValue::Str`].
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an [`AttrValue::Int`].
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is an [`AttrValue::Double`].
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// The boolean, if this is an [`AttrValue::Bool`].
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an [`AttrValue::Array`].
    #[must_use]
    pub fn as_array(&self) -> Option<&[AttrValue]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }
}

impl From<&AnyValue> for AttrValue {
    fn from(value: &AnyValue) -> Self {
        match &value.value {
            // `StringValueStrindex` is for the profiling signal only: other signals treat it as
            // absent.
            None | Some(any_value::Value::StringValueStrindex(_)) => Self::Empty,
            Some(any_value::Value::StringValue(s)) => Self::Str(s.clone()),
            Some(any_value::Value::IntValue(i)) => Self::Int(*i),
            Some(any_value::Value::DoubleValue(d)) => Self::Double(*d),
            Some(any_value::Value::BoolValue(b)) => Self::Bool(*b),
            Some(any_value::Value::BytesValue(b)) => Self::Bytes(b.clone()),
            Some(any_value::Value::ArrayValue(array)) => {
                Self::Array(array.values.iter().map(Self::from).collect())
            }
            Some(any_value::Value::KvlistValue(list)) => Self::Map(attributes(&list.values)),
        }
    }
}

impl From<&str> for AttrValue {
    fn from(value: &str) -> Self {
        Self::Str(value.to_owned())
    }
}

impl From<String> for AttrValue {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

impl From<i64> for AttrValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for AttrValue {
    fn from(value: f64) -> Self {
        Self::Double(value)
    }
}

impl From<bool> for AttrValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// Attributes by key, with their types.
pub type Attributes = BTreeMap<String, AttrValue>;

/// A span event.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedEvent {
    /// Event name.
    pub name: String,
    /// Event time, nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Event attributes.
    pub attributes: Attributes,
}

/// One received span with its resource and instrumentation scope.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// Span name.
    pub name: String,
    /// Span kind.
    pub kind: SpanKind,
    /// Trace id, 32 lowercase hex digits.
    pub trace_id: String,
    /// Span id, 16 lowercase hex digits.
    pub span_id: String,
    /// Parent span id, 16 lowercase hex digits, or empty for a root span.
    pub parent_span_id: String,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
    /// Span attributes.
    pub attributes: Attributes,
    /// Status code (`Unset` when the span carries no status).
    pub status_code: StatusCode,
    /// Status message.
    pub status_message: String,
    /// Span events, in order.
    pub events: Vec<ReceivedEvent>,
    /// Resource attributes (`service.name`, …).
    pub resource: Attributes,
    /// Instrumentation scope name.
    pub scope_name: String,
    /// Instrumentation scope version.
    pub scope_version: String,
    /// The span as received, for anything not flattened above (links, flags, trace state).
    pub raw: Span,
}

impl ReceivedSpan {
    /// The attribute `key`, if the span has it.
    #[must_use]
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        self.attributes.get(key)
    }

    /// The attribute `key`, if the span has it as a string.
    #[must_use]
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attr(key).and_then(AttrValue::as_str)
    }

    /// The resource's `service.name`, if it is a string.
    #[must_use]
    pub fn service_name(&self) -> Option<&str> {
        self.resource
            .get("service.name")
            .and_then(AttrValue::as_str)
    }
}

/// One received log record with its resource and instrumentation scope.
#[derive(Debug, Clone)]
pub struct ReceivedLog {
    /// Event name (empty when the record has none).
    pub event_name: String,
    /// Body, if the record has one.
    pub body: Option<AttrValue>,
    /// Record attributes.
    pub attributes: Attributes,
    /// Trace id, 32 lowercase hex digits, or empty.
    pub trace_id: String,
    /// Span id, 16 lowercase hex digits, or empty.
    pub span_id: String,
    /// Severity number.
    pub severity_number: SeverityNumber,
    /// Severity text.
    pub severity_text: String,
    /// Time of the event, nanoseconds since the Unix epoch (0 when unset).
    pub time_unix_nano: u64,
    /// Resource attributes.
    pub resource: Attributes,
    /// Instrumentation scope name.
    pub scope_name: String,
    /// The record as received.
    pub raw: LogRecord,
}

impl ReceivedLog {
    /// The attribute `key`, if the record has it.
    #[must_use]
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        self.attributes.get(key)
    }
}

/// The value of one metric data point.
#[derive(Debug, Clone, PartialEq)]
pub enum PointValue {
    /// An integer sum or gauge point.
    Int(i64),
    /// A floating-point sum or gauge point.
    Double(f64),
    /// A histogram point.
    Histogram {
        /// Number of measurements.
        count: u64,
        /// Sum of the measurements, if recorded.
        sum: Option<f64>,
        /// Count per bucket.
        bucket_counts: Vec<u64>,
        /// Bucket upper bounds.
        explicit_bounds: Vec<f64>,
    },
    /// Another kind of point (exponential histogram, summary): see [`ReceivedMetric::raw`].
    Other,
}

/// One data point of a [`ReceivedMetric`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedPoint {
    /// Point attributes.
    pub attributes: Attributes,
    /// Point value.
    pub value: PointValue,
}

/// One received metric with its resource and instrumentation scope.
#[derive(Debug, Clone)]
pub struct ReceivedMetric {
    /// Metric name.
    pub name: String,
    /// Metric description.
    pub description: String,
    /// Metric unit.
    pub unit: String,
    /// Resource attributes.
    pub resource: Attributes,
    /// Instrumentation scope name.
    pub scope_name: String,
    /// The metric as received (its `data` holds the sum, gauge, histogram, …).
    pub raw: Metric,
}

impl ReceivedMetric {
    /// The data points of a sum, gauge or histogram, flattened.
    #[must_use]
    pub fn points(&self) -> Vec<ReceivedPoint> {
        let number = |p: &opentelemetry_proto::tonic::metrics::v1::NumberDataPoint| ReceivedPoint {
            attributes: attributes(&p.attributes),
            value: match p.value {
                Some(number_data_point::Value::AsInt(i)) => PointValue::Int(i),
                Some(number_data_point::Value::AsDouble(d)) => PointValue::Double(d),
                None => PointValue::Other,
            },
        };
        match &self.raw.data {
            Some(metric::Data::Sum(sum)) => sum.data_points.iter().map(number).collect(),
            Some(metric::Data::Gauge(gauge)) => gauge.data_points.iter().map(number).collect(),
            Some(metric::Data::Histogram(histogram)) => histogram
                .data_points
                .iter()
                .map(|p| ReceivedPoint {
                    attributes: attributes(&p.attributes),
                    value: PointValue::Histogram {
                        count: p.count,
                        sum: p.sum,
                        bucket_counts: p.bucket_counts.clone(),
                        explicit_bounds: p.explicit_bounds.clone(),
                    },
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// How an export request reached the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP/HTTP with `application/x-protobuf`.
    HttpProtobuf,
    /// OTLP/HTTP with `application/json`.
    HttpJson,
}

/// The kind of telemetry an export request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Log records.
    Logs,
    /// Metrics.
    Metrics,
}

/// One export request as it arrived, whether or not it was accepted.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// gRPC, HTTP/protobuf or HTTP/JSON.
    pub transport: Transport,
    /// Traces, logs or metrics.
    pub signal: Signal,
    /// The HTTP path, e.g. `/v1/traces` or
    /// `/opentelemetry.proto.collector.trace.v1.TraceService/Export`.
    pub path: String,
    /// Request headers (gRPC: metadata) by lowercase name; repeated values joined by `", "`,
    /// binary values shown as `<binary>`.
    pub headers: BTreeMap<String, String>,
    /// Whether the body was gzip-compressed.
    pub compressed: bool,
    /// Whether the payload was decoded and stored (false when a [`Failure`] rejected it or it
    /// could not be decoded).
    pub accepted: bool,
}

impl RequestInfo {
    /// The header `name` (any case), if present.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// How the receiver answers export requests (see [`OtlpReceiver::set_failure`](super::OtlpReceiver::set_failure)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Failure {
    /// Accept and store everything.
    #[default]
    None,
    /// Reject every request as retryable: gRPC `UNAVAILABLE`, HTTP 503. Nothing is stored.
    Unavailable,
    /// Wait this long before accepting (and storing) each request.
    Delay(Duration),
}

pub(super) fn attributes(key_values: &[KeyValue]) -> Attributes {
    key_values
        .iter()
        .map(|kv| {
            let value = kv.value.as_ref().map_or(AttrValue::Empty, AttrValue::from);
            (kv.key.clone(), value)
        })
        .collect()
}

pub(super) fn resource_attributes(resource: Option<&Resource>) -> Attributes {
    resource
        .map(|r| attributes(&r.attributes))
        .unwrap_or_default()
}

pub(super) fn scope(scope: Option<&InstrumentationScope>) -> (String, String) {
    scope
        .map(|s| (s.name.clone(), s.version.clone()))
        .unwrap_or_default()
}

/// Lowercase hex of `bytes`; empty for no bytes.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}
