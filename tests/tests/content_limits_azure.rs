//! Application Insights' size limits, end to end through the real
//! `opentelemetry-application-insights` 0.46 exporter and the loopback ingestion stand-in.
//!
//! That exporter cuts strings by byte index (property values at 8,192 bytes, messages at
//! 32,768, names at 1,024, property keys at 150) and panics when a cut falls inside a
//! UTF-8 character, which kills the span export worker; and the ingestion refuses any item
//! over 64 KB. This file checks that, with trace-genai in front of it:
//! - a 200 KB prompt arrives with every property within 8,192 bytes and the envelope under
//!   64 KiB, and token usage, response id, models and operation intact;
//! - CJK and emoji content of any size, cut wherever it lands, panics nothing: spans made
//!   afterwards are still exported;
//! - a huge non-ASCII `tracing` event inside GenAI work is not exported under the default
//!   policy (`[text omitted]`), and with content on arrives within the message limit;
//! - text that JSON escaping doubles (quotes, backslashes) still keeps every envelope under
//!   64 KiB, and an application attribute key or id that the exporter cuts at a lower
//!   limit than trace-genai's does not kill the worker either.

use std::borrow::Cow;
use std::time::Duration;

use serde_json::Value;
use trace_genai::config::Config;
use trace_genai::message::{ChatMessage, OutputMessage, OutputMessages, ToolDefinition};
use trace_genai::{
    ContentCapture, GenAiResponse, KeyValue, Telemetry, Usage, current_span, trace_genai,
};
use trace_genai_tests::azure::AzureStandIn;
use trace_genai_tests::harness::serial;
use tracing_subscriber::layer::SubscriberExt as _;

const PROPERTY: usize = 8_192;
const MESSAGE: usize = 32_768;
const NAME: usize = 1_024;
/// What the exporter cuts a property key to.
const PROPERTY_KEY: usize = 150;
/// The ingestion refuses an item over 64 KB.
const ITEM: usize = 65_536;
const WAIT: Duration = Duration::from_secs(10);

const DEPENDENCY: &str = "Microsoft.ApplicationInsights.RemoteDependency";
const MESSAGE_ENVELOPE: &str = "Microsoft.ApplicationInsights.Message";

/// Installs telemetry that exports to `stand_in` only.
fn install(
    stand_in: &AzureStandIn,
    capture: Option<ContentCapture>,
    max_length: Option<usize>,
) -> Telemetry {
    install_as(stand_in, capture, max_length, "limits", None)
}

/// As [`install`], with the service named `service` and, when given, one more resource
/// attribute.
fn install_as(
    stand_in: &AzureStandIn,
    capture: Option<ContentCapture>,
    max_length: Option<usize>,
    service: &str,
    resource: Option<KeyValue>,
) -> Telemetry {
    let config = Config::from_lookup(|name| {
        (name == "APPLICATIONINSIGHTS_CONNECTION_STRING").then(|| stand_in.connection_string())
    })
    .unwrap();
    let mut builder = Telemetry::builder()
        .with_config(config)
        .with_root_certificate(stand_in.ca_certificate_pem())
        .with_service_name(service);
    if let Some(attribute) = resource {
        builder = builder.with_resource_attribute(attribute);
    }
    if let Some(capture) = capture {
        builder = builder.with_content_capture(capture);
    }
    if let Some(length) = max_length {
        builder = builder.with_content_max_length(length);
    }
    builder.install().unwrap()
}

#[derive(Debug, Clone)]
struct Reply {
    text: String,
}

impl GenAiResponse for Reply {
    fn response_id(&self) -> Option<&str> {
        Some("chatcmpl-limits-1")
    }
    fn response_model(&self) -> Option<&str> {
        Some("gpt-4o-2024-08-06")
    }
    fn finish_reasons(&self) -> Vec<&str> {
        vec!["stop"]
    }
    fn usage(&self) -> Usage {
        Usage::new(51_234, 17)
    }
}

impl OutputMessages for Reply {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Owned(vec![OutputMessage::assistant(self.text.clone(), "stop")])
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", capture(messages, output))]
fn chat(messages: &[ChatMessage], answer: &str) -> Reply {
    let _ = messages;
    Reply {
        text: answer.to_owned(),
    }
}

#[trace_genai(
    chat,
    provider = "openai",
    model = "gpt-4o",
    capture(messages, system = instructions, tools, output)
)]
fn chat_with_everything(
    messages: &[ChatMessage],
    instructions: &str,
    tools: &[ToolDefinition],
    answer: &str,
) -> Reply {
    let _ = (messages, tools);
    Reply {
        text: answer.to_owned(),
    }
}

#[trace_genai(execute_tool, tool = "later")]
fn later() -> i64 {
    42
}

#[trace_genai(invoke_agent, agent = "a")]
fn agent_logging(text: &str) -> i64 {
    tracing::error!("{}", text);
    1
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat_setting(attribute: KeyValue) -> Reply {
    current_span::set_attribute(attribute);
    Reply {
        text: String::new(),
    }
}

fn base_name(envelope: &Value) -> &str {
    envelope["data"]["baseData"]["name"].as_str().unwrap_or("")
}

fn dependency<'a>(envelopes: &'a [Value], name: &str) -> Option<&'a Value> {
    envelopes
        .iter()
        .find(|e| e["name"] == DEPENDENCY && base_name(e) == name)
}

fn names(envelopes: &[Value]) -> Vec<String> {
    envelopes
        .iter()
        .map(|e| format!("{} {}", e["name"], e["data"]["baseData"]["name"]))
        .collect()
}

fn property<'a>(envelope: &'a Value, key: &str) -> &'a str {
    envelope["data"]["baseData"]["properties"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no property {key} in {}", shorten(envelope)))
}

/// An envelope as text short enough for a failure message.
fn shorten(envelope: &Value) -> String {
    let text = envelope.to_string();
    if text.len() <= 2_000 {
        return text;
    }
    let mut end = 2_000;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// Every envelope within Application Insights' limits: properties, keys, messages, names,
/// and the whole item. Reports every envelope over, not only the first.
fn assert_within_limits(envelopes: &[Value]) {
    assert!(!envelopes.is_empty());
    let mut over = Vec::new();
    for envelope in envelopes {
        let what = format!("{} {:?}", envelope["name"], base_name(envelope));
        let serialized = serde_json::to_string(envelope).unwrap();
        if serialized.len() >= ITEM {
            over.push(format!(
                "{what}: envelope of {} bytes, over 64 KiB",
                serialized.len()
            ));
        }
        let base = &envelope["data"]["baseData"];
        if let Some(properties) = base["properties"].as_object() {
            for (key, value) in properties {
                if key.len() > PROPERTY_KEY {
                    over.push(format!("{what}: key of {} bytes", key.len()));
                }
                let value = value.as_str().expect("properties are strings");
                if value.len() > PROPERTY {
                    over.push(format!("{what}: {key} of {} bytes", value.len()));
                }
            }
        }
        if let Some(message) = base["message"].as_str()
            && message.len() > MESSAGE
        {
            over.push(format!("{what}: message of {} bytes", message.len()));
        }
        if base_name(envelope).len() > NAME {
            over.push(format!(
                "{what}: name of {} bytes",
                base_name(envelope).len()
            ));
        }
    }
    assert!(
        over.is_empty(),
        "over Application Insights' limits: {over:#?}"
    );
}

/// ~`bytes` bytes of ordinary English prose.
fn ascii_text(bytes: usize) -> String {
    let sentence = "The quick brown fox jumps over the lazy dog while the model reads on. ";
    sentence.repeat(bytes / sentence.len() + 1)
}

/// `chars` characters of Japanese text and emoji (3- and 4-byte characters).
fn cjk_text(chars: usize) -> String {
    "日本語のテキスト😀".chars().cycle().take(chars).collect()
}

#[test]
fn a_200_kb_prompt_fits_application_insights_with_usage_intact() {
    let _serial = serial();
    let stand_in = AzureStandIn::start();
    let telemetry = install(
        &stand_in,
        Some(ContentCapture::SpanAndEvent),
        Some(1_048_576),
    );
    let prompt = ascii_text(200 * 1_024);
    assert!(prompt.len() >= 200 * 1_024);
    let reply = chat(&[ChatMessage::user(prompt.clone())], &ascii_text(20_000));
    assert_eq!(reply.usage(), Usage::new(51_234, 17));
    telemetry.shutdown().unwrap();

    // The span, and the details event.
    let envelopes = stand_in.wait_for_envelopes(2, WAIT);
    let span = dependency(&envelopes, "chat gpt-4o")
        .unwrap_or_else(|| panic!("no chat dependency: {:?}", names(&envelopes)));
    assert_eq!(property(span, "gen_ai.usage.input_tokens"), "51234");
    assert_eq!(property(span, "gen_ai.usage.output_tokens"), "17");
    assert_eq!(property(span, "gen_ai.response.id"), "chatcmpl-limits-1");
    assert_eq!(property(span, "gen_ai.response.model"), "gpt-4o-2024-08-06");
    assert_eq!(property(span, "gen_ai.request.model"), "gpt-4o");
    assert_eq!(property(span, "gen_ai.operation.name"), "chat");
    // The prompt is there, cut: not dropped, not whole.
    let input = property(span, "gen_ai.input.messages");
    assert!(input.contains("The quick brown fox"), "{input:.200}");
    assert!(input.len() < prompt.len());
    assert!(
        envelopes.iter().any(|e| e["name"] == MESSAGE_ENVELOPE),
        "no details event: {:?}",
        names(&envelopes)
    );
    assert_within_limits(&envelopes);
}

#[test]
fn cjk_and_emoji_content_cut_anywhere_panics_nothing_and_later_spans_arrive() {
    let _serial = serial();
    let stand_in = AzureStandIn::start();
    // Within the default budget of 8,192 characters, but over 8,192 bytes: the exporter's
    // own cut would land wherever the bytes put it. Four shifts put it inside a 3- or
    // 4-byte character at least once.
    let telemetry = install(&stand_in, Some(ContentCapture::SpanAndEvent), None);
    let text = cjk_text(2_970);
    assert!(text.len() > PROPERTY);
    for shift in ["", "a", "ab", "abc"] {
        chat(
            &[ChatMessage::user(format!("{shift}{text}"))],
            &format!("{shift}{text}"),
        );
    }
    later();
    telemetry.shutdown().unwrap();
    // 4 chats, their 4 details events, and the tool call.
    let envelopes = stand_in.wait_for_envelopes(9, WAIT);
    assert!(
        dependency(&envelopes, "execute_tool later").is_some(),
        "the span after the CJK content did not arrive: {:?}",
        names(&envelopes)
    );
    let chats = envelopes
        .iter()
        .filter(|e| e["name"] == DEPENDENCY && base_name(e) == "chat gpt-4o")
        .count();
    assert_eq!(chats, 4, "{:?}", names(&envelopes));
    for envelope in envelopes.iter().filter(|e| base_name(e) == "chat gpt-4o") {
        assert!(property(envelope, "gen_ai.input.messages").contains("日本語"));
    }
    assert_within_limits(&envelopes);

    // A huge one, with a budget that lets it all through to the exporter's limits.
    let stand_in = AzureStandIn::start();
    let telemetry = install(
        &stand_in,
        Some(ContentCapture::SpanAndEvent),
        Some(1_048_576),
    );
    let huge = cjk_text(100_001);
    chat(&[ChatMessage::user(huge.clone())], &huge);
    later();
    telemetry.shutdown().unwrap();
    let envelopes = stand_in.wait_for_envelopes(3, WAIT);
    assert!(
        dependency(&envelopes, "execute_tool later").is_some(),
        "the span after the huge CJK content did not arrive: {:?}",
        names(&envelopes)
    );
    let span = dependency(&envelopes, "chat gpt-4o").expect("the chat span");
    assert_eq!(property(span, "gen_ai.usage.input_tokens"), "51234");
    assert!(property(span, "gen_ai.output.messages").contains("😀"));
    assert_within_limits(&envelopes);
}

/// Logs `text` through the bridge inside an agent, then makes two later spans, with
/// telemetry installed against a fresh stand-in under `capture` and `budget`; returns the
/// envelopes (at least `expected`) once both later spans arrived.
fn log_then_two_later_spans(
    text: &str,
    capture: Option<ContentCapture>,
    budget: Option<usize>,
    expected: usize,
) -> Vec<Value> {
    let stand_in = AzureStandIn::start();
    let telemetry = install(&stand_in, capture, budget);
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        assert_eq!(agent_logging(text), 1);
    });
    later();
    later();
    telemetry.shutdown().unwrap();
    let envelopes = stand_in.wait_for_envelopes(expected, WAIT);
    let tools = envelopes
        .iter()
        .filter(|e| e["name"] == DEPENDENCY && base_name(e) == "execute_tool later")
        .count();
    assert_eq!(tools, 2, "later spans: {:?}", names(&envelopes));
    envelopes
}

#[test]
fn a_huge_cjk_tracing_event_is_omitted_by_default_and_cut_with_content_on() {
    let _serial = serial();
    let text = cjk_text(12_000);
    let start: String = text.chars().take(20).collect();

    // Default policy: no content.
    let envelopes = log_then_two_later_spans(&text, None, None, 3);
    assert!(dependency(&envelopes, "invoke_agent a").is_some());
    for envelope in &envelopes {
        assert!(
            !envelope.to_string().contains(&start),
            "the tracing event's text was exported: {}",
            shorten(envelope)
        );
    }
    assert!(
        envelopes
            .iter()
            .any(|e| e["data"]["baseData"]["message"] == "[text omitted]"),
        "no event with its text omitted: {:?}",
        names(&envelopes)
    );
    assert_within_limits(&envelopes);

    // Content on, with a budget over the 32,768-byte message limit (12,000 characters of
    // 3 and 4 bytes each are ~37 KB).
    let envelopes = log_then_two_later_spans(
        &text,
        Some(ContentCapture::SpanAndEvent),
        Some(1_048_576),
        4,
    );
    let event = envelopes
        .iter()
        .find(|e| {
            e["data"]["baseData"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&start))
        })
        .unwrap_or_else(|| panic!("the event did not arrive: {:?}", names(&envelopes)));
    let message = event["data"]["baseData"]["message"].as_str().unwrap();
    assert!(message.len() <= MESSAGE, "{} bytes", message.len());
    assert!(message.len() < text.len(), "cut");
    assert_within_limits(&envelopes);
}

/// JSON escaping doubles quotes and backslashes when the envelope is serialized, and
/// content attributes are JSON text already (a tool result that is JSON, escaped JSON in a
/// prompt): the 64 KB the ingestion allows is of the envelope's JSON, not of the attribute
/// values. Four content attributes of 8,192 bytes of such text are ~64 KiB once escaped.
#[test]
fn content_that_json_escaping_doubles_keeps_every_envelope_under_64_kib() {
    let _serial = serial();
    let stand_in = AzureStandIn::start();
    let telemetry = install(
        &stand_in,
        Some(ContentCapture::SpanAndEvent),
        Some(1_048_576),
    );
    let text = r#""\"#.repeat(8_000);
    let tools = [ToolDefinition::function("search").with_description(text.clone())];
    chat_with_everything(&[ChatMessage::user(text.clone())], &text, &tools, &text);
    later();
    telemetry.shutdown().unwrap();
    let envelopes = stand_in.wait_for_envelopes(3, WAIT);
    assert!(
        dependency(&envelopes, "execute_tool later").is_some(),
        "{:?}",
        names(&envelopes)
    );
    let span = dependency(&envelopes, "chat gpt-4o").expect("the chat span");
    assert_eq!(property(span, "gen_ai.usage.input_tokens"), "51234");
    assert_eq!(property(span, "gen_ai.response.id"), "chatcmpl-limits-1");
    assert_within_limits(&envelopes);
}

/// Runs `make` (a span the exporter would cut inside a character), then two ordinary
/// spans, and asserts that the ordinary ones arrive.
fn assert_later_spans_arrive(make: impl FnOnce()) {
    let stand_in = AzureStandIn::start();
    let telemetry = install(&stand_in, None, None);
    make();
    later();
    // In a later batch, too.
    telemetry.force_flush().ok();
    later();
    let shutdown = telemetry.shutdown();
    let envelopes = stand_in.wait_for_envelopes(3, WAIT);
    let tools = envelopes
        .iter()
        .filter(|e| e["name"] == DEPENDENCY && base_name(e) == "execute_tool later")
        .count();
    assert_eq!(
        tools,
        2,
        "spans after it did not arrive: {:?} (shutdown: {shutdown:?})",
        names(&envelopes)
    );
    shutdown.unwrap();
    assert!(dependency(&envelopes, "chat gpt-4o").is_some());
    assert_within_limits(&envelopes);
}

/// The exporter cuts a property key at 150 bytes (trace-genai at 1,024), by byte index.
#[test]
fn a_long_non_ascii_attribute_key_does_not_kill_the_worker() {
    let _serial = serial();
    // 149 ASCII bytes, then a 3-byte character across the 150-byte cut.
    let key = format!("app.{}日本", "k".repeat(145));
    assert!(!key.is_char_boundary(PROPERTY_KEY));
    assert_later_spans_arrive(|| {
        chat_setting(KeyValue::new(key, "v"));
    });
}

/// The exporter puts `user.id` in the `ai.user.authUserId` tag, cut at 1,024 bytes by byte
/// index (trace-genai cuts the attribute at 8,192).
#[test]
fn a_long_non_ascii_user_id_does_not_kill_the_worker() {
    let _serial = serial();
    // 1,023 ASCII bytes, then a character across the 1,024-byte cut.
    let id = format!("{}日本", "u".repeat(1_023));
    assert!(!id.is_char_boundary(NAME));
    assert_later_spans_arrive(|| {
        chat_setting(KeyValue::new("user.id", id));
    });
}

/// The exporter copies the resource into every item (the service name into the 256-byte
/// `ai.cloud.role`, the attributes into properties), cut by byte index.
#[test]
fn a_long_non_ascii_resource_does_not_kill_the_worker() {
    let _serial = serial();
    let service = format!("{}日本", "s".repeat(126));
    let key = format!("app.{}日本", "k".repeat(145));
    let value = format!("{}日本", "v".repeat(8_191));
    let stand_in = AzureStandIn::start();
    let telemetry = install_as(
        &stand_in,
        None,
        None,
        &service,
        Some(KeyValue::new(key, value)),
    );
    later();
    telemetry.force_flush().ok();
    later();
    let shutdown = telemetry.shutdown();
    let envelopes = stand_in.wait_for_envelopes(2, WAIT);
    let tools = envelopes
        .iter()
        .filter(|e| e["name"] == DEPENDENCY && base_name(e) == "execute_tool later")
        .count();
    assert_eq!(tools, 2, "{:?} (shutdown: {shutdown:?})", names(&envelopes));
    shutdown.unwrap();
    assert_within_limits(&envelopes);
}
