//! [async-openai](https://docs.rs/async-openai) chat types, reported without user code
//! (cargo feature `async-openai`).
//!
//! - `CreateChatCompletionRequest` implements [`GenAiRequest`]: `request = req` records
//!   the model and the sampling parameters, and `capture(request)` the messages and tool
//!   definitions.
//! - `CreateChatCompletionResponse` implements [`GenAiResponse`] (id, model, finish
//!   reasons, usage with cached and reasoning tokens) and [`OutputMessages`] (one message
//!   per choice, text and tool calls).
//! - Finish reasons: `gen_ai.response.finish_reasons` records OpenAI's own values
//!   (`stop`, `length`, `tool_calls`, `content_filter`, `function_call`); the output
//!   messages' `finish_reason` uses the conventions' values (`tool_calls` and
//!   `function_call` become `tool_call`).
//! - `CreateChatCompletionStreamResponse` (a stream chunk) implements [`GenAiChunk`]: a
//!   streaming call's span gets the id, model, finish reasons, usage (send
//!   `stream_options: {"include_usage": true}`) and, with `capture(output)`, the text.
//!
//! - `CreateEmbeddingRequest` implements [`GenAiRequest`] (model, encoding format,
//!   dimensions) and `CreateEmbeddingResponse` / `CreateBase64EmbeddingResponse` implement
//!   [`GenAiResponse`] (model, input tokens): an `embeddings` span and the token-usage
//!   metric get them with `request = req` and the return type.
//! - An answer with audio (`message.audio`) is recorded as an audio blob part, with its
//!   `transcript`.
//!
//! Messages are converted from the OpenAI wire format, and only when content recording
//! is on.
//!
//! ```
//! use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
//! use trace_genai::trace_genai;
//!
//! #[trace_genai(chat, provider = "openai", request = req, capture(request, output))]
//! async fn complete(req: &CreateChatCompletionRequest) -> Result<CreateChatCompletionResponse, serde_json::Error> {
//!     // A canned response; a real application calls `client.chat().create(req.clone())`.
//!     serde_json::from_str(r#"{"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
//!         "model": "gpt-4o-2024-08-06",
//!         "choices": [{"index": 0, "finish_reason": "stop",
//!                      "message": {"role": "assistant", "content": "Rainy."}}],
//!         "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}}"#)
//! }
//! ```

use std::borrow::Cow;

use ::async_openai::types::chat::{
    ChatChoice, CompletionUsage, CreateChatCompletionRequest, CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse, FinishReason, ResponseFormat, StopConfiguration,
};
use ::async_openai::types::embeddings::{
    CreateBase64EmbeddingResponse, CreateEmbeddingRequest, CreateEmbeddingResponse, EmbeddingUsage,
    EncodingFormat,
};
use serde_json::Value as Json;

use crate::genai::message::{
    ChatMessage, GenAiRequest, Modality, OutputMessage, OutputMessages, Part, RequestParameters,
    Role, ToolDefinition,
};
use crate::genai::response::GenAiChunk;
use crate::genai::response::{GenAiResponse, Usage};
use crate::genai::value::widen_f32;
use crate::semconv;

impl GenAiRequest for CreateChatCompletionRequest {
    fn request_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    #[allow(
        deprecated,
        reason = "`max_tokens` and `seed` are deprecated by OpenAI but still sent, and recorded"
    )]
    fn request_parameters(&self) -> RequestParameters {
        RequestParameters {
            temperature: self.temperature.map(widen_f32),
            top_p: self.top_p.map(widen_f32),
            top_k: None,
            max_tokens: self
                .max_completion_tokens
                .or(self.max_tokens)
                .map(i64::from),
            seed: self.seed,
            frequency_penalty: self.frequency_penalty.map(widen_f32),
            presence_penalty: self.presence_penalty.map(widen_f32),
            stop_sequences: match &self.stop {
                Some(StopConfiguration::String(stop)) => vec![stop.clone()],
                Some(StopConfiguration::StringArray(stops)) => stops.clone(),
                None => Vec::new(),
            },
            choice_count: self.n.map(i64::from),
            stream: self.stream,
            output_type: self.response_format.as_ref().map(|format| match format {
                ResponseFormat::Text => "text",
                ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. } => "json",
            }),
            ..RequestParameters::default()
        }
    }

    fn input_messages(&self) -> Vec<ChatMessage> {
        match serde_json::to_value(&self.messages) {
            Ok(Json::Array(messages)) => messages.iter().map(input_message).collect(),
            _ => Vec::new(),
        }
    }

    fn tool_definitions(&self) -> Vec<ToolDefinition> {
        match serde_json::to_value(&self.tools) {
            Ok(Json::Array(tools)) => tools.iter().filter_map(tool_definition).collect(),
            _ => Vec::new(),
        }
    }
}

/// An embeddings request: the model, the encoding asked for and the dimensions. The input
/// text is not a message, and is not recorded.
impl GenAiRequest for CreateEmbeddingRequest {
    fn request_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn request_parameters(&self) -> RequestParameters {
        RequestParameters {
            encoding_formats: self
                .encoding_format
                .iter()
                .map(|format| match format {
                    EncodingFormat::Float => "float",
                    EncodingFormat::Base64 => "base64",
                })
                .collect(),
            dimension_count: self.dimensions.map(i64::from),
            ..RequestParameters::default()
        }
    }
}

/// The model that answered and the input tokens (an embedding has no output tokens).
fn embedding_usage(usage: &EmbeddingUsage) -> Usage {
    Usage {
        input_tokens: Some(u64::from(usage.prompt_tokens)),
        ..Usage::default()
    }
}

impl GenAiResponse for CreateEmbeddingResponse {
    fn response_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn usage(&self) -> Usage {
        embedding_usage(&self.usage)
    }
}

impl GenAiResponse for CreateBase64EmbeddingResponse {
    fn response_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn usage(&self) -> Usage {
        embedding_usage(&self.usage)
    }
}

/// One request message in the OpenAI wire format as a [`ChatMessage`].
fn input_message(message: &Json) -> ChatMessage {
    let role = match message["role"].as_str().unwrap_or_default() {
        "system" => Role::System,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool" | "function" => Role::Tool,
        other => Role::Other(Cow::Owned(other.to_owned())),
    };
    let mut parts = Vec::new();
    if role == Role::Tool {
        let id = message["tool_call_id"].as_str().map(str::to_owned);
        parts.push(Part::ToolCallResponse {
            id,
            response: content_text(&message["content"]).map_or(Json::Null, Json::String),
        });
    } else {
        content_parts(&message["content"], &mut parts);
        if let Some(refusal) = message["refusal"].as_str() {
            parts.push(Part::text(refusal));
        }
        tool_calls(&message["tool_calls"], &mut parts);
    }
    let mut converted = ChatMessage::new(role, parts);
    converted.name = message["name"].as_str().map(str::to_owned);
    converted
}

/// The text of a string or text-parts content.
fn content_text(content: &Json) -> Option<String> {
    match content {
        Json::String(text) => Some(text.clone()),
        Json::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|part| part["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
        ),
        _ => None,
    }
}

fn content_parts(content: &Json, parts: &mut Vec<Part>) {
    match content {
        Json::String(text) if text.is_empty() => {}
        Json::String(text) => parts.push(Part::text(text.clone())),
        Json::Array(items) => {
            for item in items {
                let part = match item["type"].as_str() {
                    Some("text") => Part::text(item["text"].as_str().unwrap_or_default()),
                    Some("image_url") => {
                        image(item["image_url"]["url"].as_str().unwrap_or_default())
                    }
                    Some("input_audio") => Part::Blob {
                        modality: Modality::Audio,
                        mime_type: item["input_audio"]["format"]
                            .as_str()
                            .map(|format| format!("audio/{format}")),
                        content: item["input_audio"]["data"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    },
                    Some("file") => Part::File {
                        modality: Modality::Image,
                        mime_type: None,
                        file_id: item["file"]["file_id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    },
                    _ => match item {
                        Json::Object(fields) => Part::Other(fields.clone()),
                        _ => continue,
                    },
                };
                parts.push(part);
            }
        }
        _ => {}
    }
}

/// An image by URL, or inline when it is a `data:` URL.
fn image(url: &str) -> Part {
    if let Some((header, data)) = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(";base64,"))
    {
        return Part::Blob {
            modality: Modality::Image,
            mime_type: Some(header.to_owned()),
            content: data.to_owned(),
        };
    }
    Part::Uri {
        modality: Modality::Image,
        mime_type: None,
        uri: url.to_owned(),
    }
}

/// `tool_calls` of an assistant message as tool-call parts; the arguments string is
/// parsed back to an object when it is JSON.
fn tool_calls(calls: &Json, parts: &mut Vec<Part>) {
    let Json::Array(calls) = calls else {
        return;
    };
    for call in calls {
        // `{"type": "function", "function": {name, arguments}}` or
        // `{"type": "custom", "custom_tool": {name, input}}`.
        let function = ["function", "custom_tool", "custom"]
            .into_iter()
            .map(|key| &call[key])
            .find(|value| value.is_object())
            .unwrap_or(&Json::Null);
        let arguments = function["arguments"]
            .as_str()
            .or_else(|| function["input"].as_str())
            .map(|arguments| {
                serde_json::from_str(arguments)
                    .unwrap_or_else(|_| Json::String(arguments.to_owned()))
            });
        parts.push(Part::ToolCall {
            id: call["id"].as_str().map(str::to_owned),
            name: function["name"].as_str().unwrap_or_default().to_owned(),
            arguments,
        });
    }
}

fn tool_definition(tool: &Json) -> Option<ToolDefinition> {
    // `{"type": "function", "function": {…}}` or `{"type": "custom", "custom": {…}}`.
    let kind = tool["type"].as_str().unwrap_or("function");
    let function = if tool[kind].is_object() {
        &tool[kind]
    } else {
        &tool["function"]
    };
    let mut definition = ToolDefinition::function(function["name"].as_str()?);
    tool["type"]
        .as_str()
        .unwrap_or("function")
        .clone_into(&mut definition.kind);
    definition.description = function["description"].as_str().map(str::to_owned);
    definition.parameters = Some(function["parameters"].clone()).filter(|p| !p.is_null());
    Some(definition)
}

/// OpenAI's own finish reason, as it sends it: `gen_ai.response.finish_reasons`.
fn openai_finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

/// The conventions' finish reason for OpenAI's: an output message's `finish_reason`.
fn conventions_finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => semconv::FINISH_REASON_STOP,
        FinishReason::Length => semconv::FINISH_REASON_LENGTH,
        FinishReason::ToolCalls | FinishReason::FunctionCall => semconv::FINISH_REASON_TOOL_CALL,
        FinishReason::ContentFilter => semconv::FINISH_REASON_CONTENT_FILTER,
    }
}

fn usage(usage: Option<&CompletionUsage>) -> Usage {
    let Some(usage) = usage else {
        return Usage::default();
    };
    Usage {
        input_tokens: Some(u64::from(usage.prompt_tokens)),
        output_tokens: Some(u64::from(usage.completion_tokens)),
        cache_read_input_tokens: usage
            .prompt_tokens_details
            .as_ref()
            .and_then(|details| details.cached_tokens)
            .map(u64::from),
        cache_write_input_tokens: None,
        reasoning_output_tokens: usage
            .completion_tokens_details
            .as_ref()
            .and_then(|details| details.reasoning_tokens)
            .map(u64::from),
    }
}

/// The id, model, finish reasons and usage of a response or a stream chunk: the same
/// fields in both.
macro_rules! report_response {
    () => {
        fn response_id(&self) -> Option<&str> {
            Some(&self.id)
        }

        fn response_model(&self) -> Option<&str> {
            Some(&self.model)
        }

        fn finish_reasons(&self) -> Vec<&str> {
            self.choices
                .iter()
                .filter_map(|choice| choice.finish_reason.map(openai_finish_reason))
                .collect()
        }

        fn usage(&self) -> Usage {
            usage(self.usage.as_ref())
        }
    };
}

impl GenAiResponse for CreateChatCompletionResponse {
    report_response!();
}

impl OutputMessages for CreateChatCompletionResponse {
    fn output_messages(&self) -> Cow<'_, [OutputMessage]> {
        Cow::Owned(self.choices.iter().map(output_message).collect())
    }
}

fn output_message(choice: &ChatChoice) -> OutputMessage {
    let message = serde_json::to_value(&choice.message).unwrap_or_default();
    let mut parts = Vec::new();
    content_parts(&message["content"], &mut parts);
    if let Some(refusal) = message["refusal"].as_str() {
        parts.push(Part::text(refusal));
    }
    tool_calls(&message["tool_calls"], &mut parts);
    if let Some(audio) = audio(&message["audio"]) {
        parts.push(audio);
    }
    OutputMessage::new(
        Role::Assistant,
        parts,
        choice
            .finish_reason
            .map(|reason| conventions_finish_reason(reason).to_owned()),
    )
}

/// A spoken answer (`message.audio`: base64 data and its transcript) as an audio blob part
/// with the transcript beside the data, as the conventions' newer schema has it.
fn audio(audio: &Json) -> Option<Part> {
    let Json::Object(fields) = audio else {
        return None;
    };
    let mut part = serde_json::Map::new();
    part.insert("type".to_owned(), Json::from("blob"));
    part.insert("modality".to_owned(), Json::from("audio"));
    part.insert(
        "content".to_owned(),
        fields
            .get("data")
            .cloned()
            .unwrap_or_else(|| Json::from("")),
    );
    if let Some(transcript) = fields.get("transcript").filter(|t| t.is_string()) {
        part.insert("transcript".to_owned(), transcript.clone());
    }
    Some(Part::Other(part))
}

/// A streamed chunk: `async fn` returning `ChatCompletionResponseStream` (add `stream` to
/// the attribute) or `impl Stream<Item = Result<CreateChatCompletionStreamResponse, _>>`.
impl GenAiChunk for CreateChatCompletionStreamResponse {
    report_response!();

    fn text(&self) -> Option<&str> {
        self.choices
            .first()
            .and_then(|choice| choice.delta.content.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request() -> CreateChatCompletionRequest {
        serde_json::from_value(json!({
            "model": "gpt-4o",
            "temperature": 0.2,
            "max_completion_tokens": 256,
            "stop": ["END", "STOP"],
            "n": 2,
            "seed": 7,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "rainy"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_weather", "description": "Weather now",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}
            }}]
        }))
        .unwrap()
    }

    #[test]
    fn a_request_reports_parameters_messages_and_tools() {
        let request = request();
        assert_eq!(request.request_model(), Some("gpt-4o"));
        let parameters = request.request_parameters();
        assert_eq!(parameters.temperature, Some(0.2));
        assert_eq!(parameters.max_tokens, Some(256));
        assert_eq!(parameters.stop_sequences, ["END", "STOP"]);
        assert_eq!(parameters.choice_count, Some(2));
        assert_eq!(parameters.seed, Some(7));
        assert_eq!(parameters.output_type, Some("json"));
        assert_eq!(
            serde_json::to_value(request.input_messages()).unwrap(),
            json!([
                {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                {"role": "user", "parts": [
                    {"type": "text", "content": "What is this?"},
                    {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"}
                ]},
                {"role": "assistant", "parts": [
                    {"type": "tool_call", "id": "call_1", "name": "get_weather",
                     "arguments": {"city": "Paris"}}
                ]},
                {"role": "tool", "parts": [
                    {"type": "tool_call_response", "id": "call_1", "response": "rainy"}
                ]}
            ])
        );
        assert_eq!(
            serde_json::to_value(request.tool_definitions()).unwrap(),
            json!([{"type": "function", "name": "get_weather", "description": "Weather now",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}])
        );
    }

    #[test]
    fn a_response_reports_attributes_usage_and_output() {
        let response: CreateChatCompletionResponse = serde_json::from_value(json!({
            "id": "chatcmpl-9", "object": "chat.completion", "created": 1,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Rainy."}},
                {"index": 1, "finish_reason": "tool_calls",
                 "message": {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_2", "type": "function",
                     "function": {"name": "get_weather", "arguments": "not json"}}]}}
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29,
                      "prompt_tokens_details": {"cached_tokens": 16},
                      "completion_tokens_details": {"reasoning_tokens": 4}}
        }))
        .unwrap();
        assert_eq!(response.response_id(), Some("chatcmpl-9"));
        assert_eq!(response.response_model(), Some("gpt-4o-2024-08-06"));
        // The provider's own values on the span, the conventions' in the messages.
        assert_eq!(response.finish_reasons(), ["stop", "tool_calls"]);
        let usage = response.usage();
        assert_eq!(usage.input_tokens, Some(20));
        assert_eq!(usage.output_tokens, Some(9));
        assert_eq!(usage.cache_read_input_tokens, Some(16));
        assert_eq!(usage.reasoning_output_tokens, Some(4));
        assert_eq!(usage.cache_write_input_tokens, None);
        assert_eq!(
            serde_json::to_value(&*response.output_messages()).unwrap(),
            json!([
                {"role": "assistant", "parts": [{"type": "text", "content": "Rainy."}],
                 "finish_reason": "stop"},
                {"role": "assistant", "parts": [
                    {"type": "tool_call", "id": "call_2", "name": "get_weather",
                     "arguments": "not json"}], "finish_reason": "tool_call"}
            ])
        );
    }

    #[test]
    fn finish_reasons_are_openais_own_on_the_span_and_the_conventions_in_messages() {
        for (openai, conventions) in [
            ("stop", "stop"),
            ("length", "length"),
            ("tool_calls", "tool_call"),
            ("content_filter", "content_filter"),
            ("function_call", "tool_call"),
        ] {
            let response: CreateChatCompletionResponse = serde_json::from_value(json!({
                "id": "x", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "finish_reason": openai,
                             "message": {"role": "assistant", "content": "ok"}}]
            }))
            .unwrap();
            assert_eq!(response.finish_reasons(), [openai]);
            assert_eq!(
                response.output_messages()[0].finish_reason.as_deref(),
                Some(conventions),
                "{openai}"
            );
        }
    }

    #[test]
    fn a_response_without_usage_reports_no_counts() {
        let response: CreateChatCompletionResponse = serde_json::from_value(json!({
            "id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": []
        }))
        .unwrap();
        assert_eq!(response.usage(), Usage::default());
        assert!(response.finish_reasons().is_empty());
    }

    #[test]
    fn an_embeddings_call_reports_model_formats_dimensions_and_input_tokens() {
        let request: CreateEmbeddingRequest = serde_json::from_value(json!({
            "model": "text-embedding-3-small", "input": ["a", "b"],
            "encoding_format": "base64", "dimensions": 256
        }))
        .unwrap();
        assert_eq!(request.request_model(), Some("text-embedding-3-small"));
        let parameters = request.request_parameters();
        assert_eq!(parameters.encoding_formats, ["base64"]);
        assert_eq!(parameters.dimension_count, Some(256));
        assert!(request.input_messages().is_empty());

        let response: CreateEmbeddingResponse = serde_json::from_value(json!({
            "object": "list", "model": "text-embedding-3-small-2024",
            "data": [{"index": 0, "object": "embedding", "embedding": [0.1, 0.2]}],
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        }))
        .unwrap();
        assert_eq!(
            response.response_model(),
            Some("text-embedding-3-small-2024")
        );
        assert_eq!(
            response.usage(),
            Usage {
                input_tokens: Some(8),
                ..Usage::default()
            }
        );
        assert_eq!(response.response_id(), None);
    }

    #[test]
    fn a_spoken_answer_is_an_audio_blob_with_its_transcript() {
        let response: CreateChatCompletionResponse = serde_json::from_value(json!({
            "id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-audio",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": null,
                "audio": {"id": "audio_1", "expires_at": 1, "data": "UklGRg==",
                          "transcript": "It is sunny."}}}]
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(response.output_messages()).unwrap(),
            json!([{"role": "assistant", "parts": [
                {"type": "blob", "modality": "audio", "content": "UklGRg==",
                 "transcript": "It is sunny."}
            ], "finish_reason": "stop"}])
        );
    }
}
