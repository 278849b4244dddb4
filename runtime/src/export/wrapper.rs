//! One definition of an exporter wrapper for every signal: a wrapper says what it does
//! around an export and around a flush or shutdown ([`ExportWrapper`]), and
//! [`exporter_for_every_signal!`] makes it a span, log and metric exporter.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

/// What an exporter wrapper does around the exporter it wraps, whatever the signal.
///
/// A wrapper keeps the exporter it wraps in a field named `inner`.
pub(super) trait ExportWrapper {
    /// One export of `items` items (spans, log records, or one collection of metrics):
    /// `export` is the wrapped exporter's export, not yet polled.
    fn around_export<F: Future<Output = OTelSdkResult> + Send>(
        &self,
        items: u64,
        export: F,
    ) -> impl Future<Output = OTelSdkResult> + Send;

    /// A flush or a shutdown of the wrapped exporter.
    fn around_call(&self, call: impl FnOnce() -> OTelSdkResult) -> OTelSdkResult {
        call()
    }
}

pin_project_lite::pin_project! {
    /// An export whose panic (in building its future or in polling it) is its failure:
    /// a third-party exporter that panics fails its batch, with the panic's message, and
    /// the pipeline goes on.
    #[project = CaughtProjection]
    pub(crate) enum Caught<F> {
        /// The export, running.
        Running { #[pin] export: F },
        /// The export panicked.
        Panicked { message: Option<String> },
    }
}

/// `make()`'s export, with its panics caught (see [`Caught`]).
pub(crate) fn caught<F: Future<Output = OTelSdkResult>>(make: impl FnOnce() -> F) -> Caught<F> {
    match std::panic::catch_unwind(AssertUnwindSafe(make)) {
        Ok(export) => Caught::Running { export },
        Err(payload) => Caught::Panicked {
            message: Some(panic_message(payload.as_ref())),
        },
    }
}

/// What a panic said, as far as it is text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The failure an exporter's panic becomes.
pub(crate) fn panicked(message: &str) -> OTelSdkError {
    OTelSdkError::InternalFailure(format!("the exporter panicked: {message}"))
}

impl<F: Future<Output = OTelSdkResult>> Future for Caught<F> {
    type Output = OTelSdkResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OTelSdkResult> {
        match self.project() {
            CaughtProjection::Running { export } => {
                match std::panic::catch_unwind(AssertUnwindSafe(|| export.poll(cx))) {
                    Ok(poll) => poll,
                    Err(payload) => Poll::Ready(Err(panicked(&panic_message(payload.as_ref())))),
                }
            }
            CaughtProjection::Panicked { message } => Poll::Ready(Err(panicked(
                message
                    .take()
                    .as_deref()
                    .unwrap_or("a panic without a message"),
            ))),
        }
    }
}

/// Implements the span, log and metric exporter traits for wrappers `$wrapper<E>` that
/// implement [`ExportWrapper`] and keep the wrapped exporter in `inner`, each call going
/// through the wrapper.
macro_rules! exporter_for_every_signal {
    ($($wrapper:ident),+) => {$(
        impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
            for $wrapper<E>
        {
            fn export(
                &self,
                batch: Vec<opentelemetry_sdk::trace::SpanData>,
            ) -> impl std::future::Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send
            {
                let items = u64::try_from(batch.len()).unwrap_or(u64::MAX);
                let export = $crate::export::wrapper::caught(|| self.inner.export(batch));
                self.around_export(items, export)
            }

            fn shutdown_with_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> opentelemetry_sdk::error::OTelSdkResult {
                self.around_call(|| self.inner.shutdown_with_timeout(timeout))
            }

            fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
                self.around_call(|| self.inner.force_flush())
            }

            fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
                self.inner.set_resource(resource);
            }
        }

        impl<E: opentelemetry_sdk::logs::LogExporter> opentelemetry_sdk::logs::LogExporter
            for $wrapper<E>
        {
            fn export(
                &self,
                batch: opentelemetry_sdk::logs::LogBatch<'_>,
            ) -> impl std::future::Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send
            {
                let items = u64::try_from(batch.iter().count()).unwrap_or(u64::MAX);
                let export = $crate::export::wrapper::caught(|| self.inner.export(batch));
                self.around_export(items, export)
            }

            fn shutdown_with_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> opentelemetry_sdk::error::OTelSdkResult {
                self.around_call(|| self.inner.shutdown_with_timeout(timeout))
            }

            fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
                self.inner.set_resource(resource);
            }
        }

        impl<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>
            opentelemetry_sdk::metrics::exporter::PushMetricExporter for $wrapper<E>
        {
            fn export(
                &self,
                metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
            ) -> impl std::future::Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send
            {
                let export = $crate::export::wrapper::caught(|| self.inner.export(metrics));
                self.around_export(1, export)
            }

            fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
                self.around_call(|| self.inner.force_flush())
            }

            fn shutdown_with_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> opentelemetry_sdk::error::OTelSdkResult {
                self.around_call(|| self.inner.shutdown_with_timeout(timeout))
            }

            fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
                self.inner.temporality()
            }
        }
    )+};
}

pub(super) use exporter_for_every_signal;
