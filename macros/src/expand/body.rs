//! The body wrappers: sync, `async fn`, `#[async_trait]` methods, and `-> !`.
//!
//! Lints: the expansion is checked as the user's own code is (the tests crate and the
//! examples build it under `clippy::pedantic` with `-D warnings`). Only two generated
//! statements carry an `#[allow]`, each for the lints it raises and with its reason: the
//! return type hint (`unreachable_code`, `clippy::empty_loop`) and the attribute pushes
//! (`clippy::needless_borrows_for_generic_args`).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprAsync, ExprCall, ReturnType, Stmt, Type};

use crate::args::Args;
use crate::expand::attributes::span_start;
use crate::expand::content::{capture_inputs, capture_output};
use crate::expand::stream::{Shape, shape, wrap};
use crate::item::{Body, MaybeItemFn};

/// Input:
///
/// ```text
/// #[trace_genai(…)]
/// fn f(args) -> R { body }
/// ```
///
/// Output (sync; `P` is the runtime's `__private`):
///
/// ```text
/// fn f(args) -> R {
///     <span start: `let mut guard = …`>
///     let ret = {
///         let _entered = guard.enter();
///         P::call_once(move || { <return type hint> body })
///     };
///     (&&&P::ReturnValue(&ret)).record_response(&mut guard);
///     (&&&&&P::ReturnValue(&ret)).record_error(&mut guard);
///     guard.finish();
///     ret
/// }
/// ```
///
/// An `async fn` instead starts its span in a `P::HeapGuard` (boxed, so that the call's
/// future stays small), creates `let future = async move { <hint> body };` and awaits
/// `P::Call::traced(P::Instrumented::new(boxed_guard, future, |ret, guard| <record>))` when
/// the call is traced, else `P::Call::plain(future)`; one returning a stream awaits
/// `P::InstrumentedThen::new(guard, future, …)`.
/// and an `#[async_trait]` method wraps the future inside its `Box::pin(…)`.
pub(crate) fn expand(args: &Args, function: &MaybeItemFn) -> TokenStream {
    let krate = args.krate();
    let private = quote!(#krate::__private);
    let stream = shape(args, &function.sig.output);
    let guard = Ident::new("trace_genai_guard", Span::mixed_site());
    let start = span_start(
        args,
        function,
        &private,
        stream.is_some(),
        &guard,
        &quote!(SpanGuard),
    );
    let inputs = capture_inputs(args, &private, &guard);
    let entered = Ident::new("_trace_genai_entered", Span::mixed_site());

    let MaybeItemFn {
        outer_attrs,
        vis,
        sig,
        body,
        ..
    } = function;
    let inner_attrs = function.hoisted_inner_attrs();
    // Spans that make the compiler's notes about the return type point at the user's
    // return type, not at the attribute.
    let output_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };

    let stream_span = args
        .stream
        .as_ref()
        .map_or(output_span, proc_macro2::Ident::span);
    let wrapped = if returns_never(&sig.output) && stream.is_none() {
        // A diverging function never returns a value to inspect: the span ends on panic,
        // or never.
        quote! {
            #start
            #inputs
            let #entered = #guard.enter();
            #body
        }
    } else if sig.asyncness.is_some() {
        let hint = return_type_hint(&sig.output);
        let future = quote_spanned!(output_span=> async move { #hint #body });
        if stream.is_some() {
            let instrumented = instrumented(args, &private, stream.as_ref(), &future, stream_span);
            quote! {
                #start
                #inputs
                #instrumented.await
            }
        } else {
            // An untraced call awaits the body directly: no wrapper, and no guard kept in
            // the call's future across the await.
            let body_future = Ident::new("trace_genai_future", Span::mixed_site());
            let instrumented =
                instrumented(args, &private, None, &quote!(#body_future), stream_span);
            let call = Ident::new("trace_genai_call", Span::mixed_site());
            let start = span_start(args, function, &private, false, &guard, &quote!(HeapGuard));
            quote! {
                let #call = {
                    #start
                    #inputs
                    let #body_future = #future;
                    match #guard.into_box() {
                        ::core::option::Option::Some(#guard) => #private::Call::traced(#instrumented),
                        ::core::option::Option::None => #private::Call::plain(#body_future),
                    }
                };
                #call.await
            }
        }
    } else if let Some((call, future)) = async_trait_future(body) {
        // #[async_trait] already turned `async fn` into `Box::pin(async move { … })`:
        // instrument the inner future, not the function that only allocates it.
        let func = &call.func;
        let instrumented = instrumented(
            args,
            &private,
            stream.as_ref(),
            &future.to_token_stream(),
            stream_span,
        );
        quote! {
            #start
            #inputs
            #func(#instrumented)
        }
    } else {
        let hint = return_type_hint(&sig.output);
        let ret = Ident::new("trace_genai_return", Span::mixed_site());
        let record = record_outcome(&private, &quote!(&#ret), &quote!(&mut #guard));
        let output = capture_output(
            args,
            &private,
            &quote!(&#ret),
            &quote!(#guard),
            stream.is_some(),
        );
        // A closure inherits the unsafe context of an `unsafe fn`.
        let closure = quote_spanned!(output_span=> move || { #hint #body });
        // The span ends now, or moves into the returned stream.
        let end = stream.as_ref().map_or_else(
            || {
                quote! {
                    #guard.finish();
                    #ret
                }
            },
            |shape| wrap(shape, &private, &quote!(#ret), &quote!(#guard), stream_span),
        );
        quote! {
            #start
            #inputs
            let #ret = {
                let #entered = #guard.enter();
                #private::call_once(#closure)
            };
            #output
            #record
            #end
        }
    };

    let mut tokens = quote! {
        #(#outer_attrs)*
        #(#inner_attrs)*
        #vis #sig
    };
    function
        .brace_token
        .surround(&mut tokens, |tokens| wrapped.to_tokens(tokens));
    tokens
}

fn returns_never(output: &ReturnType) -> bool {
    matches!(output, ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)))
}

/// `(&&&ReturnValue(value)).record_response(guard)`, then
/// `(&&&&&ReturnValue(value)).record_error(guard)`: picks, at compile time, the most
/// specific recording of the response and of the error for the return type (see the
/// runtime's `outcome::levels`).
fn record_outcome(private: &TokenStream, value: &TokenStream, guard: &TokenStream) -> TokenStream {
    quote! {
        {
            use #private::{
                AnyErr as _, ErrAsDynError as _, ErrAsDynErrorSendSync as _,
                ErrWithErrorType as _, NoErr as _, NoResponse as _, OkResponse as _,
                Response as _,
            };
            (&&&#private::ReturnValue(#value)).record_response(#guard);
            (&&&&&#private::ReturnValue(#value)).record_error(#guard);
        }
    }
}

/// `P::Instrumented::new(guard, future, record)`, or for a stream
/// `P::InstrumentedThen::new(guard, future, |ret, guard| { record; wrap })`.
fn instrumented(
    args: &Args,
    private: &TokenStream,
    stream: Option<&Shape>,
    future: &TokenStream,
    stream_span: Span,
) -> TokenStream {
    let guard = Ident::new("trace_genai_guard", Span::mixed_site());
    let value = Ident::new("trace_genai_return", Span::mixed_site());
    let Some(shape) = stream else {
        let output = capture_output(args, private, &quote!(#value), &quote!(#guard), false);
        let record = record_outcome(private, &quote!(#value), &quote!(#guard));
        return quote! {
            #private::Instrumented::new(#guard, #future, |#value, #guard| { #output #record })
        };
    };
    let output = capture_output(args, private, &quote!(&#value), &quote!(#guard), true);
    let record = record_outcome(private, &quote!(&#value), &quote!(&mut #guard));
    let wrapped = wrap(
        shape,
        private,
        &quote!(#value),
        &quote!(#guard),
        stream_span,
    );
    quote! {
        #private::InstrumentedThen::new(#guard, #future, |#value, mut #guard| {
            #output
            #record
            #wrapped
        })
    }
}

/// `if false { let r: ReturnType = loop {}; return r; }`: makes inference inside the
/// closure or async block see the declared return type, so `?` and type errors in the
/// body behave as in the original function, and the outcome is recorded for the right
/// type. `impl Trait` inside the type becomes `_`; a bare `impl Trait` return gets no hint.
fn return_type_hint(output: &ReturnType) -> TokenStream {
    let span = match output {
        ReturnType::Default => output.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let ty = match output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => {
            if matches!(**ty, Type::ImplTrait(_)) {
                return TokenStream::new();
            }
            let mut ty = (**ty).clone();
            EraseImplTrait.visit_type_mut(&mut ty);
            ty.to_token_stream()
        }
    };
    let fake = Ident::new(
        "trace_genai_fake_return",
        Span::mixed_site().located_at(span),
    );
    quote_spanned! {span=>
        #[allow(
            unreachable_code,
            clippy::empty_loop,
            reason = "a type hint that never runs: `loop {}` stands for a value of the return type"
        )]
        if false {
            let #fake: #ty = loop {};
            return #fake;
        }
    }
}

/// Replaces `impl Trait` with `_`, which a `let` type annotation accepts.
struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            let span = impl_trait.impl_token.span;
            *ty = syn::parse_quote_spanned!(span=> _);
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

/// Matches the body `#[async_trait]` generates: a single `Box::pin(async move { … })`.
fn async_trait_future(body: &Body) -> Option<(&ExprCall, &ExprAsync)> {
    let Body::Parsed(stmts) = body else {
        return None;
    };
    let [Stmt::Expr(Expr::Call(call), None)] = stmts.as_slice() else {
        return None;
    };
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let mut segments = path.path.segments.iter().rev();
    let is_box_pin = segments.next().is_some_and(|s| s.ident == "pin")
        && segments.next().is_some_and(|s| s.ident == "Box");
    if !is_box_pin {
        return None;
    }
    match call.args.iter().collect::<Vec<_>>().as_slice() {
        [Expr::Async(future)] if future.capture.is_some() => Some((call, future)),
        _ => None,
    }
}
