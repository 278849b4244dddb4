//! Items the `#[trace_genai]` expansion calls. **Not public API**: anything here may
//! change in any release, including patch releases.

pub use ::core;
pub use ::opentelemetry::trace::SpanKind;
pub use ::opentelemetry::{Key, KeyValue, StringValue, Value};

pub use crate::genai::content::{Captured, ContentCapture};
pub use crate::genai::operation::Operation;
pub use crate::genai::value::{
    IntoAttributeValue, IntoF64Value, IntoI64Value, IntoStrArrayValue, IntoStrValue,
};
pub use crate::instrument::future::{Call, Instrumented, InstrumentedThen};
pub use crate::instrument::outcome::levels::{
    AnyErr, ErrAsDynError, ErrAsDynErrorSendSync, ErrWithErrorType, NoErr, NoResponse, OkResponse,
    Response, ReturnValue,
};
pub use crate::instrument::span::HeapGuard;
pub use crate::instrument::span::{Entered, SpanGuard, SpanMeta};
pub use crate::instrument::traced::{
    ChunkInspector, ChunkProbe, IntoTraced, NoInspector, inspect_nothing, trace_iter,
    trace_iter_result, trace_stream, trace_stream_result,
};
pub use crate::semconv;

/// Whether instrumented functions should create spans at all.
#[inline]
#[must_use]
pub fn enabled() -> bool {
    crate::record::start::enabled()
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

/// A borrowed return value whose content is captured (`capture(result)`,
/// `capture(documents)`): the `Ok` value of a `Result`, else the value itself. Called as
/// `capture_json(content, key, (&&CaptureValue(&ret)).target())`, which requires the
/// target to implement `Serialize`.
#[derive(Debug)]
pub struct CaptureValue<'a, T: ?Sized>(pub &'a T);

/// Level 1: `Result<T, E>`: the `Ok` value; nothing for `Err`.
pub trait CaptureOk {
    /// What is captured.
    type Target: ?Sized;
    /// The value to capture, if any.
    fn target(&self) -> Option<&Self::Target>;
}

/// Level 2: any value.
pub trait CaptureAny {
    /// What is captured.
    type Target: ?Sized;
    /// The value to capture.
    fn target(&self) -> Option<&Self::Target>;
}

impl<T, E> CaptureOk for &CaptureValue<'_, Result<T, E>> {
    type Target = T;
    fn target(&self) -> Option<&T> {
        self.0.as_ref().ok()
    }
}

impl<T: ?Sized> CaptureAny for CaptureValue<'_, T> {
    type Target = T;
    fn target(&self) -> Option<&T> {
        Some(self.0)
    }
}

/// Records a captured return value as JSON under `key`.
pub fn capture_json<T: ::serde::Serialize + ?Sized>(
    content: &mut Captured,
    key: &'static str,
    value: Option<&T>,
) {
    if let Some(value) = value {
        content.json(key, value);
    }
}

/// A borrowed return value whose error text may become the status description (only when
/// content goes on spans). Called as `(&&ErrorValue(&ret)).capture_error(content)`.
#[derive(Debug)]
pub struct ErrorValue<'a, T: ?Sized>(pub &'a T);

/// Level 1: `Result<T, E: Display>`: the error's text.
pub trait ErrorText {
    /// Keeps the error's text.
    fn capture_error(&self, content: &mut Captured);
}

/// Level 2: anything else: nothing.
pub trait NoErrorText {
    /// Does nothing.
    fn capture_error(&self, content: &mut Captured);
}

impl<T, E: ::core::fmt::Display> ErrorText for &ErrorValue<'_, Result<T, E>> {
    fn capture_error(&self, content: &mut Captured) {
        if let Err(error) = self.0 {
            content.error_text(error);
        }
    }
}

impl<T: ?Sized> NoErrorText for ErrorValue<'_, T> {
    fn capture_error(&self, _content: &mut Captured) {}
}

/// Pushes the model and parameters a `request = …` value reports, leaving out keys given
/// explicitly.
pub fn push_request<T: crate::genai::message::GenAiRequest + ?Sized>(
    attributes: &mut Vec<KeyValue>,
    request: &T,
) {
    let parameters = request.request_parameters();
    let mut add = |key: &'static str, value: Option<Value>| {
        if let Some(value) = value
            && !attributes.iter().any(|kv| kv.key.as_str() == key)
        {
            attributes.push(KeyValue::new(key, value));
        }
    };
    add(
        semconv::GEN_AI_REQUEST_MODEL,
        request
            .request_model()
            .map(|model| Value::from(model.to_owned())),
    );
    add(
        semconv::GEN_AI_REQUEST_TEMPERATURE,
        parameters.temperature.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_TOP_P,
        parameters.top_p.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_TOP_K,
        parameters.top_k.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_MAX_TOKENS,
        parameters.max_tokens.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_SEED,
        parameters.seed.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_FREQUENCY_PENALTY,
        parameters.frequency_penalty.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_PRESENCE_PENALTY,
        parameters.presence_penalty.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_STOP_SEQUENCES,
        strings(parameters.stop_sequences),
    );
    add(
        semconv::GEN_AI_REQUEST_CHOICE_COUNT,
        parameters
            .choice_count
            .filter(|count| *count != 1)
            .map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_STREAM,
        parameters.stream.filter(|stream| *stream).map(Value::from),
    );
    add(
        semconv::GEN_AI_OUTPUT_TYPE,
        parameters.output_type.map(Value::from),
    );
    add(
        semconv::GEN_AI_REQUEST_ENCODING_FORMATS,
        strings(parameters.encoding_formats),
    );
    add(
        semconv::GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
        parameters.dimension_count.map(Value::from),
    );
}

/// A list of strings as a string-array value; empty records nothing.
fn strings<S: Into<StringValue>>(values: Vec<S>) -> Option<Value> {
    (!values.is_empty()).then(|| {
        Value::Array(::opentelemetry::Array::String(
            values.into_iter().map(Into::into).collect(),
        ))
    })
}

/// How many responses the feedback index holds now: a hook for trace-genai's own tests.
#[must_use]
pub fn indexed_responses() -> usize {
    crate::feedback::indexed_responses()
}
