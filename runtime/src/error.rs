//! Errors of telemetry set-up and shutdown.
//!
//! Only set-up returns errors. Code running inside instrumented functions never does:
//! failures there are dropped so that telemetry never changes the behaviour of the app.

use opentelemetry_sdk::error::OTelSdkError;

/// Why telemetry could not be installed. Each variant says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// An environment variable has a value trace-genai does not understand.
    #[error("environment variable {var}={value:?} is invalid: {expected}")]
    InvalidEnv {
        /// The variable's name.
        var: &'static str,
        /// The value found.
        value: String,
        /// What the variable accepts.
        expected: &'static str,
    },
    /// A builder argument is invalid.
    #[error("invalid telemetry configuration: {0}")]
    InvalidConfig(String),
    /// An exporter could not be built.
    #[error("the {exporter} exporter could not be built: {source}")]
    Exporter {
        /// The exporter.
        exporter: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An OTLP header cannot be sent as given: its name or its value has characters an
    /// HTTP header cannot carry. The value is never shown (header values are secrets).
    #[error(
        "the OTLP header {name:?} in {origin} cannot be sent: {reason} (the value is not shown)"
    )]
    InvalidHeader {
        /// Where the header came from: an environment variable's name, or
        /// `the OtlpConfig given in code`.
        origin: &'static str,
        /// The header's name, as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A destination was requested whose cargo feature is not compiled in.
    #[error(
        "the {exporter} exporter was requested but trace-genai was built without it: enable the cargo feature `{feature}` of trace-genai"
    )]
    FeatureNotEnabled {
        /// The exporter asked for.
        exporter: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
}

/// Why telemetry did not shut down cleanly: some telemetry may not have been delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// A provider failed to flush or shut down.
    #[error("telemetry shutdown failed: {0}")]
    Sdk(#[from] OTelSdkError),
    /// Spans were lost on the way to a destination, counted once for the whole run.
    #[error(
        "{destination}: {lost} of {ended} spans were not delivered ({failed} failed to export{last_error}, {dropped} dropped: the export queue was full, or their export had not finished at shutdown)"
    )]
    Undelivered {
        /// The destination, e.g. `OTLP grpc http://collector:4317`.
        destination: String,
        /// Spans that ended while telemetry was installed.
        ended: u64,
        /// Spans not delivered: `failed + dropped`.
        lost: u64,
        /// Spans in exports that failed (collector down, rejected, timed out).
        failed: u64,
        /// Spans never exported: dropped because the queue was full, or still queued or
        /// in flight when shutdown gave up.
        dropped: u64,
        /// `: <the last export error>`, or empty.
        last_error: String,
    },
}
