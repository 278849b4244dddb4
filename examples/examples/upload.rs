//! Content outside the trace: the conventions' upload hook writes each call's messages to
//! a store you control, and the spans carry references to them.
//!
//! ```text
//! cargo run -p trace-genai-examples --example upload
//! OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH=file:///var/tmp/genai-content \
//!     cargo run -p trace-genai-examples --example upload
//! ```
//!
//! A chat handler answers a question (the model is a local stand-in, no network). The
//! console tree shows `gen_ai.input.messages_ref` and `gen_ai.output.messages_ref` where
//! the messages would be; the store (a scratch directory unless
//! `OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH` names one; `az://container/prefix` with
//! `AZURE_STORAGE_CONNECTION_STRING` and the feature `upload-azure`) holds them. The app
//! then reads one call's content back by its reference, as a support tool would.

use trace_genai::message::{ChatMessage, OutputMessage};
use trace_genai::opentelemetry;
use trace_genai::opentelemetry::trace::TraceContextExt as _;
use trace_genai::{UploadConfig, trace_genai};

/// The answer, and the span of the call that made it (to find its content later).
struct Answer {
    text: String,
    span: opentelemetry::trace::SpanContext,
}

impl trace_genai::message::OutputMessages for Answer {
    fn output_messages(&self) -> std::borrow::Cow<'_, [OutputMessage]> {
        vec![OutputMessage::assistant(&self.text, "stop")].into()
    }
}

#[trace_genai(
    chat,
    provider = "local_stand_in",
    model = "demo-llm-1",
    capture(messages, output)
)]
fn answer(messages: &[ChatMessage]) -> Answer {
    // The model call would be here.
    Answer {
        text: "It is sunny and 24 °C in Paris.".to_owned(),
        span: opentelemetry::Context::current()
            .span()
            .span_context()
            .clone(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The store from the environment, or a scratch directory (removed at the end).
    let scratch = std::env::temp_dir().join(format!("trace-genai-upload-{}", std::process::id()));
    let base = std::env::var("OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH")
        .unwrap_or_else(|_| format!("file://{}", scratch.display()));
    let mut upload = UploadConfig::new(&base);
    if let Ok(connection_string) = std::env::var("AZURE_STORAGE_CONNECTION_STRING") {
        upload = upload.with_azure_connection_string(connection_string);
    }
    // Telemetry that cannot start is a warning: the app runs without it.
    let telemetry = trace_genai::Telemetry::builder()
        .with_upload(upload)
        .install()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();

    let question = [ChatMessage::user("What is the weather in Paris?")];
    let reply = answer(&question);
    println!("answer: {}", reply.text);

    if let Some(telemetry) = telemetry {
        // The reference the span carries, built from the span the answer came from.
        let reference = trace_genai::upload::reference(&reply.span, "gen_ai.input.messages");
        telemetry.force_flush()?; // the content is in the store now
        if let Some(reference) = reference {
            let messages = trace_genai::upload::fetch(&reference)?;
            println!("content of {reference}:\n{messages:#}");
        }
        telemetry.shutdown()?;
    }
    let _ = std::fs::remove_dir_all(scratch);
    Ok(())
}
