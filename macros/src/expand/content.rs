//! Lowers `capture(...)` to calls on the span's content collector.
//!
//! Input:
//!
//! ```text
//! #[trace_genai(chat, model = "m", capture(messages, system = instructions, output))]
//! fn chat(messages: &[ChatMessage], instructions: &str) -> Result<Reply, Error> { … }
//! ```
//!
//! Output, after the span starts (`P` is `::trace_genai::__private`):
//!
//! ```text
//! if let Some(content) = guard.content() {
//!     P::Captured::input_messages(content, &(messages));
//!     P::Captured::system_instructions(content, &(instructions));
//! }
//! ```
//!
//! and, where the outcome is recorded:
//!
//! ```text
//! if let Some(content) = guard.content() {
//!     P::Captured::output_messages(content, ret);
//!     (&&P::ErrorValue(ret)).capture_error(content);
//! }
//! ```
//!
//! `guard.content()` is `None` unless the policy in force records content, so nothing is
//! converted or serialized otherwise.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned as _;

use crate::args::{Args, CaptureSource};
use crate::expand::attributes::{relocate, respan};
use crate::vocabulary::{Operation, Slot};

/// The input captures, run right after the span starts (before the body takes the
/// parameters). Empty when nothing is captured from the inputs.
pub(crate) fn capture_inputs(args: &Args, private: &TokenStream, guard: &Ident) -> TokenStream {
    let content = Ident::new("trace_genai_content", Span::mixed_site());
    let mut calls = Vec::new();
    for capture in &args.captures {
        let Some(method) = capture.slot.input_method() else {
            continue;
        };
        let method = Ident::new(method, capture.name.span());
        let value: TokenStream = match &capture.source {
            CaptureSource::Implicit(ident) => {
                if let (Some(request), Slot::Request) = (&args.request, capture.slot) {
                    quote!(#request)
                } else {
                    quote!(#ident)
                }
            }
            CaptureSource::Expr(expr) => quote!(#expr),
            CaptureSource::Parameters(idents) => {
                for ident in idents {
                    let name = ident.to_string();
                    let private = respan(private, ident.span());
                    calls.push(quote_spanned! {ident.span()=>
                        #private::Captured::tool_call_argument(#content, #name, &(#ident));
                    });
                }
                continue;
            }
            CaptureSource::Return => continue,
        };
        let span = value.span();
        let private = respan(private, span);
        calls.push(quote_spanned! {span=>
            #private::Captured::#method(#content, &(#value));
        });
    }
    if calls.is_empty() {
        return TokenStream::new();
    }
    quote! {
        if let ::core::option::Option::Some(#content) = #guard.content() {
            #(#calls)*
        }
    }
}

/// The output capture and the error text, run where the outcome is recorded; `value` is
/// a reference to the return value.
pub(crate) fn capture_output(
    args: &Args,
    private: &TokenStream,
    value: &TokenStream,
    guard: &TokenStream,
    stream: bool,
) -> TokenStream {
    let content = Ident::new("trace_genai_content", Span::mixed_site());
    let output_key = args.operation().and_then(Operation::output_key);
    let wants_output = args
        .captures
        .iter()
        .any(|capture| capture.slot == Slot::Output);
    // A stream's output is accumulated from its chunks.
    let stream_output = (stream && wants_output).then(|| quote!(#guard.capture_stream_output();));
    let output = args
        .captures
        .iter()
        .find(|capture| capture.slot == Slot::Output && !stream)
        .map(|capture| {
            let span = capture.name.span();
            let spanned = respan(private, span);
            // Trait errors point at the `capture(...)` entry; the generated name keeps
            // its hygiene.
            let value = relocate(value, span);
            let Some(key) = output_key else {
                return quote_spanned! {span=>
                    #spanned::Captured::output_messages(#content, #value);
                };
            };
            let key = Ident::new(key, Span::call_site());
            let call = quote_spanned! {span=>
                #spanned::capture_json(#content, #spanned::semconv::#key, (&&#spanned::CaptureValue(#value)).target());
            };
            quote! {
                {
                    use #private::{CaptureAny as _, CaptureOk as _};
                    #call
                }
            }
        });
    quote! {
        #stream_output
        if let ::core::option::Option::Some(#content) = #guard.content() {
            #output
            {
                use #private::{ErrorText as _, NoErrorText as _};
                (&&#private::ErrorValue(#value)).capture_error(#content);
            }
        }
    }
}
