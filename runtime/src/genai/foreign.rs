//! GenAI spans made by other instrumentation (frameworks such as rig and genai through the
//! `tracing` bridge, other crates through the OpenTelemetry API), brought under
//! trace-genai's rules as they are exported: named, kinded and typed as the conventions
//! say, with content only as the policy in force allows, counted in the GenAI metrics and
//! remembered for feedback.
//!
//! trace-genai's own spans never come here: they are built that way, and their metrics
//! and response ids are recorded when they end.

use std::borrow::Cow;

use opentelemetry::trace::{Event, SpanKind, Status};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;

use crate::genai::content::{content_capture, content_max_length, truncate};
use crate::genai::operation::Operation;
use crate::semconv;

/// Set by the `tracing` bridge on a framework's span whose `#[trace_genai]` parent has the
/// same operation (the application's span already counts that call); removed by
/// [`normalize`], never exported.
pub(crate) const COUNTED_BY_PARENT: &str = "trace_genai.counted_by_parent";

/// Whether `span` was made by other instrumentation than trace-genai's own spans (the
/// `tracing` bridge included).
#[inline]
pub(crate) fn is_foreign(span: &SpanData) -> bool {
    span.instrumentation_scope.name() != env!("CARGO_PKG_NAME")
}

/// How a GenAI key's value is typed by the conventions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// An integer (token counts, `max_tokens`, `seed`, `server.port`, …).
    Int,
    /// A double (`temperature`, `top_p`, …).
    Double,
    /// A list of strings (`finish_reasons`, `stop_sequences`).
    Strings,
    /// Message content, prompts, tool arguments and results: kept only under a policy
    /// that records content on spans, and cut to the content budget.
    Content,
    /// Anything else: left as it is.
    Other,
}

fn shape(key: &str) -> Shape {
    match key {
        semconv::GEN_AI_REQUEST_MAX_TOKENS
        | semconv::GEN_AI_REQUEST_SEED
        | semconv::GEN_AI_REQUEST_CHOICE_COUNT
        | semconv::GEN_AI_EMBEDDINGS_DIMENSION_COUNT
        | semconv::SERVER_PORT => Shape::Int,
        semconv::GEN_AI_REQUEST_TEMPERATURE
        | semconv::GEN_AI_REQUEST_TOP_P
        | semconv::GEN_AI_REQUEST_TOP_K
        | semconv::GEN_AI_REQUEST_FREQUENCY_PENALTY
        | semconv::GEN_AI_REQUEST_PRESENCE_PENALTY
        | semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK
        | semconv::GEN_AI_EVALUATION_SCORE_VALUE => Shape::Double,
        semconv::GEN_AI_RESPONSE_FINISH_REASONS | semconv::GEN_AI_REQUEST_STOP_SEQUENCES => {
            Shape::Strings
        }
        semconv::GEN_AI_INPUT_MESSAGES
        | semconv::GEN_AI_OUTPUT_MESSAGES
        | semconv::GEN_AI_SYSTEM_INSTRUCTIONS
        | semconv::GEN_AI_TOOL_DEFINITIONS
        | semconv::GEN_AI_TOOL_CALL_ARGUMENTS
        | semconv::GEN_AI_TOOL_CALL_RESULT
        | semconv::GEN_AI_RETRIEVAL_QUERY_TEXT
        | semconv::GEN_AI_RETRIEVAL_DOCUMENTS
        | semconv::GEN_AI_PROMPT
        | semconv::GEN_AI_COMPLETION => Shape::Content,
        semconv::GEN_AI_PROMPT_NAME => Shape::Other,
        _ if key.starts_with("gen_ai.usage.") => Shape::Int,
        _ if key
            .strip_prefix(semconv::GEN_AI_PROMPT)
            .or_else(|| key.strip_prefix(semconv::GEN_AI_COMPLETION))
            .is_some_and(|rest| rest.starts_with('.')) =>
        {
            // `gen_ai.prompt.0.content`, `gen_ai.completion.0.role`, …
            Shape::Content
        }
        _ => Shape::Other,
    }
}

/// Types `kv` as the conventions do, and says whether it stays: not when it is content the
/// policy in force keeps off spans. Content that is kept is cut to the content budget.
pub(crate) fn admit(kv: &mut KeyValue, content_on_spans: bool) -> bool {
    let key = kv.key.as_str();
    if !key.starts_with("gen_ai.") && key != semconv::SERVER_PORT {
        return true;
    }
    match shape(key) {
        Shape::Other => {}
        Shape::Content if !content_on_spans => return false,
        Shape::Content => {
            if let Value::String(text) = &kv.value {
                kv.value = Value::String(cut(text.as_str()).into());
            }
        }
        Shape::Int => {
            let number = match &kv.value {
                Value::String(text) => text.as_str().trim().parse::<i64>().ok(),
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "a whole number recorded as a double; the fraction is zero"
                )]
                Value::F64(number) if number.fract() == 0.0 => Some(*number as i64),
                _ => None,
            };
            if let Some(number) = number {
                kv.value = Value::I64(number);
            }
        }
        Shape::Double => {
            let number = match &kv.value {
                Value::String(text) => text.as_str().trim().parse::<f64>().ok(),
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "request parameters are small numbers"
                )]
                Value::I64(number) => Some(*number as f64),
                _ => None,
            };
            if let Some(number) = number {
                kv.value = Value::F64(number);
            }
        }
        Shape::Strings => {
            if let Value::String(text) = &kv.value {
                kv.value = Value::Array(Array::String(strings(text.as_str())));
            }
        }
    }
    true
}

/// A list of strings from its JSON text (`["stop"]`), or the text as the one item.
fn strings(text: &str) -> Vec<StringValue> {
    if text.trim_start().starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<String>>(text)
    {
        return items.into_iter().map(StringValue::from).collect();
    }
    vec![StringValue::from(text.to_owned())]
}

/// `text` within the content budget: JSON stays valid JSON (strings shortened, items
/// dropped from the end, with a marker); other text is cut with a marker.
fn cut(text: &str) -> String {
    let limit = content_max_length();
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut json) => truncate::fit(&mut json, limit),
        Err(_) => truncate::capped(text, limit),
    }
}

/// Whether a span event may stay on a span, with its content attributes admitted: the
/// per-message events of older conventions carry content, and go when content stays off
/// spans; an `exception` event of a GenAI span keeps its `exception.message` only when
/// content goes on spans (the error's text may echo the prompt).
pub(crate) fn admit_event(event: &mut Event, content_on_spans: bool, genai: bool) -> bool {
    if !content_on_spans && semconv::LEGACY_CONTENT_EVENTS.contains(&event.name.as_ref()) {
        return false;
    }
    event.attributes.retain_mut(|kv| {
        (content_on_spans || !genai || kv.key.as_str() != semconv::EXCEPTION_MESSAGE)
            && admit(kv, content_on_spans)
    });
    true
}

/// Brings a foreign span under the conventions and the content policy in force:
/// - the name `{operation} {subject}` when it is the bare operation (`chat` →
///   `chat gpt-4o`), and the operation's span kind when it has the default kind;
/// - integer and double types for numeric `gen_ai.*` values that arrive as text, string
///   arrays for finish reasons and stop sequences that arrive as JSON text;
/// - content attributes and per-message events removed unless the policy puts content on
///   spans, and cut to the content budget when it does; on a GenAI span, an error's text
///   (the status description and `exception.message`) too.
///
/// Returns whether the span's metrics are already counted by a `#[trace_genai]` parent of
/// the same operation (then [`observe`] leaves them out).
pub(crate) fn normalize(span: &mut SpanData) -> bool {
    // A span without `gen_ai.*` attributes (an HTTP handler's, a database call's) is not
    // a GenAI span: nothing here applies to it.
    if !span
        .attributes
        .iter()
        .any(|kv| kv.key.as_str().starts_with("gen_ai."))
    {
        return false;
    }
    let on_spans = content_capture().on_spans();
    let mut operation = None;
    let mut counted = false;
    span.attributes.retain_mut(|kv| {
        let key = kv.key.as_str();
        if key == COUNTED_BY_PARENT {
            counted = true;
            return false;
        }
        if key == semconv::GEN_AI_OPERATION_NAME {
            operation = Operation::from_name(kv.value.as_str().as_ref());
        }
        admit(kv, on_spans)
    });
    keep_last_of_each_key(&mut span.attributes);
    span.events
        .events
        .retain_mut(|event| admit_event(event, on_spans, true));
    if !on_spans && let Status::Error { description } = &mut span.status {
        *description = Cow::Borrowed("");
    }
    let Some(operation) = operation else {
        return counted;
    };
    if span.name == operation.as_str()
        && let Some(subject) = string_value(span, operation.subject_key())
        && !subject.is_empty()
    {
        let operation = operation.as_str();
        let mut name = String::with_capacity(operation.len() + 1 + subject.len());
        name.push_str(operation);
        name.push(' ');
        name.push_str(subject);
        span.name = Cow::Owned(name);
    }
    if span.span_kind == SpanKind::Internal {
        span.span_kind = operation.default_kind();
    }
    counted
}

/// Removes all but the last value of each key (a framework may record a key twice, e.g.
/// on its span and again from an inner call; the SDK keeps both).
fn keep_last_of_each_key(attributes: &mut Vec<KeyValue>) {
    let repeated = attributes.iter().enumerate().any(|(i, kv)| {
        attributes[i + 1..]
            .iter()
            .any(|later| later.key.as_str() == kv.key.as_str())
    });
    if !repeated {
        return;
    }
    let mut at = 0;
    let later: Vec<bool> = (0..attributes.len())
        .map(|i| {
            attributes[i + 1..]
                .iter()
                .any(|kv| kv.key == attributes[i].key)
        })
        .collect();
    attributes.retain(|_| {
        let keep = !later[at];
        at += 1;
        keep
    });
}

/// The string value of `key` on `span`.
fn string_value<'a>(span: &'a SpanData, key: &str) -> Option<&'a str> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .and_then(|kv| match &kv.value {
            Value::String(text) => Some(text.as_str()),
            _ => None,
        })
}

/// The integer value of `key` on `span` (once [`normalize`]d).
fn int_value(span: &SpanData, key: &str) -> Option<u64> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .and_then(|kv| match kv.value {
            Value::I64(number) => u64::try_from(number).ok(),
            _ => None,
        })
}

/// Records what trace-genai records for its own GenAI spans, once per span (after
/// [`normalize`]): the operation's duration and token usage in the GenAI metrics (unless
/// `counted` by a parent already), and the response id in the index that parents feedback.
pub(crate) fn observe(span: &SpanData, counted: bool) {
    let Some(operation) =
        string_value(span, semconv::GEN_AI_OPERATION_NAME).and_then(Operation::from_name)
    else {
        return;
    };
    if let Some(response_id) = string_value(span, semconv::GEN_AI_RESPONSE_ID) {
        crate::global::response_index::remember(response_id, &span.span_context);
    }
    if counted {
        return;
    }
    let error_type = string_value(span, semconv::ERROR_TYPE).or(match span.status {
        Status::Error { .. } => Some(semconv::ERROR_TYPE_OTHER),
        _ => None,
    });
    crate::genai::metrics::CallMetrics::record_ended(
        operation,
        &span.attributes,
        span.end_time
            .duration_since(span.start_time)
            .unwrap_or_default(),
        string_value(span, semconv::GEN_AI_RESPONSE_MODEL),
        int_value(span, semconv::GEN_AI_USAGE_INPUT_TOKENS),
        int_value(span, semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
        error_type,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_lists_that_arrive_as_text_are_typed() {
        let admitted = |key: &'static str, value: Value| {
            let mut kv = KeyValue::new(key, value);
            admit(&mut kv, false).then_some(kv.value)
        };
        assert_eq!(
            admitted(semconv::GEN_AI_USAGE_INPUT_TOKENS, "57".into()),
            Some(Value::I64(57))
        );
        assert_eq!(
            admitted("gen_ai.usage.reasoning_tokens", "3".into()),
            Some(Value::I64(3))
        );
        assert_eq!(
            admitted(semconv::GEN_AI_REQUEST_TEMPERATURE, "0.5".into()),
            Some(Value::F64(0.5))
        );
        assert_eq!(
            admitted(semconv::GEN_AI_REQUEST_MAX_TOKENS, Value::F64(256.0)),
            Some(Value::I64(256))
        );
        assert_eq!(
            admitted(semconv::GEN_AI_RESPONSE_FINISH_REASONS, "[\"stop\"]".into()),
            Some(Value::Array(Array::String(vec!["stop".into()])))
        );
        assert_eq!(
            admitted(semconv::GEN_AI_RESPONSE_FINISH_REASONS, "length".into()),
            Some(Value::Array(Array::String(vec!["length".into()])))
        );
        // Text that is not a number stays as it came.
        assert_eq!(
            admitted(semconv::GEN_AI_USAGE_OUTPUT_TOKENS, "many".into()),
            Some(Value::String("many".into()))
        );
    }

    #[test]
    fn content_is_kept_only_on_spans_that_may_carry_it() {
        for key in [
            semconv::GEN_AI_INPUT_MESSAGES,
            semconv::GEN_AI_SYSTEM_INSTRUCTIONS,
            semconv::GEN_AI_TOOL_CALL_RESULT,
            semconv::GEN_AI_PROMPT,
            semconv::GEN_AI_COMPLETION,
            "gen_ai.prompt.0.content",
            "gen_ai.completion.1.content",
        ] {
            assert!(!admit(&mut KeyValue::new(key, "secret"), false), "{key}");
            let mut kept = KeyValue::new(key, "secret");
            assert!(admit(&mut kept, true), "{key}");
            assert_eq!(kept, KeyValue::new(key, "secret"), "{key}");
        }
        // Not content: a prompt template's name.
        assert!(admit(
            &mut KeyValue::new(semconv::GEN_AI_PROMPT_NAME, "greeting"),
            false
        ));
    }

    #[test]
    fn legacy_message_events_and_error_text_follow_the_policy() {
        let mut message = Event::new(
            "gen_ai.user.message",
            std::time::SystemTime::UNIX_EPOCH,
            vec![KeyValue::new("content", "secret")],
            0,
        );
        assert!(!admit_event(&mut message, false, true));
        assert!(admit_event(&mut message, true, true));
        let mut exception = Event::new(
            "exception",
            std::time::SystemTime::UNIX_EPOCH,
            vec![
                KeyValue::new(semconv::EXCEPTION_MESSAGE, "bad prompt: secret"),
                KeyValue::new("exception.type", "ApiError"),
            ],
            0,
        );
        assert!(admit_event(&mut exception, false, true));
        assert_eq!(
            exception.attributes,
            [KeyValue::new("exception.type", "ApiError")]
        );
    }
}
