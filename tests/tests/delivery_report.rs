//! The delivery report of `Telemetry::shutdown()`: per destination and signal, what was
//! lost, why, and a hint at the fix, in the words a person reads (`Display`).

use trace_genai_tests::harness::{report_of, serial};
use trace_genai_tests::{azure, receiver};

use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::metrics::MeterProvider as _;
use receiver::{OtlpReceiver, Signal};
use trace_genai::config::Config;
use trace_genai::{ExportFailure, ShutdownError, Telemetry, trace_genai};

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat(input: &str) -> String {
    format!("answer: {input}")
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Installs OTLP telemetry with these variables, sends one span, one log record and one
/// metric, and returns the shutdown error.
fn run(vars: &[(&str, String)]) -> ShutdownError {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let config = Config::from_lookup(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .unwrap();
    let telemetry = Telemetry::builder().with_config(config).install().unwrap();
    chat("hi");
    let logger = trace_genai::logger_provider().unwrap().logger("test");
    let mut record = logger.create_log_record();
    record.set_event_name("test.event");
    logger.emit(record);
    let meter = telemetry.meter_provider().unwrap().meter("test");
    meter.u64_counter("test.calls").build().add(1, &[]);
    telemetry.shutdown().unwrap_err()
}

#[test]
fn an_http_500_names_destination_signal_status_and_body() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Traces, 500);
    let error = run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_owned()),
    ]);
    // Only traces failed: one error, not a list.
    assert!(
        matches!(error, ShutdownError::Undelivered { .. }),
        "{error}"
    );
    let text = error.to_string();
    println!("{text}");
    assert!(
        text.starts_with(&format!(
            "spans to OTLP http/protobuf {}/v1/traces: 1 of 1 not delivered",
            receiver.http_endpoint()
        )),
        "{text}"
    );
    assert!(
        text.contains("HTTP 500 \"test receiver refuses this signal\""),
        "{text}"
    );
    assert!(!text.contains("InternalFailure"), "{text}");
}

#[test]
fn a_grpc_collector_that_is_down_is_connection_refused_with_a_hint() {
    let _serial = serial();
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let error = run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_owned()),
    ]);
    let text = error.to_string();
    println!("{text}");
    assert!(
        text.starts_with("telemetry was not fully delivered (3 problems):"),
        "{text}"
    );
    let spans = report_of(&error, trace_genai::Signal::Traces).to_string();
    assert!(
        spans.starts_with(&format!(
            "spans to OTLP grpc {endpoint}: 1 of 1 not delivered"
        )),
        "{spans}"
    );
    assert!(
        spans.contains("gRPC Unavailable: connection refused"),
        "{spans}"
    );
    assert!(
        spans.contains(&format!("is the collector running at {endpoint}?")),
        "{spans}"
    );
    let metrics = report_of(&error, trace_genai::Signal::Metrics).to_string();
    assert!(
        metrics.starts_with(&format!(
            "metrics to OTLP grpc {endpoint}: 1 of 1 exports failed (gRPC Unavailable: connection refused)"
        )),
        "{metrics}"
    );
    assert!(!text.contains("InternalFailure"), "{text}");
}

#[test]
fn a_401_points_at_the_headers() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Traces, 401);
    let error = run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_owned()),
    ]);
    let text = error.to_string();
    println!("{text}");
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("OTEL_EXPORTER_OTLP_HEADERS"), "{text}");
    assert!(error.hint().is_some_and(|hint| hint.contains("API key")));
}

#[test]
fn log_and_metric_failures_are_counted() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Logs, 500);
    receiver.refuse(Signal::Metrics, 503);
    let error = run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_owned()),
    ]);
    println!("{error}");
    assert_eq!(error.errors().len(), 2, "{error}");
    let logs = report_of(&error, trace_genai::Signal::Logs);
    let ShutdownError::Undelivered {
        failed, ref cause, ..
    } = *logs
    else {
        panic!("{logs:?}");
    };
    assert_eq!(failed, 1, "{logs}");
    assert!(
        matches!(cause, Some(ExportFailure::HttpStatus { status: 500, .. })),
        "{logs}"
    );
    assert!(
        logs.to_string().starts_with(&format!(
            "log records to OTLP http/protobuf {}/v1/logs: 1 of 1 not delivered (1 in failed exports): HTTP 500",
            receiver.http_endpoint()
        )),
        "{logs}"
    );
    let metrics = report_of(&error, trace_genai::Signal::Metrics).to_string();
    assert!(
        metrics.starts_with(&format!(
            "metrics to OTLP http/protobuf {}/v1/metrics: 1 of 1 exports failed (HTTP 503",
            receiver.http_endpoint()
        )),
        "{metrics}"
    );
}

/// Installs Azure Monitor telemetry for `connection_string`, trusting `ca` if given, and
/// returns the spans' report.
fn azure_spans_report(connection_string: String, ca: Option<String>) -> ShutdownError {
    let config = Config::from_lookup(move |name| match name {
        "APPLICATIONINSIGHTS_CONNECTION_STRING" => Some(connection_string.clone()),
        "OTEL_BSP_EXPORT_TIMEOUT" | "OTEL_METRIC_EXPORT_TIMEOUT" => Some("2000".to_owned()),
        _ => None,
    })
    .unwrap();
    let mut builder = Telemetry::builder().with_config(config);
    if let Some(ca) = ca {
        builder = builder.with_root_certificate(ca);
    }
    let telemetry = builder.install().unwrap();
    chat("hi");
    let error = telemetry.shutdown().unwrap_err();
    println!("{error}");
    report_of(&error, trace_genai::Signal::Traces);
    error
}

#[test]
fn azure_monitor_behind_a_closed_port_says_connection_refused() {
    let _serial = serial();
    let endpoint = format!("https://127.0.0.1:{}", closed_port());
    let error = azure_spans_report(
        format!(
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={endpoint}/"
        ),
        None,
    );
    let spans = report_of(&error, trace_genai::Signal::Traces);
    let ShutdownError::Undelivered { ref cause, .. } = *spans else {
        panic!("{spans:?}");
    };
    assert_eq!(*cause, Some(ExportFailure::ConnectionRefused), "{spans}");
    let text = spans.to_string();
    assert!(
        text.starts_with("spans to Azure Monitor https://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("connection refused"), "{text}");
}

#[test]
fn azure_monitor_with_an_untrusted_certificate_says_tls() {
    let _serial = serial();
    let stand_in = azure::AzureStandIn::start();
    let error = azure_spans_report(stand_in.connection_string(), None);
    let spans = report_of(&error, trace_genai::Signal::Traces);
    let ShutdownError::Undelivered { ref cause, .. } = *spans else {
        panic!("{spans:?}");
    };
    assert!(matches!(cause, Some(ExportFailure::Tls(_))), "{spans}");
    assert!(
        spans.to_string().contains("with_root_certificate"),
        "{spans}"
    );
}

/// `force_flush()` reports like `shutdown()`: per destination and signal, with the cause,
/// never the SDK's `InternalFailure` text; a later flush that delivers is `Ok`.
#[test]
fn force_flush_reports_what_failed_like_shutdown() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Traces, 500);
    let endpoint = receiver.http_endpoint();
    let config = Config::from_lookup(move |name| match name {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        "OTEL_EXPORTER_OTLP_PROTOCOL" => Some("http/protobuf".to_owned()),
        "OTEL_EXPORTER_OTLP_TIMEOUT" => Some("1000".to_owned()),
        "OTEL_METRICS_EXPORTER" | "OTEL_LOGS_EXPORTER" => Some("none".to_owned()),
        _ => None,
    })
    .unwrap();
    let telemetry = Telemetry::builder().with_config(config).install().unwrap();
    chat("hi");
    let error = telemetry.force_flush().unwrap_err();
    let (text, debug) = (error.to_string(), format!("{error:?}"));
    println!("{text}");
    assert!(
        matches!(
            error,
            ShutdownError::Undelivered {
                signal: trace_genai::Signal::Traces,
                failed: 1,
                ..
            }
        ),
        "{debug}"
    );
    assert!(
        text.contains("HTTP 500 \"test receiver refuses this signal\""),
        "{text}"
    );
    for shown in [&text, &debug] {
        assert!(!shown.contains("InternalFailure"), "{shown}");
        assert!(!shown.contains("shutdown"), "{shown}");
    }

    // The receiver takes spans again: the next flush delivers, and is Ok.
    receiver.accept(Signal::Traces);
    chat("again");
    telemetry.force_flush().unwrap();
    assert_eq!(
        receiver
            .wait_for_spans(1, std::time::Duration::from_secs(5))
            .len(),
        1
    );
    drop(telemetry);
}
