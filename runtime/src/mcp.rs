//! The Model Context Protocol: MCP tool calls across processes in one trace, with the
//! spans and metrics of the conventions (semantic conventions v1.41, `docs/gen-ai/mcp.md`),
//! for the official Rust SDK [`rmcp`] 3.x (built and tested with 3.11).
//!
//! One line on each side:
//!
//! - **Client**: [`connect`] starts an rmcp client over any rmcp transport (a child
//!   process over stdio, streamable HTTP, an in-process duplex) and returns an
//!   [`McpClient`]. Its requests (`initialize`, `tools/list`, `tools/call`,
//!   `resources/read`, `prompts/get`, …) become client spans named
//!   `{mcp.method.name} {target}` (`tools/call get_weather`), children of the span that
//!   made the call, and the span's W3C trace context (`traceparent`, `tracestate`,
//!   `baggage`, as `OTEL_PROPAGATORS` says) goes in the request's `params._meta`.
//! - **Server**: [`Traced`] wraps any rmcp service (a `ServerHandler`):
//!   `Traced::new(handler).serve(transport)`, or [`serve_stdio`] for a stdio server. Each
//!   request becomes a server span whose parent is the context in `params._meta`, and the
//!   handler runs inside it, so the tool's own `#[trace_genai]` spans nest below.
//!
//! Both sides set `mcp.method.name`, `jsonrpc.request.id`, `mcp.protocol.version`,
//! `mcp.session.id` (streamable HTTP), `network.transport` (`pipe` for stdio, `tcp` for
//! HTTP), and for `tools/call` the `execute_tool` attributes (`gen_ai.operation.name`,
//! `gen_ai.tool.name`). A JSON-RPC error sets `error.type` and `rpc.response.status_code`
//! to its code; a tool result with `isError` sets `error.type=tool_error`. Tool arguments
//! and results are message content: `gen_ai.tool.call.arguments` and
//! `gen_ai.tool.call.result` are recorded only when the content policy puts content on
//! spans, and pass the content boundary like every other attribute. Durations go to
//! `mcp.client.operation.duration` / `mcp.server.operation.duration` and, when a session
//! ends, `mcp.client.session.duration` / `mcp.server.session.duration`.
//!
//! A request sent through rmcp's own `Peer` still gets a client span from the transport
//! [`connect`] installs; its parent is the trace context already in the request's `_meta`
//! ([`meta`]), else the span that was current when the session started. rig-rmcp (on rmcp
//! 2) sends its tool calls itself: `McpMeta(Meta(trace_genai::mcp::meta()))` in the rig
//! tool context puts them in the agent's trace.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use rmcp::model::CallToolRequestParams;
//! use rmcp::transport::TokioChildProcess;
//!
//! let child = TokioChildProcess::new(tokio::process::Command::new("weather-mcp"))?;
//! let client = trace_genai::mcp::connect((), child).await?;
//! let result = client
//!     .call_tool(CallToolRequestParams::new("get_weather").with_arguments(
//!         serde_json::json!({ "city": "Paris" }).as_object().cloned().unwrap_or_default(),
//!     ))
//!     .await?;
//! # Ok(()) }
//! ```

mod client;
mod server;

use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::Histogram;

pub use client::{McpClient, TracedTransport, connect};
pub use server::{Traced, serve_stdio};

/// `mcp.method.name` (string): the request or notification method.
pub const MCP_METHOD_NAME: &str = "mcp.method.name";
/// `mcp.session.id` (string): the MCP session.
pub const MCP_SESSION_ID: &str = "mcp.session.id";
/// `mcp.protocol.version` (string): the Model Context Protocol version in use.
pub const MCP_PROTOCOL_VERSION: &str = "mcp.protocol.version";
/// `mcp.resource.uri` (string): the resource of `resources/read` and the like.
pub const MCP_RESOURCE_URI: &str = "mcp.resource.uri";
/// `jsonrpc.request.id` (string): the JSON-RPC id of the request.
pub const JSONRPC_REQUEST_ID: &str = "jsonrpc.request.id";
/// `network.transport` (string): `pipe` (stdio) or `tcp` (HTTP).
pub const NETWORK_TRANSPORT: &str = "network.transport";
/// `rpc.response.status_code` (string): the JSON-RPC error code of a failed request.
pub const RPC_RESPONSE_STATUS_CODE: &str = "rpc.response.status_code";
/// `error.type` of a tool result with `isError`.
pub const ERROR_TYPE_TOOL_ERROR: &str = "tool_error";

/// `mcp.client.operation.duration`, seconds.
pub const MCP_CLIENT_OPERATION_DURATION: &str = "mcp.client.operation.duration";
/// `mcp.server.operation.duration`, seconds.
pub const MCP_SERVER_OPERATION_DURATION: &str = "mcp.server.operation.duration";
/// `mcp.client.session.duration`, seconds.
pub const MCP_CLIENT_SESSION_DURATION: &str = "mcp.client.session.duration";
/// `mcp.server.session.duration`, seconds.
pub const MCP_SERVER_SESSION_DURATION: &str = "mcp.server.session.duration";

/// Explicit bucket boundaries of the four MCP duration histograms (seconds), as the
/// conventions advise.
pub const DURATION_BOUNDARIES: [f64; 14] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// The current trace context as an MCP `_meta` object (`traceparent`, `tracestate`,
/// `baggage`, as `OTEL_PROPAGATORS` says), for a request sent without [`McpClient`]:
/// rig-rmcp's `McpMeta(Meta(trace_genai::mcp::meta()))`, or any rmcp version's
/// `params.meta`.
#[must_use]
pub fn meta() -> serde_json::Map<String, serde_json::Value> {
    let mut meta = serde_json::Map::new();
    crate::propagation::inject_meta(&mut meta);
    meta
}

/// The instruments of one side, from the global meter provider (the one
/// [`install`](crate::TelemetryBuilder::install) sets) when the session starts.
#[derive(Debug, Clone)]
struct Instruments {
    operation: Histogram<f64>,
    session: Histogram<f64>,
}

impl Instruments {
    fn new(operation: &'static str, session: &'static str) -> Self {
        let meter =
            opentelemetry::global::meter_provider().meter_with_scope(crate::semconv::scope());
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(DURATION_BOUNDARIES.to_vec())
                .build()
        };
        Instruments {
            operation: histogram(operation, "MCP request duration"),
            session: histogram(session, "MCP session duration"),
        }
    }
}

/// A session's start and what its duration point carries.
#[derive(Debug)]
struct Session {
    started: Instant,
    protocol_version: Option<String>,
    network_transport: Option<&'static str>,
    recorded: bool,
}

impl Session {
    fn new(network_transport: Option<&'static str>) -> Self {
        Session {
            started: Instant::now(),
            protocol_version: None,
            network_transport,
            recorded: false,
        }
    }

    /// Records the session's duration once.
    fn end(&mut self, instrument: &Histogram<f64>, error: Option<&'static str>) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        let mut attributes = Vec::with_capacity(3);
        if let Some(version) = &self.protocol_version {
            attributes.push(KeyValue::new(MCP_PROTOCOL_VERSION, version.clone()));
        }
        if let Some(transport) = self.network_transport {
            attributes.push(KeyValue::new(NETWORK_TRANSPORT, transport));
        }
        if let Some(error) = error {
            attributes.push(KeyValue::new(crate::semconv::ERROR_TYPE, error));
        }
        instrument.record(self.started.elapsed().as_secs_f64(), &attributes);
    }
}

/// A request's target: the tool or prompt it names, as `(attribute, name)`.
fn target(request: &rmcp::model::ClientRequest) -> Option<(&'static str, String)> {
    use rmcp::model::ClientRequest;
    match request {
        ClientRequest::CallToolRequest(call) => Some((
            crate::semconv::GEN_AI_TOOL_NAME,
            call.params.name.to_string(),
        )),
        ClientRequest::GetPromptRequest(get) => {
            Some((crate::semconv::GEN_AI_PROMPT_NAME, get.params.name.clone()))
        }
        _ => None,
    }
}

/// A request's span name and the attributes both sides put on its span and duration
/// point: `{method} {target}` with `mcp.method.name`, the target's attribute
/// (`gen_ai.tool.name`, `gen_ai.prompt.name`), and for `tools/call` the `execute_tool`
/// operation.
fn base_attributes(
    method: &str,
    target: Option<(&'static str, String)>,
) -> (String, Vec<KeyValue>) {
    let mut attributes = Vec::with_capacity(8);
    attributes.push(KeyValue::new(MCP_METHOD_NAME, method.to_owned()));
    let Some((key, name)) = target else {
        return (method.to_owned(), attributes);
    };
    if key == crate::semconv::GEN_AI_TOOL_NAME {
        attributes.push(KeyValue::new(
            crate::semconv::GEN_AI_OPERATION_NAME,
            "execute_tool",
        ));
    }
    let span_name = format!("{method} {name}");
    attributes.push(KeyValue::new(key, name));
    (span_name, attributes)
}

/// [`base_attributes`] of a client request, and the resource it reads.
fn request_attributes(
    request: &rmcp::model::ClientRequest,
) -> (String, Vec<KeyValue>, Option<String>) {
    let (name, attributes) = base_attributes(request.method(), target(request));
    let resource = match request {
        rmcp::model::ClientRequest::ReadResourceRequest(read) => Some(read.params.uri.clone()),
        _ => None,
    };
    (name, attributes, resource)
}

/// Tool arguments as JSON text, when the content policy puts content on spans.
fn arguments(request: &rmcp::model::ClientRequest) -> Option<String> {
    let rmcp::model::ClientRequest::CallToolRequest(call) = request else {
        return None;
    };
    tool_arguments(&call.params)
}

/// A tool call's arguments as JSON text, when the content policy puts content on spans.
fn tool_arguments(params: &rmcp::model::CallToolRequestParams) -> Option<String> {
    if !crate::genai::content::content_capture().on_spans() {
        return None;
    }
    serde_json::to_string(params.arguments.as_ref()?).ok()
}

/// A tool result as JSON text (structured content if any, else the content blocks), when
/// the content policy puts content on spans.
fn result(result: &rmcp::model::CallToolResult) -> Option<String> {
    if !crate::genai::content::content_capture().on_spans() {
        return None;
    }
    match &result.structured_content {
        Some(structured) => serde_json::to_string(structured).ok(),
        None => serde_json::to_string(&result.content).ok(),
    }
}
