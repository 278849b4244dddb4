//! Items the `#[trace_genai]` expansion calls. **Not public API**: anything here may
//! change in any release, including patch releases.

pub use ::core;
pub use ::opentelemetry::trace::SpanKind;
pub use ::opentelemetry::{Key, KeyValue, StringValue, Value};

pub use crate::future::Instrumented;
pub use crate::operation::Operation;
pub use crate::semconv;
pub use crate::span::outcome::{
    AnyResult, AnyValue, Response, ResponseResult, ResponseResultWithErrorType,
    ResultWithErrorType, ReturnValue,
};
pub use crate::span::{SpanGuard, SpanMeta};
pub use crate::value::{
    IntoAttributeValue, IntoF64Value, IntoI64Value, IntoStrArrayValue, IntoStrValue,
};

/// Whether instrumented functions should create spans at all.
#[inline]
#[must_use]
pub fn enabled() -> bool {
    crate::provider::enabled()
}

/// Calls `f`: runs a sync function body as a closure, so that its `return`s are seen.
#[inline]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The attribute list of a span being started, pre-sized by the expansion.
#[must_use]
pub fn attributes(capacity: usize) -> Vec<KeyValue> {
    Vec::with_capacity(capacity)
}

/// Adds an attribute if the value is present (the typed conversions of the value traits
/// decide its OpenTelemetry type).
#[inline]
pub fn push<V: Into<Value>>(attributes: &mut Vec<KeyValue>, key: &'static str, value: Option<V>) {
    if let Some(value) = value {
        attributes.push(KeyValue::new(key, value));
    }
}

/// Adds a static string attribute.
#[inline]
pub fn push_static_str(attributes: &mut Vec<KeyValue>, key: &'static str, value: &'static str) {
    attributes.push(KeyValue::new(key, value));
}

/// Adds `gen_ai.request.choice.count`, which the conventions record only when it is not 1.
#[inline]
pub fn push_choice_count(attributes: &mut Vec<KeyValue>, value: Option<i64>) {
    if let Some(value) = value.filter(|count| *count != 1) {
        attributes.push(KeyValue::new(semconv::GEN_AI_REQUEST_CHOICE_COUNT, value));
    }
}

/// Adds a string-array attribute if the value is present.
#[inline]
pub fn push_str_array(
    attributes: &mut Vec<KeyValue>,
    key: &'static str,
    value: Option<Vec<StringValue>>,
) {
    if let Some(value) = value {
        attributes.push(KeyValue::new(
            key,
            Value::Array(::opentelemetry::Array::String(value)),
        ));
    }
}
