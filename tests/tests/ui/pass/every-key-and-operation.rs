// Every operation and every GenAI key the macro knows: the expansion names the runtime's
// `Operation` variant and `semconv` constant for each, so this compiles only while the
// macro's vocabulary matches the runtime.
#![deny(warnings)]

use trace_genai::trace_genai;

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    server_address = "api.example.com",
    server_port = 443,
    agent = "planner",
    tool = "search",
    workflow = "trip",
    data_source = "docs",
    agent_id = "agent-1",
    agent_description = "plans trips",
    agent_version = "1.0",
    tool_call_id = "call-1",
    tool_type = "function",
    tool_description = "searches",
    conversation_id = "conversation-1",
    output_type = "text",
    prompt_name = "greeting",
    temperature = 0.5,
    top_p = 0.9,
    top_k = 40,
    max_tokens = 256,
    seed = 7,
    stop_sequences = ["END"],
    frequency_penalty = 0.1,
    presence_penalty = 0.2,
    choice_count = 2,
    dimension_count = 1536,
    encoding_formats = ["float"],
)]
fn every_key() {}

#[trace_genai(chat, model = "m")]
fn chat() {}

#[trace_genai(text_completion, model = "m")]
fn text_completion() {}

#[trace_genai(generate_content, model = "m")]
fn generate_content() {}

#[trace_genai(embeddings, model = "m")]
fn embeddings() {}

#[trace_genai(retrieval, data_source = "docs")]
fn retrieval() {}

#[trace_genai(execute_tool)]
fn execute_tool() {}

#[trace_genai(create_agent, agent = "planner")]
fn create_agent() {}

#[trace_genai(invoke_agent, agent = "planner")]
fn invoke_agent() {}

#[trace_genai(invoke_workflow, workflow = "trip")]
fn invoke_workflow() {}

fn main() {
    every_key();
    chat();
    text_completion();
    generate_content();
    embeddings();
    retrieval();
    execute_tool();
    create_agent();
    invoke_agent();
    invoke_workflow();
}
