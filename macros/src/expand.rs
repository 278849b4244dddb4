//! Code generation: the span start, then the body wrapper that ends the span.
//!
//! The expansion stays thin: one `SpanGuard::start` call with the attribute list, and a
//! wrapper around the body. Everything else happens in the runtime crate.

mod attributes;
mod body;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt as _;

use crate::args::Args;
use crate::errors::Errors;
use crate::item::MaybeItemFn;

/// Entry point: never fails; errors become `compile_error!` next to the original item.
pub(crate) fn trace_genai(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse2::<MaybeItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => return with_error(&not_a_function(&item, error), item),
    };
    let args = match syn::parse2::<Args>(args) {
        Ok(args) => args,
        Err(error) => return with_error(&error, function.into_token_stream()),
    };
    if let Err(error) = validate(&args, &function) {
        return with_error(&error, function.into_token_stream());
    }
    body::expand(&args, &function)
}

/// The original item after the error, so the user sees one error rather than a cascade
/// of "cannot find function" errors.
fn with_error(error: &syn::Error, item: TokenStream) -> TokenStream {
    let mut tokens = error.to_compile_error();
    tokens.extend(item);
    tokens
}

fn not_a_function(item: &TokenStream, parse_error: syn::Error) -> syn::Error {
    let has_fn = item
        .clone()
        .into_iter()
        .any(|token| matches!(&token, proc_macro2::TokenTree::Ident(ident) if ident == "fn"));
    if has_fn {
        return parse_error;
    }
    let span = item
        .clone()
        .into_iter()
        .find(|token| !matches!(token, proc_macro2::TokenTree::Punct(p) if p.as_char() == '#'))
        .map_or_else(Span::call_site, |token| token.span());
    syn::Error::new(
        span,
        "#[trace_genai] can only be applied to functions and methods",
    )
}

/// Rules that involve both the arguments and the function.
fn validate(args: &Args, function: &MaybeItemFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let Some(constness) = &function.sig.constness {
        errors.spanned(
            constness,
            "#[trace_genai] cannot instrument a `const fn`: spans are created at run time",
        );
    }
    if let (Some(name), Some((operation, spec))) = (&args.name, &args.operation) {
        let mut error = syn::Error::new_spanned(
            name,
            format!(
                "`name` cannot be combined with `{}`: the conventions name this span `{} {{{}}}`",
                spec.name, spec.name, spec.subject
            ),
        );
        error.combine(syn::Error::new_spanned(operation, "operation given here"));
        errors.push(error);
    }
    errors.finish()
}

/// The span name written in the source: the function name without `r#`.
pub(crate) fn function_name(function: &MaybeItemFn) -> String {
    function.sig.ident.unraw().to_string()
}
