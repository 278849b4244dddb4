//! [`Instrumented`]: the future adapter that carries a span across every poll of an
//! `async fn`.
//!
//! No thread-local guard is held across `.await`: the span's [`Context`] is attached for
//! the duration of each `poll` and detached before it returns, so the task can move
//! between threads and concurrent tasks never see each other's spans.
//!
//! [`Context`]: opentelemetry::Context

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;

use crate::span::SpanGuard;

pin_project! {
    /// A future that runs `inner` inside the span of `guard` and ends the span when
    /// `inner` completes, panics, or is dropped unfinished.
    ///
    /// `record` sees the output before the span ends; the expansion uses it to record
    /// errors from the function's declared return type.
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F, R> {
        #[pin]
        inner: F,
        guard: SpanGuard,
        record: Option<R>,
        polling: bool,
    }

    impl<F, R> PinnedDrop for Instrumented<F, R> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // While polling, `inner.poll` unwound: the body panicked, even if the executor
            // caught the panic and drops this future later, outside the unwinding.
            // Otherwise the future was dropped unfinished, even while something else on
            // this thread unwinds (another branch of a `join!`): cancelled.
            this.guard.end_unfinished(*this.polling);
        }
    }
}

impl<F, R> Instrumented<F, R>
where
    F: Future,
    R: FnOnce(&F::Output, &mut SpanGuard),
{
    /// Wraps `inner` so that it runs inside `guard`'s span.
    pub fn new(guard: SpanGuard, inner: F, record: R) -> Self {
        Instrumented {
            inner,
            guard,
            record: Some(record),
            polling: false,
        }
    }
}

impl<F, R> Future for Instrumented<F, R>
where
    F: Future,
    R: FnOnce(&F::Output, &mut SpanGuard),
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.guard.enter();
        // Until the span is finished: a panic in the body, or in recording the output
        // (a user's `GenAiResponse` or `ErrorType`), ends the span as panicked.
        *this.polling = true;
        let poll = this.inner.poll(cx);
        if let Poll::Ready(output) = &poll
            && let Some(record) = this.record.take()
        {
            // In place: the guard is not moved out of the future (it is large).
            record(output, this.guard);
            this.guard.finish();
        }
        *this.polling = false;
        poll
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
