//! Runs exporters on trace-genai's own tokio runtime.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::wrapper::{ExportWrapper, exporter_for_every_signal};
use super::{ExportSettings, batch, delivery};

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use tokio::runtime::{Handle, Runtime};

use crate::config::error::InitError;

thread_local! {
    /// Telemetry suppressed on the export runtime's threads, for their lifetime.
    static SUPPRESSED: std::cell::RefCell<Option<opentelemetry::ContextGuard>> =
        const { std::cell::RefCell::new(None) };
}

/// One worker thread, `trace-genai-export`, that drives network I/O of exports.
///
/// Dropping it never blocks and never panics, also inside an async context (an install
/// error or a `Telemetry` dropped in `#[tokio::main]`): it stops in the background.
/// [`Runtimes`](super::Runtimes) owns it; an export holds it only while it runs.
pub(crate) struct ExportRuntime {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl ExportRuntime {
    pub(crate) fn new() -> Result<Self, InitError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("trace-genai-export")
            // What the exporters' own dependencies (tonic, h2, hyper) record through
            // `tracing` or OpenTelemetry is not exported: it would feed itself.
            .on_thread_start(|| {
                SUPPRESSED.with(|guard| {
                    *guard.borrow_mut() =
                        Some(opentelemetry::Context::enter_telemetry_suppressed_scope());
                });
            })
            .on_thread_stop(|| SUPPRESSED.with(|guard| drop(guard.borrow_mut().take())))
            .enable_all()
            .build()
            .map_err(|error| InitError::Exporter {
                exporter: "export runtime",
                source: Box::new(error),
            })?;
        let handle = runtime.handle().clone();
        Ok(ExportRuntime {
            runtime: Some(runtime),
            handle,
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` to completion on this runtime and waits for it, from any thread:
    /// called from inside some tokio runtime (an export driven by the application's
    /// runtime, an install in `#[tokio::main]`), it blocks on another thread instead of
    /// panicking.
    pub(crate) fn block_on<F: Future + Send>(&self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        let handle = &self.handle;
        if Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(move || handle.block_on(future)).join())
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
        } else {
            handle.block_on(future)
        }
    }
}

impl Drop for ExportRuntime {
    fn drop(&mut self) {
        // A plain drop waits for the runtime's blocking threads, which tokio forbids
        // (with a panic) inside an async context.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// An exporter whose calls run on the export runtime. The SDK calls exporters from
/// background threads, which block on the result.
#[derive(Debug)]
pub(crate) struct OnRuntime<E> {
    inner: E,
    /// Upgraded for the length of each call: the runtime cannot stop under a running
    /// export, and once it has stopped, calls fail without touching tokio.
    runtime: Weak<ExportRuntime>,
    /// The time limit of one export (`OTEL_BSP_EXPORT_TIMEOUT`, …), on top of the
    /// exporter's own.
    timeout: Duration,
}

impl<E> OnRuntime<E> {
    pub(crate) fn new(inner: E, runtime: &Arc<ExportRuntime>, timeout: Duration) -> Self {
        OnRuntime {
            inner,
            runtime: Arc::downgrade(runtime),
            timeout,
        }
    }

    /// Runs one export on the runtime, within the time limit.
    fn run_export<F: Future<Output = OTelSdkResult> + Send>(&self, future: F) -> OTelSdkResult {
        let Some(runtime) = self.runtime.upgrade() else {
            return Err(OTelSdkError::InternalFailure(
                "telemetry was shut down: trace-genai's export runtime has stopped".to_owned(),
            ));
        };
        let timeout = self.timeout;
        let limited = async move {
            tokio::time::timeout(timeout, future)
                .await
                .unwrap_or(Err(OTelSdkError::Timeout(timeout)))
        };
        runtime.block_on(limited)
    }

    /// Calls `f` inside the runtime's context; once the runtime has stopped, there is
    /// nothing left to flush or shut down.
    fn entered(&self, f: impl FnOnce(&E) -> OTelSdkResult) -> OTelSdkResult {
        match self.runtime.upgrade() {
            Some(runtime) => {
                let _entered = runtime.handle().enter();
                f(&self.inner)
            }
            None => Ok(()),
        }
    }
}

/// Exports, flushes and shutdowns run on the export runtime.
impl<E: Send + Sync> ExportWrapper for OnRuntime<E> {
    fn around_export<F: Future<Output = OTelSdkResult> + Send>(
        &self,
        _items: u64,
        export: F,
    ) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.run_export(export))
    }

    fn around_call(&self, call: impl FnOnce() -> OTelSdkResult) -> OTelSdkResult {
        self.entered(|_| call())
    }
}

exporter_for_every_signal!(OnRuntime);

/// The parts of [`Runtimes`](super::Runtimes) that only network exporters use.
impl super::Runtimes {
    /// A batch processor for a network exporter, with delivery accounting.
    pub(super) fn counted<E: opentelemetry_sdk::trace::SpanExporter + 'static>(
        &mut self,
        name: String,
        seen: delivery::Seen,
        exporter: E,
        runtime: &std::sync::Arc<ExportRuntime>,
        settings: &ExportSettings,
        own_timeout: Option<Duration>,
    ) -> Result<
        delivery::Counted<batch::BatchProcessor<opentelemetry_sdk::trace::SpanData>>,
        InitError,
    > {
        let spans = settings.batch.spans.clamped();
        let (exporter, delivery) = self.on_runtime(
            exporter,
            runtime,
            spans.export_timeout,
            (
                name,
                crate::config::destination::Signal::Traces,
                seen,
                own_timeout,
            ),
        );
        let processor =
            batch::BatchProcessor::for_spans(exporter, spans, Some(settings.max_request_bytes))?;
        Ok(delivery::Counted::watching(processor, delivery))
    }

    /// `exporter` of one network destination and signal (`name`, `signal`, `seen`, and
    /// the exporter's own time limit if it has one), run on the export runtime within
    /// `timeout` and counted in the delivery accounting it returns.
    pub(super) fn on_runtime<E>(
        &mut self,
        exporter: E,
        runtime: &Arc<ExportRuntime>,
        timeout: Duration,
        (name, signal, seen, own_timeout): (
            String,
            crate::config::destination::Signal,
            delivery::Seen,
            Option<Duration>,
        ),
    ) -> (delivery::Counted<OnRuntime<E>>, Arc<delivery::Delivery>) {
        let limit = own_timeout.map_or(timeout, |own| own.min(timeout));
        let delivery = self.delivery(name, signal, seen, limit);
        let exporter = delivery::Counted::new(
            OnRuntime::new(exporter, runtime, timeout),
            Arc::clone(&delivery),
        );
        (exporter, delivery)
    }

    /// The delivery accounting of one network destination and signal.
    pub(super) fn delivery(
        &mut self,
        name: String,
        signal: crate::config::destination::Signal,
        seen: delivery::Seen,
        limit: Duration,
    ) -> std::sync::Arc<delivery::Delivery> {
        let delivery = std::sync::Arc::new(delivery::Delivery::new(name, signal, seen, limit));
        self.deliveries.push(std::sync::Arc::clone(&delivery));
        delivery
    }

    /// The export runtime, created on first use.
    pub(super) fn runtime(&mut self) -> Result<std::sync::Arc<ExportRuntime>, InitError> {
        if let Some(runtime) = &self.export {
            return Ok(std::sync::Arc::clone(runtime));
        }
        let runtime = std::sync::Arc::new(ExportRuntime::new()?);
        self.export = Some(std::sync::Arc::clone(&runtime));
        Ok(runtime)
    }
}
