//! genai chat calls, plain and streaming, traced by trace-genai: genai's own `tracing`
//! spans (its `otel` feature), exported through trace-genai's pipeline with the
//! application's spans.
//!
//! ```text
//! cargo run -p trace-genai-examples --features frameworks --example genai_chat
//! OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true \
//!     cargo run -p trace-genai-examples --features frameworks --example genai_chat
//! ```
//!
//! The application answers a question twice, each time in an `invoke_agent` function:
//! once with `exec_chat` (one reply), once with `exec_chat_stream` (the reply in chunks,
//! printed as they arrive). genai opens a `chat` span for each call under the
//! application's span; the streaming one stays open until the stream ends. When the
//! program ends, the trace is printed as a tree, followed by the metrics.
//!
//! Telemetry is installed as for any `tracing`-instrumented library: `trace_genai::init()`
//! and the layer of [`trace_genai::Telemetry::tracing_layer`] on a `tracing` subscriber.
//! Message content is off by default. genai reads
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` itself and records the content
//! only for `true` (or `1`, `yes`, `on`), not for `SPAN_ONLY`; `true` is also a value
//! trace-genai's policy understands (content on spans and events).
//!
//! The model is a local stand-in for an OpenAI-compatible server, started by the
//! example on loopback (`trace_genai_examples::openai_stand_in`), so the example needs
//! no network and no API key: point the client at your provider instead and keep the
//! rest.

use std::error::Error;
use std::io::Write as _;

use futures::StreamExt as _;
use genai::adapter::AdapterKind;
use genai::chat::{ChatMessage, ChatOptions, ChatRequest, ChatStreamEvent};
use genai::resolver::{AuthData, Endpoint, ServiceTargetResolver};
use genai::{Client, ModelIden, ServiceTarget};
use trace_genai::trace_genai;
use trace_genai_examples::openai_stand_in::OpenAiStandIn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The model asked for (the stand-in answers for any).
const MODEL: &str = "gpt-4o-mini";

/// A genai client that sends every request to `base_url` with genai's OpenAI adapter
/// (Chat Completions), with a placeholder key.
fn client(base_url: &str) -> Result<Client, genai::Error> {
    // genai joins `chat/completions` to the endpoint: it must end with a slash.
    let endpoint = Endpoint::from_owned(format!("{base_url}/"));
    let resolver = ServiceTargetResolver::from_resolver_fn(
        move |target: ServiceTarget| -> Result<ServiceTarget, genai::resolver::Error> {
            Ok(ServiceTarget {
                endpoint: endpoint.clone(),
                auth: AuthData::from_single("not-needed"),
                model: ModelIden::new(AdapterKind::OpenAI, target.model.model_name),
            })
        },
    );
    Client::builder()
        .with_service_target_resolver(resolver)
        .build()
}

fn request(question: &str) -> ChatRequest {
    ChatRequest::new(vec![
        ChatMessage::system("Answer in one short sentence."),
        ChatMessage::user(question),
    ])
}

/// One question, one reply.
#[trace_genai(invoke_agent, agent = "weather-assistant")]
async fn ask(client: &Client, question: &str) -> Result<String, genai::Error> {
    let response = client.exec_chat(MODEL, request(question), None).await?;
    Ok(response.first_text().unwrap_or_default().to_owned())
}

/// One question, the reply in chunks, printed as they arrive.
#[trace_genai(invoke_agent, agent = "weather-assistant")]
async fn ask_streaming(client: &Client, question: &str) -> Result<String, genai::Error> {
    // Ask for the usage at the end of the stream (`stream_options.include_usage`).
    let options = ChatOptions::default().with_capture_usage(true);
    let mut stream = client
        .exec_chat_stream(MODEL, request(question), Some(&options))
        .await?
        .stream;
    let mut answer = String::new();
    print!("streamed answer: ");
    while let Some(event) = stream.next().await {
        if let ChatStreamEvent::Chunk(chunk) = event? {
            print!("{}", chunk.content);
            // The terminal shows each chunk as it comes; a closed stdout is no error here.
            let _ = std::io::stdout().flush();
            answer.push_str(&chunk.content);
        }
    }
    println!("\n");
    Ok(answer)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // A local OpenAI-compatible server: no network, no key.
    let server = OpenAiStandIn::start();

    // Everything from the environment, as in the `agent` example, plus the `tracing`
    // layer that exports genai's spans with trace-genai's.
    // Telemetry that cannot start (a bad variable, say) is a warning: the app runs without it.
    let telemetry = trace_genai::init()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();
    tracing_subscriber::registry()
        .with(
            telemetry
                .as_ref()
                .and_then(trace_genai::Telemetry::tracing_layer),
        )
        .init();

    let client = client(server.base_url())?;
    let answer = ask(&client, "What is the weather in Paris?").await?;
    println!("answer: {answer}\n");
    ask_streaming(&client, "And now, streamed?").await?;

    // Flushes every span: the trace tree is printed here.
    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?;
    }
    Ok(())
}
