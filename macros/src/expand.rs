//! Code generation: the span start, then the body wrapper that ends the span.
//!
//! The expansion stays thin: one `SpanGuard::start` call with the attribute list, and a
//! wrapper around the body. Everything else happens in the runtime crate.

mod attributes;
mod body;
mod content;
mod stream;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt as _;

use crate::item::MaybeItemFn;
use crate::{args, validate};

/// Entry point: never fails; errors become `compile_error!` next to the original item.
///
/// The phases: `args::parse` reads the arguments' syntax, `validate` checks them with the
/// function and reports every mistake at once, then `body::expand` writes the wrapper.
pub(crate) fn trace_genai(args: TokenStream, item: TokenStream) -> TokenStream {
    let raw = args::parse(args);
    let function = syn::parse2::<MaybeItemFn>(item.clone())
        .map_err(|error| validate::not_a_function(&item, error));
    match (validate::validate(raw, function.as_ref()), function) {
        (Ok(args), Ok(function)) => body::expand(&args, &function),
        (Err(error), Ok(function)) => with_error(&error, function.into_token_stream()),
        (Ok(_), Err(error)) | (Err(error), Err(_)) => with_error(&error, item),
    }
}

/// The original item after the error, so the user sees one error rather than a cascade
/// of "cannot find function" errors.
fn with_error(error: &syn::Error, item: TokenStream) -> TokenStream {
    let mut tokens = error.to_compile_error();
    tokens.extend(item);
    tokens
}

/// The span name written in the source: the function name without `r#`.
pub(crate) fn function_name(function: &MaybeItemFn) -> String {
    function.sig.ident.unraw().to_string()
}
