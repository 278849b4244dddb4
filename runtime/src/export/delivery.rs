//! Counts, per destination and signal, what was emitted, exported, or failed to
//! export, so that shutdown reports losses once instead of per item, with their cause.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::batch::Backlog;
use super::wrapper::{ExportWrapper, exporter_for_every_signal};
use crate::config::destination::Signal;
use crate::config::error::{
    Deadline, DeliveryCounts, DeliveryReport, ExportFailure, ShutdownError,
};

/// What the transport saw on its last failed attempt (an HTTP answer with its body, a
/// connection error with its cause), recorded by [`Observed`](super::observed) clients:
/// the exporters' own errors leave that out.
pub(crate) type Seen = Arc<Mutex<Option<ExportFailure>>>;

/// A mark of the problems so far (see [`Delivery::problems`]).
pub(crate) type Mark = u64;

#[derive(Debug)]
pub(crate) struct Delivery {
    name: String,
    signal: Signal,
    /// The time limit of one export: the flush and shutdown deadline follows it.
    limit: Duration,
    /// Spans ended or log records emitted; unused for metrics.
    ended: AtomicU64,
    /// Items exported (metrics: exports that succeeded).
    exported: AtomicU64,
    /// Items in failed exports (metrics: exports that failed).
    failed: AtomicU64,
    /// Items in exports that timed out (metrics: exports).
    timed_out: AtomicU64,
    /// Exports running now.
    in_flight: AtomicU64,
    /// The batch processor in front of the exporter, when there is one.
    backlog: OnceLock<Arc<dyn Backlog>>,
    last_error: Mutex<Option<ExportFailure>>,
    seen: Seen,
}

impl Delivery {
    pub(crate) fn new(name: String, signal: Signal, seen: Seen, limit: Duration) -> Self {
        Delivery {
            name,
            signal,
            limit,
            ended: AtomicU64::new(0),
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            backlog: OnceLock::new(),
            last_error: Mutex::new(None),
            seen,
        }
    }

    /// The destination, as reports name it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The signal.
    pub(crate) fn signal(&self) -> Signal {
        self.signal
    }

    /// The time limit of one export.
    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// Reads the queue and drops of the batch processor in front of the exporter.
    pub(crate) fn watch(&self, backlog: Arc<dyn Backlog>) {
        let _ = self.backlog.set(backlog);
    }

    fn take_seen(&self) -> Option<ExportFailure> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Counts `count` items produced (items that do not pass a [`Counted`] processor).
    #[cfg_attr(
        not(feature = "upload"),
        allow(dead_code, reason = "only the upload hook's queue counts this way")
    )]
    pub(crate) fn produced(&self, count: u64) {
        self.ended.fetch_add(count, Ordering::Relaxed);
    }

    /// Counts an export of `count` items (metrics: one export) and its result.
    pub(crate) fn settle(&self, count: u64, result: &OTelSdkResult) {
        match result {
            Ok(()) => {
                self.exported.fetch_add(count, Ordering::Relaxed);
                self.take_seen();
            }
            Err(error) => {
                let failure = cause(error, self.take_seen());
                if matches!(failure, ExportFailure::TimedOut(_)) || is_deadline(&failure) {
                    self.timed_out.fetch_add(count, Ordering::Relaxed);
                } else {
                    self.failed.fetch_add(count, Ordering::Relaxed);
                }
                *self
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(failure);
            }
        }
    }

    /// Exports running now.
    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Items (metrics: exports) that failed, timed out or were dropped so far: a mark
    /// that a later report compares with.
    pub(crate) fn problems(&self) -> Mark {
        let counts = self.counts();
        counts.failed + counts.timed_out + counts.dropped_by_bounds()
    }

    /// Every category, now.
    pub(crate) fn counts(&self) -> DeliveryCounts {
        let produced = self.ended.load(Ordering::Relaxed);
        let delivered = self.exported.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let timed_out = self.timed_out.load(Ordering::Relaxed);
        let mut counts = DeliveryCounts {
            produced,
            delivered,
            failed,
            timed_out,
            ..DeliveryCounts::default()
        };
        if let Some(backlog) = self.backlog.get() {
            let drops = backlog.drops();
            counts.dropped_queue_full = drops.queue_full.load(Ordering::Relaxed);
            counts.dropped_queue_bytes = drops.queue_bytes.load(Ordering::Relaxed);
            counts.dropped_too_large = drops.too_large.load(Ordering::Relaxed);
            counts.cut = drops.cut.load(Ordering::Relaxed);
        }
        if self.signal != Signal::Metrics {
            // What is not accounted for otherwise is queued or in the batch being
            // exported (the queue is read last, so items settling meanwhile are not
            // counted twice).
            let settled = delivered + failed + timed_out + counts.dropped_by_bounds();
            counts.queued = produced.saturating_sub(settled);
        }
        counts
    }

    /// The report of this destination and signal at `deadline`, if anything was not
    /// delivered (or, at a flush, is still queued), or if a problem came after `mark`.
    pub(crate) fn report(&self, deadline: Deadline, mark: Option<Mark>) -> Option<ShutdownError> {
        let counts = self.counts();
        if mark.is_some_and(|mark| self.problems() <= mark) && counts.queued == 0 {
            return None;
        }
        let cause = self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            // Exports still retrying at the deadline failed no export yet: say what
            // their attempts met.
            .or_else(|| self.take_seen());
        if self.signal == Signal::Metrics {
            let failed = counts.failed + counts.timed_out;
            return (failed > 0).then(|| ShutdownError::ExportsFailed {
                destination: self.name.clone(),
                signal: self.signal,
                attempted: counts.delivered + failed,
                failed,
                cause,
            });
        }
        let at_shutdown = matches!(deadline, Deadline::Shutdown(_));
        let unsent = if at_shutdown { counts.queued } else { 0 };
        let dropped = counts.dropped_by_bounds() + unsent;
        let lost = counts.failed + dropped;
        (lost + counts.timed_out + counts.queued > 0).then(|| ShutdownError::Undelivered {
            destination: self.name.clone(),
            signal: self.signal,
            ended: counts.produced,
            lost,
            failed: counts.failed,
            dropped,
            report: Box::new(DeliveryReport { counts, deadline }),
            cause,
        })
    }
}

/// Whether a gRPC failure is the deadline of the call (tonic's own timeout).
fn is_deadline(failure: &ExportFailure) -> bool {
    matches!(failure, ExportFailure::Grpc { code, .. } if code == "DeadlineExceeded" || code == "Cancelled")
        || matches!(failure, ExportFailure::Network(reason) | ExportFailure::Other(reason) if reason.contains("timed out") || reason.contains("operation timed out"))
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

impl<I: super::batch::Item + std::fmt::Debug> Counted<super::batch::BatchProcessor<I>> {
    /// The processor, counted in `delivery`, whose report reads its queue and drops.
    pub(crate) fn watching(
        processor: super::batch::BatchProcessor<I>,
        delivery: Arc<Delivery>,
    ) -> Self {
        delivery.watch(processor.backlog());
        Counted::new(processor, delivery)
    }
}

/// An exporter's results are settled in the delivery report.
impl<E: Send + Sync> ExportWrapper for Counted<E> {
    async fn around_export<F: Future<Output = OTelSdkResult> + Send>(
        &self,
        items: u64,
        export: F,
    ) -> OTelSdkResult {
        self.delivery.in_flight.fetch_add(1, Ordering::Relaxed);
        let result = export.await;
        self.delivery.settle(items, &result);
        self.delivery.in_flight.fetch_sub(1, Ordering::Relaxed);
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
