//! The GenAI conformance scenarios of OpenTelemetry's harness
//! (`open-telemetry/semantic-conventions-conformance`, `scenarios/gen-ai`), made the same
//! way: a program per scenario class calls an OpenAI-compatible server (here
//! `trace_genai_tests::openai::MockOpenAi`, which answers as the harness's mock server)
//! through the real async-openai client, instrumented as the README says, with content
//! capture on; what it exports over OTLP/gRPC is checked against the GenAI registry, in
//! both convention modes.
//!
//! Requirement levels are those of the registries the harness judges by:
//! - default mode: semantic-conventions v1.41.1 (`ead83b9b`, `model/gen-ai/*.yaml`);
//! - `gen_ai_latest_experimental`: semantic-conventions-genai (`fe5608e`, the registry of
//!   the harness's pin `4a39b6ef`, and the v0.1.0 renames its changelog lists).
//!
//! For each span, event and metric point: every Required attribute, every Conditionally
//! Required one whose condition holds, and the Recommended ones the harness expects
//! (`genai_span_validation.rego`), with their types; the span name and kind rules; no
//! status `Ok`; `error.type` exactly when the status is `Error`; content that parses as
//! the conventions' messages; only metric names the registry has.

use std::collections::BTreeSet;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionResponseStream, CreateChatCompletionRequest, CreateChatCompletionResponse,
};
use async_openai::types::embeddings::{CreateEmbeddingRequest, CreateEmbeddingResponse};
use futures::StreamExt as _;
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde_json::{Value, json};
use trace_genai::trace_genai;
use trace_genai_tests::harness::{builder, serial};
use trace_genai_tests::openai::MockOpenAi;
use trace_genai_tests::receiver::{
    AttrValue, OtlpReceiver, ReceivedLog, ReceivedMetric, ReceivedSpan,
};

// ---- the programs, instrumented as the README says ----------------------------------------

const SERVER: &str = "api.openai.com";

// README: async-openai
#[trace_genai(chat, provider = "openai", request = req, server_address = "api.openai.com",
              server_port = 443, capture(request, output))]
async fn complete(
    client: &Client<OpenAIConfig>,
    req: &CreateChatCompletionRequest,
) -> Result<CreateChatCompletionResponse, OpenAIError> {
    client.chat().create(req.clone()).await
}

#[trace_genai(embeddings, provider = "openai", request = req, server_address = "api.openai.com",
              server_port = 443)]
async fn embed(
    client: &Client<OpenAIConfig>,
    req: &CreateEmbeddingRequest,
) -> Result<CreateEmbeddingResponse, OpenAIError> {
    client.embeddings().create(req.clone()).await
}
// README: end

#[trace_genai(chat, provider = "openai", request = req, server_address = "api.openai.com",
              server_port = 443, stream, capture(request, output))]
async fn chat_stream(
    client: &Client<OpenAIConfig>,
    req: &CreateChatCompletionRequest,
) -> Result<ChatCompletionResponseStream, OpenAIError> {
    client.chat().create_stream(req.clone()).await
}

#[trace_genai(execute_tool, tool = "get_current_weather", tool_type = "function",
              tool_call_id = call_id, capture(arguments = arguments, result))]
fn get_current_weather(call_id: &str, arguments: &Value) -> String {
    let _ = arguments;
    "70 degrees and sunny in Seattle".to_owned()
}

fn request(value: Value) -> CreateChatCompletionRequest {
    serde_json::from_value(value).unwrap()
}

fn messages(user: &str) -> Value {
    json!([
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": user}
    ])
}

fn tools() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_current_weather", "description": "Get the current weather in a given location",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                       "required": ["location"]}}}])
}

/// The tool-calling exchange: the model asks for the tool, the app runs it and asks again.
/// As in the harness's programs, the tool of the `tool_calling` class is a plain function
/// (a tool span outside an agent has no provider for v1.41's duration metric, which
/// requires one); inside an agent (`automatic_tool_calling`) it is a traced tool.
async fn weather_round_trip(client: &Client<OpenAIConfig>, traced_tool: bool) {
    let mut history = messages("What is the weather in Seattle?");
    let first = complete(
        client,
        &request(json!({"model": "gpt-4o-mini", "messages": history, "tools": tools()})),
    )
    .await
    .unwrap();
    let call = first.choices[0].message.tool_calls.clone().unwrap();
    let call = serde_json::to_value(&call[0]).unwrap();
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    let result = if traced_tool {
        get_current_weather(call["id"].as_str().unwrap(), &arguments)
    } else {
        "70 degrees and sunny in Seattle".to_owned()
    };
    let history_list = history.as_array_mut().unwrap();
    history_list.push(json!({"role": "assistant", "content": null, "tool_calls": [call.clone()]}));
    history_list.push(json!({"role": "tool", "tool_call_id": call["id"], "content": result}));
    complete(
        client,
        &request(json!({"model": "gpt-4o-mini", "messages": history, "tools": tools()})),
    )
    .await
    .unwrap();
}

#[trace_genai(invoke_agent, agent = "weather_assistant")]
async fn weather_assistant(client: &Client<OpenAIConfig>) {
    weather_round_trip(client, true).await;
}

#[trace_genai(invoke_agent, agent = "weather_assistant")]
async fn say_this_is_a_test(client: &Client<OpenAIConfig>) -> String {
    let response = complete(
        client,
        &request(
            json!({"model": "gpt-4o-mini", "messages": messages("Say this is a test"),
                        "max_tokens": 100, "temperature": 0.5, "top_p": 0.9,
                        "frequency_penalty": 0.1, "presence_penalty": 0.2}),
        ),
    )
    .await
    .unwrap();
    response.choices[0]
        .message
        .content
        .clone()
        .unwrap_or_default()
}

#[trace_genai(invoke_workflow, workflow = "conformance_workflow")]
async fn conformance_workflow(client: &Client<OpenAIConfig>) -> String {
    let response = complete(
        client,
        &request(
            json!({"model": "gpt-4o-mini", "messages": messages("Say this is a test"),
                        "max_tokens": 100, "temperature": 0.5}),
        ),
    )
    .await
    .unwrap();
    response.choices[0]
        .message
        .content
        .clone()
        .unwrap_or_default()
}

/// The nine scenario classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Inference,
    Streaming,
    StructuredOutput,
    Multimodal,
    Embeddings,
    ToolCalling,
    AutomaticToolCalling,
    InvokeAgent,
    Workflow,
}

const CLASSES: [Class; 9] = [
    Class::Inference,
    Class::Streaming,
    Class::StructuredOutput,
    Class::Multimodal,
    Class::Embeddings,
    Class::ToolCalling,
    Class::AutomaticToolCalling,
    Class::InvokeAgent,
    Class::Workflow,
];

async fn run_class(class: Class, client: &Client<OpenAIConfig>) {
    let inference = json!({"model": "gpt-4o-mini", "messages": messages("Say this is a test"),
        "max_tokens": 100, "temperature": 0.5, "top_p": 0.9, "frequency_penalty": 0.1,
        "presence_penalty": 0.2, "stop": ["\n\n"], "seed": 42, "service_tier": "default"});
    match class {
        Class::Inference => {
            complete(client, &request(inference)).await.unwrap();
        }
        Class::Streaming => {
            let mut streamed = inference;
            streamed["stream"] = json!(true);
            streamed["stream_options"] = json!({"include_usage": true});
            let mut stream = chat_stream(client, &request(streamed)).await.unwrap();
            while let Some(chunk) = stream.next().await {
                chunk.unwrap();
            }
        }
        Class::StructuredOutput => {
            let structured = json!({"model": "gpt-4o-mini",
                "messages": messages("What is the weather in Seattle?"),
                "max_tokens": 100, "temperature": 0.5,
                "response_format": {"type": "json_schema", "json_schema": {"name": "forecast",
                    "strict": true, "schema": {"type": "object", "properties": {
                        "location": {"type": "string"}, "temperature": {"type": "integer"},
                        "conditions": {"type": "string"}},
                        "required": ["location", "temperature", "conditions"],
                        "additionalProperties": false}}}});
            complete(client, &request(structured)).await.unwrap();
        }
        Class::Multimodal => {
            let image = json!({"model": "gpt-4o-mini", "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]});
            complete(client, &request(image)).await.unwrap();
            let audio = json!({"model": "gpt-4o-audio-preview", "modalities": ["text", "audio"],
                "audio": {"voice": "alloy", "format": "wav"}, "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is said in this recording?"},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}]}]});
            complete(client, &request(audio)).await.unwrap();
        }
        Class::Embeddings => {
            let req: CreateEmbeddingRequest = serde_json::from_value(json!({
                "model": "text-embedding-3-small",
                "input": ["The food was delicious.", "The waiter was friendly."],
                "encoding_format": "float", "dimensions": 256}))
            .unwrap();
            embed(client, &req).await.unwrap();
        }
        Class::ToolCalling => weather_round_trip(client, false).await,
        Class::AutomaticToolCalling => weather_assistant(client).await,
        Class::InvokeAgent => {
            say_this_is_a_test(client).await;
        }
        Class::Workflow => {
            conformance_workflow(client).await;
        }
    }
}

// ---- a run ----------------------------------------------------------------------------------

/// What one scenario exported.
struct Run {
    latest: bool,
    spans: Vec<ReceivedSpan>,
    logs: Vec<ReceivedLog>,
    metrics: Vec<ReceivedMetric>,
}

fn run(class: Class, latest: bool) -> Run {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let mock = MockOpenAi::start();
    let endpoint = receiver.grpc_endpoint();
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_SERVICE_NAME", "conformance"),
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "SPAN_AND_EVENT",
        ),
    ];
    if latest {
        vars.push((
            "OTEL_SEMCONV_STABILITY_OPT_IN",
            "gen_ai_latest_experimental",
        ));
    }
    let telemetry = builder(&vars).install().unwrap();
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(mock.base_url())
            .with_api_key("test_openai_api_key"),
    );
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run_class(class, &client));
    telemetry.shutdown().unwrap();
    Run {
        latest,
        spans: receiver.spans(),
        logs: receiver.log_records(),
        metrics: receiver.metrics(),
    }
}

// ---- the registry's rules ---------------------------------------------------------------------

fn string(value: Option<&AttrValue>) -> Option<&str> {
    value.and_then(AttrValue::as_str)
}

fn expect_str(span: &ReceivedSpan, key: &str, expected: &str) {
    assert_eq!(
        string(span.attr(key)),
        Some(expected),
        "{}: {key} in {:?}",
        span.name,
        span.attributes
    );
}

fn expect_int(span: &ReceivedSpan, key: &str, expected: i64) {
    assert_eq!(
        span.attr(key),
        Some(&AttrValue::Int(expected)),
        "{}: {key} (an int) in {:?}",
        span.name,
        span.attributes
    );
}

fn expect_absent(span: &ReceivedSpan, key: &str) {
    assert!(
        span.attr(key).is_none(),
        "{}: {key} must not be there: {:?}",
        span.name,
        span.attributes
    );
}

fn expect_strings(span: &ReceivedSpan, key: &str, expected: &[&str]) {
    let values: Vec<&str> = span
        .attr(key)
        .and_then(AttrValue::as_array)
        .unwrap_or_else(|| {
            panic!(
                "{}: {key} (a string array) in {:?}",
                span.name, span.attributes
            )
        })
        .iter()
        .map(|value| value.as_str().unwrap())
        .collect();
    assert_eq!(values, expected, "{}: {key}", span.name);
}

/// Rules for every GenAI span: the name from the operation and its key, the kind, the
/// status, and content that parses as the conventions' JSON.
fn check_span(span: &ReceivedSpan) {
    let operation = string(span.attr("gen_ai.operation.name")).unwrap();
    let (key, kinds): (&str, &[SpanKind]) = match operation {
        "chat" | "text_completion" | "generate_content" | "embeddings" => {
            ("gen_ai.request.model", &[SpanKind::Client])
        }
        "execute_tool" => ("gen_ai.tool.name", &[SpanKind::Internal]),
        "invoke_agent" | "create_agent" => {
            ("gen_ai.agent.name", &[SpanKind::Client, SpanKind::Internal])
        }
        "invoke_workflow" => ("gen_ai.workflow.name", &[SpanKind::Internal]),
        "retrieval" => ("gen_ai.data_source.id", &[SpanKind::Client]),
        other => panic!("operation {other} is not in the registry"),
    };
    let expected_name = match string(span.attr(key)) {
        Some(subject) => format!("{operation} {subject}"),
        None => operation.to_owned(),
    };

    assert_eq!(span.name, expected_name);
    assert!(
        kinds.contains(&span.kind),
        "{}: kind {:?}",
        span.name,
        span.kind
    );
    assert_ne!(span.status_code, StatusCode::Ok, "{}: status Ok", span.name);
    assert_eq!(
        span.status_code == StatusCode::Error,
        span.attr("error.type").is_some(),
        "{}: error.type exactly with status Error",
        span.name
    );
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
    ] {
        if let Some(value) = string(span.attr(key)) {
            let parsed: Value = serde_json::from_str(value)
                .unwrap_or_else(|e| panic!("{}: {key} is not JSON ({e}): {value}", span.name));
            check_content(key, &parsed);
        }
    }
}

/// The JSON schemas' required members: every message has `role` and `parts`, every output
/// message a `finish_reason`, every part a `type` and what its type requires.
fn check_content(key: &str, value: &Value) {
    let items = value
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array"));
    let check_part = |part: &Value| {
        let required: &[&str] = match part["type"].as_str().unwrap() {
            "text" | "reasoning" => &["content"],
            "tool_call" => &["name"],
            "tool_call_response" => &["response"],
            "blob" => &["modality", "content"],
            "uri" => &["modality", "uri"],
            "file" => &["modality", "file_id"],
            _ => &[],
        };
        for member in required {
            assert!(
                part.get(*member).is_some(),
                "{key}: a part lacks {member}: {part}"
            );
        }
    };
    match key {
        "gen_ai.system_instructions" => items.iter().for_each(check_part),
        "gen_ai.tool.definitions" => {
            for tool in items {
                assert!(
                    tool["type"].is_string() && tool["name"].is_string(),
                    "{tool}"
                );
            }
        }
        _ => {
            for message in items {
                assert!(message["role"].is_string(), "{key}: {message}");
                message["parts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .for_each(check_part);
                if key == "gen_ai.output.messages" {
                    assert!(message["finish_reason"].is_string(), "{key}: {message}");
                }
            }
        }
    }
}

/// A model call (inference or embeddings): Required, Conditionally Required whose
/// condition holds, and the Recommended attributes the harness expects.
fn check_model_call(span: &ReceivedSpan) {
    expect_str(span, "gen_ai.provider.name", "openai");
    assert!(string(span.attr("gen_ai.request.model")).is_some());
    expect_str(span, "server.address", SERVER);
    expect_int(span, "server.port", 443);
    assert!(string(span.attr("gen_ai.response.model")).is_some());
    assert!(matches!(
        span.attr("gen_ai.usage.input_tokens"),
        Some(AttrValue::Int(_))
    ));
}

fn check_inference(span: &ReceivedSpan, latest: bool) {
    check_model_call(span);
    assert_eq!(span.kind, SpanKind::Client);
    assert!(
        string(span.attr("gen_ai.response.id")).is_some(),
        "{}",
        span.name
    );
    assert!(matches!(
        span.attr("gen_ai.usage.output_tokens"),
        Some(AttrValue::Int(_))
    ));
    assert!(
        span.attr("gen_ai.response.finish_reasons")
            .and_then(AttrValue::as_array)
            .is_some()
    );
    assert!(
        string(span.attr("gen_ai.input.messages")).is_some(),
        "content on: input messages"
    );
    assert!(
        string(span.attr("gen_ai.output.messages")).is_some(),
        "content on: output messages"
    );
    if let Some(top_k) = span.attr("gen_ai.request.top_k") {
        assert_eq!(
            matches!(top_k, AttrValue::Int(_)),
            latest,
            "top_k type: {top_k:?}"
        );
    }
    // Names the registry of the mode does not have.
    if latest {
        expect_absent(span, "gen_ai.usage.cache_creation.input_tokens");
    } else {
        expect_absent(span, "gen_ai.usage.cache_write.input_tokens");
    }
}

fn spans_named<'a>(run: &'a Run, name: &str) -> Vec<&'a ReceivedSpan> {
    run.spans.iter().filter(|span| span.name == name).collect()
}

fn the_span<'a>(run: &'a Run, name: &str) -> &'a ReceivedSpan {
    let spans = spans_named(run, name);
    assert_eq!(spans.len(), 1, "one span {name} in {:?}", names(run));
    spans[0]
}

fn names(run: &Run) -> Vec<&str> {
    run.spans.iter().map(|span| span.name.as_str()).collect()
}

/// The metric names each mode's registry has.
fn registry_metrics(latest: bool) -> &'static [&'static str] {
    if latest {
        &[
            "gen_ai.client.inference.duration",
            "gen_ai.client.embeddings.duration",
            "gen_ai.client.operation.duration",
            "gen_ai.invoke_agent.duration",
            "gen_ai.execute_tool.duration",
            "gen_ai.client.inference.time_to_first_chunk",
            "gen_ai.client.inference.time_per_output_chunk",
            "gen_ai.client.inference.usage.input_tokens",
            "gen_ai.client.inference.usage.output_tokens",
            "gen_ai.client.inference.usage.cache_read.input_tokens",
            "gen_ai.client.inference.usage.cache_write.input_tokens",
            "gen_ai.client.inference.usage.reasoning.output_tokens",
            "gen_ai.client.inference.operation.input_tokens",
            "gen_ai.client.inference.operation.output_tokens",
            "gen_ai.client.embeddings.operation.input_tokens",
        ]
    } else {
        &[
            "gen_ai.client.operation.duration",
            "gen_ai.client.token.usage",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.operation.time_per_output_chunk",
        ]
    }
}

/// Every point of every metric: a name the registry has, its unit, and the attributes its
/// instrument requires (and recommends, where trace-genai knows them).
fn check_metrics(run: &Run) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for metric in &run.metrics {
        assert!(
            registry_metrics(run.latest).contains(&metric.name.as_str()),
            "{} is not a metric of the registry (latest: {})",
            metric.name,
            run.latest
        );
        let unit = if metric.name.contains("token") {
            "{token}"
        } else {
            "s"
        };
        assert_eq!(metric.unit, unit, "{}", metric.name);
        for point in metric.points() {
            seen.insert(metric.name.clone());
            let attr = |key: &str| point.attributes.get(key).and_then(AttrValue::as_str);
            let operation = attr("gen_ai.operation.name").unwrap_or_else(|| {
                panic!(
                    "{}: gen_ai.operation.name in {:?}",
                    metric.name, point.attributes
                )
            });
            // v1.41: the provider is Required on every point; genai main: on model calls.
            if !run.latest
                || !matches!(
                    operation,
                    "invoke_agent" | "invoke_workflow" | "execute_tool"
                )
            {
                assert_eq!(
                    attr("gen_ai.provider.name"),
                    Some("openai"),
                    "{}: provider in {:?}",
                    metric.name,
                    point.attributes
                );
            }
            match operation {
                "chat" | "embeddings" => {
                    assert!(attr("gen_ai.request.model").is_some(), "{}", metric.name);
                    assert_eq!(attr("server.address"), Some(SERVER));
                    assert_eq!(
                        point
                            .attributes
                            .get("server.port")
                            .and_then(AttrValue::as_i64),
                        Some(443)
                    );
                    assert!(
                        attr("gen_ai.response.model").is_some(),
                        "{}: response model in {:?}",
                        metric.name,
                        point.attributes
                    );
                }
                "execute_tool" => {
                    assert_eq!(
                        attr("gen_ai.tool.name"),
                        Some("get_current_weather"),
                        "{}",
                        metric.name
                    );
                }
                "invoke_agent" => {
                    assert_eq!(
                        attr("gen_ai.agent.name"),
                        Some("weather_assistant"),
                        "{}",
                        metric.name
                    );
                }
                "invoke_workflow" => {
                    let key = if run.latest {
                        "gen_ai.agent.name"
                    } else {
                        "gen_ai.workflow.name"
                    };
                    assert_eq!(attr(key), Some("conformance_workflow"), "{}", metric.name);
                }
                other => panic!("unexpected operation {other}"),
            }
            if metric.name == "gen_ai.client.token.usage" {
                assert!(matches!(
                    attr("gen_ai.token.type"),
                    Some("input" | "output")
                ));
            }
            if metric.name.starts_with("gen_ai.client.inference.usage.") {
                assert!(attr("gen_ai.token.modality").is_some(), "{}", metric.name);
            }
        }
    }
    seen
}

/// The details event of each inference call: its name, its attributes, its level.
fn check_events(run: &Run) {
    let inference_calls = run
        .spans
        .iter()
        .filter(|span| string(span.attr("gen_ai.operation.name")) == Some("chat"))
        .count();
    let details: Vec<&ReceivedLog> = run
        .logs
        .iter()
        .filter(|log| log.event_name == "gen_ai.client.inference.operation.details")
        .collect();
    assert_eq!(details.len(), inference_calls);
    for event in details {
        assert_eq!(string(event.attr("gen_ai.operation.name")), Some("chat"));
        assert_eq!(string(event.attr("gen_ai.provider.name")), Some("openai"));
        let severity = if run.latest {
            SeverityNumber::Debug
        } else {
            SeverityNumber::Info
        };
        assert_eq!(event.severity_number, severity);
        assert!(run.spans.iter().any(|span| span.span_id == event.span_id));
    }
    for log in &run.logs {
        assert!(
            !log.event_name.is_empty(),
            "every log record is a named event"
        );
    }
}

/// Whether `key` is an attribute of the registry the mode follows (those trace-genai may
/// emit): anything else is a `missing_attribute` violation.
fn in_registry(key: &str, latest: bool) -> bool {
    const BOTH: &[&str] = &[
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.request.temperature",
        "gen_ai.request.top_p",
        "gen_ai.request.top_k",
        "gen_ai.request.max_tokens",
        "gen_ai.request.seed",
        "gen_ai.request.stop_sequences",
        "gen_ai.request.frequency_penalty",
        "gen_ai.request.presence_penalty",
        "gen_ai.request.choice.count",
        "gen_ai.request.stream",
        "gen_ai.request.encoding_formats",
        "gen_ai.embeddings.dimension.count",
        "gen_ai.output.type",
        "gen_ai.conversation.id",
        "gen_ai.agent.name",
        "gen_ai.agent.id",
        "gen_ai.agent.description",
        "gen_ai.agent.version",
        "gen_ai.tool.name",
        "gen_ai.tool.call.id",
        "gen_ai.tool.type",
        "gen_ai.tool.description",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.tool.definitions",
        "gen_ai.data_source.id",
        "gen_ai.response.id",
        "gen_ai.response.model",
        "gen_ai.response.finish_reasons",
        "gen_ai.response.time_to_first_chunk",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "server.address",
        "server.port",
        "error.type",
    ];
    BOTH.contains(&key)
        || match key {
            "gen_ai.usage.cache_creation.input_tokens"
            | "gen_ai.workflow.name"
            | "gen_ai.token.type" => !latest,
            "gen_ai.usage.cache_write.input_tokens" | "gen_ai.token.modality" => latest,
            _ => false,
        }
}

/// Every attribute of spans, events and metric points is one the mode's registry has; the
/// resource carries only what the harness allows.
fn check_names(run: &Run) {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for span in &run.spans {
        keys.extend(
            span.attributes
                .keys()
                .map(|key| (span.name.as_str(), key.as_str())),
        );
        for event in &span.events {
            keys.extend(
                event
                    .attributes
                    .keys()
                    .map(|key| (event.name.as_str(), key.as_str())),
            );
        }
    }
    for log in &run.logs {
        keys.extend(
            log.attributes
                .keys()
                .map(|key| (log.event_name.as_str(), key.as_str())),
        );
    }
    let points: Vec<_> = run
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.points()))
        .collect();
    for (name, points) in &points {
        for point in points {
            keys.extend(point.attributes.keys().map(|key| (*name, key.as_str())));
        }
    }
    for (item, key) in keys {
        assert!(
            in_registry(key, run.latest),
            "{item}: {key} is not in the registry (latest: {})",
            run.latest
        );
    }
    for span in &run.spans {
        for key in span.resource.keys() {
            assert!(
                key == "service.name"
                    || key == "service.instance.id"
                    || key.starts_with("telemetry.sdk."),
                "resource attribute {key}"
            );
        }
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per scenario class, each a list of assertions"
)]
fn check(class: Class, latest: bool) {
    let run = run(class, latest);
    check_names(&run);
    for span in &run.spans {
        check_span(span);
        assert_eq!(
            span.resource.get("service.name"),
            Some(&AttrValue::from("conformance"))
        );
    }
    check_events(&run);
    let metrics = check_metrics(&run);
    let duration = if latest {
        "gen_ai.client.inference.duration"
    } else {
        "gen_ai.client.operation.duration"
    };
    match class {
        Class::Inference | Class::StructuredOutput => {
            let span = the_span(&run, "chat gpt-4o-mini");
            check_inference(span, latest);
            expect_strings(span, "gen_ai.response.finish_reasons", &["stop"]);
            expect_int(span, "gen_ai.usage.input_tokens", 25);
            expect_int(span, "gen_ai.usage.output_tokens", 12);
            expect_str(span, "gen_ai.response.id", "chatcmpl-mock-001");
            if class == Class::Inference {
                expect_int(span, "gen_ai.request.max_tokens", 100);
                expect_int(span, "gen_ai.request.seed", 42);
                expect_strings(span, "gen_ai.request.stop_sequences", &["\n\n"]);
                assert_eq!(
                    span.attr("gen_ai.request.temperature"),
                    Some(&AttrValue::Double(0.5))
                );
            } else {
                expect_str(span, "gen_ai.output.type", "json");
            }
            assert!(metrics.contains(duration));
        }
        Class::Streaming => {
            let span = the_span(&run, "chat gpt-4o-mini");
            check_inference(span, latest);
            assert_eq!(
                span.attr("gen_ai.request.stream"),
                Some(&AttrValue::Bool(true))
            );
            expect_int(span, "gen_ai.usage.output_tokens", 6);
            expect_str(span, "gen_ai.response.id", "chatcmpl-mock-stream-001");
            let (first, per) = if latest {
                (
                    "gen_ai.client.inference.time_to_first_chunk",
                    "gen_ai.client.inference.time_per_output_chunk",
                )
            } else {
                (
                    "gen_ai.client.operation.time_to_first_chunk",
                    "gen_ai.client.operation.time_per_output_chunk",
                )
            };
            assert!(
                metrics.contains(first) && metrics.contains(per),
                "{metrics:?}"
            );
        }
        Class::Multimodal => {
            let image = the_span(&run, "chat gpt-4o-mini");
            check_inference(image, latest);
            let input: Value =
                serde_json::from_str(string(image.attr("gen_ai.input.messages")).unwrap()).unwrap();
            assert_eq!(input[1]["parts"][1]["type"], "blob");
            assert_eq!(input[1]["parts"][1]["modality"], "image");
            let audio = the_span(&run, "chat gpt-4o-audio-preview");
            check_inference(audio, latest);
            let output: Value =
                serde_json::from_str(string(audio.attr("gen_ai.output.messages")).unwrap())
                    .unwrap();
            assert_eq!(output[0]["parts"][0]["type"], "blob", "{output}");
            assert_eq!(output[0]["parts"][0]["modality"], "audio");
            assert_eq!(
                output[0]["parts"][0]["transcript"],
                "This is a mock audio transcript."
            );
        }
        Class::Embeddings => {
            let span = the_span(&run, "embeddings text-embedding-3-small");
            check_model_call(span);
            expect_str(span, "gen_ai.operation.name", "embeddings");
            expect_int(span, "gen_ai.embeddings.dimension.count", 256);
            expect_strings(span, "gen_ai.request.encoding_formats", &["float"]);
            expect_int(span, "gen_ai.usage.input_tokens", 16);
            expect_str(span, "gen_ai.response.model", "text-embedding-3-small");
            let tokens = if latest {
                "gen_ai.client.embeddings.operation.input_tokens"
            } else {
                "gen_ai.client.token.usage"
            };
            let embeddings_duration = if latest {
                "gen_ai.client.embeddings.duration"
            } else {
                "gen_ai.client.operation.duration"
            };
            assert!(
                metrics.contains(tokens) && metrics.contains(embeddings_duration),
                "{metrics:?}"
            );
        }
        Class::ToolCalling | Class::AutomaticToolCalling => {
            let calls = spans_named(&run, "chat gpt-4o-mini");
            assert_eq!(calls.len(), 2);
            for span in &calls {
                check_inference(span, latest);
                assert!(string(span.attr("gen_ai.tool.definitions")).is_some());
            }
            let input: Value =
                serde_json::from_str(string(calls[1].attr("gen_ai.input.messages")).unwrap())
                    .unwrap();
            assert_eq!(
                input[3]["parts"][0]["type"], "tool_call_response",
                "{input}"
            );
            if class == Class::AutomaticToolCalling {
                let tool = the_span(&run, "execute_tool get_current_weather");
                expect_str(tool, "gen_ai.tool.name", "get_current_weather");
                expect_str(tool, "gen_ai.tool.call.id", "call_mock_001");
                expect_str(tool, "gen_ai.tool.type", "function");
                let agent = the_span(&run, "invoke_agent weather_assistant");
                assert_eq!(agent.kind, SpanKind::Internal);
                for span in calls.iter().chain([&tool]) {
                    assert_eq!(span.parent_span_id, agent.span_id);
                }
                // The two calls' usage, summed; the last one's finish reasons.
                expect_int(agent, "gen_ai.usage.input_tokens", 50 + 25);
                expect_int(agent, "gen_ai.usage.output_tokens", 20 + 12);
                expect_strings(agent, "gen_ai.response.finish_reasons", &["stop"]);
                if latest {
                    expect_absent(agent, "gen_ai.provider.name");
                } else {
                    expect_str(agent, "gen_ai.provider.name", "openai");
                }
                let agent_duration = if latest {
                    "gen_ai.invoke_agent.duration"
                } else {
                    "gen_ai.client.operation.duration"
                };
                assert!(metrics.contains(agent_duration));
                if latest {
                    assert!(metrics.contains("gen_ai.execute_tool.duration"));
                }
            }
        }
        Class::InvokeAgent => {
            let agent = the_span(&run, "invoke_agent weather_assistant");
            expect_int(agent, "gen_ai.usage.input_tokens", 25);
            expect_int(agent, "gen_ai.usage.output_tokens", 12);
            expect_strings(agent, "gen_ai.response.finish_reasons", &["stop"]);
            if !latest {
                expect_str(agent, "gen_ai.provider.name", "openai");
            }
            check_inference(the_span(&run, "chat gpt-4o-mini"), latest);
        }
        Class::Workflow => {
            // v0.1.0 names a workflow with gen_ai.agent.name; the span-name rule names an
            // invoke_workflow span by gen_ai.workflow.name only, so without it the name is
            // the bare operation.
            let workflow = if latest {
                let workflow = the_span(&run, "invoke_workflow");
                expect_str(workflow, "gen_ai.agent.name", "conformance_workflow");
                expect_absent(workflow, "gen_ai.workflow.name");
                assert!(metrics.contains("gen_ai.invoke_agent.duration"));
                workflow
            } else {
                let workflow = the_span(&run, "invoke_workflow conformance_workflow");
                expect_str(workflow, "gen_ai.workflow.name", "conformance_workflow");
                expect_absent(workflow, "gen_ai.agent.name");
                workflow
            };
            assert_eq!(workflow.kind, SpanKind::Internal);
            expect_int(workflow, "gen_ai.usage.input_tokens", 25);
            check_inference(the_span(&run, "chat gpt-4o-mini"), latest);
        }
    }
    // Token usage is counted once per model call, never again for the agent around them.
    if !latest {
        let model_calls = run
            .spans
            .iter()
            .filter(|span| {
                matches!(
                    string(span.attr("gen_ai.operation.name")),
                    Some("chat" | "embeddings")
                )
            })
            .count();
        let input_points: u64 = run
            .metrics
            .iter()
            .filter(|metric| metric.name == "gen_ai.client.token.usage")
            .flat_map(ReceivedMetric::points)
            .filter(|point| {
                point
                    .attributes
                    .get("gen_ai.token.type")
                    .and_then(AttrValue::as_str)
                    == Some("input")
            })
            .map(|point| match point.value {
                trace_genai_tests::receiver::PointValue::Histogram { count, .. } => count,
                _ => 0,
            })
            .sum();
        assert_eq!(input_points, u64::try_from(model_calls).unwrap());
    }
}

#[test]
fn every_class_conforms_with_the_v1_41_names() {
    for class in CLASSES {
        check(class, false);
    }
}

#[test]
fn every_class_conforms_with_the_latest_names() {
    for class in CLASSES {
        check(class, true);
    }
}

/// The README's async-openai snippet is the program above, as printed.
#[test]
fn the_readme_snippet_is_the_program_tested() {
    let readme = include_str!("../../README.md");
    let start = readme.find("// README: async-openai").unwrap();
    let end = readme[start..].find("```").unwrap() + start;
    let snippet = readme[start..end].trim_end();
    let this_file = include_str!("conformance.rs");
    let program = &this_file[this_file.find("// README: async-openai").unwrap()..];
    let program = &program[..program.find("// README: end").unwrap()];
    assert_eq!(snippet, program.trim_end());
}
