//! Streaming responses: one span per call that ends exactly once, when the stream is
//! exhausted, fails, or is dropped; time to first chunk; usage from the last chunk (or
//! what was seen before a drop); the output text with content on; spans made while the
//! stream is polled nest under it.

use std::borrow::Cow;
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use opentelemetry::{Array, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use trace_genai::stream::GenAiChunk;
use trace_genai::{ContentCapture, Usage, set_content_capture, trace_genai};
use trace_genai_tests::harness::*;

/// One streamed piece of an answer: every chunk carries the running output count, the
/// last one also the input count and the finish reason (as providers send them).
#[derive(Debug, Clone)]
struct Chunk {
    index: usize,
    last: bool,
}

impl GenAiChunk for Chunk {
    fn response_id(&self) -> Option<&str> {
        Some("resp-stream")
    }
    fn response_model(&self) -> Option<&str> {
        Some("m-2026")
    }
    fn finish_reasons(&self) -> Vec<&str> {
        if self.last { vec!["stop"] } else { Vec::new() }
    }
    fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.last.then_some(40),
            output_tokens: Some(self.index as u64 + 1),
            ..Usage::default()
        }
    }
    fn text(&self) -> Option<&str> {
        Some(if self.index.is_multiple_of(2) {
            "tick "
        } else {
            "tock "
        })
    }
}

#[derive(Debug)]
struct StreamError;

const CHUNK_GAP: Duration = Duration::from_millis(2);

#[trace_genai]
fn tokenize(chunk: &Chunk) -> usize {
    chunk.index
}

#[trace_genai(chat, provider = "p", model = "m", capture(output))]
async fn chat_stream(
    chunks: usize,
    fail_at: Option<usize>,
) -> Result<impl Stream<Item = Result<Chunk, StreamError>>, StreamError> {
    tokio::time::sleep(CHUNK_GAP).await;
    Ok(
        futures::stream::iter(0..chunks).then(move |index| async move {
            tokio::time::sleep(CHUNK_GAP).await;
            if Some(index) == fail_at {
                return Err(StreamError);
            }
            let chunk = Chunk {
                index,
                last: index + 1 == chunks,
            };
            // Instrumented work done while the stream is polled nests under its span.
            tokenize(&chunk);
            Ok(chunk)
        }),
    )
}

#[trace_genai(chat, model = "m")]
fn refused(refuse: bool) -> Result<impl Stream<Item = Chunk>, StreamError> {
    if refuse {
        return Err(StreamError);
    }
    Ok(futures::stream::empty())
}

fn span_duration(span: &SpanData) -> Duration {
    span.end_time.duration_since(span.start_time).unwrap()
}

fn ttfc(span: &SpanData) -> f64 {
    match attr(span, "gen_ai.response.time_to_first_chunk") {
        Some(Value::F64(seconds)) => *seconds,
        other => panic!("time to first chunk should be a double, is {other:?}"),
    }
}

fn assert_stream_span(span: &SpanData, consumed: u32) {
    assert_attr(span, "gen_ai.request.stream", true);
    assert_attr(span, "gen_ai.response.id", "resp-stream".to_owned());
    assert_attr(span, "gen_ai.response.model", "m-2026".to_owned());
    assert_attr(span, "gen_ai.usage.output_tokens", i64::from(consumed));
    let first = ttfc(span);
    // From the call (which sleeps once) to the first chunk (one more sleep).
    assert!(first >= (2 * CHUNK_GAP).as_secs_f64(), "{first}");
    // The span covers the consumption of every chunk.
    assert!(span_duration(span) >= CHUNK_GAP * (consumed + 1));
    assert!(span_duration(span).as_secs_f64() >= first);
}

#[test]
fn a_fully_consumed_stream_ends_the_span_with_the_last_chunk() {
    let (count, spans) = capture_async(async {
        let stream = chat_stream(10, None).await.unwrap();
        stream.collect::<Vec<_>>().await.len()
    });
    assert_eq!(count, 10);
    let span = spans.one("chat m");
    assert_stream_span(span, 10);
    assert_attr(span, "gen_ai.usage.input_tokens", 40_i64);
    assert_attr(
        span,
        "gen_ai.response.finish_reasons",
        Value::Array(Array::String(vec![StringValue::from("stop")])),
    );
    assert_ok(span);
    // Content is off: nothing accumulated.
    assert_no_attr(span, "gen_ai.output.messages");
    let children = spans.all("tokenize");
    assert_eq!(children.len(), 10);
    for child in children {
        assert_child_of(child, span);
    }
}

#[test]
fn an_error_item_marks_the_span_and_it_ends_with_the_stream() {
    let (items, spans) = capture_async(async {
        let stream = chat_stream(6, Some(3)).await.unwrap();
        stream.collect::<Vec<_>>().await
    });
    assert_eq!(items.len(), 6);
    assert!(items[3].is_err());
    let span = spans.one("chat m");
    assert_error(span, "span_stream::StreamError");
    assert_attr(span, "gen_ai.usage.output_tokens", 6_i64);
    assert!(span_duration(span) >= CHUNK_GAP * 7);
}

#[test]
fn a_stream_dropped_early_ends_the_span_as_cancelled_with_what_was_seen() {
    let ((), spans) = capture_async(async {
        let stream = chat_stream(10, None).await.unwrap();
        let mut stream = Box::pin(stream);
        stream.next().await;
        stream.next().await;
        drop(stream);
    });
    let span = spans.one("chat m");
    assert_error(span, "cancelled");
    assert_stream_span(span, 2);
    assert_no_attr(span, "gen_ai.usage.input_tokens");
    assert_no_attr(span, "gen_ai.response.finish_reasons");
}

#[test]
fn a_stream_never_polled_ends_the_span_when_dropped() {
    let ((), spans) = capture_async(async {
        let stream = chat_stream(10, None).await.unwrap();
        drop(stream);
    });
    let span = spans.one("chat m");
    assert_error(span, "cancelled");
    assert_attr(span, "gen_ai.request.stream", true);
    assert_no_attr(span, "gen_ai.response.time_to_first_chunk");
    assert_no_attr(span, "gen_ai.usage.output_tokens");
}

#[test]
fn an_error_instead_of_a_stream_ends_the_span_at_once() {
    let (result, spans) = capture(|| refused(true).map(|_| ()));
    assert!(result.is_err());
    let span = spans.one("chat m");
    assert_error(span, "span_stream::StreamError");
    assert_attr(span, "gen_ai.request.stream", true);
    assert_no_attr(span, "gen_ai.response.time_to_first_chunk");
}

#[trace_genai(text_completion, model = "local", stream, capture(output))]
fn complete_tokens(words: &'static [&'static str]) -> impl Iterator<Item = Cow<'static, str>> {
    words.iter().map(|word| {
        std::thread::sleep(CHUNK_GAP);
        Cow::Borrowed(*word)
    })
}

#[test]
fn a_sync_iterator_with_content_on_records_the_output_text() {
    let (text, spans) = capture(|| {
        set_content_capture(ContentCapture::SpanOnly);
        let text: String = complete_tokens(&["It ", "is ", "rainy."]).collect();
        set_content_capture(ContentCapture::NoContent);
        text
    });
    assert_eq!(text, "It is rainy.");
    let span = spans.one("text_completion local");
    assert_attr(span, "gen_ai.request.stream", true);
    assert!(ttfc(span) >= CHUNK_GAP.as_secs_f64());
    assert!(span_duration(span) >= CHUNK_GAP * 3);
    assert_ok(span);
    let Some(Value::String(output)) = attr(span, "gen_ai.output.messages") else {
        panic!("output messages missing");
    };
    let output: serde_json::Value = serde_json::from_str(output.as_str()).unwrap();
    assert_eq!(
        output,
        // Read to its end without a finish reason: `stop` (the conventions require one).
        serde_json::json!([{"role": "assistant", "parts": [{"type": "text", "content": "It is rainy."}],
                            "finish_reason": "stop"}])
    );
}

#[test]
fn an_async_stream_with_content_on_accumulates_the_chunks_text() {
    let (_, spans) = capture_async(async {
        set_content_capture(ContentCapture::SpanOnly);
        let stream = chat_stream(3, None).await.unwrap();
        let items = stream.collect::<Vec<_>>().await;
        set_content_capture(ContentCapture::NoContent);
        items
    });
    let span = spans.one("chat m");
    let Some(Value::String(output)) = attr(span, "gen_ai.output.messages") else {
        panic!("output messages missing");
    };
    let output: serde_json::Value = serde_json::from_str(output.as_str()).unwrap();
    assert_eq!(output[0]["parts"][0]["content"], "tick tock tick ");
    assert_eq!(output[0]["finish_reason"], "stop");
}

/// A boxed stream, flagged, as async-openai's `ChatCompletionResponseStream` is.
type BoxedChunks = std::pin::Pin<Box<dyn Stream<Item = Result<Chunk, StreamError>> + Send>>;

#[trace_genai(chat, model = "boxed", stream)]
async fn boxed_stream() -> Result<BoxedChunks, StreamError> {
    Ok(Box::pin(futures::stream::iter(vec![
        Ok(Chunk {
            index: 0,
            last: false,
        }),
        Ok(Chunk {
            index: 1,
            last: true,
        }),
    ])))
}

#[test]
fn a_flagged_boxed_stream() {
    let (count, spans) = capture_async(async {
        boxed_stream()
            .await
            .unwrap()
            .collect::<Vec<_>>()
            .await
            .len()
    });
    assert_eq!(count, 2);
    let span = spans.one("chat boxed");
    assert_attr(span, "gen_ai.usage.output_tokens", 2_i64);
    assert_attr(span, "gen_ai.usage.input_tokens", 40_i64);
    assert_ok(span);
}
