//! The [`Telemetry`] guard of an install: flush, shutdown with its delivery report, and
//! the providers it installed.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::builder::TelemetryBuilder;
use crate::config::error::{Deadline, ShutdownError};
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
    /// The deadline of `force_flush` and `shutdown`.
    pub(super) deadline: Duration,
}

/// How long spans wait for the events' flush, and metrics for the spans', before they
/// are flushed too (the console prints events under their spans, then the metric lines;
/// a slow destination must not hold the others back).
const EVENTS_FIRST: Duration = Duration::from_millis(250);

/// What one provider's flush or shutdown thread sends back.
type Outcome = (usize, Result<(), ShutdownError>);

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

    /// The deadline of [`force_flush`](Self::force_flush) and
    /// [`shutdown`](Self::shutdown): `TRACE_GENAI_SHUTDOWN_TIMEOUT` or
    /// [`with_shutdown_timeout`](crate::TelemetryBuilder::with_shutdown_timeout) when set,
    /// else the longest time limit of one export among the network destinations plus one
    /// second (`min(OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_BSP_EXPORT_TIMEOUT)` + 1 s: 11 s by
    /// default), or 5 s without a network destination.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// What became of each network destination's spans and log records so far: one
    /// [`DeliveryCounts`](crate::DeliveryCounts) per destination and signal (metrics:
    /// exports), with the destination's name.
    #[must_use]
    pub fn delivery(&self) -> Vec<(String, crate::Signal, crate::DeliveryCounts)> {
        self.runtimes.counts()
    }

    /// Exports every finished span, log record and metric point now, without shutting
    /// down, within the [deadline](Self::deadline); the signals are flushed at the same
    /// time.
    ///
    /// # Errors
    ///
    /// As for [`Telemetry::shutdown`], one error per destination and signal whose exports
    /// failed or timed out during this flush, or that dropped items, with the counts so
    /// far, the cause and a hint; and per destination and signal with items still queued
    /// when the deadline passed, counted as queued (they are exported later), never as
    /// lost.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let marks = self.runtimes.marks();
        let until = deadline_from_now(self.deadline);
        let result = self.run_providers(until, false);
        self.runtimes.settle(until);
        let mut failed = self
            .runtimes
            .flush_report(Deadline::Flush(self.deadline), &marks);
        // The delivery report says more than the SDK's own error.
        match failed.len() {
            0 => result,
            1 => Err(failed.remove(0)),
            _ => Err(ShutdownError::Several(failed)),
        }
    }

    /// Flushes every finished span, log record and metric point, then shuts the providers
    /// down, within the [deadline](Self::deadline): the signals are flushed at the same
    /// time, so a destination that does not answer costs one deadline, not one per
    /// signal.
    ///
    /// Telemetry created afterwards is dropped. Dropping the guard does the same and
    /// ignores errors; call this to see them.
    ///
    /// # Errors
    ///
    /// When something was not delivered: one error per destination and signal, saying
    /// how many were delivered, failed (with the cause), timed out (they may have
    /// arrived), were dropped by a bound (which), or were still queued when the deadline
    /// passed.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shutdown_providers()
    }

    /// [`shutdown`](Self::shutdown) with `timeout` as its deadline (zero: no limit)
    /// instead of the install's.
    ///
    /// # Errors
    ///
    /// As for [`shutdown`](Self::shutdown).
    pub fn shutdown_with_timeout(mut self, timeout: Duration) -> Result<(), ShutdownError> {
        self.deadline = crate::config::time_limit(timeout);
        self.shutdown_providers()
    }

    fn shutdown_providers(&mut self) -> Result<(), ShutdownError> {
        // Spans started from now on are not created at all, unless a later install
        // replaced this one: then the live telemetry is left alone.
        self.uninstall();
        let until = deadline_from_now(self.deadline);
        let result = self.run_providers(until, true);
        self.tracer_provider = None;
        self.logger_provider = None;
        self.meter_provider = None;
        // A metric reader gives up on its last export after 5 s: wait for it until the
        // deadline, so that the report below counts it.
        self.runtimes.settle(until);
        let mut undelivered = self.runtimes.undelivered(Deadline::Shutdown(self.deadline));
        self.runtimes.shutdown();
        // The delivery report says more than the SDK's own shutdown error.
        match undelivered.len() {
            0 => result,
            1 => Err(undelivered.remove(0)),
            _ => Err(ShutdownError::Several(undelivered)),
        }
    }

    /// Flushes (and with `shut_down`, shuts down) the three providers at the same time,
    /// each on a thread of its own, waiting for them until `until`. Events go first, so
    /// that the console prints them under their spans: spans wait for them at most
    /// [`EVENTS_FIRST`]. A thread still running at the deadline finishes on its own.
    fn run_providers(&self, until: Instant, shut_down: bool) -> Result<(), ShutdownError> {
        let (sender, outcomes) = mpsc::channel::<Outcome>();
        let (logs_done, logs_flushed) = mpsc::channel::<()>();
        let (spans_done_for_logs, spans_flushed_for_logs) = mpsc::channel::<()>();
        let (spans_done_for_metrics, spans_flushed_for_metrics) = mpsc::channel::<()>();
        let mut running = 0;
        let sdk =
            |result: opentelemetry_sdk::error::OTelSdkResult| result.map_err(ShutdownError::Sdk);
        if let Some(provider) = self.logger_provider.clone() {
            running += 1;
            spawn(&sender, 0, move || {
                let flushed =
                    crate::export::batch::with_flush_deadline(until, || provider.force_flush());
                let _ = logs_done.send(());
                let result = sdk(flushed);
                if shut_down {
                    // The console prints the records left waiting for their span when
                    // its log exporter shuts down: after the spans, then.
                    let _ = spans_flushed_for_logs.recv_timeout(remaining(until));
                    result.and(sdk(provider.shutdown_with_timeout(remaining(until))))
                } else {
                    result
                }
            });
        } else {
            drop(logs_done);
        }
        if let Some(provider) = self.tracer_provider.clone() {
            running += 1;
            spawn(&sender, 1, move || {
                let _ = logs_flushed.recv_timeout(EVENTS_FIRST.min(remaining(until)));
                let result = if shut_down {
                    // The recorder stops when the provider shuts its processors down.
                    sdk(provider.shutdown_with_timeout(remaining(until)))
                } else {
                    sdk(crate::export::batch::with_flush_deadline(until, || {
                        provider.force_flush()
                    }))
                };
                let _ = spans_done_for_logs.send(());
                let _ = spans_done_for_metrics.send(());
                result
            });
        } else {
            drop((spans_done_for_logs, spans_done_for_metrics));
        }
        if let Some(provider) = self.meter_provider.clone() {
            running += 1;
            spawn(&sender, 2, move || {
                // Metric lines after the trace on the console.
                let _ = spans_flushed_for_metrics.recv_timeout(EVENTS_FIRST.min(remaining(until)));
                let result = if shut_down {
                    provider.shutdown_with_timeout(remaining(until))
                } else {
                    provider.force_flush()
                };
                // A metric reader gives up waiting for its export after a fixed 5 s while
                // the export goes on: the delivery report, made once it has settled or the
                // deadline passed, says whether it failed. (The provider wraps the
                // reader's `Timeout` in an `InternalFailure` listing the errors.)
                match result {
                    Err(opentelemetry_sdk::error::OTelSdkError::Timeout(_)) => Ok(()),
                    Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(errors))
                        if errors.starts_with("[Timeout(") && !errors.contains("), ") =>
                    {
                        Ok(())
                    }
                    other => sdk(other),
                }
            });
        }
        #[cfg(feature = "upload")]
        if let Some(uploads) = self.runtimes.uploads.clone() {
            running += 1;
            spawn(&sender, 3, move || {
                // What the store refused or left waiting is in the delivery report.
                let _ = if shut_down {
                    uploads.shutdown(remaining(until))
                } else {
                    crate::export::batch::with_flush_deadline(until, || uploads.flush())
                };
                Ok(())
            });
        }
        drop(sender);
        let mut results: [Result<(), ShutdownError>; 4] = [Ok(()), Ok(()), Ok(()), Ok(())];
        for _ in 0..running {
            match outcomes.recv_timeout(remaining(until)) {
                Ok((at, result)) => {
                    if let Some(slot) = results.get_mut(at) {
                        *slot = result;
                    }
                }
                Err(_) => {
                    return Err(ShutdownError::Sdk(
                        opentelemetry_sdk::error::OTelSdkError::Timeout(self.deadline),
                    ));
                }
            }
        }
        let [logs, traces, metrics, uploads] = results;
        logs.and(traces).and(metrics).and(uploads)
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
        crate::global::UPLOADING.store(false, Ordering::Relaxed);
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

/// `limit` from now (at the latest instant `Instant` holds).
fn deadline_from_now(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        .or_else(|| now.checked_add(crate::config::NO_TIMEOUT))
        .unwrap_or(now)
}

/// The time left until `until`.
fn remaining(until: Instant) -> Duration {
    until.saturating_duration_since(Instant::now())
}

/// Runs `work` on a thread of its own and sends its result, tagged `at`; on this thread
/// when no thread can be started.
fn spawn(
    sender: &mpsc::Sender<Outcome>,
    at: usize,
    work: impl FnOnce() -> Result<(), ShutdownError> + Send + 'static,
) {
    let work = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
    let run = {
        let work = std::sync::Arc::clone(&work);
        let sender = sender.clone();
        move || {
            let taken = work.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(work) = taken {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                    .unwrap_or_else(|_| {
                        Err(ShutdownError::Sdk(
                            opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                                "a provider panicked while flushing".to_owned(),
                            ),
                        ))
                    });
                let _ = sender.send((at, result));
            }
        }
    };
    if std::thread::Builder::new()
        .name("trace-genai-flush".to_owned())
        .spawn(run.clone())
        .is_err()
    {
        run();
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        // Errors cannot be reported from `drop`; `shutdown` returns them.
        let _ = self.shutdown_providers();
    }
}
