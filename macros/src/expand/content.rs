//! Lowers `capture(...)` to calls on the span's content collector, and checks that the
//! names it uses are parameters.
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
use syn::spanned::Spanned as _;
use syn::visit::Visit;
use syn::{Expr, FnArg, Ident};

use crate::args::{Args, CaptureSource, Slot};
use crate::errors::Errors;
use crate::expand::attributes::{relocate, respan};
use crate::expand::function_name;
use crate::item::MaybeItemFn;

/// Every single-name value in `capture(...)` must be a parameter of the function.
pub(crate) fn check_parameters(args: &Args, function: &MaybeItemFn) -> syn::Result<()> {
    let mut parameters = Parameters::default();
    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(_) => parameters.names.push("self".to_owned()),
            FnArg::Typed(typed) => parameters.visit_pat(&typed.pat),
        }
    }
    let function = function_name(function);
    let mut errors = Errors::default();
    let mut check = |ident: &Ident, hint: &str| {
        if !parameters.names.iter().any(|name| ident == name) {
            errors.spanned(
                ident,
                format!("`{ident}` is not a parameter of `{function}`{hint}"),
            );
        }
    };
    for capture in &args.captures {
        match &capture.source {
            CaptureSource::Implicit(ident) => {
                // `capture(request)` uses the `request = …` value when there is one.
                if capture.slot == Slot::Request && args.request.is_some() {
                    continue;
                }
                check(
                    ident,
                    &format!("; name the value to capture: `capture({ident} = <parameter>)`"),
                );
            }
            CaptureSource::Expr(Expr::Path(path))
                if path.qself.is_none() && path.path.get_ident().is_some() =>
            {
                if let Some(ident) = path.path.get_ident() {
                    check(ident, "");
                }
            }
            CaptureSource::Parameters(idents) => {
                for ident in idents {
                    check(ident, "");
                }
            }
            CaptureSource::Expr(_) | CaptureSource::Return => {}
        }
    }
    errors.finish()
}

#[derive(Default)]
struct Parameters {
    names: Vec<String>,
}

impl Visit<'_> for Parameters {
    fn visit_pat_ident(&mut self, pat: &syn::PatIdent) {
        self.names.push(pat.ident.to_string());
        syn::visit::visit_pat_ident(self, pat);
    }
}

/// The input captures, run right after the span starts (before the body takes the
/// parameters). Empty when nothing is captured from the inputs.
pub(crate) fn capture_inputs(args: &Args, private: &TokenStream, guard: &Ident) -> TokenStream {
    let content = Ident::new("trace_genai_content", Span::mixed_site());
    let mut calls = Vec::new();
    for capture in &args.captures {
        let method = match capture.slot {
            Slot::Messages => "input_messages",
            Slot::System => "system_instructions",
            Slot::Tools => "tool_definitions",
            Slot::Request => "request",
            Slot::Arguments => "tool_call_arguments",
            Slot::Query => "retrieval_query",
            Slot::Output => continue,
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
    let operation = args.operation.as_ref().map(|(_, op)| op.name);
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
            let key = match operation {
                Some("execute_tool") => quote!(GEN_AI_TOOL_CALL_RESULT),
                Some("retrieval") => quote!(GEN_AI_RETRIEVAL_DOCUMENTS),
                _ => {
                    return quote_spanned! {span=>
                        #spanned::Captured::output_messages(#content, #value);
                    };
                }
            };
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
