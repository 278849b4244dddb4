//! A deterministic stand-in for an OpenAI-compatible chat-completions server, on
//! loopback.
//!
//! [`OpenAiStandIn::start`] listens on `127.0.0.1` at a free port, serving from a tokio
//! runtime of its own on a background thread (so it works from sync and async code),
//! and stops when dropped. Point any OpenAI client at [`OpenAiStandIn::base_url`] with
//! any API key.
//!
//! It answers `POST …/chat/completions`, as one JSON reply or, when the request says
//! `"stream": true`, as server-sent chunks ending with `data: [DONE]` (with a last chunk
//! carrying the usage when `stream_options.include_usage` asks for it). The script:
//!
//! - a request that offers tools and holds no tool result yet gets a call of
//!   [`TOOL_NAME`] with the arguments [`TOOL_ARGUMENTS`] (finish reason `tool_calls`);
//! - any other request gets the text [`ANSWER`] (finish reason `stop`).
//!
//! Replies are numbered per server: the n-th reply has the id `chatcmpl-n` (see
//! [`response_id`]), echoes the request's model and reports a usage whose input, output
//! and total token counts differ and are not zero.
//!
//! ```
//! use trace_genai_examples::openai_stand_in::{OpenAiStandIn, response_id};
//!
//! let server = OpenAiStandIn::start();
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert!(server.base_url().ends_with("/v1"));
//! assert!(server.requests().is_empty());
//! assert_eq!(response_id(1), "chatcmpl-1");
//! ```

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The tool the stand-in asks for when the request offers tools.
pub const TOOL_NAME: &str = "get_weather";

/// The arguments of the stand-in's tool call, as JSON text.
pub const TOOL_ARGUMENTS: &str = r#"{"city":"Paris"}"#;

/// The stand-in's text answer.
pub const ANSWER: &str = "It is sunny and 24 °C in Paris.";

/// A fixed creation time for every reply (`created`), so that replies are reproducible.
const CREATED: u64 = 1_767_225_600;

/// The id of the stand-in's `n`-th reply (from 1): `chatcmpl-n`.
#[must_use]
pub fn response_id(n: u64) -> String {
    format!("chatcmpl-{n}")
}

/// A running stand-in server. Dropping it stops the server and joins its thread.
#[derive(Debug)]
pub struct OpenAiStandIn {
    base_url: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// What the server shares with its connections.
#[derive(Debug, Default)]
struct State {
    /// The JSON bodies of the chat-completions requests received, in order.
    requests: Mutex<Vec<Value>>,
    /// The number of replies given so far.
    replies: AtomicU64,
}

impl OpenAiStandIn {
    /// Starts a server on `127.0.0.1` at a free port.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound or the server thread cannot start; see
    /// [`OpenAiStandIn::try_start`] to handle that.
    #[must_use]
    pub fn start() -> Self {
        match Self::try_start() {
            Ok(server) => server,
            Err(error) => panic!("the OpenAI stand-in could not start on loopback: {error}"),
        }
    }

    /// Starts a server on `127.0.0.1` at a free port.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound, or the server's runtime or thread cannot start.
    pub fn try_start() -> io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let state = Arc::new(State::default());
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("openai-stand-in".to_owned())
            .spawn({
                let state = Arc::clone(&state);
                move || runtime.block_on(serve(listener, state, stopped))
            })?;
        Ok(Self {
            base_url: format!("http://{address}/v1"),
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The base URL of the OpenAI API it serves, `http://127.0.0.1:PORT/v1` (no trailing
    /// slash): the chat completions are at `{base_url}/chat/completions`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The JSON bodies of the chat-completions requests received so far, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<Value> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The ids of the replies given so far, in order (`chatcmpl-1`, `chatcmpl-2`, …).
    #[must_use]
    pub fn response_ids(&self) -> Vec<String> {
        (1..=self.state.replies.load(Ordering::SeqCst))
            .map(response_id)
            .collect()
    }
}

impl Drop for OpenAiStandIn {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may have stopped already: nothing to tell it then.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has been reported there already.
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stopped` fires; each is served on its own task.
async fn serve(listener: TcpListener, state: Arc<State>, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            // A client that hangs up early is no concern of the stand-in.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Answers one HTTP request.
async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::POST || !request.uri().path().ends_with("/chat/completions") {
        return error(
            StatusCode::NOT_FOUND,
            "the stand-in serves POST /v1/chat/completions only",
        );
    }
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        }
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the request body is not JSON");
    };
    state
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(body.clone());
    let n = state.replies.fetch_add(1, Ordering::SeqCst) + 1;
    let reply = Reply::for_request(&body, n);
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true);
        respond(
            "text/event-stream",
            reply.stream_chunks(include_usage).join(""),
        )
    } else {
        respond("application/json", reply.whole().to_string())
    }
}

fn respond(content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// An OpenAI-style error reply.
fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = json!({
        "error": { "message": message, "type": "invalid_request_error", "code": null }
    });
    let mut response = respond("application/json", body.to_string());
    *response.status_mut() = status;
    response
}

/// The scripted reply to one request.
#[derive(Debug)]
struct Reply {
    id: String,
    call_id: String,
    model: String,
    content: Content,
    prompt_tokens: u64,
    completion_tokens: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    ToolCall,
    Text,
}

impl Reply {
    fn for_request(body: &Value, n: u64) -> Self {
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let offers_tools = body
            .get("tools")
            .and_then(Value::as_array)
            .is_some_and(|tools| !tools.is_empty());
        let has_tool_result = messages
            .iter()
            .any(|message| message.get("role").and_then(Value::as_str) == Some("tool"));
        let content = if offers_tools && !has_tool_result {
            Content::ToolCall
        } else {
            Content::Text
        };
        // The stand-in's tokenizer: one token per word, plus a fixed overhead for the
        // prompt, so that the input always counts more than the output.
        let prompt_tokens = 20 + messages.iter().map(words_in_message).sum::<u64>();
        let completion_tokens = match content {
            Content::ToolCall => 7,
            Content::Text => words(ANSWER),
        };
        Self {
            id: response_id(n),
            call_id: format!("call_{n}"),
            model: body
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("stand-in")
                .to_owned(),
            content,
            prompt_tokens,
            completion_tokens,
        }
    }

    fn finish_reason(&self) -> &'static str {
        match self.content {
            Content::ToolCall => "tool_calls",
            Content::Text => "stop",
        }
    }

    fn usage(&self) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        })
    }

    fn tool_call(&self) -> Value {
        json!({
            "id": self.call_id,
            "type": "function",
            "function": { "name": TOOL_NAME, "arguments": TOOL_ARGUMENTS },
        })
    }

    /// The non-streaming reply (`chat.completion`).
    fn whole(&self) -> Value {
        let message = match self.content {
            Content::ToolCall => json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [self.tool_call()],
            }),
            Content::Text => json!({ "role": "assistant", "content": ANSWER }),
        };
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": CREATED,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": message,
                "finish_reason": self.finish_reason(),
            }],
            "usage": self.usage(),
        })
    }

    /// One `chat.completion.chunk` as a server-sent event.
    fn chunk(&self, choices: &Value, usage: Option<Value>) -> String {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.model,
            "choices": choices,
        });
        if let Some(usage) = usage {
            chunk["usage"] = usage;
        }
        format!("data: {chunk}\n\n")
    }

    /// The streaming reply: the role, the content in pieces, the finish reason, the
    /// usage when asked for, and `[DONE]`.
    fn stream_chunks(&self, include_usage: bool) -> Vec<String> {
        let delta = |delta: Value| json!([{ "index": 0, "delta": delta, "finish_reason": null }]);
        let mut chunks =
            vec![self.chunk(&delta(json!({ "role": "assistant", "content": "" })), None)];
        match self.content {
            Content::ToolCall => {
                let mut call = self.tool_call();
                call["index"] = json!(0);
                chunks.push(self.chunk(&delta(json!({ "tool_calls": [call] })), None));
            }
            Content::Text => {
                for piece in ANSWER.split_inclusive(' ') {
                    chunks.push(self.chunk(&delta(json!({ "content": piece })), None));
                }
            }
        }
        chunks.push(self.chunk(
            &json!([{ "index": 0, "delta": {}, "finish_reason": self.finish_reason() }]),
            None,
        ));
        if include_usage {
            chunks.push(self.chunk(&json!([]), Some(self.usage())));
        }
        chunks.push("data: [DONE]\n\n".to_owned());
        chunks
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The words of a message's text content, whether a string or a list of parts.
fn words_in_message(message: &Value) -> u64 {
    match message.get("content") {
        Some(Value::String(text)) => words(text),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .map(words)
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_a_tool_call_first_then_answers() {
        let first = json!({
            "model": "m",
            "messages": [{ "role": "user", "content": "Weather in Paris?" }],
            "tools": [{ "type": "function", "function": { "name": "get_weather" } }],
        });
        let reply = Reply::for_request(&first, 1);
        assert_eq!(reply.content, Content::ToolCall);
        assert_eq!(reply.whole()["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(reply.whole()["id"], "chatcmpl-1");

        let mut second = first.clone();
        second["messages"]
            .as_array_mut()
            .expect("an array")
            .push(json!({ "role": "tool", "tool_call_id": "call_1", "content": "sunny" }));
        let reply = Reply::for_request(&second, 2);
        assert_eq!(reply.content, Content::Text);
        let whole = reply.whole();
        assert_eq!(whole["choices"][0]["message"]["content"], ANSWER);
        assert_eq!(whole["model"], "m");
        let usage = &whole["usage"];
        assert_ne!(usage["prompt_tokens"], usage["completion_tokens"]);
    }

    /// One HTTP/1.1 exchange over a plain socket: the status line and the body.
    fn post(server: &OpenAiStandIn, path: &str, body: &str) -> (String, String) {
        use std::io::{Read as _, Write as _};
        let address = server
            .base_url()
            .trim_start_matches("http://")
            .trim_end_matches("/v1");
        let mut stream = std::net::TcpStream::connect(address).expect("the stand-in listens");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer any\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("the request is sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("the response is read");
        let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
        let status = head.lines().next().unwrap_or_default().to_owned();
        (status, body.to_owned())
    }

    #[test]
    fn serves_and_records_over_http() {
        let server = OpenAiStandIn::start();
        let request = r#"{"model":"m","messages":[{"role":"user","content":"Hi"}]}"#;
        let (status, body) = post(&server, "/v1/chat/completions", request);
        assert_eq!(status, "HTTP/1.1 200 OK");
        let reply: Value = serde_json::from_str(&body).expect("a JSON reply");
        assert_eq!(reply["id"], "chatcmpl-1");
        assert_eq!(reply["choices"][0]["message"]["content"], ANSWER);

        let streamed =
            r#"{"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":true}}"#;
        let (status, body) = post(&server, "/v1/chat/completions", streamed);
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(body.contains("chatcmpl-2"));
        assert!(body.contains("data: [DONE]"));

        let (status, _) = post(&server, "/v1/responses", "{}");
        assert_eq!(status, "HTTP/1.1 404 Not Found");

        assert_eq!(server.requests().len(), 2);
        assert_eq!(server.requests()[0]["messages"][0]["content"], "Hi");
        assert_eq!(server.response_ids(), ["chatcmpl-1", "chatcmpl-2"]);
    }

    #[test]
    fn streams_end_with_usage_and_done() {
        let body = json!({ "model": "m", "messages": [], "stream": true });
        let chunks = Reply::for_request(&body, 3).stream_chunks(true);
        assert_eq!(chunks.last().map(String::as_str), Some("data: [DONE]\n\n"));
        assert!(chunks[chunks.len() - 2].contains("\"usage\""));
    }
}
