//! Attributes and events for the span of the call that is running.
//!
//! A `#[trace_genai]` function's span is held by the function itself, not by the
//! OpenTelemetry [`Context`]: the context it runs in carries the span's identity (its
//! [`SpanContext`]), so that spans, log records and outgoing requests made inside are its
//! children, but writing through `Context::current().span()` does nothing. Keeping the
//! span out of the context is what makes an instrumented call cheaper than hand-written
//! OpenTelemetry (see `BENCHMARKS.md`).
//!
//! To add to the span of the current call, use these functions. They work anywhere inside
//! the call on the thread running it (nested plain functions and closures, and after every
//! `.await` of an `async fn`), and on spans made with OpenTelemetry directly too. A task or
//! thread the call starts runs its own code: give it its own `#[trace_genai]` function for
//! a span of its own.
//!
//! ```
//! use trace_genai::{KeyValue, current_span, trace_genai};
//!
//! #[trace_genai(retrieval, data_source = "docs")]
//! fn search(query: &str) -> Vec<String> {
//!     let hits = vec![format!("doc about {query}")];
//!     current_span::set_attribute(KeyValue::new("app.search.hits", hits.len() as i64));
//!     current_span::add_event("ranked", vec![KeyValue::new("app.ranker", "bm25")]);
//!     hits
//! }
//! # search("rust");
//! ```
//!
//! What is added is applied when the call's span ends; until then it waits in a bounded
//! table ([`PENDING_CAPACITY`] entries). Only additions for a call that is running on this
//! thread are taken, so everything in the table belongs to a span that will end and take
//! it. Outside any span, or under a span that records nothing (a remote parent, a span the
//! sampler dropped), an addition does nothing. When nothing was added, a span's end pays
//! one atomic load for this.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};

/// Additions waiting for their span to end, at most; the oldest are dropped beyond it.
pub const PENDING_CAPACITY: usize = 4096;

/// Something added to a span held by its call.
#[derive(Debug)]
enum Addition {
    Attribute(KeyValue),
    Event(Cow<'static, str>, SystemTime, Vec<KeyValue>),
}

thread_local! {
    /// The span of the innermost `#[trace_genai]` call running on this thread.
    static ENTERED: Cell<SpanId> = const { Cell::new(SpanId::INVALID) };
}

/// A call's span is entered on this thread; returns the one it replaces.
#[inline]
pub(crate) fn enter(span: SpanId) -> SpanId {
    ENTERED.with(|entered| entered.replace(span))
}

/// The call's span is left; `outer` is current again.
#[inline]
pub(crate) fn exit(outer: SpanId) {
    ENTERED.with(|entered| entered.set(outer));
}

/// How many additions wait in `PENDING`: spans check this before taking the lock.
static WAITING: AtomicUsize = AtomicUsize::new(0);
static PENDING: Mutex<VecDeque<(SpanId, Addition)>> = Mutex::new(VecDeque::new());

/// Sets an attribute on the current span (the innermost `#[trace_genai]` call, or a span
/// made with OpenTelemetry directly). Outside any span, does nothing.
pub fn set_attribute(attribute: KeyValue) {
    add(Addition::Attribute(attribute));
}

/// Sets attributes on the current span.
pub fn set_attributes(attributes: impl IntoIterator<Item = KeyValue>) {
    for attribute in attributes {
        set_attribute(attribute);
    }
}

/// Adds an event to the current span, timestamped now.
pub fn add_event(name: impl Into<Cow<'static, str>>, attributes: Vec<KeyValue>) {
    add(Addition::Event(
        name.into(),
        opentelemetry::time::now(),
        attributes,
    ));
}

/// The identity of the current span (invalid outside any span).
#[must_use]
pub fn span_context() -> SpanContext {
    Context::map_current(|cx| cx.span().span_context().clone())
}

fn add(addition: Addition) {
    let cx = Context::current();
    let span = cx.span();
    if span.is_recording() {
        // A span the context holds (made with OpenTelemetry directly).
        match addition {
            Addition::Attribute(attribute) => span.set_attribute(attribute),
            Addition::Event(name, timestamp, attributes) => {
                span.add_event_with_timestamp(name, timestamp, attributes);
            }
        }
        return;
    }
    let context = span.span_context();
    let id = context.span_id();
    if !context.is_sampled() || id == SpanId::INVALID || ENTERED.with(Cell::get) != id {
        // No span, one that records nothing, or not a call running here (a remote parent,
        // a span that ended).
        return;
    }
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    if pending.len() >= PENDING_CAPACITY {
        pending.pop_front();
    }
    pending.push_back((id, addition));
    WAITING.store(pending.len(), Ordering::Release);
}

/// Applies what was added for `span` while its call ran; called as the span ends.
#[inline]
pub(crate) fn apply_to(span: &mut impl opentelemetry::trace::Span) {
    if WAITING.load(Ordering::Acquire) == 0 {
        return;
    }
    apply_waiting(span);
}

fn apply_waiting(span: &mut impl opentelemetry::trace::Span) {
    let id = span.span_context().span_id();
    let mine: Vec<Addition> = {
        let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
        if !pending.iter().any(|(owner, _)| *owner == id) {
            return;
        }
        let (mine, others): (VecDeque<_>, VecDeque<_>) =
            pending.drain(..).partition(|(owner, _)| *owner == id);
        *pending = others;
        WAITING.store(pending.len(), Ordering::Release);
        mine.into_iter().map(|(_, addition)| addition).collect()
    };
    for addition in mine {
        match addition {
            Addition::Attribute(attribute) => span.set_attribute(attribute),
            Addition::Event(name, timestamp, attributes) => {
                span.add_event_with_timestamp(name, timestamp, attributes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{TraceFlags, TraceId, TraceState};

    use super::*;

    /// A span that keeps what is set on it.
    #[derive(Debug)]
    struct Recorded(SpanContext, Vec<KeyValue>, Vec<Cow<'static, str>>);

    impl opentelemetry::trace::Span for Recorded {
        fn add_event_with_timestamp<T>(&mut self, name: T, _: SystemTime, _: Vec<KeyValue>)
        where
            T: Into<Cow<'static, str>>,
        {
            self.2.push(name.into());
        }
        fn span_context(&self) -> &SpanContext {
            &self.0
        }
        fn is_recording(&self) -> bool {
            true
        }
        fn set_attribute(&mut self, attribute: KeyValue) {
            self.1.push(attribute);
        }
        fn set_status(&mut self, _: opentelemetry::trace::Status) {}
        fn update_name<T>(&mut self, _: T)
        where
            T: Into<Cow<'static, str>>,
        {
        }
        fn add_link(&mut self, _: SpanContext, _: Vec<KeyValue>) {}
        fn end_with_timestamp(&mut self, _: SystemTime) {}
    }

    fn identity(span: u64) -> SpanContext {
        SpanContext::new(
            TraceId::from(7_u128),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        )
    }

    #[test]
    fn only_a_call_running_on_this_thread_takes_additions() {
        let waiting = || WAITING.load(Ordering::Acquire);
        // A span identity in the context, but no call running here (a remote parent, a
        // span that ended): nothing is kept.
        let _attached = Context::new()
            .with_remote_span_context(identity(1))
            .attach();
        set_attribute(KeyValue::new("app.lost", true));
        add_event("lost", Vec::new());
        assert_eq!(waiting(), 0);

        // The call is running here: its additions wait for its span.
        let outer = enter(SpanId::from(1_u64));
        set_attribute(KeyValue::new("app.kept", true));
        add_event("kept", Vec::new());
        assert_eq!(waiting(), 2);
        exit(outer);

        // Another span ending takes nothing; the call's own span takes everything.
        let mut other = Recorded(identity(2), Vec::new(), Vec::new());
        apply_to(&mut other);
        assert!(other.1.is_empty());
        assert_eq!(waiting(), 2);
        let mut own = Recorded(identity(1), Vec::new(), Vec::new());
        apply_to(&mut own);
        assert_eq!(own.1, [KeyValue::new("app.kept", true)]);
        assert_eq!(own.2, ["kept"]);
        assert_eq!(waiting(), 0);
    }
}
