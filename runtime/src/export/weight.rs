//! What a queued span or log record weighs, in bytes, and how a span too large for one
//! request is cut to fit.
//!
//! The weight is an estimate of the memory an item holds and, within a small factor, of
//! its encoded size: the fixed part of the item, plus the length of every string and byte
//! array it carries (and, for events, links and log records, of their keys; a span's own
//! attribute keys are names, almost always static, and are not read). It is computed on
//! the calling thread for every queued span (the byte budget of the queue), so it only
//! reads lengths.

use opentelemetry::logs::AnyValue;
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::logs::SdkLogRecord;
use opentelemetry_sdk::trace::SpanData;

use crate::genai::boundary::{Kind, cut_bytes, kind};

/// What one attribute weighs beyond the fixed part of its `KeyValue`.
#[inline]
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.as_str().len(),
        Value::Array(array) => array_bytes(array),
        _ => 0,
    }
}

#[cold]
fn array_bytes(array: &opentelemetry::Array) -> usize {
    match array {
        opentelemetry::Array::String(items) => items.iter().map(|s| 24 + s.as_str().len()).sum(),
        opentelemetry::Array::Bool(items) => items.len(),
        opentelemetry::Array::I64(items) => items.len() * 8,
        opentelemetry::Array::F64(items) => items.len() * 8,
        _ => 0,
    }
}

/// What attributes weigh: their fixed part and their values. Keys are not read (they
/// are names, almost always static; reading each costs the calling thread more than the
/// rest of the estimate).
#[inline]
fn attributes_bytes(attributes: &[KeyValue]) -> usize {
    let mut bytes = std::mem::size_of_val(attributes);
    for kv in attributes {
        bytes += value_bytes(&kv.value);
    }
    bytes
}

/// The estimated weight of a span.
#[inline]
pub(crate) fn span_bytes(span: &SpanData) -> usize {
    let bytes =
        std::mem::size_of::<SpanData>() + span.name.len() + attributes_bytes(&span.attributes);
    if span.events.events.is_empty()
        && span.links.links.is_empty()
        && matches!(span.status, opentelemetry::trace::Status::Unset)
    {
        bytes
    } else {
        bytes + rest_bytes(span)
    }
}

/// What a span's events, links and status description weigh.
#[cold]
fn rest_bytes(span: &SpanData) -> usize {
    let description = match &span.status {
        opentelemetry::trace::Status::Error { description } => description.len(),
        _ => 0,
    };
    description + events_and_links_bytes(span)
}

#[cold]
fn events_and_links_bytes(span: &SpanData) -> usize {
    span.events
        .events
        .iter()
        .map(|event| {
            std::mem::size_of::<opentelemetry::trace::Event>()
                + event.name.len()
                + attributes_bytes(&event.attributes)
        })
        .chain(span.links.links.iter().map(|link| {
            std::mem::size_of::<opentelemetry::trace::Link>() + attributes_bytes(&link.attributes)
        }))
        .sum()
}

fn any_value_bytes(value: &AnyValue) -> usize {
    match value {
        AnyValue::String(text) => text.as_str().len(),
        AnyValue::Bytes(bytes) => bytes.len(),
        AnyValue::ListAny(items) => items
            .iter()
            .map(|item| std::mem::size_of::<AnyValue>() + any_value_bytes(item))
            .sum(),
        AnyValue::Map(map) => map
            .iter()
            .map(|(key, item)| {
                std::mem::size_of::<AnyValue>() + key.as_str().len() + any_value_bytes(item)
            })
            .sum(),
        _ => 0,
    }
}

/// The estimated weight of a log record.
pub(crate) fn record_bytes(record: &SdkLogRecord) -> usize {
    std::mem::size_of::<SdkLogRecord>()
        + record.event_name().map_or(0, str::len)
        + record.target().map_or(0, |target| target.len())
        + record.body().map_or(0, any_value_bytes)
        + record
            .attributes_iter()
            .map(|(key, value)| {
                std::mem::size_of::<(opentelemetry::Key, AnyValue)>()
                    + key.as_str().len()
                    + any_value_bytes(value)
            })
            .sum::<usize>()
}

/// Cuts the longest strings of `span` (message content and error text first, then any
/// other) until its weight is at most `limit`, marking each cut value; `false` when it
/// cannot be brought there (too many attributes, a huge name).
pub(crate) fn fit_span(span: &mut SpanData, limit: usize) -> bool {
    const MARKER: &str = crate::genai::content::TRUNCATION_MARKER;
    if span.name.len() > limit / 4 {
        span.name = cut_bytes(&span.name, limit / 4).to_owned().into();
    }
    if let opentelemetry::trace::Status::Error { description } = &mut span.status
        && description.len() > limit / 4
    {
        *description = cut_bytes(description, limit / 4).to_owned().into();
    }
    let mut weight = span_bytes(span);
    for content_only in [true, false] {
        while weight > limit {
            let Some(largest) = span
                .attributes
                .iter_mut()
                .chain(
                    span.events
                        .events
                        .iter_mut()
                        .flat_map(|event| event.attributes.iter_mut()),
                )
                .chain(
                    span.links
                        .links
                        .iter_mut()
                        .flat_map(|link| link.attributes.iter_mut()),
                )
                .filter(|kv| {
                    !content_only
                        || matches!(kind(kv.key.as_str()), Kind::Content | Kind::ErrorText)
                })
                .filter(|kv| matches!(&kv.value, Value::String(text) if text.as_str().len() > MARKER.len()))
                .max_by_key(|kv| value_bytes(&kv.value))
            else {
                break;
            };
            let Value::String(text) = &largest.value else {
                break;
            };
            let now = text.as_str().len();
            let keep = now
                .saturating_sub(weight - limit)
                .saturating_sub(MARKER.len());
            let cut = format!("{}{MARKER}", cut_bytes(text.as_str(), keep));
            weight = weight - now + cut.len();
            largest.value = Value::from(cut);
        }
    }
    weight <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(attributes: Vec<KeyValue>) -> SpanData {
        SpanData {
            span_context: opentelemetry::trace::SpanContext::empty_context(),
            parent_span_id: opentelemetry::trace::SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: opentelemetry::trace::SpanKind::Internal,
            name: "chat m".into(),
            start_time: std::time::SystemTime::UNIX_EPOCH,
            end_time: std::time::SystemTime::UNIX_EPOCH,
            attributes,
            dropped_attributes_count: 0,
            events: opentelemetry_sdk::trace::SpanEvents::default(),
            links: opentelemetry_sdk::trace::SpanLinks::default(),
            status: opentelemetry::trace::Status::Unset,
            instrumentation_scope: opentelemetry::InstrumentationScope::default(),
        }
    }

    #[test]
    fn the_weight_counts_strings_and_not_only_the_fixed_part() {
        let small = span(vec![KeyValue::new("gen_ai.request.model", "m")]);
        let large = span(vec![KeyValue::new(
            "gen_ai.request.model",
            "m".repeat(10_000),
        )]);
        assert!(span_bytes(&large) >= span_bytes(&small) + 9_999);
    }

    #[test]
    fn a_span_is_cut_content_first_to_fit() {
        let mut big = span(vec![
            KeyValue::new("gen_ai.input.messages", "x".repeat(5 << 20)),
            KeyValue::new("app.note", "y".repeat(1000)),
        ]);
        assert!(fit_span(&mut big, 1 << 20));
        assert!(span_bytes(&big) <= 1 << 20);
        let Value::String(content) = &big.attributes[0].value else {
            panic!("a string")
        };
        assert!(
            content
                .as_str()
                .ends_with(crate::genai::content::TRUNCATION_MARKER)
        );
        assert_eq!(big.attributes[1].value, Value::from("y".repeat(1000)));
    }
}
