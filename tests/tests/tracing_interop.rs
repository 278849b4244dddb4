//! `tracing` interop: with `Telemetry::tracing_layer`, `#[tracing::instrument]` spans and
//! `#[trace_genai]` spans form one trace in both directions, sync and async.

use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
use trace_genai::config::Config;
use trace_genai::{SamplerConfig, Telemetry, trace_genai};
use tracing_subscriber::layer::SubscriberExt as _;

#[trace_genai(chat, model = "m")]
fn chat() {
    // A `tracing` span inside a GenAI span.
    let _inner = tracing::info_span!("parse_reply").entered();
}

#[tracing::instrument]
fn handler() {
    chat();
}

#[trace_genai(chat, model = "m")]
async fn chat_async() {
    inner_async().await;
}

#[tracing::instrument]
async fn inner_async() {
    tokio::task::yield_now().await;
}

#[tracing::instrument]
async fn handler_async() {
    tokio::task::yield_now().await;
    chat_async().await;
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<_> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "{name}: {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

fn assert_child(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.span_context.trace_id(),
        parent.span_context.trace_id()
    );
    assert_eq!(
        child.parent_span_id,
        parent.span_context.span_id(),
        "{} should be a child of {}",
        child.name,
        parent.name
    );
}

#[test]
fn tracing_and_genai_spans_nest_both_ways() {
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::builder()
        .with_config(Config::default())
        .with_no_exporter()
        .with_sampler(SamplerConfig::AlwaysOn)
        .with_span_processor(SimpleSpanProcessor::new(exporter.clone()))
        .install()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        handler();
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(handler_async());
    });
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 6, "{spans:#?}");

    // Sync: handler (tracing) → chat (GenAI) → parse_reply (tracing).
    let handler = one(&spans, "handler");
    let chats: Vec<_> = spans.iter().filter(|s| s.name == "chat m").collect();
    let chat = chats
        .iter()
        .find(|s| s.parent_span_id == handler.span_context.span_id())
        .expect("the GenAI span is a child of the tracing handler");
    assert_child(chat, handler);
    assert_child(one(&spans, "parse_reply"), chat);

    // Async: handler_async (tracing) → chat (GenAI) → inner_async (tracing).
    let handler_async = one(&spans, "handler_async");
    let chat_async = chats
        .iter()
        .find(|s| s.parent_span_id == handler_async.span_context.span_id())
        .expect("the async GenAI span is a child of the async tracing handler");
    assert_child(chat_async, handler_async);
    assert_child(one(&spans, "inner_async"), chat_async);
    assert_ne!(
        handler.span_context.trace_id(),
        handler_async.span_context.trace_id()
    );
    telemetry.shutdown().unwrap();
}
