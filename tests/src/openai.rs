//! A loopback OpenAI-compatible server (plain HTTP) that answers as the mock server of
//! OpenTelemetry's GenAI conformance harness does
//! (`open-telemetry/semantic-conventions-conformance`, `tools/gen-ai/mock-server`, OpenAI
//! routes): fixed ids and token counts, the model echoed from the request.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/chat/completions` | `chatcmpl-mock-001`, "This is a response from the mock server.", `stop`, 25 / 12 tokens |
//! | … with `"stream": true` | SSE chunks of `chatcmpl-mock-stream-001`: a role chunk, six text deltas, a last chunk with `stop` and usage 25 / 6, `[DONE]` |
//! | … with `response_format.type = json_schema` | as above, the content `{"location":"Seattle","temperature":1,"conditions":"sunny"}` |
//! | … with tools and no tool result yet | `chatcmpl-mock-002`, a call `call_mock_001` of the first tool with `{"location":"Seattle"}`, `tool_calls`, 50 / 20 |
//! | … asking for audio (`modalities` with `audio`, or `input_audio`) | `chatcmpl-mock-audio-001`, model `gpt-4o-audio-preview`, `message.audio` with a transcript, 40 / 20 |
//! | `POST /v1/embeddings` | one 256-wide vector (or `dimensions`) per input, 8 input tokens per input |

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

/// The text of every plain answer.
pub const ANSWER: &str = "This is a response from the mock server.";

/// The server; it stops when dropped.
#[derive(Debug)]
pub struct MockOpenAi {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl MockOpenAi {
    /// Starts serving on `127.0.0.1`.
    #[must_use]
    pub fn start() -> Self {
        let (runtime, addr) = crate::tls::serve_http("mock-openai", handle);
        MockOpenAi {
            runtime: Some(runtime),
            addr,
        }
    }

    /// `http://127.0.0.1:PORT/v1`: the client's API base.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for MockOpenAi {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

type Answer = crate::tls::HttpResponse;

fn json_answer(body: &Value) -> Answer {
    Response::builder()
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

async fn handle(request: Request<Incoming>) -> Result<Answer, Infallible> {
    let path = request.uri().path().to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok(match path.as_str() {
        "/v1/chat/completions" => chat(&body),
        "/v1/embeddings" => embeddings(&body),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"not found")))
            .expect("a valid response"),
    })
}

fn chat(request: &Value) -> Answer {
    let model = request["model"].as_str().unwrap_or("gpt-4o-mini");
    if request["stream"] == json!(true) {
        return stream(model);
    }
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let wants_audio = request["modalities"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m == "audio"))
        || messages.iter().any(|m| {
            m["content"]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|p| p["type"] == "input_audio"))
        });
    if wants_audio {
        return json_answer(&json!({
            "id": "chatcmpl-mock-audio-001", "object": "chat.completion", "created": 1_700_000_000,
            "model": "gpt-4o-audio-preview",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": null,
                "audio": {"id": "audio-mock-001", "expires_at": 1_700_003_600, "data": "bW9jaw==",
                          "transcript": "This is a mock audio transcript."}}}],
            "usage": {"prompt_tokens": 40, "completion_tokens": 20, "total_tokens": 60,
                      "prompt_tokens_details": {"audio_tokens": 10},
                      "completion_tokens_details": {"audio_tokens": 15}}
        }));
    }
    let tool_answered = messages.iter().any(|m| m["role"] == "tool");
    if let Some(tool) = request["tools"].as_array().and_then(|tools| tools.first())
        && !tool_answered
    {
        return json_answer(&json!({
            "id": "chatcmpl-mock-002", "object": "chat.completion", "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": "call_mock_001", "type": "function", "function": {
                    "name": tool["function"]["name"], "arguments": "{\"location\":\"Seattle\"}"}}]}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}
        }));
    }
    let content = if request["response_format"]["type"] == "json_schema" {
        json!({"location": "Seattle", "temperature": 1, "conditions": "sunny"}).to_string()
    } else {
        ANSWER.to_owned()
    };
    json_answer(&json!({
        "id": "chatcmpl-mock-001", "object": "chat.completion", "created": 1_700_000_000,
        "model": model, "service_tier": "default",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 25, "completion_tokens": 12, "total_tokens": 37}
    }))
}

fn stream(model: &str) -> Answer {
    let chunk = |delta: Value, finish: Value, usage: Value| {
        let mut chunk = json!({
            "id": "chatcmpl-mock-stream-001", "object": "chat.completion.chunk",
            "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        if !usage.is_null() {
            chunk["usage"] = usage;
        }
        format!("data: {chunk}\n\n")
    };
    let mut body = chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
        Value::Null,
    );
    for word in ["This ", "is ", "a ", "mock ", "streamed ", "response."] {
        body.push_str(&chunk(json!({"content": word}), Value::Null, Value::Null));
    }
    body.push_str(&chunk(
        json!({}),
        json!("stop"),
        json!({"prompt_tokens": 25, "completion_tokens": 6, "total_tokens": 31}),
    ));
    body.push_str("data: [DONE]\n\n");
    Response::builder()
        .header(CONTENT_TYPE, "text/event-stream")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

fn embeddings(request: &Value) -> Answer {
    let model = request["model"]
        .as_str()
        .unwrap_or("text-embedding-3-small");
    let inputs = match &request["input"] {
        Value::Array(inputs) => inputs.len(),
        _ => 1,
    };
    let width = request["dimensions"]
        .as_u64()
        .and_then(|w| usize::try_from(w).ok())
        .unwrap_or(256);
    let data: Vec<Value> = (0..inputs)
        .map(
            |index| json!({"index": index, "object": "embedding", "embedding": vec![0.001; width]}),
        )
        .collect();
    let tokens = 8 * inputs;
    json_answer(&json!({
        "object": "list", "model": model, "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
    }))
}
