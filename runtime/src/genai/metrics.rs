//! GenAI client metrics: `gen_ai.client.operation.duration` and
//! `gen_ai.client.token.usage`, with the bucket boundaries of the conventions.
//!
//! The duration is recorded for every GenAI operation (inference, embeddings, retrieval,
//! agents, tools, workflows), failures included with `error.type`, by the same guard that
//! ends the span. Token usage is recorded only for model calls (`chat`,
//! `text_completion`, `generate_content`, `embeddings`): an agent or workflow span whose
//! return value also reports usage does not count the tokens of its model calls twice.
//! The instruments come from the meter provider that
//! [`TelemetryBuilder::install`](crate::TelemetryBuilder::install) builds; without it,
//! nothing is recorded and nothing is kept per call.
//!
//! With `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`, durations use the
//! genai-main names: [`GEN_AI_CLIENT_INFERENCE_DURATION`] for model calls,
//! [`GEN_AI_INVOKE_AGENT_DURATION`], [`GEN_AI_EXECUTE_TOOL_DURATION`],
//! [`GEN_AI_INVOKE_WORKFLOW_DURATION`], and `gen_ai.client.operation.duration` for the
//! rest. Token usage keeps the v1.41 histogram in both modes.

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};

use crate::genai::operation::Operation;
use crate::global::{INSTRUMENTS, Instruments, METRICS_INSTALLED};
use crate::semconv;
pub use crate::semconv::{
    GEN_AI_CLIENT_INFERENCE_DURATION, GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
    GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK, GEN_AI_CLIENT_OPERATION_DURATION,
    GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK, GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    GEN_AI_CLIENT_TOKEN_USAGE, GEN_AI_EXECUTE_TOOL_DURATION, GEN_AI_INVOKE_AGENT_DURATION,
    GEN_AI_INVOKE_WORKFLOW_DURATION,
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
    let instruments = Instruments {
        time_to_first_chunk: histogram(first_chunk, "Time to the first chunk of a stream"),
        time_per_output_chunk: histogram(per_chunk, "Time between the output chunks of a stream"),
        inference: named(GEN_AI_CLIENT_INFERENCE_DURATION, "GenAI inference duration"),
        agent: named(
            GEN_AI_INVOKE_AGENT_DURATION,
            "GenAI agent invocation duration",
        ),
        tool: named(
            GEN_AI_EXECUTE_TOOL_DURATION,
            "GenAI tool execution duration",
        ),
        workflow: named(
            GEN_AI_INVOKE_WORKFLOW_DURATION,
            "GenAI workflow invocation duration",
        ),
        duration,
        tokens: meter
            .u64_histogram(GEN_AI_CLIENT_TOKEN_USAGE)
            .with_unit("{token}")
            .with_description("Number of input and output tokens used")
            .with_boundaries(TOKEN_BOUNDARIES.to_vec())
            .build(),
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
}

/// Which duration instrument an operation records to (token usage: model calls only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ModelCall,
    Agent,
    Tool,
    Workflow,
    Other,
}

/// The span attributes that are also metric attributes.
const METRIC_KEYS: [&str; 4] = [
    semconv::GEN_AI_OPERATION_NAME,
    semconv::GEN_AI_PROVIDER_NAME,
    semconv::GEN_AI_REQUEST_MODEL,
    semconv::SERVER_ADDRESS,
];

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
            Operation::Chat
            | Operation::TextCompletion
            | Operation::GenerateContent
            | Operation::Embeddings => Kind::ModelCall,
            Operation::InvokeAgent => Kind::Agent,
            Operation::ExecuteTool => Kind::Tool,
            Operation::InvokeWorkflow => Kind::Workflow,
            _ => Kind::Other,
        };
        let attributes = span_attributes
            .iter()
            .filter(|kv| {
                METRIC_KEYS.contains(&kv.key.as_str()) || kv.key.as_str() == semconv::SERVER_PORT
            })
            .cloned()
            .collect();
        Some(Box::new(CallMetrics {
            instruments,
            kind,
            started: Instant::now(),
            attributes,
        }))
    }

    /// Records a GenAI operation that ended without a guard of trace-genai's (a span of
    /// other instrumentation): its duration, and for a model call its token usage.
    pub(crate) fn record_ended(
        operation: Operation,
        span_attributes: &[KeyValue],
        duration: std::time::Duration,
        response_model: Option<&str>,
        input: Option<u64>,
        output: Option<u64>,
        error_type: Option<&str>,
    ) {
        let Some(mut call) = Self::start(Some(operation), span_attributes) else {
            return;
        };
        call.record_tokens(response_model, input, output);
        call.end(duration.as_secs_f64(), error_type);
    }

    /// Records token usage (once per token type) with the response model.
    pub(crate) fn record_tokens(
        &mut self,
        response_model: Option<&str>,
        input: Option<u64>,
        output: Option<u64>,
    ) {
        if self.kind != Kind::ModelCall {
            return;
        }
        let histogram = &self.instruments.tokens;
        if let Some(model) = response_model {
            self.attributes.push(KeyValue::new(
                semconv::GEN_AI_RESPONSE_MODEL,
                model.to_owned(),
            ));
        }
        for (token_type, count) in [("input", input), ("output", output)] {
            if let Some(count) = count {
                let mut attributes = self.attributes.clone();
                attributes.push(KeyValue::new(semconv::GEN_AI_TOKEN_TYPE, token_type));
                histogram.record(count, &attributes);
            }
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
        let duration = match self.kind {
            Kind::ModelCall => &self.instruments.inference,
            Kind::Agent => &self.instruments.agent,
            Kind::Tool => &self.instruments.tool,
            Kind::Workflow => &self.instruments.workflow,
            Kind::Other => &self.instruments.duration,
        };
        duration.record(seconds, &self.attributes);
    }
}
