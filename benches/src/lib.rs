//! The cases compared by the overhead benchmark (`benches/overhead.rs`) and the
//! instruction counts (`src/bin/calls.rs`, `callgrind.sh`): one `chat gpt-4` span with six
//! GenAI attributes (three at start, three from the response) around a trivial body, as
//! in the reference measurements, for each library, with each pipeline ending in the
//! same discarding exporter behind the default batch span processor.

#![allow(
    missing_docs,
    reason = "benchmark cases; each is described by its case name"
)]
#![allow(
    clippy::must_use_candidate,
    clippy::missing_panics_doc,
    reason = "benchmark cases, called by the benchmark and the instruction counter only"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry::trace::{SpanBuilder, SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{KeyValue, global};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use trace_genai::config::Config;
use trace_genai::{GenAiResponse, SamplerConfig, Telemetry, Usage, trace_genai};

// ---- the body and its response ------------------------------------------------------------

#[inline(never)]
pub fn body(a: u64, b: u64) -> u64 {
    black_box(a) + black_box(b)
}

/// What the model call returns: its id (an owned `String`, as a real response) and usage.
#[derive(Debug)]
pub struct Reply {
    pub id: String,
    pub value: u64,
}

impl GenAiResponse for Reply {
    fn response_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn usage(&self) -> Usage {
        Usage::new(12, 3)
    }
}

fn reply(a: u64, b: u64) -> Reply {
    Reply {
        id: String::from("chatcmpl-42"),
        value: body(a, b),
    }
}

// ---- the instrumented functions -------------------------------------------------------------

#[inline(never)]
pub fn bare(a: u64, b: u64) -> Reply {
    reply(a, b)
}

#[inline(never)]
#[trace_genai(chat, provider = "openai", model = "gpt-4")]
pub fn genai(a: u64, b: u64) -> Reply {
    reply(a, b)
}

/// An agent span open around `body`: the model calls inside add to its rollup.
#[inline(never)]
#[trace_genai(invoke_agent, agent = "bench-agent")]
pub fn in_agent(body: impl FnOnce()) {
    body();
}

/// A chat call whose message content is recorded (with content capture on).
#[inline(never)]
#[trace_genai(chat, provider = "openai", model = "gpt-4", capture(messages = prompt))]
pub fn genai_with_content(prompt: &str, a: u64, b: u64) -> Reply {
    let _ = prompt;
    reply(a, b)
}

/// The hand-written OpenTelemetry tracer: the global provider's, looked up once after the
/// provider is installed (a tracer looked up before would stay the no-op one).
pub fn otel_tracer() -> global::BoxedTracer {
    global::tracer("bench")
}

/// Hand-written OpenTelemetry, as the reference.
#[inline(never)]
pub fn otel(tracer: &global::BoxedTracer, a: u64, b: u64) -> Reply {
    let builder = SpanBuilder::from_name("chat gpt-4")
        .with_kind(SpanKind::Client)
        .with_attributes(otel_request_attributes());
    tracer.in_span_with_builder(builder, |cx| {
        let reply = reply(a, b);
        cx.span().set_attributes(otel_response_attributes(&reply));
        reply
    })
}

#[inline(never)]
#[tracing::instrument(
    name = "chat gpt-4",
    skip_all,
    fields(
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4",
        gen_ai.response.id = tracing::field::Empty,
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
    )
)]
pub fn tracing_chat(a: u64, b: u64) -> Reply {
    let reply = reply(a, b);
    record_tracing(&reply);
    reply
}

/// The three attributes known at the start, for hand-written OpenTelemetry.
#[inline]
fn otel_request_attributes() -> Vec<KeyValue> {
    vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.request.model", "gpt-4"),
    ]
}

/// The three attributes from the response, for hand-written OpenTelemetry.
#[inline]
fn otel_response_attributes(reply: &Reply) -> [KeyValue; 3] {
    [
        KeyValue::new("gen_ai.response.id", reply.id.clone()),
        KeyValue::new("gen_ai.usage.input_tokens", 12_i64),
        KeyValue::new("gen_ai.usage.output_tokens", 3_i64),
    ]
}

/// The three attributes from the response, on the current `tracing` span.
#[inline]
fn record_tracing(reply: &Reply) {
    let span = tracing::Span::current();
    span.record("gen_ai.response.id", reply.id.as_str());
    span.record("gen_ai.usage.input_tokens", 12_i64);
    span.record("gen_ai.usage.output_tokens", 3_i64);
}

/// The six attributes, as fastrace properties (strings).
fn fastrace_properties(reply: &Reply) -> [(&'static str, String); 6] {
    [
        ("gen_ai.operation.name", "chat".to_owned()),
        ("gen_ai.provider.name", "openai".to_owned()),
        ("gen_ai.request.model", "gpt-4".to_owned()),
        ("gen_ai.response.id", reply.id.clone()),
        ("gen_ai.usage.input_tokens", 12.to_string()),
        ("gen_ai.usage.output_tokens", 3.to_string()),
    ]
}

#[inline(never)]
#[fastrace::trace(name = "chat gpt-4")]
pub fn fastrace_chat(a: u64, b: u64) -> Reply {
    let reply = reply(a, b);
    fastrace::local::LocalSpan::add_properties(|| fastrace_properties(&reply));
    reply
}

/// Yields once, like a real I/O-bound call.
#[derive(Debug, Default)]
pub struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

#[inline(never)]
#[fastrace::trace(name = "chat gpt-4")]
pub async fn fastrace_chat_async(a: u64, b: u64) -> Reply {
    YieldOnce::default().await;
    let reply = reply(a, b);
    fastrace::local::LocalSpan::add_properties(|| fastrace_properties(&reply));
    reply
}

#[inline(never)]
pub async fn bare_async(a: u64, b: u64) -> Reply {
    YieldOnce::default().await;
    reply(a, b)
}

#[inline(never)]
#[trace_genai(chat, provider = "openai", model = "gpt-4")]
pub async fn genai_async(a: u64, b: u64) -> Reply {
    YieldOnce::default().await;
    reply(a, b)
}

#[inline(never)]
#[tracing::instrument(
    name = "chat gpt-4",
    skip_all,
    fields(
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4",
        gen_ai.response.id = tracing::field::Empty,
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
    )
)]
pub async fn tracing_chat_async(a: u64, b: u64) -> Reply {
    YieldOnce::default().await;
    let reply = reply(a, b);
    record_tracing(&reply);
    reply
}

#[inline(never)]
pub async fn otel_async(tracer: &global::BoxedTracer, a: u64, b: u64) -> Reply {
    use opentelemetry::context::FutureExt as _;
    let span = tracer.build(
        SpanBuilder::from_name("chat gpt-4")
            .with_kind(SpanKind::Client)
            .with_attributes(otel_request_attributes()),
    );
    let cx = opentelemetry::Context::current_with_span(span);
    let reply = async {
        YieldOnce::default().await;
        reply(a, b)
    }
    .with_context(cx.clone())
    .await;
    cx.span().set_attributes(otel_response_attributes(&reply));
    cx.span().end();
    reply
}

// ---- frameworks through the `tracing` bridge ------------------------------------------------

/// An agent run around the model call, as an application instruments it.
#[inline(never)]
#[trace_genai(invoke_agent, agent = "bench")]
pub fn genai_agent(a: u64, b: u64) -> Reply {
    reply(a, b)
}

/// The same agent run, whose model call a framework instruments with `tracing`.
#[inline(never)]
#[trace_genai(invoke_agent, agent = "bench")]
pub fn genai_agent_with_framework_chat(a: u64, b: u64) -> Reply {
    framework_chat(a, b)
}

/// The agent run instrumented with `tracing` (what `tracing-otel-layer` measures, as an
/// agent).
#[inline(never)]
#[tracing::instrument(name = "invoke_agent bench", skip_all, fields(gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "bench"))]
pub fn tracing_agent(a: u64, b: u64) -> Reply {
    reply(a, b)
}

/// The `tracing` agent run with the framework's model call inside.
#[inline(never)]
#[tracing::instrument(name = "invoke_agent bench", skip_all, fields(gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "bench"))]
pub fn tracing_agent_with_framework_chat(a: u64, b: u64) -> Reply {
    framework_chat(a, b)
}

/// A framework's model call, as rig records it: a `tracing` span named after the bare
/// operation, the request's fields at its start, the usage (as `u64`, which
/// `tracing-opentelemetry` exports as text) and the response id once the reply is in.
#[inline(never)]
pub fn framework_chat(a: u64, b: u64) -> Reply {
    let span = tracing::info_span!(
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4",
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
        gen_ai.response.id = tracing::field::Empty,
    );
    let _entered = span.enter();
    let reply = reply(a, b);
    span.record("gen_ai.usage.input_tokens", 57_u64);
    span.record("gen_ai.usage.output_tokens", 7_u64);
    span.record("gen_ai.response.id", reply.id.as_str());
    reply
}

/// trace-genai's `tracing` layer on `telemetry`, in a registry of its own.
#[cfg(feature = "tracing")]
pub fn subscriber_with_bridge(telemetry: &Telemetry) -> impl tracing::Subscriber + Send + Sync {
    use tracing_subscriber::layer::SubscriberExt as _;
    tracing_subscriber::registry().with(
        telemetry
            .tracing_layer()
            .unwrap_or_else(|| panic!("tracing layer: no tracer provider")),
    )
}

/// trace-genai installed as [`install_genai`] does (sampled), with the GenAI metrics
/// recorded and exported to a discarding exporter behind the periodic reader.
pub fn install_genai_with_metrics() -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::ParentBasedAlwaysOn)
        .with_span_exporter(Discard::default())
        .with_metric_exporter(DiscardMetrics)
        .install()
        .unwrap_or_else(|error| panic!("install: {error}"))
}

/// Drops the metrics it receives.
#[derive(Debug)]
pub struct DiscardMetrics;

impl opentelemetry_sdk::metrics::exporter::PushMetricExporter for DiscardMetrics {
    async fn export(
        &self,
        metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
    ) -> OTelSdkResult {
        black_box(metrics);
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
        opentelemetry_sdk::metrics::Temporality::Cumulative
    }
}

// ---- pipelines ----------------------------------------------------------------------------

/// Counts the spans it receives and drops them.
#[derive(Debug, Clone, Default)]
pub struct Discard(pub Arc<AtomicU64>);

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// fastrace's reporter that drops what it gets.
#[derive(Debug)]
pub struct DiscardReporter;

impl fastrace::collector::Reporter for DiscardReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        black_box(spans);
    }
}

/// trace-genai installed with the discarding exporter behind the batch processor.
/// trace-genai sampled, with the span exporter dropping spans, redacting `classes` (and
/// `patterns`) in recorded content.
pub fn install_genai_redacting(
    classes: trace_genai::RedactClasses,
    patterns: &[&str],
) -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::ParentBasedAlwaysOn)
        .with_span_exporter(Discard::default())
        .with_redaction(classes)
        .with_redact_patterns(patterns.iter().copied())
        .install()
        .unwrap_or_else(|error| panic!("install: {error}"))
}

/// trace-genai sampled, with the span exporter dropping spans and the upload hook writing
/// content to files under `dir`.
#[cfg(feature = "upload")]
pub fn install_genai_uploading(dir: &std::path::Path) -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::ParentBasedAlwaysOn)
        .with_span_exporter(Discard::default())
        .with_upload(trace_genai::UploadConfig::new(format!(
            "file://{}",
            dir.display()
        )))
        .install()
        .unwrap_or_else(|error| panic!("install: {error}"))
}

pub fn install_genai(sampled: bool) -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(if sampled {
            SamplerConfig::ParentBasedAlwaysOn
        } else {
            SamplerConfig::AlwaysOff
        })
        .with_span_exporter(Discard::default())
        .install()
        .unwrap_or_else(|error| panic!("install: {error}"))
}

/// trace-genai on the SDK path: a span processor of the application's own (here the same
/// batch processor in front of the same exporter) makes every span go through the SDK
/// tracer, since such a processor may act on span start.
pub fn install_genai_sdk_path() -> Telemetry {
    Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::ParentBasedAlwaysOn)
        .with_span_processor(
            opentelemetry_sdk::trace::BatchSpanProcessor::builder(Discard::default()).build(),
        )
        .install()
        .unwrap_or_else(|error| panic!("install: {error}"))
}

/// A long-running instrumented call on its own thread that has written `additions`
/// attributes to its span and waits, its span open, until the returned sender is dropped:
/// what other threads have pending must not change the cost of a call.
pub fn long_call_with_additions(additions: usize) -> std::sync::mpsc::Sender<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || long_call(additions, &ready_tx, &stop_rx));
    let _ = ready_rx.recv();
    stop_tx
}

#[trace_genai(invoke_agent, agent = "long-running")]
fn long_call(
    additions: usize,
    ready: &std::sync::mpsc::Sender<()>,
    stop: &std::sync::mpsc::Receiver<()>,
) {
    for i in 0..additions {
        trace_genai::current_span::set_attribute(KeyValue::new(
            "app.step",
            i64::try_from(i).unwrap_or(i64::MAX),
        ));
    }
    let _ = ready.send(());
    let _ = stop.recv();
}

/// trace-genai with `OTEL_SDK_DISABLED=true`.
pub fn install_genai_disabled() -> Telemetry {
    let config =
        Config::from_lookup(|name| (name == "OTEL_SDK_DISABLED").then(|| "true".to_owned()))
            .unwrap_or_else(|error| panic!("config: {error}"));
    Telemetry::builder()
        .with_config(config)
        .install()
        .unwrap_or_else(|error| panic!("install: {error}"))
}

/// A hand-written OpenTelemetry provider, made global.
pub fn install_otel(sampled: bool) -> SdkTracerProvider {
    let mut builder = SdkTracerProvider::builder().with_batch_exporter(Discard::default());
    if !sampled {
        builder = builder.with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOff);
    }
    let provider = builder.build();
    global::set_tracer_provider(provider.clone());
    provider
}

/// A `tracing` subscriber with the tracing-opentelemetry layer on its own provider.
pub fn tracing_subscriber_with_otel() -> (impl tracing::Subscriber + Send + Sync, SdkTracerProvider)
{
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(Discard::default())
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
    (tracing_subscriber::registry().with(layer), provider)
}

/// Runs `f` `n` times under a fastrace root span renewed every 1000 calls.
pub fn with_fastrace_roots(n: u64, mut f: impl FnMut(u64)) {
    let mut done = 0;
    while done < n {
        let root = fastrace::Span::root("root", fastrace::collector::SpanContext::random());
        let _guard = root.set_local_parent();
        for i in done..(done + 1000).min(n) {
            f(i);
        }
        done = (done + 1000).min(n);
    }
}
