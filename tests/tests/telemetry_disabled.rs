//! `OTEL_SDK_DISABLED=true`: nothing is installed and instrumented functions skip span
//! creation, even when some other code installed a global tracer provider.

use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use trace_genai::config::Config;
use trace_genai::{Telemetry, trace_genai};

#[trace_genai(chat, model = "gpt-4o")]
fn chat(question: &str) -> Result<String, std::io::Error> {
    Ok(question.to_uppercase())
}

#[trace_genai(name = "async_work")]
async fn async_work() -> u8 {
    7
}

#[test]
fn disabled_sdk_records_nothing_and_functions_run_unchanged() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());

    let config =
        Config::from_lookup(|name| (name == "OTEL_SDK_DISABLED").then(|| "true".to_owned()))
            .unwrap();
    let telemetry = Telemetry::builder().with_config(config).install().unwrap();
    assert!(telemetry.tracer_provider().is_none());

    assert_eq!(chat("hi").unwrap(), "HI");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(async_work()), 7);

    provider.force_flush().unwrap();
    assert!(exporter.get_finished_spans().unwrap().is_empty());
    telemetry.shutdown().unwrap();
}
