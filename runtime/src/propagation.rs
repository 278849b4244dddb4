//! One trace across processes: W3C trace context (`traceparent`, `tracestate`) and
//! baggage in HTTP headers.
//!
//! [`TelemetryBuilder::install`](crate::TelemetryBuilder::install) installs the
//! propagators named by `OTEL_PROPAGATORS` (default `tracecontext,baggage`; `none` turns
//! propagation off). The helpers work on [`http::HeaderMap`], the header type of reqwest,
//! axum, hyper and tonic:
//!
//! - a client calls [`inject`] on its request headers inside the span of the call, so a
//!   model server or another service continues the trace;
//! - a server calls [`extract`] on the incoming headers and runs its handler in the
//!   returned context (`context.attach()`, or
//!   [`FutureExt::with_context`](opentelemetry::context::FutureExt::with_context)), so
//!   the handler's spans are children of the caller's.
//!
//! ```
//! use trace_genai::{propagation, trace_genai};
//!
//! #[trace_genai(chat, provider = "vllm", model = "llama-3")]
//! fn call_model_server() -> http::HeaderMap {
//!     let mut headers = http::HeaderMap::new();
//!     propagation::inject(&mut headers); // traceparent of this chat span
//!     headers // …sent with the request
//! }
//!
//! # let telemetry = trace_genai::Telemetry::builder().with_no_exporter().install().unwrap();
//! let headers = call_model_server();
//! assert!(headers.contains_key("traceparent"));
//! // The server side:
//! let _attached = propagation::extract(&headers).attach();
//! ```
//!
//! JSON-RPC protocols carry no headers: the Model Context Protocol puts the trace context
//! in a request's `params._meta` object, under the same keys (`traceparent`, `tracestate`,
//! `baggage`), as the GenAI conventions' MCP page says. [`inject_meta`] and
//! [`extract_meta`] do for `_meta` what [`inject`] and [`extract`] do for headers, with any
//! MCP implementation whose request parameters expose `_meta` as a JSON object:
//!
//! ```
//! use trace_genai::{propagation, trace_genai};
//!
//! #[trace_genai(execute_tool, tool = "get_weather", kind = client)]
//! fn call_tool() -> serde_json::Value {
//!     let mut meta = serde_json::Map::new();
//!     propagation::inject_meta(&mut meta); // traceparent of this tool call's span
//!     serde_json::json!({"name": "get_weather", "arguments": {"city": "Paris"}, "_meta": meta})
//! }
//!
//! # let telemetry = trace_genai::Telemetry::builder().with_no_exporter().install().unwrap();
//! let params = call_tool();
//! assert!(params["_meta"]["traceparent"].is_string());
//! // The server side, before running the tool:
//! let meta = params["_meta"].as_object().cloned().unwrap_or_default();
//! let _attached = propagation::extract_meta(&meta).attach();
//! ```

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Writes the current context (span and baggage) into `headers`.
pub fn inject(headers: &mut HeaderMap) {
    inject_context(&Context::current(), headers);
}

/// Writes `cx` (span and baggage) into `headers`.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(cx, &mut HeaderInjector(headers));
    });
}

/// The context the caller sent in `headers`, on top of the current one; without trace
/// headers, the current context.
#[must_use]
pub fn extract(headers: &HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    })
}

struct MetaInjector<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl Injector for MetaInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0
            .insert(key.to_owned(), serde_json::Value::String(value));
    }
}

struct MetaExtractor<'a>(&'a serde_json::Map<String, serde_json::Value>);

impl Extractor for MetaExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(serde_json::Value::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Writes the current context (span and baggage) into a JSON-RPC request's `_meta`
/// object (`params._meta` of an MCP request): `traceparent`, `tracestate`, `baggage`.
/// Other members of `meta` are kept.
pub fn inject_meta(meta: &mut serde_json::Map<String, serde_json::Value>) {
    inject_meta_context(&Context::current(), meta);
}

/// Writes `cx` (span and baggage) into a `_meta` object.
pub fn inject_meta_context(cx: &Context, meta: &mut serde_json::Map<String, serde_json::Value>) {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(cx, &mut MetaInjector(meta));
    });
}

/// The context a caller sent in a request's `_meta` object, on top of the current one;
/// without trace context there (or with members that are not strings), the current
/// context.
#[must_use]
pub fn extract_meta(meta: &serde_json::Map<String, serde_json::Value>) -> Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&MetaExtractor(meta))
    })
}

/// Installs the propagators (at install).
pub(crate) fn install(propagators: &[crate::config::Propagator]) {
    use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
    use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
    let list: Vec<Box<dyn TextMapPropagator + Send + Sync>> = propagators
        .iter()
        .map(|propagator| -> Box<dyn TextMapPropagator + Send + Sync> {
            match propagator {
                crate::config::Propagator::TraceContext => Box::new(TraceContextPropagator::new()),
                crate::config::Propagator::Baggage => Box::new(BaggagePropagator::new()),
            }
        })
        .collect();
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(list));
}
