//! Message content: off by default, opt-in by policy (environment, code, or per function),
//! named by `capture(...)`; JSON strings on spans, structured values in the
//! `gen_ai.client.inference.operation.details` event; nothing converted when off; error
//! texts only with content on spans; truncation that keeps JSON valid.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry::logs::AnyValue;
use opentelemetry::trace::Status;
use opentelemetry::{Key, Value};
use opentelemetry_sdk::logs::SdkLogRecord;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value as Json, json};
use trace_genai::config::Config;
use trace_genai::message::{
    ChatMessage, InputMessages, OutputMessage, OutputMessages, Part, RequestParameters,
    ToolDefinition,
};
use trace_genai::{
    ContentCapture, GenAiRequest, GenAiResponse, TRUNCATION_MARKER, Usage, set_content_capture,
    trace_genai,
};
use trace_genai_tests::harness::*;

const CONTENT_KEYS: [&str; 4] = [
    "gen_ai.input.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.output.messages",
];

#[derive(Debug, Clone)]
struct Reply {
    text: String,
}

impl GenAiResponse for Reply {
    fn response_id(&self) -> Option<&str> {
        Some("resp-1")
    }
    fn finish_reasons(&self) -> Vec<&str> {
        vec!["stop"]
    }
    fn usage(&self) -> Usage {
        Usage::new(11, 3)
    }
}

impl OutputMessages for Reply {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Owned(vec![OutputMessage::assistant(self.text.clone(), "stop")])
    }
}

#[derive(Debug)]
struct ApiError(String);

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited while answering {:?}", self.0)
    }
}

fn tools() -> Vec<ToolDefinition> {
    vec![ToolDefinition::function("get_weather").with_description("Current weather")]
}

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    capture(messages, system = instructions, tools, output)
)]
fn chat(
    messages: &[ChatMessage],
    instructions: &str,
    tools: &[ToolDefinition],
    fail: bool,
) -> Result<Reply, ApiError> {
    let _ = tools;
    if fail {
        return Err(ApiError(instructions.to_owned()));
    }
    Ok(Reply {
        text: format!("{} messages read", messages.len()),
    })
}

fn call_chat(fail: bool) -> Result<Reply, ApiError> {
    chat(
        &[ChatMessage::user("Weather in Paris?")],
        "You are terse.",
        &tools(),
        fail,
    )
}

/// Runs `f` with `policy` installed, then puts the default back.
fn with_policy<R>(policy: ContentCapture, f: impl FnOnce() -> R) -> (R, Spans, Vec<SdkLogRecord>) {
    capture_with_logs(|| {
        set_content_capture(policy);
        let result = f();
        set_content_capture(ContentCapture::NoContent);
        result
    })
}

/// A current-thread tokio runtime: the SDK's simple processors block on their own
/// executor, which cannot nest inside `futures::executor::block_on`.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn json_attr(span: &SpanData, key: &str) -> Json {
    match attr(span, key) {
        Some(Value::String(text)) => serde_json::from_str(text.as_str())
            .unwrap_or_else(|error| panic!("{key} is not JSON ({error}): {text}")),
        other => panic!("{key} should be a JSON string, is {other:?}"),
    }
}

fn event_attr<'a>(record: &'a SdkLogRecord, key: &str) -> Option<&'a AnyValue> {
    record
        .attributes_iter()
        .find(|(k, _)| *k == Key::new(key.to_owned()))
        .map(|(_, v)| v)
}

fn details(logs: &[SdkLogRecord]) -> Vec<&SdkLogRecord> {
    logs.iter()
        .filter(|record| record.event_name() == Some("gen_ai.client.inference.operation.details"))
        .collect()
}

fn assert_span_content(span: &SpanData) {
    assert_eq!(
        json_attr(span, "gen_ai.input.messages"),
        json!([{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}])
    );
    assert_eq!(
        json_attr(span, "gen_ai.system_instructions"),
        json!([{"type": "text", "content": "You are terse."}])
    );
    assert_eq!(
        json_attr(span, "gen_ai.tool.definitions"),
        json!([{"type": "function", "name": "get_weather", "description": "Current weather"}])
    );
    assert_eq!(
        json_attr(span, "gen_ai.output.messages"),
        json!([{"role": "assistant", "parts": [{"type": "text", "content": "1 messages read"}], "finish_reason": "stop"}])
    );
}

fn assert_no_span_content(span: &SpanData) {
    for key in CONTENT_KEYS {
        assert_no_attr(span, key);
    }
}

fn assert_event(span: &SpanData, event: &SdkLogRecord) {
    let trace = event.trace_context().expect("event in the span's context");
    assert_eq!(trace.trace_id, span.span_context.trace_id());
    assert_eq!(trace.span_id, span.span_context.span_id());
    assert_eq!(
        event_attr(event, "gen_ai.operation.name"),
        Some(&AnyValue::String("chat".into()))
    );
    assert_eq!(
        event_attr(event, "gen_ai.request.model"),
        Some(&AnyValue::String("gpt-4o".into()))
    );
    assert_eq!(
        event_attr(event, "gen_ai.response.id"),
        Some(&AnyValue::String("resp-1".into()))
    );
    assert_eq!(
        event_attr(event, "gen_ai.usage.input_tokens"),
        Some(&AnyValue::Int(11))
    );
    // Structured, not JSON text.
    let Some(AnyValue::ListAny(messages)) = event_attr(event, "gen_ai.input.messages") else {
        panic!("input messages should be a list");
    };
    let Some(AnyValue::Map(message)) = messages.first() else {
        panic!("a message should be a map");
    };
    assert_eq!(
        message.get(&Key::from_static_str("role")),
        Some(&AnyValue::String("user".into()))
    );
    for key in CONTENT_KEYS {
        assert!(
            matches!(event_attr(event, key), Some(AnyValue::ListAny(_))),
            "event lacks {key}"
        );
    }
}

#[test]
fn off_by_default_records_no_content_and_no_event() {
    let (result, spans, logs) = capture_with_logs(|| call_chat(false));
    result.unwrap();
    let span = spans.one("chat gpt-4o");
    assert_no_span_content(span);
    assert_attr(span, "gen_ai.usage.input_tokens", 11_i64);
    assert!(details(&logs).is_empty(), "{logs:?}");
}

#[test]
fn each_policy_records_where_it_says() {
    let (_, spans, logs) = with_policy(ContentCapture::SpanOnly, || call_chat(false));
    assert_span_content(spans.one("chat gpt-4o"));
    assert!(details(&logs).is_empty());

    let (_, spans, logs) = with_policy(ContentCapture::EventOnly, || call_chat(false));
    let span = spans.one("chat gpt-4o");
    assert_no_span_content(span);
    let events = details(&logs);
    assert_eq!(events.len(), 1);
    assert_event(span, events[0]);

    let (_, spans, logs) = with_policy(ContentCapture::SpanAndEvent, || call_chat(false));
    let span = spans.one("chat gpt-4o");
    assert_span_content(span);
    let events = details(&logs);
    assert_eq!(events.len(), 1);
    assert_event(span, events[0]);

    let (_, spans, logs) = with_policy(ContentCapture::NoContent, || call_chat(false));
    assert_no_span_content(spans.one("chat gpt-4o"));
    assert!(details(&logs).is_empty());
}

#[trace_genai(invoke_agent, agent = "planner", capture(messages = question, output))]
fn plan(question: &str) -> String {
    let weather = get_weather("Paris", 'C').map_or(0.0, |forecast| forecast.temperature);
    let _ = complete_text(question);
    let _ = generate(question);
    let reply = call_chat(false).map(|reply| reply.text).unwrap_or_default();
    format!("{reply}, {weather} °C")
}

#[trace_genai(text_completion, model = "davinci", capture(messages = prompt, output))]
fn complete_text(prompt: &str) -> String {
    format!("{prompt} …")
}

#[trace_genai(generate_content, model = "gemini", capture(messages = prompt, output))]
fn generate(prompt: &str) -> String {
    format!("{prompt} !")
}

#[test]
fn the_details_event_is_emitted_for_inference_operations_only() {
    let (_, spans, logs) = with_policy(ContentCapture::SpanAndEvent, || plan("Weather?"));
    let mut operations: Vec<String> = details(&logs)
        .iter()
        .map(|event| match event_attr(event, "gen_ai.operation.name") {
            Some(AnyValue::String(name)) => name.to_string(),
            other => panic!("event without an operation name: {other:?}"),
        })
        .collect();
    operations.sort();
    // Not `invoke_agent` nor `execute_tool`, whose content still goes on their spans.
    assert_eq!(operations, ["chat", "generate_content", "text_completion"]);
    let agent = spans.one("invoke_agent planner");
    assert!(json_attr(agent, "gen_ai.input.messages").is_array());
    assert!(json_attr(agent, "gen_ai.output.messages").is_array());
    let tool = spans.one("execute_tool get_weather");
    assert_eq!(
        json_attr(tool, "gen_ai.tool.call.arguments"),
        json!({"city": "Paris", "unit": "C"})
    );

    // Events only: the inference spans' events, and nothing at all for the others.
    let (_, spans, logs) = with_policy(ContentCapture::EventOnly, || plan("Weather?"));
    assert_eq!(details(&logs).len(), 3, "{logs:?}");
    assert_no_span_content(spans.one("invoke_agent planner"));
    let tool = spans.one("execute_tool get_weather");
    assert_no_attr(tool, "gen_ai.tool.call.arguments");
    assert_no_attr(tool, "gen_ai.tool.call.result");
}

const OTEL: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
const AZURE: &str = "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED";

/// An environment and what it leads to.
struct Case {
    env: &'static [(&'static str, &'static str)],
    on_span: bool,
    event: bool,
    warning: bool,
}

const fn case(env: &'static [(&'static str, &'static str)], on_span: bool, event: bool) -> Case {
    Case {
        env,
        on_span,
        event,
        warning: false,
    }
}

/// What each environment value leads to, through the same resolution `install` uses.
#[test]
fn every_environment_value() {
    let cases = [
        case(&[], false, false),
        case(&[(OTEL, "NO_CONTENT")], false, false),
        case(&[(OTEL, "SPAN_ONLY")], true, false),
        case(&[(OTEL, "span_only")], true, false),
        case(&[(OTEL, "EVENT_ONLY")], false, true),
        case(&[(OTEL, "SPAN_AND_EVENT")], true, true),
        case(&[(OTEL, "true")], true, true),
        case(&[(OTEL, "False")], false, false),
        case(&[(AZURE, "TRUE")], true, true),
        // Not a boolean: off, with a warning (the OpenTelemetry rule for booleans).
        Case {
            warning: true,
            ..case(&[(AZURE, "yes")], false, false)
        },
        case(&[(OTEL, "NO_CONTENT"), (AZURE, "true")], false, false),
        Case {
            warning: true,
            ..case(&[(OTEL, "everything")], false, false)
        },
    ];
    for case in cases {
        let config = Config::from_lookup(|name| {
            case.env
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .unwrap();
        let env = case.env;
        assert_eq!(
            !config.warnings.is_empty(),
            case.warning,
            "{env:?}: {:?}",
            config.warnings
        );
        let (_, spans, logs) = with_policy(config.content_capture, || call_chat(false));
        let span = spans.one("chat gpt-4o");
        if case.on_span {
            assert_span_content(span);
        } else {
            assert_no_span_content(span);
        }
        assert_eq!(details(&logs).len(), usize::from(case.event), "{env:?}");
    }
}

#[trace_genai(chat, model = "private", content = "no_content", capture(messages))]
fn never_recorded(messages: &str) -> String {
    messages.to_uppercase()
}

#[trace_genai(chat, model = "debug", content = "SPAN_ONLY", capture(messages))]
fn always_on_span(messages: &str) -> String {
    messages.to_uppercase()
}

#[test]
fn a_function_policy_wins_over_the_installed_one() {
    let (_, spans, logs) = with_policy(ContentCapture::SpanAndEvent, || never_recorded("secret"));
    assert_no_attr(spans.one("chat private"), "gen_ai.input.messages");
    assert!(details(&logs).is_empty());

    let (_, spans, logs) = with_policy(ContentCapture::NoContent, || always_on_span("hi"));
    assert_eq!(
        json_attr(spans.one("chat debug"), "gen_ai.input.messages"),
        json!([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])
    );
    assert!(details(&logs).is_empty());
}

static CONVERSIONS: AtomicUsize = AtomicUsize::new(0);

/// Counts every conversion, and then panics: a conversion that runs while content is off
/// would show in the counter.
struct Tripwire;

impl InputMessages for Tripwire {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        CONVERSIONS.fetch_add(1, Ordering::SeqCst);
        panic!("converted");
    }
}

impl serde::Serialize for Tripwire {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        CONVERSIONS.fetch_add(1, Ordering::SeqCst);
        panic!("serialized");
    }
}

#[trace_genai(chat, model = "m", capture(messages = tripwire))]
fn chat_tripwire(tripwire: &Tripwire) -> usize {
    let _ = tripwire;
    1
}

#[trace_genai(execute_tool, capture(arguments(tripwire), result))]
fn tool_tripwire(tripwire: &Tripwire) -> Tripwire {
    let _ = tripwire;
    Tripwire
}

#[test]
fn nothing_is_converted_or_serialized_when_content_is_off() {
    CONVERSIONS.store(0, Ordering::SeqCst);
    let ((), spans, _) = capture_with_logs(|| {
        chat_tripwire(&Tripwire);
        tool_tripwire(&Tripwire);
    });
    assert_eq!(CONVERSIONS.load(Ordering::SeqCst), 0);
    assert_eq!(spans.len(), 2);

    // The same calls with content on do convert (so the counter can tell), and a
    // conversion that panics costs its content only: the call and its span go on.
    let ((), spans, _) = with_policy(ContentCapture::SpanOnly, || {
        chat_tripwire(&Tripwire);
        tool_tripwire(&Tripwire);
    });
    assert_eq!(CONVERSIONS.load(Ordering::SeqCst), 3);
    assert_ok(spans.one("chat m"));
    assert_no_attr(spans.one("chat m"), "gen_ai.input.messages");
    assert_ok(spans.one("execute_tool tool_tripwire"));
}

#[test]
fn error_text_only_with_content_on_spans() {
    let (_, spans, _) = capture_with_logs(|| call_chat(true));
    let span = spans.one("chat gpt-4o");
    assert_error(span, "content_capture::ApiError");
    assert_eq!(span.status, Status::error(""));

    let (_, spans, _) = with_policy(ContentCapture::EventOnly, || call_chat(true));
    assert_eq!(spans.one("chat gpt-4o").status, Status::error(""));

    let (_, spans, _) = with_policy(ContentCapture::SpanOnly, || call_chat(true));
    let span = spans.one("chat gpt-4o");
    assert_error(span, "content_capture::ApiError");
    assert_eq!(
        span.status,
        Status::error("rate limited while answering \"You are terse.\"")
    );
    assert_no_attr(span, "gen_ai.output.messages");
}

#[derive(serde::Serialize)]
struct Forecast {
    temperature: f64,
    sky: &'static str,
}

#[trace_genai(
    execute_tool,
    tool_call_id = "call_1",
    capture(arguments(city, unit), result)
)]
fn get_weather(city: &str, unit: char) -> Result<Forecast, ApiError> {
    let _ = (city, unit);
    Ok(Forecast {
        temperature: 14.5,
        sky: "rainy",
    })
}

#[trace_genai(execute_tool, tool = "lookup", capture(arguments = query, result))]
async fn lookup(query: &serde_json::Value) -> String {
    tokio::task::yield_now().await;
    format!("found {}", query["id"])
}

#[derive(serde::Serialize)]
struct Document {
    id: &'static str,
    score: f64,
}

#[trace_genai(retrieval, data_source = "kb", capture(query, documents))]
fn search(query: &str) -> Vec<Document> {
    let _ = query;
    vec![Document {
        id: "doc_1",
        score: 0.9,
    }]
}

#[test]
fn tools_and_retrieval() {
    let ((), spans, _) = with_policy(ContentCapture::SpanOnly, || {
        get_weather("Paris", 'C').unwrap();
        search("weather in Paris");
    });
    let tool = spans.one("execute_tool get_weather");
    assert_eq!(
        json_attr(tool, "gen_ai.tool.call.arguments"),
        json!({"city": "Paris", "unit": "C"})
    );
    assert_eq!(
        json_attr(tool, "gen_ai.tool.call.result"),
        json!({"temperature": 14.5, "sky": "rainy"})
    );
    let retrieval = spans.one("retrieval kb");
    assert_attr(
        retrieval,
        "gen_ai.retrieval.query.text",
        "weather in Paris".to_owned(),
    );
    assert_eq!(
        json_attr(retrieval, "gen_ai.retrieval.documents"),
        json!([{"id": "doc_1", "score": 0.9}])
    );

    let (_, spans, _) = with_policy(ContentCapture::SpanOnly, || {
        block_on(lookup(&json!({"id": 7})))
    });
    let tool = spans.one("execute_tool lookup");
    assert_eq!(
        json_attr(tool, "gen_ai.tool.call.arguments"),
        json!({"id": 7})
    );
    // A plain string result stays a plain string.
    assert_attr(tool, "gen_ai.tool.call.result", "found 7".to_owned());
}

struct Request {
    model: String,
    messages: Vec<ChatMessage>,
}

impl GenAiRequest for Request {
    fn request_model(&self) -> Option<&str> {
        Some(&self.model)
    }
    fn request_parameters(&self) -> RequestParameters {
        let mut parameters = RequestParameters::default();
        parameters.temperature = Some(0.25);
        parameters.max_tokens = Some(64);
        parameters.stop_sequences = vec!["END".to_owned()];
        parameters
    }
    fn input_messages(&self) -> Vec<ChatMessage> {
        self.messages.clone()
    }
    fn system_instructions(&self) -> Vec<Part> {
        vec![Part::text("Be brief.")]
    }
}

#[trace_genai(chat, provider = "openai", request = req, max_tokens = 32, capture(request, output))]
async fn send(req: &Request) -> Result<Reply, ApiError> {
    tokio::task::yield_now().await;
    Ok(Reply {
        text: format!("{} says hi", req.model),
    })
}

#[test]
fn a_request_type_reports_model_parameters_and_content() {
    let request = Request {
        model: "gpt-4o-mini".to_owned(),
        messages: vec![ChatMessage::system("Rules."), ChatMessage::user("Hi")],
    };
    let (_, spans, _) = with_policy(ContentCapture::SpanOnly, || {
        block_on(send(&request)).unwrap()
    });
    let span = spans.one("chat gpt-4o-mini");
    assert_attr(span, "gen_ai.request.model", "gpt-4o-mini".to_owned());
    assert_attr(span, "gen_ai.request.temperature", 0.25);
    // The explicit key wins over the request's value.
    assert_attr(span, "gen_ai.request.max_tokens", 32_i64);
    assert_attr(
        span,
        "gen_ai.request.stop_sequences",
        Value::Array(vec![opentelemetry::StringValue::from("END")].into()),
    );
    assert_eq!(
        json_attr(span, "gen_ai.input.messages"),
        json!([
            {"role": "system", "parts": [{"type": "text", "content": "Rules."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}
        ])
    );
    assert_eq!(
        json_attr(span, "gen_ai.system_instructions"),
        json!([{"type": "text", "content": "Be brief."}])
    );
    assert_no_attr(span, "gen_ai.tool.definitions");
    assert_eq!(
        json_attr(span, "gen_ai.output.messages")[0]["parts"][0]["content"],
        json!("gpt-4o-mini says hi")
    );
}

#[trace_genai(chat, model = "big", capture(messages))]
fn big(messages: &[ChatMessage]) -> Reply {
    let _ = messages;
    Reply {
        text: "ok".to_owned(),
    }
}

#[test]
fn large_content_is_cut_to_the_budget_and_stays_valid_json() {
    // Two-byte and four-byte characters, so that a byte-based cut would split one.
    let long = "é🦀".repeat(6_000);
    let messages = vec![ChatMessage::user(long.clone()), ChatMessage::user("tail")];
    let (_, spans, logs) = with_policy(ContentCapture::SpanAndEvent, || big(&messages));
    let span = spans.one("chat big");
    let Some(Value::String(text)) = attr(span, "gen_ai.input.messages") else {
        panic!("input messages missing");
    };
    let text = text.as_str();
    assert!(text.chars().count() <= trace_genai::DEFAULT_CONTENT_MAX_LENGTH);
    assert!(text.chars().count() > trace_genai::DEFAULT_CONTENT_MAX_LENGTH - 100);
    let parsed: Json = serde_json::from_str(text).expect("still JSON");
    let first = parsed[0]["parts"][0]["content"].as_str().unwrap();
    assert!(first.ends_with(TRUNCATION_MARKER), "cut is marked");
    assert!(long.starts_with(first.trim_end_matches(TRUNCATION_MARKER)));
    // The short message after the cut one is kept whole.
    assert_eq!(parsed[1]["parts"][0]["content"], json!("tail"));
    // Usage and response attributes are unaffected.
    assert_attr(span, "gen_ai.usage.input_tokens", 11_i64);
    assert_attr(span, "gen_ai.usage.output_tokens", 3_i64);
    assert_attr(span, "gen_ai.response.id", "resp-1".to_owned());
    // The event carries the same cut content, structured.
    let events = details(&logs);
    let Some(AnyValue::ListAny(messages)) = event_attr(events[0], "gen_ai.input.messages") else {
        panic!("event messages missing");
    };
    assert_eq!(messages.len(), 2);
}
