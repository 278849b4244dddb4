//! An exporter that panics never takes the pipeline with it: its batch fails with the
//! panic's message, later batches are exported, and shutdown is clean.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use trace_genai::config::Config;
use trace_genai::{SamplerConfig, Telemetry, trace_genai};
use trace_genai_tests::harness::serial;

/// Panics on its first batch (as opentelemetry-application-insights 0.46 did on a string
/// cut inside a UTF-8 character), then keeps the names of what it exports.
#[derive(Debug, Default, Clone)]
struct PanicsOnce {
    panicked: Arc<AtomicBool>,
    exported: Arc<Mutex<Vec<String>>>,
}

impl SpanExporter for PanicsOnce {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        assert!(
            self.panicked.swap(true, Ordering::SeqCst),
            "byte index 8192 is not a char boundary"
        );
        self.exported
            .lock()
            .unwrap()
            .extend(batch.into_iter().map(|span| span.name.into_owned()));
        Ok(())
    }
}

#[trace_genai(execute_tool, tool = "first")]
fn first() {}

#[trace_genai(execute_tool, tool = "later")]
fn later() {}

#[test]
fn a_panicking_exporter_fails_its_batch_and_the_pipeline_goes_on() {
    let _serial = serial();
    let exporter = PanicsOnce::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::AlwaysOn)
        .with_span_exporter(exporter.clone())
        .install()
        .unwrap();
    first();
    let flushed = telemetry.force_flush();
    let error = format!("{flushed:?}");
    assert!(
        error.contains("the exporter panicked") && error.contains("not a char boundary"),
        "the batch's failure names the panic: {error}"
    );
    later();
    telemetry.shutdown().unwrap();
    assert_eq!(
        *exporter.exported.lock().unwrap(),
        ["execute_tool later"],
        "later spans are exported"
    );
}
