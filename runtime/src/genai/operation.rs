//! GenAI operations: the value of `gen_ai.operation.name`, with the span name and kind
//! the conventions give each one.

use opentelemetry::trace::SpanKind;

use crate::semconv;

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
macro_rules! operation_enum {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal,
            subject: $subject:ident, kind: $kind:ident, inference: $inference:literal, output: $output:ident;
    )*) => {
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
            $($(#[$doc])* $variant,)*
        }

        impl Operation {
            /// Every operation, in the order of the table above.
            pub const ALL: [Operation; [$($name),*].len()] = [$(Operation::$variant),*];

            /// The value of `gen_ai.operation.name`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }

            /// The operation whose `gen_ai.operation.name` is `name`, if it is one of the
            /// conventions'.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $($name => Some(Operation::$variant),)*
                    _ => None,
                }
            }

            /// Whether this is an inference operation of the conventions (`chat`,
            /// `text_completion`, `generate_content`): a model call whose content the
            /// `gen_ai.client.inference.operation.details` event carries.
            #[must_use]
            pub const fn is_inference(self) -> bool {
                match self {
                    $(Operation::$variant => $inference,)*
                }
            }

            /// The span kind the conventions give this operation.
            #[must_use]
            pub const fn default_kind(self) -> SpanKind {
                match self {
                    $(Operation::$variant => SpanKind::$kind,)*
                }
            }

            /// The attribute whose value completes the span name (`gen_ai.request.model` for
            /// `chat`, `gen_ai.tool.name` for `execute_tool`, …).
            #[must_use]
            pub const fn subject_key(self) -> &'static str {
                match self {
                    $(Operation::$variant => semconv::$subject,)*
                }
            }

            /// The attribute the operation's result is recorded into, as content
            /// (`gen_ai.output.messages`, `gen_ai.tool.call.result` or
            /// `gen_ai.retrieval.documents`).
            #[must_use]
            pub const fn output_key(self) -> &'static str {
                match self {
                    $(Operation::$variant => semconv::$output,)*
                }
            }
        }
    };
}

trace_genai_vocabulary::with_operations!(operation_enum);

impl core::fmt::Display for Operation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
