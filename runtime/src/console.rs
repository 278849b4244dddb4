//! Console span exporter: finished spans printed for people.
//!
//! [`ConsoleFormat::Tree`] prints one indented tree per trace once its root
//! span has ended:
//!
//! ```text
//! trace 4bf92f3577b34da6a3ce929d0e0e4736 (service: agent-demo)
//! └─ invoke_agent planner  internal  12.31 ms  ok
//!    gen_ai.operation.name=invoke_agent  gen_ai.agent.name=planner
//!    ├─ chat gpt-4o  client  3.10 ms  ok
//!    │  gen_ai.operation.name=chat  gen_ai.request.model=gpt-4o
//!    └─ chat gpt-4o  client  2.90 ms  ERROR error.type=my_app::ApiError "rate limited"
//!       gen_ai.operation.name=chat  gen_ai.request.model=gpt-4o
//! ```
//!
//! Each span shows its name, kind, duration and status, then at most four
//! lines of attributes (`gen_ai.*` first, then `server.*`, then the rest),
//! one line per message content attribute (recorded only when content capture
//! is on: prompts, completions, tool arguments and results, cut to two line
//! widths) and one line per span event. Spans whose root never ends are printed on
//! `force_flush`, on `shutdown`, or when more than 4096 spans are waiting.
//!
//! [`ConsoleFormat::JsonLines`] prints one JSON object per span and line, as
//! soon as the span is exported.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{Event, SpanId, SpanKind, Status, TraceId};
use opentelemetry::{Array, Key, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use serde_json::{Map, Value as Json, json};

use crate::semconv::{ERROR_TYPE, GEN_AI_OPERATION_NAME as OPERATION_NAME};

/// Output format of the console exporter; lives in [`crate::config`] so
/// configuration works without the `console` feature.
pub use crate::config::ConsoleFormat;
mod bridge;
mod logs;
mod metrics;
mod shared;

pub use logs::ConsoleLogExporter;
pub use metrics::ConsoleMetricExporter;

/// Spans waiting for their root before the oldest traces are printed anyway.
const MAX_BUFFERED_SPANS: usize = 4096;
/// Target width of an attribute line, tree prefix included.
const LINE_WIDTH: usize = 100;
/// Attribute lines never get narrower than this, however deep the tree.
const MIN_TEXT_WIDTH: usize = 40;
/// Attribute lines per span; the last one ends with `… +N more` on overflow.
/// Four fit a model call's request parameters, response and token usage.
const MAX_ATTRIBUTE_LINES: usize = 4;
/// String attribute values longer than this are cut with `…`.
const MAX_VALUE_CHARS: usize = 60;
/// Error descriptions longer than this are cut with `…`.
const MAX_DESCRIPTION_CHARS: usize = 120;
/// Separator between `key=value` pairs.
const PAIR_SEPARATOR: &str = "  ";
/// Message content, shown on lines of its own rather than among the other
/// attributes: it exists only because content capture was switched on.
const CONTENT_KEYS: [&str; 8] = [
    crate::semconv::GEN_AI_SYSTEM_INSTRUCTIONS,
    crate::semconv::GEN_AI_INPUT_MESSAGES,
    crate::semconv::GEN_AI_TOOL_DEFINITIONS,
    crate::semconv::GEN_AI_TOOL_CALL_ARGUMENTS,
    crate::semconv::GEN_AI_RETRIEVAL_QUERY_TEXT,
    crate::semconv::GEN_AI_OUTPUT_MESSAGES,
    crate::semconv::GEN_AI_TOOL_CALL_RESULT,
    crate::semconv::GEN_AI_RETRIEVAL_DOCUMENTS,
];

/// A span exporter printing finished spans for people, on stdout or any
/// [`Write`] sink.
///
/// Write errors are ignored: telemetry output never fails the application.
pub struct ConsoleExporter {
    format: ConsoleFormat,
    service: Option<String>,
    state: Mutex<State>,
    /// Prints the console log exporter's waiting records under their spans.
    bridged: bool,
}

struct State {
    writer: Box<dyn Write + Send>,
    pending: PendingTraces,
    is_shutdown: bool,
    /// The spans child processes write for this tree ([`child_env`]).
    children: Option<shared::Input>,
    /// The children's other lines (their metrics), printed with the last trees.
    children_lines: String,
}

/// The environment a child process needs for its console telemetry to join this
/// process's console tree: its spans nest under the spans of this process that called
/// it (an MCP tool server started by an agent). Set it on the child's `Command`:
///
/// ```
/// let mut command = std::process::Command::new("weather-mcp");
/// command.envs(trace_genai::console::child_env());
/// ```
///
/// The child writes its spans as JSON lines to a file of this process
/// (`TRACE_GENAI_CONSOLE_FORMAT=json`, `TRACE_GENAI_CONSOLE_OUTPUT=<file>`), which the
/// console reads before it prints, and removes at shutdown; the child's metric lines are
/// printed after the trees. Empty (the child follows the environment it inherits) unless
/// this process prints a console tree: with OTLP or Azure Monitor configured, the child
/// sends its spans there itself.
#[must_use]
pub fn child_env() -> Vec<(&'static str, String)> {
    shared::path().map_or_else(Vec::new, |path| {
        vec![
            ("TRACE_GENAI_CONSOLE_FORMAT", "json".to_owned()),
            ("TRACE_GENAI_CONSOLE_OUTPUT", path.display().to_string()),
        ]
    })
}

/// Whether stdout carries a protocol of its own ([`reserve_stdout`]).
static STDOUT_RESERVED: AtomicBool = AtomicBool::new(false);
/// What stdout carries, for the warning.
static STDOUT_CHANNEL: Mutex<&'static str> = Mutex::new("");
/// Whether the warning was printed.
static STDOUT_WARNED: AtomicBool = AtomicBool::new(false);

/// Reserves this process's stdout for a protocol (`channel`, e.g. "the MCP messages of
/// this stdio server"): from now on the console exporters write to stderr instead,
/// whatever `TRACE_GENAI_CONSOLE_OUTPUT` says, and the first write redirected prints one
/// warning that says so on stderr. A console writing to stderr or to a file is
/// unaffected. [`mcp::serve_stdio`](crate::mcp) calls it; call it yourself for another
/// server whose stdout is a protocol channel (a language server, a stdio plugin).
///
/// ```
/// trace_genai::console::reserve_stdout("the language server protocol");
/// ```
pub fn reserve_stdout(channel: &'static str) {
    *STDOUT_CHANNEL
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = channel;
    STDOUT_RESERVED.store(true, Ordering::Release);
}

/// Whether [`reserve_stdout`] was called.
#[must_use]
pub fn stdout_reserved() -> bool {
    STDOUT_RESERVED.load(Ordering::Acquire)
}

/// The console's stdout: stdout, or stderr once [`reserve_stdout`] was called.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stdout;

impl Stdout {
    /// Runs `write` on stdout, or on stderr (with the warning, once) while stdout is
    /// reserved.
    fn with_stream<R>(write: impl FnOnce(&mut dyn Write) -> R) -> R {
        if !stdout_reserved() {
            return write(&mut io::stdout());
        }
        if !STDOUT_WARNED.swap(true, Ordering::AcqRel) {
            let channel = *STDOUT_CHANNEL
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // A failed write to stderr has nowhere else to go.
            let _ = writeln!(
                io::stderr(),
                "trace-genai: stdout carries {channel}; the console telemetry goes to \
                 stderr instead (set TRACE_GENAI_CONSOLE_OUTPUT to a file to keep it apart)"
            );
        }
        write(&mut io::stderr())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::with_stream(|stream| stream.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // One `write_all` holds the stream's lock for the whole batch, so it is never
        // interleaved with the application's own output.
        Self::with_stream(|stream| stream.write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::with_stream(|stream| stream.flush())
    }
}

impl ConsoleExporter {
    /// Creates an exporter writing to stdout.
    #[must_use]
    pub fn new(format: ConsoleFormat) -> Self {
        // `Stdout::write_all` holds the stdout lock for the whole call, so a
        // batch is never interleaved with the application's own output.
        Self::with_writer(format, Stdout)
    }

    /// Creates an exporter writing to `writer`, e.g. a file or a test buffer.
    #[must_use]
    pub fn with_writer<W: Write + Send + 'static>(format: ConsoleFormat, writer: W) -> Self {
        Self {
            format,
            service: None,
            bridged: false,
            state: Mutex::new(State {
                writer: Box::new(writer),
                pending: PendingTraces::default(),
                is_shutdown: false,
                children: None,
                children_lines: String::new(),
            }),
        }
    }

    /// Prints the GenAI events of the console log exporter under their spans (the
    /// console destination installs both this way).
    pub(crate) fn bridged(mut self) -> Self {
        if self.format == ConsoleFormat::Tree {
            self.bridged = true;
            bridge::tree_installed(true);
        }
        self
    }

    /// Reads the spans of child processes into this tree ([`child_env`]): the console
    /// destination's tree does.
    pub(crate) fn with_children(self) -> Self {
        if self.format == ConsoleFormat::Tree {
            self.lock().children = Some(shared::Input::create());
        }
        self
    }

    /// Renders what can be of `spans` (and of the children's spans written since the
    /// last time) into `out`.
    fn add(&self, state: &mut State, out: &mut String, spans: Vec<SpanData>) {
        let children = match state.children.as_mut() {
            Some(children) => {
                let (spans, lines) = children.read();
                state.children_lines.push_str(&lines);
                spans
            }
            None => Vec::new(),
        };
        for span in children.into_iter().chain(spans) {
            if let Some(spans) = state.pending.add(span) {
                self.render(out, &spans);
            }
            while let Some(spans) = state.pending.evict_over(MAX_BUFFERED_SPANS) {
                self.render(out, &spans);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn render(&self, out: &mut String, spans: &[SpanData]) {
        let mut logs = if self.bridged {
            bridge::take_for(spans)
        } else {
            HashMap::new()
        };
        render_trace(out, self.service.as_deref(), spans, &mut logs);
    }

    fn export_now(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut state = self.lock();
        if state.is_shutdown {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let service = self.service.as_deref();
        let mut out = String::new();
        match self.format {
            ConsoleFormat::Tree => self.add(&mut state, &mut out, batch),
            ConsoleFormat::JsonLines => {
                for span in &batch {
                    out.push_str(&span_json(span, service));
                    out.push('\n');
                }
            }
        }
        state.write(&out);
        Ok(())
    }

    /// Prints every buffered span, as partial trees.
    fn flush_pending(&self) {
        let mut state = self.lock();
        let mut out = String::new();
        self.add(&mut state, &mut out, Vec::new());
        while let Some(spans) = state.pending.pop_oldest() {
            self.render(&mut out, &spans);
        }
        out.push_str(&std::mem::take(&mut state.children_lines));
        state.write(&out);
    }
}

impl State {
    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        // Telemetry must never hurt the application: write errors are dropped.
        let _ = self
            .writer
            .write_all(text.as_bytes())
            .and_then(|()| self.writer.flush());
    }
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleExporter")
            .field("format", &self.format)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for ConsoleExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.export_now(batch))
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.flush_pending();
        let mut state = self.lock();
        if self.bridged && !state.is_shutdown {
            bridge::tree_installed(false);
        }
        if let Some(children) = state.children.take() {
            children.close();
        }
        state.is_shutdown = true;
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush_pending();
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.service = resource
            .get(&Key::from_static_str("service.name"))
            .map(|name| name.to_string());
    }
}

/// Spans waiting for the root of their trace, oldest trace first.
#[derive(Default)]
struct PendingTraces {
    traces: HashMap<TraceId, PendingTrace>,
    /// Arrival order of the traces in `traces`, by sequence number.
    arrival: BTreeMap<u64, TraceId>,
    next_seq: u64,
    span_count: usize,
}

struct PendingTrace {
    seq: u64,
    spans: Vec<SpanData>,
}

impl PendingTraces {
    /// Buffers `span`; if it is a local root, returns it instead, together
    /// with its buffered descendants.
    fn add(&mut self, span: SpanData) -> Option<Vec<SpanData>> {
        if !is_local_root(&span) {
            self.buffer(span);
            return None;
        }
        let mut spans = self.take_descendants(&span);
        spans.push(span);
        Some(spans)
    }

    fn buffer(&mut self, span: SpanData) {
        let trace_id = span.span_context.trace_id();
        let trace = self.traces.entry(trace_id).or_insert_with(|| {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.arrival.insert(seq, trace_id);
            PendingTrace {
                seq,
                spans: Vec::new(),
            }
        });
        trace.spans.push(span);
        self.span_count += 1;
    }

    /// Removes and returns the buffered spans below `root`.
    fn take_descendants(&mut self, root: &SpanData) -> Vec<SpanData> {
        let trace_id = root.span_context.trace_id();
        let Some(trace) = self.traces.get_mut(&trace_id) else {
            return Vec::new();
        };
        let mut members = HashSet::from([root.span_context.span_id()]);
        let mut taken = Vec::new();
        loop {
            let (children, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut trace.spans)
                .into_iter()
                .partition(|span| members.contains(&span.parent_span_id));
            trace.spans = rest;
            if children.is_empty() {
                break;
            }
            members.extend(children.iter().map(|span| span.span_context.span_id()));
            taken.extend(children);
        }
        self.span_count -= taken.len();
        if trace.spans.is_empty() {
            let seq = trace.seq;
            self.traces.remove(&trace_id);
            self.arrival.remove(&seq);
        }
        taken
    }

    /// Removes and returns the spans of the oldest trace, if any.
    fn pop_oldest(&mut self) -> Option<Vec<SpanData>> {
        let (_, trace_id) = self.arrival.pop_first()?;
        let trace = self.traces.remove(&trace_id)?;
        self.span_count -= trace.spans.len();
        Some(trace.spans)
    }

    /// Like [`Self::pop_oldest`], but only while more than `limit` spans wait.
    fn evict_over(&mut self, limit: usize) -> Option<Vec<SpanData>> {
        if self.span_count > limit {
            self.pop_oldest()
        } else {
            None
        }
    }
}

/// Whether `span` is the top of the local part of its trace.
fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote
}

fn duration(span: &SpanData) -> Duration {
    span.end_time
        .duration_since(span.start_time)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Tree format
// ---------------------------------------------------------------------------

/// Children of each span, sorted by start time.
type ChildrenIndex<'a> = HashMap<SpanId, Vec<&'a SpanData>>;

/// Renders the spans of one trace; spans whose parent is not among them are
/// the tops of the tree.
fn render_trace(
    out: &mut String,
    service: Option<&str>,
    spans: &[SpanData],
    logs: &mut HashMap<SpanId, Vec<String>>,
) {
    let Some(first) = spans.first() else {
        return;
    };
    let ids: HashSet<SpanId> = spans
        .iter()
        .map(|span| span.span_context.span_id())
        .collect();
    let mut tops = Vec::new();
    let mut children = ChildrenIndex::new();
    for span in spans {
        if is_local_root(span) || !ids.contains(&span.parent_span_id) {
            tops.push(span);
        } else {
            children.entry(span.parent_span_id).or_default().push(span);
        }
    }
    tops.sort_by_key(|span| span.start_time);
    for siblings in children.values_mut() {
        siblings.sort_by_key(|span| span.start_time);
    }

    push_line(
        out,
        "",
        &trace_header(first.span_context.trace_id(), service),
    );
    render_tree(out, tops, children, logs);
    // Events of spans that are not in this tree.
    for line in logs.drain().flat_map(|(_, lines)| lines) {
        push_line(out, "   ", &truncate(&line, 2 * LINE_WIDTH));
    }
    out.push('\n');
}

/// `trace <id> (service: <name>)`.
fn trace_header(trace_id: TraceId, service: Option<&str>) -> String {
    match service {
        Some(service) => format!("trace {trace_id} (service: {service})"),
        None => format!("trace {trace_id}"),
    }
}

/// Prints `tops` and their descendants depth first. Iterative, so deep
/// traces cannot overflow the stack; each span's children are taken out of
/// `children` when printed, so even colliding span ids cannot loop.
fn render_tree(
    out: &mut String,
    tops: Vec<&SpanData>,
    mut children: ChildrenIndex<'_>,
    logs: &mut HashMap<SpanId, Vec<String>>,
) {
    // Siblings still to print, with the tree prefix they hang from.
    let mut stack = vec![(tops.into_iter(), String::new())];
    while let Some((siblings, prefix)) = stack.last_mut() {
        let Some(span) = siblings.next() else {
            stack.pop();
            continue;
        };
        let (branch, indent) = if siblings.as_slice().is_empty() {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        push_line(out, &format!("{prefix}{branch}"), &headline(span));

        let inner = format!("{prefix}{indent}");
        let width = text_width(&inner);
        for line in wrap_pairs(&attribute_pairs(span), width, MAX_ATTRIBUTE_LINES) {
            push_line(out, &inner, &line);
        }
        for line in content_lines(span) {
            push_line(out, &inner, &truncate(&line, 2 * width));
        }
        // References to content in the upload hook's store, whole: they are to be read.
        for kv in span.attributes.iter().filter(|kv| is_reference(kv)) {
            push_line(out, &inner, &format!("{}={}", kv.key, kv.value.as_str()));
        }
        for event in span.events.iter() {
            push_line(out, &inner, &event_line(event, width));
        }
        for line in logs
            .remove(&span.span_context.span_id())
            .unwrap_or_default()
        {
            push_line(out, &inner, &truncate(&line, 2 * width));
        }
        if let Some(grandchildren) = children.remove(&span.span_context.span_id()) {
            stack.push((grandchildren.into_iter(), inner));
        }
    }
}

fn push_line(out: &mut String, prefix: &str, text: &str) {
    out.push_str(prefix);
    out.push_str(text);
    out.push('\n');
}

/// Room left for text after a tree prefix.
fn text_width(prefix: &str) -> usize {
    LINE_WIDTH
        .saturating_sub(prefix.chars().count())
        .max(MIN_TEXT_WIDTH)
}

/// `name  kind  duration  status`.
fn headline(span: &SpanData) -> String {
    let mut parts = vec![
        span.name.to_string(),
        kind_name(&span.span_kind).to_owned(),
        format_duration(duration(span)),
    ];
    parts.extend(status_text(span));
    parts.join("  ")
}

/// `ok`, `ERROR error.type=… "description"`, or nothing when unset.
fn status_text(span: &SpanData) -> Option<String> {
    match &span.status {
        Status::Unset => None,
        Status::Ok => Some("ok".to_owned()),
        Status::Error { description } => {
            let mut parts = vec!["ERROR".to_owned()];
            parts.extend(
                span.attributes
                    .iter()
                    .find(|kv| kv.key.as_str() == ERROR_TYPE)
                    .map(format_pair),
            );
            if !description.is_empty() {
                parts.push(format!(
                    "{:?}",
                    truncate(description, MAX_DESCRIPTION_CHARS)
                ));
            }
            Some(parts.join(" "))
        }
    }
}

fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "client",
        SpanKind::Server => "server",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    }
}

/// `850 µs`, `12.31 ms`, `1.20 s`.
fn format_duration(duration: Duration) -> String {
    if duration < Duration::from_micros(1) {
        format!("{} ns", duration.as_nanos())
    } else if duration < Duration::from_millis(1) {
        format!("{} µs", duration.as_micros())
    } else if duration < Duration::from_secs(1) {
        format!("{:.2} ms", duration.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// The span's `key=value` pairs in display order. Left out because the headline already
/// shows them: `error.type` of a failed span, and for a GenAI span named
/// `"{operation} {subject}"`, `gen_ai.operation.name` and the string attribute holding the
/// subject (`gen_ai.request.model`, `gen_ai.tool.name`, …).
fn attribute_pairs(span: &SpanData) -> Vec<String> {
    let is_error = matches!(span.status, Status::Error { .. });
    let operation = span
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == OPERATION_NAME)
        .map(|kv| kv.value.as_str());
    let subject = operation.as_deref().and_then(|operation| {
        span.name
            .strip_prefix(operation)
            .and_then(|rest| rest.strip_prefix(' '))
    });
    let shown_in_name = |kv: &KeyValue| match (operation.as_deref(), kv.key.as_str()) {
        (Some(operation), OPERATION_NAME) => span.name.starts_with(operation),
        (Some(_), key) => {
            key.starts_with("gen_ai.")
                && matches!(&kv.value, Value::String(value) if Some(value.as_str()) == subject)
        }
        (None, _) => false,
    };
    let mut attributes: Vec<&KeyValue> = span
        .attributes
        .iter()
        .filter(|kv| {
            !(shown_in_name(kv)
                || is_error && kv.key.as_str() == ERROR_TYPE
                || CONTENT_KEYS.contains(&kv.key.as_str())
                || is_reference(kv))
        })
        .collect();
    attributes.sort_by_key(|kv| key_rank(kv.key.as_str()));
    attributes.into_iter().map(format_pair).collect()
}

/// A reference to content in the upload hook's store (`gen_ai.input.messages_ref`, …).
fn is_reference(kv: &KeyValue) -> bool {
    kv.key.as_str().ends_with("_ref") && matches!(kv.value, Value::String(_))
}

/// `key=value` of each message content attribute, inputs before outputs; the
/// value as recorded (JSON text stays readable, unquoted), with control
/// characters escaped so the layout never breaks.
fn content_lines(span: &SpanData) -> Vec<String> {
    CONTENT_KEYS
        .iter()
        .filter_map(|key| span.attributes.iter().find(|kv| kv.key.as_str() == *key))
        .map(|kv| {
            let value = kv.value.as_str();
            let mut line = format!("{}=", kv.key);
            for c in value.chars() {
                if c.is_control() {
                    line.extend(c.escape_default());
                } else {
                    line.push(c);
                }
            }
            line
        })
        .collect()
}

/// Display rank of an attribute key; equal ranks keep the recorded order.
fn key_rank(key: &str) -> u8 {
    if key == OPERATION_NAME {
        0
    } else if key.starts_with("gen_ai.") {
        1
    } else if key.starts_with("server.") {
        2
    } else {
        3
    }
}

/// `• name  key=value  …` on a single line.
fn event_line(event: &Event, width: usize) -> String {
    let mut line = format!("• {}", event.name);
    let pairs: Vec<String> = event.attributes.iter().map(format_pair).collect();
    let room = width.saturating_sub(line.chars().count() + PAIR_SEPARATOR.len());
    if let Some(attributes) = wrap_pairs(&pairs, room, 1).first() {
        line.push_str(PAIR_SEPARATOR);
        line.push_str(attributes);
    }
    line
}

/// Lays `pairs` out on at most `max_lines` lines of `width` characters; when
/// they do not all fit, the last line ends with `… +N more`. A pair wider
/// than `width` gets a line of its own.
fn wrap_pairs(pairs: &[String], width: usize, max_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = pairs;
    while !rest.is_empty() {
        let fitting = pairs_fitting(rest, width);
        if fitting < rest.len() && lines.len() + 1 >= max_lines {
            lines.push(line_with_more(rest, width));
            break;
        }
        let (line, remaining) = rest.split_at(fitting.max(1));
        lines.push(line.join(PAIR_SEPARATOR));
        rest = remaining;
    }
    lines
}

/// As many leading `rest` pairs as fit in `width`, then `… +N more`.
fn line_with_more(rest: &[String], width: usize) -> String {
    let more = |count: usize| format!("… +{count} more");
    let reserved = more(rest.len()).chars().count() + PAIR_SEPARATOR.len();
    let shown = pairs_fitting(rest, width.saturating_sub(reserved));
    let mut line = rest[..shown].join(PAIR_SEPARATOR);
    if shown > 0 {
        line.push_str(PAIR_SEPARATOR);
    }
    line.push_str(&more(rest.len() - shown));
    line
}

/// How many leading pairs fit on a line of `width` characters.
fn pairs_fitting(pairs: &[String], width: usize) -> usize {
    let mut used = 0;
    for (index, pair) in pairs.iter().enumerate() {
        let separator = if index == 0 { 0 } else { PAIR_SEPARATOR.len() };
        used += separator + pair.chars().count();
        if used > width {
            return index;
        }
    }
    pairs.len()
}

fn format_pair(kv: &KeyValue) -> String {
    format!("{}={}", kv.key, format_value(&kv.value))
}

fn format_value(value: &Value) -> String {
    match value {
        Value::String(text) => format_text(text.as_str()),
        Value::Array(array) => format_array(array),
        other => other.to_string(),
    }
}

fn format_array(array: &Array) -> String {
    fn display_all<T: fmt::Display>(items: &[T]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }
    let items = match array {
        Array::Bool(items) => display_all(items),
        Array::I64(items) => display_all(items),
        Array::F64(items) => display_all(items),
        Array::String(items) => items
            .iter()
            .map(|item| format_text(item.as_str()))
            .collect(),
        other => return other.to_string(),
    };
    format!("[{}]", items.join(", "))
}

/// Strings stay bare unless empty or holding whitespace or control
/// characters (then quoted and escaped, so the layout never breaks).
fn format_text(text: &str) -> String {
    let text = truncate(text, MAX_VALUE_CHARS);
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!("{text:?}")
    } else {
        text.into_owned()
    }
}

/// The first `max_chars` characters of `text`, with `…` if any were cut.
fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
        None => Cow::Borrowed(text),
    }
}

// ---------------------------------------------------------------------------
// JSON lines format
// ---------------------------------------------------------------------------

/// One span as a single-line JSON object, fields in reading order.
fn span_json(span: &SpanData, service: Option<&str>) -> String {
    let mut fields = vec![
        ("trace_id", json!(span.span_context.trace_id().to_string())),
        ("span_id", json!(span.span_context.span_id().to_string())),
    ];
    if span.parent_span_id != SpanId::INVALID {
        fields.push(("parent_span_id", json!(span.parent_span_id.to_string())));
    }
    fields.extend([
        ("name", json!(span.name)),
        ("kind", json!(kind_name(&span.span_kind))),
        ("start_time_unix_nano", json!(unix_nanos(span.start_time))),
        ("end_time_unix_nano", json!(unix_nanos(span.end_time))),
        ("duration_ms", json!(duration_ms(duration(span)))),
        ("status", status_json(&span.status)),
        ("attributes", attributes_json(&span.attributes)),
        ("events", span.events.iter().map(event_json).collect()),
    ]);
    if let Some(service) = service {
        fields.push(("service", json!(service)));
    }
    fields.push(("scope", json!(span.instrumentation_scope.name())));
    ordered_object(&fields)
}

/// Serializes `fields` as a JSON object in the given order (a
/// [`serde_json::Map`] would sort the keys).
fn ordered_object(fields: &[(&str, Json)]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}:{value}", Json::from(*key)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// Milliseconds, to the microsecond.
fn duration_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

fn status_json(status: &Status) -> Json {
    match status {
        Status::Unset => json!({ "code": "unset" }),
        Status::Ok => json!({ "code": "ok" }),
        Status::Error { description } => json!({ "code": "error", "description": description }),
    }
}

fn event_json(event: &Event) -> Json {
    json!({
        "name": event.name,
        "time_unix_nano": unix_nanos(event.timestamp),
        "attributes": attributes_json(&event.attributes),
    })
}

fn attributes_json(attributes: &[KeyValue]) -> Json {
    Json::Object(
        attributes
            .iter()
            .map(|kv| (kv.key.to_string(), value_json(&kv.value)))
            .collect::<Map<_, _>>(),
    )
}

fn value_json(value: &Value) -> Json {
    match value {
        Value::Bool(flag) => Json::Bool(*flag),
        Value::I64(number) => Json::from(*number),
        Value::F64(number) => f64_json(*number),
        Value::String(text) => Json::from(text.as_str()),
        Value::Array(array) => array_json(array),
        other => Json::from(other.to_string()),
    }
}

fn array_json(array: &Array) -> Json {
    match array {
        Array::Bool(items) => items.iter().copied().map(Json::Bool).collect(),
        Array::I64(items) => items.iter().copied().map(Json::from).collect(),
        Array::F64(items) => items.iter().copied().map(f64_json).collect(),
        Array::String(items) => items.iter().map(|item| Json::from(item.as_str())).collect(),
        other => Json::from(other.to_string()),
    }
}

/// Finite doubles as JSON numbers, `NaN` and infinities as strings.
fn f64_json(number: f64) -> Json {
    serde_json::Number::from_f64(number)
        .map_or_else(|| Json::from(number.to_string()), Json::Number)
}

#[cfg(test)]
mod tests;
