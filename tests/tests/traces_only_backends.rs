//! Backends that take only traces: Phoenix answers `405` to `POST /v1/metrics`, `MLflow` `404`
//! to `/v1/metrics` and `/v1/logs`, Jaeger `UNIMPLEMENTED` to the gRPC metrics and logs
//! services. The refused signal is switched off for that destination after its first
//! refusal, with one warning on stderr; the other signals keep flowing and `shutdown()`
//! succeeds. Other failures (a 500, a collector that is down) are still reported.
//!
//! Each scenario runs in a child process (this test binary, re-executed with [`CHILD`] set),
//! configured through the process environment as an application is, so that its stderr can
//! be read; the receiver runs in the parent and counts the requests of each signal.

use trace_genai_tests::receiver;

use std::process::Command;
use std::time::Duration;

use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::metrics::MeterProvider as _;
use receiver::{OtlpReceiver, Signal};
use trace_genai::{Telemetry, trace_genai};

/// Set in the environment of a child process started by [`run_scenario`].
const CHILD: &str = "TRACE_GENAI_TRACES_ONLY_CHILD";

/// How many times the child sends each signal (one flush per round).
const ROUNDS: &str = "TRACE_GENAI_TRACES_ONLY_ROUNDS";

const WAIT: Duration = Duration::from_secs(10);

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat_with_event(logger: &opentelemetry_sdk::logs::SdkLogger) {
    let mut record = logger.create_log_record();
    record.set_event_name("gen_ai.evaluation.user_feedback");
    record.add_attribute("gen_ai.evaluation.score", 1.0);
    logger.emit(record);
}

/// The application of every scenario: per round, one span, one log record and one metric
/// point, flushed; then metric exports by the periodic reader; then shutdown, whose result
/// it prints (`shutdown: Ok` or `shutdown: Err(…)`) on stdout.
#[test]
#[ignore = "run in a child process by the tests of this file"]
fn child_scenario() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let rounds: usize = std::env::var(ROUNDS).map_or(3, |rounds| rounds.parse().unwrap());
    let telemetry = Telemetry::builder().install().unwrap();
    let logger = trace_genai::logger_provider().unwrap().logger("test");
    let meter = telemetry.meter_provider().unwrap().meter("test");
    let counter = meter.u64_counter("test.calls").build();
    for _ in 0..rounds {
        chat_with_event(&logger);
        counter.add(1, &[]);
        println!("force_flush: {:?}", telemetry.force_flush());
    }
    // A few periodic metric exports (OTEL_METRIC_EXPORT_INTERVAL=100).
    std::thread::sleep(Duration::from_millis(350));
    println!("shutdown: {:?}", telemetry.shutdown());
}

/// What a child process did.
struct Outcome {
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn shutdown_ok(&self) -> bool {
        self.stdout.contains("shutdown: Ok(())")
    }

    /// The warnings naming `signal` (`metrics`, `logs`, `traces`) as refused.
    fn warnings(&self, signal: &str) -> usize {
        self.stderr
            .lines()
            .filter(|line| {
                line.starts_with("trace-genai: warning:")
                    && line.contains(&format!(" to {signal}: it does not take {signal}"))
            })
            .count()
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        )
    }
}

/// Runs [`child_scenario`] in a child process that exports to `endpoint` over `protocol`.
fn run_scenario(endpoint: &str, protocol: &str, vars: &[(&str, &str)]) -> Outcome {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "child_scenario",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    // Only this test's configuration: none of the environment's own.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("OTEL_") || name.starts_with("APPLICATIONINSIGHTS_") {
            command.env_remove(name.as_ref());
        }
    }
    let output = command
        .env(CHILD, "1")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env("OTEL_METRIC_EXPORT_INTERVAL", "100")
        .env("OTEL_SERVICE_NAME", "traces-only")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    let outcome = Outcome {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(output.status.success(), "the child failed\n{outcome}");
    outcome
}

/// The export requests of `signal` the receiver got.
fn requests(receiver: &OtlpReceiver, signal: Signal) -> usize {
    receiver
        .requests()
        .iter()
        .filter(|request| request.signal == signal)
        .count()
}

/// Spans arrived, shutdown succeeded, each refused signal was warned about once and sent
/// once, and the signals that were not refused kept flowing.
fn assert_traces_only(receiver: &OtlpReceiver, outcome: &Outcome, refused: &[(Signal, &str)]) {
    assert!(outcome.shutdown_ok(), "{outcome}");
    assert!(
        !outcome.stdout.contains("force_flush: Err"),
        "a refused signal made force_flush fail\n{outcome}"
    );
    assert_eq!(receiver.wait_for_spans(3, WAIT).len(), 3, "{outcome}");
    assert_eq!(outcome.warnings("traces"), 0, "{outcome}");
    for (signal, name) in [(Signal::Logs, "logs"), (Signal::Metrics, "metrics")] {
        if refused.iter().any(|(refused, _)| *refused == signal) {
            assert_eq!(
                outcome.warnings(name),
                1,
                "one warning for {name}\n{outcome}"
            );
            assert_eq!(
                requests(receiver, signal),
                1,
                "{name} are not sent after their refusal\n{outcome}"
            );
        } else {
            assert_eq!(outcome.warnings(name), 0, "{outcome}");
            assert!(requests(receiver, signal) >= 3, "{name} keep flowing");
        }
    }
    for (_, answer) in refused {
        let variable = "=none to stop exporting";
        assert!(
            outcome
                .stderr
                .lines()
                .any(|line| line.contains(answer) && line.contains(variable)),
            "the warning names the answer {answer} and the variable\n{outcome}"
        );
    }
}

#[test]
fn phoenix_405_to_metrics_over_http() {
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Metrics, 405);
    let outcome = run_scenario(&receiver.http_endpoint(), "http/protobuf", &[]);
    assert_traces_only(&receiver, &outcome, &[(Signal::Metrics, "HTTP 405")]);
    assert_eq!(receiver.wait_for_logs(3, WAIT).len(), 3, "{outcome}");
    assert!(
        outcome.stderr.contains(&format!(
            "OTLP http/protobuf {}/v1/metrics answered HTTP 405 to metrics",
            receiver.http_endpoint()
        )),
        "the warning names the endpoint\n{outcome}"
    );
    assert!(
        outcome.stderr.contains("OTEL_METRICS_EXPORTER=none"),
        "{outcome}"
    );
}

#[test]
fn mlflow_404_to_metrics_and_logs_over_http() {
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Metrics, 404);
    receiver.refuse(Signal::Logs, 404);
    let outcome = run_scenario(&receiver.http_endpoint(), "http/protobuf", &[]);
    assert_traces_only(
        &receiver,
        &outcome,
        &[(Signal::Metrics, "HTTP 404"), (Signal::Logs, "HTTP 404")],
    );
    assert!(
        outcome.stderr.contains("OTEL_LOGS_EXPORTER=none"),
        "{outcome}"
    );
}

#[test]
fn jaeger_unimplemented_metrics_and_logs_over_grpc() {
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Metrics, 404);
    receiver.refuse(Signal::Logs, 404);
    let outcome = run_scenario(&receiver.grpc_endpoint(), "grpc", &[]);
    assert_traces_only(
        &receiver,
        &outcome,
        &[
            (Signal::Metrics, "gRPC UNIMPLEMENTED"),
            (Signal::Logs, "gRPC UNIMPLEMENTED"),
        ],
    );
}

#[test]
fn a_500_to_metrics_is_still_a_failure() {
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Metrics, 500);
    let outcome = run_scenario(&receiver.http_endpoint(), "http/protobuf", &[]);
    assert!(!outcome.shutdown_ok(), "{outcome}");
    assert!(outcome.stdout.contains("shutdown: Err("), "{outcome}");
    assert_eq!(outcome.warnings("metrics"), 0, "{outcome}");
    assert!(
        requests(&receiver, Signal::Metrics) >= 3,
        "metrics are sent again after a 500\n{outcome}"
    );
    assert_eq!(receiver.wait_for_spans(3, WAIT).len(), 3, "{outcome}");
}

#[test]
fn a_500_to_traces_is_still_undelivered() {
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Traces, 500);
    let outcome = run_scenario(&receiver.http_endpoint(), "http/protobuf", &[]);
    assert!(
        outcome.stdout.contains("shutdown: Err(") && outcome.stdout.contains("not delivered"),
        "{outcome}"
    );
    assert_eq!(outcome.warnings("traces"), 0, "{outcome}");
    assert!(requests(&receiver, Signal::Traces) >= 3, "{outcome}");
}

#[test]
fn a_404_to_traces_is_undelivered_and_not_sent_again() {
    let receiver = OtlpReceiver::start();
    receiver.refuse(Signal::Traces, 404);
    let outcome = run_scenario(&receiver.http_endpoint(), "http/protobuf", &[]);
    assert!(
        outcome.stdout.contains("shutdown: Err(") && outcome.stdout.contains("not delivered"),
        "{outcome}"
    );
    assert_eq!(outcome.warnings("traces"), 1, "{outcome}");
    assert!(
        outcome.stderr.contains("OTEL_TRACES_EXPORTER=none"),
        "{outcome}"
    );
    assert_eq!(requests(&receiver, Signal::Traces), 1, "{outcome}");
}

#[test]
fn a_collector_that_is_down_is_still_a_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let outcome = run_scenario(
        &format!("http://127.0.0.1:{port}"),
        "http/protobuf",
        &[(ROUNDS, "1"), ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000")],
    );
    assert!(
        outcome.stdout.contains("shutdown: Err(") && outcome.stdout.contains("not delivered"),
        "{outcome}"
    );
    for signal in ["traces", "logs", "metrics"] {
        assert_eq!(outcome.warnings(signal), 0, "{outcome}");
    }
}
