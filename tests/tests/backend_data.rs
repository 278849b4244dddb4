//! What real backends need from the data: every output message carries `finish_reason`
//! (Arize Phoenix rejects the span's output without it, `0.finish_reason Field
//! required`), in the conventions' values, while `gen_ai.response.finish_reasons` keeps
//! the provider's own.
//!
//! The other points of the same kind live with their subject: the resource's
//! `service.instance.id` in `telemetry_install.rs`, the details event of inference
//! operations only in `content_capture.rs`.

use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use futures::{Stream, StreamExt as _};
use opentelemetry::{Array, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value as Json, json};
use trace_genai::message::{OutputMessage, Part, Role};
use trace_genai::stream::GenAiChunk;
use trace_genai::{ContentCapture, set_content_capture, trace_genai};
use trace_genai_tests::harness::*;

fn output_messages(span: &SpanData) -> Json {
    match attr(span, "gen_ai.output.messages") {
        Some(Value::String(text)) => serde_json::from_str(text.as_str()).unwrap(),
        other => panic!("gen_ai.output.messages should be JSON text, is {other:?}"),
    }
}

/// Runs `f` with content on spans, then puts the default back.
fn with_content_on_spans<R>(f: impl FnOnce() -> R) -> (R, Spans) {
    capture(|| {
        set_content_capture(ContentCapture::SpanOnly);
        let result = f();
        set_content_capture(ContentCapture::NoContent);
        result
    })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[trace_genai(invoke_agent, agent = "planner", capture(messages = question, output))]
fn plan(question: &str) -> Result<String, std::io::Error> {
    Ok(format!("Plan for {question}"))
}

#[trace_genai(chat, model = "m", capture(output))]
fn answer_without_reason() -> Vec<OutputMessage> {
    vec![OutputMessage::new(
        Role::Assistant,
        vec![Part::text("Rainy.")],
        None,
    )]
}

#[test]
fn output_messages_without_a_finish_reason_record_stop() {
    let ((), spans) = with_content_on_spans(|| {
        plan("Paris").unwrap();
        answer_without_reason();
    });
    // The agent's text answer: what Phoenix rejected.
    assert_eq!(
        output_messages(spans.one("invoke_agent planner")),
        json!([{"role": "assistant", "parts": [{"type": "text", "content": "Plan for Paris"}],
                "finish_reason": "stop"}])
    );
    assert_eq!(
        output_messages(spans.one("chat m"))[0]["finish_reason"],
        "stop"
    );
}

/// A chunk of a provider that reports no finish reason at all, or its own spelling.
struct Delta {
    text: &'static str,
    finish_reason: Option<&'static str>,
}

impl GenAiChunk for Delta {
    fn finish_reasons(&self) -> Vec<&str> {
        self.finish_reason.into_iter().collect()
    }
    fn text(&self) -> Option<&str> {
        Some(self.text)
    }
}

#[derive(Debug)]
struct Broken;

#[trace_genai(chat, model = "s", capture(output))]
async fn stream(
    reason: Option<&'static str>,
    fail: bool,
) -> Result<impl Stream<Item = Result<Delta, Broken>>, Broken> {
    let items = vec![
        Ok(Delta {
            text: "Rain ",
            finish_reason: None,
        }),
        if fail {
            Err(Broken)
        } else {
            Ok(Delta {
                text: "today.",
                finish_reason: reason,
            })
        },
    ];
    Ok(futures::stream::iter(items))
}

fn stream_finish_reason(reason: Option<&'static str>, fail: bool, read: usize) -> Json {
    let ((), spans) = with_content_on_spans(|| {
        block_on(async {
            let mut items = Box::pin(stream(reason, fail).await.unwrap());
            for _ in 0..read {
                items.next().await;
            }
        });
    });
    output_messages(spans.one("chat s"))[0]["finish_reason"].clone()
}

#[test]
fn a_streams_output_message_always_has_a_finish_reason_in_the_conventions_values() {
    // Read to the end, without a reason: it completed.
    assert_eq!(stream_finish_reason(None, false, 3), "stop");
    // Dropped before its end (one chunk of two read): cut.
    assert_eq!(stream_finish_reason(None, false, 1), "error");
    // An error item.
    assert_eq!(stream_finish_reason(None, true, 3), "error");
    // The provider's own spelling becomes the conventions'.
    assert_eq!(
        stream_finish_reason(Some("tool_calls"), false, 3),
        "tool_call"
    );
    assert_eq!(stream_finish_reason(Some("max_tokens"), false, 3), "length");
}

#[trace_genai(chat, provider = "openai", request = req, capture(output))]
fn openai(
    req: &CreateChatCompletionRequest,
) -> Result<CreateChatCompletionResponse, serde_json::Error> {
    let _ = req;
    serde_json::from_value(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}]
    }))
}

#[test]
fn openai_finish_reasons_are_openais_on_the_span_and_the_conventions_in_output_messages() {
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": "gpt-4o", "messages": [{"role": "user", "content": "Weather in Paris?"}]
    }))
    .unwrap();
    let (_, spans) = with_content_on_spans(|| openai(&request).unwrap());
    let span = spans.one("chat gpt-4o");
    assert_attr(
        span,
        "gen_ai.response.finish_reasons",
        Value::Array(Array::String(vec![StringValue::from("tool_calls")])),
    );
    assert_eq!(output_messages(span)[0]["finish_reason"], "tool_call");
}
