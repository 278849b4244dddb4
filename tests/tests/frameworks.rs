//! Frameworks through the `tracing` bridge: the `rig_agent` and `genai_chat` examples
//! (rig-agent 0.44 and genai 0.7.2, each against an OpenAI-compatible server on loopback)
//! send their trace to an OTLP receiver, and what arrives follows trace-genai's rules: one
//! trace under the application's span, GenAI span names and kinds, typed usage, no
//! content under the default policy (content with opt-in), GenAI metrics for the
//! frameworks' model calls, feedback parented to the framework's chat span, and nothing
//! exported twice.
//!
//! Runs the example binaries that `cargo test --workspace --all-features` builds next to
//! this test.

use std::collections::HashSet;
use std::process::Output;
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use trace_genai_tests::examples::{example_binary, without_telemetry_env};
use trace_genai_tests::receiver::{
    AttrValue, OtlpReceiver, PointValue, ReceivedMetric, ReceivedSpan,
};

const WAIT: Duration = Duration::from_secs(10);

/// What the examples send that is message content: the system prompts, the questions,
/// the tool's result, the answer and the feedback's comment.
const CONTENT: [&str; 6] = [
    "You are a weather assistant",
    "Answer in one short sentence",
    "What is the weather in Paris",
    "sunny, 24",
    "It is sunny and 24",
    "just what I needed",
];

/// Runs `example` with its telemetry sent to `receiver` over gRPC, and `env` set.
fn run(example: &str, receiver: &OtlpReceiver, env: &[(&str, &str)]) -> Output {
    let mut command = without_telemetry_env(example_binary(example));
    command.env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{example}: {output:?}");
    output
}

/// None of `texts` in anything the receiver holds: spans with their events, log records,
/// metrics.
fn assert_no_content(receiver: &OtlpReceiver, texts: &[&str]) {
    let exported = format!(
        "{:?}\n{:?}\n{:?}",
        receiver.spans(),
        receiver.log_records(),
        receiver.metrics()
    );
    for text in texts {
        assert!(
            !exported.contains(text),
            "{text:?} was exported: {exported}"
        );
    }
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|span| span.name == name).collect()
}

/// Every span once, all in one trace.
fn assert_one_trace_nothing_twice(spans: &[ReceivedSpan]) {
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    assert_eq!(ids.len(), spans.len(), "a span exported twice: {spans:#?}");
    let traces: HashSet<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
    assert_eq!(traces.len(), 1, "more than one trace: {spans:#?}");
}

/// A model call as the conventions say: `chat {model}`, kind client, integer usage.
fn assert_chat_span(span: &ReceivedSpan) {
    assert_eq!(span.kind, SpanKind::Client, "{span:#?}");
    assert_eq!(
        span.attr("gen_ai.request.model").and_then(|v| v.as_str()),
        Some("gpt-4o-mini")
    );
    for key in ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"] {
        let tokens = span.attr(key).and_then(AttrValue::as_i64);
        assert!(
            tokens.is_some_and(|n| n > 0),
            "{key} is not an integer: {span:#?}"
        );
    }
}

/// The histogram points of `metric` whose `gen_ai.operation.name` is `operation`, as
/// (count, attributes).
fn points(receiver: &OtlpReceiver, metric: &str, operation: &str) -> Vec<(u64, String)> {
    receiver
        .metrics()
        .iter()
        .filter(|m| m.name == metric)
        .flat_map(ReceivedMetric::points)
        .filter(|p| {
            p.attributes
                .get("gen_ai.operation.name")
                .and_then(|v| v.as_str())
                == Some(operation)
        })
        .map(|p| match p.value {
            PointValue::Histogram { count, .. } => (count, format!("{:?}", p.attributes)),
            other => panic!("{metric} is not a histogram: {other:?}"),
        })
        .collect()
}

#[test]
fn a_rig_agent_run_is_one_trace_under_the_application_span_without_content() {
    let receiver = OtlpReceiver::start();
    let output = run("rig_agent", &receiver, &[]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("answer: It is sunny"));
    let _ = receiver.wait_for_spans(4, WAIT);
    // Nothing more arrives: no duplicate agent span, no stand-in.
    std::thread::sleep(Duration::from_millis(300));
    let spans = receiver.spans();
    let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "chat gpt-4o-mini",
            "chat gpt-4o-mini",
            "execute_tool get_weather",
            "invoke_agent weather-agent"
        ]
    );
    assert_one_trace_nothing_twice(&spans);
    let agent = named(&spans, "invoke_agent weather-agent")[0];
    assert_eq!(
        agent.parent_span_id, "",
        "the application's span is the root"
    );
    assert_eq!(agent.scope_name, "trace-genai");
    let chats = named(&spans, "chat gpt-4o-mini");
    for chat in &chats {
        assert_chat_span(chat);
        assert_eq!(
            chat.parent_span_id, agent.span_id,
            "rig's chat under the agent"
        );
        assert_eq!(chat.scope_name, "trace-genai.tracing");
    }
    let tool = named(&spans, "execute_tool get_weather")[0];
    assert_eq!(tool.kind, SpanKind::Internal);
    assert_eq!(tool.parent_span_id, agent.span_id);
    // The application's agent span sums rig's two model calls (through the bridge) and
    // takes their provider.
    let summed = |key: &str| {
        chats
            .iter()
            .map(|chat| {
                chat.attr(key)
                    .and_then(trace_genai_tests::receiver::AttrValue::as_i64)
                    .unwrap()
            })
            .sum::<i64>()
    };
    for key in ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"] {
        assert_eq!(
            agent
                .attr(key)
                .and_then(trace_genai_tests::receiver::AttrValue::as_i64),
            Some(summed(key)),
            "{key}"
        );
    }
    assert_eq!(
        agent.attr("gen_ai.provider.name").and_then(|v| v.as_str()),
        Some("openai")
    );
    // Bridge noise is left out.
    for span in &spans {
        for key in ["busy_ns", "idle_ns", "thread.name", "target"] {
            assert!(span.attr(key).is_none(), "{key} on {}", span.name);
        }
        if let Some(path) = span.attr("code.file.path").and_then(|v| v.as_str()) {
            assert!(!path.contains("registry"), "{path} on {}", span.name);
        }
    }

    // Feedback by the response id of the final chat completion: under rig's chat span.
    let answer_chat = chats
        .iter()
        .find(|s| s.attr("gen_ai.response.id").and_then(|v| v.as_str()) == Some("chatcmpl-2"))
        .expect("the chat span that returned chatcmpl-2");
    let logs = receiver.wait_for_logs(1, WAIT);
    let feedback: Vec<_> = logs
        .iter()
        .filter(|log| log.event_name == "gen_ai.evaluation.user_feedback")
        .collect();
    assert_eq!(feedback.len(), 1, "{logs:#?}");
    assert_eq!(feedback[0].trace_id, answer_chat.trace_id);
    assert_eq!(feedback[0].span_id, answer_chat.span_id);

    // Metrics for rig's model calls: duration and token usage of `chat`.
    let _ = receiver.wait_for_metrics(1, WAIT);
    let durations = points(&receiver, "gen_ai.client.operation.duration", "chat");
    assert_eq!(durations.len(), 1, "{durations:?}");
    assert_eq!(durations[0].0, 2, "two chat calls: {durations:?}");
    assert!(durations[0].1.contains("openai"), "{durations:?}");
    let usage = points(&receiver, "gen_ai.client.token.usage", "chat");
    assert_eq!(usage.len(), 2, "input and output: {usage:?}");
    assert!(usage.iter().all(|(count, _)| *count == 2), "{usage:?}");

    // Under the default policy, no content anywhere.
    assert_no_content(&receiver, &CONTENT);
}

#[test]
fn rig_content_is_exported_when_the_policy_allows_it() {
    let receiver = OtlpReceiver::start();
    run(
        "rig_agent",
        &receiver,
        &[(
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "SPAN_ONLY",
        )],
    );
    let spans = receiver.wait_for_spans(4, WAIT);
    let chats = named(&spans, "chat gpt-4o-mini");
    assert_eq!(chats.len(), 2);
    let input = chats[0]
        .attr("gen_ai.input.messages")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    assert!(
        input.contains("What is the weather in Paris?"),
        "{chats:#?}"
    );
    let tool = named(&spans, "execute_tool get_weather")[0];
    assert_eq!(
        tool.attr("gen_ai.tool.call.result")
            .and_then(|v| v.as_str()),
        Some("sunny, 24 °C")
    );
}

#[test]
fn genai_chat_calls_nest_with_typed_attributes_metrics_and_no_content() {
    let receiver = OtlpReceiver::start();
    run("genai_chat", &receiver, &[]);
    let _ = receiver.wait_for_spans(4, WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let spans = receiver.spans();
    let agents = named(&spans, "invoke_agent weather-assistant");
    let chats = named(&spans, "chat gpt-4o-mini");
    assert_eq!(
        (agents.len(), chats.len(), spans.len()),
        (2, 2, 4),
        "{spans:#?}"
    );
    for chat in &chats {
        assert_chat_span(chat);
        assert!(
            agents.iter().any(
                |agent| agent.span_id == chat.parent_span_id && agent.trace_id == chat.trace_id
            ),
            "genai's chat under the application's span"
        );
        let reasons = chat
            .attr("gen_ai.response.finish_reasons")
            .and_then(|v| v.as_array())
            .expect("finish reasons as an array");
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].as_str(), Some("stop"));
    }
    // Each application span gets its genai call's usage and finish reasons.
    for agent in &agents {
        let chat = chats
            .iter()
            .find(|chat| chat.parent_span_id == agent.span_id)
            .unwrap();
        assert_eq!(
            agent.attr("gen_ai.usage.input_tokens"),
            chat.attr("gen_ai.usage.input_tokens")
        );
        assert_eq!(
            agent.attr("gen_ai.response.finish_reasons"),
            chat.attr("gen_ai.response.finish_reasons")
        );
    }
    let _ = receiver.wait_for_metrics(1, WAIT);
    let durations = points(&receiver, "gen_ai.client.operation.duration", "chat");
    assert_eq!(
        durations.iter().map(|(count, _)| count).sum::<u64>(),
        2,
        "{durations:?}"
    );
    assert_no_content(&receiver, &CONTENT);
}

#[test]
fn genai_content_is_exported_when_both_policies_allow_it() {
    let receiver = OtlpReceiver::start();
    // genai records content only for its own truthy values; `true` is also trace-genai's
    // SPAN_AND_EVENT.
    run(
        "genai_chat",
        &receiver,
        &[("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")],
    );
    let spans = receiver.wait_for_spans(4, WAIT);
    let chats = named(&spans, "chat gpt-4o-mini");
    assert!(
        chats.iter().any(|chat| chat
            .attr("gen_ai.input.messages")
            .and_then(|v| v.as_str())
            .is_some_and(|m| m.contains("What is the weather in Paris?"))),
        "{chats:#?}"
    );
}

/// rig's `get_weather` tool, as an application declares it.
struct GetWeather;

impl rig_agent::tool::Tool for GetWeather {
    const NAME: &'static str = "get_weather";
    type Args = serde_json::Value;
    type Output = String;
    type Error = std::io::Error;

    fn description(&self) -> String {
        "The current weather in a city.".to_owned()
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "object",
            "properties": { "city": { "type": "string" } },
            "required": ["city"],
        })
    }

    async fn call(
        &self,
        _context: &mut rig_agent::tool::ToolContext,
        _args: serde_json::Value,
    ) -> Result<String, std::io::Error> {
        Ok("sunny, 24 °C".to_owned())
    }
}

#[trace_genai::trace_genai(invoke_agent, agent = "in-process-agent")]
async fn ask(agent: &rig_agent::Agent, question: &str) -> Option<String> {
    let response = agent.prompt(question).max_turns(3).await.ok()?;
    response
        .completion_calls
        .last()
        .and_then(|call| call.response_id.clone())
}

/// The same in this process, as an application's test would: rig as a library, telemetry
/// installed in code and sent over OTLP/HTTP, the bridge as the thread's subscriber.
#[test]
fn rig_in_process_one_trace_feedback_under_its_chat_span() {
    use tracing_subscriber::layer::SubscriberExt as _;

    let _serial = trace_genai_tests::harness::serial();
    let server = trace_genai_examples::openai_stand_in::OpenAiStandIn::start();
    let receiver = OtlpReceiver::start();
    let telemetry = trace_genai_tests::harness::builder(&[
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            receiver.http_endpoint().as_str(),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ])
    .install()
    .unwrap();
    let model = rig_core::providers::openai::OpenAIConfig::new("not-needed")
        .with_base_url(server.base_url())
        .client()
        .chat("gpt-4o-mini");
    let agent = rig_agent::AgentBuilder::new(model)
        .name("in-process-agent")
        .preamble("You are a weather assistant.")
        .tool(GetWeather)
        .record_content_telemetry(true)
        .build();
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
    let response_id = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(ask(&agent, "What is the weather in Paris?"))
    })
    .expect("rig reports the response id of its last model call");
    // Feedback for each of the run's responses: the tool call and the answer.
    let response_ids = server.response_ids();
    assert_eq!(response_ids.len(), 2, "{response_ids:?}");
    assert!(response_ids.contains(&response_id));
    for id in &response_ids {
        trace_genai::record_user_feedback(id, -1.0, Some("wrong city")).unwrap();
    }
    telemetry.shutdown().unwrap();

    let spans = receiver.wait_for_spans(4, WAIT);
    assert_one_trace_nothing_twice(&spans);
    let agent_span = named(&spans, "invoke_agent in-process-agent")[0];
    let logs = receiver.wait_for_logs(2, WAIT);
    for id in &response_ids {
        let chat = named(&spans, "chat gpt-4o-mini")
            .into_iter()
            .find(|s| s.attr("gen_ai.response.id").and_then(AttrValue::as_str) == Some(id))
            .expect("rig's chat span with the response id");
        assert_eq!(chat.parent_span_id, agent_span.span_id);
        assert_chat_span(chat);
        let feedback = logs
            .iter()
            .find(|log| {
                log.event_name == "gen_ai.evaluation.user_feedback"
                    && log.attr("gen_ai.response.id").and_then(AttrValue::as_str) == Some(id)
            })
            .expect("the feedback event");
        assert_eq!(
            (feedback.trace_id.as_str(), feedback.span_id.as_str()),
            (chat.trace_id.as_str(), chat.span_id.as_str()),
            "feedback for {id} under the chat span that returned it"
        );
    }
    assert_no_content(
        &receiver,
        &[
            "weather assistant",
            "What is the weather",
            "sunny, 24",
            "wrong city",
        ],
    );
}
