//! The span guard behind every `#[trace_genai]` function.
//!
//! [`SpanGuard`] starts the span with its name, kind and request attributes, carries its
//! [`Context`], records the outcome, and ends the span exactly once: when the function
//! returns, when it panics, or, for async functions, when the future is dropped before it
//! completes. Where the span starts is [`record`](crate::record)'s job; the rest of a
//! call's span logic lives here, and the macro expansion only calls it.

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use opentelemetry::trace::{SpanKind, Status, TraceContextExt};
use opentelemetry::{Context, KeyValue};

use crate::genai::content::Captured;
use crate::genai::operation::Operation;
use crate::semconv;

/// What the macro knows about a span at compile time.
#[derive(Debug, Clone)]
pub struct SpanMeta {
    /// The span name when no dynamic subject is given: the function name, the `name = …`
    /// argument, the bare operation, or `"{operation} {subject}"` for a literal subject.
    pub name: &'static str,
    /// The GenAI operation, if any.
    pub operation: Option<Operation>,
    /// The span kind.
    pub kind: SpanKind,
    /// The attribute whose value completes the span name (`"{operation} {value}"`), when
    /// it is only known at run time.
    pub subject_key: Option<&'static str>,
    /// The function's own content capture policy (`content = …`), which wins over the
    /// installed one.
    pub content: Option<crate::ContentCapture>,
    /// The function returns a stream: `gen_ai.request.stream = true`, and the call's
    /// start is kept for the time to the first chunk.
    pub stream: bool,
}

/// A call's span made current on this thread, until dropped.
#[derive(Debug)]
#[must_use = "the span is current only until this is dropped"]
pub struct Entered {
    /// The `tracing` span standing for this span, entered after the context is attached
    /// and exited first (fields drop in order).
    /// Boxed: a pointer in a guard that every call builds, bridged or not.
    #[cfg(feature = "tracing")]
    _bridge: Option<Box<tracing::span::EnteredSpan>>,
    _attached: opentelemetry::ContextGuard,
}

/// How a call that did not finish ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unfinished {
    /// The function itself panicked.
    Panicked,
    /// The future (or stream) was dropped before it completed, whatever else happened on
    /// the thread at the time.
    Cancelled,
}

/// How an instrumented call ended, for the span's status and `error.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Still running, or returned a value that is not an error.
    Pending,
    /// Returned an error of this `error.type`.
    Error(Cow<'static, str>),
}

/// A started span, ended exactly once when the guard is finished or dropped.
///
/// The span lives in the [`Context`] the guard attaches while the function runs, as a
/// span made with the OpenTelemetry API does: spans, log records and outgoing requests
/// made inside are its children, and writes through `Context::current().span()` reach it.
/// What the function returns is recorded on the span by the guard.
///
/// A sync function's guard dropped unfinished ends the span with status `Error` and an
/// `error.type` of [`semconv::ERROR_TYPE_PANIC`] (the function panicked). An `async fn`'s
/// future or a stream tells the guard which happened: a panic while it was being polled
/// is [`semconv::ERROR_TYPE_PANIC`]; dropped unfinished otherwise, even while another
/// branch of a `join!` unwinds, is [`semconv::ERROR_TYPE_CANCELLED`].
#[derive(Debug)]
pub struct SpanGuard {
    /// `None` when the call is not traced: then every method is a branch on this.
    active: Option<Active>,
}

/// The state of a traced call.
#[derive(Debug)]
struct Active {
    /// A recording span of the direct path, held here and written to directly; `cx`
    /// holds its stand-in. `None` on the other paths, where `cx` holds the span itself.
    span: Option<crate::record::recorder::DirectSpan>,
    /// The context the function runs in (the caller's, with this span as the current
    /// one), or `None` when no span was started (the call is only measured) or once it
    /// ended.
    cx: Option<Context>,
    /// Whether the span records (it is in `cx`); a span the sampler dropped only gives
    /// its identity to `cx`.
    recording: bool,
    outcome: Outcome,
    finished: bool,
    /// Metric state of a model call, when GenAI metrics are installed.
    metrics: Option<Box<crate::genai::metrics::CallMetrics>>,
    /// An agent or workflow span's rollup of the model calls inside it, or the rollup a
    /// span inside one adds to (`genai::rollup`).
    rollup: Option<Box<crate::genai::rollup::Member>>,
    /// Content being captured, only when the policy in force records content and the
    /// span is recording.
    content: Option<Box<Captured>>,
    /// When the call started, for streams only.
    started: Option<std::time::Instant>,
    /// `capture(output)` on a stream: accumulate the output text.
    stream_output: bool,
    /// The `tracing` span that stands for this span while the function runs, when the
    /// `tracing` bridge is installed in the current dispatcher. Boxed: a pointer in the
    /// state of every traced call, bridged or not.
    #[cfg(feature = "tracing")]
    bridge: Option<Box<tracing::Span>>,
}

impl SpanGuard {
    /// Starts a span, as a child of the current context, in this guard (made by
    /// [`SpanGuard::disabled`]). The guard is started in place because it holds the span,
    /// which is large: every move would be a copy.
    ///
    /// The span is named `"{operation} {subject}"` when `meta.subject_key` names an
    /// attribute with a non-empty string value, and `meta.name` otherwise.
    pub fn start(&mut self, meta: &SpanMeta, attributes: Vec<KeyValue>) {
        let active = self.active.get_or_insert_with(Active::idle);
        active.start(meta, attributes);
        if active.cx.is_none() && active.metrics.is_none() {
            // Nothing to record: suppressed, or the sampler or provider failed.
            self.active = None;
        }
    }

    /// Whether the call is traced (a span, or at least its metrics): an untraced `async
    /// fn` awaits its body without the wrapper that carries the span.
    #[must_use]
    #[inline]
    pub fn is_traced(&self) -> bool {
        self.active.is_some()
    }

    /// A guard that records nothing, for when tracing is disabled.
    #[must_use]
    pub const fn disabled() -> Self {
        SpanGuard { active: None }
    }

    /// The context the call runs in: the caller's, with this span's identity as the
    /// current span, to make it the parent of work done elsewhere.
    #[must_use]
    #[inline]
    pub fn context(&self) -> Option<&Context> {
        self.active.as_ref()?.cx.as_ref()
    }

    /// Makes this span the current one until the returned guard is dropped.
    #[must_use]
    #[inline]
    pub fn enter(&self) -> Option<Entered> {
        let active = self.active.as_ref()?;
        let attached = active.cx.as_ref()?.clone().attach();
        Some(Entered {
            #[cfg(feature = "tracing")]
            _bridge: active.bridge.as_deref().map(enter_bridge),
            _attached: attached,
        })
    }

    /// The content collector of this span, when content capture is on for it. The
    /// expansion of `capture(...)` feeds it; nothing is converted otherwise.
    #[must_use]
    #[inline]
    pub fn content(&mut self) -> Option<&mut Captured> {
        self.active.as_mut()?.content.as_deref_mut()
    }

    /// Whether a stream's output text should be accumulated (content recording is on for
    /// this span).
    pub(crate) fn captures_output(&self) -> bool {
        self.active
            .as_ref()
            .is_some_and(|active| active.stream_output && active.content.is_some())
    }

    /// `capture(output)` on a stream: its text is accumulated from the chunks.
    #[inline]
    pub fn capture_stream_output(&mut self) {
        if let Some(active) = &mut self.active {
            active.stream_output = true;
        }
    }

    /// A stream's first item arrived: `gen_ai.response.time_to_first_chunk` and its
    /// metric.
    pub(crate) fn first_chunk(&mut self, now: std::time::Instant) {
        if let Some(active) = &mut self.active {
            active.first_chunk(now);
        }
    }

    /// A stream's item named the model that answers: the chunk metrics carry it.
    pub(crate) fn chunk_model(&mut self, model: &str) {
        if let Some(metrics) = self.active.as_mut().and_then(|a| a.metrics.as_mut()) {
            metrics.response_model(model);
        }
    }

    /// Another item of a stream arrived, `gap` after the previous one.
    pub(crate) fn next_chunk(&mut self, gap: std::time::Duration) {
        if let Some(metrics) = self.active.as_ref().and_then(|a| a.metrics.as_ref()) {
            metrics.next_chunk(gap.as_secs_f64());
        }
    }

    /// Marks the call as failed with the given `error.type`.
    #[inline]
    pub fn set_error(&mut self, error_type: Cow<'static, str>) {
        if let Some(active) = &mut self.active {
            active.outcome = Outcome::Error(error_type);
        }
    }

    /// Records what a response reports (id, model, finish reasons, token usage) on the
    /// span. Unknown values are left out.
    #[inline]
    pub fn record_response<R: crate::genai::response::GenAiResponse + ?Sized>(
        &mut self,
        response: &R,
    ) {
        if let Some(active) = &mut self.active {
            active.record_response(response);
        }
    }

    /// Ends the span after the function returned. The guard records nothing after this.
    #[inline]
    pub fn finish(&mut self) {
        if let Some(active) = &mut self.active {
            active.finished = true;
            active.end();
        }
    }

    /// Ends the span of a future or stream that did not complete: `panicked` when its own
    /// poll panicked, cancelled otherwise. Nothing when it already ended.
    pub(crate) fn end_unfinished(&mut self, panicked: bool) {
        if let Some(active) = &mut self.active
            && !active.finished
        {
            active.end_unfinished(if panicked {
                Unfinished::Panicked
            } else {
                Unfinished::Cancelled
            });
        }
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        if let Some(active) = &mut self.active
            && !active.finished
        {
            // A sync function's own frame unwinds through its guard; futures and streams
            // say themselves what happened (`end_unfinished`) before they drop it.
            active.end_unfinished(if std::thread::panicking() {
                Unfinished::Panicked
            } else {
                Unfinished::Cancelled
            });
        }
    }
}

/// The guard of an `async fn`'s span, on the heap: the function's future holds a pointer
/// to it, and stays small whether the call is traced or not. Nothing is allocated when
/// telemetry is off.
#[derive(Debug)]
pub struct HeapGuard {
    guard: Option<Box<SpanGuard>>,
}

impl HeapGuard {
    /// A guard that records nothing (no allocation).
    #[must_use]
    pub const fn disabled() -> Self {
        HeapGuard { guard: None }
    }

    /// Starts a span, as [`SpanGuard::start`] does, in a guard allocated for it (and freed
    /// again when the call turns out not to be traced).
    pub fn start(&mut self, meta: &SpanMeta, attributes: Vec<KeyValue>) {
        let mut guard = Box::new(SpanGuard::disabled());
        guard.start(meta, attributes);
        if guard.is_traced() {
            self.guard = Some(guard);
        }
    }

    /// Whether the call is traced.
    #[must_use]
    #[inline]
    pub fn is_traced(&self) -> bool {
        self.guard.is_some()
    }

    /// The content collector of this span, when content capture is on for it.
    #[must_use]
    #[inline]
    pub fn content(&mut self) -> Option<&mut Captured> {
        self.guard.as_deref_mut()?.content()
    }

    /// The boxed guard, when the call is traced.
    #[must_use]
    #[inline]
    pub fn into_box(self) -> Option<Box<SpanGuard>> {
        self.guard
    }
}

/// Enters the `tracing` span that stands for a call's span (only with the bridge).
#[cfg(feature = "tracing")]
#[cold]
#[inline(never)]
#[expect(
    clippy::unnecessary_box_returns,
    reason = "boxed for the guard: a call that is not bridged carries a pointer, not the span"
)]
fn enter_bridge(span: &tracing::Span) -> Box<tracing::span::EnteredSpan> {
    Box::new(span.clone().entered())
}

impl Active {
    /// Nothing started yet.
    #[inline]
    fn idle() -> Active {
        Active {
            span: None,
            cx: None,
            recording: false,
            outcome: Outcome::Pending,
            finished: false,
            metrics: None,
            rollup: None,
            content: None,
            started: None,
            stream_output: false,
            #[cfg(feature = "tracing")]
            bridge: None,
        }
    }

    fn start(&mut self, meta: &SpanMeta, mut attributes: Vec<KeyValue>) {
        let started = meta.stream.then(std::time::Instant::now);
        if meta.stream
            && !attributes
                .iter()
                .any(|kv| kv.key.as_str() == semconv::GEN_AI_REQUEST_STREAM)
        {
            attributes.push(KeyValue::new(semconv::GEN_AI_REQUEST_STREAM, true));
        }
        // Extra work only with the genai-main names, or inside or as an agent: one load
        // (and the operation) otherwise.
        let extra = crate::global::START_EXTRA.load(std::sync::atomic::Ordering::Relaxed);
        if extra & crate::global::START_LATEST != 0 {
            semconv::to_latest(meta.operation, &mut attributes);
        }
        let subject = meta.subject_key.and_then(|key| {
            attributes
                .iter()
                .find(|attribute| attribute.key.as_str() == key)
                .map(|attribute| attribute.value.as_str())
                .filter(|subject| !subject.is_empty())
        });
        let name: Cow<'static, str> = match (meta.operation, subject) {
            // A workflow without `gen_ai.workflow.name` (the genai-main names) is named
            // after the bare operation, whatever the macro named it.
            (Some(operation @ Operation::InvokeWorkflow), _)
                if extra & crate::global::START_LATEST != 0 =>
            {
                Cow::Borrowed(operation.as_str())
            }
            (Some(operation), Some(subject)) => {
                Cow::Owned(format!("{} {subject}", operation.as_str()))
            }
            _ => Cow::Borrowed(meta.name),
        };
        let parent = Context::current();
        if parent.is_telemetry_suppressed() {
            // Inside an exporter (or other code that asked for no telemetry of its own).
            return;
        }
        // Attributes set for a whole scope (`trace_genai::context::in_conversation`);
        // keys the function gives itself win.
        if let Some(scoped) = crate::context::scoped_attributes(&parent) {
            for attribute in scoped {
                if !attributes.iter().any(|kv| kv.key == attribute.key) {
                    attributes.push(attribute.clone());
                }
            }
        }
        self.started = started;
        self.metrics = crate::genai::metrics::CallMetrics::start(meta.operation, &attributes);
        let mut content = Captured::new(
            meta.content
                .unwrap_or_else(crate::genai::content::content_capture),
            meta.operation,
        );
        if let Some(content) = &mut content
            && content.wants_event_attributes()
        {
            content.note_attributes(attributes.iter().cloned());
        }
        // Agents and workflows sum the model calls inside them (`genai::rollup`).
        let rollup = if extra & crate::global::START_IN_AGENT != 0
            || crate::genai::rollup::opens(meta.operation)
        {
            crate::genai::rollup::Pending::new(meta, &attributes, &parent)
        } else {
            None
        };
        // A panicking sampler or processor must not take the application down. A direct
        // span is written straight into the guard: it is large, and every move is a copy.
        let started = std::panic::catch_unwind(AssertUnwindSafe(|| {
            crate::record::start::start_span(
                name,
                meta.kind.clone(),
                attributes,
                &parent,
                &mut self.span,
            )
        }));
        let Ok(Some((mut cx, recording))) = started else {
            self.span = None;
            return;
        };
        #[cfg(feature = "testing")]
        crate::install::testing::span_started(&parent, &cx);
        #[cfg(feature = "tracing")]
        {
            self.bridge = crate::install::bridge::stand_in(&cx, meta.operation);
        }
        if let Some(rollup) = rollup {
            self.start_rollup(*rollup, &mut cx);
        }
        self.cx = Some(cx);
        self.recording = recording;
        if recording {
            self.content = content;
        }
    }

    fn first_chunk(&mut self, now: std::time::Instant) {
        let Some(started) = self.started else {
            return;
        };
        let seconds = now.duration_since(started).as_secs_f64();
        if let Some(metrics) = &self.metrics {
            metrics.first_chunk(seconds);
        }
        if self.recording {
            self.put(KeyValue::new(
                semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                seconds,
            ));
        }
    }

    fn record_response<R: crate::genai::response::GenAiResponse + ?Sized>(&mut self, response: &R) {
        if let Some(metrics) = &mut self.metrics {
            metrics.record_tokens(response.response_model(), &response.usage());
        }
        if let Some(rollup) = &mut self.rollup {
            rollup.response(&response.usage(), &response.finish_reasons());
        }
        // Asked once more rather than borrowed above: this one stays in registers.
        let usage = response.usage();
        if !self.recording {
            return;
        }
        if let Some(id) = response.response_id()
            && let Some(cx) = &self.cx
        {
            // So that feedback arriving later is parented to this span.
            crate::global::response_index::remember(id, cx.span().span_context());
        }
        let tokens = |count: u64| i64::try_from(count).unwrap_or(i64::MAX);
        if let Some(id) = response.response_id() {
            self.put(KeyValue::new(
                semconv::GEN_AI_RESPONSE_ID,
                crate::genai::boundary::cut_bytes(id, crate::genai::boundary::MAX_ID_BYTES)
                    .to_owned(),
            ));
        }
        if let Some(model) = response.response_model() {
            self.put(KeyValue::new(
                semconv::GEN_AI_RESPONSE_MODEL,
                model.to_owned(),
            ));
        }
        let reasons = response.finish_reasons();
        if !reasons.is_empty() {
            self.put(KeyValue::new(
                semconv::GEN_AI_RESPONSE_FINISH_REASONS,
                opentelemetry::Value::Array(opentelemetry::Array::String(
                    reasons.into_iter().map(|r| r.to_owned().into()).collect(),
                )),
            ));
        }
        if let Some(count) = usage.input_tokens {
            self.put(KeyValue::new(
                semconv::GEN_AI_USAGE_INPUT_TOKENS,
                tokens(count),
            ));
        }
        if let Some(count) = usage.output_tokens {
            self.put(KeyValue::new(
                semconv::GEN_AI_USAGE_OUTPUT_TOKENS,
                tokens(count),
            ));
        }
        if let Some(count) = usage.cache_read_input_tokens {
            self.put(KeyValue::new(
                semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                tokens(count),
            ));
        }
        if let Some(count) = usage.cache_write_input_tokens {
            // v1.41 name by default; the genai-main name under `gen_ai_latest_experimental`.
            let key = if semconv::latest_experimental() {
                semconv::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS
            } else {
                semconv::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
            };
            self.put(KeyValue::new(key, tokens(count)));
        }
        if let Some(count) = usage.reasoning_output_tokens {
            self.put(KeyValue::new(
                semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
                tokens(count),
            ));
        }
    }

    /// Sets a response attribute on the recording span (directly on the direct path),
    /// and notes it for the content event when one will be emitted.
    #[allow(
        clippy::inline_always,
        reason = "several per response; inlined, the attribute is built where it is stored"
    )]
    #[inline(always)]
    fn put(&mut self, attribute: KeyValue) {
        use opentelemetry::trace::Span as _;
        if let Some(content) = self.content.as_deref_mut()
            && content.wants_event_attributes()
        {
            content.note_attributes(std::iter::once(attribute.clone()));
        }
        if let Some(span) = &mut self.span {
            span.set_attribute(attribute);
        } else if let Some(cx) = &self.cx {
            cx.span().set_attribute(attribute);
        }
    }

    /// Notes the span for the agent around it, or opens an agent's rollup (in `cx`, for
    /// the spans started inside). Out of line: only spans inside or of an agent get here.
    #[inline(never)]
    fn start_rollup(&mut self, rollup: crate::genai::rollup::Pending, cx: &mut Context) {
        let (member, with_rollup) = rollup.start(cx);
        self.rollup = member;
        if let Some(with_rollup) = with_rollup {
            *cx = with_rollup;
        }
    }

    /// An agent's or workflow's totals, while its span can still take them; a tool's
    /// provider for its duration. Out of line: only spans inside or of an agent get here.
    #[inline(never)]
    fn end_rollup(&mut self, rollup: crate::genai::rollup::Member) {
        let (attributes, provider) = rollup.end();
        if self.recording {
            for attribute in attributes {
                self.put(attribute);
            }
        }
        if let (Some(provider), Some(metrics)) = (provider, &mut self.metrics) {
            metrics.add_provider(provider);
        }
    }

    /// Ends the span of a call that did not finish.
    fn end_unfinished(&mut self, how: Unfinished) {
        if !self.finished {
            self.outcome = Outcome::Error(Cow::Borrowed(match how {
                Unfinished::Panicked => semconv::ERROR_TYPE_PANIC,
                Unfinished::Cancelled => semconv::ERROR_TYPE_CANCELLED,
            }));
            self.finished = true;
        }
        self.end();
    }

    /// Ends the span (and the call's metrics) with the outcome recorded. Nothing once
    /// ended.
    fn end(&mut self) {
        if let Some(rollup) = self.rollup.take() {
            self.end_rollup(*rollup);
        }
        let cx = self.cx.take();
        if cx.is_none() && self.metrics.is_none() {
            return;
        }
        let error_type = match std::mem::replace(&mut self.outcome, Outcome::Pending) {
            Outcome::Pending => None,
            Outcome::Error(error_type) => Some(error_type),
        };
        let recording = std::mem::take(&mut self.recording);
        let end = |active: &mut Self| {
            if let Some(metrics) = active.metrics.take() {
                (*metrics).finish(error_type.as_deref());
            }
            let Some(cx) = cx.as_ref().filter(|_| recording) else {
                return;
            };
            let mut content = active.content.take();
            // The error's own text only when content goes on spans: it may echo the prompt.
            let error = error_type.map(|error_type| {
                let description = content
                    .as_mut()
                    .and_then(|content| content.take_error())
                    .map_or(Cow::Borrowed(status_description(&error_type)), Cow::Owned);
                (error_type, description)
            });
            // Whether this span's own policy (the function's `content = …`, or the one in
            // force) puts content on spans: the content boundary judges by it what others
            // wrote to the span.
            let content_on_spans = content
                .as_ref()
                .is_some_and(|content| content.policy().on_spans());
            let event = if let Some(span) = &mut active.span {
                // What the application wrote through the OpenTelemetry API meanwhile.
                let forwarded = crate::record::recorder::take_forwarded(cx);
                let end_time = if forwarded.is_empty() {
                    None
                } else {
                    span.apply(forwarded, content_on_spans)
                };
                let event = finish_span(span, error, content);
                span.finish(end_time);
                event
            } else {
                let mut span = InContext(cx.span());
                mark_policy(&mut span, content_on_spans);
                let event = finish_span(&mut span, error, content);
                span.0.end();
                event
            };
            // After the span: an event exporter that fails cannot cost the span.
            if let Some(event) = event {
                event.emit();
            }
        };
        if std::thread::panicking() {
            end(self);
        } else {
            // A panicking processor or exporter must not take the application down; the
            // span is lost instead.
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| end(self)));
            if result.is_err()
                && self.span.is_none()
                && let Some(cx) = cx.as_ref().filter(|_| recording)
            {
                // Something failed before the span ended (content, an event): end it
                // anyway.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| cx.span().end()));
            }
            if result.is_err() {
                // What is left of a span that failed to end is not exported.
                self.span = None;
                self.content = None;
            }
        }
    }
}

/// Records the outcome and the content on a span about to end; returns the content event
/// to emit once it ended.
fn finish_span(
    span: &mut impl opentelemetry::trace::Span,
    error: Option<(Cow<'static, str>, Cow<'static, str>)>,
    content: Option<Box<Captured>>,
) -> Option<crate::genai::content::Event> {
    if let Some((error_type, description)) = error {
        span.set_status(Status::error(description));
        span.set_attribute(KeyValue::new(semconv::ERROR_TYPE, error_type));
    }
    content.and_then(|content| (*content).finish(span))
}

/// Tells the content boundary of trace-genai's provider (the SDK path) the policy of a
/// span whose function's `content = …` differs from the one in force; the boundary reads
/// the marker and removes it.
#[cold]
fn mark_policy(span: &mut InContext<'_>, content_on_spans: bool) {
    if content_on_spans != crate::genai::content::content_capture().on_spans()
        && crate::global::STATE.load(std::sync::atomic::Ordering::Relaxed)
            != crate::global::STATE_GLOBAL
    {
        opentelemetry::trace::Span::set_attribute(
            span,
            KeyValue::new(crate::genai::boundary::CONTENT_ON_SPANS, content_on_spans),
        );
    }
}

/// The span a context holds, as a [`Span`](opentelemetry::trace::Span) (each write takes
/// the context's lock).
struct InContext<'a>(opentelemetry::trace::SpanRef<'a>);

impl opentelemetry::trace::Span for InContext<'_> {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: std::time::SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        self.0.add_event_with_timestamp(name, timestamp, attributes);
    }

    fn span_context(&self) -> &opentelemetry::trace::SpanContext {
        self.0.span_context()
    }

    fn is_recording(&self) -> bool {
        self.0.is_recording()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        self.0.set_attribute(attribute);
    }

    fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        self.0.set_attributes(attributes);
    }

    fn set_status(&mut self, status: Status) {
        self.0.set_status(status);
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        self.0.update_name(new_name);
    }

    fn add_link(
        &mut self,
        span_context: opentelemetry::trace::SpanContext,
        attributes: Vec<KeyValue>,
    ) {
        self.0.add_link(span_context, attributes);
    }

    fn end_with_timestamp(&mut self, timestamp: std::time::SystemTime) {
        self.0.end_with_timestamp(timestamp);
    }
}

/// The status description for an `error.type`. The error's own text is left out: provider
/// errors often echo the prompt.
fn status_description(error_type: &str) -> &'static str {
    match error_type {
        semconv::ERROR_TYPE_PANIC => crate::genai::boundary::PANICKED,
        semconv::ERROR_TYPE_CANCELLED => crate::genai::boundary::CANCELLED,
        _ => "",
    }
}
