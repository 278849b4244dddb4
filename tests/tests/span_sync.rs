//! Sync functions: name, kind, attributes with their types, status, nesting, early
//! returns, `?`, and panics.

use opentelemetry::trace::SpanKind;
use opentelemetry::{Array, StringValue, Value};
use trace_genai::trace_genai;
use trace_genai_tests::harness::*;

#[trace_genai]
fn summarize(text: &str) -> String {
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn bare_attribute_names_the_span_after_the_function() {
    let (summary, spans) = capture(|| summarize("one two three four"));
    assert_eq!(summary, "one two three");
    assert_eq!(spans.len(), 1);
    let span = spans.one("summarize");
    assert_kind(span, SpanKind::Internal);
    assert_keys(span, &[]);
    assert_ok(span);
    assert_root(span);
}

#[derive(Debug)]
struct ToolError;

#[trace_genai(execute_tool, tool = "get_weather")]
fn get_weather(city: &str) -> Result<String, ToolError> {
    if city.is_empty() {
        return Err(ToolError);
    }
    Ok(format!("sunny in {city}"))
}

#[test]
fn execute_tool_span() {
    let (result, spans) = capture(|| get_weather("Paris"));
    assert_eq!(result.unwrap(), "sunny in Paris");
    let span = spans.one("execute_tool get_weather");
    assert_kind(span, SpanKind::Internal);
    assert_keys(span, &["gen_ai.operation.name", "gen_ai.tool.name"]);
    assert_attr(span, "gen_ai.operation.name", "execute_tool");
    assert_attr(span, "gen_ai.tool.name", "get_weather");
    assert_ok(span);
}

#[test]
fn err_sets_status_and_error_type_to_the_type_name() {
    let (result, spans) = capture(|| get_weather(""));
    assert!(result.is_err());
    let span = spans.one("execute_tool get_weather");
    assert_error(span, "span_sync::ToolError");
    // The error's text never reaches the status description.
    assert_eq!(
        span.status,
        opentelemetry::trace::Status::Error {
            description: "".into()
        }
    );
}

#[derive(Debug)]
enum ApiError {
    RateLimited,
}

impl trace_genai::ErrorType for ApiError {
    fn error_type(&self) -> std::borrow::Cow<'static, str> {
        match self {
            ApiError::RateLimited => "rate_limited".into(),
        }
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn rate_limited_chat() -> Result<String, ApiError> {
    Err(ApiError::RateLimited)
}

#[test]
fn err_uses_the_error_type_trait_when_implemented() {
    let (_, spans) = capture(rate_limited_chat);
    let span = spans.one("chat gpt-4o");
    assert_kind(span, SpanKind::Client);
    assert_error(span, "rate_limited");
}

#[trace_genai(execute_tool)]
fn lookup_stock(symbol: &str) -> Result<u32, std::num::ParseIntError> {
    let price: u32 = symbol.parse()?;
    Ok(price * 2)
}

#[test]
fn question_mark_and_default_tool_name() {
    let (ok, spans) = capture(|| lookup_stock("21"));
    assert_eq!(ok, Ok(42));
    let span = spans.one("execute_tool lookup_stock");
    assert_attr(span, "gen_ai.tool.name", "lookup_stock");
    assert_ok(span);

    let (err, spans) = capture(|| lookup_stock("x"));
    assert!(err.is_err());
    assert_error(
        spans.one("execute_tool lookup_stock"),
        "core::num::error::ParseIntError",
    );
}

struct Request {
    model: String,
    temperature: f32,
    top_p: Option<f64>,
    top_k: Option<u32>,
    max_tokens: u32,
    seed: Option<i64>,
    stop: Vec<String>,
    n: u8,
    conversation: Option<String>,
}

#[trace_genai(
    chat,
    provider = "openai",
    model = req.model.as_str(),
    server_address = "api.openai.com",
    server_port = 443,
    temperature = req.temperature,
    top_p = req.top_p,
    top_k = req.top_k,
    max_tokens = req.max_tokens,
    seed = req.seed,
    stop_sequences = &req.stop,
    frequency_penalty = 0.5,
    presence_penalty = 1,
    choice_count = req.n,
    conversation_id = req.conversation.as_deref(),
    output_type = "text",
    fields(app.user_tier = "gold", request.size = req.stop.len(), flagged = false),
)]
fn chat(req: &Request) -> String {
    format!("answer from {}", req.model)
}

fn request() -> Request {
    Request {
        model: "gpt-4o".to_owned(),
        temperature: 0.5,
        top_p: Some(0.9),
        top_k: Some(40),
        max_tokens: 256,
        seed: Some(7),
        stop: vec!["END".to_owned(), "STOP".to_owned()],
        n: 2,
        conversation: Some("conv-1".to_owned()),
    }
}

#[test]
fn every_request_parameter_has_its_convention_type() {
    let (_, spans) = capture(|| chat(&request()));
    let span = spans.one("chat gpt-4o");
    assert_kind(span, SpanKind::Client);
    assert_attr(span, "gen_ai.operation.name", "chat");
    assert_attr(span, "gen_ai.provider.name", "openai");
    assert_attr(span, "gen_ai.request.model", "gpt-4o".to_owned());
    assert_attr(span, "server.address", "api.openai.com");
    assert_attr(span, "server.port", 443_i64);
    assert_attr(span, "gen_ai.request.temperature", 0.5_f64);
    assert_attr(span, "gen_ai.request.top_p", 0.9_f64);
    assert_attr(span, "gen_ai.request.top_k", 40.0_f64);
    assert_attr(span, "gen_ai.request.max_tokens", 256_i64);
    assert_attr(span, "gen_ai.request.seed", 7_i64);
    assert_attr(
        span,
        "gen_ai.request.stop_sequences",
        Value::Array(Array::String(vec![
            StringValue::from("END"),
            StringValue::from("STOP"),
        ])),
    );
    assert_attr(span, "gen_ai.request.frequency_penalty", 0.5_f64);
    assert_attr(span, "gen_ai.request.presence_penalty", 1.0_f64);
    assert_attr(span, "gen_ai.request.choice.count", 2_i64);
    assert_attr(span, "gen_ai.conversation.id", "conv-1".to_owned());
    assert_attr(span, "gen_ai.output.type", "text");
    assert_attr(span, "app.user_tier", "gold");
    assert_attr(span, "request.size", 2_i64);
    assert_attr(span, "flagged", false);
    // Sampling-relevant attributes come first.
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        &keys[..5],
        [
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "server.address",
            "server.port"
        ]
    );
}

#[test]
fn none_values_and_a_single_choice_are_not_recorded() {
    let req = Request {
        top_p: None,
        top_k: None,
        seed: None,
        n: 1,
        conversation: None,
        ..request()
    };
    let (_, spans) = capture(|| chat(&req));
    let span = spans.one("chat gpt-4o");
    for key in [
        "gen_ai.request.top_p",
        "gen_ai.request.top_k",
        "gen_ai.request.seed",
        "gen_ai.request.choice.count",
        "gen_ai.conversation.id",
    ] {
        assert_no_attr(span, key);
    }
    assert_attr(span, "gen_ai.request.temperature", 0.5_f64);
}

#[test]
fn empty_dynamic_subject_falls_back_to_the_bare_operation() {
    let req = Request {
        model: String::new(),
        ..request()
    };
    let (_, spans) = capture(|| chat(&req));
    let span = spans.one("chat");
    assert_attr(span, "gen_ai.request.model", String::new());
}

#[trace_genai(invoke_agent, agent = "planner")]
fn plan(goal: &str) -> Vec<String> {
    let weather = get_weather("Paris").unwrap_or_default();
    vec![summarize(goal), weather]
}

#[test]
fn nested_calls_are_children() {
    let (_, spans) = capture(|| plan("book a trip to Paris"));
    assert_eq!(
        spans.names(),
        [
            "execute_tool get_weather",
            "summarize",
            "invoke_agent planner"
        ]
    );
    let agent = spans.one("invoke_agent planner");
    assert_kind(agent, SpanKind::Internal);
    assert_attr(agent, "gen_ai.agent.name", "planner");
    assert_root(agent);
    assert_child_of(spans.one("execute_tool get_weather"), agent);
    assert_child_of(spans.one("summarize"), agent);
}

#[trace_genai(name = "panicky")]
fn panicky(really: bool) -> u32 {
    assert!(!really, "the prompt was: secret");
    1
}

#[test]
fn panic_ends_the_span_and_keeps_unwinding() {
    let (result, spans) = capture(|| std::panic::catch_unwind(|| panicky(true)));
    let payload = result.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the prompt was: secret")
    );
    let span = spans.one("panicky");
    assert_error(span, "panic");
    assert_eq!(
        span.status,
        opentelemetry::trace::Status::error("the instrumented function panicked")
    );
}

#[trace_genai]
fn early_return(n: u32) -> u32 {
    if n > 10 {
        return n;
    }
    for i in 0..n {
        if i == 3 {
            return i;
        }
    }
    0
}

#[test]
fn every_path_ends_the_span_exactly_once() {
    let (values, spans) = capture(|| [early_return(11), early_return(5), early_return(1)]);
    assert_eq!(values, [11, 3, 0]);
    assert_eq!(spans.all("early_return").len(), 3);
    let ids: std::collections::HashSet<_> =
        spans.0.iter().map(|s| s.span_context.span_id()).collect();
    assert_eq!(ids.len(), 3);
}

#[trace_genai(kind = server, fields("http.route" = "/chat"))]
fn handler() {}

#[test]
fn kind_override_and_string_field_keys() {
    let ((), spans) = capture(handler);
    let span = spans.one("handler");
    assert_kind(span, SpanKind::Server);
    assert_attr(span, "http.route", "/chat");
}

#[test]
fn every_operation_gets_its_name_kind_and_operation_name() {
    #[trace_genai(chat, model = "m")]
    fn op_chat() {}
    #[trace_genai(text_completion, model = "m")]
    fn op_text_completion() {}
    #[trace_genai(generate_content, model = "m")]
    fn op_generate_content() {}
    #[trace_genai(embeddings, model = "m")]
    fn op_embeddings() {}
    #[trace_genai(retrieval, data_source = "docs")]
    fn op_retrieval() {}
    #[trace_genai(execute_tool, tool = "t")]
    fn op_execute_tool() {}
    #[trace_genai(create_agent, agent = "a")]
    fn op_create_agent() {}
    #[trace_genai(invoke_agent, agent = "a")]
    fn op_invoke_agent() {}
    #[trace_genai(invoke_workflow, workflow = "w")]
    fn op_invoke_workflow() {}
    #[trace_genai(invoke_agent, agent = "remote", kind = client)]
    fn op_invoke_remote_agent() {}
    #[trace_genai(chat)]
    fn op_chat_without_model() {}

    let ((), spans) = capture(|| {
        op_chat();
        op_text_completion();
        op_generate_content();
        op_embeddings();
        op_retrieval();
        op_execute_tool();
        op_create_agent();
        op_invoke_agent();
        op_invoke_workflow();
        op_invoke_remote_agent();
        op_chat_without_model();
    });
    let expected = [
        ("chat m", "chat", SpanKind::Client),
        ("text_completion m", "text_completion", SpanKind::Client),
        ("generate_content m", "generate_content", SpanKind::Client),
        ("embeddings m", "embeddings", SpanKind::Client),
        ("retrieval docs", "retrieval", SpanKind::Client),
        ("execute_tool t", "execute_tool", SpanKind::Internal),
        ("create_agent a", "create_agent", SpanKind::Client),
        ("invoke_agent a", "invoke_agent", SpanKind::Internal),
        ("invoke_workflow w", "invoke_workflow", SpanKind::Internal),
        ("invoke_agent remote", "invoke_agent", SpanKind::Client),
        ("chat", "chat", SpanKind::Client),
    ];
    assert_eq!(spans.len(), expected.len());
    for (span, (name, operation, kind)) in spans.0.iter().zip(expected) {
        assert_eq!(span.name, name);
        assert_kind(span, kind);
        assert_attr(span, "gen_ai.operation.name", operation);
    }
    assert_attr(spans.one("retrieval docs"), "gen_ai.data_source.id", "docs");
    assert_attr(spans.one("invoke_workflow w"), "gen_ai.workflow.name", "w");
}
