//! A streamed chat answer printed token by token, then its trace.
//!
//! ```text
//! cargo run -p trace-genai-examples --example streaming
//! OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY \
//!     cargo run -p trace-genai-examples --example streaming
//! ```
//!
//! `stream_answer` returns `impl Stream`: its span starts at the call and ends when the
//! caller has read the last chunk, with the time to the first chunk and the usage of the
//! last chunk. With content recording on (the second command), the span also gets the
//! question and the whole answer text. The "model" is a local stand-in that yields chunks
//! with a small delay, so no network is needed. Telemetry comes from the environment
//! (`trace_genai::init()`): the console by default.

use std::time::Duration;

use futures::{Stream, StreamExt as _};
use trace_genai::stream::GenAiChunk;
use trace_genai::{Usage, trace_genai};

/// One chunk of a streamed answer, as an OpenAI-compatible server sends it.
struct Delta {
    text: &'static str,
    finish_reason: Option<&'static str>,
    usage: Option<Usage>,
}

impl GenAiChunk for Delta {
    fn response_id(&self) -> Option<&str> {
        Some("chatcmpl-stream-1")
    }
    fn response_model(&self) -> Option<&str> {
        Some("demo-llm-1")
    }
    fn finish_reasons(&self) -> Vec<&str> {
        self.finish_reason.into_iter().collect()
    }
    fn usage(&self) -> Usage {
        self.usage.unwrap_or_default()
    }
    fn text(&self) -> Option<&str> {
        Some(self.text)
    }
}

#[derive(Debug)]
struct ModelError;

#[trace_genai(chat, provider = "local_stand_in", model = "demo-llm-1", capture(messages = question, output))]
async fn stream_answer(
    question: &str,
) -> Result<impl Stream<Item = Result<Delta, ModelError>>, ModelError> {
    let _ = question;
    tokio::time::sleep(Duration::from_millis(30)).await; // connecting, queueing
    let words = ["Rain ", "in ", "Paris ", "today, ", "14 °C."];
    let last = words.len() - 1;
    Ok(
        futures::stream::iter(words.into_iter().enumerate()).then(move |(n, text)| async move {
            tokio::time::sleep(Duration::from_millis(10)).await; // generating
            Ok(Delta {
                text,
                finish_reason: (n == last).then_some("stop"),
                usage: (n == last).then_some(Usage::new(12, 5)),
            })
        }),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Everything from the environment: the console by default.
    // Telemetry that cannot start (a bad variable, say) is a warning: the app runs without it.
    let telemetry = trace_genai::init()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();

    let mut answer = Box::pin(
        stream_answer("Weather in Paris?")
            .await
            .map_err(|_| "model error")?,
    );
    print!("answer: ");
    while let Some(delta) = answer.next().await {
        print!("{}", delta.map_err(|_| "model error")?.text);
    }
    println!("\n");
    drop(answer);

    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?; // prints the trace: one span for the whole stream
    }
    Ok(())
}
