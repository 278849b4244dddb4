//! Keys, event names and metric names of the OpenTelemetry GenAI semantic conventions.
//!
//! The keys are copied from the GenAI conventions **v1.41.0**
//! (`semantic-conventions@v1.41.0:model/gen-ai/registry.yaml`), the last release that
//! backends understand today. They are owned here rather than taken from
//! `opentelemetry-semantic-conventions`, whose `GEN_AI_*` constants are all deprecated
//! since the conventions moved to their own repository. Stable keys that are not GenAI
//! specific (`error.type`, `server.address`, `server.port`) come from that crate.
//!
//! Every key, event name and metric name trace-genai emits is defined here, so that a
//! rename is a deliberate change of this file (and of the test that lists every key);
//! [`feedback`](crate::feedback) and [`metrics`](crate::metrics) re-export their names.

/// The version of the semantic conventions these keys follow.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.41.0";

/// The instrumentation scope of trace-genai's spans, events and metrics. Built anew each
/// time: its parts are constants, and building it is cheaper than cloning a shared one.
#[inline]
pub(crate) fn scope() -> opentelemetry::InstrumentationScope {
    opentelemetry::InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(SCHEMA_URL)
        .build()
}

/// `gen_ai.operation.name`: the name of the operation being performed (string).
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`: the GenAI provider as identified by the instrumentation (string).
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// `gen_ai.request.model`: the name of the model a request is made to (string).
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// `gen_ai.request.temperature` (double).
pub const GEN_AI_REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// `gen_ai.request.top_p` (double).
pub const GEN_AI_REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// `gen_ai.request.top_k` (double in v1.41).
pub const GEN_AI_REQUEST_TOP_K: &str = "gen_ai.request.top_k";
/// `gen_ai.request.max_tokens` (int).
pub const GEN_AI_REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// `gen_ai.request.seed` (int).
pub const GEN_AI_REQUEST_SEED: &str = "gen_ai.request.seed";
/// `gen_ai.request.stop_sequences` (string array).
pub const GEN_AI_REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
/// `gen_ai.request.frequency_penalty` (double).
pub const GEN_AI_REQUEST_FREQUENCY_PENALTY: &str = "gen_ai.request.frequency_penalty";
/// `gen_ai.request.presence_penalty` (double).
pub const GEN_AI_REQUEST_PRESENCE_PENALTY: &str = "gen_ai.request.presence_penalty";
/// `gen_ai.request.choice.count` (int, recorded only when it is not 1).
pub const GEN_AI_REQUEST_CHOICE_COUNT: &str = "gen_ai.request.choice.count";
/// `gen_ai.request.stream` (bool, set only for streaming requests).
pub const GEN_AI_REQUEST_STREAM: &str = "gen_ai.request.stream";
/// `gen_ai.output.type`: the requested output modality, `text`, `json`, `image`, `speech` (string).
pub const GEN_AI_OUTPUT_TYPE: &str = "gen_ai.output.type";
/// `gen_ai.conversation.id`: the session or thread id (string).
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
/// `gen_ai.agent.id`: a stable hosted-agent id (string).
pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
/// `gen_ai.agent.name` (string).
pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
/// `gen_ai.agent.description` (string).
pub const GEN_AI_AGENT_DESCRIPTION: &str = "gen_ai.agent.description";
/// `gen_ai.agent.version` (string).
pub const GEN_AI_AGENT_VERSION: &str = "gen_ai.agent.version";
/// `gen_ai.workflow.name` (string, low cardinality).
pub const GEN_AI_WORKFLOW_NAME: &str = "gen_ai.workflow.name";
/// `gen_ai.tool.name` (string).
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.tool.call.id` (string).
pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
/// `gen_ai.tool.type`: `function`, `extension` or `datastore` (string).
pub const GEN_AI_TOOL_TYPE: &str = "gen_ai.tool.type";
/// `gen_ai.tool.description` (string).
pub const GEN_AI_TOOL_DESCRIPTION: &str = "gen_ai.tool.description";
/// `gen_ai.data_source.id`: the GenAI system's id for a data source (string).
pub const GEN_AI_DATA_SOURCE_ID: &str = "gen_ai.data_source.id";
/// `gen_ai.embeddings.dimension.count` (int).
pub const GEN_AI_EMBEDDINGS_DIMENSION_COUNT: &str = "gen_ai.embeddings.dimension.count";
/// `gen_ai.request.encoding_formats`: the encodings asked of an embeddings call
/// (`float`, `base64`; string array).
pub const GEN_AI_REQUEST_ENCODING_FORMATS: &str = "gen_ai.request.encoding_formats";
/// `gen_ai.prompt.name` (string).
pub const GEN_AI_PROMPT_NAME: &str = "gen_ai.prompt.name";

/// `gen_ai.response.id` (string).
pub const GEN_AI_RESPONSE_ID: &str = "gen_ai.response.id";
/// `gen_ai.response.model`: the model that answered (string).
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
/// `gen_ai.response.finish_reasons`: one per choice (string array).
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// `gen_ai.response.time_to_first_chunk` (double, seconds): from the call to the first
/// streamed item.
pub const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.usage.input_tokens` (int).
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens` (int).
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.cache_read.input_tokens` (int).
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.cache_creation.input_tokens` (int, v1.41 name).
pub const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: &str =
    "gen_ai.usage.cache_creation.input_tokens";
/// `gen_ai.usage.cache_write.input_tokens` (int, the genai-main name; emitted instead of
/// the v1.41 name when `OTEL_SEMCONV_STABILITY_OPT_IN` contains `gen_ai_latest_experimental`).
pub const GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: &str = "gen_ai.usage.cache_write.input_tokens";
/// `gen_ai.usage.reasoning.output_tokens` (int).
pub const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";

/// `gen_ai.input.messages` (opt-in content; a JSON string on spans).
pub const GEN_AI_INPUT_MESSAGES: &str = "gen_ai.input.messages";
/// `gen_ai.output.messages` (opt-in content; a JSON string on spans).
pub const GEN_AI_OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
/// `gen_ai.system_instructions` (opt-in content; a JSON string on spans).
pub const GEN_AI_SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
/// `gen_ai.tool.definitions` (opt-in content; a JSON string on spans).
pub const GEN_AI_TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
/// `gen_ai.tool.call.arguments` (opt-in content; a JSON string on spans).
pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
/// `gen_ai.tool.call.result` (opt-in content; a JSON string on spans).
pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
/// `gen_ai.retrieval.query.text` (opt-in content; string).
pub const GEN_AI_RETRIEVAL_QUERY_TEXT: &str = "gen_ai.retrieval.query.text";
/// `gen_ai.retrieval.documents` (opt-in content; a JSON string on spans).
pub const GEN_AI_RETRIEVAL_DOCUMENTS: &str = "gen_ai.retrieval.documents";

/// `gen_ai.evaluation.score` (double in [-1, 1]): a user's rating, on
/// `gen_ai.evaluation.user_feedback` (Azure AI Foundry).
pub const GEN_AI_EVALUATION_SCORE: &str = "gen_ai.evaluation.score";
/// `gen_ai.evaluation.name` (string), on `gen_ai.evaluation.result`.
pub const GEN_AI_EVALUATION_NAME: &str = "gen_ai.evaluation.name";
/// `gen_ai.evaluation.score.value` (double), on `gen_ai.evaluation.result`.
pub const GEN_AI_EVALUATION_SCORE_VALUE: &str = "gen_ai.evaluation.score.value";
/// `gen_ai.evaluation.score.label` (string), on `gen_ai.evaluation.result`.
pub const GEN_AI_EVALUATION_SCORE_LABEL: &str = "gen_ai.evaluation.score.label";
/// `gen_ai.evaluation.explanation` (string, free text), on `gen_ai.evaluation.result`.
pub const GEN_AI_EVALUATION_EXPLANATION: &str = "gen_ai.evaluation.explanation";

/// The log event that carries an operation's content, structured, in its span's context.
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS: &str =
    "gen_ai.client.inference.operation.details";

/// `finish_reason` of an output message: the model completed its answer.
pub const FINISH_REASON_STOP: &str = "stop";
/// `finish_reason` of an output message: the token limit cut the answer.
pub const FINISH_REASON_LENGTH: &str = "length";
/// `finish_reason` of an output message: a content filter stopped the answer.
pub const FINISH_REASON_CONTENT_FILTER: &str = "content_filter";
/// `finish_reason` of an output message: the model asks for tool calls.
pub const FINISH_REASON_TOOL_CALL: &str = "tool_call";
/// `finish_reason` of an output message: the answer was cut by an error (a stream that
/// failed or was dropped before its end).
pub const FINISH_REASON_ERROR: &str = "error";

/// `gen_ai.token.type`: `input` or `output` (metrics only).
pub const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";

/// `server.address` (string, stable).
pub const SERVER_ADDRESS: &str = opentelemetry_semantic_conventions::attribute::SERVER_ADDRESS;
/// `server.port` (int, stable).
pub const SERVER_PORT: &str = opentelemetry_semantic_conventions::attribute::SERVER_PORT;
/// `error.type` (string, stable): a low-cardinality description of the error class.
pub const ERROR_TYPE: &str = opentelemetry_semantic_conventions::attribute::ERROR_TYPE;

/// `error.type` value for a span whose function panicked.
pub const ERROR_TYPE_PANIC: &str = "panic";
/// `error.type` value for a span whose future was dropped before it completed.
pub const ERROR_TYPE_CANCELLED: &str = "cancelled";
/// `error.type` fallback when no better value is known.
pub const ERROR_TYPE_OTHER: &str = "_OTHER";

/// `service.instance.id` (resource attribute, stable): this process's UUID.
pub const SERVICE_INSTANCE_ID: &str =
    opentelemetry_semantic_conventions::resource::SERVICE_INSTANCE_ID;

// ---- event names -----------------------------------------------------------------------------

/// `gen_ai.evaluation.user_feedback`: a user's rating of a response.
pub const GEN_AI_EVALUATION_USER_FEEDBACK: &str = "gen_ai.evaluation.user_feedback";
/// `gen_ai.evaluation.result`: an evaluator's verdict on a response.
pub const GEN_AI_EVALUATION_RESULT: &str = "gen_ai.evaluation.result";

// ---- metric names ----------------------------------------------------------------------------

/// `gen_ai.client.operation.duration`, seconds.
pub const GEN_AI_CLIENT_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
/// `gen_ai.client.inference.duration`, seconds (genai main, model calls).
pub const GEN_AI_CLIENT_INFERENCE_DURATION: &str = "gen_ai.client.inference.duration";
/// `gen_ai.invoke_agent.duration`, seconds (genai main).
pub const GEN_AI_INVOKE_AGENT_DURATION: &str = "gen_ai.invoke_agent.duration";
/// `gen_ai.execute_tool.duration`, seconds (genai main).
pub const GEN_AI_EXECUTE_TOOL_DURATION: &str = "gen_ai.execute_tool.duration";
/// `gen_ai.invoke_workflow.duration`, seconds (genai main).
pub const GEN_AI_INVOKE_WORKFLOW_DURATION: &str = "gen_ai.invoke_workflow.duration";
/// `gen_ai.client.operation.time_to_first_chunk`, seconds (streams).
pub const GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.operation.time_to_first_chunk";
/// `gen_ai.client.operation.time_per_output_chunk`, seconds (streams, one value per item
/// after the first).
pub const GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK: &str =
    "gen_ai.client.operation.time_per_output_chunk";
/// `gen_ai.client.inference.time_to_first_chunk` (genai main).
pub const GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.inference.time_to_first_chunk";
/// `gen_ai.client.inference.time_per_output_chunk` (genai main).
pub const GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK: &str =
    "gen_ai.client.inference.time_per_output_chunk";
/// `gen_ai.client.token.usage`, tokens, one point per `gen_ai.token.type` (v1.41; removed
/// in genai main).
pub const GEN_AI_CLIENT_TOKEN_USAGE: &str = "gen_ai.client.token.usage";
/// `gen_ai.client.inference.usage.input_tokens`: a counter of input tokens, per
/// `gen_ai.token.modality` (genai main).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.input_tokens";
/// `gen_ai.client.inference.usage.output_tokens` (counter, genai main).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.output_tokens";
/// `gen_ai.client.inference.usage.cache_read.input_tokens` (counter, genai main).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.cache_read.input_tokens";
/// `gen_ai.client.inference.usage.cache_write.input_tokens` (counter, genai main).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.cache_write.input_tokens";
/// `gen_ai.client.inference.usage.reasoning.output_tokens` (counter, genai main).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_REASONING_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.reasoning.output_tokens";
/// `gen_ai.client.inference.operation.input_tokens`: input tokens per call (histogram,
/// genai main).
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS: &str =
    "gen_ai.client.inference.operation.input_tokens";
/// `gen_ai.client.inference.operation.output_tokens`: output tokens per call (histogram,
/// genai main).
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.operation.output_tokens";
/// `gen_ai.client.embeddings.duration`, seconds (genai main, embeddings calls).
pub const GEN_AI_CLIENT_EMBEDDINGS_DURATION: &str = "gen_ai.client.embeddings.duration";
/// `gen_ai.client.embeddings.operation.input_tokens`: input tokens per embeddings call
/// (histogram, genai main).
pub const GEN_AI_CLIENT_EMBEDDINGS_OPERATION_INPUT_TOKENS: &str =
    "gen_ai.client.embeddings.operation.input_tokens";

/// `gen_ai.token.modality` (genai main, on the usage counters): trace-genai does not split
/// usage by modality and records [`TOKEN_MODALITY_UNKNOWN`].
pub const GEN_AI_TOKEN_MODALITY: &str = "gen_ai.token.modality";
/// `gen_ai.token.modality` value: not known.
pub const TOKEN_MODALITY_UNKNOWN: &str = "unknown";

// ---- what other instrumentation writes -------------------------------------------------
//
// trace-genai never emits these; it recognizes them on spans made by frameworks and other
// crates (through `tracing` or the OpenTelemetry API) to apply its content policy.

/// `gen_ai.prompt`: the prompt of older GenAI conventions (and of rig's agent span), or the
/// prefix of the indexed `gen_ai.prompt.{n}.*` keys (content).
pub const GEN_AI_PROMPT: &str = "gen_ai.prompt";
/// `gen_ai.completion`: the completion of older GenAI conventions, or the prefix of the
/// indexed `gen_ai.completion.{n}.*` keys (content).
pub const GEN_AI_COMPLETION: &str = "gen_ai.completion";
/// `exception.message`: an error's text, which may echo a prompt.
pub const EXCEPTION_MESSAGE: &str = "exception.message";
/// The per-message span events of older GenAI conventions, each carrying content.
pub const LEGACY_CONTENT_EVENTS: [&str; 7] = [
    "gen_ai.system.message",
    "gen_ai.user.message",
    "gen_ai.assistant.message",
    "gen_ai.tool.message",
    "gen_ai.choice",
    "gen_ai.content.prompt",
    "gen_ai.content.completion",
];

/// The instrumentation scope of the spans the `tracing` bridge
/// ([`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer)) records: `tracing`
/// spans of the application and its frameworks, which trace-genai's GenAI span processor
/// normalizes as it does other instrumentation's.
pub const TRACING_BRIDGE_SCOPE: &str = "trace-genai.tracing";

/// Whether `OTEL_SEMCONV_STABILITY_OPT_IN` asked for `gen_ai_latest_experimental`: the
/// genai-main names replace the v1.41 ones where they differ
/// (`gen_ai.usage.cache_write.input_tokens`, and the per-operation duration metrics).
#[must_use]
pub fn latest_experimental() -> bool {
    crate::global::LATEST_EXPERIMENTAL.load(std::sync::atomic::Ordering::Relaxed)
}

/// Renames and retypes a span's start attributes for the genai-main conventions:
/// `gen_ai.request.top_k` becomes an int, and a workflow's `gen_ai.workflow.name` becomes
/// `gen_ai.agent.name` (a workflow is an in-process agent in semantic-conventions-genai
/// v0.1.0, which replaced the workflow name); the span is then named `invoke_workflow`
/// (`instrument::span`), as the span-name rule (and OpenTelemetry's conformance harness)
/// names an `invoke_workflow` span by `gen_ai.workflow.name` and by nothing else. Out of
/// line: only with `gen_ai_latest_experimental`.
#[cold]
#[inline(never)]
pub(crate) fn to_latest(
    operation: Option<crate::genai::operation::Operation>,
    attributes: &mut [opentelemetry::KeyValue],
) {
    use opentelemetry::{Key, Value};
    for kv in attributes {
        match (kv.key.as_str(), &kv.value) {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "top_k is a small whole number; a fraction is cut"
            )]
            (GEN_AI_REQUEST_TOP_K, Value::F64(top_k)) => kv.value = Value::I64(*top_k as i64),
            (GEN_AI_WORKFLOW_NAME, _)
                if operation == Some(crate::genai::operation::Operation::InvokeWorkflow) =>
            {
                kv.key = Key::from_static_str(GEN_AI_AGENT_NAME);
            }
            _ => {}
        }
    }
}

pub(crate) fn set_latest_experimental(latest: bool) {
    crate::global::LATEST_EXPERIMENTAL.store(latest, std::sync::atomic::Ordering::Relaxed);
    if latest {
        crate::global::START_EXTRA.fetch_or(
            crate::global::START_LATEST,
            std::sync::atomic::Ordering::Relaxed,
        );
    } else {
        crate::global::START_EXTRA.fetch_and(
            !crate::global::START_LATEST,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// Every key trace-genai emits, for documentation and for the test that pins them.
pub const ALL_KEYS: &[&str] = &[
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_REQUEST_TOP_K,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_FREQUENCY_PENALTY,
    GEN_AI_REQUEST_PRESENCE_PENALTY,
    GEN_AI_REQUEST_CHOICE_COUNT,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_OUTPUT_TYPE,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_AGENT_ID,
    GEN_AI_AGENT_NAME,
    GEN_AI_AGENT_DESCRIPTION,
    GEN_AI_AGENT_VERSION,
    GEN_AI_WORKFLOW_NAME,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_TYPE,
    GEN_AI_TOOL_DESCRIPTION,
    GEN_AI_DATA_SOURCE_ID,
    GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    GEN_AI_REQUEST_ENCODING_FORMATS,
    GEN_AI_PROMPT_NAME,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_RETRIEVAL_QUERY_TEXT,
    GEN_AI_RETRIEVAL_DOCUMENTS,
    GEN_AI_EVALUATION_SCORE,
    GEN_AI_EVALUATION_NAME,
    GEN_AI_EVALUATION_SCORE_VALUE,
    GEN_AI_EVALUATION_SCORE_LABEL,
    GEN_AI_EVALUATION_EXPLANATION,
    GEN_AI_TOKEN_TYPE,
    GEN_AI_TOKEN_MODALITY,
    SERVER_ADDRESS,
    SERVER_PORT,
    ERROR_TYPE,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Renaming a key is a deliberate change: this list must be edited with it.
    #[test]
    fn keys_are_pinned() {
        assert_eq!(
            ALL_KEYS,
            [
                "gen_ai.operation.name",
                "gen_ai.provider.name",
                "gen_ai.request.model",
                "gen_ai.request.temperature",
                "gen_ai.request.top_p",
                "gen_ai.request.top_k",
                "gen_ai.request.max_tokens",
                "gen_ai.request.seed",
                "gen_ai.request.stop_sequences",
                "gen_ai.request.frequency_penalty",
                "gen_ai.request.presence_penalty",
                "gen_ai.request.choice.count",
                "gen_ai.request.stream",
                "gen_ai.output.type",
                "gen_ai.conversation.id",
                "gen_ai.agent.id",
                "gen_ai.agent.name",
                "gen_ai.agent.description",
                "gen_ai.agent.version",
                "gen_ai.workflow.name",
                "gen_ai.tool.name",
                "gen_ai.tool.call.id",
                "gen_ai.tool.type",
                "gen_ai.tool.description",
                "gen_ai.data_source.id",
                "gen_ai.embeddings.dimension.count",
                "gen_ai.request.encoding_formats",
                "gen_ai.prompt.name",
                "gen_ai.response.id",
                "gen_ai.response.model",
                "gen_ai.response.finish_reasons",
                "gen_ai.response.time_to_first_chunk",
                "gen_ai.usage.input_tokens",
                "gen_ai.usage.output_tokens",
                "gen_ai.usage.cache_read.input_tokens",
                "gen_ai.usage.cache_creation.input_tokens",
                "gen_ai.usage.cache_write.input_tokens",
                "gen_ai.usage.reasoning.output_tokens",
                "gen_ai.input.messages",
                "gen_ai.output.messages",
                "gen_ai.system_instructions",
                "gen_ai.tool.definitions",
                "gen_ai.tool.call.arguments",
                "gen_ai.tool.call.result",
                "gen_ai.retrieval.query.text",
                "gen_ai.retrieval.documents",
                "gen_ai.evaluation.score",
                "gen_ai.evaluation.name",
                "gen_ai.evaluation.score.value",
                "gen_ai.evaluation.score.label",
                "gen_ai.evaluation.explanation",
                "gen_ai.token.type",
                "gen_ai.token.modality",
                "server.address",
                "server.port",
                "error.type",
            ]
        );
    }
}
