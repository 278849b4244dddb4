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

use std::future::Future;
use std::sync::OnceLock;

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

use super::wrapper::{ExportWrapper, exporter_for_every_signal};
use crate::config::destination::Signal;

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

/// Exports stop once the destination refused the signal.
impl<E: Send + Sync> ExportWrapper for Unsupported<E> {
    async fn around_export<F: Future<Output = OTelSdkResult> + Send>(
        &self,
        _items: u64,
        export: F,
    ) -> OTelSdkResult {
        if let Some(skipped) = self.skipped() {
            return skipped;
        }
        let result = export.await;
        self.settle(result)
    }
}

exporter_for_every_signal!(Unsupported);

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
        Signal::Content => return,
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

#[cfg(test)]
mod tests;
