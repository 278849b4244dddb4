//! The words `#[trace_genai(...)]` understands: operations, GenAI keys, span kinds,
//! capture slots, content policies and the other argument names.
//!
//! This is the only place in the macro crate that spells them. Each entry names the item
//! of the runtime it maps to (a constant of `trace_genai::semconv`, a variant of
//! `trace_genai::Operation`, `SpanKind` or `ContentCapture`), so the expansion never
//! repeats a runtime name as a loose string; the runtime's `semconv` module is the
//! reference for the keys.

use std::fmt::Write as _;

/// The type a key's value is recorded as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ValueType {
    /// A string.
    Str,
    /// A float.
    F64,
    /// An integer.
    I64,
    /// A list of strings.
    StrArray,
    /// An int recorded only when it is not 1.
    ChoiceCount,
}

impl ValueType {
    /// What a value of this type looks like, for error messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            ValueType::Str => "a string, e.g. `\"gpt-4o\"` or `req.model.as_str()`",
            ValueType::F64 => "a number, e.g. `0.7` or `req.temperature`",
            ValueType::I64 | ValueType::ChoiceCount => "an integer, e.g. `256` or `req.max_tokens`",
            ValueType::StrArray => "a list of strings, e.g. `[\"END\"]` or `&req.stop`",
        }
    }
}

/// A GenAI attribute the macro knows, with the semconv constant it maps to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct KeySpec {
    /// The key as written in the attribute.
    pub(crate) name: &'static str,
    /// The constant in the runtime's `semconv` module.
    pub(crate) semconv: &'static str,
    /// How its value is recorded.
    pub(crate) ty: ValueType,
}

macro_rules! keys {
    ($($constant:ident: $name:literal => $semconv:ident: $ty:ident,)*) => {
        $(
            #[doc = concat!("`", $name, " = …`: `semconv::", stringify!($semconv), "`.")]
            pub(crate) const $constant: &KeySpec = &KeySpec {
                name: $name,
                semconv: stringify!($semconv),
                ty: ValueType::$ty,
            };
        )*
        /// Every key, in the order attributes are recorded (sampling-relevant first).
        pub(crate) const KEYS: &[&KeySpec] = &[$($constant,)*];
    };
}

keys! {
    PROVIDER: "provider" => GEN_AI_PROVIDER_NAME: Str,
    MODEL: "model" => GEN_AI_REQUEST_MODEL: Str,
    SERVER_ADDRESS: "server_address" => SERVER_ADDRESS: Str,
    SERVER_PORT: "server_port" => SERVER_PORT: I64,
    AGENT: "agent" => GEN_AI_AGENT_NAME: Str,
    TOOL: "tool" => GEN_AI_TOOL_NAME: Str,
    WORKFLOW: "workflow" => GEN_AI_WORKFLOW_NAME: Str,
    DATA_SOURCE: "data_source" => GEN_AI_DATA_SOURCE_ID: Str,
    AGENT_ID: "agent_id" => GEN_AI_AGENT_ID: Str,
    AGENT_DESCRIPTION: "agent_description" => GEN_AI_AGENT_DESCRIPTION: Str,
    AGENT_VERSION: "agent_version" => GEN_AI_AGENT_VERSION: Str,
    TOOL_CALL_ID: "tool_call_id" => GEN_AI_TOOL_CALL_ID: Str,
    TOOL_TYPE: "tool_type" => GEN_AI_TOOL_TYPE: Str,
    TOOL_DESCRIPTION: "tool_description" => GEN_AI_TOOL_DESCRIPTION: Str,
    CONVERSATION_ID: "conversation_id" => GEN_AI_CONVERSATION_ID: Str,
    OUTPUT_TYPE: "output_type" => GEN_AI_OUTPUT_TYPE: Str,
    PROMPT_NAME: "prompt_name" => GEN_AI_PROMPT_NAME: Str,
    TEMPERATURE: "temperature" => GEN_AI_REQUEST_TEMPERATURE: F64,
    TOP_P: "top_p" => GEN_AI_REQUEST_TOP_P: F64,
    TOP_K: "top_k" => GEN_AI_REQUEST_TOP_K: F64,
    MAX_TOKENS: "max_tokens" => GEN_AI_REQUEST_MAX_TOKENS: I64,
    SEED: "seed" => GEN_AI_REQUEST_SEED: I64,
    STOP_SEQUENCES: "stop_sequences" => GEN_AI_REQUEST_STOP_SEQUENCES: StrArray,
    FREQUENCY_PENALTY: "frequency_penalty" => GEN_AI_REQUEST_FREQUENCY_PENALTY: F64,
    PRESENCE_PENALTY: "presence_penalty" => GEN_AI_REQUEST_PRESENCE_PENALTY: F64,
    CHOICE_COUNT: "choice_count" => GEN_AI_REQUEST_CHOICE_COUNT: ChoiceCount,
    DIMENSION_COUNT: "dimension_count" => GEN_AI_EMBEDDINGS_DIMENSION_COUNT: I64,
    ENCODING_FORMATS: "encoding_formats" => GEN_AI_REQUEST_ENCODING_FORMATS: StrArray,
}

/// The `semconv` constant of `gen_ai.operation.name`.
pub(crate) const OPERATION_NAME_KEY: &str = "GEN_AI_OPERATION_NAME";

macro_rules! operation_enum {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal,
            subject: $subject:ident, kind: $kind:ident, inference: $inference:literal, output: $output:ident;
    )*) => {
        /// A GenAI operation: a variant of the runtime's `Operation`, from the list the two
        /// crates share (`trace_genai_vocabulary::with_operations!`).
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum Operation {
            $($(#[$doc])* $variant,)*
        }

        impl Operation {
            /// Every operation, in the order of the runtime's `Operation::ALL`.
            pub(crate) const ALL: &[Operation] = &[$(Operation::$variant),*];

            /// The operation as written in the attribute (the value of `gen_ai.operation.name`).
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }

            /// The variant of the runtime's `Operation`.
            pub(crate) fn variant(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($variant),)*
                }
            }

            /// The `semconv` constant of the key whose value completes the span name
            /// (`chat {model}`).
            fn subject_constant(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($subject),)*
                }
            }

            /// The `semconv` constant the operation's return value is recorded into.
            fn output_constant(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($output),)*
                }
            }
        }
    };
}

trace_genai_vocabulary::with_operations!(operation_enum);

impl Operation {
    /// The key whose value completes the span name (`chat {model}`).
    pub(crate) fn subject(self) -> &'static KeySpec {
        let constant = self.subject_constant();
        KEYS.iter()
            .copied()
            .find(|key| key.semconv == constant)
            .unwrap_or(MODEL)
    }

    /// The `semconv` constant `capture(output)` records into, when it is not the output
    /// messages.
    pub(crate) fn output_key(self) -> Option<&'static str> {
        Some(self.output_constant()).filter(|constant| *constant != "GEN_AI_OUTPUT_MESSAGES")
    }

    /// The operation written as `word`.
    pub(crate) fn find(word: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == word)
    }

    /// Every operation name.
    pub(crate) fn names() -> impl Iterator<Item = &'static str> {
        Operation::ALL.iter().map(|op| op.name())
    }
}

/// `kind = …` values and the `SpanKind` variants they select.
pub(crate) const KINDS: &[(&str, &str)] = &[
    ("client", "Client"),
    ("server", "Server"),
    ("internal", "Internal"),
    ("producer", "Producer"),
    ("consumer", "Consumer"),
];

/// `content = "…"` values and the `ContentCapture` variants they select.
pub(crate) const CONTENT_POLICIES: &[(&str, &str)] = &[
    ("no_content", "NoContent"),
    ("span_only", "SpanOnly"),
    ("event_only", "EventOnly"),
    ("span_and_event", "SpanAndEvent"),
];

/// What a `capture(...)` entry records.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Slot {
    /// `gen_ai.input.messages`.
    Messages,
    /// `gen_ai.system_instructions`.
    System,
    /// `gen_ai.tool.definitions`.
    Tools,
    /// Messages, instructions and tools of a `GenAiRequest`.
    Request,
    /// `gen_ai.tool.call.arguments`.
    Arguments,
    /// `gen_ai.retrieval.query.text`.
    Query,
    /// The return value: output messages, a tool's result, or retrieved documents.
    Output,
}

impl Slot {
    /// The runtime's `Captured` method that records an input slot; `None` for the output.
    pub(crate) fn input_method(self) -> Option<&'static str> {
        match self {
            Slot::Messages => Some("input_messages"),
            Slot::System => Some("system_instructions"),
            Slot::Tools => Some("tool_definitions"),
            Slot::Request => Some("request"),
            Slot::Arguments => Some("tool_call_arguments"),
            Slot::Query => Some("retrieval_query"),
            Slot::Output => None,
        }
    }
}

/// A `capture(...)` entry name.
#[derive(Debug)]
pub(crate) struct CaptureName {
    /// As written.
    pub(crate) name: &'static str,
    /// What it records.
    pub(crate) slot: Slot,
    /// The operation it is limited to.
    pub(crate) only: Option<Operation>,
}

/// Every `capture(...)` entry name.
pub(crate) const CAPTURE_NAMES: &[CaptureName] = &[
    CaptureName {
        name: "messages",
        slot: Slot::Messages,
        only: None,
    },
    CaptureName {
        name: "system",
        slot: Slot::System,
        only: None,
    },
    CaptureName {
        name: "tools",
        slot: Slot::Tools,
        only: None,
    },
    CaptureName {
        name: "request",
        slot: Slot::Request,
        only: None,
    },
    CaptureName {
        name: "arguments",
        slot: Slot::Arguments,
        only: Some(Operation::ExecuteTool),
    },
    CaptureName {
        name: "query",
        slot: Slot::Query,
        only: Some(Operation::Retrieval),
    },
    CaptureName {
        name: "output",
        slot: Slot::Output,
        only: None,
    },
    CaptureName {
        name: "result",
        slot: Slot::Output,
        only: Some(Operation::ExecuteTool),
    },
    CaptureName {
        name: "documents",
        slot: Slot::Output,
        only: Some(Operation::Retrieval),
    },
];

/// The arguments that are not GenAI keys or operations.
pub(crate) mod argument {
    /// `name = "…"`.
    pub(crate) const NAME: &str = "name";
    /// `kind = …`.
    pub(crate) const KIND: &str = "kind";
    /// `fields(…)`.
    pub(crate) const FIELDS: &str = "fields";
    /// `capture(…)`.
    pub(crate) const CAPTURE: &str = "capture";
    /// `request = …`.
    pub(crate) const REQUEST: &str = "request";
    /// `content = "…"`.
    pub(crate) const CONTENT: &str = "content";
    /// `stream`.
    pub(crate) const STREAM: &str = "stream";
    /// `crate = path`.
    pub(crate) const CRATE: &str = "crate";

    /// All of them, for suggestions.
    pub(crate) const ALL: &[&str] = &[NAME, KIND, FIELDS, CRATE, REQUEST, CONTENT, CAPTURE, STREAM];
}

/// `" (did you mean `model`?)"` when a known name is at most two edits away.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// "`a`, `b`, `c`".
pub(crate) fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{item}`");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_near_misses() {
        assert_eq!(edit_distance("modle", "model"), 2);
        assert_eq!(
            did_you_mean("modle", KEYS.iter().map(|k| k.name)),
            " (did you mean `model`?)"
        );
        assert_eq!(did_you_mean("zzzzzz", KEYS.iter().map(|k| k.name)), "");
        assert_eq!(
            did_you_mean("chatt", Operation::names()),
            " (did you mean `chat`?)"
        );
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = KEYS
            .iter()
            .map(|key| key.name)
            .chain(Operation::names())
            .chain(argument::ALL.iter().copied())
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn every_operation_has_its_subject_key() {
        for &operation in Operation::ALL {
            assert!(
                KEYS.iter()
                    .any(|key| key.semconv == operation.subject_constant()),
                "{operation:?}: no key maps to {}",
                operation.subject_constant()
            );
            assert_eq!(Operation::find(operation.name()), Some(operation));
        }
    }
}
