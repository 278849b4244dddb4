//! Every process-wide static of trace-genai, and the state types they hold: each one is
//! here because some call must see it without being handed it (an instrumented function
//! has no handle on its telemetry), and each says what it holds and why it is global.
//!
//! Nothing here decides anything: the modules that read and write these statics hold the
//! logic. This module uses no other module's code (only the types its statics hold), so every
//! module may use it.

use std::collections::HashMap;
#[cfg(feature = "console")]
use std::collections::{HashSet, VecDeque};
use std::sync::LazyLock;
use std::sync::Mutex;
#[cfg(feature = "testing")]
use std::sync::Weak;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize};
use std::sync::{Arc, PoisonError, RwLock};

use opentelemetry::trace::SpanId;
#[cfg(any(feature = "console", feature = "testing"))]
use opentelemetry::trace::TraceId;
#[cfg(feature = "testing")]
use opentelemetry_sdk::logs::SdkLogRecord;
#[cfg(feature = "testing")]
use opentelemetry_sdk::trace::SpanData;

use opentelemetry::metrics::Histogram;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SpanLimits, SpanProcessor};

pub(crate) mod response_index;

pub(crate) use response_index::ResponseIndex;

// ---- the install slot and the fast-path flags ---------------------------------------------
//
// Global because an instrumented function finds its telemetry through nothing else: the
// macro's expansion has no handle to pass, and a call with telemetry off must cost one
// relaxed load.

// Odd states create spans.
pub(crate) const STATE_NOT_INSTALLED: u8 = 0;
pub(crate) const STATE_ACTIVE: u8 = 1;
pub(crate) const STATE_DISABLED: u8 = 2;
pub(crate) const STATE_GLOBAL: u8 = 3;

/// Whether instrumented functions create spans at all: only once telemetry is installed
/// (and not disabled by `OTEL_SDK_DISABLED=true`), or the application chose the global
/// provider with [`use_global_tracer_provider`](crate::use_global_tracer_provider).
pub(crate) static STATE: AtomicU8 = AtomicU8::new(STATE_NOT_INSTALLED);

/// What the live install put in place: the tracer (and, when every span processor is
/// trace-genai's own, the direct recorder), so that no span looks the global provider
/// up, and the logger provider (the OpenTelemetry API has no global one). Replaced by a
/// later install; cleared only by the guard of the install that set it.
pub(crate) static INSTALLED: RwLock<Option<Installed>> = RwLock::new(None);

/// Numbers installs: a guard resets the process-wide state only while its own install is
/// the live one.
pub(crate) static GENERATION: AtomicU64 = AtomicU64::new(0);

/// What the live install put in place, behind [`INSTALLED`].
#[derive(Debug)]
pub(crate) struct Installed {
    pub(crate) generation: u64,
    /// `None` when telemetry is disabled (`OTEL_SDK_DISABLED=true`).
    pub(crate) tracer: Option<SdkTracer>,
    pub(crate) recorder: Option<Arc<Recorder>>,
    pub(crate) logger_provider: Option<SdkLoggerProvider>,
    /// The upload hook, when content goes to a store instead of the trace.
    pub(crate) upload: Option<Arc<Upload>>,
}

/// Whether the live install uploads content (the install slot holds the [`Upload`]): the
/// content boundary asks this first, with one load, wherever it judges content.
pub(crate) static UPLOADING: AtomicBool = AtomicBool::new(false);

/// The upload hook of an install: where content goes instead of the trace, and the queue
/// that takes it there. Its behaviour is in `genai::upload`; the store, in
/// `export::upload`.
#[derive(Debug)]
pub(crate) struct Upload {
    /// The base path as references name it, without a trailing `/`.
    pub(crate) base: String,
    /// The objects' extension (`json`, `jsonl`).
    pub(crate) extension: &'static str,
    /// The queue in front of the store.
    pub(crate) sink: Arc<dyn UploadSink>,
}

/// What takes an object to the store: queued, never waited for.
pub(crate) trait UploadSink: Send + Sync + std::fmt::Debug {
    /// Queues `content` under `name` (relative to the base path), or drops and counts it
    /// when the queue's budget is spent. It is redacted and encoded off the calling
    /// thread, before it is written.
    fn submit(&self, name: String, content: UploadContent);
}

/// Content on its way to the store, as the span had it.
#[derive(Debug)]
#[cfg_attr(
    not(feature = "upload"),
    allow(
        dead_code,
        reason = "read by the store's queue, which needs the feature"
    )
)]
pub(crate) enum UploadContent {
    /// Structured content (trace-genai's own capture).
    Json(serde_json::Value),
    /// An attribute's value: JSON text, or plain text.
    Text(String),
}

/// When a span would be dropped by the sampler anyway (and no metrics need the call),
/// nothing is built: `SKIP_NEVER`, `SKIP_ALWAYS` (`always_off`), `SKIP_UNSAMPLED_PARENT`
/// (parent-based: a child of an unsampled span), `SKIP_UNLESS_SAMPLED_PARENT`
/// (`parentbased_always_off`: only children of sampled spans are recorded).
pub(crate) static SKIP: AtomicU8 = AtomicU8::new(SKIP_NEVER);
pub(crate) const SKIP_NEVER: u8 = 0;
pub(crate) const SKIP_ALWAYS: u8 = 1;
pub(crate) const SKIP_UNSAMPLED_PARENT: u8 = 2;
pub(crate) const SKIP_UNLESS_SAMPLED_PARENT: u8 = 3;

/// The sampling decisions the recorder makes itself, without a call into the sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decide {
    AlwaysOn,
    ParentBasedAlwaysOn,
    /// Any other sampler: ask it.
    Sampler,
}

/// Records `#[trace_genai]` spans straight into the installed span processors: the data
/// the install slot holds; what it does is in `record::recorder`.
#[derive(Debug)]
pub(crate) struct Recorder {
    pub(crate) processors: Box<[Arc<dyn SpanProcessor>]>,
    pub(crate) decide: Decide,
    pub(crate) sampler: Sampler,
    pub(crate) limits: SpanLimits,
    pub(crate) shut_down: Arc<AtomicBool>,
}

/// The logger provider installed by
/// [`TelemetryBuilder::install`](crate::TelemetryBuilder::install), if any.
#[must_use]
pub fn logger_provider() -> Option<SdkLoggerProvider> {
    INSTALLED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|installed| installed.logger_provider.clone())
}

/// How many hand-overs wait in some thread's `HANDED` (`record::recorder`): a guard looks
/// there only when this is not zero (nearly every span has no write through the API).
/// Global because the writes come through the OpenTelemetry API, on any thread.
pub(crate) static HANDED_COUNT: AtomicUsize = AtomicUsize::new(0);

// ---- policies that apply to every call ---------------------------------------------------
//
// Global because they are changed at run time (`set_content_capture`) or at install, and
// read by every call and by the message types' conversions, which have no handle either.

/// The content capture policy in force (`ContentCapture` as a byte; `NoContent` before
/// any install).
pub(crate) static CAPTURE: AtomicU8 = AtomicU8::new(0);

/// The default budget of one content attribute, in characters of its JSON text: the
/// property limit of Application Insights.
pub const DEFAULT_CONTENT_MAX_LENGTH: usize = 8192;

/// The budget of one content attribute, in characters.
pub(crate) static MAX_LENGTH: AtomicUsize = AtomicUsize::new(DEFAULT_CONTENT_MAX_LENGTH);

/// The redaction of recorded content compiled at install (`genai::redact`): global for the
/// same reason as the content policy, which the functions' spans read with no handle on
/// their telemetry. `REDACTING` says whether there is one, so content kept costs one load
/// more when nothing is redacted.
pub(crate) static REDACTION: RwLock<Option<Arc<crate::genai::redact::Settings>>> =
    RwLock::new(None);
/// Whether [`REDACTION`] holds a redaction.
pub(crate) static REDACTING: AtomicBool = AtomicBool::new(false);

/// Whether `OTEL_SEMCONV_STABILITY_OPT_IN` asked for `gen_ai_latest_experimental`, which
/// changes key and metric names for every call.
pub(crate) static LATEST_EXPERIMENTAL: AtomicBool = AtomicBool::new(false);

/// What a span's start must do besides the usual, as bits: [`START_LATEST`] (rename
/// attributes for `gen_ai_latest_experimental`), [`START_IN_AGENT`] (an agent or workflow
/// span is open: note the span for its rollup). Zero, the usual case, costs one load.
pub(crate) static START_EXTRA: AtomicU8 = AtomicU8::new(0);
/// [`START_EXTRA`] bit: `gen_ai_latest_experimental` names.
pub(crate) const START_LATEST: u8 = 1;
/// [`START_EXTRA`] bit: an agent or workflow span is open.
pub(crate) const START_IN_AGENT: u8 = 2;

/// How many agent or workflow spans are open (`genai::rollup`). Global because an instrumented call has no handle
/// on the agent around it but its parent's span id.
pub(crate) static OPEN_ROLLUPS: AtomicUsize = AtomicUsize::new(0);
/// The spans open inside agent or workflow spans, by span id, with the rollup their model
/// calls add to (`genai::rollup`). Global because the spans that nest inside an agent
/// come from anywhere: trace-genai's own, a framework's through the `tracing` bridge,
/// another crate's through the OpenTelemetry API, each knowing only its parent's id.
pub(crate) static ROLLUPS: LazyLock<Mutex<HashMap<SpanId, Arc<crate::genai::rollup::Rollup>>>> =
    LazyLock::new(Mutex::default);

/// Set once a `tracing` bridge layer was built
/// ([`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer)): from then on, a
/// `#[trace_genai]` span looks for the bridge in the current `tracing` dispatcher, to make
/// a `tracing` span stand for it there. Global because the instrumented function cannot be
/// handed the layer; while it is unset (no bridge, or the `tracing` feature off), the check
/// costs this one load.
#[cfg(feature = "tracing")]
pub(crate) static TRACING_BRIDGE: AtomicBool = AtomicBool::new(false);

// ---- metrics -------------------------------------------------------------------------------
//
// Global for the same reason as the install slot: a call records its duration and token
// usage when it ends, with nothing but the instruments of the live install.

/// The GenAI client instruments (`genai::metrics`).
#[derive(Debug, Clone)]
pub(crate) struct Instruments {
    /// `gen_ai.client.operation.duration`.
    pub(crate) duration: Histogram<f64>,
    /// Model calls, agents, tools, workflows: the same instrument as `duration` unless the
    /// genai-main names are on.
    pub(crate) inference: Histogram<f64>,
    pub(crate) agent: Histogram<f64>,
    pub(crate) tool: Histogram<f64>,
    pub(crate) workflow: Histogram<f64>,
    pub(crate) embeddings: Histogram<f64>,
    /// `gen_ai.client.token.usage` (v1.41 names), or `None`.
    pub(crate) tokens: Option<Histogram<u64>>,
    /// The genai-main token instruments, or `None` (v1.41 names).
    pub(crate) latest_tokens: Option<LatestTokens>,
    pub(crate) time_to_first_chunk: Histogram<f64>,
    pub(crate) time_per_output_chunk: Histogram<f64>,
}

/// The token instruments of the genai-main conventions.
#[derive(Debug, Clone)]
pub(crate) struct LatestTokens {
    /// `gen_ai.client.inference.usage.*` counters: input, output, cache read, cache
    /// write, reasoning.
    pub(crate) usage: [opentelemetry::metrics::Counter<u64>; 5],
    /// `gen_ai.client.inference.operation.{input,output}_tokens`.
    pub(crate) operation_input: Histogram<u64>,
    pub(crate) operation_output: Histogram<u64>,
    /// `gen_ai.client.embeddings.operation.input_tokens`.
    pub(crate) embeddings_input: Histogram<u64>,
}

/// The instruments of the live install (`None` before and after).
pub(crate) static INSTRUMENTS: RwLock<Option<Arc<Instruments>>> = RwLock::new(None);
/// Whether `INSTRUMENTS` is set: calls check this before taking the lock.
pub(crate) static METRICS_INSTALLED: AtomicBool = AtomicBool::new(false);

// ---- the response index ----------------------------------------------------------------------
//
// Global because feedback arrives later, often in another request handler, with nothing
// but the response id: the span that produced it must be found from anywhere.

/// Responses the index remembers; the oldest is forgotten first.
pub const RESPONSE_INDEX_CAPACITY: usize = 8192;
/// Longer response ids are not indexed (their events are emitted without a parent).
pub const MAX_RESPONSE_ID_LEN: usize = 128;

/// Which span produced which response (remembered when a recorded span ends).
pub(crate) static INDEX: Mutex<ResponseIndex> = Mutex::new(ResponseIndex {
    entries: Vec::new(),
    len: 0,
    next: 0,
});

// ---- the console bridge -------------------------------------------------------------------
//
// Global because the console's span exporter and log exporter are installed separately
// and must agree on which span lines are printed (`console::bridge`).

/// Log records waiting for their span's tree line, and the traces already printed.
#[cfg(feature = "console")]
#[derive(Default)]
pub(crate) struct Bridge {
    /// Console tree exporters installed (records wait only when there is one).
    pub(crate) trees: usize,
    pub(crate) waiting: Vec<(TraceId, SpanId, String)>,
    pub(crate) printed: HashSet<TraceId>,
    pub(crate) printed_order: VecDeque<TraceId>,
    pub(crate) names: HashMap<SpanId, String>,
    pub(crate) name_order: VecDeque<SpanId>,
}

#[cfg(feature = "console")]
pub(crate) static BRIDGE: LazyLock<Mutex<Bridge>> = LazyLock::new(Mutex::default);

// ---- identity and tests -----------------------------------------------------------------------

/// This process's instance id (`service.instance.id`): a random UUID v4, generated once,
/// so every install of the process (and every signal) reports the same one.
pub(crate) static INSTANCE_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// What one `testing::capture` collected.
#[cfg(feature = "testing")]
#[derive(Debug, Default)]
pub(crate) struct CaptureStore {
    pub(crate) traces: Mutex<Vec<TraceId>>,
    pub(crate) spans: Mutex<Vec<SpanData>>,
    pub(crate) events: Mutex<Vec<SdkLogRecord>>,
}

/// Which capture each trace belongs to: a span reaches its capture through the
/// processors of the one shared test pipeline.
#[cfg(feature = "testing")]
pub(crate) static ROUTES: LazyLock<Mutex<HashMap<TraceId, Weak<CaptureStore>>>> =
    LazyLock::new(Mutex::default);

/// The one pipeline every `testing::capture` shares (a `Telemetry`, `None` when the
/// environment is invalid), installed by the first capture and kept for the process:
/// tests run in parallel on threads of one process.
#[cfg(feature = "testing")]
pub(crate) static TEST_PIPELINE: std::sync::OnceLock<Option<Box<dyn std::any::Any + Send + Sync>>> =
    std::sync::OnceLock::new();
