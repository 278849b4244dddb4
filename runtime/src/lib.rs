//! OpenTelemetry GenAI tracing for Rust AI applications: one attribute per function, one
//! call at startup.
//!
//! `#[trace_genai]` wraps sync and async functions in OpenTelemetry spans that follow the
//! [GenAI semantic conventions](https://opentelemetry.io/docs/specs/semconv/gen-ai/)
//! (v1.41): span names such as `chat gpt-4o`, `execute_tool get_weather` or
//! `invoke_agent planner`, span kinds, `gen_ai.*` attributes with their convention types,
//! errors as span status plus `error.type`, and parent/child nesting across `.await`.
//!
//! # Quick start
//!
//! ```
//! use trace_genai::trace_genai;
//!
//! #[trace_genai(execute_tool, tool = "get_weather")]
//! fn get_weather(city: &str) -> Result<String, std::io::Error> {
//!     Ok(format!("sunny in {city}"))
//! }
//!
//! #[trace_genai(chat, provider = "openai", model = model, temperature = 0.2)]
//! async fn ask(model: &str, question: &str) -> String {
//!     format!("{model} says hello to {question:?}")
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // Everything from the environment; prints a trace tree on stdout by default.
//!     let telemetry = trace_genai::init()?;
//!     get_weather("Paris")?;
//!     # let _ = ask("gpt-4o", "hi");
//!     telemetry.shutdown()?; // flushes every span
//!     Ok(())
//! }
//! ```
//!
//! # The macro
//!
//! See [`trace_genai`](macro@trace_genai) for every argument.
//!
//! | form | span name | kind |
//! |---|---|---|
//! | `#[trace_genai]` | the function name | `Internal` |
//! | `#[trace_genai(name = "retrieve_docs")]` | `retrieve_docs` | `Internal` |
//! | `#[trace_genai(chat, model = …)]` | `chat {model}` | `Client` |
//! | `#[trace_genai(execute_tool, tool = …)]` | `execute_tool {tool}` | `Internal` |
//! | `#[trace_genai(invoke_agent, agent = …)]` | `invoke_agent {agent}` | `Internal` |
//!
//! All operations and their defaults are listed on [`Operation`].
//!
//! # Outcomes
//!
//! | the function… | span status | `error.type` |
//! |---|---|---|
//! | returns a value, or `Ok` | unset | — |
//! | returns `Err(e)` | `Error` | [`ErrorType::error_type`] if `E` implements it; for boxed and `anyhow`-style errors the concrete error's name; else the type name of `E` (see [`ErrorType`]) |
//! | panics | `Error` | `panic` (the panic continues unchanged) |
//! | is an `async fn` whose future is dropped unfinished | `Error` | `cancelled` |
//!
//! The error's message is not recorded unless message content goes on spans: provider
//! errors often echo the prompt.
//!
//! # Inside the function
//!
//! The span is the current span of the OpenTelemetry context while the function runs:
//! spans, log records and outgoing requests made inside are its children, and writes
//! through the OpenTelemetry API (`get_active_span`, `Context::current().span()`) reach it,
//! from the body or anything it calls. [`current_span`] is a shorthand for the same API.
//!
//! # Responses, content and metrics
//!
//! - A return type implementing [`GenAiResponse`] (or the `Ok` type of a `Result`) reports
//!   `gen_ai.response.*` and `gen_ai.usage.*` with no macro argument.
//! - Message content is **off by default**; `capture(...)` names what may be recorded once
//!   a [`ContentCapture`] policy allows it (see the macro's documentation). The
//!   [`message`] module has message types that serialize to the conventions' schema.
//! - Streams: a function returning a stream gets a span that ends with the stream, with
//!   the time to the first chunk (see [`stream`](mod@stream)).
//! - Feedback: [`record_user_feedback`] and [`feedback::Evaluation`] emit events parented
//!   to the span that produced the response (see [`feedback`]).
//! - One trace everywhere: [`context`] carries spans into tasks and threads and scopes a
//!   conversation id; [`propagation`] carries them across processes in HTTP headers.
//! - Metrics: `gen_ai.client.operation.duration` for every GenAI operation and
//!   `gen_ai.client.token.usage` for model calls (see [`metrics`]).
//!
//! # Configuration
//!
//! [`init`] reads everything from the environment; [`Telemetry::builder`] sets values in
//! code, which win over the environment. The variables and their defaults are listed in
//! [`config`].
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `console` | yes | the console exporter (trace tree and JSON lines on stdout) |
//! | `otlp-grpc` | yes | OTLP over gRPC (tonic) |
//! | `otlp-http` | yes | OTLP over HTTP, protobuf and JSON (reqwest) |
//! | `azure-monitor` | no | Azure Monitor / Application Insights from a connection string |
//! | `azure-ai-project` | no | Azure Monitor with the connection string of an Azure AI Foundry project's Application Insights resource ([`azure`], `AZURE_AI_PROJECT_ENDPOINT`); implies `azure-monitor` |
//! | `tokio` | yes | `context::spawn` and `context::spawn_blocking` |
//! | `tracing` | no | `Telemetry::tracing_layer`: `tracing` spans (yours, and frameworks' such as rig and genai) and GenAI spans in one trace, under the content policy |
//! | `async-openai` | no | [`GenAiRequest`], [`GenAiResponse`] and [`message::OutputMessages`] for async-openai's chat types |
//! | `upload`, `upload-azure`, `upload-aws`, `upload-gcp` | no | the upload hook: message content in a store of your own, references on the spans (`upload`) |
//! | `mcp` | no | `mcp`: rmcp 3 clients and servers whose requests are client and server spans of one trace across processes, with the MCP metrics |
//! | `testing` | no | [`testing::capture`]: each test sees exactly the spans and events its own code produced, also under parallel tests; and the OpenTelemetry SDK's in-memory exporter |
//!
//! # MSRV
//!
//! Rust 1.95, the toolchain CI builds with.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented,
    clippy::dbg_macro,
    clippy::print_stdout,
    clippy::print_stderr
)]

// The modules, lowest first: each one uses only modules above it here (ARCHITECTURE.md).
mod global;

pub mod semconv;

mod genai;

pub mod config;

pub mod propagation;

pub mod context;

mod record;

pub mod feedback;

#[cfg(feature = "console")]
#[cfg_attr(docsrs, doc(cfg(feature = "console")))]
pub mod console;

mod export;

mod install;

mod instrument;

#[cfg(feature = "azure-ai-project")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-ai-project")))]
pub use export::azure_project as azure;
#[cfg(feature = "upload")]
#[cfg_attr(docsrs, doc(cfg(feature = "upload")))]
pub use export::upload;
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub mod mcp;
#[cfg(feature = "async-openai")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-openai")))]
pub use genai::async_openai;
pub use genai::{message, metrics};
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use install::testing;
pub use instrument::{current_span, stream};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Wraps a function in an OpenTelemetry span that follows the GenAI semantic conventions.
///
/// # Forms
///
/// ```
/// use trace_genai::trace_genai;
/// # #[derive(Debug)] struct Doc; #[derive(Debug)] struct ApiError;
/// # struct ChatRequest { model: String, temperature: f32 }
/// # struct Client;
///
/// // A span named after the function, kind INTERNAL.
/// #[trace_genai]
/// fn summarize(text: &str) -> String {
///     text.chars().take(20).collect()
/// }
///
/// // A custom name and custom attributes (dotted keys; values keep their type).
/// #[trace_genai(name = "retrieve_docs", fields(custom_attribute = "value", top_k = top_k as i64))]
/// async fn retrieve(query: &str, top_k: usize) -> Vec<Doc> {
///     Vec::new()
/// }
///
/// impl Client {
///     // "chat gpt-4o", CLIENT, with gen_ai.provider.name, gen_ai.request.model and
///     // gen_ai.request.temperature (a double, whatever float type the field has).
///     #[trace_genai(chat, provider = "openai", model = req.model.as_str(), temperature = req.temperature)]
///     async fn complete(&self, req: &ChatRequest) -> Result<String, ApiError> {
///         Ok(String::new())
///     }
/// }
///
/// // "execute_tool get_weather", INTERNAL.
/// #[trace_genai(execute_tool, tool = "get_weather")]
/// fn get_weather(city: &str) -> Result<String, ApiError> {
///     Ok(format!("sunny in {city}"))
/// }
/// ```
///
/// # Arguments
///
/// Comma-separated, in any order:
///
/// - **an operation**: `chat`, `text_completion`, `generate_content`, `embeddings`,
///   `retrieval`, `execute_tool`, `create_agent`, `invoke_agent`, `invoke_workflow`. It
///   sets `gen_ai.operation.name`, the span kind, and the span name
///   `"{operation} {subject}"`, where the subject is the value of `model`, `data_source`,
///   `tool`, `agent` or `workflow` (see [`Operation`]). Without a subject the span is named
///   after the bare operation; an `execute_tool` without `tool` is named after the
///   function.
/// - **GenAI keys**, `key = value`, each recorded with the type the conventions give it:
///   `provider`, `model`, `server_address`, `agent`, `agent_id`, `agent_description`,
///   `agent_version`, `tool`, `tool_call_id`, `tool_type`, `tool_description`,
///   `workflow`, `data_source`, `conversation_id`, `output_type`, `prompt_name`
///   (strings, through [`IntoStrValue`]); `temperature`, `top_p`, `top_k`,
///   `frequency_penalty`, `presence_penalty` (doubles, [`IntoF64Value`]); `max_tokens`,
///   `seed`, `server_port`, `choice_count` (ints, [`IntoI64Value`]; `choice_count` only
///   when not 1), `dimension_count`; `stop_sequences` (string array,
///   [`IntoStrArrayValue`]).
/// - `name = "literal"`: the span name of a span without an operation.
/// - `kind = client | server | internal | producer | consumer`: overrides the kind.
/// - `fields(key = value, …)`: custom attributes; keys are dotted identifiers or string
///   literals, values go through [`IntoAttributeValue`].
/// - `request = value`: a request type implementing [`GenAiRequest`] (e.g. async-openai's
///   `CreateChatCompletionRequest` with the `async-openai` feature) reports the model and
///   the sampling parameters; keys given explicitly win. The span is named after the
///   request's model when `model` is not given.
/// - `capture(...)`: the message content that **may** be recorded (see below).
/// - `stream`: the span follows the returned stream or iterator and ends with it (see
///   [`stream`](mod@stream)); streams (`impl Stream`, `Result<impl Stream, E>`,
///   `BoxStream`, `Pin<Box<dyn Stream>>`) are recognized without it.
/// - `content = "no_content" | "span_only" | "event_only" | "span_and_event"`: this
///   function's content policy, which wins over the installed one (e.g. `"no_content"`
///   for a function that handles secrets).
/// - `crate = path`: the path of this crate, for crates that re-export it.
///
/// A value is a literal or an expression over the arguments (including `self`). It is
/// evaluated once before the body, only when telemetry is enabled, and taken by
/// reference, so arguments are never moved. `None` records nothing. Arguments are never
/// captured implicitly.
///
/// # Message content
///
/// Content is **off by default** ([`ContentCapture`]). `capture(...)` names what may be
/// recorded once it is switched on, by `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`,
/// [`TelemetryBuilder::with_content_capture`], [`set_content_capture`] or `content = …`:
///
/// | entry | recorded as | the value must implement |
/// |---|---|---|
/// | `messages` / `messages = expr` | `gen_ai.input.messages` | [`message::InputMessages`] (`Vec<ChatMessage>`, `&str`, …) |
/// | `system` / `system = expr` | `gen_ai.system_instructions` | [`message::SystemInstructions`] (`&str`, `Vec<Part>`) |
/// | `tools` / `tools = expr` | `gen_ai.tool.definitions` | [`message::ToolDefinitions`] |
/// | `request` / `request = expr` | messages, instructions and tools of the request (`request` alone uses the `request = …` value) | [`GenAiRequest`] |
/// | `arguments(a, b)` / `arguments = expr` (`execute_tool`) | `gen_ai.tool.call.arguments`, an object of the named parameters | `serde::Serialize` |
/// | `query` / `query = expr` (`retrieval`) | `gen_ai.retrieval.query.text` | `AsRef<str>` |
/// | `output` | the return value (the `Ok` value of a `Result`): `gen_ai.output.messages`, or `gen_ai.tool.call.result` (`execute_tool`, alias `result`), or `gen_ai.retrieval.documents` (`retrieval`, alias `documents`) | [`message::OutputMessages`], or `serde::Serialize` for tools and retrieval |
///
/// A bare name is the parameter of that name; a name that is not a parameter, or a type
/// that cannot be captured, is a compile error. Inputs are taken by reference before the
/// body runs. When the policy in force records no content, nothing is converted or
/// serialized. On spans, content is JSON text in the conventions' schema, cut to
/// [`content_max_length`] characters (default 8,192, `TRACE_GENAI_CONTENT_MAX_LENGTH`)
/// on character boundaries, kept valid JSON in the conventions' schema (longest texts
/// cut first) and marked with [`TRUNCATION_MARKER`] (or [`SHORT_TRUNCATION_MARKER`]); in
/// event mode the `gen_ai.client.inference.operation.details` log event carries it
/// structured, in the span's context, for inference operations (`chat`,
/// `text_completion`, `generate_content`) only, as the conventions define it. With
/// content on spans, an `Err`'s `Display` text becomes the status description.
///
/// ```
/// use trace_genai::message::{ChatMessage, OutputMessage};
/// use trace_genai::trace_genai;
///
/// #[trace_genai(chat, provider = "openai", model = "gpt-4o",
///               capture(messages, system = instructions, output))]
/// fn chat(messages: &[ChatMessage], instructions: &str) -> Vec<OutputMessage> {
///     vec![OutputMessage::assistant("It's rainy.", "stop")]
/// }
///
/// #[trace_genai(execute_tool, capture(arguments(city), result))]
/// fn get_weather(city: &str) -> Result<String, std::io::Error> {
///     Ok(format!("rainy in {city}"))
/// }
/// # chat(&[ChatMessage::user("Weather in Paris?")], "Be brief.");
/// # get_weather("Paris").unwrap();
/// ```
///
/// # Outcome
///
/// Every span ends exactly once. `Err(e)` sets status `Error` and `error.type` (from
/// [`ErrorType`] if `E` implements it, else the type name of `E`); a panic sets
/// `error.type = "panic"` and keeps unwinding; an `async fn` future dropped before it
/// completes sets `error.type = "cancelled"`. The error's text is recorded only when
/// content goes on spans (see above).
///
/// # Async
///
/// The span covers every poll of the future. Its context is attached only while the
/// future is being polled, so nested instrumented calls become children, and concurrent
/// tasks never see each other's spans. `#[async_trait]` methods are supported (put
/// `#[trace_genai]` on the method inside the `#[async_trait]` impl), as are native
/// `async fn` in traits.
///
/// # What it expands to
///
/// Roughly, for a sync function (`P` is `trace_genai::__private`, not public API):
///
/// ```text
/// fn get_weather(city: &str) -> Result<String, ApiError> {
///     let mut guard = P::SpanGuard::disabled();
///     if P::enabled() {
///         let mut attrs = P::attributes(2);
///         P::push_static_str(&mut attrs, GEN_AI_OPERATION_NAME, "execute_tool");
///         P::push_static_str(&mut attrs, GEN_AI_TOOL_NAME, "get_weather");
///         guard.start(&P::SpanMeta { name: "execute_tool get_weather", … }, attrs);
///     }
///     let ret = {
///         let _entered = guard.enter();
///         P::call_once(move || { /* the original body */ })
///     };
///     (&&&P::ReturnValue(&ret)).record_response(&mut guard); // Ok → gen_ai.response.*, usage
///     (&&&&&P::ReturnValue(&ret)).record_error(&mut guard); // Err → status + error.type
///     guard.finish();
///     ret
/// }
/// ```
///
/// An `async fn` body becomes `P::Instrumented::new(guard, async move { body }, record).await`.
#[doc(inline)]
pub use trace_genai_macros::trace_genai;

/// An attribute (key and typed value), for [`current_span`], [`context::with_attributes`]
/// and [`TelemetryBuilder::with_resource_attribute`]: OpenTelemetry's own type, re-exported
/// so that instrumented code needs no other dependency.
pub use opentelemetry::KeyValue;

pub use config::azure_project::{AzureProjectFailure, AzureProjectStep};
pub use config::destination::{
    ConnectionString, Destination, OtlpCompression, OtlpConfig, OtlpProtocol, OtlpTls, Pem, Secret,
    Signal,
};
pub use config::error::{
    Deadline, DeliveryCounts, DeliveryReport, ExportFailure, InitError, ShutdownError,
};
pub use config::{ConsoleFormat, ConsoleOutput, SamplerConfig, UploadConfig, UploadFormat};
pub use feedback::record_user_feedback;
pub use genai::content::{
    ContentCapture, DEFAULT_CONTENT_MAX_LENGTH, SHORT_TRUNCATION_MARKER, TRUNCATION_MARKER,
    content_capture, content_max_length, set_content_capture,
};
pub use genai::message::GenAiRequest;
pub use genai::operation::Operation;
pub use genai::redact::{RedactClasses, Redactor};
pub use genai::response::{GenAiResponse, Usage};
pub use genai::value::{
    IntoAttributeValue, IntoF64Value, IntoI64Value, IntoStrArrayValue, IntoStrValue,
};
pub use global::logger_provider;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use install::bridge::{BridgeFilter, BridgeSpan, BridgeTracer, TracingLayer, TracingOptions};
pub use install::builder::TelemetryBuilder;
pub use install::telemetry::Telemetry;
pub use instrument::outcome::ErrorType;
pub use record::start::use_global_tracer_provider;

/// Re-export of the `opentelemetry` API crate trace-genai is built on, so applications can
/// reach it without a version mismatch.
pub use opentelemetry;

/// Re-export of the `opentelemetry_sdk` crate whose types appear in trace-genai's
/// signatures (`Resource`, span and log processors and exporters, `SpanData`, the
/// in-memory exporters of the `testing` feature), so applications use the same version.
pub use opentelemetry_sdk;

/// Installs telemetry configured entirely from the environment (see [`config`]).
///
/// Without any variable set, spans are printed on stdout as one tree per trace.
///
/// # Errors
///
/// [`InitError`] when an environment variable holds an invalid value.
pub fn init() -> Result<Telemetry, InitError> {
    Telemetry::builder().install()
}
