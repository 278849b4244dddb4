//! Installing telemetry: [`Telemetry::builder`] → `with_*` → [`TelemetryBuilder::install`],
//! or [`init`](crate::init) for everything from the environment.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{LogProcessor, LoggerProviderBuilder, SdkLoggerProvider};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::resource::{ResourceDetector, TelemetryResourceDetector};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter, SpanProcessor};

use crate::config::destination::{ConnectionString, Destination, OtlpConfig, OtlpProtocol, Signal};
use crate::config::error::InitError;
use crate::config::{Config, ConsoleFormat, SamplerConfig};
use crate::export::{self, ExportSettings, Runtimes};
use crate::global::{
    GENERATION, INSTALLED, Installed, SKIP, SKIP_NEVER, STATE, STATE_ACTIVE, STATE_DISABLED,
};

use super::telemetry::Telemetry;

/// A destination asked for in code, resolved at install.
#[allow(
    clippy::large_enum_variant,
    reason = "a handful of these live during install only"
)]
enum Requested {
    /// The console, in the given format or the configured one.
    Console(Option<ConsoleFormat>),
    /// OTLP to this endpoint, over this protocol or the configured one.
    Otlp(String, Option<OtlpProtocol>),
    /// A complete destination.
    Ready(Destination),
    /// The one-string form, parsed at install.
    Parse(String),
    /// An Application Insights connection string, checked at install.
    AzureMonitor(String),
    /// Azure Monitor with the connection string of this Azure AI Foundry project's
    /// Application Insights resource, looked up at install.
    AzureAiProject(String),
}

/// A span processor given in code, made at install with the batch settings in force (so
/// that a batch processor never reads the environment itself).
type MakeProcessor =
    Box<dyn FnOnce(&crate::config::BatchConfig) -> Result<Box<dyn SpanProcessor>, InitError>>;

/// A metric reader given in code, added at install with the export settings in force.
type AddReader = Box<
    dyn FnOnce(
        opentelemetry_sdk::metrics::MeterProviderBuilder,
        &ExportSettings,
    ) -> opentelemetry_sdk::metrics::MeterProviderBuilder,
>;

/// Configures and installs telemetry. Created by [`Telemetry::builder`].
///
/// ```
/// let telemetry = trace_genai::Telemetry::builder()
///     .with_service_name("chat-api")
///     .with_console()
///     .install()?;
/// // … the application runs …
/// telemetry.shutdown()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Destinations given here replace the ones the environment names
/// (`OTEL_TRACES_EXPORTER`, …); the other settings of the environment
/// (`OTEL_EXPORTER_OTLP_HEADERS`, timeouts, batch sizes) still apply.
#[derive(Default)]
#[must_use = "call `install()` to install telemetry"]
pub struct TelemetryBuilder {
    service_name: Option<String>,
    resource_attributes: Vec<KeyValue>,
    sampler: Option<SamplerConfig>,
    destinations: Option<Vec<Requested>>,
    /// Span processors given in code, each with whether it is trace-genai's own (a batch
    /// processor in front of a given exporter), which ignores span start.
    processors: Vec<(MakeProcessor, bool)>,
    content_capture: Option<crate::ContentCapture>,
    content_max_length: Option<usize>,
    /// The deadline of flush and shutdown (`with_shutdown_timeout`).
    shutdown_timeout: Option<std::time::Duration>,
    redact: Option<crate::RedactClasses>,
    redact_patterns: Vec<String>,
    redactor: Option<std::sync::Arc<dyn crate::Redactor>>,
    log_processors: Vec<Box<dyn FnOnce(LoggerProviderBuilder) -> LoggerProviderBuilder>>,
    metric_readers: Vec<AddReader>,
    root_certificates: Vec<String>,
    client_identity: Option<(
        crate::config::destination::Pem,
        crate::config::destination::Pem,
    )>,
    config: Option<Config>,
    /// The credential of the project lookups (`with_azure_credential`).
    #[cfg(feature = "azure-ai-project")]
    azure_credential: Option<std::sync::Arc<dyn crate::azure::TokenCredential>>,
    /// The time limit of a project lookup (`with_azure_ai_project_timeout`).
    azure_ai_project_timeout: Option<std::time::Duration>,
    /// Where the console writes (`with_console_output`).
    console_output: Option<crate::config::ConsoleOutput>,
    /// The upload hook (`with_upload`).
    upload: Option<crate::config::UploadConfig>,
}

impl std::fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryBuilder")
            .field("service_name", &self.service_name)
            .field("resource_attributes", &self.resource_attributes)
            .field("sampler", &self.sampler)
            .field("destinations", &self.destinations.as_ref().map(Vec::len))
            .field("processors", &self.processors.len())
            .finish_non_exhaustive()
    }
}

impl TelemetryBuilder {
    /// Sets `service.name`, shown as the service in every backend (and as the cloud role
    /// name in Application Insights). Wins over `OTEL_SERVICE_NAME`.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (`service.namespace`, `service.version`,
    /// `deployment.environment.name`, …). Wins over the same key in
    /// `OTEL_RESOURCE_ATTRIBUTES`.
    pub fn with_resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource_attributes.push(attribute);
        self
    }

    /// Sets the sampler. Wins over `OTEL_TRACES_SAMPLER`.
    pub fn with_sampler(mut self, sampler: SamplerConfig) -> Self {
        self.sampler = Some(sampler);
        self
    }

    fn with_requested(mut self, requested: Requested) -> Self {
        self.destinations
            .get_or_insert_with(Vec::new)
            .push(requested);
        self
    }

    /// Adds the console: spans as one tree per trace (or JSON lines with
    /// `TRACE_GENAI_CONSOLE_FORMAT=json`), events as lines.
    pub fn with_console(self) -> Self {
        self.with_requested(Requested::Console(None))
    }

    /// Adds the console in the given format.
    pub fn with_console_format(self, format: ConsoleFormat) -> Self {
        self.with_requested(Requested::Console(Some(format)))
    }

    /// Where the console exporters write: standard output (the default), standard error,
    /// or a file (created if missing, appended to). Wins over `TRACE_GENAI_CONSOLE_OUTPUT`.
    /// A program whose stdout is a protocol channel (a stdio MCP server, a language
    /// server) sends its console telemetry to stderr or a file.
    ///
    /// ```no_run
    /// use trace_genai::{ConsoleOutput, Telemetry};
    ///
    /// let telemetry = Telemetry::builder()
    ///     .with_console()
    ///     .with_console_output(ConsoleOutput::Stderr)
    ///     .install()?;
    /// # Ok::<(), trace_genai::InitError>(())
    /// ```
    pub fn with_console_output(mut self, output: crate::config::ConsoleOutput) -> Self {
        self.console_output = Some(output);
        self
    }

    /// Adds an OTLP destination at `endpoint`, over gRPC unless
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` says otherwise. Headers, timeout and compression come
    /// from `OTEL_EXPORTER_OTLP_*`.
    pub fn with_otlp(self, endpoint: impl Into<String>) -> Self {
        self.with_requested(Requested::Otlp(endpoint.into(), None))
    }

    /// Adds an OTLP destination at `endpoint` over the given protocol. For HTTP, the
    /// signal path (`/v1/traces`, …) is appended to `endpoint`.
    pub fn with_otlp_protocol(self, endpoint: impl Into<String>, protocol: OtlpProtocol) -> Self {
        self.with_requested(Requested::Otlp(endpoint.into(), Some(protocol)))
    }

    /// Adds Azure Monitor / Application Insights with this connection string.
    pub fn with_azure_monitor(self, connection_string: impl Into<String>) -> Self {
        self.with_requested(Requested::AzureMonitor(connection_string.into()))
    }

    /// Adds Azure Monitor with the connection string of the Application Insights resource
    /// connected to this Azure AI Foundry project
    /// (`https://{account}.services.ai.azure.com/api/projects/{project}`), looked up once,
    /// at install, as the Azure SDKs do (feature `azure-ai-project`; the module
    /// `trace_genai::azure` describes the calls and the default credential chain).
    ///
    /// The lookup runs on trace-genai's own runtime thread within its time limit
    /// ([`with_azure_ai_project_timeout`](Self::with_azure_ai_project_timeout)); a failure
    /// is an [`InitError::AzureAiProject`] naming the step.
    ///
    /// ```no_run
    /// let telemetry = trace_genai::Telemetry::builder()
    ///     .with_azure_ai_project("https://my-account.services.ai.azure.com/api/projects/my-project")
    ///     .install()?;
    /// # Ok::<(), trace_genai::InitError>(())
    /// ```
    pub fn with_azure_ai_project(self, endpoint: impl Into<String>) -> Self {
        self.with_requested(Requested::AzureAiProject(endpoint.into()))
    }

    /// Authenticates the Azure AI Foundry project lookup with this credential (any of
    /// `azure_identity`'s, or your own) instead of the default chain.
    #[cfg(feature = "azure-ai-project")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure-ai-project")))]
    pub fn with_azure_credential(
        mut self,
        credential: std::sync::Arc<dyn crate::azure::TokenCredential>,
    ) -> Self {
        self.azure_credential = Some(credential);
        self
    }

    /// Sets the time limit of the Azure AI Foundry project lookup at install: the token
    /// and both calls (default 5 s; zero: no limit). Wins over
    /// `TRACE_GENAI_AZURE_AI_PROJECT_TIMEOUT`.
    pub fn with_azure_ai_project_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.azure_ai_project_timeout = Some(timeout);
        self
    }

    /// Adds a destination in its one-string form: `stdout`, an `http(s)://` URL (OTLP), or an
    /// Application Insights connection string. See [`Destination::parse`].
    pub fn with_destination(self, destination: impl Into<String>) -> Self {
        self.with_requested(Requested::Parse(destination.into()))
    }

    /// Adds a fully configured destination.
    pub fn with_destination_config(self, destination: Destination) -> Self {
        self.with_requested(Requested::Ready(destination))
    }

    /// Uses no built-in destination: only processors added with
    /// [`with_span_processor`](Self::with_span_processor) or
    /// [`with_span_exporter`](Self::with_span_exporter) receive spans.
    pub fn with_no_exporter(mut self) -> Self {
        self.destinations = Some(Vec::new());
        self
    }

    /// Adds a span processor, in addition to the destinations.
    ///
    /// The processor sees every span start (`on_start`), so with one installed,
    /// `#[trace_genai]` spans are made by the SDK tracer rather than on trace-genai's
    /// direct path (a few hundred instructions more per call; see `BENCHMARKS.md`). To only
    /// export spans somewhere else, prefer [`with_span_exporter`](Self::with_span_exporter).
    pub fn with_span_processor<P: SpanProcessor + 'static>(mut self, processor: P) -> Self {
        self.processors.push((
            Box::new(move |_: &crate::config::BatchConfig| {
                Ok(Box::new(processor) as Box<dyn SpanProcessor>)
            }),
            false,
        ));
        self
    }

    /// Adds a span processor of trace-genai's own, which ignores span start (so spans keep
    /// the direct path).
    #[cfg(feature = "testing")]
    pub(crate) fn with_own_span_processor<P: SpanProcessor + 'static>(
        mut self,
        processor: P,
    ) -> Self {
        self.processors.push((
            Box::new(move |_: &crate::config::BatchConfig| {
                Ok(Box::new(processor) as Box<dyn SpanProcessor>)
            }),
            true,
        ));
        self
    }

    /// Adds a span exporter behind a batch processor (exports never block the caller), in
    /// addition to the destinations.
    pub fn with_span_exporter<E: SpanExporter + 'static>(mut self, exporter: E) -> Self {
        self.processors.push((
            Box::new(move |batch: &crate::config::BatchConfig| {
                Ok(Box::new(crate::export::batch::BatchProcessor::for_spans(
                    exporter,
                    batch.spans.clamped(),
                    None,
                )?) as Box<dyn SpanProcessor>)
            }),
            true,
        ));
        self
    }

    /// Trusts this PEM certificate, in addition to the system roots, for the HTTPS and
    /// gRPC-over-TLS exports of every destination, OTLP and Azure Monitor (a private CA, a
    /// TLS-inspecting proxy, a local stand-in). OTLP also reads `OTEL_EXPORTER_OTLP_CERTIFICATE`.
    pub fn with_root_certificate(mut self, pem: impl Into<String>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Presents this PEM client certificate (chain) and its PEM private key to receivers
    /// that ask for one (mutual TLS): OTLP receivers and Azure Monitor's ingestion
    /// endpoint. For OTLP, `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `…_CLIENT_KEY` (or an
    /// `OtlpConfig`'s `tls`) win over it.
    pub fn with_client_certificate(
        mut self,
        certificate_pem: impl Into<String>,
        key_pem: impl Into<String>,
    ) -> Self {
        self.client_identity = Some((
            crate::config::destination::Pem::new(
                "the certificate given to `with_client_certificate`",
                certificate_pem,
            ),
            crate::config::destination::Pem::new(
                "the key given to `with_client_certificate`",
                key_pem,
            ),
        ));
        self
    }

    /// Adds a metric exporter behind a periodic reader (it also exports at shutdown), in
    /// addition to the destinations.
    pub fn with_metric_exporter<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>(
        mut self,
        exporter: E,
    ) -> Self {
        self.metric_readers
            .push(Box::new(move |builder, settings: &ExportSettings| {
                builder.with_reader(crate::export::metric_reader(exporter, settings))
            }));
        self
    }

    /// Sets the budget of one content attribute, in characters of its JSON text (at least
    /// 64; default [`DEFAULT_CONTENT_MAX_LENGTH`](crate::DEFAULT_CONTENT_MAX_LENGTH)).
    /// Wins over `TRACE_GENAI_CONTENT_MAX_LENGTH`.
    pub fn with_content_max_length(mut self, length: usize) -> Self {
        self.content_max_length = Some(length);
        self
    }

    /// The deadline of [`Telemetry::force_flush`] and [`Telemetry::shutdown`] (zero: no
    /// limit), instead of `TRACE_GENAI_SHUTDOWN_TIMEOUT` or the default, which follows
    /// the export time limits (see [`Telemetry::deadline`]).
    pub fn with_shutdown_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Adds a log record processor next to the destinations' (GenAI events go through
    /// it); e.g. the SDK's in-memory exporter in tests.
    pub fn with_log_processor<P: LogProcessor + 'static>(mut self, processor: P) -> Self {
        self.log_processors.push(Box::new(move |builder| {
            builder.with_log_processor(processor)
        }));
        self
    }

    /// Sets where message content may be recorded. Wins over
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` and
    /// `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`. Off by default.
    pub fn with_content_capture(mut self, capture: crate::ContentCapture) -> Self {
        self.content_capture = Some(capture);
        self
    }

    /// Sets the classes of sensitive text replaced in recorded content (prompts, answers,
    /// tool arguments and results, feedback comments, error text), whoever produced it:
    /// [`RedactClasses::CREDENTIALS`](crate::RedactClasses::CREDENTIALS) by default,
    /// [`RedactClasses::PII`](crate::RedactClasses::PII) too, or
    /// [`RedactClasses::NONE`](crate::RedactClasses::NONE). Wins over `TRACE_GENAI_REDACT`.
    /// Applies only when content is recorded: with content off nothing is left to redact.
    pub fn with_redaction(mut self, classes: crate::RedactClasses) -> Self {
        self.redact = Some(classes);
        self
    }

    /// Adds regular expressions (the `regex` crate's syntax) whose matches in recorded
    /// content become `[REDACTED:pattern]`, besides those of
    /// `TRACE_GENAI_REDACT_PATTERNS`. A pattern that does not compile fails the install.
    pub fn with_redact_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.redact_patterns
            .extend(patterns.into_iter().map(Into::into));
        self
    }

    /// Adds your own [`Redactor`](crate::Redactor), applied to recorded content after the
    /// built-in classes and the patterns.
    pub fn with_redactor(mut self, redactor: impl crate::Redactor + 'static) -> Self {
        self.redactor = Some(std::sync::Arc::new(redactor));
        self
    }

    /// Stores message content outside the trace, in the store `upload` names, and puts
    /// references on the spans instead (see [`upload`](crate::upload), feature `upload`).
    /// Wins over `OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK=upload` and its variables.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use trace_genai::{UploadConfig, UploadFormat};
    ///
    /// # let dir = std::env::temp_dir().join(format!("trace-genai-builder-doc-{}", std::process::id()));
    /// let base = format!("file://{}", dir.display());
    /// let telemetry = trace_genai::Telemetry::builder()
    ///     .with_no_exporter()
    ///     .with_upload(UploadConfig::new(base).with_format(UploadFormat::Jsonl))
    ///     .install()
    ///     .unwrap();
    /// # drop(telemetry);
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// # }
    /// ```
    pub fn with_upload(mut self, upload: crate::config::UploadConfig) -> Self {
        self.upload = Some(upload);
        self
    }

    /// Uses this configuration instead of reading the environment.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Builds the tracer, logger and meter providers with one resource, installs them as
    /// the global ones, and returns the guard that shuts them down.
    ///
    /// With `OTEL_SDK_DISABLED=true` nothing is installed: instrumented functions skip
    /// span creation entirely.
    ///
    /// # Errors
    ///
    /// [`InitError`] when the environment or a builder argument is invalid, a destination's
    /// cargo feature is off, or an exporter cannot be built. Nothing is installed then.
    pub fn install(self) -> Result<Telemetry, InitError> {
        let config = match self.config {
            Some(config) => config,
            None => Config::from_env()?,
        };
        report_warnings(&config.warnings);
        let mut patterns = config.redact_patterns.clone();
        patterns.extend(self.redact_patterns);
        let redaction = crate::genai::redact::Settings::new(
            self.redact.unwrap_or(config.redact),
            patterns,
            self.redactor,
        )
        .map_err(|error| {
            InitError::InvalidConfig(format!(
                "{error}: fix the pattern given to `with_redact_patterns`"
            ))
        })?;
        // Applied only once everything below succeeded: a failed install changes nothing.
        let mut policy = Policy {
            content_capture: self.content_capture.unwrap_or(config.content_capture),
            content_max_length: self.content_max_length.unwrap_or(config.content_max_length),
            redaction: std::sync::Arc::new(redaction),
            semconv_latest_experimental: config.semconv_latest_experimental,
            propagators: config.propagators.clone(),
            upload: None,
        };
        if config.sdk_disabled {
            let generation = commit(&policy, None);
            return Ok(Telemetry {
                generation,
                tracer_provider: None,
                logger_provider: None,
                meter_provider: None,
                runtimes: Runtimes::default(),
                deadline: crate::export::LOCAL_DEADLINE,
            });
        }

        let settings = ExportSettings {
            batch: config.batch,
            metric_export_interval: config.metric_export_interval,
            root_certificates: self.root_certificates,
            client_identity: self.client_identity,
            max_request_bytes: config
                .max_request_bytes
                .clamp(crate::config::MIN_BYTES, crate::config::MAX_BYTES),
            #[cfg(feature = "console")]
            console: crate::export::ConsoleSink::new(
                self.console_output
                    .unwrap_or_else(|| config.console_output.clone()),
            ),
        };
        let mut runtimes = Runtimes::default();
        if let Some(upload) = self.upload.as_ref().or(config.upload.as_ref()) {
            policy.upload = Some(crate::export::upload_hook(
                upload,
                &mut runtimes,
                &config.batch.spans,
            )?);
        }
        let mut projects = Projects {
            #[cfg(feature = "azure-ai-project")]
            credential: self.azure_credential,
            #[cfg(feature = "azure-ai-project")]
            timeout: self.azure_ai_project_timeout,
            found: Vec::new(),
        };

        let destinations = if let Some(requested) = self.destinations {
            let resolved = requested
                .into_iter()
                .map(|requested| {
                    resolve(requested, &config, &mut |endpoint| {
                        projects.connection_string(endpoint, &config, &settings, &mut runtimes)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            [resolved.clone(), resolved.clone(), resolved]
        } else {
            projects.configured_destinations(&config, &settings, &mut runtimes)?
        };
        let [traces, logs, metrics] = &destinations;

        let service_name = self
            .service_name
            .or_else(|| config.service_name.clone())
            .unwrap_or_else(default_service_name);
        let resource = Resource::builder_empty()
            .with_attributes(
                TelemetryResourceDetector
                    .detect()
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
            )
            // One id per process (Application Insights' cloud_RoleInstance); a value from
            // the environment or the builder, added after it, wins.
            .with_attribute(crate::install::resource::service_instance_id())
            .with_attributes(config.resource_attributes.clone())
            .with_attributes(self.resource_attributes)
            .with_service_name(service_name)
            .build();
        let resource = crate::export::fit_resource(&destinations, resource);
        let sampler = self.sampler.unwrap_or(config.sampler);
        let mut tracer_builder = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_sampler(sampler.to_sampler())
            .with_span_limits(config.span_limits.to_sdk());
        let mut processors = Vec::new();
        for destination in traces {
            processors.extend(export::trace_processor(
                destination,
                &settings,
                &mut runtimes,
            )?);
        }
        // The direct path needs processors that ignore span start: trace-genai's own.
        let mut direct = true;
        for (make, own) in self.processors {
            direct &= own;
            processors.push(make(&config.batch)?);
        }
        let shut_down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut shared = Vec::with_capacity(processors.len());
        for (at, processor) in processors.into_iter().enumerate() {
            let (for_provider, for_recorder) =
                crate::global::Recorder::share(processor, &resource, &shut_down, at == 0);
            tracer_builder = tracer_builder.with_span_processor(for_provider);
            shared.push(for_recorder);
        }
        let recorder = direct.then(|| {
            std::sync::Arc::new(crate::global::Recorder::new(
                shared,
                sampler,
                config.span_limits.to_sdk(),
                shut_down,
            ))
        });

        // The content boundary first: the SDK hands each record to the processors in
        // order, so every destination and the application's processors see it cleaned.
        let mut logger_builder = SdkLoggerProvider::builder()
            .with_resource(resource.clone())
            .with_log_processor(crate::genai::boundary::LogBoundary::new());
        for destination in logs {
            logger_builder =
                export::add_logs(logger_builder, destination, &settings, &mut runtimes)?;
        }

        for add_processor in self.log_processors {
            logger_builder = add_processor(logger_builder);
        }

        // Without any reader, GenAI metrics are not measured at all (no per-call cost).
        let metrics_read = !self.metric_readers.is_empty()
            || metrics.iter().any(|destination| {
                !matches!(destination, Destination::Console(ConsoleFormat::JsonLines))
            });
        let mut meter_builder = SdkMeterProvider::builder().with_resource(resource);
        for destination in metrics {
            meter_builder =
                export::add_metrics(meter_builder, destination, &settings, &mut runtimes)?;
        }

        for add_reader in self.metric_readers {
            meter_builder = add_reader(meter_builder, &settings);
        }

        let tracer_provider = tracer_builder.build();
        let logger_provider = logger_builder.build();
        let meter_provider = meter_builder.build();
        let skip = crate::record::shortcut::skip(&sampler, metrics_read);
        let generation = commit(
            &policy,
            Some(Pipeline {
                tracer_provider: &tracer_provider,
                recorder,
                logger_provider: &logger_provider,
                meter_provider: &meter_provider,
                metrics_read,
                skip,
            }),
        );
        Ok(Telemetry {
            generation,
            tracer_provider: Some(tracer_provider),
            logger_provider: Some(logger_provider),
            meter_provider: Some(meter_provider),
            deadline: self
                .shutdown_timeout
                .or(config.shutdown_timeout)
                .map_or_else(|| runtimes.deadline(), crate::config::time_limit),
            runtimes,
        })
    }
}

/// The process-wide settings an install applies besides its providers.
struct Policy {
    content_capture: crate::ContentCapture,
    content_max_length: usize,
    redaction: std::sync::Arc<crate::genai::redact::Settings>,
    semconv_latest_experimental: bool,
    propagators: Vec<crate::config::Propagator>,
    /// The upload hook: content to a store, references on spans.
    upload: Option<std::sync::Arc<crate::global::Upload>>,
}

/// The providers an install makes live.
struct Pipeline<'a> {
    tracer_provider: &'a SdkTracerProvider,
    recorder: Option<std::sync::Arc<crate::global::Recorder>>,
    logger_provider: &'a SdkLoggerProvider,
    meter_provider: &'a SdkMeterProvider,
    /// Whether some reader reads GenAI metrics (else they are not measured at all).
    metrics_read: bool,
    skip: u8,
}

/// Makes an install the live one, replacing any earlier install; `None` when telemetry is
/// disabled. Infallible: everything that can fail happened before. Returns the install's
/// generation.
fn commit(policy: &Policy, pipeline: Option<Pipeline<'_>>) -> u64 {
    use opentelemetry::trace::TracerProvider as _;
    // The upload hook captures content whatever the capture variable says (as the
    // conventions define the hook); the policy still says whether events carry references.
    let capture = match policy.content_capture {
        crate::ContentCapture::NoContent if policy.upload.is_some() => {
            crate::ContentCapture::SpanOnly
        }
        capture => capture,
    };
    crate::genai::content::set_content_capture(capture);
    crate::genai::content::set_content_max_length(policy.content_max_length);
    crate::genai::redact::set(Some(std::sync::Arc::clone(&policy.redaction)));
    crate::semconv::set_latest_experimental(policy.semconv_latest_experimental);
    // Also when disabled: incoming trace context still flows through to outgoing calls.
    crate::propagation::install(&policy.propagators);
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
    let mut installed = INSTALLED.write().unwrap_or_else(PoisonError::into_inner);
    let Some(pipeline) = pipeline else {
        *installed = Some(Installed {
            generation,
            tracer: None,
            recorder: None,
            logger_provider: None,
            upload: None,
        });
        crate::global::UPLOADING.store(false, Ordering::Relaxed);
        crate::genai::metrics::uninstall();
        SKIP.store(SKIP_NEVER, Ordering::Relaxed);
        STATE.store(STATE_DISABLED, Ordering::Relaxed);
        return generation;
    };
    opentelemetry::global::set_tracer_provider(pipeline.tracer_provider.clone());
    *installed = Some(Installed {
        generation,
        tracer: Some(
            pipeline
                .tracer_provider
                .tracer_with_scope(crate::semconv::scope()),
        ),
        recorder: pipeline.recorder,
        logger_provider: Some(pipeline.logger_provider.clone()),
        upload: policy.upload.clone(),
    });
    crate::global::UPLOADING.store(policy.upload.is_some(), Ordering::Relaxed);
    opentelemetry::global::set_meter_provider(pipeline.meter_provider.clone());
    if pipeline.metrics_read {
        crate::genai::metrics::install(pipeline.meter_provider, crate::semconv::scope());
    } else {
        crate::genai::metrics::uninstall();
    }
    SKIP.store(pipeline.skip, Ordering::Relaxed);
    STATE.store(STATE_ACTIVE, Ordering::Relaxed);
    generation
}

/// Completes a destination asked for in code with the configuration; `project` looks up
/// the connection string of an Azure AI Foundry project.
fn resolve(
    requested: Requested,
    config: &Config,
    project: &mut dyn FnMut(&str) -> Result<ConnectionString, InitError>,
) -> Result<Destination, InitError> {
    match requested {
        Requested::Console(format) => Ok(Destination::Console(
            format.unwrap_or(config.console_format),
        )),
        Requested::Otlp(endpoint, protocol) => {
            crate::config::destination::validate_url(&endpoint).map_err(|reason| {
                InitError::InvalidConfig(format!("OTLP endpoint {endpoint:?} {reason}"))
            })?;
            Ok(Destination::Otlp(OtlpConfig {
                endpoint: Some(endpoint),
                traces_endpoint: None,
                logs_endpoint: None,
                metrics_endpoint: None,
                protocol: protocol.unwrap_or(config.otlp.protocol),
                ..config.otlp.clone()
            }))
        }
        Requested::Ready(destination) => Ok(destination),
        Requested::Parse(text) => match Destination::parse(&text)? {
            Destination::Console(_) => Ok(Destination::Console(config.console_format)),
            Destination::Otlp(otlp) => Ok(Destination::Otlp(OtlpConfig {
                headers: config.otlp.headers.clone(),
                timeout: config.otlp.timeout,
                compression: config.otlp.compression,
                signal_headers: config.otlp.signal_headers.clone(),
                signal_timeouts: config.otlp.signal_timeouts.clone(),
                ..otlp
            })),
            other => Ok(other),
        },
        Requested::AzureAiProject(endpoint) => project(&endpoint).map(Destination::AzureMonitor),
        Requested::AzureMonitor(text) => ConnectionString::parse(&text)
            .map(Destination::AzureMonitor)
            .map_err(|reason| {
                InitError::InvalidConfig(format!(
                    "the Application Insights connection string {reason}"
                ))
            }),
    }
}

/// The Azure AI Foundry project lookups of one install: each project is looked up once.
struct Projects {
    #[cfg(feature = "azure-ai-project")]
    credential: Option<std::sync::Arc<dyn crate::azure::TokenCredential>>,
    #[cfg(feature = "azure-ai-project")]
    timeout: Option<std::time::Duration>,
    /// The connection string of each project looked up so far.
    found: Vec<(String, ConnectionString)>,
}

impl Projects {
    /// The destinations the configuration names for each signal, after looking up the
    /// connection string of the Azure AI Foundry project that is the only destination.
    fn configured_destinations(
        &mut self,
        config: &Config,
        settings: &ExportSettings,
        runtimes: &mut Runtimes,
    ) -> Result<[Vec<Destination>; 3], InitError> {
        let mut config = config.clone();
        if let Some(endpoint) = config.azure_ai_project_lookup().map(str::to_owned) {
            if cfg!(feature = "azure-ai-project") {
                config.azure_connection_string =
                    Some(self.connection_string(&endpoint, &config, settings, runtimes)?);
            } else {
                report_warnings(&[format!(
                    "{} is set, but trace-genai was built without the feature `azure-ai-project`: it is ignored",
                    crate::config::AZURE_AI_PROJECT_ENDPOINT
                )]);
                config.azure_ai_project.endpoint = None;
            }
        }
        Ok([
            config.destinations(Signal::Traces)?,
            config.destinations(Signal::Logs)?,
            config.destinations(Signal::Metrics)?,
        ])
    }

    /// The connection string of the project at `endpoint`, looked up on the export runtime
    /// the first time.
    #[cfg_attr(
        not(feature = "azure-ai-project"),
        allow(
            clippy::unused_self,
            clippy::needless_pass_by_ref_mut,
            reason = "the lookup needs the feature `azure-ai-project`"
        )
    )]
    fn connection_string(
        &mut self,
        endpoint: &str,
        config: &Config,
        settings: &ExportSettings,
        runtimes: &mut Runtimes,
    ) -> Result<ConnectionString, InitError> {
        if let Some((_, found)) = self.found.iter().find(|(of, _)| of == endpoint) {
            return Ok(found.clone());
        }
        #[cfg(feature = "azure-ai-project")]
        {
            let project = crate::azure::FoundryProject::for_install(
                endpoint,
                self.credential.clone(),
                self.timeout,
                settings,
            );
            let found = runtimes.azure_ai_project(&project, &config.azure_ai_project)?;
            self.found.push((endpoint.to_owned(), found.clone()));
            Ok(found)
        }
        #[cfg(not(feature = "azure-ai-project"))]
        {
            let _ = (config, settings, runtimes);
            Err(InitError::FeatureNotEnabled {
                exporter: "Azure AI Foundry project",
                feature: "azure-ai-project",
            })
        }
    }
}

/// Configuration values that fell back to a safe default, once per install. stderr is the
/// only channel there is before telemetry runs.
#[allow(
    clippy::print_stderr,
    reason = "the one place that reports configuration warnings"
)]
fn report_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("trace-genai: warning: {warning}");
    }
}

/// `unknown_service:<executable name>`, the OpenTelemetry default.
fn default_service_name() -> String {
    let executable = std::env::current_exe().ok().and_then(|path| {
        path.file_stem()
            .map(|name| name.to_string_lossy().into_owned())
    });
    match executable {
        Some(name) => format!("unknown_service:{name}"),
        None => "unknown_service".to_owned(),
    }
}
