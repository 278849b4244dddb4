//! A langchain-rust agent with a tool, traced by trace-genai: langchain-rust's own
//! `tracing` spans, translated into the GenAI conventions and exported through
//! trace-genai's pipeline with the application's span.
//!
//! ```text
//! cargo run -p trace-genai-examples --features frameworks --example langchain_agent
//! ```
//!
//! The application's `invoke_agent` function runs langchain-rust's OpenAI-tools agent
//! (`OpenAiToolAgentBuilder`, its `OpenAI` LLM on the Chat Completions API, an
//! `AgentExecutor`). The model asks for the `get_weather` tool; langchain runs it and
//! sends the result back; a second model call turns it into the answer. When the program
//! ends, the trace is printed as a tree, followed by the metrics.
//!
//! Telemetry is installed as for any `tracing`-instrumented library: `trace_genai::init()`
//! and the layer of [`trace_genai::Telemetry::tracing_layer`] on a `tracing` subscriber.
//! langchain-rust traces in a vocabulary of its own (`agent.run`, `agent.plan`,
//! `chain.call`, `llm.generate`, `tool.call`); trace-genai exports its model calls as
//! `chat gpt-4o-mini` (kind client, provider, model, token usage, GenAI metrics), its run
//! as `invoke_agent` and its tool as `execute_tool get_weather`. langchain-rust records
//! no prompts or answers on its spans, so there is no message content to export, whatever
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` says; nor does it report the
//! provider's response id, so feedback cannot be tied to one of its model calls.
//!
//! The model is a local stand-in for an OpenAI-compatible server, started by the
//! example on loopback (`trace_genai_examples::openai_stand_in`), so the example needs
//! no network and no API key: point the client at your provider instead and keep the
//! rest.

use std::error::Error;
use std::sync::Arc;

use langchain_rust::agent::{AgentExecutor, OpenAiToolAgent, OpenAiToolAgentBuilder};
use langchain_rust::chain::{Chain as _, ChainError};
use langchain_rust::llm::OpenAIConfig;
use langchain_rust::llm::openai::OpenAI;
use langchain_rust::prompt_args;
use langchain_rust::tools::{FunctionTool, Tool};
use trace_genai::trace_genai;
use trace_genai_examples::openai_stand_in::OpenAiStandIn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The model the agent asks for (the stand-in answers for any).
const MODEL: &str = "gpt-4o-mini";

/// The weather tool the model may call: the model's arguments arrive as JSON.
fn get_weather() -> Arc<dyn Tool> {
    Arc::new(FunctionTool::new(
        "get_weather",
        "The current weather in a city.",
        serde_json::json!({
            "type": "object",
            "properties": { "city": { "type": "string", "description": "The city" } },
            "required": ["city"],
        }),
        |args: serde_json::Value| async move {
            match args["city"].as_str() {
                Some("Paris") => Ok("sunny, 24 °C".to_owned()),
                Some("London") => Ok("rainy, 14 °C".to_owned()),
                other => Err(format!("no weather for {other:?}")),
            }
        },
    ))
}

/// The application's agent entry point: langchain's spans nest under this one.
#[trace_genai(invoke_agent, agent = "weather-agent")]
async fn ask(
    executor: &AgentExecutor<OpenAiToolAgent>,
    question: &str,
) -> Result<String, ChainError> {
    executor.invoke(prompt_args! { "input" => question }).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // A local OpenAI-compatible server: no network, no key.
    let server = OpenAiStandIn::start();

    // Everything from the environment, as in the `agent` example, plus the `tracing`
    // layer that exports langchain's spans with trace-genai's.
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

    // langchain-rust's OpenAI LLM, pointed at the stand-in.
    let llm = OpenAI::default()
        .with_config(
            OpenAIConfig::default()
                .with_api_base(server.base_url())
                .with_api_key("not-needed"),
        )
        .with_model(MODEL);
    let agent = OpenAiToolAgentBuilder::new()
        .prefix("You are a weather assistant. Use the tools to answer.")
        .tools(&[get_weather()])
        .build(llm)?;
    // Up to three steps: the tool call, the answer, and one spare.
    let executor = AgentExecutor::from_agent(agent).with_max_iterations(3);

    let answer = ask(&executor, "What is the weather in Paris?").await?;
    println!("answer: {answer}\n");

    // Flushes every span: the trace tree is printed here.
    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?;
    }
    Ok(())
}
