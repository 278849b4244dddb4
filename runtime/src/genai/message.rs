//! Message, part and tool-definition types that serialize to the JSON schemas of the GenAI
//! conventions (`gen_ai.input.messages`, `gen_ai.output.messages`,
//! `gen_ai.system_instructions`, `gen_ai.tool.definitions`).
//!
//! Applications without message types of their own can use these directly; applications
//! with their own types implement [`InputMessages`], [`OutputMessages`],
//! [`SystemInstructions`] or [`ToolDefinitions`] to convert. Conversions run only when
//! content recording is on.
//!
//! ```
//! use trace_genai::message::{ChatMessage, OutputMessage, Part};
//!
//! let input = vec![
//!     ChatMessage::user("Weather in Paris?"),
//!     ChatMessage::assistant_parts(vec![Part::tool_call(
//!         "call_1",
//!         "get_weather",
//!         serde_json::json!({ "location": "Paris" }),
//!     )]),
//!     ChatMessage::tool_response("call_1", "rainy, 57°F"),
//! ];
//! assert_eq!(
//!     serde_json::to_string(&input).unwrap(),
//!     r#"[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]},{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"location":"Paris"}}]},{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"rainy, 57°F"}]}]"#
//! );
//!
//! let output = [OutputMessage::assistant("It's rainy.", "stop")];
//! assert_eq!(
//!     serde_json::to_string(&output).unwrap(),
//!     r#"[{"role":"assistant","parts":[{"type":"text","content":"It's rainy."}],"finish_reason":"stop"}]"#
//! );
//! ```

use std::borrow::Cow;

use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

mod capture;

pub use capture::{
    GenAiRequest, InputMessages, OutputMessages, RequestParameters, SystemInstructions,
    ToolDefinitions,
};

/// The role of a message's author: `system`, `user`, `assistant`, `tool`, or another name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// `system`: instructions in the conversation history.
    System,
    /// `user`.
    User,
    /// `assistant`: the model.
    Assistant,
    /// `tool`: a tool's response.
    Tool,
    /// Any other role name (e.g. `developer`).
    Other(Cow<'static, str>),
}

impl Role {
    /// The role name as recorded.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Other(name) => name,
        }
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The modality of a `blob`, `file` or `uri` part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Modality {
    /// An image.
    Image,
    /// A video.
    Video,
    /// Audio.
    Audio,
}

/// One part of a message, tagged by `type` as in the conventions' JSON schema.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Part {
    /// `{"type":"text","content":…}`.
    Text {
        /// The text.
        content: String,
    },
    /// `{"type":"tool_call","id":…,"name":…,"arguments":…}`: the model asks for a tool.
    ToolCall {
        /// The call id, to match the response.
        id: Option<String>,
        /// The tool name.
        name: String,
        /// The arguments, ideally an object.
        arguments: Option<serde_json::Value>,
    },
    /// `{"type":"tool_call_response","id":…,"response":…}`: a tool's result sent back.
    ToolCallResponse {
        /// The id of the call this answers.
        id: Option<String>,
        /// The result.
        response: serde_json::Value,
    },
    /// `{"type":"blob","modality":…,"mime_type":…,"content":…}`: inline data, base64.
    Blob {
        /// The modality.
        modality: Modality,
        /// The MIME type, if known.
        mime_type: Option<String>,
        /// The data, base64-encoded.
        content: String,
    },
    /// `{"type":"file","modality":…,"mime_type":…,"file_id":…}`: an uploaded file.
    File {
        /// The modality.
        modality: Modality,
        /// The MIME type, if known.
        mime_type: Option<String>,
        /// The provider's file id.
        file_id: String,
    },
    /// `{"type":"uri","modality":…,"mime_type":…,"uri":…}`: data by reference.
    Uri {
        /// The modality.
        modality: Modality,
        /// The MIME type, if known.
        mime_type: Option<String>,
        /// The URI.
        uri: String,
    },
    /// `{"type":"reasoning","content":…}`: the model's reasoning text.
    Reasoning {
        /// The reasoning text.
        content: String,
    },
    /// Any other part: an object that carries its own `type` member.
    Other(serde_json::Map<String, serde_json::Value>),
}

impl Part {
    /// A text part.
    pub fn text(content: impl Into<String>) -> Self {
        Part::Text {
            content: content.into(),
        }
    }

    /// A tool call with its id, tool name and arguments.
    pub fn tool_call(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<serde_json::Value>,
    ) -> Self {
        Part::ToolCall {
            id: Some(id.into()),
            name: name.into(),
            arguments: Some(arguments.into()),
        }
    }

    /// A tool's response to the call with this id.
    pub fn tool_call_response(
        id: impl Into<String>,
        response: impl Into<serde_json::Value>,
    ) -> Self {
        Part::ToolCallResponse {
            id: Some(id.into()),
            response: response.into(),
        }
    }
}

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn optional<M: serde::ser::SerializeMap, T: Serialize>(
            map: &mut M,
            key: &str,
            value: Option<&T>,
        ) -> Result<(), M::Error> {
            match value {
                Some(value) => map.serialize_entry(key, value),
                None => Ok(()),
            }
        }
        if let Part::Other(fields) = self {
            return fields.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        match self {
            Part::Text { content } => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("content", content)?;
            }
            Part::ToolCall {
                id,
                name,
                arguments,
            } => {
                map.serialize_entry("type", "tool_call")?;
                optional(&mut map, "id", id.as_ref())?;
                map.serialize_entry("name", name)?;
                optional(&mut map, "arguments", arguments.as_ref())?;
            }
            Part::ToolCallResponse { id, response } => {
                map.serialize_entry("type", "tool_call_response")?;
                optional(&mut map, "id", id.as_ref())?;
                map.serialize_entry("response", response)?;
            }
            Part::Blob {
                modality,
                mime_type,
                content,
            } => {
                map.serialize_entry("type", "blob")?;
                map.serialize_entry("modality", modality)?;
                optional(&mut map, "mime_type", mime_type.as_ref())?;
                map.serialize_entry("content", content)?;
            }
            Part::File {
                modality,
                mime_type,
                file_id,
            } => {
                map.serialize_entry("type", "file")?;
                map.serialize_entry("modality", modality)?;
                optional(&mut map, "mime_type", mime_type.as_ref())?;
                map.serialize_entry("file_id", file_id)?;
            }
            Part::Uri {
                modality,
                mime_type,
                uri,
            } => {
                map.serialize_entry("type", "uri")?;
                map.serialize_entry("modality", modality)?;
                optional(&mut map, "mime_type", mime_type.as_ref())?;
                map.serialize_entry("uri", uri)?;
            }
            Part::Reasoning { content } => {
                map.serialize_entry("type", "reasoning")?;
                map.serialize_entry("content", content)?;
            }
            Part::Other(_) => {}
        }
        map.end()
    }
}

/// A message sent to the model (`gen_ai.input.messages`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its parts, in order.
    pub parts: Vec<Part>,
    /// The author's name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ChatMessage {
    /// A message with this role and these parts.
    #[must_use]
    pub fn new(role: Role, parts: Vec<Part>) -> Self {
        ChatMessage {
            role,
            parts,
            name: None,
        }
    }

    /// A system message (instructions kept in the conversation history).
    pub fn system(text: impl Into<String>) -> Self {
        ChatMessage::new(Role::System, vec![Part::text(text)])
    }

    /// A user message with one text part.
    pub fn user(text: impl Into<String>) -> Self {
        ChatMessage::new(Role::User, vec![Part::text(text)])
    }

    /// An assistant message with one text part.
    pub fn assistant(text: impl Into<String>) -> Self {
        ChatMessage::new(Role::Assistant, vec![Part::text(text)])
    }

    /// An assistant message with these parts (e.g. tool calls).
    #[must_use]
    pub fn assistant_parts(parts: Vec<Part>) -> Self {
        ChatMessage::new(Role::Assistant, parts)
    }

    /// A tool message answering the call `id`.
    pub fn tool_response(id: impl Into<String>, response: impl Into<serde_json::Value>) -> Self {
        ChatMessage::new(Role::Tool, vec![Part::tool_call_response(id, response)])
    }

    /// The same message with an author name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// A message the model returned, one per choice (`gen_ai.output.messages`).
///
/// Its JSON always has a `finish_reason`: the conventions (v1.41) require one, and
/// backends that validate the schema (Arize Phoenix) reject an output message without it.
/// When [`finish_reason`](Self::finish_reason) is `None`, `stop` is recorded: an output
/// message is recorded only for a call that returned its value (an `Err` records none).
/// A stream records its own: its first finish reason in the conventions' spelling
/// ([`conventions_finish_reason`]), else `error` when it failed or was dropped before its
/// end, else `stop`.
///
/// ```
/// use trace_genai::message::{OutputMessage, Part, Role};
///
/// let message = OutputMessage::new(Role::Assistant, vec![Part::text("Rainy.")], None);
/// assert_eq!(
///     serde_json::to_string(&message).unwrap(),
///     r#"{"role":"assistant","parts":[{"type":"text","content":"Rainy."}],"finish_reason":"stop"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OutputMessage {
    /// Who wrote it (normally [`Role::Assistant`]).
    pub role: Role,
    /// Its parts, in order.
    pub parts: Vec<Part>,
    /// The author's name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why the model stopped, in the conventions' values: `stop`, `length`,
    /// `content_filter`, `tool_call`, `error` (the constants
    /// `trace_genai::semconv::FINISH_REASON_*`), or another string when none fits.
    /// [`conventions_finish_reason`] converts a provider's value (OpenAI's `tool_calls`,
    /// Anthropic's `end_turn`, …). `None` is recorded as `stop`.
    #[serde(serialize_with = "finish_reason_or_stop")]
    pub finish_reason: Option<String>,
}

/// `finish_reason` is required by the conventions: `stop` when the caller gave none.
#[allow(
    clippy::ref_option,
    reason = "serde's `serialize_with` passes a reference to the field"
)]
fn finish_reason_or_stop<S: Serializer>(
    reason: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(
        reason
            .as_deref()
            .unwrap_or(crate::semconv::FINISH_REASON_STOP),
    )
}

/// The conventions' finish reason (`stop`, `length`, `content_filter`, `tool_call`,
/// `error`) for a provider's own value, for an [`OutputMessage`]'s `finish_reason`.
/// `gen_ai.response.finish_reasons` keeps the provider's values unchanged.
///
/// Compared without regard to case; a value not in this table is returned unchanged (the
/// conventions allow other strings).
///
/// | provider value | conventions |
/// |---|---|
/// | `stop`, `end_turn`, `stop_sequence`, `complete` | `stop` |
/// | `length`, `max_tokens`, `model_length` | `length` |
/// | `tool_call`, `tool_calls`, `function_call`, `tool_use` | `tool_call` |
/// | `content_filter`, `content_filtered`, `safety`, `recitation`, `blocklist`, `prohibited_content`, `spii`, `guardrail_intervened` | `content_filter` |
/// | `error` | `error` |
///
/// ```
/// use trace_genai::message::conventions_finish_reason;
///
/// assert_eq!(conventions_finish_reason("tool_calls"), "tool_call"); // OpenAI
/// assert_eq!(conventions_finish_reason("end_turn"), "stop"); // Anthropic
/// assert_eq!(conventions_finish_reason("MAX_TOKENS"), "length"); // Gemini
/// assert_eq!(conventions_finish_reason("pause_turn"), "pause_turn");
/// ```
#[must_use]
pub fn conventions_finish_reason(reason: &str) -> &str {
    use crate::semconv::{
        FINISH_REASON_CONTENT_FILTER, FINISH_REASON_ERROR, FINISH_REASON_LENGTH,
        FINISH_REASON_STOP, FINISH_REASON_TOOL_CALL,
    };
    const TABLE: [(&str, &[&str]); 5] = [
        (
            FINISH_REASON_STOP,
            &["stop", "end_turn", "stop_sequence", "complete"],
        ),
        (
            FINISH_REASON_LENGTH,
            &["length", "max_tokens", "model_length"],
        ),
        (
            FINISH_REASON_TOOL_CALL,
            &["tool_call", "tool_calls", "function_call", "tool_use"],
        ),
        (
            FINISH_REASON_CONTENT_FILTER,
            &[
                "content_filter",
                "content_filtered",
                "safety",
                "recitation",
                "blocklist",
                "prohibited_content",
                "spii",
                "guardrail_intervened",
            ],
        ),
        (FINISH_REASON_ERROR, &["error"]),
    ];
    TABLE
        .iter()
        .find(|(_, spellings)| {
            spellings
                .iter()
                .any(|spelling| spelling.eq_ignore_ascii_case(reason))
        })
        .map_or(reason, |(conventions, _)| conventions)
}

impl OutputMessage {
    /// A message with this role, parts and finish reason.
    #[must_use]
    pub fn new(role: Role, parts: Vec<Part>, finish_reason: Option<String>) -> Self {
        OutputMessage {
            role,
            parts,
            name: None,
            finish_reason,
        }
    }

    /// An assistant message with one text part and a finish reason.
    pub fn assistant(text: impl Into<String>, finish_reason: impl Into<String>) -> Self {
        OutputMessage::new(
            Role::Assistant,
            vec![Part::text(text)],
            Some(finish_reason.into()),
        )
    }
}

/// A tool offered to the model (`gen_ai.tool.definitions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ToolDefinition {
    /// The tool type, `function` for function tools.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tool name.
    pub name: String,
    /// What the tool does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The parameters' JSON Schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
}

impl ToolDefinition {
    /// A function tool.
    pub fn function(name: impl Into<String>) -> Self {
        ToolDefinition {
            kind: "function".to_owned(),
            name: name.into(),
            description: None,
            parameters: None,
        }
    }

    /// The same tool with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The same tool with a parameters schema.
    #[must_use]
    pub fn with_parameters(mut self, parameters: serde_json::Value) -> Self {
        self.parameters = Some(parameters);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize + ?Sized>(value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }

    #[test]
    fn parts_serialize_to_the_schema() {
        assert_eq!(
            json(&Part::tool_call_response(
                "c1",
                serde_json::json!({"t": 12})
            )),
            r#"{"type":"tool_call_response","id":"c1","response":{"t":12}}"#
        );
        assert_eq!(
            json(&Part::Blob {
                modality: Modality::Image,
                mime_type: Some("image/png".into()),
                content: "iVBO".into()
            }),
            r#"{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBO"}"#
        );
        assert_eq!(
            json(&Part::Reasoning {
                content: "hm".into()
            }),
            r#"{"type":"reasoning","content":"hm"}"#
        );
        let mut other = serde_json::Map::new();
        other.insert("type".into(), "compaction".into());
        assert_eq!(json(&Part::Other(other)), r#"{"type":"compaction"}"#);
        assert_eq!(
            json(&ToolDefinition::function("get_weather").with_description("Weather")),
            r#"{"type":"function","name":"get_weather","description":"Weather"}"#
        );
        assert_eq!(
            json(&ChatMessage::new(Role::Other("developer".into()), vec![]).with_name("ops")),
            r#"{"role":"developer","parts":[],"name":"ops"}"#
        );
    }
}
