//! The [`Telemetry`] guard of an install: flush, shutdown with its delivery report, and
//! the providers it installed.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::builder::TelemetryBuilder;
use crate::config::error::ShutdownError;
use crate::export::Runtimes;
use crate::global::{
    INSTALLED, SKIP, SKIP_NEVER, STATE, STATE_ACTIVE, STATE_DISABLED, STATE_NOT_INSTALLED,
};

/// Installed telemetry. Dropping it (or calling [`Telemetry::shutdown`]) flushes every
/// finished span, log record and metric point, and shuts the providers down.
///
/// Keep it alive for as long as the application runs, typically as a local of `main`.
#[derive(Debug)]
#[must_use = "dropping the Telemetry guard shuts telemetry down"]
pub struct Telemetry {
    /// This install's number; 0 once its process-wide state was cleared.
    pub(super) generation: u64,
    pub(super) tracer_provider: Option<SdkTracerProvider>,
    pub(super) logger_provider: Option<SdkLoggerProvider>,
    pub(super) meter_provider: Option<SdkMeterProvider>,
    pub(super) runtimes: Runtimes,
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

    /// The installed logger provider (GenAI events), or `None` when disabled.
    #[must_use]
    pub fn logger_provider(&self) -> Option<&SdkLoggerProvider> {
        self.logger_provider.as_ref()
    }

    /// The installed meter provider (GenAI metrics), or `None` when disabled.
    #[must_use]
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meter_provider.as_ref()
    }

    /// A `tracing` layer that records `tracing` spans with this telemetry's tracer
    /// provider, so that `#[instrument]` spans, frameworks' spans (rig, genai, any
    /// `tracing` instrumentation) and `#[trace_genai]` spans form one trace in both
    /// directions (a GenAI span inside an instrumented handler is its child; a `tracing`
    /// span inside a traced function is the GenAI span's child), sync and async. `None`
    /// when telemetry is disabled.
    ///
    /// Inside a `#[trace_genai]` function, a `tracing` span named `trace_genai` stands for
    /// the GenAI span as the current `tracing` span: it is not exported, and what is
    /// recorded on it goes to the GenAI span. The GenAI span processor brings the bridged
    /// spans under the conventions and the content policy (see the README's
    /// "Frameworks"). Events below INFO and the bridge's details are left out: see
    /// [`tracing_layer_with`](Self::tracing_layer_with) to keep them.
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use tracing_subscriber::layer::SubscriberExt as _;
    ///
    /// let telemetry = trace_genai::Telemetry::builder().with_no_exporter().install().unwrap();
    /// let subscriber = tracing_subscriber::registry().with(telemetry.tracing_layer());
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let _handler = tracing::info_span!("handler").entered();
    ///     // #[trace_genai] functions called here become children of `handler`.
    /// });
    /// # }
    /// ```
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    #[must_use]
    pub fn tracing_layer<S>(&self) -> Option<crate::TracingLayer<S>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        self.tracing_layer_with(crate::TracingOptions::default())
    }

    /// [`tracing_layer`](Self::tracing_layer) with `options`: which `tracing` events to
    /// export, and whether to keep the bridge's details.
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use trace_genai::TracingOptions;
    /// use tracing_subscriber::filter::LevelFilter;
    /// use tracing_subscriber::layer::SubscriberExt as _;
    ///
    /// let telemetry = trace_genai::Telemetry::builder().with_no_exporter().install().unwrap();
    /// // Every event, DEBUG and TRACE included (they may carry whole prompts and replies).
    /// let layer = telemetry.tracing_layer_with(TracingOptions::default().with_events(LevelFilter::TRACE));
    /// let _subscriber = tracing_subscriber::registry().with(layer);
    /// # }
    /// ```
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    #[must_use]
    pub fn tracing_layer_with<S>(
        &self,
        options: crate::TracingOptions,
    ) -> Option<crate::TracingLayer<S>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        use opentelemetry::trace::TracerProvider as _;
        let provider = self.tracer_provider.as_ref()?;
        let scope =
            opentelemetry::InstrumentationScope::builder(crate::semconv::TRACING_BRIDGE_SCOPE)
                .with_version(env!("CARGO_PKG_VERSION"))
                .build();
        Some(crate::install::bridge::layer(
            provider.tracer_with_scope(scope),
            options,
        ))
    }

    /// Exports every finished span, log record and metric point now, without shutting
    /// down.
    ///
    /// # Errors
    ///
    /// When an export failed or timed out: as for [`Telemetry::shutdown`], one error per
    /// destination and signal whose exports failed during this flush, with what was lost
    /// so far, the cause and a hint.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let mark = self.runtimes.failures();
        let mut result = Ok(());
        // Events first, so that the console prints them under their spans.
        if let Some(provider) = &self.logger_provider {
            result = result.and(provider.force_flush().map_err(ShutdownError::Sdk));
        }
        if let Some(provider) = &self.tracer_provider {
            result = result.and(provider.force_flush().map_err(ShutdownError::Sdk));
        }
        if let Some(provider) = &self.meter_provider {
            result = result.and(provider.force_flush().map_err(ShutdownError::Sdk));
        }
        // The delivery report says more than the SDK's own error.
        let mut failed = self.runtimes.failed_since(&mark);
        if failed.is_empty() && result.is_err() {
            failed = self.runtimes.undelivered();
        }
        match failed.len() {
            0 => result,
            1 => Err(failed.remove(0)),
            _ => Err(ShutdownError::Several(failed)),
        }
    }

    /// Flushes every finished span, log record and metric point, then shuts the providers
    /// down. Each exporter gets its export timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`), so this
    /// returns even when a collector is unreachable.
    ///
    /// Telemetry created afterwards is dropped. Dropping the guard does the same and
    /// ignores errors; call this to see them.
    ///
    /// # Errors
    ///
    /// When an exporter failed or timed out, so some telemetry may be lost.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shutdown_providers()
    }

    fn shutdown_providers(&mut self) -> Result<(), ShutdownError> {
        // Spans started from now on are not created at all, unless a later install
        // replaced this one: then the live telemetry is left alone.
        self.uninstall();
        let mut result = Ok(());
        // Events first, so that the console prints them under their spans.
        if let Some(provider) = &self.logger_provider {
            result = result.and(provider.force_flush().map_err(ShutdownError::Sdk));
        }
        if let Some(provider) = self.tracer_provider.take() {
            // The recorder stops when the provider shuts its processors down.
            result = result.and(provider.shutdown().map_err(ShutdownError::Sdk));
        }
        if let Some(provider) = self.logger_provider.take() {
            result = result.and(provider.shutdown().map_err(ShutdownError::Sdk));
        }
        if let Some(provider) = self.meter_provider.take() {
            result = result.and(provider.shutdown().map_err(ShutdownError::Sdk));
        }
        // Reported after the flush above, so every export has settled.
        let undelivered = self.runtimes.undelivered();
        self.runtimes.shutdown();
        // The delivery report says more than the SDK's own shutdown error.
        let mut undelivered = undelivered;
        match undelivered.len() {
            0 => result,
            1 => Err(undelivered.remove(0)),
            _ => Err(ShutdownError::Several(undelivered)),
        }
    }

    /// Clears the process-wide state this install set, if it is still the live one.
    fn uninstall(&mut self) {
        let generation = std::mem::take(&mut self.generation);
        if generation == 0 {
            return;
        }
        let mut installed = INSTALLED.write().unwrap_or_else(PoisonError::into_inner);
        if installed
            .as_ref()
            .is_none_or(|installed| installed.generation != generation)
        {
            return;
        }
        *installed = None;
        let _ = STATE.compare_exchange(
            STATE_ACTIVE,
            STATE_NOT_INSTALLED,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        let _ = STATE.compare_exchange(
            STATE_DISABLED,
            STATE_NOT_INSTALLED,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        SKIP.store(SKIP_NEVER, Ordering::Relaxed);
        crate::genai::metrics::uninstall();
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        // Errors cannot be reported from `drop`; `shutdown` returns them.
        let _ = self.shutdown_providers();
    }
}
