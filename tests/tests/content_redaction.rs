//! Redaction at the content boundary, end to end over OTLP/HTTP: with content recorded on
//! spans and in events, every credential kind pasted into a prompt is replaced in the
//! input, the system instructions, the output, a tool's arguments and result, a feedback
//! comment and a framework span's `gen_ai.input.messages`, whatever the producer, and the
//! JSON content stays parseable in the conventions' schema. `TRACE_GENAI_REDACT` widens
//! it to personal data or turns it off, `TRACE_GENAI_REDACT_PATTERNS` adds patterns.

use std::time::Duration;

use serde_json::Value as Json;
use trace_genai::message::{ChatMessage, OutputMessage};
use trace_genai::trace_genai;
use trace_genai_tests::harness::{builder, serial};
use trace_genai_tests::receiver::{AttrValue, OtlpReceiver};
use tracing_subscriber::layer::SubscriberExt as _;

const WAIT: Duration = Duration::from_secs(10);

/// The secret part of each credential kind, as pasted into the text.
const SECRETS: [&str; 11] = [
    "sk-proj-abc123DEF456ghi789JKL012mno",
    "sk-ant-api03-abcdefghij1234567890XYZ",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dGVzdHNpZ25hdHVyZTEyMw",
    "dGhpcyBpcyBhIGZha2Uga2V5IGZvciB0ZXN0cw==",
    "AbCdEf123xyZ0987654321",
    "00000000-1111-2222-3333-444444444444",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "hunter2secret",
    "Tr0ub4dorX3",
    "zQ9xW2vR7tY4uI1oP6aS3dF8",
];

const PII: [&str; 2] = ["jane.doe@example.com", "4111 1111 1111 1111"];
const CONTROL: &str = "the weather in Paris";
const ORDER: &str = "ORDER-123456";

/// One text with every credential kind, personal data, an order number and a phrase that
/// must always stay.
fn planted() -> String {
    format!(
        "What is {CONTROL}? keys: {} and {}; Authorization: Bearer {}; \
         DefaultEndpointsProtocol=https;AccountName=a;AccountKey={};EndpointSuffix=core.windows.net \
         https://a.blob.core.windows.net/c?sv=2024&sig={} \
         InstrumentationKey={};IngestionEndpoint=https://x \
         aws {} github {} db postgres://admin:{}@db.example.com/app password={} \
         Authorization: Token {} mail {} card {} order {ORDER}",
        SECRETS[0],
        SECRETS[1],
        SECRETS[2],
        SECRETS[3],
        SECRETS[4],
        SECRETS[5],
        SECRETS[6],
        SECRETS[7],
        SECRETS[8],
        SECRETS[9],
        SECRETS[10],
        PII[0],
        PII[1],
    )
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o",
              capture(messages, system = instructions, output))]
fn chat(messages: &[ChatMessage], instructions: &str) -> Vec<OutputMessage> {
    let _ = messages;
    vec![OutputMessage::assistant(
        format!("echo: {instructions}"),
        "stop",
    )]
}

#[trace_genai(execute_tool, tool = "lookup", capture(arguments(query), result))]
fn lookup(query: &str) -> String {
    format!("found: {query}")
}

#[trace_genai(invoke_agent, agent = "redacted")]
fn agent(text: &str) {
    let _ = chat(&[ChatMessage::user(text)], text);
    let _ = lookup(text);
    // A framework's model call, with its own content.
    let messages = serde_json::json!([
        {"role": "user", "parts": [{"type": "text", "content": text}]}
    ])
    .to_string();
    tracing::info_span!(
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m",
        gen_ai.input.messages = messages.as_str()
    )
    .in_scope(|| {});
}

/// Everything the receiver got, as text, and the JSON content attributes.
fn run(vars: &[(&str, &str)]) -> (String, Vec<Json>) {
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.http_endpoint();
    let mut all = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "SPAN_AND_EVENT",
        ),
    ];
    all.extend_from_slice(vars);
    let telemetry = builder(&all).install().unwrap();
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
    let text = planted();
    tracing::subscriber::with_default(subscriber, || agent(&text));
    trace_genai::record_user_feedback("resp-unknown", -1.0, Some(&text)).unwrap();
    telemetry.shutdown().unwrap();
    let _ = receiver.wait_for_logs(2, WAIT);
    let spans = receiver.spans();
    let mut json = Vec::new();
    for span in &spans {
        for key in [
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.system_instructions",
        ] {
            if let Some(AttrValue::Str(value)) = span.attr(key) {
                json.push(
                    serde_json::from_str(value)
                        .unwrap_or_else(|e| panic!("{key} is not JSON ({e}): {value}")),
                );
            }
        }
    }
    assert!(
        json.len() >= 4,
        "input, system and output of the chat, input of the framework's: {spans:#?}"
    );
    let exported = format!("{spans:?}\n{:?}", receiver.log_records());
    // Every position carried the text.
    for position in [
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "comment",
    ] {
        assert!(exported.contains(position), "{position}: {exported}");
    }
    (exported, json)
}

fn assert_schema(json: &[Json]) {
    for value in json {
        let items = value.as_array().unwrap_or_else(|| panic!("{value}"));
        for item in items {
            assert!(
                item.get("parts").is_some() || item.get("type").is_some(),
                "{value}"
            );
        }
    }
}

#[test]
fn credentials_are_replaced_by_default_and_the_rest_is_kept() {
    let _serial = serial();
    let (exported, json) = run(&[]);
    for secret in SECRETS {
        assert!(
            !exported.contains(secret),
            "{secret} was exported: {exported}"
        );
    }
    assert!(exported.contains("[REDACTED:credential]"));
    for kept in PII.iter().chain([&CONTROL, &ORDER]) {
        assert!(exported.contains(kept), "{kept} is gone: {exported}");
    }
    assert_schema(&json);
}

#[test]
fn personal_data_goes_too_when_asked() {
    let _serial = serial();
    let (exported, json) = run(&[("TRACE_GENAI_REDACT", "credentials,pii")]);
    for secret in SECRETS.iter().chain(PII.iter()) {
        assert!(
            !exported.contains(secret),
            "{secret} was exported: {exported}"
        );
    }
    assert!(exported.contains("[REDACTED:pii]"));
    assert!(exported.contains(CONTROL));
    assert_schema(&json);
}

#[test]
fn patterns_of_the_application_are_replaced() {
    let _serial = serial();
    let (exported, json) = run(&[("TRACE_GENAI_REDACT_PATTERNS", r#"["ORDER-[0-9]{6}"]"#)]);
    assert!(!exported.contains(ORDER), "{exported}");
    assert!(exported.contains("[REDACTED:pattern]"));
    for secret in SECRETS {
        assert!(
            !exported.contains(secret),
            "{secret} was exported: {exported}"
        );
    }
    assert!(exported.contains(CONTROL));
    assert_schema(&json);
}

#[test]
fn none_keeps_everything() {
    let _serial = serial();
    let (exported, json) = run(&[("TRACE_GENAI_REDACT", "none")]);
    for kept in SECRETS.iter().chain(PII.iter()).chain([&CONTROL, &ORDER]) {
        assert!(exported.contains(kept), "{kept} is gone: {exported}");
    }
    assert!(!exported.contains("[REDACTED"));
    assert_schema(&json);
}

#[test]
fn a_pattern_that_does_not_compile_fails_the_install_naming_the_variable() {
    let _serial = serial();
    let error =
        trace_genai_tests::harness::config(&[("TRACE_GENAI_REDACT_PATTERNS", r#"["(unclosed"]"#)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    assert!(error.contains("TRACE_GENAI_REDACT_PATTERNS"), "{error}");
}
