//! A travel agent that answers a weather question, traced to the console.
//!
//! ```text
//! cargo run -p trace-genai-examples --example agent
//! OTEL_SERVICE_NAME=travel-agent OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 \
//!     cargo run -p trace-genai-examples --example agent
//! ```
//!
//! The agent (`invoke_agent`) asks a chat model (`chat`), which requests a tool call; the
//! tool runs (`execute_tool`); a second chat turns the tool result into the answer. When
//! the program ends, the trace is printed as a tree.
//!
//! The "model" is a small deterministic **local stand-in** (`LocalModel`), so the example
//! needs no network and no API key. It sits behind the same kind of client function a
//! real application would have: swap `LocalModel::complete` for a call to your provider
//! and keep the attribute.

use std::borrow::Cow;
use std::fmt;

use trace_genai::trace_genai;

// ---- the model client ---------------------------------------------------------------

/// A chat request, as a real client would build it.
#[derive(Debug, Clone)]
struct ChatRequest {
    model: String,
    temperature: f64,
    max_tokens: u32,
    messages: Vec<Message>,
}

#[derive(Debug, Clone)]
enum Message {
    User(String),
    ToolCall(ToolCall),
    ToolResult { call_id: String, content: String },
}

#[derive(Debug, Clone)]
struct ToolCall {
    id: String,
    name: String,
    city: String,
}

#[derive(Debug)]
enum ChatResponse {
    /// The model wants a tool to run first.
    ToolCall(ToolCall),
    /// The final answer.
    Text(String),
}

#[derive(Debug)]
enum ModelError {
    ContextLengthExceeded,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("context length exceeded")
    }
}

impl std::error::Error for ModelError {}

impl trace_genai::ErrorType for ModelError {
    fn error_type(&self) -> Cow<'static, str> {
        match self {
            ModelError::ContextLengthExceeded => "context_length_exceeded".into(),
        }
    }
}

/// A deterministic local stand-in for a chat model: it asks for the weather tool when
/// the question mentions the weather, and answers from the tool result once it has one.
struct LocalModel;

impl LocalModel {
    #[trace_genai(
        chat,
        provider = "local_stand_in",
        model = req.model.as_str(),
        temperature = req.temperature,
        max_tokens = req.max_tokens,
        server_address = "localhost",
    )]
    async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, ModelError> {
        // Pretend to wait for the network.
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        if req.messages.len() > 16 {
            return Err(ModelError::ContextLengthExceeded);
        }
        let tool_result = req.messages.iter().find_map(|message| match message {
            Message::ToolResult { call_id, content } => req
                .messages
                .iter()
                .any(|m| matches!(m, Message::ToolCall(call) if call.id == *call_id))
                .then(|| content.clone()),
            _ => None,
        });
        if let Some(weather) = tool_result {
            return Ok(ChatResponse::Text(format!("Good news: it is {weather}.")));
        }
        let question = req.messages.iter().find_map(|message| match message {
            Message::User(text) => Some(text.as_str()),
            _ => None,
        });
        match question {
            Some(question) if question.contains("weather") => {
                let city = question
                    .trim_end_matches('?')
                    .rsplit(' ')
                    .next()
                    .unwrap_or("Paris");
                Ok(ChatResponse::ToolCall(ToolCall {
                    id: "call_1".to_owned(),
                    name: "get_weather".to_owned(),
                    city: city.to_owned(),
                }))
            }
            _ => Ok(ChatResponse::Text(
                "I can only talk about the weather.".to_owned(),
            )),
        }
    }
}

// ---- the tool -----------------------------------------------------------------------

#[derive(Debug)]
struct UnknownCity;

#[trace_genai(execute_tool, tool = "get_weather", tool_type = "function", tool_call_id = call.id.as_str())]
fn get_weather(call: &ToolCall) -> Result<String, UnknownCity> {
    // Anything the function learns can go on its span.
    trace_genai::current_span::set_attribute(trace_genai::KeyValue::new(
        "app.weather.city",
        call.city.clone(),
    ));
    match call.city.as_str() {
        "Paris" => Ok("sunny and 24 °C in Paris".to_owned()),
        "London" => Ok("rainy and 14 °C in London".to_owned()),
        _ => Err(UnknownCity),
    }
}

// ---- the agent ----------------------------------------------------------------------

struct Agent {
    name: String,
    model: LocalModel,
    conversation_id: String,
}

impl Agent {
    #[trace_genai(invoke_agent, agent = self.name.as_str(), conversation_id = self.conversation_id.as_str())]
    async fn run(&mut self, question: &str) -> Result<String, ModelError> {
        let mut request = ChatRequest {
            model: "demo-llm-1".to_owned(),
            temperature: 0.2,
            max_tokens: 256,
            messages: vec![Message::User(question.to_owned())],
        };
        loop {
            match self.model.complete(&request).await? {
                ChatResponse::Text(answer) => return Ok(answer),
                ChatResponse::ToolCall(call) => {
                    let content = match call.name.as_str() {
                        "get_weather" => get_weather(&call)
                            .unwrap_or_else(|UnknownCity| "unknown weather".to_owned()),
                        _ => "unknown tool".to_owned(),
                    };
                    let call_id = call.id.clone();
                    request.messages.push(Message::ToolCall(call));
                    request
                        .messages
                        .push(Message::ToolResult { call_id, content });
                }
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Everything from the environment: the console by default; OTEL_EXPORTER_OTLP_ENDPOINT
    // or APPLICATIONINSIGHTS_CONNECTION_STRING send the same trace to a collector or to
    // Azure Monitor, without touching the code.
    let telemetry = trace_genai::init()?;

    let mut agent = Agent {
        name: "travel-planner".to_owned(),
        model: LocalModel,
        conversation_id: "conv-42".to_owned(),
    };
    let answer = agent.run("What is the weather in Paris?").await?;
    println!("answer: {answer}\n");

    // Flushes every span: the trace tree is printed here.
    telemetry.shutdown()?;
    Ok(())
}
