//! `Telemetry::builder()` and `init()`: resource, sampler, precedence of code over the
//! environment, flush on shutdown, and the console exporter's tree and JSON output.

use std::io::Write;
use std::sync::{Arc, Mutex};
use trace_genai_tests::harness::serial;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use trace_genai::config::Config;
use trace_genai::console::ConsoleExporter;
use trace_genai::{ConsoleFormat, SamplerConfig, Telemetry, trace_genai};

fn env(vars: &'static [(&'static str, &'static str)]) -> Config {
    trace_genai_tests::harness::config(vars).unwrap()
}

#[trace_genai(invoke_agent, agent = "planner")]
fn agent() -> String {
    let weather = tool("Paris");
    chat(&weather)
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", temperature = 0.2)]
fn chat(input: &str) -> String {
    format!("answer: {input}")
}

#[trace_genai(execute_tool, tool = "get_weather")]
fn tool(city: &str) -> String {
    format!("sunny in {city}")
}

/// Installs with a batch-exported probe and returns what shutdown flushed.
fn spans_after_shutdown(
    builder: trace_genai::TelemetryBuilder,
    run: impl FnOnce(),
) -> Vec<SpanData> {
    let probe = Probe::default();
    let telemetry = builder
        .with_no_exporter()
        .with_span_exporter(probe.clone())
        .install()
        .unwrap();
    run();
    // Batch export happens in the background; shutdown must flush every span.
    telemetry.shutdown().unwrap();
    std::mem::take(&mut *probe.spans.lock().unwrap())
}

/// The resource an install hands to its span exporters.
fn provider_resource(builder: trace_genai::TelemetryBuilder) -> opentelemetry_sdk::Resource {
    let probe = Probe::default();
    let telemetry = builder
        .with_no_exporter()
        .with_span_exporter(probe.clone())
        .install()
        .unwrap();
    telemetry.shutdown().unwrap();
    probe
        .resource
        .lock()
        .unwrap()
        .clone()
        .expect("the provider hands its resource to exporters")
}

fn resource_value(
    span_exporter_resource: &opentelemetry_sdk::Resource,
    key: &str,
) -> Option<Value> {
    span_exporter_resource.get(&opentelemetry::Key::new(key.to_owned()))
}

/// An exporter that keeps every span and the resource the provider gives it, also after
/// shutdown.
#[derive(Debug, Clone, Default)]
struct Probe {
    spans: Arc<Mutex<Vec<SpanData>>>,
    resource: Arc<Mutex<Option<opentelemetry_sdk::Resource>>>,
}

impl opentelemetry_sdk::trace::SpanExporter for Probe {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        self.spans.lock().unwrap().extend(batch);
        Ok(())
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        *self.resource.lock().unwrap() = Some(resource.clone());
    }
}

#[test]
fn shutdown_flushes_every_batched_span() {
    let _serial = serial();
    let spans = spans_after_shutdown(Telemetry::builder().with_config(Config::default()), || {
        for _ in 0..100 {
            agent();
        }
    });
    assert_eq!(spans.len(), 300);
}

#[test]
fn sampler_from_environment_and_builder_precedence() {
    let _serial = serial();
    let off = env(&[("OTEL_TRACES_SAMPLER", "always_off")]);
    let spans = spans_after_shutdown(Telemetry::builder().with_config(off.clone()), || {
        agent();
    });
    assert!(
        spans.is_empty(),
        "always_off from the environment records nothing"
    );

    let spans = spans_after_shutdown(
        Telemetry::builder()
            .with_config(off)
            .with_sampler(SamplerConfig::AlwaysOn),
        || {
            agent();
        },
    );
    assert_eq!(spans.len(), 3, "the builder wins over the environment");
}

#[test]
fn resource_service_name_precedence_and_sdk_attributes() {
    let _serial = serial();

    let from_env = env(&[
        ("OTEL_SERVICE_NAME", "from-env"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.namespace=shop,deployment.environment.name=dev",
        ),
    ]);
    let resource = provider_resource(Telemetry::builder().with_config(from_env.clone()));
    assert_eq!(
        resource_value(&resource, "service.name"),
        Some("from-env".into())
    );
    assert_eq!(
        resource_value(&resource, "service.namespace"),
        Some("shop".into())
    );
    assert_eq!(
        resource_value(&resource, "telemetry.sdk.language"),
        Some("rust".into())
    );
    assert_eq!(
        resource_value(&resource, "telemetry.sdk.name"),
        Some("opentelemetry".into())
    );

    let resource = provider_resource(
        Telemetry::builder()
            .with_config(from_env)
            .with_service_name("from-code")
            .with_resource_attribute(KeyValue::new("deployment.environment.name", "prod")),
    );
    assert_eq!(
        resource_value(&resource, "service.name"),
        Some("from-code".into())
    );
    assert_eq!(
        resource_value(&resource, "deployment.environment.name"),
        Some("prod".into())
    );

    let resource = provider_resource(Telemetry::builder().with_config(Config::default()));
    let Some(Value::String(name)) = resource_value(&resource, "service.name") else {
        panic!("service.name must always be set");
    };
    assert!(name.as_str().starts_with("unknown_service:"), "{name}");
}

#[test]
fn the_resource_has_one_service_instance_id_per_process_unless_configured() {
    let _serial = serial();
    let instance_id = |builder| resource_value(&provider_resource(builder), "service.instance.id");

    // Application Insights' cloud_RoleInstance: a random UUID v4, the same for every
    // install of the process.
    let Some(Value::String(first)) =
        instance_id(Telemetry::builder().with_config(Config::default()))
    else {
        panic!("service.instance.id must always be set");
    };
    let id = first.as_str();
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert!(
        id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(&id[14..15], "4", "version 4: {id}");
    assert!(
        matches!(&id[19..20], "8" | "9" | "a" | "b"),
        "variant: {id}"
    );
    assert_eq!(
        instance_id(Telemetry::builder().with_config(Config::default())),
        Some(Value::String(first.clone())),
        "stable for the process"
    );

    // A value from the environment, or from code, wins.
    let from_env = env(&[("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=pod-7")]);
    assert_eq!(
        instance_id(Telemetry::builder().with_config(from_env.clone())),
        Some("pod-7".into())
    );
    assert_eq!(
        instance_id(
            Telemetry::builder()
                .with_config(from_env)
                .with_resource_attribute(KeyValue::new("service.instance.id", "vm-3"))
        ),
        Some("vm-3".into())
    );
}

#[test]
fn invalid_environment_is_a_typed_error_and_installs_nothing() {
    let err =
        Config::from_lookup(|name| (name == "OTEL_TRACES_SAMPLER").then(|| "mostly".to_owned()))
            .unwrap_err();
    assert!(matches!(
        err,
        trace_genai::InitError::InvalidEnv {
            var: "OTEL_TRACES_SAMPLER",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "environment variable OTEL_TRACES_SAMPLER=\"mostly\" is invalid: one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"
    );
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn console_output(format: ConsoleFormat) -> String {
    let buffer = Buffer::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_service_name("agent-demo")
        .with_no_exporter()
        .with_span_exporter(ConsoleExporter::with_writer(format, buffer.clone()))
        .install()
        .unwrap();
    agent();
    telemetry.shutdown().unwrap();
    buffer.text()
}

#[test]
fn console_prints_one_tree_per_trace() {
    let _serial = serial();
    let text = console_output(ConsoleFormat::Tree);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("trace ") && lines[0].ends_with(" (service: agent-demo)"),
        "{text}"
    );
    let structure: Vec<&str> = lines
        .iter()
        .filter_map(|line| {
            let name_start = line.find("─ ")? + "─ ".len();
            let name_end = name_start + line[name_start..].find("  ")?;
            Some(&line[..name_end])
        })
        .collect();
    assert_eq!(
        structure,
        [
            "└─ invoke_agent planner",
            "   ├─ execute_tool get_weather",
            "   └─ chat gpt-4o",
        ],
        "{text}"
    );
    assert!(
        text.contains("gen_ai.provider.name=openai  gen_ai.request.temperature=0.2"),
        "{text}"
    );
    assert!(lines[1].contains("  internal  "), "{text}");
}

#[test]
fn console_json_lines_parse_back() {
    let _serial = serial();
    let text = console_output(ConsoleFormat::JsonLines);
    let spans: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(spans.len(), 3);
    let chat = spans.iter().find(|s| s["name"] == "chat gpt-4o").unwrap();
    let root = spans
        .iter()
        .find(|s| s["name"] == "invoke_agent planner")
        .unwrap();
    assert_eq!(chat["kind"], "client");
    assert_eq!(chat["service"], "agent-demo");
    assert_eq!(chat["parent_span_id"], root["span_id"]);
    assert_eq!(chat["trace_id"], root["trace_id"]);
    assert_eq!(chat["attributes"]["gen_ai.request.temperature"], 0.2);
    assert_eq!(chat["attributes"]["gen_ai.operation.name"], "chat");
}

#[trace_genai(chat, model = "m", capture(messages))]
fn ask(messages: &str) -> usize {
    messages.len()
}

#[test]
fn content_capture_is_off_by_default_and_code_wins_over_the_environment() {
    let _serial = serial();
    // The policy in force, and whether a capturing function recorded its messages.
    let install = |builder: trace_genai::TelemetryBuilder| {
        let spans = opentelemetry_sdk::trace::InMemorySpanExporter::default();
        let telemetry = builder
            .with_no_exporter()
            .with_span_processor(opentelemetry_sdk::trace::SimpleSpanProcessor::new(
                spans.clone(),
            ))
            .install()
            .unwrap();
        let capture = trace_genai::content_capture();
        ask("secret");
        let recorded = spans.get_finished_spans().unwrap()[0]
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "gen_ai.input.messages");
        telemetry.shutdown().unwrap();
        assert_eq!(recorded, capture.on_spans(), "{capture:?}");
        capture
    };
    assert_eq!(
        install(Telemetry::builder().with_config(Config::default())),
        trace_genai::ContentCapture::NoContent
    );
    let on = env(&[(
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "SPAN_ONLY",
    )]);
    assert_eq!(
        install(Telemetry::builder().with_config(on.clone())),
        trace_genai::ContentCapture::SpanOnly
    );
    assert_eq!(
        install(
            Telemetry::builder()
                .with_config(on)
                .with_content_capture(trace_genai::ContentCapture::NoContent)
        ),
        trace_genai::ContentCapture::NoContent
    );
}
