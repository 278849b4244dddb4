//! A rig agent whose tool is served over MCP through rig-rmcp, the way rig-rmcp's
//! documentation wires it (rig-rmcp 0.44 on rmcp 2, an `McpTool` as a rig `DynamicTool`,
//! request metadata from `McpMeta` in the tool context): its MCP tool call joins the
//! application's trace. The tool server is the `mcp_agent` example's, a child process
//! over stdio with rmcp 3.11 and `trace_genai::mcp::serve_stdio`.

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use rig_agent::AgentBuilder;
use rig_agent::tool::{DynamicTool, ToolContext};
use rig_core::providers::openai::OpenAIConfig;
use rig_rmcp::rmcp::ServiceExt as _;
use rig_rmcp::{McpMeta, McpTool, Meta};
use trace_genai::trace_genai;
use trace_genai_examples::openai_stand_in::OpenAiStandIn;
use trace_genai_tests::examples::example_binary;
use trace_genai_tests::receiver::OtlpReceiver;
use tracing_subscriber::layer::SubscriberExt as _;

const WAIT: Duration = Duration::from_secs(15);

/// The application's agent: rig runs the model and the MCP tool; the tool context
/// carries the trace context to the tool server (one line).
#[trace_genai(invoke_agent, agent = "weather-agent")]
async fn ask(agent: &rig_agent::Agent, question: &str) -> String {
    let mut context = ToolContext::new();
    context
        .insert(McpMeta(Meta(trace_genai::mcp::meta())))
        .unwrap();
    let response = agent
        .prompt(question)
        .tool_context(context)
        .max_turns(3)
        .await
        .unwrap();
    response.output()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rig_agents_mcp_tool_call_joins_its_trace() {
    let receiver = OtlpReceiver::start();
    let telemetry = trace_genai_tests::harness::builder(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint()),
        ("OTEL_SERVICE_NAME", "rig-agent"),
    ])
    .install()
    .unwrap();
    let _subscriber = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(telemetry.tracing_layer()),
    );
    let model_server = OpenAiStandIn::start();

    // rig-rmcp's client (rmcp 2) on the tool server's stdio.
    let mut command = tokio::process::Command::new(example_binary("mcp_agent"));
    command
        .arg("serve-stdio")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint())
        .env("OTEL_SERVICE_NAME", "weather-mcp");
    let transport = rig_rmcp::rmcp::transport::TokioChildProcess::new(command).unwrap();
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let tool = tools
        .into_iter()
        .find(|tool| tool.name == "get_weather")
        .unwrap();
    let tool =
        DynamicTool::try_from(McpTool::from_mcp_server(tool, client.peer().clone())).unwrap();

    let model = OpenAIConfig::new("not-needed")
        .with_base_url(model_server.base_url())
        .client()
        .chat("gpt-4o-mini");
    let agent = AgentBuilder::new(model)
        .name("weather-agent")
        .preamble("You are a weather assistant. Use the tools to answer.")
        .dynamic_tool(tool)
        .build();
    let answer = ask(&agent, "What is the weather in Paris?").await;
    assert!(answer.contains("sunny"), "{answer}");

    client.cancel().await.unwrap();
    telemetry.shutdown().unwrap();

    // rig's spans, the application's, and the server's three requests and lookup.
    let spans = receiver.wait_for_spans(8, WAIT);
    let agent_span = spans
        .iter()
        .find(|span| span.name == "invoke_agent weather-agent")
        .unwrap();
    let server = spans
        .iter()
        .find(|span| span.name == "tools/call get_weather" && span.kind == SpanKind::Server)
        .unwrap_or_else(|| panic!("no server span: {spans:#?}"));
    assert_eq!(
        server.trace_id, agent_span.trace_id,
        "one trace: {spans:#?}"
    );
    assert_eq!(
        server.parent_span_id, agent_span.span_id,
        "the server's span continues the agent's: {spans:#?}"
    );
    let rig_tool = spans
        .iter()
        .find(|span| span.name == "execute_tool get_weather")
        .unwrap_or_else(|| panic!("no rig tool span: {spans:#?}"));
    assert_eq!(rig_tool.trace_id, agent_span.trace_id);
    assert_eq!(rig_tool.parent_span_id, agent_span.span_id);
    let lookup = spans
        .iter()
        .find(|span| span.name == "execute_tool forecast_lookup")
        .unwrap();
    assert_eq!(lookup.parent_span_id, server.span_id);
}
