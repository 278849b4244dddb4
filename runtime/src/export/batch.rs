//! trace-genai's batch processors for spans and log records.
//!
//! The SDK's batch processors reserve their whole queue when they start (a channel of
//! `max_queue_size` slots: about 360 bytes per span, so `OTEL_BSP_MAX_QUEUE_SIZE=10000000`
//! costs 3.6 GB before the first span), and their thread wakes every schedule delay even
//! with nothing to export (a zero delay spins a core). Here, items go into a queue
//! (a `VecDeque` behind a mutex held only to push or to take a batch) kept within
//! `max_queue_size`: it grows as items arrive, up to the largest backlog seen, and
//! never reserves its capacity up front. Pushing an item is a lock, a copy and an
//! unlock; it never wakes a thread. The worker waits on
//! a second channel, of control messages: the first item of an empty queue starts its
//! batch's schedule delay, a full batch asks for an export at once, and flush and
//! shutdown export everything sent before them. With nothing queued, the worker waits
//! without a timeout.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, LogProcessor, SdkLogRecord};
use opentelemetry_sdk::trace::{SpanData, SpanExporter, SpanProcessor};

use crate::config::BatchProcessorConfig;
use crate::config::error::InitError;

/// How long `force_flush` waits for the worker (the SDK processors' value).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// A queued log record with its scope.
pub(crate) type LogItem = Box<(SdkLogRecord, InstrumentationScope)>;

/// What a worker hands its batches to: a span or a log exporter.
trait Export: Send + 'static {
    type Item: Send + 'static;
    fn export(&self, batch: Vec<Self::Item>) -> OTelSdkResult;
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult;
    fn set_resource(&mut self, resource: &Resource);
}

struct Spans<E>(E);

impl<E: SpanExporter + 'static> Export for Spans<E> {
    type Item = SpanData;

    fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        block_on(self.0.export(batch))
    }

    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

struct Logs<E>(E);

impl<E: LogExporter + 'static> Export for Logs<E> {
    type Item = LogItem;

    fn export(&self, batch: Vec<LogItem>) -> OTelSdkResult {
        let records: Vec<(&SdkLogRecord, &InstrumentationScope)> =
            batch.iter().map(|item| (&item.0, &item.1)).collect();
        block_on(self.0.export(LogBatch::new(&records)))
    }

    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// Polls `future` to completion on this thread. The exporters here finish on their
/// first poll (network ones block on the export runtime inside `export`), so this
/// rarely parks.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

/// What the worker is told, apart from the items themselves.
enum Control {
    /// An item arrived in an empty queue: its batch's schedule delay starts.
    Wake,
    /// A full batch is queued.
    ExportNow,
    Flush(SyncSender<OTelSdkResult>),
    Shutdown(Duration, SyncSender<OTelSdkResult>),
    Resource(Resource),
}

/// What the processor and its worker share.
#[derive(Debug)]
struct Shared<T> {
    /// Items queued and not yet taken by the worker, at most `max_queue_size`.
    queue: Mutex<VecDeque<T>>,
    /// An `ExportNow` is on its way.
    export_requested: AtomicBool,
}

impl<T> Shared<T> {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A batch processor of items `T` (spans or log records) with its worker thread.
pub(crate) struct BatchProcessor<T> {
    control: Sender<Control>,
    shared: Arc<Shared<T>>,
    max_queue_size: usize,
    max_export_batch_size: usize,
    worker: Mutex<Option<JoinHandle<()>>>,
    shut_down: AtomicBool,
}

impl<T> std::fmt::Debug for BatchProcessor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchProcessor")
            .field("queued", &self.shared.queue().len())
            .field("max_queue_size", &self.max_queue_size)
            .field("max_export_batch_size", &self.max_export_batch_size)
            .finish_non_exhaustive()
    }
}

impl BatchProcessor<SpanData> {
    /// A batch span processor in front of `exporter`.
    pub(crate) fn for_spans<E: SpanExporter + 'static>(
        exporter: E,
        settings: BatchProcessorConfig,
    ) -> Result<Self, InitError> {
        Self::start(Spans(exporter), settings, "trace-genai-spans")
    }
}

impl BatchProcessor<LogItem> {
    /// A batch log record processor in front of `exporter`.
    pub(crate) fn for_logs<E: LogExporter + 'static>(
        exporter: E,
        settings: BatchProcessorConfig,
    ) -> Result<Self, InitError> {
        Self::start(Logs(exporter), settings, "trace-genai-logs")
    }
}

impl<T: Send + 'static> BatchProcessor<T> {
    fn start<X: Export<Item = T>>(
        exporter: X,
        settings: BatchProcessorConfig,
        thread_name: &str,
    ) -> Result<Self, InitError> {
        let (control, control_receiver) = mpsc::channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            export_requested: AtomicBool::new(false),
        });
        let max_queue_size = settings.max_queue_size.max(1);
        let max_export_batch_size = settings.max_export_batch_size.clamp(1, max_queue_size);
        let worker = Worker {
            exporter,
            control: control_receiver,
            shared: Arc::clone(&shared),
            schedule_delay: settings.schedule_delay,
            max_export_batch_size,
        };
        let worker = std::thread::Builder::new()
            .name(thread_name.to_owned())
            .spawn(move || worker.run())
            .map_err(|error| InitError::Exporter {
                exporter: "batch processor",
                source: Box::new(error),
            })?;
        Ok(BatchProcessor {
            control,
            shared,
            max_queue_size,
            max_export_batch_size,
            worker: Mutex::new(Some(worker)),
            shut_down: AtomicBool::new(false),
        })
    }

    /// Queues `item`, or drops it when the queue is full. The worker is woken only by
    /// the first item of a batch and by a full batch, not per item.
    #[allow(
        clippy::inline_always,
        reason = "on every span end: inlined, the item is copied once, into the queue"
    )]
    #[inline(always)]
    fn enqueue(&self, item: T) {
        let queued = {
            let mut queue = self.shared.queue();
            if queue.len() >= self.max_queue_size {
                return;
            }
            // The queue grows first, then takes the item where no growth can happen: the
            // item (a span is large) is then moved once, straight into the queue.
            if queue.len() == queue.capacity() {
                queue.reserve(1);
            }
            if queue.len() < queue.capacity() {
                queue.push_back(item);
            }
            queue.len()
        };
        if queued == 1 {
            let _ = self.control.send(Control::Wake);
        }
        if queued >= self.max_export_batch_size
            && !self.shared.export_requested.swap(true, Ordering::AcqRel)
        {
            let _ = self.control.send(Control::ExportNow);
        }
    }

    fn flush(&self) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let (reply, result) = mpsc::sync_channel(1);
        self.control
            .send(Control::Flush(reply))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        match result.recv_timeout(FLUSH_TIMEOUT) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(FLUSH_TIMEOUT)),
            Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::AlreadyShutdown),
        }
    }

    /// Exports what is queued and shuts the exporter down, waiting at most `timeout`.
    /// As with the SDK's processors, an export error is not returned here (delivery
    /// accounting reports lost spans); a timeout is.
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let (reply, result) = mpsc::sync_channel(1);
        self.control
            .send(Control::Shutdown(timeout, reply))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        match result.recv_timeout(timeout) {
            Ok(_) => {
                // The worker has answered and is returning.
                let worker = self
                    .worker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(worker) = worker {
                    let _ = worker.join();
                }
                Ok(())
            }
            Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::InternalFailure(
                "the batch processor's thread has stopped".to_owned(),
            )),
        }
    }

    fn set_resource(&self, resource: &Resource) {
        let _ = self.control.send(Control::Resource(resource.clone()));
    }
}

impl SpanProcessor for BatchProcessor<SpanData> {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        self.enqueue(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        BatchProcessor::set_resource(self, resource);
    }
}

impl LogProcessor for BatchProcessor<LogItem> {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        self.enqueue(Box::new((record.clone(), scope.clone())));
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        BatchProcessor::set_resource(self, resource);
    }
}

struct Worker<X: Export> {
    exporter: X,
    control: Receiver<Control>,
    shared: Arc<Shared<X::Item>>,
    schedule_delay: Duration,
    max_export_batch_size: usize,
}

impl<X: Export> Worker<X> {
    fn run(mut self) {
        // Whatever the exporter does must not make telemetry of its own.
        let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
        // When the queued items must be exported; `None` while none is queued (then
        // the worker sleeps until told otherwise).
        let mut deadline: Option<Instant> = None;
        loop {
            let message = match deadline {
                None => self
                    .control
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
                Some(deadline) => self
                    .control
                    .recv_timeout(deadline.saturating_duration_since(Instant::now())),
            };
            match message {
                Ok(Control::Wake) => {}
                Ok(Control::ExportNow) => {
                    self.shared.export_requested.store(false, Ordering::Release);
                    let _ = self.export_queued();
                    deadline = None;
                }
                Ok(Control::Flush(reply)) => {
                    let _ = reply.send(self.export_queued());
                    deadline = None;
                }
                Ok(Control::Shutdown(timeout, reply)) => {
                    let result = self.export_queued();
                    let _ = reply.send(result.and(self.exporter.shutdown(timeout)));
                    return;
                }
                Ok(Control::Resource(resource)) => self.exporter.set_resource(&resource),
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.export_queued();
                    deadline = None;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // The processor was dropped without a shutdown.
                    let _ = self.export_queued();
                    return;
                }
            }
            // An item sent while the worker was busy may have found the queue
            // non-empty and sent no `Wake`: the count decides, not the messages.
            if self.shared.queue().is_empty() {
                deadline = None;
            } else if deadline.is_none() {
                // Past `Instant`'s range: the items wait for a full batch or a flush.
                deadline = Instant::now().checked_add(self.schedule_delay);
            }
        }
    }

    /// Exports every queued item, in batches of at most `max_export_batch_size`;
    /// returns the last export's result.
    fn export_queued(&self) -> OTelSdkResult {
        let mut result = Ok(());
        loop {
            let batch: Vec<X::Item> = {
                let mut queue = self.shared.queue();
                let count = queue.len().min(self.max_export_batch_size);
                queue.drain(..count).collect()
            };
            if batch.is_empty() {
                return result;
            }
            let full = batch.len() == self.max_export_batch_size;
            // An exporter that panics fails its batch; the worker goes on with the next.
            result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.exporter.export(batch)
            }))
            .unwrap_or_else(|payload| {
                Err(super::wrapper::panicked(&super::wrapper::panic_message(
                    payload.as_ref(),
                )))
            });
            if !full {
                return result;
            }
        }
    }
}

#[cfg(test)]
mod tests;
