//! Sampling fast paths: a call whose span the sampler would drop builds nothing, unless
//! metrics need it; the decision follows the parent as the SDK's samplers do.

use opentelemetry_sdk::metrics::InMemoryMetricExporter;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
use trace_genai::config::Config;
use trace_genai::{SamplerConfig, Telemetry, trace_genai};
use trace_genai_tests::harness::under_remote_parent;

#[trace_genai(chat, model = "m")]
fn chat(x: u32) -> u32 {
    x + 1
}

fn install(
    sampler: SamplerConfig,
    metrics: Option<&InMemoryMetricExporter>,
) -> (Telemetry, InMemorySpanExporter) {
    let spans = InMemorySpanExporter::default();
    let mut builder = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(sampler)
        .with_span_processor(SimpleSpanProcessor::new(spans.clone()));
    if let Some(metrics) = metrics {
        builder = builder.with_metric_exporter(metrics.clone());
    }
    (builder.install().unwrap(), spans)
}

#[test]
fn unsampled_calls_build_no_span_but_keep_their_metrics() {
    // always_off, no metrics: nothing at all.
    let (telemetry, spans) = install(SamplerConfig::AlwaysOff, None);
    assert_eq!(chat(1), 2);
    assert!(spans.get_finished_spans().unwrap().is_empty());
    telemetry.shutdown().unwrap();

    // always_off with metrics: no span, but the call is measured.
    let metrics = InMemoryMetricExporter::default();
    let (telemetry, spans) = install(SamplerConfig::AlwaysOff, Some(&metrics));
    assert_eq!(chat(1), 2);
    telemetry.force_flush().unwrap();
    assert!(spans.get_finished_spans().unwrap().is_empty());
    let measured = metrics
        .get_finished_metrics()
        .unwrap()
        .iter()
        .flat_map(opentelemetry_sdk::metrics::data::ResourceMetrics::scope_metrics)
        .flat_map(opentelemetry_sdk::metrics::data::ScopeMetrics::metrics)
        .any(|metric| metric.name() == "gen_ai.client.operation.duration");
    assert!(measured);
    telemetry.shutdown().unwrap();

    // Parent-based: a child of an unsampled parent is dropped, of a sampled one kept.
    let (telemetry, spans) = install(SamplerConfig::ParentBasedAlwaysOn, None);
    under_remote_parent("00", None, || chat(1));
    assert!(spans.get_finished_spans().unwrap().is_empty());
    under_remote_parent("01", None, || chat(1));
    chat(1); // a root
    let finished = spans.get_finished_spans().unwrap();
    assert_eq!(finished.len(), 2);
    assert_eq!(
        finished[0].parent_span_id.to_string(),
        "b7ad6b7169203331",
        "the child of the sampled remote parent"
    );
    telemetry.shutdown().unwrap();

    // parentbased_always_off: only children of sampled parents.
    let (telemetry, spans) = install(SamplerConfig::ParentBasedAlwaysOff, None);
    chat(1);
    under_remote_parent("00", None, || chat(1));
    assert!(spans.get_finished_spans().unwrap().is_empty());
    under_remote_parent("01", None, || chat(1));
    assert_eq!(spans.get_finished_spans().unwrap().len(), 1);
    telemetry.shutdown().unwrap();
}
