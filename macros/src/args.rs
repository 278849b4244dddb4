//! Parsing `#[trace_genai(...)]` arguments into [`Args`].
//!
//! Grammar (comma-separated, at most one trailing comma):
//!
//! ```text
//! operation                      chat | text_completion | generate_content | embeddings
//!                                | retrieval | execute_tool | create_agent | invoke_agent
//!                                | invoke_workflow
//! key = expr                     a GenAI attribute (see KEYS)
//! name = "literal"               the span name of a non-GenAI span
//! kind = client | server | internal | producer | consumer
//! fields(key = expr, a.b = expr, "any.key" = expr)
//! request = expr                 a request type that reports model and parameters
//! capture(slot, slot = expr, arguments(a, b), output)
//!                                what message content may be recorded (see CAPTURE_SLOTS)
//! content = "span_only"          this function's content capture policy
//! stream                         the return value is a stream or iterator the span follows
//! crate = path                   where the runtime lives, for re-exporting crates
//! ```

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::errors::Errors;

/// The type a key's value is recorded as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ValueType {
    Str,
    F64,
    I64,
    StrArray,
    /// An int recorded only when it is not 1.
    ChoiceCount,
}

impl ValueType {
    fn expected(self) -> &'static str {
        match self {
            ValueType::Str => "a string, e.g. `\"gpt-4o\"` or `req.model.as_str()`",
            ValueType::F64 => "a number, e.g. `0.7` or `req.temperature`",
            ValueType::I64 | ValueType::ChoiceCount => "an integer, e.g. `256` or `req.max_tokens`",
            ValueType::StrArray => "a list of strings, e.g. `[\"END\"]` or `&req.stop`",
        }
    }
}

/// A GenAI attribute the macro knows, with the semconv constant it maps to.
#[derive(Debug)]
pub(crate) struct KeySpec {
    /// The key as written in the attribute.
    pub(crate) name: &'static str,
    /// The constant in the runtime's `semconv` module.
    pub(crate) semconv: &'static str,
    pub(crate) ty: ValueType,
}

macro_rules! keys {
    ($($name:literal => $semconv:literal : $ty:ident,)*) => {
        /// Every key, in the order attributes are recorded (sampling-relevant first).
        pub(crate) const KEYS: &[KeySpec] = &[
            $(KeySpec { name: $name, semconv: $semconv, ty: ValueType::$ty },)*
        ];
    };
}

keys! {
    "provider" => "GEN_AI_PROVIDER_NAME": Str,
    "model" => "GEN_AI_REQUEST_MODEL": Str,
    "server_address" => "SERVER_ADDRESS": Str,
    "server_port" => "SERVER_PORT": I64,
    "agent" => "GEN_AI_AGENT_NAME": Str,
    "tool" => "GEN_AI_TOOL_NAME": Str,
    "workflow" => "GEN_AI_WORKFLOW_NAME": Str,
    "data_source" => "GEN_AI_DATA_SOURCE_ID": Str,
    "agent_id" => "GEN_AI_AGENT_ID": Str,
    "agent_description" => "GEN_AI_AGENT_DESCRIPTION": Str,
    "agent_version" => "GEN_AI_AGENT_VERSION": Str,
    "tool_call_id" => "GEN_AI_TOOL_CALL_ID": Str,
    "tool_type" => "GEN_AI_TOOL_TYPE": Str,
    "tool_description" => "GEN_AI_TOOL_DESCRIPTION": Str,
    "conversation_id" => "GEN_AI_CONVERSATION_ID": Str,
    "output_type" => "GEN_AI_OUTPUT_TYPE": Str,
    "prompt_name" => "GEN_AI_PROMPT_NAME": Str,
    "temperature" => "GEN_AI_REQUEST_TEMPERATURE": F64,
    "top_p" => "GEN_AI_REQUEST_TOP_P": F64,
    "top_k" => "GEN_AI_REQUEST_TOP_K": F64,
    "max_tokens" => "GEN_AI_REQUEST_MAX_TOKENS": I64,
    "seed" => "GEN_AI_REQUEST_SEED": I64,
    "stop_sequences" => "GEN_AI_REQUEST_STOP_SEQUENCES": StrArray,
    "frequency_penalty" => "GEN_AI_REQUEST_FREQUENCY_PENALTY": F64,
    "presence_penalty" => "GEN_AI_REQUEST_PRESENCE_PENALTY": F64,
    "choice_count" => "GEN_AI_REQUEST_CHOICE_COUNT": ChoiceCount,
    "dimension_count" => "GEN_AI_EMBEDDINGS_DIMENSION_COUNT": I64,
}

/// A GenAI operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct OperationSpec {
    pub(crate) name: &'static str,
    /// The variant of the runtime's `Operation` enum.
    pub(crate) variant: &'static str,
    /// The key whose value completes the span name.
    pub(crate) subject: &'static str,
}

pub(crate) const OPERATIONS: &[OperationSpec] = &[
    OperationSpec {
        name: "chat",
        variant: "Chat",
        subject: "model",
    },
    OperationSpec {
        name: "text_completion",
        variant: "TextCompletion",
        subject: "model",
    },
    OperationSpec {
        name: "generate_content",
        variant: "GenerateContent",
        subject: "model",
    },
    OperationSpec {
        name: "embeddings",
        variant: "Embeddings",
        subject: "model",
    },
    OperationSpec {
        name: "retrieval",
        variant: "Retrieval",
        subject: "data_source",
    },
    OperationSpec {
        name: "execute_tool",
        variant: "ExecuteTool",
        subject: "tool",
    },
    OperationSpec {
        name: "create_agent",
        variant: "CreateAgent",
        subject: "agent",
    },
    OperationSpec {
        name: "invoke_agent",
        variant: "InvokeAgent",
        subject: "agent",
    },
    OperationSpec {
        name: "invoke_workflow",
        variant: "InvokeWorkflow",
        subject: "workflow",
    },
];

const KINDS: &[(&str, &str)] = &[
    ("client", "Client"),
    ("server", "Server"),
    ("internal", "Internal"),
    ("producer", "Producer"),
    ("consumer", "Consumer"),
];

/// What a `capture(...)` entry records.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Slot {
    /// `gen_ai.input.messages`.
    Messages,
    /// `gen_ai.system_instructions`.
    System,
    /// `gen_ai.tool.definitions`.
    Tools,
    /// Messages, instructions and tools of a `GenAiRequest`.
    Request,
    /// `gen_ai.tool.call.arguments`.
    Arguments,
    /// `gen_ai.retrieval.query.text`.
    Query,
    /// The return value: output messages, a tool's result, or retrieved documents.
    Output,
}

/// `capture(...)` entries: (name, slot, the operation it is limited to, takes a value).
pub(crate) const CAPTURE_SLOTS: &[(&str, Slot, Option<&str>)] = &[
    ("messages", Slot::Messages, None),
    ("system", Slot::System, None),
    ("tools", Slot::Tools, None),
    ("request", Slot::Request, None),
    ("arguments", Slot::Arguments, Some("execute_tool")),
    ("query", Slot::Query, Some("retrieval")),
    ("output", Slot::Output, None),
    ("result", Slot::Output, Some("execute_tool")),
    ("documents", Slot::Output, Some("retrieval")),
];

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

/// One `capture(...)` entry.
pub(crate) struct CaptureArg {
    pub(crate) name: Ident,
    pub(crate) slot: Slot,
    pub(crate) source: CaptureSource,
}

/// `content = "…"` values and the `ContentCapture` variants they select.
const CONTENT_POLICIES: &[(&str, &str)] = &[
    ("no_content", "NoContent"),
    ("span_only", "SpanOnly"),
    ("event_only", "EventOnly"),
    ("span_and_event", "SpanAndEvent"),
];

/// A `key = value` argument.
pub(crate) struct KeyArg {
    pub(crate) spec: &'static KeySpec,
    pub(crate) value: Expr,
}

/// A `fields(...)` entry.
pub(crate) struct FieldArg {
    pub(crate) key: LitStr,
    pub(crate) value: Expr,
}

/// The parsed and checked arguments.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) operation: Option<(Ident, &'static OperationSpec)>,
    pub(crate) name: Option<LitStr>,
    /// The `SpanKind` variant, with the token that chose it.
    pub(crate) kind: Option<(Ident, &'static str)>,
    pub(crate) crate_path: Option<syn::Path>,
    pub(crate) keys: Vec<KeyArg>,
    pub(crate) fields: Vec<FieldArg>,
    /// `request = expr`.
    pub(crate) request: Option<Expr>,
    /// `capture(...)`.
    pub(crate) captures: Vec<CaptureArg>,
    /// `content = "…"`: the `ContentCapture` variant.
    pub(crate) content: Option<&'static str>,
    /// `stream`: the span follows the returned stream or iterator.
    pub(crate) stream: Option<Ident>,
    /// The arguments seen, to report duplicates.
    seen: Vec<String>,
}

impl Args {
    pub(crate) fn key(&self, name: &str) -> Option<&KeyArg> {
        self.keys.iter().find(|arg| arg.spec.name == name)
    }

    /// The runtime path: `::trace_genai` or the `crate = …` override.
    pub(crate) fn krate(&self) -> TokenStream {
        self.crate_path
            .as_ref()
            .map_or_else(|| quote!(::trace_genai), ToTokens::to_token_stream)
    }

    /// Records that `name` was given; a second time is reported as a duplicate.
    fn mark_seen(&mut self, errors: &mut Errors, name: &str, token: &dyn ToTokens) -> bool {
        if self.seen.iter().any(|seen| seen == name) {
            errors.spanned(token, format!("duplicate argument `{name}`: give it once"));
            false
        } else {
            self.seen.push(name.to_owned());
            true
        }
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        let mut errors = Errors::default();
        // A syntax error stops parsing; it is reported with the mistakes found before it.
        let syntax = (|| {
            while !input.is_empty() {
                parse_one(input, &mut args, &mut errors)?;
                if input.is_empty() {
                    break;
                }
                if !input.peek(Token![,]) {
                    return Err(input.error("expected `,` between arguments"));
                }
                input.parse::<Token![,]>()?;
            }
            Ok(())
        })();
        if let Err(error) = syntax {
            errors.push(error);
        }
        check_captures(&args, &mut errors);
        if let (Some(name), Some((_, operation))) = (&args.name, &args.operation) {
            errors.spanned(
                name,
                format!(
                    "`name` cannot be combined with `{op}`: the conventions name this span `{op} {{{subject}}}`; remove `name`, or the operation for a span that is not a GenAI operation",
                    op = operation.name,
                    subject = operation.subject,
                ),
            );
        }
        errors.finish()?;
        Ok(args)
    }
}

fn parse_one(input: ParseStream<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    if input.peek(Token![crate]) {
        let token: Token![crate] = input.parse()?;
        input.parse::<Token![=]>()?;
        let path = input.call(syn::Path::parse_mod_style).map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a path: `crate = my_crate::trace_genai`",
            )
        })?;
        if args.mark_seen(errors, "crate", &token) {
            args.crate_path = Some(path);
        }
        return Ok(());
    }
    if !input.peek(Ident::peek_any) {
        return Err(input.error(
            "expected an operation such as `chat`, or `key = value`; see the documentation of #[trace_genai] for the keys",
        ));
    }
    let ident = input.call(Ident::parse_any)?;
    let word = ident.to_string();

    if word == "fields" && input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let fields = Punctuated::<FieldInput, Token![,]>::parse_terminated(&content)?;
        for field in fields {
            if args
                .fields
                .iter()
                .any(|f| f.key.value() == field.key.value())
            {
                errors.spanned(
                    &field.key,
                    format!("duplicate field `{}`", field.key.value()),
                );
                continue;
            }
            args.fields.push(FieldArg {
                key: field.key,
                value: field.value,
            });
        }
        return Ok(());
    }

    if word == "capture" && input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let entries = Punctuated::<CaptureArg, Token![,]>::parse_terminated(&content)?;
        if args.mark_seen(errors, "capture", &ident) {
            args.captures.extend(entries);
        }
        return Ok(());
    }

    if word == "stream" && !input.peek(Token![=]) {
        if args.mark_seen(errors, "stream", &ident) {
            args.stream = Some(ident);
        }
        return Ok(());
    }

    if !input.peek(Token![=]) {
        if let Some(operation) = OPERATIONS.iter().find(|op| op.name == word) {
            if let Some((first, _)) = &args.operation {
                let mut error = syn::Error::new_spanned(
                    &ident,
                    format!("only one operation per span: `{first}` is already given"),
                );
                error.combine(syn::Error::new_spanned(first, "first operation given here"));
                errors.push(error);
            } else {
                args.operation = Some((ident, operation));
            }
        } else if KEYS.iter().any(|key| key.name == word)
            || ["name", "kind"].contains(&word.as_str())
        {
            errors.spanned(&ident, format!("expected `{word} = …`"));
        } else if word == "fields" {
            errors.spanned(&ident, "expected `fields(key = value, …)`");
        } else if word == "capture" {
            errors.spanned(
                &ident,
                "expected `capture(messages, system = instructions, …)`",
            );
        } else if word == "request" || word == "content" {
            errors.spanned(&ident, format!("expected `{word} = …`"));
        } else {
            errors.spanned(
                &ident,
                format!(
                    "unknown operation `{word}`; expected one of {}",
                    list(OPERATIONS.iter().map(|op| op.name))
                ),
            );
        }
        return Ok(());
    }

    input.parse::<Token![=]>()?;
    match word.as_str() {
        "name" => {
            let value: Expr = input.parse()?;
            match value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => {
                    if args.mark_seen(errors, "name", &ident) {
                        args.name = Some(lit);
                    }
                }
                other => errors.spanned(other, "expected a string literal: `name = \"my_span\"`"),
            }
        }
        "kind" => {
            if let Ok(quoted) = input.fork().parse::<LitStr>() {
                input.parse::<LitStr>()?;
                errors.spanned(
                    &quoted,
                    format!(
                        "write the span kind without quotes: `kind = {}`",
                        quoted.value()
                    ),
                );
                return Ok(());
            }
            let value: Ident = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!(
                        "expected a span kind: one of {}",
                        list(KINDS.iter().map(|k| k.0))
                    ),
                )
            })?;
            match KINDS.iter().find(|(name, _)| value == name) {
                Some((_, variant)) => {
                    if args.mark_seen(errors, "kind", &ident) {
                        args.kind = Some((value, variant));
                    }
                }
                None => errors.spanned(
                    &value,
                    format!(
                        "unknown span kind `{value}`{}; expected one of {}",
                        did_you_mean(&value.to_string(), KINDS.iter().map(|k| k.0)),
                        list(KINDS.iter().map(|k| k.0))
                    ),
                ),
            }
        }
        "stream" => {
            let value: Expr = input.parse()?;
            errors.spanned(
                value,
                "write `stream` without a value: it marks a function whose return value is a stream",
            );
        }
        "request" => {
            let value: Expr = input.parse()?;
            if args.mark_seen(errors, "request", &ident) {
                args.request = Some(value);
            }
        }
        "content" => {
            let value: Expr = input.parse()?;
            let expected = list(CONTENT_POLICIES.iter().map(|(name, _)| *name));
            match &value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => {
                    let text = lit.value().to_ascii_lowercase();
                    match CONTENT_POLICIES.iter().find(|(name, _)| *name == text) {
                        Some((_, variant)) => {
                            if args.mark_seen(errors, "content", &ident) {
                                args.content = Some(variant);
                            }
                        }
                        None => errors.spanned(
                            lit,
                            format!(
                                "unknown content policy {:?}{}; expected one of {expected}",
                                lit.value(),
                                did_you_mean(&text, CONTENT_POLICIES.iter().map(|(name, _)| *name)),
                            ),
                        ),
                    }
                }
                other => errors.spanned(
                    other,
                    format!(
                        "expected a string literal: `content = \"span_only\"` (one of {expected})"
                    ),
                ),
            }
        }
        _ => {
            let value: Expr = input.parse()?;
            match KEYS.iter().find(|key| key.name == word) {
                Some(spec) => {
                    if let Err(error) = check_literal(spec, &value) {
                        errors.push(error);
                    } else if args.mark_seen(errors, spec.name, &ident) {
                        args.keys.push(KeyArg { spec, value });
                    }
                }
                None => errors.spanned(
                    &ident,
                    format!(
                        "unknown argument `{word}`{}; expected a GenAI key such as `provider`, `model`, `temperature`, `max_tokens` (see the documentation of #[trace_genai] for all), `name`, `kind`, `crate`, or `fields({word} = …)` for a custom attribute",
                        did_you_mean(&word, KEYS.iter().map(|key| key.name).chain(["name", "kind", "fields", "crate", "request", "content", "capture", "stream"]))
                    ),
                ),
            }
        }
    }
    Ok(())
}

/// Rules between `capture(...)` entries and the operation.
fn check_captures(args: &Args, errors: &mut Errors) {
    let operation = args.operation.as_ref().map(|(_, op)| op.name);
    let mut seen: Vec<Slot> = Vec::new();
    for capture in &args.captures {
        let name = capture.name.to_string();
        if let Some((_, _, Some(only))) = CAPTURE_SLOTS.iter().find(|(slot, ..)| *slot == name)
            && operation != Some(*only)
        {
            errors.spanned(
                &capture.name,
                format!("`capture({name})` is for `{only}` spans: add the `{only}` operation, or remove `{name}`"),
            );
            continue;
        }
        if seen.contains(&capture.slot) {
            errors.spanned(
                &capture.name,
                format!("`{name}` is captured twice: give it once"),
            );
            continue;
        }
        seen.push(capture.slot);
    }
}

impl Parse for CaptureArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let names = || list(CAPTURE_SLOTS.iter().map(|(name, ..)| *name));
        let name = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("expected what to capture: one of {}", names()),
            )
        })?;
        let word = name.to_string();
        let Some((_, slot, _)) = CAPTURE_SLOTS.iter().find(|(slot, ..)| *slot == word) else {
            return Err(syn::Error::new_spanned(
                &name,
                format!(
                    "cannot capture `{word}`{}; expected one of {}, e.g. `capture(messages, system = instructions)`",
                    did_you_mean(&word, CAPTURE_SLOTS.iter().map(|(name, ..)| *name)),
                    names()
                ),
            ));
        };
        let slot = *slot;
        let source = if slot == Slot::Output {
            if input.peek(Token![=]) {
                return Err(syn::Error::new_spanned(
                    &name,
                    format!(
                        "`{word}` captures the return value: write `capture({word})` without `= …`"
                    ),
                ));
            }
            CaptureSource::Return
        } else if slot == Slot::Arguments && input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let parameters = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
            if parameters.is_empty() {
                return Err(syn::Error::new_spanned(
                    &name,
                    "name the parameters: `arguments(city, unit)`",
                ));
            }
            CaptureSource::Parameters(parameters.into_iter().collect())
        } else if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            CaptureSource::Expr(input.parse()?)
        } else {
            CaptureSource::Implicit(name.clone())
        };
        Ok(CaptureArg { name, slot, source })
    }
}

/// Rejects literals of the wrong type; expressions are checked by the compiler.
fn check_literal(spec: &KeySpec, value: &Expr) -> syn::Result<()> {
    let Expr::Lit(ExprLit { lit, .. }) = value else {
        return Ok(());
    };
    let fits = matches!(
        (spec.ty, lit),
        (ValueType::Str, Lit::Str(_))
            | (ValueType::F64, Lit::Float(_) | Lit::Int(_))
            | (ValueType::I64 | ValueType::ChoiceCount, Lit::Int(_))
    );
    if fits {
        Ok(())
    } else {
        Err(syn::Error::new_spanned(
            lit,
            format!("`{}` expects {}", spec.name, spec.ty.expected()),
        ))
    }
}

/// `" (did you mean `model`?)"` when a known name is at most two edits away.
fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `key = value` inside `fields(...)`: a dotted path of identifiers or a string literal.
struct FieldInput {
    key: LitStr,
    value: Expr,
}

impl Parse for FieldInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
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
            return Err(
                input.error("expected a field name: `my.key = value` or `\"my.key\" = value`")
            );
        };
        if key.value().is_empty() {
            return Err(syn::Error::new_spanned(
                &key,
                "a field name cannot be empty",
            ));
        }
        if !input.peek(Token![=]) {
            return Err(syn::Error::new_spanned(
                &key,
                format!("expected `{} = value`", key.value()),
            ));
        }
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(FieldInput { key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: TokenStream) -> syn::Result<Args> {
        syn::parse2(tokens)
    }

    #[test]
    fn parses_operation_keys_and_fields() {
        let args = parse(quote!(
            chat,
            provider = "openai",
            model = req.model.as_str(),
            fields(app.tier = "gold", top = 3),
        ))
        .unwrap();
        assert_eq!(args.operation.as_ref().map(|(_, op)| op.name), Some("chat"));
        assert_eq!(args.keys.len(), 2);
        assert!(args.key("model").is_some());
        let fields: Vec<String> = args.fields.iter().map(|f| f.key.value()).collect();
        assert_eq!(fields, ["app.tier", "top"]);
    }

    #[test]
    fn reports_every_mistake_at_once() {
        let error = parse(quote!(chatt, temperature = "hot", bogus = 1))
            .err()
            .unwrap();
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("unknown operation `chatt`"));
        assert!(messages[1].starts_with("`temperature` expects a number"));
        assert!(messages[2].starts_with("unknown argument `bogus`"));
    }

    #[test]
    fn duplicate_keys_are_reported_once() {
        let error = parse(quote!(model = "a", model = "b")).err().unwrap();
        assert!(error.to_string().contains("duplicate argument `model`"));
    }

    #[test]
    fn suggestions_for_near_misses() {
        assert_eq!(edit_distance("modle", "model"), 2);
        assert_eq!(
            did_you_mean("modle", KEYS.iter().map(|k| k.name)),
            " (did you mean `model`?)"
        );
        assert_eq!(did_you_mean("zzzzzz", KEYS.iter().map(|k| k.name)), "");
    }

    #[test]
    fn missing_comma_is_an_error() {
        let error = parse(quote!(chat model = "a")).err().unwrap();
        assert_eq!(error.to_string(), "expected `,` between arguments");
    }
}
