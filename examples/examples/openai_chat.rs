//! An agent over async-openai's chat types (two model calls and a tool), then an
//! embeddings call, with message content recording on, traced to the console: spans, the
//! `gen_ai.client.inference.operation.details` events, and the GenAI metrics.
//!
//! ```text
//! cargo run -p trace-genai-examples --example openai_chat --features async-openai
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 \
//!     cargo run -p trace-genai-examples --example openai_chat --features async-openai
//! ```
//!
//! Telemetry is configured from the environment, as in `trace_genai::init()`: the console
//! when nothing is set, a collector or Azure Monitor with `OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `APPLICATIONINSIGHTS_CONNECTION_STRING`.
//!
//! The requests are real `async_openai` values; the responses are canned OpenAI JSON
//! from a local stand-in (`stand_in_openai`), so the example needs no network and no API
//! key. With a real client, replace `stand_in_openai(req)` by
//! `client.chat().create(req.clone()).await`: the attribute stays the same.
//!
//! `request = req` records the model and the sampling parameters, the response type
//! reports id, model, finish reasons and token usage, and `capture(...)` names the
//! content that is recorded because the example turns content recording on in code
//! (`with_content_capture`): showing content is this example's point. In production
//! prefer the environment variable `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.

use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use async_openai::types::embeddings::{CreateEmbeddingRequest, CreateEmbeddingResponse};
use serde_json::json;
use trace_genai::{ContentCapture, Telemetry, trace_genai};

/// The canned answers of the stand-in: a tool call first, then the final text.
fn stand_in_openai(
    req: &CreateChatCompletionRequest,
) -> Result<CreateChatCompletionResponse, serde_json::Error> {
    let has_tool_result = serde_json::to_value(&req.messages)?
        .as_array()
        .is_some_and(|messages| messages.iter().any(|m| m["role"] == "tool"));
    let response = if has_tool_result {
        json!({
            "id": "chatcmpl-2", "object": "chat.completion", "created": 1_732_000_001,
            "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "It is rainy in Paris, 14 °C. Take an umbrella."}}],
            "usage": {"prompt_tokens": 142, "completion_tokens": 14, "total_tokens": 156,
                      "prompt_tokens_details": {"cached_tokens": 128}}
        })
    } else {
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_732_000_000,
            "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
            "usage": {"prompt_tokens": 118, "completion_tokens": 17, "total_tokens": 135}
        })
    };
    serde_json::from_value(response)
}

#[trace_genai(
    chat,
    provider = "openai",
    server_address = "api.openai.com",
    server_port = 443,
    request = req,
    capture(request, output)
)]
async fn complete(
    req: &CreateChatCompletionRequest,
) -> Result<CreateChatCompletionResponse, serde_json::Error> {
    tokio::task::yield_now().await; // the network call would be here
    stand_in_openai(req)
}

#[trace_genai(
    embeddings,
    provider = "openai",
    server_address = "api.openai.com",
    server_port = 443,
    request = req
)]
async fn embed(req: &CreateEmbeddingRequest) -> Result<CreateEmbeddingResponse, serde_json::Error> {
    tokio::task::yield_now().await; // `client.embeddings().create(req.clone()).await`
    serde_json::from_value(json!({
        "object": "list", "model": "text-embedding-3-small",
        "data": [{"index": 0, "object": "embedding", "embedding": [0.011, -0.023, 0.007, 0.019]}],
        "usage": {"prompt_tokens": 7, "total_tokens": 7}
    }))
}

#[trace_genai(execute_tool, tool_type = "function", capture(arguments(city), result))]
fn get_weather(city: &str) -> serde_json::Value {
    json!({"city": city, "sky": "rainy", "temperature_c": 14})
}

#[trace_genai(invoke_agent, agent = "travel-agent", capture(messages = question, output))]
async fn travel_agent(question: &str) -> Result<String, serde_json::Error> {
    let tools = json!([{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]);
    let mut messages = vec![
        json!({"role": "system", "content": "You are a concise travel assistant."}),
        json!({"role": "user", "content": question}),
    ];
    loop {
        let req: CreateChatCompletionRequest = serde_json::from_value(json!({
            "model": "gpt-4o", "temperature": 0.2, "max_completion_tokens": 200,
            "messages": messages, "tools": tools,
        }))?;
        let response = complete(&req).await?;
        let Some(choice) = response.choices.first() else {
            return Ok(String::new());
        };
        let Some(calls) = &choice.message.tool_calls else {
            return Ok(choice.message.content.clone().unwrap_or_default());
        };
        messages.push(serde_json::to_value(&choice.message)?);
        for call in serde_json::to_value(calls)?
            .as_array()
            .into_iter()
            .flatten()
        {
            let arguments: serde_json::Value =
                serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or("{}"))?;
            let result = get_weather(arguments["city"].as_str().unwrap_or_default());
            messages.push(json!({
                "role": "tool", "tool_call_id": call["id"], "content": result.to_string()
            }));
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Destinations from the environment (the console when nothing is set); content
    // recording on in code, because this example is about content: the message spans,
    // and the details events of the chat calls.
    // Telemetry that cannot start (a bad variable, say) is a warning: the app runs without it.
    let telemetry = Telemetry::builder()
        .with_content_capture(ContentCapture::SpanAndEvent)
        .install()
        .inspect_err(|error| eprintln!("warning: telemetry is off: {error}"))
        .ok();
    let answer = travel_agent("What's the weather in Paris?").await?;
    println!("answer: {answer}\n");
    // The answer's embedding, e.g. to store it for retrieval.
    let req: CreateEmbeddingRequest = serde_json::from_value(json!({
        "model": "text-embedding-3-small", "input": answer,
        "encoding_format": "float", "dimensions": 4,
    }))?;
    let embedding = embed(&req).await?;
    println!(
        "embedding: {} dimensions\n",
        embedding.data[0].embedding.len()
    );
    if let Some(telemetry) = telemetry {
        telemetry.shutdown()?; // prints the trace tree, the events and the metrics
    }
    Ok(())
}
