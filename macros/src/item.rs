//! The annotated function, parsed leniently.
//!
//! The signature must parse. The body is parsed when it can be, and otherwise kept as raw
//! tokens, so that a body the user is still typing produces the compiler's error on their
//! code rather than a macro failure. A declaration without a body (`fn f();`) parses too,
//! so that `validate` reports it with the other mistakes.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::token::Brace;
use syn::{AttrStyle, Attribute, Block, Signature, Stmt, Visibility};

/// A function whose body may not parse.
pub(crate) struct MaybeItemFn {
    pub(crate) outer_attrs: Vec<Attribute>,
    pub(crate) inner_attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body's braces, kept with their original span: rustc reports some lints (such
    /// as `dead_code`) only when the body's span comes from the user's code.
    pub(crate) brace_token: Brace,
    pub(crate) body: Body,
}

/// The function body.
pub(crate) enum Body {
    /// The statements, parsed.
    Parsed(Vec<Stmt>),
    /// The tokens between the braces, when they do not parse.
    Raw(TokenStream),
    /// No body: `fn f();` (reported by `validate`).
    Missing(syn::Token![;]),
}

impl ToTokens for Body {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Body::Parsed(stmts) => {
                for stmt in stmts {
                    stmt.to_tokens(tokens);
                }
            }
            Body::Raw(raw) => raw.to_tokens(tokens),
            Body::Missing(_) => {}
        }
    }
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let outer_attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(syn::Token![;]) {
            let semi: syn::Token![;] = input.parse()?;
            return Ok(MaybeItemFn {
                outer_attrs,
                inner_attrs: Vec::new(),
                vis,
                sig,
                brace_token: Brace(semi.span),
                body: Body::Missing(semi),
            });
        }
        let content;
        let brace_token = syn::braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let raw: TokenStream = content.parse()?;
        let body = match syn::parse2::<BlockContents>(raw.clone()) {
            Ok(BlockContents(stmts)) => Body::Parsed(stmts),
            Err(_) => Body::Raw(raw),
        };
        Ok(MaybeItemFn {
            outer_attrs,
            inner_attrs,
            vis,
            sig,
            brace_token,
            body,
        })
    }
}

impl ToTokens for MaybeItemFn {
    /// The function unchanged (emitted next to a compile error).
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.outer_attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        if let Body::Missing(semi) = &self.body {
            semi.to_tokens(tokens);
            return;
        }
        self.brace_token.surround(tokens, |tokens| {
            for attr in &self.inner_attrs {
                attr.to_tokens(tokens);
            }
            self.body.to_tokens(tokens);
        });
    }
}

impl MaybeItemFn {
    /// Inner attributes (`#![allow(…)]`) turned into outer ones, so they still apply once
    /// the body is wrapped in a closure or an async block.
    pub(crate) fn hoisted_inner_attrs(&self) -> impl Iterator<Item = Attribute> + '_ {
        self.inner_attrs.iter().cloned().map(|mut attr| {
            attr.style = AttrStyle::Outer;
            attr
        })
    }
}

struct BlockContents(Vec<Stmt>);

impl Parse for BlockContents {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Block::parse_within(input).map(BlockContents)
    }
}
