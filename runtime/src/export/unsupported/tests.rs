//! Tests of switching a refused signal off for a destination.

use std::time::Duration;

use super::*;

fn failure(message: &str) -> OTelSdkError {
    OTelSdkError::InternalFailure(message.to_owned())
}

#[test]
fn unsupported_answers_are_refusals() {
    for (message, answer) in [
        ("HTTP export failed with status code: 404", "HTTP 404"),
        ("HTTP export failed with status code: 405", "HTTP 405"),
        ("HTTP export failed with status code: 415", "HTTP 415"),
        (
            "TonicMetricsClient export failed with gRPC code: Unimplemented",
            "gRPC UNIMPLEMENTED",
        ),
        (
            "TonicLogsClient export failed with gRPC code: Unimplemented: h2 protocol error",
            "gRPC UNIMPLEMENTED",
        ),
    ] {
        assert_eq!(refusal(&failure(message)), Some(answer), "{message}");
    }
}

#[test]
fn other_failures_are_not() {
    for error in [
        failure("HTTP export failed with status code: 500"),
        failure("HTTP export failed with status code: 4040"),
        failure("HTTP export failed with status code: 429"),
        failure("HTTP export failed: network error"),
        failure("TonicTracesClient export failed with gRPC code: Unavailable: tcp connect error"),
        failure("TonicTracesClient export failed with gRPC code: UnimplementedX"),
        OTelSdkError::Timeout(Duration::from_secs(1)),
        OTelSdkError::AlreadyShutdown,
    ] {
        assert_eq!(refusal(&error), None, "{error}");
    }
}

/// Counts its exports; fails them with `answer`.
#[derive(Debug, Default)]
struct Refusing(std::sync::atomic::AtomicUsize, &'static str);

impl opentelemetry_sdk::trace::SpanExporter for Refusing {
    async fn export(&self, _: Vec<opentelemetry_sdk::trace::SpanData>) -> OTelSdkResult {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(failure(self.1))
    }
}

fn export(exporter: &Unsupported<Refusing>) -> OTelSdkResult {
    block_on(opentelemetry_sdk::trace::SpanExporter::export(
        exporter,
        Vec::new(),
    ))
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn a_refused_signal_is_sent_once() {
    let exporter = Unsupported::new(
        Refusing(
            std::sync::atomic::AtomicUsize::new(0),
            "HTTP export failed with status code: 404",
        ),
        Signal::Traces,
        "OTLP http/protobuf http://127.0.0.1:1/v1/traces".to_owned(),
    );
    assert!(export(&exporter).is_err());
    assert!(export(&exporter).is_err(), "refused spans are undelivered");
    assert_eq!(
        exporter.inner.0.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn a_failure_that_is_no_refusal_is_sent_again() {
    let exporter = Unsupported::new(
        Refusing(
            std::sync::atomic::AtomicUsize::new(0),
            "HTTP export failed with status code: 500",
        ),
        Signal::Traces,
        "OTLP http/protobuf http://127.0.0.1:1/v1/traces".to_owned(),
    );
    assert!(export(&exporter).is_err());
    assert!(export(&exporter).is_err());
    assert_eq!(
        exporter.inner.0.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}
