//! Every `capture(...)` form, sync and async, with the runtime's message types.
use trace_genai::message::{ChatMessage, OutputMessage, Part, ToolDefinition};
use trace_genai::{GenAiRequest, trace_genai};

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    content = "span_and_event",
    capture(messages, system = instructions, tools = &tool_list, output)
)]
fn chat(
    messages: Vec<ChatMessage>,
    instructions: &str,
    tool_list: Vec<ToolDefinition>,
) -> Result<Vec<OutputMessage>, std::io::Error> {
    drop((messages, tool_list));
    Ok(vec![OutputMessage::assistant(instructions, "stop")])
}

#[trace_genai(chat, model = "m", capture(messages = prompt, system = Some(vec![Part::text("x")]), output))]
async fn ask(prompt: String) -> String {
    prompt
}

/// A constant in scope works as well as a parameter.
const SYSTEM: &str = "Answer in one sentence.";

#[trace_genai(chat, model = "m", capture(messages = prompt, system = SYSTEM, output))]
fn ask_with_constant(prompt: &str) -> String {
    format!("{SYSTEM} {prompt}")
}

struct Request;

impl GenAiRequest for Request {
    fn request_model(&self) -> Option<&str> {
        Some("m")
    }
}

#[trace_genai(chat, request = req, capture(request, output))]
fn send(req: &Request) -> String {
    let _ = req;
    String::new()
}

#[trace_genai(chat, capture(request))]
fn send_named(request: Request) {
    drop(request);
}

#[derive(serde::Serialize)]
struct Args {
    city: String,
}

#[trace_genai(execute_tool, capture(arguments = args, result))]
fn tool(args: Args) -> Result<serde_json::Value, std::io::Error> {
    Ok(serde_json::json!({ "city": args.city }))
}

#[trace_genai(execute_tool, capture(arguments(city, days), output))]
async fn forecast(city: &str, days: u8) -> Vec<String> {
    vec![format!("{city}: {days}")]
}

#[trace_genai(retrieval, data_source = "kb", capture(query, documents))]
fn search(query: &str) -> Vec<(String, f64)> {
    vec![(query.to_owned(), 0.5)]
}

struct Agent;

impl Agent {
    #[trace_genai(invoke_agent, agent = "a", capture(messages = self.history(), output))]
    fn run(&self) -> String {
        String::new()
    }

    fn history(&self) -> Vec<ChatMessage> {
        vec![ChatMessage::user("hi")]
    }
}

fn main() {
    let _ = chat(vec![], "be brief", vec![ToolDefinition::function("f")]);
    drop(ask("hi".to_owned()));
    let _ = ask_with_constant("hi");
    let _ = send(&Request);
    send_named(Request);
    let _ = tool(Args { city: "Paris".to_owned() });
    drop(forecast("Paris", 3));
    let _ = search("q");
    let _ = Agent.run();
}
