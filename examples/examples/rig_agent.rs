//! A rig agent with a tool, traced by trace-genai: rig's own `tracing` spans, exported
//! through trace-genai's pipeline with the application's span.
//!
//! ```text
//! cargo run -p trace-genai-examples --features frameworks --example rig_agent
//! OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY \
//!     cargo run -p trace-genai-examples --features frameworks --example rig_agent
//! ```
//!
//! The application's `invoke_agent` function runs a rig agent (rig-agent, with rig-core's
//! OpenAI provider on the Chat Completions API). rig asks the model (`chat`), which
//! requests the `get_weather` tool; rig runs it (`execute_tool`) and sends the result
//! back; a second `chat` turns it into the answer. The user then rates the answer by the
//! response id of the chat completion that produced it. When the program ends, the trace
//! is printed as a tree, followed by the metrics.
//!
//! Telemetry is installed as for any `tracing`-instrumented library: `trace_genai::init()`
//! and the layer of [`trace_genai::Telemetry::tracing_layer`] on a `tracing` subscriber.
//! rig records the message content on its spans (`record_content_telemetry(true)`), and
//! trace-genai's content policy decides what of it is exported: none by default, the
//! prompts, answers and tool data with
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY`.
//!
//! The model is a local stand-in for an OpenAI-compatible server, started by the
//! example on loopback (`trace_genai_examples::openai_stand_in`), so the example needs
//! no network and no API key: point the client at your provider instead and keep the
//! rest.

use std::error::Error;
use std::fmt;

use rig_agent::tool::{Tool, ToolContext};
use rig_agent::{Agent, AgentBuilder};
use rig_core::providers::openai::OpenAIConfig;
use serde::Deserialize;
use trace_genai::trace_genai;
use trace_genai_examples::openai_stand_in::OpenAiStandIn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The model the agent asks for (the stand-in answers for any).
const MODEL: &str = "gpt-4o-mini";

// ---- the tool -----------------------------------------------------------------------

/// The weather tool the model may call.
struct GetWeather;

#[derive(Deserialize)]
struct WeatherArgs {
    city: String,
}

#[derive(Debug)]
struct UnknownCity(String);

impl fmt::Display for UnknownCity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no weather for {}", self.0)
    }
}

impl Error for UnknownCity {}

impl Tool for GetWeather {
    const NAME: &'static str = "get_weather";
    type Args = WeatherArgs;
    type Output = String;
    type Error = UnknownCity;

    fn description(&self) -> String {
        "The current weather in a city.".to_owned()
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "object",
            "properties": { "city": { "type": "string", "description": "The city" } },
            "required": ["city"],
        })
    }

    async fn call(
        &self,
        _context: &mut ToolContext,
        args: WeatherArgs,
    ) -> Result<String, UnknownCity> {
        match args.city.as_str() {
            "Paris" => Ok("sunny, 24 °C".to_owned()),
            "London" => Ok("rainy, 14 °C".to_owned()),
            _ => Err(UnknownCity(args.city)),
        }
    }
}

// ---- the agent ----------------------------------------------------------------------

/// The agent's answer, with the id of the model response it comes from: the application
/// hands it to its client, which sends it back with the user's feedback.
struct Answer {
    text: String,
    response_id: Option<String>,
}

/// The application's agent entry point: rig's spans nest under this one.
#[trace_genai(invoke_agent, agent = "weather-agent")]
async fn ask(agent: &Agent, question: &str) -> Result<Answer, rig_agent::completion::PromptError> {
    // Up to three model calls: the tool call, the answer, and one spare.
    let response = agent.prompt(question).max_turns(3).await?;
    Ok(Answer {
        text: response.output(),
        // rig reports each model call of the run, with the provider's response id.
        response_id: response
            .completion_calls
            .last()
            .and_then(|call| call.response_id.clone()),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // A local OpenAI-compatible server: no network, no key.
    let server = OpenAiStandIn::start();

    // Everything from the environment, as in the `agent` example, plus the `tracing`
    // layer that exports rig's spans with trace-genai's.
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

    // rig-core's OpenAI provider, on the Chat Completions API (`chat`; `completion`
    // would use the Responses API), pointed at the stand-in.
    let model = OpenAIConfig::new("not-needed")
        .with_base_url(server.base_url())
        .client()
        .chat(MODEL);
    let agent = AgentBuilder::new(model)
        .name("weather-agent")
        .preamble("You are a weather assistant. Use the tools to answer.")
        .tool(GetWeather)
        // rig puts the prompts, answers and tool data on its spans; trace-genai's content
        // policy decides what of it is exported (by default, none).
        .record_content_telemetry(true)
        .build();

    let answer = ask(&agent, "What is the weather in Paris?").await?;
    println!("answer: {}\n", answer.text);

    // The user gives the answer a thumbs-up, by the id of the chat completion that
    // produced it.
    let response_id = answer
        .response_id
        .ok_or("the model reported no response id")?;
    trace_genai::record_user_feedback(&response_id, 1.0, Some("just what I needed"))?;

    // Flushes every span: the trace tree is printed here.
    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?;
    }
    Ok(())
}
