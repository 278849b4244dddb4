//! The README's example, unchanged, sends its trace to any OTLP receiver when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set: over gRPC (port 4317 style) and, with
//! `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`, over HTTP. So does every other example:
//! none chooses its destination in code.
//!
//! Runs the example binaries that `cargo test --workspace --all-features` builds next to
//! this test.

use trace_genai_tests::{examples, receiver};

use std::process::Command;
use std::time::Duration;

#[test]
fn the_example_exports_its_trace_over_grpc_and_http() {
    let receiver = receiver::OtlpReceiver::start();
    for (protocol, endpoint) in [
        ("grpc", receiver.grpc_endpoint()),
        ("http/protobuf", receiver.http_endpoint()),
    ] {
        receiver.clear();
        let output = Command::new(examples::example_binary("agent"))
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
            .env("OTEL_SERVICE_NAME", "travel-agent")
            .env_remove("OTEL_TRACES_EXPORTER")
            .output()
            .unwrap();
        assert!(output.status.success(), "{protocol}: {output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !stdout.contains("└─"),
            "{protocol}: the console is not used when OTLP is set: {stdout}"
        );
        let spans = receiver.wait_for_spans(4, Duration::from_secs(10));
        let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "chat demo-llm-1",
                "chat demo-llm-1",
                "execute_tool get_weather",
                "invoke_agent travel-planner"
            ],
            "{protocol}"
        );
        assert!(
            spans
                .iter()
                .all(|s| s.service_name() == Some("travel-agent"))
        );
    }
}

#[test]
fn every_example_sends_its_trace_where_the_environment_says() {
    let receiver = receiver::OtlpReceiver::start();
    for (name, spans) in [
        ("feedback", ["chat demo-llm-1"].as_slice()),
        ("streaming", &["chat demo-llm-1"]),
        (
            "openai_chat",
            &[
                "chat gpt-4o",
                "chat gpt-4o",
                "embeddings text-embedding-3-small",
                "execute_tool get_weather",
                "invoke_agent travel-agent",
            ],
        ),
    ] {
        receiver.clear();
        let output = Command::new(examples::example_binary(name))
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint())
            .env_remove("OTEL_EXPORTER_OTLP_PROTOCOL")
            .env_remove("OTEL_TRACES_EXPORTER")
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}: {output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !stdout.contains("└─"),
            "{name}: the console is not used when OTLP is set: {stdout}"
        );
        let arrived = receiver.wait_for_spans(spans.len(), Duration::from_secs(10));
        let mut names: Vec<&str> = arrived.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, spans, "{name}");
    }
}
