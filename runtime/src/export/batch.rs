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
//!
//! The queue is bounded in bytes as well as in items: each item's
//! [weight](super::weight) is added when it is queued and taken off once its export has
//! settled, so the budget covers the batch being exported too. A span heavier than the
//! destination's request limit is cut to fit (content first, marked); a log record is
//! dropped alone. Batches are split so that their weight stays within the request limit.
//! Every item dropped is counted, by the bound that dropped it, for the delivery report.
//!
//! Flush and shutdown have a deadline (the install's, see
//! [`with_flush_deadline`]): the worker starts no batch after it, and what is still queued
//! is reported as queued, not as lost.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// How long `force_flush` waits for the worker when called outside
/// [`with_flush_deadline`] (the SDK processors' value).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// The deadline of the flush this thread is running (see [`with_flush_deadline`]).
    static FLUSH_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `f` (a provider's `force_flush`, which reaches the processors on this thread)
/// with `deadline` as the deadline of every batch processor's flush.
pub(crate) fn with_flush_deadline<R>(deadline: Instant, f: impl FnOnce() -> R) -> R {
    let before = FLUSH_DEADLINE.with(|cell| cell.replace(Some(deadline)));
    let result = f();
    FLUSH_DEADLINE.with(|cell| cell.set(before));
    result
}

/// A queued log record with its scope.
pub(crate) type LogItem = Box<(SdkLogRecord, InstrumentationScope)>;

/// An item of a batch processor: what it weighs, and how it is brought within a limit.
pub(crate) trait Item: Send + 'static {
    /// The item's estimated weight in bytes (see [`weight`](super::weight)).
    fn weight(&self) -> usize;
    /// Brings the item within `limit` bytes if it can (content cut first, marked).
    fn fit(&mut self, limit: usize) -> bool;
}

impl Item for SpanData {
    #[inline]
    fn weight(&self) -> usize {
        super::weight::span_bytes(self)
    }

    fn fit(&mut self, limit: usize) -> bool {
        super::weight::fit_span(self, limit)
    }
}

impl Item for LogItem {
    fn weight(&self) -> usize {
        super::weight::record_bytes(&self.0)
    }

    fn fit(&mut self, _limit: usize) -> bool {
        false
    }
}

/// What a worker hands its batches to: a span or a log exporter, or a content store.
pub(crate) trait Export: Send + 'static {
    type Item: Item;
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
    /// Export what is queued, starting no batch after the deadline.
    Flush(Instant, SyncSender<OTelSdkResult>),
    /// Export what is queued, starting no batch after the deadline, then shut down.
    Shutdown(Instant, SyncSender<OTelSdkResult>),
    Resource(Resource),
}

/// The queue: items not yet taken by the worker, and the bytes held by them and by the
/// batch being exported.
#[derive(Debug)]
struct Queue<T> {
    items: VecDeque<T>,
    /// The weight of `items` and of the batch being exported.
    bytes: usize,
}

/// Items a batch processor dropped, by the bound that dropped them, and cut to fit.
#[derive(Debug, Default)]
pub(crate) struct Drops {
    /// The queue held `max_queue_size` items.
    pub(crate) queue_full: AtomicU64,
    /// The item did not fit in the queue's byte budget.
    pub(crate) queue_bytes: AtomicU64,
    /// The item alone was heavier than the destination's request limit (or the budget).
    pub(crate) too_large: AtomicU64,
    /// Items cut to fit the request limit (and delivered so).
    pub(crate) cut: AtomicU64,
}

/// What the processor and its worker share.
#[derive(Debug)]
struct Shared<T> {
    queue: Mutex<Queue<T>>,
    /// An `ExportNow` is on its way.
    export_requested: AtomicBool,
    drops: Drops,
}

impl<T> Shared<T> {
    fn queue(&self) -> std::sync::MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A batch processor's backlog, as the delivery report reads it.
pub(crate) trait Backlog: Send + Sync + std::fmt::Debug {
    /// Items dropped, by bound.
    fn drops(&self) -> &Drops;
}

impl<T: Send + std::fmt::Debug> Backlog for Shared<T> {
    fn drops(&self) -> &Drops {
        &self.drops
    }
}

/// A batch processor of items `T` (spans or log records) with its worker thread.
pub(crate) struct BatchProcessor<T> {
    control: Sender<Control>,
    shared: Arc<Shared<T>>,
    max_queue_size: usize,
    max_queue_bytes: usize,
    /// The heaviest item accepted: the destination's request limit, or the byte budget.
    max_item_bytes: usize,
    max_export_batch_size: usize,
    worker: Mutex<Option<JoinHandle<()>>>,
    shut_down: AtomicBool,
}

impl<T> std::fmt::Debug for BatchProcessor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchProcessor")
            .field("queued", &self.shared.queue().items.len())
            .field("max_queue_bytes", &self.max_queue_bytes)
            .field("max_queue_size", &self.max_queue_size)
            .field("max_export_batch_size", &self.max_export_batch_size)
            .finish_non_exhaustive()
    }
}

impl BatchProcessor<SpanData> {
    /// A batch span processor in front of `exporter`, whose requests may weigh at most
    /// `request_limit` bytes (`None`: no limit but the queue's budget).
    pub(crate) fn for_spans<E: SpanExporter + 'static>(
        exporter: E,
        settings: BatchProcessorConfig,
        request_limit: Option<usize>,
    ) -> Result<Self, InitError> {
        Self::start(
            Spans(exporter),
            settings,
            request_limit,
            "trace-genai-spans",
        )
    }
}

impl BatchProcessor<LogItem> {
    /// A batch log record processor in front of `exporter` (see
    /// [`for_spans`](BatchProcessor::for_spans)).
    pub(crate) fn for_logs<E: LogExporter + 'static>(
        exporter: E,
        settings: BatchProcessorConfig,
        request_limit: Option<usize>,
    ) -> Result<Self, InitError> {
        Self::start(Logs(exporter), settings, request_limit, "trace-genai-logs")
    }
}

impl<T: Item + std::fmt::Debug> BatchProcessor<T> {
    /// A batch processor in front of `exporter`, on a worker thread named `thread_name`.
    pub(crate) fn start<X: Export<Item = T>>(
        exporter: X,
        settings: BatchProcessorConfig,
        request_limit: Option<usize>,
        thread_name: &str,
    ) -> Result<Self, InitError> {
        let (control, control_receiver) = mpsc::channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                bytes: 0,
            }),
            export_requested: AtomicBool::new(false),
            drops: Drops::default(),
        });
        let max_queue_size = settings.max_queue_size.max(1);
        let max_export_batch_size = settings.max_export_batch_size.clamp(1, max_queue_size);
        let max_queue_bytes = settings.max_queue_bytes.max(1);
        let max_item_bytes = request_limit.unwrap_or(usize::MAX).min(max_queue_bytes);
        let worker = Worker {
            exporter,
            control: control_receiver,
            shared: Arc::clone(&shared),
            schedule_delay: settings.schedule_delay,
            max_export_batch_size,
            max_batch_bytes: request_limit.unwrap_or(usize::MAX),
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
            max_queue_bytes,
            max_item_bytes,
            max_export_batch_size,
            worker: Mutex::new(Some(worker)),
            shut_down: AtomicBool::new(false),
        })
    }

    /// The backlog and drops, for the delivery report.
    pub(crate) fn backlog(&self) -> Arc<dyn Backlog> {
        Arc::clone(&self.shared) as Arc<dyn Backlog>
    }

    /// Queues `item`, or drops it (and counts it) when a bound is hit. The worker is
    /// woken only by the first item of a batch and by a full batch, not per item.
    #[allow(
        clippy::inline_always,
        reason = "on every span end: inlined, the item is copied once, into the queue"
    )]
    #[inline(always)]
    pub(crate) fn enqueue(&self, item: T) {
        let weight = item.weight();
        self.push(item, weight, self.max_item_bytes);
    }

    /// Queues `item` of `weight`, or drops and counts it when a bound is hit. An item
    /// heavier than `heavy` is taken back out and handed to
    /// [`enqueue_heavy`](Self::enqueue_heavy): the common path moves the item once,
    /// straight into the queue, and never elsewhere.
    #[allow(
        clippy::inline_always,
        reason = "on every span end: inlined, the item is copied once, into the queue"
    )]
    #[inline(always)]
    fn push(&self, item: T, weight: usize, heavy: usize) {
        let queued = {
            let mut queue = self.shared.queue();
            if queue.items.len() >= self.max_queue_size {
                drop(queue);
                self.shared.drops.queue_full.fetch_add(1, Ordering::Relaxed);
                return;
            }
            if queue.bytes + weight > self.max_queue_bytes && weight <= heavy {
                drop(queue);
                self.shared
                    .drops
                    .queue_bytes
                    .fetch_add(1, Ordering::Relaxed);
                return;
            }
            // The queue grows first, then takes the item where no growth can happen: the
            // item (a span is large) is then moved once, straight into the queue.
            if queue.items.len() == queue.items.capacity() {
                queue.items.reserve(1);
            }
            if queue.items.len() < queue.items.capacity() {
                queue.items.push_back(item);
                if weight > heavy {
                    let item = queue.items.pop_back();
                    drop(queue);
                    self.enqueue_heavy(item);
                    return;
                }
                queue.bytes += weight;
            }
            queue.items.len()
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

    /// An item heavier than the request limit: cut to fit (outside the lock) and queued,
    /// or dropped and counted.
    #[cold]
    #[inline(never)]
    fn enqueue_heavy(&self, item: Option<T>) {
        let Some(mut item) = item else {
            return;
        };
        if item.fit(self.max_item_bytes) {
            self.shared.drops.cut.fetch_add(1, Ordering::Relaxed);
            let weight = item.weight();
            self.push(item, weight, usize::MAX);
        } else {
            self.shared.drops.too_large.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Exports what is queued, within the flush deadline of this thread (see
    /// [`with_flush_deadline`]), else 5 s.
    pub(crate) fn flush(&self) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let deadline = FLUSH_DEADLINE
            .with(Cell::get)
            .or_else(|| Instant::now().checked_add(FLUSH_TIMEOUT))
            .unwrap_or_else(Instant::now);
        let (reply, result) = mpsc::sync_channel(1);
        self.control
            .send(Control::Flush(deadline, reply))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        let timeout = deadline.saturating_duration_since(Instant::now());
        match result.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::AlreadyShutdown),
        }
    }

    /// Exports what is queued and shuts the exporter down, waiting at most `timeout`.
    /// As with the SDK's processors, an export error is not returned here (delivery
    /// accounting reports lost spans); a timeout is.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(|| Instant::now() + crate::config::NO_TIMEOUT);
        let (reply, result) = mpsc::sync_channel(1);
        self.control
            .send(Control::Shutdown(deadline, reply))
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
    /// The heaviest batch (the destination's request limit).
    max_batch_bytes: usize,
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
                    let _ = self.export_queued(None);
                    deadline = None;
                }
                Ok(Control::Flush(until, reply)) => {
                    let _ = reply.send(self.export_queued(Some(until)));
                    deadline = None;
                }
                Ok(Control::Shutdown(until, reply)) => {
                    let result = self.export_queued(Some(until));
                    let left = until.saturating_duration_since(Instant::now());
                    let _ = reply.send(result.and(self.exporter.shutdown(left)));
                    return;
                }
                Ok(Control::Resource(resource)) => self.exporter.set_resource(&resource),
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.export_queued(None);
                    deadline = None;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // The processor was dropped without a shutdown.
                    let _ = self.export_queued(None);
                    return;
                }
            }
            // An item sent while the worker was busy may have found the queue
            // non-empty and sent no `Wake`: the count decides, not the messages.
            if self.shared.queue().items.is_empty() {
                deadline = None;
            } else if deadline.is_none() {
                // Past `Instant`'s range: the items wait for a full batch or a flush.
                deadline = Instant::now().checked_add(self.schedule_delay);
            }
        }
    }

    /// Exports every queued item, in batches of at most `max_export_batch_size` items
    /// and `max_batch_bytes`; returns the last export's result. With `until`, no batch
    /// starts after it (the flush or shutdown deadline) and a timeout is returned if
    /// items are left.
    fn export_queued(&self, until: Option<Instant>) -> OTelSdkResult {
        let mut result = Ok(());
        loop {
            if until.is_some_and(|until| Instant::now() >= until) {
                if self.shared.queue().items.is_empty() {
                    return result;
                }
                return Err(OTelSdkError::Timeout(Duration::ZERO));
            }
            let (batch, bytes, full) = self.take_batch();
            if batch.is_empty() {
                return result;
            }
            // An exporter that panics fails its batch; the worker goes on with the next.
            result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.exporter.export(batch)
            }))
            .unwrap_or_else(|payload| {
                Err(super::wrapper::panicked(&super::wrapper::panic_message(
                    payload.as_ref(),
                )))
            });
            {
                let mut queue = self.shared.queue();
                queue.bytes = queue.bytes.saturating_sub(bytes);
            }
            if !full {
                return result;
            }
        }
    }

    /// Takes the next batch off the queue: at most `max_export_batch_size` items, and
    /// no heavier than `max_batch_bytes` unless it is a single item. The items stay in
    /// the byte budget until their export settles. Also says whether a bound cut the
    /// batch (more may be queued behind it).
    fn take_batch(&self) -> (Vec<X::Item>, usize, bool) {
        let mut queue = self.shared.queue();
        let mut bytes = 0;
        let mut count = 0;
        let mut full = false;
        for item in &queue.items {
            let weight = item.weight();
            if count == self.max_export_batch_size
                || (count > 0 && bytes + weight > self.max_batch_bytes)
            {
                full = true;
                break;
            }
            bytes += weight;
            count += 1;
        }
        (queue.items.drain(..count).collect(), bytes, full)
    }
}

#[cfg(test)]
mod tests;
