//! langchain-rust 7 through the `tracing` bridge, driven as its README and examples drive
//! it: its OpenAI LLM (async-openai underneath) pointed at the examples' loopback
//! OpenAI-compatible stand-in with a dummy key, an `LLMChain` invoked with `prompt_args!`,
//! and an `OpenAiToolAgent` with a `FunctionTool` run by an `AgentExecutor`, each inside
//! the application's `#[trace_genai]` function, with telemetry installed in code and sent
//! over OTLP/HTTP to the in-process receiver.
//!
//! langchain-rust traces in a vocabulary of its own (`src/observability.rs`: `llm.generate`
//! with `provider`, `model`, `prompt_tokens`, `completion_tokens`; `agent.run`; `tool.call`),
//! which the table `genai::foreign::VOCABULARIES` translates. What arrives: langchain's
//! model call as `chat gpt-4o-mini`, kind client, with `gen_ai.provider.name` and integer
//! usage equal to the stand-in's, nested under the application's span in one trace; its
//! agent run as `invoke_agent` and its tool as `execute_tool get_weather`; the GenAI
//! metrics for its model calls; no prompt, answer or tool text under the default policy.
//!
//! langchain-rust records no message content on its spans ("Prompts and outputs are never
//! recorded on spans; `debug!` events carry them", `src/observability.rs:14`): with
//! `SPAN_ONLY`, its `chat` spans still carry no `gen_ai.input.messages` /
//! `gen_ai.output.messages`, and the prompt reaches the trace only as the text of its
//! `debug!` event (`src/chain/llm_chain.rs:152`), when the bridge is told to export DEBUG
//! events.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use langchain_rust::agent::{AgentExecutor, OpenAiToolAgentBuilder};
use langchain_rust::chain::{Chain, ChainError, LLMChain, LLMChainBuilder};
use langchain_rust::language_models::LLMError;
use langchain_rust::language_models::llm::LLM;
use langchain_rust::llm::OpenAIConfig;
use langchain_rust::llm::openai::OpenAI;
use langchain_rust::prompt::HumanMessagePromptTemplate;
use langchain_rust::schemas::messages::Message;
use langchain_rust::tools::{FunctionTool, Tool};
use langchain_rust::{fmt_message, fmt_template, message_formatter, prompt_args, template_fstring};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use trace_genai::{TracingOptions, trace_genai};
use trace_genai_examples::openai_stand_in::{ANSWER, OpenAiStandIn, TOOL_ARGUMENTS, TOOL_NAME};
use trace_genai_tests::receiver::{
    AttrValue, Attributes, OtlpReceiver, PointValue, ReceivedMetric, ReceivedSpan,
};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

const WAIT: Duration = Duration::from_secs(10);

/// The model langchain asks for; the stand-in echoes it.
const MODEL: &str = "gpt-4o-mini";

/// The system prompt (10 words for the stand-in's one-token-per-word count).
const SYSTEM: &str = "You are a weather assistant. Answer in one short sentence.";

/// The user's question (6 words).
const QUESTION: &str = "What is the weather in Paris?";

/// The `get_weather` tool's result (3 words).
const WEATHER: &str = "sunny, 24 °C";

/// The stand-in counts 20 tokens of overhead plus one per word of each message's text.
const OVERHEAD: i64 = 20;
/// Words in [`ANSWER`] ("It is sunny and 24 °C in Paris."): the text reply's output tokens.
const ANSWER_TOKENS: i64 = 8;
/// The output tokens of the stand-in's tool-call reply.
const TOOL_CALL_TOKENS: i64 = 7;
/// A request of [`SYSTEM`] and [`QUESTION`]: 20 + 10 + 6.
const PROMPT_TOKENS: i64 = OVERHEAD + 10 + 6;
/// The agent's second request adds the assistant's tool call (no text) and the tool's
/// result: 36 + 0 + 3.
const PROMPT_WITH_RESULT_TOKENS: i64 = PROMPT_TOKENS + 3;

/// Everything that is message content in these runs.
const CONTENT: [&str; 6] = [
    "weather assistant",
    "one short sentence",
    "What is the weather",
    "sunny, 24",
    "It is sunny and 24",
    TOOL_ARGUMENTS,
];

// ---- what the application does ----------------------------------------------------------

/// langchain-rust's OpenAI LLM against the stand-in: any key does.
fn llm(server: &OpenAiStandIn) -> OpenAI<OpenAIConfig> {
    OpenAI::default()
        .with_config(
            OpenAIConfig::default()
                .with_api_base(server.base_url())
                .with_api_key("not-needed"),
        )
        .with_model(MODEL)
}

/// An `LLMChain` as langchain-rust's README builds one: a system message and a templated
/// human message.
fn chain(server: &OpenAiStandIn) -> LLMChain {
    let prompt = message_formatter![
        fmt_message!(Message::new_system_message(SYSTEM)),
        fmt_template!(HumanMessagePromptTemplate::new(template_fstring!(
            "{input}", "input"
        ))),
    ];
    LLMChainBuilder::new()
        .prompt(prompt)
        .llm(llm(server))
        .build()
        .unwrap()
}

/// An OpenAI-tools agent with the `get_weather` tool, run by an `AgentExecutor`.
fn agent(server: &OpenAiStandIn) -> AgentExecutor<langchain_rust::agent::OpenAiToolAgent> {
    let get_weather = FunctionTool::new(
        TOOL_NAME,
        "The current weather in a city.",
        serde_json::json!({
            "type": "object",
            "properties": { "city": { "type": "string" } },
            "required": ["city"],
        }),
        |args: serde_json::Value| async move {
            match args["city"].as_str() {
                Some("Paris") => Ok(WEATHER.to_owned()),
                other => Err(format!("no weather for {other:?}")),
            }
        },
    );
    let tools: Vec<Arc<dyn Tool>> = vec![Arc::new(get_weather)];
    let agent = OpenAiToolAgentBuilder::new()
        .prefix(SYSTEM)
        .tools(&tools)
        .build(llm(server))
        .unwrap();
    AgentExecutor::from_agent(agent).with_max_iterations(3)
}

#[trace_genai(invoke_agent, agent = "langchain-chain")]
async fn ask_chain(chain: &LLMChain, question: &str) -> Result<String, ChainError> {
    chain.invoke(prompt_args! { "input" => question }).await
}

#[trace_genai(invoke_agent, agent = "langchain-agent")]
async fn ask_agent(
    executor: &AgentExecutor<langchain_rust::agent::OpenAiToolAgent>,
    question: &str,
) -> Result<String, ChainError> {
    executor.invoke(prompt_args! { "input" => question }).await
}

/// The application's own model call around langchain's (the same call, seen twice).
#[trace_genai(chat, model = "gpt-4o-mini", provider = "openai")]
async fn complete(llm: &OpenAI<OpenAIConfig>, question: &str) -> Result<String, LLMError> {
    llm.invoke(question).await
}

// ---- the run ------------------------------------------------------------------------------

/// What one traced run left behind.
struct Run<T> {
    output: T,
    receiver: OtlpReceiver,
    server: OpenAiStandIn,
}

/// Installs telemetry configured by `vars` (plus the receiver's OTLP/HTTP endpoint),
/// makes the bridge with `options` the thread's `tracing` subscriber, runs `app` against a
/// fresh stand-in on a current-thread runtime, and shuts telemetry down (every span,
/// record and metric is exported then).
fn traced<T, F: Future<Output = T>>(
    vars: &[(&str, &str)],
    options: TracingOptions,
    app: impl FnOnce(&OpenAiStandIn) -> F,
) -> Run<T> {
    let _serial = trace_genai_tests::harness::serial();
    let server = OpenAiStandIn::start();
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.http_endpoint();
    let mut all = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ];
    all.extend_from_slice(vars);
    let telemetry = trace_genai_tests::harness::builder(&all).install().unwrap();
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer_with(options));
    let output = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(app(&server))
    });
    telemetry.shutdown().unwrap();
    Run {
        output,
        receiver,
        server,
    }
}

// ---- what arrived -------------------------------------------------------------------------

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|span| span.name == name).collect()
}

fn one<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let found = named(spans, name);
    assert_eq!(found.len(), 1, "one {name:?}: {spans:#?}");
    found[0]
}

fn sorted_names(spans: &[ReceivedSpan]) -> Vec<&str> {
    let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names
}

fn parent_of<'a>(spans: &'a [ReceivedSpan], span: &ReceivedSpan) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.span_id == span.parent_span_id)
        .unwrap_or_else(|| panic!("the parent of {}: {spans:#?}", span.name))
}

/// Every span once, all in one trace, whose root is `root`.
fn assert_one_trace_under(spans: &[ReceivedSpan], root: &ReceivedSpan) {
    let ids: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    assert_eq!(ids.len(), spans.len(), "a span exported twice: {spans:#?}");
    assert_eq!(root.parent_span_id, "", "{} is the root", root.name);
    for span in spans {
        assert_eq!(
            span.trace_id, root.trace_id,
            "{} in another trace",
            span.name
        );
        let mut ancestor = span;
        while !ancestor.parent_span_id.is_empty() {
            ancestor = parent_of(spans, ancestor);
        }
        assert_eq!(
            ancestor.span_id, root.span_id,
            "{} under the root",
            span.name
        );
    }
}

/// langchain's model call as the conventions say: `chat gpt-4o-mini`, kind client, from
/// the bridge, with the provider, the model and the stand-in's usage as integers; its own
/// field names translated, not kept beside the conventions' keys.
fn assert_chat(chat: &ReceivedSpan, input_tokens: i64, output_tokens: i64) {
    assert_eq!(chat.name, format!("chat {MODEL}"));
    assert_eq!(chat.kind, SpanKind::Client, "{chat:#?}");
    assert_eq!(chat.scope_name, "trace-genai.tracing");
    assert_eq!(chat.str_attr("gen_ai.operation.name"), Some("chat"));
    assert_eq!(chat.str_attr("gen_ai.provider.name"), Some("openai"));
    assert_eq!(chat.str_attr("gen_ai.request.model"), Some(MODEL));
    assert_eq!(
        chat.attr("gen_ai.usage.input_tokens"),
        Some(&AttrValue::Int(input_tokens)),
        "{chat:#?}"
    );
    assert_eq!(
        chat.attr("gen_ai.usage.output_tokens"),
        Some(&AttrValue::Int(output_tokens)),
        "{chat:#?}"
    );
    // `stream = false` is the conventions' absence of `gen_ai.request.stream`.
    assert_eq!(chat.attr("gen_ai.request.stream"), None);
    for key in [
        "provider",
        "model",
        "stream",
        "prompt_tokens",
        "completion_tokens",
    ] {
        assert_eq!(chat.attr(key), None, "{key} left untranslated: {chat:#?}");
    }
    // Bridge noise is left out.
    for key in [
        "busy_ns",
        "idle_ns",
        "thread.name",
        "target",
        "code.file.path",
    ] {
        assert_eq!(chat.attr(key), None, "{key}: {chat:#?}");
    }
}

/// The histogram points of `metric` whose `gen_ai.operation.name` is `operation`, as
/// (count, sum, attributes).
fn points(receiver: &OtlpReceiver, metric: &str, operation: &str) -> Vec<(u64, f64, Attributes)> {
    receiver
        .metrics()
        .iter()
        .filter(|m| m.name == metric)
        .flat_map(ReceivedMetric::points)
        .filter(|p| {
            p.attributes
                .get("gen_ai.operation.name")
                .and_then(AttrValue::as_str)
                == Some(operation)
        })
        .map(|p| match p.value {
            PointValue::Histogram { count, sum, .. } => {
                (count, sum.unwrap_or_default(), p.attributes)
            }
            other => panic!("{metric} is not a histogram: {other:?}"),
        })
        .collect()
}

/// The `chat` token-usage point of `token_type` (`input`, `output`): (count, sum).
fn chat_tokens(receiver: &OtlpReceiver, token_type: &str) -> (u64, f64) {
    let found: Vec<(u64, f64)> = points(receiver, "gen_ai.client.token.usage", "chat")
        .into_iter()
        .filter(|(_, _, attributes)| {
            attributes
                .get("gen_ai.token.type")
                .and_then(AttrValue::as_str)
                == Some(token_type)
        })
        .map(|(count, sum, _)| (count, sum))
        .collect();
    assert_eq!(found.len(), 1, "one {token_type} point: {found:?}");
    found[0]
}

/// Everything the receiver holds: spans with their events, log records, metrics.
fn exported(receiver: &OtlpReceiver) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        receiver.spans(),
        receiver.log_records(),
        receiver.metrics()
    )
}

fn assert_no_content(receiver: &OtlpReceiver) {
    let exported = exported(receiver);
    for text in CONTENT {
        assert!(
            !exported.contains(text),
            "{text:?} was exported: {exported}"
        );
    }
}

// ---- the tests ----------------------------------------------------------------------------

#[test]
fn a_langchain_chain_call_is_a_chat_span_under_the_application_span_with_usage_and_metrics() {
    let run = traced(&[], TracingOptions::default(), |server| {
        let chain = chain(server);
        async move { ask_chain(&chain, QUESTION).await }
    });
    assert_eq!(run.output.unwrap(), ANSWER);
    let requests = run.server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0]["model"], MODEL);
    assert_eq!(requests[0]["messages"][1]["content"], QUESTION);

    let spans = run.receiver.wait_for_spans(2, WAIT);
    assert_eq!(
        sorted_names(&spans),
        ["chat gpt-4o-mini", "invoke_agent langchain-chain"],
        "{spans:#?}"
    );
    let agent = one(&spans, "invoke_agent langchain-chain");
    assert_eq!(agent.scope_name, "trace-genai");
    assert_one_trace_under(&spans, agent);
    let chat = one(&spans, "chat gpt-4o-mini");
    // `LLMChain::invoke` opens no span of its own: the model call is the agent's child.
    assert_eq!(chat.parent_span_id, agent.span_id);
    assert_chat(chat, PROMPT_TOKENS, ANSWER_TOKENS);
    assert!(
        chat.events.is_empty() && agent.events.is_empty(),
        "{spans:#?}"
    );
    // The application's agent sums langchain's model call and takes its provider.
    assert_eq!(
        agent.attr("gen_ai.usage.input_tokens"),
        Some(&AttrValue::Int(PROMPT_TOKENS))
    );
    assert_eq!(
        agent.attr("gen_ai.usage.output_tokens"),
        Some(&AttrValue::Int(ANSWER_TOKENS))
    );
    assert_eq!(agent.str_attr("gen_ai.provider.name"), Some("openai"));

    // The GenAI metrics for langchain's model call: one duration, and its tokens.
    let durations = points(&run.receiver, "gen_ai.client.operation.duration", "chat");
    assert_eq!(durations.len(), 1, "{durations:?}");
    assert_eq!(durations[0].0, 1, "{durations:?}");
    let attributes = &durations[0].2;
    assert_eq!(
        attributes
            .get("gen_ai.provider.name")
            .and_then(AttrValue::as_str),
        Some("openai")
    );
    assert_eq!(
        attributes
            .get("gen_ai.request.model")
            .and_then(AttrValue::as_str),
        Some(MODEL)
    );
    #[expect(clippy::cast_precision_loss, reason = "small token counts")]
    let (input, output) = (PROMPT_TOKENS as f64, ANSWER_TOKENS as f64);
    assert_eq!(chat_tokens(&run.receiver, "input"), (1, input));
    assert_eq!(chat_tokens(&run.receiver, "output"), (1, output));

    assert_no_content(&run.receiver);
}

#[test]
fn a_langchain_agent_run_with_a_tool_is_one_trace_of_genai_spans_without_content() {
    let run = traced(&[], TracingOptions::default(), |server| {
        let executor = agent(server);
        async move { ask_agent(&executor, QUESTION).await }
    });
    assert_eq!(run.output.unwrap(), ANSWER);
    let requests = run.server.requests();
    assert_eq!(requests.len(), 2, "the tool call, then the answer");
    assert_eq!(requests[0]["tools"][0]["function"]["name"], TOOL_NAME);
    assert_eq!(requests[1]["messages"][3]["role"], "tool");
    assert_eq!(requests[1]["messages"][3]["content"], WEATHER);

    let spans = run.receiver.wait_for_spans(9, WAIT);
    assert_eq!(
        sorted_names(&spans),
        [
            "agent.plan",
            "agent.plan",
            "chain.call",
            "chain.call",
            "chat gpt-4o-mini",
            "chat gpt-4o-mini",
            "execute_tool get_weather",
            "invoke_agent",
            "invoke_agent langchain-agent",
        ],
        "{spans:#?}"
    );
    let app = one(&spans, "invoke_agent langchain-agent");
    assert_one_trace_under(&spans, app);

    // langchain's `agent.run`: an agent invocation under the application's.
    let run_span = one(&spans, "invoke_agent");
    assert_eq!(run_span.parent_span_id, app.span_id);
    assert_eq!(run_span.kind, SpanKind::Internal);
    assert_eq!(run_span.scope_name, "trace-genai.tracing");
    assert_eq!(
        run_span.str_attr("gen_ai.operation.name"),
        Some("invoke_agent")
    );
    assert_eq!(run_span.attr("max_iterations"), Some(&AttrValue::Int(3)));
    // Fields outside the conventions keep the type the bridge gives them: `steps` is a
    // `usize`, which `tracing-opentelemetry` records as text.
    assert_eq!(run_span.attr("steps"), Some(&AttrValue::from("1")));

    // Its model calls, each under a plan step's `chain.call`: the tool call, then the answer.
    let mut chats = named(&spans, "chat gpt-4o-mini");
    chats.sort_by_key(|chat| chat.start_time_unix_nano);
    assert_chat(chats[0], PROMPT_TOKENS, TOOL_CALL_TOKENS);
    assert_chat(chats[1], PROMPT_WITH_RESULT_TOKENS, ANSWER_TOKENS);
    for chat in &chats {
        let call = parent_of(&spans, chat);
        assert_eq!(call.name, "chain.call");
        let plan = parent_of(&spans, call);
        assert_eq!(plan.name, "agent.plan");
        assert_eq!(plan.parent_span_id, run_span.span_id);
    }
    assert_eq!(chats[0].attr("tool_calls"), Some(&AttrValue::from("1")));
    for span in &spans {
        assert!(span.events.is_empty(), "no INFO event: {span:#?}");
    }

    // Its tool: `execute_tool get_weather`, between the two calls, with no text of its
    // arguments or result.
    let tool = one(&spans, "execute_tool get_weather");
    assert_eq!(tool.parent_span_id, run_span.span_id);
    assert_eq!(tool.kind, SpanKind::Internal);
    assert_eq!(tool.str_attr("gen_ai.tool.name"), Some(TOOL_NAME));
    assert_eq!(tool.str_attr("gen_ai.operation.name"), Some("execute_tool"));
    assert!(tool.start_time_unix_nano >= chats[0].end_time_unix_nano);
    assert!(tool.end_time_unix_nano <= chats[1].start_time_unix_nano);

    // The application's agent sums both model calls.
    assert_eq!(
        app.attr("gen_ai.usage.input_tokens"),
        Some(&AttrValue::Int(PROMPT_TOKENS + PROMPT_WITH_RESULT_TOKENS))
    );
    assert_eq!(
        app.attr("gen_ai.usage.output_tokens"),
        Some(&AttrValue::Int(TOOL_CALL_TOKENS + ANSWER_TOKENS))
    );

    // Metrics: two chat calls with their tokens, one tool run.
    let durations = points(&run.receiver, "gen_ai.client.operation.duration", "chat");
    assert_eq!(
        durations.iter().map(|(count, ..)| count).sum::<u64>(),
        2,
        "{durations:?}"
    );
    #[expect(clippy::cast_precision_loss, reason = "small token counts")]
    let (input, output) = (
        (PROMPT_TOKENS + PROMPT_WITH_RESULT_TOKENS) as f64,
        (TOOL_CALL_TOKENS + ANSWER_TOKENS) as f64,
    );
    assert_eq!(chat_tokens(&run.receiver, "input"), (2, input));
    assert_eq!(chat_tokens(&run.receiver, "output"), (2, output));
    let tools = points(
        &run.receiver,
        "gen_ai.client.operation.duration",
        "execute_tool",
    );
    assert_eq!(tools.len(), 1, "{tools:?}");
    assert_eq!(tools[0].0, 1);
    assert_eq!(
        tools[0]
            .2
            .get("gen_ai.tool.name")
            .and_then(AttrValue::as_str),
        Some(TOOL_NAME)
    );

    assert_no_content(&run.receiver);
}

/// With content on spans, langchain-rust's spans still carry no messages: it records
/// none on them (`src/observability.rs:14`). Its `chat` spans have no
/// `gen_ai.input.messages` / `gen_ai.output.messages`; the prompt reaches the trace only
/// through its `debug!("Prompt: {:?}", prompt)` event (`src/chain/llm_chain.rs:152`), and
/// only when the bridge exports DEBUG events, as an event of the span current at that
/// point (the application's span: `LLMChain::invoke` opens none).
#[test]
fn with_span_only_langchain_chat_spans_carry_no_messages_only_its_debug_event_has_the_prompt() {
    let span_only = [(
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "SPAN_ONLY",
    )];

    // INFO and above (the bridge's default): nothing of the prompt or the answer.
    let run = traced(&span_only, TracingOptions::default(), |server| {
        let chain = chain(server);
        async move { ask_chain(&chain, QUESTION).await }
    });
    assert_eq!(run.output.unwrap(), ANSWER);
    let spans = run.receiver.wait_for_spans(2, WAIT);
    let chat = one(&spans, "chat gpt-4o-mini");
    assert_chat(chat, PROMPT_TOKENS, ANSWER_TOKENS);
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert_eq!(chat.attr(key), None, "{key}: {chat:#?}");
    }
    assert!(
        one(&spans, "invoke_agent langchain-chain")
            .events
            .is_empty()
    );
    assert_no_content(&run.receiver);

    // DEBUG events too: langchain's `Prompt: …` event, with the system prompt and the
    // question in its text, lands on the application's span; the chat span is unchanged.
    let run = traced(
        &span_only,
        TracingOptions::default().with_events(LevelFilter::DEBUG),
        |server| {
            let chain = chain(server);
            async move { ask_chain(&chain, QUESTION).await }
        },
    );
    assert_eq!(run.output.unwrap(), ANSWER);
    let spans = run.receiver.wait_for_spans(2, WAIT);
    let chat = one(&spans, "chat gpt-4o-mini");
    assert_chat(chat, PROMPT_TOKENS, ANSWER_TOKENS);
    assert_eq!(chat.attr("gen_ai.input.messages"), None, "{chat:#?}");
    assert_eq!(chat.attr("gen_ai.output.messages"), None, "{chat:#?}");
    let agent = one(&spans, "invoke_agent langchain-chain");
    let prompts: Vec<&str> = agent
        .events
        .iter()
        .map(|event| event.name.as_str())
        .filter(|name| name.starts_with("Prompt: "))
        .collect();
    assert_eq!(prompts.len(), 1, "{agent:#?}");
    assert!(
        prompts[0].contains(SYSTEM) && prompts[0].contains(QUESTION),
        "{prompts:?}"
    );
    // The answer is in no `tracing` record of langchain-rust's at all.
    assert!(!exported(&run.receiver).contains(ANSWER));
}

/// Under the default policy, exporting DEBUG events does not export langchain's prompt:
/// its events inside GenAI work keep their level but not their text.
#[test]
fn langchain_debug_events_keep_no_text_under_the_default_policy() {
    let run = traced(
        &[],
        TracingOptions::default().with_events(LevelFilter::DEBUG),
        |server| {
            let chain = chain(server);
            async move { ask_chain(&chain, QUESTION).await }
        },
    );
    assert_eq!(run.output.unwrap(), ANSWER);
    let spans = run.receiver.wait_for_spans(2, WAIT);
    // langchain's three: `Formatted prompt: …` (src/prompt/prompt.rs:70), `message: …`
    // (src/prompt/chat.rs:119) and `Prompt: …` (src/chain/llm_chain.rs:152).
    let agent = one(&spans, "invoke_agent langchain-chain");
    assert_eq!(agent.events.len(), 3, "{agent:#?}");
    for span in &spans {
        for event in &span.events {
            assert_eq!(event.name, "[text omitted]", "{span:#?}");
            assert_eq!(
                event.attributes.get("level"),
                Some(&AttrValue::from("DEBUG"))
            );
        }
    }
    assert_no_content(&run.receiver);
}

/// The application's span around langchain's span of the same operation is the same
/// call seen twice, which the GenAI metrics count once (as
/// `tests/framework_spans.rs::a_framework_span_of_the_same_call_is_not_counted_twice` does
/// for a framework that speaks the conventions): an `llm.generate` inside a
/// `#[trace_genai(chat)]` function, an `agent.run` inside a `#[trace_genai(invoke_agent)]`
/// one. The bridge marks such a span as counted by its parent from its
/// `gen_ai.operation.name` when it starts, or, for a langchain span, from the operation
/// the vocabulary table will give it.
#[test]
fn a_langchain_span_inside_the_applications_span_of_its_operation_is_counted_once() {
    let run = traced(&[], TracingOptions::default(), |server| {
        let llm = llm(server);
        async move { complete(&llm, QUESTION).await }
    });
    assert_eq!(run.output.unwrap(), ANSWER);
    let spans = run.receiver.wait_for_spans(2, WAIT);
    let chats = named(&spans, "chat gpt-4o-mini");
    assert_eq!(chats.len(), 2, "{spans:#?}");
    let (outer, inner) = if chats[0].scope_name == "trace-genai" {
        (chats[0], chats[1])
    } else {
        (chats[1], chats[0])
    };
    assert_eq!(outer.scope_name, "trace-genai");
    assert_eq!(inner.parent_span_id, outer.span_id);
    assert_chat(inner, OVERHEAD + 6, ANSWER_TOKENS);
    let durations = points(&run.receiver, "gen_ai.client.operation.duration", "chat");
    assert_eq!(
        durations.iter().map(|(count, ..)| count).sum::<u64>(),
        1,
        "one chat call counted twice: {durations:?}"
    );

    let run = traced(&[], TracingOptions::default(), |server| {
        let executor = agent(server);
        async move { ask_agent(&executor, QUESTION).await }
    });
    assert_eq!(run.output.unwrap(), ANSWER);
    let _ = run.receiver.wait_for_spans(9, WAIT);
    let agents = points(
        &run.receiver,
        "gen_ai.client.operation.duration",
        "invoke_agent",
    );
    assert_eq!(
        agents.iter().map(|(count, ..)| count).sum::<u64>(),
        1,
        "one agent run counted twice: {agents:?}"
    );
}

/// The `langchain_agent` example (built by `cargo test --workspace --all-features`, or
/// `cargo build -p trace-genai-examples --features frameworks --example langchain_agent`)
/// follows the environment: with `OTEL_EXPORTER_OTLP_ENDPOINT`, its trace and metrics go
/// to the collector, with no content.
#[test]
fn the_langchain_agent_example_sends_its_trace_where_the_environment_says() {
    let receiver = OtlpReceiver::start();
    let output = trace_genai_tests::examples::without_telemetry_env(
        trace_genai_tests::examples::example_binary("langchain_agent"),
    )
    .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint())
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("answer: {ANSWER}")), "{stdout}");
    assert!(
        !stdout.contains("└─"),
        "no console tree with a collector: {stdout}"
    );

    let _ = receiver.wait_for_spans(9, WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let spans = receiver.spans();
    assert_eq!(
        sorted_names(&spans),
        [
            "agent.plan",
            "agent.plan",
            "chain.call",
            "chain.call",
            "chat gpt-4o-mini",
            "chat gpt-4o-mini",
            "execute_tool get_weather",
            "invoke_agent",
            "invoke_agent weather-agent",
        ],
        "{spans:#?}"
    );
    assert_one_trace_under(&spans, one(&spans, "invoke_agent weather-agent"));
    let _ = receiver.wait_for_metrics(1, WAIT);
    let _ = chat_tokens(&receiver, "input");
    assert_eq!(
        points(&receiver, "gen_ai.client.operation.duration", "chat")
            .iter()
            .map(|(count, ..)| count)
            .sum::<u64>(),
        2
    );
    assert_no_content(&receiver);
}
