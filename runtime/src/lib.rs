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
//! | returns `Err(e)` | `Error` | [`ErrorType::error_type`] if `E` implements it, else the type name of `E` |
//! | panics | `Error` | `panic` (the panic continues unchanged) |
//! | is an `async fn` whose future is dropped unfinished | `Error` | `cancelled` |
//!
//! The error's message is never recorded: provider errors often echo the prompt.
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
//! | `testing` | no | the OpenTelemetry SDK's in-memory exporter, for tests of instrumented code |
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

pub mod config;
#[cfg(feature = "console")]
#[cfg_attr(docsrs, doc(cfg(feature = "console")))]
pub mod console;
mod error;
mod future;
mod operation;
mod provider;
pub mod semconv;
mod span;
mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[doc(inline)]
pub use trace_genai_macros::trace_genai;

pub use config::{ConsoleFormat, SamplerConfig};
pub use error::{InitError, ShutdownError};
pub use future::Instrumented;
pub use operation::Operation;
pub use provider::{Telemetry, TelemetryBuilder};
pub use span::{ErrorType, SpanGuard};
pub use value::{IntoAttributeValue, IntoF64Value, IntoI64Value, IntoStrArrayValue, IntoStrValue};

/// Re-export of the `opentelemetry` API crate trace-genai is built on, so applications can
/// reach it without a version mismatch.
pub use opentelemetry;

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
