//! The content boundary: the one place where the content rules live.
//!
//! Every span, span event and log record passes here before any exporter or processor of
//! the application sees it, whoever produced it:
//! - spans of other instrumentation (the `tracing` bridge, other crates' OpenTelemetry API
//!   spans), in the span processor every destination sits behind
//!   ([`record::recorder::SharedProcessor`](crate::record::recorder));
//! - trace-genai's own spans when something other than trace-genai wrote to them (the
//!   OpenTelemetry API, the bridge's stand-in), as they end; a span only trace-genai wrote
//!   to carries nothing but what its function declared and the content its policy let
//!   through, which [`content_value`] already cut and redacted;
//! - log records of other producers, in the first log processor of the installed logger
//!   provider; trace-genai's own events (content details, feedback, evaluations) are built
//!   by [`genai::event`](crate::genai::event) with the same functions.
//!
//! # The rules
//!
//! | what | examples | without content on | with content on |
//! |---|---|---|---|
//! | content attributes | `gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`, `gen_ai.tool.definitions`, `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`, `gen_ai.retrieval.*` text, `gen_ai.prompt*`, `gen_ai.completion*`, `gen_ai.evaluation.explanation`, `OpenInference` `input.value`/`output.value`/`llm.input_messages*`/`llm.output_messages*` | removed | cut to the budget, redacted |
//! | per-message events of older conventions | `gen_ai.user.message`, `gen_ai.choice`, … | removed | attributes cut, redacted |
//! | error text | `exception.message`, `exception.stacktrace`, `error`, `*.chain`, `error.message`, the status description | removed on GenAI spans | cut, redacted |
//! | third-party log text in GenAI work | a `tracing` event's message (its name) and string fields; any event of another crate's span inside GenAI work | name replaced by the callsite's own name (`name: "…"`) or `[text omitted]`, strings removed; level, numbers, booleans, code location kept | cut, redacted |
//! | ids | `gen_ai.response.id`, `gen_ai.conversation.id`, `gen_ai.tool.call.id` | kept, cut to 256 bytes | the same |
//! | never content | model and operation names, token counts, numbers, booleans, `error.type`, the application's own span attributes | kept | kept |
//!
//! A span is *GenAI work* when it is a `#[trace_genai]` span, carries a `gen_ai.*`
//! attribute, or is a `tracing` span below a `#[trace_genai]` span.

use std::borrow::Cow;

use opentelemetry::trace::{Event, Status};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;

use crate::genai::content::{content_capture, content_max_length, truncate};
use crate::semconv;

/// Set by the `tracing` bridge on a span below a `#[trace_genai]` span: it is GenAI work.
/// Removed here, never exported.
pub(crate) const IN_GENAI_WORK: &str = "trace_genai.in_genai_work";

/// Set by the `tracing` bridge on an event of a target the application trusts
/// ([`TracingOptions::with_trusted_targets`](crate::TracingOptions::with_trusted_targets)):
/// its text is not third-party text. Removed here, never exported.
pub(crate) const TRUSTED: &str = "trace_genai.trusted";

/// Set by the `tracing` bridge on an event whose callsite has a name of its own
/// (`tracing::info!(name: "gen_ai.user.message", …)`; `tracing-opentelemetry` names the
/// event by its message): the name the rules judge the event by, and the one it keeps
/// when its message is omitted. Removed here, never exported.
pub(crate) const EVENT_NAME: &str = "trace_genai.event_name";

/// Set on a `#[trace_genai]` span of the SDK path: whether its own policy (the function's
/// `content = …`, or the one in force) puts content on spans. Removed here.
pub(crate) const CONTENT_ON_SPANS: &str = "trace_genai.content_on_spans";

/// The name a third-party event keeps when its name is free text and content is off.
pub(crate) const TEXT_OMITTED: &str = "[text omitted]";

/// The longest id kept, in bytes.
pub(crate) const MAX_ID_BYTES: usize = 256;

/// What a key holds, for the rules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// An integer (token counts, `max_tokens`, `seed`, `server.port`, …).
    Int,
    /// A double (`temperature`, `top_p`, …).
    Double,
    /// A list of strings (`finish_reasons`, `stop_sequences`).
    Strings,
    /// Message content, prompts, tool arguments and results.
    Content,
    /// The text of an error, which may echo the prompt.
    ErrorText,
    /// An id: kept, within [`MAX_ID_BYTES`].
    Id,
    /// A value that is never content (names, types, vocabulary).
    Safe,
    /// Anything else.
    Other,
}

/// The rules' table: what `key` holds.
pub(crate) fn kind(key: &str) -> Kind {
    match key {
        // An int in the genai-main conventions, a double in v1.41.
        semconv::GEN_AI_REQUEST_TOP_K if semconv::latest_experimental() => Kind::Int,
        semconv::GEN_AI_REQUEST_MAX_TOKENS
        | semconv::GEN_AI_REQUEST_SEED
        | semconv::GEN_AI_REQUEST_CHOICE_COUNT
        | semconv::GEN_AI_EMBEDDINGS_DIMENSION_COUNT
        | semconv::SERVER_PORT => Kind::Int,
        semconv::GEN_AI_REQUEST_TEMPERATURE
        | semconv::GEN_AI_REQUEST_TOP_P
        | semconv::GEN_AI_REQUEST_TOP_K
        | semconv::GEN_AI_REQUEST_FREQUENCY_PENALTY
        | semconv::GEN_AI_REQUEST_PRESENCE_PENALTY
        | semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK
        | semconv::GEN_AI_EVALUATION_SCORE_VALUE => Kind::Double,
        semconv::GEN_AI_RESPONSE_FINISH_REASONS
        | semconv::GEN_AI_REQUEST_STOP_SEQUENCES
        | semconv::GEN_AI_REQUEST_ENCODING_FORMATS => Kind::Strings,
        semconv::GEN_AI_INPUT_MESSAGES
        | semconv::GEN_AI_OUTPUT_MESSAGES
        | semconv::GEN_AI_SYSTEM_INSTRUCTIONS
        | semconv::GEN_AI_TOOL_DEFINITIONS
        | semconv::GEN_AI_TOOL_CALL_ARGUMENTS
        | semconv::GEN_AI_TOOL_CALL_RESULT
        | semconv::GEN_AI_RETRIEVAL_QUERY_TEXT
        | semconv::GEN_AI_RETRIEVAL_DOCUMENTS
        | semconv::GEN_AI_PROMPT
        | semconv::GEN_AI_COMPLETION
        | semconv::GEN_AI_EVALUATION_EXPLANATION
        // OpenInference and Traceloop spellings of the same content.
        | "input.value"
        | "output.value"
        | "llm.prompts"
        | "traceloop.entity.input"
        | "traceloop.entity.output" => Kind::Content,
        semconv::EXCEPTION_MESSAGE
        | "exception.stacktrace"
        | "error"
        | "error.message"
        | "otel.status_description" => Kind::ErrorText,
        semconv::GEN_AI_RESPONSE_ID
        | semconv::GEN_AI_CONVERSATION_ID
        | semconv::GEN_AI_TOOL_CALL_ID
        | "gen_ai.agent.id" => Kind::Id,
        semconv::GEN_AI_PROMPT_NAME
        | semconv::ERROR_TYPE
        | "exception.type"
        | "level"
        | "target" => Kind::Safe,
        _ if key.starts_with("gen_ai.usage.") => Kind::Int,
        _ if key
            .strip_prefix(semconv::GEN_AI_PROMPT)
            .or_else(|| key.strip_prefix(semconv::GEN_AI_COMPLETION))
            .is_some_and(|rest| rest.starts_with('.'))
            || key.starts_with("llm.input_messages")
            || key.starts_with("llm.output_messages") =>
        {
            // `gen_ai.prompt.0.content`, `llm.input_messages.0.message.content`, …
            Kind::Content
        }
        _ if key
            .rsplit_once('.')
            .is_some_and(|(_, last)| last == "chain") =>
        {
            // `error.chain`: the text of an error's sources.
            Kind::ErrorText
        }
        _ if key.starts_with("gen_ai.")
            || key.starts_with("code.")
            || key.starts_with("server.")
            || key.starts_with("mcp.")
            || key.starts_with("jsonrpc.")
            || key.starts_with("network.")
            || key.starts_with("rpc.")
            || key.starts_with("http.request.method")
            || key.starts_with("thread.") =>
        {
            Kind::Safe
        }
        _ => Kind::Other,
    }
}

/// The policy a span, event or record is judged by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// Whether content may stay.
    pub(crate) content: bool,
    /// Whether the span is GenAI work: error text is content there, and other producers'
    /// events are third-party text.
    pub(crate) genai: bool,
    /// Whether content attributes go to the upload hook's store: they are kept as they
    /// are here, for [`upload::divert`](crate::genai::upload::divert) to replace by
    /// references (`content` is false then: nothing else content-like stays).
    pub(crate) upload: bool,
}

impl Rules {
    /// The rules of a span whose policy captures content (`content`): on the span, or,
    /// with an upload hook installed, in its store.
    pub(crate) fn for_span(content: bool, genai: bool) -> Rules {
        let upload = crate::genai::upload::active();
        Rules {
            content: content && !upload,
            genai,
            upload: content && upload,
        }
    }

    /// The same rules for a span event or log record: content stays on neither with an
    /// upload hook (only span attributes are replaced by references).
    fn for_event(self) -> Rules {
        Rules {
            upload: false,
            ..self
        }
    }
}

/// Replaces the content attributes of span `cx` by references to the upload hook's store,
/// when `rules` say so; `submit`: this call queues the uploads (the first span processor).
pub(crate) fn divert(
    rules: Rules,
    attributes: &mut Vec<KeyValue>,
    cx: &opentelemetry::trace::SpanContext,
    submit: bool,
) {
    if !rules.upload {
        return;
    }
    match crate::genai::upload::current() {
        Some(upload) => crate::genai::upload::divert(&upload, attributes, cx, submit),
        // Uninstalled meanwhile: no store, no content.
        None => attributes.retain(|kv| kind(kv.key.as_str()) != Kind::Content),
    }
}

/// Types `kv` as the conventions do, and says whether it stays under `rules`; what stays
/// is within its budget (content) or cap (ids), and redacted when it is content. `third`
/// marks attributes of a third-party event, whose strings are text unless the table says
/// otherwise.
pub(crate) fn attribute(kv: &mut KeyValue, rules: Rules, third: bool) -> bool {
    match kind(kv.key.as_str()) {
        Kind::Content if rules.upload => {
            // Judged by `divert`, which needs the span.
        }
        Kind::Content => {
            if !rules.content {
                return false;
            }
            content_in_place(&mut kv.value);
        }
        Kind::ErrorText if rules.genai || third => {
            if !rules.content {
                return false;
            }
            content_in_place(&mut kv.value);
        }
        Kind::Other if third => {
            if matches!(kv.value, Value::String(_) | Value::Array(Array::String(_))) {
                if !rules.content {
                    return false;
                }
                content_in_place(&mut kv.value);
            }
        }
        Kind::Id => {
            if let Value::String(text) = &kv.value
                && text.as_str().len() > MAX_ID_BYTES
            {
                kv.value = Value::String(cut_bytes(text.as_str(), MAX_ID_BYTES).to_owned().into());
            }
        }
        Kind::Int => {
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
        Kind::Double => {
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
        Kind::Strings => {
            if let Value::String(text) = &kv.value {
                kv.value = Value::Array(Array::String(strings(text.as_str())));
            }
        }
        Kind::ErrorText | Kind::Safe | Kind::Other => {}
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

/// A content value kept: cut to the content budget (JSON stays valid JSON in its schema)
/// and redacted.
fn content_in_place(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(kept) = content_text(text.as_str()) {
                *value = Value::String(kept.into());
            }
        }
        Value::Array(Array::String(items)) => {
            for item in items {
                if let Some(kept) = content_text(item.as_str()) {
                    *item = kept.into();
                }
            }
        }
        _ => {}
    }
}

/// `text`, a content value that stays, within the content budget and redacted; `None`
/// when it stays as it is.
pub(crate) fn content_text(text: &str) -> Option<String> {
    let limit = content_max_length();
    let cut = if text.chars().count() > limit {
        Some(
            match serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .filter(|json| json.is_array() || json.is_object())
            {
                Some(mut json) => truncate::fit(&mut json, limit),
                None => truncate::capped(text, limit),
            },
        )
    } else {
        None
    };
    let current = cut.as_deref().unwrap_or(text);
    match crate::genai::redact::current().map(|redaction| redaction.content(current)) {
        Some(Cow::Owned(redacted)) => Some(redacted),
        _ => cut,
    }
}

/// Redacts the text leaves of a structured content value in place (its JSON stays in the
/// conventions' schema); says whether anything changed.
pub(crate) fn redact_json(
    redaction: &crate::genai::redact::Redaction,
    value: &mut serde_json::Value,
) -> bool {
    match value {
        serde_json::Value::String(text) => match redaction.text(text) {
            Cow::Owned(redacted) => {
                *text = redacted;
                true
            }
            Cow::Borrowed(_) => false,
        },
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            redact_json(redaction, item) | changed
        }),
        serde_json::Value::Object(map) => map.values_mut().fold(false, |changed, item| {
            redact_json(redaction, item) | changed
        }),
        _ => false,
    }
}

/// `text` cut to at most `limit` bytes, on a character boundary.
pub(crate) fn cut_bytes(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether an event name is an identifier (`exception`, `retry`, `cache.hit`,
/// `event src/lib.rs:12`, the name `tracing` gives an event without a message) rather
/// than free text that may carry content (`failed deserialization of: {body}`).
fn is_identifier(name: &str) -> bool {
    let plain = |name: &str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
    };
    plain(name)
        || name.strip_prefix("event ").is_some_and(|location| {
            location.rsplit_once(':').is_some_and(|(file, line)| {
                !file.contains(char::is_whitespace)
                    && !line.is_empty()
                    && line.bytes().all(|b| b.is_ascii_digit())
            })
        })
}

/// Applies the rules to one span event; says whether it stays. `third` marks events of
/// other producers inside GenAI work.
pub(crate) fn event(event: &mut Event, rules: Rules, third: bool) -> bool {
    // The name of a `tracing` event's callsite, when it has one of its own.
    let callsite = event
        .attributes
        .iter()
        .position(|kv| kv.key.as_str() == EVENT_NAME)
        .map(|at| event.attributes.remove(at).value);
    let callsite = match &callsite {
        Some(Value::String(name)) => Some(name.as_str()),
        _ => None,
    };
    let name = callsite.unwrap_or(event.name.as_ref());
    let legacy = semconv::LEGACY_CONTENT_EVENTS.contains(&name)
        || semconv::LEGACY_CONTENT_EVENTS.contains(&event.name.as_ref());
    if legacy && !rules.content {
        return false;
    }
    // A `tracing` event of a target the application trusts: not third-party text.
    let mut third = third;
    if let Some(at) = event
        .attributes
        .iter()
        .position(|kv| kv.key.as_str() == TRUSTED)
    {
        event.attributes.remove(at);
        third = false;
    }
    // The older per-message events are content as a whole.
    let third = third || legacy;
    if third && !is_identifier(event.name.as_ref()) {
        if rules.content {
            if let Some(kept) = content_text(&event.name) {
                event.name = Cow::Owned(kept);
            }
        } else {
            event.name = match callsite {
                Some(name) if is_identifier(name) => Cow::Owned(name.to_owned()),
                _ => Cow::Borrowed(TEXT_OMITTED),
            };
        }
    }
    let rules = rules.for_event();
    event
        .attributes
        .retain_mut(|kv| attribute(kv, rules, third));
    true
}

/// Whether `span` is GenAI work (any `gen_ai.*` attribute, or the bridge's marker).
fn is_genai_work(span: &SpanData) -> bool {
    span.attributes.iter().any(|kv| {
        let key = kv.key.as_str();
        key.starts_with("gen_ai.") || key == IN_GENAI_WORK
    })
}

/// Applies the rules to a span of other instrumentation, with the policy in force;
/// returns whether the span is GenAI work. `first`: the first span processor's call,
/// which queues the uploads of an upload hook.
pub(crate) fn foreign_span(span: &mut SpanData, first: bool) -> bool {
    let genai = is_genai_work(span);
    let rules = Rules::for_span(content_capture().on_spans(), genai);
    span.attributes.retain_mut(|kv| {
        kv.key.as_str() != IN_GENAI_WORK
            && kv.key.as_str() != TRUSTED
            && attribute(kv, rules, false)
    });
    divert(rules, &mut span.attributes, &span.span_context, first);
    span.events.events.retain_mut(|e| event(e, rules, genai));
    status(&mut span.status, rules);
    genai
}

/// Applies the rules to a `#[trace_genai]` span that something other than trace-genai
/// wrote to, with its own policy (`content`: whether it captures content on spans).
pub(crate) fn own_span(span: &mut SpanData, content: bool, first: bool) {
    let rules = Rules::for_span(content, true);
    span.attributes.retain_mut(|kv| attribute(kv, rules, false));
    divert(rules, &mut span.attributes, &span.span_context, first);
    span.events.events.retain_mut(|e| own_event(e, rules));
    status(&mut span.status, rules);
}

/// Applies the rules to an event written to a `#[trace_genai]` span: the application's
/// own through the OpenTelemetry API, or a `tracing` event through the bridge (it carries
/// a `level`), which is third-party text.
pub(crate) fn own_event(e: &mut Event, rules: Rules) -> bool {
    let from_tracing = e.attributes.iter().any(|kv| kv.key.as_str() == "level");
    event(e, rules, from_tracing)
}

/// An own span of the SDK path: its policy marker read and removed, then [`own_span`].
pub(crate) fn own_sdk_span(span: &mut SpanData, first: bool) {
    let mut content = content_capture().on_spans();
    if let Some(at) = span
        .attributes
        .iter()
        .position(|kv| kv.key.as_str() == CONTENT_ON_SPANS)
    {
        content = matches!(span.attributes[at].value, Value::Bool(true));
        span.attributes.remove(at);
    }
    own_span(span, content, first);
}

/// The status description of a `#[trace_genai]` span whose function panicked.
pub(crate) const PANICKED: &str = "the instrumented function panicked";

/// The status description of a `#[trace_genai]` span whose future was dropped.
pub(crate) const CANCELLED: &str = "the future was dropped before it completed";

/// A status description is error text (except trace-genai's own fixed ones).
pub(crate) fn status(status: &mut Status, rules: Rules) {
    if let Status::Error { description } = status
        && !description.is_empty()
        && rules.genai
        && description != PANICKED
        && description != CANCELLED
    {
        if !rules.content {
            *description = Cow::Borrowed("");
        } else if let Some(kept) = content_text(description) {
            *description = Cow::Owned(kept);
        }
    }
}

/// The content boundary of the logs: the first log processor of trace-genai's logger
/// provider, so every processor after it (the destinations' and the application's) sees
/// records only as the rules leave them. trace-genai's own events are built by
/// [`genai::event`](crate::genai::event) under the same rules; records of other
/// producers (an appender wired to [`logger_provider`](crate::logger_provider)) are
/// judged here: content attributes and older per-message events as on spans, and inside
/// a trace (GenAI work) the body and string attributes as third-party text.
#[derive(Debug)]
pub(crate) struct LogBoundary {
    /// The empty record cleaned ones are copied into (an SDK record's attributes cannot be
    /// removed in place; the SDK makes records only through a logger).
    blank: opentelemetry_sdk::logs::SdkLogRecord,
}

impl LogBoundary {
    pub(crate) fn new() -> Self {
        use opentelemetry::logs::{Logger as _, LoggerProvider as _};
        LogBoundary {
            blank: opentelemetry_sdk::logs::SdkLoggerProvider::builder()
                .build()
                .logger("trace-genai")
                .create_log_record(),
        }
    }
}

impl opentelemetry_sdk::logs::LogProcessor for LogBoundary {
    fn emit(
        &self,
        record: &mut opentelemetry_sdk::logs::SdkLogRecord,
        scope: &opentelemetry::InstrumentationScope,
    ) {
        if scope.name() == env!("CARGO_PKG_NAME") {
            return;
        }
        log_record(record, &self.blank);
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(
        &self,
        _timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

/// Applies the rules to a log record of another producer.
fn log_record(
    record: &mut opentelemetry_sdk::logs::SdkLogRecord,
    blank: &opentelemetry_sdk::logs::SdkLogRecord,
) {
    use opentelemetry::logs::{AnyValue, LogRecord as _};
    // With an upload hook, content stays in no log record (only spans carry references).
    let content = content_capture().in_events() && !crate::genai::upload::active();
    let legacy = record
        .event_name()
        .is_some_and(|name| semconv::LEGACY_CONTENT_EVENTS.contains(&name));
    let rules = Rules {
        content,
        genai: true,
        upload: false,
    };
    // Third-party text: inside a trace, or one of the older per-message events.
    let third = legacy || record.trace_context().is_some();
    let mut changed = false;
    let mut attributes = Vec::new();
    for (key, value) in record.attributes_iter() {
        let Some(before) = any_to_value(value) else {
            // A structured value (a map, a list of mixed values): text when it is content
            // or third-party, kept only with content on (whole: no rule cuts inside it).
            if content || (!third && !matches!(kind(key.as_str()), Kind::Content | Kind::ErrorText))
            {
                attributes.push((key.clone(), value.clone()));
            } else {
                changed = true;
            }
            continue;
        };
        let mut kv = KeyValue::new(key.clone(), before.clone());
        if !attribute(&mut kv, rules, third) {
            changed = true;
            continue;
        }
        changed |= kv.value != before;
        attributes.push((key.clone(), crate::genai::content::any_from_value(kv.value)));
    }
    let body = match record.body() {
        Some(_) if third && !content => {
            changed = true;
            None
        }
        Some(AnyValue::String(text)) if third || legacy => match content_text(text.as_str()) {
            Some(kept) => {
                changed = true;
                Some(AnyValue::String(kept.into()))
            }
            None => Some(AnyValue::String(text.clone())),
        },
        Some(body) => Some(body.clone()),
        None => None,
    };
    if !changed {
        return;
    }
    let mut clean = crate::genai::event::copy_without_values(record, blank.clone());
    if let Some(body) = body {
        clean.set_body(body);
    }
    for (key, value) in attributes {
        clean.add_attribute(key, value);
    }
    *record = clean;
}

/// A log attribute as a span attribute value, when it is one.
fn any_to_value(value: &opentelemetry::logs::AnyValue) -> Option<Value> {
    use opentelemetry::logs::AnyValue;
    Some(match value {
        AnyValue::Int(number) => Value::I64(*number),
        AnyValue::Double(number) => Value::F64(*number),
        AnyValue::String(text) => Value::String(text.clone()),
        AnyValue::Boolean(flag) => Value::Bool(*flag),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(content: bool) -> Rules {
        Rules {
            content,
            genai: true,
            upload: false,
        }
    }

    #[test]
    fn numbers_and_lists_that_arrive_as_text_are_typed() {
        let admitted = |key: &'static str, value: Value| {
            let mut kv = KeyValue::new(key, value);
            attribute(&mut kv, rules(false), false).then_some(kv.value)
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
        assert_eq!(
            admitted(semconv::GEN_AI_USAGE_OUTPUT_TOKENS, "many".into()),
            Some(Value::String("many".into()))
        );
    }

    #[test]
    fn content_and_error_text_stay_only_with_content_on() {
        for key in [
            semconv::GEN_AI_INPUT_MESSAGES,
            semconv::GEN_AI_SYSTEM_INSTRUCTIONS,
            semconv::GEN_AI_TOOL_CALL_RESULT,
            semconv::GEN_AI_PROMPT,
            semconv::GEN_AI_COMPLETION,
            semconv::GEN_AI_EVALUATION_EXPLANATION,
            "gen_ai.prompt.0.content",
            "gen_ai.completion.1.content",
            "llm.input_messages.0.message.content",
            "exception.message",
            "exception.stacktrace",
            "error",
            "error.chain",
        ] {
            assert!(
                !attribute(&mut KeyValue::new(key, "secret"), rules(false), false),
                "{key}"
            );
            let mut kept = KeyValue::new(key, "secret");
            assert!(attribute(&mut kept, rules(true), false), "{key}");
            assert_eq!(kept, KeyValue::new(key, "secret"), "{key}");
        }
        // Not content: a prompt template's name, the application's own attribute.
        for key in [semconv::GEN_AI_PROMPT_NAME, "app.city"] {
            assert!(attribute(
                &mut KeyValue::new(key, "greeting"),
                rules(false),
                false
            ));
        }
        // Outside GenAI work, an error's text is the application's business.
        assert!(attribute(
            &mut KeyValue::new("exception.message", "db down"),
            Rules {
                content: false,
                genai: false,
                upload: false
            },
            false
        ));
    }

    #[test]
    fn third_party_events_keep_level_numbers_and_identifier_names() {
        let mut logged = Event::new(
            "failed deserialization of: {\"answer\":\"secret\"}",
            std::time::SystemTime::UNIX_EPOCH,
            vec![
                KeyValue::new("level", "ERROR"),
                KeyValue::new("prompt", "secret"),
                KeyValue::new("attempt", 2_i64),
                KeyValue::new("retry", true),
                KeyValue::new(semconv::GEN_AI_RESPONSE_ID, "x".repeat(1000)),
            ],
            0,
        );
        assert!(event(&mut logged, rules(false), true));
        assert_eq!(logged.name, TEXT_OMITTED);
        assert_eq!(
            logged.attributes,
            [
                KeyValue::new("level", "ERROR"),
                KeyValue::new("attempt", 2_i64),
                KeyValue::new("retry", true),
                KeyValue::new(semconv::GEN_AI_RESPONSE_ID, "x".repeat(MAX_ID_BYTES)),
            ]
        );
        let mut located = Event::new(
            "event src/main.rs:42",
            std::time::SystemTime::UNIX_EPOCH,
            vec![],
            0,
        );
        assert!(event(&mut located, rules(false), true));
        assert_eq!(located.name, "event src/main.rs:42");
        let mut message = Event::new(
            "gen_ai.user.message",
            std::time::SystemTime::UNIX_EPOCH,
            vec![KeyValue::new("content", "secret")],
            0,
        );
        assert!(!event(&mut message, rules(false), false));
        assert!(event(&mut message, rules(true), false));
    }

    #[test]
    fn byte_cuts_fall_on_character_boundaries() {
        assert_eq!(cut_bytes("日本語", 4), "日");
        assert_eq!(cut_bytes("日本語", 9), "日本語");
        assert_eq!(cut_bytes("a😀", 4), "a");
    }
}
