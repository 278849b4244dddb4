//! Async functions: the span covers every poll, nests across `.await`, follows the task
//! (not the thread), and ends exactly once on completion, error, panic or cancellation.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use opentelemetry::trace::SpanKind;
use trace_genai::trace_genai;
use trace_genai_tests::harness::*;

/// Returns `Pending` once, so every instrumented call is polled at least twice.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

#[derive(Debug, Clone, PartialEq)]
struct Doc(String);

#[trace_genai(name = "retrieve_docs", fields(custom_attribute = "value", top_k = i64::try_from(top_k).unwrap_or(i64::MAX)))]
async fn retrieve(query: &str, top_k: usize) -> Vec<Doc> {
    yield_once().await;
    (0..top_k).map(|i| Doc(format!("{query}-{i}"))).collect()
}

#[test]
fn async_fn_with_name_and_fields() {
    let (docs, spans) = capture_async(retrieve("paris", 3));
    assert_eq!(docs[2], Doc("paris-2".to_owned()));
    let span = spans.one("retrieve_docs");
    assert_kind(span, SpanKind::Internal);
    assert_keys(span, &["custom_attribute", "top_k"]);
    assert_attr(span, "custom_attribute", "value");
    assert_attr(span, "top_k", 3_i64);
    assert_ok(span);
}

#[derive(Debug)]
struct ApiError;

struct ChatRequest {
    model: String,
    temperature: f64,
}

#[derive(Debug)]
struct ChatResponse(String);

struct Client {
    fail: bool,
}

impl Client {
    #[trace_genai(chat, provider = "openai", model = req.model.as_str(), temperature = req.temperature)]
    async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, ApiError> {
        yield_once().await;
        if self.fail {
            return Err(ApiError);
        }
        Ok(ChatResponse(format!("hello from {}", req.model)))
    }
}

struct Agent {
    name: String,
    client: Client,
    steps: u32,
}

impl Agent {
    #[trace_genai(invoke_agent, agent = self.name.as_str())]
    async fn run(&mut self, goal: &str) -> Result<String, ApiError> {
        self.steps += 1;
        let req = ChatRequest {
            model: "gpt-4o".to_owned(),
            temperature: 0.2,
        };
        let first = self.client.complete(&req).await?;
        let tool = get_weather(goal).await;
        let second = self.client.complete(&req).await?;
        Ok(format!("{} {tool} {}", first.0, second.0))
    }
}

#[trace_genai(execute_tool, tool = "get_weather")]
async fn get_weather(city: &str) -> String {
    yield_once().await;
    format!("sunny in {city}")
}

#[test]
fn methods_nest_across_await() {
    let mut agent = Agent {
        name: "planner".to_owned(),
        client: Client { fail: false },
        steps: 0,
    };
    let (result, spans) = capture_async(async { agent.run("Paris").await });
    assert!(result.is_ok());
    assert_eq!(agent.steps, 1);
    assert_eq!(
        spans.names(),
        [
            "chat gpt-4o",
            "execute_tool get_weather",
            "chat gpt-4o",
            "invoke_agent planner"
        ]
    );
    let root = spans.one("invoke_agent planner");
    assert_root(root);
    assert_kind(root, SpanKind::Internal);
    assert_attr(root, "gen_ai.agent.name", "planner".to_owned());
    for chat in spans.all("chat gpt-4o") {
        assert_child_of(chat, root);
        assert_kind(chat, SpanKind::Client);
        assert_attr(chat, "gen_ai.provider.name", "openai");
        assert_attr(chat, "gen_ai.request.model", "gpt-4o".to_owned());
        assert_attr(chat, "gen_ai.request.temperature", 0.2_f64);
    }
    assert_child_of(spans.one("execute_tool get_weather"), root);
    // The parent's span covers its children.
    for child in &spans.0[..3] {
        assert!(child.start_time >= root.start_time && child.end_time <= root.end_time);
    }
}

#[test]
fn async_err_propagates_with_question_mark() {
    let mut agent = Agent {
        name: "planner".to_owned(),
        client: Client { fail: true },
        steps: 0,
    };
    let (result, spans) = capture_async(async { agent.run("Paris").await });
    assert!(result.is_err());
    assert_eq!(spans.names(), ["chat gpt-4o", "invoke_agent planner"]);
    assert_error(spans.one("chat gpt-4o"), "span_async::ApiError");
    assert_error(spans.one("invoke_agent planner"), "span_async::ApiError");
}

#[trace_genai(name = "slow")]
async fn slow() -> u32 {
    tokio::time::sleep(Duration::from_mins(1)).await;
    1
}

#[test]
fn timeout_cancels_and_ends_the_span() {
    let (result, spans) =
        capture_async(async { tokio::time::timeout(Duration::from_millis(20), slow()).await });
    assert!(result.is_err());
    let span = spans.one("slow");
    assert_error(span, "cancelled");
    assert_eq!(
        span.status,
        opentelemetry::trace::Status::error("the future was dropped before it completed")
    );
}

#[test]
fn select_loser_is_cancelled_and_winner_is_ok() {
    let (winner, spans) = capture_async(async {
        tokio::select! {
            v = slow() => v,
            v = async { yield_once().await; 2 } => v,
        }
    });
    assert_eq!(winner, 2);
    assert_error(spans.one("slow"), "cancelled");
}

#[test]
fn dropped_after_one_poll_ends_once_and_never_polled_ends_too() {
    let ((), spans) = capture(|| {
        let mut future = Box::pin(retrieve("q", 1));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
        drop(future);
        // Never polled: an `async fn` does nothing until polled, so no span is started.
        drop(retrieve("never", 1));
    });
    assert_eq!(spans.len(), 1);
    assert_error(spans.one("retrieve_docs"), "cancelled");
}

#[trace_genai(name = "async_panics")]
async fn async_panics() -> u32 {
    yield_once().await;
    panic!("secret prompt");
}

#[test]
fn async_panic_is_recorded_even_when_the_runtime_catches_it() {
    let (result, spans) = capture_async(async { tokio::spawn(async_panics()).await });
    assert!(result.unwrap_err().is_panic());
    assert_error(spans.one("async_panics"), "panic");
}

#[trace_genai(invoke_agent, agent = name.as_str())]
async fn task_agent(name: String, model: String) -> String {
    for _ in 0..5 {
        yield_once().await;
        tokio::task::yield_now().await;
    }
    task_chat(&model).await
}

#[trace_genai(chat, model = model)]
async fn task_chat(model: &str) -> String {
    tokio::time::sleep(Duration::from_millis(2)).await;
    model.to_owned()
}

#[test]
fn ten_concurrent_tasks_never_mix_parents() {
    let (answers, spans) = capture_async(async {
        let tasks: Vec<_> = (0..10)
            .map(|i| tokio::spawn(task_agent(format!("agent-{i}"), format!("model-{i}"))))
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    });
    assert_eq!(answers.len(), 10);
    assert_eq!(spans.len(), 20);
    for i in 0..10 {
        let agent = spans.one(&format!("invoke_agent agent-{i}"));
        let chat = spans.one(&format!("chat model-{i}"));
        assert_root(agent);
        assert_child_of(chat, agent);
    }
    let traces: std::collections::HashSet<_> =
        spans.0.iter().map(|s| s.span_context.trace_id()).collect();
    assert_eq!(traces.len(), 10);
}

// ---- generics, impl Trait, traits ------------------------------------------------------

#[trace_genai(embeddings, model = model.as_ref())]
fn embed<M, I>(model: M, inputs: I) -> Vec<f32>
where
    M: AsRef<str>,
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    inputs
        .into_iter()
        .map(|s| f32::from(u8::try_from(s.as_ref().len()).unwrap_or(u8::MAX)))
        .collect()
}

#[trace_genai(name = "chunks")]
fn chunks(text: &str, size: usize) -> impl Iterator<Item = String> + '_ {
    text.as_bytes()
        .chunks(size)
        .map(|c| String::from_utf8_lossy(c).into_owned())
}

#[trace_genai(name = "describe")]
async fn describe(value: impl std::fmt::Display) -> impl std::fmt::Display {
    yield_once().await;
    format!("<{value}>")
}

#[test]
fn generics_where_clauses_and_impl_trait() {
    let ((v, c, d), spans) = capture_async(async {
        let v = embed(String::from("text-embedding-3-small"), ["a", "bb"]);
        let c: Vec<String> = chunks("abcdef", 4).collect();
        let d = describe(42).await.to_string();
        (v, c, d)
    });
    assert_eq!(v, [1.0, 2.0]);
    assert_eq!(c, ["abcd", "ef"]);
    assert_eq!(d, "<42>");
    let span = spans.one("embeddings text-embedding-3-small");
    assert_kind(span, SpanKind::Client);
    assert_attr(
        span,
        "gen_ai.request.model",
        "text-embedding-3-small".to_owned(),
    );
    spans.one("chunks");
    spans.one("describe");
}

trait ChatModel {
    fn model(&self) -> &str;
    async fn answer(&self, question: &str) -> Result<String, ApiError>;
}

struct Local(&'static str);

impl ChatModel for Local {
    fn model(&self) -> &str {
        self.0
    }

    #[trace_genai(chat, provider = "local", model = self.model())]
    async fn answer(&self, question: &str) -> Result<String, ApiError> {
        yield_once().await;
        Ok(question.to_uppercase())
    }
}

#[async_trait::async_trait]
trait Tool: Send + Sync {
    async fn call(&self, input: &str) -> Result<String, ApiError>;
}

struct Calculator {
    name: &'static str,
}

#[async_trait::async_trait]
impl Tool for Calculator {
    #[trace_genai(execute_tool, tool = self.name, tool_type = "function")]
    async fn call(&self, input: &str) -> Result<String, ApiError> {
        yield_once().await;
        let inner = get_weather(input).await;
        if input.is_empty() {
            return Err(ApiError);
        }
        Ok(inner)
    }
}

#[test]
fn native_async_fn_in_trait() {
    let (answer, spans) = capture_async(async { Local("local-llm").answer("hi").await });
    assert_eq!(answer.unwrap(), "HI");
    let span = spans.one("chat local-llm");
    assert_attr(span, "gen_ai.provider.name", "local");
}

#[test]
fn async_trait_methods_instrument_the_inner_future() {
    let tool: Box<dyn Tool> = Box::new(Calculator { name: "calculator" });
    let (result, spans) = capture_async(async move {
        let ok = tool.call("Paris").await;
        let err = tool.call("").await;
        (ok, err)
    });
    assert!(result.0.is_ok() && result.1.is_err());
    let calls = spans.all("execute_tool calculator");
    assert_eq!(calls.len(), 2);
    assert_attr(calls[0], "gen_ai.tool.type", "function");
    assert_ok(calls[0]);
    assert_error(calls[1], "span_async::ApiError");
    // The nested call happened inside the instrumented future.
    let inner = spans.all("execute_tool get_weather");
    assert_eq!(inner.len(), 2);
    assert_child_of(inner[0], calls[0]);
    assert_child_of(inner[1], calls[1]);
}

#[test]
fn spawned_blocking_and_sync_inside_async_nest() {
    #[trace_genai(name = "sync_child")]
    fn sync_child() -> u8 {
        1
    }
    #[trace_genai(name = "async_parent")]
    async fn async_parent() -> u8 {
        yield_once().await;
        sync_child() + sync_child()
    }
    let (v, spans) = capture_async(async_parent());
    assert_eq!(v, 2);
    let parent = spans.one("async_parent");
    for child in spans.all("sync_child") {
        assert_child_of(child, parent);
    }
}
