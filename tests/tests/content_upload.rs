//! Content outside the trace: with the upload hook
//! (`OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK=upload`), every GenAI span carries
//! `*_ref` URIs instead of its content, and the store holds each call's content in the
//! conventions' JSON schema: a local directory, Azure Blob Storage on Azurite (the
//! emulator, started here on loopback), stores that refuse or hang (the application does
//! not notice; the loss is reported per store), unsampled calls (nothing stored), and
//! other instrumentation's spans (the same references).

use std::time::{Duration, Instant};

use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::InMemorySpanExporter;
use serde_json::Value as Json;
use trace_genai::upload::{fetch, fetch_with};
use trace_genai::{ContentCapture, SamplerConfig, Telemetry, UploadConfig, trace_genai};
use trace_genai_tests::azurite::Azurite;
use trace_genai_tests::examples;
use trace_genai_tests::harness::serial;

/// Words of the example's prompts, answers, tool arguments and results, and feedback.
const MESSAGE_TEXT: [&str; 5] = [
    "What is the weather in Paris?",
    "sunny and 24",
    "Good news",
    "just what I needed",
    "\"city\"",
];

/// Content keys that must never be on a span or event with the hook on.
const CONTENT_KEYS: [&str; 6] = [
    "\"gen_ai.input.messages\"",
    "\"gen_ai.output.messages\"",
    "\"gen_ai.system_instructions\"",
    "\"gen_ai.tool.definitions\"",
    "\"gen_ai.tool.call.arguments\"",
    "\"gen_ai.tool.call.result\"",
];

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trace-genai-upload-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The README's example, its console in JSON lines, with content on and `vars`: its spans
/// and its events.
fn run_example(vars: &[(&str, &str)]) -> (Vec<Json>, Vec<Json>) {
    let mut command = examples::without_telemetry_env(examples::example_binary("agent"));
    command
        .env("TRACE_GENAI_CONSOLE_FORMAT", "json")
        .env(
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "SPAN_AND_EVENT",
        )
        .env("OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK", "upload")
        .envs(vars.iter().copied());
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    // The telemetry's lines (the application prints its answer too).
    let telemetry: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with('{'))
        .collect();
    for text in MESSAGE_TEXT.iter().chain(&CONTENT_KEYS) {
        for line in &telemetry {
            assert!(
                !line.contains(text),
                "{text} was exported with the upload hook on:\n{line}"
            );
        }
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    telemetry
        .into_iter()
        .map(|line| serde_json::from_str::<Json>(line).unwrap())
        .partition(|line| line.get("name").is_some())
}

/// The references each GenAI span of the example carries, checked against its ids and
/// `base`; returns (span name, key, reference) for each.
fn references(spans: &[Json], base: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let genai: Vec<&Json> = spans
        .iter()
        .filter(|span| span["attributes"]["gen_ai.operation.name"].is_string())
        .collect();
    assert_eq!(genai.len(), 4, "{spans:#?}");
    for span in genai {
        let name = span["name"].as_str().unwrap().to_owned();
        let expected: &[&str] = if name.starts_with("execute_tool") {
            &["gen_ai.tool.call.arguments", "gen_ai.tool.call.result"]
        } else {
            &["gen_ai.input.messages", "gen_ai.output.messages"]
        };
        for key in expected {
            let reference = span["attributes"][format!("{key}_ref")]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no {key}_ref: {span:#}"))
                .to_owned();
            let prefix = format!(
                "{base}/{}/{}/{key}.",
                span["trace_id"].as_str().unwrap(),
                span["span_id"].as_str().unwrap()
            );
            assert!(
                reference.starts_with(&prefix),
                "{reference} is not under {prefix}"
            );
            found.push((name.clone(), (*key).to_owned(), reference));
        }
    }
    found
}

/// What the store holds for one reference matches the conventions' schema for its key.
fn assert_schema(name: &str, key: &str, content: &Json) {
    match key {
        "gen_ai.input.messages" | "gen_ai.output.messages" => {
            let messages = content.as_array().unwrap_or_else(|| panic!("{content}"));
            assert!(!messages.is_empty(), "{name} {key}");
            for message in messages {
                assert!(message["role"].is_string(), "{message}");
                for part in message["parts"].as_array().unwrap() {
                    assert!(part["type"].is_string(), "{part}");
                }
                if key == "gen_ai.output.messages" {
                    assert!(message["finish_reason"].is_string(), "{message}");
                }
            }
        }
        "gen_ai.tool.call.arguments" => assert_eq!(content["city"], "Paris"),
        "gen_ai.tool.call.result" => assert_eq!(content, "sunny and 24 °C in Paris"),
        _ => panic!("unexpected key {key}"),
    }
}

#[test]
fn the_readme_example_keeps_its_content_in_files_the_spans_point_to() {
    let dir = scratch("file");
    let base = format!("file://{}", dir.display());
    let (spans, events) = run_example(&[("OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH", &base)]);
    let found = references(&spans, &base);
    for (name, key, reference) in &found {
        assert!(
            std::path::Path::new(reference)
                .extension()
                .is_some_and(|extension| extension == "json"),
            "{reference}"
        );
        let content = fetch(reference).unwrap();
        assert_schema(name, key, &content);
    }
    // The chat call that asked about the weather holds the question, and the last one
    // the answer.
    let texts: Vec<String> = found
        .iter()
        .map(|(_, _, reference)| fetch(reference).unwrap().to_string())
        .collect();
    assert!(
        texts
            .iter()
            .any(|text| text.contains("What is the weather in Paris?"))
    );
    assert!(
        texts
            .iter()
            .any(|text| text.contains("Good news: it is sunny"))
    );
    // The details events of the chat calls carry the same references, not the content.
    let details: Vec<&Json> = events
        .iter()
        .filter(|event| event["event_name"] == "gen_ai.client.inference.operation.details")
        .collect();
    assert_eq!(details.len(), 2, "{events:#?}");
    for event in details {
        let reference = event["attributes"]["gen_ai.input.messages_ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{event:#}"));
        assert!(found.iter().any(|(_, _, r)| r == reference), "{reference}");
    }
    // Nothing else was written than what the spans point to.
    let mut files = 0;
    for trace in std::fs::read_dir(&dir).unwrap() {
        for span in std::fs::read_dir(trace.unwrap().path()).unwrap() {
            files += std::fs::read_dir(span.unwrap().path()).unwrap().count();
        }
    }
    assert_eq!(files, found.len());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jsonl_objects_hold_one_message_per_line_with_its_index() {
    let dir = scratch("jsonl");
    let base = format!("file://{}", dir.display());
    let (spans, _) = run_example(&[
        ("OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH", &base),
        ("OTEL_INSTRUMENTATION_GENAI_UPLOAD_FORMAT", "jsonl"),
    ]);
    let found = references(&spans, &base);
    let (_, _, reference) = found
        .iter()
        .find(|(name, key, _)| name.starts_with("chat") && key == "gen_ai.input.messages")
        .unwrap();
    assert!(
        std::path::Path::new(reference)
            .extension()
            .is_some_and(|extension| extension == "jsonl")
    );
    let path = reference.strip_prefix("file://").unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    for (index, line) in lines.iter().enumerate() {
        assert_eq!(line["index"], index, "{text}");
        assert!(line["role"].is_string());
    }
    assert_eq!(fetch(reference).unwrap(), Json::Array(lines));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn azurite_holds_the_content_and_the_references_resolve() {
    let azurite = Azurite::start();
    azurite.create_container("genai-content");
    let connection_string = azurite.connection_string();
    let base = "az://genai-content/runs";
    let (spans, _) = run_example(&[
        ("OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH", base),
        ("AZURE_STORAGE_CONNECTION_STRING", &connection_string),
    ]);
    let found = references(&spans, base);
    let credentials =
        UploadConfig::new(base).with_azure_connection_string(connection_string.clone());
    for (name, key, reference) in &found {
        let content = fetch_with(reference, &credentials).unwrap();
        assert_schema(name, key, &content);
    }
    // Without the account's key, the blobs are not readable.
    let wrong = connection_string.replace(trace_genai_tests::azurite::KEY, "AAAA");
    let refused = fetch_with(
        &found[0].2,
        &UploadConfig::new(base).with_azure_connection_string(wrong),
    );
    assert!(refused.is_err(), "{refused:?}");
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", capture(messages = prompt, output))]
fn ask(prompt: &str) -> String {
    format!("an answer to {prompt}")
}

/// Installs the upload hook to `base` with a 2 s deadline, makes `calls` chat calls and
/// returns how long the slowest took, and the shutdown's result and duration.
fn calls_against(
    base: &str,
    connection_string: &str,
    calls: usize,
) -> (Duration, Result<(), trace_genai::ShutdownError>, Duration) {
    let telemetry = Telemetry::builder()
        .with_no_exporter()
        .with_content_capture(ContentCapture::SpanOnly)
        .with_shutdown_timeout(Duration::from_secs(2))
        .with_upload(UploadConfig::new(base).with_azure_connection_string(connection_string))
        .install()
        .unwrap();
    let mut slowest = Duration::ZERO;
    for call in 0..calls {
        let start = Instant::now();
        let answer = ask(&format!("question {call}"));
        slowest = slowest.max(start.elapsed());
        assert!(answer.starts_with("an answer"));
    }
    // Give the queue time to meet the store.
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    let result = telemetry.shutdown();
    (slowest, result, start.elapsed())
}

/// 50 chat calls against the store at `base`: none may wait on it, shutdown stays within
/// its 2 s deadline, and its report names the store; returns the report.
fn report_of_calls_against(base: &str, connection_string: &str) -> String {
    let (slowest, result, took) = calls_against(base, connection_string, 50);
    assert!(
        slowest < Duration::from_millis(50),
        "a call took {slowest:?}"
    );
    assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
    let report = format!("{}", result.unwrap_err());
    assert!(
        report.contains(&format!("content objects to content store {base}")),
        "{report}"
    );
    report
}

#[test]
fn a_store_that_refuses_or_hangs_costs_the_application_nothing_and_is_reported() {
    let _serial = serial();
    let connection_string = format!(
        "AccountName={};AccountKey={}",
        trace_genai_tests::azurite::ACCOUNT,
        trace_genai_tests::azurite::KEY
    );

    let refusing = format!(
        "{}/{}/genai/runs",
        trace_genai_tests::harness::refusing_endpoint(
            "403 Forbidden",
            "<?xml version=\"1.0\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>",
        ),
        trace_genai_tests::azurite::ACCOUNT
    );
    let report = report_of_calls_against(&refusing, &connection_string);
    assert!(
        report.contains("100 of 100 not delivered (100 in failed exports): HTTP 403"),
        "{report}"
    );
    assert!(report.contains("check the store's credentials"), "{report}");

    let hanging = format!(
        "{}/{}/genai/runs",
        trace_genai_tests::harness::hanging_endpoint(),
        trace_genai_tests::azurite::ACCOUNT
    );
    let report = report_of_calls_against(&hanging, &connection_string);
    assert!(report.contains("100 of 100 not delivered"), "{report}");
    assert!(
        report.contains("still queued when the shutdown deadline (2s) passed"),
        "{report}"
    );
}

#[test]
fn unsampled_calls_store_nothing() {
    let _serial = serial();
    let dir = scratch("unsampled");
    let telemetry = Telemetry::builder()
        .with_no_exporter()
        .with_sampler(SamplerConfig::AlwaysOff)
        .with_content_capture(ContentCapture::SpanAndEvent)
        .with_upload(UploadConfig::new(format!("file://{}", dir.display())))
        .install()
        .unwrap();
    for call in 0..10 {
        ask(&format!("question {call}"));
    }
    telemetry.shutdown().unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[trace_genai(invoke_agent, agent = "planner")]
fn agent_with_other_instrumentation() {
    // A framework's model call through `tracing`, and another crate's through the
    // OpenTelemetry API, each with content of its own.
    tracing::info_span!(
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m",
        gen_ai.input.messages = "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"framework prompt\"}]}]",
    )
    .in_scope(|| {});
    let tracer = opentelemetry::global::tracer_provider().tracer("another-crate");
    tracer.in_span("chat m", |cx| {
        use opentelemetry::trace::TraceContextExt as _;
        cx.span().set_attribute(opentelemetry::KeyValue::new(
            "gen_ai.output.messages",
            "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"api answer\"}],\"finish_reason\":\"stop\"}]",
        ));
        cx.span().set_attribute(opentelemetry::KeyValue::new("gen_ai.operation.name", "chat"));
    });
}

/// The upload hook into a fresh directory named after `name`, the spans kept in memory
/// (`builder` adds the rest): the directory, the base path, the exporter and the guard.
fn install_into_scratch(
    name: &str,
    builder: impl FnOnce(trace_genai::TelemetryBuilder) -> trace_genai::TelemetryBuilder,
) -> (std::path::PathBuf, String, InMemorySpanExporter, Telemetry) {
    let dir = scratch(name);
    let base = format!("file://{}", dir.display());
    let exporter = InMemorySpanExporter::default();
    let telemetry = builder(Telemetry::builder())
        .with_no_exporter()
        .with_span_exporter(exporter.clone())
        .with_upload(UploadConfig::new(base.clone()))
        .install()
        .unwrap();
    (dir, base, exporter, telemetry)
}

#[test]
fn spans_of_other_instrumentation_get_references_too() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let _serial = serial();
    let (dir, base, exporter, telemetry) = install_into_scratch("foreign", |builder| {
        builder.with_content_capture(ContentCapture::SpanOnly)
    });
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer().unwrap());
    tracing::subscriber::with_default(subscriber, agent_with_other_instrumentation);
    telemetry.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let reference = |key: &str| -> Vec<String> {
        spans
            .iter()
            .flat_map(|span| span.attributes.iter())
            .filter(|kv| kv.key.as_str() == format!("{key}_ref"))
            .map(|kv| kv.value.as_str().into_owned())
            .collect()
    };
    for span in &spans {
        for kv in &span.attributes {
            assert!(
                !kv.value.as_str().contains("framework prompt")
                    && !kv.value.as_str().contains("api answer"),
                "{span:#?}"
            );
        }
    }
    let input = reference("gen_ai.input.messages");
    assert_eq!(input.len(), 1, "{spans:#?}");
    assert!(input[0].starts_with(&base));
    assert_eq!(
        fetch(&input[0]).unwrap()[0]["parts"][0]["content"],
        "framework prompt"
    );
    let output = reference("gen_ai.output.messages");
    assert_eq!(output.len(), 1, "{spans:#?}");
    assert_eq!(
        fetch(&output[0]).unwrap()[0]["parts"][0]["content"],
        "api answer"
    );
    telemetry.shutdown().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// A failed call's error text: with the hook, it stays out of the trace as with content off.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused to answer {:?}", self.0)
    }
}

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    capture(messages, system = instructions, tools, output)
)]
fn chat_with_tools(
    messages: &[trace_genai::message::ChatMessage],
    instructions: &str,
    tools: &[trace_genai::message::ToolDefinition],
    fail: bool,
) -> Result<Vec<trace_genai::message::OutputMessage>, Refused> {
    let _ = tools;
    if fail {
        return Err(Refused(instructions.to_owned()));
    }
    Ok(vec![trace_genai::message::OutputMessage::assistant(
        "Sunny.", "stop",
    )])
}

#[test]
fn each_content_key_of_a_call_has_its_reference_and_error_text_stays_out() {
    use trace_genai::message::{ChatMessage, ToolDefinition};
    let _serial = serial();
    // No capture policy: the hook captures content on its own.
    let (dir, _, exporter, telemetry) = install_into_scratch("keys", |builder| builder);
    let messages = [ChatMessage::user("Weather in Paris?")];
    let tools = [ToolDefinition::function("get_weather").with_description("Current weather")];
    chat_with_tools(&messages, "You are terse.", &tools, false).unwrap();
    chat_with_tools(&messages, "You are terse.", &tools, true).unwrap_err();
    telemetry.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 2);
    let reference = |span: &opentelemetry_sdk::trace::SpanData, key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == format!("{key}_ref"))
            .map_or_else(
                || panic!("no {key}_ref: {span:#?}"),
                |kv| kv.value.as_str().into_owned(),
            )
    };
    let ok = &spans[0];
    assert_eq!(
        fetch(&reference(ok, "gen_ai.system_instructions")).unwrap(),
        serde_json::json!([{"type": "text", "content": "You are terse."}])
    );
    assert_eq!(
        fetch(&reference(ok, "gen_ai.tool.definitions")).unwrap()[0]["name"],
        "get_weather"
    );
    assert_eq!(
        fetch(&reference(ok, "gen_ai.input.messages")).unwrap()[0]["parts"][0]["content"],
        "Weather in Paris?"
    );
    assert_eq!(
        fetch(&reference(ok, "gen_ai.output.messages")).unwrap()[0]["finish_reason"],
        "stop"
    );
    // The failed call: status Error with no text (the error echoes the instructions).
    let failed = &spans[1];
    match &failed.status {
        opentelemetry::trace::Status::Error { description } => {
            assert!(!description.contains("terse"), "{description}");
        }
        other => panic!("{other:?}"),
    }
    for kv in &failed.attributes {
        assert!(!kv.value.as_str().contains("terse"), "{kv:?}");
    }
    telemetry.shutdown().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
