//! GenAI operations: the value of `gen_ai.operation.name`, with the span name and kind
//! the conventions give each one.

use opentelemetry::trace::SpanKind;

/// A GenAI operation, as named by `gen_ai.operation.name`.
///
/// Each operation decides the span name (`"{operation} {subject}"`, where the subject is
/// the model, tool, agent, workflow or data source) and the default span kind, following
/// the GenAI semantic conventions v1.41.
///
/// | operation | span name | default kind |
/// |---|---|---|
/// | `chat`, `text_completion`, `generate_content` | `{operation} {model}` | `Client` |
/// | `embeddings` | `embeddings {model}` | `Client` |
/// | `retrieval` | `retrieval {data_source}` | `Client` |
/// | `execute_tool` | `execute_tool {tool}` | `Internal` |
/// | `create_agent` | `create_agent {agent}` | `Client` |
/// | `invoke_agent` | `invoke_agent {agent}` | `Internal` (an in-process agent; use `kind = client` for a remote one) |
/// | `invoke_workflow` | `invoke_workflow {workflow}` | `Internal` |
///
/// When the subject is missing or empty, the span is named after the bare operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `chat`: a chat completion.
    Chat,
    /// `text_completion`: a legacy text completion.
    TextCompletion,
    /// `generate_content`: a multimodal content generation.
    GenerateContent,
    /// `embeddings`: an embeddings request.
    Embeddings,
    /// `retrieval`: a retrieval from a data source.
    Retrieval,
    /// `execute_tool`: a tool (function) execution.
    ExecuteTool,
    /// `create_agent`: the creation of an agent.
    CreateAgent,
    /// `invoke_agent`: an agent invocation.
    InvokeAgent,
    /// `invoke_workflow`: a workflow grouping several agent calls.
    InvokeWorkflow,
}

impl Operation {
    /// Every operation, in the order of the table above.
    pub const ALL: [Operation; 9] = [
        Operation::Chat,
        Operation::TextCompletion,
        Operation::GenerateContent,
        Operation::Embeddings,
        Operation::Retrieval,
        Operation::ExecuteTool,
        Operation::CreateAgent,
        Operation::InvokeAgent,
        Operation::InvokeWorkflow,
    ];

    /// The value of `gen_ai.operation.name`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::TextCompletion => "text_completion",
            Operation::GenerateContent => "generate_content",
            Operation::Embeddings => "embeddings",
            Operation::Retrieval => "retrieval",
            Operation::ExecuteTool => "execute_tool",
            Operation::CreateAgent => "create_agent",
            Operation::InvokeAgent => "invoke_agent",
            Operation::InvokeWorkflow => "invoke_workflow",
        }
    }

    /// Whether this is an inference operation of the conventions (`chat`,
    /// `text_completion`, `generate_content`): a model call whose content the
    /// `gen_ai.client.inference.operation.details` event carries.
    #[must_use]
    pub const fn is_inference(self) -> bool {
        matches!(
            self,
            Operation::Chat | Operation::TextCompletion | Operation::GenerateContent
        )
    }

    /// The span kind the conventions give this operation.
    #[must_use]
    pub const fn default_kind(self) -> SpanKind {
        match self {
            Operation::Chat
            | Operation::TextCompletion
            | Operation::GenerateContent
            | Operation::Embeddings
            | Operation::Retrieval
            | Operation::CreateAgent => SpanKind::Client,
            Operation::ExecuteTool | Operation::InvokeAgent | Operation::InvokeWorkflow => {
                SpanKind::Internal
            }
        }
    }
}

impl core::fmt::Display for Operation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
