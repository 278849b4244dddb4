//! What a return value (or a streamed chunk) reports about the model's response: id, model,
//! finish reasons and token usage, recorded on the span when the function returns.

use std::borrow::Cow;

/// Token counts of one response. A count that is unknown stays `None` and is not
/// recorded (never reported as 0). Build it with [`Usage::new`] or
/// `Usage { output_tokens: Some(7), ..Usage::default() }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// `gen_ai.usage.input_tokens`: all input tokens, cached ones included.
    pub input_tokens: Option<u64>,
    /// `gen_ai.usage.output_tokens`.
    pub output_tokens: Option<u64>,
    /// `gen_ai.usage.cache_read.input_tokens`: input tokens served from the cache.
    pub cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.cache_creation.input_tokens` (and its newer name
    /// `gen_ai.usage.cache_write.input_tokens`): input tokens written to the cache.
    pub cache_write_input_tokens: Option<u64>,
    /// `gen_ai.usage.reasoning.output_tokens`: output tokens spent on reasoning.
    pub reasoning_output_tokens: Option<u64>,
}

impl Usage {
    /// Input and output token counts.
    #[must_use]
    pub const fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Usage {
            input_tokens: Some(input_tokens),
            output_tokens: Some(output_tokens),
            cache_read_input_tokens: None,
            cache_write_input_tokens: None,
            reasoning_output_tokens: None,
        }
    }
}

/// The methods [`GenAiResponse`] and [`GenAiChunk`] share, each with a default that
/// reports nothing (a chunk reports what it carries: finish reasons usually come with the
/// last one, and its usage replaces earlier counts).
macro_rules! response_methods {
    () => {
        /// `gen_ai.response.id`.
        fn response_id(&self) -> Option<&str> {
            None
        }

        /// `gen_ai.response.model`: the model that actually answered.
        fn response_model(&self) -> Option<&str> {
            None
        }

        /// `gen_ai.response.finish_reasons`: one per choice, in the provider's own values
        /// (OpenAI: `stop`, `length`, `tool_calls`, `content_filter`). Empty records nothing.
        /// Output messages use the conventions' values instead
        /// ([`conventions_finish_reason`](crate::genai::message::conventions_finish_reason)).
        fn finish_reasons(&self) -> Vec<&str> {
            Vec::new()
        }

        /// Token usage.
        fn usage(&self) -> Usage {
            Usage::default()
        }
    };
}

/// Implemented by a response type to report what it knows. `#[trace_genai]` uses it, with
/// no extra argument, when the function returns the type or `Result` of it; every method
/// has a default that reports nothing.
///
/// ```
/// use trace_genai::{GenAiResponse, Usage, trace_genai};
///
/// struct Completion { id: String, model: String, text: String, input: u64, output: u64 }
///
/// impl GenAiResponse for Completion {
///     fn response_id(&self) -> Option<&str> { Some(&self.id) }
///     fn response_model(&self) -> Option<&str> { Some(&self.model) }
///     fn finish_reasons(&self) -> Vec<&str> { vec!["stop"] }
///     fn usage(&self) -> Usage { Usage::new(self.input, self.output) }
/// }
///
/// #[trace_genai(chat, provider = "openai", model = "gpt-4o")]
/// fn complete(prompt: &str) -> Result<Completion, std::io::Error> {
///     Ok(Completion { id: "chatcmpl-1".into(), model: "gpt-4o-2024-08-06".into(),
///                     text: prompt.to_uppercase(), input: 12, output: 3 })
/// }
/// # assert_eq!(complete("hi").unwrap().text, "HI");
/// ```
pub trait GenAiResponse {
    response_methods!();
}

/// Implements a trait for pointers (`&T`, `Box<T>`, …) by forwarding each of the given
/// methods to the pointee.
macro_rules! forward_to_pointee {
    ($trait:ident $methods:tt for $($pointer:ty),+) => {
        $(forward_to_pointee!(@one $trait $methods $pointer);)+
    };
    (@one $trait:ident [$($method:ident -> $ret:ty),+] $pointer:ty) => {
        impl<T: $trait + ?Sized> $trait for $pointer {
            $(
                fn $method(&self) -> $ret {
                    (**self).$method()
                }
            )+
        }
    };
}

forward_to_pointee!(GenAiResponse [
    response_id -> Option<&str>,
    response_model -> Option<&str>,
    finish_reasons -> Vec<&str>,
    usage -> Usage
] for &T, Box<T>, std::sync::Arc<T>);

/// What one streamed item reports. Every method has a default that reports nothing;
/// `impl GenAiChunk for MyChunk {}` is enough to stream `MyChunk`s through an explicitly
/// flagged function.
///
/// Counts in [`usage`](Self::usage) replace earlier ones (providers send the totals in
/// the last chunk); ids and model are taken from the first chunk that has them; finish
/// reasons are collected.
#[diagnostic::on_unimplemented(
    message = "stream items of type `{Self}` do not report through `GenAiChunk`",
    label = "the items of this stream must implement `trace_genai::stream::GenAiChunk`",
    note = "`impl GenAiChunk for MyChunk {{}}` is enough; an `impl Stream<Item = …>` return type needs no impl"
)]
pub trait GenAiChunk {
    response_methods!();

    /// Output text this chunk adds.
    fn text(&self) -> Option<&str> {
        None
    }

    /// `Some(error.type)` when this item is an error.
    fn error_type(&self) -> Option<Cow<'static, str>> {
        None
    }
}

impl GenAiChunk for str {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl GenAiChunk for String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl GenAiChunk for Cow<'_, str> {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

forward_to_pointee!(GenAiChunk [
    response_id -> Option<&str>,
    response_model -> Option<&str>,
    finish_reasons -> Vec<&str>,
    usage -> Usage,
    text -> Option<&str>,
    error_type -> Option<Cow<'static, str>>
] for &T);

/// `Ok` items report through `T`; an `Err` item is an error of `error.type` = the type
/// name of `E`.
impl<T: GenAiChunk, E> GenAiChunk for Result<T, E> {
    fn response_id(&self) -> Option<&str> {
        self.as_ref().ok().and_then(GenAiChunk::response_id)
    }
    fn response_model(&self) -> Option<&str> {
        self.as_ref().ok().and_then(GenAiChunk::response_model)
    }
    fn finish_reasons(&self) -> Vec<&str> {
        self.as_ref()
            .map(GenAiChunk::finish_reasons)
            .unwrap_or_default()
    }
    fn usage(&self) -> Usage {
        self.as_ref().map(GenAiChunk::usage).unwrap_or_default()
    }
    fn text(&self) -> Option<&str> {
        self.as_ref().ok().and_then(GenAiChunk::text)
    }
    fn error_type(&self) -> Option<Cow<'static, str>> {
        match self {
            Ok(chunk) => chunk.error_type(),
            Err(_) => Some(Cow::Borrowed(core::any::type_name::<E>())),
        }
    }
}
