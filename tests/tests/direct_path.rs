//! The direct span path (trace-genai's own processors only) against the SDK tracer path (a
//! processor added with `with_span_processor`): the same calls export the same spans
//! (names, kinds, attributes with their types, status, nesting, parents, sampling flags,
//! scope, limits), and each sampler decides the same on both.

use std::collections::BTreeMap;

use futures::{Stream, StreamExt as _};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::InMemoryMetricExporter;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
use trace_genai::config::Config;
use trace_genai::stream::GenAiChunk;
use trace_genai::{GenAiResponse, SamplerConfig, Telemetry, Usage, context, trace_genai};
use trace_genai_tests::harness::{REMOTE_SPAN_ID, REMOTE_TRACE_ID, under_remote_parent};

/// Telemetry is global: tests of this binary install it one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Direct,
    Sdk,
}

/// Metrics are on, so that every call reaches the sampler (no call is skipped up front).
fn install(path: Path, sampler: SamplerConfig, spans: &InMemorySpanExporter) -> Telemetry {
    let builder = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(sampler)
        .with_metric_exporter(InMemoryMetricExporter::default());
    match path {
        Path::Direct => builder.with_span_exporter(spans.clone()),
        Path::Sdk => builder.with_span_processor(SimpleSpanProcessor::new(spans.clone())),
    }
    .install()
    .unwrap()
}

/// Installs telemetry for one path, runs `scenario`, and returns the spans it exported.
/// Telemetry is global: one run at a time.
fn run(path: Path, sampler: SamplerConfig, scenario: impl FnOnce()) -> Vec<SpanData> {
    let _serial = serial();
    let spans = InMemorySpanExporter::default();
    let telemetry = install(path, sampler, &spans);
    scenario();
    telemetry.force_flush().unwrap();
    let finished = spans.get_finished_spans().unwrap();
    telemetry.shutdown().unwrap();
    finished
}

// ---- the calls --------------------------------------------------------------------------

#[derive(Debug)]
struct Reply;

impl GenAiResponse for Reply {
    fn response_id(&self) -> Option<&str> {
        Some("chatcmpl-direct")
    }
    fn response_model(&self) -> Option<&str> {
        Some("gpt-4o-2024-08-06")
    }
    fn finish_reasons(&self) -> Vec<&str> {
        vec!["stop"]
    }
    fn usage(&self) -> Usage {
        Usage {
            cache_read_input_tokens: Some(4),
            ..Usage::new(12, 3)
        }
    }
}

#[trace_genai(chat, provider = "openai", model = "gpt-4o", temperature = 0.5)]
async fn chat(prompt: &str) -> Reply {
    tokio::task::yield_now().await;
    let _ = prompt;
    Reply
}

#[trace_genai(execute_tool)]
fn get_weather(city: &str) -> Result<String, std::io::Error> {
    // A hand-written OpenTelemetry span inside: a child on both paths.
    opentelemetry::global::tracer("app").in_span("geocode", |_| ());
    if city.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no city"));
    }
    Ok(format!("sunny in {city}"))
}

#[trace_genai(invoke_agent, agent = "planner")]
async fn planner(city: &str) -> Result<String, std::io::Error> {
    let _ = chat("weather?").await;
    let _ = get_weather("");
    get_weather(city)
}

#[trace_genai(chat, model = "m")]
fn panics() -> u32 {
    panic!("boom")
}

#[derive(Debug, Clone)]
struct Chunk(u64);

impl GenAiChunk for Chunk {
    fn response_id(&self) -> Option<&str> {
        Some("stream-1")
    }
    fn usage(&self) -> Usage {
        Usage::new(5, self.0)
    }
    fn text(&self) -> Option<&str> {
        Some("x")
    }
}

#[trace_genai(chat, model = "streamer")]
fn streamed() -> impl Stream<Item = Chunk> {
    futures::stream::iter((1..=3).map(Chunk))
}

#[trace_genai(chat, model = "m")]
fn plain(x: u32) -> u32 {
    x + 1
}

/// Every kind of call, under a remote parent, in a scope that adds more attributes than a
/// span may hold.
fn scenario() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(planner("Paris")).unwrap();
    assert!(std::panic::catch_unwind(panics).is_err());
    runtime.block_on(streamed().count());
    // Dropped after one chunk: cancelled.
    runtime.block_on(async { streamed().next().await });

    let many = (0..200).map(|i| KeyValue::new(format!("app.attribute.{i:03}"), i64::from(i)));
    under_remote_parent("01", Some("vendor=opaque"), || {
        context::with_attributes(many, || plain(1));
    });
}

/// What a span is, without its random ids and clock: its parent by name.
#[derive(Debug, PartialEq)]
struct Shape {
    name: String,
    kind: SpanKind,
    parent: String,
    /// The trace of the parent span, or of the remote parent.
    same_trace_as_parent: bool,
    trace_state: String,
    parent_is_remote: bool,
    attributes: BTreeMap<String, Value>,
    dropped_attributes: u32,
    status: Status,
    events: usize,
    links: usize,
    scope: (String, Option<String>, Option<String>),
}

fn shapes(spans: &[SpanData]) -> Vec<Shape> {
    let names: std::collections::HashMap<_, _> = spans
        .iter()
        .map(|span| (span.span_context.span_id(), span.name.to_string()))
        .collect();
    let traces: std::collections::HashMap<_, _> = spans
        .iter()
        .map(|span| (span.span_context.span_id(), span.span_context.trace_id()))
        .collect();
    spans
        .iter()
        .map(|span| Shape {
            name: span.name.to_string(),
            kind: span.span_kind.clone(),
            parent: if span.parent_span_id == opentelemetry::trace::SpanId::INVALID {
                "(root)".to_owned()
            } else {
                names
                    .get(&span.parent_span_id)
                    .cloned()
                    .unwrap_or_else(|| format!("remote {}", span.parent_span_id))
            },
            same_trace_as_parent: traces.get(&span.parent_span_id).map_or_else(
                || span.span_context.trace_id().to_string() == REMOTE_TRACE_ID,
                |trace| *trace == span.span_context.trace_id(),
            ),
            trace_state: span.span_context.trace_state().header(),
            parent_is_remote: span.parent_span_is_remote,
            attributes: span
                .attributes
                .iter()
                .map(|kv| {
                    let value = match kv.key.as_str() {
                        // Measured, so different on every run.
                        "gen_ai.response.time_to_first_chunk" => Value::F64(0.0),
                        _ => kv.value.clone(),
                    };
                    (kv.key.to_string(), value)
                })
                .collect(),
            dropped_attributes: span.dropped_attributes_count,
            status: span.status.clone(),
            events: span.events.len(),
            links: span.links.len(),
            scope: (
                span.instrumentation_scope.name().to_owned(),
                span.instrumentation_scope.version().map(str::to_owned),
                span.instrumentation_scope.schema_url().map(str::to_owned),
            ),
        })
        .collect()
}

#[test]
fn both_paths_export_the_same_spans() {
    let direct = run(Path::Direct, SamplerConfig::ParentBasedAlwaysOn, scenario);
    let sdk = run(Path::Sdk, SamplerConfig::ParentBasedAlwaysOn, scenario);
    let (direct, sdk) = (shapes(&direct), shapes(&sdk));
    assert_eq!(
        direct.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        [
            "chat gpt-4o",
            "geocode",
            "execute_tool get_weather",
            "geocode",
            "execute_tool get_weather",
            "invoke_agent planner",
            "chat m",
            "chat streamer",
            "chat streamer",
            "chat m",
        ]
    );
    for (direct, sdk) in direct.iter().zip(&sdk) {
        assert_eq!(direct, sdk);
    }
    assert_eq!(direct.len(), sdk.len());

    // What the comparison covers, checked once on the direct path.
    let chat = &direct[0];
    assert_eq!(chat.parent, "invoke_agent planner");
    assert_eq!(chat.kind, SpanKind::Client);
    assert_eq!(chat.attributes["gen_ai.usage.input_tokens"], Value::I64(12));
    assert_eq!(direct[1].parent, "execute_tool get_weather");
    assert_eq!(direct[2].status, Status::error(""));
    assert_eq!(direct[6].attributes["error.type"], Value::from("panic"));
    assert_eq!(direct[8].attributes["error.type"], Value::from("cancelled"));
    let limited = &direct[9];
    assert_eq!(limited.parent, format!("remote {REMOTE_SPAN_ID}"));
    assert!(limited.parent_is_remote);
    assert!(limited.same_trace_as_parent);
    assert_eq!(limited.trace_state, "vendor=opaque");
    assert!(direct[..9].iter().all(|span| span.trace_state.is_empty()));
    assert!(
        direct
            .iter()
            .filter(|span| span.parent != "(root)")
            .all(|span| span.same_trace_as_parent)
    );
    assert_eq!(
        limited.attributes.len(),
        128,
        "the SDK's default attribute limit"
    );
    assert!(limited.dropped_attributes > 70);
    assert_eq!(
        chat.scope,
        (
            "trace-genai".to_owned(),
            Some(env!("CARGO_PKG_VERSION").to_owned()),
            Some("https://opentelemetry.io/schemas/1.41.0".to_owned())
        )
    );
}

/// Roots, children of sampled and unsampled remote parents, and children of those.
fn sampling_scenario() {
    #[trace_genai(invoke_agent, agent = "outer")]
    fn outer() -> u32 {
        plain(1)
    }
    outer();
    under_remote_parent("01", None, || {
        outer();
    });
    under_remote_parent("00", None, || {
        outer();
    });
}

#[test]
fn every_sampler_decides_the_same_on_both_paths() {
    let samplers = [
        (SamplerConfig::AlwaysOn, 6),
        (SamplerConfig::AlwaysOff, 0),
        (SamplerConfig::ParentBasedAlwaysOn, 4),
        (SamplerConfig::ParentBasedAlwaysOff, 2),
        (SamplerConfig::TraceIdRatio(1.0), 6),
        (SamplerConfig::TraceIdRatio(0.0), 0),
        (SamplerConfig::ParentBasedTraceIdRatio(1.0), 4),
        (SamplerConfig::ParentBasedTraceIdRatio(0.0), 2),
    ];
    for (sampler, exported) in samplers {
        let direct = shapes(&run(Path::Direct, sampler, sampling_scenario));
        let sdk = shapes(&run(Path::Sdk, sampler, sampling_scenario));
        assert_eq!(direct, sdk, "{sampler:?}");
        assert_eq!(direct.len(), exported, "{sampler:?}: {direct:#?}");
    }
}

#[test]
fn inside_a_call_the_context_carries_the_span_being_recorded() {
    #[trace_genai(chat, model = "m")]
    fn observed() -> (String, String) {
        let cx = opentelemetry::Context::current();
        let span = cx.span();
        (
            span.span_context().trace_id().to_string(),
            span.span_context().span_id().to_string(),
        )
    }
    for path in [Path::Direct, Path::Sdk] {
        let mut seen = None;
        let spans = run(path, SamplerConfig::AlwaysOn, || seen = Some(observed()));
        let (trace_id, span_id) = seen.unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].span_context.trace_id().to_string(), trace_id);
        assert_eq!(spans[0].span_context.span_id().to_string(), span_id);
    }
}

#[test]
fn attributes_and_events_reach_the_current_call_s_span() {
    use trace_genai::current_span;

    fn helper() {
        // A plain function called from the instrumented one.
        current_span::set_attribute(KeyValue::new("app.helper", true));
    }

    #[trace_genai(retrieval, data_source = "docs")]
    fn search(query: &str) -> usize {
        current_span::set_attributes([KeyValue::new(
            "app.query.length",
            i64::try_from(query.len()).unwrap_or(i64::MAX),
        )]);
        current_span::add_event("ranked", vec![KeyValue::new("app.ranker", "bm25")]);
        inner();
        helper();
        3
    }

    #[trace_genai]
    fn inner() {
        current_span::set_attribute(KeyValue::new("app.inner", 1_i64));
    }

    #[trace_genai(chat, model = "m")]
    async fn answer() -> u32 {
        current_span::set_attribute(KeyValue::new("app.before_await", true));
        tokio::task::yield_now().await;
        current_span::set_attribute(KeyValue::new("app.after_await", true));
        1
    }

    for path in [Path::Direct, Path::Sdk] {
        let spans = run(path, SamplerConfig::AlwaysOn, || {
            search("rust");
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(answer());
            // On a span made with OpenTelemetry directly.
            opentelemetry::global::tracer("app").in_span("manual", |_| {
                current_span::set_attribute(KeyValue::new("app.manual", true));
            });
            // Outside any span: nothing, and nothing kept.
            current_span::set_attribute(KeyValue::new("app.nowhere", true));
        });
        let find = |name: &str| spans.iter().find(|s| s.name == name).unwrap();
        let search = find("retrieval docs");
        let keys = |span: &SpanData| -> Vec<String> {
            span.attributes
                .iter()
                .map(|kv| kv.key.to_string())
                .filter(|key| key.starts_with("app."))
                .collect()
        };
        assert_eq!(keys(search), ["app.query.length", "app.helper"], "{path:?}");
        assert_eq!(search.events.len(), 1);
        assert_eq!(search.events[0].name, "ranked");
        assert_eq!(keys(find("inner")), ["app.inner"], "{path:?}");
        assert_eq!(
            keys(find("chat m")),
            ["app.before_await", "app.after_await"],
            "{path:?}"
        );
        assert_eq!(keys(find("manual")), ["app.manual"], "{path:?}");
        assert!(spans.iter().all(|s| keys(s) != ["app.nowhere"]));
    }
}

/// Counts the spans it exports (and keeps counting after shutdown).
#[derive(Debug, Clone, Default)]
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl opentelemetry_sdk::trace::SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0
            .fetch_add(batch.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[trace_genai]
fn has_a_span() -> bool {
    trace_genai::current_span::span_context().is_valid()
}

#[test]
fn every_processor_gets_every_span_and_a_shut_down_provider_gets_none() {
    let _serial = serial();
    let (first, second) = (
        InMemorySpanExporter::default(),
        InMemorySpanExporter::default(),
    );
    let counting = Counting::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_span_exporter(first.clone())
        .with_span_exporter(second.clone())
        .with_span_exporter(counting.clone())
        .install()
        .unwrap();
    plain(1);
    plain(2);
    telemetry.force_flush().unwrap();
    let (a, b) = (
        first.get_finished_spans().unwrap(),
        second.get_finished_spans().unwrap(),
    );
    assert_eq!(a.len(), 2);
    assert_eq!(shapes(&a), shapes(&b));
    assert_eq!(a[0].span_context, b[0].span_context);
    let exported = || counting.0.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(exported(), 2);

    // The provider shut down directly (not through `Telemetry`): no span is made any more,
    // as on the SDK path, and the call runs as before.
    assert!(has_a_span());
    telemetry.tracer_provider().unwrap().shutdown().unwrap();
    assert!(!has_a_span());
    assert_eq!(plain(3), 4);
    drop(telemetry);
    assert_eq!(exported(), 3);
}
