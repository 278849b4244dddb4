//! OTLP export through `trace_genai`: gRPC, HTTP/protobuf and HTTP/JSON to an in-process
//! receiver built from the OTLP protobuf definitions, configured from the environment
//! (through `Config::from_lookup`) and from code; logs and metrics share the destination;
//! faults never block instrumented code.

use trace_genai_tests::harness::serial;
use trace_genai_tests::receiver;

use std::time::{Duration, Instant};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::metrics::MeterProvider as _;
use receiver::{AttrValue, Failure, OtlpReceiver, Transport};
use trace_genai::config::Config;
use trace_genai::{ShutdownError, Telemetry, TelemetryBuilder, trace_genai};

fn env(vars: &[(&str, String)]) -> Config {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    trace_genai_tests::harness::config(&vars).unwrap()
}

fn builder(vars: &[(&str, String)]) -> TelemetryBuilder {
    Telemetry::builder().with_config(env(vars))
}

const WAIT: Duration = Duration::from_secs(10);

#[trace_genai(invoke_agent, agent = "planner")]
fn agent() -> String {
    let weather = tool("Paris");
    chat(&weather, 0.25)
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", temperature = temperature, max_tokens = 64, stop_sequences = ["END"])]
fn chat(input: &str, temperature: f32) -> String {
    format!("answer: {input}")
}

#[trace_genai(execute_tool, tool = "get_weather")]
fn tool(city: &str) -> String {
    format!("sunny in {city}")
}

/// Runs the agent with the given environment and returns what the receiver got.
fn export_agent(receiver: &OtlpReceiver, vars: &[(&str, String)]) -> Vec<receiver::ReceivedSpan> {
    let telemetry = builder(vars).install().unwrap();
    agent();
    telemetry.shutdown().unwrap();
    receiver.wait_for_spans(3, WAIT)
}

fn assert_agent_trace(spans: &[receiver::ReceivedSpan], service: &str) {
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name}"))
    };
    let root = find("invoke_agent planner");
    let chat = find("chat gpt-4o");
    let tool = find("execute_tool get_weather");
    assert_eq!(root.parent_span_id, "");
    assert_eq!(chat.parent_span_id, root.span_id);
    assert_eq!(tool.parent_span_id, root.span_id);
    assert_eq!(chat.trace_id, root.trace_id);
    assert_eq!(root.kind, SpanKind::Internal);
    assert_eq!(chat.kind, SpanKind::Client);
    assert_eq!(chat.attr("gen_ai.operation.name"), Some(&"chat".into()));
    assert_eq!(
        chat.attr("gen_ai.request.temperature"),
        Some(&AttrValue::Double(0.25))
    );
    assert_eq!(
        chat.attr("gen_ai.request.max_tokens"),
        Some(&AttrValue::Int(64))
    );
    assert_eq!(
        chat.attr("gen_ai.request.stop_sequences"),
        Some(&AttrValue::Array(vec!["END".into()]))
    );
    assert_eq!(tool.attr("gen_ai.tool.name"), Some(&"get_weather".into()));
    for span in spans {
        assert_eq!(span.service_name(), Some(service));
        assert_eq!(span.scope_name, "trace-genai");
    }
}

#[test]
fn grpc_from_the_environment_with_headers() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let spans = export_agent(
        &receiver,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-otlp-api-key=s3cr3t,x-tenant=a%20b".to_owned(),
            ),
            ("OTEL_SERVICE_NAME", "grpc-app".to_owned()),
        ],
    );
    assert_agent_trace(&spans, "grpc-app");
    let request = receiver
        .requests()
        .into_iter()
        .find(|r| r.signal == receiver::Signal::Traces)
        .unwrap();
    assert_eq!(request.transport, Transport::Grpc);
    assert_eq!(request.header("x-otlp-api-key"), Some("s3cr3t"));
    assert_eq!(request.header("x-tenant"), Some("a b"));
}

#[test]
fn http_protobuf_appends_the_signal_path() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let spans = export_agent(
        &receiver,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key=k".to_owned()),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=http-app".to_owned(),
            ),
        ],
    );
    assert_agent_trace(&spans, "http-app");
    let request = receiver
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/traces")
        .unwrap();
    assert_eq!(request.transport, Transport::HttpProtobuf);
    assert_eq!(request.header("x-otlp-api-key"), Some("k"));
}

#[test]
fn http_json_with_gzip_and_a_signal_endpoint() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let spans = export_agent(
        &receiver,
        &[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                format!("{}/v1/traces", receiver.http_endpoint()),
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".to_owned()),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_owned()),
            ("OTEL_TRACES_EXPORTER", "otlp".to_owned()),
            ("OTEL_LOGS_EXPORTER", "none".to_owned()),
            ("OTEL_METRICS_EXPORTER", "none".to_owned()),
            ("OTEL_SERVICE_NAME", "json-app".to_owned()),
        ],
    );
    assert_agent_trace(&spans, "json-app");
    let request = receiver
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/traces")
        .unwrap();
    assert_eq!(request.transport, Transport::HttpJson);
    assert!(request.compressed);
}

#[test]
fn destination_string_and_builder_win_over_the_environment() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = builder(&[("OTEL_TRACES_EXPORTER", "none".to_owned())])
        .with_service_name("from-code")
        .with_destination(receiver.grpc_endpoint())
        .install()
        .unwrap();
    agent();
    telemetry.shutdown().unwrap();
    assert_agent_trace(&receiver.wait_for_spans(3, WAIT), "from-code");
}

#[test]
fn console_and_otlp_at_once() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = builder(&[])
        .with_console()
        .with_otlp_protocol(
            receiver.http_endpoint(),
            trace_genai::OtlpProtocol::HttpProtobuf,
        )
        .with_service_name("both")
        .install()
        .unwrap();
    agent();
    telemetry.shutdown().unwrap();
    assert_agent_trace(&receiver.wait_for_spans(3, WAIT), "both");
}

#[trace_genai(chat, model = "gpt-4o")]
fn chat_with_event(logger: &opentelemetry_sdk::logs::SdkLogger) {
    let mut record = logger.create_log_record();
    record.set_event_name("gen_ai.evaluation.user_feedback");
    record.add_attribute("gen_ai.evaluation.score", 1.0);
    record.set_body(AnyValue::from("great"));
    logger.emit(record);
}

#[test]
fn logs_and_metrics_share_the_destination() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint()),
        ("OTEL_SERVICE_NAME", "signals".to_owned()),
        // The record's body is another producer's text inside a trace: content.
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "EVENT_ONLY".to_owned(),
        ),
    ])
    .install()
    .unwrap();

    let logger = trace_genai::logger_provider().unwrap().logger("test");
    chat_with_event(&logger);
    let meter = telemetry.meter_provider().unwrap().meter("test");
    let counter = meter.u64_counter("test.calls").build();
    counter.add(3, &[]);
    telemetry.shutdown().unwrap();

    let spans = receiver.wait_for_spans(1, WAIT);
    let logs = receiver.wait_for_logs(1, WAIT);
    let metrics = receiver.wait_for_metrics(1, WAIT);
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!(log.event_name, "gen_ai.evaluation.user_feedback");
    assert_eq!(
        log.attr("gen_ai.evaluation.score"),
        Some(&AttrValue::Double(1.0))
    );
    assert_eq!(log.body, Some("great".into()));
    assert_eq!(
        log.trace_id, spans[0].trace_id,
        "the event is in the span's context"
    );
    assert_eq!(log.span_id, spans[0].span_id);
    assert_eq!(log.resource.get("service.name"), Some(&"signals".into()));
    let metric = metrics.iter().find(|m| m.name == "test.calls").unwrap();
    assert_eq!(metric.resource.get("service.name"), Some(&"signals".into()));
}

#[test]
fn ten_thousand_spans_all_arrive_after_shutdown() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    let telemetry = builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint()),
        // The queue holds the whole burst; beyond its size, spans are dropped, not queued
        // without bound.
        ("OTEL_BSP_MAX_QUEUE_SIZE", "10000".to_owned()),
    ])
    .install()
    .unwrap();
    for _ in 0..10_000 {
        tool("Paris");
    }
    // Ok: every span was delivered, so no loss is reported.
    telemetry.shutdown().unwrap();
    assert_eq!(receiver.wait_for_spans(10_000, WAIT).len(), 10_000);
}

/// A loopback port with nothing listening.
fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn dead_collector_costs_the_caller_nothing() {
    let _serial = serial();
    for protocol in ["grpc", "http/protobuf"] {
        let telemetry = builder(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", dead_endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "500".to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "10".to_owned()),
        ])
        .install()
        .unwrap();
        // Far more spans than the queue holds: the surplus is dropped, calls never wait
        // for the exporter (whose every attempt fails).
        let started = Instant::now();
        for _ in 0..20_000 {
            assert_eq!(agent(), "answer: sunny in Paris");
        }
        let calls = started.elapsed();
        let shutdown_started = Instant::now();
        let result = telemetry.shutdown();
        // Generous bounds: a call that waited for one export attempt would take 500 ms.
        assert!(
            calls < Duration::from_secs(20),
            "{protocol}: 20,000 calls took {calls:?}"
        );
        assert!(
            shutdown_started.elapsed() < Duration::from_secs(20),
            "{protocol}: shutdown took {:?}",
            shutdown_started.elapsed()
        );
        // The loss is reported once, with the counts.
        let error = result.unwrap_err();
        let spans = error.errors().iter().find(|e| {
            matches!(
                e,
                ShutdownError::Undelivered {
                    signal: trace_genai::Signal::Traces,
                    ..
                }
            )
        });
        match spans {
            Some(&ShutdownError::Undelivered {
                ended,
                lost,
                failed,
                dropped,
                ref destination,
                ..
            }) => {
                assert_eq!(ended, 60_000, "{protocol}");
                assert_eq!(lost, 60_000, "{protocol}");
                assert_eq!(failed + dropped, 60_000, "{protocol}");
                assert!(
                    failed > 0 && dropped > 0,
                    "{protocol}: {failed} failed, {dropped} dropped"
                );
                assert!(destination.starts_with("OTLP "), "{destination}");
            }
            _ => panic!("{protocol}: expected an Undelivered report, got {error:?}"),
        }
    }
}

#[test]
fn failing_and_slow_receivers_do_not_hang_shutdown() {
    let _serial = serial();
    let receiver = OtlpReceiver::start();
    for failure in [Failure::Unavailable, Failure::Delay(Duration::from_secs(5))] {
        receiver.set_failure(failure);
        let telemetry = builder(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "300".to_owned()),
        ])
        .install()
        .unwrap();
        agent();
        let started = Instant::now();
        let result = telemetry.shutdown();
        // One deadline: the export timeout (0.3 s) plus 1 s, for every signal at once.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{failure:?}: shutdown took {:?}",
            started.elapsed()
        );
        let error = result.unwrap_err();
        let Some(ShutdownError::Undelivered {
            ended: 3,
            report,
            cause,
            ..
        }) = error.errors().iter().find(|e| {
            matches!(
                e,
                ShutdownError::Undelivered {
                    signal: trace_genai::Signal::Traces,
                    ..
                }
            )
        })
        else {
            panic!("{failure:?}: expected a report of 3 spans, got {error:?}");
        };
        // A refusal failed; a late answer timed out (the spans may have arrived).
        let (failed, timed_out) = match failure {
            Failure::Unavailable => (3, 0),
            _ => (0, 3),
        };
        assert_eq!(
            (report.counts.failed, report.counts.timed_out),
            (failed, timed_out),
            "{failure:?}: {error}"
        );
        assert!(cause.is_some(), "{error}");
    }
}
