//! Shorthands for writing to the span of the call that is running.
//!
//! A `#[trace_genai]` function's span is the current span of the OpenTelemetry
//! [`Context`] while the function runs, exactly like a span made with the OpenTelemetry
//! API. So there is one way to write to it, the OpenTelemetry API, from the function body
//! or anything it calls (nested plain functions, closures, crates that know nothing of
//! trace-genai), after every `.await`, and from tasks that carry the call's context
//! ([`context::spawn`](crate::context::spawn), [`FutureExt::with_context`]):
//!
//! ```
//! use opentelemetry::trace::{TraceContextExt as _, get_active_span};
//! use trace_genai::{KeyValue, current_span, trace_genai};
//!
//! #[trace_genai(retrieval, data_source = "docs")]
//! fn search(query: &str) -> Vec<String> {
//!     let hits = vec![format!("doc about {query}")];
//!     // The OpenTelemetry API…
//!     get_active_span(|span| span.set_attribute(KeyValue::new("app.search.hits", hits.len() as i64)));
//!     opentelemetry::Context::current().span().add_event("ranked", vec![KeyValue::new("app.ranker", "bm25")]);
//!     // …or the same through these shorthands.
//!     current_span::set_attribute(KeyValue::new("app.search.engine", "bm25"));
//!     hits
//! }
//! # search("rust");
//! ```
//!
//! Writes reach the span itself (on trace-genai's direct path, through the small stand-in
//! the context holds, which hands them to the span as it ends; there is no process-wide
//! table to fill up or wait on), and are kept until the span ends; after that, or outside
//! any span, they do nothing, as for any OpenTelemetry span. Under a span that records
//! nothing (the sampler dropped it) they do nothing either.
//!
//! [`FutureExt::with_context`]: opentelemetry::trace::FutureExt::with_context

use std::borrow::Cow;

use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};

/// Sets an attribute on the current span (`Context::current().span().set_attribute`).
/// Outside any span, does nothing.
pub fn set_attribute(attribute: KeyValue) {
    Context::map_current(|cx| cx.span().set_attribute(attribute));
}

/// Sets attributes on the current span.
pub fn set_attributes(attributes: impl IntoIterator<Item = KeyValue>) {
    Context::map_current(|cx| cx.span().set_attributes(attributes));
}

/// Adds an event to the current span, timestamped now.
pub fn add_event(name: impl Into<Cow<'static, str>>, attributes: Vec<KeyValue>) {
    Context::map_current(|cx| cx.span().add_event(name, attributes));
}

/// The identity of the current span (invalid outside any span).
#[must_use]
pub fn span_context() -> SpanContext {
    Context::map_current(|cx| cx.span().span_context().clone())
}
