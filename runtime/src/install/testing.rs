//! The telemetry of one test, exactly, even while `cargo test` runs tests in parallel.
//!
//! An application's tests usually want to assert the spans their own code produced. With
//! one global pipeline and tests on parallel threads, an exporter shared by the tests sees
//! everyone's spans. [`capture`] gives each test its own view instead:
//!
//! ```
//! use trace_genai::trace_genai;
//!
//! #[trace_genai(execute_tool, tool = "get_weather")]
//! fn get_weather(city: &str) -> String {
//!     format!("sunny in {city}")
//! }
//!
//! // #[test]
//! fn get_weather_is_traced() {
//!     let capture = trace_genai::testing::capture();
//!     get_weather("Paris");
//!     let spans = capture.spans();
//!     assert_eq!(spans.len(), 1);
//!     assert_eq!(spans[0].name, "execute_tool get_weather");
//! }
//! # get_weather_is_traced();
//! ```
//!
//! The first capture in a test binary installs one shared pipeline (sampler `always_on`,
//! the rest of the configuration from the environment, no exporter of its own). A capture
//! makes a context current on the test's thread; every trace that a `#[trace_genai]`
//! function starts under it belongs to that capture: its spans, spans made inside it with
//! the OpenTelemetry API or `tracing`, and its GenAI events (log records). Spans of other
//! tests, running at the same time, never appear.
//!
//! Async tests: a `#[tokio::test]` (current-thread) runs on the test's thread and needs
//! nothing more. Work spawned onto other threads keeps the capture when it carries the
//! context: [`context::spawn`](crate::context::spawn), or
//! `future.with_context(capture.context())`.
//!
//! A test binary that uses captures should not also install telemetry itself
//! ([`init`](crate::init), [`TelemetryBuilder::install`](crate::TelemetryBuilder::install)):
//! a later install replaces the shared pipeline.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::trace::{TraceContextExt as _, TraceId};
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogProcessor, SdkLogRecord};
use opentelemetry_sdk::trace::{SpanData, SpanProcessor};

use crate::Telemetry;
use crate::global::{CaptureStore, ROUTES, TEST_PIPELINE};

/// Starts capturing this test's telemetry (see the [module documentation](self)). The
/// capture ends when the returned value is dropped.
///
/// If the shared pipeline cannot be installed (an invalid environment), the capture
/// stays empty and [`Capture::is_installed`] is false.
#[must_use = "the capture ends when this is dropped"]
pub fn capture() -> Capture {
    let installed = pipeline().is_some();
    let scope = Arc::new(CaptureStore::default());
    let context = Context::current().with_value(CaptureScope(Arc::clone(&scope)));
    let attached = context.clone().attach();
    Capture {
        scope,
        context,
        installed,
        _attached: attached,
    }
}

/// One test's telemetry, from [`capture`].
#[derive(Debug)]
pub struct Capture {
    scope: Arc<CaptureStore>,
    context: Context,
    installed: bool,
    _attached: opentelemetry::ContextGuard,
}

impl Capture {
    /// The spans of this capture's traces that ended so far, in the order they ended.
    #[must_use]
    pub fn spans(&self) -> Vec<SpanData> {
        lock(&self.scope.spans).clone()
    }

    /// The log records (GenAI events: content, feedback, evaluations) of this capture's
    /// traces, in the order they were emitted.
    #[must_use]
    pub fn events(&self) -> Vec<SdkLogRecord> {
        lock(&self.scope.events).clone()
    }

    /// The context of this capture, for work that runs on other threads.
    #[must_use]
    pub fn context(&self) -> Context {
        self.context.clone()
    }

    /// Whether the shared pipeline is installed (false only when the environment's
    /// configuration is invalid).
    #[must_use]
    pub fn is_installed(&self) -> bool {
        self.installed
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let traces = std::mem::take(&mut *lock(&self.scope.traces));
        let mut routes = lock(&ROUTES);
        for trace in traces {
            routes.remove(&trace);
        }
    }
}

/// The context value that marks a capture.
#[derive(Debug, Clone)]
struct CaptureScope(Arc<CaptureStore>);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The capture `trace` belongs to, if it is still running.
fn route(trace: &TraceId) -> Option<Arc<CaptureStore>> {
    lock(&ROUTES).get(trace)?.upgrade()
}

/// A `#[trace_genai]` span started as a child of `parent` in `cx`: a new trace started
/// under a capture belongs to it.
pub(crate) fn span_started(parent: &Context, cx: &Context) {
    if parent.span().span_context().is_valid() {
        // A trace that exists already: routed, or not, since its root.
        return;
    }
    let Some(CaptureScope(scope)) = parent.get::<CaptureScope>() else {
        return;
    };
    let trace = cx.span().span_context().trace_id();
    lock(&scope.traces).push(trace);
    lock(&ROUTES).insert(trace, Arc::downgrade(scope));
}

/// The shared pipeline, installed by the first capture.
fn pipeline() -> Option<&'static Telemetry> {
    TEST_PIPELINE
        .get_or_init(|| {
            crate::Telemetry::builder()
                .with_no_exporter()
                .with_sampler(crate::SamplerConfig::AlwaysOn)
                .with_own_span_processor(Router)
                .with_log_processor(Router)
                .install()
                .ok()
                .map(|telemetry| Box::new(telemetry) as Box<dyn std::any::Any + Send + Sync>)
        })
        .as_ref()?
        .downcast_ref()
}

/// Hands each finished span and log record to the capture its trace belongs to.
#[derive(Debug)]
struct Router;

impl SpanProcessor for Router {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        let scope = route(&span.span_context.trace_id());
        if let Some(scope) = scope {
            lock(&scope.spans).push(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

impl LogProcessor for Router {
    fn emit(&self, record: &mut SdkLogRecord, _scope: &InstrumentationScope) {
        let Some(trace) = record.trace_context().map(|cx| cx.trace_id) else {
            return;
        };
        let scope = route(&trace);
        if let Some(scope) = scope {
            lock(&scope.events).push(record.clone());
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
