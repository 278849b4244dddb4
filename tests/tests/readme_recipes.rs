//! Every backend recipe of the README (the `sh` blocks under "Local viewers and
//! collectors" and "Hosted backends") runs as printed, read from README.md itself so the
//! two cannot drift: the script of a recipe runs in `sh`, with only its host (the
//! `scheme://host:port` of each URL) swapped for a loopback receiver that answers as that
//! backend does (Jaeger and Phoenix refuse metrics and logs, `MLflow` and Langfuse take
//! traces at their own paths, hosted backends serve TLS), `cargo run -p
//! trace-genai-examples … --example agent` swapped for the example binary built next to
//! this test, and the CA file of `OTEL_EXPORTER_OTLP_CERTIFICATE` swapped for the test
//! CA's. The receiver checks the path, the authentication header and that the spans
//! arrive; the command exits 0.
//!
//! The recipes' secrets come from shell variables (`$LANGFUSE_PUBLIC_KEY`, …), which
//! the test sets to made-up values. The hosted backends' TLS is trusted the way the
//! README says: `OTEL_EXPORTER_OTLP_CERTIFICATE` for OTLP, `SSL_CERT_FILE` for Azure
//! Monitor.

use trace_genai_tests::{azure, examples, receiver};

use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

use receiver::{OtlpReceiver, RequestInfo, Signal};
use trace_genai_tests::tls::{Pki, TlsFront, temp_dir};

const WAIT: Duration = Duration::from_secs(10);

/// The made-up secrets the recipes read from the shell. The Langfuse keys are as long as
/// real ones, so that `base64` would wrap their encoding.
const SECRETS: [(&str, &str); 7] = [
    (
        "LANGFUSE_PUBLIC_KEY",
        "pk-lf-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    ),
    (
        "LANGFUSE_SECRET_KEY",
        "sk-lf-6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b",
    ),
    ("HONEYCOMB_API_KEY", "hcaik_01j0000000000000000000test"),
    ("GRAFANA_INSTANCE_ID", "1234567"),
    (
        "GRAFANA_TOKEN",
        "glc_eyJvIjoiMTIzNDU2NyIsIm4iOiJ0cmFjZS1nZW5haS10ZXN0IiwiayI6ImFiY2RlZiJ9",
    ),
    ("DD_API_KEY", "0123456789abcdef0123456789abcdef"),
    ("COLLECTOR_TOKEN", "collector-token-42"),
];

fn secret(name: &str) -> &'static str {
    SECRETS
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
        .unwrap()
}

// --- The README's recipes ------------------------------------------------------------------

/// One recipe: the name in its comment line and its script (the commands that set
/// variables and the one that runs the example; starting the backend is left out).
#[derive(Debug)]
struct Recipe {
    name: String,
    script: Vec<String>,
}

/// The recipes of README.md: in an `sh` block, a `# Name (…)` line starts one, a blank
/// line ends it; only recipes that run the example count.
fn recipes() -> Vec<Recipe> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let mut recipes = Vec::new();
    let mut in_sh = false;
    let mut current: Option<Recipe> = None;
    let mut logical = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line == "```sh";
            recipes.extend(current.take());
            continue;
        }
        if !in_sh {
            continue;
        }
        // Join continuation lines.
        if let Some(start) = line.strip_suffix('\\') {
            logical.push_str(start.trim_start());
            continue;
        }
        logical.push_str(line.trim_start());
        let command = std::mem::take(&mut logical);
        if let Some(comment) = command.strip_prefix("# ") {
            recipes.extend(current.take());
            let name = comment.split(" (").next().unwrap().trim().to_owned();
            current = Some(Recipe {
                name,
                script: Vec::new(),
            });
        } else if command.trim().is_empty() {
            recipes.extend(current.take());
        } else if let Some(recipe) = &mut current {
            recipe.script.push(command);
        }
    }
    recipes.extend(current);
    recipes
        .into_iter()
        .filter(|recipe| recipe.script.iter().any(|c| c.contains("cargo run")))
        .map(|mut recipe| {
            recipe.script.retain(|command| {
                command.contains("cargo run") || is_assignment(command.split(' ').next())
            });
            recipe
        })
        .collect()
}

/// `NAME=…`: a shell variable assignment.
fn is_assignment(word: Option<&str>) -> bool {
    word.and_then(|word| word.split_once('='))
        .is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn recipe(name: &str) -> Recipe {
    let mut found: Vec<Recipe> = recipes().into_iter().filter(|r| r.name == name).collect();
    assert_eq!(found.len(), 1, "one README recipe named {name:?}");
    found.remove(0)
}

/// The recipe's script for the test: each URL's `scheme://host:port` becomes `endpoint`,
/// the `cargo run` command the example binary, the CA file of
/// `OTEL_EXPORTER_OTLP_CERTIFICATE` the test CA.
fn localize(recipe: &Recipe, endpoint: &str, ca: &str) -> String {
    let mut script = String::from("set -e\n");
    for command in &recipe.script {
        let mut command = swap_hosts(command, endpoint);
        if let Some(start) = command.find("cargo run -p trace-genai-examples") {
            let end = start
                + command[start..]
                    .find("--example agent")
                    .unwrap_or_else(|| panic!("{}: not the agent example", recipe.name))
                + "--example agent".len();
            command.replace_range(start..end, "\"$TRACE_GENAI_AGENT\"");
        }
        let key = "OTEL_EXPORTER_OTLP_CERTIFICATE=";
        if let Some(start) = command.find(key) {
            let value = start + key.len();
            let end = command[value..]
                .find(' ')
                .map_or(command.len(), |end| value + end);
            command.replace_range(value..end, ca);
        }
        script.push_str(&command);
        script.push('\n');
    }
    script
}

/// Replaces the `scheme://authority` of every URL in `text` with `endpoint`.
fn swap_hosts(text: &str, endpoint: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        out.push_str(&rest[..start]);
        let after_scheme = start + rest[start..].find("://").unwrap() + 3;
        let end = rest[after_scheme..]
            .find(|c: char| "/\"' ;,$".contains(c))
            .map_or(rest.len(), |end| after_scheme + end);
        out.push_str(endpoint);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Runs a localized script in `sh` with only the recipe's own telemetry variables.
fn run(script: &str, ca: &str) -> Output {
    let mut command = examples::without_telemetry_env("sh");
    command
        .args(["-c", script])
        .env("TRACE_GENAI_AGENT", examples::example_binary("agent"))
        .envs(SECRETS)
        // How the README trusts one more CA: for OTLP, and for Azure Monitor on Linux.
        .env("OTEL_EXPORTER_OTLP_CERTIFICATE", ca)
        .env("SSL_CERT_FILE", ca)
        .output()
        .unwrap()
}

// --- Receivers that answer as the backends do -------------------------------------------

/// How the backend of a recipe answers.
struct Backend {
    /// OTLP/gRPC (else OTLP/HTTP).
    grpc: bool,
    /// Served over TLS, by a certificate of the test CA.
    tls: bool,
    /// The path the HTTP signal paths sit under.
    prefix: &'static str,
    /// The signals it refuses (HTTP status; 404/405 is `UNIMPLEMENTED` over gRPC).
    refuses: &'static [(Signal, u16)],
    /// Headers every trace export must carry.
    headers: Vec<(&'static str, String)>,
    /// The signals that must arrive besides traces (none: the recipe switches them off or
    /// the backend refuses them).
    also: &'static [Signal],
}

const ALL: &[Signal] = &[Signal::Logs, Signal::Metrics];
const TRACES_ONLY: &[(Signal, u16)] = &[(Signal::Metrics, 405), (Signal::Logs, 405)];

/// What a run of a recipe left.
struct Run {
    output: Output,
    requests: Vec<RequestInfo>,
    span_names: Vec<String>,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn warnings(&self) -> usize {
        self.stderr()
            .lines()
            .filter(|line| line.starts_with("trace-genai: warning:"))
            .count()
    }

    fn requests_of(&self, signal: Signal) -> Vec<&RequestInfo> {
        self.requests
            .iter()
            .filter(|request| request.signal == signal)
            .collect()
    }
}

const AGENT_SPANS: [&str; 4] = [
    "chat demo-llm-1",
    "chat demo-llm-1",
    "execute_tool get_weather",
    "invoke_agent travel-planner",
];

/// Runs the README recipe `name` against a receiver that answers as `backend`, and checks
/// what every recipe must do: exit 0, the agent's four spans arrive, on the backend's path
/// with its headers; refused signals are one warning each, nothing else warns.
fn check(name: &str, backend: &Backend) -> Run {
    let recipe = recipe(name);
    let pki = Pki::new();
    let dir = temp_dir(&name.replace(' ', "-"));
    let (ca, _, _) = pki.files(&dir);
    let receiver = OtlpReceiver::start();
    receiver.serve_http_under(backend.prefix);
    for (signal, status) in backend.refuses {
        receiver.refuse(*signal, *status);
    }
    let plaintext = if backend.grpc {
        receiver.grpc_endpoint()
    } else {
        receiver.http_endpoint()
    };
    let front = backend
        .tls
        .then(|| TlsFront::start(pki.server_config(false), &plaintext));
    let endpoint = front.as_ref().map_or(plaintext, TlsFront::endpoint);

    let script = localize(&recipe, &endpoint, &ca);
    let output = run(&script, &ca);
    let spans = receiver.wait_for_spans(4, WAIT);
    let mut span_names: Vec<String> = spans.into_iter().map(|span| span.name).collect();
    span_names.sort_unstable();
    let run = Run {
        output,
        requests: receiver.requests(),
        span_names,
    };
    let _ = std::fs::remove_dir_all(&dir);

    let context = format!("{name}\n--- script\n{script}--- stderr\n{}", run.stderr());
    assert!(run.output.status.success(), "{context}");
    assert_eq!(run.span_names, AGENT_SPANS, "{context}");
    let traces = run.requests_of(Signal::Traces);
    let path = if backend.grpc {
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export".to_owned()
    } else {
        format!("{}/v1/traces", backend.prefix)
    };
    for request in &traces {
        assert_eq!(request.path, path, "{context}");
        for (header, value) in &backend.headers {
            assert_eq!(
                request.header(header),
                Some(value.as_str()),
                "{header}: {context}"
            );
        }
    }
    let refused = backend
        .refuses
        .iter()
        .filter(|(signal, _)| !run.requests_of(*signal).is_empty())
        .count();
    assert_eq!(run.warnings(), refused, "{context}");
    for signal in [Signal::Logs, Signal::Metrics] {
        let sent = run.requests_of(signal);
        if backend.also.contains(&signal) {
            assert!(
                sent.iter().any(|request| request.accepted),
                "{signal:?} arrive: {context}"
            );
        } else if backend
            .refuses
            .iter()
            .any(|(refused, _)| *refused == signal)
        {
            assert!(sent.len() <= 1, "{signal:?} sent once at most: {context}");
        } else {
            assert!(sent.is_empty(), "{signal:?} are not sent: {context}");
        }
    }
    run
}

/// Standard base64 with padding, for the expected `Authorization: Basic …` values.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

// --- The recipes -------------------------------------------------------------------------

#[test]
fn every_readme_recipe_is_tested_here() {
    let tested: BTreeSet<&str> = [
        "Aspire Dashboard",
        "Jaeger",
        "Arize Phoenix",
        "MLflow",
        "OpenTelemetry Collector",
        "Langfuse",
        "Honeycomb",
        "Grafana Cloud",
        "Datadog Agent",
        "Datadog OTLP traces intake, without an Agent",
        "Azure Monitor / Application Insights",
        "Your own collector over TLS, behind a private CA, with a bearer token",
    ]
    .into_iter()
    .collect();
    let recipes = recipes();
    let in_readme: BTreeSet<&str> = recipes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(in_readme, tested);
    assert_eq!(recipes.len(), in_readme.len(), "recipe names are unique");
    assert_eq!(base64(b"pk:sk"), "cGs6c2s=");
    assert_eq!(base64(b"ab"), "YWI=");
}

#[test]
fn aspire_dashboard() {
    check(
        "Aspire Dashboard",
        &Backend {
            grpc: true,
            tls: false,
            prefix: "",
            refuses: &[],
            headers: vec![("x-otlp-api-key", "my-key".to_owned())],
            also: ALL,
        },
    );
}

#[test]
fn jaeger() {
    let run = check(
        "Jaeger",
        &Backend {
            grpc: true,
            tls: false,
            prefix: "",
            refuses: TRACES_ONLY,
            headers: vec![],
            also: &[],
        },
    );
    assert!(
        run.stderr().contains("gRPC UNIMPLEMENTED"),
        "{}",
        run.stderr()
    );
}

#[test]
fn arize_phoenix() {
    let run = check(
        "Arize Phoenix",
        &Backend {
            grpc: false,
            tls: false,
            prefix: "",
            refuses: TRACES_ONLY,
            headers: vec![],
            also: &[],
        },
    );
    assert!(run.stderr().contains("HTTP 405"), "{}", run.stderr());
}

#[test]
fn mlflow() {
    check(
        "MLflow",
        &Backend {
            grpc: false,
            tls: false,
            prefix: "",
            refuses: &[(Signal::Metrics, 404), (Signal::Logs, 404)],
            headers: vec![("x-mlflow-experiment-id", "0".to_owned())],
            also: &[],
        },
    );
}

#[test]
fn opentelemetry_collector() {
    check(
        "OpenTelemetry Collector",
        &Backend {
            grpc: true,
            tls: false,
            prefix: "",
            refuses: &[],
            headers: vec![],
            also: ALL,
        },
    );
}

#[test]
fn langfuse() {
    check(
        "Langfuse",
        &Backend {
            grpc: false,
            tls: true,
            prefix: "/api/public/otel",
            refuses: &[],
            headers: vec![
                (
                    "authorization",
                    basic(secret("LANGFUSE_PUBLIC_KEY"), secret("LANGFUSE_SECRET_KEY")),
                ),
                ("x-langfuse-ingestion-version", "4".to_owned()),
            ],
            also: &[],
        },
    );
}

#[test]
fn honeycomb() {
    let run = check(
        "Honeycomb",
        &Backend {
            grpc: true,
            tls: true,
            prefix: "",
            refuses: &[],
            headers: vec![("x-honeycomb-team", secret("HONEYCOMB_API_KEY").to_owned())],
            also: ALL,
        },
    );
    for metrics in run.requests_of(Signal::Metrics) {
        assert_eq!(
            metrics.header("x-honeycomb-dataset"),
            Some("travel-agent-metrics")
        );
        assert_eq!(
            metrics.header("x-honeycomb-team"),
            Some(secret("HONEYCOMB_API_KEY"))
        );
    }
}

#[test]
fn grafana_cloud() {
    check(
        "Grafana Cloud",
        &Backend {
            grpc: false,
            tls: true,
            prefix: "/otlp",
            refuses: &[],
            headers: vec![(
                "authorization",
                basic(secret("GRAFANA_INSTANCE_ID"), secret("GRAFANA_TOKEN")),
            )],
            also: ALL,
        },
    );
}

#[test]
fn datadog_agent() {
    check(
        "Datadog Agent",
        &Backend {
            grpc: true,
            tls: false,
            prefix: "",
            refuses: &[],
            headers: vec![],
            also: ALL,
        },
    );
}

#[test]
fn datadog_otlp_traces_intake() {
    check(
        "Datadog OTLP traces intake, without an Agent",
        &Backend {
            grpc: false,
            tls: true,
            prefix: "",
            refuses: &[],
            headers: vec![
                ("dd-api-key", secret("DD_API_KEY").to_owned()),
                ("dd-protocol", "otlp".to_owned()),
            ],
            also: &[],
        },
    );
}

#[test]
fn your_own_collector_over_tls_with_a_private_ca() {
    let recipe = recipe("Your own collector over TLS, behind a private CA, with a bearer token");
    assert!(
        recipe
            .script
            .iter()
            .any(|command| command.contains("OTEL_EXPORTER_OTLP_CERTIFICATE=")),
        "the recipe shows the CA variable"
    );
    check(
        "Your own collector over TLS, behind a private CA, with a bearer token",
        &Backend {
            grpc: true,
            tls: true,
            prefix: "",
            refuses: &[],
            headers: vec![(
                "authorization",
                format!("Bearer {}", secret("COLLECTOR_TOKEN")),
            )],
            also: ALL,
        },
    );
}

#[test]
fn azure_monitor() {
    let name = "Azure Monitor / Application Insights";
    let recipe = recipe(name);
    let stand_in = azure::AzureStandIn::start();
    let dir = temp_dir("azure-recipe");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, stand_in.ca_certificate_pem()).unwrap();
    let ca = ca.to_str().unwrap().to_owned();

    let script = localize(&recipe, &stand_in.endpoint(), &ca);
    let output = run(&script, &ca);
    let envelopes = stand_in.wait_for_envelopes(4, WAIT);
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = format!("--- script\n{script}--- stderr\n{stderr}");
    assert!(output.status.success(), "{context}");
    let mut names: Vec<&str> = envelopes
        .iter()
        .filter(|e| e["name"] == "Microsoft.ApplicationInsights.RemoteDependency")
        .filter_map(|e| e["data"]["baseData"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, AGENT_SPANS, "{context}");
    for envelope in &envelopes {
        assert_eq!(envelope["iKey"], azure::INSTRUMENTATION_KEY, "{context}");
        assert_eq!(
            envelope["tags"]["ai.cloud.role"], "travel-agent",
            "{context}"
        );
    }
    for request in stand_in.requests() {
        assert_eq!(request.path, "/v2/track", "{context}");
    }
}
