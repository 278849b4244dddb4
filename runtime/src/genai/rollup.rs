//! What an agent or workflow span reports of the model calls made inside it.
//!
//! An `invoke_agent` or `invoke_workflow` span whose function returns no
//! [`GenAiResponse`](crate::GenAiResponse) usage gets, as it ends:
//!
//! - `gen_ai.usage.*`: the sums over the model calls (`chat`, `text_completion`,
//!   `generate_content`, `embeddings`) that ended inside it in this process, its own and
//!   other instrumentation's (a framework's spans through the `tracing` bridge, another
//!   crate's through the OpenTelemetry API), those of nested agents included;
//! - `gen_ai.response.finish_reasons`: those of the last of these calls;
//! - `gen_ai.provider.name`, when the function gives none and every call agrees.
//!
//! With `gen_ai_latest_experimental`, an in-process agent's span (kind internal) gets no
//! provider and no cache token counts: the genai-main conventions dropped them there.
//!
//! The provider also goes on the duration metric of the agent, of the workflow, and of a
//! tool run inside them (the conventions require it there). The token-usage metric is
//! recorded by the model calls alone, so nothing is counted twice.
//!
//! Which span is inside which: an agent's context carries its rollup ([`InAgent`]), so
//! trace-genai's own spans started in it find it there; the spans of other
//! instrumentation know only their parent's id, so every span inside an agent is also
//! noted by id (`global::ROLLUPS`) until it ends. With no agent open anywhere, a span
//! costs one load; with agents open elsewhere, a look at its own context.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry::trace::SpanId;
use opentelemetry::{KeyValue, Value};

use crate::genai::operation::Operation;
use crate::genai::response::Usage;
use crate::global::{OPEN_ROLLUPS, ROLLUPS, START_EXTRA, START_IN_AGENT};
use crate::semconv;

/// The most spans noted at once; beyond it, new spans are not noted (and their calls not
/// summed) until some end: leaked spans must not grow memory without bound.
const MAX_NOTED: usize = 65_536;

/// The totals of one agent or workflow span.
#[derive(Debug, Default)]
pub(crate) struct Rollup {
    /// The enclosing agent or workflow's rollup: a call counts for each.
    parent: Option<Arc<Rollup>>,
    totals: Mutex<Totals>,
}

/// What the model calls reported so far.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Totals {
    pub(crate) usage: Usage,
    pub(crate) finish_reasons: Vec<String>,
    pub(crate) provider: Provider,
    pub(crate) calls: u64,
}

/// The provider of the calls: none yet, one, or several that disagree.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Provider {
    #[default]
    Unknown,
    One(String),
    Mixed,
}

impl Provider {
    fn agree(&mut self, provider: &str) {
        match self {
            Provider::Unknown => *self = Provider::One(provider.to_owned()),
            Provider::One(known) if known != provider => *self = Provider::Mixed,
            Provider::One(_) | Provider::Mixed => {}
        }
    }

    /// The provider every call agreed on.
    pub(crate) fn agreed(&self) -> Option<&str> {
        match self {
            Provider::One(provider) => Some(provider),
            Provider::Unknown | Provider::Mixed => None,
        }
    }
}

/// One model call's outcome, as it is added to the rollups around it.
#[derive(Debug, Default)]
pub(crate) struct Call<'a> {
    pub(crate) usage: Usage,
    pub(crate) finish_reasons: Vec<&'a str>,
    pub(crate) provider: Option<&'a str>,
}

fn add(total: &mut Option<u64>, count: Option<u64>) {
    if let Some(count) = count {
        *total = Some(total.unwrap_or(0).saturating_add(count));
    }
}

impl Rollup {
    /// Adds a model call to this rollup and every one around it.
    pub(crate) fn add(&self, call: &Call<'_>) {
        let mut rollup = Some(self);
        while let Some(current) = rollup {
            let mut totals = current
                .totals
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let usage = &mut totals.usage;
            add(&mut usage.input_tokens, call.usage.input_tokens);
            add(&mut usage.output_tokens, call.usage.output_tokens);
            add(
                &mut usage.cache_read_input_tokens,
                call.usage.cache_read_input_tokens,
            );
            add(
                &mut usage.cache_write_input_tokens,
                call.usage.cache_write_input_tokens,
            );
            add(
                &mut usage.reasoning_output_tokens,
                call.usage.reasoning_output_tokens,
            );
            if !call.finish_reasons.is_empty() {
                totals.finish_reasons = call
                    .finish_reasons
                    .iter()
                    .map(|&reason| reason.to_owned())
                    .collect();
            }
            if let Some(provider) = call.provider {
                totals.provider.agree(provider);
            }
            totals.calls += 1;
            drop(totals);
            rollup = current.parent.as_deref();
        }
    }

    /// The provider the calls so far agree on (for a tool's duration metric).
    pub(crate) fn provider(&self) -> Option<String> {
        self.totals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .provider
            .agreed()
            .map(str::to_owned)
    }

    /// The totals so far.
    pub(crate) fn totals(&self) -> Totals {
        self.totals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Whether any agent or workflow span is open: the one load a span pays otherwise.
#[inline]
pub(crate) fn any_open() -> bool {
    START_EXTRA.load(Ordering::Relaxed) & START_IN_AGENT != 0
}

fn noted() -> std::sync::MutexGuard<'static, HashMap<SpanId, Arc<Rollup>>> {
    ROLLUPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Notes `span`, a child of `parent`, under its parent's rollup; returns that rollup.
pub(crate) fn note_child(span: SpanId, parent: SpanId) -> Option<Arc<Rollup>> {
    if parent == SpanId::INVALID || span == SpanId::INVALID {
        return None;
    }
    let mut noted = noted();
    let rollup = noted.get(&parent).cloned()?;
    if noted.len() < MAX_NOTED {
        noted.insert(span, Arc::clone(&rollup));
    }
    Some(rollup)
}

/// Opens a rollup for the agent or workflow span `span`, nested in `parent`'s (the
/// agent around it, if any).
fn open(span: SpanId, parent: Option<Arc<Rollup>>) -> Option<Arc<Rollup>> {
    if span == SpanId::INVALID {
        return None;
    }
    let mut noted = noted();
    if noted.len() >= MAX_NOTED {
        return None;
    }
    let rollup = Arc::new(Rollup {
        parent,
        totals: Mutex::default(),
    });
    noted.insert(span, Arc::clone(&rollup));
    drop(noted);
    if OPEN_ROLLUPS.fetch_add(1, Ordering::Relaxed) == 0 {
        START_EXTRA.fetch_or(START_IN_AGENT, Ordering::Relaxed);
    }
    Some(rollup)
}

/// Notes `span` under `rollup`, for the spans of other instrumentation that start under
/// it (they know only their parent's id).
fn note(span: SpanId, rollup: &Arc<Rollup>) {
    let mut noted = noted();
    if span != SpanId::INVALID && noted.len() < MAX_NOTED {
        noted.insert(span, Arc::clone(rollup));
    }
}

/// Forgets `span` as it ends.
pub(crate) fn forget(span: SpanId) {
    noted().remove(&span);
}

/// Closes the rollup of an agent or workflow span as it ends: forgets it and every span
/// still noted under it (spans that never ended), and returns its totals.
pub(crate) fn close(span: SpanId, rollup: &Arc<Rollup>) -> Totals {
    let mut noted = noted();
    noted.remove(&span);
    noted.retain(|_, noted| !Arc::ptr_eq(noted, rollup));
    drop(noted);
    if OPEN_ROLLUPS.fetch_sub(1, Ordering::Relaxed) == 1 {
        START_EXTRA.fetch_and(!START_IN_AGENT, Ordering::Relaxed);
        // An agent opened meanwhile keeps the bit.
        if OPEN_ROLLUPS.load(Ordering::Relaxed) != 0 {
            START_EXTRA.fetch_or(START_IN_AGENT, Ordering::Relaxed);
        }
    }
    rollup.totals()
}

/// The attributes an agent or workflow span gets from its totals: usage, the last call's
/// finish reasons, and (`with_provider`) the provider they agree on.
pub(crate) fn attributes(totals: &Totals, with_provider: bool, with_cache: bool) -> Vec<KeyValue> {
    let mut attributes = Vec::new();
    if totals.calls == 0 {
        return attributes;
    }
    let tokens = |count: u64| Value::I64(i64::try_from(count).unwrap_or(i64::MAX));
    let cache_write = if semconv::latest_experimental() {
        semconv::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS
    } else {
        semconv::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
    };
    for (key, count) in [
        (
            semconv::GEN_AI_USAGE_INPUT_TOKENS,
            totals.usage.input_tokens,
        ),
        (
            semconv::GEN_AI_USAGE_OUTPUT_TOKENS,
            totals.usage.output_tokens,
        ),
        (
            semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            totals.usage.cache_read_input_tokens,
        ),
        (cache_write, totals.usage.cache_write_input_tokens),
        (
            semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
            totals.usage.reasoning_output_tokens,
        ),
    ] {
        let cache = key == semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS || key == cache_write;
        if let Some(count) = count
            && (with_cache || !cache)
        {
            attributes.push(KeyValue::new(key, tokens(count)));
        }
    }
    if !totals.finish_reasons.is_empty() {
        attributes.push(KeyValue::new(
            semconv::GEN_AI_RESPONSE_FINISH_REASONS,
            Value::Array(opentelemetry::Array::String(
                totals
                    .finish_reasons
                    .iter()
                    .map(|reason| reason.clone().into())
                    .collect(),
            )),
        ));
    }
    if with_provider && let Some(provider) = totals.provider.agreed() {
        attributes.push(KeyValue::new(
            semconv::GEN_AI_PROVIDER_NAME,
            provider.to_owned(),
        ));
    }
    attributes
}

/// The rollup of the agent or workflow a context runs in: trace-genai's own spans started
/// in it (and their children, which inherit it) add to it.
#[derive(Debug)]
pub(crate) struct InAgent(Arc<Rollup>);

/// What a span starting inside (or as) an agent or workflow notes before it has an id.
#[derive(Debug)]
pub(crate) struct Pending {
    operation: Option<Operation>,
    internal: bool,
    /// The provider the function gave (`gen_ai.provider.name`).
    provider: Option<String>,
    /// The rollup of the agent around the span.
    into: Option<Arc<Rollup>>,
}

impl Pending {
    /// What a span that starts `operation` in `parent` notes: `None` when it is neither an
    /// agent or workflow nor inside one. Out of line, and one pointer to carry: only while
    /// some agent is open, or for an agent, does a span get here.
    #[inline(never)]
    pub(crate) fn new(
        meta: &crate::instrument::span::SpanMeta,
        attributes: &[KeyValue],
        parent: &opentelemetry::Context,
    ) -> Option<Box<Pending>> {
        let into = parent
            .get::<InAgent>()
            .map(|in_agent| Arc::clone(&in_agent.0));
        if into.is_none() && !opens(meta.operation) {
            return None;
        }
        Some(Box::new(Pending {
            operation: meta.operation,
            internal: meta.kind == opentelemetry::trace::SpanKind::Internal,
            provider: attributes
                .iter()
                .find(|kv| kv.key.as_str() == semconv::GEN_AI_PROVIDER_NAME)
                .map(|kv| kv.value.as_str().into_owned()),
            into,
        }))
    }

    /// The span started with context `cx`. Returns what the span keeps, and for an agent
    /// or workflow, `cx` with its rollup in it (for the spans started inside).
    pub(crate) fn start(
        self,
        cx: &opentelemetry::Context,
    ) -> (Option<Box<Member>>, Option<opentelemetry::Context>) {
        use opentelemetry::trace::TraceContextExt as _;
        let span = cx.span().span_context().span_id();
        let (own, cx) = if opens(self.operation) {
            let Some(own) = open(span, self.into.clone()) else {
                return (None, None);
            };
            let cx = cx.with_value(InAgent(Arc::clone(&own)));
            (Some(own), Some(cx))
        } else {
            if let Some(into) = &self.into {
                note(span, into);
            }
            (None, None)
        };
        let member = Member {
            span,
            operation: self.operation,
            into: self.into,
            own,
            provider: self.provider,
            reported: false,
            internal: self.internal,
        };
        (Some(Box::new(member)), cx)
    }
}

/// Whether `operation` opens a rollup: agents and workflows.
#[inline]
pub(crate) fn opens(operation: Option<Operation>) -> bool {
    matches!(
        operation,
        Some(Operation::InvokeAgent | Operation::InvokeWorkflow)
    )
}

/// Whether `operation` is a model call, whose outcome adds to the rollups around it.
pub(crate) fn is_model_call(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::Chat
            | Operation::TextCompletion
            | Operation::GenerateContent
            | Operation::Embeddings
    )
}

/// A span of trace-genai's own inside a rollup, or an agent or workflow span with its own.
#[derive(Debug)]
pub(crate) struct Member {
    span: SpanId,
    operation: Option<Operation>,
    /// The rollup of the agent or workflow around this span.
    into: Option<Arc<Rollup>>,
    /// An agent or workflow span's own rollup.
    own: Option<Arc<Rollup>>,
    /// The provider the function gave (`gen_ai.provider.name`).
    provider: Option<String>,
    /// A model call added its outcome already; an agent reported usage of its own.
    reported: bool,
    /// An in-process agent or workflow (span kind internal): the genai-main conventions
    /// give its span no provider and no cache tokens.
    internal: bool,
}

impl Member {
    /// The function's return value reported `usage` and `finish_reasons`: a model call
    /// adds them to the rollups around it; an agent or workflow that reports usage of its
    /// own keeps it.
    pub(crate) fn response(&mut self, usage: &Usage, finish_reasons: &[&str]) {
        if self.own.is_some() {
            self.reported |= *usage != Usage::default();
            return;
        }
        if !self.operation.is_some_and(is_model_call) || self.reported {
            return;
        }
        if let Some(into) = &self.into {
            into.add(&Call {
                usage: *usage,
                finish_reasons: finish_reasons.to_vec(),
                provider: self.provider.as_deref(),
            });
        }
        self.reported = true;
    }

    /// The span ends. Returns, for an agent or workflow that reported no usage of its own,
    /// the attributes of its totals; and the provider its duration metric lacks (an
    /// agent's, workflow's or tool's, when the function gave none).
    pub(crate) fn end(mut self) -> (Vec<KeyValue>, Option<String>) {
        if let Some(own) = self.own.take() {
            let totals = close(self.span, &own);
            let given = self.provider.is_some();
            let latest_internal = self.internal && semconv::latest_experimental();
            let attributes = if self.reported {
                Vec::new()
            } else {
                attributes(&totals, !given && !latest_internal, !latest_internal)
            };
            let provider = (!given)
                .then(|| totals.provider.agreed().map(str::to_owned))
                .flatten();
            return (attributes, provider);
        }
        forget(self.span);
        if !self.reported && self.operation.is_some_and(is_model_call) {
            self.response(&Usage::default(), &[]);
        }
        let provider = match (&self.into, self.operation, &self.provider) {
            (Some(into), Some(Operation::ExecuteTool), None) => into.provider(),
            _ => None,
        };
        (Vec::new(), provider)
    }
}

/// A span of other instrumentation started: noted when it is inside an agent or
/// workflow span (the first span processor calls this, only while one is open).
pub(crate) fn foreign_started(span: SpanId, parent: SpanId) {
    note_child(span, parent);
}

/// A span of other instrumentation ended: forgets it, and returns the rollup it was noted
/// under (a model call adds its outcome to it).
pub(crate) fn foreign_ended(span: SpanId) -> Option<Arc<Rollup>> {
    noted().remove(&span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_add_up_in_every_enclosing_rollup_and_the_last_reasons_win() {
        let outer = Arc::new(Rollup::default());
        let inner = Rollup {
            parent: Some(Arc::clone(&outer)),
            totals: Mutex::default(),
        };
        inner.add(&Call {
            usage: Usage::new(10, 2),
            finish_reasons: vec!["tool_calls"],
            provider: Some("openai"),
        });
        outer.add(&Call {
            usage: Usage {
                input_tokens: Some(5),
                cache_read_input_tokens: Some(3),
                ..Usage::default()
            },
            finish_reasons: vec!["stop"],
            provider: Some("openai"),
        });
        let totals = outer.totals();
        assert_eq!(totals.usage.input_tokens, Some(15));
        assert_eq!(totals.usage.output_tokens, Some(2));
        assert_eq!(totals.usage.cache_read_input_tokens, Some(3));
        assert_eq!(totals.finish_reasons, ["stop"]);
        assert_eq!(totals.provider.agreed(), Some("openai"));
        assert_eq!(inner.totals().usage.input_tokens, Some(10));
        assert_eq!(inner.totals().finish_reasons, ["tool_calls"]);

        inner.add(&Call {
            provider: Some("anthropic"),
            ..Call::default()
        });
        assert_eq!(outer.totals().provider, Provider::Mixed);
        assert!(
            !attributes(&outer.totals(), true, true)
                .iter()
                .any(|kv| kv.key.as_str() == semconv::GEN_AI_PROVIDER_NAME)
        );
    }

    #[test]
    fn no_calls_no_attributes() {
        assert!(attributes(&Totals::default(), true, true).is_empty());
    }
}
