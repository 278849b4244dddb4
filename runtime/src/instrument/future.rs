//! [`Instrumented`]: the future adapter that carries a span across every poll of an
//! `async fn`.
//!
//! No thread-local guard is held across `.await`: the span's [`Context`] is attached for
//! the duration of each `poll` and detached before it returns, so the task can move
//! between threads and concurrent tasks never see each other's spans.
//!
//! [`Context`]: opentelemetry::Context

use std::borrow::BorrowMut;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;

use crate::instrument::span::SpanGuard;

pin_project! {
    /// A future that runs `inner` inside the span of `guard` and ends the span when
    /// `inner` completes, panics, or is dropped unfinished.
    ///
    /// `record` sees the output before the span ends; the expansion uses it to record
    /// errors from the function's declared return type.
    ///
    /// `G` holds the guard: the guard itself, or a box of it (an `async fn`'s, so that the
    /// function's future stays small).
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F, R, G>
    where
        G: BorrowMut<SpanGuard>,
    {
        #[pin]
        inner: F,
        guard: G,
        record: Option<R>,
        polling: bool,
    }

    impl<F, R, G> PinnedDrop for Instrumented<F, R, G>
    where
        G: BorrowMut<SpanGuard>,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // While polling, `inner.poll` unwound: the body panicked, even if the executor
            // caught the panic and drops this future later, outside the unwinding.
            // Otherwise the future was dropped unfinished, even while something else on
            // this thread unwinds (another branch of a `join!`): cancelled.
            this.guard.borrow_mut().end_unfinished(*this.polling);
        }
    }
}

impl<F, R, G> Instrumented<F, R, G>
where
    F: Future,
    R: FnOnce(&F::Output, &mut SpanGuard),
    G: BorrowMut<SpanGuard>,
{
    /// Wraps `inner` so that it runs inside `guard`'s span.
    pub fn new(guard: G, inner: F, record: R) -> Self {
        Instrumented {
            inner,
            guard,
            record: Some(record),
            polling: false,
        }
    }
}

impl<F, R, G> Future for Instrumented<F, R, G>
where
    F: Future,
    R: FnOnce(&F::Output, &mut SpanGuard),
    G: BorrowMut<SpanGuard>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let guard: &mut SpanGuard = this.guard.borrow_mut();
        let _entered = guard.enter();
        // Until the span is finished: a panic in the body, or in recording the output
        // (a user's `GenAiResponse` or `ErrorType`), ends the span as panicked.
        *this.polling = true;
        let poll = this.inner.poll(cx);
        if let Poll::Ready(output) = &poll
            && let Some(record) = this.record.take()
        {
            // In place: the guard is not moved out of the future (it is large).
            record(output, guard);
            guard.finish();
        }
        *this.polling = false;
        poll
    }
}

pin_project! {
    /// What an `async fn` awaits: its body inside the span when the call is traced, or
    /// the body alone. The traced form holds its guard boxed ([`HeapGuard`](crate::instrument::span::HeapGuard)), so that the
    /// function's future stays about the size of its body's, traced or not.
    #[must_use = "futures do nothing unless polled"]
    #[allow(
        missing_docs,
        reason = "the fields are named after their variants; pin-project-lite takes no field docs"
    )]
    #[project = CallProjection]
    pub enum Call<F, I> {
        /// A traced call: the body inside its span.
        Traced {
            #[pin]
            traced: I,
        },
        /// An untraced call: the body alone.
        Plain {
            #[pin]
            plain: F,
        },
    }
}

impl<F, I> Call<F, I> {
    /// A traced call: `traced` runs the body inside its span.
    #[inline]
    pub fn traced(traced: I) -> Self {
        Call::Traced { traced }
    }

    /// An untraced call: the body alone.
    #[inline]
    pub fn plain(body: F) -> Self {
        Call::Plain { plain: body }
    }
}

impl<F, I> Future for Call<F, I>
where
    F: Future,
    I: Future<Output = F::Output>,
{
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project() {
            CallProjection::Traced { traced } => traced.poll(cx),
            CallProjection::Plain { plain } => plain.poll(cx),
        }
    }
}

pin_project! {
    /// Like [`Instrumented`], but hands the output and the still-open span to `then`,
    /// which returns what the function returns: for an `async fn` that returns a stream,
    /// the span moves into the stream and ends with it.
    #[must_use = "futures do nothing unless polled"]
    pub struct InstrumentedThen<F, T> {
        #[pin]
        inner: F,
        guard: Option<SpanGuard>,
        then: Option<T>,
        polling: bool,
    }

    impl<F, T> PinnedDrop for InstrumentedThen<F, T> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(mut guard) = this.guard.take() {
                guard.end_unfinished(*this.polling);
            }
        }
    }
}

impl<F, T, O> InstrumentedThen<F, T>
where
    F: Future,
    T: FnOnce(F::Output, SpanGuard) -> O,
{
    /// Wraps `inner` so that it runs inside `guard`'s span, then calls `then`.
    pub fn new(guard: SpanGuard, inner: F, then: T) -> Self {
        InstrumentedThen {
            inner,
            guard: Some(guard),
            then: Some(then),
            polling: false,
        }
    }
}

impl<F, T, O> Future for InstrumentedThen<F, T>
where
    F: Future,
    T: FnOnce(F::Output, SpanGuard) -> O,
{
    type Output = O;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<O> {
        let this = self.project();
        let poll = {
            let _entered = this.guard.as_ref().and_then(SpanGuard::enter);
            *this.polling = true;
            let poll = this.inner.poll(cx);
            *this.polling = false;
            poll
        };
        match poll {
            Poll::Ready(output) => match (this.guard.take(), this.then.take()) {
                (Some(guard), Some(then)) => Poll::Ready(then(output, guard)),
                // Polled again after completion. The expansion's `async` block has already
                // panicked above with the compiler's own message; any other future gets
                // the same, as the function without `#[trace_genai]` would (never a
                // `Pending` that hangs the caller).
                _ => resumed_after_completion(),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What an `async fn` does when polled after it completed.
#[allow(
    clippy::panic,
    reason = "the un-instrumented `async fn` panics with this message; hanging instead would be worse"
)]
#[cold]
fn resumed_after_completion() -> ! {
    panic!("`async fn` resumed after completion")
}
