//! The arguments of `#[trace_genai(...)]`: their syntax ([`RawArgs`], read by [`parse`])
//! and their checked form ([`Args`], built by `validate`).
//!
//! Grammar (comma-separated, at most one trailing comma):
//!
//! ```text
//! operation                      chat | text_completion | generate_content | embeddings
//!                                | retrieval | execute_tool | create_agent | invoke_agent
//!                                | invoke_workflow
//! key = expr                     a GenAI attribute (see vocabulary::KEYS)
//! name = "literal"               the span name of a non-GenAI span
//! kind = client | server | internal | producer | consumer
//! fields(key = expr, a.b = expr, "any.key" = expr)
//! request = expr                 a request type that reports model and parameters
//! capture(slot, slot = expr, arguments(a, b), output)
//!                                what message content may be recorded (see CAPTURE_NAMES)
//! content = "span_only"          this function's content capture policy
//! stream                         the return value is a stream or iterator the span follows
//! crate = path                   where the runtime lives, for re-exporting crates
//! ```
//!
//! Parsing reads only the shape of each argument; which words exist, which values fit
//! and which combinations are allowed is decided by `validate`, so every such mistake is
//! reported in the same build.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

use crate::vocabulary::{self, CAPTURE_NAMES, KeySpec, Operation, Slot, argument};

/// One argument as written.
pub(crate) enum RawArg {
    /// `crate = path`.
    Crate {
        /// The `crate` token.
        token: Token![crate],
        /// The path.
        path: syn::Path,
    },
    /// A bare word: an operation, or `stream`.
    Word(Ident),
    /// `word = expr`.
    Assign {
        /// The word before `=`.
        key: Ident,
        /// The value.
        value: Expr,
    },
    /// `fields(...)`.
    Fields {
        /// The `fields` word.
        word: Ident,
        /// Its entries.
        entries: Vec<FieldArg>,
    },
    /// `capture(...)`.
    Capture {
        /// The `capture` word.
        word: Ident,
        /// Its entries.
        entries: Vec<RawCapture>,
    },
}

/// The arguments as written, up to the first syntax error.
pub(crate) struct RawArgs {
    /// The arguments read.
    pub(crate) entries: Vec<RawArg>,
    /// The syntax error that stopped parsing, if any.
    pub(crate) syntax_error: Option<syn::Error>,
}

/// One `capture(...)` entry as written.
pub(crate) struct RawCapture {
    /// The slot name.
    pub(crate) name: Ident,
    /// What follows it.
    pub(crate) value: RawCaptureValue,
}

/// What follows a `capture(...)` entry's name.
pub(crate) enum RawCaptureValue {
    /// Nothing.
    None,
    /// `= expr`.
    Expr(Expr),
    /// `(a, b)` (only after `arguments`).
    Parameters(Vec<Ident>),
}

/// A `fields(...)` entry: a dotted path of identifiers or a string literal, then a value.
pub(crate) struct FieldArg {
    /// The attribute key.
    pub(crate) key: LitStr,
    /// Its value.
    pub(crate) value: Expr,
}

/// Reads the arguments; never fails: a syntax error ends the list and is kept in it.
pub(crate) fn parse(tokens: TokenStream) -> RawArgs {
    let parser = |input: ParseStream<'_>| {
        let mut entries = Vec::new();
        let syntax_error = parse_list(input, &mut entries).err();
        // The rest after a syntax error is not read.
        input.parse::<TokenStream>()?;
        Ok(RawArgs {
            entries,
            syntax_error,
        })
    };
    parser.parse2(tokens).unwrap_or_else(|error| RawArgs {
        entries: Vec::new(),
        syntax_error: Some(error),
    })
}

fn parse_list(input: ParseStream<'_>, entries: &mut Vec<RawArg>) -> syn::Result<()> {
    while !input.is_empty() {
        entries.push(parse_one(input)?);
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![,]) {
            return Err(input.error("expected `,` between arguments"));
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

fn parse_one(input: ParseStream<'_>) -> syn::Result<RawArg> {
    if input.peek(Token![crate]) {
        let token: Token![crate] = input.parse()?;
        input.parse::<Token![=]>()?;
        let path = input.call(syn::Path::parse_mod_style).map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a path: `crate = my_crate::trace_genai`",
            )
        })?;
        return Ok(RawArg::Crate { token, path });
    }
    if !input.peek(Ident::peek_any) {
        return Err(input.error(
            "expected an operation such as `chat`, or `key = value`; see the documentation of #[trace_genai] for the keys",
        ));
    }
    let word = input.call(Ident::parse_any)?;
    if input.peek(syn::token::Paren) {
        if word == argument::FIELDS {
            let content;
            syn::parenthesized!(content in input);
            let entries =
                Punctuated::<FieldArg, Token![,]>::parse_terminated_with(&content, parse_field)?;
            return Ok(RawArg::Fields {
                word,
                entries: entries.into_iter().collect(),
            });
        }
        if word == argument::CAPTURE {
            let content;
            syn::parenthesized!(content in input);
            let entries = Punctuated::<RawCapture, Token![,]>::parse_terminated_with(
                &content,
                parse_capture,
            )?;
            return Ok(RawArg::Capture {
                word,
                entries: entries.into_iter().collect(),
            });
        }
    }
    if !input.peek(Token![=]) {
        return Ok(RawArg::Word(word));
    }
    input.parse::<Token![=]>()?;
    let value = input.parse()?;
    Ok(RawArg::Assign { key: word, value })
}

fn parse_capture(input: ParseStream<'_>) -> syn::Result<RawCapture> {
    let name = input.call(Ident::parse_any).map_err(|error| {
        syn::Error::new(
            error.span(),
            format!(
                "expected what to capture: one of {}",
                vocabulary::list(CAPTURE_NAMES.iter().map(|capture| capture.name))
            ),
        )
    })?;
    let takes_parameters = CAPTURE_NAMES
        .iter()
        .any(|capture| capture.slot == Slot::Arguments && name == capture.name);
    let value = if takes_parameters && input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let parameters = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
        RawCaptureValue::Parameters(parameters.into_iter().collect())
    } else if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        RawCaptureValue::Expr(input.parse()?)
    } else {
        RawCaptureValue::None
    };
    Ok(RawCapture { name, value })
}

fn parse_field(input: ParseStream<'_>) -> syn::Result<FieldArg> {
    let key = if input.peek(LitStr) {
        input.parse::<LitStr>()?
    } else if input.peek(Ident::peek_any) {
        let first = input.call(Ident::parse_any)?;
        let mut key = first.unraw().to_string();
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            key.push('.');
            key.push_str(&input.call(Ident::parse_any)?.unraw().to_string());
        }
        LitStr::new(&key, first.span())
    } else {
        return Err(input.error("expected a field name: `my.key = value` or `\"my.key\" = value`"));
    };
    if !input.peek(Token![=]) {
        return Err(syn::Error::new_spanned(
            &key,
            format!("expected `{} = value`", key.value()),
        ));
    }
    input.parse::<Token![=]>()?;
    let value = input.parse()?;
    Ok(FieldArg { key, value })
}

/// Where a captured value comes from.
pub(crate) enum CaptureSource {
    /// `capture(messages)`: the parameter (or, for `request`, the `request = …` value) of
    /// the slot's name.
    Implicit(Ident),
    /// `capture(messages = expr)`.
    Expr(Expr),
    /// `capture(arguments(a, b))`: these parameters, as members of one object.
    Parameters(Vec<Ident>),
    /// `capture(output)`: the return value.
    Return,
}

/// One checked `capture(...)` entry.
pub(crate) struct CaptureArg {
    /// The entry's name as written.
    pub(crate) name: Ident,
    /// What it records.
    pub(crate) slot: Slot,
    /// Where the value comes from.
    pub(crate) source: CaptureSource,
}

/// A checked `key = value` argument.
pub(crate) struct KeyArg {
    /// The key.
    pub(crate) spec: &'static KeySpec,
    /// Its value.
    pub(crate) value: Expr,
}

/// The checked arguments, as the expansion reads them.
#[derive(Default)]
pub(crate) struct Args {
    /// The operation, with the word that chose it.
    pub(crate) operation: Option<(Ident, Operation)>,
    /// `name = "…"`.
    pub(crate) name: Option<LitStr>,
    /// The `SpanKind` variant, with the token that chose it.
    pub(crate) kind: Option<(Ident, &'static str)>,
    /// `crate = path`.
    pub(crate) crate_path: Option<syn::Path>,
    /// `key = value` arguments.
    pub(crate) keys: Vec<KeyArg>,
    /// `fields(...)`.
    pub(crate) fields: Vec<FieldArg>,
    /// `request = expr`.
    pub(crate) request: Option<Expr>,
    /// `capture(...)`.
    pub(crate) captures: Vec<CaptureArg>,
    /// `content = "…"`: the `ContentCapture` variant.
    pub(crate) content: Option<&'static str>,
    /// `stream`: the span follows the returned stream or iterator.
    pub(crate) stream: Option<Ident>,
}

impl Args {
    /// The value given for `key`.
    pub(crate) fn key(&self, key: &KeySpec) -> Option<&KeyArg> {
        self.keys.iter().find(|arg| arg.spec == key)
    }

    /// The operation, without the word that chose it.
    pub(crate) fn operation(&self) -> Option<Operation> {
        self.operation.as_ref().map(|(_, operation)| *operation)
    }

    /// The runtime path: `::trace_genai` or the `crate = …` override.
    pub(crate) fn krate(&self) -> TokenStream {
        self.crate_path
            .as_ref()
            .map_or_else(|| quote!(::trace_genai), ToTokens::to_token_stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_shape() {
        let raw = parse(quote!(
            chat,
            model = req.model.as_str(),
            fields(app.tier = "gold", "x" = 3),
            capture(messages, arguments(a, b), system = s),
            crate = my::path,
        ));
        assert!(raw.syntax_error.is_none());
        assert_eq!(raw.entries.len(), 5);
        assert!(matches!(&raw.entries[0], RawArg::Word(word) if word == "chat"));
        assert!(matches!(&raw.entries[2], RawArg::Fields { entries, .. } if entries.len() == 2));
        assert!(matches!(&raw.entries[3], RawArg::Capture { entries, .. } if entries.len() == 3));
    }

    #[test]
    fn a_syntax_error_keeps_what_came_before() {
        let raw = parse(quote!(chat, model = "a" provider = "b"));
        assert_eq!(raw.entries.len(), 2);
        assert_eq!(
            raw.syntax_error.map(|error| error.to_string()).as_deref(),
            Some("expected `,` between arguments")
        );
    }
}
