//! The wrappers behind [`stream`](crate::stream): a stream or iterator that keeps the
//! span of its call open until it ends, and what the macro's expansion calls to wrap one.

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use futures_core::Stream;
use pin_project_lite::pin_project;

use crate::genai::message::{OutputMessage, Part, Role};
use crate::genai::response::GenAiChunk;
use crate::genai::response::{GenAiResponse, Usage};
use crate::instrument::span::SpanGuard;
use crate::semconv;

/// How an item is inspected: chosen at compile time from the item type (a no-op for
/// types that do not implement [`GenAiChunk`]).
pub(crate) type Inspect<T> = fn(&T, &mut StreamState);

/// The inspector of a [`GenAiChunk`] item type.
#[must_use]
pub(crate) fn inspect_chunk<T: GenAiChunk>() -> Inspect<T> {
    |item, state| state.add(item)
}

/// The inspector of any other item type: counts and times only.
#[must_use]
pub fn inspect_nothing<T>() -> Inspect<T> {
    |_, _| {}
}

/// What a stream reported so far.
#[derive(Debug, Default)]
pub struct StreamState {
    first_chunk: Option<Instant>,
    last_chunk: Option<Instant>,
    response_id: Option<String>,
    response_model: Option<String>,
    finish_reasons: Vec<String>,
    usage: Usage,
    /// The output text, accumulated only with content recording on.
    text: Option<String>,
    text_budget: usize,
    error: Option<Cow<'static, str>>,
}

impl StreamState {
    fn add<T: GenAiChunk + ?Sized>(&mut self, chunk: &T) {
        if self.response_id.is_none()
            && let Some(id) = chunk.response_id()
        {
            self.response_id = Some(id.to_owned());
        }
        if self.response_model.is_none()
            && let Some(model) = chunk.response_model()
        {
            self.response_model = Some(model.to_owned());
        }
        for reason in chunk.finish_reasons() {
            self.finish_reasons.push(reason.to_owned());
        }
        let usage = chunk.usage();
        let merge = |old: &mut Option<u64>, new: Option<u64>| {
            if new.is_some() {
                *old = new;
            }
        };
        merge(&mut self.usage.input_tokens, usage.input_tokens);
        merge(&mut self.usage.output_tokens, usage.output_tokens);
        merge(
            &mut self.usage.cache_read_input_tokens,
            usage.cache_read_input_tokens,
        );
        merge(
            &mut self.usage.cache_write_input_tokens,
            usage.cache_write_input_tokens,
        );
        merge(
            &mut self.usage.reasoning_output_tokens,
            usage.reasoning_output_tokens,
        );
        if let (Some(text), Some(delta)) = (&mut self.text, chunk.text()) {
            // Beyond the budget the attribute is cut anyway: stop growing.
            if text.len() < self.text_budget {
                text.push_str(delta);
            }
        }
        if let Some(error) = chunk.error_type() {
            self.error = Some(error);
        }
    }
}

impl GenAiResponse for StreamState {
    fn response_id(&self) -> Option<&str> {
        self.response_id.as_deref()
    }
    fn response_model(&self) -> Option<&str> {
        self.response_model.as_deref()
    }
    fn finish_reasons(&self) -> Vec<&str> {
        self.finish_reasons.iter().map(String::as_str).collect()
    }
    fn usage(&self) -> Usage {
        self.usage
    }
}

/// The span of a stream with what the stream reported: ends the span exactly once.
#[derive(Debug)]
struct Tracker {
    guard: Option<SpanGuard>,
    state: StreamState,
    /// Inside the inner stream's `poll_next` (or `next`): a drop now is its own panic.
    polling: bool,
}

impl Tracker {
    fn new(guard: SpanGuard) -> Self {
        let mut state = StreamState::default();
        if guard.captures_output() {
            state.text = Some(String::new());
            // Bytes of text beyond which the JSON attribute is cut anyway.
            state.text_budget = crate::genai::content::content_max_length().saturating_mul(4);
        }
        Tracker {
            guard: Some(guard),
            state,
            polling: false,
        }
    }

    fn item<T>(&mut self, item: &T, inspect: Inspect<T>) {
        let now = Instant::now();
        let had_model = self.state.response_model.is_some();
        inspect(item, &mut self.state);
        if let Some(guard) = &mut self.guard {
            // The chunk metrics carry the model that answers as soon as a chunk names it.
            if !had_model && let Some(model) = &self.state.response_model {
                guard.chunk_model(model);
            }
            match self.state.last_chunk {
                None => {
                    self.state.first_chunk = Some(now);
                    guard.first_chunk(now);
                }
                Some(previous) => guard.next_chunk(now.duration_since(previous)),
            }
        }
        self.state.last_chunk = Some(now);
    }

    /// Ends the span: `complete` when the stream ended, else it was dropped early.
    fn end(&mut self, complete: bool) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let state = std::mem::take(&mut self.state);
        guard.record_response(&state);
        if let Some(text) = state.text.filter(|text| !text.is_empty())
            && let Some(content) = guard.content()
        {
            // The conventions require a finish reason: the provider's first one in the
            // conventions' spelling; without one, `error` for a stream that failed or was
            // cut, `stop` for one that ended.
            let finish_reason = match state.finish_reasons.first() {
                Some(reason) => crate::genai::message::conventions_finish_reason(reason),
                None if state.error.is_some() || !complete => semconv::FINISH_REASON_ERROR,
                None => semconv::FINISH_REASON_STOP,
            };
            let message = OutputMessage::new(
                Role::Assistant,
                vec![Part::text(text)],
                Some(finish_reason.to_owned()),
            );
            content.output_messages(&message);
        }
        if let Some(error) = state.error {
            guard.set_error(error);
        }
        if complete {
            guard.finish();
        } else {
            // Dropped unfinished: panicked if the stream's own poll unwound, else
            // cancelled (also while something else on the thread unwinds).
            guard.end_unfinished(self.polling);
        }
    }
}

pin_project! {
    /// A stream whose span ends when the stream does (see the [module documentation](self)).
    #[must_use = "streams do nothing unless polled"]
    pub struct TracedStream<S: Stream> {
        #[pin]
        inner: S,
        tracker: Tracker,
        inspect: Inspect<S::Item>,
    }

    impl<S: Stream> PinnedDrop for TracedStream<S> {
        fn drop(this: Pin<&mut Self>) {
            this.project().tracker.end(false);
        }
    }
}

impl<S: Stream> TracedStream<S> {
    /// Wraps `inner`; the span of `guard` ends with it.
    pub fn new(inner: S, guard: SpanGuard, inspect: Inspect<S::Item>) -> Self {
        TracedStream {
            inner,
            tracker: Tracker::new(guard),
            inspect,
        }
    }
}

impl<S: Stream> Stream for TracedStream<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        let _entered = this.tracker.guard.as_ref().and_then(SpanGuard::enter);
        this.tracker.polling = true;
        let poll = this.inner.poll_next(cx);
        this.tracker.polling = false;
        match &poll {
            Poll::Ready(Some(item)) => this.tracker.item(item, *this.inspect),
            Poll::Ready(None) => this.tracker.end(true),
            Poll::Pending => {}
        }
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// An iterator whose span ends when the iterator does (see the
/// [module documentation](self)).
#[must_use = "iterators do nothing unless consumed"]
pub struct TracedIter<I: Iterator> {
    inner: I,
    tracker: Tracker,
    inspect: Inspect<I::Item>,
}

impl<I: Iterator> std::fmt::Debug for TracedIter<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedIter").finish_non_exhaustive()
    }
}

impl<I: Iterator> TracedIter<I> {
    /// Wraps `inner`; the span of `guard` ends with it.
    pub fn new(inner: I, guard: SpanGuard, inspect: Inspect<I::Item>) -> Self {
        TracedIter {
            inner,
            tracker: Tracker::new(guard),
            inspect,
        }
    }
}

impl<I: Iterator> Iterator for TracedIter<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = {
            let _entered = self.tracker.guard.as_ref().and_then(SpanGuard::enter);
            self.tracker.polling = true;
            let item = self.inner.next();
            self.tracker.polling = false;
            item
        };
        match &item {
            Some(item) => self.tracker.item(item, self.inspect),
            None => self.tracker.end(true),
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<I: Iterator> Drop for TracedIter<I> {
    fn drop(&mut self) {
        self.tracker.end(false);
    }
}

/// Return values the `stream` argument can trace: boxed streams and iterators, and
/// `Result`s of them (an `Err` ends the span at once). Their items must implement
/// [`GenAiChunk`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stream that #[trace_genai] can follow",
    label = "`stream` needs a return type such as `impl Stream<Item = …>`, `Pin<Box<dyn Stream<Item = …> + Send>>`, `impl Iterator<Item = …>` or a `Result` of one",
    note = "the items must implement `trace_genai::stream::GenAiChunk`; remove `stream` for a function that returns a complete response"
)]
pub trait IntoTraced {
    /// Wraps the value so that the span of `guard` ends with it.
    #[must_use]
    fn into_traced(self, guard: SpanGuard) -> Self;
}

impl<'a, T: GenAiChunk + 'a> IntoTraced for Pin<Box<dyn Stream<Item = T> + Send + 'a>> {
    fn into_traced(self, guard: SpanGuard) -> Self {
        Box::pin(TracedStream::new(self, guard, inspect_chunk()))
    }
}

impl<'a, T: GenAiChunk + 'a> IntoTraced for Pin<Box<dyn Stream<Item = T> + 'a>> {
    fn into_traced(self, guard: SpanGuard) -> Self {
        Box::pin(TracedStream::new(self, guard, inspect_chunk()))
    }
}

impl<'a, T: GenAiChunk + 'a> IntoTraced for Box<dyn Iterator<Item = T> + Send + 'a> {
    fn into_traced(self, guard: SpanGuard) -> Self {
        Box::new(TracedIter::new(self, guard, inspect_chunk()))
    }
}

impl<'a, T: GenAiChunk + 'a> IntoTraced for Box<dyn Iterator<Item = T> + 'a> {
    fn into_traced(self, guard: SpanGuard) -> Self {
        Box::new(TracedIter::new(self, guard, inspect_chunk()))
    }
}

impl<S: IntoTraced, E> IntoTraced for Result<S, E> {
    fn into_traced(self, guard: SpanGuard) -> Self {
        wrap_ok(self, guard, IntoTraced::into_traced)
    }
}

/// `Ok` → the value wrapped so that the span of `guard` ends with it; `Err` → the span
/// ends now (the error was recorded on the guard already).
fn wrap_ok<T, U, E>(
    result: Result<T, E>,
    mut guard: SpanGuard,
    wrap: impl FnOnce(T, SpanGuard) -> U,
) -> Result<U, E> {
    match result {
        Ok(value) => Ok(wrap(value, guard)),
        Err(error) => {
            guard.finish();
            Err(error)
        }
    }
}

/// `impl Stream` return values.
pub fn trace_stream<S: Stream>(
    stream: S,
    guard: SpanGuard,
    inspect: Inspect<S::Item>,
) -> TracedStream<S> {
    TracedStream::new(stream, guard, inspect)
}

/// `Result<impl Stream, E>` return values.
///
/// # Errors
///
/// The function's own `Err`, unchanged (the span ends with it).
pub fn trace_stream_result<S: Stream, E>(
    result: Result<S, E>,
    guard: SpanGuard,
    inspect: Inspect<S::Item>,
) -> Result<TracedStream<S>, E> {
    wrap_ok(result, guard, |stream, guard| {
        TracedStream::new(stream, guard, inspect)
    })
}

/// `impl Iterator` return values.
pub fn trace_iter<I: Iterator>(
    iter: I,
    guard: SpanGuard,
    inspect: Inspect<I::Item>,
) -> TracedIter<I> {
    TracedIter::new(iter, guard, inspect)
}

/// `Result<impl Iterator, E>` return values.
///
/// # Errors
///
/// The function's own `Err`, unchanged (the span ends with it).
pub fn trace_iter_result<I: Iterator, E>(
    result: Result<I, E>,
    guard: SpanGuard,
    inspect: Inspect<I::Item>,
) -> Result<TracedIter<I>, E> {
    wrap_ok(result, guard, |iter, guard| {
        TracedIter::new(iter, guard, inspect)
    })
}

/// Picks the item inspector at compile time: `inspect_chunk` for item types that
/// implement [`GenAiChunk`], else [`inspect_nothing`]. Called as
/// `(&&ChunkProbe::<Item>::new()).inspector()`.
#[derive(Debug)]
pub struct ChunkProbe<T>(std::marker::PhantomData<fn(&T)>);

impl<T> ChunkProbe<T> {
    /// A probe for items of type `T`.
    #[must_use]
    pub const fn new() -> Self {
        ChunkProbe(std::marker::PhantomData)
    }
}

impl<T> Default for ChunkProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Level 1: items that implement [`GenAiChunk`].
pub trait ChunkInspector<T> {
    /// The inspector.
    fn inspector(&self) -> Inspect<T>;
}

/// Level 2: any item.
pub trait NoInspector<T> {
    /// The inspector.
    fn inspector(&self) -> Inspect<T>;
}

impl<T: GenAiChunk> ChunkInspector<T> for &ChunkProbe<T> {
    fn inspector(&self) -> Inspect<T> {
        inspect_chunk()
    }
}

impl<T> NoInspector<T> for ChunkProbe<T> {
    fn inspector(&self) -> Inspect<T> {
        inspect_nothing()
    }
}
