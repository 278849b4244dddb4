//! What `capture(...)` accepts: the traits that turn a value into message content, and
//! their implementations for the message types, strings and requests.

use std::borrow::Cow;

use super::{ChatMessage, OutputMessage, Part, Role, ToolDefinition};

/// A value that can be recorded as `gen_ai.input.messages`: `capture(messages = …)`.
///
/// Implemented for [`ChatMessage`] slices, `Vec`s and single messages, for `str` and
/// `String` (one user text message), and for `Option`s and references of those.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be captured as `gen_ai.input.messages`",
    label = "expected chat messages, e.g. `Vec<trace_genai::message::ChatMessage>` or a `&str` prompt",
    note = "implement `trace_genai::message::InputMessages` for your message type"
)]
pub trait InputMessages {
    /// The messages, in the order they are sent.
    fn input_messages(&self) -> Cow<'_, [ChatMessage]>;
}

/// A value that can be recorded as `gen_ai.system_instructions`: `capture(system = …)`.
///
/// Implemented for `str` and `String` (one text part), [`Part`] slices and `Vec`s, and
/// `Option`s and references of those.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be captured as `gen_ai.system_instructions`",
    label = "expected instructions, e.g. a `&str` or `Vec<trace_genai::message::Part>`",
    note = "implement `trace_genai::message::SystemInstructions` for your type"
)]
pub trait SystemInstructions {
    /// The instruction parts.
    fn system_instructions(&self) -> Cow<'_, [Part]>;
}

/// A value that can be recorded as `gen_ai.tool.definitions`: `capture(tools = …)`.
///
/// Implemented for [`ToolDefinition`] slices and `Vec`s, and `Option`s and references.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be captured as `gen_ai.tool.definitions`",
    label = "expected tool definitions, e.g. `Vec<trace_genai::message::ToolDefinition>`",
    note = "implement `trace_genai::message::ToolDefinitions` for your type"
)]
pub trait ToolDefinitions {
    /// The tool definitions.
    fn tool_definitions(&self) -> Cow<'_, [ToolDefinition]>;
}

/// A return value that can be recorded as `gen_ai.output.messages`: `capture(output)`.
///
/// Implemented for [`OutputMessage`] slices, `Vec`s and single messages, for `String`
/// and `str` (one assistant text message, recorded with `finish_reason` `stop`), for
/// `Result<T, E>` (the `Ok` value; nothing for `Err`), and for `Option`s and references.
#[diagnostic::on_unimplemented(
    message = "the return type `{Self}` cannot be captured as `gen_ai.output.messages`",
    label = "`capture(output)` needs a return type that reports output messages",
    note = "implement `trace_genai::message::OutputMessages` for the response type"
)]
pub trait OutputMessages {
    /// The output messages, one per choice.
    fn output_messages(&self) -> Cow<'_, [OutputMessage]>;
}

/// A request type that reports its parameters and content: `request = …` in
/// `#[trace_genai]` records its model and parameters, and `capture(request)` its messages,
/// system instructions and tool definitions.
///
/// Every method has a default that reports nothing.
pub trait GenAiRequest {
    /// `gen_ai.request.model`.
    fn request_model(&self) -> Option<&str> {
        None
    }

    /// The sampling parameters.
    fn request_parameters(&self) -> RequestParameters {
        RequestParameters::default()
    }

    /// The messages sent, in order (system messages of the history included).
    fn input_messages(&self) -> Vec<ChatMessage> {
        Vec::new()
    }

    /// Instructions given apart from the messages.
    fn system_instructions(&self) -> Vec<Part> {
        Vec::new()
    }

    /// The tools offered to the model.
    fn tool_definitions(&self) -> Vec<ToolDefinition> {
        Vec::new()
    }
}

/// The request parameters a [`GenAiRequest`] reports; `None` is not recorded.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RequestParameters {
    /// `gen_ai.request.temperature`.
    pub temperature: Option<f64>,
    /// `gen_ai.request.top_p`.
    pub top_p: Option<f64>,
    /// `gen_ai.request.top_k`.
    pub top_k: Option<f64>,
    /// `gen_ai.request.max_tokens`.
    pub max_tokens: Option<i64>,
    /// `gen_ai.request.seed`.
    pub seed: Option<i64>,
    /// `gen_ai.request.frequency_penalty`.
    pub frequency_penalty: Option<f64>,
    /// `gen_ai.request.presence_penalty`.
    pub presence_penalty: Option<f64>,
    /// `gen_ai.request.stop_sequences`.
    pub stop_sequences: Vec<String>,
    /// `gen_ai.request.choice.count` (recorded only when not 1).
    pub choice_count: Option<i64>,
    /// `gen_ai.request.stream` (recorded only when `true`).
    pub stream: Option<bool>,
    /// `gen_ai.output.type` (`text`, `json`, `image`, `speech`).
    pub output_type: Option<&'static str>,
    /// `gen_ai.request.encoding_formats` of an embeddings call (`float`, `base64`).
    pub encoding_formats: Vec<&'static str>,
    /// `gen_ai.embeddings.dimension.count`: the dimensions asked of an embeddings call.
    pub dimension_count: Option<i64>,
}

// ---- conversions ----------------------------------------------------------------------

impl InputMessages for [ChatMessage] {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        Cow::Borrowed(self)
    }
}

impl<const N: usize> InputMessages for [ChatMessage; N] {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        Cow::Borrowed(self)
    }
}

impl InputMessages for Vec<ChatMessage> {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        Cow::Borrowed(self)
    }
}

impl InputMessages for ChatMessage {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        Cow::Borrowed(std::slice::from_ref(self))
    }
}

/// Plain text is one user message. Text longer than the content budget
/// ([`content_max_length`](crate::content_max_length)) is cut as it is copied, as it would
/// be when recorded.
impl InputMessages for str {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        Cow::Owned(vec![ChatMessage::user(crate::genai::content::capped(self))])
    }
}

impl InputMessages for String {
    fn input_messages(&self) -> Cow<'_, [ChatMessage]> {
        self.as_str().input_messages()
    }
}

/// Plain text is one text part, cut to the content budget as it is copied.
impl SystemInstructions for str {
    fn system_instructions(&self) -> Cow<'_, [Part]> {
        Cow::Owned(vec![Part::text(crate::genai::content::capped(self))])
    }
}

impl SystemInstructions for String {
    fn system_instructions(&self) -> Cow<'_, [Part]> {
        self.as_str().system_instructions()
    }
}

impl SystemInstructions for [Part] {
    fn system_instructions(&self) -> Cow<'_, [Part]> {
        Cow::Borrowed(self)
    }
}

impl SystemInstructions for Vec<Part> {
    fn system_instructions(&self) -> Cow<'_, [Part]> {
        Cow::Borrowed(self)
    }
}

impl ToolDefinitions for [ToolDefinition] {
    fn tool_definitions(&self) -> Cow<'_, [ToolDefinition]> {
        Cow::Borrowed(self)
    }
}

impl<const N: usize> ToolDefinitions for [ToolDefinition; N] {
    fn tool_definitions(&self) -> Cow<'_, [ToolDefinition]> {
        Cow::Borrowed(self)
    }
}

impl ToolDefinitions for Vec<ToolDefinition> {
    fn tool_definitions(&self) -> Cow<'_, [ToolDefinition]> {
        Cow::Borrowed(self)
    }
}

impl OutputMessages for [OutputMessage] {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Borrowed(self)
    }
}

impl OutputMessages for Vec<OutputMessage> {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Borrowed(self)
    }
}

impl OutputMessages for OutputMessage {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Borrowed(std::slice::from_ref(self))
    }
}

impl OutputMessages for str {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Owned(vec![OutputMessage::new(
            Role::Assistant,
            vec![Part::text(self)],
            None,
        )])
    }
}

impl OutputMessages for String {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        self.as_str().output_messages()
    }
}

impl<T: OutputMessages, E> OutputMessages for Result<T, E> {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        match self {
            Ok(value) => value.output_messages(),
            Err(_) => Cow::Borrowed(&[]),
        }
    }
}

/// `Option`s (nothing for `None`) and smart pointers forward to the value.
macro_rules! forward {
    ($trait:ident :: $method:ident -> $item:ty) => {
        impl<T: $trait + ?Sized> $trait for &T {
            fn $method(&self) -> Cow<'_, [$item]> {
                (**self).$method()
            }
        }
        impl<T: $trait + ?Sized> $trait for Box<T> {
            fn $method(&self) -> Cow<'_, [$item]> {
                (**self).$method()
            }
        }
        impl<T: $trait + ?Sized> $trait for std::sync::Arc<T> {
            fn $method(&self) -> Cow<'_, [$item]> {
                (**self).$method()
            }
        }
        impl<T: $trait> $trait for Option<T> {
            fn $method(&self) -> Cow<'_, [$item]> {
                match self {
                    Some(value) => value.$method(),
                    None => Cow::Borrowed(&[]),
                }
            }
        }
    };
}

forward!(InputMessages::input_messages -> ChatMessage);
forward!(SystemInstructions::system_instructions -> Part);
forward!(ToolDefinitions::tool_definitions -> ToolDefinition);
forward!(OutputMessages::output_messages -> OutputMessage);

impl<T: GenAiRequest + ?Sized> GenAiRequest for &T {
    fn request_model(&self) -> Option<&str> {
        (**self).request_model()
    }
    fn request_parameters(&self) -> RequestParameters {
        (**self).request_parameters()
    }
    fn input_messages(&self) -> Vec<ChatMessage> {
        (**self).input_messages()
    }
    fn system_instructions(&self) -> Vec<Part> {
        (**self).system_instructions()
    }
    fn tool_definitions(&self) -> Vec<ToolDefinition> {
        (**self).tool_definitions()
    }
}
