//! GenAI spans made by other instrumentation (frameworks such as rig and genai through the
//! `tracing` bridge, other crates through the OpenTelemetry API), brought under
//! trace-genai's rules as they are exported: named, kinded and typed as the conventions
//! say, with content only as the policy in force allows, counted in the GenAI metrics and
//! remembered for feedback.
//!
//! trace-genai's own spans never come here: they are built that way, and their metrics
//! and response ids are recorded when they end.

use std::borrow::Cow;

use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;

use crate::genai::operation::Operation;
use crate::genai::response::Usage;
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

/// Brings a foreign span under the conventions and the content policy in force:
/// - the name `{operation} {subject}` when it is the bare operation (`chat` →
///   `chat gpt-4o`), and the operation's span kind when it has the default kind;
/// - integer and double types for numeric `gen_ai.*` values that arrive as text, string
///   arrays for finish reasons and stop sequences that arrive as JSON text;
/// - the content rules of [`genai::boundary`](crate::genai::boundary), which run first,
///   for every span.
///
/// Returns whether the span's metrics are already counted by a `#[trace_genai]` parent of
/// the same operation (then [`observe`] leaves them out).
pub(crate) fn normalize(span: &mut SpanData, first: bool) -> bool {
    // The content rules apply to every span (`genai::boundary`); the rest only to GenAI
    // spans, not to an HTTP handler's or a database call's, and to the spans of a
    // framework whose own vocabulary maps to the conventions ([`VOCABULARIES`]).
    // Translated first (an `error` field marks the span failed before the content rules
    // judge its text), then the content rules run on what it became.
    let translated = translate(span);
    if !crate::genai::boundary::foreign_span(span, first) && !translated {
        return false;
    }
    let mut operation = None;
    let mut counted = false;
    span.attributes.retain(|kv| {
        let key = kv.key.as_str();
        if key == COUNTED_BY_PARENT {
            counted = true;
            return false;
        }
        if key == semconv::GEN_AI_OPERATION_NAME {
            operation = Operation::from_name(kv.value.as_str().as_ref());
        }
        true
    });
    keep_last_of_each_key(&mut span.attributes);
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

/// A framework's span in its own vocabulary, and what it is in the conventions.
struct Vocabulary {
    /// The framework's span names.
    spans: &'static [&'static str],
    /// Fields the span must have to be this framework's (names alone are too common).
    requires: &'static [&'static str],
    /// The GenAI operation it is.
    operation: Operation,
    /// Its fields and the conventions' keys they become; other fields stay as they are
    /// (and pass the content rules like any other attribute).
    keys: &'static [(&'static str, &'static str, Type)],
}

/// The type a translated value is recorded as.
#[derive(Clone, Copy)]
enum Type {
    Str,
    Int,
    Bool,
}

/// The frameworks that trace with a vocabulary of their own. Adding one is an entry here.
const VOCABULARIES: &[Vocabulary] = &[
    // langchain-rust 7 (`observability.rs`: "span names and fields are part of the public
    // surface"): `llm.generate`, `embed.documents` / `embed.query`, `agent.run`,
    // `tool.call`. It records no prompts on spans.
    Vocabulary {
        spans: &["llm.generate"],
        requires: &["provider", "model"],
        operation: Operation::Chat,
        keys: &[
            ("provider", semconv::GEN_AI_PROVIDER_NAME, Type::Str),
            ("model", semconv::GEN_AI_REQUEST_MODEL, Type::Str),
            ("stream", semconv::GEN_AI_REQUEST_STREAM, Type::Bool),
            (
                "prompt_tokens",
                semconv::GEN_AI_USAGE_INPUT_TOKENS,
                Type::Int,
            ),
            (
                "completion_tokens",
                semconv::GEN_AI_USAGE_OUTPUT_TOKENS,
                Type::Int,
            ),
        ],
    },
    Vocabulary {
        spans: &["embed.documents", "embed.query"],
        requires: &["provider", "model"],
        operation: Operation::Embeddings,
        keys: &[
            ("provider", semconv::GEN_AI_PROVIDER_NAME, Type::Str),
            ("model", semconv::GEN_AI_REQUEST_MODEL, Type::Str),
        ],
    },
    Vocabulary {
        spans: &["agent.run"],
        requires: &["max_iterations"],
        operation: Operation::InvokeAgent,
        keys: &[],
    },
    Vocabulary {
        spans: &["tool.call"],
        requires: &["tool"],
        operation: Operation::ExecuteTool,
        keys: &[("tool", semconv::GEN_AI_TOOL_NAME, Type::Str)],
    },
];

/// The entry of [`VOCABULARIES`] a span named `name` with `attributes` is in.
fn vocabulary_of(name: &str, attributes: &[KeyValue]) -> Option<&'static Vocabulary> {
    VOCABULARIES.iter().find(|vocabulary| {
        vocabulary.spans.contains(&name)
            && vocabulary
                .requires
                .iter()
                .all(|field| attributes.iter().any(|kv| kv.key.as_str() == *field))
    })
}

/// The GenAI operation a framework's span in its own vocabulary is (what [`translate`]
/// will make it), from its name and its attributes as it starts; `None` for any other
/// span, and for one that speaks the conventions already.
#[cfg(feature = "tracing")]
pub(crate) fn vocabulary_operation(name: &str, attributes: &[KeyValue]) -> Option<Operation> {
    if attributes
        .iter()
        .any(|kv| kv.key.as_str() == semconv::GEN_AI_OPERATION_NAME)
    {
        return None;
    }
    vocabulary_of(name, attributes).map(|vocabulary| vocabulary.operation)
}

/// Translates a span of a framework in [`VOCABULARIES`] into the conventions: its
/// operation, its keys and their types, and the bare operation as its name (which
/// [`normalize`] completes). An `error` field marks the span failed. Returns whether it
/// did.
fn translate(span: &mut SpanData) -> bool {
    let Some(vocabulary) = vocabulary_of(&span.name, &span.attributes) else {
        return false;
    };
    if span
        .attributes
        .iter()
        .any(|kv| kv.key.as_str() == semconv::GEN_AI_OPERATION_NAME)
    {
        // The framework speaks the conventions already.
        return false;
    }
    let mut failed = false;
    for kv in &mut span.attributes {
        if kv.key.as_str() == "error" {
            failed = true;
        }
        let Some((_, key, ty)) = vocabulary
            .keys
            .iter()
            .find(|(field, _, _)| kv.key.as_str() == *field)
        else {
            continue;
        };
        let text = match &kv.value {
            Value::String(text) => Some(text.as_str().trim().to_owned()),
            _ => None,
        };
        let value = match (ty, &kv.value, text.as_deref()) {
            (Type::Int, Value::I64(_), _) | (Type::Bool, Value::Bool(_), _) => kv.value.clone(),
            (Type::Int, _, Some(text)) => match text.parse::<i64>() {
                Ok(number) => Value::I64(number),
                Err(_) => kv.value.clone(),
            },
            (Type::Bool, _, Some("true")) => Value::Bool(true),
            (Type::Bool, _, Some("false")) => Value::Bool(false),
            _ => kv.value.clone(),
        };
        *kv = KeyValue::new(*key, value);
    }
    // `stream = false` is the conventions' absence of `gen_ai.request.stream`.
    span.attributes.retain(|kv| {
        !(kv.key.as_str() == semconv::GEN_AI_REQUEST_STREAM && kv.value == Value::Bool(false))
    });
    span.attributes.push(KeyValue::new(
        semconv::GEN_AI_OPERATION_NAME,
        vocabulary.operation.as_str(),
    ));
    if failed {
        if !matches!(span.status, Status::Error { .. }) {
            span.status = Status::error("");
        }
        if !span
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == semconv::ERROR_TYPE)
        {
            span.attributes.push(KeyValue::new(
                semconv::ERROR_TYPE,
                semconv::ERROR_TYPE_OTHER,
            ));
        }
    }
    span.name = Cow::Borrowed(vocabulary.operation.as_str());
    true
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

/// The token usage `span` reports (once [`normalize`]d).
fn usage_of(span: &SpanData) -> Usage {
    Usage {
        input_tokens: int_value(span, semconv::GEN_AI_USAGE_INPUT_TOKENS),
        output_tokens: int_value(span, semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
        cache_read_input_tokens: int_value(span, semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
        cache_write_input_tokens: int_value(
            span,
            semconv::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        )
        .or_else(|| int_value(span, semconv::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS)),
        reasoning_output_tokens: int_value(span, semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
    }
}

/// The string-array value of `key` on `span` (once [`normalize`]d).
fn strings_value<'a>(span: &'a SpanData, key: &str) -> Vec<&'a str> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| match &kv.value {
            Value::Array(opentelemetry::Array::String(values)) => values
                .iter()
                .map(opentelemetry::StringValue::as_str)
                .collect(),
            Value::String(value) => vec![value.as_str()],
            _ => Vec::new(),
        })
        .unwrap_or_default()
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
    let operation =
        string_value(span, semconv::GEN_AI_OPERATION_NAME).and_then(Operation::from_name);
    let rollup = if crate::genai::rollup::any_open() {
        crate::genai::rollup::foreign_ended(span.span_context.span_id())
    } else {
        None
    };
    if let Some(rollup) = &rollup
        && !counted
        && operation.is_some_and(crate::genai::rollup::is_model_call)
    {
        // A model call inside an agent or workflow span: its outcome adds to the agent's.
        rollup.add(&crate::genai::rollup::Call {
            usage: usage_of(span),
            finish_reasons: strings_value(span, semconv::GEN_AI_RESPONSE_FINISH_REASONS),
            provider: string_value(span, semconv::GEN_AI_PROVIDER_NAME),
        });
    }
    let Some(operation) = operation else {
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
    // A tool inside an agent: its duration takes the provider of the agent's model calls.
    let provider = rollup
        .filter(|_| {
            operation == Operation::ExecuteTool
                && string_value(span, semconv::GEN_AI_PROVIDER_NAME).is_none()
        })
        .and_then(|rollup| rollup.provider());
    crate::genai::metrics::CallMetrics::record_ended(
        operation,
        &span.attributes,
        provider,
        span.end_time
            .duration_since(span.start_time)
            .unwrap_or_default(),
        string_value(span, semconv::GEN_AI_RESPONSE_MODEL),
        &usage_of(span),
        error_type,
    );
}
