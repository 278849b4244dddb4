//! Builds the exporters of each destination and adds them to the provider builders.
//!
//! Every exporter sits behind a batch processor (or a periodic reader for metrics), so
//! exporting happens on the SDK's own threads and never blocks instrumented code. The
//! network exporters (OTLP, Azure Monitor) need a tokio runtime: trace-genai runs one small
//! runtime of its own ([`ExportRuntime`], one worker thread), so applications without tokio
//! work too, and exports never borrow the application's runtime.

#![cfg_attr(
    not(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    )),
    allow(dead_code, reason = "helpers of the exporters whose features are off")
)]

use opentelemetry_sdk::logs::LoggerProviderBuilder;
use opentelemetry_sdk::metrics::MeterProviderBuilder;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SpanProcessor};

use crate::config::BatchConfig;
use crate::destination::Destination;
use crate::error::InitError;

/// What the exporters need besides their destination.
pub(crate) struct ExportSettings {
    pub(crate) batch: BatchConfig,
    pub(crate) metric_export_interval: Option<std::time::Duration>,
    /// PEM certificates trusted in addition to the system roots (Azure Monitor).
    #[cfg_attr(
        not(feature = "azure-monitor"),
        allow(dead_code, reason = "only the Azure Monitor exporter uses it")
    )]
    pub(crate) root_certificates: Vec<String>,
}

/// The tokio runtime the network exporters run on; created on first use.
#[derive(Default)]
pub(crate) struct Runtimes {
    #[cfg(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    ))]
    export: Option<on_runtime::ExportRuntime>,
    /// Delivery accounting of each network span destination.
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
        exporter: E,
        handle: tokio::runtime::Handle,
        settings: &ExportSettings,
    ) -> delivery::Counted<BatchSpanProcessor> {
        let delivery = std::sync::Arc::new(delivery::Delivery::new(name));
        self.deliveries.push(std::sync::Arc::clone(&delivery));
        let exporter = delivery::Counted::new(
            on_runtime::OnRuntime::new(exporter, handle),
            std::sync::Arc::clone(&delivery),
        );
        delivery::Counted::new(span_processor(exporter, settings), delivery)
    }

    #[cfg(any(
        feature = "otlp-grpc",
        feature = "otlp-http",
        feature = "azure-monitor"
    ))]
    fn handle(&mut self) -> Result<tokio::runtime::Handle, InitError> {
        if let Some(runtime) = &self.export {
            return Ok(runtime.handle());
        }
        let runtime = on_runtime::ExportRuntime::new()?;
        let handle = runtime.handle();
        self.export = Some(runtime);
        Ok(handle)
    }

    /// One error per destination that lost spans.
    pub(crate) fn undelivered(&self) -> Vec<crate::error::ShutdownError> {
        self.deliveries.iter().filter_map(|d| d.report()).collect()
    }

    /// Stops the export runtime without waiting (safe inside an async context). Call after
    /// the providers are shut down.
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
        if let Some(runtime) = self.export.take() {
            runtime.shutdown();
        }
    }
}

fn batch_config(batch: &BatchConfig) -> opentelemetry_sdk::trace::BatchConfig {
    let mut builder = BatchConfigBuilder::default();
    if let Some(delay) = batch.schedule_delay {
        builder = builder.with_scheduled_delay(delay);
    }
    if let Some(size) = batch.max_queue_size {
        builder = builder.with_max_queue_size(size);
    }
    if let Some(size) = batch.max_export_batch_size {
        builder = builder.with_max_export_batch_size(size);
    }
    builder.build()
}

fn span_processor<E: opentelemetry_sdk::trace::SpanExporter + 'static>(
    exporter: E,
    settings: &ExportSettings,
) -> BatchSpanProcessor {
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch_config(&settings.batch))
        .build()
}

fn log_processor<E: opentelemetry_sdk::logs::LogExporter + 'static>(
    exporter: E,
) -> opentelemetry_sdk::logs::BatchLogProcessor {
    opentelemetry_sdk::logs::BatchLogProcessor::builder(exporter).build()
}

fn metric_reader<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>(
    exporter: E,
    settings: &ExportSettings,
) -> opentelemetry_sdk::metrics::PeriodicReader<E> {
    let mut builder = opentelemetry_sdk::metrics::PeriodicReader::builder(exporter);
    if let Some(interval) = settings.metric_export_interval {
        builder = builder.with_interval(interval);
    }
    builder.build()
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
        )))),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let handle = runtimes.handle()?;
            let exporter = otlp::span_exporter(otlp, &handle)?;
            let name = format!(
                "OTLP {} {}",
                otlp.protocol.as_str(),
                otlp.endpoint_for(crate::destination::Signal::Traces)
            );
            Ok(Some(Box::new(
                runtimes.counted(name, exporter, handle, settings),
            )))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let handle = runtimes.handle()?;
            let exporter = azure::exporter(connection, settings, &handle)?;
            let name = format!(
                "Azure Monitor {}",
                connection
                    .ingestion_endpoint()
                    .unwrap_or("(default ingestion endpoint)")
            );
            Ok(Some(Box::new(
                runtimes.counted(name, exporter, handle, settings),
            )))
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
    let _ = (settings, &runtimes);
    match destination {
        #[cfg(feature = "console")]
        Destination::Console(format) => Ok(builder.with_log_processor(log_processor(
            crate::console::ConsoleLogExporter::new(*format).bridged(),
        ))),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let handle = runtimes.handle()?;
            let exporter = otlp::log_exporter(otlp, &handle)?;
            Ok(builder
                .with_log_processor(log_processor(on_runtime::OnRuntime::new(exporter, handle))))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let handle = runtimes.handle()?;
            let exporter = azure::exporter(connection, settings, &handle)?;
            Ok(
                builder.with_log_processor(azure::EventNameProperty(log_processor(
                    on_runtime::OnRuntime::new(exporter, handle),
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
            let handle = runtimes.handle()?;
            let exporter = otlp::metric_exporter(otlp, &handle)?;
            Ok(builder.with_reader(metric_reader(
                on_runtime::OnRuntime::new(exporter, handle),
                settings,
            )))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let handle = runtimes.handle()?;
            let exporter = azure::exporter(connection, settings, &handle)?;
            Ok(builder.with_reader(metric_reader(
                on_runtime::OnRuntime::new(exporter, handle),
                settings,
            )))
        }
        #[allow(unreachable_patterns, reason = "reachable when a feature is off")]
        _ => Ok(builder),
    }
}

mod delivery {
    //! Counts, per destination, spans that ended, were exported, or failed to export, so
    //! that shutdown reports lost spans once instead of per span.

    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Duration;

    use opentelemetry::Context;
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

    use crate::error::ShutdownError;

    #[derive(Debug)]
    pub(crate) struct Delivery {
        name: String,
        ended: AtomicU64,
        exported: AtomicU64,
        failed: AtomicU64,
        last_error: Mutex<Option<String>>,
    }

    impl Delivery {
        pub(crate) fn new(name: String) -> Self {
            Delivery {
                name,
                ended: AtomicU64::new(0),
                exported: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                last_error: Mutex::new(None),
            }
        }

        /// The lost spans, if any; call once every export has settled.
        pub(crate) fn report(&self) -> Option<ShutdownError> {
            let ended = self.ended.load(Ordering::Relaxed);
            let exported = self.exported.load(Ordering::Relaxed);
            let failed = self.failed.load(Ordering::Relaxed);
            let dropped = ended.saturating_sub(exported + failed);
            let lost = failed + dropped;
            (lost > 0).then(|| ShutdownError::Undelivered {
                destination: self.name.clone(),
                ended,
                lost,
                failed,
                dropped,
                last_error: self
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .as_ref()
                    .map(|error| format!(": {error}"))
                    .unwrap_or_default(),
            })
        }
    }

    /// A span processor or exporter that counts what passes through it.
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
            match &result {
                Ok(()) => {
                    self.delivery.exported.fetch_add(count, Ordering::Relaxed);
                }
                Err(error) => {
                    self.delivery.failed.fetch_add(count, Ordering::Relaxed);
                    *self
                        .delivery
                        .last_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
                }
            }
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
}

#[cfg(any(
    feature = "otlp-grpc",
    feature = "otlp-http",
    feature = "azure-monitor"
))]
mod on_runtime {
    //! Runs exporters on trace-genai's own tokio runtime.

    use std::future::Future;
    use std::time::Duration;

    use opentelemetry_sdk::error::OTelSdkResult;
    use tokio::runtime::{Handle, Runtime};

    use crate::error::InitError;

    /// One worker thread, `trace-genai-export`, that drives network I/O of exports.
    pub(crate) struct ExportRuntime(Runtime);

    impl ExportRuntime {
        pub(crate) fn new() -> Result<Self, InitError> {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("trace-genai-export")
                .enable_all()
                .build()
                .map(ExportRuntime)
                .map_err(|error| InitError::Exporter {
                    exporter: "export runtime",
                    source: Box::new(error),
                })
        }

        pub(crate) fn handle(&self) -> Handle {
            self.0.handle().clone()
        }

        pub(crate) fn shutdown(self) {
            self.0.shutdown_background();
        }
    }

    /// An exporter whose calls run on the export runtime. The SDK calls exporters from
    /// its own processor threads, which block on the result.
    #[derive(Debug)]
    pub(crate) struct OnRuntime<E> {
        inner: E,
        handle: Handle,
    }

    impl<E> OnRuntime<E> {
        pub(crate) fn new(inner: E, handle: Handle) -> Self {
            OnRuntime { inner, handle }
        }

        fn block_on<F: Future + Send>(&self, future: F) -> F::Output
        where
            F::Output: Send,
        {
            if Handle::try_current().is_ok() {
                // Called from inside some tokio runtime (a processor driven by the
                // application's runtime): block on another thread instead of panicking.
                std::thread::scope(|scope| {
                    let handle = &self.handle;
                    scope.spawn(move || handle.block_on(future)).join()
                })
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            } else {
                self.handle.block_on(future)
            }
        }

        fn entered<R>(&self, f: impl FnOnce(&E) -> R) -> R {
            let _entered = self.handle.enter();
            f(&self.inner)
        }
    }

    impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
        for OnRuntime<E>
    {
        fn export(
            &self,
            batch: Vec<opentelemetry_sdk::trace::SpanData>,
        ) -> impl Future<Output = OTelSdkResult> + Send {
            std::future::ready(self.block_on(self.inner.export(batch)))
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
            std::future::ready(self.block_on(self.inner.export(batch)))
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
            std::future::ready(self.block_on(self.inner.export(metrics)))
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

    /// Applies the configuration to either transport's builder and builds it.
    macro_rules! build {
        ($builder:expr, $config:expr, $signal:expr, $handle:expr) => {{
            use opentelemetry_otlp::WithExportConfig as _;
            let config: &OtlpConfig = $config;
            let endpoint = config.endpoint_for($signal);
            let compression = config
                .compression
                .map(|OtlpCompression::Gzip| opentelemetry_otlp::Compression::Gzip);
            match config.protocol {
                #[cfg(feature = "otlp-grpc")]
                OtlpProtocol::Grpc => {
                    use opentelemetry_otlp::WithTonicConfig as _;
                    let mut builder = $builder
                        .with_tonic()
                        .with_endpoint(endpoint)
                        .with_metadata(metadata(config));
                    if let Some(timeout) = config.timeout {
                        builder = builder.with_timeout(timeout);
                    }
                    if let Some(compression) = compression {
                        builder = builder.with_compression(compression);
                    }
                    // tonic creates its channel on the runtime it is built in.
                    let _entered = $handle.enter();
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
                        .headers
                        .iter()
                        .map(|(name, value)| (name.clone(), value.expose().to_owned()))
                        .collect();
                    let mut builder = $builder
                        .with_http()
                        .with_protocol(protocol)
                        .with_endpoint(endpoint)
                        .with_headers(headers);
                    if let Some(timeout) = config.timeout {
                        builder = builder.with_timeout(timeout);
                    }
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

    /// gRPC metadata from the configured headers. Headers that the exporter also reads
    /// from the process environment itself are left out, or they would be sent twice.
    #[cfg(feature = "otlp-grpc")]
    fn metadata(config: &OtlpConfig) -> tonic::metadata::MetadataMap {
        let from_process_env =
            std::env::var(crate::config::OTEL_EXPORTER_OTLP_HEADERS).unwrap_or_default();
        let mut metadata = tonic::metadata::MetadataMap::new();
        for (name, value) in &config.headers {
            let in_env = from_process_env.split(',').any(|pair| {
                pair.split_once('=')
                    .is_some_and(|(key, _)| key.trim() == name)
            });
            if in_env {
                continue;
            }
            if let (Ok(key), Ok(value)) = (
                tonic::metadata::MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes()),
                value.expose().parse(),
            ) {
                metadata.insert(key, value);
            }
        }
        metadata
    }

    pub(super) fn span_exporter(
        config: &OtlpConfig,
        handle: &Handle,
    ) -> Result<opentelemetry_otlp::SpanExporter, InitError> {
        build!(
            opentelemetry_otlp::SpanExporter::builder(),
            config,
            Signal::Traces,
            handle
        )
    }

    pub(super) fn log_exporter(
        config: &OtlpConfig,
        handle: &Handle,
    ) -> Result<opentelemetry_otlp::LogExporter, InitError> {
        build!(
            opentelemetry_otlp::LogExporter::builder(),
            config,
            Signal::Logs,
            handle
        )
    }

    pub(super) fn metric_exporter(
        config: &OtlpConfig,
        handle: &Handle,
    ) -> Result<opentelemetry_otlp::MetricExporter, InitError> {
        build!(
            opentelemetry_otlp::MetricExporter::builder(),
            config,
            Signal::Metrics,
            handle
        )
    }
}

#[cfg(feature = "azure-monitor")]
mod azure {
    //! Azure Monitor through `opentelemetry-application-insights`.

    use tokio::runtime::Handle;

    use super::ExportSettings;
    use crate::destination::ConnectionString;
    use crate::error::InitError;

    pub(super) type Exporter = opentelemetry_application_insights::Exporter<reqwest::Client>;

    /// Application Insights keeps a log record's attributes as custom dimensions but drops
    /// its event name: this processor adds it as the attribute `event.name` (to a copy, so
    /// other destinations get the record unchanged).
    #[derive(Debug)]
    pub(super) struct EventNameProperty<P>(pub(super) P);

    impl<P: opentelemetry_sdk::logs::LogProcessor> opentelemetry_sdk::logs::LogProcessor
        for EventNameProperty<P>
    {
        fn emit(
            &self,
            record: &mut opentelemetry_sdk::logs::SdkLogRecord,
            scope: &opentelemetry::InstrumentationScope,
        ) {
            use opentelemetry::logs::LogRecord as _;
            let Some(name) = record.event_name() else {
                return self.0.emit(record, scope);
            };
            let mut copy = record.clone();
            copy.add_attribute("event.name", name);
            self.0.emit(&mut copy, scope);
        }

        fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
            self.0.force_flush()
        }

        fn shutdown_with_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            self.0.shutdown_with_timeout(timeout)
        }

        fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
            self.0.set_resource(resource);
        }
    }

    fn error(error: impl std::error::Error + Send + Sync + 'static) -> InitError {
        InitError::Exporter {
            exporter: "Azure Monitor",
            source: Box::new(error),
        }
    }

    pub(super) fn exporter(
        connection: &ConnectionString,
        settings: &ExportSettings,
        handle: &Handle,
    ) -> Result<Exporter, InitError> {
        let _entered = handle.enter();
        let mut builder = reqwest::Client::builder();
        if !settings.root_certificates.is_empty() {
            let certificates = settings
                .root_certificates
                .iter()
                .map(|pem| reqwest::Certificate::from_pem(pem.as_bytes()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(error)?;
            builder = builder.tls_certs_merge(certificates);
        }
        let client = builder.build().map_err(error)?;
        Exporter::new_from_connection_string(connection.expose(), client).map_err(|_| {
            InitError::InvalidConfig(
                "the Application Insights connection string was rejected: copy the whole connection string from the Application Insights resource".to_owned(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::{ConnectionString, OtlpConfig, OtlpProtocol};

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
