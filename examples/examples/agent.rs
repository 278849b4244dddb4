//! A travel agent that answers a weather question, traced to the console: the tour of
//! trace-genai.
//!
//! ```text
//! cargo run -p trace-genai-examples --example agent
//! OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY \
//!     cargo run -p trace-genai-examples --example agent
//! OTEL_SERVICE_NAME=travel-agent OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 \
//!     cargo run -p trace-genai-examples --example agent
//! ```
//!
//! The agent (`invoke_agent`) asks a chat model (`chat`), which requests a tool call; the
//! tool runs (`execute_tool`); a second chat turns the tool result into the answer, and
//! the user rates it (`gen_ai.evaluation.user_feedback`, under the chat span that
//! produced the answer). When the program ends, the trace is printed as a tree, followed
//! by the metrics: durations and the chat calls' token usage.
//!
//! Message content is off by default. Each function declares with `capture(...)` what may
//! be recorded; `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY` then puts
//! the prompts, completions, tool arguments and results (and the feedback's comment) on
//! the spans, without a change to the code.
//!
//! The "model" is a small deterministic **local stand-in** (`LocalModel`), so the example
//! needs no network and no API key. It sits behind the same kind of client function a
//! real application would have: swap `LocalModel::complete` for a call to your provider
//! and keep the attribute.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use trace_genai::message::{
    ChatMessage, InputMessages, OutputMessage, OutputMessages, Part, Role,
    conventions_finish_reason,
};
use trace_genai::{GenAiResponse, Usage, trace_genai};

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

impl ToolCall {
    /// The call's arguments, as the model sends them.
    fn arguments(&self) -> serde_json::Value {
        serde_json::json!({ "city": self.city })
    }
}

/// A chat response: what the model said, and what it reports about the call.
#[derive(Debug)]
struct ChatResponse {
    id: String,
    model: String,
    reply: Reply,
    usage: Usage,
}

#[derive(Debug)]
enum Reply {
    /// The model wants a tool to run first.
    ToolCall(ToolCall),
    /// The final answer.
    Text(String),
}

impl ChatResponse {
    /// The stand-in's finish reason, in the OpenAI spelling it imitates.
    fn finish_reason(&self) -> &'static str {
        match self.reply {
            Reply::ToolCall(_) => "tool_calls",
            Reply::Text(_) => "stop",
        }
    }
}

/// Id, model, finish reasons and token usage go on the chat span (and the usage into the
/// `gen_ai.client.token.usage` metric), with content recording on or off.
impl GenAiResponse for ChatResponse {
    fn response_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn response_model(&self) -> Option<&str> {
        Some(&self.model)
    }
    fn finish_reasons(&self) -> Vec<&str> {
        vec![self.finish_reason()]
    }
    fn usage(&self) -> Usage {
        self.usage
    }
}

/// The request's messages in the conventions' schema, for `capture(messages = req)`:
/// converted only when content recording is on.
impl InputMessages for ChatRequest {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        Cow::Owned(
            self.messages
                .iter()
                .map(|message| match message {
                    Message::User(text) => ChatMessage::user(text.clone()),
                    Message::ToolCall(call) => ChatMessage::assistant_parts(vec![Part::tool_call(
                        call.id.clone(),
                        call.name.clone(),
                        call.arguments(),
                    )]),
                    Message::ToolResult { call_id, content } => {
                        ChatMessage::tool_response(call_id.clone(), content.clone())
                    }
                })
                .collect(),
        )
    }
}

/// The reply in the conventions' schema, for `capture(output)`.
impl OutputMessages for ChatResponse {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        let part = match &self.reply {
            Reply::ToolCall(call) => {
                Part::tool_call(call.id.clone(), call.name.clone(), call.arguments())
            }
            Reply::Text(text) => Part::text(text.clone()),
        };
        // The conventions' value (`tool_call`), where the span keeps the provider's own.
        let finish_reason = conventions_finish_reason(self.finish_reason()).to_owned();
        Cow::Owned(vec![OutputMessage::new(
            Role::Assistant,
            vec![part],
            Some(finish_reason),
        )])
    }
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

/// The stand-in's tokenizer: one token per word.
fn tokens(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// A deterministic local stand-in for a chat model: it asks for the weather tool when
/// the question mentions the weather, and answers from the tool result once it has one.
#[derive(Default)]
struct LocalModel {
    calls: AtomicU32,
}

impl LocalModel {
    #[trace_genai(
        chat,
        provider = "local_stand_in",
        model = req.model.as_str(),
        temperature = req.temperature,
        max_tokens = req.max_tokens,
        server_address = "localhost",
        capture(messages = req, output),
    )]
    async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, ModelError> {
        // Pretend to wait for the network.
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        if req.messages.len() > 16 {
            return Err(ModelError::ContextLengthExceeded);
        }
        let reply = Self::reply(req);
        let input_tokens = req
            .messages
            .iter()
            .map(|message| match message {
                Message::User(text) | Message::ToolResult { content: text, .. } => tokens(text),
                Message::ToolCall(call) => tokens(&call.arguments().to_string()),
            })
            .sum();
        let output_tokens = match &reply {
            Reply::ToolCall(call) => tokens(&call.arguments().to_string()),
            Reply::Text(text) => tokens(text),
        };
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(ChatResponse {
            id: format!("resp-{call}"),
            model: req.model.clone(),
            reply,
            usage: Usage::new(input_tokens, output_tokens),
        })
    }

    fn reply(req: &ChatRequest) -> Reply {
        let tool_result = req.messages.iter().find_map(|message| match message {
            Message::ToolResult { call_id, content } => req
                .messages
                .iter()
                .any(|m| matches!(m, Message::ToolCall(call) if call.id == *call_id))
                .then(|| content.clone()),
            _ => None,
        });
        if let Some(weather) = tool_result {
            return Reply::Text(format!("Good news: it is {weather}."));
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
                Reply::ToolCall(ToolCall {
                    id: "call_1".to_owned(),
                    name: "get_weather".to_owned(),
                    city: city.to_owned(),
                })
            }
            _ => Reply::Text("I can only talk about the weather.".to_owned()),
        }
    }
}

// ---- the tool -----------------------------------------------------------------------

#[derive(Debug)]
struct UnknownCity;

#[trace_genai(
    execute_tool,
    tool = "get_weather",
    tool_type = "function",
    tool_call_id = call.id.as_str(),
    capture(arguments = call.arguments(), result),
)]
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

/// The agent's answer, with the id of the model response it comes from: the application
/// hands it to its client, which sends it back with the user's feedback.
struct Answer {
    text: String,
    response_id: String,
}

impl OutputMessages for Answer {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Owned(vec![OutputMessage::assistant(self.text.clone(), "stop")])
    }
}

struct Agent {
    name: String,
    model: LocalModel,
    conversation_id: String,
}

impl Agent {
    #[trace_genai(
        invoke_agent,
        agent = self.name.as_str(),
        conversation_id = self.conversation_id.as_str(),
        capture(messages = question, output),
    )]
    async fn run(&mut self, question: &str) -> Result<Answer, ModelError> {
        let mut request = ChatRequest {
            model: "demo-llm-1".to_owned(),
            temperature: 0.2,
            max_tokens: 256,
            messages: vec![Message::User(question.to_owned())],
        };
        loop {
            let response = self.model.complete(&request).await?;
            match response.reply {
                Reply::Text(text) => {
                    return Ok(Answer {
                        text,
                        response_id: response.id,
                    });
                }
                Reply::ToolCall(call) => {
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
    // Azure Monitor, and OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT records the
    // content, without touching the code.
    // Telemetry that cannot start (a bad variable, say) is a warning: the app runs without it.
    let telemetry = trace_genai::init()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();

    let mut agent = Agent {
        name: "travel-planner".to_owned(),
        model: LocalModel::default(),
        conversation_id: "conv-42".to_owned(),
    };
    let answer = agent.run("What is the weather in Paris?").await?;
    println!("answer: {}\n", answer.text);

    // The user gives the answer a thumbs-up. Only the response id is needed: the event is
    // parented to the chat span that produced the answer. The comment is free text, so it
    // is recorded only with content recording on.
    trace_genai::record_user_feedback(&answer.response_id, 1.0, Some("just what I needed"))?;

    // Flushes every span: the trace tree is printed here.
    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?;
    }
    Ok(())
}
