//! Builds the exporters of each destination and adds them to the provider builders.
//!
//! Every exporter sits behind a batch processor (or a periodic reader for metrics), so
//! exporting happens on background threads and never blocks instrumented code. Spans and
//! log records go through trace-genai's own batch processors ([`batch`]): their queue takes
//! memory per queued item rather than for its whole capacity up front, and they sleep while
//! idle. The network exporters (OTLP, Azure Monitor) need a tokio runtime: trace-genai
//! runs one small runtime of its own ([`ExportRuntime`](on_runtime::ExportRuntime), one
//! worker thread), so applications without tokio work too, and exports never borrow the
//! application's runtime.
//!
//! The export runtime never panics the application: dropping it (an install error, a
//! `Telemetry` dropped inside `#[tokio::main]`) stops it in the background, and an export
//! still running when `Telemetry::shutdown` gives up keeps it alive until that export
//! ends, so no exporter thread ever touches a stopped runtime.

#![cfg_attr(
    not(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    )),
    allow(dead_code, reason = "helpers of the exporters whose features are off")
)]

use std::time::Duration;

use opentelemetry_sdk::logs::LoggerProviderBuilder;
use opentelemetry_sdk::metrics::MeterProviderBuilder;
use opentelemetry_sdk::trace::SpanProcessor;

use crate::config::{BatchConfig, BatchProcessorConfig, MIN_METRIC_EXPORT_INTERVAL};
use crate::destination::Destination;
use crate::error::InitError;

/// What the exporters need besides their destination.
pub(crate) struct ExportSettings {
    pub(crate) batch: BatchConfig,
    pub(crate) metric_export_interval: Duration,
    /// PEM certificates trusted in addition to the system roots (every network exporter).
    #[cfg_attr(
        not(any(
            all(feature = "tls", any(feature = "otlp-grpc", feature = "otlp-http")),
            feature = "azure-monitor"
        )),
        allow(dead_code, reason = "only the network exporters with TLS use it")
    )]
    pub(crate) root_certificates: Vec<String>,
    /// The client certificate and key of `with_client_certificate`: Azure Monitor's, and
    /// OTLP's unless the configuration gives its own.
    #[cfg_attr(
        not(any(
            all(feature = "tls", any(feature = "otlp-grpc", feature = "otlp-http")),
            feature = "azure-monitor"
        )),
        allow(dead_code, reason = "only the network exporters with TLS use it")
    )]
    pub(crate) client_identity: Option<(crate::destination::Pem, crate::destination::Pem)>,
}

/// The tokio runtime the network exporters run on; created on first use.
#[derive(Default)]
pub(crate) struct Runtimes {
    /// The one owner of the export runtime (exports hold it only while they run).
    #[cfg(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    ))]
    export: Option<std::sync::Arc<on_runtime::ExportRuntime>>,
    /// Delivery accounting of each network destination and signal.
    deliveries: Vec<std::sync::Arc<delivery::Delivery>>,
}

impl std::fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtimes").finish_non_exhaustive()
    }
}

impl Runtimes {
    /// A batch processor for a network exporter, with delivery accounting.
    #[cfg(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    ))]
    fn counted<E: opentelemetry_sdk::trace::SpanExporter + 'static>(
        &mut self,
        name: String,
        seen: delivery::Seen,
        exporter: E,
        runtime: &std::sync::Arc<on_runtime::ExportRuntime>,
        settings: &ExportSettings,
    ) -> Result<
        delivery::Counted<batch::BatchProcessor<opentelemetry_sdk::trace::SpanData>>,
        InitError,
    > {
        let delivery = self.delivery(name, crate::destination::Signal::Traces, seen);
        let spans = settings.batch.spans.clamped();
        let exporter = delivery::Counted::new(
            on_runtime::OnRuntime::new(exporter, runtime, spans.export_timeout),
            std::sync::Arc::clone(&delivery),
        );
        let processor = batch::BatchProcessor::for_spans(exporter, spans)?;
        Ok(delivery::Counted::new(processor, delivery))
    }

    /// The delivery accounting of one network destination and signal.
    #[cfg(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    ))]
    fn delivery(
        &mut self,
        name: String,
        signal: crate::destination::Signal,
        seen: delivery::Seen,
    ) -> std::sync::Arc<delivery::Delivery> {
        let delivery = std::sync::Arc::new(delivery::Delivery::new(name, signal, seen));
        self.deliveries.push(std::sync::Arc::clone(&delivery));
        delivery
    }

    /// The export runtime, created on first use.
    #[cfg(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    ))]
    fn runtime(&mut self) -> Result<std::sync::Arc<on_runtime::ExportRuntime>, InitError> {
        if let Some(runtime) = &self.export {
            return Ok(std::sync::Arc::clone(runtime));
        }
        let runtime = std::sync::Arc::new(on_runtime::ExportRuntime::new()?);
        self.export = Some(std::sync::Arc::clone(&runtime));
        Ok(runtime)
    }

    /// One error per destination and signal that lost telemetry.
    pub(crate) fn undelivered(&self) -> Vec<crate::error::ShutdownError> {
        self.deliveries.iter().filter_map(|d| d.report()).collect()
    }

    /// How many exports have failed so far, per destination and signal: the mark that
    /// [`Runtimes::failed_since`] compares with.
    pub(crate) fn failures(&self) -> Vec<u64> {
        self.deliveries.iter().map(|d| d.failures()).collect()
    }

    /// One error per destination and signal with an export that failed after `mark` (from
    /// [`Runtimes::failures`]), with its losses so far.
    pub(crate) fn failed_since(&self, mark: &[u64]) -> Vec<crate::error::ShutdownError> {
        self.deliveries
            .iter()
            .enumerate()
            .filter(|(i, d)| d.failures() > mark.get(*i).copied().unwrap_or(0))
            .filter_map(|(_, d)| d.report())
            .collect()
    }

    /// Lets the export runtime go: it stops, in the background, once no export runs on it
    /// any more (at once when none does). Safe inside an async context. Call after the
    /// providers are shut down; an exporter called later fails without touching tokio.
    #[cfg_attr(
        not(any(
            feature = "otlp-grpc",
            feature = "otlp-http",
            feature = "azure-monitor"
        )),
        allow(
            clippy::unused_self,
            reason = "no export runtime without a network exporter"
        )
    )]
    pub(crate) fn shutdown(&mut self) {
        #[cfg(any(
            feature = "otlp-grpc",
            feature = "otlp-http",
            feature = "azure-monitor"
        ))]
        drop(self.export.take());
    }
}

/// A batch span processor for a local exporter (the console).
#[cfg(feature = "console")]
fn span_processor<E: opentelemetry_sdk::trace::SpanExporter + 'static>(
    exporter: E,
    settings: &ExportSettings,
) -> Result<batch::BatchProcessor<opentelemetry_sdk::trace::SpanData>, InitError> {
    batch::BatchProcessor::for_spans(exporter, settings.batch.spans.clamped())
}

/// A batch log record processor.
fn log_processor<E: opentelemetry_sdk::logs::LogExporter + 'static>(
    exporter: E,
    settings: &BatchProcessorConfig,
) -> Result<batch::BatchProcessor<batch::LogItem>, InitError> {
    batch::BatchProcessor::for_logs(exporter, settings.clamped())
}

/// A periodic metric reader. The interval is always given, so the SDK never falls back to
/// reading `OTEL_METRIC_EXPORT_INTERVAL` itself (where zero would make it spin).
pub(crate) fn metric_reader<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>(
    exporter: E,
    settings: &ExportSettings,
) -> opentelemetry_sdk::metrics::PeriodicReader<E> {
    opentelemetry_sdk::metrics::PeriodicReader::builder(exporter)
        .with_interval(
            settings
                .metric_export_interval
                .max(MIN_METRIC_EXPORT_INTERVAL),
        )
        .build()
}

/// The exporter features, and whether each is compiled in.
const COMPILED_FEATURES: &[(&str, bool)] = &[
    ("console", cfg!(feature = "console")),
    ("otlp-grpc", cfg!(feature = "otlp-grpc")),
    ("otlp-http", cfg!(feature = "otlp-http")),
    ("azure-monitor", cfg!(feature = "azure-monitor")),
];

/// The cargo feature a destination needs, when it is not compiled in.
fn missing_feature(destination: &Destination) -> Option<InitError> {
    let (exporter, feature) = match destination {
        Destination::Console(_) => ("console", "console"),
        Destination::Otlp(otlp) => ("OTLP", otlp.protocol.feature()),
        Destination::AzureMonitor(_) => ("Azure Monitor", "azure-monitor"),
    };
    let enabled = COMPILED_FEATURES
        .iter()
        .any(|(name, compiled)| *name == feature && *compiled);
    (!enabled).then_some(InitError::FeatureNotEnabled { exporter, feature })
}

/// The span processor (and exporter) for `destination`.
pub(crate) fn trace_processor(
    destination: &Destination,
    settings: &ExportSettings,
    runtimes: &mut Runtimes,
) -> Result<Option<Box<dyn SpanProcessor>>, InitError> {
    if let Some(error) = missing_feature(destination) {
        return Err(error);
    }
    let _ = (settings, &runtimes);
    match destination {
        #[cfg(feature = "console")]
        Destination::Console(format) => Ok(Some(Box::new(span_processor(
            crate::console::ConsoleExporter::new(*format).bridged(),
            settings,
        )?))),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let runtime = runtimes.runtime()?;
            let name = otlp_name(otlp, crate::destination::Signal::Traces);
            let seen = delivery::Seen::default();
            let exporter = unsupported::Unsupported::new(
                otlp::span_exporter(otlp, runtime.handle(), &seen, settings)?,
                crate::destination::Signal::Traces,
                name.clone(),
            );
            Ok(Some(Box::new(
                runtimes.counted(name, seen, exporter, &runtime, settings)?,
            )))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let runtime = runtimes.runtime()?;
            let seen = delivery::Seen::default();
            let exporter = azure::exporter(connection, settings, runtime.handle(), &seen)?;
            Ok(Some(Box::new(runtimes.counted(
                azure::name(connection),
                seen,
                exporter,
                &runtime,
                settings,
            )?)))
        }
        #[allow(unreachable_patterns, reason = "reachable when a feature is off")]
        _ => Ok(None),
    }
}

/// Adds a log exporter for `destination`.
pub(crate) fn add_logs(
    builder: LoggerProviderBuilder,
    destination: &Destination,
    settings: &ExportSettings,
    runtimes: &mut Runtimes,
) -> Result<LoggerProviderBuilder, InitError> {
    if let Some(error) = missing_feature(destination) {
        return Err(error);
    }
    let logs = &settings.batch.logs;
    let _ = (settings, &runtimes, logs);
    match destination {
        #[cfg(feature = "console")]
        Destination::Console(format) => Ok(builder.with_log_processor(log_processor(
            crate::console::ConsoleLogExporter::new(*format).bridged(),
            logs,
        )?)),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let runtime = runtimes.runtime()?;
            let name = otlp_name(otlp, crate::destination::Signal::Logs);
            let seen = delivery::Seen::default();
            let exporter = unsupported::Unsupported::new(
                otlp::log_exporter(otlp, runtime.handle(), &seen, settings)?,
                crate::destination::Signal::Logs,
                name.clone(),
            );
            let delivery = runtimes.delivery(name, crate::destination::Signal::Logs, seen);
            let exporter = delivery::Counted::new(
                on_runtime::OnRuntime::new(exporter, &runtime, logs.clamped().export_timeout),
                std::sync::Arc::clone(&delivery),
            );
            Ok(builder.with_log_processor(delivery::Counted::new(
                log_processor(exporter, logs)?,
                delivery,
            )))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let runtime = runtimes.runtime()?;
            let seen = delivery::Seen::default();
            let exporter = azure::exporter(connection, settings, runtime.handle(), &seen)?;
            let delivery = runtimes.delivery(
                azure::name(connection),
                crate::destination::Signal::Logs,
                seen,
            );
            let exporter = delivery::Counted::new(
                on_runtime::OnRuntime::new(exporter, &runtime, logs.clamped().export_timeout),
                std::sync::Arc::clone(&delivery),
            );
            Ok(
                builder.with_log_processor(azure::AzureRecords::new(delivery::Counted::new(
                    log_processor(exporter, logs)?,
                    delivery,
                ))),
            )
        }
        #[allow(unreachable_patterns, reason = "reachable when a feature is off")]
        _ => Ok(builder),
    }
}

/// Adds a metric reader for `destination`. The console prints metric lines in the tree
/// format only (JSON lines stay spans and events).
pub(crate) fn add_metrics(
    builder: MeterProviderBuilder,
    destination: &Destination,
    settings: &ExportSettings,
    runtimes: &mut Runtimes,
) -> Result<MeterProviderBuilder, InitError> {
    if let Some(error) = missing_feature(destination) {
        return Err(error);
    }
    let _ = (settings, &runtimes);
    match destination {
        #[cfg(feature = "console")]
        Destination::Console(crate::config::ConsoleFormat::Tree) => Ok(builder.with_reader(
            metric_reader(crate::console::ConsoleMetricExporter::new(), settings),
        )),
        #[cfg(feature = "console")]
        Destination::Console(_) => Ok(builder),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let runtime = runtimes.runtime()?;
            let name = otlp_name(otlp, crate::destination::Signal::Metrics);
            let seen = delivery::Seen::default();
            let exporter = unsupported::Unsupported::new(
                otlp::metric_exporter(otlp, runtime.handle(), &seen, settings)?,
                crate::destination::Signal::Metrics,
                name.clone(),
            );
            let delivery = runtimes.delivery(name, crate::destination::Signal::Metrics, seen);
            Ok(builder.with_reader(metric_reader(
                delivery::Counted::new(
                    on_runtime::OnRuntime::new(exporter, &runtime, metric_export_timeout(settings)),
                    delivery,
                ),
                settings,
            )))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let runtime = runtimes.runtime()?;
            let seen = delivery::Seen::default();
            let exporter = azure::exporter(connection, settings, runtime.handle(), &seen)?;
            let delivery = runtimes.delivery(
                azure::name(connection),
                crate::destination::Signal::Metrics,
                seen,
            );
            Ok(builder.with_reader(metric_reader(
                delivery::Counted::new(
                    on_runtime::OnRuntime::new(exporter, &runtime, metric_export_timeout(settings)),
                    delivery,
                ),
                settings,
            )))
        }
        #[allow(unreachable_patterns, reason = "reachable when a feature is off")]
        _ => Ok(builder),
    }
}

/// An OTLP destination as reports name it, e.g. `OTLP grpc http://collector:4317`.
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn otlp_name(otlp: &crate::destination::OtlpConfig, signal: crate::destination::Signal) -> String {
    format!(
        "OTLP {} {}",
        otlp.protocol.as_str(),
        otlp.endpoint_for(signal)
    )
}

/// The time limit of one metric export (zero: no limit).
fn metric_export_timeout(settings: &ExportSettings) -> Duration {
    crate::config::time_limit(settings.batch.metric_export_timeout)
}

pub(crate) mod batch {
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
    use crate::error::InitError;

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
        fn on_start(
            &self,
            _span: &mut opentelemetry_sdk::trace::Span,
            _cx: &opentelemetry::Context,
        ) {
        }

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
                result = self.exporter.export(batch);
                if !full {
                    return result;
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// Keeps what it exports.
        #[derive(Debug, Clone, Default)]
        struct Collect(Arc<Mutex<Vec<SpanData>>>);

        impl Collect {
            fn spans(&self) -> usize {
                self.0.lock().unwrap().len()
            }
        }

        impl SpanExporter for Collect {
            async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
                self.0.lock().unwrap().extend(batch);
                Ok(())
            }
        }

        fn span() -> SpanData {
            use opentelemetry::trace::{SpanContext, SpanKind, Status};
            SpanData {
                span_context: SpanContext::empty_context(),
                parent_span_id: opentelemetry::trace::SpanId::INVALID,
                parent_span_is_remote: false,
                span_kind: SpanKind::Internal,
                name: "span".into(),
                start_time: std::time::SystemTime::now(),
                end_time: std::time::SystemTime::now(),
                attributes: Vec::new(),
                dropped_attributes_count: 0,
                events: opentelemetry_sdk::trace::SpanEvents::default(),
                links: opentelemetry_sdk::trace::SpanLinks::default(),
                status: Status::Unset,
                instrumentation_scope: InstrumentationScope::default(),
            }
        }

        fn settings(delay_ms: u64, queue: usize, batch: usize) -> BatchProcessorConfig {
            let mut settings = BatchProcessorConfig::spans();
            settings.schedule_delay = Duration::from_millis(delay_ms);
            settings.max_queue_size = queue;
            settings.max_export_batch_size = batch;
            settings
        }

        #[test]
        fn flush_exports_everything_queued_before_it() {
            let exporter = Collect::default();
            let processor =
                BatchProcessor::for_spans(exporter.clone(), settings(60_000, 100, 7)).unwrap();
            for _ in 0..20 {
                processor.on_end(span());
            }
            processor.force_flush().unwrap();
            assert_eq!(exporter.spans(), 20);
            processor
                .shutdown_with_timeout(Duration::from_secs(5))
                .unwrap();
            assert!(matches!(
                processor.shutdown_with_timeout(Duration::from_secs(5)),
                Err(OTelSdkError::AlreadyShutdown)
            ));
        }

        #[test]
        fn the_schedule_delay_exports_a_partial_batch() {
            let exporter = Collect::default();
            let processor =
                BatchProcessor::for_spans(exporter.clone(), settings(0, 100, 50)).unwrap();
            processor.on_end(span());
            let started = Instant::now();
            while exporter.spans() == 0 {
                assert!(started.elapsed() < Duration::from_secs(5), "never exported");
                std::thread::sleep(Duration::from_millis(5));
            }
            processor
                .shutdown_with_timeout(Duration::from_secs(5))
                .unwrap();
        }

        #[test]
        fn a_full_batch_is_exported_without_waiting_for_the_delay() {
            let exporter = Collect::default();
            let processor =
                BatchProcessor::for_spans(exporter.clone(), settings(60_000, 100, 5)).unwrap();
            for _ in 0..12 {
                processor.on_end(span());
            }
            let started = Instant::now();
            while exporter.spans() < 10 {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "no batch exported"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            processor
                .shutdown_with_timeout(Duration::from_secs(5))
                .unwrap();
            assert_eq!(exporter.spans(), 12);
        }

        #[test]
        fn spans_from_many_threads_all_arrive() {
            let exporter = Collect::default();
            let processor = Arc::new(
                BatchProcessor::for_spans(exporter.clone(), settings(1, 100_000, 64)).unwrap(),
            );
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let processor = Arc::clone(&processor);
                    std::thread::spawn(move || {
                        for i in 0..5_000 {
                            processor.on_end(span());
                            if i % 1000 == 0 {
                                std::thread::sleep(Duration::from_millis(2));
                            }
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            processor.force_flush().unwrap();
            assert_eq!(exporter.spans(), 20_000);
            processor
                .shutdown_with_timeout(Duration::from_secs(5))
                .unwrap();
        }

        /// An exporter that blocks until released, to fill the queue.
        #[derive(Debug, Clone, Default)]
        struct Gate(
            Arc<(Mutex<bool>, std::sync::Condvar)>,
            Arc<std::sync::atomic::AtomicUsize>,
        );

        impl SpanExporter for Gate {
            async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
                let (open, opened) = &*self.0;
                let mut guard = open.lock().unwrap();
                while !*guard {
                    guard = opened.wait(guard).unwrap();
                }
                self.1.fetch_add(batch.len(), Ordering::Relaxed);
                Ok(())
            }
        }

        #[test]
        fn a_full_queue_drops_what_does_not_fit() {
            let gate = Gate::default();
            let processor =
                BatchProcessor::for_spans(gate.clone(), settings(60_000, 10, 1)).unwrap();
            // The first span goes to the (blocked) exporter; ten more fill the queue.
            processor.on_end(span());
            let started = Instant::now();
            while !processor.shared.queue().is_empty() {
                assert!(started.elapsed() < Duration::from_secs(5));
                std::thread::yield_now();
            }
            for _ in 0..50 {
                processor.on_end(span());
            }
            assert_eq!(processor.shared.queue().len(), 10);
            *gate.0.0.lock().unwrap() = true;
            gate.0.1.notify_all();
            processor
                .shutdown_with_timeout(Duration::from_secs(5))
                .unwrap();
            assert_eq!(gate.1.load(Ordering::Relaxed), 11);
        }
    }
}

mod delivery {
    //! Counts, per destination and signal, what was emitted, exported, or failed to
    //! export, so that shutdown reports losses once instead of per item, with their cause.

    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Duration;

    use opentelemetry::Context;
    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

    use crate::destination::Signal;
    use crate::error::{ExportFailure, ShutdownError};

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

    impl<E: SpanExporter> SpanExporter for Counted<E> {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let count = u64::try_from(batch.len()).unwrap_or(u64::MAX);
            let result = self.inner.export(batch).await;
            self.delivery.settle(count, &result);
            result
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.inner.force_flush()
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

    impl<E: opentelemetry_sdk::logs::LogExporter> opentelemetry_sdk::logs::LogExporter for Counted<E> {
        async fn export(&self, batch: opentelemetry_sdk::logs::LogBatch<'_>) -> OTelSdkResult {
            let count = u64::try_from(batch.iter().count()).unwrap_or(u64::MAX);
            let result = self.inner.export(batch).await;
            self.delivery.settle(count, &result);
            result
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.inner.set_resource(resource);
        }
    }

    impl<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>
        opentelemetry_sdk::metrics::exporter::PushMetricExporter for Counted<E>
    {
        async fn export(
            &self,
            metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
        ) -> OTelSdkResult {
            let result = self.inner.export(metrics).await;
            self.delivery.settle(1, &result);
            result
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.inner.force_flush()
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
            self.inner.temporality()
        }
    }
}

#[cfg(any(feature = "otlp-http", feature = "azure-monitor"))]
mod observed {
    //! An HTTP client that records what its last failed request met: the status and the
    //! start of the body of an error answer, or the cause chain of a connection error.
    //! opentelemetry-otlp and opentelemetry-application-insights keep neither in their
    //! errors.

    use std::sync::PoisonError;

    use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

    use super::delivery::Seen;
    use crate::error::ExportFailure;

    #[derive(Debug)]
    pub(crate) struct Observed<C> {
        inner: C,
        seen: Seen,
    }

    impl<C> Observed<C> {
        pub(crate) fn new(inner: C, seen: Seen) -> Self {
            Observed { inner, seen }
        }

        fn record(&self, failure: ExportFailure) {
            *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(failure);
        }
    }

    #[async_trait::async_trait]
    impl<C: HttpClient> HttpClient for Observed<C> {
        async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
            let result = self.inner.send_bytes(request).await;
            match &result {
                Ok(response) if !response.status().is_success() => self.record(
                    ExportFailure::from_http_answer(response.status().as_u16(), response.body()),
                ),
                Ok(_) => {}
                Err(error) => self.record(ExportFailure::from_transport(error.as_ref())),
            }
            result
        }
    }
}

#[cfg(any(
    feature = "otlp-grpc",
    feature = "otlp-http",
    feature = "azure-monitor"
))]
mod on_runtime {
    //! Runs exporters on trace-genai's own tokio runtime.

    use std::future::Future;
    use std::sync::{Arc, Weak};
    use std::time::Duration;

    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use tokio::runtime::{Handle, Runtime};

    use crate::error::InitError;

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
            let handle = runtime.handle();
            if Handle::try_current().is_ok() {
                // Called from inside some tokio runtime (a processor driven by the
                // application's runtime): block on another thread instead of panicking.
                std::thread::scope(|scope| scope.spawn(move || handle.block_on(limited)).join())
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            } else {
                handle.block_on(limited)
            }
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

    impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
        for OnRuntime<E>
    {
        fn export(
            &self,
            batch: Vec<opentelemetry_sdk::trace::SpanData>,
        ) -> impl Future<Output = OTelSdkResult> + Send {
            std::future::ready(self.run_export(self.inner.export(batch)))
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.entered(|inner| inner.shutdown_with_timeout(timeout))
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.entered(opentelemetry_sdk::trace::SpanExporter::force_flush)
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.inner.set_resource(resource);
        }
    }

    impl<E: opentelemetry_sdk::logs::LogExporter> opentelemetry_sdk::logs::LogExporter
        for OnRuntime<E>
    {
        fn export(
            &self,
            batch: opentelemetry_sdk::logs::LogBatch<'_>,
        ) -> impl Future<Output = OTelSdkResult> + Send {
            std::future::ready(self.run_export(self.inner.export(batch)))
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.entered(|inner| inner.shutdown_with_timeout(timeout))
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.inner.set_resource(resource);
        }
    }

    impl<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>
        opentelemetry_sdk::metrics::exporter::PushMetricExporter for OnRuntime<E>
    {
        fn export(
            &self,
            metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
        ) -> impl Future<Output = OTelSdkResult> + Send {
            std::future::ready(self.run_export(self.inner.export(metrics)))
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.entered(opentelemetry_sdk::metrics::exporter::PushMetricExporter::force_flush)
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.entered(|inner| inner.shutdown_with_timeout(timeout))
        }

        fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
            self.inner.temporality()
        }
    }
}

#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
mod unsupported {
    //! Destinations that take only some signals. Phoenix answers `405` to
    //! `POST /v1/metrics`, `MLflow` `404` to `/v1/metrics` and `/v1/logs`, Jaeger
    //! `UNIMPLEMENTED` to the gRPC metrics and logs services. The first such answer switches
    //! the signal off for that destination, with one warning on stderr; its later exports
    //! are skipped without a request.
    //!
    //! A refused log or metric export is not a delivery failure: it returns `Ok`, so flush
    //! and shutdown succeed. Refused spans still count as undelivered (a trace destination
    //! that takes no traces is misconfigured), but are not sent again either.
    //!
    //! opentelemetry-otlp 0.33 gives the answer only as the text of an
    //! `OTelSdkError::InternalFailure`: `HTTP export failed with status code: 405` (HTTP)
    //! and `TonicMetricsClient export failed with gRPC code: Unimplemented` (gRPC, possibly
    //! followed by `: <cause>`). `tests/tests/traces_only_backends.rs` checks this against
    //! the real exporters, so a change of wording fails a test rather than passing silently.

    use std::sync::OnceLock;
    use std::time::Duration;

    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

    use crate::destination::Signal;

    /// The answer of a destination that does not take a signal at all, as shown in the
    /// warning: HTTP 404 (no such path), 405 (no `POST` there), 415 (not this encoding), or
    /// gRPC `UNIMPLEMENTED` (no such service). Other failures (5xx, 429, network) are not.
    pub(super) fn refusal(error: &OTelSdkError) -> Option<&'static str> {
        let OTelSdkError::InternalFailure(message) = error else {
            return None;
        };
        if let Some((_, rest)) = message.split_once("status code: ") {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            return match &rest[..end] {
                "404" => Some("HTTP 404"),
                "405" => Some("HTTP 405"),
                "415" => Some("HTTP 415"),
                _ => None,
            };
        }
        if let Some((_, rest)) = message.split_once("gRPC code: ") {
            let code = rest
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or_default();
            return code
                .eq_ignore_ascii_case("Unimplemented")
                .then_some("gRPC UNIMPLEMENTED");
        }
        None
    }

    /// An OTLP exporter of one signal that stops sending it once its destination refuses
    /// it as unsupported.
    #[derive(Debug)]
    pub(super) struct Unsupported<E> {
        inner: E,
        signal: Signal,
        /// The destination as the warning names it, e.g. `OTLP grpc http://jaeger:4317`.
        destination: String,
        /// The refusal that switched the signal off.
        refused: OnceLock<&'static str>,
    }

    impl<E> Unsupported<E> {
        pub(super) fn new(inner: E, signal: Signal, destination: String) -> Self {
            Unsupported {
                inner,
                signal,
                destination,
                refused: OnceLock::new(),
            }
        }

        /// What an export returns once the signal is switched off.
        fn switched_off(&self, answer: &str) -> OTelSdkResult {
            match self.signal {
                Signal::Traces => Err(OTelSdkError::InternalFailure(format!(
                    "not sent: {} answered {answer} to traces",
                    self.destination
                ))),
                _ => Ok(()),
            }
        }

        /// What to return instead of exporting, once the signal is switched off.
        fn skipped(&self) -> Option<OTelSdkResult> {
            self.refused.get().map(|answer| self.switched_off(answer))
        }

        /// The result of an export: a refusal switches the signal off (with the warning,
        /// once) and is no failure, except for spans.
        fn settle(&self, result: OTelSdkResult) -> OTelSdkResult {
            let Some(answer) = result.as_ref().err().and_then(refusal) else {
                return result;
            };
            if self.refused.set(answer).is_ok() {
                warn(&self.destination, self.signal, answer);
            }
            match self.signal {
                // The exporter's own error names the status, for the delivery report.
                Signal::Traces => result,
                _ => Ok(()),
            }
        }
    }

    /// The one warning of a refused signal.
    #[allow(
        clippy::print_stderr,
        reason = "a destination's refusal of a whole signal is reported once, on stderr"
    )]
    fn warn(destination: &str, signal: Signal, answer: &str) {
        let (name, variable) = match signal {
            Signal::Traces => ("traces", crate::config::OTEL_TRACES_EXPORTER),
            Signal::Logs => ("logs", crate::config::OTEL_LOGS_EXPORTER),
            Signal::Metrics => ("metrics", crate::config::OTEL_METRICS_EXPORTER),
        };
        let consequence = match signal {
            Signal::Traces => {
                "spans are no longer sent there and count as undelivered: check the endpoint and the protocol"
            }
            _ => "they are no longer sent there; the other signals still are",
        };
        eprintln!(
            "trace-genai: warning: {destination} answered {answer} to {name}: it does not take {name}, so {consequence}. Set {variable}=none to stop exporting {name} and silence this warning."
        );
    }

    impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
        for Unsupported<E>
    {
        async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> OTelSdkResult {
            if let Some(skipped) = self.skipped() {
                return skipped;
            }
            let result = self.inner.export(batch).await;
            self.settle(result)
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.inner.force_flush()
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.inner.set_resource(resource);
        }
    }

    impl<E: opentelemetry_sdk::logs::LogExporter> opentelemetry_sdk::logs::LogExporter
        for Unsupported<E>
    {
        async fn export(&self, batch: opentelemetry_sdk::logs::LogBatch<'_>) -> OTelSdkResult {
            if let Some(skipped) = self.skipped() {
                return skipped;
            }
            let result = self.inner.export(batch).await;
            self.settle(result)
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.inner.set_resource(resource);
        }
    }

    impl<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>
        opentelemetry_sdk::metrics::exporter::PushMetricExporter for Unsupported<E>
    {
        async fn export(
            &self,
            metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
        ) -> OTelSdkResult {
            if let Some(skipped) = self.skipped() {
                return skipped;
            }
            let result = self.inner.export(metrics).await;
            self.settle(result)
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.inner.force_flush()
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
            self.inner.temporality()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn failure(message: &str) -> OTelSdkError {
            OTelSdkError::InternalFailure(message.to_owned())
        }

        #[test]
        fn unsupported_answers_are_refusals() {
            for (message, answer) in [
                ("HTTP export failed with status code: 404", "HTTP 404"),
                ("HTTP export failed with status code: 405", "HTTP 405"),
                ("HTTP export failed with status code: 415", "HTTP 415"),
                (
                    "TonicMetricsClient export failed with gRPC code: Unimplemented",
                    "gRPC UNIMPLEMENTED",
                ),
                (
                    "TonicLogsClient export failed with gRPC code: Unimplemented: h2 protocol error",
                    "gRPC UNIMPLEMENTED",
                ),
            ] {
                assert_eq!(refusal(&failure(message)), Some(answer), "{message}");
            }
        }

        #[test]
        fn other_failures_are_not() {
            for error in [
                failure("HTTP export failed with status code: 500"),
                failure("HTTP export failed with status code: 4040"),
                failure("HTTP export failed with status code: 429"),
                failure("HTTP export failed: network error"),
                failure(
                    "TonicTracesClient export failed with gRPC code: Unavailable: tcp connect error",
                ),
                failure("TonicTracesClient export failed with gRPC code: UnimplementedX"),
                OTelSdkError::Timeout(Duration::from_secs(1)),
                OTelSdkError::AlreadyShutdown,
            ] {
                assert_eq!(refusal(&error), None, "{error}");
            }
        }

        /// Counts its exports; fails them with `answer`.
        #[derive(Debug, Default)]
        struct Refusing(std::sync::atomic::AtomicUsize, &'static str);

        impl opentelemetry_sdk::trace::SpanExporter for Refusing {
            async fn export(&self, _: Vec<opentelemetry_sdk::trace::SpanData>) -> OTelSdkResult {
                self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Err(failure(self.1))
            }
        }

        fn export(exporter: &Unsupported<Refusing>) -> OTelSdkResult {
            block_on(opentelemetry_sdk::trace::SpanExporter::export(
                exporter,
                Vec::new(),
            ))
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(future)
        }

        #[test]
        fn a_refused_signal_is_sent_once() {
            let exporter = Unsupported::new(
                Refusing(
                    std::sync::atomic::AtomicUsize::new(0),
                    "HTTP export failed with status code: 404",
                ),
                Signal::Traces,
                "OTLP http/protobuf http://127.0.0.1:1/v1/traces".to_owned(),
            );
            assert!(export(&exporter).is_err());
            assert!(export(&exporter).is_err(), "refused spans are undelivered");
            assert_eq!(
                exporter.inner.0.load(std::sync::atomic::Ordering::Relaxed),
                1
            );
        }

        #[test]
        fn a_failure_that_is_no_refusal_is_sent_again() {
            let exporter = Unsupported::new(
                Refusing(
                    std::sync::atomic::AtomicUsize::new(0),
                    "HTTP export failed with status code: 500",
                ),
                Signal::Traces,
                "OTLP http/protobuf http://127.0.0.1:1/v1/traces".to_owned(),
            );
            assert!(export(&exporter).is_err());
            assert!(export(&exporter).is_err());
            assert_eq!(
                exporter.inner.0.load(std::sync::atomic::Ordering::Relaxed),
                2
            );
        }
    }
}

#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
mod otlp {
    //! The OTLP exporters of `opentelemetry-otlp`, configured from [`OtlpConfig`].

    use tokio::runtime::Handle;

    use crate::destination::{OtlpCompression, OtlpConfig, OtlpProtocol, Signal};
    use crate::error::InitError;

    fn error(error: impl std::error::Error + Send + Sync + 'static) -> InitError {
        InitError::Exporter {
            exporter: "OTLP",
            source: Box::new(error),
        }
    }

    fn feature_error(protocol: OtlpProtocol) -> InitError {
        InitError::FeatureNotEnabled {
            exporter: "OTLP",
            feature: protocol.feature(),
        }
    }

    /// Where the headers and endpoints checked here come from: the environment's were
    /// checked when it was read, so what fails here was set in code.
    const GIVEN_IN_CODE: &str = "the OtlpConfig given in code";

    /// The endpoint and headers of `signal`, checked: the exporters would fail on a bad
    /// endpoint with an error that does not say where it came from, and silently leave out
    /// a header they cannot send.
    fn checked(config: &OtlpConfig, signal: Signal) -> Result<String, InitError> {
        let endpoint = config.endpoint_for(signal);
        crate::destination::validate_url(&endpoint).map_err(|reason| {
            InitError::InvalidConfig(format!(
                "the OTLP endpoint {endpoint:?} (of an OtlpConfig) {reason}"
            ))
        })?;
        crate::destination::check_headers(GIVEN_IN_CODE, config.headers_for(signal))?;
        Ok(endpoint)
    }

    /// Applies the configuration to either transport's builder and builds it. Every
    /// setting is given explicitly, so the exporter does not fall back to reading the
    /// process environment (the timeout especially, whose zero means no limit here).
    macro_rules! build {
        ($builder:expr, $config:expr, $signal:expr, $handle:expr, $seen:expr, $roots:expr) => {{
            use opentelemetry_otlp::WithExportConfig as _;
            let config: &OtlpConfig = $config;
            let _ = $seen;
            let signal: Signal = $signal;
            let endpoint = checked(config, signal)?;
            let timeout = config.timeout_for(signal);
            let compression = config
                .compression
                .map(|OtlpCompression::Gzip| opentelemetry_otlp::Compression::Gzip);
            match config.protocol {
                #[cfg(feature = "otlp-grpc")]
                OtlpProtocol::Grpc => {
                    use opentelemetry_otlp::WithTonicConfig as _;
                    // tonic creates its channel on the runtime it is built in.
                    let _entered = $handle.enter();
                    // The channel is built here, with trace-genai's TLS settings.
                    let channel = grpc_channel(&endpoint, timeout, config, signal, $roots)?;
                    let mut builder = $builder
                        .with_tonic()
                        .with_channel(channel)
                        .with_endpoint(endpoint)
                        .with_metadata(metadata(config, signal)?)
                        .with_timeout(timeout);
                    if let Some(compression) = compression {
                        builder = builder.with_compression(compression);
                    }
                    builder.build().map_err(error)
                }
                #[cfg(feature = "otlp-http")]
                OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => {
                    use opentelemetry_otlp::WithHttpConfig as _;
                    let protocol = if config.protocol == OtlpProtocol::HttpJson {
                        opentelemetry_otlp::Protocol::HttpJson
                    } else {
                        opentelemetry_otlp::Protocol::HttpBinary
                    };
                    let headers: std::collections::HashMap<String, String> = config
                        .headers_for(signal)
                        .iter()
                        .map(|(name, value)| (name.clone(), value.expose().to_owned()))
                        .collect();
                    // The exporter's own client, observed: its errors keep neither the
                    // answer's body nor the connection error's cause.
                    let client = http_tls(
                        reqwest::Client::builder().timeout(timeout),
                        &endpoint,
                        config,
                        signal,
                        $roots,
                    )?
                    .build()
                    .map_err(error)?;
                    let mut builder = $builder
                        .with_http()
                        .with_http_client(super::observed::Observed::new(
                            client,
                            std::sync::Arc::clone($seen),
                        ))
                        .with_protocol(protocol)
                        .with_endpoint(endpoint)
                        .with_headers(headers)
                        .with_timeout(timeout);
                    if let Some(compression) = compression {
                        builder = builder.with_compression(compression);
                    }
                    let _entered = $handle.enter();
                    builder.build().map_err(error)
                }
                #[allow(
                    unreachable_patterns,
                    reason = "reachable when a transport feature is off"
                )]
                protocol => Err(feature_error(protocol)),
            }
        }};
    }

    /// Whether `endpoint` asks for TLS.
    fn is_https(endpoint: &str) -> bool {
        endpoint
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// An `https://` endpoint in a build without TLS: say so at install, not as a network
    /// error at shutdown.
    #[cfg(not(feature = "tls"))]
    fn require_tls(endpoint: &str) -> Result<(), InitError> {
        if is_https(endpoint) {
            return Err(InitError::FeatureNotEnabled {
                exporter: "OTLP over TLS (an https:// endpoint)",
                feature: "tls",
            });
        }
        Ok(())
    }

    /// The HTTP client's TLS settings: the extra roots and the client certificate.
    #[cfg(feature = "otlp-http")]
    fn http_tls(
        builder: reqwest::ClientBuilder,
        endpoint: &str,
        config: &OtlpConfig,
        signal: Signal,
        roots: &super::ExportSettings,
    ) -> Result<reqwest::ClientBuilder, InitError> {
        #[cfg(feature = "tls")]
        {
            let _ = endpoint;
            let material = tls::Material::of(config, signal, roots)?;
            let mut builder = builder;
            // The well-known (Mozilla) roots next to the system's, as over gRPC.
            let mut certificates = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .filter_map(|der| reqwest::Certificate::from_der(der).ok())
                .collect::<Vec<_>>();
            for root in &material.roots {
                certificates.extend(
                    reqwest::Certificate::from_pem_bundle(root.text.expose().as_bytes())
                        .map_err(|error| tls::unusable(root, &error))?,
                );
            }
            builder = builder.tls_certs_merge(certificates);
            if let Some((certificate, key)) = material.identity {
                let pem = format!("{}\n{}", certificate.text.expose(), key.text.expose());
                let identity = reqwest::Identity::from_pem(pem.as_bytes())
                    .map_err(|error| tls::unusable(certificate, &error))?;
                builder = builder.identity(identity);
            }
            Ok(builder)
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (config, signal, roots);
            require_tls(endpoint)?;
            Ok(builder)
        }
    }

    /// The gRPC channel to `endpoint`, with TLS for `https://`.
    #[cfg(feature = "otlp-grpc")]
    fn grpc_channel(
        endpoint: &str,
        timeout: std::time::Duration,
        config: &OtlpConfig,
        signal: Signal,
        roots: &super::ExportSettings,
    ) -> Result<tonic::transport::Channel, InitError> {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
            .map_err(error)?
            .timeout(timeout);
        #[cfg(feature = "tls")]
        let channel = {
            let material = tls::Material::of(config, signal, roots)?;
            if is_https(endpoint) {
                let mut tls = tonic::transport::ClientTlsConfig::new().ca_certificates(
                    material
                        .roots
                        .iter()
                        .map(|root| tonic::transport::Certificate::from_pem(root.text.expose())),
                );
                if let Some((certificate, key)) = material.identity {
                    tls = tls.identity(tonic::transport::Identity::from_pem(
                        certificate.text.expose(),
                        key.text.expose(),
                    ));
                }
                // The system's roots and the well-known (Mozilla) ones; without a system
                // store (a bare container), the well-known ones.
                match channel.clone().tls_config(tls.clone().with_enabled_roots()) {
                    Ok(channel) => channel,
                    Err(_) => channel.tls_config(tls.with_webpki_roots()).map_err(error)?,
                }
            } else {
                channel
            }
        };
        #[cfg(not(feature = "tls"))]
        {
            let _ = (config, signal, roots);
            require_tls(endpoint)?;
        }
        Ok(channel.connect_lazy())
    }

    #[cfg(feature = "tls")]
    mod tls {
        //! The TLS material of one signal's exports, checked.

        use rustls_pki_types::pem::PemObject as _;

        use crate::destination::{OtlpConfig, Pem, Signal};
        use crate::error::InitError;

        /// Where a certificate given to `with_root_certificate` came from.
        const WITH_ROOT_CERTIFICATE: &str = "a certificate given to `with_root_certificate`";

        /// Extra trusted roots and the client identity, their PEM checked.
        pub(super) struct Material<'a> {
            pub(super) roots: Vec<std::borrow::Cow<'a, Pem>>,
            pub(super) identity: Option<(&'a Pem, &'a Pem)>,
        }

        impl<'a> Material<'a> {
            pub(super) fn of(
                config: &'a OtlpConfig,
                signal: Signal,
                settings: &'a super::super::ExportSettings,
            ) -> Result<Self, InitError> {
                let tls = config.tls_for(signal);
                let mut all: Vec<std::borrow::Cow<'a, Pem>> = settings
                    .root_certificates
                    .iter()
                    .map(|pem| {
                        std::borrow::Cow::Owned(Pem::new(WITH_ROOT_CERTIFICATE, pem.clone()))
                    })
                    .collect();
                all.extend(tls.certificate.as_ref().map(std::borrow::Cow::Borrowed));
                for root in &all {
                    certificates(root)?;
                }
                let (certificate, key) = match (&tls.client_certificate, &tls.client_key) {
                    (None, None) => (
                        settings.client_identity.as_ref().map(|(c, _)| c),
                        settings.client_identity.as_ref().map(|(_, k)| k),
                    ),
                    (certificate, key) => (certificate.as_ref(), key.as_ref()),
                };
                let identity = match (certificate, key) {
                    (Some(certificate), Some(key)) => {
                        certificates(certificate)?;
                        rustls_pki_types::PrivateKeyDer::from_pem_slice(
                            key.text.expose().as_bytes(),
                        )
                        .map_err(|error| unusable_key(key, &error))?;
                        Some((certificate, key))
                    }
                    (Some(alone), None) | (None, Some(alone)) => {
                        return Err(InitError::InvalidConfig(format!(
                            "{} is given without its pair: mutual TLS needs both the client certificate and its private key (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY)",
                            alone.origin
                        )));
                    }
                    (None, None) => None,
                };
                Ok(Material {
                    roots: all,
                    identity,
                })
            }
        }

        /// Checks that `pem` holds certificates, and only usable ones.
        fn certificates(pem: &Pem) -> Result<(), InitError> {
            let mut count = 0_usize;
            for certificate in
                rustls_pki_types::CertificateDer::pem_slice_iter(pem.text.expose().as_bytes())
            {
                certificate.map_err(|error| unusable(pem, &error))?;
                count += 1;
            }
            if count == 0 {
                return Err(InitError::InvalidConfig(format!(
                    "{} holds no PEM certificate: give PEM text (`-----BEGIN CERTIFICATE-----` …)",
                    pem.origin
                )));
            }
            Ok(())
        }

        /// PEM that TLS cannot use, named by where it came from.
        pub(super) fn unusable(pem: &Pem, error: &dyn std::error::Error) -> InitError {
            let mut reason = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                reason.push_str(": ");
                reason.push_str(&cause.to_string());
                source = cause.source();
            }
            InitError::InvalidConfig(format!(
                "{} cannot be used ({reason}): give PEM text (`-----BEGIN CERTIFICATE-----` …)",
                pem.origin
            ))
        }

        /// A private key that cannot be read (its text is never shown).
        fn unusable_key(pem: &Pem, error: &rustls_pki_types::pem::Error) -> InitError {
            InitError::InvalidConfig(format!(
                "{} holds no usable PEM private key ({error}): give PEM text (`-----BEGIN PRIVATE KEY-----` …)",
                pem.origin
            ))
        }
    }

    /// gRPC metadata from the configured headers of `signal`. Headers that the exporter
    /// also reads from the process environment itself (the signal's variable when set,
    /// else `OTEL_EXPORTER_OTLP_HEADERS`) are left out, or they would be sent twice.
    #[cfg(feature = "otlp-grpc")]
    fn metadata(
        config: &OtlpConfig,
        signal: Signal,
    ) -> Result<tonic::metadata::MetadataMap, InitError> {
        let signal_var = match signal {
            Signal::Traces => crate::config::OTEL_EXPORTER_OTLP_TRACES_HEADERS,
            Signal::Logs => crate::config::OTEL_EXPORTER_OTLP_LOGS_HEADERS,
            Signal::Metrics => crate::config::OTEL_EXPORTER_OTLP_METRICS_HEADERS,
        };
        let from_process_env = std::env::var(signal_var)
            .or_else(|_| std::env::var(crate::config::OTEL_EXPORTER_OTLP_HEADERS))
            .unwrap_or_default();
        let mut metadata = tonic::metadata::MetadataMap::new();
        for (name, value) in config.headers_for(signal) {
            let in_env = from_process_env.split(',').any(|pair| {
                pair.split_once('=')
                    .is_some_and(|(key, _)| key.trim() == name)
            });
            if in_env {
                continue;
            }
            let invalid = |reason| InitError::InvalidHeader {
                origin: "the OTLP configuration",
                name: name.clone(),
                reason,
            };
            let key = tonic::metadata::MetadataKey::from_bytes(
                name.to_ascii_lowercase().as_bytes(),
            )
            .map_err(|_| {
                invalid("gRPC metadata names ending in `-bin` carry binary values, which OTLP headers cannot give")
            })?;
            let value = value
                .expose()
                .parse()
                .map_err(|_| invalid("its value has a character gRPC metadata cannot carry"))?;
            metadata.insert(key, value);
        }
        Ok(metadata)
    }

    pub(super) fn span_exporter(
        config: &OtlpConfig,
        handle: &Handle,
        seen: &super::delivery::Seen,
        roots: &super::ExportSettings,
    ) -> Result<opentelemetry_otlp::SpanExporter, InitError> {
        build!(
            opentelemetry_otlp::SpanExporter::builder(),
            config,
            Signal::Traces,
            handle,
            seen,
            roots
        )
    }

    pub(super) fn log_exporter(
        config: &OtlpConfig,
        handle: &Handle,
        seen: &super::delivery::Seen,
        roots: &super::ExportSettings,
    ) -> Result<opentelemetry_otlp::LogExporter, InitError> {
        build!(
            opentelemetry_otlp::LogExporter::builder(),
            config,
            Signal::Logs,
            handle,
            seen,
            roots
        )
    }

    pub(super) fn metric_exporter(
        config: &OtlpConfig,
        handle: &Handle,
        seen: &super::delivery::Seen,
        roots: &super::ExportSettings,
    ) -> Result<opentelemetry_otlp::MetricExporter, InitError> {
        build!(
            opentelemetry_otlp::MetricExporter::builder(),
            config,
            Signal::Metrics,
            handle,
            seen,
            roots
        )
    }
}

#[cfg(feature = "azure-monitor")]
mod azure {
    //! Azure Monitor through `opentelemetry-application-insights`.

    use opentelemetry::logs::AnyValue;
    use opentelemetry_sdk::logs::SdkLogRecord;
    use tokio::runtime::Handle;

    use super::ExportSettings;
    use crate::destination::ConnectionString;
    use crate::error::InitError;

    pub(super) type Exporter =
        opentelemetry_application_insights::Exporter<super::observed::Observed<reqwest::Client>>;

    /// What Application Insights needs of a log record, done on a copy that only Azure
    /// Monitor sees (other destinations get the record unchanged):
    /// - the event name, which it drops, as the attribute `event.name`;
    /// - a structured body or attribute (a map or a list: message content, a feedback
    ///   comment, finish reasons) as JSON text. The exporter would flatten it into unquoted
    ///   text such as `{comment:wrong city}`, which nothing can parse back.
    #[derive(Debug)]
    pub(super) struct AzureRecords<P> {
        inner: P,
        /// An empty record to copy from: the SDK makes records only through a logger.
        blank: SdkLogRecord,
    }

    impl<P> AzureRecords<P> {
        pub(super) fn new(inner: P) -> Self {
            use opentelemetry::logs::{Logger as _, LoggerProvider as _};
            // A provider without processors: it only hands out the empty record.
            let provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder().build();
            let blank = provider.logger("trace-genai").create_log_record();
            AzureRecords { inner, blank }
        }

        /// `record` with every structured value as JSON text.
        fn with_json_values(&self, record: &SdkLogRecord) -> SdkLogRecord {
            use opentelemetry::logs::LogRecord as _;
            let mut copy = self.blank.clone();
            if let Some(name) = record.event_name() {
                copy.set_event_name(name);
            }
            if let Some(target) = record.target() {
                copy.set_target(target.clone());
            }
            if let Some(timestamp) = record.timestamp() {
                copy.set_timestamp(timestamp);
            }
            if let Some(timestamp) = record.observed_timestamp() {
                copy.set_observed_timestamp(timestamp);
            }
            if let Some(text) = record.severity_text() {
                copy.set_severity_text(text);
            }
            if let Some(number) = record.severity_number() {
                copy.set_severity_number(number);
            }
            if let Some(context) = record.trace_context() {
                copy.set_trace_context(context.trace_id, context.span_id, context.trace_flags);
            }
            if let Some(body) = record.body() {
                copy.set_body(json_text(body));
            }
            for (key, value) in record.attributes_iter() {
                copy.add_attribute(key.clone(), json_text(value));
            }
            copy
        }
    }

    fn is_structured(value: &AnyValue) -> bool {
        matches!(value, AnyValue::Map(_) | AnyValue::ListAny(_))
    }

    /// A map or a list as its JSON text; any other value as it is.
    fn json_text(value: &AnyValue) -> AnyValue {
        if is_structured(value) {
            AnyValue::String(crate::content::json_from_any(value).to_string().into())
        } else {
            value.clone()
        }
    }

    impl<P: opentelemetry_sdk::logs::LogProcessor> opentelemetry_sdk::logs::LogProcessor
        for AzureRecords<P>
    {
        fn emit(&self, record: &mut SdkLogRecord, scope: &opentelemetry::InstrumentationScope) {
            use opentelemetry::logs::LogRecord as _;
            let structured = record.body().is_some_and(is_structured)
                || record
                    .attributes_iter()
                    .any(|(_, value)| is_structured(value));
            let name = record.event_name();
            if !structured && name.is_none() {
                return self.inner.emit(record, scope);
            }
            let mut copy = if structured {
                self.with_json_values(record)
            } else {
                record.clone()
            };
            if let Some(name) = name {
                copy.add_attribute("event.name", name);
            }
            self.inner.emit(&mut copy, scope);
        }

        fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
            self.inner.force_flush()
        }

        fn shutdown_with_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.inner.set_resource(resource);
        }
    }

    fn error(error: impl std::error::Error + Send + Sync + 'static) -> InitError {
        InitError::Exporter {
            exporter: "Azure Monitor",
            source: Box::new(error),
        }
    }

    /// An Azure Monitor destination as reports name it.
    pub(super) fn name(connection: &ConnectionString) -> String {
        format!(
            "Azure Monitor {}",
            connection
                .ingestion_endpoint()
                .unwrap_or("(default ingestion endpoint)")
        )
    }

    pub(super) fn exporter(
        connection: &ConnectionString,
        settings: &ExportSettings,
        handle: &Handle,
        seen: &super::delivery::Seen,
    ) -> Result<Exporter, InitError> {
        let _entered = handle.enter();
        let mut builder = reqwest::Client::builder();
        if !settings.root_certificates.is_empty() {
            let certificates = settings
                .root_certificates
                .iter()
                .map(|pem| reqwest::Certificate::from_pem(pem.as_bytes()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| certificate_error(&error))?;
            builder = builder.tls_certs_merge(certificates);
        }
        // The client certificate of `with_client_certificate`, for an ingestion endpoint
        // behind a proxy that asks for one (mutual TLS).
        if let Some((certificate, key)) = &settings.client_identity {
            let pem = format!("{}\n{}", certificate.text.expose(), key.text.expose());
            let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|error| {
                InitError::InvalidConfig(format!(
                    "{} or its key cannot be used by Azure Monitor ({}): give PEM text (`-----BEGIN CERTIFICATE-----` …, `-----BEGIN PRIVATE KEY-----` …)",
                    certificate.origin,
                    error_chain(&error)
                ))
            })?;
            builder = builder.identity(identity);
        }
        let client = builder.build().map_err(|error| {
            if settings.root_certificates.is_empty() && settings.client_identity.is_none() {
                self::error(error)
            } else {
                certificate_error(&error)
            }
        })?;
        // The reasons name no part of the string (format, authorization, endpoint).
        let client = super::observed::Observed::new(client, std::sync::Arc::clone(seen));
        Exporter::new_from_connection_string(connection.expose(), client).map_err(|reason| {
            InitError::InvalidConfig(format!(
                "the Application Insights connection string was rejected ({reason}): copy the whole connection string from the Application Insights resource"
            ))
        })
    }

    /// A certificate given to `with_root_certificate` that TLS cannot use; reqwest's own
    /// message (`builder error`) keeps the reason in its sources.
    fn certificate_error(error: &reqwest::Error) -> InitError {
        InitError::InvalidConfig(format!(
            "a certificate given to `with_root_certificate` or `with_client_certificate` cannot be used ({}): give PEM text (`-----BEGIN CERTIFICATE-----` …)",
            error_chain(error)
        ))
    }

    /// reqwest's message (`builder error`) and the reasons in its sources.
    fn error_chain(error: &reqwest::Error) -> String {
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            reason.push_str(": ");
            reason.push_str(&cause.to_string());
            source = cause.source();
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::{ConnectionString, OtlpConfig, OtlpProtocol};

    /// The issue's case: an OTLP endpoint and an Application Insights connection string in
    /// a build without `azure-monitor`, installed inside `#[tokio::main]` (both flavours).
    /// The error comes after the OTLP exporter started the export runtime, whose drop
    /// used to panic there.
    #[cfg(all(feature = "otlp-grpc", not(feature = "azure-monitor")))]
    #[test]
    fn defect_1_a_missing_feature_after_the_export_runtime_started_is_an_error_inside_tokio() {
        for runtime in [
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap(),
        ] {
            let error = runtime.block_on(async {
                let config = crate::config::Config::from_lookup(|name| match name {
                    "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://127.0.0.1:9".to_owned()),
                    "APPLICATIONINSIGHTS_CONNECTION_STRING" => {
                        Some("InstrumentationKey=k".to_owned())
                    }
                    _ => None,
                })
                .unwrap();
                crate::Telemetry::builder()
                    .with_config(config)
                    .install()
                    .unwrap_err()
            });
            assert!(
                matches!(
                    error,
                    InitError::FeatureNotEnabled {
                        feature: "azure-monitor",
                        ..
                    }
                ),
                "{error}"
            );
        }
    }

    /// An `https://` endpoint in a build without the `tls` feature fails at install, naming
    /// the feature (it used to fail at shutdown with a network error). Run with
    /// `--no-default-features --features otlp-http,otlp-grpc` to see it.
    #[cfg(all(
        any(feature = "otlp-grpc", feature = "otlp-http"),
        not(feature = "tls")
    ))]
    #[test]
    fn an_https_endpoint_without_tls_names_the_feature() {
        for (protocol, compiled) in [
            ("grpc", cfg!(feature = "otlp-grpc")),
            ("http/protobuf", cfg!(feature = "otlp-http")),
        ] {
            if !compiled {
                continue;
            }
            let config = crate::config::Config::from_lookup(|name| match name {
                "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("https://127.0.0.1:9".to_owned()),
                "OTEL_EXPORTER_OTLP_PROTOCOL" => Some(protocol.to_owned()),
                _ => None,
            })
            .unwrap();
            let error = crate::Telemetry::builder()
                .with_config(config)
                .install()
                .unwrap_err();
            assert!(
                matches!(error, InitError::FeatureNotEnabled { feature: "tls", .. }),
                "{protocol}: {error}"
            );
            assert!(error.to_string().contains("cargo feature `tls`"), "{error}");
        }
    }

    /// Run with `--no-default-features --features console` to see the errors (CI does).
    #[test]
    fn a_destination_without_its_feature_names_the_feature() {
        let cases = [
            (
                Destination::Otlp(OtlpConfig::default()),
                "otlp-grpc",
                cfg!(feature = "otlp-grpc"),
            ),
            (
                Destination::Otlp(OtlpConfig {
                    protocol: OtlpProtocol::HttpJson,
                    ..OtlpConfig::default()
                }),
                "otlp-http",
                cfg!(feature = "otlp-http"),
            ),
            (
                Destination::AzureMonitor(ConnectionString::parse("InstrumentationKey=k").unwrap()),
                "azure-monitor",
                cfg!(feature = "azure-monitor"),
            ),
        ];
        for (destination, feature, compiled) in cases {
            match missing_feature(&destination) {
                None => assert!(compiled, "{feature}"),
                Some(error) => {
                    assert!(!compiled, "{feature}");
                    assert!(
                        error
                            .to_string()
                            .contains(&format!("cargo feature `{feature}`")),
                        "{error}"
                    );
                }
            }
        }
    }
}
