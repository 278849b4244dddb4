//! The direct span path: spans of the provider trace-genai installed, recorded without
//! going through the SDK tracer.
//!
//! When every span processor of the installed provider is one trace-genai built (batch
//! processors in front of its exporters, or in front of an exporter given to
//! [`with_span_exporter`](crate::TelemetryBuilder::with_span_exporter)), none of them
//! looks at a span when it starts. A `#[trace_genai]` span then never needs the SDK's
//! `Span`: [`Recorder::start`] samples it with the installed sampler, gives it ids from
//! the SDK's id generator and keeps its attributes in one list, and [`DirectSpan`] hands
//! the finished [`SpanData`] to the same processors the provider uses. Exporters receive
//! exactly what the SDK would have built; the SDK tracer's boxing, locking and per-span
//! copies are skipped.
//!
//! A processor added with [`with_span_processor`](crate::TelemetryBuilder::with_span_processor)
//! may act on span start (`on_start` gets the SDK's `Span`), so with one installed every
//! span takes the SDK path instead.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    IdGenerator as _, RandomIdGenerator, SamplingDecision, ShouldSample as _, SpanData, SpanEvents,
    SpanLimits, SpanLinks, SpanProcessor,
};

use crate::config::SamplerConfig;
use crate::global::{Decide, HANDED_COUNT, Recorder};

/// A span processor shared by the SDK provider and the [`Recorder`]: both hand it the spans
/// they end, and the provider flushes and shuts it down.
#[derive(Debug)]
pub(crate) struct SharedProcessor {
    processor: Arc<dyn SpanProcessor>,
    /// Set when the provider shuts its processors down, however that happens (its
    /// `shutdown`, or its last clone dropped): the recorder stops too.
    shut_down: Arc<AtomicBool>,
    /// The first processor of the provider: it also records the metrics and response id
    /// of other instrumentation's GenAI spans (once per span, whatever the number of
    /// processors).
    first: bool,
}

impl SpanProcessor for SharedProcessor {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &Context) {
        if self.first && crate::genai::rollup::any_open() {
            use opentelemetry::trace::Span as _;
            // Inside an agent or workflow span: its model calls add to the agent's totals.
            crate::genai::rollup::foreign_started(
                span.span_context().span_id(),
                cx.span().span_context().span_id(),
            );
        }
        self.processor.on_start(span, cx);
    }

    /// Spans of the SDK path: trace-genai's own when a processor of the application is
    /// installed, and every span of other instrumentation (the `tracing` bridge, other
    /// crates' OpenTelemetry API), which the GenAI span processor
    /// ([`genai::foreign`](crate::genai::foreign)) brings under the conventions and the
    /// content policy first.
    fn on_end(&self, mut span: SpanData) {
        if crate::genai::foreign::is_foreign(&span) {
            let counted = crate::genai::foreign::normalize(&mut span, self.first);
            if self.first {
                crate::genai::foreign::observe(&span, counted);
            }
        } else {
            // trace-genai's own span on the SDK path: whatever wrote to it, the content
            // boundary decides what stays.
            crate::genai::boundary::own_sdk_span(&mut span, self.first);
        }
        self.processor.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.processor.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        self.processor.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, _resource: &opentelemetry_sdk::Resource) {
        // Set on the processor before it was shared (`Recorder::share`).
    }
}

impl Recorder {
    /// A recorder for these processors (shared with [`Recorder::share`] and `shut_down`)
    /// and this sampler.
    pub(crate) fn new(
        processors: Vec<Arc<dyn SpanProcessor>>,
        sampler: SamplerConfig,
        limits: SpanLimits,
        shut_down: Arc<AtomicBool>,
    ) -> Self {
        Recorder {
            processors: processors.into_boxed_slice(),
            decide: crate::record::shortcut::decide(&sampler),
            sampler: sampler.to_sampler(),
            limits,
            shut_down,
        }
    }

    /// Sets `resource` on `processor` and shares it: the returned processor goes to the
    /// SDK provider (and sets `shut_down` when the provider shuts it down), the `Arc` to
    /// the recorder.
    pub(crate) fn share(
        mut processor: Box<dyn SpanProcessor>,
        resource: &opentelemetry_sdk::Resource,
        shut_down: &Arc<AtomicBool>,
        first: bool,
    ) -> (SharedProcessor, Arc<dyn SpanProcessor>) {
        processor.set_resource(resource);
        let shared: Arc<dyn SpanProcessor> = Arc::from(processor);
        (
            SharedProcessor {
                processor: Arc::clone(&shared),
                shut_down: Arc::clone(shut_down),
                first,
            },
            shared,
        )
    }

    /// Starts a span as a child of `parent`, into `slot` (the span is large: written in
    /// place, never moved). The span does not record when the sampler drops it; it still
    /// carries the identity its children need. Once the provider shut down, there is no
    /// span (as the SDK makes no span then).
    ///
    /// `#[inline]`: its one caller, `record::start::start_span`, is in another module, and
    /// only an inline function is inlined across codegen units (measured: about 40
    /// instructions per sampled call).
    #[inline]
    pub(crate) fn start(
        self: &Arc<Self>,
        name: Cow<'static, str>,
        kind: SpanKind,
        attributes: Vec<KeyValue>,
        parent: &Context,
        slot: &mut Option<DirectSpan>,
    ) {
        if self.shut_down.load(Ordering::Relaxed) {
            return;
        }
        let parent_span = parent.span();
        let parent_context = parent_span.span_context();
        let parent_valid = parent_context.is_valid();
        let trace_id = if parent_valid {
            parent_context.trace_id()
        } else {
            RandomIdGenerator::default().new_trace_id()
        };
        let span_id = RandomIdGenerator::default().new_span_id();
        // As the SDK's samplers: the parent's trace state, and a parent-based decision
        // whenever the context has a span (an invalid one counts as unsampled).
        let parent_state = || parent_context.trace_state().clone();
        let mut attributes = attributes;
        let (decision, trace_state) = match self.decide {
            Decide::AlwaysOn => (SamplingDecision::RecordAndSample, parent_state()),
            Decide::ParentBasedAlwaysOn => (
                if !parent.has_active_span() || parent_context.is_sampled() {
                    SamplingDecision::RecordAndSample
                } else {
                    SamplingDecision::Drop
                },
                parent_state(),
            ),
            Decide::Sampler => {
                let result = self.sampler.should_sample(
                    Some(parent),
                    trace_id,
                    &name,
                    &kind,
                    &attributes,
                    &[],
                );
                attributes.extend(result.attributes);
                (result.decision, result.trace_state)
            }
        };
        let flags = if parent_valid {
            parent_context.trace_flags()
        } else {
            TraceFlags::default()
        };
        let (recording, flags) = match decision {
            SamplingDecision::RecordAndSample => (true, flags.with_sampled(true)),
            SamplingDecision::RecordOnly => (true, flags.with_sampled(false)),
            SamplingDecision::Drop => (false, TraceFlags::default()),
        };
        let span_context = SpanContext::new(trace_id, span_id, flags, false, trace_state);
        if !recording {
            *slot = Some(DirectSpan {
                span_context,
                live: None,
            });
            return;
        }
        let dropped_attributes = truncate(&mut attributes, self.limits.max_attributes_per_span);
        *slot = Some(DirectSpan {
            span_context,
            live: Some(Recording {
                recorder: Arc::clone(self),
                parent_span_id: if parent_valid {
                    parent_context.span_id()
                } else {
                    SpanId::INVALID
                },
                parent_span_is_remote: parent_valid && parent_context.is_remote(),
                kind,
                name,
                start_time: opentelemetry::time::now(),
                attributes,
                dropped_attributes,
                rare: None,
            }),
        });
    }
}

/// Keeps at most `limit` attributes, as the SDK does; returns how many were dropped.
#[allow(
    clippy::inline_always,
    reason = "on every span start; plain #[inline] measured 18 instructions more per call"
)]
#[inline(always)]
fn truncate(attributes: &mut Vec<KeyValue>, limit: u32) -> u32 {
    let limit = limit as usize;
    let dropped = u32::try_from(attributes.len().saturating_sub(limit)).unwrap_or(u32::MAX);
    attributes.truncate(limit);
    dropped
}

/// Adds an item (attribute, event, link) while there are fewer than `limit`, and counts it
/// as dropped otherwise, as the SDK's span does.
#[inline]
fn push_limited<T>(items: &mut Vec<T>, dropped: &mut u32, limit: u32, item: impl FnOnce() -> T) {
    if items.len() < limit as usize {
        items.push(item());
    } else {
        *dropped = dropped.saturating_add(1);
    }
}

/// A span of the direct path: what the SDK's `Span` holds, in one flat struct, ended into
/// [`SpanData`] for the processors.
///
/// Its guard holds it and writes to it directly (no lock, no dynamic dispatch); the
/// [`Context`] of its call holds a [`Forward`] in its place, which keeps what is written
/// through the OpenTelemetry API until the guard ends the span. Its guard always ends it;
/// one dropped without being ended is not exported.
#[derive(Debug)]
pub(crate) struct DirectSpan {
    span_context: SpanContext,
    /// Everything else, while the span records: `None` when the sampler dropped it, and
    /// once it ended.
    live: Option<Recording>,
}

/// A recording span's data.
#[derive(Debug)]
struct Recording {
    recorder: Arc<Recorder>,
    parent_span_id: SpanId,
    parent_span_is_remote: bool,
    kind: SpanKind,
    name: Cow<'static, str>,
    start_time: SystemTime,
    attributes: Vec<KeyValue>,
    dropped_attributes: u32,
    /// Events, links and a status, which few spans have: allocated on first use.
    rare: Option<Box<Rare>>,
}

/// The parts of a span that most `#[trace_genai]` spans never get.
#[derive(Debug, Default)]
struct Rare {
    events: SpanEvents,
    links: SpanLinks,
    status: Status,
}

impl Recording {
    /// Ends the span at `end_time` and hands it to the processors, consuming it (no
    /// field is left to drop). The span data is built where the processor receives it.
    #[inline]
    fn finish(self, span_context: SpanContext, end_time: SystemTime) {
        let Recording {
            recorder,
            parent_span_id,
            parent_span_is_remote,
            kind,
            name,
            start_time,
            attributes,
            dropped_attributes,
            rare,
        } = self;
        if recorder.shut_down.load(Ordering::Relaxed) {
            return;
        }
        let Rare {
            events,
            links,
            status,
        } = rare.map(|rare| *rare).unwrap_or_default();
        let data = || SpanData {
            span_context,
            parent_span_id,
            parent_span_is_remote,
            span_kind: kind,
            name,
            start_time,
            end_time,
            attributes,
            dropped_attributes_count: dropped_attributes,
            events,
            links,
            status,
            instrumentation_scope: crate::semconv::scope(),
        };
        match &*recorder.processors {
            [] => {}
            [processor] => processor.on_end(data()),
            [all @ .., last] => {
                let data = data();
                for processor in all {
                    processor.on_end(data.clone());
                }
                last.on_end(data);
            }
        }
    }
}

impl DirectSpan {
    /// Ends the span at `end_time` (now when `None`) and hands it to the processors. The
    /// span records nothing afterwards; it is ended in place (it is large: never moved).
    #[inline]
    pub(crate) fn finish(&mut self, end_time: Option<SystemTime>) {
        if let Some(live) = self.live.take() {
            live.finish(
                std::mem::replace(&mut self.span_context, SpanContext::NONE),
                end_time.unwrap_or_else(opentelemetry::time::now),
            );
        }
    }

    /// Applies what was written through the OpenTelemetry API (and the `tracing` bridge's
    /// stand-in) while the call ran, through the content boundary with the span's policy
    /// (`content`: whether it puts content on spans); returns the end time the
    /// application gave (`span.end()`), if any. What trace-genai writes itself afterwards
    /// (outcome, captured content) is already within the rules.
    #[cold]
    pub(crate) fn apply(&mut self, forwarded: Vec<Forwarded>, content: bool) -> Option<SystemTime> {
        use crate::genai::boundary;
        use opentelemetry::trace::Span as _;
        let rules = boundary::Rules::for_span(content, true);
        let mut end_time = None;
        for write in forwarded {
            match write {
                Forwarded::Attribute(mut attribute) => {
                    if boundary::attribute(&mut attribute, rules, false) {
                        self.set_attribute(attribute);
                    }
                }
                Forwarded::Event(name, timestamp, attributes) => {
                    let mut event = Event::new(name, timestamp, attributes, 0);
                    if boundary::own_event(&mut event, rules) {
                        self.add_event_with_timestamp(
                            event.name,
                            event.timestamp,
                            event.attributes,
                        );
                    }
                }
                Forwarded::Status(mut status) => {
                    boundary::status(&mut status, rules);
                    self.set_status(status);
                }
                Forwarded::Name(name) => self.update_name(name),
                Forwarded::Link(span_context, attributes) => {
                    self.add_link(span_context, attributes);
                }
                Forwarded::End(timestamp) => end_time = Some(timestamp),
            }
        }
        if let Some(live) = &mut self.live {
            // One span, one processor call: the uploads are queued here.
            boundary::divert(rules, &mut live.attributes, &self.span_context, true);
        }
        end_time
    }
}

/// A write through the OpenTelemetry API to a direct span.
#[derive(Debug)]
pub(crate) enum Forwarded {
    Attribute(KeyValue),
    Event(Cow<'static, str>, SystemTime, Vec<KeyValue>),
    Status(Status),
    Name(Cow<'static, str>),
    Link(SpanContext, Vec<KeyValue>),
    End(SystemTime),
}

thread_local! {
    /// Set while a guard ends its span's [`Forward`] on this thread.
    static COLLECTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The writes a [`Forward`] handed to the guard ending it on this thread.
    static HANDED: std::cell::RefCell<Vec<Forwarded>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What stands for a direct span in its call's [`Context`]: it keeps what is written
/// through the OpenTelemetry API (`Context::current().span()`, `get_active_span`, crates
/// that instrument with OpenTelemetry) until the guard ends the span and applies it.
#[derive(Debug)]
pub(crate) struct Forward {
    span_context: SpanContext,
    pending: Vec<Forwarded>,
    /// Ended through the API, or by the guard: writes do nothing any more.
    ended: bool,
}

impl Forward {
    /// The stand-in for the span with this identity.
    pub(crate) fn new(span_context: SpanContext) -> Self {
        Forward {
            span_context,
            pending: Vec::new(),
            ended: false,
        }
    }

    fn push(&mut self, write: Forwarded) {
        if !self.ended {
            self.pending.push(write);
        }
    }
}

/// Ends the [`Forward`] in `cx` and returns what was written to it: called by the guard,
/// on its own thread, as the span ends.
#[inline]
pub(crate) fn take_forwarded(cx: &Context) -> Vec<Forwarded> {
    COLLECTING.with(|collecting| collecting.set(true));
    // The time is not used: the guard ends the span itself.
    cx.span().end_with_timestamp(SystemTime::UNIX_EPOCH);
    COLLECTING.with(|collecting| collecting.set(false));
    if HANDED_COUNT.load(Ordering::Acquire) == 0 {
        return Vec::new();
    }
    let handed = HANDED.with(|handed| std::mem::take(&mut *handed.borrow_mut()));
    if !handed.is_empty() {
        HANDED_COUNT.fetch_sub(1, Ordering::AcqRel);
    }
    handed
}

impl opentelemetry::trace::Span for Forward {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        self.push(Forwarded::Event(name.into(), timestamp, attributes));
    }

    fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    fn is_recording(&self) -> bool {
        !self.ended
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        self.push(Forwarded::Attribute(attribute));
    }

    fn set_status(&mut self, status: Status) {
        self.push(Forwarded::Status(status));
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        self.push(Forwarded::Name(new_name.into()));
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.push(Forwarded::Link(span_context, attributes));
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        if COLLECTING.with(std::cell::Cell::get) {
            // The guard ends the span: hand it what was written.
            if !self.pending.is_empty() {
                let pending = std::mem::take(&mut self.pending);
                HANDED.with(|handed| *handed.borrow_mut() = pending);
                HANDED_COUNT.fetch_add(1, Ordering::AcqRel);
            }
        } else if !self.ended {
            // The application ended the span: it ends then, and takes no more writes.
            self.pending.push(Forwarded::End(timestamp));
        }
        self.ended = true;
    }
}

impl opentelemetry::trace::Span for DirectSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        mut attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        let Some(live) = &mut self.live else {
            return;
        };
        let limits = live.recorder.limits;
        let events = &mut live.rare.get_or_insert_default().events;
        push_limited(
            &mut events.events,
            &mut events.dropped_count,
            limits.max_events_per_span,
            || {
                let name = name.into();
                let dropped = truncate(&mut attributes, limits.max_attributes_per_event);
                Event::new(name, timestamp, attributes, dropped)
            },
        );
    }

    fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    fn is_recording(&self) -> bool {
        self.live.is_some()
    }

    #[allow(
        clippy::inline_always,
        reason = "every response attribute: inlined, it is built where it is stored"
    )]
    #[inline(always)]
    fn set_attribute(&mut self, attribute: KeyValue) {
        let Some(live) = &mut self.live else {
            return;
        };
        if live.attributes.len() < live.recorder.limits.max_attributes_per_span as usize {
            live.attributes.push(attribute);
        } else {
            live.dropped_attributes = live.dropped_attributes.saturating_add(1);
        }
    }

    fn set_status(&mut self, status: Status) {
        let Some(live) = &mut self.live else {
            return;
        };
        let rare = live.rare.get_or_insert_default();
        // `Ok` is final and wins over `Error`, which wins over `Unset`; a later `Error`
        // replaces an earlier one (the guard's, whose description follows the content
        // policy, comes last). `Status`'s own order compares descriptions too.
        let rank = |status: &Status| match status {
            Status::Unset => 0,
            Status::Error { .. } => 1,
            Status::Ok => 2,
        };
        if rank(&status) >= rank(&rare.status) && rare.status != Status::Ok {
            rare.status = status;
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        if let Some(live) = &mut self.live {
            live.name = new_name.into();
        }
    }

    fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        let Some(live) = &mut self.live else {
            return;
        };
        let limits = live.recorder.limits;
        let links = &mut live.rare.get_or_insert_default().links;
        push_limited(
            &mut links.links,
            &mut links.dropped_count,
            limits.max_links_per_span,
            || {
                let dropped = truncate(&mut attributes, limits.max_attributes_per_link);
                Link::new(span_context, attributes, dropped)
            },
        );
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        if let Some(live) = self.live.take() {
            // The context keeps its own copy of the identity for children; this one goes
            // to the exporters.
            live.finish(self.span_context.clone(), timestamp);
        }
    }
}
