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
    not(network_exporter),
    allow(dead_code, reason = "helpers of the exporters whose features are off")
)]

use std::time::Duration;

use opentelemetry_sdk::logs::LoggerProviderBuilder;
use opentelemetry_sdk::metrics::MeterProviderBuilder;
use opentelemetry_sdk::trace::SpanProcessor;

use crate::config::destination::Destination;
use crate::config::error::InitError;
use crate::config::{BatchConfig, BatchProcessorConfig, MIN_METRIC_EXPORT_INTERVAL};

/// What the exporters need besides their destination.
pub(crate) struct ExportSettings {
    pub(crate) batch: BatchConfig,
    /// Where the console exporters write.
    #[cfg(feature = "console")]
    pub(crate) console: ConsoleSink,
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
    pub(crate) client_identity: Option<(
        crate::config::destination::Pem,
        crate::config::destination::Pem,
    )>,
    /// The heaviest export request to a network destination.
    pub(crate) max_request_bytes: usize,
}

/// The tokio runtime the network exporters run on; created on first use.
#[derive(Default)]
pub(crate) struct Runtimes {
    /// The one owner of the export runtime (exports hold it only while they run).
    #[cfg(export_runtime)]
    export: Option<std::sync::Arc<on_runtime::ExportRuntime>>,
    /// Delivery accounting of each network destination and signal.
    deliveries: Vec<std::sync::Arc<delivery::Delivery>>,
    /// The upload hook's queue, flushed and shut down with the providers.
    #[cfg(feature = "upload")]
    pub(crate) uploads: Option<std::sync::Arc<batch::BatchProcessor<upload::Object>>>,
}

impl std::fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtimes").finish_non_exhaustive()
    }
}

impl Runtimes {
    /// The deadline of `force_flush` and `shutdown` when none is configured: the longest
    /// time limit of one export among the network destinations, plus one second for the
    /// rest; [`LOCAL_DEADLINE`] without a network destination.
    pub(crate) fn deadline(&self) -> Duration {
        self.deliveries
            .iter()
            .map(|delivery| delivery.limit())
            .max()
            .map_or(LOCAL_DEADLINE, |limit| {
                limit
                    .saturating_add(DEADLINE_MARGIN)
                    .min(crate::config::NO_TIMEOUT)
            })
    }

    /// Each destination and signal's counts so far.
    pub(crate) fn counts(
        &self,
    ) -> Vec<(
        String,
        crate::config::destination::Signal,
        crate::config::error::DeliveryCounts,
    )> {
        self.deliveries
            .iter()
            .map(|d| (d.name().to_owned(), d.signal(), d.counts()))
            .collect()
    }

    /// One error per destination and signal that did not deliver everything, at
    /// `deadline`.
    pub(crate) fn undelivered(
        &self,
        deadline: crate::config::error::Deadline,
    ) -> Vec<crate::config::error::ShutdownError> {
        self.deliveries
            .iter()
            .filter_map(|d| d.report(deadline, None))
            .collect()
    }

    /// The problems (failed, timed out, dropped) so far, per destination and signal: the
    /// mark that [`Runtimes::flush_report`] compares with.
    pub(crate) fn marks(&self) -> Vec<delivery::Mark> {
        self.deliveries.iter().map(|d| d.problems()).collect()
    }

    /// What the flush with `deadline` left: one error per destination and signal with
    /// a problem after `marks` or items still queued.
    pub(crate) fn flush_report(
        &self,
        deadline: crate::config::error::Deadline,
        marks: &[delivery::Mark],
    ) -> Vec<crate::config::error::ShutdownError> {
        self.deliveries
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.report(deadline, Some(marks.get(i).copied().unwrap_or(0))))
            .collect()
    }

    /// Waits, until `until` at the latest, for the exports still running (a metric
    /// reader gives up on its export before the deadline) to settle.
    pub(crate) fn settle(&self, until: std::time::Instant) {
        while self.deliveries.iter().any(|d| d.in_flight() > 0) && std::time::Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Lets the export runtime go: it stops, in the background, once no export runs on it
    /// any more (at once when none does). Safe inside an async context. Call after the
    /// providers are shut down; an exporter called later fails without touching tokio.
    #[cfg_attr(
        not(export_runtime),
        allow(
            clippy::unused_self,
            reason = "no export runtime without a network exporter"
        )
    )]
    pub(crate) fn shutdown(&mut self) {
        #[cfg(export_runtime)]
        drop(self.export.take());
    }
}

/// A batch span processor for a local exporter (the console).
#[cfg(feature = "console")]
fn span_processor<E: opentelemetry_sdk::trace::SpanExporter + 'static>(
    exporter: E,
    settings: &ExportSettings,
) -> Result<batch::BatchProcessor<opentelemetry_sdk::trace::SpanData>, InitError> {
    batch::BatchProcessor::for_spans(exporter, settings.batch.spans.clamped(), None)
}

/// A batch log record processor, whose requests weigh at most `request_limit`.
fn log_processor<E: opentelemetry_sdk::logs::LogExporter + 'static>(
    exporter: E,
    settings: &BatchProcessorConfig,
    request_limit: Option<usize>,
) -> Result<batch::BatchProcessor<batch::LogItem>, InitError> {
    batch::BatchProcessor::for_logs(exporter, settings.clamped(), request_limit)
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

/// The upload hook of `config`, its queue registered with `runtimes`; a typed error when
/// the store's feature is off.
pub(crate) fn upload_hook(
    config: &crate::config::UploadConfig,
    runtimes: &mut Runtimes,
    spans: &BatchProcessorConfig,
) -> Result<std::sync::Arc<crate::global::Upload>, InitError> {
    #[cfg(feature = "upload")]
    {
        upload::build(config, runtimes, spans)
    }
    #[cfg(not(feature = "upload"))]
    {
        let _ = (runtimes, spans);
        Err(InitError::FeatureNotEnabled {
            exporter: "content upload",
            feature: config.store()?.feature(),
        })
    }
}

/// The deadline of `force_flush` and `shutdown` without a network destination.
pub(crate) const LOCAL_DEADLINE: Duration = Duration::from_secs(5);

/// What the deadline adds to the longest export time limit.
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

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

/// Where the console exporters write: the configured output, opened when the first
/// console exporter is built (a file once, shared by the three signals' exporters).
#[cfg(feature = "console")]
#[derive(Debug)]
pub(crate) struct ConsoleSink {
    output: crate::config::ConsoleOutput,
    file: std::sync::OnceLock<std::fs::File>,
}

#[cfg(feature = "console")]
impl ConsoleSink {
    pub(crate) fn new(output: crate::config::ConsoleOutput) -> Self {
        ConsoleSink {
            output,
            file: std::sync::OnceLock::new(),
        }
    }

    /// A writer for one console exporter.
    fn writer(&self) -> Result<Box<dyn std::io::Write + Send>, InitError> {
        use crate::config::ConsoleOutput;
        let ConsoleOutput::File(path) = &self.output else {
            return Ok(match self.output {
                ConsoleOutput::Stderr => Box::new(std::io::stderr()),
                _ => Box::new(crate::console::Stdout),
            });
        };
        let cannot = |error: std::io::Error| {
            InitError::InvalidConfig(format!(
                "the console output file {} cannot be written ({error}): set \
                 TRACE_GENAI_CONSOLE_OUTPUT (or `with_console_output`) to a writable file, \
                 `stdout` or `stderr`",
                crate::config::error::shown(&path.display().to_string())
            ))
        };
        let file = if let Some(file) = self.file.get() {
            file
        } else {
            // A file, or a device such as `/dev/null` or `/dev/tty`: not a directory, a
            // pipe that may block the exporter, or a socket.
            if let Ok(metadata) = std::fs::metadata(path) {
                #[cfg(unix)]
                let device = std::os::unix::fs::FileTypeExt::is_char_device(&metadata.file_type());
                #[cfg(not(unix))]
                let device = false;
                if !metadata.is_file() && !device {
                    return Err(cannot(std::io::Error::other(
                        "not a file or a character device",
                    )));
                }
            }
            let opened = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(cannot)?;
            self.file.get_or_init(|| opened)
        };
        Ok(Box::new(file.try_clone().map_err(cannot)?))
    }
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
            crate::console::ConsoleExporter::with_writer(*format, settings.console.writer()?)
                .bridged()
                .with_children(),
            settings,
        )?))),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let runtime = runtimes.runtime()?;
            let name = otlp_name(otlp, crate::config::destination::Signal::Traces);
            let seen = delivery::Seen::default();
            let exporter = unsupported::Unsupported::new(
                otlp::span_exporter(otlp, runtime.handle(), &seen, settings).map_err(|error| {
                    otlp::named(otlp, crate::config::destination::Signal::Traces, error)
                })?,
                crate::config::destination::Signal::Traces,
                name.clone(),
            );
            Ok(Some(Box::new(runtimes.counted(
                name,
                seen,
                exporter,
                &runtime,
                settings,
                Some(otlp.timeout_for(crate::config::destination::Signal::Traces)),
            )?)))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let runtime = runtimes.runtime()?;
            let seen = delivery::Seen::default();
            let exporter = azure::Fitted(azure::exporter(
                connection,
                settings,
                runtime.handle(),
                &seen,
            )?);
            Ok(Some(Box::new(runtimes.counted(
                azure::name(connection),
                seen,
                exporter,
                &runtime,
                settings,
                None,
            )?)))
        }
        #[allow(unreachable_patterns, reason = "reachable when a feature is off")]
        _ => Ok(None),
    }
}

/// The resource every provider gets: `resource`, within the limits of every destination
/// that has some (Application Insights copies it into every item, cutting by byte index).
pub(crate) fn fit_resource(
    destinations: &[Vec<Destination>; 3],
    resource: opentelemetry_sdk::Resource,
) -> opentelemetry_sdk::Resource {
    #[cfg(feature = "azure-monitor")]
    if destinations
        .iter()
        .flatten()
        .any(|destination| matches!(destination, Destination::AzureMonitor(_)))
        && let Some(fitted) = azure::fit_resource(&resource)
    {
        return fitted;
    }
    let _ = destinations;
    resource
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
            crate::console::ConsoleLogExporter::with_writer(*format, settings.console.writer()?)
                .bridged(),
            logs,
            None,
        )?)),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let runtime = runtimes.runtime()?;
            let name = otlp_name(otlp, crate::config::destination::Signal::Logs);
            let seen = delivery::Seen::default();
            let exporter = unsupported::Unsupported::new(
                otlp::log_exporter(otlp, runtime.handle(), &seen, settings).map_err(|error| {
                    otlp::named(otlp, crate::config::destination::Signal::Logs, error)
                })?,
                crate::config::destination::Signal::Logs,
                name.clone(),
            );
            let (exporter, delivery) = runtimes.on_runtime(
                exporter,
                &runtime,
                logs.clamped().export_timeout,
                (
                    name,
                    crate::config::destination::Signal::Logs,
                    seen,
                    Some(otlp.timeout_for(crate::config::destination::Signal::Logs)),
                ),
            );
            Ok(builder.with_log_processor(delivery::Counted::watching(
                log_processor(exporter, logs, Some(settings.max_request_bytes))?,
                delivery,
            )))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let runtime = runtimes.runtime()?;
            let seen = delivery::Seen::default();
            let exporter = azure::exporter(connection, settings, runtime.handle(), &seen)?;
            let (exporter, delivery) = runtimes.on_runtime(
                exporter,
                &runtime,
                logs.clamped().export_timeout,
                (
                    azure::name(connection),
                    crate::config::destination::Signal::Logs,
                    seen,
                    None,
                ),
            );
            Ok(
                builder.with_log_processor(azure::AzureRecords::new(delivery::Counted::watching(
                    log_processor(exporter, logs, Some(settings.max_request_bytes))?,
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
        Destination::Console(crate::config::ConsoleFormat::Tree) => {
            Ok(builder.with_reader(metric_reader(
                crate::console::ConsoleMetricExporter::with_writer(settings.console.writer()?),
                settings,
            )))
        }
        #[cfg(feature = "console")]
        Destination::Console(_) => Ok(builder),
        #[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
        Destination::Otlp(otlp) => {
            let runtime = runtimes.runtime()?;
            let name = otlp_name(otlp, crate::config::destination::Signal::Metrics);
            let seen = delivery::Seen::default();
            let exporter = unsupported::Unsupported::new(
                otlp::metric_exporter(otlp, runtime.handle(), &seen, settings).map_err(
                    |error| otlp::named(otlp, crate::config::destination::Signal::Metrics, error),
                )?,
                crate::config::destination::Signal::Metrics,
                name.clone(),
            );
            let (exporter, _) = runtimes.on_runtime(
                exporter,
                &runtime,
                metric_export_timeout(settings),
                (
                    name,
                    crate::config::destination::Signal::Metrics,
                    seen,
                    Some(otlp.timeout_for(crate::config::destination::Signal::Metrics)),
                ),
            );
            Ok(builder.with_reader(metric_reader(exporter, settings)))
        }
        #[cfg(feature = "azure-monitor")]
        Destination::AzureMonitor(connection) => {
            let runtime = runtimes.runtime()?;
            let seen = delivery::Seen::default();
            let exporter = azure::exporter(connection, settings, runtime.handle(), &seen)?;
            let (exporter, _) = runtimes.on_runtime(
                exporter,
                &runtime,
                metric_export_timeout(settings),
                (
                    azure::name(connection),
                    crate::config::destination::Signal::Metrics,
                    seen,
                    None,
                ),
            );
            Ok(builder.with_reader(metric_reader(exporter, settings)))
        }
        #[allow(unreachable_patterns, reason = "reachable when a feature is off")]
        _ => Ok(builder),
    }
}

/// An OTLP destination as reports name it, e.g. `OTLP grpc http://collector:4317`.
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn otlp_name(
    otlp: &crate::config::destination::OtlpConfig,
    signal: crate::config::destination::Signal,
) -> String {
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

pub(crate) mod batch;

mod delivery;

mod wrapper;

mod weight;

#[cfg(any(feature = "otlp-http", feature = "azure-monitor"))]
mod observed;

#[cfg(export_runtime)]
mod on_runtime;

#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
mod unsupported;

#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
mod otlp;

#[cfg(feature = "azure-monitor")]
mod azure;

#[cfg(feature = "azure-ai-project")]
pub mod azure_project;

#[cfg(feature = "upload")]
pub mod upload;

#[cfg(test)]
mod tests;
