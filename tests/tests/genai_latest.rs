//! `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`: the genai-main names replace
//! the v1.41 ones where they differ (cache-write tokens, per-operation duration metrics,
//! the token counters and histograms instead of `gen_ai.client.token.usage`).

use opentelemetry::Value;
use opentelemetry_sdk::metrics::InMemoryMetricExporter;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
use trace_genai::config::Config;
use trace_genai::{GenAiResponse, Telemetry, Usage, trace_genai};

struct Reply;

impl GenAiResponse for Reply {
    fn usage(&self) -> Usage {
        Usage {
            cache_write_input_tokens: Some(20),
            ..Usage::new(100, 7)
        }
    }
}

#[trace_genai(chat, model = "gpt-4o")]
fn chat() -> Reply {
    Reply
}

#[trace_genai(execute_tool)]
fn lookup() {}

#[trace_genai(invoke_agent, agent = "planner")]
fn agent() {
    lookup();
}

#[test]
fn the_latest_names_replace_the_released_ones() {
    let config = Config::from_lookup(|name| {
        (name == "OTEL_SEMCONV_STABILITY_OPT_IN")
            .then(|| "http, gen_ai_latest_experimental".to_owned())
    })
    .unwrap();
    assert!(config.semconv_latest_experimental);
    let spans = InMemorySpanExporter::default();
    let metrics = InMemoryMetricExporter::default();
    let telemetry = Telemetry::builder()
        .with_config(config)
        .with_no_exporter()
        .with_span_processor(SimpleSpanProcessor::new(spans.clone()))
        .with_metric_exporter(metrics.clone())
        .install()
        .unwrap();
    chat();
    agent();
    telemetry.force_flush().unwrap();

    let finished = spans.get_finished_spans().unwrap();
    let chat = finished.iter().find(|s| s.name == "chat gpt-4o").unwrap();
    let value = |key: &str| {
        chat.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.clone())
    };
    assert_eq!(
        value("gen_ai.usage.cache_write.input_tokens"),
        Some(Value::I64(20))
    );
    assert_eq!(value("gen_ai.usage.cache_creation.input_tokens"), None);

    let mut names: Vec<String> = metrics
        .get_finished_metrics()
        .unwrap()
        .iter()
        .flat_map(opentelemetry_sdk::metrics::data::ResourceMetrics::scope_metrics)
        .flat_map(opentelemetry_sdk::metrics::data::ScopeMetrics::metrics)
        .map(|metric| metric.name().to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names,
        [
            "gen_ai.client.inference.duration",
            "gen_ai.client.inference.operation.input_tokens",
            "gen_ai.client.inference.operation.output_tokens",
            "gen_ai.client.inference.usage.cache_write.input_tokens",
            "gen_ai.client.inference.usage.input_tokens",
            "gen_ai.client.inference.usage.output_tokens",
            "gen_ai.execute_tool.duration",
            "gen_ai.invoke_agent.duration",
        ]
    );
    telemetry.shutdown().unwrap();
}
