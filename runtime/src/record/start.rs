//! Where a call's span starts: the fast-path check ([`enabled`]), then the direct path of
//! the [`Recorder`](crate::global::Recorder), the installed SDK tracer, or the global
//! tracer provider.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use opentelemetry::KeyValue;

use crate::global::{
    INSTALLED, Installed, SKIP, SKIP_ALWAYS, SKIP_NEVER, SKIP_UNSAMPLED_PARENT, STATE,
    STATE_GLOBAL, STATE_NOT_INSTALLED,
};

/// Whether instrumented functions should create spans: one relaxed atomic load when
/// telemetry is off; with a parent-based sampler, also a look at the current span.
#[inline]
pub(crate) fn enabled() -> bool {
    if STATE.load(Ordering::Relaxed) & 1 == 0 {
        return false;
    }
    match SKIP.load(Ordering::Relaxed) {
        SKIP_NEVER => true,
        SKIP_ALWAYS => false,
        skip => opentelemetry::Context::map_current(|cx| {
            use opentelemetry::trace::TraceContextExt as _;
            let parent = cx.span();
            let parent = parent.span_context();
            match skip {
                SKIP_UNSAMPLED_PARENT => !parent.is_valid() || parent.is_sampled(),
                _ => parent.is_valid() && parent.is_sampled(),
            }
        }),
    }
}

/// Sends `#[trace_genai]` spans to OpenTelemetry's global tracer provider, for
/// applications that set OpenTelemetry up themselves instead of calling
/// [`init`](crate::init) or [`TelemetryBuilder::install`](crate::TelemetryBuilder::install). Without either, instrumented
/// functions create no spans at all (and cost one atomic load).
pub fn use_global_tracer_provider() {
    let _ = STATE.compare_exchange(
        STATE_NOT_INSTALLED,
        STATE_GLOBAL,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
}

/// Starts a span as a child of `parent`: on the direct path when the installed provider
/// allows it, else with the installed SDK tracer, or with the global tracer provider.
///
/// Returns the context the call runs in and whether the span records. A recording span of
/// the direct path is written into `slot` (it is large: never moved), held by its guard,
/// and the context holds a [`Forward`](crate::record::recorder::Forward) in its place; any other
/// recording span is in the context itself, so that writes through the OpenTelemetry API
/// reach it; a span that does not record gives the context only its identity. `None`
/// once the provider shut down.
pub(crate) fn start_span(
    name: std::borrow::Cow<'static, str>,
    kind: opentelemetry::trace::SpanKind,
    attributes: Vec<KeyValue>,
    parent: &opentelemetry::Context,
    slot: &mut Option<crate::record::recorder::DirectSpan>,
) -> Option<(opentelemetry::Context, bool)> {
    use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _};
    let builder = |name, kind, attributes| opentelemetry::trace::SpanBuilder {
        span_kind: Some(kind),
        attributes: Some(attributes),
        ..opentelemetry::trace::SpanBuilder::from_name(name)
    };
    let installed = INSTALLED.read().unwrap_or_else(PoisonError::into_inner);
    match installed.as_ref() {
        Some(Installed {
            recorder: Some(recorder),
            ..
        }) => {
            recorder.start(name, kind, attributes, parent, slot);
            drop(installed);
            let span = slot.as_ref()?;
            let identity = span.span_context().clone();
            if span.is_recording() {
                Some((
                    parent.with_span(crate::record::recorder::Forward::new(identity)),
                    true,
                ))
            } else {
                *slot = None;
                Some((parent.with_remote_span_context(identity), false))
            }
        }
        Some(Installed {
            tracer: Some(tracer),
            ..
        }) => {
            let span = tracer.build_with_context(builder(name, kind, attributes), parent);
            drop(installed);
            Some(in_context(parent, span))
        }
        _ => {
            drop(installed);
            let tracer = opentelemetry::global::tracer_with_scope(crate::semconv::scope());
            let span = tracer.build_with_context(builder(name, kind, attributes), parent);
            Some(in_context(parent, span))
        }
    }
}

/// The context of a call: `parent` with the span, when it records, or with only its
/// identity (a span the sampler dropped records nothing, and needs no box).
#[inline]
fn in_context<S>(parent: &opentelemetry::Context, span: S) -> (opentelemetry::Context, bool)
where
    S: opentelemetry::trace::Span + Send + Sync + 'static,
{
    use opentelemetry::trace::TraceContextExt as _;
    if span.is_recording() {
        (parent.with_span(span), true)
    } else {
        (
            parent.with_remote_span_context(span.span_context().clone()),
            false,
        )
    }
}
