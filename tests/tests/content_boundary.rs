//! The content boundary, end to end: strings planted in every position through which a
//! producer trace-genai did not write can carry content (plain `tracing` spans and their
//! events inside GenAI work, error fields, the older per-message events, the payload logs
//! of async-openai and langchain-rust, the OpenTelemetry API with and without the
//! `tracing` bridge, another crate's spans, feedback comments) never reach an OTLP
//! collector (HTTP and gRPC) under the default policy, while the spans, their names,
//! levels and numeric fields still do.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use opentelemetry::trace::{Span as _, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{KeyValue, global};
use trace_genai::{current_span, trace_genai};
use trace_genai_tests::harness::{builder, serial};
use trace_genai_tests::receiver::{AttrValue, OtlpReceiver, ReceivedSpan};
use tracing_subscriber::layer::SubscriberExt as _;

const WAIT: Duration = Duration::from_secs(10);

/// An error whose text (and whose source's text) echoes the prompt, as provider errors do.
#[derive(Debug)]
struct ProviderError(&'static str, Option<Box<ProviderError>>);

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "provider refused: {}", self.0)
    }
}

impl Error for ProviderError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.1.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// The planted strings: none may be exported under the default policy.
const PLANTED: [&str; 24] = [
    "PLANT-01", "PLANT-02", "PLANT-03", "PLANT-04", "PLANT-05", "PLANT-06", "PLANT-07", "PLANT-08",
    "PLANT-09", "PLANT-10", "PLANT-11", "PLANT-12", "PLANT-13", "PLANT-14", "PLANT-15", "PLANT-16",
    "PLANT-17", "PLANT-18", "PLANT-19", "PLANT-20", "PLANT-21", "PLANT-22", "PLANT-23", "PLANT-24",
];

/// What a model call of a framework records through `tracing` inside the application's
/// agent, with the application's own writes through the OpenTelemetry API.
#[trace_genai(invoke_agent, agent = "planner")]
fn agent() -> Result<(), ProviderError> {
    // A plain `tracing` span (no `gen_ai.*` attribute) inside GenAI work.
    tracing::info_span!("step", step.number = 1).in_scope(|| {
        tracing::info!(gen_ai.prompt = "PLANT-01", "prompt sent");
        tracing::info!(
            gen_ai.tool.call.arguments = "PLANT-02",
            tokens = 12_i64,
            "tool"
        );
        tracing::info!({ "gen_ai.completion.0.content" } = "PLANT-03", "completion");
        tracing::info!(name: "gen_ai.user.message", content = "PLANT-04", "PLANT-04 as message");
        tracing::info!(prompt = "PLANT-05", attempt = 2_i64, "calling model");
        tracing::warn!(name: "retry.scheduled", attempt = 3_i64, "retrying with {}", "PLANT-23");
        let error = ProviderError("PLANT-06", Some(Box::new(ProviderError("PLANT-21", None))));
        tracing::error!(error = &error as &dyn Error, "call failed");
        // async-openai (src/error.rs) when a reply does not parse.
        tracing::error!(
            target: "async_openai::error",
            "failed deserialization of: {}",
            "{\"choices\":[{\"message\":{\"content\":\"PLANT-07\"}}]}"
        );
    });
    // langchain-rust: its spans carry provider error bodies in `error` fields, it logs
    // tool arguments at INFO and provider errors at WARN/ERROR.
    let generate = tracing::info_span!("llm.generate", error = tracing::field::Empty);
    generate.in_scope(|| {
        tracing::warn!(target: "langchain_rust::llm", "provider error body: {}", "PLANT-10");
    });
    generate.record("error", "PLANT-08");
    drop(generate);
    tracing::info_span!("tool.call").in_scope(|| {
        tracing::info!(
            target: "langchain_rust::tools",
            "Using default implementation: {}",
            "{\"city\":\"PLANT-09\"}"
        );
    });
    // A framework's model call, with an error recorded on it.
    tracing::info_span!(
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m",
        gen_ai.usage.input_tokens = 5_i64
    )
    .in_scope(|| {
        let error = ProviderError("PLANT-11", None);
        tracing::error!(error = &error as &dyn Error, "chat failed");
    });
    // Through the stand-in: on the `#[trace_genai]` span itself.
    let error = ProviderError("PLANT-12", None);
    tracing::error!(error = &error as &dyn Error, "agent step failed");
    tracing::warn!("retrying after {}", "PLANT-13");
    // The OpenTelemetry API on the application's span.
    api_writes("PLANT-14", "PLANT-15", "PLANT-16");
    // Another crate's OpenTelemetry spans inside the agent.
    other_crate("PLANT-18", "PLANT-19", "PLANT-22");
    // A log appender wired to trace-genai's logger provider.
    appender("PLANT-24");
    Err(ProviderError("PLANT-20", None))
}

/// Writes through the OpenTelemetry API to the current span.
fn api_writes(prompt: &'static str, message: &'static str, status: &'static str) {
    current_span::set_attribute(KeyValue::new("gen_ai.prompt", prompt));
    current_span::set_attribute(KeyValue::new("app.city", "Paris"));
    current_span::add_event(
        "gen_ai.user.message",
        vec![KeyValue::new("content", message)],
    );
    opentelemetry::Context::map_current(|cx| cx.span().set_status(Status::error(status)));
}

/// What a crate instrumented with the OpenTelemetry API records.
fn other_crate(exception: &'static str, status: &'static str, plain: &'static str) {
    let tracer = global::tracer("other-crate");
    let mut span = tracer.start("chat");
    span.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
    span.set_attribute(KeyValue::new("gen_ai.request.model", "m"));
    span.add_event(
        "exception",
        vec![
            KeyValue::new("exception.message", exception),
            KeyValue::new("exception.type", "ApiError"),
        ],
    );
    span.set_status(Status::error(status));
    span.end();
    // A span without `gen_ai.*` attributes: a per-message event is content wherever it is.
    let mut span = tracer.start("cache.lookup");
    span.add_event("gen_ai.choice", vec![KeyValue::new("message", plain)]);
    span.end();
}

struct Answer;

impl trace_genai::GenAiResponse for Answer {
    fn response_id(&self) -> Option<&str> {
        Some("resp-boundary")
    }
}

/// What a log appender wired to trace-genai's logger provider emits, inside the call.
fn appender(body: &'static str) {
    use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
    let Some(provider) = trace_genai::logger_provider() else {
        return;
    };
    let logger = provider.logger("appender");
    let mut record = logger.create_log_record();
    record.set_body(body.into());
    record.add_attribute("attempt", 4_i64);
    logger.emit(record);
}

#[trace_genai(chat, model = "m")]
fn answered() -> Answer {
    Answer
}

fn exported(receiver: &OtlpReceiver) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        receiver.spans(),
        receiver.log_records(),
        receiver.metrics()
    )
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name}: {spans:#?}"))
}

/// Runs the agent with the bridge in place and telemetry sent to `receiver` with
/// `protocol`, under the default policy; returns the spans that arrived.
fn run_default_policy(receiver: &OtlpReceiver, protocol: &str) -> Vec<ReceivedSpan> {
    let endpoint = if protocol == "grpc" {
        receiver.grpc_endpoint()
    } else {
        receiver.http_endpoint()
    };
    let telemetry = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
    ])
    .install()
    .unwrap();
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let _ = agent();
        let _ = answered();
        trace_genai::record_user_feedback("resp-boundary", 1.0, Some("PLANT-17")).unwrap();
    });
    telemetry.shutdown().unwrap();
    let _ = receiver.wait_for_logs(2, WAIT);
    receiver.spans()
}

fn assert_nothing_planted_and_the_rest_arrives(receiver: &OtlpReceiver, spans: &[ReceivedSpan]) {
    let all = exported(receiver);
    for planted in PLANTED {
        assert!(!all.contains(planted), "{planted} was exported: {all}");
    }
    // The spans, their names, levels and numbers still arrive.
    let step = named(spans, "step");
    assert_eq!(
        step.attr("step.number").and_then(AttrValue::as_i64),
        Some(1),
        "{step:#?}"
    );
    let calling = step
        .events
        .iter()
        .find(|e| e.attributes.get("attempt").and_then(AttrValue::as_i64) == Some(2))
        .unwrap_or_else(|| panic!("the event's numeric field: {step:#?}"));
    assert_eq!(calling.name, "[text omitted]");
    assert_eq!(
        calling.attributes.get("level").and_then(AttrValue::as_str),
        Some("INFO")
    );
    // An identifier-like message is a name, and stays; the content field goes.
    let tool = step
        .events
        .iter()
        .find(|e| e.name == "tool")
        .unwrap_or_else(|| panic!("{step:#?}"));
    assert_eq!(
        tool.attributes.get("tokens").and_then(AttrValue::as_i64),
        Some(12)
    );
    assert!(!tool.attributes.contains_key("gen_ai.tool.call.arguments"));
    assert!(
        !step.events.iter().any(|e| e.name == "prompt sent"),
        "{step:#?}"
    );
    assert!(
        step.events
            .iter()
            .any(|e| e.attributes.get("level").and_then(AttrValue::as_str) == Some("ERROR")),
        "the error events keep their level: {step:#?}"
    );
    // An event whose callsite has a name of its own keeps it, with its numbers.
    let retry = step
        .events
        .iter()
        .find(|e| e.name == "retry.scheduled")
        .unwrap_or_else(|| panic!("the callsite's name: {step:#?}"));
    assert_eq!(
        retry.attributes.get("attempt").and_then(AttrValue::as_i64),
        Some(3)
    );
    named(spans, "llm.generate");
    named(spans, "tool.call");
    named(spans, "cache.lookup");
    let agent = named(spans, "invoke_agent planner");
    assert_eq!(
        agent.attr("app.city").and_then(AttrValue::as_str),
        Some("Paris"),
        "the application's own attribute stays: {agent:#?}"
    );
    assert_eq!(
        agent.attr("error.type").and_then(AttrValue::as_str),
        Some("content_boundary::ProviderError")
    );
    assert!(
        agent
            .events
            .iter()
            .any(|e| e.attributes.get("level").and_then(AttrValue::as_str) == Some("WARN")),
        "{agent:#?}"
    );
    let framework_chat = spans
        .iter()
        .find(|s| s.name == "chat m" && s.scope_name == "trace-genai.tracing")
        .unwrap_or_else(|| panic!("{spans:#?}"));
    assert_eq!(
        framework_chat
            .attr("gen_ai.usage.input_tokens")
            .and_then(AttrValue::as_i64),
        Some(5)
    );
    let logs = receiver.log_records();
    // The appender's record arrives with its numbers, without its text.
    let appended = logs
        .iter()
        .find(|log| log.scope_name == "appender")
        .unwrap_or_else(|| panic!("{logs:#?}"));
    assert_eq!(appended.body, None);
    assert_eq!(
        appended.attr("attempt").and_then(AttrValue::as_i64),
        Some(4)
    );
    // Feedback arrives, without its comment.
    assert!(
        logs.iter()
            .any(|log| log.event_name == "gen_ai.evaluation.user_feedback" && log.body.is_none()),
        "{logs:#?}"
    );
}

#[test]
fn nothing_planted_reaches_an_otlp_http_collector_under_the_default_policy() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let spans = run_default_policy(&receiver, "http/protobuf");
    assert_nothing_planted_and_the_rest_arrives(&receiver, &spans);
}

#[test]
fn nothing_planted_reaches_an_otlp_grpc_collector_under_the_default_policy() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let spans = run_default_policy(&receiver, "grpc");
    assert_nothing_planted_and_the_rest_arrives(&receiver, &spans);
}

#[test]
fn api_writes_without_a_tracing_layer_meet_the_same_rules() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.http_endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ])
    .install()
    .unwrap();
    let _ = agent();
    telemetry.shutdown().unwrap();
    let all = exported(&receiver);
    for planted in [
        "PLANT-14", "PLANT-15", "PLANT-16", "PLANT-18", "PLANT-19", "PLANT-22",
    ] {
        assert!(!all.contains(planted), "{planted} was exported: {all}");
    }
    let spans = receiver.spans();
    let agent = named(&spans, "invoke_agent planner");
    // The guard's text-free error status replaced the one written through the API.
    assert_eq!(agent.status_message, "", "{agent:#?}");
    assert_eq!(
        agent.attr("app.city").and_then(AttrValue::as_str),
        Some("Paris")
    );
}

mod overrides {
    //! A function's `content = …` decides for everything written to its span, whoever
    //! wrote it (the OpenTelemetry API, `tracing` through the bridge), on both span paths.

    use opentelemetry::KeyValue;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
    use trace_genai::config::Config;
    use trace_genai::{ContentCapture, SamplerConfig, Telemetry, current_span, trace_genai};
    use trace_genai_tests::harness::serial;
    use tracing_subscriber::layer::SubscriberExt as _;

    fn writes() {
        current_span::set_attribute(KeyValue::new("gen_ai.prompt", "OVERRIDE-1"));
        tracing::info!("third-party text OVERRIDE-2");
    }

    #[trace_genai(chat, model = "m", content = "span_only")]
    fn content_on() {
        writes();
    }

    #[trace_genai(chat, model = "m", content = "no_content")]
    fn content_off() {
        writes();
    }

    fn run(global: ContentCapture, sdk_path: bool, f: fn()) -> SpanData {
        let exporter = InMemorySpanExporter::default();
        let builder = Telemetry::builder()
            .with_config(Config::default())
            .with_sampler(SamplerConfig::AlwaysOn)
            .with_content_capture(global);
        let builder = if sdk_path {
            builder
                .with_no_exporter()
                .with_span_processor(SimpleSpanProcessor::new(exporter.clone()))
        } else {
            builder.with_span_exporter(exporter.clone())
        };
        let telemetry = builder.install().unwrap();
        let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
        tracing::subscriber::with_default(subscriber, f);
        telemetry.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        telemetry.shutdown().unwrap();
        assert_eq!(spans.len(), 1, "{spans:#?}");
        spans.into_iter().next().unwrap()
    }

    fn text(span: &SpanData) -> String {
        format!("{:?} {:?}", span.attributes, span.events)
    }

    #[test]
    fn a_functions_content_argument_governs_every_write_on_both_paths() {
        let _serial = serial();
        for sdk_path in [false, true] {
            let on = run(ContentCapture::NoContent, sdk_path, content_on);
            let on = text(&on);
            assert!(on.contains("OVERRIDE-1"), "sdk path {sdk_path}: {on}");
            assert!(on.contains("OVERRIDE-2"), "sdk path {sdk_path}: {on}");
            let off = run(ContentCapture::SpanOnly, sdk_path, content_off);
            let off = text(&off);
            assert!(!off.contains("OVERRIDE"), "sdk path {sdk_path}: {off}");
            assert!(off.contains("[text omitted]"), "sdk path {sdk_path}: {off}");
        }
    }
}

mod smallest_budget {
    //! The smallest content budget keeps the conventions' message schema and uses at least
    //! 90% of the budget.

    use opentelemetry::Value;
    use opentelemetry_sdk::trace::InMemorySpanExporter;
    use trace_genai::config::Config;
    use trace_genai::message::ChatMessage;
    use trace_genai::{ContentCapture, SamplerConfig, Telemetry, trace_genai};
    use trace_genai_tests::harness::serial;

    #[trace_genai(chat, model = "m", capture(messages))]
    fn chat(messages: &[ChatMessage]) {
        let _ = messages;
    }

    #[test]
    fn a_message_keeps_its_schema_and_the_budget_at_the_smallest_budget() {
        let _serial = serial();
        let exporter = InMemorySpanExporter::default();
        let telemetry = Telemetry::builder()
            .with_config(Config::default())
            .with_no_exporter()
            .with_sampler(SamplerConfig::AlwaysOn)
            .with_content_capture(ContentCapture::SpanOnly)
            // Clamped to the smallest budget, 64 characters.
            .with_content_max_length(1)
            .with_span_exporter(exporter.clone())
            .install()
            .unwrap();
        chat(&[ChatMessage::user("x".repeat(10_000))]);
        telemetry.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        telemetry.shutdown().unwrap();
        let value = spans[0]
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "gen_ai.input.messages")
            .map(|kv| kv.value.clone());
        let Some(Value::String(text)) = value else {
            panic!("{spans:#?}");
        };
        let text = text.as_str();
        let length = text.chars().count();
        assert!(length <= 64 && length * 10 >= 64 * 9, "{length}: {text}");
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(json[0]["role"], "user", "{text}");
        assert_eq!(json[0]["parts"][0]["type"], "text", "{text}");
        let content = json[0]["parts"][0]["content"].as_str().unwrap();
        assert!(content.starts_with("xxxx"), "{text}");
    }
}

mod trusted {
    //! The application's own `tracing` targets can be trusted: their events keep their
    //! text inside GenAI work whatever the policy; other targets' do not.

    use opentelemetry_sdk::trace::InMemorySpanExporter;
    use trace_genai::config::Config;
    use trace_genai::{SamplerConfig, Telemetry, TracingOptions, trace_genai};
    use trace_genai_tests::harness::serial;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[trace_genai(invoke_agent, agent = "trusting")]
    fn agent() {
        tracing::info!("own words {}", "kept");
        tracing::info!(target: "some_framework", "payload {}", "omitted");
    }

    #[test]
    fn trusted_targets_keep_their_text_and_others_do_not() {
        let _serial = serial();
        let exporter = InMemorySpanExporter::default();
        let telemetry = Telemetry::builder()
            .with_config(Config::default())
            .with_no_exporter()
            .with_sampler(SamplerConfig::AlwaysOn)
            .with_span_exporter(exporter.clone())
            .install()
            .unwrap();
        let layer = telemetry.tracing_layer_with(
            TracingOptions::default().with_trusted_targets(&["content_boundary"]),
        );
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), agent);
        telemetry.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        telemetry.shutdown().unwrap();
        let names: Vec<&str> = spans[0].events.iter().map(|e| e.name.as_ref()).collect();
        assert_eq!(names, ["own words kept", "[text omitted]"], "{spans:#?}");
    }
}
