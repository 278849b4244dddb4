//! Lowers the arguments to the span start: a `SpanMeta` and the attribute pushes.
//!
//! Input:
//!
//! ```text
//! #[trace_genai(chat, provider = "openai", model = req.model.as_str(), temperature = req.temperature)]
//! ```
//!
//! Output (`P` is `::trace_genai::__private`; each key's `semconv` constant and the
//! `Operation` variant come from the vocabulary):
//!
//! ```text
//! let mut guard = P::SpanGuard::disabled();
//! #[allow(clippy::needless_borrows_for_generic_args, reason = "…")]
//! if P::enabled() {
//!     let mut attrs = P::attributes(12);
//!     P::push_static_str(&mut attrs, P::semconv::GEN_AI_OPERATION_NAME, P::Operation::Chat.as_str());
//!     P::push_static_str(&mut attrs, P::semconv::GEN_AI_PROVIDER_NAME, "openai");
//!     P::push(&mut attrs, P::semconv::GEN_AI_REQUEST_MODEL, P::IntoStrValue::into_str_value(&(req.model.as_str())));
//!     P::push(&mut attrs, P::semconv::GEN_AI_REQUEST_TEMPERATURE, P::IntoF64Value::into_f64_value(&(req.temperature)));
//!     guard.start(
//!         &P::SpanMeta {
//!             name: "chat",
//!             operation: Some(P::Operation::Chat),
//!             kind: P::Operation::Chat.default_kind(),
//!             subject_key: Some(P::semconv::GEN_AI_REQUEST_MODEL),
//!             content: None,
//!             stream: false,
//!         },
//!         attrs,
//!     );
//! }
//! ```
//!
//! The span name is `chat` here because the model is an expression; with `model = "gpt-4o"`
//! it is `chat gpt-4o`, and the runtime completes it from `subject_key` otherwise. The
//! attribute list has room for what the span gets when the call ends (response, usage,
//! `error.type`), so it is not reallocated then.
//!
//! The guard is started in place: it holds the span, which is large, and is never moved
//! on the way. An `async fn`'s guard is a `P::HeapGuard` instead, whose span is started in
//! place on the heap (see `body.rs`).
//!
//! Values are taken by reference, so an argument used as a value is never moved.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit};

use crate::args::Args;
use crate::expand::function_name;
use crate::item::MaybeItemFn;
use crate::vocabulary::{KEYS, MODEL, OPERATION_NAME_KEY, Operation, ValueType};

/// The statements that declare `guard` and start its span (when telemetry is on).
pub(crate) fn span_start(
    args: &Args,
    function: &MaybeItemFn,
    private: &TokenStream,
    stream: bool,
    guard: &Ident,
    guard_type: &TokenStream,
) -> TokenStream {
    let attrs = Ident::new("trace_genai_attributes", Span::mixed_site());
    let mut pushes = Vec::new();
    let mut name = args
        .name
        .as_ref()
        .map_or_else(|| function_name(function), syn::LitStr::value);
    let mut subject_key = quote!(::core::option::Option::None);

    let operation = args.operation();
    if let Some(op) = operation {
        let variant = format_ident!("{}", op.variant());
        let operation_key = format_ident!("{}", OPERATION_NAME_KEY);
        pushes.push(quote! {
            #private::push_static_str(&mut #attrs, #private::semconv::#operation_key, #private::Operation::#variant.as_str());
        });
        let subject = op.subject();
        let subject_semconv = format_ident!("{}", subject.semconv);
        name = match args.key(subject).map(|arg| &arg.value) {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Str(value),
                ..
            })) if !value.value().is_empty() => format!("{} {}", op.name(), value.value()),
            _ => op.name().to_owned(),
        };
        match args.key(subject).map(|arg| &arg.value) {
            Some(Expr::Lit(_)) => {}
            Some(_) => {
                subject_key =
                    quote!(::core::option::Option::Some(#private::semconv::#subject_semconv));
            }
            None if subject == MODEL && args.request.is_some() => {
                // The model comes from the `request = …` value.
                subject_key =
                    quote!(::core::option::Option::Some(#private::semconv::#subject_semconv));
            }
            None if op == Operation::ExecuteTool => {
                // A tool is usually the function itself: name it after the function.
                let tool = function_name(function);
                name = format!("{} {tool}", op.name());
                pushes.push(quote! {
                    #private::push_static_str(&mut #attrs, #private::semconv::#subject_semconv, #tool);
                });
            }
            None => {}
        }
    }

    for spec in KEYS {
        let Some(arg) = args.key(spec) else {
            continue;
        };
        let key = format_ident!("{}", spec.semconv);
        let key = quote!(#private::semconv::#key);
        let value = &arg.value;
        let span = value.span();
        // Type errors in the value point at the value, not at the attribute.
        let private = &respan(private, span);
        pushes.push(match (spec.ty, value) {
            (ValueType::Str, Expr::Lit(ExprLit { lit: Lit::Str(lit), .. })) => quote! {
                #private::push_static_str(&mut #attrs, #key, #lit);
            },
            (ValueType::Str, _) => quote_spanned! {span=>
                #private::push(&mut #attrs, #key, #private::IntoStrValue::into_str_value(&(#value)));
            },
            (ValueType::F64, _) => quote_spanned! {span=>
                #private::push(&mut #attrs, #key, #private::IntoF64Value::into_f64_value(&(#value)));
            },
            (ValueType::I64, _) => quote_spanned! {span=>
                #private::push(&mut #attrs, #key, #private::IntoI64Value::into_i64_value(&(#value)));
            },
            (ValueType::ChoiceCount, _) => quote_spanned! {span=>
                #private::push_choice_count(&mut #attrs, #private::IntoI64Value::into_i64_value(&(#value)));
            },
            (ValueType::StrArray, _) => quote_spanned! {span=>
                #private::push_str_array(&mut #attrs, #key, #private::IntoStrArrayValue::into_str_array_value(&(#value)));
            },
        });
    }

    for field in &args.fields {
        let key = &field.key;
        let value = &field.value;
        pushes.push(if let Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) = value {
            quote! {
                #private::push_static_str(&mut #attrs, #key, #lit);
            }
        } else {
            let private = respan(private, value.span());
            quote_spanned! {value.span()=>
                #private::push(&mut #attrs, #key, #private::IntoAttributeValue::into_attribute_value(&(#value)));
            }
        });
    }

    if let Some(request) = &args.request {
        // After the explicit keys, which win.
        let span = request.span();
        let private = respan(private, span);
        pushes.push(quote_spanned! {span=>
            #private::push_request(&mut #attrs, &(#request));
        });
    }

    let kind = match (&args.kind, operation) {
        (Some((_, variant)), _) => {
            let variant = format_ident!("{}", variant);
            quote!(#private::SpanKind::#variant)
        }
        (None, Some(op)) => {
            let variant = format_ident!("{}", op.variant());
            quote!(#private::Operation::#variant.default_kind())
        }
        (None, None) => quote!(#private::SpanKind::Internal),
    };
    let operation = operation.map_or_else(
        || quote!(::core::option::Option::None),
        |op| {
            let variant = format_ident!("{}", op.variant());
            quote!(::core::option::Option::Some(#private::Operation::#variant))
        },
    );
    let content = args.content.map_or_else(
        || quote!(::core::option::Option::None),
        |variant| {
            let variant = format_ident!("{}", variant);
            quote!(::core::option::Option::Some(#private::ContentCapture::#variant))
        },
    );
    // Room for what the span gets later (response, usage, error.type), so that the span's
    // attribute list is not reallocated when the call ends.
    let later = if args.operation.is_some() { 8 } else { 1 };
    let capacity = pushes.len() + later + if args.request.is_some() { 12 } else { 0 };

    quote! {
        let mut #guard = #private::#guard_type::disabled();
        #[allow(
            clippy::needless_borrows_for_generic_args,
            reason = "attribute values are taken by reference, so that a parameter used as a value is not moved"
        )]
        if #private::enabled() {
            let mut #attrs = #private::attributes(#capacity);
            #(#pushes)*
            #guard.start(
                &#private::SpanMeta {
                    name: #name,
                    operation: #operation,
                    kind: #kind,
                    subject_key: #subject_key,
                    content: #content,
                    stream: #stream,
                },
                #attrs,
            );
        }
    }
}

/// `tokens` with every span set to `span`.
pub(crate) fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                respanned.set_span(span);
                token = proc_macro2::TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// `tokens` shown at `span` in diagnostics, but resolved as before (generated names keep
/// their hygiene).
pub(crate) fn relocate(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(token.span().located_at(span));
            token
        })
        .collect()
}
