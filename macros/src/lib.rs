//! The `#[trace_genai]` attribute macro.
//!
//! Use it through the `trace-genai` crate, which re-exports it and provides the runtime
//! the expansion calls: `use trace_genai::trace_genai;`. The documentation of the macro,
//! with every argument, is on its re-export there.
//!
//! One expansion goes through three phases: `args` reads the syntax of the arguments and
//! `item` the annotated function; `validate` checks both against `vocabulary` (the one
//! table of operations, keys and argument words) and collects every mistake (`errors`);
//! `expand` writes the span start and the body wrapper, which call into the runtime's
//! `__private` module. On any mistake the function is emitted unchanged after the errors.

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

mod args;
mod errors;
mod expand;
mod item;
mod validate;
mod vocabulary;

use proc_macro::TokenStream;

/// Wraps a function in an OpenTelemetry span that follows the GenAI semantic conventions.
///
/// See the `trace-genai` crate for the full reference.
#[proc_macro_attribute]
pub fn trace_genai(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::trace_genai(args.into(), item.into()).into()
}
