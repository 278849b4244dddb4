//! The one builder of trace-genai's log events (the inference details of
//! [`content`](super::content), user feedback and evaluations): an INFO record in a span's
//! context (the inference details at DEBUG with `gen_ai_latest_experimental`), emitted
//! through the installed logger provider.

use std::panic::AssertUnwindSafe;
use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::SpanContext;
use opentelemetry::{Key, KeyValue};

use super::content::any_from_value;

/// Emits the event `name` in the context of `parent` (none: an event without a parent),
/// with `attributes`, then the `structured` ones, and `body`. `timestamp` is the time of
/// the event when the caller knows it (otherwise the time it is observed). Nothing happens
/// without an installed logger provider; a panicking log processor loses the event only.
pub(crate) fn emit(
    name: &'static str,
    parent: Option<&SpanContext>,
    timestamp: Option<SystemTime>,
    attributes: Vec<KeyValue>,
    structured: Vec<(&'static str, AnyValue)>,
    body: Option<AnyValue>,
) {
    let Some(provider) = crate::global::logger_provider() else {
        return;
    };
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let logger = provider.logger_with_scope(crate::semconv::scope());
        let mut record = logger.create_log_record();
        record.set_event_name(name);
        // The current GenAI registry gives the inference details DEBUG; v1.41 gave none.
        if name == crate::semconv::GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS
            && crate::semconv::latest_experimental()
        {
            record.set_severity_number(Severity::Debug);
            record.set_severity_text("DEBUG");
        } else {
            record.set_severity_number(Severity::Info);
            record.set_severity_text("INFO");
        }
        if let Some(timestamp) = timestamp {
            record.set_timestamp(timestamp);
        }
        if let Some(parent) = parent {
            record.set_trace_context(
                parent.trace_id(),
                parent.span_id(),
                Some(parent.trace_flags()),
            );
        }
        for attribute in attributes {
            record.add_attribute(attribute.key, any_from_value(attribute.value));
        }
        for (key, value) in structured {
            record.add_attribute(Key::from_static_str(key), value);
        }
        if let Some(body) = body {
            record.set_body(body);
        }
        logger.emit(record);
    }));
}

/// A copy of `record` without its body and attributes, made from `blank` (an empty record
/// of a logger without processors: the SDK's records cannot lose attributes in place, so
/// those that must are copied with what is kept).
pub(crate) fn copy_without_values(
    record: &opentelemetry_sdk::logs::SdkLogRecord,
    blank: opentelemetry_sdk::logs::SdkLogRecord,
) -> opentelemetry_sdk::logs::SdkLogRecord {
    let mut copy = blank;
    if let Some(name) = record.event_name() {
        copy.set_event_name(name);
    }
    if let Some(target) = record.target() {
        copy.set_target(target.clone());
    }
    if let Some(timestamp) = record.timestamp() {
        copy.set_timestamp(timestamp);
    }
    if let Some(timestamp) = record.observed_timestamp() {
        copy.set_observed_timestamp(timestamp);
    }
    if let Some(text) = record.severity_text() {
        copy.set_severity_text(text);
    }
    if let Some(number) = record.severity_number() {
        copy.set_severity_number(number);
    }
    if let Some(trace) = record.trace_context() {
        copy.set_trace_context(trace.trace_id, trace.span_id, trace.trace_flags);
    }
    copy
}
