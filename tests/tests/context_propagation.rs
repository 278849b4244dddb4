//! One trace across tasks, threads and processes: the `context` helpers carry the
//! caller's span into spawned tasks, blocking tasks and threads (without them, the span
//! is a new root: the failure they prevent); W3C `traceparent` over a real loopback HTTP
//! exchange; scoped conversation ids.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;

use trace_genai::{context, propagation, trace_genai};
use trace_genai_tests::harness::*;

#[trace_genai(execute_tool, tool = "lookup")]
fn lookup() -> u8 {
    1
}

#[trace_genai(invoke_agent, agent = "tokio-agent")]
async fn agent_with_helpers() {
    context::spawn(async { lookup() }).await.unwrap();
    context::spawn_blocking(lookup).await.unwrap();
    context::spawn_thread(lookup).join().unwrap();
    std::thread::scope(|scope| {
        scope.spawn(context::bind(lookup)).join().unwrap();
    });
}

#[trace_genai(invoke_agent, agent = "bare-agent")]
async fn agent_without_helpers() {
    tokio::spawn(async { lookup() }).await.unwrap();
    std::thread::spawn(lookup).join().unwrap();
}

#[test]
fn helpers_carry_the_span_into_tasks_blocking_tasks_and_threads() {
    let ((), spans) = capture_async(agent_with_helpers());
    let agent = spans.one("invoke_agent tokio-agent");
    let tools = spans.all("execute_tool lookup");
    assert_eq!(tools.len(), 4);
    for tool in tools {
        assert_child_of(tool, agent);
    }
}

#[test]
fn without_the_helpers_spawned_work_starts_new_traces() {
    let ((), spans) = capture_async(agent_without_helpers());
    let agent = spans.one("invoke_agent bare-agent");
    let tools = spans.all("execute_tool lookup");
    assert_eq!(tools.len(), 2);
    for tool in tools {
        assert_root(tool);
        assert_ne!(tool.span_context.trace_id(), agent.span_context.trace_id());
    }
}

#[trace_genai(chat, provider = "vllm", model = "llama-3")]
fn call_model_server(address: std::net::SocketAddr) -> String {
    let mut headers = http::HeaderMap::new();
    propagation::inject(&mut headers);
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = String::from("POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\n");
    for (name, value) in &headers {
        request.push_str(name.as_str());
        request.push_str(": ");
        request.push_str(value.to_str().unwrap());
        request.push_str("\r\n");
    }
    request.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[trace_genai(name = "serve_completion", kind = server)]
fn serve_completion() -> &'static str {
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
}

/// A one-request HTTP server: reads the headers, continues the caller's trace.
fn serve_one(listener: &TcpListener) {
    let (mut stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = http::HeaderMap::new();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap(); // request line
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.insert(
            http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    let response = {
        let _attached = propagation::extract(&headers).attach();
        serve_completion()
    };
    stream.write_all(response.as_bytes()).unwrap();
}

#[test]
fn traceparent_over_a_loopback_http_round_trip() {
    let ((), spans) = capture(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || serve_one(&listener));
        let response = call_model_server(address);
        assert!(response.ends_with("ok"), "{response}");
        server.join().unwrap();
    });
    let client = spans.one("chat llama-3");
    let server = spans.one("serve_completion");
    assert_child_of(server, client);
    assert!(server.parent_span_is_remote);
}

#[trace_genai(chat, model = "m")]
fn chat() {}

#[trace_genai(invoke_agent, agent = "helpdesk")]
async fn helpdesk() {
    chat();
    context::spawn(async { chat() }).await.unwrap();
}

#[test]
fn a_scoped_conversation_id_lands_on_every_span_inside_and_none_outside() {
    let ((), spans) = capture_async(async {
        context::in_conversation_async("conv-42", helpdesk()).await;
        chat(); // outside the scope
    });
    let agent = spans.one("invoke_agent helpdesk");
    assert_attr(agent, "gen_ai.conversation.id", "conv-42".to_owned());
    let chats = spans.all("chat m");
    assert_eq!(chats.len(), 3);
    let inside: Vec<_> = chats
        .iter()
        .filter(|span| span.parent_span_id == agent.span_context.span_id())
        .collect();
    assert_eq!(inside.len(), 2);
    for span in inside {
        assert_attr(span, "gen_ai.conversation.id", "conv-42".to_owned());
    }
    let outside = chats
        .iter()
        .find(|span| span.parent_span_id != agent.span_context.span_id())
        .unwrap();
    assert_no_attr(outside, "gen_ai.conversation.id");

    // Sync scopes, nested: the inner value wins; an explicit key on the span wins too.
    let ((), spans) = capture(|| {
        context::in_conversation("outer", || {
            context::with_attributes(
                [opentelemetry::KeyValue::new("app.user.hash", "u-7")],
                || {
                    context::in_conversation("inner", chat);
                },
            );
        });
    });
    let span = spans.one("chat m");
    assert_attr(span, "gen_ai.conversation.id", "inner".to_owned());
    assert_attr(span, "app.user.hash", "u-7".to_owned());
}

// ---- `_meta` of a JSON-RPC request (MCP) ---------------------------------------------------

/// The client side of an MCP `tools/call`: the request it would send, as JSON text.
#[trace_genai(execute_tool, tool = "get_weather", kind = client)]
fn mcp_call_tool() -> String {
    let mut meta = serde_json::Map::new();
    meta.insert("progressToken".to_owned(), serde_json::json!(7));
    propagation::inject_meta(&mut meta);
    serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_weather", "arguments": {"city": "Paris"}, "_meta": meta}})
    .to_string()
}

#[trace_genai(execute_tool, tool = "get_weather", kind = server)]
fn mcp_serve_tool() {}

/// The server side: the request's `_meta` gives the context the tool runs in.
fn mcp_server(request: &str) {
    let request: serde_json::Value = serde_json::from_str(request).unwrap();
    let meta = request["params"]["_meta"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let _attached = propagation::extract_meta(&meta).attach();
    mcp_serve_tool();
}

#[test]
fn trace_context_through_the_meta_of_a_json_rpc_request() {
    let ((), spans) = capture(|| {
        let request = mcp_call_tool();
        let parsed: serde_json::Value = serde_json::from_str(&request).unwrap();
        let meta = &parsed["params"]["_meta"];
        assert_eq!(meta["progressToken"], 7, "other members are kept: {meta}");
        assert!(
            meta["traceparent"].as_str().unwrap().starts_with("00-"),
            "{meta}"
        );
        // Carried as text, as between two processes.
        std::thread::spawn(move || mcp_server(&request))
            .join()
            .unwrap();
    });
    let client = spans
        .all("execute_tool get_weather")
        .into_iter()
        .find(|span| span.span_kind == opentelemetry::trace::SpanKind::Client)
        .unwrap();
    let server = spans
        .all("execute_tool get_weather")
        .into_iter()
        .find(|span| span.span_kind == opentelemetry::trace::SpanKind::Server)
        .unwrap();
    assert_child_of(server, client);
    assert!(server.parent_span_is_remote);

    // A `_meta` without trace context, or with one that is not text, starts no trace of
    // its own: the tool runs in the current context.
    let ((), spans) = capture(|| {
        mcp_server(r#"{"params": {"_meta": {"traceparent": 42}}}"#);
        mcp_server(r#"{"params": {}}"#);
    });
    for span in spans.all("execute_tool get_weather") {
        assert_root(span);
    }
}
