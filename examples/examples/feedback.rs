//! User feedback on an answer, shown under the chat span that produced it.
//!
//! ```text
//! cargo run -p trace-genai-examples --example feedback
//! OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY \
//!     cargo run -p trace-genai-examples --example feedback
//! ```
//!
//! A chat handler answers a question (the model is a local stand-in, no network). Later,
//! in another task, as a web app would when the user clicks thumbs-down, the app records
//! feedback with the answer's response id only. trace-genai finds the span that produced
//! that response, so the console prints the `gen_ai.evaluation.user_feedback` event, and
//! an evaluator's `gen_ai.evaluation.result`, under the chat span. The user's comment is
//! free text, recorded only with content recording on (the second command). Telemetry
//! comes from the environment (`trace_genai::init()`): the console by default.

use trace_genai::feedback::Evaluation;
use trace_genai::{GenAiResponse, Usage, trace_genai};

/// What the chat endpoint returns to the web client.
struct Answer {
    response_id: String,
    text: String,
}

impl GenAiResponse for Answer {
    fn response_id(&self) -> Option<&str> {
        Some(&self.response_id)
    }
    fn response_model(&self) -> Option<&str> {
        Some("demo-llm-1")
    }
    fn finish_reasons(&self) -> Vec<&str> {
        vec!["stop"]
    }
    fn usage(&self) -> Usage {
        Usage::new(21, 9)
    }
}

#[trace_genai(chat, provider = "local_stand_in", model = "demo-llm-1")]
async fn answer(question: &str) -> Answer {
    tokio::task::yield_now().await; // the model call would be here
    Answer {
        response_id: "resp-7f3a".to_owned(),
        text: format!("{question} It is sunny in Lyon."),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Everything from the environment: the console by default.
    // Telemetry that cannot start (a bad variable, say) is a warning: the app runs without it.
    let telemetry = trace_genai::init()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();

    let reply = answer("Weather in Paris?").await;
    println!("answer {}: {}", reply.response_id, reply.text);

    // Later, another task (e.g. the feedback endpoint) knows only the response id.
    let response_id = reply.response_id.clone();
    tokio::spawn(async move {
        trace_genai::record_user_feedback(&response_id, -1.0, Some("wrong city"))?;
        Evaluation::new("groundedness")
            .with_score(0.1)
            .with_label("ungrounded")
            .for_response(&response_id)
            .record()
    })
    .await??;

    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?; // prints the tree, with the feedback under the chat span
    }
    Ok(())
}
