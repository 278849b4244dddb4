//! Azure Monitor export through `trace_genai`: the real `opentelemetry-application-insights`
//! exporter posts its envelopes to a loopback HTTPS stand-in for the ingestion endpoint.

use trace_genai_tests::azure;
use trace_genai_tests::harness::serial;

use std::time::Duration;

use azure::AzureStandIn;
use opentelemetry::KeyValue;
use serde_json::{Value, json};
use trace_genai::ContentCapture;
use trace_genai::config::Config;
use trace_genai::message::{ChatMessage, OutputMessage};
use trace_genai::{Telemetry, trace_genai};

#[trace_genai(invoke_agent, agent = "planner")]
fn agent() -> Result<String, std::fmt::Error> {
    chat("hi")
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", temperature = 0.5)]
fn chat(input: &str) -> Result<String, std::fmt::Error> {
    if input.is_empty() {
        return Err(std::fmt::Error);
    }
    Ok(format!("answer: {input}"))
}

fn dependencies(envelopes: &[Value]) -> Vec<&Value> {
    envelopes
        .iter()
        .filter(|e| e["name"] == "Microsoft.ApplicationInsights.RemoteDependency")
        .collect()
}

fn by_name<'a>(envelopes: &[&'a Value], name: &str) -> &'a Value {
    envelopes
        .iter()
        .find(|e| e["data"]["baseData"]["name"] == name)
        .unwrap_or_else(|| panic!("no envelope named {name}: {envelopes:#?}"))
}

#[test]
fn spans_arrive_as_dependencies_with_the_cloud_role_and_parents() {
    let _serial = serial();
    let stand_in = AzureStandIn::start();
    let config = Config::from_lookup(|name| {
        (name == "APPLICATIONINSIGHTS_CONNECTION_STRING").then(|| stand_in.connection_string())
    })
    .unwrap();
    // No exporter named: the connection string alone selects Azure Monitor.
    let telemetry = Telemetry::builder()
        .with_config(config)
        .with_root_certificate(stand_in.ca_certificate_pem())
        .with_service_name("travel-agent")
        .with_resource_attribute(KeyValue::new("service.namespace", "shop"))
        .install()
        .unwrap();
    agent().unwrap();
    let _ = chat("");
    telemetry.shutdown().unwrap();

    let envelopes = stand_in.wait_for_envelopes(3, Duration::from_secs(10));
    let deps = dependencies(&envelopes);
    assert_eq!(deps.len(), 3, "{envelopes:#?}");
    let root = by_name(&deps, "invoke_agent planner");
    let child = deps
        .iter()
        .find(|e| {
            e["data"]["baseData"]["name"] == "chat gpt-4o"
                && e["tags"]["ai.operation.id"] == root["tags"]["ai.operation.id"]
        })
        .unwrap();
    // cloud_RoleInstance: the process's service.instance.id (a UUID).
    let instance = &root["tags"]["ai.cloud.roleInstance"];
    assert!(
        instance.as_str().is_some_and(|id| id.len() == 36),
        "{root:#?}"
    );
    for envelope in &deps {
        assert_eq!(envelope["tags"]["ai.cloud.role"], "shop.travel-agent");
        assert_eq!(envelope["tags"]["ai.cloud.roleInstance"], *instance);
        assert_eq!(envelope["iKey"], azure::INSTRUMENTATION_KEY);
    }
    assert_eq!(
        child["tags"]["ai.operation.parentId"],
        root["data"]["baseData"]["id"]
    );
    assert_eq!(
        child["data"]["baseData"]["properties"]["gen_ai.request.model"],
        "gpt-4o"
    );
    assert_eq!(
        child["data"]["baseData"]["properties"]["gen_ai.provider.name"],
        "openai"
    );
    assert_ne!(child["data"]["baseData"]["success"], false);
    let failed = deps
        .iter()
        .find(|e| e["data"]["baseData"]["success"] == false)
        .unwrap();
    assert_eq!(failed["data"]["baseData"]["name"], "chat gpt-4o");
    assert_eq!(
        failed["data"]["baseData"]["properties"]["error.type"],
        "core::fmt::Error"
    );
}

#[test]
fn azure_and_otlp_selection_errors_are_typed() {
    let err = Config::from_lookup(|name| {
        (name == "APPLICATIONINSIGHTS_CONNECTION_STRING")
            .then(|| "IngestionEndpoint=https://x/;Secretish=abc".to_owned())
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("APPLICATIONINSIGHTS_CONNECTION_STRING"),
        "{message}"
    );
    assert!(message.contains("no InstrumentationKey"), "{message}");
    assert!(
        !message.contains("Secretish"),
        "the value is not repeated: {message}"
    );

    let config = Config::from_lookup(|name| {
        (name == "OTEL_TRACES_EXPORTER").then(|| "azure_monitor".to_owned())
    })
    .unwrap();
    let err = Telemetry::builder()
        .with_config(config)
        .install()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("APPLICATIONINSIGHTS_CONNECTION_STRING to be set"),
        "{err}"
    );
}

struct Answer;

impl trace_genai::GenAiResponse for Answer {
    fn response_id(&self) -> Option<&str> {
        Some("chatcmpl-azure")
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn answer() -> Answer {
    Answer
}

#[test]
fn feedback_arrives_as_a_trace_under_the_chat_dependency() {
    let _serial = serial();
    let stand_in = AzureStandIn::start();
    let config = Config::from_lookup(|name| {
        (name == "APPLICATIONINSIGHTS_CONNECTION_STRING").then(|| stand_in.connection_string())
    })
    .unwrap();
    let telemetry = Telemetry::builder()
        .with_config(config)
        .with_root_certificate(stand_in.ca_certificate_pem())
        .install()
        .unwrap();
    answer();
    trace_genai::record_user_feedback("chatcmpl-azure", 1.0, None).unwrap();
    telemetry.shutdown().unwrap();

    let envelopes = stand_in.wait_for_envelopes(2, Duration::from_secs(10));
    let chat = by_name(&dependencies(&envelopes), "chat gpt-4o");
    let message = envelopes
        .iter()
        .find(|e| e["name"] == "Microsoft.ApplicationInsights.Message")
        .unwrap_or_else(|| panic!("no trace envelope: {envelopes:#?}"));
    let properties = &message["data"]["baseData"]["properties"];
    assert_eq!(properties["event.name"], "gen_ai.evaluation.user_feedback");
    assert_eq!(properties["gen_ai.response.id"], "chatcmpl-azure");
    assert_eq!(properties["gen_ai.evaluation.score"], "1");
    assert_eq!(
        message["tags"]["ai.operation.id"],
        chat["tags"]["ai.operation.id"]
    );
    assert_eq!(
        message["tags"]["ai.operation.parentId"],
        chat["data"]["baseData"]["id"]
    );
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", capture(messages, output))]
fn chat_with_content(messages: &[ChatMessage]) -> Vec<OutputMessage> {
    let _ = messages;
    vec![OutputMessage::assistant("Sunny, 24 °C.", "stop")]
}

/// A custom dimension that must hold JSON text, parsed back.
fn json_property(envelope: &Value, key: &str) -> Value {
    let text = envelope["data"]["baseData"]["properties"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no property {key}: {envelope:#}"));
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{key} is not JSON ({error}): {text}"))
}

/// Message content recorded as an event (`EVENT_ONLY`: structured log values) and a
/// feedback comment (a map as the log body) arrive in Application Insights as JSON text,
/// not as the exporter's unquoted flattening (`[{parts:[{content:…}]}]`).
#[test]
fn structured_content_and_event_bodies_arrive_as_json_text() {
    let _serial = serial();
    let stand_in = AzureStandIn::start();
    let config = Config::from_lookup(|name| {
        (name == "APPLICATIONINSIGHTS_CONNECTION_STRING").then(|| stand_in.connection_string())
    })
    .unwrap();
    let telemetry = Telemetry::builder()
        .with_config(config)
        .with_root_certificate(stand_in.ca_certificate_pem())
        .with_content_capture(ContentCapture::EventOnly)
        .install()
        .unwrap();
    chat_with_content(&[
        ChatMessage::system("You are a concise travel assistant."),
        ChatMessage::user("Weather in Paris?"),
    ]);
    answer();
    trace_genai::record_user_feedback("chatcmpl-azure", -1.0, Some("wrong city")).unwrap();
    telemetry.shutdown().unwrap();

    let envelopes = stand_in.wait_for_envelopes(5, Duration::from_secs(10));
    let messages: Vec<&Value> = envelopes
        .iter()
        .filter(|e| e["name"] == "Microsoft.ApplicationInsights.Message")
        .collect();
    let event = |name: &str| {
        messages
            .iter()
            .find(|e| e["data"]["baseData"]["properties"]["event.name"] == name)
            .unwrap_or_else(|| panic!("no {name} event: {envelopes:#?}"))
    };

    let details = event("gen_ai.client.inference.operation.details");
    assert_eq!(
        json_property(details, "gen_ai.input.messages"),
        json!([
            {"role": "system", "parts": [{"type": "text", "content": "You are a concise travel assistant."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
        ])
    );
    assert_eq!(
        json_property(details, "gen_ai.output.messages"),
        json!([{"role": "assistant", "finish_reason": "stop",
                "parts": [{"type": "text", "content": "Sunny, 24 °C."}]}])
    );
    // Plain attributes stay as they were.
    assert_eq!(
        details["data"]["baseData"]["properties"]["gen_ai.request.model"],
        "gpt-4o"
    );

    let feedback = event("gen_ai.evaluation.user_feedback");
    let body = feedback["data"]["baseData"]["message"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap_or_else(|error| panic!("{error}: {body}")),
        json!({"comment": "wrong city"})
    );
    // The copy keeps the record's trace context: still under the chat dependency that
    // answered.
    let answered = dependencies(&envelopes)
        .into_iter()
        .find(|e| e["data"]["baseData"]["id"] == feedback["tags"]["ai.operation.parentId"])
        .unwrap_or_else(|| panic!("feedback under no dependency: {envelopes:#?}"));
    assert_eq!(answered["data"]["baseData"]["name"], "chat gpt-4o");
    assert_eq!(
        feedback["tags"]["ai.operation.id"],
        answered["tags"]["ai.operation.id"]
    );
}

/// `with_client_certificate` applies to Azure Monitor: an ingestion endpoint behind mutual
/// TLS takes the envelopes with it and refuses the handshake without it.
#[test]
fn the_client_certificate_of_the_builder_reaches_azure_monitor() {
    let _serial = serial();
    let stand_in = AzureStandIn::start_mutual_tls();
    let (certificate, key) = stand_in.client_certificate_pem();
    let install = |with_client: bool| {
        let config = Config::from_lookup(|name| match name {
            "APPLICATIONINSIGHTS_CONNECTION_STRING" => Some(stand_in.connection_string()),
            // A refused handshake fails at once; no need to wait for the default timeouts.
            "OTEL_BSP_EXPORT_TIMEOUT"
            | "OTEL_BLRP_EXPORT_TIMEOUT"
            | "OTEL_METRIC_EXPORT_TIMEOUT" => Some("2000".to_owned()),
            _ => None,
        })
        .unwrap();
        let builder = Telemetry::builder()
            .with_config(config)
            .with_root_certificate(stand_in.ca_certificate_pem())
            .with_service_name("mtls");
        let builder = if with_client {
            builder.with_client_certificate(certificate.clone(), key.clone())
        } else {
            builder
        };
        builder.install().unwrap()
    };

    let telemetry = install(true);
    answer();
    telemetry.shutdown().unwrap();
    let envelopes = stand_in.wait_for_envelopes(1, Duration::from_secs(10));
    by_name(&dependencies(&envelopes), "chat gpt-4o");

    let before = stand_in.envelopes().len();
    let telemetry = install(false);
    answer();
    let error = telemetry
        .shutdown()
        .expect_err("refused without a client certificate");
    assert!(error.to_string().contains("Azure Monitor"), "{error}");
    assert_eq!(stand_in.envelopes().len(), before);
}

#[test]
fn a_client_certificate_azure_monitor_cannot_use_is_an_install_error() {
    let stand_in = AzureStandIn::start();
    let config = Config::from_lookup(|name| {
        (name == "APPLICATIONINSIGHTS_CONNECTION_STRING").then(|| stand_in.connection_string())
    })
    .unwrap();
    let error = Telemetry::builder()
        .with_config(config)
        .with_client_certificate("not a certificate", "not a key")
        .install()
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("with_client_certificate"), "{text}");
    assert!(
        !text.contains("not a key"),
        "the key is not repeated: {text}"
    );
}
