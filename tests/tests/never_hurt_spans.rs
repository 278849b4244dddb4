//! Regression tests for the issue "Never hurt the app, never lose a write": installs that
//! replace each other (defect 2), failed installs (3), writes through the OpenTelemetry API
//! (4), concurrent additions (5), calls dropped while something else panics (10), and a
//! future polled after completion (11). Each test installs its own telemetry.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use trace_genai_tests::harness::serial;

use opentelemetry::trace::{Status, TraceContextExt as _, get_active_span};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData, SpanProcessor};
use trace_genai::config::Config;
use trace_genai::{ContentCapture, SamplerConfig, Telemetry, current_span, trace_genai};

/// Telemetry exporting to `exporter` (behind a batch processor, on the direct path).
fn install(exporter: &InMemorySpanExporter) -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::AlwaysOn)
        .with_span_exporter(exporter.clone())
        .install()
        .unwrap()
}

/// The same, with a span processor of the application's own: the SDK path.
fn install_sdk_path(exporter: &InMemorySpanExporter) -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::AlwaysOn)
        .with_span_processor(opentelemetry_sdk::trace::SimpleSpanProcessor::new(
            exporter.clone(),
        ))
        .install()
        .unwrap()
}

fn spans(telemetry: &Telemetry, exporter: &InMemorySpanExporter) -> Vec<SpanData> {
    telemetry.force_flush().unwrap();
    exporter.get_finished_spans().unwrap()
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
fn chat() -> &'static str {
    "hello"
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", capture(messages = prompt))]
fn chat_with_prompt(prompt: &str) -> String {
    format!("answer to {prompt}")
}

// ----- defect 2: installs that replace each other -----

/// An exporter that keeps what it received after shutdown (the SDK's in-memory one
/// forgets), to tell which pipeline got which spans.
#[derive(Debug, Clone, Default)]
struct Kept(Arc<Mutex<Vec<SpanData>>>);

impl Kept {
    fn spans(&self) -> Vec<SpanData> {
        self.0.lock().unwrap().clone()
    }
}

impl opentelemetry_sdk::trace::SpanExporter for Kept {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

fn install_kept(exporter: &Kept) -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_span_exporter(exporter.clone())
        .install()
        .unwrap()
}

fn flushed(telemetry: &Telemetry, exporter: &Kept) -> Vec<SpanData> {
    telemetry.force_flush().unwrap();
    exporter.spans()
}

#[test]
fn defect_2_dropping_an_older_guard_keeps_the_newer_install() {
    let _serial = serial();
    let (a, b) = (Kept::default(), Kept::default());
    let mut telemetry = install_kept(&a);
    chat();
    assert!(telemetry.tracer_provider().is_some());
    // The old guard is dropped after the new install: it closes its own pipeline only.
    telemetry = install_kept(&b);
    chat();
    chat();
    assert_eq!(a.spans().len(), 1, "a keeps its span");
    assert_eq!(
        flushed(&telemetry, &b).len(),
        2,
        "b receives the later spans"
    );
    telemetry.shutdown().unwrap();
}

#[test]
fn defect_2_two_guards_alive_and_the_first_dropped() {
    let _serial = serial();
    let (a, b) = (Kept::default(), Kept::default());
    let first = install_kept(&a);
    let second = install_kept(&b);
    chat();
    first.shutdown().unwrap();
    chat();
    assert!(a.spans().is_empty());
    assert_eq!(flushed(&second, &b).len(), 2);
    // The live guard's shutdown does turn telemetry off.
    second.shutdown().unwrap();
    chat();
    assert_eq!(b.spans().len(), 2);
}

// ----- defect 3: a failed install changes nothing -----

#[test]
fn defect_3_a_failed_install_changes_nothing() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install(&exporter);
    let failed = Telemetry::builder()
        .with_config(Config::default())
        .with_content_capture(ContentCapture::SpanOnly)
        .with_content_max_length(64)
        .with_otlp("not a url")
        .install();
    assert!(failed.is_err());
    assert_eq!(trace_genai::content_capture(), ContentCapture::NoContent);
    assert_eq!(
        trace_genai::content_max_length(),
        trace_genai::DEFAULT_CONTENT_MAX_LENGTH
    );
    chat_with_prompt("my secret prompt");
    let spans = spans(&telemetry, &exporter);
    assert_eq!(spans.len(), 1, "the running telemetry still exports");
    assert!(
        spans[0]
            .attributes
            .iter()
            .all(|kv| !kv.value.as_str().contains("my secret prompt")),
        "the prompt stays out: {:?}",
        spans[0].attributes
    );
    telemetry.shutdown().unwrap();
}

// ----- defect 4: writes through the OpenTelemetry API -----

#[derive(Debug)]
struct ToolError;

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the tool failed on the user's secret input")
    }
}

impl std::error::Error for ToolError {}

/// Writes through every entry point of the OpenTelemetry API and reports what
/// `is_recording` said.
fn write_through_the_api() -> bool {
    let recording = Context::current().span().is_recording();
    get_active_span(|span| {
        span.set_attribute(KeyValue::new("app.via_get_active_span", 1_i64));
        span.add_event("app.event", vec![KeyValue::new("app.k", "v")]);
    });
    let cx = Context::current();
    let span = cx.span();
    span.set_attribute(KeyValue::new("app.via_context", true));
    span.record_error(&ToolError);
    span.set_status(Status::error("app status"));
    span.update_name("renamed by the app");
    current_span::set_attribute(KeyValue::new("app.via_current_span", "yes"));
    recording
}

#[trace_genai(execute_tool, tool = "lookup")]
fn tool_writing_through_the_api() -> bool {
    nested_plain_function()
}

fn nested_plain_function() -> bool {
    write_through_the_api()
}

#[trace_genai(execute_tool, tool = "lookup")]
async fn async_tool_writing_through_the_api() -> bool {
    tokio::task::yield_now().await;
    write_through_the_api()
}

fn assert_api_writes_arrived(span: &SpanData) {
    assert_eq!(span.name, "renamed by the app");
    assert_eq!(
        attribute(span, "app.via_get_active_span"),
        Some(&Value::I64(1))
    );
    assert_eq!(attribute(span, "app.via_context"), Some(&Value::Bool(true)));
    assert_eq!(
        attribute(span, "app.via_current_span"),
        Some(&Value::from("yes"))
    );
    // A status description is error text, which may echo a prompt: the status stays,
    // its text only with content on spans (the content boundary).
    assert_eq!(span.status, Status::error(""));
    let names: Vec<&str> = span.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(names, ["app.event", "exception"]);
    // The error's text may echo a prompt: kept out while content recording is off.
    let exception = &span.events[1];
    assert!(
        exception
            .attributes
            .iter()
            .all(|kv| kv.key.as_str() != "exception.message"),
        "{:?}",
        exception.attributes
    );
}

#[test]
fn defect_4_opentelemetry_api_writes_reach_the_span_direct_path() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install(&exporter);
    assert!(
        tool_writing_through_the_api(),
        "is_recording inside the call"
    );
    let recorded = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(async_tool_writing_through_the_api());
    assert!(recorded, "is_recording inside the async call");
    let spans = spans(&telemetry, &exporter);
    assert_eq!(spans.len(), 2);
    spans.iter().for_each(assert_api_writes_arrived);
    telemetry.shutdown().unwrap();
}

#[test]
fn defect_4_opentelemetry_api_writes_reach_the_span_sdk_path() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install_sdk_path(&exporter);
    assert!(tool_writing_through_the_api());
    let recorded = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async_tool_writing_through_the_api());
    assert!(recorded);
    let spans = spans(&telemetry, &exporter);
    assert_eq!(spans.len(), 2);
    for span in &spans {
        assert_eq!(span.name, "renamed by the app");
        assert_eq!(
            attribute(span, "app.via_get_active_span"),
            Some(&Value::I64(1))
        );
        assert_eq!(attribute(span, "app.via_context"), Some(&Value::Bool(true)));
        assert_eq!(span.status, Status::error(""));
        assert_eq!(span.events.len(), 2);
    }
    telemetry.shutdown().unwrap();
}

#[trace_genai(name = "keeps_its_context")]
fn keeps_its_context() -> Context {
    Context::current()
}

#[test]
fn defect_4_writes_after_the_span_ended_do_nothing() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install(&exporter);
    let cx = keeps_its_context();
    assert!(!cx.span().is_recording(), "ended");
    cx.span().set_attribute(KeyValue::new("app.late", true));
    let spans = spans(&telemetry, &exporter);
    assert_eq!(spans.len(), 1);
    assert_eq!(attribute(&spans[0], "app.late"), None);
    telemetry.shutdown().unwrap();
}

// ----- defect 5: concurrent additions -----

#[trace_genai(execute_tool, tool = "worker")]
async fn worker(index: i64) {
    for step in 0..5_i64 {
        current_span::set_attribute(KeyValue::new(format!("app.step.{step}"), index));
        tokio::task::yield_now().await;
    }
}

#[test]
fn defect_5_no_addition_is_lost_under_load() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install(&exporter);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap()
        .block_on(async {
            let tasks: Vec<_> = (0..1_000).map(|i| tokio::spawn(worker(i))).collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
    let spans = spans(&telemetry, &exporter);
    assert_eq!(spans.len(), 1_000);
    for span in &spans {
        let steps: Vec<&Value> = (0..5)
            .filter_map(|step| attribute(span, &format!("app.step.{step}")))
            .collect();
        assert_eq!(steps.len(), 5, "every addition of every span is kept");
        assert!(steps.windows(2).all(|pair| pair[0] == pair[1]), "its own");
    }
    telemetry.shutdown().unwrap();
}

// ----- defect 10: a pending call dropped while something else panics -----

#[trace_genai(chat, provider = "openai", model = "gpt-4o")]
async fn slow_llm_call() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_mins(1)).await;
    "never"
}

async fn branch_that_panics() {
    tokio::task::yield_now().await;
    panic!("an unrelated branch failed");
}

#[trace_genai(execute_tool, tool = "boom")]
async fn tool_that_panics() {
    tokio::task::yield_now().await;
    panic!("the tool itself failed");
}

#[test]
fn defect_10_a_call_dropped_during_an_unrelated_panic_is_cancelled() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install(&exporter);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async { tokio::join!(slow_llm_call(), branch_that_panics()) })
    }));
    assert!(joined.is_err());
    let own = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async { tokio::join!(slow_llm_call(), tool_that_panics()) })
    }));
    assert!(own.is_err());
    let spans = spans(&telemetry, &exporter);
    let error_types: Vec<(&str, Option<&Value>)> = spans
        .iter()
        .map(|span| (span.name.as_ref(), attribute(span, "error.type")))
        .collect();
    assert_eq!(
        error_types,
        [
            ("chat gpt-4o", Some(&Value::from("cancelled"))),
            ("execute_tool boom", Some(&Value::from("panic"))),
            ("chat gpt-4o", Some(&Value::from("cancelled"))),
        ]
    );
    telemetry.shutdown().unwrap();
}

// ----- defect 11: a future polled after completion -----

/// A future that is ready every time it is polled.
struct AlwaysReady;

impl Future for AlwaysReady {
    type Output = u8;
    fn poll(self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<u8> {
        Poll::Ready(7)
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", stream)]
async fn stream_call() -> impl Iterator<Item = String> {
    vec!["a".to_owned()].into_iter()
}

async fn plain_call() -> u8 {
    std::future::ready(1).await
}

fn poll_twice<F: Future>(future: F) -> String {
    let mut future = Box::pin(future);
    let waker = std::task::Waker::noop();
    let mut cx = TaskContext::from_waker(waker);
    assert!(future.as_mut().poll(&mut cx).is_ready());
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = future.as_mut().poll(&mut cx);
    }));
    let payload = again.expect_err("polled after completion must not hang");
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn defect_11_instrumented_then_polled_after_completion_behaves_as_async_fn() {
    let _serial = serial();
    let exporter = InMemorySpanExporter::default();
    let telemetry = install(&exporter);
    let expected = poll_twice(plain_call());
    assert_eq!(expected, "`async fn` resumed after completion");
    assert_eq!(poll_twice(stream_call()), expected);
    // Also when the wrapped future itself tolerates a second poll.
    let guard = trace_genai::__private::SpanGuard::disabled();
    let then = trace_genai::__private::InstrumentedThen::new(guard, AlwaysReady, |n, _| n);
    assert_eq!(poll_twice(then), expected);
    telemetry.shutdown().unwrap();
}

// ----- a processor that sees `on_start` keeps seeing the span it is handed -----

/// Counts the spans it saw start and end.
#[derive(Debug, Clone, Default)]
struct Counting(Arc<Mutex<(usize, usize)>>);

impl SpanProcessor for Counting {
    fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &Context) {
        self.0.lock().unwrap().0 += 1;
    }
    fn on_end(&self, _: SpanData) {
        self.0.lock().unwrap().1 += 1;
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}

#[test]
fn defect_4_sdk_path_spans_end_once() {
    let _serial = serial();
    let counting = Counting::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_span_processor(counting.clone())
        .install()
        .unwrap();
    tool_writing_through_the_api();
    chat();
    telemetry.shutdown().unwrap();
    assert_eq!(*counting.0.lock().unwrap(), (2, 2));
}
