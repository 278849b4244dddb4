//! Self-tests of the test receivers (`trace_genai_tests::receiver`, `trace_genai_tests::azure`) against the
//! real exporters, without the trace-genai runtime: `opentelemetry-otlp` over gRPC,
//! HTTP/protobuf and HTTP/JSON for spans, logs and metrics, and
//! `opentelemetry-application-insights` over HTTPS.
//!
//! They also pin down how each exporter must be driven:
//! - the tonic exporter must be *built* inside a tokio runtime context (`Endpoint::connect_lazy`
//!   spawns onto it); afterwards `export` works from any thread, the SDK's batch thread included,
//!   as long as that (multi-thread) runtime is alive;
//! - an OTLP/HTTP or Azure exporter with `reqwest::blocking::Client` works from plain threads
//!   (the batch processors' threads, a sync test) and panics inside a runtime's `block_on` or a
//!   task;
//! - with an async client (`reqwest::Client`, `HyperClient`), `export` must run where a tokio
//!   runtime is current: `handle.block_on(..)`, an async test, or `futures` `block_on` under
//!   `handle.enter()` of a multi-thread runtime. On the SDK's batch thread it panics.
//! - with both `http-proto` and `http-json` features on, `.with_http()` defaults to JSON: set
//!   the protocol explicitly.

use trace_genai_tests::{azure, receiver};

use std::collections::HashMap;
use std::time::{Duration, Instant};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_otlp::WithTonicConfig as _;
use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::{Compression, Protocol, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter as _,
};
use receiver::{AttrValue, Failure, OtlpReceiver, PointValue, ReceivedSpan, Transport};
use serde_json::Value as Json;

use azure::AzureStandIn;

const SERVICE: &str = "selftest-svc";
const WAIT: Duration = Duration::from_secs(10);

fn resource() -> Resource {
    Resource::builder_empty()
        .with_service_name(SERVICE)
        .with_attribute(KeyValue::new("deployment.environment.name", "test"))
        .build()
}

/// A multi-thread runtime for the tonic exporter: build the exporter inside `enter()` and keep
/// the runtime alive for as long as the exporter exports.
fn export_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Ids of the sample trace, as lowercase hex.
struct SampleIds {
    trace_id: String,
    root_span_id: String,
}

/// Records the sample trace: `invoke_agent` (internal, root) with a child `chat gpt-4o`
/// (client, error status, one event, attributes of every type).
fn record_sample_trace(provider: &SdkTracerProvider) -> SampleIds {
    let tracer = provider.tracer("selftest-scope");
    tracer.in_span("invoke_agent", |cx| {
        let root = cx.span().span_context().clone();
        let mut span = tracer
            .span_builder("chat gpt-4o")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("gen_ai.request.model", "gpt-4o"),
                KeyValue::new("gen_ai.usage.input_tokens", 7_i64),
                KeyValue::new("gen_ai.request.temperature", 0.5),
                KeyValue::new("gen_ai.request.stream", true),
                KeyValue::new(
                    "gen_ai.response.finish_reasons",
                    Value::Array(Array::String(vec![StringValue::from("stop")])),
                ),
            ])
            .start(&tracer);
        span.add_event("gen_ai.choice", vec![KeyValue::new("index", 0_i64)]);
        span.set_status(Status::error("boom"));
        span.end();
        SampleIds {
            trace_id: root.trace_id().to_string(),
            root_span_id: root.span_id().to_string(),
        }
    })
}

/// The sample trace as finished spans, for calling `export` directly.
fn sample_span_data() -> Vec<SpanData> {
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    record_sample_trace(&provider);
    memory.get_finished_spans().unwrap()
}

fn find<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} in {spans:#?}"))
}

/// Asserts that the receiver holds exactly the sample trace, with its types.
fn assert_sample_trace(spans: &[ReceivedSpan], ids: Option<&SampleIds>) {
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind as ProtoKind;
    use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

    assert_eq!(spans.len(), 2, "{spans:#?}");
    let root = find(spans, "invoke_agent");
    let chat = find(spans, "chat gpt-4o");
    if let Some(ids) = ids {
        assert_eq!(root.trace_id, ids.trace_id);
        assert_eq!(root.span_id, ids.root_span_id);
    }
    assert_eq!(root.trace_id.len(), 32);
    assert_eq!(root.span_id.len(), 16);
    assert_eq!(root.parent_span_id, "");
    assert_eq!(root.kind, ProtoKind::Internal);
    assert_eq!(chat.trace_id, root.trace_id);
    assert_eq!(chat.parent_span_id, root.span_id);
    assert_eq!(chat.kind, ProtoKind::Client);

    assert_eq!(chat.attr("gen_ai.request.model"), Some(&"gpt-4o".into()));
    assert_eq!(
        chat.attr("gen_ai.usage.input_tokens"),
        Some(&AttrValue::Int(7))
    );
    assert_eq!(
        chat.attr("gen_ai.request.temperature"),
        Some(&AttrValue::Double(0.5))
    );
    assert_eq!(
        chat.attr("gen_ai.request.stream"),
        Some(&AttrValue::Bool(true))
    );
    assert_eq!(
        chat.attr("gen_ai.response.finish_reasons"),
        Some(&AttrValue::Array(vec!["stop".into()]))
    );
    assert_eq!(chat.status_code, StatusCode::Error);
    assert_eq!(chat.status_message, "boom");
    assert_eq!(chat.events.len(), 1);
    assert_eq!(chat.events[0].name, "gen_ai.choice");
    assert_eq!(chat.events[0].attributes["index"], AttrValue::Int(0));
    assert!(chat.end_time_unix_nano >= chat.start_time_unix_nano);

    assert_eq!(chat.service_name(), Some(SERVICE));
    assert_eq!(
        chat.resource.get("deployment.environment.name"),
        Some(&"test".into())
    );
    assert_eq!(chat.scope_name, "selftest-scope");
}

#[test]
fn grpc_spans_from_the_batch_thread_arrive_with_types_resource_and_metadata() {
    let receiver = OtlpReceiver::start();
    let runtime = export_runtime();
    let mut metadata = MetadataMap::new();
    metadata.insert("x-selftest", "grpc".parse().unwrap());
    let exporter = {
        let _context = runtime.enter();
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.grpc_endpoint())
            .with_metadata(metadata)
            .with_compression(Compression::Gzip)
            .build()
            .unwrap()
    };
    // The batch processor exports from its own plain thread, with `futures` `block_on`.
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();

    let ids = record_sample_trace(&provider);
    provider.force_flush().unwrap();

    assert_sample_trace(&receiver.wait_for_spans(2, WAIT), Some(&ids));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.transport, Transport::Grpc);
    assert_eq!(
        request.path,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    );
    assert_eq!(request.header("X-Selftest"), Some("grpc"));
    assert!(request.compressed);
    assert!(request.accepted);
    provider.shutdown().unwrap();
}

#[test]
fn grpc_exporter_needs_a_runtime_when_built_and_alive_when_exporting() {
    let receiver = OtlpReceiver::start();
    let runtime = export_runtime();
    let exporter = {
        let _context = runtime.enter();
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.grpc_endpoint())
            .build()
            .unwrap()
    };
    // From a plain thread with no runtime context: works while the runtime lives.
    futures::executor::block_on(exporter.export(sample_span_data())).unwrap();
    // Through the runtime's handle.
    runtime
        .handle()
        .block_on(exporter.export(sample_span_data()))
        .unwrap();
    assert_eq!(receiver.spans().len(), 4);
    assert!(receiver.requests().iter().all(|r| !r.compressed));

    // Once the runtime is gone the exporter fails (no panic).
    drop(runtime);
    assert!(futures::executor::block_on(exporter.export(sample_span_data())).is_err());
}

fn http_spans_arrive(protocol: Protocol, transport: Transport) {
    let receiver = OtlpReceiver::start();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(format!("{}/v1/traces", receiver.http_endpoint()))
        .with_http_client(blocking_client())
        .with_headers(HashMap::from([(
            "x-selftest".to_owned(),
            "http".to_owned(),
        )]))
        .with_compression(Compression::Gzip)
        .build()
        .unwrap();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();

    let ids = record_sample_trace(&provider);
    provider.force_flush().unwrap();

    assert_sample_trace(&receiver.wait_for_spans(2, WAIT), Some(&ids));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].transport, transport);
    assert_eq!(requests[0].path, "/v1/traces");
    assert_eq!(requests[0].header("x-selftest"), Some("http"));
    assert!(requests[0].compressed);
    provider.shutdown().unwrap();
}

#[test]
fn http_protobuf_spans_arrive_with_types_resource_and_headers() {
    http_spans_arrive(Protocol::HttpBinary, Transport::HttpProtobuf);
}

#[test]
fn http_json_spans_arrive_with_types_resource_and_headers() {
    http_spans_arrive(Protocol::HttpJson, Transport::HttpJson);
}

#[test]
fn http_exporter_with_an_async_client_exports_inside_a_runtime() {
    let receiver = OtlpReceiver::start();
    let runtime = export_runtime();
    let endpoint = format!("{}/v1/traces", receiver.http_endpoint());
    let reqwest_exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(&endpoint)
        .with_http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let hyper_exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(&endpoint)
        .with_http_client(
            opentelemetry_http::hyper::HyperClient::with_default_connector(
                Duration::from_secs(10),
                None,
            ),
        )
        .build()
        .unwrap();

    for exporter in [&reqwest_exporter, &hyper_exporter] {
        runtime
            .handle()
            .block_on(exporter.export(sample_span_data()))
            .unwrap();
        let _context = runtime.enter();
        futures::executor::block_on(exporter.export(sample_span_data())).unwrap();
    }
    assert_eq!(receiver.spans().len(), 8);
}

#[test]
fn http_receiver_decodes_spec_json_and_rejects_the_rest() {
    let receiver = OtlpReceiver::start();
    let client = blocking_client();
    let url = format!("{}/v1/traces", receiver.http_endpoint());
    // Hand-written OTLP/JSON, as another SDK or a collector would send it.
    let body = r#"{"resourceSpans":[{
        "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"hand"}}]},
        "scopeSpans":[{"scope":{"name":"manual","version":"1.0"},"spans":[{
            "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
            "parentSpanId":"eee19b7ec3c1b173","name":"hand-made","kind":3,
            "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
            "attributes":[{"key":"n","value":{"intValue":"42"}},
                          {"key":"f","value":{"doubleValue":1.5}},
                          {"key":"l","value":{"arrayValue":{"values":[{"boolValue":true}]}}}],
            "status":{"code":2,"message":"bad"}}]}]}]}"#;
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().unwrap(), "{}");

    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(span.span_id, "eee19b7ec3c1b174");
    assert_eq!(span.parent_span_id, "eee19b7ec3c1b173");
    assert_eq!(
        span.kind,
        opentelemetry_proto::tonic::trace::v1::span::SpanKind::Client
    );
    assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.attr("n"), Some(&AttrValue::Int(42)));
    assert_eq!(span.attr("f"), Some(&AttrValue::Double(1.5)));
    assert_eq!(
        span.attr("l"),
        Some(&AttrValue::Array(vec![AttrValue::Bool(true)]))
    );
    assert_eq!(span.service_name(), Some("hand"));
    assert_eq!(
        (span.scope_name.as_str(), span.scope_version.as_str()),
        ("manual", "1.0")
    );
    assert_eq!(span.status_message, "bad");

    let status = |path: &str, content_type: &str, body: &'static str| {
        client
            .post(format!("{}{path}", receiver.http_endpoint()))
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(status("/v1/traces", "application/json", "{not json"), 400);
    assert_eq!(status("/v1/traces", "text/plain", "hello"), 415);
    assert_eq!(status("/v2/traces", "application/json", "{}"), 404);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "415 and 404 are not OTLP requests");
    assert!(requests[0].accepted);
    assert!(!requests[1].accepted, "undecodable payload is not accepted");
}

/// Emits one log record inside a span and returns the span's (trace id, span id) as hex.
fn emit_sample_log(provider: &SdkLoggerProvider) -> (String, String) {
    let tracer_provider = SdkTracerProvider::builder().build();
    let tracer = tracer_provider.tracer("selftest");
    let span = tracer.start("log-parent");
    let context = span.span_context().clone();
    let logger = provider.logger("selftest-logs");
    let mut record = logger.create_log_record();
    record.set_event_name("gen_ai.client.inference.operation.details");
    record.set_body(AnyValue::String("hello".into()));
    record.set_severity_number(Severity::Info);
    record.set_severity_text("INFO");
    record.add_attribute("gen_ai.request.model", "gpt-4o");
    record.add_attribute("gen_ai.usage.output_tokens", 3_i64);
    record.set_trace_context(context.trace_id(), context.span_id(), None);
    logger.emit(record);
    (
        context.trace_id().to_string(),
        context.span_id().to_string(),
    )
}

#[test]
fn log_records_arrive_over_grpc_and_http() {
    use opentelemetry_proto::tonic::logs::v1::SeverityNumber;

    let receiver = OtlpReceiver::start();
    let runtime = export_runtime();
    let grpc = {
        let _context = runtime.enter();
        opentelemetry_otlp::LogExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.grpc_endpoint())
            .build()
            .unwrap()
    };
    let http = opentelemetry_otlp::LogExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(format!("{}/v1/logs", receiver.http_endpoint()))
        .with_http_client(blocking_client())
        .build()
        .unwrap();

    let mut expected = Vec::new();
    for exporter in [grpc, http] {
        let provider = SdkLoggerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource())
            .build();
        expected.push(emit_sample_log(&provider));
        provider.force_flush().unwrap();
        provider.shutdown().unwrap();
    }

    let logs = receiver.wait_for_logs(2, WAIT);
    assert_eq!(logs.len(), 2, "{logs:#?}");
    for (log, (trace_id, span_id)) in logs.iter().zip(&expected) {
        assert_eq!(log.event_name, "gen_ai.client.inference.operation.details");
        assert_eq!(log.body, Some("hello".into()));
        assert_eq!(log.severity_number, SeverityNumber::Info);
        assert_eq!(log.severity_text, "INFO");
        assert_eq!(log.attr("gen_ai.request.model"), Some(&"gpt-4o".into()));
        assert_eq!(
            log.attr("gen_ai.usage.output_tokens"),
            Some(&AttrValue::Int(3))
        );
        assert_eq!(&log.trace_id, trace_id);
        assert_eq!(&log.span_id, span_id);
        assert_eq!(log.resource["service.name"], AttrValue::from(SERVICE));
        assert_eq!(log.scope_name, "selftest-logs");
    }
    let transports: Vec<_> = receiver.requests().iter().map(|r| r.transport).collect();
    assert_eq!(transports, [Transport::Grpc, Transport::HttpJson]);
}

#[test]
fn metrics_arrive_over_grpc_and_http() {
    let receiver = OtlpReceiver::start();
    let runtime = export_runtime();
    let grpc = {
        let _context = runtime.enter();
        opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.grpc_endpoint())
            .build()
            .unwrap()
    };
    let http = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/metrics", receiver.http_endpoint()))
        .with_http_client(blocking_client())
        .build()
        .unwrap();

    for exporter in [grpc, http] {
        // The periodic reader exports from its own plain thread.
        let provider = SdkMeterProvider::builder()
            .with_reader(
                PeriodicReader::builder(exporter)
                    .with_interval(Duration::from_hours(1))
                    .build(),
            )
            .with_resource(resource())
            .build();
        let meter = provider.meter("selftest-metrics");
        let counter = meter.u64_counter("gen_ai.client.requests").build();
        counter.add(2, &[KeyValue::new("gen_ai.request.model", "gpt-4o")]);
        counter.add(3, &[KeyValue::new("gen_ai.request.model", "gpt-4o")]);
        let histogram = meter
            .f64_histogram("gen_ai.client.operation.duration")
            .with_unit("s")
            .build();
        histogram.record(0.25, &[]);
        // Shutdown collects and exports once more (a force_flush before it would export the
        // cumulative sums twice).
        provider.shutdown().unwrap();
    }

    let metrics = receiver.wait_for_metrics(4, WAIT);
    let named = |name: &str| -> Vec<_> { metrics.iter().filter(|m| m.name == name).collect() };
    let counters = named("gen_ai.client.requests");
    assert_eq!(counters.len(), 2, "{metrics:#?}");
    for counter in counters {
        let points = counter.points();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].value, PointValue::Int(5));
        assert_eq!(
            points[0].attributes["gen_ai.request.model"],
            "gpt-4o".into()
        );
        assert_eq!(counter.resource["service.name"], AttrValue::from(SERVICE));
        assert_eq!(counter.scope_name, "selftest-metrics");
    }
    let histograms = named("gen_ai.client.operation.duration");
    assert_eq!(histograms.len(), 2);
    for histogram in histograms {
        assert_eq!(histogram.unit, "s");
        let PointValue::Histogram { count, sum, .. } = &histogram.points()[0].value else {
            panic!("not a histogram: {histogram:#?}");
        };
        assert_eq!((*count, *sum), (1, Some(0.25)));
    }
    let transports: Vec<_> = receiver.requests().iter().map(|r| r.transport).collect();
    assert_eq!(transports, [Transport::Grpc, Transport::HttpProtobuf]);
}

#[test]
fn failure_modes_make_exporters_retry_fail_or_wait() {
    let receiver = OtlpReceiver::start();
    let runtime = export_runtime();
    let grpc = {
        let _context = runtime.enter();
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.grpc_endpoint())
            .build()
            .unwrap()
    };
    let http = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", receiver.http_endpoint()))
        .with_http_client(blocking_client())
        .build()
        .unwrap();

    // UNAVAILABLE / 503 are retryable: the exporters try 1 + 3 times, then give up.
    receiver.set_failure(Failure::Unavailable);
    assert!(futures::executor::block_on(grpc.export(sample_span_data())).is_err());
    assert!(futures::executor::block_on(http.export(sample_span_data())).is_err());
    let requests = receiver.requests();
    assert!(requests.len() >= 4, "{requests:#?}");
    assert!(requests.iter().all(|r| !r.accepted));
    assert!(requests.iter().any(|r| r.transport == Transport::Grpc));
    assert!(
        requests
            .iter()
            .any(|r| r.transport == Transport::HttpProtobuf)
    );
    assert!(receiver.spans().is_empty());

    receiver.clear();
    receiver.set_failure(Failure::Delay(Duration::from_millis(300)));
    let start = Instant::now();
    futures::executor::block_on(grpc.export(sample_span_data())).unwrap();
    futures::executor::block_on(http.export(sample_span_data())).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(600));
    assert_eq!(receiver.spans().len(), 4);

    receiver.set_failure(Failure::None);
    futures::executor::block_on(http.export(sample_span_data())).unwrap();
    assert_eq!(receiver.spans().len(), 6);
}

/// The async recipe: in a multi-thread tokio test, every exporter can simply be awaited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporters_can_be_awaited_in_an_async_test() {
    let receiver = OtlpReceiver::start();
    let mut grpc = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(receiver.grpc_endpoint())
        .build()
        .unwrap();
    grpc.set_resource(&resource());
    grpc.export(sample_span_data()).await.unwrap();
    let mut http = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(format!("{}/v1/traces", receiver.http_endpoint()))
        .with_http_client(reqwest::Client::new())
        .build()
        .unwrap();
    http.set_resource(&resource());
    http.export(sample_span_data()).await.unwrap();
    // The receiver stores a payload before it answers: no waiting needed after an export.
    let spans = receiver.spans();
    assert_sample_trace(&spans[..2], None);
    assert_sample_trace(&spans[2..], None);

    let stand_in = AzureStandIn::start();
    let ca = reqwest::Certificate::from_pem(stand_in.ca_certificate_pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let mut azure = opentelemetry_application_insights::Exporter::new_from_connection_string(
        stand_in.connection_string(),
        client,
    )
    .unwrap();
    azure.set_resource(&resource());
    azure.export(sample_span_data()).await.unwrap();
    // Two spans and the span event.
    assert_eq!(stand_in.envelopes().len(), 3);
}

fn envelope_named<'a>(envelopes: &'a [Json], name: &str) -> &'a Json {
    envelopes
        .iter()
        .find(|e| e["data"]["baseData"]["name"] == name)
        .unwrap_or_else(|| panic!("no envelope for {name:?} in {envelopes:#?}"))
}

#[test]
fn azure_spans_arrive_as_envelopes_over_tls() {
    let stand_in = AzureStandIn::start();
    let ca = reqwest::Certificate::from_pem(stand_in.ca_certificate_pem().as_bytes()).unwrap();
    let client = reqwest::blocking::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let exporter = opentelemetry_application_insights::Exporter::new_from_connection_string(
        stand_in.connection_string(),
        client,
    )
    .unwrap();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();

    let ids = record_sample_trace(&provider);
    provider.force_flush().unwrap();

    // One envelope per span, and one per span event (a `Message`, unless the event is named
    // `ai.custom` or `exception`).
    let envelopes = stand_in.wait_for_envelopes(3, WAIT);
    assert_eq!(envelopes.len(), 3, "{envelopes:#?}");
    let event = envelopes
        .iter()
        .find(|e| e["name"] == "Microsoft.ApplicationInsights.Message")
        .unwrap_or_else(|| panic!("no message envelope in {envelopes:#?}"));
    assert_eq!(event["data"]["baseData"]["message"], "gen_ai.choice");
    assert_eq!(event["tags"]["ai.operation.id"], ids.trace_id.as_str());
    let spans: Vec<Json> = envelopes.iter().filter(|e| *e != event).cloned().collect();
    for envelope in &spans {
        assert_eq!(
            envelope["name"],
            "Microsoft.ApplicationInsights.RemoteDependency"
        );
        assert_eq!(envelope["iKey"], azure::INSTRUMENTATION_KEY);
        assert_eq!(envelope["data"]["baseType"], "RemoteDependencyData");
        assert_eq!(envelope["tags"]["ai.cloud.role"], SERVICE);
        assert_eq!(envelope["tags"]["ai.operation.id"], ids.trace_id.as_str());
    }
    let root = envelope_named(&spans, "invoke_agent");
    assert_eq!(root["data"]["baseData"]["id"], ids.root_span_id.as_str());
    let chat = envelope_named(&spans, "chat gpt-4o");
    assert_eq!(
        chat["tags"]["ai.operation.parentId"],
        ids.root_span_id.as_str()
    );
    let properties = &chat["data"]["baseData"]["properties"];
    assert_eq!(properties["gen_ai.request.model"], "gpt-4o");
    assert_eq!(
        properties["gen_ai.usage.input_tokens"], "7",
        "properties are strings"
    );

    let requests = stand_in.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v2/track");
    assert_eq!(requests[0].headers["content-encoding"], "gzip");
    assert_eq!(requests[0].envelope_count, 3);
    provider.shutdown().unwrap();
}

#[test]
fn azure_stand_in_is_real_tls() {
    let stand_in = AzureStandIn::start();
    let other = AzureStandIn::start();
    let url = format!("{}/v2/track", stand_in.endpoint());
    let trusting = |pem: String| {
        let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
        reqwest::blocking::Client::builder()
            .tls_certs_only([ca])
            .build()
            .unwrap()
    };
    // A client that trusts another CA cannot connect.
    let error = trusting(other.ca_certificate_pem())
        .post(&url)
        .body("[]")
        .send()
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    // The stand-in's CA works, with uncompressed JSON too.
    let response = trusting(stand_in.ca_certificate_pem())
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"[{"name":"Microsoft.ApplicationInsights.Event"}]"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let breeze: Json = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(
        breeze,
        serde_json::json!({"itemsReceived": 1, "itemsAccepted": 1, "errors": []})
    );
    assert_eq!(stand_in.envelopes().len(), 1);
    assert!(
        stand_in
            .connection_string()
            .starts_with("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:")
    );
}
