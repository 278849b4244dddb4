//! GenAI client metrics, with the bucket boundaries of the conventions.
//!
//! | what | v1.41 names (default) | `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` |
//! |---|---|---|
//! | model call duration | `gen_ai.client.operation.duration` | `gen_ai.client.inference.duration` |
//! | embeddings duration | `gen_ai.client.operation.duration` | `gen_ai.client.embeddings.duration` |
//! | agent duration | `gen_ai.client.operation.duration` | `gen_ai.invoke_agent.duration` |
//! | workflow duration | `gen_ai.client.operation.duration` | `gen_ai.invoke_agent.duration` (workflows are agents there) |
//! | tool duration | `gen_ai.client.operation.duration` | `gen_ai.execute_tool.duration` |
//! | other operations | `gen_ai.client.operation.duration` | `gen_ai.client.operation.duration` |
//! | tokens of a model call | `gen_ai.client.token.usage` (histogram, `gen_ai.token.type`) | `gen_ai.client.inference.usage.*` (counters, `gen_ai.token.modality`) and `gen_ai.client.inference.operation.{input,output}_tokens` (histograms) |
//! | tokens of an embeddings call | `gen_ai.client.token.usage` (`gen_ai.token.type=input`) | `gen_ai.client.embeddings.operation.input_tokens` |
//! | streams | `gen_ai.client.operation.time_to_first_chunk`, `…time_per_output_chunk` | `gen_ai.client.inference.time_to_first_chunk`, `…time_per_output_chunk` |
//!
//! Every point carries `gen_ai.operation.name`, `gen_ai.provider.name`,
//! `gen_ai.request.model`, `server.address` and `server.port` when the span has them,
//! `error.type` when the call failed, and `gen_ai.response.model` once the response (or
//! a stream's chunk) named it. A tool's points add `gen_ai.tool.name` and
//! `gen_ai.tool.type`, an agent's `gen_ai.agent.name`, a workflow's
//! `gen_ai.workflow.name` (`gen_ai.agent.name` with the genai-main names). An agent's,
//! workflow's or tool's points without a provider of their own get the provider of the
//! model calls inside the agent (`genai::rollup`).
//!
//! The duration is recorded for every GenAI operation, failures included, by the same
//! guard that ends the span. Token usage is recorded only for model calls (`chat`,
//! `text_completion`, `generate_content`, `embeddings`): an agent or workflow span
//! whose return value also reports usage does not count the tokens of its model calls
//! twice. The instruments come from the meter provider that
//! [`TelemetryBuilder::install`](crate::TelemetryBuilder::install) builds; without it,
//! nothing is recorded and nothing is kept per call.

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};

use crate::genai::operation::Operation;
use crate::genai::response::Usage;
use crate::global::{INSTRUMENTS, Instruments, LatestTokens, METRICS_INSTALLED};
use crate::semconv;
pub use crate::semconv::{
    GEN_AI_CLIENT_INFERENCE_DURATION, GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
    GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK, GEN_AI_CLIENT_OPERATION_DURATION,
    GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK, GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    GEN_AI_CLIENT_TOKEN_USAGE, GEN_AI_EXECUTE_TOOL_DURATION, GEN_AI_INVOKE_AGENT_DURATION,
};

/// Explicit boundaries of `gen_ai.client.operation.duration` (seconds).
pub const DURATION_BOUNDARIES: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// Explicit boundaries of `gen_ai.client.token.usage` (tokens).
pub const TOKEN_BOUNDARIES: [f64; 14] = [
    1.0,
    4.0,
    16.0,
    64.0,
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
    67_108_864.0,
];

/// Creates the instruments on `provider` (at install).
pub(crate) fn install(
    provider: &opentelemetry_sdk::metrics::SdkMeterProvider,
    scope: InstrumentationScope,
) {
    let meter = provider.meter_with_scope(scope);
    let histogram = |name: &'static str, description: &'static str| {
        meter
            .f64_histogram(name)
            .with_unit("s")
            .with_description(description)
            .with_boundaries(DURATION_BOUNDARIES.to_vec())
            .build()
    };
    let duration = histogram(GEN_AI_CLIENT_OPERATION_DURATION, "GenAI operation duration");
    let latest = crate::semconv::latest_experimental();
    let named = |name, description| {
        if latest {
            histogram(name, description)
        } else {
            duration.clone()
        }
    };
    let (first_chunk, per_chunk) = if latest {
        (
            GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
            GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
        )
    } else {
        (
            GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
            GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
        )
    };
    let token_histogram = |name: &'static str, description: &'static str| {
        meter
            .u64_histogram(name)
            .with_unit("{token}")
            .with_description(description)
            .with_boundaries(TOKEN_BOUNDARIES.to_vec())
            .build()
    };
    let counter = |name: &'static str, description: &'static str| {
        meter
            .u64_counter(name)
            .with_unit("{token}")
            .with_description(description)
            .build()
    };
    let instruments = Instruments {
        time_to_first_chunk: histogram(first_chunk, "Time to the first chunk of a stream"),
        time_per_output_chunk: histogram(per_chunk, "Time between the output chunks of a stream"),
        inference: named(GEN_AI_CLIENT_INFERENCE_DURATION, "GenAI inference duration"),
        embeddings: named(
            semconv::GEN_AI_CLIENT_EMBEDDINGS_DURATION,
            "GenAI embeddings duration",
        ),
        agent: named(
            GEN_AI_INVOKE_AGENT_DURATION,
            "GenAI agent invocation duration",
        ),
        tool: named(
            GEN_AI_EXECUTE_TOOL_DURATION,
            "GenAI tool execution duration",
        ),
        // The genai-main conventions record workflows as agents.
        workflow: named(
            GEN_AI_INVOKE_AGENT_DURATION,
            "GenAI agent invocation duration",
        ),
        duration,
        tokens: (!latest).then(|| {
            token_histogram(
                GEN_AI_CLIENT_TOKEN_USAGE,
                "Number of input and output tokens used",
            )
        }),
        latest_tokens: latest.then(|| LatestTokens {
            usage: [
                counter(
                    semconv::GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
                    "Input tokens used by model calls",
                ),
                counter(
                    semconv::GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
                    "Output tokens used by model calls",
                ),
                counter(
                    semconv::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS,
                    "Input tokens served from a cache",
                ),
                counter(
                    semconv::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
                    "Input tokens written to a cache",
                ),
                counter(
                    semconv::GEN_AI_CLIENT_INFERENCE_USAGE_REASONING_OUTPUT_TOKENS,
                    "Output tokens spent on reasoning",
                ),
            ],
            operation_input: token_histogram(
                semconv::GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
                "Input tokens per model call",
            ),
            operation_output: token_histogram(
                semconv::GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
                "Output tokens per model call",
            ),
            embeddings_input: token_histogram(
                semconv::GEN_AI_CLIENT_EMBEDDINGS_OPERATION_INPUT_TOKENS,
                "Input tokens per embeddings call",
            ),
        }),
    };
    *INSTRUMENTS.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(instruments));
    METRICS_INSTALLED.store(true, std::sync::atomic::Ordering::Release);
}

/// Drops the instruments (at shutdown).
pub(crate) fn uninstall() {
    METRICS_INSTALLED.store(false, std::sync::atomic::Ordering::Release);
    *INSTRUMENTS.write().unwrap_or_else(PoisonError::into_inner) = None;
}

/// What a GenAI operation's guard keeps to record its metrics.
#[derive(Debug)]
pub(crate) struct CallMetrics {
    instruments: Arc<Instruments>,
    kind: Kind,
    started: Instant,
    attributes: Vec<KeyValue>,
    /// Token usage was recorded (the genai-main counters record 0 for a call without).
    tokens_recorded: bool,
}

/// Which duration instrument an operation records to (token usage: model calls only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ModelCall,
    Embeddings,
    Agent,
    Tool,
    Workflow,
    Other,
}

/// The span attributes that are also metric attributes, for every operation.
const METRIC_KEYS: [&str; 5] = [
    semconv::GEN_AI_OPERATION_NAME,
    semconv::GEN_AI_PROVIDER_NAME,
    semconv::GEN_AI_REQUEST_MODEL,
    semconv::SERVER_ADDRESS,
    semconv::SERVER_PORT,
];

impl Kind {
    /// The span attributes that are also metric attributes for this kind, beyond
    /// [`METRIC_KEYS`]: the tool's, agent's or workflow's name (`latest`: a workflow's is
    /// `gen_ai.agent.name`).
    fn keys(self, latest: bool) -> &'static [&'static str] {
        match self {
            Kind::Tool => &[semconv::GEN_AI_TOOL_NAME, semconv::GEN_AI_TOOL_TYPE],
            Kind::Agent => &[semconv::GEN_AI_AGENT_NAME],
            Kind::Workflow if latest => &[semconv::GEN_AI_AGENT_NAME],
            Kind::Workflow => &[semconv::GEN_AI_WORKFLOW_NAME],
            Kind::ModelCall | Kind::Embeddings | Kind::Other => &[],
        }
    }
}

impl CallMetrics {
    /// Starts measuring a GenAI operation, if metrics are installed.
    #[inline]
    pub(crate) fn start(
        operation: Option<Operation>,
        span_attributes: &[KeyValue],
    ) -> Option<Box<Self>> {
        let operation = operation?;
        if !METRICS_INSTALLED.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        Self::start_installed(operation, span_attributes)
    }

    fn start_installed(operation: Operation, span_attributes: &[KeyValue]) -> Option<Box<Self>> {
        let instruments = INSTRUMENTS
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        let kind = match operation {
            Operation::Chat | Operation::TextCompletion | Operation::GenerateContent => {
                Kind::ModelCall
            }
            Operation::Embeddings => Kind::Embeddings,
            Operation::InvokeAgent => Kind::Agent,
            Operation::ExecuteTool => Kind::Tool,
            Operation::InvokeWorkflow => Kind::Workflow,
            _ => Kind::Other,
        };
        let latest = instruments.latest_tokens.is_some();
        let keys = kind.keys(latest);
        let mut attributes: Vec<KeyValue> = span_attributes
            .iter()
            .filter(|kv| {
                let key = kv.key.as_str();
                METRIC_KEYS.contains(&key) || keys.contains(&key)
            })
            .cloned()
            .collect();
        // The genai-main conventions name a workflow with `gen_ai.agent.name` (another
        // instrumentation's workflow span may have only `gen_ai.workflow.name`).
        if latest
            && kind == Kind::Workflow
            && !attributes
                .iter()
                .any(|kv| kv.key.as_str() == semconv::GEN_AI_AGENT_NAME)
            && let Some(name) = span_attributes
                .iter()
                .find(|kv| kv.key.as_str() == semconv::GEN_AI_WORKFLOW_NAME)
        {
            attributes.push(KeyValue::new(
                semconv::GEN_AI_AGENT_NAME,
                name.value.clone(),
            ));
        }
        Some(Box::new(CallMetrics {
            instruments,
            kind,
            started: Instant::now(),
            attributes,
            tokens_recorded: false,
        }))
    }

    /// Records a GenAI operation that ended without a guard of trace-genai's (a span of
    /// other instrumentation): its duration, and for a model call its token usage.
    pub(crate) fn record_ended(
        operation: Operation,
        span_attributes: &[KeyValue],
        provider: Option<String>,
        duration: std::time::Duration,
        response_model: Option<&str>,
        usage: &Usage,
        error_type: Option<&str>,
    ) {
        let Some(mut call) = Self::start(Some(operation), span_attributes) else {
            return;
        };
        if let Some(provider) = provider {
            call.add_provider(provider);
        }
        call.record_tokens(response_model, usage);
        call.end(duration.as_secs_f64(), error_type);
    }

    /// Notes the model that answered (a stream's chunk names it before the end): every
    /// later point carries it.
    pub(crate) fn response_model(&mut self, model: &str) {
        if !self
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == semconv::GEN_AI_RESPONSE_MODEL)
        {
            self.attributes.push(KeyValue::new(
                semconv::GEN_AI_RESPONSE_MODEL,
                model.to_owned(),
            ));
        }
    }

    /// Records token usage (once per token type) with the response model.
    pub(crate) fn record_tokens(&mut self, response_model: Option<&str>, usage: &Usage) {
        if !matches!(self.kind, Kind::ModelCall | Kind::Embeddings) {
            return;
        }
        if let Some(model) = response_model {
            self.response_model(model);
        }
        if *usage == Usage::default() {
            return;
        }
        self.tokens_recorded = true;
        if let Some(histogram) = &self.instruments.tokens {
            for (token_type, count) in [
                ("input", usage.input_tokens),
                ("output", usage.output_tokens),
            ] {
                if let Some(count) = count {
                    let mut attributes = self.attributes.clone();
                    attributes.push(KeyValue::new(semconv::GEN_AI_TOKEN_TYPE, token_type));
                    histogram.record(count, &attributes);
                }
            }
        }
        if let Some(latest) = &self.instruments.latest_tokens {
            record_latest(latest, self.kind, &self.attributes, usage);
        }
    }

    /// Records the time from the call to a stream's first item.
    pub(crate) fn first_chunk(&self, seconds: f64) {
        self.instruments
            .time_to_first_chunk
            .record(seconds, &self.attributes);
    }

    /// Records the time between two items of a stream.
    pub(crate) fn next_chunk(&self, seconds: f64) {
        self.instruments
            .time_per_output_chunk
            .record(seconds, &self.attributes);
    }

    /// Adds the provider of an agent's, workflow's or tool's duration when the function
    /// gave none (the provider its model calls agree on: `genai::rollup`).
    pub(crate) fn add_provider(&mut self, provider: String) {
        if !self
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == semconv::GEN_AI_PROVIDER_NAME)
        {
            self.attributes
                .push(KeyValue::new(semconv::GEN_AI_PROVIDER_NAME, provider));
        }
    }

    /// Records the duration, with `error.type` when the call failed.
    pub(crate) fn finish(self, error_type: Option<&str>) {
        let seconds = self.started.elapsed().as_secs_f64();
        self.end(seconds, error_type);
    }

    /// Records `seconds` to the operation's duration instrument.
    fn end(mut self, seconds: f64, error_type: Option<&str>) {
        if let Some(error_type) = error_type {
            self.attributes
                .push(KeyValue::new(semconv::ERROR_TYPE, error_type.to_owned()));
        }
        // The genai-main usage counters count a model call without usage (a failure, a
        // provider that reports none) as 0 tokens.
        if self.kind == Kind::ModelCall
            && !self.tokens_recorded
            && let Some(latest) = &self.instruments.latest_tokens
        {
            let mut attributes = self.attributes.clone();
            attributes.push(KeyValue::new(
                semconv::GEN_AI_TOKEN_MODALITY,
                semconv::TOKEN_MODALITY_UNKNOWN,
            ));
            latest.usage[0].add(0, &attributes);
            latest.usage[1].add(0, &attributes);
        }
        let duration = match self.kind {
            Kind::ModelCall => &self.instruments.inference,
            Kind::Embeddings => &self.instruments.embeddings,
            Kind::Agent => &self.instruments.agent,
            Kind::Tool => &self.instruments.tool,
            Kind::Workflow => &self.instruments.workflow,
            Kind::Other => &self.instruments.duration,
        };
        duration.record(seconds, &self.attributes);
    }
}

/// Records `usage` to the genai-main token instruments: the usage counters (per
/// modality, which trace-genai does not know) and the per-call histograms of a model call,
/// or the input histogram of an embeddings call.
fn record_latest(latest: &LatestTokens, kind: Kind, attributes: &[KeyValue], usage: &Usage) {
    if kind == Kind::Embeddings {
        if let Some(count) = usage.input_tokens {
            latest.embeddings_input.record(count, attributes);
        }
        return;
    }
    if let Some(count) = usage.input_tokens {
        latest.operation_input.record(count, attributes);
    }
    if let Some(count) = usage.output_tokens {
        latest.operation_output.record(count, attributes);
    }
    let mut with_modality = attributes.to_vec();
    with_modality.push(KeyValue::new(
        semconv::GEN_AI_TOKEN_MODALITY,
        semconv::TOKEN_MODALITY_UNKNOWN,
    ));
    for (counter, count) in latest.usage.iter().zip([
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_write_input_tokens,
        usage.reasoning_output_tokens,
    ]) {
        if let Some(count) = count {
            counter.add(count, &with_modality);
        }
    }
}
