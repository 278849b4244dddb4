//! Spans of other instrumentation under trace-genai's rules, span by span: what a
//! framework records through `tracing` (as rig and genai do) or another crate through the
//! OpenTelemetry API is nested under the `#[trace_genai]` span, named, kinded and typed as
//! the conventions say, kept free of content unless the policy allows it, counted once in
//! the GenAI metrics and indexed for feedback. (`frameworks.rs` runs the real crates.)

use opentelemetry::trace::{SpanKind, Tracer as _, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::InMemoryMetricExporter;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
use trace_genai::config::Config;
use trace_genai::{ContentCapture, SamplerConfig, Telemetry, trace_genai};
use trace_genai_tests::harness::{assert_child_of, assert_kind, assert_no_attr, attr, serial};
use tracing_subscriber::layer::SubscriberExt as _;

/// What a framework does inside the application's agent: rig adopts the current `tracing`
/// span as its agent span, and opens its model call under it with an explicit parent.
#[trace_genai(invoke_agent, agent = "planner")]
fn agent() {
    let ambient = tracing::Span::current();
    assert!(
        !ambient.is_disabled(),
        "a tracing span stands for the GenAI span"
    );
    let chat = tracing::info_span!(
        parent: &ambient,
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m",
        gen_ai.response.id = "resp-framework-1",
        gen_ai.response.finish_reasons = "[\"stop\"]",
        gen_ai.input.messages = "[{\"role\":\"user\",\"content\":\"secret prompt\"}]",
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = "7",
    );
    chat.in_scope(|| {
        tracing::debug!(reply = "secret reply", "raw reply");
        tracing::info!("turn finished");
    });
    chat.record("gen_ai.usage.input_tokens", 57_u64);
    tracing::info!("agent step");
}

/// The application's own model call, with a framework's span of the same call inside.
#[trace_genai(chat, model = "m")]
fn wrapped_chat() {
    tracing::info_span!(
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m"
    )
    .in_scope(|| {});
}

struct Installed {
    telemetry: Telemetry,
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
}

fn install(capture: ContentCapture) -> Installed {
    let spans = InMemorySpanExporter::default();
    let metrics = InMemoryMetricExporter::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::AlwaysOn)
        .with_content_capture(capture)
        .with_span_processor(SimpleSpanProcessor::new(spans.clone()))
        .with_metric_exporter(metrics.clone())
        .install()
        .unwrap();
    Installed {
        telemetry,
        spans,
        metrics,
    }
}

/// Runs `f` with the bridge as the current `tracing` subscriber, then flushes.
fn run(installed: &Installed, f: impl FnOnce()) -> Vec<SpanData> {
    let subscriber = tracing_subscriber::registry().with(installed.telemetry.tracing_layer());
    tracing::subscriber::with_default(subscriber, f);
    installed.telemetry.force_flush().unwrap();
    installed.spans.get_finished_spans().unwrap()
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "{name}: {spans:#?}");
    found[0]
}

/// The count of the `chat` points of `gen_ai.client.operation.duration`.
fn chat_durations(metrics: &InMemoryMetricExporter) -> u64 {
    let finished: Vec<ResourceMetrics> = metrics.get_finished_metrics().unwrap();
    finished
        .iter()
        .flat_map(ResourceMetrics::scope_metrics)
        .flat_map(opentelemetry_sdk::metrics::data::ScopeMetrics::metrics)
        .filter(|metric| metric.name() == "gen_ai.client.operation.duration")
        .map(|metric| match metric.data() {
            AggregatedMetrics::F64(MetricData::Histogram(histogram)) => histogram
                .data_points()
                .filter(|point| {
                    point.attributes().any(|kv| {
                        kv.key.as_str() == "gen_ai.operation.name" && kv.value.as_str() == "chat"
                    })
                })
                .map(opentelemetry_sdk::metrics::data::HistogramDataPoint::count)
                .sum::<u64>(),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn a_framework_span_nests_and_follows_the_conventions_and_the_policy() {
    let _serial = serial();
    let installed = install(ContentCapture::NoContent);
    let spans = run(&installed, agent);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(spans.len(), 2, "no stand-in span is exported: {names:?}");

    let agent = one(&spans, "invoke_agent planner");
    let chat = one(&spans, "chat m");
    assert_child_of(chat, agent);
    assert_kind(chat, SpanKind::Client);
    assert_eq!(
        attr(chat, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(57))
    );
    assert_eq!(
        attr(chat, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(7))
    );
    assert_eq!(
        attr(chat, "gen_ai.response.finish_reasons"),
        Some(&Value::Array(opentelemetry::Array::String(vec![
            "stop".into()
        ])))
    );
    assert_no_attr(chat, "gen_ai.input.messages");
    for key in ["busy_ns", "idle_ns", "thread.name", "thread.id", "target"] {
        assert_no_attr(chat, key);
    }
    // INFO events are kept, DEBUG events (raw payloads) are not; a framework's message is
    // third-party text inside GenAI work, kept only with content on spans.
    let events: Vec<&str> = chat.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(events, ["[text omitted]"]);
    // The event keeps its level, not the bridge's target field.
    let event = &chat.events[0];
    assert!(
        event
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "level" && kv.value.as_str() == "INFO"),
        "{event:?}"
    );
    assert!(
        event
            .attributes
            .iter()
            .all(|kv| kv.key.as_str() != "target"),
        "{event:?}"
    );
    // An event on the stand-in lands on the GenAI span (its text is third-party text).
    let agent_events: Vec<&str> = agent.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(agent_events, ["[text omitted]"]);

    // Feedback finds the framework's span by its response id.
    let indexed = trace_genai::feedback::response_span_context("resp-framework-1")
        .expect("the response id is indexed");
    assert_eq!(indexed.span_id(), chat.span_context.span_id());
    // Its model call is counted.
    assert_eq!(chat_durations(&installed.metrics), 1);
    installed.telemetry.shutdown().unwrap();
}

#[test]
fn framework_content_is_kept_when_the_policy_puts_content_on_spans() {
    let _serial = serial();
    let installed = install(ContentCapture::SpanOnly);
    let spans = run(&installed, agent);
    let chat = one(&spans, "chat m");
    assert!(
        attr(chat, "gen_ai.input.messages")
            .is_some_and(|value| value.as_str().contains("secret prompt")),
        "{chat:#?}"
    );
    installed.telemetry.shutdown().unwrap();
}

#[test]
fn a_framework_span_of_the_same_call_is_not_counted_twice() {
    let _serial = serial();
    let installed = install(ContentCapture::NoContent);
    let spans = run(&installed, wrapped_chat);
    assert_eq!(spans.iter().filter(|s| s.name == "chat m").count(), 2);
    assert_eq!(chat_durations(&installed.metrics), 1, "counted once");
    installed.telemetry.shutdown().unwrap();
}

#[test]
fn spans_of_another_crate_through_the_opentelemetry_api_are_normalized_too() {
    let _serial = serial();
    let installed = install(ContentCapture::NoContent);
    let tracer = installed
        .telemetry
        .tracer_provider()
        .unwrap()
        .tracer("another-genai-crate");
    tracer
        .span_builder("chat")
        .with_attributes([
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.request.model", "m"),
            KeyValue::new("gen_ai.usage.input_tokens", "12"),
            KeyValue::new("gen_ai.prompt", "secret prompt"),
            KeyValue::new("gen_ai.completion.0.content", "secret reply"),
        ])
        .start(&tracer);
    drop(tracer);
    installed.telemetry.force_flush().unwrap();
    let spans = installed.spans.get_finished_spans().unwrap();
    let chat = one(&spans, "chat m");
    assert_kind(chat, SpanKind::Client);
    assert_eq!(
        attr(chat, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(12))
    );
    assert_no_attr(chat, "gen_ai.prompt");
    assert_no_attr(chat, "gen_ai.completion.0.content");
    installed.telemetry.shutdown().unwrap();
}

/// A framework with a vocabulary of its own: the spans langchain-rust 7 records
/// (`observability.rs`, whose span names and fields it calls public surface), made here
/// the way it makes them, inside the application's agent.
#[trace_genai(invoke_agent, agent = "researcher")]
fn langchain_style_agent() {
    let run = tracing::info_span!(
        "agent.run",
        max_iterations = 5,
        steps = tracing::field::Empty,
        total_tokens = tracing::field::Empty,
        error = tracing::field::Empty,
    );
    run.in_scope(|| {
        let llm = tracing::info_span!(
            "llm.generate",
            provider = "openai",
            model = "gpt-4o-mini",
            stream = false,
            prompt_tokens = tracing::field::Empty,
            completion_tokens = tracing::field::Empty,
            total_tokens = tracing::field::Empty,
            tool_calls = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        llm.in_scope(|| tracing::debug!("prompt: secret question"));
        llm.record("prompt_tokens", 21_u32);
        llm.record("completion_tokens", 4_u32);
        llm.record("total_tokens", 25_u32);
        drop(llm);
        let tool = tracing::info_span!("tool.call", tool = "search", error = tracing::field::Empty);
        tool.record(
            "error",
            tracing::field::display("search failed for 'secret question'"),
        );
        drop(tool);
        run.record("steps", 1);
    });
}

#[test]
fn a_framework_vocabulary_becomes_the_conventions() {
    let _serial = serial();
    let installed = install(ContentCapture::NoContent);
    let spans = run(&installed, langchain_style_agent);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    let chat = one(&spans, "chat gpt-4o-mini");
    assert_kind(chat, SpanKind::Client);
    assert_eq!(
        attr(chat, "gen_ai.operation.name"),
        Some(&Value::from("chat"))
    );
    assert_eq!(
        attr(chat, "gen_ai.provider.name"),
        Some(&Value::from("openai"))
    );
    assert_eq!(
        attr(chat, "gen_ai.request.model"),
        Some(&Value::from("gpt-4o-mini"))
    );
    assert_eq!(
        attr(chat, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(21))
    );
    assert_eq!(
        attr(chat, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(4))
    );
    assert_no_attr(chat, "gen_ai.request.stream");
    for key in ["provider", "model", "prompt_tokens", "completion_tokens"] {
        assert_no_attr(chat, key);
    }
    let framework_agent = one(&spans, "invoke_agent");
    assert_eq!(
        attr(framework_agent, "gen_ai.operation.name"),
        Some(&Value::from("invoke_agent"))
    );
    assert_child_of(chat, framework_agent);
    let tool = one(&spans, "execute_tool search");
    assert_kind(tool, SpanKind::Internal);
    assert_eq!(attr(tool, "error.type"), Some(&Value::from("_OTHER")));
    assert!(matches!(
        tool.status,
        opentelemetry::trace::Status::Error { .. }
    ));
    // The error's text may echo the prompt: content, off by default.
    assert_no_attr(tool, "error");
    // The application's agent sums the framework's model call; the call is counted once.
    let agent = one(&spans, "invoke_agent researcher");
    assert_eq!(
        attr(agent, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(21))
    );
    assert_eq!(chat_durations(&installed.metrics), 1, "{names:?}");
    installed.telemetry.shutdown().unwrap();
}
