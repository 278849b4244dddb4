//! The README's run command (`cargo run -p trace-genai-examples --example agent`), given
//! only `OTEL_EXPORTER_OTLP_ENDPOINT=https://…`, `OTEL_EXPORTER_OTLP_PROTOCOL` and
//! `OTEL_EXPORTER_OTLP_CERTIFICATE`, delivers its spans over TLS, by gRPC and by
//! HTTP/protobuf, to a receiver that takes traces only (as Jaeger and Phoenix do: metrics
//! and logs are refused), and exits 0 with exactly one warning per refused signal.
//!
//! Runs the example binary built next to this test. `cargo test --workspace
//! --all-features` builds it with every feature; CI also runs this file against the
//! default-feature build of the README's command (`cargo build -p trace-genai-examples
//! --example agent`, then this test with [`EXPECT_DEFAULT_FEATURES`] set, which checks
//! that the binary is that build).

use trace_genai_tests::{examples, receiver, tls};

use std::process::Output;
use std::time::Duration;

use receiver::{OtlpReceiver, Signal};
use tls::{Pki, TlsFront, temp_dir};

/// Set (to anything) when the agent binary must be the default-feature build.
const EXPECT_DEFAULT_FEATURES: &str = "TRACE_GENAI_EXPECT_DEFAULT_FEATURES";

const WAIT: Duration = Duration::from_secs(10);

/// The agent example with exactly `vars` as its telemetry environment (none of the
/// developer's shell).
fn run_agent(vars: &[(&str, &str)]) -> Output {
    let mut command = examples::without_telemetry_env(examples::example_binary("agent"));
    command.envs(vars.iter().copied()).output().unwrap()
}

/// The lines of trace-genai's warnings on stderr.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("trace-genai: warning:"))
        .collect()
}

#[test]
fn the_readme_command_over_tls_to_a_traces_only_backend_delivers_its_spans_and_exits_0() {
    if std::env::var_os(EXPECT_DEFAULT_FEATURES).is_some() {
        the_agent_binary_is_the_default_feature_build();
    }
    let pki = Pki::new();
    let dir = temp_dir("example-agent");
    let (ca, _, _) = pki.files(&dir);
    for protocol in ["grpc", "http/protobuf"] {
        let receiver = OtlpReceiver::start();
        // Phoenix's answer over HTTP; over gRPC the receiver answers UNIMPLEMENTED, as Jaeger.
        receiver.refuse(Signal::Metrics, 405);
        receiver.refuse(Signal::Logs, 405);
        let plaintext = if protocol == "grpc" {
            receiver.grpc_endpoint()
        } else {
            receiver.http_endpoint()
        };
        let front = TlsFront::start(pki.server_config(false), &plaintext);
        let output = run_agent(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &front.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{protocol}: {output:?}");

        let spans = receiver.wait_for_spans(4, WAIT);
        let mut names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "chat demo-llm-1",
                "chat demo-llm-1",
                "execute_tool get_weather",
                "invoke_agent travel-planner"
            ],
            "{protocol}: {stderr}"
        );

        let warnings = warnings(&stderr);
        assert_eq!(warnings.len(), 2, "{protocol}: {stderr}");
        for signal in ["metrics", "logs"] {
            let about: Vec<&&str> = warnings
                .iter()
                .filter(|line| line.contains(&format!(" to {signal}: it does not take {signal}")))
                .collect();
            assert_eq!(
                about.len(),
                1,
                "{protocol}: one warning for {signal}: {stderr}"
            );
            assert!(
                about[0].contains(&front.endpoint()),
                "{protocol}: the warning names the endpoint: {stderr}"
            );
        }
        // Each refused signal was sent once, then no more.
        for signal in [Signal::Metrics, Signal::Logs] {
            let sent = receiver
                .requests()
                .iter()
                .filter(|request| request.signal == signal)
                .count();
            assert_eq!(sent, 1, "{protocol}: {signal:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A build without `azure-monitor` (a default feature set) refuses a connection string at
/// install, naming the feature (the example warns and runs without telemetry); a build
/// with every feature would try to send.
fn the_agent_binary_is_the_default_feature_build() {
    let output = run_agent(&[(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/",
    )]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: telemetry is off") && stderr.contains("azure-monitor"),
        "{EXPECT_DEFAULT_FEATURES} is set but the agent binary is not the default-feature build: {output:?}"
    );
}
