//! Code generation: the span start, then the body wrapper that ends the span.
//!
//! The expansion stays thin: one `SpanGuard::start` call with the attribute list, and a
//! wrapper around the body. Everything else happens in the runtime crate.

mod attributes;
mod body;
mod content;
mod stream;

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
    // Report the function's own mistakes together with the argument mistakes.
    let checked = match (syn::parse2::<Args>(args), validate_item(&function)) {
        (Ok(args), Ok(())) => content::check_parameters(&args, &function).map(|()| args),
        (Ok(_), Err(error)) | (Err(error), Ok(())) => Err(error),
        (Err(mut error), Err(item_error)) => {
            error.combine(item_error);
            Err(error)
        }
    };
    match checked {
        Ok(args) => body::expand(&args, &function),
        Err(error) => with_error(&error, function.into_token_stream()),
    }
}

/// The original item after the error, so the user sees one error rather than a cascade
/// of "cannot find function" errors.
fn with_error(error: &syn::Error, item: TokenStream) -> TokenStream {
    let mut tokens = error.to_compile_error();
    tokens.extend(item);
    tokens
}

fn not_a_function(item: &TokenStream, parse_error: syn::Error) -> syn::Error {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let is_word = |token: &TokenTree, word: &str| matches!(token, TokenTree::Ident(i) if i == word);
    let first = tokens
        .iter()
        .find(|token| !matches!(token, TokenTree::Punct(p) if p.as_char() == '#'));
    let span = first.map_or_else(Span::call_site, TokenTree::span);
    if first.is_some_and(|token| is_word(token, "safe")) {
        return syn::Error::new(
            span,
            "#[trace_genai] cannot instrument a function declared in an `extern` block: it has no body",
        );
    }
    // `fn name`: a function whose signature or body is malformed; syn's error says where.
    let is_function = tokens
        .windows(2)
        .any(|pair| is_word(&pair[0], "fn") && matches!(pair[1], TokenTree::Ident(_)));
    if is_function {
        return parse_error;
    }
    let message = if first.is_some_and(|token| is_word(token, "impl"))
        || tokens.iter().any(|token| is_word(token, "trait"))
    {
        "#[trace_genai] can only be applied to functions and methods: put it on the methods inside this block"
    } else {
        "#[trace_genai] can only be applied to functions and methods"
    };
    syn::Error::new(span, message)
}

/// Rules about the function alone.
fn validate_item(function: &MaybeItemFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let Some(constness) = &function.sig.constness {
        errors.spanned(
            constness,
            "#[trace_genai] cannot instrument a `const fn`: spans are created at run time",
        );
    }
    errors.finish()
}

/// The span name written in the source: the function name without `r#`.
pub(crate) fn function_name(function: &MaybeItemFn) -> String {
    function.sig.ident.unraw().to_string()
}
