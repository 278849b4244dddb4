//! The GenAI operations of the OpenTelemetry GenAI semantic conventions, listed once for
//! both `trace-genai` (its public `Operation` enum) and `trace-genai-macros` (what
//! `#[trace_genai(...)]` accepts and how it names the span).
//!
//! The list is a `macro_rules!` callback rather than data so that each crate builds its
//! own `enum` from it: the runtime's is public and documented, the macro's is private, and
//! neither crate depends on the other's types. Use it through `trace-genai`.

#![no_std]

/// Calls `$then! { … }` with every GenAI operation, one entry each:
///
/// ```text
/// #[doc = "…"] Variant = "name", subject: SEMCONV_KEY, kind: SpanKindVariant,
///     inference: bool, output: SEMCONV_KEY;
/// ```
///
/// - `name`: the value of `gen_ai.operation.name`;
/// - `subject`: the `semconv` constant whose value completes the span name
///   (`"{name} {subject}"`);
/// - `kind`: the `SpanKind` the conventions give the operation;
/// - `inference`: whether it is a model call whose content the
///   `gen_ai.client.inference.operation.details` event carries;
/// - `output`: the `semconv` constant the operation's return value is recorded into.
///
/// ```
/// macro_rules! names {
///     ($(
///         $(#[$doc:meta])* $variant:ident = $name:literal, subject: $subject:ident,
///         kind: $kind:ident, inference: $inference:literal, output: $output:ident;
///     )*) => {
///         [$($name),*]
///     };
/// }
/// let names = trace_genai_vocabulary::with_operations!(names);
/// assert_eq!(names[0], "chat");
/// assert_eq!(names.len(), 9);
/// ```
#[macro_export]
macro_rules! with_operations {
    ($then:ident) => {
        $then! {
            #[doc = "`chat`: a chat completion."]
            Chat = "chat", subject: GEN_AI_REQUEST_MODEL, kind: Client,
                inference: true, output: GEN_AI_OUTPUT_MESSAGES;
            #[doc = "`text_completion`: a legacy text completion."]
            TextCompletion = "text_completion", subject: GEN_AI_REQUEST_MODEL, kind: Client,
                inference: true, output: GEN_AI_OUTPUT_MESSAGES;
            #[doc = "`generate_content`: a multimodal content generation."]
            GenerateContent = "generate_content", subject: GEN_AI_REQUEST_MODEL, kind: Client,
                inference: true, output: GEN_AI_OUTPUT_MESSAGES;
            #[doc = "`embeddings`: an embeddings request."]
            Embeddings = "embeddings", subject: GEN_AI_REQUEST_MODEL, kind: Client,
                inference: false, output: GEN_AI_OUTPUT_MESSAGES;
            #[doc = "`retrieval`: a retrieval from a data source."]
            Retrieval = "retrieval", subject: GEN_AI_DATA_SOURCE_ID, kind: Client,
                inference: false, output: GEN_AI_RETRIEVAL_DOCUMENTS;
            #[doc = "`execute_tool`: a tool (function) execution."]
            ExecuteTool = "execute_tool", subject: GEN_AI_TOOL_NAME, kind: Internal,
                inference: false, output: GEN_AI_TOOL_CALL_RESULT;
            #[doc = "`create_agent`: the creation of an agent."]
            CreateAgent = "create_agent", subject: GEN_AI_AGENT_NAME, kind: Client,
                inference: false, output: GEN_AI_OUTPUT_MESSAGES;
            #[doc = "`invoke_agent`: an agent invocation."]
            InvokeAgent = "invoke_agent", subject: GEN_AI_AGENT_NAME, kind: Internal,
                inference: false, output: GEN_AI_OUTPUT_MESSAGES;
            #[doc = "`invoke_workflow`: a workflow grouping several agent calls."]
            InvokeWorkflow = "invoke_workflow", subject: GEN_AI_WORKFLOW_NAME, kind: Internal,
                inference: false, output: GEN_AI_OUTPUT_MESSAGES;
        }
    };
}
