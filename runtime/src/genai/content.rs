//! Whether message content (prompts, completions, tool arguments and results) may be
//! recorded. **Off by default**: content often holds personal data.
//!
//! Precedence, highest first:
//! [`TelemetryBuilder::with_content_capture`](crate::TelemetryBuilder::with_content_capture),
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`,
//! `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`, then [`ContentCapture::NoContent`].

pub(crate) mod truncate;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;

use opentelemetry::logs::AnyValue;
use opentelemetry::trace::SpanContext;
use opentelemetry::{Key, KeyValue};
use serde::Serialize;
use serde_json::Value as Json;

pub use truncate::{SHORT_TRUNCATION_MARKER, TRUNCATION_MARKER};

use crate::genai::message::{
    GenAiRequest, InputMessages, OutputMessages, SystemInstructions, ToolDefinitions,
};
pub use crate::global::DEFAULT_CONTENT_MAX_LENGTH;
use crate::global::{CAPTURE, MAX_LENGTH};
use crate::semconv;

/// Where message content may be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ContentCapture {
    /// Record no content (the default).
    #[default]
    NoContent,
    /// Content as span attributes (`gen_ai.input.messages`, …), as JSON strings.
    SpanOnly,
    /// Content in the `gen_ai.client.inference.operation.details` log event only. The
    /// conventions define that event for inference operations (`chat`,
    /// `text_completion`, `generate_content`): other operations record no content then.
    EventOnly,
    /// Both: content on every span that captures it, and the event for inference
    /// operations.
    SpanAndEvent,
}

impl ContentCapture {
    /// Parses `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: `NO_CONTENT`,
    /// `SPAN_ONLY`, `EVENT_ONLY`, `SPAN_AND_EVENT` (any case), and for compatibility
    /// `true`/`1` (both) and `false`/`0` (none). `None` for anything else.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let is = |name: &str| value.eq_ignore_ascii_case(name);
        if is("NO_CONTENT") || is("false") || is("0") {
            Some(ContentCapture::NoContent)
        } else if is("SPAN_ONLY") {
            Some(ContentCapture::SpanOnly)
        } else if is("EVENT_ONLY") {
            Some(ContentCapture::EventOnly)
        } else if is("SPAN_AND_EVENT") || is("true") || is("1") {
            Some(ContentCapture::SpanAndEvent)
        } else {
            None
        }
    }

    /// Whether content goes on spans.
    #[must_use]
    pub const fn on_spans(self) -> bool {
        matches!(
            self,
            ContentCapture::SpanOnly | ContentCapture::SpanAndEvent
        )
    }

    /// Whether content goes in log events.
    #[must_use]
    pub const fn in_events(self) -> bool {
        matches!(
            self,
            ContentCapture::EventOnly | ContentCapture::SpanAndEvent
        )
    }

    const fn to_u8(self) -> u8 {
        match self {
            ContentCapture::NoContent => 0,
            ContentCapture::SpanOnly => 1,
            ContentCapture::EventOnly => 2,
            ContentCapture::SpanAndEvent => 3,
        }
    }

    const fn from_u8(value: u8) -> Self {
        match value {
            1 => ContentCapture::SpanOnly,
            2 => ContentCapture::EventOnly,
            3 => ContentCapture::SpanAndEvent,
            _ => ContentCapture::NoContent,
        }
    }
}

/// The content capture policy in force (set at install; [`ContentCapture::NoContent`]
/// before).
#[must_use]
pub fn content_capture() -> ContentCapture {
    ContentCapture::from_u8(CAPTURE.load(Ordering::Relaxed))
}

/// Changes the content capture policy at run time, e.g. from an admin endpoint. It applies
/// to spans started afterwards; a function's own `content = …` argument still wins.
pub fn set_content_capture(capture: ContentCapture) {
    CAPTURE.store(capture.to_u8(), Ordering::Relaxed);
}

/// The smallest budget accepted: room for a marked cut.
const MIN_CONTENT_MAX_LENGTH: usize = 64;

/// The budget of one content attribute, in characters.
#[must_use]
pub fn content_max_length() -> usize {
    MAX_LENGTH.load(Ordering::Relaxed)
}

/// `text` cut to the content budget as it is copied (see [`truncate::capped`]).
pub(crate) fn capped(text: &str) -> String {
    truncate::capped(text, content_max_length())
}

/// Sets the budget of one content attribute (at least 64 characters).
pub(crate) fn set_content_max_length(length: usize) {
    MAX_LENGTH.store(length.max(MIN_CONTENT_MAX_LENGTH), Ordering::Relaxed);
}

/// The content of one span, collected while content capture is on for it and recorded
/// when the span ends: on the span as JSON strings, in the
/// `gen_ai.client.inference.operation.details` event as structured values, or both.
///
/// The instrumented function's `capture(...)` list decides what is collected; nothing is
/// converted or serialized when the policy in force is [`ContentCapture::NoContent`],
/// because no `Captured` exists then. A conversion that panics records nothing and does
/// not disturb the function.
#[derive(Debug)]
pub struct Captured {
    policy: ContentCapture,
    values: Vec<(&'static str, Json)>,
    error: Option<String>,
    /// Span attributes repeated on the event.
    event_attributes: Vec<KeyValue>,
}

impl Captured {
    /// Starts collecting for a span of `operation` whose effective policy is `policy`.
    ///
    /// The `gen_ai.client.inference.operation.details` event belongs to inference
    /// operations only (`chat`, `text_completion`, `generate_content`, per the
    /// conventions): for any other span the policy's event half is dropped, so
    /// `SPAN_AND_EVENT` records on the span alone and `EVENT_ONLY` records nothing.
    pub(crate) fn new(
        policy: ContentCapture,
        operation: Option<crate::Operation>,
    ) -> Option<Box<Self>> {
        let inference = operation.is_some_and(crate::Operation::is_inference);
        let policy = match policy {
            ContentCapture::SpanAndEvent if !inference => ContentCapture::SpanOnly,
            ContentCapture::EventOnly if !inference => ContentCapture::NoContent,
            policy => policy,
        };
        (policy != ContentCapture::NoContent).then(|| {
            Box::new(Captured {
                policy,
                values: Vec::new(),
                error: None,
                event_attributes: Vec::new(),
            })
        })
    }

    /// The policy in force for this span.
    #[must_use]
    pub fn policy(&self) -> ContentCapture {
        self.policy
    }

    /// Whether the span attributes should be repeated on the event.
    pub(crate) fn wants_event_attributes(&self) -> bool {
        self.policy.in_events()
    }

    /// Span attributes (operation, provider, model, response, usage) for the event.
    pub(crate) fn note_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        if self.policy.in_events() {
            self.event_attributes.extend(attributes);
        }
    }

    /// `gen_ai.input.messages`.
    pub fn input_messages<T: InputMessages + ?Sized>(&mut self, value: &T) {
        self.guarded(|this| {
            let messages = value.input_messages();
            this.set_json(semconv::GEN_AI_INPUT_MESSAGES, &messages);
        });
    }

    /// `gen_ai.system_instructions`.
    pub fn system_instructions<T: SystemInstructions + ?Sized>(&mut self, value: &T) {
        self.guarded(|this| {
            let parts = value.system_instructions();
            this.set_json(semconv::GEN_AI_SYSTEM_INSTRUCTIONS, &parts);
        });
    }

    /// `gen_ai.tool.definitions`.
    pub fn tool_definitions<T: ToolDefinitions + ?Sized>(&mut self, value: &T) {
        self.guarded(|this| {
            let tools = value.tool_definitions();
            this.set_json(semconv::GEN_AI_TOOL_DEFINITIONS, &tools);
        });
    }

    /// The messages, instructions and tools a request reports.
    pub fn request<T: GenAiRequest + ?Sized>(&mut self, value: &T) {
        self.guarded(|this| {
            this.set_json(semconv::GEN_AI_INPUT_MESSAGES, &value.input_messages());
            this.set_json(
                semconv::GEN_AI_SYSTEM_INSTRUCTIONS,
                &value.system_instructions(),
            );
            this.set_json(semconv::GEN_AI_TOOL_DEFINITIONS, &value.tool_definitions());
        });
    }

    /// `gen_ai.output.messages`, from the return value.
    pub fn output_messages<T: OutputMessages + ?Sized>(&mut self, value: &T) {
        self.guarded(|this| {
            let messages = value.output_messages();
            this.set_json(semconv::GEN_AI_OUTPUT_MESSAGES, &messages);
        });
    }

    /// `gen_ai.tool.call.arguments` from one value (ideally a struct or map).
    pub fn tool_call_arguments<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.json(semconv::GEN_AI_TOOL_CALL_ARGUMENTS, value);
    }

    /// One member of the `gen_ai.tool.call.arguments` object, from a parameter.
    pub fn tool_call_argument<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.guarded(|this| {
            let value = to_json(value);
            let key = semconv::GEN_AI_TOOL_CALL_ARGUMENTS;
            if let Some((_, Json::Object(members))) =
                this.values.iter_mut().find(|(k, _)| *k == key)
            {
                members.insert(name.to_owned(), value);
            } else {
                let mut members = serde_json::Map::new();
                members.insert(name.to_owned(), value);
                this.values.push((key, Json::Object(members)));
            }
        });
    }

    /// `gen_ai.retrieval.query.text`.
    pub fn retrieval_query<T: AsRef<str> + ?Sized>(&mut self, value: &T) {
        self.guarded(|this| {
            this.values.push((
                semconv::GEN_AI_RETRIEVAL_QUERY_TEXT,
                Json::String(capped(value.as_ref())),
            ));
        });
    }

    /// Any serializable value under `key` (`gen_ai.tool.call.result`,
    /// `gen_ai.retrieval.documents`).
    pub fn json<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.guarded(|this| {
            let value = to_json(value);
            this.values.push((key, value));
        });
    }

    /// The error's text, for the span status description (only when content goes on
    /// spans).
    pub fn error_text<T: std::fmt::Display + ?Sized>(&mut self, error: &T) {
        // With an upload hook, content leaves the trace: the error's text too.
        if self.policy.on_spans() && !crate::genai::upload::active() {
            self.guarded(|this| this.error = Some(error.to_string()));
        }
    }

    /// The status description to use instead of the bare one, cut to the budget.
    pub(crate) fn take_error(&mut self) -> Option<String> {
        let mut text = Json::String(self.error.take()?);
        truncate::fit(&mut text, content_max_length());
        if let Some(redaction) = crate::genai::redact::current() {
            crate::genai::boundary::redact_json(&redaction, &mut text);
        }
        match text {
            Json::String(text) => Some(text),
            _ => None,
        }
    }

    /// Serializes a sequence; an empty one records nothing.
    fn set_json<T: Serialize>(&mut self, key: &'static str, items: &[T]) {
        if items.is_empty() {
            return;
        }
        self.values.push((key, to_json(items)));
    }

    fn guarded(&mut self, f: impl FnOnce(&mut Self)) {
        // A user conversion that panics loses its content, nothing else.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| f(self)));
    }

    /// Records the content on the span, before it ends; returns the event to emit after
    /// it ended, if the policy asks for one.
    pub(crate) fn finish(self, span: &mut impl opentelemetry::trace::Span) -> Option<Event> {
        let Captured {
            policy,
            mut values,
            mut event_attributes,
            ..
        } = self;
        if let Some(upload) = crate::genai::upload::current() {
            // Content outside the trace: whole (the store has no span's limits) and
            // redacted in the store, references on the span and on its event.
            let span_context = span.span_context().clone();
            let references: Vec<KeyValue> = values
                .into_iter()
                .filter_map(|(key, value)| {
                    upload.store(
                        &span_context,
                        key,
                        crate::global::UploadContent::Json(value),
                        true,
                    )
                })
                .collect();
            if references.is_empty() {
                return None;
            }
            if !policy.in_events() {
                span.set_attributes(references);
                return None;
            }
            span.set_attributes(references.iter().cloned());
            event_attributes.extend(references);
            return Some(Event {
                span_context,
                attributes: event_attributes,
                values: Vec::new(),
            });
        }
        let limit = content_max_length();
        let redaction = crate::genai::redact::current();
        let mut span_attributes = Vec::with_capacity(values.len());
        for (key, value) in &mut values {
            // The content boundary's rules, applied here for the content trace-genai
            // captured itself: within the budget, then redacted (the event gets the same
            // values).
            let mut text = truncate::fit(value, limit);
            if let Some(redaction) = &redaction
                && crate::genai::boundary::redact_json(redaction, value)
                && !matches!(value, Json::String(_))
            {
                text = value.to_string();
            }
            if policy.on_spans() {
                // Plain strings (a query, a tool's text result) stay plain; structured
                // content becomes JSON text.
                let attribute = match value {
                    Json::String(plain) => plain.clone(),
                    _ => text,
                };
                span_attributes.push(KeyValue::new(*key, attribute));
            }
        }
        if !span_attributes.is_empty() {
            span.set_attributes(span_attributes);
        }
        // The event exists to carry content: none captured, no event.
        (policy.in_events() && !values.is_empty()).then(|| Event {
            span_context: span.span_context().clone(),
            attributes: event_attributes,
            values,
        })
    }
}

/// A `gen_ai.client.inference.operation.details` event waiting for its span to end.
#[derive(Debug)]
pub(crate) struct Event {
    span_context: SpanContext,
    attributes: Vec<KeyValue>,
    values: Vec<(&'static str, Json)>,
}

impl Event {
    /// Emits the event; a panicking log processor loses the event only.
    pub(crate) fn emit(self) {
        let values = self
            .values
            .into_iter()
            .map(|(key, value)| (key, any_from_json(value)))
            .collect();
        super::event::emit(
            semconv::GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
            Some(&self.span_context),
            None,
            self.attributes,
            values,
            None,
        );
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Json {
    serde_json::to_value(value)
        .unwrap_or_else(|error| Json::String(format!("[not serializable: {error}]")))
}

pub(crate) fn any_from_value(value: opentelemetry::Value) -> AnyValue {
    use opentelemetry::{Array, Value};
    match value {
        Value::Bool(value) => AnyValue::Boolean(value),
        Value::I64(value) => AnyValue::Int(value),
        Value::F64(value) => AnyValue::Double(value),
        Value::String(value) => AnyValue::String(value),
        Value::Array(Array::Bool(items)) => items.into_iter().collect(),
        Value::Array(Array::I64(items)) => items.into_iter().collect(),
        Value::Array(Array::F64(items)) => items.into_iter().collect(),
        Value::Array(Array::String(items)) => items.into_iter().collect(),
        other => AnyValue::String(other.to_string().into()),
    }
}

/// A log value as JSON (bytes as `"<N bytes>"`, a non-finite double as its text), for
/// the console's JSON lines and for Azure Monitor, which would flatten maps and lists into
/// unquoted text.
#[cfg(any(feature = "console", feature = "azure-monitor"))]
pub(crate) fn json_from_any(value: &AnyValue) -> Json {
    match value {
        AnyValue::Int(number) => Json::from(*number),
        AnyValue::Double(number) => serde_json::Number::from_f64(*number)
            .map_or_else(|| Json::from(number.to_string()), Json::Number),
        AnyValue::String(text) => Json::from(text.as_str()),
        AnyValue::Boolean(flag) => Json::Bool(*flag),
        AnyValue::ListAny(items) => Json::Array(items.iter().map(json_from_any).collect()),
        AnyValue::Map(map) => Json::Object(
            map.iter()
                .map(|(key, value)| (key.to_string(), json_from_any(value)))
                .collect(),
        ),
        AnyValue::Bytes(bytes) => Json::from(format!("<{} bytes>", bytes.len())),
        _ => Json::Null,
    }
}

/// JSON as a structured log value (`null` becomes the string `null`: `AnyValue` has no
/// empty variant).
fn any_from_json(value: Json) -> AnyValue {
    match value {
        Json::Null => AnyValue::String("null".into()),
        Json::Bool(value) => AnyValue::Boolean(value),
        Json::Number(number) => number.as_i64().map_or_else(
            || AnyValue::Double(number.as_f64().unwrap_or(f64::NAN)),
            AnyValue::Int,
        ),
        Json::String(value) => AnyValue::String(value.into()),
        Json::Array(items) => items.into_iter().map(any_from_json).collect(),
        Json::Object(members) => AnyValue::Map(Box::new(
            members
                .into_iter()
                .map(|(key, value)| (Key::new(key), any_from_json(value)))
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_spelling() {
        for (value, expected) in [
            ("NO_CONTENT", ContentCapture::NoContent),
            ("span_only", ContentCapture::SpanOnly),
            ("Event_Only", ContentCapture::EventOnly),
            ("SPAN_AND_EVENT", ContentCapture::SpanAndEvent),
            ("TRUE", ContentCapture::SpanAndEvent),
            ("1", ContentCapture::SpanAndEvent),
            ("false", ContentCapture::NoContent),
            ("0", ContentCapture::NoContent),
        ] {
            assert_eq!(ContentCapture::parse(value), Some(expected), "{value}");
        }
        assert_eq!(ContentCapture::parse("everything"), None);
        assert!(
            ContentCapture::SpanAndEvent.on_spans() && ContentCapture::SpanAndEvent.in_events()
        );
        assert!(!ContentCapture::EventOnly.on_spans() && !ContentCapture::NoContent.in_events());
    }
}
