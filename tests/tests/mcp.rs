//! The Model Context Protocol across processes: the `mcp_agent` example (an agent whose
//! tool server runs in child processes, over stdio and over streamable HTTP, with rmcp
//! 3.11 on both sides) sends its trace and its children's to an OTLP receiver, and what
//! arrives is one trace: each server's `tools/call get_weather` span is the child of the
//! client's, with the conventions' `mcp.*` attributes, both sides' duration metrics, and
//! tool arguments and results only when content is allowed. A stdio server set up through
//! the integration keeps its stdout for MCP messages whatever the configuration says.
//!
//! Runs the example binaries that `cargo test --workspace --all-features` builds next to
//! this test.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Output, Stdio};
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use trace_genai_tests::examples::{example_binary, without_telemetry_env};
use trace_genai_tests::receiver::{OtlpReceiver, ReceivedMetric, ReceivedSpan};

const WAIT: Duration = Duration::from_secs(15);

/// The spans of one run: the agent's 7 (agent, and per server `initialize`, `tools/list`,
/// `tools/call`), and per server 4 (the three requests and the tool's own lookup).
const SPANS: usize = 15;

/// Runs `mcp_agent` with its telemetry (and, inherited, its servers') sent to `receiver`.
fn run(receiver: &OtlpReceiver, env: &[(&str, &str)]) -> Output {
    let mut command = without_telemetry_env(example_binary("mcp_agent"));
    command.env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "mcp_agent: {output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("answers: sunny, 24 °C | sunny, 24 °C"),
        "{output:?}"
    );
    output
}

/// The span named `name`, of `kind`, over `transport`.
fn one<'a>(
    spans: &'a [ReceivedSpan],
    name: &str,
    kind: SpanKind,
    transport: &str,
) -> &'a ReceivedSpan {
    let found: Vec<_> = spans
        .iter()
        .filter(|span| {
            span.name == name
                && span.kind == kind
                && span.str_attr("network.transport") == Some(transport)
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {kind:?} {transport}: {spans:#?}");
    found[0]
}

/// The duration points of `metric` for `method` over `transport`.
fn points(receiver: &OtlpReceiver, metric: &str, method: &str, transport: &str) -> usize {
    receiver
        .metrics()
        .iter()
        .filter(|m| m.name == metric)
        .flat_map(ReceivedMetric::points)
        .filter(|point| {
            let attr = |key: &str| point.attributes.get(key).and_then(|v| v.as_str());
            attr("mcp.method.name") == Some(method) && attr("network.transport") == Some(transport)
        })
        .count()
}

#[test]
fn an_agent_and_its_mcp_servers_over_stdio_and_http_are_one_trace() {
    let receiver = OtlpReceiver::start();
    run(&receiver, &[]);
    let spans = receiver.wait_for_spans(SPANS, WAIT);
    assert_eq!(spans.len(), SPANS, "{spans:#?}");
    let traces: HashSet<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
    assert_eq!(traces.len(), 1, "more than one trace: {spans:#?}");

    let agent = spans
        .iter()
        .find(|span| span.name == "invoke_agent weather-agent")
        .unwrap();
    assert_eq!(agent.parent_span_id, "", "the agent's span is the root");
    for transport in ["pipe", "tcp"] {
        let client = one(
            &spans,
            "tools/call get_weather",
            SpanKind::Client,
            transport,
        );
        let server = one(
            &spans,
            "tools/call get_weather",
            SpanKind::Server,
            transport,
        );
        assert_eq!(client.parent_span_id, agent.span_id, "{transport}");
        assert_eq!(
            server.parent_span_id, client.span_id,
            "the server's span is the client's child ({transport})"
        );
        for span in [client, server] {
            assert_eq!(span.str_attr("mcp.method.name"), Some("tools/call"));
            assert_eq!(span.str_attr("gen_ai.operation.name"), Some("execute_tool"));
            assert_eq!(span.str_attr("gen_ai.tool.name"), Some("get_weather"));
            assert_eq!(span.str_attr("jsonrpc.request.id"), Some("2"));
            assert!(
                span.str_attr("mcp.protocol.version")
                    .is_some_and(|v| v.starts_with("20")),
                "{span:#?}"
            );
            assert_eq!(span.status_code, StatusCode::Unset, "{span:#?}");
            assert!(span.attr("gen_ai.tool.call.arguments").is_none());
            assert!(span.attr("gen_ai.tool.call.result").is_none());
            assert!(span.attr("error.type").is_none());
        }
        // The tool's own span runs inside the server's.
        let lookup = spans
            .iter()
            .find(|span| {
                span.name == "execute_tool forecast_lookup" && span.parent_span_id == server.span_id
            })
            .unwrap_or_else(|| panic!("no lookup under the {transport} server: {spans:#?}"));
        assert_eq!(lookup.kind, SpanKind::Internal);
        // The handshake and the listing are in the trace too.
        for method in ["initialize", "tools/list"] {
            let client = one(&spans, method, SpanKind::Client, transport);
            let server = one(&spans, method, SpanKind::Server, transport);
            assert_eq!(client.parent_span_id, agent.span_id, "{method} {transport}");
            assert_eq!(
                server.parent_span_id, client.span_id,
                "{method} {transport}"
            );
        }
    }
    // Streamable HTTP has sessions.
    let http_server = one(&spans, "tools/call get_weather", SpanKind::Server, "tcp");
    assert!(
        http_server
            .str_attr("mcp.session.id")
            .is_some_and(|id| !id.is_empty()),
        "{http_server:#?}"
    );

    // Both sides' durations, per transport, and the sessions'.
    let _ = receiver.wait_for_metrics(1, WAIT);
    for transport in ["pipe", "tcp"] {
        for (metric, method) in [
            ("mcp.client.operation.duration", "tools/call"),
            ("mcp.server.operation.duration", "tools/call"),
            ("mcp.client.operation.duration", "initialize"),
            ("mcp.server.operation.duration", "tools/list"),
        ] {
            assert_eq!(
                points(&receiver, metric, method, transport),
                1,
                "{metric} {method} {transport}: {:#?}",
                receiver.metrics()
            );
        }
    }
    for metric in ["mcp.client.session.duration", "mcp.server.session.duration"] {
        assert!(
            receiver.metrics().iter().any(|m| m.name == metric),
            "no {metric}: {:#?}",
            receiver.metrics()
        );
    }

    // No tool argument or result anywhere under the default policy.
    let exported = format!(
        "{:?}\n{:?}\n{:?}",
        receiver.spans(),
        receiver.log_records(),
        receiver.metrics()
    );
    for text in ["Paris", "sunny"] {
        assert!(!exported.contains(text), "{text:?} was exported");
    }
}

#[test]
fn tool_arguments_and_results_cross_only_with_content_on() {
    let receiver = OtlpReceiver::start();
    run(
        &receiver,
        &[(
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "SPAN_ONLY",
        )],
    );
    let spans = receiver.wait_for_spans(SPANS, WAIT);
    for transport in ["pipe", "tcp"] {
        for kind in [SpanKind::Client, SpanKind::Server] {
            let span = one(&spans, "tools/call get_weather", kind, transport);
            let arguments: serde_json::Value =
                serde_json::from_str(span.str_attr("gen_ai.tool.call.arguments").unwrap()).unwrap();
            assert_eq!(
                arguments,
                serde_json::json!({ "city": "Paris" }),
                "{span:#?}"
            );
            assert!(
                span.str_attr("gen_ai.tool.call.result")
                    .is_some_and(|result| result.contains("sunny, 24 °C")),
                "{span:#?}"
            );
        }
    }
}

/// A JSON-RPC line for the server's stdin.
fn line(message: &serde_json::Value) -> String {
    format!("{message}\n")
}

/// A `tools/call` request with id `id`, in the trace of the `traceparent` below.
fn tool_call(id: i64, name: &str, city: &str) -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {
            "name": name,
            "arguments": { "city": city },
            "_meta": { "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        },
    })
}

/// Talks to `mcp_agent serve-stdio` as an MCP host does, by hand (`initialize`, then
/// `get_weather` for Paris), and returns its stdout lines and its stderr.
fn talk_to_stdio_server(env: &[(&str, &str)]) -> (Vec<String>, String) {
    talk_to_stdio_server_with(env, &[tool_call(2, "get_weather", "Paris")])
}

/// The same with `calls`, each answered before the next is sent.
fn talk_to_stdio_server_with(
    env: &[(&str, &str)],
    calls: &[serde_json::Value],
) -> (Vec<String>, String) {
    let mut command = without_telemetry_env(example_binary("mcp_agent"));
    command
        .arg("serve-stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut read_until_id = |stdout: &mut BufReader<std::process::ChildStdout>, id: i64| loop {
        let mut text = String::new();
        assert_ne!(
            stdout.read_line(&mut text).unwrap(),
            0,
            "stdout ended: {lines:?}"
        );
        let done = serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|message| message["id"] == id);
        lines.push(text);
        if done {
            break;
        }
    };
    stdin
        .write_all(
            line(&serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": { "name": "host", "version": "1.0.0" },
                },
            }))
            .as_bytes(),
        )
        .unwrap();
    read_until_id(&mut stdout, 1);
    stdin
        .write_all(
            line(&serde_json::json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
                .as_bytes(),
        )
        .unwrap();
    for call in calls {
        stdin.write_all(line(call).as_bytes()).unwrap();
        read_until_id(&mut stdout, call["id"].as_i64().unwrap());
    }
    // The host goes away: the server ends and flushes its telemetry.
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    lines.extend(rest.lines().map(|line| format!("{line}\n")));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{stderr}");
    (lines, stderr)
}

#[test]
fn a_stdio_mcp_server_writes_only_mcp_messages_on_stdout() {
    // Nothing configured (the console on stdout by default), and stdout asked for.
    for env in [&[][..], &[("TRACE_GENAI_CONSOLE_OUTPUT", "stdout")][..]] {
        let (lines, stderr) = talk_to_stdio_server(env);
        for line in &lines {
            let message: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|_| panic!("not an MCP message on stdout ({env:?}): {line:?}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
        }
        let answered = lines.iter().any(|line| {
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|message| {
                message["id"] == 2 && message.to_string().contains("sunny, 24 °C")
            })
        });
        assert!(answered, "{lines:?}");
        // The telemetry went to stderr, with one warning that says why, and the server's
        // span continues the host's trace from `_meta`.
        assert_eq!(
            stderr.matches("stdout carries the MCP messages").count(),
            1,
            "{stderr}"
        );
        assert!(
            stderr.contains("trace 0af7651916cd43dd8448eb211c80319c"),
            "{stderr}"
        );
        assert!(
            stderr.contains("tools/call get_weather  server"),
            "{stderr}"
        );
    }
}

#[test]
fn a_tool_error_and_a_json_rpc_error_are_the_server_spans_error_type() {
    let receiver = OtlpReceiver::start();
    let (lines, stderr) = talk_to_stdio_server_with(
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint())],
        &[
            tool_call(2, "get_weather", "Atlantis"),
            tool_call(3, "no_such_tool", "Paris"),
        ],
    );
    let reply = |id: i64| {
        lines
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|message| message["id"] == id)
            .unwrap()
    };
    assert_eq!(reply(2)["result"]["isError"], true, "{lines:?}");
    let code = reply(3)["error"]["code"].as_i64().unwrap();
    let spans = receiver.wait_for_spans(4, WAIT);
    let server = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name && span.kind == SpanKind::Server)
            .unwrap_or_else(|| panic!("no {name}: {spans:#?}\n{stderr}"))
    };
    let tool_error = server("tools/call get_weather");
    assert_eq!(tool_error.str_attr("error.type"), Some("tool_error"));
    assert_eq!(tool_error.status_code, StatusCode::Error);
    assert_eq!(tool_error.trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(tool_error.parent_span_id, "b7ad6b7169203331");
    let rpc_error = server("tools/call no_such_tool");
    assert_eq!(
        rpc_error.str_attr("error.type"),
        Some(code.to_string().as_str())
    );
    assert_eq!(
        rpc_error.str_attr("rpc.response.status_code"),
        Some(code.to_string().as_str())
    );
    assert_eq!(rpc_error.status_code, StatusCode::Error);
    let _ = receiver.wait_for_metrics(1, WAIT);
    let failed: Vec<String> = receiver
        .metrics()
        .iter()
        .filter(|m| m.name == "mcp.server.operation.duration")
        .flat_map(ReceivedMetric::points)
        .filter_map(|point| {
            point
                .attributes
                .get("error.type")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(failed.contains(&"tool_error".to_owned()), "{failed:?}");
    assert!(failed.contains(&code.to_string()), "{failed:?}");
}

#[test]
fn the_console_prints_one_tree_for_the_agent_and_its_servers() {
    // Nothing configured: the console tree, which the servers' spans join.
    let output = without_telemetry_env(example_binary("mcp_agent"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stdout.matches("\ntrace ").count(), 1, "one tree: {stdout}");
    assert!(stdout.contains("└─ invoke_agent weather-agent"), "{stdout}");
    // Each server's span under the client's that called it, the lookup under it.
    for nested in [
        "   │  └─ initialize  server",
        "   │  └─ tools/list  server",
        "   │  └─ tools/call get_weather  server",
        "   │     └─ execute_tool forecast_lookup  internal",
        "      └─ tools/call get_weather  server",
        "         └─ execute_tool forecast_lookup  internal",
    ] {
        assert!(stdout.contains(nested), "{nested:?} in {stdout}");
    }
    assert_eq!(
        stdout.matches("tools/call get_weather  server").count(),
        2,
        "{stdout}"
    );
    // The servers wrote to the agent's console, not to their stdout or stderr.
    assert!(!stderr.contains("trace "), "{stderr}");
    assert!(!stderr.contains("stdout carries"), "{stderr}");
}
