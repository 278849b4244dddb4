//! Counts, per destination and signal, what was emitted, exported, or failed to
//! export, so that shutdown reports losses once instead of per item, with their cause.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::wrapper::{ExportWrapper, exporter_for_every_signal};
use crate::config::destination::Signal;
use crate::config::error::{ExportFailure, ShutdownError};

/// What the transport saw on its last failed attempt (an HTTP answer with its body, a
/// connection error with its cause), recorded by [`Observed`](super::observed) clients:
/// the exporters' own errors leave that out.
pub(crate) type Seen = Arc<Mutex<Option<ExportFailure>>>;

#[derive(Debug)]
pub(crate) struct Delivery {
    name: String,
    signal: Signal,
    /// Spans ended or log records emitted; unused for metrics.
    ended: AtomicU64,
    /// Items exported (metrics: exports that succeeded).
    exported: AtomicU64,
    /// Items in failed exports (metrics: exports that failed).
    failed: AtomicU64,
    last_error: Mutex<Option<ExportFailure>>,
    seen: Seen,
}

impl Delivery {
    pub(crate) fn new(name: String, signal: Signal, seen: Seen) -> Self {
        Delivery {
            name,
            signal,
            ended: AtomicU64::new(0),
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_error: Mutex::new(None),
            seen,
        }
    }

    fn take_seen(&self) -> Option<ExportFailure> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Counts an export of `count` items (metrics: one export) and its result.
    fn settle(&self, count: u64, result: &OTelSdkResult) {
        match result {
            Ok(()) => {
                self.exported.fetch_add(count, Ordering::Relaxed);
                self.take_seen();
            }
            Err(error) => {
                self.failed.fetch_add(count, Ordering::Relaxed);
                let failure = cause(error, self.take_seen());
                *self
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(failure);
            }
        }
    }

    /// Items in failed exports so far (metrics: failed exports).
    pub(crate) fn failures(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// The losses, if any; call once every export has settled.
    pub(crate) fn report(&self) -> Option<ShutdownError> {
        let ended = self.ended.load(Ordering::Relaxed);
        let exported = self.exported.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let cause = self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            // Exports still retrying at shutdown failed no export yet: say what their
            // attempts met.
            .or_else(|| self.take_seen());
        if self.signal == Signal::Metrics {
            return (failed > 0).then(|| ShutdownError::ExportsFailed {
                destination: self.name.clone(),
                signal: self.signal,
                attempted: exported + failed,
                failed,
                cause,
            });
        }
        let dropped = ended.saturating_sub(exported + failed);
        let lost = failed + dropped;
        (lost > 0).then(|| ShutdownError::Undelivered {
            destination: self.name.clone(),
            signal: self.signal,
            ended,
            lost,
            failed,
            dropped,
            cause,
        })
    }
}

/// The cause of a failed export: what the transport saw, when it says more than the
/// exporter's error (whose HTTP failures carry no body, and network ones no cause).
fn cause(error: &OTelSdkError, seen: Option<ExportFailure>) -> ExportFailure {
    seen.unwrap_or_else(|| ExportFailure::from_sdk(error))
}

/// A processor or exporter that counts what passes through it.
#[derive(Debug)]
pub(crate) struct Counted<T> {
    inner: T,
    delivery: Arc<Delivery>,
}

impl<T> Counted<T> {
    pub(crate) fn new(inner: T, delivery: Arc<Delivery>) -> Self {
        Counted { inner, delivery }
    }
}

/// An exporter's results are settled in the delivery report.
impl<E: Send + Sync> ExportWrapper for Counted<E> {
    async fn around_export<F: Future<Output = OTelSdkResult> + Send>(
        &self,
        items: u64,
        export: F,
    ) -> OTelSdkResult {
        let result = export.await;
        self.delivery.settle(items, &result);
        result
    }
}

exporter_for_every_signal!(Counted);

impl<P: SpanProcessor> SpanProcessor for Counted<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        self.delivery.ended.fetch_add(1, Ordering::Relaxed);
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

impl<P: opentelemetry_sdk::logs::LogProcessor> opentelemetry_sdk::logs::LogProcessor
    for Counted<P>
{
    fn emit(
        &self,
        record: &mut opentelemetry_sdk::logs::SdkLogRecord,
        scope: &opentelemetry::InstrumentationScope,
    ) {
        self.delivery.ended.fetch_add(1, Ordering::Relaxed);
        self.inner.emit(record, scope);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}
