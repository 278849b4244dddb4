//! Streaming responses: a span that lives exactly as long as the stream.
//!
//! A `#[trace_genai]` function that returns a stream (`impl Stream<Item = …>`,
//! `Result<impl Stream<…>, E>`, `Pin<Box<dyn Stream<…>>>`, `BoxStream<…>`) or, with the
//! `stream` argument, a sync iterator (`impl Iterator<Item = …>`, `Box<dyn Iterator<…>>`),
//! gets its return value wrapped in a stream or iterator of the same items. The span starts at
//! the call and ends when the stream ends:
//!
//! | the stream… | the span |
//! |---|---|
//! | is exhausted | ends with the accumulated response, usage and (content on) output |
//! | yields an error item (`Err`, or [`GenAiChunk::error_type`]) | gets status `Error` and `error.type`; it ends when the stream ends |
//! | is dropped before its end (the caller stopped reading) | ends with what was seen so far, status `Error` and `error.type = "cancelled"` |
//! | is never polled | ends when dropped, `error.type = "cancelled"`, without a first chunk |
//!
//! The span gets `gen_ai.request.stream = true` at start and
//! `gen_ai.response.time_to_first_chunk` (seconds from the call to the first item). The
//! metrics `gen_ai.client.operation.time_to_first_chunk` and
//! `gen_ai.client.operation.time_per_output_chunk` (one value per item after the first)
//! are recorded, and `gen_ai.client.operation.duration` covers the whole stream.
//!
//! Items report what they know through [`GenAiChunk`] (ids, model, finish reasons, usage,
//! usually in the last chunk, and text deltas). Items of a type without it are counted
//! and timed only. The wrapper keeps the span's context attached while the stream is
//! polled, allocates nothing per item (the output text is accumulated only with content
//! recording on, up to the content budget) and takes no lock of its own.

pub use crate::genai::response::GenAiChunk;
