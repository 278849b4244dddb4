//! Streaming return values: recognizing them, and the call that moves the span into the
//! returned stream or iterator.
//!
//! Input:
//!
//! ```text
//! #[trace_genai(chat, model = "m")]
//! async fn chat(…) -> Result<impl Stream<Item = Result<Chunk, Error>>, Error> { … }
//! ```
//!
//! Output, where a plain function records its outcome and ends its span:
//!
//! ```text
//! (&&&P::ReturnValue(&ret)).record_response(&mut guard);
//! (&&&&&P::ReturnValue(&ret)).record_error(&mut guard);     // an Err ends the span now
//! P::trace_stream_result(ret, guard, {
//!     use P::{ChunkInspector as _, NoInspector as _};
//!     (&&P::ChunkProbe::<Result<Chunk, Error>>::new()).inspector()
//! })
//! ```

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::visit::Visit;
use syn::{GenericArgument, PathArguments, ReturnType, Type, TypeParamBound};

use crate::args::Args;
use crate::expand::attributes::{relocate, respan};

/// How the return value is followed.
pub(crate) enum Shape {
    /// `impl Stream<Item = T>`.
    ImplStream(Option<Type>),
    /// `Result<impl Stream<Item = T>, E>`.
    ResultImplStream(Option<Type>),
    /// `impl Iterator<Item = T>` (with `stream`).
    ImplIter(Option<Type>),
    /// `Result<impl Iterator<Item = T>, E>` (with `stream`).
    ResultImplIter(Option<Type>),
    /// Boxed streams and iterators, through the runtime's `IntoTraced`.
    Boxed,
}

/// The stream shape of the return type: recognized for streams, and for anything when
/// `stream` is given (a type that is not a stream is then a compile error).
pub(crate) fn shape(args: &Args, output: &ReturnType) -> Option<Shape> {
    let flagged = args.stream.is_some();
    let ReturnType::Type(_, ty) = output else {
        return flagged.then_some(Shape::Boxed);
    };
    if let Some((trait_name, item)) = impl_trait(ty) {
        return match trait_name.as_str() {
            "Stream" => Some(Shape::ImplStream(item)),
            "Iterator" if flagged => Some(Shape::ImplIter(item)),
            _ => flagged.then_some(Shape::Boxed),
        };
    }
    if let Some(ok) = result_ok_type(ty)
        && let Some((trait_name, item)) = impl_trait(ok)
    {
        return match trait_name.as_str() {
            "Stream" => Some(Shape::ResultImplStream(item)),
            "Iterator" if flagged => Some(Shape::ResultImplIter(item)),
            _ => flagged.then_some(Shape::Boxed),
        };
    }
    if flagged || is_boxed_stream(ty) || result_ok_type(ty).is_some_and(is_boxed_stream) {
        return Some(Shape::Boxed);
    }
    None
}

/// `impl Trait<Item = T> + …`: the trait's last path segment and `T`.
fn impl_trait(ty: &Type) -> Option<(String, Option<Type>)> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let segment = bound.path.segments.last()?;
        let name = segment.ident.to_string();
        if name != "Stream" && name != "Iterator" {
            return None;
        }
        let item = match &segment.arguments {
            PathArguments::AngleBracketed(arguments) => {
                arguments.args.iter().find_map(|argument| match argument {
                    GenericArgument::AssocType(assoc) if assoc.ident == "Item" => {
                        Some(assoc.ty.clone())
                    }
                    _ => None,
                })
            }
            _ => None,
        };
        Some((name, item))
    })
}

/// `T` of `Result<T, E>`.
fn result_ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    match arguments.args.first()? {
        GenericArgument::Type(ok) => Some(ok),
        _ => None,
    }
}

/// `BoxStream<…>`, `LocalBoxStream<…>` or `Pin<Box<dyn Stream<…>>>`.
fn is_boxed_stream(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(segment) = path.path.segments.last() else {
        return false;
    };
    if segment.ident == "BoxStream" || segment.ident == "LocalBoxStream" {
        return true;
    }
    segment.ident == "Pin"
        && segment
            .arguments
            .to_token_stream()
            .to_string()
            .contains("Stream")
}

/// Whether `ty` names `impl Trait` somewhere (it cannot be written in an expression).
fn has_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// The item inspector: chosen from the item type when it is written, else none.
fn inspector(private: &TokenStream, item: Option<&Type>) -> TokenStream {
    match item {
        Some(item) if !has_impl_trait(item) => {
            let span = item.span();
            let spanned = respan(private, span);
            let probe = quote_spanned! {span=>
                (&&#spanned::ChunkProbe::<#item>::new()).inspector()
            };
            quote! {
                {
                    use #private::{ChunkInspector as _, NoInspector as _};
                    #probe
                }
            }
        }
        _ => quote!(#private::inspect_nothing()),
    }
}

/// The call that hands the span to the stream: `value` is the return value, `guard` the
/// span guard (moved).
pub(crate) fn wrap(
    shape: &Shape,
    private: &TokenStream,
    value: &TokenStream,
    guard: &TokenStream,
    args_span: proc_macro2::Span,
) -> TokenStream {
    match shape {
        Shape::ImplStream(item) => {
            let inspect = inspector(private, item.as_ref());
            quote!(#private::trace_stream(#value, #guard, #inspect))
        }
        Shape::ResultImplStream(item) => {
            let inspect = inspector(private, item.as_ref());
            quote!(#private::trace_stream_result(#value, #guard, #inspect))
        }
        Shape::ImplIter(item) => {
            let inspect = inspector(private, item.as_ref());
            quote!(#private::trace_iter(#value, #guard, #inspect))
        }
        Shape::ResultImplIter(item) => {
            let inspect = inspector(private, item.as_ref());
            quote!(#private::trace_iter_result(#value, #guard, #inspect))
        }
        Shape::Boxed => {
            // A type that is not a stream is reported at `stream` (or the return type).
            let span = args_span;
            let spanned = respan(private, span);
            let value = relocate(value, span);
            quote_spanned!(span=> #spanned::IntoTraced::into_traced(#value, #guard))
        }
    }
}
