//! Installing telemetry: [`Telemetry::builder`] → `with_*` → [`TelemetryBuilder::install`],
//! or [`init`](crate::init) for everything from the environment.

use std::sync::atomic::{AtomicU8, Ordering};

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::{ResourceDetector, TelemetryResourceDetector};
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, SdkTracerProvider, SpanExporter, SpanProcessor,
};

use crate::config::{Config, ConsoleFormat, SamplerConfig, TracesExporter};
use crate::error::{InitError, ShutdownError};

const STATE_ACTIVE: u8 = 0;
const STATE_DISABLED: u8 = 1;

/// Whether instrumented functions create spans at all. Cleared by `OTEL_SDK_DISABLED=true`.
static STATE: AtomicU8 = AtomicU8::new(STATE_ACTIVE);

/// Whether instrumented functions should create spans. One relaxed atomic load.
#[inline]
pub(crate) fn enabled() -> bool {
    STATE.load(Ordering::Relaxed) == STATE_ACTIVE
}

/// Installed telemetry. Dropping it (or calling [`Telemetry::shutdown`]) flushes every
/// finished span and shuts the providers down.
///
/// Keep it alive for as long as the application runs, typically as a local of `main`.
#[derive(Debug)]
#[must_use = "dropping the Telemetry guard shuts telemetry down"]
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Starts configuring telemetry. Values set in code win over the environment.
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::default()
    }

    /// The installed tracer provider, or `None` when `OTEL_SDK_DISABLED=true`.
    #[must_use]
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.tracer_provider.as_ref()
    }

    /// Exports every finished span now, without shutting down.
    ///
    /// # Errors
    ///
    /// When an exporter failed or timed out.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        match &self.tracer_provider {
            Some(provider) => provider.force_flush().map_err(ShutdownError),
            None => Ok(()),
        }
    }

    /// Flushes every finished span, then shuts the providers down.
    ///
    /// Spans created afterwards are dropped. Dropping the guard does the same and ignores
    /// errors; call this to see them.
    ///
    /// # Errors
    ///
    /// When an exporter failed or timed out, so some spans may be lost.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shutdown_providers()
    }

    fn shutdown_providers(&mut self) -> Result<(), ShutdownError> {
        match self.tracer_provider.take() {
            Some(provider) => provider.shutdown().map_err(ShutdownError),
            None => Ok(()),
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        // Errors cannot be reported from `drop`; `shutdown` returns them.
        let _ = self.shutdown_providers();
    }
}

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
#[derive(Default)]
#[must_use = "call `install()` to install telemetry"]
pub struct TelemetryBuilder {
    service_name: Option<String>,
    resource_attributes: Vec<KeyValue>,
    sampler: Option<SamplerConfig>,
    exporter: Option<TracesExporter>,
    console_format: Option<ConsoleFormat>,
    processors: Vec<Box<dyn SpanProcessorObject>>,
    config: Option<Config>,
}

impl std::fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryBuilder")
            .field("service_name", &self.service_name)
            .field("resource_attributes", &self.resource_attributes)
            .field("sampler", &self.sampler)
            .field("exporter", &self.exporter)
            .field("console_format", &self.console_format)
            .field("processors", &self.processors.len())
            .finish_non_exhaustive()
    }
}

/// A span processor boxed for the builder.
trait SpanProcessorObject {
    fn add_to(
        self: Box<Self>,
        builder: opentelemetry_sdk::trace::TracerProviderBuilder,
    ) -> opentelemetry_sdk::trace::TracerProviderBuilder;
}

impl<P: SpanProcessor + 'static> SpanProcessorObject for P {
    fn add_to(
        self: Box<Self>,
        builder: opentelemetry_sdk::trace::TracerProviderBuilder,
    ) -> opentelemetry_sdk::trace::TracerProviderBuilder {
        builder.with_span_processor(*self)
    }
}

impl TelemetryBuilder {
    /// Sets `service.name`, shown as the service in every backend (and as the cloud role
    /// name in Application Insights). Wins over `OTEL_SERVICE_NAME`.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (`service.version`, `deployment.environment.name`, …).
    /// Wins over the same key in `OTEL_RESOURCE_ATTRIBUTES`.
    pub fn with_resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource_attributes.push(attribute);
        self
    }

    /// Sets the sampler. Wins over `OTEL_TRACES_SAMPLER`.
    pub fn with_sampler(mut self, sampler: SamplerConfig) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Prints spans on stdout as one tree per trace. Wins over `OTEL_TRACES_EXPORTER`.
    pub fn with_console(mut self) -> Self {
        self.exporter = Some(TracesExporter::Console);
        self
    }

    /// Prints spans on stdout in the given format. Wins over `OTEL_TRACES_EXPORTER` and
    /// `TRACE_GENAI_CONSOLE_FORMAT`.
    pub fn with_console_format(mut self, format: ConsoleFormat) -> Self {
        self.exporter = Some(TracesExporter::Console);
        self.console_format = Some(format);
        self
    }

    /// Exports no spans through the built-in exporters: only the processors added with
    /// [`with_span_processor`](Self::with_span_processor) or
    /// [`with_span_exporter`](Self::with_span_exporter) receive them.
    pub fn with_no_exporter(mut self) -> Self {
        self.exporter = Some(TracesExporter::None);
        self
    }

    /// Adds a span processor, in addition to the configured exporter.
    pub fn with_span_processor<P: SpanProcessor + 'static>(mut self, processor: P) -> Self {
        self.processors.push(Box::new(processor));
        self
    }

    /// Adds an exporter behind a batch processor (exports never block the caller), in
    /// addition to the configured exporter.
    pub fn with_span_exporter<E: SpanExporter + 'static>(self, exporter: E) -> Self {
        self.with_span_processor(BatchSpanProcessor::builder(exporter).build())
    }

    /// Uses this configuration instead of reading the environment.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Builds the providers, installs them as the global ones, and returns the guard that
    /// shuts them down.
    ///
    /// With `OTEL_SDK_DISABLED=true` nothing is installed: instrumented functions skip
    /// span creation entirely.
    ///
    /// # Errors
    ///
    /// [`InitError`] when the environment holds an invalid value or an exporter cannot be
    /// built. Nothing is installed in that case.
    pub fn install(self) -> Result<Telemetry, InitError> {
        let config = match self.config {
            Some(config) => config,
            None => Config::from_env()?,
        };
        if config.sdk_disabled {
            STATE.store(STATE_DISABLED, Ordering::Relaxed);
            return Ok(Telemetry {
                tracer_provider: None,
            });
        }

        let service_name = self
            .service_name
            .or(config.service_name)
            .unwrap_or_else(default_service_name);
        let resource = Resource::builder_empty()
            .with_attributes(
                TelemetryResourceDetector
                    .detect()
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
            )
            .with_attributes(config.resource_attributes)
            .with_attributes(self.resource_attributes)
            .with_service_name(service_name)
            .build();

        let mut builder = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_sampler(self.sampler.unwrap_or(config.sampler).to_sampler());
        match self.exporter.unwrap_or(config.traces_exporter) {
            TracesExporter::Console => {
                builder = add_console(
                    builder,
                    self.console_format.unwrap_or(config.console_format),
                )?;
            }
            TracesExporter::None => {}
        }
        for processor in self.processors {
            builder = processor.add_to(builder);
        }
        let provider = builder.build();
        opentelemetry::global::set_tracer_provider(provider.clone());
        STATE.store(STATE_ACTIVE, Ordering::Relaxed);
        Ok(Telemetry {
            tracer_provider: Some(provider),
        })
    }
}

#[cfg(feature = "console")]
#[expect(
    clippy::unnecessary_wraps,
    reason = "the same shape as without the feature"
)]
fn add_console(
    builder: opentelemetry_sdk::trace::TracerProviderBuilder,
    format: ConsoleFormat,
) -> Result<opentelemetry_sdk::trace::TracerProviderBuilder, InitError> {
    Ok(builder.with_batch_exporter(crate::console::ConsoleExporter::new(format)))
}

#[cfg(not(feature = "console"))]
fn add_console(
    _builder: opentelemetry_sdk::trace::TracerProviderBuilder,
    _format: ConsoleFormat,
) -> Result<opentelemetry_sdk::trace::TracerProviderBuilder, InitError> {
    Err(InitError::FeatureNotEnabled {
        exporter: "console",
        feature: "console",
    })
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
