//! An application that sets OpenTelemetry up itself: without `init`, instrumented
//! functions create no spans; `use_global_tracer_provider` sends them to the global
//! provider.

use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
use trace_genai::trace_genai;

#[trace_genai(chat, model = "m")]
fn chat() -> u8 {
    7
}

#[test]
fn spans_go_to_the_global_provider_only_when_asked() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(SimpleSpanProcessor::new(exporter.clone()))
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());

    assert_eq!(chat(), 7);
    assert!(
        exporter.get_finished_spans().unwrap().is_empty(),
        "nothing installed: no span"
    );

    trace_genai::use_global_tracer_provider();
    assert_eq!(chat(), 7);
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "chat m");
    assert_eq!(spans[0].instrumentation_scope.name(), "trace-genai");
    provider.shutdown().unwrap();
}
