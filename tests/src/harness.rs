//! Test harness: one in-memory tracer provider per test binary, and helpers to find spans
//! and assert their attributes with their OpenTelemetry types.
//!
//! The in-memory exporter sits behind a batch processor (`with_span_exporter`), as an
//! application's exporter does, so these tests see what trace-genai's direct span path
//! produces; `tests/direct_path.rs` checks it against the SDK tracer's.

use std::future::Future;
use std::sync::{LazyLock, Mutex, MutexGuard, OnceLock};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLogRecord, SimpleLogProcessor};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use trace_genai::config::Config;
use trace_genai::{SamplerConfig, Telemetry};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static LOG_EXPORTER: LazyLock<InMemoryLogExporter> = LazyLock::new(InMemoryLogExporter::default);
static TELEMETRY: OnceLock<Telemetry> = OnceLock::new();
/// Tests of one binary share the global provider: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn install() -> MutexGuard<'static, ()> {
    let serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    TELEMETRY.get_or_init(|| {
        Telemetry::builder()
            .with_config(Config::default())
            .with_no_exporter()
            .with_sampler(SamplerConfig::AlwaysOn)
            .with_span_exporter(EXPORTER.clone())
            .with_log_processor(SimpleLogProcessor::new(LOG_EXPORTER.clone()))
            .install()
            .expect("install test telemetry")
    });
    EXPORTER.reset();
    LOG_EXPORTER.reset();
    serial
}

/// Runs `f` and returns what it returned with the spans and the log records (GenAI
/// events) emitted meanwhile.
pub fn capture_with_logs<R>(f: impl FnOnce() -> R) -> (R, Spans, Vec<SdkLogRecord>) {
    let _serial = install();
    let result = f();
    let logs = LOG_EXPORTER
        .get_emitted_logs()
        .expect("emitted logs")
        .into_iter()
        .map(|log| log.record)
        .collect();
    (result, finished(), logs)
}

/// Runs `f` and returns what it returned with every span that ended meanwhile.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Spans) {
    let _serial = install();
    let result = f();
    (result, finished())
}

/// Runs `future` on a multi-thread tokio runtime and returns its output and the spans.
pub fn capture_async<F: Future>(future: F) -> (F::Output, Spans) {
    capture(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(future)
    })
}

fn finished() -> Spans {
    if let Some(telemetry) = TELEMETRY.get() {
        telemetry.force_flush().expect("flush the batch processor");
    }
    Spans(EXPORTER.get_finished_spans().expect("finished spans"))
}

/// The spans one test produced, in the order they ended.
#[derive(Debug)]
pub struct Spans(pub Vec<SpanData>);

impl Spans {
    /// The one span with this name; fails if there are none or several.
    #[track_caller]
    pub fn one(&self, name: &str) -> &SpanData {
        let matches: Vec<&SpanData> = self.0.iter().filter(|s| s.name == name).collect();
        assert_eq!(
            matches.len(),
            1,
            "expected exactly one span named {name:?}, spans: {:?}",
            self.names()
        );
        matches[0]
    }

    /// Every span with this name.
    pub fn all(&self, name: &str) -> Vec<&SpanData> {
        self.0.iter().filter(|s| s.name == name).collect()
    }

    /// The names, in the order the spans ended.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|s| s.name.as_ref()).collect()
    }

    /// How many spans ended.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no span ended.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The value of attribute `key`, if recorded.
pub fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == Key::new(key.to_owned()))
        .map(|kv| &kv.value)
}

/// Asserts that attribute `key` has exactly `expected` (value and type).
#[track_caller]
pub fn assert_attr(span: &SpanData, key: &str, expected: impl Into<Value>) {
    let expected = expected.into();
    assert_eq!(
        attr(span, key),
        Some(&expected),
        "attribute {key} of span {:?}; attributes: {:?}",
        span.name,
        span.attributes
    );
}

/// Asserts that attribute `key` is not recorded.
#[track_caller]
pub fn assert_no_attr(span: &SpanData, key: &str) {
    assert_eq!(
        attr(span, key),
        None,
        "span {:?} should not have {key}",
        span.name
    );
}

/// Asserts that the attribute keys are exactly `keys`, in this order.
#[track_caller]
pub fn assert_keys(span: &SpanData, keys: &[&str]) {
    let actual: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(actual, keys, "attribute keys of span {:?}", span.name);
}

#[track_caller]
#[allow(clippy::needless_pass_by_value, reason = "reads better at call sites")]
pub fn assert_kind(span: &SpanData, kind: SpanKind) {
    assert_eq!(span.span_kind, kind, "kind of span {:?}", span.name);
}

#[track_caller]
pub fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.span_context.trace_id(),
        parent.span_context.trace_id(),
        "{:?} and {:?} should share a trace",
        child.name,
        parent.name
    );
    assert_eq!(
        child.parent_span_id,
        parent.span_context.span_id(),
        "{:?} should be a child of {:?}",
        child.name,
        parent.name
    );
}

#[track_caller]
pub fn assert_root(span: &SpanData) {
    assert_eq!(
        span.parent_span_id,
        SpanId::INVALID,
        "{:?} should be a root",
        span.name
    );
}

#[track_caller]
pub fn assert_ok(span: &SpanData) {
    assert_eq!(span.status, Status::Unset, "status of {:?}", span.name);
    assert_no_attr(span, "error.type");
}

#[track_caller]
pub fn assert_error(span: &SpanData, error_type: &str) {
    assert!(
        matches!(span.status, Status::Error { .. }),
        "span {:?} should have status Error, has {:?}",
        span.name,
        span.status
    );
    assert_attr(span, "error.type", error_type.to_owned());
}

/// The trace and parent span of [`under_remote_parent`].
pub const REMOTE_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
pub const REMOTE_SPAN_ID: &str = "b7ad6b7169203331";

/// Runs `f` in the context an incoming request carries: a W3C `traceparent` with these
/// trace flags (`"01"` sampled, `"00"` not) and, if given, a `tracestate`, extracted with
/// the installed propagator.
pub fn under_remote_parent<R>(flags: &str, tracestate: Option<&str>, f: impl FnOnce() -> R) -> R {
    use opentelemetry::trace::TraceContextExt as _;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "traceparent",
        format!("00-{REMOTE_TRACE_ID}-{REMOTE_SPAN_ID}-{flags}")
            .parse()
            .expect("a valid header"),
    );
    if let Some(tracestate) = tracestate {
        headers.insert("tracestate", tracestate.parse().expect("a valid header"));
    }
    let cx = trace_genai::propagation::extract(&headers);
    assert!(cx.span().span_context().is_valid());
    let _attached = cx.attach();
    f()
}

/// A configuration read from `vars` only (never from the process environment), as
/// `Config::from_lookup` does.
///
/// # Errors
///
/// The configuration error `vars` cause.
pub fn config(
    vars: &[(&str, &str)],
) -> Result<trace_genai::config::Config, trace_genai::InitError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    trace_genai::config::Config::from_lookup(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

/// An `http://` endpoint on a loopback port with nothing listening.
#[must_use]
pub fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Held by a test that installs telemetry (a process-wide state): such tests of one test
/// binary run one at a time.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A builder configured from `vars` only (see [`config`]).
///
/// # Panics
///
/// When `vars` are not a valid configuration.
pub fn builder(vars: &[(&str, &str)]) -> trace_genai::TelemetryBuilder {
    trace_genai::Telemetry::builder().with_config(config(vars).unwrap())
}

/// A collector that accepts connections, reads what comes, and never answers: its
/// `http://127.0.0.1:<port>` endpoint.
pub fn hanging_endpoint() -> String {
    use std::io::Read as _;
    serve_each(|mut stream| {
        let mut buffer = [0; 4096];
        while stream.read(&mut buffer).is_ok_and(|read| read > 0) {}
    })
}

/// An HTTP server that answers every request with `status` (`403 Forbidden`) and `body`
/// (XML, as Azure Storage answers): its `http://127.0.0.1:<port>` endpoint.
pub fn refusing_endpoint(status: &'static str, body: &'static str) -> String {
    use std::io::{Read as _, Write as _};
    serve_each(move |mut stream| {
        let mut buffer = [0; 16_384];
        let mut request = Vec::new();
        while let Ok(read) = stream.read(&mut buffer) {
            if read == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..read]);
            let text = String::from_utf8_lossy(&request);
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if request.len() < end + 4 + length {
                continue;
            }
            request.clear();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    })
}

/// A loopback listener whose every connection `handle` serves on a thread of its own:
/// its `http://127.0.0.1:<port>` endpoint.
fn serve_each(handle: impl Fn(std::net::TcpStream) + Copy + Send + 'static) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle(stream));
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The single report of `signal` in a shutdown or flush error (spans and log records:
/// `Undelivered`; metrics: `ExportsFailed`).
///
/// # Panics
///
/// When `error` holds no report of `signal`.
pub fn report_of(
    error: &trace_genai::ShutdownError,
    signal: trace_genai::Signal,
) -> &trace_genai::ShutdownError {
    use trace_genai::ShutdownError;
    error
        .errors()
        .iter()
        .find(|e| match e {
            ShutdownError::Undelivered { signal: s, .. }
            | ShutdownError::ExportsFailed { signal: s, .. } => *s == signal,
            _ => false,
        })
        .unwrap_or_else(|| panic!("no {signal:?} report in: {error}"))
}
