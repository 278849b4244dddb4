//! The `tracing` bridge: a `tracing-subscriber` layer that records `tracing` spans (of the
//! application and of frameworks such as rig and genai) with the installed tracer
//! provider, so that they and `#[trace_genai]` spans form one trace.
//!
//! Three parts:
//! - [`TracingLayer`], what [`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer)
//!   returns: `tracing-opentelemetry`'s layer over the [`BridgeTracer`], behind a filter
//!   that keeps framework TRACE and DEBUG events (raw request and reply payloads) out of
//!   the export unless [`TracingOptions::with_events`] widens it;
//! - a **stand-in**: while a `#[trace_genai]` function runs, a `tracing` span named
//!   `trace_genai` is the current `tracing` span ([`stand_in`]), so that `tracing` code
//!   nests under the GenAI span (a framework that opens a root span when no `tracing` span
//!   is current, as rig does for its agent, adopts it instead). It is not a span of its
//!   own: the bridge tracer gives it the GenAI span's identity, forwards what is written to
//!   it (under the content policy), and exports nothing for it;
//! - the [`BridgeTracer`], which also leaves out the bridge's noise (code paths into the
//!   cargo registry, thread names, targets, busy and idle times) unless
//!   [`TracingOptions::with_details`] keeps it.
//!
//! The spans it records carry the scope [`TRACING_BRIDGE_SCOPE`](crate::semconv::TRACING_BRIDGE_SCOPE):
//! the GenAI span processor ([`genai::foreign`](crate::genai::foreign)) normalizes them as
//! it does any other instrumentation's spans.

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use opentelemetry::trace::{SpanBuilder, SpanContext, Status, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt as _};
use tracing_subscriber::filter::{Filtered, LevelFilter};
use tracing_subscriber::layer::{Context as LayerContext, Filter};
use tracing_subscriber::registry::LookupSpan;

use crate::genai::boundary::{EVENT_NAME, IN_GENAI_WORK, TRUSTED};
use crate::genai::foreign::COUNTED_BY_PARENT;
use crate::genai::operation::Operation;

/// The name (and target) of the `tracing` span that stands for a `#[trace_genai]` span.
const STAND_IN: &str = "trace_genai";

/// The layer [`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer) returns: add it
/// to a `tracing_subscriber::registry()`.
pub type TracingLayer<S> = Filtered<OpenTelemetryLayer<S, BridgeTracer>, BridgeFilter, S>;

/// What the `tracing` bridge exports beyond spans and their fields, for
/// [`Telemetry::tracing_layer_with`](crate::Telemetry::tracing_layer_with).
///
/// By default: spans and events at INFO and above (frameworks log their raw request and
/// reply payloads at TRACE and DEBUG, and libraries their internals), and no bridge
/// details. Nothing is recorded while telemetry is suppressed (on trace-genai's export
/// threads, whose HTTP and gRPC clients record through `tracing` too).
#[derive(Debug, Clone, Copy)]
pub struct TracingOptions {
    spans: LevelFilter,
    events: LevelFilter,
    details: bool,
    trusted: &'static [&'static str],
}

impl Default for TracingOptions {
    fn default() -> Self {
        TracingOptions {
            spans: LevelFilter::INFO,
            events: LevelFilter::INFO,
            details: false,
            trusted: &[],
        }
    }
}

impl TracingOptions {
    /// Exports `tracing` events up to `level` as span events (`LevelFilter::TRACE` for
    /// all; `LevelFilter::OFF` for none). Framework events below INFO may carry whole
    /// prompts and replies, which the content policy cannot tell from other text: widen
    /// this only where such content may be exported.
    #[must_use]
    pub fn with_events(mut self, level: LevelFilter) -> Self {
        self.events = level;
        self
    }

    /// Exports `tracing` spans up to `level` (`LevelFilter::TRACE` for all). Below INFO,
    /// libraries record their internals (an HTTP/2 connection's frames, a pool's
    /// checkouts): many spans per request.
    #[must_use]
    pub fn with_spans(mut self, level: LevelFilter) -> Self {
        self.spans = level;
        self
    }

    /// Trusts the text of `tracing` events of these targets (a target, or a module path
    /// below it: `"my_app"` covers `my_app::db`) inside GenAI work: their messages and
    /// string fields are exported whatever the content policy. Events of other targets
    /// (frameworks, libraries) inside GenAI work keep their level, numbers and booleans,
    /// and their text only when content goes on spans, since a framework may log a
    /// prompt or a reply.
    #[must_use]
    pub fn with_trusted_targets(mut self, targets: &'static [&'static str]) -> Self {
        self.trusted = targets;
        self
    }

    /// Keeps what `tracing-opentelemetry` adds to every span: code locations inside the
    /// cargo registry, thread id and name, target, level, and busy and idle times.
    #[must_use]
    pub fn with_details(mut self, details: bool) -> Self {
        self.details = details;
        self
    }
}

/// Builds the bridge layer over `tracer` (the installed provider's, with the bridge's
/// scope), and lets `#[trace_genai]` spans look for it from now on.
pub(crate) fn layer<S>(tracer: SdkTracer, options: TracingOptions) -> TracingLayer<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    use tracing_subscriber::Layer as _;
    crate::global::TRACING_BRIDGE.store(true, Ordering::Release);
    tracing_opentelemetry::layer()
        .with_tracer(BridgeTracer {
            inner: tracer,
            details: options.details,
            trusted: options.trusted,
        })
        .with_tracked_inactivity(options.details)
        .with_threads(options.details)
        .with_target(options.details)
        .with_level(options.details)
        .with_filter(BridgeFilter {
            spans: options.spans,
            events: options.events,
        })
}

/// The bridge's per-layer filter: spans and events up to their levels, none while
/// telemetry is suppressed. Also how a `#[trace_genai]` span finds the bridge in the
/// current dispatcher.
#[derive(Debug, Clone, Copy)]
pub struct BridgeFilter {
    spans: LevelFilter,
    events: LevelFilter,
}

impl BridgeFilter {
    fn level_enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        let level = if meta.is_span() {
            self.spans
        } else {
            self.events
        };
        *meta.level() <= level
    }
}

impl<S> Filter<S> for BridgeFilter {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _cx: &LayerContext<'_, S>) -> bool {
        self.level_enabled(meta) && !Context::is_current_telemetry_suppressed()
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // Decided per call for the levels it lets through: suppression is per thread.
        if self.level_enabled(meta) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.spans.max(self.events))
    }

    fn event_enabled(&self, event: &tracing::Event<'_>, _cx: &LayerContext<'_, S>) -> bool {
        // `tracing-opentelemetry` names an event by its message; its callsite's name is
        // kept here for the span the event lands on (see `BridgeSpan`).
        CALLSITE.with(|callsite| callsite.set(Some(event.metadata())));
        true
    }
}

thread_local! {
    /// The metadata of the `tracing` event being recorded on this thread, taken by the
    /// span it lands on.
    static CALLSITE: std::cell::Cell<Option<&'static tracing::Metadata<'static>>> =
        const { std::cell::Cell::new(None) };
}

/// The explicit name of the event being recorded (`tracing::info!(name: "…", …)`), when
/// it has one: an event that `level` says is this one (not an OpenTelemetry API write).
fn callsite_name(attributes: &[KeyValue]) -> Option<&'static str> {
    let metadata = CALLSITE.with(std::cell::Cell::take)?;
    let level = attributes
        .iter()
        .find(|kv| kv.key.as_str() == "level")?
        .value
        .as_str();
    (level == metadata.level().as_str() && !metadata.name().starts_with("event "))
        .then(|| metadata.name())
}

/// Marks the context a stand-in is parented to, so that the [`BridgeTracer`] knows it,
/// with the operation of the `#[trace_genai]` span it stands for. Spans below inherit it
/// (down to the next `#[trace_genai]` span, which brings its own).
#[derive(Debug, Clone, Copy)]
struct StandInParent(Option<Operation>);

/// A `tracing` span standing for the `#[trace_genai]` span of `cx`, when the bridge is in
/// the current `tracing` dispatcher (and its filters let the span through); `None`
/// otherwise, at the cost of one load when no bridge was ever built.
#[inline]
pub(crate) fn stand_in(cx: &Context, operation: Option<Operation>) -> Option<Box<tracing::Span>> {
    if !crate::global::TRACING_BRIDGE.load(Ordering::Relaxed) {
        return None;
    }
    stand_in_slow(cx, operation)
}

#[cold]
fn stand_in_slow(cx: &Context, operation: Option<Operation>) -> Option<Box<tracing::Span>> {
    if !tracing::dispatcher::get_default(tracing::Dispatch::is::<BridgeFilter>) {
        return None;
    }
    let span = tracing::info_span!(target: "trace_genai", "trace_genai");
    if span.is_disabled() {
        return None;
    }
    // Cannot fail: the bridge is in this dispatcher.
    let _ = span.set_parent(cx.with_value(StandInParent(operation)));
    Some(Box::new(span))
}

/// What `tracing-opentelemetry` adds to every span, which the bridge leaves out unless
/// asked to keep it: code locations inside the cargo registry or the standard library
/// (the application's own are kept), and the thread, target, level and timing fields.
fn is_noise(kv: &KeyValue, registry_location: bool) -> bool {
    match kv.key.as_str() {
        "code.file.path" | "code.module.name" | "code.line.number" => registry_location,
        "thread.id" | "thread.name" | "target" | "level" | "busy_ns" | "idle_ns" => true,
        _ => false,
    }
}

/// Whether a span's code location points into a dependency's sources.
fn in_registry(attributes: &[KeyValue]) -> bool {
    attributes.iter().any(|kv| {
        kv.key.as_str() == "code.file.path" && {
            let path = kv.value.as_str();
            path.contains("/.cargo/registry/")
                || path.contains("/cargo/registry/src/")
                || path.contains("\\.cargo\\registry\\")
                || path.starts_with("/rustc/")
        }
    })
}

/// The tracer of the `tracing` bridge: the installed provider's SDK tracer, except for the
/// stand-in of a `#[trace_genai]` span, which becomes that span itself.
#[derive(Debug, Clone)]
pub struct BridgeTracer {
    inner: SdkTracer,
    details: bool,
    trusted: &'static [&'static str],
}

impl opentelemetry::trace::Tracer for BridgeTracer {
    type Span = BridgeSpan;

    fn build_with_context(&self, mut builder: SpanBuilder, parent_cx: &Context) -> BridgeSpan {
        if builder.name == STAND_IN && parent_cx.get::<StandInParent>().is_some() {
            let stand_in = StandIn {
                span_context: parent_cx.span().span_context().clone(),
                cx: parent_cx.clone(),
            };
            for kv in builder.attributes.take().unwrap_or_default() {
                stand_in.set_attribute(kv);
            }
            return BridgeSpan {
                inner: Inner::StandIn(stand_in),
                details: self.details,
                trusted: self.trusted,
            };
        }
        if parent_cx.get::<StandInParent>().is_some() {
            // Below a `#[trace_genai]` span: GenAI work, whatever its own attributes.
            builder
                .attributes
                .get_or_insert_with(Vec::new)
                .push(KeyValue::new(IN_GENAI_WORK, true));
        }
        if let Some(attributes) = &mut builder.attributes {
            if !self.details {
                let registry = in_registry(attributes);
                attributes.retain(|kv| !is_noise(kv, registry));
            }
            // A framework's span of the same operation inside a `#[trace_genai]` span
            // is the same call seen twice: the application's span already counts it. The
            // operation is the span's own, or the one its vocabulary makes it
            // (langchain-rust's `llm.generate` is a `chat`).
            if let Some(StandInParent(Some(operation))) = parent_cx.get::<StandInParent>()
                && (attributes.iter().any(|kv| {
                    kv.key.as_str() == crate::semconv::GEN_AI_OPERATION_NAME
                        && kv.value.as_str() == operation.as_str()
                }) || crate::genai::foreign::vocabulary_operation(&builder.name, attributes)
                    == Some(*operation))
            {
                attributes.push(KeyValue::new(COUNTED_BY_PARENT, true));
            }
        }
        BridgeSpan {
            inner: Inner::Sdk(self.inner.build_with_context(builder, parent_cx)),
            details: self.details,
            trusted: self.trusted,
        }
    }
}

/// A span of the [`BridgeTracer`].
#[derive(Debug)]
pub struct BridgeSpan {
    inner: Inner,
    /// Whether events keep code locations inside the cargo registry.
    details: bool,
    /// Targets whose events' text is trusted.
    trusted: &'static [&'static str],
}

#[derive(Debug)]
enum Inner {
    /// A span of the installed provider.
    Sdk(opentelemetry_sdk::trace::Span),
    /// The stand-in of a `#[trace_genai]` span: writes go to that span.
    StandIn(StandIn),
}

/// The GenAI span a stand-in stands for.
#[derive(Debug)]
struct StandIn {
    /// The GenAI span's identity, which the stand-in's children take as their parent's.
    span_context: SpanContext,
    /// The context holding the GenAI span.
    cx: Context,
}

impl StandIn {
    /// Writes to the GenAI span; the content boundary judges what stays as the span ends.
    fn set_attribute(&self, kv: KeyValue) {
        if !is_noise(&kv, true) {
            self.cx.span().set_attribute(kv);
        }
    }
}

/// Whether `target` is one of `trusted` or a module below one.
fn is_trusted(target: &str, trusted: &[&str]) -> bool {
    trusted.iter().any(|trusted| {
        target
            .strip_prefix(trusted)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

impl opentelemetry::trace::Span for BridgeSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        mut attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        if let Some(name) = callsite_name(&attributes) {
            attributes.push(KeyValue::new(EVENT_NAME, name));
        }
        if !self.trusted.is_empty()
            && attributes.iter().any(|kv| {
                kv.key.as_str() == "target" && is_trusted(&kv.value.as_str(), self.trusted)
            })
        {
            attributes.push(KeyValue::new(TRUSTED, true));
        }
        if !self.details {
            // An event keeps its level (its only severity on a span) but not its target,
            // nor a code location inside the cargo registry.
            let registry = in_registry(&attributes);
            attributes.retain(|kv| {
                let key = kv.key.as_str();
                key != "target" && !(registry && key.starts_with("code."))
            });
        }
        match &mut self.inner {
            Inner::Sdk(span) => span.add_event_with_timestamp(name, timestamp, attributes),
            // To the GenAI span; the content boundary judges what stays as it ends.
            Inner::StandIn(stand_in) => {
                stand_in
                    .cx
                    .span()
                    .add_event_with_timestamp(name, timestamp, attributes);
            }
        }
    }

    fn span_context(&self) -> &SpanContext {
        match &self.inner {
            Inner::Sdk(span) => span.span_context(),
            Inner::StandIn(stand_in) => &stand_in.span_context,
        }
    }

    fn is_recording(&self) -> bool {
        match &self.inner {
            Inner::Sdk(span) => span.is_recording(),
            Inner::StandIn(stand_in) => stand_in.cx.span().is_recording(),
        }
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        match &mut self.inner {
            Inner::Sdk(span) => span.set_attribute(attribute),
            Inner::StandIn(stand_in) => stand_in.set_attribute(attribute),
        }
    }

    fn set_status(&mut self, status: Status) {
        match &mut self.inner {
            Inner::Sdk(span) => span.set_status(status),
            // The GenAI span's status is its function's outcome; the bridge closes the
            // stand-in with `Unset`.
            Inner::StandIn(_) => {}
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        match &mut self.inner {
            Inner::Sdk(span) => span.update_name(new_name),
            Inner::StandIn(_) => {}
        }
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        match &mut self.inner {
            Inner::Sdk(span) => span.add_link(span_context, attributes),
            Inner::StandIn(_) => {}
        }
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        match &mut self.inner {
            Inner::Sdk(span) => span.end_with_timestamp(timestamp),
            // The GenAI span ends with its function.
            Inner::StandIn(_) => {}
        }
    }
}
